"""The carehard-report/1 schema and the self-contained HTML renderer."""

from __future__ import annotations

import copy
import html
import json
import re
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from carehard.report.html import render_html
from carehard.report.html_results import is_reference_url
from carehard.report.labels import pass_rate

XSS = "<script>alert(1)</script>"

CONTROLS: list[dict[str, Any]] = [
    {
        "id": "WL-SSH-01",
        "title": "Root login over SSH is disabled",
        "family": "workstation_linux",
        "platforms": ["debian", "rhel"],
        "severity": "high",
        "level": 1,
        "remediation": "automatic",
        "rationale": "A direct root login leaves no trace of who administered the machine.",
        "references": {
            "anssi_hygiene": ["29"],
            "anssi_bp028": ["R31"],
            "cis": ["5.1.20"],
            "care": ["workstations"],
        },
    },
    {
        "id": "WL-SYS-02",
        "title": "Kernel pointers are hidden from unprivileged users",
        "family": "workstation_linux",
        "platforms": ["debian", "rhel"],
        "severity": "medium",
        "level": 2,
        "remediation": "automatic",
        "rationale": "kptr_restrict=1 makes kernel exploits harder.",
        "references": {
            "anssi_hygiene": [],
            "anssi_bp028": ["R9"],
            "cis": ["1.5.2"],
            "care": ["workstations"],
        },
    },
    {
        "id": "WL-EDR-01",
        "title": "An EDR agent is running",
        "family": "workstation_linux",
        "platforms": ["debian", "rhel"],
        "severity": "high",
        "level": 1,
        "remediation": "audit-only",
        "rationale": "CaRE asks for detection on every workstation.",
        "references": {"anssi_hygiene": ["38"], "anssi_bp028": [], "cis": [], "care": ["workstations"]},
    },
    {
        "id": "RA-TOOL-01",
        "title": "No permanent remote-control tool is installed",
        "family": "remote_access",
        "platforms": ["debian", "rhel", "windows"],
        "severity": "critical",
        "level": 1,
        "remediation": "automatic",
        "rationale": "TeamViewer, AnyDesk or VNC left installed give vendors permanent access.",
        "references": {"anssi_hygiene": ["18"], "anssi_bp028": [], "cis": [], "care": ["remote_access"]},
    },
    {
        "id": "BK-RPO-01",
        "title": "Newest snapshot is younger than the RPO",
        "family": "backup_verify",
        "platforms": ["debian"],
        "severity": "high",
        "level": 1,
        "remediation": "audit-only",
        "rationale": "A backup older than the RPO loses more data than the plan accepts.",
        "references": {"anssi_hygiene": ["37"], "anssi_bp028": [], "cis": [], "care": ["continuity"]},
    },
]


def _facts(os: str | None = "Debian", version: str | None = "12.8") -> dict[str, Any]:
    return {"os": os, "os_version": version, "kernel": "6.1.0-28-amd64", "virtualization": "container"}


def sample_report() -> dict[str, Any]:
    """A realistic report: every status, an unreachable host, host errors, an XSS attempt."""
    hosts: list[dict[str, Any]] = [
        {
            "name": "ws-radiology-01",
            "reachable": True,
            "facts": _facts(),
            "errors": [],
            "results": [
                {
                    "control": "WL-SSH-01",
                    "status": "fail",
                    "evidence": "PermitRootLogin is without-password; expected no",
                },
                {"control": "WL-SYS-02", "status": "pass", "evidence": "kernel.kptr_restrict = 1"},
                {
                    "control": "WL-EDR-01",
                    "status": "waived",
                    "evidence": "waiver W-12 until 2027-01-31: " + XSS,
                },
                {"control": "RA-TOOL-01", "status": "pass", "evidence": ""},
            ],
        },
        {
            "name": "ws-lab-02",
            "reachable": True,
            "facts": _facts("Rocky", "9.4"),
            "errors": ["fact gathering was partial: /proc/cmdline unreadable"],
            "results": [
                {
                    "control": "WL-SSH-01",
                    "status": "fixed",
                    "evidence": (
                        "--- before: /etc/ssh/sshd_config\n+++ after: /etc/ssh/sshd_config\n"
                        "-PermitRootLogin yes\n+PermitRootLogin no"
                    ),
                },
                {
                    "control": "WL-SYS-02",
                    "status": "fail",
                    "evidence": "applied, not effective: kernel.kptr_restrict = 0",
                },
                {"control": "WL-EDR-01", "status": "error", "evidence": "systemctl: command timed out"},
                {"control": "RA-TOOL-01", "status": "fail", "evidence": "anydesk 6.3.0 installed"},
            ],
        },
        {
            "name": "backup-01",
            "reachable": True,
            "facts": _facts(),
            "errors": [],
            "results": [
                {"control": "WL-SSH-01", "status": "pass", "evidence": "PermitRootLogin no"},
                {"control": "WL-SYS-02", "status": "pass", "evidence": "kernel.kptr_restrict = 1"},
                {"control": "WL-EDR-01", "status": "not_applicable", "evidence": "server, not a workstation"},
                {
                    "control": "BK-RPO-01",
                    "status": "pass",
                    "evidence": "dpi: newest snapshot 3h12m old, RPO 24h",
                },
            ],
        },
        {
            "name": "ws-er-07",
            "reachable": False,
            "facts": {"os": None, "os_version": None, "kernel": None, "virtualization": None},
            "errors": ["ssh: connect to host ws-er-07 port 22: No route to host"],
            "results": [],
        },
        {
            "name": "ws-er-08",
            "reachable": False,
            "facts": {"os": None, "os_version": None, "kernel": None, "virtualization": None},
            "errors": ["ssh: connect to host ws-er-08 port 22: Connection timed out"],
            "results": [
                {"control": c["id"], "status": "unreachable", "evidence": ""}
                for c in CONTROLS
                if c["id"].startswith("WL-")
            ],
        },
    ]
    return _finish(
        {
            "schema": "carehard-report/1",
            "run": {
                "id": "20261125T171500Z-3f9a1c",
                "mode": "harden",
                "started": "2026-11-25T17:15:00+00:00",
                "finished": "2026-11-25T17:15:42+00:00",
                "carehard_version": "0.1.0",
                "level": 2,
                "selection": {
                    "inventory": "inventories/site/hosts.yml",
                    "limit": "workstations:backup",
                    "only": [],
                    "skip": ["WL-USB-01"],
                },
                "exit_code": 3,
            },
            "controls": copy.deepcopy(CONTROLS),
            "hosts": hosts,
        }
    )


def _finish(report: dict[str, Any]) -> dict[str, Any]:
    counts = Counter(r["status"] for h in report["hosts"] for r in h["results"])
    # A host that could not be reached and has no result counts once per control.
    counts["unreachable"] += len(report["controls"]) * sum(
        1 for h in report["hosts"] if not h["reachable"] and not h["results"]
    )
    statuses = ("pass", "fail", "fixed", "error", "not_applicable", "waived", "unreachable")
    report["summary"] = {s: counts.get(s, 0) for s in statuses}
    return report


def big_report(n_hosts: int = 500, n_controls: int = 100) -> dict[str, Any]:
    statuses = ("pass", "pass", "pass", "fail", "fixed", "error", "not_applicable", "waived")
    families = ("workstation_linux", "remote_access", "backup_verify")
    prefixes = {"workstation_linux": "WL", "remote_access": "RA", "backup_verify": "BK"}
    controls = []
    for i in range(n_controls):
        fam = families[i % len(families)]
        ctl = copy.deepcopy(CONTROLS[0])
        ctl.update(id=f"{prefixes[fam]}-GEN-{i:03d}", title=f"Generated control {i}", family=fam)
        controls.append(ctl)
    hosts = []
    for h in range(n_hosts):
        reachable = h % 97 != 5
        results = (
            [
                {
                    "control": c["id"],
                    "status": statuses[(h + i) % len(statuses)],
                    "evidence": f"value {(h * i) % 7}",
                }
                for i, c in enumerate(controls)
            ]
            if reachable
            else []
        )
        errors = [] if reachable else ["unreachable: ssh timeout"]
        hosts.append(
            {
                "name": f"host-{h:04d}",
                "reachable": reachable,
                "facts": _facts(),
                "errors": errors,
                "results": results,
            }
        )
    report = sample_report()
    report.update(controls=controls, hosts=hosts)
    return _finish(report)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    text = resources.files("carehard.report").joinpath("carehard-report-1.schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(data)
    return data


def _validate(schema: dict[str, Any], report: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(report)


# --- schema -------------------------------------------------------------------------------------


def test_sample_has_every_status() -> None:
    seen = {r["status"] for h in sample_report()["hosts"] for r in h["results"]}
    assert seen == {"pass", "fail", "fixed", "error", "not_applicable", "waived", "unreachable"}


def test_schema_accepts_sample(schema: dict[str, Any]) -> None:
    _validate(schema, sample_report())


def test_schema_accepts_big_report(schema: dict[str, Any]) -> None:
    _validate(schema, big_report(20, 12))


def test_schema_accepts_local_audit_unfinished(schema: dict[str, Any]) -> None:
    report = sample_report()
    report["run"].update(mode="audit", finished=None, exit_code=0)
    report["run"]["selection"] = {"inventory": "local", "limit": None, "only": ["WL-SSH-01"], "skip": []}
    _validate(schema, report)


def test_schema_accepts_documented_example(schema: dict[str, Any]) -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "report-schema.md"
    if not doc.is_file():
        pytest.skip("docs/report-schema.md not present")
    blocks = re.findall(r"```json\n(.*?)```", doc.read_text("utf-8"), flags=re.DOTALL)
    assert blocks
    for block in blocks:
        _validate(schema, json.loads(block))


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda r: r["hosts"][0]["results"][0].update(status="ok"), id="bad-status"),
        pytest.param(lambda r: r["hosts"][0]["results"][0].pop("evidence"), id="missing-evidence"),
        pytest.param(lambda r: r["hosts"][0].pop("reachable"), id="missing-reachable"),
        pytest.param(lambda r: r["run"].pop("exit_code"), id="missing-exit-code"),
        pytest.param(lambda r: r["summary"].pop("waived"), id="missing-summary-key"),
        pytest.param(lambda r: r.update(schema="carehard-report/2"), id="wrong-schema"),
        pytest.param(lambda r: r["run"].update(mode="fix"), id="bad-mode"),
        pytest.param(lambda r: r["run"].update(level=4), id="bad-level"),
        pytest.param(lambda r: r["run"].update(exit_code=7), id="bad-exit-code"),
        pytest.param(lambda r: r["controls"][0].update(severity="urgent"), id="bad-severity"),
        pytest.param(lambda r: r["controls"][0].update(remediation="manual"), id="bad-remediation"),
        pytest.param(lambda r: r["controls"][0]["references"].update(care=["hr"]), id="bad-care-domain"),
        pytest.param(lambda r: r["controls"][0].update(id="ssh-01"), id="bad-control-id"),
        pytest.param(lambda r: r["hosts"][0].update(extra=1), id="unknown-host-field"),
        pytest.param(lambda r: r["summary"].update(fail=-1), id="negative-count"),
        pytest.param(lambda r: r["run"].update(started="yesterday"), id="bad-timestamp"),
    ],
)
def test_schema_rejects(schema: dict[str, Any], mutate: Any) -> None:
    report = sample_report()
    mutate(report)
    with pytest.raises(jsonschema.ValidationError):
        _validate(schema, report)


# --- HTML ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(sample_report())


def test_html_is_a_complete_page(page: str) -> None:
    assert page.lstrip().startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</html>")
    assert "20261125T171500Z-3f9a1c" in page
    assert "harden" in page
    assert "0.1.0" in page


def test_html_contains_every_host_and_control(page: str) -> None:
    report = sample_report()
    for host in report["hosts"]:
        assert host["name"] in page
    for control in report["controls"]:
        assert control["id"] in page
        assert html.escape(control["title"]) in page
    for ref in ("5.1.20", "R31", "measure 29"):
        assert ref in page


def test_html_escapes_evidence(page: str) -> None:
    assert XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # The only <script> element is the page's own inline one.
    assert page.count("<script") == 1


def test_html_escapes_host_names_and_errors() -> None:
    report = sample_report()
    report["hosts"][0]["name"] = '"><img src=x onerror=alert(1)>'
    report["hosts"][1]["errors"] = [XSS]
    page = render_html(report)
    assert "<img" not in page
    assert XSS not in page


def test_html_has_no_external_resource(page: str) -> None:
    for attr in re.findall(r"""(?:src|action|data)\s*=\s*["']?([^"'\s>]*)""", page, flags=re.IGNORECASE):
        assert not re.match(r"(?:https?:)?//", attr), attr
    # The only addresses are the links of the controls' references (ANSSI, CIS): a reader's click.
    for attr in re.findall(r"""href\s*=\s*["']?([^"'\s>]*)""", page, flags=re.IGNORECASE):
        assert not re.match(r"(?:https?:)?//", attr) or is_reference_url(attr), attr
    assert page.count("https://") == page.count('<a href="https://')
    assert "http://" not in page
    assert "<link" not in page
    assert "@import" not in page
    assert "url(" not in page


def test_html_marks_unreachable_hosts(page: str) -> None:
    assert "UNREACHABLE" in page
    assert page.count('<tr class="down">') == 2
    assert "No route to host" in page


def test_html_shows_each_status(page: str) -> None:
    for status in ("pass", "fail", "fixed", "error", "not_applicable", "waived", "unreachable"):
        assert f'class="s-{status}"' in page


def test_html_score() -> None:
    report = sample_report()
    summary = report["summary"]
    rate = pass_rate(summary)
    assert rate is not None
    good = summary["pass"] + summary["fixed"] + summary["waived"]
    assert rate == pytest.approx(good / (sum(summary.values()) - summary["not_applicable"]))
    assert pass_rate({"not_applicable": 3}) is None
    assert f"{rate * 100:.1f}".rstrip("0").rstrip(".") in render_html(report)


def test_html_empty_report() -> None:
    report = sample_report()
    report.update(controls=[], hosts=[])
    report["summary"] = dict.fromkeys(report["summary"], 0)
    page = render_html(report)
    assert "n/a" in page


def test_html_large_fleet_renders() -> None:
    report = big_report(500, 100)
    page = render_html(report)
    assert "host-0499" in page
    assert "WL-GEN-099" in page
    # Light DOM: one plain <td> per cell, no nested markup in the matrix.
    assert page.count('<td class="s-') >= 490 * 100
