"""The catalog loader: strict schema, one-line errors naming file and control."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard.catalog import CatalogError, load_catalog


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
        (entry(colour="red"), "fam.yml: WL-TST-01: unknown key 'colour'"),
        (
            {k: v for k, v in entry().items() if k != "rationale"},
            "fam.yml: WL-TST-01: missing field 'rationale'",
        ),
        (entry(level=4), "fam.yml: WL-TST-01: bad level 4"),
        (entry(level="1"), "fam.yml: WL-TST-01: bad level '1'"),
        (entry(severity="urgent"), "fam.yml: WL-TST-01: bad severity 'urgent'"),
        (entry(remediation="manual"), "fam.yml: WL-TST-01: bad remediation 'manual'"),
        (entry(platforms=["bsd"]), "fam.yml: WL-TST-01: platforms must be"),
        (entry(id="ssh-1"), "fam.yml: 'ssh-1': id must look like WL-SSH-01"),
        (entry(references={"nist": []}), "fam.yml: WL-TST-01: unknown reference kind 'nist'"),
        (entry(references={"care": ["D9"]}), "fam.yml: WL-TST-01: unknown CaRE domain 'D9'"),
        (entry(references={"anssi_hygiene": ["43"]}), "anssi_hygiene '43' is not a measure"),
        (entry(references={"anssi_bp028": ["31"]}), "references.anssi_bp028 '31' is not a recommendation"),
        (entry(references={"cis": ["5.1.x"]}), "references.cis '5.1.x' is not a section"),
    ],
)
def test_bad_entries_name_file_and_control(tmp_path: Path, control: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        load_catalog(write(tmp_path, control))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_duplicate_id_across_files_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, entry(), name="a.yml", family="a")
    write(tmp_path, entry(), name="b.yml", family="b")
    with pytest.raises(CatalogError, match=r"catalog b\.yml: WL-TST-01: duplicate control ID"):
        load_catalog(tmp_path)


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("family: x\ncontrols: [\n")
    with pytest.raises(CatalogError, match=r"catalog bad\.yml line \d+: not valid YAML"):
        load_catalog(tmp_path)
