"""The CaRE document (`carehard report evidence --care`): every format written from a real SQLite
history by the real command, the controls that never ran left out of the counts, the plain sentence
when no backup verification ran, French with --lang fr, a bad --format refused."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from carehard.history import History
from carehard.model import EXIT_USAGE, BackupCheck, RunRecord
from carehard.report.care_text import CSV_COLUMNS, CSV_COLUMNS_FR
from carehard.report.care_words import id_ranges
from carehard.report.i18n import care_fr
from tests import clirun
from tests.unit.test_run_diff_and_care import a_run

NOTE = "backup verification is not part of these runs: run carehard backup verify"
NOTE_FR = (
    "la vérification des sauvegardes ne fait pas partie de ces exécutions\u00a0:"
    " lancez carehard backup verify"
)
ALL = "json,html,csv,md,junit"
FILES = ["care.csv", "care.html", "care.json", "care.junit.xml", "care.md"]


def linux_audit(
    run_id: str = "20261101T000000Z-aaaaaa", started: str = "2026-11-01T00:00:00+00:00"
) -> RunRecord:
    """Two Linux hosts: RA-VND-01 passes on both, WL-SSH-01 fails on one, IV-OS-01 errors on one,
    WL-FW-01 is not applicable on one."""
    run = a_run(
        run_id,
        started,
        {
            "ws-01": {"RA-VND-01": "pass", "WL-SSH-01": "fail", "IV-OS-01": "pass", "WL-FW-01": "pass"},
            "ws-02": {
                "RA-VND-01": "pass",
                "WL-SSH-01": "pass",
                "IV-OS-01": "error",
                "WL-FW-01": "not_applicable",
            },
        },
    )
    run.controls += ["RA-WIN-01", "WW-NET-01"]  # selected, but no Windows host to run them
    for host in run.hosts.values():
        host.facts["os_family"] = "Debian"
    return run


def backup_run(history: History) -> None:
    run = a_run(
        "20261103T020000Z-bbbbbb",
        "2026-11-03T02:00:00+00:00",
        {
            "DPI.backup": {"BK-AGE-01": "pass", "BK-RST-01": "pass", "BK-RTO-01": "fail"},
            "PACS.backup": {"BK-AGE-01": "pass", "BK-RST-01": "pass", "BK-RTO-01": "pass"},
        },
        mode="backup",
    )
    run.hosts["DPI.backup"].facts.update({"backup_set": "DPI", "rto": "4h", "rpo": "24h"})
    run.hosts["PACS.backup"].facts.update({"backup_set": "PACS", "rto": "8h"})
    history.save(run)
    history.save_backup_checks(
        [
            BackupCheck(run.id, "DPI", "2026-11-03T02:10:00+00:00", "pass", "2026-11-02T22:00:00Z", 14400,
                        True, 312.5, 10**9, 3.2e6, 5 * 3600),
            BackupCheck(run.id, "PACS", "2026-11-03T02:20:00+00:00", "pass", "2026-11-02T23:00:00Z", 10800,
                        True, 95.0, 10**9, 1e7, 2.5 * 3600),
        ]
    )  # fmt: skip


@pytest.fixture
def state(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    path.mkdir()
    History(path / "history.db").save(linux_audit())
    return path


def carehard(
    state: Path, cwd: Path, *args: str | Path, config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {"CAREHARD_STATE_DIR": str(state), "LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}
    env |= {"CAREHARD_CONFIG": str(config or ""), "XDG_CONFIG_HOME": str(cwd / "no-config")}
    return clirun.carehard("report", "evidence", "--care", *args, env=env, timeout=300, cwd=cwd)


def written(state: Path, cwd: Path, *args: str | Path, config: Path | None = None) -> Path:
    out = cwd / "out"
    proc = carehard(state, cwd, "--output", out, *args, config=config)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return out


def section(document: dict[str, Any], domain: str) -> dict[str, Any]:
    return next(d for d in document["domains"] if d["domain"] == domain)


def md_section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def test_every_format_is_written_as_asked(state: Path, tmp_path: Path) -> None:
    out = written(state, tmp_path, "--format", ALL, "--lang", "en")
    assert sorted(p.name for p in out.iterdir()) == FILES
    document = json.loads((out / "care.json").read_text(encoding="utf-8"))
    assert document["schema"] == "carehard-care/1" and document["lang"] == "en"
    assert [r["id"] for r in document["runs"]] == ["20261101T000000Z-aaaaaa"]
    page = (out / "care.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert "<script" not in page and "http://" not in page and "https://" not in page and "<link" not in page
    assert "@page" in page and "@media print" in page and "size: A4" in page
    assert '<td class="mono id">WL-SSH-01</td>' in page
    text = (out / "care.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    by_control = {(r[1], r[3]): dict(zip(CSV_COLUMNS, r, strict=True)) for r in rows[1:]}
    ssh = by_control[("remote_access", "WL-SSH-01")]
    assert (ssh["state"], ssh["hosts_compliant"], ssh["hosts_non_compliant"]) == ("non_compliant", "1", "1")
    assert by_control[("remote_access", "RA-WIN-01")]["not_covered"] == "windows"
    assert (out / "care.md").read_text(encoding="utf-8").startswith("# CaRE evidence")
    root = ET.fromstring((out / "care.junit.xml").read_text(encoding="utf-8"))
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root}
    remote = suites["CaRE domain: Remote access and remote maintenance"]
    cases = {c.get("name", "").split()[0]: c for c in remote.iter("testcase")}
    assert cases["WL-SSH-01"].find("failure") is not None
    assert cases["RA-VND-01"].find("failure") is None and cases["RA-VND-01"].find("skipped") is None
    assert cases["RA-WIN-01"].find("skipped") is not None
    assert int(root.get("tests", "0")) == sum(int(s.get("tests", "0")) for s in root)


def test_output_alone_writes_json_and_html_and_nothing_else(state: Path, tmp_path: Path) -> None:
    out = written(state, tmp_path)
    assert sorted(p.name for p in out.iterdir()) == ["care.html", "care.json"]


def test_file_formats_without_output_go_to_the_default_directory(state: Path, tmp_path: Path) -> None:
    proc = carehard(state, tmp_path, "--format", "md")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "carehard-report").iterdir()) == ["care.md"]
    assert "care.md" in proc.stdout


def test_the_table_and_json_still_print_for_scripts(state: Path, tmp_path: Path) -> None:
    table = carehard(state, tmp_path, "--lang", "en")
    assert table.returncode == 0, table.stderr
    assert "CaRE domain: Remote access and remote maintenance" in table.stdout
    assert NOTE in table.stdout and "WL-SSH-01" in table.stdout
    assert carehard(state, tmp_path, "--format", "table").stdout == table.stdout
    proc = carehard(state, tmp_path, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    states = {c["id"]: c for d in document["domains"] for c in d["controls"]}
    assert states["WL-SSH-01"]["counts"] == {"fail": 1, "pass": 1}
    assert states["WL-SSH-01"]["run_id"] == "20261101T000000Z-aaaaaa"
    assert states["BK-RTO-01"]["run_id"] is None
    assert not (tmp_path / "carehard-report").exists()


def test_no_backup_verification_is_said_plainly_not_as_a_zero_rate(state: Path, tmp_path: Path) -> None:
    out = written(state, tmp_path, "--format", "json,md,html,junit", "--lang", "en")
    document = json.loads((out / "care.json").read_text(encoding="utf-8"))
    assert document["backup_verification"] is False and document["restore_tests"] == []
    continuity = section(document, "continuity")
    assert continuity["summary"]["run"] == 0 and continuity["summary"]["rate"] is None
    assert continuity["summary"]["backup_note"] is True
    assert continuity["summary"]["not_covered"]["backup"][0] == "BK-AGE-01"
    text = (out / "care.md").read_text(encoding="utf-8")
    part = md_section(text, "## CaRE domain: D2 continuity")
    assert NOTE in part and "%" not in part and "Host results compliant" not in part
    assert NOTE in md_section(text, "## Last restore test per application")
    assert NOTE in (out / "care.html").read_text(encoding="utf-8")
    assert NOTE in (out / "care.junit.xml").read_text(encoding="utf-8")


def test_a_linux_only_history_leaves_windows_controls_out(state: Path, tmp_path: Path) -> None:
    out = written(state, tmp_path, "--format", "json,md,html", "--lang", "en")
    document = json.loads((out / "care.json").read_text(encoding="utf-8"))
    assert document["platforms"] == ["linux"]
    remote = section(document, "remote_access")
    win = next(c for c in remote["controls"] if c["id"] == "RA-WIN-01")
    assert (win["covered"], win["state"], win["not_covered"], win["run_id"]) == (
        False,
        "not_covered",
        "windows",
        None,
    )
    assert remote["summary"]["not_covered"]["windows"][:5] == [f"RA-WIN-0{i}" for i in range(1, 6)]
    text = (out / "care.md").read_text(encoding="utf-8")
    part = md_section(text, "## CaRE domain: Remote access")
    assert "| RA-WIN-01 |" not in part and "| RA-VND-01 |" in part
    assert "RA-WIN-01\u201305, WW-RDP-01, WW-RDP-02 (Windows only, no Windows host in these runs)" in part
    page = (out / "care.html").read_text(encoding="utf-8")
    assert '<td class="mono id">RA-WIN-01</td>' not in page and "RA-WIN-01\u201305" in page


def test_counts_include_only_the_controls_that_ran(state: Path, tmp_path: Path) -> None:
    out = written(state, tmp_path, "--format", "json,md", "--lang", "en")
    document = json.loads((out / "care.json").read_text(encoding="utf-8"))
    remote = section(document, "remote_access")["summary"]
    assert (remote["run"], remote["compliant"], remote["non_compliant"]) == (2, 1, 1)
    assert remote["results"] == {"pass": 3, "fail": 1, "incomplete": 0, "not_applicable": 0}
    assert remote["rate"] == 0.75 and remote["controls"] > 40
    exposure = section(document, "exposure")["summary"]
    # IV-OS-01 (an error on ws-02) and WL-FW-01 (not applicable on ws-02)
    assert (exposure["run"], exposure["incomplete"], exposure["compliant"]) == (2, 1, 1)
    assert exposure["results"] == {"pass": 2, "fail": 0, "incomplete": 1, "not_applicable": 1}
    text = (out / "care.md").read_text(encoding="utf-8")
    part = md_section(text, "## CaRE domain: Remote access")
    assert f"Controls run (on at least one host): 2 of {remote['controls']}" in part
    assert "Host results compliant: 75 % (3 of 4)" in part


def test_a_control_s_state_comes_from_the_newest_run_that_ran_it(state: Path, tmp_path: Path) -> None:
    newer = a_run("20261102T000000Z-cccccc", "2026-11-02T00:00:00+00:00", {"ws-01": {"RA-VND-01": "fail"}})
    newer.controls.append("WL-SSH-01")  # selected, no result: the older run's result stands
    History(state / "history.db").save(newer)
    out = written(state, tmp_path, "--format", "json")
    document = json.loads((out / "care.json").read_text(encoding="utf-8"))
    states = {c["id"]: c for c in section(document, "remote_access")["controls"]}
    assert states["RA-VND-01"]["run_id"] == "20261102T000000Z-cccccc"
    assert states["RA-VND-01"]["counts"] == {"fail": 1}
    assert states["WL-SSH-01"]["run_id"] == "20261101T000000Z-aaaaaa"
    assert [r["id"] for r in document["runs"]] == ["20261102T000000Z-cccccc", "20261101T000000Z-aaaaaa"]


def test_restore_tests_against_the_rto_and_objectives(state: Path, tmp_path: Path) -> None:
    backup_run(History(state / "history.db"))
    objectives = tmp_path / "objectives.yml"
    objectives.write_text(
        "objectives:\n  - id: D2.01.D\n    label: '<script>alert(1)</script> restores'\n"
        "    controls: [BK-RST-01, BK-RTO-01, BK-CAN-01]\n",
        encoding="utf-8",
    )
    out = written(state, tmp_path, "--format", ALL, "--objectives", objectives, "--lang", "en")
    document = json.loads((out / "care.json").read_text(encoding="utf-8"))
    assert document["backup_verification"] is True
    dpi, pacs = document["restore_tests"]
    assert (dpi["set"], dpi["rto"], dpi["rto_seconds"], dpi["within_rto"]) == ("DPI", "4h", 14400, False)
    assert (pacs["set"], pacs["within_rto"]) == ("PACS", True)
    [objective] = document["objectives"]
    assert objective["summary"]["run"] == 2 and objective["summary"]["not_covered"] == {
        "not_run": ["BK-CAN-01"]
    }
    text = (out / "care.md").read_text(encoding="utf-8")
    assert "| DPI | 3 Nov 2026 02:10 UTC | passed | 2 Nov 2026 22:00 UTC | 5 min | 5 h | 4 h | no |" in text
    assert NOTE not in text
    page = (out / "care.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; restores" in page and "<script" not in page
    root = ET.fromstring((out / "care.junit.xml").read_text(encoding="utf-8"))
    restore = next(s for s in root if s.get("name") == "Last restore test per application")
    cases = {c.get("name"): c for c in restore.iter("testcase")}
    assert cases["DPI"].find("failure") is not None and cases["PACS"].find("failure") is None


def test_french_document(state: Path, tmp_path: Path) -> None:
    who = tmp_path / "config.yml"
    who.write_text(
        "carehard_establishment:\n  name: 'CH de Saint-Exemple <img src=x>'\n  finess: '2A0001234'\n",
        encoding="utf-8",
    )
    out = written(state, tmp_path, "--format", ALL, "--lang", "fr", config=who)
    text = (out / "care.md").read_text(encoding="utf-8")
    assert text.startswith("# Éléments de preuve CaRE — CH de Saint-Exemple \\<img src=x\\>")
    assert "- FINESS\u00a0: 2A0001234" in text
    assert NOTE_FR in text and NOTE not in text
    assert "La connexion en root par SSH est désactivée" in text  # the catalog's French title
    assert "1 nov. 2026 00:00 UTC" in text and "75\u00a0% (3 sur 4)" in text
    assert "WW-RDP-02 (Windows uniquement, aucun hôte Windows dans ces exécutions)" in text
    for english, french in care_fr.WORDS.items():
        if english != french and len(english) > 14 and "{" not in english:
            assert english not in text, english
    page = (out / "care.html").read_text(encoding="utf-8")
    assert (
        '<html lang="fr">' in page and "CH de Saint-Exemple &lt;img src=x&gt;" in page and "<img" not in page
    )
    assert "Domaine CaRE\u00a0: Accès distants et télémaintenance" in page
    rows = list(csv.reader(io.StringIO((out / "care.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    assert tuple(rows[0]) == CSV_COLUMNS_FR
    assert {r[-2] for r in rows[1:]} == {"CH de Saint-Exemple <img src=x>"}
    document = json.loads((out / "care.json").read_text(encoding="utf-8"))
    assert document["lang"] == "fr" and document["establishment"]["finess"] == "2A0001234"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--format", "json,pdf"), "unknown format 'pdf' in --format: use table, or a comma list of"),
        (("--format", ","), "unknown format ',' in --format"),
        (("--format", "table,html"), "--format table prints to the terminal: give it alone"),
        (("--format", "table", "--output", "out"), "--format table prints to the terminal: --output needs"),
    ],
)
def test_a_bad_format_is_refused_and_nothing_is_written(
    state: Path, tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    proc = carehard(state, tmp_path, *args)
    assert proc.returncode == EXIT_USAGE and proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"carehard: error: {words}"), line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state"]  # no out/, no carehard-report/


def test_an_inventory_keeps_its_own_runs_and_restore_tests(state: Path, tmp_path: Path) -> None:
    history = History(state / "history.db")
    backup_run(history)  # recorded for the inventory "site", as a_run does
    other = linux_audit("20261104T000000Z-dddddd", "2026-11-04T00:00:00+00:00")
    other.selection = {**other.selection, "inventory": "elsewhere"}
    history.save(other)
    (tmp_path / "site").mkdir()
    proc = carehard(state, tmp_path, "--inventory", "site", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert {r["id"] for r in document["runs"]} == {"20261101T000000Z-aaaaaa", "20261103T020000Z-bbbbbb"}
    assert [t["set"] for t in document["restore_tests"]] == ["DPI", "PACS"]
    assert document["inventory"] == str((tmp_path / "site").resolve())
    (tmp_path / "elsewhere").mkdir()
    proc = carehard(state, tmp_path, "--inventory", "elsewhere", "--format", "json")
    document = json.loads(proc.stdout)
    assert document["restore_tests"] == [] and document["backup_verification"] is False


def test_control_ids_shorten_to_ranges() -> None:
    ids = ["RA-WIN-03", "RA-WIN-01", "RA-WIN-02", "WL-ACC-02", "WL-ACC-04", "WL-ACC-05", "XX"]
    assert id_ranges(ids) == "RA-WIN-01\u201303, WL-ACC-02, WL-ACC-04, WL-ACC-05, XX"
    assert id_ranges([]) == ""
