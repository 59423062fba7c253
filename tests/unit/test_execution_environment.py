"""AWX content of the repository: collections/requirements.yml names exactly the collections the
roles and playbooks use, and `ansible-builder create` makes the execution environment's build
context from execution-environment.yml (no image build: no container runtime here)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard import __version__

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "collections" / "requirements.yml"
FILENAME = ("--output-filename", "Containerfile")
OWN = {"ansible.builtin", "ansible.legacy", "carehard.baseline"}
FQCN = re.compile(r"^([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+$")
# A collection plugin inside a template: a filter or test, a lookup or query.
TEMPLATE_FQCN = re.compile(
    r"(?:\|\s*|\bis\s+(?:not\s+)?|\b(?:lookup|query)\(\s*['\"])([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+\b"
)


def walk(node: Any) -> Iterator[tuple[str | None, Any]]:
    """Every (key, value) of a YAML document, depth first; list items have the key None."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key), value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield None, item
            yield from walk(item)


def collections_in(text: str, is_yaml: bool) -> set[str]:
    """The collections a YAML or template text uses: modules and actions by FQCN, `collections:`
    lists, and filters, tests and lookups inside templates."""
    names = {m.group(1) for m in TEMPLATE_FQCN.finditer(text)}
    if is_yaml:
        for key, value in walk(yaml.safe_load(text)):
            if key is not None and (match := FQCN.match(key)):
                names.add(match.group(1))
            if key == "collections" and isinstance(value, list):
                names.update(str(v) for v in value)
    return names - OWN


def collections_used() -> dict[str, set[str]]:
    """Collection -> the files using it, over every YAML and template file of roles/ and playbooks/."""
    used: dict[str, set[str]] = {}
    files = [p for d in ("roles", "playbooks") for p in (ROOT / d).rglob("*") if p.suffix in (".yml", ".j2")]
    assert len(files) > 20
    for path in files:
        for name in collections_in(path.read_text(encoding="utf-8"), path.suffix == ".yml"):
            used.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return used


def requirements() -> dict[str, str]:
    data = yaml.safe_load(REQUIREMENTS.read_text(encoding="utf-8"))
    return {c["name"]: c["version"] for c in data["collections"]}


def test_requirements_name_every_collection_the_roles_use() -> None:
    used = collections_used()
    assert {"ansible.posix", "community.general", "ansible.windows"} <= set(used), used
    missing = {name: sorted(files)[:3] for name, files in used.items() if name not in requirements()}
    assert not missing, f"collections used but not in collections/requirements.yml: {missing}"
    unused = set(requirements()) - set(used)
    assert not unused, f"collections/requirements.yml names collections no role uses: {unused}"


def test_the_fqcn_scan_sees_modules_filters_tests_and_lookups() -> None:
    text = """---
- name: Keys
  community.crypto.openssh_keypair:
    path: "{{ a | community.general.json_query('b') }}"
  when: x is not ansible.utils.in_network
  vars:
    secret: "{{ lookup('community.hashi_vault.hashi_vault', 'p') }}"
- name: Plain
  ansible.builtin.debug:
    msg: "{{ b | ansible.builtin.to_json }} {{ c | carehard.baseline.carehard_os_support }}"
"""
    assert collections_in(text, True) == {
        "community.crypto",
        "community.general",
        "ansible.utils",
        "community.hashi_vault",
    }


def test_the_collection_declares_what_the_project_requires() -> None:
    galaxy = yaml.safe_load((ROOT / "collection" / "galaxy.yml").read_text(encoding="utf-8"))
    assert (galaxy["namespace"], galaxy["name"], galaxy["version"]) == ("carehard", "baseline", __version__)
    assert galaxy["dependencies"] == requirements()
    runtime = yaml.safe_load((ROOT / "collection" / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    assert runtime["requires_ansible"].startswith(">=2.17")


def test_ansible_builder_creates_the_build_context(tmp_path: Path) -> None:
    builder = shutil.which("ansible-builder", path=str(Path(sys.executable).parent)) or shutil.which(
        "ansible-builder"
    )
    assert builder, "ansible-builder is missing: pip install -e '.[test]'"
    context = tmp_path / "context"
    proc = subprocess.run(
        [builder, "create", "-f", str(ROOT / "execution-environment.yml"), "-c", str(context), *FILENAME],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    assert 'ARG EE_BASE_IMAGE="quay.io/ansible/awx-ee:' in containerfile
    assert "ansible-galaxy collection install" in containerfile and "install-from-bindep" in containerfile
    assert "epel-release" in containerfile and "RUN restic version" in containerfile
    build = context / "_build"
    galaxy = yaml.safe_load((build / "requirements.yml").read_text(encoding="utf-8"))
    assert {c["name"]: c["version"] for c in galaxy["collections"]} == requirements()
    bindep = [ln.split()[0] for ln in (build / "bindep.txt").read_text().splitlines() if ln and ln[0] != "#"]
    assert "restic" in bindep and "openssh-clients" in bindep
    python = (build / "requirements.txt").read_text(encoding="utf-8")
    assert re.search(r"^pywinrm\b", python, re.MULTILINE)


def test_ansible_builder_refuses_a_broken_definition(tmp_path: Path) -> None:
    """The test above could not pass on a definition ansible-builder does not read."""
    broken = tmp_path / "execution-environment.yml"
    broken.write_text("---\nversion: 3\ndependencies:\n  galaxy: no-such-file.yml\n", encoding="utf-8")
    builder = shutil.which("ansible-builder", path=str(Path(sys.executable).parent)) or "ansible-builder"
    proc = subprocess.run(
        [builder, "create", "-f", str(broken), "-c", str(tmp_path / "ctx")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode != 0


@pytest.mark.parametrize("doc", ["docs/awx.md", "docs/collection.md"])
def test_the_docs_name_the_files_they_document(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    for path in re.findall(r"`((?:playbooks|collections|ee|scripts|collection)/[\w./-]+)`", text):
        assert (ROOT / path).exists(), f"{doc} names {path}, which does not exist"
