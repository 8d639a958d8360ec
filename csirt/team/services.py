"""Team rules: agencies and members. Only admins manage them; everyone signed in may read."""
import re

from ..audit.services import diff, record, snapshot
from ..catalogue import gettext as _
from ..errors import Forbidden, ValidationError, invalid
from ..extensions import db
from ..ids import as_id
from .models import AGENCY_KINDS, ROLES, Agency, User
from .passwords import access_revoked, password_problem

USER_FIELDS = ("username", "full_name", "email", "phone", "phone_alt", "chat_handles", "title",
               "skills", "certifications", "role", "agency_id", "active")
AGENCY_FIELDS = ("code", "name", "kind", "email", "phone", "address", "active")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LIMITS = {"full_name": 200, "email": 200, "phone": 50, "phone_alt": 50, "chat_handles": 300,
          "title": 200, "skills": 2000, "certifications": 2000, "name": 200, "code": 32,
          "address": 300}


def require_admin(actor):
    if actor is None or actor.role != "admin":
        raise Forbidden(_("Only administrators manage the team."))


def _clean(data, fields, errors):
    out = {}
    for key in fields:
        if key not in data:
            continue
        value = data[key]
        if key in LIMITS:
            value = (value or "").strip() if isinstance(value, str) or value is None else None
            if value is None:
                errors[key] = _("Must be text.")
            elif len(value) > LIMITS[key]:
                errors[key] = _("At most %(n)d characters.", n=LIMITS[key])
        out[key] = value
    if out.get("email") and not EMAIL_RE.match(out["email"]):
        errors["email"] = _("Not a valid e-mail address.")
    return out


def _clean_user(data, creating):
    errors = {}
    out = _clean(data, USER_FIELDS, errors)
    if "username" in out or creating:
        name = (out.get("username") or "").strip().lower()
        if not USERNAME_RE.match(name):
            errors["username"] = _("2–64 characters: lower-case letters, digits, dot, dash, underscore.")
        elif db.session.execute(db.select(User.id).where(User.username == name)).first():
            errors["username"] = _("This user name is taken.")
        out["username"] = name
    if creating and not out.get("full_name"):
        errors["full_name"] = _("This field is required.")
    if "role" in out or creating:
        if out.get("role") not in ROLES:
            errors["role"] = _("Choose one of the listed values.")
    if "agency_id" in out or creating:
        agency_id = as_id(out.get("agency_id"))
        agency = db.session.get(Agency, agency_id) if agency_id else None
        if agency is None:
            errors["agency_id"] = _("Unknown agency.")
        else:
            out["agency_id"] = agency.id
    if "active" in out:
        out["active"] = bool(out["active"])
    if errors:
        raise invalid(errors)
    return out


def create_user(actor, data, password):
    """Create a member. `actor` None means the console (a trusted administrator)."""
    if actor is not None:
        require_admin(actor)
    values = _clean_user(data, creating=True)
    problem = password_problem(password, values["username"])
    if problem:
        raise invalid({"password": problem})
    user = User(**values)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(actor, "user.create", user, after=snapshot(user, USER_FIELDS), actor_name=None if actor else "console")
    db.session.commit()
    return user


def update_user(actor, user, data):
    require_admin(actor)
    data = {k: v for k, v in data.items() if k != "username" or v != user.username}
    values = _clean_user(data, creating=False)
    if user.id == actor.id and (values.get("active") is False or values.get("role", "admin") != "admin"):
        raise ValidationError(_("You cannot disable yourself or remove your own admin role."))
    before = snapshot(user, USER_FIELDS)
    for key, value in values.items():
        setattr(user, key, value)
    changed_before, changed_after = diff(before, snapshot(user, USER_FIELDS))
    if changed_after:
        if "active" in changed_after and not user.active:
            access_revoked.send(user)
        record(actor, "user.update", user, before=changed_before, after=changed_after)
        db.session.commit()
    return user


def set_user_active(actor, user, active):
    """Disable (ending the user's sessions) or re-enable. `actor` None: the console."""
    if actor is not None:
        require_admin(actor)
        if actor.id == user.id:
            raise ValidationError(_("You cannot disable yourself or remove your own admin role."))
    before = {"active": user.active}
    user.active = bool(active)
    if not user.active:
        access_revoked.send(user)
    record(actor, "user.enable" if active else "user.disable", user, before=before,
           after={"active": user.active}, actor_name=None if actor else "console")
    db.session.commit()
    return user


def reset_password(actor, user, password):
    if actor is not None:
        require_admin(actor)
    problem = password_problem(password, user.username)
    if problem:
        raise invalid({"password": problem})
    user.set_password(password)
    access_revoked.send(user)
    record(actor, "user.reset_password", user, actor_name=None if actor else "console")
    db.session.commit()


def _clean_agency(data, agency=None):
    errors = {}
    out = _clean(data, AGENCY_FIELDS, errors)
    if "code" in out or agency is None:
        code = (out.get("code") or "").strip().upper()
        if not re.match(r"^[A-Z0-9_-]{2,32}$", code):
            errors["code"] = _("2–32 characters: letters, digits, dash, underscore.")
        elif db.session.execute(db.select(Agency.id).where(Agency.code == code,
                                Agency.id != getattr(agency, "id", 0))).first():
            errors["code"] = _("This code is taken.")
        out["code"] = code
    if "name" in out or agency is None:
        if not out.get("name"):
            errors["name"] = _("This field is required.")
        elif db.session.execute(db.select(Agency.id).where(Agency.name == out["name"],
                                Agency.id != getattr(agency, "id", 0))).first():
            errors["name"] = _("An agency with this name exists.")
    if "kind" in out or agency is None:
        if out.get("kind") not in AGENCY_KINDS:
            errors["kind"] = _("Choose one of the listed values.")
    if "active" in out:
        out["active"] = bool(out["active"])
    if errors:
        raise invalid(errors)
    return out


def create_agency(actor, data):
    if actor is not None:
        require_admin(actor)
    agency = Agency(**_clean_agency(data))
    db.session.add(agency)
    db.session.flush()
    record(actor, "agency.create", agency, after=snapshot(agency, AGENCY_FIELDS),
           actor_name=None if actor else "console")
    db.session.commit()
    return agency


def update_agency(actor, agency, data):
    require_admin(actor)
    values = _clean_agency(data, agency)
    before = snapshot(agency, AGENCY_FIELDS)
    for key, value in values.items():
        setattr(agency, key, value)
    changed_before, changed_after = diff(before, snapshot(agency, AGENCY_FIELDS))
    if changed_after:
        record(actor, "agency.update", agency, before=changed_before, after=changed_after)
        db.session.commit()
    return agency
