"""Whether a run calls for an alert, and the alert itself: subject, body, JSON, syslog lines.

Built from the run as recorded (the RunRecord) and compared with the previous run of the same
kind: same mode, inventory, limit, --only/--skip, level (for backups: the same sets). So a
one-off `audit --only WL-SSH-01` that passes neither recovers nor spoils the nightly full audit.
Evidence is cleaned of anything that looks like a secret, and of the secrets carehard knows of.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carehard.history import History
from carehard.model import RunRecord, redact
from carehard.notify.words import count, word
from carehard.paths import recorded_inventory

MAX_ITEMS = 50
MAX_EVIDENCE = 400
SHORT_ITEMS = 10
SHORT_EVIDENCE = 200
SYSLOG_EVIDENCE = 200
BAD_STATUSES = ("fail", "error", "unreachable")
BACKUP_HOST_SUFFIX = ".backup"
# A run's mode -> the command a person knows it by.
KINDS = {
    "audit": "audit",
    "harden": "harden",
    "facts": "facts",
    "backup": "backup verify",
    "canary": "backup canary",
    "exposure": "exposure scan",
    "vendor-open": "vendor open",
    "vendor-close": "vendor close",
}
# Selection keys that do not change what a run checks: not part of "the same kind of run".
_NOT_COMPARED = ("read_data",)
_SECRET_ENV = re.compile(r"(?i)(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|WEBHOOK)")
_MIN_SECRET = 6  # shorter values would blank out ordinary words


@dataclass(frozen=True)
class Failure:
    host: str
    control: str  # a control ID, or "" for a host that broke outside any control
    status: str
    evidence: str
    backup_set: str | None = None

    def as_dict(self) -> dict[str, Any]:
        item = {"host": self.host, "control": self.control, "status": self.status, "evidence": self.evidence}
        if self.backup_set is not None:
            item["set"] = self.backup_set
        return item

    def line(self, evidence_chars: int, lang: str = "en") -> str:
        what = word(lang, "set", name=self.backup_set) if self.backup_set else ""
        what += f"{self.control} " if self.control else ""
        evidence = _shorten(self.evidence, evidence_chars)
        where = word(lang, "on_host" if what else "host", host=self.host)
        return f"{what}{where} ({self.status})" + (f": {evidence}" if evidence else "")


@dataclass(frozen=True)
class Alert:
    kind: str  # FAILED, ERROR, RECOVERED or OK
    run_id: str
    mode: str
    inventory: str
    finished: str
    exit_code: int
    hosts: int
    failures: list[Failure]
    omitted: int  # failures left out past MAX_ITEMS
    reports: list[str]
    artifacts: str | None
    machine: str
    previous: tuple[str, str] | None  # (run id, outcome) of the previous run of the same kind
    secrets: list[str] = field(default_factory=list, repr=False)
    lang: str = "en"  # of the subject, body and chat message (carehard_lang, else the locale)

    @property
    def label(self) -> str:
        return KINDS.get(self.mode, self.mode)

    @property
    def outcome(self) -> str:
        return outcome_of(self.exit_code)

    @property
    def subject(self) -> str:
        return self.clean(f"carehard {self.label}: {word(self.lang, self.kind)}{self._summary()}")

    def _summary(self) -> str:
        lang = self.lang
        if self.kind in ("OK", "RECOVERED"):
            what = word(lang, "all_sets_pass" if self.mode == "backup" else "all_controls_pass")
            return f" — {what} ({count(lang, self.hosts, 'host')})" if self.mode != "backup" else f" — {what}"
        verb = word(lang, "failed" if self.kind == "FAILED" else "failed_or_broke")
        total = len(self.failures) + self.omitted
        if self.mode == "backup":
            names = _unique(f.backup_set or f.host for f in self.failures)
            sets = count(lang, len(names), "set")
            return " — " + word(lang, "sets_failed", sets=sets, verb=verb, names=_first(names, lang))
        names = _unique(f.control or f.status for f in self.failures)
        hosts = _unique(f.host for f in self.failures)
        problems, on = count(lang, total, "problem"), count(lang, len(hosts), "host")
        return " — " + word(lang, "problems_on_hosts", problems=problems, hosts=on, names=_first(names, lang))

    def body(self) -> str:
        lang = self.lang
        meaning = word(lang, f"exit_{self.exit_code}" if self.exit_code in (0, 1, 3) else "exit_other")
        lines = [
            word(lang, "on_machine", label=self.label, machine=self.machine, kind=word(lang, self.kind)),
            "",
            word(lang, "run", value=self.run_id),
            word(lang, "mode", value=self.label),
            word(lang, "inventory", value=self.inventory),
            word(lang, "finished", value=self.finished),
            word(lang, "exit_code", code=self.exit_code, meaning=meaning),
        ]
        if self.previous:
            lines.append(word(lang, "previous", run=self.previous[0], outcome=self.previous[1]))
        if self.failures:
            lines += ["", word(lang, "failures", count=len(self.failures) + self.omitted)]
            lines += [f"- {f.line(MAX_EVIDENCE, lang)}" for f in self.failures]
            if self.omitted:
                lines.append(word(lang, "more_see_report", count=self.omitted))
        written = self.reports or [word(lang, "none_written")]
        lines += ["", word(lang, "reports"), *[f"  {r}" for r in written]]
        if self.artifacts:
            lines.append(word(lang, "artifacts", value=self.artifacts))
        return self.clean("\n".join(lines) + "\n")

    def short_text(self) -> str:
        """The subject and a short body, for a chat message."""
        lang = self.lang
        head = word(lang, "short_head", run=self.run_id, machine=self.machine, inventory=self.inventory)
        lines = [self.subject, head]
        lines += [f"- {f.line(SHORT_EVIDENCE, lang)}" for f in self.failures[:SHORT_ITEMS]]
        more = len(self.failures) - SHORT_ITEMS + self.omitted
        if more > 0:
            lines.append(word(lang, "and_more", count=more))
        lines += [word(lang, "report", value=r) for r in self.reports]
        return self.clean("\n".join(lines))

    def structured(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "mode": self.label,
            "outcome": self.outcome,
            "alert": self.kind,
            "exit_code": self.exit_code,
            "inventory": self.clean(self.inventory),
            "finished": self.finished,
            "machine": self.machine,
            "previous": {"run_id": self.previous[0], "outcome": self.previous[1]} if self.previous else None,
            "failures": [{k: self.clean(v) for k, v in f.as_dict().items()} for f in self.failures],
            "omitted": self.omitted,
            "reports": [self.clean(r) for r in self.reports],
        }

    def syslog_lines(self) -> list[str]:
        """One line for the run, then one per failure (capped)."""
        hosts = ",".join(_unique(f.host for f in self.failures)) or "-"
        report = self.reports[0] if self.reports else "-"
        head = f"{self.label} {self.kind} run={self.run_id} exit={self.exit_code}"
        head += f" failed={len(self.failures) + self.omitted} hosts={hosts} report={report}"
        lines = [head]
        for f in self.failures:
            item = f"{self.label} {self.kind} run={self.run_id} host={f.host}"
            item += f" set={f.backup_set}" if f.backup_set else ""
            item += f" control={f.control or '-'} status={f.status}"
            item += f' evidence="{_shorten(f.evidence, SYSLOG_EVIDENCE)}"'
            lines.append(item)
        if self.omitted:
            lines.append(f"{self.label} {self.kind} run={self.run_id} and {self.omitted} more failures")
        return [self.clean(line) for line in lines]

    def clean(self, text: str) -> str:
        return scrub(text, self.secrets)


def outcome_of(exit_code: int) -> str:
    return {0: "ok", 1: "failed"}.get(exit_code, "error")


def alert_kind(when: str, outcome: str, previous: str | None) -> str | None:
    """FAILED or ERROR on a bad run; RECOVERED on a good run after a bad one; OK when `always`."""
    if outcome == "failed":
        return "FAILED"
    if outcome == "error":
        return "ERROR"
    if previous is not None and previous != "ok":
        return "RECOVERED"
    return "OK" if when == "always" else None


def previous_run(history: History, run: RunRecord, lookback: int = 200) -> RunRecord | None:
    """The newest run of the same kind recorded before `run` (which the history already holds)."""
    inventory = recorded_inventory(str(run.selection.get("inventory", "")))
    seen_current = False
    for summary in history.runs():
        if summary.id == run.id:
            seen_current = True
            continue
        if not seen_current or summary.mode != run.mode or summary.inventory != inventory:
            continue
        lookback -= 1
        if lookback < 0:
            return None
        candidate = history.load(summary.id)
        if candidate is not None and same_kind(candidate, run):
            return candidate
    return None


def same_kind(a: RunRecord, b: RunRecord) -> bool:
    return a.mode == b.mode and a.level == b.level and _compared(a.selection) == _compared(b.selection)


def _compared(selection: dict[str, Any]) -> dict[str, Any]:
    return {
        key: sorted(value) if isinstance(value, list) else value
        for key, value in selection.items()
        if key not in _NOT_COMPARED
    }


def build_alert(
    kind: str,
    run: RunRecord,
    report_files: Sequence[Path | str],
    previous: RunRecord | None,
    secrets: Iterable[str] = (),
    lang: str = "en",
) -> Alert:
    known = sorted({s for s in [*secrets, *environment_secrets()] if s}, key=len, reverse=True)
    failures = [
        Failure(f.host, f.control, f.status, scrub(redact(f.evidence), known), f.backup_set)
        for f in failures_of(run)
    ]
    return Alert(
        kind=kind,
        run_id=run.id,
        mode=run.mode,
        inventory=str(run.selection.get("inventory", "")),
        finished=run.finished,
        exit_code=run.exit_code,
        hosts=len(run.hosts),
        failures=failures[:MAX_ITEMS],
        omitted=max(0, len(failures) - MAX_ITEMS),
        reports=[str(Path(p).resolve()) for p in report_files],
        artifacts=run.artifacts,
        machine=socket.gethostname(),
        previous=(previous.id, outcome_of(previous.exit_code)) if previous else None,
        secrets=known,
        lang=lang,
    )


def failures_of(run: RunRecord) -> list[Failure]:
    """Each failing, broken or unreachable (host, control), and host errors outside any control."""
    found = []
    for host in sorted(run.hosts.values(), key=lambda h: h.name):
        backup_set = host.name.removesuffix(BACKUP_HOST_SUFFIX) if run.mode == "backup" else None
        shown = str(host.facts.get("restore_host") or host.name) if backup_set else host.name
        bad = [r for r in sorted(host.results.values(), key=lambda r: r.control) if r.status in BAD_STATUSES]
        if not host.reachable and not any(r.status == "unreachable" for r in bad):
            found.append(Failure(shown, "", "unreachable", "; ".join(host.errors), backup_set))
        elif host.errors:
            found.append(Failure(shown, "", "error", "; ".join(host.errors), backup_set))
        found += [Failure(shown, r.control, r.status, r.evidence, backup_set) for r in bad]
    return found


def environment_secrets() -> list[str]:
    """Values of this environment's variables whose names say they are secrets (RESTIC_PASSWORD,
    a backup set's password_env, the SMTP password_env...): never in an alert."""
    return [
        value for name, value in os.environ.items() if _SECRET_ENV.search(name) and len(value) >= _MIN_SECRET
    ]


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _first(names: list[str], lang: str = "en", shown: int = 5) -> str:
    more = word(lang, "first_more", count=len(names) - shown) if len(names) > shown else ""
    return ", ".join(names[:shown]) + more
