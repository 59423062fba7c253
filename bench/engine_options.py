"""Ansible's engine options against plain `ansible-playbook --check --diff` of carehard's plays
(the same command as bench/audit_linux.py's plain line), wall time and control-node CPU. Run on
demand, as root:

    python bench/engine_options.py [--hosts 10] [--level 2] [--rounds 2] [--only NAME,NAME]
        [--sizes 1,10] [--mitogen DIR] [--per-task] [--facts]

Variants (environment only: the plays and ansible.cfg are not changed): `default` (ansible.cfg:
linear, forks 20, pipelining, ControlPersist 60 s), `free` (ANSIBLE_STRATEGY=free), `forks-N`,
`no-pipelining`, `no-controlpersist`, `mitogen` (--mitogen: the directory holding an unpacked
mitogen release, its strategy plugin used as `mitogen_linear`). Fact gathering is measured alone
(`ansible -m setup`, the plays' subset against `!all,min` and `all`). --per-task: a play of 200
debug tasks, 200 skipped tasks, 100 command tasks on one host, CPU per task, under each variant.
--sizes N,M: also the audit's plays on N, M hosts under each variant.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.audit_linux import (  # noqa: E402
    BIN,
    BRIDGE,
    NETWORK,
    TIMEOUT,
    Measure,
    become_subreaper,
    boot_lean,
    measured,
)
from carehard.catalog import load_catalog  # noqa: E402
from carehard.engine.selection import Selection, select_controls  # noqa: E402
from tests.testhosts import harness  # noqa: E402

FIRST_ADDRESS = 60  # audit_linux.py's hosts are .20 on: both can share the bridge
NO_PERSIST = "-o ControlMaster=no -o ServerAliveInterval=15 -o ServerAliveCountMax=4"
PLAYS_SUBSET = "!all,!min,distribution,platform,virtual,is_chroot,service_mgr"


def variants(mitogen: Path | None) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {
        "default": {},
        "free": {"ANSIBLE_STRATEGY": "free"},
        "forks-2": {"ANSIBLE_FORKS": "2"},
        "forks-5": {"ANSIBLE_FORKS": "5"},
        "forks-10": {"ANSIBLE_FORKS": "10"},
        "forks-20": {"ANSIBLE_FORKS": "20"},
        "no-pipelining": {"ANSIBLE_PIPELINING": "False"},
        "no-controlpersist": {"ANSIBLE_SSH_ARGS": NO_PERSIST},
    }
    if mitogen:
        plugins = mitogen / "ansible_mitogen" / "plugins" / "strategy"
        found["mitogen"] = {"ANSIBLE_STRATEGY_PLUGINS": str(plugins), "ANSIBLE_STRATEGY": "mitogen_linear"}
    return found


def report(label: str, hosts: int, m: Measure) -> None:
    print(
        f"{hosts:>3} host(s) {label:<28} wall {m.wall:7.1f} s  cpu {m.cpu:7.1f} s  "
        f"cpu/host {m.cpu / hosts:6.1f} s  tree peak {m.peak_tree_mb:5.0f} MB  ({m.load})",
        flush=True,
    )


def per_task_playbook(path: Path) -> Path:
    """Three plays on all hosts: 200 debug tasks, 200 skipped tasks, 100 command tasks."""
    plays = [
        {
            "name": name,
            "hosts": "all",
            "gather_facts": False,
            "tasks": [{"name": f"{name} {i}", **task} for i in range(count)],
        }
        for name, count, task in (
            ("debug", 200, {"ansible.builtin.debug": {"msg": "x"}}),
            ("skipped", 200, {"ansible.builtin.debug": {"msg": "x"}, "when": False}),
            ("command", 100, {"ansible.builtin.command": "true", "changed_when": False}),
        )
    ]
    path.write_text(yaml.safe_dump(plays, sort_keys=False), encoding="utf-8")
    return path


def per_task(inventory: Path, work: Path, env: dict[str, str], name: str) -> None:
    """Each kind of task alone under one variant, CPU per task (the empty play's start-up taken off)."""
    plays = yaml.safe_load(per_task_playbook(work / "per-task.yml").read_text(encoding="utf-8"))
    empty = work / "empty.yml"
    empty.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": []}]), encoding="utf-8")
    base = measured([str(BIN / "ansible-playbook"), "-i", str(inventory), str(empty)], env, ok=(0,))
    report(f"{name}: empty play", 1, base)
    for play in plays:
        book = work / f"per-task-{play['name']}.yml"
        book.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
        m = measured([str(BIN / "ansible-playbook"), "-i", str(inventory), str(book)], env, ok=(0,))
        tasks = len(play["tasks"])
        report(f"{name}: {tasks} {play['name']} tasks", 1, m)
        print(
            f"    {name}: {play['name']} {(m.cpu - base.cpu) / tasks * 1000:.0f} ms cpu/task, "
            f"{(m.wall - base.wall) / tasks * 1000:.0f} ms wall/task (start-up taken off)",
            flush=True,
        )


def facts(inventory: Path, hosts: int, env: dict[str, str], rounds: int) -> None:
    for _ in range(rounds):
        for label, subset in (("plays' subset", PLAYS_SUBSET), ("!all,min", "!all,min"), ("all", "all")):
            cmd = [str(BIN / "ansible"), "all", "-i", str(inventory), "-m", "ansible.builtin.setup"]
            m = measured([*cmd, "-a", f"gather_subset={subset}", "-b"], env, ok=(0,))
            report(f"setup {label}", hosts, m)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--level", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default="", help="comma list of variants (default: all; none: no variant)")
    parser.add_argument("--sizes", default="", help="host counts to audit under each variant (default: none)")
    parser.add_argument("--mitogen", type=Path)
    parser.add_argument("--per-task", action="store_true")
    parser.add_argument("--facts", action="store_true")
    args = parser.parse_args()
    reason = harness.missing_prerequisites()
    if reason:
        raise SystemExit(reason)
    harness.build_images(["bookworm"])
    work = Path(tempfile.mkdtemp(prefix="carehard-bench-engine-"))
    lab = harness.Lab(work / "lab", bridge=BRIDGE, network=NETWORK)
    hosts = [harness.TestHost(f"chb7e-{i}", FIRST_ADDRESS + i, lab) for i in range(args.hosts)]
    boot_lean(hosts)
    become_subreaper()
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "PYTHONPATH": str(ROOT)}
    env["ANSIBLE_TIMEOUT"] = TIMEOUT
    tags = ",".join(c.id for c in select_controls(load_catalog(), Selection(level=args.level)))
    extra = json.dumps({"carehard_mode": "audit", "carehard_level": args.level})
    chosen = variants(args.mitogen)
    names = [n for n in args.only.split(",") if n != "none"] if args.only else list(chosen)
    sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else []  # none: no audit run
    try:
        inventories = {}
        for size in sorted({1, *sizes}):
            inventories[size] = harness.write_inventory(
                work / f"hosts-{size}.yml",
                hosts[:size],
                workstation_linux_apt_update_cache=False,
                carehard_admin_networks=[f"{NETWORK}.0/24"],
            )
            ping = [str(BIN / "ansible"), "all", "-i", str(inventories[size]), "-m", "ansible.builtin.ping"]
            measured(ping, env, ok=(0,))  # known_hosts, page cache
        if args.per_task:
            for _ in range(args.rounds):
                for name in names:
                    try:
                        per_task(inventories[1], work, {**env, **chosen[name]}, name)
                    except SystemExit as failed:  # one variant failing (mitogen...) is a finding
                        print(f"  {name}: FAILED {str(failed.code)[-1500:]}", flush=True)
        if args.facts:
            facts(inventories[max(sizes, default=1)], max(sizes, default=1), env, args.rounds)
        for size in sizes:
            plain = [str(BIN / "ansible-playbook"), "-i", str(inventories[size]), "--check", "--diff"]
            plain += ["--tags", tags, "-e", extra, str(ROOT / "playbooks" / "site.yml")]
            for _ in range(args.rounds):
                for name in names:
                    try:
                        report(name, size, measured(plain, {**env, **chosen[name]}))
                    except SystemExit as failed:
                        print(f"{size:>3} host(s) {name}: FAILED {str(failed.code)[-1500:]}", flush=True)
    finally:
        harness.shutdown(hosts)


if __name__ == "__main__":
    main()
