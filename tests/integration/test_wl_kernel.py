"""Kernel parameters and modules after harden, read from the hosts themselves.

The boot value of each key is what `systemd-sysctl --cat-config` resolves (the last file to
set it wins); net.* keys are live in the host's own network namespace, while kernel.*, fs.*
and vm.* are persisted only (the test hosts are containers: their kernel is the machine's).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.linux_cycle import LinuxCycle, host_command, inventory_vars

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = yaml.safe_load((ROOT / "roles/workstation_linux/defaults/main.yml").read_text(encoding="utf-8"))
HARDENED = ("deb12", "deb13")
CAREHARD_FILES = (
    DEFAULTS["workstation_linux_sysctl_file"],
    DEFAULTS["workstation_linux_sysctl_override_file"],
)


def applies(control: dict[str, Any]) -> bool:
    """An item's `applies` premise, "{{ [not (]workstation_linux_<switch> | bool[)] }}", resolved with the
    values of the test inventory (the role's defaults where it sets none)."""
    premise = re.search(r"(not \()?(workstation_linux_\w+)", str(control.get("applies", "")))
    if not premise:
        return True
    value = bool({**DEFAULTS, **inventory_vars()}[premise.group(2)])
    return not value if premise.group(1) else value


def settings() -> list[dict[str, Any]]:
    """Every key of the WL-SYS-* controls that apply, with its wanted value (templated ones resolved here)."""
    out = []
    for control in filter(applies, DEFAULTS["workstation_linux_sysctl_controls"]):
        for s in control["settings"]:
            value = str(s["value"])
            if "workstation_linux_sysrq" in value:
                value = str(DEFAULTS["workstation_linux_sysrq"])
            minimum = s.get("compare") == "min"
            out.append({"id": control["id"], "key": s["key"], "value": value, "min": minimum})
    return out


def boot_values(cat_config: str) -> dict[str, tuple[str, str]]:
    """key -> (value, file) as systemd-sysctl applies them: files in order, the last assignment wins."""
    values: dict[str, tuple[str, str]] = {}
    source = ""
    for line in cat_config.splitlines():
        header = re.match(r"^# (/\S+\.conf)$", line)
        if header:
            source = header.group(1)
            continue
        body = line.strip().lstrip("-").strip()
        if not body or body[0] in "#;" or "=" not in body:
            continue
        key, value = (part.strip() for part in body.split("=", 1))
        values[key.replace("/", ".")] = (value, source)
    return values


def complies(got: str, want: str, minimum: bool) -> bool:
    return int(got) >= int(want) if minimum else got.split() == want.split()


def existing_keys(cycle: LinuxCycle, role: str, keys: list[str]) -> set[str]:
    paths = " ".join("/proc/sys/" + k.replace(".", "/") for k in keys)
    out = host_command(cycle.hosts[role], f"for p in {paths}; do [ -e $p ] && echo $p; done; true").stdout
    return {p.removeprefix("/proc/sys/").replace("/", ".") for p in out.split()}


@pytest.mark.parametrize("role", HARDENED)
def test_kernel_parameters_resolve_at_boot_to_the_wanted_values(linux_cycle: LinuxCycle, role: str) -> None:
    host = linux_cycle.hosts[role]
    wanted = settings()
    present = existing_keys(linux_cycle, role, [s["key"] for s in wanted])
    cat = host_command(host, "/usr/lib/systemd/systemd-sysctl --cat-config").stdout
    boot = boot_values(cat)
    persisted = host_command(host, "cat " + " ".join(CAREHARD_FILES) + " 2>/dev/null; true").stdout
    problems = []
    for s in wanted:
        if s["key"] not in present:
            if re.search(rf"^\s*{re.escape(s['key'])}\s*=", persisted, re.M):
                problems.append(f"{s['key']} is not in the running kernel but carehard persisted it")
            continue
        value, source = boot.get(s["key"], ("", ""))
        if not value or not complies(value, s["value"], s["min"]):
            problems.append(f"{s['id']} {s['key']}: at boot {value!r} from {source!r}, wanted {s['value']}")
    assert not problems, f"{role}:\n" + "\n".join(problems)


@pytest.mark.parametrize("role", HARDENED)
def test_a_later_file_is_overridden_by_the_override_file(linux_cycle: LinuxCycle, role: str) -> None:
    """dirty/kernel.sh set fs.protected_hardlinks = 0 in 99-tuning.conf, read after 60-carehard.conf."""
    host = linux_cycle.hosts[role]
    boot = boot_values(host_command(host, "/usr/lib/systemd/systemd-sysctl --cat-config").stdout)
    assert boot["fs.protected_hardlinks"] == ("1", DEFAULTS["workstation_linux_sysctl_override_file"])
    assert "fs.protected_hardlinks = 0" in host_command(host, "cat /etc/sysctl.d/99-tuning.conf").stdout


@pytest.mark.parametrize("role", HARDENED)
def test_network_parameters_are_live_in_the_hosts_namespace(linux_cycle: LinuxCycle, role: str) -> None:
    host = linux_cycle.hosts[role]
    net = [s for s in settings() if s["key"].startswith("net.")]
    present = existing_keys(linux_cycle, role, [s["key"] for s in net])
    problems = []
    for s in net:
        if s["key"] not in present:
            continue
        live = host_command(host, f"sysctl -n {s['key']}").stdout.strip()
        if not complies(live, s["value"], s["min"]):
            problems.append(f"{s['key']} live {live!r}, wanted {s['value']}")
    assert not problems, f"{role}:\n" + "\n".join(problems)
    assert host_command(host, "sysctl -n net.ipv4.tcp_syncookies").stdout.strip() == "1"
    # dirty/kernel.sh turned forwarding on live: WL-SYS-17 turned it off again.
    assert host_command(host, "sysctl -n net.ipv4.ip_forward").stdout.strip() == "0"


@pytest.mark.parametrize("role", HARDENED)
def test_modules_are_refused_by_modprobe(linux_cycle: LinuxCycle, role: str) -> None:
    host = linux_cycle.hosts[role]
    problems = []
    for control in filter(applies, DEFAULTS["workstation_linux_module_controls"]):
        path = (
            DEFAULTS["workstation_linux_modprobe_cramfs_file"]
            if control["id"] == "WL-MOD-01"
            else f"{DEFAULTS['workstation_linux_modprobe_dir']}/carehard-{control['id'].lower()}.conf"
        )
        content = host_command(host, f"cat {path}").stdout.splitlines()
        for module in control["modules"]:
            for line in (f"install {module} /bin/false", f"blacklist {module}"):
                if line not in content:
                    problems.append(f"{control['id']}: no '{line}' in {path}")
            dry_run = host_command(host, f"modprobe -n -v {module}").stdout
            if "install /bin/false" not in dry_run:
                problems.append(f"modprobe -n -v {module}: {dry_run.strip()!r}")
    assert not problems, f"{role}:\n" + "\n".join(problems)


@pytest.mark.parametrize("role", HARDENED)
def test_controls_that_do_not_apply_wrote_nothing(linux_cycle: LinuxCycle, role: str) -> None:
    """WL-SYS-23 (IPv6 off) is not switched on in the test inventory: IPv6 stays on, nothing persisted."""
    host = linux_cycle.hosts[role]
    persisted = host_command(host, "cat " + " ".join(CAREHARD_FILES) + " 2>/dev/null; true").stdout
    assert "disable_ipv6" not in persisted


@pytest.mark.parametrize("role", HARDENED)
def test_var_tmp_fstab_entry_gets_the_options_and_keeps_the_rest(linux_cycle: LinuxCycle, role: str) -> None:
    """dirty/kernel.sh wrote `tmpfs /var/tmp tmpfs rw,nosuid,mode=1777 0 0`; harden adds nodev, noexec."""
    fstab = host_command(linux_cycle.hosts[role], "cat /etc/fstab").stdout
    entries = [line.split() for line in fstab.splitlines() if line.split()[1:2] == ["/var/tmp"]]
    assert len(entries) == 1, fstab
    src, _, fstype, options, dump, passno = entries[0]
    assert (src, fstype, dump, passno) == ("tmpfs", "tmpfs", "0", "0")
    assert {"nodev", "nosuid", "noexec", "mode=1777", "rw"} <= set(options.split(",")), options
    # /home is not a separate mount there: carehard added no entry for it.
    assert not [line for line in fstab.splitlines() if line.split()[1:2] == ["/home"]]
