"""The compliance dashboard: the four layers of every visible system, as a page, a CSV, JSON and
monthly snapshots."""
