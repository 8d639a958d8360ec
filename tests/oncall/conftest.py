"""A small team and a two-layer daily rotation, with the clock at a known moment."""
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from werkzeug.security import generate_password_hash

from csirt.clock import freeze
from csirt.oncall import services
from tests import factories

# A cheaper scrypt cost than the factories' hash: the route matrix logs in a hundred times.
CHEAP_HASH = generate_password_hash(factories.PASSWORD, method="scrypt:1024:8:1")

# Tuesday 8 December 2026, 10:00 in Hà Nội (03:00 UTC): the rotation started on Monday the 7th.
NOW = datetime(2026, 12, 8, 3, 0)


def rotation_data(people, **over):
    data = {"key": "responders", "name": "Trực ứng cứu", "description": "", "time_zone": "Asia/Ho_Chi_Minh",
            "handover_time": "08:00", "shift_kind": "daily", "shift_hours": None, "starts_on": date(2026, 12, 7),
            "active": True,
            "layers": [{"name": "primary", "members": [people.an.id, people.binh.id, people.chi.id]},
                       {"name": "secondary", "members": [people.dung.username]}]}
    data.update(over)
    return data


@pytest.fixture
def people(app, make, db):
    freeze(NOW)
    unit = make.agency(code="CSIRT", name="Đơn vị chuyên trách", kind="dedicated_unit")
    other = make.agency(code="SYT", name="Sở Y tế")
    people = SimpleNamespace(
        admin=make.user("admin", unit, username="admin1", full_name="Quản trị viên"),
        coordinator=make.user("coordinator", unit, username="dieu.phoi", full_name="Nguyễn Điều Phối"),
        manager=make.user("manager", unit, username="lanh.dao", full_name="Lãnh Đạo"),
        an=make.user("responder", unit, username="an", full_name="Trần Văn An"),
        binh=make.user("responder", unit, username="binh", full_name="Lê Thị Bình"),
        chi=make.user("responder", unit, username="chi", full_name="Phạm Minh Chi"),
        dung=make.user("coordinator", unit, username="dung", full_name="Đỗ Văn Dũng"),
        liaison=make.user("member", other, username="lien.lac", full_name="Đầu Mối Sở Y tế"),
        gone=make.user("responder", unit, username="da.nghi", full_name="Người Đã Nghỉ", active=False),
    )
    for user in vars(people).values():
        user.password_hash = CHEAP_HASH
    db.session.commit()
    return people


@pytest.fixture
def rotation(people):
    return services.create_rotation(people.coordinator, rotation_data(people))


@pytest.fixture
def paging(app, db, tmp_path, people, rotation):
    """The team with e-mail addresses and the paging playbook of escalation_support.py in force."""
    from .escalation_support import write

    for user in vars(people).values():
        user.email = f"{user.username}@so-tt.example"
    db.session.commit()
    return write(app, tmp_path / "playbooks")
