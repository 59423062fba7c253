"""carehard doctor on a directory (a host of the `directories` group): never logged in to, checked as the
directory play reaches it, one Problem line at the first failing step. Here without a domain controller:
the variables, a closed port, real TLS servers on this machine (LDAPS, and StartTLS answered as RFC 4511
says) with certificates of a test CA, and the password as the play gets it. The bind against a real
Samba DC is tests/integration/test_directory_doctor.py."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from carehard.directories import PREFIX
from carehard.doctor import Problem, check_hosts
from carehard.doctor import directory_host as doctor_directory
from carehard.doctor.problem import StepFailed
from carehard.engine.inventory import InventoryHost
from tests.certificates import make_ca, make_server_certificate
from tests.vault_sample import CIPHERTEXT, VAULT_PASSWORD

NAME = "chu-example.test"
SERVER_NAME = "dc1.chu-example.test"
SECRET = "Reader-Pa55-never-shown"
STARTTLS_SUCCESS = bytes([0x30, 0x0C, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0A, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00])
STARTTLS_UNAVAILABLE = bytes(
    [0x30, 0x0C, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0A, 0x01, 0x34, 0x04, 0x00, 0x04, 0x00]
)


@dataclass(frozen=True)
class Pki:
    ca: Path  # the CA that signed the server's certificate
    other_ca: Path  # a CA that did not
    cert: Path
    key: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    ca = make_ca(tmp_path_factory.mktemp("ca"), "CHU test CA")
    cert, key = make_server_certificate(ca, SERVER_NAME, ("127.0.0.1",))
    return Pki(ca, make_ca(tmp_path_factory.mktemp("other"), "Someone else's CA"), cert, key)


class TlsServer:
    """A TLS server on 127.0.0.1: LDAPS (TLS at once), or StartTLS first (answered `starttls`); each
    connection does the handshake, then is closed. Not LDAP beyond StartTLS: the bind fails there."""

    def __init__(self, pki: Pki, starttls: bytes | None = None) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(pki.cert, pki.key)
        self.starttls = starttls
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    if self.starttls is not None:
                        conn.recv(1024)
                        conn.sendall(self.starttls)
                        if self.starttls != STARTTLS_SUCCESS:
                            continue
                    with self.context.wrap_socket(conn, server_side=True):
                        pass
                except (OSError, ssl.SSLError):
                    continue

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def ldaps(pki: Pki) -> Iterator[TlsServer]:
    server = TlsServer(pki)
    yield server
    server.close()


def directory(**changes: Any) -> InventoryHost:
    """A directory host, its password in a vault; a change to None removes the variable."""
    variables: dict[str, Any] = {
        f"{PREFIX}domain": NAME,
        f"{PREFIX}server": "127.0.0.1",
        f"{PREFIX}user": f"svc-carehard@{NAME}",
        f"{PREFIX}password": {"__ansible_vault": CIPHERTEXT},
    }
    extra = {k: v for k, v in changes.items() if not k.startswith("ansible_") and not k.startswith("vault_")}
    variables.update({f"{PREFIX}{k}": v for k, v in extra.items()})
    variables.update({k: v for k, v in changes.items() if k not in extra})
    return InventoryHost(NAME, {k: v for k, v in variables.items() if v is not None}, ("directories",))


def problem(host: InventoryHost) -> Problem:
    problems = check_hosts([host], timeout=5.0)  # a float, as `carehard doctor` gives it
    assert len(problems) == 1, problems
    assert SECRET not in problems[0].message and "\n" not in problems[0].message
    return problems[0]


@pytest.fixture
def vault_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "vault-pass").write_text(VAULT_PASSWORD + "\n", encoding="utf-8")
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(tmp_path / "vault-pass"))


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_a_declaration_audit_would_refuse_is_its_line() -> None:
    p = problem(directory(port=389))
    assert (p.host, p.check) == (NAME, "directory")
    assert p.message == (
        f"{NAME} (directory): {PREFIX}port: 389 is plain LDAP's port and auth ldaps speaks TLS from the first"
        " byte: give 636 (LDAPS), or auth starttls"
    )


def test_a_closed_port_is_unreachable(vault_password: None) -> None:
    port = closed_port()
    p = problem(directory(port=port))
    assert (p.check, p.message.split(": ")[0]) == ("reachable", f"{NAME} (directory, 127.0.0.1:{port})")
    assert f"connection to 127.0.0.1:{port} refused" in p.message


def test_a_certificate_of_another_ca_is_refused(pki: Pki, ldaps: TlsServer, vault_password: None) -> None:
    p = problem(directory(port=ldaps.port, ca_file=str(pki.other_ca)))
    assert p.check == "directory-tls"
    assert p.message == (
        f"{NAME} (directory, 127.0.0.1:{ldaps.port}): the certificate of 127.0.0.1:{ldaps.port} does not"
        f" verify against {PREFIX}ca_file {pki.other_ca} (unable to get local issuer certificate): give the"
        f" CA that signed the domain controllers' certificates in {PREFIX}ca_file"
    )


def test_without_a_ca_file_this_machines_cas_are_named(ldaps: TlsServer, vault_password: None) -> None:
    p = problem(directory(port=ldaps.port))
    assert p.check == "directory-tls" and "does not verify against this machine's CAs" in p.message


def test_a_certificate_for_another_name_is_refused(pki: Pki, ldaps: TlsServer, vault_password: None) -> None:
    p = problem(directory(server="localhost", port=ldaps.port, ca_file=str(pki.ca)))
    assert p.check == "directory-tls"
    assert f"the certificate of localhost:{ldaps.port} does not carry the name localhost (" in p.message
    assert p.message.endswith(f"set {PREFIX}server to the name the domain controller's certificate carries")


def test_the_right_ca_passes_tls_and_the_bind_is_next(
    pki: Pki, ldaps: TlsServer, vault_password: None
) -> None:
    """The server is no LDAP server: the bind (over TLS, by ldap3) finds it closes the session."""
    p = problem(directory(port=ldaps.port, ca_file=str(pki.ca)))
    assert (p.check, p.message) == (
        "directory-bind",
        f"{NAME} (directory, 127.0.0.1:{ldaps.port}): the LDAP session with 127.0.0.1:{ldaps.port} failed"
        " (session terminated by server): is a domain controller answering LDAP there?",
    )


def test_validate_certs_false_skips_the_verification(ldaps: TlsServer, vault_password: None) -> None:
    assert problem(directory(port=ldaps.port, validate_certs=False)).check == "directory-bind"


def test_starttls_is_asked_before_the_handshake(pki: Pki, vault_password: None) -> None:
    server = TlsServer(pki, starttls=STARTTLS_SUCCESS)
    try:
        p = problem(directory(auth="starttls", port=server.port, ca_file=str(pki.other_ca)))
    finally:
        server.close()
    assert p.check == "directory-tls" and "does not verify against" in p.message


def test_starttls_refused_is_its_line(pki: Pki, vault_password: None) -> None:
    server = TlsServer(pki, starttls=STARTTLS_UNAVAILABLE)
    try:
        p = problem(directory(auth="starttls", port=server.port, ca_file=str(pki.ca)))
    finally:
        server.close()
    assert p.message == (
        f"{NAME} (directory, 127.0.0.1:{server.port}): 127.0.0.1:{server.port} refused StartTLS (LDAP result"
        " 52): the domain controller has no certificate for LDAP over TLS, or use auth ldaps"
    )


def test_ldaps_spoken_to_a_plain_port_is_told(vault_password: None) -> None:
    with socket.create_server(("127.0.0.1", 0)) as plain:
        port = plain.getsockname()[1]

        def answer() -> None:  # what a plain LDAP server says to a TLS hello: no TLS
            for _ in range(2):  # the reachable step's connection, then the handshake's
                conn, _ = plain.accept()
                with conn, contextlib.suppress(OSError):
                    conn.settimeout(5)
                    conn.recv(1024)
                    conn.sendall(b"0\x84\x00\x00\x00\x10not TLS at all\r\n")

        threading.Thread(target=answer, daemon=True).start()
        p = problem(directory(port=port))
    assert p.check == "directory-tls"
    assert f"the TLS handshake with 127.0.0.1:{port} failed (" in p.message
    assert p.message.endswith(f"is it LDAPS on that port? Check {PREFIX}auth and {PREFIX}port")


# ---- the password, as the play gets it -------------------------------------------------------------


def test_a_vaulted_password_needs_the_vault_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANSIBLE_VAULT_PASSWORD_FILE", raising=False)
    monkeypatch.delenv("ANSIBLE_VAULT_IDENTITY_LIST", raising=False)
    p = problem(directory(port=closed_port()))
    assert (p.check, p.message) == (
        "directory-secret",
        f"{NAME} (directory, 127.0.0.1:{p.message.split(':')[1].split(')')[0]}): {PREFIX}password is"
        " vault-encrypted and there is no vault password: add --ask-vault-pass (-J), or set"
        " ANSIBLE_VAULT_PASSWORD_FILE",
    )


def test_a_wrong_vault_password_is_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "wrong").write_text("not-vpw\n", encoding="utf-8")
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(tmp_path / "wrong"))
    p = problem(directory(port=closed_port()))
    assert p.check == "directory-secret"
    assert f"ansible-vault cannot decrypt {PREFIX}password: " in p.message


def test_the_password_is_decrypted_as_the_play_gets_it(vault_password: None) -> None:
    host = directory()
    assert doctor_directory._password(host, doctor_directory.settings(host)) == "secret"


def test_a_template_naming_a_vaulted_variable_is_followed(vault_password: None) -> None:
    host = directory(password="{{ vault_ad }}", vault_ad={"__ansible_vault": CIPHERTEXT})
    assert doctor_directory._password(host, doctor_directory.settings(host)) == "secret"


def test_the_password_file_gives_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "ad.pass"
    path.write_text(f"{SECRET}\nsecond line\n", encoding="utf-8")
    path.chmod(0o600)
    host = directory(password=None, password_file=str(path))
    assert doctor_directory._password(host, doctor_directory.settings(host)) == SECRET


# ---- what the DC answers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data 52e, v4563",
            "dc1:636 refused the bind of svc: the password is wrong (invalidCredentials, data 52e): check the"
            " password (carehard_directory_password or its file)",
        ),
        (
            "80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data 533, v4563",
            "dc1:636 refused the bind of svc: the account is disabled (invalidCredentials, data 533): see the"
            " account in Active Directory Users and Computers",
        ),
        (
            "",
            "dc1:636 refused the bind of svc: invalidCredentials: check the password",
        ),
    ],
)
def test_the_reason_of_a_refused_bind_is_told(message: str, expected: str) -> None:
    result = {"result": 49, "description": "invalidCredentials", "message": message}
    assert doctor_directory._refused(result, "dc1:636", "svc").startswith(expected)


def test_a_starttls_answer_that_is_not_one_is_refused() -> None:
    with pytest.raises(StepFailed, match="not an LDAP extended response"):
        doctor_directory._result_code(
            bytes([0x02, 0x01, 0x01, 0x61, 0x07, 0x0A, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00])
        )
    assert doctor_directory._result_code(STARTTLS_SUCCESS[2:]) == 0
