"""The expressions that judge WL-AUD-01/02, 18..20 and WL-SSH-18/19, on recorded probe output.

Rendered by Ansible's own Templar over the role's defaults and vars (vars/main.yml and
vars/Debian.yml), as the role renders them on a host.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "workstation_linux"
# auditd.conf as Debian 12 ships it (the keys the controls read).
DEBIAN_AUDITD_CONF = """present
log_file = /var/log/audit/audit.log
log_group = adm
max_log_file = 8
max_log_file_action = ROTATE
space_left_action = SYSLOG
action_mail_acct = root
admin_space_left_action = SUSPEND
disk_full_action = SUSPEND
disk_error_action = SUSPEND
"""
HARDENED_AUDITD_CONF = """present
# max_log_file = 1
max_log_file = 64
max_log_file_action = keep_logs
space_left_action = email
action_mail_acct = root
admin_space_left_action = single
disk_full_action = single
disk_error_action = syslog
"""


@pytest.fixture(scope="module")
def render() -> Any:
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    loader = DataLoader()
    variables: dict[str, Any] = {}
    for path in ("defaults/main.yml", "vars/main.yml", "vars/Debian.yml"):
        variables.update(loader.load_from_file(str(ROLE / path), trusted_as_template=True))

    def make(expression: str, **extra: Any) -> Any:
        templar = Templar(loader=loader, variables={**variables, "ansible_check_mode": True, **extra})
        return templar.template(trust_as_template(expression))

    return make


def conf_item(render: Any, cid: str, **extra: Any) -> dict[str, Any]:
    items = render("{{ workstation_linux__auditd_conf_controls }}", **extra)
    return next(i for i in items if i["id"] == cid)


def probe(stdout: str) -> dict[str, Any]:
    return {"workstation_linux__auditd_conf_before": {"stdout": stdout}}


def test_debian_defaults_fail_both_auditd_conf_controls(render: Any) -> None:
    for cid, wrong in (
        ("WL-AUD-01", {"max_log_file", "max_log_file_action"}),
        (
            "WL-AUD-02",
            {"space_left_action", "admin_space_left_action", "disk_full_action", "disk_error_action"},
        ),
    ):
        item = conf_item(render, cid)
        evaluated = render(
            "{{ workstation_linux__auditd_conf_eval }}", item=item, **probe(DEBIAN_AUDITD_CONF)
        )
        assert {e["key"] for e in evaluated if not e["ok"]} == wrong


def test_hardened_values_pass_and_a_larger_log_file_is_kept(render: Any) -> None:
    for cid in ("WL-AUD-01", "WL-AUD-02"):
        item = conf_item(render, cid)
        evaluated = render(
            "{{ workstation_linux__auditd_conf_eval }}", item=item, **probe(HARDENED_AUDITD_CONF)
        )
        assert all(e["ok"] for e in evaluated), evaluated
    assert render("{{ workstation_linux__auditd_conf_found }}", **probe(HARDENED_AUDITD_CONF))
    assert not render("{{ workstation_linux__auditd_conf_found }}", **probe("missing\n"))


def test_a_site_that_never_stops_is_told_it_leaves_cis(render: Any) -> None:
    item = conf_item(render, "WL-AUD-02")
    assert render("{{ workstation_linux__auditd_conf_outside_cis }}", item=item) == []
    site = {
        "workstation_linux_auditd_disk_full_action": "suspend",
        "workstation_linux_auditd_admin_space_left_action": "suspend",
    }
    outside = render(
        "{{ workstation_linux__auditd_conf_outside_cis }}", item=conf_item(render, "WL-AUD-02", **site)
    )
    assert outside == ["admin_space_left_action = suspend", "disk_full_action = suspend"]


def test_permission_probe_lines(render: Any) -> None:
    stdout = (
        "loggroup|adm\n"
        "WL-AUD-18|bad|root:adm|0755|g-w,o-rwx|/var/log/audit\n"
        "WL-AUD-18|ok|root:adm|0640|u-x,g-wx,o-rwx|/var/log/audit/audit.log\n"
        "WL-AUD-20|ok|root:root|0755|go-w|/usr/sbin/auditctl\n"
    )
    extra = {"workstation_linux__audit_perm_before": {"stdout": stdout}, "item": {"id": "WL-AUD-18"}}
    assert render("{{ workstation_linux__audit_loggroup }}", **extra) == "adm"
    assert [p[5] for p in render("{{ workstation_linux__audit_perm_bad }}", **extra)] == ["/var/log/audit"]
    assert render("{{ workstation_linux__audit_perm_text }}", **extra) == (
        "/var/log/audit (root:adm, 0755); /var/log/audit/audit.log (root:adm, 0640)"
    )


def test_syscall_rules_have_both_abis_on_x86_64(render: Any) -> None:
    facts = {
        "ansible_facts": {"architecture": "x86_64"},
        # What filter_plugins/logging_judge.py (carehard_logging_facts) takes from the probe.
        "workstation_linux__logging_rules": {
            "dir": "yes",
            "sshd": "yes",
            "uid_min": "1000",
            "suid": [],
            "kmod": [],
            "sudolog": "",
        },
    }
    rules = render("{{ workstation_linux__audit_rule_sets['WL-AUD-07']['content'] }}", **facts).splitlines()
    rules = [r for r in rules if r.startswith("-a ")]
    assert len(rules) == 4
    assert {r.split()[3] for r in rules} == {"arch=b64", "arch=b32"}
    sudo_rule = render("{{ workstation_linux__audit_rule_sets['WL-AUD-04']['content'] }}", **facts)
    assert "-w /var/log/sudo.log -p wa -k sudo_log_file" in sudo_rule
