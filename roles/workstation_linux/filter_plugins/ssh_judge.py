"""Judge the OpenSSH server controls (WL-SSH-01..20) from the one SSH probe (tasks/ssh.yml).

The probe prints a JSON list of lines, each a word then its value:
  binary yes|no, config yes|no        the sshd binary and sshd_config exist
  valid RC, sshd-t LINE...            `sshd -t`: its return code and its message
  dropin yes|no                       sshd_config includes sshd_config.d/*.conf
  T LINE..., T-rc RC                  the effective configuration (`sshd -T` as the running daemon
                                      sees it; first line "carehard-daemon-options [-o ...]")
  perm STATUS|OWNER:GROUP|MODE|PATH   WL-SSH-15: sshd_config, its drop-in directory and files
  hostkey STATUS|OWNER:GROUP|MODE|PATH  WL-SSH-16: each HostKey of `sshd -T` and its .pub
  banner-sha SHA256|none              WL-SSH-10: the banner file's content

Pure functions, standard library only: Ansible loads this file by path. They never raise on an
unexpected input (a host nobody foresaw must not abort a run): a probe that broke makes each
selected control an error that says so.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

IDS = tuple(f"WL-SSH-{n:02d}" for n in range(1, 21))
ROOT_LOGIN_RANK = {
    "yes": 0,
    "prohibit-password": 1,
    "without-password": 1,
    "forced-commands-only": 2,
    "no": 3,
}
PERM_LINE = re.compile(r"^(ok|bad)\|(\S+)\|(\S+)\|(.*)$")
T_LINE = re.compile(r"^(\S+) (.*)$")
INVALID_WHAT = "Leave sshd alone: its configuration on the host is already invalid (sshd -t)"

# (what the check says, when it passes and when it fails) per control.
WHAT = {
    "WL-SSH-01": "Check that root login is refused",
    "WL-SSH-02": "Check that password authentication is disabled",
    "WL-SSH-03": "Check that empty passwords are refused",
    "WL-SSH-04": "Check that X11 forwarding is disabled",
    "WL-SSH-05": "Check that authentication attempts are limited",
    "WL-SSH-06": "Check that only strong algorithms are offered",
    "WL-SSH-07": "Check that the time allowed to log in is limited",
    "WL-SSH-08": "Check that idle and unresponsive sessions are closed",
    "WL-SSH-09": "Check that SSH logins are restricted to the allowed groups",
    "WL-SSH-10": "Check that the legal warning is shown before login",
    "WL-SSH-11": "Check that only strong host key algorithms are offered",
    "WL-SSH-12": "Check that forwarding is disabled",
    "WL-SSH-13": "Check that SSH logins are logged verbosely",
    "WL-SSH-14": "Check that rhosts, host-based authentication and user environments are refused",
    "WL-SSH-15": "Check that the sshd configuration is root's and unreadable by others",
    "WL-SSH-16": "Check that the SSH host keys are root's, the private ones unreadable by others",
    "WL-SSH-17": "Check that GSSAPI authentication is disabled",
    "WL-SSH-18": "Check that the sessions per connection are limited",
    "WL-SSH-19": "Check that excess unauthenticated connections are dropped",
    "WL-SSH-20": "Check that sshd uses PAM",
}
# The sshd keywords each control writes (the override hint names them).
KEYS = {
    "WL-SSH-01": "PermitRootLogin",
    "WL-SSH-02": "PasswordAuthentication",
    "WL-SSH-03": "PermitEmptyPasswords",
    "WL-SSH-04": "X11Forwarding",
    "WL-SSH-05": "MaxAuthTries",
    "WL-SSH-06": "Ciphers/MACs/KexAlgorithms",
    "WL-SSH-07": "LoginGraceTime",
    "WL-SSH-08": "ClientAliveInterval/ClientAliveCountMax",
    "WL-SSH-09": "AllowGroups",
    "WL-SSH-10": "Banner",
    "WL-SSH-11": "HostKeyAlgorithms",
    "WL-SSH-12": "AllowAgentForwarding/AllowTcpForwarding/DisableForwarding",
    "WL-SSH-13": "LogLevel",
    "WL-SSH-14": "IgnoreRhosts/HostbasedAuthentication/PermitUserEnvironment",
    "WL-SSH-17": "GSSAPIAuthentication",
    "WL-SSH-18": "MaxSessions",
    "WL-SSH-19": "MaxStartups",
    "WL-SSH-20": "UsePAM",
}


def _list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y", "t")
    return bool(value)


def ssh_state(probe: Any) -> dict[str, Any]:
    """The probe's registered result -> {"state": "skipped"|"broken"|"no_binary"|"no_config"|
    "invalid"|"ok", "reason", "sshd_t", "dropin", "sshd" (keyword -> value), "allowgroups",
    "allowusers", "perms", "hostkeys" (lists of [status, owner:group, mode, path])}."""
    state: dict[str, Any] = {
        "state": "broken",
        "reason": "",
        "sshd_t": "",
        "dropin": False,
        "sshd": {},
        "allowgroups": [],
        "allowusers": [],
        "perms": [],
        "hostkeys": [],
        "banner_sha": "",
    }
    if not isinstance(probe, Mapping):
        state["reason"] = "the SSH probe gave no result"
        return state
    if probe.get("skipped"):
        state["state"] = "skipped"
        return state
    rc = probe.get("rc")
    stdout = str(probe.get("stdout") or "")
    if rc not in (0, None) or (probe.get("failed") and rc is None):
        err = str(probe.get("stderr") or probe.get("msg") or "").strip()
        state["reason"] = f"the SSH probe broke (rc {rc}): {err or 'no message'}"
        return state
    try:
        lines = json.loads(stdout)
    except ValueError:
        state["reason"] = f"the SSH probe printed no JSON: {stdout[:200]!r}"
        return state
    if not isinstance(lines, list):
        state["reason"] = f"the SSH probe printed no list of lines: {stdout[:200]!r}"
        return state
    words: dict[str, str] = {}
    sshd_t: list[str] = []
    effective: list[str] = []
    for raw in lines:
        word, _, value = str(raw).partition(" ")
        if word == "sshd-t":
            sshd_t.append(value)
        elif word == "T":
            effective.append(value)
        elif word in ("perm", "hostkey"):
            m = PERM_LINE.match(value)
            if m:
                state["perms" if word == "perm" else "hostkeys"].append(list(m.groups()))
        else:
            words[word] = value.strip()
    state["sshd_t"] = "\n".join(sshd_t).strip()
    if words.get("binary") != "yes":
        state["state"] = "no_binary" if words.get("binary") == "no" else "broken"
        state["reason"] = "" if words.get("binary") == "no" else "the SSH probe printed nothing usable"
        return state
    if words.get("config") != "yes":
        state["state"] = "no_config"
        return state
    if _int(words.get("valid"), 1) != 0:
        state["state"] = "invalid"
        return state
    if _int(words.get("T-rc"), 1) != 0 or not effective:
        state["reason"] = "sshd -T failed (rc {}): {}".format(
            words.get("T-rc", "unknown"), "; ".join(effective)[:300] or "no output"
        )
        return state
    sshd: dict[str, str] = {}
    for line in effective:
        m = T_LINE.match(line)
        if m:
            sshd[m.group(1)] = m.group(2)
            if m.group(1) in ("allowgroups", "allowusers") and " " not in m.group(2).strip():
                state[m.group(1)].append(m.group(2).strip())
    state.update(
        state="ok", dropin=words.get("dropin") == "yes", sshd=sshd, banner_sha=words.get("banner-sha", "")
    )
    return state


def _selected(selected: Any) -> list[str]:
    return [i for i in IDS if i in {str(s) for s in _list(selected)}]


def ssh_judge(
    probe: Any,
    settings: Mapping[str, Any],
    selected: Any,
    written: Any = None,
    supported: Any = True,
) -> list[dict[str, str]]:
    """One item {id, what, status, evidence} per selected WL-SSH control (`selected`: the IDs asked
    for, switched on and not held). `written`: the IDs whose setting carehard wrote in this run
    (harden), for the hint that an earlier value overrides it; `settings`: the role's wanted values
    (keys as workstation_linux_ssh_* less that prefix, plus sshd_config, sshd_dropin, hostkey_group)."""
    ids = _selected(selected)
    if not _bool(supported):
        return [_item(i, "not an OS family whose OpenSSH server carehard knows", "na", "") for i in ids]
    st = ssh_state(probe)
    if st["state"] == "skipped":
        return [_item(i, "not an OS family whose OpenSSH server carehard knows", "na", "") for i in ids]
    if st["state"] == "no_binary":
        return [_item(i, "no OpenSSH server on this host", "na", "") for i in ids]
    if st["state"] == "no_config":
        return [_item(i, "no sshd configuration file on this host", "na", "") for i in ids]
    if st["state"] == "invalid":
        text = st["sshd_t"] or "sshd -t failed without a message"
        return [_item(i, INVALID_WHAT, "error", text) for i in ids]
    if st["state"] != "ok":
        return [_item(i, WHAT[i], "error", st["reason"]) for i in ids]
    s = dict(settings) if isinstance(settings, Mapping) else {}
    wrote = {str(w) for w in _list(written)}
    items = []
    for i in ids:
        try:
            ok, evidence = JUDGES[i](st, s)
        except (KeyError, TypeError, ValueError, IndexError) as exc:  # a setting nobody foresaw
            items.append(_item(i, WHAT[i], "error", f"could not judge: {exc!r}"))
            continue
        if not ok and i in KEYS:
            evidence += _override_hint(st, s, KEYS[i], i in wrote)
        items.append(_item(i, WHAT[i], "pass" if ok else "fail", evidence))
    return items


def _item(cid: str, what: str, status: str, evidence: str) -> dict[str, str]:
    return {"id": cid, "what": what, "status": status, "evidence": evidence}


def _override_hint(st: Mapping[str, Any], s: Mapping[str, Any], key: str, written: bool) -> str:
    options = str(st["sshd"].get("carehard-daemon-options", "")).strip()
    conf = str(s.get("sshd_config", "/etc/ssh/sshd_config"))
    dropin = str(s.get("sshd_dropin", "/etc/ssh/sshd_config.d/00-carehard.conf"))
    hint = ""
    if written and not options:
        if st["dropin"]:
            hint = (
                " carehard's setting is in place but overridden: sshd keeps the first value it reads,"
                f" and an earlier {key} in {conf} (above its Include line) or in a sshd_config.d file"
                " sorting before "
                f"{dropin.rsplit('/', 1)[-1]} wins over carehard's."
            )
        else:
            hint = (
                " carehard's setting is in place but overridden: sshd keeps the first value it reads,"
                f" and a {key} line above carehard's block in {conf} wins over it."
            )
    if options:
        hint += (
            f" The running sshd is started with command-line options, which win over every file: {options}."
        )
    return hint


Judge = Callable[[Mapping[str, Any], Mapping[str, Any]], tuple[bool, str]]


def _v(st: Mapping[str, Any], key: str, default: str = "unknown") -> str:
    return str(st["sshd"].get(key, default))


def _eq(key: str, name: str, want: str, default: str = "unknown") -> Judge:
    def judge(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
        have = _v(st, key, default)
        if have == want:
            return True, f"effective {name} {want} (sshd -T)"
        return False, f"effective {name} {_v(st, key)} (sshd -T), expected {want}."

    return judge


def _ssh01(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    want = str(s["permit_root_login"])
    have = _v(st, "permitrootlogin")
    if ROOT_LOGIN_RANK.get(have, 0) >= ROOT_LOGIN_RANK[want]:
        return True, f"effective PermitRootLogin {have} (sshd -T); wanted {want} or stricter"
    return False, f"effective PermitRootLogin {have} (sshd -T), expected {want}."


def _ssh05(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    want = _int(s["max_auth_tries"])
    have = _v(st, "maxauthtries")
    if _int(st["sshd"].get("maxauthtries", 6)) <= want:
        return True, f"effective MaxAuthTries {have} (sshd -T); at most {s['max_auth_tries']} allowed"
    return False, f"effective MaxAuthTries {have} (sshd -T), expected at most {s['max_auth_tries']}."


def _weak(st: Mapping[str, Any], key: str, allowed: Any) -> list[str]:
    allowed_set = {str(a) for a in _list(allowed)}
    return [a for a in str(st["sshd"].get(key, "")).split(",") if a not in allowed_set]


def _ssh06(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    weak = (
        [f"cipher {a}" for a in _weak(st, "ciphers", s["ciphers"])]
        + [f"MAC {a}" for a in _weak(st, "macs", s["macs"])]
        + [f"kex {a}" for a in _weak(st, "kexalgorithms", s["kex_algorithms"])]
    )
    if not weak:
        return True, (
            f"effective (sshd -T): Ciphers {_v(st, 'ciphers')}; MACs {_v(st, 'macs')}; "
            f"KexAlgorithms {_v(st, 'kexalgorithms')}"
        )
    return False, f"sshd offers algorithms outside the allowed lists (sshd -T): {', '.join(weak)}."


def _ssh07(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    have = _v(st, "logingracetime", "120")
    want = s["login_grace_time"]
    if 0 < _int(have) <= _int(want):
        return True, f"effective LoginGraceTime {have} s (sshd -T); at most {want} s allowed"
    zero = ", 0 means no limit" if _int(have) == 0 else ""
    return False, f"effective LoginGraceTime {have} s (sshd -T{zero}), expected 1 to {want} s."


def _ssh08(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    interval = _v(st, "clientaliveinterval", "0")
    count = _v(st, "clientalivecountmax", "3")
    want_i, want_c = s["client_alive_interval"], s["client_alive_count_max"]
    head = f"effective ClientAliveInterval {interval} s, ClientAliveCountMax {count}"
    if 0 < _int(interval) <= _int(want_i) and 0 < _int(count) <= _int(want_c):
        return True, (
            f"{head} (sshd -T): an unresponsive session is closed after {_int(interval) * _int(count)} s"
        )
    return False, f"{head} (sshd -T; 0 turns the check off), expected 1 to {want_i} s and 1 to {want_c}."


def _ssh09(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    want = [str(g) for g in _list(s.get("allow_groups"))]
    groups, users = list(st["allowgroups"]), list(st["allowusers"])
    ok = (bool(groups) and all(g in want for g in groups)) if want else bool(groups + users)
    if ok:
        own = "" if want else " (the site's own restriction: workstation_linux_ssh_allow_groups is not set)"
        return True, (
            f"effective (sshd -T): AllowGroups {' '.join(groups) or '(none)'}; "
            f"AllowUsers {' '.join(users) or '(none)'}{own}"
        )
    if not want:
        return False, (
            "no AllowGroups or AllowUsers (sshd -T): any account with a key or a password may log in"
            " over SSH. Set workstation_linux_ssh_allow_groups in the inventory to the groups whose members"
            " may log in"
            " (e.g. [sudo])."
        )
    return False, (
        f"effective AllowGroups {' '.join(groups) or '(none)'} (sshd -T), expected {' '.join(want)}"
        " or a subset of it."
    )


def _ssh10(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    want = str(s["banner_file"])
    text = str(s.get("banner_text", "")).strip() + "\n"
    holds = st["banner_sha"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    if _v(st, "banner", "none") == want and holds:
        return (
            True,
            f"effective Banner {want} (sshd -T), holding the legal warning of"
            " workstation_linux_ssh_banner_text",
        )
    if _v(st, "banner", "none") == want:
        found = "is missing" if st["banner_sha"] in ("", "none") else "does not hold it"
        return False, (
            f"effective Banner {want} (sshd -T), but {want} {found}: expected the legal warning of"
            " workstation_linux_ssh_banner_text."
        )
    return (
        False,
        f"effective Banner {_v(st, 'banner', 'none')} (sshd -T), expected {want} with the legal warning.",
    )


def _ssh11(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    weak = _weak(st, "hostkeyalgorithms", s["host_key_algorithms"])
    if not weak:
        return True, f"effective HostKeyAlgorithms {_v(st, 'hostkeyalgorithms')} (sshd -T)"
    return False, (
        "sshd offers host key algorithms outside workstation_linux_ssh_host_key_algorithms (sshd -T): "
        f"{', '.join(weak)}."
    )


def ssh12_disable_wanted(s: Mapping[str, Any]) -> bool:
    """DisableForwarding yes also ends agent and TCP forwarding: wanted only when neither is kept."""
    return not _bool(s["allow_agent_forwarding"]) and not _bool(s["allow_tcp_forwarding"])


def _ssh12(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    agent, tcp = _v(st, "allowagentforwarding", "yes"), _v(st, "allowtcpforwarding", "yes")
    disable = _v(st, "disableforwarding", "no")
    agent_kept, tcp_kept = _bool(s["allow_agent_forwarding"]), _bool(s["allow_tcp_forwarding"])
    agent_ok, tcp_ok = agent_kept or agent == "no", tcp_kept or tcp == "no"
    disable_ok = not ssh12_disable_wanted(s) or disable == "yes"
    if agent_ok and tcp_ok and disable_ok:
        return True, (
            f"effective AllowAgentForwarding {agent}"
            f"{' (allowed by workstation_linux_ssh_allow_agent_forwarding)' if agent_kept else ''},"
            f" AllowTcpForwarding {tcp}"
            f"{' (allowed by workstation_linux_ssh_allow_tcp_forwarding)' if tcp_kept else ''},"
            " DisableForwarding "
            f"{disable} (sshd -T)"
        )
    expected = (
        ([] if agent_ok else ["AllowAgentForwarding no"])
        + ([] if tcp_ok else ["AllowTcpForwarding no"])
        + ([] if disable_ok else ["DisableForwarding yes"])
    )
    return False, (
        f"effective AllowAgentForwarding {agent}, AllowTcpForwarding {tcp}, DisableForwarding {disable}"
        " (sshd -T), "
        f"expected {' and '.join(expected)}."
    )


def _ssh13(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    have = _v(st, "loglevel", "INFO").upper()
    want = str(s["log_level"]).upper()
    if have in (["VERBOSE"] if want == "VERBOSE" else ["INFO", "VERBOSE"]):
        return True, f"effective LogLevel {have} (sshd -T); wanted {want}"
    more = " or VERBOSE" if want == "INFO" else " (it records the key used for each login)"
    return False, f"effective LogLevel {have} (sshd -T), expected {want}{more}."


def _ssh14(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    ok = (
        _v(st, "ignorerhosts", "yes") == "yes"
        and _v(st, "hostbasedauthentication", "no") == "no"
        and _v(st, "permituserenvironment", "no") == "no"
    )
    text = (
        f"effective IgnoreRhosts {_v(st, 'ignorerhosts')}, HostbasedAuthentication "
        f"{_v(st, 'hostbasedauthentication')}, PermitUserEnvironment {_v(st, 'permituserenvironment')}"
    )
    if ok:
        return True, f"{text} (sshd -T)"
    return False, f"{text} (sshd -T), expected yes, no, no."


def _perm_text(rows: list[list[str]]) -> str:
    return "; ".join(f"{p[3]} ({p[1]}, {p[2]})" for p in rows)


def _ssh15(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    rows = st["perms"]
    bad = [p for p in rows if p[0] == "bad"]
    if rows and not bad:
        return True, f"owned by root:root, no access for others: {_perm_text(rows)}"
    return False, (
        f"{', '.join(p[3] for p in bad)} not as expected: {_perm_text(rows)}. Expected owner root:root,"
        " files mode 0600 or stricter (no execute, nothing for group and others), the drop-in directory"
        " writable by root only."
    )


def _ssh16(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    rows = st["hostkeys"]
    bad = [p for p in rows if p[0] == "bad"]
    if rows and not bad:
        return True, f"host keys owned by root, private keys unreadable by others: {_perm_text(rows)}"
    group = str(s.get("hostkey_group", "root"))
    alt = "" if group == "root" else f" (or root:{group} 0640)"
    return False, (
        f"{', '.join(p[3] for p in bad) or 'no host key file found (sshd -T)'} not as expected: "
        f"{_perm_text(rows) or 'nothing to show'}. Expected private keys root:root 0600{alt},"
        " public keys owned by root and writable by root only."
    )


def _ssh18(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    have = _v(st, "maxsessions", "10")
    want = s["max_sessions"]
    if 0 < _int(have) <= _int(want):
        return True, f"effective MaxSessions {have} (sshd -T); at most {want} allowed"
    zero = ", 0 forbids every session" if _int(have) == 0 else ""
    return False, f"effective MaxSessions {have} (sshd -T{zero}), expected 1 to {want}."


def _ssh19(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    have = _v(st, "maxstartups", "10:30:100")
    want = str(s["max_startups"])
    h = [_int(x) for x in (have + "::").split(":")[:3]]
    w = [_int(x) for x in (want + "::").split(":")[:3]]
    if 0 < h[0] <= w[0] and h[1] >= w[1] and 0 < h[2] <= w[2]:
        return True, f"effective MaxStartups {have} (sshd -T); {want} or stricter wanted"
    return False, (
        f"effective MaxStartups {have} (sshd -T), expected {want} or stricter"
        " (start and full not above, rate not below)."
    )


JUDGES: dict[str, Judge] = {
    "WL-SSH-01": _ssh01,
    "WL-SSH-02": _eq("passwordauthentication", "PasswordAuthentication", "no"),
    "WL-SSH-03": _eq("permitemptypasswords", "PermitEmptyPasswords", "no"),
    "WL-SSH-04": _eq("x11forwarding", "X11Forwarding", "no"),
    "WL-SSH-05": _ssh05,
    "WL-SSH-06": _ssh06,
    "WL-SSH-07": _ssh07,
    "WL-SSH-08": _ssh08,
    "WL-SSH-09": _ssh09,
    "WL-SSH-10": _ssh10,
    "WL-SSH-11": _ssh11,
    "WL-SSH-12": _ssh12,
    "WL-SSH-13": _ssh13,
    "WL-SSH-14": _ssh14,
    "WL-SSH-15": _ssh15,
    "WL-SSH-16": _ssh16,
    "WL-SSH-17": _eq("gssapiauthentication", "GSSAPIAuthentication", "no", "no"),
    "WL-SSH-18": _ssh18,
    "WL-SSH-19": _ssh19,
    "WL-SSH-20": _eq("usepam", "UsePAM", "yes", "no"),
}


def ssh_failed(items: Any) -> list[str]:
    """The IDs whose item failed (the fixes' `when`)."""
    return [str(i.get("id")) for i in _list(items) if isinstance(i, Mapping) and i.get("status") == "fail"]


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"ssh_judge": ssh_judge, "ssh_state": ssh_state, "ssh_failed": ssh_failed}
