"""Translated names of the team's roles (the roles themselves are `models.ROLES`)."""
from ..catalogue import gettext as _


def role_label(role):
    return {
        "admin": _("Administrator"), "manager": _("Manager"), "coordinator": _("Coordinator"),
        "responder": _("Responder"), "member": _("Member (agency liaison)"),
    }.get(role, role)


def register(app):
    app.jinja_env.globals["role_label"] = role_label
