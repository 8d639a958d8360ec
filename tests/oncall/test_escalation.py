"""Escalation step by step with a controlled clock, and what stops it: acknowledgement, closing."""
import threading

import pytest

from csirt.alerts import intake
from csirt.clock import freeze
from csirt.incidents import services as incident_services
from csirt.incidents.models import Incident, TimelineEntry
from csirt.notify.models import Notification
from csirt.oncall import ack, escalation
from csirt.oncall.escalation_models import Escalation

from .conftest import NOW
from .escalation_support import minutes, page


def _open(db, people):
    [outcome] = intake.ingest(people.admin, [page(NOW)])
    assert outcome.status == "opened"
    return db.session.get(Incident, outcome.incident_id)


def _sent(db, incident, event):
    return [(n.user_id, n.channel) for n in db.session.execute(
        db.select(Notification).where(Notification.incident_id == incident.id, Notification.event == event)
        .order_by(Notification.id)).scalars()]


def _steps(db, incident):
    return [e.data["step"] for e in db.session.execute(
        db.select(TimelineEntry).where(TimelineEntry.incident_id == incident.id, TimelineEntry.kind == "escalation")
        .order_by(TimelineEntry.id)).scalars()]


def test_the_on_call_person_gets_the_incident_and_its_first_message(db, people, paging):
    incident = _open(db, people)
    # Tuesday 10:00 in Hà Nội: day 2 of the daily rotation that began Monday 08:00 → Bình
    assert incident.assignee_id == people.binh.id
    assert _sent(db, incident, "incident.opened") == [(people.binh.id, "email")]
    row = db.session.execute(db.select(Escalation).where(Escalation.incident_id == incident.id)).scalar_one()
    assert (row.status, row.next_at, row.repeat) == ("active", minutes(NOW, 15), 1)


def test_each_step_fires_at_its_time_then_the_round_repeats_then_it_ends(db, people, paging):
    incident = _open(db, people)
    freeze(minutes(NOW, 14.99))
    assert escalation.run_due() == 0
    freeze(minutes(NOW, 15))
    assert escalation.run_due() == 1
    assert _sent(db, incident, "escalation.step") == [(people.dung.id, "email")]  # the secondary layer
    assert escalation.run_due() == 0  # fired once, not again at the same instant
    freeze(minutes(NOW, 45))
    assert escalation.run_due() == 1
    assert _sent(db, incident, "escalation.step")[1:] == [(people.manager.id, "email")]
    # the second round starts when the first ended (45 min): its steps at 60 and 90 min
    freeze(minutes(NOW, 59))
    assert escalation.run_due() == 0
    freeze(minutes(NOW, 60))
    assert escalation.run_due() == 1
    freeze(minutes(NOW, 90))
    assert escalation.run_due() == 1
    freeze(minutes(NOW, 600))
    assert escalation.run_due() == 0
    assert _steps(db, incident) == [1, 2, 3, 4]
    row = db.session.execute(db.select(Escalation).where(Escalation.incident_id == incident.id)).scalar_one()
    assert (row.status, row.next_at, row.fired) == ("done", None, 4)


def test_an_acknowledgement_stops_the_escalation_and_is_on_the_timeline(db, people, paging):
    incident = _open(db, people)
    freeze(minutes(NOW, 15))
    escalation.run_due()
    freeze(minutes(NOW, 20))
    assert ack.acknowledge(people.binh, incident, via="page") is True
    assert ack.acknowledge(people.dung, incident, via="page") is False  # the first one counts
    freeze(minutes(NOW, 600))
    assert escalation.run_due() == 0
    assert _steps(db, incident) == [1]
    db.session.refresh(incident)
    assert (incident.acknowledged_by_id, incident.acknowledged_at) == (people.binh.id, minutes(NOW, 20))
    entry = db.session.execute(db.select(TimelineEntry).where(
        TimelineEntry.incident_id == incident.id, TimelineEntry.kind == "acknowledged")).scalar_one()
    assert entry.author_id == people.binh.id
    assert entry.data == {"via": "page", "seconds": 20 * 60, "escalation_stopped": True}
    row = db.session.execute(db.select(Escalation).where(Escalation.incident_id == incident.id)).scalar_one()
    assert (row.status, row.stop_reason) == ("acknowledged", "acknowledged")


def test_a_liaison_may_not_acknowledge(db, people, paging):
    from csirt.errors import Forbidden

    incident = _open(db, people)
    with pytest.raises(Forbidden):
        ack.acknowledge(people.liaison, incident)
    db.session.refresh(incident)
    assert incident.acknowledged_at is None


def test_closing_the_incident_stops_the_escalation_before_its_next_step(db, people, paging):
    incident = _open(db, people)
    freeze(minutes(NOW, 5))
    incident_services.change_status(people.coordinator, incident, "rejected", note="false alarm",
                                    reason="false_positive")
    freeze(minutes(NOW, 600))
    assert escalation.run_due() == 0
    assert _steps(db, incident) == []
    row = db.session.execute(db.select(Escalation).where(Escalation.incident_id == incident.id)).scalar_one()
    assert (row.status, row.stop_reason) == ("closed", "closed")


def test_an_alert_that_joins_is_folded_into_the_waiting_message(db, people, paging):
    incident = _open(db, people)
    for n in range(1, 6):
        [outcome] = intake.ingest(people.admin, [page(minutes(NOW, n), fingerprint=f"fp-{n}")])
        assert (outcome.status, outcome.incident_id) == ("joined", incident.id)
    rows = db.session.execute(db.select(Notification).where(Notification.event == "incident.joined")).scalars().all()
    assert len(rows) == 1 and rows[0].context["more"] == 4  # the first, then four more folded into it


def test_two_schedulers_at_once_fire_each_step_once(app, db, people, paging):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; on SQLite one scheduler runs under the lease")
    incidents = [intake.ingest(people.admin, [page(NOW, fingerprint=f"x{n}", host=f"h{n}")])[0].incident_id
                 for n in range(6)]
    freeze(minutes(NOW, 15))
    counts, barrier = [], threading.Barrier(2)

    def worker():
        with app.app_context():
            barrier.wait()
            counts.append(escalation.run_due())
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 6
    for ident in incidents:
        assert _steps(db, db.session.get(Incident, ident)) == [1]
