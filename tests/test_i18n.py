"""Translations: every message has its Vietnamese text, the catalog follows the code, pages and
dates come out in the user's language and the province's time zone.

When a test here fails after code or templates changed, run `scripts/i18n.sh` (extract, update,
compile) and translate the new entries of csirt/translations/vi/LC_MESSAGES/messages.po.
"""
import gettext
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po
from flask_babel import force_locale

from tests.conftest import csrf_from

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "csirt" / "translations"
POT = TRANSLATIONS / "messages.pot"
VI_PO = TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po"
SCRIPT = ROOT / "scripts" / "i18n.sh"
FIX = "run scripts/i18n.sh, then translate the new entries of csirt/translations/vi/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]")


def _read(path):
    with open(path, "rb") as f:
        return read_po(f)


def _key(message):
    msgid = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
    return message.context, msgid


def _texts(value):
    return list(value) if isinstance(value, (tuple, list)) else [value]


def _placeholders(text):
    return sorted(PLACEHOLDER.findall(text or ""))


def _script_keywords():
    """The keywords of scripts/i18n.sh (its `-k` options), on top of Babel's defaults."""
    found = re.findall(r"(?:^|\s)-k\s+(\S+)", SCRIPT.read_text(encoding="utf-8"))
    return {**DEFAULT_KEYWORDS, **parse_keywords(found)}


# --- (a) the Vietnamese catalog is complete -------------------------------------------------

def test_every_message_of_the_template_has_a_checked_vietnamese_translation():
    pot, vi = _read(POT), _read(VI_PO)
    translated = {_key(m): m for m in vi if m.id}
    problems = []
    for message in pot:
        if not message.id:
            continue
        entry = translated.get(_key(message))
        if entry is None:
            problems.append(f"missing from vi/messages.po: {message.id!r}")
        elif entry.fuzzy:
            problems.append(f"fuzzy (check it, then remove the flag): {message.id!r}")
        elif not all(s.strip() for s in _texts(entry.string)):
            problems.append(f"not translated: {message.id!r}")
    assert not problems, f"{len(problems)} problem(s); {FIX}:\n" + "\n".join(problems)


def test_translations_keep_the_placeholders_of_their_message():
    vi = _read(VI_PO)
    problems = []
    for message in vi:
        if not message.id or not message.string:
            continue
        ids = _texts(message.id)
        for text in _texts(message.string):
            if text and _placeholders(text) != _placeholders(ids[-1]):
                problems.append(f"{message.id!r} -> {text!r}")
    assert not problems, "placeholders differ between msgid and msgstr:\n" + "\n".join(problems)


def test_the_vietnamese_catalog_passes_babels_checks():
    vi = _read(VI_PO)
    assert vi.locale is not None and str(vi.locale) == "vi"
    assert not vi.fuzzy, "the header of vi/messages.po is marked fuzzy: pybabel compile would skip it"
    errors = [(m.id, [str(e) for e in errs]) for m, errs in vi.check() if errs]
    assert not errors, errors


def test_the_compiled_vietnamese_catalog_matches_the_po_file():
    mo = VI_PO.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run `make translations` or scripts/i18n.sh"
    with open(mo, "rb") as f:
        compiled = gettext.GNUTranslations(f)
    stale = []
    for message in _read(VI_PO):
        if not message.id or message.fuzzy or isinstance(message.id, (tuple, list)) or not message.string:
            continue
        found = compiled.pgettext(message.context, message.id) if message.context else compiled.gettext(message.id)
        if found != message.string:
            stale.append(message.id)
    assert not stale, f"{mo.name} is older than the .po file ({len(stale)} entries differ): run scripts/i18n.sh"


# --- (b) the template follows the code ------------------------------------------------------

def test_the_message_template_contains_every_message_of_the_code_and_templates():
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = _script_keywords()
    assert {"_l", "lazy_gettext"} <= set(keywords), "scripts/i18n.sh must extract _l and lazy_gettext"
    known = {_key(m) for m in _read(POT) if m.id}
    missing = set()
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        msgid = message[0] if isinstance(message, (tuple, list)) else message
        if msgid and (context, msgid) not in known:
            missing.add(f"{filename}:{lineno}: {msgid!r}")
    assert not missing, (f"csirt/translations/messages.pot is out of date; {FIX}.\n"
                         + "\n".join(sorted(missing)))


# --- (c) pages in the default language and after switching ---------------------------------

def test_the_login_page_is_vietnamese_by_default_and_english_after_switching(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="vi"' in html
    assert "Đăng nhập" in html  # 'Log in'
    assert "Tên đăng nhập" in html and "Mật khẩu" in html  # the form's labels
    assert ">Log in<" not in html

    response = client.post("/lang", data={"lang": "en", "next": "/login", "csrf_token": csrf_from(html)})
    assert response.status_code == 302
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in html
    assert "Log in" in html and "User name" in html
    assert "Đăng nhập" not in html


def test_the_language_switch_ignores_unknown_languages(client):
    html = client.get("/login").get_data(as_text=True)
    client.post("/lang", data={"lang": "fr", "csrf_token": csrf_from(html)})
    assert 'lang="vi"' in client.get("/login").get_data(as_text=True)


def test_the_please_log_in_message_is_translated(client):
    response = client.get("/incidents")  # (the isolated test client cannot follow redirects itself)
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Vui lòng đăng nhập để xem trang này." in html
    assert "Please log in to see this page." not in html


def test_an_empty_login_form_says_what_is_missing_in_vietnamese(client):
    html = client.get("/login").get_data(as_text=True)
    html = client.post("/login", data={"username": "", "password": "", "csrf_token": csrf_from(html)}
                       ).get_data(as_text=True)
    assert "Trường này là bắt buộc." in html
    assert "This field is required." not in html


# --- (d) dates in the province's time zone --------------------------------------------------

@pytest.mark.parametrize("locale, day", [("vi", "02/01/2026"), ("en", "2 Jan 2026")])
def test_dates_are_shown_in_the_provinces_time_zone(app, locale, day):
    from csirt.templating import when

    utc = datetime(2026, 1, 1, 17, 30)  # naive UTC, as stored: 00:30 on 2 January in UTC+7
    with app.test_request_context(), force_locale(locale):
        shown = when(utc)
        assert "2026" in shown and "00:30" in shown and day in shown, shown
        assert "17:30" not in shown and "5:30" not in shown
        assert "00:30:00" in when(utc, "medium")
    assert when(None) == "—"


# --- (e) no English left on the everyday pages ----------------------------------------------

class _VisibleText(HTMLParser):
    """The text people read: text nodes and the attributes shown or spoken."""

    SHOWN = ("placeholder", "aria-label", "title", "alt")

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        self.parts.extend(v for k, v in attrs if k in self.SHOWN and v)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def _visible(html):
    parser = _VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


COMMON_ENGLISH = ["Incidents", "Log an incident", "Status", "Severity", "Priority", "Category", "Agency",
                  "Assignee", "Discovered at", "Reference", "Title", "Search", "Filter", "Export CSV", "Sort",
                  "All", "Team", "Agencies", "Information systems", "Log out", "Change password", "My profile",
                  "New", "Ordinary", "Spoofing", "incidents match", "Incident response team of"]


def test_the_incident_list_has_no_untranslated_english_in_vietnamese(client, auth, make):
    coordinator = make.user("coordinator")
    make.incident(actor=coordinator, title="Thư lừa đảo gửi tới cán bộ")
    auth.login(coordinator)
    text = _visible(client.get("/incidents").get_data(as_text=True))
    left = [s for s in COMMON_ENGLISH if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text)]
    assert not left, f"untranslated on /incidents: {left}; {FIX}"
    for vietnamese in ("Sự cố", "Ghi nhận sự cố", "Trạng thái", "Mới", "Tấn công giả mạo", "Người phụ trách"):
        assert vietnamese in text


def test_the_incident_list_is_english_for_an_english_user(client, auth, make):
    coordinator = make.user("coordinator", locale="en")
    make.incident(actor=coordinator)
    auth.login(coordinator)
    text = _visible(client.get("/incidents").get_data(as_text=True))
    assert "Log an incident" in text and "Status" in text and "Spoofing" in text
    assert "Trạng thái" not in text
