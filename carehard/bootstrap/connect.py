"""The two connections of a bootstrap: a first look at a host (its key, and whether the admin account
already logs in with its key and has sudo), then the password login, which sends the password only to
a host whose key is recorded or was shown."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from pathlib import Path

import paramiko

from carehard.bootstrap.host_keys import (
    HostKeyChanged,
    KnownHosts,
    RecordShownKey,
    StopAtUnknownKey,
    UnknownHostKey,
    host_entry,
)
from carehard.doctor.ssh_settings import SshTarget

logging.getLogger("paramiko").addHandler(logging.NullHandler())


class Unreachable(Exception):
    """No SSH session: one line, what failed."""


@dataclass(frozen=True)
class Look:
    """What a first look found: the key the host offers when no file records it (to be shown), the
    key of a refused host with the recorded one, or whether the admin account is ready."""

    new_key: paramiko.PKey | None = None
    changed: HostKeyChanged | None = None
    ready: bool = False


def entry_of(target: SshTarget) -> str:
    return host_entry(target.hostname, target.port)


def look(target: SshTarget, known: KnownHosts, admin: str, key: Path, timeout: float) -> Look:
    """Connect without the password: an unknown key stops there; a recorded one that differs is refused;
    a recorded one that matches lets the admin try its key, and `sudo -n true`."""
    client = _client(known)
    client.set_missing_host_key_policy(StopAtUnknownKey())
    try:
        _connect(client, target, timeout, username=admin, key_filename=str(key))
        _, stdout, _ = client.exec_command("sudo -n true", timeout=timeout)
        return Look(ready=stdout.channel.recv_exit_status() == 0)
    except UnknownHostKey as exc:
        return Look(new_key=exc.key)
    except paramiko.BadHostKeyException as exc:
        return Look(changed=HostKeyChanged(exc.expected_key, exc.key))
    except (paramiko.AuthenticationException, paramiko.PasswordRequiredException):
        return Look()  # the admin cannot log in with its key yet: bootstrap it
    finally:
        client.close()


def password_login(
    target: SshTarget,
    known: KnownHosts,
    login: str,
    password: str,
    shown: paramiko.PKey | None,
    timeout: float,
) -> paramiko.SSHClient:
    """A session as `login` with its password; the host's key must be the recorded one, or the one shown
    (then recorded). HostKeyChanged or BadHostKeyException before the password is sent."""
    client = _client(known)
    if shown is not None:
        client.set_missing_host_key_policy(RecordShownKey(known, entry_of(target), shown))
    else:
        client.set_missing_host_key_policy(StopAtUnknownKey())
    try:
        _connect(client, target, timeout, username=login, password=password)
    except BaseException:
        client.close()
        raise
    return client


def _client(known: KnownHosts) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    for path in known.readable():
        client.load_system_host_keys(str(path))
    return client


def _connect(
    client: paramiko.SSHClient,
    target: SshTarget,
    timeout: float,
    username: str,
    password: str | None = None,
    key_filename: str | None = None,
) -> None:
    sock = _open(target, timeout)
    try:
        client.connect(
            target.hostname,
            port=target.port,
            username=username,
            password=password,
            key_filename=key_filename,
            look_for_keys=False,
            allow_agent=False,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
            sock=sock,
        )
    except (UnknownHostKey, HostKeyChanged, paramiko.BadHostKeyException, paramiko.AuthenticationException):
        raise
    except paramiko.SSHException as exc:
        raise Unreachable(f"SSH failed: {exc}") from None
    except (OSError, EOFError) as exc:
        raise Unreachable(f"SSH failed: {exc.strerror if isinstance(exc, OSError) else exc}") from None


def _open(target: SshTarget, timeout: float) -> socket.socket | paramiko.ProxyCommand:
    where = f"{target.hostname}:{target.port}"
    if target.proxy:
        try:
            proxy = paramiko.ProxyCommand(target.proxy)
        except OSError as exc:
            raise Unreachable(f"cannot start {target.proxy_desc}: {exc.strerror or exc}") from None
        proxy.settimeout(timeout)
        return proxy
    try:
        return socket.create_connection((target.hostname, target.port), timeout=timeout)
    except socket.gaierror as exc:
        raise Unreachable(
            f"cannot resolve {target.hostname} ({exc.strerror}): fix ansible_host or DNS"
        ) from None
    except TimeoutError:
        raise Unreachable(f"no answer from {where} within {timeout:g}s") from None
    except OSError as exc:
        raise Unreachable(f"cannot connect to {where}: {exc.strerror or exc}") from None
