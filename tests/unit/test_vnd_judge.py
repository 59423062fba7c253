# ruff: noqa: E501  (the exact evidence texts, long lines as carehard prints them)
"""The judge of the Linux vendor-access controls (RA-VND-01..05, RA-KEY-01..03, RA-SSH-01..03,
RA-LOG-01..03), roles/remote_access/filter_plugins/vendors_judge.py, on the vendor_access_info
probe recorded on a fresh Debian 12 test host (two vendors declared, not yet opened; an undeclared
vendor account `initech` with a key in its home): pass, fail, error, not applicable, unselected,
switched-off and held controls, exact evidence. Loaded by path, as Ansible loads it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
F = plugin_filters(ROOT / "roles/remote_access/filter_plugins/vendors_judge.py")
JUDGE: Callable[..., list[dict[str, str]]] = F["ra_vnd_judge"]
FAILED, PROBED, SU = F["ra_vnd_failed"], F["ra_vnd_probed"], F["ra_vnd_su"]
PROBE: dict[str, Any] = json.loads((Path(__file__).parent / "vendors_judge_probe.json").read_text())
IDS = [
    "RA-VND-01", "RA-VND-02", "RA-VND-03", "RA-VND-04", "RA-KEY-01", "RA-KEY-02", "RA-KEY-03",
    "RA-SSH-01", "RA-SSH-02", "RA-SSH-03", "RA-LOG-01", "RA-LOG-02", "RA-LOG-03", "RA-VND-05",
]  # fmt: skip
LINE = "session optional pam_tty_audit.so enable=acme,globex-lab"
RULES = (
    "## Managed by carehard (remote_access role, RA-LOG-03): every program the vendor group runs.\n"
    "-a always,exit -F arch=b64 -S execve -F gid=carehard-vendors -k carehard_vendors\n"
)
WANTED = "# Managed by carehard\nMatch Group carehard-vendors\n    LogLevel VERBOSE\n"


def settings(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "run_tags": ["all"],
        "skip_tags": [],
        "switches": dict.fromkeys(IDS, True),
        "held": [],
        "vendors": [
            {"name": "acme", "account": "acme", "sources": ["198.19.31.5"], "su": False},
            {"name": "globex", "account": "globex-lab", "sources": ["198.19.31.5"], "su": True},
        ],
        "group": "carehard-vendors",
        "keys_dir": "/etc/ssh/carehard-vendor-keys",
        "admins": ["admin", "root"],
        "sshd_binary": "/usr/sbin/sshd",
        "rules_wanted": WANTED,
        "block_marker": "# {mark} carehard remote_access vendor rules",
        "pam_sshd": "/etc/pam.d/sshd",
        "tty_line": LINE,
        "container": False,
        "audit_rules_file": "/etc/audit/rules.d/60-carehard-vendors.rules",
        "audit_rules": RULES,
        "pam_su": "/etc/pam.d/su",
        "no_su_group": "carehard-vendors-no-su",
        "su_deny_regexp": r"^\s*auth\s+\S+\s+pam_wheel\.so\s+.*\bdeny\b.*\bgroup=carehard\-vendors\-no\-su(\s|$)",
    }
    base.update(over)
    return base


def judged(probe: Any = None, **over: Any) -> dict[str, dict[str, str]]:
    return {i["id"]: i for i in JUDGE(PROBE if probe is None else probe, settings(**over))}


def hardened() -> dict[str, Any]:
    """The probe as it reads after harden: initech closed, rules, traces and su written."""
    p = copy.deepcopy(PROBE)
    p["undeclared"][0].update(password="locked", expire_days=1, keys=[], pids=[])
    p["sshd"]["rules"] = WANTED
    p["traces"] = {"tty_lines": [LINE], "rules": RULES, "auditd": "installed"}
    p["su"] = {
        "group": True,
        "members": [],
        "no_pam_su": False,
        "auth": ["auth       required   pam_wheel.so use_uid deny group=carehard-vendors-no-su"],
    }
    return p


def test_fresh_host_evidence() -> None:
    items = judged()
    assert list(items) == IDS
    assert {c: i["status"] for c, i in items.items() if i["status"] != "pass"} == dict.fromkeys(
        ["RA-VND-01", "RA-SSH-01", "RA-LOG-01", "RA-LOG-02", "RA-LOG-03", "RA-VND-05"], "fail"
    )
    fp = PROBE["undeclared"][0]["keys"][0]["fingerprint"]
    assert items["RA-VND-01"]["evidence"] == (
        f"undeclared vendor account(s) still usable: initech (named in carehard_vendors: not expired, 1 key(s) {fp})."
        " Declare them in carehard_vendors for this host, or let harden lock and expire them."
    )
    assert items["RA-VND-02"]["evidence"] == (
        "acme: no account yet (created at the first window); globex-lab: no account yet (created at the first window)"
    )
    assert items["RA-VND-03"]["evidence"] == "no vendor account on this host"
    assert items["RA-VND-04"]["evidence"] == "no vendor key outlives the vendor's max_window"
    assert (
        items["RA-KEY-01"]["evidence"]
        == "0 vendor key(s), each with restrict, from= the bastions and expiry-time"
    )
    assert items["RA-KEY-02"]["evidence"] == "no key besides the declared ones in the vendor accounts"
    assert items["RA-KEY-03"]["evidence"] == (
        "SSH keys only in the accounts of carehard_admins (admin, root), of declared vendors, or limited by from= to"
        " carehard_admin_networks"
    )
    rules = "/etc/ssh/sshd_config.d/90-carehard-vendors.conf"
    assert items["RA-SSH-01"]["evidence"] == (
        f"the vendor rules in {rules} are missing or differ from the inventory (carehard_vendors,"
        " carehard_bastions). harden writes them."
    )
    assert (
        items["RA-SSH-02"]["evidence"]
        == "no vendor account here; the carehard-vendors group gets no login method"
    )
    assert items["RA-SSH-03"]["evidence"] == "no vendor account on this host"
    assert items["RA-LOG-01"]["evidence"] == (
        f"the vendor rules in {rules} are missing or out of date. harden writes the vendor rules."
    )
    assert items["RA-LOG-02"]["evidence"] == (
        f"/etc/pam.d/sshd has no pam_tty_audit line; expected {LINE}. harden writes it."
    )
    assert items["RA-LOG-03"]["evidence"] == (
        "auditd is not installed; /etc/audit/rules.d/60-carehard-vendors.rules is missing or differs from the"
        " expected rules; harden installs auditd and writes the rules."
    )
    assert items["RA-VND-05"]["evidence"] == (
        "su does not refuse the group carehard-vendors-no-su (no pam_wheel deny line in /etc/pam.d/su);\n"
        "a vendor who knows another account's password (root's) could switch to it. harden writes both."
    )
    assert FAILED(list(items.values())) == [
        "RA-VND-01",
        "RA-SSH-01",
        "RA-LOG-01",
        "RA-LOG-02",
        "RA-LOG-03",
        "RA-VND-05",
    ]


def test_after_harden_passes() -> None:
    items = judged(hardened())
    assert {i["status"] for i in items.values()} == {"pass"}, items
    assert items["RA-VND-01"]["evidence"] == (
        "undeclared vendor account(s) closed (locked, expired, no key, no session): initech"
    )
    assert items["RA-LOG-02"]["evidence"] == "pam_tty_audit records acme, globex-lab in /etc/pam.d/sshd"
    assert items["RA-LOG-03"]["evidence"] == (
        "/etc/audit/rules.d/60-carehard-vendors.rules records every program run by carehard-vendors (key carehard_vendors)"
    )
    assert items["RA-VND-05"]["evidence"] == (
        "su refuses no vendor account yet (/etc/pam.d/su: pam_wheel deny group=carehard-vendors-no-su)"
    )
    assert items["RA-SSH-01"]["evidence"].startswith(
        "/etc/ssh/sshd_config.d/90-carehard-vendors.conf confines"
    )


def test_open_vendor_with_sshd_read() -> None:
    p = hardened()
    acme = p["vendors"][0]
    acme.update(
        exists=True,
        open=True,
        end_epoch=p["now"] + 3600,
        expire_days=None,
        expire_days_open=1,
        password="none",
    )
    acme.update(probe_inside="198.19.31.5", probe_outside="192.0.2.123", in_group=True)
    p["sshd"]["effective"] = {
        "acme/inside": {"pubkeyauthentication": "yes", "loglevel": "INFO", "x11forwarding": "yes"},
        "acme/outside": {"pubkeyauthentication": "yes"},
    }
    items = judged(p)
    assert "acme: the account expires never, after its window ends on " in items["RA-VND-02"]["evidence"]
    assert items["RA-VND-02"]["status"] == "fail"  # never expires
    assert (
        items["RA-SSH-01"]["evidence"] == "acme: x11forwarding is yes, expected no.  harden writes them."
    )  # as before: two spaces
    assert items["RA-SSH-02"]["evidence"] == (
        "acme: from 192.0.2.123 (not a bastion) sshd allows pubkeyauthentication. harden writes the vendor rules."
    )
    assert (
        items["RA-LOG-01"]["evidence"]
        == "acme: LogLevel is INFO, expected VERBOSE. harden writes the vendor rules."
    )
    assert items["RA-SSH-03"]["evidence"] == "forced commands as declared for acme"
    assert SU(p, settings())["wanted"] == ["acme"]
    assert items["RA-VND-05"]["status"] == "fail"
    assert "the group su refuses holds nobody, expected acme" in items["RA-VND-05"]["evidence"]


def test_probe_errors() -> None:
    broke = {"failed": True, "msg": "admin_networks: 'x' does not appear to be an IPv4 or IPv6 network"}
    assert {i["status"] for i in judged(broke).values()} == {"error"}
    assert judged(broke)["RA-VND-01"]["evidence"].startswith("the vendor access probe broke: admin_networks")
    assert {i["status"] for i in judged({"garbage": 1}).values()} == {"error"}
    assert {i["status"] for i in judged("not a result").values()} == {"error"}
    missing = copy.deepcopy(PROBE)
    del missing["traces"]
    items = judged(missing)
    assert items["RA-LOG-02"]["status"] == items["RA-LOG-03"]["status"] == "error"
    assert items["RA-LOG-02"]["evidence"] == "the vendor access probe read no traces state"
    assert items["RA-VND-01"]["status"] == "fail"
    refused = copy.deepcopy(PROBE)
    refused["sshd"]["errors"] = ["sshd -T: rc 255: /etc/ssh/sshd_config line 3: Bad configuration option"]
    assert judged(refused)["RA-SSH-01"]["status"] == "error"


def test_no_sshd_selection_switches_and_waivers() -> None:
    p = copy.deepcopy(PROBE)
    p["sshd"] = {"installed": False}
    items = judged(p)
    assert items["RA-SSH-01"]["status"] == "na"
    assert items["RA-SSH-01"]["what"] == "no OpenSSH server on this host (/usr/sbin/sshd)"
    assert list(judged(run_tags=["RA-KEY-03", "RA-LOG-02"])) == ["RA-KEY-03", "RA-LOG-02"]
    assert "RA-KEY-03" not in judged(skip_tags=["RA-KEY-03"])
    off = judged(switches={"RA-VND-03": False}, held=["RA-LOG-03"])
    assert off["RA-VND-03"] == {
        "id": "RA-VND-03",
        "what": "switched off (remote_access_ra_vnd_03: false)",
        "status": "na",
        "evidence": "switched off (remote_access_ra_vnd_03: false)",
    }
    assert (
        off["RA-LOG-03"]["status"] == "na"
        and off["RA-LOG-03"]["what"] == "held by a waiver: not checked nor changed"
    )
    assert PROBED(settings(run_tags=["RA-VND-03"], switches={"RA-VND-03": False})) == []
    assert judged(vendors=[])["RA-VND-05"]["evidence"] == (
        "no vendor declared for this host: no vendor account for su to refuse"
    )
    assert judged(tty_line="")["RA-LOG-02"]["status"] == "pass"
