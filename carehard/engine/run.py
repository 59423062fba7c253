"""The one module that talks to ansible-runner: a private data dir per run, kept as evidence."""

from __future__ import annotations

import copy
import json
import os
import secrets
import shlex
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import ansible_runner
import yaml

from carehard import clock
from carehard.files import write_atomic
from carehard.paths import ANSIBLE_ROOT, runs_dir

EventHandler = Callable[[Mapping[str, Any]], object]
SITE_PLAYBOOK = "site.yml"


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


@dataclass(frozen=True)
class RunnerOutcome:
    status: str
    rc: int
    artifacts: Path


def new_run_id(now: datetime | None = None) -> str:
    now = now or clock.now()
    return now.strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)


def run_dir(run_id: str) -> Path:
    return runs_dir() / run_id


def run_playbook(run_id: str, ident: str, request: PlaybookRun, on_event: EventHandler) -> RunnerOutcome:
    """Run the playbook through ansible-runner, streaming every event to `on_event`."""
    private = run_dir(run_id)
    private.mkdir(parents=True, exist_ok=True, mode=0o700)
    options = ["--diff"]
    if request.check_mode:
        options.insert(0, "--check")
    if request.tags:
        options += ["--tags", ",".join(request.tags)]

    def handler(event: Mapping[str, Any]) -> bool:
        on_event(event)
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
    envvars = _ansible_environment()
    with _interruptible() as interrupted, _scrubbed_command_file(private / "artifacts" / ident, envvars):
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
            cancel_callback=lambda: interrupted.is_set(),
            quiet=True,
        )
    if interrupted.is_set():
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
def _interruptible() -> Iterator[threading.Event]:
    """Ctrl-C asks ansible-runner to stop the playbook (it runs in its own session, so the
    terminal's SIGINT does not reach it) instead of leaving it running behind us."""
    interrupted = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield interrupted
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.set())
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


def _ansible_environment() -> dict[str, str]:
    """Point ansible-playbook at carehard's own config, roles and Python, whatever the cwd."""
    env = {
        "ANSIBLE_CONFIG": str(ANSIBLE_ROOT / "ansible.cfg"),
        "ANSIBLE_ROLES_PATH": str(ANSIBLE_ROOT / "roles"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",
        # ansible-runner turns host key checking off unless the environment says otherwise.
        "ANSIBLE_HOST_KEY_CHECKING": os.environ.get("ANSIBLE_HOST_KEY_CHECKING", "True"),
    }
    bindir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        env["PATH"] = bindir + os.pathsep + path
    return env
