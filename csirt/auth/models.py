"""Server-side session records and login throttling state."""
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
    """Failure counter per key ("user:<name>" or "ip:<address>"), whether the user exists or not."""

    __tablename__ = "login_throttle"

    key = db.Column(db.String(200), primary_key=True)
    failures = db.Column(db.Integer, nullable=False, default=0)
    window_start = db.Column(db.DateTime, nullable=False, default=utcnow)
    locked_until = db.Column(db.DateTime)
