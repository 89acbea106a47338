"""Pydantic models of Lean's webhooks and API objects, and of what we store."""
