"""The judge of the file permission controls (WL-PERM-01, WL-CRON-02, a site's own, WL-PERM-02),
filter_plugins/perm_judge.py, on probe output recorded on a Debian 12 test host after
tests/integration/dirty/logfiles.sh and after harden: pass, fail, not applicable, error, unselected,
switched-off and held controls, exact evidence. The plugin is loaded by path, as Ansible loads it,
and reached through its registered names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
PERM = plugin_filters(ROOT / "roles/workstation_linux/filter_plugins/perm_judge.py")

CONTROLS: list[dict[str, Any]] = [
    {
        "id": "WL-PERM-01",
        "files": [
            {"path": "/etc/passwd", "mode": "0644"},
            {"path": "/etc/group-", "mode": "0644"},
            {"path": "/etc/gshadow", "mode": "0640", "group": ["root", "shadow"]},
            {"path": "/etc/security/opasswd.old", "mode": "0600"},
        ],
    },
    {
        "id": "WL-CRON-02",
        "files": [{"path": "/etc/crontab", "mode": "0600"}, {"path": "/etc/cron.d", "mode": "0700"}],
    },
    {"id": "WL-SITE-01", "files": [{"path": "/etc/site.conf", "mode": "0600", "owner": "site"}]},
]
LOG_MODES = [
    {"mode": "0664", "patterns": ["*/lastlog", "*/wtmp"]},
    {"mode": "0644", "patterns": ["*/apt/history.log"]},
]
SETTINGS: dict[str, Any] = {
    "run_tags": ["all"],
    "skip_tags": [],
    "switches": {"WL-PERM-01": True, "WL-CRON-02": True, "WL-SITE-01": True, "WL-PERM-02": True},
    "held": [],
    "controls": CONTROLS,
    "log_dir": "/var/log",
    "log_modes": LOG_MODES,
    "log_default_mode": "0640",
    "log_limit": 20,
}
RULES_TEXT = "0664 for */lastlog, */wtmp; 0644 for */apt/history.log; 0640 for the others"

# Recorded on the host after dirty/logfiles.sh (the audit before harden), lines kept to these files.
DIRTY = """\
file|WL-PERM-01|ok|root|root|0644|0644|root|root|0644|root|/etc/passwd
file|WL-PERM-01|bad|root|root|0666|0644|root|root|0644|root|/etc/group-
file|WL-PERM-01|bad|root|shadow|0644|0640|root|shadow|0640|root,shadow|/etc/gshadow
file|WL-PERM-01|absent||||0600|root|||root|/etc/security/opasswd.old
file|WL-CRON-02|bad|root|root|0644|0600|root|root|0600|root|/etc/crontab
file|WL-CRON-02|bad|root|root|0755|0700|root|root|0700|root|/etc/cron.d
file|WL-SITE-01|absent||||0600|site|||root|/etc/site.conf
files-done
log|0640|0640|ok|/var/log/journal/d8fd38ceda774889b5cfbb29253cd405/system.journal
log|0644|0640|bad|/var/log/faillog
log|0664|0664|ok|/var/log/lastlog
log|0644|0640|bad|/var/log/dpkg.log
log|0644|0644|ok|/var/log/apt/history.log
logs-done
"""
# The same files after harden.
CLEAN = """\
file|WL-PERM-01|ok|root|root|0644|0644|root|root|0644|root|/etc/passwd
file|WL-PERM-01|ok|root|root|0644|0644|root|root|0644|root|/etc/group-
file|WL-PERM-01|ok|root|shadow|0640|0640|root|shadow|0640|root,shadow|/etc/gshadow
file|WL-PERM-01|absent||||0600|root|||root|/etc/security/opasswd.old
file|WL-CRON-02|ok|root|root|0600|0600|root|root|0600|root|/etc/crontab
file|WL-CRON-02|ok|root|root|0700|0700|root|root|0700|root|/etc/cron.d
file|WL-SITE-01|bad|root|root|0644|0600|site|root|0600|root|/etc/site.conf
files-done
log|0640|0640|ok|/var/log/faillog
log|0664|0664|ok|/var/log/lastlog
logs-done
"""


def probe(stdout: str, rc: int = 0, **extra: Any) -> dict[str, Any]:
    return {"rc": rc, "stdout": stdout, "stderr": "", "changed": False, **extra}


def perm(stdout: str, after: bool = False, **settings: Any) -> dict[str, dict[str, str]]:
    items = PERM["perm_judge"](probe(stdout), {**SETTINGS, **settings}, after)
    return {i["id"]: i for i in items}


def test_a_dirty_host_fails_with_the_file_found_and_the_file_expected() -> None:
    got = perm(DIRTY)
    assert list(got) == ["WL-PERM-01", "WL-CRON-02", "WL-SITE-01", "WL-PERM-02"]
    assert got["WL-PERM-01"]["status"] == "fail"
    assert got["WL-PERM-01"]["evidence"] == (
        "/etc/group- is root:root 0666, expected owner root, group root, mode 0644 or stricter;"
        " /etc/gshadow is root:shadow 0644, expected owner root, group root or shadow, mode 0640 or stricter"
    )
    assert got["WL-CRON-02"]["evidence"].startswith(
        "/etc/crontab is root:root 0644, expected owner root, group root,"
    )
    assert got["WL-PERM-02"] == {
        "id": "WL-PERM-02",
        "what": "Check that no log file is readable by other users",
        "status": "fail",
        "evidence": "2 of 5 files under /var/log are more open than allowed:"
        " /var/log/faillog (0644, at most 0640);"
        " /var/log/dpkg.log (0644, at most 0640)",
    }


def test_a_control_none_of_whose_files_exists_is_not_applicable() -> None:
    site = perm(DIRTY)["WL-SITE-01"]
    assert (site["status"], site["what"]) == ("na", "none of its files exists (/etc/site.conf)")


def test_a_clean_host_passes_naming_each_file() -> None:
    got = perm(CLEAN)
    assert got["WL-PERM-01"] == {
        "id": "WL-PERM-01",
        "what": "Check the owner, group and mode of its files",
        "status": "pass",
        "evidence": "/etc/passwd root:root 0644; /etc/group- root:root 0644; /etc/gshadow root:shadow 0640;"
        " /etc/security/opasswd.old absent",
    }
    assert got["WL-CRON-02"]["evidence"] == "/etc/crontab root:root 0600; /etc/cron.d root:root 0700"
    assert got["WL-PERM-02"]["status"] == "pass"
    assert got["WL-PERM-02"]["evidence"] == (
        f"2 files under /var/log, none more open than its rule allows (at most {RULES_TEXT})"
    )


def test_a_failure_after_the_fixes_says_they_did_not_take() -> None:
    site = perm(CLEAN, after=True)["WL-SITE-01"]
    assert site["status"] == "fail"
    assert site["evidence"] == (
        "/etc/site.conf is root:root 0644, expected owner site, group root, mode 0600 or stricter"
        " (applied, not effective)"
    )
    logs = perm(DIRTY, after=True)["WL-PERM-02"]["evidence"]
    assert logs.endswith("(0644, at most 0640) (applied, not effective)")


def test_the_log_files_named_are_capped() -> None:
    evidence = perm(DIRTY, log_limit=1)["WL-PERM-02"]["evidence"]
    assert evidence.endswith(": /var/log/faillog (0644, at most 0640) and 1 more")


def test_unselected_switched_off_and_held_controls() -> None:
    got = perm(DIRTY, run_tags=["WL-CRON-02", "WL-PERM-02"], skip_tags=["WL-PERM-02"])
    assert list(got) == ["WL-CRON-02"]
    got = perm(DIRTY, switches={**SETTINGS["switches"], "WL-CRON-02": False}, held=["WL-PERM-02"])
    assert got["WL-CRON-02"] == {
        "id": "WL-CRON-02",
        "what": "switched off (workstation_linux_wl_cron_02: false)",
        "status": "na",
        "evidence": "",
    }
    assert got["WL-PERM-02"]["what"] == "held by a waiver: not checked nor changed"
    assert got["WL-PERM-02"]["status"] == "na"
    assert PERM["perm_probed"]({**SETTINGS, "held": ["WL-PERM-02"]}) == [
        "WL-PERM-01",
        "WL-CRON-02",
        "WL-SITE-01",
    ]


@pytest.mark.parametrize(
    ("result", "evidence"),
    [
        (
            probe("", rc=2, stderr="bash: line 1: stat: oops"),
            "the permission probe broke (rc 2): bash: line 1: stat: oops",
        ),
        (probe("Traceback..."), "the permission probe printed no file states: 'Traceback...'"),
        ({"skipped": True}, "the permission probe did not run"),
        (None, "the permission probe gave no result"),
    ],
)
def test_a_broken_probe_is_the_error_of_every_control_probed(result: Any, evidence: str) -> None:
    items = PERM["perm_judge"](result, SETTINGS)
    assert {i["status"] for i in items} == {"error"}
    assert {i["evidence"] for i in items} == {evidence}


def test_a_section_missing_is_the_error_of_its_controls() -> None:
    no_logs = DIRTY.split("log|")[0]
    got = perm(no_logs)
    assert got["WL-PERM-01"]["status"] == "fail"
    assert got["WL-PERM-02"]["status"] == "error"
    assert got["WL-PERM-02"]["evidence"] == "the permission probe's output has no log file section"


def test_the_fixes_follow_the_failed_controls_only() -> None:
    bad = PERM["perm_bad_files"](probe(DIRTY), ["WL-PERM-01"])
    assert [(f["id"], f["path"], f["want_owner"], f["want_group"], f["want_mode"]) for f in bad] == [
        ("WL-PERM-01", "/etc/group-", "root", "root", "0644"),
        ("WL-PERM-01", "/etc/gshadow", "root", "shadow", "0640"),
    ]
    assert [(f["path"], f["want"]) for f in PERM["perm_bad_logs"](probe(DIRTY))] == [
        ("/var/log/faillog", "0640"),
        ("/var/log/dpkg.log", "0640"),
    ]
    assert PERM["perm_failed"](PERM["perm_judge"](probe(DIRTY), SETTINGS)) == [
        "WL-PERM-01",
        "WL-CRON-02",
        "WL-PERM-02",
    ]


def test_the_probe_reads_the_files_of_the_controls_probed_and_the_rules() -> None:
    spec = PERM["perm_spec"]({**SETTINGS, "switches": {"WL-PERM-01": False}, "held": ["WL-SITE-01"]})
    assert spec == "WL-CRON-02|/etc/crontab|0600|root|root\nWL-CRON-02|/etc/cron.d|0700|root|root"
    assert PERM["perm_spec"](SETTINGS).splitlines()[2] == "WL-PERM-01|/etc/gshadow|0640|root|root,shadow"
    assert PERM["perm_rules"](SETTINGS) == "0664|*/lastlog */wtmp\n0644|*/apt/history.log\n0640|*"
