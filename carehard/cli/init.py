"""`carehard init DIR`: a commented starter inventory, and what to do next."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from carehard.cli.base import cli, say


@cli.command()
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path))
def init(directory: Path) -> None:
    """Write a starter inventory in DIR (new or empty): hosts.yml and group_vars/, commented.

    Everything in it is an example (RFC 2606 names, RFC 5737 addresses) or commented out.
    """
    from carehard.starter_inventory import write_starter

    files = write_starter(directory)
    where = shlex.quote(str(directory))
    say(f"wrote a starter inventory in {directory}: {', '.join(str(f) for f in files)}")
    say("next:")
    say(f"  1. edit {directory / 'hosts.yml'}: your hosts in place of the examples; the admin account")
    say(f"     (ansible_user) and its key in {directory / 'group_vars/linux_workstations.yml'}")
    say(f"  2. carehard bootstrap -i {where}   admin account, sudo, key and host keys (asks a password once)")
    say(f"  3. carehard doctor -i {where}      every host ready?")
    say(f"  4. carehard audit -i {where}       then harden")
