"""Errors a user can fix: the CLI prints them on one line and exits 2."""


class UsageError(Exception):
    """Bad input or configuration, named so the user knows what to fix."""


class RunBroken(Exception):
    """ansible-playbook stopped before any host ran (syntax, configuration): the CLI exits 2."""


class HistoryError(Exception):
    """The history cannot be read or written (damaged, read-only, disk full): one line saying so."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (systemd stopping the unit, `timeout`) stopped a run: handled like Ctrl-C, exit 143."""
