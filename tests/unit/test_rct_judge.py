# ruff: noqa: E501  (the exact evidence texts, long lines as carehard prints them)
"""The judge of the Linux remote-control tool controls (RA-RCT-01..07),
roles/remote_access/filter_plugins/rct_judge.py, on the probe (tasks/linux_tools.yml) recorded on a
Debian 12 test host: dirty (tests/integration/dirty/remote_tools.sh: a TeamViewer and an x11vnc
package, their units running, a second x11vnc started by hand) and after harden (units masked,
packages removed). Pass, fail, error, not applicable, unselected, switched-off, held and allowed
tools, exact evidence, and what harden fixes. Loaded by path, as Ansible loads it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
F = plugin_filters(ROOT / "roles/remote_access/filter_plugins/rct_judge.py")
JUDGE: Callable[..., list[dict[str, str]]] = F["ra_rct_judge"]
FIXES: Callable[..., list[dict[str, Any]]] = F["ra_rct_fixes"]
PROBED, GLOBS = F["ra_rct_probed"], F["ra_rct_globs"]
PROBE: dict[str, Any] = json.loads((Path(__file__).parent / "rct_judge_probe.json").read_text())
TOOLS = yaml.safe_load((ROOT / "roles/remote_access/vars/main.yml").read_text())["remote_access__rct_tools"]
IDS = [f"RA-RCT-0{n}" for n in range(1, 8)]
HINT = "Expected none of it: harden stops, disables and masks its services, removes its packages and files and stops its processes; or add {} to remote_access_tools_allowed where the establishment approved it."


def settings(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "run_tags": ["all"],
        "skip_tags": [],
        "switches": dict.fromkeys(IDS, True),
        "held": [],
        "allowed": [],
        "tools": TOOLS,
    }
    base.update(over)
    return base


def probe(which: str, stdout: str | None = None, rc: int = 0) -> dict[str, Any]:
    return {
        "rc": rc,
        "stdout": PROBE[which]["stdout"] if stdout is None else stdout,
        "stderr": "",
        "changed": False,
    }


def by_id(items: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {i["id"]: i for i in items}


def test_dirty_host_fails_the_planted_tools_with_the_integration_evidence() -> None:
    got = by_id(JUDGE(probe("dirty"), settings()))
    assert [got[c]["status"] for c in IDS] == ["fail", "pass", "pass", "fail", "pass", "pass", "pass"]
    assert got["RA-RCT-01"] == {
        "id": "RA-RCT-01",
        "what": "Check that TeamViewer is not installed or running",
        "status": "fail",
        "evidence": "TeamViewer found: packages teamviewer 15.61.3; services teamviewerd.service (enabled, running); processes pid 149 /bin/sh /opt/teamviewer/tv_bin/teamviewerd -d; files /opt/teamviewer. "
        + HINT.format("teamviewer"),
    }
    assert got["RA-RCT-04"]["evidence"] == (
        "VNC server found: packages x11vnc 0.9.16-9; services x11vnc.service (enabled, running); processes pid 183 /bin/sh /usr/bin/x11vnc -forever -shared -rfbport 5900 -display :0, pid 187 /bin/sh /usr/bin/x11vnc -localhost -rfbport 5901 -display :1. "
        + HINT.format("vnc")
    )
    assert got["RA-RCT-03"]["evidence"] == (
        "RustDesk: not installed, no service running, no process (looked for packages rustdesk; services ^rustdesk(\\.service)?$)"
    )
    assert got["RA-RCT-02"]["evidence"] == (
        "AnyDesk: not installed, no service running, no process (looked for packages anydesk; services ^anydesk(\\.service)?$; files /etc/anydesk)"
    )


def test_fixes_say_what_harden_removes_of_each_failed_tool() -> None:
    fixes = FIXES(probe("dirty"), settings())
    assert fixes == [
        {
            "id": "RA-RCT-01",
            "key": "teamviewer",
            "label": "TeamViewer",
            "units": [{"name": "teamviewerd.service", "template": False, "local": False}],
            "packages": ["teamviewer"],
            "pids": ["149"],
            "paths": ["/opt/teamviewer"],
            "systemd": True,
        },
        {
            "id": "RA-RCT-04",
            "key": "vnc",
            "label": "VNC server",
            "units": [{"name": "x11vnc.service", "template": False, "local": False}],
            "packages": ["x11vnc"],
            "pids": ["183", "187"],
            "paths": [],
            "systemd": True,
        },
    ]


def test_hardened_host_passes_and_says_the_units_are_masked() -> None:
    got = by_id(JUDGE(probe("hardened"), settings()))
    assert {i["status"] for i in got.values()} == {"pass"}
    assert got["RA-RCT-01"]["evidence"] == (
        "TeamViewer: not installed, no service running, no process; units stopped: teamviewerd.service (masked) (looked for packages teamviewer, teamviewer-host, teamviewer-iot-agent; services ^teamviewerd(\\.service)?$; files /opt/teamviewer)"
    )
    assert "x11vnc.service (masked)" in got["RA-RCT-04"]["evidence"]
    assert FIXES(probe("hardened"), settings()) == []


def test_an_allowed_tool_passes_left_as_found() -> None:
    got = by_id(JUDGE(probe("dirty"), settings(allowed=["teamviewer"])))
    assert got["RA-RCT-01"]["status"] == "pass"
    assert got["RA-RCT-01"]["evidence"].startswith(
        "TeamViewer is allowed by remote_access_tools_allowed (teamviewer), left as found: packages teamviewer 15.61.3; services teamviewerd.service (enabled, running); "
    )
    assert [f["id"] for f in FIXES(probe("dirty"), settings(allowed=["teamviewer"]))] == ["RA-RCT-04"]


def test_unselected_switched_off_and_held_controls() -> None:
    s = settings(run_tags=["RA-RCT-01", "RA-RCT-04", "RA-RCT-05"], skip_tags=["RA-RCT-05"],
                 switches={**dict.fromkeys(IDS, True), "RA-RCT-04": False}, held=["RA-RCT-01"])  # fmt: skip
    got = JUDGE(probe("dirty"), s)
    assert got == [
        {"id": "RA-RCT-01", "what": "held by a waiver: not checked nor changed", "status": "na",
         "evidence": "held by a waiver: not checked nor changed"},
        {"id": "RA-RCT-04", "what": "switched off (remote_access_ra_rct_04: false)", "status": "na",
         "evidence": "switched off (remote_access_ra_rct_04: false)"},
    ]  # fmt: skip
    assert PROBED(s) == [] and GLOBS(s) == "" and FIXES(probe("dirty"), s) == []
    assert PROBED(settings(run_tags=["RA-RCT-02"])) == ["RA-RCT-02"]
    assert GLOBS(settings(run_tags=["RA-RCT-01", "RA-RCT-03"])) == "teamviewer|/opt/teamviewer\n"


@pytest.mark.parametrize(
    ("result", "evidence"),
    [
        (
            {"rc": 2, "stdout": "", "stderr": "sh: 1: syntax error"},
            "the remote-control tool probe broke (rc 2): sh: 1: syntax error",
        ),
        (
            {"failed": True, "msg": "Timeout (12s) waiting for privilege escalation prompt"},
            "the remote-control tool probe broke: Timeout (12s) waiting for privilege escalation prompt",
        ),
        ({"skipped": True}, "the remote-control tool probe did not run"),
        (None, "the remote-control tool probe gave no result"),
        (
            {"rc": 0, "stdout": "garbage\x00\nmore garbage"},
            "the remote-control tool probe read no packages, services, local, procs, paths: its output is not what carehard reads",
        ),
    ],
)
def test_a_broken_probe_makes_each_selected_control_an_error(result: Any, evidence: str) -> None:
    got = JUDGE(result, settings(switches={**dict.fromkeys(IDS, True), "RA-RCT-07": False}))
    assert [i["status"] for i in got] == ["error"] * 6 + ["na"]
    assert got[0]["evidence"] == evidence
    assert got[0]["what"] == "Check that TeamViewer is not installed or running"
    assert FIXES(result, settings()) == []


def test_a_missing_section_or_end_is_an_error() -> None:
    out = PROBE["dirty"]["stdout"]
    start, end = out.index("section\tprocs\n"), out.index("section\tpaths\n")
    got = JUDGE(probe("dirty", out[:start] + out[end:]), settings())
    assert got[0]["status"] == "error" and "read no procs" in got[0]["evidence"]
    assert out.endswith("\nend")
    got = JUDGE(probe("dirty", out[: -len("end")]), settings())
    assert (
        got[0]["evidence"]
        == "the remote-control tool probe stopped before its end: its output is not what carehard reads"
    )


def test_no_package_manager_nor_systemd_is_said_not_an_error() -> None:
    out = PROBE["dirty"]["stdout"]
    pk, sv, lo = (
        out.index("section\tpackages\n"),
        out.index("section\tservices\n"),
        out.index("section\tlocal\n"),
    )
    text = (
        out[:pk]
        + "section\tpackages\nnone\tno dpkg-query nor rpm on this host\n"
        + "section\tservices\nnone\tno systemd on this host: carehard reads systemd units only\n"
        + out[lo:]
    )
    assert sv > pk
    got = by_id(JUDGE(probe("dirty", text), settings()))
    assert got["RA-RCT-01"]["status"] == "fail"
    assert got["RA-RCT-01"]["evidence"].startswith(
        "TeamViewer found: processes pid 149 /bin/sh /opt/teamviewer/tv_bin/teamviewerd -d; files /opt/teamviewer; the installed packages could not be read (no dpkg-query nor rpm on this host): not checked; the services could not be read (no systemd on this host: carehard reads systemd units only): not checked. "
    )
    assert got["RA-RCT-02"]["evidence"].startswith(
        "AnyDesk: not installed, no service running, no process; the installed packages could not be read (no dpkg-query nor rpm on this host): not checked; the services could not be read"
    )
    fix = FIXES(probe("dirty", text), settings())[0]
    assert fix["units"] == [] and fix["packages"] == [] and fix["systemd"] is False


def test_a_local_unit_disabled_is_stopped_and_a_long_process_is_truncated() -> None:
    long_args = "/usr/bin/anydesk --service " + " ".join(["--option"] * 30)
    text = (
        PROBE["hardened"]["stdout"]
        .replace(
            "section\tlocal\n",
            "section\tlocal\nlocal\tanydesk.service\t/etc/systemd/system/anydesk.service\n",
        )
        .replace("section\tprocs\n", f"section\tprocs\nproc\t4242\t{long_args}\n")
    )
    text = text.replace("section\tlocal\n", "file\tanydesk.service disabled enabled\nsection\tlocal\n")
    got = by_id(JUDGE(probe("hardened", text), settings()))["RA-RCT-02"]
    assert got["status"] == "fail"
    assert got["evidence"].startswith(
        "AnyDesk found: processes pid 4242 /usr/bin/anydesk --service --option --option --option --option --option --option --option --option --option --option --option --option --option...; units stopped: anydesk.service (disabled; its unit file is in /etc/systemd/system, where systemctl cannot mask it). "
    )
