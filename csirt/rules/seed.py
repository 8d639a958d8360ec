"""The first rows of the rules table: the 2017 and 2026 regimes (DOMAIN.md §6 and §3).

Migration 7b2e9c4d1a30 inserts exactly these rows, and the test suite (whose schema comes from
the models) inserts them the same way, through `rows()`. Frozen history: databases already hold
these rows, so a change of law is a new row on the rules pages (or a new migration), never an
edit here.
"""
from datetime import date

from . import keys

REGIME_2017 = "2017"
REGIME_2026 = "2026"

# Circular 20/2017/TT-BTTTT was signed 12/9/2017 and is in force from 1/11/2017 (its last article;
# DOMAIN.md gives no date). Decree 331/2026/NĐ-CP is in force from 19/8/2026 (DOMAIN.md §3, §6).
START_2017 = date(2017, 11, 1)
START_2026 = date(2026, 8, 19)

CIRCULAR_20 = "Thông tư 20/2017/TT-BTTTT"
DECREE_331_INCIDENTS = "Luật An ninh mạng 116/2025/QH15; Nghị định 331/2026/NĐ-CP, Điều 31.2.d"

SECONDARY_2026 = ("From secondary copies of Decree 331/2026 only (DOMAIN.md §6: every 2026 figure); the "
                  "official 2026 report forms are still to be issued by the Minister of Public Security "
                  "(Art. 28.6).")
ASSESSMENT_DOUBT = (
    "Unconfirmed (DOMAIN.md §3): the frequencies are not confirmed by a primary text. An earlier summary "
    "said level 3–4 yearly, level 5 every 6 months, all at least every 2 years; secondary copies of "
    "Decree 331/2026 say it sets no fixed number (\"periodically, by level and risk\", Art. 28.5.a); "
    "TCVN 14423:2026 asks penetration tests yearly at level 4 and every 6 months at level 5.")
ASSESSMENT_MONTHS = {1: 24, 2: 24, 3: 12, 4: 12, 5: 6}


def _rule(regime, key, value, unit, legal_reference, confirmed, notes="", level=None):
    start, end = (START_2017, START_2026) if regime == REGIME_2017 else (START_2026, None)
    return {"regime": regime, "key": key, "level": level, "value": value, "unit": unit,
            "legal_reference": legal_reference, "effective_from": start, "effective_to": end,
            "confirmed": confirmed, "notes": notes}


def _assessment(regime, legal_reference):
    return [_rule(regime, keys.ASSESSMENT_INTERVAL, str(months), "months", legal_reference, False,
                  ASSESSMENT_DOUBT, level=level) for level, months in ASSESSMENT_MONTHS.items()]


RULES = [
    # 2017: Circular 20/2017/TT-BTTTT, reports to VNCERT/CC
    _rule(REGIME_2017, keys.INCIDENT_NOTICE, "5", "days", CIRCULAR_20, True,
          "Notice to the system owner and the national coordinator (VNCERT/CC) within 5 days of discovery."),
    _rule(REGIME_2017, keys.INCIDENT_INITIAL_REPORT, "0", "hours", f"{CIRCULAR_20}, Mẫu 03", False,
          "Immediately, when the incident is beyond the operator's capacity. Form numbering and the [TBSC] "
          "subject come from secondary copies (DOMAIN.md §6)."),
    _rule(REGIME_2017, keys.INCIDENT_CLOSING_REPORT, "5", "days", f"{CIRCULAR_20}, Mẫu 04", True,
          "Within 5 days after the response ends."),
    _rule(REGIME_2017, keys.SUMMARY_HALF_YEAR, "06-20", "date", f"{CIRCULAR_20}, Mẫu 05", True,
          "Filed by members of the national response network: 6-monthly, before 20 June."),
    _rule(REGIME_2017, keys.SUMMARY_YEAR, "12-15", "date", f"{CIRCULAR_20}, Mẫu 05", True,
          "Filed by members of the national response network: yearly, before 15 December."),
    *_assessment(REGIME_2017, "Nghị định 85/2016/NĐ-CP; Luật An toàn thông tin mạng 86/2015/QH13, Điều 21"),
    # 2026: Law 116/2025/QH15 and Decree 331/2026/NĐ-CP, reports to the Ministry of Public Security
    _rule(REGIME_2026, keys.INCIDENT_NOTICE, "24", "hours", DECREE_331_INCIDENTS, False,
          "Initial notice of a serious incident. " + SECONDARY_2026),
    _rule(REGIME_2026, keys.INCIDENT_REPORT, "72", "hours", DECREE_331_INCIDENTS, False,
          "Report of cause, scope and remedy; complex cases: preliminary report, updates, closing report. "
          + SECONDARY_2026),
    _rule(REGIME_2026, keys.INCIDENT_SECURITY_IMMEDIATE, "0", "hours", DECREE_331_INCIDENTS, False,
          "Immediately, for an incident affecting national security or public order. " + SECONDARY_2026),
    _rule(REGIME_2026, keys.ANNUAL_REPORT_INTERNAL, "12-20", "date", "Nghị định 331/2026/NĐ-CP, Điều 35.4, Mẫu 08",
          False, "Unconfirmed: secondary copies of Decree 331/2026 Art. 35.4. Owner's internal report on "
          "information systems by level; data period 15/12–14/12."),
    _rule(REGIME_2026, keys.ANNUAL_REPORT_MINISTRY, "12-25", "date", "Nghị định 331/2026/NĐ-CP, Điều 35.4, Mẫu 08",
          False, "Unconfirmed: secondary copies of Decree 331/2026 Art. 35.4. Report to the Ministry of Public "
          "Security; data period 15/12–14/12."),
    *_assessment(REGIME_2026, "Nghị định 331/2026/NĐ-CP, Điều 28.5.a; TCVN 14423:2026"),
]


def rows(now):
    """The seed as complete rows for an INSERT, stamped `now` (naive UTC), version 1."""
    return [dict(rule, updated_at=now, version=1) for rule in RULES]


def seeded_pairs():
    """(regime, key) of every seeded row: what the migration's downgrade removes."""
    return sorted({(rule["regime"], rule["key"]) for rule in RULES})


# To which incidents each seeded duty applies (column `applies_to`, added by migration
# f1a2b3c4d5e7 after the rows above were first inserted): every incident, serious ones, those beyond
# the operator's capacity (2017 Form 03), those affecting national security or public order.
APPLIES_TO = {
    (REGIME_2017, keys.INCIDENT_INITIAL_REPORT): "beyond_capacity",
    (REGIME_2026, keys.INCIDENT_NOTICE): "serious",
    (REGIME_2026, keys.INCIDENT_REPORT): "serious",
    (REGIME_2026, keys.INCIDENT_SECURITY_IMMEDIATE): "national_security",
}


def insert(connection, table, now):
    """Insert the seed into `table` (the rule table, as the models define it) through `connection`."""
    connection.execute(table.insert(), [dict(row, applies_to=APPLIES_TO.get((row["regime"], row["key"]), "all"))
                                        for row in rows(now)])
