"""Prometheus metrics files (--metrics-file): parsed back with prometheus_client's own parser."""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from carehard.metrics import run_metrics, write_metrics
from carehard.model import BackupCheck, ControlResult, HostOutcome, RunRecord
from tests.clirun import carehard


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def run_record(mode: str = "audit") -> RunRecord:
    hosts = {
        "pacs-01": HostOutcome(
            "pacs-01",
            results={
                "WL-SSH-01": ControlResult("WL-SSH-01", "pass", "ok"),
                "WL-SSH-02": ControlResult("WL-SSH-02", "fail", "no"),
                "WL-SSH-03": ControlResult("WL-SSH-03", "waived", "ticket"),
                "WL-GUI-01": ControlResult("WL-GUI-01", "not_applicable", "no GUI"),
            },
        ),
        'dpi "urgences"': HostOutcome('dpi "urgences"', reachable=False),
    }
    return RunRecord(
        id="20261126T020000Z-abc123",
        mode=mode,
        started="2026-11-26T02:00:00+00:00",
        finished="2026-11-26T02:10:00+00:00",
        carehard_version="0.1.0",
        level=2,
        selection={"inventory": "site"},
        controls=[],
        exit_code=1,
        artifacts=None,
        hosts=hosts,
    )


def test_run_counts_host_ratios_and_backup_sets() -> None:
    check = BackupCheck(
        run_id="r",
        backup_set="DPI",
        checked_at="2026-11-26T02:09:00+00:00",
        verdict="fail",
        snapshot_time=None,
        snapshot_age_seconds=93600,
        check_ok=True,
        restore_seconds=12.5,
        restore_bytes=1000,
        throughput=80.0,
        rto_estimate_seconds=None,
    )
    got = samples(run_metrics(run_record("backup"), [check], {"DPI": "2026-11-24T02:09:00Z"}))
    assert got[("carehard_run_exit_code", (("mode", "backup"),))] == 1
    assert got[("carehard_run_timestamp_seconds", (("mode", "backup"),))] == 1795659000
    assert got[("carehard_run_results", (("mode", "backup"), ("status", "fail")))] == 1
    assert got[("carehard_run_results", (("mode", "backup"), ("status", "not_applicable")))] == 1
    # pass and waived of three evaluated controls; not_applicable is not evaluated.
    assert got[("carehard_host_pass_ratio", (("host", "pacs-01"), ("mode", "backup")))] == 2 / 3
    assert got[("carehard_host_reachable", (("host", 'dpi "urgences"'), ("mode", "backup")))] == 0
    assert ("carehard_host_pass_ratio", (("host", 'dpi "urgences"'), ("mode", "backup"))) not in got
    assert got[("carehard_backup_verdict", (("set", "DPI"), ("verdict", "fail")))] == 1
    assert got[("carehard_backup_verdict", (("set", "DPI"), ("verdict", "pass")))] == 0
    assert got[("carehard_backup_snapshot_age_seconds", (("set", "DPI"),))] == 93600
    assert got[("carehard_backup_restore_seconds", (("set", "DPI"),))] == 12.5
    assert got[("carehard_backup_restore_throughput_bytes_per_second", (("set", "DPI"),))] == 80
    assert got[("carehard_backup_last_success_timestamp_seconds", (("set", "DPI"),))] == 1795486140
    assert ("carehard_backup_rto_estimate_seconds", (("set", "DPI"),)) not in got


def test_the_file_is_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "carehard.prom"
    target.write_text("old\n", encoding="utf-8")
    write_metrics(target, run_metrics(run_record()))
    assert samples(target.read_text(encoding="utf-8"))
    assert os.listdir(tmp_path) == ["carehard.prom"], "a temporary file was left behind"
    assert target.stat().st_mode & 0o777 == 0o644


def test_audit_writes_metrics_of_the_real_run(tmp_path: Path) -> None:
    target = tmp_path / "audit.prom"
    proc = carehard(
        "audit",
        "--only",
        "IV-OS-01",
        "--output",
        tmp_path / "out",
        "--metrics-file",
        target,
        env={"CAREHARD_STATE_DIR": str(tmp_path / "state")},
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    got = samples(target.read_text(encoding="utf-8"))
    assert got[("carehard_run_exit_code", (("mode", "audit"),))] == proc.returncode
    assert got[("carehard_host_reachable", (("host", "localhost"), ("mode", "audit")))] == 1
    ratio = got[("carehard_host_pass_ratio", (("host", "localhost"), ("mode", "audit")))]
    assert ratio == (1.0 if proc.returncode == 0 else 0.0)


def test_a_metrics_file_in_a_missing_directory_is_refused_before_any_run(tmp_path: Path) -> None:
    state = tmp_path / "state"
    proc = carehard(
        "audit",
        "--only",
        "IV-OS-01",
        "--output",
        tmp_path / "out",
        "--metrics-file",
        tmp_path / "no" / "x.prom",
        env={"CAREHARD_STATE_DIR": str(state)},
    )
    assert proc.returncode == 2
    assert (
        proc.stderr.strip().count("\n") == 0
        and "--metrics-file" in proc.stderr
        and "does not exist" in proc.stderr
    )
    assert not (state / "runs").exists() and not (tmp_path / "out").exists()
