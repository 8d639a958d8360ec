"""The notification outbox: rows first, delivered later by the scheduler (ARCHITECTURE.md flow 5)."""
