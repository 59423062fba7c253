"""Vendor declarations, key parsing and window analysis (the role's module and the CLI share them)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard.config import validate
from carehard.errors import UsageError
from carehard.vendors import Vendor, _key_parser, parse_duration, parse_vendor, plan_window
from tests.starter_examples import example_inventory

ROOT = Path(__file__).resolve().parents[2]
NOW = 1_800_000_000


@pytest.fixture(scope="module")
def keypair(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A real public key and its fingerprint as ssh-keygen prints it."""
    path = tmp_path_factory.mktemp("keys") / "tech"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tech@acme", "-f", str(path)], check=True
    )
    fingerprint = subprocess.run(
        ["ssh-keygen", "-lf", f"{path}.pub"], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    return Path(f"{path}.pub").read_text().strip(), fingerprint


def test_key_line_options_and_fingerprint(keypair: tuple[str, str]) -> None:
    key, fingerprint = keypair
    parsed = _key_parser().parse_key_line(
        f'restrict,pty,from="198.51.100.7,10.1.0.0/16",expiry-time="20261125140000Z",command="a, b" {key}'
    )
    assert parsed["fingerprint"] == fingerprint
    assert parsed["comment"] == "tech@acme"
    assert parsed["options"]["from"] == ["198.51.100.7", "10.1.0.0/16"]
    assert parsed["options"]["command"] == "a, b"
    assert parsed["options"]["restrict"] is True
    assert parsed["expiry_epoch"] == 1795615200  # 2026-11-25T14:00:00Z


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("ssh-ed25519", "no key type and key data"),
        ("ssh-foo AAAA", "unknown key type"),
        ("ssh-ed25519 !!!!", "not base64"),
        (
            "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEE",
            "does not hold a ssh-rsa",
        ),
        ('from="x ssh-ed25519 AAAA', "unterminated quote"),
        (
            'expiry-time="2026" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLEEXAMPLEEXAMPLEEXAMPLE',
            "bad expiry",
        ),
    ],
)
def test_malformed_key_lines_are_named(line: str, problem: str) -> None:
    parser = _key_parser()
    with pytest.raises(parser.KeyLineError, match=problem):
        parser.parse_key_line(line)


def test_from_within_networks() -> None:
    within = _key_parser().within
    assert within(["10.1.2.3", "10.1.0.0/24"], ["10.1.0.0/16"])
    assert not within(["10.1.2.3", "192.0.2.1"], ["10.1.0.0/16"])
    assert not within(["*"], ["10.1.0.0/16"])
    assert not within(["!10.9.9.9", "10.1.0.1"], ["10.1.0.0/16"])
    assert not within([], ["10.1.0.0/16"])


def key_entry(key: str, options: str, source: str = "key_dir", account: str = "acme") -> dict[str, Any]:
    parser = _key_parser()
    line = f"{options} {key}" if options else key
    return {"account": account, "file": f"/x/{account}", "source": source, "line": 1, "raw": line,
            **parser.parse_key_line(line)}  # fmt: skip


def analyse(keys: list[dict[str, Any]], max_seconds: int = 8 * 3600, key: str = "") -> dict[str, Any]:
    data = {
        "accounts": {
            "acme": {"uid": 4242, "gid": 4242, "home": "/home/acme", "shell": "/bin/bash", "groups": ["v"],
                     "password": "none", "password_locked": True, "expire_days": 1},
        },
        "keys": keys,
        "group": {"exists": True, "gid": 4242, "members": ["acme"]},
        "now": NOW,
    }  # fmt: skip
    vendor = {
        "name": "acme",
        "account": "acme",
        "keys": [key],
        "sources": ["198.51.100.7"],
        "max_seconds": max_seconds,
    }
    return dict(_key_parser().analyse_vendor(vendor, data, 300))


def test_window_state_from_the_keys(keypair: tuple[str, str], tmp_path: Path) -> None:
    key, _ = keypair
    end = NOW + 3600
    stamp = time.strftime("%Y%m%d%H%M%SZ", time.gmtime(end))
    bounded = f'restrict,pty,from="198.51.100.7",expiry-time="{stamp}"'
    state = analyse([key_entry(key, bounded)], key=key)
    assert state["open"] and state["end_epoch"] == end and state["expire_days_open"] == end // 86400 + 1
    # the same key valid far beyond max_window: over-long, the window is not open
    state = analyse([key_entry(key, bounded)], max_seconds=600, key=key)
    assert state["overlong"] and not state["open"]
    # no expiry-time, or from= a network wider than the bastion: unbounded
    for options in ('restrict,from="198.51.100.7"', f'restrict,from="198.51.100.0/24",expiry-time="{stamp}"'):
        state = analyse([key_entry(key, options)], key=key)
        assert state["unbounded"] and not state["open"], options
    # any key in the vendor's home, or not declared: foreign
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")], check=True)
    other = (tmp_path / "k.pub").read_text().strip()
    state = analyse([key_entry(other, bounded), key_entry(key, "", source="home")], key=key)
    assert len(state["foreign"]) == 2 and not state["open"]


def test_durations() -> None:
    assert parse_duration("90m", "--for") == 5400
    assert parse_duration("2d", "--for") == 172800
    assert parse_duration("1w", "--for") == 604800
    for bad in ("4", "4 h", "0h", "-1h", "h", "1y"):
        with pytest.raises(UsageError, match="is not a duration"):
            parse_duration(bad, "--for")


def declared(vendor: dict[str, Any], bastions: list[str]) -> Vendor:
    """A vendor as find_vendor takes it: the declarations checked against the schema, then parsed."""
    validate({"carehard_vendors": [vendor], "carehard_bastions": bastions}, "vendors", "inventory site")
    return parse_vendor(vendor, bastions)


def test_vendor_declaration_errors_name_the_field(keypair: tuple[str, str]) -> None:
    key, _ = keypair
    good = {"name": "acme", "keys": [key], "hosts": ["pacs"], "max_window": "8h"}
    assert declared(good, ["198.51.100.7"]).sources == ("198.51.100.7",)
    assert declared({**good, "keys": [], "access": "rdp"}, ["198.51.100.7"]).access == "rdp"
    cases = [
        ({"keys": []}, "no keys"),
        ({"keys": ["ssh-ed25519 nope"]}, "key 1 is malformed"),
        ({"keys": [f"restrict {key}"]}, "give the bare key"),
        ({"hosts": []}, "carehard_vendors[0].hosts (name acme): expected a list of the hosts or groups"),
        ({"max_window": "8 hours"}, "max_window"),
        (
            {"access": "vnc"},
            "carehard_vendors[0].access (name acme): expected ssh (Linux) or rdp (Windows), got 'vnc'",
        ),
        ({"account": "Acme Corp"}, "not a valid user name"),
        ({"from": ["bastion.example"]}, "is not an address or network"),
        (
            {"forwarding": ["everything"]},
            "carehard_vendors[0].forwarding[0] (name acme): expected tcp, agent or x11, got 'everything'",
        ),
        ({"colour": "red"}, "carehard_vendors[0].colour (name acme): unknown key (known: name, account"),
    ]
    for change, message in cases:
        with pytest.raises(UsageError, match=re.escape(message)):
            declared({**good, **change}, ["198.51.100.7"])


def test_plan_window_checks_scope_and_length_on_a_real_inventory(
    keypair: tuple[str, str], tmp_path: Path
) -> None:
    key, _ = keypair
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "vars": {
                        "carehard_bastions": ["198.51.100.7"],
                        "carehard_vendors": [
                            {"name": "acme", "keys": [key], "hosts": ["imaging"], "max_window": "4h"},
                        ],
                    },
                    "children": {
                        "linux_workstations": {
                            "children": {"imaging": {"hosts": {"pacs-01": {}, "pacs-02": {}}}},
                            "hosts": {"lab-01": {}},
                        }
                    },
                }
            }
        )
    )
    window = plan_window(inventory, "acme", "open", group="imaging", duration="2h", reason="ticket 7")
    assert [h.name for h in window.hosts] == ["pacs-01", "pacs-02"]
    assert window.end is not None and (window.end - window.start).total_seconds() == 7200
    assert window.extravars()["carehard_vendor_window"]["end"].endswith("Z")
    close = plan_window(inventory, "acme", "close")
    assert [h.name for h in close.hosts] == ["pacs-01", "pacs-02"]
    with pytest.raises(UsageError, match="host lab-01 is not maintained by vendor acme"):
        plan_window(inventory, "acme", "open", host="lab-01", duration="1h")
    with pytest.raises(UsageError, match="longer than vendor acme's max_window 4h"):
        plan_window(inventory, "acme", "open", host="pacs-01", duration="5h")
    with pytest.raises(UsageError, match="give --host or --group, not both"):
        plan_window(inventory, "acme", "open", host="pacs-01", group="imaging", duration="1h")
    with pytest.raises(UsageError, match="unknown vendor 'initech'"):
        plan_window(inventory, "initech", "close")


def test_every_declared_vendor_is_checked_against_the_schema_naming_the_inventory(
    keypair: tuple[str, str], tmp_path: Path
) -> None:
    key, _ = keypair
    acme = {"name": "acme", "keys": [key], "hosts": ["pacs-01"], "max_window": "4h"}
    inventory = tmp_path / "hosts.yml"
    body = {"carehard_vendors": [acme, {**acme, "name": "initech", "max_windows": "4h"}]}
    inventory.write_text(yaml.safe_dump({"all": {"vars": body, "hosts": {"pacs-01": {}}}}))
    with pytest.raises(UsageError) as caught:
        plan_window(inventory, "acme", "close")
    assert str(caught.value) == (
        f"inventory {inventory}, host pacs-01: carehard_vendors[1].max_windows (name initech): unknown key"
        " (known: name, account, contact, keys, hosts, max_window, access, from, forwarding, force_command,"
        " su)"
    )


def test_module_runs_read_only_on_this_machine() -> None:
    """The module itself, run as Ansible runs it: it reads, never writes (supports check mode)."""
    module = ROOT / "roles/remote_access/library/vendor_access_info.py"
    args = '{"ANSIBLE_MODULE_ARGS": {"group": "root", "_ansible_check_mode": true}}'
    proc = subprocess.run(
        [sys.executable, str(module)], input=args, capture_output=True, text=True, check=False
    )
    result = yaml.safe_load(proc.stdout)
    assert proc.returncode == 0 and result["changed"] is False, proc.stdout + proc.stderr
    assert "root" in result["accounts"] and result["group"]["exists"]


def test_the_example_inventory_declares_usable_vendors(tmp_path: Path) -> None:
    example = example_inventory(tmp_path / "example")  # the starter's examples, uncommented
    for name, host in (
        ("acme-imaging", "srv-pacs-01.hopital.example"),
        ("labo-analyseurs", "srv-labo-01.hopital.example"),
    ):
        window = plan_window(example, name, "open", host=host, duration="1h", reason="ticket 1")
        assert [h.name for h in window.hosts] == [host] and window.vendor.sources == ("192.0.2.5",)
