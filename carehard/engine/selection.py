"""Which controls a run covers: the level, --only and --skip (IDs or patterns), over the families that
have roles."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from carehard.catalog import Catalog, Control, is_pattern
from carehard.errors import UsageError

DEFAULT_LEVEL = 2

# Families `audit` and `harden` run; the others run with their own command.
AUDIT_FAMILIES = (
    "workstation_linux",
    "workstation_windows",
    "remote_access",
    "compliance_facts",
    "directory_audit",
)
COMMAND_OF_FAMILY = {"backup_verify": "carehard backup verify", "exposure_scan": "carehard exposure scan"}
# Families whose role exists: a catalog entry of another family is listed but never run.
IMPLEMENTED_FAMILIES = (*AUDIT_FAMILIES, *COMMAND_OF_FAMILY)


@dataclass(frozen=True)
class Selection:
    level: int = DEFAULT_LEVEL
    only: tuple[str, ...] = ()  # IDs and patterns (WL-SSH-*), upper-case, as parse_ids gives them
    skip: tuple[str, ...] = ()
    limit: str | None = None
    families: tuple[str, ...] = field(default=AUDIT_FAMILIES)


def parse_ids(values: Iterable[str], option: str = "--only") -> tuple[str, ...]:
    """IDs or patterns given as repeated options and/or comma-separated lists, upper-cased, in order,
    once each. An option given with nothing in it (`--only ''`) is refused: it would silently select
    everything."""
    ids: list[str] = []
    for value in values:
        found = [part.strip().upper() for part in value.split(",") if part.strip()]
        if not found:
            raise UsageError(
                f"{option} {value!r} names no control: give IDs or patterns,"
                f" e.g. {option} WL-SSH-01,WL-SSH-02 or {option} 'WL-SSH-*'"
            )
        ids.extend(cid for cid in found if cid not in ids)
    return tuple(ids)


def select_controls(catalog: Catalog, selection: Selection) -> list[Control]:
    """The controls to run. --only names controls explicitly, whatever their level; a pattern in it
    selects the controls it matches in the families run (a pattern naming only others is refused)."""
    only = _matches(catalog, "--only", selection.only)
    skip = _matches(catalog, "--skip", selection.skip)
    runnable = [c for c in catalog.all() if c.family in selection.families]
    if selection.only:
        for term in selection.only:
            if not any(catalog[cid].family in selection.families for cid in only[term]):
                raise UsageError(_not_runnable(catalog, term, only[term]))
        wanted = {cid for ids in only.values() for cid in ids}
        chosen = [c for c in runnable if c.id in wanted]
    else:
        chosen = [c for c in runnable if c.level <= selection.level]
    skipped = {cid for ids in skip.values() for cid in ids}
    chosen = [c for c in chosen if c.id not in skipped]
    if not chosen:
        raise UsageError("no control left to run: check --level, --only and --skip")
    return chosen


def _matches(catalog: Catalog, option: str, terms: Sequence[str]) -> dict[str, list[str]]:
    """Each ID or pattern with the catalog's IDs it names; one that names none is refused."""
    found: dict[str, list[str]] = {}
    for term in terms:
        found[term] = catalog.matching(term)
        if not found[term]:
            if is_pattern(term):
                raise UsageError(f"{option} '{term}' matches no control: see `carehard controls list`")
            raise UsageError(f"unknown control ID '{term}' in {option}: see `carehard controls list`")
    return found


def _not_runnable(catalog: Catalog, term: str, ids: list[str]) -> str:
    """Why --only's term selects nothing this command runs: the command that runs its controls."""
    commands = list(dict.fromkeys(c for c in (command_of(catalog[cid].family) for cid in ids) if c))
    if not is_pattern(term):
        if commands:
            return f"control {term} is run by `{commands[0]}`"
        return f"control {term} has no role yet: it cannot be run"
    if commands:
        return f"--only '{term}' matches only controls run by {' or '.join(f'`{c}`' for c in commands)}"
    return f"--only '{term}' matches only controls that have no role yet: they cannot be run"


def command_of(family: str) -> str | None:
    """The command that runs a family's controls; None for a family with no role yet."""
    if family in COMMAND_OF_FAMILY:
        return COMMAND_OF_FAMILY[family]
    return "carehard audit" if family in AUDIT_FAMILIES else None
