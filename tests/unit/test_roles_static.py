"""Static checks of the roles: every OS family defines the same values; the plays parse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FAMILY_VARS = sorted(ROOT.glob("roles/*/vars/Debian.yml"))


@pytest.mark.parametrize("debian", FAMILY_VARS, ids=lambda p: p.parts[-3])
def test_every_os_family_defines_the_same_values(debian: Path) -> None:
    """RHEL hosts cannot be booted here: at least every value Debian has, RHEL has too."""
    keys = set(yaml.safe_load(debian.read_text()) or {})
    for family in ("RedHat", "default"):
        other = debian.with_name(f"{family}.yml")
        missing = keys - set(yaml.safe_load(other.read_text()) or {})
        assert not missing, f"{other.relative_to(ROOT)} lacks {sorted(missing)}"


@pytest.mark.parametrize("playbook", sorted(p.name for p in (ROOT / "playbooks").glob("*.yml")))
def test_playbooks_pass_syntax_check(playbook: str) -> None:
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible-playbook")),
            "--syntax-check",
            "-i",
            str(ROOT / "inventories/example/hosts.yml"),
            str(ROOT / "playbooks" / playbook),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "family",
    ["workstation_linux", "workstation_windows", "remote_access", "backup_verify", "compliance_facts"],
)
def test_every_control_has_a_toggle(family: str) -> None:
    """`workstation_linux_wl_ssh_01: true` and so on: a site can switch any control off."""
    from carehard.catalog import load_catalog

    defaults = yaml.safe_load((ROOT / f"roles/{family}/defaults/main.yml").read_text())
    controls = [c for c in load_catalog().all() if c.family == family]
    assert controls
    for control in controls:
        toggle = f"{family}_" + control.id.lower().replace("-", "_")
        assert defaults.get(toggle) is True, f"{control.id}: no `{toggle}: true` in roles/{family}/defaults"
