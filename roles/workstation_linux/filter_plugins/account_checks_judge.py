"""Judge the account checks of workstation_linux (WL-ACC-12..36) from their one probe.

The probe (vars/main.yml, workstation_linux__acc_checks_probe_cmd) runs the `probe` script of each
selected item of workstation_linux__accounts_checks and prints one JSON object:
{"<ID>": {"rc": exit code, "out": [stdout lines], "err": [stderr lines], "missing": [packages of
the control not installed]}}. A stdout line starting "ok: " is evidence of a compliant state; any
other non-empty line is a problem. The control passes when there is no problem and no package is
missing.

Pure functions, standard library only: Ansible loads this file by path. They never raise on an
unexpected input (a host nobody foresaw must not abort a run): a probe that broke or printed no
JSON is the evidence of an `error` for each selected control.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

TRUE_WORDS = ("true", "yes", "on", "1", "y", "t")
MAX_TEXT = 600  # characters of a broken probe's output quoted in the evidence


def _bool(value: Any) -> bool:
    """As Ansible's `bool` filter: a string is true when it says so."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value == 1
    return str(value).strip().lower() in TRUE_WORDS


def _list(value: Any) -> list[Any]:
    if value is None or isinstance(value, (str, bytes, Mapping)):
        return [] if value is None or value in ("", b"") else [value]
    return list(value) if isinstance(value, Iterable) else [value]


def _strings(value: Any) -> list[str]:
    return [str(v) for v in _list(value)]


def switch_name(control: str) -> str:
    """The switch of a control: workstation_linux_wl_acc_12 for WL-ACC-12."""
    return "workstation_linux_" + control.lower().replace("-", "_")


def _tag_selected(control: str, run_tags: list[str], skip_tags: list[str]) -> bool:
    return ("all" in run_tags or control in run_tags) and control not in skip_tags


def _skip_reason(check: Mapping[str, Any], switches: Mapping[str, Any], held: list[str]) -> str:
    """Why a control asked for is not checked ("" when it is)."""
    control = str(check.get("id", ""))
    if not _bool(switches.get(control, True)):
        return f"switched off ({switch_name(control)}: false)"
    if control in held:
        return "held by a waiver: not checked in this harden"
    if not _bool(check.get("applies", True)):
        return "not applicable on this host (no fix is known for this OS family)"
    return ""


def selected_checks(
    checks: Any, run_tags: Any = None, skip_tags: Any = None, switches: Any = None, held: Any = None
) -> list[dict[str, Any]]:
    """The checks the probe runs: asked for (run tags, less skip tags), switched on, not held by a
    waiver, applicable here."""
    run, skip, hold = _strings(run_tags) or ["all"], _strings(skip_tags), _strings(held)
    flags = switches if isinstance(switches, Mapping) else {}
    return [
        dict(check)
        for check in _list(checks)
        if isinstance(check, Mapping)
        and _tag_selected(str(check.get("id", "")), run, skip)
        and not _skip_reason(check, flags, hold)
    ]


def parse_probe(result: Any) -> tuple[dict[str, Any], str]:
    """(per-control entries, "") from a registered probe result, or ({}, why it broke)."""
    if not isinstance(result, Mapping) or result.get("skipped"):
        return {}, "the account probe did not run"
    stdout = str(result.get("stdout") or "")
    stderr = str(result.get("stderr") or "").strip()
    rc = result.get("rc", 0)
    if result.get("failed") and "rc" not in result:
        return {}, f"the account probe failed: {str(result.get('msg') or 'no message')[:MAX_TEXT]}"
    if rc not in (0, None):
        detail = (stderr or stdout.strip() or "no output")[:MAX_TEXT]
        return {}, f"the account probe exited {rc}: {detail}"
    try:
        data = json.loads(stdout)
    except ValueError:
        shown = stdout.strip()[:MAX_TEXT] or "nothing"
        extra = f" (stderr: {stderr[:MAX_TEXT]})" if stderr else ""
        return {}, f"the account probe printed no JSON document: {shown}{extra}"
    if not isinstance(data, Mapping):
        return {}, f"the account probe printed {type(data).__name__}, not a JSON object"
    return dict(data), ""


def _problems(entry: Mapping[str, Any]) -> list[str]:
    """The problem lines the control's probe printed (not "ok: ", not empty)."""
    return [line for line in _strings(entry.get("out")) if line.strip() and not line.startswith("ok: ")]


def _info(entry: Mapping[str, Any]) -> list[str]:
    return [line[4:] for line in _strings(entry.get("out")) if line.startswith("ok: ")]


def _missing_text(entry: Mapping[str, Any]) -> list[str]:
    missing = _strings(entry.get("missing"))
    return [f"not installed: {', '.join(missing)}"] if missing else []


def judge(
    before: Any,
    checks: Any,
    run_tags: Any = None,
    skip_tags: Any = None,
    switches: Any = None,
    held: Any = None,
    after: Any = None,
    corrected: Any = None,
    supported: Any = True,
) -> list[dict[str, Any]]:
    """One item {id, what, status, evidence, problems, fixable} per control asked for, in the order of
    `checks`: pass, fail, error, or na (what: why) for one switched off, held or not applicable.

    before: the registered first probe; after: the probe run again after the fixes (used when it
    ran); corrected: the IDs whose fix script ran. Where the role knows no PAM tool for the OS
    family (`supported` false) there is no item, as the controls' tasks gave no result before; a
    probe skipped because no control was selected leaves only the `na` items."""
    if not _bool(supported):
        return []
    ran_after = (
        isinstance(after, Mapping) and not after.get("skipped") and ("rc" in after or "stdout" in after)
    )
    probe = after if ran_after else before
    entries, broken = parse_probe(probe)
    first, _ = parse_probe(before) if ran_after else (entries, broken)
    run, skip, hold = _strings(run_tags) or ["all"], _strings(skip_tags), _strings(held)
    flags = switches if isinstance(switches, Mapping) else {}
    fixed = set(_strings(corrected))
    items: list[dict[str, Any]] = []
    for check in _list(checks):
        if not isinstance(check, Mapping):
            continue
        control = str(check.get("id", ""))
        if not control or not _tag_selected(control, run, skip):
            continue
        title = str(check.get("title", control))
        reason = _skip_reason(check, flags, hold)
        if reason:
            items.append(
                {
                    "id": control,
                    "what": reason,
                    "status": "na",
                    "evidence": reason,
                    "problems": [],
                    "fixable": False,
                }
            )
            continue
        item = _judge_one(
            control, title, str(check.get("expected", "")).strip(), entries, broken, first, fixed
        )
        # harden has something to do for it: a fix script or packages to install
        item["fixable"] = bool(str(check.get("fix") or "").strip() or _list(check.get("packages")))
        items.append(item)
    return items


def _judge_one(
    control: str,
    title: str,
    expected: str,
    entries: Mapping[str, Any],
    broken: str,
    first: Mapping[str, Any],
    fixed: set[str],
) -> dict[str, Any]:
    item: dict[str, Any] = {"id": control, "what": title, "problems": []}
    if broken:
        return {**item, "status": "error", "evidence": broken}
    entry = entries.get(control)
    if not isinstance(entry, Mapping):
        return {**item, "status": "error", "evidence": f"the account probe printed nothing for {control}"}
    rc = entry.get("rc", 0)
    if rc not in (0, None):
        err = "; ".join(line for line in _strings(entry.get("err")) if line.strip()) or "no error message"
        out = "; ".join(_strings(entry.get("out")))
        shown = f"{err}{f' (stdout: {out})' if out else ''}"[:MAX_TEXT]
        return {**item, "status": "error", "evidence": f"the probe of {control} exited {rc}: {shown}"}
    problems = _problems(entry)
    found = _missing_text(entry) + problems
    item["problems"] = problems
    if not found:
        evidence = "; ".join(_info(entry))
        before = first.get(control)
        if control in fixed and isinstance(before, Mapping):
            corrected = _missing_text(before) + _problems(before)
            evidence += ". Corrected: " + "; ".join(corrected)
        return {**item, "status": "pass", "evidence": evidence}
    applied = " (applied, not effective)" if control in fixed else ""
    return {**item, "status": "fail", "evidence": f"{'; '.join(found)}. Expected {expected}{applied}"}


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "carehard_account_checks_selected": selected_checks,
            "carehard_account_checks_judge": judge,
        }
