"""What the sandbox of a scheduled service hides or makes read-only, checked at install time: a job
that could never start, or never write its report, is refused or warned about now, not at night."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from carehard.errors import UsageError

# Cleared by the system (Debian's tmpfiles: /tmp at boot, /var/tmp after 30 days) and, for a service
# with PrivateTmp=yes, replaced by an empty directory of its own.
TEMPORARY_DIRS = (Path("/tmp"), Path("/var/tmp"))
# Read-only for the service under ProtectSystem=full.
READ_ONLY_DIRS = (Path("/usr"), Path("/boot"), Path("/efi"), Path("/etc"))


def paths_used(
    executable: Path, inventory: Path | None, output: Path | None, metrics_file: Path | None
) -> tuple[dict[str, Path], dict[str, Path]]:
    """What the scheduled run reads and what it writes, each under the name a user knows it by."""
    reads = {
        "carehard": executable,
        "its Python": Path(sys.executable).resolve(),
        "its code": Path(__file__).resolve().parents[1],
    }
    writes: dict[str, Path] = {}
    if inventory is not None:
        reads["-i"] = inventory.expanduser().absolute()
    for variable in ("ANSIBLE_VAULT_PASSWORD_FILE", "ANSIBLE_BECOME_PASSWORD_FILE"):
        if os.environ.get(variable):
            reads[variable] = Path(os.environ[variable]).absolute()
    if output is not None:
        writes["--output"] = output.expanduser().absolute()
    if metrics_file is not None:
        writes["--metrics-file"] = metrics_file.expanduser().absolute()
    if os.environ.get("CAREHARD_STATE_DIR"):
        writes["CAREHARD_STATE_DIR"] = Path(os.environ["CAREHARD_STATE_DIR"]).absolute()
    return reads, writes


def under(path: Path, directories: tuple[Path, ...]) -> bool:
    resolved = path.resolve()
    return any(resolved.is_relative_to(d.resolve()) for d in directories)


def refuse_read_only(writes: dict[str, Path]) -> None:
    for what, path in writes.items():
        if under(path, READ_ONLY_DIRS):
            raise UsageError(
                f"{what} {path}: the scheduled service cannot write there (ProtectSystem=full makes "
                "/usr, /boot, /efi and /etc read-only): choose a directory elsewhere, e.g. under /var/lib"
            )


def temporary_warning(job: str, temporary: dict[str, Path], method: str) -> str:
    named = ", ".join(f"{path} ({what})" for what, path in temporary.items())
    meanwhile = (
        "; meanwhile the service runs without PrivateTmp, so that it sees them" if method == "systemd" else ""
    )
    return (
        f"the scheduled {job} needs {named}, under /tmp or /var/tmp, which the system clears (at boot, or "
        f"when old): the schedule breaks once they are gone; keep carehard and these files elsewhere "
        f"(a venv in /opt/carehard, say){meanwhile}"
    )
