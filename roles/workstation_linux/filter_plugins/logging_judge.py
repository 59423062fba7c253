"""Judge the logging family (WL-LOG-01..08, WL-AUD-01..20) from the one probe of tasks/logging.yml.

The probe prints sections, each after a line "@@ <name>": "facts" (a JSON object: rules
directory, sshd configuration, UID_MIN, setuid programs, module tools, sudo's log file), one
"file <name> <mode> <owner> <group>" per carehard rules file found (its lines after "| "),
"immutable" (JSON: the last -e of the rules files and the file it is in) and, on a host owning
its kernel only, "loaded" (auditctl -l) and "status" (auditctl -s); then "auditd" (JSON: the
package installed, the service enabled and active), "augenrules" (augenrules --check), "journal"
and "coredump" (JSON: the effective settings), "auditd_conf" (present or missing, then auditd.conf's
lines) and "perms" ("loggroup|<log_group>", then id|ok or bad|owner:group|mode|fix mode|path for
each audit log, configuration file and tool: WL-AUD-18..20). What an audit rule control wants (its
file, key and rules, rendered by vars/main.yml from the facts) comes in the settings; the judge
compares it with what the rules file holds and with what the kernel has loaded.

Pure functions, standard library only: Ansible loads this file by path. They never raise on an
unexpected input (a host nobody foresaw must not abort a run).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

WHAT = {
    "WL-LOG-01": "Check that auditd is installed, enabled and running",
    "WL-LOG-02": "Check that changes to users, groups and passwords are audited",
    "WL-LOG-03": "Check that changes to the sudo configuration are audited",
    "WL-LOG-04": "Check that changes to the SSH server configuration are audited",
    "WL-LOG-05": "Check that the use of privileged programs is audited",
    "WL-LOG-06": "Check that kernel module loading and unloading is audited",
    **{f"WL-AUD-{n:02d}": "Check that the audit rules are persisted and loaded" for n in range(3, 16)},
    "WL-AUD-16": "Check that the audit rules are immutable",
    "WL-AUD-17": "Check that the merged audit rules are those of rules.d",
    "WL-LOG-07": "Check that the journal is persistent",
    "WL-LOG-08": "Check that core dumps are disabled",
    "WL-AUD-01": "Check the auditd.conf values",
    "WL-AUD-02": "Check the auditd.conf values",
    "WL-AUD-18": "Check the owner and mode of the files",
    "WL-AUD-19": "Check the owner and mode of the files",
    "WL-AUD-20": "Check the owner and mode of the files",
}
CONF_IDS = ("WL-AUD-01", "WL-AUD-02")
PERM_IDS = ("WL-AUD-18", "WL-AUD-19", "WL-AUD-20")
# The probe's JSON section(s) each control reads, beyond "facts" (the rule controls).
SECTIONS = {
    "WL-LOG-01": ("auditd",),
    "WL-AUD-16": ("facts", "immutable"),
    "WL-AUD-17": ("augenrules",),
    "WL-LOG-07": ("journal",),
    "WL-LOG-08": ("coredump",),
    **{c: ("auditd_conf",) for c in CONF_IDS},
    **{c: ("perms",) for c in PERM_IDS},
}
JSON_SECTIONS = ("facts", "immutable", "auditd", "journal", "coredump")
RAW_SECTIONS = ("loaded", "status", "augenrules", "auditd_conf", "perms")
# Raw sections every probe prints (the others are read on a host owning its kernel only).
ALWAYS_RAW = ("augenrules", "auditd_conf", "perms")
AUDITD_IDS = [c for c in WHAT if c not in ("WL-LOG-07", "WL-LOG-08")]
SYSTEMD_IDS = ("WL-LOG-01", "WL-LOG-07")
IMMUTABLE_FILE = "zz-carehard-immutable.rules"
FILE_MODE = "640"
FACTS_DEFAULT: dict[str, Any] = {
    "dir": "no",
    "sshd": "no",
    "uid_min": "1000",
    "suid": [],
    "kmod": [],
    "sudolog": "",
}


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [] if value in (None, "") else [value]


def _on(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y", "t")
    return bool(value)


def control_var(cid: str) -> str:
    """The switch of a control: workstation_linux_wl_log_02 for WL-LOG-02."""
    return "workstation_linux_" + cid.lower().replace("-", "_")


def selected(settings: Mapping[str, Any]) -> list[str]:
    """The family's IDs asked for by tag (or 'all') and not skipped by tag."""
    run = [str(t) for t in _list(settings.get("run_tags") or ["all"])]
    skip = [str(t) for t in _list(settings.get("skip_tags"))]
    return [c for c in WHAT if ("all" in run or c in run) and c not in skip]


def _why_off(cid: str, settings: Mapping[str, Any]) -> str:
    """Why a selected control is not judged (not applicable), or "" when it is."""
    if cid in AUDITD_IDS and not _on(settings.get("supported", False)):
        return "no auditd package known for this OS family: the auditd controls do not apply"
    if cid in SYSTEMD_IDS and not _on(settings.get("systemd", True)):
        return f"no systemd on this host (service manager: {_str(settings.get('service_mgr')) or 'unknown'})"
    if cid in [str(h) for h in _list(settings.get("held"))]:
        return "held by a waiver: not checked nor changed"
    switches = settings.get("switches") or {}
    if not _on(switches.get(cid, True)):
        return f"switched off ({control_var(cid)}: false)"
    if cid == "WL-AUD-13" and not _on(settings.get("mac_known", True)):
        return "no mandatory access control policy known for this OS family"
    return ""


def active(settings: Mapping[str, Any]) -> list[str]:
    """The selected controls that are judged (switched on, not held, applicable): the probe runs for them."""
    return [c for c in selected(settings) if not _why_off(c, settings)]


def parse_probe(probe: Any) -> dict[str, Any]:
    """{"facts": {...}, "files": {name: {mode, owner, group, lines}}, "immutable": {...},
    "loaded": [lines] (absent when not read), "status": [lines]}; {"_error": why} when the probe broke.
    A section that is missing or does not parse is "error: why" in place of its value."""
    if not isinstance(probe, Mapping):
        return {"_error": "the audit rules probe gave no result"}
    if probe.get("skipped"):
        return {"_error": "the audit rules probe did not run"}
    stdout = _str(probe.get("stdout"))
    rc = probe.get("rc")
    if rc not in (0, None) or (probe.get("failed") and not stdout):
        err = _str(probe.get("stderr") or probe.get("msg")).strip()[:300]
        return {"_error": f"the audit rules probe failed (rc {rc}): {err or 'no message'}"}
    sections: dict[str, list[str]] = {}
    files: dict[str, dict[str, Any]] = {}
    current: list[str] | None = None
    for line in stdout.splitlines():
        if line.startswith("@@ file "):
            words = line[8:].split()
            name = words[0] if words else ""
            meta = [*words[1:], "", "", ""][:3]
            files[name] = {"mode": meta[0], "owner": meta[1], "group": meta[2], "lines": []}
            current = files[name]["lines"]
        elif line.startswith("@@ "):
            current = sections.setdefault(line[3:].strip(), [])
        elif current is not None:
            current.append(line[2:] if line.startswith("| ") else ("" if line == "|" else line))
    if not sections and not files:
        return {"_error": f"the audit rules probe printed no section: {stdout.strip()[:200] or 'nothing'}"}
    out: dict[str, Any] = {"files": files}
    for name in JSON_SECTIONS:
        if name not in sections:
            out[name] = f"error: section {name} missing"
            continue
        text = "\n".join(sections[name]).strip()
        try:
            doc = json.loads(text)
        except ValueError:
            out[name] = f"error: {name} is not JSON: {text[:200] or 'nothing'}"
            continue
        out[name] = doc if isinstance(doc, dict) else f"error: {name} is not a JSON object: {text[:200]}"
    for name in RAW_SECTIONS:
        if name in sections:
            out[name] = sections[name]
    for name in ALWAYS_RAW:
        if name not in out:
            out[name] = f"error: section {name} missing"
    return out


def facts(probe: Any) -> dict[str, Any]:
    """The host facts the rules are written from (setuid programs...), defaults when the probe broke:
    vars/main.yml renders what each control wants from them."""
    parsed = parse_probe(probe)
    found = parsed.get("facts")
    out = dict(FACTS_DEFAULT)
    if isinstance(found, Mapping):
        out.update({k: found[k] for k in FACTS_DEFAULT if k in found})
    return out


def audit_enabled(probe: Any) -> str:
    """The "enabled" of auditctl -s (2: the loaded rules are immutable until the next boot), or ""."""
    status = parse_probe(probe).get("status")
    for line in status if isinstance(status, list) else []:
        m = re.match(r"^enabled (\d)", line)
        if m:
            return m.group(1)
    return ""


def _rules(content: str) -> list[str]:
    return [line for line in content.splitlines() if re.match(r"^-[wa] ", line)]


def _loaded_key(loaded: list[str], key: str) -> bool:
    pattern = re.compile(r"(-k |key=)" + re.escape(key) + r"(\s|$)")
    return any(pattern.search(line) for line in loaded)


def _persisted(cid: str, s: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    """(persisted as carehard writes it, why not, the rule set)."""
    rules_dir = _str(s.get("rules_dir"))
    rule = (s.get("rules") or {}).get(cid)
    if not isinstance(rule, Mapping):
        return False, f"no rules known for {cid}", {}
    path = f"{rules_dir}/{rule.get('file')}"
    want = _rules(_str(rule.get("content")))
    if p["facts"].get("dir") != "yes":
        return False, f"{rules_dir} does not exist (auditd is not installed): {path} is missing", dict(rule)
    found = p["files"].get(_str(rule.get("file")))
    base = f"{path} is missing or differs from the {len(want)} rules carehard writes (key {rule.get('key')})"
    if not isinstance(found, Mapping):
        return False, f"{base}: {path} is missing", dict(rule)
    expected = _str(rule.get("content")).splitlines()
    if found.get("lines") != expected:
        have = _rules("\n".join(found.get("lines") or []))
        lacking = [r for r in want if r not in have]
        extra = [r for r in have if r not in want]
        detail = f"{len(lacking)} of them absent" + (f" (first: {lacking[0]})" if lacking else "")
        detail += f", {len(extra)} other rules" + (f" (first: {extra[0]})" if extra else "")
        return False, f"{base}: {detail}", dict(rule)
    if (found.get("mode"), found.get("owner"), found.get("group")) != (FILE_MODE, "root", "root"):
        return (
            False,
            f"{base}: mode {found.get('mode')}, owner {found.get('owner')}:{found.get('group')};"
            f" expected mode 0{FILE_MODE}, owner root:root",
            dict(rule),
        )
    return True, "", dict(rule)


def _rule(cid: str, s: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[str, str]:
    ok, why, rule = _persisted(cid, s, p)
    if not ok:
        return "fail", why
    path = f"{_str(s.get('rules_dir'))}/{rule.get('file')}"
    key = _str(rule.get("key"))
    done = f"{len(_rules(_str(rule.get('content'))))} audit rules (key {key}) persisted in {path};"
    if not _on(s.get("live", False)):
        return (
            "pass",
            f"{done} not loaded live: {_str(s.get('not_live'))} (the kernel audit belongs to the machine)",
        )
    loaded = p.get("loaded")
    if not isinstance(loaded, list):
        return "error", f"{done} the audit rules probe did not read the loaded rules (auditctl -l)"
    if _loaded_key(loaded, key):
        return "pass", f"{done} loaded live (auditctl -l)"
    if p.get("_enabled") == "2":
        return (
            "pass",
            f"{done} not loaded yet: the loaded rules are immutable (-e 2) until the next boot,"
            " which loads them",
        )
    return "fail", (
        f"rules persisted in {path} but not loaded in the kernel: auditctl -l shows no key {key}"
        " (is auditd running? are the rules immutable, -e 2? then reboot)"
    )


def _aud16(s: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[str, str]:
    rules_dir = _str(s.get("rules_dir"))
    imm = p["immutable"]
    e, src = _str(imm.get("e")), _str(imm.get("from"))
    expected = "; expected -e 2 last"
    if p["facts"].get("dir") != "yes":
        return "fail", f"auditd is not installed: {rules_dir} does not exist{expected}"
    if not e:
        return "fail", f"no -e in {rules_dir}: the audit rules can be changed by root at any time{expected}"
    if e != "2":
        return (
            "fail",
            f"the last -e of {rules_dir} is -e {e} (in {src}), after carehard's {IMMUTABLE_FILE}{expected}",
        )
    done = f"-e 2 is the last -e of {rules_dir} (in {src});"
    if not _on(s.get("live", False)):
        return (
            "pass",
            f"{done} not loaded live: {_str(s.get('not_live'))} (the kernel audit belongs to the machine)",
        )
    if "status" not in p:
        return "error", f"{done} the audit rules probe did not read the audit status (auditctl -s)"
    if p.get("_enabled") == "2":
        return "pass", f"{done} the loaded rules are immutable (auditctl -s: enabled 2)"
    return "fail", (
        f"-e 2 is persisted but not loaded: auditctl -s says enabled {p.get('_enabled') or 'unknown'}"
        f" (is auditd running?){expected}"
    )


def _log01(s: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[str, str]:
    a, pkg, svc = p["auditd"], _str(s.get("auditd_package")), _str(s.get("auditd_service"))
    live = _on(s.get("live", False))
    expected = "expected installed, enabled" + (" and running" if live else "")
    if a.get("installed") != "yes":
        return "fail", f"{pkg} is not installed; {expected}"
    enabled, active = _str(a.get("enabled")), _str(a.get("active"))
    if enabled != "enabled" or (live and active != "active"):
        return "fail", f"{svc} is {enabled or 'unknown'} at boot and {active or 'unknown'} now; {expected}"
    running = (
        "running"
        if live
        else f"not running: {_str(s.get('not_live'))} (the kernel audit belongs to the machine)"
    )
    return "pass", f"{pkg} installed; {svc} enabled; {running}"


def _aud17(s: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[str, str]:
    out = [_str(x) for x in p["augenrules"]]
    text = "\n".join(out)
    rules_dir = _str(s.get("rules_dir"))
    said = (
        "; ".join(
            re.sub(r"^\S*augenrules: ", "", line) for line in out if re.search("augenrules|not found", line)
        )
        or "no output"
    )
    live = _on(s.get("live", False))
    immutable = p.get("_enabled") == "2"
    if "No change" in text:
        how = (
            "auditd loads it when it starts"
            if not live
            else "loaded (augenrules --load)"
            if not immutable
            else "the rules in the kernel are immutable (-e 2): what differs from them loads at the next boot"
        )
        return (
            "pass",
            f"augenrules --check: no change (/etc/audit/audit.rules is the merge of {rules_dir}); {how}",
        )
    if live and immutable and not re.search("No rules directory|not found", text):
        return "pass", (
            f"augenrules --check: {said}; the rules in the kernel are immutable (-e 2), so the"
            " merge waits for the"
            f" next boot, when auditd.service merges and loads {rules_dir} (augenrules --load)"
        )
    absent = " (auditd is not installed)" if "not found" in text else ""
    return "fail", (
        f"augenrules --check: {said}{absent}; expected no change (the rules auditd loads at"
        " start are those of"
        f" {rules_dir})"
    )


def _log07(s: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[str, str]:
    j, dropin = p["journal"], _str(s.get("journald_dropin"))
    if j.get("storage") == "persistent" and j.get("dir") == "yes":
        return "pass", (
            f"effective journald Storage=persistent (systemd-analyze cat-config systemd/journald.conf,"
            f" carehard's drop-in {dropin}); /var/log/journal exists"
        )
    where = "exists" if j.get("dir") == "yes" else "is missing"
    return "fail", (
        f"effective journald Storage={_str(j.get('storage')) or 'auto (not set)'}; /var/log/journal {where}."
        f" Expected Storage=persistent (carehard writes {dropin}; a drop-in sorting after it"
        " wins) and /var/log/journal."
    )


def _log08(s: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[str, str]:
    c = {k: _str(v) for k, v in p["coredump"].items()}
    systemd = _on(s.get("systemd", True))
    ok = c.get("all") == "0" and c.get("root") == "0"
    ok = ok and (not systemd or (c.get("storage") == "none" and c.get("size") == "0"))
    if ok:
        return "pass", (
            f"hard core limit 0 for * and root (last set in {c.get('all_src')}); systemd-coredump"
            f" Storage={c.get('storage') or 'n/a'} ProcessSizeMax={c.get('size') or 'n/a'}"
        )
    all_src = f" in {c['all_src']}" if c.get("all_src") else ""
    root_src = f" in {c['root_src']}" if c.get("root_src") else ""
    return "fail", (
        f"hard core limit for *: {c.get('all') or 'not set (unlimited)'}{all_src}; for root:"
        f" {c.get('root') or 'not set (unlimited)'}{root_src}; systemd-coredump"
        f" Storage={c.get('storage') or 'external (default)'} ProcessSizeMax={c.get('size') or 'default'}."
        f" Expected 0, 0, none and 0 (carehard writes {_str(s.get('coredump_limits_file'))} and"
        f" {_str(s.get('coredump_dropin'))}; a file read later wins)."
    )


def _conf_values(lines: list[Any]) -> tuple[bool, dict[str, str]]:
    """(auditd.conf found, key -> value: the last one set) from the "auditd_conf" section."""
    text = [_str(x) for x in lines]
    found = bool(text) and text[0].strip() == "present"
    values: dict[str, str] = {}
    for line in text[1:] if found else []:
        m = re.match(r"^\s*([A-Za-z_]+)\s*=\s*(.*?)\s*$", line)
        if m:
            values[m.group(1)] = m.group(2)
    return found, values


def _conf_control(cid: str, s: Mapping[str, Any]) -> Mapping[str, Any]:
    """The control's entry of workstation_linux_auditd_conf_controls: its settings and CIS lists."""
    return (s.get("auditd_conf_controls") or {}).get(cid) or {}


def _conf_eval(cid: str, s: Mapping[str, Any], values: Mapping[str, str]) -> list[dict[str, Any]]:
    """One entry per setting of the control: key, wanted, found, ok, compare."""
    out = []
    for setting in _list(_conf_control(cid, s).get("settings")):
        key, wanted, compare = (
            _str(setting.get("key")),
            _str(setting.get("value")),
            _str(setting.get("compare")),
        )
        found = values.get(key, "")
        if compare == "min":
            ok = bool(re.match(r"^[0-9]+$", found)) and int(found) >= (int(wanted) if wanted.isdigit() else 0)
        else:
            ok = found.lower() == wanted.lower()
        out.append({"key": key, "wanted": wanted, "found": found, "ok": ok, "compare": compare})
    return out


def _conf(cid: str, s: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[str, str]:
    conf = _str(s.get("auditd_conf"))
    found, values = _conf_values(p["auditd_conf"])
    if not found:
        return "fail", f"{conf} is missing (auditd is not installed)"
    evaluated = _conf_eval(cid, s, values)
    if not evaluated:
        return "error", f"no auditd.conf settings known for {cid}"
    bad = [e for e in evaluated if not e["ok"]]
    if bad:
        return "fail", f"{conf}: " + ", ".join(
            f"{e['key']} = {e['found'] or 'not set'} (expected {'at least ' if e['compare'] == 'min' else ''}"
            f"{e['wanted']})"
            for e in bad
        )
    cis = _conf_control(cid, s).get("cis") or {}
    outside = [
        f"{e['key']} = {e['wanted']}"
        for e in evaluated
        if e["key"] in cis and e["wanted"].lower() not in [_str(v) for v in _list(cis[e["key"]])]
    ]
    text = f"{conf}: " + ", ".join(f"{e['key']} = {e['found']}" for e in evaluated)
    if outside:
        text += f" (the site's choice, outside what CIS 6.2.2.3/6.2.2.4 accept: {', '.join(outside)})"
    return "pass", text


PERM_LINE = re.compile(r"^(WL-AUD-\d\d)\|(ok|bad)\|(\S+)\|(\S+)\|(\S+)\|(.*)$")


def _perms(lines: Any) -> tuple[str, list[list[str]]]:
    """(auditd's log_group, [id, ok or bad, owner:group, mode, fix mode, path] per file)."""
    loggroup, files = "root", []
    for line in _list(lines):
        text = _str(line)
        m = re.match(r"^loggroup\|(\S+)$", text)
        if m:
            loggroup = m.group(1)
            continue
        m = PERM_LINE.match(text)
        if m:
            files.append(list(m.groups()))
    return loggroup, files


def _perm(cid: str, s: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[str, str]:
    loggroup, files = _perms(p["perms"])
    mine = [f for f in files if f[0] == cid]
    expected = _str((s.get("perm_expected") or {}).get(cid))
    if not mine:
        return "fail", f"nothing found to check (auditd is not installed); expected {expected}"
    text = "; ".join(f"{f[5]} ({f[2]}, {f[3]})" for f in mine)
    bad = [f for f in mine if f[1] == "bad"]
    if not bad:
        return "pass", text
    group = f" (log_group {loggroup})" if cid == "WL-AUD-18" else ""
    return "fail", f"{', '.join(f[5] for f in bad)} not as expected: {text}. Expected {expected}{group}"


OTHERS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], tuple[str, str]]] = {
    "WL-LOG-01": _log01,
    "WL-AUD-16": _aud16,
    "WL-AUD-17": _aud17,
    "WL-LOG-07": _log07,
    "WL-LOG-08": _log08,
    **{c: partial(_conf, c) for c in CONF_IDS},
    **{c: partial(_perm, c) for c in PERM_IDS},
}


def _item(cid: str, status: str, evidence: str, what: str = "") -> dict[str, str]:
    return {"id": cid, "what": what or WHAT[cid], "status": status, "evidence": " ".join(evidence.split())}


def logging_judge(probe: Any, settings: Mapping[str, Any]) -> list[dict[str, str]]:
    """One item {id, what, status, evidence} per selected control of the family.

    `settings`: run_tags, skip_tags, switches, held, supported (an auditd package is known),
    mac_known (WL-AUD-13), rules_dir, live (the host owns its kernel), not_live (why not), and
    rules: {ID: {file, key, content}} as carehard writes them on this host."""
    settings = settings if isinstance(settings, Mapping) else {}
    items: list[dict[str, str]] = []
    parsed: dict[str, Any] | None = None
    for cid in selected(settings):
        why = _why_off(cid, settings)
        if why:
            items.append(_item(cid, "na", why, why))
            continue
        if parsed is None:
            parsed = parse_probe(probe)
            parsed["_enabled"] = audit_enabled(probe) if "_error" not in parsed else ""
        if "_error" in parsed:
            items.append(_item(cid, "error", parsed["_error"]))
            continue
        needs = SECTIONS.get(cid, ("facts",))
        broken = [_str(parsed[s])[7:] for s in needs if isinstance(parsed.get(s), str)]
        if broken:
            items.append(
                _item(
                    cid,
                    "error",
                    f"the audit rules probe could not read what {cid} needs: {'; '.join(broken)}",
                )
            )
            continue
        if cid == "WL-LOG-04" and parsed["facts"].get("sshd") != "yes":
            why = f"no SSH server configuration ({_str(settings.get('sshd_config'))}) on this host"
            items.append(_item(cid, "na", why, why))
            continue
        try:
            judge = OTHERS.get(cid)
            status, evidence = judge(settings, parsed) if judge else _rule(cid, settings, parsed)
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            status, evidence = "error", f"the audit rules probe gave an unexpected value for {cid}: {exc}"
        items.append(_item(cid, status, evidence))
    return items


def logging_failed(judged: Any) -> list[str]:
    """The IDs whose control failed: the fixes run for them only."""
    return [str(i.get("id")) for i in _list(judged) if isinstance(i, Mapping) and i.get("status") == "fail"]


def audit_plan(probe: Any, settings: Mapping[str, Any], reread: Any = None) -> dict[str, Any]:
    """What the fixes of WL-AUD-01/02 and 18..20 write: {"conf_found": bool, "conf": [{id, key,
    wanted}] (the auditd.conf values that differ, from the first probe), "perms": [{id, path, mode,
    group, label}] (the files found wrong: by the fixes' own read `reread` when it ran, else by the
    first probe; the audit logs keep auditd's log_group)}."""
    settings = settings if isinstance(settings, Mapping) else {}
    parsed = parse_probe(probe)
    conf_lines = parsed.get("auditd_conf")
    found, values = _conf_values(conf_lines if isinstance(conf_lines, list) else [])
    conf = [
        {"id": cid, "key": e["key"], "wanted": e["wanted"]}
        for cid in CONF_IDS
        for e in _conf_eval(cid, settings, values)
        if not e["ok"]
    ]
    perm_lines: Any = parsed.get("perms")
    if isinstance(reread, Mapping) and not reread.get("skipped") and "stdout" in reread:
        perm_lines = _str(reread.get("stdout")).splitlines()
    loggroup, files = _perms(perm_lines if isinstance(perm_lines, list) else [])
    perms = [
        {
            "id": f[0],
            "path": f[5],
            "mode": f[4],
            "group": loggroup if f[0] == "WL-AUD-18" else "root",
            "label": f"{f[5]} ({f[2]}, {f[3]})",
        }
        for f in files
        if f[0] in PERM_IDS and f[1] == "bad"
    ]
    return {"conf_found": found, "conf": conf, "perms": perms}


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "carehard_logging_judge": logging_judge,
            "carehard_logging_facts": facts,
            "carehard_logging_enabled": audit_enabled,
            "carehard_logging_failed": logging_failed,
            "carehard_logging_active": active,
            "carehard_audit_plan": audit_plan,
        }
