"""The judge of the filesystem family (WL-FS-01..10), filter_plugins/filesystems_judge.py, on probe
output of a bookworm test host (a container: the fstab options are persisted, not applied live):
pass, fail, not applicable, error, unselected, switched-off and held controls, exact evidence, and
the fixes a failed control gets. The plugin is loaded by path, as Ansible loads it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "roles/workstation_linux/filter_plugins/filesystems_judge.py"
IDS = [f"WL-FS-{n:02d}" for n in range(1, 11)]
CONTAINER = "host is a container: the kernel belongs to the machine"


def filters() -> dict[str, Callable[..., Any]]:
    return plugin_filters(PLUGIN)


JUDGE = filters()["filesystems_judge"]
PLAN = filters()["filesystems_plan"]
FIXES = filters()["filesystems_fixes"]
FAILED = filters()["filesystems_failed"]

SETTINGS: dict[str, Any] = {
    "run_tags": ["all"],
    "skip_tags": [],
    "held": [],
    "switches": dict.fromkeys(IDS, True),
    "supported": True,
    "live_kernel": False,
    "not_live_reason": CONTAINER,
    "mount_controls": [
        {"id": "WL-FS-06", "path": "/home", "options": ["nodev", "nosuid"]},
        {"id": "WL-FS-07", "path": "/var", "options": ["nodev", "nosuid"]},
        {"id": "WL-FS-08", "path": "/var/tmp", "options": ["nodev", "nosuid", "noexec"]},
        {"id": "WL-FS-09", "path": "/var/log", "options": ["nodev", "nosuid", "noexec"]},
        {"id": "WL-FS-10", "path": "/var/log/audit", "options": ["nodev", "nosuid", "noexec"]},
    ],
    "tmp_options": "rw,nosuid,nodev,noexec,relatime,mode=1777",
    "shm_options": "rw,nosuid,nodev,noexec,relatime",
    "scan_timeout": 900,
    "list_limit": 50,
}


def entry(**fields: Any) -> dict[str, Any]:
    base = {"fstab": False, "src": "", "type": "", "opts": "", "dump": "0", "pass": "0"}
    return {**base, "mounted": False, "live_type": "", "live_opts": "", **fields}


# Recorded on a fresh bookworm test host (systemd-nspawn): /etc/fstab has no /tmp nor /dev/shm entry,
# both are tmpfs mounted by systemd, rw,nosuid,nodev; /home, /var, /var/tmp, /var/log, /var/log/audit are
# not separate mounts.
FRESH_STDOUT = (
    'mounts\t{"/tmp": {"fstab": false, "src": "", "type": "", "opts": "", "dump": "0", "pass": "0", '
    '"mounted": true, "live_type": "tmpfs", '
    '"live_opts": "rw,nosuid,nodev,size=2468380k,nr_inodes=409600"}, "/dev/shm": {"fstab": false, '
    '"src": "", "type": "", "opts": "", "dump": "0", "pass": "0", "mounted": true, '
    '"live_type": "tmpfs", "live_opts": "rw,nosuid,nodev,size=2468380k,nr_inodes=409600"}, '
    '"/home": {"fstab": false, "src": "", "type": "", "opts": "", "dump": "0", "pass": "0", '
    '"mounted": false, "live_type": "", "live_opts": ""}, "/var": {"fstab": false, "src": "", '
    '"type": "", "opts": "", "dump": "0", "pass": "0", "mounted": false, "live_type": "", '
    '"live_opts": ""}, "/var/tmp": {"fstab": false, "src": "", "type": "", "opts": "", "dump": "0", '
    '"pass": "0", "mounted": false, "live_type": "", "live_opts": ""}, "/var/log": {"fstab": false, '
    '"src": "", "type": "", "opts": "", "dump": "0", "pass": "0", "mounted": false, "live_type": "", '
    '"live_opts": ""}, "/var/log/audit": {"fstab": false, "src": "", "type": "", "opts": "", '
    '"dump": "0", "pass": "0", "mounted": false, "live_type": "", "live_opts": ""}}\n'
    "mp\t/\n"
    "mp\t/dev\n"
    "mp\t/dev/shm\n"
    "mp\t/run\n"
    "mp\t/run/lock\n"
    "mp\t/run/user/0\n"
    "mp\t/run/user/1000\n"
    "mp\t/sys\n"
    "mp\t/sys/fs/cgroup\n"
    "mp\t/tmp\n"
    "count\ttimeout\t0\n"
    "count\tsid\t0\n"
    "count\twwd\t0\n"
    "count\tmp\t10\n"
    "count\twwf\t0\n"
    "count\town\t0\n"
)
# The same host after tests/integration/dirty/fs_services.sh and the /var/tmp line of dirty/kernel.sh.
DIRTY_STDOUT = (
    'mounts\t{"/tmp": {"fstab": false, "src": "", "type": "", "opts": "", "dump": "0", "pass": "0", '
    '"mounted": true, "live_type": "tmpfs", '
    '"live_opts": "rw,nosuid,nodev,size=2468380k,nr_inodes=409600"}, "/dev/shm": {"fstab": false, '
    '"src": "", "type": "", "opts": "", "dump": "0", "pass": "0", "mounted": true, '
    '"live_type": "tmpfs", "live_opts": "rw,nosuid,nodev,size=2468380k,nr_inodes=409600"}, '
    '"/home": {"fstab": false, "src": "", "type": "", "opts": "", "dump": "0", "pass": "0", '
    '"mounted": false, "live_type": "", "live_opts": ""}, "/var": {"fstab": false, "src": "", '
    '"type": "", "opts": "", "dump": "0", "pass": "0", "mounted": false, "live_type": "", '
    '"live_opts": ""}, "/var/tmp": {"fstab": true, "src": "tmpfs", "type": "tmpfs", '
    '"opts": "rw,nosuid,mode=1777", "dump": "0", "pass": "0", "mounted": false, "live_type": "", '
    '"live_opts": ""}, "/var/log": {"fstab": false, "src": "", "type": "", "opts": "", "dump": "0", '
    '"pass": "0", "mounted": false, "live_type": "", "live_opts": ""}, '
    '"/var/log/audit": {"fstab": false, "src": "", "type": "", "opts": "", "dump": "0", "pass": "0", '
    '"mounted": false, "live_type": "", "live_opts": ""}}\n'
    "mp\t/\n"
    "mp\t/dev\n"
    "mp\t/dev/shm\n"
    "mp\t/run\n"
    "mp\t/run/lock\n"
    "mp\t/run/user/1000\n"
    "mp\t/sys\n"
    "mp\t/sys/fs/cgroup\n"
    "mp\t/tmp\n"
    "own\t/srv/carehard-dirty/left-by-a-deleted-account\t4242:4242\n"
    "sid\t/usr/local/bin/carehard-dirty-suid\t4755 root:root\n"
    "wwd\t/srv/carehard-dirty/shared-no-sticky\n"
    "wwf\t/srv/carehard-dirty/world-writable.txt\n"
    "count\ttimeout\t0\n"
    "count\tsid\t1\n"
    "count\twwd\t1\n"
    "count\tmp\t9\n"
    "count\twwf\t1\n"
    "count\town\t1\n"
)
FRESH_MOUNTS: dict[str, Any] = json.loads(FRESH_STDOUT.split("\n")[0].split("\t", 1)[1])
DIRTY_MOUNTS: dict[str, Any] = json.loads(DIRTY_STDOUT.split("\n")[0].split("\t", 1)[1])
CLEAN_SCAN = FRESH_STDOUT.split("\n", 1)[1]
DIRTY_SCAN = DIRTY_STDOUT.split("\n", 1)[1]
TMPFS_LIVE = "live: tmpfs rw,nosuid,nodev,size=2468380k,nr_inodes=409600"
SHM_LIVE = {
    "mounted": True,
    "live_type": "tmpfs",
    "live_opts": "rw,nosuid,nodev,size=2468380k,nr_inodes=409600",
}


def probe(
    mounts: dict[str, Any] | None = None, scan: str = CLEAN_SCAN, rc: int = 0, stderr: str = ""
) -> dict[str, Any]:
    table = FRESH_MOUNTS if mounts is None else mounts
    return {
        "rc": rc,
        "stdout": "mounts\t" + json.dumps(table) + "\n" + scan,
        "stderr": stderr,
        "changed": False,
    }


def judge(before: Any, after: Any = None, **overrides: Any) -> dict[str, dict[str, Any]]:
    items = JUDGE(before, after, {**SETTINGS, **overrides})
    assert [i["id"] for i in items] == sorted(i["id"] for i in items)
    return {i["id"]: i for i in items}


WHERE = (
    "on the local filesystems (/ /dev /dev/shm /run /run/lock /run/user/0 /run/user/1000 /sys"
    " /sys/fs/cgroup /tmp)"
)
DIRTY_WHERE = (
    "on the local filesystems (/ /dev /dev/shm /run /run/lock /run/user/1000 /sys /sys/fs/cgroup /tmp)"
)


def test_a_fresh_container_host() -> None:
    got = judge(probe())
    assert {k: v["status"] for k, v in got.items()} == {
        "WL-FS-01": "fail",
        "WL-FS-02": "fail",
        "WL-FS-03": "pass",
        "WL-FS-04": "pass",
        "WL-FS-05": "pass",
        "WL-FS-06": "na",
        "WL-FS-07": "na",
        "WL-FS-08": "na",
        "WL-FS-09": "na",
        "WL-FS-10": "na",
    }
    assert got["WL-FS-01"]["what"] == "Check that /tmp is mounted nodev, nosuid, noexec"
    assert got["WL-FS-01"]["evidence"] == (
        f"/etc/fstab: no entry (missing nodev,nosuid,noexec); {TMPFS_LIVE} (missing noexec);"
        f" not applied live: {CONTAINER}. Expected nodev,nosuid,noexec on /tmp."
    )
    assert got["WL-FS-02"]["evidence"] == (
        f"/etc/fstab: no entry (missing nodev,nosuid,noexec); {TMPFS_LIVE} (missing noexec);"
        f" not applied live: {CONTAINER}. Expected nodev,nosuid,noexec on /dev/shm."
    )
    assert got["WL-FS-03"]["evidence"] == (
        f"no world-writable file, and every world-writable directory has the sticky bit, {WHERE}"
    )
    assert got["WL-FS-04"]["evidence"] == f"every file and directory has a known owner and group, {WHERE}"
    assert got["WL-FS-05"]["evidence"] == (
        f"every SUID/SGID executable is in workstation_linux_suid_sgid_allowed(_extra), {WHERE}"
    )
    assert got["WL-FS-06"]["what"] == (
        "/home is not a separate mount, neither in /etc/fstab nor mounted; a partition of its own is"
        " made when the"
        " disk is laid out"
    )
    assert FAILED(list(got.values())) == ["WL-FS-01", "WL-FS-02"]


def test_the_fixes_write_a_tmpfs_entry_and_never_remount_in_a_container() -> None:
    fixes = FIXES(JUDGE(probe(), None, SETTINGS))
    assert fixes == [
        {
            "id": "WL-FS-01",
            "path": "/tmp",
            "src": "tmpfs",
            "type": "tmpfs",
            "opts": "rw,nosuid,nodev,noexec,relatime,mode=1777",
            "dump": "0",
            "pass": "0",
            "write": True,
            "remount": False,
        },
        {
            "id": "WL-FS-02",
            "path": "/dev/shm",
            "src": "tmpfs",
            "type": "tmpfs",
            "opts": "rw,nosuid,nodev,noexec,relatime",
            "dump": "0",
            "pass": "0",
            "write": True,
            "remount": False,
        },
    ]


def test_after_harden_the_persisted_options_pass_in_a_container() -> None:
    after_mounts = {
        **FRESH_MOUNTS,
        "/tmp": entry(
            fstab=True, src="tmpfs", type="tmpfs", opts="rw,nosuid,nodev,noexec,relatime,mode=1777"
        ),
        "/dev/shm": entry(
            fstab=True, src="tmpfs", type="tmpfs", opts="rw,nosuid,nodev,noexec,relatime", **SHM_LIVE
        ),
    }
    # The after-probe has no scan (SCAN=no): WL-FS-03/04/05 stay judged on the first probe.
    after = {"rc": 0, "stdout": "mounts\t" + json.dumps(after_mounts) + "\n", "stderr": ""}
    got = judge(probe(), after)
    assert got["WL-FS-01"]["status"] == "pass"
    assert got["WL-FS-01"]["evidence"] == (
        "/etc/fstab: tmpfs /tmp tmpfs rw,nosuid,nodev,noexec,relatime,mode=1777; not a separate mount now;"
        f" not applied live: {CONTAINER}"
    )
    assert "not applied live: host is a container" in got["WL-FS-02"]["evidence"]
    assert got["WL-FS-02"]["status"] == "pass"
    assert got["WL-FS-03"]["status"] == "pass"


def test_a_host_that_owns_its_kernel_needs_the_live_mount_too() -> None:
    mounts = {
        **FRESH_MOUNTS,
        "/dev/shm": entry(
            fstab=True, src="tmpfs", type="tmpfs", opts="defaults,noexec,nodev,nosuid", **SHM_LIVE
        ),
        "/tmp": entry(fstab=True, src="tmpfs", type="tmpfs", opts="rw,nosuid,nodev,noexec"),
    }
    got = judge(probe(mounts), live_kernel=True)
    assert got["WL-FS-02"]["status"] == "fail"
    assert got["WL-FS-02"]["evidence"] == (
        f"/etc/fstab: tmpfs /dev/shm tmpfs defaults,noexec,nodev,nosuid; {TMPFS_LIVE}"
        " (missing noexec); remount needed. Expected nodev,nosuid,noexec on /dev/shm."
    )
    assert got["WL-FS-01"]["evidence"].endswith(
        "not a separate mount now; takes effect at next boot: mounting a new filesystem over the"
        " live one would"
        " hide the files and sockets in use. Expected nodev,nosuid,noexec on /tmp."
    )
    fixes = {f["id"]: f for f in FIXES(list(got.values()))}
    assert fixes["WL-FS-02"]["write"] is False and fixes["WL-FS-02"]["remount"] is True
    assert fixes["WL-FS-01"]["write"] is False and fixes["WL-FS-01"]["remount"] is False


def test_an_existing_entry_keeps_its_device_and_loses_the_opposite_options() -> None:
    mounts = {
        **FRESH_MOUNTS,
        "/tmp": entry(
            fstab=True, src="/dev/sda3", type="ext4", opts="defaults,exec", dump="1", **{"pass": "2"}
        ),
    }
    fix = FIXES(JUDGE(probe(mounts), None, SETTINGS))[0]
    assert fix == {
        "id": "WL-FS-01",
        "path": "/tmp",
        "src": "/dev/sda3",
        "type": "ext4",
        "opts": "defaults,nodev,nosuid,noexec",
        "dump": "1",
        "pass": "2",
        "write": True,
        "remount": False,
    }


def test_var_tmp_entry_of_dirty_kernel_fails_then_passes() -> None:
    """dirty/kernel.sh: `tmpfs /var/tmp tmpfs rw,nosuid,mode=1777 0 0`, never mounted in the container."""
    var_tmp = entry(fstab=True, src="tmpfs", type="tmpfs", opts="rw,nosuid,mode=1777")
    got = judge(probe({**FRESH_MOUNTS, "/var/tmp": var_tmp}))
    assert got["WL-FS-08"]["status"] == "fail"
    assert got["WL-FS-08"]["what"] == "Check that /var/tmp is mounted nodev, nosuid, noexec"
    assert got["WL-FS-08"]["evidence"] == (
        "/etc/fstab: tmpfs /var/tmp tmpfs rw,nosuid,mode=1777 (missing nodev,noexec); not mounted now;"
        f" not applied live: {CONTAINER}; the options take effect at the next boot."
        " Expected nodev,nosuid,noexec on /var/tmp."
    )
    fix = FIXES(list(got.values()))[-1]
    assert fix["id"] == "WL-FS-08" and fix["opts"] == "rw,nosuid,mode=1777,nodev,noexec" and fix["write"]
    assert fix["remount"] is False
    fixed = entry(fstab=True, src="tmpfs", type="tmpfs", opts=fix["opts"])
    after = {"rc": 0, "stdout": "mounts\t" + json.dumps({**FRESH_MOUNTS, "/var/tmp": fixed}) + "\n"}
    assert judge(probe({**FRESH_MOUNTS, "/var/tmp": var_tmp}), after)["WL-FS-08"]["status"] == "pass"


def test_mount_controls_on_a_host_that_owns_its_kernel() -> None:
    live = {"mounted": True, "live_type": "ext4", "live_opts": "rw,nosuid,relatime"}
    mounts = {
        **FRESH_MOUNTS,
        "/var/tmp": entry(
            fstab=True, src="UUID=1234", type="ext4", opts="defaults,nodev,nosuid,noexec", **live
        ),
        "/home": entry(mounted=True, live_type="ext4", live_opts="rw,nodev,nosuid"),
        "/var": entry(fstab=True, src="UUID=9", type="ext4", opts="defaults,nodev,nosuid"),
    }
    got = judge(probe(mounts), live_kernel=True)
    assert got["WL-FS-08"]["status"] == "fail"
    assert got["WL-FS-08"]["evidence"].endswith(
        "(missing nodev,noexec); remount needed. Expected nodev,nosuid,noexec on /var/tmp."
    )
    assert FIXES([got["WL-FS-08"]])[0]["remount"] is True and FIXES([got["WL-FS-08"]])[0]["write"] is False
    assert got["WL-FS-06"]["status"] == "fail"
    assert "mounted by something other than /etc/fstab (a systemd mount unit?)" in got["WL-FS-06"]["evidence"]
    assert FIXES([got["WL-FS-06"]])[0]["write"] is False and FIXES([got["WL-FS-06"]])[0]["remount"] is False
    assert got["WL-FS-07"]["status"] == "pass"
    assert got["WL-FS-07"]["evidence"] == (
        "/etc/fstab: UUID=9 /var ext4 defaults,nodev,nosuid; not mounted now; the options take"
        " effect when it is mounted"
    )
    # The same live mount in a container passes: the persisted entry is what counts there.
    assert judge(probe(mounts))["WL-FS-08"]["status"] == "pass"


def test_the_scan_findings_after_the_dirty_script() -> None:
    got = judge(probe(DIRTY_MOUNTS, scan=DIRTY_SCAN))
    assert got["WL-FS-03"]["status"] == "fail"
    assert got["WL-FS-03"]["evidence"] == (
        "1 world-writable file(s): /srv/carehard-dirty/world-writable.txt; 1 world-writable"
        " director(y/ies) without"
        " the sticky bit: /srv/carehard-dirty/shared-no-sticky (at most 50 of each listed),"
        f" {DIRTY_WHERE}. Remove the write bit for others (chmod o-w) or add the sticky bit (chmod +t) after"
        " checking what uses"
        " them."
    )
    assert got["WL-FS-04"]["evidence"] == (
        "1 file(s) or director(y/ies) without a known owner or group:"
        " /srv/carehard-dirty/left-by-a-deleted-account"
        f" (4242:4242) (uid:gid; at most 50 listed), {DIRTY_WHERE}. Give them an owner"
        " (chown) or"
        " remove them: a new account given that UID would own them."
    )
    assert got["WL-FS-05"]["evidence"] == (
        "1 SUID/SGID executable(s) outside workstation_linux_suid_sgid_allowed(_extra):"
        " /usr/local/bin/carehard-dirty-suid (4755 root:root) (mode owner:group; at most 50 listed),"
        f" {DIRTY_WHERE}. Remove the bit (chmod u-s,g-s) or, if the program needs it, add its path to"
        " workstation_linux_suid_sgid_allowed_extra."
    )
    # audit-only: no fix for WL-FS-03/04/05
    assert [f["id"] for f in FIXES(list(got.values()))] == ["WL-FS-01", "WL-FS-02", "WL-FS-08"]


def test_a_scan_that_timed_out_fails_saying_so() -> None:
    scan = CLEAN_SCAN.replace("mp\t/\n", "mp\t/\ntimeout\t/\n").replace(
        "count\ttimeout\t0", "count\ttimeout\t1"
    )
    got = judge(probe(scan=scan))
    assert got["WL-FS-04"]["status"] == "fail"
    assert got["WL-FS-04"]["evidence"].startswith(
        "0 file(s) or director(y/ies) without a known owner or group (uid:gid;"
    )
    assert (
        f"{WHERE[:-1]}); the scan of / did not finish within 900 s"
        " (workstation_linux_fs_scan_timeout)." in got["WL-FS-04"]["evidence"]
    )


def test_a_probe_that_failed_is_an_error_of_every_selected_control() -> None:
    got = judge(probe(rc=2, stderr="bash: findmnt: command not found\n"))
    assert {v["status"] for v in got.values()} == {"error"}
    assert (
        got["WL-FS-05"]["evidence"] == "the filesystem probe failed (rc 2): bash: findmnt: command not found"
    )
    assert FIXES(list(got.values())) == []


@pytest.mark.parametrize("before", [None, "garbage", {"skipped": True}, {"rc": None, "msg": "timed out"}])
def test_no_probe_result_is_an_error(before: Any) -> None:
    assert {v["status"] for v in judge(before).values()} == {"error"}


def test_garbage_output_or_a_missing_section() -> None:
    got = judge({"rc": 0, "stdout": "mounts\t{not json\nwhatever\n"})
    assert {v["status"] for v in got.values()} == {"error"}
    assert got["WL-FS-01"]["evidence"].startswith("the filesystem probe printed nothing readable for /tmp")
    assert got["WL-FS-03"]["evidence"].startswith("the filesystem probe printed no scan counts")
    no_scan = judge(probe(scan=""))
    assert no_scan["WL-FS-03"]["status"] == "error" and no_scan["WL-FS-01"]["status"] == "fail"
    no_tmp = {k: v for k, v in FRESH_MOUNTS.items() if k != "/tmp"}
    missing = judge(probe(no_tmp))
    assert missing["WL-FS-01"]["status"] == "error" and missing["WL-FS-02"]["status"] == "fail"


def test_unselected_switched_off_held_and_unsupported() -> None:
    got = judge(probe(), run_tags=["WL-FS-01", "WL-FS-03", "WL-FS-08"], skip_tags=["WL-FS-03"])
    assert list(got) == ["WL-FS-01", "WL-FS-08"]
    got = judge(probe(), switches={**SETTINGS["switches"], "WL-FS-02": False}, held=["WL-FS-05", "WL-FS-09"])
    assert got["WL-FS-02"] == {
        "id": "WL-FS-02",
        "what": "switched off (workstation_linux_wl_fs_02: false)",
        "status": "na",
        "evidence": "switched off (workstation_linux_wl_fs_02: false)",
    }
    assert got["WL-FS-05"]["status"] == "na" and got["WL-FS-05"]["what"].startswith("held by a waiver")
    assert got["WL-FS-09"]["status"] == "na" and got["WL-FS-09"]["what"].startswith("held by a waiver")
    unsupported = judge(None, supported=False)
    assert {v["status"] for v in unsupported.values()} == {"na"}


def test_the_plan_reads_only_what_the_active_controls_need() -> None:
    assert PLAN(SETTINGS) == {
        "active": IDS,
        "mount_points": "/tmp /dev/shm /home /var /var/tmp /var/log /var/log/audit",
        "scan": True,
    }
    only = PLAN({**SETTINGS, "run_tags": ["WL-FS-02", "WL-FS-08"], "held": ["WL-FS-08"]})
    assert only == {"active": ["WL-FS-02"], "mount_points": "/dev/shm", "scan": False}
    assert PLAN({**SETTINGS, "supported": False})["active"] == []
    assert PLAN(None) == {"active": [], "mount_points": "", "scan": False}
