"""The control catalog: one YAML file per family, validated strictly on load against
carehard/config/schemas/catalog.yml, then for unique IDs and families across the files.

This package imports nothing of carehard but the schemas' validate() and its errors, so any tool
can read the catalog.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from carehard.config import validate
from carehard.errors import UsageError

CATALOG_DIR = Path(__file__).resolve().parent

# Also in the schema (carehard/config/schemas/catalog.yml): a unit test holds the two equal.
ID_PATTERN = re.compile(r"^[A-Z]{2}-[A-Z0-9]+-[0-9]{2}$")
REFERENCE_KINDS = ("anssi_hygiene", "anssi_bp028", "cis", "anssi_ad", "care")
# libyaml's loader when PyYAML has it: ten times faster, which shell completion (a process per TAB) feels.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LANGUAGES = ("en", "fr")  # English is the catalog's own; each control also says it in French


class CatalogError(UsageError, ValueError):
    """A catalog file that breaks the schema: the message names the file and the control."""


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    family: str
    platforms: tuple[str, ...]
    severity: str
    level: int
    remediation: str
    rationale: str
    references: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    fix: str = ""  # what harden does for it, or the manual step of an audit-only control
    # The texts in other languages: {"fr": {"title": ..., "rationale": ..., "fix": ...}}.
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def text(self, key: str, lang: str = "en") -> str:
        """title, rationale or fix in lang (English where the catalog lacks that language's)."""
        english = str(getattr(self, key))
        return (self.texts.get(lang) or {}).get(key) or english

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.text("title", lang),
            "family": self.family,
            "platforms": list(self.platforms),
            "severity": self.severity,
            "level": self.level,
            "remediation": self.remediation,
            "rationale": self.text("rationale", lang),
            "fix": self.text("fix", lang),
            "references": {kind: list(self.references.get(kind, ())) for kind in REFERENCE_KINDS},
        }


@dataclass(frozen=True)
class Catalog:
    controls: Mapping[str, Control]
    families: Mapping[str, str]

    def __contains__(self, control_id: object) -> bool:
        return control_id in self.controls

    def __getitem__(self, control_id: str) -> Control:
        return self.controls[control_id]

    def all(self) -> list[Control]:
        return sorted(self.controls.values(), key=lambda c: c.id)

    def matching(self, pattern: str) -> list[str]:
        """The IDs an ID or a shell-style pattern names (`WL-SSH-*`, `WL-SSH-0?`, `WW-[AN]*`), sorted;
        case-insensitive, as IDs are upper-case. The one matcher of --only, --skip and CaRE objectives."""
        wanted = pattern.upper()
        return sorted(cid for cid in self.controls if fnmatch.fnmatchcase(cid, wanted))


def is_pattern(term: str) -> bool:
    """Whether --only/--skip got a pattern rather than one ID (the error then says "matches")."""
    return any(char in term for char in "*?[")


def load_catalog(directory: Path | None = None) -> Catalog:
    """Load and validate every `*.yml` of the catalog directory ($CAREHARD_CATALOG_DIR to use another)."""
    return _load_directory(_directory(directory))


def load_catalog_unchecked(directory: Path | None = None) -> Catalog:
    """The catalog read without the schema check, for shell completion: a process per TAB, which must
    answer at once. A file that does not read is left out. Everything else uses load_catalog()."""
    controls: dict[str, Control] = {}
    families: dict[str, str] = {}
    for path in sorted(_directory(directory).glob("*.yml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
            parsed = [_parse_control(data["family"], entry) for entry in data["controls"]]
            families[str(data["family"])] = str(data["title"])
        except (OSError, yaml.YAMLError, LookupError, TypeError, AttributeError, ValueError):
            continue
        controls.update((control.id, control) for control in parsed)
    return Catalog(controls, families)


def _directory(directory: Path | None) -> Path:
    return (directory or Path(os.environ.get("CAREHARD_CATALOG_DIR") or CATALOG_DIR)).resolve()


@lru_cache(maxsize=8)
def _load_directory(directory: Path) -> Catalog:
    if not directory.is_dir():
        raise CatalogError(f"catalog directory {directory} does not exist")
    controls: dict[str, Control] = {}
    families: dict[str, str] = {}
    for path in sorted(directory.glob("*.yml")):
        family, title, entries = _load_file(path)
        if family in families:
            raise CatalogError(f"catalog {path.name}: family '{family}' is declared in two files")
        families[family] = title
        for entry in entries:
            control = _parse_control(family, entry)
            if control.id in controls:
                raise CatalogError(f"catalog {path.name}: {control.id}: duplicate control ID")
            controls[control.id] = control
    return Catalog(controls, families)


def _load_file(path: Path) -> tuple[str, str, list[dict[str, Any]]]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise CatalogError(f"catalog {path.name}{where}: not valid YAML") from None
    try:
        validate(data, "catalog", f"catalog {path.name}")
    except UsageError as exc:
        raise CatalogError(str(exc)) from None
    return data["family"], data["title"], data["controls"]


def _parse_control(family: str, entry: dict[str, Any]) -> Control:
    references = entry["references"]
    return Control(
        id=entry["id"],
        title=entry["title"].strip(),
        family=family,
        platforms=tuple(entry["platforms"]),
        severity=entry["severity"],
        level=entry["level"],
        remediation=entry["remediation"],
        rationale=" ".join(entry["rationale"].split()),
        references={kind: tuple(str(v) for v in references.get(kind, [])) for kind in REFERENCE_KINDS},
        fix=" ".join(str(entry.get("fix") or "").split()),
        texts={
            lang: {key: " ".join(str(value).split()) for key, value in texts.items()}
            for lang, texts in (("fr", entry.get("fr") or {}),)
            if texts
        },
    )
