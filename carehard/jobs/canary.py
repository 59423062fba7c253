"""`carehard backup canary`: write a canary file for the next backup to carry, and record it."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from carehard.backups import load_sets
from carehard.engine.results import ResultFolder
from carehard.engine.run import PlaybookRun, new_run_id, run_playbook
from carehard.errors import UsageError
from carehard.history import History
from carehard.model import CanaryRecord
from carehard.paths import history_path

PLAYBOOK = "backup_canary.yml"


@dataclass(frozen=True)
class CanaryOutcome:
    record: CanaryRecord | None
    problem: str | None


def canary_content(set_name: str, written: datetime, nonce: str) -> str:
    stamp = written.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"carehard backup canary\nset: {set_name}\nwritten: {stamp}\nnonce: {nonce}\n"


def write_canary(inventory: Path, set_name: str, now: datetime | None = None) -> CanaryOutcome:
    (backup_set,) = load_sets(inventory, (set_name,))
    if not backup_set.canary:
        raise UsageError(f"backup set {set_name} declares no canary path: add canary: /path/in/the/backup")
    if not backup_set.source_host:
        raise UsageError(f"backup set {set_name} declares no source_host (the host whose data is backed up)")
    written = (now or datetime.now(UTC)).replace(microsecond=0)
    content = canary_content(set_name, written, secrets.token_hex(16))
    run_id = new_run_id()
    request = PlaybookRun(
        inventory=inventory.resolve(),
        check_mode=False,
        tags=(),
        limit=backup_set.source_host,
        extravars={
            "carehard_canary": {
                "path": backup_set.canary,
                "content": content,
                "epoch": int(written.timestamp()),
            }
        },
        playbook=PLAYBOOK,
    )
    folder = ResultFolder(check_mode=False, controls=[])

    def handle(event: Mapping[str, Any]) -> None:
        folder.feed(event)

    outcome = run_playbook(run_id, run_id, request, handle)
    host = folder.outcomes().get(backup_set.source_host)
    if host is None:
        return CanaryOutcome(None, f"the canary playbook did not run (see {outcome.artifacts / 'stdout'})")
    if not host.reachable or host.errors:
        return CanaryOutcome(None, "; ".join(host.errors) or f"{backup_set.source_host} is unreachable")
    record = CanaryRecord(
        backup_set=set_name,
        host=backup_set.source_host,
        path=backup_set.canary,
        written_at=written.strftime("%Y-%m-%dT%H:%M:%SZ"),
        sha256=hashlib.sha256(content.encode()).hexdigest(),
        mtime=int(written.timestamp()),
        run_id=run_id,
    )
    History(history_path()).add_canary(record)
    return CanaryOutcome(record, None)
