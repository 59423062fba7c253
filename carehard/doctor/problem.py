"""What a check finds: the one-line Problem, and the failing step of a host check that becomes one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    host: str  # inventory host name, or "local" for this machine
    # reachable, host-key, auth, python3, become, winrm-auth, winrm-port, ansible-core, collection, restic,
    # directory, directory-secret, directory-tls, directory-bind, directory-read
    check: str
    message: str  # one line: what is wrong and the fix, naming the host
    warning: bool = False  # worth knowing, but does not stop a run (e.g. restic missing here)


def format_problem(p: Problem) -> str:
    kind = "warning" if p.warning else "problem"
    return f"{kind} [{p.check}] {one_line(p.message)}"


class StepFailed(Exception):
    """A failed step: the check's name and the one-line message (without the host label)."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(message)
        self.check = check
        self.message = message


@contextmanager
def step(check: str) -> Iterator[None]:
    """Turn any unexpected error inside a step into that step's failure."""
    try:
        yield
    except StepFailed:
        raise
    except Exception as exc:
        raise StepFailed(check, f"{check} check failed: {describe(exc)}") from None


def one_line(text: str) -> str:
    return " ".join(text.split())


def last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else "no message"


def describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    return one_line(text)
