"""The terminal at 80 columns and piped: run ids whole (and accepted by prefix, last, last~N),
no word broken in mid-letter, no header cut, evidence cut with a mark."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from rich.console import Console

from carehard.cli.display import backup_checks_table, findings_table, fleet_table, run_summary
from carehard.cli.narrow import show
from carehard.history import History
from carehard.model import BackupCheck, ControlResult
from tests import clirun
from tests.unit.test_history import record

IDS = ("20261125T120000Z-abc123", "20261126T120000Z-abd999", "20261127T120000Z-ffff00")


@pytest.fixture
def state(tmp_path: Path) -> Path:
    history = History(tmp_path / "history.db")
    for day, run_id in zip((25, 26, 27), IDS, strict=True):
        history.save(record(run_id, f"2026-11-{day}T12:00:00+00:00"))
    return tmp_path


def carehard(state: Path, *args: str | Path, columns: int = 80) -> subprocess.CompletedProcess[str]:
    return clirun.carehard(*args, env={"CAREHARD_STATE_DIR": str(state), "COLUMNS": str(columns)})


def rendered(table: object, width: int = 80) -> str:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    show(console, table)  # type: ignore[arg-type]
    return console.export_text()


@pytest.mark.parametrize("columns", [80, 200])
def test_runs_list_shows_every_run_id_whole(state: Path, columns: int) -> None:
    listed = carehard(state, "runs", "list", columns=columns)
    assert listed.returncode == 0, listed.stderr
    for run_id in IDS:
        assert run_id in listed.stdout, listed.stdout
    assert "…" not in listed.stdout
    assert max(len(line) for line in listed.stdout.splitlines()) <= columns


def test_a_run_is_named_by_a_unique_prefix_last_or_last_n(state: Path, tmp_path: Path) -> None:
    for name, expected in (("20261126", IDS[1]), ("last", IDS[2]), ("last~2", IDS[0]), (IDS[0], IDS[0])):
        out = tmp_path / name
        made = carehard(state, "report", "--run", name, "--format", "json", "--output", out)
        assert made.returncode == 0, made.stderr
        assert f'"id": "{expected}"' in (out / "report.json").read_text(), name
    diff = carehard(state, "report", "diff", "last~1", "last")
    assert diff.returncode == 0, diff.stderr
    assert f"{IDS[1]} ->" in diff.stdout


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("2026112", "run 2026112: 3 runs start so"),
        ("last~3", "last~3: the history holds only 3 run(s)"),
        ("nope", "no run nope in the history"),
    ],
)
def test_a_run_name_that_names_no_single_run_is_refused_on_one_line(
    state: Path, tmp_path: Path, name: str, words: str
) -> None:
    refused = carehard(state, "report", "--run", name, "--output", tmp_path / "out")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and words in refused.stderr, refused.stderr
    assert not (tmp_path / "out").exists()


def fleet_row() -> dict[str, object]:
    return {
        "host": "ws-radiologie-01",
        "os": "Debian GNU/Linux 12 (bookworm)",
        "security_updates_pending": 3,
        "security_updates": ["openssl", "libc6", "openssh-server"],
        "exposed_services": ["22/tcp sshd", "631/tcp cupsd"],
        "admins": ["root", "admin"],
        "undeclared_admins": ["admin"],
        "disk_encryption": "no",
        "time_sync": "chrony",
        "collected_at": "2026-12-07T01:00:00Z",
        "run_id": IDS[2],
    }


def words_of(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z][A-Za-z0-9-]{3,}", text))


def test_a_wide_table_at_80_columns_breaks_no_word_and_cuts_no_header() -> None:
    wide = rendered(fleet_table([fleet_row()]), 400)
    narrow = rendered(fleet_table([fleet_row()]), 80)
    headers = {str(column.header) for column in fleet_table([]).columns}
    # A block leaves out the fields with no value ("—"): their headers only.
    assert words_of(wide) - words_of(" ".join(headers)) <= words_of(narrow)
    assert "Security updates: 3: openssl, libc6, openssh-server" in narrow
    assert max(len(line.rstrip()) for line in narrow.splitlines()) <= 80
    check = BackupCheck(
        IDS[2], "DPI", "2026-12-07T01:13:20+00:00", "pass", None, 53, True, 0.6, 1, 1.0, 9.0, {}
    )
    backups = rendered(backup_checks_table([check]), 80)
    assert "Verdict:" in backups and "…" not in backups


def test_evidence_cut_for_the_terminal_says_so() -> None:
    run = record()
    long = "x " * 200
    run.hosts["ws-01"].results["WL-SSH-01"] = ControlResult("WL-SSH-01", "fail", long)
    table = findings_table(run)
    assert table is not None
    shown = rendered(table, 400)
    assert "…" in shown and long.strip() not in shown


def test_findings_show_the_most_severe_first() -> None:
    run = record()
    host = run.hosts["ws-01"]
    host.results = {
        cid: ControlResult(cid, "fail", f"evidence of {cid}")
        for cid in ("WL-BAN-01", "WL-SSH-01", "BK-REPO-01")  # low or medium, high, critical
    }
    table = findings_table(run)
    assert table is not None
    shown = rendered(table, 400)
    order = [shown.index(f"evidence of {cid}") for cid in ("BK-REPO-01", "WL-SSH-01", "WL-BAN-01")]
    assert order == sorted(order), shown
    assert "critical" in shown and "high" in shown


def test_the_terminal_summary_in_french() -> None:
    run = record()
    run.hosts["ws-01"].results = {"WL-SSH-01": ControlResult("WL-SSH-01", "fail", "PermitRootLogin yes")}
    findings = findings_table(run, "fr")
    assert findings is not None
    shown = rendered(findings, 200) + rendered(run_summary(run, "fr"), 200)
    for word in ("Gravité", "Hôte", "Contrôle", "Preuve", "élevée", "non conforme", "conforme"):
        assert word in shown, (word, shown)
    assert "Severity" not in shown and "Evidence" not in shown
