"""Where an inventory variable is declared, told from the merged variables of the listed hosts.

Some plays read a declaration from one place only (the backup play reads carehard_backup_sets on the
controller, which sees the variables of `all` and nothing else): a declaration made for another group
passes every check of its content, then does nothing. These helpers name where it was found, so the
refusal can say where it must go instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from carehard.engine.inventory import InventoryHost
from carehard.errors import UsageError

SHOWN_HOSTS = 3


def found_on(having: Sequence[InventoryHost], hosts: Sequence[InventoryHost]) -> str:
    """`group linux_workstations` when the hosts `having` the variable are exactly that group's hosts
    (the smallest such group), else `hosts a, b, c and 4 more`."""
    names = {h.name for h in having}
    members: dict[str, set[str]] = {}
    for host in hosts:
        for group in host.groups:
            members.setdefault(group, set()).add(host.name)
    exact = sorted(group for group, hosts_of in members.items() if hosts_of == names)
    if exact:
        return f"group {exact[0]}" if len(exact) == 1 else f"group {exact[0]} (or {', '.join(exact[1:])})"
    return "hosts " + shown_names(sorted(names))


def first_blind(hosts: Sequence[InventoryHost], covered: set[str], seeing: set[str]) -> str | None:
    """The first host a declaration covers (by its name or one of its groups) that does not see it."""
    return next(
        (h.name for h in hosts if (h.name in covered or covered & set(h.groups)) and h.name not in seeing),
        None,
    )


def each_distinct(
    hosts: Sequence[InventoryHost], value_of: Callable[[InventoryHost], Any]
) -> Iterator[tuple[InventoryHost, Any]]:
    """Each distinct value the hosts hold (None: none held), with the first host holding it: most
    hosts share their group's value, which is then checked once."""
    seen: set[str] = set()
    for host in hosts:
        value = value_of(host)
        if value is None:
            continue
        fingerprint = json.dumps(value, sort_keys=True, default=str)
        if fingerprint not in seen:
            seen.add(fingerprint)
            yield host, value


def shown_names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:SHOWN_HOSTS])
    return shown if len(names) <= SHOWN_HOSTS else f"{shown} and {len(names) - SHOWN_HOSTS} more"


def require_on_all(variable: str, hosts: Sequence[InventoryHost], where: str, reader: str) -> None:
    """Refuse a `variable` that some hosts have and others lack, or that differs between hosts: the
    play (`reader`) sees only what is declared for `all`."""
    having = [h for h in hosts if h.vars.get(variable) is not None]
    if not having:
        return
    if len(having) < len(hosts):
        raise UsageError(
            f"{where}: {variable} is declared for {found_on(having, hosts)} only, and {reader}: move it"
            " to group_vars/all.yml (or `all: vars:` in the hosts file)"
        )
    values: dict[str, list[InventoryHost]] = {}
    for host in hosts:
        values.setdefault(json.dumps(host.vars[variable], sort_keys=True, default=str), []).append(host)
    if len(values) > 1:
        smallest = min(values.values(), key=len)
        raise UsageError(
            f"{where}: {variable} has another value for {found_on(smallest, hosts)} than for the other"
            f" hosts, and {reader}: declare it once, in group_vars/all.yml"
        )
