#!/usr/bin/env python3
"""Build the carehard.baseline collection from the repository's roles, in one command:

    python3 scripts/build_collection.py [--output-path DIR]     (default: dist/)

Roles inside a collection load no plugins of their own (ansible-core adds a role's library/ and
filter_plugins/ only for roles outside collections), so the staged copy moves them into the
collection's plugins/modules and plugins/filter. Modules keep working by their short names (a
collection role searches its own collection first); Jinja filters do not, so the staged task
files name the role filters by their FQCN. The repository layout is not changed.
Exit codes: 0 built, 2 bad input or the build failed (one line on stderr).
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFINITION = ROOT / "collection"
ROLES = ROOT / "roles"
README = ROOT / "docs" / "collection.md"
FQCN = "carehard.baseline"
PLUGIN_DIRS = {"library": "plugins/modules", "filter_plugins": "plugins/filter"}
# Files of a role where Jinja may apply a filter.
TEMPLATED_SUFFIXES = (".yml", ".yaml", ".j2")


class BuildError(Exception):
    pass


def stage(target: Path) -> Path:
    """Assemble the collection's files under `target` (an empty directory); returns it."""
    shutil.copytree(DEFINITION, target, dirs_exist_ok=True)
    shutil.copyfile(README, target / "README.md")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", *PLUGIN_DIRS)
    for role in sorted(p for p in ROLES.iterdir() if p.is_dir()):
        shutil.copytree(role, target / "roles" / role.name, ignore=ignore)
        for source_dir, plugin_dir in PLUGIN_DIRS.items():
            for plugin in sorted((role / source_dir).glob("*.py")):
                destination = target / plugin_dir / plugin.name
                if destination.exists():
                    raise BuildError(f"two roles ship a plugin named {plugin.name}: rename one")
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(plugin, destination)
    qualify_filters(target)
    return target


def filter_names(plugin_dir: Path) -> list[str]:
    """The names of the Jinja filters the plugin files define, as Ansible would load them."""
    names: list[str] = []
    for path in sorted(plugin_dir.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"_carehard_filter_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise BuildError(f"cannot load filter plugin {path.name}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        names.extend(module.FilterModule().filters())
    return names


def qualify_filters(target: Path) -> None:
    """Rewrite `| name` into `| carehard.baseline.name` for the collection's own filters."""
    names = filter_names(target / PLUGIN_DIRS["filter_plugins"])
    if not names:
        return
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    use = re.compile(rf"(\|\s*)({alternatives})\b")
    for path in sorted((target / "roles").rglob("*")):
        if path.suffix in TEMPLATED_SUFFIXES and path.is_file():
            text = path.read_text(encoding="utf-8")
            qualified = use.sub(rf"\g<1>{FQCN}.\g<2>", text)
            if qualified != text:
                path.write_text(qualified, encoding="utf-8")


def build(output: Path) -> Path:
    """Stage the collection and build its tarball into `output`; returns the tarball's path."""
    if not output.parent.is_dir():
        raise BuildError(f"--output-path {output}: its parent directory does not exist")
    galaxy = shutil.which("ansible-galaxy", path=str(Path(sys.executable).parent)) or shutil.which(
        "ansible-galaxy"
    )
    if galaxy is None:
        raise BuildError("ansible-galaxy not found: install ansible-core (pip install ansible-core)")
    output.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="carehard-collection-") as scratch:
        staged = stage(Path(scratch) / "baseline")
        proc = subprocess.run(
            [galaxy, "collection", "build", str(staged), "--output-path", str(output), "--force"],
            capture_output=True,
            text=True,
            check=False,
        )
    if proc.returncode != 0:
        last = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()[-1]
        raise BuildError(f"ansible-galaxy collection build failed: {last}")
    found = re.search(r"Created collection for \S+ at (\S+\.tar\.gz)", proc.stdout)
    if found is None:
        raise BuildError(f"ansible-galaxy collection build said no tarball: {proc.stdout.strip()}")
    return Path(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the carehard.baseline collection tarball.")
    parser.add_argument("--output-path", type=Path, default=ROOT / "dist", help="default: dist/")
    args = parser.parse_args(argv)
    try:
        tarball = build(args.output_path.resolve())
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(tarball)
    return 0


if __name__ == "__main__":
    sys.exit(main())
