"""The catalog with the directory_audit family, for the tests of the directory checks: the catalog
itself where it has AD- controls, else with one made for the tests (AD-KRB-01, from EX-NET-01)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import yaml

from carehard.catalog import CATALOG_DIR, Catalog, load_catalog

AD_CONTROL = "AD-KRB-01"


def has_ad_controls(catalog: Catalog) -> bool:
    return any(c.startswith("AD-") for c in catalog.controls)


def catalog_with_ad() -> Catalog:
    catalog = load_catalog()
    if has_ad_controls(catalog):
        return catalog
    control = dataclasses.replace(catalog["EX-NET-01"], id=AD_CONTROL, family="directory_audit")
    return Catalog({**catalog.controls, AD_CONTROL: control}, {**catalog.families, "directory_audit": "AD"})


def ad_catalog_dir(directory: Path) -> Path:
    """A catalog directory for CAREHARD_CATALOG_DIR: a copy of the catalog, with an AD- family."""
    shutil.copytree(CATALOG_DIR, directory, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    if not has_ad_controls(load_catalog()):
        entry = yaml.safe_load((CATALOG_DIR / "exposure_scan.yml").read_text(encoding="utf-8"))
        entry.update(family="directory_audit", title="Active Directory")
        entry["controls"][0]["id"] = AD_CONTROL
        (directory / "directory_audit.yml").write_text(yaml.safe_dump(entry), encoding="utf-8")
    return directory
