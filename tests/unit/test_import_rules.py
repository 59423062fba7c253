"""The layering of ARCHITECTURE.md, held over the package's imports (every import, lazy ones too):
nothing imports the CLI; only the jobs reach the runner module; only the results module reads runner
events; report/ never imports the engine; model imports nothing of carehard, config and catalog nothing
but config and the errors; no cycles."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "carehard"
EVENT_WORDS = ("event_data", "runner_on_", "playbook_on_")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(path: Path) -> set[str]:
    """The carehard modules a file imports, resolved to modules (a name imported from a package
    that is one of its submodules counts as that submodule)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("carehard"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("carehard"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
    return found - {"carehard"} if module_name(path) != "carehard" else found


GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def importers_of(prefix: str) -> set[str]:
    return {m for m, deps in GRAPH.items() if any(d == prefix or d.startswith(prefix + ".") for d in deps)}


def test_nothing_imports_the_cli() -> None:
    outside = {m for m in importers_of("carehard.cli") if not m.startswith("carehard.cli")}
    assert outside == {"carehard.__main__"}


def test_only_the_jobs_reach_the_runner_module() -> None:
    assert {m for m in importers_of("carehard.engine.run") if not m.startswith("carehard.jobs.")} == set()


def test_only_the_results_module_reads_runner_events() -> None:
    readers = {
        name
        for name, path in MODULES.items()
        if any(word in path.read_text(encoding="utf-8") for word in EVENT_WORDS)
    }
    assert readers == {"carehard.engine.results"}


def test_report_never_imports_the_engine() -> None:
    assert {m for m in importers_of("carehard.engine") if m.startswith("carehard.report")} == set()


def reached_from(module: str) -> set[str]:
    """Every carehard module `module` imports, directly or through others."""
    found: set[str] = set()
    todo = [module]
    while todo:
        for dep in GRAPH.get(todo.pop(), set()) - found:
            found.add(dep)
            todo.append(dep)
    return found


def test_model_imports_nothing_of_carehard() -> None:
    assert GRAPH["carehard.model"] == set()


def test_config_and_catalog_reach_only_the_schemas_and_the_errors() -> None:
    """The catalog checks its files with config's validate(); any tool can still read it alone."""
    allowed = {name for name in MODULES if name.startswith("carehard.config")} | {"carehard.errors"}
    for name in ("carehard.config", "carehard.catalog"):
        assert reached_from(name) <= allowed, (name, reached_from(name) - allowed)


def test_no_import_cycle() -> None:
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError("import cycle: " + " -> ".join([*path[path.index(module) :], module]))
        if module in done:
            return
        for dep in sorted(GRAPH.get(module, ())):
            visit(dep, [*path, module])
        done.add(module)

    for module in sorted(GRAPH):
        visit(module, [])


def test_no_module_grows_past_its_one_job() -> None:
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in MODULES.items()}
    assert {name: size for name, size in sizes.items() if size > 450} == {}
