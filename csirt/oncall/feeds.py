"""Secret calendar feeds: a URL with a random token that calendar apps fetch without logging in.

Only the SHA-256 of the token is stored (a copy of the table reveals no working URL); the token is
shown once when made. A feed stops working when revoked, when its owner's account is disabled or
no longer allowed to read rotations, or (a rotation's feed) when the rotation is archived.
"""
import hashlib
import hmac
import re
import secrets

from ..audit.services import record
from ..catalogue import gettext as _
from ..clock import utcnow
from ..errors import NotFound
from ..extensions import db
from ..ids import as_id
from . import policy
from .models import CalendarFeed

TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
# Each fetch writes `last_used_at` at most this often (calendar apps poll every few minutes).
LAST_USE_EVERY_SECONDS = 3600


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create_feed(actor, rotation=None):
    """A new feed of `actor`'s own shifts, or of `rotation`'s; returns (feed, token). The token
    exists only in this return value."""
    policy.require(policy.can_have_feed(actor), _("You may not make a calendar feed."))
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(token_hash=token_hash(token), created_by_id=actor.id,
                        user_id=None if rotation is not None else actor.id,
                        rotation_id=rotation.id if rotation is not None else None)
    db.session.add(feed)
    db.session.flush()
    record(actor, "calendar_feed.create", feed,
           after={"user_id": feed.user_id, "rotation_id": feed.rotation_id})
    db.session.commit()
    return feed, token


def revoke_feed(actor, feed_id):
    feed_id = as_id(feed_id)
    feed = db.session.get(CalendarFeed, feed_id) if feed_id else None
    if feed is None or not policy.can_revoke_feed(actor, feed):
        raise NotFound("calendar_feed")  # another person's feed: the same answer as a missing one
    if feed.revoked_at is None:
        feed.revoked_at = utcnow()
        record(actor, "calendar_feed.revoke", feed, after={"revoked_at": feed.revoked_at})
        db.session.commit()
    return feed


def feeds_of(user):
    """`user`'s feeds that still work or were revoked, newest first."""
    return db.session.execute(db.select(CalendarFeed).where(CalendarFeed.created_by_id == user.id)
                              .order_by(CalendarFeed.created_at.desc(), CalendarFeed.id.desc())).scalars().all()


def find_feed(token):
    """The working feed the token opens, or None. The lookup is by hash (a unique index), and the
    hash is compared again in constant time."""
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        return None
    wanted = token_hash(token)
    feed = db.session.execute(db.select(CalendarFeed).where(CalendarFeed.token_hash == wanted)).scalar_one_or_none()
    if feed is None or not hmac.compare_digest(feed.token_hash, wanted) or feed.revoked_at is not None:
        return None
    if not policy.can_read(feed.created_by):
        return None
    if feed.rotation_id is not None and not feed.rotation.active:
        return None
    return feed


def note_use(feed, now):
    """Remember when the feed was last fetched (at most once an hour, so polling costs no write)."""
    if feed.last_used_at is None or (now - feed.last_used_at).total_seconds() >= LAST_USE_EVERY_SECONDS:
        feed.last_used_at = now
        db.session.commit()
