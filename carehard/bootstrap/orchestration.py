"""A bootstrap of the inventory's Linux hosts, start to end: check the inventory (admin account, key),
look at every host without the password (keys shown, changed keys refused, hosts already done), ask
the password once, do the steps over the password login, then run doctor's checks on every host."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

from carehard.bootstrap import remote_steps
from carehard.bootstrap.admin_key import ensure_key, key_path
from carehard.bootstrap.connect import Look, Unreachable, entry_of, look, password_login
from carehard.bootstrap.host_keys import HostKeyChanged, KnownHosts, UnknownHostKey, fingerprint
from carehard.doctor import check_hosts
from carehard.doctor.ssh_settings import SshTarget, ssh_target
from carehard.engine.inventory import WINDOWS_CONNECTIONS, InventoryHost
from carehard.errors import UsageError
from carehard.model import EXIT_BROKEN, EXIT_FAIL, EXIT_OK, EXIT_USAGE

Say = Callable[[str], None]


@dataclass(frozen=True)
class HostPlan:
    host: InventoryHost
    target: SshTarget
    admin: str
    key: Path
    known: KnownHosts

    @property
    def label(self) -> str:
        address = f"[{self.target.hostname}]" if ":" in self.target.hostname else self.target.hostname
        return f"{self.host.name} ({address}:{self.target.port})"


@dataclass
class Tally:
    refused: list[str] = field(default_factory=list)  # a changed host key: exit 2
    failed: list[str] = field(default_factory=list)  # unreachable, password refused, a step failed: exit 3
    not_ready: list[str] = field(default_factory=list)  # bootstrapped, but doctor found a problem: exit 1
    ready: list[str] = field(default_factory=list)

    def exit_code(self) -> int:
        if self.refused:
            return EXIT_USAGE
        if self.failed:
            return EXIT_BROKEN
        return EXIT_FAIL if self.not_ready else EXIT_OK


def plan_hosts(hosts: Sequence[InventoryHost], say: Say) -> list[HostPlan]:
    """The Linux hosts to bootstrap (Windows hosts and directories skipped with a pointer), each checked: a
    UsageError names the first host whose admin account or key cannot be used, before anything is sent."""
    plans: list[HostPlan] = []
    for host in hosts:
        if host.is_directory:
            say(f"{host.name}: skipped, a directory: carehard reads it from this machine (docs/directory.md)")
            continue
        if host.connection in WINDOWS_CONNECTIONS:
            say(f"{host.name}: skipped, a Windows host: prepare its WinRM account as docs/windows.md says")
            continue
        if host.connection != "ssh":
            say(f"{host.name}: skipped, ansible_connection {host.connection} is not SSH")
            continue
        admin = str(host.vars.get("ansible_user") or host.vars.get("ansible_ssh_user") or "")
        if not admin:
            raise UsageError(
                f"host {host.name} has no ansible_user: name the admin account bootstrap is to create "
                "(group_vars/linux_workstations.yml)"
            )
        if admin == "root":
            raise UsageError(
                f"host {host.name}: ansible_user is root: name an admin account (e.g. carehard-admin); "
                "WL-SSH-01 turns root logins off"
            )
        if not remote_steps.ACCOUNT_NAME.match(admin):
            raise UsageError(
                f"host {host.name}: ansible_user {admin!r} is not an account name useradd takes "
                "(lower-case letters, digits, _ and -)"
            )
        target = ssh_target(host)
        if not target.known_hosts:
            raise UsageError(f"host {host.name}: UserKnownHostsFile is none: bootstrap records the host key")
        plans.append(HostPlan(host, target, admin, key_path(host.vars), KnownHosts.of(target.known_hosts)))
    return plans


def bootstrap(
    plans: Sequence[HostPlan],
    login: str,
    ask_password: Callable[[int], str],
    say: Say,
    complain: Say,
    timeout: float = 10.0,
) -> Tally:
    tally = Tally()
    public_keys = {key: ensure_key(key, say) for key in dict.fromkeys(p.key for p in plans)}
    with ThreadPoolExecutor(max_workers=min(16, max(1, len(plans)))) as pool:
        looks = list(pool.map(lambda p: _look(p, timeout), plans))
    ready: list[HostPlan] = []
    todo: list[tuple[HostPlan, Look]] = []
    for plan, seen in zip(plans, looks, strict=True):
        if isinstance(seen, str):
            complain(f"{plan.label}: unreachable: {seen}")
            tally.failed.append(plan.host.name)
        elif seen.changed is not None:
            complain(_changed_line(plan, seen.changed))
            tally.refused.append(plan.host.name)
        elif seen.ready:
            say(f"{plan.label}: nothing to change: {plan.admin} logs in with its key and has sudo")
            ready.append(plan)
        else:
            if seen.new_key is not None:
                say(
                    f"{plan.label}: host key {fingerprint(seen.new_key)}, not yet recorded: compare it with"
                    " the host's console (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub)"
                )
            todo.append((plan, seen))
    if todo:
        password = ask_password(len(todo))
        for plan, seen in todo:
            if _bootstrap_one(
                plan, seen, login, password, public_keys[plan.key], say, complain, timeout, tally
            ):
                ready.append(plan)
    _doctor(ready, say, complain, tally)
    return tally


def _look(plan: HostPlan, timeout: float) -> Look | str:
    try:
        return look(plan.target, plan.known, plan.admin, plan.key, timeout)
    except Unreachable as exc:
        return str(exc)
    except Exception as exc:  # one line per host, never a traceback
        return f"{type(exc).__name__}: {exc}"


def _bootstrap_one(
    plan: HostPlan,
    seen: Look,
    login: str,
    password: str,
    public_key: str,
    say: Say,
    complain: Say,
    timeout: float,
    tally: Tally,
) -> bool:
    try:
        client = password_login(plan.target, plan.known, login, password, seen.new_key, timeout)
    except HostKeyChanged as exc:
        complain(_changed_line(plan, exc))
        tally.refused.append(plan.host.name)
        return False
    except paramiko.BadHostKeyException as exc:
        complain(_changed_line(plan, HostKeyChanged(exc.expected_key, exc.key)))
        tally.refused.append(plan.host.name)
        return False
    except paramiko.BadAuthenticationType as exc:
        complain(
            f"{plan.label}: sshd takes no password login for {login} (only {', '.join(exc.allowed_types)}):"
            " allow PasswordAuthentication for the first login, or give --user an account that may"
        )
        tally.failed.append(plan.host.name)
        return False
    except paramiko.AuthenticationException:
        hint = " (Debian refuses root's password over SSH: give --user the installer's account)"
        complain(f"{plan.label}: the password of {login} was refused{hint if login == 'root' else ''}")
        tally.failed.append(plan.host.name)
        return False
    except UnknownHostKey:  # its key was recorded at the look, and is gone from known_hosts since
        complain(f"{plan.label}: its host key left {plan.known.record_file} during the run: run again")
        tally.failed.append(plan.host.name)
        return False
    except (Unreachable, paramiko.SSHException, OSError) as exc:
        complain(f"{plan.label}: unreachable: {exc}")
        tally.failed.append(plan.host.name)
        return False
    try:
        changes = _steps(remote_steps.RootShell(client, login, password), plan, public_key)
    except (remote_steps.StepFailed, paramiko.SSHException, OSError) as exc:
        complain(f"{plan.label}: {exc}")
        tally.failed.append(plan.host.name)
        return False
    finally:
        client.close()
    if seen.new_key is not None:
        changes.append(f"host key recorded in {plan.known.record_file}")
    say(f"{plan.label}: {'; '.join(changes) if changes else 'nothing to change'}")
    return True


def _steps(shell: remote_steps.RootShell, plan: HostPlan, public_key: str) -> list[str]:
    remote_steps.check_root(shell)
    changes = []
    if remote_steps.ensure_account(shell, plan.admin):
        changes.append(f"account {plan.admin} created")
    if remote_steps.ensure_sudo(shell, plan.admin):
        changes.append(
            f"sudo for {plan.admin} in {remote_steps.sudoers_file(plan.admin)} (visudo -cf checked)"
        )
    if remote_steps.ensure_authorized_key(shell, plan.admin, public_key):
        changes.append(f"key {plan.key}.pub added to {plan.admin}'s authorized_keys")
    return changes


def _doctor(ready: list[HostPlan], say: Say, complain: Say, tally: Tally) -> None:
    """doctor's checks, as `carehard doctor` runs them, on the hosts bootstrapped or already done."""
    problems = {p.host: p for p in check_hosts([plan.host for plan in ready]) if not p.warning}
    for plan in ready:
        problem = problems.get(plan.host.name)
        if problem is None:
            say(f"{plan.label}: ready")
            tally.ready.append(plan.host.name)
        else:
            complain(f"{plan.label}: not ready: [{problem.check}] {problem.message}")
            tally.not_ready.append(plan.host.name)


def _changed_line(plan: HostPlan, changed: HostKeyChanged) -> str:
    entry = entry_of(plan.target)
    return (
        f"{plan.label}: host key CHANGED, refused and no password sent: known_hosts records"
        f" {fingerprint(changed.recorded)}, the host offers {fingerprint(changed.offered)}; if the host was"
        f" reinstalled, remove the old key (ssh-keygen -R {entry} -f {plan.known.record_file}) and run again"
    )
