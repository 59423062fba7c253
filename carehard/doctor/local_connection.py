"""A host with ansible_connection=local: the play runs on this machine, through the local shell."""

from __future__ import annotations

import getpass
import os
import subprocess

from carehard.doctor.problem import step
from carehard.doctor.python_sudo import Runner, become_wanted, check_become, check_python
from carehard.engine.inventory import InventoryHost


def check_local_host(host: InventoryHost, timeout: float) -> None:
    interpreter = str(host.vars.get("ansible_python_interpreter") or "")
    if interpreter and not interpreter.startswith("auto") and "{{" not in interpreter:
        with step("python3"):
            check_python(_local_runner(timeout), [interpreter], explicit=True)
    # else: the play runs with this very Python (sys.executable), which is recent enough.
    if become_wanted(host.vars) and os.geteuid() != 0:
        with step("become"):
            check_become(_local_runner(timeout), host.vars, getpass.getuser())


def _local_runner(timeout: float) -> Runner:
    def run(command: str, stdin: str | None) -> tuple[int, str, str]:
        proc = subprocess.run(
            ["/bin/sh", "-c", command],
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return proc.returncode, proc.stdout, proc.stderr

    return run
