"""A vendor's technician as a real SSH client (paramiko): logs in with their key, jumping through
a host (the bastion) when given, runs commands, tries su, keeps a session open."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paramiko

from tests.testhosts import harness


def make_key(path: Path, comment: str) -> Path:
    """A new ed25519 key pair (path, path.pub) for a technician."""
    keygen = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)]
    subprocess.run(keygen, check=True)
    return path


def connect(
    via: harness.TestHost | None, target: harness.TestHost, user: str, key: Path
) -> tuple[paramiko.SSHClient, paramiko.SSHClient | None]:
    """Logged in as `user` on `target` with `key`, through `via` (as its admin) when given: the
    client, and the jump host's (to close after it)."""
    jump = None
    sock = None
    if via is not None:
        jump = paramiko.SSHClient()
        jump.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        jump.connect(
            via.address, username=harness.ADMIN, key_filename=str(via.key),
            look_for_keys=False, allow_agent=False, timeout=15,
        )  # fmt: skip
        transport = jump.get_transport()
        assert transport is not None
        sock = transport.open_channel("direct-tcpip", (target.address, 22), ("127.0.0.1", 0))
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    try:
        client.connect(
            target.address, username=user, key_filename=str(key), sock=sock,
            look_for_keys=False, allow_agent=False, timeout=15, banner_timeout=15, auth_timeout=15,
        )  # fmt: skip
    except BaseException:
        client.close()
        if jump is not None:
            jump.close()
        raise
    return client, jump


@contextmanager
def vendor_session(
    via: harness.TestHost | None, target: harness.TestHost, user: str, key: Path
) -> Iterator[paramiko.SSHClient]:
    client, jump = connect(via, target, user, key)
    try:
        yield client
    finally:
        client.close()
        if jump is not None:
            jump.close()


def run(client: paramiko.SSHClient, command: str) -> str:
    _, stdout, _ = client.exec_command(command, timeout=15)
    return str(stdout.read().decode().strip())


def vendor_login(via: harness.TestHost | None, target: harness.TestHost, user: str, key: Path) -> str:
    """Log in as `user` with `key`, jumping through `via` when given; `id -un` there."""
    with vendor_session(via, target, user, key) as client:
        return run(client, "id -un")


def refused(via: harness.TestHost | None, target: harness.TestHost, user: str, key: Path) -> bool:
    """Whether sshd refuses the key (a login cut off while the host ends the window is tried again)."""
    for attempt in range(3):
        try:
            vendor_login(via, target, user, key)
        except paramiko.AuthenticationException:
            return True
        except (EOFError, paramiko.SSHException):
            if attempt == 2:
                raise
            time.sleep(0.5)
        else:
            return False
    raise AssertionError("unreachable")


def su_as_root(client: paramiko.SSHClient, password: str) -> str:
    """`su -c 'id -un' root` in a terminal of the vendor's session, root's password typed at su's
    prompt: everything su printed (root on success)."""
    channel = client.get_transport().open_session()  # type: ignore[union-attr]
    channel.settimeout(20)
    channel.get_pty()
    channel.exec_command("LC_ALL=C su -c 'id -un' root")
    said = b""
    deadline = time.monotonic() + 20
    while b"assword" not in said and time.monotonic() < deadline and not channel.exit_status_ready():
        said += channel.recv(1024)
    if b"assword" in said:
        channel.sendall(f"{password}\n".encode())
    while time.monotonic() < deadline:
        chunk = channel.recv(1024)
        if not chunk:
            break
        said += chunk
    channel.close()
    return said.decode(errors="replace")


class HeldSession:
    """A vendor session kept open (`sleep 3600` running), to see whether the host ends it."""

    def __init__(self, via: harness.TestHost | None, target: harness.TestHost, user: str, key: Path) -> None:
        self.client, self._jump = connect(via, target, user, key)
        transport = self.client.get_transport()
        assert transport is not None
        self.channel = transport.open_session()
        self.channel.exec_command("sleep 3600")

    def alive(self) -> bool:
        transport = self.client.get_transport()
        return transport is not None and transport.is_active() and not self.channel.exit_status_ready()

    def close(self) -> None:
        self.client.close()
        if self._jump is not None:
            self._jump.close()
