"""`audit`, `harden` and `facts`: select controls, run the roles on the inventory (or this machine),
and for harden audit again what it changed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from carehard.catalog import Catalog
from carehard.directories import CONTROL_PREFIX as DIRECTORY_AUDIT
from carehard.directories import check_declared as check_declared_directories
from carehard.engine.inventory import LOCAL, list_hosts, local_host, local_inventory
from carehard.engine.lock import HOSTS
from carehard.engine.plays import Batch, batches, plays_of
from carehard.engine.results import merge_verification
from carehard.engine.run import SITE_PLAYBOOK, PlaybookRun
from carehard.engine.selection import Selection, select_controls
from carehard.engine.winrm import connection_overlay
from carehard.errors import UsageError
from carehard.jobs.pipeline import Execution, Job, Policy, RunContext
from carehard.model import HostOutcome
from carehard.paths import inventory_identity
from carehard.vendors import check_declared as check_declared_vendors
from carehard.waivers import check_waivers

# Modes that run in check mode (change nothing): `facts` collects the fleet inventory read-only.
CHECK_MODES = ("audit", "facts")
ON_HOSTS = Policy(lock=HOSTS, warm_up=True)
# The controls of the remote_access role, which reads carehard_vendors (harden locks what it declares).
REMOTE_ACCESS = "RA-"


LOCAL_HARDEN_REFUSED = (
    "harden without -i would change this machine: give -i INVENTORY, or --local to harden it"
)
LOCAL_DRY_RUN_REFUSED = (
    "harden --dry-run without -i: give -i INVENTORY, or --local to see what harden --local would change here"
)


@dataclass
class AssessJob(Job):
    mode: str  # "audit", "harden" or "facts"
    inventory: Path | None  # None: the local machine
    selection: Selection
    allow_local: bool = False
    playbook: str = SITE_PLAYBOOK
    policy: Policy = ON_HOSTS
    # `harden --dry-run`: an audit (check mode, recorded as one) of what harden would apply, refused
    # where harden would be (this machine without --local).
    dry_run: bool = False

    def __post_init__(self) -> None:
        if self.dry_run:
            self.mode = "audit"
        self.command = "harden --dry-run" if self.dry_run else self.mode
        self._controls: list[str] = []
        self._target: Path | dict[str, Any] = {}
        self._host_vars: dict[str, dict[str, Any]] = {}
        self._batches: list[Batch] = []

    def prepare(self, catalog: Catalog) -> None:
        self._controls = [c.id for c in select_controls(catalog, self.selection)]
        self._target, self._host_vars = self._resolve_inventory(catalog)
        hosts = self.inventory_hosts or [local_host()]
        self._batches = batches(hosts, plays_of(self.playbook), catalog, self._controls, self.selection.limit)
        if not self._batches:
            where = f" matching --limit {self.selection.limit}" if self.selection.limit else ""
            groups = ", ".join(sorted({p.hosts for p in plays_of(self.playbook)}))
            raise UsageError(
                f"no host of the inventory{where} is in a group {self.playbook} runs on ({groups})"
            )

    def execute(self, ctx: RunContext) -> Execution:
        check_mode = self.mode in CHECK_MODES
        request = PlaybookRun(
            inventory=self._target,
            check_mode=check_mode,
            tags=self._controls,
            limit=self.selection.limit,
            # carehard_preview: the fixes run in check mode, so their diffs show what harden would
            # change (an audit judges each family from its probe and leaves the fixes out).
            extravars={
                "carehard_mode": self.mode,
                "carehard_level": self.selection.level,
                "carehard_preview": self.dry_run,
            },
            host_vars=self._host_vars,
            playbook=self.playbook,
        )
        hosts: dict[str, HostOutcome] = {}
        artifacts: Path | None = None
        # One run per batch (carehard.engine.plays): a play that failed on all the hosts of one
        # batch cannot end the plays of another.
        for number, batch in enumerate(self._batches, start=1):
            ident = ctx.run_id if number == 1 else f"{ctx.run_id}-{number}"
            run = replace(request, limit=batch.limit)
            done, path = ctx.play(run, self._controls, ident, targets=batch.controls)
            hosts.update(done)
            artifacts = artifacts or path
            if not check_mode:
                reachable = {
                    n: batch.controls[n] for n, h in done.items() if h.reachable and n in batch.controls
                }
                if reachable:
                    verify = replace(run, check_mode=True, limit=",".join(reachable))
                    verified, _ = ctx.play(
                        verify, self._controls, f"{ident}-verify", watched=False, targets=reachable
                    )
                    merge_verification(done, verified)
        assert artifacts is not None  # prepare() leaves at least one batch
        selection = {
            "inventory": inventory_identity(self.inventory) if self.inventory else LOCAL,
            "limit": self.selection.limit,
            "only": list(self.selection.only),
            "skip": list(self.selection.skip),
        }
        return Execution(hosts, artifacts, self._controls, selection, self.selection.level)

    def _resolve_inventory(self, catalog: Catalog) -> tuple[Path | dict[str, Any], dict[str, dict[str, Any]]]:
        """The inventory to run on, and the host variables carehard adds to it (the WinRM connection
        of Windows hosts), checked before any run with the waivers and, for remote access, the vendors it
        declares, for the directory audit, the directories: what cannot work is a UsageError."""
        hardening = self.mode == "harden" or self.dry_run
        if self.inventory is None:
            if hardening and not self.allow_local:
                raise UsageError(LOCAL_DRY_RUN_REFUSED if self.dry_run else LOCAL_HARDEN_REFUSED)
            return local_inventory(), {}
        hosts = list_hosts(self.inventory, self.selection.limit)
        self.inventory_hosts = hosts
        check_waivers(hosts, {c.id for c in catalog.all()}, f"inventory {self.inventory}")
        if any(control.startswith(REMOTE_ACCESS) for control in self._controls):
            check_declared_vendors(hosts, f"inventory {self.inventory}")
        if any(control.startswith(DIRECTORY_AUDIT) for control in self._controls):
            check_declared_directories(hosts, f"inventory {self.inventory}")
        if hardening and not self.allow_local:
            local = [h.name for h in hosts if h.connection == "local"]
            if local:
                raise UsageError(f"host {local[0]} uses the local connection: pass --local to harden it")
        return self.inventory.resolve(), connection_overlay(hosts)
