"""carehard.config.validate(): one schema per configuration document, one-line errors naming the
source, the key path and what is expected; and every documented example fits its schema."""

from __future__ import annotations

import json
import re
from logging.handlers import SysLogHandler
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from carehard.catalog import CATALOG_DIR, ID_PATTERN, REFERENCE_KINDS
from carehard.config import load_config, validate
from carehard.config.schema import ID_PREFIX, load_schema, schema_names
from carehard.errors import UsageError
from carehard.notify.settings import parse_notify
from tests.starter_examples import uncommented

ROOT = Path(__file__).resolve().parents[2]
# The starter inventory (carehard init; inventories/example), its commented examples uncommented.
EXAMPLE_VARS = ROOT / "inventories" / "example" / "group_vars" / "all.yml"
WHERE = "inventory site/hosts.yml"


def refusal(document: Any, schema: str, where: str = WHERE) -> str:
    with pytest.raises(UsageError) as caught:
        validate(document, schema, where)
    return str(caught.value)


def vendor(**changes: Any) -> dict[str, Any]:
    base = {"name": "acme", "keys": ["ssh-ed25519 AAAA tech@acme"], "hosts": ["pacs-01"], "max_window": "8h"}
    return base | changes


# ---- validate() ------------------------------------------------------------------------------------------


def test_the_key_path_indexes_lists_and_names_the_item() -> None:
    document = {"carehard_vendors": [vendor(), vendor(name="initech", max_window=8)]}
    assert refusal(document, "vendors") == (
        "inventory site/hosts.yml: carehard_vendors[1].max_window (name initech):"
        " expected the longest window allowed, a duration like 8h, got 8"
    )


def test_an_unknown_key_is_named_with_the_known_ones() -> None:
    assert refusal({"carehard_vendors": [vendor(colour="red")]}, "vendors") == (
        "inventory site/hosts.yml: carehard_vendors[0].colour (name acme): unknown key (known: name, account,"
        " contact, keys, hosts, max_window, access, from, forwarding, force_command, su)"
    )


def test_a_typo_is_told_as_the_unknown_key_rather_than_the_missing_one() -> None:
    typo = {k: v for k, v in vendor(max_windows="8h").items() if k != "max_window"}
    assert "carehard_vendors[0].max_windows (name acme): unknown key" in refusal(
        {"carehard_vendors": [typo]}, "vendors"
    )


def test_a_wrong_type_names_the_expected_one_and_the_kind_given() -> None:
    assert refusal({"carehard_vendors": {"acme": vendor()}}, "vendors") == (
        "inventory site/hosts.yml: carehard_vendors: expected a list of vendors (name, keys, hosts,"
        " max_window...), got a mapping"
    )


def test_a_missing_required_key_says_what_to_give() -> None:
    missing = {k: v for k, v in vendor().items() if k != "hosts"}
    assert refusal({"carehard_vendors": [missing]}, "vendors") == (
        "inventory site/hosts.yml: carehard_vendors[0].hosts (name acme):"
        " missing: give a list of the hosts or groups the vendor maintains"
    )


def test_an_enum_shows_the_value_given() -> None:
    assert refusal({"carehard_vendors": [vendor(access="vnc")]}, "vendors").endswith(
        "carehard_vendors[0].access (name acme): expected ssh (Linux) or rdp (Windows), got 'vnc'"
    )


def test_an_error_on_the_whole_document_names_only_the_source() -> None:
    assert refusal(["a list"], "objectives", "--objectives care.yml") == (
        "--objectives care.yml: expected a mapping with objectives, a list of {id, label, controls},"
        " got a list"
    )


def test_the_error_is_one_line_whatever_the_value() -> None:
    message = refusal({"carehard_notify": {"syslog": {"tag": "two\nlines"}}}, "notify")
    assert "\n" not in message and "'two\\nlines'" in message


def test_without_a_source_the_line_starts_with_the_key_path() -> None:
    assert refusal({"carehard_notify": {"when": "never"}}, "notify", "").startswith("carehard_notify.when: ")


def test_the_config_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("carehard_notify:\n  syslog: {facility: kernel9}\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"config {path}: carehard_notify.syslog.facility: expected a syslog facility (e.g. user, local0),"
        " got 'kernel9'"
    )


def test_the_config_file_takes_an_empty_section(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("carehard_notify:\n", encoding="utf-8")
    assert load_config(path) == {"carehard_notify": None}


def test_errors_show_the_kind_of_a_secret_never_its_value() -> None:
    token = "Bearer s3cr3t-token-value"
    settings = {"webhook": {"url": "https://chat.example.org/hooks/x", "headers": {"Authorization": [token]}}}
    with pytest.raises(UsageError) as caught:
        parse_notify(settings, "config c.yml")
    assert str(caught.value) == (
        "config c.yml: carehard_notify.webhook.headers.Authorization:"
        " expected a one-line text value, got a list"
    )


def test_an_unknown_schema_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="no schema named 'vendor'"):
        validate({}, "vendor", WHERE)


# ---- the schemas ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", schema_names())
def test_each_schema_is_a_valid_draft_2020_12_schema_named_after_its_file(name: str) -> None:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"{ID_PREFIX}{name}"


def test_the_syslog_facilities_are_those_python_knows() -> None:
    facility = load_schema("notify")["$defs"]["syslog"]["properties"]["facility"]
    assert sorted(facility["enum"]) == sorted(SysLogHandler.facility_names)


def test_the_catalog_schema_agrees_with_the_catalog_module() -> None:
    control = load_schema("catalog")["$defs"]["control"]
    assert control["properties"]["id"]["pattern"] == ID_PATTERN.pattern
    assert tuple(load_schema("catalog")["$defs"]["references"]["properties"]) == REFERENCE_KINDS


# ---- the documented examples fit ---------------------------------------------------------------------------


def yaml_blocks(markdown: Path, key: str) -> list[Any]:
    """The ```yaml blocks of a page that set `key` at the top level."""
    blocks = re.findall(r"^```yaml\n(.*?)^```", markdown.read_text(encoding="utf-8"), re.M | re.S)
    return [data for data in map(yaml.safe_load, blocks) if isinstance(data, dict) and key in data]


def as_listed(document: Any) -> Any:
    """A document as ansible-inventory lists it: an unquoted YAML date is text."""
    return json.loads(json.dumps(document, default=str))


def only(document: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: document[key] for key in keys if key in document}


def writing_controls_entry() -> dict[str, Any]:
    (block,) = re.findall(
        r"^```yaml\n(.*?)^```", (ROOT / "docs/writing-controls.md").read_text(), re.M | re.S
    )[:1]
    return {"family": "workstation_linux", "title": "Linux workstations", "controls": yaml.safe_load(block)}


class _VaultLoader(yaml.SafeLoader):
    """YAML with `!vault` values as ansible-inventory lists them: {"__ansible_vault": ciphertext}."""


_VaultLoader.add_constructor(
    "!vault",
    lambda loader, node: {"__ansible_vault": loader.construct_scalar(node)},  # type: ignore[arg-type]
)


def directories(text: str) -> list[dict[str, Any]]:
    """The carehard_directory_* variables of each host of the `directories` group of a YAML inventory."""
    document = yaml.load(text, Loader=_VaultLoader) or {}
    hosts = (document.get("directories") or {}).get("hosts") or {}
    return [
        {k: v for k, v in (h or {}).items() if k.startswith("carehard_directory_")} for h in hosts.values()
    ]


def directory_examples() -> list[tuple[str, Any]]:
    starter = uncommented((EXAMPLE_VARS.parents[1] / "hosts.yml").read_text(encoding="utf-8"))
    page = (ROOT / "docs" / "directory.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```yaml\n(.*?)^```", page, re.M | re.S)
    return [
        *(("inventories/example/hosts.yml", d) for d in directories(starter)),
        *(("docs/directory.md", d) for block in blocks for d in directories(block)),
    ]


def examples() -> dict[str, list[tuple[str, Any]]]:
    """Per schema, the documented examples: (where it comes from, the document)."""
    inventory = yaml.safe_load(uncommented(EXAMPLE_VARS.read_text(encoding="utf-8")))
    docs = ROOT / "docs"
    return {
        "vendors": [
            ("inventories/example", only(inventory, "carehard_vendors", "carehard_bastions")),
            *(
                ("docs/vendor-access.md", d)
                for d in yaml_blocks(docs / "vendor-access.md", "carehard_vendors")
            ),
        ],
        "backup_sets": [
            ("inventories/example", only(inventory, "carehard_backup_sets")),
            *(
                ("docs/backup-verify.md", d)
                for d in yaml_blocks(docs / "backup-verify.md", "carehard_backup_sets")
            ),
        ],
        "notify": [
            ("inventories/example", only(inventory, "carehard_notify")),
            *(("docs/notify.md", d) for d in yaml_blocks(docs / "notify.md", "carehard_notify")),
        ],
        "config": [
            *(("docs/notify.md", d) for d in yaml_blocks(docs / "notify.md", "carehard_notify")),
            *(("docs/runs.md", d) for d in yaml_blocks(docs / "runs.md", "carehard_runs")),
        ],
        "directories": directory_examples(),
        "exposure": [
            (page, d)
            for page in ("docs/exposure.md", "docs/fleet-facts.md")
            for d in yaml_blocks(ROOT / page, "carehard_exposure_allowed")
        ],
        "waivers": [
            ("inventories/example", as_listed(only(inventory, "carehard_waivers"))),
            *(
                (page, as_listed(d))
                for page in ("README.md", "docs/backup-verify.md")
                for d in yaml_blocks(ROOT / page, "carehard_waivers")
            ),
        ],
        "objectives": [
            (
                "docs/care-objectives.example.yml",
                yaml.safe_load((docs / "care-objectives.example.yml").read_text(encoding="utf-8")),
            )
        ],
        "catalog": [
            *(
                (f"catalog {p.name}", yaml.safe_load(p.read_text()))
                for p in sorted(CATALOG_DIR.glob("*.yml"))
            ),
            ("docs/writing-controls.md", writing_controls_entry()),
        ],
    }


def test_every_schema_has_documented_examples() -> None:
    assert sorted(examples()) == schema_names()
    assert all(examples().values())


@pytest.mark.parametrize("name", schema_names())
def test_the_documented_examples_fit_their_schema(name: str) -> None:
    for where, document in examples()[name]:
        validate(document, name, where)
