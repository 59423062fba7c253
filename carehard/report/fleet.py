"""The fleet inventory (`carehard facts`): one row per host from its newest facts in the history.

The compliance_facts role leaves one fleet facts document per host in the run's host facts
(`facts["fleet"]`, with the role's `evaluation`); `carehard exposure scan` leaves what a vantage host
could reach (`facts["exposure"]`, runs of mode "exposure"). This module turns them into the
cartography a CaRE file asks for (OS and support, pending security updates, exposed services,
detection, administrators, encryption, domain, time), as a terminal table, CSV for spreadsheets or
JSON, and into the report's inventory section and exposure map (passed to `build_report`).

A document comes from the hosts: every part of it may be missing, null or of an unforeseen shape,
and nothing here raises on that; an unknown value is None (an empty cell).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carehard.errors import UsageError
from carehard.files import write_atomic
from carehard.history import History
from carehard.model import HostFacts, RunRecord
from carehard.report.csv_report import BOM
from carehard.report.csv_report import _cell as csv_cell

if TYPE_CHECKING:
    pass


EXPOSURE_MODE = "exposure"
EXPOSURE_STATES = ("open", "closed", "filtered")
SUPPORT_STATES = ("supported", "ending", "unsupported", "unknown")

# One row per host: the keys of the JSON rows, and the CSV columns in this order.
COLUMNS: tuple[str, ...] = (
    "host",
    "os",
    "os_version",
    "support",
    "support_ends",
    "support_days_left",
    "security_updates_pending",
    "security_updates",
    "last_update",
    "exposed_services",
    "reachable_from",
    "reachable_ports",
    "exposure_scanned_at",
    "detection",
    "detection_ok",
    "admins",
    "undeclared_admins",
    "disk_encryption",
    "domain",
    "time_sync",
    "collected_at",
    "run_id",
)


# --- one row ---------------------------------------------------------------------------------------


def _part(data: Any, key: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, Mapping) else None
    return dict(value) if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, Mapping | list):
        return None
    text = str(value).strip()
    return text or None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [text for text in (_text(v) for v in value) if text]


def _port(entry: Mapping[str, Any], with_address: bool) -> str:
    """'3389/tcp rdp on 0.0.0.0 (xrdp)', '5900/tcp vnc [allowed]'."""
    text = f"{_text(entry.get('port')) or '?'}/{_text(entry.get('proto')) or 'tcp'}"
    if _text(entry.get("service")):
        text += f" {_text(entry.get('service'))}"
    if with_address and _text(entry.get("address")):
        text += f" on {_text(entry.get('address'))}"
    if with_address and _text(entry.get("process")):
        text += f" ({_text(entry.get('process'))})"
    if entry.get("allowed") is True:
        text += " [allowed]"
    return text


def _entries(value: Any) -> list[Mapping[str, Any]]:
    return [e for e in value if isinstance(e, Mapping)] if isinstance(value, list) else []


def _state(flag: Any, what: Any) -> str | None:
    """A yes/no fact with what provides it: 'LUKS', 'yes', 'no (chronyd)', None when unknown."""
    name = _text(what)
    if flag is True:
        return name or "yes"
    if flag is False:
        return f"no ({name})" if name else "no"
    return None


def fleet_row(
    host: str,
    run_id: str | None,
    fleet: Mapping[str, Any] | None,
    exposure: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The inventory row of one host, from its fleet facts document and its exposure facts."""
    doc: Mapping[str, Any] = fleet if isinstance(fleet, Mapping) else {}
    system, updates = _part(doc, "os"), _part(doc, "updates")
    evaluation = _part(doc, "evaluation")
    support = _part(evaluation, "support")
    admins, encryption = _part(doc, "admins"), _part(doc, "encryption")
    domain, clock = _part(doc, "domain"), _part(doc, "time")
    pretty = _text(system.get("pretty")) or (
        " ".join(t for t in (_text(system.get("name")), _text(system.get("version"))) if t) or None
    )
    names = _texts(updates.get("pending_security"))
    pending = _int(updates.get("pending_security_count"))
    pending = pending if pending is None or pending >= 0 else None
    scanned = exposure if isinstance(exposure, Mapping) else None
    status = _text(support.get("status"))
    return {
        "host": host,
        "os": pretty,
        "os_version": _text(system.get("version")),
        "support": (status if status in SUPPORT_STATES else "unknown") if doc else None,
        "support_ends": _text(support.get("ends")),
        "support_days_left": _int(support.get("days_left")),
        "security_updates_pending": pending if pending is not None else (len(names) if names else None),
        "security_updates": names,
        "last_update": _text(updates.get("last_success")),
        "exposed_services": [_port(e, True) for e in _entries(evaluation.get("exposed"))],
        "reachable_from": _text(scanned.get("from")) if scanned else None,
        "reachable_ports": [
            _port(p, False)
            for p in _entries(scanned.get("ports") if scanned else None)
            if p.get("state") == "open"
        ],
        "exposure_scanned_at": _text(scanned.get("scanned_at")) if scanned else None,
        "detection": [
            name
            for d in _entries(doc.get("detection"))
            if d.get("running") is True and (name := _text(d.get("name")))
        ],
        "detection_ok": _flag(evaluation.get("detection_ok")),
        "admins": _texts(admins.get("all")),
        "undeclared_admins": _texts(evaluation.get("undeclared_admins")),
        "disk_encryption": _state(encryption.get("root_encrypted"), encryption.get("method")),
        "domain": _state(domain.get("joined"), domain.get("name")),
        "time_sync": _state(clock.get("synchronised"), clock.get("source")),
        "collected_at": _text(doc.get("collected_at")),
        "run_id": run_id,
    }


# --- from the history ------------------------------------------------------------------------------


def _fleet_of(facts: Mapping[str, Any]) -> Mapping[str, Any] | None:
    value = facts.get("fleet")
    return value if isinstance(value, Mapping) else None


def _exposure_of(facts: Mapping[str, Any]) -> Mapping[str, Any] | None:
    value = facts.get("exposure")
    return value if isinstance(value, Mapping) else None


def history_rows(history: History, hosts: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Per host (of `hosts`, or every host in the history): its newest fleet facts and exposure."""
    fleet = history.newest_host_facts(holding="fleet")
    scans = history.newest_host_facts(mode=EXPOSURE_MODE)
    names = sorted(set(fleet) | set(scans))
    if hosts is not None:
        names = [name for name in names if name in hosts]
    rows = []
    for name in names:
        found, scan = fleet.get(name), scans.get(name)
        rows.append(
            fleet_row(
                name,
                found.run_id if found else None,
                _fleet_of(found.facts) if found else None,
                _exposure_of(scan.facts) if scan else None,
            )
        )
    return rows


def collected_rows(run: RunRecord) -> list[dict[str, Any]]:
    """The rows of the hosts of a run of `carehard facts` just recorded."""
    from carehard.paths import history_path

    return run_rows(History(history_path()), run)


def _bound(run: RunRecord) -> str:
    return run.finished or run.started


def run_rows(history: History, run: RunRecord) -> list[dict[str, Any]]:
    """One row per host of the run: its fleet facts from this run, else the newest before it; its
    exposure from this run (an exposure scan), else the newest scan up to it."""
    earlier_fleet: dict[str, HostFacts] | None = None
    scans: dict[str, HostFacts] | None = None
    rows = []
    for name, host in run.hosts.items():
        run_id: str | None = run.id
        fleet = _fleet_of(host.facts)
        if fleet is None:
            if earlier_fleet is None:
                earlier_fleet = history.newest_host_facts(holding="fleet", until=_bound(run))
            found = earlier_fleet.get(name)
            run_id, fleet = (found.run_id, _fleet_of(found.facts)) if found else (None, None)
        exposure = _exposure_of(host.facts) if run.mode == EXPOSURE_MODE else None
        if exposure is None:
            if scans is None:
                scans = history.newest_host_facts(mode=EXPOSURE_MODE, until=_bound(run))
            scan = scans.get(name)
            exposure = _exposure_of(scan.facts) if scan else None
        rows.append(fleet_row(name, run_id, fleet, exposure))
    return rows


def exposure_map(history: History, run: RunRecord) -> dict[str, Any] | None:
    """The report's exposure map: the ports of the run's exposure facts (an exposure run), else of
    the newest exposure scan up to the run that probed its hosts; None when there is none."""
    if run.mode == EXPOSURE_MODE:
        source: RunRecord | None = run
    else:
        scans = history.newest_host_facts(mode=EXPOSURE_MODE, until=_bound(run))
        mine = [scans[name] for name in run.hosts if name in scans]
        newest = max(mine, key=lambda s: (s.started, s.run_id), default=None)
        source = history.load(newest.run_id) if newest else None
    if source is None:
        return None
    hosts = [h for h in source.hosts.values() if source is run or h.name in run.hosts]
    columns: dict[tuple[int, str], str | None] = {}
    entries = []
    meta: Mapping[str, Any] | None = None
    for host in sorted(hosts, key=lambda h: h.name):
        facts = _exposure_of(host.facts)
        meta = meta or facts
        ports = []
        for entry in _entries(facts.get("ports") if facts else None):
            port, proto = _int(entry.get("port")), (_text(entry.get("proto")) or "tcp").lower()
            if port is None or not 0 < port < 65536:
                continue
            service = _text(entry.get("service"))
            columns[(port, proto)] = columns.get((port, proto)) or service
            state = _text(entry.get("state"))
            ports.append(
                {
                    "port": port,
                    "proto": proto,
                    "state": state if state in EXPOSURE_STATES else "unknown",
                    "service": service,
                    "allowed": entry.get("allowed") is True,
                }
            )
        entries.append({"name": host.name, "ports": ports})
    if not columns or meta is None:
        return None
    return {
        "run_id": source.id,
        "from": _text(meta.get("from")),
        "method": _text(meta.get("method")),
        "scanned_at": _text(meta.get("scanned_at")),
        "ports": [
            {"port": port, "proto": proto, "service": service}
            for (port, proto), service in sorted(columns.items())
        ],
        "hosts": entries,
    }


def report_extras(
    history: History, run: RunRecord
) -> tuple[list[dict[str, Any]] | None, dict[str, Any] | None]:
    """The report's fleet rows (None when no host of the run has any fleet or exposure facts up to it)
    and its exposure map (None when no scan probed its hosts)."""
    rows = run_rows(history, run)
    return (rows if any(map(has_facts, rows)) else None), exposure_map(history, run)


def artifacts_extras(run: RunRecord) -> tuple[list[dict[str, Any]] | None, None]:
    """The fleet rows of a run read from ansible-runner artifacts (an AWX job): its own facts only,
    no history to complete them, and no exposure scan (carehard's own command makes those)."""
    rows = [fleet_row(name, run.id, _fleet_of(host.facts), None) for name, host in run.hosts.items()]
    return (rows if any(map(has_facts, rows)) else None), None


def has_facts(row: Mapping[str, Any]) -> bool:
    """Whether the row holds anything beyond the host name: a fleet document or a scan."""
    return any(row.get(key) is not None for key in ("run_id", "reachable_from", "exposure_scanned_at"))


# --- output ----------------------------------------------------------------------------------------


def render_json(rows: Iterable[Mapping[str, Any]]) -> str:
    return json.dumps([dict(r) for r in rows], indent=2, ensure_ascii=False) + "\n"


def render_csv(rows: Iterable[Mapping[str, Any]], bom: bool = False) -> str:
    """One row per host under a header row (RFC 4180, CRLF, UTF-8); lists joined with "; ", cells a
    spreadsheet would take for a formula neutralised. With `bom`, a UTF-8 byte order mark first, so
    Excel reads the accents right (as report.csv; for files, not for pipes)."""
    out = io.StringIO()
    if bom:
        out.write(BOM)
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        cells = []
        for key in COLUMNS:
            value = row.get(key)
            cells.append(csv_cell("; ".join(str(v) for v in value) if isinstance(value, list) else value))
        writer.writerow(cells)
    return out.getvalue()


def write_rows(path: Path, text: str) -> None:
    """The CSV or JSON of `carehard facts --output`, replaced whole."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text, newline="")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
