"""callback_plugins/jinja_compile_cache.py: a template is compiled once per run, its code shared by
the run's workers through the run's private directory, and a template is never run with the code
of another (other text, other syntax settings, other backslash mode). Each case runs in a fresh
Python process, as ansible-playbook would, with the plugin loaded as Ansible loads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "callback_plugins" / "jinja_compile_cache.py"

PRELUDE = f"""
import importlib.util, json, os, sys
import warnings
warnings.simplefilter("ignore")
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader()
from ansible._internal._templating._engine import TemplateEngine
from ansible.template import trust_as_template
spec = importlib.util.spec_from_file_location("jinja_compile_cache", {str(PLUGIN)!r})
cache = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cache)
def stored():
    return sorted(os.listdir(cache._DIRECTORY)) if cache._DIRECTORY else []
out = {{"installed": cache._INSTALLED, "directory": cache._DIRECTORY}}
"""


def run_python(body: str, local_tmp: Path, enable_plugin: bool = True) -> dict[str, Any]:
    script = PRELUDE + textwrap.dedent(body) + "\nprint(json.dumps(out))\n"
    if not enable_plugin:
        script = script.replace("spec.loader.exec_module(cache)", "cache._INSTALLED = None")
        script = script.replace('"directory": cache._DIRECTORY', '"directory": None')
    environment = {**os.environ, "ANSIBLE_LOCAL_TEMP": str(local_tmp)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=environment, check=False
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


RENDERS = """
engine = TemplateEngine(variables={"a": 1, "b": [1, 2, 3], "name": "x"})
templates = [
    "{{ a | default(true) }}",
    "{%- set out = [] -%}{% for x in b %}{% set _ = out.append(x ~ name) %}{% endfor %}{{ out | join(',') }}",
    "#jinja2:variable_start_string:'[%', variable_end_string:'%]'\\n[% name %]-{{ name }}",
    "[% name %]-{{ name }}",
]
first = [engine.template(trust_as_template(t)) for t in templates]
second = [engine.template(trust_as_template(t)) for t in templates]
condition = trust_as_template("a == 1 and b | length > 2")
conditions = [
    engine.evaluate_conditional(condition),
    TemplateEngine(variables={"a": 2, "b": []}).evaluate_conditional(condition),
]
from ansible._internal._templating._engine import TemplateOptions
backslashes = trust_as_template('{{ "c:\\\\newfile" | length }}')
escaped = [
    engine.template(backslashes, options=TemplateOptions(escape_backslashes=True)),
    engine.template(backslashes, options=TemplateOptions(escape_backslashes=False)),
    engine.template(backslashes, options=TemplateOptions(escape_backslashes=True)),
]
out.update(first=first, second=second, conditions=conditions, escaped=escaped)
"""


def test_templates_render_as_without_the_cache_and_compile_once(tmp_path: Path) -> None:
    cached = run_python(RENDERS + "out['stored'] = stored()\n", tmp_path / "on")
    plain = run_python(RENDERS, tmp_path / "off", enable_plugin=False)
    assert cached["installed"] is True
    assert plain["installed"] is None
    for key in ("first", "conditions", "escaped"):
        assert cached[key] == plain[key], key
    assert cached["first"] == cached["second"]
    assert cached["first"] == [1, "1x,2x,3x", "x-{{ name }}", "[% name %]-x"]
    assert cached["conditions"] == [True, False]
    assert cached["escaped"][0] == cached["escaped"][2] != cached["escaped"][1]
    # Four templates, one expression each for the condition and the two backslash modes; nothing
    # stored twice, nothing stored half-written.
    assert len(cached["stored"]) == 7
    assert all(len(name) == 64 for name in cached["stored"])


def test_the_code_is_kept_in_the_runs_private_directory_for_the_other_workers(tmp_path: Path) -> None:
    result = run_python(
        RENDERS
        + """
out['stored'] = stored()
cache._memory.clear()  # a worker forked before these were compiled: only the directory has them
compiles = []
original = cache._store
cache._store = lambda key, code: (compiles.append(key), original(key, code))
out['again'] = [engine.template(trust_as_template(t)) for t in templates]
out['compiled_again'] = compiles
out['stored_after'] = stored()
out['mode'] = os.stat(cache._DIRECTORY).st_mode & 0o777
""",
        tmp_path,
    )
    directory = Path(result["directory"])
    assert directory.parent.parent == tmp_path  # <local_tmp>/ansible-local-<pid>.../jinja_code
    assert result["mode"] == 0o700  # the run's directory is removed when the run ends
    assert result["again"] == result["first"]
    assert result["compiled_again"] == []
    assert result["stored_after"] == result["stored"]


def test_a_directory_others_can_write_is_never_used(tmp_path: Path) -> None:
    result = run_python(
        """
import stat
from ansible import constants
os.chmod(constants.DEFAULT_LOCAL_TMP, 0o777)
out['shared'] = cache._cache_directory()
os.chmod(constants.DEFAULT_LOCAL_TMP, 0o700)
out['private'] = cache._cache_directory()
""",
        tmp_path,
    )
    assert result["shared"] is None
    assert result["private"] and result["private"].endswith("jinja_code")


def test_a_syntax_error_is_still_reported_and_nothing_is_stored(tmp_path: Path) -> None:
    result = run_python(
        """
from ansible.errors import AnsibleTemplateSyntaxError
engine = TemplateEngine(variables={"a": 1})
errors = []
for attempt in range(2):
    try:
        engine.template(trust_as_template("{{ a + }}"))
    except AnsibleTemplateSyntaxError as error:
        errors.append(type(error).__name__)
out['errors'] = errors
out['stored'] = stored()
""",
        tmp_path,
    )
    assert result["errors"] == ["AnsibleTemplateSyntaxError", "AnsibleTemplateSyntaxError"]
    assert result["stored"] == []


def test_carehard_config_loads_it_without_enabling() -> None:
    text = PLUGIN.read_text()
    assert "CALLBACK_NEEDS_ENABLED = False" in text
    assert (ROOT / "carehard" / "ansible" / "callback_plugins" / "jinja_compile_cache.py").is_file()
