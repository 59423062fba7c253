"""Judge what the service probes of workstation_linux print: which "not in use" services are in use
(WL-SVC-06..09, WL-FW-03) and which sockets listen beyond loopback (WL-SVC-10).

Pure functions, standard library only: Ansible loads this file by path. They never raise on an
unexpected input (a host nobody foresaw must not abort a run): unreadable lines are left out.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

LIVE_STATES = ("active", "activating", "reloading", "deactivating")
MASKED = ("masked", "masked-runtime")
# ss -Hlntup: Netid State Recv-Q Send-Q Local:Port Peer:Port [users:(("name",pid=1,fd=3),...)]
SS_LINE = re.compile(r"^(?P<proto>tcp|udp)\s+\S+\s+\d+\s+\d+\s+(?P<local>\S+)\s+\S+(?:\s+(?P<users>.*))?$")
SS_PROCESS = re.compile(r'\("(?P<name>[^"]+)",pid=(?P<pid>\d+)')


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def parse_service_probe(stdout: Any) -> dict[str, Any]:
    """The shared probe's lines "pkg NAME" and "unit NAME LOAD ACTIVE FILESTATE" ->
    {"packages": [names installed], "units": {name: {"active": ..., "state": ...}}} (units that exist)."""
    packages: list[str] = []
    units: dict[str, dict[str, str]] = {}
    for line in str(stdout or "").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "pkg":
            packages.append(parts[1])
        elif len(parts) >= 4 and parts[0] == "unit" and parts[2] not in ("not-found", ""):
            units[parts[1]] = {"active": parts[3], "state": parts[4] if len(parts) > 4 else ""}
    return {"packages": sorted(set(packages)), "units": units}


def services_in_use(stdout: Any, items: Any, needed: Any = None) -> list[dict[str, Any]]:
    """One verdict per item {id, cis, name, packages, units, remove, keep_if} of a "not in use" list:
    ok when none of its packages is installed, when the site needs it (`needed` names it) or a
    package that needs it is installed (keep_if: a display manager needs the X server), or when
    its units all exist stopped and masked. `live` are the units that still run or could start."""
    probe = parse_service_probe(stdout)
    installed_all = set(probe["packages"])
    wanted = {str(n) for n in _list(needed)}
    verdicts = []
    for item in _list(items):
        if not isinstance(item, Mapping):
            continue
        name = str(item.get("name", ""))
        installed = [p for p in _list(item.get("packages")) if p in installed_all]
        kept_by = [p for p in _list(item.get("keep_if")) if p in installed_all]
        units = [{"name": u, **probe["units"][u]} for u in _list(item.get("units")) if u in probe["units"]]
        live = [u["name"] for u in units if u["active"] in LIVE_STATES or u["state"] not in MASKED]
        if not installed:
            ok, text = True, "not installed"
        elif name in wanted:
            ok, text = True, f"{', '.join(installed)} installed, kept (workstation_linux_services_needed)"
        elif kept_by:
            ok, text = True, f"{', '.join(installed)} installed, kept: {', '.join(kept_by)} needs it"
        else:
            ok = bool(units) and not live
            states = ", ".join(f"{u['name']} {u['active']}/{u['state'] or 'unknown'}" for u in units)
            text = f"{', '.join(installed)} installed" + (f"; {states}" if states else "; no unit to stop")
        verdicts.append(
            {
                "id": str(item.get("id", "")),
                "cis": str(item.get("cis", "")),
                "name": name,
                "installed": installed,
                "removable": bool(item.get("remove", True)),
                "units": units,
                "live": live,
                "ok": ok,
                "text": f"{name} ({item.get('cis', '')}): {text}",
            }
        )
    return verdicts


def _split_address(local: str) -> tuple[str, str]:
    address, _, port = local.rpartition(":")
    address = address.strip("[]").split("%")[0]
    return (address or "*"), port


def _is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool((mapped or ip).is_loopback)


def listening_sockets(stdout: Any) -> list[dict[str, Any]]:
    """`ss -Hlntup` -> [{proto, address, port, process, loopback}], one per socket line."""
    found = []
    for line in str(stdout or "").splitlines():
        match = SS_LINE.match(line.strip())
        if not match:
            continue
        address, port = _split_address(match.group("local"))
        process = SS_PROCESS.search(match.group("users") or "")
        found.append(
            {
                "proto": match.group("proto"),
                "address": address,
                "port": port,
                "process": process.group("name") if process else "",
                "loopback": _is_loopback(address),
            }
        )
    return found


def unapproved_listeners(stdout: Any, allowed: Any) -> list[dict[str, Any]]:
    """The sockets beyond loopback that no entry of `allowed` approves: an entry is a process
    name ("sshd") or a port and protocol ("22/tcp"). Each has a text "22/tcp on * (sshd)"."""
    approved = {str(a).strip() for a in _list(allowed)}
    out, seen = [], set()
    for sock in listening_sockets(stdout):
        key = (sock["proto"], sock["address"], sock["port"])
        if sock["loopback"] or key in seen:
            continue
        seen.add(key)
        if sock["process"] in approved or f"{sock['port']}/{sock['proto']}" in approved:
            continue
        out.append({**sock, "text": _text(sock)})
    return out


def _text(sock: Mapping[str, Any]) -> str:
    return f"{sock['port']}/{sock['proto']} on {sock['address']} ({sock['process'] or 'unknown process'})"


def listener_texts(stdout: Any) -> list[str]:
    """Every socket beyond loopback, as "22/tcp on * (sshd)", once each."""
    texts = []
    for sock in listening_sockets(stdout):
        if not sock["loopback"]:
            text = _text(sock)
            if text not in texts:
                texts.append(text)
    return texts


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "carehard_services_in_use": services_in_use,
            "carehard_unapproved_listeners": unapproved_listeners,
            "carehard_listener_texts": listener_texts,
        }
