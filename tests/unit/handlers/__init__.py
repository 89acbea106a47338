"""Unit tests: handlers."""
