"""The HTTP API and the recruiter dashboard."""
