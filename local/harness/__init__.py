"""What drives the local stack: an HTTP client, a launcher, Lean sample objects, the onboarding story, seed events."""
