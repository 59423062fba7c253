"""A declaration made where its play does not read it is refused before the run, naming where it was
found and where it must go (carehard_backup_sets: read on the controller, which sees only `all`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from carehard.backups import load_sets
from carehard.engine.inventory import InventoryHost
from carehard.errors import UsageError
from carehard.placement import found_on, require_on_all
from tests.clirun import carehard

SETS = [{"name": "PACS", "repository": "/srv/restic/pacs", "password_file": "/p", "restore_host": "srv-01"}]
READER = "the play reads it there"


def host(name: str, groups: tuple[str, ...], **variables: object) -> InventoryHost:
    return InventoryHost(name, dict(variables), groups)


FLEET = [
    host("srv-01", ("linux_workstations", "servers")),
    host("srv-02", ("linux_workstations", "servers")),
    host("ws-01", ("linux_workstations", "desks")),
    host("win-01", ("windows_workstations",)),
]


def with_sets(names: set[str], value: object = SETS) -> list[InventoryHost]:
    return [
        InventoryHost(h.name, {"carehard_backup_sets": value} if h.name in names else {}, h.groups)
        for h in FLEET
    ]


def test_found_on_names_the_group_whose_hosts_exactly_have_it_else_the_hosts() -> None:
    assert found_on(FLEET[:2], FLEET) == "group servers"
    assert found_on(FLEET[:3], FLEET) == "group linux_workstations"
    assert found_on([FLEET[0], FLEET[3]], FLEET) == "hosts srv-01, win-01"
    many = [host(f"h{i}", ()) for i in range(5)]
    assert found_on(many, many + FLEET) == "hosts h0, h1, h2 and 2 more"


def test_require_on_all() -> None:
    require_on_all("carehard_backup_sets", with_sets({h.name for h in FLEET}), "inventory site", READER)
    require_on_all("carehard_backup_sets", with_sets(set()), "inventory site", READER)  # not declared at all
    with pytest.raises(UsageError) as info:
        require_on_all(
            "carehard_backup_sets", with_sets({"srv-01", "srv-02", "ws-01"}), "inventory site", READER
        )
    assert str(info.value) == (
        "inventory site: carehard_backup_sets is declared for group linux_workstations only, and the play"
        " reads it there: move it to group_vars/all.yml (or `all: vars:` in the hosts file)"
    )
    overridden = with_sets({h.name for h in FLEET})
    overridden[3] = InventoryHost("win-01", {"carehard_backup_sets": []}, ("windows_workstations",))
    with pytest.raises(
        UsageError, match="carehard_backup_sets has another value for group windows_workstations"
    ):
        require_on_all("carehard_backup_sets", overridden, "inventory site", READER)


def site(tmp_path: Path, group: str) -> Path:
    inventory = tmp_path / "site"
    (inventory / "group_vars").mkdir(parents=True)
    (inventory / "hosts.yml").write_text(
        "all:\n  children:\n    linux_workstations:\n      hosts:\n"
        "        srv-01: {ansible_host: 198.18.0.254}\n"
        "    windows_workstations:\n      hosts:\n        win-01: {ansible_host: 198.18.0.253}\n",
        encoding="utf-8",
    )
    (inventory / "group_vars" / f"{group}.yml").write_text(
        "carehard_backup_sets:\n"
        "  - {name: PACS, repository: /srv/restic/pacs, password_file: /etc/pw, restore_host: srv-01}\n",
        encoding="utf-8",
    )
    return inventory


def test_load_sets_reads_all_and_refuses_another_group(tmp_path: Path) -> None:
    assert [s.name for s in load_sets(site(tmp_path / "a", "all"))] == ["PACS"]
    with pytest.raises(
        UsageError, match="carehard_backup_sets is declared for group linux_workstations only"
    ):
        load_sets(site(tmp_path / "b", "linux_workstations"))


@pytest.mark.parametrize("command", [("backup", "verify"), ("backup", "canary", "--set", "PACS")])
def test_the_cli_says_where_the_sets_must_go_and_runs_nothing(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    inventory = site(tmp_path, "linux_workstations")
    state = tmp_path / "state"
    proc = carehard(*command, "-i", inventory, env={"CAREHARD_STATE_DIR": str(state)})
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stdout + proc.stderr
    assert lines[0] == (
        f"carehard: error: inventory {inventory}: carehard_backup_sets is declared for group"
        " linux_workstations only, and the backup play reads it on the controller (localhost), which sees"
        " only the variables of all: move it to group_vars/all.yml (or `all: vars:` in the hosts file)"
    )
    assert not (state / "runs").exists() and not (state / "history.db").exists()
