"""Information systems and the shared servers (extended by the compliance and checks issues)."""
