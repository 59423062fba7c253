"""compliance_facts' judging (filter_plugins/fleet_eval.py) and its end-of-support table."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "compliance_facts"
_SPEC = importlib.util.spec_from_file_location("fleet_eval", ROLE / "filter_plugins" / "fleet_eval.py")
assert _SPEC and _SPEC.loader
fleet_eval = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(fleet_eval)
FILTERS = fleet_eval.FilterModule().filters()
TABLE_FILE = yaml.safe_load((ROLE / "vars" / "end_of_support.yml").read_text(encoding="utf-8"))
TABLE = TABLE_FILE["compliance_facts_end_of_support"]
SENSITIVE = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text(encoding="utf-8"))[
    "compliance_facts_sensitive_ports"
]


def support(os: dict[str, Any], today: str = "2026-11-26") -> dict[str, Any]:
    result: dict[str, Any] = FILTERS["carehard_os_support"]({"os": os}, TABLE, today, 90, "2026-11-20")
    return result


# ---- the table --------------------------------------------------------------------------------


def version_key(version: str) -> tuple[int, ...]:
    """Debian 12, Ubuntu 22.04, builds, and Windows releases: 1809 (2018-09) before 21H2 (2021, 2nd half)."""
    if len(version) == 4 and version[2] == "H":
        return (int(version[:2]), 4 if version[3] == "1" else 10)
    if len(version) == 4 and version.isdigit() and int(version[2:]) <= 12:
        return (int(version[:2]), int(version[2:]))
    return tuple(int(part) for part in version.split(".") if part.isdigit())


@pytest.mark.parametrize("kind", sorted(TABLE))
def test_every_row_has_a_real_date_and_the_rows_are_sorted(kind: str) -> None:
    rows = TABLE[kind]
    assert rows, kind
    for row in rows:
        date.fromisoformat(row["ends"])
        assert row["name"], row
    key = "build" if "build" in rows[0] else "version"
    values = [version_key(str(row[key])) for row in rows]
    assert values == sorted(values), f"{kind}: rows not sorted by {key}"


def test_the_table_says_when_it_was_last_updated() -> None:
    updated = date.fromisoformat(TABLE_FILE["compliance_facts_end_of_support_updated"])
    assert date(2026, 1, 1) <= updated <= date.today()


# ---- OS support -------------------------------------------------------------------------------


def test_a_supported_debian() -> None:
    result = support({"family": "debian", "id": "debian", "version": "12", "pretty": "Debian GNU/Linux 12"})
    assert result == {
        "status": "supported",
        "ends": "2028-06-30",
        "days_left": 582,
        "name": "Debian 12 bookworm (LTS)",
        "text": (
            "Debian 12 bookworm (LTS): security support until 2028-06-30 "
            "(582 days left; table updated 2026-11-20)"
        ),
    }


def test_an_unsupported_and_an_ending_release() -> None:
    old = support({"family": "debian", "id": "debian", "version": "11"})
    assert old["status"] == "unsupported" and old["days_left"] == -87
    assert old["text"].startswith(
        "Debian 11 bullseye (LTS): security support ended on 2026-08-31 (87 days ago"
    )
    ending = support({"family": "debian", "id": "debian", "version": "11"}, today="2026-07-01")
    assert ending["status"] == "ending" and ending["days_left"] == 61


@pytest.mark.parametrize(
    ("os", "name"),
    [
        ({"family": "debian", "id": "ubuntu", "version": "22.04"}, "Ubuntu 22.04 LTS"),
        ({"family": "rhel", "id": "rocky", "version": "9.4"}, "Rocky Linux 9"),
        ({"family": "rhel", "id": "rhel", "version": "8.10"}, "Red Hat Enterprise Linux 8"),
        (
            {
                "family": "windows",
                "name": "Microsoft Windows 11 Entreprise",
                "edition": "Enterprise",
                "version": "23H2",
                "build": "22631.4460",
            },
            "Windows 11 23H2 Enterprise/Education",
        ),
        (
            {
                "family": "windows",
                "name": "Microsoft Windows 11 Professionnel",
                "edition": "Professional",
                "version": "23H2",
                "build": "22631",
            },
            "Windows 11 23H2 Home/Pro",
        ),
        (
            {
                "family": "windows",
                "name": "Microsoft Windows 10 Professionnel",
                "edition": "Professional",
                "version": "22H2",
                "build": "19045",
            },
            "Windows 10 22H2 Home/Pro",
        ),
        (
            {
                "family": "windows",
                "name": "Microsoft Windows 10 Enterprise LTSC",
                "edition": "EnterpriseS",
                "version": "21H2",
                "build": "19044",
            },
            "Windows 10 Enterprise LTSC 2021",
        ),
        (
            {
                "family": "windows",
                "name": "Microsoft Windows Server 2019 Standard",
                "edition": "ServerStandard",
                "version": "1809",
                "build": "17763",
            },
            "Windows Server 2019",
        ),
    ],
)
def test_each_os_finds_its_row(os: dict[str, Any], name: str) -> None:
    assert support(os)["name"] == name


def test_windows_10_home_is_past_its_end_and_23h2_enterprise_ends_within_90_days() -> None:
    win10 = support({"family": "windows", "edition": "Core", "version": "22H2", "build": "19045"})
    assert (win10["status"], win10["ends"]) == ("unsupported", "2025-10-14")
    enterprise = support(
        {"family": "windows", "edition": "Enterprise", "version": "23H2", "build": "22631"}, "2026-09-01"
    )
    assert (enterprise["status"], enterprise["days_left"]) == ("ending", 70)


def test_an_os_missing_from_the_table_is_unknown_and_says_so() -> None:
    result = support({"family": "other", "id": "alpine", "version": "3.20", "pretty": "Alpine Linux v3.20"})
    assert result["status"] == "unknown" and result["ends"] is None
    assert result["text"] == (
        "end of support unknown: Alpine Linux v3.20 (id alpine, version 3.20) is not in the table "
        "(table updated 2026-11-20); check it with the vendor"
    )
    assert support({})["status"] == "unknown"


# ---- exposure ---------------------------------------------------------------------------------

LISTENERS = [
    {"proto": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd", "pid": 310, "user": "root"},
    {"proto": "tcp", "address": "0.0.0.0", "port": 5900, "process": "x11vnc", "pid": 812, "user": "kiosk"},
    {"proto": "tcp", "address": "::", "port": 5900, "process": "x11vnc", "pid": 812, "user": "kiosk"},
    {
        "proto": "tcp",
        "address": "127.0.0.1",
        "port": 3306,
        "process": "mariadbd",
        "pid": 455,
        "user": "mysql",
    },
    {"proto": "tcp", "address": "::1", "port": 5432, "process": "postgres", "pid": 501, "user": "postgres"},
    {"proto": "tcp", "address": "[::ffff:127.0.0.1]", "port": 6379, "process": "redis-server"},
    {
        "proto": "tcp",
        "address": "10.1.2.3%eth0",
        "port": 5432,
        "process": "postgres",
        "pid": 501,
        "user": "postgres",
    },
    {"proto": "udp", "address": "*", "port": 137, "process": "nmbd", "pid": 600, "user": "root"},
    {"proto": "udp", "address": "0.0.0.0", "port": 3389, "process": None, "pid": None, "user": None},
]


def test_sensitive_listeners_beyond_loopback_are_exposed_and_allowed_ones_say_why() -> None:
    allowed = [
        {"port": 5432, "reason": "PACS replication", "address": "10.1.2.3"},
        {"port": 137, "proto": "tcp"},
    ]
    found = FILTERS["carehard_exposed_listeners"](LISTENERS, SENSITIVE, allowed)
    assert [(e["port"], e["proto"], e["address"], e["allowed"]) for e in found] == [
        (137, "udp", "0.0.0.0", False),
        (3389, "udp", "0.0.0.0", False),
        (5432, "tcp", "10.1.2.3", True),
        (5900, "tcp", "0.0.0.0", False),
        (5900, "tcp", "::", False),
    ]
    texts = {e["port"]: e["text"] for e in reversed(found)}
    assert texts[5900] == "5900/tcp (vnc) on 0.0.0.0 by x11vnc (pid 812, user kiosk)"
    assert (
        texts[5432]
        == "5432/tcp (postgresql) on 10.1.2.3 by postgres (pid 501, user postgres), allowed: PACS replication"
    )
    assert texts[3389] == "3389/udp (rdp) on 0.0.0.0 by unknown process"


def test_an_allowance_for_another_address_does_not_allow() -> None:
    found = FILTERS["carehard_exposed_listeners"](
        LISTENERS[6:7], SENSITIVE, [{"port": 5432, "reason": "x", "address": "10.9.9.9"}]
    )
    assert [e["allowed"] for e in found] == [False]


def test_nothing_to_judge_gives_nothing() -> None:
    assert FILTERS["carehard_exposed_listeners"](None, SENSITIVE, None) == []
    assert FILTERS["carehard_exposed_listeners"](["junk", {"port": "x"}], SENSITIVE, "junk") == []


# ---- administrators and dates -----------------------------------------------------------------


def test_undeclared_administrators() -> None:
    admins = {"all": ["admin", "ghostadm", "PC-RADIO\\Administrateur", "HOPITAL\\Admins du domaine"]}
    declared = ["admin", "administrateur", "hopital\\admins du domaine"]
    assert FILTERS["carehard_undeclared_admins"](admins, declared) == ["ghostadm"]
    assert FILTERS["carehard_undeclared_admins"](admins, None) == sorted(admins["all"])
    assert FILTERS["carehard_undeclared_admins"]({"error": "cannot read /etc/sudoers"}, ["admin"]) == []


def test_days_since() -> None:
    assert FILTERS["carehard_days_since"]("2026-11-01T10:12:00Z", "2026-11-26") == 25
    assert FILTERS["carehard_days_since"](None, "2026-11-26") is None
    assert FILTERS["carehard_days_since"]("yesterday", "2026-11-26") is None


def test_the_filters_render_through_jinja() -> None:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters.update(FILTERS)
    text = env.from_string(
        "{{ fleet | carehard_os_support(table, '2026-11-26', 90, 'x') | attr('get')('status') }} "
        "{{ fleet.listeners | carehard_exposed_listeners(sensitive, []) | map(attribute='port') | list }}"
    ).render(
        fleet={"os": {"family": "debian", "id": "debian", "version": "12"}, "listeners": LISTENERS[:2]},
        table=TABLE,
        sensitive=SENSITIVE,
    )
    assert text == "supported [5900]"
