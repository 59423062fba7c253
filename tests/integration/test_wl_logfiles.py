"""WL-JRN-*, WL-PERM-*, WL-BAN-01, WL-CRON-*: the real state of the cycle hosts after harden.

Read from the hosts themselves: file modes and owners with stat, journald's effective settings with
`systemd-analyze cat-config`, services with systemctl, and crontab run as a user left out of
cron.allow.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.integration.linux_cycle import LinuxCycle, host_command

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = yaml.safe_load((ROOT / "roles/workstation_linux/defaults/main.yml").read_text(encoding="utf-8"))
HARDENED = ("deb12", "deb13")


def permission_files(control: str) -> list[dict[str, str]]:
    item = next(c for c in DEFAULTS["workstation_linux_file_permission_controls"] if c["id"] == control)
    return item["files"]


def stat(cycle: LinuxCycle, role: str, paths: list[str]) -> dict[str, tuple[str, str, int]]:
    """path -> (owner, group, mode) of the paths that exist."""
    command = "stat -L -c '%n %U %G %a' " + " ".join(paths) + " 2>/dev/null; true"
    out = host_command(cycle.hosts[role], command).stdout
    found = {}
    for line in out.splitlines():
        path, owner, group, mode = line.split()
        found[path] = (owner, group, int(mode, 8))
    return found


@pytest.mark.parametrize("control", ["WL-PERM-01", "WL-CRON-02"])
@pytest.mark.parametrize("role", HARDENED)
def test_files_are_root_owned_and_no_more_open_than_allowed(
    linux_cycle: LinuxCycle, role: str, control: str
) -> None:
    files = permission_files(control)
    found = stat(linux_cycle, role, [f["path"] for f in files])
    assert "/etc/shadow" in found or control != "WL-PERM-01"
    problems = []
    for f in files:
        if f["path"] not in found:
            continue
        owner, group, mode = found[f["path"]]
        if owner != "root" or group not in f.get("group", ["root"]) or mode & ~int(f["mode"], 8):
            problems.append(f"{f['path']}: {owner}:{group} {mode:04o}, allowed {f['mode']}")
    assert not problems, f"{role}:\n" + "\n".join(problems)
    if control == "WL-PERM-01":  # dirty/logfiles.sh opened these two
        assert found["/etc/group-"][2] == 0o644 and found["/etc/gshadow"][2] == 0o640


@pytest.mark.parametrize("role", HARDENED)
def test_no_log_file_is_readable_by_other_users(linux_cycle: LinuxCycle, role: str) -> None:
    find = "find /var/log -xdev -type f -perm -o+r -printf '%m %p\\n'"
    out = host_command(linux_cycle.hosts[role], find).stdout
    login_records = ("lastlog", "wtmp", "btmp", "README")
    # apt's history and planner logs: apt writes them at 0644 at each run (workstation_linux_log_file_modes)
    apt_logs = ("/var/log/apt/history.log", "/var/log/apt/eipp.log.xz")
    open_files = [
        line
        for line in out.splitlines()
        if not line.split("/")[-1].startswith(login_records) and not any(log in line for log in apt_logs)
    ]
    assert not open_files, f"{role}: log files readable by others:\n" + "\n".join(open_files)


@pytest.mark.parametrize("role", HARDENED)
def test_journald_compresses_rotates_and_forwards_to_no_syslog(linux_cycle: LinuxCycle, role: str) -> None:
    host = linux_cycle.hosts[role]
    conf = host_command(host, "systemd-analyze cat-config systemd/journald.conf").stdout
    effective = {}
    for line in conf.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";")):
            key, value = line.split("=", 1)
            effective[key.strip()] = value.strip()
    wanted = {}
    for item in DEFAULTS["workstation_linux_journald_controls"]:
        wanted.update(item.get("settings", {}))
    assert {k: effective.get(k) for k in wanted} == {k: str(v) for k, v in wanted.items()}
    assert host_command(host, "systemctl is-active systemd-journald").stdout.strip() == "active"
    # dirty/fs_services.sh's telnet server brought inetutils-syslogd: stopped and disabled now.
    unit = "inetutils-syslogd"
    syslogd = host_command(host, f"systemctl is-active {unit}; systemctl is-enabled {unit}").stdout
    active, *enabled = syslogd.split()
    assert active != "active" and "enabled" not in enabled, syslogd


@pytest.mark.parametrize("role", HARDENED)
def test_banners_hold_the_legal_warning_and_no_os_name(linux_cycle: LinuxCycle, role: str) -> None:
    host = linux_cycle.hosts[role]
    text = DEFAULTS["workstation_linux_ssh_banner_text"].strip()
    for path in DEFAULTS["workstation_linux_banner_files"]:
        content = host_command(host, f"cat {path}").stdout.strip()
        assert content == text, f"{role} {path}: {content!r}"
        assert "debian" not in content.lower() and "\\" not in content
    uname_script = host_command(host, "test -x /etc/update-motd.d/10-uname && echo executable; true").stdout
    assert "executable" not in uname_script
    motd = host_command(host, "run-parts /etc/update-motd.d 2>/dev/null; true").stdout
    kernel = host_command(host, "uname -r").stdout.strip()
    assert kernel not in motd


@pytest.mark.parametrize("role", HARDENED)
def test_cron_runs_and_only_listed_users_may_use_crontab(linux_cycle: LinuxCycle, role: str) -> None:
    host = linux_cycle.hosts[role]
    assert host_command(host, "systemctl is-active cron; systemctl is-enabled cron").stdout.split() == [
        "active",
        "enabled",
    ]
    allow = host_command(host, "cat /etc/cron.allow").stdout.split()
    assert "root" in allow and "admin" in allow
    owner = host_command(host, "stat -c '%U:%G %a' /etc/cron.allow").stdout.split()
    assert owner[0] in ("root:root", "root:crontab") and int(owner[1], 8) & 0o137 == 0
    # A user left out of cron.allow is refused; the admin account keeps its crontab.
    host_command(host, "id carehardcron >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin carehardcron")
    refused = host_command(host, "su -s /bin/sh carehardcron -c 'crontab -l' 2>&1; true").stdout
    assert "not allowed" in refused or "cron.allow" in refused, refused
    admin = host_command(host, "su -s /bin/sh admin -c 'crontab -l' 2>&1; true").stdout
    assert "not allowed" not in admin, admin
