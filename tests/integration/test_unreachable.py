"""A host that was shut down is reported unreachable, with exit code 3, and the others still run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clirun import carehard, load_report, statuses
from tests.testhosts import harness

pytestmark = pytest.mark.integration


def test_unreachable_host(fleet: dict[str, harness.TestHost], state_dir: Path, tmp_path: Path) -> None:
    inventory = harness.write_inventory(tmp_path / "hosts.yml", [fleet["gone"], fleet["spare"]])
    result = carehard("audit", "-i", inventory, "--only", "WL-SSH-03,WL-SSH-04", "--output", tmp_path / "out")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    report = load_report(tmp_path / "out")
    gone_name, spare_name = fleet["gone"].name, fleet["spare"].name
    gone = next(h for h in report["hosts"] if h["name"] == gone_name)
    assert gone["reachable"] is False
    assert gone["errors"] and "unreachable" in gone["errors"][0]
    assert statuses(report, gone_name) == {"WL-SSH-03": "unreachable", "WL-SSH-04": "unreachable"}
    assert statuses(report, spare_name) == {"WL-SSH-03": "pass", "WL-SSH-04": "fail"}
    assert report["summary"]["unreachable"] == 2
