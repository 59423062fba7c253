"""Judge the bootloader and kernel command line controls (WL-BOOT-01..06, WL-MAC-02) from the one
boot probe (tasks/boot.yml, workstation_linux__boot_probe_cmd).

The probe prints lines, each a word then its values:
  grub-default yes|no            /etc/default/grub exists
  grub-cfg PATH                  the first grub.cfg of the family's list that exists (empty: none)
  grub-mkconfig PATH             the command regenerating it, when executable (empty: none)
  b01 LINUX UNRESTRICTED CLASSFIX GRUBD CFGPW
                                 WL-BOOT-01, each yes|no: 10_linux exists; its CLASS line has
                                 --unrestricted; that line is the distribution's (harden can add
                                 it); the directory of the password script exists; grub.cfg has
                                 password_pbkdf2 for the superuser
  b01-file PATH MODE OWNER GROUP SHA256 | b01-file PATH absent
                                 the password script (or user.cfg) carehard writes
  b02 PATH MODE OWNER GROUP      WL-BOOT-02: each grub.cfg of the family's list
  b03 PATH MODE OWNER GROUP      WL-BOOT-03: /boot, the GRUB directory, user.cfg, System.map-*
  cl-configured LINE             the kernel command line update-grub would write
                                 (GRUB_CMDLINE_LINUX and _DEFAULT after the drop-ins)
  cl-dropindir yes|no            the drop-in directory exists
  cl-grubcfg LINE                the arguments of grub.cfg's first entry
  cl-proc LINE                   /proc/cmdline
  end                            the probe got to its end

Pure functions, standard library only: Ansible loads this file by path. They never raise on an
unexpected input (a host nobody foresaw must not abort a run): a probe that broke makes each
selected control an error that says so.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

BOOT_IDS = ("WL-BOOT-01", "WL-BOOT-02", "WL-BOOT-03")
WHAT = {
    "WL-BOOT-01": "Check that editing the GRUB entries needs a password",
    "WL-BOOT-02": "Check that only root reads grub.cfg",
    "WL-BOOT-03": "Check that only root reaches /boot",
}
CMDLINE_WHAT = "Check the kernel arguments"
HASH_RE = re.compile(r"^grub\.pbkdf2\.sha512\.[0-9]+\.[0-9A-Fa-f]+\.[0-9A-Fa-f]+$")
NO_HASH = (
    "no GRUB password hash: set workstation_linux_grub_password_hash in the inventory (a vault) to what"
    " grub-mkpasswd-pbkdf2 prints (grub.pbkdf2.sha512.N.SALT.HASH)"
)
LATER = "(at the next kernel update, once GRUB is installed)"


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
    """WL-BOOT-01 -> workstation_linux_wl_boot_01."""
    return "workstation_linux_" + cid.lower().replace("-", "_")


# ---- the filters the tasks used before the one probe (kept: the fixes use them) ---------------
def _key(arg: str) -> str:
    return arg.split("=", 1)[0]


def cmdline_missing(line: Any, wanted: Any) -> list[str]:
    """The wanted arguments ("key=value" or a bare "key") the line does not set, each with what
    it has instead. The kernel keeps the last value of a key, so the last occurrence decides."""
    tokens = str(line or "").split()
    missing = []
    for arg in _strings(wanted):
        found = [t for t in tokens if _key(t) == _key(arg)]
        if not found:
            missing.append(f"{arg} (absent)")
        elif found[-1] != arg:
            missing.append(f"{arg} (found {found[-1]})")
    return missing


def root_only(lines: Any, group: bool = True, executable: bool = True) -> list[str]:
    """The paths ("path mode owner group" lines) that are not owned by root (and group root when
    `group`), or that group or others may access (or that are executable, unless `executable`),
    each with what is wrong."""
    bad = []
    for line in _list(lines):
        parts = str(line).rsplit(maxsplit=3)
        if len(parts) != 4:
            continue
        path, mode_text, owner, grp = parts
        try:
            mode = int(mode_text, 8)
        except ValueError:
            bad.append(f"{path}: mode {mode_text} unreadable")
            continue
        wrong = []
        if owner != "root":
            wrong.append(f"owner {owner}")
        if group and grp != "root":
            wrong.append(f"group {grp}")
        if mode & 0o077 or (not executable and mode & 0o100):
            wrong.append(f"mode {mode:04o}")
        if wrong:
            bad.append(f"{path}: {', '.join(wrong)}")
    return bad


# ---- the probe ---------------------------------------------------------------------------------
def boot_state(probe: Any) -> dict[str, Any]:
    """The probe's registered result -> {"error": why it cannot be judged ('' when it can),
    "grub": bool (the grub-* lines were printed), "default", "cfg", "mkconfig", "b01" ({linux,
    unrestricted, classfix, grubd, cfg_password} or {} when not printed), "files" ({path: None
    (absent) or {mode, owner, group, sha}}), "b02", "b03" (stat lines), "cl" ({configured,
    dropindir, grubcfg, proc} or {})}."""
    state: dict[str, Any] = {
        "error": "",
        "grub": False,
        "default": False,
        "cfg": "",
        "mkconfig": "",
        "b01": {},
        "files": {},
        "b02": [],
        "b03": [],
        "cl": {},
    }
    if not isinstance(probe, Mapping):
        state["error"] = "the boot probe gave no result"
        return state
    if probe.get("skipped"):
        state["error"] = "the boot probe did not run"
        return state
    rc = probe.get("rc")
    stdout = str(probe.get("stdout") or "")
    if rc not in (0, None) or (probe.get("failed") and rc is None):
        why = str(probe.get("stderr") or probe.get("msg") or "").strip().splitlines()
        state["error"] = f"the boot probe failed (rc {rc}): {why[-1] if why else 'no message'}"
        return state
    ended = False
    for raw in stdout.splitlines():
        word, _, rest = raw.partition(" ")
        values = rest.split()
        if word == "end":
            ended = True
        elif word == "grub-default":
            state["grub"] = True
            state["default"] = rest.strip() == "yes"
        elif word == "grub-cfg":
            state["cfg"] = rest.strip()
        elif word == "grub-mkconfig":
            state["mkconfig"] = rest.strip()
        elif word == "b01" and len(values) == 5:
            keys = ("linux", "unrestricted", "classfix", "grubd", "cfg_password")
            state["b01"] = {k: v == "yes" for k, v in zip(keys, values, strict=True)}
        elif word == "b01-file" and values:
            parts = rest.rsplit(maxsplit=4)
            if len(parts) == 5:
                path, mode, owner, grp, sha = parts
                state["files"][path] = {"mode": mode, "owner": owner, "group": grp, "sha": sha}
            elif rest.endswith(" absent"):
                state["files"][rest[: -len(" absent")]] = None
        elif word in ("b02", "b03") and rest.strip():
            state[word].append(rest.strip())
        elif word.startswith("cl-") and word[3:] in ("configured", "dropindir", "grubcfg", "proc"):
            state["cl"][word[3:]] = rest.strip()
    if not ended:
        state["error"] = f"the boot probe stopped before its end: {stdout[-200:]!r}"
    elif not state["grub"]:
        state["error"] = f"the boot probe printed no GRUB location: {stdout[:200]!r}"
    return state


# ---- selection ---------------------------------------------------------------------------------
def _cmdline_controls(s: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in _list(s.get("cmdline_controls")) if isinstance(c, Mapping) and c.get("id")]


def _ids(s: Mapping[str, Any]) -> list[str]:
    return list(BOOT_IDS) + [str(c["id"]) for c in _cmdline_controls(s)]


def boot_selected(settings: Any) -> list[str]:
    """The controls asked for (run tags, less skip tags): each gets one item."""
    s = settings if isinstance(settings, Mapping) else {}
    run = _strings(s.get("run_tags")) or ["all"]
    skip = _strings(s.get("skip_tags"))
    return [c for c in _ids(s) if ("all" in run or c in run) and c not in skip]


def _control(cid: str, s: Mapping[str, Any]) -> Mapping[str, Any]:
    for c in _cmdline_controls(s):
        if str(c["id"]) == cid:
            return c
    return {}


def _skip_reason(cid: str, s: Mapping[str, Any]) -> str:
    """Why a control is not checked before anything is read ('' when it is)."""
    raw = s.get("switches")
    switches: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    if not _bool(switches.get(cid, True)):
        return f"switched off ({switch_name(cid)}: false)"
    if cid in _strings(s.get("held")):
        return "held by a waiver: not checked nor changed"
    if cid == "WL-BOOT-03":
        if not s.get("grub_dir"):
            return "not an OS family whose bootloader carehard knows"
        return ""
    if not s.get("grub_default"):
        return "not an OS family whose bootloader carehard knows"
    if cid == "WL-BOOT-01" and not (s.get("password_script") or s.get("user_cfg")):
        return "no way to set a GRUB password known on this OS family"
    if cid in BOOT_IDS:
        return ""
    if not s.get("dropin_dir"):
        return (
            "GRUB on this OS family reads no drop-in for the kernel command line"
            " (its entries' arguments are grubby's)"
        )
    if _bool(_control(cid, s).get("needs_apparmor", False)) and not _bool(s.get("apparmor", False)):
        return "this OS family confines with another MAC than AppArmor"
    return ""


def boot_probed(settings: Any) -> list[str]:
    """The selected controls that are switched on, not held and known here: the probe reads for them."""
    s = settings if isinstance(settings, Mapping) else {}
    return [c for c in boot_selected(s) if not _skip_reason(c, s)]


def _absent_reason(cid: str, st: Mapping[str, Any], s: Mapping[str, Any]) -> str:
    """Why a control does not apply on this host, from what the probe read ('' when it does)."""
    if cid == "WL-BOOT-03":
        return ""
    present = st["default"] or bool(st["cfg"])
    if cid == "WL-BOOT-02":
        if not st["cfg"]:
            cfgs = ", ".join(_strings(s.get("cfgs"))) or "grub.cfg"
            return f"no grub.cfg on this host ({cfgs} absent)"
        return ""
    if not present:
        return f"no GRUB on this host (neither {s.get('grub_default')} nor grub.cfg)"
    return ""


# ---- WL-BOOT-01 --------------------------------------------------------------------------------
def password_content(settings: Any, path: str) -> str:
    """What carehard writes at `path` (the password script, or user.cfg): the judge compares its digest."""
    s = settings if isinstance(settings, Mapping) else {}
    user = str(s.get("superuser") or "root")
    hashed = str(s.get("password_hash") or "")
    if path and path == s.get("password_script"):
        return (
            "#!/bin/sh\n"
            "# carehard WL-BOOT-01: editing a boot entry or the GRUB shell needs this superuser's password.\n"
            "cat <<'EOF'\n"
            f'set superusers="{user}"\n'
            f"password_pbkdf2 {user} {hashed}\n"
            "EOF\n"
        )
    return f"GRUB2_PASSWORD={hashed}\n"


def _file_wrong(st: Mapping[str, Any], s: Mapping[str, Any], path: str) -> str:
    """'' when the file is as carehard writes it, else what differs."""
    found = st["files"].get(path)
    if found is None:
        return "missing"
    want_mode = 0o700 if path == s.get("password_script") else 0o600
    wrong = []
    sha = hashlib.sha256(password_content(s, path).encode()).hexdigest()
    if found["sha"] != sha:
        wrong.append("other content")
    try:
        mode = int(found["mode"], 8)
    except ValueError:
        mode = -1
    if mode != want_mode:
        wrong.append(f"mode {found['mode']}, expected {want_mode:04o}")
    if found["owner"] != "root" or found["group"] != "root":
        wrong.append(f"owner {found['owner']}:{found['group']}, expected root:root")
    return "different: " + ", ".join(wrong) if wrong else ""


def _boot01(
    st: Mapping[str, Any], s: Mapping[str, Any], before: Mapping[str, Any] | None
) -> tuple[bool, str]:
    b01 = st["b01"]
    if not b01:
        raise ValueError("no b01 line")
    script = str(s.get("password_script") or "")
    user_cfg = str(s.get("user_cfg") or "")
    linux = str(s.get("linux_script") or "")
    mkconfig = str(s.get("mkconfig") or "")
    target = script or user_cfg
    if not HASH_RE.match(str(s.get("password_hash") or "")):
        return False, NO_HASH
    if b01["linux"] and not b01["unrestricted"]:
        if b01["classfix"]:
            return False, (
                f"the CLASS line of {linux} lacks --unrestricted: its entries would need the password"
                " to boot, so none is set (harden adds it)"
            )
        return False, (
            f"the CLASS line of {linux} is not the distribution's: its entries would need the password"
            " to boot, so none is set; add --unrestricted to it"
        )
    wrongs = {p: _file_wrong(st, s, p) for p in (script, user_cfg) if p}
    if all(wrongs.values()):
        return False, f"no GRUB password ({target} {wrongs[target]})"
    cfg = st["cfg"]
    if script and not b01["cfg_password"] and st["mkconfig"] and cfg:
        return False, f"the password is configured but {cfg} lacks it: run {st['mkconfig']}"
    entries = (
        f"the entries of {linux} boot without it (--unrestricted)"
        if b01["linux"]
        else "entries boot without it"
    )
    if not script:
        grub_cfg = f"reads it from {user_cfg} at boot"
    elif b01["cfg_password"]:
        was = (before or {}).get("b01") or {}
        grub_cfg = "has it" + (" (regenerated now)" if was and not was.get("cfg_password") else "")
    elif not st["mkconfig"]:
        grub_cfg = f"no {mkconfig} on this host: grub.cfg gets it when update-grub regenerates it {LATER}"
    else:
        grub_cfg = (
            f"no grub.cfg on this host: {st['mkconfig']} writes it with the password when GRUB is installed"
        )
    user = s.get("superuser") or "root"
    return True, f"GRUB superuser {user} with a PBKDF2 password ({target}); {entries}; grub.cfg: {grub_cfg}"


# ---- WL-BOOT-02, WL-BOOT-03 --------------------------------------------------------------------
def _boot02(
    st: Mapping[str, Any], s: Mapping[str, Any], before: Mapping[str, Any] | None
) -> tuple[bool, str]:
    lines = st["b02"]
    bad = root_only(lines, executable=False)
    if bad:
        return False, f"{'; '.join(bad)}; expected root:root, 0600 or stricter"
    return True, f"{'; '.join(lines)}: root:root, 0600 or stricter"


def _boot03(
    st: Mapping[str, Any], s: Mapping[str, Any], before: Mapping[str, Any] | None
) -> tuple[bool, str]:
    lines = st["b03"]
    bad = root_only(lines, group=False)
    expected = "expected owned by root, no access for group and others"
    if not lines:
        return False, f"no /boot; {expected}"
    if bad:
        return False, f"{'; '.join(bad)}; {expected}"
    paths = ", ".join(str(line).rsplit(maxsplit=3)[0] for line in lines)
    return True, f"{paths}: owned by root, no access for group and others"


def boot_fix_paths(probe: Any, cid: str) -> list[str]:
    """The paths WL-BOOT-02 or WL-BOOT-03 must restrict, from a probe's result."""
    st = boot_state(probe)
    if st["error"]:
        return []
    bad = root_only(st["b02"], executable=False) if cid == "WL-BOOT-02" else root_only(st["b03"], group=False)
    return [b.rsplit(": ", 1)[0] for b in bad]


# ---- the kernel command line controls ----------------------------------------------------------
def _cmdline(
    cid: str, st: Mapping[str, Any], s: Mapping[str, Any], before: Mapping[str, Any] | None
) -> tuple[bool, str]:
    cl = st["cl"]
    if not all(k in cl for k in ("configured", "dropindir", "grubcfg", "proc")):
        raise ValueError("no cl- lines")
    control = _control(cid, s)
    args = _strings(control.get("args"))
    cfg, mkconfig = st["cfg"], st["mkconfig"]
    dropin = f"{s.get('dropin_dir')}/{control.get('file')}"
    missing_configured = cmdline_missing(cl["configured"], args)
    missing_cfg = cmdline_missing(cl["grubcfg"], args) if cfg else []
    if missing_configured:
        return False, (
            f"kernel arguments not configured: {', '.join(missing_configured)} in GRUB_CMDLINE_LINUX and"
            f" GRUB_CMDLINE_LINUX_DEFAULT ({s.get('grub_default')}, {s.get('dropin_dir')}/*.cfg:"
            " a later value of the same key wins)"
        )
    if missing_cfg and mkconfig:
        return False, f"configured, but {cfg} lacks {', '.join(missing_cfg)}: run {mkconfig}"
    if not cfg:
        cfg_note = "no grub.cfg on this host"
    elif not missing_cfg:
        was = ((before or {}).get("cl") or {}).get("grubcfg")
        cfg_note = "has them" + (" (regenerated now)" if was is not None and was != cl["grubcfg"] else "")
    else:
        cfg_note = (
            f"lacks {', '.join(missing_cfg)}; no {s.get('mkconfig')} on this host: grub.cfg gets them when"
            f" update-grub regenerates it {LATER}"
        )
    if not _bool(s.get("live_kernel", True)):
        live_note = f"not this system's: {s.get('not_live_reason')}"
    else:
        missing_live = cmdline_missing(cl["proc"], args)
        live_note = (
            "booted with them"
            if not missing_live
            else f"configured, effective at the next boot (/proc/cmdline lacks {', '.join(missing_live)})"
        )
    return True, f"{' '.join(args)} configured ({dropin}); grub.cfg: {cfg_note}; running kernel: {live_note}"


JUDGES: dict[
    str, Callable[[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any] | None], tuple[bool, str]]
] = {
    "WL-BOOT-01": _boot01,
    "WL-BOOT-02": _boot02,
    "WL-BOOT-03": _boot03,
}


def _item(cid: str, what: str, status: str, evidence: str) -> dict[str, str]:
    return {"id": cid, "what": what, "status": status, "evidence": evidence}


def boot_judge(probe: Any, settings: Any, before: Any = None) -> list[dict[str, str]]:
    """One item {id, what, status, evidence} per selected control. `settings`: run_tags, skip_tags,
    switches (ID -> bool), held, cmdline_controls (workstation_linux_kernel_cmdline_controls), the
    family's GRUB paths (grub_default, dropin_dir, mkconfig, grub_dir, cfgs, password_script,
    linux_script, user_cfg), superuser, password_hash, apparmor (the family has AppArmor),
    live_kernel, not_live_reason. `before`: the probe before the fixes (harden), to say what they
    regenerated."""
    s: Mapping[str, Any] = settings if isinstance(settings, Mapping) else {}
    st: dict[str, Any] | None = None
    was: dict[str, Any] | None = None
    items = []
    for cid in boot_selected(s):
        reason = _skip_reason(cid, s)
        if reason:
            items.append(_item(cid, reason, "na", ""))
            continue
        if st is None:
            st = boot_state(probe)
            if before is not None and before is not probe:
                was = boot_state(before)
                was = None if was["error"] else was
        what = WHAT.get(cid, CMDLINE_WHAT)
        if st["error"]:
            items.append(_item(cid, what, "error", st["error"]))
            continue
        absent = _absent_reason(cid, st, s)
        if absent:
            items.append(_item(cid, absent, "na", ""))
            continue
        try:
            if cid in JUDGES:
                ok, evidence = JUDGES[cid](st, s, was)
            else:
                ok, evidence = _cmdline(cid, st, s, was)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            items.append(_item(cid, what, "error", f"the boot probe's output is unexpected: {exc!r}"))
            continue
        items.append(_item(cid, what, "pass" if ok else "fail", evidence))
    return items


def boot_failed(items: Any) -> list[str]:
    """The IDs whose item failed (the fixes' `when`)."""
    return [str(i.get("id")) for i in _list(items) if isinstance(i, Mapping) and i.get("status") == "fail"]


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "boot_judge": boot_judge,
            "boot_state": boot_state,
            "boot_failed": boot_failed,
            "boot_probed": boot_probed,
            "boot_fix_paths": boot_fix_paths,
            "boot_password_content": password_content,
            "carehard_cmdline_missing": cmdline_missing,
            "carehard_root_only": root_only,
        }
