"""The HTML report in a real browser: headless Chromium renders it, dumps its DOM and logs its console,
runs its filters, and prints it to PDF.

The report comes from carehard's own code: runs saved to and loaded back from a History, then
build_report and render_html. The page is opened from a file:// URL and must fetch nothing; its only
addresses are the links of the controls' references.

Printing: Chromium prints the page to A4 (`--print-to-pdf`), `pdftotext -layout` reads the PDF back,
and every host, control, matrix cell, port and table column must be in it: a table cut at the page's
right edge loses its columns from the PDF (Chromium does not write what falls off the page). A second,
wide report (every Debian control of the catalog, long host names, an inventory and a full exposure
map) is printed too.

Needs `chromium` and `pdftotext` (the Debian packages chromium and poppler-utils; scripts/test.sh
installs them). Without them the tests are skipped, or fail when CI is set. With
CAREHARD_TEST_ARTIFACTS set, the screenshot, the pages and the PDFs are copied to tests/artifacts/.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from carehard.catalog import load_catalog
from carehard.exposure import DEFAULT_PORTS
from carehard.history import History
from carehard.model import BackupCheck, ControlResult, HostOutcome, RunRecord, count_statuses
from carehard.report import build_report, html_directory
from carehard.report.html import render_html
from carehard.report.html_results import is_reference_url
from carehard.report.labels import STATUS_CODES, pass_rate
from tests.unit.directory_data import directory_host

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


def pdftotext() -> str:
    path = shutil.which("pdftotext")
    if not path:
        reason = "pdftotext is not installed (apt-get install poppler-utils): the printed report is not read"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def print_to_pdf(tmp_path: Path, page: Path) -> str:
    """Print the page as Chromium does (A4, no header or footer), then its text as pdftotext -layout
    reads it back."""
    reader = pdftotext()
    pdf = tmp_path / f"{page.stem}.pdf"
    browse(tmp_path, page, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-", "chromium wrote no PDF"
    proc = subprocess.run(
        [reader, "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert proc.returncode == 0, proc.stderr
    if os.environ.get("CAREHARD_TEST_ARTIFACTS"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pdf, ARTIFACTS / pdf.name)
    return proc.stdout


def words(text: str, word: str) -> int:
    """How many times `word` stands alone in the text (a matrix cell: "F", "Fx", "na")."""
    return len(re.findall(rf"(?<![\w./-]){re.escape(word)}(?![\w./-])", text))


def assert_printed_whole(text: str, report: dict[str, Any]) -> None:
    """Every host, every control and every matrix cell of the report is in the printed text, and the
    CaRE table has its Rate column."""
    missing = [h["name"] for h in report["hosts"] if h["name"] not in text]
    assert missing == [], f"hosts missing from the PDF: {missing}"
    missing = [c["id"] for c in report["controls"] if c["id"] not in text]
    assert missing == [], f"controls missing from the PDF: {missing}"
    # The matrix prints one cell per host and control: at least as many codes as results (the legend
    # and other text may add some, a column cut at the page's edge takes its cells away).
    results = Counter(r["status"] for h in report["hosts"] for r in h["results"])
    for status, count in results.items():
        code = STATUS_CODES[status]
        assert words(text, code) >= count, (
            f"{code} ({status}): {words(text, code)} in the PDF, {count} results"
        )
    care = [line for line in text.splitlines() if re.search(r"\bDomain\s+Controls\b", line)]
    assert care and re.search(r"\bRate\b", care[0]), f"the CaRE table has no Rate column: {care}"


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

    # Escaped evidence stays text; the only script is the page's own; nothing is fetched from outside,
    # and the only links outside are those of the references (ANSSI, CIS), for the reader to follow.
    assert dom.count("<script") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    for url in re.findall(r"""\b(?:src|action|data|poster)\s*=\s*["']([^"']*)""", dom, flags=re.I):
        assert not re.match(r"(?:[a-z][a-z0-9+.-]*:)?//", url, flags=re.I), url
    links = re.findall(r"""<a\b[^>]*\bhref\s*=\s*["']([^"']*)""", dom, flags=re.I)
    outside = {url for url in links if re.match(r"(?:[a-z][a-z0-9+.-]*:)?//", url, flags=re.I)}
    assert outside and all(is_reference_url(url) for url in outside), outside
    for url in re.findall(r"""\bhref\s*=\s*["']([^"']*)""", dom, flags=re.I):
        assert url.startswith("#") or is_reference_url(url), url


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


# --- filters -------------------------------------------------------------------------------------

# Appended to a copy of the page: it drives the filter bar as a reader would and writes what shows.
PROBE = """<script>
(function () {
  "use strict";
  function shown(sel) {
    return Array.prototype.filter.call(document.querySelectorAll(sel), function (el) {
      return el.getClientRects().length > 0;
    }).map(function (el) { return el.getAttribute("data-c") || el.firstElementChild.textContent; });
  }
  function state(name) {
    return {name: name, controls: shown("details.ctl"), fixes: shown("li.fx"),
      rows: shown("#mx > tbody > tr"), columns: shown("#mx > thead th.c").length,
      count: document.getElementById("f-count").textContent};
  }
  function set(id, value) {
    var el = document.getElementById(id);
    el.value = value;
    el.dispatchEvent(new Event(id === "f-q" ? "input" : "change"));
  }
  var out = [state("start")];
  out[0].bar = !document.getElementById("filters").hidden;
  set("f-sev", "critical"); out.push(state("critical"));
  set("f-sev", ""); set("f-host", "ws-radiology-01"); set("f-status", "fail"); out.push(state("host fail"));
  document.getElementById("f-reset").click(); out.push(state("reset"));
  set("f-q", " wl-fw-01 "); setTimeout(function () {
    out.push(state("search"));
    var pre = document.createElement("pre");
    pre.id = "probe";
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }, 400);
}());
</script>"""


def test_report_filters(tmp_path: Path, report_page: tuple[Path, dict[str, Any]]) -> None:
    """The search box and the filters work offline in the page's own script, without a console error."""
    page, report = report_page
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text("utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom, err = browse(
        tmp_path, probe, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000", "--dump-dom"
    )
    assert console_problems(err, probe) == []
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, flags=re.DOTALL)
    assert found, f"the probe did not run; chromium said:\n{err[-3000:]}"
    start, critical, host_fail, reset, search = json.loads(html.unescape(found[1]))

    controls = {c["id"]: c for c in report["controls"]}
    assert start["bar"] and start["count"] == ""
    assert sorted(start["controls"]) == sorted(controls) and start["columns"] == len(controls)
    assert len(start["rows"]) == len(report["hosts"])

    wanted = sorted(cid for cid, c in controls.items() if c["severity"] == "critical")
    assert wanted and sorted(critical["controls"]) == wanted
    assert critical["columns"] == len(wanted) and set(critical["fixes"]) <= set(wanted)
    assert critical["count"].startswith(f"{len(wanted)} of {len(controls)} controls shown")

    host = next(h for h in report["hosts"] if h["name"] == "ws-radiology-01")
    failing = sorted(r["control"] for r in host["results"] if r["status"] == "fail")
    assert failing and sorted(host_fail["controls"]) == failing and sorted(host_fail["fixes"]) == failing
    assert host_fail["rows"] == ["ws-radiology-01"] and host_fail["columns"] == len(failing)

    assert sorted(reset["controls"]) == sorted(controls) and len(reset["rows"]) == len(report["hosts"])
    # The search ignores case and the spaces around; it reads the control's ID, title and evidence.
    assert search["controls"] == ["WL-FW-01"] and search["columns"] == 1


# --- print -----------------------------------------------------------------------------------------


def test_report_prints_whole(tmp_path: Path, report_page: tuple[Path, dict[str, Any]]) -> None:
    page, report = report_page
    text = print_to_pdf(tmp_path, page)
    assert_printed_whole(text, report)
    assert "What to fix first" in text and "Search" not in text  # priorities printed, filters not


LONG = ".radiologie.chu-exemple-universitaire.local"


@pytest.fixture(scope="module")
def wide_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A wide report: every Debian control of the catalog and a few Windows ones that ran nowhere,
    hosts with long names (one unreachable), the inventory and an exposure map of every default port,
    an Active Directory audited (250 privileged accounts, the directory section); the run saved to a
    History and loaded back."""
    catalog = load_catalog()
    debian = [c.id for c in catalog.all() if "debian" in c.platforms]
    windows = [c.id for c in catalog.all() if c.id.startswith("WW-")][:4]
    assert len(debian) >= 134
    cycle = ["pass", "pass", "fail", "fixed", "pass", "not_applicable", "error", "waived", "pass"]
    hosts = []
    for i in range(6):
        name = f"ws-{i:02d}{LONG}"
        if i == 5:
            hosts.append(
                HostOutcome(
                    name,
                    reachable=False,
                    errors=[f"ssh: connect to host {name} port 22: No route to host"],
                    results={
                        c: ControlResult(c, "unreachable", "host unreachable: not evaluated") for c in debian
                    },
                )
            )
            continue
        host = HostOutcome(name, facts={"os": "Debian", "os_version": "12.8", "kernel": "6.1.0-28-amd64"})
        for j, cid in enumerate(debian):
            status = cycle[(i + j) % len(cycle)]
            host.results[cid] = ControlResult(cid, status, f"{cid}: {status} as checked")
        hosts.append(host)
    directory = directory_host(f"ad{LONG}")
    run = RunRecord(
        id="20261124T020000Z-0000ff",
        mode="audit",
        started="2026-11-24T02:00:00+00:00",
        finished="2026-11-24T02:09:00+00:00",
        carehard_version="0.1.0",
        level=2,
        selection={"inventory": "inventories/site/hosts.yml", "limit": None, "only": [], "skip": []},
        controls=debian + windows + sorted(directory.results),
        exit_code=3,
        hosts={h.name: h for h in [*hosts, directory]},
    )
    tmp = tmp_path_factory.mktemp("wide")
    history = History(tmp / "history.sqlite")
    history.save(run)
    loaded = history.load(run.id)
    assert loaded is not None
    fleet = [
        {
            "host": h.name,
            "os": "Debian GNU/Linux 12 (bookworm)",
            "os_version": "12",
            "support": "supported",
            "support_ends": "2028-06-30",
            "support_days_left": 580,
            "security_updates_pending": 3,
            "security_updates": ["openssl", "libc6", "curl"],
            "last_update": "2026-11-20T04:00:00+00:00",
            "exposed_services": ["3389/tcp rdp on 0.0.0.0 (xrdp)"],
            "reachable_from": "probe-dmz",
            "reachable_ports": ["3389/tcp rdp"],
            "exposure_scanned_at": "2026-11-24T03:00:00+00:00",
            "detection": ["wazuh-agent"],
            "detection_ok": True,
            "admins": ["alice", "bob"],
            "undeclared_admins": [],
            "disk_encryption": "LUKS",
            "domain": "yes",
            "time_sync": "yes (chronyd)",
            "collected_at": "2026-11-24T02:05:00+00:00",
            "run_id": f"20261124T020500Z-fleet{i}",
        }
        for i, h in enumerate(hosts)
    ]
    ports = sorted(DEFAULT_PORTS)
    exposure = {
        "run_id": "20261124T030000Z-0000aa",
        "from": "probe-dmz",
        "method": "nmap",
        "scanned_at": "2026-11-24T03:00:00+00:00",
        "ports": [{"port": p, "proto": "tcp", "service": DEFAULT_PORTS[p]} for p in ports],
        "hosts": [
            {
                "name": h.name,
                "ports": [
                    {"port": p, "proto": "tcp", "state": "open" if p == 3389 else "closed", "allowed": False}
                    for p in ports
                ],
            }
            for h in hosts
        ],
    }
    report = build_report(loaded, catalog, fleet=fleet, exposure=exposure)
    page = tmp / "wide.html"
    page.write_text(render_html(report), encoding="utf-8")
    return page, report


def test_wide_report_prints_whole(tmp_path: Path, wide_page: tuple[Path, dict[str, Any]]) -> None:
    """No table is cut at the page's edge: the matrix, the hosts, the inventory and the exposure map
    print every column."""
    page, report = wide_page
    _out, err = browse(tmp_path, page, "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert console_problems(err, page) == []
    text = print_to_pdf(tmp_path, page)
    assert_printed_whole(text, report)
    # The hosts table's and the inventory's last columns, every port of the exposure map.
    assert re.search(r"\bHost\s+Address\b.*\bRate\b", text), "the hosts table lost its last columns"
    for row in report["fleet"]:
        assert row["run_id"] in text, row["run_id"]  # the inventory's last column
    for port in report["exposure"]["ports"]:
        assert f"{port['port']}/tcp" in text, port
    # Every section expanded: the evidence of every control, closed on screen when it has no problem.
    evidence = {r["evidence"] for h in report["hosts"] for r in h["results"] if r["status"] != "unreachable"}
    assert [e for e in evidence if e not in text] == []
    # The Windows controls ran on no host: out of the CaRE counts, and said so.
    assert "ran on no host" in text
    # The directory section: what was read with its controls, every row of the privileged accounts
    # with its last column, the flags table whole.
    (entry,) = report["directories"]
    assert "Directory" in text and "MachineAccountQuota" in text and "AD-LAPS-02 · fail" in text
    assert re.search(r"\bAccount\s+Privileged groups\s+Risky flags\s+Last logon\b", text)
    for account in entry["privileged_accounts"][: html_directory.MAX_ACCOUNTS_SHOWN]:
        assert account["name"] in text, account["name"]
    assert re.search(r"old-admin\b.*\b2023-02-11\b", text, flags=re.DOTALL)
    assert "and 225 more privileged accounts" in text
    assert re.search(r"not in Protected Users\s+143\s+AD-PRIV-04 · fail", text)


def test_directory_section_in_the_browser(tmp_path: Path, wide_page: tuple[Path, dict[str, Any]]) -> None:
    """The directory section renders in Chromium: each of its links leads to a control of the page, its
    tables fit the page's width on screen (nothing scrolls sideways at 1400 px)."""
    page, report = wide_page
    probe = tmp_path / "probe-directory.html"
    script = """<script>
(function () {
  var sec = document.getElementById("dir-0"), out = {links: [], missing: [], overflow: []};
  sec.querySelectorAll("a[href^='#']").forEach(function (a) {
    var id = a.getAttribute("href").slice(1);
    out.links.push(id);
    if (!document.getElementById(id)) { out.missing.push(id); }
  });
  sec.querySelectorAll("table").forEach(function (t) {
    var right = sec.getBoundingClientRect().right;
    if (t.getBoundingClientRect().right > right + 1) { out.overflow.push(t.className); }
  });
  out.rows = sec.querySelectorAll("table.diracc tbody tr").length;
  var pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}());
</script>"""
    probe.write_text(page.read_text("utf-8").replace("</body>", script + "</body>"), encoding="utf-8")
    dom, err = browse(
        tmp_path, probe, "--enable-logging=stderr", "--v=0", "--window-size=1400,1000", "--dump-dom"
    )
    assert console_problems(err, probe) == []
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, flags=re.DOTALL)
    assert found, f"the probe did not run; chromium said:\n{err[-3000:]}"
    seen = json.loads(html.unescape(found[1]))
    assert seen["missing"] == [] and seen["links"]
    assert {
        f"c-{r['control']}" for h in report["hosts"] if h["name"].startswith("ad.") for r in h["results"]
    } <= set(seen["links"])
    assert seen["overflow"] == [] and seen["rows"] == html_directory.MAX_ACCOUNTS_SHOWN


def test_print_expands_every_section_without_script(
    tmp_path: Path, wide_page: tuple[Path, dict[str, Any]]
) -> None:
    """Print opens the closed sections by CSS alone (details::details-content): the page's script, which
    opens them before printing, is left out here."""
    page, report = wide_page
    bare = tmp_path / "wide-no-script.html"
    bare.write_text(re.sub(r"<script>.*?</script>", "", page.read_text("utf-8"), flags=re.DOTALL), "utf-8")
    assert "<script" not in bare.read_text("utf-8")
    text = print_to_pdf(tmp_path, bare)
    evidence = {r["evidence"] for h in report["hosts"] for r in h["results"] if r["status"] != "unreachable"}
    assert [e for e in evidence if e not in text] == []
    assert_printed_whole(text, report)
