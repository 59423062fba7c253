"""`carehard audit` and `carehard harden` (with --dry-run, and the confirmation it asks with)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from carehard.catalog import load_catalog
from carehard.cli.ansible_options import ansible_options
from carehard.cli.base import (
    cli,
    err,
    out,
    outputs,
    print_files_and_notes,
    run,
    say,
    selection_options,
    warn,
)
from carehard.cli.display import findings_table, run_summary
from carehard.cli.narrow import show
from carehard.engine.selection import Selection, parse_ids, select_controls
from carehard.errors import UsageError
from carehard.files import write_atomic
from carehard.jobs.assess import AssessJob
from carehard.jobs.pipeline import JobResult
from carehard.lang import report_lang
from carehard.model import EXIT_FAIL, EXIT_OK
from carehard.report.dry_run import FILE_NAME, DryRun, dry_run_of, nothing_to_change, question, report_lines


@cli.command()
@ansible_options
@selection_options
def audit(**kwargs: Any) -> None:
    """Check the controls in check mode: changes nothing, writes the reports."""
    result = _assess("audit", allow_local=True, **kwargs)
    _show(result, kwargs["lang"])
    sys.exit(result.exit_code)


@cli.command()
@ansible_options
@selection_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (and run no dry run first).")
@click.option("--local", "allow_local", is_flag=True, help="Allow hardening this very machine.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Change nothing: audit the controls harden would apply and show, per host, what would change.",
)
def harden(yes: bool, allow_local: bool, dry_run: bool, **kwargs: Any) -> None:
    """Apply the controls, then audit what changed. On a terminal, unless --yes, a dry run first
    counts what would change and asks."""
    if dry_run:
        result, dry = _dry_run(allow_local, kwargs)
        _show(result, kwargs["lang"], dry)
        sys.exit(result.exit_code)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("harden changes hosts: confirm with --yes when not run from a terminal")
        _confirm(allow_local, kwargs)
    # The pipeline locks once confirmed: a harden waiting at its prompt does not hold back the nightly audit.
    result = _assess("harden", allow_local=allow_local, **kwargs)
    _show(result, kwargs["lang"])
    sys.exit(result.exit_code)


def _confirm(allow_local: bool, kwargs: dict[str, Any]) -> None:
    """The dry run (its lock released once it ends), what it would change, then the question with
    its counts; nothing to change ends the command without asking."""
    result, dry = _dry_run(allow_local, kwargs)
    for line in report_lines(dry):
        say(line)
    print_files_and_notes(result)
    inventory: Path | None = kwargs["inventory"]
    target = None if inventory is None else str(inventory)
    if dry.task_count == 0:
        say(nothing_to_change(dry, target))
        broken = result.exit_code not in (EXIT_OK, EXIT_FAIL)
        sys.exit(result.exit_code if broken else EXIT_OK)
    click.confirm(question(dry, target), abort=True)


def _dry_run(allow_local: bool, kwargs: dict[str, Any]) -> tuple[JobResult, DryRun]:
    """`harden --dry-run`: the audit of harden's selection, and its would-change details in the
    report directory as dry-run.txt."""
    result = _assess("audit", allow_local=allow_local, dry_run=True, **kwargs)
    dry = dry_run_of(result.run)
    directory: Path = kwargs["output"]
    if directory.is_dir():
        path = directory / FILE_NAME
        head = f"carehard harden --dry-run: run {result.run.id} (recorded as an audit), {result.run.started}"
        try:
            write_atomic(path, "\n".join([head, "", *report_lines(dry)]) + "\n")
        except OSError as exc:
            warn(f"{path} not written: {exc.strerror or exc}")
        else:
            result.report_files.append(path)
    return result, dry


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
    dry_run: bool = False,
    verbosity: int = 0,
) -> JobResult:
    selection = Selection(level=level, only=parse_ids(only), skip=parse_ids(skip, "--skip"), limit=limit)
    count = len(select_controls(load_catalog(), selection)) if err.is_terminal else 0
    job = AssessJob(mode, inventory, selection, allow_local, dry_run=dry_run)
    return run(job, outputs(output, formats, metrics_file, lang, verbosity), job.command, count)


def _show(result: JobResult, lang: str | None, dry: DryRun | None = None) -> None:
    """The run's summary and findings, what the dry run would change, the files written."""
    shown_in = report_lang(lang)
    show(out, run_summary(result.run, shown_in))
    findings = findings_table(result.run, shown_in)
    if findings is not None:
        show(out, findings)
    if dry is not None:
        for line in report_lines(dry):
            say(line)
    print_files_and_notes(result)
