"""The incident list: filters, sorts, keyset pages that never skip or repeat a row, clear errors for
bad arguments (page, API and export alike), a CSV export safe for spreadsheets, and a constant
number of SQL statements per page."""
import csv
import html
import io
import itertools
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext

from csirt.auth import tokens
from csirt.clock import utcnow
from csirt.errors import ValidationError
from csirt.incidents import listing
from csirt.incidents.listing import ListQuery, _encode_cursor
from csirt.incidents.models import Incident
from tests.conftest import Auth, recorded_statements

_refs = itertools.count(1)


def insert(db, agency, reporter, **attrs):
    """One incident row with exactly the given attributes (the list is what is under test)."""
    now = utcnow()
    values = {"reference": f"L-{next(_refs):06d}", "title": "Sự cố", "category": "malware", "status": "new",
              "severity": "ordinary", "priority": "P3", "agency_id": agency.id, "reporter_id": reporter.id,
              "discovered_at": now - timedelta(days=1), "reported_at": now, "created_at": now, "updated_at": now}
    values.update(attrs)
    row = Incident(**values)
    db.session.add(row)
    db.session.commit()
    return row


def ids(user, **args):
    """The ids of every incident the list shows `user` for these query arguments (all pages)."""
    lq = ListQuery.from_args({"limit": "200", **args})
    return {i.id for i in listing.page(user, lq).items}


def app_text(app, msgid, locale="vi", **kw):
    with app.test_request_context(), force_locale(locale):
        return gettext(msgid, **kw)


def api_headers(user):
    _row, secret = tokens.create_token(None, user, "kiểm thử", ["incidents:read"])
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def world(db, make):
    """Two agencies, a few workers and a varied set of incidents."""
    a, b = make.agency(), make.agency()
    boss = make.user("coordinator", agency_obj=a)
    ann, bob = make.user("responder", agency_obj=a), make.user("responder", agency_obj=b)
    rows = {
        "new_a": insert(db, a, boss, status="new", severity="serious", category="ransomware", assignee_id=ann.id,
                        title="Mã hóa dữ liệu kế toán"),
        "triaged_a": insert(db, a, boss, status="triaged", category="spoofing", assignee_id=bob.id,
                            title="Thư giả mạo Giám đốc", description="Gửi tới 30 cán bộ"),
        "closed_a": insert(db, a, boss, status="closed", category="malware", title="Mã độc trên máy trạm",
                           closed_at=utcnow()),
        "rejected_b": insert(db, b, boss, status="rejected", category="other", title="Cảnh báo nhầm",
                             reject_reason="false_positive", closed_at=utcnow()),
        "contained_b": insert(db, b, boss, status="contained", severity="serious", category="defacement",
                              assignee_id=boss.id, title="Website SỞ bị thay giao diện", description="100% trang"),
        "recovered_b": insert(db, b, boss, status="recovered", category="dos", assignee_id=ann.id,
                              title="DDoS cổng dịch vụ công", description="Tấn công từ botnet_x"),
    }
    return {"a": a, "b": b, "boss": boss, "ann": ann, "bob": bob, "rows": rows}


def _ids(world, *names):
    return {world["rows"][n].id for n in names}


# --- filters -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "expected"), [
    ({}, ["new_a", "triaged_a", "closed_a", "rejected_b", "contained_b", "recovered_b"]),
    ({"status": "new"}, ["new_a"]),
    ({"status": "closed"}, ["closed_a"]),
    ({"status": "open"}, ["new_a", "triaged_a", "contained_b", "recovered_b"]),
    ({"severity": "serious"}, ["new_a", "contained_b"]),
    ({"severity": "ordinary"}, ["triaged_a", "closed_a", "rejected_b", "recovered_b"]),
    ({"category": "spoofing"}, ["triaged_a"]),
    ({"category": "dos"}, ["recovered_b"]),
    ({"agency": "A"}, ["new_a", "triaged_a", "closed_a"]),
    ({"agency": "B"}, ["rejected_b", "contained_b", "recovered_b"]),
    ({"assignee": "me"}, ["contained_b"]),
    ({"assignee": "none"}, ["closed_a", "rejected_b"]),
    ({"assignee": "ANN"}, ["new_a", "recovered_b"]),
    ({"q": "giả mạo"}, ["triaged_a"]),
    ({"q": "website"}, ["contained_b"]),  # case-insensitive on ASCII letters
    ({"q": "30 cán bộ"}, ["triaged_a"]),  # the description is searched
    ({"q": "L-"}, ["new_a", "triaged_a", "closed_a", "rejected_b", "contained_b", "recovered_b"]),  # reference
    ({"q": "100%"}, ["contained_b"]),  # % is a literal, not a wildcard
    ({"q": "botnet_x"}, ["recovered_b"]),
    ({"q": "t_x"}, ["recovered_b"]),  # _ is a literal too
    ({"q": "không có"}, []),
    ({"status": "open", "severity": "serious", "agency": "B"}, ["contained_b"]),
    ({"status": "open", "assignee": "ANN", "category": "ransomware"}, ["new_a"]),
])
def test_filters_narrow_the_list(world, args, expected):
    args = dict(args)
    if args.get("agency") in ("A", "B"):
        args["agency"] = str(world[args["agency"].lower()].id)
    if args.get("assignee") == "ANN":
        args["assignee"] = str(world["ann"].id)
    assert ids(world["boss"], **args) == _ids(world, *expected)


def test_the_total_counts_every_match_not_only_the_page(world):
    page = listing.page(world["boss"], ListQuery.from_args({"status": "open", "limit": "1"}))
    assert (len(page.items), page.total) == (1, 4) and page.next_cursor


def test_the_total_read_with_the_rows_is_the_count_of_every_match_on_every_page(world, db):
    # with `rows` (the list page, the API) the page's SELECT carries the count; a later page that
    # comes back empty counts apart, an empty first page is 0 without counting
    from csirt.incidents import list_page
    from tests.conftest import recorded_statements

    boss = world["boss"]
    expected = len(ids(boss, status="open"))
    seen_totals, cursor, pages = [], "", 0
    while True:
        with recorded_statements(db.engine) as seen:
            page = list_page.page(boss, ListQuery.from_args({"status": "open", "limit": "2", "cursor": cursor}))
        assert len(seen) == 1, seen
        seen_totals.append(page.total)
        pages += 1
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen_totals == [expected] * pages and pages == -(-expected // 2)
    with recorded_statements(db.engine) as seen:
        nothing = list_page.page(boss, ListQuery.from_args({"q": "không có"}))
    assert (nothing.items, nothing.total, len(seen)) == ([], 0, 1)
    # a cursor past the last row: no row to carry the count, so it is counted apart
    last = listing.page(boss, ListQuery.from_args({"status": "open", "sort": "created", "dir": "asc", "limit": "200"}))
    beyond = listing._encode_cursor(last.items[-1].id, last.items[-1].id)
    with recorded_statements(db.engine) as seen:
        empty = list_page.page(boss, ListQuery.from_args({"status": "open", "sort": "created", "dir": "asc",
                                                          "cursor": beyond}))
    assert (empty.items, empty.total, len(seen)) == ([], expected, 2)


def test_a_member_lists_only_their_agencys_incidents_whatever_the_filter(world, make):
    member = make.user("member", agency_obj=world["a"])
    assert ids(member) == _ids(world, "new_a", "triaged_a", "closed_a")
    assert ids(member, agency=str(world["b"].id)) == set()
    assert ids(member, q="Website") == set()
    assert listing.page(member, ListQuery.from_args({})).total == 3


def test_the_list_page_shows_the_filtered_incidents(client, auth, world):
    auth.login(world["boss"])
    body = client.get(f"/incidents?status=open&agency={world['b'].id}").get_data(as_text=True)
    shown = {int(i) for i in re.findall(r'href="/incidents/(\d+)"', body)}
    assert shown == _ids(world, "contained_b", "recovered_b")


def test_the_api_lists_the_filtered_incidents(client, world):
    response = client.get("/api/v1/incidents?severity=serious", headers=api_headers(world["boss"]))
    assert response.status_code == 200
    assert {i["id"] for i in response.json["items"]} == _ids(world, "new_a", "contained_b")
    assert response.json["total"] == 2


# --- sorting and keyset pages ----------------------------------------------------------------------

SORT_KEYS = {"created": lambda i: i.id, "updated": lambda i: i.updated_at,
             "discovered": lambda i: i.discovered_at, "priority": lambda i: i.priority}
SORT_CASES = [(s, d) for s in SORT_KEYS for d in ("asc", "desc")]


@pytest.fixture
def many(db, make):
    """120 incidents with many ties on every sort key but the id (ties are where keyset pages break)."""
    agency = make.agency()
    reporter = make.user("coordinator", agency_obj=agency)
    rows = make.raw_incidents(120, agency, reporter)
    base = utcnow().replace(microsecond=0)
    for n, row in enumerate(rows):
        row.priority = ("P1", "P2", "P3", "P4")[n % 4]
        row.updated_at = base - timedelta(minutes=n // 7)          # groups of 7 equal values
        row.discovered_at = base - timedelta(hours=(n * 37) % 11, microseconds=n % 3)  # 33 distinct values
    db.session.commit()
    return reporter, rows


def expected_order(rows, sort, direction):
    key = SORT_KEYS[sort]
    ordered = sorted(rows, key=lambda i: (key(i), i.id))
    return [i.id for i in (ordered[::-1] if direction == "desc" else ordered)]


def walk(user, sort, direction, limit=25, **filters):
    seen, cursor, pages = [], "", 0
    while True:
        lq = ListQuery.from_args({"sort": sort, "dir": direction, "limit": str(limit), "cursor": cursor, **filters})
        result = listing.page(user, lq)
        seen.extend(i.id for i in result.items)
        pages += 1
        assert pages <= 1000, "the cursor does not advance"
        if not result.next_cursor:
            return seen, pages
        cursor = result.next_cursor


@pytest.mark.parametrize(("sort", "direction"), SORT_CASES)
def test_sorting_orders_by_the_field_then_by_id(many, sort, direction):
    reporter, rows = many
    page = listing.page(reporter, ListQuery.from_args({"sort": sort, "dir": direction, "limit": "200"}))
    assert [i.id for i in page.items] == expected_order(rows, sort, direction)


@pytest.mark.parametrize(("sort", "direction"), SORT_CASES)
def test_keyset_pages_walk_every_row_exactly_once(many, sort, direction):
    reporter, rows = many
    seen, pages = walk(reporter, sort, direction, limit=25)
    assert pages == 5
    assert len(seen) == len(set(seen)) == 120
    assert seen == expected_order(rows, sort, direction)


@pytest.mark.parametrize("limit", [1, 7, 24, 120, 200])
def test_keyset_pages_of_any_size_cover_the_list(many, limit):
    reporter, rows = many
    seen, pages = walk(reporter, "updated", "desc", limit=limit)
    assert seen == expected_order(rows, "updated", "desc")
    assert pages == -(-120 // limit)  # no empty last page: a page asks for one row more than it shows


def test_keyset_pages_respect_the_filters(db, many):
    reporter, rows = many
    for row in rows[::3]:
        row.status = "triaged"
    db.session.commit()
    seen, _pages = walk(reporter, "priority", "asc", limit=25, status="triaged")
    wanted = [r for r in rows if r.status == "triaged"]
    assert seen == expected_order(wanted, "priority", "asc")


def test_a_row_added_while_paging_does_not_shift_the_pages(db, many):
    reporter, rows = many
    first = listing.page(reporter, ListQuery.from_args({"sort": "created", "dir": "desc", "limit": "25"}))
    insert(db, rows[0].agency, reporter, title="Mới đến")  # newest: sorts before the cursor
    second = listing.page(reporter, ListQuery.from_args({"sort": "created", "dir": "desc", "limit": "25",
                                                         "cursor": first.next_cursor}))
    assert [i.id for i in first.items + second.items] == expected_order(rows, "created", "desc")[:50]


def test_the_next_page_link_walks_the_html_list(client, auth, many):
    reporter, rows = many
    auth.login(reporter)
    url, seen = "/incidents?sort=discovered&dir=asc", []
    for _ in range(10):
        body = client.get(url).get_data(as_text=True)
        seen.extend(int(i) for i in re.findall(r'href="/incidents/(\d+)"', body))
        link = re.search(r'href="([^"]+)" id="next-page"', body)
        if not link:
            break
        url = html.unescape(link.group(1))
    assert seen == expected_order(rows, "discovered", "asc")


def test_the_api_pages_with_next_cursor(client, many):
    reporter, rows = many
    headers, seen, cursor = api_headers(reporter), [], None
    while True:
        response = client.get("/api/v1/incidents", headers=headers,
                              query_string={"sort": "priority", "dir": "desc", "limit": 25,
                                            **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200
        seen.extend(i["id"] for i in response.json["items"])
        cursor = response.json["next_cursor"]
        if not cursor:
            break
    assert seen == expected_order(rows, "priority", "desc")


# --- bad arguments ------------------------------------------------------------------------------

def _cursor(value, ident):
    return _encode_cursor(value, ident)


BAD_ARGS = [
    ({"sort": "title"}, "sort"), ({"sort": "id; DROP TABLE incident"}, "sort"), ({"sort": "reporter_id"}, "sort"),
    ({"dir": "up"}, "dir"), ({"dir": "DESC;"}, "dir"),
    ({"limit": "0"}, "limit"), ({"limit": "201"}, "limit"), ({"limit": "-5"}, "limit"), ({"limit": "abc"}, "limit"),
    ({"limit": "1e3"}, "limit"), ({"limit": "99999999999999999999999"}, "limit"),
    ({"cursor": "!!!"}, "cursor"), ({"cursor": "bm90IGpzb24"}, "cursor"),
    ({"cursor": _cursor("abc", 5)}, "cursor"),  # not a number for the created sort
    ({"sort": "updated", "cursor": _cursor(17, 5)}, "cursor"),  # a created-sort cursor on another sort
    ({"sort": "updated", "cursor": _cursor("2026-01-01T00:00:00+07:00", 5)}, "cursor"),
    ({"cursor": _cursor(5, "5")}, "cursor"), ({"cursor": _cursor(5, 10**20)}, "cursor"),
    ({"cursor": _cursor(5, True)}, "cursor"), ({"sort": "priority", "cursor": _cursor(["P1"], 5)}, "cursor"),
    ({"cursor": "A" * 5000}, "cursor"),
    ({"status": "deleted"}, "status"), ({"severity": "critical"}, "severity"), ({"category": "phishing"}, "category"),
    ({"agency": "abc"}, "agency"), ({"agency": "99999999999999999999"}, "agency"), ({"agency": "²"}, "agency"),
    ({"assignee": "someone"}, "assignee"), ({"q": "x" * 201}, "q"),
]


@pytest.mark.parametrize(("args", "key"), BAD_ARGS, ids=[f"{k}={str(a)[:30]}" for a, k in BAD_ARGS])
def test_bad_list_arguments_are_a_validation_error_naming_the_argument(app, args, key):
    with pytest.raises(ValidationError) as caught:
        ListQuery.from_args(args)
    assert key in caught.value.errors and caught.value.errors[key]
    assert caught.value.status == 400


@pytest.mark.parametrize(("args", "key"), BAD_ARGS, ids=[f"{k}={str(a)[:30]}" for a, k in BAD_ARGS])
def test_the_api_answers_400_naming_the_bad_argument(client, make, args, key):
    user = make.user("coordinator")
    make.incident(actor=user)
    response = client.get("/api/v1/incidents", query_string=args, headers=api_headers(user))
    assert response.status_code == 400
    assert key in response.json["errors"]


@pytest.mark.parametrize(("args", "key"), BAD_ARGS[::3], ids=[f"{k}={str(a)[:30]}" for a, k in BAD_ARGS[::3]])
def test_the_csv_export_answers_400_for_bad_arguments(client, auth, make, args, key):
    auth.login(make.user("coordinator"))
    response = client.get("/incidents/export.csv", query_string=args)
    assert response.status_code == 400
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("locale", ["vi", "en"])
@pytest.mark.parametrize(("args", "msgid"), [
    ({"sort": "title"}, "Unknown sort field."), ({"dir": "up"}, "Sort direction must be asc or desc."),
    ({"cursor": "!!!"}, "Invalid page cursor."), ({"limit": "0"}, "Between 1 and %(n)d.")])
def test_the_list_page_explains_a_bad_argument_in_the_readers_language(app, client, auth, make, locale, args, msgid):
    user = make.user("coordinator")
    incident = make.incident(actor=user)
    auth.login(user)
    if locale == "en":
        client.post("/lang", data={"lang": "en", "csrf_token": auth.csrf("/incidents")})
    response = client.get("/incidents", query_string=args)
    body = html.unescape(response.get_data(as_text=True))
    assert app_text(app, "Some filters are not valid.", locale) in body
    assert app_text(app, msgid, locale, n=listing.MAX_PAGE) in body
    assert f'href="/incidents/{incident.id}"' in body  # the default list is still shown


# --- CSV export ------------------------------------------------------------------------------------

def read_csv(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_export_has_a_header_and_one_row_per_visible_incident(app, client, auth, world, make):
    member = make.user("member", agency_obj=world["a"])
    auth.login(member)
    rows = read_csv(client.get("/incidents/export.csv"))
    with app.test_request_context(), force_locale("vi"):
        from csirt.incidents.export import _header

        assert rows[0] == _header()
    assert sorted(r[0] for r in rows[1:]) == sorted(world["rows"][n].reference
                                                    for n in ("new_a", "triaged_a", "closed_a"))


def test_csv_export_respects_the_filters_and_the_sort(client, auth, world):
    auth.login(world["boss"])
    rows = read_csv(client.get(f"/incidents/export.csv?status=open&agency={world['b'].id}&sort=created&dir=asc"))
    assert [r[0] for r in rows[1:]] == [world["rows"][n].reference for n in ("contained_b", "recovered_b")]
    rows = read_csv(client.get("/incidents/export.csv?q=không+có"))
    assert len(rows) == 1


def test_csv_export_covers_more_rows_than_one_batch(client, auth, db, make, monkeypatch):
    agency = make.agency()
    user = make.user("coordinator", agency_obj=agency)
    make.raw_incidents(60, agency, user)
    real_iterate = listing.iterate
    monkeypatch.setattr(listing, "iterate", lambda u, lq, batch=1000: real_iterate(u, lq, batch=7))
    auth.login(user)
    rows = read_csv(client.get("/incidents/export.csv"))
    assert len(rows) == 61 and len({r[0] for r in rows[1:]}) == 60


@pytest.mark.parametrize(("title", "cell"), [
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"), ("+1+1", "'+1+1"), ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"), ("\t=1+1", "'\t=1+1"), ("\r=1+1", "'\r=1+1"),
    ("Bình thường = an toàn", "Bình thường = an toàn")])
def test_csv_export_neutralises_spreadsheet_formulas(client, auth, db, make, title, cell):
    user = make.user("coordinator")
    insert(db, user.agency, user, title=title)
    auth.login(user)
    rows = read_csv(client.get("/incidents/export.csv"))
    assert rows[1][1] == cell


def test_csv_export_neutralises_formulas_in_every_text_column(client, auth, db, make):
    agency = make.agency(name="=HYPERLINK(\"http://x\")")
    user = make.user("coordinator", agency_obj=agency, full_name="@người dùng")
    insert(db, agency, user, title="ok", assignee_id=user.id)
    auth.login(user)
    row = read_csv(client.get("/incidents/export.csv"))[1]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in row), row


# --- no N+1 -----------------------------------------------------------------------------------

def statements_for(db, client, path):
    with recorded_statements(db.engine) as seen:
        response = client.get(path)
    assert response.status_code == 200
    return seen


def _spread(db, make, n, coordinator):
    """n incidents, each in its own agency, with its own assignee and reporter: nothing shared to cache."""
    for _ in range(n):
        agency = make.agency()
        worker = make.user("responder", agency_obj=agency)
        insert(db, agency, worker, assignee_id=worker.id)


@pytest.mark.parametrize("path", ["/incidents?limit=100", "/incidents/export.csv",
                                  "/incidents?limit=100&status=open&sort=priority&q=S"])
def test_the_number_of_queries_does_not_grow_with_the_rows(app, db, make, path):
    coordinator = make.user("coordinator")
    counts = []
    for n in (5, 50):
        _spread(db, make, n if not counts else n - 5, coordinator)
        client = app.test_client()
        Auth(client).login(coordinator)
        client.get("/incidents")  # warm-up: first-request work is not what is measured
        statements = statements_for(db, client, path)
        if path.endswith(".csv"):
            assert db.session.query(Incident).count() == n
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert counts[0] < 20, counts


def test_the_list_page_shows_the_related_names_without_extra_queries(app, db, make):
    coordinator = make.user("coordinator")
    _spread(db, make, 30, coordinator)
    client = app.test_client()
    Auth(client).login(coordinator)
    statements = statements_for(db, client, "/incidents?limit=100")
    body = client.get("/incidents?limit=100").get_data(as_text=True)
    for incident in db.session.query(Incident).all():
        assert incident.agency.name in body and incident.assignee.full_name in body
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) < 15, selects
