"""The Windows collection of the fleet facts document: what the probe of vars/windows.yml prints,
turned into the one document shape the Linux module returns (docs/fleet-facts.md).

Ansible loads this file by path, so it uses the standard library only. The filter never raises: an
empty, unreadable or unexpected input gives None values and the section's "error" text (sections
without an "error" member, listeners and detection, are then empty lists: the role's templates
iterate over them). Every value returned is a plain dict, list, str, int, bool or None. JSON is
decoded by the decoder every carehard role shares (the carehard role's
filter_plugins/powershell_output.py: a warning line or a BOM around the document is skipped).

What the probe prints is Windows PowerShell 5.1 or PowerShell 7 `ConvertTo-Json` output: an enum
may be an integer (5.1) or a name (7), a one-element array may be the element itself, a DateTime
may be "\\/Date(ms)\\/" (5.1) or ISO 8601 (7): all are accepted, although the probe writes its own
dates as UTC ISO strings and its enums as names.

How the document is filled (the choices the contract leaves open):
* os.id is "windows" or "windows_server" (ProductType 2 or 3); os.name is the product by build
  ("Windows 11", "Windows Server 2022"...: the registry's ProductName says "Windows 10" on Windows 11
  and Caption is translated); os.edition is EditionID as Windows writes it ("Enterprise",
  "Professional", "EnterpriseS" for LTSC, "ServerStandard"...); os.version is DisplayVersion ("23H2"),
  else ReleaseId ("1809"), else Version; os.build is BuildNumber alone ("22631", which the
  end-of-support table matches) and os.kernel is Version with the update revision
  ("10.0.22631.4460", the "OS build" winver shows).
* updates.pending_security holds the titles of the pending updates of the "Security Updates"
  classification (the title with " (KBnnn)" added when it does not name its KB already);
  updates.last_success is the latest of the last successful Windows Update installation (the
  Defender definition and platform updates aside: they come every day) and the latest hotfix
  install day (at 00:00:00Z: Windows records the day only).
* listeners: "process" is the process name ("svchost (TermService)" for a svchost.exe, with the
  services it hosts), "user" its owner when the probe could read it.
* detection: the declared services that are installed; WinDefend counts as running only while
  Microsoft Defender Antivirus is the active antivirus (AMRunningMode "Normal"), not in passive mode.
* admins: the members of the Administrators group (S-1-5-32-544, whatever its local name); local
  accounts without the machine prefix ("adm-hopital"), others with their domain ("HOPITAL\\Domain
  Admins", "AzureAD\\jdupont"), a member whose SID resolves to no name (deleted account) as the SID.
* encryption.root_encrypted is BitLocker's protection status of the system drive (On: True; Off,
  suspended protection included: False); method "BitLocker" and devices ["C:"] when the drive is
  (even partly) encrypted.
* time.synchronised comes from `w32tm /query /status`, read in English and French (labels), and in
  any other language by the lines' fixed order: True when the source is not the local clock (Local
  CMOS Clock, Free-running System Clock) and a last successful sync is given.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

SECURITY_UPDATES = "0fa1201d-4330-4fa8-8ae9-b877473b6441"
DEFINITION_UPDATES = "e0789628-ce08-4437-be74-2495b842f43b"
# Defender security intelligence (KB2267602, KB2461484 for older clients, KB915597 for Windows
# Defender on 8.1) and platform (KB4052623) updates: daily or monthly, installed whatever the OS patches.
DEFINITION_KBS = ("KB2267602", "KB2461484", "KB915597", "KB4052623")

# Windows Update Agent results met when the search cannot reach its server.
WU_ERRORS = {
    "8024402C": "the update server's name does not resolve (offline or proxy)",
    "8024401C": "the update server did not answer in time",
    "80244022": "the update server is unavailable (HTTP 503)",
    "8024402F": "the update server's data could not be read (proxy or WSUS)",
    "80072EE2": "the connection to the update server timed out",
    "80072EE7": "the update server's name does not resolve",
    "80072EFD": "the update server cannot be reached",
    "80072F8F": "the update server's certificate is not trusted (clock or TLS inspection)",
    "80070005": "access denied to the Windows Update Agent",
    "8024001E": "the Windows Update service is stopping",
}

PROTECTION_STATUS = {0: "Off", 1: "On", 2: "Unknown"}
VOLUME_STATUS = {
    0: "FullyDecrypted",
    1: "FullyEncrypted",
    2: "EncryptionInProgress",
    3: "DecryptionInProgress",
    4: "EncryptionPaused",
    5: "DecryptionPaused",
}
SERVICE_STATUS = {
    1: "Stopped",
    2: "StartPending",
    3: "StopPending",
    4: "Running",
    5: "ContinuePending",
    6: "PausePending",
    7: "Paused",
}
PRINCIPAL_SOURCE = {0: "Unknown", 1: "Local", 2: "ActiveDirectory", 3: "AzureAD", 4: "MicrosoftAccount"}

# OperatingSystemSKU -> EditionID, for a host whose CurrentVersion key gave none.
EDITION_BY_SKU = {
    4: "Enterprise",
    7: "ServerStandard",
    8: "ServerDatacenter",
    27: "EnterpriseN",
    48: "Professional",
    49: "ProfessionalN",
    98: "CoreN",
    100: "CoreSingleLanguage",
    101: "Core",
    121: "Education",
    122: "EducationN",
    125: "EnterpriseS",
    126: "EnterpriseSN",
    161: "ProfessionalWorkstation",
    175: "ServerRdsh",
    188: "IoTEnterprise",
    191: "IoTEnterpriseS",
}
SERVER_BY_BUILD = {
    7600: "Windows Server 2008 R2",
    7601: "Windows Server 2008 R2",
    9200: "Windows Server 2012",
    9600: "Windows Server 2012 R2",
    14393: "Windows Server 2016",
    17763: "Windows Server 2019",
    20348: "Windows Server 2022",
    26100: "Windows Server 2025",
}
CLIENT_BY_BUILD = {7600: "Windows 7", 7601: "Windows 7", 9200: "Windows 8", 9600: "Windows 8.1"}

# w32tm /query /status labels after _fold (accents, case, spaces and punctuation dropped).
W32TM_LABELS = {
    "leapindicator": "leap",
    "indicateurdesaut": "leap",
    "stratum": "stratum",
    "strate": "stratum",
    "lastsuccessfulsynctime": "last_sync",
    "dernieresynchronisationreussie": "last_sync",
    "source": "source",
}
# The fixed order of its lines, for a language not listed above (or accents mangled on the way).
W32TM_ORDER = {0: "leap", 1: "stratum", 6: "last_sync", 7: "source"}
LOCAL_CLOCK_WORDS = ("cmos", "freerunning", "fonctionnementlibre", "freilaufend")

MS_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")
US_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
KB = re.compile(r"\bKB\s?(\d{5,8})\b", re.IGNORECASE)
HRESULT = re.compile(r"0x([0-9A-Fa-f]{8})")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# ---- decoding ----------------------------------------------------------------------------------------


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
_shared_decode: Callable[[Any], tuple[Any, str | None]] = _POWERSHELL.decode
_what: Callable[[Any], str] = _POWERSHELL.what


def _decode(raw: Any) -> tuple[Any, str | None]:
    """The probe's object and why there is none (the shared decoder); Ansible's stdout_lines too."""
    if isinstance(raw, list | tuple) and all(isinstance(line, str) for line in raw):
        raw = "\n".join(raw)
    return _shared_decode(raw)


def _text(value: Any) -> str | None:
    """A stripped string, None for nothing or a non-string."""
    if isinstance(value, str) and value.strip():
        return str(value.strip())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _error(value: Any) -> str | None:
    return _text(value) if value is not None else None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _mapping(value: Any) -> Mapping[str, Any]:
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], Mapping):
        return value[0]
    return value if isinstance(value, Mapping) else {}


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if _int(value) in (0, 1):
        return _int(value) == 1
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _enum(value: Any, names: Mapping[int, str]) -> str | None:
    """An enum printed as its integer (5.1) or its name (7): its name, or what was printed."""
    number = _int(value)
    if number is not None:
        return names.get(number, str(number))
    text = _text(value)
    if text is None:
        return None
    wanted = re.sub(r"[\s_-]", "", text).lower()
    return next((name for name in names.values() if name.lower() == wanted), text)


def _date(value: Any) -> datetime | None:
    """A date printed by the probe (ISO 8601, a day), by 5.1 ("/Date(ms)/", maybe wrapped with
    DisplayHint) or by Win32_QuickFixEngineering ("11/14/2024", month first)."""
    if isinstance(value, Mapping):
        value = value.get("value")
    if not isinstance(value, str):
        return None
    text = value.strip().replace("\\/", "/")
    try:
        match = MS_DATE.match(text)
        if match:
            return EPOCH + timedelta(milliseconds=int(match.group(1)))
        us = US_DAY.match(text)
        if us:
            return datetime(int(us.group(3)), int(us.group(1)), int(us.group(2)), tzinfo=UTC)
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        return None
    if parsed.year < 1980:  # COM's zero date (1899-12-30) and other placeholders
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _fold(text: str) -> str:
    """Lower case ASCII letters and digits only (accents dropped): labels and words compared so."""
    decomposed = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in decomposed if not unicodedata.combining(c)).lower())


def _join(*parts: str | None) -> str | None:
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    return "; ".join(seen) or None


# ---- os ------------------------------------------------------------------------------------------------


def _product(build: int | None, server: bool, caption: str | None) -> str | None:
    if server:
        if build in SERVER_BY_BUILD:
            return SERVER_BY_BUILD[build]
    elif build is not None and build >= 22000:
        return "Windows 11"
    elif build is not None and build >= 10240:
        return "Windows 10"
    elif build in CLIENT_BY_BUILD:
        return CLIENT_BY_BUILD[build]
    if caption:
        name = re.sub(r"^Microsoft\s+", "", caption)
        return name if not server or "server" in name.lower() else f"Windows Server ({name})"
    return "Windows Server" if server else None


def _os(section: Any, why: str | None) -> dict[str, Any]:
    data = _mapping(section)
    caption = _text(data.get("Caption"))
    version_text = _text(data.get("Version"))
    build_text = _text(data.get("BuildNumber"))
    if build_text is None and version_text and version_text.count(".") >= 2:
        build_text = version_text.split(".")[2]
    build = _int(build_text)
    ubr = _int(data.get("UBR"))
    product_type = _int(data.get("ProductType"))
    edition = _text(data.get("EditionID")) or EDITION_BY_SKU.get(_int(data.get("OperatingSystemSKU")) or -1)
    server = (
        product_type in (2, 3)
        if product_type is not None
        else ("server" in (edition or "").lower() or "server" in (caption or "").lower())
    )
    version = _text(data.get("DisplayVersion")) or _text(data.get("ReleaseId")) or version_text
    kernel = f"{version_text}.{ubr}" if version_text and ubr is not None else version_text
    name = _product(build, server, caption)
    shown_build = f"{build}.{ubr}" if build is not None and ubr is not None else build_text
    pretty = " ".join(part for part in (caption or name, version) if part) or None
    if pretty and shown_build:
        pretty += f" (build {shown_build})"
    error = why or _error(data.get("error"))
    if not data and not error:
        error = "the probe reported no system information"
    return {
        "family": "windows",
        "id": ("windows_server" if server else "windows") if data else None,
        "name": name,
        "version": version,
        "codename": None,
        "edition": edition,
        "build": str(build) if build is not None else build_text,
        "pretty": pretty,
        "kernel": kernel,
        "last_boot": _iso(_date(data.get("LastBootUpTime"))),
        "error": error,
    }


# ---- listeners ------------------------------------------------------------------------------------------


def _process(processes: Mapping[str, Any], pid: int | None) -> tuple[str | None, str | None]:
    info = _mapping(processes.get(str(pid))) if pid is not None else {}
    name = _text(info.get("name"))
    services = [s for s in (_text(item) for item in _as_list(info.get("services"))) if s]
    if name and name.lower() == "svchost" and services:
        name = f"{name} ({', '.join(sorted(services, key=str.lower))})"
    return name, _text(info.get("user"))


def _listeners(section: Any) -> list[dict[str, Any]]:
    data = _mapping(section)
    processes = _mapping(data.get("processes"))
    found: dict[tuple[str, str, int, int | None], dict[str, Any]] = {}
    for proto in ("tcp", "udp"):
        for item in _as_list(data.get(proto)):
            entry = _mapping(item)
            port, pid = _int(entry.get("port")), _int(entry.get("pid"))
            address = (_text(entry.get("address")) or "").strip("[]").lower()
            if port is None or not 0 < port < 65536 or not address:
                continue
            process, user = _process(processes, pid)
            found.setdefault(
                (proto, address, port, pid),
                {
                    "proto": proto,
                    "address": address,
                    "port": port,
                    "process": process,
                    "pid": pid,
                    "user": user,
                },
            )
    return sorted(found.values(), key=lambda e: (e["proto"], e["port"], e["address"], e["pid"] or 0))


# ---- updates ----------------------------------------------------------------------------------------------


def _is_definition(title: str, categories: list[str]) -> bool:
    kbs = {f"KB{number}" for number in KB.findall(title)}
    return DEFINITION_UPDATES in categories or bool(kbs & set(DEFINITION_KBS))


def _wu_error(text: str | None, hresult: Any) -> str | None:
    if not text and not hresult:
        return None
    code = _text(hresult) or ""
    match = HRESULT.search(code) or HRESULT.search(text or "")
    known = WU_ERRORS.get(match.group(1).upper()) if match else None
    shown = text or f"error {code}"
    return (
        f"Windows Update search failed: {known} ({shown})"
        if known
        else f"Windows Update search failed: {shown}"
    )


def _pending(search: Any) -> tuple[list[str] | None, str | None]:
    """The titles of the pending security updates, and the search's error."""
    if isinstance(search, str) and not search.strip():
        return None, "the Windows Update search returned nothing"
    data, why = _decode(search) if isinstance(search, str) else (search, None)
    if why:
        return None, f"Windows Update search: {why}"
    box = _mapping(data)
    if not box:
        return None, None if data is None else f"Windows Update search: unexpected {_what(data)}"
    error = _wu_error(_text(box.get("error")), box.get("hresult"))
    if error:
        return None, error
    titles: list[str] = []
    for item in _as_list(box.get("pending")):
        update = _mapping(item)
        categories = [c.lower() for c in (_text(x) for x in _as_list(update.get("categories"))) if c]
        if SECURITY_UPDATES not in categories:
            continue
        title = _text(update.get("title")) or "untitled update"
        kbs = [
            k if k.upper().startswith("KB") else f"KB{k}"
            for k in (_text(x) for x in _as_list(update.get("kb")))
            if k
        ]
        missing = [kb for kb in kbs if kb.upper() not in title.upper()]
        titles.append(title + (f" ({', '.join(missing)})" if missing else ""))
    return titles, None


def _last_success(data: Mapping[str, Any]) -> datetime | None:
    moments: list[datetime] = []
    for item in _as_list(data.get("history")):
        entry = _mapping(item)
        title = _text(entry.get("title")) or ""
        categories = [c.lower() for c in (_text(x) for x in _as_list(entry.get("categories"))) if c]
        moment = _date(entry.get("date"))
        if moment and not _is_definition(title, categories):
            moments.append(moment)
    for item in _as_list(data.get("hotfixes")):
        entry = _mapping(item)
        moment = _date(entry.get("installed") or entry.get("InstalledOn"))
        if moment:
            moments.append(moment.replace(hour=0, minute=0, second=0, microsecond=0))
    return max(moments, default=None)


def _updates(section: Any, why: str | None) -> dict[str, Any]:
    data = _mapping(section)
    if why or not data:
        error = f"no update information ({why})" if why else "the probe reported no update information"
        return {
            "manager": "windows_update",
            "pending_security": None,
            "pending_security_count": None,
            "last_success": None,
            "error": error,
        }
    pending, search_error = _pending(data.get("search"))
    timeout = _error(data.get("search_error"))
    last = _last_success(data)
    unknown_last = None
    if last is None:
        unknown_last = (
            _join(
                _error(data.get("history_error")) and f"update history: {_error(data.get('history_error'))}",
                _error(data.get("hotfix_error")) and f"hotfix list: {_error(data.get('hotfix_error'))}",
            )
            or "no successful update recorded"
        )
    if pending is None and not (timeout or search_error):
        search_error = "the Windows Update search reported nothing"
    return {
        "manager": "windows_update",
        "pending_security": pending,
        "pending_security_count": len(pending) if pending is not None else None,
        "last_success": _iso(last),
        "error": _join(timeout, search_error, unknown_last),
    }


# ---- detection ------------------------------------------------------------------------------------------


def _wanted_names(detection_services: Any) -> list[str] | None:
    if detection_services is None:
        return None
    if isinstance(detection_services, str):
        detection_services = detection_services.splitlines()
    names = [_text(name) for name in _as_list(detection_services)]
    return [name for name in names if name]


def _defender_active(defender: Mapping[str, Any]) -> bool | None:
    mode = _text(defender.get("AMRunningMode"))
    if mode:
        return mode.lower() == "normal"
    return _bool(defender.get("AntivirusEnabled"))


def _detection(section: Any, detection_services: Any) -> list[dict[str, Any]]:
    data = _mapping(section)
    reported: dict[str, Mapping[str, Any]] = {}
    for item in _as_list(data.get("services")):
        service = _mapping(item)
        name = _text(service.get("name"))
        if name and name.lower() not in reported:
            reported[name.lower()] = service
    wanted = _wanted_names(detection_services)
    names = wanted if wanted is not None else [_text(e.get("name")) or "" for e in reported.values()]
    defender = _mapping(data.get("defender"))
    found: list[dict[str, Any]] = []
    for name in names:
        entry = reported.get(name.lower())
        if entry is None or _bool(entry.get("found")) is not True or any(f["name"] == name for f in found):
            continue
        running = _enum(entry.get("status"), SERVICE_STATUS) == "Running"
        if name.lower() == "windefend" and running and defender:
            running = _defender_active(defender) is not False
        found.append({"name": name, "installed": True, "running": running})
    return found


# ---- administrators -------------------------------------------------------------------------------------


def _member_from_cmdlet(item: Mapping[str, Any], computer: str) -> str | None:
    name = _text(item.get("Name")) or _text(item.get("SID"))
    if not name:
        return None
    source = _enum(item.get("PrincipalSource"), PRINCIPAL_SOURCE)
    if "\\" in name:
        domain, account = name.split("\\", 1)
        if source == "Local" or (computer and domain.lower() == computer.lower()):
            return account
    return name


def _member_from_adsi(item: Mapping[str, Any], computer: str) -> str | None:
    """WinNT://DOMAIN/user, WinNT://WORKGROUP/PC/user (local), WinNT://PC/user, WinNT://S-1-5-21-..."""
    path = _text(item.get("path"))
    if not path:
        return None
    parts = [p for p in re.sub(r"^WinNT://", "", path, flags=re.IGNORECASE).split("/") if p]
    if not parts:
        return None
    if len(parts) >= 3 or (computer and len(parts) == 2 and parts[0].lower() == computer.lower()):
        return parts[-1]
    return "\\".join(parts)


def _admins(section: Any, why: str | None) -> dict[str, Any]:
    data = _mapping(section)
    group = _text(data.get("group")) or "Administrators"
    error = why or _error(data.get("error"))
    if error or not data:
        return {
            "groups": {},
            "sudoers": [],
            "all": [],
            "error": f"administrators unknown: {error}" if error else "the probe reported no administrators",
        }
    computer = _text(data.get("computer")) or ""
    method = _text(data.get("method"))
    members: list[str] = []
    for item in _as_list(data.get("members")):
        entry = _mapping(item)
        if method == "ADSI" or "path" in entry:
            name = _member_from_adsi(entry, computer)
        else:
            name = _member_from_cmdlet(entry, computer)
        if name and name.lower() not in {m.lower() for m in members}:
            members.append(name)
    members.sort(key=str.lower)
    return {"groups": {group: members}, "sudoers": [], "all": list(members), "error": None}


# ---- encryption ------------------------------------------------------------------------------------------


def _encryption(section: Any, why: str | None) -> dict[str, Any]:
    data = _mapping(section)
    mount = _text(data.get("mount")) or "C:"
    volume = _mapping(data.get("volume"))
    error = why or _error(data.get("error"))
    if error or not volume:
        reason = error or "no volume reported"
        return {
            "root_encrypted": None,
            "method": None,
            "devices": [],
            "error": f"BitLocker state of {mount} unknown: {reason}",
        }
    protection = _enum(volume.get("ProtectionStatus"), PROTECTION_STATUS)
    status = _enum(volume.get("VolumeStatus"), VOLUME_STATUS)
    encrypted_at_all = status not in (None, "FullyDecrypted") or protection == "On"
    root = {"On": True, "Off": False}.get(protection or "")
    return {
        "root_encrypted": root,
        "method": "BitLocker" if encrypted_at_all else None,
        "devices": [mount] if encrypted_at_all else [],
        "error": None
        if root is not None
        else f"BitLocker protection status {protection or 'not reported'} on {mount}",
    }


# ---- domain ----------------------------------------------------------------------------------------------


def _domain(section: Any) -> dict[str, Any]:
    data = _mapping(section)
    joined = _bool(data.get("PartOfDomain"))
    name = _text(data.get("Domain")) if joined else None
    return {"joined": joined, "name": name, "kind": "active_directory" if joined else None}


# ---- time ------------------------------------------------------------------------------------------------


def _w32tm(text: str) -> dict[str, str]:
    """The fields of `w32tm /query /status` by label (English, French) or by line order."""
    pairs = []
    for line in text.replace("\r", "").split("\n"):
        if ":" in line:
            label, value = line.split(":", 1)
            pairs.append((_fold(label), value.strip()))
    fields: dict[str, str] = {}
    for label, value in pairs:
        key = W32TM_LABELS.get(label)
        if key and key not in fields:
            fields[key] = value
    if len(pairs) >= 8 and re.match(r"^\d", pairs[0][1]):
        for index, key in W32TM_ORDER.items():
            fields.setdefault(key, pairs[index][1])
    return fields


def _leading_int(text: str | None) -> int | None:
    match = re.match(r"^\s*(\d+)", text or "")
    return int(match.group(1)) if match else None


def _is_local_clock(source: str) -> bool:
    folded = _fold(source)
    return any(word in folded for word in LOCAL_CLOCK_WORDS)


def _time(section: Any) -> dict[str, Any]:
    data = _mapping(section)
    service = _mapping(data.get("service"))
    status = _enum(service.get("status"), SERVICE_STATUS) if service else None
    text = data.get("w32tm")
    text = "\n".join(str(line) for line in text) if isinstance(text, list) else text
    fields = _w32tm(text) if isinstance(text, str) else {}
    source = "w32time" if service or fields else None
    if not fields.get("source"):
        return {"synchronised": False if status and status != "Running" else None, "source": source}
    leap, stratum = _leading_int(fields.get("leap")), _leading_int(fields.get("stratum"))
    last_sync = bool(re.search(r"\d", fields.get("last_sync", "")))
    synchronised = not _is_local_clock(fields["source"]) and last_sync and leap != 3 and stratum != 0
    return {"synchronised": synchronised, "source": source}


# ---- the document ----------------------------------------------------------------------------------------


def _document(box: Mapping[str, Any], why: str | None, detection_services: Any) -> dict[str, Any]:
    return {
        "collected_at": _iso(_date(box.get("collected_at"))),
        "os": _os(box.get("os"), why),
        "updates": _updates(box.get("updates"), why),
        "listeners": _listeners(box.get("listeners")),
        "detection": _detection(box.get("detection"), detection_services),
        "admins": _admins(box.get("admins"), why),
        "encryption": _encryption(box.get("bitlocker"), why),
        "domain": _domain(box.get("domain")),
        "time": _time(box.get("time")),
    }


def fleet_facts(stdout: Any, detection_services: Any = None) -> dict[str, Any]:
    """The fleet facts document of a Windows host from what the probe printed (its stdout)."""
    data, why = _decode(stdout)
    box = data if isinstance(data, Mapping) else {}
    if why is None and not box:
        why = f"unexpected output {_what(data)}"
    try:
        return _document(box, why, detection_services)
    except Exception as exc:  # a shape nobody foresaw: the document unknown, never a failed run
        return _document({}, f"unexpected probe output ({type(exc).__name__}: {_what(str(exc))})", None)


# ---- Ansible's entry point ---------------------------------------------------------------------------------


class FilterModule:
    """The filter the compliance_facts role uses on Windows hosts."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"carehard_win_fleet_facts": fleet_facts}
