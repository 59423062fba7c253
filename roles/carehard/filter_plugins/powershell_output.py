"""The one decoder of what a PowerShell probe printed, shared by every carehard role that reads Windows
hosts (workstation_windows, remote_access, compliance_facts): their filter plugins import `decode` from
this file, and their tasks decode with the filter `carehard_powershell_json`.

A probe ends in `ConvertTo-Json` and prints one JSON document (an object, or an array), compressed on
one line or indented on several. What else the host may put on stdout is skipped: a byte order mark
(at the start, or at the start of a line where two writes were joined), blank lines, and any line that
is not the document: WARNING:, VERBOSE: and DEBUG: lines, in whatever language Windows speaks
(AVERTISSEMENT :, WARNUNG:...), or the output of a command the probe forgot to silence.

decode(raw) gives (document, None), or (None, why) where `why` names what was seen:
    None, "", blanks, a BOM alone       "the probe printed nothing"
    "null"                              "the probe printed null"
    no JSON object or array             "unreadable output 'Get-CimInstance : Accès refusé'"
    a document that does not parse      "unreadable output '{\"a\":': invalid JSON at line 1, column 6 (...)"
    two documents or more               "unreadable output '...': 2 JSON documents, expected one"
Text that is JSON as a whole is taken as it is (a number or a string too: the caller judges its shape).
Bytes are decoded (UTF-8, or UTF-16 after its BOM); anything else (a mapping, a list, a number: what a
task decoded already) is returned as it is.

Ansible loads this file by path (roles) or as a plugin of the collection carehard.baseline: it uses
the standard library only and never raises, except the filter in strict mode (see powershell_json).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

NOTHING = "the probe printed nothing"
NULL = "the probe printed null"

# Byte order marks where a write began: at the start of the text, or of a line.
_LEADING_BOMS = re.compile(r"^\ufeff+", re.MULTILINE)
# Where a document may begin: an object or an array at the start of a line. ConvertTo-Json indents
# what it nests, so no line inside one of its documents begins so.
_DOCUMENT_START = re.compile(r"^[\[{]", re.MULTILINE)
_DECODER = json.JSONDecoder()


def what(value: Any) -> str:
    """A short description of a value, safe for any type (str() may raise on some)."""
    if isinstance(value, str):
        return repr(value[:60] + ("..." if len(value) > 60 else ""))
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


def _text_of(raw: bytes | bytearray) -> str:
    data = bytes(raw)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8", "replace")


def _documents(text: str) -> tuple[list[Any], json.JSONDecodeError | None]:
    """The JSON documents that begin a line and end one (what follows on their last line is blank),
    and the first error of a line that began like one but did not parse (a truncated object)."""
    found: list[Any] = []
    error: json.JSONDecodeError | None = None
    for start in _DOCUMENT_START.finditer(text):
        try:
            document, stop = _DECODER.raw_decode(text, start.start())
        except json.JSONDecodeError as exc:
            error = error or exc
            continue
        line_end = text.find("\n", stop)
        if not text[stop : len(text) if line_end < 0 else line_end].strip():
            found.append(document)
    return found, error


def decode(raw: Any) -> tuple[Any, str | None]:
    """The JSON document a PowerShell probe printed, and why there is none (None when there is one)."""
    if isinstance(raw, bytes | bytearray):
        raw = _text_of(raw)
    if raw is None:
        return None, NOTHING
    if not isinstance(raw, str):
        return raw, None
    text = _LEADING_BOMS.sub("", str(raw)).strip()
    if not text:
        return None, NOTHING
    try:
        document = json.loads(text)
    except ValueError:
        found, error = _documents(text)
    else:
        found, error = [document], None
    if len(found) > 1:
        return None, f"unreadable output {what(text)}: {len(found)} JSON documents, expected one"
    if not found:
        if error is None:
            return None, f"unreadable output {what(text)}"
        where = f"line {error.lineno}, column {error.colno}"
        return None, f"unreadable output {what(text)}: invalid JSON at {where} ({error.msg})"
    if found[0] is None:
        return None, NULL
    return found[0], None


def powershell_json(raw: Any, strict: bool = True) -> Any:
    """The filter: the document a probe printed. Without one, strict (the default) raises an error
    saying why, so that the task fails on it; strict=false gives {"error": why}, the shape a probe
    prints when it catches its own failure, for tasks that report it as the control's evidence."""
    document, why = decode(raw)
    if why is None:
        return document
    if strict:
        raise ValueError(f"no JSON document in the PowerShell output: {why}")
    return {"error": why}


class FilterModule:
    """carehard's PowerShell output decoder, for the tasks of every role."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"carehard_powershell_json": powershell_json}
