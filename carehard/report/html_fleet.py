"""The fleet as the HTML page shows it: the inventory table (system and support, updates, exposure,
detection, administrators) and the exposure map (hosts x ports probed from a vantage host)."""

from __future__ import annotations

from typing import Any

_SUPPORT_CLASSES = {"supported": "f-ok", "ending": "f-warn", "unsupported": "f-bad"}
# Cell of the exposure map per port state: (text, class); an open port is "reachable", red unless allowed.
_EXPOSURE_CELLS = {"closed": ("closed", "x-closed"), "filtered": ("filtered", "x-filtered")}


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if v is not None] if isinstance(value, list) else []


def fleet_view(rows: Any) -> list[dict[str, Any]] | None:
    """The inventory rows (carehard.fleet's shape) as the template shows them; None without rows."""
    if not isinstance(rows, list):
        return None
    views = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        status = str(row.get("support") or "")
        support = status or "—"
        if row.get("support_ends"):
            support += f" until {row['support_ends']}"
        left = row.get("support_days_left")
        pending = row.get("security_updates_pending")
        names = _strings(row.get("security_updates"))
        undeclared = set(_strings(row.get("undeclared_admins")))
        admins = _strings(row.get("admins"))
        admins += sorted(undeclared - set(admins))
        ok = row.get("detection_ok")
        agents = ", ".join(_strings(row.get("detection")))
        time_sync = row.get("time_sync")
        views.append(
            {
                "host": str(row.get("host", "?")),
                "os": str(row.get("os") or "—"),
                "support": support,
                "support_left": f"{left} days left"
                if isinstance(left, int) and not isinstance(left, bool)
                else "",
                "support_class": _SUPPORT_CLASSES.get(status, ""),
                "pending": "—" if pending is None else str(pending),
                "pending_class": "f-warn" if pending else "",
                "updates": ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else ""),
                "updates_all": ", ".join(names),
                "last_update": str(row.get("last_update") or "")[:10],
                "exposed": [
                    {"text": item, "bad": not item.endswith("[allowed]")}
                    for item in _strings(row.get("exposed_services"))
                ],
                "reachable_from": row.get("reachable_from") or "",
                "reachable": [
                    {"text": item, "bad": not item.endswith("[allowed]")}
                    for item in _strings(row.get("reachable_ports"))
                ],
                "detection": agents or ("none" if ok is False else "—"),
                "detection_class": "f-bad" if ok is False else "",
                "admins": [{"name": name, "undeclared": name in undeclared} for name in admins],
                "encryption": row.get("disk_encryption") or "—",
                "encryption_class": "f-bad" if row.get("disk_encryption") == "no" else "",
                "domain": row.get("domain") or "—",
                "time_sync": time_sync or "—",
                "time_class": "f-warn" if str(time_sync or "").startswith("no") else "",
                "collected_at": row.get("collected_at") or "—",
                "run_id": row.get("run_id") or "",
            }
        )
    return views or None


def exposure_view(exposure: Any) -> dict[str, Any] | None:
    """The exposure map: hosts x ports probed; None when it has no host or no port."""
    if not isinstance(exposure, dict):
        return None
    columns = [
        (p.get("port"), str(p.get("proto") or "tcp"), p.get("service"))
        for p in exposure.get("ports") or []
        if isinstance(p, dict)
    ]
    rows = []
    bad = 0
    for host in exposure.get("hosts") or []:
        if not isinstance(host, dict):
            continue
        states = {
            (p.get("port"), str(p.get("proto") or "tcp")): p
            for p in host.get("ports") or []
            if isinstance(p, dict)
        }
        cells = []
        for port, proto, _service in columns:
            entry = states.get((port, proto))
            state = str(entry.get("state")) if entry else ""
            label = f"{host.get('name', '?')} {port}/{proto}"
            if state == "open":
                allowed = entry is not None and entry.get("allowed") is True
                bad += not allowed
                why = "allowed for its group" if allowed else "not allowed"
                cells.append(
                    {
                        "text": "reachable",
                        "cls": "x-allowed" if allowed else "x-bad",
                        "title": f"{label}: {why}",
                    }
                )
            elif state in _EXPOSURE_CELLS:
                text, cls = _EXPOSURE_CELLS[state]
                cells.append({"text": text, "cls": cls, "title": f"{label}: {text}"})
            else:
                cells.append({"text": "—", "cls": "x-none", "title": f"{label}: not probed or unknown"})
        rows.append({"name": str(host.get("name", "?")), "cells": cells})
    if not rows or not columns:
        return None
    return {
        "run_id": exposure.get("run_id") or "",
        "from": exposure.get("from") or "?",
        "method": exposure.get("method") or "",
        "scanned_at": exposure.get("scanned_at") or "",
        "ports": [{"label": f"{port}/{proto}", "service": service or ""} for port, proto, service in columns],
        "rows": rows,
        "bad": bad,
    }
