"""Filters that turn what the Windows probes of workstation_windows print into facts and verdicts.

Ansible loads this file by path, so it uses the standard library only. Every filter takes either the
object a probe printed, already decoded, or the raw text (JSON, or auditpol's CSV) and never raises:
an empty, unreadable or unexpected input gives the "unknown" shape with a text saying what was seen,
so that a host nobody foresaw cannot abort a run. Every value returned is a plain dict, list, str,
int, bool or None. JSON is decoded by the decoder every carehard role shares (the carehard role's
filter_plugins/powershell_output.py: a warning line or a BOM around the document is skipped).

Windows PowerShell 5.1 `ConvertTo-Json` prints enums as integers, may print a one-element array as
the element itself, prints a DateTime as "\\/Date(ms)\\/" and a SecurityIdentifier as an object;
PowerShell 7 prints ISO 8601 dates and, with -EnumsAsStrings, enum names. Both are accepted.
"""

from __future__ import annotations

import csv
import importlib
import importlib.util
import io
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

# ---- enums, as the cmdlets name them -----------------------------------------------------------------

PROTECTION_STATUS = {0: "Off", 1: "On", 2: "Unknown"}
# Win32_EncryptableVolume.GetConversionStatus names 4 and 5 "...Paused"; Get-BitLockerVolume's own enum
# prints them "...Suspended" and adds the free-space wipe states.
VOLUME_STATUS = {
    0: "FullyDecrypted",
    1: "FullyEncrypted",
    2: "EncryptionInProgress",
    3: "DecryptionInProgress",
    4: "EncryptionPaused",
    5: "DecryptionPaused",
}
VOLUME_STATUS_ALIASES = {
    "EncryptionSuspended": "EncryptionPaused",
    "DecryptionSuspended": "DecryptionPaused",
    "FullyEncryptedWipeInProgress": "FullyEncryptedWipeInProgress",
    "FullyEncryptedWipeSuspended": "FullyEncryptedWipeSuspended",
}
ENCRYPTION_METHOD = {
    0: "None",
    1: "Aes128Diffuser",
    2: "Aes256Diffuser",
    3: "Aes128",
    4: "Aes256",
    5: "Hardware",
    6: "XtsAes128",
    7: "XtsAes256",
    -1: "Unknown",
    0xFFFFFFFF: "Unknown",
}
# Get-BitLockerVolume calls type 3 (WMI's "numerical password") RecoveryPassword.
KEY_PROTECTOR_TYPE = {
    0: "Unknown",
    1: "Tpm",
    2: "ExternalKey",
    3: "RecoveryPassword",
    4: "TpmPin",
    5: "TpmStartupKey",
    6: "TpmPinStartupKey",
    7: "PublicKey",
    8: "Password",
    9: "TpmNetworkKey",
    10: "AdAccountOrGroup",
}
KEY_PROTECTOR_ALIASES = {"NumericalPassword": "RecoveryPassword"}

MAPS_REPORTING = {0: "Disabled", 1: "Basic", 2: "Advanced"}
SUBMIT_SAMPLES = {0: "AlwaysPrompt", 1: "SendSafeSamples", 2: "NeverSend", 3: "SendAllSamples"}
SIGNATURE_NEVER_UPDATED = (65535, 0xFFFFFFFF)

GPO_BOOLEAN = {0: "False", 1: "True", 2: "NotConfigured"}
FIREWALL_ACTION = {0: "NotConfigured", 2: "Allow", 4: "Block"}
FIREWALL_PROFILES = ("Domain", "Private", "Public")
WINDOWS_DEFAULT = "(not configured: Windows default)"

VBS_STATUS = {0: "off", 1: "enabled, not running", 2: "running"}
VBS_ALIASES = {"Configured": "enabled, not running", "NotEnabled": "off"}
DEVICE_GUARD_SERVICE = {1: "CredentialGuard", 2: "HypervisorEnforcedCodeIntegrity"}
CREDENTIAL_GUARD, HVCI = 1, 2

# Get-WindowsOptionalFeature's State is Microsoft.Dism.Commands.FeatureState, not the DISM API's
# DismPackageFeatureState: the same integer means another state (2 is Enabled here, Staged there).
FEATURE_STATE = {
    0: "Disabled",
    1: "DisablePending",
    2: "Enabled",
    3: "EnablePending",
    4: "Superseded",
    5: "PartiallyInstalled",
    6: "DisabledWithPayloadRemoved",
}
FEATURE_STATE_ALIASES = {
    "NotPresent": "Disabled",
    "Staged": "Disabled",
    "UninstallPending": "DisablePending",
    "Removed": "DisabledWithPayloadRemoved",
    "Resolved": "DisabledWithPayloadRemoved",
    "Installed": "Enabled",
    "InstallPending": "EnablePending",
}
FEATURE_ENABLED = {"Enabled", "EnablePending", "PartiallyInstalled"}

LAPS_BACKUP = {1: ("windows_laps_entra", "Microsoft Entra ID"), 2: ("windows_laps_ad", "Active Directory")}

NETBIOS_OPTIONS = {0: "default: from DHCP", 1: "enabled", 2: "disabled"}
NETBT_NODE_TYPE = {1: "B-node", 2: "P-node", 4: "M-node", 8: "H-node"}

# RegistryValueKind, which a probe that forgets .ToString() prints as an integer.
REGISTRY_KIND = {
    -1: "None",
    0: "Unknown",
    1: "String",
    2: "ExpandString",
    3: "Binary",
    4: "DWord",
    7: "MultiString",
    11: "QWord",
}
REGISTRY_TYPE_NAME = {
    "String": "REG_SZ",
    "ExpandString": "REG_EXPAND_SZ",
    "Binary": "REG_BINARY",
    "DWord": "REG_DWORD",
    "MultiString": "REG_MULTI_SZ",
    "QWord": "REG_QWORD",
    "None": "REG_NONE",
    "Unknown": "an unknown registry type",
}
SETTING_KIND = {
    "dword": "DWord",
    "qword": "QWord",
    "string": "String",
    "expandstring": "ExpandString",
    "multistring": "MultiString",
}
UNSIGNED_BITS = {"DWord": 32, "QWord": 64}

AUDIT_GUID = re.compile(
    r"^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$", re.IGNORECASE
)
# Inclusion Setting texts after _fold (accents and case dropped): English, French, German.
AUDIT_SETTINGS: dict[str, tuple[bool, bool]] = {
    "no auditing": (False, False),
    "success": (True, False),
    "failure": (False, True),
    "success and failure": (True, True),
    "pas d'audit": (False, False),
    "succes": (True, False),
    "echec": (False, True),
    "succes et echec": (True, True),
    "keine uberwachung": (False, False),
    "erfolg": (True, False),
    "fehler": (False, True),
    "erfolg und fehler": (True, True),
}

LOCAL_ACCOUNT_SID = re.compile(r"^S-1-5-21-\d+-\d+-\d+-(\d+)$", re.IGNORECASE)
BUILTIN_RID = {500: "administrator", 501: "guest"}

MS_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# ---- decoding what a probe printed -------------------------------------------------------------------


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
_what: Callable[[Any], str] = _POWERSHELL.what


def _error_of(value: Any) -> str | None:
    """The text of the probe's "error" member, if it reported one."""
    if isinstance(value, Mapping) and value.get("error"):
        return _text(value.get("error"))
    return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else _what(value)


def _as_list(value: Any) -> list[Any]:
    """A list for what may be a list, one collapsed element, or nothing."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _first_mapping(value: Any) -> Mapping[str, Any] | None:
    return next((item for item in _as_list(value) if isinstance(item, Mapping)), None)


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


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            value = float(value.replace(",", "."))
        except ValueError:
            return None
    return value if isinstance(value, float) and math.isfinite(value) else None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if _int(value) in (0, 1):
        return _int(value) == 1
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _enum(value: Any, names: Mapping[int, str], aliases: Mapping[str, str] | None = None) -> str | None:
    """The name of an enum printed as its integer (5.1) or its name (7), None if unrecognised."""
    number = _int(value)
    if number is not None:
        return names.get(number)
    if not isinstance(value, str):
        return None
    wanted = re.sub(r"[\s_-]", "", value).lower()
    known = {name: name for name in names.values()} | dict(aliases or {})
    return next((canonical for name, canonical in known.items() if name.lower() == wanted), None)


def _enum_or_raw(
    value: Any, names: Mapping[int, str], aliases: Mapping[str, str] | None = None
) -> str | None:
    """The enum's name; what was printed when unrecognised (so texts show it); None when absent."""
    if value is None:
        return None
    return _enum(value, names, aliases) or _text(value)


def _date(value: Any) -> datetime | None:
    """A DateTime printed by 5.1 ("/Date(ms)/", maybe wrapped with DisplayHint) or 7 (ISO 8601)."""
    if isinstance(value, Mapping):
        value = value.get("value")
    if not isinstance(value, str):
        return None
    text = value.strip().replace("\\/", "/")
    match = MS_DATE.match(text)
    try:
        if match:
            # The milliseconds are UTC; a +hhmm suffix only tells the local zone of the writer.
            return EPOCH + timedelta(milliseconds=int(match.group(1)))
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _plain(value: Any) -> Any:
    """A copy made of dict/list/str/int/float/bool/None only (Ansible's own str subclasses included)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return _what(value)


# ---- 1. registry values ------------------------------------------------------------------------------


def _registry_kind(value: Any) -> str | None:
    return _enum(value, REGISTRY_KIND) if value is not None else None


def _unsigned(value: Any, kind: str) -> Any:
    number = _int(value)
    return number % (1 << UNSIGNED_BITS[kind]) if number is not None else value


def _normalise(value: Any, kind: str | None) -> Any:
    """A registry value as REG_* data: unsigned numbers, strings, lists of strings."""
    if value is None:
        return None
    if kind in UNSIGNED_BITS:
        return _plain(_unsigned(value, kind or ""))
    if kind == "MultiString":
        return [str(item) if isinstance(item, str) else _what(item) for item in _as_list(value)]
    if kind in ("String", "ExpandString") and isinstance(value, str):
        return str(value)
    return _plain(value)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return _what(value)


def _expectation(compare: str, want: Any) -> str:
    shown = _show(want)
    return {
        "eq": f"expected {shown}",
        "min": f"expected at least {shown}",
        "max": f"expected at most {shown}",
        "nonzero_max": f"expected 1..{shown}",
    }.get(compare, f"unknown comparison {compare!r}")


def _comparable(value: Any, kind: str) -> Any:
    number = _int(value)
    if number is not None and kind in UNSIGNED_BITS:
        return _unsigned(number, kind)
    return number if number is not None else value


def _complies(value: Any, want: Any, compare: str, kind: str) -> bool:
    if kind == "MultiString":
        return compare == "eq" and _normalise(value, kind) == _normalise(want, kind)
    have, need = _comparable(value, kind), _comparable(want, kind)
    if compare == "eq":
        return bool(have == need)
    if not isinstance(have, int) or not isinstance(need, int):
        return False
    return {
        "min": have >= need,
        "max": have <= need,
        "nonzero_max": 1 <= have <= need,
    }.get(compare, False)


def _bad_setting(text: str) -> dict[str, Any]:
    return {"path": None, "name": None, "want": None, "value": None, "kind": None, "ok": False, "text": text}


def _word(value: Any, default: str) -> str:
    """A setting's type or comparison, lower case."""
    if value is None or value == "":
        return default
    return value.strip().lower() if isinstance(value, str) else _what(value)


def _registry_entry(values: Mapping[str, Any], path: str, name: str) -> Mapping[str, Any]:
    entry = values.get(f"{path}|{name}")
    return entry if isinstance(entry, Mapping) else {}


def _unset_text(name: str, path: str, key: bool | None, expectation: str, why: str | None) -> str:
    reasons = [why or "", "key absent" if key is False else "", expectation]
    return f"{name} unset in {path} ({'; '.join(reason for reason in reasons if reason)})"


def _eval_setting(setting: Any, values: Mapping[str, Any], why: str | None) -> dict[str, Any]:
    if not isinstance(setting, Mapping):
        return _bad_setting(f"setting {_what(setting)}: expected a mapping")
    path, name = setting.get("path"), setting.get("name")
    if not isinstance(path, str) or not isinstance(name, str):
        return _bad_setting(f"setting {_what(path)}|{_what(name)}: path and name must be strings")
    path, name = str(path), str(name)
    setting_type, compare = _word(setting.get("type"), "dword"), _word(setting.get("compare"), "eq")
    want, wanted_kind = _plain(setting.get("data")), SETTING_KIND.get(setting_type)
    entry = _registry_entry(values, path, name)
    key, kind = _bool(entry.get("key")), _registry_kind(entry.get("kind"))
    value = _normalise(entry.get("value"), kind or wanted_kind)
    result = {"path": path, "name": name, "want": want, "value": value, "kind": kind}
    if wanted_kind is None:
        return result | {"ok": False, "text": f"{name} in {path}: unknown type {setting_type!r}"}
    if key is False and _bool(setting.get("absent_ok")):
        return result | {"ok": True, "text": f"{path} absent (not installed)"}
    expectation = _expectation(compare, want)
    if value is None:
        return result | {"ok": False, "text": _unset_text(name, path, key, expectation, why)}
    if kind is not None and kind != wanted_kind:
        wrong = f"{REGISTRY_TYPE_NAME[kind]}, expected {REGISTRY_TYPE_NAME[wanted_kind]} {_show(want)}"
        return result | {"ok": False, "text": f"{name} = {_show(value)} in {path} ({wrong})"}
    ok = _complies(value, want, compare, wanted_kind)
    text = f"{name} = {_show(value)} in {path}" + ("" if ok else f" ({expectation})")
    return result | {"ok": ok, "text": text}


def registry_eval(read: Any, settings: Any) -> list[dict[str, Any]]:
    """Each wanted registry setting against what the probe read: value, verdict, text."""
    values, why = _decode(read)
    why = why or _error_of(values)
    if why is None and not isinstance(values, Mapping):
        why = f"registry read was {_what(values)}, expected an object"
    items, _ = _decode(settings)
    if not isinstance(items, list):
        return [_bad_setting(f"settings: expected a list, got {_what(settings if items is None else items)}")]
    known = values if why is None else {}
    return [_eval_setting(setting, known, f"registry not read: {why}" if why else None) for setting in items]


# ---- 2-3. audit policy -------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case, no accents, straight apostrophes, single spaces: how settings are compared."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.lower().split())


def _guid(value: Any) -> str | None:
    if not isinstance(value, str) or not AUDIT_GUID.match(value.strip()):
        return None
    return "{" + value.strip().strip("{}").upper() + "}"


def _audit_row(row: list[str]) -> tuple[str, dict[str, Any]] | None:
    """One subcategory from a CSV row, found by its GUID column (the one column never translated)."""
    index = next((i for i, field in enumerate(row) if _guid(field)), None)
    if index is None or index == 0 or index + 1 >= len(row):
        return None
    setting = row[index + 1].strip()
    success, failure = AUDIT_SETTINGS.get(_fold(setting), (None, None))
    entry = {
        "subcategory": row[index - 1].strip(),
        "success": success,
        "failure": failure,
        "setting": setting,
    }
    return _guid(row[index]) or "", entry


def _lines(text: Any) -> str | None:
    """The output as one string: stdout, stdout_lines or bytes; NULs left by a UTF-16 misread dropped."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if isinstance(text, list | tuple) and all(isinstance(line, str) for line in text):
        text = "\n".join(text)
    return text.lstrip("\ufeff").replace("\x00", "") if isinstance(text, str) else None


def auditpol(text: Any) -> dict[str, dict[str, Any]]:
    """`auditpol /get /category:* /r` as {GUID: {subcategory, success, failure, setting}}."""
    body = _lines(text)
    if body is None:
        return {}
    try:
        rows = [_audit_row(row) for row in csv.reader(io.StringIO(body))]
    except csv.Error:
        return {}
    return dict(row for row in rows if row)


def _audit_label(success: bool | None, failure: bool | None) -> str:
    if success and failure:
        return "Success and Failure"
    return "Success" if success else "Failure" if failure else "No Auditing"


def _audit_result(
    guid: str | None, name: str | None, have: str, sets: tuple[bool, bool], ok: bool, text: str
) -> dict[str, Any]:
    return {
        "guid": guid,
        "name": name,
        "have": have,
        "set_success": sets[0],
        "set_failure": sets[1],
        "ok": ok,
        "text": text,
    }


def _audit_item(wanted: Any, policy: Mapping[str, Any], why: str | None) -> dict[str, Any]:
    if not isinstance(wanted, Mapping):
        text = f"audit entry {_what(wanted)}: expected a mapping"
        return _audit_result(None, None, "absent", (False, False), False, text)
    guid = _guid(wanted.get("guid"))
    name = _text(wanted.get("name") or wanted.get("guid"))
    wants = (_bool(wanted.get("success")) is True, _bool(wanted.get("failure")) is True)
    expected = _audit_label(*wants)
    entry = policy.get(guid or "")
    if not isinstance(entry, Mapping):
        missing = f"not reported ({why})" if why else f"absent from the auditpol output (expected {expected})"
        return _audit_result(guid, name, "absent", wants, not any(wants), f"{name}: {missing}")
    have = _text(entry.get("setting"))
    success, failure = entry.get("success"), entry.get("failure")
    if success is None or failure is None:
        return _audit_result(guid, name, have, wants, False, f"{name}: unrecognised setting {have!r}")
    sets = (wants[0] and not success, wants[1] and not failure)
    ok = not any(sets)
    text = f"{name}: {_audit_label(success, failure)}" + ("" if ok else f" (expected {expected})")
    return _audit_result(guid, name, have, sets, ok, text)


def audit_eval(parsed: Any, wanted: Any) -> list[dict[str, Any]]:
    """Each wanted subcategory against the parsed audit policy (or auditpol's raw output)."""
    policy = parsed if isinstance(parsed, Mapping) else auditpol(parsed)
    why = _error_of(policy) or (None if policy else "auditpol output empty or unreadable")
    items, _ = _decode(wanted)
    if not isinstance(items, list):
        return [_audit_item(wanted if items is None else items, policy, why)]
    return [_audit_item(item, policy, why) for item in items]


# ---- 4. BitLocker ------------------------------------------------------------------------------------


def _pick_volume(volumes: Any, mount: str) -> Mapping[str, Any] | None:
    candidates = [volume for volume in _as_list(volumes) if isinstance(volume, Mapping)]
    same = [v for v in candidates if str(v.get("MountPoint", "")).rstrip("\\").upper() == mount.upper()]
    return next(iter(same or candidates), None)


def _protectors(value: Any) -> list[str]:
    """Protector types; a depth-truncated 5.1 print gives the protector's ToString(), its type name."""
    types = (item.get("KeyProtectorType") if isinstance(item, Mapping) else item for item in _as_list(value))
    names = (_enum_or_raw(kind, KEY_PROTECTOR_TYPE, KEY_PROTECTOR_ALIASES) for kind in types)
    return [name for name in names if name]


def _bitlocker_unavailable(mount: str, why: str) -> dict[str, Any]:
    return {
        "available": False,
        "mount": mount,
        "protection": None,
        "status": None,
        "method": None,
        "percentage": None,
        "protectors": [],
        "ok": False,
        "text": f"BitLocker not available on {mount} ({why})",
    }


def _bitlocker_input(data: Any) -> tuple[str, Any, str | None]:
    """The mount point, the volume(s) and the probe's error; a bare Get-BitLockerVolume print is taken too."""
    if isinstance(data, Mapping) and "MountPoint" not in data:
        mount = _text(data.get("mount")) if data.get("mount") else "?"
        return mount, data.get("volume"), _error_of(data)
    return "?", data, None


def bitlocker(obj: Any) -> dict[str, Any]:
    """The BitLocker state of one volume; ok when its protection is On."""
    data, why = _decode(obj)
    mount, volumes, error = _bitlocker_input(data)
    volume = None if why or error else _pick_volume(volumes, mount)
    if volume is None:
        found = f"no volume in {_what(volumes)}" if volumes is not None else "no volume reported"
        return _bitlocker_unavailable(mount, why or error or found)
    mount = mount if mount != "?" else _text(volume.get("MountPoint"))
    protection = _enum_or_raw(volume.get("ProtectionStatus"), PROTECTION_STATUS)
    status = _enum_or_raw(volume.get("VolumeStatus"), VOLUME_STATUS, VOLUME_STATUS_ALIASES)
    method = _enum_or_raw(volume.get("EncryptionMethod"), ENCRYPTION_METHOD)
    number = _number(volume.get("EncryptionPercentage"))
    percentage = round(number) if number is not None else None
    protectors = _protectors(volume.get("KeyProtector"))
    shown_percentage = f"{percentage}%" if percentage is not None else "percentage unknown"
    details = f"{method or 'method unknown'}, {shown_percentage}"
    text = (
        f"{mount} protection {protection or 'unknown'}, {status or 'status unknown'} ({details}), "
        f"protectors {', '.join(protectors) or 'none'}"
    )
    return {
        "available": True,
        "mount": mount,
        "protection": protection,
        "status": status,
        "method": method,
        "percentage": percentage,
        "protectors": protectors,
        "ok": protection == "On",
        "text": text,
    }


# ---- 5. Microsoft Defender ---------------------------------------------------------------------------


def _realtime_text(mode: str | None, active: bool, realtime: bool | None, disabled: bool | None) -> str:
    not_provided = "real-time protection not provided by Defender"
    if not active and mode and ("passive" in mode.lower() or "edr" in mode.lower()):
        return f"Microsoft Defender in {mode} (another antivirus is active): {not_provided}"
    if not active:
        why = f"AMRunningMode {mode}" if mode else "AntivirusEnabled false"
        return f"Microsoft Defender antivirus not active ({why}): {not_provided}"
    if realtime is None:
        return "real-time protection state not reported"
    if realtime:
        return "real-time protection on"
    return "real-time protection off" + (" (DisableRealtimeMonitoring set)" if disabled else "")


def _defender_engine(
    status: Mapping[str, Any] | None, preference: Mapping[str, Any], why: str
) -> dict[str, Any]:
    if status is None:
        text = f"Microsoft Defender status not available ({why})"
        return {"present": False, "mode": None, "active": False, "realtime": False, "realtime_text": text}
    mode = _text(status.get("AMRunningMode")) if status.get("AMRunningMode") else None
    active = mode.lower() == "normal" if mode else _bool(status.get("AntivirusEnabled")) is True
    disabled = _bool(preference.get("DisableRealtimeMonitoring"))
    realtime = _bool(status.get("RealTimeProtectionEnabled"))
    if realtime is None and disabled is not None:
        realtime = not disabled
    return {
        "present": True,
        "mode": mode,
        "active": active,
        "realtime": active and realtime is True,
        "realtime_text": _realtime_text(mode, active, realtime, disabled),
    }


def _defender_cloud(preference: Mapping[str, Any] | None) -> dict[str, Any]:
    if preference is None:
        text = "cloud protection settings not reported"
        return {"cloud": None, "samples": "unknown", "cloud_ok": False, "cloud_text": text}
    cloud = _enum_or_raw(preference.get("MAPSReporting"), MAPS_REPORTING)
    samples = _enum_or_raw(preference.get("SubmitSamplesConsent"), SUBMIT_SAMPLES) or "unknown"
    problem = _cloud_problem(cloud, samples)
    text = f"cloud protection {cloud or 'not reported'}, sample submission {samples}"
    return {
        "cloud": cloud,
        "samples": samples,
        "cloud_ok": problem is None,
        "cloud_text": text + (f": {problem}" if problem else ""),
    }


def _cloud_problem(cloud: str | None, samples: str) -> str | None:
    if cloud not in ("Basic", "Advanced"):
        return "cloud-delivered protection off" if cloud == "Disabled" else "MAPSReporting not recognised"
    if samples not in ("SendSafeSamples", "SendAllSamples"):
        return "samples not sent automatically"
    return None


def _signature_text(age: int | None, never: bool, max_age: int | None, version: str | None) -> str:
    if never:
        return "antivirus signatures never updated"
    if age is None:
        return "antivirus signature age not reported"
    text = f"antivirus signatures {age} day{'s' if age != 1 else ''} old (version {version or 'unknown'})"
    if max_age is None:
        return text + ", no maximum age given"
    return text if age <= max_age else text + f", more than {max_age} days"


def _defender_signature(status: Mapping[str, Any] | None, max_age: int | None) -> dict[str, Any]:
    status = status or {}
    age = _int(status.get("AntivirusSignatureAge"))
    never = age in SIGNATURE_NEVER_UPDATED
    age = None if never else age
    version = (
        _text(status.get("AntivirusSignatureVersion")) if status.get("AntivirusSignatureVersion") else None
    )
    return {
        "signature_age_days": age,
        "signature_updated": _iso(_date(status.get("AntivirusSignatureLastUpdated"))),
        "signature_version": version,
        "signature_ok": age is not None and max_age is not None and age <= max_age,
        "signature_text": _signature_text(age, never, max_age, version),
    }


def defender(obj: Any, max_signature_age_days: Any) -> dict[str, Any]:
    """Microsoft Defender's mode, real-time and cloud protection, signature age, tamper protection."""
    data, why = _decode(obj)
    box = data if isinstance(data, Mapping) else {}
    expected = "status not reported" if isinstance(data, Mapping) else f"unexpected {_what(data)}"
    why = why or _error_of(box) or expected
    status, preference = _first_mapping(box.get("status")), _first_mapping(box.get("preference"))
    engine = _defender_engine(status, preference or {}, why)
    cloud = _defender_cloud(preference)
    signature = _defender_signature(status, _int(max_signature_age_days))
    tamper = _bool(status.get("IsTamperProtected")) if status else None
    if not engine["present"]:
        text = f"Microsoft Defender not available ({why})"
    else:
        shown = {True: "on", False: "off", None: "not reported"}[tamper]
        parts = [engine["realtime_text"], cloud["cloud_text"], signature["signature_text"]]
        text = f"Microsoft Defender ({engine['mode'] or 'mode not reported'}): " + "; ".join(parts)
        text += f"; tamper protection {shown}"
    return engine | cloud | signature | {"tamper": tamper, "text": text}


# ---- 6. Windows Firewall -----------------------------------------------------------------------------


def _firewall_enabled(value: Any) -> tuple[bool, str]:
    state = _enum(value, GPO_BOOLEAN) if not isinstance(value, bool) else str(value)
    if state == "NotConfigured":
        return True, f"on {WINDOWS_DEFAULT}"
    if state in ("True", "False"):
        return state == "True", "on" if state == "True" else "off"
    return False, f"state {_what(value)} unrecognised"


def _firewall_action(value: Any, default: str) -> tuple[str, str]:
    action = _enum(value, FIREWALL_ACTION)
    if action == "NotConfigured":
        return default, f"{default} {WINDOWS_DEFAULT}"
    if action:
        return action, action
    shown = _text(value) if value is not None else "unknown"
    return shown, f"{shown} (unrecognised)"


def _firewall_profile(name: str, item: Mapping[str, Any] | None, why: str | None) -> dict[str, Any]:
    if item is None:
        text = f"{name}: not reported" + (f" ({why})" if why else "")
        return {
            "name": name,
            "enabled": False,
            "inbound": "unknown",
            "outbound": "unknown",
            "ok": False,
            "text": text,
        }
    enabled, enabled_text = _firewall_enabled(item.get("Enabled"))
    inbound, inbound_text = _firewall_action(item.get("DefaultInboundAction"), "Block")
    outbound, outbound_text = _firewall_action(item.get("DefaultOutboundAction"), "Allow")
    return {
        "name": name,
        "enabled": enabled,
        "inbound": inbound,
        "outbound": outbound,
        "ok": enabled and inbound == "Block",
        "text": f"{name}: {enabled_text}, inbound {inbound_text}, outbound {outbound_text}",
    }


def firewall(obj: Any) -> list[dict[str, Any]]:
    """The Domain, Private and Public profiles, in that order; ok when on and blocking inbound."""
    data, why = _decode(obj)
    why = why or _error_of(data)
    profiles = {
        _text(item.get("Name")).lower(): item
        for item in ([] if why else _as_list(data))
        if isinstance(item, Mapping) and isinstance(item.get("Name"), str)
    }
    if not profiles and why is None:
        why = f"no profile in {_what(data)}"
    return [_firewall_profile(name, profiles.get(name.lower()), why) for name in FIREWALL_PROFILES]


# ---- 7. built-in accounts ----------------------------------------------------------------------------


def _sid(value: Any) -> str | None:
    """A SID printed as a string or as 5.1's SecurityIdentifier object (its Value member)."""
    if isinstance(value, Mapping):
        value = value.get("Value")
    return value.strip() if isinstance(value, str) else None


def _account_text(role: str, account: Mapping[str, Any] | None) -> str:
    if account is None:
        return f"no local {role} account (RID {'500' if role == 'administrator' else '501'}) reported"
    state = {True: "enabled", False: "disabled", None: "state unknown"}[account["enabled"]]
    return f"{role} account {account['name']} {state}"


def builtin_accounts(obj: Any) -> dict[str, Any]:
    """The local built-in Administrator (RID 500) and Guest (RID 501), whatever they are named."""
    data, why = _decode(obj)
    why = why or _error_of(data)
    users = [] if why else [item for item in _as_list(data) if isinstance(item, Mapping)]
    why = why or (None if users else f"no user in {_what(data)}")
    found: dict[str, Any] = {"administrator": None, "guest": None}
    for user in users:
        sid = _sid(user.get("SID"))
        match = LOCAL_ACCOUNT_SID.match(sid or "")
        role = BUILTIN_RID.get(int(match.group(1))) if match else None
        if role:
            name = _text(user.get("Name")) if user.get("Name") else None
            found[role] = {"name": name, "enabled": _bool(user.get("Enabled")), "sid": sid}
    text = (
        f"local users not reported ({why})" if why else "; ".join(_account_text(r, found[r]) for r in found)
    )
    return found | {"known": not why, "text": text}


# ---- 8. Credential Guard -----------------------------------------------------------------------------


def _service(item: Any) -> int | None:
    """A security service by number (Win32_DeviceGuard) or name (Get-ComputerInfo's enum)."""
    number = _int(item)
    if number is not None:
        return number
    name = _enum(item, DEVICE_GUARD_SERVICE)
    return next((number for number, known in DEVICE_GUARD_SERVICE.items() if known == name), None)


def _services(value: Any) -> set[int]:
    return {number for number in map(_service, _as_list(value)) if number is not None}


def credential_guard(obj: Any) -> dict[str, Any]:
    """Whether Credential Guard runs, from Win32_DeviceGuard."""
    data, why = _decode(obj)
    guard = _first_mapping(data)
    why = why or _error_of(guard)
    keys = ("SecurityServicesConfigured", "SecurityServicesRunning", "VirtualizationBasedSecurityStatus")
    if why is None and (guard is None or not any(key in guard for key in keys)):
        why = f"unexpected {_what(data)}"
    if why or guard is None:
        unknown = {"available": False, "running": False, "configured": False, "vbs": "unknown"}
        return unknown | {
            "hvci_running": False,
            "ok": False,
            "text": f"Device Guard status not available ({why})",
        }
    running = _services(guard.get("SecurityServicesRunning"))
    configured = _services(guard.get("SecurityServicesConfigured"))
    vbs = _enum(guard.get("VirtualizationBasedSecurityStatus"), VBS_STATUS, VBS_ALIASES) or "unknown"
    hvci = HVCI in running
    memory = f"memory integrity {'running' if hvci else 'not running'}"
    if CREDENTIAL_GUARD in running:
        text = f"Credential Guard running (VBS {vbs}, {memory})"
    elif CREDENTIAL_GUARD in configured:
        text = f"Credential Guard configured but not running (VBS {vbs}, {memory})"
    else:
        text = f"Credential Guard not configured (VBS {vbs}, {memory})"
    return {
        "available": True,
        "running": CREDENTIAL_GUARD in running,
        "configured": CREDENTIAL_GUARD in configured,
        "vbs": vbs,
        "hvci_running": hvci,
        "ok": CREDENTIAL_GUARD in running,
        "text": text,
    }


# ---- 9. optional features ----------------------------------------------------------------------------


def _feature(item: Mapping[str, Any]) -> dict[str, Any]:
    if "installed" in item:
        installed = _bool(item.get("installed"))
        shown = {True: "Enabled", False: "Disabled", None: "unknown"}[installed]
        return {"state": shown, "enabled": installed is True}
    raw = item.get("state", item.get("State"))
    state = _enum(raw, FEATURE_STATE, FEATURE_STATE_ALIASES)
    return {"state": state or f"unknown ({_what(raw)})", "enabled": state in FEATURE_ENABLED}


def features(obj: Any) -> dict[str, dict[str, Any]]:
    """{feature name: {state, enabled}} from Get-WindowsOptionalFeature or Get-WindowsFeature."""
    data, _ = _decode(obj)
    found: dict[str, dict[str, Any]] = {}
    for item in _as_list(data):
        if not isinstance(item, Mapping):
            continue
        name = item.get("name") or item.get("FeatureName") or item.get("Name")
        if isinstance(name, str):
            found[str(name)] = _feature(item)
    return found


# ---- 10. LAPS ----------------------------------------------------------------------------------------


def _windows_laps_text(policy: Mapping[str, Any] | None, reported: bool) -> str:
    if not reported:
        return "Windows LAPS policy not reported"
    backup = _int(policy.get("BackupDirectory")) if policy else None
    if backup is None:
        return "Windows LAPS policy not configured"
    where = f" in {_text(policy.get('path'))}" if policy and policy.get("path") else ""
    if backup == 0:
        return f"Windows LAPS policy{where} sets BackupDirectory 0 (password not backed up)"
    return f"Windows LAPS BackupDirectory {backup}{where} unrecognised"


def _legacy_laps_text(legacy: Mapping[str, Any] | None, reported: bool) -> str:
    if not reported:
        return "legacy LAPS (AdmPwd) state not reported"
    if legacy is None or _bool(legacy.get("installed")) is not True:
        return "legacy LAPS (AdmPwd) not installed"
    enabled = _int(legacy.get("AdmPwdEnabled"))
    shown = enabled if enabled is not None else "unset"
    return f"legacy LAPS (AdmPwd) installed but not enabled (AdmPwdEnabled {shown})"


def laps(obj: Any) -> dict[str, Any]:
    """Whether a LAPS backs the local administrator password up: Windows LAPS, else legacy LAPS."""
    data, why = _decode(obj)
    why = why or _error_of(data) or (None if isinstance(data, Mapping) else f"unexpected {_what(data)}")
    if why or not isinstance(data, Mapping):
        return {"ok": False, "kind": None, "text": f"LAPS state not reported ({why})"}
    policy, legacy = _first_mapping(data.get("windows_laps")), _first_mapping(data.get("legacy"))
    directory = _int(policy.get("BackupDirectory")) if policy else None
    backup = LAPS_BACKUP.get(directory) if directory is not None else None
    if backup and policy:
        where = _text(policy.get("path")) if policy.get("path") else "path not reported"
        text = f"Windows LAPS backs the password up to {backup[1]} (policy {where})"
        return {"ok": True, "kind": backup[0], "text": text}
    if legacy and _bool(legacy.get("installed")) is True and _int(legacy.get("AdmPwdEnabled")) == 1:
        return {"ok": True, "kind": "legacy_laps", "text": "legacy Microsoft LAPS installed and enabled"}
    windows_text = _windows_laps_text(policy, "windows_laps" in data)
    legacy_text = _legacy_laps_text(legacy, "legacy" in data)
    return {"ok": False, "kind": None, "text": f"no LAPS: {windows_text}, {legacy_text}"}


# ---- 11. NetBIOS over TCP/IP -------------------------------------------------------------------------


def _netbios_interface(item: Mapping[str, Any]) -> dict[str, Any]:
    name = _text(item.get("name")) if item.get("name") else "?"
    options = _int(item.get("options"))
    if options is None:
        meaning = "unset (default: from DHCP)"
    else:
        meaning = f"{options} ({NETBIOS_OPTIONS.get(options, 'unrecognised')})"
    return {"name": name, "options": options, "ok": options == 2, "text": f"{name}: NetbiosOptions {meaning}"}


def _node_text(node_type: int | None) -> str:
    if node_type is None:
        return "NodeType unset (broadcast name resolution allowed)"
    return f"NodeType {node_type} ({NETBT_NODE_TYPE.get(node_type, 'unrecognised')})"


def _interfaces_text(interfaces: list[dict[str, Any]], fix: list[str]) -> str:
    if not interfaces:
        return "no NetBT interface reported"
    if fix:
        return f"NetBIOS over TCP/IP not disabled on {', '.join(fix)}"
    return f"NetBIOS over TCP/IP disabled on {len(interfaces)} interface{'s' if len(interfaces) != 1 else ''}"


def netbios(obj: Any) -> dict[str, Any]:
    """NetBIOS over TCP/IP per interface (NetbiosOptions 2 = disabled) and the NetBT node type."""
    data, why = _decode(obj)
    why = why or _error_of(data) or (None if isinstance(data, Mapping) else f"unexpected {_what(data)}")
    box = data if isinstance(data, Mapping) and not why else {}
    node_type = _int(box.get("node_type"))
    items = _as_list(box.get("interfaces"))
    interfaces = [_netbios_interface(item) for item in items if isinstance(item, Mapping)]
    fix = [item["name"] for item in interfaces if not item["ok"]]
    text = f"{_interfaces_text(interfaces, fix)}; {_node_text(node_type)}"
    text = f"NetBIOS state not reported ({why})" if why else text
    return {
        "interfaces": interfaces,
        "fix": fix,
        "node_type": node_type,
        "node_ok": node_type == 2,
        "ok": bool(interfaces) and not fix and node_type == 2,
        "text": text,
    }


# ---- Ansible's entry point ---------------------------------------------------------------------------


class FilterModule:
    """The filters of this file, by the names the workstation_windows tasks use."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "carehard_win_registry_eval": registry_eval,
            "carehard_win_auditpol": auditpol,
            "carehard_win_audit_eval": audit_eval,
            "carehard_win_bitlocker": bitlocker,
            "carehard_win_defender": defender,
            "carehard_win_firewall": firewall,
            "carehard_win_builtin_accounts": builtin_accounts,
            "carehard_win_credential_guard": credential_guard,
            "carehard_win_features": features,
            "carehard_win_laps": laps,
            "carehard_win_netbios": netbios,
        }
