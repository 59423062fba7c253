"""RA-WIN-05's matching logic (roles/remote_access/filter_plugins/windows_tools.py): which service and
which uninstall entry is which remote-control tool, which silent uninstall runs, and the evidence.

The samples are the probe's output as Windows PowerShell 5.1 `ConvertTo-Json -Compress` prints it (a
one-element list collapsed to its element, null for none), built from the values these products write:
registry snapshots of their installers (Chocolatey's package tests), winget manifests, the vendors' and
projects' sources and documentation (RustDesk's installer, TigerVNC's Inno Setup script, MeshCentral's
agent page), and LOLRMM's artefact lists (service names and paths).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import jinja2
import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "roles" / "remote_access" / "filter_plugins" / "windows_tools.py"


def load_plugin() -> ModuleType:
    spec = importlib.util.spec_from_file_location("carehard_test_windows_tools", PLUGIN)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


wt = load_plugin()

HKLM64 = r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"
HKLM32 = r"HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall"

# TeamViewer 15 (NSIS installer), alone: both lists collapsed to their only element.
TEAMVIEWER = (
    r'{"services":{"Name":"TeamViewer","DisplayName":"TeamViewer",'
    r'"Program":"C:\\Program Files\\TeamViewer\\TeamViewer_Service.exe","StartMode":"Auto",'
    r'"State":"Running"},'
    r'"uninstall":{"Root":"HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall",'
    r'"PSChildName":"TeamViewer","DisplayName":"TeamViewer","DisplayVersion":"15.52.4",'
    r'"Publisher":"TeamViewer",'
    r'"UninstallString":"\"C:\\Program Files\\TeamViewer\\uninstall.exe\"","QuietUninstallString":"",'
    r'"WindowsInstaller":0}}'
)

# A workstation with AnyDesk (exe), three VNC servers (UltraVNC by Inno Setup, TightVNC and RealVNC by
# MSI), Chrome Remote Desktop's service, a ScreenConnect client and a MeshCentral agent; and what must
# not match: Remote Desktop itself, Routing and Remote Access, Google Update, Google Chrome, an Inno
# Setup install of VS Code.
WORKSTATION = (
    r'{"services":['
    r'{"Name":"AnyDesk","DisplayName":"AnyDesk Service",'
    r'"Program":"C:\\Program Files (x86)\\AnyDesk\\AnyDesk.exe",'
    r'"StartMode":"Auto","State":"Running"},'
    r'{"Name":"chromoting","DisplayName":"Chrome Remote Desktop Service",'
    r'"Program":"C:\\Program Files (x86)\\Google\\Chrome Remote Desktop\\CurrentVersion\\remoting_host.exe",'
    r'"StartMode":"Manual","State":"Stopped"},'
    r'{"Name":"gupdate","DisplayName":"Google Update Service (gupdate)",'
    r'"Program":"C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe","StartMode":"Auto",'
    r'"State":"Stopped"},'
    r'{"Name":"Mesh Agent","DisplayName":"Mesh Agent background service",'
    r'"Program":"C:\\Program Files\\Mesh Agent\\MeshAgent.exe","StartMode":"Auto","State":"Running"},'
    r'{"Name":"RemoteAccess","DisplayName":"Routing and Remote Access",'
    r'"Program":"C:\\Windows\\System32\\svchost.exe",'
    r'"StartMode":"Disabled","State":"Stopped"},'
    r'{"Name":"ScreenConnect Client (5f6010579852e507)",'
    r'"DisplayName":"ScreenConnect Client (5f6010579852e507)",'
    r'"Program":"C:\\Program Files (x86)\\ScreenConnect Client (5f6010579852e507)'
    r'\\ScreenConnect.ClientService.exe",'
    r'"StartMode":"Auto","State":"Running"},'
    r'{"Name":"TermService","DisplayName":"Remote Desktop Services",'
    r'"Program":"C:\\Windows\\System32\\svchost.exe",'
    r'"StartMode":"Manual","State":"Running"},'
    r'{"Name":"tvnserver","DisplayName":"TightVNC Server",'
    r'"Program":"C:\\Program Files\\TightVNC\\tvnserver.exe",'
    r'"StartMode":"Auto","State":"Running"},'
    r'{"Name":"uvnc_service","DisplayName":"uvnc_service",'
    r'"Program":"C:\\Program Files\\uvnc bvba\\UltraVNC\\winvnc.exe",'
    r'"StartMode":"Disabled","State":"Stopped"},'
    r'{"Name":"vncserver","DisplayName":"RealVNC Server",'
    r'"Program":"C:\\Program Files\\RealVNC\\VNC Server\\vncserver.exe","StartMode":"Auto",'
    r'"State":"Running"}],'
    r'"uninstall":['
    r'{"Root":"HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall",'
    r'"PSChildName":"{1287CAD5-7C8D-410D-88B9-0D1EE4A83FF2}_is1",'
    r'"DisplayName":"Microsoft Visual Studio Code Insiders",'
    r'"DisplayVersion":"1.99.0","Publisher":"Microsoft Corporation",'
    r'"UninstallString":"\"C:\\Program Files\\Microsoft VS Code Insiders\\unins000.exe\"",'
    r'"QuietUninstallString":"\"C:\\Program Files\\Microsoft VS Code Insiders\\unins000.exe\" /SILENT",'
    r'"WindowsInstaller":0},'
    r'{"Root":"HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall",'
    r'"PSChildName":"{2981D58E-7F09-3E98-A7EF-62CA313BEEEE}","DisplayName":"Google Chrome",'
    r'"DisplayVersion":"121.0.6167.161","Publisher":"Google LLC",'
    r'"UninstallString":"MsiExec.exe /X{2981D58E-7F09-3E98-A7EF-62CA313BEEEE}","QuietUninstallString":"",'
    r'"WindowsInstaller":1},'
    r'{"Root":"HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall",'
    r'"PSChildName":"{78CA3586-0715-4862-B091-200565E3BC87}","DisplayName":"TightVNC",'
    r'"DisplayVersion":"2.8.85.0",'
    r'"Publisher":"GlavSoft LLC.","UninstallString":"MsiExec.exe /I{78CA3586-0715-4862-B091-200565E3BC87}",'
    r'"QuietUninstallString":"","WindowsInstaller":1},'
    r'{"Root":"HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall",'
    r'"PSChildName":"{CB75A32A-AE23-4A61-B367-543557598E0E}","DisplayName":"RealVNC Server 7.13.1",'
    r'"DisplayVersion":"7.13.1.57","Publisher":"RealVNC",'
    r'"UninstallString":"MsiExec.exe /I{CB75A32A-AE23-4A61-B367-543557598E0E}","QuietUninstallString":"",'
    r'"WindowsInstaller":1},'
    r'{"Root":"HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall","PSChildName":"Ultravnc2_is1",'
    r'"DisplayName":"UltraVNC","DisplayVersion":"1.6.4.0","Publisher":"uvnc bvba",'
    r'"UninstallString":"\"C:\\Program Files\\uvnc bvba\\UltraVNC\\unins000.exe\"",'
    r'"QuietUninstallString":"\"C:\\Program Files\\uvnc bvba\\UltraVNC\\unins000.exe\" /SILENT",'
    r'"WindowsInstaller":0},'
    r'{"Root":"HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall",'
    r'"PSChildName":"AnyDesk",'
    r'"DisplayName":"AnyDesk","DisplayVersion":"9.0.4","Publisher":"AnyDesk Software GmbH",'
    r'"UninstallString":"\"C:\\Program Files (x86)\\AnyDesk\\AnyDesk.exe\" --uninstall",'
    r'"QuietUninstallString":"",'
    r'"WindowsInstaller":0},'
    r'{"Root":"HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall",'
    r'"PSChildName":"{DAFDC526-E09C-461A-9F8D-D6B9A3C5BF54}",'
    r'"DisplayName":"ScreenConnect Client (5f6010579852e507)",'
    r'"DisplayVersion":"","Publisher":"ScreenConnect Software",'
    r'"UninstallString":"MsiExec.exe /X{DAFDC526-E09C-461A-9F8D-D6B9A3C5BF54}","QuietUninstallString":"",'
    r'"WindowsInstaller":1}]}'
)

# RustDesk (its own installer: `"<exe>" --uninstall`, WindowsInstaller 0) and the AnyDesk MSI; the one
# service collapsed to the object.
RUSTDESK_ANYDESK_MSI = (
    r'{"services":{"Name":"RustDesk","DisplayName":"RustDesk Service",'
    r'"Program":"C:\\Program Files\\RustDesk\\rustdesk.exe","StartMode":"Auto","State":"Running"},'
    r'"uninstall":['
    r'{"Root":"HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall","PSChildName":"RustDesk",'
    r'"DisplayName":"RustDesk","DisplayVersion":"1.4.4","Publisher":"RustDesk",'
    r'"UninstallString":"\"C:\\Program Files\\RustDesk\\rustdesk.exe\" --uninstall",'
    r'"QuietUninstallString":"",'
    r'"WindowsInstaller":0},'
    r'{"Root":"HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall",'
    r'"PSChildName":"{62853EBF-E9DD-4AA5-B20A-5A6C3DD74FF3}","DisplayName":"AnyDesk MSI",'
    r'"DisplayVersion":"8.0.5",'
    r'"Publisher":"AnyDesk Software GmbH",'
    r'"UninstallString":"MsiExec.exe /X{62853EBF-E9DD-4AA5-B20A-5A6C3DD74FF3}",'
    r'"QuietUninstallString":"","WindowsInstaller":1}]}'
)

# The TigerVNC server service (winvnc4.exe in "{pf}\TigerVNC server", its Inno Setup default) left
# disabled after its uninstall entry went: both lists as PowerShell prints them when empty or single.
TIGERVNC_LEFTOVER = (
    r'{"services":{"Name":"TigerVNC","DisplayName":"TigerVNC Server",'
    r'"Program":"C:\\Program Files\\TigerVNC server\\winvnc4.exe","StartMode":"Disabled","State":"Stopped"},'
    r'"uninstall":null}'
)

NOTHING = r'{"services":[],"uninstall":[]}'


def by_key(tools: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {t["key"]: t for t in tools}


# ---- Which tool -------------------------------------------------------------------------------------


def test_the_workstation_tools_are_found_and_nothing_else() -> None:
    tools = by_key(wt.found_tools(WORKSTATION, []))
    assert list(tools) == ["anydesk", "vnc", "chrome_remote_desktop", "screenconnect", "other_agents"]
    assert [s["name"] for s in tools["vnc"]["services"]] == ["tvnserver", "uvnc_service", "vncserver"]
    assert [e["display_name"] for e in tools["vnc"]["entries"]] == [
        "RealVNC Server 7.13.1",
        "TightVNC",
        "UltraVNC",
    ]
    assert [s["name"] for s in tools["other_agents"]["services"]] == ["Mesh Agent"]
    assert tools["other_agents"]["entries"] == []
    assert [s["name"] for s in tools["screenconnect"]["services"]] == [
        "ScreenConnect Client (5f6010579852e507)"
    ]
    assert tools["chrome_remote_desktop"]["entries"] == []
    found = json.dumps(list(tools.values()))
    for absent in ("TermService", "RemoteAccess", "gupdate", "Google Chrome", "Visual Studio Code"):
        assert absent not in found


def test_a_service_is_ok_only_stopped_and_disabled() -> None:
    services = {s["name"]: s for t in wt.found_tools(WORKSTATION, []) for s in t["services"]}
    assert services["uvnc_service"]["ok"] is True
    assert services["chromoting"]["ok"] is False  # Manual, stopped: any user or trigger starts it
    assert services["vncserver"] == {
        "name": "vncserver",
        "display_name": "RealVNC Server",
        "program": r"C:\Program Files\RealVNC\VNC Server\vncserver.exe",
        "start_mode": "Auto",
        "state": "Running",
        "ok": False,
    }


def test_one_element_lists_are_read_as_lists() -> None:
    (tool,) = wt.found_tools(TEAMVIEWER, [])
    assert tool["key"] == "teamviewer"
    assert [s["name"] for s in tool["services"]] == ["TeamViewer"]
    assert tool["entries"] == [
        {
            "display_name": "TeamViewer",
            "version": "15.52.4",
            "publisher": "TeamViewer",
            "key": HKLM64 + r"\TeamViewer",
            "product_code": None,
            "uninstall_string": r'"C:\Program Files\TeamViewer\uninstall.exe"',
            "uninstall": {
                "how": "known",
                "program": r"C:\Program Files\TeamViewer\uninstall.exe",
                "arguments": "/S",
                "command": r'"C:\Program Files\TeamViewer\uninstall.exe" /S',
            },
        }
    ]
    (leftover,) = wt.found_tools(TIGERVNC_LEFTOVER, [])
    assert (leftover["key"], leftover["entries"]) == ("vnc", [])


@pytest.mark.parametrize("probe", [NOTHING, r'{"services":null,"uninstall":null}', "\ufeff" + NOTHING])
def test_a_probe_that_found_nothing_finds_nothing(probe: str) -> None:
    assert wt.found_tools(probe, ["teamviewer"]) == []


@pytest.mark.parametrize("probe", ["", None, "\ufeff", " \r\n"])
def test_a_probe_that_printed_nothing_is_an_error_not_an_absence(probe: str | None) -> None:
    """An empty read proves no tool absent: the control breaks, it does not pass."""
    with pytest.raises(ValueError, match=r"^RA-WIN-05: the probe printed nothing$"):
        wt.found_tools(probe, ["teamviewer"])


def test_a_probe_that_did_not_print_json_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"^RA-WIN-05: unreadable output 'Get-CimInstance : Access denied'$"):
        wt.found_tools("Get-CimInstance : Access denied", [])


def test_the_probe_pattern_keeps_the_tools_and_drops_the_rest() -> None:
    """The probe filters on the host with these unions (.NET regex, -match ignores case)."""
    services, entries = wt.pattern("service"), wt.pattern("uninstall")
    # Nothing Python-only: no named groups (?P<>), no inline flags.
    for text in (services, entries):
        assert not re.search(r"\(\?P|\(\?[aiLmsux]+\)", text)
    data = json.loads(WORKSTATION)
    kept = {
        s["Name"]
        for s in data["services"]
        if any(re.search(services, s[k], re.I) for k in ("Name", "DisplayName", "Program"))
    }
    assert kept == {
        "AnyDesk",
        "chromoting",
        "Mesh Agent",
        "ScreenConnect Client (5f6010579852e507)",
        "tvnserver",
        "uvnc_service",
        "vncserver",
    }
    assert {e["DisplayName"] for e in data["uninstall"] if re.search(entries, e["DisplayName"], re.I)} == {
        "AnyDesk",
        "RealVNC Server 7.13.1",
        "ScreenConnect Client (5f6010579852e507)",
        "TightVNC",
        "UltraVNC",
    }
    with pytest.raises(ValueError, match="'service' or 'uninstall'"):
        wt.pattern("process")


@pytest.mark.parametrize(
    ("display_name", "tool"),
    [
        ("TeamViewer Host", "teamviewer"),
        ("AnyDesk MSI", "anydesk"),
        ("VNC Server 6.8.0", "vnc"),
        ("RealVNC Viewer 7.13.1", None),
        ("VNC Viewer 6.22.826", None),
        ("Chrome Remote Desktop Host", "chrome_remote_desktop"),
        ("ConnectWise Control Client (c19beaeb65b0b26a)", "screenconnect"),
        ("Splashtop Streamer", "other_agents"),
        ("NoMachine", "other_agents"),
        ("NoMachine Enterprise Client", None),
        ("Google Chrome", None),
    ],
)
def test_uninstall_entries_by_display_name(display_name: str, tool: str | None) -> None:
    assert wt.entry_tool({"DisplayName": display_name}) == tool


# ---- Which silent uninstall --------------------------------------------------------------------------


def entries_of(probe: str) -> dict[str, dict[str, Any]]:
    return {e["display_name"]: e for t in wt.found_tools(probe, []) for e in t["entries"]}


def test_msi_packages_uninstall_with_msiexec_and_their_product_code() -> None:
    entries = entries_of(WORKSTATION) | entries_of(RUSTDESK_ANYDESK_MSI)
    # RealVNC and TightVNC write `MsiExec.exe /I{...}` (the maintenance dialog): never run as is.
    assert entries["RealVNC Server 7.13.1"]["uninstall"] == {
        "how": "msi",
        "program": "msiexec.exe",
        "arguments": "/x {CB75A32A-AE23-4A61-B367-543557598E0E} /qn /norestart",
        "command": "msiexec.exe /x {CB75A32A-AE23-4A61-B367-543557598E0E} /qn /norestart",
    }
    assert entries["TightVNC"]["product_code"] == "{78CA3586-0715-4862-B091-200565E3BC87}"
    assert entries["ScreenConnect Client (5f6010579852e507)"]["uninstall"]["command"] == (
        "msiexec.exe /x {DAFDC526-E09C-461A-9F8D-D6B9A3C5BF54} /qn /norestart"
    )
    assert (
        entries["AnyDesk MSI"]["uninstall"]["arguments"]
        == "/x {62853EBF-E9DD-4AA5-B20A-5A6C3DD74FF3} /qn /norestart"
    )


def test_quiet_uninstall_string_then_known_switches() -> None:
    entries = entries_of(WORKSTATION) | entries_of(RUSTDESK_ANYDESK_MSI)
    assert entries["UltraVNC"]["uninstall"] == {
        "how": "quiet",
        "program": r"C:\Program Files\uvnc bvba\UltraVNC\unins000.exe",
        "arguments": "/SILENT",
        "command": r'"C:\Program Files\uvnc bvba\UltraVNC\unins000.exe" /SILENT',
    }
    # AnyDesk's "--uninstall" opens a window: its program with --remove --silent instead.
    assert (
        entries["AnyDesk"]["uninstall"]["command"]
        == r'"C:\Program Files (x86)\AnyDesk\AnyDesk.exe" --remove --silent'
    )
    assert entries["RustDesk"]["uninstall"] == {
        "how": "known",
        "program": r"C:\Program Files\RustDesk\rustdesk.exe",
        "arguments": "--uninstall",
        "command": r'"C:\Program Files\RustDesk\rustdesk.exe" --uninstall',
    }


@pytest.mark.parametrize(
    ("entry", "tool", "command"),
    [
        # An Inno Setup entry without QuietUninstallString, whatever the tool.
        (
            {"UninstallString": r'"C:\Program Files\uvnc bvba\UltraVNC\unins000.exe"'},
            "vnc",
            r'"C:\Program Files\uvnc bvba\UltraVNC\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART',
        ),
        (
            {"UninstallString": r'"C:\Program Files\TigerVNC server\unins000.exe"'},
            None,
            r'"C:\Program Files\TigerVNC server\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART',
        ),
        # MeshCentral's agent at its documented path, unquoted.
        (
            {"UninstallString": r"C:\Program Files\Mesh Agent\meshagent.exe -fulluninstall"},
            "other_agents",
            r'"C:\Program Files\Mesh Agent\meshagent.exe" -fulluninstall',
        ),
        # /S is NSIS's switch: known for TeamViewer's uninstall.exe only.
        ({"UninstallString": r'"C:\Program Files\Other\uninstall.exe"'}, "other_agents", None),
        # No silent switch known: remove by hand.
        (
            {"UninstallString": r'"C:\Program Files\DWAgent\native\dwagsvc.exe" uninstall'},
            "other_agents",
            None,
        ),
        ({"UninstallString": ""}, "teamviewer", None),
        # An MSI entry whose WindowsInstaller value is missing: the GUID of its MsiExec command.
        (
            {
                "PSChildName": "TeamViewer Host",
                "UninstallString": "MsiExec.exe /X{2981D58E-7F09-3E98-A7EF-62CA313BEEEE}",
            },
            "teamviewer",
            "msiexec.exe /x {2981D58E-7F09-3E98-A7EF-62CA313BEEEE} /qn /norestart",
        ),
        # WindowsInstaller 1 but a key name that is no product code, and no MsiExec command.
        (
            {
                "PSChildName": "TeamViewer",
                "WindowsInstaller": 1,
                "UninstallString": r'"C:\Program Files\TeamViewer\uninstall.exe"',
            },
            "teamviewer",
            r'"C:\Program Files\TeamViewer\uninstall.exe" /S',
        ),
    ],
)
def test_silent_uninstall(entry: dict[str, Any], tool: str | None, command: str | None) -> None:
    found = wt.silent_uninstall(entry, tool)
    assert (found or {}).get("command") == command


@pytest.mark.parametrize(
    ("command", "split"),
    [
        (
            r'"C:\Program Files (x86)\AnyDesk\AnyDesk.exe" --uninstall',
            (r"C:\Program Files (x86)\AnyDesk\AnyDesk.exe", "--uninstall"),
        ),
        (
            r"C:\Program Files\Mesh Agent\MeshAgent.exe -fulluninstall",
            (r"C:\Program Files\Mesh Agent\MeshAgent.exe", "-fulluninstall"),
        ),
        (
            "MsiExec.exe /X{62853EBF-E9DD-4AA5-B20A-5A6C3DD74FF3}",
            ("MsiExec.exe", "/X{62853EBF-E9DD-4AA5-B20A-5A6C3DD74FF3}"),
        ),
        (r'"C:\Program Files\TeamViewer\uninstall.exe"', (r"C:\Program Files\TeamViewer\uninstall.exe", "")),
        ("", ("", "")),
    ],
)
def test_split_command(command: str, split: tuple[str, str]) -> None:
    assert wt.split_command(command) == split


# ---- What harden does ---------------------------------------------------------------------------------


def test_todo_skips_allowed_tools_and_services_already_off_and_runs_msi_first() -> None:
    plan = wt.todo(wt.found_tools(WORKSTATION, ["screenconnect"]))
    assert [s["name"] for s in plan["services"]] == [
        "AnyDesk",
        "tvnserver",
        "vncserver",
        "chromoting",
        "Mesh Agent",
    ]
    assert [(u["display_name"], u["how"]) for u in plan["uninstalls"]] == [
        ("RealVNC Server 7.13.1", "msi"),
        ("TightVNC", "msi"),
        ("AnyDesk", "known"),
        ("UltraVNC", "quiet"),
    ]
    assert plan["uninstalls"][2] == {
        "tool": "anydesk",
        "key": HKLM32 + r"\AnyDesk",
        "display_name": "AnyDesk",
        "how": "known",
        "program": r"C:\Program Files (x86)\AnyDesk\AnyDesk.exe",
        "arguments": "--remove --silent",
        "command": r'"C:\Program Files (x86)\AnyDesk\AnyDesk.exe" --remove --silent',
    }


def test_allowed_keys_ignore_case_and_unknown_ones() -> None:
    tools = by_key(wt.found_tools(WORKSTATION, ["AnyDesk", "citrix"]))
    assert [k for k, t in tools.items() if t["allowed"]] == ["anydesk"]


# ---- The evidence ---------------------------------------------------------------------------------------


def service_result(name: str, **fields: Any) -> dict[str, Any]:
    """A win_service loop result as Ansible registers it."""
    return {
        "ansible_loop_var": "remote_access__win_service",
        "remote_access__win_service": {"name": name, "tool": "x"},
        "changed": True,
        "failed": False,
        **fields,
    }


def test_audit_says_what_harden_would_do() -> None:
    found = wt.found_tools(TEAMVIEWER, [])
    assert wt.evidence(found, found, [], [], True) == {
        "ok": False,
        "text": "TeamViewer: service TeamViewer (Auto, Running): would be stopped and disabled; "
        "uninstall entry 'TeamViewer' 15.52.4 (TeamViewer): would be uninstalled with "
        r'"C:\Program Files\TeamViewer\uninstall.exe" /S',
    }


def test_harden_that_removed_the_tool_passes_and_says_what_it_did() -> None:
    found = wt.found_tools(TEAMVIEWER, [])
    result = wt.evidence(
        wt.found_tools(NOTHING, []),
        found,
        [service_result("TeamViewer")],
        [{"key": HKLM64 + r"\TeamViewer", "command": "...", "exit_code": 0, "removed": True, "error": ""}],
        False,
    )
    assert result == {
        "ok": True,
        "text": "TeamViewer: service TeamViewer (was Auto, Running): stopped and disabled, "
        "removed with the tool; "
        "uninstall entry 'TeamViewer' 15.52.4 (TeamViewer): uninstalled with "
        r'"C:\Program Files\TeamViewer\uninstall.exe" /S (exit code 0)',
    }


def test_harden_fails_with_what_to_remove_by_hand() -> None:
    """A failed MSI uninstall, an entry without silent uninstall, a service that refused."""
    probe = json.loads(WORKSTATION)
    probe["uninstall"].append(
        {
            "Root": HKLM32,
            "PSChildName": "DWAgent",
            "DisplayName": "DWAgent",
            "DisplayVersion": "",
            "Publisher": "",
            "UninstallString": r'"C:\Program Files\DWAgent\native\dwagsvc.exe" uninstall',
            "QuietUninstallString": "",
            "WindowsInstaller": 0,
        }
    )
    found = wt.found_tools(probe, [])
    left = json.loads(json.dumps(probe))
    left["services"] = [
        dict(s, StartMode="Disabled", State="Stopped")
        for s in left["services"]
        if s["Name"] in ("tvnserver", "vncserver", "Mesh Agent")
    ]
    left["services"].append(dict(probe["services"][0], StartMode="Auto", State="Running"))  # AnyDesk refused
    left["uninstall"] = [
        e for e in left["uninstall"] if e["DisplayName"] in ("RealVNC Server 7.13.1", "DWAgent")
    ]
    results = [
        {
            "key": HKLM64 + r"\{CB75A32A-AE23-4A61-B367-543557598E0E}",
            "exit_code": 1603,
            "removed": False,
            "error": "",
        },
        {
            "key": HKLM64 + r"\{78CA3586-0715-4862-B091-200565E3BC87}",
            "exit_code": 3010,
            "removed": True,
            "error": "",
        },
        {"key": HKLM64 + r"\Ultravnc2_is1", "exit_code": 0, "removed": True, "error": ""},
        {"key": HKLM32 + r"\AnyDesk", "exit_code": 0, "removed": True, "error": ""},
        {
            "key": HKLM32 + r"\{DAFDC526-E09C-461A-9F8D-D6B9A3C5BF54}",
            "exit_code": 0,
            "removed": True,
            "error": "",
        },
    ]
    services = [
        service_result("AnyDesk", changed=False, failed=True, msg="Service 'AnyDesk' cannot be stopped"),
        *(
            service_result(n)
            for n in (
                "tvnserver",
                "vncserver",
                "chromoting",
                "ScreenConnect Client (5f6010579852e507)",
                "Mesh Agent",
            )
        ),
    ]
    result = wt.evidence(wt.found_tools(left, []), found, services, results, False)
    assert result["ok"] is False
    text = result["text"].split(". ")
    assert text[0] == (
        "AnyDesk: service AnyDesk 'AnyDesk Service' (Auto, Running): could not be stopped and disabled "
        "(Service 'AnyDesk' cannot be stopped); "
        "uninstall entry 'AnyDesk' 9.0.4 (AnyDesk Software GmbH): uninstalled with "
        r'"C:\Program Files (x86)\AnyDesk\AnyDesk.exe" --remove --silent (exit code 0)'
    )
    assert text[1] == (
        "VNC server: service tvnserver 'TightVNC Server' (was Auto, Running): stopped and disabled; "
        "service uvnc_service (Disabled, Stopped), removed with the tool; "
        "service vncserver 'RealVNC Server' (was Auto, Running): stopped and disabled; "
        "uninstall entry 'RealVNC Server 7.13.1' 7.13.1.57 (RealVNC): "
        "msiexec.exe /x {CB75A32A-AE23-4A61-B367-543557598E0E} /qn /norestart (exit code 1603) "
        "left it installed, remove it by hand; "
        "uninstall entry 'TightVNC' 2.8.85.0 (GlavSoft LLC.): uninstalled with "
        "msiexec.exe /x {78CA3586-0715-4862-B091-200565E3BC87} /qn /norestart "
        "(exit code 3010, restart required); "
        "uninstall entry 'UltraVNC' 1.6.4.0 (uvnc bvba): uninstalled with "
        r'"C:\Program Files\uvnc bvba\UltraVNC\unins000.exe" /SILENT (exit code 0)'
    )
    assert text[2] == (
        "Chrome Remote Desktop: service chromoting 'Chrome Remote Desktop Service' (was Manual, Stopped): "
        "stopped and disabled, removed with the tool"
    )
    assert text[3] == (
        "ScreenConnect / ConnectWise Control: "
        "service ScreenConnect Client (5f6010579852e507) (was Auto, Running): "
        "stopped and disabled, removed with the tool; "
        "uninstall entry 'ScreenConnect Client (5f6010579852e507)' (ScreenConnect Software): "
        "uninstalled with "
        "msiexec.exe /x {DAFDC526-E09C-461A-9F8D-D6B9A3C5BF54} /qn /norestart (exit code 0)"
    )
    assert text[4] == (
        "NoMachine, Splashtop, MeshCentral or DWService agent: "
        "service Mesh Agent 'Mesh Agent background service' (was Auto, Running): stopped and disabled; "
        "uninstall entry 'DWAgent': no silent uninstall known, remove it by hand "
        r'(UninstallString: "C:\Program Files\DWAgent\native\dwagsvc.exe" uninstall)'
    )


def test_a_service_left_without_its_entry_must_be_deleted_by_hand() -> None:
    left = wt.found_tools(TIGERVNC_LEFTOVER, [])
    assert wt.evidence(left, left, [], [], False) == {
        "ok": False,
        "text": "VNC server: service TigerVNC 'TigerVNC Server' (Disabled, Stopped); "
        'no uninstall entry left: delete the service by hand (sc.exe delete "TigerVNC")',
    }


def test_allowed_tools_pass_and_are_listed_as_found() -> None:
    found = wt.found_tools(RUSTDESK_ANYDESK_MSI, ["rustdesk", "anydesk"])
    assert wt.evidence(found, found, [], [], True) == {
        "ok": True,
        "text": "AnyDesk: allowed by remote_access_tools_allowed (anydesk), left as found: "
        "uninstall entry 'AnyDesk MSI' 8.0.5 (AnyDesk Software GmbH). "
        "RustDesk: allowed by remote_access_tools_allowed (rustdesk), left as found: "
        "service RustDesk 'RustDesk Service' (Auto, Running); uninstall entry 'RustDesk' 1.4.4 (RustDesk)",
    }


def test_nothing_found_passes() -> None:
    result = wt.evidence(wt.found_tools(NOTHING, []), None, None, None, True)
    assert result["ok"] is True
    assert result["text"].startswith(
        "no remote-control tool found by service or uninstall entry (looked for TeamViewer, "
    )


# ---- Through Jinja2, as the role calls them ---------------------------------------------------------------


def test_the_filters_render_through_jinja2_by_their_names() -> None:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters.update(wt.FilterModule().filters())
    template = env.from_string(
        "{% set found = stdout | remote_access_win_tools(allowed) %}"
        "{% set todo = found | remote_access_win_tools_todo %}"
        "{% set eval = found | remote_access_win_tools_evidence(found, [], [], true) %}"
        "{{ todo.services | map(attribute='name') | join(',') }}|"
        "{{ todo.uninstalls | map(attribute='command') | join(' ; ') }}|"
        "{{ eval.ok }}|{{ ('uninstall' | remote_access_win_tools_pattern) == pattern }}"
    )
    rendered = template.render(
        stdout=WORKSTATION, allowed=["vnc", "other_agents"], pattern=wt.pattern("uninstall")
    )
    assert rendered == (
        "AnyDesk,chromoting,ScreenConnect Client (5f6010579852e507)|"
        "msiexec.exe /x {DAFDC526-E09C-461A-9F8D-D6B9A3C5BF54} /qn /norestart ; "
        r'"C:\Program Files (x86)\AnyDesk\AnyDesk.exe" --remove --silent|'
        "False|True"
    )
    assert set(wt.FilterModule().filters()) == {
        "remote_access_win_tools_pattern",
        "remote_access_win_tools",
        "remote_access_win_tools_todo",
        "remote_access_win_tools_evidence",
    }


# ---- Through Ansible's templating, with the role's own expressions (tasks/windows.yml) -------------------


@pytest.fixture(scope="module")
def role_templar() -> Any:
    """A Templar over the RA-WIN-05 block's vars and the role's defaults, with the role's filters."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import filter_loader, init_plugin_loader
    from ansible.template import Templar, trust_as_template

    init_plugin_loader()
    filter_loader.add_directory(str(PLUGIN.parent))
    loader = DataLoader()
    role = ROOT / "roles" / "remote_access"
    tasks = loader.load_from_file(str(role / "tasks" / "windows.yml"), trusted_as_template=True)
    (block,) = [t for t in tasks if str(t.get("name", "")).startswith("RA-WIN-05 | ")]
    defaults = loader.load_from_file(str(role / "defaults" / "main.yml"), trusted_as_template=True)

    def make(**facts: Any) -> tuple[Any, Any]:
        variables = {**defaults, **block["vars"], **facts}
        templar = Templar(loader=loader, variables=variables)
        return templar, lambda expression: templar.template(trust_as_template(expression))

    return block, make


def test_the_role_expressions_in_audit(role_templar: Any) -> None:
    block, make = role_templar
    templar, render = make(
        ansible_check_mode=True,
        remote_access__win05_before={"stdout": TEAMVIEWER, "changed": False},
        remote_access__win05_services={"results": [service_result("TeamViewer")], "changed": True},
        remote_access__win05_after={"skipped": True, "changed": False},
    )
    tasks = {t["name"]: t for t in block["block"]}
    environment = templar.template(
        tasks["RA-WIN-05 | Read the services and uninstall entries of remote-control tools"]["environment"]
    )
    assert environment == {
        "CAREHARD_SERVICE_RE": wt.pattern("service"),
        "CAREHARD_UNINSTALL_RE": wt.pattern("uninstall"),
    }
    assert [s["name"] for s in render("{{ remote_access__win05_todo.services }}")] == ["TeamViewer"]
    parameters = templar.template(
        tasks["RA-WIN-05 | Uninstall silently the remote-control tools not allowed"][
            "ansible.windows.win_powershell"
        ]["parameters"]
    )
    assert parameters["TimeoutSeconds"] == 300
    assert json.loads(parameters["Plan"]) == [
        {
            "tool": "teamviewer",
            "key": HKLM64 + r"\TeamViewer",
            "display_name": "TeamViewer",
            "how": "known",
            "program": r"C:\Program Files\TeamViewer\uninstall.exe",
            "arguments": "/S",
            "command": r'"C:\Program Files\TeamViewer\uninstall.exe" /S',
        }
    ]
    evaluation = render("{{ remote_access__win05_eval }}")
    assert evaluation["ok"] is False
    assert evaluation["text"].startswith(
        "TeamViewer: service TeamViewer (Auto, Running): would be stopped and disabled; "
    )


def test_the_role_expressions_after_harden(role_templar: Any) -> None:
    _, make = role_templar
    _, render = make(
        ansible_check_mode=False,
        remote_access_tools_allowed=[],
        remote_access__win05_before={"stdout": TEAMVIEWER, "changed": False},
        remote_access__win05_services={"results": [service_result("TeamViewer")], "changed": True},
        remote_access__win05_uninstall={
            "changed": True,
            "result": [
                {"key": HKLM64 + r"\TeamViewer", "command": "", "exit_code": 0, "removed": True, "error": ""}
            ],
        },
        remote_access__win05_after={"stdout": NOTHING, "changed": False},
    )
    assert render("{{ remote_access__win05_left }}") == []
    assert render("{{ remote_access__win05_eval }}") == {
        "ok": True,
        "text": "TeamViewer: service TeamViewer (was Auto, Running): stopped and disabled, "
        "removed with the tool; "
        "uninstall entry 'TeamViewer' 15.52.4 (TeamViewer): uninstalled with "
        r'"C:\Program Files\TeamViewer\uninstall.exe" /S (exit code 0)',
    }


def test_the_role_expressions_with_an_allowed_tool_and_no_fix(role_templar: Any) -> None:
    """The fix tasks skipped (nothing to do): their registered results carry no results."""
    _, make = role_templar
    _, render = make(
        ansible_check_mode=False,
        remote_access_tools_allowed=["teamviewer"],
        remote_access__win05_before={"stdout": TEAMVIEWER, "changed": False},
        remote_access__win05_services={
            "skipped": True,
            "changed": False,
            "skipped_reason": "No items in the list",
        },
        remote_access__win05_uninstall={"skipped": True, "changed": False},
        remote_access__win05_after={"skipped": True, "changed": False},
    )
    assert render("{{ remote_access__win05_todo }}") == {"services": [], "uninstalls": []}
    assert render("{{ remote_access__win05_eval.ok }}") is True
