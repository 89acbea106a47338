"""Unit tests: local."""
