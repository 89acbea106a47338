"""DynamoDB single-table storage: payment sources, beneficiaries, devices, push markers and the event ledger."""
