"""The outbox and each person's ways of being reached.

A `Notification` is written in the transaction of the event that causes it (`outbox.enqueue`)
and delivered later by the scheduler (`delivery.deliver_due`): pending → sending → sent, or
failed (will retry with backoff) → dead after the last attempt. A `ContactMethod` is one address
of a person on one channel; `NotifyPreference` holds their quiet hours.
"""
from ..clock import utcnow
from ..extensions import db

CHANNEL_NAMES = ("email", "webhook", "telegram")
STATUSES = ("pending", "sending", "sent", "failed", "dead")
WAITING = ("pending", "failed")  # not yet sent and not in flight: a digest may still join them
ERROR_MAX = 2000
ADDRESS_MAX = 500
DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh"


def _in(values):
    return ", ".join(f"'{v}'" for v in values)


class Notification(db.Model):
    __tablename__ = "notification"

    id = db.Column(db.Integer, primary_key=True)
    event = db.Column(db.String(64), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="SET NULL"))
    contact_method_id = db.Column(db.Integer, db.ForeignKey("contact_method.id", ondelete="SET NULL"))
    channel = db.Column(db.String(16), nullable=False)
    address = db.Column(db.String(ADDRESS_MAX), nullable=False)  # copied at enqueue
    locale = db.Column(db.String(5), nullable=False, default="vi")
    context = db.Column(db.JSON, nullable=False, default=dict)
    incident_id = db.Column(db.Integer, db.ForeignKey("incident.id", ondelete="SET NULL"), index=True)
    status = db.Column(db.String(10), nullable=False, default="pending")
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    claimed_until = db.Column(db.DateTime)
    last_error = db.Column(db.Text)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    sent_at = db.Column(db.DateTime)
    serious = db.Column(db.Boolean, nullable=False, default=False)
    digest_key = db.Column(db.String(200))
    ack_used_at = db.Column(db.DateTime)  # the one-click acknowledge link was used (single use)

    user = db.relationship("User", lazy="select")

    __table_args__ = (
        db.CheckConstraint(f"status in ({_in(STATUSES)})", name="status"),
        db.CheckConstraint(f"channel in ({_in(CHANNEL_NAMES)})", name="channel"),
        # the delivery's claim: due rows by status and time
        db.Index("ix_notification_status_next_attempt_at", "status", "next_attempt_at"),
        db.Index("ix_notification_digest", "user_id", "channel", "digest_key"),
    )

    def __repr__(self):
        return f"<Notification {self.id} {self.event} {self.channel} {self.status}>"


class ContactMethod(db.Model):
    __tablename__ = "contact_method"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    channel = db.Column(db.String(16), nullable=False)
    address = db.Column(db.String(ADDRESS_MAX), nullable=False)
    label = db.Column(db.String(100), nullable=False, default="")
    enabled = db.Column(db.Boolean, nullable=False, default=True)
    secret = db.Column(db.String(100))  # the webhook's HMAC key, shown to its owner once
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        db.CheckConstraint(f"channel in ({_in(CHANNEL_NAMES)})", name="channel"),
    )


class NotifyPreference(db.Model):
    __tablename__ = "notify_preference"

    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    quiet_start = db.Column(db.Time)  # local times; both None: no quiet hours
    quiet_end = db.Column(db.Time)
    time_zone = db.Column(db.String(64), nullable=False, default=DEFAULT_TIME_ZONE)
