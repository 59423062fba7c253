"""`carehard backup`: restore tests (verify), canaries, and the history of the verifications."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from carehard.catalog import load_catalog
from carehard.cli.ansible_options import ansible_options
from carehard.cli.base import (
    cli,
    complain,
    err,
    inventory_option,
    metrics_option,
    out,
    outputs,
    print_files_and_notes,
    report_options,
    run,
    say,
)
from carehard.cli.display import backup_checks_table, findings_table
from carehard.cli.narrow import show
from carehard.history import History
from carehard.jobs.backup_verify import FAMILY, BackupVerifyJob
from carehard.jobs.canary import CanaryJob
from carehard.lang import report_lang
from carehard.paths import history_path


@cli.group()
def backup() -> None:
    """Offline backups: real restic restore tests against each application's RPO and RTO."""


@backup.command("verify")
@ansible_options
@inventory_option(required=True, declaring="carehard_backup_sets")
@click.option("--set", "sets", multiple=True, metavar="NAME", help="Only this backup set (repeatable).")
@click.option("--read-data", is_flag=True, help="Read every data pack in restic check, not the set's sample.")
@report_options
@metrics_option
def backup_verify(
    inventory: Path,
    sets: tuple[str, ...],
    read_data: bool,
    output: Path,
    formats: str,
    metrics_file: Path | None,
    lang: str | None,
    verbosity: int,
) -> None:
    """Restore-test every backup set: repository, snapshot age, check, restore, canary, RTO, isolation.

    For a scheduler: exits 0 when every set passes, 1 when a set fails, 3 on an error.
    """
    job = BackupVerifyJob(inventory, sets, read_data)
    count = len([c for c in load_catalog().all() if c.family == FAMILY]) if err.is_terminal else 0
    result = run(job, outputs(output, formats, metrics_file, lang, verbosity), "backup verify", count)
    show(out, backup_checks_table(job.backup_checks(), title=f"carehard backup verify {result.run.id}"))
    findings = findings_table(result.run, report_lang(lang))
    if findings is not None:
        show(out, findings)
    print_files_and_notes(result)
    sys.exit(result.exit_code)


@backup.command("canary")
@ansible_options
@inventory_option(required=True, declaring="carehard_backup_sets")
@click.option("--set", "set_name", required=True, metavar="NAME", help="The backup set.")
@metrics_option
def backup_canary(inventory: Path, set_name: str, metrics_file: Path | None, verbosity: int) -> None:
    """Write the set's canary file (random content, time recorded) on its source host, before a backup."""
    job = CanaryJob(inventory, set_name)
    result = run(job, outputs(metrics_file=metrics_file, verbosity=verbosity))
    record = job.record
    if record is not None:
        say(
            f"canary of {set_name} written on {record.host}:{record.path} at {record.written_at}"
            f" (sha256 {record.sha256[:16]}…); the next backup must carry it"
        )
    else:
        complain(f"{set_name}: {job.problem}")
    print_files_and_notes(result)
    if record is None:
        sys.exit(3)
    sys.exit(result.exit_code if result.unsaved else 0)


@backup.command("history")
@click.option("--set", "set_name", metavar="NAME", help="Only this backup set.")
@click.option("--last", type=click.IntRange(min=1), default=30, show_default=True, help="Per set.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def backup_history(set_name: str | None, last: int, fmt: str) -> None:
    """The trend of the verifications: snapshot age, check, restore time and throughput per night."""
    checks = History(history_path()).backup_checks(set_name, last)
    if fmt == "json":
        click.echo(json.dumps([vars(c) for c in checks], indent=2, ensure_ascii=False))
        return
    if not checks:
        out.print(f"no verification of {set_name} in the history" if set_name else "no verification yet")
        return
    show(out, backup_checks_table(checks))
