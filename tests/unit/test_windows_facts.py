"""The Windows collection of the fleet facts document: the probe of roles/compliance_facts/vars/windows.yml
and the filter carehard_win_fleet_facts (roles/compliance_facts/filter_plugins/windows_facts.py).

The samples are what the probe prints: Windows PowerShell 5.1 `ConvertTo-Json -Compress` ("'" as \\u0027,
non-ASCII letters as they are, the Windows Update search's own JSON nested as a string) on an English and
a French Windows, and PowerShell 7 (no \\u0027) on a Windows Server; the parts a probe could print in
their raw forms (enums as integers, "\\/Date(ms)\\/" dates, one-element arrays collapsed) are fed too.
`w32tm /query /status` is read in English and French (its labels are translated) and, for any other
language or accents mangled on the way, by the fixed order of its lines.
No PowerShell runs here: the probe text is checked statically (delimiters balanced outside strings
and comments, read-only commands, no Jinja markers, no BitLocker key protector).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import jinja2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles/compliance_facts"
PLUGIN = ROLE / "filter_plugins/windows_facts.py"
PROBE_VARS = ROLE / "vars/windows.yml"


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FILTERS: dict[str, Callable[..., Any]] = load(PLUGIN, "windows_facts").FilterModule().filters()
DECLARED = [
    "WinDefend",
    "Sense",
    "CSFalconService",
    "SentinelAgent",
    "CbDefense",
    "Elastic Agent",
    "WazuhSvc",
    "ekrn",
]


def facts(stdout: Any, services: Any = None) -> dict[str, Any]:
    return FILTERS["carehard_win_fleet_facts"](stdout, DECLARED if services is None else services)


def ps51(value: Any) -> str:
    """What Windows PowerShell 5.1 ConvertTo-Json -Compress prints for value."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("'", "\\u0027"), ("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text


def ps7(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def round_trips(value: Any) -> bool:
    return bool(json.loads(json.dumps(value)) == value)


DOCUMENT_KEYS = [
    "collected_at",
    "os",
    "updates",
    "listeners",
    "detection",
    "admins",
    "encryption",
    "domain",
    "time",
]
SECTION_KEYS = {
    "os": [
        "family",
        "id",
        "name",
        "version",
        "codename",
        "edition",
        "build",
        "pretty",
        "kernel",
        "last_boot",
        "error",
    ],
    "updates": ["manager", "pending_security", "pending_security_count", "last_success", "error"],
    "admins": ["groups", "sudoers", "all", "error"],
    "encryption": ["root_encrypted", "method", "devices", "error"],
    "domain": ["joined", "name", "kind"],
    "time": ["synchronised", "source"],
}


def assert_shape(document: dict[str, Any]) -> None:
    assert list(document) == DOCUMENT_KEYS
    for section, keys in SECTION_KEYS.items():
        assert sorted(document[section]) == sorted(keys), section
    assert isinstance(document["listeners"], list)
    assert isinstance(document["detection"], list)
    assert round_trips(document)


# ---- registration and imports ------------------------------------------------------------------------


def test_the_filter_is_registered_under_its_name() -> None:
    assert list(FILTERS) == ["carehard_win_fleet_facts"]


def test_the_plugin_imports_the_standard_library_only() -> None:
    tree = ast.parse(PLUGIN.read_text(encoding="utf-8"))
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    tops = {module.split(".")[0] for module in modules}
    assert tops - {"__future__"} <= set(sys.stdlib_module_names), tops
    assert "ansible" not in tops and "carehard" not in tops


# ---- 1. an English Windows 11 23H2 Enterprise, domain member (Windows PowerShell 5.1) --------------------

# The Windows Update search, as the job prints it (it is nested as a string in the probe's document).
SEARCH_EN = ps51(
    {
        "pending": [
            {
                "title": "2024-12 Cumulative Update for Windows 11 Version 23H2 for x64-based Systems "
                "(KB5048685)",
                "kb": ["5048685"],
                "severity": "Critical",
                "categories": [
                    "0fa1201d-4330-4fa8-8ae9-b877473b6441",
                    "72e7624a-5b00-45d2-b92f-e561c0a6a160",
                ],
            },
            {
                "title": "2024-11 Cumulative Update Preview for .NET Framework 3.5 and 4.8.1 for Windows 11, "
                "version 23H2 for x64 (KB5045934)",
                "kb": ["5045934"],
                "severity": None,
                "categories": [
                    "cd5ffd1e-e932-4e3a-bf74-18bf0b1bbd83",
                    "72e7624a-5b00-45d2-b92f-e561c0a6a160",
                ],
            },
            {
                "title": "Security Update for Microsoft Office LTSC Professional Plus 2021 64-Bit Edition",
                "kb": "5002643",
                "severity": "Important",
                "categories": ["0FA1201D-4330-4FA8-8AE9-B877473B6441"],
            },
        ],
        "error": None,
        "hresult": None,
    }
)
W32TM_EN = (
    "Leap Indicator: 0(no warning)\n"
    "Stratum: 4 (secondary reference - syncd by (S)NTP)\n"
    "Precision: -23 (119.209ns per tick)\n"
    "Root Delay: 0.0312500s\n"
    "Root Dispersion: 7.8040012s\n"
    "ReferenceId: 0x0A000001 (source IP:  10.0.0.1)\n"
    "Last Successful Sync Time: 11/26/2024 6:02:15 AM\n"
    "Source: dc01.hopital.local\n"
    "Poll Interval: 10 (1024s)\n"
)
PROBE_EN: dict[str, Any] = {
    "probe": 1,
    "collected_at": "2024-11-26T05:10:03Z",
    "computer": "POSTE-RADIO-01",
    "powershell": "5.1.22621.4391",
    "os": {
        "Caption": "Microsoft Windows 11 Enterprise",
        "Version": "10.0.22631",
        "BuildNumber": "22631",
        "OperatingSystemSKU": 4,
        "ProductType": 1,
        "LastBootUpTime": "2024-11-20T07:58:41Z",
        "DisplayVersion": "23H2",
        "ReleaseId": "2009",
        "UBR": 4460,
        "EditionID": "Enterprise",
        "InstallationType": "Client",
        "error": None,
    },
    "listeners": {
        "tcp": [
            {"address": "0.0.0.0", "port": 135, "pid": 1032},
            {"address": "0.0.0.0", "port": 445, "pid": 4},
            {"address": "0.0.0.0", "port": 3389, "pid": 1220},
            {"address": "::", "port": 3389, "pid": 1220},
            {"address": "127.0.0.1", "port": 5939, "pid": 3312},
            {"address": "0.0.0.0", "port": 5985, "pid": 4},
            {"address": "0.0.0.0", "port": 49664, "pid": 812},
            {"address": "192.168.10.21", "port": 139, "pid": 4},
        ],
        "udp": [
            {"address": "0.0.0.0", "port": 3389, "pid": 1220},
            {"address": "0.0.0.0", "port": 5353, "pid": 2208},
            {"address": "192.168.10.21", "port": 137, "pid": 4},
        ],
        "processes": {
            "4": {"name": "System", "user": None, "services": None},
            "812": {
                "name": "lsass",
                "user": "NT AUTHORITY\\SYSTEM",
                "services": ["KeyIso", "SamSs", "VaultSvc"],
            },
            "1032": {
                "name": "svchost",
                "user": "NT AUTHORITY\\NETWORK SERVICE",
                "services": ["RpcSs", "RpcEptMapper"],
            },
            # One hosted service: $(...) unrolled the one-element array to the string.
            "1220": {"name": "svchost", "user": "NT AUTHORITY\\NETWORK SERVICE", "services": "TermService"},
            "2208": {"name": "svchost", "user": "NT AUTHORITY\\NETWORK SERVICE", "services": "Dnscache"},
            "3312": {"name": "TeamViewer_Service", "user": "NT AUTHORITY\\SYSTEM", "services": "TeamViewer"},
        },
        "error": None,
        "owner_error": None,
        "services_error": None,
    },
    "updates": {
        "hotfix_count": 4,
        "hotfixes": [
            {"id": "KB5046633", "description": "Security Update", "installed": "2024-11-13"},
            {"id": "KB5045935", "description": "Update", "installed": "2024-10-23"},
            {"id": "KB5044285", "description": "Security Update", "installed": "2024-10-09"},
        ],
        "hotfix_error": None,
        "history": [
            {
                "date": "2024-11-25T16:02:11Z",
                "title": "Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 "
                "(Version 1.421.1470.0) - Current Channel (Broad)",
                "categories": [
                    "e0789628-ce08-4437-be74-2495b842f43b",
                    "8c3fcc84-7410-4a95-8b89-a166a0190486",
                ],
            },
            {
                "date": "2024-11-20T07:41:55Z",
                "title": "Update for Microsoft Defender Antivirus antimalware platform - KB4052623 "
                "(Version 4.18.24090.11) - Current Channel (Broad)",
                "categories": [],
            },
            {
                "date": "2024-11-13T09:47:35Z",
                "title": "2024-11 Cumulative Update for Windows 11 Version 23H2 for x64-based Systems "
                "(KB5046633)",
                "categories": [
                    "0fa1201d-4330-4fa8-8ae9-b877473b6441",
                    "72e7624a-5b00-45d2-b92f-e561c0a6a160",
                ],
            },
        ],
        "history_error": None,
        "search": SEARCH_EN,
        "search_error": None,
        "search_timeout": 120,
    },
    "detection": {
        "services": [
            {
                "name": "WinDefend",
                "found": True,
                "status": "Running",
                "start_type": "Automatic",
                "error": None,
            },
            {"name": "Sense", "found": True, "status": "Running", "start_type": "Automatic", "error": None},
            {"name": "CSFalconService", "found": False, "status": None, "start_type": None, "error": None},
            {"name": "SentinelAgent", "found": False, "status": None, "start_type": None, "error": None},
            {"name": "CbDefense", "found": False, "status": None, "start_type": None, "error": None},
            {"name": "Elastic Agent", "found": False, "status": None, "start_type": None, "error": None},
            {"name": "WazuhSvc", "found": False, "status": None, "start_type": None, "error": None},
            {"name": "ekrn", "found": False, "status": None, "start_type": None, "error": None},
        ],
        "defender": {
            "AMRunningMode": "Normal",
            "AMServiceEnabled": True,
            "AntivirusEnabled": True,
            "RealTimeProtectionEnabled": True,
        },
        "defender_error": None,
        "error": None,
    },
    "admins": {
        "group": "Administrators",
        "method": "Get-LocalGroupMember",
        "members": [
            {
                "Name": "POSTE-RADIO-01\\Administrator",
                "ObjectClass": "User",
                "PrincipalSource": "Local",
                "SID": "S-1-5-21-3623811015-3361044348-30300820-500",
            },
            {
                "Name": "POSTE-RADIO-01\\adm-hopital",
                "ObjectClass": "User",
                "PrincipalSource": "Local",
                "SID": "S-1-5-21-3623811015-3361044348-30300820-1001",
            },
            {
                "Name": "HOPITAL\\Domain Admins",
                "ObjectClass": "Group",
                "PrincipalSource": "ActiveDirectory",
                "SID": "S-1-5-21-1004336348-1177238915-682003330-512",
            },
            {
                "Name": "HOPITAL\\GG-Admins-Postes",
                "ObjectClass": "Group",
                "PrincipalSource": "ActiveDirectory",
                "SID": "S-1-5-21-1004336348-1177238915-682003330-1187",
            },
        ],
        "computer": "POSTE-RADIO-01",
        "first_error": None,
        "error": None,
    },
    "bitlocker": {
        "mount": "C:",
        "source": "Get-BitLockerVolume",
        "volume": {
            "ProtectionStatus": "On",
            "VolumeStatus": "FullyEncrypted",
            "EncryptionMethod": "XtsAes128",
            "EncryptionPercentage": 100,
        },
        "error": None,
    },
    "domain": {
        "PartOfDomain": True,
        "Domain": "hopital.local",
        "Workgroup": None,
        "DomainRole": 1,
        "error": None,
    },
    "time": {
        "service": {"status": "Running", "start_type": "Automatic"},
        "w32tm": W32TM_EN,
        "exit": 0,
        "error": None,
    },
}
STDOUT_EN = ps51(PROBE_EN) + "\r\n"

EXPECTED_EN: dict[str, Any] = {
    "collected_at": "2024-11-26T05:10:03Z",
    "os": {
        "family": "windows",
        "id": "windows",
        "name": "Windows 11",
        "version": "23H2",
        "codename": None,
        "edition": "Enterprise",
        "build": "22631",
        "pretty": "Microsoft Windows 11 Enterprise 23H2 (build 22631.4460)",
        "kernel": "10.0.22631.4460",
        "last_boot": "2024-11-20T07:58:41Z",
        "error": None,
    },
    "updates": {
        "manager": "windows_update",
        "pending_security": [
            "2024-12 Cumulative Update for Windows 11 Version 23H2 for x64-based Systems (KB5048685)",
            "Security Update for Microsoft Office LTSC Professional Plus 2021 64-Bit Edition (KB5002643)",
        ],
        "pending_security_count": 2,
        # The Defender definition and platform updates after it do not count.
        "last_success": "2024-11-13T09:47:35Z",
        "error": None,
    },
    "listeners": [
        {
            "proto": "tcp",
            "address": "0.0.0.0",
            "port": 135,
            "process": "svchost (RpcEptMapper, RpcSs)",
            "pid": 1032,
            "user": "NT AUTHORITY\\NETWORK SERVICE",
        },
        {
            "proto": "tcp",
            "address": "192.168.10.21",
            "port": 139,
            "process": "System",
            "pid": 4,
            "user": None,
        },
        {"proto": "tcp", "address": "0.0.0.0", "port": 445, "process": "System", "pid": 4, "user": None},
        {
            "proto": "tcp",
            "address": "0.0.0.0",
            "port": 3389,
            "process": "svchost (TermService)",
            "pid": 1220,
            "user": "NT AUTHORITY\\NETWORK SERVICE",
        },
        {
            "proto": "tcp",
            "address": "::",
            "port": 3389,
            "process": "svchost (TermService)",
            "pid": 1220,
            "user": "NT AUTHORITY\\NETWORK SERVICE",
        },
        {
            "proto": "tcp",
            "address": "127.0.0.1",
            "port": 5939,
            "process": "TeamViewer_Service",
            "pid": 3312,
            "user": "NT AUTHORITY\\SYSTEM",
        },
        {"proto": "tcp", "address": "0.0.0.0", "port": 5985, "process": "System", "pid": 4, "user": None},
        {
            "proto": "tcp",
            "address": "0.0.0.0",
            "port": 49664,
            "process": "lsass",
            "pid": 812,
            "user": "NT AUTHORITY\\SYSTEM",
        },
        {
            "proto": "udp",
            "address": "192.168.10.21",
            "port": 137,
            "process": "System",
            "pid": 4,
            "user": None,
        },
        {
            "proto": "udp",
            "address": "0.0.0.0",
            "port": 3389,
            "process": "svchost (TermService)",
            "pid": 1220,
            "user": "NT AUTHORITY\\NETWORK SERVICE",
        },
        {
            "proto": "udp",
            "address": "0.0.0.0",
            "port": 5353,
            "process": "svchost (Dnscache)",
            "pid": 2208,
            "user": "NT AUTHORITY\\NETWORK SERVICE",
        },
    ],
    "detection": [
        {"name": "WinDefend", "installed": True, "running": True},
        {"name": "Sense", "installed": True, "running": True},
    ],
    "admins": {
        "groups": {
            "Administrators": [
                "adm-hopital",
                "Administrator",
                "HOPITAL\\Domain Admins",
                "HOPITAL\\GG-Admins-Postes",
            ]
        },
        "sudoers": [],
        "all": ["adm-hopital", "Administrator", "HOPITAL\\Domain Admins", "HOPITAL\\GG-Admins-Postes"],
        "error": None,
    },
    "encryption": {"root_encrypted": True, "method": "BitLocker", "devices": ["C:"], "error": None},
    "domain": {"joined": True, "name": "hopital.local", "kind": "active_directory"},
    "time": {"synchronised": True, "source": "w32time"},
}


def test_english_windows_11_enterprise_the_whole_document() -> None:
    document = facts(STDOUT_EN)
    assert document == EXPECTED_EN
    assert_shape(document)


def test_the_sample_is_what_51_prints() -> None:
    """The search is nested JSON, so its quotes are escaped; a "'" would be \\u0027."""
    assert '"search":"{\\"pending\\":[{\\"title\\":\\"2024-12 Cumulative Update' in STDOUT_EN
    assert "\\u0027" in ps51({"x": "Intervalle d'interrogation"})


def test_stdout_lines_and_bytes_give_the_same_document() -> None:
    assert facts(STDOUT_EN.encode("utf-8")) == EXPECTED_EN
    assert facts([STDOUT_EN.strip()]) == EXPECTED_EN


def test_a_warning_printed_before_the_document_is_skipped() -> None:
    noisy = "WARNING: Get-LocalGroupMember: something the host printed\r\n" + STDOUT_EN
    assert facts(noisy) == EXPECTED_EN


# ---- 2. a French Windows 10 22H2 Professionnel: ADSI fallback, passive Defender, search timed out --------

W32TM_FR = (
    "Indicateur de saut : 0(aucun avertissement)\n"
    "Strate : 3 (référence secondaire - synchronisée par (S)NTP)\n"
    "Précision : -23 (119.209ns par battement)\n"
    "Retard de la racine : 0.0156250s\n"
    "Dispersion de la racine : 0.0302343s\n"
    "ID de référence : 0x0A00000B (IP de la source :  10.0.0.11)\n"
    "Dernière synchronisation réussie : 26/11/2024 05:51:40\n"
    "Source : dc02.hopital.local\n"
    "Intervalle d'interrogation : 10 (1024s)\n"
)
PROBE_FR: dict[str, Any] = {
    "probe": 1,
    "collected_at": "2024-11-26T05:12:44Z",
    "computer": "POSTE-URG-07",
    "powershell": "5.1.19041.5129",
    "os": {
        "Caption": "Microsoft Windows 10 Professionnel",
        "Version": "10.0.19045",
        "BuildNumber": "19045",
        "OperatingSystemSKU": 48,
        "ProductType": 1,
        "LastBootUpTime": "2024-11-25T06:30:12Z",
        "DisplayVersion": "22H2",
        "ReleaseId": "2009",
        "UBR": 5131,
        "EditionID": "Professional",
        "InstallationType": "Client",
        "error": None,
    },
    "listeners": {
        "tcp": [{"address": "0.0.0.0", "port": 445, "pid": 4}],
        "udp": [],
        "processes": {"4": {"name": "System", "user": None, "services": None}},
        "error": None,
        "owner_error": None,
        "services_error": None,
    },
    "updates": {
        "hotfix_count": 2,
        "hotfixes": [{"id": "KB5046613", "description": "Security Update", "installed": "2024-11-14"}],
        "hotfix_error": None,
        "history": [],
        "history_error": None,
        "search": None,
        "search_error": "the Windows Update search did not finish within 120 s",
        "search_timeout": 120,
    },
    "detection": {
        "services": [
            {
                "name": "WinDefend",
                "found": True,
                "status": "Running",
                "start_type": "Automatic",
                "error": None,
            },
            {"name": "Sense", "found": False, "status": None, "start_type": None, "error": None},
            {
                "name": "CSFalconService",
                "found": True,
                "status": "Running",
                "start_type": "Automatic",
                "error": None,
            },
        ],
        "defender": {
            "AMRunningMode": "Passive Mode",
            "AMServiceEnabled": True,
            "AntivirusEnabled": False,
            "RealTimeProtectionEnabled": False,
        },
        "defender_error": None,
        "error": None,
    },
    "admins": {
        "group": "Administrateurs",
        "method": "ADSI",
        "members": [
            {"path": "WinNT://HOPITAL/POSTE-URG-07/Administrateur", "class": "User"},
            {"path": "WinNT://HOPITAL/Admins du domaine", "class": "Group"},
            {"path": "WinNT://HOPITAL/jdupont", "class": "User"},
            # A deleted domain account: its SID resolves to no name.
            {"path": "WinNT://S-1-5-21-1004336348-1177238915-682003330-1512", "class": "User"},
        ],
        "computer": "POSTE-URG-07",
        "first_error": "Failed to compare two elements in the array.",
        "error": None,
    },
    "bitlocker": {
        "mount": "C:",
        "source": "Get-BitLockerVolume",
        # Protection suspended (a BIOS update): encrypted, but the key lies in clear on the disk.
        "volume": {
            "ProtectionStatus": "Off",
            "VolumeStatus": "FullyEncrypted",
            "EncryptionMethod": "XtsAes128",
            "EncryptionPercentage": 100,
        },
        "error": None,
    },
    "domain": {
        "PartOfDomain": True,
        "Domain": "hopital.local",
        "Workgroup": None,
        "DomainRole": 1,
        "error": None,
    },
    "time": {
        "service": {"status": "Running", "start_type": "Automatic"},
        "w32tm": W32TM_FR,
        "exit": 0,
        "error": None,
    },
}
STDOUT_FR = ps51(PROBE_FR)


def test_french_windows_10_professional() -> None:
    document = facts(STDOUT_FR)
    assert_shape(document)
    assert "\\u0027interrogation" in STDOUT_FR  # what 5.1 makes of the apostrophe
    assert document["collected_at"] == "2024-11-26T05:12:44Z"
    assert document["os"] == {
        "family": "windows",
        "id": "windows",
        "name": "Windows 10",
        "version": "22H2",
        "codename": None,
        "edition": "Professional",
        "build": "19045",
        "pretty": "Microsoft Windows 10 Professionnel 22H2 (build 19045.5131)",
        "kernel": "10.0.19045.5131",
        "last_boot": "2024-11-25T06:30:12Z",
        "error": None,
    }
    # The search timed out: pending unknown, the day of the last hotfix stands for the last success.
    assert document["updates"] == {
        "manager": "windows_update",
        "pending_security": None,
        "pending_security_count": None,
        "last_success": "2024-11-14T00:00:00Z",
        "error": "the Windows Update search did not finish within 120 s",
    }
    # Defender is passive (CrowdStrike is the antivirus): WinDefend installed, not counted as running.
    assert document["detection"] == [
        {"name": "WinDefend", "installed": True, "running": False},
        {"name": "CSFalconService", "installed": True, "running": True},
    ]
    assert document["admins"] == {
        "groups": {
            "Administrateurs": [
                "Administrateur",
                "HOPITAL\\Admins du domaine",
                "HOPITAL\\jdupont",
                "S-1-5-21-1004336348-1177238915-682003330-1512",
            ]
        },
        "sudoers": [],
        "all": [
            "Administrateur",
            "HOPITAL\\Admins du domaine",
            "HOPITAL\\jdupont",
            "S-1-5-21-1004336348-1177238915-682003330-1512",
        ],
        "error": None,
    }
    assert document["encryption"] == {
        "root_encrypted": False,
        "method": "BitLocker",
        "devices": ["C:"],
        "error": None,
    }
    assert document["listeners"] == [
        {"proto": "tcp", "address": "0.0.0.0", "port": 445, "process": "System", "pid": 4, "user": None}
    ]
    assert document["time"] == {"synchronised": True, "source": "w32time"}


# ---- 3. Windows Server 2022 in a workgroup (PowerShell 7): no BitLocker, offline search, local clock -----

W32TM_UNSYNCED_EN = (
    "Leap Indicator: 3(not synchronized)\n"
    "Stratum: 0 (unspecified)\n"
    "Precision: -23 (119.209ns per tick)\n"
    "Root Delay: 0.0000000s\n"
    "Root Dispersion: 0.0000000s\n"
    "ReferenceId: 0x00000000 (unspecified)\n"
    "Last Successful Sync Time: unspecified\n"
    "Source: Local CMOS Clock\n"
    "Poll Interval: 6 (64s)\n"
)
PROBE_SERVER: dict[str, Any] = {
    "probe": 1,
    "collected_at": "2024-11-26T05:14:09Z",
    "computer": "SRV-PACS-01",
    "powershell": "7.4.6",
    "os": {
        "Caption": "Microsoft Windows Server 2022 Standard",
        "Version": "10.0.20348",
        "BuildNumber": "20348",
        "OperatingSystemSKU": 7,
        "ProductType": 3,
        "LastBootUpTime": "2024-11-03T02:11:00Z",
        "DisplayVersion": "21H2",
        "ReleaseId": "2009",
        "UBR": 2849,
        "EditionID": "ServerStandard",
        "InstallationType": "Server",
        "error": None,
    },
    "listeners": {
        "tcp": [
            {"address": "0.0.0.0", "port": 104, "pid": 2904},
            {"address": "0.0.0.0", "port": 1433, "pid": 3120},
        ],
        "udp": [],
        "processes": {
            "2904": {"name": "pacs-dicom", "user": None, "services": ["PacsDicom"]},
            "3120": {"name": "sqlservr", "user": None, "services": ["MSSQLSERVER"]},
        },
        "error": None,
        "owner_error": "The 'IncludeUserName' parameter requires elevated user rights.",
        "services_error": None,
    },
    "updates": {
        "hotfix_count": 12,
        "hotfixes": [{"id": "KB5044281", "description": "Security Update", "installed": "2024-10-09"}],
        "hotfix_error": None,
        "history": [],
        "history_error": None,
        "search": ps7(
            {
                "pending": [],
                "error": "Exception from HRESULT: 0x8024402C",
                "hresult": "0x8024402C",
            }
        ),
        "search_error": None,
        "search_timeout": 300,
    },
    "detection": {
        "services": [
            {
                "name": "WinDefend",
                "found": True,
                "status": "Running",
                "start_type": "Automatic",
                "error": None,
            }
        ],
        "defender": {
            "AMRunningMode": "Normal",
            "AMServiceEnabled": True,
            "AntivirusEnabled": True,
            "RealTimeProtectionEnabled": True,
        },
        "defender_error": None,
        "error": None,
    },
    "admins": {
        "group": "Administrators",
        "method": "Get-LocalGroupMember",
        "members": [
            {
                "Name": "SRV-PACS-01\\Administrator",
                "ObjectClass": "User",
                "PrincipalSource": "Local",
                "SID": "S-1-5-21-1-2-3-500",
            },
            {
                "Name": "SRV-PACS-01\\svc-backup",
                "ObjectClass": "User",
                "PrincipalSource": "Local",
                "SID": "S-1-5-21-1-2-3-1003",
            },
        ],
        "computer": "SRV-PACS-01",
        "first_error": None,
        "error": None,
    },
    "bitlocker": {
        "mount": "C:",
        "source": None,
        "volume": None,
        "error": "The term 'Get-BitLockerVolume' is not recognized as a name of a cmdlet, function, "
        "script file, or executable program.; Invalid namespace ",
    },
    "domain": {
        "PartOfDomain": False,
        "Domain": "WORKGROUP",
        "Workgroup": "WORKGROUP",
        "DomainRole": 2,
        "error": None,
    },
    "time": {
        "service": {"status": "Running", "start_type": "Manual"},
        "w32tm": W32TM_UNSYNCED_EN,
        "exit": 0,
        "error": None,
    },
}
STDOUT_SERVER = ps7(PROBE_SERVER)


def test_windows_server_2022_under_powershell_7() -> None:
    document = facts(STDOUT_SERVER)
    assert_shape(document)
    assert "'Get-BitLockerVolume'" in STDOUT_SERVER  # 7 leaves the apostrophe as it is
    assert document["os"]["id"] == "windows_server"
    assert document["os"]["name"] == "Windows Server 2022"
    assert document["os"]["edition"] == "ServerStandard"
    assert document["os"]["version"] == "21H2"
    assert document["os"]["build"] == "20348"
    assert document["os"]["kernel"] == "10.0.20348.2849"
    assert document["updates"] == {
        "manager": "windows_update",
        "pending_security": None,
        "pending_security_count": None,
        "last_success": "2024-10-09T00:00:00Z",
        "error": "Windows Update search failed: the update server's name does not resolve (offline or proxy) "
        "(Exception from HRESULT: 0x8024402C)",
    }
    assert [(entry["port"], entry["process"], entry["user"]) for entry in document["listeners"]] == [
        (104, "pacs-dicom", None),
        (1433, "sqlservr", None),
    ]
    assert document["detection"] == [{"name": "WinDefend", "installed": True, "running": True}]
    assert document["admins"]["all"] == ["Administrator", "svc-backup"]
    assert document["encryption"] == {
        "root_encrypted": None,
        "method": None,
        "devices": [],
        "error": "BitLocker state of C: unknown: The term 'Get-BitLockerVolume' is not recognized as a name "
        "of a cmdlet, function, script file, or executable program.; Invalid namespace",
    }
    assert document["domain"] == {"joined": False, "name": None, "kind": None}
    assert document["time"] == {"synchronised": False, "source": "w32time"}


# ---- os ------------------------------------------------------------------------------------------------


def with_os(**changes: Any) -> dict[str, Any]:
    probe = json.loads(json.dumps(PROBE_EN))
    probe["os"].update(changes)
    return probe


@pytest.mark.parametrize(
    ("changes", "name", "version", "identifier"),
    [
        ({}, "Windows 11", "23H2", "windows"),
        (
            {"BuildNumber": "26100", "DisplayVersion": "24H2", "Version": "10.0.26100"},
            "Windows 11",
            "24H2",
            "windows",
        ),
        # Windows 10 1809 has no DisplayVersion: ReleaseId.
        (
            {"BuildNumber": "17763", "DisplayVersion": None, "ReleaseId": "1809", "EditionID": "EnterpriseS"},
            "Windows 10",
            "1809",
            "windows",
        ),
        (
            {
                "BuildNumber": "9600",
                "DisplayVersion": None,
                "ReleaseId": None,
                "Version": "6.3.9600",
                "Caption": "Microsoft Windows 8.1 Pro",
            },
            "Windows 8.1",
            "6.3.9600",
            "windows",
        ),
        (
            {
                "BuildNumber": "26100",
                "ProductType": 3,
                "DisplayVersion": "24H2",
                "EditionID": "ServerDatacenter",
            },
            "Windows Server 2025",
            "24H2",
            "windows_server",
        ),
        (
            {
                "BuildNumber": "17763",
                "ProductType": 2,
                "DisplayVersion": None,
                "ReleaseId": "1809",
                "Caption": "Microsoft Windows Server 2019 Standard",
            },
            "Windows Server 2019",
            "1809",
            "windows_server",
        ),
        # A server build not in the list (annual channel): its caption.
        (
            {
                "BuildNumber": "25398",
                "ProductType": 3,
                "DisplayVersion": "23H2",
                "Caption": "Microsoft Windows Server Datacenter",
            },
            "Windows Server Datacenter",
            "23H2",
            "windows_server",
        ),
    ],
)
def test_os_name_version_by_build(changes: dict[str, Any], name: str, version: str, identifier: str) -> None:
    os = facts(ps51(with_os(**changes)))["os"]
    assert (os["name"], os["version"], os["id"]) == (name, version, identifier)


def test_os_edition_from_the_sku_when_the_key_gave_none() -> None:
    os = facts(ps51(with_os(EditionID=None, OperatingSystemSKU=125)))["os"]
    assert os["edition"] == "EnterpriseS"


@pytest.mark.parametrize(
    "boot",
    [
        "2024-11-20T07:58:41Z",
        "\\/Date(1732089521000)\\/",  # 5.1 printing the DateTime itself
        "/Date(1732089521000+0100)/",
        "2024-11-20T08:58:41.5+01:00",  # 7 printing the DateTime itself
        {
            "value": "/Date(1732089521000)/",
            "DisplayHint": 2,
            "DateTime": "Wednesday, November 20, 2024 8:58:41 AM",
        },
    ],
)
def test_os_last_boot_in_every_date_format(boot: Any) -> None:
    assert facts(ps51(with_os(LastBootUpTime=boot)))["os"]["last_boot"] == "2024-11-20T07:58:41Z"


def test_os_part_failed_keeps_what_was_read() -> None:
    os = facts(
        ps51(
            with_os(
                Caption=None,
                Version=None,
                BuildNumber=None,
                ProductType=None,
                LastBootUpTime=None,
                error='Invalid class "Win32_OperatingSystem"',
            )
        )
    )["os"]
    assert os["error"] == 'Invalid class "Win32_OperatingSystem"'
    assert (os["version"], os["edition"], os["build"], os["name"]) == ("23H2", "Enterprise", None, None)
    assert os["kernel"] is None


# ---- listeners -----------------------------------------------------------------------------------------


def test_listeners_collapsed_lists_raw_values_duplicates_and_junk() -> None:
    probe = {
        "listeners": {
            # One listener printed as the object itself; ports and pids as strings.
            "tcp": {"address": "[::]", "port": "3389", "pid": "1220"},
            "udp": [
                {"address": "0.0.0.0", "port": 123, "pid": 1300},
                {"address": "0.0.0.0", "port": 123, "pid": 1300},
                {"address": "0.0.0.0", "port": 0, "pid": 1300},
                {"address": "", "port": 53, "pid": 1300},
                "junk",
                {"address": "FE80::1%7", "port": 546, "pid": None},
            ],
            "processes": {
                "1220": {"name": "svchost", "user": None, "services": ["UmRdpService", "TermService"]},
                "1300": {"name": "svchost", "user": None, "services": []},
            },
        }
    }
    assert facts(ps51(probe))["listeners"] == [
        {
            "proto": "tcp",
            "address": "::",
            "port": 3389,
            "process": "svchost (TermService, UmRdpService)",
            "pid": 1220,
            "user": None,
        },
        {"proto": "udp", "address": "0.0.0.0", "port": 123, "process": "svchost", "pid": 1300, "user": None},
        {"proto": "udp", "address": "fe80::1%7", "port": 546, "process": None, "pid": None, "user": None},
    ]


def test_listeners_unknown_process_and_failed_part() -> None:
    probe = {
        "listeners": {
            "tcp": [{"address": "0.0.0.0", "port": 22, "pid": 999}],
            "udp": [],
            "processes": {},
            "error": "UDP: Access denied",
        }
    }
    assert facts(ps51(probe))["listeners"] == [
        {"proto": "tcp", "address": "0.0.0.0", "port": 22, "process": None, "pid": 999, "user": None}
    ]


# ---- updates -------------------------------------------------------------------------------------------


def with_updates(**changes: Any) -> dict[str, Any]:
    probe = json.loads(json.dumps(PROBE_EN))
    probe["updates"].update(changes)
    return probe


def test_updates_search_printed_as_an_object_and_collapsed() -> None:
    """A probe that nests the search as an object (ConvertFrom-Json) and one pending update collapsed."""
    search = {
        "pending": {
            "title": "2024-12 Cumulative Update for Windows 11 Version 23H2 (KB5048685)",
            "kb": "5048685",
            "categories": "0fa1201d-4330-4fa8-8ae9-b877473b6441",
        },
        "error": None,
    }
    updates = facts(ps51(with_updates(search=search)))["updates"]
    assert updates["pending_security"] == [
        "2024-12 Cumulative Update for Windows 11 Version 23H2 (KB5048685)"
    ]
    assert updates["pending_security_count"] == 1


def test_updates_none_pending_is_zero_not_unknown() -> None:
    updates = facts(ps51(with_updates(search='{"pending":[],"error":null,"hresult":null}')))["updates"]
    assert (updates["pending_security"], updates["pending_security_count"], updates["error"]) == ([], 0, None)


@pytest.mark.parametrize(
    ("search", "search_error", "error"),
    [
        (
            '{"pending":[],"error":"Exception from HRESULT: 0x80072EE2","hresult":"0x80072EE2"}',
            None,
            "Windows Update search failed: the connection to the update server timed out "
            "(Exception from HRESULT: 0x80072EE2)",
        ),
        (
            '{"pending":[],"error":"Operation aborted","hresult":"0x80004004"}',
            None,
            "Windows Update search failed: Operation aborted",
        ),
        (
            '{"pending":[],"error":null,"hresult":"0x8024002E"}',
            None,
            "Windows Update search failed: error 0x8024002E",
        ),
        ("", None, "the Windows Update search returned nothing"),
        ("Receive-Job : oops", None, "Windows Update search: unreadable output 'Receive-Job : oops'"),
        (None, None, "the Windows Update search reported nothing"),
        (None, "Start-Job : Access is denied", "Start-Job : Access is denied"),
        ("[1]", None, "Windows Update search: unexpected a list"),
    ],
)
def test_updates_search_failures(search: Any, search_error: Any, error: str) -> None:
    updates = facts(ps51(with_updates(search=search, search_error=search_error)))["updates"]
    assert updates["pending_security"] is None and updates["pending_security_count"] is None
    assert updates["error"] == error
    assert updates["last_success"] == "2024-11-13T09:47:35Z"


def test_updates_last_success_from_history_hotfixes_or_neither() -> None:
    only_fixes = facts(ps51(with_updates(history=[], hotfixes=[{"id": "KB1", "installed": "11/14/2024"}])))
    assert only_fixes["updates"]["last_success"] == "2024-11-14T00:00:00Z"
    newer_fix = facts(ps51(with_updates(hotfixes={"id": "KB5048685", "installed": "2024-12-11"})))
    assert newer_fix["updates"]["last_success"] == "2024-12-11T00:00:00Z"
    only_definitions = with_updates(
        hotfixes=[],
        history=[PROBE_EN["updates"]["history"][0]],
        history_error=None,
        hotfix_error="RPC server unavailable",
    )
    updates = facts(ps51(only_definitions))["updates"]
    assert updates["last_success"] is None
    assert updates["error"] == "hotfix list: RPC server unavailable"
    nothing = facts(ps51(with_updates(hotfixes=[], history=[])))["updates"]
    assert (nothing["last_success"], nothing["error"]) == (None, "no successful update recorded")


def test_updates_definition_updates_known_by_classification_or_kb_do_not_count() -> None:
    history = [
        {
            "date": "2024-11-26T04:00:00Z",
            "title": "Definition Update for Microsoft Security Essentials (1.421.1471.0)",
            "categories": "E0789628-CE08-4437-BE74-2495B842F43B",
        },
        {
            "date": "2024-11-25T04:00:00Z",
            "title": "Mise à jour de la veille de sécurité pour Microsoft Defender "
            "Antivirus - KB2267602 (version 1.421.1470.0)",
            "categories": [],
        },
        {
            "date": "2024-11-12T18:30:00Z",
            "title": "Windows Malicious Software Removal Tool x64 - v5.129 (KB890830)",
            "categories": ["28bc880e-0592-4cbf-8f95-c79b17911d5f"],
        },
    ]
    updates = facts(ps51(with_updates(history=history, hotfixes=[])))["updates"]
    assert updates["last_success"] == "2024-11-12T18:30:00Z"


def test_updates_history_dates_printed_raw_and_com_zero_date_ignored() -> None:
    history = [
        {
            "date": "\\/Date(1731491255000)\\/",
            "title": "2024-11 Cumulative Update (KB5046633)",
            "categories": [],
        },
        {"date": "1899-12-30T00:00:00Z", "title": "Broken entry", "categories": []},
    ]
    updates = facts(ps51(with_updates(history=history, hotfixes=[])))["updates"]
    assert updates["last_success"] == "2024-11-13T09:47:35Z"


# ---- detection -----------------------------------------------------------------------------------------


def with_detection(services: Any, defender: Any = None, defender_error: Any = None) -> str:
    return ps51({"detection": {"services": services, "defender": defender, "defender_error": defender_error}})


def service(name: str, status: Any = "Running", found: Any = True) -> dict[str, Any]:
    return {"name": name, "found": found, "status": status, "start_type": "Automatic", "error": None}


@pytest.mark.parametrize(
    ("defender", "running"),
    [
        ({"AMRunningMode": "Normal", "AntivirusEnabled": True}, True),
        ({"AMRunningMode": "Passive Mode", "AntivirusEnabled": False}, False),
        ({"AMRunningMode": "SxS Passive Mode", "AntivirusEnabled": True}, False),
        ({"AMRunningMode": "EDR Block Mode", "AntivirusEnabled": False}, False),
        ({"AMRunningMode": "Not running", "AntivirusEnabled": False}, False),
        ({"AntivirusEnabled": True}, True),  # builds before AMRunningMode
        ({"AntivirusEnabled": False}, False),
        (None, True),  # Get-MpComputerStatus failed: the service state alone
    ],
)
def test_detection_windefend_counts_only_as_the_active_antivirus(defender: Any, running: bool) -> None:
    stdout = with_detection([service("WinDefend")], defender, "0x800106ba" if defender is None else None)
    assert facts(stdout)["detection"] == [{"name": "WinDefend", "installed": True, "running": running}]


def test_detection_in_the_declared_order_case_insensitive_raw_enums() -> None:
    services = [
        service("ekrn", status=1),  # 5.1 printing ServiceControllerStatus as its integer: Stopped
        service("sentinelagent", status=4),  # Running
        service("WazuhSvc", found=False, status=None),
        service("Elastic Agent", status="StartPending"),
        "junk",
    ]
    assert facts(with_detection(services))["detection"] == [
        {"name": "SentinelAgent", "installed": True, "running": True},
        {"name": "Elastic Agent", "installed": True, "running": False},
        {"name": "ekrn", "installed": True, "running": False},
    ]


def test_detection_declared_list_as_text_or_absent() -> None:
    stdout = with_detection(service("CSFalconService"))  # one service, collapsed
    expected = [{"name": "CSFalconService", "installed": True, "running": True}]
    assert facts(stdout, "WinDefend\r\nCSFalconService\n")["detection"] == expected
    assert FILTERS["carehard_win_fleet_facts"](stdout)["detection"] == expected
    assert facts(stdout, ["WinDefend"])["detection"] == []
    assert facts(stdout, [])["detection"] == []


# ---- administrators ------------------------------------------------------------------------------------


def with_admins(**changes: Any) -> str:
    probe = json.loads(json.dumps(PROBE_EN))
    probe["admins"].update(changes)
    return ps51(probe)


def test_admins_cmdlet_member_forms() -> None:
    members = [
        {
            "Name": "POSTE-RADIO-01\\adm-hopital",
            "ObjectClass": "User",
            "PrincipalSource": 1,
            "SID": "S-1-5-21-9-1001",
        },
        {
            "Name": "AzureAD\\JeanneMartin",
            "ObjectClass": "User",
            "PrincipalSource": "AzureAD",
            "SID": "S-1-12-1-1",
        },
        {
            "Name": "MicrosoftAccount\\poste@outlook.fr",
            "ObjectClass": "User",
            "PrincipalSource": 4,
            "SID": "S-1-5-21-9-1002",
        },
        {
            "Name": "poste-radio-01\\Administrator",
            "ObjectClass": "User",
            "PrincipalSource": "",
            "SID": "S-1-5-21-9-500",
        },
        {
            "Name": "",
            "ObjectClass": "User",
            "PrincipalSource": "Unknown",
            "SID": "S-1-5-21-1004336348-1-2-1512",
        },
        {
            "Name": "HOPITAL\\Domain Admins",
            "ObjectClass": "Group",
            "PrincipalSource": 2,
            "SID": "S-1-5-21-1-2-3-512",
        },
        {
            "Name": "hopital\\domain admins",
            "ObjectClass": "Group",
            "PrincipalSource": 2,
            "SID": "S-1-5-21-1-2-3-512",
        },
    ]
    assert facts(with_admins(members=members))["admins"]["all"] == [
        "adm-hopital",
        "Administrator",
        "AzureAD\\JeanneMartin",
        "HOPITAL\\Domain Admins",
        "MicrosoftAccount\\poste@outlook.fr",
        "S-1-5-21-1004336348-1-2-1512",
    ]


def test_admins_adsi_paths_workgroup_and_one_member_collapsed() -> None:
    workgroup = with_admins(
        method="ADSI", members={"path": "WinNT://WORKGROUP/POSTE-RADIO-01/admin", "class": "User"}
    )
    assert facts(workgroup)["admins"]["all"] == ["admin"]
    short = with_admins(
        method="ADSI",
        members=[
            {"path": "WinNT://POSTE-RADIO-01/admin", "class": "User"},
            {"path": "WinNT://NT AUTHORITY/INTERACTIVE", "class": "Group"},
            {"path": "", "class": "User"},
        ],
    )
    assert facts(short)["admins"]["all"] == ["admin", "NT AUTHORITY\\INTERACTIVE"]


def test_admins_both_ways_failed() -> None:
    stdout = with_admins(
        method=None,
        members=[],
        first_error="Failed to compare two elements in the array.",
        error="The network path was not found.",
    )
    assert facts(stdout)["admins"] == {
        "groups": {},
        "sudoers": [],
        "all": [],
        "error": "administrators unknown: The network path was not found.",
    }


def test_admins_empty_group() -> None:
    assert facts(with_admins(members=[]))["admins"] == {
        "groups": {"Administrators": []},
        "sudoers": [],
        "all": [],
        "error": None,
    }


# ---- encryption ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("volume", "expected"),
    [
        # 5.1 printing the enums as integers (a probe without "$(...)", or Win32_EncryptableVolume).
        (
            {"ProtectionStatus": 1, "VolumeStatus": 1, "EncryptionMethod": 6},
            (True, "BitLocker", ["C:"], None),
        ),
        ({"ProtectionStatus": 0, "VolumeStatus": 0, "EncryptionMethod": 0}, (False, None, [], None)),
        (
            {"ProtectionStatus": "Off", "VolumeStatus": "EncryptionInProgress"},
            (False, "BitLocker", ["C:"], None),
        ),
        ({"ProtectionStatus": "Off", "VolumeStatus": "FullyDecrypted"}, (False, None, [], None)),
        (
            {"ProtectionStatus": 2, "VolumeStatus": 1},
            (None, "BitLocker", ["C:"], "BitLocker protection status Unknown on C:"),
        ),
        (
            {"VolumeStatus": "FullyDecrypted"},
            (None, None, [], "BitLocker protection status not reported on C:"),
        ),
    ],
)
def test_encryption_states(volume: dict[str, Any], expected: tuple[Any, ...]) -> None:
    probe = {
        "bitlocker": {"mount": "C:", "source": "Win32_EncryptableVolume", "volume": volume, "error": None}
    }
    encryption = facts(ps51(probe))["encryption"]
    assert (
        encryption["root_encrypted"],
        encryption["method"],
        encryption["devices"],
        encryption["error"],
    ) == expected


def test_encryption_no_volume_reported() -> None:
    encryption = facts(ps51({"bitlocker": {"mount": "D:", "volume": None, "error": None}}))["encryption"]
    assert encryption == {
        "root_encrypted": None,
        "method": None,
        "devices": [],
        "error": "BitLocker state of D: unknown: no volume reported",
    }


# ---- time ----------------------------------------------------------------------------------------------

W32TM_UNSYNCED_FR = (
    "Indicateur de saut : 3(non synchronisé)\n"
    "Strate : 0 (non spécifié)\n"
    "Précision : -23 (119.209ns par battement)\n"
    "Retard de la racine : 0.0000000s\n"
    "Dispersion de la racine : 0.0000000s\n"
    "ID de référence : 0x00000000 (non spécifié)\n"
    "Dernière synchronisation réussie : non spécifié\n"
    "Source : Local CMOS Clock\n"
    "Intervalle d'interrogation : 6 (64s)\n"
)
# Accents lost between w32tm's code page and the probe: the labels are no longer known words.
W32TM_MANGLED_FR = W32TM_FR.replace("è", "\ufffd").replace("é", "\ufffd").replace("Source :", "Source\u00a0:")
# A language without labels here: read by the order of the lines.
W32TM_OTHER = (
    "Sprungindikator: 0(keine Warnung)\n"
    "Stratum: 2 (Sekundärreferenz - synchr. über (S)NTP)\n"
    "Genauigkeit: -23 (119.209ns pro Tick)\n"
    "Stammverzögerung: 0.0312500s\n"
    "Stammstreuung: 7.8040012s\n"
    "Referenz-ID: 0x0A000001 (Quell-IP:  10.0.0.1)\n"
    "Letzte erfolgr. Synchronisierungszeit: 26.11.2024 06:02:15\n"
    "Quelle: dc01.hopital.local\n"
    "Abrufintervall: 10 (1024s)\n"
)
W32TM_FREE_RUNNING = W32TM_EN.replace("Source: dc01.hopital.local", "Source: Free-running System Clock")
W32TM_VM = W32TM_EN.replace("Source: dc01.hopital.local", "Source: VM IC Time Synchronization Provider")
# The source was lost: w32tm fell back on the local clock, the last (old) sync still shown (the French
# name of the clock is a guess: whatever the language, "CMOS" is what is looked for).
W32TM_FELL_BACK = W32TM_EN.replace("Source: dc01.hopital.local", "Source: Local CMOS Clock")
W32TM_FELL_BACK_FR = W32TM_FR.replace("Source : dc02.hopital.local", "Source : Horloge CMOS locale")
W32TM_STOPPED_EN = "The following error occurred: The service has not been started. (0x80070426)\n"
W32TM_STOPPED_FR = "L'erreur suivante s'est produite : Le service n'a pas été démarré. (0x80070426)\n"


@pytest.mark.parametrize(
    ("text", "status", "synchronised"),
    [
        (W32TM_EN, "Running", True),
        (W32TM_EN.replace("\n", "\r\n"), "Running", True),
        (W32TM_UNSYNCED_EN, "Running", False),
        (W32TM_FR, "Running", True),
        (W32TM_UNSYNCED_FR, "Running", False),
        (W32TM_MANGLED_FR, "Running", True),
        (W32TM_OTHER, 4, True),
        (W32TM_FREE_RUNNING, "Running", False),
        (W32TM_VM, "Running", True),
        (W32TM_FELL_BACK, "Running", False),
        (W32TM_FELL_BACK_FR, "Running", False),
        (
            W32TM_EN.replace("Leap Indicator: 0(no warning)", "Leap Indicator: 3(not synchronized)"),
            "Running",
            False,
        ),
        (W32TM_EN.replace("11/26/2024 6:02:15 AM", "unspecified"), "Running", False),
        (W32TM_STOPPED_EN, "Stopped", False),
        (W32TM_STOPPED_FR, 1, False),
        ("Access is denied. (0x80070005)", "Running", None),
        (None, None, None),
        (W32TM_EN.splitlines(), "Running", True),  # lines printed as an array
    ],
)
def test_time_from_w32tm(text: Any, status: Any, synchronised: bool | None) -> None:
    service_part = {"status": status, "start_type": "Manual"} if status is not None else None
    probe = {"time": {"service": service_part, "w32tm": text, "exit": 0, "error": None}}
    source = None if text is None and status is None else "w32time"
    assert facts(ps51(probe))["time"] == {"synchronised": synchronised, "source": source}


# ---- domain --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        (
            {"PartOfDomain": True, "Domain": "hopital.local"},
            {"joined": True, "name": "hopital.local", "kind": "active_directory"},
        ),
        (
            {"PartOfDomain": "True", "Domain": "HOPITAL.LOCAL"},
            {"joined": True, "name": "HOPITAL.LOCAL", "kind": "active_directory"},
        ),
        (
            {"PartOfDomain": False, "Domain": "WORKGROUP", "Workgroup": "WORKGROUP"},
            {"joined": False, "name": None, "kind": None},
        ),
        ({"PartOfDomain": None, "error": "Access denied"}, {"joined": None, "name": None, "kind": None}),
    ],
)
def test_domain(domain: dict[str, Any], expected: dict[str, Any]) -> None:
    assert facts(ps51({"domain": domain}))["domain"] == expected


# ---- degraded input: never raises, always the same shape -----------------------------------------------


@pytest.mark.parametrize(
    ("stdout", "error"),
    [
        (None, "the probe printed nothing"),
        ("", "the probe printed nothing"),
        ("  \r\n", "the probe printed nothing"),
        (
            '#< CLIXML\r\n<Objs Version="1.1.0.1">',
            "unreadable output '#< CLIXML\\r\\n<Objs Version=\"1.1.0.1\">'",
        ),
        ("[]", "unexpected output a list"),
        ("null", "the probe printed null"),
        ("42", "unexpected output 42"),
        ([1, 2], "unexpected output a list"),
    ],
)
def test_unreadable_output_gives_every_section_unknown(stdout: Any, error: str) -> None:
    document = facts(stdout)
    assert_shape(document)
    assert document["os"]["error"] == error
    assert document["os"]["family"] == "windows" and document["os"]["name"] is None
    assert document["updates"]["error"] == f"no update information ({error})"
    assert document["updates"]["pending_security_count"] is None
    assert document["admins"]["error"] == f"administrators unknown: {error}"
    assert document["encryption"]["error"] == f"BitLocker state of C: unknown: {error}"
    assert document["encryption"]["root_encrypted"] is None
    assert (document["listeners"], document["detection"]) == ([], [])
    assert document["domain"] == {"joined": None, "name": None, "kind": None}
    assert document["time"] == {"synchronised": None, "source": None}
    assert document["collected_at"] is None


@pytest.mark.parametrize(
    "probe",
    [
        {},
        {
            "os": "x",
            "listeners": 5,
            "updates": [1],
            "detection": "a",
            "admins": 7,
            "bitlocker": [],
            "domain": 3,
            "time": "t",
        },
        {
            "os": [],
            "listeners": {"tcp": 5, "udp": "x", "processes": []},
            "updates": {"history": 3, "hotfixes": "x", "search": 5},
            "detection": {"services": {"x": 1}, "defender": 3},
            "admins": {"members": 5, "group": 3},
            "bitlocker": {"volume": "On"},
            "domain": {"PartOfDomain": "maybe"},
            "time": {"w32tm": 12, "service": "x"},
        },
        {
            "collected_at": 12,
            "os": {"BuildNumber": [], "UBR": "x", "ProductType": "3", "LastBootUpTime": "yesterday"},
        },
        {"listeners": {"tcp": [{"address": 5, "port": 99999, "pid": "x"}, {"address": "::", "port": True}]}},
    ],
)
def test_unexpected_shapes_never_raise(probe: dict[str, Any]) -> None:
    document = facts(ps51(probe))
    assert_shape(document)
    assert document["os"]["family"] == "windows"


def test_a_mapping_that_breaks_gives_the_unknown_document() -> None:
    class Broken(dict):  # type: ignore[type-arg]
        def get(self, key: Any, default: Any = None) -> Any:
            raise RuntimeError("boom")

    document = facts(Broken(os={}))
    assert_shape(document)
    assert document["os"]["error"] == "unexpected probe output (RuntimeError: 'boom')"


# ---- through Jinja2 and the role's own judging ---------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            "{{ (out | carehard_win_fleet_facts(services)).os.pretty }}",
            "Microsoft Windows 11 Enterprise 23H2 (build 22631.4460)",
        ),
        (
            "{{ (out | carehard_win_fleet_facts(services)).detection | selectattr('running')"
            " | map(attribute='name') | join(',') }}",
            "WinDefend,Sense",
        ),
        ("{{ (out | carehard_win_fleet_facts(services)).updates.pending_security_count }}", "2"),
        (
            "{{ (out | carehard_win_fleet_facts(services)).listeners | selectattr('port', 'equalto', 3389)"
            " | map(attribute='address') | join(',') }}",
            "0.0.0.0,::,0.0.0.0",
        ),
        (
            "{{ (out | carehard_win_fleet_facts(services)).admins.all | join(';') }}",
            "adm-hopital;Administrator;HOPITAL\\Domain Admins;HOPITAL\\GG-Admins-Postes",
        ),
        (
            "{{ ('' | carehard_win_fleet_facts(services)).detection | selectattr('running')"
            " | list | length }}",
            "0",
        ),
        ("{{ (none | carehard_win_fleet_facts(services)).os.error }}", "the probe printed nothing"),
    ],
)
def test_the_filter_renders_through_jinja2(template: str, expected: str) -> None:
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    environment.filters.update(FILTERS)
    assert environment.from_string(template).render(out=STDOUT_EN, services=DECLARED) == expected


def test_the_document_fits_the_roles_judging() -> None:
    """Contract check with filter_plugins/fleet_eval.py and vars/end_of_support.yml of the same role."""
    judge = load(ROLE / "filter_plugins/fleet_eval.py", "fleet_eval").FilterModule().filters()
    table = yaml.safe_load((ROLE / "vars/end_of_support.yml").read_text(encoding="utf-8"))
    english, french = facts(STDOUT_EN), facts(STDOUT_FR)
    support = judge["carehard_os_support"](
        english, table["compliance_facts_end_of_support"], "2024-11-26", 90
    )
    assert (support["status"], support["ends"]) == ("supported", "2026-11-10")
    support = judge["carehard_os_support"](french, table["compliance_facts_end_of_support"], "2025-11-01", 90)
    assert (support["status"], support["ends"]) == ("unsupported", "2025-10-14")
    sensitive = yaml.safe_load((ROLE / "defaults/main.yml").read_text(encoding="utf-8"))[
        "compliance_facts_sensitive_ports"
    ]
    exposed = judge["carehard_exposed_listeners"](
        english["listeners"], sensitive, [{"port": 5985, "reason": "carehard"}]
    )
    assert [(e["port"], e["proto"], e["address"], e["allowed"]) for e in exposed] == [
        (135, "tcp", "0.0.0.0", False),
        (137, "udp", "192.168.10.21", False),
        (139, "tcp", "192.168.10.21", False),
        (445, "tcp", "0.0.0.0", False),
        (3389, "tcp", "0.0.0.0", False),
        (3389, "tcp", "::", False),
        (3389, "udp", "0.0.0.0", False),
        (5985, "tcp", "0.0.0.0", True),
    ]
    assert next(e for e in exposed if e["port"] == 3389)["process"] == "svchost (TermService)"
    undeclared = judge["carehard_undeclared_admins"](english["admins"], ["adm-hopital", "Domain Admins"])
    assert undeclared == ["Administrator", "HOPITAL\\GG-Admins-Postes"]


# ---- the probe's text ----------------------------------------------------------------------------------


def probe_text() -> str:
    variables = yaml.safe_load(PROBE_VARS.read_text(encoding="utf-8"))
    text = variables["compliance_facts__windows_probe"]
    assert isinstance(text, str)
    return text


def powershell_delimiters(text: str) -> list[str]:
    """Problems with (), {}, [] and quotes, outside comments and strings ('...' with '', "..." with
    `" and "" and $(...) inside): a PowerShell parse would fail on any of them. Here-strings are not
    followed (the probe has none)."""
    problems: list[str] = []
    stack: list[tuple[str, int]] = []  # "(", "{", "[", "sub(" (a $( inside a string), '"', "'"
    pairs = {")": "(", "}": "{", "]": "["}
    i, line = 0, 1
    while i < len(text):
        char = text[i]
        top = stack[-1][0] if stack else None
        if char == "\n":
            line += 1
        if top == "'":
            if char == "'" and text[i + 1 : i + 2] == "'":
                i += 1
            elif char == "'":
                stack.pop()
        elif top == '"':
            if char == "`" or (char == '"' and text[i + 1 : i + 2] == '"'):
                i += 1
            elif char == '"':
                stack.pop()
            elif text.startswith("$(", i):
                stack.append(("sub(", line))
                i += 1
        elif char == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        elif char == "`":
            i += 1
        elif char in "'\"({[":
            stack.append((char, line))
        elif char in ")}]":
            opened = stack.pop()[0] if stack else None
            if opened not in (pairs[char], "sub(" if char == ")" else None):
                problems.append(f"line {line}: {char!r} closes {opened!r}")
        i += 1
    problems += [f"line {where}: {what!r} never closed" for what, where in stack]
    return problems


def test_the_delimiter_check_finds_problems() -> None:
    assert (
        powershell_delimiters('$a = @{ b = \'c\' }\n$d = "$($e.f) `" x" # ) unbalanced in a comment\n') == []
    )
    assert powershell_delimiters("if ($a) { $b = 'it''s' ") == ["line 1: '{' never closed"]
    assert powershell_delimiters('$x = "a $(foo "b")') == ["line 1: '\"' never closed"]
    assert powershell_delimiters("$x = (1, 2]") == ["line 1: ']' closes '('"]


def test_the_probe_parses_as_balanced_powershell() -> None:
    text = probe_text()
    assert "@'" not in text and '@"' not in text
    assert powershell_delimiters(text) == []
    assert len(re.findall(r"\btry\s*\{", text)) == len(re.findall(r"\}\s*catch\s*\{", text))


def test_the_probe_is_read_only_and_keeps_bitlocker_keys_out() -> None:
    text = probe_text()
    lowered = text.lower()
    for verb in (
        "set-",
        "new-item",
        "remove-item",
        "restart-",
        "start-service",
        "stop-service",
        "disable-",
        "enable-",
        "suspend-",
        "resume-",
        "install-",
        "uninstall-",
        "add-",
        "clear-",
        "invoke-expression",
        "out-file",
        "set-content",
        "wusa",
        ".download(",
        ".install(",
        "createupdatedownloader",
        "createupdateinstaller",
    ):
        assert verb not in lowered, verb
    assert "keyprotector" not in lowered and "recoverypassword" not in lowered
    # The only process it may end is its own search job's, a child of the probe.
    assert re.findall(r"Stop-Process[^\n]*", text) == [
        "Stop-Process -Id $child.ProcessId -Force -ErrorAction SilentlyContinue }"
    ]
    assert "ParentProcessId=$PID" in text


def test_the_probe_prints_one_json_document_and_reads_its_inputs_from_the_environment() -> None:
    text = probe_text()
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert lines[0] == "$ErrorActionPreference = 'Stop'"
    assert lines[-1] == "ConvertTo-Json -Compress -Depth 8 -InputObject $out"
    assert "$WarningPreference = 'SilentlyContinue'" in text
    assert "Write-Host" not in text and "Write-Output" not in text
    assert "$env:CAREHARD_DETECTION" in text and "$env:CAREHARD_UPDATE_TIMEOUT" in text
    assert "IsInstalled=0 and IsHidden=0 and Type='Software'" in text
    assert "Get-LocalGroupMember -SID 'S-1-5-32-544'" in text and '[ADSI]"WinNT://./' in text
    for key in ("os", "listeners", "updates", "detection", "admins", "bitlocker", "domain", "time"):
        assert f"$out.{key} = " in text, key


def test_the_probe_holds_nothing_jinja_would_template() -> None:
    text = probe_text()
    assert not re.search(r"\{\{|\{%|\{#", text)
