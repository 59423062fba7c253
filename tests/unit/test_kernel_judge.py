"""The judges of workstation_linux's filter_plugins/kernel_judge.py (WL-SYS-*, WL-MOD-*) on what
their probes print: pass, fail, not applicable, error, selection, and the evidence texts. The plugin
is loaded by path, as Ansible loads it, and reached through its registered names."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "roles/workstation_linux/filter_plugins/kernel_judge.py"


def filters() -> dict[str, Callable[..., Any]]:
    return plugin_filters(PLUGIN)


SYSCTL = filters()["carehard_sysctl_judge"]
MODULES = filters()["carehard_module_judge"]

SYSCTL_CONTROLS = [
    {"id": "WL-SYS-01", "settings": [{"key": "kernel.dmesg_restrict", "value": 1}]},
    {"id": "WL-SYS-04", "settings": [{"key": "kernel.yama.ptrace_scope", "value": 1, "compare": "min"}]},
    {
        "id": "WL-SYS-05",
        "settings": [
            {"key": "fs.protected_symlinks", "value": 1},
            {"key": "fs.protected_hardlinks", "value": 1},
        ],
    },
    {"id": "WL-SYS-12", "settings": [{"key": "net.ipv4.tcp_syncookies", "value": 1}]},
    {"id": "WL-SYS-15", "settings": [{"key": "kernel.sysrq", "value": 0}]},
    {
        "id": "WL-SYS-20",
        "settings": [{"key": "net.ipv4.ip_local_port_range", "value": "32768 65535"}],
    },
    {
        "id": "WL-SYS-25",
        "applies": False,
        "premise": "workstation_linux_panic_on_oops is false, an oops must not stop a workstation"
        " during care",
        "settings": [{"key": "kernel.panic_on_oops", "value": 1}],
    },
]
MODULE_CONTROLS = [
    {"id": "WL-MOD-01", "modules": ["cramfs"], "file": "/etc/modprobe.d/cramfs.conf"},
    {"id": "WL-MOD-02", "modules": ["freevxfs", "hfs"]},
    {"id": "WL-MOD-08", "applies": "False", "premise": "containers need them", "modules": ["overlay"]},
]

# Recorded on a Debian 12 test host (a container): Debian's own files, and nothing of carehard's yet.
FRESH_SYSCTL = {
    "kernel.dmesg_restrict": {"boot": "", "source": "", "live": "0", "exists": True},
    "kernel.yama.ptrace_scope": {"boot": "", "source": "", "live": "", "exists": False},
    "fs.protected_symlinks": {
        "boot": "1",
        "source": "/usr/lib/sysctl.d/99-protect-links.conf",
        "live": "1",
        "exists": True,
    },
    "fs.protected_hardlinks": {
        "boot": "0",
        "source": "/etc/sysctl.d/99-tuning.conf",
        "live": "1",
        "exists": True,
    },
    "net.ipv4.tcp_syncookies": {
        "boot": "1",
        "source": "/usr/lib/sysctl.d/50-default.conf",
        "live": "0",
        "exists": True,
    },
    "kernel.sysrq": {"boot": "", "source": "", "live": "", "exists": False},
    "net.ipv4.ip_local_port_range": {"boot": "", "source": "", "live": "32768\t60999", "exists": True},
    "kernel.panic_on_oops": {"boot": "", "source": "", "live": "0", "exists": True},
}
HARDENED_SYSCTL = {
    "kernel.dmesg_restrict": {
        "boot": "1",
        "source": "/etc/sysctl.d/60-carehard.conf",
        "live": "0",
        "exists": True,
    },
    "kernel.yama.ptrace_scope": {
        "boot": "3",
        "source": "/etc/sysctl.d/60-carehard.conf",
        "live": "3",
        "exists": True,
    },
    "fs.protected_symlinks": {
        "boot": "1",
        "source": "/usr/lib/sysctl.d/99-protect-links.conf",
        "live": "1",
        "exists": True,
    },
    "fs.protected_hardlinks": {
        "boot": "1",
        "source": "/etc/sysctl.d/99-zz-carehard.conf",
        "live": "1",
        "exists": True,
    },
    "net.ipv4.tcp_syncookies": {
        "boot": "1",
        "source": "/usr/lib/sysctl.d/50-default.conf",
        "live": "1",
        "exists": True,
    },
    "kernel.sysrq": {"boot": "", "source": "", "live": "", "exists": False},
    "net.ipv4.ip_local_port_range": {
        "boot": "32768 65535",
        "source": "/etc/sysctl.d/60-carehard.conf",
        "live": "32768\t65535",
        "exists": True,
    },
    "kernel.panic_on_oops": {"boot": "", "source": "", "live": "0", "exists": True},
}
CONTAINER = "host is a container (lxc): the kernel belongs to the machine"
FILES = "/etc/sysctl.d/60-carehard.conf (or /etc/sysctl.d/99-zz-carehard.conf when a later file sets the key)"


def context(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "run_tags": ["all"],
        "skip_tags": [],
        "held": [],
        "supported": True,
        "switches": {},
        "live_kernel": False,
        "not_live_reason": CONTAINER,
        "sysctl_file": "/etc/sysctl.d/60-carehard.conf",
        "override_file": "/etc/sysctl.d/99-zz-carehard.conf",
        "modprobe_dir": "/etc/modprobe.d",
    }
    return {**base, **changes}


def probe(state: Any, rc: int = 0, stderr: str = "") -> dict[str, Any]:
    stdout = state if isinstance(state, str) else json.dumps(state)
    return {"rc": rc, "stdout": stdout, "stderr": stderr, "changed": False}


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def test_a_fresh_container_fails_with_the_values_found_where_and_expected() -> None:
    items = by_id(SYSCTL(probe(FRESH_SYSCTL), SYSCTL_CONTROLS, context()))
    assert {cid: i["status"] for cid, i in items.items()} == {
        "WL-SYS-01": "fail",
        "WL-SYS-04": "na",
        "WL-SYS-05": "fail",
        "WL-SYS-12": "fail",
        "WL-SYS-15": "na",
        "WL-SYS-20": "fail",
        "WL-SYS-25": "na",
    }
    assert items["WL-SYS-01"]["evidence"] == (
        f"kernel.dmesg_restrict: not set in any sysctl file; expected 1; carehard writes {FILES}."
        f" Not applied live (kernel.dmesg_restrict): {CONTAINER}; persisted for the next boot."
    )
    # a Debian file sorting after carehard's sets it: carehard writes its override file
    assert items["WL-SYS-05"]["evidence"].startswith(
        "fs.protected_hardlinks: at boot 0 (/etc/sysctl.d/99-tuning.conf); expected 1; "
    )
    assert items["WL-SYS-05"]["fix"]["persist"] == [
        {"key": "fs.protected_hardlinks", "write": "1", "file": "/etc/sysctl.d/99-zz-carehard.conf"}
    ]
    # net.* keys belong to the container's network namespace: set live there
    assert "; live 0; expected 1; " in items["WL-SYS-12"]["evidence"]
    assert items["WL-SYS-12"]["fix"] == {
        "persist": [],
        "live": [{"key": "net.ipv4.tcp_syncookies", "write": "1"}],
    }
    assert items["WL-SYS-04"]["what"] == (
        "Check the kernel parameters at boot and live (not applicable: the running kernel has none of"
        " kernel.yama.ptrace_scope)"
    )
    assert items["WL-SYS-25"]["what"].endswith(
        "(not applicable: workstation_linux_panic_on_oops is false, an oops"
        " must not stop a workstation during care)"
    )
    assert items["WL-SYS-01"]["fix"]["live"] == []  # kernel.* is the machine's in a container


def test_a_hardened_container_passes_naming_each_value_and_its_file() -> None:
    items = by_id(SYSCTL(probe(HARDENED_SYSCTL), SYSCTL_CONTROLS, context()))
    assert {cid for cid, i in items.items() if i["status"] == "pass"} == {
        "WL-SYS-01",
        "WL-SYS-04",
        "WL-SYS-05",
        "WL-SYS-12",
        "WL-SYS-20",
    }
    assert items["WL-SYS-01"]["evidence"] == (
        "kernel.dmesg_restrict = 1 at boot (/etc/sysctl.d/60-carehard.conf)."
        f" Not applied live (kernel.dmesg_restrict): {CONTAINER}; persisted for the next boot."
    )
    assert items["WL-SYS-20"]["evidence"] == (
        "net.ipv4.ip_local_port_range = 32768 65535 at boot (/etc/sysctl.d/60-carehard.conf),"
        " live 32768\t65535."
    )
    # "at least": a stricter value passes
    assert items["WL-SYS-04"]["status"] == "pass"


def test_a_host_that_owns_its_kernel_checks_and_sets_the_live_values() -> None:
    items = by_id(SYSCTL(probe(HARDENED_SYSCTL), SYSCTL_CONTROLS, context(live_kernel=True)))
    assert items["WL-SYS-01"]["status"] == "fail"
    assert items["WL-SYS-01"]["evidence"] == (
        "kernel.dmesg_restrict: at boot 1 (/etc/sysctl.d/60-carehard.conf); live 0; expected 1;"
        f" carehard writes {FILES} and sets the live values."
    )
    assert items["WL-SYS-01"]["fix"] == {
        "persist": [],
        "live": [{"key": "kernel.dmesg_restrict", "write": "1"}],
    }


def test_a_minimum_keeps_a_stricter_live_value_and_names_the_minimum() -> None:
    state = {
        "kernel.yama.ptrace_scope": {
            "boot": "0",
            "source": "/usr/lib/sysctl.d/10-ptrace.conf",
            "live": "3",
            "exists": True,
        }
    }
    [item] = SYSCTL(probe(state), SYSCTL_CONTROLS[1:2], context(live_kernel=True))
    assert item["status"] == "fail"
    assert "expected >= 1;" in item["evidence"]
    assert item["fix"]["persist"] == [
        {"key": "kernel.yama.ptrace_scope", "write": "3", "file": "/etc/sysctl.d/60-carehard.conf"}
    ]


def test_a_key_set_by_a_file_read_after_the_override_file_says_where_to_change_it() -> None:
    state = {
        "kernel.dmesg_restrict": {
            "boot": "0",
            "source": "/etc/sysctl.d/99-zzz-site.conf",
            "live": "0",
            "exists": True,
        }
    }
    [item] = SYSCTL(probe(state), SYSCTL_CONTROLS[:1], context())
    assert (
        "at boot 0 (/etc/sysctl.d/99-zzz-site.conf) (a file read after carehard's sets it: change it there)"
        in item["evidence"]
    )


def test_keys_the_kernel_lacks_are_named_and_left_out() -> None:
    state = dict(FRESH_SYSCTL)
    state["fs.protected_symlinks"] = {"boot": "", "source": "", "live": "", "exists": False}
    items = by_id(SYSCTL(probe(state), SYSCTL_CONTROLS, context()))
    assert items["WL-SYS-05"]["evidence"].endswith(
        " Not in the running kernel, left out: fs.protected_symlinks."
    )


def test_only_the_selected_controls_get_an_item_and_off_ones_are_not_applicable() -> None:
    ctx = context(
        run_tags=["WL-SYS-01", "WL-SYS-05", "WL-SYS-12", "WL-SYS-20", "WL-MOD-01"],
        skip_tags=["WL-SYS-20"],
        switches={"WL-SYS-05": False, "WL-SYS-01": True},
        held=["WL-SYS-12"],
    )
    items = by_id(SYSCTL(probe(FRESH_SYSCTL), SYSCTL_CONTROLS, ctx))
    assert sorted(items) == ["WL-SYS-01", "WL-SYS-05", "WL-SYS-12"]
    assert items["WL-SYS-01"]["status"] == "fail"
    assert items["WL-SYS-05"]["status"] == "na"
    assert items["WL-SYS-05"]["what"].endswith(
        "(not applicable: switched off (workstation_linux_wl_sys_05 is false))"
    )
    assert items["WL-SYS-12"]["status"] == "na"
    assert "held by a waiver" in items["WL-SYS-12"]["what"]
    unsupported = SYSCTL(probe(FRESH_SYSCTL), SYSCTL_CONTROLS, context(supported=False))
    assert {i["status"] for i in unsupported} == {"na"}
    assert "no kernel controls for this OS family" in unsupported[0]["what"]


def test_a_probe_that_broke_is_the_error_of_each_control_that_applies() -> None:
    for broken, why in (
        (probe("", rc=2, stderr="awk: line 3: syntax error"), "failed (rc 2): awk: line 3: syntax error"),
        (probe("Segmentation fault"), "printed no JSON: 'Segmentation fault'"),
        (probe("[1, 2]"), "printed no JSON object"),
        ({"skipped": True}, "did not run"),
        (None, "gave no result"),
    ):
        items = by_id(SYSCTL(broken, SYSCTL_CONTROLS, context()))
        assert items["WL-SYS-01"]["status"] == "error", broken
        assert why in items["WL-SYS-01"]["evidence"]
        assert items["WL-SYS-25"]["status"] == "na"  # its premise does not hold, whatever the probe
        modules = by_id(MODULES(broken, MODULE_CONTROLS, context()))
        assert modules["WL-MOD-01"]["status"] == "error"
        assert "kernel module probe" in modules["WL-MOD-01"]["evidence"]


FRESH_MODULES = {
    "cramfs": {"install": "", "blacklisted": False, "loaded": False},
    "freevxfs": {"install": "/bin/false", "blacklisted": True, "loaded": False},
    "hfs": {"install": "", "blacklisted": False, "loaded": True},
    "overlay": {"install": "", "blacklisted": False, "loaded": True},
}
HARDENED_MODULES = {
    "cramfs": {"install": "/bin/false", "blacklisted": True, "loaded": False},
    "freevxfs": {"install": "/bin/false", "blacklisted": True, "loaded": False},
    "hfs": {"install": "/bin/false", "blacklisted": True, "loaded": True},
    "overlay": {"install": "", "blacklisted": False, "loaded": True},
}


def test_modules_in_a_container_fail_until_refused_and_the_loaded_state_is_left_alone() -> None:
    items = by_id(MODULES(probe(FRESH_MODULES), MODULE_CONTROLS, context()))
    assert items["WL-MOD-01"]["status"] == "fail"
    assert items["WL-MOD-01"]["what"] == "Check that cramfs cannot be loaded"
    assert items["WL-MOD-01"]["evidence"] == (
        "cramfs: modprobe would load it, not blacklisted; expected 'install <module> /bin/false' and"
        f" 'blacklist <module>' (/etc/modprobe.d/cramfs.conf). Loaded state not checked: {CONTAINER}."
    )
    assert items["WL-MOD-02"]["evidence"].startswith("hfs: modprobe would load it, not blacklisted; expected")
    assert items["WL-MOD-02"]["fix"] == {
        "modules": "freevxfs, hfs",
        "file": "/etc/modprobe.d/carehard-wl-mod-02.conf",
        "content": "# Managed by carehard (WL-MOD-02): these kernel modules are not used on this host.\n"
        "install freevxfs /bin/false\nblacklist freevxfs\ninstall hfs /bin/false\nblacklist hfs\n",
        "unload": [],
    }
    assert items["WL-MOD-08"]["status"] == "na"
    assert (
        items["WL-MOD-08"]["what"]
        == "Check that overlay cannot be loaded (not applicable: containers need them)"
    )
    hardened = by_id(MODULES(probe(HARDENED_MODULES), MODULE_CONTROLS, context()))
    assert hardened["WL-MOD-02"]["status"] == "pass"
    assert hardened["WL-MOD-02"]["evidence"] == (
        "modprobe freevxfs runs '/bin/false', blacklisted; modprobe hfs runs '/bin/false', blacklisted."
        f" Loaded state not checked: {CONTAINER}."
    )


def test_a_loaded_module_on_a_host_that_owns_its_kernel_fails_and_is_unloaded() -> None:
    items = by_id(MODULES(probe(HARDENED_MODULES), MODULE_CONTROLS, context(live_kernel=True)))
    assert items["WL-MOD-01"]["evidence"] == "modprobe cramfs runs '/bin/false', blacklisted, not loaded."
    assert items["WL-MOD-02"]["status"] == "fail"
    assert items["WL-MOD-02"]["evidence"] == (
        "hfs: modprobe runs '/bin/false', blacklisted, loaded (in use? it goes at the next reboot);"
        " expected 'install <module> /bin/false' and 'blacklist <module>'"
        " (/etc/modprobe.d/carehard-wl-mod-02.conf), and the module unloaded."
    )
    # refused already: no file to write, only the module to unload
    assert items["WL-MOD-02"]["fix"]["file"] == ""
    assert items["WL-MOD-02"]["fix"]["unload"] == ["hfs"]


def test_modules_selection_follows_tags_switches_and_holds() -> None:
    ctx = context(run_tags=["WL-MOD-01", "WL-MOD-02"], switches={"WL-MOD-02": "false"})
    items = by_id(MODULES(probe(FRESH_MODULES), MODULE_CONTROLS, ctx))
    assert sorted(items) == ["WL-MOD-01", "WL-MOD-02"]
    assert items["WL-MOD-02"]["status"] == "na"
    assert MODULES(probe(FRESH_MODULES), MODULE_CONTROLS, context(run_tags=["WL-SYS-01"])) == []
