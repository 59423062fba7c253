"""`carehard doctor`: pre-flight checks of this machine and of the inventory's hosts."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from carehard.cli.ansible_options import password_options
from carehard.cli.base import cli


@cli.command()
@password_options()
@click.option("-i", "--inventory", type=click.Path(path_type=Path), help="Inventory to check the hosts of.")
@click.option("--limit", metavar="PATTERN", help="Only hosts matching this Ansible pattern.")
def doctor(inventory: Path | None, limit: str | None) -> None:
    """Pre-flight: this machine's tools, then each host's reachability, host key, login, python3, sudo;
    a directory's domain controller: TCP, TLS and its certificate, the bind with the account.

    Prints one line per problem with the fix; exits 1 when there is any (warnings alone exit 0).
    """
    from carehard import doctor as checks
    from carehard.engine.inventory import list_hosts

    problems = checks.check_local()
    if inventory is not None:
        problems += checks.check_hosts(list_hosts(inventory, limit))
    for problem in problems:
        click.echo(checks.format_problem(problem))
    if any(not p.warning for p in problems):
        sys.exit(1)
    if not problems:
        click.echo("no problem found")
