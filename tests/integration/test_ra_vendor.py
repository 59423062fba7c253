"""Time-boxed vendor access on real hosts: a bastion, a maintained host, an outsider.

The vendor's technician is a real SSH client (paramiko) that jumps through a host to reach
the maintained one, as a vendor does through the establishment's bastion.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.clirun import carehard, load_report
from tests.integration.vendor_client import (
    HeldSession,
    make_key,
    refused,
    su_as_root,
    vendor_login,
    vendor_session,
)
from tests.testhosts import harness

pytestmark = pytest.mark.integration

RA_VENDOR_CONTROLS = (
    "RA-VND-01,RA-VND-02,RA-VND-03,RA-VND-04,RA-KEY-01,RA-KEY-02,RA-KEY-03,"
    "RA-SSH-01,RA-SSH-02,RA-SSH-03,RA-LOG-01,RA-LOG-02,RA-LOG-03,RA-VND-05"
)
SHORT_WINDOW_SECONDS = 60
# The maintained host's root password, which a long-standing vendor may know.
ROOT_PASSWORD = "Rt-4521-known-to-vendors"


@dataclass
class VendorSite:
    inventory: Path
    work: Path
    bastion: harness.TestHost
    maint: harness.TestHost
    outsider: harness.TestHost
    keys: dict[str, Path]  # technician -> private key file
    short_window_end: float = 0.0
    short_window_first_login: str = ""
    short_window_su: str = ""  # what su said to globex (su: true) in its window
    short_window_session: HeldSession | None = None  # a globex session left running

    def fingerprint(self, who: str) -> str:
        out = subprocess.run(
            ["ssh-keygen", "-lf", f"{self.keys[who]}.pub"], capture_output=True, text=True, check=True
        )
        return out.stdout.split()[1]

    def public(self, who: str) -> str:
        return Path(f"{self.keys[who]}.pub").read_text().strip()

    def vendor(self, *args: str) -> subprocess.CompletedProcess[str]:
        return carehard("vendor", *args, "-i", str(self.inventory))

    def assess(self, mode: str, only: str = RA_VENDOR_CONTROLS) -> dict[str, dict[str, Any]]:
        out = self.work / f"{mode}-{time.monotonic_ns()}"
        extra = ["--yes"] if mode == "harden" else []
        proc = carehard(
            mode,
            *extra,
            "-i",
            str(self.inventory),
            "--limit",
            self.maint.name,
            "--only",
            only,
            "--output",
            str(out),
        )
        assert (out / "report.json").exists(), proc.stdout + proc.stderr
        host = load_report(out)["hosts"][0]
        return {r["control"]: r for r in host["results"]}


@pytest.fixture(scope="module")
def site(
    fleet: dict[str, harness.TestHost], state_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VendorSite]:
    work = tmp_path_factory.mktemp("vendor")
    keys = {who: make_key(work / who, who) for who in ("acme-tech", "acme-rogue", "globex-tech")}
    bastion, maint, outsider = fleet["bastion"], fleet["maint"], fleet["outsider"]
    vendors = [
        {
            "name": "acme",
            "contact": "Acme Imaging support, +33 1 00 00 00 00",
            "keys": [Path(f"{keys['acme-tech']}.pub").read_text().strip()],
            "hosts": [maint.name],
            "max_window": "8h",
        },
        {
            "name": "globex",
            "account": "globex-lab",
            "contact": "Globex lab analysers",
            "keys": [Path(f"{keys['globex-tech']}.pub").read_text().strip()],
            "hosts": ["pacs_servers"],
            "max_window": "1h",
            "su": True,
        },
    ]
    inventory = work / "hosts.yml"
    harness.write_inventory(
        inventory,
        [maint, outsider],
        "linux_workstations",
        harness.ADMIN,
        carehard_bastions=[bastion.address],
        carehard_admins=[harness.ADMIN, "root"],
        carehard_admin_networks=[f"{harness.NETWORK}.0/24"],
        carehard_vendors=vendors,
    )
    # maint is also in a group, which globex's scope names
    data = yaml.safe_load(inventory.read_text())
    data["all"]["children"]["pacs_servers"] = {"hosts": {maint.name: {}}}
    inventory.write_text(yaml.safe_dump(data))
    maint.sudo(f"echo 'root:{ROOT_PASSWORD}' | chpasswd")
    site = VendorSite(inventory, work, bastion, maint, outsider, keys)
    # A one-minute window, opened first: the last test shows the host ends it by itself, the
    # session left running included.
    opened = site.vendor("open", "globex", "--host", maint.name, "--for", "1m", "--reason", "short")
    assert opened.returncode == 0, opened.stdout + opened.stderr
    site.short_window_end = time.time() + SHORT_WINDOW_SECONDS
    site.short_window_first_login = vendor_login(bastion, maint, "globex-lab", keys["globex-tech"])
    with vendor_session(bastion, maint, "globex-lab", keys["globex-tech"]) as client:
        site.short_window_su = su_as_root(client, ROOT_PASSWORD)
    site.short_window_session = HeldSession(bastion, maint, "globex-lab", keys["globex-tech"])
    try:
        yield site
    finally:
        site.short_window_session.close()


def test_open_window_admits_the_vendor_through_the_bastion_only(site: VendorSite) -> None:
    proc = site.vendor(
        "open", "acme", "--host", site.maint.name, "--for", "2h", "--reason", "PACS upgrade ticket 4521"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"window open on {site.maint.name} until " in proc.stdout
    key = site.keys["acme-tech"]
    assert vendor_login(site.bastion, site.maint, "acme", key) == "acme"
    # su refuses acme even with root's password (globex's declaration says su: true: it may)
    with vendor_session(site.bastion, site.maint, "acme", key) as client:
        said = su_as_root(client, ROOT_PASSWORD)
    assert "Permission denied" in said or "Authentication failure" in said, said
    assert "root" not in [line.strip() for line in said.splitlines()], said
    assert refused(site.outsider, site.maint, "acme", key), "the vendor key works from the outsider"
    assert refused(None, site.maint, "acme", key), "the vendor key works from outside the bastion"
    # the keys carry their bounds on the host itself
    line = site.maint.sudo("grep -v '^#' /etc/ssh/carehard-vendor-keys/acme").stdout.strip()
    assert (
        line.startswith("restrict,pty,")
        and f'from="{site.bastion.address}"' in line
        and 'expiry-time="' in line
    )
    # recorded: who, when, why, until when
    listed = json.loads(site.vendor("list", "--format", "json").stdout)
    acme = next(w for w in listed if w["vendor"] == "acme" and w["host"] == site.maint.name)
    assert acme["state"] == "open" and acme["reason"] == "PACS upgrade ticket 4521" and acme["opened_by"]
    assert acme["ends_at"] > datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    # and the audit sees an open, compliant window
    results = site.assess("audit")
    for control in (
        "RA-VND-02",
        "RA-KEY-01",
        "RA-KEY-02",
        "RA-SSH-01",
        "RA-SSH-02",
        "RA-LOG-01",
        "RA-VND-05",
    ):
        assert results[control]["status"] == "pass", (control, results[control]["evidence"])
    assert "acme: window open until " in results["RA-VND-02"]["evidence"]
    assert "su refuses acme " in results["RA-VND-05"]["evidence"], results["RA-VND-05"]["evidence"]
    assert "allowed by their declaration (su: true): globex-lab" in results["RA-VND-05"]["evidence"]


def test_undeclared_key_in_a_vendor_account_fails_with_its_fingerprint(site: VendorSite) -> None:
    rogue = site.public("acme-rogue")
    site.maint.sudo(
        f'echo \'restrict,from="{site.bastion.address}",expiry-time="20991231Z" {rogue}\''
        " >> /etc/ssh/carehard-vendor-keys/acme"
        f" && install -d -o acme ~acme/.ssh && echo '{rogue}' > ~acme/.ssh/authorized_keys"
    )
    results = site.assess("audit")
    assert results["RA-KEY-02"]["status"] == "fail"
    assert site.fingerprint("acme-rogue") in results["RA-KEY-02"]["evidence"]
    assert "/home/acme/.ssh/authorized_keys" in results["RA-KEY-02"]["evidence"]
    hardened = site.assess("harden", "RA-KEY-02")
    assert hardened["RA-KEY-02"]["status"] == "fixed", hardened["RA-KEY-02"]["evidence"]
    assert refused(site.bastion, site.maint, "acme", site.keys["acme-rogue"])
    assert vendor_login(site.bastion, site.maint, "acme", site.keys["acme-tech"]) == "acme"


def test_close_ends_the_window_now(site: VendorSite) -> None:
    proc = site.vendor("close", "acme", "--host", site.maint.name)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert refused(site.bastion, site.maint, "acme", site.keys["acme-tech"])
    shadow = site.maint.sudo("getent shadow acme").stdout.split(":")
    assert shadow[1].startswith("!") and shadow[7] == "1", shadow  # locked, expired since 1970-01-02
    assert site.maint.sudo("test -e /etc/ssh/carehard-vendor-keys/acme", check=False).returncode == 1
    listed = json.loads(site.vendor("list", "--all", "--format", "json").stdout)
    acme = next(w for w in listed if w["vendor"] == "acme")
    assert acme["state"] == "closed" and acme["closed_by"]
    # (globex's one-minute window may have ended meanwhile: only acme matters here)
    evidence = site.assess("audit")["RA-VND-02"]["evidence"]
    assert "acme: closed (locked, expired, 0 key(s))" in evidence or "acme:" not in evidence, evidence


def test_window_ends_on_the_host_even_if_carehard_never_runs_again(site: VendorSite) -> None:
    assert site.short_window_first_login == "globex-lab", "the short window never opened"
    assert site.short_window_su.splitlines()[-1].strip() == "root", site.short_window_su
    session = site.short_window_session
    assert session is not None
    time.sleep(max(0.0, site.short_window_end - time.time()))
    # At the end (nothing of carehard ran since the fixture opened the window): the host's timer
    # has removed the key, locked and expired the account and ended the session left running.
    assert not session.alive(), "a session of the window outlived its end"
    assert site.maint.sudo("pgrep -u globex-lab", check=False).stdout == ""
    assert refused(site.bastion, site.maint, "globex-lab", site.keys["globex-tech"])
    assert site.maint.sudo("test -e /etc/ssh/carehard-vendor-keys/globex-lab", check=False).returncode == 1
    shadow = site.maint.sudo("getent shadow globex-lab").stdout.split(":")
    assert shadow[1].startswith("!") and shadow[7] == "1", shadow
    ended = site.maint.sudo("journalctl -u carehard-vendor-end-globex-lab.service -o cat", check=False).stdout
    assert "Finished" in ended or "Deactivated successfully" in ended, ended
    listed = json.loads(site.vendor("list", "--all", "--format", "json").stdout)
    globex = next(w for w in listed if w["vendor"] == "globex")
    assert globex["state"] != "open", globex
    # the audit sees a closed account: nothing left for harden
    results = site.assess("audit")
    assert results["RA-VND-02"]["status"] == "pass", results["RA-VND-02"]["evidence"]
    assert "globex-lab: closed (locked, expired, 0 key(s))" in results["RA-VND-02"]["evidence"]


def test_bad_requests_are_refused_and_change_nothing(site: VendorSite) -> None:
    """Last: the fixture's one-minute window has ended (the test before waits for it), so its timer
    does not change /etc between the two digests below."""
    before = {h.name: h.etc_digest() for h in (site.maint, site.outsider)}
    cases = [
        (("open", "initech", "--host", site.maint.name, "--for", "1h"), "unknown vendor 'initech'"),
        (
            ("open", "acme", "--host", site.maint.name, "--for", "9h"),
            "longer than vendor acme's max_window 8h",
        ),
        (("open", "acme", "--host", site.outsider.name, "--for", "1h"), "is not maintained by vendor acme"),
        (("open", "acme", "--host", site.maint.name, "--for", "4 hours"), "is not a duration"),
        (("open", "acme", "--host", site.maint.name), "needs --for"),
        (("open", "acme", "--host", "nowhere", "--for", "1h"), "host nowhere is not in"),
    ]
    for args, message in cases:
        proc = site.vendor(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, (args, proc.stderr)
    # a malformed key in the inventory is named before anything runs
    broken = site.work / "broken.yml"
    broken.write_text(site.inventory.read_text().replace("ssh-ed25519 AAAA", "ssh-ed25519 !!!!", 1))
    proc = carehard("vendor", "open", "acme", "-i", str(broken), "--host", site.maint.name, "--for", "1h")
    assert proc.returncode == 2 and "vendor acme in carehard_vendors: key 1 is malformed" in proc.stderr, (
        proc.stderr
    )
    assert {h.name: h.etc_digest() for h in (site.maint, site.outsider)} == before
