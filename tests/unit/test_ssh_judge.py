"""The judge of the OpenSSH server controls (roles/workstation_linux/filter_plugins/ssh_judge.py)
on recorded probe output: a Debian 12 sshd as installed (JSON list of lines), then broken ones.
The plugin is loaded by path, as Ansible loads it, and reached through its registered names."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "roles/workstation_linux/filter_plugins/ssh_judge.py"
ALL = [f"WL-SSH-{n:02d}" for n in range(1, 21)]
BANNER = "Authorized uses only. All activity may be monitored and reported."


def filters() -> dict[str, Callable[..., Any]]:
    return plugin_filters(PLUGIN)


F = filters()
SETTINGS: dict[str, Any] = {
    "permit_root_login": "no",
    "max_auth_tries": 4,
    "ciphers": ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com"],
    "macs": ["hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com"],
    "kex_algorithms": ["sntrup761x25519-sha512@openssh.com", "curve25519-sha256"],
    "host_key_algorithms": ["ssh-ed25519", "rsa-sha2-512"],
    "login_grace_time": 60,
    "client_alive_interval": 300,
    "client_alive_count_max": 3,
    "allow_groups": ["sudo"],
    "banner_file": "/etc/issue.net",
    "banner_text": BANNER + "\n",
    "allow_agent_forwarding": False,
    "allow_tcp_forwarding": False,
    "log_level": "VERBOSE",
    "max_sessions": 10,
    "max_startups": "10:30:60",
    "sshd_config": "/etc/ssh/sshd_config",
    "sshd_dropin": "/etc/ssh/sshd_config.d/00-carehard.conf",
    "hostkey_group": "root",
}

# What a fresh Debian 12 prints (sshd -T abridged to the keywords judged).
FRESH = [
    "binary yes",
    "config yes",
    "valid 0",
    "dropin yes",
    "T-rc 0",
    "T carehard-daemon-options",
    "T permitrootlogin without-password",
    "T passwordauthentication yes",
    "T permitemptypasswords no",
    "T x11forwarding yes",
    "T maxauthtries 6",
    "T ciphers chacha20-poly1305@openssh.com,aes128-ctr",
    "T macs hmac-sha2-256-etm@openssh.com,hmac-sha1",
    "T kexalgorithms curve25519-sha256",
    "T hostkeyalgorithms ssh-ed25519,ssh-rsa",
    "T logingracetime 120",
    "T clientaliveinterval 0",
    "T clientalivecountmax 3",
    "T banner none",
    "T allowagentforwarding yes",
    "T allowtcpforwarding yes",
    "T disableforwarding no",
    "T loglevel INFO",
    "T ignorerhosts yes",
    "T hostbasedauthentication no",
    "T permituserenvironment no",
    "T gssapiauthentication no",
    "T maxsessions 10",
    "T maxstartups 10:30:100",
    "T usepam yes",
    "T hostkey /etc/ssh/ssh_host_ed25519_key",
    "banner-sha none",
    "perm ok|root:root|0644|/etc/ssh/sshd_config",
    "perm ok|root:root|0755|/etc/ssh/sshd_config.d",
    "hostkey ok|root:root|0600|/etc/ssh/ssh_host_ed25519_key",
    "hostkey ok|root:root|0644|/etc/ssh/ssh_host_ed25519_key.pub",
]
HARDENED = {
    "permitrootlogin": "no",
    "passwordauthentication": "no",
    "x11forwarding": "no",
    "maxauthtries": "4",
    "ciphers": "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com",
    "macs": "hmac-sha2-256-etm@openssh.com",
    "hostkeyalgorithms": "ssh-ed25519",
    "logingracetime": "60",
    "clientaliveinterval": "300",
    "banner": "/etc/issue.net",
    "allowagentforwarding": "no",
    "allowtcpforwarding": "no",
    "disableforwarding": "yes",
    "loglevel": "VERBOSE",
    "maxstartups": "10:30:60",
}


def probe(lines: list[str], rc: int = 0, **extra: Any) -> dict[str, Any]:
    return {"rc": rc, "stdout": json.dumps(lines), "stderr": "", "changed": False, **extra}


def hardened(**changes: str) -> list[str]:
    values = {**HARDENED, **changes}
    out = []
    for line in FRESH:
        if line.startswith("T ") and line.split()[1] in values:
            out.append(f"T {line.split()[1]} {values[line.split()[1]]}")
        elif line.startswith("banner-sha"):
            out.append("banner-sha " + hashlib.sha256((BANNER + "\n").encode()).hexdigest())
        else:
            out.append(line)
    return [*out, "T allowgroups sudo"]


def judge(
    p: Any, selected: Any = ALL, written: Any = None, supported: Any = True
) -> dict[str, dict[str, str]]:
    return {i["id"]: i for i in F["ssh_judge"](p, SETTINGS, selected, written or [], supported)}


def test_a_fresh_debian_fails_what_it_does_not_meet_and_passes_the_rest() -> None:
    got = judge(probe(FRESH))
    assert list(got) == ALL
    status = {i: got[i]["status"] for i in got}
    failing = {"WL-SSH-01", "WL-SSH-02", "WL-SSH-04", "WL-SSH-05", "WL-SSH-06", "WL-SSH-07", "WL-SSH-08"}
    failing |= {"WL-SSH-09", "WL-SSH-10", "WL-SSH-11", "WL-SSH-12", "WL-SSH-13", "WL-SSH-19"}
    assert {i for i, s in status.items() if s == "fail"} == failing
    assert {i for i, s in status.items() if s == "pass"} == set(ALL) - failing
    assert (
        got["WL-SSH-01"]["evidence"] == "effective PermitRootLogin without-password (sshd -T), expected no."
    )
    assert got["WL-SSH-06"]["evidence"] == (
        "sshd offers algorithms outside the allowed lists (sshd -T): cipher aes128-ctr, MAC hmac-sha1."
    )
    assert got["WL-SSH-11"]["evidence"].endswith(": ssh-rsa.")
    assert "expected 1 to 60 s" in got["WL-SSH-07"]["evidence"]
    assert "0 turns the check off" in got["WL-SSH-08"]["evidence"]
    assert got["WL-SSH-09"]["evidence"] == (
        "effective AllowGroups (none) (sshd -T), expected sudo or a subset of it."
    )
    assert got["WL-SSH-12"]["evidence"].endswith(
        "expected AllowAgentForwarding no and AllowTcpForwarding no and DisableForwarding yes."
    )
    assert got["WL-SSH-13"]["evidence"].endswith("expected VERBOSE (it records the key used for each login).")
    assert got["WL-SSH-03"]["evidence"] == "effective PermitEmptyPasswords no (sshd -T)"
    assert got["WL-SSH-15"]["evidence"] == (
        "owned by root:root, no access for others: /etc/ssh/sshd_config (root:root, 0644);"
        " /etc/ssh/sshd_config.d (root:root, 0755)"
    )
    assert got["WL-SSH-03"]["what"] == "Check that empty passwords are refused"


def test_a_hardened_sshd_passes_every_control() -> None:
    got = judge(probe(hardened()))
    assert {i: g["status"] for i, g in got.items()} == dict.fromkeys(ALL, "pass"), got
    assert got["WL-SSH-08"]["evidence"].endswith("an unresponsive session is closed after 900 s")
    assert got["WL-SSH-09"]["evidence"] == "effective (sshd -T): AllowGroups sudo; AllowUsers (none)"


def test_a_banner_file_without_the_legal_text_fails() -> None:
    lines = [("banner-sha 0000" if x.startswith("banner-sha") else x) for x in hardened()]
    got = judge(probe(lines))["WL-SSH-10"]
    assert got["status"] == "fail" and "/etc/issue.net does not hold it" in got["evidence"]


@pytest.mark.parametrize(
    ("effective", "ok"),
    [("10:30:100", False), ("10:30:60", True), ("5:50:30", True), ("20:30:60", False), ("10:20:60", False)],
)
def test_max_startups_at_least_as_strict(effective: str, ok: bool) -> None:
    assert (judge(probe(hardened(maxstartups=effective)))["WL-SSH-19"]["status"] == "pass") is ok


@pytest.mark.parametrize(("sessions", "ok"), [("10", True), ("3", True), ("20", False), ("0", False)])
def test_max_sessions_never_zero(sessions: str, ok: bool) -> None:
    got = judge(probe(hardened(maxsessions=sessions)))["WL-SSH-18"]
    assert (got["status"] == "pass") is ok
    assert ("0 forbids every session" in got["evidence"]) is (sessions == "0")


def test_permission_lines_name_what_is_wrong() -> None:
    lines = [
        *[x for x in hardened() if not x.startswith(("perm", "hostkey "))],
        "perm bad|root:root|0644|/etc/ssh/sshd_config.d/50-site.conf",
        "perm ok|root:root|0600|/etc/ssh/sshd_config",
    ]
    got = judge(probe(lines))
    assert got["WL-SSH-15"]["status"] == "fail"
    assert got["WL-SSH-15"]["evidence"].startswith("/etc/ssh/sshd_config.d/50-site.conf not as expected:")
    assert got["WL-SSH-16"]["evidence"].startswith(
        "no host key file found (sshd -T) not as expected: nothing"
    )


def test_the_override_hint_when_carehard_wrote_and_another_value_wins() -> None:
    lines = hardened(x11forwarding="yes")
    got = judge(probe(lines), written=["WL-SSH-04"])["WL-SSH-04"]
    assert got["status"] == "fail"
    assert "carehard's setting is in place but overridden" in got["evidence"]
    assert "00-carehard.conf wins over carehard's." in got["evidence"]
    assert "overridden" not in judge(probe(lines))["WL-SSH-04"]["evidence"]
    options = [
        ("T carehard-daemon-options -o X11Forwarding=yes" if "daemon-options" in x else x) for x in lines
    ]
    text = judge(probe(options), written=["WL-SSH-04"])["WL-SSH-04"]["evidence"]
    assert text.endswith("command-line options, which win over every file: -o X11Forwarding=yes.")


def test_an_invalid_configuration_makes_every_selected_control_an_error_with_sshds_words() -> None:
    lines = [
        "binary yes",
        "config yes",
        "valid 255",
        "sshd-t /etc/ssh/sshd_config line 130: Bad configuration option: NoSuchOption",
    ]
    got = judge(probe(lines), selected=["WL-SSH-02", "WL-SSH-16"])
    assert list(got) == ["WL-SSH-02", "WL-SSH-16"]
    for item in got.values():
        assert item["status"] == "error"
        assert item["what"] == "Leave sshd alone: its configuration on the host is already invalid (sshd -t)"
        assert "NoSuchOption" in item["evidence"]


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        ({"rc": 2, "stdout": "", "stderr": "bash: boom"}, "the SSH probe broke (rc 2): bash: boom"),
        ({"rc": 0, "stdout": "binary yes\nconfig yes"}, "the SSH probe printed no JSON"),
        ({"rc": 0, "stdout": "{}"}, "the SSH probe printed no list of lines"),
        (probe(["binary yes", "config yes", "valid 0", "T-rc 1", "T oops"]), "sshd -T failed (rc 1)"),
        (None, "the SSH probe gave no result"),
        (probe([]), "the SSH probe printed nothing usable"),
    ],
)
def test_a_probe_that_broke_is_an_error_of_each_selected_control(result: Any, reason: str) -> None:
    got = judge(result, selected=["WL-SSH-01"])
    assert got["WL-SSH-01"]["status"] == "error" and reason in got["WL-SSH-01"]["evidence"]


def test_not_applicable_cases_say_why() -> None:
    assert judge(probe(["binary no"]))["WL-SSH-05"] == {
        "id": "WL-SSH-05",
        "what": "no OpenSSH server on this host",
        "status": "na",
        "evidence": "",
    }
    assert judge(probe(["binary yes", "config no"]))["WL-SSH-05"]["status"] == "na"
    assert judge({"skipped": True, "changed": False})["WL-SSH-05"]["status"] == "na"
    assert judge(probe(FRESH), supported=False)["WL-SSH-01"]["status"] == "na"


def test_only_selected_controls_get_an_item() -> None:
    assert judge(probe(FRESH), selected=[]) == {}
    assert list(judge(probe(FRESH), selected=["WL-SSH-20", "WL-SSH-03", "WL-OTHER-01"])) == [
        "WL-SSH-03",
        "WL-SSH-20",
    ]


def test_the_state_and_the_failed_ids_for_the_fixes() -> None:
    state = F["ssh_state"](probe(FRESH))
    assert state["state"] == "ok" and state["dropin"] is True
    assert state["sshd"]["permitrootlogin"] == "without-password"
    assert "carehard-daemon-options" not in state["sshd"]  # no option: the line has no value
    assert F["ssh_failed"](F["ssh_judge"](probe(FRESH), SETTINGS, ["WL-SSH-01", "WL-SSH-03"])) == [
        "WL-SSH-01"
    ]
