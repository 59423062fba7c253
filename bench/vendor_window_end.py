"""When a vendor window really ends on each sshd, against the end `carehard vendor open` asked for.
Run on demand, as root:

    python bench/vendor_window_end.py [--suites bullseye,bookworm,trixie] [--minutes 1]

Boots one fresh host per Debian release (Debian 11's in Paris time, so that its local-time key form
differs from UTC), opens one window on all of them, logs the technician in (from this machine, the
declared source) and leaves a session running on each, then, carehard no longer running, tries a
new login and looks at the session every half second. Prints per host: sshd's version, the key's
expiry-time form, and when new logins were refused and the session ended, in seconds against the
requested end (negative: before it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.vendor_client import (  # noqa: E402
    direct_vendor_inventory,
    live_in,
    make_key,
    watch_window_end,
)
from tests.testhosts import harness  # noqa: E402

NETWORK = "198.19.252"
TIME_ZONE = "Europe/Paris"


def carehard(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carehard", *args], capture_output=True, text=True, env=env, check=False
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", default="bullseye,bookworm,trixie")
    parser.add_argument("--minutes", type=int, default=1)
    args = parser.parse_args()
    suites = args.suites.split(",")
    work = Path(tempfile.mkdtemp(prefix="carehard-bench-window-"))
    env = {**os.environ, "CAREHARD_STATE_DIR": str(work / "state"), "COLUMNS": "200"}
    harness.build_images(suites)
    lab = harness.Lab(work / "lab", bridge="chbwbr", network=NETWORK)
    harness.remove_bridge(lab)
    hosts = [harness.TestHost(f"chbw-{suite}", 10 + i, lab, suite) for i, suite in enumerate(suites)]
    harness.boot(hosts)
    try:
        if "bullseye" in suites:
            live_in(hosts[suites.index("bullseye")], TIME_ZONE)
        key = make_key(work / "tech", "acme-tech")
        inventory = direct_vendor_inventory(work / "hosts.yml", hosts, key)
        started = time.monotonic()
        opened = carehard("vendor", "open", "acme", "-i", str(inventory), "--group", "linux_workstations",
                          "--for", f"{args.minutes}m", "--reason", "bench", env=env)  # fmt: skip
        if opened.returncode != 0:
            print(opened.stdout + opened.stderr)
            return 1
        print(f"vendor open: {time.monotonic() - started:.1f} s for {len(hosts)} hosts")
        listed = json.loads(carehard("vendor", "list", "--format", "json", env=env).stdout)
        end = datetime.strptime(listed[0]["ends_at"], "%Y-%m-%dT%H:%M:%S%z").timestamp()
        forms, versions = {}, {}
        for host in hosts:
            said = host.sudo("/usr/sbin/sshd -V 2>&1 | grep -o 'OpenSSH_[^ ,]*' | head -1", check=False)
            versions[host.name] = said.stdout.strip()
            line = host.sudo("cat /etc/ssh/carehard-vendor-keys/acme").stdout
            forms[host.name] = line.split('expiry-time="')[1].split('"')[0]
        refused_at, ended_at = watch_window_end(hosts, "acme", key, end, after=30)
        print(f"requested end: {listed[0]['ends_at']}")
        for host in hosts:
            print(
                f"{host.name:14} {versions[host.name]:16} expiry-time {forms[host.name]:16} "
                f"login refused {_delta(refused_at.get(host.name), end)} "
                f"session ended {_delta(ended_at.get(host.name), end)}"
            )
    finally:
        harness.shutdown(hosts)
        harness.remove_bridge(lab)
    return 0


def _delta(moment: float | None, end: float) -> str:
    return "never (30 s after the end)" if moment is None else f"{moment - end:+6.1f} s"


if __name__ == "__main__":
    sys.exit(main())
