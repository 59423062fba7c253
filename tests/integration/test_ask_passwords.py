"""Passwords the Ansible way, on a real test host: an admin account whose sudo asks for a password,
an inventory with a vaulted variable. The passwords are typed at carehard's own hidden prompts on
a pseudo-terminal, as a person types them; none of them is left anywhere carehard writes."""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.clirun import CAREHARD, carehard, evidence, load_report, statuses
from tests.integration.own_hosts import own_hosts
from tests.testhosts import harness

pytestmark = pytest.mark.integration

SITEADMIN = "siteadmin"
BECOME_PASSWORD = "Become-Pass-7731-siteadmin"
VAULT_PASSWORD = "Vault-Pass-4402-site"
VAULTED_VALUE = "vaulted-plain-text-9186"
CONTROLS = "WL-SSH-01,WL-SSH-02"
SECRETS = (BECOME_PASSWORD, VAULT_PASSWORD, VAULTED_VALUE)


@dataclass(frozen=True)
class Site:
    host: harness.TestHost
    inventory: Path
    work: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    work = tmp_path_factory.mktemp("ask-passwords")
    with own_hosts(work, "pw", 1) as hosts:
        host = hosts[0]
        # Debian's own sudoers: the sudo group may run anything, with the account's password.
        host.sudo(
            f"useradd -m -s /bin/bash -G sudo {SITEADMIN} && echo '{SITEADMIN}:{BECOME_PASSWORD}' | chpasswd"
            f" && install -d -m700 -o {SITEADMIN} -g {SITEADMIN} ~{SITEADMIN}/.ssh"
            f" && install -m600 -o {SITEADMIN} -g {SITEADMIN} ~{harness.ADMIN}/.ssh/authorized_keys"
            f" ~{SITEADMIN}/.ssh/"
        )
        assert host.ssh(SITEADMIN, "sudo -n true", check=False).returncode != 0, "sudo must ask a password"
        yield Site(host, write_site_inventory(work / "inventory", host), work)


def write_site_inventory(directory: Path, host: harness.TestHost) -> Path:
    """hosts.yml, and group_vars with the admin account, become, and one vaulted variable."""
    (directory / "group_vars").mkdir(parents=True)
    hosts = {
        "all": {"children": {"linux_workstations": {"hosts": {host.name: {"ansible_host": host.address}}}}}
    }
    (directory / "hosts.yml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
    settings = {
        "ansible_user": SITEADMIN,
        "ansible_become": True,
        "ansible_ssh_private_key_file": str(host.key),
        "ansible_ssh_common_args": (
            f"-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile={host.known_hosts}"
        ),
    }
    vaulted = vault_encrypt_string(directory.parent, "carehard_site_note", VAULTED_VALUE)
    (directory / "group_vars" / "linux_workstations.yml").write_text(
        yaml.safe_dump(settings) + vaulted, encoding="utf-8"
    )
    return directory


def vault_encrypt_string(work: Path, name: str, value: str) -> str:
    password_file = work / "vault-password-for-encrypting"
    password_file.write_text(VAULT_PASSWORD + "\n", encoding="utf-8")
    tool = Path(CAREHARD[0]).with_name("ansible-vault")
    proc = subprocess.run(
        [str(tool), "encrypt_string", "--vault-password-file", str(password_file), value, "--name", name],
        capture_output=True,
        text=True,
        check=True,
    )
    password_file.unlink()
    return proc.stdout


@dataclass(frozen=True)
class TerminalRun:
    returncode: int
    stdout: str
    stderr: str
    terminal: str  # what carehard wrote on the terminal: its prompts
    seconds: float


def carehard_on_terminal(
    *args: str | Path, typed: list[tuple[str, str]], env: dict[str, str], timeout: float = 240
) -> TerminalRun:
    """carehard with a pseudo-terminal as its controlling terminal and stdin (stdout and stderr
    captured apart): each (prompt, answer) is typed once the prompt shows on the terminal."""
    master, slave = os.openpty()

    def take_terminal() -> None:  # in the child, a session leader already (start_new_session)
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    started = time.monotonic()
    proc = subprocess.Popen(
        [*CAREHARD, *map(str, args)],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "COLUMNS": "200", **env},
        start_new_session=True,
        preexec_fn=take_terminal,
        text=True,
    )
    os.close(slave)
    shown = ""
    try:
        for prompt, answer in typed:
            while prompt not in shown:
                ready, _, _ = select.select([master], [], [], 30)
                assert ready, f"no prompt {prompt!r} within 30 s; the terminal shows {shown!r}"
                shown += os.read(master, 4096).decode(errors="replace")
            shown = shown.replace(prompt, f"<{prompt.strip()}>", 1)
            os.write(master, answer.encode() + b"\n")
        stdout, stderr = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        while select.select([master], [], [], 0)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk.decode(errors="replace")
        os.close(master)
    return TerminalRun(proc.returncode, stdout, stderr, shown, time.monotonic() - started)


def own_environment(site: Site, name: str) -> dict[str, str]:
    """A state directory and a runtime directory (where the password files go) per run."""
    runtime = site.work / f"{name}-runtime"
    runtime.mkdir(mode=0o700)
    return {
        "CAREHARD_STATE_DIR": str(site.work / f"{name}-state"),
        "XDG_RUNTIME_DIR": str(runtime),
        "HOME": str(site.work),
    }


def secrets_found(*directories: Path) -> list[str]:
    """Every file under these directories that holds one of the secrets, with the secret."""
    found = []
    for directory in directories:
        for path in directory.rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                found += [f"{path}: {secret}" for secret in SECRETS if secret.encode() in data]
    return found


def test_typed_become_and_vault_passwords_reach_ansible_and_stay_nowhere(site: Site) -> None:
    env = own_environment(site, "typed")
    report = site.work / "typed-report"
    run = carehard_on_terminal(
        "audit", "-K", "-J", "-i", site.inventory, "--only", CONTROLS, "--output", report,
        typed=[("BECOME password: ", BECOME_PASSWORD), ("Vault password: ", VAULT_PASSWORD)],
        env=env,
    )  # fmt: skip
    assert run.returncode in (0, 1), (run.stdout, run.stderr)
    # the become worked: each control passed or failed on what it read as root, none broke
    assert set(statuses(load_report(report), site.host.name).values()) <= {"pass", "fail"}
    assert BECOME_PASSWORD not in run.terminal and VAULT_PASSWORD not in run.terminal  # not echoed
    assert secrets_found(Path(env["CAREHARD_STATE_DIR"]), report) == []
    assert not any(Path(env["XDG_RUNTIME_DIR"]).iterdir()), "the password files must be removed"
    assert all(secret not in run.stdout + run.stderr for secret in SECRETS)


def test_wrong_become_password_is_a_clear_error_not_a_hang(site: Site) -> None:
    env = own_environment(site, "wrong")
    report = site.work / "wrong-report"
    run = carehard_on_terminal(
        "audit", "-K", "-J", "-i", site.inventory, "--only", CONTROLS, "--output", report,
        typed=[("BECOME password: ", "not-the-password"), ("Vault password: ", VAULT_PASSWORD)],
        env=env,
        timeout=180,
    )  # fmt: skip
    assert run.returncode == 3, (run.stdout, run.stderr)
    assert set(statuses(load_report(report), site.host.name).values()) == {"error"}
    for control in CONTROLS.split(","):
        said = evidence(load_report(report), site.host.name, control)
        assert "Incorrect sudo password" in said and "\n" not in said, said
    assert secrets_found(Path(env["CAREHARD_STATE_DIR"]), report) == []


def test_vaulted_inventory_without_vault_password_is_refused(site: Site) -> None:
    env = own_environment(site, "novault")
    report = site.work / "novault-report"
    proc = carehard("audit", "-i", site.inventory, "--only", CONTROLS, "--output", report, env=env)
    assert proc.returncode == 2
    assert proc.stderr.startswith("carehard: error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "--ask-vault-pass" in proc.stderr and "ANSIBLE_VAULT_PASSWORD_FILE" in proc.stderr
    assert "Traceback" not in proc.stderr and not report.exists()
    # where nobody can type it, asking is refused on one line naming the variables to use instead
    asked = carehard("audit", "-K", "-i", site.inventory, "--only", CONTROLS, "--output", report, env=env)
    assert asked.returncode == 2 and asked.stderr.count("\n") == 1, asked.stderr
    assert "ANSIBLE_BECOME_PASSWORD_FILE" in asked.stderr and not report.exists()


def test_password_files_from_the_environment_and_verbose_output(site: Site) -> None:
    """A scheduled run: no terminal, the passwords in files the environment names; -v shows
    ansible-playbook's own task lines on stderr."""
    env = own_environment(site, "files")
    secrets = site.work / "files-secrets"
    secrets.mkdir(mode=0o700)
    (secrets / "become").write_text(BECOME_PASSWORD + "\n", encoding="utf-8")
    (secrets / "vault").write_text(VAULT_PASSWORD + "\n", encoding="utf-8")
    env |= {
        "ANSIBLE_BECOME_PASSWORD_FILE": str(secrets / "become"),
        "ANSIBLE_VAULT_PASSWORD_FILE": str(secrets / "vault"),
    }
    report = site.work / "files-report"
    proc = carehard("audit", "-v", "-i", site.inventory, "--only", CONTROLS, "--output", report, env=env)
    assert proc.returncode in (0, 1), (proc.stdout, proc.stderr)
    assert set(statuses(load_report(report), site.host.name).values()) <= {"pass", "fail"}
    assert "TASK [" in proc.stderr and "WL-SSH-01 |" in proc.stderr, proc.stderr
    assert f"ok: [{site.host.name}]" in proc.stderr and "PLAY RECAP" in proc.stderr
    assert "TASK [" not in proc.stdout  # the summary stays clean for whoever reads stdout
    assert secrets_found(Path(env["CAREHARD_STATE_DIR"]), report) == []


def test_doctor_tries_sudo_with_the_typed_become_password(site: Site) -> None:
    env = own_environment(site, "doctor")
    vault_file = site.work / "doctor-vault"
    vault_file.write_text(VAULT_PASSWORD + "\n", encoding="utf-8")
    without = carehard(
        "doctor", "-i", site.inventory, env={**env, "ANSIBLE_VAULT_PASSWORD_FILE": str(vault_file)}
    )
    assert f"[become] {site.host.name}" in without.stdout and "--ask-become-pass" in without.stdout, without
    typed = carehard_on_terminal(
        "doctor", "-K", "-J", "-i", site.inventory,
        typed=[("BECOME password: ", BECOME_PASSWORD), ("Vault password: ", VAULT_PASSWORD)],
        env=env,
        timeout=120,
    )  # fmt: skip
    assert "[become]" not in typed.stdout and site.host.name not in typed.stdout, typed
    assert not any(Path(env["XDG_RUNTIME_DIR"]).iterdir())
