"""On-call rotations: layers of members who take turns, overrides for leave and swaps, and the
secret calendar feeds that publish the shifts (issue 10).

Who is on call at an instant is computed, never stored: `schedule.py` derives it from a rotation's
hand-over time, shift length, start date and members, with the overrides cut in.
"""
from datetime import time

from ..clock import utcnow
from ..extensions import db

SHIFT_KINDS = ("daily", "weekly", "custom")
SHIFT_HOURS = {"daily": 24, "weekly": 24 * 7}
MAX_SHIFT_HOURS = 24 * 28
OVERRIDE_REASONS = ("leave", "swap", "training", "other")
DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh"
DEFAULT_HANDOVER = time(8, 0)


def _in(values):
    return ", ".join(f"'{v}'" for v in values)


class Rotation(db.Model):
    __tablename__ = "rotation"

    id = db.Column(db.Integer, primary_key=True)
    key = db.Column(db.String(64), nullable=False)  # playbooks name it: {rotation: KEY}
    name = db.Column(db.String(200), nullable=False)
    description = db.Column(db.Text, nullable=False, default="")
    time_zone = db.Column(db.String(64), nullable=False, default=DEFAULT_TIME_ZONE)
    handover_time = db.Column(db.Time, nullable=False, default=DEFAULT_HANDOVER)  # local wall clock
    shift_kind = db.Column(db.String(10), nullable=False, default="weekly")
    shift_hours = db.Column(db.Integer, nullable=False, default=24 * 7)  # 24 daily, 168 weekly
    starts_on = db.Column(db.Date, nullable=False)  # local date of the first hand-over
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    layers = db.relationship("RotationLayer", lazy="select", order_by="RotationLayer.position",
                             cascade="all, delete-orphan", back_populates="rotation")

    __table_args__ = (
        db.UniqueConstraint("key", name="uq_rotation_key"),
        db.CheckConstraint(f"shift_kind in ({_in(SHIFT_KINDS)})", name="shift_kind"),
        db.CheckConstraint(f"shift_hours >= 1 and shift_hours <= {MAX_SHIFT_HOURS}", name="shift_hours"),
    )

    def __repr__(self):
        return f"<Rotation {self.key}>"


class RotationLayer(db.Model):
    """Position 1 is the primary, 2 the secondary, and so on."""

    __tablename__ = "rotation_layer"

    id = db.Column(db.Integer, primary_key=True)
    rotation_id = db.Column(db.Integer, db.ForeignKey("rotation.id", ondelete="CASCADE"), nullable=False)
    position = db.Column(db.Integer, nullable=False)
    name = db.Column(db.String(64), nullable=False)

    rotation = db.relationship("Rotation", lazy="select", back_populates="layers")
    members = db.relationship("RotationMember", lazy="select", order_by="RotationMember.position",
                              cascade="all, delete-orphan", back_populates="layer")

    __table_args__ = (
        db.UniqueConstraint("rotation_id", "position", name="uq_rotation_layer_position"),
        db.UniqueConstraint("rotation_id", "name", name="uq_rotation_layer_name"),
        db.CheckConstraint("position >= 1", name="position"),
    )


class RotationMember(db.Model):
    """One person in a layer's cycle; `position` is their turn (1 takes the first shift)."""

    __tablename__ = "rotation_member"

    id = db.Column(db.Integer, primary_key=True)
    layer_id = db.Column(db.Integer, db.ForeignKey("rotation_layer.id", ondelete="CASCADE"), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False, index=True)
    position = db.Column(db.Integer, nullable=False)

    layer = db.relationship("RotationLayer", lazy="select", back_populates="members")
    user = db.relationship("User", lazy="select")

    __table_args__ = (
        db.UniqueConstraint("layer_id", "position", name="uq_rotation_member_position"),
        db.UniqueConstraint("layer_id", "user_id", name="uq_rotation_member_user"),
    )


class RotationOverride(db.Model):
    """`user` covers layer `layer_position` of the rotation over [starts_at, ends_at) (naive UTC).
    Overrides of one layer never overlap (services refuse it, under a lock on the rotation)."""

    __tablename__ = "rotation_override"

    id = db.Column(db.Integer, primary_key=True)
    rotation_id = db.Column(db.Integer, db.ForeignKey("rotation.id", ondelete="CASCADE"), nullable=False)
    layer_position = db.Column(db.Integer, nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False, index=True)
    starts_at = db.Column(db.DateTime, nullable=False)
    ends_at = db.Column(db.DateTime, nullable=False)
    reason = db.Column(db.String(20), nullable=False, default="other")
    note = db.Column(db.String(300), nullable=False, default="")
    created_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    rotation = db.relationship("Rotation", lazy="select")
    user = db.relationship("User", lazy="select", foreign_keys=[user_id])
    created_by = db.relationship("User", lazy="select", foreign_keys=[created_by_id])

    __table_args__ = (
        db.Index("ix_rotation_override_rotation_layer_start", "rotation_id", "layer_position", "starts_at"),
        db.CheckConstraint("ends_at > starts_at", name="period"),
        db.CheckConstraint(f"reason in ({_in(OVERRIDE_REASONS)})", name="reason"),
    )


class CalendarFeed(db.Model):
    """A secret iCalendar URL: a person's own shifts (`user_id`) or a rotation's (`rotation_id`).
    Only the SHA-256 of the token is kept; `created_by` owns it (language, revocation)."""

    __tablename__ = "calendar_feed"

    id = db.Column(db.Integer, primary_key=True)
    token_hash = db.Column(db.String(64), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    rotation_id = db.Column(db.Integer, db.ForeignKey("rotation.id", ondelete="CASCADE"), index=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="CASCADE"),
                              nullable=False, index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    revoked_at = db.Column(db.DateTime)
    last_used_at = db.Column(db.DateTime)

    rotation = db.relationship("Rotation", lazy="select")
    user = db.relationship("User", lazy="select", foreign_keys=[user_id])
    created_by = db.relationship("User", lazy="select", foreign_keys=[created_by_id])

    __table_args__ = (
        db.UniqueConstraint("token_hash", name="uq_calendar_feed_token_hash"),
        db.CheckConstraint("(user_id is null) <> (rotation_id is null)", name="owner"),
    )
