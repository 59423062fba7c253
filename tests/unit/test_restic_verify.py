"""restic_verify and backup_reach against real restic repositories built in tmp_path.

The repositories are made once per module. restic calibrates its key derivation (scrypt) to take about
half a second, paid by every command; the base repository's key is therefore re-encrypted with cheap
scrypt parameters (what restic's own tests do), so each restic command takes milliseconds. The data,
the format and every command run are restic's own.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.poly1305 import Poly1305

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "roles/backup_verify/library"))
import backup_reach  # noqa: E402
import restic_verify  # noqa: E402

PASSWORD = "correct horse battery staple"
RESTIC = "restic"
CONTROLS = {
    "BK-REPO-01",
    "BK-LCK-01",
    "BK-AGE-01",
    "BK-RET-01",
    "BK-CHK-01",
    "BK-RST-01",
    "BK-CAN-01",
    "BK-RTO-01",
}
ALL_STEPS = ["open", "locks", "age", "retention", "check", "restore"]


# ---- building the repositories ---------------------------------------------------------------------


def weaken_key(repo: Path, env: dict[str, str]) -> None:
    """Replace the repository's key by one holding the same master key under cheap scrypt parameters."""
    master = subprocess.run(
        [RESTIC, "-r", str(repo), "cat", "masterkey", "--no-lock"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    plain = json.dumps(json.loads(master), separators=(",", ":")).encode()
    salt, iv = os.urandom(64), os.urandom(16)
    n, r, p = 1024, 1, 1
    derived = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=n, r=r, p=p, dklen=64)
    encrypt_key, mac_k, mac_r = derived[:32], derived[32:48], derived[48:]
    ciphertext = Cipher(algorithms.AES(encrypt_key), modes.CTR(iv)).encryptor().update(plain)
    nonce_key = Cipher(algorithms.AES(mac_k), modes.ECB()).encryptor().update(iv)
    tag = Poly1305.generate_tag(mac_r + nonce_key, ciphertext)
    key = {
        "created": "2026-01-01T00:00:00Z",
        "username": "test",
        "hostname": "test",
        "kdf": "scrypt",
        "N": n,
        "r": r,
        "p": p,
        "salt": base64.b64encode(salt).decode(),
        "data": base64.b64encode(iv + ciphertext + tag).decode(),
    }
    body = json.dumps(key).encode()
    old = list((repo / "keys").iterdir())
    (repo / "keys" / hashlib.sha256(body).hexdigest()).write_bytes(body)
    for path in old:
        path.unlink()


@dataclass
class Canary:
    path: Path
    record: dict[str, Any]  # written, sha256, mtime: what `carehard backup canary` records


@dataclass
class Lab:
    root: Path
    base: Path  # an initialised repository without snapshots

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESTIC_")}
        env.update(RESTIC_PASSWORD=PASSWORD, RESTIC_CACHE_DIR=str(self.root / "cache"), TMPDIR=str(self.tmp))
        env.update(extra)
        return env

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def restic(self, repo: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [RESTIC, "-r", str(repo), *args],
            env=self.env(**env),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def backup(self, repo: Path, path: Path, *args: str, **env: str) -> None:
        proc = self.restic(repo, "backup", str(path), *args, **env)
        assert proc.returncode == 0, proc.stderr

    def copy(self, name: str, source: Path | None = None) -> Path:
        return Path(shutil.copytree(source or self.base, self.root / name))

    def canary(self, folder: Path, *, written: datetime | None = None) -> Canary:
        """Write a canary file as `carehard backup canary` does: content, mtime set to the written time."""
        written = (written or datetime.now(UTC)).replace(microsecond=0)
        stamp = written.strftime("%Y-%m-%dT%H:%M:%SZ")
        content = f"carehard backup canary\nset: test\nwritten: {stamp}\nnonce: {os.urandom(8).hex()}\n"
        path = folder / "canary.txt"
        path.write_text(content)
        epoch = int(written.timestamp())
        os.utime(path, (epoch, epoch))
        record = {
            "written": stamp,
            "sha256": hashlib.sha256(content.encode()).hexdigest(),
            "mtime": epoch,
        }
        return Canary(path, record)

    def params(self, repo: Path | str, **overrides: Any) -> dict[str, Any]:
        """The module's parameters with its argument_spec defaults; each repository gets its own cache."""
        name = Path(str(repo)).name
        params: dict[str, Any] = {
            "repository": str(repo),
            "password": PASSWORD,
            "password_file": None,
            "environment": {"RESTIC_CACHE_DIR": str(self.root / f"cache-{name}"), "TMPDIR": str(self.tmp)},
            "steps": list(ALL_STEPS),
            "rpo": "24h",
            "rto": "4h",
            "paths": ["all"],
            "canary": None,
            "canaries": [],
            "check_subset": "5%",
            "read_data": False,
            "check_parts_read": {},
            "retention": {},
            "snapshot_host": None,
            "snapshot_tags": [],
            "snapshot_paths": [],
            "scratch_dir": str(self.root / f"scratch-{name}"),
            "stale_lock_age": "30m",
            "restic": RESTIC,
            "role": "primary",
        }
        params.update(overrides)
        return params


def verify(params: dict[str, Any]) -> restic_verify.Verifier:
    verifier = restic_verify.Verifier(params)
    verifier.run()
    return verifier


def evidence(verifier: restic_verify.Verifier, control: str) -> str:
    return str(verifier.verdicts[control]["evidence"])


def failed(verifier: restic_verify.Verifier, control: str) -> str:
    """The evidence of a control that must have failed."""
    verdict = verifier.verdicts[control]
    assert verdict["ok"] is False, verdict
    return str(verdict["evidence"])


def passed(verifier: restic_verify.Verifier, control: str) -> str:
    verdict = verifier.verdicts[control]
    assert verdict["ok"] is True, verdict
    return str(verdict["evidence"])


def tree(repo: Path) -> dict[str, tuple[int, int]]:
    """Every path of the repository with its size and mtime: any write shows."""
    return {
        str(p.relative_to(repo)): (p.stat().st_size, p.stat().st_mtime_ns) for p in [repo, *repo.rglob("*")]
    }


def locks_of(lab: Lab, repo: Path) -> list[str]:
    proc = lab.restic(repo, "list", "locks", "--no-lock")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    root = tmp_path_factory.mktemp("restic")
    (root / "tmp").mkdir()
    lab = Lab(root, root / "base")
    proc = lab.restic(lab.base, "init")
    assert proc.returncode == 0, proc.stderr
    weaken_key(lab.base, lab.env())
    return lab


@dataclass
class Site:
    repo: Path
    data: Path
    canary: Canary
    sample: Path  # a small file of the snapshot
    big: Path


@pytest.fixture(scope="module")
def healthy(lab: Lab) -> Site:
    """A repository holding two snapshots of a small data folder, the canary written before the backup."""
    data = lab.root / "site" / "dpi"
    (data / "records").mkdir(parents=True)
    sample = data / "records" / "patient-0001.txt"
    sample.write_text("dossier patient 0001\n")
    big = data / "records" / "scan.bin"
    big.write_bytes(os.urandom(256 * 1024))
    canary = lab.canary(data)
    repo = lab.copy("healthy")
    lab.backup(repo, data)
    lab.backup(repo, data)
    return Site(repo, data, canary, sample, big)


def canaries_around(canary: Canary) -> list[dict[str, Any]]:
    """The history's canaries of the set: an older one, the one in the snapshot, one written after it."""
    written = datetime.fromisoformat(canary.record["written"].replace("Z", "+00:00"))
    older = {
        "written": (written - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sha256": "0" * 64,
        "mtime": int((written - timedelta(days=1)).timestamp()),
    }
    later = {
        "written": (written + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sha256": "f" * 64,
        "mtime": int((written + timedelta(hours=1)).timestamp()),
    }
    return [older, canary.record, later]


@dataclass
class HealthyRun:
    verifier: restic_verify.Verifier
    before: dict[str, tuple[int, int]]
    after: dict[str, tuple[int, int]]
    scratch: Path


@pytest.fixture(scope="module")
def healthy_run(lab: Lab, healthy: Site) -> HealthyRun:
    params = lab.params(
        healthy.repo,
        canary=str(healthy.canary.path),
        canaries=canaries_around(healthy.canary),
        retention={"keep_last": 5},
    )
    before = tree(healthy.repo)
    verifier = verify(params)
    return HealthyRun(verifier, before, tree(healthy.repo), Path(params["scratch_dir"]))


# ---- a healthy repository ----------------------------------------------------------------------------


def test_a_healthy_repository_passes_every_control(healthy_run: HealthyRun, healthy: Site) -> None:
    verifier = healthy_run.verifier
    assert set(verifier.verdicts) == CONTROLS
    failures = {c: v["evidence"] for c, v in verifier.verdicts.items() if not v["ok"]}
    assert failures == {}
    assert "2 snapshot(s)" in evidence(verifier, "BK-AGE-01")
    assert evidence(verifier, "BK-RET-01") == "2 snapshot(s), all within the policy (keep-last 5)"
    assert "restic check: structure and a 5% sample" in evidence(verifier, "BK-CHK-01")
    assert "same content and time" in evidence(verifier, "BK-CAN-01")
    # The newest canary written before the snapshot is the one compared, not the later one.
    assert healthy.canary.record["written"] in evidence(verifier, "BK-CAN-01")


def test_a_healthy_run_measures_the_real_restore(healthy_run: HealthyRun, healthy: Site) -> None:
    measures = healthy_run.verifier.measures
    data_bytes = healthy.sample.stat().st_size + healthy.big.stat().st_size
    assert measures["restore"]["files"] == 2  # the canary is not counted as data
    assert measures["restore"]["bytes"] == data_bytes
    assert measures["full_size"] == data_bytes + healthy.canary.path.stat().st_size
    assert measures["snapshot_count"] == 2
    assert measures["snapshot"]["paths"] == [str(healthy.data)]
    assert measures["check_ok"] is True
    assert measures["locks"] == 0
    assert measures["restore"]["seconds"] > 0
    assert measures["restore"]["throughput"] > 0
    assert measures["rto_estimate_seconds"] <= 4 * 3600


def test_verification_writes_nothing_to_the_repository(
    healthy_run: HealthyRun, lab: Lab, healthy: Site
) -> None:
    assert healthy_run.after == healthy_run.before
    assert locks_of(lab, healthy.repo) == []
    assert evidence(healthy_run.verifier, "BK-LCK-01").startswith("no lock in the repository")


def test_the_scratch_directory_is_left_empty(healthy_run: HealthyRun) -> None:
    assert healthy_run.scratch.is_dir()
    assert list(healthy_run.scratch.iterdir()) == []
    assert "removed" in evidence(healthy_run.verifier, "BK-RST-01")


def test_a_password_file_opens_the_repository(lab: Lab, healthy: Site, tmp_path: Path) -> None:
    secret = tmp_path / "restic.pw"
    secret.write_text(PASSWORD + "\n")
    verifier = verify(lab.params(healthy.repo, password=None, password_file=str(secret), steps=["open"]))
    assert "opens with the declared password" in passed(verifier, "BK-REPO-01")
    assert set(verifier.verdicts) == {"BK-REPO-01"}


# ---- repositories that do not open ---------------------------------------------------------------------


def test_a_wrong_password_fails_open_and_leaves_everything_unverified(lab: Lab, healthy: Site) -> None:
    verifier = verify(lab.params(healthy.repo, password="not the password"))
    assert "wrong password" in failed(verifier, "BK-REPO-01")
    assert set(verifier.verdicts) == CONTROLS
    for control in CONTROLS - {"BK-REPO-01"}:
        assert failed(verifier, control).startswith("not verified: wrong password"), control


def test_a_missing_password_file_fails_open_naming_it(lab: Lab, healthy: Site, tmp_path: Path) -> None:
    missing = tmp_path / "absent.pw"
    verifier = verify(lab.params(healthy.repo, password=None, password_file=str(missing), steps=["open"]))
    assert str(missing) in failed(verifier, "BK-REPO-01")


def test_a_missing_repository_is_named(lab: Lab, tmp_path: Path) -> None:
    absent = tmp_path / "no-repo"
    verifier = verify(lab.params(absent, steps=["open", "age"]))
    assert failed(verifier, "BK-REPO-01").startswith(f"no repository at {absent}")
    assert failed(verifier, "BK-AGE-01").startswith(f"not verified: no repository at {absent}")


# ---- snapshots: age, retention, none --------------------------------------------------------------------


def test_a_repository_without_snapshot_has_nothing_to_restore(lab: Lab) -> None:
    verifier = verify(lab.params(lab.base, steps=["open", "age", "restore"]))
    passed(verifier, "BK-REPO-01")
    assert failed(verifier, "BK-AGE-01").startswith("no snapshot of this set")
    for control in ("BK-RST-01", "BK-CAN-01", "BK-RTO-01"):
        assert failed(verifier, control).startswith("nothing to restore"), control


def test_a_snapshot_older_than_the_rpo_fails(lab: Lab) -> None:
    data = lab.root / "site" / "old"
    data.mkdir(parents=True)
    (data / "report.txt").write_text("old\n")
    repo = lab.copy("stale")
    lab.backup(repo, data, "--time", "2020-01-01 00:00:00")
    verifier = verify(lab.params(repo, steps=["open", "age"], rpo="24h"))
    text = failed(verifier, "BK-AGE-01")
    assert text.startswith("older than the RPO")
    assert "2020-01-01T00:00:00Z" in text
    assert verifier.measures["snapshot"]["age_seconds"] > 5 * 365 * 86400


def test_snapshots_beyond_the_retention_policy_fail(lab: Lab, healthy: Site) -> None:
    verifier = verify(lab.params(healthy.repo, steps=["open", "retention"], retention={"keep_last": 1}))
    text = failed(verifier, "BK-RET-01")
    assert text.startswith("1 snapshot(s) beyond the policy (keep-last 1)")
    assert "`restic forget --prune` is not running" in text


def test_no_retention_policy_fails(lab: Lab, healthy: Site) -> None:
    verifier = verify(lab.params(healthy.repo, steps=["open", "retention"], retention={}))
    assert failed(verifier, "BK-RET-01").startswith("no retention policy declared")


def test_restic_refuses_a_keep_within_in_weeks(lab: Lab, healthy: Site) -> None:
    """restic's --keep-within takes y, m (months), d, h only (carehard refuses others up front)."""
    verifier = verify(lab.params(healthy.repo, steps=["open", "retention"], retention={"keep_within": "2w"}))
    assert failed(verifier, "BK-RET-01").startswith("cannot evaluate the retention policy")


# ---- data: a damaged pack ------------------------------------------------------------------------------


def test_a_flipped_byte_in_a_data_pack_fails_the_check(lab: Lab, healthy: Site) -> None:
    repo = lab.copy("damaged", healthy.repo)
    pack = max((p for p in (repo / "data").rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    pack.chmod(0o600)
    content = bytearray(pack.read_bytes())
    content[len(content) // 2] ^= 0xFF
    pack.write_bytes(bytes(content))

    structure_only = lab.restic(repo, "check", "--no-lock")
    assert structure_only.returncode == 0, "a structure-only check would have missed the damage"

    verifier = verify(lab.params(repo, steps=["open", "check"], check_subset="100%"))
    text = failed(verifier, "BK-CHK-01")
    assert text.startswith("restic check (structure and a 100% sample of the data packs read) found errors")
    assert pack.name in text
    assert verifier.measures["check_ok"] is False


def test_a_damaged_pack_names_the_file_the_restore_could_not_bring_back(lab: Lab, healthy: Site) -> None:
    """The restore's verdict keeps restic's lines naming the damage, not only "There were 1 errors";
    a failed restore is no measure of the RTO."""
    repo = lab.copy("damaged-restore", healthy.repo)
    pack = max((p for p in (repo / "data").rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    pack.chmod(0o600)
    content = bytearray(pack.read_bytes())
    content[len(content) // 2] ^= 0xFF
    pack.write_bytes(bytes(content))
    verifier = verify(lab.params(repo, steps=["open", "restore"]))
    text = failed(verifier, "BK-RST-01")
    assert "scan.bin" in text and "There were" in text, text
    assert "restore" not in verifier.measures, verifier.measures
    assert (
        failed(verifier, "BK-RTO-01") == "no restore time measured: the test restore failed (see BK-RST-01)"
    )


def test_a_deleted_index_fails_the_steps_that_need_it_and_the_others_still_run(
    lab: Lab, healthy: Site
) -> None:
    repo = lab.copy("no-index", healthy.repo)
    shutil.rmtree(repo / "index")
    (repo / "index").mkdir()
    verifier = verify(lab.params(repo, retention={"keep_last": 5}))
    assert set(verifier.verdicts) == CONTROLS
    passed(verifier, "BK-REPO-01")
    passed(verifier, "BK-LCK-01")
    passed(verifier, "BK-AGE-01")  # snapshots load without the index
    check = failed(verifier, "BK-CHK-01")
    assert "not referenced in any index" in check, check
    restore = failed(verifier, "BK-RST-01")
    assert restore.startswith("restic could not carry out the restore step: "), restore
    for control in ("BK-CAN-01", "BK-RTO-01"):
        assert failed(verifier, control)
    assert "restore" not in verifier.measures


def flip_one_byte(data: bytes) -> bytes:
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 1
    return bytes(flipped)


GARBLES: dict[str, Callable[[bytes], bytes]] = {
    "overwritten": lambda data: os.urandom(len(data)),  # restic 0.14 warns of these
    "one-byte-flipped": flip_one_byte,  # and skips these without a word
}


@pytest.mark.parametrize("garble", GARBLES)
def test_snapshots_garbled_in_the_repository_are_not_served_from_a_cache(
    lab: Lab, healthy: Site, garble: str
) -> None:
    """With the restore host's cache warm, restic would read the snapshots from it and pass."""
    repo = lab.copy(f"garbled-{garble}", healthy.repo)
    params = lab.params(repo, steps=["open", "age"])
    warm = lab.restic(
        repo, "snapshots", "--no-lock", RESTIC_CACHE_DIR=params["environment"]["RESTIC_CACHE_DIR"]
    )
    assert warm.returncode == 0, warm.stderr
    for snapshot in (repo / "snapshots").iterdir():
        snapshot.chmod(0o600)
        snapshot.write_bytes(GARBLES[garble](snapshot.read_bytes()))
    cached = lab.restic(
        repo, "snapshots", "--no-lock", RESTIC_CACHE_DIR=params["environment"]["RESTIC_CACHE_DIR"]
    )
    assert cached.returncode == 0, "the cache no longer hides the damage: this test proves nothing"
    verifier = verify(params)
    text = failed(verifier, "BK-AGE-01")
    assert text.startswith(
        "restic could not carry out the age step: 2 snapshot(s) of the repository do not load ("
    ), text


def test_keys_deleted_are_told_from_a_wrong_password(lab: Lab, healthy: Site) -> None:
    repo = lab.copy("keyless", healthy.repo)
    for key in (repo / "keys").iterdir():
        key.chmod(0o600)
        key.unlink()
    gone = failed(verify(lab.params(repo, steps=["open"])), "BK-REPO-01")
    assert gone.startswith(f"repository {repo} has no key left ({repo}/keys is empty)"), gone
    wrong = failed(verify(lab.params(healthy.repo, password="not it", steps=["open"])), "BK-REPO-01")
    assert wrong == f"wrong password for repository {healthy.repo}: none of its 1 key(s) opens with it"


def test_a_part_of_the_read_cycle_is_read_and_the_parts_last_read_are_told(lab: Lab, healthy: Site) -> None:
    last = {"1/3": "2026-12-01T02:00:00+00:00"}
    verifier = verify(
        lab.params(healthy.repo, steps=["open", "check"], check_subset="2/3", check_parts_read=last)
    )
    text = passed(verifier, "BK-CHK-01")
    assert text.startswith(
        "restic check: structure and part 2/3 of the data packs read (every pack once in 3 nights; parts last"
        " read: 1/3 2026-12-01, 2/3 now, 3/3 never), no errors"
    ), text
    assert verifier.measures["check_part"] == "2/3"
    everything = verify(lab.params(healthy.repo, steps=["open", "check"], check_subset="2/3", read_data=True))
    assert passed(everything, "BK-CHK-01").startswith("restic check: all data packs read, no errors")
    assert everything.measures["check_part"] == "all"


# ---- the restore: canary and RTO ------------------------------------------------------------------------


def test_a_canary_missing_from_the_snapshot_fails(lab: Lab, healthy: Site) -> None:
    absent = healthy.data / "no-canary-here.txt"
    params = lab.params(
        healthy.repo, steps=["open", "restore"], canary=str(absent), canaries=[healthy.canary.record]
    )
    verifier = verify(params)
    passed(verifier, "BK-RST-01")
    assert failed(verifier, "BK-CAN-01") == (
        f"canary {absent} missing from snapshot {verifier.measures['snapshot']['short_id']}"
    )


def test_a_canary_changed_before_the_backup_differs(lab: Lab) -> None:
    data = lab.root / "site" / "altered"
    data.mkdir(parents=True)
    (data / "letter.txt").write_text("courrier\n")
    canary = lab.canary(data)
    mtime = canary.path.stat().st_mtime
    canary.path.write_text("not the canary that was written\n")
    os.utime(canary.path, (mtime, mtime))  # same time: only the content tells
    repo = lab.copy("altered")
    lab.backup(repo, data)
    verifier = verify(
        lab.params(repo, steps=["open", "restore"], canary=str(canary.path), canaries=[canary.record])
    )
    passed(verifier, "BK-RST-01")
    text = failed(verifier, "BK-CAN-01")
    assert f"canary {canary.path} in snapshot" in text
    assert "differs from the one written at" in text
    assert f"expected {canary.record['sha256'][:16]}" in text
    assert "modified" not in text


def test_a_restore_too_slow_for_the_rto_fails_with_its_estimate(lab: Lab, healthy: Site) -> None:
    params = lab.params(
        healthy.repo,
        steps=["open", "restore"],
        paths=[str(healthy.sample)],
        canary=str(healthy.canary.path),
        canaries=[healthy.canary.record],
        rto="1s",
    )
    verifier = verify(params)
    measures = verifier.measures
    # Only the sample (and the canary) came back: the estimate extrapolates to the full snapshot.
    assert measures["restore"]["files"] == 1
    assert measures["restore"]["bytes"] == healthy.sample.stat().st_size
    assert measures["full_size"] > 100 * measures["restore"]["bytes"]
    assert measures["rto_estimate_seconds"] > 1
    passed(verifier, "BK-RST-01")
    passed(verifier, "BK-CAN-01")
    text = failed(verifier, "BK-RTO-01")
    assert text.startswith("beyond the RTO: restored")
    assert "/s); full snapshot" in text
    assert "to restore; RTO 1s" in text


def test_a_sample_path_not_in_the_snapshot_restores_nothing(lab: Lab, healthy: Site) -> None:
    params = lab.params(healthy.repo, steps=["open", "restore"], paths=["/not/in/the/snapshot"])
    verifier = verify(params)
    assert "brought back no file" in failed(verifier, "BK-RST-01")
    assert failed(verifier, "BK-RTO-01").startswith("no restore time measured")


# ---- locks ---------------------------------------------------------------------------------------------


@dataclass
class Locked:
    repo: Path
    lock: str
    killed_at: float


@pytest.fixture(scope="module")
def locked(lab: Lab) -> Locked:
    """A repository with the lock of a backup killed with SIGKILL mid-way."""
    repo = lab.copy("locked")
    backup = subprocess.Popen(
        [RESTIC, "-r", str(repo), "--json", "backup", "--stdin", "--stdin-filename", "dump.sql"],
        env=lab.env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert backup.stdin is not None
    try:
        backup.stdin.write(b"INSERT INTO patients VALUES (1);\n" * 100)
        backup.stdin.flush()
        deadline = time.monotonic() + 20
        locks: list[str] = []
        while not locks and time.monotonic() < deadline:
            locks = locks_of(lab, repo)
            time.sleep(0.02)
        assert locks, "restic backup took no lock"
    finally:
        backup.kill()
        backup.wait()
        with contextlib.suppress(BrokenPipeError):
            backup.stdin.close()
    return Locked(repo, locks[0], time.monotonic())


def test_the_lock_of_a_killed_backup_on_this_host_is_stale_at_once(lab: Lab, locked: Locked) -> None:
    """restic's own rule: the process that took it no longer runs here, whatever the lock's age."""
    verifier = verify(lab.params(locked.repo, steps=["open", "locks"], stale_lock_age="30m"))
    text = failed(verifier, "BK-LCK-01")
    assert text.startswith("stale lock(s) in the repository")
    assert f"{locked.lock[:8]} shared lock by " in text
    assert f"@{socket.gethostname()} pid " in text and "no longer runs on this host)" in text
    assert "`restic unlock`" in text
    assert verifier.measures["locks"] == 1
    assert locks_of(lab, locked.repo) == [locked.lock]  # reported, never removed


def plant_lock(lab: Lab, repo: Path, hostname: str, pid: int, age: timedelta) -> str:
    """A lock file as restic writes one (JSON encrypted with the repository's master key, named by
    the SHA-256 of its content): taken `age` ago by `pid` on `hostname`."""
    master = json.loads(lab.restic(repo, "cat", "masterkey", "--no-lock").stdout)
    plain = json.dumps(
        {
            "time": (datetime.now(UTC) - age).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "exclusive": True,
            "hostname": hostname,
            "username": "root",
            "pid": pid,
            "uid": 0,
            "gid": 0,
        }
    ).encode()
    iv = os.urandom(16)
    encrypt = base64.b64decode(master["encrypt"])
    mac_k, mac_r = base64.b64decode(master["mac"]["k"]), base64.b64decode(master["mac"]["r"])
    ciphertext = Cipher(algorithms.AES(encrypt), modes.CTR(iv)).encryptor().update(plain)
    nonce_key = Cipher(algorithms.AES(mac_k), modes.ECB()).encryptor().update(iv)
    content = iv + ciphertext + Poly1305.generate_tag(mac_r + nonce_key, ciphertext)
    name = hashlib.sha256(content).hexdigest()
    (repo / "locks").mkdir(exist_ok=True)
    (repo / "locks" / name).write_bytes(content)
    return name


@pytest.mark.parametrize(
    ("hostname", "pid", "age", "stale_because"),
    [
        ("this host", "running", timedelta(minutes=5), None),
        ("backup-server", "running", timedelta(minutes=5), None),  # another host's process cannot be seen
        ("backup-server", "running", timedelta(minutes=31), "older than 30.0 min"),
        ("this host", "running", timedelta(minutes=31), "older than 30.0 min"),
        ("this host", "gone", timedelta(seconds=10), "no longer runs on this host"),
    ],
)
def test_restic_s_rule_tells_a_stale_lock_from_one_in_use(
    lab: Lab, hostname: str, pid: str, age: timedelta, stale_because: str | None
) -> None:
    repo = lab.copy(f"lock-{hostname.replace(' ', '-')}-{pid}-{int(age.total_seconds())}")
    if pid == "running":
        number = os.getpid()
    else:
        ended = subprocess.run(["sh", "-c", "echo $$"], capture_output=True, text=True, check=True)
        number = int(ended.stdout)
    name = plant_lock(lab, repo, socket.gethostname() if hostname == "this host" else hostname, number, age)
    assert locks_of(lab, repo) == [name]
    verifier = verify(lab.params(repo, steps=["open", "locks"]))
    if stale_because is None:
        text = passed(verifier, "BK-LCK-01")
        assert text.startswith(f"no stale lock; in use now: {name[:8]} exclusive lock by root@"), text
    else:
        text = failed(verifier, "BK-LCK-01")
        assert f"{name[:8]} exclusive lock by root@" in text and stale_because in text, text


# ---- time zones ----------------------------------------------------------------------------------------


def test_a_snapshot_taken_west_of_utc_keeps_its_true_time(lab: Lab) -> None:
    data = lab.root / "site" / "west"
    data.mkdir(parents=True)
    (data / "note.txt").write_text("note\n")
    canary = lab.canary(data)
    repo = lab.copy("west")
    lab.backup(repo, data, TZ="America/New_York")
    raw = json.loads(lab.restic(repo, "snapshots", "--json", "--no-lock").stdout)[0]["time"]
    if raw.endswith("Z"):
        pytest.skip("no time zone data here: restic wrote the snapshot time in UTC")
    verifier = verify(
        lab.params(repo, steps=["open", "age", "restore"], canary=str(canary.path), canaries=[canary.record])
    )
    passed(verifier, "BK-AGE-01")
    shown = datetime.fromisoformat(verifier.measures["snapshot"]["time"].replace("Z", "+00:00"))
    assert abs((shown - restic_verify.parse_time(raw)).total_seconds()) < 1
    passed(verifier, "BK-CAN-01")


# ---- helpers of the module -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30m", 1800),
        ("24h", 86400),
        ("2d", 172800),
        ("1w", 604800),
        ("90", 90),
        ("1.5h", 5400),
        (" 4H ", 14400),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert restic_verify.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["24 hours", "", "h", "-1h", "1y"])
def test_parse_duration_refuses_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        restic_verify.parse_duration(text)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-11-26T01:26:12.717631971Z", datetime(2026, 11, 26, 1, 26, 12, 717631, tzinfo=UTC)),
        ("2020-01-01T00:00:00Z", datetime(2020, 1, 1, tzinfo=UTC)),
        ("2026-11-25T20:26:12.5-05:00", datetime(2026, 11, 26, 1, 26, 12, 500000, tzinfo=UTC)),
        ("2026-11-26T01:26:12", datetime(2026, 11, 26, 1, 26, 12, tzinfo=UTC)),
    ],
)
def test_parse_time_reads_restic_times(text: str, moment: datetime) -> None:
    parsed = restic_verify.parse_time(text)
    assert parsed == moment
    assert parsed.tzinfo is not None


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536 * 1024, "1.5 MiB"),
        (3 * 1024**3, "3.0 GiB"),
        (2048 * 1024**4, "2048.0 TiB"),
    ],
)
def test_human_bytes(size: int, text: str) -> None:
    assert restic_verify.human_bytes(size) == text


def test_validate_names_what_is_wrong(lab: Lab) -> None:
    good = lab.params("/srv/repo")
    assert restic_verify.validate(good) is None
    assert restic_verify.validate({**good, "password": None}) == "give password or password_file"
    assert str(restic_verify.validate({**good, "rpo": "24 hours"})).startswith("rpo: '24 hours' is not")
    assert "restic is not installed" in str(restic_verify.validate({**good, "restic": "no-such-restic"}))


# ---- backup_reach --------------------------------------------------------------------------------------


def test_a_local_repository_is_reachable(lab: Lab) -> None:
    for repository in (str(lab.base), f"local:{lab.base}"):
        reachable, how = backup_reach.probe(repository, 1)
        assert reachable, how
        assert how.startswith(f"repository files present at {lab.base}")


def test_a_folder_without_repository_or_an_absent_path_is_not_reachable(tmp_path: Path) -> None:
    assert backup_reach.probe(str(tmp_path), 1) == (
        False,
        f"{tmp_path} exists but holds no restic repository",
    )
    absent = tmp_path / "absent"
    assert backup_reach.probe(str(absent), 1) == (False, f"{absent} is absent")


def test_a_listening_server_is_reachable_and_a_closed_port_is_not() -> None:
    with socket.socket() as server, socket.socket() as closed:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        closed.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        closed_port = closed.getsockname()[1]
        for repository in (f"rest:http://127.0.0.1:{port}/", f"sftp://backup@127.0.0.1:{port}//srv/restic"):
            assert backup_reach.probe(repository, 2) == (True, f"TCP connection to 127.0.0.1:{port} opened")
        reachable, how = backup_reach.probe(f"rest:http://127.0.0.1:{closed_port}/", 2)
    assert not reachable
    assert how.startswith(f"no TCP connection to 127.0.0.1:{closed_port}")


@pytest.mark.parametrize(
    ("repository", "target"),
    [
        ("sftp:backup@nas.local:/srv/restic", ("nas.local", 22)),
        ("sftp:nas.local:/srv/restic", ("nas.local", 22)),
        ("sftp://backup@nas.local:2222//srv/restic", ("nas.local", 2222)),
        ("rest:https://h:8000/", ("h", 8000)),
        ("rest:http://h/", ("h", 80)),
        ("rest:https://user:pw@h/repo", ("h", 443)),
        ("s3:https://s3.example:9000/bucket", ("s3.example", 9000)),
        ("s3:s3.amazonaws.com/bucket", ("s3.amazonaws.com", 443)),
        ("b2:bucket:path", ("api.backblazeb2.com", 443)),
        ("/srv/restic", None),
        ("local:/srv/restic", None),
        ("rclone:remote:path", None),
    ],
)
def test_endpoint(repository: str, target: tuple[str, int] | None) -> None:
    assert backup_reach.endpoint(repository) == target


def test_rclone_repositories_count_as_reachable_without_probing() -> None:
    reachable, how = backup_reach.probe("rclone:offsite:dpi", 1)
    assert reachable
    assert "cannot be probed" in how


def test_a_json_error_of_restic_is_told_by_its_first_line_not_its_stack_trace() -> None:
    line = json.dumps(
        {
            "message_type": "exit_error",
            "code": 1,
            "message": "id 1b7b9a55 not found in repository\ngithub.com/restic/restic/internal.Load",
        }
    )
    proc = subprocess.CompletedProcess(["restic"], 1, "", line + "\n")
    assert restic_verify.failure(proc) == "id 1b7b9a55 not found in repository"
    plain = subprocess.CompletedProcess(["restic"], 1, "", "Fatal: unable to open config file\n")
    assert restic_verify.failure(plain) == "unable to open config file"


def test_the_snapshots_are_listed_once_for_every_step_that_needs_them(lab: Lab, tmp_path: Path) -> None:
    """An empty repository: age and restore both find no snapshot, from one listing."""
    calls = tmp_path / "calls.log"
    logging_restic = tmp_path / "restic"
    logging_restic.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec {RESTIC} "$@"\n')
    logging_restic.chmod(0o755)
    repo = lab.copy("listed-once")
    verifier = verify(lab.params(repo, steps=["open", "age", "restore"], restic=str(logging_restic)))
    assert failed(verifier, "BK-AGE-01").startswith("no snapshot of this set")
    assert failed(verifier, "BK-RST-01").startswith("nothing to restore")
    made = calls.read_text().splitlines()
    assert sum(1 for call in made if call.startswith("snapshots")) == 1, made
    assert sum(1 for call in made if call.startswith("list snapshots")) == 1, made
