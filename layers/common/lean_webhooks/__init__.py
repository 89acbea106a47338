"""Shared package for the Lean Payment Source webhook service (built as a Lambda layer)."""
