"""The Markdown summary and the CSV export of a French report (report["lang"] == "fr")."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from carehard.report.csv_report import BOM, COLUMNS, COLUMNS_FR, _cell, render_csv
from carehard.report.i18n import markdown_fr
from carehard.report.markdown import render_markdown
from tests.unit.test_report_formats import _backup_report
from tests.unit.test_report_html import big_report, sample_report

NBSP, NNBSP = "\u00a0", "\u202f"

# The summary's own English words: none is left in a French summary.
ENGLISH = (
    "## Hosts",
    "## Problems",
    "## Backups",
    "Compliance",
    "Results:",
    "exit code",
    "level 2",
    "inventory ",
    " run ",
    "not finished",
    "| host |",
    "(unreachable)",
    "not checked",
    "host error",
    "**fail**",
    "**error**",
    "**unreachable**",
    " hosts",
    " controls",
    "more",
    "most problems",
    "with problems",
    "None:",
    "| set |",
    "within RTO",
    "beyond RTO",
    "every data pack",
    "author",
)


def french(report: dict[str, Any]) -> dict[str, Any]:
    report["lang"] = "fr"
    return report


def rows(text: str, delimiter: str) -> list[list[str]]:
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM) :], newline=""), delimiter=delimiter))


@pytest.fixture(scope="module")
def summary() -> str:
    report = french(sample_report())
    report["establishment"] = {"name": "CH de Saint-Exemple", "finess": "2A0001234", "author": "J. Martin"}
    return render_markdown(report)


def test_the_summary_is_in_french(summary: str) -> None:
    lines = summary.splitlines()
    assert lines[0] == (
        "# carehard durcissement — exécution 20261125T171500Z-3f9a1c — 25 nov. 2026 17:15 UTC → 17:15 UTC"
    )
    for text in (
        "niveau 2 (intermédiaire) · carehard 0.1.0 · inventaire inventories/site/hosts.yml",
        f"code de sortie 3{NBSP}: un hôte était injoignable ou une tâche a échoué",
        "**CH de Saint-Exemple** · FINESS 2A0001234 · auteur J. Martin",
        f"- **Conformité{NBSP}: 36,8{NBSP}%** (conformes + corrigés + dérogations,",
        f"- Résultats{NBSP}: 5 conformes · 1 corrigé · 1 dérogation · 3 non conformes · 1 erreur"
        " · 8 injoignables · 1 non applicable",
        "- 5 hôtes (dont 2 injoignables), 5 contrôles",
        "## Hôtes\n\n| hôte | conformité | conformes | corrigés | dérogations | non conformes | erreurs |",
        f"| ws-radiology-01 | 75{NBSP}% | 2 | 0 | 1 | 1 | 0 | 0 | 0 |",
        f"| ws-er-07 (injoignable) | 0{NBSP}% |",
        "## Anomalies",
        "- **erreur sur l'hôte** ws-lab-02 · fact gathering was partial",
        "- **injoignable** ws-er-07 · 5 contrôles non vérifiés · ssh: connect",
        "- **non conforme** ws-radiology-01 · WL-SSH-01 ·",
        "- **erreur** ws-lab-02 · WL-EDR-01 ·",
    ):
        assert text in summary, text
    for text in ENGLISH:
        assert text not in summary, text


def test_a_big_french_summary_counts_in_french() -> None:
    text = render_markdown(french(big_report(500, 100)))
    assert "## Hôtes (les 10 sur 500 présentant le plus d'anomalies)" in text
    assert "… et 490 autres hôtes (dont 490 avec des anomalies)" in text
    assert f"- … et 12{NNBSP}339 autres" in text  # thousands apart with a narrow no-break space
    assert "- 500 hôtes (dont " in text and "100 contrôles" in text
    assert len(text.splitlines()) <= 60
    for english in ENGLISH:
        assert english not in text, english


def test_french_singulars_and_an_unfinished_run() -> None:
    report = french(sample_report())
    report["hosts"] = report["hosts"][2:3]
    report["controls"] = report["controls"][:1]
    report["hosts"][0]["results"] = report["hosts"][0]["results"][:1]
    report["run"]["finished"] = None
    text = render_markdown(report)
    assert "→ non terminée" in text
    assert "- 1 hôte (dont 0 injoignable), 1 contrôle" in text
    assert (
        f"Aucune{NBSP}: tous les résultats sont conformes, corrigés, sous dérogation ou non applicables."
        in text
    )


def test_a_run_over_midnight_gives_both_dates() -> None:
    report = french(sample_report())
    report["run"].update(started="2026-11-25T23:59:00+00:00", finished="2026-11-26T00:01:00+00:00")
    assert "— 25 nov. 2026 23:59 UTC → 26 nov. 2026 00:01 UTC" in render_markdown(report)


def test_the_french_backup_table() -> None:
    report = french(_backup_report())
    report["backups"][0]["read_cycle"] = 7
    report["backups"][0]["parts_last_read"] = {"1/7": "2026-12-01T02:00:00+00:00", "2/7": None}
    text = render_markdown(report)
    assert "## Sauvegardes (dernière vérification de chaque jeu)" in text
    assert "| jeu | vérifié le | verdict | âge de l'instantané | restauration de test |" in text
    row = f"| 25 nov. 2026 03:30 UTC | conforme | 4,5{NBSP}h | 2{NBSP}s | 3{NBSP}min | respecte le RTO (4h) |"
    assert "| set0 " + row in text
    assert "| set1 | 25 nov. 2026 03:30 UTC | non conforme |" in text and "| dépasse le RTO (1s) |" in text
    assert "1 déc. 2026 02:00 UTC" in text  # the parts line, in French (labels_fr)
    for english in ENGLISH:
        assert english not in text, english


def test_a_long_french_backup_run() -> None:
    text = render_markdown(french(_backup_report(40)))
    assert "… et 32 autres jeux" in text
    assert "## Hôtes" not in text and "more sets" not in text


def test_english_is_the_default() -> None:
    report = sample_report()
    english = render_markdown(report)
    report["lang"] = "en"
    assert render_markdown(report) == english
    assert "## Hosts" in english and "## Problems" in english


def test_every_french_pattern_keeps_its_placeholders() -> None:
    for english, text in markdown_fr.WORDS.items():
        for name in ("{n}", "{mode}", "{id}", "{rate}", "{counts}", "{hosts}", "{down}", "{controls}"):
            assert (name in english) == (name in text), (english, name)
        assert text.count("|") == english.count("|"), english  # table rows keep their columns


# --- CSV ----------------------------------------------------------------------------------------


def test_french_csv_opens_in_a_french_excel() -> None:
    text = render_csv(french(sample_report()))
    assert text.startswith(BOM) and text.split("\n", 1)[0].endswith("\r")
    table = rows(text, ";")
    assert tuple(table[0]) == COLUMNS_FR
    assert len(COLUMNS_FR) == len(COLUMNS) == len(set(COLUMNS_FR))
    assert COLUMNS_FR[COLUMNS.index("status")] == "Statut" and COLUMNS_FR[COLUMNS.index("host")] == "Hôte"
    assert all(len(row) == len(COLUMNS) for row in table)
    assert "," not in text.split("\r\n", 1)[0]  # the header line: ';' between fields
    records = [dict(zip(COLUMNS, row, strict=True)) for row in table[1:]]
    # Statuses and the other coded values stay the report's own vocabulary.
    assert {r["status"] for r in records} == {
        "pass",
        "fixed",
        "waived",
        "fail",
        "error",
        "unreachable",
        "not_applicable",
    }
    assert {r["reachable"] for r in records} == {"true", "false"}
    assert records[0]["mode"] == "harden" and records[0]["severity"] == "high"
    # A cell with a ';' is quoted and comes back whole.
    assert records[0]["evidence"] == "PermitRootLogin is without-password; expected no"
    assert '"PermitRootLogin is without-password; expected no"' in text


def test_french_csv_keeps_the_defences() -> None:
    report = french(sample_report())
    report["hosts"][0]["results"][0]["evidence"] = '=HYPERLINK("http://x";"y")'
    report["hosts"][0]["name"] = "-2+3"
    table = rows(render_csv(report), ";")
    record = dict(zip(COLUMNS, table[1], strict=True))
    assert record["evidence"] == '\'=HYPERLINK("http://x";"y")'
    assert record["host"] == "'-2+3"
    fixed = next(r for r in table if r[COLUMNS.index("status")] == "fixed")
    assert fixed[COLUMNS.index("evidence")].startswith("'--- before")


def test_french_numbers_take_a_decimal_comma() -> None:
    assert _cell(2.5, "fr") == "2,5"
    assert _cell(2.5, "en") == "2.5"
    assert _cell(3, "fr") == "3"
    assert _cell("12.8", "fr") == "12.8"  # a version is text, not a number


def test_english_csv_is_unchanged() -> None:
    report = sample_report()
    english = render_csv(report)
    report["lang"] = "en"
    assert render_csv(report) == english
    assert tuple(rows(english, ",")[0]) == COLUMNS
