"""The rules of check configurations: create, edit, enable, disable, delete; and "run now".

Each function takes the acting user, checks the policy, validates (`validation.py`: targets and
port sets are refused here, when saved), checks that the server or agency named exists and is the
actor's to use, writes one audit entry, brings the work items in line (`workitems.sync`) and
commits once. The scheduler runs the checks; "run now" only makes a work item due.
"""
import logging

from .. import versions
from ..audit.services import clean, diff, record
from ..catalogue import gettext as _
from ..catalogue import lazy_gettext as _l
from ..clock import utcnow
from ..errors import ValidationError, invalid
from ..extensions import db
from ..systems import policy as systems_policy
from ..systems.models import Server
from ..team.models import Agency
from . import policy, validation, workitems
from .models import CheckConfig, ServerCheck

logger = logging.getLogger(__name__)

AUDITED = ("name", "kind", "server_id", "agency_id", "level", "params", "interval_seconds", "timeout_seconds",
           "enabled")
CONFLICT = _l("Someone else changed this check; reload it and try again.")


def snapshot(config):
    return clean({f: getattr(config, f) for f in AUDITED})


def _scope_rules(actor, values, errors):
    """The server or agency named must exist (and the server be one `actor` sees, not archived);
    a configuration that scans its server's own addresses needs one inside the allowed networks."""
    server_id, agency_id = values.get("server_id"), values.get("agency_id")
    if server_id is not None and "server_id" not in errors:
        server = db.session.execute(systems_policy.visible_servers(actor, db.select(Server).where(
            Server.id == server_id))).scalar_one_or_none()
        if server is None or server.archived_at is not None:
            errors["server_id"] = _("Unknown or archived server.")
        elif "params" in values and values["params"] is not None and \
                validation.scans_server_addresses(values.get("kind"), values["params"]) and \
                not any(k in errors for k in ("targets", "mode")) and not validation.allowed_addresses(server):
            errors["server_id"] = _(
                "None of the addresses of %(server)s (%(addresses)s) lies in the networks checks may "
                "reach (%(networks)s); give targets inside them, or ask the administrator.",
                server=server.hostname, addresses=", ".join(server.addresses or []) or "—",
                networks=validation.networks_text())
    if agency_id is not None and "agency_id" not in errors and db.session.get(Agency, agency_id) is None:
        errors["agency_id"] = _("Unknown agency.")


def _validated(actor, data, kind=None):
    values, errors = validation.check_config(data, kind=kind)
    if "kind" not in errors:
        _scope_rules(actor, values, errors)
    if errors:
        raise invalid(errors)
    return values


def create_config(actor, data):
    """A new configuration from `data` (validated here); its work items are created at once."""
    policy.require(policy.can_configure(actor), _("You may not configure checks."))
    values = _validated(actor, data)
    now = utcnow()
    config = CheckConfig(created_by_id=actor.id, created_at=now, updated_at=now, **values)
    db.session.add(config)
    db.session.flush()
    record(actor, "check.create", config, after=snapshot(config))
    workitems.sync([config], now=now)
    versions.commit(CONFLICT)
    logger.info("check %s (%s) created by %s", config.id, config.kind, actor.username)
    return config


def get_config(actor, config_id):
    return policy.get_config(actor, config_id)


def _editable(actor, config_id, version, message):
    config = policy.get_config(actor, config_id)
    policy.require(policy.can_configure(actor), message)
    versions.check_version(config, version, CONFLICT)
    return config


def update_config(actor, config_id, data, version=None):
    """Change the configuration (its kind stays); its work items follow, and run again soon."""
    config = _editable(actor, config_id, version, _("You may not configure checks."))
    values = _validated(actor, data, kind=config.kind)
    values.pop("kind", None)
    before = snapshot(config)
    for key, value in values.items():
        setattr(config, key, value)
    changed_before, changed_after = diff(before, snapshot(config))
    if not changed_after:
        return config
    now = utcnow()
    config.updated_at = now
    record(actor, "check.update", config, before=changed_before, after=changed_after)
    workitems.sync([config], now=now)
    if config.enabled:  # what is checked changed: the next run should not wait a whole interval
        for item in db.session.execute(db.select(ServerCheck).where(ServerCheck.config_id == config.id,
                                                                   ServerCheck.active)).scalars():
            item.next_run_at = min(item.next_run_at, now)
    versions.commit(CONFLICT)
    return config


def set_enabled(actor, config_id, enabled, version=None):
    """Enable or disable the configuration: a disabled one keeps its items and results, inactive."""
    config = _editable(actor, config_id, version, _("You may not configure checks."))
    if config.enabled == bool(enabled):
        return config
    config.enabled = bool(enabled)
    config.updated_at = utcnow()
    record(actor, "check.enable" if enabled else "check.disable", config,
           before={"enabled": not config.enabled}, after={"enabled": config.enabled})
    workitems.sync([config], now=config.updated_at)
    versions.commit(CONFLICT)
    return config


def delete_config(actor, config_id, version=None):
    """Delete the configuration with its work items and results (disable it to keep them)."""
    config = _editable(actor, config_id, version, _("You may not configure checks."))
    record(actor, "check.delete", config, before=snapshot(config))
    db.session.delete(config)
    versions.commit(CONFLICT)
    logger.info("check %s deleted by %s", config_id, actor.username)


def run_now(actor, item_id):
    """Make the work item due now; the scheduler's next tick runs it."""
    item = policy.get_item(actor, item_id)
    policy.require(policy.can_run(actor, item), _("You may not run checks."))
    if not item.active:
        raise ValidationError(_("This check no longer applies to this server."))
    now = utcnow()
    before = item.next_run_at
    item.next_run_at = now
    record(actor, "check.run_now", item, before={"next_run_at": before}, after={"next_run_at": now})
    db.session.commit()
    return item
