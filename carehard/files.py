"""The one way carehard writes a file a reader may be reading: whole, or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def stage(path: Path, text: str, mode: int = 0o600, newline: str | None = None) -> Path:
    """Write `text` to a new temporary file beside `path` (synced to disk) and return its name:
    os.replace() it over `path` to publish it. Raises OSError, leaving nothing behind."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(name, mode)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def write_atomic(path: Path, text: str, mode: int = 0o600, newline: str | None = None) -> None:
    """Replace `path` whole with `text`: a reader sees the old file or the new one, never a part."""
    staged = stage(path, text, mode, newline)
    try:
        os.replace(staged, path)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
