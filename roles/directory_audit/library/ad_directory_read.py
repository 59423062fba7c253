#!/usr/bin/python
"""Read an Active Directory over LDAP, read-only, and judge it (the AD- controls of carehard).

It runs on the control node (the play sets the local connection and the playbook's Python), binds
with a read-only domain account over LDAPS, StartTLS or Kerberos (SASL GSSAPI inside TLS), and only
searches: paged (500 per page), with the attributes needed and nothing else. The reading (main() and
read_directory()) is apart from the judging (pure functions of the decoded entries: decode_entry(),
resolve_privileged(), evaluate()), which tests/unit/test_directory_read.py tests on data. Runs on
carehard's Python (3.11+) but keeps to 3.8 like the other modules of the roles.
"""

from __future__ import annotations

import contextlib
import re
import ssl
import struct
import sys
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping, Sequence

DOCUMENTATION = r"""
module: ad_directory_read
short_description: Read an Active Directory (read-only) and judge it against carehard's AD- controls
description:
  - Binds to a domain controller with ldap3 (LDAPS with the certificate verified, StartTLS, or Kerberos
    SASL GSSAPI inside TLS with the ticket cache) and reads the rootDSE, the domain object, the schema
    (LAPS attributes), the users, computers and groups with paged searches. It never writes.
  - Returns C(findings), one entry per AD- control (ok, count, names, text), and C(directory), the
    carehard-directory/1 document (docs/directory.md).
  - A server that does not answer, a certificate not trusted, a refused bind fail the module with one
    line naming the cause.
options:
  domain: {description: The DNS name of the domain., type: str, required: true}
  server: {description: "The address of a domain controller (with kerberos: its DNS name).", type: str,
    required: true}
  address: {description: "With kerberos: where to connect when the name is not resolvable here (the DC's IP);
    the ticket is still for ldap/<server>, and the certificate must carry that name.", type: str}
  auth: {description: How to bind., type: str, choices: [ldaps, starttls, kerberos], default: ldaps}
  port: {description: The LDAP port (ldaps and kerberos 636, starttls 389)., type: int}
  user: {description: The account (user@domain or DOMAIN\\user); not with kerberos., type: str}
  password: {description: Its password., type: str}
  password_file: {description: A file on the control node whose first line is the password., type: path}
  ca_file: {description: CA bundle to verify the DC's certificate (default the system's)., type: path}
  validate_certs: {description: Verify the certificate and its name., type: bool, default: true}
  timeout: {description: Seconds per connection and LDAP operation., type: int, default: 30}
"""

RETURN = r"""
findings: {description: "{ID: {ok, count, names, text}} per AD- control", type: dict, returned: success}
directory: {description: the carehard-directory/1 document, type: dict, returned: success}
"""

SCHEMA = "carehard-directory/1"
PAGE_SIZE = 500
PRIVILEGED_CAP = 200

# userAccountControl bits
UAC_DISABLED = 0x2
UAC_PASSWD_NOTREQD = 0x20
UAC_ENCRYPTED_TEXT_PWD_ALLOWED = 0x80
UAC_SERVER_TRUST_ACCOUNT = 0x2000
UAC_DONT_EXPIRE_PASSWORD = 0x10000
UAC_TRUSTED_FOR_DELEGATION = 0x80000
UAC_NOT_DELEGATED = 0x100000
UAC_USE_DES_KEY_ONLY = 0x200000
UAC_DONT_REQ_PREAUTH = 0x400000
UAC_PARTIAL_SECRETS_ACCOUNT = 0x4000000

# Privileged groups by RID: domain groups (domain SID + RID) and builtin ones (S-1-5-32-RID).
DOMAIN_PRIVILEGED = {512: "Domain Admins", 518: "Schema Admins", 519: "Enterprise Admins"}
BUILTIN_PRIVILEGED = {
    544: "Administrators",
    548: "Account Operators",
    549: "Server Operators",
    550: "Print Operators",
    551: "Backup Operators",
}
# Groups whose members AdminSDHolder also marks adminCount=1 (not leftovers): Replicator, Key Admins,
# Enterprise Key Admins.
DOMAIN_PROTECTED_EXTRA = (526, 527)
BUILTIN_PROTECTED_EXTRA = (552,)
RID_GUEST = 501
RID_KRBTGT = 502
RID_PROTECTED_USERS = 525
DC_PRIMARY_GROUPS = (516, 521)

FLAG_ORDER = (
    "password_never_expires",
    "not_sensitive",
    "not_protected_users",
    "stale",
    "spn",
    "no_preauth",
    "reversible",
    "des_only",
    "password_not_required",
)

CONTROLS = (
    "AD-KRB-01",
    "AD-PRIV-01",
    "AD-PRIV-02",
    "AD-PRIV-03",
    "AD-PRIV-04",
    "AD-PRIV-05",
    "AD-PRIV-06",
    "AD-ACC-01",
    "AD-ACC-02",
    "AD-ACC-03",
    "AD-ACC-04",
    "AD-ACC-05",
    "AD-ACC-06",
    "AD-ACC-07",
    "AD-DEL-01",
    "AD-DOM-01",
    "AD-DOM-02",
    "AD-DOM-03",
    "AD-LAPS-01",
    "AD-LAPS-02",
    "AD-CMP-01",
    "AD-CMP-02",
)

DEFAULT_SETTINGS = {
    "krbtgt_max_age_days": 365,
    "stale_days": 90,
    "privileged_max": 10,
    "min_password_length": 12,
    "password_history_min": 12,
    "lockout_threshold_max": 10,
    "laps_coverage_min": 100,
    "evidence_names": 10,
}

USER_ATTRIBUTES = [
    "sAMAccountName",
    "objectSid",
    "userAccountControl",
    "primaryGroupID",
    "lastLogonTimestamp",
    "whenCreated",
    "pwdLastSet",
    "servicePrincipalName",
    "adminCount",
]
COMPUTER_ATTRIBUTES = [
    "sAMAccountName",
    "cn",
    "objectSid",
    "userAccountControl",
    "primaryGroupID",
    "lastLogonTimestamp",
    "whenCreated",
    "pwdLastSet",
    "adminCount",
    "operatingSystem",
    "operatingSystemVersion",
]
GROUP_ATTRIBUTES = ["sAMAccountName", "cn", "objectSid", "member", "adminCount"]
DOMAIN_ATTRIBUTES = [
    "objectSid",
    "minPwdLength",
    "pwdProperties",
    "pwdHistoryLength",
    "maxPwdAge",
    "lockoutThreshold",
    "lockoutDuration",
    "ms-DS-MachineAccountQuota",
]
LAPS_LEGACY = "ms-Mcs-AdmPwdExpirationTime"
LAPS_WINDOWS = "msLAPS-PasswordExpirationTime"

UTC = timezone.utc
FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
FILETIME_NEVER = 0x7FFFFFFFFFFFFFFF


class DirectoryError(Exception):
    """A cause the read task fails with, in one line."""


# ---- Decoding ------------------------------------------------------------------------------------


def sid_text(raw: Any) -> str | None:
    """A binary SID as S-1-5-21-...; None when it is not one."""
    if isinstance(raw, str):
        return raw if raw.startswith("S-") else None
    if not isinstance(raw, (bytes, bytearray)) or len(raw) < 8:
        return None
    revision, count = raw[0], raw[1]
    if len(raw) < 8 + 4 * count:
        return None
    authority = int.from_bytes(bytes(raw[2:8]), "big")
    subs = struct.unpack("<" + "I" * count, bytes(raw[8 : 8 + 4 * count]))
    return f"S-{revision}-{authority}" + "".join(f"-{s}" for s in subs)


def rid_of(sid: str | None) -> int | None:
    if not sid:
        return None
    tail = sid.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None


def filetime(value: Any) -> datetime | None:
    """A FILETIME (100 ns since 1601: pwdLastSet, lastLogonTimestamp, LAPS expiry); None for 0 or never."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    if number <= 0 or number >= FILETIME_NEVER:
        return None
    try:
        return FILETIME_EPOCH + timedelta(microseconds=number // 10)
    except OverflowError:
        return None


def generalized_time(value: Any) -> datetime | None:
    """An LDAP GeneralizedTime (whenCreated: 20240501100000.0Z) in UTC."""
    match = re.match(r"^(\d{14})", str(value or ""))
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _text(value: Any) -> str | None:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    try:
        return int(_text(value) or "")
    except ValueError:
        return None


def _values(raw: Mapping[str, Any], name: str) -> list[Any]:
    """An attribute's values, matched without case (LDAP names are case-insensitive)."""
    wanted = name.lower()
    for key, values in raw.items():
        if key.lower() == wanted:
            return list(values) if isinstance(values, (list, tuple)) else [values]
    return []


def _first(raw: Mapping[str, Any], name: str) -> Any:
    values = _values(raw, name)
    return values[0] if values else None


def decode_entry(dn: str, raw: Mapping[str, Any], computer: bool = False) -> dict[str, Any]:
    """One user, computer or group from its raw attributes (bytes, as ldap3 gives raw_attributes).
    A computer is named by its cn (WS01), an account or group by its sAMAccountName."""
    account = _text(_first(raw, "sAMAccountName"))
    common = _text(_first(raw, "cn"))
    name = (common or (account or "").rstrip("$")) if computer else (account or common)
    laps_legacy = filetime(_text(_first(raw, LAPS_LEGACY)))
    laps_windows = filetime(_text(_first(raw, LAPS_WINDOWS)))
    return {
        "dn": dn,
        "name": name or dn,
        "sid": sid_text(_first(raw, "objectSid")),
        "uac": _int(_first(raw, "userAccountControl")) or 0,
        "primary_group_id": _int(_first(raw, "primaryGroupID")),
        "last_logon": filetime(_text(_first(raw, "lastLogonTimestamp"))),
        "created": generalized_time(_text(_first(raw, "whenCreated"))),
        "pwd_last_set": filetime(_text(_first(raw, "pwdLastSet"))),
        "spn": bool(_values(raw, "servicePrincipalName")),
        "admin_count": _int(_first(raw, "adminCount")) or 0,
        "member": [_text(m) or "" for m in _values(raw, "member")],
        "os": _text(_first(raw, "operatingSystem")),
        "os_version": _text(_first(raw, "operatingSystemVersion")),
        "laps": laps_legacy is not None or laps_windows is not None,
    }


# ---- Membership ----------------------------------------------------------------------------------


def _key(dn: str) -> str:
    return dn.lower()


def privileged_group_sids(domain_sid: str) -> dict[str, str]:
    """SID -> the group's English name (the directory's own name is shown when it has one)."""
    sids = {f"{domain_sid}-{rid}": name for rid, name in DOMAIN_PRIVILEGED.items()}
    sids.update({f"S-1-5-32-{rid}": name for rid, name in BUILTIN_PRIVILEGED.items()})
    return sids


def group_closure(
    groups: Sequence[Mapping[str, Any]], accounts: Sequence[Mapping[str, Any]], domain_sid: str
) -> Callable[[str], dict[str, Mapping[str, Any]]]:
    """A function: group SID -> its members (accounts and foreign principals, not groups), by DN key,
    resolved through nested groups and through primaryGroupID (a user whose primaryGroupID is 512 is
    in Domain Admins without being in its `member`)."""
    by_dn = {_key(g["dn"]): g for g in groups}
    by_sid = {g["sid"]: g for g in groups if g.get("sid")}
    accounts_by_dn = {_key(a["dn"]): a for a in accounts}
    primary: dict[int, list[Mapping[str, Any]]] = {}
    for account in accounts:
        if account.get("primary_group_id") is not None:
            primary.setdefault(int(account["primary_group_id"]), []).append(account)

    def resolve(sid: str) -> dict[str, Mapping[str, Any]]:
        group = by_sid.get(sid)
        found: dict[str, Mapping[str, Any]] = {}
        if group is None:
            return found
        seen = {_key(group["dn"])}
        todo = [group]
        while todo:
            current = todo.pop()
            current_sid = current.get("sid") or ""
            if current_sid.startswith(domain_sid + "-"):
                for account in primary.get(rid_of(current_sid) or -1, []):
                    found[_key(account["dn"])] = account
            for member in current.get("member") or []:
                mkey = _key(member)
                if mkey in by_dn:
                    if mkey not in seen:
                        seen.add(mkey)
                        todo.append(by_dn[mkey])
                elif mkey in accounts_by_dn:
                    found[mkey] = accounts_by_dn[mkey]
                else:  # a foreign security principal, or an object this account may not read
                    found[mkey] = {"dn": member, "name": _foreign_name(member), "kind": "foreign", "uac": 0}
        return found

    return resolve


def _foreign_name(dn: str) -> str:
    head = dn.split(",", 1)[0]
    return head.split("=", 1)[-1] if "=" in head else dn


def is_dc(account: Mapping[str, Any]) -> bool:
    return bool(
        account.get("primary_group_id") in DC_PRIMARY_GROUPS
        or int(account.get("uac") or 0) & (UAC_SERVER_TRUST_ACCOUNT | UAC_PARTIAL_SECRETS_ACCOUNT)
    )


def enabled(account: Mapping[str, Any]) -> bool:
    return not int(account.get("uac") or 0) & UAC_DISABLED


def is_stale(account: Mapping[str, Any], now: datetime, days: int) -> bool:
    """Enabled, and last logged on more than `days` ago; never logged on and created more than `days` ago."""
    if not enabled(account):
        return False
    limit = now - timedelta(days=days)
    last = account.get("last_logon")
    if last is not None:
        return bool(last < limit)
    created = account.get("created")
    return created is not None and created < limit


# ---- End of support ------------------------------------------------------------------------------

# Windows 10/11 builds -> their release (DisplayVersion), as compliance_facts' table keys client rows.
CLIENT_RELEASES = {
    10240: "1507",
    10586: "1511",
    14393: "1607",
    15063: "1703",
    16299: "1709",
    17134: "1803",
    17763: "1809",
    18362: "1903",
    18363: "1909",
    19041: "2004",
    19042: "20H2",
    19043: "21H1",
    19044: "21H2",
    19045: "22H2",
    22000: "21H2",
    22621: "22H2",
    22631: "23H2",
    26100: "24H2",
    26200: "25H2",
}
LINUX_IDS = (
    ("red hat", "rhel"),
    ("rocky", "rocky"),
    ("alma", "almalinux"),
    ("centos", "centos"),
    ("ubuntu", "ubuntu"),
    ("debian", "debian"),
)


def directory_os(name: str | None, version: str | None) -> dict[str, Any]:
    """A computer object's operatingSystem / operatingSystemVersion as the fleet facts' `os` section
    (family, id, name, edition, version, build) that compliance_facts matches against its table."""
    text = (name or "").strip()
    lowered = text.lower()
    if lowered.startswith("windows"):
        match = re.search(r"\((\d+)\)", version or "")
        build = int(match.group(1)) if match else None
        major = re.match(r"\s*(\d+)", version or "")
        if "ltsc" in lowered or "ltsb" in lowered:
            edition = "EnterpriseS"
        elif "enterprise" in lowered and "server" not in lowered:
            edition = "Enterprise"
        elif "education" in lowered:
            edition = "Education"
        else:
            edition = "Server" if "server" in lowered else "Professional"
        release = CLIENT_RELEASES.get(build or -1, "") if major and int(major.group(1)) >= 10 else ""
        return {
            "family": "windows",
            "id": "windows_server" if "server" in lowered else "windows",
            "name": text,
            "edition": edition,
            "version": release,
            "build": str(build) if build is not None else None,
        }
    for needle, os_id in LINUX_IDS:
        if needle in lowered:
            return {"family": "linux", "id": os_id, "name": text, "version": (version or "").split(" ")[0]}
    return {"family": "other", "id": None, "name": text or None, "version": version}


def _build(value: Any) -> int | None:
    head = str(value or "").split(".")[0]
    return int(head) if head.isdigit() else None


def _day(value: Any) -> datetime | None:
    try:
        return datetime.strptime(str(value)[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


def support_row(os_info: Mapping[str, Any], table: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The end-of-support row of an OS, as compliance_facts' filter carehard_os_support finds it
    (tests/unit/test_directory_read.py checks both agree), plus the builds before Windows 10
    (windows_legacy_client, windows_server rows by build)."""
    if os_info.get("family") == "linux":
        rows = table.get(str(os_info.get("id") or "")) or []
        version = str(os_info.get("version") or "")
        wanted = version if os_info.get("id") == "ubuntu" else version.split(".")[0]
        return next((r for r in rows if isinstance(r, Mapping) and str(r.get("version")) == wanted), None)
    if os_info.get("family") != "windows":
        return None
    build = _build(os_info.get("build"))
    edition = str(os_info.get("edition") or "").lower()
    if os_info.get("id") == "windows_server":
        kind = "windows_server"
    elif edition in ("enterprises", "enterprisesn", "iotenterprises"):
        kind = "windows_ltsc"
    elif edition.rstrip("n") in ("enterprise", "education", "iotenterprise", "serverrdsh"):
        kind = "windows_enterprise"
    else:
        kind = "windows_consumer"
    if kind != "windows_server" and build is not None and build < 10240:
        kind = "windows_legacy_client"
    for row in table.get(kind) or []:
        if not isinstance(row, Mapping):
            continue
        if "build" in row:
            if build is not None and _build(row["build"]) == build:
                return row
            continue
        if str(row.get("version") or "").upper() != str(os_info.get("version") or "").upper():
            continue
        low, high = _build(row.get("build_min")), _build(row.get("build_max"))
        if build is not None and ((low is not None and build < low) or (high is not None and build > high)):
            continue
        return row
    return None


def end_of_support(
    os_name: str | None, os_version: str | None, table: Mapping[str, Any], today: datetime
) -> dict[str, Any]:
    """{status: supported|unsupported|unknown, ends, name} of a computer object's OS."""
    row = support_row(directory_os(os_name, os_version), table or {})
    ends = _day(row.get("ends")) if row else None
    if row is None or ends is None:
        return {"status": "unknown", "ends": None, "name": None}
    status = "unsupported" if ends < today.replace(hour=0, minute=0, second=0, microsecond=0) else "supported"
    return {"status": status, "ends": ends.strftime("%Y-%m-%d"), "name": str(row.get("name") or os_name)}


# ---- Judging -------------------------------------------------------------------------------------


def names_text(names: list[str], cap: int) -> str:
    """'a, b, c' or 'a, b … and 12 more (14 in all)'."""
    cap = max(1, int(cap))
    if len(names) <= cap:
        return ", ".join(names)
    return "{} … and {} more ({} in all)".format(", ".join(names[:cap]), len(names) - cap, len(names))


def _finding(ok: bool, names: list[str], text: str, cap: int) -> dict[str, Any]:
    return {"ok": bool(ok), "count": len(names), "names": names[: max(1, int(cap))], "text": text}


def _listing(ok_text: str, what: str, names: list[str], cap: int) -> dict[str, Any]:
    """A finding that fails when `names` is not empty: 'N <what>: a, b, c'."""
    if not names:
        return _finding(True, [], ok_text, cap)
    if len(names) == 1:  # "1 enabled account without ...", from the plural the callers give
        what = re.sub(r"\b(account|user|computer)s\b", r"\1", what, count=1)
    return _finding(False, names, f"{len(names)} {what}: {names_text(names, cap)}", cap)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _policy(domain: Mapping[str, Any]) -> dict[str, Any]:
    def interval_days(value: Any) -> int | None:
        number = _int(value)
        if number is None or number in (0, -0x8000000000000000):
            return None
        return abs(number) // (10_000_000 * 86400)

    def interval_minutes(value: Any) -> int | None:
        number = _int(value)
        if number is None:
            return None
        if number == -0x8000000000000000:
            return None  # until an administrator unlocks
        return abs(number) // (10_000_000 * 60)

    properties = _int(domain.get("pwdProperties"))
    return {
        "min_password_length": _int(domain.get("minPwdLength")),
        "complexity": None if properties is None else bool(properties & 1),
        "history": _int(domain.get("pwdHistoryLength")),
        "max_password_age_days": interval_days(domain.get("maxPwdAge")),
        "lockout_threshold": _int(domain.get("lockoutThreshold")),
        "lockout_duration_minutes": interval_minutes(domain.get("lockoutDuration")),
        "machine_account_quota": _int(domain.get("ms-DS-MachineAccountQuota")),
    }


def _sorted_names(accounts: Iterable[Mapping[str, Any]]) -> list[str]:
    return sorted({str(a["name"]) for a in accounts}, key=lambda n: (n.lower(), n))


def evaluate(
    data: Mapping[str, Any], settings: Mapping[str, Any], table: Mapping[str, Any], now: datetime
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The findings per control and the carehard-directory/1 document, from the decoded directory:
    data = {domain, netbios, server, auth, base_dn, functional_level, highest_committed_usn,
    domain_sid, domain: {raw policy attributes}, laps_schema: {legacy, windows}, users, computers,
    groups} (users, computers, groups as decode_entry() gives them)."""
    s = dict(DEFAULT_SETTINGS)
    s.update({k: v for k, v in settings.items() if v is not None})
    cap = int(s["evidence_names"])
    stale_days = int(s["stale_days"])
    domain_sid = str(data.get("domain_sid") or "")
    users = [dict(u, kind="user") for u in data.get("users") or []]
    computers = [dict(c, kind="computer") for c in data.get("computers") or []]
    groups = list(data.get("groups") or [])
    accounts = users + computers
    resolve = group_closure(groups, accounts, domain_sid)

    def rid(account: Mapping[str, Any]) -> int | None:
        sid = account.get("sid") or ""
        return rid_of(sid) if sid.startswith(domain_sid + "-") else None

    # Privileged groups and their members (krbtgt and domain controllers are not privileged accounts).
    group_names = {g["sid"]: g["name"] for g in groups if g.get("sid")}
    privileged_groups = []
    membership: dict[str, dict[str, Any]] = {}
    for sid, english in privileged_group_sids(domain_sid).items():
        if sid not in group_names:
            continue
        members = {
            k: a
            for k, a in resolve(sid).items()
            if rid(a) != RID_KRBTGT and not (a.get("kind") != "foreign" and is_dc(a))
        }
        shown = group_names.get(sid) or english
        privileged_groups.append({"name": shown, "rid": rid_of(sid), "members": len(members)})
        for key, account in members.items():
            entry = membership.setdefault(key, {"account": account, "groups": []})
            entry["groups"].append(shown)
    protected_sids = set(privileged_group_sids(domain_sid))
    protected_sids.update(f"{domain_sid}-{r}" for r in DOMAIN_PROTECTED_EXTRA)
    protected_sids.update(f"S-1-5-32-{r}" for r in BUILTIN_PROTECTED_EXTRA)
    protected_members = {k for sid in protected_sids for k in resolve(sid)}
    protected_users = set(resolve(f"{domain_sid}-{RID_PROTECTED_USERS}"))

    def flags(key: str, account: Mapping[str, Any]) -> list[str]:
        uac = int(account.get("uac") or 0)
        found = []
        kind = account.get("kind")
        if kind == "user" and uac & UAC_DONT_EXPIRE_PASSWORD:
            found.append("password_never_expires")
        if kind == "user" and not uac & UAC_NOT_DELEGATED:
            found.append("not_sensitive")
        if kind == "user" and key not in protected_users:
            found.append("not_protected_users")
        if kind != "foreign" and is_stale(account, now, stale_days):
            found.append("stale")
        if kind == "user" and account.get("spn"):
            found.append("spn")
        for bit, flag in (
            (UAC_DONT_REQ_PREAUTH, "no_preauth"),
            (UAC_ENCRYPTED_TEXT_PWD_ALLOWED, "reversible"),
            (UAC_USE_DES_KEY_ONLY, "des_only"),
            (UAC_PASSWD_NOTREQD, "password_not_required"),
        ):
            if uac & bit:
                found.append(flag)
        return found

    privileged = []
    for key, entry in membership.items():
        account = entry["account"]
        privileged.append(
            {
                "key": key,
                "name": str(account["name"]),
                "kind": account.get("kind", "user"),
                "enabled": enabled(account) if account.get("kind") != "foreign" else True,
                "groups": sorted(set(entry["groups"])),
                "flags": flags(key, account),
                "last_logon": iso(account.get("last_logon")),
                "password_last_set": iso(account.get("pwd_last_set")),
                "account": account,
            }
        )
    privileged.sort(key=lambda p: (p["name"].lower(), p["name"]))
    priv_users = [p for p in privileged if p["kind"] == "user"]
    priv_users_enabled = [p for p in priv_users if p["enabled"]]

    def with_flag(items: list[dict[str, Any]], flag: str) -> list[str]:
        return [p["name"] for p in items if flag in p["flags"]]

    findings: dict[str, dict[str, Any]] = {}

    # AD-KRB-01
    krbtgt = next((u for u in users if rid(u) == RID_KRBTGT), None)
    changed = krbtgt.get("pwd_last_set") if krbtgt else None
    max_age = int(s["krbtgt_max_age_days"])
    if changed is None:
        findings["AD-KRB-01"] = _finding(
            False,
            ["krbtgt"],
            f"krbtgt password last change unknown (not readable); at most {max_age} days",
            cap,
        )
    else:
        age = (now - changed).days
        text = "krbtgt password last changed {}, {} days ago (at most {})".format(
            changed.strftime("%Y-%m-%d"), age, max_age
        )
        findings["AD-KRB-01"] = _finding(age <= max_age, [] if age <= max_age else ["krbtgt"], text, cap)

    # AD-PRIV-01
    most = int(s["privileged_max"])
    names = [p["name"] for p in privileged]
    detail = ", ".join("{} {}".format(g["name"], g["members"]) for g in privileged_groups)
    text = "{} (at most {}){}{}".format(
        _plural(len(names), "privileged account", "privileged accounts"),
        most,
        ": " + names_text(names, cap) if names else "",
        "; by group: " + detail if detail else "",
    )
    findings["AD-PRIV-01"] = dict(_finding(len(names) <= most, names, text, cap), count=len(names))

    checked = " ({} checked)".format(_plural(len(priv_users), "privileged user", "privileged users"))
    checked_enabled = " ({} checked)".format(
        _plural(len(priv_users_enabled), "enabled privileged user", "enabled privileged users")
    )
    findings["AD-PRIV-02"] = _listing(
        "no privileged account whose password never expires" + checked,
        "privileged accounts whose password never expires",
        with_flag(priv_users, "password_never_expires"),
        cap,
    )
    findings["AD-PRIV-03"] = _listing(
        "every enabled privileged user is sensitive and cannot be delegated" + checked_enabled,
        "enabled privileged users not marked sensitive (can be delegated)",
        with_flag(priv_users_enabled, "not_sensitive"),
        cap,
    )
    findings["AD-PRIV-04"] = _listing(
        "every enabled privileged user is in Protected Users" + checked_enabled,
        "enabled privileged users outside Protected Users",
        with_flag(priv_users_enabled, "not_protected_users"),
        cap,
    )
    findings["AD-PRIV-05"] = _listing(
        f"no enabled privileged account is stale (last logon within {stale_days} days)",
        f"enabled privileged accounts stale (no logon for {stale_days} days)",
        with_flag([p for p in privileged if p["enabled"]], "stale"),
        cap,
    )
    findings["AD-PRIV-06"] = _listing(
        "no privileged account has a service principal name" + checked,
        "privileged accounts with a service principal name (kerberoastable)",
        with_flag(priv_users, "spn"),
        cap,
    )

    # Every enabled account's flags.
    active = [a for a in accounts if enabled(a)]

    def by_bit(bit: int) -> list[str]:
        return _sorted_names(a for a in active if int(a.get("uac") or 0) & bit)

    total = " ({} checked)".format(_plural(len(active), "enabled account", "enabled accounts"))
    findings["AD-ACC-01"] = _listing(
        "every enabled account requires Kerberos pre-authentication" + total,
        "enabled accounts without Kerberos pre-authentication (AS-REP roastable)",
        by_bit(UAC_DONT_REQ_PREAUTH),
        cap,
    )
    findings["AD-ACC-02"] = _listing(
        "no enabled account stores its password with reversible encryption" + total,
        "enabled accounts with reversible password encryption",
        by_bit(UAC_ENCRYPTED_TEXT_PWD_ALLOWED),
        cap,
    )
    findings["AD-ACC-03"] = _listing(
        "no enabled account is limited to DES" + total,
        "enabled accounts limited to DES keys",
        by_bit(UAC_USE_DES_KEY_ONLY),
        cap,
    )
    findings["AD-ACC-04"] = _listing(
        "no enabled account may have an empty password" + total,
        "enabled accounts whose password is not required",
        by_bit(UAC_PASSWD_NOTREQD),
        cap,
    )
    guest = next((u for u in users if rid(u) == RID_GUEST), None)
    if guest is None:
        findings["AD-ACC-05"] = _finding(True, [], "no Guest account (RID 501) in the domain", cap)
    elif enabled(guest):
        findings["AD-ACC-05"] = _finding(
            False, [guest["name"]], "the Guest account ({}) is enabled".format(guest["name"]), cap
        )
    else:
        findings["AD-ACC-05"] = _finding(
            True, [], "the Guest account ({}) is disabled".format(guest["name"]), cap
        )
    leftovers = _sorted_names(
        a
        for a in accounts
        if int(a.get("admin_count") or 0) == 1
        and rid(a) != RID_KRBTGT
        and not is_dc(a)
        and _key(a["dn"]) not in protected_members
    )
    findings["AD-ACC-06"] = _listing(
        "no account outside the privileged groups keeps adminCount=1",
        "accounts outside the privileged groups with adminCount=1 (AdminSDHolder leftovers)",
        leftovers,
        cap,
    )
    enabled_users = [u for u in users if enabled(u)]
    findings["AD-ACC-07"] = _listing(
        "no enabled user is stale (last logon within {} days; {} checked)".format(
            stale_days, _plural(len(enabled_users), "enabled user", "enabled users")
        ),
        f"enabled users stale (no logon for {stale_days} days)",
        _sorted_names(u for u in enabled_users if is_stale(u, now, stale_days)),
        cap,
    )
    findings["AD-DEL-01"] = _listing(
        "no account outside the domain controllers is trusted for unconstrained delegation",
        "accounts outside the domain controllers trusted for unconstrained delegation",
        _sorted_names(
            a for a in active if int(a.get("uac") or 0) & UAC_TRUSTED_FOR_DELEGATION and not is_dc(a)
        ),
        cap,
    )

    # Domain policy.
    policy = _policy(data.get("domain") or {})
    quota = policy["machine_account_quota"]
    findings["AD-DOM-01"] = _finding(
        quota == 0,
        [],
        "ms-DS-MachineAccountQuota is {} (expected 0: only delegated accounts join computers)".format(
            "not readable" if quota is None else quota
        ),
        cap,
    )
    length, history, complexity = (
        policy["min_password_length"],
        policy["history"],
        policy["complexity"],
    )
    problems = []
    if length is None or length < int(s["min_password_length"]):
        problems.append("minimum length {} (at least {})".format(length, s["min_password_length"]))
    if not complexity:
        problems.append("complexity off")
    if history is None or history < int(s["password_history_min"]):
        problems.append("history {} passwords (at least {})".format(history, s["password_history_min"]))
    said = "password policy: minimum length {}, complexity {}, history {}".format(
        length, "on" if complexity else "off", history
    )
    findings["AD-DOM-02"] = _finding(
        not problems, [], said + ("; " + "; ".join(problems) if problems else ""), cap
    )
    threshold = policy["lockout_threshold"]
    most_lock = int(s["lockout_threshold_max"])
    lock_ok = threshold is not None and 1 <= threshold <= most_lock
    if threshold == 0:
        lock_text = f"lockout threshold 0: accounts never lock (expected 1 to {most_lock})"
    else:
        lock_text = "lockout threshold {} failed logons{} (expected 1 to {})".format(
            threshold,
            ", locked {} minutes".format(policy["lockout_duration_minutes"])
            if policy["lockout_duration_minutes"] is not None
            else "",
            most_lock,
        )
    findings["AD-DOM-03"] = _finding(lock_ok, [], lock_text, cap)

    # LAPS.
    schema = data.get("laps_schema") or {}
    legacy, windows = bool(schema.get("legacy")), bool(schema.get("windows"))
    present = [
        n
        for n, there in (("legacy LAPS (ms-Mcs-AdmPwd)", legacy), ("Windows LAPS (msLAPS-*)", windows))
        if there
    ]
    findings["AD-LAPS-01"] = _finding(
        bool(present),
        [],
        ("LAPS schema present: " + ", ".join(present))
        if present
        else "no LAPS schema (neither legacy nor Windows LAPS)",
        cap,
    )
    laps_scope = [c for c in computers if enabled(c) and not is_dc(c)]
    covered = [c for c in laps_scope if c.get("laps")]
    uncovered = _sorted_names(c for c in laps_scope if not c.get("laps"))
    share = 100.0 if not laps_scope else 100.0 * len(covered) / len(laps_scope)
    minimum = float(s["laps_coverage_min"])
    coverage = (
        f"LAPS covers {len(covered)} of {len(laps_scope)} enabled computers outside the domain controllers "
        f"({share:.0f} %, at least {minimum:g} %)"
    )
    findings["AD-LAPS-02"] = _finding(
        share >= minimum,
        uncovered,
        coverage + ("; not covered: " + names_text(uncovered, cap) if uncovered else ""),
        cap,
    )

    # Computers.
    unsupported = []
    unknown = 0
    for computer in sorted((c for c in computers if enabled(c)), key=lambda c: str(c["name"]).lower()):
        support = end_of_support(computer.get("os"), computer.get("os_version"), table, now)
        if support["status"] == "unsupported":
            unsupported.append("{} ({}, ended {})".format(computer["name"], support["name"], support["ends"]))
        elif support["status"] == "unknown":
            unknown += 1
    unknown_text = "; {} not in the table".format(_plural(unknown, "OS", "OSes")) if unknown else ""
    enabled_computers = [c for c in computers if enabled(c)]
    findings["AD-CMP-01"] = _listing(
        "no enabled computer on an operating system past its end of support "
        f"({len(enabled_computers)} checked{unknown_text})",
        "enabled computers on an operating system past its end of support",
        unsupported,
        cap,
    )
    findings["AD-CMP-02"] = _listing(
        f"no enabled computer is stale (last logon within {stale_days} days; "
        f"{len(enabled_computers)} checked)",
        f"enabled computers stale (no logon for {stale_days} days)",
        _sorted_names(c for c in enabled_computers if is_stale(c, now, stale_days)),
        cap,
    )

    def risk(p: dict[str, Any]) -> tuple[int, str]:
        return (-len(p["flags"]), p["name"].lower())

    shown = sorted(privileged, key=risk)[:PRIVILEGED_CAP]
    document = {
        "schema": SCHEMA,
        "domain": data.get("domain_name"),
        "netbios": data.get("netbios"),
        "server": data.get("server"),
        "auth": data.get("auth"),
        "base_dn": data.get("base_dn"),
        "functional_level": data.get("functional_level"),
        "read_at": iso(now),
        "highest_committed_usn": data.get("highest_committed_usn"),
        "counts": {
            "users": len(users),
            "users_enabled": len(enabled_users),
            "computers": len(computers),
            "computers_enabled": len(enabled_computers),
            "groups": len(groups),
            "domain_controllers": len([c for c in computers if is_dc(c)]),
        },
        "krbtgt_password_last_set": iso(changed),
        "privileged_groups": privileged_groups,
        "privileged_accounts": [
            {
                k: p[k]
                for k in ("name", "kind", "enabled", "groups", "flags", "last_logon", "password_last_set")
            }
            for p in shown
        ],
        "privileged_accounts_total": len(privileged),
        "laps": {
            "legacy_schema": legacy,
            "windows_schema": windows,
            "computers": len(laps_scope),
            "covered": len(covered),
        },
        "policy": policy,
    }
    return findings, document


# ---- Reading -------------------------------------------------------------------------------------


def read_password(password: str | None, password_file: str | None) -> str | None:
    """The password given, else the first line of the file (its end of line removed)."""
    if password:
        return password
    if not password_file:
        return None
    try:
        with open(password_file, encoding="utf-8") as handle:
            line = handle.readline()
    except OSError as exc:
        raise DirectoryError(
            f"cannot read the password file {password_file}: {exc.strerror or exc}"
        ) from None
    line = line.rstrip("\r\n")
    if not line:
        raise DirectoryError(f"the password file {password_file} is empty (its first line is the password)")
    return line


def _cause(exc: BaseException) -> str:
    """One short line of an exception, without ldap3's wrapping (it nests the error of each address
    it tried in tuples of strings)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    ssl_error = re.search(r"\[SSL: [A-Z_]+\] ([^(\"']*)", text)
    if ssl_error:
        return ssl_error.group(1).strip()
    if "doesn't match any name" in text:
        return "the certificate does not name this server"
    os_error = re.search(r"\[Errno -?\d+\] [^\"')\]]*", text)
    if os_error:
        return os_error.group(0).strip()
    for prefix in ("socket connection error while opening: ", "socket ssl wrapping error: "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text[:200]


def _connection_error(exc: BaseException, where: str, auth: str) -> DirectoryError:
    text = _cause(exc)
    lowered = " ".join(str(exc).split()).lower()
    if "certificate" in lowered or ("ssl" in lowered and "verify" in lowered):
        return DirectoryError(
            f"the certificate of {where} is not trusted ({text}): set carehard_directory_ca_file to the CA "
            "of the domain controllers, and carehard_directory_server to a name the certificate carries"
        )
    if "timed out" in lowered or "timeout" in lowered:
        return DirectoryError(f"{where} did not answer in time ({text})")
    if "refused" in lowered:
        return DirectoryError(
            f"{where} refused the connection ({text}): is it a domain controller, {auth} on that port?"
        )
    return DirectoryError(f"cannot connect to {where} ({text})")


def connect(params: Mapping[str, Any], password: str | None) -> Any:
    """A bound, read-only ldap3 connection, or DirectoryError with the cause in one line."""
    import ldap3
    from ldap3.core import exceptions as ldap_errors

    auth = params["auth"]
    port = int(params.get("port") or (389 if auth == "starttls" else 636))
    server_name = params["server"]
    # Kerberos: the ticket is for ldap/<server>, its DNS name; the connection may go to an address given
    # apart (when this machine does not resolve the name), the certificate still checked for the name.
    address = (params.get("address") or "").strip() if auth == "kerberos" else ""
    timeout = max(1, int(params.get("timeout") or 30))
    where = f"{server_name}:{port}" + (f" (at {address})" if address else "")
    use_ssl = auth in ("ldaps", "kerberos") and port != 389
    if params.get("validate_certs", True):
        tls = ldap3.Tls(
            validate=ssl.CERT_REQUIRED,
            ca_certs_file=params.get("ca_file") or None,
            valid_names=[server_name] if address else None,
            sni=server_name if address else None,
        )
    else:
        tls = ldap3.Tls(validate=ssl.CERT_NONE)
    server = ldap3.Server(
        address or server_name,
        port=port,
        use_ssl=use_ssl,
        tls=tls,
        get_info=ldap3.NONE,
        connect_timeout=timeout,
    )
    options: dict[str, Any] = {
        "read_only": True,
        "auto_referrals": False,
        "receive_timeout": timeout,
        "raise_exceptions": False,
    }
    if auth == "kerberos":
        try:
            import gssapi  # noqa: F401
        except ImportError:
            raise DirectoryError(
                "carehard_directory_auth kerberos needs the Python package gssapi on the control node "
                f"({sys.executable}): pip install gssapi, or use ldaps"
            ) from None
        conn = ldap3.Connection(
            server,
            authentication=ldap3.SASL,
            sasl_mechanism=ldap3.KERBEROS,
            sasl_credentials=(server_name,),
            **options,
        )
    else:
        conn = ldap3.Connection(
            server, user=params.get("user"), password=password, authentication=ldap3.SIMPLE, **options
        )
    try:
        conn.open()
        if not use_ssl and not conn.start_tls():
            raise DirectoryError(
                "{} refused StartTLS ({}): the bind would go in clear".format(
                    where, conn.result.get("description")
                )
            )
        if not conn.bind():
            result = conn.result or {}
            why = result.get("description") or conn.last_error or "refused"
            message = (result.get("message") or "").strip()
            who = params.get("user") if auth != "kerberos" else "the Kerberos ticket"
            raise DirectoryError(
                "{} refused the bind of {} ({}{}): check carehard_directory_user and its password".format(
                    where, who, why, ": " + message.split("\n")[0][:160] if message else ""
                )
            )
    except DirectoryError:
        raise
    except (ldap_errors.LDAPException, OSError) as exc:
        raise _connection_error(exc, where, auth) from None
    except Exception as exc:
        if auth != "kerberos" or not type(exc).__module__.startswith("gssapi"):
            raise
        raise DirectoryError(_no_ticket(exc, server_name)) from None
    return conn


def _no_ticket(exc: Exception, server_name: str) -> str:
    """A GSSAPI failure of the Kerberos bind, as the step to take (the usual cause: no ticket)."""
    said = " ".join(str(exc).split())[:200]
    return (
        f"no usable Kerberos ticket for ldap/{server_name} ({said}): run kinit as the account carehard "
        "runs as (klist shows its cache; KRB5CCNAME chooses another), or use carehard_directory_auth ldaps"
    )


def _search(
    conn: Any, base: str, flt: str, attributes: list[str], scope: str = "SUBTREE"
) -> Iterable[tuple[str, dict[str, Any]]]:
    """Every entry of a paged search, as (dn, raw attributes)."""
    import ldap3

    if scope == "BASE":
        found = conn.search(base, flt, search_scope=ldap3.BASE, attributes=attributes)
        if not found and conn.result.get("description") not in ("success", "noSuchObject"):
            raise DirectoryError("reading {} failed: {}".format(base, conn.result.get("description")))
        for entry in conn.response or []:
            if entry.get("type") == "searchResEntry":
                yield entry["dn"], entry.get("raw_attributes") or {}
        return
    pages = conn.extend.standard.paged_search(
        base, flt, search_scope=ldap3.SUBTREE, attributes=attributes, paged_size=PAGE_SIZE, generator=True
    )
    for entry in pages:
        if entry.get("type") == "searchResEntry":
            yield entry["dn"], entry.get("raw_attributes") or {}
    result = conn.result or {}
    if result.get("description") not in (None, "success"):
        raise DirectoryError("searching {} for {} failed: {}".format(base, flt, result.get("description")))


def _full_members(conn: Any, dn: str, raw: dict[str, Any]) -> dict[str, Any]:
    """A group's every member: AD gives at most 1500 values at once (member;range=0-1499) and the
    rest on request."""
    ranged = [k for k in raw if k.lower().startswith("member;range=")]
    if not ranged:
        return raw
    first = raw
    members = list(_values(raw, "member"))
    key = ranged[0]
    while True:
        members.extend(raw[key])
        end = key.split("-")[-1]
        if end == "*":
            break
        attribute = f"member;range={int(end) + 1}-*"
        raw = {}
        for _, found in _search(conn, dn, "(objectClass=*)", [attribute], scope="BASE"):
            raw = found
        nexts = [k for k in raw if k.lower().startswith("member;range=")]
        if not nexts:
            break
        key = nexts[0]
    fixed = {k: v for k, v in first.items() if not k.lower().startswith("member")}
    fixed["member"] = members
    return fixed


def read_directory(conn: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the judging needs, decoded: see evaluate()."""
    root: dict[str, Any] = {}
    for _, raw in _search(
        conn,
        "",
        "(objectClass=*)",
        [
            "defaultNamingContext",
            "configurationNamingContext",
            "schemaNamingContext",
            "highestCommittedUSN",
            "domainFunctionality",
        ],
        scope="BASE",
    ):
        root = raw
    base = _text(_first(root, "defaultNamingContext"))
    if not base:
        raise DirectoryError(
            "the rootDSE of {} gives no defaultNamingContext: is it a domain controller?".format(
                params["server"]
            )
        )
    configuration = _text(_first(root, "configurationNamingContext")) or "CN=Configuration," + base
    schema_nc = _text(_first(root, "schemaNamingContext")) or "CN=Schema," + configuration
    domain: dict[str, Any] = {}
    for _, raw in _search(conn, base, "(objectClass=*)", DOMAIN_ATTRIBUTES, scope="BASE"):
        domain = {name: _text(_first(raw, name)) for name in DOMAIN_ATTRIBUTES if name != "objectSid"}
        domain["objectSid"] = sid_text(_first(raw, "objectSid"))
    if not domain.get("objectSid"):
        raise DirectoryError(
            "the domain object {} is not readable by {}".format(base, params.get("user") or "this account")
        )
    netbios = None
    for _, raw in _search(
        conn,
        "CN=Partitions," + configuration,
        f"(&(objectClass=crossRef)(nCName={_escape(base)}))",
        ["nETBIOSName"],
    ):
        netbios = _text(_first(raw, "nETBIOSName")) or netbios
    laps = {"legacy": False, "windows": False}
    for _, raw in _search(
        conn,
        schema_nc,
        f"(|(lDAPDisplayName={LAPS_LEGACY})(lDAPDisplayName={LAPS_WINDOWS}))",
        ["lDAPDisplayName"],
    ):
        shown = (_text(_first(raw, "lDAPDisplayName")) or "").lower()
        laps["legacy"] = laps["legacy"] or shown == LAPS_LEGACY.lower()
        laps["windows"] = laps["windows"] or shown == LAPS_WINDOWS.lower()
    computer_attributes = COMPUTER_ATTRIBUTES + [
        n for n, there in ((LAPS_LEGACY, laps["legacy"]), (LAPS_WINDOWS, laps["windows"])) if there
    ]
    users = [
        decode_entry(dn, raw)
        for dn, raw in _search(conn, base, "(&(objectClass=user)(!(objectClass=computer)))", USER_ATTRIBUTES)
    ]
    computers = [
        decode_entry(dn, raw, computer=True)
        for dn, raw in _search(conn, base, "(objectClass=computer)", computer_attributes)
    ]
    groups = [
        decode_entry(dn, _full_members(conn, dn, raw))
        for dn, raw in _search(conn, base, "(objectClass=group)", GROUP_ATTRIBUTES)
    ]
    return {
        "domain_name": params["domain"],
        "netbios": netbios,
        "server": params["server"],
        "auth": params["auth"],
        "base_dn": base,
        "functional_level": _int(_first(root, "domainFunctionality")),
        "highest_committed_usn": _int(_first(root, "highestCommittedUSN")),
        "domain_sid": domain["objectSid"],
        "domain": domain,
        "laps_schema": laps,
        "users": users,
        "computers": computers,
        "groups": groups,
    }


def _escape(value: str) -> str:
    """A value inside an LDAP filter (RFC 4515)."""
    return "".join(f"\\{ord(c):02x}" if c in "*()\\\0" else c for c in value)


def main() -> None:
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(
        argument_spec={
            "domain": {"type": "str", "required": True},
            "server": {"type": "str", "required": True},
            "address": {"type": "str"},
            "auth": {"type": "str", "default": "ldaps", "choices": ["ldaps", "starttls", "kerberos"]},
            "port": {"type": "int"},
            "user": {"type": "str"},
            "password": {"type": "str", "no_log": True},
            "password_file": {"type": "path", "no_log": False},
            "ca_file": {"type": "path"},
            "validate_certs": {"type": "bool", "default": True},
            "timeout": {"type": "int", "default": 30},
            "settings": {"type": "dict", "default": {}},
            "end_of_support": {"type": "dict", "default": {}},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        import ldap3  # noqa: F401
    except ImportError:
        module.fail_json(
            msg=f"the Python package ldap3 is missing from {sys.executable} (the playbook's Python): "
            "pip install ldap3"
        )
    conn = None
    try:
        if params["auth"] != "kerberos" and not params.get("user"):
            raise DirectoryError(
                "carehard_directory_user is not set (needed unless carehard_directory_auth is kerberos)"
            )
        password = read_password(params.get("password"), params.get("password_file"))
        if params["auth"] != "kerberos" and not password:
            raise DirectoryError(
                "no password for {}: set carehard_directory_password (vaulted) or "
                "carehard_directory_password_file".format(params["user"])
            )
        conn = connect(params, password)
        data = read_directory(conn, params)
    except DirectoryError as exc:
        module.fail_json(msg=str(exc))
    except Exception as exc:  # anything else ldap3 raises mid-read: one line, never a traceback
        module.fail_json(msg="reading the directory at {} failed: {}".format(params["server"], _cause(exc)))
    finally:
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.unbind()
    findings, document = evaluate(
        data, params["settings"] or {}, params["end_of_support"] or {}, datetime.now(UTC)
    )
    module.exit_json(changed=False, findings=findings, directory=document)


if __name__ == "__main__":
    main()
