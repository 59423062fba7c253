"""Judge the host firewall controls (WL-FW-01, WL-FW-02, WL-FW-04) from the one firewall probe
(tasks/firewall.yml; its script is workstation_linux__fw_probe_cmd in vars/main.yml).

The probe prints one JSON object: kind, installed, active, default_in, zone, service_enabled,
networks (carehard_admin_networks, normalised), invalid (what is not a network), client,
client_inside, server_port (from SSH_CLIENT, known only in harden), ssh_rules ({rule, source}),
to_delete, wide, missing (admin networks no rule lets SSH in from), client_allowed, added (ufw's
added rules as `ufw show added` prints them, comments cut off), ipv6 (ufw's IPV6 setting is not
"no"), ufw_sysctl ({exists, lines}: the log_martians lines of /etc/ufw/sysctl.conf).

Pure functions, standard library only: Ansible loads this file by path. They never raise on an
unexpected input (a host nobody foresaw must not abort a run): a probe that broke makes each
selected control an error that says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

IDS = ("WL-FW-01", "WL-FW-02", "WL-FW-04")
WHAT = {
    "WL-FW-01": "Check that the host firewall is on and denies inbound connections by default",
    "WL-FW-02": "Check that SSH is allowed from the admin networks only",
    "WL-FW-04": "Check that loopback traffic is allowed on lo only",
}
UFW_SYSCTL = "/etc/ufw/sysctl.conf"
MARTIANS = re.compile(r"^#?\s*net/ipv4/conf/(all|default)/log_martians\s*=")


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
    """WL-FW-01 -> workstation_linux_wl_fw_01."""
    return "workstation_linux_" + cid.lower().replace("-", "_")


def fw_state(probe: Any) -> dict[str, Any]:
    """The probe's registered result -> the probe's JSON object, with "error" (why it cannot be
    judged; "" when it can) and "skipped"."""
    if not isinstance(probe, Mapping):
        return {"error": "the firewall probe gave no result", "skipped": False}
    if probe.get("skipped"):
        return {"error": "the firewall probe did not run", "skipped": True}
    rc = probe.get("rc")
    stdout = str(probe.get("stdout") or "")
    if rc not in (0, None) or (probe.get("failed") and rc is None):
        err = str(probe.get("stderr") or probe.get("msg") or "").strip()
        why = f"the firewall probe broke (rc {rc}): {err[-300:] or 'no message'}"
        return {"error": why, "skipped": False}
    try:
        data = json.loads(stdout)
    except ValueError:
        return {"error": f"the firewall probe printed no JSON: {stdout[:200]!r}", "skipped": False}
    if not isinstance(data, dict) or not isinstance(data.get("installed"), bool):
        return {"error": f"the firewall probe printed no firewall state: {stdout[:200]!r}", "skipped": False}
    state = dict(data)
    state.update(error="", skipped=False)
    for key in ("networks", "invalid", "ssh_rules", "to_delete", "wide", "missing", "added"):
        state[key] = _list(state.get(key))
    for key in ("client", "default_in", "zone", "service_enabled", "server_port"):
        state[key] = str(state.get(key) or "")
    return state


def _item(cid: str, what: str, status: str, evidence: str) -> dict[str, str]:
    return {"id": cid, "what": what, "status": status, "evidence": evidence}


def _skip_reason(cid: str, s: Mapping[str, Any]) -> str:
    raw = s.get("switches")
    switches: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    if not _bool(switches.get(cid, True)):
        return f"switched off ({switch_name(cid)}: false)"
    if cid in _strings(s.get("held")):
        return "held by a waiver: not checked nor changed"
    kind = str(s.get("kind") or "")
    if not kind:
        return "not an OS family whose host firewall carehard knows"
    if cid == "WL-FW-04" and kind != "ufw":
        return f"{kind} trusts lo and drops spoofed loopback sources itself"
    return ""


def fw_selected(settings: Mapping[str, Any]) -> list[str]:
    """The controls asked for (run tags, less skip tags): each gets one item."""
    run = _strings(settings.get("run_tags")) or ["all"]
    skip = _strings(settings.get("skip_tags"))
    return [c for c in IDS if ("all" in run or c in run) and c not in skip]


def fw_probed(settings: Mapping[str, Any]) -> list[str]:
    """The selected controls that are switched on, not held and apply here: those the probe reads for."""
    return [c for c in fw_selected(settings) if not _skip_reason(c, settings)]


def guard_msg(st: Mapping[str, Any], port: str) -> str:
    """Why SSH cannot be restricted to the admin networks without locking this run out ("" if it can)."""
    nets, invalid = st["networks"], st["invalid"]
    if not nets and not invalid:
        return (
            "carehard_admin_networks is empty: SSH cannot be restricted to the admin networks without locking"
            " everyone out. Set it in the inventory to the networks the administrators (and carehard) connect"
            ' from, e.g. ["10.20.0.0/24"].'
        )
    if invalid:
        return (
            f"carehard_admin_networks holds what is not a network: {', '.join(map(str, invalid))}."
            " Use CIDRs such as 10.20.0.0/24."
        )
    if st.get("client_inside") is False:
        return (
            f"not changed: this run connects from {st['client']}, outside carehard_admin_networks"
            f" ({', '.join(map(str, nets))}): restricting SSH to them would lock this run (and the admin)"
            " out. Add the network this run connects from to carehard_admin_networks."
        )
    if st["server_port"] not in ("", port):
        return (
            f"not changed: this run reaches sshd on port {st['server_port']}, not on"
            f" workstation_linux_firewall_ssh_port ({port}): set it to the port sshd listens on."
        )
    return ""


def _has_ufw_sysctl(st: Mapping[str, Any]) -> bool:
    sysctl = st.get("ufw_sysctl")
    return st.get("kind") == "ufw" and isinstance(sysctl, Mapping) and bool(sysctl.get("exists"))


def _martians(st: Mapping[str, Any]) -> list[str]:
    """The log_martians settings of ufw's sysctl.conf that are not 1 (ufw applies them at each start,
    after systemd-sysctl: they would undo WL-SYS-13)."""
    sysctl = st.get("ufw_sysctl")
    if not _has_ufw_sysctl(st) or not isinstance(sysctl, Mapping):
        return []
    last: dict[str, str] = {}
    for line in _strings(sysctl.get("lines")):
        m = MARTIANS.match(line)
        if m:
            last[m.group(1)] = line.strip()
    bad = []
    for scope in ("all", "default"):
        want = f"net/ipv4/conf/{scope}/log_martians=1"
        found = last.get(scope)
        if found != want:
            bad.append(f"{found} instead of {want}" if found else f"no {want}")
    return bad


def _fw01(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    kind, package, service = str(s.get("kind")), str(s.get("package")), str(s.get("service"))
    systemd = _bool(s.get("systemd", True))
    if not st["installed"]:
        return False, (
            f"{package} is not installed. Expected the firewall active, denying inbound connections by"
            " default, enabled at boot."
        )
    martians = _martians(st)
    ok = (
        bool(st.get("active"))
        and st["default_in"] in ("deny", "reject")
        and (st["service_enabled"] == "enabled" or not systemd)
        and not martians
    )
    sysctl_text = (
        f" {UFW_SYSCTL}: {'; '.join(martians)} (ufw applies it at each start: it would turn martian-packet"
        " logging off, undoing WL-SYS-13)."
        if martians
        else ""
    )
    if ok:
        zone = f" (zone {st['zone']})" if st["zone"] else ""
        return True, (
            f"{kind} active; inbound {st['default_in']} by default{zone}; {service}.service enabled at boot"
            + (f"; martian-packet logging kept on in {UFW_SYSCTL}" if _has_ufw_sysctl(st) else "")
        )
    return False, (
        f"{kind} is {'active' if st.get('active') else 'inactive'};"
        f" inbound default: {st['default_in'] or 'unknown'};"
        f" {service}.service {st['service_enabled'] or 'unknown'} at boot.{sysctl_text} Expected the firewall"
        " active, denying inbound connections by default, enabled at boot"
        + (f", and log_martians=1 in {UFW_SYSCTL}." if martians else ".")
    )


def _fw02(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    kind, package, port = str(s.get("kind")), str(s.get("package")), str(s.get("port"))
    nets = [str(n) for n in st["networks"]]
    if not nets or st["invalid"]:
        return False, guard_msg(st, port)
    if not st["installed"]:
        return False, f"{package} is not installed (WL-FW-01 installs it)"
    rules = [r for r in st["ssh_rules"] if isinstance(r, Mapping)]
    if st.get("active") and not st["missing"] and not st["to_delete"] and not st["wide"]:
        return True, (
            f"SSH ({port}/tcp) allowed only from {', '.join(nets)} (carehard_admin_networks)"
            f" by the active {kind}:"
            f" {'; '.join(str(r.get('rule')) for r in rules)}"
        )
    text = "" if st.get("active") else f"{kind} is inactive: its rules do not apply. "
    if st["missing"]:
        text += f"no rule lets SSH in from {', '.join(map(str, st['missing']))}. "
    if st["to_delete"] or st["wide"]:
        outside = [str(r.get("rule")) for r in rules if r.get("source") not in nets]
        text += f"rules let SSH in from outside carehard_admin_networks: {'; '.join(outside)}. "
    if st["wide"]:
        text += (
            f"carehard leaves the rules opening every port ({'; '.join(map(str, st['wide']))}):"
            " narrow them to the ports needed. "
        )
    lockout = guard_msg(st, port)
    if lockout:
        text += lockout + " "
    return False, text + f"Expected SSH ({port}/tcp) allowed from {', '.join(nets)} only, firewall active."


def _fw04(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str]:
    if not st["installed"]:
        return False, "ufw is not installed (WL-FW-01 installs it)"
    wanted = fw04_wanted(st, s.get("loopback_rules"))
    added = {str(a) for a in st["added"]}
    missing = [r["text"] for r in wanted if r["text"] not in added]
    if missing:
        return False, f"missing ufw rules: {'; '.join(missing)}"
    return True, f"ufw rules: {'; '.join(r['text'] for r in wanted)}"


def fw04_wanted(st: Mapping[str, Any], rules: Any) -> list[dict[str, Any]]:
    """The loopback rules wanted here: the ::1 one only where ufw handles IPv6."""
    wanted = [dict(r) for r in _list(rules) if isinstance(r, Mapping) and "text" in r]
    if st.get("ipv6") is False:
        wanted = [r for r in wanted if r.get("from") != "::1"]
    return wanted


def fw04_missing(probe: Any, rules: Any) -> list[dict[str, Any]]:
    """The loopback rules the probe did not find (the WL-FW-04 fix adds them)."""
    st = fw_state(probe)
    if st["error"] or not st.get("installed"):
        return []
    added = {str(a) for a in st["added"]}
    return [r for r in fw04_wanted(st, rules) if r["text"] not in added]


JUDGES: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], tuple[bool, str]]] = {
    "WL-FW-01": _fw01,
    "WL-FW-02": _fw02,
    "WL-FW-04": _fw04,
}


def fw_judge(probe: Any, settings: Mapping[str, Any]) -> list[dict[str, str]]:
    """One item {id, what, status, evidence} per selected firewall control. `settings`: run_tags,
    skip_tags, switches (ID -> bool), held, kind, package, service (of the OS family), port (the SSH
    port), systemd (the host runs systemd), loopback_rules (workstation_linux__fw04_rules)."""
    if not isinstance(settings, Mapping):
        settings = {}
    st: dict[str, Any] | None = None
    items = []
    for cid in fw_selected(settings):
        reason = _skip_reason(cid, settings)
        if reason:
            items.append(_item(cid, reason, "na", ""))
            continue
        if st is None:
            st = fw_state(probe)
        if st["error"]:
            items.append(_item(cid, WHAT[cid], "error", st["error"]))
            continue
        try:
            ok, evidence = JUDGES[cid](st, settings)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            why = f"the firewall probe's output is unexpected: {exc!r}"
            items.append(_item(cid, WHAT[cid], "error", why))
            continue
        items.append(_item(cid, WHAT[cid], "pass" if ok else "fail", evidence))
    return items


def fw_guard_msg(state: Any, port: Any) -> str:
    """guard_msg for the fixes' lock-out guards (state: fw_state of a probe)."""
    if not isinstance(state, Mapping) or state.get("error") or not isinstance(state.get("networks"), list):
        return "the firewall probe gave no usable state: nothing changed"
    return guard_msg(state, str(port))


def fw_failed(items: Any) -> list[str]:
    """The IDs whose item failed (the fixes' `when`)."""
    return [str(i.get("id")) for i in _list(items) if isinstance(i, Mapping) and i.get("status") == "fail"]


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "fw_judge": fw_judge,
            "fw_state": fw_state,
            "fw_failed": fw_failed,
            "fw_guard_msg": fw_guard_msg,
            "fw_probed": fw_probed,
            "fw04_missing": fw04_missing,
        }
