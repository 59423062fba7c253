"""Judge the Linux remote-control tool controls (RA-RCT-01..07) from the one probe
(tasks/linux_tools.yml), and say what harden fixes (tasks/linux_tool.yml).

The probe is a shell script (vars/main.yml, remote_access__rct_probe_cmd) printing tab-separated
lines in sections, each opened by "section<TAB><name>" and the whole closed by "end":
- packages: "mgr<TAB>dpkg|rpm" then "pkg<TAB>name<TAB>version", or "none<TAB><why>";
- services: "mgr<TAB>systemd" then "unit<TAB><a line of systemctl list-units --all --plain>" and
  "file<TAB><a line of systemctl list-unit-files>", or "none<TAB><why>";
- local: "local<TAB><unit><TAB><file>" for each unit file in /etc/systemd/system that is no mask;
- procs: "proc<TAB>pid<TAB>args" (ps -ww -eo pid=,args=);
- paths: "path<TAB>key<TAB>path" for each glob of a probed tool that matches.

The tools (vars/main.yml, remote_access__rct_tools) say what each control looks for. Pure
functions, standard library only: Ansible loads this file by path. They never raise on an
unexpected input (a host nobody foresaw must not abort a run): a probe that broke makes each
selected control an error that says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

IDS = tuple(f"RA-RCT-0{n}" for n in range(1, 8))
SECTIONS = ("packages", "services", "local", "procs", "paths")
# service_facts' reading of `systemctl list-units` (a unit in one of these is so whatever it says).
BAD_STATES = ("not-found", "masked", "failed")
FIX_HINT = (
    "Expected none of it: harden stops, disables and masks its services, removes its packages and files and"
    " stops its processes; or add {key} to remote_access_tools_allowed where the establishment approved it."
)


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


def switch_name(cid: str) -> str:
    """RA-RCT-01 -> remote_access_ra_rct_01."""
    return "remote_access_" + cid.lower().replace("-", "_")


def _tools(settings: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(t.get("id")): t for t in _maps(settings.get("tools")) if t.get("id") in IDS}


def _skip_reason(cid: str, s: Mapping[str, Any]) -> str:
    if not _bool(_map(s.get("switches")).get(cid, True)):
        return f"switched off ({switch_name(cid)}: false)"
    if cid in _strings(s.get("held")):
        return "held by a waiver: not checked nor changed"
    return ""


def rct_selected(settings: Mapping[str, Any]) -> list[str]:
    """The controls asked for (run tags, less skip tags) that have a tool: each gets one item."""
    settings = _map(settings)
    run = _strings(settings.get("run_tags")) or ["all"]
    skip = _strings(settings.get("skip_tags"))
    tools = _tools(settings)
    return [c for c in IDS if c in tools and ("all" in run or c in run) and c not in skip]


def rct_probed(settings: Mapping[str, Any]) -> list[str]:
    """The selected controls that are switched on and not held: those the probe reads for."""
    settings = _map(settings)
    return [c for c in rct_selected(settings) if not _skip_reason(c, settings)]


def rct_globs(settings: Mapping[str, Any]) -> str:
    """The probe's GLOBS: "key|glob" per line, the files installers leave, of the probed tools."""
    settings = _map(settings)
    tools = _tools(settings)
    return "".join(
        f"{tools[c].get('key')}|{g}\n" for c in rct_probed(settings) for g in _strings(tools[c].get("paths"))
    )


def rct_state(probe: Any) -> dict[str, Any]:
    """The probe's result parsed: {error, sections: {name: [fields...]}} ("" error when judged)."""
    if not isinstance(probe, Mapping):
        return {"error": "the remote-control tool probe gave no result"}
    if probe.get("skipped"):
        return {"error": "the remote-control tool probe did not run"}
    rc = probe.get("rc")
    if probe.get("failed") and rc is None:
        why = str(probe.get("msg") or probe.get("module_stderr") or "no message").strip()
        return {"error": f"the remote-control tool probe broke: {why[-300:]}"}
    if rc != 0:
        why = str(probe.get("stderr") or probe.get("msg") or "no message").strip()
        return {"error": f"the remote-control tool probe broke (rc {rc}): {why[-300:]}"}
    sections: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    ended = False
    for line in str(probe.get("stdout") or "").splitlines():
        fields = line.split("\t")
        if fields[0] == "section" and len(fields) == 2:
            current = sections.setdefault(fields[1], [])
        elif fields[0] == "end" and len(fields) == 1:
            ended = True
        elif current is not None and line:
            current.append(fields)
    missing = [s for s in SECTIONS if s not in sections]
    if missing:
        what = ", ".join(missing)
        return {
            "error": f"the remote-control tool probe read no {what}: its output is not what carehard reads"
        }
    if not ended:
        return {
            "error": "the remote-control tool probe stopped before its end:"
            " its output is not what carehard reads"
        }
    return {"error": "", "sections": sections}


def _packages(rows: list[list[str]]) -> tuple[bool, str, dict[str, list[str]]]:
    """(read, why not, {name: [versions]}) from the packages section."""
    found: dict[str, list[str]] = {}
    mgr = ""
    for r in rows:
        if r[0] == "none":
            return False, "\t".join(r[1:]).strip()[:300] or "no dpkg-query nor rpm on this host", {}
        if r[0] == "mgr" and len(r) > 1:
            mgr = r[1]
        elif r[0] == "pkg" and len(r) >= 3:
            found.setdefault(r[1], []).append(r[2])
    if not mgr:
        return False, "the package manager said nothing", {}
    return True, "", found


def _services(rows: list[list[str]]) -> tuple[bool, str, dict[str, dict[str, str]]]:
    """(read, why not, {unit: {state, status}}) as service_facts reads systemd."""
    units: dict[str, dict[str, str]] = {}
    mgr = ""
    files: list[list[str]] = []
    for r in rows:
        if r[0] == "none":
            return False, "\t".join(r[1:]).strip()[:300] or "no service manager answered", {}
        if r[0] == "mgr" and len(r) > 1:
            mgr = r[1]
        elif r[0] == "unit" and len(r) > 1:
            fields = r[1].split()
            if len(fields) < 4 or ".service" not in r[1]:
                continue
            status = next((b for b in BAD_STATES if b in fields[:-1]), fields[2])
            state = "running" if fields[3] == "running" else "stopped"
            units[fields[0]] = {"state": state, "status": status}
        elif r[0] == "file" and len(r) > 1:
            files.append(r[1].split())
    if mgr != "systemd":
        return False, "no service manager answered", {}
    for fields in files:
        if len(fields) < 2 or ".service" not in fields[0]:
            continue
        name, status = fields[0], fields[1]
        if name not in units:
            # Not loaded: inactive (what `systemctl show -p ActiveState` says of it).
            units[name] = {"state": "inactive", "status": status}
        elif units[name]["status"] not in BAD_STATES:
            units[name]["status"] = status
    return True, "", units


def _truncate(text: str, length: int = 160, end: str = "...", leeway: int = 5) -> str:
    """Jinja's truncate filter (not killing words)."""
    if len(text) <= length + leeway:
        return text
    return text[: length - len(end)].rsplit(" ", 1)[0] + end


def _either(patterns: list[str]) -> re.Pattern[str] | None:
    return re.compile("(?:" + ")|(?:".join(patterns) + ")") if patterns else None


def _tool_eval(tool: Mapping[str, Any], st: Mapping[str, Any], allowed: list[str]) -> dict[str, Any]:
    """What the probe found of one tool: findings, caveats, the fixes it needs."""
    sections = st["sections"]
    pkgs_ok, pkgs_msg, pkgs = _packages(sections["packages"])
    svcs_ok, svcs_msg, units = _services(sections["services"])
    local = {r[1] for r in sections["local"] if r[0] == "local" and len(r) > 1}
    names = _strings(tool.get("packages"))
    pattern = _either(_strings(tool.get("package_patterns")))
    pkg_found = sorted(n for n in pkgs if n in names or (pattern is not None and pattern.search(n)))
    svc_re = _either(_strings(tool.get("services")))
    svc_eval: list[dict[str, Any]] = []
    for name in sorted(units):
        if svc_re is None or not svc_re.search(name):
            continue
        s = units[name]
        running = s["state"] == "running"
        is_local = name in local
        ok = not running and (
            s["status"] in ("masked", "not-found") or (is_local and s["status"] == "disabled")
        )
        svc_eval.append(
            {
                "name": name,
                "state": s["state"],
                "status": s["status"],
                "local": is_local,
                "ok": ok,
                "template": "@.service" in name,
            }
        )
    svc_bad = [u for u in svc_eval if not u["ok"]]
    proc_re = _either(_strings(tool.get("processes")))
    procs = [r[1:3] for r in sections["procs"] if r[0] == "proc" and len(r) >= 3 and r[1].isdigit()]
    proc_found = [p for p in procs if proc_re is not None and proc_re.search(p[1])]
    key = str(tool.get("key"))
    path_found = [r[2] for r in sections["paths"] if r[0] == "path" and len(r) >= 3 and r[1] == key]

    findings = []
    if pkg_found:
        findings.append("packages " + ", ".join(f"{n} {'/'.join(pkgs[n])}" for n in pkg_found))
    if svc_bad:
        texts = []
        for u in svc_bad:
            shown = (
                ", ".join(v for v in (u["status"], u["state"]) if v not in ("", "unknown")) or "state unknown"
            )
            texts.append(f"{u['name']} ({shown}{', local unit file' if u['local'] else ''})")
        findings.append("services " + ", ".join(texts))
    if proc_found:
        findings.append("processes " + ", ".join("pid " + _truncate(f"{p[0]} {p[1]}") for p in proc_found))
    if path_found:
        findings.append("files " + ", ".join(path_found))

    caveats = []
    quiet = [
        f"{u['name']} ({u['status']}"
        + ("; its unit file is in /etc/systemd/system, where systemctl cannot mask it" if u["local"] else "")
        + ")"
        for u in svc_eval
        if u["ok"]
    ]
    if quiet:
        caveats.append("units stopped: " + ", ".join(quiet))
    if not pkgs_ok:
        caveats.append(f"the installed packages could not be read ({pkgs_msg}): not checked")
    if not svcs_ok:
        caveats.append(f"the services could not be read ({svcs_msg}): not checked")

    is_allowed = key in allowed
    return {
        "allowed": is_allowed,
        "ok": is_allowed or not findings,
        "findings": findings,
        "caveats": caveats,
        "fix": {
            "id": str(tool.get("id")),
            "key": key,
            "label": str(tool.get("label")),
            "units": [{k: u[k] for k in ("name", "template", "local")} for u in svc_bad] if svcs_ok else [],
            "packages": pkg_found,
            "pids": [p[0] for p in proc_found],
            "paths": path_found,
            "systemd": svcs_ok,
        },
    }


def _evidence(tool: Mapping[str, Any], ev: Mapping[str, Any]) -> str:
    label, key = str(tool.get("label")), str(tool.get("key"))
    caveats = ("; " + "; ".join(ev["caveats"])) if ev["caveats"] else ""
    if not ev["ok"]:
        return f"{label} found: {'; '.join(ev['findings'])}{caveats}. " + FIX_HINT.format(key=key)
    if ev["allowed"]:
        head = f"{label} is allowed by remote_access_tools_allowed ({key}), left as found: " + (
            "; ".join(ev["findings"]) or "nothing installed or running"
        )
    else:
        head = f"{label}: not installed, no service running, no process"
    paths = _strings(tool.get("paths"))
    packages = _strings(tool.get("packages")) + _strings(tool.get("package_patterns"))
    looked = (
        f"packages {', '.join(packages) or 'none'}"
        f"; services {', '.join(_strings(tool.get('services')))}"
        + (f"; files {', '.join(paths)}" if paths else "")
    )
    return f"{head}{caveats} (looked for {looked})"


def _item(cid: str, status: str, evidence: str, what: str) -> dict[str, str]:
    return {"id": cid, "what": what, "status": status, "evidence": evidence}


def _judge(probe: Any, settings: Any) -> list[tuple[dict[str, str], dict[str, Any]]]:
    settings = _map(settings)
    tools = _tools(settings)
    st = rct_state(probe)
    allowed = _strings(settings.get("allowed"))
    out: list[tuple[dict[str, str], dict[str, Any]]] = []
    for cid in rct_selected(settings):
        tool = tools[cid]
        what = f"Check that {tool.get('label')} is not installed or running"
        reason = _skip_reason(cid, settings)
        if reason:
            out.append((_item(cid, "na", reason, reason), {}))
            continue
        if st["error"]:
            out.append((_item(cid, "error", st["error"], what), {}))
            continue
        try:
            ev = _tool_eval(tool, st, allowed)
        except (KeyError, TypeError, ValueError, IndexError, re.error) as exc:
            out.append(
                (
                    _item(
                        cid,
                        "error",
                        f"the remote-control tool probe gave what carehard cannot judge: {exc!r}",
                        what,
                    ),
                    {},
                )
            )
            continue
        out.append((_item(cid, "pass" if ev["ok"] else "fail", _evidence(tool, ev), what), ev))
    return out


def rct_judge(probe: Any, settings: Any) -> list[dict[str, str]]:
    """One item per selected control: {id, what, status (pass|fail|na|error), evidence}."""
    return [item for item, _ in _judge(probe, settings)]


def rct_fixes(probe: Any, settings: Any) -> list[dict[str, Any]]:
    """Per control that failed: {id, key, label, units [{name, template, local}], packages, pids, paths,
    systemd (whether the units could be read: systemd runs)}."""
    return [ev["fix"] for item, ev in _judge(probe, settings) if item["status"] == "fail"]


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "ra_rct_selected": rct_selected,
            "ra_rct_probed": rct_probed,
            "ra_rct_globs": rct_globs,
            "ra_rct_judge": rct_judge,
            "ra_rct_fixes": rct_fixes,
        }
