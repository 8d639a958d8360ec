"""The catalogue and locale kept per context (`csirt/catalogue.py`) follow Flask-Babel's own
switches: `force_locale` for a block in another language, `refresh` after a change of language;
templates translate inside loops, escape what they insert, and format dates as Flask-Babel did."""
from datetime import datetime
from pathlib import Path

import flask_babel
from babel.support import Translations
from flask import render_template_string, session
from flask_babel import force_locale, gettext, lazy_gettext, ngettext

from csirt import catalogue
from csirt.templating import day_text, when

VI = Translations.load(str(Path(__file__).resolve().parent.parent / "csirt" / "translations"), ["vi"])


def test_the_kept_catalogue_follows_force_locale_and_comes_back(app):
    with app.test_request_context("/"):
        assert gettext("Dashboard") == VI.gettext("Dashboard") != "Dashboard"
        with force_locale("en"):
            assert gettext("Dashboard") == "Dashboard"
            assert str(lazy_gettext("Dashboard")) == "Dashboard"
            assert render_template_string("{{ _('Dashboard') }}") == "Dashboard"
            assert str(catalogue.locale()) == "en"
            with force_locale("vi"):  # nested
                assert gettext("Dashboard") == VI.gettext("Dashboard")
            assert gettext("Dashboard") == "Dashboard"
        assert gettext("Dashboard") == VI.gettext("Dashboard")
        assert render_template_string("{{ _('Dashboard') }}") == VI.gettext("Dashboard")
        assert str(catalogue.locale()) == "vi"


def test_refresh_after_a_change_of_language_reads_the_new_one(app):
    with app.test_request_context("/"):
        assert gettext("Close") == VI.gettext("Close")
        session["lang"] = "en"
        flask_babel.refresh()
        assert gettext("Close") == "Close"
        assert render_template_string("{{ _('Close') }}") == "Close"
        assert str(catalogue.locale()) == "en"


def test_outside_any_app_context_the_text_is_untranslated():
    assert catalogue.translations().ugettext("Dashboard") == "Dashboard"


def test_templates_translate_in_loops_count_and_escape(app):
    with app.test_request_context("/"):
        rendered = render_template_string(
            "{% for n in [1, 2] %}[{{ _('Close') }}|{{ ngettext('%(num)d incident matches.', "
            "'%(num)d incidents match.', n) }}]{% endfor %}"
            "{{ _('Linked to %(name)s', name='<b>x</b>') }}|{{ _('100%%') }}")
        one = VI.ngettext("%(num)d incident matches.", "%(num)d incidents match.", 1) % {"num": 1}
        two = VI.ngettext("%(num)d incident matches.", "%(num)d incidents match.", 2) % {"num": 2}
        close = VI.gettext("Close")
        linked = VI.gettext("Linked to %(name)s") % {"name": "&lt;b&gt;x&lt;/b&gt;"}
        assert rendered == f"[{close}|{one}][{close}|{two}]{linked}|100%"
        assert ngettext("%(num)d incident matches.", "%(num)d incidents match.", 2) == two


def test_dates_come_out_as_flask_babel_formats_them(app):
    moments = [datetime(2026, 1, 5, 17, 4, 9), datetime(2026, 8, 19, 0, 0), datetime(2025, 12, 31, 23, 59, 59)]
    for lang in ("vi", "en"):
        with app.test_request_context("/"), force_locale(lang):
            for moment in moments:
                for fmt in ("short", "medium"):
                    pattern = {"vi": {"short": "dd/MM/yyyy HH:mm", "medium": "dd/MM/yyyy HH:mm:ss"},
                               "en": {"short": "d MMM yyyy, HH:mm", "medium": "d MMM yyyy, HH:mm:ss"}}[lang][fmt]
                    assert when(moment, fmt) == flask_babel.format_datetime(moment, pattern)
                assert when(moment, "yyyy-MM-dd") == flask_babel.format_datetime(moment, "yyyy-MM-dd")
    with app.test_request_context("/"):
        assert when(datetime(2026, 1, 5, 17, 4)) == "06/01/2026 00:04"  # UTC+7, the province's zone
        assert when(None) == "—"


def test_days_come_out_as_flask_babel_formats_them(app):
    from datetime import date

    values = [date(2026, 1, 5), date(2026, 8, 19), datetime(2026, 12, 31, 18, 30)]  # the last: 1/1 in UTC+7
    for lang in ("vi", "en"):
        with app.test_request_context("/"), force_locale(lang):
            for value in values:
                for pattern in ("short", "medium", "MM/yyyy", "dd/MM", "dd/MM/yyyy", "EEE dd/MM"):
                    assert day_text(value, pattern) == flask_babel.format_date(value, pattern), (lang, value, pattern)
    with app.test_request_context("/"):
        assert day_text(datetime(2026, 12, 31, 18, 30), "dd/MM/yyyy") == "01/01/2027"
