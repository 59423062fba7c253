"""Open or close a vendor window on its hosts (playbooks/vendor_window.yml) and record it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from carehard import clock
from carehard.engine.lock import HOSTS
from carehard.engine.run import PlaybookRun
from carehard.engine.winrm import connection_overlay
from carehard.history import History
from carehard.jobs.pipeline import Execution, Job, Policy, RunContext
from carehard.model import HostOutcome, RunRecord, WindowRecord
from carehard.paths import inventory_identity
from carehard.vendors import Window, iso

WINDOW_PLAYBOOK = "vendor_window.yml"
# It rewrites sshd's Match rules and reloads sshd, as harden does: never both at once.
CHANGES_ACCESS = Policy(lock=HOSTS, records=False, reports=False, waivers=False)


@dataclass
class VendorWindowJob(Job):
    """Run the window on every host, then record it for the hosts where it took.

    The hosts come from the inventory as Ansible lists them (vendors.plan_window); the WinRM
    connection of the Windows ones is checked, and completed, before anything runs."""

    inventory: Path
    window: Window
    policy: Policy = CHANGES_ACCESS
    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # host -> why
    closed: int = 0  # windows the history closed

    def __post_init__(self) -> None:
        self.command = f"vendor {self.window.action}"
        self.mode = f"vendor-{self.window.action}"
        self.inventory_hosts = self.window.listed or None  # the alerts' settings: not listed again
        self._host_vars = connection_overlay(self.window.hosts)  # a refused WinRM setting: UsageError now

    def execute(self, ctx: RunContext) -> Execution:
        request = PlaybookRun(
            inventory=self.inventory.resolve(),
            check_mode=False,
            tags=(),
            limit=",".join(h.name for h in self.window.hosts),
            extravars=self.window.extravars(),
            playbook=WINDOW_PLAYBOOK,
            host_vars=self._host_vars,
        )
        seen, outcome = ctx.run(request)
        hosts: dict[str, HostOutcome] = {}
        for wanted in self.window.hosts:
            host = seen.get(wanted.name)
            if host is None:
                self.failed[wanted.name] = f"did not run (see {outcome.artifacts / 'stdout'})"
                host = HostOutcome(wanted.name, errors=[self.failed[wanted.name]])
            elif not host.reachable or host.errors:
                self.failed[wanted.name] = "; ".join(host.errors) or "unreachable"
            else:
                self.done.append(wanted.name)
            hosts[wanted.name] = host
        selection = {"inventory": inventory_identity(self.inventory), "vendor": self.window.vendor.name}
        return Execution(hosts, outcome.artifacts, [], selection)

    def finish(self, record: RunRecord, history: History) -> None:
        window = self.window
        if window.action == "open" and window.end is not None and self.done:
            history.open_windows(
                [
                    WindowRecord(
                        vendor=window.vendor.name,
                        account=window.vendor.account,
                        host=name,
                        opened_by=window.by,
                        opened_at=iso(window.start),
                        reason=window.reason,
                        ends_at=iso(window.end),
                        run_id=record.id,
                    )
                    for name in self.done
                ]
            )
        elif window.action == "close" and self.done:
            self.closed = history.close_windows(window.vendor.name, self.done, window.by, iso(clock.now()))
