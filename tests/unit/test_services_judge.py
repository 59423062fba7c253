"""The judgement of workstation_linux's services family (filter carehard_services_judge of
filter_plugins/services_state.py) on recorded output of the family's probe: one item per selected
control, pass, fail, na and error, none for a control unselected or with nothing to check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "roles/workstation_linux/filter_plugins/services_state.py"


def filters() -> dict[str, Callable[..., Any]]:
    return plugin_filters(PLUGIN)


JUDGE = filters()["carehard_services_judge"]
PARTS = filters()["carehard_services_probe_parts"]

ITEMS = [
    {
        "id": "WL-SVC-06",
        "cis": "2.1.5",
        "name": "dnsmasq",
        "packages": ["dnsmasq"],
        "units": ["dnsmasq.service"],
    },
    {
        "id": "WL-SVC-06",
        "cis": "2.1.13",
        "name": "rsync daemon",
        "packages": ["rsync"],
        "units": ["rsync.service"],
        "remove": False,
    },
    {
        "id": "WL-FW-03",
        "cis": "4.2.1",
        "name": "iptables-persistent",
        "packages": ["iptables-persistent"],
        "units": [],
    },
    {
        "id": "WL-SVC-11",
        "cis": "2.3.1.1",
        "name": "systemd-timesyncd",
        "packages": ["systemd-timesyncd"],
        "units": [],
    },
]
ALL = ["WL-SVC-06", "WL-FW-03", "WL-SVC-11", "WL-SVC-10", "WL-PKG-01", "WL-NET-01", "WL-PKG-02"]

# A bookworm test host before harden: rsync running, Avahi and a VNC server listening.
BEFORE = """== unused
pkg rsync
unit dnsmasq.service not-found inactive
unit rsync.service loaded active enabled
== ss
udp   UNCONN 0      0            0.0.0.0:5353      0.0.0.0:*    users:(("avahi-daemon",pid=311,fd=12))
tcp   LISTEN 0      128          0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=400,fd=3))
tcp   LISTEN 0      5          127.0.0.1:631       0.0.0.0:*    users:(("cupsd",pid=401,fd=7))
tcp   LISTEN 0      5            0.0.0.0:5900      0.0.0.0:*    users:(("python3",pid=402,fd=3))
== sources
source /etc/apt/sources.list.d/debian.sources: deb http://deb.debian.org/debian bookworm main
key /usr/share/keyrings/debian-archive-keyring.gpg
key /usr/share/keyrings/debian-archive-keyring.gpg
== ipv6
module=loaded
cmdline=
all=0
default=0
addresses=eth0 2001:db8::5/64
== updates
pending libc6 2.36-9+deb12u9 Debian-Security:12/stable-security [amd64]
security libc6
pending tzdata 2025a-0+deb12u1 Debian:12.10/stable [all]
== end
"""


def probe(stdout: str, rc: int = 0, **extra: Any) -> dict[str, Any]:
    return {"stdout": stdout, "stderr": "", "rc": rc, "changed": False, **extra}


def judge(stdout: str = BEFORE, selected: Any = None, **kwargs: Any) -> dict[str, dict[str, Any]]:
    items = JUDGE(
        probe(stdout, **kwargs.pop("probe", {})),
        ALL if selected is None else selected,
        ITEMS,
        kwargs.pop("needed", []),
        kwargs.pop("allowed", ["sshd"]),
        kwargs.pop("kind", "apt"),
        kwargs.pop("blocked", None),
    )
    return {i["id"]: i for i in items}


def test_one_item_per_selected_control_in_order() -> None:
    items = JUDGE(probe(BEFORE), ALL, ITEMS, [], ["sshd"], "apt")
    assert [i["id"] for i in items] == ALL
    assert all(set(i) >= {"id", "what", "status", "evidence"} for i in items)


def test_not_in_use_fail_names_each_item_in_use_and_its_units() -> None:
    item = judge()["WL-SVC-06"]
    assert item["status"] == "fail"
    assert item["evidence"] == (
        "rsync daemon (2.1.13): rsync installed; rsync.service active/enabled. Expected each removed,"
        " or its units "
        "stopped and masked; name it in workstation_linux_services_needed where the host needs it."
    )
    assert [b["name"] for b in item["bad"]] == ["rsync daemon"]
    assert item["bad"][0]["live"] == ["rsync.service"] and not item["bad"][0]["removable"]


def test_not_in_use_pass_states_every_item() -> None:
    items = judge()
    assert items["WL-FW-03"]["status"] == "pass"
    assert items["WL-FW-03"]["evidence"] == "iptables-persistent (4.2.1): not installed"
    masked = BEFORE.replace("rsync.service loaded active enabled", "rsync.service loaded inactive masked")
    item = judge(masked)["WL-SVC-06"]
    assert item["status"] == "pass" and item["bad"] == []
    assert (
        item["evidence"] == "dnsmasq (2.1.5): not installed; rsync daemon (2.1.13): rsync installed;"
        " rsync.service inactive/masked"
    )


def test_not_in_use_evidence_names_what_blocks_a_removal() -> None:
    item = judge(blocked={"rsync daemon": "backuppc depends on rsync"})["WL-SVC-06"]
    assert "Other packages depend on: rsync daemon (backuppc depends on rsync)." in item["evidence"]


def test_needed_service_passes() -> None:
    item = judge(needed=["rsync daemon"])["WL-SVC-06"]
    assert item["status"] == "pass"
    assert "rsync installed, kept (workstation_linux_services_needed)" in item["evidence"]


def test_listeners_fail_names_the_unapproved_and_passes_when_approved() -> None:
    item = judge()["WL-SVC-10"]
    assert item["status"] == "fail"
    assert item["evidence"] == (
        "not approved: 5353/udp on 0.0.0.0 (avahi-daemon), 5900/tcp on 0.0.0.0 (python3)."
        " Stop what the host does not need, or add its process name or port/protocol to"
        " workstation_linux_listening_allowed (now sshd)."
    )
    item = judge(allowed=["sshd", "avahi-daemon", "5900/tcp"])["WL-SVC-10"]
    assert item["status"] == "pass"
    assert item["evidence"].startswith(
        "listening beyond loopback: 5353/udp on 0.0.0.0 (avahi-daemon), 22/tcp on 0.0.0.0"
    )
    assert item["evidence"].endswith(
        "all approved by workstation_linux_listening_allowed (sshd, avahi-daemon, 5900/tcp)"
    )
    assert "empty" in judge(allowed=[])["WL-SVC-10"]["evidence"]


def test_listeners_without_ss_are_not_applicable() -> None:
    stdout = BEFORE.replace(BEFORE[BEFORE.index("== ss") : BEFORE.index("== sources")], "== ss\nno ss\n")
    item = judge(stdout)["WL-SVC-10"]
    assert item["status"] == "na" and item["what"] == "no ss on this host"


def test_sources_pass_and_fail() -> None:
    item = judge()["WL-PKG-01"]
    assert item["status"] == "pass"
    assert item["evidence"] == (
        "sources: /etc/apt/sources.list.d/debian.sources: deb http://deb.debian.org/debian bookworm main;"
        " signing keys: /usr/share/keyrings/debian-archive-keyring.gpg; none marked trusted or insecure."
        " Check that these are the distribution's and the site's own."
    )
    bad = BEFORE.replace(
        "key /usr/share/keyrings/debian-archive-keyring.gpg\n" * 2,
        "insecure /etc/apt/sources.list: deb [trusted=yes] http://x/ y main\n"
        "nokey /etc/apt/sources.list: /nokey.gpg\n",
    )
    item = judge(bad)["WL-PKG-01"]
    assert item["status"] == "fail"
    assert item["evidence"].startswith(
        "unsigned or insecure: /etc/apt/sources.list: deb [trusted=yes] http://x/ y main. "
        "keyring missing: /etc/apt/sources.list: /nokey.gpg. no signing key found. sources: "
    )
    assert item["evidence"].endswith(
        "keys: none. Expected every source signed by a key on the host"
        " (no trusted=yes, no allow-insecure, no gpgcheck=0)."
    )


def test_ipv6_status_is_stated() -> None:
    item = judge()["WL-NET-01"]
    assert item["status"] == "pass"
    assert item["evidence"] == (
        "IPv6 on: disable_ipv6 all=0, default=0; global addresses: eth0 2001:db8::5/64."
        " Where IPv6 is on, the firewall and kernel settings apply to it too (WL-FW-01, WL-SYS-*)."
    )
    off = BEFORE.replace("module=loaded\ncmdline=\nall=0", "module=absent\ncmdline=ipv6.disable=1\nall=-")
    off = off.replace("addresses=eth0 2001:db8::5/64", "addresses=")
    assert (
        judge(off)["WL-NET-01"]["evidence"]
        == "IPv6 off: kernel without IPv6 (ipv6.disable=1); global addresses: none."
    )
    broken = BEFORE.replace("module=loaded\n", "")
    item = judge(broken)["WL-NET-01"]
    assert item["status"] == "fail" and item["evidence"].startswith(
        "the IPv6 status could not be read: cmdline="
    )


def test_pending_updates() -> None:
    item = judge()["WL-PKG-02"]
    assert item["status"] == "fail"
    assert item["evidence"] == (
        "2 update(s) pending, 1 of them security (libc6): libc6 2.36-9+deb12u9"
        " Debian-Security:12/stable-security [amd64]; tzdata 2025a-0+deb12u1 Debian:12.10/stable [all]."
        " Install them (apt-get dist-upgrade)"
        " in a maintenance window."
    )
    none = BEFORE[: BEFORE.index("== updates")] + "== updates\n== end\n"
    assert judge(none)["WL-PKG-02"] == {
        "id": "WL-PKG-02",
        "what": "Check that no update is pending",
        "status": "pass",
        "evidence": "no update pending from the host's package lists",
    }
    assert "(dnf upgrade)" in judge(kind="dnf")["WL-PKG-02"]["evidence"]


def test_probe_that_broke_is_every_controls_error() -> None:
    for items in (
        judge(probe={"rc": 1, "stderr": "bash: boom"}),
        judge("garbage, no sections"),
        judge(BEFORE.replace("== end\n", "")),  # cut short
    ):
        assert {i["status"] for i in items.values()} == {"error"}, items
        assert all(i["evidence"].startswith("the services probe failed") for i in items.values())
    assert "bash: boom" in judge(probe={"rc": 1, "stderr": "bash: boom"})["WL-SVC-10"]["evidence"]
    not_run = JUDGE({"msg": "unreachable"}, ["WL-NET-01"], ITEMS, [], [], "apt")
    assert not_run[0]["status"] == "error" and "did not run: unreachable" in not_run[0]["evidence"]
    assert JUDGE("not a dict", ["WL-NET-01"], ITEMS, [], [], "apt")[0]["status"] == "error"


def test_missing_section_is_that_controls_error() -> None:
    stdout = BEFORE[: BEFORE.index("== updates")] + "== end\n"
    items = judge(stdout)
    assert items["WL-PKG-02"]["status"] == "error"
    assert items["WL-PKG-02"]["evidence"] == "the services probe printed no updates section"
    assert items["WL-PKG-01"]["status"] == "pass"


def test_unselected_and_inapplicable_controls_have_no_item() -> None:
    assert judge(selected=[]) == {}
    assert set(judge(selected=["WL-NET-01", "WL-SVC-07", "WL-XX-99"])) == {
        "WL-NET-01"
    }  # WL-SVC-07: no item here
    assert set(judge(kind="")) == {
        "WL-SVC-06",
        "WL-FW-03",
        "WL-SVC-11",
        "WL-SVC-10",
        "WL-NET-01",
    }  # no apt/dnf


def test_probe_parts_follow_the_selection() -> None:
    assert PARTS(ALL, ITEMS, "apt") == ["unused", "ss", "sources", "ipv6", "updates"]
    assert PARTS(["WL-PKG-02", "WL-NET-01"], ITEMS, "") == ["ipv6"]
    assert PARTS(["WL-SVC-07"], ITEMS, "apt") == []
    assert PARTS([], ITEMS, "apt") == []
