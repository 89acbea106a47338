"""Unit tests: adapters."""
