"""The Samba DC kit's pure parts (tests/integration/samba_dc.py, bench/seed_directory.py), on data:
ldbsearch's output parsed, Active Directory time, the bench directory's LDIF and what it counts."""

from __future__ import annotations

from datetime import UTC, datetime

from bench.seed_directory import directory_ldif, operating_system
from tests.integration.samba_dc import filetime, parse_ldif

LDBSEARCH = """# record 1
dn: CN=fault-da-spn,CN=Users,DC=faulty,DC=carehard,DC=test
userAccountControl: 1049088
servicePrincipalName: MSSQLSvc/sql01.faulty.carehard.test:1433
description:: w6l0w6kgZMOpbMOpZ3XDqQ==
memberOf: CN=fault-tier0-inner,CN=Users,DC=faulty,DC=carehard,DC=test
memberOf: CN=Protected Users,CN=Users,DC=faulty,DC=carehard,DC=tes
 t

# Referral
ref: ldap://faulty.carehard.test/CN=Configuration,DC=faulty,DC=carehard,DC=test

# returned 2 records
# 1 entries
# 1 referrals
"""


def test_ldbsearch_output_parsed_with_folds_and_base64() -> None:
    (entry,) = parse_ldif(LDBSEARCH)
    assert entry["dn"] == ["CN=fault-da-spn,CN=Users,DC=faulty,DC=carehard,DC=test"]
    assert entry["userAccountControl"] == ["1049088"]
    assert entry["description"] == ["été délégué"]
    assert entry["memberOf"][1] == "CN=Protected Users,CN=Users,DC=faulty,DC=carehard,DC=test"


def test_filetime_is_100ns_since_1601() -> None:
    assert filetime(datetime(1601, 1, 1, tzinfo=UTC)) == 0
    assert filetime(datetime(1970, 1, 1, tzinfo=UTC)) == 116444736000000000


def test_bench_directory_counts_what_its_ldif_holds() -> None:
    ldif, seen = directory_ldif("DC=b,DC=test", "b.test", users=1000, computers=200, laps=True)
    assert ldif.count("\nobjectClass: user\n") == seen.users == 1000
    assert ldif.count("\nobjectClass: computer\n") == seen.computers == 200
    assert seen.users_enabled == 975 and seen.computers_enabled == 198
    assert seen.flags["password_never_expires"] == 5 and seen.flags["unconstrained_delegation"] == 1
    assert ldif.count("ms-Mcs-AdmPwdExpirationTime:") == 180
    assert seen.groups == 102 and "primaryGroupID: 512" in ldif
    assert [operating_system(i)[0] for i in (0, 60, 99)] == [
        "Windows 11 Enterprise",
        "Windows 10 Enterprise",
        "Windows Server 2008 R2 Standard",
    ]
