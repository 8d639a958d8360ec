"""One national form filled for one incident, as plain data that the .docx writer (`docx.py`) and
the PDF template (templates/national/form_pdf.html) both lay out. Built in the language asked
(`export.py` wraps it in `force_locale`), so every label is translated here."""
from dataclasses import dataclass

from ...catalogue import gettext as _
from ...clock import utc_to_local
from ...incidents.facts import facts_for
from . import facts as known_facts
from . import forms

LANGUAGES = ("vi", "en")


@dataclass
class Filled:
    form: forms.Form
    incident: object
    lang: str
    country: str  # "SOCIALIST REPUBLIC OF VIETNAM"
    motto: str  # "Independence - Freedom - Happiness"
    agency: str  # the reporting agency, top left
    number: str  # "Form 03"
    title: str
    subject: str | None  # the e-mail subject ([TBSC] ...), Form 03
    reference: str  # "Incident reference: ..."
    own_layout: str | None  # the note shown on 2026-regime reports
    sections: list  # [(heading, [(label, value)])]
    place_date: str
    signature: str


def _own_layout_note(incident):
    if known_facts.is_official(incident):
        return None
    return _("This report follows csirt's own layout: the official report forms of the 2026 regime "
             "(Decree 331/2026/NĐ-CP) have not been issued yet. It holds the same facts as the 2017 form.")


def build(form, incident, now, lang):
    """The filled `form` for `incident` at `now` (naive UTC) in `lang`."""
    row = facts_for(incident)
    known = known_facts.known(incident, now)
    values = forms.values(form, known, row)
    values["report_time"] = known.get("report_time", "")
    sections = [(str(heading), [(str(f.label), forms.shown(f, values.get(f.key, ""))) for f in fields])
                for heading, fields in form.sections]
    official = known_facts.is_official(incident)
    day = utc_to_local(now)
    agency = values.get("reporter_agency") or incident.agency.name
    return Filled(
        form=form, incident=incident, lang=lang,
        country=_("SOCIALIST REPUBLIC OF VIETNAM"), motto=_("Independence - Freedom - Happiness"),
        agency=agency, number=_("Form %(number)s", number=form.number),
        title=str(form.title if official else form.title_own),
        subject=forms.email_subject(form, incident),
        reference=_("Incident reference: %(ref)s", ref=incident.reference),
        own_layout=_own_layout_note(incident), sections=sections,
        place_date=_("Made on %(date)s", date=day.strftime("%d/%m/%Y")),
        signature=_("Head of the reporting agency (signature, full name, seal)"),
    )
