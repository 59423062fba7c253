"""docs/first-day.md, run as written: every `$ ` command of its ```sh blocks, in order, in a shell on a
control node, with the files it tells the reader to write; each step asserts what the page promises.

The control node is a test host that sees this checkout and its venv read-only at the same paths
(conftest.BIND_RO), so its carehard is the one under test and `schedule install` writes its units
there, never on this machine. It reaches the two targets (a workstation of the group the page
hardens, the PACS server a vendor maintains) with a key the test installs, as root in
/root/first-day: the page's `site/` is there. The page's addresses are documentation ones
(RFC 5737): the test writes each file with the lab's instead, and records the host keys, which the
reader does with `carehard bootstrap` or ssh-keyscan.

CAREHARD_FIRST_DAY_TRANSCRIPT=FILE writes every command and its real output there, to refresh the
page's examples.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration.conftest import BIND_RO, REPO
from tests.integration.doc_steps import Command, File, walkthrough_steps
from tests.integration.own_hosts import NETWORK, own_hosts
from tests.terminal import type_at_prompt
from tests.testhosts.harness import TestHost

pytestmark = pytest.mark.integration

PAGE = REPO / "docs" / "first-day.md"
WORKDIR = "/root/first-day"
VENV_BIN = Path(os.path.abspath(sys.executable)).parent  # bind-mounted at the same path
SHELL_ENV = f"export HOME=/root PYTHONPATH={REPO} PATH={VENV_BIN}:$PATH COLUMNS=100 TERM=dumb"
STEP_TIMEOUT = 600
ADMIN = "carehard-admin"  # the starter's admin account (carehard init)


@dataclass
class Lab:
    controller: TestHost
    workstation: TestHost
    pacs: TestHost
    transcript: list[str] = field(default_factory=list)

    def addresses(self) -> dict[str, str]:
        """The page's documentation addresses -> the lab's. The backup server and the bastion are the
        control node itself (one host fewer to boot; the page does not care where they run)."""
        return {
            "192.0.2.0/24": f"{NETWORK}.0/24",
            "192.0.2.11": self.workstation.address,
            "192.0.2.21": self.pacs.address,
            "192.0.2.30": self.controller.address,
            "192.0.2.5": self.controller.address,
        }


@dataclass(frozen=True)
class Ran:
    command: str
    returncode: int
    output: str  # stdout and stderr, as the reader's terminal shows them


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    directory = tmp_path_factory.mktemp("first-day")
    with own_hosts(directory, "fd", 3, bind_ro={0: BIND_RO["sched"]}) as (controller, workstation, pacs):
        key = controller.key.read_text(encoding="utf-8")
        scan = " ".join(h.address for h in (controller, workstation, pacs))
        controller.sudo(
            f"install -d -m700 /root/.ssh && printf %s {shlex.quote(key)} > /root/.ssh/id_ed25519"
            f" && chmod 600 /root/.ssh/id_ed25519 && ssh-keyscan -H {scan} >> /root/.ssh/known_hosts"
            f" && mkdir {WORKDIR}"
        )
        for host in (controller, workstation, pacs):  # the account `carehard bootstrap` makes
            owned = f"-o {ADMIN} -g {ADMIN}"
            host.sudo(
                f"useradd -m -s /bin/bash {ADMIN} && install -d -m700 {owned} /home/{ADMIN}/.ssh"
                f" && install -m600 {owned} /home/admin/.ssh/authorized_keys /home/{ADMIN}/.ssh/"
                f" && echo '{ADMIN} ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/carehard-{ADMIN}"
                f" && chmod 440 /etc/sudoers.d/carehard-{ADMIN}"
            )
        yield Lab(controller, workstation, pacs)


def shell(lab: Lab, command: str) -> Ran:
    """The command in a shell on the control node, as root in the walkthrough's directory."""
    script = f"{SHELL_ENV} && cd {WORKDIR} && exec 2>&1 && {command}"
    ssh = ["ssh", *lab.controller.ssh_options(), f"admin@{lab.controller.address}"]
    proc = subprocess.run(
        [*ssh, "sudo -n bash -c " + shlex.quote(script)],
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    return Ran(command, proc.returncode, proc.stdout + proc.stderr)


def shell_on_terminal(lab: Lab, command: str, answer: str) -> Ran:
    """The command on a terminal (ssh -tt: a pseudo-terminal on the control node, so harden asks),
    typing `answer` at its [y/N] question."""
    script = f"{SHELL_ENV} && cd {WORKDIR} && {command}"
    ssh = ["ssh", "-tt", *lab.controller.ssh_options(), f"admin@{lab.controller.address}"]
    argv = [*ssh, "sudo -n bash -c " + shlex.quote(script)]
    returncode, shown = type_at_prompt(argv, b"[y/N]", answer.encode() + b"\r", timeout=STEP_TIMEOUT)
    return Ran(command, returncode, plain(shown.decode(errors="replace")))


def plain(terminal: str) -> str:
    """What a terminal shows, without colours, cursor moves and progress redraws."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal).replace("\r\n", "\n")
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def write_file(lab: Lab, step: File) -> None:
    content = step.content
    for documented, real in lab.addresses().items():
        content = content.replace(documented, real)
    path = f"{WORKDIR}/{step.path}"
    lab.controller.sudo(
        f"mkdir -p $(dirname {shlex.quote(path)}) && printf %s {shlex.quote(content)} > {shlex.quote(path)}"
    )


# What the page promises of each command, by how its command line starts (the first match).
Check = Callable[[Lab, Ran], None]


def init_writes_a_starter(lab: Lab, ran: Ran) -> None:
    assert ran.returncode == 0, ran.output
    written = lab.controller.sudo(f"cd {WORKDIR}/site && find . -type f | sort").stdout.split()
    assert {"./hosts.yml", "./group_vars/all.yml", "./group_vars/linux_workstations.yml"} <= set(written)
    assert "carehard bootstrap" in ran.output, ran.output  # the next steps


def doctor_finds_no_problem(lab: Lab, ran: Ran) -> None:
    assert ran.returncode == 0, ran.output
    for host in ("ws-er-01", "srv-pacs-01", "srv-sauvegarde-01"):
        assert host not in ran.output, ran.output  # a host is named only by a problem


def first_audit_fails_the_ssh_controls(lab: Lab, ran: Ran) -> None:
    assert ran.returncode == 1, ran.output
    assert re.search(r"srv-pacs-01 +│ +1 │ +3 │", ran.output), ran.output
    assert re.search(r"ws-er-01 +│ +1 │ +3 │", ran.output), ran.output
    assert "effective PasswordAuthentication yes (sshd -T), expected" in ran.output
    assert "report: carehard-report/report.html" in ran.output
    html = lab.controller.sudo(f"cat {WORKDIR}/carehard-report/report.html").stdout
    assert "What to fix first" in html and "WL-SSH-02" in html


def control_shown(lab: Lab, ran: Ran) -> None:
    assert ran.returncode == 0, ran.output
    assert "Password authentication over SSH is disabled" in ran.output
    assert "CaRE domain" in ran.output


def harden_asked_then_fixed(lab: Lab, ran: Ran) -> None:
    assert "Harden 1 host of site with --only 4 controls: 3 changes on 3 controls? [y/N]" in ran.output
    assert "+PermitRootLogin no" in ran.output.split("[y/N]", 1)[0], ran.output  # the dry run's diff
    assert ran.returncode == 0, ran.output
    assert re.search(r"ws-er-01 +│ +1 │ +0 │ +3 │", ran.output), ran.output
    assert "srv-pacs-01" not in ran.output.split("[y/N]", 1)[1]
    sshd = lab.workstation.sudo("sshd -T | grep -Ei '^(permitrootlogin|passwordauthentication) '").stdout
    assert sshd.split() == ["permitrootlogin", "no", "passwordauthentication", "no"]
    assert "passwordauthentication yes" in lab.pacs.sudo("sshd -T").stdout  # not of the group: untouched


def second_audit_passes_the_group(lab: Lab, ran: Ran) -> None:
    assert ran.returncode == 1, ran.output  # srv-pacs-01 still fails
    assert re.search(r"ws-er-01 +│ +4 │ +0 │", ran.output), ran.output
    assert re.search(r"srv-pacs-01 +│ +1 │ +3 │", ran.output), ran.output


def runs_listed(lab: Lab, ran: Ran) -> None:
    assert ran.returncode == 0, ran.output
    assert [line.split()[1] for line in ran.output.splitlines() if re.match(r"\d{8}T\d{6}Z-", line)] == [
        "audit",
        "harden",
        "audit",  # harden's dry run, before it asked
        "audit",
    ], ran.output


def diff_shows_the_improvement(lab: Lab, ran: Ran) -> None:
    assert ran.returncode == 0, ran.output  # no regression
    improved = re.findall(r"improved +│ +(\S+) +│ +(\S+) +│ +fail +│ +pass", ran.output)
    assert improved == [("ws-er-01", "WL-SSH-01"), ("ws-er-01", "WL-SSH-02"), ("ws-er-01", "WL-SSH-05")]
    assert "srv-pacs-01" not in ran.output


def vendor_window_opened(lab: Lab, ran: Ran) -> None:
    assert ran.returncode == 0, ran.output
    assert "vendor acme-imaging: window open on srv-pacs-01 until " in ran.output
    keys = lab.pacs.sudo("cat /etc/ssh/carehard-vendor-keys/acme").stdout.splitlines()
    bounded = f'restrict,pty,from="{lab.controller.address}",expiry-time="'
    assert [line for line in keys if line.startswith(bounded)], keys
    assert lab.pacs.sudo("systemctl is-active carehard-vendor-end-acme.timer").stdout.strip() == "active"


def vendor_window_listed(lab: Lab, ran: Ran) -> None:
    assert ran.returncode == 0, ran.output
    # one block per window on a terminal as narrow as this one (100 columns)
    assert re.search(r"^acme-imaging\n +Host: +srv-pacs-01 *\n +State: +open ", ran.output, re.M), ran.output
    assert re.search(r"Reason: +ticket 4521: PACS upgrade", ran.output), ran.output


def vendor_window_closed(lab: Lab, ran: Ran) -> None:
    assert ran.returncode == 0, ran.output
    assert "vendor acme-imaging: window closed on srv-pacs-01" in ran.output
    assert lab.pacs.sudo("test -e /etc/ssh/carehard-vendor-keys/acme", check=False).returncode != 0
    assert lab.pacs.sudo("passwd -S acme").stdout.split()[1] == "L"  # locked


def nightly_restore_test_scheduled(lab: Lab, ran: Ran) -> None:
    assert ran.returncode == 0, ran.output
    assert "ran: systemctl enable --now carehard-backup-verify.timer" in ran.output
    enabled = lab.controller.sudo("systemctl is-enabled carehard-backup-verify.timer").stdout.strip()
    assert enabled == "enabled"
    service = lab.controller.sudo("cat /etc/systemd/system/carehard-backup-verify.service").stdout
    assert f"backup verify -i {WORKDIR}/site" in service


def schedule_listed(lab: Lab, ran: Ran) -> None:
    assert ran.returncode == 0, ran.output
    words = " ".join(ran.output.replace("│", " ").split())  # a table or one block per row
    assert "backup-verify" in words and "systemd" in words and "daily at 02:30" in words, ran.output
    assert "never run" in words, ran.output


CHECKS: list[tuple[str, Check]] = [
    ("carehard init site", init_writes_a_starter),
    ("carehard doctor -i site/", doctor_finds_no_problem),
    ("carehard audit -i site/", first_audit_fails_the_ssh_controls),
    ("carehard controls show WL-SSH-02", control_shown),
    ("carehard harden -i site/ --limit emergency_workstations", harden_asked_then_fixed),
    ("carehard runs list", runs_listed),
    ("carehard report diff last~3 last", diff_shows_the_improvement),
    ("carehard vendor open acme-imaging", vendor_window_opened),
    ("carehard vendor list", vendor_window_listed),
    ("carehard vendor close acme-imaging", vendor_window_closed),
    ("carehard schedule install backup-verify -i site/ --at 02:30", nightly_restore_test_scheduled),
    ("carehard schedule list", schedule_listed),
]


def check_of(command: str, audits_seen: int) -> Check:
    if command.startswith("carehard audit -i site/") and audits_seen:
        return second_audit_passes_the_group
    for start, check in CHECKS:
        if command.startswith(start):
            return check
    raise AssertionError(f"docs/first-day.md: no check for the step `{command}`: add one to CHECKS")


def test_the_first_day_page_runs_as_written(lab: Lab) -> None:
    steps = walkthrough_steps(PAGE)
    commands = [s.text for s in steps if isinstance(s, Command)]
    assert [c for c in commands if c.startswith("carehard harden")], "the page hardens nothing"
    audits, checked = 0, set()
    try:
        for step in steps:
            if isinstance(step, File):
                write_file(lab, step)
                lab.transcript.append(f"# wrote {step.path}\n")
                continue
            check = check_of(step.text, audits)
            started = time.monotonic()
            if step.text.startswith("carehard harden") and "--yes" not in step.text:
                ran = shell_on_terminal(lab, step.text, answer="y")
            else:
                ran = shell(lab, step.text)
            lab.transcript.append(
                f"$ {step.text}   # exit {ran.returncode}, {time.monotonic() - started:.0f} s\n{ran.output}\n"
            )
            try:
                check(lab, ran)
            except AssertionError as failure:
                where = f"docs/first-day.md line {step.line}: `{step.text}`"
                raise AssertionError(f"{where}: {failure}") from None
            audits += step.text.startswith("carehard audit")
            checked.add(check)
    finally:
        destination = os.environ.get("CAREHARD_FIRST_DAY_TRANSCRIPT")
        if destination:
            Path(destination).write_text("\n".join(lab.transcript), encoding="utf-8")
    expected = {check for _, check in CHECKS} | {second_audit_passes_the_group}
    assert expected <= checked, f"steps the page no longer has: {[c.__name__ for c in expected - checked]}"
