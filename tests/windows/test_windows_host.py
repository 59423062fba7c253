"""The Windows scenario, on a disposable Windows VM: audit, harden, audit again, harden again.

    CAREHARD_WINDOWS_INVENTORY=tests/windows/hosts.yml .venv/bin/python -m pytest tests/windows -v

It HARDENS the hosts of windows_workstations in that inventory (see README.md). Level: --level
from CAREHARD_WINDOWS_LEVEL (default 2). Each step runs the real `carehard` command; the reports
(JSON and HTML) and the run artifacts stay under pytest's temporary directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from carehard.engine.inventory import list_hosts
from carehard.engine.winrm import connection_vars, is_windows
from carehard.errors import UsageError
from tests.clirun import carehard, load_report

LEVEL = os.environ.get("CAREHARD_WINDOWS_LEVEL", "2")
FAMILIES = ("workstation_windows", "remote_access")
COMPLIANT = {"pass", "fixed", "waived", "not_applicable"}
STEPS = ("audit-1", "harden-1", "audit-2", "harden-2")
PLACEHOLDER = "REPLACE-WITH-THE-OUTPUT-OF"


def _inventory() -> tuple[Path, list[str]]:
    """The inventory and its Windows hosts, or one clear reason why the scenario cannot run."""
    given = os.environ.get("CAREHARD_WINDOWS_INVENTORY", "")
    path = Path(given).expanduser()
    if not path.exists():
        raise UsageError(
            f"CAREHARD_WINDOWS_INVENTORY={given}: no such file: copy tests/windows/hosts.example.yml "
            "to tests/windows/hosts.yml and fill it in (see tests/windows/README.md)"
        )
    if path.is_file() and PLACEHOLDER in path.read_text(encoding="utf-8", errors="replace"):
        raise UsageError(f"{path} still holds the password placeholder: put the vaulted password in")
    if LEVEL not in ("1", "2", "3"):
        raise UsageError(f"CAREHARD_WINDOWS_LEVEL={LEVEL}: give 1, 2 or 3")
    hosts = [h for h in list_hosts(path) if is_windows(h)]
    if not hosts:
        raise UsageError(f"{path} has no Windows host: put the VM in the windows_workstations group")
    for host in hosts:
        connection_vars(host)  # the settings carehard refuses, said before anything runs
    return path.resolve(), [h.name for h in hosts]


PROBLEM = ""
try:
    INVENTORY, HOSTS = _inventory()
except UsageError as exc:
    PROBLEM = str(exc)
if PROBLEM:
    pytest.fail(f"tests/windows cannot run: {PROBLEM}", pytrace=False)


def run_step(step: str, out: Path, env: dict[str, str]) -> dict[str, Any]:
    command = ["audit"] if step.startswith("audit") else ["harden", "--yes"]
    result = carehard(
        *command,
        "-i",
        INVENTORY,
        "--limit",
        ",".join(HOSTS),
        "--level",
        LEVEL,
        "--output",
        out / step,
        "--format",
        "json,html",
        env=env,
    )
    said = f"carehard {step} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    assert result.returncode != 2, said  # a usage error: nothing ran
    assert (out / step / "report.json").exists(), said
    return load_report(out / step)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    """The four steps, in order, once for the module: step name -> JSON report."""
    base = tmp_path_factory.mktemp("windows")
    env = {"XDG_STATE_HOME": str(base / "state"), "CAREHARD_STATE_DIR": ""}
    done: dict[str, dict[str, Any]] = {}
    for step in STEPS:
        done[step] = run_step(step, base / "reports", env)
    print(f"\nreports and run artifacts: {base}")
    yield done


def results(report: dict[str, Any], host: str) -> dict[str, str]:
    for entry in report["hosts"]:
        if entry["name"] == host:
            return {r["control"]: r["status"] for r in entry["results"]}
    raise AssertionError(f"host {host} is not in the report")


def host_entry(report: dict[str, Any], host: str) -> dict[str, Any]:
    return next(h for h in report["hosts"] if h["name"] == host)


def evidence(report: dict[str, Any], host: str, control: str) -> str:
    entry = host_entry(report, host)
    return next((r["evidence"] for r in entry["results"] if r["control"] == control), "")


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("host", HOSTS)
def test_no_control_in_error(reports: dict[str, dict[str, Any]], step: str, host: str) -> None:
    report = reports[step]
    entry = host_entry(report, host)
    assert entry["reachable"], f"{step}: {host} unreachable: {entry['errors']}"
    assert not entry["errors"], f"{step}: {host}: {entry['errors']}"
    broken = {c: evidence(report, host, c) for c, s in results(report, host).items() if s == "error"}
    assert not broken, f"{step}: controls in error on {host}: {broken}"


@pytest.mark.parametrize("step", ["harden-1", "audit-2", "harden-2"])
@pytest.mark.parametrize("host", HOSTS)
def test_automatic_controls_are_compliant_after_harden(
    reports: dict[str, dict[str, Any]], step: str, host: str
) -> None:
    report = reports[step]
    automatic = {
        c["id"] for c in report["controls"] if c["family"] in FAMILIES and c["remediation"] == "automatic"
    }
    assert automatic, f"{step}: no automatic control of {FAMILIES} ran"
    statuses = results(report, host)
    left = {
        c: f"{statuses[c]}: {evidence(report, host, c)}"
        for c in sorted(automatic & set(statuses))
        if statuses[c] not in COMPLIANT
    }
    assert not left, f"{step}: automatic controls not compliant on {host}: {left}"


@pytest.mark.parametrize("host", HOSTS)
def test_second_harden_changes_nothing(reports: dict[str, dict[str, Any]], host: str) -> None:
    fixed = sorted(c for c, s in results(reports["harden-2"], host).items() if s == "fixed")
    assert not fixed, f"the second harden changed {host} again (not idempotent): {fixed}"


@pytest.mark.parametrize("host", HOSTS)
def test_windows_controls_appear(reports: dict[str, dict[str, Any]], host: str) -> None:
    for step in STEPS:
        report = reports[step]
        selected = {c["id"] for c in report["controls"] if c["id"].startswith("WW-")}
        assert selected, f"{step}: no WW-* control was selected at level {LEVEL}"
        seen = {c for c in results(report, host) if c.startswith("WW-")}
        assert seen == selected, (
            f"{step}: WW-* controls without a result on {host}: {sorted(selected - seen)}"
        )
        remote = {c["id"] for c in report["controls"] if c["id"].startswith("RA-WIN-")}
        missing = remote - set(results(report, host))
        assert not missing, f"{step}: RA-WIN-* controls without a result on {host}: {sorted(missing)}"
