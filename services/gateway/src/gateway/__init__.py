"""Gateway: accounts, sessions, API keys and the public /v1 API over every service."""
