"""Docker-free local stack: DynamoDB Local, moto server, Lean simulator, API emulator and pollers.

The shared package `lean_webhooks` is imported from `layers/common`, as the Lambda layer provides it: the
Makefile puts that folder on the virtualenv's path (a `.pth` file), pytest through `pythonpath`.
"""
