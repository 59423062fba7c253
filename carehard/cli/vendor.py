"""`carehard vendor`: open, close and list time-boxed vendor access windows."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from carehard import clock
from carehard.cli.ansible_options import ansible_options, password_options
from carehard.cli.base import (
    cli,
    complain,
    inventory_option,
    metrics_option,
    out,
    outputs,
    print_files_and_notes,
    run,
    say,
)
from carehard.cli.display import windows_table
from carehard.cli.narrow import show
from carehard.engine.inventory import list_hosts
from carehard.history import History
from carehard.jobs.vendor_window import VendorWindowJob
from carehard.paths import history_path
from carehard.vendors import Window, iso, plan_window


@cli.group()
def vendor() -> None:
    """Time-boxed vendor access: open a window through the bastion, close it, list windows."""


@vendor.command("open")
@ansible_options
@click.argument("name")
@inventory_option(required=True)
@click.option("--host", metavar="HOST", help="The host the vendor maintains now.")
@click.option("--group", metavar="GROUP", help="Every host of this inventory group.")
@click.option("--for", "duration", metavar="DURATION", help="How long, e.g. 30m, 4h (at most max_window).")
@click.option("--reason", default="", help="Why (a ticket number): recorded in the history.")
@metrics_option
def vendor_open(
    name: str,
    inventory: Path,
    host: str | None,
    group: str | None,
    duration: str | None,
    reason: str,
    metrics_file: Path | None,
    verbosity: int,
) -> None:
    """Open NAME's access for a bounded time: keys with expiry-time and from= the bastions, account expiry."""
    window = plan_window(inventory, name, "open", host, group, duration, reason)
    _run_window(inventory, window, metrics_file, verbosity)


@vendor.command("close")
@ansible_options
@click.argument("name")
@inventory_option(required=True)
@click.option("--host", metavar="HOST", help="Only this host (default: every host the vendor maintains).")
@click.option("--group", metavar="GROUP", help="Only the hosts of this group.")
@metrics_option
def vendor_close(
    name: str,
    inventory: Path,
    host: str | None,
    group: str | None,
    metrics_file: Path | None,
    verbosity: int,
) -> None:
    """End NAME's window now: lock and expire the account, remove its keys, end its sessions."""
    window = plan_window(inventory, name, "close", host, group)
    _run_window(inventory, window, metrics_file, verbosity)


def _run_window(inventory: Path, window: Window, metrics_file: Path | None, verbosity: int) -> None:
    job = VendorWindowJob(inventory, window)
    result = run(job, outputs(metrics_file=metrics_file, verbosity=verbosity))
    if job.done:
        if window.action == "open":
            say(
                f"vendor {window.vendor.name}: window open on {', '.join(job.done)} "
                f"until {iso(window.end)} (account {window.vendor.account})"
                if window.end is not None
                else f"vendor {window.vendor.name}: window open on {', '.join(job.done)}"
            )
        else:
            say(f"vendor {window.vendor.name}: window closed on {', '.join(job.done)}")
    for name, why in job.failed.items():
        complain(f"{name}: {why}")
    print_files_and_notes(result)
    if job.failed:
        sys.exit(3)
    sys.exit(result.exit_code if result.unsaved else 0)


@vendor.command("list")
@password_options(become=False)
@inventory_option(required=False)
@click.option("--all", "show_all", is_flag=True, help="Also the past windows: who opened them, when, why.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def vendor_list(inventory: Path | None, show_all: bool, fmt: str) -> None:
    """The open vendor windows with the time left; with --all, every window in the history.

    With -i, only the windows on the hosts of that inventory.
    """
    now = iso(clock.now())
    hosts = {h.name for h in list_hosts(inventory)} if inventory is not None else None
    windows = [
        w
        for w in History(history_path()).windows()
        if (show_all or w.state(now) == "open") and (hosts is None or w.host in hosts)
    ]
    if fmt == "json":
        rows = [dict(vars(w), state=w.state(now)) for w in windows]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not windows:
        out.print("no vendor window open" if not show_all else "no vendor window in the history")
        return
    show(out, windows_table(windows, now))
