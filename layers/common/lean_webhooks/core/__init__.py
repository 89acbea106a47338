"""The domain: intake, status rules, sync, recovery, notification, devices. Imports only models; logs through
the standard library (`runtime.observability` formats and redacts its lines)."""
