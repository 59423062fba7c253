"""The directories an inventory declares: hosts of the `directories` group, each an Active Directory that
the directory play reads from this machine (docs/directory.md). Their carehard_directory_* variables are
checked before anything runs: against carehard/config/schemas/directories.yml, then here for what a
schema cannot say (which keys go together, the files on this machine, a password never shown)."""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import re
import ssl
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carehard.config import validate
from carehard.engine.inventory import DIRECTORY_GROUP, WINDOWS_GROUP, InventoryHost
from carehard.errors import UsageError

PREFIX = "carehard_directory_"
# The controls of the directory_audit role: where they are selected, these variables are read.
CONTROL_PREFIX = "AD-"
# How carehard binds, and the port each uses unless carehard_directory_port says otherwise (kerberos:
# SASL GSSAPI inside LDAPS, as roles/directory_audit binds).
AUTH_PORTS = {"ldaps": 636, "starttls": 389, "kerberos": 636}
DEFAULT_AUTH = "ldaps"
DEFAULT_TIMEOUT = 30
# The ports that speak TLS from the first byte (LDAPS, and the global catalog's), and those that do not.
TLS_PORTS = (636, 3269)
PLAIN_PORTS = (389, 3268)
# The groups whose plays log in to their hosts: a directory in one of them would run both.
WORKSTATION_GROUPS = ("linux_workstations", WINDOWS_GROUP)
# Why a password lives in a vault or a file, never in clear in the inventory.
PLAIN_PASSWORD_FIX = (
    "encrypt it with ansible-vault (ansible-vault encrypt_string --name carehard_directory_password),"
    " or give carehard_directory_password_file"
)
_HOSTNAME = re.compile(
    r"^(?=.*[A-Za-z_])[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
    r"(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$"
)
# A template that is one variable: "{{ vault_ad_password }}".
_ONE_VARIABLE = re.compile(r"^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")


@dataclass(frozen=True)
class Directory:
    """One directory, as the directory play reads it (the defaults of the contract filled in)."""

    name: str  # the inventory host: the directory as reports name it
    domain: str
    server: str
    auth: str
    port: int
    user: Any  # text, a vault-encrypted value, or None (kerberos)
    password: Any  # the inventory's value (vault-encrypted or a template), or None
    password_file: str | None  # a path on this machine (or a template only Ansible evaluates)
    ca_file: str | None
    validate_certs: bool
    timeout: int
    # Kerberos only: where to connect (ansible_host) when carehard_directory_server, the DC's DNS name the
    # ticket is for (ldap/<name>), is given too; None: connect to the server.
    address: str | None = None

    @property
    def base_dn(self) -> str:
        return ",".join(f"DC={label}" for label in self.domain.rstrip(".").split("."))


def directory_hosts(hosts: Sequence[InventoryHost]) -> list[InventoryHost]:
    return [h for h in hosts if h.is_directory]


def check_groups(hosts: Sequence[InventoryHost], where: str) -> None:
    """A directory is read from this machine, a workstation logged in to: one host cannot be both."""
    for host in directory_hosts(hosts):
        both = [g for g in WORKSTATION_GROUPS if g in host.groups]
        if both:
            raise UsageError(
                f"{where}: host {host.name} is in {DIRECTORY_GROUP} and {both[0]}: a directory is read from"
                f" this machine and a workstation logged in to, and it would run both: keep {host.name} in"
                f" {DIRECTORY_GROUP} only, and give the domain controller its own name in {both[0]} if it is"
                " to be hardened"
            )


def check_declared(hosts: Sequence[InventoryHost], where: str) -> list[Directory]:
    """Every directory of the listed hosts, checked, before audit or harden runs the directory play."""
    check_groups(hosts, where)
    return [parse_directory(host, f"{where}, host {host.name}") for host in directory_hosts(hosts)]


def declared(host: InventoryHost) -> dict[str, Any]:
    """The host's carehard_directory_* variables, the document the schema checks."""
    return {key: value for key, value in host.vars.items() if key.startswith(PREFIX)}


def parse_directory(host: InventoryHost, where: str) -> Directory:
    """One directory host's variables, checked; each refusal names `where`, the variable and what to give."""
    document = declared(host)
    validate(document, "directories", where)
    domain = str(document[f"{PREFIX}domain"]).strip()
    if not _HOSTNAME.match(domain) or "." not in domain.rstrip(".") or len(domain) > 253:
        raise UsageError(
            f"{where}: {PREFIX}domain: expected the directory's DNS domain (e.g. chu-example.fr),"
            f" got '{domain}'"
        )
    auth = str(document.get(f"{PREFIX}auth", DEFAULT_AUTH))
    port = int(document.get(f"{PREFIX}port", AUTH_PORTS[auth]))
    _check_port(where, auth, port)
    server, server_var = _server(host, document)
    _check_server(where, server, server_var, auth)
    user = document.get(f"{PREFIX}user")
    if auth != "kerberos" and user is None:
        raise UsageError(
            f"{where}: {PREFIX}user: missing: give the account carehard reads the directory with"
            f" (e.g. svc-carehard@{domain}), an ordinary domain user (auth {auth})"
        )
    password = document.get(f"{PREFIX}password")
    password_file = document.get(f"{PREFIX}password_file")
    _check_password_sources(where, auth, password, password_file)
    if password is not None:
        _check_password(where, host, password)
    validate_certs = bool(document.get(f"{PREFIX}validate_certs", True))
    ca_file = document.get(f"{PREFIX}ca_file")
    return Directory(
        name=host.name,
        domain=domain.rstrip("."),
        server=server,
        auth=auth,
        port=port,
        user=user,
        password=password,
        password_file=_checked_password_file(where, password_file),
        ca_file=_checked_ca_file(where, ca_file),
        validate_certs=validate_certs,
        timeout=int(document.get(f"{PREFIX}timeout", DEFAULT_TIMEOUT)),
        address=_kerberos_address(host, document, auth),
    )


def _kerberos_address(host: InventoryHost, document: Mapping[str, Any], auth: str) -> str | None:
    """With kerberos, ansible_host beside carehard_directory_server: the address to connect to, the
    server staying the name of the ticket (as roles/directory_audit passes them)."""
    if auth != "kerberos" or document.get(f"{PREFIX}server") is None:
        return None
    address = host.vars.get("ansible_host")
    return None if address in (None, "") else str(address).strip()


def _server(host: InventoryHost, document: Mapping[str, Any]) -> tuple[str, str]:
    """The domain controller's address, and the variable it comes from (the contract's default order)."""
    if document.get(f"{PREFIX}server") is not None:
        return str(document[f"{PREFIX}server"]).strip(), f"{PREFIX}server"
    if host.vars.get("ansible_host") not in (None, ""):
        return str(host.vars["ansible_host"]).strip(), "ansible_host"
    return host.name, f"{PREFIX}server (unset: the host's name)"


def _check_server(where: str, server: str, variable: str, auth: str) -> None:
    if _template(server):
        return
    address = _address(server)
    if address is None and not (_HOSTNAME.match(server) and len(server) <= 253):
        raise UsageError(
            f"{where}: {variable}: expected the DNS name or address of one domain controller, got '{server}'"
        )
    if auth == "kerberos":
        if address is not None:
            raise UsageError(
                f"{where}: {variable}: auth kerberos needs the domain controller's DNS name (its ticket is"
                f" for ldap/<name>), got the address {server}"
            )
        if not _installed("gssapi"):
            raise UsageError(
                f"{where}: {PREFIX}auth: kerberos needs the gssapi Python package on this machine:"
                " `pip install gssapi` in carehard's environment (building it needs the Kerberos headers:"
                " apt-get install libkrb5-dev, or dnf install krb5-devel), or use auth ldaps"
            )


def _check_port(where: str, auth: str, port: int) -> None:
    """A port that cannot work with the auth: TLS on a plain port, StartTLS on a TLS one. Kerberos binds
    inside TLS: from the first byte, or after StartTLS on 389 (roles/directory_audit)."""
    if auth == "ldaps" and port in PLAIN_PORTS:
        raise UsageError(
            f"{where}: {PREFIX}port: {port} is plain LDAP's port and auth ldaps speaks TLS from the first"
            " byte: give 636 (LDAPS), or auth starttls"
        )
    if auth == "starttls" and port in TLS_PORTS:
        raise UsageError(
            f"{where}: {PREFIX}port: {port} speaks TLS from the first byte and auth starttls does not:"
            " give auth ldaps, or port 389"
        )
    if auth == "kerberos" and port in PLAIN_PORTS and port != AUTH_PORTS["starttls"]:
        raise UsageError(
            f"{where}: {PREFIX}port: {port} is a plain LDAP port and auth kerberos speaks TLS from the first"
            " byte there (StartTLS only on 389): give 636, or 389"
        )


def _check_password_sources(where: str, auth: str, password: Any, password_file: Any) -> None:
    if password is not None and password_file is not None:
        raise UsageError(
            f"{where}: {PREFIX}password and {PREFIX}password_file are both given: keep one of them"
        )
    if password is None and password_file is None and auth != "kerberos":
        raise UsageError(
            f"{where}: {PREFIX}password: missing: give the account's password, vault-encrypted (ansible-vault"
            f" encrypt_string --name {PREFIX}password), or {PREFIX}password_file (auth {auth})"
        )


def _check_password(where: str, host: InventoryHost, password: Any) -> None:
    """A vaulted value, or a template naming one: never plain text, and never shown."""
    variable = f"{PREFIX}password"
    if isinstance(password, Mapping):
        if isinstance(password.get("__ansible_vault"), str):
            return
        raise UsageError(f"{where}: {variable}: expected a vault-encrypted value, got a mapping")
    if not isinstance(password, str):
        kind = "a list" if isinstance(password, list) else "a value that is not text"
        raise UsageError(f"{where}: {variable}: expected a vault-encrypted value, got {kind}")
    if not password.strip():
        raise UsageError(f"{where}: {variable}: expected a vault-encrypted value, got empty text")
    if not _template(password):
        raise UsageError(f"{where}: {variable} is in the inventory in plain text: {PLAIN_PASSWORD_FIX}")
    named = _ONE_VARIABLE.match(password.strip())
    if named and named.group(1) not in host.vars:
        raise UsageError(
            f"{where}: {variable} is the variable {named.group(1)}, which is not set for host {host.name}:"
            " define it (vault-encrypted) in the inventory, e.g. in group_vars/directories.yml"
        )


def _checked_password_file(where: str, value: str | None) -> str | None:
    variable = f"{PREFIX}password_file"
    if value is None or _template(value):
        return value
    path = _local_file(where, variable, value, "the account's password")
    try:
        mode = path.stat().st_mode
        with path.open(encoding="utf-8") as handle:
            first = handle.readline().strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"{where}: {variable}: {path} cannot be read: {reason}") from None
    if mode & stat.S_IROTH:
        raise UsageError(
            f"{where}: {variable}: {path} is readable by every account of this machine"
            f" (mode {stat.S_IMODE(mode):o}): `chmod 600 {path}`"
        )
    if not first:
        raise UsageError(f"{where}: {variable}: {path} is empty: put the password on its first line")
    return str(path)


def _checked_ca_file(where: str, value: str | None) -> str | None:
    variable = f"{PREFIX}ca_file"
    if value is None or _template(value):
        return value
    path = _local_file(where, variable, value, "the CA certificates (PEM)")
    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, ValueError):
        raise UsageError(
            f"{where}: {variable}: {path} holds no certificate: give the PEM file of the CA that signed the"
            " domain controllers' certificates"
        ) from None
    except OSError as exc:
        raise UsageError(f"{where}: {variable}: {path} cannot be read: {exc.strerror or exc}") from None
    return str(path)


def _local_file(where: str, variable: str, value: str, holding: str) -> Path:
    """A file on this machine (the control node, where the directory play runs), readable here."""
    path = Path(value.strip()).expanduser()
    if not path.is_absolute():
        raise UsageError(f"{where}: {variable}: expected an absolute path on this machine, got '{value}'")
    if not path.exists():
        raise UsageError(
            f"{where}: {variable}: {path} does not exist on this machine (the directory is read from here):"
            f" give the file holding {holding}"
        )
    if not path.is_file():
        raise UsageError(f"{where}: {variable}: {path} is not a file: give the file holding {holding}")
    if not os.access(path, os.R_OK):
        raise UsageError(
            f"{where}: {variable}: {path} is not readable by the account running carehard: fix its owner"
            " or mode"
        )
    return path


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _template(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
