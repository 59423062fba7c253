"""The words of the human-readable reports in the report's language (report["lang"]: en or fr).

The English text is the key; each renderer's French words are in their own module (html_fr,
markdown_fr, labels_fr; directory_fr for the Directory section), merged here (a word another module
has already keeps its translation). A text without a French entry stays English: a unit test lists
what each renderer leaves untranslated, so that none is forgotten.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from carehard.report.i18n import care_fr, directory_fr, html_fr, labels_fr, markdown_fr

FRENCH: Mapping[str, str] = {
    **directory_fr.WORDS,
    **care_fr.WORDS,
    **labels_fr.WORDS,
    **html_fr.WORDS,
    **markdown_fr.WORDS,
}


def lang_of(report: Mapping[str, Any]) -> str:
    return "fr" if report.get("lang") == "fr" else "en"


def translator(lang: str) -> Callable[[str], str]:
    """_("Hosts") -> "Hôtes" in French; the English text itself otherwise."""
    if lang != "fr":
        return lambda text: text
    return lambda text: FRENCH.get(text, text)
