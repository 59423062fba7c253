"""Judge the services and packages in use (WL-SVC-01..05) and the account chrony runs as (WL-SVC-12)
from the one probe of tasks/services.yml (its script: workstation_linux__svcon_probe_cmd in
vars/main.yml).

The probe prints sections "== NAME" for the parts it was asked for ($PARTS), then "== end":
pkgs ("pkg NAME" per installed package watched), removal avahi|cups ("rc N", "out LINE", "err LINE"
of the package manager's removal test of the installed packages), units ("unit NAME LOAD ACTIVE
FILESTATE"), au (apt-config's "update_lists=", "unattended=", "enable=", "origin=" lines, or
dnf-automatic's "apply_updates=", "upgrade_type="), time ("source=KIND HOST"), chrony ("conf USER",
"opts USER", "proc USER" or "noconf").

Pure functions, standard library only: Ansible loads this file by path. They never raise on an
unexpected input (a host nobody foresaw must not abort a run): a probe that broke makes each
selected control an error that says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

IDS = ("WL-SVC-01", "WL-SVC-02", "WL-SVC-03", "WL-SVC-04", "WL-SVC-05", "WL-SVC-12")
WHAT = {
    "WL-SVC-01": "Check that no legacy cleartext server is installed",
    "WL-SVC-02": "Check that Avahi is not installed or not running",
    "WL-SVC-03": "Check that CUPS is not installed or not running",
    "WL-SVC-04": "Check that security updates are installed automatically",
    "WL-SVC-05": "Check that a time daemon keeps the clock",
    "WL-SVC-12": "Check that chrony runs as its unprivileged user",
}
UNSUPPORTED = "no service controls for this OS family (workstation_linux__fs_services_supported is false)"
LIVE = ("active", "activating", "reloading")
MASKED = ("masked", "masked-runtime")
ENABLED = ("enabled", "enabled-runtime", "alias", "static")
DAEMONS = {
    "WL-SVC-02": {
        "key": "avahi",
        "name": "Avahi",
        "needed": "workstation_linux_avahi_needed",
        "hint": "set workstation_linux_avahi_needed: true where the host needs mDNS discovery.",
        "na": "workstation_linux_avahi_needed is true: the host needs mDNS discovery",
    },
    "WL-SVC-03": {
        "key": "cups",
        "name": "CUPS",
        "needed": "workstation_linux_cups_needed",
        "hint": "set workstation_linux_cups_needed: true on print servers.",
        "na": "workstation_linux_cups_needed is true: a print server",
    },
}


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
    """WL-SVC-01 -> workstation_linux_wl_svc_01."""
    return "workstation_linux_" + cid.lower().replace("-", "_")


def truncate(text: str, length: int = 300, end: str = "...", leeway: int = 5) -> str:
    """Jinja's truncate(length) (killwords false): cut at a word, "..." appended."""
    if len(text) <= length + leeway:
        return text
    return text[: length - len(end)].rsplit(" ", 1)[0] + end


def _skip_reason(cid: str, s: Mapping[str, Any]) -> str:
    raw = s.get("switches")
    switches: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    if not _bool(switches.get(cid, True)):
        return f"switched off ({switch_name(cid)}: false)"
    if cid in _strings(s.get("held")):
        return "held by a waiver: not checked nor changed"
    if cid == "WL-SVC-12":
        daemon = str(s.get("time_daemon") or "")
        if daemon != "chrony":
            return f"workstation_linux_time_sync_daemon is {daemon}, not chrony"
        if not str(s.get("chrony_user") or ""):
            return "no chrony account known for this OS family"
        return ""
    if not _bool(s.get("supported")):
        return UNSUPPORTED
    if cid in DAEMONS and _bool(s.get(DAEMONS[cid]["key"] + "_needed")):
        return DAEMONS[cid]["na"]
    return ""


def svcon_selected(settings: Mapping[str, Any]) -> list[str]:
    """The controls asked for (run tags, less skip tags): each gets one item."""
    if not isinstance(settings, Mapping):
        settings = {}
    run = _strings(settings.get("run_tags")) or ["all"]
    skip = _strings(settings.get("skip_tags"))
    return [c for c in IDS if ("all" in run or c in run) and c not in skip]


def svcon_probed(settings: Mapping[str, Any]) -> list[str]:
    """The selected controls that are switched on, not held and apply here: those the probe reads for."""
    if not isinstance(settings, Mapping):
        settings = {}
    return [c for c in svcon_selected(settings) if not _skip_reason(c, settings)]


def time_unit(settings: Mapping[str, Any]) -> str:
    return str(settings.get("time_service") or "") + ".service"


def svcon_probe_env(settings: Mapping[str, Any]) -> dict[str, str]:
    """The probe's environment: the parts to print ($PARTS) and what each reads."""
    if not isinstance(settings, Mapping):
        settings = {}
    probed = svcon_probed(settings)
    parts: list[str] = []
    units: list[str] = []
    if any(c != "WL-SVC-12" for c in probed):
        parts.append("pkgs")
    for cid in ("WL-SVC-02", "WL-SVC-03"):
        if cid in probed:
            key = DAEMONS[cid]["key"]
            parts.append(key)
            units += _strings(settings.get(key + "_units"))
    if "WL-SVC-04" in probed:
        parts.append("au")
        units += _strings(settings.get("autoupdate_units"))
    if "WL-SVC-05" in probed:
        parts.append("time")
        units.append(time_unit(settings))
    if "WL-SVC-12" in probed:
        parts.append("chrony")
    if units:
        parts.append("units")
    return {
        "PARTS": " ".join(parts),
        "PKGS": " ".join(_strings(settings.get("watched"))),
        "UNITS": " ".join(dict.fromkeys(units)),
        "AVAHI_PKGS": " ".join(_strings(settings.get("avahi_packages"))),
        "CUPS_PKGS": " ".join(_strings(settings.get("cups_packages"))),
        "REMOVAL": str(settings.get("removal_test") or ""),
        "AU": str(settings.get("autoupdate") or ""),
        "AU_CONF": str(settings.get("dnf_conf") or ""),
        "DAEMON": str(settings.get("time_daemon") or ""),
        "CONF": str(settings.get("chrony_conf") or ""),
        "OPTS": str(settings.get("chrony_options_file") or ""),
    }


def svcon_state(probe: Any) -> dict[str, Any]:
    """The probe's registered result -> {error, sections: {name: [lines]}}."""
    if not isinstance(probe, Mapping):
        return {"error": "the services probe gave no result", "sections": {}}
    if probe.get("skipped"):
        return {"error": "the services probe did not run", "sections": {}}
    rc = probe.get("rc")
    if rc not in (0, None) or (probe.get("failed") and rc is None):
        err = str(probe.get("stderr") or probe.get("msg") or "").strip()
        return {"error": f"the services probe broke (rc {rc}): {err[-300:] or 'no message'}", "sections": {}}
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    ended = False
    for line in str(probe.get("stdout") or "").splitlines():
        if line.startswith("== "):
            name = line[3:].strip()
            if name == "end":
                ended = True
                break
            current = sections.setdefault(name, [])
        elif current is not None:
            current.append(line)
    if not ended:
        out = str(probe.get("stdout") or "")
        return {"error": f"the services probe was cut short (no end mark): {out[-200:]!r}", "sections": {}}
    return {"error": "", "sections": sections}


def _need(st: Mapping[str, Any], name: str) -> list[str]:
    if name not in st["sections"]:
        raise KeyError(f"no {name} section")
    return list(st["sections"][name])


def _installed(st: Mapping[str, Any]) -> list[str]:
    return [ln.split()[1] for ln in _need(st, "pkgs") if len(ln.split()) == 2 and ln.split()[0] == "pkg"]


def _units(st: Mapping[str, Any]) -> dict[str, list[str]]:
    """unit name -> [name, load, active, filestate], every unit listed (not-found ones too)."""
    units: dict[str, list[str]] = {}
    for ln in _need(st, "units"):
        m = re.match(r"^unit (\S+) (\S+) (\S+) ?(\S*)$", ln)
        if m:
            units[m.group(1)] = [m.group(1), m.group(2), m.group(3), m.group(4)]
    return units


def _units_text(units: list[list[str]]) -> str:
    return ", ".join(f"{u[0]} {u[2]}/{u[3]}" for u in units)


def _svc01(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    legacy = _strings(s.get("legacy_packages"))
    installed = set(_installed(st))
    found = [p for p in legacy if p in installed]
    if not found:
        return True, f"none of {', '.join(legacy)} is installed", {}
    return (
        False,
        f"installed: {', '.join(found)} (cleartext telnet, rsh, tftp, xinetd, NIS or talk servers);"
        " expected none of them. Use SSH instead.",
        {"remove": found},
    )


def _daemon(cid: str) -> Callable[[Mapping[str, Any], Mapping[str, Any]], tuple[bool, str, dict[str, Any]]]:
    d = DAEMONS[cid]

    def judge(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str, dict[str, Any]]:
        packages = _strings(s.get(d["key"] + "_packages"))
        installed = set(_installed(st))
        found = [p for p in packages if p in installed]
        if not found:
            return True, f"not installed ({', '.join(packages)})", {}
        all_units = _units(st)
        units = [
            all_units[u]
            for u in _strings(s.get(d["key"] + "_units"))
            if u in all_units and all_units[u][1] not in ("not-found", "")
        ]
        live = [u[0] for u in units if u[2] in LIVE or u[3] not in MASKED]
        text = _units_text(units)
        if not live:
            return True, f"installed ({', '.join(found)}) but stopped and masked: {text}", {}
        removal = _need(st, "removal " + d["key"])
        rc = next((int(ln[3:]) for ln in removal if re.match(r"^rc -?\d+$", ln)), 0)
        out = "\n".join(ln[4:] for ln in removal if ln.startswith("out ") or ln == "out")
        err = "\n".join(ln[4:] for ln in removal if ln.startswith("err ") or ln == "err")
        dep = f" (other packages depend on it: {truncate((out + ' ' + err).strip())})" if rc != 0 else ""
        evidence = (
            f"installed: {', '.join(found)}; units {text}. Expected {d['name']} removed{dep},"
            f" or its units stopped and masked; {d['hint']}"
        )
        return False, evidence, {"remove": found, "removable": rc == 0, "live": live}

    return judge


def _au(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    kind = str(s.get("autoupdate") or "")
    package = str(s.get("autoupdate_package") or "")
    wanted = _strings(s.get("autoupdate_units"))
    installed = package in _installed(st)
    lines = _need(st, "au")
    au: dict[str, str] = {}
    for ln in lines:
        m = re.match(r"^(update_lists|unattended|enable|apply_updates|upgrade_type)=(.*)$", ln)
        if m:
            au[m.group(1)] = m.group(2)
    origins = [ln[len("origin=") :] for ln in lines if ln.startswith("origin=")]
    security = [o for o in origins if re.search(r"(?i)security", o)]
    all_units = _units(st)
    units = [all_units[u] for u in wanted if u in all_units]
    bad = list(
        dict.fromkeys(
            [u[0] for u in units if u[3] not in ENABLED] + [u[0] for u in units if u[2] != "active"]
        )
    )
    periodic_ok = (
        au.get("update_lists", "") not in ("", "0")
        and au.get("unattended", "") not in ("", "0")
        and au.get("enable", "") != "0"
    )
    origins_ok = bool(security)
    dnf_ok = (
        au.get("apply_updates", "").lower() in ("yes", "true", "1", "on")
        and au.get("upgrade_type", "") == "security"
    )
    ok = (
        installed
        and len(units) == len(wanted)
        and not bad
        and ((periodic_ok and origins_ok) if kind == "apt" else dnf_ok)
    )
    text = _units_text(units)
    conf = str(s.get("dnf_conf") or "")
    if ok:
        if kind == "apt":
            setting = (
                f'APT::Periodic::Update-Package-Lists "{au["update_lists"]}",'
                f' Unattended-Upgrade "{au["unattended"]}"'
                f" (apt-config); security origins: {', '.join(security)}"
            )
        else:
            setting = f"apply_updates = {au['apply_updates']}, upgrade_type = {au['upgrade_type']} in {conf}"
        return True, f"{package} installed; {setting}; timers {text}", {}
    if kind == "apt":
        enable = f', APT::Periodic::Enable "{au["enable"]}"' if au.get("enable", "") else ""
        setting = (
            f'APT::Periodic::Update-Package-Lists "{au.get("update_lists", "")}", Unattended-Upgrade'
            f' "{au.get("unattended", "")}"{enable} (apt-config);'
            f" security origins: {', '.join(security) or 'none'}"
        )
        expected = (
            'unattended-upgrades with both periodic settings "1", a security origin, and '
            + " and ".join(wanted)
            + " enabled and active"
        )
    else:
        setting = (
            f"apply_updates = {au.get('apply_updates', 'unset')},"
            f" upgrade_type = {au.get('upgrade_type', 'unset')} in {conf}"
        )
        expected = (
            "dnf-automatic with apply_updates = yes, upgrade_type = security and its timer enabled and active"
        )
    evidence = (
        f"{package} {'installed' if installed else 'not installed'}; {setting}; timers {text or 'not found'}."
        f" Expected {expected} (a file read later in apt.conf.d may override carehard's)."
    )
    fix = {
        "install": not installed,
        "periodic": kind == "apt" and not periodic_ok,
        "origins": kind == "apt" and not origins_ok,
        "dnf_conf": kind == "dnf" and not dnf_ok,
        "units": bad + [u for u in wanted if u not in all_units],
    }
    return False, evidence, fix


def _time(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    daemon = str(s.get("time_daemon") or "")
    package = str(s.get("time_package") or "")
    service = str(s.get("time_service") or "")
    live_kernel = _bool(s.get("live_kernel"))
    ntp = _strings(s.get("ntp_servers"))
    installed = bool(package) and package in _installed(st)
    unit = _units(st).get(time_unit(s), ["", "not-found", "inactive", ""])
    sources = [ln[len("source=") :] for ln in _need(st, "time") if ln.startswith("source=")]
    hosts = [src.split(" ")[-1] for src in sources]
    enabled = unit[3] in ENABLED
    active = unit[2] == "active"
    sources_ok = (all(n in hosts for n in ntp) and all(h in ntp for h in hosts)) if ntp else bool(sources)
    ok = installed and enabled and (active or not live_kernel) and sources_ok
    fix = {
        "install": not installed,
        "package": package,
        "enable": not enabled or (live_kernel and not active),
    }
    if ok:
        running = (
            f"running ({unit[2]})"
            if live_kernel
            else f"not running ({unit[2]}): {s.get('not_live_reason', '')}; time is the machine's to keep"
        )
        return (
            True,
            f"{package} installed, {service} {unit[3]}; sources: {', '.join(sources)}; {running}",
            fix,
        )
    refusal = ""
    if not package:
        refusal = (
            f"workstation_linux_time_sync_daemon is {daemon},"
            f" which {s.get('distribution', '')} does not ship: set it to chrony. "
        )
    servers = f"the servers {', '.join(ntp)} only" if ntp else "at least one pool or server"
    evidence = (
        f"{refusal}{package or daemon} {'installed' if installed else 'not installed'};"
        f" {service} {unit[3] or 'not found'}/{unit[2]}; sources: {', '.join(sources) or 'none'}."
        f" Expected it installed, enabled{' and running' if live_kernel else ''}, with {servers}."
    )
    return False, evidence, fix


def _chrony_user(st: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    user = str(s.get("chrony_user") or "")
    lines = _need(st, "chrony")
    users = [ln.split(" ") for ln in lines if re.match(r"^(conf|opts|proc) ", ln)]
    wrong = [u for u in users if len(u) < 2 or u[1] != user]
    text = (
        ", ".join(": ".join(u) for u in users)
        .replace("conf:", "user directive:")
        .replace("opts:", "-u option:")
        .replace("proc:", "chronyd runs as")
    )
    running = any(u[0] == "proc" for u in users)
    if not wrong:
        if "noconf" in lines:
            return True, "chrony not installed (WL-SVC-05 installs it)", {}
        default = f"no user directive nor -u option: chronyd drops root for {user} (its default)"
        return True, (text or default) + ("" if running else "; chronyd not running"), {}
    opts = any(u[0] == "opts" for u in wrong)
    hint = f" (remove the -u option from {s.get('chrony_options_file', '')})" if opts else ""
    fix = {"conf": any(u[0] == "conf" for u in wrong), "running": running}
    return False, f"{text}; expected {user}{hint}.", fix


JUDGES: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], tuple[bool, str, dict[str, Any]]]] = {
    "WL-SVC-01": _svc01,
    "WL-SVC-02": _daemon("WL-SVC-02"),
    "WL-SVC-03": _daemon("WL-SVC-03"),
    "WL-SVC-04": _au,
    "WL-SVC-05": _time,
    "WL-SVC-12": _chrony_user,
}


def svcon_judge(probe: Any, settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One item {id, what, status, evidence, fix} per selected control (fix: what the control's
    fixes need, for a failed one). `settings`: vars/main.yml, workstation_linux__svcon_settings."""
    if not isinstance(settings, Mapping):
        settings = {}
    st: dict[str, Any] | None = None
    items: list[dict[str, Any]] = []
    for cid in svcon_selected(settings):
        reason = _skip_reason(cid, settings)
        if reason:
            items.append({"id": cid, "what": reason, "status": "na", "evidence": "", "fix": {}})
            continue
        if st is None:
            st = svcon_state(probe)
        if st["error"]:
            items.append(
                {"id": cid, "what": WHAT[cid], "status": "error", "evidence": st["error"], "fix": {}}
            )
            continue
        try:
            ok, evidence, fix = JUDGES[cid](st, settings)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            why = f"the services probe's output is unexpected: {exc!r}"
            items.append({"id": cid, "what": WHAT[cid], "status": "error", "evidence": why, "fix": {}})
            continue
        status = "pass" if ok else "fail"
        items.append({"id": cid, "what": WHAT[cid], "status": status, "evidence": evidence, "fix": fix})
    return items


def svcon_failed(items: Any) -> dict[str, dict[str, Any]]:
    """ID -> what its fixes need, of the controls that failed (the fixes' `when`)."""
    return {
        str(i.get("id")): dict(i.get("fix") or {})
        for i in _list(items)
        if isinstance(i, Mapping) and i.get("status") == "fail"
    }


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "svcon_judge": svcon_judge,
            "svcon_failed": svcon_failed,
            "svcon_probe_env": svcon_probe_env,
            "svcon_probed": svcon_probed,
        }
