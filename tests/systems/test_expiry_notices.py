"""A layer about to lapse is notified once to the coordinators and the owner agency's members."""
from datetime import date

from csirt.notify.models import Notification
from csirt.systems import expiry_notices
from csirt.systems.models import LayerRecord

from .layer_fixtures import TODAY, at_noon, system


def _record(db, owner_system, layer, valid_to, actor, **kw):
    row = LayerRecord(system_id=owner_system.id, layer=layer, provider=kw.pop("provider", "Công ty ATTT"),
                      valid_from=date(2026, 1, 1), valid_to=valid_to, created_by_id=actor.id, **kw)
    db.session.add(row)
    db.session.commit()
    return row


def _notices(db):
    return sorted((n.user_id, n.context["layer"], n.context["expired"]) for n in db.session.execute(
        db.select(Notification).where(Notification.event == "layer.expiring")).scalars())


def test_expiring_and_expired_layers_are_notified_once_to_those_who_renew_them(db, make):
    at_noon()
    owner, other = make.agency(code="SYT"), make.agency(code="STC")
    coordinator = make.user("coordinator", email="dp@csirt.example")
    liaison = make.user("member", agency_obj=owner, email="lien@syt.example")
    make.user("member", agency_obj=other, email="khac@stc.example")  # another agency: not told
    make.user("responder", email="ung.cuu@csirt.example")  # responders are not the renewers
    portal = system(owner)
    _record(db, portal, 2, date(2026, 12, 20), coordinator)   # within the 30-day window
    _record(db, portal, 3, date(2026, 11, 30), coordinator)   # already lapsed
    _record(db, portal, 4, date(2027, 6, 30), coordinator)    # far off: nothing
    _record(db, portal, 1, None, coordinator)                 # open-ended: nothing
    assert expiry_notices.run() == 4
    db.session.commit()
    assert _notices(db) == sorted([(coordinator.id, 2, False), (liaison.id, 2, False),
                                   (coordinator.id, 3, True), (liaison.id, 3, True)])
    assert expiry_notices.run() == 0  # the next look writes nothing again
    db.session.commit()
    assert len(_notices(db)) == 4


def test_a_renewed_layer_is_not_notified(db, make):
    at_noon()
    owner = make.agency(code="SYT")
    coordinator = make.user("coordinator", email="dp@csirt.example")
    portal = system(owner)
    _record(db, portal, 2, date(2026, 12, 20), coordinator)
    renewal = LayerRecord(system_id=portal.id, layer=2, provider="Công ty ATTT", valid_from=TODAY,
                          valid_to=date(2027, 12, 20), created_by_id=coordinator.id)
    db.session.add(renewal)
    db.session.commit()
    assert expiry_notices.run() == 0
