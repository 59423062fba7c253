"""Vendor declarations and window requests that must be refused before any run: one line, exit 2, no
host touched (the role would change root's shell and expiry, write half a key without its options...)."""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard.engine.inventory import InventoryHost
from carehard.errors import UsageError
from carehard.vendors import _key_parser, check_declared, key_problem, parse_vendor, plan_window
from tests.clirun import carehard

BASTION = "198.51.100.7"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Real public keys of each type ssh-keygen makes without a token."""
    found = {}
    for kind, bits in (("ed25519", None), ("rsa", "2048"), ("ecdsa", "384")):
        path = tmp_path_factory.mktemp("keys") / kind
        size = ["-b", bits] if bits else []
        subprocess.run(
            ["ssh-keygen", "-q", "-t", kind, *size, "-N", "", "-C", f"{kind}@acme", "-f", path], check=True
        )
        found[kind] = Path(f"{path}.pub").read_text(encoding="utf-8").strip()
    return found


def vendor(key: str, **changes: Any) -> dict[str, Any]:
    return {"name": "acme", "keys": [key], "hosts": ["imaging"], "max_window": "8h", **changes}


def refused(raw: dict[str, Any]) -> str:
    with pytest.raises(UsageError) as info:
        parse_vendor(raw, [BASTION])
    assert "\n" not in str(info.value)
    return str(info.value)


@pytest.mark.parametrize(
    "account", ["root", "toor", "daemon", "www-data", "systemd-network", "administrator"]
)
def test_system_accounts_are_refused(keys: dict[str, str], account: str) -> None:
    assert refused(vendor(keys["ed25519"], account=account)) == (
        f"vendor acme in carehard_vendors: account '{account}' is a system account of the hosts, which vendor"
        " close would lock: give the vendor an account of its own (e.g. account: acme-vendor)"
    )


def test_a_vendor_named_root_without_account_is_refused(keys: dict[str, str]) -> None:
    assert "account 'root' is a system account" in refused(vendor(keys["ed25519"], name="root"))


def _strings(*fields: bytes) -> str:
    return base64.b64encode(b"".join(len(f).to_bytes(4, "big") + f for f in fields)).decode()


def test_each_key_type_is_checked_by_its_structure(keys: dict[str, str]) -> None:
    for key in keys.values():
        assert key_problem(key) is None, key
        kind, data, comment = key.split()
        # four base64 characters fewer: still valid base64, three bytes short of the key
        assert key_problem(f"{kind} {data[:-4]} {comment}") == (
            f"the {kind} key data is truncated or damaged: copy the whole public key line"
        )
        assert key_problem(f"{kind} {data}AAAA {comment}") is not None  # bytes after the key
    ed = b"ssh-ed25519"
    assert key_problem(f"ssh-ed25519 {_strings(ed, bytes(32))}") is None
    assert "truncated or damaged" in str(key_problem(f"ssh-ed25519 {_strings(ed, bytes(31))}"))
    sk = b"sk-ssh-ed25519@openssh.com"
    assert key_problem(f"{sk.decode()} {_strings(sk, bytes(32), b'ssh:')}") is None
    assert "truncated" in str(key_problem(f"{sk.decode()} {_strings(sk, bytes(32))}"))
    # the embedded type must be the declared one
    assert "does not hold a ssh-rsa key" in str(key_problem(f"ssh-rsa {_strings(ed, bytes(32))}"))


def test_the_role_module_refuses_a_truncated_key_too(keys: dict[str, str]) -> None:
    parser = _key_parser()
    kind, data, _ = keys["ed25519"].split()
    with pytest.raises(parser.KeyLineError, match="truncated or damaged"):
        parser.parse_key_line(f"restrict {kind} {data[:-4]}")


def test_a_key_with_a_line_break_is_refused(keys: dict[str, str]) -> None:
    key = keys["ed25519"]
    kind, data, comment = key.split()
    for broken in (f"{kind} {data[:20]}\n{data[20:]} {comment}", f"{key}\n{keys['rsa']}", f"{key}\r x"):
        assert refused(vendor(broken)) == (
            "vendor acme in carehard_vendors: key 1 is malformed: it holds a line break: give each key on one"
            " line, as its own item of keys"
        )
    # a YAML block scalar's final newline is not a break inside the key
    assert parse_vendor(vendor(f"{key}\n"), [BASTION]).keys == (key,)


def inventory(tmp_path: Path, body: dict[str, Any]) -> Path:
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return path


def site(tmp_path: Path, key: str, **changes: Any) -> Path:
    """pacs-01 (group imaging) and ws-01 (group desks); acme declared for all."""
    return inventory(
        tmp_path,
        {
            "all": {
                "vars": {"carehard_bastions": [BASTION], "carehard_vendors": [vendor(key, **changes)]},
                "children": {
                    "linux_workstations": {
                        "children": {
                            "imaging": {"hosts": {"pacs-01": {"ansible_host": "198.18.0.254"}}},
                            "desks": {"hosts": {"ws-01": {"ansible_user": "carehard-admin"}}},
                        }
                    }
                },
            }
        },
    )


def test_an_administrator_account_is_refused(keys: dict[str, str], tmp_path: Path) -> None:
    path = site(tmp_path, keys["ed25519"], account="carehard-admin")
    with pytest.raises(
        UsageError, match=re.escape("account 'carehard-admin' is the one carehard logs in with")
    ):
        plan_window(path, "acme", "close")
    body = yaml.safe_load(path.read_text(encoding="utf-8"))
    body["all"]["vars"]["carehard_vendors"][0].pop("account")
    body["all"]["vars"]["carehard_admins"] = ["alice", "acme"]
    with pytest.raises(
        UsageError, match=re.escape("account 'acme' is an administrator's (carehard_admins of host")
    ):
        plan_window(inventory(tmp_path, body), "acme", "close")


def test_open_needs_a_reason_close_does_not(keys: dict[str, str], tmp_path: Path) -> None:
    path = site(tmp_path, keys["ed25519"])
    for reason in ("", "   ", "\t"):
        with pytest.raises(
            UsageError, match=re.escape("vendor open needs --reason TEXT (e.g. --reason 'ticket 4521')")
        ):
            plan_window(path, "acme", "open", host="pacs-01", duration="1h", reason=reason)
    assert (
        plan_window(path, "acme", "open", host="pacs-01", duration="1h", reason=" ticket 9 ").reason
        == "ticket 9"
    )
    assert [h.name for h in plan_window(path, "acme", "close").hosts] == ["pacs-01"]


def test_a_target_that_does_not_see_the_vendor_is_refused(keys: dict[str, str], tmp_path: Path) -> None:
    """Declared for group desks, the vendor maintains imaging: pacs-01 reads its own carehard_vendors."""
    body = yaml.safe_load(site(tmp_path, keys["ed25519"]).read_text(encoding="utf-8"))
    declared = body["all"].pop("vars")
    body["all"]["children"]["linux_workstations"]["children"]["desks"]["vars"] = declared
    path = inventory(tmp_path, body)
    with pytest.raises(UsageError) as info:
        plan_window(path, "acme", "open", host="pacs-01", duration="1h", reason="t")
    assert str(info.value) == (
        f"inventory {path}: vendor acme is declared in carehard_vendors for group desks, not for host pacs-01"
        " that the window opens on (each host reads its own carehard_vendors): declare it in"
        " group_vars/all.yml, or for a group of pacs-01"
    )


def test_the_declaration_a_target_sees_is_the_one_checked(keys: dict[str, str], tmp_path: Path) -> None:
    """pacs-01 overrides carehard_vendors for its group: that declaration is the one its play reads."""
    body = yaml.safe_load(site(tmp_path, keys["ed25519"]).read_text(encoding="utf-8"))
    imaging = body["all"]["children"]["linux_workstations"]["children"]["imaging"]
    imaging["vars"] = {"carehard_vendors": [vendor(keys["ed25519"], account="root")]}
    body["all"]["children"]["linux_workstations"]["children"]["desks"]["hosts"]["ws-01"] = {}
    path = inventory(tmp_path, body)
    with pytest.raises(UsageError, match=re.escape("account 'root' is a system account")):
        plan_window(path, "acme", "open", host="pacs-01", duration="1h", reason="t")
    imaging["vars"] = {"carehard_vendors": [vendor(keys["ed25519"])], "carehard_bastions": []}
    with pytest.raises(UsageError, match="vendor acme has no allowed source on host pacs-01"):
        plan_window(inventory(tmp_path, body), "acme", "open", host="pacs-01", duration="1h", reason="t")


@pytest.mark.parametrize(
    ("changes", "args", "expected"),
    [
        ({"account": "root"}, ("--reason", "ticket 1"), "account 'root' is a system account of the hosts"),
        ({}, (), "vendor open needs --reason TEXT"),
        ({}, ("--reason", "  "), "vendor open needs --reason TEXT"),
        ({"keys": ["KEY-WITH-BREAK"]}, ("--reason", "t"), "key 1 is malformed: it holds a line break"),
        (
            {"keys": ["TRUNCATED"]},
            ("--reason", "t"),
            "key 1 is malformed: the ssh-ed25519 key data is truncated",
        ),
    ],
)
def test_the_cli_refuses_on_one_line_and_runs_nothing(
    keys: dict[str, str], tmp_path: Path, changes: dict[str, Any], args: tuple[str, ...], expected: str
) -> None:
    kind, data, comment = keys["ed25519"].split()
    replaced = {
        "KEY-WITH-BREAK": f"{kind} {data}\n{keys['rsa']}",
        "TRUNCATED": f"{kind} {data[:-4]} {comment}",
    }
    if "keys" in changes:
        changes = {"keys": [replaced[changes["keys"][0]]]}
    path = site(tmp_path, keys["ed25519"], **changes)
    state = tmp_path / "state"
    proc = carehard(
        "vendor", "open", "acme", "-i", path, "--host", "pacs-01", "--for", "1h", *args,
        env={"CAREHARD_STATE_DIR": str(state)},
    )  # fmt: skip
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stdout + proc.stderr
    assert expected in lines[0]
    assert not (state / "runs").exists() and not (state / "history.db").exists()


def test_audit_and_harden_check_every_declared_vendor(keys: dict[str, str], tmp_path: Path) -> None:
    """harden puts a declared account in the vendor group and locks it outside a window."""
    ok = vendor(keys["ed25519"])
    good = [host_with([ok]), host_with([ok, {**ok, "name": "globex", "keys": []}])]
    check_declared(good, "inventory site")  # no keys yet: refused by vendor open, not by an audit
    cases = [
        (
            {"account": "root"},
            "inventory site, host h1: vendor globex in carehard_vendors: account 'root' is a",
        ),
        (
            {"keys": [keys["ed25519"].split()[0] + " " + keys["ed25519"].split()[1][:-4]]},
            "inventory site, host h1: vendor globex in carehard_vendors: key 1 is malformed: the ssh-ed25519",
        ),
        (
            {"max_windows": "1h"},
            "inventory site, host h1: carehard_vendors[1].max_windows (name globex): unknown",
        ),
    ]
    for change, expected in cases:
        with pytest.raises(UsageError) as info:
            check_declared(
                [host_with([ok]), host_with([ok, {**ok, "name": "globex", **change}])], "inventory site"
            )
        assert str(info.value).startswith(expected), info.value
    admin = [host_with([{**ok, "account": "ops"}]), InventoryHost("h9", {"ansible_user": "ops"})]
    with pytest.raises(UsageError, match="account 'ops' is the one carehard logs in with on host h9"):
        check_declared(admin, "inventory site")


def host_with(vendors: list[dict[str, Any]]) -> InventoryHost:
    """h0 with acme alone, h1 with acme and another vendor."""
    return InventoryHost(f"h{len(vendors) - 1}", {"carehard_vendors": vendors})


@pytest.mark.parametrize("command", [("audit",), ("harden", "--yes")])
def test_the_cli_checks_vendors_before_a_remote_access_run(
    keys: dict[str, str], tmp_path: Path, command: tuple[str, ...]
) -> None:
    path = site(tmp_path, keys["ed25519"], account="root")
    state = tmp_path / "state"
    proc = carehard(
        *command, "-i", path, "--only", "RA-VND-01", "--output", tmp_path / "out",
        env={"CAREHARD_STATE_DIR": str(state)},
    )  # fmt: skip
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stdout + proc.stderr
    assert "vendor acme in carehard_vendors: account 'root' is a system account of the hosts" in lines[0]
    assert not (state / "runs").exists() and not (state / "history.db").exists()


def test_a_host_the_vendor_maintains_must_see_its_declaration(keys: dict[str, str]) -> None:
    """Declared for group desks, acme maintains imaging: harden on pacs-01 would lock acme's account."""
    acme = vendor(keys["ed25519"])  # hosts: [imaging]
    hosts = [
        InventoryHost("pacs-01", {}, ("linux_workstations", "imaging")),
        InventoryHost("ws-01", {"carehard_vendors": [acme]}, ("linux_workstations", "desks")),
    ]
    with pytest.raises(UsageError) as info:
        check_declared(hosts, "inventory site")
    assert str(info.value) == (
        "inventory site: vendor acme maintains host pacs-01, which does not see it: carehard_vendors declares"
        " it for group desks (each host reads its own): declare it in group_vars/all.yml, or for a group of"
        " pacs-01"
    )
    seen = [InventoryHost(h.name, {"carehard_vendors": [acme]}, h.groups) for h in hosts]
    check_declared(seen, "inventory site")
