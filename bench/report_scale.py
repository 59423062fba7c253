"""Report rendering at fleet scale: a run of 1,000 hosts x 100 controls saved to a History, loaded back,
turned into the report dict and rendered in every registered format. Run on demand (never by pytest):

    python bench/report_scale.py [--hosts 1000] [--controls 100] [--rounds 3] [--no-tracemalloc]

Synthetic results (mixed statuses, evidence of about 200 characters, partly shared across hosts as in a
real fleet, a few waivers, a few unreachable hosts) go through the real History module into a temporary
directory. Times are the median of --rounds, without tracemalloc. Memory: the process's peak resident
set (ru_maxrss) after each step, and, in a separate pass under tracemalloc, the peak of Python
allocations while rendering each format (the report dict itself is already allocated then).

Targets (issue): each format renders in under 2 s; memory stays under 500 MB.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from carehard.catalog import load_catalog  # noqa: E402
from carehard.history import History  # noqa: E402
from carehard.model import (  # noqa: E402
    ControlResult,
    HostOutcome,
    RunRecord,
)
from carehard.report import build_report, renderers  # noqa: E402

SECONDS_TARGET = 2.0
MEMORY_TARGET_MB = 500.0
MB = 1 << 20
T = TypeVar("T")

# Weights of the statuses in a fleet that is mostly compliant.
STATUS_WEIGHTS = {
    "pass": 70,
    "fail": 12,
    "fixed": 5,
    "error": 2,
    "not_applicable": 8,
}
# A few waivers: three controls waived on one host in ten (a vendor's machines), nowhere else.
WAIVED_CONTROLS = (5, 40, 77)
EVIDENCE = {
    "pass": (
        "{cid} | check: {key} = {value} (expected {value}); source {path}, line {line}, "
        "unchanged since the previous run, owner root:root mode 0644; compliant."
    ),
    "fail": (
        "{cid} | assert failed: {key} is {other}, expected {value}; found in {path} line {line}. "
        "Fix: set {key} to {value} in that file and reload the service (carehard harden does it)."
    ),
    "fixed": (
        "--- before: {path}\n+++ after: {path}\n@@ -{line},1 +{line},1 @@\n"
        "-{key} {other}\n+{key} {value}\n{cid} | service reloaded, the final audit passes: {key} = {value}"
    ),
    "error": (
        "{cid} | task failed: command '/usr/bin/systemctl show {key}.service' timed out after 30 s "
        "on this host (systemd busy?); compliance unknown, run carehard audit again"
    ),
    "not_applicable": (
        "{cid} | premise absent, skipped: no {key} on this host ({path} missing); the control "
        "does not apply to this kind of machine."
    ),
    "waived": (
        "waiver W-{line} until 2027-01-31 (vendor requirement, ticket SEC-{line}): {key} is {other}, "
        "expected {value}; found in {path}."
    ),
}


def rss_mb() -> float:
    """Peak resident set of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median_time(fn: Callable[[], T], rounds: int) -> tuple[float, T]:
    times = []
    result: T | None = None
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    assert result is not None
    return statistics.median(times), result


def traced_peak(fn: Callable[[], Any]) -> float:
    """Peak of Python allocations while fn runs, in MB."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()


def synthetic_run(run_id: str, n_hosts: int, controls: list[str], seed: int = 20261125) -> RunRecord:
    rng = random.Random(seed)
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    hosts: dict[str, HostOutcome] = {}
    for h in range(n_hosts):
        name = f"ws-{('rad', 'lab', 'er', 'adm', 'pharm')[h % 5]}-{h:04d}.site.example"
        if h % 211 == 17:  # about 5 unreachable hosts in 1,000
            hosts[name] = HostOutcome(
                name,
                reachable=False,
                facts={"os": None, "os_version": None, "kernel": None, "virtualization": None},
                errors=[f"ssh: connect to host {name} port 22: No route to host"],
                results={
                    cid: ControlResult(cid, "unreachable", "host unreachable: not evaluated")
                    for cid in controls
                },
            )
            continue
        host = HostOutcome(
            name,
            facts={
                "os": "Debian" if h % 4 else "Rocky",
                "os_version": "12.8" if h % 4 else "9.4",
                "kernel": "6.1.0-28-amd64" if h % 4 else "5.14.0-427.el9.x86_64",
                "virtualization": ("kvm", "vmware", "none")[h % 3],
            },
            errors=["fact gathering was partial: /proc/cmdline unreadable"] if h % 97 == 3 else [],
        )
        for i, cid in enumerate(controls):
            status = rng.choices(statuses, weights)[0]
            waiver = i in WAIVED_CONTROLS and h % 10 == 7
            if waiver:  # the vendor's setting: failing, hence waived, on most of its machines
                status = "waived" if rng.random() < 0.8 else "pass"
            # Most hosts share the evidence of their status (same value, same file); one in ten has its own.
            variant = rng.randrange(4) if rng.random() > 0.1 else 1000 + h
            fields = {
                "cid": cid,
                "key": f"setting_{i:03d}",
                "value": f"value-{i % 9}",
                "other": f"other-{variant}",
                "path": f"/etc/carehard/conf.d/{i:03d}-{cid.lower()}.conf",
                "line": 10 + variant,
            }
            host.results[cid] = ControlResult(cid, status, EVIDENCE[status].format(**fields))
            if waiver:
                host.waivers.append(
                    {
                        "id": cid,
                        "reason": "vendor requirement (ticket SEC-12)",
                        "expiry": "2027-01-31",
                        "active": True,
                    }
                )
        hosts[name] = host
    return RunRecord(
        id=run_id,
        mode="audit",
        started="2026-11-25T02:00:00+00:00",
        finished="2026-11-25T02:41:13+00:00",
        carehard_version="0.1.0",
        level=3,
        selection={"inventory": "inventories/site/hosts.yml", "limit": None, "only": [], "skip": []},
        controls=controls,
        exit_code=3,
        hosts=hosts,
    )


def synthetic_trend(run: RunRecord, n: int = 30) -> list[dict[str, Any]]:
    """30 runs of the same inventory, oldest first, this one last (as the report's `trend`)."""
    points = []
    for i in range(n):
        rate = 0.6 + 0.3 * i / (n - 1)
        points.append(
            {
                "run_id": run.id if i == n - 1 else f"202610{i % 28 + 1:02d}T020000Z-{i:06x}",
                "started": run.started if i == n - 1 else f"2026-10-{i % 28 + 1:02d}T02:00:00+00:00",
                "mode": "audit" if i % 3 else "harden",
                "pass_rate": rate,
                "counts": {"pass": int(rate * 1000), "fail": 1000 - int(rate * 1000)},
            }
        )
    return points


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--controls", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the tracemalloc pass")
    args = parser.parse_args()

    catalog = load_catalog()
    controls = [c.id for c in catalog.all()][: args.controls]
    if len(controls) < args.controls:  # a larger matrix than the catalog: unknown controls render too
        controls += [f"WL-GEN-{i:03d}" for i in range(args.controls - len(controls))]
    python = sys.version.split()[0]
    print(f"python {python}, {args.hosts} hosts x {len(controls)} controls, {args.rounds} round(s)")

    start = time.perf_counter()
    run_id = "20261125T020000Z-bench1"
    run = synthetic_run(run_id, args.hosts, controls)
    n_results = sum(len(h.results) for h in run.hosts.values())
    evidence = sum(len(r.evidence) for h in run.hosts.values() for r in h.results.values())
    print(
        f"synthetic run: {n_results} results, evidence {evidence / n_results:.0f} chars on average, "
        f"{sum(len(h.waivers) for h in run.hosts.values())} waivers, "
        f"{sum(not h.reachable for h in run.hosts.values())} unreachable hosts "
        f"({time.perf_counter() - start:.2f} s)"
    )

    rows: list[tuple[str, float, float, str]] = []
    missed = False
    with tempfile.TemporaryDirectory(prefix="carehard-bench-report-") as tmp:
        save_times = []
        for i in range(args.rounds):  # a fresh file each round: save inserts, it never replaces
            history = History(Path(tmp) / f"history-{i}.sqlite")
            history.prepare()
            gc.collect()
            t0 = time.perf_counter()
            history.save(run)
            save_times.append(time.perf_counter() - t0)
        history_path = Path(tmp) / "history-0.sqlite"
        size_mb = history_path.stat().st_size / MB
        wal = history_path.with_name(history_path.name + "-wal")
        if wal.exists():
            size_mb += wal.stat().st_size / MB
        rows.append(("History.save", statistics.median(save_times), rss_mb(), f"{size_mb:.1f} MB on disk"))

        history = History(history_path)
        load_s, loaded = median_time(lambda: history.load(run_id), args.rounds)
        assert loaded is not None and len(loaded.hosts) == args.hosts
        rows.append(("History.load", load_s, rss_mb(), ""))
    del run

    build_s, report = median_time(lambda: build_report(loaded, catalog), args.rounds)
    report["trend"] = synthetic_trend(loaded)
    rows.append(("build_report", build_s, rss_mb(), ""))

    table = renderers()
    outputs: dict[str, int] = {}
    for name, (filename, render) in table.items():
        render(report)  # warm-up: imports, template compilation
        seconds, text = median_time(partial(render, report), args.rounds)
        outputs[name] = len(text.encode("utf-8"))
        ok = seconds < SECONDS_TARGET
        missed |= not ok
        rows.append(
            (f"render {name}", seconds, rss_mb(), f"{filename} {outputs[name] / MB:.1f} MB, {verdict(ok)}")
        )
        del text

    print()
    print(f"{'step':<16} {'seconds':>8} {'peak RSS MB':>12}  notes")
    for label, seconds, rss, note in rows:
        print(f"{label:<16} {seconds:8.3f} {rss:12.0f}  {note}")
    peak = rss_mb()
    ok = peak < MEMORY_TARGET_MB
    missed |= not ok
    print(f"peak RSS of the whole bench: {peak:.0f} MB (target < {MEMORY_TARGET_MB:.0f} MB): {verdict(ok)}")

    if not args.no_tracemalloc:
        print()
        print("tracemalloc peak of Python allocations while rendering (slower; times not counted):")
        for name, (_filename, render) in table.items():
            print(f"  render {name:<8} {traced_peak(partial(render, report)):8.0f} MB")
        print(f"  build_report    {traced_peak(lambda: build_report(loaded, catalog)):8.0f} MB")
    print()
    print(
        f"targets: each format < {SECONDS_TARGET:.0f} s, memory < {MEMORY_TARGET_MB:.0f} MB: "
        + ("all met" if not missed else "MISSED")
    )
    if missed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
