"""carehard's optional config file: where it is, and its sections, checked before any run.

Found at $CAREHARD_CONFIG (which must then exist), else $XDG_CONFIG_HOME/carehard/config.yml
(~/.config/... by default), else /etc/carehard/config.yml. A YAML mapping of sections, checked
against schemas/config.yml.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from carehard.config.schema import validate
from carehard.errors import UsageError

SYSTEM_CONFIG = Path("/etc/carehard/config.yml")


def config_path(system: Path = SYSTEM_CONFIG) -> Path | None:
    """The config file in use, or None when there is none."""
    explicit = os.environ.get("CAREHARD_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise UsageError(f"CAREHARD_CONFIG={explicit}: no such file: give the path of carehard's config")
        return path
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    for candidate in (Path(xdg) / "carehard" / "config.yml", system):
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path) -> dict[str, Any]:
    """The file's sections, or a one-line error naming the file and what to fix."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise UsageError(f"config {path} line {line}: {exc.problem}: fix the YAML") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"config {path} cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    if data is None:
        return {}
    validate(data, "config", f"config {path}")
    sections: dict[str, Any] = data
    return sections


def config_section(name: str, system: Path = SYSTEM_CONFIG) -> tuple[Any, Path | None]:
    """The section `name` of the config file in use (None when absent), and that file."""
    path = config_path(system)
    if path is None:
        return None, None
    return load_config(path).get(name), path
