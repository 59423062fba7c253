"""The steps a host check runs as commands on the host, over SSH or through the local shell: a Python
recent enough for this ansible-core, and sudo (become) that works without a terminal."""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Mapping
from typing import Any

from carehard.doctor.control_node import version_tuple
from carehard.doctor.inventory_vars import as_bool, plain_secret
from carehard.doctor.problem import StepFailed, last_line
from carehard.engine.ansible_secrets import BECOME_FILE

# Runs one shell command on the host (with this stdin, if any): exit status, stdout, stderr.
Runner = Callable[[str, str | None], tuple[int, str, str]]


def check_python(run: Runner, candidates: list[str], explicit: bool) -> None:
    """The target's Python: present, and recent enough for the modules of this ansible-core."""
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    script = (
        f"for p in {' '.join(shlex.quote(c) for c in candidates)}; do "
        f'if command -v "$p" >/dev/null 2>&1; then v=$("$p" -c {shlex.quote(probe)} 2>/dev/null) '
        '&& echo "$p $v"; fi; done; exit 0'
    )
    _rc, out, _err = run(f"/bin/sh -c {shlex.quote(script)}", None)
    found = [tuple(line.split()) for line in out.splitlines() if len(line.split()) == 2]
    minimum = _target_python_min()
    need = ".".join(map(str, minimum))
    if not found:
        if explicit:
            raise StepFailed(
                "python3",
                f"ansible_python_interpreter {candidates[0]} does not exist or does not run on the host: "
                "install it, or fix ansible_python_interpreter",
            )
        raise StepFailed(
            "python3",
            f"python3 is missing on the host (Ansible needs Python >= {need} there): install it "
            "(`apt-get install python3` or `dnf install python3`), or set ansible_python_interpreter",
        )
    path, version = found[0]
    if version_tuple(version) < minimum:
        newer = [p for p, ver in found if version_tuple(ver) >= minimum]
        fix = (
            f"set ansible_python_interpreter to {newer[0]}"
            if newer
            else "install a newer Python (e.g. `dnf install python3.11`) and set ansible_python_interpreter"
        )
        raise StepFailed(
            "python3", f"{path} is Python {version}, too old for ansible-core (needs >= {need}): {fix}"
        )


def _target_python_min() -> tuple[int, ...]:
    try:
        from ansible.module_utils.basic import _PY_MIN

        return tuple(int(n) for n in _PY_MIN)
    except Exception:
        return (3, 8)


def become_wanted(v: Mapping[str, Any]) -> bool:
    for name in ("ansible_become", "carehard_become"):
        if v.get(name) is not None:
            return as_bool(v[name])
    return True


def check_become(run: Runner, v: Mapping[str, Any], login_user: str) -> None:
    method = str(v.get("ansible_become_method") or "sudo")
    if method != "sudo":
        return  # su, doas, ... cannot be tried without a terminal: the play will tell
    sudo = shlex.quote(str(v.get("ansible_become_exe") or "sudo"))
    become_user = str(v.get("ansible_become_user") or "root")
    as_user = f"-u {shlex.quote(become_user)} " if become_user != "root" else ""
    rc, _out, err = run(f"{sudo} -n {as_user}true", None)
    if rc == 0:
        return
    said = last_line(err)
    if rc == 127 or "not found" in said:
        raise StepFailed(
            "become",
            f"sudo is not installed on the host ({said}): install sudo, or set ansible_become_method",
        )
    password, note = plain_secret(v, "ansible_become_password", "ansible_become_pass", "ansible_sudo_pass")
    if password is None and not note:
        password = _become_password_file()
    if password is None:
        extra = f" (ansible_become_password is set but {note})" if note else ""
        raise StepFailed(
            "become",
            f"sudo needs a password for {login_user}{extra}: give it with --ask-become-pass (-K) or "
            f"{BECOME_FILE}, set ansible_become_password (vault), or NOPASSWD for the {login_user} "
            f"account in sudoers (sudo said: {said})",
        )
    rc, _out, err = run(f"{sudo} -S -p '' {as_user}true", password + "\n")
    if rc != 0:
        raise StepFailed(
            "become",
            f"sudo refuses {login_user} with the become password (wrong password, or {login_user} "
            f"may not run commands as {become_user}): fix the password or the sudoers rule "
            f"(sudo said: {last_line(err)})",
        )


def _become_password_file() -> str | None:
    """The password --ask-become-pass or the user's ANSIBLE_BECOME_PASSWORD_FILE gives Ansible (a
    file it reads; an executable one it runs, which doctor does not)."""
    path = os.environ.get(BECOME_FILE)
    if not path or os.access(path, os.X_OK):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return None
