"""The directories of a run (`carehard audit` of an Active Directory, roles/directory_audit): the
report's `directories` entries, one per directory host whose facts hold the document the role
records (`carehard_directory`, kept by carehard.engine.results as facts["directory"], schema
carehard-directory/1).

The document comes from the run: every part of it may be missing, null or of an unforeseen shape;
an entry has every key, None where the document says nothing usable, and nothing here raises. The
privileged accounts are sorted the riskiest first (every renderer shows them in that order) and
stay capped as the role caps them (privileged_accounts_total is the true count).

The flags of a privileged account are those of the contract (issue 24), each the finding of one AD
control, whose result the sections link to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from carehard.model import HostOutcome

DOCUMENT_SCHEMA = "carehard-directory/1"
FACT = "directory"
PREFIX = "AD-"
MAX_ACCOUNTS = 200
# The flags, the riskiest first, with their weight (what makes an account riskier than another) and
# the control whose finding each is.
FLAGS: tuple[tuple[str, int, str], ...] = (
    ("password_not_required", 8, "AD-ACC-04"),
    ("no_preauth", 8, "AD-ACC-01"),
    ("reversible", 8, "AD-ACC-02"),
    ("spn", 6, "AD-PRIV-06"),
    ("des_only", 5, "AD-ACC-03"),
    ("password_never_expires", 3, "AD-PRIV-02"),
    ("stale", 3, "AD-PRIV-05"),
    ("not_sensitive", 1, "AD-PRIV-03"),
    ("not_protected_users", 1, "AD-PRIV-04"),
)
FLAG_ORDER = {name: i for i, (name, _w, _c) in enumerate(FLAGS)}
FLAG_WEIGHT = {name: weight for name, weight, _c in FLAGS}
FLAG_CONTROL = {name: control for name, _w, control in FLAGS}
# What the summary lines of a directory show, and the control whose result each is.
FACT_CONTROLS = {
    "krbtgt": "AD-KRB-01",
    "privileged": "AD-PRIV-01",
    "password_policy": "AD-DOM-02",
    "lockout": "AD-DOM-03",
    "machine_account_quota": "AD-DOM-01",
    "laps_schema": "AD-LAPS-01",
    "laps_coverage": "AD-LAPS-02",
}
COUNT_KEYS = ("users", "users_enabled", "computers", "computers_enabled", "groups", "domain_controllers")
POLICY_KEYS = (
    "min_password_length",
    "history",
    "max_password_age_days",
    "lockout_threshold",
    "lockout_duration_minutes",
    "machine_account_quota",
)
_WORD = re.compile(r"^[a-z][a-z0-9_]*$")
_TEXT_MAX = 300


def _text(value: Any, limit: int = _TEXT_MAX) -> str | None:
    if value is None or isinstance(value, Mapping | list | bool):
        return None
    text = " ".join(str(value).split())
    return text[:limit] or None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        return int(str(value))
    except ValueError:
        return None


def _count(value: Any) -> int | None:
    found = _int(value)
    return found if found is None or found >= 0 else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _part(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _items(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _moment(value: Any) -> datetime | None:
    text = _text(value, 40)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def age_days(since: Any, at: Any) -> int | None:
    """Whole days from `since` to `at` (ISO 8601 moments); None when either is unknown."""
    start, end = _moment(since), _moment(at)
    if start is None or end is None:
        return None
    return max((end - start).days, 0)


def risk(account: Mapping[str, Any]) -> tuple[int, int, int, str]:
    """The sort key of an account, the riskiest first: enabled first, then the weight of its flags,
    then how many it has, then its name."""
    flags = account.get("flags") or []
    return (
        0 if account.get("enabled") is not False else 1,
        -sum(FLAG_WEIGHT.get(f, 1) for f in flags),
        -len(flags),
        str(account.get("name") or "").lower(),
    )


def _account(data: Mapping[str, Any]) -> dict[str, Any] | None:
    name = _text(data.get("name"), 256)
    if not name:
        return None
    flags = {str(f) for f in data.get("flags") or [] if isinstance(f, str) and _WORD.match(f)}
    groups = (
        [g for g in (_text(v, 256) for v in data.get("groups") or []) if g]
        if isinstance(data.get("groups"), list)
        else []
    )
    return {
        "name": name,
        "kind": _text(data.get("kind"), 40),
        "enabled": _flag(data.get("enabled")),
        "groups": groups,
        "flags": sorted(flags, key=lambda f: (FLAG_ORDER.get(f, len(FLAG_ORDER)), f)),
        "last_logon": _text(data.get("last_logon"), 40),
        "password_last_set": _text(data.get("password_last_set"), 40),
    }


def directory_entry(host: str, document: Mapping[str, Any]) -> dict[str, Any]:
    """The report's entry of one directory host: its document, every key there (None when unknown),
    the privileged accounts the riskiest first, the krbtgt password's age and LAPS coverage worked out."""
    counts, laps, policy = _part(document, "counts"), _part(document, "laps"), _part(document, "policy")
    read_at = _text(document.get("read_at"), 40)
    accounts = [a for a in (_account(item) for item in _items(document.get("privileged_accounts"))) if a]
    accounts.sort(key=risk)
    accounts = accounts[:MAX_ACCOUNTS]
    total = _count(document.get("privileged_accounts_total"))
    computers, covered = _count(laps.get("computers")), _count(laps.get("covered"))
    krbtgt = _text(document.get("krbtgt_password_last_set"), 40)
    return {
        "host": host,
        "schema": _text(document.get("schema"), 60),
        "domain": _text(document.get("domain"), 256),
        "netbios": _text(document.get("netbios"), 64),
        "server": _text(document.get("server"), 256),
        "auth": _text(document.get("auth"), 20),
        "base_dn": _text(document.get("base_dn"), 512),
        "functional_level": _int(document.get("functional_level")),
        "read_at": read_at,
        "highest_committed_usn": _count(document.get("highest_committed_usn")),
        "counts": {key: _count(counts.get(key)) for key in COUNT_KEYS},
        "krbtgt_password_last_set": krbtgt,
        "krbtgt_password_age_days": age_days(krbtgt, read_at),
        "privileged_groups": [
            {"name": name, "rid": _count(g.get("rid")), "members": _count(g.get("members"))}
            for g in _items(document.get("privileged_groups"))
            if (name := _text(g.get("name"), 256))
        ],
        "privileged_accounts": accounts,
        "privileged_accounts_total": max(total if total is not None else 0, len(accounts)),
        "laps": {
            "legacy_schema": _flag(laps.get("legacy_schema")),
            "windows_schema": _flag(laps.get("windows_schema")),
            "computers": computers,
            "covered": covered,
            "coverage": round(covered / computers, 4) if computers and covered is not None else None,
        },
        "policy": {
            **{key: _int(policy.get(key)) for key in POLICY_KEYS},
            "complexity": _flag(policy.get("complexity")),
        },
    }


def directory_entries(hosts: Iterable[HostOutcome]) -> list[dict[str, Any]]:
    """One entry per host of the run whose facts hold a directory document, by host name."""
    found = []
    for host in sorted(hosts, key=lambda h: h.name):
        document = host.facts.get(FACT)
        if isinstance(document, Mapping):
            found.append(directory_entry(host.name, document))
    return found
