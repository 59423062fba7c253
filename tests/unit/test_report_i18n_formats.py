"""Numbers and dates in the report's language."""

from __future__ import annotations

from carehard.report.i18n import translator
from carehard.report.i18n.formats import decimal, integer, moment, percent_text


def test_french_numbers_use_a_decimal_comma_and_spaced_thousands() -> None:
    assert decimal(1234.5, 1, "en") == "1,234.5"
    assert decimal(1234.5, 1, "fr") == "1\u202f234,5"
    assert integer(1878, "fr") == "1\u202f878"
    assert percent_text("57.6 %", "fr") == "57,6\u00a0%"
    assert percent_text("57.6 %", "en") == "57.6 %"
    assert percent_text("n/a", "fr") == "n.d."


def test_dates_in_the_report_language() -> None:
    assert moment("2026-12-07T01:11:36+00:00", "fr") == "7 déc. 2026 01:11 UTC"
    assert moment("2026-12-07T01:11:36Z", "en") == "7 Dec 2026 01:11 UTC"
    assert moment("not a date", "fr") == "not a date"


def test_an_english_report_is_left_as_it_is() -> None:
    assert translator("en")("Hosts") == "Hosts"
