#!/usr/bin/python
"""Verify one restic backup set for real: open, age, locks, retention, check, restore, canary, RTO."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

DOCUMENTATION = r"""
module: restic_verify
short_description: Restore-test a restic repository against its RPO and RTO
description:
  - Drives the restic binary through subprocess (C(--json) where restic has it); no wrapper library.
  - Every read command runs with C(--no-lock), so a repository on read-only media works and no lock
    is ever left behind, and with C(--no-cache), so that what is verified is what the repository holds,
    not a copy kept in the restore host's cache. The only write is the scratch directory of the test
    restore, removed afterwards.
  - A step that restic cannot carry out (a damaged index, a snapshot that does not load) becomes that
    step's verdict, with restic's own message; the other steps still run.
  - Returns a verdict per control (C(ok) and C(evidence)) and the measures of the run; the password is
    passed to restic through its environment or a password file, never on a command line.
options:
  repository: {description: The restic repository (path, sftp:, rest:, s3:...)., type: str, required: true}
  password: {description: The repository password., type: str, no_log: true}
  password_file: {description: A file on this host holding the password., type: path}
  environment: {description: Extra environment for restic (cloud credentials)., type: dict, no_log: true}
  steps:
    description: What to verify.
    type: list
    elements: str
    choices: [open, locks, age, retention, check, restore]
    default: [open, locks, age, retention, check, restore]
  rpo: {description: Longest age of the newest snapshot (30m, 24h, 2d)., type: str, default: 24h}
  rto: {description: Longest time a full restore may take., type: str, default: 4h}
  paths:
    description: Paths (as stored in the snapshot) to restore as a sample; C(all) for everything.
    type: list
    elements: str
    default: [all]
  canary: {description: Path of the canary file as stored in the snapshot., type: str}
  canaries:
    description: Canaries written before backups, each with C(written) (ISO time), C(sha256), C(mtime).
    type: list
    elements: dict
    default: []
  check_subset:
    description: Share of the data packs C(restic check) reads (5%, 1/10, 500M).
    type: str
    default: 5%
  read_data: {description: Read all data in C(restic check) instead of a subset., type: bool, default: false}
  check_parts_read:
    description: >-
      With a C(check_subset) k/N (a part of a read cycle), when each part j/N was last read, for the
      evidence ({"1/7": "2026-12-01T02:00:00Z"}).
    type: dict
    default: {}
  retention:
    description: restic forget policy (keep_last, keep_daily, keep_weekly... keep_within).
    type: dict
    default: {}
  snapshot_host: {description: Only snapshots taken on this host., type: str}
  snapshot_tags: {description: Only snapshots with these tags., type: list, elements: str, default: []}
  snapshot_paths: {description: Only snapshots of these paths., type: list, elements: str, default: []}
  scratch_dir:
    description: Where the scratch directory of the test restore is made.
    type: path
    default: /var/tmp
  stale_lock_age:
    description: >-
      A lock older than this is stale (restic's own threshold); a younger one is stale when it was taken on
      this host by a process that no longer runs.
    type: str
    default: 30m
  restic: {description: The restic binary., type: str, default: restic}
  role:
    description: Echoed in the measures, so a reader tells the set's copy from its second copy.
    type: str
    default: primary
author: carehard
"""

RETURN = r"""
verdicts:
  description: Control ID to {ok, evidence}, for the controls the steps cover.
  type: dict
  returned: always
measures:
  description: repository_id, snapshot (id, time, age_seconds, count), check_ok, restore (seconds, bytes,
    files, throughput), full_size, rto_estimate_seconds, locks.
  type: dict
  returned: always
"""

DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([smhdw]?)\s*$")
UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
RETENTION_FLAGS = ("keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly")
VERIFY_MARK = "verifying files in"
NOISE = ("[", "load indexes", "check all packs", "check snapshots", "read ", "using temporary")


# The controls each step gives a verdict for (a step restic cannot carry out fails them all).
STEP_CONTROLS = {
    "locks": ("BK-LCK-01",),
    "age": ("BK-AGE-01",),
    "retention": ("BK-RET-01",),
    "check": ("BK-CHK-01",),
    "restore": ("BK-RST-01", "BK-CAN-01", "BK-RTO-01"),
}
STEP_ERRORS = (RuntimeError, ValueError, OSError, KeyError, TypeError, IndexError)
# Lines of restic's output that name what is damaged (a file, a blob, a pack) or the error itself.
DAMAGE = re.compile(r"error|fail|invalid|cannot|unable|not found|missing|mismatch|corrupt", re.I)
DAMAGE_LINES = 5
PART = re.compile(r"^([1-9][0-9]*)/([1-9][0-9]*)$")


def parse_duration(text: str) -> float:
    match = DURATION.match(str(text).lower())
    if not match:
        raise ValueError(f"'{text}' is not a duration like 30m, 24h or 2d")
    return float(match.group(1)) * UNITS[match.group(2)]


def human_seconds(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def human_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def parse_time(text: str) -> datetime:
    """restic's RFC 3339 times carry nanoseconds, which fromisoformat refuses before Python 3.11."""
    text = text.strip().replace("Z", "+00:00")
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", text)
    if match:
        fraction = (match.group(2) or "")[:7]
        text = match.group(1) + fraction + match.group(3)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Restic:
    """The restic binary on one repository, the password passed by environment or file only."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.binary = params.get("restic") or "restic"
        env = dict(os.environ)
        env.update({str(k): str(v) for k, v in (params.get("environment") or {}).items()})
        for name in ("RESTIC_PASSWORD", "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND"):
            env.pop(name, None)
        env["RESTIC_REPOSITORY"] = params["repository"]
        if params.get("password") is not None:
            env["RESTIC_PASSWORD"] = params["password"]
        elif params.get("password_file"):
            env["RESTIC_PASSWORD_FILE"] = params["password_file"]
        env.setdefault("HOME", "/root")
        self.env = env

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.binary, *args, "--no-lock", "--no-cache"],
            env=self.env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def json(self, *args: str) -> Any:
        proc = self.run(*args, "--json")
        if proc.returncode != 0:
            raise RuntimeError(failure(proc))
        return json.loads(proc.stdout.strip().splitlines()[-1] if args[0] == "stats" else proc.stdout)

    def timed_restore(self, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
        """Run `restore`, timing the restore itself: the verification pass after it is not part of an RTO."""
        # stderr goes to a file: restic may write much there (one line per failed file) while
        # stdout is read line by line, and a full stderr pipe would block both sides.
        with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as errors:
            started = time.monotonic()
            proc = subprocess.Popen(
                [self.binary, "restore", *args, "--no-lock", "--no-cache"],
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=errors,
                stdin=subprocess.DEVNULL,
                text=True,
            )
            restored_at: float | None = None
            out: list[str] = []
            assert proc.stdout is not None
            for line in proc.stdout:
                if restored_at is None and line.startswith(VERIFY_MARK):
                    restored_at = time.monotonic()
                out.append(line)
            rc = proc.wait()
            ended = time.monotonic()
            errors.seek(0)
            err = errors.read()
        return subprocess.CompletedProcess(proc.args, rc, "".join(out), err), (restored_at or ended) - started


def stale_because(lock: Mapping[str, Any], age: float, limit: float) -> str | None:
    """restic's own rule (Lock.Stale): older than the threshold, or taken on this host by a process
    that no longer runs; a younger lock of another host may be in use (its process cannot be seen)."""
    if age > limit:
        return f"older than {human_seconds(limit)}"
    if lock.get("hostname") == socket.gethostname():
        try:
            os.kill(int(lock.get("pid") or 0), 0)
        except ProcessLookupError:
            return f"pid {lock.get('pid')} no longer runs on this host"
        except (PermissionError, ValueError, OverflowError):
            return None
    return None


def said(line: str) -> str:
    """A line of restic's stderr; with --json, an error is a JSON object whose message may carry a
    Go stack trace after its first line: only that first line."""
    if line.startswith("{") and '"message_type"' in line:
        try:
            message = json.loads(line).get("message")
        except ValueError:
            return line
        if isinstance(message, str) and message.strip():
            return message.strip().splitlines()[0]
    return line


def failure(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [said(ln.strip()) for ln in (proc.stderr or proc.stdout or "").splitlines() if ln.strip()]
    fatal = [ln for ln in lines if ln.startswith("Fatal:")]
    text = "; ".join(fatal or lines[-3:]) or f"restic exited with {proc.returncode}"
    return text.removeprefix("Fatal: ")


def damage(proc: subprocess.CompletedProcess[str]) -> str:
    """What a failed restic command said of the damage: the lines naming files and errors (a few),
    then its last line ("There were 1 errors"); not only the last line, which names nothing."""
    lines = [ln.strip() for ln in (proc.stderr + "\n" + proc.stdout).splitlines() if ln.strip()]
    named = list(dict.fromkeys(ln.removeprefix("Fatal: ") for ln in lines if DAMAGE.search(ln)))
    last = lines[-1].removeprefix("Fatal: ") if lines else f"restic exited with {proc.returncode}"
    shown = [ln for ln in named if ln != last][:DAMAGE_LINES]
    more = len([ln for ln in named if ln != last]) - len(shown)
    return "; ".join([*shown, *([f"{more} more line(s)"] if more > 0 else []), last])


def local_path(repository: str) -> str | None:
    """The directory of a repository on a local path (plain or local:), else None."""
    if repository.startswith("local:"):
        return repository.removeprefix("local:")
    if re.match(r"^[a-z0-9]+:", repository) and not repository.startswith("/"):
        return None
    return repository


def open_failure(proc: subprocess.CompletedProcess[str], repository: str) -> str:
    text = failure(proc)
    lowered = (proc.stderr or "").lower()
    if "wrong password" in lowered or proc.returncode == 12:
        folder = local_path(repository)
        keys = os.path.join(folder, "keys") if folder else None
        if keys and os.path.isdir(keys) and not os.listdir(keys):
            return (
                f"repository {repository} has no key left ({keys} is empty): nothing can open it; restore"
                " its keys/ from a copy"
            )
        if keys and os.path.isdir(keys):
            count = len(os.listdir(keys))
            return f"wrong password for repository {repository}: none of its {count} key(s) opens with it"
        return f"wrong password or no key found for repository {repository}"
    if proc.returncode == 10 or "is there a repository" in lowered or "no such file" in lowered:
        return f"no repository at {repository}: {text}"
    return f"repository {repository} does not open: {text}"


class Verifier:
    def __init__(self, params: Mapping[str, Any], restic: Restic | None = None) -> None:
        self.p = params
        self.restic = restic or Restic(params)
        self.verdicts: dict[str, dict[str, Any]] = {}
        role = params.get("role") or "primary"
        self.measures: dict[str, Any] = {"role": role, "repository": params["repository"]}
        self.steps = list(params.get("steps") or [])
        self.snapshot: dict[str, Any] | None = None
        self.unopened: str | None = None
        # The newest snapshot is looked up once for every step that needs it (age, restore): a
        # repository with none, or whose snapshots do not load, is not listed again.
        self._looked = False
        self._look_failed: RuntimeError | None = None

    def verdict(self, control: str, ok: bool, evidence: str) -> None:
        self.verdicts[control] = {"ok": bool(ok), "evidence": evidence}

    def run(self) -> None:
        self.open()
        for step, method in (
            ("locks", self.locks),
            ("age", self.age),
            ("retention", self.retention),
            ("check", self.check),
            ("restore", self.restore),
        ):
            if step in self.steps:
                try:
                    method()
                except STEP_ERRORS as exc:
                    # KeyError, TypeError, IndexError: restic answered with JSON of another shape.
                    text = str(exc) if isinstance(exc, (RuntimeError, OSError, ValueError)) else repr(exc)
                    why = f"restic could not carry out the {step} step: {text}"
                    for control in STEP_CONTROLS[step]:
                        if control not in self.verdicts:
                            self.verdict(control, False, why)

    # ---- BK-REPO-01: opens, encrypted ------------------------------------------------------------------
    def open(self) -> None:
        proc = self.restic.run("cat", "config")
        if proc.returncode != 0:
            self.unopened = open_failure(proc, self.p["repository"])
            if "open" in self.steps:
                self.verdict("BK-REPO-01", False, self.unopened)
            return
        config = json.loads(proc.stdout)
        self.measures["repository_id"] = config.get("id")
        self.measures["repository_version"] = config.get("version")
        if "open" in self.steps:
            self.verdict(
                "BK-REPO-01",
                True,
                f"repository {self.p['repository']} (ID {str(config.get('id'))[:16]}, format"
                f" v{config.get('version')})"
                " opens with the declared password; restic encrypts and authenticates all its data"
                " (AES-256-CTR, Poly1305-AES)",
            )

    def _closed(self, control: str) -> bool:
        if self.unopened is not None:
            self.verdict(control, False, f"not verified: {self.unopened}")
            return True
        return False

    # ---- BK-LCK-01: no stale lock ----------------------------------------------------------------------
    def locks(self) -> None:
        if self._closed("BK-LCK-01"):
            return
        proc = self.restic.run("list", "locks")
        if proc.returncode != 0:
            self.verdict("BK-LCK-01", False, f"cannot list locks: {failure(proc)}")
            return
        limit = parse_duration(self.p.get("stale_lock_age") or "30m")
        now = datetime.now(UTC)
        stale: list[str] = []
        live: list[str] = []
        for lock_id in proc.stdout.split():
            try:
                lock = self.restic.json("cat", "lock", lock_id)
            except (RuntimeError, ValueError):
                stale.append(f"{lock_id[:8]} (unreadable)")
                continue
            age = (now - parse_time(lock.get("time", now.isoformat()))).total_seconds()
            text = (
                f"{lock_id[:8]} {'exclusive' if lock.get('exclusive') else 'shared'} lock by "
                f"{lock.get('username', '?')}@{lock.get('hostname', '?')} pid {lock.get('pid', '?')}, "
                f"{human_seconds(age)} old"
            )
            why = stale_because(lock, age, limit)
            if why:
                stale.append(f"{text} ({why})")
            else:
                live.append(text)
        self.measures["locks"] = len(stale) + len(live)
        if stale:
            self.verdict(
                "BK-LCK-01",
                False,
                "stale lock(s) in the repository (a killed backup or prune?): "
                + "; ".join(stale)
                + ". Check no restic runs, then `restic unlock`.",
            )
        elif live:
            self.verdict("BK-LCK-01", True, "no stale lock; in use now: " + "; ".join(live))
        else:
            self.verdict("BK-LCK-01", True, "no lock in the repository, none left by this verification")

    # ---- BK-AGE-01: newest snapshot within the RPO -----------------------------------------------------
    def _filters(self) -> list[str]:
        args: list[str] = []
        if self.p.get("snapshot_host"):
            args += ["--host", self.p["snapshot_host"]]
        for tag in self.p.get("snapshot_tags") or []:
            args += ["--tag", tag]
        for path in self.p.get("snapshot_paths") or []:
            args += ["--path", path]
        return args

    def _all_snapshots_load(self) -> subprocess.CompletedProcess[str]:
        """restic lists the snapshots it can load and skips the others, warning or not (exit 0): a
        snapshot that does not load may be the newest backup. The repository's snapshot files are
        counted apart (`list snapshots` decrypts nothing) and every one must load."""
        listed = self.restic.run("list", "snapshots")
        if listed.returncode != 0:
            raise RuntimeError(failure(listed))
        every = self.restic.run("snapshots", "--json")
        if every.returncode != 0:
            raise RuntimeError(failure(every))
        loaded = {s.get("id") for s in json.loads(every.stdout or "[]") or []}
        unloaded = sorted({ln.strip() for ln in listed.stdout.splitlines() if ln.strip()} - loaded)
        if unloaded:
            self.measures["snapshots_unloaded"] = len(unloaded)
            said = [ln.strip() for ln in every.stderr.splitlines() if DAMAGE.search(ln) or "load" in ln]
            detail = "; ".join(said[:DAMAGE_LINES]) or "restic skips them without a word"
            raise RuntimeError(
                f"{len(unloaded)} snapshot(s) of the repository do not load"
                f" ({', '.join(i[:8] for i in unloaded[:DAMAGE_LINES])}): {detail}"
            )
        return every

    def _newest(self) -> dict[str, Any] | None:
        if self._look_failed is not None:
            raise self._look_failed
        if not self._looked and self.unopened is None:
            self._looked = True
            try:
                self._look_up_newest()
            except RuntimeError as exc:
                self._look_failed = exc
                raise
        return self.snapshot

    def _look_up_newest(self) -> None:
        every = self._all_snapshots_load()
        filters = self._filters()
        proc = self.restic.run("snapshots", "--json", *filters) if filters else every
        if proc.returncode != 0:
            raise RuntimeError(failure(proc))
        snapshots = json.loads(proc.stdout or "[]")
        self.measures["snapshot_count"] = len(snapshots or [])
        if snapshots:
            self.snapshot = max(snapshots, key=lambda s: parse_time(s["time"]))
            moment = parse_time(self.snapshot["time"])
            age = (datetime.now(UTC) - moment).total_seconds()
            self.measures["snapshot"] = {
                "id": self.snapshot["id"],
                "short_id": self.snapshot.get("short_id", self.snapshot["id"][:8]),
                "time": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "age_seconds": round(age),
                "paths": self.snapshot.get("paths", []),
            }

    def age(self) -> None:
        if self._closed("BK-AGE-01"):
            return
        rpo = parse_duration(self.p.get("rpo") or "24h")
        if self._newest() is None:
            self.verdict("BK-AGE-01", False, "no snapshot of this set in the repository: no backup has run")
            return
        snap = self.measures["snapshot"]
        age = snap["age_seconds"]
        text = (
            f"newest snapshot {snap['short_id']} taken {snap['time']}, {human_seconds(age)} ago; "
            f"RPO {self.p.get('rpo')}; {self.measures['snapshot_count']} snapshot(s)"
        )
        self.verdict("BK-AGE-01", age <= rpo, text if age <= rpo else "older than the RPO: " + text)

    # ---- BK-RET-01: retention declared and followed ----------------------------------------------------
    def retention(self) -> None:
        if self._closed("BK-RET-01"):
            return
        policy = {k: v for k, v in (self.p.get("retention") or {}).items() if v not in (None, "", 0)}
        if not policy:
            self.verdict(
                "BK-RET-01", False, ("no retention policy declared for this set (retention: keep_daily...)")
            )
            return
        args = ["forget", "--dry-run", *self._filters()]
        for key, value in sorted(policy.items()):
            if key not in (*RETENTION_FLAGS, "keep_within"):
                self.verdict("BK-RET-01", False, f"unknown retention rule '{key}'")
                return
            args += ["--" + key.replace("_", "-"), str(value)]
        try:
            groups = self.restic.json(*args)
        except RuntimeError as exc:
            self.verdict("BK-RET-01", False, f"cannot evaluate the retention policy: {exc}")
            return
        kept = sum(len(g.get("keep") or []) for g in groups or [])
        extra = [s for g in groups or [] for s in g.get("remove") or []]
        rules = ", ".join(f"{k.replace('_', '-')} {v}" for k, v in sorted(policy.items()))
        if extra:
            oldest = min(parse_time(s["time"]) for s in extra).strftime("%Y-%m-%d")
            self.verdict(
                "BK-RET-01",
                False,
                f"{len(extra)} snapshot(s) beyond the policy ({rules}), the oldest from {oldest}: "
                "`restic forget --prune` is not running",
            )
        else:
            self.verdict("BK-RET-01", True, f"{kept} snapshot(s), all within the policy ({rules})")

    # ---- BK-CHK-01: structure and sampled data --------------------------------------------------------
    def check(self) -> None:
        if self._closed("BK-CHK-01"):
            return
        subset = str(self.p.get("check_subset") or "5%")
        cycle = PART.match(subset)
        if self.p.get("read_data"):
            option, what = "--read-data", "all data packs read"
            self.measures["check_part"] = "all"
        elif cycle:
            option, what = (
                f"--read-data-subset={subset}",
                f"structure and part {subset} of the data packs read",
            )
            self.measures["check_part"] = subset
            what += parts_history(
                int(cycle.group(1)), int(cycle.group(2)), self.p.get("check_parts_read") or {}
            )
        else:
            option, what = (
                f"--read-data-subset={subset}",
                (f"structure and a {subset} sample of the data packs read"),
            )
        started = time.monotonic()
        proc = self.restic.run("check", option)
        seconds = time.monotonic() - started
        self.measures["check_ok"] = proc.returncode == 0
        self.measures["check_seconds"] = round(seconds, 2)
        if proc.returncode == 0:
            self.verdict("BK-CHK-01", True, f"restic check: {what}, no errors ({human_seconds(seconds)})")
            return
        lines = [ln.strip() for ln in (proc.stdout + "\n" + proc.stderr).splitlines()]
        problems = [
            ln for ln in lines if ln and not ln.startswith(NOISE) and "no errors were found" not in ln
        ]
        self.verdict("BK-CHK-01", False, f"restic check ({what}) found errors: " + " | ".join(problems[:8]))

    # ---- BK-RST-01, BK-CAN-01, BK-RTO-01: the real restore ---------------------------------------------
    def restore(self) -> None:
        closed = [self._closed(c) for c in ("BK-RST-01", "BK-CAN-01", "BK-RTO-01")]
        if any(closed):
            return
        snap = self._newest()
        if snap is None:
            for control in ("BK-RST-01", "BK-CAN-01", "BK-RTO-01"):
                self.verdict(control, False, "nothing to restore: no snapshot of this set in the repository")
            return
        paths = [p for p in self.p.get("paths") or ["all"]]
        restore_all = "all" in paths
        canary = self.p.get("canary")
        includes = [] if restore_all else sorted(set(paths + ([canary] if canary else [])))
        base = self.p.get("scratch_dir") or "/var/tmp"
        os.makedirs(base, exist_ok=True)
        room = self._room_problem(snap["id"], base, None if restore_all else paths)
        if room:
            self.verdict("BK-RST-01", False, room)
            for control in ("BK-CAN-01", "BK-RTO-01"):
                self.verdict(control, False, "not verified: the test restore did not run (see BK-RST-01)")
            return
        scratch = tempfile.mkdtemp(prefix="carehard-restore-", dir=base)
        try:
            args = [snap["id"], "--target", scratch, "--verify"]
            for path in includes:
                args += ["--include", path]
            proc, seconds = self.restic.timed_restore(*args)
            files, size = tree_size(scratch, exclude=self._canary_in(scratch))
            canary_state = self._read_canary(scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        removed = not os.path.exists(scratch)
        # Only a restore restic verified is a measure (of the RTO, the trend, the metrics): a failed
        # one's time and size say nothing of how long a real restore takes.
        if proc.returncode == 0 and files > 0:
            self.measures["restore"] = {
                "seconds": round(seconds, 3),
                "bytes": size,
                "files": files,
                "throughput": round(size / seconds) if seconds > 0 else None,
                "paths": paths,
            }
        self._restore_verdict(proc, files, size, seconds, scratch, removed, paths)
        self._canary_verdict(canary_state)
        self._rto_verdict(proc.returncode, files, size, seconds)

    def _room_problem(self, snapshot: str, base: str, paths: list[str] | None) -> str | None:
        """A test restore must not fill the restore host's disk at night: size the sample first."""
        if paths is None:
            needed = self._full_size(snapshot)
        else:
            proc = self.restic.run("ls", "--json", "--recursive", snapshot, *paths)
            if proc.returncode != 0:
                raise RuntimeError(f"cannot list the sample paths: {failure(proc)}")
            needed = 0
            for line in proc.stdout.splitlines():
                node = json.loads(line) if line.startswith("{") else {}
                if node.get("type") == "file":
                    needed += int(node.get("size") or 0)
        free = shutil.disk_usage(base).free
        self.measures["sample_bytes"] = needed
        if needed > free * 0.9:
            return (
                f"not enough room for the test restore in {base}: {human_bytes(needed)} to restore,"
                f" {human_bytes(free)} free; give the set another scratch_dir or smaller sample paths"
            )
        return None

    def _full_size(self, snapshot: str) -> int:
        if "full_size" not in self.measures:
            stats = self.restic.json("stats", "--mode", "restore-size", snapshot)
            self.measures["full_size"] = int(stats.get("total_size") or 0)
        return int(self.measures["full_size"])

    def _canary_in(self, scratch: str) -> str | None:
        canary = self.p.get("canary")
        return os.path.join(scratch, canary.lstrip("/")) if canary else None

    def _read_canary(self, scratch: str) -> dict[str, Any] | None:
        path = self._canary_in(scratch)
        if path is None or not os.path.isfile(path):
            return None
        with open(path, "rb") as handle:
            content = handle.read(1 << 20)
        return {"sha256": hashlib.sha256(content).hexdigest(), "mtime": os.stat(path).st_mtime}

    def _restore_verdict(
        self,
        proc: subprocess.CompletedProcess[str],
        files: int,
        size: int,
        seconds: float,
        scratch: str,
        removed: bool,
        paths: Sequence[str],
    ) -> None:
        snap = self.measures["snapshot"]
        where = "the whole snapshot" if "all" in paths else ", ".join(paths)
        verified = re.search(r"finished verifying (\d+) files", proc.stdout)
        if proc.returncode != 0:
            failed = f"restore of {where} from {snap['short_id']} failed: {damage(proc)}"
            self.verdict("BK-RST-01", False, failed)
        elif files == 0:
            self.verdict(
                "BK-RST-01",
                False,
                f"restore of {where} from {snap['short_id']} brought back no file: the sample paths are"
                " not in "
                f"the snapshot (its paths: {', '.join(snap['paths'])})",
            )
        elif not removed:
            self.verdict(
                "BK-RST-01", False, (f"restore verified but the scratch directory {scratch} is still there")
            )
        else:
            count = verified.group(1) if verified else str(files)
            self.verdict(
                "BK-RST-01",
                True,
                f"restored {where} from snapshot {snap['short_id']} ({snap['time']}): {files} files, "
                f"{human_bytes(size)} in {human_seconds(seconds)}; restic verified the content of"
                f" {count} files;"
                f" scratch directory {scratch} removed",
            )

    def _canary_verdict(self, found: dict[str, Any] | None) -> None:
        canary = self.p.get("canary")
        snap = self.measures["snapshot"]
        if not canary:
            self.verdict(
                "BK-CAN-01",
                False,
                ("no canary file declared for this set: nothing proves the data is recent"),
            )
            return
        if found is None:
            self.verdict("BK-CAN-01", False, f"canary {canary} missing from snapshot {snap['short_id']}")
            return
        taken = parse_time(snap["time"])
        written = [c for c in self.p.get("canaries") or [] if parse_time(str(c["written"])) <= taken]
        if not written:
            self.verdict(
                "BK-CAN-01",
                False,
                f"canary {canary} is in snapshot {snap['short_id']}, but no canary was recorded as"
                " written before"
                " it: run `carehard backup canary` before the backup",
            )
            return
        expected = max(written, key=lambda c: parse_time(str(c["written"])))
        problems = []
        if found["sha256"] != expected["sha256"]:
            got, want = found["sha256"][:16], str(expected["sha256"])[:16]
            problems.append(f"content sha256 {got}…, expected {want}…")
        if expected.get("mtime") is not None and abs(found["mtime"] - float(expected["mtime"])) > 1:
            stamp = datetime.fromtimestamp(found["mtime"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            problems.append(f"modified {stamp}")
        if problems:
            self.verdict(
                "BK-CAN-01",
                False,
                f"canary {canary} in snapshot {snap['short_id']} differs from the one written at "
                f"{expected['written']}: " + ", ".join(problems),
            )
        else:
            self.verdict(
                "BK-CAN-01",
                True,
                f"canary {canary} written at {expected['written']} restored from snapshot {snap['short_id']}"
                " with the same content and time",
            )

    def _rto_verdict(self, returncode: int, files: int, size: int, seconds: float) -> None:
        rto = parse_duration(self.p.get("rto") or "4h")
        if returncode != 0:
            failed = "no restore time measured: the test restore failed (see BK-RST-01)"
            self.verdict("BK-RTO-01", False, failed)
            return
        if files == 0 or size == 0 or seconds <= 0:
            self.verdict(
                "BK-RTO-01", False, ("no restore time measured: the test restore brought nothing back")
            )
            return
        try:
            full = self._full_size(self.measures["snapshot"]["id"])
        except (RuntimeError, ValueError) as exc:
            self.verdict("BK-RTO-01", False, f"cannot size the snapshot: {exc}")
            return
        throughput = size / seconds
        estimate = seconds if full <= size else full / throughput
        self.measures["rto_estimate_seconds"] = round(estimate, 1)
        text = (
            f"restored {human_bytes(size)} in {seconds:.2f} s ({human_bytes(throughput)}/s); full snapshot "
            f"{human_bytes(full)} -> about {human_seconds(estimate)} to restore; RTO {self.p.get('rto')}"
        )
        self.verdict("BK-RTO-01", estimate <= rto, text if estimate <= rto else "beyond the RTO: " + text)


def parts_history(part: int, cycle: int, last_read: Mapping[str, Any]) -> str:
    """ "(cycle of N nights; parts last read: 1/7 2026-12-01, 2/7 never...)": tonight's part is read now."""
    days = []
    for number in range(1, cycle + 1):
        key = f"{number}/{cycle}"
        when = "now" if number == part else str(last_read.get(key) or "never")[:10]
        days.append(f"{key} {when}")
    shown = days if cycle <= 10 else [*days[:3], "...", *days[-3:]]
    never = sum(
        1 for number in range(1, cycle + 1) if number != part and not last_read.get(f"{number}/{cycle}")
    )
    tail = f"; {never} part(s) never read yet" if never and cycle > 10 else ""
    return f" (every pack once in {cycle} nights; parts last read: {', '.join(shown)}{tail})"


def tree_size(root: str, exclude: str | None = None) -> tuple[int, int]:
    files = size = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            if path == exclude or os.path.islink(path):
                continue
            files += 1
            size += os.path.getsize(path)
    return files, size


def validate(params: Mapping[str, Any]) -> str | None:
    if params.get("password") is None and not params.get("password_file"):
        return "give password or password_file"
    for key in ("rpo", "rto", "stale_lock_age"):
        try:
            parse_duration(params.get(key) or "1")
        except ValueError as exc:
            return f"{key}: {exc}"
    if shutil.which(params.get("restic") or "restic") is None:
        return f"restic is not installed on this host (no '{params.get('restic') or 'restic'}' in PATH)"
    return None


def main() -> None:
    from ansible.module_utils.basic import AnsibleModule

    steps = ["open", "locks", "age", "retention", "check", "restore"]
    module = AnsibleModule(
        argument_spec={
            "repository": {"type": "str", "required": True},
            "password": {"type": "str", "no_log": True},
            "password_file": {"type": "path"},
            "environment": {"type": "dict", "no_log": True, "default": {}},
            "steps": {"type": "list", "elements": "str", "choices": steps, "default": steps},
            "rpo": {"type": "str", "default": "24h"},
            "rto": {"type": "str", "default": "4h"},
            "paths": {"type": "list", "elements": "str", "default": ["all"]},
            "canary": {"type": "str"},
            "canaries": {"type": "list", "elements": "dict", "default": []},
            "check_subset": {"type": "str", "default": "5%"},
            "read_data": {"type": "bool", "default": False},
            "check_parts_read": {"type": "dict", "default": {}},
            "retention": {"type": "dict", "default": {}},
            "snapshot_host": {"type": "str"},
            "snapshot_tags": {"type": "list", "elements": "str", "default": []},
            "snapshot_paths": {"type": "list", "elements": "str", "default": []},
            "scratch_dir": {"type": "path", "default": "/var/tmp"},
            "stale_lock_age": {"type": "str", "default": "30m"},
            "restic": {"type": "str", "default": "restic"},
            "role": {"type": "str", "default": "primary"},
        },
        mutually_exclusive=[("password", "password_file")],
        supports_check_mode=True,
    )
    problem = validate(module.params)
    if problem:
        module.fail_json(msg=problem)
    verifier = Verifier(module.params)
    try:
        verifier.run()
    except (RuntimeError, ValueError, OSError) as exc:
        module.fail_json(msg=f"restic verification broke: {exc}", verdicts=verifier.verdicts)
    module.exit_json(changed=False, verdicts=verifier.verdicts, measures=verifier.measures)


if __name__ == "__main__":
    main()
