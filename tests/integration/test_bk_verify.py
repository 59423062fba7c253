"""Backup verification on real hosts: real restic repositories on a restore host, a production host.

One `carehard backup verify` run covers every set at once: a healthy one, and one per fault
(stale snapshot, wrong password, keys deleted, flipped byte found by check and by restore,
deleted index, garbled snapshots the restore host's cache still holds, stale lock of a dead
restic, canary missing, canary altered, slow restore, repository reachable from production,
missing repository, no room), plus a read-only copy; then the same sets with --read-data, and
a set whose only production host is down.
"""

from __future__ import annotations

import json
import secrets
import shlex
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.clirun import carehard, evidence, load_report, statuses
from tests.testhosts import harness

pytestmark = pytest.mark.integration

BK_CONTROLS = (
    "BK-REPO-01",
    "BK-LCK-01",
    "BK-AGE-01",
    "BK-RET-01",
    "BK-CHK-01",
    "BK-RST-01",
    "BK-CAN-01",
    "BK-RTO-01",
    "BK-OFF-01",
    "BK-COPY-01",
)
PASSWORD_ENV = "CAREHARD_TEST_RESTIC_PASSWORD"
CANARY = "/srv/dpi/.carehard-canary"
# The production data the backups carry: a few records and one larger file, incompressible.
MAKE_DATA = (
    "mkdir -p /srv/dpi/records /srv/dpi/images && "
    "for i in 1 2 3 4 5 6 7 8; do"
    " head -c 2048 /dev/urandom | base64 > /srv/dpi/records/patient-$i.txt; done && "
    "head -c 6000000 /dev/urandom > /srv/dpi/images/scan.bin"
)

FLIP_BYTE = (
    "import sys; p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); b[len(b) // 2] ^= 1;"
    " open(p, 'wb').write(b)"
)
# A restic backup killed while it holds its lock: the lock stays, its process is gone from this host.
DEAD_LOCK = (
    "sleep 600 </dev/null 2>/dev/null | restic -r {repo} --password-file /root/restic.pw backup -q --stdin"
    " >/dev/null 2>&1 & pid=$!;"
    ' for i in $(seq 100); do [ -n "$(ls {repo}/locks)" ] && break; sleep 0.1; done;'
    " kill -KILL $pid; pkill -P $$ -x sleep; ls {repo}/locks | grep -q ."
)


@dataclass
class BackupLab:
    inventory: Path
    work: Path
    restore: harness.TestHost
    prod: harness.TestHost
    password: str
    env: dict[str, str]
    verify_proc: subprocess.CompletedProcess[str]
    report: dict[str, Any]
    ro_tree_before: str
    ro_tree_after: str
    gone: str


def restic(repo: str, command: str) -> str:
    return f"restic -r {repo} --password-file /root/restic.pw {command}"


def copy(source: harness.TestHost, target: harness.TestHost, path: str) -> None:
    """Copy a directory (relative to /) from one test host to another, replacing it there."""
    send = subprocess.Popen(
        ["ssh", *source.ssh_options(), f"{harness.ADMIN}@{source.address}", f"sudo -n tar -C / -cf - {path}"],
        stdout=subprocess.PIPE,
    )
    receive = subprocess.run(
        [
            "ssh",
            *target.ssh_options(),
            f"{harness.ADMIN}@{target.address}",
            f"sudo -n sh -c 'rm -rf /{path} && tar -C / -xf -'",
        ],
        stdin=send.stdout,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert send.wait(timeout=120) == 0 and receive.returncode == 0, receive.stderr


def pull_data(prod: harness.TestHost, restore: harness.TestHost) -> None:
    """The backup server pulls the production data (production never reaches the backups)."""
    copy(prod, restore, "srv/dpi")


def backup_set(name: str, repository: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "repository": repository,
        "password_file": "/root/restic.pw",
        "restore_host": "RESTORE",
        "source_host": "PROD",
        "paths": ["/srv/dpi/records"],
        "canary": CANARY,
        "rpo": "24h",
        "rto": "4h",
        "retention": {"keep_last": 10},
        "production_hosts": ["PROD"],
        **extra,
    }


def write_inventory(path: Path, fleet: dict[str, harness.TestHost], restore: str, prod: str) -> None:
    sets = [
        backup_set(
            "DPI",
            "/srv/backup/dpi",
            second_copy={"repository": "/mnt/second/dpi", "password_env": PASSWORD_ENV},
        ),
        backup_set("STALE", "/srv/backup/stale"),
        backup_set("WRONGPW", "/srv/backup/dpi", password_file="/root/wrong.pw"),
        backup_set("FLIP", "/srv/backup/flip", check_subset="100%"),
        backup_set("NOCANARY", "/srv/backup/nocanary"),
        backup_set("ALTERED", "/srv/backup/altered"),
        backup_set("SLOW", "/srv/backup/dpi", rto="1s", paths=["/srv/dpi/records/patient-1.txt"]),
        backup_set("EXPOSED", "/srv/backup/exposed"),
        backup_set("MISSING", "/srv/backup/missing", production_hosts=["PROD", fleet["gone"].name]),
        backup_set("RO", "/srv/ro/dpi", password_file=None, password_env=PASSWORD_ENV),
        backup_set("NOROOM", "/srv/backup/dpi", paths=["all"], scratch_dir="/mnt/tiny"),
        backup_set("NOKEYS", "/srv/backup/nokeys"),
        backup_set("BROKEN", "/srv/backup/flip", paths=["all"]),
        backup_set("NOINDEX", "/srv/backup/noindex"),
        backup_set("GARBLED", "/srv/backup/garbled"),
        backup_set("LOCKED", "/srv/backup/locked"),
        backup_set("DOWNPROD", "/srv/backup/dpi", production_hosts=[fleet["gone"].name], canary=None),
    ]
    for item in sets:
        item["restore_host"] = restore
        item["source_host"] = prod
        item["production_hosts"] = [prod if h == "PROD" else h for h in item["production_hosts"]]
        for key in [key for key, value in item.items() if value is None]:
            item.pop(key)
    hosts = [fleet["bkrestore"], fleet["bkprod"], fleet["gone"]]
    harness.write_inventory(path, hosts, group="backup_hosts", ansible_become=True)
    body = yaml.safe_load(path.read_text())
    waiver = {"id": "BK-COPY-01", "hosts": ["STALE.backup"], "reason": "RDX ordered", "expiry": "2099-12-31"}
    body["all"]["vars"] = {"carehard_backup_sets": sets, "carehard_waivers": [waiver]}
    path.write_text(yaml.safe_dump(body, sort_keys=False))


def tree(host: harness.TestHost, path: str) -> str:
    return host.sudo(f"cd {path} && find . -printf '%p %s %T@\\n' | sort").stdout


@pytest.fixture(scope="module")
def lab(
    fleet: dict[str, harness.TestHost], state_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackupLab]:
    restore, prod = fleet["bkrestore"], fleet["bkprod"]
    work = tmp_path_factory.mktemp("backup")
    password = "pw-" + secrets.token_hex(12)
    inventory = work / "hosts.yml"
    write_inventory(inventory, fleet, restore.name, prod.name)
    env = {PASSWORD_ENV: password}

    restore.sudo(
        "apt-get install -y -q --no-install-recommends restic >/dev/null"
        f" && umask 077 && printf %s {shlex.quote(password)} > /root/restic.pw"
        " && printf %s not-the-password > /root/wrong.pw"
    )
    prod.sudo(MAKE_DATA)

    def canary_then_pull(name: str) -> None:
        proc = carehard("backup", "canary", "-i", inventory, "--set", name, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"canary of {name} written on {prod.name}:{CANARY}" in proc.stdout
        pull_data(prod, restore)

    canary_then_pull("DPI")
    restore.sudo(
        " && ".join(
            [
                restic("/srv/backup/dpi", "init -q"),
                restic("/srv/backup/dpi", "backup -q /srv/dpi"),
                restic("/srv/backup/dpi", "backup -q /srv/dpi"),
                "mkdir -p /mnt/second /srv/ro && cp -a /srv/backup/dpi /mnt/second/dpi",
                "cp -a /srv/backup/dpi /srv/backup/flip && cp -a /srv/backup/dpi /srv/backup/exposed",
                "mkdir -p /srv/ro/dpi && mount --bind -o ro /srv/backup/dpi /srv/ro/dpi",
                "mkdir -p /mnt/tiny && mount -t tmpfs -o size=1m tmpfs /mnt/tiny",
                restic("/srv/backup/stale", "init -q"),
                restic("/srv/backup/stale", "backup -q --time '2026-01-05 03:00:00' /srv/dpi"),
                # One flipped byte in the middle of the largest data pack of FLIP's repository.
                "pack=$(find /srv/backup/flip/data -type f -printf '%s %p\\n'"
                " | sort -n | tail -1 | cut -d' ' -f2)"
                " && chmod u+w $pack && python3 -c " + shlex.quote(FLIP_BYTE) + " $pack",
                "for r in nokeys noindex garbled locked; do cp -a /srv/backup/dpi /srv/backup/$r; done",
                "rm /srv/backup/nokeys/keys/* /srv/backup/noindex/index/*",
                # The restore host's restic cache holds GARBLED's snapshots before they are garbled.
                restic("/srv/backup/garbled", "snapshots -q >/dev/null"),
                "for f in /srv/backup/garbled/snapshots/*; do chmod u+w $f && python3 -c "
                + shlex.quote(FLIP_BYTE)
                + " $f; done",
            ]
        )
    )
    restore.sudo(DEAD_LOCK.format(repo="/srv/backup/locked"))
    canary_then_pull("ALTERED")
    restore.sudo(
        f"echo tampered >> {CANARY} && "
        + restic("/srv/backup/altered", "init -q")
        + " && "
        + restic("/srv/backup/altered", "backup -q /srv/dpi")
    )
    canary_then_pull("NOCANARY")
    restore.sudo(
        f"rm {CANARY} && "
        + restic("/srv/backup/nocanary", "init -q")
        + " && "
        + restic("/srv/backup/nocanary", "backup -q /srv/dpi")
    )
    # A production host that mounts the backup share: here, a copy of the repository's files.
    prod.sudo("mkdir -p /srv/backup")
    copy(restore, prod, "srv/backup/exposed")

    ro_before = tree(restore, "/srv/backup/dpi")
    out = work / "verify"
    formats = "json,html,junit,csv,md"  # every format, so that the secrets test greps them all
    proc = carehard("backup", "verify", "-i", inventory, "--output", out, "--format", formats, env=env)
    assert (out / "report.json").exists(), proc.stdout + proc.stderr
    yield BackupLab(
        inventory=inventory,
        work=work,
        restore=restore,
        prod=prod,
        password=password,
        env=env,
        verify_proc=proc,
        report=load_report(out),
        ro_tree_before=ro_before,
        ro_tree_after=tree(restore, "/srv/backup/dpi"),
        gone=fleet["gone"].name,
    )
    restore.sudo("umount /srv/ro/dpi; umount /mnt/tiny", check=False)


def results(lab: BackupLab, name: str) -> dict[str, str]:
    return statuses(lab.report, f"{name}.backup")


def test_healthy_set_passes_every_control_and_records_its_measures(lab: BackupLab) -> None:
    assert results(lab, "DPI") == dict.fromkeys(BK_CONTROLS, "pass")
    assert "restic verified the content" in evidence(lab.report, "DPI.backup", "BK-RST-01")
    assert "removed" in evidence(lab.report, "DPI.backup", "BK-RST-01")
    assert "same content and time" in evidence(lab.report, "DPI.backup", "BK-CAN-01")
    assert "not reachable" in evidence(lab.report, "DPI.backup", "BK-OFF-01")
    assert "/mnt/second/dpi" in evidence(lab.report, "DPI.backup", "BK-COPY-01")
    assert "ID " in evidence(lab.report, "DPI.backup", "BK-REPO-01")
    # Declared without check_subset, the set reads one thirtieth of its packs a night, in turn.
    assert "part 1/30 of the data packs read" in evidence(lab.report, "DPI.backup", "BK-CHK-01")
    assert "1/30 now" in evidence(lab.report, "DPI.backup", "BK-CHK-01")
    # The report carries the sets' trend, valid against the published schema, in JSON and HTML.
    schema = json.loads(
        (Path(__file__).parents[2] / "carehard/report/carehard-report-1.schema.json").read_text()
    )
    jsonschema.Draft202012Validator(schema).validate(lab.report)
    trend = {entry["set"]: entry["checks"] for entry in lab.report["backups"]}
    assert {entry["set"]: entry.get("rto") for entry in lab.report["backups"]}["SLOW"] == "1s"
    assert trend["DPI"][0]["verdict"] == "pass" and trend["STALE"][0]["verdict"] == "fail"
    for name in ("report.junit.xml", "report.csv"):
        assert "DPI.backup" in (lab.work / "verify" / name).read_text(encoding="utf-8-sig")
    assert "EXPOSED.backup · BK-OFF-01" in (lab.work / "verify" / "report.md").read_text()
    html = (lab.work / "verify" / "report.html").read_text()
    assert "Backup verifications" in html and "Verifications of DPI" in html
    assert "DPI: every data pack read once in 30 nights; 1 of 30 parts read" in html
    # The scratch directories are gone from the restore host.
    assert lab.restore.sudo("ls /var/tmp | grep -c carehard-restore || true").stdout.strip() == "0"

    proc = carehard("backup", "history", "--set", "DPI", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    (check,) = json.loads(proc.stdout)
    assert check["verdict"] == "pass"
    assert check["snapshot_age_seconds"] < 3600
    assert check["check_ok"] is True
    assert check["restore_seconds"] > 0 and check["restore_bytes"] > 8 * 2048
    assert check["throughput"] > 0 and check["rto_estimate_seconds"] > 0

    # A set that passes makes the scheduler's exit 0; the history grows by one run.
    # With --metrics-file, the nightly run also feeds node_exporter's textfile collector.
    prom = lab.work / "dpi.prom"
    again = carehard(
        "backup",
        "verify",
        "-i",
        lab.inventory,
        "--set",
        "DPI",
        "--output",
        lab.work / "again",
        "--metrics-file",
        prom,
        env=lab.env,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    metrics = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(prom.read_text(encoding="utf-8"))
        for s in family.samples
    }
    assert metrics[("carehard_backup_verdict", (("set", "DPI"), ("verdict", "pass")))] == 1
    assert metrics[("carehard_backup_verdict", (("set", "DPI"), ("verdict", "fail")))] == 0
    assert 0 <= metrics[("carehard_backup_snapshot_age_seconds", (("set", "DPI"),))] < 3600
    assert metrics[("carehard_backup_restore_seconds", (("set", "DPI"),))] > 0
    assert metrics[("carehard_backup_restore_throughput_bytes_per_second", (("set", "DPI"),))] > 0
    assert (
        abs(metrics[("carehard_backup_last_success_timestamp_seconds", (("set", "DPI"),))] - time.time())
        < 600
    )
    assert metrics[("carehard_run_exit_code", (("mode", "backup"),))] == 0
    # The next night reads the next part; the evidence says when the first was read.
    tonight = evidence(load_report(lab.work / "again"), "DPI.backup", "BK-CHK-01")
    assert "part 2/30 of the data packs read" in tonight
    assert f"1/30 {lab.report['run']['finished'][:10]}" in tonight, tonight
    table = carehard("backup", "history", "--set", "DPI")
    assert table.stdout.count("DPI") == 2, table.stdout


def test_each_fault_fails_its_control_with_specific_evidence(lab: BackupLab) -> None:
    assert lab.verify_proc.returncode == 1, lab.verify_proc.stdout + lab.verify_proc.stderr
    faults = {
        ("STALE", "BK-AGE-01"): "older than the RPO",
        (
            "WRONGPW",
            "BK-REPO-01",
        ): "wrong password for repository /srv/backup/dpi: none of its 1 key(s) opens",
        ("FLIP", "BK-CHK-01"): "found errors",
        ("NOCANARY", "BK-CAN-01"): "missing from snapshot",
        ("ALTERED", "BK-CAN-01"): "differs from the one written",
        ("SLOW", "BK-RTO-01"): "beyond the RTO",
        ("EXPOSED", "BK-OFF-01"): f"from {lab.prod.name}: REACHABLE, repository files present",
        ("MISSING", "BK-REPO-01"): "no repository at /srv/backup/missing",
        ("NOROOM", "BK-RST-01"): "not enough room for the test restore in /mnt/tiny",
        ("NOKEYS", "BK-REPO-01"): "has no key left (/srv/backup/nokeys/keys is empty)",
        ("LOCKED", "BK-LCK-01"): "no longer runs on this host",
        ("BROKEN", "BK-RST-01"): "/srv/dpi/images/scan.bin",
        ("BROKEN", "BK-RTO-01"): "the test restore failed (see BK-RST-01)",
        ("NOINDEX", "BK-CHK-01"): "found errors",
        ("NOINDEX", "BK-RST-01"): "restic could not carry out the restore step",
        ("GARBLED", "BK-AGE-01"): "2 snapshot(s) of the repository do not load",
        ("DOWNPROD", "BK-OFF-01"): f"from {lab.gone}: not checked: production host unreachable",
    }
    for (name, control), words in faults.items():
        assert results(lab, name)[control] == "fail", (name, control)
        assert words in evidence(lab.report, f"{name}.backup", control), (name, control)
    # A set's failure can be waived like any control, naming the set's host.
    assert results(lab, "STALE")["BK-COPY-01"] == "waived"
    assert results(lab, "WRONGPW")["BK-COPY-01"] == "fail"
    # Each fault is its own: the rest of a faulty set still passes where it can.
    assert results(lab, "STALE")["BK-RST-01"] == "pass"
    assert results(lab, "ALTERED")["BK-RST-01"] == "pass"
    assert results(lab, "SLOW")["BK-RST-01"] == "pass"
    assert results(lab, "EXPOSED")["BK-CHK-01"] == "pass"
    assert "not verified: wrong password" in evidence(lab.report, "WRONGPW.backup", "BK-AGE-01")
    # A damaged index fails the check and the restore, not the steps that need no index.
    assert results(lab, "NOINDEX")["BK-AGE-01"] == "pass"
    assert results(lab, "NOINDEX")["BK-OFF-01"] == "pass"
    # The lines that name the damage are kept, not only restic's last ("There were 1 errors").
    assert "ciphertext verification failed" in evidence(lab.report, "BROKEN.backup", "BK-RST-01")
    # Garbled snapshots are seen as such although the restore host's cache holds them intact.
    assert results(lab, "GARBLED")["BK-RST-01"] == "fail"
    # A production host that cannot be reached makes no verdict of reachability, and no broken set.
    missing_off = evidence(lab.report, "MISSING.backup", "BK-OFF-01")
    assert f"from {lab.gone}: not checked: production host unreachable" in missing_off
    assert results(lab, "DOWNPROD")["BK-RST-01"] == "pass"
    assert all(h["reachable"] for h in lab.report["hosts"])
    # Every fault is a verdict: no set is "error", so the nightly run exits 1 (sets fail), not 3.
    for host in lab.report["hosts"]:
        assert not {"error", "unreachable"} & set(statuses(lab.report, host["name"]).values()), host["name"]
    # A failed restore is no measure: nothing of it in the history's restore times.
    broken = json.loads(carehard("backup", "history", "--set", "BROKEN", "--format", "json").stdout)
    assert [c["restore_seconds"] for c in broken] == [None]
    assert [c["throughput"] for c in broken] == [None]
    # The evidence of the sampled check names what was read; a plain check would have passed.
    assert lab.restore.sudo(restic("/srv/backup/flip", "check --no-lock"), check=False).returncode == 0


def test_read_only_copy_restores_and_is_left_untouched(lab: BackupLab) -> None:
    ro = results(lab, "RO")
    for control in ("BK-REPO-01", "BK-LCK-01", "BK-AGE-01", "BK-CHK-01", "BK-RST-01", "BK-RTO-01"):
        assert ro[control] == "pass", (control, evidence(lab.report, "RO.backup", control))
    assert lab.ro_tree_before == lab.ro_tree_after
    locks = lab.restore.sudo(restic("/srv/backup/dpi", "list locks --no-lock")).stdout
    assert locks.strip() == ""


def test_the_password_never_leaves_the_restore_host_or_the_environment(
    lab: BackupLab, state_dir: Path
) -> None:
    places = [state_dir, lab.work]
    leaks = []
    for place in places:
        for path in place.rglob("*"):
            if path.is_file() and lab.password.encode() in path.read_bytes():
                leaks.append(str(path))
    assert not leaks, leaks
    assert lab.password not in lab.verify_proc.stdout + lab.verify_proc.stderr
    # It was used for real: RO's password came from the environment only.
    assert results(lab, "RO")["BK-REPO-01"] == "pass"


def test_bad_input_is_refused_on_one_line_and_records_nothing(lab: BackupLab) -> None:
    before = carehard("backup", "history", "--format", "json").stdout
    proc = carehard("backup", "verify", "-i", lab.inventory, "--set", "NOPE")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "--set NOPE: no such backup set" in proc.stderr
    unset = carehard("backup", "verify", "-i", lab.inventory, "--set", "RO", env={PASSWORD_ENV: ""})
    assert unset.returncode == 2 and f"password_env {PASSWORD_ENV} is not set" in unset.stderr
    canary = carehard("backup", "canary", "-i", lab.inventory, "--set", "NOPE")
    assert canary.returncode == 2 and "no such backup set" in canary.stderr
    assert carehard("backup", "history", "--format", "json").stdout == before


def test_a_production_host_down_still_gets_its_set_restore_tested(lab: BackupLab) -> None:
    """The night the production host is down is the night the restore test matters most."""
    out = lab.work / "downprod"
    proc = carehard(
        "backup",
        "verify",
        "-i",
        lab.inventory,
        "--set",
        "DOWNPROD",
        "--output",
        out,
        "--format",
        "json",
        env=lab.env,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = load_report(out)
    found = statuses(report, "DOWNPROD.backup")
    assert found.pop("BK-OFF-01") == "fail"
    assert found.pop("BK-COPY-01") == "fail"  # no second copy declared
    assert found.pop("BK-CAN-01") == "fail"  # no canary declared
    assert found == dict.fromkeys(set(BK_CONTROLS) - {"BK-OFF-01", "BK-COPY-01", "BK-CAN-01"}, "pass")
    assert evidence(report, "DOWNPROD.backup", "BK-OFF-01") == (
        f"repository /srv/backup/dpi from {lab.gone}: not checked: production host unreachable;"
    )
    assert "restic verified the content" in evidence(report, "DOWNPROD.backup", "BK-RST-01")


def test_read_data_reads_every_pack_and_finds_what_the_nightly_part_may_miss(lab: BackupLab) -> None:
    out = lab.work / "read-data"
    damaged = ("FLIP", "BROKEN", "NOINDEX", "GARBLED")  # the sets whose packs or index are damaged
    proc = carehard(
        "backup",
        "verify",
        "-i",
        lab.inventory,
        *(f"--set={name}" for name in ("DPI", *damaged)),
        "--read-data",
        "--output",
        out,
        "--format",
        "json,html",
        env=lab.env,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = load_report(out)
    assert statuses(report, "DPI.backup")["BK-CHK-01"] == "pass"
    assert "all data packs read" in evidence(report, "DPI.backup", "BK-CHK-01")
    for name in damaged:
        assert statuses(report, f"{name}.backup")["BK-CHK-01"] == "fail", name
    assert "found errors" in evidence(report, "BROKEN.backup", "BK-CHK-01")
    # Every other verdict is the nightly run's.
    for host in report["hosts"]:
        nightly = statuses(lab.report, host["name"])
        tonight = statuses(report, host["name"])
        changed = {c for c in nightly if nightly[c] != tonight[c]}
        assert changed <= {"BK-CHK-01"}, (host["name"], changed)
    # Every part counts as read now.
    assert (
        "DPI: every data pack read once in 30 nights; 30 of 30 parts read"
        in (out / "report.html").read_text()
    )
