"""WL-AUD-*, WL-SSH-17..20: the real state of the cycle hosts after harden.

The hosts are containers: auditd is not running there, so the audit rules are persisted in
rules.d and merged into audit.rules (what auditd loads when it starts), not loaded live.
"""

from __future__ import annotations

import pytest

from tests.integration.linux_cycle import LinuxCycle, read_on

pytestmark = pytest.mark.integration

HARDENED = ("deb12", "deb13")
RULES = {
    "carehard-user-emulation.rules": [
        "-a always,exit -F arch=b64 -C euid!=uid -F auid!=unset -S execve -k user_emulation",
        "-a always,exit -F arch=b32 -C euid!=uid -F auid!=unset -S execve -k user_emulation",
    ],
    "carehard-sudo-log.rules": ["-w /var/log/sudo.log -p wa -k sudo_log_file"],
    "carehard-time.rules": [
        "-a always,exit -F arch=b64 -S adjtimex,settimeofday,clock_settime -k time-change",
        "-w /etc/localtime -p wa -k time-change",
    ],
    "carehard-network.rules": [
        "-a always,exit -F arch=b64 -S sethostname,setdomainname -k system-locale",
        "-w /etc/hosts -p wa -k system-locale",
        "-w /etc/network/ -p wa -k system-locale",
    ],
    "carehard-access.rules": [
        "-a always,exit -F arch=b64 -S creat,open,openat,truncate,ftruncate -F exit=-EACCES "
        "-F auid>=1000 -F auid!=unset -k access",
        "-a always,exit -F arch=b32 -S creat,open,openat,truncate,ftruncate -F exit=-EPERM "
        "-F auid>=1000 -F auid!=unset -k access",
    ],
    "carehard-perm-mod.rules": [
        "-a always,exit -F arch=b64 -S chmod,fchmod,fchmodat -F auid>=1000 -F auid!=unset -k perm_mod",
        "-a always,exit -F arch=b64 -S setxattr,lsetxattr,fsetxattr,removexattr,lremovexattr,fremovexattr "
        "-F auid>=1000 -F auid!=unset -k perm_mod",
    ],
    "carehard-mounts.rules": ["-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset -k mounts"],
    "carehard-session.rules": ["-w /var/run/utmp -p wa -k session", "-w /var/log/btmp -p wa -k session"],
    "carehard-logins.rules": ["-w /var/log/lastlog -p wa -k logins", "-w /var/run/faillock -p wa -k logins"],
    "carehard-delete.rules": [
        "-a always,exit -F arch=b64 -S rename,unlink,unlinkat,renameat -F auid>=1000 -F auid!=unset -k delete"
    ],
    "carehard-mac-policy.rules": [
        "-w /etc/apparmor/ -p wa -k MAC-policy",
        "-w /etc/apparmor.d/ -p wa -k MAC-policy",
    ],
    "carehard-perm-chng.rules": [
        "-a always,exit -F path=/usr/bin/setfacl -F perm=x -F auid>=1000 -F auid!=unset -k perm_chng",
        "-a always,exit -F path=/usr/bin/chacl -F perm=x -F auid>=1000 -F auid!=unset -k perm_chng",
    ],
    "carehard-usermod.rules": [
        "-a always,exit -F path=/usr/sbin/usermod -F perm=x -F auid>=1000 -F auid!=unset -k usermod"
    ],
}


@pytest.mark.parametrize("role", HARDENED)
def test_audit_rules_are_persisted_and_merged(linux_cycle: LinuxCycle, role: str) -> None:
    merged = read_on(linux_cycle, role, "cat /etc/audit/audit.rules").splitlines()
    for name, lines in RULES.items():
        content = read_on(linux_cycle, role, f"cat /etc/audit/rules.d/{name}").splitlines()
        assert not [line for line in lines if line not in content], f"{role}: {name} lacks rules"
        assert not [line for line in lines if line not in merged], f"{role}: audit.rules lacks {name}'s rules"
    # -e 2 is last: once auditd loads audit.rules, no rule changes until the next boot.
    assert [line for line in merged if line.strip()][-1] == "-e 2"
    assert "No change" in read_on(linux_cycle, role, "augenrules --check")


@pytest.mark.parametrize("role", HARDENED)
def test_auditd_conf_keeps_logs_and_never_halts(linux_cycle: LinuxCycle, role: str) -> None:
    conf = {}
    for line in read_on(linux_cycle, role, "cat /etc/audit/auditd.conf").splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            conf[key.strip()] = value.strip()
    assert int(conf["max_log_file"]) >= 32
    assert conf["max_log_file_action"].lower() == "keep_logs"
    assert conf["space_left_action"].lower() == "email" and conf["action_mail_acct"] == "root"
    assert conf["admin_space_left_action"].lower() == "single"
    assert conf["disk_full_action"].lower() == "single"
    assert conf["disk_error_action"].lower() == "syslog"
    assert "halt" not in {v.lower() for k, v in conf.items() if k.endswith("_action")}


@pytest.mark.parametrize("role", HARDENED)
def test_audit_logs_configuration_and_tools_are_protected(linux_cycle: LinuxCycle, role: str) -> None:
    def mode_owner(path: str) -> tuple[int, str]:
        mode, owner = read_on(linux_cycle, role, f"stat -L -c '%a %U:%G' {path}").split()
        return int(mode, 8), owner

    mode, owner = mode_owner("/var/log/audit")
    assert mode & 0o027 == 0 and owner.startswith("root:"), (role, oct(mode), owner)
    mode, owner = mode_owner("/var/log/audit/audit.log")
    assert mode & 0o137 == 0 and owner in ("root:root", "root:adm"), (role, oct(mode), owner)
    find_conf = r"find /etc/audit -type f \( -name '*.conf' -o -name '*.rules' \)"
    configuration = read_on(linux_cycle, role, find_conf)
    for conf in configuration.split():
        mode, owner = mode_owner(conf)
        assert mode & 0o137 == 0 and owner == "root:root", (role, conf, oct(mode), owner)
    for tool in ("auditctl", "aureport", "ausearch", "augenrules", "auditd"):
        mode, owner = mode_owner(f"/usr/sbin/{tool}")
        assert mode & 0o022 == 0 and owner == "root:root", (role, tool, oct(mode), owner)


@pytest.mark.parametrize("role", HARDENED)
def test_sshd_forwarding_sessions_and_pam(linux_cycle: LinuxCycle, role: str) -> None:
    effective = dict(
        line.split(" ", 1) for line in read_on(linux_cycle, role, "sshd -T").splitlines() if " " in line
    )
    assert effective["disableforwarding"] == "yes"
    assert effective["gssapiauthentication"] == "no"
    assert 0 < int(effective["maxsessions"]) <= 10
    assert effective["maxstartups"] == "10:30:60"
    assert effective["usepam"] == "yes"
    # The admin still logs in with a key over a fresh connection (the cycle itself used it).
    assert read_on(linux_cycle, role, "id -un").strip()
