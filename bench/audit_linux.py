"""`carehard audit` of fresh Debian test hosts against plain `ansible-playbook --check --diff` of
the same plays, with the control node's CPU and memory beside every wall time. Run on demand, as root:

    python bench/audit_linux.py [--sizes 1,10,20] [--level 2] [--rounds 2] [--harden]

The largest size of fresh bookworm hosts boots once (plus one more for --harden); each size then
runs the two commands `--rounds` times, one line each: wall time, the control node's CPU (user+sys
of the command and every process under it, ssh ControlPersist masters included: this process is
their subreaper, so they are reaped here and counted by getrusage), CPU per host, the largest RSS
of one process (maxrss) and the peak of the process tree's summed RSS (sampled from /proc every
0.2 s), and the load average. Then the size's medians: carehard / plain, and wall against one host;
and the tasks per host read back from the runner's job events against the controls per host.
Targets (issue 25): 1 host <= 20 s wall and <= 10 s CPU; carehard <= 1.05 x plain; 20 hosts <= 4 x 1.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from carehard.catalog import load_catalog  # noqa: E402
from carehard.engine import processes  # noqa: E402
from carehard.engine.selection import Selection, select_controls  # noqa: E402
from tests.integration.linux_cycle import inventory_vars  # noqa: E402
from tests.testhosts import harness  # noqa: E402

BIN = Path(sys.executable).parent
NETWORK = "198.19.7"
BRIDGE = "chbr7"
FIRST_ADDRESS = 20
PR_SET_CHILD_SUBREAPER = 36
# SSH connect timeout for both commands: a busy machine's test hosts answer the banner late (10 s
# by default gave "timed out during banner exchange" at load 20).
TIMEOUT = "60"
PAGE = os.sysconf("SC_PAGE_SIZE")
# A test host takes ~7 inotify instances (systemd 5, dbus, logind) of the 128 the kernel gives root
# by default: 17 hosts at most. Without dbus and logind (nothing an audit reads), 5: 25 hosts.
LEAN_UNITS = "dbus.service dbus.socket systemd-logind.service"
TASK_EVENTS = ("runner_on_ok", "runner_on_failed", "runner_on_skipped", "runner_on_unreachable")


@dataclass
class Measure:
    wall: float  # seconds
    cpu: float  # user + sys seconds of the command and everything under it
    maxrss_mb: float  # the largest RSS of any one process of the command
    peak_tree_mb: float  # the peak of the summed RSS of all its processes, sampled
    load: str  # the 1, 5, 15 min load averages when it ended


def load_average() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def become_subreaper() -> None:
    """Orphans of the commands (ssh masters, ansible's setsid workers) come to this process, so
    their CPU is counted in RUSAGE_CHILDREN once they are reaped, and the tree walk sees them."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def children(pid: int) -> list[int]:
    """The children of every thread of `pid` (/proc/PID/task/TID/children: only this tree is read,
    not all of /proc, so sampling stays cheap on a busy machine)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as listing:
                found.extend(int(child) for child in listing.read().split())
        except OSError:
            continue
    return found


def tree_rss_bytes(root: int) -> int:
    """The summed RSS of every process under `root` (not `root` itself)."""
    total, todo = 0, children(root)
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
                total += int(statm.read().split()[1]) * PAGE  # resident pages
        except OSError:
            continue
        todo.extend(children(pid))
    return total


class TreeSampler(threading.Thread):
    """The peak of tree_rss_bytes(this process), every 0.2 s until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self._halt = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self._halt.wait(0.2):
            self.peak = max(self.peak, tree_rss_bytes(me))

    def finish(self) -> int:
        self._halt.set()
        self.join()
        return self.peak


def reap_orphans(deadline: float = 15.0) -> None:
    """Wait for every child this subreaper was given (stopped ssh masters...), so their CPU counts."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


def measured(cmd: list[str], env: dict[str, str], ok: tuple[int, ...] = (0, 1)) -> Measure:
    """Run `cmd`, its processes marked (carehard's own mark: processes.stop finds them all, the ssh
    masters of a plain ansible-playbook too), and measure it."""
    mark = f"bench-{os.getpid()}-{time.monotonic_ns()}"
    control_dir = tempfile.mkdtemp(prefix="chb-ssh-", dir="/tmp")  # a fresh ControlPersist each run
    env = {**env, processes.MARK_VARIABLE: mark, "ANSIBLE_SSH_CONTROL_PATH_DIR": control_dir}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler = TreeSampler()
    sampler.start()
    start = time.perf_counter()
    with open(os.devnull, "wb") as null, tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdin=null, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        processes.stop(mark, grace=5.0)  # what outlived it (a plain run's ssh masters)
        reap_orphans()
        peak = sampler.finish()
        if proc.returncode not in ok:
            log.seek(0)
            raise SystemExit(f"{' '.join(cmd[:2])} failed ({proc.returncode}): {log.read()[-3000:]!r}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measure(wall, cpu, usage.ru_maxrss / 1024, peak / 2**20, load_average())


def line(label: str, size: int, m: Measure) -> None:
    print(
        f"{size:>3} host(s) {label:<24} wall {m.wall:7.1f} s  cpu {m.cpu:7.1f} s  "
        f"cpu/host {m.cpu / size:6.1f} s  maxrss {m.maxrss_mb:6.0f} MB  tree peak {m.peak_tree_mb:6.0f} MB  "
        f"({m.load})",
        flush=True,
    )


def new_run_dirs(state: Path, known: set[Path]) -> list[Path]:
    runs = state / "runs"
    return sorted(p for p in runs.iterdir() if p.is_dir() and p not in known) if runs.is_dir() else []


def task_counts(artifacts: list[Path]) -> tuple[dict[str, Counter[str]], Counter[str]]:
    """Task results per host, and of all hosts by the task file that holds the task (role/file, to
    see where an audit's tasks still are), from the runner's job events in one pass (a loop task
    is one runner_on_* event)."""
    per_host: dict[str, Counter[str]] = {}
    files: Counter[str] = Counter()
    for directory in artifacts:
        for path in directory.glob("artifacts/*/job_events/*.json"):
            event = json.loads(path.read_text(encoding="utf-8"))
            if event.get("event") in TASK_EVENTS:
                data = event.get("event_data", {})
                per_host.setdefault(data.get("host", "?"), Counter())[
                    event["event"].removeprefix("runner_on_")
                ] += 1
                where = str(data.get("task_path", "?")).rsplit(":", 1)[0]
                files["/".join(Path(where).parts[-3:]).replace("/tasks/", "/")] += 1
    return per_host, files


def boot_lean(hosts: list[harness.TestHost]) -> None:
    """Boot the bench's hosts with LEAN_UNITS masked, saying so."""
    os.environ["CAREHARD_TESTHOST_MASK"] = LEAN_UNITS
    cores = os.cpu_count()
    masked = f"{LEAN_UNITS} masked"
    print(f"booting {len(hosts)} bookworm hosts, {masked} ({load_average()}; {cores} cores)", flush=True)
    harness.boot(hosts)


def report_counts(report: Path) -> tuple[dict[str, int], Counter[str]]:
    """Results per host and the statuses of all of them, from a report.json."""
    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    per_host = {h["name"]: len(h["results"]) for h in data["hosts"]}
    statuses = Counter(r["status"] for h in data["hosts"] for r in h["results"])
    return per_host, statuses


def print_tasks(size: int, tasks: dict[str, Counter[str]], controls: dict[str, int]) -> None:
    if not tasks or not controls:
        print(f"{size:>3} host(s) tasks: no job events or report found", flush=True)
        return
    n = statistics.mean(sum(c.values()) for c in tasks.values())
    m = statistics.mean(controls.values())
    kinds = sum(tasks.values(), Counter())
    detail = ", ".join(f"{k} {v / len(tasks):.0f}" for k, v in sorted(kinds.items()))
    print(
        f"{size:>3} host(s) tasks per host {n:.0f}, controls {m:.0f}, tasks per control {n / m:.2f} "
        f"(per host: {detail})",
        flush=True,
    )


def audit_size(
    size: int, hosts: list[harness.TestHost], args: argparse.Namespace, work: Path, env: dict[str, str]
) -> tuple[list[Measure], list[Measure]]:
    inventory = harness.write_inventory(
        work / f"hosts-{size}.yml",
        hosts[:size],
        workstation_linux_apt_update_cache=False,
        carehard_admin_networks=[f"{NETWORK}.0/24"],
    )
    tags = ",".join(c.id for c in select_controls(load_catalog(), Selection(level=args.level)))
    out = work / f"report-{size}"
    ours_cmd = [str(BIN / "carehard"), "audit", "-i", str(inventory), "--level", str(args.level)]
    ours_cmd += ["--output", str(out)]
    extra = json.dumps({"carehard_mode": "audit", "carehard_level": args.level})
    plain_cmd = [str(BIN / "ansible-playbook"), "-i", str(inventory), "--check", "--diff"]
    plain_cmd += ["--tags", tags, "-e", extra, str(ROOT / "playbooks" / "site.yml")]
    # Warm-up: each host's first login (known_hosts), the page cache; a ping, not a whole play.
    measured([str(BIN / "ansible"), "all", "-i", str(inventory), "-m", "ansible.builtin.ping"], env, ok=(0,))
    ours: list[Measure] = []
    plain: list[Measure] = []
    state = Path(env["CAREHARD_STATE_DIR"])
    tasks: dict[str, Counter[str]] = {}
    files: Counter[str] = Counter()
    for number in range(1, args.rounds + 1):
        plain.append(measured(plain_cmd, env))
        line(f"plain round {number}", size, plain[-1])
        known = set(new_run_dirs(state, set()))
        ours.append(measured(ours_cmd, env))
        line(f"carehard round {number}", size, ours[-1])
        runs = new_run_dirs(state, known)  # this round's run only
        tasks, files = task_counts(runs)
    try:
        print_tasks(size, tasks, report_counts(out / "report.json")[0])
        top = ", ".join(f"{name} {n / size:.0f}" for name, n in files.most_common(15))
        print(f"{size:>3} host(s) tasks per host by file: {top}", flush=True)
    except (OSError, ValueError, KeyError) as error:  # a figure missing must not end a long run
        print(f"{size:>3} host(s) tasks: could not count ({error!r})", flush=True)
    return ours, plain


def median(values: list[Measure], attribute: str) -> float:
    return float(statistics.median(getattr(m, attribute) for m in values))


def summary(size: int, ours: list[Measure], plain: list[Measure], one_host: float | None) -> None:
    wall, cpu = median(ours, "wall"), median(ours, "cpu")
    versus = f"  {wall / one_host:.2f} x the 1-host wall" if one_host else ""
    print(
        f"{size:>3} host(s) MEDIAN carehard wall {wall:.1f} s cpu {cpu:.1f} s (cpu/host {cpu / size:.1f} s), "
        f"plain wall {median(plain, 'wall'):.1f} s cpu {median(plain, 'cpu'):.1f} s; "
        f"carehard/plain wall {wall / median(plain, 'wall'):.3f} "
        f"cpu {cpu / median(plain, 'cpu'):.3f}{versus}",
        flush=True,
    )


def harden(host: harness.TestHost, work: Path, env: dict[str, str]) -> None:
    """`carehard harden --yes --level 3` of one fresh host, twice: the second must change nothing."""
    variables = {**inventory_vars(), "carehard_admin_networks": [f"{NETWORK}.0/24"]}
    inventory = harness.write_inventory(work / "harden.yml", [host], **variables)
    for step in ("harden fresh", "harden again"):
        out = work / step.replace(" ", "-")
        cmd = [str(BIN / "carehard"), "harden", "--yes", "-i", str(inventory), "--level", "3"]
        m = measured([*cmd, "--output", str(out), "--format", "json"], env, ok=(0, 1, 3))
        line(step, 1, m)
        _, statuses = report_counts(out / "report.json")
        print(f"  1 host(s) {step} statuses: {dict(sorted(statuses.items()))}", flush=True)


def extrapolate(cpu_per_host: float) -> None:
    total = cpu_per_host * 1000
    hours = ", ".join(f"{total / cores / 3600:.1f} h on {cores} cores" for cores in (2, 16))
    print(
        f"1000 hosts: {cpu_per_host:.1f} s cpu/host x 1000 = {total / 3600:.1f} CPU-hours -> {hours}. "
        "Assumes the control node's CPU is the bound (the hosts answer in parallel, forks >= cores, "
        "the network and the targets never wait on), and CPU per host stays flat with fleet size.",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1,10,20")
    parser.add_argument("--level", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--harden", action="store_true")
    args = parser.parse_args()
    sizes = sorted(int(n) for n in args.sizes.split(","))
    reason = harness.missing_prerequisites()
    if reason:
        raise SystemExit(reason)
    harness.build_images(["bookworm"])
    work = Path(tempfile.mkdtemp(prefix="carehard-bench-audit-"))
    lab = harness.Lab(work / "lab", bridge=BRIDGE, network=NETWORK)
    count = max(sizes) + (1 if args.harden else 0)
    hosts = [harness.TestHost(f"chb7-{i}", FIRST_ADDRESS + i, lab) for i in range(count)]
    boot_lean(hosts)
    become_subreaper()  # after the boot: the containers' launchers stay init's
    env = {
        **os.environ,
        "CAREHARD_STATE_DIR": str(work / "state"),
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
    }
    env["PYTHONPATH"] = str(ROOT)  # this tree's carehard, whatever the venv's editable install points at
    env["ANSIBLE_TIMEOUT"] = TIMEOUT
    try:
        one_host: float | None = None
        cpu_per_host = 0.0
        for size in sizes:
            ours, plain = audit_size(size, hosts, args, work, env)
            one_host = median(ours, "wall") if size == 1 else one_host
            summary(size, ours, plain, one_host if size != 1 else None)
            cpu_per_host = median(ours, "cpu") / size
        if args.harden:
            harden(hosts[-1], work, env)
        extrapolate(cpu_per_host)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave hosts up
        harness.shutdown(hosts)
        harness.remove_bridge(lab)


if __name__ == "__main__":
    main()
