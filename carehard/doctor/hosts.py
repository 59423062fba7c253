"""Checks of the inventory's hosts, in parallel: each host by its connection (local, WinRM or SSH; a
directory over LDAP from here), up to its first failing step, as at most one Problem line with the
host's label and no secret in it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from carehard.doctor import directory_host, local_connection, ssh_host, winrm_host
from carehard.doctor.inventory_vars import secret_values
from carehard.doctor.problem import Problem, StepFailed, describe, one_line, step
from carehard.engine.inventory import WINDOWS_CONNECTIONS, InventoryHost

MAX_WORKERS = 32


def check_hosts(hosts: list[InventoryHost], timeout: float = 10.0) -> list[Problem]:
    """Check every host in parallel; problems come back in the order of the hosts."""
    if not hosts:
        return []
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(hosts))) as pool:
        results = list(pool.map(lambda h: _check_host(h, timeout), hosts))
    return [p for problems in results for p in problems]


def _check_host(host: InventoryHost, timeout: float) -> list[Problem]:
    label = host.name
    secrets: list[str] = []
    try:
        with step("reachable"):
            secrets = secret_values(host.vars)
            label = _label(host)
            if host.is_directory:  # read from this machine over LDAP, never logged in to
                directory_host.check_directory(host, timeout)
            elif host.connection == "local":
                local_connection.check_local_host(host, timeout)
            elif host.connection in WINDOWS_CONNECTIONS:
                winrm_host.check_winrm(host, timeout)
            else:
                ssh_host.check_ssh(host, timeout)
    except StepFailed as fail:
        return [Problem(host.name, fail.check, _scrub(f"{label}: {fail.message}", secrets))]
    except Exception as exc:  # a bug of ours: still one line, never a traceback
        return [Problem(host.name, "reachable", _scrub(f"{label}: doctor failed: {describe(exc)}", secrets))]
    return []


def _label(host: InventoryHost) -> str:
    if host.is_directory:
        return directory_host.label(host)
    if host.connection == "local":
        return f"{host.name} (local)"
    address = f"[{host.address}]" if ":" in host.address else host.address
    return f"{host.name} ({address}:{_port(host)})"


def _port(host: InventoryHost) -> int | str:
    if host.connection in WINDOWS_CONNECTIONS:
        try:
            return host.port
        except (TypeError, ValueError):  # a template: only Ansible can evaluate it
            return "?"
    for name in ("ansible_port", "ansible_ssh_port"):
        if host.vars.get(name) not in (None, ""):
            return int(host.vars[name])
    return host.port


def _scrub(message: str, secrets: list[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, "********")
    return one_line(message)
