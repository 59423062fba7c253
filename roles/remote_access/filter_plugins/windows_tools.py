"""RA-WIN-05: which Windows service and which uninstall entry belongs to which remote-control tool,
how each entry can be uninstalled silently, and the evidence of the control.

roles/remote_access/tasks/windows.yml reads the host with PowerShell (Win32_Service, and the
Uninstall keys of HKLM, 64- and 32-bit views), which prints one JSON object as Windows PowerShell 5.1
`ConvertTo-Json -Compress` writes it:

    {"services": [{"Name", "DisplayName", "Program", "StartMode", "State"}, ...],
     "uninstall": [{"Root", "PSChildName", "DisplayName", "DisplayVersion", "Publisher",
                    "UninstallString", "QuietUninstallString", "WindowsInstaller"}, ...]}

("Program" is the service's executable without its arguments.) A list may come as its only element
or as null: both are read as lists.

Filters:
    'service' | remote_access_win_tools_pattern     the regex the probe keeps services with
    'uninstall' | remote_access_win_tools_pattern   ... and uninstall entries (by DisplayName)
    stdout | remote_access_win_tools(allowed)       the tools found, each with its services and entries
    tools | remote_access_win_tools_todo            the services to stop and disable, the uninstalls
    left | remote_access_win_tools_evidence(found, service_results, uninstall_results, check_mode)
                                                    {"ok": bool, "text": the assert's message}

Stdlib only, no Ansible import: Ansible loads it from the role's filter_plugins, the unit tests import
it directly (tests/unit/test_windows_tools.py). The probe's output is decoded by the decoder every
carehard role shares (the carehard role's filter_plugins/powershell_output.py); output without a JSON
object, empty output included, is an error of the control: a read that printed nothing proves no
tool absent.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

# One entry per key of remote_access_tools_allowed (the Linux RA-RCT-* tools: remote_access__rct_tools).
# services: regexes on a service's name or display name; programs: on its executable; entries: on an
# uninstall entry's DisplayName. Matched without case. The syntax is common to Python's re and .NET's
# Regex: the probe keeps on the host what their union matches, so that it prints only candidates.
TOOLS: tuple[dict[str, Any], ...] = (
    {
        "key": "teamviewer",
        "label": "TeamViewer",
        "services": (r"^TeamViewer ?\d*$",),
        "programs": (r"\\TeamViewer_Service\.exe$",),
        "entries": (r"^TeamViewer\b",),
    },
    {
        "key": "anydesk",
        "label": "AnyDesk",
        # AnyDesk, AnyDeskMSI, and the custom clients' AnyDesk-<id>.
        "services": (r"^AnyDesk",),
        "programs": (r"\\AnyDesk[^\\]*\.exe$",),
        "entries": (r"^AnyDesk\b",),
    },
    {
        "key": "rustdesk",
        "label": "RustDesk",
        "services": (r"^RustDesk( Service)?$",),
        "programs": (r"\\RustDesk\.exe$",),
        "entries": (r"^RustDesk\b",),
    },
    {
        "key": "vnc",
        "label": "VNC server",
        # RealVNC (vncserver), TightVNC (tvnserver), UltraVNC (uvnc_service, winvnc), TigerVNC
        # (TigerVNC, formerly WinVNC4). Viewers alone are not servers: "VNC Viewer", "TigerVNC" viewer.
        "services": (
            r"^(vncserver|tvnserver|uvnc_service|WinVNC4?|TigerVNC)$",
            r"^((RealVNC )?VNC Server|TightVNC Server)$",
        ),
        "programs": (r"\\(vncserver|tvnserver|winvnc4?)\.exe$",),
        "entries": (r"^(RealVNC Server|VNC Server|TightVNC|UltraVNC|TigerVNC server)\b",),
    },
    {
        "key": "chrome_remote_desktop",
        "label": "Chrome Remote Desktop",
        "services": (r"^chromoting$", r"^Chrome Remote Desktop Service$"),
        "programs": (r"\\remoting_host\.exe$",),
        "entries": (r"^Chrome Remote Desktop Host\b",),
    },
    {
        "key": "screenconnect",
        "label": "ScreenConnect / ConnectWise Control",
        # One client per instance: "ScreenConnect Client (<thumbprint>)".
        "services": (r"^(ScreenConnect|ConnectWise Control) Client \(",),
        "programs": (r"\\(ScreenConnect|ConnectWiseControl)\.ClientService\.exe$",),
        "entries": (r"^(ScreenConnect|ConnectWise Control) Client\b",),
    },
    {
        "key": "other_agents",
        "label": "NoMachine, Splashtop, MeshCentral or DWService agent",
        "services": (r"^(Mesh Agent|SplashtopRemoteService|nxservice|DWAgent)$",),
        "programs": (r"\\(MeshAgent|SRService|nxservice(64)?)\.exe$",),
        # NoMachine Enterprise Client connects out, it is no server.
        "entries": (r"^(Mesh Agent|Splashtop Streamer|DWAgent)\b", r"^NoMachine\b(?! Enterprise Client)"),
    },
)

# Silent uninstall command lines for the entries with neither an MSI product code nor a
# QuietUninstallString: (tool key, or None for any tool; regex on the uninstaller's file name; arguments).
# The uninstaller is the program of the entry's UninstallString, with these arguments instead of its own.
SILENT_SWITCHES: tuple[tuple[str | None, str, str], ...] = (
    # TeamViewer's NSIS uninstaller.
    ("teamviewer", r"^uninstall\.exe$", "/S"),
    # AnyDesk's own command line ("--uninstall", in its UninstallString, opens a window).
    ("anydesk", r"^AnyDesk[^\\]*\.exe$", "--remove --silent"),
    # RustDesk's UninstallString, run from a command line, uninstalls without a window.
    ("rustdesk", r"^RustDesk\.exe$", "--uninstall"),
    # MeshCentral's agent: service, files and entry.
    ("other_agents", r"^MeshAgent\.exe$", "-fulluninstall"),
    # Any Inno Setup uninstaller (UltraVNC, TigerVNC server...).
    (None, r"^unins\d{3}\.exe$", "/VERYSILENT /SUPPRESSMSGBOXES /NORESTART"),
)

GUID = r"\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}"
MSIEXEC = re.compile(r"^\s*\"?(?:[A-Za-z]:\\[^\"]*\\)?msiexec(?:\.exe)?\"?\s+/[IX]\s*(" + GUID + r")", re.I)
# msiexec: success, restart required, restart started, product no longer installed.
MSI_OK = {0: "", 3010: "restart required", 1641: "restart started", 1605: "already removed"}


def _compile(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


_SERVICE_RE = {t["key"]: _compile(t["services"]) for t in TOOLS}
_PROGRAM_RE = {t["key"]: _compile(t["programs"]) for t in TOOLS}
_ENTRY_RE = {t["key"]: _compile(t["entries"]) for t in TOOLS}
_LABEL = {t["key"]: t["label"] for t in TOOLS}


def _shared_decoder() -> ModuleType:
    """The PowerShell output decoder every carehard role shares: the carehard role's filter plugin
    powershell_output.py. In the collection carehard.baseline it is a module of this plugin's own
    package; in the roles layout (or this file loaded by path, as the tests and the build script do)
    it is read from the carehard role next to this role (meta/main.yml depends on it), or from this
    very directory (the collection's plugins/filter). The same function in every plugin that uses it."""
    if __name__.startswith("ansible_collections."):
        return importlib.import_module(__name__.rpartition(".")[0] + ".powershell_output")
    here = Path(__file__).resolve().parent
    candidates = (here.parents[1] / "carehard" / "filter_plugins", here)
    for path in (directory / "powershell_output.py" for directory in candidates):
        spec = importlib.util.spec_from_file_location("carehard_powershell_output", path)
        if path.is_file() and spec is not None and spec.loader is not None:
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    raise ImportError(f"carehard's PowerShell output decoder is in none of {[str(c) for c in candidates]}")


_POWERSHELL = _shared_decoder()
_decode: Callable[[Any], tuple[Any, str | None]] = _POWERSHELL.decode


def as_list(value: Any) -> list[Any]:
    """A JSON list as PowerShell 5.1 prints it: a list, its only element, or null."""
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [v for v in value if v is not None]
    return [value]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _load(probe: Any) -> Mapping[str, Any]:
    """The probe's object (the shared decoder skips a warning or a BOM around it); an error saying why
    when there is none, empty output included: a read that printed nothing is no proof of absence."""
    data, why = _decode(probe)
    if why is not None:
        raise ValueError(f"RA-WIN-05: {why}")
    if not isinstance(data, Mapping):
        raise ValueError(f"RA-WIN-05: the probe printed {type(data).__name__}, not a JSON object")
    return data


# ---- Which tool ---------------------------------------------------------------------------------


def pattern(kind: str) -> str:
    """The union of the tools' regexes the probe filters with: 'service' or 'uninstall'."""
    if kind == "service":
        parts = [p for t in TOOLS for p in (*t["services"], *t["programs"])]
    elif kind == "uninstall":
        parts = [p for t in TOOLS for p in t["entries"]]
    else:
        raise ValueError(f"remote_access_win_tools_pattern: kind is 'service' or 'uninstall', not {kind!r}")
    return "|".join(f"(?:{p})" for p in parts)


def service_tool(service: Mapping[str, Any]) -> str | None:
    """The key of the tool a service (as the probe prints it) belongs to, or None."""
    name, display, program = (_text(service.get(k)) for k in ("Name", "DisplayName", "Program"))
    for tool in TOOLS:
        key = str(tool["key"])
        if (name and _SERVICE_RE[key].search(name)) or (display and _SERVICE_RE[key].search(display)):
            return key
        if program and _PROGRAM_RE[key].search(program):
            return key
    return None


def entry_tool(entry: Mapping[str, Any]) -> str | None:
    """The key of the tool an uninstall entry belongs to (by its DisplayName), or None."""
    display = _text(entry.get("DisplayName"))
    for tool in TOOLS:
        if display and _ENTRY_RE[tool["key"]].search(display):
            return str(tool["key"])
    return None


# ---- How to uninstall it --------------------------------------------------------------------------


def split_command(command: Any) -> tuple[str, str]:
    """A Windows command line as (program, arguments): a quoted program, or up to the first '.exe'."""
    text = _text(command)
    if not text:
        return "", ""
    if text.startswith('"'):
        end = text.find('"', 1)
        if end < 0:
            return text[1:].strip(), ""
        return text[1:end].strip(), text[end + 1 :].strip()
    exe = re.match(r"(.+?\.exe)(?=\s|$)(.*)$", text, re.I | re.S)
    if exe:
        return exe.group(1).strip(), exe.group(2).strip()
    program, _, arguments = text.partition(" ")
    return program, arguments.strip()


def quote(program: str) -> str:
    return f'"{program}"' if " " in program else program


def product_code(entry: Mapping[str, Any]) -> str | None:
    """The MSI product code of an entry: its key name when WindowsInstaller is 1, else the GUID of an
    `MsiExec.exe /I{...}` or `/X{...}` UninstallString."""
    child = _text(entry.get("PSChildName"))
    if str(entry.get("WindowsInstaller") or 0).strip() == "1" and re.fullmatch(GUID, child):
        return child.upper()
    found = MSIEXEC.match(_text(entry.get("UninstallString")))
    return found.group(1).upper() if found else None


def silent_uninstall(entry: Mapping[str, Any], tool: str | None = None) -> dict[str, str] | None:
    """How to uninstall an entry without a window: {how, program, arguments, command}, or None.

    MSI: msiexec /x {ProductCode} /qn /norestart; else the QuietUninstallString; else the program of the
    UninstallString with a known silent switch (SILENT_SWITCHES)."""
    tool = tool if tool is not None else entry_tool(entry)
    code = product_code(entry)
    if code:
        program, arguments, how = "msiexec.exe", f"/x {code} /qn /norestart", "msi"
    elif _text(entry.get("QuietUninstallString")):
        program, arguments = split_command(entry.get("QuietUninstallString"))
        how = "quiet"
    else:
        program, _ = split_command(entry.get("UninstallString"))
        name = program.replace("/", "\\").rsplit("\\", 1)[-1]
        switch = next(
            (
                args
                for owner, file_re, args in SILENT_SWITCHES
                if (owner is None or owner == tool) and re.fullmatch(file_re, name, re.I)
            ),
            None,
        )
        if not program or switch is None:
            return None
        arguments, how = switch, "known"
    if not program:
        return None
    return {
        "how": how,
        "program": program,
        "arguments": arguments,
        "command": f"{quote(program)} {arguments}".strip(),
    }


# ---- The tools found --------------------------------------------------------------------------------


def _service(service: Mapping[str, Any]) -> dict[str, Any]:
    start_mode, state = _text(service.get("StartMode")), _text(service.get("State"))
    return {
        "name": _text(service.get("Name")),
        "display_name": _text(service.get("DisplayName")),
        "program": _text(service.get("Program")),
        "start_mode": start_mode or "unknown",
        "state": state or "unknown",
        "ok": start_mode.lower() == "disabled" and state.lower() == "stopped",
    }


def _entry(entry: Mapping[str, Any], tool: str) -> dict[str, Any]:
    root, child = _text(entry.get("Root")), _text(entry.get("PSChildName"))
    return {
        "display_name": _text(entry.get("DisplayName")),
        "version": _text(entry.get("DisplayVersion")),
        "publisher": _text(entry.get("Publisher")),
        "key": f"{root}\\{child}" if root else child,
        "product_code": product_code(entry),
        "uninstall_string": _text(entry.get("UninstallString")),
        "uninstall": silent_uninstall(entry, tool),
    }


def found_tools(probe: Any, allowed: Any = None) -> list[dict[str, Any]]:
    """The tools the probe found, in TOOLS order: {key, label, allowed, services, entries}."""
    data = _load(probe)
    keep = {_text(k).lower() for k in as_list(allowed)}
    services: dict[str, list[dict[str, Any]]] = {}
    entries: dict[str, list[dict[str, Any]]] = {}
    for service in as_list(data.get("services")):
        if isinstance(service, Mapping) and (key := service_tool(service)):
            services.setdefault(key, []).append(_service(service))
    for entry in as_list(data.get("uninstall")):
        if isinstance(entry, Mapping) and (key := entry_tool(entry)):
            entries.setdefault(key, []).append(_entry(entry, key))
    return [
        {
            "key": tool["key"],
            "label": tool["label"],
            "allowed": tool["key"] in keep,
            "services": sorted(services.get(tool["key"], []), key=lambda s: s["name"].lower()),
            "entries": sorted(
                entries.get(tool["key"], []), key=lambda e: (e["display_name"].lower(), e["key"])
            ),
        }
        for tool in TOOLS
        if tool["key"] in services or tool["key"] in entries
    ]


def todo(tools: Any) -> dict[str, list[dict[str, Any]]]:
    """What harden does for the tools not allowed: the services not both stopped and disabled, and the
    entries with a silent uninstall (MSI packages first: a wrapper's MSI removes what it installed)."""
    services: list[dict[str, Any]] = []
    uninstalls: list[dict[str, Any]] = []
    for tool in as_list(tools):
        if not isinstance(tool, Mapping) or tool.get("allowed"):
            continue
        services += [dict(s, tool=tool["key"]) for s in as_list(tool.get("services")) if not s.get("ok")]
        for entry in as_list(tool.get("entries")):
            if entry.get("uninstall"):
                uninstalls.append(
                    {
                        "tool": tool["key"],
                        "key": entry["key"],
                        "display_name": entry["display_name"],
                        **entry["uninstall"],
                    }
                )
    uninstalls.sort(key=lambda u: u["how"] != "msi")
    return {"services": services, "uninstalls": uninstalls}


# ---- The evidence ---------------------------------------------------------------------------------


def _service_text(service: Mapping[str, Any], was: bool = False) -> str:
    name, display = service["name"], service["display_name"]
    shown = f"{name} '{display}'" if display and display.lower() != name.lower() else name
    return f"service {shown} ({'was ' if was else ''}{service['start_mode']}, {service['state']})"


def _entry_text(entry: Mapping[str, Any]) -> str:
    version = f" {entry['version']}" if entry.get("version") else ""
    publisher = f" ({entry['publisher']})" if entry.get("publisher") else ""
    return f"uninstall entry '{entry['display_name']}'{version}{publisher}"


def _as_found(tool: Mapping[str, Any]) -> str:
    parts = [_service_text(s) for s in tool["services"]] + [_entry_text(e) for e in tool["entries"]]
    return "; ".join(parts)


def _loop_item(result: Mapping[str, Any]) -> Any:
    return result.get(result.get("ansible_loop_var") or "item")


def _exit_text(result: Mapping[str, Any]) -> str:
    code = result.get("exit_code")
    if result.get("error"):
        return _text(result.get("error"))
    if code is None or code == "":
        return "exit code unknown"
    note = MSI_OK.get(int(code), "") if str(code).lstrip("-").isdigit() else ""
    return f"exit code {code}" + (f", {note}" if note else "")


def evidence(
    left: Any,
    found: Any = None,
    service_results: Any = None,
    uninstall_results: Any = None,
    check_mode: bool = False,
) -> dict[str, Any]:
    """The control's verdict and evidence: `left` is what the last read found (after the changes in
    harden), `found` what the first read found, the results those of the service and uninstall tasks.
    ok: no tool outside remote_access_tools_allowed is left (service or uninstall entry)."""
    left_by = {t["key"]: t for t in as_list(left) if isinstance(t, Mapping)}
    found_by = {t["key"]: t for t in as_list(found if found is not None else left) if isinstance(t, Mapping)}
    svc_done: dict[str, Mapping[str, Any]] = {}
    for result in as_list(service_results):
        if isinstance(result, Mapping):
            item = _loop_item(result)
            name = item.get("name") if isinstance(item, Mapping) else result.get("name")
            if name:
                svc_done[str(name).lower()] = result
    unins_done = {
        _text(r.get("key")).lower(): r for r in as_list(uninstall_results) if isinstance(r, Mapping)
    }

    texts: list[str] = []
    ok = True
    for key in (t["key"] for t in TOOLS):
        before, after = found_by.get(key), left_by.get(key)
        if before is None and after is None:
            continue
        tool = before if before is not None else after or {}
        label = _LABEL[key]
        if tool.get("allowed"):
            allowed = f"allowed by remote_access_tools_allowed ({key})"
            texts.append(f"{label}: {allowed}, left as found: {_as_found(after or tool)}")
            continue
        if after is not None:
            ok = False
        parts = _service_parts(before, after, svc_done, check_mode)
        parts += _entry_parts(before, after, unins_done, check_mode)
        texts.append(f"{label}: " + "; ".join(parts))

    if not texts:
        looked = ", ".join(t["label"] for t in TOOLS)
        return {
            "ok": True,
            "text": f"no remote-control tool found by service or uninstall entry (looked for {looked})",
        }
    return {"ok": ok, "text": ". ".join(texts)}


def _by(items: list[Any], field: str) -> dict[str, Any]:
    return {_text(i.get(field)).lower(): i for i in items if isinstance(i, Mapping)}


def _service_parts(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    done: Mapping[str, Mapping[str, Any]],
    check_mode: bool,
) -> list[str]:
    was = _by(as_list(before and before.get("services")), "name")
    now = _by(as_list(after and after.get("services")), "name")
    entries_left = bool(after and as_list(after.get("entries")))
    parts = []
    for name in list(was) + [n for n in now if n not in was]:
        first, last = was.get(name), now.get(name)
        service = first if first is not None else last or {}
        result = done.get(name, {})
        if check_mode:
            parts.append(
                _service_text(service) + ("" if service["ok"] else ": would be stopped and disabled")
            )
            continue
        if result.get("failed"):
            text = (
                _service_text(service)
                + f": could not be stopped and disabled ({_text(result.get('msg'))[:200]})"
            )
        elif result.get("changed"):
            text = _service_text(service, was=True) + ": stopped and disabled"
        else:
            text = _service_text(last or service)
        if first is not None and last is None:
            text += ", removed with the tool"
        elif last is not None and not last["ok"] and not result.get("failed"):
            text += f", still {last['start_mode']}, {last['state']}"
        elif last is not None and last["ok"] and not entries_left:
            text += f'; no uninstall entry left: delete the service by hand (sc.exe delete "{last["name"]}")'
        parts.append(text)
    return parts


def _entry_parts(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    done: Mapping[str, Mapping[str, Any]],
    check_mode: bool,
) -> list[str]:
    was = _by(as_list(before and before.get("entries")), "key")
    now = _by(as_list(after and after.get("entries")), "key")
    parts = []
    for key in list(was) + [k for k in now if k not in was]:
        entry = was.get(key) or now[key]
        command = (entry.get("uninstall") or {}).get("command")
        uninstall_string = entry["uninstall_string"] or "none"
        manual = f"no silent uninstall known, remove it by hand (UninstallString: {uninstall_string})"
        text = _entry_text(entry)
        if check_mode:
            parts.append(text + (f": would be uninstalled with {command}" if command else f": {manual}"))
            continue
        result = done.get(key)
        if result is not None and result.get("removed") and key in was and key not in now:
            parts.append(text + f": uninstalled with {command} ({_exit_text(result)})")
        elif result is not None:
            parts.append(text + f": {command} ({_exit_text(result)}) left it installed, remove it by hand")
        elif key not in now:
            parts.append(text + ": removed")
        else:
            parts.append(
                text + (f": {manual}" if not command else f": not uninstalled (would run {command})")
            )
    return parts


class FilterModule:
    """Jinja2 filters of RA-WIN-05 (see the module's docstring)."""

    def filters(self) -> dict[str, Any]:
        return {
            "remote_access_win_tools_pattern": pattern,
            "remote_access_win_tools": found_tools,
            "remote_access_win_tools_todo": todo,
            "remote_access_win_tools_evidence": evidence,
        }
