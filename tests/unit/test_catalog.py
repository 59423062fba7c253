"""The catalog loader: strict schema, one-line errors naming file and control."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard.catalog import CatalogError, load_catalog

CONTROL = "catalog fam.yml: controls[0]"  # where a schema error names the first control of fam.yml


def entry(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "WL-TST-01",
        "title": "A test control",
        "platforms": ["debian"],
        "severity": "high",
        "level": 1,
        "remediation": "automatic",
        "rationale": "Because.",
        "references": {
            "anssi_hygiene": ["10"],
            "anssi_bp028": [],
            "cis": ["5.1.20"],
            "care": ["workstations"],
        },
    }
    base.update(overrides)
    return base


def write(tmp_path: Path, *controls: dict[str, Any], name: str = "fam.yml", family: str = "fam") -> Path:
    (tmp_path / name).write_text(
        yaml.safe_dump({"family": family, "title": "Family", "controls": list(controls)})
    )
    return tmp_path


def test_shipped_catalog_loads_and_has_references() -> None:
    catalog = load_catalog()
    assert "WL-SSH-01" in catalog
    for control in catalog.all():
        assert control.references["care"], f"{control.id} names no CaRE domain"


def test_valid_file_loads(tmp_path: Path) -> None:
    catalog = load_catalog(write(tmp_path, entry(), entry(id="WL-TST-02", level=3)))
    assert [c.id for c in catalog.all()] == ["WL-TST-01", "WL-TST-02"]
    assert catalog["WL-TST-01"].references["cis"] == ("5.1.20",)


@pytest.mark.parametrize(
    ("control", "message"),
    [
        (
            entry(colour="red"),
            f"{CONTROL}.colour (id WL-TST-01): unknown key (known: id, title, platforms, severity, level,"
            " remediation, rationale, fix, fr, references)",
        ),
        (
            {k: v for k, v in entry().items() if k != "rationale"},
            f"{CONTROL}.rationale (id WL-TST-01): missing: give why the control matters, non-empty text",
        ),
        (
            entry(level=4),
            f"{CONTROL}.level (id WL-TST-01): expected 1 (minimal), 2 (intermediary) or 3 (enhanced), got 4",
        ),
        (
            entry(level="1"),
            f"{CONTROL}.level (id WL-TST-01):"
            " expected 1 (minimal), 2 (intermediary) or 3 (enhanced), got '1'",
        ),
        (
            entry(severity="urgent"),
            f"{CONTROL}.severity (id WL-TST-01): expected low, medium, high or critical, got 'urgent'",
        ),
        (
            entry(remediation="manual"),
            f"{CONTROL}.remediation (id WL-TST-01): expected automatic or audit-only, got 'manual'",
        ),
        (
            entry(platforms=["bsd"]),
            f"{CONTROL}.platforms[0] (id WL-TST-01): expected debian, rhel, windows or directory, got 'bsd'",
        ),
        (entry(id="ssh-1"), f"{CONTROL}.id: expected an ID like WL-SSH-01, got 'ssh-1'"),
        (
            entry(references={"nist": []}),
            f"{CONTROL}.references.nist (id WL-TST-01):"
            " unknown key (known: anssi_hygiene, anssi_bp028, cis, anssi_ad, care)",
        ),
        (
            entry(references={"care": ["D9"]}),
            f"{CONTROL}.references.care[0] (id WL-TST-01):"
            " expected exposure, continuity, remote_access or workstations, got 'D9'",
        ),
        (
            entry(references={"anssi_hygiene": ["43"]}),
            f"{CONTROL}.references.anssi_hygiene[0] (id WL-TST-01): expected a measure number 1-42, got '43'",
        ),
        (
            entry(references={"anssi_bp028": ["31"]}),
            f"{CONTROL}.references.anssi_bp028[0] (id WL-TST-01):"
            " expected a recommendation like R31, got '31'",
        ),
        (
            entry(references={"cis": ["5.1.x"]}),
            f"{CONTROL}.references.cis[0] (id WL-TST-01): expected a section like 5.1.20, got '5.1.x'",
        ),
        (
            entry(references={"anssi_ad": ["krbtgt"]}),
            f"{CONTROL}.references.anssi_ad[0] (id WL-TST-01):"
            " expected a checkpoint like vuln_krbtgt, got 'krbtgt'",
        ),
        (
            entry(references={"anssi_ad": ["vuln_Krbtgt"]}),
            f"{CONTROL}.references.anssi_ad[0] (id WL-TST-01):"
            " expected a checkpoint like vuln_krbtgt, got 'vuln_Krbtgt'",
        ),
    ],
)
def test_bad_entries_name_file_and_control(tmp_path: Path, control: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        load_catalog(write(tmp_path, control))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_directory_control_with_anssi_ad_checkpoints_loads(tmp_path: Path) -> None:
    refs = {
        "anssi_hygiene": [],
        "anssi_bp028": [],
        "cis": [],
        "anssi_ad": ["vuln_krbtgt"],
        "care": ["exposure"],
    }
    catalog = load_catalog(write(tmp_path, entry(id="AD-TST-01", platforms=["directory"], references=refs)))
    control = catalog["AD-TST-01"]
    assert control.platforms == ("directory",)
    assert control.references["anssi_ad"] == ("vuln_krbtgt",)
    assert control.as_dict()["references"] == refs
    # A control that does not name the kind has it empty.
    older = tmp_path / "older"
    older.mkdir()
    assert load_catalog(write(older, entry()))["WL-TST-01"].references["anssi_ad"] == ()


def test_duplicate_id_across_files_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, entry(), name="a.yml", family="a")
    write(tmp_path, entry(), name="b.yml", family="b")
    with pytest.raises(CatalogError, match=r"catalog b\.yml: WL-TST-01: duplicate control ID"):
        load_catalog(tmp_path)


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("family: x\ncontrols: [\n")
    with pytest.raises(CatalogError, match=r"catalog bad\.yml line \d+: not valid YAML"):
        load_catalog(tmp_path)
