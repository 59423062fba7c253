"""The directories an inventory declares (hosts of the `directories` group): each mistake in their
carehard_directory_* variables is refused before any run, on one line naming the inventory, the host,
the variable and what is expected; the password never shown."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard import directories
from carehard.catalog import load_catalog
from carehard.directories import Directory, check_declared, parse_directory
from carehard.engine.inventory import InventoryHost, list_hosts
from carehard.engine.selection import Selection
from carehard.errors import UsageError
from carehard.jobs.assess import AssessJob
from tests.certificates import make_ca
from tests.clirun import carehard
from tests.vault_sample import CIPHERTEXT, VAULT_PASSWORD

NAME = "chu-example.fr"
WHERE = f"inventory site, host {NAME}"
PLAIN = "S3cret-Never-Shown"
VAULTED = {"__ansible_vault": CIPHERTEXT}


@pytest.fixture(scope="module")
def ca_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "ad.pass"
    path.write_text(PLAIN + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def host(
    changes: dict[str, Any] | None = None, groups: tuple[str, ...] = ("directories",), **extra: Any
) -> InventoryHost:
    """A directory host with a valid declaration (a vaulted password); a change to None removes the key."""
    variables: dict[str, Any] = {
        "carehard_directory_domain": NAME,
        "carehard_directory_server": "dc1.chu-example.fr",
        "carehard_directory_user": "svc-carehard@chu-example.fr",
        "carehard_directory_password": VAULTED,
    }
    variables.update({f"carehard_directory_{k}": v for k, v in (changes or {}).items()})
    variables.update(extra)
    return InventoryHost(NAME, {k: v for k, v in variables.items() if v is not None}, groups)


def refused(h: InventoryHost) -> str:
    with pytest.raises(UsageError) as info:
        parse_directory(h, WHERE)
    message = str(info.value)
    assert "\n" not in message
    assert PLAIN not in message
    assert message.startswith(f"{WHERE}: ")
    return message.removeprefix(f"{WHERE}: ")


# ---- what passes ------------------------------------------------------------------------------------


def test_a_minimal_declaration_gets_the_contracts_defaults() -> None:
    assert parse_directory(host({"server": None}, ansible_host="192.0.2.10"), WHERE) == Directory(
        name=NAME,
        domain=NAME,
        server="192.0.2.10",
        auth="ldaps",
        port=636,
        user="svc-carehard@chu-example.fr",
        password=VAULTED,
        password_file=None,
        ca_file=None,
        validate_certs=True,
        timeout=30,
    )


def test_the_server_defaults_to_the_hosts_name_and_the_base_dn_follows_the_domain() -> None:
    directory = parse_directory(host({"server": None}), WHERE)
    assert directory.server == NAME
    assert directory.base_dn == "DC=chu-example,DC=fr"


def test_every_variable_of_the_contract(password_file: Path, ca_file: Path) -> None:
    changes = {
        "auth": "starttls",
        "port": 389,
        "password": None,
        "password_file": str(password_file),
        "ca_file": str(ca_file),
        "validate_certs": True,
        "timeout": 12,
    }
    directory = parse_directory(host(changes), WHERE)
    assert (directory.auth, directory.port, directory.timeout) == ("starttls", 389, 12)
    assert (directory.password_file, directory.ca_file) == (str(password_file), str(ca_file))


def test_validate_certs_false_is_taken_when_written() -> None:
    assert parse_directory(host({"validate_certs": False}), WHERE).validate_certs is False


def test_a_template_naming_a_variable_of_the_host_passes() -> None:
    h = host({"password": "{{ vault_ad_password }}"}, vault_ad_password=VAULTED)
    assert parse_directory(h, WHERE).password == "{{ vault_ad_password }}"


def test_kerberos_needs_neither_user_nor_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(directories, "_installed", lambda module: True)
    directory = parse_directory(host({"auth": "kerberos", "user": None, "password": None}), WHERE)
    assert (directory.port, directory.user, directory.password) == (636, None, None)
    assert parse_directory(host({"auth": "kerberos", "port": 389}), WHERE).port == 389


def test_kerberos_connects_to_ansible_host_beside_the_dcs_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ticket is for ldap/<carehard_directory_server>; ansible_host, when given too, is where to
    connect (the play and doctor do so). Only with kerberos, and only when the server is given."""
    monkeypatch.setattr(directories, "_installed", lambda module: True)
    kerberos = {"auth": "kerberos", "user": None, "password": None}
    directory = parse_directory(host(kerberos, ansible_host="192.0.2.10"), WHERE)
    assert (directory.server, directory.address) == ("dc1.chu-example.fr", "192.0.2.10")
    assert parse_directory(host(kerberos), WHERE).address is None
    assert parse_directory(host(ansible_host="192.0.2.10"), WHERE).address is None  # ldaps: the server


def test_hosts_outside_the_group_are_not_read() -> None:
    workstation = InventoryHost("ws-01", {"carehard_directory_port": "nonsense"}, ("linux_workstations",))
    assert check_declared([workstation, host()], "inventory site") == [parse_directory(host(), WHERE)]


# ---- what is refused, one line each ----------------------------------------------------------------

REFUSALS = [
    (
        {"domain": None},
        "carehard_directory_domain: missing: give the directory's DNS domain (e.g. chu-example.fr)",
    ),
    ({"domain": "chu example"}, "carehard_directory_domain: expected the directory's DNS domain (e.g."),
    (
        {"domain": "CHU"},
        "carehard_directory_domain: expected the directory's DNS domain (e.g. chu-example.fr),",
    ),
    (
        {"auth": "ldap"},
        "carehard_directory_auth: expected how carehard binds, one of ldaps, starttls, kerberos, got 'ldap'",
    ),
    ({"port": 0}, "carehard_directory_port: expected a port number within 1-65535, got 0"),
    ({"port": 70000}, "carehard_directory_port: expected a port number within 1-65535, got 70000"),
    ({"port": "636"}, "carehard_directory_port: expected a port number within 1-65535, got '636'"),
    ({"port": True}, "carehard_directory_port: expected a port number within 1-65535, got true"),
    (
        {"port": 389},
        "carehard_directory_port: 389 is plain LDAP's port and auth ldaps speaks TLS from the first byte:"
        " give 636 (LDAPS), or auth starttls",
    ),
    (
        {"auth": "starttls", "port": 636},
        "carehard_directory_port: 636 speaks TLS from the first byte and auth starttls does not: give auth"
        " ldaps, or port 389",
    ),
    (
        {"server": "dc1 dc2"},
        "carehard_directory_server: expected the DNS name or address of one domain controller, got 'dc1 dc2'",
    ),
    ({"server": ""}, "carehard_directory_server: expected the DNS name or address of a domain controller"),
    (
        {"user": None},
        "carehard_directory_user: missing: give the account carehard reads the directory with"
        " (e.g. svc-carehard@chu-example.fr), an ordinary domain user (auth ldaps)",
    ),
    ({"user": ""}, "carehard_directory_user: expected the account carehard reads the directory with"),
    (
        {"password": None},
        "carehard_directory_password: missing: give the account's password, vault-encrypted (ansible-vault"
        " encrypt_string --name carehard_directory_password), or carehard_directory_password_file"
        " (auth ldaps)",
    ),
    (
        {"password": PLAIN},
        "carehard_directory_password is in the inventory in plain text: encrypt it with ansible-vault"
        " (ansible-vault encrypt_string --name carehard_directory_password), or give"
        " carehard_directory_password_file",
    ),
    (
        {"password": 123456789},
        "carehard_directory_password: expected a vault-encrypted value, got a value that",
    ),
    ({"password": [PLAIN]}, "carehard_directory_password: expected a vault-encrypted value, got a list"),
    (
        {"password": {"value": PLAIN}},
        "carehard_directory_password: expected a vault-encrypted value, got a mapping",
    ),
    ({"password": "  "}, "carehard_directory_password: expected a vault-encrypted value, got empty text"),
    (
        {"password": "{{ vault_ad_password }}"},
        f"carehard_directory_password is the variable vault_ad_password, which is not set for host {NAME}:"
        " define it (vault-encrypted) in the inventory, e.g. in group_vars/directories.yml",
    ),
    (
        {"password_file": "ad.pass"},
        "carehard_directory_password and carehard_directory_password_file are both given: keep one of them",
    ),
    (
        {"password": None, "password_file": "ad.pass"},
        "carehard_directory_password_file: expected an absolute path on this machine, got 'ad.pass'",
    ),
    (
        {"password": None, "password_file": "/nonexistent/carehard/ad.pass"},
        "carehard_directory_password_file: /nonexistent/carehard/ad.pass does not exist on this machine"
        " (the directory is read from here): give the file holding the account's password",
    ),
    (
        {"ca_file": "/nonexistent/carehard/ad-ca.pem"},
        "carehard_directory_ca_file: /nonexistent/carehard/ad-ca.pem does not exist on this machine (the"
        " directory is read from here): give the file holding the CA certificates (PEM)",
    ),
    (
        {"ca_file": "/"},
        "carehard_directory_ca_file: / is not a file: give the file holding the CA certificates",
    ),
    (
        {"validate_certs": "no"},
        "carehard_directory_validate_certs: expected true or false (default true; false lets anyone on the"
        " path read the password), got 'no'",
    ),
    (
        {"timeout": 0},
        "carehard_directory_timeout: expected seconds per LDAP operation, a whole number of at least 1,"
        " got 0",
    ),
    (
        {"timeout": 2.5},
        "carehard_directory_timeout: expected seconds per LDAP operation, a whole number of at least 1,"
        " got 2.5",
    ),
    (
        {"passwd": VAULTED},
        "carehard_directory_passwd: unknown key (known: carehard_directory_domain, carehard_directory_server,"
        " carehard_directory_auth, carehard_directory_port, carehard_directory_user,"
        " carehard_directory_password, carehard_directory_password_file, carehard_directory_ca_file,"
        " carehard_directory_validate_certs, carehard_directory_timeout)",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), REFUSALS, ids=[str(i) for i in range(len(REFUSALS))])
def test_each_mistake_is_its_one_line(changes: dict[str, Any], expected: str) -> None:
    assert refused(host(changes)).startswith(expected)


def test_a_bad_ansible_host_is_named_when_the_server_comes_from_it() -> None:
    assert refused(host({"server": None}, ansible_host="10.0.0.1 10.0.0.2")) == (
        "ansible_host: expected the DNS name or address of one domain controller, got '10.0.0.1 10.0.0.2'"
    )


def test_kerberos_needs_the_dcs_dns_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(directories, "_installed", lambda module: True)
    assert refused(host({"auth": "kerberos", "server": "192.0.2.10"})) == (
        "carehard_directory_server: auth kerberos needs the domain controller's DNS name (its ticket is for"
        " ldap/<name>), got the address 192.0.2.10"
    )


def test_kerberos_on_the_global_catalogs_plain_port_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(directories, "_installed", lambda module: True)
    assert refused(host({"auth": "kerberos", "port": 3268})) == (
        "carehard_directory_port: 3268 is a plain LDAP port and auth kerberos speaks TLS from the first byte"
        " there (StartTLS only on 389): give 636, or 389"
    )


def test_kerberos_needs_the_gssapi_package_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(directories, "_installed", lambda module: module != "gssapi")
    assert refused(host({"auth": "kerberos"})).startswith(
        "carehard_directory_auth: kerberos needs the gssapi Python package on this machine"
    )


def test_kerberos_takes_one_password_source_at_most(
    password_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(directories, "_installed", lambda module: True)
    assert refused(host({"auth": "kerberos", "password_file": str(password_file)})) == (
        "carehard_directory_password and carehard_directory_password_file are both given: keep one of them"
    )


def test_a_password_file_readable_by_everyone_is_refused(password_file: Path) -> None:
    password_file.chmod(0o644)
    assert refused(host({"password": None, "password_file": str(password_file)})) == (
        f"carehard_directory_password_file: {password_file} is readable by every account of this machine"
        f" (mode 644): `chmod 600 {password_file}`"
    )


def test_an_empty_password_file_is_refused(password_file: Path) -> None:
    password_file.write_text("\n  \nsecond line\n", encoding="utf-8")
    assert refused(host({"password": None, "password_file": str(password_file)})) == (
        f"carehard_directory_password_file: {password_file} is empty: put the password on its first line"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_password_file_is_refused(password_file: Path) -> None:
    password_file.chmod(0o000)
    assert refused(host({"password": None, "password_file": str(password_file)})) == (
        f"carehard_directory_password_file: {password_file} is not readable by the account running carehard:"
        " fix its owner or mode"
    )


def test_a_ca_file_without_a_certificate_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n", encoding="utf-8")
    assert refused(host({"ca_file": str(bad)})) == (
        f"carehard_directory_ca_file: {bad} holds no certificate: give the PEM file of the CA that signed the"
        " domain controllers' certificates"
    )


@pytest.mark.parametrize("group", ["linux_workstations", "windows_workstations"])
def test_a_directory_in_a_workstation_group_is_refused(group: str) -> None:
    with pytest.raises(UsageError) as info:
        check_declared([host(groups=("directories", group))], "inventory site")
    assert str(info.value) == (
        f"inventory site: host {NAME} is in directories and {group}: a directory is read from this machine"
        f" and a workstation logged in to, and it would run both: keep {NAME} in directories only, and give"
        f" the domain controller its own name in {group} if it is to be hardened"
    )


# ---- before audit and harden ------------------------------------------------------------------------


def site(tmp_path: Path, directory: dict[str, Any]) -> Path:
    """A real inventory: one Linux workstation, and the directory as a host of the directories group."""
    inventory = {
        "all": {
            "children": {
                "linux_workstations": {"hosts": {"ws-01": {"ansible_host": "192.0.2.11"}}},
                "directories": {"hosts": {NAME: directory}},
            }
        }
    }
    path = tmp_path / "site"
    path.mkdir()
    (path / "hosts.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    return path


def vaulted_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **changes: Any) -> Path:
    """site() with the password vault-encrypted in the inventory, and the vault password given."""
    secret = tmp_path / "vault-pass"
    secret.write_text(VAULT_PASSWORD + "\n", encoding="utf-8")
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(secret))
    declared = {k: v for k, v in host().vars.items() if k != "carehard_directory_password"}
    inventory = site(tmp_path, {**declared, **changes})
    lines = "".join(f"  {line}\n" for line in CIPHERTEXT.splitlines())
    (inventory / "group_vars").mkdir()
    (inventory / "group_vars" / "directories.yml").write_text(
        f"---\ncarehard_directory_password: !vault |\n{lines}", encoding="utf-8"
    )
    return inventory


def test_audit_passes_a_vaulted_password_without_decrypting_it_for_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = vaulted_site(tmp_path, monkeypatch)
    (listed,) = [h for h in list_hosts(inventory) if h.is_directory]
    assert listed.vars["carehard_directory_password"] == VAULTED
    job = AssessJob("audit", inventory, Selection(level=3))
    job.prepare(load_catalog())


def test_audit_refuses_a_bad_directory_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = vaulted_site(tmp_path, monkeypatch, carehard_directory_port=389)
    for mode in ("audit", "harden"):
        with pytest.raises(UsageError) as info:
            AssessJob(mode, inventory, Selection(level=3)).prepare(load_catalog())
        assert str(info.value).startswith(
            f"inventory {inventory}, host {NAME}: carehard_directory_port: 389 is"
        )


def test_without_a_directory_control_selected_the_directory_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = vaulted_site(tmp_path, monkeypatch, carehard_directory_port=389)
    AssessJob("audit", inventory, Selection(level=3, only=("WL-SSH-01",))).prepare(load_catalog())


def test_the_cli_refuses_on_one_line_and_writes_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state"
    inventory = site(tmp_path, {**host({"password": None}).vars, "carehard_directory_password_file": "/nope"})
    for command in (["audit"], ["harden", "--yes"], ["harden", "--dry-run"]):
        proc = carehard(
            *command,
            "-i",
            inventory,
            "--output",
            tmp_path / "out",
            env={"CAREHARD_STATE_DIR": str(state)},
        )
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert proc.stderr == (
            f"carehard: error: inventory {inventory}, host {NAME}: carehard_directory_password_file: /nope"
            " does not exist on this machine (the directory is read from here): give the file holding the"
            " account's password\n"
        )
        assert not (state / "runs").exists() and not (state / "history.db").exists()
        assert not (tmp_path / "out").exists()
