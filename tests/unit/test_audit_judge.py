"""WL-AUD-01/02 (auditd.conf) and WL-AUD-18..20 (owner and mode of the audit logs, configuration and
tools), judged with the logging family by filter_plugins/logging_judge.py, on probe output recorded on
a bookworm test host (a container) made dirty by tests/integration/dirty/auditd.sh, then hardened:
pass, fail, not applicable, error, unselected, switched-off and held controls, exact evidence, and
what the fixes write (carehard_audit_plan). The plugin is loaded by path, as Ansible loads it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "roles/workstation_linux/filter_plugins/logging_judge.py"
IDS = ["WL-AUD-01", "WL-AUD-02", "WL-AUD-18", "WL-AUD-19", "WL-AUD-20"]


def filters() -> dict[str, Callable[..., Any]]:
    return plugin_filters(PLUGIN)


F = filters()
JUDGE = F["carehard_logging_judge"]
PLAN = F["carehard_audit_plan"]

# The sections of the other controls, as on the dirty host (auditd installed, not enabled).
HEAD = (
    "@@ facts\n"
    '{"dir": "yes", "sshd": "yes", "uid_min": "1000", "suid": ["/usr/bin/chage", "/usr/bin/chfn", "/usr/bin/chsh", "/usr/bin/expiry", "/usr/bin/gpasswd", "/usr/bin/mount", "/usr/bin/newgrp", "/usr/bin/passwd", "/usr/bin/ssh-agent", "/usr/bin/su", "/usr/bin/sudo", "/usr/bin/umount", "/usr/lib/dbus-1.0/dbus-daemon-launch-helper", "/usr/lib/openssh/ssh-keysign", "/usr/sbin/unix_chkpwd"], "kmod": ["/usr/bin/kmod"], "sudolog": ""}\n'  # noqa: E501 (recorded)
    "@@ immutable\n"
    '{"e": "", "from": ""}\n'
    "@@ auditd\n"
    '{"installed": "yes", "enabled": "disabled", "active": "inactive"}\n'
    "@@ augenrules\n"
    "/usr/sbin/augenrules: Rules have changed and should be updated\n"
    "@@ journal\n"
    '{"storage": "", "dir": "yes"}\n'
    "@@ coredump\n"
    '{"all": "", "all_src": "", "root": "", "root_src": "", "storage": "", "size": ""}\n'
)
# Dirty: Debian's auditd.conf, the log directory 0770, auditd.conf 0644, aureport 0775.
DIRTY = HEAD + (
    "@@ auditd_conf\n"
    "present\n"
    "| #\n"
    "| # This file controls the configuration of the audit daemon\n"
    "| #\n"
    "| \n"
    "| local_events = yes\n"
    "| write_logs = yes\n"
    "| log_file = /var/log/audit/audit.log\n"
    "| log_group = adm\n"
    "| log_format = ENRICHED\n"
    "| flush = INCREMENTAL_ASYNC\n"
    "| freq = 50\n"
    "| max_log_file = 8\n"
    "| num_logs = 5\n"
    "| priority_boost = 4\n"
    "| name_format = NONE\n"
    "| ##name = mydomain\n"
    "| max_log_file_action = ROTATE\n"
    "| space_left = 75\n"
    "| space_left_action = SYSLOG\n"
    "| verify_email = yes\n"
    "| action_mail_acct = root\n"
    "| admin_space_left = 50\n"
    "| admin_space_left_action = SUSPEND\n"
    "| disk_full_action = SUSPEND\n"
    "| disk_error_action = SUSPEND\n"
    "| use_libwrap = yes\n"
    "| ##tcp_listen_port = 60\n"
    "| tcp_listen_queue = 5\n"
    "| tcp_max_per_addr = 1\n"
    "| ##tcp_client_ports = 1024-65535\n"
    "| tcp_client_max_idle = 0\n"
    "| transport = TCP\n"
    "| krb5_principal = auditd\n"
    "| ##krb5_key_file = /etc/audit/audit.key\n"
    "| distribute_network = no\n"
    "| q_depth = 2000\n"
    "| overflow_action = SYSLOG\n"
    "| max_restarts = 10\n"
    "| plugin_dir = /etc/audit/plugins.d\n"
    "| end_of_event_timeout = 2\n"
    "@@ perms\n"
    "loggroup|adm\n"
    "WL-AUD-18|bad|root:adm|0770|g-w,o-rwx|/var/log/audit\n"
    "WL-AUD-18|ok|root:root|0600|u-x,g-wx,o-rwx|/var/log/audit/audit.log\n"
    "WL-AUD-19|ok|root:root|0640|u-x,g-wx,o-rwx|/etc/audit/audit-stop.rules\n"
    "WL-AUD-19|ok|root:root|0640|u-x,g-wx,o-rwx|/etc/audit/audit.rules\n"
    "WL-AUD-19|bad|root:root|0644|u-x,g-wx,o-rwx|/etc/audit/auditd.conf\n"
    "WL-AUD-19|ok|root:root|0640|u-x,g-wx,o-rwx|/etc/audit/plugins.d/af_unix.conf\n"
    "WL-AUD-19|ok|root:root|0640|u-x,g-wx,o-rwx|/etc/audit/plugins.d/syslog.conf\n"
    "WL-AUD-19|ok|root:root|0640|u-x,g-wx,o-rwx|/etc/audit/rules.d/audit.rules\n"
    "WL-AUD-20|ok|root:root|0755|go-w|/usr/sbin/auditctl\n"
    "WL-AUD-20|ok|root:root|0755|go-w|/usr/sbin/auditd\n"
    "WL-AUD-20|ok|root:root|0755|go-w|/usr/sbin/augenrules\n"
    "WL-AUD-20|bad|root:root|0775|go-w|/usr/sbin/aureport\n"
    "WL-AUD-20|ok|root:root|0755|go-w|/usr/sbin/ausearch\n"
    "WL-AUD-20|ok|root:root|0755|go-w|/usr/sbin/autrace\n"
)
# After harden (auditd.conf's comments left out; most carehard rules files left out).
HARDENED = HEAD + (
    "@@ auditd_conf\n"
    "present\n"
    "| #\n"
    "| # This file controls the configuration of the audit daemon\n"
    "| #\n"
    "| \n"
    "| local_events = yes\n"
    "| write_logs = yes\n"
    "| log_file = /var/log/audit/audit.log\n"
    "| log_group = adm\n"
    "| log_format = ENRICHED\n"
    "| flush = INCREMENTAL_ASYNC\n"
    "| freq = 50\n"
    "| max_log_file = 32\n"
    "| num_logs = 5\n"
    "| priority_boost = 4\n"
    "| name_format = NONE\n"
    "| ##name = mydomain\n"
    "| max_log_file_action = keep_logs\n"
    "| space_left = 75\n"
    "| space_left_action = email\n"
    "| verify_email = yes\n"
    "| action_mail_acct = root\n"
    "| admin_space_left = 50\n"
    "| admin_space_left_action = single\n"
    "| disk_full_action = single\n"
    "| disk_error_action = syslog\n"
    "| use_libwrap = yes\n"
    "| ##tcp_listen_port = 60\n"
    "| tcp_listen_queue = 5\n"
    "| tcp_max_per_addr = 1\n"
    "| ##tcp_client_ports = 1024-65535\n"
    "| tcp_client_max_idle = 0\n"
    "| transport = TCP\n"
    "| krb5_principal = auditd\n"
    "| ##krb5_key_file = /etc/audit/audit.key\n"
    "| distribute_network = no\n"
    "| q_depth = 2000\n"
    "| overflow_action = SYSLOG\n"
    "| max_restarts = 10\n"
    "| plugin_dir = /etc/audit/plugins.d\n"
    "| end_of_event_timeout = 2\n"
    "@@ perms\n"
    "loggroup|adm\n"
    "WL-AUD-18|ok|root:adm|0750|g-w,o-rwx|/var/log/audit\n"
    "WL-AUD-18|ok|root:root|0600|u-x,g-wx,o-rwx|/var/log/audit/audit.log\n"
    "WL-AUD-19|ok|root:root|0640|u-x,g-wx,o-rwx|/etc/audit/audit-stop.rules\n"
    "WL-AUD-19|ok|root:root|0640|u-x,g-wx,o-rwx|/etc/audit/audit.rules\n"
    "WL-AUD-19|ok|root:root|0640|u-x,g-wx,o-rwx|/etc/audit/auditd.conf\n"
    "WL-AUD-19|ok|root:root|0640|u-x,g-wx,o-rwx|/etc/audit/plugins.d/af_unix.conf\n"
    "WL-AUD-19|ok|root:root|0640|u-x,g-wx,o-rwx|/etc/audit/plugins.d/syslog.conf\n"
    "WL-AUD-19|ok|root:root|0640|u-x,g-wx,o-rwx|/etc/audit/rules.d/audit.rules\n"
    "WL-AUD-19|ok|root:root|0640|u-x,g-wx,o-rwx|/etc/audit/rules.d/carehard-access.rules\n"
    "WL-AUD-19|ok|root:root|0640|u-x,g-wx,o-rwx|/etc/audit/rules.d/zz-carehard-immutable.rules\n"
    "WL-AUD-20|ok|root:root|0755|go-w|/usr/sbin/auditctl\n"
    "WL-AUD-20|ok|root:root|0755|go-w|/usr/sbin/auditd\n"
    "WL-AUD-20|ok|root:root|0755|go-w|/usr/sbin/augenrules\n"
    "WL-AUD-20|ok|root:root|0755|go-w|/usr/sbin/aureport\n"
    "WL-AUD-20|ok|root:root|0755|go-w|/usr/sbin/ausearch\n"
    "WL-AUD-20|ok|root:root|0755|go-w|/usr/sbin/autrace\n"
)
CONF_CONTROLS = {
    "WL-AUD-01": {
        "settings": [
            {"key": "max_log_file", "value": 32, "compare": "min"},
            {"key": "max_log_file_action", "value": "keep_logs", "compare": "eq"},
        ],
        "cis": {},
    },
    "WL-AUD-02": {
        "settings": [
            {"key": "space_left_action", "value": "email", "compare": "eq"},
            {"key": "action_mail_acct", "value": "root", "compare": "eq"},
            {"key": "admin_space_left_action", "value": "single", "compare": "eq"},
            {"key": "disk_full_action", "value": "single", "compare": "eq"},
            {"key": "disk_error_action", "value": "syslog", "compare": "eq"},
        ],
        "cis": {
            "space_left_action": ["email", "exec", "single", "halt"],
            "admin_space_left_action": ["single", "halt"],
            "disk_full_action": ["single", "halt"],
            "disk_error_action": ["syslog", "single", "halt"],
        },
    },
}
EXPECTED_18 = (
    "the log directory mode 0750 or stricter, log files 0640 or stricter, owned by root, group root or"
    " auditd's log_group"
)
PERM_EXPECTED = {
    "WL-AUD-18": EXPECTED_18,
    "WL-AUD-19": "files of /etc/audit (*.conf, *.rules) root:root, mode 0640 or stricter",
    "WL-AUD-20": "root:root, mode 0755 or stricter",
}


def settings(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "run_tags": IDS,
        "skip_tags": [],
        "supported": True,
        "held": [],
        "switches": {c: True for c in IDS},
        "auditd_conf": "/etc/audit/auditd.conf",
        "auditd_conf_controls": CONF_CONTROLS,
        "perm_expected": PERM_EXPECTED,
        "rules_dir": "/etc/audit/rules.d",
        "live": False,
        "not_live": "host is a container",
        "rules": {},
    }
    base.update(over)
    return base


def judged(stdout: str, rc: int = 0, **over: Any) -> dict[str, dict[str, str]]:
    items = JUDGE({"rc": rc, "stdout": stdout, "stderr": ""}, settings(**over))
    return {i["id"]: i for i in items}


def test_dirty_host_fails_each_control_with_what_is_found_and_expected() -> None:
    got = judged(DIRTY)
    assert list(got) == IDS
    assert {i["status"] for i in got.values()} == {"fail"}
    assert got["WL-AUD-01"]["what"] == "Check the auditd.conf values"
    assert got["WL-AUD-18"]["what"] == "Check the owner and mode of the files"
    assert got["WL-AUD-01"]["evidence"] == (
        "/etc/audit/auditd.conf: max_log_file = 8 (expected at least 32), max_log_file_action = ROTATE"
        " (expected keep_logs)"
    )
    assert got["WL-AUD-02"]["evidence"] == (
        "/etc/audit/auditd.conf: space_left_action = SYSLOG (expected email), admin_space_left_action ="
        " SUSPEND (expected single), disk_full_action = SUSPEND (expected single), disk_error_action ="
        " SUSPEND (expected syslog)"
    )
    assert got["WL-AUD-18"]["evidence"] == (
        "/var/log/audit not as expected: /var/log/audit (root:adm, 0770); /var/log/audit/audit.log"
        f" (root:root, 0600). Expected {EXPECTED_18} (log_group adm)"
    )
    assert got["WL-AUD-19"]["evidence"].startswith(
        "/etc/audit/auditd.conf not as expected: /etc/audit/audit-stop.rules (root:root, 0640);"
    )
    assert got["WL-AUD-19"]["evidence"].endswith(
        "/etc/audit/rules.d/audit.rules (root:root, 0640). Expected files of /etc/audit (*.conf, *.rules)"
        " root:root, mode 0640 or stricter"
    )
    assert got["WL-AUD-20"]["evidence"] == (
        "/usr/sbin/aureport not as expected: /usr/sbin/auditctl (root:root, 0755); /usr/sbin/auditd"
        " (root:root, 0755); /usr/sbin/augenrules (root:root, 0755); /usr/sbin/aureport (root:root, 0775);"
        " /usr/sbin/ausearch (root:root, 0755); /usr/sbin/autrace (root:root, 0755). Expected root:root,"
        " mode 0755 or stricter"
    )


def test_hardened_host_passes_and_says_what_it_found() -> None:
    got = judged(HARDENED)
    assert {c: i["status"] for c, i in got.items()} == {c: "pass" for c in IDS}
    assert (
        got["WL-AUD-01"]["evidence"]
        == "/etc/audit/auditd.conf: max_log_file = 32, max_log_file_action = keep_logs"
    )
    assert got["WL-AUD-02"]["evidence"] == (
        "/etc/audit/auditd.conf: space_left_action = email, action_mail_acct = root, admin_space_left_action"
        " = single, disk_full_action = single, disk_error_action = syslog"
    )
    assert got["WL-AUD-18"]["evidence"] == (
        "/var/log/audit (root:adm, 0750); /var/log/audit/audit.log (root:root, 0600)"
    )
    assert "/etc/audit/auditd.conf (root:root, 0640)" in got["WL-AUD-19"]["evidence"]


def test_a_larger_log_file_passes_and_a_site_outside_cis_is_told() -> None:
    stdout = HARDENED.replace("| max_log_file = 32\n", "| # max_log_file = 1\n| max_log_file = 64\n").replace(
        "| disk_full_action = single", "| disk_full_action = suspend"
    )
    site = {k: dict(v) for k, v in CONF_CONTROLS.items()}
    site["WL-AUD-02"]["settings"] = [
        dict(s, value="suspend") if s["key"] == "disk_full_action" else s
        for s in CONF_CONTROLS["WL-AUD-02"]["settings"]
    ]
    got = judged(stdout, auditd_conf_controls=site)
    assert got["WL-AUD-01"]["status"] == "pass"
    assert got["WL-AUD-01"]["evidence"].startswith("/etc/audit/auditd.conf: max_log_file = 64,")
    assert got["WL-AUD-02"]["status"] == "pass"
    assert got["WL-AUD-02"]["evidence"].endswith(
        "disk_error_action = syslog (the site's choice, outside what CIS 6.2.2.3/6.2.2.4 accept:"
        " disk_full_action = suspend)"
    )


def test_auditd_not_installed() -> None:
    stdout = HEAD + "@@ auditd_conf\nmissing\n@@ perms\nloggroup|root\n"
    got = judged(stdout)
    assert got["WL-AUD-01"] == {
        "id": "WL-AUD-01",
        "what": "Check the auditd.conf values",
        "status": "fail",
        "evidence": "/etc/audit/auditd.conf is missing (auditd is not installed)",
    }
    assert got["WL-AUD-20"]["status"] == "fail"
    assert got["WL-AUD-20"]["evidence"] == (
        "nothing found to check (auditd is not installed); expected root:root, mode 0755 or stricter"
    )


def test_not_applicable_unselected_switched_off_held_and_unsupported() -> None:
    got = judged(
        DIRTY,
        run_tags=["WL-AUD-01", "WL-AUD-18", "WL-AUD-19"],
        held=["WL-AUD-18"],
        switches={"WL-AUD-01": False},
    )
    assert [(c, i["status"], i["evidence"]) for c, i in got.items()] == [
        ("WL-AUD-01", "na", "switched off (workstation_linux_wl_aud_01: false)"),
        ("WL-AUD-18", "na", "held by a waiver: not checked nor changed"),
        ("WL-AUD-19", got["WL-AUD-19"]["status"], got["WL-AUD-19"]["evidence"]),
    ]
    assert got["WL-AUD-19"]["status"] == "fail"
    got = judged(DIRTY, supported=False, skip_tags=["WL-AUD-20"])
    assert list(got) == IDS[:4]
    assert {i["status"] for i in got.values()} == {"na"}
    assert (
        got["WL-AUD-02"]["evidence"]
        == "no auditd package known for this OS family: the auditd controls do not apply"
    )


def test_errors_probe_failed_garbage_and_section_missing() -> None:
    got = judged("", rc=2)
    assert {i["status"] for i in got.values()} == {"error"}
    assert got["WL-AUD-01"]["evidence"].startswith("the audit rules probe failed (rc 2)")
    got = judged("garbage\n")
    assert {i["status"] for i in got.values()} == {"error"}
    assert got["WL-AUD-19"]["evidence"] == "the audit rules probe printed no section: garbage"
    got = judged(DIRTY[: DIRTY.index("@@ perms")])
    assert got["WL-AUD-01"]["status"] == "fail"
    assert got["WL-AUD-18"] == {
        "id": "WL-AUD-18",
        "what": "Check the owner and mode of the files",
        "status": "error",
        "evidence": "the audit rules probe could not read what WL-AUD-18 needs: section perms missing",
    }
    got = judged(HEAD)
    assert got["WL-AUD-02"]["evidence"] == (
        "the audit rules probe could not read what WL-AUD-02 needs: section auditd_conf missing"
    )


def test_plan_writes_the_values_that_differ_and_fixes_the_files_found_wrong() -> None:
    probe = {"rc": 0, "stdout": DIRTY}
    plan = PLAN(probe, settings())
    assert plan["conf_found"] is True
    assert [(c["id"], c["key"], c["wanted"]) for c in plan["conf"]] == [
        ("WL-AUD-01", "max_log_file", "32"),
        ("WL-AUD-01", "max_log_file_action", "keep_logs"),
        ("WL-AUD-02", "space_left_action", "email"),
        ("WL-AUD-02", "admin_space_left_action", "single"),
        ("WL-AUD-02", "disk_full_action", "single"),
        ("WL-AUD-02", "disk_error_action", "syslog"),
    ]
    assert plan["perms"] == [
        {
            "id": "WL-AUD-18",
            "path": "/var/log/audit",
            "mode": "g-w,o-rwx",
            "group": "adm",
            "label": "/var/log/audit (root:adm, 0770)",
        },
        {
            "id": "WL-AUD-19",
            "path": "/etc/audit/auditd.conf",
            "mode": "u-x,g-wx,o-rwx",
            "group": "root",
            "label": "/etc/audit/auditd.conf (root:root, 0644)",
        },
        {
            "id": "WL-AUD-20",
            "path": "/usr/sbin/aureport",
            "mode": "go-w",
            "group": "root",
            "label": "/usr/sbin/aureport (root:root, 0775)",
        },
    ]
    # The fixes' own read (auditd installed since the first probe) wins over the first probe.
    reread = {"rc": 0, "stdout": "loggroup|root\nWL-AUD-20|bad|root:root|0777|go-w|/usr/sbin/auditctl\n"}
    assert [p["path"] for p in PLAN(probe, settings(), reread)["perms"]] == ["/usr/sbin/auditctl"]
    assert PLAN(probe, settings(), {"skipped": True})["perms"] == plan["perms"]
    nothing = PLAN(
        {"rc": 0, "stdout": HEAD + "@@ auditd_conf\nmissing\n@@ perms\nloggroup|root\n"}, settings()
    )
    assert nothing["conf_found"] is False
    assert len(nothing["conf"]) == 7 and nothing["perms"] == []
    assert PLAN({"skipped": True}, settings()) == {"conf_found": False, "conf": nothing["conf"], "perms": []}
