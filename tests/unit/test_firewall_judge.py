"""The judge of the host firewall controls (WL-FW-01, 02, 04), filter_plugins/firewall_judge.py, on
probe output recorded on a Debian 12 test host (fresh; after tests/integration/dirty/logging_firewall.sh;
after harden): pass, fail, not applicable, error, unselected, switched-off and held controls, evidence.
The plugin is loaded by path, as Ansible loads it, and reached through its registered names."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "roles/workstation_linux/filter_plugins/firewall_judge.py"
IDS = ["WL-FW-01", "WL-FW-02", "WL-FW-04"]


def filters() -> dict[str, Callable[..., Any]]:
    return plugin_filters(PLUGIN)


F = filters()
JUDGE, FAILED, PROBED, MISSING, GUARD = (
    F["fw_judge"],
    F["fw_failed"],
    F["fw_probed"],
    F["fw04_missing"],
    F["fw_guard_msg"],
)
LOOPBACK = [
    {"rule": "allow", "direction": "in", "interface": "lo", "text": "ufw allow in on lo"},
    {"rule": "allow", "direction": "out", "interface": "lo", "text": "ufw allow out on lo"},
    {"rule": "deny", "direction": "in", "from": "127.0.0.0/8", "text": "ufw deny from 127.0.0.0/8"},
    {"rule": "deny", "direction": "in", "from": "::1", "text": "ufw deny from ::1"},
]
SETTINGS: dict[str, Any] = {
    "run_tags": ["all"],
    "skip_tags": [],
    "switches": {i: True for i in IDS},
    "held": [],
    "kind": "ufw",
    "package": "ufw",
    "service": "ufw",
    "port": "22",
    "systemd": True,
    "loopback_rules": LOOPBACK,
}
# A fresh Debian 12 host: no ufw.
FRESH = json.dumps(
    {
        "kind": "ufw",
        "installed": False,
        "networks": ["198.19.63.0/24"],
        "invalid": [],
        "client": "",
        "server_port": "",
        "client_inside": None,
        "service_enabled": "",
        "ssh_rules": [],
        "to_delete": [],
        "wide": [],
        "missing": ["198.19.63.0/24"],
        "active": False,
        "default_in": "",
        "client_allowed": True,
        "added": [],
        "ipv6": True,
        "ufw_sysctl": {"exists": False, "lines": []},
    }
)
# After dirty/logging_firewall.sh: ufw installed but off, SSH allowed from anywhere (CLIENT known: harden).
DIRTY = json.dumps(
    {
        "kind": "ufw",
        "installed": True,
        "networks": ["198.19.63.0/24"],
        "invalid": [],
        "client": "198.19.63.1",
        "server_port": "22",
        "client_inside": True,
        "service_enabled": "enabled",
        "ssh_rules": [{"rule": "allow 22/tcp", "source": "any"}],
        "to_delete": [["allow", "22/tcp"]],
        "wide": [],
        "missing": ["198.19.63.0/24"],
        "active": False,
        "default_in": "",
        "client_allowed": True,
        "added": ["ufw allow 22/tcp"],
        "ipv6": True,
        "ufw_sysctl": {
            "exists": True,
            "lines": ["net/ipv4/conf/all/log_martians=0", "net/ipv4/conf/default/log_martians=0"],
        },
    }
)
# After harden (recorded on the same host).
HARDENED = json.dumps(
    {
        "kind": "ufw",
        "installed": True,
        "networks": ["198.19.63.0/24"],
        "invalid": [],
        "client": "198.19.63.1",
        "server_port": "22",
        "client_inside": True,
        "service_enabled": "enabled",
        "ssh_rules": [
            {
                "rule": "allow from 198.19.63.0/24 to any port 22 proto tcp comment 'carehard WL-FW-02'",
                "source": "198.19.63.0/24",
            }
        ],
        "to_delete": [],
        "wide": [],
        "missing": [],
        "active": True,
        "default_in": "deny",
        "client_allowed": True,
        "added": [
            "ufw allow from 198.19.63.0/24 to any port 22 proto tcp",
            "ufw allow in on lo",
            "ufw allow out on lo",
            "ufw deny from 127.0.0.0/8",
            "ufw deny from ::1",
        ],
        "ipv6": True,
        "ufw_sysctl": {
            "exists": True,
            "lines": ["net/ipv4/conf/all/log_martians=1", "net/ipv4/conf/default/log_martians=1"],
        },
    }
)


def probe(stdout: str, rc: int = 0, stderr: str = "") -> dict[str, Any]:
    return {"rc": rc, "stdout": stdout, "stderr": stderr, "changed": False}


def judge(stdout: str, **settings: Any) -> dict[str, dict[str, str]]:
    return {i["id"]: i for i in JUDGE(probe(stdout), {**SETTINGS, **settings})}


def test_a_fresh_host_fails_every_control_with_the_missing_package() -> None:
    items = judge(FRESH)
    assert {i: v["status"] for i, v in items.items()} == dict.fromkeys(IDS, "fail")
    assert items["WL-FW-01"]["evidence"] == (
        "ufw is not installed. Expected the firewall active, denying inbound connections by default,"
        " enabled at boot."
    )
    assert items["WL-FW-02"]["evidence"] == "ufw is not installed (WL-FW-01 installs it)"
    assert items["WL-FW-04"]["evidence"] == "ufw is not installed (WL-FW-01 installs it)"
    assert (
        items["WL-FW-01"]["what"]
        == "Check that the host firewall is on and denies inbound connections by default"
    )
    assert FAILED(list(items.values())) == IDS


def test_ufw_off_with_ssh_open_to_all_fails_with_what_was_found() -> None:
    items = judge(DIRTY)
    assert items["WL-FW-01"]["status"] == "fail"
    assert items["WL-FW-01"]["evidence"] == (
        "ufw is inactive; inbound default: unknown; ufw.service enabled at boot. /etc/ufw/sysctl.conf:"
        " net/ipv4/conf/all/log_martians=0 instead of net/ipv4/conf/all/log_martians=1;"
        " net/ipv4/conf/default/log_martians=0 instead of net/ipv4/conf/default/log_martians=1 (ufw applies"
        " it at each start: it would turn martian-packet logging off, undoing WL-SYS-13). Expected the"
        " firewall active, denying inbound connections by default, enabled at boot, and log_martians=1 in"
        " /etc/ufw/sysctl.conf."
    )
    assert items["WL-FW-02"]["evidence"] == (
        "ufw is inactive: its rules do not apply. no rule lets SSH in from 198.19.63.0/24. rules let SSH in"
        " from outside carehard_admin_networks: allow 22/tcp. Expected SSH (22/tcp) allowed from"
        " 198.19.63.0/24 only, firewall active."
    )
    assert items["WL-FW-04"]["evidence"] == (
        "missing ufw rules: ufw allow in on lo; ufw allow out on lo; ufw deny from 127.0.0.0/8;"
        " ufw deny from ::1"
    )
    assert [r["text"] for r in MISSING(probe(DIRTY), LOOPBACK)] == [r["text"] for r in LOOPBACK]


def test_the_hardened_host_passes() -> None:
    items = judge(HARDENED)
    assert {i: v["status"] for i, v in items.items()} == dict.fromkeys(IDS, "pass")
    assert items["WL-FW-01"]["evidence"] == (
        "ufw active; inbound deny by default; ufw.service enabled at boot;"
        " martian-packet logging kept on in /etc/ufw/sysctl.conf"
    )
    assert items["WL-FW-02"]["evidence"].startswith(
        "SSH (22/tcp) allowed only from 198.19.63.0/24 (carehard_admin_networks) by the active ufw: "
    )
    assert items["WL-FW-04"]["evidence"] == (
        "ufw rules: ufw allow in on lo; ufw allow out on lo; ufw deny from 127.0.0.0/8; ufw deny from ::1"
    )
    assert FAILED(list(items.values())) == []
    assert MISSING(probe(HARDENED), LOOPBACK) == []


def test_without_ipv6_the_loopback_rule_of_ipv6_is_not_wanted() -> None:
    state = json.loads(HARDENED)
    state["ipv6"] = False
    state["added"] = [a for a in state["added"] if a != "ufw deny from ::1"]
    items = judge(json.dumps(state))
    assert items["WL-FW-04"]["status"] == "pass"
    assert "::1" not in items["WL-FW-04"]["evidence"]


def test_ssh_from_elsewhere_and_a_rule_opening_every_port_fail() -> None:
    state = json.loads(HARDENED)
    state["wide"] = ["allow from 10.0.0.0/8"]
    state["ssh_rules"].append({"rule": "allow from 10.0.0.0/8", "source": "10.0.0.0/8"})
    evidence = judge(json.dumps(state))["WL-FW-02"]["evidence"]
    assert "rules let SSH in from outside carehard_admin_networks: allow from 10.0.0.0/8. " in evidence
    assert "carehard leaves the rules opening every port (allow from 10.0.0.0/8): narrow them" in evidence


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"networks": []}, "carehard_admin_networks is empty: SSH cannot be restricted"),
        ({"invalid": ["nonsense"]}, "carehard_admin_networks holds what is not a network: nonsense."),
    ],
)
def test_the_admin_networks_guard_is_the_evidence(change: dict[str, Any], expected: str) -> None:
    state = {**json.loads(DIRTY), **change}
    item = judge(json.dumps(state))["WL-FW-02"]
    assert item["status"] == "fail"
    assert item["evidence"].startswith(expected)


def test_the_lockout_guard_message_of_the_fixes() -> None:
    state = F["fw_state"](probe(DIRTY))
    assert GUARD(state, "22") == ""
    assert GUARD({**state, "client_inside": False, "client": "10.9.9.9"}, "22").startswith(
        "not changed: this run connects from 10.9.9.9, outside carehard_admin_networks (198.19.63.0/24)"
    )
    assert GUARD({**state, "server_port": "2222"}, "22").startswith(
        "not changed: this run reaches sshd on port 2222, not on workstation_linux_firewall_ssh_port (22)"
    )
    assert GUARD({"error": "x"}, "22") == "the firewall probe gave no usable state: nothing changed"


def test_ufw_sysctl_commented_line_fails_and_missing_file_is_not_judged() -> None:
    state = json.loads(HARDENED)
    state["ufw_sysctl"]["lines"] = [
        "#net/ipv4/conf/all/log_martians=1",
        "net/ipv4/conf/default/log_martians=1",
    ]
    evidence = judge(json.dumps(state))["WL-FW-01"]["evidence"]
    assert "#net/ipv4/conf/all/log_martians=1 instead of net/ipv4/conf/all/log_martians=1" in evidence
    state["ufw_sysctl"] = {"exists": False, "lines": []}
    item = judge(json.dumps(state))["WL-FW-01"]
    assert item["status"] == "pass"
    assert item["evidence"] == "ufw active; inbound deny by default; ufw.service enabled at boot"


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (
            probe("", rc=127, stderr="/usr/bin/python3: not found"),
            "the firewall probe broke (rc 127): /usr/bin/python3",
        ),
        (probe("Traceback (most recent call last)"), "the firewall probe printed no JSON: 'Traceback"),
        (probe('{"kind": "ufw"}'), "the firewall probe printed no firewall state"),
        (probe("[]"), "the firewall probe printed no firewall state"),
        ({"skipped": True}, "the firewall probe did not run"),
        (None, "the firewall probe gave no result"),
    ],
)
def test_a_probe_that_broke_is_an_error_of_each_control(result: Any, expected: str) -> None:
    items = JUDGE(result, SETTINGS)
    assert [i["status"] for i in items] == ["error"] * 3
    assert all(i["evidence"].startswith(expected) for i in items)
    assert FAILED(items) == []


def test_a_section_missing_from_the_probe_is_an_error_not_a_crash() -> None:
    state = json.loads(HARDENED)
    del state["default_in"], state["ssh_rules"]
    items = judge(json.dumps(state))
    assert items["WL-FW-01"]["status"] == "fail"  # default_in unknown
    assert "inbound default: unknown" in items["WL-FW-01"]["evidence"]
    assert items["WL-FW-04"]["status"] == "pass"


def test_unselected_controls_get_no_item() -> None:
    assert list(judge(HARDENED, run_tags=["WL-FW-04"])) == ["WL-FW-04"]
    assert list(judge(HARDENED, skip_tags=["WL-FW-01"])) == ["WL-FW-02", "WL-FW-04"]
    assert list(judge(HARDENED, run_tags=["WL-SSH-01"])) == []
    assert PROBED({**SETTINGS, "run_tags": ["WL-SSH-01"]}) == []


def test_switched_off_held_and_unknown_os_families_are_not_applicable() -> None:
    items = judge(DIRTY, switches={"WL-FW-01": False}, held=["WL-FW-02"])
    assert items["WL-FW-01"] == {
        "id": "WL-FW-01",
        "what": "switched off (workstation_linux_wl_fw_01: false)",
        "status": "na",
        "evidence": "",
    }
    assert items["WL-FW-02"]["status"] == "na"
    assert items["WL-FW-02"]["what"] == "held by a waiver: not checked nor changed"
    assert items["WL-FW-04"]["status"] == "fail"
    assert PROBED({**SETTINGS, "switches": {"WL-FW-01": "False"}, "held": ["WL-FW-02"]}) == ["WL-FW-04"]
    # No firewall known for the OS family: nothing probed, nothing is an error.
    items = JUDGE({"skipped": True}, {**SETTINGS, "kind": ""})
    assert [(i["status"], i["what"]) for i in items] == [
        ("na", "not an OS family whose host firewall carehard knows")
    ] * 3
    # firewalld: the loopback rules do not apply.
    assert judge(DIRTY, kind="firewalld")["WL-FW-04"]["what"] == (
        "firewalld trusts lo and drops spoofed loopback sources itself"
    )
