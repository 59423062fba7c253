"""Session-wide test hosts and the Linux audit/harden cycle: booted and run once, in parallel.

CAREHARD_TEST_PREFIX and CAREHARD_TEST_NET_BASE let several suites run side by side on one
machine (each with its own host names and 198.18.0.N addresses).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.linux_cycle import BackgroundCycle, LinuxCycle
from tests.testhosts import harness

PREFIX = os.environ.get("CAREHARD_TEST_PREFIX", "cht-")
BASE = int(os.environ.get("CAREHARD_TEST_NET_BASE", "2"))

# role -> (offset of the address from BASE, Debian release); one boot per session.
FLEET = {
    "deb12": (0, "bookworm"),  # fresh Debian 12: the audit -> harden -> audit -> harden cycle
    "deb13": (1, "trixie"),  # fresh Debian 13: the same cycle, in the same runs; waivers in its inventory
    "spare": (3, "bookworm"),  # untouched: doctor and read-only checks
    "gone": (4, "bookworm"),  # booted, then shut down: an unreachable host
    "bastion": (5, "bookworm"),  # the jump host vendors come through
    "maint": (6, "bookworm"),  # a host a vendor maintains: vendor windows open and close here
    "outsider": (7, "trixie"),  # any other machine of the network: vendor keys refused from it
    "bkrestore": (8, "trixie"),  # the backup server: restic repositories, restore tests
    "bkprod": (9, "bookworm"),  # a production server whose data is backed up
    "sched": (10, "bookworm"),  # runs this checkout's carehard from systemd timers (bind-mounted, read-only)
}
REPO = Path(__file__).resolve().parents[2]
# Host paths a role's host sees read-only at the same path: the checkout, its venv, the venv's Python
# (unless that is the system's own, which the host has: bookworm's python3.11).
BIND_RO = {
    "sched": tuple(
        dict.fromkeys(str(p) for p in (REPO, Path(sys.prefix), Path(sys.base_prefix)) if str(p) != "/usr")
    )
}


CYCLE_ROLES = ("deb12", "deb13")
_CYCLE_WANTED = pytest.StashKey[bool]()
_CYCLE = pytest.StashKey[BackgroundCycle]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests that read the Linux cycle run last: the cycle runs in the background from the moment
    the fleet is up, while every other test (unit tests included) runs."""
    readers = [item for item in items if "linux_cycle" in getattr(item, "fixturenames", ())]
    if readers:
        others = [item for item in items if "linux_cycle" not in getattr(item, "fixturenames", ())]
        items[:] = others + readers
        config.stash[_CYCLE_WANTED] = True


def cycle_of(
    config: pytest.Config, fleet: dict[str, harness.TestHost], factory: pytest.TempPathFactory
) -> BackgroundCycle:
    if _CYCLE not in config.stash:
        hosts = {role: fleet[role] for role in CYCLE_ROLES}
        config.stash[_CYCLE] = BackgroundCycle(hosts, factory.mktemp("linux-cycle"))
    return config.stash[_CYCLE]


def name_of(role: str) -> str:
    return f"{PREFIX}{role}"


def require_test_hosts() -> None:
    """Skip where test hosts cannot be made; in CI, fail instead: a suite that skips them proves nothing."""
    reason = harness.missing_prerequisites()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def fleet(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, harness.TestHost]]:
    """The test hosts, keyed by role (see FLEET); the Linux cycle starts on them at once if a test
    of the session reads it."""
    require_test_hosts()
    harness.build_images()
    lab = harness.Lab(tmp_path_factory.mktemp("lab"))  # a new key and known_hosts every session
    hosts = {
        role: harness.TestHost(name_of(role), BASE + offset, lab, suite, BIND_RO.get(role, ()))
        for role, (offset, suite) in FLEET.items()
    }
    harness.boot(hosts.values())
    try:
        hosts["gone"].down()
        if request.config.stash.get(_CYCLE_WANTED, False):
            cycle_of(request.config, hosts, tmp_path_factory)
        yield hosts
    finally:
        harness.shutdown(hosts.values())


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """carehard's state (runs, history) for the whole session, away from the user's own."""
    path = tmp_path_factory.mktemp("state")
    os.environ["CAREHARD_STATE_DIR"] = str(path)
    return path


@pytest.fixture(scope="session")
def linux_cycle(
    request: pytest.FixtureRequest,
    fleet: dict[str, harness.TestHost],
    state_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> LinuxCycle:
    """audit -> harden -> audit -> harden at level 3 on deb12 and deb13, in the same runs (started
    with the fleet; this waits for its end)."""
    return cycle_of(request.config, fleet, tmp_path_factory).result()
