"""`carehard controls`: browse the control catalog."""

from __future__ import annotations

import json

import click

from carehard.catalog import load_catalog
from carehard.cli.base import cli, out
from carehard.cli.narrow import show
from carehard.errors import UsageError


@cli.group()
def controls() -> None:
    """Browse the control catalog."""


@controls.command("list")
@click.option("--family", help="Only this family (e.g. workstation_linux).")
@click.option("--level", type=click.IntRange(1, 3), help="Only controls of this level or below.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def controls_list(family: str | None, level: int | None, fmt: str) -> None:
    """List the controls with their level, severity and remediation."""
    catalog = load_catalog()
    if family and family not in catalog.families:
        raise UsageError(f"unknown family '{family}': one of {', '.join(sorted(catalog.families))}")
    chosen = [
        c for c in catalog.all() if (not family or c.family == family) and (not level or c.level <= level)
    ]
    if fmt == "json":
        click.echo(json.dumps([c.as_dict() for c in chosen], indent=2, ensure_ascii=False))
    else:
        from carehard.cli.display import controls_table

        show(out, controls_table(chosen))


@controls.command("show")
@click.argument("control_id")
def controls_show(control_id: str) -> None:
    """Show one control: rationale and references (ANSSI, BP-028, CIS, CaRE)."""
    from carehard.cli.display import control_detail

    catalog = load_catalog()
    cid = control_id.upper()
    if cid not in catalog:
        raise UsageError(f"unknown control ID '{control_id}': see `carehard controls list`")
    out.print(control_detail(catalog[cid]))
