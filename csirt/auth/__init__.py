"""Authentication: login, logout, server-side sessions, lockout, password change."""
