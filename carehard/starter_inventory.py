"""`carehard init`: the starter inventory (carehard/starter/, commented) copied into a new directory,
whole or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from carehard.errors import UsageError
from carehard.paths import STARTER_INVENTORY


def starter_files() -> list[Path]:
    """The starter's files, relative to its directory, in a stable order."""
    return sorted(p.relative_to(STARTER_INVENTORY) for p in STARTER_INVENTORY.rglob("*.yml"))


def write_starter(directory: Path) -> list[Path]:
    """Copy the starter into `directory` (new, or empty); the files written, relative to it."""
    if directory.is_symlink() or (directory.exists() and not directory.is_dir()):
        raise UsageError(f"{directory} exists and is not a directory: give a new or empty directory")
    if directory.is_dir() and any(directory.iterdir()):
        raise UsageError(f"{directory} is not empty: give a new or empty directory (nothing was written)")
    parent = directory.absolute().parent
    files = starter_files()
    try:
        parent.mkdir(parents=True, exist_ok=True)
        # Built aside, then renamed into place: an interrupted copy leaves no half inventory.
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.carehard-init-", dir=parent))
    except OSError as exc:
        raise UsageError(f"cannot create {directory}: {exc.strerror or exc}") from None
    try:
        for relative in files:
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(STARTER_INVENTORY / relative, staging / relative)
        staging.chmod(0o755)
        os.replace(staging, directory)  # replaces an empty directory, refuses a non-empty one
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise UsageError(f"cannot write {directory}: {exc.strerror or exc}") from None
    return files
