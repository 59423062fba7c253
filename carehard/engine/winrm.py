"""The WinRM connection variables of a Windows host.

Ansible's winrm connection plugin, when the inventory names no transport, falls back to Basic
authentication (``ssl`` or ``plaintext``), which the WinRM service of Windows refuses by default.
carehard therefore derives the connection variables itself, from what the inventory already says:
NTLM (or Kerberos for a ``user@REALM`` account) over HTTPS on port 5986 unless the inventory chose
otherwise, and refuses, on one line naming the host and the variable to fix, what cannot work or
would send a password in clear.

``connection_vars`` gives the effective variables of a Windows host (those the inventory set,
plus those carehard adds); ``connection_overlay`` gives only the added ones, per host, which
``carehard.run`` passes to ansible-playbook as a second inventory source.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn

from carehard.engine.inventory import (
    WINDOWS_CONNECTIONS,
    WINDOWS_PORT_VARS,
    WINDOWS_SCHEME_VAR,
    InventoryHost,
)
from carehard.errors import UsageError

HTTP_PORT, HTTPS_PORT = 5985, 5986
SCHEMES = ("http", "https")
# ansible_winrm_transport: the transports carehard accepts, and pywinrm's own names for Basic auth.
TRANSPORTS = ("ntlm", "kerberos", "credssp", "certificate", "basic")
BASIC = frozenset({"basic", "plaintext", "ssl"})  # plaintext and ssl are Basic auth in pywinrm
CERT_VALIDATION = ("validate", "ignore")
# ansible_psrp_auth (the psrp plugin's default, negotiate, is Kerberos falling back to NTLM).
PSRP_AUTHS = ("negotiate", "ntlm", "kerberos", "credssp", "certificate", "basic")
PASSWORD_VARS = ("ansible_password", "ansible_winrm_pass", "ansible_winrm_password")

Installed = Callable[[str], bool]
Which = Callable[[str], str | None]


class WinRMSettingError(UsageError):
    """A Windows host's connection variables cannot work: `detail` says which one to fix."""

    def __init__(self, host: str, detail: str) -> None:
        super().__init__(f"host {host}: {detail}")
        self.host = host
        self.detail = detail


def is_windows(host: InventoryHost) -> bool:
    """Reached over WinRM or PSRP: ansible_connection winrm/psrp, or a member of
    windows_workstations without an ansible_connection of its own."""
    return host.connection in WINDOWS_CONNECTIONS


def connection_vars(
    host: InventoryHost, *, installed: Installed | None = None, which: Which = shutil.which
) -> dict[str, Any]:
    """The effective connection variables of a Windows host ({} for any other host): the ones the
    inventory set, kept as they are, and the ones carehard adds. Raises WinRMSettingError (a
    UsageError) for settings that cannot work. Values the inventory gives as templates are kept
    and not checked: only Ansible can evaluate them."""
    if not is_windows(host):
        return {}
    have = installed or _installed
    if host.connection == "psrp":
        return _psrp_vars(host, have)
    return _winrm_vars(host, have, which)


def connection_overlay(
    hosts: Iterable[InventoryHost], *, installed: Installed | None = None, which: Which = shutil.which
) -> dict[str, dict[str, Any]]:
    """Per Windows host, the variables carehard adds (those the inventory does not set)."""
    overlay: dict[str, dict[str, Any]] = {}
    for host in hosts:
        added = {
            name: value
            for name, value in connection_vars(host, installed=installed, which=which).items()
            if name not in host.vars
        }
        if added:
            overlay[host.name] = added
    return overlay


def endpoint(variables: Mapping[str, Any]) -> tuple[str | None, int | None]:
    """(scheme, port) from connection_vars' result; None where the inventory gives a template."""
    connection = str(variables.get("ansible_connection", "winrm"))
    scheme = variables.get(WINDOWS_SCHEME_VAR.get(connection, "ansible_winrm_scheme"))
    port: Any = None
    for name in WINDOWS_PORT_VARS.get(connection, ("ansible_port",)):
        if variables.get(name) not in (None, ""):
            port = variables[name]
    return (
        str(scheme).lower() if isinstance(scheme, str) and not _template(scheme) else None,
        port if isinstance(port, int) else None,
    )


# --------------------------------------------------------------------------------------------------


def _winrm_vars(host: InventoryHost, have: Installed, which: Which) -> dict[str, Any]:
    v = host.vars
    fail = _failer(host)
    if not have("winrm"):
        fail(f"it is reached over WinRM, which needs the pywinrm Python package here: {_pip('pywinrm')}")
    result: dict[str, Any] = {"ansible_connection": "winrm"}
    scheme, _port = _scheme_and_port(host, "winrm", fail, result)

    user = next((v[n] for n in ("ansible_winrm_user", "ansible_user") if v.get(n) not in (None, "")), None)
    raw = v.get("ansible_winrm_transport")
    if raw in (None, "", []):
        upn = isinstance(user, str) and not _template(user) and "@" in user
        result["ansible_winrm_transport"] = "kerberos" if upn else "ntlm"
        transports = [result["ansible_winrm_transport"]]
    else:
        result["ansible_winrm_transport"] = raw
        transports = _transports(raw, fail)

    for transport in transports:
        if transport not in TRANSPORTS and transport not in BASIC:
            fail(
                f"ansible_winrm_transport {transport!r} is not a WinRM transport: "
                f"use {', '.join(TRANSPORTS[:-1])} or {TRANSPORTS[-1]}"
            )
        if transport in BASIC and scheme == "http":
            fail(
                f"ansible_winrm_transport {transport} over http sends the password in clear: "
                "use ntlm or kerberos, or set ansible_winrm_scheme: https (port 5986)"
            )
        if transport == "certificate":
            if scheme == "http":
                fail(
                    "ansible_winrm_transport certificate works over HTTPS only: "
                    "set ansible_winrm_scheme: https (port 5986)"
                )
            for name in ("ansible_winrm_cert_pem", "ansible_winrm_cert_key_pem"):
                if v.get(name) in (None, ""):
                    fail(
                        f"ansible_winrm_transport certificate needs {name} "
                        "(the client certificate and its key, PEM files on this machine): set it"
                    )
        if transport == "kerberos":
            _need_kerberos(v, have, which, fail)
        if transport == "credssp" and not have("requests_credssp"):
            fail(
                "ansible_winrm_transport credssp needs the requests-credssp Python package here: "
                f"{_pip('pywinrm[credssp]')}"
            )

    validation = v.get("ansible_winrm_server_cert_validation")
    if validation not in (None, ""):
        plain = isinstance(validation, str) and not _template(validation)
        if plain and str(validation).lower() not in CERT_VALIDATION:
            fail(f"ansible_winrm_server_cert_validation is {validation!r}: use validate (default) or ignore")
        result["ansible_winrm_server_cert_validation"] = validation
    return result


def _need_kerberos(
    v: Mapping[str, Any], have: Installed, which: Which, fail: Callable[[str], NoReturn]
) -> None:
    # pywinrm 0.5 (winrm/vendor/requests_kerberos) and Ansible's winrm plugin both `import kerberos`
    # (pykerberos; winkerberos on Windows): not pyspnego/gssapi, which pypsrp uses.
    module = "winkerberos" if sys.platform == "win32" else "kerberos"
    if not have(module):
        fail(
            "ansible_winrm_transport kerberos needs the pykerberos Python package here: "
            f"{_pip('pywinrm[kerberos]')} (building it needs the Kerberos headers: "
            "apt-get install libkrb5-dev, or dnf install krb5-devel)"
        )
    mode = str(v.get("ansible_winrm_kinit_mode") or "").lower()
    password = any(v.get(name) not in (None, "") for name in PASSWORD_VARS)
    if mode == "managed" or (not mode and password):
        kinit = v.get("ansible_winrm_kinit_cmd") or "kinit"
        if isinstance(kinit, str) and not _template(kinit) and which(kinit) is None:
            fail(
                f"ansible_winrm_transport kerberos with a password: Ansible gets the ticket with {kinit}, "
                "which is not on PATH here: install krb5-user (Debian) or krb5-workstation (RHEL), "
                "or set ansible_winrm_kinit_cmd"
            )


def _psrp_vars(host: InventoryHost, have: Installed) -> dict[str, Any]:
    v = host.vars
    fail = _failer(host)
    if not have("pypsrp"):
        fail(f"it is reached over PSRP, which needs the pypsrp Python package here: {_pip('pypsrp')}")
    result: dict[str, Any] = {"ansible_connection": "psrp"}
    scheme, _port = _scheme_and_port(host, "psrp", fail, result)
    auth = v.get("ansible_psrp_auth")
    if auth in (None, ""):
        return result  # negotiate: Kerberos, else NTLM; never Basic
    result["ansible_psrp_auth"] = auth
    if not isinstance(auth, str) or _template(auth):
        return result
    auth = auth.strip().lower()
    if auth not in PSRP_AUTHS:
        fail(f"ansible_psrp_auth {auth!r} is not a PSRP authentication: use {', '.join(PSRP_AUTHS)}")
    if auth == "basic" and scheme == "http":
        fail(
            "ansible_psrp_auth basic over http sends the password in clear: "
            "use negotiate, or set ansible_psrp_protocol: https (port 5986)"
        )
    if auth == "certificate":
        if scheme == "http":
            fail("ansible_psrp_auth certificate works over HTTPS only: set ansible_psrp_protocol: https")
        for name in ("ansible_psrp_certificate_pem", "ansible_psrp_certificate_key_pem"):
            if v.get(name) in (None, ""):
                fail(f"ansible_psrp_auth certificate needs {name}: set it")
    if auth == "kerberos" and not (have("spnego") and (have("gssapi") or have("krb5"))):
        fail(f"ansible_psrp_auth kerberos needs pyspnego with gssapi here: {_pip('pypsrp[kerberos]')}")
    if auth == "credssp" and not have("requests_credssp"):
        fail(f"ansible_psrp_auth credssp needs requests-credssp here: {_pip('pypsrp[credssp]')}")
    return result


def _scheme_and_port(
    host: InventoryHost, connection: str, fail: Callable[[str], NoReturn], result: dict[str, Any]
) -> tuple[str | None, int | None]:
    """The scheme and port (None for a template), checked for consistency; both put in result."""
    v = host.vars
    scheme_var = WINDOWS_SCHEME_VAR[connection]
    port_var, raw_port = "ansible_port", None
    for name in WINDOWS_PORT_VARS[connection]:  # Ansible: the last one set wins
        if v.get(name) not in (None, ""):
            port_var, raw_port = name, v[name]
    port: int | None = None
    if raw_port is not None and not _template(raw_port):
        try:
            port = int(raw_port)
        except (TypeError, ValueError):
            port = -1
        if not 0 < port < 65536:
            fail(f"{port_var} is {raw_port!r}, not a port number: set it to {HTTPS_PORT} (WinRM over HTTPS)")

    raw_scheme = v.get(scheme_var)
    scheme: str | None = None
    if raw_scheme not in (None, ""):
        if isinstance(raw_scheme, str) and _template(raw_scheme):
            result[scheme_var] = raw_scheme
        else:
            scheme = str(raw_scheme).strip().lower()
            if scheme not in SCHEMES:
                fail(f"{scheme_var} is {raw_scheme!r}: set it to https (or http)")
            result[scheme_var] = raw_scheme
    elif raw_port is None or port is not None:
        # Ansible's own rule: http on 5985, https anywhere else (and by default).
        scheme = "http" if port == HTTP_PORT else "https"
        result[scheme_var] = scheme

    if raw_port is not None:
        result[port_var] = raw_port if port is None else port
    elif scheme is not None:
        port = HTTP_PORT if scheme == "http" else HTTPS_PORT
        result[port_var] = port

    if scheme == "http" and port == HTTPS_PORT:
        fail(
            f"{scheme_var} is http but {port_var} is {HTTPS_PORT}, WinRM's HTTPS port: "
            f"set {scheme_var}: https (or {port_var}: {HTTP_PORT} for an HTTP listener)"
        )
    if scheme == "https" and port == HTTP_PORT:
        fail(
            f"{scheme_var} is https but {port_var} is {HTTP_PORT}, WinRM's HTTP port: "
            f"set {port_var}: {HTTPS_PORT} (or {scheme_var}: http for an HTTP listener)"
        )
    return scheme, port


def _transports(raw: Any, fail: Callable[[str], NoReturn]) -> list[str]:
    """ansible_winrm_transport as Ansible reads it: a list, or a comma-separated string."""
    if isinstance(raw, str):
        if _template(raw):
            return []
        items: list[Any] = raw.split(",")
    elif isinstance(raw, list):
        items = raw
    else:
        fail(f"ansible_winrm_transport is {raw!r}: give one transport, e.g. ntlm")
    return [str(item).strip().lower() for item in items if str(item).strip() and not _template(item)]


def _failer(host: InventoryHost) -> Callable[[str], NoReturn]:
    def fail(detail: str) -> NoReturn:
        raise WinRMSettingError(host.name, detail)

    return fail


def _template(value: Any) -> bool:
    """A Jinja template or a vault-encrypted value: only Ansible knows what it is."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    return isinstance(value, Mapping)


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _pip(requirement: str) -> str:
    return f"`{sys.executable} -m pip install '{requirement}'`"
