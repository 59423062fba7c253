"""Judge what the service probes of workstation_linux print: which "not in use" services are in use
(WL-SVC-06..09, WL-SVC-11, WL-FW-03), which sockets listen beyond loopback (WL-SVC-10), the package
sources (WL-PKG-01), the IPv6 status (WL-NET-01) and the pending updates (WL-PKG-02): one probe of
the family (vars/main.yml, workstation_linux__svc_family_probe_cmd), one judgement (services_judge).

Pure functions, standard library only: Ansible loads this file by path. They never raise on an
unexpected input (a host nobody foresaw must not abort a run): unreadable lines are left out.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

LIVE_STATES = ("active", "activating", "reloading", "deactivating")
MASKED = ("masked", "masked-runtime")
# ss -Hlntup: Netid State Recv-Q Send-Q Local:Port Peer:Port [users:(("name",pid=1,fd=3),...)]
SS_LINE = re.compile(r"^(?P<proto>tcp|udp)\s+\S+\s+\d+\s+\d+\s+(?P<local>\S+)\s+\S+(?:\s+(?P<users>.*))?$")
SS_PROCESS = re.compile(r'\("(?P<name>[^"]+)",pid=(?P<pid>\d+)')


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def parse_service_probe(stdout: Any) -> dict[str, Any]:
    """The shared probe's lines "pkg NAME" and "unit NAME LOAD ACTIVE FILESTATE" ->
    {"packages": [names installed], "units": {name: {"active": ..., "state": ...}}} (units that exist)."""
    packages: list[str] = []
    units: dict[str, dict[str, str]] = {}
    for line in str(stdout or "").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "pkg":
            packages.append(parts[1])
        elif len(parts) >= 4 and parts[0] == "unit" and parts[2] not in ("not-found", ""):
            units[parts[1]] = {"active": parts[3], "state": parts[4] if len(parts) > 4 else ""}
    return {"packages": sorted(set(packages)), "units": units}


def services_in_use(stdout: Any, items: Any, needed: Any = None) -> list[dict[str, Any]]:
    """One verdict per item {id, cis, name, packages, units, remove, keep_if} of a "not in use" list:
    ok when none of its packages is installed, when the site needs it (`needed` names it) or a
    package that needs it is installed (keep_if: a display manager needs the X server), or when
    its units all exist stopped and masked. `live` are the units that still run or could start."""
    probe = parse_service_probe(stdout)
    installed_all = set(probe["packages"])
    wanted = {str(n) for n in _list(needed)}
    verdicts = []
    for item in _list(items):
        if not isinstance(item, Mapping):
            continue
        name = str(item.get("name", ""))
        installed = [p for p in _list(item.get("packages")) if p in installed_all]
        kept_by = [p for p in _list(item.get("keep_if")) if p in installed_all]
        units = [{"name": u, **probe["units"][u]} for u in _list(item.get("units")) if u in probe["units"]]
        live = [u["name"] for u in units if u["active"] in LIVE_STATES or u["state"] not in MASKED]
        if not installed:
            ok, text = True, "not installed"
        elif name in wanted:
            ok, text = True, f"{', '.join(installed)} installed, kept (workstation_linux_services_needed)"
        elif kept_by:
            ok, text = True, f"{', '.join(installed)} installed, kept: {', '.join(kept_by)} needs it"
        else:
            ok = bool(units) and not live
            states = ", ".join(f"{u['name']} {u['active']}/{u['state'] or 'unknown'}" for u in units)
            text = f"{', '.join(installed)} installed" + (f"; {states}" if states else "; no unit to stop")
        verdicts.append(
            {
                "id": str(item.get("id", "")),
                "cis": str(item.get("cis", "")),
                "name": name,
                "installed": installed,
                "removable": bool(item.get("remove", True)),
                "units": units,
                "live": live,
                "ok": ok,
                "text": f"{name} ({item.get('cis', '')}): {text}",
            }
        )
    return verdicts


def _split_address(local: str) -> tuple[str, str]:
    address, _, port = local.rpartition(":")
    address = address.strip("[]").split("%")[0]
    return (address or "*"), port


def _is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool((mapped or ip).is_loopback)


def listening_sockets(stdout: Any) -> list[dict[str, Any]]:
    """`ss -Hlntup` -> [{proto, address, port, process, loopback}], one per socket line."""
    found = []
    for line in str(stdout or "").splitlines():
        match = SS_LINE.match(line.strip())
        if not match:
            continue
        address, port = _split_address(match.group("local"))
        process = SS_PROCESS.search(match.group("users") or "")
        found.append(
            {
                "proto": match.group("proto"),
                "address": address,
                "port": port,
                "process": process.group("name") if process else "",
                "loopback": _is_loopback(address),
            }
        )
    return found


def unapproved_listeners(stdout: Any, allowed: Any) -> list[dict[str, Any]]:
    """The sockets beyond loopback that no entry of `allowed` approves: an entry is a process
    name ("sshd") or a port and protocol ("22/tcp"). Each has a text "22/tcp on * (sshd)"."""
    approved = {str(a).strip() for a in _list(allowed)}
    out, seen = [], set()
    for sock in listening_sockets(stdout):
        key = (sock["proto"], sock["address"], sock["port"])
        if sock["loopback"] or key in seen:
            continue
        seen.add(key)
        if sock["process"] in approved or f"{sock['port']}/{sock['proto']}" in approved:
            continue
        out.append({**sock, "text": _text(sock)})
    return out


def _text(sock: Mapping[str, Any]) -> str:
    return f"{sock['port']}/{sock['proto']} on {sock['address']} ({sock['process'] or 'unknown process'})"


def listener_texts(stdout: Any) -> list[str]:
    """Every socket beyond loopback, as "22/tcp on * (sshd)", once each."""
    texts = []
    for sock in listening_sockets(stdout):
        if not sock["loopback"]:
            text = _text(sock)
            if text not in texts:
                texts.append(text)
    return texts


# The controls of the family's probe, the section of the probe each reads, what it checks.
UNUSED_WHAT = "Check that none of its services or tools is in use"
AUDIT_CONTROLS: dict[str, tuple[str, str]] = {
    "WL-SVC-10": ("ss", "Check that only approved services listen beyond loopback"),
    "WL-PKG-01": ("sources", "Check that every package source is signed by a known key"),
    "WL-NET-01": ("ipv6", "State the IPv6 status"),
    "WL-PKG-02": ("updates", "Check that no update is pending"),
}
END_MARK = "== end"


def truncate(text: str, length: int) -> str:
    """Jinja's truncate(length): cut at a word, "..." appended, 5 characters of leeway."""
    if len(text) <= length + 5:
        return text
    return text[: length - 3].rsplit(" ", 1)[0] + "..."


def probe_sections(stdout: Any) -> dict[str, list[str]]:
    """The family probe's output, "== NAME" lines opening each section -> {NAME: [lines]}."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in str(stdout or "").splitlines():
        if line.startswith("== "):
            current = sections.setdefault(line[3:].strip(), [])
        elif current is not None:
            current.append(line)
    return sections


def probe_parts(selected: Any, items: Any, kind: Any) -> list[str]:
    """The sections the probe must print for the selected controls (its $PARTS)."""
    ids = {str(i) for i in _list(selected)}
    parts = []
    if ids & {str(i.get("id")) for i in _list(items) if isinstance(i, Mapping)}:
        parts.append("unused")
    for cid, (section, _) in AUDIT_CONTROLS.items():
        if cid in ids and (section in ("ss", "ipv6") or kind):
            parts.append(section)
    return parts


def _tagged(lines: list[str], tag: str, unique: bool = False) -> list[str]:
    found = [line[len(tag) + 1 :] for line in lines if line.startswith(tag + " ")]
    return list(dict.fromkeys(found)) if unique else found


def _item(cid: str, what: str, ok: bool, evidence: str) -> dict[str, str]:
    return {
        "id": cid,
        "what": what,
        "status": "pass" if ok else "fail",
        "evidence": " ".join(evidence.split()),
    }


def _judge_unused(
    cid: str, lines: list[str], items: list[Any], needed: Any, blocked: Mapping[str, Any]
) -> dict[str, Any]:
    mine = [i for i in items if isinstance(i, Mapping) and str(i.get("id")) == cid]
    verdicts = services_in_use("\n".join(lines), mine, needed)
    bad = [v for v in verdicts if not v["ok"]]
    if not bad:
        item: dict[str, Any] = _item(cid, UNUSED_WHAT, True, "; ".join(v["text"] for v in verdicts))
    else:
        held = "; ".join(f"{v['name']} ({blocked[v['name']]})" for v in bad if v["name"] in blocked)
        item = _item(
            cid,
            UNUSED_WHAT,
            False,
            "; ".join(v["text"] for v in bad)
            + (f". Other packages depend on: {held}" if held else "")
            + ". Expected each removed, or its units stopped and masked; name it in"
            " workstation_linux_services_needed where the host needs it.",
        )
    item["bad"] = bad
    return item


def _judge_listeners(lines: list[str], allowed: Any) -> dict[str, str]:
    what = AUDIT_CONTROLS["WL-SVC-10"][1]
    if lines == ["no ss"]:
        return {
            "id": "WL-SVC-10",
            "what": "no ss on this host",
            "status": "na",
            "evidence": "ss is not installed: the listening sockets cannot be listed",
        }
    stdout = "\n".join(lines)
    approved = ", ".join(str(a) for a in _list(allowed))
    bad = unapproved_listeners(stdout, allowed)
    if not bad:
        return _item(
            "WL-SVC-10",
            what,
            True,
            f"listening beyond loopback: {', '.join(listener_texts(stdout)) or 'nothing'};"
            f" all approved by workstation_linux_listening_allowed ({approved})",
        )
    return _item(
        "WL-SVC-10",
        what,
        False,
        f"not approved: {', '.join(b['text'] for b in bad)}. Stop what the host does not need,"
        " or add its process name or port/protocol to workstation_linux_listening_allowed"
        f" (now {approved or 'empty'}).",
    )


def _judge_sources(lines: list[str]) -> dict[str, str]:
    what = AUDIT_CONTROLS["WL-PKG-01"][1]
    sources, insecure = _tagged(lines, "source"), _tagged(lines, "insecure")
    nokey, keys = _tagged(lines, "nokey"), _tagged(lines, "key", unique=True)
    if sources and not insecure and not nokey and keys:
        return _item(
            "WL-PKG-01",
            what,
            True,
            f"sources: {'; '.join(sources)}; signing keys: {', '.join(keys)};"
            " none marked trusted or insecure. Check that these are the distribution's and the site's own.",
        )
    return _item(
        "WL-PKG-01",
        what,
        False,
        (f"unsigned or insecure: {'; '.join(insecure)}. " if insecure else "")
        + (f"keyring missing: {'; '.join(nokey)}. " if nokey else "")
        + ("no package source found. " if not sources else "")
        + ("no signing key found. " if not keys else "")
        + f"sources: {'; '.join(sources) or 'none'}; keys: {', '.join(keys) or 'none'}. Expected every source"
        " signed by a key on the host (no trusted=yes, no allow-insecure, no gpgcheck=0).",
    )


def _judge_ipv6(lines: list[str]) -> dict[str, str]:
    what = AUDIT_CONTROLS["WL-NET-01"][1]
    state: dict[str, str] = {}
    for line in lines:
        match = re.match(r"^(\w+)=(.*)$", line)
        if match and match.group(1) not in state:
            state[match.group(1)] = match.group(2)
    if "module" not in state:
        return _item(
            "WL-NET-01",
            what,
            False,
            f"the IPv6 status could not be read: {truncate(chr(10).join(lines), 200)}",
        )
    on = state.get("module") == "loaded" and state.get("all") == "0"
    if state["module"] == "absent":
        cmdline = state.get("cmdline", "")
        how = "kernel without IPv6" + (f" ({cmdline})" if cmdline else "")
    else:
        how = f"disable_ipv6 all={state.get('all', '')}, default={state.get('default', '')}"
    note = (
        " Where IPv6 is on, the firewall and kernel settings apply to it too (WL-FW-01, WL-SYS-*)."
        if on
        else ""
    )
    return _item(
        "WL-NET-01",
        what,
        True,
        f"IPv6 {'on' if on else 'off'}: {how}; global addresses: {state.get('addresses') or 'none'}.{note}",
    )


def _judge_updates(lines: list[str], kind: str) -> dict[str, str]:
    what = AUDIT_CONTROLS["WL-PKG-02"][1]
    pending, security = _tagged(lines, "pending"), _tagged(lines, "security", unique=True)
    if not pending:
        return _item("WL-PKG-02", what, True, "no update pending from the host's package lists")
    return _item(
        "WL-PKG-02",
        what,
        False,
        f"{len(pending)} update(s) pending, {len(security)} of them security"
        f" ({truncate(', '.join(security), 300) or 'none'}): {truncate('; '.join(pending), 600)}."
        f" Install them ({'apt-get dist-upgrade' if kind == 'apt' else 'dnf upgrade'})"
        " in a maintenance window.",
    )


def _error(cid: str, what: str, why: str) -> dict[str, str]:
    return {"id": cid, "what": what, "status": "error", "evidence": why}


def services_judge(
    probe: Any,
    selected: Any,
    items: Any = None,
    needed: Any = None,
    allowed: Any = None,
    kind: Any = "",
    blocked: Any = None,
) -> list[dict[str, Any]]:
    """One item {id, what, status, evidence} per selected control of the family, from the family
    probe's registered result; a "not in use" control's item also has `bad`, the verdicts of its
    items in use (what its fixes take out of use). A control with nothing to check on this host
    (no "not in use" item for its OS family, no package manager known for WL-PKG-*) has no item,
    as it has no task today. A probe that broke is every control's error."""
    kind = str(kind or "")
    all_items = [i for i in _list(items) if isinstance(i, Mapping)]
    unused_ids = {str(i.get("id")) for i in all_items}
    held = blocked if isinstance(blocked, Mapping) else {}
    wanted = []
    for cid in dict.fromkeys(str(c) for c in _list(selected)):
        if cid in unused_ids:
            wanted.append((cid, "unused", UNUSED_WHAT))
        elif cid in AUDIT_CONTROLS:
            section, what = AUDIT_CONTROLS[cid]
            if section in ("ss", "ipv6") or kind:
                wanted.append((cid, section, what))
    if not wanted:
        return []
    result = probe if isinstance(probe, Mapping) else {}
    stdout = str(result.get("stdout", "") or "")
    rc = result.get("rc")
    broke = ""
    if not isinstance(probe, Mapping) or rc is None:
        broke = f"the services probe did not run: {truncate(str(result.get('msg', probe)), 300)}"
    elif rc != 0 or END_MARK not in stdout.splitlines():
        err = " ".join(str(result.get("stderr", "") or result.get("msg", "")).split())
        broke = f"the services probe failed (rc={rc}): {truncate(err or stdout, 300) or 'no output'}"
    sections = probe_sections(stdout)
    out: list[dict[str, Any]] = []
    for cid, section, what in wanted:
        if broke:
            out.append(_error(cid, what, broke))
        elif section not in sections:
            out.append(_error(cid, what, f"the services probe printed no {section} section"))
        elif section == "unused":
            out.append(_judge_unused(cid, sections[section], all_items, needed, held))
        elif section == "ss":
            out.append(_judge_listeners(sections[section], allowed))
        elif section == "sources":
            out.append(_judge_sources(sections[section]))
        elif section == "ipv6":
            out.append(_judge_ipv6(sections[section]))
        else:
            out.append(_judge_updates(sections[section], kind))
    return out


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "carehard_services_judge": services_judge,
            "carehard_services_probe_parts": probe_parts,
            "carehard_services_in_use": services_in_use,
            "carehard_unapproved_listeners": unapproved_listeners,
            "carehard_listener_texts": listener_texts,
        }
