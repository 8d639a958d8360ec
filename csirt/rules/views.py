"""The rules pages: the table by regime and key (admins, managers, coordinators), and the admin's
edit, new version and new row forms. Thin: parse, call a service, render."""
from itertools import groupby

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..catalogue import gettext as _
from ..clock import utcnow
from ..errors import Conflict, NotFound
from ..extensions import db
from ..forms import handle
from ..ids import as_id
from . import keys, policy, services
from .display import period_text
from .forms import NewRuleForm, RuleForm, SupersedeForm
from .lookup import in_force, local_day
from .models import Rule

bp = Blueprint("rules", __name__, url_prefix="/rules")


@bp.before_request
@login_required
def _require_login():
    return None


def _get(rule_id):
    rule_id = as_id(rule_id)
    rule = db.session.get(Rule, rule_id) if rule_id else None
    if rule is None:
        raise NotFound("rule")
    return rule


def _row(rule, day):
    return {"rule": rule, "label": keys.label(rule.key), "period": period_text(rule.value, rule.unit),
            "in_force": in_force(rule, day)}


@bp.get("/")
def index():
    policy.require(policy.can_read(current_user), _("You may not see the rules."))
    day = local_day(utcnow())
    rules = services.list_rules()
    regimes = [(regime, [_row(rule, day) for rule in group])
               for regime, group in groupby(rules, key=lambda r: r.regime)]
    return render_template("rules/index.html", regimes=regimes, today=day,
                           can_edit=policy.can_edit(current_user))


def _render_form(form, rule, mode, status, current=None):
    return render_template("rules/form.html", form=form, rule=rule, mode=mode, current=current,
                           label=keys.label(rule.key) if rule else None), status


def _conflict(form, rule, mode):
    """Another admin saved the row after this form was loaded: show what they saved, keep what this
    person typed, and carry the new version so that saving again overwrites knowingly."""
    db.session.rollback()
    db.session.refresh(rule)
    form.version.data = rule.version
    flash(_("Someone else saved this rule meanwhile; your changes are not saved yet. The saved values "
            "are shown below; save again to replace them."), "warning")
    return _render_form(form, rule, mode, 409, current=_row(rule, local_day(utcnow())))


@bp.route("/<int:rule_id>/edit", methods=["GET", "POST"])
def edit(rule_id):
    policy.require(policy.can_edit(current_user), _("Only administrators may change the rules."))
    rule = _get(rule_id)
    form = RuleForm(obj=rule)
    if request.method == "GET":
        form.version.data = rule.version
    try:
        done = handle(form, lambda: services.update_rule(current_user, rule, form.service_data(), form.version.data),
                      _("Please correct the marked fields."))
    except Conflict:
        return _conflict(form, rule, "edit")
    if done.ok:
        flash(_("The rule was saved."), "success")
        return redirect(url_for("rules.index", _anchor=f"rule-{rule.id}"))
    return _render_form(form, rule, "edit", done.status)


@bp.route("/<int:rule_id>/supersede", methods=["GET", "POST"])
def supersede(rule_id):
    policy.require(policy.can_edit(current_user), _("Only administrators may change the rules."))
    rule = _get(rule_id)
    form = SupersedeForm(obj=rule)
    if request.method == "GET":
        form.version.data = rule.version
        form.effective_from.data = None
        form.effective_to.data = None
        form.confirmed.data = False
    try:
        done = handle(form, lambda: services.supersede_rule(current_user, rule, form.service_data(),
                                                            form.version.data),
                      _("Please correct the marked fields."))
    except Conflict:
        return _conflict(form, rule, "supersede")
    if done.ok:
        flash(_("The new version was added; the old one ends the day it starts."), "success")
        return redirect(url_for("rules.index", _anchor=f"rule-{done.value.id}"))
    return _render_form(form, rule, "supersede", done.status)


@bp.route("/new", methods=["GET", "POST"])
def new():
    policy.require(policy.can_edit(current_user), _("Only administrators may change the rules."))
    form = NewRuleForm()
    done = handle(form, lambda: services.create_rule(current_user, form.service_data()),
                  _("Please correct the marked fields."))
    if done.ok:
        flash(_("The rule was added."), "success")
        return redirect(url_for("rules.index", _anchor=f"rule-{done.value.id}"))
    return _render_form(form, None, "new", done.status)


@bp.app_context_processor
def _nav():
    """Whether the menu shows the rules page: the policy decides, not the template."""
    signed_in = getattr(current_user, "is_authenticated", False)  # no user outside a request
    return {"can_read_rules": bool(signed_in) and policy.can_read(current_user)}
