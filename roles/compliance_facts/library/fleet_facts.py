#!/usr/bin/python
"""Collect the fleet facts document of a Linux host: read-only, never fails on an unforeseen host.

Every source has its own small pure parser (text in, data out) so the parsing is unit-tested on
real-format samples; main() only gathers the texts (files and commands run without a shell, with
LC_ALL=C and a timeout) and calls the parsers. The module runs on the managed host's Python, which
may be older than carehard's own (Rocky 9 has 3.9): no syntax or library call newer than 3.8.
"""

from __future__ import annotations

import glob
import grp
import gzip
import json
import os
import pwd
import re
import shlex
import shutil
import socket
import struct
import subprocess
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

DOCUMENTATION = r"""
module: fleet_facts
short_description: Collect the fleet facts document of a Linux host (OS, updates, listeners, admins...)
description:
  - Returns C(fleet), the host's fleet facts document as carehard's compliance_facts role records it
    (os, updates, listeners, detection, admins, encryption, domain, time); the same shape as the
    Windows collection's.
  - Read-only. It writes nothing on the host (dnf appends to its own logs, as any dnf run does), never
    refreshes package lists or metadata (C(apt-get -s) and C(dnf -C) read the caches as the last refresh
    left them, so the pending updates are those known at that refresh) and always returns
    C(changed=false). Supports check mode.
  - Never fails on a host nobody foresaw; what cannot be known is None, and the reason is in the
    C(error) of the section (os, updates, admins, encryption), or in the module's warnings for the
    sections without one (listeners, detection, domain, time).
  - "Updates, Debian family: the pending security updates are the C(Inst) lines of
    C(apt-get -s dist-upgrade) (no lock taken, binary caches not rewritten) whose candidate comes from
    an archive ending in C(-security) (or an origin named C(*-Security)). The last success is the
    newest C(End-Date) of an entry of C(/var/log/apt/history.log*) (rotated .gz included) that
    upgraded at least one package (an C(Upgrade:) line, or an upgrade/dist-upgrade/full-upgrade command
    line) and has no C(Error:) line; entries that only installed new packages do not count."
  - "Updates, RHEL family: the pending security updates are the package names of
    C(dnf -q -C updateinfo list --security) (C(yum) when there is no dnf). The last success is the begin
    time of the newest C(dnf history list) transaction that upgraded packages (action Upgrade/Update or
    U in a mixed list) and is not marked failed (C(#)) or unfinished (C(*))."
  - "Administrators: members of each admin group from /etc/group plus the accounts whose primary group
    it is (/etc/passwd); accounts granted any sudo rule in /etc/sudoers and the files it includes
    (#include, @include, #includedir, @includedir), with %group expanded to its members and User_Alias
    expanded when defined; what cannot be expanded (ALL, an undefined alias, an unknown %group,
    +netgroup, #uid) is reported as written. C(all) is the sorted union without root."
  - "Listeners: C(ss -tulpn), or /proc/net/{tcp,tcp6,udp,udp6} when ss is missing. The address C(*) of
    ss (a dual-stack IPv6 socket) is reported as C(::), the C(%interface) suffix is dropped and an
    IPv4-mapped address is reported as IPv4. The user is the effective owner of the process (or of the
    socket, from /proc/net)."
options:
  detection_services:
    description:
      - Service (systemd unit) names of the accepted EDR/antivirus agents to look for; C(NAME@INSTANCE)
        is looked up through its template unit.
      - The default covers ClamAV (clamav-daemon, clamd@scan), CrowdStrike (falcon-sensor), SentinelOne
        (sentinelone), Microsoft Defender for Endpoint (mdatp), Carbon Black (cbagentd, cbdaemon), Elastic
        (elastic-agent, ElasticEndpoint), Wazuh (wazuh-agent), OSSEC (ossec), Sophos (sophos-spl,
        sav-protect), Trend Micro Deep Security (ds_agent), ESET (eea), Kaspersky (kesl) and Trellix/McAfee
        (mfetpd).
    type: list
    elements: str
    default: [clamav-daemon, clamd@scan, falcon-sensor, sentinelone, mdatp, cbagentd, cbdaemon, elastic-agent,
              ElasticEndpoint, wazuh-agent, ossec, sophos-spl, sav-protect, ds_agent, eea, kesl, mfetpd]
  admin_groups:
    description: The groups whose members are administrators.
    type: list
    elements: str
    default: [sudo, wheel, admin]
  timeout:
    description: Seconds each command may take (the apt simulation is the slow one); past it the command
      is killed and the section says so in its error.
    type: int
    default: 60
notes:
  - Run it with become to read /etc/sudoers and sssd.conf and to see every listener's process; without
    root, admins.error says the sudoers could not be read.
author: carehard
"""

EXAMPLES = r"""
- name: Collect the fleet facts
  fleet_facts:
    detection_services: [mdatp, falcon-sensor, clamav-daemon]
    admin_groups: [sudo, wheel]
    timeout: 90
  register: facts

- name: Show the pending security updates
  ansible.builtin.debug:
    msg: "{{ facts.fleet.updates.pending_security }}"
"""

RETURN = r"""
fleet:
  description: The fleet facts document (see the compliance_facts role for its evaluation).
  returned: always
  type: dict
  contains:
    collected_at: {description: "When the document was made (UTC ISO, host clock).", type: str}
    os:
      description: family (debian, rhel, other), id, name, version, codename, edition, build, pretty,
        kernel, last_boot (UTC ISO), error.
      type: dict
    updates:
      description: manager (apt, dnf, yum or None), pending_security (names), pending_security_count,
        last_success (UTC ISO), error.
      type: dict
    listeners:
      description: Listening sockets, each proto, address, port, process, pid, user.
      type: list
      elements: dict
    detection:
      description: The candidate agents found installed, each name, installed, running.
      type: list
      elements: dict
    admins: {description: "groups (group -> members), sudoers, all, error.", type: dict}
    encryption: {description: "root_encrypted, method (LUKS or None), devices, error.", type: dict}
    domain: {description: "joined, name, kind (sssd, winbind or None).", type: dict}
    time: {description: "synchronised, source (systemd-timesyncd, chronyd, ntpd or None).", type: dict}
"""

UTC = timezone.utc

DEFAULT_DETECTION = [
    "clamav-daemon",  # ClamAV on Debian/Ubuntu
    "clamd@scan",  # ClamAV on RHEL (EPEL), a template instance
    "falcon-sensor",  # CrowdStrike Falcon
    "sentinelone",  # SentinelOne
    "mdatp",  # Microsoft Defender for Endpoint
    "cbagentd",  # Carbon Black Cloud sensor
    "cbdaemon",  # Carbon Black EDR (Response) sensor
    "elastic-agent",  # Elastic Agent
    "ElasticEndpoint",  # Elastic Defend (endpoint) service
    "wazuh-agent",  # Wazuh
    "ossec",  # OSSEC HIDS
    "sophos-spl",  # Sophos Protection for Linux
    "sav-protect",  # Sophos Anti-Virus for Linux (older)
    "ds_agent",  # Trend Micro Deep Security
    "eea",  # ESET Endpoint Antivirus for Linux
    "kesl",  # Kaspersky Endpoint Security for Linux
    "mfetpd",  # Trellix (McAfee) Endpoint Security for Linux
]
DEFAULT_ADMIN_GROUPS = ["sudo", "wheel", "admin"]

SEARCH_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
UNIT_DIRS = (
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/lib/systemd/system",
    "/usr/lib/systemd/system",
)
CONTAINER_ROOT_FS = ("overlay", "aufs", "fuse-overlayfs")


# ---- small helpers ----------------------------------------------------------------------------------


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_to_utc(naive: datetime, tz: Any = None) -> str:
    """A naive wall-clock time of the host as UTC ISO; tz None means the host's local zone."""
    aware = naive.replace(tzinfo=tz) if tz is not None else naive.astimezone()
    return iso_utc(aware)


def logical_lines(text: str) -> list[str]:
    """Lines with backslash-newline continuations joined (sudoers)."""
    joined = re.sub(r"\\\r?\n", " ", text)
    return joined.splitlines()


# ---- os ---------------------------------------------------------------------------------------------


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value pairs of os-release, values unquoted as a shell would."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        try:
            parts = shlex.split(raw)
            value = " ".join(parts)
        except ValueError:
            value = raw.strip().strip("\"'")
        values[key.strip()] = value
    return values


def os_family(release: dict[str, str]) -> str:
    """debian, rhel or other, from ID and ID_LIKE."""
    ids = [release.get("ID", "").lower(), *release.get("ID_LIKE", "").lower().split()]
    if any(i in ("debian", "ubuntu") for i in ids):
        return "debian"
    if any(i in ("rhel", "fedora", "centos") for i in ids):
        return "rhel"
    return "other"


def os_section(release: dict[str, str], kernel: str | None, last_boot: str | None) -> dict[str, Any]:
    error = None if release else "no /etc/os-release nor /usr/lib/os-release"
    return {
        "family": os_family(release) if release else "other",
        "id": release.get("ID") or None,
        "name": release.get("NAME") or None,
        "version": release.get("VERSION_ID") or None,
        "codename": release.get("VERSION_CODENAME") or None,
        "edition": None,
        "build": None,
        "pretty": release.get("PRETTY_NAME") or None,
        "kernel": kernel,
        "last_boot": last_boot,
        "error": error,
    }


def boot_time_from_proc_stat(text: str) -> str | None:
    """The btime line of /proc/stat (seconds since the epoch) as UTC ISO."""
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0] == "btime" and fields[1].isdigit():
            return iso_utc(datetime.fromtimestamp(int(fields[1]), UTC))
    return None


def boot_time_from_uptime_s(text: str, tz: Any = None) -> str | None:
    """`uptime -s` (local wall clock, 2024-05-01 08:00:00) as UTC ISO."""
    try:
        return local_to_utc(datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S"), tz)
    except ValueError:
        return None


# ---- listeners --------------------------------------------------------------------------------------

USERS_RE = re.compile(r'\("((?:[^"\\]|\\.)*)",pid=(\d+)')


def normalise_address(address: str) -> str:
    """Drop brackets and %interface; * (any, dual-stack) becomes ::; IPv4-mapped becomes IPv4."""
    address = re.sub(r"%[^\]]*", "", address.strip())
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    if address == "*":
        return "::"
    if address.lower().startswith("::ffff:") and "." in address:
        return address[7:]
    return address


def split_endpoint(endpoint: str) -> tuple[str, int | None]:
    """`0.0.0.0:22`, `[::]:22`, `127.0.0.53%lo:53`, `[fe80::1%eth0]:546`, `*:80` -> (address, port)."""
    host, _, port = endpoint.rpartition(":")
    return normalise_address(host), (int(port) if port.isdigit() else None)


def parse_ss(text: str) -> list[dict[str, Any]]:
    """`ss -tulpn` (with or without its header) -> listeners without user."""
    found: list[dict[str, Any]] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 6 or fields[0] not in ("tcp", "udp"):
            continue
        address, port = split_endpoint(fields[4])
        if port is None:
            continue
        process = pid = None
        users = USERS_RE.search(" ".join(fields[6:]))
        if users:
            process, pid = users.group(1), int(users.group(2))
        found.append({"proto": fields[0], "address": address, "port": port, "process": process, "pid": pid})
    return found


def hex_to_address(hexaddr: str) -> str:
    """The address of /proc/net/{tcp,udp}[6]: 32-bit words printed in host byte order."""
    raw = b"".join(struct.pack("=I", int(hexaddr[i : i + 8], 16)) for i in range(0, len(hexaddr), 8))
    family = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
    return normalise_address(socket.inet_ntop(family, raw))


def parse_proc_net(text: str, proto: str) -> list[dict[str, Any]]:
    """/proc/net/tcp[6] (state 0A: LISTEN) or udp[6] (remote all zeros: unconnected) -> sockets."""
    found: list[dict[str, Any]] = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or ":" not in fields[1]:
            continue
        local, remote, state = fields[1], fields[2], fields[3]
        if proto == "tcp" and state != "0A":
            continue
        if proto == "udp" and set(remote.replace(":", "")) != {"0"}:
            continue
        hexaddr, _, hexport = local.partition(":")
        try:
            address, port = hex_to_address(hexaddr), int(hexport, 16)
        except (ValueError, OSError, struct.error):
            continue
        found.append(
            {
                "proto": proto,
                "address": address,
                "port": port,
                "uid": int(fields[7]) if fields[7].isdigit() else None,
                "inode": int(fields[9]) if fields[9].isdigit() else None,
            }
        )
    return found


def parse_status_uid(text: str) -> int | None:
    """The effective uid of /proc/<pid>/status (Uid: real effective saved fs)."""
    for line in text.splitlines():
        if line.startswith("Uid:"):
            fields = line.split()
            if len(fields) >= 3 and fields[2].isdigit():
                return int(fields[2])
    return None


def socket_inode(link: str) -> int | None:
    """`socket:[12345]` (the target of /proc/<pid>/fd/N) -> 12345."""
    match = re.match(r"socket:\[(\d+)\]$", link)
    return int(match.group(1)) if match else None


def dedupe_listeners(listeners: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (proto, address, port, process), sorted by proto, port, address."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for item in listeners:
        key = (item["proto"], item["address"], item["port"], item.get("process"))
        if key not in seen:
            seen[key] = item
    return sorted(seen.values(), key=lambda e: (e["proto"], e["port"], e["address"], e.get("process") or ""))


# ---- updates ----------------------------------------------------------------------------------------

# -s simulates; NoLocking takes no lock; the empty pkgcache/srcpkgcache keep apt from rewriting its
# binary caches in /var/cache/apt (it builds them in memory instead): nothing is written.
APT_SIMULATION = [
    "apt-get",
    "-s",
    "-o",
    "Debug::NoLocking=1",
    "-o",
    "Dir::Cache::pkgcache=",
    "-o",
    "Dir::Cache::srcpkgcache=",
    "dist-upgrade",
]
APT_INST_RE = re.compile(r"^Inst (\S+)(?: \[[^\]]*\])? \((\S+) (.*)\)")


def apt_origin_is_security(origins: str) -> bool:
    """`Debian:12.5/stable, Debian-Security:12/stable-security [amd64]` -> True."""
    origins = re.sub(r"\s*\[[^\]]*\]\s*$", "", origins)
    for origin in origins.split(","):
        label, _, archive = origin.strip().partition("/")
        if archive.endswith("-security") or label.split(":", 1)[0].lower().endswith("security"):
            return True
    return False


def parse_apt_simulation(text: str) -> list[str]:
    """Names of the packages an `apt-get -s dist-upgrade` would take from a security archive."""
    names: set[str] = set()
    for line in text.splitlines():
        match = APT_INST_RE.match(line)
        if match and apt_origin_is_security(match.group(3)):
            names.add(match.group(1))
    return sorted(names)


def parse_apt_history(texts: Iterable[str], tz: Any = None) -> str | None:
    """Newest End-Date (UTC ISO) of a successful upgrade in apt's history.log texts (any order)."""
    newest: datetime | None = None
    for text in texts:
        for block in re.split(r"\n\s*\n", text):
            fields: dict[str, str] = {}
            for line in block.splitlines():
                key, sep, value = line.partition(": ")
                if sep:
                    fields[key.strip()] = value.strip()
            if "End-Date" not in fields or "Error" in fields:
                continue
            command = fields.get("Commandline", "")
            upgraded = "Upgrade" in fields or re.search(r"\b(dist-|full-)?upgrade\b", command) is not None
            if not upgraded:
                continue
            try:
                end = datetime.strptime(" ".join(fields["End-Date"].split()), "%Y-%m-%d %H:%M:%S")
            except ValueError:
                continue
            if newest is None or end > newest:
                newest = end
    return local_to_utc(newest, tz) if newest is not None else None


def nevra_name(nevra: str) -> str:
    """`openssl-libs-1:3.0.7-25.el9_3.x86_64` -> `openssl-libs`."""
    base = nevra.rsplit(".", 1)[0] if "." in nevra else nevra
    parts = base.rsplit("-", 2)
    return parts[0] if len(parts) == 3 else base


def parse_dnf_updateinfo(text: str) -> list[str]:
    """Package names of `dnf updateinfo list --security` (ADVISORY SEVERITY/Sec. NEVRA lines)."""
    names: set[str] = set()
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != 3 or "-" not in fields[2] or "." not in fields[2]:
            continue
        if not re.match(r"^[A-Za-z]+[A-Za-z0-9]*-\d", fields[0]) and "Sec" not in fields[1]:
            continue
        names.add(nevra_name(fields[2]))
    return sorted(names)


def parse_dnf_history(text: str, tz: Any = None) -> str | None:
    """Begin time (UTC ISO) of the newest successful upgrading transaction of `dnf history list`."""
    newest: datetime | None = None
    for line in text.splitlines():
        fields = [f.strip() for f in line.split("|")]
        if len(fields) < 5 or not fields[0].isdigit():
            continue
        when, actions, altered = fields[-3], fields[-2], fields[-1]
        marks = re.sub(r"^\s*\d+", "", altered)
        if "#" in marks or "*" in marks:
            continue
        words = [a.strip() for a in actions.split(",")]
        if not any(a in ("Upgrade", "Update", "U") for a in words):
            continue
        try:
            begin = datetime.strptime(when, "%Y-%m-%d %H:%M")
        except ValueError:
            continue
        if newest is None or begin > newest:
            newest = begin
    return local_to_utc(newest, tz) if newest is not None else None


# ---- detection --------------------------------------------------------------------------------------


UNIT_SUFFIXES = (".service", ".socket", ".timer", ".path", ".target")


def unit_name(service: str) -> str:
    return service if service.endswith(UNIT_SUFFIXES) else service + ".service"


def template_of(unit: str) -> str:
    """`clamd@scan.service` -> `clamd@.service`; other units unchanged."""
    name, sep, rest = unit.partition("@")
    if not sep:
        return unit
    return name + "@" + rest[rest.index(".") :] if "." in rest else unit


def parse_unit_files(text: str) -> set[str]:
    """Unit names of `systemctl list-unit-files --no-legend` (first column), masked ones left out."""
    names = set()
    for line in text.splitlines():
        fields = line.split()
        if fields and not line.startswith(" ") and (len(fields) < 2 or fields[1] != "masked"):
            names.add(fields[0])
    return names


def unit_file_on_disk(directories: Iterable[str], unit: str) -> bool:
    """A unit file (not a mask: a link to /dev/null) of the unit or its template exists."""
    for directory in directories:
        path = os.path.join(directory, template_of(unit))
        if os.path.exists(path) and os.path.realpath(path) != "/dev/null":
            return True
    return False


def parse_is_active(units: list[str], text: str) -> dict[str, bool]:
    """`systemctl is-active A B ...` prints one state per unit, in order."""
    states = [line.strip() for line in text.splitlines() if line.strip()]
    result: dict[str, bool] = {}
    for index, unit in enumerate(units):
        result[unit] = index < len(states) and states[index] == "active"
    return result


# ---- admins -----------------------------------------------------------------------------------------


def parse_group(text: str) -> dict[str, tuple[int | None, list[str]]]:
    """/etc/group -> {name: (gid, members)}."""
    groups: dict[str, tuple[int | None, list[str]]] = {}
    for line in text.splitlines():
        fields = line.strip().split(":")
        if len(fields) < 4 or not fields[0] or fields[0].startswith(("#", "+", "-")):
            continue
        gid = int(fields[2]) if fields[2].isdigit() else None
        groups[fields[0]] = (gid, [m.strip() for m in fields[3].split(",") if m.strip()])
    return groups


def parse_passwd(text: str) -> list[tuple[str, int | None, int | None]]:
    """/etc/passwd -> [(name, uid, gid)]."""
    users: list[tuple[str, int | None, int | None]] = []
    for line in text.splitlines():
        fields = line.strip().split(":")
        if len(fields) < 4 or not fields[0] or fields[0].startswith(("#", "+", "-")):
            continue
        uid = int(fields[2]) if fields[2].isdigit() else None
        gid = int(fields[3]) if fields[3].isdigit() else None
        users.append((fields[0], uid, gid))
    return users


def group_members(
    name: str,
    groups: dict[str, tuple[int | None, list[str]]],
    passwd: list[tuple[str, int | None, int | None]],
) -> list[str] | None:
    """Explicit members plus the accounts whose primary group it is; None for an unknown group."""
    if name not in groups:
        return None
    gid, members = groups[name]
    everyone = set(members)
    if gid is not None:
        everyone.update(user for user, _, user_gid in passwd if user_gid == gid)
    return sorted(everyone)


SUDO_ALIAS_RE = re.compile(r"^(User_Alias|Runas_Alias|Host_Alias|Cmnd_Alias|Cmd_Alias)\s+(.*)$")
SUDO_INCLUDE_RE = re.compile(r"^[#@](include|includedir)\s+(.+?)\s*$")


def strip_sudoers_comment(line: str) -> str:
    """Cut a `#` comment; `#123` (a uid) and `%#123` are not comments."""
    match = re.search(r"(?:^|\s)#(?!\d)", line)
    return line[: match.start()] if match else line


def split_sudoers_list(text: str) -> list[str]:
    """`alice, %"domain admins", bob\\ smith` -> items (quotes and escapes removed)."""
    items: list[str] = []
    for raw in re.split(r"(?<!\\),", text):
        raw = raw.strip()
        if not raw:
            continue
        try:
            items.append(" ".join(shlex.split(raw)))
        except ValueError:
            items.append(raw)
    return items


def parse_sudoers(text: str) -> dict[str, Any]:
    """One sudoers file -> {users: user items of its rules, aliases: User_Alias, includes: [(kind, path)]}."""
    users: list[str] = []
    aliases: dict[str, list[str]] = {}
    includes: list[tuple[str, str]] = []
    for line in logical_lines(text):
        stripped = line.strip()
        include = SUDO_INCLUDE_RE.match(stripped)
        if include:
            includes.append((include.group(1), include.group(2).strip('"')))
            continue
        stripped = strip_sudoers_comment(stripped).strip()
        if not stripped or re.match(r"^Defaults\b", stripped):
            continue
        alias = SUDO_ALIAS_RE.match(stripped)
        if alias:
            if alias.group(1) == "User_Alias":
                for part in alias.group(2).split(":"):
                    name, sep, members = part.partition("=")
                    if sep and name.strip():
                        aliases[name.strip()] = split_sudoers_list(members)
            continue
        if "=" not in stripped:
            continue
        left = stripped.split("=", 1)[0].strip()
        # "User_List Host_List": the user list ends at the first blank that is not after a comma,
        # inside quotes or escaped.
        left = re.sub(r"\s*,\s*", ",", left)
        match = re.match(r'^((?:"[^"]*"|\\.|[^\s\\"])+)\s+\S', left)
        if not match:
            continue
        users.extend(split_sudoers_list(match.group(1)))
    return {"users": users, "aliases": aliases, "includes": includes}


def expand_sudoers_users(
    items: Iterable[str],
    aliases: dict[str, list[str]],
    members_of: Callable[[str], list[str] | None],
    gid_members: Callable[[int], list[str] | None],
    uid_name: Callable[[int], str | None],
) -> list[str]:
    """Account names behind sudoers user items; what cannot be expanded stays as written."""
    found: set[str] = set()

    def add(item: str, depth: int) -> None:
        if item.startswith("!"):
            return  # a negation grants nothing
        if item in aliases and depth < 8:
            for member in aliases[item]:
                add(member, depth + 1)
            return
        if item.startswith("%#") and item[2:].isdigit():
            members = gid_members(int(item[2:]))
            found.update(members if members is not None else [item])
        elif item.startswith("%") and not item.startswith("%:"):
            members = members_of(item[1:])
            found.update(members if members is not None else [item])
        elif item.startswith("#") and item[1:].isdigit():
            found.add(uid_name(int(item[1:])) or item)
        else:
            found.add(item)

    for entry in items:
        add(entry, 0)
    return sorted(found)


def sudoers_included_files(kind: str, path: str, including_file: str) -> list[str]:
    """The files an include names; sudo skips names ending in ~ or holding a dot in an includedir."""
    if not os.path.isabs(path):
        path = os.path.join(os.path.dirname(including_file), path)
    if kind == "include":
        return [path]
    try:
        names = sorted(os.listdir(path))
    except OSError:
        return []
    return [
        os.path.join(path, n)
        for n in names
        if not n.endswith("~") and "." not in n and os.path.isfile(os.path.join(path, n))
    ]


# ---- encryption -------------------------------------------------------------------------------------


def parse_mountinfo_root(text: str) -> dict[str, str] | None:
    """The mount on / of /proc/self/mountinfo (the last, if stacked): majmin, source, fstype."""
    root = None
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 10 or fields[4] != "/":
            continue
        try:
            dash = fields.index("-", 6)
        except ValueError:
            continue
        if len(fields) < dash + 3:
            continue
        root = {"majmin": fields[2], "fstype": fields[dash + 1], "source": fields[dash + 2]}
    return root


def lsblk_path_to(
    node: dict[str, Any], match: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]] | None:
    if match(node):
        return [node]
    for child in node.get("children") or []:
        path = lsblk_path_to(child, match)
        if path is not None:
            return [node, *path]
    return None


def container_root_error(root: dict[str, str] | None) -> str | None:
    """Why the encryption of / cannot be told from inside a container (root on overlay), or None."""
    if root is not None and root.get("fstype") in CONTAINER_ROOT_FS:
        return f"the root filesystem is {root['fstype']}: a container, whose disk encryption is the host's"
    return None


def root_encryption(lsblk_json: str, root: dict[str, str] | None) -> dict[str, Any]:
    """From `lsblk -J -o NAME,KNAME,TYPE,MOUNTPOINT,FSTYPE,MAJ:MIN` and the / mount: is / on dm-crypt?

    Returns root_encrypted, devices (/dev/mapper/NAME of the crypt layers), luks (True when the
    device under a crypt layer is crypto_LUKS, None when not known) and error.
    """
    result: dict[str, Any] = {"root_encrypted": None, "devices": [], "luks": None, "error": None}
    result["error"] = container_root_error(root)
    if result["error"]:
        return result
    try:
        tree = json.loads(lsblk_json).get("blockdevices") or []
    except (ValueError, AttributeError):
        result["error"] = "lsblk output is not JSON"
        return result
    source = (root or {}).get("source", "")
    majmin = (root or {}).get("majmin", "")
    matchers: list[Callable[[dict[str, Any]], bool]] = []
    if majmin and not majmin.startswith("0:"):
        matchers.append(lambda n: str(n.get("maj:min") or "") == majmin)
    if source.startswith("/dev/"):
        base = os.path.basename(source)
        matchers.append(lambda n: base in (n.get("name"), n.get("kname")))
    matchers.append(lambda n: n.get("mountpoint") == "/" or "/" in (n.get("mountpoints") or []))
    path = None
    for matcher in matchers:
        for top in tree:
            path = lsblk_path_to(top, matcher)
            if path:
                break
        if path:
            break
    if not path:
        fstype = (root or {}).get("fstype", "unknown")
        result["error"] = f"the device of / ({source or '?'}, {fstype}) is not among lsblk's block devices"
        return result
    crypt_layers = [i for i, n in enumerate(path) if n.get("type") == "crypt"]
    result["root_encrypted"] = bool(crypt_layers)
    result["devices"] = ["/dev/mapper/" + str(path[i].get("name")) for i in crypt_layers]
    if crypt_layers:
        below = [path[i - 1].get("fstype") for i in crypt_layers if i > 0]
        result["luks"] = True if "crypto_LUKS" in below else None
    return result


def parse_crypttab(text: str) -> dict[str, list[str]]:
    """/etc/crypttab -> {name: options}."""
    entries: dict[str, list[str]] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 2 or fields[0].startswith("#"):
            continue
        entries[fields[0]] = fields[3].split(",") if len(fields) > 3 else []
    return entries


def parse_cryptsetup_status(text: str) -> str | None:
    """`cryptsetup status NAME` -> its type (LUKS1, LUKS2, PLAIN...)."""
    match = re.search(r"^\s*type:\s*(\S+)", text, re.MULTILINE)
    return match.group(1) if match else None


# ---- domain -----------------------------------------------------------------------------------------


def parse_realm_list(text: str) -> dict[str, Any] | None:
    """The first configured realm of `realm list`: name (realm-name) and kind (client-software)."""
    realm: dict[str, str] = {}
    realms: list[dict[str, str]] = []
    for line in text.splitlines():
        if line and not line[0].isspace():
            realm = {"_": line.strip()}
            realms.append(realm)
        elif ":" in line and realm:
            key, _, value = line.strip().partition(":")
            realm[key.strip()] = value.strip()
    for item in realms:
        configured = item.get("configured", "")
        if configured and configured != "no":
            kind = item.get("client-software") or None
            return {
                "joined": True,
                "name": item.get("realm-name") or item.get("_"),
                "kind": kind if kind in ("sssd", "winbind") else (kind or "sssd"),
            }
    return None


def parse_sssd_conf(text: str) -> dict[str, Any] | None:
    """A domain of sssd.conf served by ad, ipa, ldap or krb5 -> {joined, name, kind}."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), {})
        elif current is not None and "=" in line:
            key, _, value = line.partition("=")
            current[key.strip().lower()] = value.strip()
    listed = [d.strip() for d in sections.get("sssd", {}).get("domains", "").split(",") if d.strip()]
    names = listed or [s[len("domain/") :] for s in sections if s.startswith("domain/")]
    for name in names:
        section = sections.get("domain/" + name, {})
        if section.get("id_provider") in ("ad", "ipa", "ldap") or section.get("auth_provider") == "krb5":
            realm = section.get("krb5_realm") or section.get("ad_domain") or section.get("ipa_domain") or name
            return {"joined": True, "name": realm.upper() if "." in realm else realm, "kind": "sssd"}
    return None


# ---- time -------------------------------------------------------------------------------------------

TIME_DAEMONS = (("chronyd", "chronyd"), ("ntpd", "ntpd"), ("systemd-timesyn", "systemd-timesyncd"))


def time_source(process_names: Iterable[str]) -> str | None:
    """The running time daemon, from process names (comm is cut at 15 characters)."""
    names = set(process_names)
    for comm, source in TIME_DAEMONS:
        if comm in names:
            return source
    return None


def parse_timedatectl_show(text: str) -> bool | None:
    """`timedatectl show -p NTPSynchronized` (KEY=value)."""
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "NTPSynchronized":
            return {"yes": True, "no": False}.get(value.strip())
    return None


def parse_timedatectl_status(text: str) -> bool | None:
    """`timedatectl status` of an older systemd: `System clock synchronized: yes` / `NTP synchronized: no`."""
    match = re.search(r"(?:System clock|NTP) synchronized:\s*(yes|no)", text)
    return (match.group(1) == "yes") if match else None


def parse_chronyc_tracking(text: str) -> bool | None:
    match = re.search(r"^Leap status\s*:\s*(.+)$", text, re.MULTILINE)
    if not match:
        return None
    return match.group(1).strip() != "Not synchronised"


def parse_ntpq_peers(text: str) -> bool | None:
    """`ntpq -pn`: the peers follow the ==== line; tally * (or o, PPS) marks the system peer."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("====")), None)
    peers = [line for line in lines[start + 1 :] if line.strip()] if start is not None else []
    if not peers:
        return None
    return any(line[:1] in ("*", "o") for line in peers)


def parse_smb_conf(text: str) -> dict[str, str]:
    """The [global] security, realm and workgroup of smb.conf (lower-case keys, spaces squeezed)."""
    values: dict[str, str] = {}
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip().lower()
        elif section == "global" and "=" in line:
            key, _, value = line.partition("=")
            key = " ".join(key.lower().split())
            if key in ("security", "realm", "workgroup"):
                values[key] = value.strip()
    return values


# ---- gathering (the only part touching the host) ----------------------------------------------------


class Outcome:
    """What a command gave: rc (None when it could not run), out, err, and why not."""

    def __init__(self, rc: int | None, out: str = "", err: str = "", problem: str | None = None) -> None:
        self.rc, self.out, self.err, self.problem = rc, out, err, problem

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def why(self) -> str:
        if self.problem:
            return self.problem
        lines = [line for line in (self.err or self.out).strip().splitlines() if line.strip()]
        return f"exit {self.rc}" + (f": {lines[-1].strip()}" if lines else "")


class Host:
    """Reads files and runs commands (no shell, LC_ALL=C, timeout); never writes."""

    def __init__(self, timeout: int) -> None:
        self.timeout = timeout
        self.env = dict(os.environ, LC_ALL="C", LANG="C", LANGUAGE="C", PATH=SEARCH_PATH)
        self.env.pop("LC_MESSAGES", None)

    def which(self, name: str) -> str | None:
        return shutil.which(name, path=SEARCH_PATH)

    def run(self, argv: list[str]) -> Outcome:
        path = self.which(argv[0])
        if path is None:
            return Outcome(None, problem=f"{argv[0]} not found")
        try:
            done = subprocess.run(
                [path, *argv[1:]],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                env=self.env,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return Outcome(None, problem=f"`{' '.join(argv)}` did not finish within {self.timeout} s")
        except OSError as exc:
            return Outcome(None, problem=f"`{' '.join(argv)}` could not run: {exc.strerror or exc}")
        return Outcome(done.returncode, done.stdout, done.stderr)

    @staticmethod
    def read(path: str) -> str | None:
        """The text of a file, None when absent; PermissionError goes up to the caller."""
        try:
            if path.endswith(".gz"):
                with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
                    return handle.read()
            with open(path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except FileNotFoundError:
            return None
        except PermissionError:
            raise
        except (OSError, EOFError):
            return None

    def read_quiet(self, path: str) -> str | None:
        try:
            return self.read(path)
        except PermissionError:
            return None

    def systemd(self) -> bool:
        return os.path.isdir("/run/systemd/system") and self.which("systemctl") is not None


def user_name(uid: int | None) -> str | None:
    if uid is None:
        return None
    try:
        return pwd.getpwuid(uid).pw_name
    except (KeyError, OverflowError):
        return str(uid)


def process_names(host: Host) -> list[str]:
    names = []
    for comm in glob.glob("/proc/[0-9]*/comm"):
        text = host.read_quiet(comm)
        if text:
            names.append(text.strip())
    return names


def gather_os(host: Host) -> dict[str, Any]:
    text = host.read_quiet("/etc/os-release") or host.read_quiet("/usr/lib/os-release") or ""
    last_boot = boot_time_from_proc_stat(host.read_quiet("/proc/stat") or "")
    if last_boot is None:
        outcome = host.run(["uptime", "-s"])
        last_boot = boot_time_from_uptime_s(outcome.out) if outcome.ok else None
    return os_section(parse_os_release(text), os.uname().release, last_boot)


def gather_listeners(host: Host, warn: Callable[[str], None]) -> list[dict[str, Any]]:
    outcome = host.run(["ss", "-tulpn"])
    if outcome.ok:
        found = parse_ss(outcome.out)
        for item in found:
            status = host.read_quiet(f"/proc/{item['pid']}/status") if item["pid"] else None
            item["user"] = user_name(parse_status_uid(status)) if status else None
        return dedupe_listeners(found)
    sockets: list[dict[str, Any]] = []
    readable = False
    for name, proto in (("tcp", "tcp"), ("tcp6", "tcp"), ("udp", "udp"), ("udp6", "udp")):
        text = host.read_quiet(f"/proc/net/{name}")
        if text:
            readable = True
            sockets.extend(parse_proc_net(text, proto))
    if not readable:
        warn(f"listeners unknown: ss: {outcome.why()}; /proc/net unreadable")
    owners: dict[int, int] = {}
    if sockets:
        wanted = {s["inode"] for s in sockets if s["inode"]}
        for fd_dir in glob.glob("/proc/[0-9]*/fd"):
            pid = int(fd_dir.split("/")[2])
            try:
                links = os.listdir(fd_dir)
            except OSError:
                continue
            for fd in links:
                try:
                    inode = socket_inode(os.readlink(os.path.join(fd_dir, fd)))
                except OSError:
                    continue
                if inode is not None and inode in wanted and (inode not in owners or pid < owners[inode]):
                    owners[inode] = pid
    found = []
    for item in sockets:
        owner = owners.get(item["inode"])
        comm = host.read_quiet(f"/proc/{owner}/comm") if owner else None
        found.append(
            {
                "proto": item["proto"],
                "address": item["address"],
                "port": item["port"],
                "process": comm.strip() if comm else None,
                "pid": owner,
                "user": user_name(item["uid"]),
            }
        )
    return dedupe_listeners(found)


def gather_updates(host: Host, family: str) -> dict[str, Any]:
    section: dict[str, Any] = {
        "manager": None,
        "pending_security": [],
        "pending_security_count": None,
        "last_success": None,
        "error": None,
    }
    errors = []
    if family == "debian":
        section["manager"] = "apt"
        outcome = host.run(APT_SIMULATION)
        if outcome.ok:
            section["pending_security"] = parse_apt_simulation(outcome.out)
            section["pending_security_count"] = len(section["pending_security"])
        else:
            errors.append(f"pending updates unknown: {outcome.why()}")
        texts = []
        for path in glob.glob("/var/log/apt/history.log*"):
            try:
                text = host.read(path)
            except PermissionError:
                errors.append(f"cannot read {path}")
                continue
            if text:
                texts.append(text)
        section["last_success"] = parse_apt_history(texts)
    elif family == "rhel":
        manager = "dnf" if host.which("dnf") else ("yum" if host.which("yum") else None)
        section["manager"] = manager
        if manager is None:
            errors.append("neither dnf nor yum found")
        else:
            outcome = host.run([manager, "-q", "-C", "updateinfo", "list", "--security"])
            if outcome.ok:
                section["pending_security"] = parse_dnf_updateinfo(outcome.out)
                section["pending_security_count"] = len(section["pending_security"])
            else:
                errors.append(f"pending updates unknown: {outcome.why()}")
            history = host.run([manager, "-q", "-C", "history", "list"])
            if history.ok:
                section["last_success"] = parse_dnf_history(history.out)
            else:
                errors.append(f"last update unknown: {history.why()}")
    else:
        errors.append("no package manager known for this system (neither Debian nor RHEL family)")
    section["error"] = "; ".join(errors) or None
    return section


def gather_detection(host: Host, services: list[str]) -> list[dict[str, Any]]:
    """The candidates whose unit file (or init script) exists; running from systemd, None without it."""
    services = list(dict.fromkeys(services))
    units = [unit_name(s) for s in services]
    on_disk = set()
    for unit in units:
        if unit_file_on_disk(UNIT_DIRS, unit) or os.path.isfile("/etc/init.d/" + unit.rsplit(".", 1)[0]):
            on_disk.add(unit)
    running: dict[str, bool] = {}
    if host.systemd() and units:
        listed = host.run(
            [
                "systemctl",
                "list-unit-files",
                "--no-legend",
                "--no-pager",
                *sorted({template_of(u) for u in units}),
            ]
        )
        known = parse_unit_files(listed.out) if listed.rc is not None else set()
        on_disk.update(u for u in units if template_of(u) in known)
        installed = [u for u in units if u in on_disk]
        if installed:
            active = host.run(["systemctl", "is-active", *installed])
            if active.rc is not None:
                running = parse_is_active(installed, active.out)
    return [
        {"name": service, "installed": True, "running": running.get(unit_name(service))}
        for service in services
        if unit_name(service) in on_disk
    ]


def gather_admins(host: Host, admin_groups: list[str], etc: str = "/etc") -> dict[str, Any]:
    section: dict[str, Any] = {"groups": {}, "sudoers": [], "all": [], "error": None}
    errors = []
    groups = parse_group(host.read_quiet(os.path.join(etc, "group")) or "")
    passwd = parse_passwd(host.read_quiet(os.path.join(etc, "passwd")) or "")

    def members_of(name: str) -> list[str] | None:
        local = group_members(name, groups, passwd)
        if local is not None:
            return local
        try:
            return sorted(grp.getgrnam(name).gr_mem)  # a directory group (sssd, winbind, ldap)
        except KeyError:
            return None

    def gid_members(gid: int) -> list[str] | None:
        for name, (group_gid, _) in groups.items():
            if group_gid == gid:
                return group_members(name, groups, passwd)
        return None

    def uid_name(uid: int) -> str | None:
        return next((name for name, user_uid, _ in passwd if user_uid == uid), None)

    for name in admin_groups:
        section["groups"][name] = members_of(name) or []
    items: list[str] = []
    aliases: dict[str, list[str]] = {}
    pending = [(os.path.join(etc, "sudoers"), 0)]
    seen = set()
    while pending:
        path, depth = pending.pop(0)
        if path in seen or depth > 8:
            continue
        seen.add(path)
        try:
            text = host.read(path)
        except PermissionError:
            errors.append(f"cannot read {path} (run with become: root only)")
            continue
        if text is None:
            continue
        parsed = parse_sudoers(text)
        items.extend(parsed["users"])
        aliases.update(parsed["aliases"])
        for kind, target in parsed["includes"]:
            pending.extend((f, depth + 1) for f in sudoers_included_files(kind, target, path))
    section["sudoers"] = expand_sudoers_users(items, aliases, members_of, gid_members, uid_name)
    everyone = set(section["sudoers"])
    for members in section["groups"].values():
        everyone.update(members)
    everyone.discard("root")
    section["all"] = sorted(everyone)
    section["error"] = "; ".join(errors) or None
    return section


def gather_encryption(host: Host) -> dict[str, Any]:
    root = parse_mountinfo_root(host.read_quiet("/proc/self/mountinfo") or "")
    section: dict[str, Any] = {"root_encrypted": None, "method": None, "devices": [], "error": None}
    section["error"] = container_root_error(root)
    if section["error"]:
        return section
    outcome = host.run(["lsblk", "-J", "-o", "NAME,KNAME,TYPE,MOUNTPOINT,FSTYPE,MAJ:MIN"])
    if not outcome.ok:
        section["error"] = f"lsblk: {outcome.why()}"
        return section
    found = root_encryption(outcome.out, root)
    section.update(root_encrypted=found["root_encrypted"], devices=found["devices"], error=found["error"])
    if found["root_encrypted"]:
        if found["luks"]:
            section["method"] = "LUKS"
        else:
            names = [d.rsplit("/", 1)[-1] for d in found["devices"]]
            crypttab = parse_crypttab(host.read_quiet("/etc/crypttab") or "")
            if any("luks" in crypttab.get(n, []) for n in names):
                section["method"] = "LUKS"
            else:
                for name in names:
                    status = host.run(["cryptsetup", "status", name])
                    kind = parse_cryptsetup_status(status.out) if status.ok else None
                    if kind and kind.upper().startswith("LUKS"):
                        section["method"] = "LUKS"
                        break
    return section


def gather_domain(host: Host, warn: Callable[[str], None]) -> dict[str, Any]:
    """realmd, then sssd.conf, then winbind; joined False when none says so, None when one could not tell."""
    unknown = False
    if host.which("realm"):
        outcome = host.run(["realm", "list"])
        if outcome.ok:
            realm = parse_realm_list(outcome.out)
            if realm:
                return realm
        else:
            warn(f"domain: realm list: {outcome.why()}")
    for path in ("/etc/sssd/sssd.conf", *sorted(glob.glob("/etc/sssd/conf.d/*.conf"))):
        try:
            text = host.read(path)
        except PermissionError:
            unknown = True
            warn(f"domain: cannot read {path} (run with become)")
            continue
        found = parse_sssd_conf(text or "")
        if found:
            return found
    if host.which("wbinfo"):
        if host.run(["wbinfo", "-t"]).ok:
            own = host.run(["wbinfo", "--own-domain"])
            return {"joined": True, "name": own.out.strip() or None, "kind": "winbind"}
        smb = parse_smb_conf(host.read_quiet("/etc/samba/smb.conf") or "")
        if smb.get("security", "").lower() in ("ads", "domain"):
            # configured for a domain, but winbindd does not confirm the trust (not running?)
            warn("domain: smb.conf names a domain but `wbinfo -t` does not confirm the trust")
            return {
                "joined": None,
                "name": smb.get("realm") or smb.get("workgroup") or None,
                "kind": "winbind",
            }
    return {"joined": None if unknown else False, "name": None, "kind": None}


def gather_time(host: Host) -> dict[str, Any]:
    source = time_source(process_names(host))
    synchronised: bool | None = None
    if host.which("timedatectl"):
        show = host.run(["timedatectl", "show", "-p", "NTPSynchronized", "-p", "NTP"])
        if show.ok:
            synchronised = parse_timedatectl_show(show.out)
        else:
            status = host.run(["timedatectl", "status"])
            if status.ok:
                synchronised = parse_timedatectl_status(status.out)
    if synchronised is None and source == "chronyd":
        tracking = host.run(["chronyc", "-n", "tracking"])
        synchronised = parse_chronyc_tracking(tracking.out) if tracking.ok else None
    if synchronised is None and source == "ntpd":
        peers = host.run(["ntpq", "-pn"])
        synchronised = parse_ntpq_peers(peers.out) if peers.ok else None
    return {"synchronised": synchronised, "source": source}


def guarded(name: str, fallback: Any, warn: Callable[[str], None], gather: Callable[[], Any]) -> Any:
    """Run one section's gathering; an unforeseen exception becomes its error, never a failed task."""
    try:
        return gather()
    except Exception as exc:  # the document must come back whatever the host is like
        reason = f"{type(exc).__name__}: {exc}"
        if isinstance(fallback, dict) and "error" in fallback:
            return dict(fallback, error=f"unexpected: {reason}")
        warn(f"{name}: unexpected: {reason}")
        return fallback


def collect(
    detection_services: list[str], admin_groups: list[str], timeout: int, warn: Callable[[str], None]
) -> dict[str, Any]:
    host = Host(timeout)
    collected_at = iso_utc(datetime.now(UTC))
    os_doc = guarded("os", os_section({}, None, None), warn, lambda: gather_os(host))
    family = os_doc.get("family") or "other"
    updates_fallback: dict[str, Any] = {
        "manager": None,
        "pending_security": [],
        "pending_security_count": None,
        "last_success": None,
        "error": None,
    }
    return {
        "collected_at": collected_at,
        "os": os_doc,
        "updates": guarded("updates", updates_fallback, warn, lambda: gather_updates(host, family)),
        "listeners": guarded("listeners", [], warn, lambda: gather_listeners(host, warn)),
        "detection": guarded("detection", [], warn, lambda: gather_detection(host, detection_services)),
        "admins": guarded(
            "admins",
            {"groups": {}, "sudoers": [], "all": [], "error": None},
            warn,
            lambda: gather_admins(host, admin_groups),
        ),
        "encryption": guarded(
            "encryption",
            {"root_encrypted": None, "method": None, "devices": [], "error": None},
            warn,
            lambda: gather_encryption(host),
        ),
        "domain": guarded(
            "domain", {"joined": None, "name": None, "kind": None}, warn, lambda: gather_domain(host, warn)
        ),
        "time": guarded("time", {"synchronised": None, "source": None}, warn, lambda: gather_time(host)),
    }


def main() -> None:
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(
        argument_spec={
            "detection_services": {"type": "list", "elements": "str", "default": list(DEFAULT_DETECTION)},
            "admin_groups": {"type": "list", "elements": "str", "default": list(DEFAULT_ADMIN_GROUPS)},
            "timeout": {"type": "int", "default": 60},
        },
        supports_check_mode=True,
    )
    params = module.params
    fleet = collect(
        list(params["detection_services"]),
        list(params["admin_groups"]),
        max(1, int(params["timeout"])),
        module.warn,
    )
    module.exit_json(changed=False, fleet=fleet)


if __name__ == "__main__":
    main()
