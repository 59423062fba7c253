"""The judge of the systemd journal family (WL-JRN-01..05), filter_plugins/journal_judge.py, on
probe output recorded on a Debian 12 test host (fresh, then with dirty/fs_services.sh's telnet
server, which brings inetutils-syslogd, and a site drop-in): pass, fail, not applicable, error,
unselected, switched-off and held controls, the evidence, and what the fixes are given.
The plugin is loaded by path, as Ansible loads it, and reached through its registered names."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "roles/workstation_linux/filter_plugins/journal_judge.py"
DEFAULTS = yaml.safe_load((ROOT / "roles/workstation_linux/defaults/main.yml").read_text(encoding="utf-8"))
IDS = [f"WL-JRN-{n:02d}" for n in range(1, 6)]


def filters() -> dict[str, Callable[..., Any]]:
    return plugin_filters(PLUGIN)


JUDGE = filters()["carehard_journal_judge"]
PLAN = filters()["carehard_journal_plan"]
ACTIVE = filters()["carehard_journal_active"]
UNITS = filters()["carehard_journal_units"]
DIRS = filters()["carehard_journal_dirs"]


def controls() -> list[dict[str, Any]]:
    """workstation_linux_journald_controls as Ansible gives it (WL-JRN-03's `applies` templated)."""
    items: list[dict[str, Any]] = copy.deepcopy(DEFAULTS["workstation_linux_journald_controls"])
    for item in items:
        if "applies" in item:
            item["applies"] = True
    return items


SETTINGS: dict[str, Any] = {
    "run_tags": ["all"],
    "skip_tags": [],
    "held": [],
    "service_mgr": "systemd",
    "switches": {i: True for i in IDS},
    "controls": controls(),
}

RSYSLOG_ABSENT = (
    '{"installed": "no", "active": "inactive", "mode": "", "mode_file": "", "mode_ok": "no", "inputs": []}'
)
# A fresh Debian 12 test host.
FRESH = f"""@@ journald
static|active
@@ config
[Journal]
@@ units
rsyslog.service||inactive
syslog-ng.service||inactive
inetutils-syslogd.service||inactive
sysklogd.service||inactive
busybox-syslogd.service||inactive
syslog.socket|static|inactive
systemd-journal-remote.socket||inactive
systemd-journal-remote.service||inactive
@@ dirs
/etc/systemd/journald.conf.d|no
@@ rsyslog
{RSYSLOG_ABSENT}
"""
# The same host with inetutils-syslogd (dirty/fs_services.sh) and a site drop-in 50-site.conf.
DIRTY = f"""@@ journald
static|active
@@ config
[Journal]
[Journal]
Compress=no
SystemMaxUse = 2G
@@ units
rsyslog.service||inactive
syslog-ng.service||inactive
inetutils-syslogd.service|enabled|active
sysklogd.service||inactive
busybox-syslogd.service||inactive
syslog.socket|static|inactive
systemd-journal-remote.socket||inactive
systemd-journal-remote.service||inactive
@@ dirs
/etc/systemd/journald.conf.d|yes
@@ rsyslog
{RSYSLOG_ABSENT}
"""
# After harden: carehard's drop-ins read last, inetutils-syslogd stopped and disabled.
HARDENED = """@@ journald
static|active
@@ config
[Journal]
[Journal]
Compress=no
SystemMaxUse = 2G
[Journal]
Compress=yes
SystemMaxUse=1G
SystemKeepFree=2G
RuntimeMaxUse=200M
RuntimeKeepFree=50M
MaxFileSec=1month
[Journal]
ForwardToSyslog=no
@@ units
rsyslog.service||inactive
syslog-ng.service||inactive
inetutils-syslogd.service|disabled|inactive
sysklogd.service||inactive
busybox-syslogd.service||inactive
syslog.socket|static|inactive
systemd-journal-remote.socket||inactive
systemd-journal-remote.service||inactive
@@ dirs
/etc/systemd/journald.conf.d|yes
@@ rsyslog
{"installed": "yes", "active": "active", "mode": "0640",
 "mode_file": "/etc/rsyslog.d/00-carehard-filecreatemode.conf", "mode_ok": "yes", "inputs": []}
"""
RSYSLOG_OPEN = json.dumps(
    {
        "installed": "yes",
        "active": "active",
        "mode": "0644",
        "mode_file": "/etc/rsyslog.d/50-site.conf",
        "mode_ok": "no",
        "inputs": [
            "/etc/rsyslog.conf:3:module(load='imtcp')",
            "/etc/rsyslog.conf:4:input(type='imtcp' port='514')",
            "/etc/rsyslog.d/50-site.conf:2:$ModLoad imudp",
        ],
    }
)


def probe(stdout: str, rc: int = 0, stderr: str = "") -> dict[str, Any]:
    return {"changed": False, "rc": rc, "stdout": stdout, "stderr": stderr}


def judge(stdout: str, **settings: Any) -> dict[str, dict[str, str]]:
    return {i["id"]: i for i in JUDGE(probe(stdout), {**SETTINGS, **settings})}


def with_rsyslog(stdout: str, doc: str) -> str:
    return stdout.split("@@ rsyslog")[0] + "@@ rsyslog\n" + doc + "\n"


def test_a_fresh_debian_runs_journald_and_has_no_other_logger_but_no_rotation_settings() -> None:
    items = judge(FRESH)
    assert {i: items[i]["status"] for i in items} == {
        "WL-JRN-01": "pass",
        "WL-JRN-02": "fail",
        "WL-JRN-03": "fail",
        "WL-JRN-04": "pass",
        "WL-JRN-05": "na",
    }
    assert items["WL-JRN-01"]["evidence"] == "systemd-journald is static (started at boot) and active"
    assert items["WL-JRN-02"]["evidence"] == (
        "effective journald Compress=not set (default) (expected yes),"
        " SystemMaxUse=not set (default) (expected 1G), SystemKeepFree=not set (default) (expected 2G),"
        " RuntimeMaxUse=not set (default) (expected 200M),"
        " RuntimeKeepFree=not set (default) (expected 50M), MaxFileSec=not set (default) (expected 1month);"
        " carehard writes /etc/systemd/journald.conf.d/61-carehard-rotation.conf,"
        " a drop-in sorting after it wins"
    )
    assert items["WL-JRN-03"]["evidence"] == (
        "effective journald ForwardToSyslog=not set (default) (expected no); carehard writes"
        " /etc/systemd/journald.conf.d/zz-carehard-no-syslog.conf, a drop-in sorting after it wins"
    )
    assert items["WL-JRN-04"]["evidence"] == (
        "not running nor enabled: systemd-journal-remote.socket not-found, inactive;"
        " systemd-journal-remote.service not-found, inactive"
    )
    assert (
        items["WL-JRN-05"]["what"]
        == items["WL-JRN-05"]["evidence"]
        == ("rsyslog is not installed (no /usr/sbin/rsyslogd)")
    )
    assert items["WL-JRN-04"]["what"] == "Check that systemd-journal-remote receives no logs"


def test_another_syslog_daemon_and_an_earlier_drop_in_fail_with_what_was_found() -> None:
    items = judge(DIRTY)
    assert items["WL-JRN-02"]["evidence"].startswith(
        "effective journald Compress=no (expected yes), SystemMaxUse=2G (expected 1G),"
        " SystemKeepFree=not set (default) (expected 2G)"
    )
    assert items["WL-JRN-03"]["evidence"] == (
        "effective journald ForwardToSyslog=not set (default) (expected no); carehard writes"
        " /etc/systemd/journald.conf.d/zz-carehard-no-syslog.conf, a drop-in sorting after it wins;"
        " inetutils-syslogd.service is enabled at boot and active now; expected stopped and disabled"
    )


def test_after_harden_the_last_drop_in_wins_and_every_control_passes() -> None:
    items = judge(HARDENED)
    assert {i["status"] for i in items.values()} == {"pass"}
    assert items["WL-JRN-02"]["evidence"] == (
        "effective journald Compress=yes, SystemMaxUse=1G, SystemKeepFree=2G, RuntimeMaxUse=200M,"
        " RuntimeKeepFree=50M, MaxFileSec=1month (systemd-analyze cat-config)"
    )
    assert items["WL-JRN-03"]["evidence"].startswith(
        "effective journald ForwardToSyslog=no (systemd-analyze cat-config); not running nor enabled:"
        " rsyslog.service not-found, inactive;"
    )
    assert "inetutils-syslogd.service disabled, inactive" in items["WL-JRN-03"]["evidence"]
    assert items["WL-JRN-05"]["evidence"] == (
        "rsyslog (active): $FileCreateMode 0640 (last set in /etc/rsyslog.d/00-carehard-filecreatemode.conf);"
        " no imtcp, imudp or imrelp input"
    )


def test_journald_stopped_fails() -> None:
    items = judge(FRESH.replace("static|active", "static|inactive"))
    assert items["WL-JRN-01"]["status"] == "fail"
    assert items["WL-JRN-01"]["evidence"] == (
        "systemd-journald is static at boot and inactive now; expected static (started at boot) and active"
    )
    empty = judge(FRESH.replace("static|active", "|"))["WL-JRN-01"]
    assert empty["evidence"].startswith("systemd-journald is unknown at boot and unknown now;")


def test_rsyslog_with_a_wide_file_mode_and_network_inputs_fails() -> None:
    item = judge(with_rsyslog(FRESH, RSYSLOG_OPEN))["WL-JRN-05"]
    assert item["status"] == "fail"
    assert item["evidence"] == (
        "rsyslog: $FileCreateMode 0644 in /etc/rsyslog.d/50-site.conf, expected 0640 or stricter;"
        " network inputs:"
        " /etc/rsyslog.conf:3:module(load='imtcp'); /etc/rsyslog.conf:4:input(type='imtcp' port='514');"
        " /etc/rsyslog.d/50-site.conf:2:$ModLoad imudp"
    )
    unset = json.dumps({"installed": "yes", "active": "active", "mode": "", "mode_file": "", "mode_ok": "no"})
    item = judge(with_rsyslog(FRESH, unset))["WL-JRN-05"]
    assert (
        item["evidence"]
        == "rsyslog: $FileCreateMode not set (0644), expected 0640 or stricter; network inputs: none"
    )


def test_a_probe_that_broke_is_the_error_of_every_checked_control() -> None:
    items = JUDGE(probe("", rc=127, stderr="bash: not found"), SETTINGS)
    assert [(i["id"], i["status"]) for i in items] == [(i, "error") for i in IDS]
    assert items[0]["evidence"] == "the journal probe failed (rc 127): bash: not found"
    garbage = JUDGE(probe("Segmentation fault"), SETTINGS)
    assert {i["evidence"] for i in garbage} == {"the journal probe printed no section: Segmentation fault"}
    assert JUDGE({"skipped": True}, SETTINGS)[0]["evidence"] == "the journal probe did not run"
    assert JUDGE(None, SETTINGS)[0]["status"] == "error"


def test_a_broken_or_missing_section_is_the_error_of_its_controls_only() -> None:
    items = judge(with_rsyslog(FRESH, "the rsyslog probe exited 2"))
    assert items["WL-JRN-05"]["status"] == "error"
    assert items["WL-JRN-05"]["evidence"] == (
        "the journal probe could not read what WL-JRN-05 needs:"
        " rsyslog: not a JSON object: the rsyslog probe exited 2"
    )
    assert items["WL-JRN-01"]["status"] == "pass"
    no_units = judge(FRESH.replace("@@ units", "@@ nothing"))
    assert (
        no_units["WL-JRN-04"]["evidence"]
        == "the journal probe could not read what WL-JRN-04 needs: section units missing"
    )
    assert no_units["WL-JRN-02"]["status"] == "fail"  # WL-JRN-02 has no services: it needs only the config
    one_unit_less = judge(FRESH.replace("systemd-journal-remote.socket||inactive\n", ""))["WL-JRN-04"]
    assert one_unit_less == {
        "id": "WL-JRN-04",
        "what": "Check that systemd-journal-remote receives no logs",
        "status": "error",
        "evidence": "the journal probe did not read the state of systemd-journal-remote.socket",
    }


def test_unselected_controls_get_no_item_switched_off_held_and_premises_are_not_applicable() -> None:
    assert list(judge(FRESH, run_tags=["WL-JRN-02", "WL-SSH-01"])) == ["WL-JRN-02"]
    assert "WL-JRN-04" not in judge(FRESH, skip_tags=["WL-JRN-04"])
    items = judge(
        FRESH,
        switches={**SETTINGS["switches"], "WL-JRN-02": False},
        held=["WL-JRN-01"],
    )
    assert items["WL-JRN-02"]["status"] == "na"
    assert items["WL-JRN-02"]["evidence"] == "switched off (workstation_linux_wl_jrn_02: false)"
    assert items["WL-JRN-01"]["evidence"] == "held by a waiver: not checked nor changed"
    site = [dict(i, applies=False) if i["id"] == "WL-JRN-03" else i for i in controls()]
    rsyslog_kept = judge(FRESH, controls=site)["WL-JRN-03"]
    assert rsyslog_kept["status"] == "na"
    assert "applies: false" in rsyslog_kept["what"]
    assert "WL-JRN-04" not in judge(FRESH, controls=[i for i in controls() if i["id"] != "WL-JRN-04"])


def test_without_systemd_only_rsyslog_is_checked() -> None:
    settings = {**SETTINGS, "service_mgr": "sysvinit"}
    items = {i["id"]: i for i in JUDGE(probe(with_rsyslog(FRESH, RSYSLOG_OPEN)), settings)}
    assert {i: items[i]["status"] for i in IDS} == {**{i: "na" for i in IDS[:4]}, "WL-JRN-05": "fail"}
    assert items["WL-JRN-01"]["what"] == (
        "systemd is not this host's service manager (sysvinit): no systemd journal"
    )
    assert ACTIVE(settings) == ["WL-JRN-05"]
    assert UNITS(settings) == ""


def test_the_probe_reads_only_what_the_checked_controls_need() -> None:
    assert ACTIVE(SETTINGS) == IDS
    assert UNITS({**SETTINGS, "run_tags": ["WL-JRN-04"]}) == (
        "systemd-journal-remote.socket systemd-journal-remote.service"
    )
    assert DIRS(SETTINGS) == "/etc/systemd/journald.conf.d"
    assert ACTIVE({**SETTINGS, "held": IDS}) == []


@pytest.mark.parametrize("check_mode_dir", [True, False])
def test_the_plan_fixes_only_the_controls_that_failed(check_mode_dir: bool) -> None:
    stdout = DIRTY if check_mode_dir else FRESH
    plan = PLAN(probe(with_rsyslog(stdout, RSYSLOG_OPEN)), SETTINGS, ["WL-JRN-03", "WL-JRN-05"])
    assert plan["start_journald"] is False
    assert [(d["id"], d["file"], d["dir_exists"]) for d in plan["dropins"]] == [
        ("WL-JRN-03", "/etc/systemd/journald.conf.d/zz-carehard-no-syslog.conf", check_mode_dir)
    ]
    assert plan["dropins"][0]["settings"] == {"ForwardToSyslog": "no"}
    assert plan["stop"] == (
        [{"id": "WL-JRN-03", "unit": "inetutils-syslogd.service"}] if check_mode_dir else []
    )
    assert plan["rsyslog_mode"] is True
    assert plan["rsyslog_files"] == ["/etc/rsyslog.conf", "/etc/rsyslog.d/50-site.conf"]
    assert plan["rsyslog_active"] is True
    stopped = PLAN(probe(FRESH.replace("static|active", "static|failed")), SETTINGS, ["WL-JRN-01"])
    assert stopped["start_journald"] is True
    assert stopped["dropins"] == stopped["stop"] == stopped["rsyslog_files"] == []
    assert PLAN(probe("", rc=1), SETTINGS, [])["dropins"] == []
