"""Throughput of the restore step of `carehard backup verify` against a bare `restic restore` of the same
snapshot, on a local restic repository of at least 1 GiB. Run on demand (never by pytest), as root:

    python bench/backup_verify.py [--size-gb 1.0] [--rounds 3] [--workdir /var/tmp/carehard-bench-backup]

The repository (incompressible data: a few 50-100 MiB files and many small ones) is built once under
--workdir and reused while it holds a snapshot of the requested size. Each round runs, in alternating
order: a bare `restic restore latest --no-lock`, the same with `--verify` (whole command timed), and
`carehard backup verify` (the restore seconds and bytes come from `carehard backup history`). Page
caches are not dropped; one uncounted bare restore warms them first.

Target (issue): carehard restore throughput >= 0.9 x bare restic restore throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MIB = 1 << 20
GIB = 1 << 30
SET_NAME = "BENCH"
TARGET = 0.9
CHUNK = 4 * MIB
VERIFY_MARK = "verifying files in"  # where restic_verify stops its restore clock


def run(cmd: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, check=False
    )
    if proc.returncode not in ok:
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return proc


def timed(cmd: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    run(cmd, env, ok)
    return time.perf_counter() - start


def tree_size(root: Path) -> tuple[int, int]:
    """Files and bytes under root, symlinks left out (as restic_verify counts them)."""
    files = size = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                files += 1
                size += os.path.getsize(path)
    return files, size


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    os.sync()  # write back the last restore's pages now, not during the next measure


class Bench:
    def __init__(self, workdir: Path, size_gb: float) -> None:
        self.workdir = workdir
        self.repo = workdir / "repo"
        self.data = workdir / "data"
        self.password = workdir / "password"
        self.scratch = workdir / "scratch"
        self.wanted = int(size_gb * GIB)
        self.restic = shutil.which("restic") or "/usr/bin/restic"
        self.env = {
            **os.environ,
            "RESTIC_REPOSITORY": str(self.repo),
            "RESTIC_PASSWORD_FILE": str(self.password),
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        }
        self.env.pop("RESTIC_PASSWORD", None)
        self.env.pop("RESTIC_PASSWORD_COMMAND", None)

    # ---- the repository, built once -------------------------------------------------------------------
    def restore_size(self) -> int | None:
        """The restore size of the latest snapshot, None when there is no usable repository."""
        if not (self.repo / "config").exists() or not self.password.exists():
            return None
        proc = run(
            [self.restic, "stats", "--mode", "restore-size", "latest", "--json", "--no-lock"],
            self.env,
            (0, 1),
        )
        if proc.returncode != 0:
            return None
        lines = proc.stdout.strip().splitlines()
        return int(json.loads(lines[-1]).get("total_size") or 0) if lines else None

    def ensure_repository(self) -> int:
        size = self.restore_size()
        if size is not None and size >= self.wanted:
            print(f"reusing repository {self.repo} (latest snapshot {size / MIB:.0f} MiB)", flush=True)
            return size
        print(
            f"building repository {self.repo} with {self.wanted / MIB:.0f} MiB of random data...", flush=True
        )
        shutil.rmtree(self.repo, ignore_errors=True)
        shutil.rmtree(self.data, ignore_errors=True)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.password.write_text(os.urandom(16).hex() + "\n")
        self.password.chmod(0o600)
        started = time.perf_counter()
        self.write_data()
        run([self.restic, "init"], self.env)
        run([self.restic, "backup", str(self.data), "--quiet"], self.env)
        shutil.rmtree(self.data, ignore_errors=True)  # the repository is what the bench reads
        size = self.restore_size() or 0
        print(
            f"built in {time.perf_counter() - started:.0f} s: latest snapshot {size / MIB:.0f} MiB",
            flush=True,
        )
        return size

    def write_data(self) -> None:
        """Three quarters in 50-100 MiB files, the rest in 1 KiB-512 KiB files, 100 to a folder."""
        rng = random.Random(20240601)
        big_budget = self.wanted * 3 // 4
        written = 0
        big = self.data / "big"
        big.mkdir(parents=True)
        index = 0
        while written < big_budget:
            size = min(rng.randint(50 * MIB, 100 * MIB), max(big_budget - written, MIB))
            write_random(big / f"blob-{index:03d}.bin", size)
            written += size
            index += 1
        index = 0
        while written < self.wanted:
            size = min(rng.randint(1024, 512 * 1024), self.wanted - written)
            folder = self.data / "small" / f"d{index // 100:04d}"
            folder.mkdir(parents=True, exist_ok=True)
            write_random(folder / f"f{index:06d}.dat", size)
            written += size
            index += 1

    def repository_bytes(self) -> int:
        return tree_size(self.repo)[1]

    # ---- the measures -------------------------------------------------------------------------------------
    def bare(self, verify: bool) -> tuple[float, float, int]:
        """(whole command seconds, seconds up to restic's "verifying files in" line, bytes restored)."""
        target = Path(tempfile.mkdtemp(prefix="bare-", dir=self.scratch))
        cmd = [self.restic, "restore", "latest", "--target", str(target), "--no-lock"]
        try:
            start = time.perf_counter()
            proc = subprocess.Popen(
                [*cmd, "--verify"] if verify else cmd,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                text=True,
            )
            restored: float | None = None
            assert proc.stdout is not None
            for line in proc.stdout:
                if restored is None and line.startswith(VERIFY_MARK):
                    restored = time.perf_counter()
            if proc.wait() != 0:
                raise SystemExit(f"bare restic restore failed ({proc.returncode})")
            ended = time.perf_counter()
            size = tree_size(target)[1]
        finally:
            remove(target)
        return ended - start, (restored or ended) - start, size

    def inventory(self, path: Path) -> Path:
        import yaml

        document = {
            "all": {
                "hosts": {
                    "restorer": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
                },
                "vars": {
                    "carehard_become": False,
                    "carehard_backup_sets": [
                        {
                            "name": SET_NAME,
                            "repository": str(self.repo),
                            "password_file": str(self.password),
                            "restore_host": "restorer",
                            "paths": ["all"],
                            "rpo": "3650d",
                            "rto": "4h",
                            "retention": {"keep_last": 10},
                            "scratch_dir": str(self.scratch),
                        }
                    ],
                },
            }
        }
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path

    def carehard(self, inventory: Path, state: Path, output: Path) -> tuple[float, float, int]:
        """(restore seconds, restore bytes) from the history, and the wall time of the whole command."""
        env = {**self.env, "CAREHARD_STATE_DIR": str(state)}
        for name in ("RESTIC_REPOSITORY", "RESTIC_PASSWORD_FILE"):
            env.pop(name, None)  # the module gets them from the inventory alone
        verify = [str(BIN / "carehard"), "backup", "verify", "-i", str(inventory), "--set", SET_NAME]
        wall = timed([*verify, "--output", str(output), "--format", "json"], env, ok=(0, 1))
        history = [str(BIN / "carehard"), "backup", "history", "--set", SET_NAME, "--format", "json"]
        checks: list[dict[str, Any]] = json.loads(run([*history, "--last", "1"], env).stdout)
        if not checks or not checks[0].get("restore_seconds") or not checks[0].get("restore_bytes"):
            raise SystemExit(f"carehard recorded no restore: {json.dumps(checks)[:2000]}")
        remove(output)
        leftovers = list(self.scratch.glob("carehard-restore-*"))
        if leftovers:
            raise SystemExit(f"carehard left scratch directories behind: {leftovers}")
        return float(checks[0]["restore_seconds"]), wall, int(checks[0]["restore_bytes"])


def write_random(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        left = size
        while left > 0:
            step = min(CHUNK, left)
            handle.write(os.urandom(step))
            left -= step


def mibs(size: int, seconds: float) -> float:
    return size / MIB / seconds if seconds > 0 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-gb", type=float, default=1.0, help="GiB of data in the repository (1.0)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/var/tmp/carehard-bench-backup"))
    args = parser.parse_args()
    if shutil.which("restic") is None:
        raise SystemExit("restic is not installed")
    bench = Bench(args.workdir.resolve(), args.size_gb)
    snapshot_size = bench.ensure_repository()
    remove(bench.scratch)
    bench.scratch.mkdir(parents=True)
    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=bench.workdir))
    inventory = bench.inventory(run_dir / "inventory.yml")
    on_disk, snapshot_mib = bench.repository_bytes() / MIB, snapshot_size / MIB
    print(f"repository: {on_disk:.1f} MiB on disk, latest snapshot {snapshot_mib:.1f} MiB")
    print(f"{os.cpu_count()} CPU(s), load average at start {os.getloadavg()[0]:.2f}")
    print("warm-up: one bare restore, not counted", flush=True)
    bench.bare(verify=False)

    bare_s: list[float] = []
    verify_s: list[float] = []
    verify_part: list[float] = []
    ours_s: list[float] = []
    wall_s: list[float] = []
    sizes: dict[str, int] = {}
    ratios: list[float] = []

    def bare() -> None:
        seconds, _restored, size = bench.bare(verify=False)
        bare_s.append(seconds)
        sizes["bare"] = size

    def bare_verify() -> None:
        seconds, restored, _size = bench.bare(verify=True)
        verify_s.append(seconds)
        verify_part.append(restored)

    def ours() -> None:
        state = Path(tempfile.mkdtemp(prefix="state-", dir=run_dir))
        seconds, wall, size = bench.carehard(inventory, state, run_dir / "report")
        ours_s.append(seconds)
        wall_s.append(wall)
        sizes["carehard"] = size
        shutil.rmtree(state, ignore_errors=True)

    def row(label: str, bare: float, verify: float, part: float, ours: float, wall: float, load: str) -> str:
        b, o = mibs(sizes["bare"], bare), mibs(sizes["carehard"], ours)
        return (
            f"{label:>6} {bare:8.2f} {b:8.1f} {verify:14.2f} {part:13.2f} {ours:11.2f} {o:8.1f} {o / b:6.3f}"
            f" {wall:16.2f} {load:>6}"
        )

    measures: list[Callable[[], None]] = [bare, bare_verify, ours]
    print(
        f"{'round':>6} {'bare s':>8} {'MiB/s':>8} {'bare+verify s':>14} {'restore part':>13}"
        f" {'carehard s':>11} {'MiB/s':>8} {'ratio':>6} {'carehard wall s':>16} {'load':>6}",
        flush=True,
    )
    try:
        for index in range(args.rounds):
            for measure in measures if index % 2 == 0 else list(reversed(measures)):
                measure()
            ratios.append(mibs(sizes["carehard"], ours_s[-1]) / mibs(sizes["bare"], bare_s[-1]))
            load = f"{os.getloadavg()[0]:.2f}"
            print(
                row(str(index + 1), bare_s[-1], verify_s[-1], verify_part[-1], ours_s[-1], wall_s[-1], load)
            )
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
        remove(bench.scratch)
    med = statistics.median
    bare_med, ours_med, wall_med = med(bare_s), med(ours_s), med(wall_s)
    print(row("median", bare_med, med(verify_s), med(verify_part), ours_med, wall_med, ""))
    b, o, part = mibs(sizes["bare"], bare_med), mibs(sizes["carehard"], ours_med), med(verify_part)
    bare_bytes, ours_bytes = sizes["bare"], sizes["carehard"]
    print(f"bytes restored: bare {bare_bytes} ({bare_bytes / MIB:.1f} MiB), carehard {ours_bytes}")
    verdict = "meets" if o / b >= TARGET else "MISSES"
    print(
        f"carehard restore throughput / bare restic: {o / b:.3f} (from the median times; median of the"
        f" per-round ratios {med(ratios):.3f}) -> {verdict} the target >= {TARGET}"
    )
    print(
        f"carehard restore throughput / restore part of bare `restic restore --verify` (same clock as"
        f" restic_verify): {o / mibs(sizes['bare'], part):.3f}"
    )
    print(
        f"carehard total wall time (check, stats, playbook included): median {wall_med:.2f} s"
        f" = {wall_med / bare_med:.2f} x the bare restore"
    )


if __name__ == "__main__":
    main()
