"""Wall time of the fleet facts collection (`carehard facts`) on 1 and N test hosts, and of
`carehard exposure scan` from one test host over N others x 20 TCP ports. Run on demand, as root:

    python bench/facts_scale.py [--rounds 3] [--hosts 10] [--ports 21,22,...]

N + 1 Debian test hosts boot (tests/testhosts): the first N are the fleet, the last one the vantage
host of the scan. Times are the median of --rounds, after one warm-up run (host keys, page cache,
fact cache). Issue 9 asks for the figures in the closing note; no target is asserted here.
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

from tests.testhosts import harness  # noqa: E402

BIN = Path(sys.executable).parent
FIRST_ADDRESS = 200  # bench/audit_linux.py uses 220 and up, the integration tests start at 2
# 20 TCP ports: the sensitive services of compliance_facts plus SSH, HTTP and HTTPS; some open on
# a test host (22), most closed.
PORTS = (
    21,
    22,
    23,
    80,
    135,
    139,
    443,
    445,
    1433,
    1521,
    2375,
    3306,
    3389,
    5432,
    5900,
    5938,
    6379,
    8040,
    9200,
    27017,
)


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):  # 1: a control failed on a fresh test host, as expected
        raise SystemExit(f"{cmd[1:3]} failed ({proc.returncode}): {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed


def median_of(cmd: list[str], env: dict[str, str], rounds: int) -> tuple[float, list[float]]:
    timed(cmd, env)  # warm-up
    times = [timed(cmd, env) for _ in range(rounds)]
    return statistics.median(times), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hosts", type=int, default=10, help="N: the fleet size of the large runs")
    parser.add_argument("--ports", default=",".join(map(str, PORTS)), help="the TCP ports the scan probes")
    args = parser.parse_args()
    ports = [p for p in args.ports.split(",") if p.strip()]
    reason = harness.missing_prerequisites()
    if reason:
        raise SystemExit(reason)
    harness.build_images(["bookworm"])
    work = Path(tempfile.mkdtemp(prefix="carehard-bench-facts-"))
    lab = harness.Lab(work)
    fleet = [harness.TestHost(f"chf-{i}", FIRST_ADDRESS + i, lab) for i in range(args.hosts)]
    vantage = harness.TestHost("chf-vantage", FIRST_ADDRESS + args.hosts, lab)
    harness.boot([*fleet, vantage])
    env = {
        **os.environ,
        "CAREHARD_STATE_DIR": str(work / "state"),
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
    }
    facts: dict[int, float] = {}
    try:
        for size in sorted({1, args.hosts}):
            inventory = harness.write_inventory(work / f"hosts-{size}.yml", fleet[:size])
            cmd = [
                str(BIN / "carehard"),
                "facts",
                "-i",
                str(inventory),
                "--format",
                "csv",
                "--output",
                str(work / f"facts-{size}.csv"),
            ]
            facts[size], rounds = median_of(cmd, env, args.rounds)
            shown = [round(t, 2) for t in rounds]
            print(f"carehard facts, {size:>3} host(s): {facts[size]:6.2f} s  (rounds {shown})", flush=True)
        inventory = harness.write_inventory(work / "hosts-scan.yml", [*fleet, vantage])
        cmd = [
            str(BIN / "carehard"),
            "exposure",
            "scan",
            "-i",
            str(inventory),
            "--from",
            vantage.name,
            "--ports",
            ",".join(ports),
            "--output",
            str(work / "scan-report"),
        ]
        scan, rounds = median_of(cmd, env, args.rounds)
        print(
            f"carehard exposure scan, {args.hosts} host(s) x {len(ports)} ports from {vantage.name}: "
            f"{scan:6.2f} s  (rounds {[round(t, 2) for t in rounds]})",
            flush=True,
        )
    finally:
        harness.shutdown([*fleet, vantage])
    if 1 in facts and args.hosts != 1:
        print(f"carehard facts, {args.hosts} hosts / 1 host: {facts[args.hosts] / facts[1]:.2f}x")


if __name__ == "__main__":
    main()
