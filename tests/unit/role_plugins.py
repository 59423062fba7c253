"""The filters of a role's filter plugin, loaded from its file as Ansible loads it (role plugins are
no package to import)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any


def plugin_filters(path: Path) -> dict[str, Callable[..., Any]]:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result: dict[str, Callable[..., Any]] = module.FilterModule().filters()
    return result
