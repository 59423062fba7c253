"""The establishment block: declared once in the config file, on every report and export."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from carehard.errors import UsageError
from carehard.establishment import load_establishment
from carehard.history import History
from carehard.report.csv_report import render_csv
from carehard.report.html import render_html
from carehard.report.junit import render_junit
from carehard.report.markdown import render_markdown
from tests import clirun
from tests.unit.test_history import record
from tests.unit.test_report_html import sample_report

WHO = {
    "name": "Centre hospitalier de Saint-Exemple",
    "finess": "2A0001234",
    "site": "Bâtiment B, salle serveurs",
    "author": "J. Martin, RSSI",
    "contact": "rssi@ch-exemple.fr",
}


def config(tmp_path: Path, body: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.yml"
    path.write_text(body, encoding="utf-8")
    monkeypatch.setenv("CAREHARD_CONFIG", str(path))
    return path


def test_the_config_file_declares_the_establishment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config(
        tmp_path,
        "carehard_establishment:\n" + "".join(f"  {k}: '{v}'\n" for k, v in WHO.items()),
        monkeypatch,
    )
    assert load_establishment() == WHO
    config(tmp_path, "carehard_notify: null\n", monkeypatch)
    assert load_establishment() is None


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("carehard_establishment:\n  name: CH\n  finess: '1234'\n", "carehard_establishment.finess"),
        ("carehard_establishment:\n  name: CH\n  finess: 750712184\n", "carehard_establishment.finess"),
        ("carehard_establishment:\n  finess: '750712184'\n", "name"),
        ("carehard_establishment:\n  name: CH\n  fax: '01'\n", "fax"),
    ],
)
def test_a_wrong_establishment_is_named_on_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, words: str
) -> None:
    path = config(tmp_path, body, monkeypatch)
    with pytest.raises(UsageError) as caught:
        load_establishment()
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and words in message, message


def with_establishment() -> dict[str, Any]:
    report = sample_report()
    report["establishment"] = dict(WHO)
    return report


def test_every_format_names_the_establishment() -> None:
    report = with_establishment()
    schema = json.loads(
        resources.files("carehard.report").joinpath("carehard-report-1.schema.json").read_text("utf-8")
    )
    jsonschema.Draft202012Validator(schema).validate(report)
    page = render_html(report)
    assert "Centre hospitalier de Saint-Exemple · FINESS" in page and "2A0001234" in page
    assert "rssi@ch-exemple.fr" in page and "J. Martin, RSSI" in page
    markdown = render_markdown(report)
    assert "**Centre hospitalier de Saint-Exemple** · FINESS 2A0001234 · site Bâtiment B" in markdown
    rows = list(csv.DictReader(io.StringIO(render_csv(report).lstrip("\ufeff"))))
    assert rows and {(r["establishment"], r["finess"]) for r in rows} == {(WHO["name"], WHO["finess"])}
    suites = ET.fromstring(render_junit(report)).findall("testsuite")
    assert suites
    for suite in suites:
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert props["establishment_name"] == WHO["name"] and props["establishment_finess"] == "2A0001234"
    # Without one declared, no block and empty cells: nothing invented.
    bare = sample_report()
    assert "FINESS" not in render_html(bare) and "FINESS" not in render_markdown(bare)


def test_report_writes_the_establishment_or_refuses_a_wrong_config(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    History(state / "history.db").save(record())
    good = tmp_path / "good.yml"
    good.write_text(f"carehard_establishment:\n  name: {WHO['name']}\n  finess: '750712184'\n")
    env = {"CAREHARD_STATE_DIR": str(state), "CAREHARD_CONFIG": str(good)}
    made = clirun.carehard("report", "--last", "--format", "json", "--output", tmp_path / "out", env=env)
    assert made.returncode == 0, made.stderr
    written = json.loads((tmp_path / "out" / "report.json").read_text())
    assert written["establishment"] == {"name": WHO["name"], "finess": "750712184"}
    bad = tmp_path / "bad.yml"
    bad.write_text("carehard_establishment:\n  name: CH\n  finess: 75071\n")
    env["CAREHARD_CONFIG"] = str(bad)
    refused = clirun.carehard("report", "--last", "--output", tmp_path / "no", env=env)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assert not (tmp_path / "no").exists()
    assert isinstance(refused, subprocess.CompletedProcess)
