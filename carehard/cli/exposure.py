"""`carehard exposure scan`: what the network really exposes, probed from one inventory host."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from carehard.cli.ansible_options import ansible_options
from carehard.cli.base import (
    cli,
    complain,
    err,
    inventory_option,
    metrics_option,
    outputs,
    print_files_and_notes,
    report_options,
    run,
    say,
)
from carehard.exposure import ScanOptions, parse_ports, plan_scan
from carehard.jobs.exposure import ScanJob, verdict_lines


@cli.group()
def exposure() -> None:
    """What the network really exposes: the ports of the inventory's hosts reachable from one of them."""


@exposure.command("scan")
@ansible_options
@inventory_option(required=True, declaring="the hosts, and carehard_exposure_allowed per group")
@click.option("--from", "vantage", required=True, metavar="HOST", help="The inventory host to probe from.")
@click.option("--ports", metavar="PORTS", help="TCP ports, e.g. 22,3389,5900-5903 (default: sensitive ones).")
@click.option("--limit", metavar="PATTERN", help="Only the inventory hosts matching this Ansible pattern.")
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 60),
    default=3.0,
    show_default=True,
    help="Seconds one port may take to answer.",
)
@click.option(
    "--rate", type=click.IntRange(1, 10000), default=100, show_default=True, help="Connections per second."
)
@click.option(
    "--method",
    type=click.Choice(["auto", "nmap", "connect"]),
    default="auto",
    show_default=True,
    help="nmap when the vantage host has it (auto), or carehard's own TCP connections.",
)
@report_options
@metrics_option
def exposure_scan(
    inventory: Path,
    vantage: str,
    ports: str | None,
    limit: str | None,
    timeout: float,
    rate: int,
    method: str,
    output: Path,
    formats: str,
    metrics_file: Path | None,
    lang: str | None,
    verbosity: int,
) -> None:
    """From HOST, probe the TCP ports of the other inventory hosts (never anything else) and compare
    what answers with each host's carehard_exposure_allowed (control EX-NET-01).

    Exits 0 when nothing disallowed is reachable, 1 when something is, 3 when the vantage host or
    its probe broke.
    """
    options = ScanOptions(inventory, vantage, parse_ports(ports), limit, timeout, rate, method)
    where = outputs(output, formats, metrics_file, lang, verbosity)
    plan = plan_scan(options)
    for name, why in plan.skipped:
        err.print(f"carehard: {name} not scanned: {why}", markup=False, highlight=False, soft_wrap=True)
    err.print(
        f"scanning {len(plan.targets)} hosts x {len(options.ports)} TCP ports from {plan.vantage.name}"
        f" (at most {rate}/s, within {plan.bound:g} s)",
        markup=False,
        highlight=False,
    )
    job = ScanJob(plan)
    result = run(job, where)
    for line in verdict_lines(result.run):
        say(line)
    if job.problem:
        complain(job.problem)
    print_files_and_notes(result)
    sys.exit(result.exit_code)
