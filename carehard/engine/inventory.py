"""Resolve the inventory a command runs on: a user's file or directory, or the local machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from carehard.errors import UsageError

LOCAL = "local"
# Windows hosts: this group is reached over WinRM unless a host names its own ansible_connection.
WINDOWS_GROUP = "windows_workstations"
WINDOWS_CONNECTIONS = ("winrm", "psrp")
# A directory (Active Directory, docs/directory.md): read from this machine by its play, never logged
# in to; carehard.directories checks its variables.
DIRECTORY_GROUP = "directories"
# Where Ansible's winrm and psrp connection plugins read the port (the last one set wins) and the
# scheme (http on port 5985, https anywhere else when unset). carehard.winrm builds on these.
WINDOWS_PORT_VARS = {
    "winrm": ("ansible_port", "ansible_winrm_port"),
    "psrp": ("ansible_port", "ansible_psrp_port"),
}
WINDOWS_SCHEME_VAR = {"winrm": "ansible_winrm_scheme", "psrp": "ansible_psrp_protocol"}


@dataclass(frozen=True)
class InventoryHost:
    name: str
    vars: dict[str, Any] = field(default_factory=dict)
    groups: tuple[str, ...] = ()

    @property
    def address(self) -> str:
        return str(self.vars.get("ansible_host", self.name))

    @property
    def is_directory(self) -> bool:
        """A directory the directory play reads from this machine: no host to log in to."""
        return DIRECTORY_GROUP in self.groups

    @property
    def connection(self) -> str:
        explicit = self.vars.get("ansible_connection")
        if explicit not in (None, ""):
            return str(explicit).removeprefix("ansible.builtin.")
        return "winrm" if WINDOWS_GROUP in self.groups else "ssh"

    @property
    def port(self) -> int:
        connection = self.connection
        if connection not in WINDOWS_CONNECTIONS:
            return int(self.vars.get("ansible_port", 22))
        port = None
        for name in WINDOWS_PORT_VARS[connection]:
            if self.vars.get(name) not in (None, ""):
                port = self.vars[name]
        if port is not None:
            return int(port)
        scheme = str(self.vars.get(WINDOWS_SCHEME_VAR[connection]) or "https").lower()
        return 5985 if scheme == "http" else 5986


def local_inventory() -> dict[str, Any]:
    """The inventory of the machine carehard runs on, read-only audit over the local connection."""
    return {
        "all": {
            "children": {
                "linux_workstations": {
                    "hosts": {
                        "localhost": {
                            "ansible_connection": "local",
                            "ansible_python_interpreter": sys.executable,
                            "carehard_become": False,
                        }
                    }
                }
            }
        }
    }


def local_host() -> InventoryHost:
    """The one host of local_inventory(), as list_hosts() would list it."""
    group = local_inventory()["all"]["children"]["linux_workstations"]
    return InventoryHost("localhost", dict(group["hosts"]["localhost"]), ("linux_workstations",))


class _InventoryLoader(yaml.SafeLoader):
    """Safe YAML that also takes Ansible's own tags (!vault, !unsafe) as the values they tag."""


def _tagged_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


for _tag in ("!vault", "!unsafe", "!vault-encrypted"):
    _InventoryLoader.add_constructor(_tag, _tagged_value)


def check_source(path: Path) -> None:
    """Fail early, on one line, for an inventory that is missing or not valid YAML."""
    if not path.exists():
        raise UsageError(f"inventory {path} does not exist: give -i a hosts file or inventory directory")
    files = [path] if path.is_file() else sorted(path.glob("*.y*ml"))
    for file in files:
        if file.suffix not in (".yml", ".yaml"):
            continue
        try:
            yaml.load(file.read_text(encoding="utf-8"), Loader=_InventoryLoader)
        except yaml.MarkedYAMLError as exc:
            line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
            raise UsageError(f"inventory {file} line {line}: {exc.problem}: fix the YAML") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"inventory {file} cannot be read: {exc}") from None


def list_hosts(source: Path, limit: str | None = None) -> list[InventoryHost]:
    """Every host of the inventory (after --limit) with its merged variables, as Ansible sees them.
    With --limit, Ansible computes the variables of the selected hosts only: list once per run,
    with the run's --limit, and pass the hosts on (a listing of 5,000 hosts takes seconds)."""
    if not source.exists():
        check_source(source)
    env = dict(os.environ, ANSIBLE_INVENTORY_UNPARSED_FAILED="true", ANSIBLE_NOCOLOR="1")
    cmd = [_ansible_inventory(), "-i", str(source), "--list"]
    if limit:
        cmd += ["--limit", limit]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        check_source(source)  # read by this module only when Ansible failed: it names the line
        _check_vault_error(source, _first_error(proc.stderr))
        raise UsageError(f"inventory {source} cannot be parsed by Ansible: {_first_error(proc.stderr)}")
    data = json.loads(proc.stdout)
    hostvars: dict[str, dict[str, Any]] = data.get("_meta", {}).get("hostvars", {})
    check_vault_password(source, hostvars)
    groups_of = _groups_of_hosts(data)
    names = sorted(set(hostvars) | set(groups_of))
    if not names:
        where = f" matching --limit {limit}" if limit else ""
        raise UsageError(f"inventory {source} has no hosts{where}")
    return [InventoryHost(n, hostvars.get(n, {}), tuple(sorted(groups_of.get(n, [])))) for n in names]


def check_vault_password(source: Path, hostvars: dict[str, dict[str, Any]]) -> None:
    """ansible-inventory lists a vault-encrypted value as {"__ansible_vault": ...} without decrypting
    it, with or without a vault password: decrypt one with ansible-vault, in the environment the
    playbooks get, so a missing or wrong password is one line before the run, not a task error."""
    found = _first_vaulted(hostvars)
    if found is None:
        return
    where, ciphertext = found
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    key = (ciphertext, env.get("ANSIBLE_VAULT_PASSWORD_FILE"), env.get("ANSIBLE_VAULT_IDENTITY_LIST"))
    if key in _DECRYPTED:
        return
    if not (key[1] or key[2]):  # ansible-vault would ask on the terminal, or read stdin as the password
        _check_vault_error(source, "no vault secrets found", f" ({where})")
    # The plain text comes back on the pipe (and is dropped): never a file.
    cmd = [_ansible_tool("ansible-vault"), "decrypt", "--output", "-", "-"]
    proc = subprocess.run(cmd, input=ciphertext, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        _check_vault_error(source, _first_error(proc.stderr), f" ({where})")
        reason = _first_error(proc.stderr)
        raise UsageError(f"inventory {source}: ansible-vault cannot decrypt {where}: {reason}")
    _DECRYPTED.add(key)


# The vaulted values ansible-vault decrypted in this process, with the password sources it had.
_DECRYPTED: set[tuple[str, str | None, str | None]] = set()


def _check_vault_error(source: Path, error: str, where: str = "") -> None:
    """Ansible's errors for a vault password that is missing or does not decrypt, on one line."""
    if "no vault secrets found" in error:
        raise UsageError(
            f"inventory {source} has vault-encrypted values{where} and no vault password: add"
            " --ask-vault-pass (-J), or set ANSIBLE_VAULT_PASSWORD_FILE to a file holding it"
        )
    if "Decryption failed" in error:
        raise UsageError(
            f"inventory {source}: the vault password does not decrypt its vault-encrypted values{where}:"
            " type it again (--ask-vault-pass), or fix the file ANSIBLE_VAULT_PASSWORD_FILE names"
        )


def _first_vaulted(hostvars: dict[str, dict[str, Any]]) -> tuple[str, str] | None:
    """The first vault-encrypted value of the listing: where it is, and its ciphertext."""

    def search(value: Any, path: str) -> tuple[str, str] | None:
        if isinstance(value, dict):
            if isinstance(value.get("__ansible_vault"), str):
                return path, value["__ansible_vault"]
            for key, item in value.items():
                hit = search(item, f"{path}.{key}")
                if hit:
                    return hit
        elif isinstance(value, list):
            for item in value:
                hit = search(item, path)
                if hit:
                    return hit
        return None

    for host in sorted(hostvars):
        for name, value in hostvars[host].items():
            found = search(value, name)
            if found:
                return f"{found[0]} of host {host}", found[1]
    return None


def _groups_of_hosts(data: dict[str, Any]) -> dict[str, set[str]]:
    """Every group of each host, with the groups those groups are children of (but not "all")."""
    parents: dict[str, set[str]] = {}
    for group, body in data.items():
        if group == "_meta" or not isinstance(body, dict):
            continue
        for child in body.get("children", []):
            parents.setdefault(child, set()).add(group)
    groups_of: dict[str, set[str]] = {}
    for group, body in data.items():
        if group == "_meta" or not isinstance(body, dict):
            continue
        for host in body.get("hosts", []):
            pending = [group]
            while pending:
                current = pending.pop()
                if current in groups_of.setdefault(host, set()):
                    continue
                groups_of[host].add(current)
                pending.extend(parents.get(current, ()))
    for groups in groups_of.values():
        groups.discard("all")
    return groups_of


def _ansible_inventory() -> str:
    return _ansible_tool("ansible-inventory")


def _ansible_tool(name: str) -> str:
    sibling = Path(sys.executable).with_name(name)
    return str(sibling) if sibling.exists() else name


def _first_error(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith("[ERROR]"):
            return ln.removeprefix("[ERROR]:").strip()
    return lines[-1] if lines else "unknown error"
