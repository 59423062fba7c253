"""`audit` and `harden`: select controls, run the roles, fold results, record, report."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from carehard import __version__
from carehard.catalog import Catalog, load_catalog
from carehard.engine.inventory import LOCAL, list_hosts, local_inventory
from carehard.engine.results import ResultFolder, apply_waivers, merge_verification
from carehard.engine.run import SITE_PLAYBOOK, PlaybookRun, new_run_id, run_playbook
from carehard.engine.selection import Selection, select_controls
from carehard.engine.winrm import connection_overlay
from carehard.errors import RunBroken, UsageError
from carehard.history import History
from carehard.model import HostOutcome, RunRecord, exit_code_of
from carehard.paths import history_path
from carehard.report import build_report, warm_up, write_reports
from carehard.report.fleet import report_extras
from carehard.report.trend import run_trend

# Modes that run in check mode (change nothing): `facts` collects the fleet inventory read-only.
CHECK_MODES = ("audit", "facts")

EventObserver = Callable[[Mapping[str, Any]], None]
ResultObserver = Callable[[str, str | None], None]


@dataclass(frozen=True)
class AssessOptions:
    mode: str  # "audit", "harden" or "facts"
    inventory: Path | None  # None: the local machine
    selection: Selection
    output: Path
    formats: tuple[str, ...]  # none: no report written
    allow_local: bool = False
    playbook: str = SITE_PLAYBOOK


@dataclass(frozen=True)
class AssessResult:
    run: RunRecord
    report_files: list[Path]
    exit_code: int


def assess(
    options: AssessOptions,
    on_event: EventObserver | None = None,
    on_result: ResultObserver | None = None,
) -> AssessResult:
    catalog = load_catalog()
    controls = [c.id for c in select_controls(catalog, options.selection)]
    inventory, host_vars = _resolve_inventory(options)
    if options.formats:
        _prepare_output(options.output)

    # What comes after the run (reports, history) gets ready while the playbook runs.
    warm = threading.Thread(target=_warm_up, args=(options.formats,), daemon=True)
    warm.start()
    run_id = new_run_id()
    started = _now()
    check_mode = options.mode in CHECK_MODES
    request = PlaybookRun(
        inventory=inventory,
        check_mode=check_mode,
        tags=controls,
        limit=options.selection.limit,
        extravars={"carehard_mode": options.mode, "carehard_level": options.selection.level},
        host_vars=host_vars,
        playbook=options.playbook,
    )
    hosts, artifacts = play(run_id, run_id, request, controls, on_event, on_result)
    if not check_mode:
        reachable = [h.name for h in hosts.values() if h.reachable]
        if reachable:
            verify = replace(request, check_mode=True, limit=",".join(reachable))
            verified, _ = play(run_id, f"{run_id}-verify", verify, controls, None, None)
            merge_verification(hosts, verified)
    apply_waivers(hosts.values())

    warm.join()
    record = RunRecord(
        id=run_id,
        mode=options.mode,
        started=started,
        finished=_now(),
        carehard_version=__version__,
        level=options.selection.level,
        selection={
            "inventory": str(options.inventory) if options.inventory else LOCAL,
            "limit": options.selection.limit,
            "only": list(options.selection.only),
            "skip": list(options.selection.skip),
        },
        controls=controls,
        exit_code=exit_code_of(hosts.values()),
        artifacts=str(artifacts),
        hosts=hosts,
    )
    files = record_and_report(record, catalog, options.output, options.formats)
    return AssessResult(record, files, record.exit_code)


def record_and_report(
    record: RunRecord, catalog: Catalog, output: Path, formats: tuple[str, ...]
) -> list[Path]:
    """Save the run in the history, then write its reports (none when no format is asked): the
    pass-rate trend, the fleet rows and the exposure map come from the history it joined."""
    history = History(history_path())
    history.save(record)
    if not formats:
        return []
    fleet, exposure = report_extras(history, record)
    report = build_report(record, catalog, trend=run_trend(history, record), fleet=fleet, exposure=exposure)
    return write_reports(report, output, formats)


def play(
    run_id: str,
    ident: str,
    request: PlaybookRun,
    controls: list[str],
    on_event: EventObserver | None,
    on_result: ResultObserver | None,
) -> tuple[dict[str, HostOutcome], Path]:
    folder = ResultFolder(request.check_mode, controls)

    def handle(event: Mapping[str, Any]) -> None:
        if on_event:
            on_event(event)
        touched = folder.feed(event)
        if touched and on_result:
            on_result(*touched)

    outcome = run_playbook(run_id, ident, request, handle)
    hosts = folder.outcomes()
    if not hosts:
        raise RunBroken(_why_no_host_ran(request, outcome.artifacts / "stdout"))
    return hosts, outcome.artifacts


def _why_no_host_ran(request: PlaybookRun, stdout: Path) -> str:
    """One line from ansible-playbook's output saying why it ran on no host."""
    try:
        text = stdout.read_text(encoding="utf-8", errors="replace")
        lines = [" ".join(ln.split()) for ln in text.splitlines()]
    except OSError:
        lines = []
    for line in lines:
        if line.startswith(("[ERROR]", "ERROR!")):
            reason = line.removeprefix("[ERROR]:").removeprefix("ERROR!").strip()
            return f"ansible-playbook stopped before any host ran: {reason} (see {stdout})"
    if request.limit:
        return f"no host of the inventory matches --limit {request.limit}"
    return f"no host of the inventory is in a group carehard runs on (e.g. linux_workstations): see {stdout}"


def _resolve_inventory(options: AssessOptions) -> tuple[Path | dict[str, Any], dict[str, dict[str, Any]]]:
    """The inventory to run on, and the host variables carehard adds to it (the WinRM connection
    of Windows hosts), checked before any run: a setting that cannot work is a UsageError."""
    if options.inventory is None:
        if options.mode == "harden" and not options.allow_local:
            raise UsageError(
                "harden without -i would change this machine: give -i INVENTORY, or --local to harden it"
            )
        return local_inventory(), {}
    hosts = list_hosts(options.inventory, options.selection.limit)
    if options.mode == "harden" and not options.allow_local:
        local = [h.name for h in hosts if h.connection == "local"]
        if local:
            raise UsageError(f"host {local[0]} uses the local connection: pass --local to harden it")
    return options.inventory.resolve(), connection_overlay(hosts)


def _warm_up(formats: tuple[str, ...]) -> None:
    try:
        warm_up(formats)
        History(history_path()).prepare()
    except Exception:  # done again after the run, where an error is reported
        pass


def _prepare_output(output: Path) -> None:
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create report directory {output}: {exc.strerror}") from None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
