"""Docker-free local stack: DynamoDB Local, moto server, Lean simulator, API emulator and pollers."""
