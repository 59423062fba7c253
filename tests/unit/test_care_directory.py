"""The CaRE document and an Active Directory audit (issue 24): D1's evidence names the newest audit of
each directory (its domain, when it was read, how many AD controls pass and fail), in every format and
in French; a directory host is no Linux host; without a directory audit, nothing is said of one."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from carehard.catalog import load_catalog
from carehard.history import History
from carehard.report.care import care_evidence, host_platforms
from carehard.report.care_document import build_care_document
from tests.unit.directory_data import DOMAIN, directory_host, directory_run
from tests.unit.test_care_document import linux_audit, md_section, section, written

EARLIER = "20261130T080000Z-d0d0d0"


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A Linux audit, an older audit of the directory (all AD controls pass), then the newest."""
    path = tmp_path / "state"
    path.mkdir()
    history = History(path / "history.db")
    history.save(linux_audit())
    older = directory_run(run_id=EARLIER)
    older.started = "2026-11-30T08:00:00+00:00"
    host = older.hosts[DOMAIN]
    host.facts["directory"] = dict(host.facts["directory"], read_at="2026-11-30T08:00:00Z")
    for result in host.results.values():
        result.status = "pass"
    history.save(older)
    history.save(directory_run())
    return path


def test_d1_names_the_newest_directory_audit(state: Path) -> None:
    evidence = care_evidence(History(state / "history.db"), load_catalog())
    (audit,) = evidence.directories
    assert (audit.host, audit.domain, audit.run_id) == (DOMAIN, DOMAIN, "20261207T080000Z-d1d1d1")
    assert (audit.read_at, audit.passed, audit.failed, audit.other) == ("2026-12-07T08:00:00Z", 4, 18, 0)
    assert "directory" in evidence.platforms
    assert "20261207T080000Z-d1d1d1" in {r.id for r in evidence.runs}
    document = build_care_document(evidence, load_catalog())
    d1 = section(document, "exposure")
    assert d1["directory_audits"] == [
        {
            "host": DOMAIN,
            "domain": DOMAIN,
            "read_at": "2026-12-07T08:00:00Z",
            "run_id": "20261207T080000Z-d1d1d1",
            "run_started": "2026-12-07T08:00:00+00:00",
            "passed": 4,
            "failed": 18,
            "other": 0,
        }
    ]
    assert all("directory_audits" not in d for d in document["domains"] if d["domain"] != "exposure")


def test_every_format_says_it(state: Path, tmp_path: Path) -> None:
    out = written(state, tmp_path, "--format", "json,html,md,junit,csv")
    line = (
        f"Active Directory {DOMAIN} audited on 7 Dec 2026 08:00 UTC (run 20261207T080000Z-d1d1d1):"
        " AD controls compliant 4, non-compliant 18"
    )
    document = json.loads((out / "care.json").read_text("utf-8"))
    assert section(document, "exposure")["directory_audits"][0]["failed"] == 18
    assert document["platforms"] == ["directory", "linux"]
    md = (out / "care.md").read_text("utf-8")
    assert line in md_section(md, "## CaRE domain: D1")
    assert "Host platforms in these runs: Active Directory, Linux" in md.split("\n## ", 1)[0]
    page = (out / "care.html").read_text("utf-8")
    assert f"<li>{line}</li>" in page
    suites = ET.fromstring((out / "care.junit.xml").read_text("utf-8"))
    d1 = next(s for s in suites if "D1" in s.get("name", ""))
    assert d1.findtext("system-out") == line


def test_in_french(state: Path, tmp_path: Path) -> None:
    out = written(state, tmp_path, "--format", "md,html", "--lang", "fr")
    md = (out / "care.md").read_text("utf-8")
    assert (
        f"Active Directory {DOMAIN} audité le 7 déc. 2026 08:00 UTC (exécution 20261207T080000Z-d1d1d1)"
        "\u00a0: contrôles AD conformes\u00a0: 4, non conformes\u00a0: 18"
    ) in md


def test_no_directory_audit_nothing_said(tmp_path: Path) -> None:
    path = tmp_path / "state"
    path.mkdir()
    History(path / "history.db").save(linux_audit())
    out = written(path, tmp_path, "--format", "json,md")
    document = json.loads((out / "care.json").read_text("utf-8"))
    assert all("directory_audits" not in d for d in document["domains"])
    md = (out / "care.md").read_text("utf-8")
    assert " audited on " not in md and "AD controls compliant" not in md


def test_a_directory_host_is_no_linux_host() -> None:
    assert host_platforms(directory_host(), load_catalog()) == {"directory"}
