"""The checklist of an incident: add a task, mark it done, reopen it; which tasks are overdue."""
from ..audit.services import record
from ..catalogue import gettext as _
from ..clock import utcnow
from ..errors import NotFound, invalid
from ..extensions import db
from ..ids import as_id
from ..team.models import User
from . import policy
from .models import Task
from .services import append_timeline


def _get_task(incident, task_id):
    task_id = as_id(task_id)
    task = db.session.get(Task, task_id) if task_id is not None else None
    if task is None or task.incident_id != incident.id:
        raise NotFound("task")
    return task


def add_task(actor, incident, title, owner_id=None, due_at=None):
    """Add a task to the incident's checklist. The owner, if any, must be someone who may see the
    incident (`policy.can_own_task`). A due time already past is accepted (the work may simply be
    late) and the task is overdue at once: the caller may warn with `is_overdue`."""
    policy.require(policy.can_work(actor, incident), _("You may not manage tasks of this incident."))
    title = (title or "").strip() if isinstance(title, str) else ""
    errors = {}
    if not title:
        errors["title"] = _("This field is required.")
    elif len(title) > 300:
        errors["title"] = _("At most %(n)d characters.", n=300)
    if owner_id not in (None, "", 0):
        owner_id = as_id(owner_id)
        owner = db.session.get(User, owner_id) if owner_id is not None else None
        if owner is None or not owner.active:
            errors["owner_id"] = _("Unknown or disabled member.")
        elif not policy.can_own_task(owner, incident):
            errors["owner_id"] = _("The owner must be someone who can see this incident.")
    else:
        owner_id = None
    if errors:
        raise invalid(errors)
    task = Task(incident_id=incident.id, title=title, owner_id=owner_id and int(owner_id),
                due_at=due_at, created_by_id=actor.id, created_at=utcnow())
    db.session.add(task)
    db.session.flush()
    append_timeline(incident, actor, "task", body=title, data={"task": task.id, "event": "added"})
    record(actor, "task.create", task, after={"incident_id": incident.id, "title": title,
                                               "owner_id": task.owner_id, "due_at": due_at})
    db.session.commit()
    return task


def set_task_done(actor, incident, task_id, done=True):
    policy.require(policy.can_work(actor, incident), _("You may not manage tasks of this incident."))
    task = _get_task(incident, task_id)
    if bool(task.done_at) == bool(done):
        return task
    before = {"done_at": task.done_at, "done_by_id": task.done_by_id}
    if done:
        task.done_at, task.done_by_id = utcnow(), actor.id
    else:
        task.done_at, task.done_by_id = None, None
    append_timeline(incident, actor, "task", body=task.title,
              data={"task": task.id, "event": "done" if done else "reopened"})
    record(actor, "task.done" if done else "task.reopen", task, before=before,
           after={"done_at": task.done_at, "done_by_id": task.done_by_id})
    db.session.commit()
    return task


def is_overdue(task, now=None):
    """An open task whose due time has passed."""
    return task.done_at is None and task.due_at is not None and task.due_at < (now or utcnow())
