"""carehard doctor against a real Active Directory (a Samba AD DC on a test host): a good directory has no
problem, over LDAPS and StartTLS, with the password in a file or in a vault; a wrong password and a
wrong CA are each their one line; and doctor writes nothing to the directory (its highest committed
USN, read on the DC itself, is the same after)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard.directories import PREFIX
from carehard.doctor import Problem, check_hosts
from carehard.engine.inventory import InventoryHost
from tests.certificates import make_ca
from tests.clirun import carehard
from tests.integration.own_hosts import own_hosts
from tests.integration.samba_dc import SambaDC, provision

pytestmark = pytest.mark.integration

DOMAIN, NETBIOS = "doctor.carehard.test", "DOCTOR"
VAULT_PASSWORD = "doctor-vault"


@pytest.fixture(scope="module")
def dc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SambaDC]:
    with own_hosts(tmp_path_factory.mktemp("addoc"), "addoc", 1) as hosts:
        yield provision(hosts[0], DOMAIN, NETBIOS)


@pytest.fixture(scope="module")
def files(dc: SambaDC, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("files")
    password = directory / "ad.pass"
    password.write_text(dc.reader_password + "\n", encoding="utf-8")
    password.chmod(0o600)
    wrong = directory / "wrong.pass"
    wrong.write_text("not-" + dc.reader_password + "\n", encoding="utf-8")
    wrong.chmod(0o600)
    vault = directory / "vault-pass"
    vault.write_text(VAULT_PASSWORD + "\n", encoding="utf-8")
    return {"password": password, "wrong": wrong, "vault": vault, "other_ca": make_ca(directory / "other")}


def directory(dc: SambaDC, password_file: Path, **changes: Any) -> InventoryHost:
    variables = {
        f"{PREFIX}domain": dc.domain,
        f"{PREFIX}server": dc.address,
        f"{PREFIX}user": dc.reader_user,
        f"{PREFIX}password_file": str(password_file),
        f"{PREFIX}ca_file": str(dc.ca_file),
        **{f"{PREFIX}{k}": v for k, v in changes.items()},
    }
    return InventoryHost(dc.domain, {k: v for k, v in variables.items() if v is not None}, ("directories",))


def only_problem(host: InventoryHost) -> Problem:
    problems = check_hosts([host], timeout=10)
    assert len(problems) == 1, problems
    return problems[0]


def test_a_good_directory_has_no_problem_and_nothing_is_written(dc: SambaDC, files: dict[str, Path]) -> None:
    before = dc.highest_committed_usn()
    assert check_hosts([directory(dc, files["password"])], timeout=10) == []
    assert check_hosts([directory(dc, files["password"], auth="starttls")], timeout=10) == []
    assert dc.highest_committed_usn() == before


def test_a_wrong_password_is_its_line(dc: SambaDC, files: dict[str, Path]) -> None:
    p = only_problem(directory(dc, files["wrong"]))
    assert p.check == "directory-bind"
    assert p.message == (
        f"{dc.domain} (directory, {dc.address}:636): {dc.address}:636 refused the bind of {PREFIX}user"
        f" {dc.reader_user}: the password is wrong (invalidCredentials, data 52e): check the password"
        f" ({PREFIX}password or its file)"
    )
    assert dc.reader_password not in p.message


def test_a_wrong_ca_is_its_line(dc: SambaDC, files: dict[str, Path]) -> None:
    p = only_problem(directory(dc, files["password"], ca_file=str(files["other_ca"])))
    assert p.check == "directory-tls"
    assert p.message == (
        f"{dc.domain} (directory, {dc.address}:636): the certificate of {dc.address}:636 does not verify"
        f" against {PREFIX}ca_file {files['other_ca']} (unable to get local issuer certificate): give the CA"
        f" that signed the domain controllers' certificates in {PREFIX}ca_file"
    )


def test_another_domain_than_the_dcs_is_its_line(dc: SambaDC, files: dict[str, Path]) -> None:
    p = only_problem(directory(dc, files["password"], domain="other.carehard.test"))
    assert p.check == "directory-read"
    assert p.message.endswith(
        f"{dc.address}:636 serves the domain {dc.base_dn}, not DC=other,DC=carehard,DC=test"
        f" ({PREFIX}domain other.carehard.test): fix {PREFIX}domain or {PREFIX}server"
    )


def test_the_doctor_command_with_a_vaulted_password(
    dc: SambaDC, files: dict[str, Path], tmp_path: Path
) -> None:
    """The inventory as a site writes it (the password vaulted), through `carehard doctor -i`."""
    tool = str(Path(sys.executable).with_name("ansible-vault"))
    vaulted = subprocess.run(
        [
            tool,
            "encrypt_string",
            "--vault-password-file",
            str(files["vault"]),
            dc.reader_password,
            "--name",
            f"{PREFIX}password",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    declared = {k: v for k, v in directory(dc, files["password"]).vars.items() if not k.endswith("_file")}
    declared[f"{PREFIX}ca_file"] = str(dc.ca_file)
    inventory = tmp_path / "site"
    (inventory / "group_vars").mkdir(parents=True)
    (inventory / "hosts.yml").write_text(
        yaml.safe_dump({"all": {"children": {"directories": {"hosts": {dc.domain: declared}}}}}),
        encoding="utf-8",
    )
    (inventory / "group_vars" / "directories.yml").write_text("---\n" + vaulted, encoding="utf-8")
    env = {"ANSIBLE_VAULT_PASSWORD_FILE": str(files["vault"])}
    proc = carehard("doctor", "-i", inventory, env=env)
    assert "[directory" not in proc.stdout, proc.stdout + proc.stderr
    (files["vault"].parent / "wrong-vault").write_text("nope\n", encoding="utf-8")
    wrong = {"ANSIBLE_VAULT_PASSWORD_FILE": str(files["vault"].parent / "wrong-vault")}
    proc = carehard("doctor", "-i", inventory, env=wrong)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "the vault password does not decrypt its vault-encrypted values" in proc.stderr
    assert dc.reader_password not in proc.stdout + proc.stderr
