"""The audit rules the role writes (WL-AUD-*), rendered from the facts the logging probe reads
(WL-AUD-01/02 and 18..20 are judged by filter_plugins/logging_judge.py: tests/unit/test_audit_judge.py).

Rendered by Ansible's own Templar over the role's defaults and vars (vars/main.yml and
vars/Debian.yml), as the role renders them on a host.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "workstation_linux"


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


def test_auditd_conf_controls_render_for_the_judge(render: Any) -> None:
    controls = render("{{ workstation_linux__audit_conf_controls }}")
    assert sorted(controls) == ["WL-AUD-01", "WL-AUD-02"]
    first = controls["WL-AUD-01"]["settings"][0]
    assert (first["key"], str(first["value"]), first["compare"]) == ("max_log_file", "32", "min")
    expected = render("{{ workstation_linux__audit_perm_expected }}")
    assert sorted(expected) == ["WL-AUD-18", "WL-AUD-19", "WL-AUD-20"]
    assert expected["WL-AUD-18"].endswith("group root or auditd's log_group")
