"""Agencies and users."""
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from ..clock import utcnow
from ..extensions import db

ROLES = ("admin", "manager", "coordinator", "responder", "member")
# The role groups every policy module uses (one list each): the response team works every record;
# the team and managers read every record; the rest ("member": agency liaisons) their agency's.
WORKERS = ("admin", "coordinator", "responder")
READERS_OF_ALL = ("admin", "manager", "coordinator", "responder")
AGENCY_KINDS = ("department", "district", "partner", "dedicated_unit", "other")


class Agency(db.Model):
    __tablename__ = "agency"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False, unique=True)
    kind = db.Column(db.String(20), nullable=False, default="department")
    email = db.Column(db.String(200))
    phone = db.Column(db.String(50))
    address = db.Column(db.String(300))
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    def __repr__(self):
        return f"<Agency {self.code}>"


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(64), nullable=False, unique=True)
    full_name = db.Column(db.String(200), nullable=False)
    email = db.Column(db.String(200))
    phone = db.Column(db.String(50))
    phone_alt = db.Column(db.String(50))
    chat_handles = db.Column(db.String(300))  # e.g. "Zalo: 09xx; Telegram: @name"
    title = db.Column(db.String(200))  # job title within the agency
    skills = db.Column(db.Text)
    certifications = db.Column(db.Text)
    role = db.Column(db.String(20), nullable=False, default="member")
    agency_id = db.Column(db.Integer, db.ForeignKey("agency.id"), nullable=False, index=True)
    password_hash = db.Column(db.String(255), nullable=False)
    active = db.Column(db.Boolean, nullable=False, default=True)
    locale = db.Column(db.String(5))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    password_changed_at = db.Column(db.DateTime)
    last_login_at = db.Column(db.DateTime)

    agency = db.relationship("Agency", lazy="joined")

    @property
    def is_active(self):  # Flask-Login refuses inactive users
        return bool(self.active)

    def set_password(self, password):
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.password_changed_at = utcnow()

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles):
        return self.role in roles

    def __repr__(self):
        return f"<User {self.username}>"
