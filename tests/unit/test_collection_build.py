"""scripts/build_collection.py: the carehard.baseline tarball holds the roles as they are in the
repository (same task names and tags), their modules and filters as collection plugins, the role
filters named by FQCN (Jinja does not search a role's collection), and nothing else."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from carehard import __version__

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build_collection.py"


def build(output: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--output-path", str(output)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built tarball, unpacked."""
    work = tmp_path_factory.mktemp("collection")
    proc = build(work / "dist")
    assert proc.returncode == 0, proc.stderr
    tarball = Path(proc.stdout.strip())
    assert tarball == work / "dist" / f"carehard-baseline-{__version__}.tar.gz"
    with tarfile.open(tarball) as archive:
        archive.extractall(work / "unpacked", filter="data")
    return work / "unpacked"


def filter_names() -> list[str]:
    """The role filters' names, as the build script finds them."""
    spec = importlib.util.spec_from_file_location("build_collection", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return [str(name) for d in sorted(ROOT.glob("roles/*/filter_plugins")) for name in script.filter_names(d)]


def test_the_manifest_names_the_collection(collection: Path) -> None:
    info = json.loads((collection / "MANIFEST.json").read_text())["collection_info"]
    assert (info["namespace"], info["name"]) == ("carehard", "baseline")
    assert set(info["dependencies"]) == {"ansible.posix", "community.general", "ansible.windows"}
    assert (collection / "README.md").read_text() == (ROOT / "docs" / "collection.md").read_text()


def test_it_ships_the_roles_and_their_plugins_only(collection: Path) -> None:
    roles = sorted(p.name for p in (ROOT / "roles").iterdir() if p.is_dir())
    assert sorted(p.name for p in (collection / "roles").iterdir()) == roles
    modules = sorted(p.name for p in ROOT.glob("roles/*/library/*.py"))
    filters = sorted(p.name for p in ROOT.glob("roles/*/filter_plugins/*.py"))
    assert sorted(p.name for p in (collection / "plugins" / "modules").iterdir()) == modules
    assert sorted(p.name for p in (collection / "plugins" / "filter").iterdir()) == filters
    shipped = {p.relative_to(collection).parts[0] for p in collection.rglob("*")}
    assert shipped == {"MANIFEST.json", "FILES.json", "README.md", "CHANGELOG.md", "meta", "roles", "plugins"}
    assert not [p for p in collection.rglob("*") if p.name in ("library", "filter_plugins", "__pycache__")]


def test_the_role_files_are_the_repository_s_with_filters_by_fqcn(collection: Path) -> None:
    names = filter_names()
    assert "carehard_os_support" in names and "carehard_win_registry_eval" in names
    bare = re.compile(r"\|\s*(" + "|".join(sorted(names, key=len, reverse=True)) + r")\b")
    rewritten = 0
    for source in sorted((ROOT / "roles").rglob("*")):
        relative = source.relative_to(ROOT)
        if not source.is_file() or {"library", "filter_plugins", "__pycache__"} & set(relative.parts):
            continue
        shipped = (collection / relative).read_bytes()
        if shipped != source.read_bytes():
            text = shipped.decode()
            assert not bare.search(text), f"{relative}: a role filter not named by FQCN"
            assert text.replace("carehard.baseline.", "") == source.read_text(encoding="utf-8"), relative
            rewritten += 1
    assert rewritten >= 5  # compliance_facts, remote_access and workstation_windows use their filters


def test_a_missing_output_parent_is_refused_on_one_line(tmp_path: Path) -> None:
    proc = build(tmp_path / "no" / "such" / "dir")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: --output-path {tmp_path / 'no' / 'such' / 'dir'}: its parent directory does not exist"
    ]
    assert not (tmp_path / "no").exists()


def test_the_filters_resolve_by_fqcn_with_the_shared_decoder(collection: Path, tmp_path: Path) -> None:
    """The roles' filters and carehard_powershell_json in real Ansible, from the collection alone (no
    roles path): each plugin imports the decoder from its own package, and a role's dependency on
    `carehard` resolves to carehard.baseline.carehard."""
    from tests.unit.test_powershell_output import ansible_playbook, filter_play

    collections = tmp_path / "collections" / "ansible_collections" / "carehard"
    collections.mkdir(parents=True)
    (collections / "baseline").symlink_to(collection, target_is_directory=True)
    (tmp_path / "no-roles").mkdir()
    proc = ansible_playbook(
        tmp_path,
        filter_play(prefix="carehard.baseline."),
        ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "collections"),
        ANSIBLE_ROLES_PATH=str(tmp_path / "no-roles"),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "TASK [carehard.baseline.carehard : Check the waivers declared in carehard_waivers]" in proc.stdout
    assert "[WARNING]: Skipping plugin" not in proc.stderr
