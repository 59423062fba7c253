"""carehard bootstrap on a fresh test host, as on a first day: the installer's account has a password
and sudo that asks for it; bootstrap, typed the password on a terminal, makes the inventory's admin
account with sudo and the key, records the host key, and the host is ready for doctor and audit. A
second run changes nothing; a host whose recorded key differs never gets the password."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.clirun import CAREHARD, load_report, statuses
from tests.integration.own_hosts import NETWORK, own_hosts
from tests.terminal import type_at_prompt
from tests.testhosts import harness

pytestmark = pytest.mark.integration

INSTALLER = "installer"
PASSWORD = "Premier-Jour-9f3c2a"
ADMIN = "siteadmin"


@dataclass(frozen=True)
class Site:
    host: harness.TestHost
    directory: Path

    @property
    def key(self) -> Path:
        return self.directory / "keys" / "siteadmin_ed25519"  # made by bootstrap

    @property
    def known_hosts(self) -> Path:
        return self.directory / "known_hosts"

    @property
    def env(self) -> dict[str, str]:
        environ = {k: v for k, v in os.environ.items() if k not in ("SSH_AUTH_SOCK", "CAREHARD_CONFIG")}
        return {
            **environ,
            "HOME": str(self.directory / "home"),
            "CAREHARD_STATE_DIR": str(self.directory / "state"),
            "COLUMNS": "200",
        }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory = tmp_path_factory.mktemp("bootstrap")
    with own_hosts(directory, "bs", 1) as (host,):
        host.sudo(
            f"useradd -m -s /bin/bash -G sudo {INSTALLER} && echo '{INSTALLER}:{PASSWORD}' | chpasswd"
            " && printf 'PasswordAuthentication yes\\n' > /etc/ssh/sshd_config.d/01-first-login.conf"
            " && systemctl reload ssh"
        )
        answering(host)
        (directory / "home").mkdir()
        (directory / "known_hosts").write_text("")
        yield Site(host, directory)


def answering(host: harness.TestHost) -> None:
    """sshd accepts logins again after its reload (it closes its listening socket for a moment)."""
    for _ in range(40):
        if host.sudo("true", check=False).returncode == 0:
            return
        time.sleep(0.5)
    raise AssertionError(f"sshd on {host.name} does not answer after its reload")


def inventory(
    site: Site, name: str, admin: str = ADMIN, known_hosts: Path | None = None, **more: str
) -> Path:
    hosts: dict[str, dict[str, str]] = {site.host.name: {"ansible_host": site.host.address}}
    hosts.update({n: {"ansible_host": a} for n, a in more.items()})
    body = {
        "all": {
            "children": {
                "linux_workstations": {
                    "hosts": hosts,
                    "vars": {
                        "ansible_user": admin,
                        "ansible_ssh_private_key_file": str(site.key),
                        "ansible_ssh_common_args": f"-o UserKnownHostsFile={known_hosts or site.known_hosts}",
                    },
                }
            }
        }
    }
    path = site.directory / "inventories" / name / "hosts.yml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return path.parent


def on_terminal(site: Site, *args: str | Path, answer: str | None = None) -> tuple[int, str]:
    """Run carehard with a pseudo-terminal as its stdin and output, typing `answer` at the password
    prompt if it comes; its exit code and everything the terminal showed."""
    typed = None if answer is None else (answer + "\n").encode()
    argv = [*CAREHARD, *map(str, args)]
    code, shown = type_at_prompt(argv, b"password of", typed, env=site.env, cwd=site.directory)
    return code, shown.decode(errors="replace").replace("\r\n", "\n")


def key_fingerprint(public: str) -> str:
    out = subprocess.run(["ssh-keygen", "-lf", "-"], input=public, capture_output=True, text=True, check=True)
    return out.stdout.split()[1]


def files_holding(directory: Path, secret: str) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_first_bootstrap_makes_the_admin_account_and_the_host_ready(site: Site) -> None:
    inv = inventory(site, "site")
    host_key = site.host.sudo("cat /etc/ssh/ssh_host_ed25519_key.pub").stdout
    code, shown = on_terminal(site, "bootstrap", "-i", inv, "--user", INSTALLER, answer=PASSWORD)
    assert code == 0, shown
    assert f"the admin key {site.key} does not exist: making it" in shown
    assert f"host key ssh-ed25519 {key_fingerprint(host_key)}, not yet recorded" in shown
    assert f"password of {INSTALLER} on the 1 host to bootstrap:" in shown
    assert PASSWORD not in shown  # typed with the echo off
    assert (
        f"account {ADMIN} created" in shown and f"{site.host.name} ({site.host.address}:22): ready" in shown
    )
    assert site.host.address in site.known_hosts.read_text()
    assert host_key.split()[1] in site.known_hosts.read_text()

    # the admin logs in with its key, the host key checked strictly against the recorded one, and has sudo
    login = subprocess.run(
        ["ssh", "-i", str(site.key), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
         "-o", f"UserKnownHostsFile={site.known_hosts}", "-o", "IdentitiesOnly=yes",
         f"{ADMIN}@{site.host.address}", "sudo -n id -u"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (login.returncode, login.stdout.strip()) == (0, "0"), login.stderr
    assert site.host.sudo(f"stat -c '%a %U' /etc/sudoers.d/carehard-{ADMIN}").stdout.split() == [
        "440",
        "root",
    ]

    doctor = subprocess.run(
        [*CAREHARD, "doctor", "-i", str(inv)], capture_output=True, text=True, env=site.env, check=False
    )
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    audit = subprocess.run(
        [*CAREHARD, "audit", "-i", str(inv), "--only", "WL-SSH-01", "--output", str(site.directory / "out")],
        capture_output=True, text=True, env=site.env, check=False, timeout=600,
    )  # fmt: skip
    assert audit.returncode in (0, 1), audit.stdout + audit.stderr
    assert statuses(load_report(site.directory / "out"), site.host.name)["WL-SSH-01"] in ("pass", "fail")

    assert files_holding(site.directory, PASSWORD) == []  # state dir, inventory, home, reports


def test_second_bootstrap_changes_nothing(site: Site) -> None:
    inv = site.directory / "inventories" / "site"
    before, known = site.host.etc_digest(), site.known_hosts.read_text()
    code, shown = on_terminal(site, "bootstrap", "-i", inv, "--user", INSTALLER, answer=PASSWORD)
    assert code == 0, shown
    assert "password of" not in shown  # the admin already logs in with its key: no password asked
    assert f"{site.host.name} ({site.host.address}:22): nothing to change" in shown
    assert f"{site.host.name} ({site.host.address}:22): ready" in shown
    assert site.host.etc_digest() == before and site.known_hosts.read_text() == known


def test_the_steps_change_nothing_done_already(site: Site) -> None:
    """With the host key not yet in its known_hosts, bootstrap logs in with the password again: the
    account, the sudo rule and the key are there, so only the host key is recorded."""
    known = site.directory / "known_hosts_new"
    known.write_text("")
    inv = inventory(site, "new-known-hosts", known_hosts=known)
    before = site.host.etc_digest()
    code, shown = on_terminal(site, "bootstrap", "-i", inv, "--user", INSTALLER, answer=PASSWORD)
    assert code == 0, shown
    assert "password of installer on the 1 host" in shown
    assert f"{site.host.name} ({site.host.address}:22): host key recorded in {known}\n" in shown
    assert site.host.etc_digest() == before
    assert known.read_text() == site.known_hosts.read_text()


def test_an_unreachable_host_is_one_line_and_the_others_go_on(site: Site) -> None:
    inv = inventory(site, "with-gone", gone=f"{NETWORK}.250")
    code, shown = on_terminal(site, "bootstrap", "-i", inv, "--user", INSTALLER, answer=PASSWORD)
    assert code == 3, shown
    assert next(ln for ln in shown.splitlines() if "unreachable" in ln).startswith(
        f"carehard: error: gone ({NETWORK}.250:22): unreachable:"
    )
    assert f"{site.host.name} ({site.host.address}:22): ready" in shown


def test_a_changed_host_key_is_refused_before_the_password(site: Site) -> None:
    other = site.directory / "other_host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    wrong = other.with_suffix(".pub").read_text().split()
    known = site.directory / "known_hosts_wrong"
    known.write_text(f"{site.host.address} {wrong[0]} {wrong[1]}\n")
    inv = inventory(site, "wrong-key", admin="otheradmin", known_hosts=known)
    before = site.host.etc_digest()
    host_key = site.host.sudo("cat /etc/ssh/ssh_host_ed25519_key.pub").stdout

    code, shown = on_terminal(site, "bootstrap", "-i", inv, "--user", INSTALLER, answer=PASSWORD)
    assert code == 2, shown
    (line,) = [ln for ln in shown.splitlines() if "CHANGED" in ln]
    assert line.startswith(f"carehard: error: {site.host.name} ({site.host.address}:22): host key CHANGED")
    assert key_fingerprint(" ".join(wrong)) in line and key_fingerprint(host_key) in line
    assert "password of" not in shown  # never asked, so never sent
    assert site.host.sudo("id otheradmin", check=False).returncode != 0
    assert site.host.etc_digest() == before
    assert known.read_text() == f"{site.host.address} {wrong[0]} {wrong[1]}\n"
