"""Static checks of the roles: every OS family defines the same values; the plays parse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

ROOT = Path(__file__).resolve().parents[2]
FAMILY_VARS = sorted(ROOT.glob("roles/*/vars/Debian.yml"))
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if p.is_dir())


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def templated(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value


def text(value: Any) -> bool:
    """A description: a string or a list of strings (an unquoted ": " would make a mapping of it)."""
    return isinstance(value, str) or (
        isinstance(value, list) and bool(value) and all(isinstance(item, str) for item in value)
    )


def long(value: Any) -> bool:
    """A list, a mapping or a text of several lines: the spec may tell it in words."""
    return isinstance(value, list | dict) or (isinstance(value, str) and "\n" in value.strip())


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
    [
        "workstation_linux",
        "workstation_windows",
        "remote_access",
        "backup_verify",
        "compliance_facts",
        "directory_audit",
    ],
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


@pytest.mark.parametrize("role", ROLES)
def test_every_default_has_an_argument_spec(role: str) -> None:
    """meta/argument_specs.yml describes every variable of defaults/main.yml, no more: its type (list
    elements too), its default as defaults/main.yml sets it (a templated, structured or long default
    may be told in the description instead), and a description. ansible-core checks a play's values
    against it when the role starts (the main entry point), so the role's own defaults must pass it."""
    defaults = load(ROOT / "roles" / role / "defaults" / "main.yml") or {}
    spec = load(ROOT / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]["main"]
    assert spec.get("short_description") and spec.get("description"), role
    options = spec["options"]
    assert set(defaults) == set(options), sorted(set(defaults) ^ set(options))
    assert text(spec["description"]), "the entry point's description is not text"
    for name, option in options.items():
        for key, described in [
            (name, option),
            *((f"{name}.{k}", o) for k, o in option.get("options", {}).items()),
        ]:
            assert described.get("type") and text(described.get("description")), f"{key}: type and text"
            if described["type"] == "list":
                assert described.get("elements"), f"{key}: a list names its elements"
        if "default" in option:
            assert not templated(defaults[name]), (
                f"{name}: the default is templated, say so in the description"
            )
            assert option["default"] == defaults[name], (
                f"{name}: the spec's default is not defaults/main.yml's"
            )
        else:
            assert templated(defaults[name]) or long(defaults[name]), (
                f"{name}: a plain default belongs in the spec"
            )
    plain = {name: value for name, value in defaults.items() if not templated(value)}
    result = ArgumentSpecValidator(options).validate(plain, validate_role_argument_spec=True)
    assert not result.error_messages, result.error_messages


def test_the_remote_control_tools_allowed_are_the_tools_the_role_knows() -> None:
    """remote_access_tools_allowed's choices: the keys of the Linux tools and of the Windows filter."""
    options = load(ROOT / "roles/remote_access/meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    choices = options["remote_access_tools_allowed"]["choices"]
    linux = [
        tool["key"] for tool in load(ROOT / "roles/remote_access/vars/main.yml")["remote_access__rct_tools"]
    ]
    windows = (ROOT / "roles/remote_access/filter_plugins/windows_tools.py").read_text(encoding="utf-8")
    assert choices == linux
    assert all(f'"key": "{key}"' in windows for key in choices) and windows.count('"key": "') == len(choices)
