"""`carehard exposure scan` on real test hosts: from the outsider, a listener planted on spare's RDP
port is found reachable and not allowed, a closed port is not reachable, an allowed port passes, and
a target outside the inventory is refused before anything runs.

The test hosts have no nmap: the scan goes through port_probe's own connections (the nmap path is
covered in tests/unit/test_exposure.py, on nmap's real output and a real nmap run).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from carehard.exposure import DEFAULT_PORTS
from carehard.history import History
from carehard.model import RunRecord
from tests.clirun import carehard, evidence, load_report, statuses
from tests.testhosts import harness

pytestmark = pytest.mark.integration

PLANTED_PORT = 3389  # rdp
CLOSED_PORT = 5900  # vnc: nothing listens there
UNIT = "carehard-planted-rdp"
SCRIPT = f"/run/{UNIT}.py"
# Accepts and drops every connection on 0.0.0.0:3389, as a forgotten RDP server would answer a probe.
LISTENER = (
    "import socket\n"
    "s = socket.socket()\n"
    "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    f"s.bind(('0.0.0.0', {PLANTED_PORT}))\n"
    "s.listen(64)\n"
    "while True:\n"
    "    s.accept()[0].close()\n"
)


@dataclass
class Site:
    inventory: Path
    work: Path
    vantage: harness.TestHost  # outsider
    exposed: harness.TestHost  # spare, with the planted listener
    quiet: harness.TestHost  # bastion: only SSH, which is allowed
    state: Path

    def scan(self, *args: str) -> tuple[int, str, str, Path]:
        out = self.work / f"scan-{time.monotonic_ns()}"
        proc = carehard(
            "exposure", "scan", "-i", str(self.inventory), "--from", self.vantage.name, *args,
            "--output", str(out), "--format", "json",
        )  # fmt: skip
        return proc.returncode, proc.stdout, proc.stderr, out

    def last_run(self) -> RunRecord:
        history = History(self.state / "history.db")
        run_id = history.last_run_id()
        assert run_id is not None
        run = history.load(run_id)
        assert run is not None
        return run


@pytest.fixture(scope="module")
def site(
    fleet: dict[str, harness.TestHost], state_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    work = tmp_path_factory.mktemp("exposure")
    vantage, exposed, quiet = fleet["outsider"], fleet["spare"], fleet["bastion"]
    inventory = harness.write_inventory(
        work / "hosts.yml",
        [vantage, exposed, quiet],
        carehard_exposure_allowed=[{"port": 22, "proto": "tcp", "reason": "admin SSH"}],
    )
    script = base64.b64encode(LISTENER.encode()).decode()
    exposed.sudo(
        f"echo {script} | base64 -d > {SCRIPT} && systemd-run --unit={UNIT} --collect python3 {SCRIPT}"
        f" && for i in $(seq 50); do ss -Hltn 'sport = :{PLANTED_PORT}' | grep -q . && exit 0;"
        " sleep 0.1; done; exit 1"
    )
    try:
        yield Site(inventory, work, vantage, exposed, quiet, state_dir)
    finally:
        exposed.sudo(f"systemctl stop {UNIT}; rm -f {SCRIPT}", check=False)


def test_a_planted_rdp_listener_is_reachable_and_fails(site: Site) -> None:
    started = time.monotonic()
    code, stdout, stderr, out = site.scan(
        "--limit", f"{site.exposed.name},{site.quiet.name}", "--ports", f"22,{PLANTED_PORT},{CLOSED_PORT}"
    )
    elapsed = time.monotonic() - started
    assert code == 1, stdout + stderr
    report = load_report(out)
    assert statuses(report, site.exposed.name) == {"EX-NET-01": "fail"}
    text = evidence(report, site.exposed.name, "EX-NET-01")
    assert text.startswith(f"reachable from {site.vantage.name} on {site.exposed.address}: "), text
    assert f"{PLANTED_PORT}/tcp (rdp) NOT allowed" in text and "22/tcp (ssh) allowed (admin SSH)" in text, (
        text
    )
    assert f"{CLOSED_PORT}/tcp" not in text.split("; the other ports")[0], text
    # the allowed SSH port alone on the other host: a pass
    assert statuses(report, site.quiet.name) == {"EX-NET-01": "pass"}
    assert "22/tcp (ssh) allowed (admin SSH)" in evidence(report, site.quiet.name, "EX-NET-01")
    # what the history keeps for `carehard facts` and the exposure map
    run = site.last_run()
    assert run.mode == "exposure" and set(run.hosts) == {site.exposed.name, site.quiet.name}
    facts = run.hosts[site.exposed.name].facts["exposure"]
    assert facts["from"] == site.vantage.name and facts["method"] == "connect" and facts["complete"]
    ports = {p["port"]: (p["state"], p["allowed"]) for p in facts["ports"]}
    assert ports == {22: ("open", True), PLANTED_PORT: ("open", False), CLOSED_PORT: ("closed", False)}
    print(f"\nexposure scan of 2 hosts x 3 ports: {elapsed:.1f} s (whole command)")


def test_the_default_ports_of_every_other_host(site: Site) -> None:
    """No --limit: every inventory host but the vantage, at the default ports; the planted one fails."""
    started = time.monotonic()
    code, stdout, stderr, out = site.scan()
    elapsed = time.monotonic() - started
    assert code == 1, stdout + stderr
    report = load_report(out)
    assert {h["name"] for h in report["hosts"]} == {site.exposed.name, site.quiet.name}
    run = site.last_run()
    for host in run.hosts.values():
        assert {p["port"] for p in host.facts["exposure"]["ports"]} == set(DEFAULT_PORTS)
    print(f"\nexposure scan of 2 hosts x {len(DEFAULT_PORTS)} ports: {elapsed:.1f} s (whole command)")


def test_a_target_outside_the_inventory_is_refused(site: Site, fleet: dict[str, harness.TestHost]) -> None:
    outside = fleet["maint"]  # a real, reachable host the inventory does not name
    runs_before = len(History(site.state / "history.db").runs())
    for args in (
        ("--limit", outside.address),
        ("--limit", outside.name),
        ("--limit", f"{site.exposed.name},{outside.address}"),
    ):
        code, stdout, stderr, out = site.scan(*args)
        assert code == 2, (args, stdout, stderr)
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and "matches no host of the inventory" in lines[0], (args, stderr)
        assert "only inventory hosts are scanned" in lines[0]
        assert not out.exists()
    proc = carehard("exposure", "scan", "-i", str(site.inventory), "--from", outside.name)
    assert proc.returncode == 2 and f"vantage host {outside.name} is not in the inventory" in proc.stderr
    assert len(History(site.state / "history.db").runs()) == runs_before


def test_the_listener_gone_the_host_passes(site: Site) -> None:
    """Last of the module: it stops the planted listener."""
    site.exposed.sudo(f"systemctl stop {UNIT}")
    code, stdout, stderr, out = site.scan("--limit", site.exposed.name, "--ports", f"22,{PLANTED_PORT}")
    assert code == 0, stdout + stderr
    text = evidence(load_report(out), site.exposed.name, "EX-NET-01")
    assert text == (
        f"reachable from {site.vantage.name} on {site.exposed.address}: 22/tcp (ssh) allowed (admin SSH);"
        " the other ports 1 closed"
    ), text
