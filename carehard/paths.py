"""Where carehard keeps its state, and where its Ansible content lives."""

import os
from pathlib import Path

ANSIBLE_ROOT = Path(__file__).resolve().parent / "ansible"
# The commented inventory `carehard init` copies (package data; the repository's inventories/example).
STARTER_INVENTORY = Path(__file__).resolve().parent / "starter"


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


def inventory_identity(inventory: str | Path) -> str:
    """The one name the history keeps for an inventory however it was typed (`-i bk`, `-i ./bk/`,
    `-i /site/bk`): its absolute path, symlinks resolved. A comma-separated host list
    (`-i web1,web2,`), which names no file, is kept as it is."""
    text = str(inventory)
    if "," in text and not Path(text).exists():
        return text
    return str(Path(text).expanduser().resolve())


def recorded_inventory(text: str) -> str:
    """The identity of an inventory as an older carehard recorded it (as typed): an absolute path
    is resolved as new records are; a relative one stays as typed, its directory then unknown."""
    return inventory_identity(text) if text.startswith("/") else text
