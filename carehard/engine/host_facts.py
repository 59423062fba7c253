"""What the run's events tell of a host beside its controls: its facts as the report shows them,
its waivers, the directory document (capped as the role caps it, whatever sent it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_DIRECTORY_ACCOUNTS = 200


def capped_directory(document: Mapping[str, Any]) -> dict[str, Any]:
    """The directory document as the history keeps it: at most MAX_DIRECTORY_ACCOUNTS privileged
    accounts (privileged_accounts_total still says how many there are)."""
    kept = dict(document)
    accounts = kept.get("privileged_accounts")
    if isinstance(accounts, list) and len(accounts) > MAX_DIRECTORY_ACCOUNTS:
        kept["privileged_accounts"] = accounts[:MAX_DIRECTORY_ACCOUNTS]
        if not isinstance(kept.get("privileged_accounts_total"), int):
            kept["privileged_accounts_total"] = len(accounts)
    return kept


def waivers_of(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [
        {
            "id": str(w["id"]),
            "reason": str(w.get("reason", "")),
            "expiry": str(w.get("expiry", "")),
            "active": bool(w.get("active")),
        }
        for w in value
        if isinstance(w, dict) and "id" in w
    ]


def fact_summary(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "os": facts.get("ansible_distribution"),
        "os_version": facts.get("ansible_distribution_version"),
        "os_family": facts.get("ansible_os_family"),
        "kernel": facts.get("ansible_kernel"),
        "virtualization": _virtualization(facts),
        "architecture": facts.get("ansible_architecture"),
        "address": _address(facts),
    }


def _address(facts: Mapping[str, Any]) -> str | None:
    """The host's main IP address: its default route's (Linux), else its first one (Windows too)."""
    default = facts.get("ansible_default_ipv4")
    if isinstance(default, dict) and default.get("address"):
        return str(default["address"])
    for key in ("ansible_all_ipv4_addresses", "ansible_ip_addresses"):
        found = facts.get(key)
        if isinstance(found, list) and found:
            return str(found[0])
    return None


def _virtualization(facts: Mapping[str, Any]) -> str | None:
    if facts.get("ansible_is_chroot"):
        return "chroot"
    kind = facts.get("ansible_virtualization_type")
    role = facts.get("ansible_virtualization_role")
    if kind and role == "guest":
        return str(kind)
    return "none" if role == "host" or kind in (None, "NA", "") else str(kind)
