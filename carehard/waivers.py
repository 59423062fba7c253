"""The waivers an inventory declares (carehard_waivers), checked before anything runs: against
carehard/config/schemas/waivers.yml, then here for what a schema cannot say (the ID is a control of
the catalog, the expiry a real calendar date, the hosts a waiver names can see it).

The carehard role reads each host's own carehard_waivers and stops the host at its first bad entry,
so a mistake found there turns every control of the host into `error`: found here, it is one line.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any

from carehard.config import validate
from carehard.engine.inventory import InventoryHost
from carehard.errors import UsageError
from carehard.placement import each_distinct, first_blind

VARIABLE = "carehard_waivers"


def check_waivers(hosts: Sequence[InventoryHost], control_ids: Collection[str], where: str) -> None:
    """Every host's carehard_waivers, each distinct value once; `where` names the inventory."""
    for host, value in each_distinct(hosts, lambda h: h.vars.get(VARIABLE)):
        of_host = f"{where}, host {host.name}"
        validate({VARIABLE: value}, "waivers", of_host)
        for index, waiver in enumerate(value):
            problem = waiver_problem(waiver, control_ids)
            if problem:
                raise UsageError(f"{of_host}: {VARIABLE}[{index}] (id {waiver['id']}): {problem}")
    _check_scopes(hosts, where)


def waiver_problem(waiver: Mapping[str, Any], control_ids: Collection[str]) -> str | None:
    """What a schema cannot say about one waiver, or None."""
    if waiver["id"] not in control_ids:
        return f"{waiver['id']} is not a control of the catalog (carehard controls list)"
    expiry = str(waiver["expiry"])
    try:
        date.fromisoformat(expiry)
    except ValueError:
        return f"expiry '{expiry}' is not a calendar date YYYY-MM-DD"
    return None


def _check_scopes(hosts: Sequence[InventoryHost], where: str) -> None:
    """A waiver naming a host (or a group) of the inventory that does not see that waiver never applies
    there: it was declared for another group than the hosts it names."""
    seen: dict[str, set[str]] = {}  # each distinct waiver: the hosts that see it
    first: dict[str, tuple[str, int, Mapping[str, Any]]] = {}  # where it is first declared
    for host in hosts:
        for index, waiver in enumerate(host.vars.get(VARIABLE) or []):
            key = json.dumps(waiver, sort_keys=True, default=str)
            seen.setdefault(key, set()).add(host.name)
            first.setdefault(key, (host.name, index, waiver))
    for key, seeing in seen.items():
        declared_on, index, waiver = first[key]
        covered = set(_names(waiver.get("hosts"))) | set(_names(waiver.get("group")))
        blind = first_blind(hosts, covered, seeing)
        if blind is not None:
            raise UsageError(
                f"{where}, host {declared_on}: {VARIABLE}[{index}] (id {waiver['id']}) covers host {blind},"
                f" which does not see it (each host reads its own {VARIABLE}): declare it in"
                f" group_vars/all.yml, or for a group of {blind}"
            )


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]
