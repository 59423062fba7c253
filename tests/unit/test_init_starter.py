"""`carehard init DIR`: the starter inventory written whole, every declaration in it valid as audit
checks it before a run (its commented examples too, once uncommented), and a used directory refused."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
import yaml

from carehard.backups import declared_sets
from carehard.catalog import load_catalog
from carehard.directories import check_declared as check_declared_directories
from carehard.engine.inventory import list_hosts
from carehard.engine.selection import Selection
from carehard.jobs.assess import AssessJob
from carehard.notify import load_settings
from carehard.paths import STARTER_INVENTORY
from carehard.vendors import check_declared
from carehard.waivers import check_waivers
from tests.certificates import make_ca
from tests.clirun import carehard
from tests.starter_examples import EXAMPLE_VAULT_PASSWORD, example_inventory, uncommented

DOCUMENTATION_NETWORKS = [
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
]
FILES = [
    "group_vars/all.yml",
    "group_vars/linux_workstations.yml",
    "group_vars/windows_workstations.yml",
    "hosts.yml",
]


@pytest.fixture(autouse=True)
def _no_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the inventory's settings: no carehard config file of this machine's user."""
    monkeypatch.delenv("CAREHARD_CONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def written(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


def test_init_writes_the_starter_and_says_what_next(tmp_path: Path) -> None:
    site = tmp_path / "sites" / "chu"
    proc = carehard("init", site)
    assert proc.returncode == 0, proc.stderr
    assert written(site) == FILES
    for name in FILES:
        assert (site / name).read_bytes() == (STARTER_INVENTORY / name).read_bytes()
    steps = proc.stdout
    assert f"edit {site / 'hosts.yml'}" in steps
    assert steps.index(f"carehard bootstrap -i {site}") < steps.index(f"carehard doctor -i {site}")
    assert proc.stderr == ""


def test_an_empty_directory_is_used(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    assert carehard("init", tmp_path / "site").returncode == 0
    assert written(tmp_path / "site") == FILES


@pytest.mark.parametrize("existing", ["a directory with a file", "a file"])
def test_a_used_path_is_refused_and_left_as_it_was(tmp_path: Path, existing: str) -> None:
    site = tmp_path / "site"
    if existing == "a file":
        site.write_text("mine\n")
    else:
        site.mkdir()
        (site / "hosts.yml").write_text("mine\n")
    proc = carehard("init", site)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"carehard: error: {site} ") and proc.stderr.count("\n") == 1
    assert "new or empty directory" in proc.stderr and "Traceback" not in proc.stderr
    assert (site.read_text() if site.is_file() else (site / "hosts.yml").read_text()) == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # nothing staged left behind


def test_the_starter_names_only_documentation_hosts(tmp_path: Path) -> None:
    hosts = list_hosts(STARTER_INVENTORY)
    assert hosts and all(h.name.endswith(".example") for h in hosts)
    for host in hosts:
        assert any(ipaddress.ip_address(host.address) in net for net in DOCUMENTATION_NETWORKS), host


def test_the_written_starter_passes_audits_checks(tmp_path: Path) -> None:
    """What audit checks before any run, on the starter as written: the waivers, the vendors (the
    remote-access controls are selected), the alert settings; and it declares no backup set yet."""
    assert carehard("init", tmp_path / "site").returncode == 0
    job = AssessJob("audit", tmp_path / "site", Selection(level=3))
    job.prepare(load_catalog())
    assert any(c.startswith("RA-") for c in job._controls)
    assert load_settings(tmp_path / "site", job.inventory_hosts) is None
    assert all("carehard_vendors" not in h.vars for h in job.inventory_hosts)


def test_the_starters_examples_are_valid_once_uncommented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = example_inventory(tmp_path / "site", ca_file=make_ca(tmp_path / "ca"))
    (tmp_path / "vault-pass").write_text(EXAMPLE_VAULT_PASSWORD + "\n", encoding="utf-8")
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(tmp_path / "vault-pass"))
    declared = yaml.safe_load((site / "group_vars/all.yml").read_text())
    assert set(declared) >= {
        "carehard_admins",
        "carehard_admin_networks",
        "carehard_bastions",
        "carehard_vendors",
        "carehard_backup_sets",
        "carehard_waivers",
        "carehard_notify",
    }
    hosts = list_hosts(site)
    where = f"inventory {site}"
    check_waivers(hosts, {c.id for c in load_catalog().all()}, where)
    check_declared(hosts, where)
    (directory,) = check_declared_directories(hosts, where)
    assert (directory.name, directory.auth, directory.port) == ("hopital.example", "ldaps", 636)
    assert isinstance(directory.password, dict) and "__ansible_vault" in directory.password
    assert [s.name for s in declared_sets(site, hosts=hosts)] == ["PACS", "labo"]
    settings = load_settings(site, hosts)
    assert settings is not None and settings.email is not None and settings.syslog is not None
    job = AssessJob("audit", site, Selection(level=3))
    job.prepare(load_catalog())
    assert [h.name for h in job.inventory_hosts if h.is_directory] == ["hopital.example"]


def test_uncommenting_keeps_prose_comments() -> None:
    text = (
        "# Who may log in.\n# carehard_admins: [a]\n#\n# carehard_x:\n#   - id: 1\n#     # why\n# Prose: a\n"
    )
    assert (
        uncommented(text)
        == "# Who may log in.\ncarehard_admins: [a]\n#\ncarehard_x:\n  - id: 1\n    # why\n# Prose: a\n"
    )
