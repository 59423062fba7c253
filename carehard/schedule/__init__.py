"""`carehard schedule`: install, list and remove the systemd timers (or cron files) of scheduled runs.

Everything a request names is checked before anything is written; the files are then written
whole (temporary file, then rename) and systemd is told. CAREHARD_SCHEDULE_ROOT puts the unit,
cron and log directories under another root, for tests: there no systemd is ever reloaded,
only `systemctl --root` enables the timer.
"""

from __future__ import annotations

import dataclasses
import os
import pwd
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from carehard import clock
from carehard.durations import parse_duration
from carehard.errors import UsageError
from carehard.files import stage
from carehard.schedule.sandbox import TEMPORARY_DIRS, paths_used, refuse_read_only, temporary_warning, under
from carehard.schedule.units import (
    DEFAULT_TIMEOUT,
    DEFAULTS,
    JOBS,
    JobSchedule,
    next_run,
    parse_at,
    parse_day,
    render_cron,
    render_service,
    render_timer,
)

METHODS = ("auto", "systemd", "cron")
# Passed on to the scheduled run, so it records where the installer's runs do and opens the same vault.
PASSED_ENVIRONMENT = ("CAREHARD_STATE_DIR", "ANSIBLE_VAULT_PASSWORD_FILE", "ANSIBLE_BECOME_PASSWORD_FILE")


@dataclass(frozen=True)
class Layout:
    """Where schedules live: under / for real, under a scratch root for tests."""

    root: Path

    @property
    def is_system(self) -> bool:
        return self.root == Path("/")

    @property
    def unit_dir(self) -> Path:
        return self.root / "etc/systemd/system"

    @property
    def cron_dir(self) -> Path:
        return self.root / "etc/cron.d"

    @property
    def log_dir(self) -> Path:
        return self.root / "var/log/carehard"

    def systemd_running(self) -> bool:
        return (self.root / "run/systemd/system").is_dir()


def layout() -> Layout:
    return Layout(Path(os.environ.get("CAREHARD_SCHEDULE_ROOT") or "/").resolve())


@dataclass(frozen=True)
class InstallRequest:
    job: str
    every: str | None = None  # "daily", "weekly" or None: the job's default
    day: str | None = None
    at: str | None = None
    inventory: Path | None = None
    user: str | None = None
    output: Path | None = None
    metrics_file: Path | None = None
    timeout: str = DEFAULT_TIMEOUT
    method: str = "auto"
    extra: tuple[str, ...] = ()


@dataclass
class Plan:
    """What an install or a remove does: files to write or delete, then commands to run."""

    method: str
    write: dict[Path, str] = field(default_factory=dict)
    delete: list[Path] = field(default_factory=list)
    commands: list[list[str]] = field(default_factory=list)
    after_delete: list[list[str]] = field(default_factory=list)
    log: Path | None = None
    owner: str = "root"
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Installed:
    schedule: JobSchedule
    method: str
    files: tuple[Path, ...]


def check_job(job: str) -> None:
    if job == "harden":
        raise UsageError(
            "harden is not schedulable: it changes hosts, so a person runs it; schedule audit instead"
        )
    if job not in JOBS:
        raise UsageError(f"unknown job '{job}': schedule one of {', '.join(JOBS)}")


def plan_install(
    request: InstallRequest,
    where: Layout,
    installed_by: str,
    dry_run: bool,
    check_args: Callable[[list[str]], None] | None = None,
) -> Plan:
    """Check every input and build the plan; raises UsageError naming what to fix."""
    schedule = _schedule(request, where)
    if check_args is not None:
        check_args(list(schedule.command[_executable_words() :]))
    method = _method(request.method, where, dry_run)
    executable = Path(carehard_executable()[0])
    reads, writes = paths_used(executable, request.inventory, request.output, request.metrics_file)
    if method == "systemd":
        refuse_read_only(writes)
    temporary = {what: path for what, path in {**reads, **writes}.items() if under(path, TEMPORARY_DIRS)}
    plan = Plan(method, owner=schedule.user)
    if temporary:
        schedule = dataclasses.replace(schedule, private_tmp=False)
        plan.warnings.append(temporary_warning(request.job, temporary, method))
    if method == "systemd":
        unit = where.unit_dir / schedule.unit
        plan.write[unit.with_suffix(".service")] = render_service(schedule, installed_by)
        plan.write[unit.with_suffix(".timer")] = render_timer(schedule, installed_by)
        plan.commands = _systemctl(where, "enable", f"{schedule.unit}.timer")
    else:
        plan.log = Path(schedule.log)
        plan.write[where.cron_dir / schedule.unit] = render_cron(schedule, installed_by)
    if not dry_run:
        for directory in {path.parent for path in plan.write}:
            _check_writable(directory, method)
    return plan


def plan_remove(job: str, where: Layout) -> Plan:
    check_job(job)
    found = [i for i in installed(where) if i.schedule.job == job]
    if not found:
        raise UsageError(f"{job} is not scheduled here: see carehard schedule list")
    plan = Plan(method=" and ".join(i.method for i in found))
    for item in found:
        plan.delete.extend(item.files)
        if item.method == "systemd":
            plan.commands += _systemctl(where, "disable", f"{item.schedule.unit}.timer")
            if where.is_system and where.systemd_running():
                plan.after_delete.append(["systemctl", "daemon-reload"])
    for path in plan.delete:
        _check_writable(path.parent, plan.method)
    return plan


def apply(plan: Plan) -> None:
    """Write every file whole, or none; then run the commands; then delete what goes."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in plan.write.items():
            staged.append((stage(path, text, mode=0o644), path))
        if plan.log is not None:
            _prepare_log(plan.log, plan.owner)
    except OSError as exc:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise UsageError(f"cannot write {exc.filename or 'the schedule'}: {exc.strerror or exc}") from exc
    for temporary, path in staged:
        os.replace(temporary, path)
    for command in plan.commands:
        _run(command)
    for path in plan.delete:
        path.unlink(missing_ok=True)
    for command in plan.after_delete:
        _run(command)


def installed(where: Layout) -> list[Installed]:
    """The jobs carehard scheduled here, read back from the files' headers (others are ignored)."""
    found: list[Installed] = []
    for timer in sorted(where.unit_dir.glob("carehard-*.timer")):
        schedule = _read_schedule(timer)
        if schedule is not None:
            found.append(Installed(schedule, "systemd", (timer.with_suffix(".service"), timer)))
    for cron in sorted(where.cron_dir.glob("carehard-*")):
        schedule = _read_schedule(cron)
        if schedule is not None:
            found.append(Installed(schedule, "cron", (cron,)))
    return found


def status_rows(where: Layout, now: datetime | None = None) -> list[dict[str, str]]:
    """One row per installed job: when, next run, last run and its result where systemd knows them."""
    now = now or clock.now().astimezone()  # next runs in the machine's local time
    rows = []
    for item in installed(where):
        schedule = item.schedule
        row = {
            "job": schedule.job,
            "method": item.method,
            "when": schedule.when(),
            "user": schedule.user,
            "next_run": "",
            "last_run": "",
            "last_result": "",
            "command": " ".join(schedule.command),
            "files": ", ".join(str(p) for p in item.files),
        }
        if item.method == "systemd" and where.is_system and where.systemd_running():
            row.update(_systemd_status(schedule.unit))
        else:  # computed: cron says nothing, and a systemd not running here cannot be asked
            row["next_run"] = next_run(schedule, now).strftime("%Y-%m-%d %H:%M %Z").strip()
            if item.method == "cron":
                row["last_result"] = f"see {schedule.log}"
        rows.append(row)
    return rows


def carehard_executable() -> list[str]:
    """The carehard that runs now, by absolute path, so that a venv install is the one scheduled."""
    python = Path(os.path.abspath(sys.executable))  # not resolved: a venv's python is a symlink
    script = python.parent / "carehard"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [str(python), "-m", "carehard"]


def _executable_words() -> int:
    return len(carehard_executable())


def _schedule(request: InstallRequest, where: Layout) -> JobSchedule:
    check_job(request.job)
    every, default_day, default_at = DEFAULTS[request.job]
    if request.day is not None:
        if request.every == "daily":
            raise UsageError("--day goes with --weekly, not --daily")
        every = "weekly"
    elif request.every is not None:
        every = request.every
    day = parse_day(request.day) if request.day is not None else default_day
    at = parse_at(request.at) if request.at is not None else default_at
    seconds = parse_duration(request.timeout, "--timeout")
    user = request.user or pwd.getpwuid(os.geteuid()).pw_name
    try:
        pwd.getpwnam(user)
    except KeyError:
        raise UsageError(f"--user '{user}': no such account on this machine") from None
    command = [*carehard_executable(), *JOBS[request.job]]
    if request.inventory is not None:
        inventory = request.inventory.expanduser().absolute()
        if not inventory.exists():
            raise UsageError(
                f"inventory {request.inventory} not found (-i): give an existing file or directory"
            )
        command += ["-i", str(inventory)]
    elif request.job == "backup-verify":
        raise UsageError("backup-verify needs -i INVENTORY, the inventory declaring carehard_backup_sets")
    if request.output is not None:
        command += ["--output", str(_in_existing_dir(request.output, "--output"))]
    if request.metrics_file is not None:
        metrics = _in_existing_dir(request.metrics_file, "--metrics-file")
        if metrics.is_dir():
            raise UsageError(f"--metrics-file {request.metrics_file} is a directory: give a file name")
        command += ["--metrics-file", str(metrics)]
    environment = tuple((k, os.environ[k]) for k in PASSED_ENVIRONMENT if os.environ.get(k))
    return JobSchedule(
        job=request.job,
        every=every,
        day=day,
        at=at,
        user=user,
        timeout=_compact_duration(seconds),
        command=(*command, *request.extra),
        environment=environment,
        log=str(where.log_dir / f"{request.job}.log"),
    )


def _in_existing_dir(path: Path, option: str) -> Path:
    absolute = path.expanduser().absolute()
    if not absolute.parent.is_dir():
        raise UsageError(f"{option} {path}: directory {absolute.parent} does not exist")
    return absolute


def _compact_duration(seconds: int) -> str:
    """4h rather than 14400s: systemd and coreutils' timeout both read s, m, h, d."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _method(requested: str, where: Layout, dry_run: bool) -> str:
    if requested not in METHODS:
        raise UsageError(f"--method '{requested}': one of {', '.join(METHODS)}")
    if requested == "auto":
        return "systemd" if where.systemd_running() else "cron"
    if requested == "systemd" and where.is_system and not where.systemd_running() and not dry_run:
        raise UsageError("systemd is not running here (no /run/systemd/system): use --method cron")
    return requested


def _systemctl(where: Layout, action: str, timer: str) -> list[list[str]]:
    if not where.is_system:
        return [["systemctl", f"--root={where.root}", action, timer]]
    if action == "enable":
        return [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", timer]]
    return [["systemctl", "disable", "--now", timer]]


def _check_writable(directory: Path, method: str) -> None:
    if not directory.is_dir():
        hint = "is cron installed? or use --method systemd" if method == "cron" else "is systemd installed?"
        raise UsageError(f"{directory} does not exist: {hint}")
    if not os.access(directory, os.W_OK):
        raise UsageError(f"cannot write to {directory}: run carehard schedule as root")


def _read_schedule(path: Path) -> JobSchedule | None:
    try:
        return JobSchedule.from_metadata(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def _prepare_log(log: Path, owner: str) -> None:
    """The cron job appends its output here: a file the job's user may write, others may not read."""
    log.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    log.touch(mode=0o640, exist_ok=True)
    account = pwd.getpwnam(owner)
    if os.geteuid() == 0:
        os.chown(log, account.pw_uid, account.pw_gid)


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise UsageError(f"{command[0]} not found: cannot run {' '.join(command)}")
    proc = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    if proc.returncode != 0:
        why = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        raise UsageError(f"{' '.join(command)} failed: {why}")


def _systemd_status(unit: str) -> dict[str, str]:
    timer = _show(f"{unit}.timer", "NextElapseUSecRealtime", "LastTriggerUSec")
    service = _show(
        f"{unit}.service",
        "Result",
        "ExecMainStatus",
        "ActiveState",
        "ExecMainStartTimestamp",
        "ExecMainExitTimestamp",
    )
    if service.get("ActiveState") == "activating":
        result = "running"
    elif not service.get("ExecMainExitTimestamp"):
        result = "never run"
    else:
        result = f"{service.get('Result', '?')} (exit code {service.get('ExecMainStatus', '?')})"
    return {
        "next_run": timer.get("NextElapseUSecRealtime", ""),
        # The service's own start counts too: a run started by hand is a run.
        "last_run": service.get("ExecMainStartTimestamp") or timer.get("LastTriggerUSec") or "never",
        "last_result": result,
    }


def _show(unit: str, *properties: str) -> dict[str, str]:
    proc = subprocess.run(
        ["systemctl", "show", "--timestamp=utc", unit, f"--property={','.join(properties)}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    values = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    return {key: value for key, value in values.items() if value and value != "n/a"}
