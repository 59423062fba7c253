"""A run made outside carehard (AWX, ansible-navigator, plain ansible-runner) read back from its
ansible-runner artifacts directory, so that it reports the same way as carehard's own runs.

The files are read here; what the events mean is results.py's business (ResultFolder).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from carehard import __version__
from carehard.engine.results import ResultFolder, apply_waivers
from carehard.errors import UsageError
from carehard.model import RunRecord, exit_code_of

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


def run_from_artifacts(path: Path) -> RunRecord:
    """Fold the job events of one ansible-runner run into a run record, as carehard would have."""
    directory = find_artifacts(path)
    events = _events(directory)
    if not events:
        raise UsageError(f"--artifacts {directory}: the run has no event")
    command = _command(directory)
    extravars = _extravars(directory)
    check_mode = "--check" in command or "-C" in command
    folder = ResultFolder(check_mode, [])
    for event in events:
        folder.feed(event)
    hosts = folder.outcomes()
    backup = any(str(a).endswith("backup_verify.yml") for a in command)
    if backup:
        hosts = {name: host for name, host in hosts.items() if name.endswith(".backup")}
    apply_waivers(hosts.values())
    controls = sorted({cid for host in hosts.values() for cid in host.results})
    level = extravars.get("carehard_level", 2)
    return RunRecord(
        id=_SAFE_ID.sub("-", directory.name).strip("-") or "artifacts",
        mode="backup" if backup else ("audit" if check_mode else "harden"),
        started=str(events[0].get("created") or ""),
        finished=str(events[-1].get("created") or ""),
        carehard_version=__version__,
        level=level if level in (1, 2, 3) else 2,
        selection={"inventory": f"artifacts:{directory}", "limit": None, "only": [], "skip": []},
        controls=controls,
        exit_code=exit_code_of(hosts.values()),
        artifacts=str(directory),
        hosts=hosts,
    )


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
