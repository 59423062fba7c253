"""Wall time of `carehard audit` (all levels) on 1, 5 and 10 test hosts, against the same plays
under plain `ansible-playbook --check --diff`. Run on demand, as root:

    python bench/audit_linux.py [--rounds 3] [--sizes 1,5,10]

Targets (issue 3): carehard <= 1.05 x plain ansible-playbook; 10 hosts <= 4 x one host.
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
from carehard.engine.selection import Selection, select_controls  # noqa: E402
from tests.testhosts import harness  # noqa: E402

BIN = Path(sys.executable).parent
FIRST_ADDRESS = 220


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
    parser.add_argument("--sizes", default="1,5,10")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    reason = harness.missing_prerequisites()
    if reason:
        raise SystemExit(reason)
    harness.build_images(["bookworm"])
    work = Path(tempfile.mkdtemp(prefix="carehard-bench-"))
    lab = harness.Lab(work)
    hosts = [harness.TestHost(f"chb-{i}", FIRST_ADDRESS + i, lab) for i in range(max(sizes))]
    harness.boot(hosts)
    tags = ",".join(c.id for c in select_controls(load_catalog(), Selection(level=3)))
    env = {
        **os.environ,
        "CAREHARD_STATE_DIR": str(work / "state"),
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
    }
    medians: dict[int, tuple[float, float]] = {}
    try:
        for size in sizes:
            inventory = harness.write_inventory(
                work / f"hosts-{size}.yml",
                hosts[:size],
                workstation_linux_apt_update_cache=False,
                carehard_admin_networks=["198.18.0.0/24"],
            )
            ours_cmd = [
                str(BIN / "carehard"),
                "audit",
                "-i",
                str(inventory),
                "--level",
                "3",
                "--output",
                str(work / "report"),
            ]
            plain_cmd = [
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
            timed(plain_cmd, env)  # warm-up: host keys, page cache
            ours, plain = [], []
            for _ in range(args.rounds):
                plain.append(timed(plain_cmd, env))
                ours.append(timed(ours_cmd, env))
            medians[size] = (statistics.median(ours), statistics.median(plain))
            a, b = medians[size]
            print(
                f"{size:>3} host(s): carehard audit {a:6.2f} s  plain ansible-playbook {b:6.2f} s  "
                f"ratio {a / b:.3f}  (rounds {[round(t, 2) for t in ours]} / {[round(t, 2) for t in plain]})",
                flush=True,
            )
    finally:
        harness.shutdown(hosts)
    if 1 in medians:
        for size in sizes:
            if size != 1:
                print(f"{size} hosts / 1 host (carehard): {medians[size][0] / medians[1][0]:.2f}x")


if __name__ == "__main__":
    main()
