# ruff: noqa: E501  (nmap's XML output, as nmap wrote it)
"""`carehard exposure scan` without test hosts: nmap's XML as nmap 7.93 writes it, the verdict against
carehard_exposure_allowed, the refusals (exit 2, one line), the run recorded from the module's
measures, and port_probe's own probing of real sockets on 127.0.0.1 only."""

from __future__ import annotations

import json
import shutil
import socket
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard import exposure
from carehard.engine.run import RunnerOutcome
from carehard.errors import UsageError
from carehard.exposure import (
    Allowance,
    PortState,
    Probed,
    ScanOptions,
    Target,
    parse_allowed,
    parse_ports,
    plan_scan,
    scan_bound,
    single_host,
)
from carehard.exposure.probe import evaluate, parse_nmap_xml, probed_from_connect, probed_from_nmap, probed_of
from carehard.history import History
from carehard.jobs import pipeline
from carehard.jobs.exposure import ScanJob
from carehard.jobs.pipeline import Outputs, run_job
from tests.clirun import carehard

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "roles/compliance_facts/library"))
import port_probe  # noqa: E402

# ---- nmap's output, as nmap 7.93 wrote it (`nmap -oX - -Pn -sT -n ...`) -------------------------------

# 127.0.0.1 with a listener on 3389, and `localhost` (a name given on the command line: nmap lists it
# as a hostname of type "user"); nosuch.invalid did not resolve (stderr below, no <host>).
NMAP_OPEN_CLOSED = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<?xml-stylesheet href="file:///usr/bin/../share/nmap/nmap.xsl" type="text/xsl"?>
<!-- Nmap 7.93 scan initiated Thu Nov 26 05:16:12 2026 as: nmap -oX - -Pn -sT -n -&#45;max-retries 1 -&#45;max-rtt-timeout 1000ms -&#45;max-rate 100 -&#45;host-timeout 60s -p 22,80,3389,5900 127.0.0.1 localhost nosuch.invalid -->
<nmaprun scanner="nmap" args="nmap -oX - -Pn -sT -n -&#45;max-retries 1 -&#45;max-rtt-timeout 1000ms -&#45;max-rate 100 -&#45;host-timeout 60s -p 22,80,3389,5900 127.0.0.1 localhost nosuch.invalid" start="1795670172" startstr="Thu Nov 26 05:16:12 2026" version="7.93" xmloutputversion="1.05">
<scaninfo type="connect" protocol="tcp" numservices="4" services="22,80,3389,5900"/>
<verbose level="0"/>
<debugging level="0"/>
<host starttime="1795670172" endtime="1795670172"><status state="up" reason="user-set" reason_ttl="0"/>
<address addr="127.0.0.1" addrtype="ipv4"/>
<hostnames>
</hostnames>
<ports><port protocol="tcp" portid="22"><state state="closed" reason="conn-refused" reason_ttl="0"/><service name="ssh" method="table" conf="3"/></port>
<port protocol="tcp" portid="80"><state state="closed" reason="conn-refused" reason_ttl="0"/><service name="http" method="table" conf="3"/></port>
<port protocol="tcp" portid="3389"><state state="open" reason="syn-ack" reason_ttl="0"/><service name="ms-wbt-server" method="table" conf="3"/></port>
<port protocol="tcp" portid="5900"><state state="closed" reason="conn-refused" reason_ttl="0"/><service name="vnc" method="table" conf="3"/></port>
</ports>
<times srtt="88" rttvar="2136" to="100000"/>
</host>
<host starttime="1795670172" endtime="1795670172"><status state="up" reason="user-set" reason_ttl="0"/>
<address addr="127.0.0.1" addrtype="ipv4"/>
<hostnames>
<hostname name="localhost" type="user"/>
</hostnames>
<ports><port protocol="tcp" portid="22"><state state="closed" reason="conn-refused" reason_ttl="0"/><service name="ssh" method="table" conf="3"/></port>
<port protocol="tcp" portid="80"><state state="closed" reason="conn-refused" reason_ttl="0"/><service name="http" method="table" conf="3"/></port>
<port protocol="tcp" portid="3389"><state state="open" reason="syn-ack" reason_ttl="0"/><service name="ms-wbt-server" method="table" conf="3"/></port>
<port protocol="tcp" portid="5900"><state state="closed" reason="conn-refused" reason_ttl="0"/><service name="vnc" method="table" conf="3"/></port>
</ports>
<times srtt="69" rttvar="2119" to="100000"/>
</host>
<runstats><finished time="1795670172" timestr="Thu Nov 26 05:16:12 2026" summary="Nmap done at Thu Nov 26 05:16:12 2026; 2 IP addresses (2 hosts up) scanned in 0.10 seconds" elapsed="0.10" exit="success"/><hosts up="2" down="0" total="2"/>
</runstats>
</nmaprun>
"""
NMAP_OPEN_CLOSED_STDERR = 'Failed to resolve "nosuch.invalid".\nFailed to resolve "nosuch.invalid".'

# Many ports in one state are folded into <extraports>, listed in <extrareasons ports=...>: 1-40
# closed on 127.0.0.1; on 192.0.2.250 (nobody there) some timed out, some got host-unreachable.
NMAP_FOLDED = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<?xml-stylesheet href="file:///usr/bin/../share/nmap/nmap.xsl" type="text/xsl"?>
<!-- Nmap 7.93 scan initiated Thu Nov 26 05:08:18 2026 as: nmap -oX - -Pn -sT -n -&#45;max-retries 1 -p 1-40,3389 127.0.0.1 192.0.2.250 -->
<nmaprun scanner="nmap" args="nmap -oX - -Pn -sT -n -&#45;max-retries 1 -p 1-40,3389 127.0.0.1 192.0.2.250" start="1795669698" startstr="Thu Nov 26 05:08:18 2026" version="7.93" xmloutputversion="1.05">
<scaninfo type="connect" protocol="tcp" numservices="41" services="1-40,3389"/>
<verbose level="0"/>
<debugging level="0"/>
<host starttime="1795669698" endtime="1795669698"><status state="up" reason="user-set" reason_ttl="0"/>
<address addr="127.0.0.1" addrtype="ipv4"/>
<hostnames>
</hostnames>
<ports><extraports state="closed" count="40">
<extrareasons reason="conn-refused" count="40" proto="tcp" ports="1-40"/>
</extraports>
<port protocol="tcp" portid="3389"><state state="open" reason="syn-ack" reason_ttl="0"/><service name="ms-wbt-server" method="table" conf="3"/></port>
</ports>
<times srtt="71" rttvar="49" to="100000"/>
</host>
<host starttime="1795669698" endtime="1795669701"><status state="up" reason="user-set" reason_ttl="0"/>
<address addr="192.0.2.250" addrtype="ipv4"/>
<hostnames>
</hostnames>
<ports><extraports state="filtered" count="41">
<extrareasons reason="no-response" count="31" proto="tcp" ports="2-3,6-19,21-27,30-32,34-36,38,3389"/>
<extrareasons reason="host-unreach" count="10" proto="tcp" ports="1,4-5,20,28-29,33,37,39-40"/>
</extraports>
</ports>
<times srtt="65403" rttvar="4944" to="100000"/>
</host>
<runstats><finished time="1795669701" timestr="Thu Nov 26 05:08:21 2026" summary="Nmap done at Thu Nov 26 05:08:21 2026; 2 IP addresses (2 hosts up) scanned in 3.02 seconds" elapsed="3.02" exit="success"/><hosts up="2" down="0" total="2"/>
</runstats>
</nmaprun>
"""

# --host-timeout ran out: the host is there, marked timedout, with no port.
NMAP_TIMED_OUT = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<?xml-stylesheet href="file:///usr/bin/../share/nmap/nmap.xsl" type="text/xsl"?>
<!-- Nmap 7.93 scan initiated Thu Nov 26 05:08:13 2026 as: nmap -oX - -Pn -sT -n -&#45;max-retries 1 -&#45;max-rtt-timeout 2s -&#45;max-rate 5 -&#45;host-timeout 2s -p 1-40 192.0.2.250 -->
<nmaprun scanner="nmap" args="nmap -oX - -Pn -sT -n -&#45;max-retries 1 -&#45;max-rtt-timeout 2s -&#45;max-rate 5 -&#45;host-timeout 2s -p 1-40 192.0.2.250" start="1795669693" startstr="Thu Nov 26 05:08:13 2026" version="7.93" xmloutputversion="1.05">
<scaninfo type="connect" protocol="tcp" numservices="40" services="1-40"/>
<verbose level="0"/>
<debugging level="0"/>
<host starttime="1795669693" endtime="1795669695" timedout="true"><status state="up" reason="user-set" reason_ttl="0"/>
<address addr="192.0.2.250" addrtype="ipv4"/>
<hostnames>
</hostnames>
</host>
<runstats><finished time="1795669695" timestr="Thu Nov 26 05:08:15 2026" summary="Nmap done at Thu Nov 26 05:08:15 2026; 1 IP address (1 host up) scanned in 2.25 seconds" elapsed="2.25" exit="success"/><hosts up="1" down="0" total="1"/>
</runstats>
</nmaprun>
"""

SSH_ALLOWED = (Allowance(22, "tcp", "admin SSH"),)


def test_nmap_xml_gives_each_port_state_reason_and_service() -> None:
    hosts = parse_nmap_xml(NMAP_OPEN_CLOSED)
    assert [(h.address, h.hostnames) for h in hosts] == [("127.0.0.1", ()), ("127.0.0.1", ("localhost",))]
    assert hosts[0].ports == {
        22: PortState("closed", "conn-refused", "ssh"),
        80: PortState("closed", "conn-refused", "http"),
        3389: PortState("open", "syn-ack", "ms-wbt-server"),
        5900: PortState("closed", "conn-refused", "vnc"),
    }
    assert not hosts[0].timed_out


def test_nmap_xml_expands_the_folded_ports() -> None:
    local, nobody = parse_nmap_xml(NMAP_FOLDED)
    assert set(local.ports) == {*range(1, 41), 3389}
    assert local.ports[17] == PortState("closed", "conn-refused")
    assert local.ports[3389].state == "open"
    assert set(nobody.ports) == {*range(1, 41), 3389}
    assert {p.state for p in nobody.ports.values()} == {"filtered"}
    assert nobody.ports[4].reason == "host-unreach" and nobody.ports[3389].reason == "no-response"


def test_nmap_xml_of_an_older_nmap_folds_without_listing() -> None:
    """Before nmap 7.80, <extrareasons> had no ports: the one <extraports> state is every other port's."""
    old = NMAP_FOLDED.replace(' ports="1-40"', "")
    local = parse_nmap_xml(old)[0]
    assert set(local.ports) == {3389} and local.folded == "closed"
    target = Target("pc", "127.0.0.1")
    seen = probed_from_nmap([{"xml": old}], [target], [22, 3389])["pc"]
    assert seen.ports == {22: PortState("closed"), 3389: local.ports[3389]} and seen.complete


def test_nmap_output_cut_short_still_gives_the_hosts_it_finished() -> None:
    cut = NMAP_FOLDED[: NMAP_FOLDED.index("<host", NMAP_FOLDED.index("</host>")) + 40]
    hosts = parse_nmap_xml(cut)
    assert [h.address for h in hosts] == ["127.0.0.1"]
    assert parse_nmap_xml("") == [] and parse_nmap_xml("not xml at all") == []


def test_nmap_results_map_back_to_inventory_hosts() -> None:
    targets = [
        Target("pc-ip", "127.0.0.1"),
        Target("pc-name", "LOCALHOST"),
        Target("ghost", "nosuch.invalid"),
    ]
    runs = [{"xml": NMAP_OPEN_CLOSED, "stderr": NMAP_OPEN_CLOSED_STDERR, "rc": 0}]
    seen = probed_from_nmap(runs, targets, [22, 80, 3389, 5900])
    assert seen["pc-ip"].ports[3389].state == "open" and seen["pc-ip"].complete
    assert seen["pc-name"].ports[3389].state == "open" and seen["pc-name"].address == "127.0.0.1"
    assert seen["ghost"].problem == 'nmap on the vantage host: Failed to resolve "nosuch.invalid".'
    result, facts = evaluate(targets[2], seen["ghost"], "edge", [22], "nmap", "2026-11-26T05:16:12Z")
    assert result.status == "unreachable"
    assert (
        result.evidence
        == 'not probed from edge: nmap on the vantage host: Failed to resolve "nosuch.invalid".'
    )
    assert facts["ports"] == [] and facts["complete"] is False


def test_a_host_nmap_timed_out_on_is_an_error_not_a_pass() -> None:
    target = Target("slow", "192.0.2.250")
    seen = probed_from_nmap([{"xml": NMAP_TIMED_OUT}], [target], [22, 3389])["slow"]
    assert not seen.complete and seen.ports == {}
    result, _ = evaluate(target, seen, "edge", [22, 3389], "nmap", "2026-11-26T05:08:13Z", 45)
    assert result.status == "error"
    assert "scan incomplete: 2 of 2 ports not probed within 45 s" in result.evidence


# ---- the verdict ----------------------------------------------------------------------------------


def seen(address: str, **states: str) -> Probed:
    return Probed(address, {int(p.removeprefix("p")): PortState(s) for p, s in states.items()})


def test_a_port_reachable_and_not_allowed_fails_naming_port_service_and_host() -> None:
    target = Target("cht-spare", "198.18.0.5", SSH_ALLOWED)
    probed = seen("198.18.0.5", p22="open", p3389="open", p5900="closed", p445="filtered")
    result, facts = evaluate(target, probed, "cht-outsider", [22, 445, 3389, 5900], "connect", "T")
    assert result.control == "EX-NET-01" and result.status == "fail"
    assert result.evidence == (
        "reachable from cht-outsider on 198.18.0.5: 3389/tcp (rdp) NOT allowed; 22/tcp (ssh) allowed"
        " (admin SSH); the other ports 1 closed, 1 filtered"
    )
    assert facts == {
        "from": "cht-outsider",
        "method": "connect",
        "scanned_at": "T",
        "address": "198.18.0.5",
        "complete": True,
        "ports": [
            {"port": 22, "proto": "tcp", "state": "open", "service": "ssh", "allowed": True},
            {"port": 445, "proto": "tcp", "state": "filtered", "service": "smb", "allowed": False},
            {"port": 3389, "proto": "tcp", "state": "open", "service": "rdp", "allowed": False},
            {"port": 5900, "proto": "tcp", "state": "closed", "service": "vnc", "allowed": False},
        ],
    }


def test_only_allowed_ports_reachable_passes() -> None:
    target = Target("pc", "10.1.0.7", SSH_ALLOWED)
    result, _ = evaluate(
        target, seen("10.1.0.7", p22="open", p3389="closed"), "edge", [22, 3389], "nmap", "T"
    )
    assert result.status == "pass"
    assert (
        result.evidence
        == "reachable from edge on 10.1.0.7: 22/tcp (ssh) allowed (admin SSH); the other ports 1 closed"
    )


def test_nothing_reachable_passes_and_says_how() -> None:
    target = Target("pc", "10.1.0.7")
    closed, _ = evaluate(
        target, seen("10.1.0.7", p22="closed", p80="filtered"), "edge", [22, 80], "nmap", "T"
    )
    assert (closed.status, closed.evidence) == (
        "pass",
        "nothing reachable from edge on 10.1.0.7: 1 closed, 1 filtered",
    )
    silent, _ = evaluate(target, seen("10.1.0.7", p22="filtered"), "edge", [22], "nmap", "T")
    assert silent.status == "pass"
    assert "no port answered (1 filtered: the host is down, or a firewall drops everything" in silent.evidence
    down = Probed(
        "10.1.0.7", {22: PortState("filtered", "host-unreach"), 80: PortState("filtered", "net-unreach")}
    )
    gone, _ = evaluate(target, down, "edge", [22, 80], "connect", "T")
    assert gone.status == "pass"
    assert (
        "no port answered (2 filtered: host unreachable from edge: down, or not routed from there)"
        in gone.evidence
    )


def test_an_allowance_is_for_its_port_protocol_and_address() -> None:
    allowed = (
        Allowance(3389, "udp", "RDP over UDP"),
        Allowance(5900, "tcp", "VNC on the admin VLAN", "10.9.0.7"),
        Allowance(443, "tcp", "web portal", "0.0.0.0"),
    )
    target = Target("pc", "10.1.0.7", allowed)
    probed = seen("10.1.0.7", p443="open", p3389="open", p5900="open")
    result, facts = evaluate(target, probed, "edge", [443, 3389, 5900], "connect", "T")
    assert result.status == "fail"
    assert "3389/tcp (rdp) NOT allowed" in result.evidence and "5900/tcp (vnc) NOT allowed" in result.evidence
    assert "443/tcp (https) allowed (web portal)" in result.evidence
    assert [p["allowed"] for p in facts["ports"]] == [True, False, False]
    # the same VNC probed on the address it is allowed on
    on_vlan = Target("pc", "10.9.0.7", allowed)
    result, _ = evaluate(on_vlan, seen("10.9.0.7", p5900="open"), "edge", [5900], "connect", "T")
    assert result.status == "pass"


def test_a_port_left_unprobed_makes_the_verdict_an_error_unless_something_fails() -> None:
    target = Target("pc", "10.1.0.7")
    partial = Probed("10.1.0.7", {22: PortState("closed")}, complete=False)
    result, facts = evaluate(target, partial, "edge", [22, 3389], "connect", "T", 30)
    assert result.status == "error" and "1 of 2 ports not probed within 30 s" in result.evidence
    assert facts["complete"] is False
    bad = Probed("10.1.0.7", {3389: PortState("open")}, complete=False)
    assert evaluate(target, bad, "edge", [22, 3389], "connect", "T")[0].status == "fail"


def test_connect_results_map_back_to_inventory_hosts() -> None:
    measured = {
        "10.1.0.7": {"address": "10.1.0.7", "error": None, "ports": {"22": ["open", "syn-ack"]}},
        "pc2.hopital.local": {"address": None, "error": "cannot resolve pc2.hopital.local: not known"},
    }
    targets = [Target("pc1", "10.1.0.7"), Target("pc2", "pc2.hopital.local"), Target("pc3", "10.1.0.9")]
    probed = probed_from_connect(measured, targets)
    assert probed["pc1"].ports == {22: PortState("open", "syn-ack")}
    assert probed["pc2"].problem == "cannot resolve pc2.hopital.local: not known"
    assert probed["pc3"].problem == "port_probe gave no result for it"
    cut = probed_of({"method": "connect", "targets": measured, "complete": False}, targets[:1], [22, 80])
    assert cut["pc1"].complete is False


# ---- the request --------------------------------------------------------------------------------------


def test_parse_ports() -> None:
    assert parse_ports(None) == tuple(exposure.DEFAULT_PORTS)
    assert parse_ports("3389, 22,5900-5902,22/tcp") == (22, 3389, 5900, 5901, 5902)
    for bad, message in [
        ("3389/udp", "TCP ports only"),
        ("0", "not within 1-65535"),
        ("70000", "not within 1-65535"),
        ("5903-5900", "not within"),
        ("rdp", "not a port"),
        ("", "at least one"),
        ("1-2000", "more than 1024"),
    ]:
        with pytest.raises(UsageError, match=message):
            parse_ports(bad)


def test_the_default_ports_are_the_sensitive_ones_plus_ssh_http_https() -> None:
    defaults = yaml.safe_load((ROOT / "roles/compliance_facts/defaults/main.yml").read_text())
    sensitive = {p["port"] for p in defaults["compliance_facts_sensitive_ports"] if p["proto"] == "tcp"}
    assert set(exposure.DEFAULT_PORTS) == sensitive | {22, 80, 443}


def test_parse_allowed() -> None:
    value = [
        {"port": 22, "reason": "admin SSH"},
        {"port": "3389", "proto": "UDP", "reason": "RDP", "address": "10.0.0.5"},
    ]
    assert parse_allowed("pc", value) == (
        Allowance(22, "tcp", "admin SSH"),
        Allowance(3389, "udp", "RDP", "10.0.0.5"),
    )
    assert parse_allowed("pc", None) == ()
    for bad, message in [
        ({"port": 22}, "carehard_exposure_allowed: expected a list of {port, proto, reason, address}, got a"),
        (
            [22],
            "carehard_exposure_allowed[0]: expected an allowed port, a mapping (port, proto, reason, address)",
        ),
        (
            [{"port": 0, "reason": "x"}],
            "carehard_exposure_allowed[0].port: expected a port number within 1-65535",
        ),
        ([{"port": True, "reason": "x"}], "carehard_exposure_allowed[0].port: expected a port number within"),
        (
            [{"port": "70000", "reason": "x"}],
            "carehard_exposure_allowed[0].port: expected a port number within",
        ),
        (
            [{"port": 22, "proto": "sctp", "reason": "x"}],
            "carehard_exposure_allowed[0].proto: expected tcp or udp",
        ),
        (
            [{"port": 22, "reason": "admin"}, {"port": 23}],
            "carehard_exposure_allowed[1].reason: missing: give the reason the port may be reachable",
        ),
        (
            [{"port": 22, "reason": "x", "service": "ssh"}],
            "carehard_exposure_allowed[0].service: unknown key",
        ),
    ]:
        with pytest.raises(UsageError) as caught:
            parse_allowed("pc", bad)
        assert str(caught.value).startswith(f"host pc: {message}"), str(caught.value)


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("198.18.0.5", True),
        ("pc-01.hopital.local", True),
        ("fe80::1%eth0", True),
        ("2001:db8::7", True),
        ("10.0.0.0/24", False),  # nmap would scan a whole network
        ("10.0.0.1-50", False),
        ("192.168.0.*", False),
        ("-iL/etc/hosts", False),  # an option, to nmap
        ("pc 01", False),
        ("", False),
    ],
)
def test_only_single_hosts_are_targets(address: str, ok: bool) -> None:
    assert single_host(address) is ok
    assert (port_probe.check_target(address) is None) is ok


def test_the_time_bound_grows_with_the_work() -> None:
    assert scan_bound(10, 32, 3, 100) == 29  # 640 probes at 100/s (each may be retried once)
    assert scan_bound(100, 32, 3, 100) > scan_bound(10, 32, 3, 100)
    assert scan_bound(10, 32, 3, 10) > scan_bound(10, 32, 3, 100)


# ---- refusals, through the command line: exit 2, one line, nothing run ---------------------------------


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "hosts.yml"
    hosts = {
        "edge": {"ansible_host": "198.51.100.10"},
        "pc1": {"ansible_host": "198.51.100.11"},
        "pc2": {"ansible_host": "198.51.100.12"},
        "wide": {"ansible_host": "198.51.100.0/24"},
        "me": {"ansible_connection": "local"},
    }
    body = {
        "all": {
            "children": {
                "linux_workstations": {
                    "hosts": hosts,
                    "vars": {"carehard_exposure_allowed": [{"port": 22, "reason": "admin SSH"}]},
                },
                "windows_workstations": {"hosts": {"win1": {"ansible_host": "198.51.100.20"}}},
                "broken": {
                    "hosts": {
                        "lab9": {"ansible_host": "198.51.100.19", "carehard_exposure_allowed": [{"port": 22}]}
                    }
                },
            }
        }
    }
    path.write_text(yaml.safe_dump(body))
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "198.51.100.10"], "vantage host 198.51.100.10 is not in the inventory"),
        (["--from", "win1"], "vantage host win1 connects over winrm"),
        (
            ["--from", "edge", "--limit", "pc1,203.0.113.9"],
            "--limit 203.0.113.9 matches no host of the inventory",
        ),
        (["--from", "edge", "--limit", "wide"], "address '198.51.100.0/24' (ansible_host) is not one IP"),
        (["--from", "edge", "--ports", "3389/udp"], "TCP ports only"),
        (["--from", "edge", "--rate", "0"], "--rate"),
    ],
)
def test_refusals_exit_2_on_one_line_and_run_nothing(
    inventory: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    state = tmp_path / "state"
    result = carehard(
        "exposure", "scan", "-i", inventory, *args, "--output", tmp_path / "out",
        env={"CAREHARD_STATE_DIR": str(state)},
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("carehard: error: "), result.stderr
    assert message in lines[0]
    assert not (tmp_path / "out").exists() and not state.exists()


@pytest.mark.parametrize(
    ("vantage", "limit", "message"),
    [
        ("nowhere", None, "vantage host nowhere is not in the inventory"),
        ("me", "pc1", "vantage host me connects over local"),
        ("edge", "203.0.113.9", "--limit 203.0.113.9 matches no host of the inventory"),
        ("edge", "pc1,db*", "--limit db\\* matches no host"),
        ("edge", "edge", "no inventory host matching --limit edge to scan besides the vantage host edge"),
        (
            "edge",
            "lab9",
            r"inventory .*hosts\.yml, host lab9: carehard_exposure_allowed\[0\]\.reason: missing: give the reason",
        ),
    ],
)
def test_refusals_name_what_is_wrong(inventory: Path, vantage: str, limit: str | None, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        plan_scan(ScanOptions(inventory, vantage, (22,), limit))


def test_the_vantage_and_loopback_hosts_are_not_targets(inventory: Path) -> None:
    plan = plan_scan(ScanOptions(inventory, "edge", (22,), limit="pc*,me,edge"))
    assert [t.name for t in plan.targets] == ["pc1", "pc2"]
    assert plan.targets[0].allowed == SSH_ALLOWED
    assert [name for name, _ in plan.skipped] == ["me"]


# ---- a run recorded from the module's measures (the playbook replaced by its events) --------------------


class FakePlaybook:
    """Stands for carehard.engine.run.run_playbook: gives the events a real run gives, records the request."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.requests: list[Any] = []

    def __call__(self, run_id: str, ident: str, request: Any, on_event: Any) -> RunnerOutcome:
        self.requests.append(request)
        for event in self.events:
            on_event(event)
        return RunnerOutcome("successful", 0, Path("/nonexistent") / ident)


def ok_event(host: str, res: Mapping[str, Any]) -> dict[str, Any]:
    data = {
        "host": host,
        "task": "Probe the TCP ports of the targets",
        "task_action": "port_probe",
        "res": res,
    }
    return {"event": "runner_on_ok", "event_data": data}


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CAREHARD_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def test_a_scan_is_recorded_with_one_outcome_per_target(
    inventory: Path, tmp_path: Path, state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    measures = {
        "role": "exposure",
        "method": "connect",
        "complete": True,
        "targets": {
            "198.51.100.11": {"address": "198.51.100.11", "error": None,
                              "ports": {"22": ["open", "syn-ack"], "3389": ["open", "syn-ack"]}},
            "198.51.100.12": {"address": "198.51.100.12", "error": None,
                              "ports": {"22": ["open", "syn-ack"], "3389": ["closed", "conn-refused"]}},
        },
    }  # fmt: skip
    fake = FakePlaybook([ok_event("edge", {"changed": False, "measures": measures})])
    monkeypatch.setattr(pipeline, "run_playbook", fake)
    options = ScanOptions(inventory, "edge", (22, 3389), "pc1,pc2")
    job = ScanJob(plan_scan(options))
    result = run_job(job, Outputs(tmp_path / "out", ("json",)))
    assert result.exit_code == 1 and job.problem is None
    request = fake.requests[0]
    assert request.playbook == "exposure_scan.yml" and request.limit == "edge" and not request.check_mode
    assert request.extravars["carehard_exposure_targets"] == ["198.51.100.11", "198.51.100.12"]
    assert request.extravars["carehard_exposure_ports"] == [22, 3389]
    run = History(state / "history.db").load(result.run.id)
    assert run is not None and run.mode == "exposure" and run.controls == ["EX-NET-01"]
    assert run.selection["from"] == "edge"
    assert {n: h.results["EX-NET-01"].status for n, h in run.hosts.items()} == {"pc1": "fail", "pc2": "pass"}
    assert "3389/tcp (rdp) NOT allowed" in run.hosts["pc1"].results["EX-NET-01"].evidence
    assert run.hosts["pc2"].facts["exposure"]["ports"][0] == {
        "port": 22, "proto": "tcp", "state": "open", "service": "ssh", "allowed": True,
    }  # fmt: skip
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert {h["name"] for h in report["hosts"]} == {"pc1", "pc2"}


def test_an_unreachable_vantage_host_exits_3_and_measures_nothing(
    inventory: Path, tmp_path: Path, state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unreachable = {
        "event": "runner_on_unreachable",
        "event_data": {"host": "edge", "task": "Probe the TCP ports of the targets",
                       "res": {"msg": "ssh: connect to host 198.51.100.10 port 22: No route to host"}},
    }  # fmt: skip
    monkeypatch.setattr(pipeline, "run_playbook", FakePlaybook([unreachable]))
    options = ScanOptions(inventory, "edge", (22,), "pc1")
    job = ScanJob(plan_scan(options))
    result = run_job(job, Outputs(tmp_path / "out", ("json",)))
    assert result.exit_code == 3
    assert job.problem is not None and job.problem.startswith("vantage host edge unreachable: ")
    outcome = result.run.hosts["pc1"].results["EX-NET-01"]
    assert outcome.status == "unreachable" and "No route to host" in outcome.evidence


def test_a_broken_probe_exits_3(
    inventory: Path, tmp_path: Path, state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = {
        "event": "runner_on_failed",
        "event_data": {"host": "edge", "task": "Probe the TCP ports of the targets", "task_action": "port_probe",
                       "res": {"msg": "nmap failed (rc 1): nmap: unrecognized option"}},
    }  # fmt: skip
    monkeypatch.setattr(pipeline, "run_playbook", FakePlaybook([failed]))
    options = ScanOptions(inventory, "edge", (22,), "pc1")
    job = ScanJob(plan_scan(options))
    result = run_job(job, Outputs(tmp_path / "out", ("json",)))
    assert result.exit_code == 3
    assert result.run.hosts["pc1"].results["EX-NET-01"].status == "error"
    assert "nmap failed (rc 1)" in str(job.problem)


# ---- port_probe against real sockets on 127.0.0.1 -------------------------------------------------------


@pytest.fixture
def sockets() -> Iterator[dict[str, int]]:
    """A listening port, a closed one (bound, not listening: refused) and one whose accept queue is
    full (the kernel drops new SYNs: no answer, as behind a dropping firewall)."""
    opened: list[socket.socket] = []

    def make() -> socket.socket:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        opened.append(sock)
        return sock

    listening, closed, full = make(), make(), make()
    listening.listen(16)
    full.listen(0)
    port = full.getsockname()[1]
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        opened.append(filler)
    time.sleep(0.2)
    try:
        yield {
            "open": listening.getsockname()[1],
            "closed": closed.getsockname()[1],
            "silent": port,
        }
    finally:
        for sock in opened:
            sock.close()


def test_port_probe_tells_open_closed_and_filtered(sockets: dict[str, int]) -> None:
    ports = [sockets["open"], sockets["closed"], sockets["silent"]]
    started = time.monotonic()
    results, complete = port_probe.connect_probe(["127.0.0.1"], ports, 0.5, 100, 8, 30)
    elapsed = time.monotonic() - started
    assert complete
    assert results["127.0.0.1"] == {
        "address": "127.0.0.1",
        "error": None,
        "ports": {
            str(sockets["open"]): ["open", "syn-ack"],
            str(sockets["closed"]): ["closed", "conn-refused"],
            str(sockets["silent"]): ["filtered", "no-response"],
        },
    }
    assert 0.5 <= elapsed < 3


def test_port_probe_keeps_to_its_rate(sockets: dict[str, int]) -> None:
    started = time.monotonic()
    ports = [sockets["closed"], *range(1, 11)]
    results, complete = port_probe.connect_probe(["127.0.0.1"], ports, 1, 20, 64, 30)
    elapsed = time.monotonic() - started
    assert complete and len(results["127.0.0.1"]["ports"]) == 11
    assert elapsed >= 10 / 20  # 11 connections, 1/20 s apart


def test_port_probe_ends_within_its_bound(sockets: dict[str, int]) -> None:
    """One connection at a time, the first one silent: the bound ends it, the second is not started."""
    started = time.monotonic()
    ports = [sockets["silent"], sockets["closed"]]
    results, complete = port_probe.connect_probe(["127.0.0.1"], ports, 1, 100, 1, 1.5)
    assert time.monotonic() - started < 2.5
    assert not complete
    assert results["127.0.0.1"]["ports"] == {str(sockets["silent"]): ["filtered", "no-response"]}


def test_port_probe_resolves_names_and_refuses_ranges() -> None:
    results, complete = port_probe.connect_probe(["localhost", "10.0.0.0/8"], [9], 0.5, 100, 8, 10)
    assert results["localhost"]["address"] in ("127.0.0.1", "::1")
    assert "is not one IP address or DNS name" in results["10.0.0.0/8"]["error"]
    assert not complete
    assert "only single hosts are probed" in str(
        port_probe.validate({"targets": ["10.0.0.0/8"], "ports": [22], "timeout": 1, "rate": 1, "bound": 1})
    )


@pytest.mark.skipif(shutil.which("nmap") is None, reason="nmap is not installed here")
def test_port_probe_with_nmap_is_read_back_by_carehard(sockets: dict[str, int]) -> None:
    """The nmap path end to end: port_probe runs the real nmap, carehard parses what it wrote."""
    ports = [sockets["open"], sockets["closed"]]
    measures = port_probe.probe(
        {"targets": ["127.0.0.1"], "ports": ports, "timeout": 1, "rate": 100, "bound": 30,
         "method": "auto", "nmap": shutil.which("nmap")}
    )  # fmt: skip
    assert measures["method"] == "nmap" and measures["complete"], measures
    assert measures["runs"][0]["args"][1:5] == ["-oX", "-", "-Pn", "-sT"]
    probed = probed_of(measures, [Target("me", "127.0.0.1")], ports)["me"]
    assert probed.complete
    assert probed.ports[sockets["open"]].state == "open"
    assert probed.ports[sockets["closed"]].state == "closed"
