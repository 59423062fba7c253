"""The language of the reports: --lang, else the config file's carehard_lang, else the locale."""

from __future__ import annotations

import os

from carehard.config.file import config_section

LANGUAGES = ("en", "fr")


def report_lang(asked: str | None = None) -> str:
    if asked:
        return asked
    configured, _path = config_section("carehard_lang")
    if configured:
        return str(configured)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"
