"""Which controls a run covers: the level, --only and --skip, over the families that have roles."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from carehard.catalog import Catalog, Control
from carehard.errors import UsageError

DEFAULT_LEVEL = 2

# Families `audit` and `harden` run; the others run with their own command.
AUDIT_FAMILIES = ("workstation_linux", "workstation_windows", "remote_access", "compliance_facts")
COMMAND_OF_FAMILY = {"backup_verify": "carehard backup verify", "exposure_scan": "carehard exposure scan"}
# Families whose role exists: a catalog entry of another family is listed but never run.
IMPLEMENTED_FAMILIES = (*AUDIT_FAMILIES, *COMMAND_OF_FAMILY)


@dataclass(frozen=True)
class Selection:
    level: int = DEFAULT_LEVEL
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    limit: str | None = None
    families: tuple[str, ...] = field(default=AUDIT_FAMILIES)


def parse_ids(values: Iterable[str], option: str = "--only") -> tuple[str, ...]:
    """IDs given as repeated options and/or comma-separated lists, upper-cased, in order, once each.
    An option given with no ID in it (`--only ''`) is refused: it would silently select everything."""
    ids: list[str] = []
    for value in values:
        found = [part.strip().upper() for part in value.split(",") if part.strip()]
        if not found:
            raise UsageError(
                f"{option} {value!r} names no control: give IDs, e.g. {option} WL-SSH-01,WL-SSH-02"
            )
        ids.extend(cid for cid in found if cid not in ids)
    return tuple(ids)


def select_controls(catalog: Catalog, selection: Selection) -> list[Control]:
    """The controls to run. --only names controls explicitly, whatever their level."""
    for option, ids in (("--only", selection.only), ("--skip", selection.skip)):
        _check_known(catalog, option, ids)
    runnable = [c for c in catalog.all() if c.family in selection.families]
    if selection.only:
        not_runnable = [cid for cid in selection.only if catalog[cid].family not in selection.families]
        if not_runnable:
            family = catalog[not_runnable[0]].family
            if family in COMMAND_OF_FAMILY:
                raise UsageError(f"control {not_runnable[0]} is run by `{COMMAND_OF_FAMILY[family]}`")
            raise UsageError(f"control {not_runnable[0]} has no role yet: it cannot be run")
        chosen = [c for c in runnable if c.id in selection.only]
    else:
        chosen = [c for c in runnable if c.level <= selection.level]
    chosen = [c for c in chosen if c.id not in selection.skip]
    if not chosen:
        raise UsageError("no control left to run: check --level, --only and --skip")
    return chosen


def _check_known(catalog: Catalog, option: str, ids: Sequence[str]) -> None:
    for cid in ids:
        if cid not in catalog:
            raise UsageError(f"unknown control ID '{cid}' in {option}: see `carehard controls list`")
