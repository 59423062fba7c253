"""Seed a Samba AD DC (tests/integration/samba_dc.py) with a hospital-sized directory: N users and M
computers (10,000 / 2,000 by default, the paged audit bench of issue 24), some in nested privileged
groups, some stale, some with risky flags, computers on a mix of Windows releases, most covered by
LAPS. Run on demand, as root, to time the seeding alone (bench/directory_audit.py times the audit):

    python bench/seed_directory.py [--users 10000] [--computers 2000] [--keep]

How: one LDIF of every object, sent to the DC and applied by ldbmodify on sam.ldb in one transaction,
in ldb's batch mode (-o batch_mode:1, as samba-tool's join uses; samba-tool dbcheck finds no error
after it). Measured on this machine (Samba 4.17, TDB backend): about 2 ms per object whatever the
directory's size. Without batch mode an add costs 2 ms in an empty directory and 2 ms more per
thousand objects (a sub-transaction per record copies the growing index lists): 550 s for this
directory instead of 35 s. `samba-tool user create` takes 0.26 s per user (43 minutes for
10,000), and a password in the LDIF makes an add 10x dearer (the Kerberos keys are derived): the
accounts get none. They are enabled all the same (the DC's own system account may do that), and no
audit reads passwords.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration import samba_dc  # noqa: E402
from tests.integration.samba_dc import (  # noqa: E402
    ACCOUNTDISABLE,
    DONT_EXPIRE_PASSWORD,
    DONT_REQ_PREAUTH,
    ENCRYPTED_TEXT_PWD_ALLOWED,
    NORMAL_ACCOUNT,
    PASSWD_NOTREQD,
    TRUSTED_FOR_DELEGATION,
    USE_DES_KEY_ONLY,
    WORKSTATION_TRUST_ACCOUNT,
    SambaDC,
    filetime,
    now,
)
from tests.testhosts import harness  # noqa: E402

BENCH_DOMAIN, BENCH_NETBIOS = "bench.carehard.test", "BENCH"
FIRST_ADDRESS = 240  # bench/facts_scale.py uses 200 and up, bench/audit_linux.py 220 and up
GROUPS = 100  # ordinary groups; every user is in two of them

# (share of computers in %, operatingSystem, operatingSystemVersion); Windows 10 22H2 and older are
# past their end of support in roles/compliance_facts/vars/end_of_support.yml.
OPERATING_SYSTEMS = (
    (60, "Windows 11 Enterprise", "10.0 (26100)"),
    (20, "Windows 10 Enterprise", "10.0 (19045)"),
    (10, "Windows Server 2022 Standard", "10.0 (20348)"),
    (5, "Windows Server 2019 Standard", "10.0 (17763)"),
    (2, "Windows Server 2012 R2 Standard", "6.3 (9600)"),
    (2, "Windows 7 Professional", "6.1 (7601)"),
    (1, "Windows Server 2008 R2 Standard", "6.1 (7601)"),
)


@dataclass
class Directory:
    """What was seeded, counted as an audit should find it (on top of the provisioned objects)."""

    users: int = 0
    users_enabled: int = 0
    computers: int = 0
    computers_enabled: int = 0
    groups: int = 0
    privileged: int = 0
    stale_users: int = 0
    stale_computers: int = 0
    laps_covered: int = 0
    flags: dict[str, int] = field(default_factory=dict)

    def flag(self, name: str) -> None:
        self.flags[name] = self.flags.get(name, 0) + 1


def operating_system(i: int) -> tuple[str, str]:
    slot, total = i % 100, 0
    for share, name, version in OPERATING_SYSTEMS:
        total += share
        if slot < total:
            return name, version
    return OPERATING_SYSTEMS[0][1:]


def directory_ldif(
    base_dn: str, domain: str, users: int, computers: int, laps: bool
) -> tuple[str, Directory]:
    """The LDIF (changetype records, in order) of the whole bench directory, and what it holds."""
    record = samba_dc._record
    seen = Directory()
    moment = now()
    stale, recent = filetime(moment - timedelta(days=400)), filetime(moment - timedelta(days=3))
    laps_expires = filetime(moment + timedelta(days=20))
    bench, staff, workstations = (
        f"OU=Bench,{base_dn}",
        f"OU=Staff,OU=Bench,{base_dn}",
        f"OU=Workstations,OU=Bench,{base_dn}",
    )
    out = [record(ou, "add", "objectClass: organizationalUnit") for ou in (bench, staff, workstations)]

    def user_dn(i: int) -> str:
        return f"CN=bench-u{i:05d},{staff}"

    risky = {
        3: ("password_never_expires", 200, DONT_EXPIRE_PASSWORD),
        4: ("no_preauth", 500, DONT_REQ_PREAUTH),
        5: ("password_not_required", 1000, PASSWD_NOTREQD),
        6: ("reversible", 1000, ENCRYPTED_TEXT_PWD_ALLOWED),
        7: ("des_only", 2000, USE_DES_KEY_ONLY),
    }
    for i in range(users):
        name = f"bench-u{i:05d}"
        uac = NORMAL_ACCOUNT
        more = [f"userPrincipalName: {name}@{domain}", f"displayName: Bench User {i}"]
        for residue, (flag, modulo, bit) in risky.items():
            if i % modulo == residue:
                uac |= bit
                seen.flag(flag)
        if i % 40 == 0:
            uac |= ACCOUNTDISABLE
        if i % 50 == 1:
            more.append(f"lastLogonTimestamp: {stale}")
            seen.stale_users += not uac & ACCOUNTDISABLE
        elif i % 20 != 2:  # never logged on (created today: not stale)
            more.append(f"lastLogonTimestamp: {recent}")
        if i % 250 == 8:
            more.append("adminCount: 1")
            seen.flag("admincount_leftover")
        if i % 500 == 9:
            more.append(f"servicePrincipalName: HTTP/app{i}.{domain}")
            seen.flag("spn")
        out.append(samba_dc.add_user(user_dn(i), name, uac, *more))
        seen.users += 1
        seen.users_enabled += not uac & ACCOUNTDISABLE

    # privileged: 15 in a group under Domain Admins, 10 more one level deeper, 5 Backup Operators,
    # one Domain Admin by primary group alone
    tier0, tier1 = f"CN=bench-tier0,{bench}", f"CN=bench-tier1,{bench}"
    if users >= 41:
        out.append(samba_dc.add_group(tier1, "bench-tier1", [user_dn(i) for i in range(25, 35)]))
        out.append(samba_dc.add_group(tier0, "bench-tier0", [tier1, *(user_dn(i) for i in range(10, 25))]))
        out.append(samba_dc.add_members(f"CN=Domain Admins,CN=Users,{base_dn}", [tier0, user_dn(40)]))
        out.append(
            samba_dc.add_members(
                f"CN=Backup Operators,CN=Builtin,{base_dn}", [user_dn(i) for i in range(35, 40)]
            )
        )
        out.append(samba_dc.replace(user_dn(40), "primaryGroupID", 512))
        seen.groups += 2
        seen.privileged = 31  # and Administrator; user 40 (primary group) is disabled
    members: dict[int, set[int]] = {j: set() for j in range(GROUPS)}
    for i in range(users):
        members[i % GROUPS].add(i)
        members[(i * 7 + 3) % GROUPS].add(i)
    for j, group in members.items():
        dns = [user_dn(i) for i in sorted(group)]
        out.append(samba_dc.add_group(f"CN=bench-g{j:03d},{bench}", f"bench-g{j:03d}", dns))
        seen.groups += 1

    for i in range(computers):
        name = f"bw{i:05d}"
        uac = WORKSTATION_TRUST_ACCOUNT
        more = []
        if i % 100 == 50:
            uac |= ACCOUNTDISABLE
        if i % 1000 == 2:
            uac |= TRUSTED_FOR_DELEGATION
            seen.flag("unconstrained_delegation")
        if i % 33 == 1:
            more.append(f"lastLogonTimestamp: {stale}")
            seen.stale_computers += not uac & ACCOUNTDISABLE
        else:
            more.append(f"lastLogonTimestamp: {recent}")
        if laps and i % 10 != 0:
            more.append(f"ms-Mcs-AdmPwdExpirationTime: {laps_expires}")
            seen.laps_covered += not uac & ACCOUNTDISABLE
        out.append(
            samba_dc.add_computer(f"CN={name},{workstations}", name, domain, operating_system(i), uac, *more)
        )
        seen.computers += 1
        seen.computers_enabled += not uac & ACCOUNTDISABLE
    return "".join(out), seen


def has_laps_schema(dc: SambaDC) -> bool:
    schema = f"CN=Schema,CN=Configuration,{dc.base_dn}"
    return bool(dc.search("(lDAPDisplayName=ms-Mcs-AdmPwdExpirationTime)", ["dn"], base=schema))


def seed_directory(dc: SambaDC, users: int = 10_000, computers: int = 2_000, laps: bool = True) -> Directory:
    """Seed the bench directory into `dc` (the legacy LAPS schema first, if laps and it is missing)."""
    if laps and not has_laps_schema(dc):
        samba_dc.laps_schema(dc)
    ldif, seen = directory_ldif(dc.base_dn, dc.domain, users, computers, laps)
    dc.ldbmodify(ldif, batch=True)
    return seen


def bench_host(prefix: str, network: str, number: int, work: Path) -> harness.TestHost:
    """The DC's test host: on the default bridge for the default network, else on a bridge of its own."""
    bridge = harness.BRIDGE if network == harness.NETWORK else f"{prefix}benchbr"[:15]
    lab = harness.Lab(work / "lab", bridge=bridge, network=network)
    lab.directory.mkdir(parents=True, exist_ok=True)
    return harness.TestHost(f"{prefix}dc", number, lab)


def arguments(description: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--computers", type=int, default=2_000)
    parser.add_argument("--prefix", default="chb-", help="name prefix of the DC host (default chb-)")
    parser.add_argument("--network", default=harness.NETWORK, help="first three octets of its /24")
    parser.add_argument("--number", type=int, default=FIRST_ADDRESS, help="last octet of its address")
    parser.add_argument(
        "--keep", action="store_true", help="leave the DC up (take it down with testhost.sh down)"
    )
    return parser


@contextmanager
def provisioned_dc(args: argparse.Namespace) -> Iterator[tuple[SambaDC, harness.TestHost, Path, float]]:
    """A bench DC host booted and provisioned: the DC, its host, a work directory and the seconds the
    provisioning took; shut down at the end unless --keep."""
    reason = harness.missing_prerequisites()
    if reason:
        raise SystemExit(reason)
    harness.build_images(["bookworm"])
    work = Path(tempfile.mkdtemp(prefix="carehard-bench-dir-"))
    host = bench_host(args.prefix, args.network, args.number, work)
    harness.boot([host])
    try:
        start = time.perf_counter()
        dc = samba_dc.provision(host, BENCH_DOMAIN, BENCH_NETBIOS, workdir=work)
        yield dc, host, work, time.perf_counter() - start
    finally:
        if args.keep:
            print(f"kept: {host.name} at {host.address}, key {host.key}, work {work}")
        else:
            harness.shutdown([host])
            if host.lab.bridge != harness.BRIDGE:
                harness.remove_bridge(host.lab)


def main() -> None:
    args = arguments(__doc__).parse_args()
    with provisioned_dc(args) as (dc, _, _, provisioned):
        start = time.perf_counter()
        ldif, _ = directory_ldif(dc.base_dn, dc.domain, args.users, args.computers, laps=True)
        generated = time.perf_counter() - start
        start = time.perf_counter()
        seen = seed_directory(dc, args.users, args.computers)
        seeded = time.perf_counter() - start
        print(
            f"provision {provisioned:.1f} s; seed {seen.users} users, {seen.computers} computers, "
            f"{seen.groups} groups in {seeded:.1f} s "
            f"(LDIF {len(ldif) / 1e6:.1f} MB made in {generated:.1f} s); "
            f"highestCommittedUSN {dc.highest_committed_usn()}",
            flush=True,
        )
        print(f"seeded: {seen}", flush=True)
        if args.keep:
            print(f"reader {dc.reader_user} / {dc.reader_password}")


if __name__ == "__main__":
    main()
