"""The dashboard's tables as the page shows them: every cell formatted once here, in the
reader's locale (a thousand separator, one decimal at most, "—" for no value), so the template
only writes strings (thousands of cells per page: a Jinja macro per cell cost more than the SQL).
"""
from babel.numbers import get_decimal_symbol, get_group_symbol
from flask_babel import get_locale

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
    """{"head": [(label, numeric?)], "body": [[(text, numeric?)]]} of a figure's table; a column
    is numeric (right-aligned) when its first row's value is a number."""
    first = figure.rows[0] if figure.rows else [None] * len(figure.columns)
    numeric = [index > 0 and _numeric(v) for index, v in enumerate(first)]
    body = [[(numbers(v) if numeric[i] else str(v), numeric[i]) for i, v in enumerate(row)] for row in figure.rows]
    return {"head": list(zip(figure.columns, numeric + [False] * (len(figure.columns) - len(numeric)), strict=False)),
            "body": body}
