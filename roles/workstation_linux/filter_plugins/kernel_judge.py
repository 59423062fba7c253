"""Judge the kernel parameter (WL-SYS-*) and kernel module (WL-MOD-*) controls on what their probes
print (docs/writing-controls.md, "One probe, one judgement").

Each judge returns one item per selected control, {id, what, status, evidence}, status one of
pass, fail, na, error, plus what the fixes need (`fix`). Selected: its tag was asked for
(ansible_run_tags, or 'all'), less ansible_skip_tags. A selected control that is switched off, held
by a waiver, on an OS family without kernel controls, or whose premise does not hold is `na` (as
its skipped tasks made it before). Pure functions, standard library only: Ansible loads this file
by path. They never raise on an unexpected input (a host nobody foresaw must not abort a run).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from typing import Any

SYSCTL_WHAT = "Check the kernel parameters at boot and live"
INTEGER = re.compile(r"^-?[0-9]+$")
REFUSING = re.compile(r"^(/usr)?/s?bin/(false|true)$")
NO_SYSCTL = {"boot": "", "source": "", "live": "", "exists": False}
NO_MODULE = {"install": "", "blacklisted": False, "loaded": False}


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _truthy(value: Any, default: bool = True) -> bool:
    """Ansible's `| bool` on a switch, a premise or a fact ("yes", "True", 1...)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on", "y", "t")


def _int(value: str) -> int:
    return int(value) if INTEGER.match(value) else 0


def _switch_name(cid: str) -> str:
    return "workstation_linux_" + cid.lower().replace("-", "_")


def _selected(controls: Any, context: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The controls whose tag this run asked for, less the skipped tags."""
    run_tags = {str(t) for t in _list(context.get("run_tags", ["all"]))}
    skip_tags = {str(t) for t in _list(context.get("skip_tags"))}
    out = []
    for control in _list(controls):
        if not isinstance(control, Mapping) or not control.get("id"):
            continue
        cid = str(control["id"])
        if ("all" in run_tags or cid in run_tags) and cid not in skip_tags:
            out.append(control)
    return out


def _off_reason(control: Mapping[str, Any], context: Mapping[str, Any]) -> str | None:
    """Why a selected control does not apply here, or None when it is on."""
    cid = str(control["id"])
    if not _truthy(context.get("supported"), default=False):
        return "no kernel controls for this OS family"
    switches = context.get("switches") or {}
    if isinstance(switches, Mapping) and not _truthy(switches.get(cid), default=True):
        return f"switched off ({_switch_name(cid)} is false)"
    if cid in {str(h) for h in _list(context.get("held"))}:
        return "held by a waiver, left as it is"
    if not _truthy(control.get("applies"), default=True):
        return str(control.get("premise") or "the item does not apply here")
    return None


def _probe_state(probe: Any, name: str) -> tuple[dict[str, Any] | None, str]:
    """The probe's JSON object, or None and why it could not be read."""
    if not isinstance(probe, Mapping):
        return None, f"the {name} probe gave no result"
    if probe.get("skipped"):
        return None, f"the {name} probe did not run"
    stdout = str(probe.get("stdout") or "")
    rc = probe.get("rc")
    if rc not in (0, None) or (probe.get("failed") and rc is None):
        why = str(probe.get("stderr") or probe.get("msg") or "").strip().splitlines()
        return None, f"the {name} probe failed (rc {rc}): {why[-1] if why else 'no message'}"
    try:
        state = json.loads(stdout)
    except ValueError:
        return None, f"the {name} probe printed no JSON: {stdout.strip()[:200]!r}"
    if not isinstance(state, dict):
        return None, f"the {name} probe printed no JSON object: {stdout.strip()[:200]!r}"
    return state, ""


def _item(cid: str, what: str, status: str, evidence: str, fix: Any = None) -> dict[str, Any]:
    return {"id": cid, "what": what, "status": status, "evidence": evidence, "fix": fix or {}}


# --- WL-SYS-* --------------------------------------------------------------------------------


def _sysctl_eval(
    control: Mapping[str, Any], state: Mapping[str, Any], context: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The keys of the control that the running kernel has, each with: the wanted value, the value to
    write, the file to write it to, whether it is compliant at boot and live, and whether it may be
    set live here (net.* keys belong to a container's network namespace; the others to the machine's
    kernel)."""
    sysctl_file = str(context.get("sysctl_file") or "")
    override_file = str(context.get("override_file") or "")
    live_kernel = _truthy(context.get("live_kernel"), default=False)
    out = []
    for setting in _list(control.get("settings")):
        if not isinstance(setting, Mapping):
            continue
        key = str(setting.get("key", ""))
        found = state.get(key)
        st = {**NO_SYSCTL, **found} if isinstance(found, Mapping) else dict(NO_SYSCTL)
        if not _truthy(st["exists"], default=False):
            continue
        boot, live, source = str(st["boot"]), str(st["live"]), str(st["source"])
        want = str(setting.get("value", "")).strip()
        minimum = str(setting.get("compare") or "eq") == "min"
        live_here = live_kernel or key.startswith("net.")
        if minimum:
            boot_ok = bool(INTEGER.match(boot)) and int(boot) >= _int(want)
            live_ok = bool(INTEGER.match(live)) and int(live) >= _int(want)
            write = str(max(_int(want), int(live))) if INTEGER.match(live) else want
        else:
            boot_ok = boot.split() == want.split()
            live_ok = live.split() == want.split()
            write = want
        late = (
            bool(source)
            and source != sysctl_file
            and posixpath.basename(source) > posixpath.basename(sysctl_file)
        )
        out.append(
            {
                "key": key,
                "want": (">= " if minimum else "") + want,
                "write": write,
                "boot": boot,
                "source": source,
                "live": live,
                "file": override_file if late else sysctl_file,
                "overridden": late and posixpath.basename(source) > posixpath.basename(override_file),
                "boot_ok": boot_ok,
                "live_ok": live_ok,
                "live_here": live_here,
                "ok": boot_ok and (live_ok or not live_here),
            }
        )
    return out


def _sysctl_notes(
    control: Mapping[str, Any], evaluated: list[dict[str, Any]], context: Mapping[str, Any]
) -> str:
    present = {s["key"] for s in evaluated}
    absent = [
        str(s.get("key"))
        for s in _list(control.get("settings"))
        if isinstance(s, Mapping) and s.get("key") not in present
    ]
    not_live = [s["key"] for s in evaluated if not s["live_here"]]
    notes = ""
    if not_live:
        reason = context.get("not_live_reason", "")
        notes += f" Not applied live ({', '.join(not_live)}): {reason}; persisted for the next boot."
    if absent:
        notes += f" Not in the running kernel, left out: {', '.join(absent)}."
    return notes


def _sysctl_success(evaluated: list[dict[str, Any]], notes: str) -> str:
    parts = [
        f"{s['key']} = {s['boot']} at boot ({s['source']})"
        + (f", live {s['live']}" if s["live_here"] else "")
        for s in evaluated
    ]
    return "; ".join(parts) + "." + notes


def _sysctl_failure(evaluated: list[dict[str, Any]], notes: str, context: Mapping[str, Any]) -> str:
    text = ""
    for s in evaluated:
        if s["ok"]:
            continue
        text += f"{s['key']}: " + (
            f"at boot {s['boot']} ({s['source']})" if s["boot"] else "not set in any sysctl file"
        )
        if s["overridden"]:
            text += " (a file read after carehard's sets it: change it there)"
        if s["live_here"]:
            text += "; live " + (s["live"] or "unreadable")
        text += f"; expected {s['want']}; "
    live = " and sets the live values" if _truthy(context.get("live_kernel"), default=False) else ""
    first, override = context.get("sysctl_file", ""), context.get("override_file", "")
    files = f"{first} (or {override} when a later file sets the key)"
    return f"{text}carehard writes {files}{live}.{notes}"


def sysctl_judge(probe: Any, controls: Any, context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One item per selected WL-SYS-* control (item of workstation_linux_sysctl_controls: id,
    settings of key, value, compare; applies, premise) from the probe's registered result (JSON:
    key -> {boot, source, live, exists}). A failing item's `fix` has `persist` (the keys not
    compliant at boot: key, write, file) and `live` (every key it may set live, in its order, once
    one is off: writing a key can reset another)."""
    context = context if isinstance(context, Mapping) else {}
    state, broke = _probe_state(probe, "kernel parameter")
    items = []
    for control in _selected(controls, context):
        cid = str(control["id"])
        reason = _off_reason(control, context)
        if reason is not None:
            items.append(_item(cid, f"{SYSCTL_WHAT} (not applicable: {reason})", "na", reason))
            continue
        if state is None:
            items.append(_item(cid, "Read the kernel parameters", "error", broke))
            continue
        evaluated = _sysctl_eval(control, state, context)
        if not evaluated:
            keys = ", ".join(
                str(s.get("key")) for s in _list(control.get("settings")) if isinstance(s, Mapping)
            )
            reason = f"the running kernel has none of {keys}"
            items.append(_item(cid, f"{SYSCTL_WHAT} (not applicable: {reason})", "na", reason))
            continue
        notes = _sysctl_notes(control, evaluated, context)
        if all(s["ok"] for s in evaluated):
            items.append(_item(cid, SYSCTL_WHAT, "pass", _sysctl_success(evaluated, notes)))
            continue
        live_keys = [s for s in evaluated if s["live_here"]]
        fix = {
            "persist": [{k: s[k] for k in ("key", "write", "file")} for s in evaluated if not s["boot_ok"]],
            "live": [{k: s[k] for k in ("key", "write")} for s in live_keys]
            if any(not s["live_ok"] for s in live_keys)
            else [],
        }
        items.append(_item(cid, SYSCTL_WHAT, "fail", _sysctl_failure(evaluated, notes, context), fix))
    return items


# --- WL-MOD-* --------------------------------------------------------------------------------


def module_file(control: Mapping[str, Any], modprobe_dir: str) -> str:
    """The modprobe.d file of a control: its own `file`, else <dir>/carehard-<id>.conf."""
    return str(control.get("file") or f"{modprobe_dir}/carehard-{str(control['id']).lower()}.conf")


def module_file_content(control: Mapping[str, Any]) -> str:
    lines = [f"# Managed by carehard ({control['id']}): these kernel modules are not used on this host."]
    for module in _list(control.get("modules")):
        lines += [f"install {module} /bin/false", f"blacklist {module}"]
    return "\n".join(lines) + "\n"


def _module_eval(
    control: Mapping[str, Any], state: Mapping[str, Any], live_kernel: bool
) -> list[dict[str, Any]]:
    """The modules of the control: refused (modprobe runs /bin/false or /bin/true instead, and the
    module is blacklisted), loaded, compliant (refused, and not loaded where this host owns its kernel)."""
    out = []
    for module in _list(control.get("modules")):
        name = str(module)
        found = state.get(name)
        st = {**NO_MODULE, **found} if isinstance(found, Mapping) else dict(NO_MODULE)
        install = str(st["install"] or "")
        blacklisted = _truthy(st["blacklisted"], default=False)
        loaded = _truthy(st["loaded"], default=False)
        refused = bool(REFUSING.match(install)) and blacklisted
        out.append(
            {
                "name": name,
                "install": install,
                "blacklisted": blacklisted,
                "loaded": loaded,
                "refused": refused,
                "ok": refused and not (loaded and live_kernel),
            }
        )
    return out


def module_judge(probe: Any, controls: Any, context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One item per selected WL-MOD-* control (item of workstation_linux_module_controls: id,
    modules, optional file; applies, premise) from the probe's registered result (JSON: module ->
    {install, blacklisted, loaded}). A failing item's `fix` has `file` and `content` when one of its
    modules is not refused (else no file), and `unload`: its loaded modules where this host owns its
    kernel."""
    context = context if isinstance(context, Mapping) else {}
    live_kernel = _truthy(context.get("live_kernel"), default=False)
    reason_not_live = f" Loaded state not checked: {context.get('not_live_reason', '')}."
    state, broke = _probe_state(probe, "kernel module")
    items = []
    for control in _selected(controls, context):
        cid = str(control["id"])
        what = f"Check that {', '.join(str(m) for m in _list(control.get('modules')))} cannot be loaded"
        reason = _off_reason(control, context)
        if reason is not None:
            items.append(_item(cid, f"{what} (not applicable: {reason})", "na", reason))
            continue
        if state is None:
            items.append(_item(cid, "Read how modprobe would handle the modules", "error", broke))
            continue
        evaluated = _module_eval(control, state, live_kernel)
        tail = "" if live_kernel else reason_not_live
        path = module_file(control, str(context.get("modprobe_dir") or "/etc/modprobe.d"))
        if all(m["ok"] for m in evaluated):
            loaded = ", not loaded" if live_kernel else ""
            text = "; ".join(
                f"modprobe {m['name']} runs '{m['install']}', blacklisted{loaded}" for m in evaluated
            )
            items.append(_item(cid, what, "pass", text + "." + tail))
            continue
        text = ""
        for m in evaluated:
            if m["ok"]:
                continue
            runs = f"runs '{m['install']}'" if m["install"] else "would load it"
            text += f"{m['name']}: modprobe {runs}, " + (
                "blacklisted" if m["blacklisted"] else "not blacklisted"
            )
            if m["loaded"] and live_kernel:
                text += ", loaded" + (" (in use? it goes at the next reboot)" if m["refused"] else "")
            text += "; "
        unloaded = ", and the module unloaded" if live_kernel else ""
        text += f"expected 'install <module> /bin/false' and 'blacklist <module>' ({path}){unloaded}.{tail}"
        write = not all(m["refused"] for m in evaluated)
        fix = {
            "modules": ", ".join(m["name"] for m in evaluated),
            "file": path if write else "",
            "content": module_file_content(control) if write else "",
            "unload": [m["name"] for m in evaluated if m["loaded"]] if live_kernel else [],
        }
        items.append(_item(cid, what, "fail", text, fix))
    return items


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "carehard_sysctl_judge": sysctl_judge,
            "carehard_module_judge": module_judge,
        }
