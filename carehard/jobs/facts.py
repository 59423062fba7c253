"""`carehard facts`: the compliance_facts playbook, read-only (check mode), on the inventory or on
this machine, recorded as a run of mode "facts"; its rows are the fleet inventory (report.fleet)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from carehard.catalog import Catalog
from carehard.engine.inventory import list_hosts
from carehard.engine.lock import HOSTS
from carehard.engine.selection import Selection
from carehard.errors import UsageError
from carehard.history import History
from carehard.jobs.assess import AssessJob
from carehard.jobs.pipeline import Policy
from carehard.paths import history_path
from carehard.report.fleet import history_rows

PLAYBOOK = "compliance_facts.yml"
FAMILY = "compliance_facts"


class FactsJob(AssessJob):
    def __init__(self, inventory: Path | None, limit: str | None) -> None:
        selection = Selection(level=3, limit=limit, families=(FAMILY,))
        super().__init__(
            "facts", inventory, selection, playbook=PLAYBOOK, policy=Policy(HOSTS, reports=False)
        )

    def prepare(self, catalog: Catalog) -> None:
        if not facts_controls(catalog):
            raise UsageError(f"the catalog has no {FAMILY} control: this carehard cannot collect facts")
        super().prepare(catalog)


def facts_controls(catalog: Catalog) -> int:
    """How many controls the job runs (for the progress display)."""
    return len([c for c in catalog.all() if c.family == FAMILY])


def stored_rows(inventory: Path | None = None, limit: str | None = None) -> list[dict[str, Any]]:
    """`carehard facts --from-history`: the rows of every host in the history, or of the inventory's
    hosts (after --limit) when one is given."""
    hosts = None
    if inventory is not None:
        hosts = {h.name for h in list_hosts(inventory, limit)}
    elif limit:
        raise UsageError("--limit with --from-history needs -i: the pattern is resolved in the inventory")
    return history_rows(History(history_path()), hosts)
