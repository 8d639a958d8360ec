"""Information systems (with their security level) and the servers that host them."""
from ..clock import utcnow
from ..extensions import db


class InformationSystem(db.Model):
    __tablename__ = "information_system"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False)
    level = db.Column(db.Integer, nullable=False, default=3)
    owner_agency_id = db.Column(db.Integer, db.ForeignKey("agency.id"), nullable=False, index=True)
    description = db.Column(db.Text, nullable=False, default="")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    owner_agency = db.relationship("Agency", lazy="joined")
    __table_args__ = (db.CheckConstraint("level between 1 and 5", name="level"),)


class Server(db.Model):
    __tablename__ = "server"

    id = db.Column(db.Integer, primary_key=True)
    hostname = db.Column(db.String(100), nullable=False, unique=True)
    address = db.Column(db.String(64), nullable=False)
    kind = db.Column(db.String(10), nullable=False, default="virtual")  # physical / virtual
    operating_system = db.Column(db.String(100), nullable=False, default="")
    role = db.Column(db.String(200), nullable=False, default="")
    system_id = db.Column(db.Integer, db.ForeignKey("information_system.id"), index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    system = db.relationship("InformationSystem", lazy="joined", backref="servers")
    __table_args__ = (db.CheckConstraint("kind in ('physical', 'virtual')", name="kind"),)
