"""`carehard exposure scan`: from a vantage host of the inventory, which TCP ports of the other
inventory hosts answer, against what each host allows (`carehard_exposure_allowed`).

The probe runs on the vantage host (playbooks/exposure_scan.yml): nmap when it is installed there,
else the port_probe module of compliance_facts. Only inventory hosts are ever probed, each at its
`ansible_host` (or name); the result is control EX-NET-01 per target, recorded as a run of mode
"exposure" with `facts["exposure"]` per target, and reported like any run.
"""

from __future__ import annotations

import ipaddress
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from carehard import __version__
from carehard.catalog import load_catalog
from carehard.engine.inventory import InventoryHost, list_hosts
from carehard.engine.results import ResultFolder
from carehard.engine.run import PlaybookRun, new_run_id, run_playbook
from carehard.errors import RunBroken, UsageError
from carehard.jobs.assess import record_and_report
from carehard.model import ControlResult, HostOutcome, RunRecord, exit_code_of

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

EventObserver = Callable[[Mapping[str, Any]], None]


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
    output: Path = Path("carehard-report")
    formats: tuple[str, ...] = ("json", "html")


@dataclass(frozen=True)
class ScanPlan:
    options: ScanOptions
    vantage: InventoryHost
    targets: tuple[Target, ...]
    bound: float  # seconds the whole probe may take
    skipped: tuple[tuple[str, str], ...] = ()  # (host, why) left out: not reachable over a network


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


@dataclass(frozen=True)
class ScanResult:
    run: RunRecord
    report_files: list[Path]
    exit_code: int
    problem: str | None = None  # the vantage host or its probe broke: every target is unmeasured


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


def parse_allowed(host: str, value: Any) -> tuple[Allowance, ...]:
    """A host's carehard_exposure_allowed: [{port, proto (tcp), reason, address (optional)}]."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise UsageError(f"host {host}: {ALLOWED_VAR} must be a list of {{port, proto, reason, address}}")
    allowed = []
    for index, entry in enumerate(value, start=1):
        where = f"host {host}: {ALLOWED_VAR} entry {index}"
        if not isinstance(entry, Mapping):
            raise UsageError(f"{where} is not a mapping of port, proto, reason, address")
        port = entry.get("port")
        if isinstance(port, str) and port.strip().isdigit():
            port = int(port)
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise UsageError(f"{where}: port must be a number within 1-65535")
        proto = str(entry.get("proto") or "tcp").lower()
        if proto not in ("tcp", "udp"):
            raise UsageError(f"{where}: proto must be tcp or udp")
        reason = str(entry.get("reason") or "").strip()
        if not reason:
            raise UsageError(f"{where}: give the reason the port {port}/{proto} may be reachable")
        address = entry.get("address")
        allowed.append(Allowance(port, proto, reason, str(address).strip() if address is not None else None))
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
        if loopback(host):
            skipped.append((host.name, f"{host.address} is reached by this machine only, not over a network"))
            continue
        if not single_host(host.address):
            raise UsageError(
                f"host {host.name}: address '{host.address}' (ansible_host) is not one IP address or DNS"
                " name: only single inventory hosts are scanned"
            )
        targets.append(Target(host.name, host.address, parse_allowed(host.name, host.vars.get(ALLOWED_VAR))))
    if not targets:
        where = f" matching --limit {options.limit}" if options.limit else ""
        raise UsageError(f"no inventory host{where} to scan besides the vantage host {vantage.name}")
    bound = scan_bound(len({t.address for t in targets}), len(options.ports), options.timeout, options.rate)
    return ScanPlan(options, vantage, tuple(targets), bound, tuple(skipped))


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


# --- what the vantage host saw -----------------------------------------------------------------------


def parse_nmap_xml(text: str) -> list[NmapHost]:
    """The hosts of nmap's XML output (`-oX -`); a run cut short still gives the hosts it finished.
    The TCP ports nmap folds into <extraports> are expanded from their <extrareasons ports=...>
    (nmap 7.80 and later); an older nmap's single <extraports> is kept as the host's `folded` state."""
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("end",))
    try:
        parser.feed(text)
        parser.close()
    except ET.ParseError:
        pass
    hosts: list[NmapHost] = []
    events = parser.read_events()
    while True:
        try:
            event = next(events)
        except (StopIteration, ET.ParseError):  # the error is queued after the events before it
            return hosts
        element: object = event[-1] if isinstance(event, tuple) and event else None
        if isinstance(element, ET.Element) and element.tag == "host":
            hosts.append(_nmap_host(element))


def _nmap_host(element: ET.Element) -> NmapHost:
    address = next(
        (a.get("addr", "") for a in element.findall("address") if a.get("addrtype") in ("ipv4", "ipv6")), ""
    )
    names = tuple(h.get("name", "") for h in element.findall("hostnames/hostname") if h.get("type") == "user")
    ports: dict[int, PortState] = {}
    extras = element.findall("ports/extraports")
    listed = False
    for extra in extras:
        state = _state(extra.get("state"))
        for reasons in extra.findall("extrareasons"):
            if reasons.get("ports") is None:
                continue
            listed = True
            if (reasons.get("proto") or "tcp") == "tcp":
                for port in _port_ranges(reasons.get("ports", "")):
                    ports[port] = PortState(state, reasons.get("reason"))
    for item in element.findall("ports/port"):
        if item.get("protocol") != "tcp" or not str(item.get("portid", "")).isdigit():
            continue
        state_el, service = item.find("state"), item.find("service")
        ports[int(item.get("portid", "0"))] = PortState(
            _state(state_el.get("state") if state_el is not None else None),
            state_el.get("reason") if state_el is not None else None,
            service.get("name") if service is not None else None,
        )
    folded = _state(extras[0].get("state")) if len(extras) == 1 and not listed else None
    return NmapHost(address, names, ports, element.get("timedout") == "true", folded)


def _state(value: str | None) -> str:
    """nmap's port state as one of open, closed, filtered (open|filtered and the like: filtered)."""
    if value in ("open", "closed"):
        return value
    if value == "unfiltered":
        return "closed"
    return "filtered"


def _port_ranges(text: str) -> list[int]:
    ports: list[int] = []
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        if low.isdigit() and (not high or high.isdigit()):
            ports.extend(range(int(low), int(high or low) + 1))
    return ports


def _address_key(address: str) -> str:
    """One spelling per address (2001:DB8:0::1 and 2001:db8::1 alike), names in lower case."""
    try:
        return str(ipaddress.ip_address(address.split("%", 1)[0]))
    except ValueError:
        return address.lower().rstrip(".")


def probed_from_nmap(
    runs: Sequence[Mapping[str, Any]], targets: Sequence[Target], ports: Sequence[int]
) -> dict[str, Probed]:
    """Per target name, what nmap's runs say of its address (a target nmap gave nothing for: what
    its stderr says of it, e.g. 'Failed to resolve')."""
    by_key: dict[str, NmapHost] = {}
    stderr = []
    for run in runs:
        for host in parse_nmap_xml(str(run.get("xml") or "")):
            for key in (host.address, *host.hostnames):
                by_key.setdefault(_address_key(key), host)
        if run.get("stderr"):
            stderr.append(str(run["stderr"]))
    wanted = set(ports)
    probed: dict[str, Probed] = {}
    for target in targets:
        found = by_key.get(_address_key(target.address))
        if found is None:
            probed[target.name] = Probed(
                None, complete=False, problem=_nmap_complaint(stderr, target.address)
            )
            continue
        states = {p: s for p, s in found.ports.items() if p in wanted}
        if found.folded is not None:
            states.update({p: PortState(found.folded) for p in wanted - set(states)})
        complete = not found.timed_out and set(states) == wanted
        probed[target.name] = Probed(found.address, states, complete)
    return probed


def _nmap_complaint(stderr: Sequence[str], address: str) -> str:
    for line in "\n".join(stderr).splitlines():
        if address in line:
            return f"nmap on the vantage host: {line.strip()}"
    return f"nmap on the vantage host gave no result for {address}"


def probed_from_connect(measured: Mapping[str, Any], targets: Sequence[Target]) -> dict[str, Probed]:
    """Per target name, what port_probe's connect method returned for its address."""
    probed: dict[str, Probed] = {}
    for target in targets:
        entry = measured.get(target.address)
        if not isinstance(entry, Mapping):
            probed[target.name] = Probed(None, complete=False, problem="port_probe gave no result for it")
            continue
        if entry.get("error"):
            probed[target.name] = Probed(None, complete=False, problem=str(entry["error"]))
            continue
        ports: dict[int, PortState] = {}
        for port, value in (entry.get("ports") or {}).items():
            state, reason = [*list(value), None, None][:2]
            ports[int(port)] = PortState(_state(state), reason)
        probed[target.name] = Probed(str(entry.get("address") or target.address), ports)
    return probed


def probed_of(
    measures: Mapping[str, Any], targets: Sequence[Target], ports: Sequence[int]
) -> dict[str, Probed]:
    """port_probe's measures, whichever method it used, as what was seen per target."""
    if measures.get("method") == "nmap":
        return probed_from_nmap(measures.get("runs") or [], targets, ports)
    probed = probed_from_connect(measures.get("targets") or {}, targets)
    if measures.get("complete") is False:
        wanted = set(ports)
        probed = {
            name: p if p.problem or set(p.ports) >= wanted else Probed(p.address, p.ports, complete=False)
            for name, p in probed.items()
        }
    return probed


# --- the verdict ---------------------------------------------------------------------------------------


def service_of(port: int, seen: str | None = None) -> str | None:
    return DEFAULT_PORTS.get(port) or seen


def evaluate(
    target: Target,
    probed: Probed,
    vantage: str,
    ports: Sequence[int],
    method: str,
    scanned_at: str,
    bound: float | None = None,
) -> tuple[ControlResult, dict[str, Any]]:
    """EX-NET-01 on one target, and its `facts["exposure"]`."""
    facts: dict[str, Any] = {
        "from": vantage,
        "method": method,
        "scanned_at": scanned_at,
        "address": probed.address or target.address,
        "complete": probed.complete and probed.problem is None,
        "ports": [],
    }
    if probed.problem is not None:
        return ControlResult(CONTROL, "unreachable", f"not probed from {vantage}: {probed.problem}"), facts
    where = probed.address or target.address
    bad: list[str] = []
    good: list[str] = []
    counts = dict.fromkeys(STATES, 0)
    for port in sorted(set(ports)):
        seen = probed.ports.get(port)
        if seen is None:
            continue
        service = service_of(port, seen.service)
        allowance = next((a for a in target.allowed if a.covers(port, "tcp", where)), None)
        if allowance is None and where != target.address:
            allowance = next((a for a in target.allowed if a.covers(port, "tcp", target.address)), None)
        facts["ports"].append(
            {
                "port": port,
                "proto": "tcp",
                "state": seen.state,
                "service": service,
                "allowed": allowance is not None,
            }
        )
        counts[seen.state] += 1
        if seen.state != "open":
            continue
        label = f"{port}/tcp" + (f" ({service})" if service else "")
        if allowance is None:
            bad.append(f"{label} NOT allowed")
        else:
            good.append(f"{label} allowed ({allowance.reason})")
    missing = len(set(ports)) - len(probed.ports.keys() & set(ports))
    rest = _rest(counts)
    if bad or good:
        text = f"reachable from {vantage} on {where}: " + "; ".join(bad + good)
        if rest:
            text += f"; the other ports {rest}"
    elif counts["filtered"] and not counts["closed"]:
        reasons = {s.reason for s in probed.ports.values()}
        why = (
            f"host unreachable from {vantage}: down, or not routed from there"
            if reasons <= {"host-unreach", "net-unreach"}
            else "the host is down, or a firewall drops everything from there"
        )
        silent = counts["filtered"]
        text = f"nothing reachable from {vantage} on {where}: no port answered ({silent} filtered: {why})"
    else:
        text = f"nothing reachable from {vantage} on {where}: {rest}"
    if missing or not probed.complete:
        within = f" within {bound:g} s" if bound else ""
        text += (
            f"; scan incomplete: {missing or 'some'} of {len(set(ports))} ports not probed{within}"
            " (raise --rate, or scan fewer hosts at a time)"
        )
    if bad:
        status = "fail"
    elif missing or not probed.complete:
        status = "error"
    else:
        status = "pass"
    return ControlResult(CONTROL, status, text), facts


def _rest(counts: Mapping[str, int]) -> str:
    parts = [f"{counts[s]} {s}" for s in ("closed", "filtered") if counts[s]]
    return ", ".join(parts)


# --- the run --------------------------------------------------------------------------------------------


def run_scan(plan: ScanPlan, on_event: EventObserver | None = None) -> ScanResult:
    """Probe from the vantage host, judge every target, record the run, write the reports."""

    options = plan.options
    catalog = load_catalog()
    try:
        options.output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create report directory {options.output}: {exc.strerror}") from None
    run_id = new_run_id()
    started = _now()
    scanned_at = _now_z()
    addresses = list(dict.fromkeys(t.address for t in plan.targets))
    request = PlaybookRun(
        inventory=options.inventory.resolve(),
        check_mode=False,  # the play changes nothing; nmap and port_probe only connect
        tags=(),
        limit=plan.vantage.name,
        extravars={
            "carehard_mode": MODE,
            "carehard_exposure_vantage": plan.vantage.name,
            "carehard_exposure_targets": addresses,
            "carehard_exposure_ports": list(options.ports),
            "carehard_exposure_timeout": options.timeout,
            "carehard_exposure_rate": options.rate,
            "carehard_exposure_bound": plan.bound,
            "carehard_exposure_method": options.method,
        },
        playbook=PLAYBOOK,
    )
    folder = ResultFolder(check_mode=False, controls=[])

    def handle(event: Mapping[str, Any]) -> None:
        if on_event:
            on_event(event)
        folder.feed(event)

    outcome = run_playbook(run_id, run_id, request, handle)
    vantage = folder.outcomes().get(plan.vantage.name)
    if vantage is None:
        raise RunBroken(f"the exposure playbook ran on no host: see {outcome.artifacts / 'stdout'}")
    measures = vantage.measures.get(MEASURES_ROLE)
    problem: str | None = None
    if not vantage.reachable:
        problem = f"vantage host {plan.vantage.name} unreachable: " + "; ".join(vantage.errors)
    elif vantage.errors or not isinstance(measures, Mapping):
        problem = f"the probe on {plan.vantage.name} broke: " + (
            "; ".join(vantage.errors) or f"no result (see {outcome.artifacts / 'stdout'})"
        )
    hosts: dict[str, HostOutcome] = {}
    method = str(measures.get("method")) if isinstance(measures, Mapping) else "none"
    seen = probed_of(measures, plan.targets, options.ports) if problem is None and measures else {}
    for target in plan.targets:
        host = HostOutcome(target.name)
        if problem is not None:
            status = "unreachable" if not vantage.reachable else "error"
            host.results[CONTROL] = ControlResult(CONTROL, status, f"not measured: {problem}")
            host.facts[MODE] = {
                "from": plan.vantage.name,
                "method": method,
                "scanned_at": scanned_at,
                "address": target.address,
                "complete": False,
                "ports": [],
            }
        else:
            probed = seen.get(target.name) or Probed(None, complete=False, problem="no result for it")
            result, facts = evaluate(
                target, probed, plan.vantage.name, options.ports, method, scanned_at, plan.bound
            )
            host.results[CONTROL] = result
            host.facts[MODE] = facts
        hosts[target.name] = host
    record = RunRecord(
        id=run_id,
        mode=MODE,
        started=started,
        finished=_now(),
        carehard_version=__version__,
        level=1,
        selection={
            "inventory": str(options.inventory),
            "limit": options.limit,
            "only": [CONTROL],
            "skip": [],
            "from": plan.vantage.name,
            "ports": list(options.ports),
            "timeout": options.timeout,
            "rate": options.rate,
            "method": method,
            "skipped": [name for name, _ in plan.skipped],
        },
        controls=[CONTROL],
        exit_code=exit_code_of(hosts.values()),
        artifacts=str(outcome.artifacts),
        hosts=hosts,
    )
    files = record_and_report(record, catalog, options.output, options.formats)
    return ScanResult(record, files, record.exit_code, problem)


def verdict_lines(run: RunRecord) -> Iterable[str]:
    """One line per target for the terminal: its verdict and what answered."""
    for host in run.hosts.values():
        result = host.results.get(CONTROL)
        if result is not None:
            yield f"{host.name}: {result.status}: {result.evidence}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _now_z() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
