"""Adapters to what lies outside: Lean, DynamoDB, SNS, SQS, Secrets Manager."""
