"""Small helpers shared by the models of every domain."""
from .clock import utcnow
from .extensions import db


def created_at_column():
    """A creation timestamp filled by the app clock at insert time (not at import)."""
    return db.Column(db.DateTime, nullable=False, default=utcnow, index=False)
