"""Shared by the normaliser tests: the fixture files and a fixed `now`."""
import json
from datetime import datetime
from pathlib import Path

import pytest

from csirt.alerts.normalise import BadAlert

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 12, 1, 3, 0, 0)  # naive UTC, shortly after the fixtures' events


def load(name):
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def bad(parse, payload, now=NOW):
    """The BadAlert `parse` raises for `payload` (fails the test when it parses)."""
    with pytest.raises(BadAlert) as caught:
        parse(payload, now)
    return caught.value
