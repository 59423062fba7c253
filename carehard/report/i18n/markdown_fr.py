"""French words of the markdown renderer(s): English text -> French text (see carehard.report.i18n)."""

from __future__ import annotations

WORDS: dict[str, str] = {}
