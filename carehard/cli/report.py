"""`carehard report` (a past run's reports, diff, CaRE evidence) and `carehard runs`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from carehard.catalog import load_catalog
from carehard.cli.base import cli, out, report_options, say, warn
from carehard.cli.narrow import fits, show
from carehard.errors import UsageError
from carehard.lang import LANGUAGES
from carehard.report import parse_formats


@cli.group(invoke_without_command=True)
@click.option(
    "--run",
    "run_id",
    metavar="ID",
    help="This run of the history: its id (see `carehard runs list`), a unique prefix of it, last or last~N.",
)
@click.option("--last", is_flag=True, help="The newest run of the history (the default).")
@click.option(
    "--artifacts",
    type=click.Path(path_type=Path),
    multiple=True,
    help="An ansible-runner artifacts directory (AWX, ansible-navigator, ansible-runner); repeat it"
    " for the slices of one sliced AWX job, reported as one run.",
)
@report_options
@click.pass_context
def report(
    ctx: click.Context,
    run_id: str | None,
    last: bool,
    artifacts: tuple[Path, ...],
    output: Path,
    formats: str,
    lang: str | None,
) -> None:
    """Write the reports of a past run: from the history, or from a run's ansible-runner artifacts."""
    if ctx.invoked_subcommand is not None:
        return
    from carehard.establishment import load_establishment
    from carehard.jobs.report_source import load_run
    from carehard.lang import report_lang
    from carehard.report import build_report, write_reports

    if sum(bool(x) for x in (run_id, last, artifacts)) > 1:
        raise UsageError("give one of --run, --last and --artifacts")
    chosen = tuple(parse_formats(formats))
    establishment = load_establishment()
    source = load_run(run_id, artifacts)
    report = build_report(
        source.run,
        load_catalog(),
        source.backups,
        source.trend,
        fleet=source.fleet,
        exposure=source.exposure,
        establishment=establishment,
        lang=report_lang(lang),
    )
    files = write_reports(report, output, chosen)
    from carehard.cli.display import run_summary

    show(out, run_summary(source.run))
    for path in files:
        out.print(f"report: {path}")


@report.command("diff")
@click.argument("before")
@click.argument("after")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def report_diff(before: str, after: str, fmt: str) -> None:
    """What changed from run BEFORE to run AFTER: regressions, improvements, hosts added or gone.

    A run is its id, a unique prefix of it, `last` or `last~N` (e.g. `report diff last~1 last`).

    Exits 1 when a control regressed, for CI.
    """
    from carehard.cli.display import diff_table
    from carehard.jobs.report_source import load_history_run
    from carehard.report.diff import diff_runs

    result = diff_runs(load_history_run(before), load_history_run(after))
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        show(out, diff_table(result))
    if result.regressed:
        sys.exit(1)


@report.command("evidence")
@click.option("--care", is_flag=True, required=True, help="The CaRE view (the only one so far).")
@click.option("--inventory", metavar="PATH", help="Only runs of this inventory (the path given to -i).")
@click.option(
    "--objectives",
    type=click.Path(path_type=Path),
    help="YAML naming your CaRE objectives (e.g. D2.01.D) and the controls that support each.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="Directory for the CaRE document's files (care.json, care.html...) [default: carehard-report].",
)
@click.option(
    "--format",
    "fmt",
    metavar="LIST",
    help="table (the terminal, the default), or a comma list of json, html, junit, csv, md: the CaRE"
    " document's files (json,html when only --output is given). json alone without --output prints it.",
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    help="Language of the document (default: the config file's carehard_lang, else the locale's).",
)
def report_evidence(
    care: bool,
    inventory: str | None,
    objectives: Path | None,
    output: Path | None,
    fmt: str | None,
    lang: str | None,
) -> None:
    """Per CaRE domain (and objective): the controls that support it, their state across the fleet, the
    last restore tests; as the document to attach to a CaRE file (HTML, JSON, CSV, Markdown, JUnit)."""
    from carehard.cli.display import care_tables
    from carehard.establishment import load_establishment
    from carehard.history import History
    from carehard.lang import report_lang
    from carehard.paths import history_path
    from carehard.report.care import care_evidence, load_objectives
    from carehard.report.care_document import (
        DEFAULT_OUTPUT,
        build_care_document,
        care_formats,
        write_care_documents,
    )

    formats = care_formats(fmt, output is not None)
    language = report_lang(lang)
    catalog = load_catalog()
    chosen = load_objectives(objectives, catalog) if objectives is not None else None
    asked = None if inventory is None else _inventory_asked(inventory)
    names = None if asked is None or inventory is None else frozenset({asked, inventory})
    evidence = care_evidence(History(history_path()), catalog, names, chosen)
    if not formats:
        from rich.text import Text

        for item in care_tables(evidence, language):
            if isinstance(item, Text):
                out.print(item, highlight=False)
            else:
                show(out, item)
        return
    document = build_care_document(evidence, catalog, language, load_establishment(), asked)
    if formats == ["json"] and output is None:
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    for path in write_care_documents(document, output or DEFAULT_OUTPUT, formats):
        out.print(f"CaRE document: {path}", markup=False, highlight=False)


def _inventory_asked(text: str) -> str:
    """--inventory as the history keeps it (carehard.paths.inventory_identity); the runs of this
    machine are `local`. The text as typed is matched too, for runs an older carehard recorded so."""
    from carehard.paths import inventory_identity

    if Path(text).expanduser().exists():
        return inventory_identity(text)
    if text == "local" or "," in text:
        return text
    raise UsageError(
        f"--inventory {text}: no such file or directory (give the inventory given to -i, or local)"
    )


@cli.group()
def runs() -> None:
    """The runs in the history, and their run directories under runs/."""


@runs.command("list")
@click.option("--last", type=click.IntRange(min=1), default=20, show_default=True, help="How many runs.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def runs_list(last: int, fmt: str) -> None:
    """The newest runs: id, mode, dates, inventory, exit code and counts per status."""
    from carehard.cli.display import runs_lines, runs_table
    from carehard.history import History
    from carehard.paths import history_path

    summaries = History(history_path()).runs(last)
    if fmt == "json":
        click.echo(json.dumps([dict(vars(s), pass_rate=s.pass_rate) for s in summaries], indent=2))
        return
    if not summaries:
        out.print("no run in the history yet")
        return
    table = runs_table(summaries)
    out.print(table if fits(table, out) else runs_lines(summaries))


@runs.command("prune")
@click.option("--keep", metavar="DURATION", help="Remove the run directories older than this: 90d, 12h, 2w.")
@click.option(
    "--max-size",
    metavar="SIZE",
    help="Then the oldest others while all of them weigh more than this: 500M, 5G, 1.5G.",
)
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
def runs_prune(keep: str | None, max_size: str | None, dry_run: bool) -> None:
    """Remove old run directories (ansible-runner's artifacts) under runs/; their results stay in the
    history, so `runs list` and `report --run` still show them.

    Never removes the last run of a host or the last verification of a backup set, nor anything
    that is not a run directory. Without --keep and --max-size, the config file's carehard_runs
    (keep, max_size). Takes every run lock for the moment it chooses: refused while a run is going on.
    """
    from carehard.jobs.runs_prune import chosen_policy, prune_runs, summary

    outcome = prune_runs(chosen_policy(keep, max_size), dry_run)
    for line in summary(outcome):
        say(line)
    for failure in outcome.failures:
        warn(failure)
    if outcome.failures:
        sys.exit(1)
