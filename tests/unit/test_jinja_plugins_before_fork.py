"""callback_plugins/jinja_plugins_before_fork.py: at a play's start, in ansible-playbook's own
process, the Jinja filter plugins are loaded, so the workers forked per task inherit them instead of
loading every plugin file again (issue 25). carehard's ansible.cfg names the directory."""

from __future__ import annotations

import configparser
import importlib.util
import os
import warnings
from pathlib import Path

import pytest
from ansible.plugins.loader import filter_loader, init_plugin_loader

from carehard.engine.run import _ansible_environment

ROOT = Path(__file__).resolve().parents[2]


def test_the_filter_plugins_are_loaded_at_play_start() -> None:
    with warnings.catch_warnings():  # configured already when another test ran Ansible in-process
        warnings.simplefilter("ignore")
        init_plugin_loader()
    filter_loader._clear_caches()
    assert not filter_loader._cached_non_collection_wrappers
    spec = importlib.util.spec_from_file_location(
        "prefork", ROOT / "callback_plugins" / "jinja_plugins_before_fork.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.CallbackModule().v2_playbook_on_play_start(None)
    assert "ansible.builtin.default" in filter_loader._cached_non_collection_wrappers


def test_carehard_config_loads_it_without_enabling() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "ansible.cfg")
    assert (ROOT / config["defaults"]["callback_plugins"] / "jinja_plugins_before_fork.py").is_file()
    assert (ROOT / "carehard" / "ansible" / "callback_plugins" / "jinja_plugins_before_fork.py").is_file()


def test_carehard_runs_pass_the_directory_past_ansible_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    """ansible-runner sets ANSIBLE_CALLBACK_PLUGINS, which hides ansible.cfg's callback_plugins: the
    environment carehard gives its runs names the directory first, and keeps the user's own."""
    monkeypatch.setenv("ANSIBLE_CALLBACK_PLUGINS", "/opt/site/callbacks")
    paths = _ansible_environment()["ANSIBLE_CALLBACK_PLUGINS"].split(os.pathsep)
    assert (Path(paths[0]) / "jinja_plugins_before_fork.py").is_file()
    assert paths[1:] == ["/opt/site/callbacks"]
