"""carehard's command line: Click commands only, one module per command group (parse, call, print).
The group and what the commands share live in base.py; importing a module registers its commands."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from carehard.catalog import CatalogError
from carehard.cli import (
    assess,
    backup,
    bootstrap,
    controls,
    doctor,
    exposure,
    facts,
    history,
    init,
    report,
    schedule,
    vendor,
)
from carehard.cli.base import cli, err
from carehard.errors import HistoryError, RunBroken, Terminated, UsageError
from carehard.model import EXIT_USAGE

COMMAND_MODULES = (
    assess,
    backup,
    bootstrap,
    controls,
    doctor,
    exposure,
    facts,
    history,
    init,
    report,
    schedule,
    vendor,
)
__all__ = ["cli", "main"]


def main() -> None:
    try:
        # One name however it is started (`python -m carehard` too): usage lines, _CAREHARD_COMPLETE.
        code = cli.main(prog_name="carehard", standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except (UsageError, CatalogError, RunBroken, HistoryError) as exc:
        err.print(f"carehard: error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):  # Click turns Ctrl-C into Abort
            _interrupted(exc.__context__)
        err.print("carehard: aborted", markup=False)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        err.print(f"carehard: error: {exc.format_message()}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt as exc:
        _interrupted(exc)


def _interrupted(exc: KeyboardInterrupt) -> NoReturn:
    if isinstance(exc, Terminated):
        err.print("carehard: stopped by SIGTERM", markup=False)
        sys.exit(143)
    err.print("carehard: interrupted", markup=False)
    sys.exit(130)
