"""Judge the fleet facts document of a host (compliance_facts): OS support against the
end-of-support table, sensitive listeners against the allowed list, administrators against the
declared ones. Pure functions, stdlib only: Ansible loads this file by path."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from datetime import date
from typing import Any

SUPPORT_STATUSES = ("supported", "ending", "unsupported", "unknown")
ENTERPRISE_EDITIONS = ("enterprise", "education", "iotenterprise", "serverrdsh")
LTSC_EDITIONS = ("enterprises", "enterprisesn", "iotenterprises")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _build(value: Any) -> int | None:
    head = str(value or "").split(".")[0]
    return int(head) if head.isdigit() else None


# ---- OS support -------------------------------------------------------------------------------


def _linux_row(os: Mapping[str, Any], table: Mapping[str, Any]) -> Mapping[str, Any] | None:
    rows = _list(table.get(str(os.get("id") or "").lower()))
    version = str(os.get("version") or "")
    wanted = version if str(os.get("id")).lower() == "ubuntu" else version.split(".")[0]
    return next((r for r in rows if isinstance(r, Mapping) and str(r.get("version")) == wanted), None)


def _windows_row(os: Mapping[str, Any], table: Mapping[str, Any]) -> Mapping[str, Any] | None:
    build = _build(os.get("build"))
    edition = str(os.get("edition") or "").lower()
    if "server" in str(os.get("name") or "").lower():
        kind = "windows_server"
    elif edition in LTSC_EDITIONS:
        kind = "windows_ltsc"
    elif edition.rstrip("n") in ENTERPRISE_EDITIONS:
        kind = "windows_enterprise"
    else:
        kind = "windows_consumer"
    for row in _list(table.get(kind)):
        if not isinstance(row, Mapping):
            continue
        if "build" in row:
            if build is not None and _build(row["build"]) == build:
                return row
            continue
        if str(row.get("version") or "").upper() != str(os.get("version") or "").upper():
            continue
        low, high = _build(row.get("build_min")), _build(row.get("build_max"))
        if build is not None and ((low is not None and build < low) or (high is not None and build > high)):
            continue
        return row
    return None


def os_support(
    fleet: Any, table: Any, today: Any, warn_days: Any = 90, updated: Any = None
) -> dict[str, Any]:
    """{status: supported|ending|unsupported|unknown, ends, days_left, name, text} for a host's OS."""
    os = _mapping(_mapping(fleet).get("os"))
    table = _mapping(table)
    now = _day(today)
    known = f"table updated {updated}" if updated else "carehard's table"
    shown = str(os.get("pretty") or os.get("name") or "unknown OS")
    row = _windows_row(os, table) if os.get("family") == "windows" else _linux_row(os, table)
    ends = _day(_mapping(row).get("ends"))
    if row is None or ends is None or now is None:
        why = (
            os.get("error") or f"{shown} (id {os.get('id')}, version {os.get('version')}) is not in the table"
        )
        return {
            "status": "unknown",
            "ends": None,
            "days_left": None,
            "name": None,
            "text": f"end of support unknown: {why} ({known}); check it with the vendor",
        }
    days = (ends - now).days
    warn = int(warn_days) if str(warn_days).lstrip("-").isdigit() else 90
    status = "unsupported" if days < 0 else "ending" if days <= warn else "supported"
    name = str(row.get("name") or shown)
    if days < 0:
        text = f"{name}: security support ended on {ends.isoformat()} ({-days} days ago; {known})"
    else:
        text = f"{name}: security support until {ends.isoformat()} ({days} days left; {known})"
    return {"status": status, "ends": ends.isoformat(), "days_left": days, "name": name, "text": text}


# ---- Exposure ---------------------------------------------------------------------------------


def _address(value: Any) -> str:
    text = str(value or "").strip().strip("[]").split("%")[0]
    return "0.0.0.0" if text in ("", "*") else text


def _is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address.lower() == "localhost"
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))


def _port(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _proto(value: Any) -> str:
    return str(value or "tcp").lower()[:3]


def exposed_listeners(listeners: Any, sensitive: Any, allowed: Any) -> list[dict[str, Any]]:
    """The sensitive listeners bound to a non-loopback address, each {allowed, reason, text}."""
    services = {
        (_proto(s.get("proto")), _port(s.get("port"))): str(s.get("service") or "")
        for s in _list(sensitive)
        if isinstance(s, Mapping)
    }
    grants = [a for a in _list(allowed) if isinstance(a, Mapping)]
    found: list[dict[str, Any]] = []
    seen: set[tuple[str, str, int | None]] = set()
    for listener in _list(listeners):
        if not isinstance(listener, Mapping):
            continue
        proto, port, address = (
            _proto(listener.get("proto")),
            _port(listener.get("port")),
            _address(listener.get("address")),
        )
        if (proto, port) not in services or _is_loopback(address) or (proto, address, port) in seen:
            continue
        seen.add((proto, address, port))
        grant = next(
            (
                g
                for g in grants
                if _port(g.get("port")) == port
                and _proto(g.get("proto")) == proto
                and (not g.get("address") or _address(g.get("address")) == address)
            ),
            None,
        )
        process = listener.get("process") or "unknown process"
        who = ", ".join(
            part
            for part in (
                f"pid {listener['pid']}" if listener.get("pid") is not None else "",
                f"user {listener['user']}" if listener.get("user") else "",
            )
            if part
        )
        text = f"{port}/{proto} ({services[(proto, port)]}) on {address} by {process}" + (
            f" ({who})" if who else ""
        )
        reason = str(grant.get("reason") or "no reason given") if grant else None
        found.append(
            {
                "proto": proto,
                "address": address,
                "port": port,
                "process": listener.get("process"),
                "service": services[(proto, port)],
                "allowed": grant is not None,
                "reason": reason,
                "text": text + (f", allowed: {reason}" if grant else ""),
            }
        )
    return sorted(found, key=lambda e: (e["port"] or 0, e["proto"], e["address"]))


# ---- Administrators ---------------------------------------------------------------------------


def undeclared_admins(admins: Any, declared: Any) -> list[str]:
    """The administrators of the host that carehard_admins does not name (case-insensitive)."""
    wanted = {str(name).strip().lower() for name in _list(declared) if str(name).strip()}
    every = [str(a) for a in _list(_mapping(admins).get("all")) if str(a).strip()]
    return sorted({a for a in every if a.lower() not in wanted and a.split("\\")[-1].lower() not in wanted})


def days_since(moment: Any, today: Any) -> int | None:
    """Whole days from an ISO date or date-time to today (None when either is unknown)."""
    then, now = _day(moment), _day(today)
    return (now - then).days if then and now else None


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "carehard_os_support": os_support,
            "carehard_exposed_listeners": exposed_listeners,
            "carehard_undeclared_admins": undeclared_admins,
            "carehard_days_since": days_since,
        }
