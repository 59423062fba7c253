"""Inventory variables read as Ansible would, without Ansible: booleans, and secrets that are plain,
templated or vault-encrypted (doctor can use only the plain ones)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SECRET_VARS = (
    "ansible_password",
    "ansible_ssh_pass",
    "ansible_ssh_password",
    "ansible_become_password",
    "ansible_become_pass",
    "ansible_sudo_pass",
)


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "y", "on", "t")


def plain_secret(v: Mapping[str, Any], *names: str) -> tuple[str | None, str]:
    """A secret variable's plain value, or None and why it cannot be used here."""
    for name in names:
        value = v.get(name)
        if value in (None, ""):
            continue
        if isinstance(value, str) and "{{" not in value:
            return value, ""
        if isinstance(value, str):
            return None, f"{name} is a template doctor cannot evaluate"
        return None, f"{name} is vault-encrypted and doctor cannot decrypt it"
    return None, ""


def secret_values(v: Mapping[str, Any]) -> list[str]:
    """Every password the host's variables give in plain text, to keep out of the messages."""
    return [str(v[n]) for n in SECRET_VARS if isinstance(v.get(n), str) and v[n]]
