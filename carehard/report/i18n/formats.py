"""Numbers and dates as the report's language writes them: 57.6 % / 1,234 in English, 57,6 % /
1 234 in French (a no-break space before %, a narrow no-break space between thousands), and
"7 Dec 2026 01:11 UTC" / "7 déc. 2026 01:11 UTC"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
}
NBSP, NNBSP = "\u00a0", "\u202f"


def decimal(value: float, places: int, lang: str) -> str:
    text = f"{value:,.{places}f}"
    if lang == "fr":
        return text.replace(",", NNBSP).replace(".", ",")
    return text


def integer(value: int, lang: str) -> str:
    return decimal(value, 0, lang)


def percent_text(english: str, lang: str) -> str:
    """labels.percent()'s "57.6 %" in the report's language ("57,6 %"; "n/a" -> "n.d.")."""
    if lang != "fr":
        return english
    if english == "n/a":
        return "n.d."
    return english.replace(".", ",").replace(" %", f"{NBSP}%")


def moment(value: Any, lang: str) -> str:
    """An ISO 8601 time as "7 déc. 2026 01:11 UTC" (or the text itself when it is not one)."""
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    offset = when.utcoffset()
    zone = "UTC" if offset is not None and not offset else when.strftime("%z")
    month = MONTHS["fr" if lang == "fr" else "en"][when.month - 1]
    return f"{when.day} {month} {when.year} {when:%H:%M} {zone}".strip()
