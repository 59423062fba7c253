"""Host keys on a first login: what the known_hosts files say of a host, the key's SHA256 fingerprint
as ssh prints it, recording a new key, and the paramiko policy that records a key only once shown."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import paramiko

GLOBAL_KNOWN_HOSTS = ("/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2")


def fingerprint(key: paramiko.PKey) -> str:
    """`ssh-keygen -lf` style: SHA256:<base64 without padding>, with the key type."""
    digest = base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")
    return f"{key.get_name()} SHA256:{digest}"


def host_entry(hostname: str, port: int) -> str:
    """The name a host is known by in known_hosts: `addr`, or `[addr]:port` off port 22."""
    return hostname if port == 22 else f"[{hostname}]:{port}"


@dataclass(frozen=True)
class KnownHosts:
    """The known_hosts files ssh would read for a host (the user's first, where new keys go)."""

    files: tuple[Path, ...]

    @classmethod
    def of(cls, user_files: Sequence[str]) -> KnownHosts:
        return cls(tuple(Path(os.path.expanduser(f)) for f in user_files))

    @property
    def record_file(self) -> Path:
        return self.files[0]

    def readable(self) -> list[Path]:
        """Every file ssh reads for host keys: the system's, then the user's."""
        paths = [*map(Path, GLOBAL_KNOWN_HOSTS), *self.files]
        return [p for p in paths if p.is_file() and os.access(p, os.R_OK)]

    def record(self, entry: str, key: paramiko.PKey) -> None:
        """Append the key (a plain line, as ssh writes with HashKnownHosts no)."""
        path = self.record_file
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        needs_newline = path.is_file() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
        with path.open("a", encoding="utf-8") as handle:
            handle.write(("\n" if needs_newline else "") + f"{entry} {key.get_name()} {key.get_base64()}\n")


class HostKeyChanged(Exception):
    """The host offers another key than the one recorded (or than the one shown before the password)."""

    def __init__(self, recorded: paramiko.PKey, offered: paramiko.PKey) -> None:
        super().__init__("host key changed")
        self.recorded = recorded
        self.offered = offered


class UnknownHostKey(Exception):
    """A first look at a host: its key is in no known_hosts file (nothing is sent to it)."""

    def __init__(self, key: paramiko.PKey) -> None:
        super().__init__("unknown host key")
        self.key = key


class StopAtUnknownKey(paramiko.MissingHostKeyPolicy):
    """Before the password: an unknown key stops the connection, to be shown to the user first."""

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        raise UnknownHostKey(key)


class RecordShownKey(paramiko.MissingHostKeyPolicy):
    """With the password: an unknown key is accepted and recorded only if it is the one shown before
    the password was asked; any other key stops the connection before the password is sent."""

    def __init__(self, known: KnownHosts, entry: str, shown: paramiko.PKey) -> None:
        self.known = known
        self.entry = entry
        self.shown = shown

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        if key != self.shown:
            raise HostKeyChanged(self.shown, key)
        self.known.record(self.entry, key)
