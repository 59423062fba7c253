"""Filters of workstation_linux's integrity controls (tasks/integrity*.yml).

carehard_cmdline_missing: which wanted kernel arguments a command line does not make effective.
carehard_root_only: which files of `stat -c '%n %a %U %G'` lines others than root may reach.
"""

from __future__ import annotations

from typing import Any


def _key(arg: str) -> str:
    return arg.split("=", 1)[0]


def cmdline_missing(line: str, wanted: list[str]) -> list[str]:
    """The wanted arguments ("key=value" or a bare "key") the line does not set, each with what
    it has instead. The kernel keeps the last value of a key, so the last occurrence decides."""
    tokens = str(line or "").split()
    missing = []
    for arg in wanted:
        found = [t for t in tokens if _key(t) == _key(arg)]
        if not found:
            missing.append(f"{arg} (absent)")
        elif found[-1] != arg:
            missing.append(f"{arg} (found {found[-1]})")
    return missing


def root_only(lines: list[str], group: bool = True, executable: bool = True) -> list[str]:
    """The paths ("path mode owner group" lines) that are not owned by root (and group root when
    `group`), or that group or others may access (or that are executable, unless `executable`),
    each with what is wrong."""
    bad = []
    for line in lines or []:
        parts = str(line).rsplit(maxsplit=3)
        if len(parts) != 4:
            continue
        path, mode_text, owner, grp = parts
        mode = int(mode_text, 8)
        wrong = []
        if owner != "root":
            wrong.append(f"owner {owner}")
        if group and grp != "root":
            wrong.append(f"group {grp}")
        if mode & 0o077 or (not executable and mode & 0o100):
            wrong.append(f"mode {mode:04o}")
        if wrong:
            bad.append(f"{path}: {', '.join(wrong)}")
    return bad


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "carehard_cmdline_missing": cmdline_missing,
            "carehard_root_only": root_only,
        }
