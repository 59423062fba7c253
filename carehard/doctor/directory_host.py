"""A directory (a host of the `directories` group): never logged in to, but read from this machine over
LDAP. Checked step by step as the directory play reaches it: its carehard_directory_* variables, a TCP
connection to the domain controller, the TLS handshake with its certificate verified against
carehard_directory_ca_file, the bind with the account, then a read of the domain it serves. Nothing is
written to the directory."""

from __future__ import annotations

import contextlib
import math
import os
import re
import socket
import ssl
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from carehard.directories import AUTH_PORTS, PREFIX, Directory, parse_directory
from carehard.doctor.problem import StepFailed, describe, last_line, one_line, step
from carehard.engine.inventory import InventoryHost
from carehard.errors import UsageError

# RFC 4511 StartTLS: the extended request of message 1, and the OID it names.
STARTTLS_OID = b"1.3.6.1.4.1.1466.20037"
STARTTLS_REQUEST = bytes([0x30, 0x1D, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16]) + STARTTLS_OID
EXTENDED_RESPONSE = 0x78
# What Active Directory (and Samba) put after "data" in a refused bind's message.
BIND_REASONS = {
    "525": "the account does not exist",
    "52e": "the password is wrong",
    "530": "the account may not log on at this time",
    "531": "the account may not log on from this machine",
    "532": "the account's password has expired",
    "533": "the account is disabled",
    "701": "the account has expired",
    "773": "the account must change its password first",
    "775": "the account is locked out",
}
_DATA = re.compile(r"\bdata ([0-9a-f]{3,4})\b", re.I)
_ONE_VARIABLE = re.compile(r"^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")
_NOT_FROM_HERE = "not from here"


def settings(host: InventoryHost) -> Directory:
    """The directory as the play reads it, or the one-line refusal audit would give (without `where`)."""
    try:
        return parse_directory(host, _NOT_FROM_HERE)
    except UsageError as exc:
        raise StepFailed("directory", str(exc).removeprefix(f"{_NOT_FROM_HERE}: ")) from None


def label(host: InventoryHost) -> str:
    try:
        directory = parse_directory(host, _NOT_FROM_HERE)
    except UsageError:
        return f"{host.name} (directory)"
    server = f"[{directory.server}]" if ":" in directory.server else directory.server
    return f"{host.name} (directory, {server}:{directory.port})"


def check_directory(host: InventoryHost, timeout: float) -> None:
    with step("directory"):
        directory = settings(host)
    if "{{" in directory.server:
        raise StepFailed(
            "directory",
            f"{PREFIX}server is a template doctor cannot evaluate: give the domain controller's name to"
            " check it",
        )
    with step("directory-secret"):
        password = _password(host, directory)
    with step("reachable"):
        _connect(directory, timeout).close()
    with step("directory-tls"):
        _check_tls(directory, timeout)
    with step("directory-bind"):
        _check_bind(directory, password, timeout)


def _connect(directory: Directory, timeout: float) -> socket.socket:
    where = f"{directory.server}:{directory.port}"
    hint = (
        f"check {PREFIX}server and {PREFIX}port (auth {directory.auth}: {AUTH_PORTS[directory.auth]} unless"
        " set), the network and the firewalls between this machine and the domain controller"
    )
    try:
        target = (directory.address or directory.server).strip("[]")
        return socket.create_connection((target, directory.port), timeout=timeout)
    except socket.gaierror as exc:
        raise StepFailed(
            "reachable", f"cannot resolve {directory.server} ({exc.strerror}): fix {PREFIX}server or DNS"
        ) from None
    except ConnectionRefusedError:
        raise StepFailed("reachable", f"connection to {where} refused: {hint}") from None
    except TimeoutError:
        raise StepFailed("reachable", f"no answer from {where} within {timeout:g}s: {hint}") from None
    except OSError as exc:
        raise StepFailed("reachable", f"{where}: {describe(exc)}: {hint}") from None


def _tls_from_the_start(directory: Directory) -> bool:
    """As roles/directory_audit binds: LDAPS, and Kerberos inside it, except on 389 (StartTLS)."""
    return directory.auth in ("ldaps", "kerberos") and directory.port != AUTH_PORTS["starttls"]


def _tls_context(directory: Directory) -> ssl.SSLContext:
    if not directory.validate_certs:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=directory.ca_file)


def _check_tls(directory: Directory, timeout: float) -> None:
    """The handshake, and the DC's certificate verified as the play verifies it."""
    where = f"{directory.server}:{directory.port}"
    sock = _connect(directory, timeout)
    try:
        if not _tls_from_the_start(directory):
            _start_tls(sock, where)
        try:
            with _tls_context(directory).wrap_socket(sock, server_hostname=directory.server.strip("[]")):
                pass
        except ssl.SSLCertVerificationError as exc:
            raise StepFailed("directory-tls", _untrusted(directory, exc)) from None
        except (ssl.SSLError, ConnectionError) as exc:
            kind = "LDAPS" if _tls_from_the_start(directory) else "TLS after StartTLS"
            raise StepFailed(
                "directory-tls",
                f"the TLS handshake with {where} failed ({describe(exc)}): is it {kind} on that port? Check"
                f" {PREFIX}auth and {PREFIX}port",
            ) from None
        except TimeoutError:
            raise StepFailed(
                "directory-tls", f"{where} did not complete the TLS handshake within {timeout:g}s"
            ) from None
    finally:
        sock.close()


def _untrusted(directory: Directory, exc: ssl.SSLCertVerificationError) -> str:
    where = f"{directory.server}:{directory.port}"
    reason = exc.verify_message or describe(exc)
    if "hostname" in reason.lower() or "ip address mismatch" in reason.lower():
        return (
            f"the certificate of {where} does not carry the name {directory.server} ({reason}): set"
            f" {PREFIX}server to the name the domain controller's certificate carries"
        )
    trust = f"{PREFIX}ca_file {directory.ca_file}" if directory.ca_file else "this machine's CAs"
    return (
        f"the certificate of {where} does not verify against {trust} ({reason}): give the CA that signed the"
        f" domain controllers' certificates in {PREFIX}ca_file"
    )


def _start_tls(sock: socket.socket, where: str) -> None:
    """RFC 4511's StartTLS extended operation, before the handshake (what ldap3's start_tls() sends)."""
    try:
        sock.sendall(STARTTLS_REQUEST)
        response = _read_message(sock)
    except (OSError, ValueError) as exc:
        raise StepFailed(
            "directory-tls",
            f"{where} gave no StartTLS answer ({describe(exc)}): is it LDAP (not LDAPS) on that port?",
        ) from None
    code = _result_code(response)
    if code != 0:
        raise StepFailed(
            "directory-tls",
            f"{where} refused StartTLS (LDAP result {code}): the domain controller has no certificate for"
            " LDAP over TLS, or use auth ldaps",
        )


def _read_message(sock: socket.socket) -> bytes:
    """One BER-encoded LDAP message."""
    head = _read(sock, 2)
    if head[0] != 0x30:
        raise ValueError("not an LDAP message")
    length = head[1]
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(_read(sock, count), "big")
    return _read(sock, length)


def _read(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ValueError("connection closed")
        data += chunk
    return data


def _result_code(message: bytes) -> int:
    """The resultCode of an ExtendedResponse: messageID, then [APPLICATION 24] {resultCode ENUMERATED...}."""
    at = 2 + message[1]  # past the messageID (INTEGER, short form)
    if message[at] != EXTENDED_RESPONSE:
        raise StepFailed("directory-tls", "the answer to StartTLS is not an LDAP extended response")
    at += 2 if message[at + 1] < 0x80 else 2 + (message[at + 1] & 0x7F)
    if message[at] != 0x0A:
        raise StepFailed("directory-tls", "the answer to StartTLS has no result code")
    return int.from_bytes(message[at + 2 : at + 2 + message[at + 1]], "big")


def _check_bind(directory: Directory, password: str | None, timeout: float) -> None:
    """The bind, then a read of the rootDSE: the domain the DC serves is the one declared."""
    try:
        import ldap3
        from ldap3.core import exceptions as ldap_errors
    except ImportError:
        raise StepFailed(
            "directory-bind", "the ldap3 Python package is not installed here: `pip install ldap3`"
        ) from None
    where = f"{directory.server}:{directory.port}"
    validate = ssl.CERT_REQUIRED if directory.validate_certs else ssl.CERT_NONE
    # Kerberos to an address given apart: the certificate is still checked for the server's name.
    named = [directory.server] if directory.address and directory.validate_certs else None
    tls = ldap3.Tls(
        validate=validate,
        ca_certs_file=directory.ca_file if directory.validate_certs else None,
        valid_names=named,
        sni=directory.server if named else None,
    )
    server = ldap3.Server(
        directory.address or directory.server,
        port=directory.port,
        use_ssl=_tls_from_the_start(directory),
        tls=tls,
        get_info=ldap3.NONE,
        connect_timeout=timeout,
    )
    # Whole seconds: ldap3 packs receive_timeout into SO_RCVTIMEO as an integer.
    seconds = max(1, math.ceil(timeout))
    options: dict[str, Any] = {"read_only": True, "auto_referrals": False, "receive_timeout": seconds}
    if directory.auth == "kerberos":
        conn = ldap3.Connection(
            server,
            authentication=ldap3.SASL,
            sasl_mechanism=ldap3.KERBEROS,
            sasl_credentials=(directory.server,),
            **options,
        )
        who = "the Kerberos ticket of this machine's account (klist)"
    else:
        user = str(directory.user)
        conn = ldap3.Connection(server, user=user, password=password, authentication=ldap3.SIMPLE, **options)
        who = f"{PREFIX}user {user}"
    try:
        conn.open()
        if not _tls_from_the_start(directory) and not conn.start_tls():
            raise StepFailed("directory-tls", f"{where} refused StartTLS: use auth ldaps")
        if not conn.bind():
            raise StepFailed("directory-bind", _refused(conn.result or {}, where, who))
        if not conn.search(
            "", "(objectClass=*)", search_scope=ldap3.BASE, attributes=["defaultNamingContext"]
        ):
            raise StepFailed(
                "directory-read",
                f"{where} let {who} bind but not read its rootDSE ({(conn.result or {}).get('description')})",
            )
        served = conn.entries[0].entry_attributes_as_dict.get("defaultNamingContext") or [""]
        if str(served[0]).lower() != directory.base_dn.lower():
            raise StepFailed(
                "directory-read",
                f"{where} serves the domain {served[0]}, not {directory.base_dn} ({PREFIX}domain"
                f" {directory.domain}): fix {PREFIX}domain or {PREFIX}server",
            )
    except StepFailed:
        raise
    except Exception as exc:
        if directory.auth != "kerberos" or not type(exc).__module__.startswith("gssapi"):
            if isinstance(exc, ldap_errors.LDAPException):
                raise _session_failed(exc, where) from None
            raise
        said = " ".join(str(exc).split())[:200]
        raise StepFailed(
            "directory-bind",
            f"no usable Kerberos ticket for ldap/{directory.server} ({said}): run kinit as the account"
            " carehard runs as (klist shows its cache; KRB5CCNAME chooses another), or use auth ldaps",
        ) from None
    finally:
        with contextlib.suppress(Exception):
            conn.unbind()


def _session_failed(exc: Exception, where: str) -> StepFailed:
    return StepFailed(
        "directory-bind",
        f"the LDAP session with {where} failed ({one_line(str(exc)) or type(exc).__name__}): is a domain"
        " controller answering LDAP there?",
    )


def _refused(result: Mapping[str, Any], where: str, who: str) -> str:
    message = str(result.get("message") or "")
    found = _DATA.search(message)
    reason = BIND_REASONS.get(found.group(1).lower()) if found else None
    said = str(result.get("description") or "refused")
    why = f"{reason} ({said}, data {found.group(1)})" if reason and found else said
    fix = (
        "check the password (carehard_directory_password or its file)"
        if reason is None or "password" in reason
        else "see the account in Active Directory Users and Computers"
    )
    return f"{where} refused the bind of {who}: {why}: {fix}"


def _password(host: InventoryHost, directory: Directory) -> str | None:
    """The password the play will bind with: from its file, or decrypted with ansible-vault (the vault
    password of -J or ANSIBLE_VAULT_PASSWORD_FILE), as the play gets it; None with kerberos."""
    if directory.password_file is not None:
        if "{{" in directory.password_file:
            raise StepFailed(
                "directory-secret", f"{PREFIX}password_file is a template doctor cannot evaluate"
            )
        with open(directory.password_file, encoding="utf-8") as handle:
            return handle.readline().rstrip("\r\n")
    value: Any = directory.password
    name = f"{PREFIX}password"
    if isinstance(value, str):
        named = _ONE_VARIABLE.match(value.strip())
        if named is None:
            raise StepFailed("directory-secret", f"{name} is a template doctor cannot evaluate")
        name, value = named.group(1), host.vars.get(named.group(1))
    if value is None:
        return None
    if isinstance(value, Mapping) and isinstance(value.get("__ansible_vault"), str):
        return _decrypted(name, value["__ansible_vault"])
    if isinstance(value, str) and "{{" not in value:
        return value
    raise StepFailed("directory-secret", f"{name} is a template doctor cannot evaluate")


def _decrypted(name: str, ciphertext: str) -> str:
    """The plain text comes back on a pipe, never a file, and is used for the bind only."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    if not (env.get("ANSIBLE_VAULT_PASSWORD_FILE") or env.get("ANSIBLE_VAULT_IDENTITY_LIST")):
        raise StepFailed(
            "directory-secret",
            f"{name} is vault-encrypted and there is no vault password: add --ask-vault-pass (-J), or set"
            " ANSIBLE_VAULT_PASSWORD_FILE",
        )
    proc = subprocess.run(
        [_ansible_vault(), "decrypt", "--output", "-", "-"],
        input=ciphertext,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise StepFailed("directory-secret", f"ansible-vault cannot decrypt {name}: {last_line(proc.stderr)}")
    return proc.stdout


def _ansible_vault() -> str:
    beside = Path(sys.executable).with_name("ansible-vault")
    return str(beside) if beside.exists() else "ansible-vault"
