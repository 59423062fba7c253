"""Session-wide test hosts: booted once, in parallel, and always taken down."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.testhosts import harness

# name -> last octet of 198.18.0.N; one boot per session for the whole suite.
FLEET = {
    "cht-cycle": 2,  # fresh host for the audit -> harden -> audit -> harden cycle
    "cht-spare": 3,  # untouched host for doctor and read-only checks
    "cht-gone": 4,  # booted, then shut down: an unreachable host
}


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, harness.TestHost]]:
    reason = harness.missing_prerequisites()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    harness.build_image()
    known_hosts = tmp_path_factory.mktemp("ssh") / "known_hosts"
    hosts = {name: harness.TestHost(name, n, known_hosts) for name, n in FLEET.items()}
    harness.boot(hosts.values())
    try:
        hosts["cht-gone"].down()
        yield hosts
    finally:
        harness.shutdown(hosts.values())


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """carehard's state (runs, history) for the whole session, away from the user's own."""
    path = tmp_path_factory.mktemp("state")
    os.environ["CAREHARD_STATE_DIR"] = str(path)
    return path
