"""carehard doctor without any remote host: option parsing, this machine, closed ports."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from carehard.doctor import (
    Problem,
    check_hosts,
    check_local,
    control_node,
    format_problem,
    hosts,
    inventory_vars,
    parse_ssh_options,
    ssh_host,
    ssh_settings,
)
from carehard.engine.inventory import InventoryHost


@pytest.fixture(autouse=True)
def _no_user_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ~/.ssh/config, known_hosts, keys or agent of the person running the tests."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    monkeypatch.delenv("ANSIBLE_HOST_KEY_CHECKING", raising=False)


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("-o UserKnownHostsFile=/tmp/kh -o StrictHostKeyChecking=no", {"/tmp/kh"}),
        ("-o UserKnownHostsFile /tmp/kh -o StrictHostKeyChecking no", {"/tmp/kh"}),
        ("-oUserKnownHostsFile=/tmp/kh -oStrictHostKeyChecking=no", {"/tmp/kh"}),
        ("-o 'UserKnownHostsFile /tmp/kh' -o 'StrictHostKeyChecking = no'", {"/tmp/kh"}),
        ('-o UserKnownHostsFile="/tmp/kh" -o stricthostkeychecking=no', {"/tmp/kh"}),
    ],
)
def test_parse_ssh_options_forms(args: str, expected: set[str]) -> None:
    opts = parse_ssh_options(args)
    assert set(opts["userknownhostsfile"]) == expected
    assert opts["stricthostkeychecking"] == ["no"]


def test_parse_ssh_options_keeps_order_and_flags() -> None:
    opts = parse_ssh_options(
        "-C -o ControlMaster=auto -o StrictHostKeyChecking=accept-new -o StrictHostKeyChecking=no "
        "-i ~/.ssh/a -o IdentityFile=/k/b -J admin@bastion:2222 -F /etc/carehard/ssh_config"
    )
    assert opts["stricthostkeychecking"] == ["accept-new", "no"]  # OpenSSH uses the first
    assert opts["identityfile"] == ["~/.ssh/a", "/k/b"]
    assert opts["proxyjump"] == ["admin@bastion:2222"]
    assert opts["configfile"] == ["/etc/carehard/ssh_config"]
    assert opts["controlmaster"] == ["auto"]


def test_parse_ssh_options_tolerates_junk() -> None:
    assert parse_ssh_options("") == {}
    assert parse_ssh_options("-o 'unbalanced") == {}
    assert parse_ssh_options("-o") == {}


def test_ssh_target_follows_ansible_precedence() -> None:
    host = InventoryHost(
        "ws-01",
        {
            "ansible_host": "192.0.2.7",
            "ansible_port": 2222,
            "ansible_user": "admin",
            "ansible_ssh_private_key_file": "/keys/admin",
            "ansible_ssh_common_args": "-o UserKnownHostsFile=/srv/kh -o Port=22 -o User=root",
            "ansible_ssh_extra_args": "-o StrictHostKeyChecking=accept-new",
            "ansible_password": "s3cret",
        },
    )
    t = ssh_settings.ssh_target(host)
    assert (t.hostname, t.port, t.user) == ("192.0.2.7", 2222, "admin")  # vars beat common args
    assert t.key_files == ["/keys/admin"]
    assert t.known_hosts == ["/srv/kh"]
    assert t.strict == "accept-new"
    assert t.password == "s3cret"


def test_host_key_checking_false_means_strict_no() -> None:
    t = ssh_settings.ssh_target(InventoryHost("ws-02", {"ansible_host_key_checking": False}))
    assert t.strict == "no"
    t = ssh_settings.ssh_target(InventoryHost("ws-03", {}))
    assert t.strict == "ask"
    assert t.known_hosts == list(ssh_settings.DEFAULT_USER_KNOWN_HOSTS)


def test_proxy_jump_becomes_ssh_w() -> None:
    t = ssh_settings.ssh_target(
        InventoryHost("ws-04", {"ansible_host": "10.0.0.4", "ansible_ssh_common_args": "-J ops@bastion:2200"})
    )
    assert t.proxy == "ssh -o BatchMode=yes -l ops -p 2200 -W '[10.0.0.4]:22' bastion"


def test_vaulted_password_is_not_used_and_never_printed() -> None:
    value, note = inventory_vars.plain_secret(
        {"ansible_become_password": {"__ansible_vault": "$ANSIBLE_VAULT;1.1"}}, "ansible_become_password"
    )
    assert value is None
    assert "vault" in note
    assert hosts._scrub("sudo said: hunter2\nagain", ["hunter2"]) == "sudo said: ******** again"


def test_check_local_on_this_machine() -> None:
    problems = check_local()
    checks = {p.check for p in problems if not p.warning}
    assert "ansible-core" not in checks, problems  # the venv has ansible-core >= 2.17
    assert "collection" not in checks, problems  # and the `ansible` package's collections
    for p in problems:
        assert p.host == "local"
        assert "\n" not in p.message


def test_check_local_reports_a_missing_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(control_node, "COLLECTIONS", ("ansible.posix", "carehard.nonexistent"))
    problems = [p for p in check_local() if p.check == "collection"]
    assert len(problems) == 1
    assert "carehard.nonexistent" in problems[0].message
    assert "collection install carehard.nonexistent" in problems[0].message


def test_check_local_warns_without_restic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    restic = [p for p in check_local() if p.check == "restic"]
    assert len(restic) == 1
    assert restic[0].warning


def test_closed_port_ssh_host_is_unreachable() -> None:
    port = closed_port()
    host = InventoryHost("ws-closed", {"ansible_host": "127.0.0.1", "ansible_port": port})
    problems = check_hosts([host], timeout=3)
    assert len(problems) == 1
    p = problems[0]
    assert (p.host, p.check) == ("ws-closed", "reachable")
    assert p.message.startswith(f"ws-closed (127.0.0.1:{port}): unreachable")
    assert "sshd" in p.message


def test_closed_port_winrm_host() -> None:
    port = closed_port()
    host = InventoryHost(
        "win-closed", {"ansible_host": "127.0.0.1", "ansible_port": port, "ansible_connection": "winrm"}
    )
    problems = check_hosts([host], timeout=3)
    assert len(problems) == 1
    p = problems[0]
    assert (p.host, p.check) == ("win-closed", "winrm-port")
    assert p.message.startswith(f"win-closed (127.0.0.1:{port}): ")
    assert str(port) in p.message and "WinRM" in p.message


def test_open_port_that_is_not_ssh() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        host = InventoryHost("ws-mute", {"ansible_host": "127.0.0.1", "ansible_port": port})
        problems = check_hosts([host], timeout=1)
    assert [p.check for p in problems] == ["reachable"]
    assert "handshake" in problems[0].message


def test_missing_key_file_is_an_auth_problem() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        host = InventoryHost(
            "ws-key",
            {
                "ansible_host": "127.0.0.1",
                "ansible_port": port,
                "ansible_ssh_private_key_file": "/nonexistent/key",
            },
        )
        problems = check_hosts([host], timeout=1)
    assert [p.check for p in problems] == ["auth"]
    assert "/nonexistent/key does not exist" in problems[0].message


def test_local_connection_and_order(monkeypatch: pytest.MonkeyPatch) -> None:
    local = InventoryHost(
        "localhost",
        {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "carehard_become": False,
        },
    )
    broken = InventoryHost(
        "localhost2",
        {
            "ansible_connection": "local",
            "ansible_python_interpreter": "/nonexistent/python3",
            "carehard_become": False,
        },
    )
    port = closed_port()
    hosts = [broken, InventoryHost("a", {"ansible_host": "127.0.0.1", "ansible_port": port}), local]
    problems = check_hosts(hosts, timeout=3)
    assert [(p.host, p.check) for p in problems] == [("localhost2", "python3"), ("a", "reachable")]
    assert check_hosts([]) == []


def test_check_hosts_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(host: InventoryHost, timeout: float) -> None:
        raise RuntimeError("kaboom\nwith a second line")

    monkeypatch.setattr(ssh_host, "check_ssh", boom)
    problems = check_hosts([InventoryHost("ws-x", {"ansible_password": "kaboom"})])
    assert len(problems) == 1
    assert problems[0].check == "reachable"
    assert "\n" not in problems[0].message
    assert "kaboom" not in problems[0].message  # a password is scrubbed even from our own errors


def test_format_problem() -> None:
    assert (
        format_problem(Problem("ws-01", "auth", "ws-01 (h:22): no\nkey"))
        == "problem [auth] ws-01 (h:22): no key"
    )
    assert format_problem(Problem("local", "restic", "x", warning=True)).startswith("warning [restic]")
