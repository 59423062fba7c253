"""carehard's command line: Click commands only, one module per command group (parse, call, print).
The group and what the commands share live in base.py; importing a module registers its commands."""

from __future__ import annotations

import sys

import click

from carehard.catalog import CatalogError
from carehard.cli import (
    assess,
    backup,
    controls,
    doctor,
    exposure,
    facts,
    history,
    report,
    schedule,
    vendor,
)
from carehard.cli.base import cli, err
from carehard.errors import HistoryError, RunBroken, UsageError
from carehard.model import EXIT_USAGE

COMMAND_MODULES = (assess, backup, controls, doctor, exposure, facts, history, report, schedule, vendor)
__all__ = ["cli", "main"]


def main() -> None:
    try:
        code = cli.main(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except (UsageError, CatalogError, RunBroken, HistoryError) as exc:
        err.print(f"carehard: error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):  # Click turns Ctrl-C into Abort
            err.print("carehard: interrupted", markup=False)
            sys.exit(130)
        err.print("carehard: aborted", markup=False)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        err.print(f"carehard: error: {exc.format_message()}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        err.print("carehard: interrupted", markup=False)
        sys.exit(130)
