"""The backup sets an inventory declares (carehard_backup_sets), checked before anything runs."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carehard.durations import parse_duration
from carehard.engine.inventory import InventoryHost, list_hosts
from carehard.errors import UsageError

SET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
RESTIC_DURATION = re.compile(r"^([0-9]+[ymdh])+$")  # restic's own: y, m (months), d, h
SUBSET = re.compile(r"^([0-9]+(\.[0-9]+)?%|[1-9][0-9]*/[1-9][0-9]*|[1-9][0-9]*[KMGT]?)$")
PASSWORD_KEYS = ("password", "password_file", "password_env")
RETENTION_KEYS = ("keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly")
_KNOWN_KEYS = {
    "name",
    "repository",
    *PASSWORD_KEYS,
    "environment",
    "restore_host",
    "source_host",
    "paths",
    "canary",
    "rpo",
    "rto",
    "check_subset",
    "retention",
    "production_hosts",
    "second_copy",
    "snapshot_host",
    "snapshot_tags",
    "snapshot_paths",
    "scratch_dir",
}
_SECOND_KEYS = {"repository", *PASSWORD_KEYS, "environment", "restore_host", "rpo", "snapshot_host"}


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


def load_sets(inventory: Path, only: Sequence[str] = ()) -> list[BackupSet]:
    """The declared sets (those of --set when given), or a one-line error naming what to fix."""
    hosts = list_hosts(inventory)
    raw = _declared(hosts)
    if not raw:
        raise UsageError(f"inventory {inventory} declares no carehard_backup_sets: see docs/backup-verify.md")
    names = {h.name for h in hosts}
    sets = [parse_set(item, index, names) for index, item in enumerate(raw)]
    seen: set[str] = set()
    for backup_set in sets:
        if backup_set.name in seen:
            raise UsageError(f"two sets are named {backup_set.name}: make the names unique")
        seen.add(backup_set.name)
    for name in only:
        if name not in seen:
            raise UsageError(f"--set {name}: no such backup set (declared: {', '.join(sorted(seen))})")
    chosen = [s for s in sets if not only or s.name in only]
    for backup_set in chosen:
        for variable in backup_set.password_envs:
            if not os.environ.get(variable):
                raise UsageError(
                    f"backup set {backup_set.name}: password_env {variable} is not set in this environment"
                )
    return chosen


def _declared(hosts: Sequence[InventoryHost]) -> list[Any]:
    for host in hosts:
        value = host.vars.get("carehard_backup_sets")
        if value is not None:
            if not isinstance(value, list):
                raise UsageError("carehard_backup_sets must be a list of sets (name, repository...)")
            return value
    return []


def parse_set(raw: Any, index: int, hosts: set[str]) -> BackupSet:
    if not isinstance(raw, Mapping):
        raise UsageError(f"carehard_backup_sets item {index}: expected a mapping (name, repository...)")
    name = str(raw.get("name") or "")
    where = f"backup set {name or index}"
    if not SET_NAME.match(name):
        raise UsageError(f"{where}: name '{name}' must be letters, digits, - and _ (like DPI or lab-1)")
    unknown = sorted(set(raw) - _KNOWN_KEYS)
    if unknown:
        raise UsageError(f"{where}: unknown key '{unknown[0]}' (see docs/backup-verify.md)")
    if not str(raw.get("repository") or ""):
        raise UsageError(f"{where}: give its repository (a path, sftp:, rest:, s3:...)")
    _check_password(where, raw)
    restore_host = str(raw.get("restore_host") or "")
    if restore_host not in hosts:
        raise UsageError(f"{where}: restore_host '{restore_host}' is not a host of the inventory")
    for key in ("rpo", "rto"):
        if key in raw:
            parse_duration(str(raw[key]), f"{where}: {key}")
    if "check_subset" in raw and not SUBSET.match(str(raw["check_subset"])):
        raise UsageError(f"{where}: check_subset '{raw['check_subset']}' must be like 5%, 1/10 or 500M")
    _check_paths(where, raw)
    _check_retention(where, raw.get("retention"))
    production = raw.get("production_hosts", [])
    if not isinstance(production, list):
        raise UsageError(f"{where}: production_hosts must be a list of inventory hosts, like [pacs-01]")
    missing = [h for h in production if str(h) not in hosts]
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
    )


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
    paths = raw.get("paths", ["all"])
    if not isinstance(paths, list) or not paths or any(not isinstance(p, str) for p in paths):
        raise UsageError(f"{where}: paths must be a list of paths as stored in the snapshot, or [all]")
    for path in paths:
        if path != "all" and not path.startswith("/"):
            raise UsageError(f"{where}: sample path '{path}' must be absolute, as stored in the snapshot")
    canary = raw.get("canary")
    if canary is not None and not str(canary).startswith("/"):
        raise UsageError(f"{where}: canary '{canary}' must be an absolute path, as stored in the snapshot")


def _check_retention(where: str, retention: Any) -> None:
    if retention is None:
        return
    if not isinstance(retention, Mapping):
        raise UsageError(f"{where}: retention must map rules (keep_daily, keep_weekly...) to counts")
    for key, value in retention.items():
        if key == "keep_within":
            if not RESTIC_DURATION.match(str(value)):
                raise UsageError(
                    f"{where}: retention keep_within '{value}' is not a restic duration:"
                    " like 14d, 6m (months) or 1y2m"
                )
        elif key not in RETENTION_KEYS:
            raise UsageError(
                f"{where}: unknown retention rule '{key}' (keep_last, keep_daily... keep_within)"
            )
        elif not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise UsageError(f"{where}: retention {key} must be a whole number of snapshots, at least 1")


def _check_second(where: str, second: Any, hosts: set[str]) -> None:
    if second is None:
        return
    if not isinstance(second, Mapping) or not second.get("repository"):
        raise UsageError(f"{where}: second_copy needs a repository (and a password source if it differs)")
    unknown = sorted(set(second) - _SECOND_KEYS)
    if unknown:
        raise UsageError(f"{where}: second_copy: unknown key '{unknown[0]}'")
    if any(second.get(k) is not None for k in PASSWORD_KEYS):
        _check_password(f"{where}: second_copy", second)
    if second.get("restore_host") is not None and str(second["restore_host"]) not in hosts:
        raise UsageError(
            f"{where}: second_copy restore_host '{second['restore_host']}' is not in the inventory"
        )
    if "rpo" in second:
        parse_duration(str(second["rpo"]), f"{where}: second_copy rpo")
