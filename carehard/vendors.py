"""`carehard vendor`: the declared vendors of an inventory, and their time-boxed access windows.

carehard_vendors and carehard_bastions are checked against carehard/config/schemas/vendors.yml,
then here for what a schema cannot say (keys, durations, addresses, the hosts of the inventory)."""

from __future__ import annotations

import getpass
import importlib.util
import ipaddress
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from carehard import clock
from carehard.config import validate
from carehard.durations import parse_duration
from carehard.engine.inventory import InventoryHost, list_hosts
from carehard.errors import UsageError
from carehard.paths import ANSIBLE_ROOT
from carehard.placement import each_distinct, first_blind, found_on

ACCOUNT = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
# Accounts a vendor declaration must never name: the role would put them in the vendor group, change
# their expiry and shell, and `vendor close` (or harden outside a window) would lock them. Root and
# the system accounts Debian, Ubuntu and RHEL create, and Windows' built-in ones (rdp access).
SYSTEM_ACCOUNTS = frozenset(
    [
        "root",
        "toor",
        "daemon",
        "bin",
        "sys",
        "sync",
        "games",
        "man",
        "lp",
        "mail",
        "news",
        "uucp",
        "proxy",
        "www-data",
        "backup",
        "list",
        "irc",
        "gnats",
        "nobody",
        "nogroup",
        "_apt",
        "sshd",
        "messagebus",
        "syslog",
        "uuidd",
        "tcpdump",
        "tss",
        "dbus",
        "polkitd",
        "avahi",
        "colord",
        "chrony",
        "ntp",
        "postfix",
        "adm",
        "halt",
        "shutdown",
        "operator",
        "ftp",
        "rpc",
        "rpcuser",
        "nfsnobody",
        "libstoragemgmt",
        "usbmux",
        "dnsmasq",
        "administrator",
        "guest",
        "defaultaccount",
        "wdagutilityaccount",
    ]
)
SYSTEM_PREFIXES = ("systemd-",)
MIN_WINDOW = 60
# The inventory variables checked together against schemas/vendors.yml.
VARIABLES = ("carehard_vendors", "carehard_bastions")


@dataclass(frozen=True)
class Vendor:
    name: str
    account: str
    contact: str
    keys: tuple[str, ...]
    scope: tuple[str, ...]  # host names and group names
    max_seconds: int
    max_window: str
    access: str
    sources: tuple[str, ...]

    def covers(self, host: InventoryHost) -> bool:
        return host.name in self.scope or bool(set(host.groups) & set(self.scope))


@dataclass(frozen=True)
class Window:
    vendor: Vendor
    hosts: tuple[InventoryHost, ...]
    action: str  # open | close
    start: datetime
    end: datetime | None
    reason: str
    by: str
    listed: tuple[InventoryHost, ...] = ()  # the whole inventory as listed for the window, read once

    def extravars(self) -> dict[str, Any]:
        window: dict[str, Any] = {"action": self.action, "vendor": self.vendor.name}
        if self.end is not None:
            window["end_epoch"] = int(self.end.timestamp())
            window["end"] = self.end.strftime("%Y%m%d%H%M%SZ")
            window["end_iso"] = iso(self.end)
        return {"carehard_vendor_window": window}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def operator() -> str:
    """Who runs carehard: the person behind sudo if any."""
    return os.environ.get("SUDO_USER") or getpass.getuser()


def plan_window(
    inventory: Path,
    name: str,
    action: str,
    host: str | None = None,
    group: str | None = None,
    duration: str | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Window:
    """Check everything about a window request before any host is touched."""
    if host and group:
        raise UsageError("give --host or --group, not both")
    if action == "open" and not (host or group):
        raise UsageError(
            "vendor open needs --host HOST or --group GROUP: which hosts does the vendor maintain now?"
        )
    seconds = parse_duration(duration, "--for") if action == "open" and duration is not None else 0
    if action == "open" and duration is None:
        raise UsageError("vendor open needs --for DURATION (e.g. --for 4h)")
    hosts = list_hosts(inventory)
    vendor = find_vendor(inventory, hosts, name)
    targets = _targets(inventory, hosts, vendor, host, group)
    _check_on_targets(inventory, hosts, vendor, targets, needs_sources=action == "open")
    start = (now or clock.now()).replace(microsecond=0)
    end = None
    if action == "open":
        if seconds < MIN_WINDOW:
            raise UsageError(f"--for {duration} is too short: a window lasts at least 1m")
        if seconds > vendor.max_seconds:
            raise UsageError(
                f"--for {duration} is longer than vendor {name}'s max_window {vendor.max_window}: "
                f"ask for {vendor.max_window} or less"
            )
        if not vendor.sources:
            raise UsageError(
                f"vendor {name} has no allowed source: "
                f"set carehard_bastions (or the vendor's `from`) in {inventory}"
            )
        end = start + timedelta(seconds=seconds)
        if not reason.strip():
            raise UsageError(
                f"vendor open needs --reason TEXT (e.g. --reason 'ticket 4521'): why {name} gets access is"
                " recorded in the history"
            )
    return Window(vendor, tuple(targets), action, start, end, reason.strip(), operator(), tuple(hosts))


def find_vendor(inventory: Path, hosts: Sequence[InventoryHost], name: str) -> Vendor:
    declared: dict[str, Mapping[str, Any]] = {}
    bastions: Any = None
    for h, document in each_distinct(hosts, _declarations):
        validate(document, "vendors", f"inventory {inventory}, host {h.name}")
        for entry in document.get("carehard_vendors", []):
            declared.setdefault(entry["name"], entry)
        if bastions is None:
            bastions = document.get("carehard_bastions")
    if name not in declared:
        known = ", ".join(sorted(declared)) or "none"
        raise UsageError(f"unknown vendor '{name}': carehard_vendors in {inventory} declares {known}")
    vendor = parse_vendor(declared[name], bastions or [])
    _check_not_an_admin(vendor.name, vendor.account, hosts)
    return vendor


def _check_not_an_admin(name: str, account: str, hosts: Sequence[InventoryHost]) -> None:
    """A vendor account that is an administrator's (carehard_admins, or the account carehard logs in
    with) would be locked by vendor close: carehard would lock out the admins, itself included."""
    for host in hosts:
        admins = _listed(host.vars.get("carehard_admins"))
        if account in (str(a) for a in admins):
            raise UsageError(
                f"vendor {name} in carehard_vendors: account '{account}' is an administrator's"
                f" (carehard_admins of host {host.name}), which vendor close would lock: give the vendor an"
                " account of its own"
            )
        if str(host.vars.get("ansible_user") or "") == account:
            raise UsageError(
                f"vendor {name} in carehard_vendors: account '{account}' is the one carehard"
                f" logs in with on host {host.name} (ansible_user), which vendor close would lock: give the"
                " vendor an account of its own"
            )


def _check_on_targets(
    inventory: Path,
    hosts: Sequence[InventoryHost],
    vendor: Vendor,
    targets: Sequence[InventoryHost],
    needs_sources: bool,
) -> None:
    """Each target host reads its own carehard_vendors and carehard_bastions (playbooks/vendor_window.yml):
    the vendor must be declared there, and what is declared there must pass the same checks."""
    declaring = [h for h in hosts if vendor.name in _vendor_names(h)]
    checked: set[str] = set()
    for target in targets:
        if vendor.name not in _vendor_names(target):
            raise UsageError(
                f"inventory {inventory}: vendor {vendor.name} is declared in carehard_vendors for"
                f" {found_on(declaring, hosts)}, not for host {target.name} that the window opens on (each"
                f" host reads its own carehard_vendors): declare it in group_vars/all.yml, or for a group of"
                f" {target.name}"
            )
        raw = next(v for v in target.vars["carehard_vendors"] if v.get("name") == vendor.name)
        bastions = target.vars.get("carehard_bastions") or []
        fingerprint = json.dumps([raw, bastions], sort_keys=True, default=str)
        if fingerprint in checked:
            continue
        checked.add(fingerprint)
        here = parse_vendor(raw, bastions)
        if needs_sources and not here.sources:
            raise UsageError(
                f"vendor {vendor.name} has no allowed source on host {target.name}: set carehard_bastions"
                f" (or the vendor's `from`) for it in {inventory}"
            )


def _vendor_names(host: InventoryHost) -> set[str]:
    declared = host.vars.get("carehard_vendors")
    if not isinstance(declared, list):
        return set()
    return {str(v.get("name")) for v in declared if isinstance(v, Mapping)}


def parse_vendor(raw: Mapping[str, Any], bastions: Any) -> Vendor:
    """A vendor declaration that the vendors schema has checked, checked for what a schema cannot
    say: every error names the vendor and the field to fix."""
    name = str(raw["name"])
    where = f"vendor {name} in carehard_vendors"
    account = _checked_account(raw, where)
    access = str(raw.get("access", "ssh"))
    keys = _listed(raw.get("keys"))
    if not keys and access == "ssh":
        raise UsageError(f"{where}: no keys: list the public keys of the vendor's technicians")
    _check_keys(keys, where)
    max_seconds = parse_duration(str(raw["max_window"]), f"{where}: max_window")
    sources = _listed(raw.get("from", bastions))
    for source in sources:
        try:
            ipaddress.ip_network(str(source), strict=False)
        except ValueError:
            raise UsageError(
                f"{where}: allowed source '{source}' (from or carehard_bastions) is not an address or network"
            ) from None
    return Vendor(
        name=name,
        account=account,
        contact=str(raw.get("contact", "")),
        keys=tuple(str(k).strip() for k in keys),
        scope=tuple(str(s) for s in _listed(raw["hosts"])),
        max_seconds=max_seconds,
        max_window=str(raw["max_window"]),
        access=access,
        sources=tuple(str(s) for s in sources),
    )


def _checked_account(raw: Mapping[str, Any], where: str) -> str:
    account = str(raw.get("account") or raw["name"])
    if not ACCOUNT.match(account):
        raise UsageError(
            f"{where}: account '{account}' is not a valid user name (lower case, digits, - and _)"
        )
    if account.lower() in SYSTEM_ACCOUNTS or account.startswith(SYSTEM_PREFIXES):
        raise UsageError(
            f"{where}: account '{account}' is a system account of the hosts, which vendor close would lock:"
            f" give the vendor an account of its own (e.g. account: {str(raw['name']).lower()}-vendor)"
        )
    return account


def _check_keys(keys: Sequence[Any], where: str) -> None:
    for number, key in enumerate(keys, start=1):
        problem = key_problem(str(key))
        if problem:
            raise UsageError(f"{where}: key {number} is malformed: {problem}")


def check_declared(hosts: Sequence[InventoryHost], where: str) -> None:
    """Every vendor the remote_access role reads on these hosts, before audit or harden: harden puts a
    declared account in the vendor group and locks it outside a window (root, an admin...), and
    writes its keys. Keys, accounts and the schema only: a window's needs are checked when one opens."""
    for host, document in each_distinct(hosts, _declarations):
        validate(document, "vendors", f"{where}, host {host.name}")
        for raw in document.get("carehard_vendors") or []:
            vendor_where = f"{where}, host {host.name}: vendor {raw['name']} in carehard_vendors"
            account = _checked_account(raw, vendor_where)
            _check_keys(_listed(raw.get("keys")), vendor_where)
            _check_not_an_admin(str(raw["name"]), account, hosts)
    _check_seen_where_maintained(hosts, where)


def _declarations(host: InventoryHost) -> dict[str, Any] | None:
    """The host's vendor declarations (the VARIABLES it has), None when it has none."""
    return {key: host.vars[key] for key in VARIABLES if key in host.vars} or None


def _check_seen_where_maintained(hosts: Sequence[InventoryHost], where: str) -> None:
    """A host a vendor maintains but whose own carehard_vendors lacks it: harden there takes the vendor's
    account for an undeclared one, and locks it."""
    seeing: dict[str, list[InventoryHost]] = {}
    scope: dict[str, set[str]] = {}
    for host in hosts:
        for raw in host.vars.get("carehard_vendors") or []:
            seeing.setdefault(str(raw["name"]), []).append(host)
            scope.setdefault(str(raw["name"]), set()).update(str(s) for s in _listed(raw["hosts"]))
    for name, names in scope.items():
        blind = first_blind(hosts, names, {h.name for h in seeing[name]})
        if blind is not None:
            raise UsageError(
                f"{where}: vendor {name} maintains host {blind}, which does not see it: carehard_vendors"
                f" declares it for {found_on(seeing[name], hosts)} (each host reads its own): declare it"
                f" in group_vars/all.yml, or for a group of {blind}"
            )


def _listed(value: Any) -> list[Any]:
    """A value the schema allows as one item or a list of them, as a list."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def key_problem(key: str) -> str | None:
    """Why a public key line is not usable, or None. Options are not allowed: carehard sets them."""
    if any(char in key.strip() for char in "\r\n\0"):
        # sshd reads one key per line: what follows a line break would be a key without the options.
        return "it holds a line break: give each key on one line, as its own item of keys"
    parser = _key_parser()
    try:
        parsed = parser.parse_key_line(key)
    except parser.KeyLineError as exc:
        return str(exc)
    if parsed["options"]:
        return "give the bare key (type, data, comment): carehard adds restrict, from= and expiry-time="
    return None


def _targets(
    inventory: Path, hosts: Sequence[InventoryHost], vendor: Vendor, host: str | None, group: str | None
) -> list[InventoryHost]:
    if host:
        chosen = [h for h in hosts if h.name == host]
        if not chosen:
            raise UsageError(f"host {host} is not in {inventory}")
        if chosen[0].is_directory:
            raise UsageError(
                f"host {host} is a directory (group directories), which carehard reads and never logs in to:"
                " a vendor window opens on a host vendors log in to"
            )
    elif group:
        in_group = [h for h in hosts if group in h.groups]
        if not in_group:
            raise UsageError(f"group {group} has no host in {inventory}")
        # A directory is no host to log in to: a window on a group leaves it out.
        chosen = [h for h in in_group if not h.is_directory]
        if not chosen:
            raise UsageError(
                f"group {group} holds only directories, which carehard reads and never logs in to: a vendor"
                " window opens on hosts vendors log in to"
            )
    else:
        chosen = [h for h in hosts if vendor.covers(h) and not h.is_directory]
        if not chosen:
            raise UsageError(
                f"vendor {vendor.name} maintains no host of {inventory}"
                f" (its hosts: {', '.join(vendor.scope)})"
            )
    outside = [h.name for h in chosen if not vendor.covers(h)]
    if outside:
        raise UsageError(
            f"host {outside[0]} is not maintained by vendor {vendor.name}"
            f" (its hosts: {', '.join(vendor.scope)})"
        )
    windows_hosts = {h.name for h in chosen if h.connection in ("winrm", "psrp")}
    wrong = [h.name for h in chosen if (h.name in windows_hosts) != (vendor.access == "rdp")]
    if wrong:
        kind = "a Windows host" if wrong[0] in windows_hosts else "not a Windows host"
        raise UsageError(f"host {wrong[0]} is {kind}, and vendor {vendor.name} has access {vendor.access}")
    return chosen


@lru_cache(maxsize=1)
def _key_parser() -> ModuleType:
    """The key parser of the role's module: one definition of a valid key for the role and the CLI."""
    path = ANSIBLE_ROOT / "roles" / "remote_access" / "library" / "vendor_access_info.py"
    spec = importlib.util.spec_from_file_location("carehard_vendor_access_info", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
