"""Durations for people: one format, the same in the terminal, the HTML and the Markdown reports."""

from __future__ import annotations

from typing import Any

import pytest
from rich.console import Console

from carehard.cli.display import backup_checks_table
from carehard.durations import format_duration
from carehard.model import BackupCheck
from carehard.report.html import render_html
from carehard.report.markdown import render_markdown
from tests.unit.test_report_html import sample_report


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (0.04, "0 s"),
        (-0.04, "0 s"),  # never "-0 s"
        (-5, "-5 s"),  # a clock ahead of the host's: shown as it is
        (0.25, "0.2 s"),
        (1.96, "2 s"),
        (2, "2 s"),  # the decimal only when it is not 0
        (7.5, "7.5 s"),
        (45.24, "45.2 s"),
        (60, "60 s"),
        (119.94, "119.9 s"),
        # 2 minutes: whole minutes from here, and never "120 s".
        (119.96, "2 min"),
        (120, "2 min"),
        (179, "3 min"),
        (2280, "38 min"),
        (7169, "119 min"),
        # 2 hours: hours with one decimal from here, and never "120 min".
        (7170, "2 h"),
        (7200, "2 h"),
        (9000, "2.5 h"),
        (86400, "24 h"),
        (172619, "47.9 h"),
        # 2 days: days with one decimal from here, and never "48 h".
        (172620, "2 d"),
        (172800, "2 d"),
        (198720, "2.3 d"),
        (864000, "10 d"),
    ],
)
def test_format_duration_at_the_boundaries(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_duration_without_a_value() -> None:
    assert format_duration(None) == "—"
    assert format_duration(None, unknown="-") == "-"
    assert format_duration(float("nan")) == "—"
    assert format_duration(float("inf"), unknown="-") == "-"


CHECK: dict[str, Any] = {
    "checked_at": "2026-11-25T03:30:00+00:00",
    "run_id": "20261125T033000Z-aaaaaa",
    "verdict": "pass",
    "snapshot_time": "2026-11-23T20:00:00+00:00",
    "snapshot_age_seconds": 9000,  # 2.5 hours
    "check_ok": True,
    "restore_seconds": 754.3,  # 12.6 minutes
    "restore_bytes": 10485760,
    "throughput": 13900.0,
    "rto_estimate_seconds": 200000.0,  # 55.6 hours: 2.3 days
}


def test_terminal_html_and_markdown_say_the_same() -> None:
    report = sample_report()
    report["backups"] = [{"set": "pacs", "rpo": "1d", "rto": "4h", "checks": [CHECK]}]
    console = Console(width=250, record=True)
    console.print(
        backup_checks_table(
            [
                BackupCheck(
                    run_id=CHECK["run_id"],
                    backup_set="pacs",
                    checked_at=CHECK["checked_at"],
                    verdict="pass",
                    snapshot_time=CHECK["snapshot_time"],
                    snapshot_age_seconds=CHECK["snapshot_age_seconds"],
                    check_ok=True,
                    restore_seconds=CHECK["restore_seconds"],
                    restore_bytes=CHECK["restore_bytes"],
                    throughput=CHECK["throughput"],
                    rto_estimate_seconds=CHECK["rto_estimate_seconds"],
                )
            ]
        )
    )
    outputs = {
        "terminal": console.export_text(),
        "html": render_html(report),
        "markdown": render_markdown(report),
    }
    for medium, text in outputs.items():
        for shown in ("2.5 h", "13 min", "2.3 d"):
            assert shown in text, (medium, shown)
        assert "55.6 h" not in text, medium  # the old HTML wording of a 2.3-day duration
