"""`carehard audit` of two real Active Directory domains (Samba AD DCs on test hosts of this module):
every AD- control fails on the faulty domain, naming the accounts seeded for it, and passes on the
clean one; nothing is written to either (their highest committed USN, read on the DCs themselves, is
the same after the audit); the reader's password shows nowhere; the JSON report has the directory
documents; a directory whose DC does not answer, and one whose certificate is not trusted, are an
error on their controls only, in one line; StartTLS reads the clean domain as LDAPS does, and so does
Kerberos (SASL GSSAPI inside LDAPS) with a ticket of the reader, without a password in the inventory.

One audit (at level 3: every AD- control) of the six directories, as a site declares them: a
`directories` group, one password vaulted (given to carehard through ANSIBLE_VAULT_PASSWORD_FILE,
docs/passwords.md), one in a password file, and group_vars/all.yml made for the site's workstations
(become, their Python), which the directory play must not use on the control node.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard.catalog import load_catalog
from tests.clirun import carehard, evidence, load_report, statuses
from tests.integration.own_hosts import own_hosts
from tests.integration.samba_dc import SambaDC, provision_pair

pytestmark = pytest.mark.integration

# Every control of the family (tests/unit/test_directory_catalog.py pins the 22 IDs).
AD_CONTROLS = tuple(load_catalog().matching("AD-*"))
EVIDENCE_NAMES = 10  # directory_audit_evidence_names' default
FAULTY, CLEAN, SILENT = "faulty.carehard.test", "clean.carehard.test", "silent.carehard.test"
# The clean domain again, over StartTLS on 389; and without its CA (the system's CAs do not know it).
STARTTLS, UNTRUSTED = "starttls.carehard.test", "untrusted.carehard.test"
# The clean domain again, with the reader's Kerberos ticket: carehard_directory_server the DC's DNS name
# (the service ldap/<name>), which this machine does not resolve, and ansible_host its address.
KERBEROS = "kerberos.carehard.test"
SILENT_PORT = 1636  # nothing listens there on the clean DC
VAULT_PASSWORD = "vault-of-the-site-5b1e"


@dataclass
class Audit:
    faulty: SambaDC
    clean: SambaDC
    seeded: dict[str, list[str]]
    returncode: int
    output: str  # stdout and stderr
    report: dict[str, Any]
    files: list[Path]  # every file of the state dir and the reports
    usn_before: dict[str, int]
    usn_after: dict[str, int]
    timings: dict[str, float]
    ccache: Path  # the reader's Kerberos credential cache, as the audit left it
    # `doctor` and `audit` of the Kerberos directory with an empty credential cache (no kinit done).
    without_ticket: dict[str, subprocess.CompletedProcess[str]]


def vaulted(value: str, vault_file: Path) -> str:
    """`ansible-vault encrypt_string` of the value: the `!vault |` block as a site pastes it."""
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible-vault")),
            "encrypt_string",
            "--vault-password-file",
            str(vault_file),
            "--stdin-name",
            "carehard_directory_password",
        ],
        input=value,
        capture_output=True,
        text=True,
        check=True,
    )
    block = proc.stdout[proc.stdout.index("carehard_directory_password:") :]
    return block.split(":", 1)[1].strip()


def write_inventory(work: Path, faulty: SambaDC, clean: SambaDC) -> tuple[Path, Path]:
    """hosts.yml with the three directories, group_vars/all.yml of a site, and the vault password file."""
    vault_file = work / "vault.pass"
    vault_file.write_text(VAULT_PASSWORD + "\n")
    password_file = work / "clean-reader.pass"
    password_file.write_text(clean.reader_password + "\n")
    password_file.chmod(0o600)
    inventory = work / "inventory"
    (inventory / "group_vars").mkdir(parents=True)
    (inventory / "group_vars" / "all.yml").write_text(
        "---\n# The site's workstations: sudo, the hosts' own Python.\n"
        "ansible_become: true\nansible_python_interpreter: /usr/bin/python3\n"
    )

    def directory(dc: SambaDC, **more: Any) -> dict[str, Any]:
        return {
            "carehard_directory_domain": dc.domain,
            "carehard_directory_server": dc.address,
            "carehard_directory_auth": "ldaps",
            "carehard_directory_user": dc.reader_user,
            "carehard_directory_ca_file": str(dc.ca_file),
            "carehard_directory_timeout": 10,
            **more,
        }

    hosts = {
        FAULTY: directory(faulty, carehard_directory_password="@@VAULTED@@"),
        CLEAN: directory(clean, carehard_directory_password_file=str(password_file)),
        SILENT: directory(
            clean, carehard_directory_port=SILENT_PORT, carehard_directory_password_file=str(password_file)
        ),
        STARTTLS: directory(
            clean, carehard_directory_auth="starttls", carehard_directory_password_file=str(password_file)
        ),
        UNTRUSTED: directory(clean, carehard_directory_password_file=str(password_file)),
        KERBEROS: directory(
            clean,
            carehard_directory_server=clean.hostname,
            ansible_host=clean.address,
            carehard_directory_auth="kerberos",
        ),
    }
    del hosts[UNTRUSTED]["carehard_directory_ca_file"]
    del hosts[KERBEROS]["carehard_directory_user"]
    text = yaml.safe_dump({"directories": {"hosts": hosts}}, sort_keys=False)
    block = vaulted(faulty.reader_password, vault_file).replace("\n", "\n        ")
    (inventory / "hosts.yml").write_text(text.replace("'@@VAULTED@@'", block))
    return inventory / "hosts.yml", vault_file


# A ticket for the reader (gssapi's acquire_cred_with_password, as kinit would) into the cache of
# KRB5CCNAME, with the realm of KRB5_CONFIG: a process of its own, so this one keeps its environment.
KINIT = """
import sys, gssapi
name = gssapi.Name(sys.argv[1], gssapi.NameType.kerberos_principal)
password = sys.stdin.readline().rstrip("\\n").encode()
creds = gssapi.raw.acquire_cred_with_password(name, password, usage="initiate").creds
gssapi.Credentials(creds).store(usage="initiate", set_default=True, overwrite=True)
"""


def kerberos_ticket(work: Path, dc: SambaDC) -> dict[str, str]:
    """The environment of a Kerberos client of the DC's realm with the reader's ticket: krb5.conf and
    the credential cache in the test's directory, nothing of this machine's configuration touched."""
    (work / "krb5.conf").write_text(dc.krb5_conf())
    env = {"KRB5_CONFIG": str(work / "krb5.conf"), "KRB5CCNAME": f"FILE:{work / 'krb5cc'}"}
    subprocess.run(
        [sys.executable, "-c", KINIT, f"{dc.reader_name}@{dc.realm}"],
        input=dc.reader_password + "\n", env={**os.environ, **env}, text=True, check=True, timeout=60,
    )  # fmt: skip
    return env


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Audit]:
    work = tmp_path_factory.mktemp("directory")
    timings: dict[str, float] = {}
    start = time.monotonic()
    with own_hosts(work, "ad", 2) as hosts:
        timings["boot"] = time.monotonic() - start
        start = time.monotonic()
        faulty, clean, seeded = provision_pair(hosts[0], hosts[1])
        timings["provision_and_seed"] = time.monotonic() - start
        inventory, vault_file = write_inventory(work, faulty, clean)
        kerberos = kerberos_ticket(work, clean)
        state, out = work / "state", work / "out"
        usn_before = {FAULTY: faulty.highest_committed_usn(), CLEAN: clean.highest_committed_usn()}
        start = time.monotonic()
        env = {"CAREHARD_STATE_DIR": str(state), "ANSIBLE_VAULT_PASSWORD_FILE": str(vault_file), **kerberos}
        proc = carehard(
            "audit", "-i", inventory, "--level", "3", "--output", out, "--format", "json,html", env=env,
        )  # fmt: skip
        timings["audit"] = time.monotonic() - start
        usn_after = {FAULTY: faulty.highest_committed_usn(), CLEAN: clean.highest_committed_usn()}
        no_ticket = {**env, "KRB5CCNAME": f"FILE:{work / 'empty-krb5cc'}"}
        without_ticket = {
            "doctor": carehard("doctor", "-i", inventory, "--limit", KERBEROS, env=no_ticket),
            "audit": carehard(
                "audit", "-i", inventory, "--limit", KERBEROS, "--only", "AD-KRB-01",
                "--output", work / "out-no-ticket", "--format", "json", env={
                    **no_ticket, "CAREHARD_STATE_DIR": str(work / "state-no-ticket")},
            ),
        }  # fmt: skip
        files = [p for root in (state, out) for p in root.rglob("*") if p.is_file()]
        report = load_report(out) if (out / "report.json").exists() else {}
        print(f"\ndirectory audit timings (s): {json.dumps({k: round(v, 1) for k, v in timings.items()})}")
        yield Audit(
            faulty, clean, seeded, proc.returncode, proc.stdout + proc.stderr, report, files,
            usn_before, usn_after, timings, work / "krb5cc", without_ticket,
        )  # fmt: skip


def test_the_audit_ran_every_directory_and_the_silent_one_is_an_error(audit: Audit) -> None:
    assert audit.returncode == 3, audit.output[-5000:]
    assert "Traceback" not in audit.output
    assert statuses(audit.report, FAULTY) == dict.fromkeys(AD_CONTROLS, "fail"), audit.output[-3000:]
    assert statuses(audit.report, CLEAN) == dict.fromkeys(AD_CONTROLS, "pass"), {
        c: evidence(audit.report, CLEAN, c) for c in AD_CONTROLS if statuses(audit.report, CLEAN)[c] != "pass"
    }
    assert statuses(audit.report, STARTTLS) == dict.fromkeys(AD_CONTROLS, "pass")
    assert statuses(audit.report, KERBEROS) == dict.fromkeys(AD_CONTROLS, "pass"), {
        c: evidence(audit.report, KERBEROS, c) for c in AD_CONTROLS
    }
    causes = {
        SILENT: f"{audit.clean.address}:{SILENT_PORT} refused the connection ([Errno 111]",
        UNTRUSTED: f"the certificate of {audit.clean.address}:636 is not trusted (",
    }
    for host, cause in causes.items():
        assert statuses(audit.report, host) == dict.fromkeys(AD_CONTROLS, "error")
        for control in AD_CONTROLS:
            said = evidence(audit.report, host, control)
            assert cause in said, said
            assert len(said.splitlines()) == 1, said
    # Directories are read on the control node: no other play, no host of the site's workstations.
    assert sorted(h["name"] for h in audit.report["hosts"]) == sorted(
        [CLEAN, FAULTY, KERBEROS, SILENT, STARTTLS, UNTRUSTED]
    )


def test_every_fault_is_named_with_its_count(audit: Audit) -> None:
    problems = {}
    for control in AD_CONTROLS:
        said = evidence(audit.report, FAULTY, control)
        names = audit.seeded[control]
        shown = sorted(names, key=str.lower)[:EVIDENCE_NAMES]
        missing = [n for n in shown if n.lower() not in said.lower()]
        # A list of accounts says how many; krbtgt's age and the Guest account are about one account.
        counted = not names or control in ("AD-KRB-01", "AD-ACC-05") or f"{len(names)} " in said
        if missing or not counted:
            problems[control] = {"evidence": said, "seeded": names, "missing": missing}
    assert not problems, json.dumps(problems, indent=1)
    assert "… and 4 more (14 in all)" in evidence(audit.report, FAULTY, "AD-PRIV-01")
    assert "days ago (at most 365)" in evidence(audit.report, FAULTY, "AD-KRB-01")
    assert evidence(audit.report, FAULTY, "AD-DOM-01").startswith("ms-DS-MachineAccountQuota is 10")
    assert "minimum length 7 (at least 12)" in evidence(audit.report, FAULTY, "AD-DOM-02")
    assert evidence(audit.report, FAULTY, "AD-DOM-03").startswith("lockout threshold 0: accounts never lock")
    assert evidence(audit.report, FAULTY, "AD-LAPS-01").startswith("no LAPS schema")


def test_nothing_was_written_to_the_directories(audit: Audit) -> None:
    assert audit.usn_after == audit.usn_before


def test_the_password_shows_nowhere(audit: Audit) -> None:
    secrets = [audit.faulty.reader_password, audit.clean.reader_password, VAULT_PASSWORD]
    assert not [s for s in secrets if s in audit.output]
    leaks = []
    for path in audit.files:
        content = path.read_bytes()
        leaks += [str(path) for s in secrets if s.encode() in content]
    assert not leaks, leaks
    assert len(audit.files) > 5  # the run's artifacts, the history, the reports were all searched


def test_the_json_report_has_the_directory_documents(audit: Audit) -> None:
    documents = {d["host"]: d for d in audit.report.get("directories") or []}
    assert sorted(documents) == [CLEAN, FAULTY, KERBEROS, STARTTLS]
    assert documents[STARTTLS]["auth"] == "starttls" and documents[STARTTLS]["domain"] == CLEAN
    assert documents[KERBEROS]["auth"] == "kerberos" and documents[KERBEROS]["server"] == audit.clean.hostname
    assert documents[KERBEROS]["counts"] == documents[CLEAN]["counts"]
    faulty, clean = documents[FAULTY], documents[CLEAN]
    assert faulty["domain"] == FAULTY and faulty["netbios"] == "FAULTY" and faulty["auth"] == "ldaps"
    assert faulty["base_dn"] == audit.faulty.base_dn and faulty["server"] == audit.faulty.address
    assert faulty["highest_committed_usn"] == audit.usn_before[FAULTY]
    assert faulty["privileged_accounts_total"] == 14
    flags = {a["name"]: a["flags"] for a in faulty["privileged_accounts"]}
    assert "spn" in flags["fault-da-spn"] and "password_never_expires" in flags["fault-da-noexpire"]
    assert faulty["laps"]["legacy_schema"] is False and clean["laps"]["legacy_schema"] is True
    assert clean["laps"]["covered"] == clean["laps"]["computers"] == 2
    assert faulty["policy"]["machine_account_quota"] == 10 and clean["policy"]["machine_account_quota"] == 0
    assert clean["counts"]["domain_controllers"] == 1
    assert [a["name"] for a in clean["privileged_accounts"]] == ["Administrator"]
    assert os.path.exists(audit.files[0])


def test_the_kerberos_bind_used_the_readers_ticket(audit: Audit) -> None:
    """The bind was SASL GSSAPI: the reader's cache now holds a service ticket for ldap/<the DC's name>
    (the GSSAPI exchange asked the KDC for it), beside the ticket-granting ticket the test put there."""
    cache = audit.ccache.read_bytes()
    assert b"krbtgt" in cache and audit.clean.realm.encode() in cache
    assert b"ldap" in cache and audit.clean.hostname.encode() in cache, cache


def test_without_a_ticket_doctor_and_audit_say_to_run_kinit(audit: Audit) -> None:
    """No kinit done: doctor names the step on one line; the audit's control is an error saying the same."""
    doctor, run = audit.without_ticket["doctor"], audit.without_ticket["audit"]
    said = doctor.stdout + doctor.stderr
    assert doctor.returncode != 0 and "Traceback" not in said
    lines = [line for line in said.splitlines() if "no usable Kerberos ticket" in line]
    assert len(lines) == 1 and "run kinit" in lines[0], said
    assert run.returncode == 3 and "Traceback" not in run.stdout + run.stderr, run.stdout[-3000:]
    report = load_report(audit.ccache.parent / "out-no-ticket")
    assert statuses(report, KERBEROS) == {"AD-KRB-01": "error"}
    assert "no usable Kerberos ticket for ldap/" in evidence(report, KERBEROS, "AD-KRB-01")
