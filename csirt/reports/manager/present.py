"""The dashboard's tables as the page shows them: every cell formatted once here, in the
reader's locale (a thousand separator, one decimal at most, "—" for no value), so the template
only writes strings (thousands of cells per page: a Jinja macro per cell cost more than the SQL).
"""
from babel.numbers import get_decimal_symbol, get_group_symbol
from markupsafe import Markup, escape

from ...catalogue import locale as get_locale

NONE = "—"


class Numbers:
    """Formats numbers like the `decimal` template filter ("1.234,5" in Vietnamese)."""

    def __init__(self, locale=None):
        locale = locale or get_locale()
        self.decimal, self.group = get_decimal_symbol(locale), get_group_symbol(locale)

    def __call__(self, value):
        if value is None:
            return NONE
        if isinstance(value, int):
            text = f"{value:,}"
        else:
            text = f"{value:,.1f}"
            if text.endswith(".0"):
                text = text[:-2]
        return text.replace(",", "\0").replace(".", self.decimal).replace("\0", self.group)


def _numeric(value):
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def table(figure, numbers):
    """{"head": [(label, numeric?)], "rows": [Markup of a <tr>]} of a figure's table; a column
    is numeric (right-aligned) when its first row's value is a number. Each row is written here
    (its text escaped): a Jinja loop over every cell cost a page with 50 agencies × 12 months
    more than its SQL."""
    first = figure.rows[0] if figure.rows else [None] * len(figure.columns)
    numeric = [index > 0 and _numeric(v) for index, v in enumerate(first)]
    rows = []
    for row in figure.rows:
        cells = []
        for i, v in enumerate(row):
            if i == 0:
                cells.append(f'<th scope="row" class="fw-normal">{escape(str(v))}</th>')
            elif numeric[i]:
                cells.append(f'<td class="text-end text-nowrap">{escape(numbers(v))}</td>')
            else:
                cells.append(f"<td>{escape(str(v))}</td>")
        rows.append(Markup(f"<tr>{''.join(cells)}</tr>"))  # noqa: S704 - every cell escaped above
    return {"head": list(zip(figure.columns, numeric + [False] * (len(figure.columns) - len(numeric)), strict=False)),
            "rows": rows}
