"""Test hosts a test module boots for itself, on a bridge and a /24 of its own (like the kit test's
198.19.BASE): hosts it may harden, interrupt or kill, apart from the session's FLEET, whose
hosts other tests read. They need no `fleet`, so a module using only them boots only them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from tests.integration.conftest import BASE, PREFIX, require_test_hosts
from tests.integration.linux_cycle import inventory_vars
from tests.testhosts import harness

NETWORK = f"198.19.{BASE}"
FIRST_NUMBER = 20  # the kit test uses .2-.5 of the same /24 (never at the same time: one bridge each)


@contextmanager
def own_hosts(
    directory: Path,
    tag: str,
    count: int,
    suites: tuple[str, ...] = ("bookworm",),
    bind_ro: Mapping[int, tuple[str, ...]] | None = None,
) -> Iterator[list[harness.TestHost]]:
    """`count` fresh hosts named PREFIX<tag>-<i> (Debian releases taken in turn from `suites`),
    down again (bridge removed) afterwards. bind_ro: host i -> paths of this machine it sees
    read-only at the same place (conftest.BIND_RO: a control node running this checkout)."""
    require_test_hosts()
    harness.build_images(sorted(set(suites)))
    lab = harness.Lab(directory / "lab", bridge=f"{PREFIX}{tag}br"[:15], network=NETWORK)
    harness.remove_bridge(lab)  # left over by an interrupted earlier run
    hosts = [
        harness.TestHost(
            f"{PREFIX}{tag}-{i}", FIRST_NUMBER + i, lab, suites[i % len(suites)], (bind_ro or {}).get(i, ())
        )
        for i in range(count)
    ]
    try:
        harness.boot(hosts)  # a boot that fails takes its hosts down: the bridge must go too
        yield hosts
    finally:
        harness.shutdown(hosts)
        harness.remove_bridge(lab)


def harden_inventory(path: Path, hosts: list[harness.TestHost], **group_vars: Any) -> Path:
    """The integration tests' inventory variables, with this network as the admin network (the
    firewall WL-NET-* writes must keep letting the test runner in)."""
    variables = {**inventory_vars(), "carehard_admin_networks": [f"{NETWORK}.0/24"], **group_vars}
    return harness.write_inventory(path, hosts, **variables)


def processes_with(variable: str, value: str) -> dict[int, str]:
    """Live processes whose environment holds variable=value, with their command lines."""
    needle = f"{variable}={value}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with suppress(OSError):
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    return found


def lock_held(path: Path) -> bool:
    """Whether any process holds a flock on `path` (read from /proc/locks: probing would take it)."""
    try:
        inode = path.stat().st_ino
    except FileNotFoundError:
        return False
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if len(fields) > 5 and fields[1] == "FLOCK" and int(fields[5].split(":")[-1]) == inode:
            return True
    return False
