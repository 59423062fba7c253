"""Shell completion (Click's: `_CAREHARD_COMPLETE=bash_source carehard`): control IDs for --only,
--skip and `controls show`, after a comma too, and family names for --family."""

from __future__ import annotations

import click
from click.shell_completion import CompletionItem, FishComplete, add_completion_class

from carehard.catalog import Control, load_catalog_unchecked
from carehard.engine.selection import AUDIT_FAMILIES


def selected_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """--only/--skip: the IDs audit and harden run. `WL-SSH-01,WL-S` completes the last ID of the
    comma list (to the whole list: the shell replaces the word), leaving out those already there."""
    head, _, last = incomplete.rpartition(",")
    given = {part.strip().upper() for part in head.split(",")}
    return [
        CompletionItem(f"{head},{c.id}" if head else c.id, help=c.title)
        for c in _controls_starting(last, AUDIT_FAMILIES)
        if c.id not in given
    ]


def any_control_id(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """`controls show`: every ID of the catalog."""
    return [CompletionItem(c.id, help=c.title) for c in _controls_starting(incomplete)]


def family_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return [
        CompletionItem(name, help=title)
        for name, title in sorted(load_catalog_unchecked().families.items())
        if name.startswith(incomplete.lower())
    ]


def _controls_starting(prefix: str, families: tuple[str, ...] = ()) -> list[Control]:
    wanted = prefix.strip().upper()
    return [
        c
        for c in load_catalog_unchecked().all()
        if c.id.startswith(wanted) and (not families or c.family in families)
    ]


class CommaSafeFishComplete(FishComplete):
    """Click's fish script splits each answer on every comma, cutting `WL-SSH-01,WL-SSH-02` to its
    first ID: split on the first comma only (the one after the type)."""

    source_template = FishComplete.source_template.replace(
        'string split "," $completion', 'string split -m 1 "," $completion'
    )


add_completion_class(CommaSafeFishComplete)
