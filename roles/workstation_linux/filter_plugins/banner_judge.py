"""Judge the login banner control (WL-BAN-01) from the one banner probe (tasks/banners.yml; its
script is workstation_linux__banner_probe_cmd in vars/main.yml).

The probe prints, then "done" (its absence is an error):

  file|PATH|EXISTS|OWNER|OS|TEXT   one per banner: EXISTS yes|no; OWNER "root:root", or
      "owner:group mode (expected root:root 0644 or stricter)" when wrong; OS yes when it names the
      distribution or holds a \\m \\r \\s \\v escape; TEXT yes when it holds the legal warning
  script|PATH|EXECUTABLE           one per message-of-the-day script that prints the OS, if present

The banner part of WL-SSH-10 (sshd's Banner file) is the SSH family's (ssh_judge.py): WL-BAN-01
checks the same text, so that the two never undo each other.

Pure functions, standard library only: Ansible loads this file by path. They never raise on an
unexpected input: a probe that broke makes the control an error that says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

IDS = ("WL-BAN-01",)
WHAT = {"WL-BAN-01": "Check that the banners carry the legal warning and no OS information"}


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
    """WL-BAN-01 -> workstation_linux_wl_ban_01."""
    return "workstation_linux_" + cid.lower().replace("-", "_")


def banner_selected(settings: Any) -> list[str]:
    """The controls asked for (run tags, less skip tags): each gets one item."""
    if not isinstance(settings, Mapping):
        return []
    run = _strings(settings.get("run_tags")) or ["all"]
    skip = _strings(settings.get("skip_tags"))
    return [c for c in IDS if ("all" in run or c in run) and c not in skip]


def _skip_reason(cid: str, s: Mapping[str, Any]) -> str:
    raw = s.get("switches")
    switches: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    if not _bool(switches.get(cid, True)):
        return f"switched off ({switch_name(cid)}: false)"
    if cid in _strings(s.get("held")):
        return "held by a waiver: not checked nor changed"
    return ""


def banner_probed(settings: Any) -> list[str]:
    """The selected controls switched on and not held: those the probe reads for."""
    if not isinstance(settings, Mapping):
        return []
    return [c for c in banner_selected(settings) if not _skip_reason(c, settings)]


def banner_state(probe: Any) -> dict[str, Any]:
    """The probe's registered result -> {error, files: [{path, exists, owner, os, text}],
    scripts: [{path, x}]}."""
    if not isinstance(probe, Mapping):
        return {"error": "the banner probe gave no result", "files": [], "scripts": []}
    if probe.get("skipped"):
        return {"error": "the banner probe did not run", "files": [], "scripts": []}
    rc = probe.get("rc")
    stdout = str(probe.get("stdout") or "")
    if rc not in (0, None) or (probe.get("failed") and rc is None):
        err = str(probe.get("stderr") or probe.get("msg") or "").strip()
        return {
            "error": f"the banner probe broke (rc {rc}): {err[-300:] or 'no message'}",
            "files": [],
            "scripts": [],
        }
    lines = stdout.splitlines()
    if "done" not in lines:
        return {
            "error": f"the banner probe printed no banner state: {stdout[:200]!r}",
            "files": [],
            "scripts": [],
        }
    files, scripts = [], []
    for line in lines:
        parts = line.split("|")
        if parts[0] == "file" and len(parts) == 6:
            files.append(dict(zip(("path", "exists", "owner", "os", "text"), parts[1:], strict=True)))
        elif parts[0] == "script" and len(parts) == 3:
            scripts.append({"path": parts[1], "x": parts[2]})
    return {"error": "", "files": files, "scripts": scripts}


def _problems(st: Mapping[str, Any]) -> list[str]:
    out = []
    for f in st["files"]:
        path = f["path"]
        if f["exists"] != "yes":
            out.append(f"{path} is missing")
            continue
        if f["os"] == "yes":
            out.append(f"{path} shows OS information (its name or a \\m \\r \\s \\v escape)")
        if f["text"] != "yes":
            out.append(f"{path} does not hold the legal warning of workstation_linux_banner_text")
        if f["owner"] != "root:root":
            out.append(f"{path} is {f['owner']}")
    out.extend(
        f"{s['path']} (prints the OS at login) is executable" for s in st["scripts"] if s["x"] == "yes"
    )
    return out


def _item(cid: str, what: str, status: str, evidence: str) -> dict[str, str]:
    return {"id": cid, "what": what, "status": status, "evidence": evidence}


def banner_judge(probe: Any, settings: Any) -> list[dict[str, str]]:
    """One item {id, what, status, evidence} per selected banner control. `settings`: run_tags,
    skip_tags, switches (ID -> bool), held, files (workstation_linux_banner_files), scripts (the
    message-of-the-day scripts that print the OS here)."""
    if not isinstance(settings, Mapping):
        settings = {}
    items = []
    for cid in banner_selected(settings):
        reason = _skip_reason(cid, settings)
        if reason:
            items.append(_item(cid, reason, "na", ""))
            continue
        st = banner_state(probe)
        if st["error"]:
            items.append(_item(cid, WHAT[cid], "error", st["error"]))
            continue
        seen = {f["path"] for f in st["files"]}
        missing = [p for p in _strings(settings.get("files")) if p not in seen]
        if missing:
            why = f"the banner probe did not report {', '.join(missing)}"
            items.append(_item(cid, WHAT[cid], "error", why))
            continue
        problems = _problems(st)
        if problems:
            items.append(_item(cid, WHAT[cid], "fail", "; ".join(problems)))
            continue
        scripts = _strings(settings.get("scripts"))
        evidence = (
            f"{', '.join(_strings(settings.get('files')))}:"
            " the legal warning of workstation_linux_banner_text,"
            " root-owned, not writable by others, no OS information"
            + (f"; OS-revealing motd scripts not executable: {', '.join(scripts)}" if scripts else "")
        )
        items.append(_item(cid, WHAT[cid], "pass", evidence))
    return items


def banner_failed(items: Any) -> list[str]:
    """The IDs whose item failed (the fixes' `when`)."""
    return [str(i.get("id")) for i in _list(items) if isinstance(i, Mapping) and i.get("status") == "fail"]


def banner_exec_scripts(probe: Any) -> list[str]:
    """The OS-revealing message-of-the-day scripts the probe found executable (the fix clears their
    x bits)."""
    return [s["path"] for s in banner_state(probe)["scripts"] if s["x"] == "yes"]


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "banner_judge": banner_judge,
            "banner_failed": banner_failed,
            "banner_probed": banner_probed,
            "banner_exec_scripts": banner_exec_scripts,
        }
