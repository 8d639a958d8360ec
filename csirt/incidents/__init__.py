"""Incidents: intake, lifecycle, timeline, tasks, evidence."""
