"""`carehard schedule`: the systemd timers (or cron files) of scheduled audits and restore tests."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from carehard.backups import declared_sets
from carehard.catalog import load_catalog
from carehard.cli.base import cli, metrics_option, out, warn
from carehard.cli.narrow import show
from carehard.directories import CONTROL_PREFIX as DIRECTORY_AUDIT
from carehard.directories import check_declared as check_declared_directories
from carehard.engine.inventory import list_hosts
from carehard.engine.selection import Selection, parse_ids, select_controls
from carehard.errors import UsageError


@cli.group()
def schedule() -> None:
    """Scheduled runs of audit and backup-verify: systemd timers, or cron where systemd is absent."""


@schedule.command("install")
@click.argument("job")
@click.argument("extra", nargs=-1, type=click.UNPROCESSED, metavar="[-- JOB OPTIONS]")
@click.option("--at", metavar="HH:MM", help="Time of day (default: backup-verify 02:30, audit 03:00).")
@click.option("--daily", "every", flag_value="daily", help="Every day (backup-verify's default).")
@click.option("--weekly", "every", flag_value="weekly", help="Once a week (audit's default).")
@click.option("--day", metavar="mon..sun", help="The day of --weekly (default: sun).")
@click.option(
    "-i", "--inventory", type=click.Path(path_type=Path), help="Inventory (audit: none = this machine)."
)
@click.option("--user", metavar="USER", help="Account the job runs as (default: you); its ~/.ssh is used.")
@click.option("--output", type=click.Path(path_type=Path), help="Report directory of each run.")
@metrics_option
@click.option(
    "--timeout",
    default="4h",
    show_default=True,
    metavar="DURATION",
    help="A run still going after this is stopped.",
)
@click.option(
    "--method",
    type=click.Choice(["auto", "systemd", "cron"]),
    default="auto",
    show_default=True,
    help="auto: systemd when it runs here, else cron.",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the units (or cron file) and the commands; write nothing."
)
def schedule_install(job: str, extra: tuple[str, ...], dry_run: bool, **options: Any) -> None:
    """Schedule JOB (audit or backup-verify); job options after --, e.g. -- --level 1 --set PACS.

    Reinstalling a job replaces its schedule.
    """
    import shlex

    from carehard.schedule import InstallRequest, apply, layout, plan_install

    request = InstallRequest(job=job, extra=extra, **options)
    installed_by = shlex.join(["carehard", *(arg for arg in sys.argv[1:] if arg != "--dry-run")])
    plan = plan_install(request, layout(), installed_by, dry_run, _check_job_args)
    for warning in plan.warnings:
        warn(warning)
    if dry_run:
        for path, text in plan.write.items():
            click.echo(f"# {path}\n{text}")
        for command in plan.commands:
            click.echo(f"would run: {shlex.join(command)}")
        if plan.log is not None:
            click.echo(f"would create the log: {plan.log}")
        return
    apply(plan)
    for path in plan.write:
        click.echo(f"written: {path}")
    if plan.log is not None:
        click.echo(f"log: {plan.log}")
    for command in plan.commands:
        click.echo(f"ran: {shlex.join(command)}")
    click.echo(f"{job} scheduled ({plan.method}); see carehard schedule list")


def _check_job_args(argv: list[str]) -> None:
    """The scheduled command line must parse now, not fail in the night."""
    try:
        ctx = cli.make_context("carehard", list(argv))
        command: click.Command = cli
        while isinstance(command, click.Group):
            args = [*getattr(ctx, "_protected_args", []), *ctx.args]
            name, found, rest = command.resolve_command(ctx, args)
            if found is None or name is None:
                raise UsageError(f"the scheduled command would not run: {' '.join(argv)}")
            command = found
            ctx = command.make_context(name, rest, parent=ctx)
        _check_selection(command.name, ctx.params)
    except click.ClickException as exc:
        raise UsageError(f"the scheduled command would not run: {exc.format_message()}") from exc
    except UsageError as exc:
        raise UsageError(f"the scheduled command would not run: {exc}") from exc


def _check_selection(command: str | None, params: dict[str, Any]) -> None:
    """The controls an audit selects, the backup sets a restore test names, the directories an audit
    reads, must be right now, not fail every night. Not the environment: the night's may hold a
    password_env this shell lacks."""
    if command == "audit":
        only, skip = parse_ids(params["only"]), parse_ids(params["skip"], "--skip")
        selected = select_controls(load_catalog(), Selection(level=params["level"], only=only, skip=skip))
        inventory = params.get("inventory")
        if inventory is not None and any(c.id.startswith(DIRECTORY_AUDIT) for c in selected):
            check_declared_directories(list_hosts(inventory, params.get("limit")), f"inventory {inventory}")
    elif command == "verify":
        declared_sets(params["inventory"], params["sets"])


@schedule.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def schedule_list(fmt: str) -> None:
    """The scheduled jobs: when, next run, last run and its result."""
    from carehard.schedule import layout, status_rows

    rows = status_rows(layout())
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        out.print("no carehard job scheduled here")
        return
    from rich.table import Table

    columns = ("job", "method", "when", "user", "next_run", "last_run", "last_result")
    table = Table(*(c.replace("_", " ") for c in columns))
    for row in rows:
        table.add_row(*(row[c] for c in columns))
    show(out, table)


@schedule.command("remove")
@click.argument("job")
@click.option("--dry-run", is_flag=True, help="Print what would be removed; remove nothing.")
def schedule_remove(job: str, dry_run: bool) -> None:
    """Disable JOB's timer (or cron file) and remove its files."""
    import shlex

    from carehard.schedule import apply, layout, plan_remove

    plan = plan_remove(job, layout())
    if not dry_run:
        apply(plan)
    for command in plan.commands:
        click.echo(f"{'would run' if dry_run else 'ran'}: {shlex.join(command)}")
    for path in plan.delete:
        click.echo(f"{'would remove' if dry_run else 'removed'}: {path}")
    for command in plan.after_delete:
        click.echo(f"{'would run' if dry_run else 'ran'}: {shlex.join(command)}")
