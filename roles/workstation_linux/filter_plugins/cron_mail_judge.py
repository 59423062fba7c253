"""Judge the cron and mail controls (WL-CRON-01, WL-CRON-03, WL-MTA-01, WL-MTA-02) from the one
cron and mail probe (tasks/cron.yml; its script is workstation_linux__cron_probe_cmd in
vars/main.yml). WL-CRON-02 is an item of the file permission controls (file_permissions.yml).

The probe prints one line per fact, "key value", only for the sections asked (SECTIONS):
  cron01: cron-pkg (installed, absent or unknown), cron-enabled, cron-active (systemctl's words);
  cron03: login (the user this run logged in as), tool (crontab or at, one line each installed),
          file (path|"owner:group mode" or absent|ok or bad|the users it lists, one line per allow
          and deny file of the tools found);
  mta:    mta (postfix, exim4 or nothing), mta-listen (the SMTP sockets open beyond loopback),
          mta-postfix (postfix's inet_interfaces), mta-exim (exim's dc_local_interfaces),
          mta-aliases ("name:target" of /etc/aliases, space-separated);
and "end" last. A section absent makes its controls an error that says so.

Pure functions, standard library only: Ansible loads this file by path. They never raise on an
unexpected input (a host nobody foresaw must not abort a run).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

IDS = ("WL-CRON-01", "WL-CRON-03", "WL-MTA-01", "WL-MTA-02")
WHAT = {
    "WL-CRON-01": "Check that the cron daemon is enabled and running",
    "WL-CRON-03": "Check that crontab and at are restricted to the authorised users",
    "WL-MTA-01": "Check that the mail server listens on loopback only",
    "WL-MTA-02": "Check that root's mail reaches a real mailbox",
}
SECTION = {"WL-CRON-01": "cron01", "WL-CRON-03": "cron03", "WL-MTA-01": "mta", "WL-MTA-02": "mta"}
# The first key of each section: present when the probe read it.
SECTION_KEY = {"cron01": "cron-pkg", "cron03": "login", "mta": "mta"}
EXIM_LOOPBACK = "127.0.0.1 ; ::1"


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
    """WL-CRON-01 -> workstation_linux_wl_cron_01."""
    return "workstation_linux_" + cid.lower().replace("-", "_")


def cron_mail_state(probe: Any) -> dict[str, Any]:
    """The probe's registered result -> {"error": why it cannot be judged ("" when it can),
    "keys": the first value of each key, "tools", "files" ([path, state, perms, users])}."""
    state: dict[str, Any] = {"error": "", "keys": {}, "tools": [], "files": []}
    if not isinstance(probe, Mapping):
        state["error"] = "the cron and mail probe gave no result"
        return state
    if probe.get("skipped"):
        state["error"] = "the cron and mail probe did not run"
        return state
    rc = probe.get("rc")
    stdout = str(probe.get("stdout") or "")
    if rc not in (0, None) or (probe.get("failed") and rc is None):
        err = str(probe.get("stderr") or probe.get("msg") or "").strip()
        state["error"] = f"the cron and mail probe broke (rc {rc}): {err[-300:] or 'no message'}"
        return state
    lines = stdout.splitlines()
    if "end" not in (line.strip() for line in lines):
        state["error"] = f"the cron and mail probe's output is cut short or unexpected: {stdout[:200]!r}"
        return state
    keys: dict[str, str] = {}
    for line in lines:
        key, _, value = line.partition(" ")
        value = value.strip()
        if key == "tool":
            state["tools"].append(value)
        elif key == "file":
            parts = value.split("|", 3)
            if len(parts) == 4 and parts[0].startswith("/") and parts[2] in ("ok", "bad"):
                state["files"].append([p.strip() for p in parts])
        elif key and key not in keys:
            keys[key] = value
    state["keys"] = keys
    return state


def _item(cid: str, what: str, status: str, evidence: str) -> dict[str, str]:
    return {"id": cid, "what": what, "status": status, "evidence": evidence}


def _switches(s: Mapping[str, Any]) -> Mapping[str, Any]:
    raw = s.get("switches")
    return raw if isinstance(raw, Mapping) else {}


def _skip_reason(cid: str, s: Mapping[str, Any]) -> str:
    """Why the control is not applicable before anything is read ("" when it applies)."""
    if not _bool(_switches(s).get(cid, True)):
        return f"switched off ({switch_name(cid)}: false)"
    if cid in _strings(s.get("held")):
        return "held by a waiver: not checked nor changed"
    if cid == "WL-CRON-01":
        if not str(s.get("cron_package") or ""):
            return "not an OS family whose cron package carehard knows"
        if not _bool(s.get("systemd", True)):
            return "the host does not run systemd: the cron daemon is not managed"
    return ""


def cron_mail_selected(settings: Mapping[str, Any]) -> list[str]:
    """The controls asked for (run tags, less skip tags): each gets one item."""
    run = _strings(settings.get("run_tags")) or ["all"]
    skip = _strings(settings.get("skip_tags"))
    return [c for c in IDS if ("all" in run or c in run) and c not in skip]


def cron_mail_probed(settings: Mapping[str, Any]) -> list[str]:
    """The sections the probe reads (those of the selected controls switched on, not held, that apply)."""
    if not isinstance(settings, Mapping):
        return []
    sections = [SECTION[c] for c in cron_mail_selected(settings) if not _skip_reason(c, settings)]
    return sorted(set(sections))


def _users_wanted(st: Mapping[str, Any], s: Mapping[str, Any]) -> list[str]:
    """root, the user this run logged in as, workstation_linux_cron_allowed_users: once each, in order."""
    out: list[str] = []
    for user in ["root", str(st["keys"].get("login", "")), *_strings(s.get("allowed_users"))]:
        if user and user not in out:
            out.append(user)
    return out


def _tools(st: Mapping[str, Any], s: Mapping[str, Any]) -> list[dict[str, str]]:
    """The schedulers found (workstation_linux__cron_tools entries), in their order."""
    found = set(_strings(st.get("tools")))
    return [dict(t) for t in _list(s.get("tools")) if isinstance(t, Mapping) and str(t.get("tool")) in found]


def _cron01(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    keys = st["keys"]
    package, service = str(s.get("cron_package")), str(s.get("cron_service"))
    if keys.get("cron-pkg") == "absent":
        return False, f"{package} is not installed; expected installed, enabled and running"
    enabled, active = keys.get("cron-enabled", ""), keys.get("cron-active", "")
    if enabled == "enabled" and active == "active":
        return True, f"{package} installed; {service} enabled at boot and running"
    return False, (
        f"{service} is {enabled or 'unknown'} at boot and {active or 'unknown'} now;"
        " expected installed, enabled and running"
    )


def _cron03(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    tools = _tools(st, s)
    if not tools:
        return True, "neither crontab nor at is installed: nothing to restrict"
    allow = [t.get("allow") for t in tools]
    users = _users_wanted(st, s)
    problems = []
    for path, state, perms, listed in st["files"]:
        if path in allow and state == "absent":
            problems.append(f"{path} is missing: every user may schedule jobs")
        elif path in allow:
            missing = [u for u in users if u not in listed.split()]
            if missing:
                problems.append(f"{path} does not list {', '.join(missing)}")
        if perms == "bad":
            problems.append(f"{path} is {state}, expected owner root and mode 0640 or stricter")
    if problems:
        return False, "; ".join(problems)
    text = "; ".join(f"{f[0]} {f[1]}" + (f" listing {f[3]}" if f[3] else "") for f in st["files"])
    if not any(t.get("tool") == "at" for t in tools):
        text += "; at is not installed"
    return True, text


def _mta01(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    keys = st["keys"]
    mta, listen = keys.get("mta", ""), keys.get("mta-listen", "")
    if mta == "postfix":
        found = keys.get("mta-postfix", "")
        ok = found == "loopback-only"
        setting = f"inet_interfaces = {found or 'all'}"
        wanted = "inet_interfaces = loopback-only"
    else:
        found = keys.get("mta-exim", "")
        ok = found == EXIM_LOOPBACK
        setting = f"dc_local_interfaces='{found}'"
        wanted = f"dc_local_interfaces='{EXIM_LOOPBACK}'"
    if ok and not listen:
        return (
            True,
            f"{mta} set to loopback only ({wanted}); no SMTP port (25, 465, 587) open beyond loopback",
        )
    where = f", listening on {listen}" if listen else ""
    return False, f"{mta}: {setting}{where}; expected loopback only"


def _mta02(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    alias = str(s.get("root_alias") or "")
    aliases = st["keys"].get("mta-aliases", "").strip()
    if not alias:
        return False, (
            "no mailbox for root: set workstation_linux_root_mail_alias (the site's support mailbox)"
            " so that the mail of root and of the service accounts aliased to it reaches a person;"
            " aliases now: " + (aliases or "none")
        )
    if f"root:{alias}" in aliases.split():
        return True, f"/etc/aliases: root -> {alias}; aliases: {aliases}"
    return False, f"/etc/aliases does not send root to {alias}; aliases now: {aliases or 'none'}"


JUDGES: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], tuple[bool, str]]] = {
    "WL-CRON-01": _cron01,
    "WL-CRON-03": _cron03,
    "WL-MTA-01": _mta01,
    "WL-MTA-02": _mta02,
}


def cron_mail_judge(probe: Any, settings: Mapping[str, Any]) -> list[dict[str, str]]:
    """One item {id, what, status, evidence} per selected cron and mail control. `settings`:
    run_tags, skip_tags, switches (ID -> bool), held, cron_package, cron_service (of the OS family),
    systemd (the host runs systemd), tools (workstation_linux__cron_tools), allowed_users
    (workstation_linux_cron_allowed_users), root_alias (workstation_linux_root_mail_alias)."""
    if not isinstance(settings, Mapping):
        settings = {}
    st: dict[str, Any] | None = None
    items = []
    for cid in cron_mail_selected(settings):
        reason = _skip_reason(cid, settings)
        if reason:
            items.append(_item(cid, reason, "na", ""))
            continue
        if st is None:
            st = cron_mail_state(probe)
        if st["error"]:
            items.append(_item(cid, WHAT[cid], "error", st["error"]))
            continue
        section = SECTION[cid]
        if SECTION_KEY[section] not in st["keys"]:
            why = f"the cron and mail probe printed no {section} section"
            items.append(_item(cid, WHAT[cid], "error", why))
            continue
        if section == "mta" and not st["keys"].get("mta"):
            items.append(_item(cid, "no mail server (Postfix or Exim) on this host", "na", ""))
            continue
        try:
            ok, evidence = JUDGES[cid](st, settings)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            why = f"the cron and mail probe's output is unexpected: {exc!r}"
            items.append(_item(cid, WHAT[cid], "error", why))
            continue
        items.append(_item(cid, WHAT[cid], "pass" if ok else "fail", evidence))
    return items


def cron_mail_failed(items: Any) -> list[str]:
    """The IDs whose item failed (the fixes' `when`)."""
    return [str(i.get("id")) for i in _list(items) if isinstance(i, Mapping) and i.get("status") == "fail"]


def cron_mail_plan(probe: Any, settings: Mapping[str, Any]) -> dict[str, Any]:
    """What the fixes need from the first probe: cron_absent (WL-CRON-01 installs the package, which
    brings crontab), tools (the schedulers to restrict: those found, and crontab when WL-CRON-01
    installs it), allow ([{path, group, user}]: the lines each allow file must hold), deny
    ([{path, group}]: the deny files that exist), mta, postfix_set (inet_interfaces already
    loopback-only)."""
    if not isinstance(settings, Mapping):
        settings = {}
    st = cron_mail_state(probe)
    keys = st["keys"]
    cron_absent = keys.get("cron-pkg") == "absent"
    tools = _tools(st, settings)
    if cron_absent and not any(t.get("tool") == "crontab" for t in tools):
        tools = [
            dict(t)
            for t in _list(settings.get("tools"))
            if isinstance(t, Mapping) and t.get("tool") == "crontab"
        ] + tools
    users = _users_wanted(st, settings)
    existing = {f[0] for f in st["files"] if f[1] != "absent"}
    return {
        "cron_absent": cron_absent,
        "tools": [str(t.get("tool")) for t in tools],
        "allow": [{"path": t.get("allow"), "group": t.get("group"), "user": u} for t in tools for u in users],
        "deny": [
            {"path": t.get("deny"), "group": t.get("group")} for t in tools if t.get("deny") in existing
        ],
        "mta": keys.get("mta", ""),
        "postfix_set": keys.get("mta-postfix", "") == "loopback-only",
    }


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "cron_mail_judge": cron_mail_judge,
            "cron_mail_state": cron_mail_state,
            "cron_mail_failed": cron_mail_failed,
            "cron_mail_probed": cron_mail_probed,
            "cron_mail_plan": cron_mail_plan,
        }
