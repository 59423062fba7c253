"""Which part of the data packs restic check reads each night: round a cycle, from the real history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from carehard.backup_parts import check_parts, parts_read
from carehard.backups import BackupSet
from carehard.history import History
from carehard.model import BackupCheck, HostOutcome, RunRecord
from carehard.report import backup_trend
from carehard.report.html import render_html
from carehard.report.markdown import render_markdown
from tests.unit.test_report_html import sample_report


def a_set(name: str, read_cycle: int | None) -> BackupSet:
    return BackupSet(name, f"/srv/restic/{name}", "r1", None, None, "24h", "4h", read_cycle=read_cycle)


def night(history: History, day: int, parts: dict[str, Any]) -> None:
    """One nightly run on 2026-12-<day> that checked each set with its part (None: no check_part)."""
    run_id = f"202612{day:02d}T020000Z-{day:06d}"
    at = f"2026-12-{day:02d}T02:00:00+00:00"
    history.save(RunRecord(run_id, "backup", at, at, "0.1.0", 1, {"sets": list(parts)}, ["BK-CHK-01"], 0))
    history.save_backup_checks(
        [
            BackupCheck(
                run_id,
                name,
                at,
                "pass",
                None,
                None,
                True,
                None,
                None,
                None,
                None,
                {"primary": {} if part is None else {"check_part": part}},
            )
            for name, part in parts.items()
        ]
    )


def test_a_set_never_checked_starts_with_part_one(tmp_path: Path) -> None:
    history = History(tmp_path / "history.db")
    assert check_parts(history, [a_set("DPI", 7)]) == {"DPI": {"part": "1/7", "last_read": {}}}


def test_each_night_reads_the_next_part_and_the_cycle_goes_round(tmp_path: Path) -> None:
    history = History(tmp_path / "history.db")
    night(history, 1, {"DPI": "2/3", "PACS": "5%"})
    night(history, 2, {"DPI": "3/3", "PACS": "5%"})
    plan = check_parts(history, [a_set("DPI", 3), a_set("PACS", None)])
    assert plan == {
        "DPI": {
            "part": "1/3",
            "last_read": {"2/3": "2026-12-01T02:00:00+00:00", "3/3": "2026-12-02T02:00:00+00:00"},
        }
    }


def test_a_read_data_night_reads_every_part_and_the_rotation_goes_on(tmp_path: Path) -> None:
    history = History(tmp_path / "history.db")
    night(history, 1, {"DPI": "1/3"})
    night(history, 2, {"DPI": "all"})
    night(history, 3, {"DPI": None})  # the check did not run (the repository did not open)
    plan = check_parts(history, [a_set("DPI", 3)])
    assert plan["DPI"]["part"] == "2/3"
    assert plan["DPI"]["last_read"] == {
        "1/3": "2026-12-02T02:00:00+00:00",
        "2/3": "2026-12-02T02:00:00+00:00",
        "3/3": "2026-12-02T02:00:00+00:00",
    }


def test_a_changed_cycle_starts_again_from_part_one() -> None:
    assert parts_read({"primary": {"check_part": "4/7"}}, 7) == [4]
    assert parts_read({"primary": {"check_part": "4/7"}}, 30) == []
    assert parts_read({"primary": {"check_part": "all"}}, 2) == [1, 2]
    assert parts_read({"primary": {"check_part": "9/7"}}, 7) == []
    assert parts_read({}, 7) == []


def test_the_reports_say_when_each_part_was_last_read(tmp_path: Path) -> None:
    history = History(tmp_path / "history.db")
    night(history, 1, {"DPI": "1/7"})
    night(history, 2, {"DPI": "2/7"})
    run = RunRecord("r", "backup", "x", "2026-12-03T00:00:00+00:00", "0.1.0", 1, {"sets": ["DPI"]}, [], 0)
    run.hosts["DPI.backup"] = HostOutcome("DPI.backup", facts={"read_cycle": 7, "rpo": "24h"})
    (entry,) = backup_trend(history.backup_checks("DPI"), run)
    assert [c["check_part"] for c in entry["checks"]] == ["2/7", "1/7"]
    assert entry["read_cycle"] == 7
    assert entry["parts_last_read"]["1/7"] == "2026-12-01T02:00:00+00:00"
    assert entry["parts_last_read"]["3/7"] is None
    line = (
        "DPI: every data pack read once in 7 nights; 2 of 7 parts read, the longest ago 1/7 on"
        " 2026-12-01 02:00; never read yet: 3/7, 4/7, 5/7, 6/7, 7/7"
    )
    report = sample_report()
    report["backups"] = [entry]
    assert line in render_markdown(report)
    page = render_html(report)
    assert line in page and "ok (part 2/7)" in page
    # A set checked on a random sample has no read cycle: no such line.
    run.hosts["DPI.backup"].facts["read_cycle"] = None
    report["backups"] = backup_trend(history.backup_checks("DPI"), run)
    assert "never read yet" not in render_markdown(report)
