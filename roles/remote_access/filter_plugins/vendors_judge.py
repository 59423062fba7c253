"""Judge the Linux vendor-access controls (RA-VND-01..05, RA-KEY-01..03, RA-SSH-01..03,
RA-LOG-01..03) from the one vendor probe (tasks/linux_vendors.yml: the vendor_access_info module,
which also reads sshd, the session traces and su's refusal).

The probe's result: vendors (one state per declared vendor of this host: exists, password,
password_locked, in_group, expire_days, expire_days_open, open, end_epoch, pids, keys, foreign,
unbounded, overlong, probe_inside, probe_outside, forwarding, force_command, sources),
undeclared, loose_keys, now, and the sections sshd ({installed, config, uses_dropin, global,
rules_path, rules, effective: {"<account>/inside|outside": {keyword: value}}, errors}), traces
({tty_lines, rules, auditd}) and su ({group, members, no_pam_su, auth}).

Pure functions, standard library only: Ansible loads this file by path. They never raise on an
unexpected input (a host nobody foresaw must not abort a run): a probe that broke makes each
selected control an error that says so.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any

IDS = (
    "RA-VND-01",
    "RA-VND-02",
    "RA-VND-03",
    "RA-VND-04",
    "RA-KEY-01",
    "RA-KEY-02",
    "RA-KEY-03",
    "RA-SSH-01",
    "RA-SSH-02",
    "RA-SSH-03",
    "RA-LOG-01",
    "RA-LOG-02",
    "RA-LOG-03",
    "RA-VND-05",
)
WHAT = {
    "RA-VND-01": "Check that every vendor account is declared, or closed",
    "RA-VND-02": "Check that vendor accounts are closed outside an open window",
    "RA-VND-03": "Check that no vendor account has a password",
    "RA-VND-04": "Check that no vendor window is longer than declared",
    "RA-KEY-01": "Check that every vendor key is bounded",
    "RA-KEY-02": "Check that vendor accounts hold only their declared keys",
    "RA-KEY-03": "Check that no undeclared account holds a key usable from outside the admin networks",
    "RA-SSH-01": "Check that sshd confines the vendor group",
    "RA-SSH-02": "Check that vendors log in from the bastions only",
    "RA-SSH-03": "Check the forced commands of the vendors",
    "RA-LOG-01": "Check that vendor sessions are logged verbosely",
    "RA-LOG-02": "Check that the keystrokes of vendor sessions are recorded",
    "RA-LOG-03": "Check that the commands of the vendor group are recorded",
    "RA-VND-05": "Check that su refuses the vendor accounts",
}
SSHD_IDS = ("RA-SSH-01", "RA-SSH-02", "RA-SSH-03", "RA-LOG-01")
LOG_LEVELS = ("VERBOSE", "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3")


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


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _maps(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in _list(value) if isinstance(v, Mapping)]


def _iso(epoch: Any) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))


def _day(days: Any) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(int(days) * 86400))


def switch_name(cid: str) -> str:
    """RA-VND-01 -> remote_access_ra_vnd_01."""
    return "remote_access_" + cid.lower().replace("-", "_")


def _item(cid: str, status: str, evidence: str, what: str = "") -> dict[str, str]:
    return {"id": cid, "what": what or WHAT[cid], "status": status, "evidence": evidence}


def _skip_reason(cid: str, s: Mapping[str, Any]) -> str:
    if not _bool(_map(s.get("switches")).get(cid, True)):
        return f"switched off ({switch_name(cid)}: false)"
    if cid in _strings(s.get("held")):
        return "held by a waiver: not checked nor changed"
    return ""


def vnd_selected(settings: Mapping[str, Any]) -> list[str]:
    """The controls asked for (run tags, less skip tags): each gets one item."""
    run = _strings(settings.get("run_tags")) or ["all"]
    skip = _strings(settings.get("skip_tags"))
    return [c for c in IDS if ("all" in run or c in run) and c not in skip]


def vnd_probed(settings: Mapping[str, Any]) -> list[str]:
    """The selected controls that are switched on and not held: those the probe reads for."""
    return [c for c in vnd_selected(settings) if not _skip_reason(c, settings)]


def vnd_state(probe: Any) -> dict[str, Any]:
    """The probe's registered result, with "error" (why it cannot be judged; "" when it can)."""
    if not isinstance(probe, Mapping):
        return {"error": "the vendor access probe gave no result"}
    if probe.get("skipped"):
        return {"error": "the vendor access probe did not run"}
    if probe.get("failed"):
        why = str(probe.get("msg") or probe.get("module_stderr") or "no message").strip()
        return {"error": f"the vendor access probe broke: {why[-300:]}"}
    if not isinstance(probe.get("vendors"), list) or not isinstance(probe.get("now"), int):
        return {"error": "the vendor access probe gave no account state (vendors, now)"}
    state = dict(probe)
    state["error"] = ""
    state["vendors"] = _maps(probe.get("vendors"))
    state["undeclared"] = _maps(probe.get("undeclared"))
    state["loose_keys"] = _maps(probe.get("loose_keys"))
    return state


# ---- accounts and keys ----------------------------------------------------------------------


def _vnd01(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    today = int(st["now"]) // 86400
    group = str(s.get("group") or "")
    found = []
    for u in st["undeclared"]:
        why = []
        if u.get("password") not in ("none", "locked"):
            why.append(f"password {u.get('password')}")
        if u.get("expire_days") is None or int(u["expire_days"]) > today:
            why.append("not expired")
        keys = _maps(u.get("keys"))
        if keys:
            why.append(f"{len(keys)} key(s) " + ", ".join(str(k.get("fingerprint", "?")) for k in keys))
        if u.get("pids"):
            why.append("running processes " + ",".join(map(str, _list(u.get("pids")))))
        if why:
            found.append(f"{u.get('account')} ({u.get('why')}: {', '.join(why)})")
    for v in st["vendors"]:
        if v.get("exists") and not v.get("in_group"):
            found.append(
                f"{v.get('account')} (declared, but not in the group {group}: sshd does not confine it)"
            )
    if found:
        return False, (
            f"undeclared vendor account(s) still usable: {'; '.join(found)}. Declare them in carehard_vendors"
            " for this host, or let harden lock and expire them."
        )
    if not st["undeclared"]:
        here = ", ".join(str(v.get("account")) for v in _maps(s.get("vendors")))
        return True, f"no vendor account besides the declared ones ({here or 'none here'})"
    closed = ", ".join(str(u.get("account")) for u in st["undeclared"])
    return True, f"undeclared vendor account(s) closed (locked, expired, no key, no session): {closed}"


def _vnd02(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    today = int(st["now"]) // 86400
    keys_dir = str(s.get("keys_dir") or "")
    states, bad = [], []
    for v in st["vendors"]:
        account, exp = v.get("account"), v.get("expire_days")
        if not v.get("exists"):
            states.append(f"{account}: no account yet (created at the first window)")
            continue
        if v.get("open"):
            states.append(
                f"{account}: window open until {_iso(v['end_epoch'])}, account expires "
                + (_day(exp) if exp is not None else "never")
            )
            if exp is None or int(exp) > int(v.get("expire_days_open") or 0):
                bad.append(
                    f"{account}: the account expires {'never' if exp is None else _day(exp)}, after"
                    " its window"
                    f" ends on {_iso(v['end_epoch'])}"
                )
            continue
        expired = exp is not None and int(exp) <= today
        states.append(
            f"{account}: closed ({'locked' if v.get('password_locked') else 'not locked'}, "
            f"{'expired' if expired else 'not expired'}, {len(_list(v.get('keys')))} key(s))"
        )
        why = []
        if not v.get("password_locked"):
            why.append("password not locked")
        if not expired:
            why.append("account not expired")
        if v.get("keys"):
            why.append(f"{len(_list(v.get('keys')))} key(s) left in {keys_dir}")
        if v.get("pids"):
            why.append(f"sessions still running (pids {','.join(map(str, _list(v.get('pids'))))})")
        if why:
            bad.append(f"{account}: no window open, yet {', '.join(why)}")
    if bad:
        return (
            False,
            f"{'; '.join(bad)}. harden closes the accounts whose window is not open; `carehard vendor"
            " open` opens one.",
        )
    return True, "; ".join(states) or "no vendor declared for this host"


def _vnd03(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    existing = [v for v in st["vendors"] if v.get("exists")]
    bad = [str(v.get("account")) for v in existing if v.get("password") != "none"]
    if bad:
        return (
            False,
            f"vendor account(s) with a password: {', '.join(bad)}: vendors log in with their declared"
            " keys only.",
        )
    names = ", ".join(str(v.get("account")) for v in existing)
    return (
        True,
        f"no password on the vendor accounts ({names})" if names else "no vendor account on this host",
    )


def _vnd04(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    bad = [
        f"{v.get('account')} {k.get('fingerprint')} until {_iso(k.get('expiry_epoch') or 0)}"
        for v in st["vendors"]
        for k in _maps(v.get("overlong"))
    ]
    if bad:
        return False, (
            f"vendor key(s) valid beyond the declared maximum window: {'; '.join(bad)}. harden removes them;"
            " open a window with `carehard vendor open`."
        )
    return True, "no vendor key outlives the vendor's max_window"


def _key01(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    bad = [
        f"{v.get('account')} {k.get('fingerprint')} lacks {', '.join(_strings(k.get('missing')))}"
        for v in st["vendors"]
        for k in _maps(v.get("unbounded"))
    ]
    if bad:
        return False, (
            f"vendor key(s) without their bounds: {'; '.join(bad)}. harden removes them; `carehard"
            " vendor open`"
            " writes keys with every bound."
        )
    count = sum(len(_list(v.get("keys"))) for v in st["vendors"])
    return True, f"{count} vendor key(s), each with restrict, from= the bastions and expiry-time"


def _key_name(k: Mapping[str, Any], unreadable: str) -> str:
    comment = f" ({k['comment']})" if k.get("comment") else ""
    return f"{k.get('fingerprint', unreadable)}{comment} in {k.get('file')}"


def _key02(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    bad = [
        f"{v.get('account')} " + _key_name(k, f"unreadable line {k.get('line')}: {k.get('error', '')}")
        for v in st["vendors"]
        for k in _maps(v.get("foreign"))
    ]
    if bad:
        return False, f"undeclared key(s) in vendor accounts: {'; '.join(bad)}. harden removes them."
    return True, "no key besides the declared ones in the vendor accounts"


def _key03(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    loose = st["loose_keys"]
    if loose:
        listed = "; ".join(
            f"{k.get('account')} " + _key_name(k, f"unreadable line {k.get('line')}") for k in loose[:50]
        )
        return False, (
            f"{len(loose)} key(s) in accounts outside carehard_admins, usable from outside"
            " carehard_admin_networks:"
            f" {listed}. Review them: add the account to carehard_admins, restrict the key with"
            " from=, or remove it."
        )
    admins = ", ".join(_strings(s.get("admins"))) or "none declared"
    return True, (
        f"SSH keys only in the accounts of carehard_admins ({admins}), of declared vendors, or"
        " limited by from= to"
        " carehard_admin_networks"
    )


# ---- sshd ------------------------------------------------------------------------------------


def sshd_eval(st: Mapping[str, Any], s: Mapping[str, Any]) -> dict[str, list[str]]:
    """What the effective sshd configuration (sshd -T -C) breaks, per control, for each existing
    vendor account: {ssh01, ssh02, ssh03, log01, seen}."""
    effective = _map(_map(st.get("sshd")).get("effective"))
    keys_dir, group = str(s.get("keys_dir") or ""), str(s.get("group") or "")
    out: dict[str, list[str]] = {"ssh01": [], "ssh02": [], "ssh03": [], "log01": [], "seen": []}
    for v in st["vendors"]:
        if not v.get("exists"):
            continue
        account = str(v.get("account"))
        out["seen"].append(account)
        cin = effective.get(f"{account}/inside")
        cout = _map(effective.get(f"{account}/outside"))
        forwarding = _strings(v.get("forwarding"))
        if isinstance(cin, Mapping):
            want = {
                "passwordauthentication": "no",
                "kbdinteractiveauthentication": "no",
                "permitemptypasswords": "no",
                "authorizedkeysfile": f"{keys_dir}/%u",
                "allowtcpforwarding": "yes" if "tcp" in forwarding else "no",
                "allowagentforwarding": "yes" if "agent" in forwarding else "no",
                "x11forwarding": "yes" if "x11" in forwarding else "no",
                "permittunnel": "no",
                "allowstreamlocalforwarding": "no",
            }
            for key, value in want.items():
                if key in cin and cin[key] != value:
                    out["ssh01"].append(f"{account}: {key} is {cin[key]}, expected {value}")
            if v.get("sources") and cin.get("pubkeyauthentication", "") != "yes":
                out["ssh02"].append(
                    f"{account}: keys refused from the bastion {v.get('probe_inside')}: the Match"
                    " rules do not"
                    " follow the inventory"
                )
            if "allowgroups" in cin and group not in str(cin["allowgroups"]).split():
                out["ssh02"].append(
                    f"{account}: AllowGroups ({cin['allowgroups']}) shuts out {group}: add it to"
                    " workstation_linux_ssh_allow_groups"
                )
            forced = cin.get("forcecommand", "none")
            wanted = str(v.get("force_command") or "") or "none"
            if forced != wanted:
                out["ssh03"].append(f"{account}: ForceCommand is {forced}, expected {wanted}")
            if cin.get("loglevel", "") not in LOG_LEVELS:
                out["log01"].append(f"{account}: LogLevel is {cin.get('loglevel', '?')}, expected VERBOSE")
        doors = [
            k
            for k in ("pubkeyauthentication", "passwordauthentication", "kbdinteractiveauthentication")
            if cout.get(k, "no") != "no"
        ]
        if doors:
            out["ssh02"].append(
                f"{account}: from {v.get('probe_outside')} (not a bastion) sshd allows {', '.join(doors)}"
            )
    return out


def rules_up_to_date(st: Mapping[str, Any], s: Mapping[str, Any]) -> bool:
    """The vendor rules on the host are those the inventory wants (drop-in, or marked block)."""
    sshd = _map(st.get("sshd"))
    wanted = str(s.get("rules_wanted") or "")
    if sshd.get("uses_dropin"):
        return str(sshd.get("rules") or "") == wanted
    marker = str(s.get("block_marker") or "")
    block = "\n".join(
        [marker.replace("{mark}", "BEGIN"), *wanted.splitlines(), marker.replace("{mark}", "END")]
    )
    return block in str(sshd.get("config") or "")


def _checked(ev: Mapping[str, list[str]]) -> str:
    return f" (checked with sshd -T for {', '.join(ev['seen'])})" if ev["seen"] else ""


def _ssh(cid: str, st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    ev = sshd_eval(st, s)
    group = str(s.get("group") or "")
    rules_path = str(_map(st.get("sshd")).get("rules_path") or "")
    fresh = rules_up_to_date(st, s)
    if cid == "RA-SSH-01":
        if not ev["ssh01"] and fresh:
            return True, (
                f"{rules_path} confines {group}: keys only from {s.get('keys_dir')}/%u, no password,"
                " no forwarding"
                f" unless declared{_checked(ev)}"
            )
        return False, (
            ("; ".join(ev["ssh01"]) + ". " if ev["ssh01"] else "")
            + (
                ""
                if fresh
                else f"the vendor rules in {rules_path} are missing or differ from the inventory"
                " (carehard_vendors, carehard_bastions)."
            )
            + " harden writes them."
        )
    if cid == "RA-SSH-02":
        if ev["ssh02"]:
            return False, f"{'; '.join(ev['ssh02'])}. harden writes the vendor rules."
        if not ev["seen"]:
            return True, f"no vendor account here; the {group} group gets no login method"
        sources = list(dict.fromkeys(x for v in _maps(s.get("vendors")) for x in _strings(v.get("sources"))))
        return True, f"vendor logins accepted only from {', '.join(sources)}{_checked(ev)}"
    if cid == "RA-SSH-03":
        if ev["ssh03"]:
            return False, f"{'; '.join(ev['ssh03'])}. harden writes the vendor rules."
        if not ev["seen"]:
            return True, "no vendor account on this host"
        return True, f"forced commands as declared for {', '.join(ev['seen'])}"
    if not ev["log01"] and fresh:
        return True, f"LogLevel VERBOSE for {group}{_checked(ev)}"
    why = "; ".join(ev["log01"]) or f"the vendor rules in {rules_path} are missing or out of date"
    return False, f"{why}. harden writes the vendor rules."


# ---- traces and su ---------------------------------------------------------------------------


def _log02(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    lines = [x.strip() for x in _strings(_map(st.get("traces")).get("tty_lines")) if x.strip()]
    line = str(s.get("tty_line") or "")
    pam = str(s.get("pam_sshd") or "")
    if lines == ([line] if line else []):
        if not line:
            return True, "no vendor declared for this host: nothing to record"
        accounts = ", ".join(str(v.get("account")) for v in _maps(s.get("vendors")))
        note = " (a container: no kernel audit here, the line is optional and records nothing)"
        return True, f"pam_tty_audit records {accounts} in {pam}{note if _bool(s.get('container')) else ''}"
    found = " | ".join(lines) or "no pam_tty_audit line"
    return False, f"{pam} has {found}; expected {line or 'none'}. harden writes it."


def _log03(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    traces = _map(st.get("traces"))
    path = str(s.get("audit_rules_file") or "")
    same = str(traces.get("rules") or "").strip() == str(s.get("audit_rules") or "").strip()
    installed = traces.get("auditd") == "installed"
    if same and installed:
        note = " (persisted; a container loads no audit rules)" if _bool(s.get("container")) else ""
        return True, f"{path} records every program run by {s.get('group')} (key carehard_vendors){note}"
    return False, (
        ("" if installed else "auditd is not installed; ")
        + ("" if same else f"{path} is missing or differs from the expected rules; ")
        + "harden installs auditd and writes the rules."
    )


def vnd_su(probe: Any, settings: Mapping[str, Any]) -> dict[str, Any]:
    """What RA-VND-05 reads: the members of the group su refuses, the vendor accounts it should hold
    (existing, not declared su: true), those allowed, whether su's PAM file holds the deny line."""
    st = vnd_state(probe)
    su = _map(st.get("su"))
    existing = sorted({str(v.get("account")) for v in _maps(st.get("vendors")) if v.get("exists")})
    granted = {str(v.get("account")) for v in _maps(settings.get("vendors")) if _bool(v.get("su"))}
    try:
        deny = re.compile(str(settings.get("su_deny_regexp") or "(?!)"))
    except re.error:
        deny = re.compile("(?!)")
    return {
        "members": sorted(m for m in _strings(su.get("members")) if m),
        "wanted": [a for a in existing if a not in granted],
        "granted": [a for a in existing if a in granted],
        "line": any(deny.search(x) for x in _strings(su.get("auth"))),
        "no_pam_su": _bool(su.get("no_pam_su")),
    }


def _vnd05(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    su = vnd_su(st, s)
    pam, group = str(s.get("pam_su") or ""), str(s.get("no_su_group") or "")
    if not _maps(s.get("vendors")):
        return True, "no vendor declared for this host: no vendor account for su to refuse"
    same = su["members"] == su["wanted"]
    if su["line"] and same:
        granted = (
            f", allowed by their declaration (su: true): {', '.join(su['granted'])}" if su["granted"] else ""
        )
        refused = ", ".join(su["wanted"]) or "no vendor account yet"
        return True, f"su refuses {refused} ({pam}: pam_wheel deny group={group}){granted}"
    if su["no_pam_su"]:
        why = f"no {pam}: su is not installed the way carehard knows"
    else:
        parts = []
        if not su["line"]:
            parts.append(f"su does not refuse the group {group} (no pam_wheel deny line in {pam})")
        if not same:
            parts.append(
                f"the group su refuses holds {', '.join(su['members']) or 'nobody'}, expected"
                f" {', '.join(su['wanted']) or 'nobody'}"
            )
        why = "; ".join(parts)
    return (
        False,
        f"{why};\na vendor who knows another account's password (root's) could switch to it. harden"
        " writes both.",
    )


CHECKS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], tuple[bool, str]]] = {
    "RA-VND-01": _vnd01,
    "RA-VND-02": _vnd02,
    "RA-VND-03": _vnd03,
    "RA-VND-04": _vnd04,
    "RA-KEY-01": _key01,
    "RA-KEY-02": _key02,
    "RA-KEY-03": _key03,
    "RA-LOG-02": _log02,
    "RA-LOG-03": _log03,
    "RA-VND-05": _vnd05,
}
SECTION = {"RA-LOG-02": "traces", "RA-LOG-03": "traces", "RA-VND-05": "su", **{c: "sshd" for c in SSHD_IDS}}


def vnd_judge(probe: Any, settings: Mapping[str, Any]) -> list[dict[str, str]]:
    """One item per selected control: {id, what, status (pass|fail|na|error), evidence}."""
    settings = _map(settings)
    st = vnd_state(probe)
    items = []
    for cid in vnd_selected(settings):
        reason = _skip_reason(cid, settings)
        if reason:
            items.append(_item(cid, "na", reason, reason))
            continue
        if st["error"]:
            items.append(_item(cid, "error", st["error"]))
            continue
        section = SECTION.get(cid)
        if section and not isinstance(st.get(section), Mapping):
            items.append(_item(cid, "error", f"the vendor access probe read no {section} state"))
            continue
        try:
            if cid in SSHD_IDS:
                sshd = _map(st.get("sshd"))
                if not sshd.get("installed"):
                    why = f"no OpenSSH server on this host ({settings.get('sshd_binary')})"
                    items.append(_item(cid, "na", why, why))
                    continue
                if _strings(sshd.get("errors")):
                    items.append(
                        _item(
                            cid,
                            "error",
                            "sshd refused to print its configuration: "
                            + "; ".join(_strings(sshd.get("errors"))),
                        )
                    )
                    continue
                ok, evidence = _ssh(cid, st, settings)
            else:
                ok, evidence = CHECKS[cid](st, settings)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            items.append(
                _item(cid, "error", f"the vendor access probe gave what carehard cannot judge: {exc!r}")
            )
            continue
        items.append(_item(cid, "pass" if ok else "fail", evidence))
    return items


def vnd_failed(items: Any) -> list[str]:
    """The ids of the controls the judgement failed: those whose fixes run."""
    return [str(i.get("id")) for i in _maps(items) if i.get("status") == "fail"]


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "ra_vnd_selected": vnd_selected,
            "ra_vnd_probed": vnd_probed,
            "ra_vnd_judge": vnd_judge,
            "ra_vnd_failed": vnd_failed,
            "ra_vnd_su": vnd_su,
        }
