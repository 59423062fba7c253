"""The Linux cycle on hosts of its own, for some controls only: the loop of a control's author.

    python -m tests.integration.dev_cycle [--only WL-INT-01,WL-MAC-01] [--suites bookworm,trixie] [--keep]

Boots one fresh host per Debian release (on a bridge and /24 of their own, like own_hosts), runs
the dirty/ scripts, then audit, harden, audit, harden at level 3 with `--only`, and prints each
control's status at each step with the evidence of the last audit. It flags what the session's
test_wl_controls would refuse: a control that does not go fail -> fixed -> pass (dirty/ and
expect/ say otherwise) and a second harden that changes anything. With --keep, the hosts stay up
(to be looked at) until the file it names is removed. Not part of the suite.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.clirun import carehard, load_report
from tests.integration.linux_cycle import dirty, parallel
from tests.integration.own_hosts import harden_inventory, own_hosts

STEPS = (("audit1", "audit"), ("harden1", "harden"), ("audit2", "audit"), ("harden2", "harden"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated control IDs (default: all)")
    parser.add_argument("--suites", default="bookworm,trixie")
    parser.add_argument("--level", default="3")
    parser.add_argument("--keep", action="store_true", help="leave the hosts up until a file is removed")
    args = parser.parse_args()
    suites = tuple(args.suites.split(","))
    work = Path(tempfile.mkdtemp(prefix="carehard-dev-cycle-"))
    with own_hosts(work, "dev", len(suites), suites) as hosts:
        parallel({h.name: h for h in hosts}, dirty)
        inventory = harden_inventory(work / "hosts.yml", hosts)
        reports = {}
        for step, command in STEPS:
            extra = ["--yes"] if command == "harden" else []
            out = work / step
            selection = ["--level", args.level, *(["--only", args.only] if args.only else [])]
            # A state directory of its own: another dev cycle's harden holds the default one's lock.
            env = {"CAREHARD_STATE_DIR": str(work / "state")}
            proc = carehard(command, *extra, *selection, "-i", inventory, "--output", out, env=env)
            if not (out / "report.json").exists():
                print(f"{step}: no report (exit {proc.returncode})\n{proc.stdout}\n{proc.stderr}")
                return 1
            print(f"{step}: exit {proc.returncode}")
            reports[step] = load_report(out)
        problems = 0
        for host in hosts:
            print(f"\n== {host.name} ({host.suite})")
            rows = {step: _results(reports[step], host.name) for step, _ in STEPS}
            for control in sorted(rows["audit1"]):
                seq = [rows[step].get(control, {}).get("status", "-") for step, _ in STEPS]
                flag = ""
                if seq[3] == "fixed" or seq[2] not in ("pass", "not_applicable"):
                    flag = "  <-- not idempotent or not passing after harden"
                    problems += 1
                print(f"{control:12} {' -> '.join(seq)}{flag}")
                print(f"    audit1: {str(rows['audit1'][control].get('evidence'))[:400]}")
                print(f"    audit2: {str(rows['audit2'].get(control, {}).get('evidence'))[:400]}")
        print(f"\nreports and inventory: {work}")
        if args.keep:
            hold = work / "keep"
            hold.touch()
            print(f"hosts up until you remove {hold}", flush=True)
            while hold.exists():
                time.sleep(5)
    return 1 if problems else 0


def _results(report: dict[str, Any], host: str) -> dict[str, dict[str, Any]]:
    for h in report["hosts"]:
        if h["name"] == host:
            return {r["control"]: r for r in h["results"]}
    return {}


if __name__ == "__main__":
    sys.exit(main())
