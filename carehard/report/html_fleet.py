"""The fleet as the HTML page shows it: the inventory table (system and support, updates, exposure,
detection, administrators) and the exposure map (hosts x ports probed from a vantage host), in the
report's language (lang: en or fr)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from carehard.report.html_charts import day_text, moment_text
from carehard.report.i18n import translator

_SUPPORT_CLASSES = {"supported": "f-ok", "ending": "f-warn", "unsupported": "f-bad"}
# Cell of the exposure map per port state: (text, class); an open port is "reachable", red unless allowed.
_EXPOSURE_CELLS = {"closed": ("closed", "x-closed"), "filtered": ("filtered", "x-filtered")}
_ALLOWED = " [allowed]"


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if v is not None] if isinstance(value, list) else []


def _support(status: str, ends: Any, left: Any, lang: str) -> tuple[str, str]:
    """(support, time left) as the cell writes them: "supported until 2028-06-30", "570 days left"."""
    days = left if isinstance(left, int) and not isinstance(left, bool) else None
    if lang != "fr":
        support = (status or "—") + (f" until {ends}" if ends else "")
        return support, "" if days is None else f"{days} days left"
    _ = translator(lang)
    support = _(status) if status else "—"
    if ends:
        pattern = f"{status} until {{date}}" if status in _SUPPORT_CLASSES else "{status} until {date}"
        support = _(pattern).format(status=support, date=day_text(ends, lang))
    if days is None:
        return support, ""
    if days < 0:
        return support, _("ended {n} days ago" if days < -1 else "ended {n} day ago").format(n=-days)
    return support, _("{n} days left" if days > 1 else "{n} day left").format(n=days)


def _port(item: str, _: Callable[[str], str]) -> str:
    """A port as carehard.fleet writes it ('3389/tcp rdp on 0.0.0.0 (xrdp)', '5900/tcp vnc [allowed]'),
    its words in the report's language."""
    allowed = item.endswith(_ALLOWED)
    text = item.removesuffix(_ALLOWED) if allowed else item
    head, on, rest = text.partition(" on ")
    text = head + (_(" on ") + rest if on else "")
    return text + (_(_ALLOWED) if allowed else "")


def _state(value: Any, _: Callable[[str], str]) -> str:
    """A yes/no fact ('LUKS', 'yes', 'no (chronyd)') in the report's language; "—" when unknown."""
    text = str(value or "")
    if text in ("yes", "no"):
        return _(text)
    if text.startswith("no ("):
        return _("no") + text[2:]
    return text or "—"


def fleet_view(rows: Any, lang: str = "en") -> list[dict[str, Any]] | None:
    """The inventory rows (carehard.fleet's shape) as the template shows them; None without rows."""
    if not isinstance(rows, list):
        return None
    _ = translator(lang)
    views = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        status = str(row.get("support") or "")
        support, left = _support(status, row.get("support_ends"), row.get("support_days_left"), lang)
        pending = row.get("security_updates_pending")
        names = _strings(row.get("security_updates"))
        undeclared = set(_strings(row.get("undeclared_admins")))
        admins = _strings(row.get("admins"))
        admins += sorted(undeclared - set(admins))
        ok = row.get("detection_ok")
        agents = ", ".join(_strings(row.get("detection")))
        time_sync = row.get("time_sync")
        last_update = str(row.get("last_update") or "")[:10]
        collected_at = row.get("collected_at")
        views.append(
            {
                "host": str(row.get("host", "?")),
                "os": str(row.get("os") or "—"),
                "support": support,
                "support_left": left,
                "support_class": _SUPPORT_CLASSES.get(status, ""),
                "pending": "—" if pending is None else str(pending),
                "pending_class": "f-warn" if pending else "",
                "updates": ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else ""),
                "updates_all": ", ".join(names),
                "last_update": day_text(last_update, lang) if lang == "fr" else last_update,
                "exposed": [
                    {"text": _port(item, _), "bad": not item.endswith("[allowed]")}
                    for item in _strings(row.get("exposed_services"))
                ],
                "reachable_from": row.get("reachable_from") or "",
                "reachable": [
                    {"text": _port(item, _), "bad": not item.endswith("[allowed]")}
                    for item in _strings(row.get("reachable_ports"))
                ],
                "detection": agents or (_("none") if ok is False else "—"),
                "detection_class": "f-bad" if ok is False else "",
                "admins": [{"name": name, "undeclared": name in undeclared} for name in admins],
                "encryption": _state(row.get("disk_encryption"), _),
                "encryption_class": "f-bad" if row.get("disk_encryption") == "no" else "",
                "domain": _state(row.get("domain"), _),
                "time_sync": _state(time_sync, _),
                "time_class": "f-warn" if str(time_sync or "").startswith("no") else "",
                "collected_at": moment_text(collected_at, lang) if collected_at else "—",
                "run_id": row.get("run_id") or "",
            }
        )
    return views or None


def exposure_view(exposure: Any, lang: str = "en") -> dict[str, Any] | None:
    """The exposure map: hosts x ports probed; None when it has no host or no port."""
    if not isinstance(exposure, dict):
        return None
    _ = translator(lang)
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
                why = _("allowed for its group" if allowed else "not allowed")
                cells.append(
                    {
                        "text": _("reachable"),
                        "cls": "x-allowed" if allowed else "x-bad",
                        "title": _("{label}: {why}").format(label=label, why=why),
                    }
                )
            elif state in _EXPOSURE_CELLS:
                text, cls = _EXPOSURE_CELLS[state]
                cells.append(
                    {
                        "text": _(text),
                        "cls": cls,
                        "title": _("{label}: {why}").format(label=label, why=_(text)),
                    }
                )
            else:
                title = _("{label}: {why}").format(label=label, why=_("not probed or unknown"))
                cells.append({"text": "—", "cls": "x-none", "title": title})
        rows.append({"name": str(host.get("name", "?")), "cells": cells})
    if not rows or not columns:
        return None
    scanned_at = exposure.get("scanned_at")
    return {
        "run_id": exposure.get("run_id") or "",
        "from": exposure.get("from") or "?",
        "method": exposure.get("method") or "",
        "scanned_at": moment_text(scanned_at, lang) if scanned_at else "",
        "ports": [{"label": f"{port}/{proto}", "service": service or ""} for port, proto, service in columns],
        "rows": rows,
        "bad": bad,
    }
