"""A small dataset whose Form 05 figures are counted by hand (see EXPECTED).

Period: the first half of 2026 in Hanoi time, 1/1/2026 00:00 (+07) = 31/12/2025 17:00 UTC to
30/6/2026 24:00 (+07) = 30/6/2026 17:00 UTC. Agencies A and B.
"""
from datetime import datetime
from types import SimpleNamespace

import pytest

from csirt.clock import freeze
from csirt.incidents.duty_models import IncidentFacts
from csirt.incidents.models import Incident

NOW = datetime(2026, 7, 10, 3, 0)  # naive UTC, 10/7/2026 10:00 in Hanoi

# (agency, category, handled_with (None: facts row without an answer; "-": no facts row), status,
#  discovered at (naive UTC), note)
INCIDENTS = [
    ("A", "malware", "in_house", "closed", datetime(2026, 2, 1, 2, 0), "counted"),
    ("A", "malware", "domestic", "triaged", datetime(2026, 3, 1, 2, 0), "counted"),
    ("A", "malware", None, "new", datetime(2026, 3, 2, 2, 0), "counted: not stated"),
    ("A", "dos", "-", "new", datetime(2026, 4, 1, 2, 0), "counted: not stated (no facts row)"),
    ("B", "malware", "foreign", "contained", datetime(2026, 5, 1, 2, 0), "counted"),
    ("B", "ransomware", "coordinator", "closed", datetime(2026, 6, 30, 16, 59), "30/6 23:59 Hanoi: in"),
    ("B", "defacement", "in_house", "closed", datetime(2026, 6, 30, 17, 0), "1/7 00:00 Hanoi: out"),
    ("A", "spoofing", "in_house", "rejected", datetime(2026, 2, 2, 2, 0), "rejected: not counted"),
    ("B", "data_theft", "domestic", "closed", datetime(2025, 12, 31, 17, 0), "1/1 00:00 Hanoi: in"),
    ("A", "other", "in_house", "closed", datetime(2025, 12, 31, 16, 59), "31/12/2025 23:59 Hanoi: out"),
]

ZERO = {"in_house": 0, "domestic": 0, "foreign": 0, "coordinator": 0, "not_stated": 0}


def handled(**counts):
    return {**ZERO, **counts}


# category: (total, handled) for a reader of everything
EXPECTED_ALL = {
    "malware": (4, handled(in_house=1, domestic=1, foreign=1, not_stated=1)),
    "dos": (1, handled(not_stated=1)),
    "ransomware": (1, handled(coordinator=1)),
    "data_theft": (1, handled(domestic=1)),
}
TOTAL_ALL = (7, handled(in_house=1, domestic=2, foreign=1, coordinator=1, not_stated=2))
EXPECTED_A = {"malware": (3, handled(in_house=1, domestic=1, not_stated=1)), "dos": (1, handled(not_stated=1))}
TOTAL_A = (4, handled(in_house=1, domestic=1, not_stated=2))
EXPECTED_B = {"malware": (1, handled(foreign=1)), "ransomware": (1, handled(coordinator=1)),
              "data_theft": (1, handled(domestic=1))}
TOTAL_B = (3, handled(domestic=1, foreign=1, coordinator=1))


@pytest.fixture
def dataset(app, db, make):
    freeze(NOW)
    a = make.agency(code="SNV", name="Sở Nội vụ")
    b = make.agency(code="SYT", name="Sở Y tế")
    agencies = {"A": a, "B": b}
    manager = make.user("manager", agency_obj=make.agency(code="CSIRT", name="Đơn vị chuyên trách"),
                        full_name="Nguyễn Văn Quản", email="quanly@example.gov.vn")
    liaison_a = make.user("member", agency_obj=a, full_name="Đầu mối Nội vụ")
    liaison_b = make.user("member", agency_obj=b, full_name="Đầu mối Y tế")
    rows = []
    for n, (agency, category, how, status, discovered, _note) in enumerate(INCIDENTS, start=1):
        incident = Incident(reference=f"SC-2026-{n:03d}", title=f"Sự cố số {n} – tấn công", category=category,
                            status=status, agency_id=agencies[agency].id, reporter_id=manager.id,
                            discovered_at=discovered, reported_at=discovered, created_at=discovered,
                            updated_at=discovered, closed_at=discovered if status == "closed" else None)
        db.session.add(incident)
        db.session.flush()
        if how != "-":
            db.session.add(IncidentFacts(incident_id=incident.id, handled_with=how,
                                         damage_estimate="Thiệt hại khoảng 10 triệu đồng" if n == 1 else ""))
        rows.append(incident)
    db.session.commit()
    return SimpleNamespace(a=a, b=b, manager=manager, liaison_a=liaison_a, liaison_b=liaison_b, incidents=rows)


def as_counts(form):
    """{category: (total, handled)} of the non-empty rows, and the totals."""
    rows = {r.category: (r.total, r.handled) for r in form.rows if r.total}
    return rows, (form.totals.total, form.totals.handled)
