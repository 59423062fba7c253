#!/usr/bin/env python3
"""Write docs/coverage.md: every CIS Debian Linux 12 workstation item and every ANSSI-BP-028 rule
of levels minimal, intermediary and enhanced, with the carehard controls that enforce it (the
catalog's `references`) or the one line saying why it is not automated
(docs/coverage/not-automated/*.yml).

    python3 scripts/coverage.py            write docs/coverage.md
    python3 scripts/coverage.py --check    exit 1, naming the problem, when an item is neither
                                           mapped nor explained, or docs/coverage.md is stale

Which test hosts prove each control comes from tests/integration/expect/*.yml (what the Linux
cycle expects of it on Debian 12 and 13).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from carehard.catalog import Control, load_catalog  # noqa: E402

COVERAGE = ROOT / "docs" / "coverage"
OUTPUT = ROOT / "docs" / "coverage.md"
PREAMBLE = COVERAGE / "preamble.md"
EXPECT = ROOT / "tests" / "integration" / "expect"
BENCHMARKS = {
    "cis": ("CIS Debian Linux 12 Benchmark (workstation profile)", COVERAGE / "cis-debian12-items.tsv"),
    "anssi_bp028": (
        "ANSSI-BP-028 v2.0 (levels minimal, intermediary, enhanced)",
        COVERAGE / "anssi-bp028-items.tsv",
    ),
}
BP028_LEVELS = {"minimal": 1, "intermediary": 2, "enhanced": 3}
SUITES = {"bookworm": "Debian 12", "trixie": "Debian 13"}
CYCLE_DEFAULT = {"audit1": "fail", "harden1": "fixed", "audit2": "pass"}
# What the cycle expects after harden, in the table's words: passes once hardened; an audit-only
# control found failing on purpose (dirty/) and left so.
OUTCOMES = {"pass": "verified", "fail": "checked"}


@dataclass(frozen=True)
class Item:
    benchmark: str
    number: str
    level: int  # CIS level1/2-workstation -> 1/2; BP-028 minimal/intermediary/enhanced -> 1/2/3
    title: str


@dataclass(frozen=True)
class Row:
    item: Item
    controls: tuple[Control, ...]
    reason: str


def read_items(benchmark: str, in_scope: bool = True) -> list[Item]:
    """The items of one benchmark; those that carehard's levels cover (workstation; up to enhanced)
    unless in_scope is false (then out-of-scope items have level 0)."""
    items = []
    for line in BENCHMARKS[benchmark][1].read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if benchmark == "cis":
            number, profiles, title = fields[0], fields[1].split(","), fields[2]
            levels = [int(p[5]) for p in profiles if p.endswith("-workstation")]
            if levels or not in_scope:
                items.append(Item(benchmark, number, min(levels, default=0), title))
        else:
            number, level, title = fields[0], fields[1], fields[3]
            if level in BP028_LEVELS or not in_scope:
                items.append(Item(benchmark, number, BP028_LEVELS.get(level, 0), title))
    return items


def read_reasons() -> dict[tuple[str, str], tuple[str, str]]:
    """(benchmark, item) -> (why it is not automated, the file that says so)."""
    reasons: dict[tuple[str, str], tuple[str, str]] = {}
    for path in sorted((COVERAGE / "not-automated").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for benchmark, entries in data.items():
            for number, reason in (entries or {}).items():
                reasons[(benchmark, str(number))] = (" ".join(str(reason).split()), path.name)
    return reasons


def linux_controls() -> list[Control]:
    return [c for c in load_catalog().all() if {"debian", "rhel"} & set(c.platforms)]


def expectations() -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for path in sorted(EXPECT.glob("*.yml")):
        merged.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return merged


def after_harden(control: str, suite: str, expect: dict[str, dict[str, Any]]) -> str:
    """What the cycle expects of a control on that release after harden (test_wl_controls' rule)."""
    spec = expect.get(control) or {}
    return str({**CYCLE_DEFAULT, **spec, **spec.get(suite, {})}["audit2"])


def build_rows() -> tuple[dict[str, list[Row]], list[str]]:
    """The rows of each benchmark's table, and the problems that make the coverage wrong."""
    controls = linux_controls()
    reasons = read_reasons()
    problems: list[str] = []
    rows: dict[str, list[Row]] = {}
    for benchmark in BENCHMARKS:
        items = read_items(benchmark)
        known = {i.number for i in items}
        listed = {i.number for i in read_items(benchmark, in_scope=False)}
        for control in controls:
            for number in control.references.get(benchmark, ()):
                if number not in listed:
                    problems.append(
                        f"{control.id} references {benchmark} {number}, not an item of the benchmark"
                    )
        for (kind, number), (_, source) in reasons.items():
            if kind == benchmark and number not in known:
                problems.append(
                    f"not-automated/{source} explains {benchmark} {number}, not an item of the list in scope"
                )
        rows[benchmark] = []
        for item in items:
            mapped = tuple(c for c in controls if item.number in c.references.get(benchmark, ()))
            reason, source = reasons.get((benchmark, item.number), ("", ""))
            if mapped and reason:
                problems.append(
                    f"{benchmark} {item.number} has a control and a reason in not-automated/{source}"
                )
            if not mapped and not reason:
                problems.append(f"{benchmark} {item.number} ({item.title}) has no control and no reason")
            rows[benchmark].append(Row(item, mapped, reason))
    return rows, problems


def level_problems(rows: dict[str, list[Row]]) -> list[str]:
    """A control is of a level no higher than the lowest of the items it enforces (else an item of
    level 1 would only be enforced from level 2 on)."""
    lowest: dict[str, tuple[int, str]] = {}
    by_id: dict[str, Control] = {}
    for benchmark_rows in rows.values():
        for row in benchmark_rows:
            for control in row.controls:
                by_id[control.id] = control
                current = lowest.get(control.id)
                if current is None or row.item.level < current[0]:
                    lowest[control.id] = (row.item.level, f"{row.item.benchmark} {row.item.number}")
    return [
        f"{cid} is level {by_id[cid].level}, but enforces {ref} of level {level}"
        for cid, (level, ref) in sorted(lowest.items())
        if by_id[cid].level > level
    ]


def render(rows: dict[str, list[Row]]) -> str:
    expect = expectations()
    lines = [
        *PREAMBLE.read_text(encoding="utf-8").rstrip("\n").splitlines(),
        "",
        "## Summary",
        "",
        "| Benchmark | Level | Items | Enforced | Audit-only | Not automated |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for benchmark, (title, _) in BENCHMARKS.items():
        levels = sorted({r.item.level for r in rows[benchmark]})
        for level in [*levels, None]:
            selected = [r for r in rows[benchmark] if level is None or r.item.level == level]
            kinds = [how(r) for r in selected]
            name = title.split(" (")[0]
            counts = [len(selected), *(kinds.count(k) for k in ("enforced", "audit-only", "not automated"))]
            label = "all" if level is None else str(level)
            lines.append(f"| {name} | {label} | " + " | ".join(map(str, counts)) + " |")
    for benchmark, (title, _) in BENCHMARKS.items():
        lines += [
            "",
            f"## {title}",
            "",
            "| Item | Level | Title | carehard | How | Tested |",
            "|---|---|---|---|---|---|",
        ]
        for row in rows[benchmark]:
            controls = ", ".join(f"{c.id} (L{c.level})" for c in row.controls) or "—"
            detail = how(row) if row.controls else f"not automated: {row.reason}"
            fields = [row.item.number, str(row.item.level), row.item.title, controls, detail]
            lines.append("| " + " | ".join(map(cell, [*fields, tested(row.controls, expect)])) + " |")
    return "\n".join(lines) + "\n"


def how(row: Row) -> str:
    if not row.controls:
        return "not automated"
    return "enforced" if any(c.remediation == "automatic" for c in row.controls) else "audit-only"


def tested(controls: Iterable[Control], expect: dict[str, dict[str, Any]]) -> str:
    controls = list(controls)
    if not controls:
        return "—"
    parts = []
    for suite, release in SUITES.items():
        outcomes = {after_harden(c.id, suite, expect) for c in controls if "debian" in c.platforms}
        if not outcomes:
            continue
        if outcomes == {"not_applicable"}:
            parts.append(f"{release}: n/a")
        else:
            parts.append(
                f"{release}: {'/'.join(sorted(OUTCOMES.get(o, o) for o in outcomes - {'not_applicable'}))}"
            )
    if any("rhel" in c.platforms for c in controls):
        parts.append("RHEL 8-9: values")
    return "; ".join(parts)


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def main() -> int:
    parser = argparse.ArgumentParser(description="Write docs/coverage.md from the catalog.")
    parser.add_argument(
        "--check", action="store_true", help="only check: exit 1 on a problem or a stale file"
    )
    args = parser.parse_args()
    rows, problems = build_rows()
    problems += level_problems(rows)
    text = render(rows)
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            problems.append("docs/coverage.md is not what the catalog gives: run python3 scripts/coverage.py")
    else:
        OUTPUT.write_text(text, encoding="utf-8")
    for problem in problems:
        print(f"coverage: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
