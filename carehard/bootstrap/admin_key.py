"""The admin account's key pair on this machine: the inventory's ansible_ssh_private_key_file, else
~/.ssh/id_ed25519; made with ssh-keygen when missing, and its public half read."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from carehard.errors import UsageError

DEFAULT_KEY = "~/.ssh/id_ed25519"


def key_path(host_vars: Mapping[str, Any]) -> Path:
    named = host_vars.get("ansible_ssh_private_key_file") or host_vars.get("ansible_private_key_file")
    text = str(named or DEFAULT_KEY)
    if "{{" in text:
        raise UsageError(f"ansible_ssh_private_key_file {text} is a template: bootstrap needs a plain path")
    return Path(os.path.expanduser(text))


def ensure_key(path: Path, say: Callable[[str], None]) -> str:
    """The public key line of `path`, the pair made first (no passphrase: carehard runs unattended)
    when the private key is missing."""
    if not path.exists():
        if not shutil.which("ssh-keygen"):
            raise UsageError(f"the admin key {path} does not exist and ssh-keygen is not installed here")
        say(f"the admin key {path} does not exist: making it (ssh-keygen -t ed25519, no passphrase)")
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create {path.parent}: {exc.strerror or exc}") from None
        _keygen(
            ["-q", "-t", "ed25519", "-N", "", "-C", f"carehard-admin@{os.uname().nodename}", "-f", str(path)]
        )
    public = path.with_name(path.name + ".pub")
    if not public.is_file():
        line = _keygen(["-y", "-f", str(path)])
        return line.strip()
    try:
        line = public.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the admin key's public half {public}: {exc}") from None
    if len(line.split()) < 2 or "\n" in line:
        raise UsageError(f"{public} is not one public key line: make it again with ssh-keygen -y -f {path}")
    return line


def _keygen(args: list[str]) -> str:
    proc = subprocess.run(
        ["ssh-keygen", *args], capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
    )
    if proc.returncode != 0:
        message = " ".join((proc.stderr or proc.stdout).split()) or f"exit {proc.returncode}"
        raise UsageError(f"ssh-keygen {' '.join(args[-2:])} failed: {message}")
    return proc.stdout
