"""DynamoDB single-table storage: payment sources, beneficiaries, devices and push markers."""
