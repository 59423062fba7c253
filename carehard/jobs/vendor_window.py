"""Open or close a vendor window on its hosts (playbooks/vendor_window.yml) and record it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from carehard.engine.results import ResultFolder
from carehard.engine.run import PlaybookRun, new_run_id, run_playbook
from carehard.engine.winrm import connection_overlay
from carehard.history import History
from carehard.model import WindowRecord
from carehard.paths import history_path
from carehard.vendors import Window, iso

WINDOW_PLAYBOOK = "vendor_window.yml"


@dataclass(frozen=True)
class WindowOutcome:
    done: list[str]
    failed: dict[str, str]  # host -> why
    run_id: str
    artifacts: Path
    replaced: int = 0


def apply_window(inventory: Path, window: Window) -> WindowOutcome:
    """Run the window on every host, then record it for the hosts where it took.

    The hosts come from the inventory as Ansible lists them (vendors.plan_window); the WinRM
    connection of the Windows ones is checked, and completed, before anything runs."""
    run_id = new_run_id()
    request = PlaybookRun(
        inventory=inventory.resolve(),
        check_mode=False,
        tags=(),
        limit=",".join(h.name for h in window.hosts),
        extravars=window.extravars(),
        playbook=WINDOW_PLAYBOOK,
        host_vars=connection_overlay(window.hosts),
    )
    folder = ResultFolder(check_mode=False, controls=[])

    def handle(event: Mapping[str, Any]) -> None:
        folder.feed(event)

    outcome = run_playbook(run_id, run_id, request, handle)
    seen = folder.outcomes()
    done: list[str] = []
    failed: dict[str, str] = {}
    for host in window.hosts:
        result = seen.get(host.name)
        if result is None:
            failed[host.name] = f"did not run (see {outcome.artifacts / 'stdout'})"
        elif not result.reachable or result.errors:
            failed[host.name] = "; ".join(result.errors) or "unreachable"
        else:
            done.append(host.name)
    history = History(history_path())
    closed = 0
    if window.action == "open" and window.end is not None and done:
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
                    run_id=run_id,
                )
                for name in done
            ]
        )
    elif window.action == "close" and done:
        closed = history.close_windows(window.vendor.name, done, window.by, iso(datetime.now(UTC)))
    return WindowOutcome(done, failed, run_id, outcome.artifacts, closed)
