"""Where carehard keeps its state, and where its Ansible content lives."""

import os
from pathlib import Path

ANSIBLE_ROOT = Path(__file__).resolve().parent / "ansible"


def state_dir() -> Path:
    """The user's carehard state dir: $CAREHARD_STATE_DIR, else $XDG_STATE_HOME/carehard."""
    explicit = os.environ.get("CAREHARD_STATE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "carehard"


def runs_dir() -> Path:
    return state_dir() / "runs"


def history_path() -> Path:
    return state_dir() / "history.db"
