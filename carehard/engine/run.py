"""The one module that talks to ansible-runner: a private data dir per run, kept as evidence."""

from __future__ import annotations

import copy
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ansible_runner
import yaml

from carehard import clock
from carehard.engine import processes
from carehard.engine.ansible_secrets import passed_on
from carehard.errors import Terminated
from carehard.files import write_atomic
from carehard.paths import ANSIBLE_ROOT, runs_dir

EventHandler = Callable[[Mapping[str, Any]], object]
SITE_PLAYBOOK = "site.yml"
# After Ctrl-C or SIGTERM: how long ansible-playbook gets to stop its workers itself, then how long
# what is left gets after SIGTERM before SIGKILL. The run lock is held all the while.
STOP_GRACE = 10.0


@dataclass(frozen=True)
class PlaybookRun:
    """One ansible-playbook run: what to run, on which inventory, in which mode."""

    inventory: Path | dict[str, Any]
    check_mode: bool
    tags: Sequence[str]
    limit: str | None = None
    extravars: Mapping[str, Any] = field(default_factory=dict)
    playbook: str = SITE_PLAYBOOK
    # Per-host variables carehard adds to the inventory (e.g. the WinRM connection of Windows hosts).
    host_vars: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    verbosity: int = 0  # ansible-playbook's -v count; its output then also goes to stderr


@dataclass(frozen=True)
class RunnerOutcome:
    status: str
    rc: int
    artifacts: Path


RUN_ID_TIME = "%Y%m%dT%H%M%SZ"
RUN_ID = re.compile(r"^([0-9]{8}T[0-9]{6}Z)-[0-9a-f]{6}$")


def new_run_id(now: datetime | None = None) -> str:
    now = now or clock.now()
    return now.strftime(RUN_ID_TIME + "-") + secrets.token_hex(3)


def run_started(name: str) -> datetime | None:
    """When the run of that id started (the time new_run_id put in it); None for a name that is no run id."""
    match = RUN_ID.match(name)
    if match is None:
        return None
    try:
        return datetime.strptime(match.group(1), RUN_ID_TIME).replace(tzinfo=UTC)
    except ValueError:
        return None


def run_dir(run_id: str) -> Path:
    return runs_dir() / run_id


def run_playbook(run_id: str, ident: str, request: PlaybookRun, on_event: EventHandler) -> RunnerOutcome:
    """Run the playbook through ansible-runner, streaming every event to `on_event`. With a
    verbosity (-v...), ansible-playbook's own output also goes to stderr as it comes."""
    verbosity = request.verbosity
    private = run_dir(run_id)
    private.mkdir(parents=True, exist_ok=True, mode=0o700)
    options = ["--diff"]
    if request.check_mode:
        options.insert(0, "--check")
    if request.tags:
        options += ["--tags", ",".join(request.tags)]

    def handler(event: Mapping[str, Any]) -> bool:
        on_event(event)
        if verbosity and event.get("stdout"):
            print(event["stdout"], file=sys.stderr, flush=True)
        return True

    inventory: str | list[str] | dict[str, Any]
    if isinstance(request.inventory, dict):
        inventory = _merged_host_vars(request.inventory, request.host_vars)
    elif request.host_vars:
        # ansible-runner turns a list of sources into one -i per source; later sources win for
        # the same host variable, and the user's own group_vars/host_vars files still apply.
        inventory = [str(request.inventory), str(_write_host_vars(private, ident, request.host_vars))]
    else:
        inventory = str(request.inventory)
    mark = f"{run_id}/{ident}"
    if verbosity:
        kept = private / "artifacts" / ident / "stdout"
        print(f"carehard: ansible-playbook {request.playbook} (kept in {kept}):", file=sys.stderr, flush=True)
    # The handlers outside: a second Ctrl-C while the run's processes are being stopped changes nothing.
    with _interruptible(mark) as interrupt, _run_processes(mark) as envvars:
        envvars.update(_ansible_environment())
        with _scrubbed_command_file(private / "artifacts" / ident, envvars):
            runner = ansible_runner.run(
                private_data_dir=str(private),
                ident=ident,
                project_dir=str(ANSIBLE_ROOT),
                playbook=str(ANSIBLE_ROOT / "playbooks" / request.playbook),
                inventory=inventory,
                cmdline=shlex.join(options),
                limit=request.limit,
                extravars=dict(request.extravars),
                envvars=envvars,
                event_handler=handler,
                cancel_callback=interrupt.overdue,
                quiet=True,
                verbosity=verbosity or None,
            )
    if interrupt.signum == signal.SIGTERM:
        raise Terminated
    if interrupt.signum is not None:
        raise KeyboardInterrupt
    return RunnerOutcome(str(runner.status), int(runner.rc), private / "artifacts" / ident)


def _write_host_vars(private: Path, ident: str, host_vars: Mapping[str, Mapping[str, Any]]) -> Path:
    """The added host variables as a YAML inventory source of their own, kept with the run."""
    path = private / f"{ident}.hostvars.yml"
    body = {"all": {"hosts": {name: dict(values) for name, values in host_vars.items()}}}
    text = "# Host variables carehard added to the inventory for this run.\n" + yaml.safe_dump(
        body, default_flow_style=False, sort_keys=True
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
    return path


def _merged_host_vars(
    inventory: dict[str, Any], host_vars: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """A copy of a dict inventory with the added variables on each host, wherever it is declared."""
    if not host_vars:
        return inventory
    merged = copy.deepcopy(inventory)
    found: set[str] = set()

    def visit(group: Any) -> None:
        if not isinstance(group, dict):
            return
        hosts = group.get("hosts")
        if isinstance(hosts, dict):
            for name in hosts:
                if name in host_vars:
                    hosts[name] = {**(hosts[name] or {}), **host_vars[name]}
                    found.add(name)
        children = group.get("children")
        if isinstance(children, dict):
            for child in children.values():
                visit(child)

    for group in merged.values():
        visit(group)
    missing = {name: dict(values) for name, values in host_vars.items() if name not in found}
    if missing:
        everyone = merged.setdefault("all", {})
        everyone.setdefault("hosts", {}).update(missing)
    return merged


@contextmanager
def _scrubbed_command_file(artifacts: Path, kept: Mapping[str, str]) -> Iterator[None]:
    """ansible-runner writes its whole environment into artifacts/<ident>/command, and the
    environment may hold secrets (a backup password in password_env, cloud keys): once the run
    ends, however it ends, that file keeps only the variables carehard set itself."""
    try:
        yield
    finally:
        command = artifacts / "command"
        try:
            data = json.loads(command.read_text(encoding="utf-8"))
            data["env"] = {key: value for key, value in (data.get("env") or {}).items() if key in kept}
            write_atomic(command, json.dumps(data, ensure_ascii=False))
        except (OSError, ValueError):
            pass


@contextmanager
def _run_processes(mark: str) -> Iterator[dict[str, str]]:
    """The environment that marks every process of the run, and, however the run ends, every one
    of them gone before this returns (so before the run lock is released). Its ssh ControlPersist
    masters hold only a connection, but in a directory of this run's own: another carehard run
    never sends its tasks through them, and they are stopped with the rest."""
    control_dir = tempfile.mkdtemp(prefix="carehard-ssh-", dir=_short_temp_dir())
    try:
        yield {processes.MARK_VARIABLE: mark, "ANSIBLE_SSH_CONTROL_PATH_DIR": control_dir}
    finally:
        left = processes.stop(mark, grace=STOP_GRACE)
        shutil.rmtree(control_dir, ignore_errors=True)
        if left:
            print(f"carehard: warning: processes {left} of the run survived SIGKILL", file=sys.stderr)


def _short_temp_dir() -> str:
    """A socket path is at most 107 bytes: this directory, Ansible's host hash, ssh's temp suffix."""
    default = tempfile.gettempdir()
    return default if len(default) <= 40 else "/tmp"


class _Interrupt:
    """Ctrl-C or SIGTERM, passed on as Ctrl-C to every process of the run (ansible-playbook runs
    in its own session, its workers each in their own: the terminal's SIGINT reaches none of them).
    ansible-playbook then stops its workers itself; past the grace ansible-runner kills it."""

    def __init__(self, mark: str) -> None:
        self.mark = mark
        self.signum: int | None = None
        self.at = 0.0

    def __call__(self, signum: int, frame: object) -> None:
        if self.signum is None:
            self.signum, self.at = signum, time.monotonic()
        processes.signal_all(self.mark, signal.SIGINT)

    def overdue(self) -> bool:
        return self.signum is not None and time.monotonic() - self.at > STOP_GRACE


@contextmanager
def _interruptible(mark: str) -> Iterator[_Interrupt]:
    interrupt = _Interrupt(mark)
    if threading.current_thread() is not threading.main_thread():
        yield interrupt
        return
    previous = {signum: signal.signal(signum, interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield interrupt
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _ansible_environment() -> dict[str, str]:
    """Point ansible-playbook at carehard's own config, roles and Python, whatever the cwd."""
    env = {
        # The become and vault password files (--ask-become-pass, or the user's own): names only.
        **passed_on(),
        "ANSIBLE_CONFIG": str(ANSIBLE_ROOT / "ansible.cfg"),
        "ANSIBLE_ROLES_PATH": str(ANSIBLE_ROOT / "roles"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",
        # ansible-runner sets ANSIBLE_CALLBACK_PLUGINS to its own directory (plus this value), which
        # hides ansible.cfg's callback_plugins: carehard's plugin that loads the Jinja plugins before
        # the workers fork (a quarter of an audit's CPU) would not run. The user's own stay.
        "ANSIBLE_CALLBACK_PLUGINS": os.pathsep.join(
            filter(None, (str(ANSIBLE_ROOT / "callback_plugins"), os.environ.get("ANSIBLE_CALLBACK_PLUGINS")))
        ),
        # ansible-runner turns host key checking off unless the environment says otherwise.
        "ANSIBLE_HOST_KEY_CHECKING": os.environ.get("ANSIBLE_HOST_KEY_CHECKING", "True"),
    }
    bindir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        env["PATH"] = bindir + os.pathsep + path
    return env
