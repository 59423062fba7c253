"""Judge the AIDE and AppArmor controls (WL-AIDE-01/02, WL-MAC-01/03/04) from the one integrity
probe (tasks/integrity.yml). WL-MAC-02 and WL-BOOT-* are the bootloader family's (tasks/boot.yml,
filter_plugins/boot_judge.py).

The probe prints lines, each a word then its values (split on spaces):
  aide-pkg NAME yes|no           each AIDE package and whether it is installed
  aide-db yes SIZE MTIME | no    the AIDE database (workstation_linux__integrity_aide_db)
  aide-timer UNIT ENABLED ACTIVE the daily check's timer: UNIT yes when systemd has it loaded
  aide-cron PATH                 the first executable daily cron job of AIDE (empty: none)
  aa-pkg NAME yes|no             each AppArmor package and whether it is installed
  aa-service ENABLED             `systemctl is-enabled` of the AppArmor service (empty: none)
  aa-kernel Y|N|absent           AppArmor in the running kernel
  aa-tools yes|no                the aa-* utilities are there
  aa-profile NAME MARKS...       a profile file of /etc/apparmor.d: "disabled" (a link in disable/),
                                 "forced" (in force-complain/) and the words of its flags=(...)
  end                            the probe got to its end

Pure functions, standard library only: Ansible loads this file by path. They never raise on an
unexpected input (a host nobody foresaw must not abort a run): a probe that broke makes each
selected control an error that says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

IDS = ("WL-AIDE-01", "WL-AIDE-02", "WL-MAC-01", "WL-MAC-03", "WL-MAC-04")
WHAT = {
    "WL-AIDE-01": "Check that AIDE is installed with a database",
    "WL-AIDE-02": "Check that AIDE runs every day",
    "WL-MAC-01": "Check that AppArmor is installed and enabled",
    "WL-MAC-03": "Check that no AppArmor profile is disabled",
    "WL-MAC-04": "Check that every AppArmor profile is enforcing",
}
# The section of the probe each control reads.
SECTION = {
    "WL-AIDE-01": "aide",
    "WL-AIDE-02": "aide",
    "WL-MAC-01": "aa",
    "WL-MAC-03": "aa",
    "WL-MAC-04": "aa",
}
MODES = ("disabled", "complain", "unconfined", "enforce")


def _list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _truthy(value: Any, default: bool = False) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on", "y", "t")


def _int(value: Any) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return 0


def _switch_name(cid: str) -> str:
    return "workstation_linux_" + cid.lower().replace("-", "_")


def _item(cid: str, what: str, status: str, evidence: str, fix: Any = None) -> dict[str, Any]:
    return {"id": cid, "what": what, "status": status, "evidence": evidence, "fix": fix or {}}


def integrity_state(probe: Any) -> dict[str, Any]:
    """The probe's registered result -> {"error": why it could not be read ('' when read),
    "sections": the sections it printed ("aide", "aa"), "aide_pkgs"/"aa_pkgs" ({name: bool}),
    "db" ({exists, size, mtime}), "timer" ({unit, enabled, active}), "cron", "aa_service",
    "aa_kernel", "aa_tools", "profiles" ([name, marks...])}."""
    state: dict[str, Any] = {
        "error": "",
        "sections": [],
        "aide_pkgs": {},
        "db": {"exists": False, "size": 0, "mtime": 0},
        "timer": {"unit": "no", "enabled": "", "active": ""},
        "cron": "",
        "aa_pkgs": {},
        "aa_service": "",
        "aa_kernel": "absent",
        "aa_tools": "no",
        "profiles": [],
    }
    if not isinstance(probe, Mapping):
        state["error"] = "the integrity probe gave no result"
        return state
    if probe.get("skipped"):
        state["error"] = "the integrity probe did not run"
        return state
    rc = probe.get("rc")
    stdout = str(probe.get("stdout") or "")
    if rc not in (0, None) or (probe.get("failed") and rc is None):
        why = str(probe.get("stderr") or probe.get("msg") or "").strip().splitlines()
        state["error"] = f"the integrity probe failed (rc {rc}): {why[-1] if why else 'no message'}"
        return state
    sections: set[str] = set()
    ended = False
    for raw in stdout.splitlines():
        parts = raw.split(" ")
        word, values = parts[0], parts[1:]
        if word == "end":
            ended = True
        elif word == "aide-pkg" and len(values) >= 2:
            state["aide_pkgs"][values[0]] = values[1] == "yes"
        elif word == "aide-db" and values:
            sections.add("aide")
            state["db"] = {
                "exists": values[0] == "yes",
                "size": _int(values[1]) if len(values) > 1 else 0,
                "mtime": _int(values[2]) if len(values) > 2 else 0,
            }
        elif word == "aide-timer" and values:
            state["timer"] = {
                "unit": values[0],
                "enabled": values[1] if len(values) > 1 else "",
                "active": values[2] if len(values) > 2 else "",
            }
        elif word == "aide-cron":
            state["cron"] = " ".join(values).strip()
        elif word == "aa-pkg" and len(values) >= 2:
            state["aa_pkgs"][values[0]] = values[1] == "yes"
        elif word == "aa-service":
            sections.add("aa")
            state["aa_service"] = " ".join(values).strip()
        elif word == "aa-kernel":
            state["aa_kernel"] = (values[0] if values else "") or "absent"
        elif word == "aa-tools":
            state["aa_tools"] = values[0] if values else "no"
        elif word == "aa-profile" and values and values[0]:
            state["profiles"].append([v for v in values if v])
    if not ended:
        state["error"] = f"the integrity probe ended early: {stdout.strip()[-200:]!r}"
    state["sections"] = sorted(sections)
    return state


def apparmor_modes(profiles: Any) -> dict[str, list[str]]:
    """Profiles by mode: a link in disable/ disables a profile, one in force-complain/ or a complain
    flag makes it complain, a profile file whose flags say unconfined (the distribution's user
    namespace allowances) is unconfined; any other is enforced."""
    modes: dict[str, list[str]] = {m: [] for m in MODES}
    for row in _list(profiles):
        parts = [str(p) for p in _list(row)]
        if not parts:
            continue
        name, marks = parts[0], set(parts[1:])
        if "disabled" in marks:
            mode = "disabled"
        elif "forced" in marks or "complain" in marks:
            mode = "complain"
        elif "unconfined" in marks:
            mode = "unconfined"
        else:
            mode = "enforce"
        modes[mode].append(name)
    return {mode: sorted(names) for mode, names in modes.items()}


def _off_reason(cid: str, context: Mapping[str, Any]) -> str | None:
    """Why a selected control does not apply here, or None when it is on."""
    switches = context.get("switches") or {}
    if isinstance(switches, Mapping) and not _truthy(switches.get(cid), default=True):
        return f"switched off ({_switch_name(cid)} is false)"
    if cid in {str(h) for h in _list(context.get("held"))}:
        return "held by a waiver, left as it is"
    if SECTION[cid] == "aide" and not _list(context.get("aide_packages")):
        return "no AIDE package known for this OS family"
    if SECTION[cid] == "aa" and not _list(context.get("apparmor_packages")):
        return "no AppArmor on this OS family"
    return None


def _selected(context: Mapping[str, Any]) -> list[str]:
    run_tags = {str(t) for t in _list(context.get("run_tags", ["all"]))}
    skip_tags = {str(t) for t in _list(context.get("skip_tags"))}
    return [i for i in IDS if ("all" in run_tags or i in run_tags) and i not in skip_tags]


def integrity_judge(probe: Any, context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One item {id, what, status, evidence, fix} per selected control (asked for by the run's
    tags; switched off, held or on an OS family without the packages: `na` with the reason).
    `context`: run_tags, skip_tags, held, switches ({ID: bool}), aide_packages, aide_db,
    aide_init_cmd, aide_timer, aide_initialised (harden built the database in this run),
    apparmor_packages, apparmor_service, apparmor_complain_allowed, service_mgr, live_kernel,
    not_live_reason."""
    ctx = context if isinstance(context, Mapping) else {}
    state: dict[str, Any] | None = None
    items = []
    for cid in _selected(ctx):
        reason = _off_reason(cid, ctx)
        if reason:
            items.append(_item(cid, f"{WHAT[cid]} (not applicable: {reason})", "na", reason))
            continue
        if state is None:
            state = integrity_state(probe)
        if state["error"]:
            items.append(_item(cid, WHAT[cid], "error", state["error"]))
            continue
        if SECTION[cid] not in state["sections"]:
            why = f"the integrity probe printed no {SECTION[cid]} section"
            items.append(_item(cid, WHAT[cid], "error", why))
            continue
        try:
            ok, evidence, fix = JUDGES[cid](state, ctx)
        except (KeyError, TypeError, ValueError, IndexError, OverflowError, OSError) as exc:
            items.append(_item(cid, WHAT[cid], "error", f"could not judge: {exc!r}"))
            continue
        items.append(_item(cid, WHAT[cid], "pass" if ok else "fail", evidence, fix))
    return items


Judge = Callable[[Mapping[str, Any], Mapping[str, Any]], tuple[bool, str, dict[str, Any]]]


def _missing(pkgs: Mapping[str, bool], wanted: Any) -> list[str]:
    return [str(p) for p in _list(wanted) if not pkgs.get(str(p), False)]


def _aide01(st: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    packages = [str(p) for p in _list(ctx.get("aide_packages"))]
    db = str(ctx.get("aide_db", ""))
    missing = _missing(st["aide_pkgs"], packages)
    if missing:
        no_db = "and no database" if not st["db"]["exists"] else f"(database {db} present)"
        return False, f"{', '.join(missing)} not installed {no_db}; expected installed with a database", {}
    if not st["db"]["exists"]:
        init = " ".join(str(a) for a in _list(ctx.get("aide_init_cmd")))
        return False, f"no AIDE database at {db}: {init} builds it", {}
    built = (
        "initialised now"
        if _truthy(ctx.get("aide_initialised"))
        else "built " + time.strftime("%Y-%m-%d %H:%M", time.localtime(st["db"]["mtime"]))
    )
    return True, f"{', '.join(packages)} installed; database {db} ({st['db']['size']} bytes, {built})", {}


def _aide02(st: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    timer_name = str(ctx.get("aide_timer", ""))
    timer = st["timer"]
    fix = {"timer_loaded": timer["unit"] == "yes"}
    missing = _missing(st["aide_pkgs"], ctx.get("aide_packages"))
    if missing:
        return False, f"{', '.join(missing)} not installed: no AIDE check; expected a daily check", fix
    if timer["unit"] == "yes" and timer["enabled"] == "enabled" and timer["active"] == "active":
        return True, f"AIDE checks the files daily: {timer_name} enabled and active", fix
    if st["cron"]:
        return True, f"AIDE checks the files daily from {st['cron']}", fix
    if timer["unit"] == "yes":
        found = f"{timer_name} is {timer['enabled'] or '?'} and {timer['active'] or '?'}"
    else:
        found = f"no AIDE check scheduled (no {timer_name}, no daily cron job)"
    return False, f"{found}; expected a daily check", fix


def _loads(st: Mapping[str, Any], ctx: Mapping[str, Any]) -> bool:
    """Whether the running kernel is this system's and has AppArmor on: profiles load there."""
    return _truthy(ctx.get("live_kernel"), default=True) and st["aa_kernel"] == "Y"


def _live_kernel_note(st: Mapping[str, Any], ctx: Mapping[str, Any]) -> str:
    if not _truthy(ctx.get("live_kernel"), default=True):
        return str(ctx.get("not_live_reason", "not this system's kernel"))
    if st["aa_kernel"] == "Y":
        return "AppArmor enabled"
    return "AppArmor off (WL-MAC-02 turns it on from the next boot)"


def _mac01(st: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    packages = [str(p) for p in _list(ctx.get("apparmor_packages"))]
    service = str(ctx.get("apparmor_service", ""))
    systemd = str(ctx.get("service_mgr", "")) == "systemd"
    fix = {"start": _loads(st, ctx)}
    missing = _missing(st["aa_pkgs"], packages)
    if missing:
        return False, f"{', '.join(missing)} not installed; expected installed and enabled", fix
    if systemd and st["aa_service"] != "enabled":
        found = st["aa_service"] or "missing"
        return False, f"{service} is {found} at boot; expected installed and enabled", fix
    return (
        True,
        (
            f"{', '.join(packages)} installed; {service} enabled at boot; the running kernel: "
            f"{_live_kernel_note(st, ctx)}"
        ),
        fix,
    )


def _summary(modes: Mapping[str, list[str]]) -> str:
    total = sum(len(v) for v in modes.values())
    unconfined = (
        f", {len(modes['unconfined'])} unconfined by their own flags (the user namespace allowances of"
        " the distribution, left as shipped)"
        if modes["unconfined"]
        else ""
    )
    return (
        f"{total} profiles in /etc/apparmor.d: {len(modes['enforce'])} enforce, "
        f"{len(modes['complain'])} complain{unconfined}, {len(modes['disabled'])} disabled"
    )


def _aa_live_note(st: Mapping[str, Any], ctx: Mapping[str, Any]) -> str:
    live = _truthy(ctx.get("live_kernel"), default=True)
    if st["aa_kernel"] == "Y" and live:
        return "loaded by the running kernel (aa-enforce/aa-complain reload them)"
    if not live:
        return f"set on disk, loaded at boot: {ctx.get('not_live_reason', '')}"
    return "set on disk; the running kernel has AppArmor off (WL-MAC-02 enables it at the next boot)"


def _mac03(st: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    modes = apparmor_modes(st["profiles"])
    fix = {"profiles": list(modes["disabled"]), "loads": _loads(st, ctx)}
    if st["aa_tools"] != "yes":
        return (
            False,
            (
                f"AppArmor utilities not installed (WL-MAC-01 installs them): {_summary(modes)}; "
                "expected every profile in enforce or complain mode"
            ),
            fix,
        )
    if modes["disabled"]:
        return (
            False,
            (
                "disabled AppArmor profiles (links in /etc/apparmor.d/disable): "
                f"{', '.join(modes['disabled'])}; expected every profile in enforce or complain mode"
            ),
            fix,
        )
    return True, f"{_summary(modes)}; modes {_aa_live_note(st, ctx)}", fix


def _mac04(st: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    modes = apparmor_modes(st["profiles"])
    allowed = {str(a) for a in _list(ctx.get("apparmor_complain_allowed"))}
    complain = [p for p in modes["complain"] if p not in allowed]
    todo = complain + modes["disabled"]
    fix = {"profiles": todo, "loads": _loads(st, ctx)}
    if st["aa_tools"] != "yes":
        return (
            False,
            (
                f"AppArmor utilities not installed (WL-MAC-01 installs them): {_summary(modes)}; "
                "expected every profile in enforce mode"
            ),
            fix,
        )
    if todo:
        listed = [f"{p} (complain)" for p in complain] + [f"{p} (disabled)" for p in modes["disabled"]]
        text = f"AppArmor profiles not enforcing: {', '.join(listed)}; expected every profile in enforce mode"
        return False, text, fix
    kept = [p for p in modes["complain"] if p in allowed]
    kept_text = (
        "; kept in complain mode by the inventory (workstation_linux_apparmor_complain_allowed): "
        + ", ".join(kept)
        if kept
        else ""
    )
    return True, f"{_summary(modes)}{kept_text}; modes {_aa_live_note(st, ctx)}", fix


JUDGES: dict[str, Judge] = {
    "WL-AIDE-01": _aide01,
    "WL-AIDE-02": _aide02,
    "WL-MAC-01": _mac01,
    "WL-MAC-03": _mac03,
    "WL-MAC-04": _mac04,
}


def integrity_failed(items: Any) -> list[str]:
    """The IDs whose item failed (the fixes' `when`)."""
    return [str(i.get("id")) for i in _list(items) if isinstance(i, Mapping) and i.get("status") == "fail"]


def integrity_fix(items: Any, cid: str) -> dict[str, Any]:
    """The `fix` of one control's item (empty when the control has none)."""
    for i in _list(items):
        if isinstance(i, Mapping) and i.get("id") == cid and isinstance(i.get("fix"), Mapping):
            return dict(i["fix"])
    return {}


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "integrity_judge": integrity_judge,
            "integrity_state": integrity_state,
            "integrity_failed": integrity_failed,
            "integrity_fix": integrity_fix,
            "integrity_apparmor_modes": apparmor_modes,
        }
