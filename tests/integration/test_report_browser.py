"""The HTML report in a real browser: headless Chromium renders it, dumps its DOM and logs its console.

The report comes from carehard's own code: runs saved to and loaded back from a History, then
build_report and render_html. The page is opened from a file:// URL and must fetch nothing.

Needs `chromium` (the Debian package; scripts/test.sh installs it). Without it the test is
skipped, or fails when CI is set. With CAREHARD_TEST_ARTIFACTS set, the screenshot and the page
are copied to tests/artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from carehard.catalog import load_catalog
from carehard.history import History
from carehard.model import BackupCheck, ControlResult, HostOutcome, RunRecord, count_statuses
from carehard.report import build_report
from carehard.report.html import render_html
from carehard.report.labels import pass_rate

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT = 60
XSS = "<script>alert(1)</script>"
CONTROLS = ["BK-AGE-01", "RA-SSH-01", "RA-VND-01", "WL-ACC-01", "WL-FS-01", "WL-FW-01", "WL-LOG-01"]
UNREACHABLE = "ws-er-07"
# A console message in Chromium's log (--enable-logging=stderr): "[pid:tid:date:INFO:CONSOLE:1] "text",
# source: file:///...html (1)"; older builds write "CONSOLE(1)". The console level is not in the line.
CONSOLE = re.compile(r':CONSOLE[:(]\d*\)?\] "(?P<text>.*)", source: (?P<source>\S+)')


def chromium() -> str:
    path = os.environ.get("CAREHARD_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        reason = (
            "chromium is not installed (apt-get install chromium): the report is not checked in a browser"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def browse(tmp_path: Path, page: Path, *args: str) -> tuple[str, str]:
    """Run headless Chromium on a file:// page with a fresh profile; (stdout, stderr)."""
    profile = tmp_path / f"profile-{time.monotonic_ns()}"
    cmd = [chromium(), *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        start_new_session=True,  # its helper processes share the group: one kill ends them all
    )
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"chromium did not finish within {TIMEOUT} s: {' '.join(cmd)}")
    assert proc.returncode == 0, f"chromium failed ({proc.returncode}): {err[-3000:]}"
    return out, err


def console_problems(stderr: str, page: Path) -> list[str]:
    """Every console message of the page, and any uncaught exception wherever it comes from."""
    found = []
    for line in stderr.splitlines():
        match = CONSOLE.search(line)
        if (match and match["source"].startswith(page.as_uri())) or "Uncaught" in line:
            found.append(line)
    return found


def outcome(name: str, statuses: dict[str, str], **extra: Any) -> HostOutcome:
    host = HostOutcome(
        name,
        facts={"os": "Debian", "os_version": "12.8", "kernel": "6.1.0-28-amd64", "virtualization": "kvm"},
        **extra,
    )
    for cid, status in statuses.items():
        host.results[cid] = ControlResult(cid, status, f"{cid} on {name}: {status}")
    return host


def run_record(index: int, day: int, mode: str, improved: bool) -> RunRecord:
    status = "pass" if improved else "fail"
    radiology = dict(
        zip(CONTROLS, ["pass", "fail", "fixed", "waived", "not_applicable", "pass", status], strict=True)
    )
    lab = dict.fromkeys(CONTROLS, status) | {"WL-LOG-01": "error", "WL-FW-01": "pass"}
    hosts = [
        outcome(
            "ws-radiology-01",
            radiology,
            waivers=[
                {"id": "WL-ACC-01", "reason": "vendor PACS viewer", "expiry": "2027-01-31", "active": True}
            ],
        ),
        outcome("ws-lab-02", lab, errors=["fact gathering was partial: /proc/cmdline unreadable"]),
        outcome("backup-01", dict.fromkeys(CONTROLS, "pass")),
        HostOutcome(
            UNREACHABLE,
            reachable=False,
            facts={"os": None, "os_version": None, "kernel": None, "virtualization": None},
            errors=[f"ssh: connect to host {UNREACHABLE} port 22: No route to host"],
            results={
                cid: ControlResult(cid, "unreachable", "host unreachable: not evaluated") for cid in CONTROLS
            },
        ),
    ]
    hosts[0].results["WL-ACC-01"].evidence = "waiver W-12 until 2027-01-31: " + XSS
    return RunRecord(
        id=f"202611{day:02d}T020000Z-{index:06x}",
        mode=mode,
        started=f"2026-11-{day:02d}T02:00:00+00:00",
        finished=f"2026-11-{day:02d}T02:03:10+00:00",
        carehard_version="0.1.0",
        level=2,
        selection={"inventory": "inventories/site/hosts.yml", "limit": None, "only": [], "skip": []},
        controls=list(CONTROLS),
        exit_code=3,
        hosts={h.name: h for h in hosts},
    )


def backup_check(run_id: str, day: int, restore: float) -> BackupCheck:
    return BackupCheck(
        run_id=run_id,
        backup_set="DPI",
        checked_at=f"2026-11-{day:02d}T02:03:00+00:00",
        verdict="pass",
        snapshot_time=f"2026-11-{day:02d}T00:30:00+00:00",
        snapshot_age_seconds=5580,
        check_ok=True,
        restore_seconds=restore,
        restore_bytes=268435456,
        throughput=268435456 / restore,
        rto_estimate_seconds=restore * 400,
    )


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Four runs saved to a History, the last one loaded back and rendered: (page, report dict)."""
    catalog = load_catalog()
    missing = [cid for cid in CONTROLS if cid not in catalog]
    assert not missing, f"controls no longer in the catalog: {missing}"
    tmp = tmp_path_factory.mktemp("report")
    history = History(tmp / "history.sqlite")
    runs = [
        run_record(i, day, mode, improved)
        for i, (day, mode, improved) in enumerate(
            [(20, "audit", False), (21, "harden", False), (22, "audit", True), (23, "harden", True)]
        )
    ]
    for i, run in enumerate(runs):
        history.save(run)
        history.save_backup_checks([backup_check(run.id, 20 + i, 40.0 + 7 * i)])
    loaded = [history.load(run.id) for run in runs]
    assert all(loaded)
    last = loaded[-1]
    assert last is not None
    report = build_report(last, catalog, history.backup_checks("DPI", limit=30))
    report["trend"] = [
        {
            "run_id": run.id,
            "started": run.started,
            "mode": run.mode,
            "pass_rate": pass_rate(count_statuses(run.hosts.values())),
            "counts": count_statuses(run.hosts.values()),
        }
        for run in loaded
        if run is not None
    ]
    page = tmp / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    return page, report


def test_report_statuses_are_all_there(report_page: tuple[Path, dict[str, Any]]) -> None:
    _page, report = report_page
    seen = {r["status"] for h in report["hosts"] for r in h["results"]}
    assert seen == {"pass", "fail", "fixed", "error", "not_applicable", "waived", "unreachable"}


def test_console_check_catches_a_script_error(tmp_path: Path) -> None:
    """The console check below can fail: a page with a script error is caught."""
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><html><body><p>x</p><script>undefined_fn()</script></body></html>")
    _out, err = browse(tmp_path, broken, "--enable-logging=stderr", "--v=0", "--dump-dom")
    problems = console_problems(err, broken)
    assert problems, f"no console error logged for a broken page; chromium said:\n{err[-3000:]}"
    assert "undefined_fn is not defined" in problems[0]


def test_report_dom_and_console(tmp_path: Path, report_page: tuple[Path, dict[str, Any]]) -> None:
    page, report = report_page
    dom, err = browse(tmp_path, page, "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert dom.lstrip().lower().startswith("<!doctype html>"), dom[:500]

    # (c) No console message from the page (it logs nothing), no uncaught exception.
    assert console_problems(err, page) == []

    # Hosts, the unreachable one marked.
    for host in report["hosts"]:
        assert host["name"] in dom
    assert re.search(rf'<tr class="down"><th>{UNREACHABLE}</th>', dom)

    # The matrix: a table with a column per control and a row per host.
    matrix = re.search(r'<table class="matrix" id="mx">(.*?)</table>', dom, flags=re.DOTALL)
    assert matrix, "no hosts x controls matrix in the DOM"
    for cid in CONTROLS:
        assert f">{cid}</a></th>" in matrix[1]
    for host in report["hosts"]:
        assert f"<th>{host['name']}</th>" in matrix[1]
    for status in report["summary"]:
        assert f'class="s-{status}"' in matrix[1]

    # The trend chart: one point per run, with its hover title; the restore time chart of the set.
    charts = re.findall(r"<svg\b[^>]*>.*?</svg>", dom, flags=re.DOTALL)
    assert len(charts) == 2, charts
    rate, restore = charts
    assert 'role="img"' in rate and 'aria-label="Compliance rate of the last 4 runs' in rate
    assert rate.count("<circle") == 4
    assert "2026-11-23 02:00 UTC · harden" in rate
    assert "<path" in rate
    assert 'aria-label="Estimated full restore time (RTO) of backup set DPI' in restore
    assert restore.count("<circle") == 4

    # Escaped evidence stays text; the only script is the page's own; nothing points outside.
    assert dom.count("<script") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    for url in re.findall(r"""\b(?:src|href|action|data|poster)\s*=\s*["']([^"']*)""", dom, flags=re.I):
        assert not re.match(r"(?:[a-z][a-z0-9+.-]*:)?//", url, flags=re.I), url


def test_report_screenshot(tmp_path: Path, report_page: tuple[Path, dict[str, Any]]) -> None:
    page, _report = report_page
    shot = tmp_path / "report.png"
    browse(tmp_path, page, f"--screenshot={shot}", "--window-size=1400,2000")
    assert shot.is_file(), "chromium wrote no screenshot"
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1400, 2000)
    # A blank or error page compresses to a few kB; the report is far richer.
    assert len(data) > 10_000, f"screenshot of {len(data)} bytes: blank page?"
    if os.environ.get("CAREHARD_TEST_ARTIFACTS"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, ARTIFACTS / "report.png")
        shutil.copyfile(page, ARTIFACTS / "report.html")
