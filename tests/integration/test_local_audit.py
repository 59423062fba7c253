"""The README's main job: `carehard audit` of the machine it runs on, read-only, writes a report."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clirun import carehard, load_report

pytestmark = pytest.mark.integration


def test_local_audit_writes_a_report(state_dir: Path, tmp_path: Path) -> None:
    result = carehard("audit", "--output", tmp_path / "out")
    assert result.returncode in (0, 1, 3), result.stderr
    assert "Traceback" not in result.stderr
    report = load_report(tmp_path / "out")
    assert report["run"]["selection"]["inventory"] == "local"
    assert [h["name"] for h in report["hosts"]] == ["localhost"]
    localhost = report["hosts"][0]
    assert localhost["reachable"] and localhost["facts"]["os"]
    assert {r["control"] for r in localhost["results"]} >= {"WL-SSH-01", "WL-SYS-01"}
    assert (tmp_path / "out" / "report.html").stat().st_size > 0
