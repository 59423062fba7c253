"""The judge of the audit rule controls (WL-LOG-02..06, WL-AUD-03..16), filter_plugins/logging_judge.py,
on probe output recorded on a bookworm test host (a container): pass, fail, not applicable, error,
unselected, switched-off and held controls, exact evidence. The plugin is loaded by path, as
Ansible loads it, and reached through its registered names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "roles/workstation_linux/filter_plugins/logging_judge.py"
IDS = [f"WL-LOG-{n:02d}" for n in range(1, 9)] + [f"WL-AUD-{n:02d}" for n in range(1, 21)]


def filters() -> dict[str, Callable[..., Any]]:
    return plugin_filters(PLUGIN)


F = filters()
JUDGE = F["carehard_logging_judge"]

# A fresh bookworm host (a container, LIVE=no): no auditd, so no rules directory.
FRESH = (
    "@@ facts\n"
    '{"dir": "no", "sshd": "yes", "uid_min": "1000", "suid": ["/usr/bin/chage", "/usr/bin/chfn", "/usr/bin/chsh", "/usr/bin/expiry", "/usr/bin/gpasswd", "/usr/bin/mount", "/usr/bin/newgrp", "/usr/bin/passwd", "/usr/bin/ssh-agent", "/usr/bin/su", "/usr/bin/sudo", "/usr/bin/umount", "/usr/lib/dbus-1.0/dbus-daemon-launch-helper", "/usr/lib/openssh/ssh-keysign", "/usr/sbin/unix_chkpwd"], "kmod": ["/usr/bin/kmod"], "sudolog": ""}\n'  # noqa: E501 (recorded)
    "@@ immutable\n"
    '{"e": "", "from": ""}\n'
    "@@ auditd\n"
    '{"installed": "no", "enabled": "", "active": "inactive"}\n'
    "@@ augenrules\n"
    "augenrules not found\n"
    "@@ journal\n"
    '{"storage": "", "dir": "yes"}\n'
    "@@ coredump\n"
    '{"all": "", "all_src": "", "root": "", "root_src": "", "storage": "", "size": ""}\n'
)
# Rules files left by hand: scope as carehard writes it, identity altered, -e 1 in mode 644.
PARTIAL = (
    "@@ facts\n"
    '{"dir": "yes", "sshd": "yes", "uid_min": "1000", "suid": ["/usr/bin/chage", "/usr/bin/chfn", "/usr/bin/chsh", "/usr/bin/expiry", "/usr/bin/gpasswd", "/usr/bin/mount", "/usr/bin/newgrp", "/usr/bin/passwd", "/usr/bin/ssh-agent", "/usr/bin/su", "/usr/bin/sudo", "/usr/bin/umount", "/usr/lib/dbus-1.0/dbus-daemon-launch-helper", "/usr/lib/openssh/ssh-keysign", "/usr/sbin/unix_chkpwd"], "kmod": ["/usr/bin/kmod"], "sudolog": ""}\n'  # noqa: E501 (recorded)
    "@@ file carehard-identity.rules 640 root root\n"
    "| ## Managed by carehard (WL-LOG-02): changes to users, groups and passwords.\n"
    "| -w /etc/group -p wa -k identity\n"
    "| -w /etc/other -p wa -k identity\n"
    "@@ file carehard-scope.rules 640 root root\n"
    "| ## Managed by carehard (WL-LOG-03): changes to who may act as root.\n"
    "| -w /etc/sudoers -p wa -k scope\n"
    "| -w /etc/sudoers.d -p wa -k scope\n"
    "@@ file zz-carehard-immutable.rules 644 root root\n"
    "| -e 1\n"
    "@@ immutable\n"
    '{"e": "1", "from": "zz-carehard-immutable.rules"}\n'
)
SCOPE = (
    "## Managed by carehard (WL-LOG-03): changes to who may act as root.\n"
    "-w /etc/sudoers -p wa -k scope\n-w /etc/sudoers.d -p wa -k scope\n"
)
IDENTITY = "## Managed by carehard (WL-LOG-02): changes to users, groups and passwords.\n" + "".join(
    f"-w {p} -p wa -k identity\n" for p in ["/etc/group", "/etc/passwd", "/etc/shadow"]
)
RULES = {
    "WL-LOG-02": {"file": "carehard-identity.rules", "key": "identity", "content": IDENTITY},
    "WL-LOG-03": {"file": "carehard-scope.rules", "key": "scope", "content": SCOPE},
}


def settings(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "run_tags": ["all"],
        "skip_tags": [],
        "supported": True,
        "held": [],
        "mac_known": True,
        "switches": {c: True for c in IDS},
        "rules_dir": "/etc/audit/rules.d",
        "sshd_config": "/etc/ssh/sshd_config",
        "live": False,
        "not_live": "host is a container",
        "systemd": True,
        "service_mgr": "systemd",
        "auditd_package": "auditd",
        "auditd_service": "auditd",
        "journald_dropin": "/etc/systemd/journald.conf.d/60-carehard.conf",
        "coredump_limits_file": "/etc/security/limits.d/99-carehard-coredump.conf",
        "coredump_dropin": "/etc/systemd/coredump.conf.d/60-carehard.conf",
        "rules": RULES,
    }
    base.update(over)
    return base


def probe(stdout: str, rc: int = 0) -> dict[str, Any]:
    return {"stdout": stdout, "rc": rc, "stderr": "", "changed": False}


def judged(stdout: str, **over: Any) -> dict[str, dict[str, str]]:
    return {i["id"]: i for i in JUDGE(probe(stdout), settings(**over))}


def test_fresh_host_without_auditd_fails_with_the_missing_directory() -> None:
    got = judged(FRESH, run_tags=["WL-LOG-02", "WL-AUD-16"])
    assert set(got) == {"WL-LOG-02", "WL-AUD-16"}
    assert got["WL-LOG-02"]["status"] == "fail"
    assert got["WL-LOG-02"]["evidence"] == (
        "/etc/audit/rules.d does not exist (auditd is not installed):"
        " /etc/audit/rules.d/carehard-identity.rules is missing"
    )
    assert got["WL-AUD-16"]["evidence"] == (
        "auditd is not installed: /etc/audit/rules.d does not exist; expected -e 2 last"
    )


def test_container_persisted_rules_pass_not_loaded_live() -> None:
    got = judged(PARTIAL, run_tags=["WL-LOG-03"])
    assert got["WL-LOG-03"] == {
        "id": "WL-LOG-03",
        "what": "Check that changes to the sudo configuration are audited",
        "status": "pass",
        "evidence": "2 audit rules (key scope) persisted in /etc/audit/rules.d/carehard-scope.rules;"
        " not loaded live: host is a container (the kernel audit belongs to the machine)",
    }


def test_altered_and_missing_files_fail_with_what_differs() -> None:
    got = judged(
        PARTIAL,
        run_tags=["WL-LOG-02", "WL-LOG-05", "WL-AUD-16"],
        rules={
            **RULES,
            "WL-LOG-05": {
                "file": "carehard-privileged.rules",
                "key": "privileged",
                "content": "-a always,exit -F path=/usr/bin/su -k privileged\n",
            },
        },
    )
    base = (
        "/etc/audit/rules.d/carehard-identity.rules is missing or differs from the 3 rules carehard writes"
        " (key identity)"
    )
    assert got["WL-LOG-02"]["status"] == "fail"
    assert got["WL-LOG-02"]["evidence"] == (
        f"{base}: 2 of them absent (first: -w /etc/passwd -p wa -k identity),"
        " 1 other rules (first: -w /etc/other -p wa -k identity)"
    )
    assert got["WL-LOG-05"]["evidence"].endswith(": /etc/audit/rules.d/carehard-privileged.rules is missing")
    assert got["WL-AUD-16"]["evidence"] == (
        "the last -e of /etc/audit/rules.d is -e 1 (in zz-carehard-immutable.rules),"
        " after carehard's zz-carehard-immutable.rules; expected -e 2 last"
    )


def test_mode_of_the_rules_file_counts() -> None:
    text = PARTIAL.replace("carehard-scope.rules 640 root root", "carehard-scope.rules 644 root adm")
    ev = judged(text, run_tags=["WL-LOG-03"])["WL-LOG-03"]
    assert ev["status"] == "fail"
    assert ev["evidence"].endswith(": mode 644, owner root:adm; expected mode 0640, owner root:root")


def test_live_kernel_loaded_immutable_and_not_loaded() -> None:
    imm = PARTIAL.replace('{"e": "1"', '{"e": "2"')
    loaded = imm + "@@ loaded\n-w /etc/sudoers -p wa -k scope\n@@ status\nenabled 1\nfailure 1\n"
    got = judged(loaded, live=True, run_tags=["WL-LOG-03", "WL-AUD-16"])
    assert got["WL-LOG-03"]["evidence"].endswith("; loaded live (auditctl -l)")
    assert got["WL-AUD-16"]["status"] == "fail"
    assert got["WL-AUD-16"]["evidence"] == (
        "-e 2 is persisted but not loaded: auditctl -s says enabled 1 (is auditd running?);"
        " expected -e 2 last"
    )
    frozen = imm + "@@ loaded\nNo rules\n@@ status\nenabled 2\n"
    got = judged(frozen, live=True, run_tags=["WL-LOG-03", "WL-AUD-16"])
    assert got["WL-LOG-03"]["status"] == "pass"
    assert (
        "not loaded yet: the loaded rules are immutable (-e 2) until the next boot"
        in got["WL-LOG-03"]["evidence"]
    )
    assert got["WL-AUD-16"]["evidence"].endswith("the loaded rules are immutable (auditctl -s: enabled 2)")
    unloaded = imm + "@@ loaded\nNo rules\n@@ status\nenabled 1\n"
    got = judged(unloaded, live=True, run_tags=["WL-LOG-03"])
    assert got["WL-LOG-03"]["status"] == "fail"
    assert got["WL-LOG-03"]["evidence"] == (
        "rules persisted in /etc/audit/rules.d/carehard-scope.rules but not loaded in the kernel:"
        " auditctl -l shows no key scope (is auditd running? are the rules immutable, -e 2? then reboot)"
    )
    assert F["carehard_logging_enabled"](probe(frozen)) == "2"


def test_not_applicable_switched_off_held_unsupported_and_unselected() -> None:
    got = judged(
        PARTIAL,
        run_tags=["WL-LOG-02", "WL-LOG-03", "WL-AUD-13"],
        held=["WL-LOG-03"],
        switches={"WL-LOG-02": False},
        mac_known=False,
    )
    assert [(c, i["status"], i["what"]) for c, i in got.items()] == [
        ("WL-LOG-02", "na", "switched off (workstation_linux_wl_log_02: false)"),
        ("WL-LOG-03", "na", "held by a waiver: not checked nor changed"),
        ("WL-AUD-13", "na", "no mandatory access control policy known for this OS family"),
    ]
    got = judged(FRESH, supported=False, skip_tags=["WL-AUD-16"])
    assert len(got) == len(IDS) - 1
    assert [c for c, i in got.items() if i["status"] != "na"] == ["WL-LOG-07", "WL-LOG-08"]
    assert (
        got["WL-LOG-02"]["what"]
        == "no auditd package known for this OS family: the auditd controls do not apply"
    )
    got = judged(
        FRESH, systemd=False, service_mgr="sysvinit", run_tags=["WL-LOG-01", "WL-LOG-07", "WL-LOG-08"]
    )
    assert got["WL-LOG-01"]["what"] == "no systemd on this host (service manager: sysvinit)"
    assert got["WL-LOG-07"]["status"] == "na" and got["WL-LOG-08"]["status"] == "fail"
    nossh = PARTIAL.replace('"sshd": "yes"', '"sshd": "no"')
    assert judged(nossh, run_tags=["WL-LOG-04"])["WL-LOG-04"]["what"] == (
        "no SSH server configuration (/etc/ssh/sshd_config) on this host"
    )
    assert F["carehard_logging_active"](
        settings(run_tags=["WL-LOG-02", "WL-LOG-03"], held=["WL-LOG-03"])
    ) == ["WL-LOG-02"]


def test_errors_never_raise() -> None:
    s = settings(run_tags=["WL-LOG-03", "WL-AUD-16"])
    rc = JUDGE({"stdout": "", "rc": 1, "stderr": "boom"}, s)
    assert [i["evidence"] for i in rc] == ["the audit rules probe failed (rc 1): boom"] * 2
    garbage = JUDGE(probe("garbage"), s)
    assert {i["status"] for i in garbage} == {"error"}
    assert garbage[0]["evidence"] == "the audit rules probe printed no section: garbage"
    no_imm = PARTIAL.split("@@ immutable")[0]
    got = {i["id"]: i for i in JUDGE(probe(no_imm), s)}
    assert got["WL-LOG-03"]["status"] == "pass"
    assert got["WL-AUD-16"]["status"] == "error"
    assert got["WL-AUD-16"]["evidence"] == (
        "the audit rules probe could not read what WL-AUD-16 needs: section immutable missing"
    )
    bad = PARTIAL.replace('{"dir": "yes"', '{"dir": yes')
    assert JUDGE(probe(bad), s)[0]["status"] == "error"
    assert JUDGE(None, s)[0]["evidence"] == "the audit rules probe gave no result"
    assert JUDGE({"skipped": True}, s)[0]["evidence"] == "the audit rules probe did not run"
    assert F["carehard_logging_facts"]({"stdout": "x", "rc": 2})["suid"] == []
    assert F["carehard_logging_facts"](probe(FRESH))["sshd"] == "yes"
    assert F["carehard_logging_failed"](JUDGE(probe(FRESH), s)) == ["WL-LOG-03", "WL-AUD-16"]
    got = {i["id"]: i for i in JUDGE(probe(PARTIAL), settings(run_tags=["WL-LOG-01", "WL-AUD-17"]))}
    assert (
        got["WL-LOG-01"]["evidence"]
        == "the audit rules probe could not read what WL-LOG-01 needs: section auditd missing"
    )
    assert got["WL-AUD-17"]["evidence"] == (
        "the audit rules probe could not read what WL-AUD-17 needs: section augenrules missing"
    )


def test_fresh_host_auditd_journal_core_dumps() -> None:
    got = judged(FRESH, run_tags=["WL-LOG-01", "WL-AUD-17", "WL-LOG-07", "WL-LOG-08"])
    assert {c: i["status"] for c, i in got.items()} == {
        "WL-LOG-01": "fail",
        "WL-AUD-17": "fail",
        "WL-LOG-07": "fail",
        "WL-LOG-08": "fail",
    }
    assert got["WL-LOG-01"]["evidence"] == "auditd is not installed; expected installed, enabled"
    assert got["WL-AUD-17"]["evidence"] == (
        "augenrules --check: augenrules not found (auditd is not installed); expected no change"
        " (the rules auditd loads at start are those of /etc/audit/rules.d)"
    )
    assert got["WL-LOG-07"]["evidence"] == (
        "effective journald Storage=auto (not set); /var/log/journal exists. Expected"
        " Storage=persistent (carehard"
        " writes /etc/systemd/journald.conf.d/60-carehard.conf; a drop-in sorting after it"
        " wins) and /var/log/journal."
    )
    assert got["WL-LOG-08"]["evidence"] == (
        "hard core limit for *: not set (unlimited); for root: not set (unlimited); systemd-coredump"
        " Storage=external (default) ProcessSizeMax=default. Expected 0, 0, none and 0 (carehard writes"
        " /etc/security/limits.d/99-carehard-coredump.conf and /etc/systemd/coredump.conf.d/60-carehard.conf;"
        " a file read later wins)."
    )


def test_hardened_container_auditd_journal_core_dumps_pass() -> None:
    lim = "/etc/security/limits.d/99-carehard-coredump.conf"
    text = (
        FRESH.replace(
            '"installed": "no", "enabled": "", "active": "inactive"',
            '"installed": "yes", "enabled": "enabled", "active": "inactive"',
        )
        .replace("augenrules not found", "/usr/sbin/augenrules: No change")
        .replace('{"storage": "", "dir": "yes"}', '{"storage": "persistent", "dir": "yes"}')
        .replace(
            '"all": "", "all_src": "", "root": "", "root_src": "", "storage": "", "size": ""',
            f'"all": "0", "all_src": "{lim}", "root": "0", "root_src": "{lim}",'
            ' "storage": "none", "size": "0"',
        )
    )
    got = judged(text, run_tags=["WL-LOG-01", "WL-AUD-17", "WL-LOG-07", "WL-LOG-08"])
    assert {i["status"] for i in got.values()} == {"pass"}
    assert got["WL-LOG-01"]["evidence"] == (
        "auditd installed; auditd enabled; not running: host is a container (the kernel audit"
        " belongs to the machine)"
    )
    assert got["WL-AUD-17"]["evidence"] == (
        "augenrules --check: no change (/etc/audit/audit.rules is the merge of /etc/audit/rules.d);"
        " auditd loads it when it starts"
    )
    assert got["WL-LOG-08"]["evidence"] == (
        f"hard core limit 0 for * and root (last set in {lim}); systemd-coredump Storage=none"
        " ProcessSizeMax=0"
    )
    live = judged(text + "@@ loaded\nNo rules\n@@ status\nenabled 1\n", live=True, run_tags=["WL-LOG-01"])
    assert live["WL-LOG-01"]["evidence"] == (
        "auditd is enabled at boot and inactive now; expected installed, enabled and running"
    )
    frozen = text.replace(
        "/usr/sbin/augenrules: No change", "/usr/sbin/augenrules: Rules have changed and should be updated"
    )
    got = judged(frozen + "@@ loaded\nNo rules\n@@ status\nenabled 2\n", live=True, run_tags=["WL-AUD-17"])
    assert got["WL-AUD-17"]["status"] == "pass"
    assert got["WL-AUD-17"]["evidence"].startswith(
        "augenrules --check: Rules have changed and should be updated; the rules in the kernel"
        " are immutable (-e 2)"
    )
