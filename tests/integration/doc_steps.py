"""The steps of a walkthrough page (docs/first-day.md), in the order a reader follows them.

Two kinds of step, nothing else:
* in a ```sh block, a line starting with `$ ` is a command the reader types (the lines under it, up
  to the next `$ ` or the end of the block, are what it printed); other ```sh blocks, and lines
  without `$ `, are examples the test never runs;
* a ```yaml block right after the comment `<!-- first-day: file PATH -->` is a file the reader writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FILE_MARK = re.compile(r"<!--\s*first-day:\s*file\s+(\S+)\s*-->")
FENCE = re.compile(r"^```(\w*)\s*$")
PROMPT = "$ "


@dataclass(frozen=True)
class Command:
    line: int  # where it is in the page, for the failure message
    text: str
    shown: str  # the output the page shows under it


@dataclass(frozen=True)
class File:
    line: int
    path: str
    content: str


Step = Command | File


def walkthrough_steps(page: Path) -> list[Step]:
    lines = page.read_text(encoding="utf-8").splitlines()
    steps: list[Step] = []
    pending_file: str | None = None
    index = 0
    while index < len(lines):
        mark = FILE_MARK.search(lines[index])
        fence = FENCE.match(lines[index])
        if mark:
            pending_file = mark.group(1)
        elif fence:
            end = _closing_fence(lines, index)
            body = lines[index + 1 : end]
            if fence.group(1) == "yaml" and pending_file is not None:
                steps.append(File(index + 2, pending_file, "\n".join(body) + "\n"))
            elif fence.group(1) == "sh":
                steps += _commands(body, index + 2)
            pending_file = None
            index = end
        elif lines[index].strip():
            pending_file = None  # the mark names the block right after it only
        index += 1
    return steps


def _closing_fence(lines: list[str], start: int) -> int:
    for index in range(start + 1, len(lines)):
        if lines[index].startswith("```"):
            return index
    raise ValueError(f"line {start + 1}: a ``` block that is never closed")


def _commands(body: list[str], first_line: int) -> list[Command]:
    commands: list[Command] = []
    current: tuple[int, str] | None = None
    shown: list[str] = []
    for offset, text in enumerate(body):
        if text.startswith(PROMPT):
            if current is not None:
                commands.append(Command(current[0], current[1], "\n".join(shown)))
            current, shown = (first_line + offset, text[len(PROMPT) :].strip()), []
        elif current is not None:
            shown.append(text)
    if current is not None:
        commands.append(Command(current[0], current[1], "\n".join(shown)))
    return commands
