"""Wall time of `carehard audit --limit ONE_HOST` on an inventory of 5,000 hosts, against the same audit
on an inventory of that one host (issue 18, item 9: the inventory is listed once per run, for the
hosts of --limit). Run on demand:

    python bench/inventory_scale.py [--rounds 3] [--hosts 5000] [--only WL-SSH-01]

The one host audited is this machine over the local connection, in check mode and without become:
read-only, it changes nothing. The other hosts have TEST-NET-2 addresses (RFC 5737) that --limit
leaves out: nothing ever connects to them.

Measured (2 shared cores under load, 4 interleaved rounds, medians): before, 56.4 s against 22.7 s
for the one-host inventory (two listings and a YAML pre-parse); after, 33.1 s against 22.1 s (one
listing with --limit; the rest is ansible-playbook reading the inventory itself).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGET = "bench-localhost"


def target_vars() -> dict[str, Any]:
    return {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "carehard_become": False,
    }


def write_inventory(path: Path, count: int) -> Path:
    """`count` hosts: the local target, and count - 1 hosts that --limit leaves out."""
    hosts: dict[str, Any] = {TARGET: target_vars()}
    for n in range(1, count):
        hosts[f"poste-{n:05d}.hopital.example"] = {"ansible_host": f"198.51.100.{n % 250 + 1}"}
    body = {"all": {"children": {"linux_workstations": {"hosts": hosts}}}}
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return path


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1, 3):
        raise SystemExit(f"{cmd} failed ({proc.returncode}): {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hosts", type=int, default=5000)
    parser.add_argument("--only", default="WL-SSH-01")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="carehard-bench-inventory-"))
    env = {**os.environ, "CAREHARD_STATE_DIR": str(work / "state"), "PYTHONWARNINGS": "ignore"}
    big = write_inventory(work / "big.yml", args.hosts)
    one = write_inventory(work / "one.yml", 1)
    listing = [str(BIN / "ansible-inventory"), "-i", str(big), "--list"]
    runs = {
        f"ansible-inventory --list, {args.hosts} hosts": listing,
        f"ansible-inventory --list --limit, {args.hosts} hosts": [*listing, "--limit", TARGET],
        "audit, 1-host inventory": [
            str(BIN / "carehard"), "audit", "-i", str(one), "--only", args.only, "--output", str(work / "r1"),
        ],
        f"audit --limit 1 host, {args.hosts}-host inventory": [
            str(BIN / "carehard"), "audit", "-i", str(big), "--limit", TARGET,
            "--only", args.only, "--output", str(work / "r2"),
        ],
    }  # fmt: skip
    print(f"{args.rounds} rounds, median wall time (s); work dir {work}")
    for label, cmd in runs.items():
        times = [timed(cmd, env) for _ in range(args.rounds)]
        print(f"  {label:<48} {statistics.median(times):6.1f}  (min {min(times):.1f}, max {max(times):.1f})")


if __name__ == "__main__":
    main()
