"""The domain: intake, status rules, sync, recovery, notification, devices. Imports only models and runtime."""
