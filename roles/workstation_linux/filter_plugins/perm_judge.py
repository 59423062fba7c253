"""Judge the file permission controls (WL-PERM-01, WL-CRON-02, any control a site adds to
workstation_linux_file_permission_controls, and WL-PERM-02) from the one permission probe
(tasks/file_permissions.yml; its script is workstation_linux__perm_probe_cmd in vars/main.yml).

The probe prints lines, each section closed by a marker (a section missing is an error):

  file|ID|STATE|OWNER|GROUP|MODE|MAX|WANT_OWNER|WANT_GROUP|WANT_MODE|GROUPS|PATH   one per file of a
      control (STATE ok, bad or absent; WANT_*: what the fix sets: the mode less the bits beyond MAX,
      the owner, the group when it is one of GROUPS, else the first of them)
  files-done
  log|MODE|WANT|STATE|PATH   one per regular file under the log directory (WL-PERM-02)
  logs-done

Pure functions, standard library only: Ansible loads this file by path. They never raise on an
unexpected input (a host nobody foresaw must not abort a run): a probe that broke makes each
selected control an error that says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

PERM02 = "WL-PERM-02"
WHAT_FILES = "Check the owner, group and mode of its files"
WHAT_LOGS = "Check that no log file is readable by other users"
APPLIED = " (applied, not effective)"


def _list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _strings(value: Any) -> list[str]:
    return [str(v) for v in _list(value)]


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y", "t")
    return bool(value)


def switch_name(cid: str) -> str:
    """WL-PERM-01 -> workstation_linux_wl_perm_01."""
    return "workstation_linux_" + cid.lower().replace("-", "_")


def _controls(settings: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in _list(settings.get("controls")) if isinstance(c, Mapping) and c.get("id")]


def _ids(settings: Mapping[str, Any]) -> list[str]:
    """Every ID of the family: the file controls in their order, then WL-PERM-02."""
    ids = [str(c["id"]) for c in _controls(settings)]
    return [i for i in dict.fromkeys(ids) if i != PERM02] + [PERM02]


def perm_selected(settings: Any) -> list[str]:
    """The controls asked for (run tags, less skip tags): each gets one item."""
    if not isinstance(settings, Mapping):
        return []
    run = _strings(settings.get("run_tags")) or ["all"]
    skip = _strings(settings.get("skip_tags"))
    return [c for c in _ids(settings) if ("all" in run or c in run) and c not in skip]


def _skip_reason(cid: str, s: Mapping[str, Any]) -> str:
    raw = s.get("switches")
    switches: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    if not _bool(switches.get(cid, True)):
        return f"switched off ({switch_name(cid)}: false)"
    if cid in _strings(s.get("held")):
        return "held by a waiver: not checked nor changed"
    return ""


def perm_probed(settings: Any) -> list[str]:
    """The selected controls switched on and not held: those the probe reads for."""
    if not isinstance(settings, Mapping):
        return []
    return [c for c in perm_selected(settings) if not _skip_reason(c, settings)]


def perm_spec(settings: Any) -> str:
    """What the probe reads for the file controls probed: one "id|path|max mode|owner|allowed groups"
    a line."""
    if not isinstance(settings, Mapping):
        return ""
    probed = perm_probed(settings)
    lines = []
    for c in _controls(settings):
        if str(c["id"]) not in probed or str(c["id"]) == PERM02:
            continue
        for f in _list(c.get("files")):
            if isinstance(f, Mapping) and f.get("path"):
                groups = ",".join(_strings(f.get("group"))) or "root"
                lines.append(f"{c['id']}|{f['path']}|{f.get('mode', '')}|{f.get('owner') or 'root'}|{groups}")
    return "\n".join(lines)


def perm_rules(settings: Any) -> str:
    """The log file rules as the probe reads them: "max mode|pattern pattern..." a line, the default last."""
    if not isinstance(settings, Mapping):
        return ""
    lines = [
        f"{r.get('mode')}|{' '.join(_strings(r.get('patterns')))}"
        for r in _list(settings.get("log_modes"))
        if isinstance(r, Mapping)
    ]
    return "\n".join([*lines, f"{settings.get('log_default_mode')}|*"])


def _rules_text(s: Mapping[str, Any]) -> str:
    parts = [
        f"{r.get('mode')} for {', '.join(_strings(r.get('patterns')))}; "
        for r in _list(s.get("log_modes"))
        if isinstance(r, Mapping)
    ]
    return "".join(parts) + f"{s.get('log_default_mode')} for the others"


def perm_state(probe: Any) -> dict[str, Any]:
    """The probe's registered result -> {error, files: [dict], logs: [dict] or None (no section)}."""
    if not isinstance(probe, Mapping):
        return {"error": "the permission probe gave no result", "files": None, "logs": None}
    if probe.get("skipped"):
        return {"error": "the permission probe did not run", "files": None, "logs": None}
    rc = probe.get("rc")
    stdout = str(probe.get("stdout") or "")
    if rc not in (0, None) or (probe.get("failed") and rc is None):
        err = str(probe.get("stderr") or probe.get("msg") or "").strip()
        why = f"the permission probe broke (rc {rc}): {err[-300:] or 'no message'}"
        return {"error": why, "files": None, "logs": None}
    files: list[dict[str, str]] = []
    logs: list[dict[str, str]] = []
    files_done = logs_done = False
    keys = ("id", "state", "owner", "group", "mode", "max", "want_owner", "want_group", "want_mode", "groups")
    for line in stdout.splitlines():
        if line == "files-done":
            files_done = True
        elif line == "logs-done":
            logs_done = True
        elif line.startswith("file|"):
            parts = line.split("|", 11)
            if len(parts) == 12 and parts[2] in ("ok", "bad", "absent"):
                files.append(dict(zip(keys, parts[1:11], strict=True), path=parts[11]))
        elif line.startswith("log|"):
            parts = line.split("|", 4)
            if len(parts) == 5 and parts[3] in ("ok", "bad"):
                logs.append({"mode": parts[1], "want": parts[2], "state": parts[3], "path": parts[4]})
    if not files_done and not logs_done:
        return {
            "error": f"the permission probe printed no file states: {stdout[:200]!r}",
            "files": None,
            "logs": None,
        }
    return {"error": "", "files": files if files_done else None, "logs": logs if logs_done else None}


def _item(cid: str, what: str, status: str, evidence: str) -> dict[str, str]:
    return {"id": cid, "what": what, "status": status, "evidence": evidence}


def _judge_files(cid: str, files: list[dict[str, str]], after: bool) -> dict[str, str]:
    mine = [f for f in files if f["id"] == cid]
    if not mine or all(f["state"] == "absent" for f in mine):
        paths = ", ".join(f["path"] for f in mine)
        return _item(cid, f"none of its files exists ({paths})" if paths else "it names no file", "na", "")
    bad = [f for f in mine if f["state"] == "bad"]
    if not bad:
        return _item(
            cid,
            WHAT_FILES,
            "pass",
            "; ".join(
                f"{f['path']} {f['owner']}:{f['group']} {f['mode']}"
                if f["state"] != "absent"
                else f"{f['path']} absent"
                for f in mine
            ),
        )
    text = "; ".join(
        f"{f['path']} is {f['owner']}:{f['group']} {f['mode']}, expected owner {f['want_owner']},"
        f" group {f['groups'].replace(',', ' or ')}, mode {f['max']} or stricter"
        for f in bad
    )
    return _item(cid, WHAT_FILES, "fail", text + (APPLIED if after else ""))


def _judge_logs(logs: list[dict[str, str]], s: Mapping[str, Any], after: bool) -> dict[str, str]:
    log_dir = str(s.get("log_dir"))
    bad = [f for f in logs if f["state"] == "bad"]
    if not bad:
        return _item(
            PERM02,
            WHAT_LOGS,
            "pass",
            f"{len(logs)} files under {log_dir}, none more open than its rule allows"
            f" (at most {_rules_text(s)})",
        )
    try:
        limit = int(s.get("log_limit", 20))
    except (TypeError, ValueError):
        limit = 20
    shown = "; ".join(f"{f['path']} ({f['mode']}, at most {f['want']})" for f in bad[:limit])
    more = f" and {len(bad) - limit} more" if len(bad) > limit else ""
    return _item(
        PERM02,
        WHAT_LOGS,
        "fail",
        f"{len(bad)} of {len(logs)} files under {log_dir} are more open than allowed: {shown}{more}"
        + (APPLIED if after else ""),
    )


def perm_judge(probe: Any, settings: Any, after: Any = False) -> list[dict[str, str]]:
    """One item {id, what, status, evidence} per selected permission control. `settings`: run_tags,
    skip_tags, switches (ID -> bool), held, controls (workstation_linux_file_permission_controls),
    log_dir, log_modes, log_default_mode, log_limit. `after`: the probe is the one after the fixes
    (a failure then says the fixes did not take)."""
    if not isinstance(settings, Mapping):
        settings = {}
    st: dict[str, Any] | None = None
    items = []
    for cid in perm_selected(settings):
        reason = _skip_reason(cid, settings)
        what = WHAT_LOGS if cid == PERM02 else WHAT_FILES
        if reason:
            items.append(_item(cid, reason, "na", ""))
            continue
        if st is None:
            st = perm_state(probe)
        section = st["logs"] if cid == PERM02 else st["files"]
        if st["error"]:
            items.append(_item(cid, what, "error", st["error"]))
        elif section is None:
            name = "log file" if cid == PERM02 else "file"
            items.append(_item(cid, what, "error", f"the permission probe's output has no {name} section"))
        elif cid == PERM02:
            items.append(_judge_logs(section, settings, _bool(after)))
        else:
            items.append(_judge_files(cid, section, _bool(after)))
    return items


def perm_failed(items: Any) -> list[str]:
    """The IDs whose item failed (the fixes' `when`)."""
    return [str(i.get("id")) for i in _list(items) if isinstance(i, Mapping) and i.get("status") == "fail"]


def perm_bad_files(probe: Any, failed: Any) -> list[dict[str, str]]:
    """The files of the failed file controls the probe found wrong (the fix sets want_owner,
    want_group, want_mode)."""
    files = perm_state(probe)["files"] or []
    ids = _strings(failed)
    return [f for f in files if f["state"] == "bad" and f["id"] in ids and f["id"] != PERM02]


def perm_bad_logs(probe: Any) -> list[dict[str, str]]:
    """The log files the probe found more open than their rule allows (the fix sets `want`)."""
    return [f for f in perm_state(probe)["logs"] or [] if f["state"] == "bad"]


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "perm_judge": perm_judge,
            "perm_failed": perm_failed,
            "perm_probed": perm_probed,
            "perm_spec": perm_spec,
            "perm_rules": perm_rules,
            "perm_bad_files": perm_bad_files,
            "perm_bad_logs": perm_bad_logs,
        }
