"""Passwords handed to Ansible the way it reads them from the environment: a file named by
ANSIBLE_BECOME_PASSWORD_FILE or ANSIBLE_VAULT_PASSWORD_FILE. The files carehard writes for
--ask-become-pass and --ask-vault-pass live in a private directory in memory, removed when the
command ends. Never ansible-runner's `passwords`, `envvars` or `extravars`: it writes those into
the run's private data dir (env/), which carehard keeps under runs/ as evidence."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BECOME_FILE = "ANSIBLE_BECOME_PASSWORD_FILE"
VAULT_FILE = "ANSIBLE_VAULT_PASSWORD_FILE"
# What ansible-playbook and ansible-inventory read a password from, passed on to every run.
PASSWORD_VARIABLES = (BECOME_FILE, VAULT_FILE, "ANSIBLE_VAULT_IDENTITY_LIST")


@contextmanager
def handed_to_ansible(become: str | None, vault: str | None) -> Iterator[None]:
    """While the block runs, the given passwords are files Ansible reads through the environment
    (overriding the user's own variables); afterwards the files are gone, however the block ends."""
    if become is None and vault is None:
        yield
        return
    saved = {name: os.environ.get(name) for name in (BECOME_FILE, VAULT_FILE)}
    directory = Path(tempfile.mkdtemp(prefix="carehard-secrets-", dir=_memory_directory()))
    try:
        for variable, secret in ((BECOME_FILE, become), (VAULT_FILE, vault)):
            if secret is not None:
                os.environ[variable] = str(_write_secret(directory / variable.lower(), secret))
        yield
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def passed_on() -> dict[str, str]:
    """The password variables of carehard's environment, for a run's environment (names of files)."""
    return {name: os.environ[name] for name in PASSWORD_VARIABLES if os.environ.get(name)}


def _write_secret(path: Path, secret: str) -> Path:
    # Not executable: Ansible runs an executable password file and reads its output instead.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    return path


def _memory_directory() -> str | None:
    """A tmpfs (the user's runtime directory, else /dev/shm): the files never reach a disk."""
    for candidate in (os.environ.get("XDG_RUNTIME_DIR"), "/dev/shm"):
        if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK):
            return candidate
    return None
