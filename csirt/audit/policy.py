"""Who may read the audit log: administrators and managers."""
READERS = ("admin", "manager")


def can_read(user):
    return user is not None and getattr(user, "is_active", False) and user.role in READERS
