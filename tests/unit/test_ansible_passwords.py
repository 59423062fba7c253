"""-K / -J / -v on the commands that run playbooks, the password files handed to Ansible, and an
inventory with vault-encrypted values read with, without and with a wrong vault password (the
real ansible-inventory and ansible-vault; no host)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from carehard.engine.ansible_secrets import BECOME_FILE, VAULT_FILE, handed_to_ansible
from carehard.engine.inventory import list_hosts
from carehard.errors import UsageError
from tests.clirun import CAREHARD, carehard

VAULT_PASSWORD = "unit-vault-pass"
PLAIN = "unit-plain-value-5521"
PLAYBOOK_COMMANDS = (
    ("audit",),
    ("harden",),
    ("facts",),
    ("vendor", "open"),
    ("vendor", "close"),
    ("backup", "verify"),
    ("backup", "canary"),
    ("exposure", "scan"),
)


@pytest.mark.parametrize("command", PLAYBOOK_COMMANDS, ids=" ".join)
def test_every_playbook_command_takes_the_ansible_options(command: tuple[str, ...]) -> None:
    helptext = carehard(*command, "--help").stdout
    for option in ("-K, --ask-become-pass", "-J, --ask-vault-pass", "-v, --verbose"):
        assert option in helptext, (command, option)


def test_doctor_and_vendor_list_take_the_passwords_they_use() -> None:
    assert "-K, --ask-become-pass" in carehard("doctor", "--help").stdout
    vendor_list = carehard("vendor", "list", "--help").stdout
    assert "-J, --ask-vault-pass" in vendor_list and "--ask-become-pass" not in vendor_list


def test_asking_without_a_terminal_is_refused_before_anything_runs(tmp_path: Path) -> None:
    """stdin is not a terminal (a timer, a pipe): the refusal names the variables that work there."""
    state = tmp_path / "state"
    report = tmp_path / "report"
    env = {"CAREHARD_STATE_DIR": str(state)}
    both = carehard("audit", "-K", "-J", "-i", tmp_path / "missing", "--output", report, env=env)
    assert both.returncode == 2 and "Traceback" not in both.stderr
    assert both.stderr.count("\n") == 1 and both.stderr.startswith("carehard: error: --ask-become-pass and")
    assert "ANSIBLE_BECOME_PASSWORD_FILE and ANSIBLE_VAULT_PASSWORD_FILE" in both.stderr
    vault = carehard("vendor", "list", "-J", env=env)
    assert vault.returncode == 2 and "ANSIBLE_VAULT_PASSWORD_FILE" in vault.stderr
    assert "ANSIBLE_BECOME_PASSWORD_FILE" not in vault.stderr
    assert not report.exists() and not (state / "runs").exists()


def test_password_files_exist_only_during_the_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv(VAULT_FILE, "/the/users/own/file")
    monkeypatch.delenv(BECOME_FILE, raising=False)
    with pytest.raises(RuntimeError), handed_to_ansible("become-secret", "vault-secret"):
        become, vault = Path(os.environ[BECOME_FILE]), Path(os.environ[VAULT_FILE])
        assert become.parent.parent == tmp_path
        assert become.read_text() == "become-secret\n" and vault.read_text() == "vault-secret\n"
        for path in (become, vault, become.parent):
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode & 0o077 == 0, oct(mode)
        assert not os.access(become, os.X_OK)  # Ansible would run it and read its output instead
        raise RuntimeError("the run broke")
    assert list(tmp_path.iterdir()) == []
    assert os.environ[VAULT_FILE] == "/the/users/own/file" and BECOME_FILE not in os.environ


def test_nothing_asked_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BECOME_FILE, raising=False)
    with handed_to_ansible(None, None):
        assert BECOME_FILE not in os.environ


def vaulted_inventory(tmp_path: Path) -> Path:
    password = tmp_path / "encrypting-password"
    password.write_text(VAULT_PASSWORD, encoding="utf-8")
    tool = Path(CAREHARD[0]).with_name("ansible-vault")
    vaulted = subprocess.run(
        [str(tool), "encrypt_string", "--vault-password-file", str(password), PLAIN, "--name", "site_note"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    inventory = tmp_path / "inventory"
    (inventory / "group_vars").mkdir(parents=True)
    (inventory / "hosts.yml").write_text("all:\n  hosts:\n    h1:\n      ansible_host: 198.18.0.250\n")
    (inventory / "group_vars" / "all.yml").write_text(vaulted, encoding="utf-8")
    return inventory


def test_vaulted_inventory_needs_the_right_vault_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = vaulted_inventory(tmp_path)
    monkeypatch.delenv(VAULT_FILE, raising=False)
    monkeypatch.delenv("ANSIBLE_VAULT_IDENTITY_LIST", raising=False)
    with pytest.raises(UsageError) as missing:
        list_hosts(inventory)
    assert "has vault-encrypted values (site_note of host h1) and no vault password" in str(missing.value)
    assert "--ask-vault-pass (-J)" in str(missing.value)
    with handed_to_ansible(None, "not-the-vault-password"), pytest.raises(UsageError) as wrong:
        list_hosts(inventory)
    assert "the vault password does not decrypt" in str(wrong.value)
    with handed_to_ansible(None, VAULT_PASSWORD):
        assert [h.name for h in list_hosts(inventory)] == ["h1"]


def test_vault_encrypted_file_without_its_password_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole group_vars file encrypted (ansible-vault encrypt): ansible-inventory itself fails."""
    inventory = tmp_path / "inventory"
    (inventory / "group_vars").mkdir(parents=True)
    (inventory / "hosts.yml").write_text("all:\n  hosts:\n    h1:\n      ansible_host: 198.18.0.250\n")
    secret_vars = inventory / "group_vars" / "all.yml"
    secret_vars.write_text(f"site_note: {PLAIN}\n", encoding="utf-8")
    password = tmp_path / "encrypting-password"
    password.write_text(VAULT_PASSWORD, encoding="utf-8")
    tool = Path(CAREHARD[0]).with_name("ansible-vault")
    encrypt = [str(tool), "encrypt", "--vault-password-file", str(password), str(secret_vars)]
    subprocess.run(encrypt, check=True, capture_output=True)
    monkeypatch.delenv(VAULT_FILE, raising=False)
    monkeypatch.delenv("ANSIBLE_VAULT_IDENTITY_LIST", raising=False)
    with pytest.raises(UsageError, match="has vault-encrypted values and no vault password: add --ask-vault"):
        list_hosts(inventory)
    with handed_to_ansible(None, "wrong"), pytest.raises(UsageError, match="does not decrypt"):
        list_hosts(inventory)
    with handed_to_ansible(None, VAULT_PASSWORD):
        assert list_hosts(inventory)[0].vars["site_note"] == PLAIN
