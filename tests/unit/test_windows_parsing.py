"""The filters of workstation_windows (filter_plugins/windows_state.py) on what the Windows probes print.

The samples are what Windows PowerShell 5.1 `ConvertTo-Json -Compress` prints (enums as integers,
"\\/Date(ms)\\/" dates, SecurityIdentifier objects, "'" as \\u0027, one-element arrays collapsed), with
the PowerShell 7 variants (ISO 8601 dates, -EnumsAsStrings) where they differ, and what
`auditpol /get /category:* /r` prints (CRLF, full header, English and French Windows). The plugin is
loaded by path, as Ansible loads it, and every filter is reached through its registered name.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import jinja2
import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "roles/workstation_windows/filter_plugins/windows_state.py"


def load_plugin() -> ModuleType:
    spec = importlib.util.spec_from_file_location("windows_state", PLUGIN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FILTERS: dict[str, Callable[..., Any]] = load_plugin().FilterModule().filters()


def run(name: str, *args: Any) -> Any:
    return FILTERS[name](*args)


def round_trips(value: Any) -> bool:
    """True when the value is made of plain JSON types only (a tuple or a str subclass would not be)."""
    return bool(json.loads(json.dumps(value)) == value)


# ---- registration and imports ----------------------------------------------------------------------


def test_the_filters_are_registered_under_their_names() -> None:
    assert sorted(FILTERS) == [
        "carehard_win_audit_eval",
        "carehard_win_auditpol",
        "carehard_win_bitlocker",
        "carehard_win_builtin_accounts",
        "carehard_win_credential_guard",
        "carehard_win_defender",
        "carehard_win_features",
        "carehard_win_firewall",
        "carehard_win_laps",
        "carehard_win_netbios",
        "carehard_win_registry_eval",
    ]
    assert all(callable(function) for function in FILTERS.values())


def test_the_plugin_imports_the_standard_library_only() -> None:
    """Ansible loads it by path on the controller: neither carehard nor ansible may be imported."""
    tree = ast.parse(PLUGIN.read_text(encoding="utf-8"))
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    tops = {module.split(".")[0] for module in modules}
    assert tops - {"__future__"} <= set(sys.stdlib_module_names), tops
    assert {"csv", "re"} <= tops  # JSON is decoded by the carehard role's powershell_output.py


# ---- 1. registry -----------------------------------------------------------------------------------

LANMAN = r"HKLM:\SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters"
LSA = r"HKLM:\SYSTEM\CurrentControlSet\Control\Lsa"
SYSTEM_POLICIES = r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System"
SECURITY_LOG = r"HKLM:\SOFTWARE\Policies\Microsoft\Windows\EventLog\Security"
MRXSMB10 = r"HKLM:\SYSTEM\CurrentControlSet\Services\mrxsmb10"
EVENTLOG_SECURITY = r"HKLM:\SYSTEM\CurrentControlSet\Services\EventLog\Security"
WINLOGON = r"HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon"
POWERSHELL_POLICY = r"HKLM:\SOFTWARE\Policies\Microsoft\Windows\PowerShell"
WINREG_EXACT = r"HKLM:\SYSTEM\CurrentControlSet\Control\SecurePipeServers\Winreg\AllowedExactPaths"
MACHINE_PATHS = [
    r"System\CurrentControlSet\Control\ProductOptions",
    r"System\CurrentControlSet\Control\Server Applications",
    r"Software\Microsoft\Windows NT\CurrentVersion",
]

# The probe's hashtable as 5.1 prints it: keys "<path>|<name>", a REG_DWORD with the top bit set
# (Retention 0xFFFFFFFF) read by Get-ItemProperty as Int32 -1, a value absent (kind null), a key absent.
REGISTRY_READ = (
    r'{"HKLM:\\SYSTEM\\CurrentControlSet\\Services\\LanmanServer\\Parameters|SMB1":'
    r'{"key":true,"kind":"DWord","value":0},'
    r'"HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa|LmCompatibilityLevel":{"key":true,"kind":"DWord","value":3},'
    r'"HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System|InactivityTimeoutSecs":'
    r'{"key":true,"kind":null,"value":null},'
    r'"HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\EventLog\\Security|MaxSize":'
    r'{"key":true,"kind":"DWord","value":20480},'
    r'"HKLM:\\SYSTEM\\CurrentControlSet\\Services\\mrxsmb10|Start":{"key":false,"kind":null,"value":null},'
    r'"HKLM:\\SYSTEM\\CurrentControlSet\\Services\\EventLog\\Security|Retention":'
    r'{"key":true,"kind":"DWord","value":-1},'
    r'"HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa|RestrictAnonymous":{"key":true,"kind":"String","value":"1"},'
    r'"HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon|ScreenSaverGracePeriod":'
    r'{"key":true,"kind":"String","value":"5"},'
    r'"HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon|CachedLogonsCount":'
    r'{"key":true,"kind":"String","value":"10"},'
    r'"HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\PowerShell|ExecutionPolicy":'
    r'{"key":true,"kind":"String","value":"allsigned"},'
    r'"HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurePipeServers\\Winreg\\AllowedExactPaths|Machine":'
    r'{"key":true,"kind":"MultiString","value":["System\\CurrentControlSet\\Control\\ProductOptions",'
    r'"System\\CurrentControlSet\\Control\\Server Applications",'
    r'"Software\\Microsoft\\Windows NT\\CurrentVersion"]}}'
)

SETTINGS: list[dict[str, Any]] = [
    {"path": LANMAN, "name": "SMB1", "data": 0},
    {"path": LSA, "name": "LmCompatibilityLevel", "data": 5},
    {"path": SYSTEM_POLICIES, "name": "InactivityTimeoutSecs", "data": 900, "compare": "nonzero_max"},
    {"path": SECURITY_LOG, "name": "MaxSize", "data": 196608, "compare": "min"},
    {"path": MRXSMB10, "name": "Start", "data": 4, "absent_ok": True},
    {"path": EVENTLOG_SECURITY, "name": "Retention", "data": 0},
    {"path": LSA, "name": "RestrictAnonymous", "data": 1},
    {"path": WINLOGON, "name": "ScreenSaverGracePeriod", "data": 5, "type": "string"},
    {"path": WINLOGON, "name": "CachedLogonsCount", "data": "4", "type": "string", "compare": "max"},
    {"path": POWERSHELL_POLICY, "name": "ExecutionPolicy", "data": "AllSigned", "type": "string"},
    {"path": WINREG_EXACT, "name": "Machine", "data": MACHINE_PATHS, "type": "multistring"},
]


def test_registry_eval_judges_each_setting_in_order() -> None:
    results = run("carehard_win_registry_eval", REGISTRY_READ, SETTINGS)
    assert [(r["name"], r["ok"], r["value"], r["kind"]) for r in results] == [
        ("SMB1", True, 0, "DWord"),
        ("LmCompatibilityLevel", False, 3, "DWord"),
        ("InactivityTimeoutSecs", False, None, None),
        ("MaxSize", False, 20480, "DWord"),
        ("Start", True, None, None),
        ("Retention", False, 4294967295, "DWord"),
        ("RestrictAnonymous", False, "1", "String"),
        ("ScreenSaverGracePeriod", True, "5", "String"),
        ("CachedLogonsCount", False, "10", "String"),
        ("ExecutionPolicy", False, "allsigned", "String"),
        ("Machine", True, MACHINE_PATHS, "MultiString"),
    ]
    assert [r["text"] for r in results] == [
        rf"SMB1 = 0 in {LANMAN}",
        rf"LmCompatibilityLevel = 3 in {LSA} (expected 5)",
        rf"InactivityTimeoutSecs unset in {SYSTEM_POLICIES} (expected 1..900)",
        rf"MaxSize = 20480 in {SECURITY_LOG} (expected at least 196608)",
        rf"{MRXSMB10} absent (not installed)",
        rf"Retention = 4294967295 in {EVENTLOG_SECURITY} (expected 0)",
        rf'RestrictAnonymous = "1" in {LSA} (REG_SZ, expected REG_DWORD 1)',
        rf'ScreenSaverGracePeriod = "5" in {WINLOGON}',
        rf'CachedLogonsCount = "10" in {WINLOGON} (expected at most "4")',
        rf'ExecutionPolicy = "allsigned" in {POWERSHELL_POLICY} (expected "AllSigned")',
        rf'Machine = ["{MACHINE_PATHS[0]}", "{MACHINE_PATHS[1]}", "{MACHINE_PATHS[2]}"] in {WINREG_EXACT}',
    ]
    assert [r["want"] for r in results] == [s["data"] for s in SETTINGS]
    assert all(round_trips(r) for r in results)


def test_registry_eval_takes_the_decoded_object_too() -> None:
    decoded = run("carehard_win_registry_eval", json.loads(REGISTRY_READ), SETTINGS)
    assert decoded == run("carehard_win_registry_eval", REGISTRY_READ, SETTINGS)


def dword(value: Any, kind: Any = "DWord", key: bool = True) -> dict[str, Any]:
    return {f"{LSA}|Setting": {"key": key, "kind": kind, "value": value}}


@pytest.mark.parametrize(
    ("compare", "value", "data", "ok", "text_end"),
    [
        ("eq", 5, 5, True, "Setting = 5 in " + LSA),
        ("min", 196608, 196608, True, "Setting = 196608 in " + LSA),
        ("min", 196607, 196608, False, "(expected at least 196608)"),
        ("max", 60, 60, True, "Setting = 60 in " + LSA),
        ("max", 61, 60, False, "(expected at most 60)"),
        ("nonzero_max", 900, 900, True, "Setting = 900 in " + LSA),
        ("nonzero_max", 0, 900, False, "(expected 1..900)"),
        ("nonzero_max", 901, 900, False, "(expected 1..900)"),
        ("eq", -1, 4294967295, True, "Setting = 4294967295 in " + LSA),
        ("eq", "2", 2, True, "Setting = 2 in " + LSA),
        ("between", 2, 2, False, "(unknown comparison 'between')"),
    ],
)
def test_registry_compare_modes(compare: str, value: Any, data: Any, ok: bool, text_end: str) -> None:
    """Numbers compare as unsigned integers, a string that parses as one included."""
    setting = {"path": LSA, "name": "Setting", "data": data, "compare": compare}
    [result] = run("carehard_win_registry_eval", dword(value), [setting])
    assert (result["ok"], result["text"].endswith(text_end)) == (ok, True), result["text"]


def test_registry_qword_is_unsigned_64_bits() -> None:
    setting = {"path": LSA, "name": "Setting", "data": 18446744073709551615, "type": "qword"}
    [result] = run("carehard_win_registry_eval", dword(-1, kind="QWord"), [setting])
    assert (result["value"], result["ok"]) == (18446744073709551615, True)


def test_registry_kind_printed_as_registryvaluekind_integer() -> None:
    """A probe that forgets .ToString() on GetValueKind() prints 4 (DWord), 1 (String) under 5.1."""
    setting = {"path": LSA, "name": "Setting", "data": 1}
    [as_dword] = run("carehard_win_registry_eval", dword(1, kind=4), [setting])
    [as_string] = run("carehard_win_registry_eval", dword("1", kind=1), [setting])
    assert (as_dword["kind"], as_dword["ok"]) == ("DWord", True)
    assert (as_string["kind"], as_string["ok"]) == ("String", False)
    assert as_string["text"].endswith("(REG_SZ, expected REG_DWORD 1)")


def test_registry_multistring_collapsed_to_one_string_and_order() -> None:
    one = {"path": WINREG_EXACT, "name": "Machine", "data": [MACHINE_PATHS[0]], "type": "multistring"}
    reordered = {"path": WINREG_EXACT, "name": "Machine", "data": MACHINE_PATHS[::-1], "type": "multistring"}
    collapsed = {f"{WINREG_EXACT}|Machine": {"key": True, "kind": "MultiString", "value": MACHINE_PATHS[0]}}
    [result] = run("carehard_win_registry_eval", collapsed, [one])
    assert (result["value"], result["ok"]) == ([MACHINE_PATHS[0]], True)
    [result] = run("carehard_win_registry_eval", json.loads(REGISTRY_READ), [reordered])
    assert result["ok"] is False
    [result] = run("carehard_win_registry_eval", collapsed, [one | {"compare": "min"}])
    assert (result["ok"], result["text"].endswith(f'(expected at least ["{MACHINE_PATHS[0]}"])')) == (
        False,
        True,
    )


def test_registry_absent_key_without_absent_ok_is_not_compliant() -> None:
    setting = {"path": MRXSMB10, "name": "Start", "data": 4}
    [result] = run("carehard_win_registry_eval", REGISTRY_READ, [setting])
    assert result["ok"] is False
    assert result["text"] == rf"Start unset in {MRXSMB10} (key absent; expected 4)"


@pytest.mark.parametrize("entry", [None, "missing", 42, []], ids=["null", "missing", "number", "list"])
def test_registry_entry_missing_or_odd_is_value_absent(entry: Any) -> None:
    read = {} if entry == "missing" else {f"{LSA}|RestrictAnonymous": entry}
    setting = {"path": LSA, "name": "RestrictAnonymous", "data": 1, "absent_ok": True}
    [result] = run("carehard_win_registry_eval", read, [setting])
    assert (result["ok"], result["value"]) == (False, None)
    assert result["text"] == rf"RestrictAnonymous unset in {LSA} (expected 1)"


@pytest.mark.parametrize(
    ("read", "reason"),
    [
        (None, "registry not read: the probe printed nothing"),
        ("", "registry not read: the probe printed nothing"),
        ("\ufeff \r\n", "registry not read: the probe printed nothing"),
        ('{"HKLM:\\', "registry not read: unreadable output"),
        ('{"error":"Accès refusé"}', "registry not read: Accès refusé"),
        ("[]", "registry not read: registry read was a list, expected an object"),
        (42, "registry not read: registry read was 42, expected an object"),
    ],
)
def test_registry_unreadable_read_leaves_every_setting_unknown(read: Any, reason: str) -> None:
    results = run("carehard_win_registry_eval", read, SETTINGS[:3])
    assert [r["ok"] for r in results] == [False, False, False]
    assert all(reason in r["text"] and " unset in " in r["text"] for r in results), results


@pytest.mark.parametrize(
    ("settings", "text"),
    [
        (None, "settings: expected a list, got None"),
        ({"path": LSA}, "settings: expected a list, got an object"),
        ([42], "setting 42: expected a mapping"),
        ([{"name": "SMB1"}], "setting None|'SMB1': path and name must be strings"),
        ([{"path": LSA, "name": "X", "type": "binary"}], rf"X in {LSA}: unknown type 'binary'"),
    ],
)
def test_registry_bad_settings_are_reported_not_raised(settings: Any, text: str) -> None:
    [result] = run("carehard_win_registry_eval", REGISTRY_READ, settings)
    assert (result["ok"], result["text"]) == (False, text)


# ---- 2. auditpol -----------------------------------------------------------------------------------

GUID = {
    "Security State Change": "{0CCE9210-69AE-11D9-BED3-505054503030}",
    "System Integrity": "{0CCE9212-69AE-11D9-BED3-505054503030}",
    "Logon": "{0CCE9215-69AE-11D9-BED3-505054503030}",
    "Logoff": "{0CCE9216-69AE-11D9-BED3-505054503030}",
    "Account Lockout": "{0CCE9217-69AE-11D9-BED3-505054503030}",
    "Special Logon": "{0CCE921B-69AE-11D9-BED3-505054503030}",
    "Other Logon/Logoff Events": "{0CCE921C-69AE-11D9-BED3-505054503030}",
    "Process Creation": "{0CCE922B-69AE-11D9-BED3-505054503030}",
    "User Account Management": "{0CCE9235-69AE-11D9-BED3-505054503030}",
    "Security Group Management": "{0CCE9237-69AE-11D9-BED3-505054503030}",
    "Credential Validation": "{0CCE923F-69AE-11D9-BED3-505054503030}",
}
HEADER = (
    "Machine Name,Policy Target,Subsystem,Subcategory,Subcategory GUID,Inclusion Setting,Exclusion Setting"
)


def auditpol_report(machine: str, rows: list[tuple[str, str, str]]) -> str:
    """auditpol /r: the header, one line per subcategory, CRLF line ends, an empty line at the end."""
    lines = [HEADER] + [f"{machine},System,,{name},{GUID[key]},{setting}," for key, name, setting in rows]
    return "\r\n".join(lines) + "\r\n\r\n"


# The default audit policy of a Windows 11 workstation, in category order.
AUDITPOL_EN = auditpol_report(
    "POSTE-RADIO-01",
    [
        ("Security State Change", "Security State Change", "Success"),
        ("System Integrity", "System Integrity", "Success and Failure"),
        ("Logon", "Logon", "Success and Failure"),
        ("Logoff", "Logoff", "Success"),
        ("Account Lockout", "Account Lockout", "Success"),
        ("Special Logon", "Special Logon", "Success"),
        ("Other Logon/Logoff Events", "Other Logon/Logoff Events", "No Auditing"),
        ("Process Creation", "Process Creation", "No Auditing"),
        ("User Account Management", "User Account Management", "Success"),
        ("Security Group Management", "Security Group Management", "Success"),
        ("Credential Validation", "Credential Validation", "No Auditing"),
    ],
)
# A French workstation, output saved with a BOM: names and settings translated, GUIDs not.
AUDITPOL_FR = "\ufeff" + auditpol_report(
    "POSTE-URG-02",
    [
        ("Security State Change", "Modification de l\u2019état de la sécurité", "Succès"),
        ("System Integrity", "Intégrité du système", "Succès et échec"),
        ("Logon", "Ouvrir la session", "Succès et échec"),
        ("Logoff", "Fermer la session", "Succès"),
        ("Account Lockout", "Verrouillage du compte", "Échec"),
        ("Special Logon", "Ouverture de session spéciale", "Succès"),
        ("Process Creation", "Création du processus", "Pas d\u2019audit"),
        ("User Account Management", "Gestion des comptes d\u2019utilisateur", "Succès et échec"),
        ("Security Group Management", "Gestion des groupes de sécurité", "Succès"),
        ("Credential Validation", "Validation des informations d\u2019identification", "Échec"),
    ],
)


def test_auditpol_reads_the_english_report() -> None:
    policy = run("carehard_win_auditpol", AUDITPOL_EN)
    assert sorted(policy) == sorted(GUID.values())
    assert policy[GUID["Logon"]] == {
        "subcategory": "Logon",
        "success": True,
        "failure": True,
        "setting": "Success and Failure",
    }
    assert policy[GUID["Credential Validation"]] == {
        "subcategory": "Credential Validation",
        "success": False,
        "failure": False,
        "setting": "No Auditing",
    }
    assert (policy[GUID["Logoff"]]["success"], policy[GUID["Logoff"]]["failure"]) == (True, False)
    assert round_trips(policy)


def test_auditpol_reads_the_french_report() -> None:
    policy = run("carehard_win_auditpol", AUDITPOL_FR)
    assert len(policy) == 10
    assert policy[GUID["Logon"]] == {
        "subcategory": "Ouvrir la session",
        "success": True,
        "failure": True,
        "setting": "Succès et échec",
    }
    assert policy[GUID["Process Creation"]] == {
        "subcategory": "Création du processus",
        "success": False,
        "failure": False,
        "setting": "Pas d\u2019audit",
    }
    assert policy[GUID["Account Lockout"]]["failure"] is True
    assert policy[GUID["Account Lockout"]]["success"] is False
    # The BOM did not stick to the header, so the first subcategory is there too.
    assert (
        policy[GUID["Security State Change"]]["subcategory"] == "Modification de l\u2019état de la sécurité"
    )


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("No Auditing", (False, False)),
        ("Success", (True, False)),
        ("Failure", (False, True)),
        ("Success and Failure", (True, True)),
        ("  success AND failure ", (True, True)),
        ("Pas d'audit", (False, False)),
        ("Pas d\u2019audit", (False, False)),
        ("Succès", (True, False)),
        ("Échec", (False, True)),
        ("Succès et échec", (True, True)),
        ("Keine Überwachung", (False, False)),
        ("Erfolg", (True, False)),
        ("Fehler", (False, True)),
        ("Erfolg und Fehler", (True, True)),
        ("Correcto y error", (None, None)),
        ("", (None, None)),
    ],
)
def test_auditpol_inclusion_setting_words(setting: str, expected: tuple[bool | None, bool | None]) -> None:
    text = f"{HEADER}\r\nPC,System,,Logon,{GUID['Logon']},{setting},\r\n"
    entry = run("carehard_win_auditpol", text)[GUID["Logon"]]
    assert (entry["success"], entry["failure"]) == expected
    assert entry["setting"] == setting.strip()


def test_auditpol_ignores_the_header_text_and_upper_cases_the_guid() -> None:
    header = "Nom de l'ordinateur,Cible de stratégie,Sous-système,Sous-catégorie,GUID,Inclusion,Exclusion"
    text = f"{header}\r\nPC,System,,Ouvrir la session,{{0cce9215-69ae-11d9-bed3-505054503030}},Succès,\r\n"
    assert run("carehard_win_auditpol", text) == {
        GUID["Logon"]: {
            "subcategory": "Ouvrir la session",
            "success": True,
            "failure": False,
            "setting": "Succès",
        }
    }


def test_auditpol_takes_stdout_lines_and_a_utf16_output_misread_as_utf8() -> None:
    policy = run("carehard_win_auditpol", AUDITPOL_EN)
    assert run("carehard_win_auditpol", AUDITPOL_EN.splitlines()) == policy
    misread = AUDITPOL_EN.encode("utf-16-le").decode("utf-8", "replace")
    assert run("carehard_win_auditpol", misread) == policy


@pytest.mark.parametrize("text", [None, "", "\r\n", "Le fichier est introuvable.", HEADER, 42, {"a": 1}])
def test_auditpol_nothing_usable_gives_an_empty_policy(text: Any) -> None:
    assert run("carehard_win_auditpol", text) == {}


# ---- 3. audit evaluation ---------------------------------------------------------------------------

WANTED = [
    {
        "guid": GUID["Credential Validation"],
        "name": "Credential Validation",
        "success": True,
        "failure": True,
    },
    {"guid": GUID["Logon"], "name": "Logon", "success": True, "failure": True},
    {"guid": GUID["Logoff"], "name": "Logoff", "success": True, "failure": False},
    {"guid": GUID["Account Lockout"], "name": "Account Lockout", "success": False, "failure": True},
    {"guid": GUID["Special Logon"], "name": "Special Logon", "success": True, "failure": False},
    {"guid": GUID["Process Creation"], "name": "Process Creation", "success": True, "failure": False},
    {
        "guid": GUID["User Account Management"],
        "name": "User Account Management",
        "success": True,
        "failure": True,
    },
    {
        "guid": GUID["Security Group Management"],
        "name": "Security Group Management",
        "success": True,
        "failure": False,
    },
]


def test_audit_eval_on_the_english_default_policy() -> None:
    results = run("carehard_win_audit_eval", run("carehard_win_auditpol", AUDITPOL_EN), WANTED)
    assert [(r["ok"], r["set_success"], r["set_failure"]) for r in results] == [
        (False, True, True),
        (True, False, False),
        (True, False, False),
        (False, False, True),
        (True, False, False),
        (False, True, False),
        (False, False, True),
        (True, False, False),
    ]
    assert [r["text"] for r in results] == [
        "Credential Validation: No Auditing (expected Success and Failure)",
        "Logon: Success and Failure",
        "Logoff: Success",
        "Account Lockout: Success (expected Failure)",
        "Special Logon: Success",
        "Process Creation: No Auditing (expected Success)",
        "User Account Management: Success (expected Success and Failure)",
        "Security Group Management: Success",
    ]
    assert [r["have"] for r in results][:2] == ["No Auditing", "Success and Failure"]
    assert results[1]["guid"] == GUID["Logon"]
    assert all(round_trips(r) for r in results)


def test_audit_eval_on_the_french_policy_and_on_the_raw_text() -> None:
    results = run("carehard_win_audit_eval", run("carehard_win_auditpol", AUDITPOL_FR), WANTED)
    assert [r["ok"] for r in results] == [False, True, True, True, True, False, True, True]
    assert results[0]["text"] == "Credential Validation: Failure (expected Success and Failure)"
    assert (results[0]["set_success"], results[0]["set_failure"]) == (True, False)
    assert results[3]["have"] == "Échec"
    assert run("carehard_win_audit_eval", AUDITPOL_FR, WANTED) == results


def test_audit_eval_unrecognised_setting_asks_for_everything_wanted() -> None:
    text = f"{HEADER}\r\nPC,System,,Inicio de sesión,{GUID['Logon']},Correcto y error,\r\n"
    [result] = run("carehard_win_audit_eval", text, WANTED[1:2])
    assert result == {
        "guid": GUID["Logon"],
        "name": "Logon",
        "have": "Correcto y error",
        "set_success": True,
        "set_failure": True,
        "ok": False,
        "text": "Logon: unrecognised setting 'Correcto y error'",
    }


def test_audit_eval_subcategory_missing_from_the_output() -> None:
    text = f"{HEADER}\r\nPC,System,,Logoff,{GUID['Logoff']},Success,\r\n"
    [result] = run("carehard_win_audit_eval", text, WANTED[1:2])
    assert (result["ok"], result["have"], result["set_success"], result["set_failure"]) == (
        False,
        "absent",
        True,
        True,
    )
    assert result["text"] == "Logon: absent from the auditpol output (expected Success and Failure)"


@pytest.mark.parametrize(
    ("parsed", "reason"),
    [
        (None, "auditpol output empty or unreadable"),
        ("", "auditpol output empty or unreadable"),
        ({}, "auditpol output empty or unreadable"),
        ({"error": "Accès refusé."}, "Accès refusé."),
    ],
)
def test_audit_eval_without_a_policy(parsed: Any, reason: str) -> None:
    results = run("carehard_win_audit_eval", parsed, WANTED[:2])
    assert [r["text"] for r in results] == [
        f"Credential Validation: not reported ({reason})",
        f"Logon: not reported ({reason})",
    ]
    assert [(r["ok"], r["set_success"], r["set_failure"]) for r in results] == [(False, True, True)] * 2


@pytest.mark.parametrize(
    ("wanted", "text"),
    [("Logon", "audit entry 'Logon': expected a mapping"), ([7], "audit entry 7: expected a mapping")],
)
def test_audit_eval_bad_wanted_entries(wanted: Any, text: str) -> None:
    [result] = run("carehard_win_audit_eval", AUDITPOL_EN, wanted)
    assert (result["ok"], result["text"]) == (False, text)


# ---- 4. BitLocker ----------------------------------------------------------------------------------

FAKE_RECOVERY_PASSWORD = "000000-111111-222222-333333-444444-555555-666666-777777"
# Get-BitLockerVolume -MountPoint C: | ConvertTo-Json -Depth 3 -Compress, wrapped by the probe (5.1).
BITLOCKER_PS51 = (
    '{"mount":"C:","volume":{"ComputerName":"POSTE-RADIO-01","MountPoint":"C:","EncryptionMethod":7,'
    '"AutoUnlockEnabled":null,"AutoUnlockKeyStored":false,"MetadataVersion":2,"VolumeStatus":1,'
    '"ProtectionStatus":1,"LockStatus":0,"EncryptionPercentage":100,"WipePercentage":0,"CapacityGB":475.7987,'
    '"KeyProtector":[{"KeyProtectorId":"{8A1F2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D}","AutoUnlockProtector":null,'
    '"KeyProtectorType":1,"KeyFileName":"","RecoveryPassword":"","KeyCertificateType":null,"Thumbprint":""},'
    '{"KeyProtectorId":"{1B2C3D4E-5F6A-4B7C-8D9E-0F1A2B3C4D5E}","AutoUnlockProtector":null,'
    f'"KeyProtectorType":3,"KeyFileName":"","RecoveryPassword":"{FAKE_RECOVERY_PASSWORD}",'
    '"KeyCertificateType":null,"Thumbprint":""}]},"error":null}'
)
# The same under PowerShell 7 with -EnumsAsStrings.
BITLOCKER_PS7 = (
    '{"mount":"C:","volume":{"ComputerName":"POSTE-RADIO-01","MountPoint":"C:","EncryptionMethod":"XtsAes256",'
    '"VolumeStatus":"FullyEncrypted","ProtectionStatus":"On","LockStatus":"Unlocked","EncryptionPercentage":100,'
    '"KeyProtector":[{"KeyProtectorType":"Tpm"},{"KeyProtectorType":"RecoveryPassword"}]},"error":null}'
)
BITLOCKER_ON = {
    "available": True,
    "mount": "C:",
    "protection": "On",
    "status": "FullyEncrypted",
    "method": "XtsAes256",
    "percentage": 100,
    "protectors": ["Tpm", "RecoveryPassword"],
    "ok": True,
    "text": "C: protection On, FullyEncrypted (XtsAes256, 100%), protectors Tpm, RecoveryPassword",
}


@pytest.mark.parametrize("probe", [BITLOCKER_PS51, BITLOCKER_PS7], ids=["ps51", "ps7"])
def test_bitlocker_protected_volume(probe: str) -> None:
    assert run("carehard_win_bitlocker", probe) == BITLOCKER_ON


def test_bitlocker_never_passes_the_recovery_password_on() -> None:
    result = run("carehard_win_bitlocker", BITLOCKER_PS51)
    assert FAKE_RECOVERY_PASSWORD not in json.dumps(result)


def test_bitlocker_protectors_printed_as_their_names_when_depth_runs_out() -> None:
    """With a smaller -Depth, 5.1 prints each protector as its ToString(): the type name."""
    probe = {
        "mount": "C:",
        "volume": {"MountPoint": "C:", "ProtectionStatus": 1, "KeyProtector": ["Tpm", "RecoveryPassword"]},
    }
    assert run("carehard_win_bitlocker", probe)["protectors"] == ["Tpm", "RecoveryPassword"]


@pytest.mark.parametrize(
    ("volume", "text"),
    [
        (
            {
                "MountPoint": "C:",
                "EncryptionMethod": 6,
                "VolumeStatus": 4,
                "ProtectionStatus": 0,
                "EncryptionPercentage": 42.7,
                "KeyProtector": [{"KeyProtectorType": 1}],
            },
            "C: protection Off, EncryptionPaused (XtsAes128, 43%), protectors Tpm",
        ),
        (
            {
                "MountPoint": "C:",
                "EncryptionMethod": "XtsAes128",
                "VolumeStatus": "EncryptionSuspended",
                "ProtectionStatus": "Off",
                "EncryptionPercentage": 42.7,
                "KeyProtector": {"KeyProtectorType": "Tpm"},
            },
            "C: protection Off, EncryptionPaused (XtsAes128, 43%), protectors Tpm",
        ),
        (
            {
                "MountPoint": "C:",
                "EncryptionMethod": 0,
                "VolumeStatus": 0,
                "ProtectionStatus": 0,
                "EncryptionPercentage": 0,
                "KeyProtector": [],
            },
            "C: protection Off, FullyDecrypted (None, 0%), protectors none",
        ),
        (
            {
                "MountPoint": "C:",
                "EncryptionMethod": 7,
                "VolumeStatus": 1,
                "ProtectionStatus": 0,
                "EncryptionPercentage": 100,
                "KeyProtector": [{"KeyProtectorType": 1}, {"KeyProtectorType": 3}],
            },
            "C: protection Off, FullyEncrypted (XtsAes256, 100%), protectors Tpm, RecoveryPassword",
        ),
        (
            {
                "MountPoint": "C:",
                "EncryptionMethod": 4,
                "VolumeStatus": 1,
                "ProtectionStatus": 2,
                "EncryptionPercentage": None,
                "KeyProtector": [{"KeyProtectorType": 4}, {"KeyProtectorType": 10}],
            },
            "C: protection Unknown, FullyEncrypted (Aes256, percentage unknown), "
            "protectors TpmPin, AdAccountOrGroup",
        ),
    ],
    ids=["paused-ps51", "paused-ps7-suspended", "decrypted", "suspended-protection", "locked"],
)
def test_bitlocker_volume_not_protected(volume: dict[str, Any], text: str) -> None:
    result = run("carehard_win_bitlocker", {"mount": "C:", "volume": volume, "error": None})
    assert (result["available"], result["ok"], result["text"]) == (True, False, text)


def test_bitlocker_bare_get_bitlockervolume_list_is_accepted() -> None:
    volumes = [
        {"MountPoint": "D:", "ProtectionStatus": 0, "VolumeStatus": 0, "EncryptionMethod": 0},
        json.loads(BITLOCKER_PS51)["volume"],
    ]
    assert run("carehard_win_bitlocker", {"mount": "C:", "volume": volumes})["text"] == BITLOCKER_ON["text"]
    assert run("carehard_win_bitlocker", volumes[1])["text"] == BITLOCKER_ON["text"]


@pytest.mark.parametrize(
    ("probe", "text"),
    [
        (
            '{"mount":"C:","volume":null,"error":"The term \\u0027Get-BitLockerVolume\\u0027 is not '
            'recognized as the name of a cmdlet, function, script file, or operable program."}',
            "BitLocker not available on C: (The term 'Get-BitLockerVolume' is not recognized as the name "
            "of a cmdlet, function, script file, or operable program.)",
        ),
        ('{"mount":"C:","volume":null,"error":null}', "BitLocker not available on C: (no volume reported)"),
        (None, "BitLocker not available on ? (the probe printed nothing)"),
        ("", "BitLocker not available on ? (the probe printed nothing)"),
        (
            "Get-BitLockerVolume : Accès refusé",
            "BitLocker not available on ? (unreadable output 'Get-BitLockerVolume : Accès refusé')",
        ),
        ("[]", "BitLocker not available on ? (no volume in a list)"),
    ],
)
def test_bitlocker_not_available(probe: Any, text: str) -> None:
    result = run("carehard_win_bitlocker", probe)
    assert result == {
        "available": False,
        "mount": result["mount"],
        "protection": None,
        "status": None,
        "method": None,
        "percentage": None,
        "protectors": [],
        "ok": False,
        "text": text,
    }


# ---- 5. Microsoft Defender -------------------------------------------------------------------------

# The probe's object as 5.1 prints it: Get-MpComputerStatus and Get-MpPreference, selected properties.
DEFENDER_PS51 = (
    '{"status":{"AMRunningMode":"Normal","AMServiceEnabled":true,"AntivirusEnabled":true,'
    '"RealTimeProtectionEnabled":true,"IsTamperProtected":true,"AntivirusSignatureAge":1,'
    '"AntivirusSignatureLastUpdated":"\\/Date(1717488387000)\\/","AntivirusSignatureVersion":"1.413.102.0"},'
    '"preference":{"MAPSReporting":2,"SubmitSamplesConsent":1,"DisableRealtimeMonitoring":false},"error":null}'
)
DEFENDER_PS7 = DEFENDER_PS51.replace('"\\/Date(1717488387000)\\/"', '"2024-06-04T10:06:27.1234567+02:00"')
DEFENDER_ACTIVE = {
    "present": True,
    "mode": "Normal",
    "active": True,
    "realtime": True,
    "realtime_text": "real-time protection on",
    "cloud": "Advanced",
    "samples": "SendSafeSamples",
    "cloud_ok": True,
    "cloud_text": "cloud protection Advanced, sample submission SendSafeSamples",
    "signature_age_days": 1,
    "signature_updated": "2024-06-04T08:06:27Z",
    "signature_version": "1.413.102.0",
    "signature_ok": True,
    "signature_text": "antivirus signatures 1 day old (version 1.413.102.0)",
    "tamper": True,
    "text": (
        "Microsoft Defender (Normal): real-time protection on; cloud protection Advanced, sample submission "
        "SendSafeSamples; antivirus signatures 1 day old (version 1.413.102.0); tamper protection on"
    ),
}


@pytest.mark.parametrize("probe", [DEFENDER_PS51, DEFENDER_PS7], ids=["ps51", "ps7"])
def test_defender_active(probe: str) -> None:
    assert run("carehard_win_defender", probe, 7) == DEFENDER_ACTIVE


def defender_probe(**status: Any) -> dict[str, Any]:
    probe = json.loads(DEFENDER_PS51)
    probe["status"].update(status)
    return dict(probe)


def test_defender_passive_mode_does_not_protect() -> None:
    result = run("carehard_win_defender", defender_probe(AMRunningMode="Passive Mode"), 7)
    assert (result["present"], result["mode"], result["active"], result["realtime"]) == (
        True,
        "Passive Mode",
        False,
        False,
    )
    assert result["realtime_text"] == (
        "Microsoft Defender in Passive Mode (another antivirus is active): "
        "real-time protection not provided by Defender"
    )


def test_defender_edr_block_mode_and_not_running() -> None:
    edr = run("carehard_win_defender", defender_probe(AMRunningMode="EDR Block Mode"), 7)
    assert (edr["active"], edr["realtime"]) == (False, False)
    assert edr["realtime_text"].startswith(
        "Microsoft Defender in EDR Block Mode (another antivirus is active)"
    )
    stopped = run("carehard_win_defender", defender_probe(AMRunningMode="Not running"), 7)
    assert stopped["realtime_text"] == (
        "Microsoft Defender antivirus not active (AMRunningMode Not running): "
        "real-time protection not provided by Defender"
    )


@pytest.mark.parametrize(("enabled", "active"), [(True, True), (False, False)])
def test_defender_old_build_without_amrunningmode(enabled: bool, active: bool) -> None:
    probe = defender_probe(AntivirusEnabled=enabled)
    del probe["status"]["AMRunningMode"]
    result = run("carehard_win_defender", probe, 7)
    assert (result["mode"], result["active"], result["realtime"]) == (None, active, active)


def test_defender_realtime_monitoring_disabled() -> None:
    probe = defender_probe(RealTimeProtectionEnabled=False)
    probe["preference"]["DisableRealtimeMonitoring"] = True
    result = run("carehard_win_defender", probe, 7)
    assert (result["realtime"], result["realtime_text"]) == (
        False,
        "real-time protection off (DisableRealtimeMonitoring set)",
    )


@pytest.mark.parametrize(
    ("status", "age", "ok", "text"),
    [
        (
            {"AntivirusSignatureAge": 9},
            9,
            False,
            "antivirus signatures 9 days old (version 1.413.102.0), more than 7 days",
        ),
        ({"AntivirusSignatureAge": 7}, 7, True, "antivirus signatures 7 days old (version 1.413.102.0)"),
        (
            {
                "AntivirusSignatureAge": 65535,
                "AntivirusSignatureLastUpdated": None,
                "AntivirusSignatureVersion": "0.0.0.0",
            },
            None,
            False,
            "antivirus signatures never updated",
        ),
        ({"AntivirusSignatureAge": None}, None, False, "antivirus signature age not reported"),
    ],
)
def test_defender_signature_age(status: dict[str, Any], age: int | None, ok: bool, text: str) -> None:
    result = run("carehard_win_defender", defender_probe(**status), 7)
    assert (result["signature_age_days"], result["signature_ok"], result["signature_text"]) == (age, ok, text)


@pytest.mark.parametrize(
    "date",
    [
        "\\/Date(1717488387000)\\/",
        "\\/Date(1717488387000+0200)\\/",
        "2024-06-04T08:06:27Z",
        "2024-06-04T10:06:27+02:00",
    ],
)
def test_defender_signature_date_formats(date: str) -> None:
    probe = DEFENDER_PS51.replace("\\/Date(1717488387000)\\/", date)
    assert run("carehard_win_defender", probe, 7)["signature_updated"] == "2024-06-04T08:06:27Z"


def test_defender_signature_date_wrapped_with_displayhint() -> None:
    """A DateTime carrying ETS members is printed by 5.1 as {value, DisplayHint, DateTime}."""
    wrapped = {"value": "/Date(1717488387000)/", "DisplayHint": 2, "DateTime": "mardi 4 juin 2024 10:06:27"}
    result = run("carehard_win_defender", defender_probe(AntivirusSignatureLastUpdated=wrapped), 7)
    assert result["signature_updated"] == "2024-06-04T08:06:27Z"


@pytest.mark.parametrize(
    ("preference", "cloud", "samples", "ok", "text"),
    [
        (
            {"MAPSReporting": 1, "SubmitSamplesConsent": 3},
            "Basic",
            "SendAllSamples",
            True,
            "cloud protection Basic, sample submission SendAllSamples",
        ),
        (
            {"MAPSReporting": 0, "SubmitSamplesConsent": 1},
            "Disabled",
            "SendSafeSamples",
            False,
            "cloud protection Disabled, sample submission SendSafeSamples: cloud-delivered protection off",
        ),
        (
            {"MAPSReporting": 2, "SubmitSamplesConsent": 2},
            "Advanced",
            "NeverSend",
            False,
            "cloud protection Advanced, sample submission NeverSend: samples not sent automatically",
        ),
        (
            {"MAPSReporting": 2, "SubmitSamplesConsent": 0},
            "Advanced",
            "AlwaysPrompt",
            False,
            "cloud protection Advanced, sample submission AlwaysPrompt: samples not sent automatically",
        ),
        (
            {"MAPSReporting": "Advanced", "SubmitSamplesConsent": "SendSafeSamples"},
            "Advanced",
            "SendSafeSamples",
            True,
            "cloud protection Advanced, sample submission SendSafeSamples",
        ),
    ],
)
def test_defender_cloud_protection(
    preference: dict[str, Any], cloud: str, samples: str, ok: bool, text: str
) -> None:
    probe = json.loads(DEFENDER_PS51)
    probe["preference"] = preference
    result = run("carehard_win_defender", probe, 7)
    assert (result["cloud"], result["samples"], result["cloud_ok"], result["cloud_text"]) == (
        cloud,
        samples,
        ok,
        text,
    )


def test_defender_not_available() -> None:
    probe = (
        '{"status":null,"preference":null,"error":"Get-MpComputerStatus : The service cannot be '
        "started, either because it is disabled or because it has no enabled devices associated with it. "
        '(0x80070422)"}'
    )
    result = run("carehard_win_defender", probe, 7)
    assert (
        result["present"],
        result["active"],
        result["realtime"],
        result["cloud_ok"],
        result["signature_ok"],
    ) == (
        False,
        False,
        False,
        False,
        False,
    )
    assert result["text"].startswith("Microsoft Defender not available (Get-MpComputerStatus : The service")
    assert (result["tamper"], result["signature_age_days"], result["samples"]) == (None, None, "unknown")


# ---- 6. Windows Firewall ---------------------------------------------------------------------------

FIREWALL_PS51 = (
    '[{"Name":"Domain","Enabled":1,"DefaultInboundAction":4,"DefaultOutboundAction":2},'
    '{"Name":"Private","Enabled":2,"DefaultInboundAction":0,"DefaultOutboundAction":0},'
    '{"Name":"Public","Enabled":1,"DefaultInboundAction":2,"DefaultOutboundAction":2}]'
)
FIREWALL_PS7 = (
    '[{"Name":"Domain","Enabled":"True","DefaultInboundAction":"Block","DefaultOutboundAction":"Allow"},'
    '{"Name":"Private","Enabled":"NotConfigured","DefaultInboundAction":"NotConfigured",'
    '"DefaultOutboundAction":"NotConfigured"},'
    '{"Name":"Public","Enabled":"True","DefaultInboundAction":"Allow","DefaultOutboundAction":"Allow"}]'
)


@pytest.mark.parametrize("probe", [FIREWALL_PS51, FIREWALL_PS7], ids=["ps51", "ps7"])
def test_firewall_profiles(probe: str) -> None:
    profiles = run("carehard_win_firewall", probe)
    assert [(p["name"], p["enabled"], p["inbound"], p["outbound"], p["ok"]) for p in profiles] == [
        ("Domain", True, "Block", "Allow", True),
        ("Private", True, "Block", "Allow", True),
        ("Public", True, "Allow", "Allow", False),
    ]
    assert [p["text"] for p in profiles] == [
        "Domain: on, inbound Block, outbound Allow",
        "Private: on (not configured: Windows default), inbound Block (not configured: Windows default), "
        "outbound Allow (not configured: Windows default)",
        "Public: on, inbound Allow, outbound Allow",
    ]


@pytest.mark.parametrize("enabled", [0, "False", False])
def test_firewall_profile_off_is_not_ok_even_when_blocking(enabled: Any) -> None:
    profile = {"Name": "Domain", "Enabled": enabled, "DefaultInboundAction": 4, "DefaultOutboundAction": 2}
    [domain, *_] = run("carehard_win_firewall", [profile])
    assert (domain["enabled"], domain["ok"], domain["text"]) == (
        False,
        False,
        "Domain: off, inbound Block, outbound Allow",
    )


def test_firewall_one_profile_collapsed_and_booleans() -> None:
    profiles = run("carehard_win_firewall", {"Name": "Public", "Enabled": True, "DefaultInboundAction": 4})
    assert [(p["ok"], p["text"]) for p in profiles] == [
        (False, "Domain: not reported"),
        (False, "Private: not reported"),
        (True, "Public: on, inbound Block, outbound unknown (unrecognised)"),
    ]


def test_firewall_unrecognised_values_are_not_ok() -> None:
    [domain, *_] = run("carehard_win_firewall", [{"Name": "Domain", "Enabled": 7, "DefaultInboundAction": 9}])
    assert (domain["enabled"], domain["inbound"], domain["ok"]) == (False, "9", False)
    assert (
        domain["text"]
        == "Domain: state 7 unrecognised, inbound 9 (unrecognised), outbound unknown (unrecognised)"
    )


@pytest.mark.parametrize(
    ("probe", "reason"),
    [
        (None, "the probe printed nothing"),
        ('{"error":"Get-NetFirewallProfile : Accès refusé."}', "Get-NetFirewallProfile : Accès refusé."),
        ("[]", "no profile in a list"),
        ('"Domain"', "no profile in 'Domain'"),
    ],
)
def test_firewall_nothing_reported(probe: Any, reason: str) -> None:
    profiles = run("carehard_win_firewall", probe)
    assert [p["text"] for p in profiles] == [
        f"{name}: not reported ({reason})" for name in ("Domain", "Private", "Public")
    ]
    assert [(p["ok"], p["enabled"], p["inbound"]) for p in profiles] == [(False, False, "unknown")] * 3


# ---- 7. built-in accounts --------------------------------------------------------------------------

MACHINE_SID = "S-1-5-21-1004336348-1177238915-682003330"


def sid_object(rid: int) -> str:
    """A SecurityIdentifier as 5.1 prints it under Select-Object with the default -Depth 2."""
    domain = f'{{"BinaryLength":24,"AccountDomainSid":"{MACHINE_SID}","Value":"{MACHINE_SID}"}}'
    return f'{{"BinaryLength":28,"AccountDomainSid":{domain},"Value":"{MACHINE_SID}-{rid}"}}'


# Get-LocalUser | Select-Object Name, Enabled, SID, Description on a French workstation whose
# Administrator was renamed; 5.1 prints "'" as \u0027.
LOCAL_USERS_PS51 = (
    f'[{{"Name":"adm-hopital","Enabled":true,"SID":{sid_object(500)},'
    '"Description":"Compte d\\u0027utilisateur d\\u0027administration"},'
    f'{{"Name":"DefaultAccount","Enabled":false,"SID":{sid_object(503)},'
    '"Description":"Compte utilisateur géré par le système."},'
    f'{{"Name":"Invité","Enabled":false,"SID":{sid_object(501)},'
    '"Description":"Compte d\\u0027utilisateur invité"},'
    f'{{"Name":"WDAGUtilityAccount","Enabled":false,"SID":{sid_object(504)},"Description":""}},'
    f'{{"Name":"infirmier","Enabled":true,"SID":{sid_object(1001)},"Description":""}}]'
)


def test_builtin_accounts_found_by_rid_whatever_their_name() -> None:
    result = run("carehard_win_builtin_accounts", LOCAL_USERS_PS51)
    assert result == {
        "administrator": {"name": "adm-hopital", "enabled": True, "sid": f"{MACHINE_SID}-500"},
        "guest": {"name": "Invité", "enabled": False, "sid": f"{MACHINE_SID}-501"},
        "known": True,
        "text": "administrator account adm-hopital enabled; guest account Invité disabled",
    }


def test_builtin_accounts_sid_as_string_and_one_user_collapsed() -> None:
    result = run(
        "carehard_win_builtin_accounts",
        {"Name": "Administrator", "Enabled": "False", "SID": f"{MACHINE_SID}-500"},
    )
    assert result["administrator"] == {"name": "Administrator", "enabled": False, "sid": f"{MACHINE_SID}-500"}
    assert result["guest"] is None
    assert (
        result["text"]
        == "administrator account Administrator disabled; no local guest account (RID 501) reported"
    )


def test_builtin_accounts_ignore_well_known_and_foreign_sids() -> None:
    users = [
        {"Name": "x", "Enabled": True, "SID": "S-1-5-32-544"},
        {"Name": "y", "Enabled": True, "SID": f"{MACHINE_SID}-5001"},
        {"Name": "w", "Enabled": True, "SID": f"{MACHINE_SID}-1500"},
        {"Name": "NT SERVICE", "Enabled": True, "SID": "S-1-5-80-500"},
        {"Name": "z", "Enabled": True, "SID": {"Value": None}},
    ]
    result = run("carehard_win_builtin_accounts", users)
    assert (result["administrator"], result["guest"]) == (None, None)


@pytest.mark.parametrize(
    ("probe", "text"),
    [
        (None, "local users not reported (the probe printed nothing)"),
        ("[]", "local users not reported (no user in a list)"),
        (
            '{"error":"Get-LocalUser : The term \\u0027Get-LocalUser\\u0027 is not recognized"}',
            "local users not reported (Get-LocalUser : The term 'Get-LocalUser' is not recognized)",
        ),
    ],
)
def test_builtin_accounts_not_reported(probe: Any, text: str) -> None:
    assert run("carehard_win_builtin_accounts", probe) == {
        "administrator": None,
        "guest": None,
        "known": False,
        "text": text,
    }


# ---- 8. Credential Guard ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("probe", "expected"),
    [
        (
            '{"SecurityServicesConfigured":[1,2],"SecurityServicesRunning":[1,2],'
            '"VirtualizationBasedSecurityStatus":2,"error":null}',
            (True, True, "running", True, "Credential Guard running (VBS running, memory integrity running)"),
        ),
        (
            '{"SecurityServicesConfigured":1,"SecurityServicesRunning":0,"VirtualizationBasedSecurityStatus":1,"error":null}',
            (
                False,
                True,
                "enabled, not running",
                False,
                "Credential Guard configured but not running "
                "(VBS enabled, not running, memory integrity not running)",
            ),
        ),
        (
            '{"SecurityServicesConfigured":[1,2],"SecurityServicesRunning":[2],'
            '"VirtualizationBasedSecurityStatus":2,"error":null}',
            (
                False,
                True,
                "running",
                True,
                "Credential Guard configured but not running (VBS running, memory integrity running)",
            ),
        ),
        (
            '{"SecurityServicesConfigured":[0],"SecurityServicesRunning":null,"VirtualizationBasedSecurityStatus":0,"error":null}',
            (
                False,
                False,
                "off",
                False,
                "Credential Guard not configured (VBS off, memory integrity not running)",
            ),
        ),
        (
            '{"SecurityServicesConfigured":["CredentialGuard"],"SecurityServicesRunning":["CredentialGuard",'
            '"HypervisorEnforcedCodeIntegrity"],"VirtualizationBasedSecurityStatus":"Running","error":null}',
            (True, True, "running", True, "Credential Guard running (VBS running, memory integrity running)"),
        ),
    ],
    ids=["running-ps51", "configured-scalars", "hvci-only", "off", "names"],
)
def test_credential_guard(probe: str, expected: tuple[bool, bool, str, bool, str]) -> None:
    result = run("carehard_win_credential_guard", probe)
    assert result["available"] is True
    assert (
        result["running"],
        result["configured"],
        result["vbs"],
        result["hvci_running"],
        result["text"],
    ) == expected
    assert result["ok"] is result["running"]


@pytest.mark.parametrize(
    ("probe", "reason"),
    [
        (
            '{"error":"Get-CimInstance : Espace de noms non valide "}',
            "Get-CimInstance : Espace de noms non valide",
        ),
        ("", "the probe printed nothing"),
        ('{"Name":"x"}', "unexpected an object"),
    ],
)
def test_credential_guard_not_available(probe: str, reason: str) -> None:
    assert run("carehard_win_credential_guard", probe) == {
        "available": False,
        "running": False,
        "configured": False,
        "vbs": "unknown",
        "hvci_running": False,
        "ok": False,
        "text": f"Device Guard status not available ({reason})",
    }


# ---- 9. optional features --------------------------------------------------------------------------

# Get-WindowsOptionalFeature -Online | ForEach-Object { @{name = $_.FeatureName; state = $_.State} }: under
# 5.1 the State enum (Microsoft.Dism.Commands.FeatureState) is printed as its integer.
FEATURES_PS51 = (
    '[{"name":"SMB1Protocol","state":0},{"name":"SMB1Protocol-Client","state":1},'
    '{"name":"MicrosoftWindowsPowerShellV2Root","state":2},{"name":"MicrosoftWindowsPowerShellV2","state":3},'
    '{"name":"TelnetClient","state":6},{"name":"Internet-Explorer-Optional-amd64","state":4},'
    '{"name":"Microsoft-Hyper-V-All","state":5}]'
)
FEATURES_PS7 = (
    '[{"name":"SMB1Protocol","state":"Disabled"},{"name":"SMB1Protocol-Client","state":"DisablePending"},'
    '{"name":"MicrosoftWindowsPowerShellV2Root","state":"Enabled"},'
    '{"name":"MicrosoftWindowsPowerShellV2","state":"EnablePending"},'
    '{"name":"TelnetClient","state":"DisabledWithPayloadRemoved"},'
    '{"name":"Internet-Explorer-Optional-amd64","state":"Superseded"},'
    '{"name":"Microsoft-Hyper-V-All","state":"PartiallyInstalled"}]'
)
FEATURES = {
    "SMB1Protocol": {"state": "Disabled", "enabled": False},
    "SMB1Protocol-Client": {"state": "DisablePending", "enabled": False},
    "MicrosoftWindowsPowerShellV2Root": {"state": "Enabled", "enabled": True},
    "MicrosoftWindowsPowerShellV2": {"state": "EnablePending", "enabled": True},
    "TelnetClient": {"state": "DisabledWithPayloadRemoved", "enabled": False},
    "Internet-Explorer-Optional-amd64": {"state": "Superseded", "enabled": False},
    "Microsoft-Hyper-V-All": {"state": "PartiallyInstalled", "enabled": True},
}


@pytest.mark.parametrize("probe", [FEATURES_PS51, FEATURES_PS7], ids=["ps51", "ps7"])
def test_features_states(probe: str) -> None:
    assert run("carehard_win_features", probe) == FEATURES


def test_features_one_feature_collapsed_and_raw_cmdlet_names() -> None:
    assert run("carehard_win_features", '{"name":"SMB1Protocol","state":2}') == {
        "SMB1Protocol": {"state": "Enabled", "enabled": True}
    }
    raw = [
        {"FeatureName": "TFTP", "State": "Disable Pending"},
        {"FeatureName": "TelnetClient", "State": "Installed"},
    ]
    assert run("carehard_win_features", raw) == {
        "TFTP": {"state": "DisablePending", "enabled": False},
        "TelnetClient": {"state": "Enabled", "enabled": True},
    }


def test_features_windows_server_get_windowsfeature() -> None:
    probe = (
        '[{"name":"FS-SMB1","installed":false},{"name":"Telnet-Client","installed":true},'
        '{"name":"TFTP-Client","installed":null}]'
    )
    assert run("carehard_win_features", probe) == {
        "FS-SMB1": {"state": "Disabled", "enabled": False},
        "Telnet-Client": {"state": "Enabled", "enabled": True},
        "TFTP-Client": {"state": "unknown", "enabled": False},
    }


def test_features_unrecognised_state() -> None:
    assert run("carehard_win_features", [{"name": "SMB1Protocol", "state": 9}]) == {
        "SMB1Protocol": {"state": "unknown (9)", "enabled": False}
    }


@pytest.mark.parametrize(
    "probe", [None, "", "[]", '{"error":"Get-WindowsOptionalFeature : Accès refusé."}', "x", 3]
)
def test_features_nothing_reported(probe: Any) -> None:
    assert run("carehard_win_features", probe) == {}


# ---- 10. LAPS --------------------------------------------------------------------------------------

LAPS_GPO = r"HKLM:\Software\Microsoft\Windows\CurrentVersion\Policies\LAPS"
LAPS_CSP = r"HKLM:\Software\Microsoft\Policies\LAPS"


@pytest.mark.parametrize(
    ("probe", "ok", "kind", "text"),
    [
        (
            r'{"windows_laps":{"BackupDirectory":2,"path":"HKLM:\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\LAPS"},'
            r'"legacy":{"installed":false,"AdmPwdEnabled":null}}',
            True,
            "windows_laps_ad",
            f"Windows LAPS backs the password up to Active Directory (policy {LAPS_GPO})",
        ),
        (
            r'{"windows_laps":{"BackupDirectory":1,"path":"HKLM:\\Software\\Microsoft\\Policies\\LAPS"},"legacy":null}',
            True,
            "windows_laps_entra",
            f"Windows LAPS backs the password up to Microsoft Entra ID (policy {LAPS_CSP})",
        ),
        (
            '{"windows_laps":null,"legacy":{"installed":true,"AdmPwdEnabled":1}}',
            True,
            "legacy_laps",
            "legacy Microsoft LAPS installed and enabled",
        ),
        (
            '{"windows_laps":null,"legacy":{"installed":false,"AdmPwdEnabled":null}}',
            False,
            None,
            "no LAPS: Windows LAPS policy not configured, legacy LAPS (AdmPwd) not installed",
        ),
        (
            r'{"windows_laps":{"BackupDirectory":0,"path":"HKLM:\\Software\\Microsoft\\Policies\\LAPS"},'
            r'"legacy":{"installed":true,"AdmPwdEnabled":0}}',
            False,
            None,
            f"no LAPS: Windows LAPS policy in {LAPS_CSP} sets BackupDirectory 0 (password not backed up), "
            "legacy LAPS (AdmPwd) installed but not enabled (AdmPwdEnabled 0)",
        ),
        (
            '{"windows_laps":{"BackupDirectory":null,"path":null},"legacy":{"installed":true,"AdmPwdEnabled":null}}',
            False,
            None,
            "no LAPS: Windows LAPS policy not configured, legacy LAPS (AdmPwd) installed but not enabled "
            "(AdmPwdEnabled unset)",
        ),
        (
            "{}",
            False,
            None,
            "no LAPS: Windows LAPS policy not reported, legacy LAPS (AdmPwd) state not reported",
        ),
        (None, False, None, "LAPS state not reported (the probe printed nothing)"),
        ('{"error":"Accès refusé"}', False, None, "LAPS state not reported (Accès refusé)"),
        ("[1]", False, None, "LAPS state not reported (unexpected a list)"),
    ],
    ids=["ad", "entra", "legacy", "none", "disabled", "unset", "empty", "nothing", "error", "list"],
)
def test_laps(probe: Any, ok: bool, kind: str | None, text: str) -> None:
    assert run("carehard_win_laps", probe) == {"ok": ok, "kind": kind, "text": text}


# ---- 11. NetBIOS over TCP/IP -----------------------------------------------------------------------

NBT_ETHERNET = "Tcpip_{4D36E972-E325-11CE-BFC1-08002BE10318}"
NBT_WIFI = "Tcpip_{9A3C5E71-2B4D-4F8A-9C1E-7D6B0A2F3E45}"


def test_netbios_disabled_everywhere_with_p_node() -> None:
    probe = (
        f'{{"node_type":2,"interfaces":[{{"name":"{NBT_ETHERNET}","options":2}},'
        f'{{"name":"{NBT_WIFI}","options":2}}]}}'
    )
    result = run("carehard_win_netbios", probe)
    assert (result["ok"], result["node_ok"], result["node_type"], result["fix"]) == (True, True, 2, [])
    assert result["text"] == "NetBIOS over TCP/IP disabled on 2 interfaces; NodeType 2 (P-node)"
    assert result["interfaces"][0] == {
        "name": NBT_ETHERNET,
        "options": 2,
        "ok": True,
        "text": f"{NBT_ETHERNET}: NetbiosOptions 2 (disabled)",
    }


def test_netbios_one_interface_collapsed_from_dhcp_and_node_unset() -> None:
    probe = f'{{"node_type":null,"interfaces":{{"name":"{NBT_WIFI}","options":0}}}}'
    result = run("carehard_win_netbios", probe)
    assert (result["ok"], result["node_ok"], result["fix"]) == (False, False, [NBT_WIFI])
    assert result["interfaces"][0]["text"] == f"{NBT_WIFI}: NetbiosOptions 0 (default: from DHCP)"
    assert result["text"] == (
        f"NetBIOS over TCP/IP not disabled on {NBT_WIFI}; NodeType unset (broadcast name resolution allowed)"
    )


def test_netbios_node_type_wrong_and_options_unset() -> None:
    result = run(
        "carehard_win_netbios", {"node_type": 8, "interfaces": [{"name": NBT_ETHERNET, "options": None}]}
    )
    assert (result["ok"], result["node_ok"], result["fix"]) == (False, False, [NBT_ETHERNET])
    assert result["text"] == f"NetBIOS over TCP/IP not disabled on {NBT_ETHERNET}; NodeType 8 (H-node)"


@pytest.mark.parametrize(
    ("probe", "text"),
    [
        ('{"node_type":2,"interfaces":[]}', "no NetBT interface reported; NodeType 2 (P-node)"),
        (None, "NetBIOS state not reported (the probe printed nothing)"),
        ('{"error":"Accès refusé"}', "NetBIOS state not reported (Accès refusé)"),
        ('"2"', "NetBIOS state not reported (unexpected '2')"),
    ],
)
def test_netbios_nothing_to_judge(probe: Any, text: str) -> None:
    result = run("carehard_win_netbios", probe)
    assert (result["ok"], result["fix"], result["text"]) == (False, [], text)


# ---- every filter, degraded input ------------------------------------------------------------------

CALLS: dict[str, Callable[[Any], Any]] = {
    "carehard_win_registry_eval": lambda x: run("carehard_win_registry_eval", x, SETTINGS),
    "carehard_win_auditpol": lambda x: run("carehard_win_auditpol", x),
    "carehard_win_audit_eval": lambda x: run("carehard_win_audit_eval", x, WANTED),
    "carehard_win_bitlocker": lambda x: run("carehard_win_bitlocker", x),
    "carehard_win_defender": lambda x: run("carehard_win_defender", x, 7),
    "carehard_win_firewall": lambda x: run("carehard_win_firewall", x),
    "carehard_win_builtin_accounts": lambda x: run("carehard_win_builtin_accounts", x),
    "carehard_win_credential_guard": lambda x: run("carehard_win_credential_guard", x),
    "carehard_win_features": lambda x: run("carehard_win_features", x),
    "carehard_win_laps": lambda x: run("carehard_win_laps", x),
    "carehard_win_netbios": lambda x: run("carehard_win_netbios", x),
}


def is_unknown(name: str, result: Any) -> bool:
    """The filter's "unknown / unavailable" shape, with a text where the shape has one."""
    if name in ("carehard_win_auditpol", "carehard_win_features"):
        return bool(result == {})
    if isinstance(result, list):
        return bool(result) and all(item["ok"] is False and item["text"] for item in result)
    flags = {
        "carehard_win_bitlocker": ("available", "ok"),
        "carehard_win_defender": ("present", "active", "realtime", "cloud_ok", "signature_ok"),
        "carehard_win_credential_guard": ("available", "running", "ok"),
        "carehard_win_laps": ("ok",),
        "carehard_win_netbios": ("ok", "node_ok"),
        "carehard_win_builtin_accounts": ("administrator", "guest"),
    }[name]
    return all(not result[flag] for flag in flags) and bool(result["text"])


DEGRADED = [None, "", " \r\n", "\ufeff", "{not json", "null", "[]", "{}", "42", 42, [1, "x"], object()]
DEGRADED += [{"error": "Accès refusé."}, '{"error":"Access is denied."}', b"", "\x00\x00"]


def probe_id(probe: Any) -> str:
    return "object()" if type(probe) is object else f"{type(probe).__name__}:{probe!r}"


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("probe", DEGRADED, ids=probe_id)
def test_degraded_input_gives_unknown_with_a_text(name: str, probe: Any) -> None:
    result = CALLS[name](probe)
    assert is_unknown(name, result), result
    assert round_trips(result)


# ---- through Jinja2, as Ansible renders them -------------------------------------------------------

NETBIOS_PROBE = {
    "node_type": 2,
    "interfaces": [{"name": NBT_ETHERNET, "options": 2}, {"name": NBT_WIFI, "options": 0}],
}
JINJA_CASES = [
    (
        "{{ read | carehard_win_registry_eval(settings) | map(attribute='ok') | list }}",
        "[True, False, False, False, True, False, False, True, False, False, True]",
    ),
    ("{{ (audit | carehard_win_auditpol)[logon].setting }}", "Success and Failure"),
    (
        "{{ audit | carehard_win_auditpol | carehard_win_audit_eval(wanted) | rejectattr('ok')"
        " | map(attribute='name') | join(', ') }}",
        "Credential Validation, Account Lockout, Process Creation, User Account Management",
    ),
    ("{{ (bitlocker | carehard_win_bitlocker).text }}", BITLOCKER_ON["text"]),
    ("{{ (defender | carehard_win_defender(7)).signature_updated }}", "2024-06-04T08:06:27Z"),
    (
        "{{ firewall | carehard_win_firewall | selectattr('ok') | map(attribute='name') | join(',') }}",
        "Domain,Private",
    ),
    ("{{ (users | carehard_win_builtin_accounts).administrator.name }}", "adm-hopital"),
    ("{{ (guard | carehard_win_credential_guard).vbs }}", "enabled, not running"),
    ("{{ (features | carehard_win_features)['MicrosoftWindowsPowerShellV2Root'].enabled }}", "True"),
    ("{{ (laps | carehard_win_laps).kind }}", "legacy_laps"),
    ("{{ (nbt | carehard_win_netbios).fix | join(',') }}", NBT_WIFI),
]


@pytest.mark.parametrize(
    ("template", "expected"), JINJA_CASES, ids=[c[0].split("|")[1].split("(")[0].strip() for c in JINJA_CASES]
)
def test_filters_render_through_jinja2(template: str, expected: str) -> None:
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    environment.filters.update(FILTERS)
    variables = {
        "read": REGISTRY_READ,
        "settings": SETTINGS,
        "audit": AUDITPOL_EN,
        "logon": GUID["Logon"],
        "wanted": WANTED,
        "bitlocker": BITLOCKER_PS51,
        "defender": DEFENDER_PS51,
        "firewall": FIREWALL_PS51,
        "users": LOCAL_USERS_PS51,
        "guard": '{"SecurityServicesConfigured":[1],"SecurityServicesRunning":[0],'
        '"VirtualizationBasedSecurityStatus":1}',
        "features": FEATURES_PS51,
        "laps": '{"windows_laps":null,"legacy":{"installed":true,"AdmPwdEnabled":1}}',
        "nbt": NETBIOS_PROBE,
    }
    assert environment.from_string(template).render(**variables) == expected
