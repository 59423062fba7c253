"""A vendor's technician as a real SSH client (paramiko): logs in with their key, jumping through
a host (the bastion) when given, runs commands, tries su, keeps a session open."""

from __future__ import annotations

import base64
import subprocess
import time
from collections.abc import Iterable, Iterator
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


def live_in(host: harness.TestHost, zone: str) -> None:
    """Put the host in a time zone of this machine's zoneinfo (the images have no tzdata), sshd too."""
    data = base64.b64encode(Path(f"/usr/share/zoneinfo/{zone}").read_bytes()).decode()
    host.sudo(
        f"echo {data} | base64 -d > /etc/localtime && echo {zone} > /etc/timezone && systemctl restart ssh"
    )


def direct_vendor_inventory(
    path: Path,
    hosts: Iterable[harness.TestHost],
    key: Path,
    host_vars: dict[str, dict[str, object]] | None = None,
) -> Path:
    """An inventory declaring vendor acme (key `key`) on the hosts, logging in from this machine (the
    hosts' bridge address) without a bastion."""
    hosts = list(hosts)
    network = hosts[0].lab.network
    return harness.write_inventory(
        path,
        hosts,
        host_vars=host_vars,
        carehard_admins=[harness.ADMIN, "root"],
        carehard_admin_networks=[f"{network}.0/24"],
        carehard_vendors=[
            {
                "name": "acme",
                "keys": [Path(f"{key}.pub").read_text(encoding="utf-8").strip()],
                "hosts": [h.name for h in hosts],
                "max_window": "1h",
                "from": [f"{network}.1"],
            }
        ],
    )


def watch_window_end(
    hosts: Iterable[harness.TestHost], user: str, key: Path, end: float, after: float
) -> tuple[dict[str, float], dict[str, float]]:
    """Log `user` in on each host (from this machine), leave a session running, then look every half
    second until each host has refused a new login and ended the session, or `after` seconds past
    `end`: when each happened (epoch seconds), per host name, logins refused then sessions ended."""
    hosts = list(hosts)
    sessions = {}
    for host in hosts:
        assert vendor_login(None, host, user, key) == user, host.name
        sessions[host.name] = HeldSession(None, host, user, key)
    refused_at: dict[str, float] = {}
    ended_at: dict[str, float] = {}
    try:
        while time.time() < end + after and len(refused_at) + len(ended_at) < 2 * len(hosts):
            for host in hosts:
                if host.name not in ended_at and not sessions[host.name].alive():
                    ended_at[host.name] = time.time()
                if host.name not in refused_at and refused(None, host, user, key):
                    refused_at[host.name] = time.time()
            time.sleep(0.5)
    finally:
        for session in sessions.values():
            session.close()
    return refused_at, ended_at
