"""carehard audit vs the same playbook under plain `ansible-playbook --check --diff`, on one test host.

Run on demand, as root:  python bench/audit_overhead.py [--rounds 3]
Prints the median wall time of each and their ratio.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from carehard.catalog import load_catalog  # noqa: E402
from carehard.selection import Selection, select_controls  # noqa: E402
from tests.testhosts import harness  # noqa: E402

BIN = Path(sys.executable).parent


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    reason = harness.missing_prerequisites()
    if reason:
        raise SystemExit(reason)
    harness.build_image()
    work = Path(tempfile.mkdtemp(prefix="carehard-bench-"))
    host = harness.TestHost("chb-overhead", 240, work / "known_hosts")
    harness.boot([host])
    try:
        inventory = harness.write_inventory(work / "hosts.yml", [host])
        tags = ",".join(c.id for c in select_controls(load_catalog(), Selection(level=3)))
        env = {
            **os.environ,
            "CAREHARD_STATE_DIR": str(work / "state"),
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        }
        carehard = [
            str(BIN / "carehard"),
            "audit",
            "-i",
            str(inventory),
            "--level",
            "3",
            "--output",
            str(work / "r"),
        ]
        plain = [
            str(BIN / "ansible-playbook"),
            "-i",
            str(inventory),
            "--check",
            "--diff",
            "--tags",
            tags,
            "-e",
            "carehard_mode=audit",
            str(ROOT / "playbooks" / "site.yml"),
        ]
        timed(plain, env)  # warm-up: SSH host key, page cache
        ours, theirs = [], []
        for _ in range(args.rounds):
            theirs.append(timed(plain, env))
            ours.append(timed(carehard, env))
        a, b = statistics.median(ours), statistics.median(theirs)
        print(f"plain ansible-playbook --check: median {b:.2f} s  {sorted(round(t, 2) for t in theirs)}")
        print(f"carehard audit:                 median {a:.2f} s  {sorted(round(t, 2) for t in ours)}")
        print(f"ratio carehard / plain: {a / b:.3f}")
    finally:
        harness.shutdown([host])


if __name__ == "__main__":
    main()
