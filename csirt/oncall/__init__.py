"""On-call rotations: who is on call, when, and the calendar of the coming weeks (issue 10)."""
