"""The judge of the cron and mail controls (WL-CRON-01, WL-CRON-03, WL-MTA-01, WL-MTA-02),
filter_plugins/cron_mail_judge.py, on probe output recorded on a Debian 12 test host (after
tests/integration/dirty/logfiles.sh; after harden) and, for the mail server (none in the test
image), on output in the probe's format: pass, fail, not applicable, error, unselected, switched-off
and held controls, the fixes' plan, evidence. The plugin is loaded by path, as Ansible loads it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "roles/workstation_linux/filter_plugins/cron_mail_judge.py"
IDS = ["WL-CRON-01", "WL-CRON-03", "WL-MTA-01", "WL-MTA-02"]


def filters() -> dict[str, Callable[..., Any]]:
    return plugin_filters(PLUGIN)


F = filters()
JUDGE, FAILED, PROBED, PLAN = (
    F["cron_mail_judge"],
    F["cron_mail_failed"],
    F["cron_mail_probed"],
    F["cron_mail_plan"],
)
TOOLS = [
    {"tool": "crontab", "allow": "/etc/cron.allow", "deny": "/etc/cron.deny", "group": "crontab"},
    {"tool": "at", "allow": "/etc/at.allow", "deny": "/etc/at.deny", "group": "daemon"},
]
SETTINGS: dict[str, Any] = {
    "run_tags": ["all"],
    "skip_tags": [],
    "switches": dict.fromkeys(IDS, True),
    "held": [],
    "cron_package": "cron",
    "cron_service": "cron",
    "systemd": True,
    "tools": TOOLS,
    "allowed_users": [],
    "root_alias": "",
}
# Recorded: a Debian 12 test host after dirty/logfiles.sh (cron installed, disabled and stopped).
DIRTY = """cron-pkg installed
cron-enabled disabled
cron-active inactive
login admin
tool crontab
file /etc/cron.allow|absent|ok|
file /etc/cron.deny|absent|ok|
mta
mta-listen
mta-aliases
end
"""
# Recorded: the same host after harden.
HARDENED = """cron-pkg installed
cron-enabled enabled
cron-active active
login admin
tool crontab
file /etc/cron.allow|root:crontab 640|ok|root admin
file /etc/cron.deny|absent|ok|
mta
mta-listen
mta-aliases
end
"""
# The probe's format, a Debian host without cron (a fresh test image).
NO_CRON = """cron-pkg absent
cron-enabled not-found
cron-active inactive
login admin
mta
mta-listen
mta-aliases
end
"""
# The probe's format, a host with Postfix open on the network and no alias for root.
POSTFIX_OPEN = """cron-pkg installed
cron-enabled enabled
cron-active active
login admin
tool crontab
tool at
file /etc/cron.allow|root:root 644|bad|root
file /etc/cron.deny|root:crontab 640|ok|
file /etc/at.allow|absent|ok|
file /etc/at.deny|root:daemon 640|ok|www-data
mta postfix
mta-listen 0.0.0.0:25 [::]:25
mta-postfix all
mta-aliases postmaster:root
end
"""
POSTFIX_CLOSED = """mta postfix
mta-listen
mta-postfix loopback-only
mta-aliases postmaster:root root:it-support@example.org
end
"""
EXIM_OPEN = """mta exim4
mta-listen 192.0.2.5:25
mta-exim 0.0.0.0
mta-aliases
end
"""


def probe(stdout: str, rc: int = 0) -> dict[str, Any]:
    return {"rc": rc, "stdout": stdout, "stderr": "", "changed": False}


def judge(stdout: str, rc: int = 0, **changes: Any) -> dict[str, dict[str, str]]:
    settings = {**SETTINGS, **changes}
    return {i["id"]: i for i in JUDGE(probe(stdout, rc), settings)}


def test_dirty_host_fails_cron_and_mail_is_not_applicable() -> None:
    got = judge(DIRTY)
    assert got["WL-CRON-01"]["status"] == "fail"
    assert got["WL-CRON-01"]["evidence"] == (
        "cron is disabled at boot and inactive now; expected installed, enabled and running"
    )
    assert got["WL-CRON-03"]["status"] == "fail"
    assert got["WL-CRON-03"]["evidence"] == "/etc/cron.allow is missing: every user may schedule jobs"
    for cid in ("WL-MTA-01", "WL-MTA-02"):
        assert got[cid] == {
            "id": cid,
            "what": "no mail server (Postfix or Exim) on this host",
            "status": "na",
            "evidence": "",
        }
    assert FAILED(list(got.values())) == ["WL-CRON-01", "WL-CRON-03"]


def test_hardened_host_passes() -> None:
    got = judge(HARDENED)
    assert got["WL-CRON-01"]["status"] == "pass"
    assert got["WL-CRON-01"]["evidence"] == "cron installed; cron enabled at boot and running"
    assert got["WL-CRON-03"]["status"] == "pass"
    assert got["WL-CRON-03"]["evidence"] == (
        "/etc/cron.allow root:crontab 640 listing root admin; /etc/cron.deny absent; at is not installed"
    )
    assert FAILED(list(got.values())) == []


def test_cron_missing_and_crontab_planned_for_cron03() -> None:
    got = judge(NO_CRON)
    assert got["WL-CRON-01"]["evidence"] == "cron is not installed; expected installed, enabled and running"
    assert got["WL-CRON-03"]["status"] == "pass"
    assert got["WL-CRON-03"]["evidence"] == "neither crontab nor at is installed: nothing to restrict"
    plan = PLAN(probe(NO_CRON), SETTINGS)
    assert plan["cron_absent"] is True
    assert plan["tools"] == ["crontab"]
    assert plan["allow"] == [
        {"path": "/etc/cron.allow", "group": "crontab", "user": "root"},
        {"path": "/etc/cron.allow", "group": "crontab", "user": "admin"},
    ]
    assert plan["deny"] == []


def test_allowed_users_and_bad_permissions() -> None:
    got = judge(POSTFIX_OPEN, allowed_users=["backup", "admin"])
    assert got["WL-CRON-03"]["evidence"] == (
        "/etc/cron.allow does not list admin, backup; /etc/cron.allow is root:root 644, expected owner root"
        " and mode 0640 or stricter; /etc/at.allow is missing: every user may schedule jobs"
    )
    plan = PLAN(probe(POSTFIX_OPEN), {**SETTINGS, "allowed_users": ["backup"]})
    assert [(a["path"], a["user"]) for a in plan["allow"]] == [
        ("/etc/cron.allow", "root"),
        ("/etc/cron.allow", "admin"),
        ("/etc/cron.allow", "backup"),
        ("/etc/at.allow", "root"),
        ("/etc/at.allow", "admin"),
        ("/etc/at.allow", "backup"),
    ]
    assert plan["deny"] == [
        {"path": "/etc/cron.deny", "group": "crontab"},
        {"path": "/etc/at.deny", "group": "daemon"},
    ]
    assert plan["mta"] == "postfix" and plan["postfix_set"] is False


def test_postfix_open_and_no_alias_fail() -> None:
    got = judge(POSTFIX_OPEN)
    assert got["WL-MTA-01"]["status"] == "fail"
    assert got["WL-MTA-01"]["evidence"] == (
        "postfix: inet_interfaces = all, listening on 0.0.0.0:25 [::]:25; expected loopback only"
    )
    assert got["WL-MTA-02"]["evidence"] == (
        "no mailbox for root: set workstation_linux_root_mail_alias (the site's support mailbox) so that"
        " the mail of root and of the service accounts aliased to it reaches a person;"
        " aliases now: postmaster:root"
    )
    other = judge(POSTFIX_OPEN, root_alias="it-support@example.org")
    assert other["WL-MTA-02"]["evidence"] == (
        "/etc/aliases does not send root to it-support@example.org; aliases now: postmaster:root"
    )


def test_postfix_on_loopback_and_alias_pass() -> None:
    got = judge(POSTFIX_CLOSED, run_tags=["WL-MTA-01", "WL-MTA-02"], root_alias="it-support@example.org")
    assert list(got) == ["WL-MTA-01", "WL-MTA-02"]
    assert got["WL-MTA-01"]["evidence"] == (
        "postfix set to loopback only (inet_interfaces = loopback-only); no SMTP port (25, 465, 587) open"
        " beyond loopback"
    )
    assert got["WL-MTA-02"]["status"] == "pass"
    assert got["WL-MTA-02"]["evidence"] == (
        "/etc/aliases: root -> it-support@example.org; aliases: postmaster:root root:it-support@example.org"
    )


def test_exim_open() -> None:
    got = judge(EXIM_OPEN, run_tags=["WL-MTA-01", "WL-MTA-02"], root_alias="ops@example.org")
    assert got["WL-MTA-01"]["evidence"] == (
        "exim4: dc_local_interfaces='0.0.0.0', listening on 192.0.2.5:25; expected loopback only"
    )
    assert (
        got["WL-MTA-02"]["evidence"]
        == "/etc/aliases does not send root to ops@example.org; aliases now: none"
    )


def test_errors_probe_broke_garbage_section_missing() -> None:
    broke = judge("", rc=2)
    assert {i["status"] for i in broke.values()} == {"error"}
    assert broke["WL-CRON-01"]["evidence"] == "the cron and mail probe broke (rc 2): no message"
    garbage = judge("Traceback: something")
    assert garbage["WL-MTA-01"]["status"] == "error"
    assert garbage["WL-MTA-01"]["evidence"].startswith(
        "the cron and mail probe's output is cut short or unexpected"
    )
    missing = judge("mta \nend\n")
    assert missing["WL-CRON-01"] == {
        "id": "WL-CRON-01",
        "what": "Check that the cron daemon is enabled and running",
        "status": "error",
        "evidence": "the cron and mail probe printed no cron01 section",
    }
    assert missing["WL-CRON-03"]["evidence"] == "the cron and mail probe printed no cron03 section"
    assert missing["WL-MTA-01"]["status"] == "na"
    assert JUDGE({"skipped": True}, SETTINGS)[0]["evidence"] == "the cron and mail probe did not run"
    assert JUDGE(None, SETTINGS)[0]["status"] == "error"
    assert PLAN(None, SETTINGS)["tools"] == []


def test_unselected_switched_off_held_and_unknown_hosts() -> None:
    got = judge(DIRTY, run_tags=["WL-CRON-01"])
    assert list(got) == ["WL-CRON-01"]
    assert list(judge(DIRTY, skip_tags=["WL-MTA-01", "WL-MTA-02"])) == ["WL-CRON-01", "WL-CRON-03"]
    off = judge(DIRTY, switches={**SETTINGS["switches"], "WL-CRON-03": False}, held=["WL-CRON-01"])
    assert off["WL-CRON-03"]["what"] == "switched off (workstation_linux_wl_cron_03: false)"
    assert off["WL-CRON-03"]["status"] == "na"
    assert off["WL-CRON-01"]["what"] == "held by a waiver: not checked nor changed"
    other = judge(DIRTY, cron_package="")
    assert other["WL-CRON-01"]["what"] == "not an OS family whose cron package carehard knows"
    nosysd = judge(DIRTY, systemd=False)
    assert nosysd["WL-CRON-01"]["status"] == "na"
    assert JUDGE(probe(DIRTY), None) != []  # no settings: all selected, never raises


def test_probed_sections() -> None:
    assert PROBED(SETTINGS) == ["cron01", "cron03", "mta"]
    assert PROBED({**SETTINGS, "run_tags": ["WL-MTA-02"]}) == ["mta"]
    assert PROBED({**SETTINGS, "held": ["WL-CRON-01"], "run_tags": ["WL-CRON-01"]}) == []
    assert PROBED({**SETTINGS, "switches": dict.fromkeys(IDS, False)}) == []
    assert PROBED(None) == []
