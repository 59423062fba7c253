"""A realistic directory document (carehard-directory/1, as roles/directory_audit records it) and a
run whose directory host carries it, for the report tests (unit and browser)."""

from __future__ import annotations

from typing import Any

from carehard.model import ControlResult, HostOutcome, RunRecord

DOMAIN = "chu-exemple.fr"
FLAG_CYCLE: tuple[list[str], ...] = (
    [],
    ["not_sensitive", "not_protected_users"],
    ["password_never_expires", "not_sensitive", "not_protected_users"],
    ["stale", "not_protected_users"],
    ["spn", "password_never_expires", "not_sensitive", "not_protected_users"],
    ["not_protected_users"],
    ["des_only", "stale", "not_sensitive"],
)
# Every AD control of the contract, and its status on the directory of directory_run().
AD_RESULTS = {
    "AD-KRB-01": ("fail", "krbtgt password last changed 2024-05-01, 950 days ago (at most 365)"),
    "AD-PRIV-01": ("fail", "250 privileged accounts (at most 10): adm-000, … and 240 more (250 in all)"),
    "AD-PRIV-02": ("fail", "36 privileged accounts whose password never expires: adm-02, adm-04"),
    "AD-PRIV-03": ("fail", "107 enabled privileged users not marked sensitive: adm-01, adm-02"),
    "AD-PRIV-04": ("fail", "179 enabled privileged users outside Protected Users: adm-01"),
    "AD-PRIV-05": ("fail", "72 stale privileged accounts: adm-03"),
    "AD-PRIV-06": ("fail", "36 privileged accounts with an SPN: adm-04, svc-sql"),
    "AD-ACC-01": ("fail", "1 enabled account without Kerberos pre-authentication: svc-legacy"),
    "AD-ACC-02": ("pass", "no enabled account with reversible encryption"),
    "AD-ACC-03": ("fail", "36 enabled accounts limited to DES: adm-06"),
    "AD-ACC-04": ("fail", "1 enabled account with password not required: old-admin"),
    "AD-ACC-05": ("pass", "the Guest account is disabled"),
    "AD-ACC-06": ("fail", "2 accounts with adminCount=1 outside the privileged groups: ex-admin, temp-da"),
    "AD-ACC-07": ("fail", "812 stale enabled user accounts: a.martin, …"),
    "AD-DEL-01": ("fail", "1 computer with unconstrained delegation: SRV-PRINT01"),
    "AD-DOM-01": ("fail", "ms-DS-MachineAccountQuota is 10 (expected 0)"),
    "AD-DOM-02": ("fail", "minimum password length 7 (at least 12)"),
    "AD-DOM-03": ("fail", "lockout threshold 0: accounts are never locked out"),
    "AD-LAPS-01": ("pass", "legacy LAPS schema present"),
    "AD-LAPS-02": ("fail", "LAPS covers 1800 of 1990 computers (90.5 %, at least 100 %)"),
    "AD-CMP-01": ("fail", "12 enabled computers on an end-of-support OS: PC-RADIO-07 (Windows 7)"),
    "AD-CMP-02": ("pass", "no stale computer account"),
}


def account(i: int) -> dict[str, Any]:
    flags = list(FLAG_CYCLE[i % len(FLAG_CYCLE)])
    groups = ["Domain Admins", "Administrators"] if i % 3 == 0 else ["Backup Operators"]
    return {
        "name": f"adm-{i:03d}",
        "kind": "user",
        "enabled": i % 11 != 10,
        "groups": groups,
        "flags": flags,
        "last_logon": None if "stale" in flags else "2026-12-01T07:00:00Z",
        "password_last_set": "2025-01-01T00:00:00Z",
    }


def directory_document(accounts: int = 250) -> dict[str, Any]:
    """A hospital's domain: 250 privileged accounts (the role lists 200), flags mixed, weak policy."""
    listed = [account(i) for i in range(min(accounts, 200))]
    if len(listed) > 120:
        listed[57] = {
            "name": "old-admin",
            "kind": "user",
            "enabled": True,
            "groups": ["Domain Admins"],
            "flags": [
                "password_not_required",
                "no_preauth",
                "password_never_expires",
                "not_sensitive",
                "not_protected_users",
                "stale",
            ],
            "last_logon": "2023-02-11T09:30:00Z",
            "password_last_set": "2019-06-01T00:00:00Z",
        }
        listed[120] = {
            "name": "svc-sql",
            "kind": "user",
            "enabled": True,
            "groups": ["Administrators"],
            "flags": ["spn", "password_never_expires", "not_sensitive", "not_protected_users"],
            "last_logon": "2026-12-06T22:00:00Z",
            "password_last_set": "2021-03-03T00:00:00Z",
        }
    return {
        "schema": "carehard-directory/1",
        "domain": DOMAIN,
        "netbios": "CHU",
        "server": "dc1.chu-exemple.fr",
        "auth": "ldaps",
        "base_dn": "DC=chu-exemple,DC=fr",
        "functional_level": 7,
        "read_at": "2026-12-07T08:00:00Z",
        "highest_committed_usn": 12345,
        "counts": {
            "users": 10000,
            "users_enabled": 9800,
            "computers": 2000,
            "computers_enabled": 1990,
            "groups": 150,
            "domain_controllers": 2,
        },
        "krbtgt_password_last_set": "2024-05-01T10:00:00Z",
        "privileged_groups": [
            {"name": "Domain Admins", "rid": 512, "members": 84},
            {"name": "Administrators", "rid": 544, "members": 86},
            {"name": "Backup Operators", "rid": 551, "members": 166},
        ],
        "privileged_accounts": listed,
        "privileged_accounts_total": accounts,
        "laps": {"legacy_schema": True, "windows_schema": False, "computers": 1990, "covered": 1800},
        "policy": {
            "min_password_length": 7,
            "complexity": True,
            "history": 24,
            "max_password_age_days": 42,
            "lockout_threshold": 0,
            "lockout_duration_minutes": 30,
            "machine_account_quota": 10,
        },
    }


def directory_host(name: str = DOMAIN, document: dict[str, Any] | None = None) -> HostOutcome:
    host = HostOutcome(name, facts={"directory": document if document is not None else directory_document()})
    for cid, (status, evidence) in AD_RESULTS.items():
        host.results[cid] = ControlResult(cid, status, evidence)
    return host


def directory_run(*extra: HostOutcome, run_id: str = "20261207T080000Z-d1d1d1") -> RunRecord:
    """An audit of the directory (and of the extra hosts)."""
    hosts = [directory_host(), *extra]
    controls = sorted({cid for h in hosts for cid in h.results})
    return RunRecord(
        id=run_id,
        mode="audit",
        started="2026-12-07T08:00:00+00:00",
        finished="2026-12-07T08:01:30+00:00",
        carehard_version="0.1.0",
        level=2,
        selection={"inventory": "/srv/site/hosts.yml", "limit": None, "only": [], "skip": []},
        controls=controls,
        exit_code=1,
        hosts={h.name: h for h in hosts},
    )
