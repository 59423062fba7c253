"""The filters of workstation_linux's filter_plugins/services_state.py on what its probes print:
the "not in use" probe (pkg/unit lines) and `ss -Hlntup`. The plugin is loaded by path, as Ansible
loads it, and reached through its registered names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "roles/workstation_linux/filter_plugins/services_state.py"


def filters() -> dict[str, Callable[..., Any]]:
    return plugin_filters(PLUGIN)


ITEMS = [
    {
        "id": "WL-SVC-06",
        "cis": "2.1.13",
        "name": "rsync daemon",
        "packages": ["rsync"],
        "units": ["rsync.service"],
        "remove": False,
    },
    {
        "id": "WL-SVC-06",
        "cis": "2.1.20",
        "name": "X server",
        "packages": ["xserver-xorg-core"],
        "units": [],
        "keep_if": ["gdm3"],
    },
    {
        "id": "WL-SVC-08",
        "cis": "3.1.3",
        "name": "Bluetooth",
        "packages": ["bluez"],
        "units": ["bluetooth.service"],
    },
    {"id": "WL-SVC-09", "cis": "2.2.6", "name": "FTP client", "packages": ["ftp", "tnftp"], "units": []},
    {
        "id": "WL-SVC-07",
        "cis": "2.1.1",
        "name": "autofs",
        "packages": ["autofs"],
        "units": ["autofs.service"],
    },
]


def verdicts(stdout: str, needed: Any = None) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in filters()["carehard_services_in_use"](stdout, ITEMS, needed)}


def test_an_item_not_installed_is_ok_whatever_its_units() -> None:
    got = verdicts("unit rsync.service not-found inactive \n")
    assert got["rsync daemon"]["ok"] and got["rsync daemon"]["installed"] == []
    assert got["rsync daemon"]["text"] == "rsync daemon (2.1.13): not installed"


def test_an_installed_service_running_or_merely_disabled_is_in_use() -> None:
    got = verdicts(
        "pkg rsync\npkg bluez\n"
        "unit rsync.service loaded active enabled\n"
        "unit bluetooth.service loaded inactive disabled\n"
    )
    assert not got["rsync daemon"]["ok"] and got["rsync daemon"]["live"] == ["rsync.service"]
    assert not got["rsync daemon"]["removable"]
    assert "rsync.service active/enabled" in got["rsync daemon"]["text"]
    # Disabled but not masked: anything may start it again.
    assert not got["Bluetooth"]["ok"] and got["Bluetooth"]["live"] == ["bluetooth.service"]
    assert got["Bluetooth"]["removable"]


def test_an_installed_service_whose_units_are_stopped_and_masked_is_ok() -> None:
    got = verdicts("pkg bluez\nunit bluetooth.service loaded inactive masked\n")
    assert got["Bluetooth"]["ok"]
    assert got["Bluetooth"]["text"] == "Bluetooth (3.1.3): bluez installed; bluetooth.service inactive/masked"


def test_a_masked_unit_still_running_is_in_use() -> None:
    got = verdicts("pkg bluez\nunit bluetooth.service loaded active masked\n")
    assert not got["Bluetooth"]["ok"]


def test_an_installed_tool_without_units_is_in_use_until_removed() -> None:
    got = verdicts("pkg tnftp\n")
    assert not got["FTP client"]["ok"]
    assert got["FTP client"]["installed"] == ["tnftp"]
    assert got["FTP client"]["text"] == "FTP client (2.2.6): tnftp installed; no unit to stop"


def test_a_package_whose_units_are_all_missing_cannot_pass_by_masking() -> None:
    got = verdicts("pkg autofs\nunit autofs.service not-found inactive \n")
    assert not got["autofs"]["ok"] and got["autofs"]["units"] == []


def test_the_x_server_is_kept_where_a_display_manager_needs_it() -> None:
    assert not verdicts("pkg xserver-xorg-core\n")["X server"]["ok"]
    kept = verdicts("pkg xserver-xorg-core\npkg gdm3\n")["X server"]
    assert kept["ok"] and "kept: gdm3 needs it" in kept["text"]


def test_what_the_site_needs_is_kept() -> None:
    got = verdicts("pkg bluez\nunit bluetooth.service loaded active enabled\n", ["Bluetooth"])
    assert got["Bluetooth"]["ok"] and "workstation_linux_services_needed" in got["Bluetooth"]["text"]


def test_garbage_never_raises() -> None:
    in_use = filters()["carehard_services_in_use"]
    assert in_use(None, None) == []
    assert [v["ok"] for v in in_use("unit\npkg\n\x00", ITEMS[:1])] == [True]
    assert in_use("pkg rsync", [None, "x", {"name": "n"}])[0]["ok"]


SS = """\
tcp   LISTEN 0      128          0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=101,fd=3))
tcp   LISTEN 0      128             [::]:22           [::]:*    users:(("sshd",pid=101,fd=4))
udp   UNCONN 0      0          127.0.0.1:323       0.0.0.0:*    users:(("chronyd",pid=77,fd=5))
udp   UNCONN 0      0              [::1]:323          [::]:*    users:(("chronyd",pid=77,fd=6))
tcp   LISTEN 0      4096       127.0.0.53%lo:53    0.0.0.0:*    users:(("systemd-resolve",pid=60,fd=14))
tcp   LISTEN 0      64        192.0.2.10:873       0.0.0.0:*    users:(("rsync",pid=300,fd=4))
udp   UNCONN 0      0                  *:5353            *:*    users:(("avahi-daemon",pid=200,fd=12))
tcp   LISTEN 0      10     [::ffff:127.0.0.1]:631      *:*
"""


def test_listeners_beyond_loopback_not_approved_are_named() -> None:
    bad = filters()["carehard_unapproved_listeners"](SS, ["sshd"])
    assert [b["text"] for b in bad] == ["873/tcp on 192.0.2.10 (rsync)", "5353/udp on * (avahi-daemon)"]


def test_a_port_and_protocol_approve_a_listener_too() -> None:
    bad = filters()["carehard_unapproved_listeners"](SS, ["sshd", "873/tcp", "5353/udp"])
    assert bad == []


def test_nothing_approved_names_ssh_on_both_families_once_each() -> None:
    texts = [b["text"] for b in filters()["carehard_unapproved_listeners"](SS, [])]
    assert texts[:2] == ["22/tcp on 0.0.0.0 (sshd)", "22/tcp on :: (sshd)"]


def test_listener_texts_leave_loopback_out() -> None:
    texts = filters()["carehard_listener_texts"](SS)
    assert texts == [
        "22/tcp on 0.0.0.0 (sshd)",
        "22/tcp on :: (sshd)",
        "873/tcp on 192.0.2.10 (rsync)",
        "5353/udp on * (avahi-daemon)",
    ]
    assert filters()["carehard_listener_texts"]("no ss") == []
