"""The command line a user types: bad input gives one clear line and exit 2, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.clirun import carehard


def one_line_error(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one error line, got: {stderr!r}"
    assert "Traceback" not in stderr
    assert lines[0].startswith("carehard: error: ")
    return lines[0]


def test_version_and_help_name_every_command() -> None:
    version = carehard("--version")
    assert version.returncode == 0 and "0.1.0" in version.stdout
    helptext = carehard("--help").stdout
    for command in ("audit", "harden", "doctor", "controls"):
        assert command in helptext


def test_controls_list_json_filters_by_level() -> None:
    result = carehard("controls", "list", "--level", "1", "--format", "json")
    assert result.returncode == 0
    controls = json.loads(result.stdout)
    assert controls and all(c["level"] == 1 for c in controls)
    assert {"anssi_hygiene", "anssi_bp028", "cis", "care"} <= set(controls[0]["references"])


def test_controls_show_gives_references() -> None:
    result = carehard("controls", "show", "wl-ssh-01")
    assert result.returncode == 0
    assert "WL-SSH-01" in result.stdout and "CIS" in result.stdout and "CaRE" in result.stdout


def test_controls_show_unknown_id() -> None:
    result = carehard("controls", "show", "WL-NOPE-99")
    assert result.returncode == 2
    assert "unknown control ID 'WL-NOPE-99'" in one_line_error(result.stderr)


def test_missing_inventory(tmp_path: Path) -> None:
    result = carehard("audit", "-i", tmp_path / "nope.yml", "--output", tmp_path / "out")
    assert result.returncode == 2
    assert "nope.yml does not exist" in one_line_error(result.stderr)
    assert not (tmp_path / "out").exists()


def test_malformed_inventory(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  children: [linux_workstations\n")
    result = carehard("audit", "-i", inventory, "--output", tmp_path / "out")
    assert result.returncode == 2
    assert "hosts.yml line" in one_line_error(result.stderr)


def test_inventory_ansible_cannot_parse(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": ["not", "a", "mapping"]}}))
    result = carehard("audit", "-i", inventory, "--output", tmp_path / "out")
    assert result.returncode == 2
    assert "No inventory was parsed" in one_line_error(result.stderr)


@pytest.mark.parametrize(("option", "value"), [("--only", ""), ("--skip", " , ")])
def test_an_option_naming_no_control_is_refused_not_read_as_everything(
    tmp_path: Path, option: str, value: str
) -> None:
    result = carehard("audit", option, value, "--output", tmp_path / "out")
    assert result.returncode == 2
    assert f"{option} {value!r} names no control: give IDs" in one_line_error(result.stderr)
    assert not (tmp_path / "out").exists()


def test_unknown_control_in_only(tmp_path: Path) -> None:
    result = carehard("audit", "--only", "WL-SSH-01,WL-XXX-99", "--output", tmp_path / "out")
    assert result.returncode == 2
    assert "unknown control ID 'WL-XXX-99' in --only" in one_line_error(result.stderr)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "pdf"], "unknown report format 'pdf'"),
        (["--level", "7"], "--level"),
    ],
)
def test_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    result = carehard("audit", *args, "--output", tmp_path / "out")
    assert result.returncode == 2
    assert message in one_line_error(result.stderr)


def test_harden_refuses_the_local_machine_without_local(tmp_path: Path) -> None:
    result = carehard("harden", "--yes", "--output", tmp_path / "out")
    assert result.returncode == 2
    assert "--local" in one_line_error(result.stderr)


def test_harden_without_terminal_needs_yes(tmp_path: Path) -> None:
    result = carehard("harden", "-i", tmp_path / "x.yml", "--output", tmp_path / "out")
    assert result.returncode == 2
    assert "--yes" in one_line_error(result.stderr)


def test_harden_refuses_local_connection_hosts_in_an_inventory(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        yaml.safe_dump(
            {"all": {"children": {"linux_workstations": {"hosts": {"me": {"ansible_connection": "local"}}}}}}
        )
    )
    result = carehard("harden", "--yes", "-i", inventory, "--output", tmp_path / "out")
    assert result.returncode == 2
    assert "host me uses the local connection: pass --local" in one_line_error(result.stderr)


def test_catalog_with_duplicate_id(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[2] / "carehard" / "catalog" / "workstation_linux.yml"
    data = yaml.safe_load(shipped.read_text())
    data["controls"].append(dict(data["controls"][0]))
    (tmp_path / "workstation_linux.yml").write_text(yaml.safe_dump(data))
    result = carehard("controls", "list", env={"CAREHARD_CATALOG_DIR": str(tmp_path)})
    assert result.returncode == 2
    line = one_line_error(result.stderr)
    assert "workstation_linux.yml" in line and "duplicate control ID" in line
