"""The read model: what the dashboard and API list without asking Temporal."""
