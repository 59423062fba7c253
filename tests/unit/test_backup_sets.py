"""carehard_backup_sets: each mistake in a set is refused on one line naming what to fix."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from carehard.backups import BackupSet, load_sets, parse_sets
from carehard.errors import UsageError
from tests.vault_sample import CIPHERTEXT

HOSTS = {"r1", "pacs-01"}
SET = "inventory site: carehard_backup_sets[0]"  # where a schema error names the first set
ENV_PASSWORD = "CAREHARD_TEST_RESTIC_PASSWORD"
# `ansible-vault encrypt_string secret --name password` (vault password "vpw"): ansible-inventory
# lists the value encrypted, and carehard refuses it without the vault password (vault_password).
VAULTED_SET = """\
      - name: DPI
        repository: /srv/restic/dpi
        restore_host: r1
        password: !vault |
""" + textwrap.indent(CIPHERTEXT, " " * 10)


def a_set(**changes: Any) -> dict[str, Any]:
    """A valid set; a change to None removes the key."""
    raw: dict[str, Any] = {
        "name": "DPI",
        "repository": "/srv/restic/dpi",
        "password_file": "/etc/carehard/dpi.pw",
        "restore_host": "r1",
    }
    raw.update(changes)
    return {k: v for k, v in raw.items() if v is not None}


def parsed(raw: Any, hosts: set[str] = HOSTS) -> BackupSet:
    """One set as load_sets takes it: carehard_backup_sets checked against the schema, then parsed."""
    (backup_set,) = parse_sets([raw], hosts, "inventory site")
    return backup_set


def refused(raw: Any, hosts: set[str] = HOSTS) -> str:
    with pytest.raises(UsageError) as info:
        parsed(raw, hosts)
    message = str(info.value)
    assert "\n" not in message
    return message


def inventory(tmp_path: Path, items: list[dict[str, Any] | str] | None) -> Path:
    """A real YAML inventory: host r1 and, in all's vars, the sets (a mapping, or an item's raw YAML)."""
    lines = ["all:", "  hosts:", "    r1: {ansible_host: 127.0.0.1}"]
    if items is not None:
        lines += ["  vars:", "    carehard_backup_sets:"]
        lines += [
            item.rstrip("\n") if isinstance(item, str) else "      - " + json.dumps(item) for item in items
        ]
    path = tmp_path / "hosts.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_minimal_set_parses_with_the_default_rpo_and_rto() -> None:
    assert parsed(a_set()) == BackupSet(
        name="DPI",
        repository="/srv/restic/dpi",
        restore_host="r1",
        source_host=None,
        canary=None,
        rpo="24h",
        rto="4h",
        read_cycle=30,
    )


def test_the_read_cycle_is_declared_or_a_random_sample_replaces_it() -> None:
    assert parsed(a_set(read_cycle=7)).read_cycle == 7
    assert parsed(a_set(check_subset="5%")).read_cycle is None
    assert refused(a_set(read_cycle=7, check_subset="5%")) == (
        "backup set DPI: give read_cycle (every pack read over N nights) or check_subset, not both"
    )
    assert refused(a_set(read_cycle=0)).startswith(f"{SET}.read_cycle (name DPI): ")


def test_a_complete_set_parses() -> None:
    raw = a_set(
        name="lab-1_b",
        environment={"AWS_ACCESS_KEY_ID": "x"},
        source_host="pacs-01",
        paths=["/var/lib/dpi", "/etc/dpi"],
        canary="/var/lib/dpi/.carehard-canary",
        rpo="30m",
        rto="2d",
        check_subset="1/10",
        retention={"keep_daily": 7, "keep_weekly": 4, "keep_within": "2d"},
        production_hosts=["pacs-01"],
        second_copy={"repository": "sftp:backup@nas:/srv/dpi", "password_file": "/etc/nas.pw", "rpo": "1w"},
        snapshot_host="pacs-01",
        snapshot_tags=["nightly"],
        snapshot_paths=["/var/lib/dpi"],
        scratch_dir="/var/tmp",
    )
    complete = parsed(raw)
    assert (complete.name, complete.source_host, complete.canary, complete.rpo, complete.rto) == (
        "lab-1_b",
        "pacs-01",
        "/var/lib/dpi/.carehard-canary",
        "30m",
        "2d",
    )


@pytest.mark.parametrize(
    "password",
    [{"__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\n6639"}, "{{ lookup('env', 'DPI_PW') }}"],
)
def test_a_vaulted_or_templated_password_is_accepted(password: Any) -> None:
    assert parsed(a_set(password_file=None, password=password)).name == "DPI"


def test_a_set_names_the_environment_variables_of_its_passwords() -> None:
    raw = a_set(
        password_file=None,
        password_env="DPI_PW",
        second_copy={"repository": "/mnt/usb/dpi", "password_env": "USB_PW"},
    )
    assert parsed(raw).password_envs == ("DPI_PW", "USB_PW")
    assert parsed(a_set()).password_envs == ()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            ["DPI"],
            f"{SET}: expected a backup set, a mapping (name, repository...), got a list",
        ),
        (
            a_set(name="dpi prod"),
            f"{SET}.name: expected a name of letters, digits, - and _ (like DPI or lab-1), got 'dpi prod'",
        ),
        (
            a_set(name="-dpi"),
            f"{SET}.name: expected a name of letters, digits, - and _ (like DPI or lab-1), got '-dpi'",
        ),
        (
            a_set(name=None),
            f"{SET}.name: missing: give a name of letters, digits, - and _",
        ),
        (
            a_set(repository=None),
            f"{SET}.repository (name DPI): missing: give a restic repository (a path, sftp:, rest:, s3:...)",
        ),
        (
            a_set(repository=""),
            f"{SET}.repository (name DPI): expected a restic repository"
            " (a path, sftp:, rest:, s3:...), got ''",
        ),
        (a_set(password_file=None), "backup set DPI: give exactly one password source: password_file"),
        (
            a_set(password_env="DPI_PW"),
            "backup set DPI: give exactly one password source: password_file (on the restore host)",
        ),
        (
            a_set(password_file=None, password="hunter2"),
            "backup set DPI: the password is in the inventory in plain text: encrypt it with ansible-vault",
        ),
        (a_set(restore_host="r9"), "backup set DPI: restore_host 'r9' is not a host of the inventory"),
        (
            a_set(restore_host=None),
            f"{SET}.restore_host (name DPI): missing: give the inventory host where restic runs",
        ),
        (
            a_set(rpo="24 hours"),
            "backup set DPI: rpo '24 hours' is not a duration: give a number and a unit, like 30m, 4h or 2d",
        ),
        (a_set(rto="0h"), "backup set DPI: rto '0h' is not a duration"),
        (
            a_set(check_subset="lots"),
            f"{SET}.check_subset (name DPI): expected a subset like 5%, 1/10 or 500M, got 'lots'",
        ),
        (
            a_set(check_subset="0/10"),
            f"{SET}.check_subset (name DPI): expected a subset like 5%, 1/10 or 500M, got '0/10'",
        ),
        (
            a_set(paths=["/var/lib/dpi", "var/lib/other"]),
            "backup set DPI: sample path 'var/lib/other' must be absolute, as stored in the snapshot",
        ),
        (
            a_set(paths=[]),
            f"{SET}.paths (name DPI): expected a list of paths as stored in the snapshot, or [all],"
            " got an empty list",
        ),
        (
            a_set(paths="/var/lib/dpi"),
            f"{SET}.paths (name DPI): expected a list of paths as stored in the snapshot, or [all],"
            " got '/var/lib/dpi'",
        ),
        (
            a_set(canary="canary.txt"),
            "backup set DPI: canary 'canary.txt' must be an absolute path, as stored in the snapshot",
        ),
        (
            a_set(retention={"keep_daily": 7, "keep_forever": 1}),
            f"{SET}.retention.keep_forever (name DPI): unknown key (known: keep_last, keep_hourly,"
            " keep_daily, keep_weekly, keep_monthly, keep_yearly, keep_within)",
        ),
        (
            a_set(retention={"keep_last": 0}),
            f"{SET}.retention.keep_last (name DPI): expected a whole number of snapshots, at least 1, got 0",
        ),
        (
            a_set(retention={"keep_daily": "7"}),
            f"{SET}.retention.keep_daily (name DPI):"
            " expected a whole number of snapshots, at least 1, got '7'",
        ),
        (
            a_set(retention={"keep_daily": True}),
            f"{SET}.retention.keep_daily (name DPI):"
            " expected a whole number of snapshots, at least 1, got true",
        ),
        (
            a_set(retention=["keep_daily"]),
            f"{SET}.retention (name DPI): expected a mapping of rules (keep_daily, keep_weekly...) to"
            " counts, got a list",
        ),
        (
            a_set(retention={"keep_within": "a month"}),
            f"{SET}.retention.keep_within (name DPI): expected a restic duration: like 14d, 6m"
            " (months) or 1y2m, got 'a month'",
        ),
        (
            a_set(production_hosts=["pacs-01", "pacs-09"]),
            "backup set DPI: production host 'pacs-09' is not a host of the inventory",
        ),
        (
            a_set(second_copy={"restore_host": "r1"}),
            f"{SET}.second_copy.repository (name DPI):"
            " missing: give a restic repository (a path, sftp:, rest:, s3:...)",
        ),
        (
            a_set(second_copy={"repository": "/mnt/usb/dpi", "pasword": "x"}),
            f"{SET}.second_copy.pasword (name DPI): unknown key (known: repository, password,"
            " password_file, password_env, environment, restore_host, rpo, snapshot_host)",
        ),
        (
            a_set(second_copy={"repository": "/mnt/usb/dpi", "password": "hunter2"}),
            "backup set DPI: second_copy: the password is in the inventory in plain text",
        ),
        (
            a_set(second_copy={"repository": "/mnt/usb/dpi", "restore_host": "r9"}),
            "backup set DPI: second_copy restore_host 'r9' is not in the inventory",
        ),
        (
            a_set(second_copy={"repository": "/mnt/usb/dpi", "rpo": "weekly"}),
            "backup set DPI: second_copy rpo 'weekly' is not a duration",
        ),
        (a_set(source_host="ws-99"), "backup set DPI: source_host 'ws-99' is not a host of the inventory"),
        (
            a_set(repo="/srv/x"),
            f"{SET}.repo (name DPI): unknown key (known: name, repository, password, password_file,",
        ),
    ],
)
def test_a_wrong_set_is_refused_on_one_line(raw: Any, message: str) -> None:
    assert refused(raw).startswith(message)


# ---- through a real inventory (ansible-inventory) -----------------------------------------------------


def test_load_sets_reads_the_inventory_and_selects_with_set(tmp_path: Path) -> None:
    path = inventory(tmp_path, [a_set(name="PACS", rpo="2d"), a_set(rto="8h")])
    assert [(s.name, s.rpo, s.rto) for s in load_sets(path)] == [("PACS", "2d", "4h"), ("DPI", "24h", "8h")]
    assert [s.name for s in load_sets(path, ("DPI",))] == ["DPI"]
    with pytest.raises(UsageError) as info:
        load_sets(path, ("DPI", "RIS"))
    assert str(info.value) == "--set RIS: no such backup set (declared: DPI, PACS)"


@pytest.fixture
def vault_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "vault-password").write_text("vpw\n", encoding="utf-8")
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(tmp_path / "vault-password"))


@pytest.mark.usefixtures("vault_password")
def test_load_sets_accepts_a_vaulted_password_from_group_vars(tmp_path: Path) -> None:
    folder = tmp_path / "inventory"
    (folder / "group_vars").mkdir(parents=True)
    (folder / "hosts.yml").write_text("all:\n  hosts:\n    r1: {ansible_host: 127.0.0.1}\n")
    (folder / "group_vars" / "all.yml").write_text("carehard_backup_sets:\n" + VAULTED_SET)
    assert [s.name for s in load_sets(folder)] == ["DPI"]


def test_load_sets_refuses_a_chosen_set_whose_password_env_is_not_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = inventory(
        tmp_path,
        [a_set(password_file=None, password_env=ENV_PASSWORD), a_set(name="PACS")],
    )
    monkeypatch.delenv(ENV_PASSWORD, raising=False)
    with pytest.raises(UsageError) as info:
        load_sets(path)
    assert str(info.value) == f"backup set DPI: password_env {ENV_PASSWORD} is not set in this environment"
    assert [s.name for s in load_sets(path, ("PACS",))] == ["PACS"]  # only the chosen sets need theirs
    monkeypatch.setenv(ENV_PASSWORD, "")
    with pytest.raises(UsageError, match="is not set in this environment"):
        load_sets(path, ("DPI",))
    monkeypatch.setenv(ENV_PASSWORD, "s3cret")
    assert [s.name for s in load_sets(path, ("DPI",))] == ["DPI"]


def test_load_sets_refuses_two_sets_with_one_name(tmp_path: Path) -> None:
    path = inventory(tmp_path, [a_set(), a_set(repository="/mnt/usb/dpi")])
    with pytest.raises(UsageError) as info:
        load_sets(path)
    assert str(info.value) == "two sets are named DPI: make the names unique"


def test_load_sets_refuses_an_inventory_without_sets(tmp_path: Path) -> None:
    path = inventory(tmp_path, None)
    with pytest.raises(UsageError) as info:
        load_sets(path)
    assert str(info.value) == f"inventory {path} declares no carehard_backup_sets: see docs/backup-verify.md"


def test_load_sets_names_the_faulty_set_of_the_inventory(tmp_path: Path) -> None:
    path = inventory(tmp_path, [a_set(name="PACS"), a_set(restore_host="nas")])
    with pytest.raises(UsageError) as info:
        load_sets(path)
    assert str(info.value) == "backup set DPI: restore_host 'nas' is not a host of the inventory"


def test_load_sets_names_the_inventory_and_the_key_of_a_malformed_set(tmp_path: Path) -> None:
    path = inventory(tmp_path, [a_set(name="PACS"), a_set(rpo=24)])
    with pytest.raises(UsageError) as info:
        load_sets(path)
    assert str(info.value) == (
        f"inventory {path}: carehard_backup_sets[1].rpo (name DPI): expected a duration like 24h, got 24"
    )


# ---- bugs ----------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("vault_password")
def test_load_sets_accepts_a_vaulted_password_in_the_hosts_file(tmp_path: Path) -> None:
    assert [s.name for s in load_sets(inventory(tmp_path, [VAULTED_SET]))] == ["DPI"]


def test_a_numeric_plain_text_password_is_refused(tmp_path: Path) -> None:
    path = inventory(
        tmp_path, ["      - {name: DPI, repository: /srv/x, restore_host: r1, password: 12345678}"]
    )
    with pytest.raises(UsageError, match="plain text") as info:
        load_sets(path)
    assert "12345678" not in str(info.value)


def test_a_keep_within_restic_cannot_read_is_refused() -> None:
    refused(a_set(retention={"keep_within": "2w"}))


def test_production_hosts_not_a_list_is_named_as_such() -> None:
    message = refused(a_set(production_hosts="pacs-01"))
    assert "not a host of the inventory" not in message
    assert "list" in message


def test_a_null_name_is_refused() -> None:
    assert "name" in refused(a_set(name=None) | {"name": None})
