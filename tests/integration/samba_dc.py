"""A real Active Directory for the directory tests: a Samba AD domain controller (Debian's samba-ad-dc)
provisioned on a test host of the kit, and the seeds that make every AD- control fail on one domain
and pass on another.

    with own_hosts(directory, "ad", 2) as hosts:
        faulty, clean = provision_pair(hosts[0], hosts[1])     # both at once, in threads
        seeded = seed_faults(faulty)                           # {"AD-PRIV-02": ["fault-da-noexpire"], ...}
        seed_clean(clean)

The packages come from the image's apt cache (testhost.sh DC_DEBS), so the install works offline
and no other host has them. The DC answers LDAPS on 636 (and StartTLS on 389) with a certificate of a
CA made for it, naming its FQDN and its bridge address; `SambaDC.ca_file` is a local copy of that CA.

Everything written to the directory here is written by the domain's administrator on the DC itself
(samba-tool, ldbmodify on sam.ldb): carehard only reads. Facts measured on bookworm's Samba 4.17:

* Protected Users (RID 525) exists after provisioning; Guest is disabled with PASSWD_NOTREQD and
  DONT_EXPIRE_PASSWORD; Administrator and krbtgt are the only accounts with adminCount=1 (the
  privileged groups have it too); MachineAccountQuota 10, minPwdLength 7, complexity on, history 24,
  lockoutThreshold 0.
* lastLogonTimestamp is writable as it is; pwdLastSet takes any value only with the "bypass password
  hash" control (otherwise "0 or -1 only"), which is how krbtgt's password is made years old for real.
* The reader's first bind writes its lastLogonTimestamp (one USN): provision() binds it once, as a
  service account that has been used before, so later binds write nothing and a USN comparison
  before/after an audit sees only what the audit did.
* Schema extensions need "dsdb:schema update allowed" and two transactions (the attributes, then
  the class that may contain them), as on Windows with schemaUpdateNow.
* Read as the reader over LDAPS (ldap3): every attribute the AD- controls need is readable
  (userAccountControl, primaryGroupID, lastLogonTimestamp, pwdLastSet, adminCount,
  servicePrincipalName, operatingSystem*, ms-Mcs-AdmPwdExpirationTime, member, the policy and
  ms-DS-MachineAccountQuota on the domain object, the schema); ms-Mcs-AdmPwd (confidential) is not.
  ldap3's default Server(get_info=SCHEMA) raises LDAPAttributeError when asked for an attribute the
  schema lacks (the LAPS ones on the faulty domain): ask with get_info=NONE or check_names=False.
* Kerberos (krb5_conf(), the KDC on the DC): ldap3's SASL GSSAPI has no security layer, which Samba's
  default "ldap server require strong auth = yes" refuses even inside TLS ("Sign or Seal are
  required"); Windows accepts it inside TLS. The DC is provisioned with "allow_sasl_over_tls", which
  still refuses simple binds without TLS.
"""

from __future__ import annotations

import base64
import secrets
import shlex
import socket
import ssl
import subprocess
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.testhosts import harness

PACKAGES = ("samba-ad-dc", "samba-ad-provision", "ldb-tools")
SAM = "/var/lib/samba/private/sam.ldb"
TLS_DIR = "/var/lib/samba/private/tls"
BYPASS_PASSWORD_HASH = "local_oid:1.3.6.1.4.1.7165.4.3.12:0"  # DSDB_CONTROL_BYPASS_PASSWORD_HASH_OID
SCHEMA_UPDATES = "--option=dsdb:schema update allowed=true"

FAULTY_DOMAIN, FAULTY_NETBIOS = "faulty.carehard.test", "FAULTY"
CLEAN_DOMAIN, CLEAN_NETBIOS = "clean.carehard.test", "CLEAN"
READER = "svc-carehard"

# userAccountControl bits
ACCOUNTDISABLE = 0x2
PASSWD_NOTREQD = 0x20
ENCRYPTED_TEXT_PWD_ALLOWED = 0x80
NORMAL_ACCOUNT = 0x200
WORKSTATION_TRUST_ACCOUNT = 0x1000
DONT_EXPIRE_PASSWORD = 0x10000
TRUSTED_FOR_DELEGATION = 0x80000
NOT_DELEGATED = 0x100000
USE_DES_KEY_ONLY = 0x200000
DONT_REQ_PREAUTH = 0x400000

# Well-known RIDs of the privileged groups (CONTRACT.md), and Protected Users.
PRIVILEGED_RIDS = {
    512: "Domain Admins",
    518: "Schema Admins",
    519: "Enterprise Admins",
    544: "Administrators",
    548: "Account Operators",
    549: "Server Operators",
    550: "Print Operators",
    551: "Backup Operators",
}
PROTECTED_USERS_RID = 525

# Operating systems as Windows writes them in operatingSystem / operatingSystemVersion.
WINDOWS_11 = ("Windows 11 Enterprise", "10.0 (26100)")  # 24H2 / LTSC 2024: supported into 2027 at least
WINDOWS_SERVER_2022 = ("Windows Server 2022 Standard", "10.0 (20348)")  # until 2031
WINDOWS_7 = ("Windows 7 Professional", "6.1 (7601)")  # ended 2020-01-14
WINDOWS_SERVER_2008_R2 = ("Windows Server 2008 R2 Standard", "6.1 (7601)")  # ended 2020-01-14

STALE_AGE = timedelta(days=400)  # beyond directory_audit_stale_days (90) and a year
KRBTGT_AGE = timedelta(days=3 * 365)  # beyond directory_audit_krbtgt_max_age_days (365)


def filetime(moment: datetime) -> int:
    """Active Directory's time: 100 ns intervals since 1601-01-01 UTC."""
    return int((moment - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SambaDC:
    """A provisioned, running Samba AD DC on a test host."""

    host: harness.TestHost
    domain: str  # DNS domain, lower case
    netbios: str
    admin_password: str = field(repr=False)  # kept out of test failure output, like the reader's
    ca_file: Path  # local copy of the CA that signed the DC's certificate
    reader_password: str = field(repr=False)
    reader_name: str = READER
    notes: list[str] = field(default_factory=list)  # what seeding could not do for real, if anything

    @property
    def realm(self) -> str:
        return self.domain.upper()

    @property
    def base_dn(self) -> str:
        return ",".join(f"DC={part}" for part in self.domain.split("."))

    @property
    def address(self) -> str:
        return self.host.address

    @property
    def hostname(self) -> str:
        return f"{self.host.name}.{self.domain}"

    @property
    def reader_user(self) -> str:
        """The read-only account as carehard_directory_user takes it (its UPN)."""
        return f"{self.reader_name}@{self.domain}"

    def user_dn(self, name: str) -> str:
        return f"CN={name},CN=Users,{self.base_dn}"

    def computer_dn(self, name: str) -> str:
        return f"CN={name},CN=Computers,{self.base_dn}"

    def run(
        self, command: str, check: bool = True, stdin: str | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """A shell command as root on the DC (through the admin account's sudo, like harness.sudo)."""
        return run_on(self.host, command, check=check, stdin=stdin, timeout=timeout)

    def samba_tool(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("samba-tool " + shlex.join(args), check=check)

    def ldbmodify(self, ldif: str, *options: str, batch: bool = False) -> None:
        """Apply an LDIF (changetype records) to sam.ldb as the DC's system account, in one transaction.
        batch: ldb's batch mode (as samba-tool's join uses), without a sub-transaction per record: an
        add then costs about 2 ms whatever the directory's size, where it grows by about 2 ms per
        thousand objects otherwise (a failed record fails the whole transaction either way)."""
        if batch:
            options = ("-o", "batch_mode:1", *options)
        self.run(f"ldbmodify -H {SAM} {shlex.join(options)}".rstrip(), stdin=ldif)

    def search(
        self, ldap_filter: str, attributes: Sequence[str] = (), base: str | None = None, scope: str = "sub"
    ) -> list[dict[str, list[str]]]:
        """ldbsearch on sam.ldb, on the DC: each entry's attributes (and "dn") as lists of strings."""
        command = (
            f"ldbsearch -H {SAM} -s {scope} -b {shlex.quote(self.base_dn if base is None else base)} "
            f"{shlex.quote(ldap_filter)} {shlex.join(attributes)}"
        )
        return parse_ldif(self.run(command).stdout)

    def highest_committed_usn(self) -> int:
        """The rootDSE's highestCommittedUSN, read on the DC itself (not through LDAP or carehard)."""
        (root,) = self.search("(objectClass=*)", ["highestCommittedUSN"], base="", scope="base")
        return int(root["highestCommittedUSN"][0])

    def domain_sid(self) -> str:
        (entry,) = self.search("(objectClass=*)", ["objectSid"], scope="base")
        return entry["objectSid"][0]

    def krb5_conf(self) -> str:
        """A krb5.conf for a Kerberos client of this realm (KDC at the bridge address, no DNS)."""
        return (
            f"[libdefaults]\n\tdefault_realm = {self.realm}\n\tdns_lookup_kdc = false\n"
            f"\tdns_lookup_realm = false\n\trdns = false\n"
            f"[realms]\n\t{self.realm} = {{\n\t\tkdc = {self.address}\n\t}}\n"
            f"[domain_realm]\n\t.{self.domain} = {self.realm}\n\t{self.domain} = {self.realm}\n"
        )


def run_on(
    host: harness.TestHost, command: str, check: bool = True, stdin: str | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    ssh = [
        "ssh",
        *host.ssh_options(),
        f"{harness.ADMIN}@{host.address}",
        "sudo -n sh -c " + shlex.quote(command),
    ]
    proc = subprocess.run(ssh, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(
            f"on {host.name}: {command[:200]!r} failed ({proc.returncode}): "
            f"{proc.stdout[-1500:]} {proc.stderr[-1500:]}"
        )
    return proc


def parse_ldif(text: str) -> list[dict[str, list[str]]]:
    """ldbsearch's output: records (folded lines, base64 values); referrals and comments skipped."""
    entries: list[dict[str, list[str]]] = []
    lines: list[str] = []
    for raw in text.splitlines():
        if raw.startswith(" ") and lines:
            lines[-1] += raw[1:]
        else:
            lines.append(raw)
    current: dict[str, list[str]] | None = None
    for line in lines:
        if not line.strip() or line.startswith("#"):
            current = None
            continue
        name, _, value = line.partition(":")
        if value.startswith(":"):
            decoded = base64.b64decode(value[1:].strip())
            value = decoded.decode("utf-8", errors="replace")
        else:
            value = value.strip()
        if name == "dn":
            current = {"dn": [value]}
            entries.append(current)
        elif current is not None:
            current.setdefault(name, []).append(value)
    return entries


def _netbios_host(name: str) -> str:
    cleaned = "".join(c for c in name.upper() if c.isalnum() or c == "-")
    return cleaned[:15]


def _password(kind: str) -> str:
    return f"{kind}-{secrets.token_hex(6)}-Aa9"  # complexity: upper, lower, digit, symbol


def provision(
    host: harness.TestHost,
    domain: str,
    netbios: str,
    admin_password: str | None = None,
    reader_password: str | None = None,
    workdir: Path | None = None,
    timeout: float = 90,
    backend_store: str = "tdb",
) -> SambaDC:
    """Install Samba AD DC (offline, from the image's apt cache), provision `domain` with the internal
    DNS, give it a certificate for its name and address, start it, create the read-only user, and
    wait until LDAPS answers with that certificate. 20 to 45 s here, with the machine's load.
    backend_store: tdb (Samba's default) or mdb (LMDB, which Samba advises for large domains)."""
    admin_password = admin_password or _password("Admin")
    reader_password = reader_password or _password("Reader")
    workdir = workdir or host.lab.directory
    fqdn = f"{host.name}.{domain}"
    script = f"""set -e
exec 2>&1
printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \\
  {" ".join(PACKAGES)} >/tmp/samba-install.log
rm -f /usr/sbin/policy-rc.d
systemctl disable -q --now smbd nmbd winbind 2>/dev/null || true
systemctl mask -q smbd nmbd winbind
rm -f /etc/samba/smb.conf
sed -i '/^127\\.0\\.1\\.1/d' /etc/hosts
printf '%s\\t%s %s\\n' {host.address} {fqdn} {host.name} >> /etc/hosts
samba-tool domain provision --realm={domain.upper()} --domain={netbios} --server-role=dc \\
  --dns-backend=SAMBA_INTERNAL --backend-store={backend_store} --host-ip={host.address} \\
  --adminpass={shlex.quote(admin_password)} \\
  --option='netbios name = {_netbios_host(host.name)}' >/tmp/samba-provision.log
mkdir -p {TLS_DIR} && cd {TLS_DIR} && rm -f ./*.pem
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=carehard test CA {netbios}' \\
  -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' \\
  -keyout ca-key.pem -out ca.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj '/CN={fqdn}' -keyout key.pem -out req.pem 2>/dev/null
printf 'subjectAltName=DNS:{fqdn},DNS:{domain},IP:{host.address}\\nextendedKeyUsage=serverAuth\\n' > ext.cnf
openssl x509 -req -in req.pem -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 -extfile ext.cnf \\
  -out cert.pem 2>/dev/null
chmod 600 key.pem ca-key.pem
printf '\\t%s\\n' 'tls enabled = yes' 'tls keyfile = {TLS_DIR}/key.pem' 'tls certfile = {TLS_DIR}/cert.pem' \\
  'tls cafile = {TLS_DIR}/ca.pem' 'ldap server require strong auth = allow_sasl_over_tls' > /tmp/tls.conf
sed -i '/^\\[global\\]/r /tmp/tls.conf' /etc/samba/smb.conf
samba-tool user create {READER} {shlex.quote(reader_password)} \\
  --description='carehard: reads the directory, nothing else' >/dev/null
systemctl unmask -q samba-ad-dc
systemctl enable -q samba-ad-dc
systemctl restart samba-ad-dc
"""
    run_on(host, script, timeout=300)
    ca_file = workdir / f"{host.name}-ca.pem"
    ca_file.write_text(run_on(host, f"cat {TLS_DIR}/ca.pem").stdout, encoding="utf-8")
    dc = SambaDC(host, domain, netbios, admin_password, ca_file, reader_password)
    wait_for_ldaps(dc, timeout)
    bind_reader(dc)
    return dc


def wait_for_ldaps(dc: SambaDC, timeout: float = 90) -> None:
    """Until a TLS handshake on 636 succeeds against ca_file, with the address as the name checked."""
    context = ssl.create_default_context(cafile=str(dc.ca_file))
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with (
                socket.create_connection((dc.address, 636), timeout=3) as sock,
                context.wrap_socket(sock, server_hostname=dc.address),
            ):
                return
        except (OSError, ssl.SSLError) as error:
            last = error
            time.sleep(0.3)
    raise RuntimeError(f"LDAPS on {dc.address}:636 did not answer within {timeout} s: {last}")


def bind_reader(dc: SambaDC) -> None:
    """One LDAPS bind and search as the reader: proves the account, and its first logon (which writes
    its lastLogonTimestamp) happens here, not in the audit a test watches."""
    from ldap3 import Connection, Server, Tls  # type: ignore[import-untyped,unused-ignore]

    tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(dc.ca_file))
    server = Server(dc.address, port=636, use_ssl=True, tls=tls, connect_timeout=10)
    with Connection(
        server, user=dc.reader_user, password=dc.reader_password, auto_bind=True, receive_timeout=30
    ) as connection:
        connection.search(dc.base_dn, f"(sAMAccountName={dc.reader_name})", attributes=["objectSid"])
        if len(connection.entries) != 1:
            raise RuntimeError(f"the reader does not find itself on {dc.domain}: {connection.result}")


def provision_pair(
    faulty_host: harness.TestHost,
    clean_host: harness.TestHost,
    seed: bool = True,
) -> tuple[SambaDC, SambaDC, dict[str, list[str]]]:
    """The faulty and the clean domain, provisioned (and seeded, unless seed=False) at once, in two
    threads. Returns (faulty, clean, the names seed_faults returned)."""

    def faulty() -> tuple[SambaDC, dict[str, list[str]]]:
        dc = provision(faulty_host, FAULTY_DOMAIN, FAULTY_NETBIOS)
        return dc, seed_faults(dc) if seed else {}

    def clean() -> SambaDC:
        dc = provision(clean_host, CLEAN_DOMAIN, CLEAN_NETBIOS)
        if seed:
            seed_clean(dc)
        return dc

    with ThreadPoolExecutor(max_workers=2) as pool:
        faulty_future, clean_future = pool.submit(faulty), pool.submit(clean)
        faulty_dc, seeded = faulty_future.result()
        clean_dc = clean_future.result()
    return faulty_dc, clean_dc, seeded


# --- LDIF records -----------------------------------------------------------------------------------


def _record(dn: str, changetype: str, *lines: str) -> str:
    return "\n".join([f"dn: {dn}", f"changetype: {changetype}", *lines]) + "\n\n"


def add_user(dn: str, name: str, uac: int = NORMAL_ACCOUNT, *more: str) -> str:
    """A user without a password (enabled all the same: the DC's system account may do that)."""
    return _record(
        dn, "add", "objectClass: user", f"sAMAccountName: {name}", f"userAccountControl: {uac}", *more
    )


def add_group(dn: str, name: str, members: Iterable[str] = ()) -> str:
    return _record(
        dn,
        "add",
        "objectClass: group",
        f"sAMAccountName: {name}",
        "groupType: -2147483646",
        *(f"member: {m}" for m in members),
    )  # global security group


def add_computer(
    dn: str, name: str, domain: str, os: tuple[str, str], uac: int = WORKSTATION_TRUST_ACCOUNT, *more: str
) -> str:
    return _record(
        dn,
        "add",
        "objectClass: computer",
        f"sAMAccountName: {name.upper()}$",
        f"userAccountControl: {uac}",
        f"dNSHostName: {name}.{domain}",
        f"operatingSystem: {os[0]}",
        f"operatingSystemVersion: {os[1]}",
        *more,
    )


def add_members(group_dn: str, members: Iterable[str]) -> str:
    return _record(group_dn, "modify", "add: member", *(f"member: {m}" for m in members), "-")


def replace(dn: str, attribute: str, *values: object) -> str:
    return _record(dn, "modify", f"replace: {attribute}", *(f"{attribute}: {v}" for v in values), "-")


def group_dn_by_rid(dc: SambaDC, rid: int) -> str:
    """The DN of a well-known group: the domain's own RIDs, or BUILTIN's (S-1-5-32-5xx) from 544 on."""
    sid = f"S-1-5-32-{rid}" if rid >= 544 else f"{dc.domain_sid()}-{rid}"
    (entry,) = dc.search(f"(objectSid={sid})", ["dn"])
    return entry["dn"][0]


def laps_schema(dc: SambaDC) -> None:
    """The legacy LAPS schema (AdmPwd.PS): ms-Mcs-AdmPwd (confidential) and ms-Mcs-AdmPwdExpirationTime
    on class computer. Two transactions: the attributes, then the class that may contain them."""
    schema = f"CN=Schema,CN=Configuration,{dc.base_dn}"
    prefix = "1.2.840.113556.1.8000.2554.50051.45980.28112.18903.35903.6685103.1224907.2"
    attributes = (
        (
            "ms-Mcs-AdmPwd",
            f"{prefix}.1",
            "2.5.5.5",
            19,
            904,
            "Stores password of local Administrator account on workstation",
        ),
        (
            "ms-Mcs-AdmPwdExpirationTime",
            f"{prefix}.2",
            "2.5.5.16",
            65,
            0,
            "Stores timestamp of last password change",
        ),
    )
    ldif = "".join(
        _record(
            f"CN={name},{schema}",
            "add",
            "objectClass: attributeSchema",
            f"lDAPDisplayName: {name}",
            f"adminDisplayName: {name}",
            f"adminDescription: {description}",
            f"attributeID: {oid}",
            f"attributeSyntax: {syntax}",
            f"oMSyntax: {om}",
            "isSingleValued: TRUE",
            "systemOnly: FALSE",
            f"searchFlags: {flags}",
            "isMemberOfPartialAttributeSet: FALSE",
        )
        for name, oid, syntax, om, flags, description in attributes
    )
    update_now = _record("", "modify", "add: schemaUpdateNow", "schemaUpdateNow: 1", "-")
    dc.ldbmodify(ldif + update_now, SCHEMA_UPDATES)
    dc.ldbmodify(
        _record(
            f"CN=Computer,{schema}",
            "modify",
            "add: mayContain",
            *(f"mayContain: {a[0]}" for a in attributes),
            "-",
        )
        + update_now,
        SCHEMA_UPDATES,
    )


def password_policy(dc: SambaDC, min_length: int, lockout_threshold: int, history: int = 24) -> None:
    dc.samba_tool(
        "domain",
        "passwordsettings",
        "set",
        f"--min-pwd-length={min_length}",
        "--complexity=on",
        f"--history-length={history}",
        f"--account-lockout-threshold={lockout_threshold}",
        "--account-lockout-duration=30",
        "--reset-account-lockout-after=30",
    )


# --- the two domains --------------------------------------------------------------------------------


def seed_faults(dc: SambaDC) -> dict[str, list[str]]:
    """Every fault of the contract's table, and the names each AD- control must report (sorted; the
    accounts by sAMAccountName, computers by name without the trailing $; [] for the domain-wide
    controls, whose evidence gives values: the quota, the policy, no LAPS schema).

    Privileged accounts (14, more than directory_audit_privileged_max): Administrator (as provisioned:
    not sensitive, outside Protected Users), one Domain Admin per fault (fault-da-*), one through
    primaryGroupID 512 alone (fault-da-primary), one SPN holder two groups deep under Domain Admins
    (fault-da-spn), and clean ones (sensitive, protected) in that nested group and in each Operators
    group, so each privileged fault names its own account."""
    base, users, domain = dc.base_dn, f"CN=Users,{dc.base_dn}", dc.domain
    stale = filetime(now() - STALE_AGE)
    clean_priv = NORMAL_ACCOUNT | NOT_DELEGATED
    domain_admins = f"CN=Domain Admins,{users}"
    protected = group_dn_by_rid(dc, PROTECTED_USERS_RID)
    operators = {rid: group_dn_by_rid(dc, rid) for rid in (548, 549, 550, 551)}
    outer, inner = f"CN=fault-tier0-admins,{users}", f"CN=fault-tier0-inner,{users}"

    ldif = ""
    # privileged, one fault each
    ldif += add_user(dc.user_dn("fault-da-noexpire"), "fault-da-noexpire", clean_priv | DONT_EXPIRE_PASSWORD)
    ldif += add_user(dc.user_dn("fault-da-delegable"), "fault-da-delegable", NORMAL_ACCOUNT)
    ldif += add_user(dc.user_dn("fault-da-primary"), "fault-da-primary", clean_priv)
    ldif += add_user(dc.user_dn("fault-da-stale"), "fault-da-stale", clean_priv)
    ldif += add_user(
        dc.user_dn("fault-da-spn"),
        "fault-da-spn",
        clean_priv,
        f"servicePrincipalName: MSSQLSvc/sql01.{domain}:1433",
    )
    tier0 = [f"fault-tier0-{i:02d}" for i in range(1, 5)]
    ops = {548: "fault-ops-account", 549: "fault-ops-server", 550: "fault-ops-print", 551: "fault-ops-backup"}
    for name in [*tier0, *ops.values()]:
        ldif += add_user(dc.user_dn(name), name, clean_priv)
    ldif += add_group(inner, "fault-tier0-inner", [dc.user_dn("fault-da-spn")])
    ldif += add_group(outer, "fault-tier0-admins", [inner, *(dc.user_dn(n) for n in tier0)])
    ldif += add_members(
        domain_admins,
        [
            outer,
            *(
                dc.user_dn(n)
                for n in ("fault-da-noexpire", "fault-da-delegable", "fault-da-primary", "fault-da-stale")
            ),
        ],
    )
    for rid, name in ops.items():
        ldif += add_members(operators[rid], [dc.user_dn(name)])
    ldif += replace(dc.user_dn("fault-da-primary"), "primaryGroupID", 512)  # leaves Domain Admins' member
    ldif += add_members(
        protected,
        [
            dc.user_dn(n)
            for n in (
                "fault-da-noexpire",
                "fault-da-delegable",
                "fault-da-stale",
                "fault-da-spn",
                *tier0,
                *ops.values(),
            )
        ],
    )
    ldif += replace(dc.user_dn("fault-da-stale"), "lastLogonTimestamp", stale)
    # ordinary accounts
    flags = {
        "fault-nopreauth": DONT_REQ_PREAUTH,
        "fault-reversible": ENCRYPTED_TEXT_PWD_ALLOWED,
        "fault-desonly": USE_DES_KEY_ONLY,
        "fault-pwnotreqd": PASSWD_NOTREQD,
    }
    for name, flag in flags.items():
        ldif += add_user(dc.user_dn(name), name, NORMAL_ACCOUNT | flag)
    ldif += add_user(dc.user_dn("fault-admincount"), "fault-admincount", NORMAL_ACCOUNT, "adminCount: 1")
    stale_users = ["fault-stale-01", "fault-stale-02"]
    for name in stale_users:
        ldif += add_user(dc.user_dn(name), name, NORMAL_ACCOUNT, f"lastLogonTimestamp: {stale}")
    ldif += replace(
        dc.user_dn("Guest"), "userAccountControl", NORMAL_ACCOUNT | PASSWD_NOTREQD | DONT_EXPIRE_PASSWORD
    )  # enabled
    # computers (no LAPS schema here: none is covered)
    computers = {
        "fault-deleg-srv": (WINDOWS_SERVER_2022, WORKSTATION_TRUST_ACCOUNT | TRUSTED_FOR_DELEGATION, ()),
        "fault-win7": (WINDOWS_7, WORKSTATION_TRUST_ACCOUNT, ()),
        "fault-2008r2": (WINDOWS_SERVER_2008_R2, WORKSTATION_TRUST_ACCOUNT, ()),
        "fault-stale-pc": (WINDOWS_11, WORKSTATION_TRUST_ACCOUNT, (f"lastLogonTimestamp: {stale}",)),
        "fault-nolaps-ws": (WINDOWS_11, WORKSTATION_TRUST_ACCOUNT, ()),
    }
    for name, (os, uac, more) in computers.items():
        ldif += add_computer(dc.computer_dn(name), name, domain, os, uac, *more)
    ldif += replace(base, "ms-DS-MachineAccountQuota", 10)
    dc.ldbmodify(ldif)
    # krbtgt's password three years old, for real: pwdLastSet takes a value only past password_hash
    dc.ldbmodify(
        replace(dc.user_dn("krbtgt"), "pwdLastSet", filetime(now() - KRBTGT_AGE)),
        "--controls",
        BYPASS_PASSWORD_HASH,
    )
    password_policy(dc, min_length=7, lockout_threshold=0)

    privileged = [
        "Administrator",
        "fault-da-noexpire",
        "fault-da-delegable",
        "fault-da-primary",
        "fault-da-stale",
        "fault-da-spn",
        *tier0,
        *ops.values(),
    ]
    return {
        "AD-KRB-01": ["krbtgt"],
        "AD-PRIV-01": sorted(privileged, key=str.lower),
        "AD-PRIV-02": ["fault-da-noexpire"],
        "AD-PRIV-03": ["Administrator", "fault-da-delegable"],
        "AD-PRIV-04": ["Administrator", "fault-da-primary"],
        "AD-PRIV-05": ["fault-da-stale"],
        "AD-PRIV-06": ["fault-da-spn"],
        "AD-ACC-01": ["fault-nopreauth"],
        "AD-ACC-02": ["fault-reversible"],
        "AD-ACC-03": ["fault-desonly"],
        "AD-ACC-04": ["fault-pwnotreqd", "Guest"],  # Guest, enabled, keeps its PASSWD_NOTREQD
        "AD-ACC-05": ["Guest"],
        "AD-ACC-06": ["fault-admincount"],
        "AD-ACC-07": ["fault-da-stale", *stale_users],
        "AD-DEL-01": ["fault-deleg-srv"],
        "AD-DOM-01": [],
        "AD-DOM-02": [],
        "AD-DOM-03": [],
        "AD-LAPS-01": [],
        "AD-LAPS-02": sorted(computers),
        "AD-CMP-01": ["fault-2008r2", "fault-win7"],
        "AD-CMP-02": ["fault-stale-pc"],
    }


CLEAN_COMPUTERS = {"clean-ws01": WINDOWS_11, "clean-srv01": WINDOWS_SERVER_2022}


def seed_clean(dc: SambaDC) -> None:
    """A domain on which every AD- control passes: the legacy LAPS schema and two computers it covers
    (supported Windows, logged on today), MachineAccountQuota 0, a 14-character policy with lockout
    after 5 failures, Administrator sensitive and in Protected Users. Guest stays disabled, krbtgt's
    password is the provision's (today's)."""
    laps_schema(dc)
    today = filetime(now())
    expires = filetime(now() + timedelta(days=30))
    (admin,) = dc.search("(sAMAccountName=Administrator)", ["userAccountControl"])
    ldif = replace(
        dc.user_dn("Administrator"), "userAccountControl", int(admin["userAccountControl"][0]) | NOT_DELEGATED
    )
    ldif += add_members(group_dn_by_rid(dc, PROTECTED_USERS_RID), [dc.user_dn("Administrator")])
    for name, os in CLEAN_COMPUTERS.items():
        ldif += add_computer(
            dc.computer_dn(name),
            name,
            dc.domain,
            os,
            WORKSTATION_TRUST_ACCOUNT,
            f"lastLogonTimestamp: {today}",
            f"ms-Mcs-AdmPwd: {_password('Laps')}",
            f"ms-Mcs-AdmPwdExpirationTime: {expires}",
        )
    ldif += replace(dc.base_dn, "ms-DS-MachineAccountQuota", 0)
    dc.ldbmodify(ldif)
    password_policy(dc, min_length=14, lockout_threshold=5)
