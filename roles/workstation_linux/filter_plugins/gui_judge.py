"""Judge the screen lock and GDM controls (WL-GUI-01, WL-GUI-02, WL-GUI-03) from the one probe of
tasks/screenlock.yml (its script is workstation_linux__gui_probe_cmd in vars/main.yml).

The probe prints "key=value" lines: desktops (the graphical desktops found, space-separated), gdm
(GDM's daemon path, or empty), dconf (yes/no: the dconf command), one path line per file and
directory ("path=<path>\\t<kind>\\t<owner>:<group>:<mode>\\t<content, base64>", kind dir, file,
link, other or absent), fresh_screenlock, fresh_media, fresh_gdm (yes/no: the compiled dconf
database is no older than carehard's keyfiles), one xdmcp line per Enable line of GDM's [xdmcp]
section, and end=yes (the probe ran to its end).

What passes is what the fixes (tasks/screenlock_fix.yml) would leave unchanged: the keyfiles and
their locks with the contents expected (settings "contents"), owned by root:root, mode 0644, their
directories root:root 0755, the dconf profiles naming the system databases, the databases compiled
after the keyfiles, and no Enable option in GDM's [xdmcp] section (XDMCP is off by default).

Pure functions, standard library only: Ansible loads this file by path. They never raise on an
unexpected input (a host nobody foresaw must not abort a run): a probe that broke makes each
selected control an error that says so.
"""

from __future__ import annotations

import base64
import binascii
import difflib
from collections.abc import Callable, Mapping
from typing import Any

IDS = ("WL-GUI-01", "WL-GUI-02", "WL-GUI-03")
WHAT = {
    "WL-GUI-01": "Check that idle graphical sessions lock",
    "WL-GUI-02": "Check the login screen's banner, user list and XDMCP",
    "WL-GUI-03": "Check that removable media are neither mounted nor run automatically",
}
PROFILE_DIR = "/etc/dconf/profile"
USER_PROFILE = "/etc/dconf/profile/user"
GDM_PROFILE = "/etc/dconf/profile/gdm"
LOCAL_DIRS = (PROFILE_DIR, "/etc/dconf/db/local.d", "/etc/dconf/db/local.d/locks")
GDM_DIRS = (PROFILE_DIR, "/etc/dconf/db/gdm.d", "/etc/dconf/db/gdm.d/locks")
SCREENLOCK = (
    "/etc/dconf/db/local.d/00-carehard-screenlock",
    "/etc/dconf/db/local.d/locks/00-carehard-screenlock",
)
MEDIA = ("/etc/dconf/db/local.d/00-carehard-media", "/etc/dconf/db/local.d/locks/00-carehard-media")
LOGIN = ("/etc/dconf/db/gdm.d/01-carehard-login-screen", "/etc/dconf/db/gdm.d/locks/01-carehard-login-screen")
FILE_PERMS = "root:root:644"
DIR_PERMS = "root:root:755"
TRUE = ("true", "yes", "1")


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
    """WL-GUI-01 -> workstation_linux_wl_gui_01."""
    return "workstation_linux_" + cid.lower().replace("-", "_")


def _path(line: str) -> tuple[str, dict[str, Any]]:
    parts = [*line.split("\t"), "", "", ""][:4]
    path, kind, perms, raw = parts
    try:
        content: str | None = base64.b64decode(raw, validate=True).decode("utf-8", "replace") if raw else ""
    except (binascii.Error, ValueError):
        content = None
    return path, {"kind": kind or "absent", "perms": perms, "content": content}


def gui_state(probe: Any) -> dict[str, Any]:
    """The probe's registered result -> {error ("" when it can be judged), skipped, desktops (list),
    gdm, dconf (bool), paths ({path: {kind, perms, content}}), fresh ({screenlock, media, gdm: bool}),
    xdmcp (the Enable lines)}."""
    if not isinstance(probe, Mapping) or not probe:
        return {"error": "the screen lock probe gave no result", "skipped": False}
    if probe.get("skipped"):
        return {"error": "the screen lock probe did not run", "skipped": True}
    rc = probe.get("rc")
    stdout = str(probe.get("stdout") or "")
    if rc not in (0, None) or (probe.get("failed") and rc is None):
        err = str(probe.get("stderr") or probe.get("msg") or "").strip()
        return {
            "error": f"the screen lock probe broke (rc {rc}): {err[-300:] or 'no message'}",
            "skipped": False,
        }
    values: dict[str, str] = {}
    paths: dict[str, dict[str, Any]] = {}
    xdmcp: list[str] = []
    for line in stdout.splitlines():
        key, sep, value = line.partition("=")
        if not sep:
            continue
        if key == "path":
            path, info = _path(value)
            if info["content"] is None:
                return {
                    "error": f"the screen lock probe printed an unreadable content for {path}",
                    "skipped": False,
                }
            paths[path] = info
        elif key == "xdmcp":
            xdmcp.append(value.strip())
        else:
            values[key] = value.strip()
    missing = [k for k in ("desktops", "gdm", "dconf", "end") if k not in values]
    if missing:
        return {
            "error": f"the screen lock probe's output lacks {', '.join(missing)}: {stdout[:200]!r}",
            "skipped": False,
        }
    return {
        "error": "",
        "skipped": False,
        "desktops": values["desktops"].split(),
        "gdm": values["gdm"],
        "dconf": values["dconf"] == "yes",
        "paths": paths,
        "fresh": {k: values.get("fresh_" + k) == "yes" for k in ("screenlock", "media", "gdm")},
        "xdmcp": xdmcp,
    }


def _item(cid: str, what: str, status: str, evidence: str) -> dict[str, str]:
    return {"id": cid, "what": what, "status": status, "evidence": evidence}


def _skip_reason(cid: str, s: Mapping[str, Any]) -> str:
    raw = s.get("switches")
    switches: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    if not _bool(switches.get(cid, True)):
        return f"switched off ({switch_name(cid)}: false)"
    if cid in _strings(s.get("held")):
        return "held by a waiver: not checked nor changed"
    return ""


def gui_selected(settings: Mapping[str, Any]) -> list[str]:
    """The controls asked for (run tags, less skip tags): each gets one item."""
    run = _strings(settings.get("run_tags")) or ["all"]
    skip = _strings(settings.get("skip_tags"))
    return [c for c in IDS if ("all" in run or c in run) and c not in skip]


def gui_probed(settings: Mapping[str, Any]) -> list[str]:
    """The selected controls that are switched on and not held: those the probe reads for."""
    if not isinstance(settings, Mapping):
        return []
    return [c for c in gui_selected(settings) if not _skip_reason(c, settings)]


def _info(st: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    info = st["paths"].get(path)
    return info if isinstance(info, Mapping) else {"kind": "absent", "perms": "", "content": ""}


def _perms_text(perms: str, want: str) -> str:
    owner, _, mode = perms.rpartition(":")
    w_owner, _, w_mode = want.rpartition(":")
    return f"owner {owner or 'unknown'} mode 0{mode} instead of {w_owner} 0{w_mode}"


def _dirs(st: Mapping[str, Any], dirs: tuple[str, ...]) -> list[str]:
    out = []
    for d in dirs:
        info = _info(st, d)
        if info["kind"] == "absent":
            out.append(f"{d} is missing")
        elif info["kind"] != "dir":
            out.append(f"{d} is a {info['kind']}, not a directory")
        elif info["perms"] != DIR_PERMS:
            out.append(f"{d}: {_perms_text(str(info['perms']), DIR_PERMS)}")
    return out


def _file(st: Mapping[str, Any], path: str, want: str) -> list[str]:
    """What differs in a file the fixes write whole (content, owner, mode)."""
    info = _info(st, path)
    if info["kind"] == "absent":
        lines = [line for line in want.splitlines() if line.strip() and not line.startswith("#")]
        return [f"{path} is missing (expected: {' '.join(lines)})" if lines else f"{path} is missing"]
    if info["kind"] != "file":
        return [f"{path} is a {info['kind']}, not a file"]
    out = []
    found = str(info["content"])
    if found != want:
        diff = difflib.unified_diff(
            found.splitlines(), want.splitlines(), "found", "expected", n=0, lineterm=""
        )
        lines = [d for d in diff if not d.startswith(("---", "+++", "@@"))]
        out.append(f"{path} differs ({'; '.join(lines) or 'line endings'})")
    if info["perms"] != FILE_PERMS:
        out.append(f"{path}: {_perms_text(str(info['perms']), FILE_PERMS)}")
    return out


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _profile_lines(st: Mapping[str, Any]) -> list[str] | None:
    info = _info(st, USER_PROFILE)
    if info["kind"] != "file":
        return None
    return str(info["content"]).split("\n")


def _expected(s: Mapping[str, Any], path: str) -> str:
    contents = s.get("contents")
    return str(contents.get(path, "")) if isinstance(contents, Mapping) else ""


def _gui01(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[str, str]:
    desktops = " ".join(st["desktops"])
    idle = str(s.get("idle_delay"))
    if not st["dconf"]:
        return "fail", (
            f"graphical desktop installed ({desktops}) without dconf: carehard cannot set its screen lock."
            f" Configure the desktop's own locker to lock after at most {idle} s of inactivity, or install"
            " dconf (dconf-cli)."
        )
    problems = _dirs(st, LOCAL_DIRS)
    for path in SCREENLOCK:
        problems += _file(st, path, _expected(s, path))
    lines = _profile_lines(st)
    profile = lines is not None and "system-db:local" in lines
    if lines is None:
        problems.append(f"{USER_PROFILE} is missing")
    elif not profile:
        problems.append(f"{USER_PROFILE} has no line system-db:local")
    fresh = st["fresh"]["screenlock"]
    if not fresh:
        problems.append("the compiled database /etc/dconf/db/local is missing or older than the keyfiles")
    if not problems:
        return "pass", (
            f"{desktops}: sessions lock after {idle} s idle (dconf system database local, settings locked"
            " against users)"
        )
    return "fail", (
        f"{desktops}: the screen lock is not enforced: {'; '.join(problems)}; dconf profile with"
        f" system-db:local: {_yes(profile)}; compiled database up to date: {_yes(fresh)}."
        f" Expected idle-delay {idle}, lock-enabled true, locked."
    )


def _xdmcp(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[list[str], str]:
    conf = str(s.get("gdm_conf") or "")
    if not conf:
        return [], "no GDM configuration file known for this distribution"
    info = _info(st, conf)
    if info["kind"] != "file":
        return [], f"XDMCP off ({conf} absent)"
    problems = []
    enable = [str(x) for x in st["xdmcp"]]
    on = [e for e in enable if e.partition("=")[2].strip().lower() in TRUE]
    if enable:
        problems.append(
            f"{conf} [xdmcp] sets {'; '.join(enable)}"
            + (" (XDMCP on)" if on else " (carehard removes the option: off is the default)")
        )
    if info["perms"] != FILE_PERMS:
        problems.append(f"{conf}: {_perms_text(str(info['perms']), FILE_PERMS)}")
    return problems, f"XDMCP off in {conf}"


def _gui02(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[str, str]:
    xdmcp_problems, xdmcp_ok = _xdmcp(st, s)
    if not st["dconf"]:
        return "fail", (
            f"GDM ({st['gdm']}) without dconf: carehard cannot set its login screen."
            " Install dconf (dconf-cli)."
            + (f" {'; '.join(xdmcp_problems)}." if xdmcp_problems else f" {xdmcp_ok}.")
        )
    problems = _dirs(st, GDM_DIRS) + _file(st, GDM_PROFILE, _expected(s, GDM_PROFILE))
    for path in LOGIN:
        problems += _file(st, path, _expected(s, path))
    fresh = st["fresh"]["gdm"]
    if not fresh:
        problems.append("the compiled database /etc/dconf/db/gdm is missing or older than the keyfiles")
    problems += xdmcp_problems
    if not problems:
        return "pass", (
            "GDM login screen: legal warning shown, no user list, both locked (dconf database gdm, profile"
            f" {GDM_PROFILE}); {xdmcp_ok}"
        )
    return "fail", (
        f"GDM login screen: {'; '.join(problems)}; compiled database up to date: {_yes(fresh)}."
        " Expected banner-message-enable=true, disable-user-list=true, locked, XDMCP off."
    )


def _gui03(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[str, str]:
    desktops = " ".join(st["desktops"])
    if not st["dconf"]:
        return "fail", (
            f"graphical desktop installed ({desktops}) without dconf: carehard cannot turn off automatic"
            " mounting. Install dconf (dconf-cli), or turn it off in the desktop's own settings."
        )
    problems = _dirs(st, LOCAL_DIRS)
    for path in MEDIA:
        problems += _file(st, path, _expected(s, path))
    lines = _profile_lines(st)
    profile = lines is not None and "system-db:local" in lines
    if lines is None:
        problems.append(f"{USER_PROFILE} is missing")
    else:
        absent = [want for want in ("user-db:user", "system-db:local") if want not in lines]
        if absent:
            problems.append(f"{USER_PROFILE} has no line {' nor '.join(absent)}")
        if _info(st, USER_PROFILE)["perms"] != FILE_PERMS:
            problems.append(
                f"{USER_PROFILE}: {_perms_text(str(_info(st, USER_PROFILE)['perms']), FILE_PERMS)}"
            )
    fresh = st["fresh"]["media"]
    if not fresh:
        problems.append("the compiled database /etc/dconf/db/local is missing or older than the keyfiles")
    if not problems:
        return "pass", (
            f"{desktops}: automount=false, automount-open=false, autorun-never=true, locked"
            " (dconf system database local)"
        )
    return "fail", (
        f"{desktops}: {'; '.join(problems)}; dconf profile with system-db:local: {_yes(profile)};"
        f" compiled database up to date: {_yes(fresh)}."
        " Expected automount=false, automount-open=false, autorun-never=true, locked."
    )


JUDGES: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], tuple[str, str]]] = {
    "WL-GUI-01": _gui01,
    "WL-GUI-02": _gui02,
    "WL-GUI-03": _gui03,
}


def _absent_reason(cid: str, st: Mapping[str, Any]) -> str:
    if cid == "WL-GUI-02" and not st["gdm"]:
        return "not applicable: GDM is not installed"
    if cid != "WL-GUI-02" and not st["desktops"]:
        return "not applicable: no graphical desktop installed"
    return ""


def gui_judge(probe: Any, settings: Mapping[str, Any]) -> list[dict[str, str]]:
    """One item {id, what, status, evidence} per selected control. `settings`: run_tags, skip_tags,
    switches (ID -> bool), held, idle_delay, gdm_conf (GDM's daemon.conf, "" if none known), contents
    ({path: the content the fixes write})."""
    if not isinstance(settings, Mapping):
        settings = {}
    st: dict[str, Any] | None = None
    items = []
    for cid in gui_selected(settings):
        reason = _skip_reason(cid, settings)
        if reason:
            items.append(_item(cid, reason, "na", ""))
            continue
        if st is None:
            st = gui_state(probe)
        if st["error"]:
            items.append(_item(cid, WHAT[cid], "error", st["error"]))
            continue
        try:
            absent = _absent_reason(cid, st)
            if absent:
                items.append(_item(cid, absent, "na", ""))
                continue
            status, evidence = JUDGES[cid](st, settings)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            items.append(
                _item(cid, WHAT[cid], "error", f"the screen lock probe's output is unexpected: {exc!r}")
            )
            continue
        items.append(_item(cid, WHAT[cid], status, evidence))
    return items


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "gui_judge": gui_judge,
            "gui_state": gui_state,
            "gui_probed": gui_probed,
        }
