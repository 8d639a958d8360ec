"""Alerts: intake (normalisers), playbooks (load, schema, compile, swap), the pure router and the
executor that applies its decision in the intake's transaction (ARCHITECTURE.md flow 2)."""
