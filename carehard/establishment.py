"""The establishment the reports are about: `carehard_establishment` in the config file (name,
FINESS number, site, author, contact), put on every report and export."""

from __future__ import annotations

from typing import Any

from carehard.config.file import config_section

FIELDS = ("name", "finess", "site", "author", "contact")


def load_establishment() -> dict[str, str] | None:
    """The establishment as the config file in use declares it (checked by its schema), or None."""
    section, _path = config_section("carehard_establishment")
    if not section:
        return None
    found: dict[str, Any] = section
    return {key: str(found[key]) for key in FIELDS if found.get(key) not in (None, "")}
