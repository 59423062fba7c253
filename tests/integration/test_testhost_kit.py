"""The test-host kit from nothing, as on a fresh machine: several hosts booted at once with no SSH
key, no bridge and no unpacked image yet. testhost.sh makes each of them once, under its locks, and
every host comes up reachable with the one key.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import BASE, PREFIX, require_test_hosts
from tests.testhosts import harness

pytestmark = pytest.mark.integration

HOSTS = 4


def bridge_exists(name: str) -> bool:
    return subprocess.run(["ip", "link", "show", name], capture_output=True).returncode == 0


def test_hosts_booted_at_once_from_nothing_all_come_up(tmp_path: Path) -> None:
    require_test_hosts()
    harness.build_images(["bookworm"])
    cache = tmp_path / "cache"  # the image tarball alone: the unpacked base is made by the boots
    cache.mkdir()
    tarball = harness.image_tarball("bookworm")
    (cache / tarball.name).symlink_to(tarball)
    # A bridge and a /24 of the suite's own, beside the fleet's (RFC 2544 range, like 198.18.0).
    lab = harness.Lab(
        tmp_path / "lab", bridge=f"{PREFIX}kitbr"[:15], network=f"198.19.{BASE}", image_cache=cache
    )
    harness.remove_bridge(lab)  # left over by an interrupted earlier run
    assert not lab.key.exists() and not lab.directory.exists()
    assert not bridge_exists(lab.bridge)
    hosts = [harness.TestHost(f"{PREFIX}kit-{i}", 2 + i, lab) for i in range(HOSTS)]
    try:
        harness.boot(hosts)
        for host in hosts:
            assert host.ssh(harness.ADMIN, "hostname").stdout.strip() == host.name
            assert host.sudo("ip -4 -o addr show dev host0").stdout.count(f" {host.address}/24 ") == 1
        assert sorted(p.name for p in lab.directory.iterdir()) == [
            "id_ed25519",
            "id_ed25519.pub",
            "known_hosts",
        ]
        assert len(lab.known_hosts.read_text().splitlines()) == HOSTS
        bases = sorted(p.name for p in cache.iterdir() if not p.name.startswith("."))
        assert bases == [f"base-{tarball.name.removesuffix('.tar.zst')}", tarball.name]
        assert bridge_exists(lab.bridge)
    finally:
        harness.shutdown(hosts)
        harness.remove_bridge(lab)
        shutil.rmtree(cache, ignore_errors=True)  # an unpacked Debian: not worth keeping among pytest's temps
    assert not bridge_exists(lab.bridge)
