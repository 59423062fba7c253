"""carehard's command line. Click commands only: parse, call, print."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from carehard import __version__
from carehard.catalog import CatalogError, load_catalog
from carehard.cli.progress import RunProgress
from carehard.engine.lock import locked, run_lock
from carehard.engine.selection import DEFAULT_LEVEL, Selection, parse_ids, select_controls
from carehard.errors import RunBroken, UsageError
from carehard.jobs.assess import AssessOptions, assess
from carehard.model import EXIT_USAGE
from carehard.report import parse_formats

out = Console()
err = Console(stderr=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="carehard")
def cli() -> None:
    """Harden health and care establishments' machines, close vendor back doors, prove backups restore.

    Controls follow the CaRE programme, ANSSI's guides and the CIS benchmarks. Exit codes: 0 all
    pass, 1 some control failed, 2 usage or configuration error, 3 unreachable host or task error.
    """


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

        out.print(controls_table(chosen))


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


_metrics_option = click.option(
    "--metrics-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write Prometheus metrics here (node_exporter textfile collector), replaced whole.",
)


def _selection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "-i",
            "--inventory",
            type=click.Path(path_type=Path),
            help="Ansible inventory file or directory. Without it: the local machine.",
        ),
        click.option("--limit", metavar="PATTERN", help="Only hosts matching this Ansible pattern."),
        click.option("--only", multiple=True, metavar="IDS", help="Only these control IDs (comma list)."),
        click.option(
            "--skip", multiple=True, metavar="IDS", help="Leave out these control IDs (comma list)."
        ),
        click.option(
            "--level",
            type=click.IntRange(1, 3),
            default=DEFAULT_LEVEL,
            show_default=True,
            help="1 minimal, 2 intermediary, 3 enhanced (ANSSI levels).",
        ),
        _metrics_option,
    ]
    command = _report_options(command)
    for option in reversed(options):
        command = option(command)
    return command


def _report_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--output DIR and --format LIST, as every command that writes reports takes them."""
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


@cli.command()
@_selection_options
@locked("audit")
def audit(**kwargs: Any) -> None:
    """Check the controls in check mode: changes nothing, writes the reports."""
    _assess("audit", allow_local=True, **kwargs)


@cli.command()
@_selection_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--local", "allow_local", is_flag=True, help="Allow hardening this very machine.")
def harden(yes: bool, allow_local: bool, **kwargs: Any) -> None:
    """Apply the controls, then audit what changed. Asks first unless --yes."""
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("harden changes hosts: confirm with --yes when not run from a terminal")
        target = kwargs["inventory"] or "this machine"
        click.confirm(f"Harden the hosts of {target}?", abort=True)
    # Locked once confirmed: a harden waiting at its prompt does not hold back the nightly audit.
    with run_lock("harden"):
        _assess("harden", allow_local=allow_local, **kwargs)


def _assess(
    mode: str,
    allow_local: bool,
    inventory: Path | None,
    limit: str | None,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    level: int,
    output: Path,
    formats: str,
    metrics_file: Path | None = None,
) -> None:
    from carehard import metrics, notify

    if metrics_file is not None:
        metrics.check_target(metrics_file)
    alerts = notify.load_settings(inventory)
    selection = Selection(level=level, only=parse_ids(only), skip=parse_ids(skip), limit=limit)
    options = AssessOptions(mode, inventory, selection, output, tuple(parse_formats(formats)), allow_local)
    count = len(select_controls(load_catalog(), selection))
    if err.is_terminal:
        with RunProgress(err, mode, count) as progress:
            result = assess(options, progress.task_started, progress.result)
    else:
        result = assess(options)
    from carehard.cli.display import findings_table, run_summary

    out.print(run_summary(result.run))
    findings = findings_table(result.run)
    if findings is not None:
        out.print(findings)
    for path in result.report_files:
        out.print(f"report: {path}")
    _write_metrics(metrics_file, result.run)
    _notify(alerts, result.run, result.report_files)
    sys.exit(result.exit_code)


def _warn(message: str) -> None:
    """One line on stderr, however long: a warning is read by people and by log scrapers alike."""
    err.print(f"carehard: warning: {message}", markup=False, highlight=False, soft_wrap=True)


def _write_metrics(path: Path | None, run: Any, checks: Any = ()) -> None:
    """A metrics file that cannot be written is a warning: the exit code stays the checks'."""
    if path is None:
        return
    from carehard import metrics

    try:
        metrics.write_run_metrics(path, run, checks)
    except OSError as exc:
        _warn(f"metrics not written to {path}: {exc.strerror or exc}")
    else:
        out.print(f"metrics: {path}")


def _notify(settings: Any, run: Any, report_files: Any) -> None:
    """Alerts after the run (docs/notify.md): a channel that fails is a warning, never the exit code."""
    from carehard.notify import notify_run

    for delivery in notify_run(settings, run, report_files):
        if delivery.ok:
            out.print(f"notified: {delivery.text}", markup=False, highlight=False, soft_wrap=True)
        else:
            _warn(f"notification by {delivery.channel} failed: {delivery.text}")


@cli.command()
@click.option("-i", "--inventory", type=click.Path(path_type=Path), help="Inventory to check the hosts of.")
@click.option("--limit", metavar="PATTERN", help="Only hosts matching this Ansible pattern.")
def doctor(inventory: Path | None, limit: str | None) -> None:
    """Pre-flight: this machine's tools, then each host's reachability, host key, login, python3, sudo.

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


@cli.command()
@click.option(
    "-i",
    "--inventory",
    type=click.Path(path_type=Path),
    help="Ansible inventory file or directory. Without it: the local machine.",
)
@click.option("--limit", metavar="PATTERN", help="Only hosts matching this Ansible pattern.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the CSV or JSON to this file (replaced whole; CSV with a byte order mark for Excel).",
)
@click.option(
    "--from-history", is_flag=True, help="Print each host's newest facts from the history; run nothing."
)
def facts(
    inventory: Path | None, limit: str | None, fmt: str, output: Path | None, from_history: bool
) -> None:
    """The fleet inventory, one row per host: system and end of support, pending security updates,
    exposed services, reachability from the last exposure scan, detection agents, administrators,
    disk encryption, domain, time sync: the cartography a CaRE file asks for (CSV for spreadsheets).

    Collects the facts read-only (check mode) on the inventory's hosts, or on this machine without
    -i, and records the run. Exits 0, 1 when a fleet control failed, 3 when a host was unreachable.
    """
    from carehard.report import fleet

    if output is not None and fmt == "table":
        raise UsageError("--output writes CSV or JSON: give --format csv or --format json")
    run = None
    if from_history:
        rows = fleet.stored_rows(inventory, limit)
    else:
        if err.is_terminal:
            with RunProgress(err, "facts", fleet.facts_controls()) as progress:
                result = fleet.collect(inventory, limit, progress.task_started, progress.result)
        else:
            result = fleet.collect(inventory, limit)
        run = result.run
        rows = fleet.collected_rows(run)
    if fmt == "table":
        from carehard.cli.display import findings_table

        if rows:
            out.print(fleet.fleet_table(rows))
        else:
            out.print("no fleet facts in the history yet: run carehard facts")
        findings = findings_table(run) if run is not None else None
        if findings is not None:
            out.print(findings)
    else:
        text = fleet.render_json(rows) if fmt == "json" else fleet.render_csv(rows, bom=output is not None)
        if output is not None:
            fleet.write_atomic(output, text)
            err.print(f"facts: {output}", markup=False, highlight=False)
        else:
            click.echo(text, nl=False)
    if run is not None:
        err.print(
            f"carehard facts: run {run.id}, {len(run.hosts)} host(s), exit code {run.exit_code}",
            markup=False,
            highlight=False,
        )
        sys.exit(run.exit_code)


@cli.group()
def vendor() -> None:
    """Time-boxed vendor access: open a window through the bastion, close it, list windows."""


def _inventory_option(
    required: bool, declaring: str = "carehard_vendors and carehard_bastions"
) -> Callable[..., Any]:
    return click.option(
        "-i",
        "--inventory",
        type=click.Path(path_type=Path),
        required=required,
        help=f"Ansible inventory declaring {declaring}.",
    )


@vendor.command("open")
@click.argument("name")
@_inventory_option(required=True)
@click.option("--host", metavar="HOST", help="The host the vendor maintains now.")
@click.option("--group", metavar="GROUP", help="Every host of this inventory group.")
@click.option("--for", "duration", metavar="DURATION", help="How long, e.g. 30m, 4h (at most max_window).")
@click.option("--reason", default="", help="Why (a ticket number): recorded in the history.")
def vendor_open(
    name: str, inventory: Path, host: str | None, group: str | None, duration: str | None, reason: str
) -> None:
    """Open NAME's access for a bounded time: keys with expiry-time and from= the bastions, account expiry."""
    from carehard.vendors import plan_window

    window = plan_window(inventory, name, "open", host, group, duration, reason)
    _finish_window(inventory, window)


@vendor.command("close")
@click.argument("name")
@_inventory_option(required=True)
@click.option("--host", metavar="HOST", help="Only this host (default: every host the vendor maintains).")
@click.option("--group", metavar="GROUP", help="Only the hosts of this group.")
def vendor_close(name: str, inventory: Path, host: str | None, group: str | None) -> None:
    """End NAME's window now: lock and expire the account, remove its keys, end its sessions."""
    from carehard.vendors import plan_window

    window = plan_window(inventory, name, "close", host, group)
    _finish_window(inventory, window)


def _finish_window(inventory: Path, window: Any) -> None:
    from carehard.jobs.vendor_window import apply_window
    from carehard.vendors import iso

    result = apply_window(inventory, window)
    if result.done:
        if window.action == "open":
            out.print(
                f"vendor {window.vendor.name}: window open on {', '.join(result.done)} "
                f"until {iso(window.end)} (account {window.vendor.account})",
                markup=False,
                highlight=False,
            )
        else:
            out.print(
                f"vendor {window.vendor.name}: window closed on {', '.join(result.done)}",
                markup=False,
                highlight=False,
            )
    for name, why in result.failed.items():
        err.print(f"carehard: error: {name}: {why}", markup=False, highlight=False, soft_wrap=True)
    if result.failed:
        sys.exit(3)


@vendor.command("list")
@_inventory_option(required=False)
@click.option("--all", "show_all", is_flag=True, help="Also the past windows: who opened them, when, why.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def vendor_list(inventory: Path | None, show_all: bool, fmt: str) -> None:
    """The open vendor windows with the time left; with --all, every window in the history.

    With -i, only the windows on the hosts of that inventory.
    """
    from datetime import UTC, datetime

    from carehard.cli.display import windows_table
    from carehard.engine.inventory import list_hosts
    from carehard.history import History
    from carehard.paths import history_path
    from carehard.vendors import iso

    now = iso(datetime.now(UTC))
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
    out.print(windows_table(windows, now))


@cli.group()
def backup() -> None:
    """Offline backups: real restic restore tests against each application's RPO and RTO."""


@backup.command("verify")
@_inventory_option(required=True, declaring="carehard_backup_sets")
@click.option("--set", "sets", multiple=True, metavar="NAME", help="Only this backup set (repeatable).")
@click.option("--read-data", is_flag=True, help="Read every data pack in restic check, not the set's sample.")
@_report_options
@_metrics_option
@locked("backup verify")
def backup_verify(
    inventory: Path,
    sets: tuple[str, ...],
    read_data: bool,
    output: Path,
    formats: str,
    metrics_file: Path | None,
) -> None:
    """Restore-test every backup set: repository, snapshot age, check, restore, canary, RTO, isolation.

    For a scheduler: exits 0 when every set passes, 1 when a set fails, 3 on an error.
    """
    from carehard import metrics, notify
    from carehard.cli.display import backup_checks_table, findings_table
    from carehard.jobs.backup_verify import VerifyOptions, verify

    if metrics_file is not None:
        metrics.check_target(metrics_file)
    alerts = notify.load_settings(inventory)
    options = VerifyOptions(inventory, sets, read_data, output, tuple(parse_formats(formats)))
    if err.is_terminal:
        count = len([c for c in load_catalog().all() if c.family == "backup_verify"])
        with RunProgress(err, "backup verify", count) as progress:
            result = verify(options, progress.task_started, progress.result)
    else:
        result = verify(options)
    out.print(backup_checks_table(result.checks, title=f"carehard backup verify {result.run.id}"))
    findings = findings_table(result.run)
    if findings is not None:
        out.print(findings)
    for path in result.report_files:
        out.print(f"report: {path}")
    _write_metrics(metrics_file, result.run, result.checks)
    _notify(alerts, result.run, result.report_files)
    sys.exit(result.exit_code)


@backup.command("canary")
@_inventory_option(required=True, declaring="carehard_backup_sets")
@click.option("--set", "set_name", required=True, metavar="NAME", help="The backup set.")
def backup_canary(inventory: Path, set_name: str) -> None:
    """Write the set's canary file (random content, time recorded) on its source host, before a backup."""
    from carehard.jobs.canary import write_canary

    result = write_canary(inventory, set_name)
    if result.record is None:
        message = f"carehard: error: {set_name}: {result.problem}"
        err.print(message, markup=False, highlight=False, soft_wrap=True)
        sys.exit(3)
    record = result.record
    out.print(
        f"canary of {set_name} written on {record.host}:{record.path} at {record.written_at}"
        f" (sha256 {record.sha256[:16]}…); the next backup must carry it",
        markup=False,
        highlight=False,
    )


@backup.command("history")
@click.option("--set", "set_name", metavar="NAME", help="Only this backup set.")
@click.option("--last", type=click.IntRange(min=1), default=30, show_default=True, help="Per set.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def backup_history(set_name: str | None, last: int, fmt: str) -> None:
    """The trend of the verifications: snapshot age, check, restore time and throughput per night."""
    from carehard.cli.display import backup_checks_table
    from carehard.history import History
    from carehard.paths import history_path

    checks = History(history_path()).backup_checks(set_name, last)
    if fmt == "json":
        click.echo(json.dumps([vars(c) for c in checks], indent=2, ensure_ascii=False))
        return
    if not checks:
        out.print(f"no verification of {set_name} in the history" if set_name else "no verification yet")
        return
    out.print(backup_checks_table(checks))


@cli.group(invoke_without_command=True)
@click.option("--run", "run_id", metavar="ID", help="This run of the history (see `carehard runs list`).")
@click.option("--last", is_flag=True, help="The newest run of the history (the default).")
@click.option(
    "--artifacts",
    type=click.Path(path_type=Path),
    help="An ansible-runner artifacts directory (AWX, ansible-navigator, ansible-runner).",
)
@_report_options
@click.pass_context
def report(
    ctx: click.Context, run_id: str | None, last: bool, artifacts: Path | None, output: Path, formats: str
) -> None:
    """Write the reports of a past run: from the history, or from a run's ansible-runner artifacts."""
    if ctx.invoked_subcommand is not None:
        return
    from carehard.jobs.report_source import load_run
    from carehard.report import build_report, write_reports

    if sum(bool(x) for x in (run_id, last, artifacts)) > 1:
        raise UsageError("give one of --run, --last and --artifacts")
    chosen = tuple(parse_formats(formats))
    source = load_run(run_id, artifacts)
    report = build_report(
        source.run, load_catalog(), source.backups, source.trend, fleet=source.fleet, exposure=source.exposure
    )
    files = write_reports(report, output, chosen)
    from carehard.cli.display import run_summary

    out.print(run_summary(source.run))
    for path in files:
        out.print(f"report: {path}")


@report.command("diff")
@click.argument("before")
@click.argument("after")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def report_diff(before: str, after: str, fmt: str) -> None:
    """What changed from run BEFORE to run AFTER: regressions, improvements, hosts added or gone.

    Exits 1 when a control regressed, for CI.
    """
    from carehard.cli.display import diff_table
    from carehard.jobs.report_source import load_history_run
    from carehard.report.diff import diff_runs

    result = diff_runs(load_history_run(before), load_history_run(after))
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        out.print(diff_table(result))
    if result.regressed:
        sys.exit(1)


@report.command("evidence")
@click.option("--care", is_flag=True, required=True, help="The CaRE view (the only one so far).")
@click.option("--inventory", metavar="PATH", help="Only runs of this inventory (as given to -i).")
@click.option(
    "--objectives",
    type=click.Path(path_type=Path),
    help="YAML naming your CaRE objectives (e.g. D2.01.D) and the controls that support each.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def report_evidence(care: bool, inventory: str | None, objectives: Path | None, fmt: str) -> None:
    """Per CaRE domain: the controls that support it, their state across the fleet, the last restore tests."""
    from carehard.cli.display import care_tables
    from carehard.history import History
    from carehard.paths import history_path
    from carehard.report.care import care_evidence, load_objectives

    catalog = load_catalog()
    chosen = load_objectives(objectives, catalog) if objectives is not None else None
    evidence = care_evidence(History(history_path()), catalog, inventory, chosen)
    if fmt == "json":
        click.echo(json.dumps(evidence.as_dict(), indent=2, ensure_ascii=False))
        return
    for table in care_tables(evidence):
        out.print(table)


@cli.group()
def runs() -> None:
    """The runs in the history."""


@runs.command("list")
@click.option("--last", type=click.IntRange(min=1), default=20, show_default=True, help="How many runs.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def runs_list(last: int, fmt: str) -> None:
    """The newest runs: id, mode, dates, inventory, exit code and counts per status."""
    from carehard.cli.display import runs_table
    from carehard.history import History
    from carehard.paths import history_path

    summaries = History(history_path()).runs(last)
    if fmt == "json":
        click.echo(json.dumps([dict(vars(s), pass_rate=s.pass_rate) for s in summaries], indent=2))
        return
    if not summaries:
        out.print("no run in the history yet")
        return
    out.print(runs_table(summaries))


@cli.group()
def exposure() -> None:
    """What the network really exposes: the ports of the inventory's hosts reachable from one of them."""


@exposure.command("scan")
@_inventory_option(required=True, declaring="the hosts, and carehard_exposure_allowed per group")
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
@_report_options
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
) -> None:
    """From HOST, probe the TCP ports of the other inventory hosts (never anything else) and compare
    what answers with each host's carehard_exposure_allowed (control EX-NET-01).

    Exits 0 when nothing disallowed is reachable, 1 when something is, 3 when the vantage host or
    its probe broke.
    """
    from carehard.exposure import ScanOptions, parse_ports, plan_scan, run_scan, verdict_lines

    options = ScanOptions(
        inventory, vantage, parse_ports(ports), limit, timeout, rate, method, output,
        tuple(parse_formats(formats)),
    )  # fmt: skip
    plan = plan_scan(options)
    for name, why in plan.skipped:
        err.print(f"carehard: {name} not scanned: {why}", markup=False, highlight=False, soft_wrap=True)
    err.print(
        f"scanning {len(plan.targets)} hosts x {len(options.ports)} TCP ports from {plan.vantage.name}"
        f" (at most {rate}/s, within {plan.bound:g} s)",
        markup=False,
        highlight=False,
    )
    result = run_scan(plan)
    for line in verdict_lines(result.run):
        out.print(line, markup=False, highlight=False, soft_wrap=True)
    if result.problem:
        err.print(f"carehard: error: {result.problem}", markup=False, highlight=False, soft_wrap=True)
    for path in result.report_files:
        out.print(f"report: {path}", markup=False, highlight=False)
    sys.exit(result.exit_code)


@cli.group()
def schedule() -> None:
    """Scheduled runs of audit and backup-verify: systemd timers, or cron where systemd is absent."""


@schedule.command("install")
@click.argument("job")
@click.argument("extra", nargs=-1, type=click.UNPROCESSED, metavar="[-- JOB OPTIONS]")
@click.option("--at", metavar="HH:MM", help="Time of day (default: backup-verify 02:30, audit 03:00).")
@click.option("--daily", "every", flag_value="daily", help="Every day (backup-verify's default).")
@click.option("--weekly", "every", flag_value="weekly", help="Once a week (audit's default).")
@click.option("--day", metavar="mon..sun", help="The day of --weekly (default: sun).")
@click.option(
    "-i", "--inventory", type=click.Path(path_type=Path), help="Inventory (audit: none = this machine)."
)
@click.option("--user", metavar="USER", help="Account the job runs as (default: you); its ~/.ssh is used.")
@click.option("--output", type=click.Path(path_type=Path), help="Report directory of each run.")
@_metrics_option
@click.option(
    "--timeout",
    default="4h",
    show_default=True,
    metavar="DURATION",
    help="A run still going after this is stopped.",
)
@click.option(
    "--method",
    type=click.Choice(["auto", "systemd", "cron"]),
    default="auto",
    show_default=True,
    help="auto: systemd when it runs here, else cron.",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the units (or cron file) and the commands; write nothing."
)
def schedule_install(job: str, extra: tuple[str, ...], dry_run: bool, **options: Any) -> None:
    """Schedule JOB (audit or backup-verify); job options after --, e.g. -- --level 1 --set PACS.

    Reinstalling a job replaces its schedule.
    """
    import shlex

    from carehard.schedule import InstallRequest, apply, layout, plan_install

    request = InstallRequest(job=job, extra=extra, **options)
    installed_by = shlex.join(["carehard", *(arg for arg in sys.argv[1:] if arg != "--dry-run")])
    plan = plan_install(request, layout(), installed_by, dry_run, _check_job_args)
    for warning in plan.warnings:
        _warn(warning)
    if dry_run:
        for path, text in plan.write.items():
            click.echo(f"# {path}\n{text}")
        for command in plan.commands:
            click.echo(f"would run: {shlex.join(command)}")
        if plan.log is not None:
            click.echo(f"would create the log: {plan.log}")
        return
    apply(plan)
    for path in plan.write:
        click.echo(f"written: {path}")
    if plan.log is not None:
        click.echo(f"log: {plan.log}")
    for command in plan.commands:
        click.echo(f"ran: {shlex.join(command)}")
    click.echo(f"{job} scheduled ({plan.method}); see carehard schedule list")


def _check_job_args(argv: list[str]) -> None:
    """The scheduled command line must parse now, not fail in the night."""
    try:
        ctx = cli.make_context("carehard", list(argv))
        command: click.Command = cli
        while isinstance(command, click.Group):
            args = [*getattr(ctx, "_protected_args", []), *ctx.args]
            name, found, rest = command.resolve_command(ctx, args)
            if found is None or name is None:
                raise UsageError(f"the scheduled command would not run: {' '.join(argv)}")
            command = found
            ctx = command.make_context(name, rest, parent=ctx)
    except click.ClickException as exc:
        raise UsageError(f"the scheduled command would not run: {exc.format_message()}") from exc


@schedule.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def schedule_list(fmt: str) -> None:
    """The scheduled jobs: when, next run, last run and its result."""
    from carehard.schedule import layout, status_rows

    rows = status_rows(layout())
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        out.print("no carehard job scheduled here")
        return
    from rich.table import Table

    columns = ("job", "method", "when", "user", "next_run", "last_run", "last_result")
    table = Table(*(c.replace("_", " ") for c in columns))
    for row in rows:
        table.add_row(*(row[c] for c in columns))
    out.print(table)


@schedule.command("remove")
@click.argument("job")
@click.option("--dry-run", is_flag=True, help="Print what would be removed; remove nothing.")
def schedule_remove(job: str, dry_run: bool) -> None:
    """Disable JOB's timer (or cron file) and remove its files."""
    import shlex

    from carehard.schedule import apply, layout, plan_remove

    plan = plan_remove(job, layout())
    if not dry_run:
        apply(plan)
    for command in plan.commands:
        click.echo(f"{'would run' if dry_run else 'ran'}: {shlex.join(command)}")
    for path in plan.delete:
        click.echo(f"{'would remove' if dry_run else 'removed'}: {path}")
    for command in plan.after_delete:
        click.echo(f"{'would run' if dry_run else 'ran'}: {shlex.join(command)}")


def main() -> None:
    try:
        code = cli.main(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except (UsageError, CatalogError, RunBroken) as exc:
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
