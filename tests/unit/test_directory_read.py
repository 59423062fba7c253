"""ad_directory_read (roles/directory_audit/library): the judging on directory data made here, as the
reading decodes it (no LDAP: the integration test reads a real Samba DC). Nesting and the primary
group, stale accounts, the account flags, the caps of the names, LAPS coverage, the end-of-support
matching (the same answer as compliance_facts' filter) and the domain policy."""

from __future__ import annotations

import struct
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "roles/directory_audit/library"))
sys.path.insert(0, str(ROOT / "roles/compliance_facts/filter_plugins"))
import ad_directory_read as ad  # noqa: E402
import fleet_eval  # noqa: E402

UTC = timezone.utc  # noqa: UP017  (the module's own spelling)
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
DOMAIN_SID = "S-1-5-21-1111-2222-3333"
BASE = "DC=chu-example,DC=fr"
TABLE = yaml.safe_load((ROOT / "roles/compliance_facts/vars/end_of_support.yml").read_text())[
    "compliance_facts_end_of_support"
]
NORMAL = 0x200  # NORMAL_ACCOUNT
WORKSTATION = 0x1000  # WORKSTATION_TRUST_ACCOUNT


def filetime(moment: datetime) -> str:
    return str(int((moment - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000))


def sid_bytes(sid: str) -> bytes:
    parts = sid.split("-")
    subs = [int(p) for p in parts[3:]]
    return (
        bytes([int(parts[1]), len(subs)])
        + int(parts[2]).to_bytes(6, "big")
        + struct.pack(f"<{len(subs)}I", *subs)
    )


def user(
    name: str,
    rid: int,
    uac: int = NORMAL,
    *,
    primary: int = 513,
    logon_days: int | None = 1,
    created_days: int = 400,
    pwd_days: int | None = 30,
    spn: bool = False,
    admin_count: int = 0,
    container: str = "CN=Users",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "dn": f"CN={name},{container},{BASE}",
        "name": name,
        "sid": f"{DOMAIN_SID}-{rid}",
        "uac": uac,
        "primary_group_id": primary,
        "last_logon": NOW - timedelta(days=logon_days) if logon_days is not None else None,
        "created": NOW - timedelta(days=created_days),
        "pwd_last_set": NOW - timedelta(days=pwd_days) if pwd_days is not None else None,
        "spn": spn,
        "admin_count": admin_count,
        "member": [],
        "os": None,
        "os_version": None,
        "laps": False,
        **extra,
    }


def computer(name: str, rid: int, uac: int = WORKSTATION, **extra: Any) -> dict[str, Any]:
    extra.setdefault("primary", 515)
    return user(name, rid, uac, container="CN=Computers", spn=True, **extra)


def group(name: str, sid: str, members: list[str]) -> dict[str, Any]:
    return {"dn": f"CN={name},CN=Users,{BASE}", "name": name, "sid": sid, "member": members}


def dn(name: str, container: str = "CN=Users") -> str:
    return f"CN={name},{container},{BASE}"


def directory(
    users: list[dict[str, Any]], computers: list[dict[str, Any]], groups: list[dict[str, Any]], **domain: Any
) -> dict[str, Any]:
    policy = {
        "minPwdLength": "14",
        "pwdProperties": "1",
        "pwdHistoryLength": "24",
        "maxPwdAge": str(-42 * 86400 * 10_000_000),
        "lockoutThreshold": "5",
        "lockoutDuration": str(-30 * 60 * 10_000_000),
        "ms-DS-MachineAccountQuota": "0",
    }
    policy.update(domain)
    return {
        "domain_name": "chu-example.fr",
        "netbios": "CHU",
        "server": "dc1.chu-example.fr",
        "auth": "ldaps",
        "base_dn": BASE,
        "functional_level": 7,
        "highest_committed_usn": 4242,
        "domain_sid": DOMAIN_SID,
        "domain": policy,
        "laps_schema": {"legacy": True, "windows": False},
        "users": users,
        "computers": computers,
        "groups": groups,
    }


def clean() -> dict[str, Any]:
    """A domain every control passes on: one admin, sensitive, in Protected Users, LAPS everywhere."""
    admin = user("Administrator", 500, NORMAL | ad.UAC_NOT_DELEGATED, admin_count=1)
    krbtgt = user("krbtgt", 502, NORMAL | ad.UAC_DISABLED, pwd_days=100, logon_days=None, admin_count=1)
    guest = user("Guest", 501, NORMAL | ad.UAC_DISABLED, logon_days=None)
    alice = user("alice", 1105)
    dc = computer("DC1", 1000, ad.UAC_SERVER_TRUST_ACCOUNT | ad.UAC_TRUSTED_FOR_DELEGATION, primary=516)
    ws = computer("WS1", 1106, os="Windows 11 Enterprise", os_version="10.0 (26100)", laps=True)
    groups = [
        group("Domain Admins", f"{DOMAIN_SID}-512", [dn("Administrator")]),
        group("Administrators", "S-1-5-32-544", [dn("Administrator"), dn("Domain Admins")]),
        group("Protected Users", f"{DOMAIN_SID}-525", [dn("Administrator")]),
        group("Domain Users", f"{DOMAIN_SID}-513", []),
    ]
    return directory([admin, krbtgt, guest, alice], [dc, ws], groups)


def judge(data: dict[str, Any], **settings: Any) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    findings, document = ad.evaluate(data, settings, TABLE, NOW)
    return dict(findings), dict(document)


# ---- decoding ----------------------------------------------------------------------------------------


def test_a_raw_entry_is_decoded_whatever_the_case_of_the_attribute_names() -> None:
    created = NOW - timedelta(days=3)
    raw = {
        "sAMAccountName": [b"alice"],
        "objectSid": [sid_bytes(f"{DOMAIN_SID}-1105")],
        "useraccountcontrol": [b"66048"],
        "primaryGroupID": [b"512"],
        "lastLogonTimestamp": [filetime(NOW - timedelta(days=2)).encode()],
        "whenCreated": [created.strftime("%Y%m%d%H%M%S.0Z").encode()],
        "pwdLastSet": [b"0"],
        "servicePrincipalName": [b"MSSQLSvc/sql1:1433"],
        "ms-Mcs-AdmPwdExpirationTime": [filetime(NOW + timedelta(days=20)).encode()],
    }
    entry = ad.decode_entry(dn("alice"), raw)
    assert entry["name"] == "alice" and entry["sid"] == f"{DOMAIN_SID}-1105"
    assert entry["uac"] == 66048 and entry["primary_group_id"] == 512
    assert entry["last_logon"] == NOW - timedelta(days=2)
    assert entry["created"] == created.replace(microsecond=0)
    assert entry["pwd_last_set"] is None  # 0: must change at next logon, never set
    assert entry["spn"] and entry["laps"]
    pc = ad.decode_entry(
        dn("ws01", "CN=Computers"), {"sAMAccountName": [b"WS01$"], "cn": [b"ws01"]}, computer=True
    )
    assert pc["name"] == "ws01"
    assert ad.decode_entry("CN=x", {"sAMAccountName": [b"WS02$"]}, computer=True)["name"] == "WS02"


def test_filetimes_never_and_zero_are_none() -> None:
    assert (
        ad.filetime("0") is None and ad.filetime(str(ad.FILETIME_NEVER)) is None and ad.filetime("x") is None
    )
    assert ad.filetime(filetime(NOW)) == NOW


def test_sids_are_read_from_their_binary_form() -> None:
    assert ad.sid_text(sid_bytes("S-1-5-32-544")) == "S-1-5-32-544"
    assert ad.sid_text(b"\x01") is None
    assert ad.rid_of("S-1-5-21-1-2-3-512") == 512


# ---- privileged accounts -----------------------------------------------------------------------------


def test_members_are_resolved_through_nested_groups_and_the_primary_group() -> None:
    data = clean()
    data["users"] += [
        user("nested-admin", 1201),
        user("primary-admin", 1202, primary=512),  # Domain Admins by its primary group only
        user("backup-op", 1203),
    ]
    data["groups"] += [
        group("Tier0", f"{DOMAIN_SID}-1300", [dn("Tier0-inner")]),
        group("Tier0-inner", f"{DOMAIN_SID}-1301", [dn("nested-admin"), dn("Tier0")]),  # a cycle
        group("Backup Operators", "S-1-5-32-551", [dn("backup-op")]),
    ]
    data["groups"][0]["member"].append(dn("Tier0"))  # Domain Admins holds Tier0
    findings, document = judge(data, privileged_max=3)
    names = {a["name"]: a["groups"] for a in document["privileged_accounts"]}
    assert names == {
        "Administrator": ["Administrators", "Domain Admins"],
        "backup-op": ["Backup Operators"],
        "nested-admin": ["Administrators", "Domain Admins"],  # Domain Admins is in Administrators
        "primary-admin": ["Administrators", "Domain Admins"],
    }
    assert not findings["AD-PRIV-01"]["ok"] and findings["AD-PRIV-01"]["count"] == 4
    assert findings["AD-PRIV-01"]["text"].startswith(
        "4 privileged accounts (at most 3): Administrator, backup-op, nested-admin, primary-admin; by group: "
    )
    assert {g["name"]: g["members"] for g in document["privileged_groups"]} == {
        "Domain Admins": 3,
        "Administrators": 3,
        "Backup Operators": 1,
    }


def test_krbtgt_and_the_domain_controllers_are_not_privileged_accounts() -> None:
    data = clean()
    data["groups"][1]["member"] += [dn("krbtgt"), dn("DC1", "CN=Computers")]
    findings, document = judge(data)
    assert [a["name"] for a in document["privileged_accounts"]] == ["Administrator"]
    assert findings["AD-PRIV-01"]["ok"]


def test_a_foreign_principal_counts_as_a_privileged_account() -> None:
    data = clean()
    foreign = f"CN=S-1-5-21-9-9-9-1109,CN=ForeignSecurityPrincipals,{BASE}"
    data["groups"][1]["member"].append(foreign)
    findings, document = judge(data)
    assert findings["AD-PRIV-01"]["count"] == 2
    assert {"name": "S-1-5-21-9-9-9-1109", "kind": "foreign"}.items() <= document["privileged_accounts"][
        1
    ].items()


def test_the_flags_of_privileged_users() -> None:
    data = clean()
    data["users"] += [
        user("da-noexpire", 1201, NORMAL | ad.UAC_DONT_EXPIRE_PASSWORD | ad.UAC_NOT_DELEGATED),
        user("da-stale", 1202, NORMAL | ad.UAC_NOT_DELEGATED, logon_days=200),
        user("da-spn", 1203, NORMAL | ad.UAC_NOT_DELEGATED, spn=True),
        user("da-disabled", 1204, NORMAL | ad.UAC_DISABLED, logon_days=300),
    ]
    data["groups"][0]["member"] += [dn("da-noexpire"), dn("da-stale"), dn("da-spn"), dn("da-disabled")]
    data["groups"][2]["member"] += [dn("da-noexpire"), dn("da-stale"), dn("da-spn")]
    findings, document = judge(data)
    assert findings["AD-PRIV-02"]["names"] == ["da-noexpire"]
    assert findings["AD-PRIV-02"]["text"] == "1 privileged account whose password never expires: da-noexpire"
    # A disabled account is neither stale nor asked to be sensitive or protected.
    assert findings["AD-PRIV-03"]["ok"] and findings["AD-PRIV-04"]["ok"]
    assert findings["AD-PRIV-05"]["names"] == ["da-stale"]
    assert findings["AD-PRIV-06"]["names"] == ["da-spn"]
    flags = {a["name"]: a["flags"] for a in document["privileged_accounts"]}
    assert flags["da-disabled"] == ["not_sensitive", "not_protected_users"]
    # The riskiest first in the document.
    assert (
        document["privileged_accounts"][0]["name"] == "da-disabled"
        or len(flags[document["privileged_accounts"][0]["name"]]) >= 2
    )


def test_protected_users_and_sensitive_apply_to_enabled_privileged_users() -> None:
    data = clean()
    data["users"].append(user("da-plain", 1201))
    data["groups"][0]["member"].append(dn("da-plain"))
    findings, _ = judge(data)
    assert findings["AD-PRIV-03"] == {
        "ok": False,
        "count": 1,
        "names": ["da-plain"],
        "text": "1 enabled privileged user not marked sensitive (can be delegated): da-plain",
    }
    assert findings["AD-PRIV-04"]["names"] == ["da-plain"]
    assert findings["AD-PRIV-04"]["text"] == "1 enabled privileged user outside Protected Users: da-plain"


def test_protected_users_membership_is_resolved_through_nesting_too() -> None:
    data = clean()
    data["users"].append(user("da-nested-protected", 1201, NORMAL | ad.UAC_NOT_DELEGATED))
    data["groups"][0]["member"].append(dn("da-nested-protected"))
    data["groups"].append(group("Admins-protected", f"{DOMAIN_SID}-1400", [dn("da-nested-protected")]))
    data["groups"][2]["member"].append(dn("Admins-protected"))
    findings, _ = judge(data)
    assert findings["AD-PRIV-04"]["ok"], findings["AD-PRIV-04"]


# ---- every account ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("control", "bit"),
    [
        ("AD-ACC-01", ad.UAC_DONT_REQ_PREAUTH),
        ("AD-ACC-02", ad.UAC_ENCRYPTED_TEXT_PWD_ALLOWED),
        ("AD-ACC-03", ad.UAC_USE_DES_KEY_ONLY),
        ("AD-ACC-04", ad.UAC_PASSWD_NOTREQD),
    ],
)
def test_a_risky_flag_on_an_enabled_account_fails_its_control(control: str, bit: int) -> None:
    data = clean()
    data["users"] += [user("bob", 1201, NORMAL | bit), user("old", 1202, NORMAL | bit | ad.UAC_DISABLED)]
    findings, _ = judge(data)
    assert findings[control]["names"] == ["bob"] and findings[control]["count"] == 1, findings[control]
    assert all(
        findings[c]["ok"] for c in ("AD-ACC-01", "AD-ACC-02", "AD-ACC-03", "AD-ACC-04") if c != control
    )


def test_guest_enabled_fails() -> None:
    data = clean()
    data["users"][2]["uac"] = NORMAL
    findings, _ = judge(data)
    assert findings["AD-ACC-05"] == {
        "ok": False,
        "count": 1,
        "names": ["Guest"],
        "text": "the Guest account (Guest) is enabled",
    }


def test_admincount_leftovers_exclude_krbtgt_and_the_members_of_protected_groups() -> None:
    data = clean()
    data["users"] += [
        user("former-admin", 1201, admin_count=1),
        user("replicator-member", 1202, admin_count=1),
    ]
    data["groups"].append(group("Replicator", "S-1-5-32-552", [dn("replicator-member")]))
    findings, _ = judge(data)
    assert findings["AD-ACC-06"]["names"] == ["former-admin"]


def test_stale_users_by_last_logon_or_creation() -> None:
    data = clean()
    data["users"] += [
        user("gone", 1201, logon_days=91),
        user("never-old", 1202, logon_days=None, created_days=120),
        user("never-new", 1203, logon_days=None, created_days=10),
        user("recent", 1204, logon_days=89),
    ]
    findings, _ = judge(data)
    assert findings["AD-ACC-07"]["names"] == ["gone", "never-old"]
    findings, _ = judge(data, stale_days=200)
    assert findings["AD-ACC-07"]["ok"]


def test_unconstrained_delegation_outside_the_domain_controllers() -> None:
    data = clean()
    data["computers"].append(computer("APP1", 1201, WORKSTATION | ad.UAC_TRUSTED_FOR_DELEGATION, laps=True))
    findings, _ = judge(data)
    assert findings["AD-DEL-01"]["names"] == ["APP1"]
    assert findings["AD-DEL-01"]["text"].startswith("1 account outside the domain controllers trusted")


def test_names_are_capped_with_the_count() -> None:
    data = clean()
    data["users"] += [user(f"u{i:02}", 1300 + i, NORMAL | ad.UAC_DONT_REQ_PREAUTH) for i in range(15)]
    findings, _ = judge(data, evidence_names=3)
    assert findings["AD-ACC-01"]["count"] == 15 and findings["AD-ACC-01"]["names"] == ["u00", "u01", "u02"]
    assert findings["AD-ACC-01"]["text"].endswith(": u00, u01, u02 … and 12 more (15 in all)")


def test_the_privileged_accounts_of_the_document_are_capped_at_200() -> None:
    data = clean()
    data["users"] += [user(f"adm{i:03}", 2000 + i) for i in range(250)]
    data["groups"][0]["member"] += [dn(f"adm{i:03}") for i in range(250)]
    findings, document = judge(data)
    assert len(document["privileged_accounts"]) == 200 and document["privileged_accounts_total"] == 251
    assert findings["AD-PRIV-01"]["count"] == 251 and len(findings["AD-PRIV-01"]["names"]) == 10


# ---- krbtgt and the domain policy ---------------------------------------------------------------------


def test_krbtgt_age() -> None:
    data = clean()
    findings, document = judge(data)
    assert findings["AD-KRB-01"]["ok"]
    assert document["krbtgt_password_last_set"] == "2026-08-29T08:00:00Z"
    data["users"][1]["pwd_last_set"] = datetime(2024, 5, 1, tzinfo=UTC)
    findings, _ = judge(data)
    assert findings["AD-KRB-01"] == {
        "ok": False,
        "count": 1,
        "names": ["krbtgt"],
        "text": "krbtgt password last changed 2024-05-01, 950 days ago (at most 365)",
    }
    findings, _ = judge(clean(), krbtgt_max_age_days=0)
    assert not findings["AD-KRB-01"]["ok"]


def test_the_password_and_lockout_policy() -> None:
    findings, document = judge(clean())
    assert document["policy"] == {
        "min_password_length": 14,
        "complexity": True,
        "history": 24,
        "max_password_age_days": 42,
        "lockout_threshold": 5,
        "lockout_duration_minutes": 30,
        "machine_account_quota": 0,
    }
    assert all(findings[c]["ok"] for c in ("AD-DOM-01", "AD-DOM-02", "AD-DOM-03"))
    samba = directory(
        [],
        [],
        [],
        minPwdLength="7",
        pwdHistoryLength="24",
        lockoutThreshold="0",
        **{"ms-DS-MachineAccountQuota": "10"},
    )
    findings, _ = judge(samba)
    assert findings["AD-DOM-01"]["text"] == (
        "ms-DS-MachineAccountQuota is 10 (expected 0: only delegated accounts join computers)"
    )
    assert findings["AD-DOM-02"]["text"] == (
        "password policy: minimum length 7, complexity on, history 24; minimum length 7 (at least 12)"
    )
    assert findings["AD-DOM-03"]["text"] == "lockout threshold 0: accounts never lock (expected 1 to 10)"
    assert not any(findings[c]["ok"] for c in ("AD-DOM-01", "AD-DOM-02", "AD-DOM-03"))
    findings, _ = judge(directory([], [], [], pwdProperties="0", pwdHistoryLength="5", lockoutThreshold="50"))
    assert (
        "complexity off" in findings["AD-DOM-02"]["text"]
        and "history 5 passwords (at least 12)" in findings["AD-DOM-02"]["text"]
    )
    assert not findings["AD-DOM-03"]["ok"]


# ---- LAPS ---------------------------------------------------------------------------------------------


def test_laps_schema_and_coverage_of_enabled_computers_outside_the_dcs() -> None:
    data = clean()
    data["computers"] += [
        computer("WS2", 1201, os="Windows 11 Pro", os_version="10.0 (26100)"),
        computer("WS3", 1202, WORKSTATION | ad.UAC_DISABLED),
    ]
    findings, document = judge(data)
    assert findings["AD-LAPS-01"]["ok"]
    assert document["laps"] == {"legacy_schema": True, "windows_schema": False, "computers": 2, "covered": 1}
    assert findings["AD-LAPS-02"]["text"] == (
        "LAPS covers 1 of 2 enabled computers outside the domain controllers (50 %, at least 100 %); "
        "not covered: WS2"
    )
    assert judge(data, laps_coverage_min=50)[0]["AD-LAPS-02"]["ok"]
    data["laps_schema"] = {"legacy": False, "windows": False}
    findings, _ = judge(data)
    assert findings["AD-LAPS-01"]["text"] == "no LAPS schema (neither legacy nor Windows LAPS)"


# ---- computers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "version", "status", "shown"),
    [
        ("Windows 7 Professional", "6.1 (7601)", "unsupported", "Windows 7"),
        ("Windows Server 2008 R2 Standard", "6.1 (7601)", "unsupported", "Windows Server 2008 R2"),
        ("Windows Server 2012 R2 Datacenter", "6.3 (9600)", "unsupported", "Windows Server 2012 R2"),
        ("Windows 10 Pro", "10.0 (19045)", "unsupported", "Windows 10 22H2 Home/Pro"),
        ("Windows 10 Enterprise", "10.0 (19045)", "unsupported", "Windows 10 22H2 Enterprise/Education"),
        ("Windows 10 Enterprise LTSC", "10.0 (19044)", "supported", "Windows 10 Enterprise LTSC 2021"),
        ("Windows 11 Enterprise", "10.0 (26100)", "supported", "Windows 11 24H2 Enterprise/Education"),
        ("Windows Server 2022 Standard", "10.0 (20348)", "supported", "Windows Server 2022"),
        ("Debian GNU/Linux", "12", "supported", "Debian 12 bookworm (LTS)"),
        ("Ubuntu", "20.04", "unsupported", "Ubuntu 20.04 LTS"),
        ("Samba", "4.17.12", "unknown", None),
        (None, None, "unknown", None),
    ],
)
def test_end_of_support_of_a_computer_object(
    name: str | None, version: str | None, status: str, shown: str | None
) -> None:
    support = ad.end_of_support(name, version, TABLE, NOW)
    assert (support["status"], support["name"]) == (status, shown)


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("Windows 10 Pro", "10.0 (19045)"),
        ("Windows 10 Enterprise", "10.0 (19044)"),
        ("Windows 11 Enterprise", "10.0 (22631)"),
        ("Windows 11 Pro", "10.0 (22000)"),
        ("Windows 10 Enterprise LTSC", "10.0 (17763)"),
        ("Windows Server 2019 Standard", "10.0 (17763)"),
        ("Windows Server 2012 R2 Standard", "6.3 (9600)"),
        ("Windows Server 2008 R2 Standard", "6.1 (7601)"),
        ("Debian GNU/Linux", "12"),
        ("Ubuntu", "22.04"),
        ("Red Hat Enterprise Linux", "9.4"),
    ],
)
def test_the_matching_agrees_with_compliance_facts(name: str, version: str) -> None:
    """The same row as compliance_facts' carehard_os_support for the fleet facts of that host."""
    os_info = ad.directory_os(name, version)
    ours = ad.support_row(os_info, TABLE)
    theirs = fleet_eval.os_support({"os": os_info}, TABLE, NOW.date().isoformat())
    assert ours is not None
    assert theirs["name"] == ours["name"] and theirs["ends"] == ours["ends"]


def test_computers_past_their_end_of_support_and_stale() -> None:
    data = clean()
    data["computers"] += [
        computer("OLD7", 1201, os="Windows 7 Professional", os_version="6.1 (7601)", laps=True),
        computer("SRV2008", 1202, os="Windows Server 2008 R2 Standard", os_version="6.1 (7601)", laps=True),
        computer(
            "GONE",
            1203,
            os="Windows 7 Professional",
            os_version="6.1 (7601)",
            uac=WORKSTATION | ad.UAC_DISABLED,
        ),
        computer(
            "IDLE", 1204, os="Windows 11 Enterprise", os_version="10.0 (26100)", laps=True, logon_days=120
        ),
        computer("NAS", 1205, os="Samba", os_version="4.17", laps=True),
    ]
    findings, document = judge(data)
    assert findings["AD-CMP-01"]["names"] == [
        "OLD7 (Windows 7, ended 2020-01-14)",
        "SRV2008 (Windows Server 2008 R2, ended 2020-01-14)",
    ]
    assert findings["AD-CMP-02"]["names"] == ["IDLE"]
    assert document["counts"] == {
        "users": 4,
        "users_enabled": 2,
        "computers": 7,
        "computers_enabled": 6,
        "groups": 4,
        "domain_controllers": 1,
    }
    data["computers"] = [*data["computers"][:2], data["computers"][-1]]
    findings, _ = judge(data)
    assert findings["AD-CMP-01"]["ok"]
    assert findings["AD-CMP-01"]["text"] == (
        "no enabled computer on an operating system past its end of support "
        "(3 checked; 2 OSes not in the table)"
    )


def test_every_control_passes_on_a_clean_domain_and_the_document_has_its_shape() -> None:
    findings, document = judge(clean())
    assert sorted(findings) == sorted(ad.CONTROLS)
    assert {c: f["text"] for c, f in findings.items() if not f["ok"]} == {}
    assert document["schema"] == "carehard-directory/1"
    assert document["read_at"] == "2026-12-07T08:00:00Z"
    assert document["privileged_accounts"] == [
        {
            "name": "Administrator",
            "kind": "user",
            "enabled": True,
            "groups": ["Administrators", "Domain Admins"],
            "flags": [],
            "last_logon": "2026-12-06T08:00:00Z",
            "password_last_set": "2026-11-07T08:00:00Z",
        }
    ]
    for key in (
        "domain",
        "netbios",
        "server",
        "auth",
        "base_dn",
        "functional_level",
        "highest_committed_usn",
    ):
        assert document[key] is not None, key


# ---- the module's own checks --------------------------------------------------------------------------


def test_the_password_is_the_first_line_of_its_file(tmp_path: Path) -> None:
    path = tmp_path / "ad.pass"
    path.write_text("s3cret pass\nsecond line\n")
    assert ad.read_password(None, str(path)) == "s3cret pass"
    assert ad.read_password("given", str(path)) == "given"
    path.write_text("\n")
    with pytest.raises(ad.DirectoryError, match="is empty"):
        ad.read_password(None, str(path))
    with pytest.raises(ad.DirectoryError, match="cannot read the password file"):
        ad.read_password(None, str(tmp_path / "missing"))


def test_connection_failures_are_one_line_naming_the_cause() -> None:
    refused = ad._connection_error(
        OSError("socket connection error while opening: [Errno 111] Connection refused"), "dc1:636", "ldaps"
    )
    assert (
        str(refused) == "dc1:636 refused the connection ([Errno 111] Connection refused): "
        "is it a domain controller, ldaps on that port?"
    )
    cert = ad._connection_error(
        OSError(
            "socket ssl wrapping error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
            "self-signed"
        ),
        "dc1:636",
        "ldaps",
    )
    assert str(cert).startswith(
        "the certificate of dc1:636 is not trusted (certificate verify failed: self-signed)"
    )
    # As ldap3 raises it: the error of each address tried, nested in tuples.
    nested = OSError(
        "((\"('socket ssl wrapping error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
        "unable to get local issuer certificate (_ssl.c:1006)',)\",),)"
    )
    said = str(ad._connection_error(nested, "198.19.42.21:636", "ldaps"))
    assert said == (
        "the certificate of 198.19.42.21:636 is not trusted (certificate verify failed: unable to get local "
        "issuer certificate): set carehard_directory_ca_file to the CA of the domain controllers, and "
        "carehard_directory_server to a name the certificate carries"
    )
    assert len(said) < 300  # what carehard keeps of a failed task's first line
    assert "\n" not in str(cert)


def test_ldap_filter_values_are_escaped() -> None:
    assert ad._escape("DC=a(b)*,DC=c\\") == "DC=a\\28b\\29\\2a,DC=c\\5c"


def test_kerberos_without_the_gssapi_package_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ldap3")
    monkeypatch.setitem(sys.modules, "gssapi", None)  # as if not installed (the test extra installs it)
    params = {"auth": "kerberos", "server": "dc1.chu-example.fr", "timeout": 5, "validate_certs": True}
    with pytest.raises(ad.DirectoryError) as refused:
        ad.connect(params, None)
    assert str(refused.value).startswith("carehard_directory_auth kerberos needs the Python package gssapi")
    assert "\n" not in str(refused.value)
