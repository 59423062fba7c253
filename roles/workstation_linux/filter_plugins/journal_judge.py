"""Judge the systemd journal family (WL-JRN-01..05) from the one probe of tasks/journal.yml.

The probe prints sections, each after a line "@@ <name>": journald ("is-enabled|is-active" of
systemd-journald), config (journald's configuration as `systemd-analyze cat-config` prints it,
less comments), units ("unit|is-enabled|is-active"), dirs ("directory|yes or no") and rsyslog
(one JSON object). A section that is missing or does not parse is the evidence (status error) of
the controls that need it only.

WL-JRN-02..04 are the items of workstation_linux_journald_controls (id, file and settings: a
journald drop-in; services: units to stop and disable; applies: false makes it not applicable).

Pure functions, standard library only: Ansible loads this file by path. They never raise on an
unexpected input (a host nobody foresaw must not abort a run).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

IDS = ("WL-JRN-01", "WL-JRN-02", "WL-JRN-03", "WL-JRN-04", "WL-JRN-05")
WHAT = {
    "WL-JRN-01": "Check that systemd-journald is enabled and running",
    "WL-JRN-02": "Check that journald compresses and rotates its files",
    "WL-JRN-03": "Check that journald is the one logging system",
    "WL-JRN-04": "Check that systemd-journal-remote receives no logs",
    "WL-JRN-05": "Check rsyslog's file creation mode and network inputs",
}
WHAT_ITEM = "Check the journald settings and the services"
SECTIONS = ("journald", "config", "units", "dirs", "rsyslog")
STARTED_AT_BOOT = ("static", "enabled", "enabled-runtime", "indirect")
BAD_ENABLED = ("enabled", "enabled-runtime", "alias")
BAD_ACTIVE = ("active", "activating", "reloading")


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _on(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y", "t")
    return bool(value)


def control_var(cid: str) -> str:
    """The switch of a control: workstation_linux_wl_jrn_01 for WL-JRN-01."""
    return "workstation_linux_" + cid.lower().replace("-", "_")


def _items(settings: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The items of workstation_linux_journald_controls by ID (the family's IDs only)."""
    out: dict[str, Mapping[str, Any]] = {}
    for item in _list(settings.get("controls")):
        if isinstance(item, Mapping) and _str(item.get("id")) in IDS[1:4]:
            out.setdefault(_str(item.get("id")), item)
    return out


def _item_settings(item: Mapping[str, Any]) -> dict[str, Any]:
    value = item.get("settings")
    return dict(value) if isinstance(value, Mapping) else {}


def _item_services(item: Mapping[str, Any]) -> list[str]:
    return [_str(u) for u in _list(item.get("services")) if _str(u)]


def selected(settings: Mapping[str, Any]) -> list[str]:
    """The family's IDs asked for by tag (or 'all'), not skipped, and (WL-JRN-02..04) with an item."""
    run = [str(t) for t in _list(settings.get("run_tags") or ["all"])]
    skip = [str(t) for t in _list(settings.get("skip_tags"))]
    items = _items(settings)
    return [
        c
        for c in IDS
        if ("all" in run or c in run) and c not in skip and (c in ("WL-JRN-01", "WL-JRN-05") or c in items)
    ]


def _why_not(cid: str, settings: Mapping[str, Any]) -> str:
    """Why a selected control is not applicable here, or "" when it is checked."""
    switches = settings.get("switches") or {}
    if not _on(switches.get(cid, True)):
        return f"switched off ({control_var(cid)}: false)"
    if cid in [str(h) for h in _list(settings.get("held"))]:
        return "held by a waiver: not checked nor changed"
    mgr = _str(settings.get("service_mgr"))
    if cid != "WL-JRN-05" and mgr != "systemd":
        return f"systemd is not this host's service manager ({mgr or 'unknown'}): no systemd journal"
    if cid in IDS[1:4] and not _on(_items(settings)[cid].get("applies", True)):
        return (
            "not applicable on this site (its item of workstation_linux_journald_controls has applies: false)"
        )
    return ""


def active(settings: Mapping[str, Any]) -> list[str]:
    """The selected controls that are checked here: those the probe reads for."""
    settings = settings if isinstance(settings, Mapping) else {}
    return [c for c in selected(settings) if not _why_not(c, settings)]


def probe_units(settings: Mapping[str, Any]) -> str:
    """The units the probe reads (its UNITS variable): the services of the checked items."""
    items = _items(settings if isinstance(settings, Mapping) else {})
    units = [u for c in active(settings) if c in items for u in _item_services(items[c])]
    return " ".join(dict.fromkeys(units))


def probe_dirs(settings: Mapping[str, Any]) -> str:
    """The drop-in directories the probe looks for (its DIRS variable)."""
    items = _items(settings if isinstance(settings, Mapping) else {})
    dirs = [
        _dirname(_str(items[c].get("file")))
        for c in active(settings)
        if c in items and _item_settings(items[c]) and _str(items[c].get("file"))
    ]
    return " ".join(dict.fromkeys(dirs))


def _dirname(path: str) -> str:
    head = path.rsplit("/", 1)[0] if "/" in path else "."
    return head or "/"


def parse_probe(probe: Any) -> dict[str, Any]:
    """{section: lines, rsyslog: a JSON object or "error: why"}; {"_error": why} when the probe broke."""
    if not isinstance(probe, Mapping):
        return {"_error": "the journal probe gave no result"}
    if probe.get("skipped"):
        return {"_error": "the journal probe did not run"}
    stdout = _str(probe.get("stdout"))
    rc = probe.get("rc")
    if rc not in (0, None) or (probe.get("failed") and not stdout):
        err = _str(probe.get("stderr") or probe.get("msg")).strip()[:300]
        return {"_error": f"the journal probe failed (rc {rc}): {err or 'no message'}"}
    lines: dict[str, list[str]] = {}
    name = ""
    for line in stdout.splitlines():
        if line.startswith("@@ "):
            name = line[3:].strip()
            lines[name] = []
        elif name:
            lines[name].append(line)
    if not lines:
        return {"_error": f"the journal probe printed no section: {stdout.strip()[:200] or 'nothing'}"}
    out: dict[str, Any] = {k: [x for x in v if x.strip()] for k, v in lines.items() if k != "rsyslog"}
    if "rsyslog" in lines:
        text = "\n".join(lines["rsyslog"]).strip()
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        out["rsyslog"] = (
            doc if isinstance(doc, dict) else f"error: not a JSON object: {text[:200] or 'nothing'}"
        )
    return out


def effective(config: list[str]) -> dict[str, str]:
    """Each key's effective value: its last assignment (as `systemd-analyze cat-config` orders them)."""
    values: dict[str, str] = {}
    for line in config:
        if "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.replace(" ", "").replace("\t", "")
        if key and not key.startswith(("#", ";")):
            values[key] = value.split("=", 1)[0].strip(" \t")
    return values


def units(lines: list[str]) -> dict[str, tuple[str, str]]:
    """{unit: (is-enabled, is-active)}, "not-found" and "unknown" for what systemctl did not say."""
    out: dict[str, tuple[str, str]] = {}
    for line in lines:
        parts = line.split("|")
        if len(parts) == 3 and parts[0]:
            out[parts[0]] = (parts[1] or "not-found", parts[2] or "unknown")
    return out


def unit_bad(state: tuple[str, str]) -> bool:
    """A unit that starts at boot or is running."""
    return state[0] in BAD_ENABLED or state[1] in BAD_ACTIVE


def _jrn01(parsed: Mapping[str, Any]) -> tuple[str, str]:
    lines = parsed["journald"]
    enabled, _, running = (lines[0] if lines else "").partition("|")
    if enabled in STARTED_AT_BOOT and running == "active":
        return "pass", f"systemd-journald is {enabled} (started at boot) and {running}"
    return "fail", (
        f"systemd-journald is {enabled or 'unknown'} at boot and {running or 'unknown'} now;"
        " expected static (started at boot) and active"
    )


def _item_judge(item: Mapping[str, Any], parsed: Mapping[str, Any]) -> tuple[str, str]:
    """WL-JRN-02..04: the effective journald settings and the states of the services."""
    wanted = _item_settings(item)
    services = _item_services(item)
    got = effective(parsed["config"]) if wanted else {}
    found = units(parsed["units"]) if services else {}
    unread = [u for u in services if u not in found]
    if unread:
        return "error", f"the journal probe did not read the state of {', '.join(unread)}"
    problems: list[str] = []
    wrong = [
        f"{k}={got.get(k, '') or 'not set (default)'} (expected {v})"
        for k, v in wanted.items()
        if got.get(k, "").lower() != _str(v).lower()
    ]
    if wrong:
        problems.append(
            f"effective journald {', '.join(wrong)}; carehard writes {_str(item.get('file'))},"
            " a drop-in sorting after it wins"
        )
    for u in services:
        if unit_bad(found[u]):
            problems.append(
                f"{u} is {found[u][0]} at boot and {found[u][1]} now; expected stopped and disabled"
            )
    if problems:
        return "fail", "; ".join(problems)
    parts: list[str] = []
    if wanted:
        kv = ", ".join(f"{k}={got.get(k, '')}" for k in wanted)
        parts.append(f"effective journald {kv} (systemd-analyze cat-config)")
    if services:
        parts.append(
            "not running nor enabled: " + "; ".join(f"{u} {found[u][0]}, {found[u][1]}" for u in services)
        )
    return "pass", "; ".join(parts)


def _jrn05(parsed: Mapping[str, Any]) -> tuple[str, str]:
    r = parsed["rsyslog"]
    mode, mode_file, running = _str(r.get("mode")), _str(r.get("mode_file")), _str(r.get("active"))
    inputs = [_str(i) for i in _list(r.get("inputs"))]
    if _str(r.get("mode_ok")) == "yes" and not inputs:
        return "pass", (
            f"rsyslog ({running}): $FileCreateMode {mode} (last set in {mode_file});"
            " no imtcp, imudp or imrelp input"
        )
    where = f" in {mode_file}" if mode_file else ""
    return "fail", (
        f"rsyslog: $FileCreateMode {mode or 'not set (0644)'}{where}, expected 0640 or stricter;"
        f" network inputs: {'; '.join(inputs) or 'none'}"
    )


def _needs(cid: str, item: Mapping[str, Any]) -> list[str]:
    if cid == "WL-JRN-01":
        return ["journald"]
    if cid == "WL-JRN-05":
        return ["rsyslog"]
    return (["config"] if _item_settings(item) else []) + (["units"] if _item_services(item) else [])


def _item(cid: str, status: str, evidence: str, what: str = "") -> dict[str, str]:
    return {
        "id": cid,
        "what": what or WHAT.get(cid, WHAT_ITEM),
        "status": status,
        "evidence": " ".join(evidence.split()),
    }


def journal_judge(probe: Any, settings: Mapping[str, Any]) -> list[dict[str, str]]:
    """One item {id, what, status, evidence} per selected control of the family.

    `probe` is the registered probe result; `settings` the selection (run_tags, skip_tags,
    switches, held), the host's service_mgr and `controls` (workstation_linux_journald_controls)."""
    settings = settings if isinstance(settings, Mapping) else {}
    items = _items(settings)
    out: list[dict[str, str]] = []
    parsed: dict[str, Any] | None = None
    for cid in selected(settings):
        why = _why_not(cid, settings)
        if why:
            out.append(_item(cid, "na", why, why))
            continue
        if parsed is None:
            parsed = parse_probe(probe)
        if "_error" in parsed:
            out.append(_item(cid, "error", parsed["_error"]))
            continue
        item = items.get(cid, {})
        rsyslog = parsed.get("rsyslog")
        if cid == "WL-JRN-05" and isinstance(rsyslog, Mapping) and _str(rsyslog.get("installed")) != "yes":
            why = "rsyslog is not installed (no /usr/sbin/rsyslogd)"
            out.append(_item(cid, "na", why, why))
            continue
        missing = [s for s in _needs(cid, item) if s not in parsed]
        broken = [f"{s}: {parsed[s][7:]}" for s in _needs(cid, item) if isinstance(parsed.get(s), str)]
        if missing or broken:
            why = "; ".join(broken + [f"section {s} missing" for s in missing])
            out.append(_item(cid, "error", f"the journal probe could not read what {cid} needs: {why}"))
            continue
        try:
            if cid == "WL-JRN-01":
                status, evidence = _jrn01(parsed)
            elif cid == "WL-JRN-05":
                status, evidence = _jrn05(parsed)
            else:
                status, evidence = _item_judge(item, parsed)
        except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
            status, evidence = "error", f"the journal probe gave an unexpected value for {cid}: {exc}"
        out.append(_item(cid, status, evidence))
    return out


def journal_plan(probe: Any, settings: Mapping[str, Any], failed: Any = None) -> dict[str, Any]:
    """What the fixes of the controls that failed (`failed`, their IDs) do, from the first probe."""
    settings = settings if isinstance(settings, Mapping) else {}
    failed_ids = [str(f) for f in _list(failed)]
    parsed = parse_probe(probe)
    items = _items(settings)

    def lines(name: str) -> list[str]:
        value = parsed.get(name)
        return [str(x) for x in value] if isinstance(value, list) else []

    dirs = {d: e == "yes" for d, _, e in (line.partition("|") for line in lines("dirs"))}
    found = units(lines("units"))
    running = (lines("journald") or [""])[0].partition("|")[2]
    dropins: list[dict[str, Any]] = []
    stop: list[dict[str, str]] = []
    for cid in (c for c in IDS[1:4] if c in failed_ids and c in items):
        item = items[cid]
        if _item_settings(item) and _str(item.get("file")):
            folder = _dirname(_str(item["file"]))
            dropins.append(
                {
                    "id": cid,
                    "file": _str(item["file"]),
                    "dir": folder,
                    "dir_exists": dirs.get(folder, False),
                    "settings": _item_settings(item),
                }
            )
        stop.extend({"id": cid, "unit": u} for u in _item_services(item) if u in found and unit_bad(found[u]))
    found_rsyslog = parsed.get("rsyslog")
    rsyslog: Mapping[str, Any] = found_rsyslog if isinstance(found_rsyslog, Mapping) else {}
    inputs = [_str(i) for i in _list(rsyslog.get("inputs"))]
    return {
        "start_journald": "WL-JRN-01" in failed_ids and running != "active",
        "dropins": dropins,
        "stop": stop,
        "rsyslog_mode": "WL-JRN-05" in failed_ids and _str(rsyslog.get("mode_ok")) != "yes",
        "rsyslog_files": list(dict.fromkeys(re.sub(r":[0-9]+:.*$", "", i) for i in inputs))
        if "WL-JRN-05" in failed_ids
        else [],
        "rsyslog_active": _str(rsyslog.get("active")) == "active",
    }


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "carehard_journal_judge": journal_judge,
            "carehard_journal_active": active,
            "carehard_journal_plan": journal_plan,
            "carehard_journal_units": probe_units,
            "carehard_journal_dirs": probe_dirs,
        }
