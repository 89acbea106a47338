"""Lean API access: errors, credentials and the HTTP client."""
