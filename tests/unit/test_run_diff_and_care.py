"""Run diffs and the CaRE evidence view, over runs stored in a real SQLite history."""

from __future__ import annotations

from pathlib import Path

import pytest

from carehard.catalog import load_catalog
from carehard.history import History
from carehard.model import BackupCheck, ControlResult, HostOutcome, RunRecord
from carehard.report.care import care_evidence
from carehard.report.diff import diff_runs


def a_run(run_id: str, started: str, results: dict[str, dict[str, str]], mode: str = "audit") -> RunRecord:
    hosts = {
        name: HostOutcome(
            name, results={cid: ControlResult(cid, status, "evidence") for cid, status in r.items()}
        )
        for name, r in results.items()
    }
    controls = sorted({cid for r in results.values() for cid in r})
    return RunRecord(
        id=run_id,
        mode=mode,
        started=started,
        finished=started,
        carehard_version="test",
        level=2,
        selection={"inventory": "site", "limit": None, "only": [], "skip": []},
        controls=controls,
        exit_code=1,
        hosts=hosts,
    )


def test_diff_names_regressions_improvements_and_hosts() -> None:
    before = a_run(
        "a",
        "2026-11-01T00:00:00+00:00",
        {
            "h1": {"WL-SSH-01": "pass", "WL-SSH-02": "fail", "WL-SSH-03": "pass"},
            "old": {"WL-SSH-01": "pass"},
        },
    )
    after = a_run(
        "b",
        "2026-11-02T00:00:00+00:00",
        {
            "h1": {"WL-SSH-01": "fail", "WL-SSH-02": "fixed", "WL-SSH-03": "waived"},
            "new": {"WL-SSH-01": "pass"},
        },
    )
    diff = diff_runs(before, after)
    assert [(c.host, c.control, c.before, c.after) for c in diff.regressed] == [
        ("h1", "WL-SSH-01", "pass", "fail")
    ]
    assert [(c.control, c.after) for c in diff.improved] == [("WL-SSH-02", "fixed")]
    assert [(c.control, c.after) for c in diff.changed] == [("WL-SSH-03", "waived")]
    assert diff.hosts_added == ["new"] and diff.hosts_gone == ["old"]
    assert diff_runs(after, after).as_dict()["regressed"] == []


def test_care_view_takes_each_control_from_its_newest_run(tmp_path: Path) -> None:
    history = History(tmp_path / "history.db")
    history.save(
        a_run("old", "2026-11-01T00:00:00+00:00", {"h1": {"WL-SSH-01": "fail", "RA-VND-01": "fail"}})
    )
    history.save(
        a_run("new", "2026-11-02T00:00:00+00:00", {"h1": {"WL-SSH-01": "pass"}, "h2": {"WL-SSH-01": "fail"}})
    )
    backup = a_run("bk", "2026-11-03T00:00:00+00:00", {"DPI.backup": {"BK-AGE-01": "pass"}}, mode="backup")
    history.save(backup)
    history.save_backup_checks(
        [
            BackupCheck(
                "bk",
                "DPI",
                "2026-11-03T00:00:00+00:00",
                "pass",
                "2026-11-02T22:00:00Z",
                7200,
                True,
                1.5,
                1000,
                666.0,
                60.0,
            )
        ]
    )
    evidence = care_evidence(history, load_catalog())
    states = {c.id: c for d in evidence.domains for c in d.controls}
    assert states["WL-SSH-01"].run_id == "new" and states["WL-SSH-01"].counts == {"pass": 1, "fail": 1}
    assert states["RA-VND-01"].run_id == "old" and states["RA-VND-01"].counts == {"fail": 1}
    assert states["BK-AGE-01"].counts == {"pass": 1}
    assert states["BK-RTO-01"].run_id is None
    assert [(c.backup_set, c.checked_at) for c in evidence.restore_tests] == [
        ("DPI", "2026-11-03T00:00:00+00:00")
    ]
    continuity = next(d for d in evidence.domains if d.domain == "continuity")
    assert {c.id for c in continuity.controls} >= {"BK-AGE-01", "BK-RST-01"}


def test_objectives_from_the_establishment_s_file(tmp_path: Path) -> None:
    from carehard.errors import UsageError
    from carehard.report.care import load_objectives

    catalog = load_catalog()
    path = Path(__file__).parents[2] / "docs" / "care-objectives.example.yml"
    objectives = load_objectives(path, catalog)
    history = History(tmp_path / "history.db")
    history.save(a_run("r", "2026-11-01T00:00:00+00:00", {"h1": {"RA-VND-01": "pass", "RA-KEY-01": "fail"}}))
    evidence = care_evidence(history, catalog, objectives=objectives)
    maint = next(o for o in evidence.objectives if o.id == "MAINT-01")
    states = {c.id: c.counts for c in maint.controls}
    assert states["RA-VND-01"] == {"pass": 1} and states["RA-KEY-01"] == {"fail": 1}
    assert all(c.id.startswith(("RA-VND-", "RA-KEY-", "RA-SSH-")) for c in maint.controls)
    assert evidence.as_dict()["objectives"][0]["id"] == "D2.01.D"
    bad = tmp_path / "bad.yml"
    bad.write_text("objectives:\n  - id: X\n    controls: [ZZ-NOPE-01]\n")
    try:
        load_objectives(bad, catalog)
    except UsageError as exc:
        assert "no control matches 'ZZ-NOPE-01'" in str(exc)
    else:
        raise AssertionError("an unknown control must be refused")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("objective:\n  - {id: X, controls: [BK-*]}\n", "objective: unknown key (known: objectives)"),
        (
            "objectives: []\n",
            "objectives: expected a non-empty list of objectives {id, label, controls}, got an empty list",
        ),
        (
            "objectives:\n  - {id: X, controls: BK-*}\n",
            "objectives[0].controls (id X): expected a list of control IDs or patterns, like BK-RST-01"
            " or RA-VND-*, got 'BK-*'",
        ),
        (
            "objectives:\n  - {label: Backups, controls: [BK-*]}\n",
            "objectives[0].id: missing: give the objective's identifier in your eCaRE file, like D2.01.D",
        ),
    ],
)
def test_a_malformed_objectives_file_names_the_file_and_the_key(
    tmp_path: Path, text: str, problem: str
) -> None:
    from carehard.errors import UsageError
    from carehard.report.care import load_objectives

    path = tmp_path / "objectives.yml"
    path.write_text(text)
    with pytest.raises(UsageError) as caught:
        load_objectives(path, load_catalog())
    assert str(caught.value) == f"--objectives {path}: {problem}"
