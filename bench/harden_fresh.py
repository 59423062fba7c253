"""`carehard harden --level 3` of fresh Debian test hosts, timed, and what an auditor's scanner
(Lynis, Debian's package) says of each host before and after. Run on demand, as root:

    python bench/harden_fresh.py [--suites bookworm,trixie]

For each release: one fresh host; Lynis's hardening index; `carehard audit --level 3`;
`carehard harden --yes --level 3` (timed: the figure of issue 19); a second harden (timed; it
must change nothing); `carehard audit --level 3`; Lynis again. Lynis runs from its .deb unpacked
into /root on the host (`apt-get download lynis` on this machine, kept in ~/.cache/carehard/bench),
so the host is not changed by it. Prints one line per step and the counts of each report.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.linux_cycle import inventory_vars  # noqa: E402
from tests.testhosts import harness  # noqa: E402

BIN = Path(sys.executable).parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "carehard" / "bench"
NETWORK = "198.19.251"
LYNIS_DIR = "/root/carehard-bench-lynis"  # not /tmp: harden mounts a fresh tmpfs there


def lynis_deb() -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    found = sorted(CACHE.glob("lynis_*.deb"))
    if not found:
        subprocess.run(["apt-get", "download", "lynis"], cwd=CACHE, check=True, capture_output=True)
        found = sorted(CACHE.glob("lynis_*.deb"))
    return found[-1]


def lynis(host: harness.TestHost, deb: Path) -> dict[str, Any]:
    """Lynis's hardening index, warnings and suggestions for the host, unpacked and run from /root."""
    with deb.open("rb") as package:
        subprocess.run(
            [
                "ssh",
                *host.ssh_options(),
                f"{harness.ADMIN}@{host.address}",
                "cat > /var/tmp/carehard-bench-lynis.deb",
            ],
            stdin=package,
            check=True,
            capture_output=True,
        )
    script = f"""
set -e
rm -rf {LYNIS_DIR}; mkdir -p {LYNIS_DIR}; dpkg-deb -x /var/tmp/carehard-bench-lynis.deb {LYNIS_DIR}
mkdir -p -m 0750 {LYNIS_DIR}/usr/share/lynis/plugins  # Debian's package ships none; Lynis wants the directory
cd {LYNIS_DIR}/usr/share/lynis
rm -f /run/lynis.pid
sh {LYNIS_DIR}/usr/sbin/lynis audit system --quick --no-colors --profile {LYNIS_DIR}/etc/lynis/default.prf \
  --plugindir {LYNIS_DIR}/usr/share/lynis/plugins \
  --report-file {LYNIS_DIR}/report.dat --logfile {LYNIS_DIR}/lynis.log >/dev/null 2>&1 || true
cat {LYNIS_DIR}/report.dat
"""
    report = host.sudo(script).stdout.splitlines()
    values = dict(line.split("=", 1) for line in report if "=" in line and not line.startswith("#"))
    return {
        "index": values.get("hardening_index", "?"),
        "warnings": sum(1 for line in report if line.startswith("warning[]=")),
        "suggestions": sum(1 for line in report if line.startswith("suggestion[]=")),
    }


def carehard(step: str, args: list[str], work: Path, env: dict[str, str]) -> tuple[float, dict[str, int]]:
    out = work / step
    start = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "carehard"), *args, "--output", str(out)], env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if not (out / "report.json").exists():
        raise SystemExit(
            f"{step}: no report (exit {proc.returncode}): {proc.stdout[-2000:]}{proc.stderr[-2000:]}"
        )
    counts: dict[str, int] = {}
    for host in json.loads((out / "report.json").read_text(encoding="utf-8"))["hosts"]:
        for result in host["results"]:
            counts[result["status"]] = counts.get(result["status"], 0) + 1
    return elapsed, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--suites", default="bookworm,trixie")
    args = parser.parse_args()
    suites = args.suites.split(",")
    reason = harness.missing_prerequisites()
    if reason:
        raise SystemExit(reason)
    harness.build_images(suites)
    deb = lynis_deb()
    work = Path(tempfile.mkdtemp(prefix="carehard-bench-harden-"))
    lab = harness.Lab(work / "lab", bridge="chbhbr", network=NETWORK)
    harness.remove_bridge(lab)
    hosts = [harness.TestHost(f"chbh-{suite}", 10 + i, lab, suite) for i, suite in enumerate(suites)]
    harness.boot(hosts)
    env = {**os.environ, "CAREHARD_STATE_DIR": str(work / "state"), "COLUMNS": "200"}
    try:
        for host in hosts:
            # The suite's inventory variables (the test admin's passwordless sudo kept...)
            variables = {**inventory_vars(), "carehard_admin_networks": [f"{NETWORK}.0/24"]}
            inventory = harness.write_inventory(work / f"{host.name}.yml", [host], **variables)
            base = ["-i", str(inventory), "--level", "3"]
            print(f"== {host.name} (Debian {host.suite}); Lynis {deb.name}")
            print(f"Lynis before: {lynis(host, deb)}")
            for step, command in (
                ("audit-fresh", ["audit", *base]),
                ("harden-fresh", ["harden", "--yes", *base]),
                ("harden-again", ["harden", "--yes", *base]),
                ("audit-after", ["audit", *base]),
            ):
                elapsed, counts = carehard(f"{host.name}-{step}", command, work, env)
                print(f"{step:13} {elapsed:7.1f} s  {counts}")
            print(f"Lynis after: {lynis(host, deb)}")
    finally:
        harness.shutdown(hosts)
        harness.remove_bridge(lab)


if __name__ == "__main__":
    main()
