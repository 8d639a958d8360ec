"""Audit log: who did what, when, from where, before and after."""
