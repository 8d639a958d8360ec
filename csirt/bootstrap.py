"""First start: the dedicated unit's agency and the first admin."""
import secrets

from .extensions import db
from .team import services
from .team.models import Agency, User

ADMIN_USERNAME = "admin"


def ensure_admin(password=None):
    """Create `admin` if missing. Returns (created, generated_password_or_None)."""
    if db.session.execute(db.select(User.id).where(User.username == ADMIN_USERNAME)).first():
        return False, None
    agency = db.session.execute(db.select(Agency).where(Agency.code == "CSIRT")).scalar_one_or_none()
    if agency is None:
        agency = services.create_agency(None, {"code": "CSIRT", "name": "Đơn vị chuyên trách ATTT",
                                               "kind": "dedicated_unit"})
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    services.create_user(None, {"username": ADMIN_USERNAME, "full_name": "Quản trị hệ thống",
                                "role": "admin", "agency_id": agency.id}, password)
    return True, generated
