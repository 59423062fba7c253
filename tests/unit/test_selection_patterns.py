"""--only and --skip take glob patterns as well as IDs: what they select, what they refuse, and
`controls list` showing exactly the selection audit makes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carehard.catalog import Catalog, load_catalog
from carehard.engine.selection import Selection, parse_ids, select_controls
from carehard.errors import UsageError
from carehard.report.care import load_objectives
from tests.clirun import carehard
from tests.unit.test_cli import one_line_error


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def ids_of(
    catalog: Catalog, only: tuple[str, ...] = (), skip: tuple[str, ...] = (), level: int = 2
) -> list[str]:
    selection = Selection(level=level, only=parse_ids(only), skip=parse_ids(skip, "--skip"))
    return [c.id for c in select_controls(catalog, selection)]


def starting(catalog: Catalog, prefix: str) -> list[str]:
    return [cid for cid in sorted(catalog.controls) if cid.startswith(prefix)]


def test_a_pattern_selects_every_control_it_matches_whatever_the_level(catalog: Catalog) -> None:
    ssh = starting(catalog, "WL-SSH-")
    assert len(ssh) > 10 and {catalog[cid].level for cid in ssh} != {1}
    assert ids_of(catalog, ("WL-SSH-*",), level=1) == ssh


def test_patterns_are_case_insensitive_and_mix_with_ids_commas_and_repeats(catalog: Catalog) -> None:
    chosen = ids_of(catalog, ("wl-ssh-0?,RA-*", "WL-ACC-01", "wl-ssh-01"))
    expected = sorted({*starting(catalog, "WL-SSH-0"), *starting(catalog, "RA-"), "WL-ACC-01"})
    assert chosen == expected
    assert ids_of(catalog, ("WL-SSH-0[12]",)) == ["WL-SSH-01", "WL-SSH-02"]


def test_a_skip_pattern_leaves_its_controls_out(catalog: Catalog) -> None:
    everything = ids_of(catalog, level=3)
    chosen = ids_of(catalog, skip=("ww-*", "WL-SSH-0?"), level=3)
    assert any(cid.startswith("WW-") for cid in everything)
    assert chosen == [c for c in everything if not c.startswith("WW-") and not c.startswith("WL-SSH-0")]
    # --skip may name controls audit does not run (it leaves nothing out then): not an error.
    assert ids_of(catalog, skip=("BK-*",)) == ids_of(catalog)


@pytest.mark.parametrize(
    ("only", "skip", "message"),
    [
        (("WL-SHH-*",), (), "--only 'WL-SHH-*' matches no control: see `carehard controls list`"),
        (("WL-SSH-01",), ("ZZ-?",), "--skip 'ZZ-?' matches no control: see `carehard controls list`"),
        (("WL-SSH-01,WL-XXX-99",), (), "unknown control ID 'WL-XXX-99' in --only"),
        (("BK-*",), (), "--only 'BK-*' matches only controls run by `carehard backup verify`"),
        (("EX-NET-*",), (), "--only 'EX-NET-*' matches only controls run by `carehard exposure scan`"),
        (("BK-RST-01",), (), "control BK-RST-01 is run by `carehard backup verify`"),
        (("WL-SSH-*",), ("WL-*",), "no control left to run"),
    ],
)
def test_what_selects_nothing_is_refused_naming_it(
    catalog: Catalog, only: tuple[str, ...], skip: tuple[str, ...], message: str
) -> None:
    with pytest.raises(UsageError) as refused:
        ids_of(catalog, only, skip)
    assert message in str(refused.value)


def test_a_pattern_over_runnable_and_other_families_selects_the_runnable_ones(catalog: Catalog) -> None:
    # EX-SVC-01 is audited on each host (compliance_facts); EX-NET-01 is the exposure scan's.
    assert {catalog["EX-SVC-01"].family, catalog["EX-NET-01"].family} == {"compliance_facts", "exposure_scan"}
    assert ids_of(catalog, ("EX-*",)) == ["EX-SVC-01"]
    everything = ids_of(catalog, ("*",))
    assert everything == ids_of(catalog, level=3)
    assert not [cid for cid in everything if cid.startswith("BK-") or cid == "EX-NET-01"]


def test_a_pattern_names_the_command_of_the_family_it_matches(catalog: Catalog) -> None:
    backup_only = Selection(level=3, only=("WL-SSH-*",), families=("backup_verify",))
    with pytest.raises(UsageError, match=r"--only 'WL-SSH-\*' matches only controls run by `carehard audit`"):
        select_controls(catalog, backup_only)


def test_the_objectives_file_matches_patterns_the_same_way(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "care.yml"
    path.write_text("objectives:\n  - id: D2.01\n    controls: [ra-vnd-*]\n", encoding="utf-8")
    [objective] = load_objectives(path, catalog)
    assert catalog.matching(objective.controls[0]) == starting(catalog, "RA-VND-")


def listed(*args: str) -> list[str]:
    result = carehard("controls", "list", *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return [c["id"] for c in json.loads(result.stdout)]


def test_controls_list_shows_exactly_what_audit_would_run(catalog: Catalog) -> None:
    assert listed("--only", "WL-SSH-*,EX-*", "--skip", "wl-ssh-1?") == ids_of(
        catalog, ("WL-SSH-*,EX-*",), ("wl-ssh-1?",)
    )
    # --skip alone: audit's default level (2), as `carehard audit --skip 'WW-*'` runs it.
    assert listed("--skip", "WW-*") == ids_of(catalog, skip=("WW-*",))
    assert listed("--level", "1", "--family", "remote_access") == [
        cid for cid in ids_of(catalog, level=1) if cid.startswith("RA-")
    ]


def test_controls_list_counts_the_selection_on_the_table(catalog: Catalog) -> None:
    result = carehard("controls", "list", "--only", "WL-SSH-0?", "--skip", "WL-SSH-09")
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().splitlines()[-1] == "8 controls selected"
    whole = carehard("controls", "list")
    assert whole.stdout.rstrip().splitlines()[-1] == f"{len(catalog.controls)} controls listed"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["controls", "list", "--only", "WL-SHH-*"], "--only 'WL-SHH-*' matches no control"),
        (
            ["controls", "list", "--family", "backup_verify", "--level", "1"],
            "--family backup_verify is run by `carehard backup verify`: --only, --skip and --level",
        ),
        (["audit", "--only", "WL-SHH-*"], "--only 'WL-SHH-*' matches no control"),
        (["audit", "--only", "BK-*"], "--only 'BK-*' matches only controls run by `carehard backup verify`"),
        # An inventory that does not exist: whatever happens, harden never reaches this machine.
        (["harden", "--yes", "-i", "/nonexistent/hosts.yml", "--skip", "nope-*"], "--skip 'NOPE-*' matches"),
    ],
)
def test_a_bad_pattern_on_the_command_line_is_one_line_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = carehard(*args, "--output", tmp_path / "out") if args[0] != "controls" else carehard(*args)
    assert result.returncode == 2
    assert message in one_line_error(result.stderr)
    assert not (tmp_path / "out").exists()
