"""carehard doctor against real test hosts: a good host, a host that is down, and each way to fail."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from carehard.doctor import check_hosts
from carehard.engine.inventory import InventoryHost
from tests.testhosts import harness

pytestmark = pytest.mark.integration

NOPW_USER = "cht-nopw"  # a sudoer whose sudo asks for a password
NOPW_PASSWORD = "Doctor-Test-Passw0rd"


@pytest.fixture(autouse=True)
def _no_user_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the keys and known_hosts each test names: none of root's own, no agent."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    monkeypatch.delenv("ANSIBLE_HOST_KEY_CHECKING", raising=False)


def inventory_host(test_host: harness.TestHost, **overrides: Any) -> InventoryHost:
    """The host as a site's inventory would give it: admin, key, known_hosts, become."""
    host_vars: dict[str, Any] = {
        "ansible_host": test_host.address,
        "ansible_user": harness.ADMIN,
        "ansible_ssh_private_key_file": str(test_host.key),
        "ansible_ssh_common_args": (
            f"-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile={test_host.known_hosts}"
        ),
    }
    host_vars.update(overrides)
    return InventoryHost(test_host.name, host_vars, ("linux_workstations",))


def ssh_keygen(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path


def test_good_host_has_no_problem(fleet: dict[str, harness.TestHost]) -> None:
    assert check_hosts([inventory_host(fleet["spare"])]) == []


def test_host_that_is_down_is_unreachable(fleet: dict[str, harness.TestHost]) -> None:
    problems = check_hosts([inventory_host(fleet["gone"])], timeout=5)
    assert len(problems) == 1
    p = problems[0]
    assert (p.host, p.check) == (fleet["gone"].name, "reachable")
    assert p.message.startswith(f"{fleet['gone'].name} ({fleet['gone'].address}:22): unreachable")


def test_both_hosts_checked_in_parallel(fleet: dict[str, harness.TestHost]) -> None:
    problems = check_hosts([inventory_host(fleet["gone"]), inventory_host(fleet["spare"])], timeout=5)
    assert [(p.host, p.check) for p in problems] == [(fleet["gone"].name, "reachable")]


def test_wrong_key_is_an_auth_problem(fleet: dict[str, harness.TestHost], tmp_path: Path) -> None:
    wrong = ssh_keygen(tmp_path / "wrong_key")
    problems = check_hosts([inventory_host(fleet["spare"], ansible_ssh_private_key_file=str(wrong))])
    assert [(p.host, p.check) for p in problems] == [(fleet["spare"].name, "auth")]
    assert "authentication failed as admin" in problems[0].message
    assert str(wrong) in problems[0].message


def test_unknown_host_key(fleet: dict[str, harness.TestHost], tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.touch()
    host = inventory_host(fleet["spare"], ansible_ssh_common_args=f"-o UserKnownHostsFile={empty}")
    problems = check_hosts([host])
    assert [(p.host, p.check) for p in problems] == [(fleet["spare"].name, "host-key")]
    message = problems[0].message
    assert "host key unknown" in message
    assert f"ssh-keyscan -p 22 {fleet['spare'].address} >> {empty}" in message
    # the same empty file is fine once the inventory says to accept new keys
    accept = inventory_host(
        fleet["spare"],
        ansible_ssh_common_args=f"-o UserKnownHostsFile={empty} -o StrictHostKeyChecking=accept-new",
    )
    assert check_hosts([accept]) == []
    assert empty.read_text() == ""  # doctor never writes known_hosts


def test_changed_host_key_is_always_a_problem(fleet: dict[str, harness.TestHost], tmp_path: Path) -> None:
    other = ssh_keygen(tmp_path / "other_host_key")
    known = tmp_path / "known_hosts"
    key_type, key_data = other.with_suffix(".pub").read_text().split()[:2]
    known.write_text(f"{fleet['spare'].address} {key_type} {key_data}\n")
    host = inventory_host(
        fleet["spare"],
        ansible_ssh_common_args=f"-o UserKnownHostsFile={known} -o StrictHostKeyChecking=no",
    )
    problems = check_hosts([host])
    assert [(p.host, p.check) for p in problems] == [(fleet["spare"].name, "host-key")]
    assert "CHANGED" in problems[0].message and "man in the middle" in problems[0].message


@pytest.fixture
def nopw_user(fleet: dict[str, harness.TestHost]) -> Iterator[str]:
    """A sudoer on cht-spare with the admin's authorized key, whose sudo asks for a password."""
    host = fleet["spare"]
    host.sudo(
        f"useradd -m -s /bin/bash -G sudo {NOPW_USER} && echo '{NOPW_USER}:{NOPW_PASSWORD}' | chpasswd"
        f" && install -d -m700 -o {NOPW_USER} -g {NOPW_USER} ~{NOPW_USER}/.ssh"
        f" && install -m600 -o {NOPW_USER} -g {NOPW_USER}"
        f" ~{harness.ADMIN}/.ssh/authorized_keys ~{NOPW_USER}/.ssh/"
    )
    try:
        yield NOPW_USER
    finally:
        # sudo's timestamp file would outlive the account and show up as an unowned file in later audits
        host.sudo(
            f"pkill -KILL -u {NOPW_USER};"
            f" for i in $(seq 20); do pgrep -u {NOPW_USER} >/dev/null || break; sleep 0.2; done;"
            f" userdel -r {NOPW_USER}; rm -f /run/sudo/ts/{NOPW_USER}",
            check=False,
        )


def test_sudo_with_password_is_a_become_problem(fleet: dict[str, harness.TestHost], nopw_user: str) -> None:
    problems = check_hosts([inventory_host(fleet["spare"], ansible_user=nopw_user)])
    assert [(p.host, p.check) for p in problems] == [(fleet["spare"].name, "become")]
    message = problems[0].message
    assert "sudo needs a password" in message and "ansible_become_password" in message
    assert "NOPASSWD" in message

    # not wanted: no problem
    assert check_hosts([inventory_host(fleet["spare"], ansible_user=nopw_user, carehard_become=False)]) == []

    # the right password, fed to sudo -S: no problem
    good = inventory_host(fleet["spare"], ansible_user=nopw_user, ansible_become_password=NOPW_PASSWORD)
    assert check_hosts([good]) == []

    # a wrong one: a become problem that never shows the password
    wrong = inventory_host(fleet["spare"], ansible_user=nopw_user, ansible_become_password="not-the-password")
    problems = check_hosts([wrong])
    assert [(p.host, p.check) for p in problems] == [(fleet["spare"].name, "become")]
    assert "sudo refuses" in problems[0].message
    assert "not-the-password" not in problems[0].message
