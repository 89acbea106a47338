"""Settings and observability shared by every function."""
