"""The one PowerShell output decoder (roles/carehard/filter_plugins/powershell_output.py) and every role
that reads Windows output through it: workstation_windows (windows_state.py), compliance_facts
(windows_facts.py), remote_access (windows_tools.py), and the tasks of the first and the last
(the filter carehard_powershell_json).

Each role gets the same recorded outputs: its probe's JSON as PowerShell prints it, then the same
document with what a Windows host adds around it (a WARNING line, a byte order mark, VERBOSE and
French AVERTISSEMENT lines, CRLF, the indented form of ConvertTo-Json without -Compress, UTF-16
bytes), which must read the same; and the outputs without a document (nothing, blanks, garbage, a
truncated document, two documents, null), whose reason each role reports as the decoder gives it.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import jinja2
import pytest
import yaml

from tests.unit.test_windows_facts import DECLARED, STDOUT_EN
from tests.unit.test_windows_parsing import FIREWALL_PS51
from tests.unit.test_windows_tools import WORKSTATION

ROOT = Path(__file__).resolve().parents[2]
ROLES = ROOT / "roles"
DECODER = ROLES / "carehard" / "filter_plugins" / "powershell_output.py"
# The filter plugins that decode what a PowerShell probe printed, by role.
CONSUMERS = {
    "workstation_windows": ROLES / "workstation_windows" / "filter_plugins" / "windows_state.py",
    "compliance_facts": ROLES / "compliance_facts" / "filter_plugins" / "windows_facts.py",
    "remote_access": ROLES / "remote_access" / "filter_plugins" / "windows_tools.py",
}


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ps = load(DECODER, "carehard_test_powershell_output")
PLUGINS = {role: load(path, f"carehard_test_{path.stem}") for role, path in CONSUMERS.items()}
PS_JSON = ps.FilterModule().filters()["carehard_powershell_json"]


# ---- the decoder ------------------------------------------------------------------------------------

OBJECT = '{"Name":"Domain","Enabled":1}'
DOCUMENT = {"Name": "Domain", "Enabled": 1}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (OBJECT, DOCUMENT),
        ("WARNING: The names of some imported commands include unapproved verbs.\r\n" + OBJECT, DOCUMENT),
        ("\ufeff" + OBJECT, DOCUMENT),
        ("\ufeff\ufeff" + OBJECT + "\r\n", DOCUMENT),
        ("VERBOSE: Loading module\r\n" + OBJECT + "\r\nAVERTISSEMENT : profil itinérant\r\n", DOCUMENT),
        ("WARNING: one\nWARNING: two\n\ufeff" + OBJECT, DOCUMENT),  # a second write, with its own BOM
        ("WARNING: x\n" + json.dumps(DOCUMENT, indent=4), DOCUMENT),  # ConvertTo-Json without -Compress
        ("[WARNING] bracketed, not JSON\n" + OBJECT, DOCUMENT),
        ("[1] Done\n" + OBJECT, DOCUMENT),  # a line that begins like JSON but goes on
        ("[1,2]", [1, 2]),
        ("WARNING: x\r\n[" + OBJECT + "]", [DOCUMENT]),
        ("[]", []),
        ("{}", {}),
        ("42", 42),  # JSON as a whole: the caller judges its shape
        ('"text"', "text"),
        ('{"a":"\ufeffkept inside a string"}', {"a": "\ufeffkept inside a string"}),
        (("\ufeff" + OBJECT).encode("utf-8"), DOCUMENT),
        (("WARNING: x\r\n" + OBJECT).encode("utf-16"), DOCUMENT),
        (DOCUMENT, DOCUMENT),  # decoded already
        ([1, "x"], [1, "x"]),
        (7, 7),
    ],
)
def test_the_document_is_taken_from_around_the_noise(raw: Any, expected: Any) -> None:
    assert ps.decode(raw) == (expected, None)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (None, "the probe printed nothing"),
        ("", "the probe printed nothing"),
        (" \r\n\t", "the probe printed nothing"),
        ("\ufeff", "the probe printed nothing"),
        ("\ufeff \r\n", "the probe printed nothing"),
        (b"", "the probe printed nothing"),
        ("null", "the probe printed null"),
        ("Get-CimInstance : Accès refusé", "unreadable output 'Get-CimInstance : Accès refusé'"),
        ("WARNING: only a warning\r\n", "unreadable output 'WARNING: only a warning'"),
        ("\x00\x00", "unreadable output '\\x00\\x00'"),
        (
            '#< CLIXML\r\n<Objs Version="1.1.0.1">',
            "unreadable output '#< CLIXML\\r\\n<Objs Version=\"1.1.0.1\">'",
        ),
        (
            '{"services":[{"Name":"AnyDesk"',
            'unreadable output \'{"services":[{"Name":"AnyDesk"\': '
            "invalid JSON at line 1, column 31 (Expecting ',' delimiter)",
        ),
        (
            'WARNING: cut short\n{"a":',
            "unreadable output 'WARNING: cut short\\n{\"a\":': "
            "invalid JSON at line 2, column 6 (Expecting value)",
        ),
        (
            OBJECT + "\r\n" + OBJECT,
            'unreadable output \'{"Name":"Domain","Enabled":1}\\r\\n{"Name":"Domain","Enabled":1}\': '
            "2 JSON documents, expected one",
        ),
        (" " + "x" * 80, "unreadable output '" + "x" * 60 + "...'"),
    ],
)
def test_no_document_gives_why_naming_what_was_seen(raw: Any, why: str) -> None:
    assert ps.decode(raw) == (None, why)


def test_the_filter_raises_why_or_gives_it_as_the_error_member() -> None:
    assert PS_JSON("WARNING: x\n" + OBJECT) == DOCUMENT
    assert PS_JSON("WARNING: x\n" + OBJECT, strict=False) == DOCUMENT
    with pytest.raises(
        ValueError, match=r"^no JSON document in the PowerShell output: the probe printed nothing$"
    ):
        PS_JSON("")
    assert PS_JSON("garbage", strict=False) == {"error": "unreadable output 'garbage'"}
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters.update(ps.FilterModule().filters())
    rendered = env.from_string("{{ (out | carehard_powershell_json(strict=false)).error }}").render(out="")
    assert rendered == "the probe printed nothing"


def test_the_decoder_imports_the_standard_library_only() -> None:
    """Ansible loads it by path on the controller: neither carehard nor ansible may be imported."""
    tree = ast.parse(DECODER.read_text(encoding="utf-8"))
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert {m.split(".")[0] for m in modules} - {"__future__"} <= set(sys.stdlib_module_names), modules


# ---- every role on the same recorded outputs ----------------------------------------------------------


def with_noise(kind: str, sample: str) -> Any:
    document = json.loads(sample)
    return {
        "warning line": "WARNING: Get-NetFirewallProfile: the module is deprecated.\r\n" + sample,
        "BOM": "\ufeff" + sample,
        "verbose and warning around": "VERBOSE: Loading\r\n" + sample + "\r\nAVERTISSEMENT : attention\r\n",
        "indented (no -Compress)": "WARNING: x\r\n" + json.dumps(document, indent=4, ensure_ascii=False),
        "UTF-16 bytes": ("WARNING: x\r\n" + sample).encode("utf-16"),
    }[kind]


NOISE = ["warning line", "BOM", "verbose and warning around", "indented (no -Compress)", "UTF-16 bytes"]


def unreadable(sample: str) -> list[Any]:
    """Outputs without one document: nothing, blanks, garbage, cut short, twice, null."""
    return [
        None,
        "",
        "\ufeff \r\n",
        "Get-CimInstance : Accès refusé",
        sample[:40],
        sample + "\n" + sample,
        "null",
    ]


def firewall(raw: Any) -> Any:
    return PLUGINS["workstation_windows"].FilterModule().filters()["carehard_win_firewall"](raw)


def fleet(raw: Any) -> Any:
    return PLUGINS["compliance_facts"].FilterModule().filters()["carehard_win_fleet_facts"](raw, DECLARED)


def tools(raw: Any) -> Any:
    return PLUGINS["remote_access"].found_tools(raw, [])


# Per role: (its filter on a probe's output, the recorded output, what the role says when there is no
# document, from the decoder's why).
ROLE_READS: dict[str, tuple[Callable[[Any], Any], str, Callable[[str], Any]]] = {
    "workstation_windows": (
        firewall,
        FIREWALL_PS51,
        lambda why: [f"{name}: not reported ({why})" for name in ("Domain", "Private", "Public")],
    ),
    "compliance_facts": (fleet, STDOUT_EN, lambda why: why),
    "remote_access": (tools, WORKSTATION, lambda why: f"RA-WIN-05: {why}"),
}


def reported(role: str, raw: Any) -> Any:
    """What the role says of an output without a document."""
    read = ROLE_READS[role][0]
    if role == "remote_access":
        with pytest.raises(ValueError) as error:
            read(raw)
        return str(error.value)
    result = read(raw)
    if role == "compliance_facts":
        return result["os"]["error"]
    return [profile["text"] for profile in result]


@pytest.mark.parametrize("kind", NOISE)
@pytest.mark.parametrize("role", sorted(ROLE_READS))
def test_every_role_reads_through_the_noise(role: str, kind: str) -> None:
    read, sample, _ = ROLE_READS[role]
    clean = read(sample)
    assert clean and read(with_noise(kind, sample)) == clean


@pytest.mark.parametrize("case", range(7))
@pytest.mark.parametrize("role", sorted(ROLE_READS))
def test_every_role_says_why_as_the_decoder_does(role: str, case: int) -> None:
    _, sample, says = ROLE_READS[role]
    raw = unreadable(sample)[case]
    document, why = ps.decode(raw)
    assert document is None and why
    assert reported(role, raw) == says(why)


@pytest.mark.parametrize(
    ("role", "raw", "text"),
    [
        # The firewall probe prints an array of profiles (or one profile alone): nameless, none is.
        (
            "workstation_windows",
            'WARNING: x\n{"Enabled":1}',
            "Domain: not reported (no profile in an object)",
        ),
        ("compliance_facts", "WARNING: x\n[" + OBJECT + "]", "unexpected output a list"),
        (
            "remote_access",
            "WARNING: x\n[" + OBJECT + "]",
            "RA-WIN-05: the probe printed list, not a JSON object",
        ),
    ],
)
def test_a_document_of_the_wrong_shape_is_named(role: str, raw: str, text: str) -> None:
    said = reported(role, raw)
    assert (said[0] if isinstance(said, list) else said) == text


# ---- one decoder, found in both layouts ----------------------------------------------------------------


def test_every_role_uses_the_carehard_role_s_decoder_and_no_other() -> None:
    """No role decodes JSON on its own again: the copies drifted apart once."""
    functions = set()
    for role, path in CONSUMERS.items():
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        imported = {
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        }
        assert "json" not in imported, f"{role}: {path.name} imports json"
        (loader,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "_shared_decoder"]
        functions.add(ast.get_source_segment(source, loader))
        assert Path(PLUGINS[role]._POWERSHELL.__file__).resolve() == DECODER
    assert len(functions) == 1, "the _shared_decoder functions differ"


def test_in_the_collection_the_decoder_is_found_next_to_the_plugin(tmp_path: Path) -> None:
    """The collection's plugins/filter holds every role's filters side by side (build_collection.py)."""
    for path in [DECODER, *CONSUMERS.values()]:
        shutil.copyfile(path, tmp_path / path.name)
    for path in CONSUMERS.values():
        module = load(tmp_path / path.name, f"carehard_test_flat_{path.stem}")
        assert Path(module._POWERSHELL.__file__) == tmp_path / "powershell_output.py"


def test_without_the_carehard_role_the_plugin_says_where_it_looked(tmp_path: Path) -> None:
    alone = tmp_path / "roles" / "remote_access" / "filter_plugins"
    alone.mkdir(parents=True)
    shutil.copyfile(CONSUMERS["remote_access"], alone / "windows_tools.py")
    with pytest.raises(
        ImportError, match=r"PowerShell output decoder is in none of .*carehard/filter_plugins"
    ):
        load(alone / "windows_tools.py", "carehard_test_alone")


def roles_using_the_decoder() -> set[str]:
    using = set()
    for role in (p for p in ROLES.iterdir() if p.is_dir() and p.name != "carehard"):
        texts = [p.read_text(encoding="utf-8") for p in role.rglob("*") if p.suffix in (".py", ".yml", ".j2")]
        if any("_shared_decoder" in t or "carehard_powershell_json" in t for t in texts):
            using.add(role.name)
    return using


def test_the_roles_that_decode_powershell_output_depend_on_carehard() -> None:
    """In the roles layout the tasks find carehard_powershell_json through the dependency (a play that
    includes only remote_access, as vendor_window.yml does, loads no other role)."""
    assert roles_using_the_decoder() == set(CONSUMERS)
    for role in CONSUMERS:
        meta = yaml.safe_load((ROLES / role / "meta" / "main.yml").read_text(encoding="utf-8"))
        assert {"role": "carehard"} in meta["dependencies"], role


def test_no_windows_task_decodes_json_by_itself() -> None:
    for path in sorted(ROLES.glob("*/tasks/*.yml")):
        text = path.read_text(encoding="utf-8")
        if "ansible.windows." in text:
            assert "from_json" not in text, f"{path.relative_to(ROOT)}: use carehard_powershell_json"


# ---- in real Ansible, roles layout --------------------------------------------------------------------

NOISY_TOOLS = "WARNING: x\r\n\ufeff" + WORKSTATION


def filter_play(prefix: str = "") -> list[dict[str, Any]]:
    """A play on localhost that loads the three roles (running none of their tasks), applies their
    filters and the shared one to recorded outputs with noise, and asserts what they read."""
    services = len(json.loads(WORKSTATION)["services"])
    found = len(tools(WORKSTATION))
    name = fleet(STDOUT_EN)["os"]["name"]
    return [
        {
            "name": "The PowerShell output decoder",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars": {
                "tools": NOISY_TOOLS,
                "fw": "VERBOSE: x\r\n" + FIREWALL_PS51,
                "facts": "\ufeff" + STDOUT_EN,
            },
            "tasks": [
                *(
                    {
                        "name": f"Load {role} (and the role it depends on), run none of it",
                        "ansible.builtin.import_role": {"name": f"{prefix}{role}"},
                        "when": False,
                    }
                    for role in sorted(CONSUMERS)
                ),
                {
                    "name": "Check what the filters read",
                    "ansible.builtin.assert": {
                        "that": [
                            f"(tools | {prefix}carehard_powershell_json).services | length == {services}",
                            f"('' | {prefix}carehard_powershell_json(strict=false)).error"
                            " == 'the probe printed nothing'",
                            f"tools | {prefix}remote_access_win_tools([]) | length == {found}",
                            f"(fw | {prefix}carehard_win_firewall)[0].ok",
                            f"(facts | {prefix}carehard_win_fleet_facts([])).os.name == {name!r}",
                        ],
                        "quiet": True,
                    },
                },
            ],
        }
    ]


def ansible_playbook(
    tmp_path: Path, play: list[dict[str, Any]], **env: str
) -> subprocess.CompletedProcess[str]:
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False, allow_unicode=True), encoding="utf-8")
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\nretry_files_enabled = False\n", encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    environment.update({"ANSIBLE_CONFIG": str(config), "ANSIBLE_NOCOLOR": "1", **env})
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible-playbook")),
            "-i",
            "localhost,",
            "--check",
            str(playbook),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=300,
        check=False,
    )


def test_in_the_roles_layout_the_filters_resolve_through_the_dependency(tmp_path: Path) -> None:
    """The carehard role is not named: carehard_powershell_json comes with the roles' dependency on it."""
    proc = ansible_playbook(tmp_path, filter_play(), ANSIBLE_ROLES_PATH=str(ROLES))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "TASK [carehard : Check the waivers declared in carehard_waivers]" in proc.stdout
    assert "[WARNING]: Skipping plugin" not in proc.stderr
