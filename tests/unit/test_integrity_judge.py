"""The judge of the AIDE and AppArmor controls (roles/workstation_linux/filter_plugins/
integrity_judge.py) on probe output of a Debian 12 test host: fresh (neither installed), after the
dirty script and harden's packages (a disabled profile, one in complain mode), hardened; then
broken probes. The plugin is loaded by path, as Ansible loads it, and reached through its
registered names."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "roles/workstation_linux/filter_plugins/integrity_judge.py"
ALL = ["WL-AIDE-01", "WL-AIDE-02", "WL-MAC-01", "WL-MAC-03", "WL-MAC-04"]


def filters() -> dict[str, Callable[..., Any]]:
    return plugin_filters(PLUGIN)


F = filters()
NOT_LIVE = "host is a container: the kernel belongs to the machine"
CONTEXT: dict[str, Any] = {
    "run_tags": ["all"],
    "skip_tags": [],
    "held": [],
    "switches": dict.fromkeys(ALL, True),
    "aide_packages": ["aide", "aide-common"],
    "aide_db": "/var/lib/aide/aide.db",
    "aide_init_cmd": ["aideinit", "--yes", "--force"],
    "aide_timer": "dailyaidecheck.timer",
    "aide_initialised": False,
    "apparmor_packages": ["apparmor", "apparmor-utils"],
    "apparmor_service": "apparmor",
    "apparmor_complain_allowed": [],
    "service_mgr": "systemd",
    "live_kernel": False,
    "not_live_reason": NOT_LIVE,
}

# Recorded on a Debian 12 test host (systemd-nspawn: the kernel is the machine's, AppArmor absent
# from it). Fresh: neither AIDE nor AppArmor installed.
FRESH = "".join(
    f"{line}\n"
    for line in [
        "aide-pkg aide no",
        "aide-pkg aide-common no",
        "aide-db no",
        "aide-timer no  ",
        "aide-cron ",
        "aa-pkg apparmor no",
        "aa-pkg apparmor-utils no",
        "aa-service ",
        "aa-kernel absent",
        "aa-tools no",
        "end",
    ]
)
# After harden, and the dirty script again: lsb_release disabled, nvidia_modprobe forced into
# complain mode (tests/integration/dirty/integrity.sh).
DIRTY = "".join(
    f"{line}\n"
    for line in [
        "aide-pkg aide yes",
        "aide-pkg aide-common yes",
        "aide-db yes 3440532 1796648871",
        "aide-timer yes enabled active",
        "aide-cron /etc/cron.daily/aide",
        "aa-pkg apparmor yes",
        "aa-pkg apparmor-utils yes",
        "aa-service enabled",
        "aa-kernel absent",
        "aa-tools yes",
        "aa-profile lsb_release disabled ",
        "aa-profile nvidia_modprobe forced ",
        "end",
    ]
)
HARDENED = DIRTY.replace(" disabled \n", " \n").replace(" forced \n", " \n")
# A richer set of profiles (as Ubuntu ships them: some unconfined by their own flags), a live kernel.
RICH = HARDENED.replace("aa-kernel absent", "aa-kernel Y").replace(
    "end\n",
    "aa-profile usr.bin.man \naa-profile unix-chkpwd \n"
    "aa-profile bwrap attach_disconnected mediate_deleted unconfined\nend\n",
)


def probe(stdout: str, rc: int = 0, stderr: str = "") -> dict[str, Any]:
    return {"rc": rc, "stdout": stdout, "stderr": stderr, "changed": False}


def judge(stdout: str, rc: int = 0, **context: Any) -> dict[str, dict[str, Any]]:
    items = F["integrity_judge"](probe(stdout, rc), {**CONTEXT, **context})
    return {i["id"]: i for i in items}


def test_a_fresh_host_fails_every_control_and_says_what_is_missing() -> None:
    got = judge(FRESH)
    assert [i["status"] for i in got.values()] == ["fail"] * 5
    assert got["WL-AIDE-01"]["evidence"] == (
        "aide, aide-common not installed and no database; expected installed with a database"
    )
    assert got["WL-AIDE-02"]["evidence"] == (
        "aide, aide-common not installed: no AIDE check; expected a daily check"
    )
    assert got["WL-MAC-01"]["evidence"] == (
        "apparmor, apparmor-utils not installed; expected installed and enabled"
    )
    assert got["WL-MAC-03"]["evidence"] == (
        "AppArmor utilities not installed (WL-MAC-01 installs them): 0 profiles in /etc/apparmor.d: "
        "0 enforce, 0 complain, 0 disabled; expected every profile in enforce or complain mode"
    )
    assert got["WL-MAC-04"]["evidence"].endswith("; expected every profile in enforce mode")
    assert F["integrity_failed"](list(got.values())) == ALL


def test_the_dirty_profiles_fail_with_their_names_and_the_fixes_get_them() -> None:
    got = judge(DIRTY)
    assert got["WL-AIDE-01"]["status"] == "pass"
    built = time.strftime("%Y-%m-%d %H:%M", time.localtime(1796648871))
    assert got["WL-AIDE-01"]["evidence"] == (
        f"aide, aide-common installed; database /var/lib/aide/aide.db (3440532 bytes, built {built})"
    )
    assert (
        got["WL-AIDE-02"]["evidence"]
        == "AIDE checks the files daily: dailyaidecheck.timer enabled and active"
    )
    assert got["WL-MAC-01"]["evidence"] == (
        f"apparmor, apparmor-utils installed; apparmor enabled at boot; the running kernel: {NOT_LIVE}"
    )
    assert got["WL-MAC-03"]["status"] == "fail"
    assert got["WL-MAC-03"]["evidence"] == (
        "disabled AppArmor profiles (links in /etc/apparmor.d/disable): lsb_release; "
        "expected every profile in enforce or complain mode"
    )
    assert got["WL-MAC-04"]["evidence"] == (
        "AppArmor profiles not enforcing: nvidia_modprobe (complain), lsb_release (disabled); "
        "expected every profile in enforce mode"
    )
    items = list(got.values())
    assert F["integrity_fix"](items, "WL-MAC-03") == {"profiles": ["lsb_release"], "loads": False}
    assert F["integrity_fix"](items, "WL-MAC-04") == {
        "profiles": ["nvidia_modprobe", "lsb_release"],
        "loads": False,
    }
    assert F["integrity_fix"](items, "WL-AIDE-02") == {"timer_loaded": True}
    assert F["integrity_fix"](items, "WL-XXX-01") == {}
    assert F["integrity_failed"](items) == ["WL-MAC-03", "WL-MAC-04"]


def test_a_hardened_host_passes_with_the_modes_and_where_they_apply() -> None:
    got = judge(HARDENED, aide_initialised=True)
    assert {i["status"] for i in got.values()} == {"pass"}
    assert got["WL-AIDE-01"]["evidence"].endswith("(3440532 bytes, initialised now)")
    assert got["WL-MAC-03"]["evidence"] == (
        "2 profiles in /etc/apparmor.d: 2 enforce, 0 complain, 0 disabled; modes set on disk, loaded at"
        f" boot: {NOT_LIVE}"
    )
    assert got["WL-MAC-01"]["evidence"].endswith(f"the running kernel: {NOT_LIVE}")
    summary = (
        "5 profiles in /etc/apparmor.d: 4 enforce, 0 complain, 1 unconfined by their own flags (the user"
        " namespace allowances of the distribution, left as shipped), 0 disabled"
    )
    live = judge(RICH, live_kernel=True)
    assert live["WL-MAC-04"]["evidence"] == (
        f"{summary}; modes loaded by the running kernel (aa-enforce/aa-complain reload them)"
    )
    assert live["WL-MAC-01"]["evidence"].endswith("the running kernel: AppArmor enabled")
    assert F["integrity_fix"](list(live.values()), "WL-MAC-01") == {"start": True}
    off = judge(RICH.replace("aa-kernel Y", "aa-kernel N"), live_kernel=True)
    assert off["WL-MAC-01"]["evidence"].endswith(
        "the running kernel: AppArmor off (WL-MAC-02 turns it on from the next boot)"
    )
    assert off["WL-MAC-03"]["evidence"] == (
        f"{summary}; modes set on disk; the running kernel has AppArmor off (WL-MAC-02 enables it at the"
        " next boot)"
    )


def test_a_profile_the_inventory_keeps_in_complain_mode_passes_and_is_named() -> None:
    got = judge(
        DIRTY.replace("lsb_release disabled ", "lsb_release "), apparmor_complain_allowed=["nvidia_modprobe"]
    )
    assert got["WL-MAC-04"]["status"] == "pass"
    kept = "; kept in complain mode by the inventory (workstation_linux_apparmor_complain_allowed): "
    assert f"{kept}nvidia_modprobe; modes" in got["WL-MAC-04"]["evidence"]


def test_the_daily_check_from_cron_the_timer_off_and_the_service_disabled() -> None:
    cron = judge(DIRTY.replace("aide-timer yes enabled active", "aide-timer no  "))
    assert cron["WL-AIDE-02"]["evidence"] == "AIDE checks the files daily from /etc/cron.daily/aide"
    off = judge(
        DIRTY.replace("aide-timer yes enabled active", "aide-timer yes disabled inactive")
        .replace("aide-cron /etc/cron.daily/aide", "aide-cron ")
        .replace("aa-service enabled", "aa-service disabled")
    )
    assert (
        off["WL-AIDE-02"]["evidence"]
        == "dailyaidecheck.timer is disabled and inactive; expected a daily check"
    )
    assert off["WL-MAC-01"]["evidence"] == "apparmor is disabled at boot; expected installed and enabled"
    none = judge(FRESH.replace("no\n", "yes\n", 2).replace("aa-pkg apparmor no", "aa-pkg apparmor yes"))
    assert none["WL-AIDE-02"]["evidence"] == (
        "no AIDE check scheduled (no dailyaidecheck.timer, no daily cron job); expected a daily check"
    )
    assert (
        none["WL-AIDE-01"]["evidence"]
        == "no AIDE database at /var/lib/aide/aide.db: aideinit --yes --force builds it"
    )
    assert none["WL-MAC-01"]["evidence"] == "apparmor-utils not installed; expected installed and enabled"
    no_systemd = judge(DIRTY.replace("aa-service enabled", "aa-service "), service_mgr="sysvinit")
    assert no_systemd["WL-MAC-01"]["status"] == "pass"


@pytest.mark.parametrize(
    ("stdout", "rc", "evidence"),
    [
        ("", 2, "the integrity probe failed (rc 2): bash: line 3: oops"),
        ("garbage\n", 0, "the integrity probe ended early: 'garbage'"),
        (DIRTY.replace("end\n", ""), 0, "the integrity probe ended early"),
    ],
)
def test_a_broken_probe_makes_each_selected_control_an_error(stdout: str, rc: int, evidence: str) -> None:
    items = F["integrity_judge"](probe(stdout, rc, "bash: line 3: oops"), CONTEXT)
    assert [i["status"] for i in items] == ["error"] * 5
    assert all(i["evidence"].startswith(evidence) for i in items)


def test_a_missing_section_is_an_error_of_its_controls_only() -> None:
    no_aa = "\n".join(line for line in DIRTY.splitlines() if not line.startswith("aa-")) + "\n"
    got = judge(no_aa)
    assert got["WL-AIDE-01"]["status"] == "pass"
    assert got["WL-MAC-01"]["status"] == "error"
    assert got["WL-MAC-01"]["evidence"] == "the integrity probe printed no aa section"
    no_aide = "\n".join(line for line in DIRTY.splitlines() if not line.startswith("aide-db")) + "\n"
    assert judge(no_aide)["WL-AIDE-02"]["evidence"] == "the integrity probe printed no aide section"


def test_no_result_or_a_skipped_probe_is_an_error_unless_nothing_applies() -> None:
    assert {i["status"] for i in F["integrity_judge"](None, CONTEXT)} == {"error"}
    skipped = F["integrity_judge"]({"skipped": True}, CONTEXT)
    assert {i["evidence"] for i in skipped} == {"the integrity probe did not run"}
    # The probe's `when` (workstation_linux__integrity_on): judged without a probe.
    none = F["integrity_judge"]({}, {**CONTEXT, "aide_packages": [], "apparmor_packages": []})
    assert {i["status"] for i in none} == {"na"}


def test_unselected_switched_off_held_and_other_families() -> None:
    got = F["integrity_judge"](probe(DIRTY), {**CONTEXT, "run_tags": ["WL-MAC-04", "WL-AIDE-01"]})
    assert [i["id"] for i in got] == ["WL-AIDE-01", "WL-MAC-04"]
    got = F["integrity_judge"](probe(DIRTY), {**CONTEXT, "skip_tags": ["WL-MAC-04"]})
    assert "WL-MAC-04" not in [i["id"] for i in got]
    got = judge(DIRTY, switches={"WL-MAC-03": False}, held=["WL-MAC-04"])
    assert got["WL-MAC-03"] == {
        "id": "WL-MAC-03",
        "what": "Check that no AppArmor profile is disabled (not applicable: switched off"
        " (workstation_linux_wl_mac_03 is false))",
        "status": "na",
        "evidence": "switched off (workstation_linux_wl_mac_03 is false)",
        "fix": {},
    }
    assert got["WL-MAC-04"]["status"] == "na"
    assert got["WL-MAC-04"]["evidence"] == "held by a waiver, left as it is"
    redhat = judge(FRESH, apparmor_packages=[], aide_packages=["aide"])
    assert redhat["WL-MAC-01"]["evidence"] == "no AppArmor on this OS family"
    assert (
        redhat["WL-AIDE-01"]["evidence"]
        == "aide not installed and no database; expected installed with a database"
    )
    unknown = judge("", rc=1, apparmor_packages=[], aide_packages=[])
    assert {i["status"] for i in unknown.values()} == {"na"}
    assert unknown["WL-AIDE-02"]["evidence"] == "no AIDE package known for this OS family"


def test_unexpected_context_never_raises() -> None:
    assert F["integrity_judge"](probe(DIRTY), None) != []
    assert F["integrity_judge"](
        probe(DIRTY.replace("aide-db yes 5046721 1796648871", "aide-db yes x y")), CONTEXT
    )
    assert F["integrity_failed"](None) == []
    assert F["integrity_fix"](None, "WL-MAC-03") == {}


def test_apparmor_modes_from_the_probe_lines() -> None:
    # Debian 13's apparmor package plus a disabled and a forced profile (moved from
    # test_boot_integrity_filters.py with the probe).
    lines = [
        "aa-profile chrome unconfined",
        "aa-profile lsb_release disabled ",
        "aa-profile nvidia_modprobe forced ",
        "aa-profile plasmashell complain complain",
        "aa-profile transmission complain attach_disconnected complain",
        "aa-profile unix-chkpwd ",
        "aa-profile foo disabled forced complain",
    ]
    state = F["integrity_state"](probe(FRESH.replace("end\n", "\n".join(lines) + "\nend\n")))
    assert state["error"] == ""
    modes = F["integrity_apparmor_modes"](state["profiles"])
    assert modes == {
        "disabled": ["foo", "lsb_release"],
        "complain": ["nvidia_modprobe", "plasmashell", "transmission"],
        "unconfined": ["chrome"],
        "enforce": ["unix-chkpwd"],
    }
