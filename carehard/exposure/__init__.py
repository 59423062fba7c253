"""`carehard exposure scan`: from a vantage host of the inventory, which TCP ports of the other
inventory hosts answer, against what each host allows (`carehard_exposure_allowed`). This module:
the scan's options, targets and allowances, checked before anything runs; probe.py: what the
vantage host saw and the verdict; carehard.jobs.exposure: the run.

The probe runs on the vantage host (playbooks/exposure_scan.yml): nmap when it is installed there,
else the port_probe module of compliance_facts. Only inventory hosts are ever probed, each at its
`ansible_host` (or name); the result is control EX-NET-01 per target, recorded as a run of mode
"exposure" with `facts["exposure"]` per target, and reported like any run.
"""

from __future__ import annotations

import ipaddress
import math
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carehard.config import validate
from carehard.engine.inventory import InventoryHost, list_hosts
from carehard.errors import UsageError

CONTROL = "EX-NET-01"
MODE = "exposure"
PLAYBOOK = "exposure_scan.yml"
ALLOWED_VAR = "carehard_exposure_allowed"
MEASURES_ROLE = "exposure"  # port_probe's measures, as results.py keeps them: HostOutcome.measures

# The TCP ports probed by default, with the service each is known for: the TCP ones of the
# sensitive services (roles/compliance_facts/defaults/main.yml, compliance_facts_sensitive_ports,
# mirrors this list) plus SSH, HTTP and HTTPS.
DEFAULT_PORTS: dict[int, str] = {
    21: "ftp",
    22: "ssh",
    23: "telnet",
    80: "http",
    135: "msrpc",
    139: "netbios-ssn",
    443: "https",
    445: "smb",
    1433: "mssql",
    1521: "oracle",
    2375: "docker-api",
    2376: "docker-api-tls",
    3306: "mysql",
    3389: "rdp",
    5432: "postgresql",
    5800: "vnc-http",
    5900: "vnc",
    5901: "vnc",
    5902: "vnc",
    5903: "vnc",
    5938: "teamviewer",
    5985: "winrm",
    5986: "winrm-https",
    6379: "redis",
    6568: "anydesk",
    7070: "anydesk",
    8040: "screenconnect",
    8041: "screenconnect",
    9200: "elasticsearch",
    11211: "memcached",
    27017: "mongodb",
}
DEFAULT_TIMEOUT = 3.0  # seconds one port may take to answer
DEFAULT_RATE = 100  # new connections per second, at most
MAX_PORTS = 1024
METHODS = ("auto", "nmap", "connect")
# port_probe's connections in flight (its default): with the rate, what bounds the probe's time.
CONCURRENCY = 128
SSH_CONNECTIONS = ("ssh", "paramiko", "paramiko_ssh", "community.general.paramiko_ssh")
STATES = ("open", "closed", "filtered")
_ANY_ADDRESS = ("", "0.0.0.0", "::", "*")
_HOSTNAME = re.compile(
    r"^(?=.*[A-Za-z_])[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
    r"(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$"
)
_PORT_ITEM = re.compile(r"^([0-9]+)(?:-([0-9]+))?(?:/(tcp|udp))?$")


@dataclass(frozen=True)
class Allowance:
    """One entry of a host's carehard_exposure_allowed."""

    port: int
    proto: str
    reason: str
    address: str | None = None

    def covers(self, port: int, proto: str, address: str | None) -> bool:
        if (self.port, self.proto) != (port, proto):
            return False
        return self.address is None or self.address in _ANY_ADDRESS or self.address == address


@dataclass(frozen=True)
class Target:
    name: str
    address: str
    allowed: tuple[Allowance, ...] = ()


@dataclass(frozen=True)
class ScanOptions:
    inventory: Path
    vantage: str
    ports: tuple[int, ...] = tuple(DEFAULT_PORTS)
    limit: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    rate: int = DEFAULT_RATE
    method: str = "auto"


@dataclass(frozen=True)
class ScanPlan:
    options: ScanOptions
    vantage: InventoryHost
    targets: tuple[Target, ...]
    bound: float  # seconds the whole probe may take
    skipped: tuple[tuple[str, str], ...] = ()  # (host, why) left out: not reachable over a network
    listed: tuple[InventoryHost, ...] = ()  # the whole inventory as listed for the plan, read once


@dataclass(frozen=True)
class PortState:
    state: str  # open, closed, filtered
    reason: str | None = None
    service: str | None = None


@dataclass(frozen=True)
class Probed:
    """What the vantage host saw of one target."""

    address: str | None
    ports: dict[int, PortState] = field(default_factory=dict)
    complete: bool = True
    problem: str | None = None  # why it was not probed at all


@dataclass(frozen=True)
class NmapHost:
    address: str
    hostnames: tuple[str, ...]
    ports: dict[int, PortState]
    timed_out: bool = False
    folded: str | None = None  # the state of the ports nmap folded without listing them (before 7.80)


# --- the request -------------------------------------------------------------------------------------


def parse_ports(text: str | None) -> tuple[int, ...]:
    """`--ports`: TCP ports as a comma list, ranges allowed (22,80,5900-5903); None: the default."""
    if text is None:
        return tuple(DEFAULT_PORTS)
    ports: list[int] = []
    for item in (part.strip().lower() for part in text.split(",")):
        if not item:
            continue
        match = _PORT_ITEM.match(item)
        if not match:
            raise UsageError(f"--ports: '{item}' is not a port or a range like 5900-5903")
        if match.group(3) == "udp":
            raise UsageError(f"--ports: {item}: the scan probes TCP ports only")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if not 1 <= first <= last <= 65535:
            raise UsageError(f"--ports: '{item}' is not within 1-65535 (low-high)")
        ports.extend(range(first, last + 1))
    unique = tuple(sorted(set(ports)))
    if not unique:
        raise UsageError("--ports: give at least one TCP port")
    if len(unique) > MAX_PORTS:
        raise UsageError(f"--ports: {len(unique)} ports, more than {MAX_PORTS}: scan fewer at a time")
    return unique


def parse_allowed(host: str, value: Any, inventory: Path | None = None) -> tuple[Allowance, ...]:
    """A host's carehard_exposure_allowed: [{port, proto (tcp), reason, address (optional)}]."""
    where = f"inventory {inventory}, host {host}" if inventory is not None else f"host {host}"
    validate({ALLOWED_VAR: value}, "exposure", where)
    allowed = []
    for index, entry in enumerate(value or []):
        port = int(entry["port"])
        if not 1 <= port <= 65535:
            raise UsageError(
                f"{where}: {ALLOWED_VAR}[{index}].port: expected a port number within 1-65535, got '{port}'"
            )
        proto = str(entry.get("proto") or "tcp").lower()
        address = entry.get("address")
        allowed.append(
            Allowance(
                port, proto, entry["reason"].strip(), str(address).strip() if address is not None else None
            )
        )
    return tuple(allowed)


def single_host(address: str) -> bool:
    """Whether `address` is one host (an IP address or a DNS name), not a range nmap would expand."""
    try:
        ipaddress.ip_address(address.split("%", 1)[0])
        return True
    except ValueError:
        return bool(_HOSTNAME.match(address)) and len(address) <= 253


def loopback(host: InventoryHost) -> bool:
    """A host only its own machine reaches: the local connection, or a loopback address."""
    if host.connection == "local" or host.address.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def scan_bound(targets: int, ports: int, timeout: float, rate: float) -> float:
    """Seconds the whole probe may take: every probe started within the rate (nmap may retry each
    once) or the concurrency, the last ones timing out, and room to resolve names and start."""
    probes = targets * ports
    return math.ceil(max(2 * probes / rate, probes * timeout / CONCURRENCY) + 2 * timeout + 15)


def plan_scan(options: ScanOptions) -> ScanPlan:
    """Check the request against the inventory before anything runs: every refusal is a UsageError."""
    if options.method not in METHODS:
        raise UsageError(f"--method {options.method}: one of {', '.join(METHODS)}")
    if not options.ports:
        raise UsageError("--ports: give at least one TCP port")
    everyone, selected = _inventory_hosts(options.inventory, options.limit)
    vantage = everyone.get(options.vantage)
    if vantage is None:
        raise UsageError(
            f"vantage host {options.vantage} is not in the inventory {options.inventory}:"
            " --from names one of its hosts"
        )
    if vantage.is_directory:
        raise UsageError(
            f"vantage host {vantage.name} is a directory (group directories), which carehard reads from this"
            " machine and never logs in to: --from names a Linux host reached over SSH"
        )
    if vantage.connection not in SSH_CONNECTIONS:
        raise UsageError(
            f"vantage host {vantage.name} connects over {vantage.connection}:"
            " the scan runs from a Linux host reached over SSH"
        )
    targets: list[Target] = []
    skipped: list[tuple[str, str]] = []
    for host in selected:
        if host.name == vantage.name:
            continue
        if host.is_directory:
            skipped.append(
                (host.name, "a directory (group directories): scan its domain controllers as hosts")
            )
            continue
        if loopback(host):
            skipped.append((host.name, f"{host.address} is reached by this machine only, not over a network"))
            continue
        if not single_host(host.address):
            raise UsageError(
                f"host {host.name}: address '{host.address}' (ansible_host) is not one IP address or DNS"
                " name: only single inventory hosts are scanned"
            )
        allowed = parse_allowed(host.name, host.vars.get(ALLOWED_VAR), options.inventory)
        targets.append(Target(host.name, host.address, allowed))
    if not targets:
        where = f" matching --limit {options.limit}" if options.limit else ""
        raise UsageError(f"no inventory host{where} to scan besides the vantage host {vantage.name}")
    bound = scan_bound(len({t.address for t in targets}), len(options.ports), options.timeout, options.rate)
    return ScanPlan(options, vantage, tuple(targets), bound, tuple(skipped), tuple(everyone.values()))


def _inventory_hosts(
    inventory: Path, limit: str | None
) -> tuple[dict[str, InventoryHost], list[InventoryHost]]:
    """Every host of the inventory by name, and those --limit selects; each term of --limit that
    adds hosts must match at least one inventory host (so an address given there is refused)."""
    everyone = {h.name: h for h in list_hosts(inventory)}
    if not limit:
        return everyone, list(everyone.values())
    terms = [t for t in _limit_terms(limit) if not t.startswith(("!", "&"))]

    def matches(term: str) -> bool:
        try:
            return bool(list_hosts(inventory, term))
        except UsageError:
            return False

    with ThreadPoolExecutor(max_workers=min(8, len(terms) + 1)) as pool:
        selected_future = pool.submit(_selected, inventory, limit)
        found = list(pool.map(matches, terms))
        selected = selected_future.result()
    for term, ok in zip(terms, found, strict=True):
        if not ok:
            raise UsageError(_no_match(term, inventory))
    return everyone, selected


def _selected(inventory: Path, limit: str) -> list[InventoryHost]:
    try:
        return list_hosts(inventory, limit)
    except UsageError:
        raise UsageError(_no_match(limit, inventory)) from None


def _no_match(pattern: str, inventory: Path) -> str:
    return f"--limit {pattern} matches no host of the inventory {inventory}: only inventory hosts are scanned"


def _limit_terms(limit: str) -> list[str]:
    """The terms of an Ansible host pattern, as Ansible splits it."""
    from ansible.inventory.manager import split_host_pattern

    return [str(term) for term in split_host_pattern(limit)]
