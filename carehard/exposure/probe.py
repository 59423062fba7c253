"""What the vantage host saw (nmap's XML, or port_probe's measures) and the verdict on each target
against what it allows: EX-NET-01."""

from __future__ import annotations

import ipaddress
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from carehard.exposure import (
    CONTROL,
    DEFAULT_PORTS,
    STATES,
    NmapHost,
    PortState,
    Probed,
    Target,
)
from carehard.model import ControlResult

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
