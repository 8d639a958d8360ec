"""Messages per event and language, rendered in the sandbox: context is data, never template."""
from csirt.notify import messages
from csirt.notify.models import Notification


def _render(app, event="incident.opened", locale="vi", **context):
    row = Notification(id=12, event=event, channel="email", address="a@x.vn", locale=locale, incident_id=5, user_id=3,
                       context={"reference": "LC-2026-0042", "title": "Tấn công DDoS", "severity": "critical",
                                **context})
    return messages.render(row, app.config)


def test_the_subject_is_short_and_starts_with_the_reference(app):
    message = _render(app, title="x" * 400)
    assert message.subject.startswith("[CSIRT] LC-2026-0042 Sự cố mới: ")
    assert len(message.subject) <= messages.SUBJECT_MAX and "\n" not in message.subject


def test_template_syntax_in_the_context_comes_out_literally(app):
    message = _render(app, title="{{ 7*7 }} {% for x in range(3) %}{{ x }}{% endfor %}")
    # the title's own lines (the signed ack link further down is random and may hold any digits)
    shown = "\n".join(line for line in message.text.splitlines() if "/ack/" not in line)
    assert "{{ 7*7 }}" in shown and "49" not in shown and "012" not in shown
    assert "{{ 7*7 }}" in message.subject and "49" not in message.subject


def test_an_unknown_event_uses_the_generic_template_in_the_right_language(app):
    english = _render(app, event="something.new", locale="en", summary="Disk full")
    assert english.subject.startswith("[CSIRT] LC-2026-0042 Notification:") and "Disk full" in english.text
    unknown_locale = _render(app, event="incident.resolved", locale="fr")
    assert "Đã khắc phục" in unknown_locale.subject


def test_only_acknowledgeable_events_carry_the_ack_link(app):
    assert "/ack/" in _render(app, event="escalation.step").text
    assert "/ack/" in _render(app, event="incident.assigned").text
    assert "/ack/" not in _render(app, event="incident.resolved").text


def test_a_digest_says_how_many_more_alerts_came(app):
    message = _render(app, event="incident.joined", more=7, latest_title="Quét cổng")
    assert "và 7 cảnh báo khác" in message.text and "Quét cổng" in message.text
    assert "<strong>7</strong>" in message.html


def test_the_webhook_body_carries_the_links_and_the_context(app):
    data = _render(app).data
    assert data["url"].endswith("/incidents/5") and "/ack/" in data["ack_url"]
    assert data["context"]["reference"] == "LC-2026-0042" and data["id"] == 12


def test_every_event_template_renders_with_an_empty_context_in_both_languages(app):
    events = sorted(p.stem for p in (messages.FOLDER / "vi").glob("*.j2") if not p.name.startswith("_"))
    for locale in messages.LOCALES:
        for event in events:
            row = Notification(id=1, event=event, channel="email", address="a@x.vn", locale=locale, context={})
            message = messages.render(row, app.config)
            assert message.subject.startswith("[CSIRT]") and message.text.strip(), (locale, event)
