"""Python and the browser format numbers, durations and dates by the same rules: this runs
the shared cases (tests/js/format_cases.json) through reportgen/site/fmt.py, and
tests/js/format.test.js runs them through assets/format.js (via tests/test_js_unit.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from reportgen.site.fmt import fmt_duration, fmt_number, fmt_time, fmt_value

CASES = json.loads((Path(__file__).parent / "js" / "format_cases.json").read_text())


def _value(v):
    return float(v) if isinstance(v, str) else v  # "NaN", "Infinity" (not JSON numbers)


@pytest.mark.parametrize("value,text", CASES["number"])
def test_numbers(value, text):
    assert fmt_number(_value(value)) == text
    assert fmt_value(_value(value)) == text


@pytest.mark.parametrize("value,text", CASES["duration"])
def test_durations(value, text):
    assert fmt_duration(value) == text


@pytest.mark.parametrize("value,text", CASES["date"])
def test_dates(value, text):
    assert fmt_time(value) == text
