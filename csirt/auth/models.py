"""Credentials: server-side session records, login throttling state and API tokens."""
from ..clock import utcnow
from ..extensions import db


class UserSession(db.Model):
    """One row per logged-in browser. The cookie carries only `token`; deleting the row logs out."""

    __tablename__ = "user_session"

    id = db.Column(db.Integer, primary_key=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    user_id = db.Column(
        db.Integer, db.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    expires_at = db.Column(db.DateTime, nullable=False)
    ip = db.Column(db.String(64))
    user_agent = db.Column(db.String(300))


class LoginThrottle(db.Model):
    """Attempt counter per key ("pair:<name>|<address>", "name:<name>", "addr:<address>",
    "known:<name>|<address>", "pwchange:<user id>"); see `auth.throttle` for the rules."""

    __tablename__ = "login_throttle"

    key = db.Column(db.String(200), primary_key=True)
    failures = db.Column(db.Integer, nullable=False, default=0)
    window_start = db.Column(db.DateTime, nullable=False, default=utcnow)
    locked_until = db.Column(db.DateTime)


# API tokens: random, stored hashed, scoped, expiring, revocable.
SCOPES = ("incidents:read", "incidents:write", "systems:read", "systems:write", "alerts:read", "alerts:write",
          "heartbeats:write")


class ApiToken(db.Model):
    __tablename__ = "api_token"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="CASCADE"),
                        nullable=False, index=True)
    name = db.Column(db.String(100), nullable=False)
    lookup = db.Column(db.String(16), nullable=False, unique=True)  # public part of the token
    secret_hash = db.Column(db.String(64), nullable=False)           # SHA-256 of the secret part
    scopes = db.Column(db.String(200), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    expires_at = db.Column(db.DateTime, nullable=False)
    revoked_at = db.Column(db.DateTime)
    last_used_at = db.Column(db.DateTime)

    user = db.relationship("User", lazy="joined")

    @property
    def scope_list(self):
        return [s for s in self.scopes.split() if s]

    def is_usable(self, now):
        return self.revoked_at is None and self.expires_at > now and self.user.is_active
