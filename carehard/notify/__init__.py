"""Alerts after a run: where their settings come from, whether this run calls for one, and its
delivery on every channel. A channel that fails is a warning: the run's exit code stays the checks'.

`carehard_notify` comes whole from the inventory (a variable of group `all`) when it declares it,
else from the config file (carehard.config). See docs/notify.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from carehard.config import config_section
from carehard.engine.inventory import InventoryHost, list_hosts
from carehard.history import History
from carehard.model import RunRecord
from carehard.notify.email import send_email
from carehard.notify.message import Alert, alert_kind, build_alert, outcome_of, previous_run
from carehard.notify.settings import NotifySettings, parse_notify
from carehard.notify.syslog import send_syslog
from carehard.notify.transport import ChannelFailed
from carehard.notify.webhook import send_webhook
from carehard.paths import history_path

VARIABLE = "carehard_notify"


@dataclass(frozen=True)
class Delivery:
    channel: str
    ok: bool
    text: str  # "email (2 recipients)", or why it failed


def load_settings(
    inventory: Path | None = None, hosts: Sequence[InventoryHost] | None = None
) -> NotifySettings | None:
    """The alert settings, validated; None when neither the inventory nor a config file has any.
    `hosts`: the inventory as the run listed it already (a variable of `all` is on each of them)."""
    if inventory is not None:
        for host in list_hosts(inventory) if hosts is None else hosts:
            if VARIABLE in host.vars:
                return parse_notify(host.vars[VARIABLE], f"inventory {inventory}")
    raw, path = config_section(VARIABLE)
    if raw is None:
        return None
    return parse_notify(raw, f"config {path}")


def alert_for(
    settings: NotifySettings,
    run: RunRecord,
    report_files: Sequence[Path | str],
    history: History | None = None,
    lang: str = "en",
) -> Alert | None:
    """The alert this run calls for, compared with the previous run of its kind; None for none."""
    history = history or History(history_path())
    previous = previous_run(history, run)
    kind = alert_kind(
        settings.when, outcome_of(run.exit_code), outcome_of(previous.exit_code) if previous else None
    )
    if kind is None:
        return None
    return build_alert(kind, run, report_files, previous, settings.secrets(), lang)


def deliver(settings: NotifySettings, alert: Alert) -> list[Delivery]:
    """Try every channel in turn, each bounded by its own timeout."""
    channels: list[tuple[str, Callable[[], str]]] = []
    if settings.email is not None:
        email = settings.email
        channels.append(("email", lambda: send_email(email, alert)))
    if settings.syslog is not None:
        syslog = settings.syslog
        channels.append(("syslog", lambda: send_syslog(syslog, alert)))
    if settings.webhook is not None:
        webhook = settings.webhook
        channels.append(("webhook", lambda: send_webhook(webhook, alert)))
    done = []
    for name, send in channels:
        try:
            done.append(Delivery(name, True, send()))
        except ChannelFailed as exc:
            done.append(Delivery(name, False, alert.clean(str(exc))))
        except Exception as exc:  # a channel's bug must not cost the run its exit code
            done.append(Delivery(name, False, f"unexpected {exc.__class__.__name__}"))
    return done


def notify_run(
    settings: NotifySettings | None, run: RunRecord, report_files: Sequence[Path | str], lang: str = "en"
) -> list[Delivery]:
    """Alert on this run if it calls for it; what each channel did (nothing sent: empty)."""
    if settings is None:
        return []
    try:
        alert = alert_for(settings, run, report_files, lang=lang)
    except Exception as exc:  # e.g. the history cannot be read: say so, keep the exit code
        return [Delivery("alert", False, f"cannot decide on an alert: {exc.__class__.__name__}: {exc}")]
    return deliver(settings, alert) if alert is not None else []
