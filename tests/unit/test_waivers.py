"""carehard_waivers is checked before any run: each mistake is one line naming the host and the entry,
exit 2, no playbook started, nothing recorded (the carehard role would stop every control of the host)."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard.catalog import load_catalog
from carehard.engine.inventory import InventoryHost, list_hosts
from carehard.errors import UsageError
from carehard.waivers import check_waivers
from tests.clirun import carehard

ROOT = Path(__file__).resolve().parents[2]
IDS = {c.id for c in load_catalog().all()}
GOOD = {"id": "WL-SSH-01", "reason": "vendor tooling (ticket 12)", "expiry": "2027-03-31"}


def host(name: str, waivers: Any, groups: tuple[str, ...] = ("linux_workstations",)) -> InventoryHost:
    return InventoryHost(name, {} if waivers is None else {"carehard_waivers": waivers}, groups)


def refusal(*hosts: InventoryHost) -> str:
    with pytest.raises(UsageError) as info:
        check_waivers(hosts, IDS, "inventory site")
    message = str(info.value)
    assert "\n" not in message
    return message


def test_good_waivers_pass_and_hosts_without_waivers_are_fine() -> None:
    scoped = {**GOOD, "hosts": ["ws-01"], "group": "linux_workstations"}
    check_waivers(
        [
            host("ws-01", [GOOD, scoped]),
            host("ws-02", [GOOD, scoped]),
            host("ws-03", None, ("windows_workstations",)),
        ],
        IDS,
        "x",
    )
    check_waivers([host("ws-01", [])], IDS, "x")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"reason": None},
            "inventory site, host ws-01: carehard_waivers[1].reason (id WL-SSH-04): missing: give the reason",
        ),
        ({"reason": "   "}, "carehard_waivers[1].reason (id WL-SSH-04): expected the reason the control is"),
        (
            {"expiry": "31/12/2027"},
            "carehard_waivers[1].expiry (id WL-SSH-04): expected a date YYYY-MM-DD (the last day it waives),"
            " got '31/12/2027'",
        ),
        (
            {"expiry": "2027-13-45"},
            "carehard_waivers[1] (id WL-SSH-04): expiry '2027-13-45' is not a calendar date YYYY-MM-DD",
        ),
        ({"expiry": "2027-02-30"}, "expiry '2027-02-30' is not a calendar date"),
        ({"expiry": 20271231}, "carehard_waivers[1].expiry (id WL-SSH-04): expected a date YYYY-MM-DD"),
        (
            {"id": "WL-SSH-99"},
            "carehard_waivers[1] (id WL-SSH-99): WL-SSH-99 is not a control of the catalog",
        ),
        (
            {"id": "wl-ssh-04"},
            "carehard_waivers[1].id: expected a control ID such as WL-SSH-01, got 'wl-ssh-04'",
        ),
        ({"hosts": 7}, "carehard_waivers[1].hosts (id WL-SSH-04): expected a name or a list of names"),
        (
            {"group": [""]},
            "carehard_waivers[1].group[0] (id WL-SSH-04): expected a name or a list of names of the"
            " inventory, got ''",
        ),
        # a typo would have waived the control on every host
        (
            {"host": "ws-01"},
            "carehard_waivers[1].host (id WL-SSH-04): unknown key (known: id, reason, expiry",
        ),
    ],
)
def test_each_mistake_names_the_host_the_entry_and_the_fix(change: dict[str, Any], expected: str) -> None:
    entry = {**GOOD, "id": "WL-SSH-04", **change}
    entry = {k: v for k, v in entry.items() if v is not None}
    assert expected in refusal(host("ws-01", [GOOD, entry]))


def test_not_a_list_is_refused() -> None:
    assert "carehard_waivers: expected a list of waivers" in refusal(host("ws-01", {"WL-SSH-01": "x"}))


def test_a_waiver_naming_hosts_that_do_not_see_it_is_refused() -> None:
    """Declared for group servers, it names a desk: the desk reads its own carehard_waivers."""
    entry = {**GOOD, "hosts": ["ws-01", "srv-01"]}
    message = refusal(
        host("srv-01", [entry], ("servers",)),
        host("ws-01", None),
    )
    assert message == (
        "inventory site, host srv-01: carehard_waivers[0] (id WL-SSH-01) covers host ws-01, which does not"
        " see it (each host reads its own carehard_waivers): declare it in group_vars/all.yml, or for a group"
        " of ws-01"
    )
    by_group = {**GOOD, "group": "linux_workstations"}
    assert "covers host ws-02" in refusal(
        host("ws-01", [by_group], ("linux_workstations", "lab")), host("ws-02", [GOOD])
    )
    # names outside the listing (a backup set's "<set>.backup", a host left out by --limit) are not judged
    check_waivers([host("srv-01", [{**GOOD, "hosts": ["pacs.backup", "elsewhere"]}])], IDS, "x")


def calendar_filter() -> Any:
    path = ROOT / "roles/carehard/filter_plugins/calendar_date.py"
    spec = importlib.util.spec_from_file_location("carehard_calendar_date", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FilterModule().filters()["carehard_calendar_date"]


def test_the_role_checks_the_same_calendar_dates() -> None:
    """AWX and ansible-playbook users get the role's check: the same dates pass."""
    is_date = calendar_filter()
    assert is_date("2027-03-31") and is_date(date(2027, 3, 31)) and is_date("2028-02-29")
    for bad in ("2027-13-45", "2027-02-30", "31/12/2027", "", None, 20271231, "2027-3-31"):
        assert not is_date(bad), bad
    tasks = yaml.safe_load((ROOT / "roles/carehard/tasks/main.yml").read_text(encoding="utf-8"))
    assert "item.expiry | default('') | carehard_calendar_date" in tasks[0]["ansible.builtin.assert"]["that"]


# ---- through the command line, on real inventories: nothing runs, nothing is recorded --------------------


def site(tmp_path: Path, waivers: str, group: str = "all") -> Path:
    inventory = tmp_path / "site"
    (inventory / "group_vars").mkdir(parents=True)
    (inventory / "hosts.yml").write_text(
        "all:\n  children:\n    linux_workstations:\n      hosts:\n"
        "        ws-01: {ansible_host: 198.18.0.254}\n        ws-02: {ansible_host: 198.18.0.253}\n",
        encoding="utf-8",
    )
    (inventory / "group_vars" / f"{group}.yml").write_text(f"carehard_waivers:\n{waivers}", encoding="utf-8")
    return inventory


BAD_WAIVERS = [
    ("  - {id: WL-SSH-04, expiry: 2027-12-31}\n", "carehard_waivers[0].reason (id WL-SSH-04): missing"),
    (
        "  - {id: WL-SSH-04, reason: old client, expiry: 31/12/2027}\n",
        "carehard_waivers[0].expiry (id WL-SSH-04): expected a date YYYY-MM-DD",
    ),
    ('  - {id: WL-SSH-04, reason: old client, expiry: "2027-13-45"}\n', "expiry '2027-13-45' is not a"),
    ("  - {id: WL-SSH-99, reason: old client, expiry: 2027-12-31}\n", "WL-SSH-99 is not a control"),
]
CASES = [("audit", *case) for case in BAD_WAIVERS] + [(c, *BAD_WAIVERS[-1]) for c in ("harden", "facts")]


@pytest.mark.parametrize(("command", "waivers", "expected"), CASES)
def test_the_cli_refuses_before_any_run(tmp_path: Path, command: str, waivers: str, expected: str) -> None:
    state = tmp_path / "state"
    inventory = site(tmp_path, waivers)
    options = {
        "audit": ["--only", "WL-SSH-01", "--output", tmp_path / "out"],
        "harden": ["--yes", "--only", "WL-SSH-01", "--output", tmp_path / "out"],
        "facts": [],
    }[command]
    proc = carehard(command, "-i", inventory, *options, env={"CAREHARD_STATE_DIR": str(state)})
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert len(lines) == 1 and lines[0].startswith(f"carehard: error: inventory {inventory}, host ws-01: ")
    assert expected in lines[0]
    assert not (state / "runs").exists() and not (state / "history.db").exists()
    assert not (tmp_path / "out").exists()


def test_backup_verify_checks_the_waivers_too(tmp_path: Path) -> None:
    """The backup play runs the carehard role on each set's host: its waivers are read there."""
    state = tmp_path / "state"
    inventory = site(
        tmp_path, "  - {id: BK-COPY-01, hosts: [labo.backup], reason: RDX, expiry: '2027-02-30'}\n"
    )
    (inventory / "group_vars" / "all.yml").write_text(
        (inventory / "group_vars" / "all.yml").read_text(encoding="utf-8")
        + "carehard_backup_sets:\n"
        + "  - {name: labo, repository: /srv/r, password_file: /p, restore_host: ws-01}\n",
        encoding="utf-8",
    )
    proc = carehard("backup", "verify", "-i", inventory, env={"CAREHARD_STATE_DIR": str(state)})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "carehard_waivers[0] (id BK-COPY-01): expiry '2027-02-30' is not a calendar date" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (state / "runs").exists() and not (state / "history.db").exists()


def test_backup_verify_reads_the_sets_and_the_waivers_from_one_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from carehard.jobs import backup_verify

    inventory = site(
        tmp_path, "  - {id: BK-COPY-01, hosts: [labo.backup], reason: RDX, expiry: 2027-03-31}\n"
    )
    with (inventory / "group_vars" / "all.yml").open("a", encoding="utf-8") as group_vars:
        group_vars.write("carehard_backup_sets:\n")
        group_vars.write("  - {name: labo, repository: /r, password_file: /p, restore_host: ws-01}\n")
    listings = []

    def listing(*args: Any) -> list[InventoryHost]:
        listings.append(args)
        return list_hosts(*args)

    monkeypatch.setattr(backup_verify, "list_hosts", listing)
    monkeypatch.setattr("carehard.backups.list_hosts", listing)
    job = backup_verify.BackupVerifyJob(inventory, ("labo",), False)
    job.prepare(load_catalog())
    assert [s.name for s in job._sets] == ["labo"] and len(listings) == 1
