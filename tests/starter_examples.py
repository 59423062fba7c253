"""The starter inventory's commented examples (carehard/starter/group_vars/all.yml), uncommented: what
a sysadmin gets by removing the "# " of each example block, for the tests that read the examples."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from carehard.paths import STARTER_INVENTORY

# The vault password of the starter's example of a vaulted directory password (hosts.yml).
EXAMPLE_VAULT_PASSWORD = "example"
EXAMPLE_CA_FILE = "/etc/carehard/ad-ca.pem"
# An example block starts with a commented top-level key and goes on with its commented, indented lines.
BLOCK_START = re.compile(r"^# [a-z_]+:( |$)")
BLOCK_LINE = re.compile(r"^#( {2,}|\s*- )")


def uncommented(text: str) -> str:
    lines, in_block = [], False
    for line in text.splitlines():
        in_block = bool(BLOCK_START.match(line)) or (in_block and bool(BLOCK_LINE.match(line)))
        lines.append(line[2:] if in_block else line)
    return "\n".join(lines) + "\n"


def example_inventory(directory: Path, ca_file: Path | None = None) -> Path:
    """A copy of the starter with the examples of group_vars/all.yml uncommented; with a `ca_file`, the
    directory of hosts.yml too, reading that CA file (the starter's is on a site's own machine). Its
    password is vaulted with the vault password EXAMPLE_VAULT_PASSWORD."""
    shutil.copytree(STARTER_INVENTORY, directory)
    all_vars = directory / "group_vars" / "all.yml"
    all_vars.write_text(uncommented(all_vars.read_text(encoding="utf-8")), encoding="utf-8")
    if ca_file is not None:
        hosts = directory / "hosts.yml"
        text = uncommented(hosts.read_text(encoding="utf-8"))
        assert EXAMPLE_CA_FILE in text
        hosts.write_text(text.replace(EXAMPLE_CA_FILE, str(ca_file)), encoding="utf-8")
    return directory
