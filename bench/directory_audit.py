"""Time `carehard audit --only 'AD-*'` on a directory of 10,000 users and 2,000 computers (issue 24):
a Samba AD DC on a test host, provisioned and seeded by bench/seed_directory.py, read over LDAPS
with the read-only account. Run on demand, as root:

    python bench/directory_audit.py [--rounds 3] [--users 10000] [--computers 2000]

One line per run: wall time, CPU of carehard and its children on the control node (user + system,
from getrusage(RUSAGE_CHILDREN) around the run), their peak RSS (the largest process, from wait4),
and the exit code (1: controls failed, as the seeded directory means). The first run is a warm-up
(imports, page cache) and is printed apart. No target is asserted here.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.seed_directory import arguments, provisioned_dc, seed_directory  # noqa: E402
from tests.integration import samba_dc  # noqa: E402

BIN = Path(sys.executable).parent


def inventory(path: Path, dc: samba_dc.SambaDC, password_file: Path) -> Path:
    """A site's inventory declaring the directory (CONTRACT.md): LDAPS, the reader, its password file."""
    body = {
        "all": {
            "children": {
                "directories": {
                    "hosts": {
                        dc.domain: {
                            "carehard_directory_domain": dc.domain,
                            "carehard_directory_server": dc.address,
                            "carehard_directory_auth": "ldaps",
                            "carehard_directory_user": dc.reader_user,
                            "carehard_directory_password_file": str(password_file),
                            "carehard_directory_ca_file": str(dc.ca_file),
                        }
                    }
                }
            }
        }
    }
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return path


def measured(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """(wall s, CPU s of the command and its descendants, peak RSS MB, exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(
            f"carehard audit failed ({proc.returncode}): {output[-3000:].decode(errors='replace')}"
        )
    return wall, cpu, usage.ru_maxrss / 1024, proc.returncode


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with provisioned_dc(args) as (dc, _, work, provisioned):
        start = time.perf_counter()
        seen = seed_directory(dc, args.users, args.computers)
        print(
            f"DC provisioned in {provisioned:.1f} s, seeded in {time.perf_counter() - start:.1f} s: "
            f"{seen.users} users, {seen.computers} computers, {seen.groups} groups",
            flush=True,
        )
        password_file = work / "reader.pass"
        password_file.write_text(dc.reader_password + "\n", encoding="utf-8")
        password_file.chmod(0o600)
        cmd = [
            str(BIN / "carehard"),
            "audit",
            "-i",
            str(inventory(work / "hosts.yml", dc, password_file)),
            "--only",
            "AD-*",
            "--output",
            str(work / "report"),
            "--format",
            "json",
        ]
        env = {
            **os.environ,
            "CAREHARD_STATE_DIR": str(work / "state"),
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        }
        usn = dc.highest_committed_usn()
        walls = []
        for run in range(args.rounds + 1):
            wall, cpu, rss, code = measured(cmd, env)
            label = "warm-up" if run == 0 else f"run {run}"
            print(
                f"{label:>7}: wall {wall:6.2f} s  control-node CPU {cpu:6.2f} s  peak RSS {rss:6.0f} MB  "
                f"exit {code}  ({seen.users} users, {seen.computers} computers)",
                flush=True,
            )
            if run:
                walls.append(wall)
        print(f"median wall {statistics.median(walls):.2f} s over {len(walls)} runs", flush=True)
        if dc.highest_committed_usn() != usn:
            print(
                f"WARNING: highestCommittedUSN moved during the audits: {usn} -> {dc.highest_committed_usn()}"
            )


if __name__ == "__main__":
    main()
