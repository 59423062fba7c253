"""Checks of this machine, Ansible's control node: ansible-core's version, the collections the roles
use, and restic for backup verification."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from carehard.doctor.problem import Problem, describe
from carehard.paths import ANSIBLE_ROOT

MIN_ANSIBLE_CORE = (2, 17)
TESTED_BELOW = (2, 20)
COLLECTIONS = ("ansible.posix", "community.general", "ansible.windows", "community.windows")


def check_local() -> list[Problem]:
    """ansible-core version, the collections the roles use, restic for backup verification."""
    problems: list[Problem] = []
    for check, fn in (("ansible-core", _check_ansible_core), ("collection", _check_collections)):
        try:
            problems += fn()
        except Exception as exc:
            problems.append(Problem("local", check, f"local: cannot check {check}: {describe(exc)}"))
    if shutil.which("restic") is None:
        problems.append(
            Problem(
                "local",
                "restic",
                "local: restic is not on PATH: backup restore tests need it: install restic "
                "(`apt-get install restic` or `dnf install restic`) where `carehard backup verify` runs",
                warning=True,
            )
        )
    return problems


def _check_ansible_core() -> list[Problem]:
    version = _ansible_core_version()
    pip = f"{sys.executable} -m pip install 'ansible-core>=2.17,<2.20'"
    if version is None:
        return [
            Problem(
                "local", "ansible-core", f"local: ansible-core is not installed for {sys.executable}: {pip}"
            )
        ]
    parsed = version_tuple(version)
    if parsed < MIN_ANSIBLE_CORE:
        return [
            Problem(
                "local", "ansible-core", f"local: ansible-core {version} is too old (needs >= 2.17): {pip}"
            )
        ]
    if parsed >= TESTED_BELOW:
        return [
            Problem(
                "local",
                "ansible-core",
                f"local: ansible-core {version} is newer than carehard is tested with (< 2.20): "
                f"if a play misbehaves, {pip}",
                warning=True,
            )
        ]
    return []


def _ansible_core_version() -> str | None:
    try:
        return metadata.version("ansible-core")
    except metadata.PackageNotFoundError:
        pass
    try:
        from ansible.release import __version__

        return str(__version__)
    except ImportError:
        return None


def version_tuple(version: str) -> tuple[int, ...]:
    """The numbers of a version such as 2.17.4 or 3.11 (at most three; a local part after + ignored)."""
    numbers = re.findall(r"\d+", version.split("+")[0])[:3]
    return tuple(int(n) for n in numbers)


def _check_collections() -> list[Problem]:
    galaxy = _sibling("ansible-galaxy")
    installed = _galaxy_collections(galaxy)
    problems = []
    for name in COLLECTIONS:
        present = name in installed if installed is not None else _importable_collection(name)
        if not present:
            problems.append(
                Problem(
                    "local",
                    "collection",
                    f"local: Ansible collection {name} is not installed (the roles use it): "
                    f"run `{galaxy} collection install {name}` or `pip install ansible`",
                )
            )
    return problems


def _galaxy_collections(galaxy: str) -> set[str] | None:
    """Collections ansible-galaxy sees, in every configured path; None if it cannot tell us."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    cfg = ANSIBLE_ROOT / "ansible.cfg"
    if "ANSIBLE_CONFIG" not in env and cfg.exists():
        env["ANSIBLE_CONFIG"] = str(cfg)
    try:
        proc = subprocess.run(
            [galaxy, "collection", "list", "--format", "json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        data = json.loads(proc.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {name for body in data.values() if isinstance(body, dict) for name in body}


def _importable_collection(name: str) -> bool:
    try:
        return importlib.util.find_spec(f"ansible_collections.{name}") is not None
    except (ImportError, ValueError):
        return False


def _sibling(tool: str) -> str:
    path = Path(sys.executable).with_name(tool)
    return str(path) if path.exists() else tool
