"""carehard bootstrap without hosts: what it refuses in the inventory before connecting anywhere, and
the host key fingerprints and known_hosts lines it writes, checked against OpenSSH's own tools."""

from __future__ import annotations

import subprocess
from pathlib import Path

import paramiko
import pytest
import yaml

from carehard.bootstrap.host_keys import KnownHosts, fingerprint, host_entry
from tests.clirun import carehard


def inventory(tmp_path: Path, group: str = "linux_workstations", **group_vars: str) -> Path:
    body = {
        "all": {"children": {group: {"hosts": {"ws-01": {"ansible_host": "127.0.0.1"}}, "vars": group_vars}}}
    }
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("group_vars", "message"),
    [
        ({}, "host ws-01 has no ansible_user: name the admin account bootstrap is to create"),
        ({"ansible_user": "root"}, "host ws-01: ansible_user is root: name an admin account"),
        ({"ansible_user": "Admin Site"}, "host ws-01: ansible_user 'Admin Site' is not an account name"),
    ],
)
def test_the_admin_account_is_checked_before_any_connection(
    tmp_path: Path, group_vars: dict[str, str], message: str
) -> None:
    proc = carehard("bootstrap", "-i", inventory(tmp_path, **group_vars), env={"HOME": str(tmp_path)})
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"carehard: error: {message}") and proc.stderr.count("\n") == 1
    assert not (tmp_path / ".ssh").exists()  # no key made for a refused inventory


def test_windows_hosts_are_skipped_with_a_pointer(tmp_path: Path) -> None:
    inv = inventory(tmp_path, group="windows_workstations", ansible_user="carehard-admin")
    proc = carehard("bootstrap", "-i", inv, env={"HOME": str(tmp_path)})
    assert proc.returncode == 2
    assert "ws-01: skipped, a Windows host: prepare its WinRM account as docs/windows.md says" in proc.stdout
    assert proc.stderr == f"carehard: error: inventory {inv} has no Linux host to bootstrap\n"


def test_fingerprint_and_known_hosts_line_are_openssh_s(tmp_path: Path) -> None:
    key_file = tmp_path / "host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key_file)], check=True)
    key = paramiko.Ed25519Key.from_private_key_file(str(key_file))
    listed = subprocess.run(
        ["ssh-keygen", "-lf", str(key_file) + ".pub"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert fingerprint(key) == f"ssh-ed25519 {listed[1]}"

    known = KnownHosts.of([str(tmp_path / "ssh" / "known_hosts")])
    (tmp_path / "ssh").mkdir()
    known.record_file.write_text(
        "198.51.100.9 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBq9QHbS5Xr5gKf0dyQm6nJpm0cJ0J9k8wL9yq3zYd2R"
    )
    known.record(host_entry("192.0.2.7", 2222), key)
    found = subprocess.run(
        ["ssh-keygen", "-F", "[192.0.2.7]:2222", "-f", str(known.record_file)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert found.returncode == 0 and key.get_base64() in found.stdout
    assert known.record_file.read_text().count("\n") == 2  # the unterminated last line kept apart
