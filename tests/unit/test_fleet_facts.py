"""fleet_facts (roles/compliance_facts/library): each parser on real-format samples, the gathering on files
made in tmp_path, and one real read-only run of the module on this machine through `ansible`.
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import re
import subprocess
import sys
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "roles/compliance_facts/library"
sys.path.insert(0, str(LIBRARY))
import fleet_facts  # noqa: E402

UTC = timezone.utc  # noqa: UP017  (the module's own spelling; it runs on older Pythons)
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

# ---- os ---------------------------------------------------------------------------------------------

DEBIAN_12 = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"""

UBUNTU_2404 = """PRETTY_NAME="Ubuntu 24.04.1 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04.1 LTS (Noble Numbat)"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=noble
LOGO=ubuntu-logo
"""

ROCKY_9 = """NAME="Rocky Linux"
VERSION="9.4 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"
ANSI_COLOR="0;32"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
HOME_URL="https://rockylinux.org/"
BUG_REPORT_URL="https://bugs.rockylinux.org/"
SUPPORT_END="2032-05-31"
ROCKY_SUPPORT_PRODUCT="Rocky-Linux-9"
ROCKY_SUPPORT_PRODUCT_VERSION="9.4"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.4"
"""

ALPINE = """NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.20.3
PRETTY_NAME="Alpine Linux v3.20"
HOME_URL="https://alpinelinux.org/"
BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            DEBIAN_12,
            ("debian", "debian", "Debian GNU/Linux", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)"),
        ),
        (UBUNTU_2404, ("debian", "ubuntu", "Ubuntu", "24.04", "noble", "Ubuntu 24.04.1 LTS")),
        (ROCKY_9, ("rhel", "rocky", "Rocky Linux", "9.4", None, "Rocky Linux 9.4 (Blue Onyx)")),
        (ALPINE, ("other", "alpine", "Alpine Linux", "3.20.3", None, "Alpine Linux v3.20")),
    ],
)
def test_os_release_of_each_family(text: str, expected: tuple[Any, ...]) -> None:
    section = fleet_facts.os_section(fleet_facts.parse_os_release(text), "6.1.0-26-amd64", None)
    got = tuple(section[k] for k in ("family", "id", "name", "version", "codename", "pretty"))
    assert got == expected
    assert section["kernel"] == "6.1.0-26-amd64"
    assert section["edition"] is None and section["build"] is None and section["error"] is None


def test_no_os_release_is_other_with_an_error() -> None:
    section = fleet_facts.os_section({}, "5.10.0", None)
    assert section["family"] == "other" and section["id"] is None
    assert "os-release" in section["error"]


def test_last_boot_from_proc_stat_and_uptime() -> None:
    stat = "cpu  4705 356 584 3699176 23060 0 277 0 0 0\nintr 114930548 113199788 3 0\nbtime 1732086000\n"
    assert fleet_facts.boot_time_from_proc_stat(stat) == "2024-11-20T07:00:00Z"
    assert fleet_facts.boot_time_from_proc_stat("cpu 1 2 3\n") is None
    paris_winter = timezone(timedelta(hours=1))
    assert (
        fleet_facts.boot_time_from_uptime_s("2024-11-20 08:00:00\n", paris_winter) == "2024-11-20T07:00:00Z"
    )
    assert fleet_facts.boot_time_from_uptime_s("up 3 days") is None


# ---- listeners --------------------------------------------------------------------------------------

SS_TULPN = """Netid State  Recv-Q Send-Q                     Local Address:Port  Peer Address:PortProcess
udp   UNCONN 0      0                          127.0.0.53%lo:53         0.0.0.0:*    users:(("systemd-resolve",pid=402,fd=13))
udp   UNCONN 0      0                                0.0.0.0:68         0.0.0.0:*    users:(("dhclient",pid=512,fd=7))
udp   UNCONN 0      0         [fe80::5054:ff:fe12:3456]%ens3:546           [::]:*    users:(("systemd-network",pid=390,fd=20))
tcp   LISTEN 0      4096                       127.0.0.53%lo:53         0.0.0.0:*    users:(("systemd-resolve",pid=402,fd=14))
tcp   LISTEN 0      128                              0.0.0.0:22         0.0.0.0:*    users:(("sshd",pid=700,fd=3))
tcp   LISTEN 0      128                                 [::]:22            [::]:*    users:(("sshd",pid=700,fd=4))
tcp   LISTEN 0      511                                    *:80               *:*    users:(("apache2",pid=1201,fd=4),("apache2",pid=1200,fd=4))
tcp   LISTEN 0      50                    [::ffff:127.0.0.1]:8005               *:*    users:(("java",pid=2100,fd=50))
tcp   LISTEN 0      128                              0.0.0.0:3389         0.0.0.0:*
"""  # noqa: E501


def test_ss_ipv4_ipv6_udp_interfaces_and_wildcards() -> None:
    got = [
        (e["proto"], e["address"], e["port"], e["process"], e["pid"]) for e in fleet_facts.parse_ss(SS_TULPN)
    ]
    assert got == [
        ("udp", "127.0.0.53", 53, "systemd-resolve", 402),
        ("udp", "0.0.0.0", 68, "dhclient", 512),
        ("udp", "fe80::5054:ff:fe12:3456", 546, "systemd-network", 390),
        ("tcp", "127.0.0.53", 53, "systemd-resolve", 402),
        ("tcp", "0.0.0.0", 22, "sshd", 700),
        ("tcp", "::", 22, "sshd", 700),
        ("tcp", "::", 80, "apache2", 1201),
        ("tcp", "127.0.0.1", 8005, "java", 2100),
        ("tcp", "0.0.0.0", 3389, None, None),
    ]


def test_listeners_are_deduplicated_and_sorted() -> None:
    twice = fleet_facts.parse_ss(SS_TULPN + SS_TULPN.splitlines()[5] + "\n")
    unique = fleet_facts.dedupe_listeners(twice)
    assert len(twice) == 10 and len(unique) == 9
    assert [(e["proto"], e["port"], e["address"]) for e in unique][:4] == [
        ("tcp", 22, "0.0.0.0"),
        ("tcp", 22, "::"),
        ("tcp", 53, "127.0.0.53"),
        ("tcp", 80, "::"),
    ]


PROC_NET_TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18312 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000   109        0 20931 1 0000000000000000 100 0 0 10 0
   2: 0F02000A:0016 0202000A:D2F4 01 00000000:00000000 02:0009B52F 00000000     0        0 25614 4 0000000000000000 20 4 31 10 -1
"""  # noqa: E501
PROC_NET_TCP6 = """  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18314 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 19001 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 19002 1 0000000000000000 100 0 0 10 0
"""  # noqa: E501
PROC_NET_UDP = """   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  310: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 17345 2 0000000000000000 0
  498: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 16220 2 0000000000000000 0
  600: 0F02000A:A1B2 08080808:0035 01 00000000:00000000 00:00000000 00000000  1000        0 30001 2 0000000000000000 0
"""  # noqa: E501


@pytest.mark.skipif(sys.byteorder != "little", reason="the samples are from a little-endian host")
def test_proc_net_listening_tcp_and_unconnected_udp() -> None:
    def rows(text: str, proto: str) -> list[tuple[Any, ...]]:
        return [
            (e["address"], e["port"], e["uid"], e["inode"]) for e in fleet_facts.parse_proc_net(text, proto)
        ]

    assert rows(PROC_NET_TCP, "tcp") == [("0.0.0.0", 22, 0, 18312), ("127.0.0.1", 3306, 109, 20931)]
    assert rows(PROC_NET_TCP6, "tcp") == [
        ("::", 22, 0, 18314),
        ("::1", 631, 0, 19001),
        ("127.0.0.1", 8080, 1000, 19002),
    ]
    assert rows(PROC_NET_UDP, "udp") == [("0.0.0.0", 68, 0, 17345), ("127.0.0.53", 53, 101, 16220)]


class NoSsHost(fleet_facts.Host):
    def run(self, argv: list[str]) -> fleet_facts.Outcome:
        if argv[0] == "ss":
            return fleet_facts.Outcome(None, problem="ss not found")
        return super().run(argv)


@pytest.mark.parametrize("host_class", [fleet_facts.Host, NoSsHost], ids=["ss", "proc-net"])
def test_listeners_of_this_process_are_found(host_class: type[fleet_facts.Host]) -> None:
    """Sockets this test opens are found with their process, pid and user, through ss and /proc/net."""
    if (
        host_class is fleet_facts.Host
        and fleet_facts.shutil.which("ss", path=fleet_facts.SEARCH_PATH) is None
    ):
        pytest.skip("no ss here")
    import pwd
    import socket

    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp,
        socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as udp,
    ):
        tcp.bind(("127.0.0.1", 0))
        tcp.listen()
        udp.bind(("::1", 0))
        tcp_port, udp_port = tcp.getsockname()[1], udp.getsockname()[1]
        warnings: list[str] = []
        found = fleet_facts.gather_listeners(host_class(timeout=30), warnings.append)
    mine = {(e["proto"], e["address"], e["port"]): e for e in found if e["pid"] == os.getpid()}
    me = pwd.getpwuid(os.geteuid()).pw_name
    comm = Path(f"/proc/{os.getpid()}/comm").read_text().strip()
    tcp_entry = mine[("tcp", "127.0.0.1", tcp_port)]
    udp_entry = mine[("udp", "::1", udp_port)]
    for entry in (tcp_entry, udp_entry):
        assert (entry["process"], entry["user"]) == (comm, me)
    assert warnings == []


def test_process_owner_and_socket_links() -> None:
    status = (
        "Name:\tsshd\nUmask:\t0022\nState:\tS (sleeping)\nPid:\t700\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
    )
    assert fleet_facts.parse_status_uid(status) == 0  # the effective uid
    assert fleet_facts.parse_status_uid("Name:\tx\n") is None
    assert fleet_facts.socket_inode("socket:[18312]") == 18312
    assert fleet_facts.socket_inode("/dev/null") is None
    assert fleet_facts.socket_inode("anon_inode:[eventpoll]") is None


# ---- updates ----------------------------------------------------------------------------------------

APT_SIMULATION_DEBIAN_12 = """NOTE: This is only a simulation!
      apt-get needs root privileges for real execution.
      Keep also in mind that locking is deactivated,
      so don't depend on the relevance to the real current situation!
Reading package lists...
Building dependency tree...
Reading state information...
Calculating upgrade...
The following NEW packages will be installed:
  linux-image-6.1.0-27-amd64
The following packages will be upgraded:
  base-files libgcrypt20 libgcrypt20-dev liblzma5 linux-image-amd64
5 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.
Inst base-files [12.4+deb12u11] (12.4+deb12u15 Debian:12.15/oldstable [amd64])
Conf base-files (12.4+deb12u15 Debian:12.15/oldstable [amd64])
Inst libgcrypt20-dev [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64]) []
Inst libgcrypt20 [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64])
Inst liblzma5 [5.4.1-1] (5.4.1-1+deb12u2 Debian-Security:12/oldstable-security [amd64])
Inst linux-image-6.1.0-27-amd64 (6.1.115-1 Debian-Security:12/oldstable-security [amd64])
Inst linux-image-amd64 [6.1.112-1] (6.1.115-1 Debian-Security:12/oldstable-security [amd64])
Conf libgcrypt20 (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64])
Conf liblzma5 (5.4.1-1+deb12u2 Debian-Security:12/oldstable-security [amd64])
"""  # noqa: E501

APT_SIMULATION_UBUNTU = """Inst libssl3t64 [3.0.13-0ubuntu3.1] (3.0.13-0ubuntu3.4 Ubuntu:24.04/noble-updates, Ubuntu:24.04/noble-security [amd64])
Inst tzdata [2024a-3ubuntu1.1] (2025b-0ubuntu0.24.04 Ubuntu:24.04/noble-updates [all])
"""  # noqa: E501


def test_apt_simulation_keeps_only_security_candidates() -> None:
    assert fleet_facts.parse_apt_simulation(APT_SIMULATION_DEBIAN_12) == [
        "libgcrypt20",
        "libgcrypt20-dev",
        "liblzma5",
        "linux-image-6.1.0-27-amd64",
        "linux-image-amd64",
    ]
    assert fleet_facts.parse_apt_simulation(APT_SIMULATION_UBUNTU) == ["libssl3t64"]
    assert (
        fleet_facts.parse_apt_simulation("Reading package lists...\n0 upgraded, 0 newly installed.\n") == []
    )


APT_HISTORY = """
Start-Date: 2026-10-01  06:12:03
Commandline: /usr/bin/unattended-upgrade
Upgrade: libssl3:amd64 (3.0.15-1~deb12u1, 3.0.17-1~deb12u2), openssl:amd64 (3.0.15-1~deb12u1, 3.0.17-1~deb12u2)
End-Date: 2026-10-01  06:12:09

Start-Date: 2026-10-20  10:00:01
Commandline: apt-get dist-upgrade -y
Requested-By: alice (1000)
Upgrade: libc6:amd64 (2.36-9+deb12u9, 2.36-9+deb12u10), libc-bin:amd64 (2.36-9+deb12u9, 2.36-9+deb12u10)
Error: Sub-process /usr/bin/dpkg returned an error code (1)
End-Date: 2026-10-20  10:01:44

Start-Date: 2026-10-25  09:00:00
Commandline: apt-get install -y htop
Requested-By: alice (1000)
Install: htop:amd64 (3.2.2-2), libnl-genl-3-200:amd64 (3.7.0-0.2+b1, automatic)
End-Date: 2026-10-25  09:00:03

Start-Date: 2026-10-26  09:00:00
Commandline: apt-get upgrade -y
Upgrade: curl:amd64 (7.88.1-10+deb12u12, 7.88.1-10+deb12u14)
"""  # noqa: E501
APT_HISTORY_ROTATED = """
Start-Date: 2026-09-03  07:00:00
Commandline: apt-get upgrade -y
Upgrade: tzdata:amd64 (2025b-0+deb12u1, 2025b-0+deb12u2)
End-Date: 2026-09-03  07:00:40
"""


def test_apt_history_newest_successful_upgrade() -> None:
    # the failed dist-upgrade (Error:), the install of a new package and the unfinished run do not count
    assert fleet_facts.parse_apt_history([APT_HISTORY_ROTATED, APT_HISTORY], UTC) == "2026-10-01T06:12:09Z"
    assert fleet_facts.parse_apt_history([APT_HISTORY_ROTATED], timezone(timedelta(hours=2))) == (
        "2026-09-03T05:00:40Z"
    )
    assert fleet_facts.parse_apt_history(["", APT_HISTORY.split("\n\n")[3]], UTC) is None


def test_rotated_history_is_read_through_gzip(tmp_path: Path) -> None:
    rotated = tmp_path / "history.log.1.gz"
    with gzip.open(rotated, "wt", encoding="utf-8") as handle:
        handle.write(APT_HISTORY_ROTATED)
    text = fleet_facts.Host.read(str(rotated))
    assert text == APT_HISTORY_ROTATED
    assert fleet_facts.Host.read(str(tmp_path / "absent")) is None


DNF_UPDATEINFO = """RLSA-2024:2559 Moderate/Sec.  less-590-3.el9_3.x86_64
RLSA-2024:3339 Important/Sec. glibc-2.34-100.el9_4.2.x86_64
RLSA-2024:3339 Important/Sec. glibc-common-2.34-100.el9_4.2.x86_64
RLSA-2024:3306 Moderate/Sec.  openssl-libs-1:3.0.7-27.el9.x86_64
RLSA-2024:4211 Important/Sec. kernel-core-5.14.0-427.22.1.el9_4.x86_64
"""

DNF_HISTORY = """ID     | Command line                                          | Date and time    | Action(s)      | Altered
-------------------------------------------------------------------------------------------------------------------
     7 | upgrade -y                                            | 2026-10-22 03:10 | Upgrade        |   14 ##
     6 | install -y tmux                                       | 2026-10-21 12:00 | Install        |    1
     5 | update --security -y                                  | 2026-10-12 03:00 | I, U           |   23 EE
     4 | upgrade                                               | 2026-10-02 08:00 | Upgrade        |    5 **
     3 |                                                       | 2026-09-01 08:00 | Upgrade        |    9
"""  # noqa: E501


def test_dnf_security_names_and_last_successful_transaction() -> None:
    assert fleet_facts.parse_dnf_updateinfo(DNF_UPDATEINFO + "updateinfo list done\n") == [
        "glibc",
        "glibc-common",
        "kernel-core",
        "less",
        "openssl-libs",
    ]
    assert fleet_facts.nevra_name("openssl-libs-1:3.0.7-27.el9.x86_64") == "openssl-libs"
    # 7 failed (#), 6 only installed, 5 upgraded with scriptlet output (E: still a success)
    assert fleet_facts.parse_dnf_history(DNF_HISTORY, UTC) == "2026-10-12T03:00:00Z"
    assert fleet_facts.parse_dnf_history("\n".join(DNF_HISTORY.splitlines()[:4]), UTC) is None


def test_updates_time_out_into_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fleet_facts, "APT_SIMULATION", ["sleep", "5"])
    section = fleet_facts.gather_updates(fleet_facts.Host(timeout=1), "debian")
    assert section["manager"] == "apt"
    assert section["pending_security_count"] is None and section["pending_security"] == []
    assert "`sleep 5` did not finish within 1 s" in section["error"]


def test_updates_of_an_unknown_family_say_why() -> None:
    section = fleet_facts.gather_updates(fleet_facts.Host(timeout=5), "other")
    assert section["manager"] is None and section["pending_security_count"] is None
    assert "no package manager known" in section["error"]


# ---- detection --------------------------------------------------------------------------------------

LIST_UNIT_FILES = """clamav-daemon.service                      enabled         enabled
clamd@.service                             indirect        disabled
falcon-sensor.service                      enabled         enabled
mdatp.service                              masked          enabled
"""


def test_unit_names_templates_and_systemctl_outputs() -> None:
    assert fleet_facts.unit_name("mdatp") == "mdatp.service"
    assert fleet_facts.unit_name("clamd@scan") == "clamd@scan.service"
    assert fleet_facts.template_of("clamd@scan.service") == "clamd@.service"
    assert fleet_facts.template_of("mdatp.service") == "mdatp.service"
    assert fleet_facts.parse_unit_files(LIST_UNIT_FILES) == {
        "clamav-daemon.service",
        "clamd@.service",
        "falcon-sensor.service",
    }
    units = ["clamav-daemon.service", "clamd@scan.service", "falcon-sensor.service"]
    assert fleet_facts.parse_is_active(units, "active\nfailed\ninactive\n") == {
        "clamav-daemon.service": True,
        "clamd@scan.service": False,
        "falcon-sensor.service": False,
    }


class SystemdHost(fleet_facts.Host):
    """A host with systemd whose systemctl answers with recorded outputs."""

    def __init__(self) -> None:
        super().__init__(timeout=5)
        self.calls: list[list[str]] = []

    def systemd(self) -> bool:
        return True

    def run(self, argv: list[str]) -> fleet_facts.Outcome:
        self.calls.append(argv)
        if argv[1] == "list-unit-files":
            return fleet_facts.Outcome(0, LIST_UNIT_FILES)
        if argv[1] == "is-active":
            states = {"clamav-daemon.service": "active", "falcon-sensor.service": "inactive"}
            return fleet_facts.Outcome(3, "".join(states.get(u, "activating") + "\n" for u in argv[2:]))
        raise AssertionError(argv)


def test_detection_with_systemd_lists_installed_candidates_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fleet_facts, "UNIT_DIRS", ())
    host = SystemdHost()
    found = fleet_facts.gather_detection(
        host, ["mdatp", "clamav-daemon", "falcon-sensor", "clamd@scan", "mdatp"]
    )
    assert found == [
        {"name": "clamav-daemon", "installed": True, "running": True},
        {"name": "falcon-sensor", "installed": True, "running": False},
        {"name": "clamd@scan", "installed": True, "running": False},
    ]
    assert host.calls[1] == [
        "systemctl",
        "is-active",
        "clamav-daemon.service",
        "falcon-sensor.service",
        "clamd@scan.service",
    ]


def test_detection_without_systemd_reads_unit_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "clamd@.service").write_text("[Service]\nExecStart=/usr/sbin/clamd -c /etc/clamd.d/%i.conf\n")
    (tmp_path / "mdatp.service").write_text("[Service]\nExecStart=/opt/microsoft/mdatp/sbin/wdavdaemon\n")
    (tmp_path / "falcon-sensor.service").symlink_to("/dev/null")  # masked, not installed
    monkeypatch.setattr(fleet_facts, "UNIT_DIRS", (str(tmp_path),))
    host = fleet_facts.Host(timeout=5)
    monkeypatch.setattr(host, "systemd", lambda: False)
    found = fleet_facts.gather_detection(host, ["falcon-sensor", "mdatp", "clamd@scan"])
    assert found == [
        {"name": "mdatp", "installed": True, "running": None},
        {"name": "clamd@scan", "installed": True, "running": None},
    ]


# ---- admins -----------------------------------------------------------------------------------------

GROUP = """root:x:0:
adm:x:4:syslog,alice
wheel:x:10:
sudo:x:27:alice,bob
users:x:100:
alice:x:1000:
bob:x:1001:
ops:x:1010:carol
"""
PASSWD = """root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
alice:x:1000:1000:Alice Martin,,,:/home/alice:/bin/bash
bob:x:1001:1001::/home/bob:/bin/bash
dave:x:1002:10::/home/dave:/bin/bash
carol:x:1003:1003::/home/carol:/bin/bash
erin:x:1004:1010::/home/erin:/bin/bash
"""
SUDOERS = """#
# This file MUST be edited with the 'visudo' command as root.
#
Defaults\tenv_reset
Defaults\tmail_badpass
Defaults\tsecure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
Defaults:frank !requiretty

Host_Alias  WORKSTATIONS = ws01, ws02
User_Alias  NURSE_ADMINS = gina, %ops, \\
            harry
User_Alias  VENDORS = vendor1 : AUDITORS = ivan
Cmnd_Alias  PRINTING = /usr/bin/systemctl restart cups
Runas_Alias OP = root, operator

# User privilege specification
root\tALL=(ALL:ALL) ALL

# Allow members of group sudo to execute any command
%sudo\tALL=(ALL:ALL) ALL
NURSE_ADMINS WORKSTATIONS = (OP) PRINTING
frank, #1004 ALL = NOPASSWD: PRINTING
%"domain admins" ALL=(ALL) ALL
%unknowngroup ALL=(ALL) ALL
UNDEFINED_ALIAS ALL=(ALL) ALL
#jack ALL=(ALL) ALL

# See sudoers(5) for more information on "@include" directives:

@includedir {dir}/sudoers.d
#include extra
"""


def test_group_members_include_primary_group_accounts() -> None:
    groups, passwd = fleet_facts.parse_group(GROUP), fleet_facts.parse_passwd(PASSWD)
    assert fleet_facts.group_members("sudo", groups, passwd) == ["alice", "bob"]
    assert fleet_facts.group_members("wheel", groups, passwd) == ["dave"]
    assert fleet_facts.group_members("ops", groups, passwd) == ["carol", "erin"]
    assert fleet_facts.group_members("admin", groups, passwd) is None


def test_sudoers_rules_aliases_and_includes_are_parsed() -> None:
    parsed = fleet_facts.parse_sudoers(SUDOERS.replace("{dir}", "/etc"))
    assert parsed["users"] == [
        "root",
        "%sudo",
        "NURSE_ADMINS",
        "frank",
        "#1004",
        "%domain admins",
        "%unknowngroup",
        "UNDEFINED_ALIAS",
    ]
    assert parsed["aliases"] == {
        "NURSE_ADMINS": ["gina", "%ops", "harry"],
        "VENDORS": ["vendor1"],
        "AUDITORS": ["ivan"],
    }
    assert parsed["includes"] == [("includedir", "/etc/sudoers.d"), ("include", "extra")]


def test_sudoers_escaped_names_and_negations() -> None:
    parsed = fleet_facts.parse_sudoers("%domain\\ users,  !mallory, nina  ALL=(ALL) ALL\n")
    assert parsed["users"] == ["%domain users", "!mallory", "nina"]
    expanded = fleet_facts.expand_sudoers_users(
        parsed["users"], {}, lambda g: None, lambda gid: None, lambda uid: None
    )
    assert expanded == ["%domain users", "nina"]


def test_admins_from_group_passwd_and_sudoers_tree(tmp_path: Path) -> None:
    (tmp_path / "group").write_text(GROUP)
    (tmp_path / "passwd").write_text(PASSWD)
    (tmp_path / "sudoers").write_text(SUDOERS.replace("{dir}", str(tmp_path)))
    (tmp_path / "extra").write_text("larry ALL=(ALL) ALL\n")
    included = tmp_path / "sudoers.d"
    included.mkdir()
    (included / "10-vendor").write_text("kate ALL=(ALL) NOPASSWD: ALL\n")
    (included / "README.txt").write_text("skipped ALL=(ALL) ALL\n")  # a dot: sudo skips it
    (included / "20-old~").write_text("skipped2 ALL=(ALL) ALL\n")  # a backup: sudo skips it
    section = fleet_facts.gather_admins(
        fleet_facts.Host(timeout=5), ["sudo", "wheel", "admin"], str(tmp_path)
    )
    assert section["error"] is None
    assert section["groups"] == {"sudo": ["alice", "bob"], "wheel": ["dave"], "admin": []}
    assert section["sudoers"] == [
        "%domain admins",
        "%unknowngroup",
        "UNDEFINED_ALIAS",
        "alice",
        "bob",
        "carol",
        "erin",
        "frank",
        "gina",
        "harry",
        "kate",
        "larry",
        "root",
    ]
    assert "root" not in section["all"]
    assert section["all"] == sorted([*section["sudoers"][:-1], "dave"])


def test_unreadable_sudoers_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "group").write_text(GROUP)
    (tmp_path / "passwd").write_text(PASSWD)
    (tmp_path / "sudoers").write_text("%sudo ALL=(ALL:ALL) ALL\n")
    real_read = fleet_facts.Host.read

    def read(path: str) -> str | None:
        if path.endswith("sudoers"):
            raise PermissionError(13, "Permission denied", path)
        return real_read(path)

    monkeypatch.setattr(fleet_facts.Host, "read", staticmethod(read))
    section = fleet_facts.gather_admins(fleet_facts.Host(timeout=5), ["sudo"], str(tmp_path))
    assert section["groups"] == {"sudo": ["alice", "bob"]}
    assert section["sudoers"] == []
    assert section["error"] == f"cannot read {tmp_path}/sudoers (run with become: root only)"


# ---- encryption -------------------------------------------------------------------------------------

LSBLK_LUKS_LVM = """{
   "blockdevices": [
      {"name":"nvme0n1", "kname":"nvme0n1", "type":"disk", "mountpoint":null, "fstype":null, "maj:min":"259:0",
         "children": [
            {"name":"nvme0n1p1", "kname":"nvme0n1p1", "type":"part", "mountpoint":"/boot/efi", "fstype":"vfat", "maj:min":"259:1"},
            {"name":"nvme0n1p2", "kname":"nvme0n1p2", "type":"part", "mountpoint":"/boot", "fstype":"ext2", "maj:min":"259:2"},
            {"name":"nvme0n1p3", "kname":"nvme0n1p3", "type":"part", "mountpoint":null, "fstype":"crypto_LUKS", "maj:min":"259:3",
               "children": [
                  {"name":"nvme0n1p3_crypt", "kname":"dm-0", "type":"crypt", "mountpoint":null, "fstype":"LVM2_member", "maj:min":"254:0",
                     "children": [
                        {"name":"ws01--vg-root", "kname":"dm-1", "type":"lvm", "mountpoint":"/", "fstype":"ext4", "maj:min":"254:1"},
                        {"name":"ws01--vg-swap_1", "kname":"dm-2", "type":"lvm", "mountpoint":"[SWAP]", "fstype":"swap", "maj:min":"254:2"}
                     ]
                  }
               ]
            }
         ]
      }
   ]
}"""  # noqa: E501
LSBLK_PLAIN = """{
   "blockdevices": [
      {"name":"sda", "kname":"sda", "type":"disk", "mountpoint":null, "fstype":null, "maj:min":"8:0",
         "children": [
            {"name":"sda1", "kname":"sda1", "type":"part", "mountpoint":"/", "fstype":"ext4", "maj:min":"8:1"},
            {"name":"sda5", "kname":"sda5", "type":"part", "mountpoint":"[SWAP]", "fstype":"swap", "maj:min":"8:5"}
         ]
      }
   ]
}"""  # noqa: E501
MOUNTINFO = """22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/mapper/ws01--vg-root rw,errors=remount-ro
23 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
24 22 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
"""


def test_root_on_luks_under_lvm() -> None:
    root = fleet_facts.parse_mountinfo_root(MOUNTINFO)
    assert root == {"majmin": "254:1", "fstype": "ext4", "source": "/dev/mapper/ws01--vg-root"}
    found = fleet_facts.root_encryption(LSBLK_LUKS_LVM, root)
    assert found == {
        "root_encrypted": True,
        "devices": ["/dev/mapper/nvme0n1p3_crypt"],
        "luks": True,
        "error": None,
    }


def test_plain_root_and_btrfs_by_name() -> None:
    root = {"majmin": "8:1", "fstype": "ext4", "source": "/dev/sda1"}
    assert fleet_facts.root_encryption(LSBLK_PLAIN, root) == {
        "root_encrypted": False,
        "devices": [],
        "luks": None,
        "error": None,
    }
    # btrfs: mountinfo has an anonymous 0:NN device, the source names the mapper device
    no_fstype = LSBLK_LUKS_LVM.replace('"crypto_LUKS"', "null")
    btrfs = {"majmin": "0:27", "fstype": "btrfs", "source": "/dev/mapper/ws01--vg-root"}
    found = fleet_facts.root_encryption(no_fstype, btrfs)
    assert found["root_encrypted"] is True and found["luks"] is None


def test_containers_and_unknown_roots_say_why() -> None:
    overlay = {"majmin": "0:52", "fstype": "overlay", "source": "overlay"}
    found = fleet_facts.root_encryption(LSBLK_PLAIN, overlay)
    assert found["root_encrypted"] is None and "overlay: a container" in found["error"]
    zfs = {"majmin": "0:25", "fstype": "zfs", "source": "rpool/ROOT/debian"}
    found = fleet_facts.root_encryption(LSBLK_PLAIN.replace('"mountpoint":"/"', '"mountpoint":null'), zfs)
    assert found["root_encrypted"] is None
    assert found["error"] == "the device of / (rpool/ROOT/debian, zfs) is not among lsblk's block devices"


def test_crypttab_and_cryptsetup_status() -> None:
    crypttab = (
        "# <target name> <source device> <key file> <options>\nnvme0n1p3_crypt UUID=1f2e none luks,discard\n"
    )
    assert fleet_facts.parse_crypttab(crypttab) == {"nvme0n1p3_crypt": ["luks", "discard"]}
    status = """/dev/mapper/nvme0n1p3_crypt is active and is in use.
  type:    LUKS2
  cipher:  aes-xts-plain64
  keysize: 512 bits
  key location: keyring
  device:  /dev/nvme0n1p3
"""
    assert fleet_facts.parse_cryptsetup_status(status) == "LUKS2"


# ---- domain and time --------------------------------------------------------------------------------

REALM_LIST = """hopital.local
  type: kerberos
  realm-name: HOPITAL.LOCAL
  domain-name: hopital.local
  configured: kerberos-member
  server-software: active-directory
  client-software: sssd
  required-package: oddjob
  required-package: oddjob-mkhomedir
  required-package: sssd
  required-package: adcli
  required-package: samba-common-tools
  login-formats: %U@hopital.local
  login-policy: allow-realm-logins
"""
SSSD_CONF = """[sssd]
domains = hopital.local
config_file_version = 2
services = nss, pam

[domain/hopital.local]
default_shell = /bin/bash
krb5_store_password_if_offline = True
cache_credentials = True
krb5_realm = HOPITAL.LOCAL
realmd_tags = manages-system joined-with-adcli
id_provider = ad
fallback_homedir = /home/%u@%d
ad_domain = hopital.local
use_fully_qualified_names = True
ldap_id_mapping = True
access_provider = ad
"""


def test_realm_sssd_and_samba_membership() -> None:
    assert fleet_facts.parse_realm_list(REALM_LIST) == {
        "joined": True,
        "name": "HOPITAL.LOCAL",
        "kind": "sssd",
    }
    assert fleet_facts.parse_realm_list("") is None
    assert fleet_facts.parse_realm_list(REALM_LIST.replace("kerberos-member", "no")) is None
    assert fleet_facts.parse_sssd_conf(SSSD_CONF) == {"joined": True, "name": "HOPITAL.LOCAL", "kind": "sssd"}
    assert (
        fleet_facts.parse_sssd_conf("[sssd]\ndomains = local\n[domain/local]\nid_provider = files\n") is None
    )
    smb = "[global]\n   workgroup = HOPITAL\n   security = ADS\n   realm = HOPITAL.LOCAL\n"
    smb += "[homes]\n   browseable = no\n   realm = OTHER\n"
    assert fleet_facts.parse_smb_conf(smb) == {
        "workgroup": "HOPITAL",
        "security": "ADS",
        "realm": "HOPITAL.LOCAL",
    }


TIMEDATECTL_STATUS = """               Local time: Thu 2026-11-26 06:10:00 CET
           Universal time: Thu 2026-11-26 05:10:00 UTC
                 RTC time: Thu 2026-11-26 05:10:00
                Time zone: Europe/Paris (CET, +0100)
System clock synchronized: no
              NTP service: active
          RTC in local TZ: no
"""
CHRONYC_TRACKING = """Reference ID    : C0000201 (192.0.2.1)
Stratum         : 3
Ref time (UTC)  : Thu Nov 26 05:09:12 2026
System time     : 0.000012345 seconds fast of NTP time
Last offset     : +0.000003210 seconds
RMS offset      : 0.000021000 seconds
Frequency       : 12.345 ppm slow
Residual freq   : +0.001 ppm
Skew            : 0.050 ppm
Root delay      : 0.012345678 seconds
Root dispersion : 0.000456789 seconds
Update interval : 64.2 seconds
Leap status     : Normal
"""
NTPQ_PEERS = """     remote           refid      st t when poll reach   delay   offset  jitter
==============================================================================
*192.0.2.10      .GPS.            1 u   33   64  377    0.512   -0.021   0.013
+192.0.2.11      192.0.2.10       2 u   35   64  377    0.601    0.044   0.020
"""


def test_time_synchronisation_sources() -> None:
    assert fleet_facts.parse_timedatectl_show("NTP=yes\nNTPSynchronized=yes\n") is True
    assert fleet_facts.parse_timedatectl_show("NTP=no\nNTPSynchronized=no\n") is False
    assert fleet_facts.parse_timedatectl_status(TIMEDATECTL_STATUS) is False
    assert fleet_facts.parse_timedatectl_status("      NTP synchronized: yes\n") is True
    assert fleet_facts.parse_chronyc_tracking(CHRONYC_TRACKING) is True
    unsynced = CHRONYC_TRACKING.replace("Leap status     : Normal", "Leap status     : Not synchronised")
    assert fleet_facts.parse_chronyc_tracking(unsynced) is False
    assert fleet_facts.parse_ntpq_peers(NTPQ_PEERS) is True
    assert fleet_facts.parse_ntpq_peers(NTPQ_PEERS.replace("*192", " 192")) is False
    assert fleet_facts.parse_ntpq_peers("No association ID's returned\n") is None
    assert fleet_facts.time_source(["systemd", "sshd", "systemd-timesyn"]) == "systemd-timesyncd"
    assert fleet_facts.time_source(["chronyd", "bash"]) == "chronyd"
    assert fleet_facts.time_source(["bash"]) is None


# ---- robustness -------------------------------------------------------------------------------------


def test_an_unforeseen_exception_becomes_the_section_error() -> None:
    warnings: list[str] = []

    def boom() -> Any:
        raise ValueError("odd host")

    fallback = {"groups": {}, "sudoers": [], "all": [], "error": None}
    assert fleet_facts.guarded("admins", fallback, warnings.append, boom)["error"] == (
        "unexpected: ValueError: odd host"
    )
    assert fleet_facts.guarded("listeners", [], warnings.append, boom) == []
    assert warnings == ["listeners: unexpected: ValueError: odd host"]


def test_a_missing_command_is_no_crash() -> None:
    outcome = fleet_facts.Host(timeout=5).run(["carehard-no-such-command", "-x"])
    assert outcome.rc is None and not outcome.ok
    assert outcome.why() == "carehard-no-such-command not found"


# ---- the module, for real, on this machine ----------------------------------------------------------

CONTRACT = {
    "os": {
        "family",
        "id",
        "name",
        "version",
        "codename",
        "edition",
        "build",
        "pretty",
        "kernel",
        "last_boot",
        "error",
    },
    "updates": {"manager", "pending_security", "pending_security_count", "last_success", "error"},
    "admins": {"groups", "sudoers", "all", "error"},
    "encryption": {"root_encrypted", "method", "devices", "error"},
    "domain": {"joined", "name", "kind"},
    "time": {"synchronised", "source"},
}


def optional(value: Any, kind: type | tuple[type, ...]) -> bool:
    return value is None or isinstance(value, kind)


def test_the_module_runs_read_only_on_this_host(tmp_path: Path) -> None:
    """`ansible localhost -m fleet_facts` in check mode: the document has the contract's keys and types."""
    env = dict(
        os.environ,
        ANSIBLE_HOME=str(tmp_path / "home"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "local"),
        ANSIBLE_REMOTE_TMP=str(tmp_path / "remote"),
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_STDOUT_CALLBACK="json",
        ANSIBLE_NOCOLOR="1",
    )
    env.pop("ANSIBLE_CONFIG", None)
    args = {
        "admin_groups": ["sudo", "wheel"],
        "detection_services": ["clamav-daemon", "mdatp"],
        "timeout": 120,
    }
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible"),
            "localhost",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
            "-M",
            str(LIBRARY),
            "-m",
            "fleet_facts",
            "-a",
            json.dumps(args),
            "--check",
        ],
        cwd=tmp_path,  # away from the repository's ansible.cfg
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert result["changed"] is False
    assert not result.get("failed") and not result.get("skipped")  # it supports check mode
    fleet = result["fleet"]
    assert set(fleet) == {"collected_at", "listeners", "detection", *CONTRACT}
    for section, keys in CONTRACT.items():
        assert set(fleet[section]) == keys, section
    assert ISO.match(fleet["collected_at"])

    here = platform.freedesktop_os_release()
    system = fleet["os"]
    assert system["id"] == here["ID"] and system["version"] == here.get("VERSION_ID")
    assert system["family"] == fleet_facts.os_family(here) and system["kernel"] == os.uname().release
    assert system["last_boot"] is None or ISO.match(system["last_boot"])
    assert system["error"] is None

    updates = fleet["updates"]
    if system["family"] == "debian":
        assert updates["manager"] == "apt"
    assert all(isinstance(n, str) for n in updates["pending_security"])
    assert updates["pending_security_count"] in (None, len(updates["pending_security"]))
    assert updates["last_success"] is None or ISO.match(updates["last_success"])
    assert optional(updates["error"], str)

    for listener in fleet["listeners"]:
        assert set(listener) == {"proto", "address", "port", "process", "pid", "user"}
        assert listener["proto"] in ("tcp", "udp") and isinstance(listener["address"], str)
        assert isinstance(listener["port"], int) and 0 <= listener["port"] <= 65535
        assert optional(listener["process"], str) and optional(listener["pid"], int)
        assert optional(listener["user"], str)
    for agent in fleet["detection"]:
        assert set(agent) == {"name", "installed", "running"}
        assert agent["name"] in args["detection_services"] and agent["installed"] is True
        assert optional(agent["running"], bool)

    admins = fleet["admins"]
    assert set(admins["groups"]) == {"sudo", "wheel"}
    assert all(isinstance(m, str) for members in admins["groups"].values() for m in members)
    assert admins["all"] == sorted(admins["all"]) and "root" not in admins["all"]
    assert optional(fleet["encryption"]["root_encrypted"], bool)
    assert fleet["encryption"]["method"] in (None, "LUKS")
    assert isinstance(fleet["encryption"]["devices"], list)
    assert optional(fleet["domain"]["joined"], bool) and optional(fleet["domain"]["name"], str)
    assert optional(fleet["time"]["synchronised"], bool)
    assert fleet["time"]["source"] in (None, "systemd-timesyncd", "chronyd", "ntpd")
