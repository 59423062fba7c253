"""The control catalog: one YAML file per family, validated strictly on load.

This package imports nothing else of carehard, so any tool can read the catalog.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CATALOG_DIR = Path(__file__).resolve().parent

ID_PATTERN = re.compile(r"^[A-Z]{2}-[A-Z0-9]+-[0-9]{2}$")
SEVERITIES = ("low", "medium", "high", "critical")
LEVELS = (1, 2, 3)
REMEDIATIONS = ("automatic", "audit-only")
PLATFORMS = ("debian", "rhel", "windows")
CARE_DOMAINS = ("exposure", "continuity", "remote_access", "workstations")
REFERENCE_KINDS = ("anssi_hygiene", "anssi_bp028", "cis", "care")
REFERENCE_FORMATS = {
    "anssi_hygiene": (re.compile(r"^([1-9]|[1-3][0-9]|4[0-2])$"), "a measure number 1-42"),
    "anssi_bp028": (re.compile(r"^R[0-9]+$"), "a recommendation like R31"),
    "cis": (re.compile(r"^[0-9]+(\.[0-9]+)*$"), "a section like 5.1.20"),
}

_FILE_KEYS = {"family", "title", "controls"}
_REQUIRED = ("id", "title", "platforms", "severity", "level", "remediation", "rationale", "references")


class CatalogError(ValueError):
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

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "family": self.family,
            "platforms": list(self.platforms),
            "severity": self.severity,
            "level": self.level,
            "remediation": self.remediation,
            "rationale": self.rationale,
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


def load_catalog(directory: Path | None = None) -> Catalog:
    """Load and validate every `*.yml` of the catalog directory ($CAREHARD_CATALOG_DIR to use another)."""
    if directory is None:
        directory = Path(os.environ.get("CAREHARD_CATALOG_DIR") or CATALOG_DIR)
    return _load_directory(directory.resolve())


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
            control = _parse_control(path.name, family, entry)
            if control.id in controls:
                raise CatalogError(f"catalog {path.name}: {control.id}: duplicate control ID")
            controls[control.id] = control
    return Catalog(controls, families)


def _load_file(path: Path) -> tuple[str, str, list[Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise CatalogError(f"catalog {path.name}{where}: not valid YAML") from None
    if not isinstance(data, dict):
        raise CatalogError(f"catalog {path.name}: expected a mapping with family, title, controls")
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise CatalogError(f"catalog {path.name}: unknown key '{unknown[0]}'")
    for key in ("family", "title"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise CatalogError(f"catalog {path.name}: missing or empty '{key}'")
    entries = data.get("controls")
    if not isinstance(entries, list) or not entries:
        raise CatalogError(f"catalog {path.name}: 'controls' must be a non-empty list")
    return data["family"], data["title"], entries


def _parse_control(filename: str, family: str, entry: Any) -> Control:
    if not isinstance(entry, dict):
        raise CatalogError(f"catalog {filename}: every control must be a mapping")
    cid = entry.get("id")
    if not isinstance(cid, str) or not ID_PATTERN.match(cid):
        raise CatalogError(f"catalog {filename}: {cid!r}: id must look like WL-SSH-01")
    where = f"catalog {filename}: {cid}"
    unknown = sorted(set(entry) - set(_REQUIRED))
    if unknown:
        raise CatalogError(f"{where}: unknown key '{unknown[0]}'")
    missing = [key for key in _REQUIRED if key not in entry]
    if missing:
        raise CatalogError(f"{where}: missing field '{missing[0]}'")
    for key in ("title", "rationale"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise CatalogError(f"{where}: '{key}' must be non-empty text")
    if entry["severity"] not in SEVERITIES:
        raise CatalogError(
            f"{where}: bad severity {entry['severity']!r}, expected one of {', '.join(SEVERITIES)}"
        )
    if type(entry["level"]) is not int or entry["level"] not in LEVELS:
        raise CatalogError(f"{where}: bad level {entry['level']!r}, expected 1, 2 or 3")
    if entry["remediation"] not in REMEDIATIONS:
        raise CatalogError(
            f"{where}: bad remediation {entry['remediation']!r}, expected automatic or audit-only"
        )
    platforms = entry["platforms"]
    if not isinstance(platforms, list) or not platforms or any(p not in PLATFORMS for p in platforms):
        raise CatalogError(f"{where}: platforms must be a non-empty list of {', '.join(PLATFORMS)}")
    return Control(
        id=cid,
        title=entry["title"].strip(),
        family=family,
        platforms=tuple(platforms),
        severity=entry["severity"],
        level=entry["level"],
        remediation=entry["remediation"],
        rationale=" ".join(entry["rationale"].split()),
        references=_parse_references(where, entry["references"]),
    )


def _parse_references(where: str, refs: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(refs, dict):
        raise CatalogError(f"{where}: references must be a mapping of {', '.join(REFERENCE_KINDS)}")
    unknown = sorted(set(refs) - set(REFERENCE_KINDS))
    if unknown:
        raise CatalogError(f"{where}: unknown reference kind '{unknown[0]}'")
    parsed: dict[str, tuple[str, ...]] = {}
    for kind in REFERENCE_KINDS:
        values = refs.get(kind, [])
        if not isinstance(values, list) or any(not isinstance(v, str | int) for v in values):
            raise CatalogError(f"{where}: references.{kind} must be a list of strings")
        parsed[kind] = tuple(str(v) for v in values)
        pattern, expected = REFERENCE_FORMATS.get(kind, (None, ""))
        bad_ref = [v for v in parsed[kind] if pattern and not pattern.match(v)]
        if bad_ref:
            raise CatalogError(f"{where}: references.{kind} '{bad_ref[0]}' is not {expected}")
    bad = [d for d in parsed["care"] if d not in CARE_DOMAINS]
    if bad:
        raise CatalogError(
            f"{where}: unknown CaRE domain '{bad[0]}', expected one of {', '.join(CARE_DOMAINS)}"
        )
    return parsed
