"""Whether a value is a calendar date written YYYY-MM-DD (a waiver's expiry): "2027-13-45" and
"2027-02-30" are not, a date that YAML parsed unquoted is. Used by the carehard role's check of
carehard_waivers, for AWX and ansible-playbook users; carehard checks the same before any run.

Standard library only, never raises: Ansible loads this file by path (roles) or as a plugin of the
collection carehard.baseline.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def calendar_date(value: Any) -> bool:
    if isinstance(value, date):
        return True
    text = str(value)
    if not DATE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


class FilterModule:
    """carehard's check of a waiver's expiry date."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"carehard_calendar_date": calendar_date}
