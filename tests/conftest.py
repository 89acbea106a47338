"""Plugins of every suite: the test timeline the IAM coverage check reads (tests/unit/conftest_iam.py)."""

pytest_plugins = ["tests.unit.conftest_iam"]
