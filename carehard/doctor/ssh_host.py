"""An SSH host, step by step with paramiko: reachable (directly or through a proxy), a known host key,
a login, then python3 and sudo through the SSH session."""

from __future__ import annotations

import getpass
import logging
import os
import shlex
import socket
from pathlib import Path
from typing import Any

import paramiko

from carehard.doctor.problem import StepFailed, describe, one_line, step
from carehard.doctor.python_sudo import Runner, become_wanted, check_become, check_python
from carehard.doctor.ssh_settings import DEFAULT_USER_KNOWN_HOSTS, SshTarget, ssh_target
from carehard.engine.inventory import InventoryHost

# paramiko logs connection failures (with tracebacks) at ERROR: without a handler they would reach
# stderr through logging's last resort. The problems we return already say what went wrong.
logging.getLogger("paramiko").addHandler(logging.NullHandler())

# Where Ansible's interpreter discovery looks, in its order (ansible-core INTERPRETER_PYTHON_FALLBACK).
PYTHON_FALLBACK = (
    "python3.13",
    "python3.12",
    "python3.11",
    "python3.10",
    "python3.9",
    "python3.8",
    "/usr/bin/python3",
    "python3",
)
GLOBAL_KNOWN_HOSTS = ("/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2")
ACCEPTS_UNKNOWN = frozenset({"no", "off", "false", "accept-new"})


class _UnknownHostKey(Exception):
    def __init__(self, key: paramiko.PKey) -> None:
        super().__init__("unknown host key")
        self.key = key


class _HostKeyPolicy(paramiko.MissingHostKeyPolicy):
    def __init__(self, accept: bool) -> None:
        self.accept = accept

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        if not self.accept:
            raise _UnknownHostKey(key)


def check_ssh(host: InventoryHost, timeout: float) -> None:
    with step("reachable"):
        target = ssh_target(host)
        sock = _open_socket(target, timeout)
    client = paramiko.SSHClient()
    try:
        with step("host-key"):
            for path in [*GLOBAL_KNOWN_HOSTS, *target.known_hosts]:
                full = os.path.expanduser(path)
                if os.path.isfile(full) and os.access(full, os.R_OK):
                    client.load_system_host_keys(full)
            client.set_missing_host_key_policy(_HostKeyPolicy(target.strict in ACCEPTS_UNKNOWN))
        with step("auth"):
            _connect(client, target, sock, timeout)
        transport = client.get_transport()
        if transport is None:
            raise StepFailed(
                "auth", "the SSH connection closed right after login: check the host's sshd logs"
            )
        run = _ssh_runner(transport, timeout)
        interpreter = str(host.vars.get("ansible_python_interpreter") or "")
        with step("python3"):
            if interpreter and not interpreter.startswith("auto") and "{{" not in interpreter:
                check_python(run, [interpreter], explicit=True)
            else:
                check_python(run, list(PYTHON_FALLBACK), explicit=False)
        if become_wanted(host.vars):
            with step("become"):
                check_become(run, host.vars, target.user)
    finally:
        client.close()
        sock.close()


def _open_socket(target: SshTarget, timeout: float) -> socket.socket | paramiko.ProxyCommand:
    if target.proxy:
        try:
            proxy = paramiko.ProxyCommand(target.proxy)
        except OSError as exc:
            raise StepFailed("reachable", f"cannot start {target.proxy_desc}: {describe(exc)}") from None
        proxy.settimeout(timeout)
        return proxy
    where = f"{target.hostname}:{target.port}"
    hint = "check ansible_host/ansible_port, the network and firewall, and that sshd runs on the host"
    try:
        return socket.create_connection((target.hostname, target.port), timeout=timeout)
    except socket.gaierror as exc:
        raise StepFailed(
            "reachable",
            f"unreachable: cannot resolve {target.hostname} ({exc.strerror}): fix ansible_host or DNS",
        ) from None
    except ConnectionRefusedError:
        raise StepFailed("reachable", f"unreachable: connection to {where} refused: {hint}") from None
    except TimeoutError:
        raise StepFailed(
            "reachable", f"unreachable: no answer from {where} within {timeout:g}s: {hint}"
        ) from None
    except OSError as exc:
        raise StepFailed("reachable", f"unreachable: {where}: {describe(exc)}: {hint}") from None


def _connect(
    client: paramiko.SSHClient, t: SshTarget, sock: socket.socket | paramiko.ProxyCommand, timeout: float
) -> None:
    for key in t.key_files:
        _check_key_file(key)
    look_for_keys = not t.key_files  # as OpenSSH: default keys only when no IdentityFile is given
    key_filename: Any = t.key_files or None  # paramiko takes a list; its stubs say str
    try:
        client.connect(
            t.hostname,
            port=t.port,
            username=t.user,
            password=t.password,
            key_filename=key_filename,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
            channel_timeout=timeout,
            allow_agent=t.allow_agent,
            look_for_keys=look_for_keys,
            sock=sock,
        )
    except _UnknownHostKey as exc:
        raise StepFailed("host-key", _unknown_key_message(t, exc.key)) from None
    except paramiko.BadHostKeyException as exc:
        raise StepFailed("host-key", _changed_key_message(t, exc.key, exc.expected_key)) from None
    except paramiko.PasswordRequiredException:
        raise StepFailed(
            "auth",
            f"private key {', '.join(t.key_files) or '~/.ssh/id_*'} needs a passphrase: "
            "load it into ssh-agent (`ssh-add KEYFILE`) before running carehard",
        ) from None
    except paramiko.BadAuthenticationType as exc:
        raise StepFailed(
            "auth",
            f"{t.user}@{t.hostname} accepts only {', '.join(exc.allowed_types)} authentication, "
            f"which doctor had nothing for: {_auth_fix(t)}",
        ) from None
    except paramiko.AuthenticationException:
        raise StepFailed(
            "auth", f"authentication failed as {t.user} ({_auth_tried(t, look_for_keys)}): {_auth_fix(t)}"
        ) from None
    except paramiko.SSHException as exc:
        text = str(exc)
        if "No authentication methods available" in text:
            raise StepFailed(
                "auth", f"no SSH key or password to log in as {t.user}: {_auth_fix(t)}"
            ) from None
        raise StepFailed("reachable", _ssh_failure(t, sock, text)) from None
    except (OSError, EOFError) as exc:
        raise StepFailed("reachable", _ssh_failure(t, sock, describe(exc))) from None


def _check_key_file(key: str) -> None:
    path = Path(key)
    if not path.is_file():
        raise StepFailed("auth", f"private key file {key} does not exist: fix ansible_ssh_private_key_file")
    if not os.access(path, os.R_OK):
        raise StepFailed(
            "auth", f"private key file {key} is not readable by {getpass.getuser()}: fix its owner or mode"
        )
    st = path.stat()
    if st.st_uid == os.getuid() and st.st_mode & 0o077:
        raise StepFailed(
            "auth",
            f"private key file {key} is readable by others (mode {st.st_mode & 0o777:o}), "
            f"so ssh refuses it: `chmod 600 {shlex.quote(key)}`",
        )


def _ssh_failure(t: SshTarget, sock: socket.socket | paramiko.ProxyCommand, text: str) -> str:
    if isinstance(sock, paramiko.ProxyCommand):
        stderr = ""
        try:
            if sock.process.poll() is not None and sock.process.stderr is not None:
                stderr = sock.process.stderr.read().decode(errors="replace").strip()
        except OSError:
            pass
        said = f" ({one_line(stderr)})" if stderr else ""
        return (
            f"unreachable through {t.proxy_desc}{said}: {text}: check the bastion, "
            "and that the host is up and reachable from it"
        )
    return (
        f"port {t.port} answers but the SSH handshake failed: {text}: check that sshd (not another service) "
        "listens there and that its ciphers/key types are not outdated"
    )


def _auth_tried(t: SshTarget, look_for_keys: bool) -> str:
    tried = [f"key {k}" for k in t.key_files]
    if t.allow_agent and os.environ.get("SSH_AUTH_SOCK"):
        tried.append("ssh-agent keys")
    if look_for_keys:
        tried.append("default keys ~/.ssh/id_*")
    if t.password is not None:
        tried.append("password")
    elif t.password_note:
        tried.append(f"no password ({t.password_note})")
    return "tried " + ", ".join(tried) if tried else "nothing to try"


def _auth_fix(t: SshTarget) -> str:
    return (
        f"check ansible_user and ansible_ssh_private_key_file, and that the public key is in "
        f"~{t.user}/.ssh/authorized_keys on the host"
    )


def _key_type(key: paramiko.PKey) -> str:
    return str(key.get_name())


def _unknown_key_message(t: SshTarget, key: paramiko.PKey) -> str:
    known = t.known_hosts[0] if t.known_hosts else DEFAULT_USER_KNOWN_HOSTS[0]
    scan = f"ssh-keyscan -p {t.port} {t.hostname} >> {known}"
    return (
        f"host key unknown (the host offers {_key_type(key)} {key.fingerprint}): check it on the host "
        f"(`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub`), then run `{scan}`, "
        "or set UserKnownHostsFile / StrictHostKeyChecking=accept-new in ansible_ssh_common_args"
    )


def _changed_key_message(t: SshTarget, got: paramiko.PKey, expected: paramiko.PKey) -> str:
    known = t.known_hosts[0] if t.known_hosts else DEFAULT_USER_KNOWN_HOSTS[0]
    name = t.hostname if t.port == 22 else f"[{t.hostname}]:{t.port}"
    return (
        f"host key CHANGED (known {_key_type(expected)} {expected.fingerprint}, offered {_key_type(got)} "
        f"{got.fingerprint}): possible man in the middle; if the host was reinstalled, check the new key "
        f"on its console, then `ssh-keygen -R '{name}' -f {known}` and scan it again"
    )


def _ssh_runner(transport: paramiko.Transport, timeout: float) -> Runner:
    def run(command: str, stdin: str | None) -> tuple[int, str, str]:
        chan = transport.open_session(timeout=timeout)
        try:
            chan.settimeout(timeout)
            chan.exec_command(command)
            if stdin is not None:
                chan.sendall(stdin.encode())
            chan.shutdown_write()
            out = chan.makefile("rb").read()
            err = chan.makefile_stderr("rb").read()
            if not chan.status_event.wait(timeout):
                raise TimeoutError(f"no exit status within {timeout:g}s")
            return chan.recv_exit_status(), out.decode(errors="replace"), err.decode(errors="replace")
        finally:
            chan.close()

    return run
