"""The steps of a bootstrap on one host, each a small shell command over the first login's session:
as root directly, or through `sudo -S` fed the login's password on stdin (never on a command line).
Each step says whether it changed something, so a second bootstrap changes nothing and says so."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

import paramiko

# Debian's useradd NAME_REGEX: a name that needs no quoting in a sudoers file or a path either.
ACCOUNT_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


class StepFailed(Exception):
    """A step that could not be done on the host: one line saying why and what to do."""


def sudoers_file(account: str) -> str:
    return f"/etc/sudoers.d/carehard-{account}"


@dataclass
class RootShell:
    """Shell commands as root on the host, over the session of `login`."""

    client: paramiko.SSHClient
    login: str
    password: str
    timeout: float = 60.0

    def run(self, script: str) -> tuple[int, str, str]:
        body = "exec </dev/null; " + script
        if self.login == "root":
            command = "LC_ALL=C sh -c " + shlex.quote(body)
        else:
            command = "LC_ALL=C sudo -S -p '' sh -c " + shlex.quote(body)
        stdin, stdout, stderr = self.client.exec_command(command, timeout=self.timeout)
        if self.login != "root":
            stdin.write(self.password + "\n")
            stdin.flush()
        stdin.channel.shutdown_write()
        out = stdout.read().decode("utf-8", "replace")
        err = stderr.read().decode("utf-8", "replace")
        return stdout.channel.recv_exit_status(), out, err

    def step(self, script: str, what: str) -> str:
        """Run a step; its last output line ("unchanged", "created"...), or StepFailed."""
        status, out, err = self.run(script)
        if status != 0:
            raise StepFailed(f"{what} failed: {_last_line(err or out) or f'exit {status}'}")
        lines = out.split()
        return lines[-1] if lines else ""


def check_root(shell: RootShell) -> None:
    """The login can act as root, and sudo (visudo) is installed."""
    status, out, err = shell.run("id -u; command -v visudo >/dev/null || echo no-visudo")
    if status != 0 or not out.split() or out.split()[0] != "0":
        text = _last_line(err or out)
        if "incorrect password" in text or "no password was provided" in text:
            text = "sudo refused the password"
        raise StepFailed(
            f"{shell.login} cannot act as root with sudo ({text or f'exit {status}'}): give --user an account"
            " that may use sudo, or root"
        )
    if "no-visudo" in out:
        raise StepFailed(
            "sudo is not installed: install it (apt install sudo, dnf install sudo) and run again"
        )


def ensure_account(shell: RootShell, account: str) -> bool:
    """The admin account exists (made with a home, a login shell and no password: keys only)."""
    q = shlex.quote(account)
    script = (
        f"if id -u {q} >/dev/null 2>&1; then echo unchanged; else "
        "shell=/bin/bash; [ -x $shell ] || shell=/bin/sh; "
        f"useradd -m -s $shell -p '*' {q} && echo created; fi"
    )
    return shell.step(script, f"creating the account {account}") == "created"


def ensure_sudo(shell: RootShell, account: str) -> bool:
    """/etc/sudoers.d/carehard-<account>: sudo without a password, checked with visudo -cf before it is
    put in place (a broken sudoers file would lock every admin out of sudo)."""
    path = shlex.quote(sudoers_file(account))
    rule = shlex.quote(f"{account} ALL=(ALL:ALL) NOPASSWD: ALL")
    script = (
        "tmp=$(mktemp /etc/sudoers.d/.carehard-XXXXXX) || exit 1; "
        f"printf '%s\\n' {rule} > $tmp; "
        f'if cmp -s $tmp {path} && [ "$(stat -c %a {path})" = 440 ]; then rm -f $tmp; echo unchanged; '
        f"else chmod 440 $tmp && visudo -cqf $tmp >&2 && mv -f $tmp {path} && echo written "
        "|| { rm -f $tmp; exit 1; }; fi"
    )
    return shell.step(script, f"the sudo rule {sudoers_file(account)}") == "written"


def ensure_authorized_key(shell: RootShell, account: str, public_key: str) -> bool:
    """The admin key's public half in the account's authorized_keys (found by its type and data)."""
    q = shlex.quote(account)
    key_type, key_data = public_key.split()[:2]
    script = (
        f"home=$(getent passwd {q} | cut -d: -f6); group=$(id -gn {q}); "
        '[ -n "$home" ] || { echo "no home directory" >&2; exit 1; }; '
        f'install -d -m 700 -o {q} -g "$group" "$home/.ssh" && ak="$home/.ssh/authorized_keys"; '
        f'if [ -f "$ak" ] && grep -qF {shlex.quote(f"{key_type} {key_data}")} "$ak"; then echo unchanged; '
        f'else printf \'%s\\n\' {shlex.quote(public_key)} >> "$ak" && chown {q}:"$group" "$ak" '
        '&& chmod 600 "$ak" && echo added; fi'
    )
    return shell.step(script, f"installing the key in {account}'s authorized_keys") == "added"


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""
