"""`carehard bootstrap`: each new Linux host of the inventory made ready for carehard over a first
password login (admin account with sudo, its key, the host key recorded), then doctor's checks."""

from __future__ import annotations

import os
import sys
import termios
from pathlib import Path

import click

from carehard.cli.base import cli, complain, err, say
from carehard.errors import UsageError


@cli.command()
@click.option(
    "-i", "--inventory", type=click.Path(path_type=Path), required=True, help="The inventory of the hosts."
)
@click.option("--limit", metavar="PATTERN", help="Only hosts matching this Ansible pattern.")
@click.option(
    "--user",
    "login",
    default="root",
    show_default=True,
    metavar="LOGIN",
    help="The account of the first password login (the installer's); not root: it uses sudo.",
)
def bootstrap(inventory: Path, limit: str | None, login: str) -> None:
    """Make each new Linux host ready: create the inventory's admin account (ansible_user) with sudo,
    install its key (ansible_ssh_private_key_file, else ~/.ssh/id_ed25519, made if missing), record the
    host key after showing its fingerprint, then run doctor's checks.

    LOGIN's password is asked once, on the terminal. A host whose recorded key differs is refused
    without the password being sent (exit 2); an unreachable host, or a refused password, is one line
    and the others go on (exit 3). A second run changes nothing.
    """
    from carehard.bootstrap import bootstrap as run_bootstrap
    from carehard.bootstrap import plan_hosts
    from carehard.engine.inventory import list_hosts

    plans = plan_hosts(list_hosts(inventory, limit), say)
    if not plans:
        raise UsageError(f"inventory {inventory} has no Linux host to bootstrap")

    def ask(count: int) -> str:
        hosts = "1 host" if count == 1 else f"{count} hosts"
        return ask_password(f"password of {login} on the {hosts} to bootstrap: ")

    tally = run_bootstrap(plans, login, ask, say, complain)
    parts = [f"{len(tally.ready)} ready"]
    parts += [f"{len(tally.not_ready)} not ready"] if tally.not_ready else []
    parts += [f"{len(tally.refused)} refused"] if tally.refused else []
    parts += [f"{len(tally.failed)} failed"] if tally.failed else []
    say(f"bootstrap: {len(plans)} host{'s' if len(plans) != 1 else ''}: {', '.join(parts)}")
    code = tally.exit_code()
    if code:
        sys.exit(code)


def ask_password(prompt: str) -> str:
    """Read a password from the terminal on stdin, echo off; never from a pipe or the command line."""
    fd = sys.stdin.fileno() if sys.stdin else -1
    if fd < 0 or not os.isatty(fd):
        raise UsageError("bootstrap asks the first login's password on a terminal: run it interactively")
    saved = termios.tcgetattr(fd)
    quiet = list(saved)
    quiet[3] &= ~termios.ECHO
    try:
        termios.tcsetattr(fd, termios.TCSANOW, quiet)  # echo off before the prompt: no typed-ahead echo
        err.file.write(prompt)
        err.file.flush()
        line = sys.stdin.readline()
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)
        err.file.write("\n")
        err.file.flush()
    if not line:
        raise UsageError("no password given (end of input)")
    password = line.rstrip("\n")
    if not password:
        raise UsageError("an empty password: bootstrap needs the first login's password")
    return password
