"""docs/coverage.md: every benchmark item in scope is mapped to a control or says why it is not
automated, no control is of a higher level than what it enforces, and the file is up to date."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def coverage_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("carehard_coverage", ROOT / "scripts" / "coverage.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_item_in_scope_has_a_control_or_a_reason() -> None:
    _, problems = coverage_script().build_rows()
    assert not problems, "\n".join(problems)


def test_no_control_enforces_an_item_only_above_its_level() -> None:
    script = coverage_script()
    rows, _ = script.build_rows()
    problems = script.level_problems(rows)
    assert not problems, "\n".join(problems)


def test_the_scope_is_the_workstation_profile_up_to_enhanced() -> None:
    script = coverage_script()
    cis = {i.number: i.level for i in script.read_items("cis")}
    bp028 = {i.number: i.level for i in script.read_items("anssi_bp028")}
    assert cis["1.1.1.1"] == 1 and cis["1.1.1.9"] == 2  # level1-server, level2-workstation
    assert "2.1.11" not in cis and "1.7.1" not in cis  # server-only items
    assert bp028["R31"] == 1 and bp028["R32"] == 2 and bp028["R45"] == 3
    assert "R46" not in bp028  # level high


def test_docs_coverage_is_what_the_catalog_gives() -> None:
    script = coverage_script()
    rows, _ = script.build_rows()
    current = (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")
    assert current == script.render(rows), "docs/coverage.md is stale: run python3 scripts/coverage.py"
