"""What every command shares: the `carehard` group, the consoles, the common options, and running a
job with its progress display and printing what the pipeline noted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from carehard import __version__
from carehard.cli.completion import selected_ids
from carehard.cli.progress import RunProgress
from carehard.engine.selection import DEFAULT_LEVEL
from carehard.jobs.pipeline import Job, JobResult, Outputs, run_job
from carehard.lang import LANGUAGES
from carehard.report import parse_formats

out = Console()
err = Console(stderr=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="carehard")
def cli() -> None:
    """Harden health and care establishments' machines, close vendor back doors, prove backups restore.

    Controls follow the CaRE programme, ANSSI's guides and the CIS benchmarks. Exit codes: 0 all
    pass, 1 some control failed, 2 usage or configuration error, 3 unreachable host or task error,
    4 the reports were written but the run could not be saved in the history.
    """


def say(text: str) -> None:
    """One line on stdout as it is: no markup, no highlighting, no wrapping."""
    out.print(text, markup=False, highlight=False, soft_wrap=True)


def warn(message: str) -> None:
    """One line on stderr, however long: a warning is read by people and by log scrapers alike."""
    err.print(f"carehard: warning: {message}", markup=False, highlight=False, soft_wrap=True)


def complain(message: str) -> None:
    """An error on one line that does not stop the command (the others go on)."""
    err.print(f"carehard: error: {message}", markup=False, highlight=False, soft_wrap=True)


def outputs(
    output: Path | None = None,
    formats: str = "",
    metrics_file: Path | None = None,
    lang: str | None = None,
    verbosity: int = 0,
) -> Outputs:
    chosen = tuple(parse_formats(formats)) if formats else ()
    return Outputs(output or Path("carehard-report"), chosen, metrics_file, lang, verbosity)


def run(job: Job, where: Outputs, label: str = "", controls: int = 0) -> JobResult:
    """Run the job through the pipeline, with a live progress display on a terminal (with -v,
    ansible-playbook's own output instead, on stderr)."""
    if label and err.is_terminal and not where.verbosity:
        with RunProgress(err, label, controls) as progress:
            return run_job(job, where, progress)
    return run_job(job, where)


def print_files_and_notes(result: JobResult, stdout_is_data: bool = False) -> None:
    """The reports written, the metrics file, the alerts sent; then the warnings, on stderr.
    Where stdout carries the command's data (facts --format json), all of it goes to stderr."""
    console = err if stdout_is_data else out
    for line in [*(f"report: {path}" for path in result.report_files), *result.notes]:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    for warning in result.warnings:
        warn(warning)
    if result.unsaved:
        complain(result.unsaved)


metrics_option = click.option(
    "--metrics-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write Prometheus metrics here (node_exporter textfile collector), replaced whole.",
)


def control_options() -> list[Callable[..., Any]]:
    """--only and --skip: control IDs or patterns (`WL-SSH-*`), comma lists, repeatable; IDs complete."""
    return [
        click.option(
            "--only",
            multiple=True,
            metavar="IDS",
            shell_complete=selected_ids,
            help="Only these control IDs or patterns, whatever the level (comma list: WL-SSH-01,'WW-*').",
        ),
        click.option(
            "--skip",
            multiple=True,
            metavar="IDS",
            shell_complete=selected_ids,
            help="Leave out these control IDs or patterns (comma list).",
        ),
    ]


def selection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "-i",
            "--inventory",
            type=click.Path(path_type=Path),
            help="Ansible inventory file or directory. Without it: the local machine.",
        ),
        click.option("--limit", metavar="PATTERN", help="Only hosts matching this Ansible pattern."),
        *control_options(),
        click.option(
            "--level",
            type=click.IntRange(1, 3),
            default=DEFAULT_LEVEL,
            show_default=True,
            help="1 minimal, 2 intermediary, 3 enhanced (ANSSI levels).",
        ),
        metrics_option,
    ]
    command = report_options(command)
    for option in reversed(options):
        command = option(command)
    return command


def report_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--output DIR, --format LIST and --lang, as every command that writes reports takes them."""
    command = click.option(
        "--lang",
        type=click.Choice(LANGUAGES),
        help="Language of the reports (default: the config file's carehard_lang, else the locale's).",
    )(command)
    command = click.option(
        "--format",
        "formats",
        default="json,html",
        show_default=True,
        help="Report formats, comma list of json, html, junit, csv, md.",
    )(command)
    return click.option(
        "--output",
        type=click.Path(path_type=Path),
        default=Path("carehard-report"),
        show_default=True,
        help="Directory for the reports.",
    )(command)


def inventory_option(
    required: bool, declaring: str = "carehard_vendors and carehard_bastions"
) -> Callable[..., Any]:
    return click.option(
        "-i",
        "--inventory",
        type=click.Path(path_type=Path),
        required=required,
        help=f"Ansible inventory declaring {declaring}.",
    )
