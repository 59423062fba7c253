"""The backup sets an inventory declares (carehard_backup_sets), checked before anything runs: against
carehard/config/schemas/backup_sets.yml, then here for what a schema cannot say."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carehard.config import validate
from carehard.durations import parse_duration
from carehard.engine.inventory import InventoryHost, list_hosts
from carehard.errors import UsageError
from carehard.placement import require_on_all

VARIABLE = "carehard_backup_sets"
PASSWORD_KEYS = ("password", "password_file", "password_env")
# Nights over which restic check reads every data pack once, for a set that declares neither
# read_cycle nor check_subset (a thirtieth of the packs a night).
DEFAULT_READ_CYCLE = 30
# Where playbooks/backup_verify.yml reads the sets: its first play, and the "<set>.backup" hosts it adds.
READER = "the backup play reads it on the controller (localhost), which sees only the variables of all"


@dataclass(frozen=True)
class BackupSet:
    name: str
    repository: str
    restore_host: str
    source_host: str | None
    canary: str | None
    rpo: str
    rto: str
    password_envs: tuple[str, ...] = ()  # environment variables holding its passwords, here
    read_cycle: int | None = None  # nights to read every data pack once (None: check_subset's sample)


def load_sets(
    inventory: Path, only: Sequence[str] = (), hosts: Sequence[InventoryHost] | None = None
) -> list[BackupSet]:
    """The declared sets (those of --set when given), their password_env set in this environment, or a
    one-line error naming what to fix. `hosts`: the inventory's listing, when the caller has it."""
    chosen = declared_sets(inventory, only, hosts)
    for backup_set in chosen:
        for variable in backup_set.password_envs:
            if not os.environ.get(variable):
                raise UsageError(
                    f"backup set {backup_set.name}: password_env {variable} is not set in this environment"
                )
    return chosen


def declared_sets(
    inventory: Path, only: Sequence[str] = (), hosts: Sequence[InventoryHost] | None = None
) -> list[BackupSet]:
    """The sets as the inventory declares them (those of --set when given), whatever the environment
    of this process: what `schedule install` can check for a run of another night."""
    if hosts is None:
        hosts = list_hosts(inventory)
    raw = _declared(hosts, f"inventory {inventory}")
    if not raw:
        raise UsageError(f"inventory {inventory} declares no carehard_backup_sets: see docs/backup-verify.md")
    sets = parse_sets(raw, {h.name for h in hosts}, f"inventory {inventory}")
    declared = {s.name for s in sets}
    for name in only:
        if name not in declared:
            raise UsageError(f"--set {name}: no such backup set (declared: {', '.join(sorted(declared))})")
    return [s for s in sets if not only or s.name in only]


def _declared(hosts: Sequence[InventoryHost], where: str) -> Any:
    require_on_all(VARIABLE, hosts, where, READER)
    return next((h.vars[VARIABLE] for h in hosts if h.vars.get(VARIABLE) is not None), None)


def parse_sets(raw: Any, hosts: set[str], where: str) -> list[BackupSet]:
    """The sets of carehard_backup_sets (from `where`), checked against the schema, then each for what a
    schema cannot say, among the inventory's `hosts`."""
    validate({VARIABLE: raw}, "backup_sets", where)
    sets = [parse_set(item, hosts) for item in raw]
    seen: set[str] = set()
    for backup_set in sets:
        if backup_set.name in seen:
            raise UsageError(f"two sets are named {backup_set.name}: make the names unique")
        seen.add(backup_set.name)
    return sets


def parse_set(raw: Mapping[str, Any], hosts: set[str]) -> BackupSet:
    """One set that the schema has checked."""
    name = str(raw["name"])
    where = f"backup set {name}"
    _check_password(where, raw)
    restore_host = str(raw["restore_host"])
    if restore_host not in hosts:
        raise UsageError(f"{where}: restore_host '{restore_host}' is not a host of the inventory")
    for key in ("rpo", "rto"):
        if key in raw:
            parse_duration(str(raw[key]), f"{where}: {key}")
    _check_paths(where, raw)
    missing = [h for h in raw.get("production_hosts", []) if str(h) not in hosts]
    if missing:
        raise UsageError(f"{where}: production host '{missing[0]}' is not a host of the inventory")
    _check_second(where, raw.get("second_copy"), hosts)
    source_host = raw.get("source_host")
    if source_host is not None and str(source_host) not in hosts:
        raise UsageError(f"{where}: source_host '{source_host}' is not a host of the inventory")
    return BackupSet(
        name=name,
        repository=str(raw["repository"]),
        restore_host=restore_host,
        source_host=str(source_host) if source_host is not None else None,
        canary=str(raw["canary"]) if raw.get("canary") else None,
        rpo=str(raw.get("rpo", "24h")),
        rto=str(raw.get("rto", "4h")),
        password_envs=tuple(
            str(source["password_env"])
            for source in (raw, raw.get("second_copy") or {})
            if source.get("password_env") is not None
        ),
        read_cycle=_read_cycle(where, raw),
    )


def _read_cycle(where: str, raw: Mapping[str, Any]) -> int | None:
    """The set's read cycle: declared, or DEFAULT_READ_CYCLE unless it declares a check_subset."""
    if "read_cycle" in raw:
        if "check_subset" in raw:
            raise UsageError(
                f"{where}: give read_cycle (every pack read over N nights) or check_subset, not both"
            )
        return int(raw["read_cycle"])
    return None if "check_subset" in raw else DEFAULT_READ_CYCLE


def _check_password(where: str, raw: Mapping[str, Any]) -> None:
    given = [k for k in PASSWORD_KEYS if raw.get(k) is not None]
    if len(given) != 1:
        raise UsageError(
            f"{where}: give exactly one password source: password_file (on the restore host), password_env"
            " (a variable of the controller's environment) or a vaulted password"
        )
    if given == ["password"] and not _vaulted_or_templated(raw["password"]):
        raise UsageError(
            f"{where}: the password is in the inventory in plain text: encrypt it with ansible-vault"
            " (encrypt_string), or use password_file or password_env"
        )


def _vaulted_or_templated(value: Any) -> bool:
    """ansible-inventory shows a vaulted value as {"__ansible_vault": ...}, decrypted or not."""
    if isinstance(value, Mapping):
        return "__ansible_vault" in value
    return isinstance(value, str) and value.lstrip().startswith("{{")


def _check_paths(where: str, raw: Mapping[str, Any]) -> None:
    for path in raw.get("paths", ["all"]):
        if path != "all" and not path.startswith("/"):
            raise UsageError(f"{where}: sample path '{path}' must be absolute, as stored in the snapshot")
    canary = raw.get("canary")
    if canary is not None and not str(canary).startswith("/"):
        raise UsageError(f"{where}: canary '{canary}' must be an absolute path, as stored in the snapshot")


def _check_second(where: str, second: Mapping[str, Any] | None, hosts: set[str]) -> None:
    if second is None:
        return
    if any(second.get(k) is not None for k in PASSWORD_KEYS):
        _check_password(f"{where}: second_copy", second)
    if second.get("restore_host") is not None and str(second["restore_host"]) not in hosts:
        raise UsageError(
            f"{where}: second_copy restore_host '{second['restore_host']}' is not in the inventory"
        )
    if "rpo" in second:
        parse_duration(str(second["rpo"]), f"{where}: second_copy rpo")
