"""Fast tests of the core use cases on the in-memory fakes of tests/support/fakes.py (no moto, no Lean simulator,
no network, no sleeping), and the pure tests of signatures, status rules and models."""
