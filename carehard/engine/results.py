"""Runner events -> one result per (host, control), folded as DESIGN.md's control contract says.

Tasks belong to a control by their name prefix "<ID> | ". A loop task without one whose items are
labelled "<ID> | <what>" (a family's judgement of all its controls in one task,
docs/writing-controls.md) gives each item to its control. The only module that reads events.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from carehard.engine.host_facts import capped_directory, fact_summary, waivers_of
from carehard.model import ControlResult, HostOutcome, TaskChange, redact

TASK_ID = re.compile(r"^\s*([A-Z]{2}-[A-Z0-9]+-[0-9]{2})\s*\|\s*(.*)$")
CHECK_ACTIONS = {"assert", "ansible.builtin.assert", "fail", "ansible.builtin.fail"}
FACT_ACTIONS = {"gather_facts", "ansible.builtin.gather_facts", "setup", "ansible.builtin.setup"}
DEFAULT_ASSERT_MSG = "All assertions passed"
WAIVER_FACT = "carehard_waiver_state"
# The fleet facts document compliance_facts records (docs/fleet-facts.md), kept as facts["fleet"].
FLEET_FACT = "carehard_fleet_facts"
# The directory document directory_audit records (carehard-directory/1), kept as facts["directory"].
DIRECTORY_FACT = "carehard_directory"
MAX_EVIDENCE = 4000
MAX_DIFF_LINES = 40
NOT_REACHED = "not reached: the run ended before any task ran on this host"
# Files whose content is a secret: a task that changes one shows no diff (Ansible shows a file's
# content in its diff even where the module takes it as a no_log parameter, copy's `content`).
SECRET_FILE = re.compile(
    r"(?:^|/)(?:g?shadow-?|opasswd|\.?pgpass|\.netrc|\.?htpasswd|ssh_host_[^/]*_key"
    r"|id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?|[^/]*\.(?:key|pem|p12|pfx|keytab|kdb))$"
    r"|/(?:private|secrets?)/|(?:^|/)[^/]*(?:password|passphrase|secret|token|credential)[^/]*$",
    re.IGNORECASE,
)
_PATH_KEYS = ("dest", "path")


@dataclass
class _Tally:
    """What the task events of one control on one host said, before folding."""

    ok: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    changes: list[TaskChange] = field(default_factory=list)


class RunObserver(Protocol):
    """Who follows a run as it goes (the progress display), told in the folder's terms, not events'."""

    def task_started(self, name: str) -> None: ...

    def result(self, host: str, control: str | None) -> None: ...


class ResultFolder:
    """Feed it every event of one playbook run; ask it for the outcome per host."""

    def __init__(
        self,
        check_mode: bool,
        controls: Iterable[str],
        observer: RunObserver | None = None,
        targets: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        """`targets`: the hosts the run targets, each with the controls it is to run (see
        outcomes()); without it, every host seen is accounted for on every control of `controls`."""
        self.check_mode = check_mode
        self.controls = list(controls)
        self.observer = observer
        self.targets = {name: list(ids) for name, ids in (targets or {}).items()}
        self._tallies: dict[str, dict[str, _Tally]] = {}
        self._hosts: dict[str, HostOutcome] = {}
        self._stopped_at: dict[str, str] = {}  # host -> the task that stopped it, and why

    def feed(self, event: Mapping[str, Any]) -> list[tuple[str, str | None]]:
        """Take one runner event. Returns the (host, control or None) it was a result of: none for
        an event that is no task result, one per control for a task judging several."""
        if self.observer is not None and event.get("event") == "playbook_on_task_start":
            self.observer.task_started(str((event.get("event_data") or {}).get("task", "")))
        touched = self._fold_event(event)
        if self.observer is not None:
            for host, control in touched:
                self.observer.result(host, control)
        return touched

    def _fold_event(self, event: Mapping[str, Any]) -> list[tuple[str, str | None]]:
        kind = str(event.get("event", ""))
        if kind.startswith("runner_item_on_"):
            return self._fold_item(event)
        if not kind.startswith("runner_on_") or kind == "runner_on_start":
            return []
        data = event.get("event_data") or {}
        host_name = data.get("host")
        if not host_name:
            return []
        host = self._host(str(host_name))
        # A later event shows the host went on (a block's rescue): the failure ended only its control.
        self._stopped_at.pop(host.name, None)
        res = data.get("res") or {}
        if not isinstance(res, dict):
            res = {}
        action = str(data.get("task_action") or data.get("resolved_action") or "")
        task = str(data.get("task") or "")
        if kind == "runner_on_ok" and action in FACT_ACTIONS:
            host.facts.update(fact_summary(res.get("ansible_facts") or {}))
        if kind == "runner_on_ok" and WAIVER_FACT in (res.get("ansible_facts") or {}):
            host.waivers = waivers_of(res["ansible_facts"][WAIVER_FACT])
        fleet = (res.get("ansible_facts") or {}).get(FLEET_FACT)
        if kind == "runner_on_ok" and isinstance(fleet, dict):
            host.facts["fleet"] = fleet
        directory = (res.get("ansible_facts") or {}).get(DIRECTORY_FACT)
        if kind == "runner_on_ok" and isinstance(directory, dict):
            host.facts["directory"] = capped_directory(directory)
        measures = res.get("measures")
        if kind == "runner_on_ok" and isinstance(measures, dict) and measures.get("role"):
            host.measures[str(measures["role"])] = measures
        match = TASK_ID.match(task)
        control = match.group(1) if match else None
        what = match.group(2) if match else task
        # A judging loop's items were each folded from their own event (_fold_item): a loop whose
        # items were all skipped ends in a task event without them.
        judged = [] if control else _judged_items(res)
        if kind == "runner_on_unreachable":
            host.reachable = False
            host.errors.append(f"unreachable at task '{task}': {_one_line(str(res.get('msg', '')))}")
            if control:
                self._tally(host.name, control).unreachable.append(what)
            return [(host.name, control)]
        ignored = bool(data.get("ignore_errors"))
        if kind == "runner_on_failed" and not ignored:
            reason = _failure_text(res).splitlines()[0][:300]
            self._stopped_at.setdefault(host.name, f"task '{task}' ({reason})")
            if not control and not judged:
                host.errors.append(f"task '{task}' failed: {_failure_text(res)}")
        if judged:
            return [(host.name, c) for c in dict.fromkeys(c for c, _, _ in judged)]
        if control is None:
            return [(host.name, None)]
        self._count(self._tally(host.name, control), kind, what, res, action)
        return [(host.name, control)]

    def _fold_item(self, event: Mapping[str, Any]) -> list[tuple[str, str | None]]:
        """One item of a judging loop (its label "<ID> | <what>", the task's name without an ID):
        that control's result. Items of other loops are their task's, folded with the task."""
        data = event.get("event_data") or {}
        res = data.get("res") or {}
        host_name = data.get("host")
        if not host_name or not isinstance(res, dict) or TASK_ID.match(str(data.get("task") or "")):
            return []
        match = TASK_ID.match(str(res.get("_ansible_item_label") or ""))
        if not match:
            return []
        host = self._host(str(host_name))
        control, what = match.group(1), match.group(2) or match.group(1)
        kind = "runner_on_" + str(event.get("event", "")).removeprefix("runner_item_on_")
        action = str(data.get("task_action") or data.get("resolved_action") or "")
        self._count(self._tally(host.name, control), kind, what, res, action)
        return [(host.name, control)]

    def _count(self, tally: _Tally, kind: str, what: str, res: Mapping[str, Any], action: str) -> None:
        """One task result (or one item of a judging task) of a control, in its tally."""
        if kind == "runner_on_ok":
            if res.get("changed"):
                tally.changed.append(_change_text(what, res, self.check_mode))
                tally.changes.append(_task_change(what, res))
            else:
                tally.ok.append(_ok_text(what, res, action))
        elif kind == "runner_on_skipped":
            tally.skipped.append(what)
        elif kind == "runner_on_failed":
            if action in CHECK_ACTIONS and not _judged_error(res):
                tally.failed_checks.append(_failure_text(res))
            else:
                tally.errors.append(f"{what}: {_failure_text(res)}")

    def outcomes(self) -> dict[str, HostOutcome]:
        """One outcome per host seen and per target, each of its controls accounted for on a host
        that broke or was never reached. A run that named no host at all tells nothing of its
        targets: then there is no outcome, and the caller says why the run broke."""
        if self._hosts:
            for name in self.targets.keys() - self._hosts.keys():
                self._host(name).reachable = False
                self._hosts[name].errors.append(NOT_REACHED)
        for name, host in self._hosts.items():
            tallies = self._tallies.get(name, {})
            # A host is reported on the controls it was to run, no others (a skipped task of a
            # control the run did not select says nothing of it).
            wanted = set(self.targets[name]) if name in self.targets else None
            host.results = {
                cid: _fold(cid, t, self.check_mode)
                for cid, t in tallies.items()
                if wanted is None or cid in wanted
            }
            for cid in self.targets.get(name, self.controls):
                if cid in host.results:
                    continue
                if not host.reachable:
                    host.results[cid] = ControlResult(cid, "unreachable", "host unreachable: not evaluated")
                elif name in self._stopped_at:
                    stop = self._stopped_at[name]
                    host.results[cid] = ControlResult(
                        cid, "error", f"not evaluated: the run stopped on this host at {stop}"
                    )
            host.results = dict(sorted(host.results.items()))
        return dict(sorted(self._hosts.items()))

    def _host(self, name: str) -> HostOutcome:
        if name not in self._hosts:
            self._hosts[name] = HostOutcome(name)
        return self._hosts[name]

    def _tally(self, host: str, control: str) -> _Tally:
        return self._tallies.setdefault(host, {}).setdefault(control, _Tally())


def _fold(control: str, t: _Tally, check_mode: bool) -> ControlResult:
    result = _fold_status(control, t, check_mode)
    result.changes = list(t.changes)
    return result


def _fold_status(control: str, t: _Tally, check_mode: bool) -> ControlResult:
    changed = bool(t.changed)
    if t.unreachable:
        return ControlResult(control, "unreachable", "host unreachable during: " + "; ".join(t.unreachable))
    if t.errors:
        return ControlResult(control, "error", _evidence(t.errors), changed)
    if t.failed_checks or (changed and check_mode):
        return ControlResult(control, "fail", _evidence(t.failed_checks + t.changed), changed)
    if changed:
        return ControlResult(control, "fixed", _evidence(t.changed), changed)
    if t.ok:
        return ControlResult(control, "pass", _evidence(t.ok))
    return ControlResult(
        control, "not_applicable", _evidence(["premise absent, skipped: " + "; ".join(t.skipped)])
    )


def merge_verification(applied: Mapping[str, HostOutcome], verified: Mapping[str, HostOutcome]) -> None:
    """Fold the post-harden audit into the harden outcome, in place.

    A fix that ran but whose check still fails is `fail` ("applied, not effective"), never `fixed`;
    a control harden left failing without a change keeps harden's evidence, which says why.
    """
    for name, host in applied.items():
        check = verified.get(name)
        if check is None or not check.reachable:
            if check is not None:
                host.errors.append("unreachable for the verification audit after harden")
            continue
        for cid, seen in check.results.items():
            # A control harden has no word of (held by a waiver, its tasks all left out): as it is.
            host.results.setdefault(cid, ControlResult(cid, seen.status, seen.evidence))
        host.results = dict(sorted(host.results.items()))
        for cid, result in host.results.items():
            after = check.results.get(cid)
            if after is None or result.status in ("error", "unreachable"):
                continue
            if after.status == "fail" and result.status == "fail" and not result.changed:
                continue  # harden's own evidence says why it changed nothing (a refused fix)
            if after.status == "fail":
                prefix = "applied, not effective: " if result.changed else ""
                host.results[cid] = ControlResult(cid, "fail", prefix + after.evidence, result.changed)
            elif after.status == "error":
                host.results[cid] = ControlResult(cid, "error", after.evidence, result.changed)
            elif after.status == "pass" and result.status == "fail":
                status = "fixed" if result.changed else "pass"
                host.results[cid] = ControlResult(cid, status, after.evidence, result.changed)


def apply_waivers(hosts: Iterable[HostOutcome]) -> None:
    """A failing control covered by an active waiver is `waived`; an expired waiver is said so."""
    for host in hosts:
        for waiver in host.waivers:
            result = host.results.get(waiver["id"])
            if result is None or result.status != "fail":
                continue
            if waiver["active"]:
                result.status = "waived"
                result.evidence = (
                    f"waived until {waiver['expiry']}: {waiver['reason']}\nfinding: {result.evidence}"
                )
            else:
                result.evidence = (
                    f"waiver expired on {waiver['expiry']} ({waiver['reason']}): {result.evidence}"
                )


def _evidence(lines: Iterable[str]) -> str:
    text = redact("\n".join(line for line in lines if line))
    return text if len(text) <= MAX_EVIDENCE else text[: MAX_EVIDENCE - 20] + "\n… (truncated)"


def _hidden(res: Mapping[str, Any]) -> bool:
    return bool(res.get("_ansible_no_log") or res.get("censored"))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _ok_text(what: str, res: Mapping[str, Any], action: str) -> str:
    if _hidden(res):
        return f"{what}: ok (output hidden)"
    msg = res.get("msg")
    if action in CHECK_ACTIONS and isinstance(msg, str) and msg and msg != DEFAULT_ASSERT_MSG:
        return msg
    return f"{what}: compliant"


def _failure_text(res: Mapping[str, Any]) -> str:
    if _hidden(res):
        return "failed (output hidden: no_log)"
    parts = [str(res.get("msg") or "")]
    for key in ("stderr", "module_stderr"):
        value = res.get(key)
        if value and str(value).strip() not in parts[0]:
            parts.append(str(value).strip())
    text = "\n".join(p for p in parts if p) or "failed"
    return text


def _change_text(what: str, res: Mapping[str, Any], check_mode: bool) -> str:
    head = f"{'would change' if check_mode else 'changed'}: {what}"
    if _hidden(res):
        return head + " (details hidden: no_log)"
    secret = _secret_file(res)
    if secret:
        return head + f" (diff hidden: {secret} holds secrets)"
    diff = _diff_text(res)
    if diff:
        return head + "\n" + diff
    msg = res.get("msg")
    return f"{head} ({msg})" if isinstance(msg, str) and msg else head


def _task_change(what: str, res: Mapping[str, Any]) -> TaskChange:
    """A changed task as `harden --dry-run` shows it: every diff line (the display caps them)."""
    if _hidden(res):
        return TaskChange(what, hidden="no_log")
    secret = _secret_file(res)
    if secret:
        return TaskChange(what, hidden=f"{secret} holds secrets")
    return TaskChange(what, tuple(redact("\n".join(_diff_lines(res))).splitlines()))


def _secret_file(res: Mapping[str, Any]) -> str | None:
    """The file the task changes, when its content is a secret (SECRET_FILE)."""
    for source in _results_of(res):
        args = (source.get("invocation") or {}).get("module_args") or {}
        candidates = [source.get(key) for key in _PATH_KEYS] + [args.get(key) for key in _PATH_KEYS]
        for d in _diffs_of(source):
            candidates += [d.get("before_header"), d.get("after_header")]
        for value in candidates:
            if not isinstance(value, str):
                continue
            for word in value.split():
                if SECRET_FILE.search(word):
                    return word
    return None


def _judged_items(res: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(control, what, item result) of each item of a loop labelled "<ID> | <what>"; [] when the
    task is no such loop (one unlabelled item is enough to leave the task as it is)."""
    items = [r for r in res.get("results") or [] if isinstance(r, dict)]
    judged: list[tuple[str, str, Mapping[str, Any]]] = []
    for item in items:
        match = TASK_ID.match(str(item.get("_ansible_item_label") or ""))
        if not match:
            return []
        judged.append((match.group(1), match.group(2) or match.group(1), item))
    return judged


def _judged_error(res: Mapping[str, Any]) -> bool:
    """An item a judge gave status "error" (the family's state could not be read): the judging
    assert fails it like a failed check, but it is the control's error."""
    item = res.get("item")
    return isinstance(item, Mapping) and item.get("status") == "error"


def _results_of(res: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The task's result and, for a loop, each item's."""
    return [res, *(r for r in res.get("results", []) if isinstance(r, dict))]


def _diffs_of(source: Mapping[str, Any]) -> list[dict[str, Any]]:
    d = source.get("diff")
    found = d if isinstance(d, list) else [d]
    return [x for x in found if isinstance(x, dict)]


def _diff_text(res: Mapping[str, Any]) -> str:
    lines = _diff_lines(res)
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"… ({len(lines) - MAX_DIFF_LINES} more diff lines)"]
    return "\n".join(lines)


def _diff_lines(res: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for d in (d for source in _results_of(res) for d in _diffs_of(source)):
        if d.get("prepared"):
            lines.extend(str(d["prepared"]).splitlines())
            continue
        before, after = d.get("before"), d.get("after")
        if isinstance(before, str) and isinstance(after, str):
            lines.extend(
                difflib.unified_diff(
                    before.splitlines(),
                    after.splitlines(),
                    str(d.get("before_header", "before")),
                    str(d.get("after_header", "after")),
                    n=0,
                    lineterm="",
                )
            )
        elif isinstance(before, dict) or isinstance(after, dict):
            lines += [f"- {before}", f"+ {after}"]
    return lines
