"""`carehard audit` and `carehard harden`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from carehard.catalog import load_catalog
from carehard.cli.ansible_options import ansible_options
from carehard.cli.base import cli, err, out, outputs, print_files_and_notes, run, selection_options
from carehard.cli.display import findings_table, run_summary
from carehard.cli.narrow import show
from carehard.engine.selection import Selection, parse_ids, select_controls
from carehard.errors import UsageError
from carehard.jobs.assess import AssessJob
from carehard.lang import report_lang


@cli.command()
@ansible_options
@selection_options
def audit(**kwargs: Any) -> None:
    """Check the controls in check mode: changes nothing, writes the reports."""
    _assess("audit", allow_local=True, **kwargs)


@cli.command()
@ansible_options
@selection_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--local", "allow_local", is_flag=True, help="Allow hardening this very machine.")
def harden(yes: bool, allow_local: bool, **kwargs: Any) -> None:
    """Apply the controls, then audit what changed. Asks first unless --yes."""
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("harden changes hosts: confirm with --yes when not run from a terminal")
        target = kwargs["inventory"] or "this machine"
        click.confirm(f"Harden the hosts of {target}?", abort=True)
    # The pipeline locks once confirmed: a harden waiting at its prompt does not hold back the nightly audit.
    _assess("harden", allow_local=allow_local, **kwargs)


def _assess(
    mode: str,
    allow_local: bool,
    inventory: Path | None,
    limit: str | None,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    level: int,
    output: Path,
    formats: str,
    metrics_file: Path | None = None,
    lang: str | None = None,
    verbosity: int = 0,
) -> None:
    selection = Selection(level=level, only=parse_ids(only), skip=parse_ids(skip, "--skip"), limit=limit)
    count = len(select_controls(load_catalog(), selection)) if err.is_terminal else 0
    job = AssessJob(mode, inventory, selection, allow_local)
    result = run(job, outputs(output, formats, metrics_file, lang, verbosity), mode, count)
    shown_in = report_lang(lang)
    show(out, run_summary(result.run, shown_in))
    findings = findings_table(result.run, shown_in)
    if findings is not None:
        show(out, findings)
    print_files_and_notes(result)
    sys.exit(result.exit_code)
