"""A run made outside carehard (AWX, ansible-navigator, plain ansible-runner) read back from its
ansible-runner artifacts directory (or the directories of an AWX job's slices), so that it reports
the same way as carehard's own runs.

The files are read here; what the events mean is results.py's business (ResultFolder).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from carehard import __version__
from carehard.engine.results import ResultFolder, apply_waivers
from carehard.errors import UsageError
from carehard.model import HostOutcome, RunRecord, exit_code_of

_SAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")


def find_artifacts(path: Path) -> Path:
    """The directory holding job_events/: the one given, or artifacts/<ident> below it (the newest)."""
    if not path.is_dir():
        raise UsageError(f"--artifacts {path}: no such directory")
    if (path / "job_events").is_dir():
        return path
    candidates = sorted(
        (p.parent for p in path.glob("**/job_events") if p.is_dir()), key=lambda p: p.stat().st_mtime
    )
    if not candidates:
        raise UsageError(f"--artifacts {path}: no ansible-runner job_events directory in it")
    return candidates[-1]


@dataclass
class _Slice:
    """One ansible-runner run: its directory, its hosts' outcomes, what kind of run it was."""

    directory: Path
    events: list[dict[str, Any]]
    check_mode: bool
    backup: bool
    hosts: dict[str, HostOutcome]


def run_from_artifacts(paths: Sequence[Path]) -> RunRecord:
    """Fold the job events of ansible-runner runs into one run record, as carehard would have: one
    run, or the slices of one AWX job (job slicing: each slice's artifacts hold some of its hosts)."""
    slices = [_read_slice(find_artifacts(path)) for path in paths]
    first = slices[0]
    hosts: dict[str, HostOutcome] = {}
    seen_in: dict[str, Path] = {}
    for part in slices:
        if (part.check_mode, part.backup) != (first.check_mode, first.backup):
            raise UsageError(
                f"--artifacts {part.directory}: {_kind(part)}, where {first.directory} is {_kind(first)}:"
                " give the slices of one job"
            )
        for name, host in part.hosts.items():
            if name in seen_in:
                where = f"--artifacts {part.directory}: host {name}"
                raise UsageError(f"{where} is also in {seen_in[name]}: give each run once")
            seen_in[name] = part.directory
            hosts[name] = host
    hosts = dict(sorted(hosts.items()))
    apply_waivers(hosts.values())
    controls = sorted({cid for host in hosts.values() for cid in host.results})
    level = _extravars(first.directory).get("carehard_level", 2)
    ident = _SAFE_ID.sub("-", first.directory.name).strip("-") or "artifacts"
    return RunRecord(
        id=ident if len(slices) == 1 else f"{ident}-and-{len(slices) - 1}-more",
        mode="backup" if first.backup else ("audit" if first.check_mode else "harden"),
        started=min(str(part.events[0].get("created") or "") for part in slices),
        finished=max(str(part.events[-1].get("created") or "") for part in slices),
        carehard_version=__version__,
        level=level if level in (1, 2, 3) else 2,
        selection={
            "inventory": "artifacts:" + ",".join(str(part.directory) for part in slices),
            "limit": None,
            "only": [],
            "skip": [],
        },
        controls=controls,
        exit_code=exit_code_of(hosts.values()),
        artifacts=str(first.directory),
        hosts=hosts,
    )


def _read_slice(directory: Path) -> _Slice:
    events = _events(directory)
    if not events:
        raise UsageError(f"--artifacts {directory}: the run has no event")
    command = _command(directory)
    check_mode = "--check" in command or "-C" in command
    folder = ResultFolder(check_mode, [])
    for event in events:
        folder.feed(event)
    hosts = folder.outcomes()
    backup = any(str(a).endswith("backup_verify.yml") for a in command)
    if backup:
        hosts = {name: host for name, host in hosts.items() if name.endswith(".backup")}
    return _Slice(directory, events, check_mode, backup, hosts)


def _kind(part: _Slice) -> str:
    return "a backup run" if part.backup else ("an audit" if part.check_mode else "a harden")


def _events(directory: Path) -> list[dict[str, Any]]:
    events = []
    for file in (directory / "job_events").glob("*.json"):
        try:
            event = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a partial file of an interrupted run
        if isinstance(event, dict):
            events.append(event)
    return sorted(events, key=lambda e: int(e.get("counter") or 0))


def _command(directory: Path) -> list[str]:
    try:
        data = json.loads((directory / "command").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    command = data.get("command") if isinstance(data, dict) else None
    return [str(part) for part in command] if isinstance(command, list) else []


def _extravars(directory: Path) -> dict[str, Any]:
    """The extra variables of the run, from the private data dir (artifacts/<ident>/../../env)."""
    try:
        data = yaml.safe_load((directory.parent.parent / "env" / "extravars").read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}
