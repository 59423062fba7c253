"""The records every layer shares: a control's result on a host, a host's outcome, a run as the
history keeps it, the status names and the exit codes. Imports nothing of carehard."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

STATUSES = ("pass", "fail", "fixed", "error", "not_applicable", "waived", "unreachable")
# Exit codes, for schedulers: 0 all pass (or waived), 1 a control failed, 2 usage or configuration
# error, 3 a host was unreachable or a task broke.
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_BROKEN = 0, 1, 2, 3
# 4: the run's reports were written but its record could not be saved in the history (damaged,
# full or read-only state directory); it outranks 1 and 3, which the reports still show.
EXIT_UNSAVED = 4
_PRIVATE_KEY = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END \1PRIVATE KEY-----|\Z)", re.DOTALL
)
_VAULT = re.compile(r"\$ANSIBLE_VAULT;[0-9.]+;[A-Z0-9]+(?:;[^\s]*)?(?:\s+[0-9a-f]+)*")
_URL_PASSWORD = re.compile(r"(://[^/:@\s]+:)[^@\s/]+@")
_SECRET = re.compile(r"(?i)\b(password|passwd|passphrase|secret|token|api[_-]?key)(\s*[=:]\s*)(\S+)")


@dataclass(frozen=True)
class TaskChange:
    """One task that changed a host, or in check mode would change it: the task's name (without its
    control's ID), its diff lines (secrets removed), or why its diff is not shown (no_log, a secret file)."""

    task: str
    diff: tuple[str, ...] = ()
    hidden: str = ""


@dataclass
class ControlResult:
    control: str
    status: str
    evidence: str
    changed: bool = False
    # The live run's changed tasks (`harden --dry-run` shows them); not kept in the history.
    changes: list[TaskChange] = field(default_factory=list)


@dataclass
class HostOutcome:
    name: str
    reachable: bool = True
    facts: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    results: dict[str, ControlResult] = field(default_factory=dict)
    # The waivers that apply to this host, as the `carehard` role evaluated them:
    # {"id", "reason", "expiry" (YYYY-MM-DD), "active"}.
    waivers: list[dict[str, Any]] = field(default_factory=list)
    # What a measuring module (restic_verify) returned, by the role it played: {"primary": {...}}.
    measures: dict[str, Any] = field(default_factory=dict)


def count_statuses(hosts: Iterable[HostOutcome]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for host in hosts:
        for result in host.results.values():
            counts[result.status] += 1
    return counts


def redact(text: str) -> str:
    """Remove what looks like a secret: key=value pairs named password, token...; passwords in
    URLs; private key blocks; ansible-vault data."""
    text = _PRIVATE_KEY.sub("[private key removed]", text)
    text = _VAULT.sub("[vault data removed]", text)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}********@", text)
    return _SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}********", text)


def exit_code_of(hosts: Any) -> int:
    statuses = {r.status for h in hosts for r in h.results.values()}
    broken = any(not h.reachable or h.errors for h in hosts)
    if broken or statuses & {"error", "unreachable"}:
        return EXIT_BROKEN
    if "fail" in statuses:
        return EXIT_FAIL
    return EXIT_OK


@dataclass(frozen=True)
class WindowRecord:
    vendor: str
    account: str
    host: str
    opened_by: str
    opened_at: str  # ISO 8601, UTC
    reason: str
    ends_at: str
    run_id: str
    closed_by: str | None = None
    closed_at: str | None = None

    def state(self, now: str) -> str:
        if self.closed_at is not None:
            return "closed"
        return "open" if self.ends_at > now else "ended"


@dataclass(frozen=True)
class BackupCheck:
    """One nightly verification of one backup set: the trend `carehard backup history` shows."""

    run_id: str
    backup_set: str
    checked_at: str
    verdict: str  # pass, fail, error, unreachable
    snapshot_time: str | None
    snapshot_age_seconds: int | None
    check_ok: bool | None
    restore_seconds: float | None
    restore_bytes: int | None
    throughput: float | None
    rto_estimate_seconds: float | None
    measures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CanaryRecord:
    backup_set: str
    host: str
    path: str
    written_at: str  # ISO 8601, UTC
    sha256: str
    mtime: int
    run_id: str


@dataclass(frozen=True)
class RunSummary:
    id: str
    mode: str
    started: str
    finished: str
    inventory: str
    exit_code: int
    counts: dict[str, int]

    @property
    def pass_rate(self) -> float | None:
        """Share of the counted results that pass (pass, fixed, waived) out of those that count."""
        good = sum(self.counts.get(s, 0) for s in ("pass", "fixed", "waived"))
        counted = good + sum(self.counts.get(s, 0) for s in ("fail", "error", "unreachable"))
        return good / counted if counted else None


@dataclass(frozen=True)
class HostFacts:
    """One host's row in one run: the facts that run recorded for it (`History.newest_host_facts`)."""

    host: str
    run_id: str
    mode: str
    started: str
    reachable: bool
    facts: dict[str, Any]


@dataclass
class RunRecord:
    id: str
    mode: str
    started: str
    finished: str
    carehard_version: str
    level: int
    selection: dict[str, Any]
    controls: list[str]
    exit_code: int
    artifacts: str | None = None
    hosts: dict[str, HostOutcome] = field(default_factory=dict)
