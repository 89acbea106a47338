"""Lean API access: credentials, the HTTP client, and one client per set of credentials."""
