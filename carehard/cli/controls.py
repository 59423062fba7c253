"""`carehard controls`: browse the control catalog, and see what a selection would run."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from carehard.catalog import Catalog, Control, load_catalog
from carehard.cli.base import cli, control_options, out, say
from carehard.cli.completion import any_control_id, family_names
from carehard.cli.narrow import show
from carehard.engine.selection import (
    AUDIT_FAMILIES,
    DEFAULT_LEVEL,
    Selection,
    command_of,
    parse_ids,
    select_controls,
)
from carehard.errors import UsageError


@cli.group()
def controls() -> None:
    """Browse the control catalog."""


def _with_control_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(control_options()):
        command = option(command)
    return command


@controls.command("list")
@click.option("--family", shell_complete=family_names, help="Only this family (e.g. workstation_linux).")
@click.option(
    "--level", type=click.IntRange(1, 3), help="Controls of this level or below, as audit selects them."
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@_with_control_options
def controls_list(
    family: str | None, level: int | None, only: tuple[str, ...], skip: tuple[str, ...], fmt: str
) -> None:
    """List the controls with their level, severity and remediation.

    With --only, --skip or --level: exactly the controls `carehard audit` would run with the same
    options (level 2 unless --level), and how many.
    """
    catalog = load_catalog()
    if family and family not in catalog.families:
        raise UsageError(f"unknown family '{family}': one of {', '.join(sorted(catalog.families))}")
    selecting = bool(only or skip or level)
    chosen = _selected(catalog, family, level, only, skip) if selecting else catalog.all()
    chosen = [c for c in chosen if not family or c.family == family]
    if fmt == "json":
        click.echo(json.dumps([c.as_dict() for c in chosen], indent=2, ensure_ascii=False))
        return
    from carehard.cli.display import controls_table

    show(out, controls_table(chosen))
    noun = "control" if len(chosen) == 1 else "controls"
    say(f"{len(chosen)} {noun} {'selected' if selecting else 'listed'}")


def _selected(
    catalog: Catalog, family: str | None, level: int | None, only: tuple[str, ...], skip: tuple[str, ...]
) -> list[Control]:
    """What audit would run: the same function, so the list and the run cannot disagree."""
    if family and family not in AUDIT_FAMILIES:
        runner = command_of(family)
        why = f"is run by `{runner}`" if runner else "has no role yet"
        raise UsageError(
            f"--family {family} {why}: --only, --skip and --level select what audit and harden run"
        )
    selection = Selection(level=level or DEFAULT_LEVEL, only=parse_ids(only), skip=parse_ids(skip, "--skip"))
    return select_controls(catalog, selection)


@controls.command("show")
@click.argument("control_id", shell_complete=any_control_id)
def controls_show(control_id: str) -> None:
    """Show one control: rationale and references (ANSSI, BP-028, CIS, CaRE)."""
    from carehard.cli.display import control_detail

    catalog = load_catalog()
    cid = control_id.upper()
    if cid not in catalog:
        raise UsageError(f"unknown control ID '{control_id}': see `carehard controls list`")
    out.print(control_detail(catalog[cid]))
