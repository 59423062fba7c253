"""`carehard facts`: the fleet inventory."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from carehard.catalog import load_catalog
from carehard.cli.ansible_options import ansible_options
from carehard.cli.base import cli, err, metrics_option, out, outputs, print_files_and_notes, run
from carehard.cli.display import findings_table, fleet_table
from carehard.cli.narrow import show
from carehard.errors import UsageError
from carehard.jobs.facts import FactsJob, facts_controls, stored_rows
from carehard.report import fleet


@cli.command()
@ansible_options
@click.option(
    "-i",
    "--inventory",
    type=click.Path(path_type=Path),
    help="Ansible inventory file or directory. Without it: the local machine.",
)
@click.option("--limit", metavar="PATTERN", help="Only hosts matching this Ansible pattern.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the CSV or JSON to this file (replaced whole; CSV with a byte order mark for Excel).",
)
@click.option(
    "--from-history", is_flag=True, help="Print each host's newest facts from the history; run nothing."
)
@metrics_option
def facts(
    inventory: Path | None,
    limit: str | None,
    fmt: str,
    output: Path | None,
    from_history: bool,
    metrics_file: Path | None,
    verbosity: int,
) -> None:
    """The fleet inventory, one row per host: system and end of support, pending security updates,
    exposed services, reachability from the last exposure scan, detection agents, administrators,
    disk encryption, domain, time sync: the cartography a CaRE file asks for (CSV for spreadsheets).

    Collects the facts read-only (check mode) on the inventory's hosts, or on this machine without
    -i, and records the run. Exits 0, 1 when a fleet control failed, 3 when a host was unreachable.
    """
    if output is not None and fmt == "table":
        raise UsageError("--output writes CSV or JSON: give --format csv or --format json")
    if from_history and metrics_file is not None:
        raise UsageError("--metrics-file measures a run: --from-history runs nothing")
    result = None
    if from_history:
        rows = stored_rows(inventory, limit)
    else:
        job = FactsJob(inventory, limit)
        where = outputs(metrics_file=metrics_file, verbosity=verbosity)
        result = run(job, where, "facts", facts_controls(load_catalog()))
        rows = fleet.collected_rows(result.run)
    run_record = result.run if result is not None else None
    if fmt == "table":
        if rows:
            show(out, fleet_table(rows))
        else:
            out.print("no fleet facts in the history yet: run carehard facts")
        findings = findings_table(run_record) if run_record is not None else None
        if findings is not None:
            show(out, findings)
    else:
        text = fleet.render_json(rows) if fmt == "json" else fleet.render_csv(rows, bom=output is not None)
        if output is not None:
            fleet.write_rows(output, text)
            err.print(f"facts: {output}", markup=False, highlight=False)
        else:
            click.echo(text, nl=False)
    if result is not None:
        print_files_and_notes(result, stdout_is_data=fmt != "table" and output is None)
        record = result.run
        err.print(
            f"carehard facts: run {record.id}, {len(record.hosts)} host(s), exit code {record.exit_code}",
            markup=False,
            highlight=False,
        )
        sys.exit(result.exit_code)
