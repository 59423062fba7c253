"""The starter inventory's commented examples (carehard/starter/group_vars/all.yml), uncommented: what
a sysadmin gets by removing the "# " of each example block, for the tests that read the examples."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from carehard.paths import STARTER_INVENTORY

# An example block starts with a commented top-level key and goes on with its commented, indented lines.
BLOCK_START = re.compile(r"^# [a-z_]+:( |$)")
BLOCK_LINE = re.compile(r"^#( {2,}|\s*- )")


def uncommented(text: str) -> str:
    lines, in_block = [], False
    for line in text.splitlines():
        in_block = bool(BLOCK_START.match(line)) or (in_block and bool(BLOCK_LINE.match(line)))
        lines.append(line[2:] if in_block else line)
    return "\n".join(lines) + "\n"


def example_inventory(directory: Path) -> Path:
    """A copy of the starter with the examples of group_vars/all.yml uncommented."""
    shutil.copytree(STARTER_INVENTORY, directory)
    all_vars = directory / "group_vars" / "all.yml"
    all_vars.write_text(uncommented(all_vars.read_text(encoding="utf-8")), encoding="utf-8")
    return directory
