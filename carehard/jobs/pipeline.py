"""The one way a job runs, whatever the command: the job's lock, a run id and its clock, the
playbook runs folded into one outcome per host, waivers, the history, the reports, the metrics
file and the alerts, each as the job's policy says; then old run directories pruned when the config
file says so (runs_prune.py). Jobs (the other modules of this package) say
what to run and what their results mean; nothing here knows one job from another.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from carehard import __version__, clock, metrics, notify
from carehard.catalog import Catalog, load_catalog
from carehard.engine.inventory import InventoryHost
from carehard.engine.lock import run_lock
from carehard.engine.results import ResultFolder, RunObserver, apply_waivers
from carehard.engine.run import PlaybookRun, RunnerOutcome, new_run_id, run_playbook
from carehard.errors import HistoryError, RunBroken, UsageError
from carehard.establishment import load_establishment
from carehard.history import History
from carehard.history.connection import writable
from carehard.history.upkeep import check_before_run
from carehard.jobs.runs_prune import configured_policy, prune_after_run
from carehard.lang import report_lang
from carehard.model import EXIT_UNSAVED, BackupCheck, HostOutcome, RunRecord, exit_code_of
from carehard.paths import history_path, state_dir
from carehard.report import build_report, warm_up, write_reports
from carehard.report.fleet import report_extras
from carehard.report.trend import run_trend


@dataclass(frozen=True)
class Policy:
    """What the pipeline does around a job's playbook runs."""

    lock: str  # the run lock it holds (carehard.engine.lock): jobs on the fleet's hosts share one
    records: bool = True  # the run is saved in the history (runs list, report --run, trends)
    reports: bool = True  # reports are written, in the formats the command asks
    waivers: bool = True  # a failing control under an active waiver is `waived`
    warm_up: bool = False  # get the report renderers and the history ready while the playbook runs


@dataclass(frozen=True)
class Outputs:
    """Where a run's results go besides the history, as the command line asks."""

    directory: Path = Path("carehard-report")
    formats: tuple[str, ...] = ()
    metrics_file: Path | None = None
    lang: str | None = None  # None: the config file's, else the locale's
    verbosity: int = 0  # -v...: ansible-playbook's, its output also on stderr


@dataclass
class Execution:
    """What a job's playbook runs gave, and what the run record says of its request."""

    hosts: dict[str, HostOutcome]
    artifacts: Path
    controls: list[str]
    selection: dict[str, Any]
    level: int = 1


@dataclass
class JobResult:
    run: RunRecord
    report_files: list[Path]
    notes: list[str] = field(default_factory=list)  # "metrics: PATH", "notified: ..." for the terminal
    warnings: list[str] = field(default_factory=list)  # what failed without costing the exit code
    unsaved: str | None = None  # why the run is not in the history (its reports are written)

    @property
    def exit_code(self) -> int:
        return EXIT_UNSAVED if self.unsaved else self.run.exit_code


class RunContext:
    """What a job's execute() gets: the run's id, and the playbook runs folded for it."""

    def __init__(
        self, run_id: str, catalog: Catalog, observer: RunObserver | None, verbosity: int = 0
    ) -> None:
        self.run_id = run_id
        self.catalog = catalog
        self.observer = observer
        self.verbosity = verbosity

    def run(
        self,
        request: PlaybookRun,
        controls: Sequence[str] = (),
        ident: str | None = None,
        watched: bool = True,
        targets: Mapping[str, Sequence[str]] | None = None,
    ) -> tuple[dict[str, HostOutcome], RunnerOutcome]:
        """One playbook run, its events folded into one outcome per host it reached (and per
        target, with the controls it was to run: see ResultFolder)."""
        observer = self.observer if watched else None
        folder = ResultFolder(request.check_mode, controls, observer, targets)
        if self.verbosity:
            request = replace(request, verbosity=self.verbosity)
        outcome = run_playbook(self.run_id, ident or self.run_id, request, folder.feed)
        return folder.outcomes(), outcome

    def play(
        self,
        request: PlaybookRun,
        controls: Sequence[str],
        ident: str | None = None,
        watched: bool = True,
        targets: Mapping[str, Sequence[str]] | None = None,
    ) -> tuple[dict[str, HostOutcome], Path]:
        """As run(), for a playbook that must reach hosts: one that ran on none raises RunBroken."""
        hosts, outcome = self.run(request, controls, ident, watched, targets)
        if not hosts:
            raise RunBroken(_why_no_host_ran(request, outcome.artifacts / "stdout"))
        return hosts, outcome.artifacts


class Job:
    """A job: what one command runs. Subclasses set `command`, `mode`, `policy` and `inventory`,
    and implement execute(); the other hooks have the defaults most jobs want."""

    command: str  # as the user typed it, e.g. "backup verify": the lock's record, the messages
    mode: str  # the run record's mode
    policy: Policy
    inventory: Path | None  # where alert settings are looked for (else the config file)
    # The inventory's hosts as prepare() listed them, if it did: read again by nobody else.
    inventory_hosts: Sequence[InventoryHost] | None = None

    def prepare(self, catalog: Catalog) -> None:
        """Check what the job needs, holding the lock and before anything runs (UsageError)."""

    def execute(self, ctx: RunContext) -> Execution:
        raise NotImplementedError

    def finish(self, record: RunRecord, history: History) -> None:
        """The job's own records, once the run is recorded (backup checks, vendor windows...)."""

    def report_parts(self, record: RunRecord, history: History) -> dict[str, Any]:
        """build_report's keyword arguments beyond the run and the catalog."""
        fleet, exposure = report_extras(history, record)
        return {"trend": run_trend(history, record), "fleet": fleet, "exposure": exposure}

    def backup_checks(self) -> Sequence[BackupCheck]:
        """The per-set verdicts the metrics file carries (backup verify only)."""
        return ()


def run_job(job: Job, outputs: Outputs = Outputs(), observer: RunObserver | None = None) -> JobResult:
    """Run the job the one way: see the module's docstring. Raises UsageError or RunBroken on what
    stops it before any result (a held lock, a bad input, a playbook that reached no host, a
    read-only state directory)."""
    if not writable(history_path()):
        raise UsageError(
            f"the state directory {state_dir()} is read-only: carehard can read its history there "
            "(runs list, report) but not run; set CAREHARD_STATE_DIR to a writable directory"
        )
    with run_lock(job.policy.lock, job.command):
        catalog = load_catalog()
        job.prepare(catalog)
        set_aside = check_before_run(history_path()) if job.policy.records else None
        if outputs.metrics_file is not None:
            metrics.check_target(outputs.metrics_file)
        alerts = notify.load_settings(job.inventory, job.inventory_hosts)
        establishment = load_establishment() if job.policy.reports else None
        prune_policy = configured_policy()
        lang = report_lang(outputs.lang)
        formats = outputs.formats if job.policy.reports else ()
        if formats:
            _prepare_output(outputs.directory)
        warm = threading.Thread(target=_warm_up, args=(formats,), daemon=True)
        if job.policy.warm_up:
            warm.start()
        run_id = new_run_id()
        started = clock.now_iso()
        done = job.execute(RunContext(run_id, catalog, observer, outputs.verbosity))
        if job.policy.waivers:
            apply_waivers(done.hosts.values())
        if job.policy.warm_up:
            warm.join()
        record = RunRecord(
            id=run_id,
            mode=job.mode,
            started=started,
            finished=clock.now_iso(),
            carehard_version=__version__,
            level=done.level,
            selection=done.selection,
            controls=done.controls,
            exit_code=exit_code_of(done.hosts.values()),
            artifacts=str(done.artifacts),
            hosts=done.hosts,
        )
        history = History(history_path())
        unsaved = _record(job, record, history)
        files: list[Path] = []
        if formats:
            parts = _report_parts(job, record, history)
            report = build_report(record, catalog, establishment=establishment, lang=lang, **parts)
            files = write_reports(report, outputs.directory, formats)
    result = JobResult(record, files, unsaved=unsaved)
    if set_aside:
        result.warnings.append(set_aside)
    _write_metrics(result, outputs.metrics_file, job.backup_checks())
    _alert(result, alerts, lang)
    pruned = prune_after_run(prune_policy, record.id)  # outside the lock: it takes every run lock
    if pruned:
        result.warnings.append(pruned)
    return result


def _record(job: Job, record: RunRecord, history: History) -> str | None:
    """The run, then the job's own records, in the history; what kept them out, on one line. The
    reports are written after this whatever it says: a run is never lost with its history."""
    try:
        if job.policy.records:
            history.save(record)
        job.finish(record, history)
    except HistoryError as exc:
        return f"{exc}; run {record.id} is not in the history, its reports are written"
    return None


def _report_parts(job: Job, record: RunRecord, history: History) -> dict[str, Any]:
    """The job's report parts from the history; an unusable history gives the report without them."""
    try:
        return job.report_parts(record, history)
    except HistoryError:
        return {}


def _write_metrics(result: JobResult, path: Path | None, checks: Sequence[BackupCheck]) -> None:
    """A metrics file that cannot be written is a warning: the exit code stays the checks'."""
    if path is None:
        return
    try:
        metrics.write_run_metrics(path, result.run, checks)
    except OSError as exc:
        result.warnings.append(f"metrics not written to {path}: {exc.strerror or exc}")
    except HistoryError as exc:
        result.warnings.append(f"metrics not written to {path}: {exc}")
    else:
        result.notes.append(f"metrics: {path}")


def _alert(result: JobResult, settings: Any, lang: str) -> None:
    """Alerts after the run (docs/notify.md): a channel that fails is a warning, never the exit code."""
    for delivery in notify.notify_run(settings, result.run, result.report_files, lang):
        if delivery.ok:
            result.notes.append(f"notified: {delivery.text}")
        else:
            result.warnings.append(f"notification by {delivery.channel} failed: {delivery.text}")


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
