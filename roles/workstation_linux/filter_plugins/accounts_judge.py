"""Judge the accounts family (WL-ACC-01..11) from the one probe of tasks/accounts.yml.

The probe prints sections, each after a line "@@ <name>": a JSON object (pwq, ageing,
faillock, umask, root) or lines (uid0, empty, shells, login, sudo, nopasswd). A section that
is missing or does not parse is the evidence (status error) of the controls that need it only.

Pure functions, standard library only: Ansible loads this file by path. They never raise on an
unexpected input (a host nobody foresaw must not abort a run).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

WHAT = {
    "WL-ACC-01": "Check that passwords must be long and varied",
    "WL-ACC-02": "Check that passwords of new accounts expire",
    "WL-ACC-03": "Check that accounts lock after repeated failures",
    "WL-ACC-04": "Check that no account but root has UID 0",
    "WL-ACC-05": "Check that no account has an empty password",
    "WL-ACC-06": "Check that system accounts have a non-login shell",
    "WL-ACC-07": "Check that the default umask is strict enough",
    "WL-ACC-08": "Check that sudo runs commands in a pseudo-terminal",
    "WL-ACC-09": "Check that sudo logs to a file",
    "WL-ACC-10": "Check that no sudoers rule skips the password",
    "WL-ACC-11": "Check that root cannot log in with a password",
}
# The probe's section(s) each control reads.
SECTIONS = {
    "WL-ACC-01": ("pwq",),
    "WL-ACC-02": ("ageing",),
    "WL-ACC-03": ("faillock",),
    "WL-ACC-04": ("uid0",),
    "WL-ACC-05": ("empty",),
    "WL-ACC-06": ("shells", "login"),
    "WL-ACC-07": ("umask",),
    "WL-ACC-08": ("sudo",),
    "WL-ACC-09": ("sudo",),
    "WL-ACC-10": ("nopasswd",),
    "WL-ACC-11": ("root",),
}
JSON_SECTIONS = ("pwq", "ageing", "faillock", "umask", "root")
NO_SUDO = "carehard-no-sudo"
WRITTEN_NEGATED = "; written, but a later sudoers file or line negates it"


def _int(value: Any, default: int) -> int:
    """Jinja's `(value or default) | int`: a value that is no number is 0."""
    text = str(value if value not in (None, "") else default).strip()
    try:
        return int(text)
    except ValueError:
        try:
            return int(float(text))
        except ValueError:
            return 0


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def control_var(cid: str) -> str:
    """The switch of a control: workstation_linux_wl_acc_01 for WL-ACC-01."""
    return "workstation_linux_" + cid.lower().replace("-", "_")


def _on(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y", "t")
    return bool(value)


def selected(settings: Mapping[str, Any]) -> list[str]:
    """The family's IDs asked for by tag (or 'all') and not skipped by tag."""
    run = [str(t) for t in _list(settings.get("run_tags") or ["all"])]
    skip = [str(t) for t in _list(settings.get("skip_tags"))]
    return [c for c in WHAT if ("all" in run or c in run) and c not in skip]


def active(settings: Mapping[str, Any]) -> list[str]:
    """The selected controls that are switched on, not held, on a supported OS: those the probe reads for."""
    if not _on(settings.get("supported", False)):
        return []
    held = [str(h) for h in _list(settings.get("held"))]
    switches = settings.get("switches") or {}
    return [c for c in selected(settings) if _on(switches.get(c, True)) and c not in held]


def probe_sections(settings: Mapping[str, Any]) -> str:
    """The probe sections the active controls need (its SECTIONS variable), space-separated."""
    names = [s for c in active(settings) for s in SECTIONS[c]]
    return " ".join(dict.fromkeys(names))


def parse_probe(probe: Any) -> dict[str, Any]:
    """{section: JSON object or list of lines, or "error: why"}; {"_error": why} when the probe broke."""
    if not isinstance(probe, Mapping):
        return {"_error": "the accounts probe gave no result"}
    if probe.get("skipped"):
        return {"_error": "the accounts probe did not run"}
    stdout = _str(probe.get("stdout"))
    rc = probe.get("rc")
    if rc not in (0, None) or (probe.get("failed") and not stdout):
        err = _str(probe.get("stderr") or probe.get("msg")).strip()[:300]
        return {"_error": f"the accounts probe failed (rc {rc}): {err or 'no message'}"}
    out: dict[str, Any] = {}
    name = ""
    lines: dict[str, list[str]] = {}
    for line in stdout.splitlines():
        if line.startswith("@@ "):
            name = line[3:].strip()
            lines[name] = []
        elif name:
            lines[name].append(line)
    if not lines:
        return {"_error": f"the accounts probe printed no section: {stdout.strip()[:200] or 'nothing'}"}
    for name, body in lines.items():
        if name in JSON_SECTIONS:
            text = "\n".join(body).strip()
            try:
                doc = json.loads(text)
            except ValueError:
                out[name] = f"error: not JSON: {text[:200] or 'nothing'}"
                continue
            out[name] = doc if isinstance(doc, dict) else f"error: not a JSON object: {text[:200]}"
        else:
            out[name] = [x for x in body if x.strip()]
    return out


# ---- one function per control: (status, evidence) from its sections and the settings ----------


def _acc01(s: Mapping[str, Any], p: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[str, str]:
    pwq = p["pwq"]
    minlen, minclass, retry = (
        _int(pwq.get("minlen"), 8),
        _int(pwq.get("minclass"), 0),
        _int(pwq.get("retry"), 1),
    )
    credits = _int(pwq.get("credits"), 0)
    want_len, want_class = _int(s.get("pwquality_minlen"), 12), _int(s.get("pwquality_minclass"), 3)
    want_retry = _int(s.get("pwquality_retry"), 3)
    root_ok = len(_str(pwq.get("enforce_for_root"))) > 0
    problems: list[str] = []
    if not pwq.get("module"):
        problems.append(f"pam_pwquality is not installed ({_str(s.get('pwquality_package'))})")
    if not pwq.get("in_stack"):
        text = "pam_pwquality is not in the password stack"
        enable = ctx.get("pwq_enable")
        if isinstance(enable, Mapping) and not enable.get("skipped") and _int(enable.get("rc"), 0) != 0:
            out = " ".join(_list(enable.get("stdout_lines")))
            text += f": {out} {_str(enable.get('stderr'))}"
        problems.append(text)
    if minlen < want_len:
        problems.append(f"minlen {minlen} is below {want_len}")
    if not (minclass >= want_class or credits >= want_class):
        problems.append(f"minclass {minclass} is below {want_class}")
    if not 1 <= retry <= want_retry:
        problems.append(f"retry {retry} is above {want_retry}")
    if not root_ok:
        problems.append("enforce_for_root is not set: root can set any password")
    dict_ok = bool(pwq.get("dict")) or _str(pwq.get("dictcheck")) == "0"
    if not dict_ok:
        problems.append(
            f"the cracklib dictionary {_str(pwq.get('dictpath'))} is missing while dictcheck is on:"
            f" every new password is refused (install {_str(s.get('cracklib_package'))},"
            " or set workstation_linux_pwquality_dictcheck: false)"
        )
    args = _str(pwq.get("args"))
    summary = (
        f"minlen {minlen}, minclass {minclass} ({credits} negative credits), retry {retry},"
        f" enforce_for_root {'set' if root_ok else 'not set'}"
        + (f" (module arguments: {args})" if args else "")
    )
    dict_summary = (
        f"dictionary check on ({_str(pwq.get('dictpath'))})"
        if _str(pwq.get("dictcheck")) != "0"
        else "dictionary check off (dictcheck = 0)"
    )
    if not problems:
        files = ", ".join(map(str, _list(s.get("pam_password_files"))))
        return "pass", f"pam_pwquality is in the password stack ({files}); {summary}; {dict_summary}"
    return "fail", (
        f"{'; '.join(problems)}. Now: {summary}; {dict_summary}. Expected pam_pwquality in the password stack"
        f" with minlen >= {want_len}, minclass >= {want_class} (or as many negative credits),"
        f" retry <= {want_retry} and enforce_for_root (/etc/security/pwquality.conf;"
        " arguments on the pam_pwquality line win over it)"
    )


def pwq_fixes(s: Mapping[str, Any], pwq: Mapping[str, Any]) -> list[dict[str, str]]:
    """The pwquality.conf lines WL-ACC-01's fix writes ({key, line})."""
    minlen, minclass, retry = (
        _int(pwq.get("minlen"), 8),
        _int(pwq.get("minclass"), 0),
        _int(pwq.get("retry"), 1),
    )
    want_len, want_class = _int(s.get("pwquality_minlen"), 12), _int(s.get("pwquality_minclass"), 3)
    want_retry = _int(s.get("pwquality_retry"), 3)
    fixes: list[dict[str, str]] = []
    if minlen < want_len:
        fixes.append({"key": "minlen", "line": f"minlen = {want_len}"})
    if not (minclass >= want_class or _int(pwq.get("credits"), 0) >= want_class):
        fixes.append({"key": "minclass", "line": f"minclass = {want_class}"})
    if not 1 <= retry <= want_retry:
        fixes.append({"key": "retry", "line": f"retry = {want_retry}"})
    if not _str(pwq.get("enforce_for_root")):
        fixes.append({"key": "enforce_for_root", "line": "enforce_for_root"})
    dict_ok = bool(pwq.get("dict")) or _str(pwq.get("dictcheck")) == "0"
    if not dict_ok and not _on(s.get("pwquality_dictcheck", True)):
        fixes.append({"key": "dictcheck", "line": "dictcheck = 0"})
    return fixes


def ageing_fixes(s: Mapping[str, Any], ageing: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The login.defs keys WL-ACC-02's fix writes ({key, value})."""
    want_max, want_min = _int(s.get("pass_max_days"), 365), _int(s.get("pass_min_days"), 1)
    want_warn = _int(s.get("pass_warn_age"), 7)
    mx, mn, wn = (_str(ageing.get(k)) for k in ("max", "min", "warn"))
    fixes: list[dict[str, Any]] = []
    if not (mx.isdigit() and 1 <= int(mx) <= want_max):
        fixes.append({"key": "PASS_MAX_DAYS", "value": want_max})
    if not (mn.isdigit() and int(mn) >= want_min):
        fixes.append({"key": "PASS_MIN_DAYS", "value": want_min})
    if not (wn.isdigit() and int(wn) >= want_warn):
        fixes.append({"key": "PASS_WARN_AGE", "value": want_warn})
    return fixes


def _acc02(s: Mapping[str, Any], p: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[str, str]:
    ageing = p["ageing"]
    summary = (
        f"PASS_MAX_DAYS {_str(ageing.get('max')) or 'unset'},"
        f" PASS_MIN_DAYS {_str(ageing.get('min')) or 'unset'},"
        f" PASS_WARN_AGE {_str(ageing.get('warn')) or 'unset'}"
    )
    exceeding = _str(ageing.get("exceeding"))
    longer = f"Existing accounts with longer ageing (change with chage): {exceeding}" if exceeding else ""
    if not ageing_fixes(s, ageing):
        return "pass", (
            f"/etc/login.defs: {summary} (applies to accounts created from now on). "
            + (longer or "No existing account with a password has longer ageing.")
        )
    return "fail", (
        f"/etc/login.defs: {summary}; expected PASS_MAX_DAYS <= {_int(s.get('pass_max_days'), 365)},"
        f" PASS_MIN_DAYS >= {_int(s.get('pass_min_days'), 1)},"
        f" PASS_WARN_AGE >= {_int(s.get('pass_warn_age'), 7)}." + (f" {longer}" if longer else "")
    )


def _faillock_values(s: Mapping[str, Any], fl: Mapping[str, Any]) -> tuple[int, int, bool, bool]:
    deny, unlock = _int(fl.get("deny"), 3), _int(fl.get("unlock_time"), 600)
    deny_ok = 1 <= deny <= _int(s.get("faillock_deny"), 5)
    unlock_ok = unlock == 0 or unlock >= _int(s.get("faillock_unlock_time"), 900)
    return deny, unlock, deny_ok, unlock_ok


def faillock_fixes(s: Mapping[str, Any], fl: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The faillock.conf keys WL-ACC-03's fix writes ({key, value})."""
    _, _, deny_ok, unlock_ok = _faillock_values(s, fl)
    return ([] if deny_ok else [{"key": "deny", "value": _int(s.get("faillock_deny"), 5)}]) + (
        [] if unlock_ok else [{"key": "unlock_time", "value": _int(s.get("faillock_unlock_time"), 900)}]
    )


def faillock_in_stack(fl: Mapping[str, Any]) -> bool:
    return bool(fl.get("preauth") and fl.get("authfail") and fl.get("account"))


def _acc03(s: Mapping[str, Any], p: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[str, str]:
    fl = p["faillock"]
    deny, unlock, deny_ok, unlock_ok = _faillock_values(s, fl)
    problems = (
        ([] if fl.get("preauth") else ["no pam_faillock preauth in the auth stack"])
        + ([] if fl.get("authfail") else ["no pam_faillock authfail in the auth stack"])
        + ([] if fl.get("account") else ["no pam_faillock in the account stack"])
        + ([] if deny_ok else [f"deny {deny}" + (" (never locks)" if deny == 0 else "")])
        + ([] if unlock_ok else [f"unlock_time {unlock} s"])
    )
    summary = (
        f"deny {deny}, unlock_time {unlock} s"
        " (/etc/security/faillock.conf; arguments on the pam_faillock lines win over it)"
    )
    if not problems:
        files = list(
            dict.fromkeys(map(str, _list(s.get("pam_auth_files")) + _list(s.get("pam_account_files"))))
        )
        return "pass", (
            "pam_faillock is in the auth (preauth, authfail) and account stacks"
            f" ({', '.join(files)}); {summary}"
        )
    hint = ""
    enable = ctx.get("faillock_enable")
    if isinstance(enable, Mapping) and enable and not enable.get("skipped"):
        hint = f". {_str(s.get('faillock_enable_cmd'))} " + (
            f"failed: {_str(enable.get('stderr')).strip()}"
            if _int(enable.get("rc"), 0) != 0
            else "ran, but the stack is unchanged: pam-auth-update leaves PAM files edited by hand alone"
            " (merge the lines by hand, or run it with --force after review)"
        )
    return "fail", (
        f"{'; '.join(problems)}. Now: {summary}. Expected pam_faillock preauth and authfail in the auth stack"
        f" and pam_faillock in the account stack, with deny between 1 and {_int(s.get('faillock_deny'), 5)}"
        " and unlock_time 0 (unlocked by an admin) or at least"
        f" {_int(s.get('faillock_unlock_time'), 900)} s{hint}"
    )


def _acc04(s: Mapping[str, Any], p: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[str, str]:
    uid0 = p["uid0"]
    if not uid0:
        return "pass", "root is the only account with UID 0 in /etc/passwd"
    return "fail", (
        f"accounts besides root with UID 0 in /etc/passwd (root under another name): {', '.join(uid0)}."
        " Their actions cannot be told apart from root's: remove them (userdel) or give them their own UID"
        " after checking what uses them (audit-only: carehard changes nothing)"
    )


def _acc05(s: Mapping[str, Any], p: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[str, str]:
    empty = p["empty"]
    before = _list(ctx.get("before", {}).get("empty"))
    if not empty:
        return "pass", "no account has an empty password field in /etc/shadow" + (
            f"; locked now (passwd -l): {', '.join(before)}" if before else ""
        )
    return "fail", (
        "accounts with an empty password field in /etc/shadow (anyone can log in as them where PAM allows"
        f" nullok): {', '.join(empty)}; harden locks them (passwd -l)"
    )


def _acc06(s: Mapping[str, Any], p: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[str, str]:
    shells = p["shells"]
    before = _list(ctx.get("before", {}).get("shells"))
    nologin = _str(s.get("nologin"))
    if not shells:
        exempt = ", ".join(map(str, _list(s.get("shell_exempt"))))
        return "pass", f"every account below UID_MIN (except {exempt}) has a non-login shell" + (
            f"; changed to {nologin}: {', '.join(before)}" if before else ""
        )
    login = _str(ctx.get("login_name")) or next(iter(_list(p.get("login"))), "").strip()
    names = [x.split(":")[0] for x in shells]
    note = (
        f". Not changed: {login} is the account this run logs in with; give it a UID of its own at or above"
        " UID_MIN, or add it to workstation_linux_system_accounts_shell_exempt"
        if login and login in names
        else ""
    )
    return "fail", (
        f"system accounts (UID below UID_MIN) with a login shell: {', '.join(shells)};"
        f" expected {nologin} or /bin/false{note}"
    )


def _acc07(s: Mapping[str, Any], p: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[str, str]:
    um = p["umask"]
    defs, prof, live = _str(um.get("defs")), _str(um.get("profile")), _str(um.get("live"))
    profile_file = _str(s.get("umask_profile_file"))
    if um.get("defs_ok") and um.get("profile_ok") and (um.get("live_ok") or not live):
        return "pass", (
            f"UMASK {defs} in /etc/login.defs; umask {prof} in {profile_file}; a login shell gets umask"
            f" {live or 'unknown (runuser not available)'}"
        )
    later = (
        " (a later umask command in /etc/profile, /etc/profile.d or /etc/bash.bashrc"
        " wins over the carehard file)"
        if um.get("profile_ok")
        else ""
    )
    return "fail", (
        f"UMASK in /etc/login.defs: {defs or 'not set (022)'}; in {profile_file}: {prof or 'none'};"
        f" a login shell gets umask {live or 'unknown'}."
        f" Expected {_str(s.get('umask'))} or stricter in all three{later}"
    )


def sudo_defaults(lines: Any) -> str:
    return " ".join(str(x) for x in _list(lines)).strip()


def use_pty(defaults: str) -> bool:
    found: list[str] = ["x", *re.findall(r"(?:^|, )(!?)use_pty(?=,|$)", defaults)]
    return found[-1] == ""


def sudo_logfile(defaults: str) -> str:
    return str(["", *re.findall(r"(?:^|, )logfile=([^,]*)", defaults)][-1])


def _written(ctx: Mapping[str, Any], key: str) -> str:
    write = ctx.get(key)
    changed = isinstance(write, Mapping) and bool(write.get("changed"))
    return WRITTEN_NEGATED if changed and not _on(ctx.get("check_mode", True)) else ""


def _acc08(s: Mapping[str, Any], p: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[str, str]:
    defaults = sudo_defaults(p["sudo"])
    if use_pty(defaults):
        return "pass", "use_pty is among the sudo defaults that apply (sudo -ll)"
    state = "negated (!use_pty)" if re.search(r"(^|, )!use_pty(,|$)", defaults) else "not set"
    return "fail", (
        f'use_pty is {state} in the sudo defaults that apply (sudo -ll); expected "Defaults use_pty"'
        f" ({_str(s.get('sudoers_file'))}{_written(ctx, 'acc08_write')})"
    )


def _acc09(s: Mapping[str, Any], p: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[str, str]:
    logfile = sudo_logfile(sudo_defaults(p["sudo"]))
    if logfile:
        return "pass", f"sudo logs to {logfile} (sudo -ll)"
    return "fail", (
        "no logfile among the sudo defaults that apply (sudo -ll): sudo commands are only in the system log;"
        f' expected Defaults logfile="{_str(s.get("sudo_logfile"))}"'
        f" ({_str(s.get('sudoers_file'))}{_written(ctx, 'acc09_write')})"
    )


def _acc10(s: Mapping[str, Any], p: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[str, str]:
    found = p["nopasswd"]
    if not found:
        return "pass", "no NOPASSWD or !authenticate in /etc/sudoers and /etc/sudoers.d"
    return "fail", (
        "sudo runs commands without asking for a password (NOPASSWD or !authenticate)"
        f" at: {', '.join(found)}."
        " A stolen session or key then gives root at once; remove NOPASSWD (give the admins a password) or"
        " waive the control for automation accounts (audit-only: carehard changes nothing)"
    )


ROOT_STATUS = {"P": "a usable password", "PS": "a usable password", "NP": "no password at all"}


def _acc11(s: Mapping[str, Any], p: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[str, str]:
    root = p["root"]
    status, admins = _str(root.get("status")), _str(root.get("admins"))
    groups = "/".join(map(str, _list(s.get("admin_groups"))))
    if status in ("L", "LK"):
        return "pass", (
            f"root's password is locked (passwd -S: {status}); members of {groups}: {admins or 'none'}"
        )
    has = ROOT_STATUS.get(status, f"password status {status or 'unknown'}")
    return "fail", (
        f"root has {has} (passwd -S), so it can log in directly on a console or through su; expected locked"
        f" (passwd -l root), with named admins using sudo ({groups}: {admins or 'none'})"
    )


JUDGES: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]], tuple[str, str]]] = {
    "WL-ACC-01": _acc01,
    "WL-ACC-02": _acc02,
    "WL-ACC-03": _acc03,
    "WL-ACC-04": _acc04,
    "WL-ACC-05": _acc05,
    "WL-ACC-06": _acc06,
    "WL-ACC-07": _acc07,
    "WL-ACC-08": _acc08,
    "WL-ACC-09": _acc09,
    "WL-ACC-10": _acc10,
    "WL-ACC-11": _acc11,
}


def _item(cid: str, status: str, evidence: str, what: str = "") -> dict[str, str]:
    return {"id": cid, "what": what or WHAT[cid], "status": status, "evidence": " ".join(evidence.split())}


def accounts_judge(probe: Any, settings: Mapping[str, Any], before: Any = None) -> list[dict[str, str]]:
    """One item {id, what, status, evidence} per selected control of the family.

    `probe` is the registered probe result to judge; `before` the first probe's (for the
    evidence of what harden changed); `settings` the role's values, the selection (run_tags,
    skip_tags, switches, held, supported) and the fixes' results (pwq_enable, faillock_enable,
    acc08_write, acc09_write, login_name, check_mode)."""
    settings = settings if isinstance(settings, Mapping) else {}
    items: list[dict[str, str]] = []
    on = active(settings)
    held = [str(h) for h in _list(settings.get("held"))]
    parsed: dict[str, Any] | None = None
    ctx: dict[str, Any] = dict(settings)
    for cid in selected(settings):
        if cid not in on:
            if not _on(settings.get("supported", False)):
                why = "no known PAM tool on this OS family: the accounts controls do not apply"
            elif cid in held:
                why = "held by a waiver: not checked nor changed"
            else:
                why = f"switched off ({control_var(cid)}: false)"
            items.append(_item(cid, "na", why, why))
            continue
        if parsed is None:
            parsed = parse_probe(probe)
            first = parse_probe(before) if before is not None else parsed
            ctx["before"] = first if "_error" not in first else {}
        if "_error" in parsed:
            items.append(_item(cid, "error", parsed["_error"]))
            continue
        missing = [s for s in SECTIONS[cid] if s not in parsed]
        broken = [f"{s}: {parsed[s][7:]}" for s in SECTIONS[cid] if isinstance(parsed.get(s), str)]
        if missing or broken:
            why = "; ".join(broken + [f"section {s} missing" for s in missing])
            items.append(_item(cid, "error", f"the accounts probe could not read what {cid} needs: {why}"))
            continue
        if cid in ("WL-ACC-08", "WL-ACC-09") and sudo_defaults(parsed["sudo"]) == NO_SUDO:
            why = "sudo is not installed"
            items.append(_item(cid, "na", why, why))
            continue
        try:
            status, evidence = JUDGES[cid](settings, parsed, ctx)
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            status, evidence = "error", f"the accounts probe gave an unexpected value for {cid}: {exc}"
        items.append(_item(cid, status, evidence))
    return items


def accounts_plan(probe: Any, settings: Mapping[str, Any]) -> dict[str, Any]:
    """What the fixes need from the first probe: the lines to write and the accounts to change."""
    parsed = parse_probe(probe)
    settings = settings if isinstance(settings, Mapping) else {}

    def obj(name: str) -> Mapping[str, Any]:
        value = parsed.get(name)
        return value if isinstance(value, Mapping) else {}

    def lines(name: str) -> list[str]:
        value = parsed.get(name)
        return [str(x) for x in value] if isinstance(value, list) else []

    defaults = sudo_defaults(lines("sudo"))
    um = obj("umask")
    return {
        "pwq_lines": pwq_fixes(settings, obj("pwq")),
        "ageing": ageing_fixes(settings, obj("ageing")),
        "faillock": faillock_fixes(settings, obj("faillock")),
        "faillock_in_stack": faillock_in_stack(obj("faillock")),
        "empty": lines("empty"),
        "shells": lines("shells"),
        "umask_defs_ok": bool(um.get("defs_ok")),
        "umask_profile_ok": bool(um.get("profile_ok")),
        "use_pty": use_pty(defaults),
        "logfile": sudo_logfile(defaults),
        "root_status": _str(obj("root").get("status")),
        "admins": _str(obj("root").get("admins")),
    }


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "carehard_accounts_judge": accounts_judge,
            "carehard_accounts_plan": accounts_plan,
            "carehard_accounts_sections": probe_sections,
        }
