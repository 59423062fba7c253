"""The JUnit XML, CSV and Markdown views of a carehard-report/1 dict."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from carehard.errors import UsageError
from carehard.report import FORMATS, parse_formats, renderers, write_reports
from carehard.report.csv_report import BOM, COLUMNS, render_csv
from carehard.report.junit import render_junit
from carehard.report.markdown import MAX_PROBLEMS, render_markdown
from tests.unit.test_report_html import CONTROLS, XSS, big_report, sample_report

NASTY = "a]]>b <script>alert(1)</script> c\x00d\x01e\x1bf\ufffeg \U0001f600 & \"q\" 'q'\r\nsecond line"
MULTILINE = 'line one, with a comma\nline two; "quoted"\r\nline three'


def _junit_tree(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


def _csv_rows(text: str) -> list[list[str]]:
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM) :], newline="")))


def _with_evidence(evidence: str, status: str = "fail", host: str = "ws-radiology-01") -> dict[str, Any]:
    report = sample_report()
    target = next(h for h in report["hosts"] if h["name"] == host)
    target["results"][0].update(status=status, evidence=evidence)
    return report


def _expected_cases(report: dict[str, Any], host: dict[str, Any]) -> int:
    if not host["reachable"] and not host["results"]:
        return len(report["controls"])
    return len(host["results"])


# --- registration -------------------------------------------------------------------------------


def test_formats_registered() -> None:
    assert FORMATS == ("json", "html", "junit", "csv", "md")
    table = renderers()
    assert set(table) == set(FORMATS)
    assert table["junit"] == ("report.junit.xml", render_junit)
    assert table["csv"] == ("report.csv", render_csv)
    assert table["md"] == ("report.md", render_markdown)
    assert parse_formats("junit, CSV,md,junit") == ["junit", "csv", "md"]


def test_unknown_format_message_lists_all() -> None:
    with pytest.raises(
        UsageError, match=r"'pdf' in --format: use a comma list of json, html, junit, csv, md$"
    ):
        parse_formats("json,pdf")


def test_write_reports_writes_every_format(tmp_path: Path) -> None:
    written = write_reports(sample_report(), tmp_path, FORMATS)
    names = sorted(p.name for p in written)
    assert names == ["report.csv", "report.html", "report.json", "report.junit.xml", "report.md"]
    raw = (tmp_path / "report.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfrun_id,")
    assert b"\r\n" in raw
    suites = JUnitXml.fromfile(str(tmp_path / "report.junit.xml"))
    assert len(list(suites)) == len(sample_report()["hosts"])


# --- JUnit --------------------------------------------------------------------------------------


def test_junit_parsed_by_junitparser() -> None:
    report = sample_report()
    xml = JUnitXml.fromstring(render_junit(report).encode("utf-8"))
    suites = {suite.name: suite for suite in xml}
    assert list(suites) == [h["name"] for h in report["hosts"]]
    for host in report["hosts"]:
        suite = suites[host["name"]]
        assert suite.hostname == host["name"]
        assert suite.tests == len(list(suite)) == _expected_cases(report, host)

    lab = suites["ws-lab-02"]
    assert (lab.tests, lab.failures, lab.errors, lab.skipped) == (4, 2, 1, 0)
    rad = suites["ws-radiology-01"]
    assert (rad.tests, rad.failures, rad.errors, rad.skipped) == (4, 1, 0, 1)
    assert (suites["ws-er-07"].errors, suites["ws-er-08"].errors) == (len(CONTROLS), 3)

    totals = report["summary"]
    assert xml.tests == sum(totals.values())
    assert xml.failures == totals["fail"]
    assert xml.errors == totals["error"] + totals["unreachable"]
    assert xml.skipped == totals["waived"] + totals["not_applicable"]
    assert xml.name == "carehard harden 20261125T171500Z-3f9a1c"


def test_junit_case_names_and_results() -> None:
    xml = JUnitXml.fromstring(render_junit(sample_report()).encode("utf-8"))
    cases = {(suite.name, case.name): case for suite in xml for case in suite}

    failed = cases[("ws-radiology-01", "WL-SSH-01 Root login over SSH is disabled")]
    assert failed.classname == "workstation_linux"
    (failure,) = failed.result
    assert isinstance(failure, Failure)
    assert failure.type == "fail"
    assert failure.message == "PermitRootLogin is without-password; expected no"
    assert failure.text == "PermitRootLogin is without-password; expected no"

    waived = cases[("ws-radiology-01", "WL-EDR-01 An EDR agent is running")]
    assert waived.is_skipped and not waived.is_failure
    (skip,) = waived.result
    assert isinstance(skip, Skipped)
    assert skip.message is not None and skip.message.startswith("waived: waiver W-12")
    assert XSS in skip.message  # escaped in the file, intact once parsed

    fixed = cases[("ws-lab-02", "WL-SSH-01 Root login over SSH is disabled")]
    assert fixed.is_passed
    assert fixed.system_out is not None
    assert fixed.system_out.startswith("fixed by harden: --- before: /etc/ssh/sshd_config\n")

    error = cases[("ws-lab-02", "WL-EDR-01 An EDR agent is running")]
    (err,) = error.result
    assert isinstance(err, Error) and err.type == "error"

    down = cases[("ws-er-07", "BK-RPO-01 Newest snapshot is younger than the RPO")]
    (err,) = down.result
    assert isinstance(err, Error) and err.type == "unreachable"
    assert err.message is not None and "No route to host" in err.message

    na = cases[("backup-01", "WL-EDR-01 An EDR agent is running")]
    assert na.is_skipped
    assert cases[("ws-lab-02", "RA-TOOL-01 No permanent remote-control tool is installed")].classname == (
        "remote_access"
    )


def test_junit_parsed_by_elementtree() -> None:
    report = sample_report()
    root = _junit_tree(render_junit(report))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [h["name"] for h in report["hosts"]]
    for suite in suites:
        cases = suite.findall("testcase")
        assert int(suite.get("tests", -1)) == len(cases)
        assert int(suite.get("failures", -1)) == len(suite.findall("testcase/failure"))
        assert int(suite.get("errors", -1)) == len(suite.findall("testcase/error"))
        assert int(suite.get("skipped", -1)) == len(suite.findall("testcase/skipped"))
    assert int(root.get("tests", -1)) == sum(int(s.get("tests", 0)) for s in suites)
    assert float(root.get("time", -1)) == 42.0
    lab = root.find("testsuite[@name='ws-lab-02']")
    assert lab is not None
    assert lab.findtext("system-err") == "fact gathering was partial: /proc/cmdline unreadable"
    assert lab.find("properties/property[@name='os']") is not None


def test_junit_multiline_evidence() -> None:
    root = _junit_tree(render_junit(_with_evidence(MULTILINE)))
    failure = root.find("testsuite[@name='ws-radiology-01']/testcase/failure")
    assert failure is not None
    assert failure.get("message") == "line one, with a comma"
    # XML parsers normalise CR LF to LF; the rest is kept as is.
    assert failure.text == MULTILINE.replace("\r\n", "\n")


@pytest.mark.parametrize("status", ["fail", "error", "waived", "pass", "fixed", "not_applicable"])
def test_junit_hostile_evidence_is_valid_xml(status: str) -> None:
    text = render_junit(_with_evidence(NASTY, status))
    assert "]]>" not in text
    assert "<script>" not in text
    assert "\x00" not in text and "\x01" not in text and "\ufffe" not in text
    root = _junit_tree(text)
    JUnitXml.fromstring(text.encode("utf-8"))
    case = root.find("testsuite[@name='ws-radiology-01']/testcase")
    assert case is not None
    body = "".join(case.itertext())
    assert "a]]>b <script>alert(1)</script> cdef" in body
    assert "\U0001f600" in body


def test_junit_hostile_names_are_valid_xml() -> None:
    report = sample_report()
    report["hosts"][0]["name"] = '"><x y="\x07'
    report["controls"][0]["title"] = "]]> & <b>"
    suite = _junit_tree(render_junit(report)).find("testsuite")
    assert suite is not None
    assert suite.get("name") == '"><x y="'


def test_junit_empty_report() -> None:
    report = sample_report()
    report.update(controls=[], hosts=[])
    root = _junit_tree(render_junit(report))
    assert root.get("tests") == "0"
    assert root.findall("testsuite") == []


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_rows() -> None:
    report = sample_report()
    rows = _csv_rows(render_csv(report))
    assert tuple(rows[0]) == COLUMNS
    assert all(len(row) == len(COLUMNS) for row in rows)
    expected = sum(_expected_cases(report, h) for h in report["hosts"])
    assert len(rows) - 1 == expected == sum(report["summary"].values())
    records = [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]
    first = records[0]
    assert first["run_id"] == "20261125T171500Z-3f9a1c"
    assert first["mode"] == "harden"
    assert (first["host"], first["reachable"], first["os"], first["os_version"]) == (
        "ws-radiology-01",
        "true",
        "Debian",
        "12.8",
    )
    assert (first["control"], first["family"], first["level"], first["severity"]) == (
        "WL-SSH-01",
        "workstation_linux",
        "1",
        "high",
    )
    assert (first["care"], first["anssi_hygiene"], first["anssi_bp028"], first["cis"]) == (
        "workstations",
        "29",
        "R31",
        "5.1.20",
    )
    down = [r for r in records if r["host"] == "ws-er-07"]
    assert len(down) == len(CONTROLS)
    assert {r["status"] for r in down} == {"unreachable"}
    assert down[0]["reachable"] == "false"
    assert down[0]["os"] == ""
    assert "No route to host" in down[0]["evidence"]


def test_csv_big_report_has_hosts_times_controls_rows() -> None:
    report = big_report(40, 12)
    rows = _csv_rows(render_csv(report))
    assert len(rows) - 1 == 40 * 12


def test_csv_multiline_evidence_round_trips() -> None:
    text = render_csv(_with_evidence(MULTILINE))
    assert text.count("\r\n") >= 2
    rows = _csv_rows(text)
    evidence = rows[1][COLUMNS.index("evidence")]
    assert evidence == MULTILINE


def test_csv_semicolon_joined_references() -> None:
    report = sample_report()
    report["controls"][0]["references"]["care"] = ["workstations", "remote_access"]
    report["controls"][0]["references"]["cis"] = ["5.1.20", "5.1.21"]
    rows = _csv_rows(render_csv(report))
    assert rows[1][COLUMNS.index("care")] == "workstations;remote_access"
    assert rows[1][COLUMNS.index("cis")] == "5.1.20;5.1.21"


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://x","y")', "+1+2", "-2+3", "@SUM(A1)", "  =1+1", "\t=1", "\r=1"],
)
def test_csv_formula_cells_are_neutralised(value: str) -> None:
    report = _with_evidence(value)
    report["hosts"][0]["name"] = value
    rows = _csv_rows(render_csv(report))
    record = dict(zip(COLUMNS, rows[1], strict=True))
    for column in ("host", "evidence"):
        assert record[column].startswith("'"), column
        assert record[column][1:] == value


def test_csv_diff_evidence_neutralised_but_whole() -> None:
    rows = _csv_rows(render_csv(sample_report()))
    fixed = next(r for r in rows if r[COLUMNS.index("status")] == "fixed")
    evidence = fixed[COLUMNS.index("evidence")]
    assert evidence.startswith("'--- before")
    assert evidence.endswith("+PermitRootLogin no")


def test_csv_plain_cells_untouched() -> None:
    rows = _csv_rows(render_csv(_with_evidence("value - not a formula, 3 = 3")))
    assert rows[1][COLUMNS.index("evidence")] == "value - not a formula, 3 = 3"


def test_csv_hostile_evidence() -> None:
    text = render_csv(_with_evidence(NASTY))
    assert "\x00" not in text and "\x01" not in text and "\x1b" not in text
    rows = _csv_rows(text)
    evidence = rows[1][COLUMNS.index("evidence")]
    assert evidence.startswith("a]]>b <script>alert(1)</script> cdef")
    assert evidence.endswith("\"q\" 'q'\r\nsecond line")


def test_csv_accents_survive() -> None:
    text = render_csv(_with_evidence("clé « sshd » désactivée"))
    assert "clé « sshd » désactivée" in text.encode("utf-8").decode("utf-8-sig")


# --- Markdown -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def summary_md() -> str:
    return render_markdown(sample_report())


def test_markdown_summary(summary_md: str) -> None:
    lines = summary_md.splitlines()
    assert lines[0].startswith("# carehard harden — run 20261125T171500Z-3f9a1c — 2026-11-25 17:15:00 UTC")
    assert "**Compliance: 36.8 %**" in summary_md
    assert "5 pass · 1 fixed · 1 waived · 3 fail · 1 error · 8 unreachable · 1 not applicable" in summary_md
    assert "exit code 3" in summary_md
    for host in sample_report()["hosts"]:
        assert f"| {host['name']}" in summary_md


def test_markdown_problems(summary_md: str) -> None:
    problems = summary_md.split("## Problems", 1)[1]
    assert "ws-radiology-01 · WL-SSH-01 · Root login over SSH is disabled · PermitRootLogin is" in problems
    assert "**error** ws-lab-02 · WL-EDR-01" in problems
    assert "**unreachable** ws-er-07 · 5 controls not checked · ssh: connect" in problems
    assert "fact gathering was partial" in problems
    # Passing, fixed, waived and not applicable results are not problems.
    assert "kptr_restrict = 1" not in problems
    assert "W-12" not in problems
    # Worst first: the critical failure leads the failures.
    items = [line for line in problems.splitlines() if line.startswith("- **fail**")]
    assert "RA-TOOL-01" in items[0]


def test_markdown_stays_short() -> None:
    text = render_markdown(big_report(500, 100))
    lines = text.splitlines()
    assert len(lines) <= 60
    assert re.search(r"^- … and \d+ more$", text, flags=re.MULTILINE)
    problems = text.split("## Problems", 1)[1].splitlines()
    assert sum(1 for line in problems if line.startswith("- **")) == MAX_PROBLEMS
    assert "Hosts (10 of 500" in text
    assert "… and 490 more hosts" in text


def test_markdown_escapes_cells() -> None:
    report = _with_evidence("a | b `code` *bold* [link](http://x) <img src=x> _x_ snake_case")
    report["hosts"][0]["name"] = "ws|pipe"
    text = render_markdown(report)
    assert "ws\\|pipe" in text
    assert "a \\| b \\`code\\` \\*bold\\* \\[link\\](http://x) \\<img src=x\\> \\_x\\_ snake_case" in text
    # Every table row keeps its column count.
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len({len(re.findall(r"(?<!\\)\|", row)) for row in rows}) == 1


def test_markdown_first_evidence_line_only() -> None:
    text = render_markdown(_with_evidence("\n\nfirst line\nsecond line"))
    assert "· first line" in text
    assert "second line" not in text


def test_markdown_hostile_evidence() -> None:
    text = render_markdown(_with_evidence(NASTY))
    assert "\x00" not in text and "\x01" not in text
    assert "<script>" not in text
    assert "a\\]\\]\\>b \\<script\\>alert(1)\\</script\\> cdef" in text


def test_markdown_everything_fine() -> None:
    report = sample_report()
    report["hosts"] = report["hosts"][2:3]
    report["hosts"][0]["results"] = [r for r in report["hosts"][0]["results"] if r["status"] == "pass"]
    text = render_markdown(report)
    assert "None: every result is pass, fixed, waived or not applicable." in text


def _backup_report(n_sets: int = 2) -> dict[str, Any]:
    report = sample_report()
    report["run"]["mode"] = "backup"
    rto = next(c for c in CONTROLS if c["id"] == "BK-RPO-01") | {
        "id": "BK-RTO-01",
        "title": "The restore time, scaled to the set's full size, is within the RTO",
    }
    report["controls"] = [rto]
    report["hosts"] = []
    report["backups"] = []
    for i in range(n_sets):
        name = f"set{i}"
        fail = i % 2 == 1
        evidence = (
            "restored 10 MiB in 2.00 s (5 MiB/s); full snapshot 1 GiB -> about 3 min to restore; RTO 1s"
        )
        report["hosts"].append(
            {
                "name": f"{name}.backup",
                "reachable": True,
                "facts": {"os": None, "os_version": None, "kernel": None, "virtualization": None},
                "errors": [],
                "results": [
                    {
                        "control": "BK-RTO-01",
                        "status": "fail" if fail else "pass",
                        "evidence": ("beyond the RTO: " + evidence) if fail else evidence.replace("1s", "4h"),
                    }
                ],
            }
        )
        check = {
            "checked_at": "2026-11-25T03:30:00+00:00",
            "run_id": "20261125T033000Z-aaaaaa",
            "verdict": "fail" if fail else "pass",
            "snapshot_time": "2026-11-24T23:00:00+00:00",
            "snapshot_age_seconds": 16200.0,
            "check_ok": True,
            "restore_seconds": 2.0,
            "restore_bytes": 10485760,
            "throughput": 5242880.0,
            "rto_estimate_seconds": 204.8,
        }
        report["backups"].append({"set": name, "checks": [check, dict(check, verdict="pass")]})
    report["summary"] = {s: 0 for s in report["summary"]}
    return report


def test_markdown_backup_table() -> None:
    text = render_markdown(_backup_report())
    assert "## Backups" in text
    assert "| set0 | 2026-11-25 03:30:00 UTC | pass | 4.5 h | 2 s | 3 min | within RTO 4h |" in text
    assert "| set1 | 2026-11-25 03:30:00 UTC | fail | 4.5 h | 2 s | 3 min | beyond RTO 1s |" in text


def test_markdown_backup_run_stays_short() -> None:
    text = render_markdown(_backup_report(40))
    assert len(text.splitlines()) <= 60
    assert "## Hosts" not in text  # the sets are the hosts: the backups table covers them
    assert "… and 32 more sets" in text
    table = text.split("## Backups", 1)[1]
    assert "| set1 |" in table and "| set0 |" not in table  # failing sets first


# --- all three ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["junit", "csv", "md"])
def test_renders_evidence_as_given(fmt: str) -> None:
    """Redaction is build_report's: the renderers show the evidence as the report has it, no more."""
    report = sample_report()
    render = renderers()[fmt][1]
    report["hosts"][1]["results"][1]["evidence"] = "login with password=******** failed"
    text = render(report)
    assert "password=" in text
    assert "********" in text.replace("\\", "")
    marker = "carehard-marker-7f3a"
    report["hosts"][0]["results"][0]["evidence"] = marker
    assert marker in render(report)


@pytest.fixture(scope="module")
def fleet() -> dict[str, Any]:
    return big_report(1000, 100)


@pytest.mark.parametrize("fmt", ["junit", "csv", "md"])
def test_renders_big_report(fmt: str, fleet: dict[str, Any]) -> None:
    text = renderers()[fmt][1](fleet)
    assert "host-0999" in text or fmt == "md"
    assert "host-0005" in text  # an unreachable host


def test_markdown_counts_problems_by_severity(summary_md: str) -> None:
    line = next(line for line in summary_md.splitlines() if line.startswith("- Problems by severity: "))
    counts = dict(item.split(": ") for item in line.removeprefix("- Problems by severity: ").split(" · "))
    assert list(counts) == ["critical", "high", "medium", "low"]
    report = sample_report()
    severity = {c["id"]: c["severity"] for c in report["controls"]}
    expected = Counter(
        severity[r["control"]]
        for h in report["hosts"]
        for r in h["results"]
        if r["status"] in ("fail", "error", "unreachable")
    )
    assert {k: int(v) for k, v in counts.items()} == {k: expected.get(k, 0) for k in counts}
    french = sample_report()
    french["lang"] = "fr"
    assert "- Problèmes par gravité\u00a0: critique\u00a0: " in render_markdown(french)
