"""The account checks' shell (roles/workstation_linux/vars/main.yml, WL-ACC-12..36), run by real bash.

The helpers every probe and fix shares are run on files of a temporary directory; each item of
workstation_linux__accounts_checks is parsed by bash (both OS families' fix commands).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROLE = Path(__file__).resolve().parents[2] / "roles/workstation_linux"


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROLE / name).read_text(encoding="utf-8"))


MAIN = load("vars/main.yml")
LIB = MAIN["workstation_linux__accounts_sh_lib"]
CHECKS = MAIN["workstation_linux__accounts_checks"]
FAMILIES = [load(f"vars/{family}.yml") for family in ("Debian", "RedHat")]


def bash(script: str, **env: str) -> str:
    proc = subprocess.run(
        ["bash", "-c", LIB + "\n" + script],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_conf_reads_the_last_value_of_a_key_in_any_syntax(tmp_path: Path) -> None:
    conf = tmp_path / "pwquality.conf"
    conf.write_text(
        "# minlen = 20\nminlen = 8\n  minlen=14 # comment\nenforce_for_root\nENCRYPT_METHOD\tSHA512\n"
    )
    out = bash(
        f"conf minlen {conf}; conf enforce_for_root {conf}; conf ENCRYPT_METHOD {conf}; conf difok {conf}"
    )
    assert out.splitlines() == ["14", "set", "SHA512", ""]


def test_setkv_replaces_every_active_line_or_appends(tmp_path: Path) -> None:
    conf = tmp_path / "useradd"
    conf.write_text("SHELL=/bin/sh\n# INACTIVE=-1\nINACTIVE=-1\n")
    bash(f"setkv {conf} INACTIVE INACTIVE=45; setkv {conf} EXPIRE EXPIRE=")
    assert conf.read_text() == "SHELL=/bin/sh\n# INACTIVE=-1\nINACTIVE=45\nEXPIRE=\n"


def test_pamline_gives_the_arguments_of_the_first_line_of_a_type(tmp_path: Path) -> None:
    stack = tmp_path / "common-password"
    stack.write_text(
        "# password requisite pam_pwhistory.so remember=5\n"
        "password requisite pam_pwquality.so retry=3\n"
        "password requisite pam_pwhistory.so remember=24 use_authtok\n"
    )
    out = bash(f"pamline password pam_pwhistory.so {stack}; pamline auth pam_unix.so {stack}")
    assert out.splitlines() == [" remember=24 use_authtok", "-"]


@pytest.mark.parametrize(
    ("mask", "ok"), [("027", True), ("077", True), ("0027", True), ("022", False), ("007", False)]
)
def test_octal_ok_compares_bits_not_numbers(mask: str, ok: bool) -> None:
    assert bash(f"octal_ok {mask} 027 && echo yes || echo no").strip() == ("yes" if ok else "no")


def test_weak_umask_lines_are_found_and_commented_out(tmp_path: Path) -> None:
    bashrc = tmp_path / ".bashrc"
    bashrc.write_text("umask 077\n  umask 022; echo hi\n# umask 002\nexport X=1\n")
    found = bash(f"weak_umask {bashrc} {tmp_path / 'missing'}", UMASK_WANT="027")
    assert found.splitlines() == [f"{bashrc}:2: umask 022"]
    bash("disable_lines 'weaker, WL-ACC-23'", PROBLEMS=found.strip())
    assert (
        bashrc.read_text().splitlines()[1]
        == "# disabled by carehard (weaker, WL-ACC-23):   umask 022; echo hi"
    )
    assert bash(f"weak_umask {bashrc}", UMASK_WANT="027") == ""


@pytest.mark.parametrize("check", CHECKS, ids=[c["id"] for c in CHECKS])
def test_every_probe_and_fix_is_valid_bash(check: dict[str, Any]) -> None:
    scripts = [check["probe"]]
    fix = check.get("fix", "")
    if fix.startswith("{{"):
        key = fix.strip("{} ")
        scripts += [family[key] for family in FAMILIES if family[key]]
    elif fix and fix != "same":
        scripts.append(fix)
    for script in scripts:
        proc = subprocess.run(["bash", "-n"], input=LIB + "\n" + script, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    assert check["expected"] and check["title"]
