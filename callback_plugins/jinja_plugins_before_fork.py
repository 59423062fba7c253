"""Load the Jinja filter and test plugins once, in ansible-playbook's own process, before it forks a
worker per task and host. ansible-core loads them lazily, on the first filter a process meets; the
main process of a play meets none, so each worker loaded them all again (every role's
filter_plugins file, read and compiled): 60 ms of control-node CPU per task, a quarter of an audit's
(issue 25; docs/performance.md). Loaded here, the workers inherit them. Changes nothing else: if a
later ansible-core has no such loader, it does nothing."""

from __future__ import annotations

from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: jinja_plugins_before_fork
type: aggregate
short_description: load the Jinja filter and test plugins before the workers fork
description:
  - Loads the filter and test plugins in the main process at each play's start, so that the
    per-task worker processes inherit them instead of loading them each.
"""


class CallbackModule(CallbackBase):  # type: ignore[misc]
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "jinja_plugins_before_fork"
    CALLBACK_NEEDS_ENABLED = False

    def v2_playbook_on_play_start(self, play: Any) -> None:
        try:
            from ansible.plugins.loader import filter_loader, test_loader

            # Any name: the lookup loads every plugin file first (the cost), then finds the one.
            filter_loader.get("default")
            test_loader.get("match")
        except Exception:  # an optimisation must never cost a run
            pass
