"""A command run on a pseudo-terminal of its own, as a user at a terminal runs it: it sees a
terminal on stdin, stdout and stderr (so it asks its questions), and an answer is typed at one."""

from __future__ import annotations

import os
import select
import subprocess
import time
from pathlib import Path


def type_at_prompt(
    argv: list[str],
    prompt: bytes,
    answer: bytes | None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 600,
) -> tuple[int, bytes]:
    """Run argv in a session of its own on a new pseudo-terminal, typing `answer` (its line end
    included) once `prompt` shows; its exit code and everything the terminal showed."""
    primary, secondary = os.openpty()
    proc = subprocess.Popen(
        argv, stdin=secondary, stdout=secondary, stderr=secondary, env=env, cwd=cwd, start_new_session=True
    )
    os.close(secondary)
    shown, typed, deadline = b"", False, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 1)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: every holder of the terminal has gone
                break
            if not chunk:
                break
            shown += chunk
            if answer is not None and not typed and prompt in shown:
                os.write(primary, answer)
                typed = True
        return proc.wait(timeout=60), shown
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(primary)
