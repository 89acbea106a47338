"""Contract tests: each port's in-memory fake (tests/support/fakes.py) and its adapter (on moto) held to the same
behaviour, one parametrised suite per port."""
