"""The judge of the services and packages in use (WL-SVC-01..05) and of chrony's account (WL-SVC-12),
filter_plugins/services_in_use_judge.py, on probe output recorded on a Debian 12 test host (fresh;
after tests/integration/dirty/fs_services.sh; after harden): pass, fail, not applicable, error,
unselected, switched-off and held controls, exact evidence. The plugin is loaded by path, as Ansible
loads it, and reached through its registered names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "roles/workstation_linux/filter_plugins/services_in_use_judge.py"
IDS = ["WL-SVC-01", "WL-SVC-02", "WL-SVC-03", "WL-SVC-04", "WL-SVC-05", "WL-SVC-12"]


def filters() -> dict[str, Callable[..., Any]]:
    return plugin_filters(PLUGIN)


F = filters()
JUDGE, FAILED, ENV, PROBED = F["svcon_judge"], F["svcon_failed"], F["svcon_probe_env"], F["svcon_probed"]
LEGACY = [
    "telnetd", "inetutils-telnetd", "rsh-server", "rsh-redone-server", "tftpd", "tftpd-hpa", "atftpd",
    "xinetd", "nis", "ypserv", "talkd", "inetutils-talkd",
]  # fmt: skip
SETTINGS: dict[str, Any] = {
    "run_tags": ["all"],
    "skip_tags": [],
    "switches": {i: True for i in IDS},
    "held": [],
    "supported": True,
    "avahi_needed": False,
    "cups_needed": False,
    "watched": [
        *LEGACY,
        "avahi-daemon",
        "avahi-autoipd",
        "cups",
        "cups-daemon",
        "cups-browsed",
        "unattended-upgrades",
    ],
    "legacy_packages": LEGACY,
    "avahi_packages": ["avahi-daemon", "avahi-autoipd"],
    "avahi_units": ["avahi-daemon.socket", "avahi-daemon.service"],
    "cups_packages": ["cups", "cups-daemon", "cups-browsed"],
    "cups_units": ["cups.socket", "cups.path", "cups.service", "cups-browsed.service"],
    "removal_test": "dpkg --dry-run --remove",
    "autoupdate": "apt",
    "autoupdate_package": "unattended-upgrades",
    "autoupdate_units": ["apt-daily.timer", "apt-daily-upgrade.timer"],
    "dnf_conf": "",
    "time_daemon": "chrony",
    "time_package": "chrony",
    "time_service": "chrony",
    "ntp_servers": [],
    "live_kernel": False,
    "not_live_reason": "host is a container: the kernel belongs to the machine",
    "distribution": "Debian",
    "chrony_conf": "/etc/chrony/chrony.conf",
    "chrony_user": "_chrony",
    "chrony_options_file": "/etc/default/chrony",
}


def probe(stdout: str, rc: int = 0, stderr: str = "") -> dict[str, Any]:
    return {"rc": rc, "stdout": stdout, "stderr": stderr, "changed": False}


UNITS_ABSENT = """unit cups.socket not-found inactive 
unit cups.path not-found inactive 
unit cups.service not-found inactive 
unit cups-browsed.service not-found inactive 
unit apt-daily.timer masked inactive masked
unit apt-daily-upgrade.timer masked inactive masked
"""  # noqa: W291 (the probe's lines end in a space where a unit has no file state)
# A fresh Debian 12 test host (recorded).
FRESH = (
    "== pkgs\n== removal avahi\n== removal cups\n== units\n"
    "unit avahi-daemon.socket not-found inactive \nunit avahi-daemon.service not-found inactive \n"
    + UNITS_ABSENT
    + "unit chrony.service not-found inactive \n== au\nupdate_lists=\nunattended=\nenable=\n== time\n"
    "== chrony\nnoconf\n== end"
)
# After tests/integration/dirty/fs_services.sh (recorded): a telnet server and Avahi installed.
DIRTY = (
    "== pkgs\npkg avahi-daemon\npkg inetutils-telnetd\n== removal avahi\nrc 0\n"
    "out (Reading database ... 11564 files and directories currently installed.)\n"
    "out Would remove or purge avahi-daemon (0.8-10+deb12u1) ...\n== removal cups\n== units\n"
    "unit avahi-daemon.socket loaded active enabled\nunit avahi-daemon.service loaded inactive enabled\n"
    + UNITS_ABSENT
    + "unit chrony.service not-found inactive \n== au\nupdate_lists=\nunattended=\nenable=\n== time\n"
    "== chrony\nnoconf\n== end"
)

# After harden (recorded on the same host, a container: chronyd does not run there).
HARDENED = (
    "== pkgs\npkg chrony\npkg unattended-upgrades\n== removal avahi\n== removal cups\n== units\n"
    "unit avahi-daemon.socket not-found inactive \nunit avahi-daemon.service not-found inactive \n"
    + UNITS_ABSENT.replace("masked inactive masked", "loaded active enabled")
    + "unit chrony.service loaded inactive enabled\n== au\nupdate_lists=1\nunattended=1\nenable=\n"
    "origin=origin=Debian,codename=${distro_codename},label=Debian\n"
    "origin=origin=Debian,codename=${distro_codename},label=Debian-Security\n"
    "origin=origin=Debian,codename=${distro_codename}-security,label=Debian-Security\n"
    "== time\nsource=pool 2.debian.pool.ntp.org\n== chrony\n== end"
)
HARDENED_04 = (
    'unattended-upgrades installed; APT::Periodic::Update-Package-Lists "1", Unattended-Upgrade "1"'
    " (apt-config); security origins: origin=Debian,codename=${distro_codename},label=Debian-Security,"
    " origin=Debian,codename=${distro_codename}-security,label=Debian-Security;"
    " timers apt-daily.timer active/enabled, apt-daily-upgrade.timer active/enabled"
)
HARDENED_05 = (
    "chrony installed, chrony enabled; sources: pool 2.debian.pool.ntp.org; not running (inactive):"
    " host is a container: the kernel belongs to the machine; time is the machine's to keep"
)
HARDENED_12 = (
    "no user directive nor -u option: chronyd drops root for _chrony (its default); chronyd not running"
)


def judged(stdout: str, rc: int = 0, **changes: Any) -> dict[str, dict[str, Any]]:
    settings = {**SETTINGS, **changes}
    return {i["id"]: i for i in JUDGE(probe(stdout, rc), settings)}


def test_fresh_host() -> None:
    items = judged(FRESH)
    assert {i: items[i]["status"] for i in IDS} == {
        "WL-SVC-01": "pass",
        "WL-SVC-02": "pass",
        "WL-SVC-03": "pass",
        "WL-SVC-04": "fail",
        "WL-SVC-05": "fail",
        "WL-SVC-12": "pass",
    }
    assert items["WL-SVC-01"]["evidence"] == f"none of {', '.join(LEGACY)} is installed"
    assert items["WL-SVC-02"]["evidence"] == "not installed (avahi-daemon, avahi-autoipd)"
    assert items["WL-SVC-03"]["evidence"] == "not installed (cups, cups-daemon, cups-browsed)"
    assert items["WL-SVC-04"]["evidence"] == (
        'unattended-upgrades not installed; APT::Periodic::Update-Package-Lists "", Unattended-Upgrade ""'
        " (apt-config); security origins: none; timers apt-daily.timer inactive/masked,"
        " apt-daily-upgrade.timer inactive/masked. Expected unattended-upgrades with both periodic settings"
        ' "1", a security origin, and apt-daily.timer and apt-daily-upgrade.timer enabled and active'
        " (a file read later in apt.conf.d may override carehard's)."
    )
    assert items["WL-SVC-05"]["evidence"] == (
        "chrony not installed; chrony not found/inactive; sources: none."
        " Expected it installed, enabled, with at least one pool or server."
    )
    assert items["WL-SVC-12"]["evidence"] == "chrony not installed (WL-SVC-05 installs it)"
    assert items["WL-SVC-01"]["what"] == "Check that no legacy cleartext server is installed"
    failed = FAILED(list(items.values()))
    assert sorted(failed) == ["WL-SVC-04", "WL-SVC-05"]
    assert failed["WL-SVC-04"] == {
        "install": True,
        "periodic": True,
        "origins": True,
        "dnf_conf": False,
        "units": ["apt-daily.timer", "apt-daily-upgrade.timer"],
    }
    assert failed["WL-SVC-05"] == {"install": True, "package": "chrony", "enable": True}


def test_dirty_host() -> None:
    items = judged(DIRTY)
    assert items["WL-SVC-01"]["status"] == "fail"
    assert items["WL-SVC-01"]["evidence"] == (
        "installed: inetutils-telnetd (cleartext telnet, rsh, tftp, xinetd, NIS or talk servers);"
        " expected none of them. Use SSH instead."
    )
    assert items["WL-SVC-02"]["status"] == "fail"
    assert items["WL-SVC-02"]["evidence"] == (
        "installed: avahi-daemon; units avahi-daemon.socket active/enabled, avahi-daemon.service"
        " inactive/enabled. Expected Avahi removed, or its units stopped and masked; set"
        " workstation_linux_avahi_needed: true where the host needs mDNS discovery."
    )
    failed = FAILED(list(items.values()))
    assert failed["WL-SVC-01"] == {"remove": ["inetutils-telnetd"]}
    assert failed["WL-SVC-02"] == {
        "remove": ["avahi-daemon"],
        "removable": True,
        "live": ["avahi-daemon.socket", "avahi-daemon.service"],
    }


def test_a_daemon_others_depend_on_is_masked_and_the_dependants_named() -> None:
    out = DIRTY.replace(
        "rc 0\n",
        "rc 1\nerr dpkg: dependency problems prevent removal of avahi-daemon:\nerr  gnome depends on it.\n",
    )
    items = judged(out)
    assert items["WL-SVC-02"]["evidence"] == (
        "installed: avahi-daemon; units avahi-daemon.socket active/enabled, avahi-daemon.service"
        " inactive/enabled. Expected Avahi removed (other packages depend on it: (Reading database ..."
        " 11564 files and directories currently installed.)\nWould remove or purge avahi-daemon"
        " (0.8-10+deb12u1) ... dpkg: dependency problems prevent removal of avahi-daemon:\n gnome depends"
        " on it.), or its units stopped and masked; set workstation_linux_avahi_needed: true where the host"
        " needs mDNS discovery."
    )
    assert FAILED(list(items.values()))["WL-SVC-02"]["removable"] is False
    masked = out.replace("loaded active enabled", "loaded inactive masked").replace(
        "loaded inactive enabled", "loaded inactive masked"
    )
    items = judged(masked)
    assert items["WL-SVC-02"]["status"] == "pass"
    assert items["WL-SVC-02"]["evidence"] == (
        "installed (avahi-daemon) but stopped and masked: avahi-daemon.socket inactive/masked,"
        " avahi-daemon.service inactive/masked"
    )


def test_hardened_host() -> None:
    items = judged(HARDENED)
    assert {i: items[i]["status"] for i in IDS} == dict.fromkeys(IDS, "pass")
    assert items["WL-SVC-04"]["evidence"] == HARDENED_04
    assert items["WL-SVC-05"]["evidence"] == HARDENED_05
    assert items["WL-SVC-12"]["evidence"] == HARDENED_12
    assert FAILED(list(items.values())) == {}


def test_time_on_a_live_kernel_runs_and_servers_are_compared() -> None:
    items = judged(HARDENED, live_kernel=True)
    assert items["WL-SVC-05"]["status"] == "fail"
    assert items["WL-SVC-05"]["evidence"] == (
        "chrony installed; chrony enabled/inactive; sources: pool 2.debian.pool.ntp.org."
        " Expected it installed, enabled and running, with at least one pool or server."
    )
    assert FAILED(list(items.values()))["WL-SVC-05"]["enable"] is True
    running = HARDENED.replace(
        "chrony.service loaded inactive enabled", "chrony.service loaded active enabled"
    )
    assert judged(running, live_kernel=True)["WL-SVC-05"]["evidence"] == (
        "chrony installed, chrony enabled; sources: pool 2.debian.pool.ntp.org; running (active)"
    )
    items = judged(HARDENED, ntp_servers=["ntp1.example.org"])
    assert items["WL-SVC-05"]["status"] == "fail"
    assert items["WL-SVC-05"]["evidence"].endswith(
        "Expected it installed, enabled, with the servers ntp1.example.org only."
    )


def test_chrony_run_as_root() -> None:
    out = HARDENED.replace("== chrony\n", "== chrony\nconf root\nopts root\n")
    items = judged(out)
    assert items["WL-SVC-12"]["status"] == "fail"
    assert items["WL-SVC-12"]["evidence"] == (
        "user directive: root, -u option: root;"
        " expected _chrony (remove the -u option from /etc/default/chrony)."
    )
    assert FAILED(list(items.values()))["WL-SVC-12"] == {"conf": True, "running": False}
    out = HARDENED.replace("== chrony\n", "== chrony\nconf nobody\nproc root\n")
    assert (
        judged(out)["WL-SVC-12"]["evidence"]
        == "user directive: nobody, chronyd runs as root; expected _chrony."
    )


@pytest.mark.parametrize(
    ("stdout", "rc", "why"),
    [
        (FRESH, 1, "the services probe broke (rc 1): boom"),
        ("garbage", 0, "the services probe was cut short (no end mark): 'garbage'"),
        ("== units\n== end", 0, "the services probe's output is unexpected: KeyError('no "),
    ],
)
def test_a_broken_probe_is_an_error_of_each_control(stdout: str, rc: int, why: str) -> None:
    items = JUDGE({"rc": rc, "stdout": stdout, "stderr": "boom"}, SETTINGS)
    assert [i["id"] for i in items] == IDS
    for item in items:
        assert item["status"] == "error", item
        assert item["evidence"].startswith(why), item
    assert JUDGE(None, SETTINGS)[0]["evidence"] == "the services probe gave no result"
    assert JUDGE({"skipped": True}, SETTINGS)[0]["evidence"] == "the services probe did not run"


def test_unselected_switched_off_held_and_not_applicable() -> None:
    settings = {
        **SETTINGS,
        "run_tags": ["WL-SVC-01", "WL-SVC-02", "WL-SVC-03", "WL-SVC-12"],
        "skip_tags": ["WL-SVC-03"],
        "switches": {**SETTINGS["switches"], "WL-SVC-01": False},
        "held": ["WL-SVC-12"],
        "avahi_needed": True,
    }
    items = JUDGE(probe(FRESH), settings)
    assert [(i["id"], i["status"], i["what"]) for i in items] == [
        ("WL-SVC-01", "na", "switched off (workstation_linux_wl_svc_01: false)"),
        ("WL-SVC-02", "na", "workstation_linux_avahi_needed is true: the host needs mDNS discovery"),
        ("WL-SVC-12", "na", "held by a waiver: not checked nor changed"),
    ]
    assert PROBED(settings) == []
    assert ENV(settings)["PARTS"] == ""
    other = JUDGE(None, {**SETTINGS, "supported": False, "time_daemon": "systemd-timesyncd"})
    assert {i["what"] for i in other[:5]} == {
        "no service controls for this OS family (workstation_linux__fs_services_supported is false)"
    }
    assert other[5]["what"] == "workstation_linux_time_sync_daemon is systemd-timesyncd, not chrony"
    assert (
        JUDGE(None, {**SETTINGS, "chrony_user": ""})[5]["what"]
        == "no chrony account known for this OS family"
    )


def test_the_probe_reads_only_for_the_controls_probed() -> None:
    env = ENV(SETTINGS)
    assert env["PARTS"] == "pkgs avahi cups au time chrony units"
    assert env["UNITS"].split() == [
        "avahi-daemon.socket", "avahi-daemon.service", "cups.socket", "cups.path", "cups.service",
        "cups-browsed.service", "apt-daily.timer", "apt-daily-upgrade.timer", "chrony.service",
    ]  # fmt: skip
    assert ENV({**SETTINGS, "run_tags": ["WL-SVC-12"]})["PARTS"] == "chrony"


def test_dnf_automatic_and_a_daemon_the_distribution_does_not_ship() -> None:
    out = FRESH.replace("== au\nupdate_lists=\nunattended=\nenable=\n", "== au\napply_updates=no\n")
    items = judged(
        out, autoupdate="dnf", autoupdate_package="dnf-automatic", dnf_conf="/etc/dnf/automatic.conf"
    )
    assert items["WL-SVC-04"]["evidence"].startswith(
        "dnf-automatic not installed; apply_updates = no, upgrade_type = unset in /etc/dnf/automatic.conf;"
    )
    items = judged(FRESH, time_daemon="systemd-timesyncd", time_package="", distribution="RedHat")
    assert items["WL-SVC-05"]["evidence"].startswith(
        "workstation_linux_time_sync_daemon is systemd-timesyncd, which RedHat does not ship:"
        " set it to chrony."
    )
