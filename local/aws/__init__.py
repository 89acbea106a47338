"""Local stand-ins for AWS: API Gateway emulator, Lambda workers, event source pollers, template resources."""
