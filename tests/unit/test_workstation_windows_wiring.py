"""The checks of every WW control, run by real ansible-playbook on what Windows prints.

No Windows host can be had here, so each control's task list is run on localhost with its
read-only probes replaced by their recorded output (in the formats the parsing tests use) and
its fixes left out; the asserts, the role's variables and the filter plugin are the real ones,
and the events are folded by carehard's own ResultFolder, as in a run. This catches what syntax
checks cannot: a template that breaks on real data, an evidence text that says nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard.catalog import load_catalog
from carehard.model import ControlResult
from tests.unit.replay import run_replay

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "workstation_windows"
MACHINE = "S-1-5-21-3623811015-3361044348-30300820"
AUDIT_HEADER = (
    "Machine Name,Policy Target,Subsystem,Subcategory,Subcategory GUID,Inclusion Setting,Exclusion Setting"
)
SUBCATEGORIES = {
    "Credential Validation": "{0CCE923F-69AE-11D9-BED3-505054503030}",
    "Logon": "{0CCE9215-69AE-11D9-BED3-505054503030}",
    "Logoff": "{0CCE9216-69AE-11D9-BED3-505054503030}",
    "Account Lockout": "{0CCE9217-69AE-11D9-BED3-505054503030}",
    "Special Logon": "{0CCE921B-69AE-11D9-BED3-505054503030}",
    "User Account Management": "{0CCE9235-69AE-11D9-BED3-505054503030}",
    "Security Group Management": "{0CCE9237-69AE-11D9-BED3-505054503030}",
    "Process Creation": "{0CCE922B-69AE-11D9-BED3-505054503030}",
}


def ww_controls() -> list[str]:
    return [c.id for c in load_catalog().all() if c.family == "workstation_windows"]


def setting_items() -> list[dict[str, Any]]:
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text(encoding="utf-8"))
    return list(defaults["workstation_windows_setting_controls"])


def auditpol(settings: Mapping[str, str]) -> str:
    lines = [AUDIT_HEADER]
    for name, guid in SUBCATEGORIES.items():
        lines.append(f"PC-RADIO-01,System,,{name},{guid},{settings.get(name, 'No Auditing')},")
    return "\r\n".join(lines) + "\r\n"


def registry(values: Mapping[str, Any], missing_keys: tuple[str, ...] = ()) -> str:
    """The registry probe's JSON: every (path, name) the static setting items name, DWORDs set as given."""
    found: dict[str, Any] = {}
    for item in setting_items():
        if not isinstance(item["settings"], list):
            continue
        for s in item["settings"]:
            line = f"{s['path']}|{s['name']}"
            value = values.get(s["name"])
            kind = None if value is None else ("String" if isinstance(value, str) else "DWord")
            found[line] = {"key": s["path"] not in missing_keys, "kind": kind, "value": value}
    for log in ("Application", "Security", "System"):
        value = values.get(f"MaxSize:{log}")
        found[f"HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\EventLog\\{log}|MaxSize"] = {
            "key": value is not None,
            "kind": None if value is None else "DWord",
            "value": value,
        }
    found["HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services|fDenyTSConnections"] = {
        "key": True,
        "kind": "DWord",
        "value": values.get("fDenyTSConnections", 0),
    }
    return json.dumps(found)


def users(admin: tuple[str, bool], guest: tuple[str, bool]) -> str:
    return json.dumps(
        [
            {
                "Name": admin[0],
                "Enabled": admin[1],
                "SID": f"{MACHINE}-500",
                "Description": "Compte d'administration",
            },
            {"Name": guest[0], "Enabled": guest[1], "SID": f"{MACHINE}-501", "Description": "Compte invité"},
            {"Name": "infirmier", "Enabled": True, "SID": f"{MACHINE}-1001", "Description": ""},
        ]
    )


def defender(mode: str, realtime: bool, maps: int, consent: int, age: int) -> str:
    return json.dumps(
        {
            "status": {
                "AMRunningMode": mode,
                "AMServiceEnabled": True,
                "AntivirusEnabled": mode == "Normal",
                "RealTimeProtectionEnabled": realtime,
                "IsTamperProtected": True,
                "AntivirusSignatureAge": age,
                "AntivirusSignatureLastUpdated": "/Date(1764028800000)/",
                "AntivirusSignatureVersion": "1.441.123.0",
            },
            "preference": {
                "MAPSReporting": maps,
                "SubmitSamplesConsent": consent,
                "DisableRealtimeMonitoring": not realtime,
            },
            "error": None,
        }
    )


# A Windows 11 workstation as installed, never hardened (French, as in most establishments here).
FRESH = {
    "workstation_windows__settings_read_before": registry(
        {
            "LmCompatibilityLevel": 3,
            "EnableLUA": 1,
            "ConsentPromptBehaviorAdmin": 5,
            "PromptOnSecureDesktop": 1,
            "EnableSecuritySignature": 1,
            "RestrictAnonymousSAM": 1,
            "EveryoneIncludesAnonymous": 0,
        },
        missing_keys=("HKLM:\\SYSTEM\\CurrentControlSet\\Services\\mrxsmb10",),
    ),
    "workstation_windows__auditpol_before": auditpol(
        {
            "Logon": "Success and Failure",
            "Logoff": "Success",
            "Account Lockout": "Success",
            "Special Logon": "Success",
            "User Account Management": "Success",
            "Security Group Management": "Success",
        }
    ),
    "workstation_windows__net04_before": json.dumps(
        {
            "node_type": None,
            "interfaces": [{"name": "Tcpip_{6E2B3B1C-2A5F-4F3E-9D6B-1B2C3D4E5F60}", "options": 0}],
        }
    ),
    "workstation_windows__net06_before": json.dumps(
        {
            "profiles": [
                {"Name": "Domain", "Enabled": 1, "DefaultInboundAction": 0, "DefaultOutboundAction": 0},
                {"Name": "Private", "Enabled": 1, "DefaultInboundAction": 0, "DefaultOutboundAction": 0},
                {"Name": "Public", "Enabled": 0, "DefaultInboundAction": 2, "DefaultOutboundAction": 0},
            ],
            "winrm_rules": [],
            "error": None,
        }
    ),
    "workstation_windows__crd05_read": json.dumps(
        {
            "SecurityServicesConfigured": [0],
            "SecurityServicesRunning": [0],
            "VirtualizationBasedSecurityStatus": 0,
            "error": None,
        }
    ),
    "workstation_windows__crd06_read": json.dumps(
        {"windows_laps": None, "legacy": {"installed": False, "AdmPwdEnabled": None}}
    ),
    "workstation_windows__acc01_before": users(("Administrateur", True), ("Invité", True)),
    "workstation_windows__acc02_before": users(("Administrateur", True), ("Invité", True)),
    "workstation_windows__log03_before": json.dumps(
        {
            "features": [
                {"name": "MicrosoftWindowsPowerShellV2Root", "state": "Enabled"},
                {"name": "MicrosoftWindowsPowerShellV2", "state": "Enabled"},
            ],
            "error": None,
        }
    ),
    "workstation_windows__av_read_before": defender("Normal", True, 0, 2, 12),
    "workstation_windows__enc01_read": json.dumps(
        {
            "mount": "C:",
            "volume": {
                "MountPoint": "C:",
                "VolumeStatus": 0,
                "ProtectionStatus": 0,
                "EncryptionPercentage": 0,
                "EncryptionMethod": 0,
                "VolumeType": 0,
                "LockStatus": 0,
                "KeyProtector": [],
            },
            "error": None,
        }
    ),
}

HARDENED_VALUES: dict[str, Any] = {
    s["name"]: s["data"]
    for item in setting_items()
    if isinstance(item["settings"], list)
    for s in item["settings"]
}
HARDENED_VALUES.update(
    {
        "InactivityTimeoutSecs": 600,
        "DeferQualityUpdatesPeriodInDays": 0,
        "DeferFeatureUpdatesPeriodInDays": 30,
        "RunAsPPL": 2,
        "fDenyTSConnections": 1,
        "MaxSize:Application": 32768,
        "MaxSize:Security": 1048576,
        "MaxSize:System": 65536,
    }
)
# A workstation as carehard leaves it (BitLocker, LAPS and Credential Guard set up by the establishment).
HARDENED = {
    "workstation_windows__settings_read_before": registry(
        HARDENED_VALUES, missing_keys=("HKLM:\\SYSTEM\\CurrentControlSet\\Services\\mrxsmb10",)
    ),
    "workstation_windows__auditpol_before": auditpol(
        {name: "Success and Failure" for name in SUBCATEGORIES}
        | {"Logoff": "Success", "Process Creation": "Success"}
    ),
    "workstation_windows__net04_before": json.dumps(
        {
            "node_type": 2,
            "interfaces": [{"name": "Tcpip_{6E2B3B1C-2A5F-4F3E-9D6B-1B2C3D4E5F60}", "options": 2}],
        }
    ),
    "workstation_windows__net06_before": json.dumps(
        {
            "profiles": [
                {"Name": name, "Enabled": 1, "DefaultInboundAction": 4, "DefaultOutboundAction": 2}
                for name in ("Domain", "Private", "Public")
            ],
            "winrm_rules": ["Windows Remote Management (HTTPS-In)"],
            "error": None,
        }
    ),
    "workstation_windows__crd05_read": json.dumps(
        {
            "SecurityServicesConfigured": [1, 2],
            "SecurityServicesRunning": [1, 2],
            "VirtualizationBasedSecurityStatus": 2,
            "error": None,
        }
    ),
    "workstation_windows__crd06_read": json.dumps(
        {
            "windows_laps": {
                "BackupDirectory": 2,
                "path": "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\LAPS",
            },
            "legacy": {"installed": False, "AdmPwdEnabled": None},
        }
    ),
    "workstation_windows__acc01_before": users(("Administrateur", False), ("Invité", False)),
    "workstation_windows__acc02_before": users(("Administrateur", False), ("Invité", False)),
    "workstation_windows__log03_before": json.dumps(
        {
            "features": [{"name": "MicrosoftWindowsPowerShellV2Root", "state": "DisabledWithPayloadRemoved"}],
            "error": None,
        }
    ),
    "workstation_windows__av_read_before": defender("Normal", True, 2, 1, 0),
    "workstation_windows__enc01_read": json.dumps(
        {
            "mount": "C:",
            "volume": {
                "MountPoint": "C:",
                "VolumeStatus": 1,
                "ProtectionStatus": 1,
                "EncryptionPercentage": 100,
                "EncryptionMethod": 7,
                "VolumeType": 0,
                "LockStatus": 0,
                "KeyProtector": [{"KeyProtectorType": 1}, {"KeyProtectorType": 3}],
            },
            "error": None,
        }
    ),
}


def run_checks(
    tmp_path: Path, samples: Mapping[str, str], extra_vars: Mapping[str, Any] | None = None
) -> dict[str, ControlResult]:
    files = sorted(
        p.name for p in (ROLE / "tasks").glob("*.yml") if p.name not in ("main.yml", "settings_fix.yml")
    )
    host = run_replay(
        tmp_path,
        ROLE,
        samples,
        ww_controls(),
        entry_files=[name for name in files if name != "settings_check.yml"],
        copied_files=["settings_check.yml"],
        dropped_includes=["settings_fix.yml"],
        extra_vars=extra_vars,
    )
    return host.results


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ControlResult]:
    return run_checks(tmp_path_factory.mktemp("fresh"), FRESH, {"ansible_user": "Administrateur"})


@pytest.fixture(scope="module")
def hardened(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ControlResult]:
    return run_checks(tmp_path_factory.mktemp("hardened"), HARDENED)


def test_every_control_is_evaluated_and_none_breaks(fresh: dict[str, ControlResult]) -> None:
    assert sorted(fresh) == sorted(ww_controls())
    assert {cid for cid, r in fresh.items() if r.status == "error"} == set()


def test_a_fresh_workstation_fails_with_evidence_naming_what_is_wrong(
    fresh: dict[str, ControlResult],
) -> None:
    expected_pass = {"WW-AV-01"}
    assert {cid for cid, r in fresh.items() if r.status == "pass"} == expected_pass, {
        cid: r.evidence for cid, r in fresh.items() if r.status == "pass"
    }
    assert {cid for cid, r in fresh.items() if r.status == "fail"} == set(ww_controls()) - expected_pass
    evidence = {cid: r.evidence for cid, r in fresh.items()}
    assert (
        "LmCompatibilityLevel = 3 in HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa (expected 5)"
        in evidence["WW-CRD-02"]
    )
    # A failure lists what is wrong, not what is right.
    assert evidence["WW-NET-01"].startswith("SMB1 unset in") and "mrxsmb10" not in evidence["WW-NET-01"]
    assert "ConsentPromptBehaviorAdmin = 5" in evidence["WW-ACC-04"]
    assert "Credential Validation" in evidence["WW-AUD-01"] and "Account Lockout" in evidence["WW-AUD-01"]
    assert "Logon:" not in evidence["WW-AUD-01"], "a compliant subcategory is listed among the failures"
    assert "User Account Management" in evidence["WW-AUD-02"]
    assert "Process Creation" in evidence["WW-AUD-03"]
    assert "Public" in evidence["WW-NET-06"] and "refusing to block inbound traffic" in evidence["WW-NET-06"]
    assert "Tcpip_{6E2B3B1C-2A5F-4F3E-9D6B-1B2C3D4E5F60}" in evidence["WW-NET-04"]
    assert "Invité" in evidence["WW-ACC-01"] and "enabled" in evidence["WW-ACC-01"]
    assert "carehard connects with it" in evidence["WW-ACC-02"]
    assert "MicrosoftWindowsPowerShellV2Root: Enabled" in evidence["WW-LOG-03"]
    assert "12" in evidence["WW-AV-03"]
    assert "Off" in evidence["WW-ENC-01"]
    assert "MaxSize unset" in evidence["WW-LOG-04"]
    assert "fDenyTSConnections = 0" in evidence["WW-RDP-02"]


def test_a_hardened_workstation_passes_every_control(hardened: dict[str, ControlResult]) -> None:
    assert sorted(hardened) == sorted(ww_controls())
    failing = {cid: f"{r.status}: {r.evidence}" for cid, r in hardened.items() if r.status != "pass"}
    assert not failing
    assert "RunAsPPL = 2" in hardened["WW-CRD-04"].evidence
    assert "MaxSize = 1048576" in hardened["WW-LOG-04"].evidence
    assert "Active Directory" in hardened["WW-CRD-06"].evidence
    assert (
        "Windows Remote Management (HTTPS-In)" in hardened["WW-NET-06"].evidence
        or "Block" in hardened["WW-NET-06"].evidence
    )


def test_where_rdp_and_defender_are_not_wanted_their_controls_are_not_applicable(tmp_path: Path) -> None:
    results = run_checks(
        tmp_path,
        HARDENED,
        {"workstation_windows_rdp_allowed": True, "workstation_windows_defender_required": False},
    )
    not_applicable = {cid for cid, r in results.items() if r.status == "not_applicable"}
    assert not_applicable == {"WW-RDP-02", "WW-AV-01", "WW-AV-02", "WW-AV-03"}


def test_a_host_whose_probes_print_nothing_fails_without_breaking_the_run(tmp_path: Path) -> None:
    """A Windows nobody foresaw (a cmdlet missing, an edition without BitLocker): evidence, not errors."""
    results = run_checks(tmp_path, {})
    assert sorted(results) == sorted(ww_controls())
    assert {cid: r.status for cid, r in results.items() if r.status not in ("fail", "not_applicable")} == {}
    # The tasks that decode a probe themselves (carehard_powershell_json) say why too.
    assert "Domain: not reported (the probe printed nothing)" in results["WW-NET-06"].evidence
    assert results["WW-LOG-03"].evidence.startswith(
        "PowerShell 2.0 state unknown: the probe printed nothing;"
    )


def test_a_host_whose_probes_print_no_json_fails_naming_what_they_printed(tmp_path: Path) -> None:
    garbage = "Get-CimInstance : Accès refusé"
    results = run_checks(tmp_path, dict.fromkeys(HARDENED, garbage))
    assert {cid: r.status for cid, r in results.items() if r.status not in ("fail", "not_applicable")} == {}
    seen = f"unreadable output '{garbage}'"
    assert f"Domain: not reported ({seen})" in results["WW-NET-06"].evidence
    assert results["WW-LOG-03"].evidence.startswith(f"PowerShell 2.0 state unknown: {seen};")
    assert seen in results["WW-CRD-06"].evidence and seen in results["WW-ACC-01"].evidence


def test_a_warning_and_a_byte_order_mark_around_the_json_change_nothing(
    tmp_path: Path, hardened: dict[str, ControlResult]
) -> None:
    """What a Windows host may print around a probe's document, for every probe at once (auditpol's
    CSV aside: it is no JSON)."""
    noisy = {
        register: output
        if register == "workstation_windows__auditpol_before"
        else "WARNING: the module is deprecated.\r\n\ufeff" + output
        for register, output in HARDENED.items()
    }
    results = run_checks(tmp_path, noisy)
    assert {cid: (r.status, r.evidence) for cid, r in results.items()} == {
        cid: (r.status, r.evidence) for cid, r in hardened.items()
    }
