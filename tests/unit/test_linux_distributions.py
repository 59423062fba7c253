"""The workstation_linux values of each supported distribution, as the role loads them.

Ubuntu and the RHEL family cannot be booted as test hosts here: one real `ansible-playbook` run
loads the role's tasks/values.yml for each distribution (its facts given, nothing gathered) and
writes every family value it ends up with (those that are data); the tests check what each distribution
must get (package names, tools, paths the controls use).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VARS = ROOT / "roles" / "workstation_linux" / "vars"

# name -> the facts the role reads to pick its values
DISTRIBUTIONS: dict[str, dict[str, str]] = {
    "debian12": {"os_family": "Debian", "distribution": "Debian", "distribution_major_version": "12"},
    "debian13": {"os_family": "Debian", "distribution": "Debian", "distribution_major_version": "13"},
    "ubuntu2204": {"os_family": "Debian", "distribution": "Ubuntu", "distribution_major_version": "22"},
    "ubuntu2404": {"os_family": "Debian", "distribution": "Ubuntu", "distribution_major_version": "24"},
    "rhel8": {"os_family": "RedHat", "distribution": "RedHat", "distribution_major_version": "8"},
    "rhel9": {"os_family": "RedHat", "distribution": "RedHat", "distribution_major_version": "9"},
    "alma8": {"os_family": "RedHat", "distribution": "AlmaLinux", "distribution_major_version": "8"},
    "alma9": {"os_family": "RedHat", "distribution": "AlmaLinux", "distribution_major_version": "9"},
    "rocky8": {"os_family": "RedHat", "distribution": "Rocky", "distribution_major_version": "8"},
    "rocky9": {"os_family": "RedHat", "distribution": "Rocky", "distribution_major_version": "9"},
    "unknown": {"os_family": "Gentoo", "distribution": "Gentoo", "distribution_major_version": "2"},
}
DEBIAN_FAMILY = [d for d, f in DISTRIBUTIONS.items() if f["os_family"] == "Debian"]
RHEL_FAMILY = [d for d, f in DISTRIBUTIONS.items() if f["os_family"] == "RedHat"]

PLAY = """
- name: The workstation_linux values of each distribution
  hosts: all
  gather_facts: false
  connection: local
  tasks:
    - name: Take the distribution's facts
      ansible.builtin.set_fact:
        ansible_facts: "{{ facts_in }}"
    - name: Load the role's values
      ansible.builtin.include_role:
        name: workstation_linux
        tasks_from: values
    - name: Write them, templated
      ansible.builtin.copy:
        dest: "{{ out_dir }}/{{ inventory_hostname }}.json"
        content: "{{ dict(names | zip(query('ansible.builtin.vars', *names))) | to_json }}"
        mode: "0644"
"""


def family_value_names() -> list[str]:
    """The values of the family and distribution files that are data, not templates computed from
    what the run reads (those need a host)."""
    names: set[str] = set()
    templated: set[str] = set()
    for path in VARS.glob("*.yml"):
        if path.name != "main.yml":
            values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            names |= set(values)
            templated |= {name for name, value in values.items() if "{{" in json.dumps(value)}
    return sorted(names - templated)


def values_of_every_distribution(tmp: str) -> dict[str, dict[str, Any]]:
    out = Path(tmp)
    inventory = {
        "all": {
            "hosts": {
                name: {"facts_in": facts, "ansible_python_interpreter": sys.executable}
                for name, facts in DISTRIBUTIONS.items()
            }
        }
    }
    (out / "hosts.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    (out / "play.yml").write_text(PLAY, encoding="utf-8")
    (out / "extra.json").write_text(
        json.dumps({"names": family_value_names(), "out_dir": str(out)}), encoding="utf-8"
    )
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible-playbook")),
            "-i",
            str(out / "hosts.yml"),
            "-e",
            f"@{out / 'extra.json'}",
            str(out / "play.yml"),
        ],
        capture_output=True,
        text=True,
        env={"ANSIBLE_ROLES_PATH": str(ROOT / "roles"), "PATH": "/usr/bin:/bin", "HOME": tmp},
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {name: json.loads((out / f"{name}.json").read_text(encoding="utf-8")) for name in DISTRIBUTIONS}


@pytest.fixture(scope="module")
def values(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return values_of_every_distribution(str(tmp_path_factory.mktemp("distributions")))


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_every_value_is_defined_for_every_distribution(
    values: dict[str, dict[str, Any]], distribution: str
) -> None:
    assert set(values[distribution]) == set(family_value_names())


@pytest.mark.parametrize("distribution", DEBIAN_FAMILY)
def test_debian_family_uses_apt_and_pam_auth_update(
    values: dict[str, dict[str, Any]], distribution: str
) -> None:
    v = values[distribution]
    assert v["workstation_linux__vars_loaded"] == "Debian"
    assert v["workstation_linux__svc_pkg_mgr"] == "apt"
    assert v["workstation_linux__accounts_pam_tool"] == "pam-auth-update"
    assert v["workstation_linux__accounts_pam_password_files"] == ["/etc/pam.d/common-password"]
    assert v["workstation_linux__logging_auditd_package"] == "auditd"
    assert v["workstation_linux__firewall_kind"] == "ufw"
    assert v["workstation_linux__accounts_admin_groups"] == ["sudo"]
    # issue 19's areas: AIDE with Debian's daily timer, AppArmor, GRUB drop-ins, cron, libpam-tmpdir
    assert v["workstation_linux__integrity_aide_packages"] == ["aide", "aide-common"]
    assert v["workstation_linux__integrity_aide_timer"] == "dailyaidecheck.timer"
    assert v["workstation_linux__integrity_apparmor_packages"] == ["apparmor", "apparmor-utils"]
    assert v["workstation_linux__integrity_grub_mkconfig"] == "/usr/sbin/update-grub"
    assert v["workstation_linux__integrity_grub_dropin_dir"] == "/etc/default/grub.d"
    assert v["workstation_linux__audit_mac_paths"] == ["/etc/apparmor/", "/etc/apparmor.d/"]
    assert (v["workstation_linux__cron_package"], v["workstation_linux__cron_service"]) == ("cron", "cron")
    assert v["workstation_linux__accounts_tmpdir_packages"] == ["libpam-tmpdir"]
    assert v["workstation_linux__svc_chrony_user"] == "_chrony"
    distribution = DISTRIBUTIONS[distribution]["distribution"]
    gdm = {"Debian": "/etc/gdm3/daemon.conf", "Ubuntu": "/etc/gdm3/custom.conf"}[distribution]
    assert v["workstation_linux__gdm_confs"][distribution] == gdm


@pytest.mark.parametrize("distribution", RHEL_FAMILY)
def test_rhel_family_uses_dnf_and_authselect(values: dict[str, dict[str, Any]], distribution: str) -> None:
    v = values[distribution]
    assert v["workstation_linux__vars_loaded"] == "RedHat"
    assert v["workstation_linux__svc_pkg_mgr"] == "dnf"
    assert v["workstation_linux__accounts_pam_tool"] == "authselect"
    assert "/etc/pam.d/system-auth" in v["workstation_linux__accounts_pam_password_files"]
    assert v["workstation_linux__logging_auditd_package"] == "audit"
    assert v["workstation_linux__firewall_kind"] == "firewalld"
    assert v["workstation_linux__svc_chrony_service"] == "chronyd"
    assert v["workstation_linux__svc_timesyncd_package"] == ""
    assert v["workstation_linux__accounts_admin_groups"] == ["wheel"]
    # issue 19's areas: AIDE with a timer of carehard's, SELinux instead of AppArmor (the AppArmor and
    # GRUB drop-in controls not applicable), grub2, cronie, no libpam-tmpdir
    assert v["workstation_linux__integrity_aide_packages"] == ["aide"]
    assert v["workstation_linux__integrity_aide_timer"] == "carehard-aide-check.timer"
    assert v["workstation_linux__integrity_apparmor_packages"] == []
    assert v["workstation_linux__integrity_grub_dropin_dir"] == ""
    assert v["workstation_linux__integrity_grub_cfgs"] == ["/boot/grub2/grub.cfg"]
    assert v["workstation_linux__integrity_grub_user_cfg"] == "/boot/grub2/user.cfg"
    assert v["workstation_linux__audit_mac_paths"] == ["/etc/selinux/", "/usr/share/selinux/"]
    assert (v["workstation_linux__cron_package"], v["workstation_linux__cron_service"]) == ("cronie", "crond")
    assert v["workstation_linux__accounts_tmpdir_packages"] == []
    assert "authselect enable-feature with-pwhistory" in v["workstation_linux__accounts_pwhistory_fix"]
    assert v["workstation_linux__svc_chrony_user"] == "chrony"
    assert v["workstation_linux__gdm_confs"]["RedHat"] == "/etc/gdm/custom.conf"


def test_an_unknown_family_gets_the_not_applicable_values(values: dict[str, dict[str, Any]]) -> None:
    v = values["unknown"]
    assert v["workstation_linux__vars_loaded"] == "default"
    assert v["workstation_linux__accounts_pam_tool"] == ""
    assert v["workstation_linux__logging_auditd_package"] == ""
    assert v["workstation_linux__firewall_kind"] == ""
    assert v["workstation_linux__integrity_aide_packages"] == []
    assert v["workstation_linux__integrity_apparmor_packages"] == []
