"""What a review of on-call found, each closed by a test: only those who may acknowledge can be on
call, a numeric user name is a name, pages to the person on call and escalation steps go through
quiet hours, and a repeating ladder needs a round of at least a minute."""
from datetime import time

import pytest

from csirt.alerts import intake
from csirt.clock import freeze
from csirt.errors import ValidationError
from csirt.notify.models import Notification, NotifyPreference
from csirt.oncall import escalation, services

from .conftest import NOW, rotation_data
from .escalation_support import minutes, page


def test_a_manager_cannot_be_put_on_call_as_they_could_not_acknowledge(db, people):
    with pytest.raises(ValidationError):
        services.create_rotation(people.coordinator, rotation_data(people, layers=[
            {"name": "primary", "members": [people.manager.username]}]))


def test_a_user_name_made_of_digits_is_a_user_name_not_an_id(db, make, people):
    numbered = make.user("responder", people.an.agency, username="1042", full_name="Nhân viên 1042")
    # a user whose id is 1042 may exist or not: the text "1042" must mean the user named 1042
    rotation = services.create_rotation(people.coordinator, rotation_data(people, layers=[
        {"name": "primary", "members": ["1042", str(people.binh.username)]}]))
    members = [m.user_id for m in rotation.layers[0].members]
    assert members == [numbered.id, people.binh.id]


def _quiet(db, *users):
    for user in users:
        db.session.add(NotifyPreference(user_id=user.id, quiet_start=time(9, 0), quiet_end=time(12, 0),
                                        time_zone="Asia/Ho_Chi_Minh"))
    db.session.commit()


def _rows(db, event):
    return {n.user_id: n.next_attempt_at for n in db.session.execute(
        db.select(Notification).where(Notification.event == event)).scalars()}


def test_the_person_on_call_and_the_escalation_page_through_quiet_hours(db, people, paging):
    _quiet(db, people.binh, people.dung)  # 10:00 in Hà Nội is inside 09:00–12:00
    [outcome] = intake.ingest(people.admin, [page(NOW, severity="high")])  # an ordinary incident, P3
    assert _rows(db, "incident.opened") == {people.binh.id: NOW}  # on call: not held to 12:00
    freeze(minutes(NOW, 15))
    assert escalation.run_due() == 1
    assert _rows(db, "escalation.step") == {people.dung.id: minutes(NOW, 15)}


def test_a_repeating_ladder_needs_a_round_of_a_minute_at_least(tmp_path):
    from csirt.alerts.playbooks.registry import load_dir

    from ..alerts.playbook_helpers import minimal, write

    write(tmp_path, "a.yaml", minimal("a", extra=(
        "actions:\n  - escalate:\n      steps: [{after: 30s, to: [assignee], channels: [email]}]\n"
        "      repeat: 3\n")))
    result = load_dir(tmp_path)
    assert result.playbooks == ()
    assert any("at least 1m" in e.message for e in result.errors)
