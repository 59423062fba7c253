"""`carehard backup canary`: write a canary file for the next backup to carry, and record it."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from carehard import clock
from carehard.backups import load_sets
from carehard.catalog import Catalog
from carehard.engine.inventory import list_hosts
from carehard.engine.lock import HOSTS
from carehard.engine.run import PlaybookRun
from carehard.errors import UsageError
from carehard.history import History
from carehard.jobs.pipeline import Execution, Job, Policy, RunContext
from carehard.model import CanaryRecord, HostOutcome, RunRecord
from carehard.paths import inventory_identity

PLAYBOOK = "backup_canary.yml"
# It writes a file on a production host: the lock of the jobs that change hosts; its record is the canary.
WRITES_A_CANARY = Policy(lock=HOSTS, records=False, reports=False, waivers=False)


def canary_content(set_name: str, written: datetime, nonce: str) -> str:
    stamp = written.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"carehard backup canary\nset: {set_name}\nwritten: {stamp}\nnonce: {nonce}\n"


@dataclass
class CanaryJob(Job):
    inventory: Path
    set_name: str
    now: datetime | None = None  # when the canary is written (default: now)
    command: str = "backup canary"
    mode: str = "canary"
    policy: Policy = WRITES_A_CANARY

    def __post_init__(self) -> None:
        self.record: CanaryRecord | None = None
        self.problem: str | None = None
        self._source_host = ""  # set by prepare(), from the backup set
        self._path = ""

    def prepare(self, catalog: Catalog) -> None:
        self.inventory_hosts = list_hosts(self.inventory)  # once per run: the alerts read it too
        (backup_set,) = load_sets(self.inventory, (self.set_name,), self.inventory_hosts)
        if not backup_set.canary:
            raise UsageError(
                f"backup set {self.set_name} declares no canary path: add canary: /path/in/the/backup"
            )
        if not backup_set.source_host:
            raise UsageError(
                f"backup set {self.set_name} declares no source_host (the host whose data is backed up)"
            )
        self._source_host, self._path = backup_set.source_host, backup_set.canary

    def execute(self, ctx: RunContext) -> Execution:
        written = (self.now or clock.now()).replace(microsecond=0)
        content = canary_content(self.set_name, written, secrets.token_hex(16))
        request = PlaybookRun(
            inventory=self.inventory.resolve(),
            check_mode=False,
            tags=(),
            limit=self._source_host,
            extravars={
                "carehard_canary": {
                    "path": self._path,
                    "content": content,
                    "epoch": int(written.timestamp()),
                }
            },
            playbook=PLAYBOOK,
        )
        hosts, outcome = ctx.run(request)
        host = hosts.get(self._source_host)
        if host is None:
            self.problem = f"the canary playbook did not run (see {outcome.artifacts / 'stdout'})"
            host = HostOutcome(self._source_host, errors=[self.problem])
        elif not host.reachable or host.errors:
            self.problem = "; ".join(host.errors) or f"{self._source_host} is unreachable"
        else:
            self.record = CanaryRecord(
                backup_set=self.set_name,
                host=self._source_host,
                path=self._path,
                written_at=written.strftime("%Y-%m-%dT%H:%M:%SZ"),
                sha256=hashlib.sha256(content.encode()).hexdigest(),
                mtime=int(written.timestamp()),
                run_id=ctx.run_id,
            )
        selection = {"inventory": inventory_identity(self.inventory), "set": self.set_name}
        return Execution({host.name: host}, outcome.artifacts, [], selection)

    def finish(self, record: RunRecord, history: History) -> None:
        if self.record is not None:
            history.add_canary(self.record)
