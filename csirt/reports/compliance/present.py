"""The dashboard's two big tables as the page shows them: each row written once here (escaped),
so the template only places them. A manager's page holds 250 agency rows and 100 system rows:
a Jinja macro per cell cost several times the SQL of the page (see bench/README.md).

The agency rows give each layer's counts as four numbers in the order of the legend above the
table (valid · expiring · expired · missing), not four labelled badges: the same figures in a
fifth of the bytes.
"""
from flask import url_for
from markupsafe import Markup, escape

from ...catalogue import gettext as _
from ...templating import day_text
from ..manager.present import Numbers
from . import labels
from .figures import BY_CODE

STATUSES = tuple(BY_CODE[c] for c in sorted(BY_CODE))  # valid, expiring, expired, missing: the codes' order
# how a non-zero count of each status stands out in the agencies table (valid and missing: plain)
EMPHASIS = ("", "text-warning-emphasis", "text-danger", "")


def _html(text):
    """Markup of HTML written here: every value in it is a number or went through `escape`."""
    return Markup(text)  # noqa: S704 - see above


NONE = _html('<span class="text-body-secondary">—</span>')


def share(value, numbers):
    return NONE if value is None else _html(f"{numbers(value)}&nbsp;%")


def _counts(counts):
    parts = []
    for code, count in enumerate(counts):
        parts.append(f'<b class="{EMPHASIS[code]}">{count}</b>' if count and EMPHASIS[code] else str(count))
    return " · ".join(parts)


def agency_rows(agencies, numbers=None):
    """[Markup] of the rows of the agencies table."""
    numbers = numbers or Numbers()
    past_due = escape(_("%(n)s past due", n="\0")).split("\0")
    rows = []
    for a in agencies:
        late = (f' <small class="text-danger">({past_due[0]}{a.late_findings}{past_due[1]})</small>'
                if a.late_findings else "")
        layers = "".join(f"<td>{_counts(c)}</td>" for c in a.counts)  # no wrap: app.css
        rows.append(_html(
            f'<tr data-agency="{a.id}"><th scope="row" class="fw-normal">{escape(a.name)}</th>'
            f'<td class="text-end">{a.systems}</td><td class="text-end">{share(a.share, numbers)} '
            f'<small class="text-body-secondary">({a.all_valid})</small></td>{layers}'
            f'<td class="text-end">{a.overdue_assessments}</td><td class="text-end">{a.open_findings}{late}</td></tr>'))
    return rows


def total_counts(counts):
    """A layer's counts in the table's total row."""
    return _html(_counts(counts))


def legend():
    """The order of the four numbers of a layer, with the status words."""
    return _html(" · ".join(f'<b class="{EMPHASIS[c]}">{escape(labels.status_label(s))}</b>'
                             if EMPHASIS[c] else str(escape(labels.status_label(s)))
                             for c, s in enumerate(STATUSES)))


def system_rows(systems):
    """[Markup] of the rows of the matrix."""
    link = url_for("systems.view", system_id=987654321).replace("987654321", "{}")
    badges = {s: _html(f'<span class="badge {labels.BADGES[s]}" data-status="{s}">'
                        f'{escape(labels.status_label(s))}</span>') for s in STATUSES}
    by_code = [badges[s] for s in STATUSES]
    flag = _html(f'<br><span class="badge text-bg-danger" data-flag="not-independent">{escape(_("Not independent"))}'
                  '</span>')
    overdue = _html(f' <span class="badge text-bg-danger" data-flag="overdue">{escape(_("Overdue"))}</span>')
    never = escape(_("Never assessed"))
    past_due = escape(_("%(n)s past due", n="\0")).split("\0")
    days = {}
    rows = []
    for s in systems:
        cells = []
        for n, code in enumerate(s.codes, start=1):
            extra = flag if n == 3 and s.independent is False else ""
            cells.append(f'<td data-layer="{n}">{by_code[code]}{extra}</td>')
        if s.assessment_due:
            due = days.get(s.assessment_due)
            if due is None:
                due = days[s.assessment_due] = escape(day_text(s.assessment_due, "short"))
        else:
            due = "—" if s.last_assessed else never
        late = (f' <small class="text-danger">({past_due[0]}{s.late_findings}{past_due[1]})</small>'
                if s.late_findings else "")
        rows.append(_html(
            f'<tr data-system="{escape(s.code)}"><td>{escape(s.agency_name)}</td>'
            f'<th scope="row" class="fw-normal"><a href="{link.format(s.id)}">{escape(s.code)}</a> '
            f'<small class="text-body-secondary">{escape(s.name)}</small></th><td>{s.level}</td>{"".join(cells)}'
            f'<td class="text-nowrap">{due}{overdue if s.assessment_overdue else ""}</td>'
            f'<td class="text-end">{s.open_findings}{late}</td></tr>'))
    return rows
