"""Vendor windows on the sshd versions of the supported systems, ended by the host itself.

Debian 11 (OpenSSH 8.4) reads a key's expiry-time in the host's local time and rejects the whole
key line with the UTC form (a trailing Z, OpenSSH 9.1 and later), which Debian 13 (10.0) reads.
The Debian 11 host lives in Paris time, so that its local form differs from UTC. An sshd that
reports OpenSSH 7.4 (no expiry-time at all) is refused before anything changes. The technician
logs in from the test runner, which the declaration names as the vendor's source (no bastion here).
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from tests.clirun import carehard
from tests.integration.own_hosts import own_hosts
from tests.integration.vendor_client import direct_vendor_inventory, live_in, make_key, watch_window_end
from tests.testhosts import harness

pytestmark = pytest.mark.integration

SUITES = ("bullseye", "trixie")
TIME_ZONE = "Europe/Paris"
OLD_SSHD = "/usr/local/sbin/sshd-reports-7.4"
# An sshd binary that says it is OpenSSH 7.4 (as CentOS 7's does) and is the real one otherwise.
OLD_SSHD_SCRIPT = """#!/bin/sh
if [ "$1" = -V ]; then
  echo "unknown option -- V" >&2
  echo "OpenSSH_7.4p1, OpenSSL 1.0.2k-fips  26 Jan 2017" >&2
  exit 1
fi
exec /usr/sbin/sshd "$@"
"""


@dataclass
class Site:
    work: Path
    hosts: dict[str, harness.TestHost]  # suite -> host
    key: Path

    def windows(self) -> list[dict[str, str]]:
        """The windows `vendor list` shows open on these hosts."""
        listed = json.loads(carehard("vendor", "list", "--format", "json").stdout)
        names = {h.name for h in self.hosts.values()}
        return [w for w in listed if w["host"] in names]

    def inventory(self, host_vars: dict[str, dict[str, object]] | None = None) -> Path:
        return direct_vendor_inventory(self.work / "hosts.yml", self.hosts.values(), self.key, host_vars)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, state_dir: Path) -> Iterator[Site]:
    work = tmp_path_factory.mktemp("vendor-sshd")
    with own_hosts(work, "vsshd", len(SUITES), SUITES) as booted:
        hosts = {host.suite: host for host in booted}
        live_in(hosts["bullseye"], TIME_ZONE)
        yield Site(work, hosts, make_key(work / "tech", "acme-tech"))


def test_each_sshd_reads_its_key_form_and_the_host_ends_the_window(site: Site) -> None:
    inventory = site.inventory()
    opened = carehard("vendor", "open", "acme", "-i", inventory, "--group", "linux_workstations",
                      "--for", "2m", "--reason", "sshd versions")  # fmt: skip
    assert opened.returncode == 0, opened.stdout + opened.stderr
    windows = site.windows()
    assert len(windows) == len(SUITES) and len({w["ends_at"] for w in windows}) == 1, windows
    end = datetime.strptime(windows[0]["ends_at"], "%Y-%m-%dT%H:%M:%S%z").timestamp()
    utc = time.strftime("%Y%m%d%H%M%S", time.gmtime(end))

    old, new = site.hosts["bullseye"], site.hosts["trixie"]
    assert "OpenSSH_8.4" in old.sudo("/usr/sbin/sshd -V 2>&1 || true").stdout
    local = old.sudo(f"date -d @{int(end)} +%Y%m%d%H%M%S").stdout.strip()
    assert local != utc, "the Debian 11 host is not in a time zone of its own"
    assert f'expiry-time="{local}" ' in old.sudo("cat /etc/ssh/carehard-vendor-keys/acme").stdout
    assert f'expiry-time="{utc}Z" ' in new.sudo("cat /etc/ssh/carehard-vendor-keys/acme").stdout
    refused_at, ended_at = watch_window_end((old, new), "acme", site.key, end, after=15)
    names = {old.name, new.name}
    assert set(refused_at) == set(ended_at) == names, (refused_at, ended_at)
    late = {
        f"{what} on {name}": round(at - end, 1)
        for what, moments in (("login admitted", refused_at), ("session alive", ended_at))
        for name, at in moments.items()
        if at > end
    }
    assert not late, f"seconds after the window's end: {late}"
    for host in (old, new):
        assert host.sudo("pgrep -u acme", check=False).stdout == ""
    time.sleep(max(0.0, end + 1 - time.time()))
    assert site.windows() == [], "vendor list shows a window open after its end"


def test_an_sshd_without_expiry_time_is_refused_before_anything_changes(site: Site) -> None:
    host = site.hosts["trixie"]
    script = base64.b64encode(OLD_SSHD_SCRIPT.encode()).decode()
    host.sudo(f"echo {script} | base64 -d > {OLD_SSHD} && chmod 755 {OLD_SSHD}")
    inventory = site.inventory({host.name: {"remote_access_sshd_binary": OLD_SSHD}})
    before = host.etc_digest()
    proc = carehard("vendor", "open", "acme", "-i", inventory, "--host", host.name, "--for", "1h",
                    "--reason", "old sshd")  # fmt: skip
    assert proc.returncode == 3, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("carehard: error:")]
    assert len(errors) == 1, proc.stderr
    assert re.search(
        rf"{host.name}: .*sshd on {host.name} is OpenSSH 7\.4, which has no expiry-time for keys "
        r"\(OpenSSH 7\.7 or later needed\).*nothing was changed",
        errors[0],
    ), errors[0]
    assert host.etc_digest() == before
    assert host.sudo("test -e /etc/ssh/carehard-vendor-keys/acme", check=False).returncode == 1
    assert site.windows() == []
