"""The judge of the bootloader and kernel command line controls (WL-BOOT-01..06, WL-MAC-02),
filter_plugins/boot_judge.py, on probe output recorded on a Debian 12 test host (a container given
GRUB's files by tests/integration/dirty/integrity.sh: fresh, and after harden): pass, fail, not
applicable, error, unselected, switched-off and held controls, and the exact evidence. The plugin is
loaded by path, as Ansible loads it, and reached through its registered names."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "roles/workstation_linux/filter_plugins/boot_judge.py"
F: dict[str, Callable[..., Any]] = plugin_filters(PLUGIN)
JUDGE, PROBED, FAILED, FIX_PATHS, CONTENT = (
    F["boot_judge"],
    F["boot_probed"],
    F["boot_failed"],
    F["boot_fix_paths"],
    F["boot_password_content"],
)

HASH = "grub.pbkdf2.sha512.10000." + "AB" * 64 + "." + "CD" * 64
MEMORY = [
    "l1tf=full,force",
    "page_poison=on",
    "pti=on",
    "slab_nomerge=yes",
    "slub_debug=FZP",
    "spec_store_bypass_disable=seccomp",
    "spectre_v2=on",
    "mds=full,nosmt",
    "mce=0",
    "page_alloc.shuffle=1",
    "rng_core.default_quality=500",
]
CONTROLS = [
    {
        "id": "WL-MAC-02",
        "file": "60-carehard-apparmor.cfg",
        "args": ["apparmor=1", "security=apparmor"],
        "needs_apparmor": True,
    },
    {"id": "WL-BOOT-04", "file": "60-carehard-audit.cfg", "args": ["audit=1", "audit_backlog_limit=8192"]},
    {"id": "WL-BOOT-05", "file": "60-carehard-memory.cfg", "args": MEMORY},
    {"id": "WL-BOOT-06", "file": "60-carehard-iommu.cfg", "args": ["iommu=force"]},
]
NOT_LIVE = "host is a container: the kernel belongs to the machine"
SETTINGS: dict[str, Any] = {
    "run_tags": ["all"],
    "skip_tags": [],
    "switches": {cid: True for cid in ("WL-BOOT-01", "WL-BOOT-02", "WL-BOOT-03", "WL-MAC-02")},
    "held": [],
    "cmdline_controls": CONTROLS,
    "grub_default": "/etc/default/grub",
    "dropin_dir": "/etc/default/grub.d",
    "mkconfig": "/usr/sbin/update-grub",
    "grub_dir": "/boot/grub",
    "cfgs": ["/boot/grub/grub.cfg"],
    "password_script": "/etc/grub.d/01_carehard_password",
    "linux_script": "/etc/grub.d/10_linux",
    "user_cfg": "",
    "superuser": "root",
    "password_hash": HASH,
    "apparmor": True,
    "live_kernel": False,
    "not_live_reason": NOT_LIVE,
}
IDS = ["WL-BOOT-01", "WL-BOOT-02", "WL-BOOT-03", "WL-MAC-02", "WL-BOOT-04", "WL-BOOT-05", "WL-BOOT-06"]
PROC = (
    "mitigations=auto,no_guest_host,no_guest_guest console=ttyS0 quiet reboot=k panic=1 nomodule"
    " random.trust_cpu=1 swiotlb=noforce psi=1 rdinit=/process_api -- --firecracker-init "
)
ALL_ARGS = "apparmor=1 security=apparmor audit=1 audit_backlog_limit=8192 iommu=force " + " ".join(MEMORY)


def script_sha(settings: dict[str, Any] = SETTINGS) -> str:
    return hashlib.sha256(CONTENT(settings, settings["password_script"]).encode()).hexdigest()


# Recorded (fresh, after dirty/integrity.sh; /proc/cmdline shortened).
FRESH = (
    "grub-default yes\ngrub-cfg /boot/grub/grub.cfg\ngrub-mkconfig \nb01 no no no no no\n"
    "b01-file /etc/grub.d/01_carehard_password absent\nb02 /boot/grub/grub.cfg 444 root root\n"
    "b03 /boot 755 root root\nb03 /boot/grub 755 root root\ncl-configured  quiet\ncl-dropindir no\n"
    f"cl-grubcfg   root=/dev/vda1 ro quiet\ncl-proc {PROC}\nend"
)


# Recorded after harden (the digest is of the script written with the test inventory's hash: here
# that of SETTINGS' hash, the same bytes otherwise).
def hardened(sha: str = "") -> str:
    return (
        "grub-default yes\ngrub-cfg /boot/grub/grub.cfg\ngrub-mkconfig \nb01 no no no yes no\n"
        f"b01-file /etc/grub.d/01_carehard_password 700 root root {sha or script_sha()}\n"
        "b02 /boot/grub/grub.cfg 400 root root\nb03 /boot 700 root root\nb03 /boot/grub 700 root root\n"
        f"cl-configured  {ALL_ARGS} quiet\ncl-dropindir yes\ncl-grubcfg   root=/dev/vda1 ro quiet\n"
        f"cl-proc {PROC}\nend"
    )


# A container without GRUB's files (what a real audit of the test hosts sees without dirty/).
NO_GRUB = (
    "grub-default no\ngrub-cfg \ngrub-mkconfig \nb01 no no no no no\n"
    "b01-file /etc/grub.d/01_carehard_password absent\nb03 /boot 755 root root\n"
    f"cl-configured  \ncl-dropindir no\ncl-grubcfg \ncl-proc {PROC}\nend"
)


def probe(stdout: str, rc: int = 0) -> dict[str, Any]:
    return {"rc": rc, "stdout": stdout, "stderr": "", "changed": False}


def judged(stdout: str, settings: dict[str, Any] | None = None, **kw: Any) -> dict[str, dict[str, str]]:
    return {i["id"]: i for i in JUDGE(probe(stdout), settings or SETTINGS, **kw)}


def with_settings(**changes: Any) -> dict[str, Any]:
    return {**SETTINGS, **changes}


def not_configured(args: str) -> str:
    return (
        f"kernel arguments not configured: {args} in GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT"
        " (/etc/default/grub, /etc/default/grub.d/*.cfg: a later value of the same key wins)"
    )


LATER = (
    "grub.cfg gets them when update-grub regenerates it (at the next kernel update, once GRUB is installed)"
)


def test_fresh_host_fails_every_control_saying_what_is_found_and_expected() -> None:
    items = JUDGE(probe(FRESH), SETTINGS)
    assert [i["id"] for i in items] == IDS
    assert {i["status"] for i in items} == {"fail"}
    got = {i["id"]: i["evidence"] for i in items}
    assert got["WL-BOOT-01"] == "no GRUB password (/etc/grub.d/01_carehard_password missing)"
    assert got["WL-BOOT-02"] == "/boot/grub/grub.cfg: mode 0444; expected root:root, 0600 or stricter"
    assert got["WL-BOOT-03"] == (
        "/boot: mode 0755; /boot/grub: mode 0755; expected owned by root, no access for group and others"
    )
    assert got["WL-MAC-02"] == not_configured("apparmor=1 (absent), security=apparmor (absent)")
    assert got["WL-BOOT-04"] == not_configured("audit=1 (absent), audit_backlog_limit=8192 (absent)")
    assert got["WL-BOOT-06"] == not_configured("iommu=force (absent)")
    assert FAILED(items) == IDS


def test_hardened_host_passes_persisted_not_applied_live() -> None:
    got = judged(hardened())
    assert {i["status"] for i in got.values()} == {"pass"}
    assert got["WL-BOOT-01"]["evidence"] == (
        "GRUB superuser root with a PBKDF2 password (/etc/grub.d/01_carehard_password);"
        " entries boot without it;"
        " grub.cfg: no /usr/sbin/update-grub on this host: grub.cfg gets it when update-grub regenerates it"
        " (at the next kernel update, once GRUB is installed)"
    )
    assert got["WL-BOOT-02"]["evidence"] == "/boot/grub/grub.cfg 400 root root: root:root, 0600 or stricter"
    assert got["WL-BOOT-03"]["evidence"] == "/boot, /boot/grub: owned by root, no access for group and others"
    assert got["WL-BOOT-06"]["evidence"] == (
        "iommu=force configured (/etc/default/grub.d/60-carehard-iommu.cfg);"
        " grub.cfg: lacks iommu=force (absent);"
        f" no /usr/sbin/update-grub on this host: {LATER}; running kernel: not this system's: {NOT_LIVE}"
    )
    assert FAILED(list(got.values())) == []


def test_the_password_script_is_byte_for_byte_what_harden_wrote() -> None:
    # The digest recorded on the test host, of the script written with the test inventory's hash.
    test_hash = (
        "grub.pbkdf2.sha512.10000.FDB91D5ED8155DFD767B04A187D092B7B25352915A2481ABDC2BCD25EEF7B47106B4259E62A5"
        "BC78D31F60ACF5A927E0697FFF71B426BDE9FDA19D9E57BCAE0D.D31C27D17C265469A2A250FEA0F5A782414C3F5C2C203F012"
        "DC9736756D9BE3D4E44427497CC86D239D198C05A957FE3F5AA6E058B120AA7BF1711FE323DC224"
    )
    recorded = "8ff854796a1f719a241d98d0b1f176de7bd0c65d59bdb4f25e613c370ef36e82"
    settings = with_settings(password_hash=test_hash)
    assert script_sha(settings) == recorded
    assert judged(hardened(recorded), settings)["WL-BOOT-01"]["status"] == "pass"


def test_password_script_with_another_hash_or_mode_fails() -> None:
    other = hardened("0" * 64).replace(" 700 root root 0", " 755 root adm 0")
    assert judged(other)["WL-BOOT-01"]["evidence"] == (
        "no GRUB password (/etc/grub.d/01_carehard_password different: other content,"
        " mode 755, expected 0700,"
        " owner root:adm, expected root:root)"
    )


def test_no_hash_in_the_inventory_fails_saying_how_to_make_one() -> None:
    got = judged(hardened(), with_settings(password_hash=""))["WL-BOOT-01"]
    assert got["status"] == "fail"
    assert got["evidence"].startswith("no GRUB password hash: set workstation_linux_grub_password_hash")


def test_class_line_of_10_linux() -> None:
    stock = hardened().replace("b01 no no no yes no", "b01 yes no yes yes no")
    assert judged(stock)["WL-BOOT-01"]["evidence"] == (
        "the CLASS line of /etc/grub.d/10_linux lacks --unrestricted: its entries would need the password to"
        " boot, so none is set (harden adds it)"
    )
    odd = hardened().replace("b01 no no no yes no", "b01 yes no no yes no")
    assert "is not the distribution's" in judged(odd)["WL-BOOT-01"]["evidence"]
    done = (
        hardened()
        .replace("b01 no no no yes no", "b01 yes yes no yes yes")
        .replace("grub-mkconfig ", "grub-mkconfig /usr/sbin/update-grub")
    )
    got = judged(done)["WL-BOOT-01"]
    assert got["status"] == "pass"
    assert got["evidence"] == (
        "GRUB superuser root with a PBKDF2 password (/etc/grub.d/01_carehard_password); the entries of"
        " /etc/grub.d/10_linux boot without it (--unrestricted); grub.cfg: has it"
    )


def test_grub_cfg_without_the_password_where_update_grub_exists_fails() -> None:
    host = hardened().replace("grub-mkconfig ", "grub-mkconfig /usr/sbin/update-grub")
    got = judged(host)
    assert got["WL-BOOT-01"]["evidence"] == (
        "the password is configured but /boot/grub/grub.cfg lacks it: run /usr/sbin/update-grub"
    )
    assert got["WL-BOOT-06"]["evidence"] == (
        "configured, but /boot/grub/grub.cfg lacks iommu=force (absent): run /usr/sbin/update-grub"
    )


def test_regenerated_grub_cfg_and_live_kernel() -> None:
    before = hardened().replace("grub-mkconfig ", "grub-mkconfig /usr/sbin/update-grub")
    after = before.replace("root=/dev/vda1 ro quiet", f"root=/dev/vda1 ro {ALL_ARGS} quiet").replace(
        "b01 no no no yes no", "b01 no no no yes yes"
    )
    live = with_settings(live_kernel=True)
    got = {i["id"]: i for i in JUDGE(probe(after), live, probe(before))}
    assert got["WL-BOOT-01"]["evidence"].endswith("grub.cfg: has it (regenerated now)")
    assert got["WL-BOOT-06"]["evidence"] == (
        "iommu=force configured (/etc/default/grub.d/60-carehard-iommu.cfg);"
        " grub.cfg: has them (regenerated now);"
        " running kernel: configured, effective at the next boot (/proc/cmdline lacks iommu=force (absent))"
    )
    booted = after.replace("cl-proc ", "cl-proc iommu=force ")
    assert judged(booted, live)["WL-BOOT-06"]["evidence"].endswith(
        "grub.cfg: has them; running kernel: booted with them"
    )


def test_later_value_of_a_key_wins() -> None:
    host = hardened().replace(" quiet\ncl-dropindir", " iommu=pt quiet\ncl-dropindir")
    assert judged(host)["WL-BOOT-06"]["evidence"] == not_configured("iommu=force (found iommu=pt)")


def test_host_without_grub_has_the_grub_controls_not_applicable() -> None:
    got = judged(NO_GRUB)
    reason = "no GRUB on this host (neither /etc/default/grub nor grub.cfg)"
    assert got["WL-BOOT-01"] == {"id": "WL-BOOT-01", "what": reason, "status": "na", "evidence": ""}
    assert got["WL-BOOT-02"]["what"] == "no grub.cfg on this host (/boot/grub/grub.cfg absent)"
    assert got["WL-BOOT-02"]["status"] == "na"
    for cid in ("WL-MAC-02", "WL-BOOT-04", "WL-BOOT-05", "WL-BOOT-06"):
        assert got[cid]["status"] == "na" and got[cid]["what"] == reason
    assert got["WL-BOOT-03"]["status"] == "fail"
    assert (
        got["WL-BOOT-03"]["evidence"]
        == "/boot: mode 0755; expected owned by root, no access for group and others"
    )
    empty = NO_GRUB.replace("b03 /boot 755 root root\n", "")
    assert (
        judged(empty)["WL-BOOT-03"]["evidence"]
        == "no /boot; expected owned by root, no access for group and others"
    )


def test_other_os_families() -> None:
    redhat = with_settings(
        dropin_dir="",
        mkconfig="/usr/sbin/grub2-mkconfig",
        grub_dir="/boot/grub2",
        cfgs=["/boot/grub2/grub.cfg"],
        password_script="",
        linux_script="",
        user_cfg="/boot/grub2/user.cfg",
        apparmor=False,
    )
    assert PROBED(redhat) == ["WL-BOOT-01", "WL-BOOT-02", "WL-BOOT-03"]
    content = "GRUB2_PASSWORD=" + HASH + "\n"
    assert CONTENT(redhat, "/boot/grub2/user.cfg") == content
    sha = hashlib.sha256(content.encode()).hexdigest()
    host = (
        "grub-default yes\ngrub-cfg /boot/grub2/grub.cfg\ngrub-mkconfig /usr/sbin/grub2-mkconfig\n"
        "b01 no no no no no\n"
        f"b01-file /boot/grub2/user.cfg 600 root root {sha}\nb02 /boot/grub2/grub.cfg 600 root root\n"
        "b03 /boot 700 root root\nb03 /boot/grub2 700 root root\nb03 /boot/grub2/user.cfg 600 root root\nend"
    )
    got = judged(host, redhat)
    assert got["WL-BOOT-01"]["evidence"] == (
        "GRUB superuser root with a PBKDF2 password (/boot/grub2/user.cfg); entries boot without it;"
        " grub.cfg: reads it from /boot/grub2/user.cfg at boot"
    )
    assert got["WL-BOOT-03"]["status"] == "pass"
    assert got["WL-MAC-02"]["status"] == "na" and "reads no drop-in" in got["WL-MAC-02"]["what"]
    unknown = with_settings(grub_default="", dropin_dir="", grub_dir="", cfgs=[], password_script="")
    assert PROBED(unknown) == []
    items = JUDGE(None, unknown)
    assert {i["status"] for i in items} == {"na"}
    assert items[0]["what"] == "not an OS family whose bootloader carehard knows"


def test_unselected_switched_off_and_held() -> None:
    only = with_settings(run_tags=["WL-BOOT-02", "WL-MAC-02"])
    assert [i["id"] for i in JUDGE(probe(FRESH), only)] == ["WL-BOOT-02", "WL-MAC-02"]
    assert [i["id"] for i in JUDGE(probe(FRESH), with_settings(skip_tags=["WL-BOOT-05"]))] == [
        c for c in IDS if c != "WL-BOOT-05"
    ]
    off = with_settings(switches={**SETTINGS["switches"], "WL-BOOT-04": "false"}, held=["WL-BOOT-01"])
    got = judged(FRESH, off)
    assert got["WL-BOOT-04"] == {
        "id": "WL-BOOT-04",
        "what": "switched off (workstation_linux_wl_boot_04: false)",
        "status": "na",
        "evidence": "",
    }
    assert got["WL-BOOT-01"]["what"] == "held by a waiver: not checked nor changed"
    assert got["WL-BOOT-01"]["status"] == "na"
    assert PROBED(off) == ["WL-BOOT-02", "WL-BOOT-03", "WL-MAC-02", "WL-BOOT-05", "WL-BOOT-06"]
    # Nothing selected, or everything off: the probe does not run.
    assert PROBED(with_settings(run_tags=["WL-SSH-01"])) == []


@pytest.mark.parametrize(
    ("result", "evidence"),
    [
        (
            {"rc": 2, "stdout": "", "stderr": "bash: line 1: syntax error"},
            "the boot probe failed (rc 2): bash: line 1: syntax error",
        ),
        ({"failed": True, "msg": "timeout"}, "the boot probe failed (rc None): timeout"),
        ({"skipped": True}, "the boot probe did not run"),
        (None, "the boot probe gave no result"),
        ({"rc": 0, "stdout": "garbage\nend"}, "the boot probe printed no GRUB location: 'garbage\\nend'"),
        ({"rc": 0, "stdout": FRESH[:60]}, "the boot probe stopped before its end: " + repr(FRESH[:60])),
    ],
)
def test_a_probe_that_broke_is_each_selected_control_s_error(result: Any, evidence: str) -> None:
    items = JUDGE(result, SETTINGS)
    assert [i["id"] for i in items] == IDS
    assert {i["status"] for i in items} == {"error"}
    assert {i["evidence"] for i in items} == {evidence}
    assert items[0]["what"] == "Check that editing the GRUB entries needs a password"


def test_a_missing_section_is_that_control_s_error() -> None:
    no_b01 = FRESH.replace("b01 no no no no no\n", "")
    got = judged(no_b01)
    assert got["WL-BOOT-01"]["status"] == "error"
    assert got["WL-BOOT-01"]["evidence"].startswith("the boot probe's output is unexpected")
    assert got["WL-BOOT-02"]["status"] == "fail"
    no_cl = FRESH.split("cl-configured")[0] + "end"
    got = judged(no_cl)
    assert got["WL-BOOT-06"]["status"] == "error" and got["WL-BOOT-03"]["status"] == "fail"


def test_fix_paths_are_the_failing_ones_only() -> None:
    assert FIX_PATHS(probe(FRESH), "WL-BOOT-02") == ["/boot/grub/grub.cfg"]
    assert FIX_PATHS(probe(FRESH), "WL-BOOT-03") == ["/boot", "/boot/grub"]
    assert FIX_PATHS(probe(hardened()), "WL-BOOT-03") == []
    assert FIX_PATHS({"rc": 1}, "WL-BOOT-03") == []


def test_password_script_content() -> None:
    assert CONTENT(SETTINGS, SETTINGS["password_script"]) == (
        "#!/bin/sh\n"
        "# carehard WL-BOOT-01: editing a boot entry or the GRUB shell needs this superuser's password.\n"
        "cat <<'EOF'\n"
        'set superusers="root"\n'
        f"password_pbkdf2 root {HASH}\n"
        "EOF\n"
    )
