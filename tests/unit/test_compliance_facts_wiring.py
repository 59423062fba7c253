"""compliance_facts on Windows, which no test host can run: the role's tasks replayed in real
Ansible on the probe output of real-format samples (tests/unit/test_windows_facts.py), folded by
carehard's ResultFolder; and the document recorded as the host's fleet facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from carehard.catalog import load_catalog
from carehard.model import HostOutcome
from tests.unit.replay import run_replay
from tests.unit.test_windows_facts import STDOUT_EN, STDOUT_FR

ROLE = Path(__file__).resolve().parents[2] / "roles" / "compliance_facts"
CONTROLS = [c.id for c in load_catalog().all() if c.family == "compliance_facts"]


def replay_windows(tmp_path: Path, stdout: str, **extra: object) -> HostOutcome:
    return run_replay(
        tmp_path,
        ROLE,
        {"compliance_facts__windows": stdout},
        CONTROLS,
        ["main.yml"],
        extra_vars={"compliance_facts__windows_host": True, "carehard_admins": ["adm-hopital"], **extra},
    )


@pytest.fixture(scope="module")
def english(tmp_path_factory: pytest.TempPathFactory) -> HostOutcome:
    return replay_windows(tmp_path_factory.mktemp("en"), STDOUT_EN)


def test_a_windows_11_workstation_is_judged_control_by_control(english: HostOutcome) -> None:
    status = {cid: r.status for cid, r in english.results.items()}
    assert status == {
        "EX-SVC-01": "fail",
        "IV-ADM-01": "fail",
        "IV-AV-01": "pass",
        "IV-ENC-01": "not_applicable",
        "IV-OS-01": "fail",
        "IV-OS-02": "fail",
        "IV-TIME-01": "not_applicable",
        "IV-UPD-01": "fail",
        "IV-UPD-02": "fail",
    }
    evidence = {cid: r.evidence for cid, r in english.results.items()}
    assert evidence["IV-OS-01"].startswith(
        "Windows 11 23H2 Enterprise/Education: security support ended on 2026-11-10"
    )
    assert "135/tcp (msrpc) on 0.0.0.0 by svchost (RpcEptMapper, RpcSs)" in evidence["EX-SVC-01"]
    assert evidence["IV-ADM-01"].startswith(
        "undeclared administrators: Administrator, HOPITAL\\Domain Admins"
    )
    assert "adm-hopital," not in evidence["IV-ADM-01"].split("(declared")[0]
    assert evidence["IV-AV-01"] == "detection agent running: WinDefend, Sense"
    assert evidence["IV-UPD-01"].startswith("2 security update(s) pending (windows_update): ")
    assert "KB5048685" in evidence["IV-UPD-01"]


def test_the_document_is_recorded_with_its_evaluation(english: HostOutcome) -> None:
    fleet = english.facts["fleet"]
    assert fleet["os"]["family"] == "windows" and fleet["os"]["version"] == "23H2"
    evaluation = fleet["evaluation"]
    assert evaluation["support"]["status"] == "unsupported"
    assert evaluation["support"]["table_updated"] == "2026-11-20"
    assert evaluation["detection_ok"] is True
    assert "adm-hopital" not in evaluation["undeclared_admins"]
    assert {e["port"] for e in evaluation["exposed"]} >= {135, 445}


def test_allowed_services_and_enforced_facts(tmp_path: Path) -> None:
    host = replay_windows(
        tmp_path,
        STDOUT_FR,
        carehard_exposure_allowed=[{"port": 445, "reason": "partage des protocoles de soins"}],
        compliance_facts_require_encryption=True,
        compliance_facts_require_time_sync=True,
    )
    results = host.results
    assert results["EX-SVC-01"].status == "pass"
    assert "445/tcp (smb) on 0.0.0.0 by System (pid 4), allowed: partage des protocoles de soins" in (
        results["EX-SVC-01"].evidence
    )
    # Facts everywhere, controls where the inventory asks for them.
    assert results["IV-ENC-01"].status in ("pass", "fail")
    assert results["IV-TIME-01"].status in ("pass", "fail")
    assert results["IV-OS-01"].evidence.startswith(
        "Windows 10 22H2 Home/Pro: security support ended on 2025-10-14"
    )
    assert results["IV-UPD-01"].evidence == (
        "security updates pending unknown: the Windows Update search did not finish within 120 s"
    )


def test_a_probe_that_printed_nothing_is_evidence_not_an_error(tmp_path: Path) -> None:
    host = replay_windows(tmp_path, "")
    assert {r.status for r in host.results.values()} <= {"fail", "not_applicable", "pass"}
    assert host.results["IV-OS-01"].status == "fail"
    assert "the probe printed nothing" in host.results["IV-OS-01"].evidence
    assert host.results["IV-ADM-01"].evidence == "administrators unknown: the probe printed nothing"


def test_a_warning_and_a_byte_order_mark_around_the_json_change_nothing(
    tmp_path: Path, english: HostOutcome
) -> None:
    host = replay_windows(tmp_path, "WARNING: Get-LocalGroupMember: deprecated.\r\n\ufeff" + STDOUT_EN)
    assert {cid: (r.status, r.evidence) for cid, r in host.results.items()} == {
        cid: (r.status, r.evidence) for cid, r in english.results.items()
    }
    assert host.facts["fleet"] == english.facts["fleet"]
