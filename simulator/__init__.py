"""Stand-in for the recruiting platform's HTTP API (another company's system).

It imports nothing from Campaign Executor; everything crosses over HTTP.
"""
