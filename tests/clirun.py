"""Run the real `carehard` command as a user would, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

CAREHARD = [sys.executable, "-m", "carehard"]


def carehard(
    *args: str | Path,
    env: dict[str, str] | None = None,
    timeout: int = 2400,
    cwd: Path | None = None,
    base_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """base_env replaces this process's environment (a run started from a thread other than the
    tests' must not see what a test sets meanwhile)."""
    full_env = {**(os.environ if base_env is None else base_env), "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [*CAREHARD, *map(str, args)],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def load_report(directory: Path) -> dict[str, Any]:
    return dict(json.loads((directory / "report.json").read_text(encoding="utf-8")))


def statuses(report: dict[str, Any], host: str) -> dict[str, str]:
    for h in report["hosts"]:
        if h["name"] == host:
            return {r["control"]: r["status"] for r in h["results"]}
    raise AssertionError(f"host {host} not in the report: {[h['name'] for h in report['hosts']]}")


def evidence(report: dict[str, Any], host: str, control: str) -> str:
    for h in report["hosts"]:
        if h["name"] == host:
            for r in h["results"]:
                if r["control"] == control:
                    return str(r["evidence"])
    raise AssertionError(f"{control} on {host} not in the report")
