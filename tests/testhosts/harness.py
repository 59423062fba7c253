"""Disposable Debian test hosts for the integration tests, driven through testhost.sh.

Each host is a systemd-nspawn container in its own network namespace at 198.18.0.N, reachable
over real SSH. Tests talk to it as an `admin` sudo account, as a site's administrator would.

A Lab is what one session's hosts share: an SSH key and a known_hosts file made fresh in the
session's own directory (so every run walks a first run's path), the bridge and its network.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

SCRIPT = Path(__file__).with_name("testhost.sh")
NETWORK = "198.18.0"
BRIDGE = "chbr0"
ADMIN = "admin"


@dataclass(frozen=True)
class Lab:
    """What a session's hosts share. testhost.sh makes the key (once, under its lock) at the first boot."""

    directory: Path
    bridge: str = BRIDGE
    network: str = NETWORK  # the first three octets of a /24
    image_cache: Path | None = None  # None: testhost.sh's own (~/.cache/carehard/testhost)

    @property
    def key(self) -> Path:
        return self.directory / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.directory / "known_hosts"

    def environment(self) -> dict[str, str]:
        env = {
            "CAREHARD_TESTHOST_KEY": str(self.key),
            "CAREHARD_TESTHOST_BRIDGE": self.bridge,
            "CAREHARD_TESTHOST_NET": self.network,
        }
        if self.image_cache is not None:
            env["CAREHARD_TESTHOST_CACHE"] = str(self.image_cache)
        return env


def missing_prerequisites() -> str | None:
    """Why test hosts cannot be made here, or None when they can."""
    if os.geteuid() != 0:
        return "test hosts need root (systemd-nspawn, network namespaces)"
    for tool in ("systemd-nspawn", "debootstrap", "zstd", "ip", "ssh"):
        if not shutil.which(tool):
            return f"test hosts need {tool}: run scripts/test.sh, which installs it"
    return None


SUITES = ("bookworm", "trixie")


def build_images(suites: Iterable[str] = SUITES, lab: Lab | None = None) -> None:
    """Build (once, cached) the image of each Debian release, in parallel."""
    suites = list(suites)
    with ThreadPoolExecutor(max_workers=len(suites)) as pool:
        list(pool.map(lambda suite: _script("build", suite=suite, lab=lab), suites))


def image_tarball(suite: str = "bookworm") -> Path:
    """Where testhost.sh keeps (or will keep) the image of that release, in its default cache."""
    return Path(_script("tarball", suite=suite).stdout.strip())


def remove_bridge(lab: Lab) -> None:
    _script("bridge-down", lab=lab)


@dataclass
class TestHost:
    name: str
    number: int
    lab: Lab
    suite: str = "bookworm"
    bind_ro: tuple[str, ...] = ()  # host paths mounted read-only at the same path inside (no spaces)

    __test__ = False  # not a pytest test class

    @property
    def address(self) -> str:
        return f"{self.lab.network}.{self.number}"

    @property
    def key(self) -> Path:
        return self.lab.key

    @property
    def known_hosts(self) -> Path:
        return self.lab.known_hosts

    def ssh_options(self) -> list[str]:
        return [
            "-i",
            str(self.key),
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=accept-new",
            "-o",
            f"UserKnownHostsFile={self.known_hosts}",
            "-o",
            "ConnectTimeout=10",
        ]

    def ssh(self, user: str, command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = ["ssh", *self.ssh_options(), f"{user}@{self.address}", command]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=check)

    def sudo(self, command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a shell command as root through the admin account (root SSH may be hardened away)."""
        return self.ssh(ADMIN, "sudo -n sh -c " + shlex.quote(command), check=check)

    def etc_digest(self) -> str:
        """One hash of every file's content and mode under /etc: equal digests mean nothing changed."""
        out = self.sudo(
            "cd /etc && find . -xdev \\( -type f -o -type l \\) -printf '%p %m %l\\n' | sort | "
            "sha256sum; find . -xdev -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum"
        )
        return out.stdout

    def up(self) -> None:
        self.down()
        _script("up", self.name, str(self.number), suite=self.suite, bind_ro=self.bind_ro, lab=self.lab)
        self._add_admin()

    def down(self) -> None:
        _script("down", self.name, check=False, lab=self.lab)

    def crash(self) -> None:
        """Cut the power: every process of the host killed at once, its disk kept for start()."""
        _script("crash", self.name, lab=self.lab)

    def start(self) -> None:
        """Boot a crashed host again on the disk it had."""
        _script("start", self.name, str(self.number), lab=self.lab)

    def _add_admin(self) -> None:
        self.ssh(
            "root",
            f"useradd -m -s /bin/bash -G sudo {ADMIN} && install -d -m700 -o {ADMIN} -g {ADMIN} ~{ADMIN}/.ssh"
            f" && install -m600 -o {ADMIN} -g {ADMIN} /root/.ssh/authorized_keys ~{ADMIN}/.ssh/"
            f" && echo '{ADMIN} ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/{ADMIN}"
            f" && chmod 440 /etc/sudoers.d/{ADMIN}",
        )


def boot(hosts: Iterable[TestHost]) -> None:
    """Boot hosts in parallel; on any failure, take all of them down again."""
    hosts = list(hosts)
    with ThreadPoolExecutor(max_workers=max(1, len(hosts))) as pool:
        futures = [pool.submit(h.up) for h in hosts]
        errors = [f.exception() for f in futures]
    failed = [e for e in errors if e]
    if failed:
        shutdown(hosts)
        raise RuntimeError(f"{len(failed)} of {len(hosts)} test hosts failed to boot; the first: {failed[0]}")


def shutdown(hosts: Iterable[TestHost]) -> None:
    hosts = list(hosts)
    with ThreadPoolExecutor(max_workers=max(1, len(hosts))) as pool:
        list(pool.map(lambda h: h.down(), hosts))


def write_inventory(
    path: Path,
    hosts: Iterable[TestHost],
    group: str = "linux_workstations",
    user: str = ADMIN,
    host_vars: dict[str, dict[str, object]] | None = None,
    **group_vars: object,
) -> Path:
    """An inventory as a site would write one: the admin account, key auth, become."""
    hosts = list(hosts)
    lab = hosts[0].lab
    common = f"-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile={lab.known_hosts}"
    body = {
        "all": {
            "children": {
                group: {
                    "hosts": {
                        h.name: {"ansible_host": h.address, **(host_vars or {}).get(h.name, {})}
                        for h in hosts
                    },
                    "vars": {
                        "ansible_user": user,
                        "ansible_ssh_private_key_file": str(lab.key),
                        "ansible_ssh_common_args": common,
                        **group_vars,
                    },
                }
            }
        }
    }
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return path


def _script(
    *args: str,
    check: bool = True,
    suite: str = "bookworm",
    bind_ro: tuple[str, ...] = (),
    lab: Lab | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **(lab.environment() if lab else {}),
        "CAREHARD_TESTHOST_SUITE": suite,
        "CAREHARD_TESTHOST_BIND_RO": " ".join(bind_ro),
    }
    proc = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=600, env=env)
    if check and proc.returncode != 0:
        raise RuntimeError(
            f"testhost.sh {' '.join(args)} failed: {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
        )
    return proc
