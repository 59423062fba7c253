"""The HTML report's priorities and reading aids: problems by severity, "What to fix first" with the
fixes and the reference links, the filter bar, the CaRE table over the controls that ran, and the print
layout (English and French pages)."""

from __future__ import annotations

import copy
import html
import json
import re
from importlib import resources
from typing import Any

import jsonschema
import pytest

from carehard.report.html import _PRINT_MATRIX_COLUMNS, render_html
from carehard.report.html_results import (
    BP028_URL,
    CIS_DEBIAN_URL,
    CIS_WINDOWS_URL,
    HYGIENE_URL,
    code_parts,
)
from tests.unit.test_report_html import XSS, _finish, big_report
from tests.unit.test_report_html_fr import visible_text

NBSP, NNBSP = "\u00a0", "\u202f"
BACKUP_EN = "Backup verification is not part of this run: run carehard backup verify"
BACKUP_FR = (
    "La vérification des sauvegardes ne fait pas partie de cette exécution"
    f"{NBSP}: lancer carehard backup verify"
)


def control(
    cid: str,
    severity: str,
    family: str = "workstation_linux",
    care: tuple[str, ...] = ("workstations",),
    platforms: tuple[str, ...] = ("debian", "rhel"),
    **refs: list[str],
) -> dict[str, Any]:
    return {
        "id": cid,
        "title": f"Title of {cid}",
        "family": family,
        "platforms": list(platforms),
        "severity": severity,
        "level": 1,
        "remediation": "automatic",
        "rationale": f"Why {cid} matters.",
        "fix": f"harden sets `{cid.lower()} = yes` in /etc/{cid.lower()}.conf; by hand: the same line.",
        "references": {
            "anssi_hygiene": refs.get("hygiene", []),
            "anssi_bp028": refs.get("bp028", []),
            "cis": refs.get("cis", []),
            "care": list(care),
        },
    }


def result(cid: str, status: str, evidence: str = "") -> dict[str, Any]:
    return {"control": cid, "status": status, "evidence": evidence or f"{cid}: {status}"}


def host(name: str, *results: dict[str, Any]) -> dict[str, Any]:
    facts = {"os": "Debian", "os_version": "12.8", "kernel": "6.1.0-28-amd64", "virtualization": "kvm"}
    return {"name": name, "reachable": True, "facts": facts, "errors": [], "results": list(results)}


def priorities_report(lang: str = "en") -> dict[str, Any]:
    """Five controls that ran on three Linux hosts, of every severity; a Windows control that ran on
    none; a continuity control on the workstations, and no backup verification.

    Expected: critical WL-CRT-01 (1 error), then high WL-HIG-02 (fail on 2 hosts) before WL-HIG-01
    (fail on 1), then low WL-LOW-01 (fail on 3); medium WL-MED-01 only unreachable: not listed.
    """
    controls = [
        control("WL-CRT-01", "critical", hygiene=["37"], bp028=["R33"], cis=["5.1.20"]),
        control("WL-HIG-01", "high", hygiene=["29"]),
        control("WL-HIG-02", "high", cis=["1.5.2", "1.5.3"]),
        control("WL-MED-01", "medium"),
        control("WL-LOW-01", "low"),
        control("WL-CON-01", "medium", care=("continuity",)),
        control("WW-ACC-01", "critical", "workstation_windows", platforms=("windows",), cis=["2.3.1.2"]),
    ]
    hosts = [
        host(
            "ws-01",
            result("WL-CRT-01", "error", "systemctl: command timed out\nsecond line"),
            result("WL-HIG-01", "fail", "PermitRootLogin yes; expected no"),
            result("WL-HIG-02", "fail", "kernel.kptr_restrict = 0"),
            result("WL-MED-01", "pass"),
            result("WL-LOW-01", "fail", "umask 022"),
            result("WL-CON-01", "pass"),
        ),
        host(
            "ws-02",
            result("WL-CRT-01", "pass"),
            result("WL-HIG-01", "pass"),
            result("WL-HIG-02", "fail", "kernel.kptr_restrict = 0"),
            result("WL-MED-01", "pass"),
            result("WL-LOW-01", "fail", "umask 022"),
            result("WL-CON-01", "pass"),
        ),
        host(
            "ws-03",
            result("WL-CRT-01", "pass"),
            result("WL-HIG-01", "pass"),
            result("WL-HIG-02", "pass"),
            result("WL-MED-01", "unreachable", "host unreachable during: sysctl"),
            result("WL-LOW-01", "fail", "umask 002"),
            result("WL-CON-01", "pass"),
        ),
    ]
    report = _finish(
        {
            "schema": "carehard-report/1",
            "run": {
                "id": "20261125T171500Z-3f9a1c",
                "mode": "audit",
                "started": "2026-11-25T17:15:00+00:00",
                "finished": "2026-11-25T17:15:42+00:00",
                "carehard_version": "0.1.0",
                "level": 2,
                "selection": {
                    "inventory": "inventories/site/hosts.yml",
                    "limit": None,
                    "only": [],
                    "skip": [],
                },
                "exit_code": 3,
            },
            "controls": controls,
            "hosts": hosts,
        }
    )
    if lang != "en":
        report["lang"] = lang
    return report


def test_the_sample_is_a_valid_report() -> None:
    text = resources.files("carehard.report").joinpath("carehard-report-1.schema.json").read_text("utf-8")
    validator = jsonschema.Draft202012Validator(json.loads(text), format_checker=jsonschema.FormatChecker())
    validator.validate(priorities_report())
    validator.validate(priorities_report("fr"))


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(priorities_report())


@pytest.fixture(scope="module")
def page_fr() -> str:
    return render_html(priorities_report("fr"))


def tile(page: str, severity: str) -> tuple[str, str]:
    """(number, breakdown) of a severity's tile at the top."""
    found = re.search(
        rf'<li class="t-sev-{severity}"><div class="n">(?:<a [^>]*>)?([^<]*)(?:</a>)?</div>'
        r'<div class="l">[^<]*</div><div class="m">(.*?)</div></li>',
        page,
    )
    assert found, severity
    return found[1], re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", found[2]))).strip()


def fix_order(page: str) -> list[str]:
    return re.findall(r'<li class="fx" data-c="([^"]+)">', page)


# --- problems by severity -------------------------------------------------------------------------


def test_problems_by_severity_at_the_top(page: str) -> None:
    assert page.index("Problems by severity") < page.index("What to fix first") < page.index("By CaRE domain")
    # The Windows control (critical) ran nowhere: it does not count.
    assert tile(page, "critical") == ("1", "1 error on 1 control")
    assert tile(page, "high") == ("3", "3 fail on 2 controls")
    assert tile(page, "medium") == ("1", "1 unreachable on 1 control")
    assert tile(page, "low") == ("3", "3 fail on 1 control")
    # A tile links to its group of "What to fix first", when the group is there.
    assert '<a href="#fix-critical">1</a>' in page and 'id="fix-critical"' in page
    assert 'href="#fix-medium"' not in page and 'id="fix-medium"' not in page


def test_no_problem_at_all() -> None:
    report = priorities_report()
    for h in report["hosts"]:
        for r in h["results"]:
            r["status"] = "pass"
    page = render_html(_finish(report))
    assert tile(page, "critical") == ("0", "no problem")
    assert "No control failed or errored: nothing to fix." in page
    assert fix_order(page) == []


# --- what to fix first ----------------------------------------------------------------------------


def test_what_to_fix_first_by_severity_then_hosts(page: str) -> None:
    assert fix_order(page) == ["WL-CRT-01", "WL-HIG-02", "WL-HIG-01", "WL-LOW-01"]
    assert "Not listed: 1 control whose only problem is an unreachable host." in page
    groups = re.findall(r'<div class="fxgroup" id="fix-(\w+)">', page)
    assert groups == ["critical", "high", "low"]


def entry(page: str, cid: str) -> str:
    found = re.search(rf'<li class="fx" data-c="{cid}">(.*?)</li>\n', page, flags=re.DOTALL)
    assert found, cid
    return found[1]


def test_an_entry_has_its_hosts_evidence_and_fix(page: str) -> None:
    low = entry(page, "WL-LOW-01")
    assert "<strong>Title of WL-LOW-01</strong>" in low and '<span class="b s-fail">3 fail</span>' in low
    assert "<dt>Hosts</dt><dd>ws-01, ws-02, ws-03</dd>" in low
    # Hosts with the same evidence are one line; the first line of the evidence only.
    assert "2 hosts: <code>umask 022</code>" in low and "ws-03: <code>umask 002</code>" in low
    critical = entry(page, "WL-CRT-01")
    assert "ws-01: <code>systemctl: command timed out …</code>" in critical
    assert '<a href="#c-WL-CRT-01">see the control</a>' in critical
    # The fix, its commands as code.
    assert (
        '<dt>How to fix</dt><dd class="fixt">harden sets <code>wl-low-01 = yes</code> in /etc/wl-low-01.conf;'
        " by hand: the same line.</dd>"
    ) in low


def test_many_hosts_and_evidence_groups_are_cut() -> None:
    report = priorities_report()
    template = report["hosts"][0]
    for i in range(20):
        extra = copy.deepcopy(template)
        extra["name"] = f"ws-extra-{i:02d}"
        for r in extra["results"]:
            if r["control"] == "WL-LOW-01":
                r["evidence"] = f"umask 1{i:02d}"
        report["hosts"].append(extra)
    low = entry(render_html(_finish(report)), "WL-LOW-01")
    assert "and 11 more hosts" in low
    assert low.count("<code>umask") == 3 and "and 19 other distinct results" in low


def test_the_fix_text_is_in_every_control_details(page: str) -> None:
    for cid in ("WL-CRT-01", "WL-MED-01", "WW-ACC-01"):
        details = page[page.index(f'<details class="ctl" id="c-{cid}"') :]
        details = details[: details.index("</details>")]
        fix = f"harden sets <code>{cid.lower()} = yes</code> in /etc/{cid.lower()}.conf"
        assert f'<p class="rationale fix"><strong>How to fix:</strong> {fix}' in details


def test_fix_text_is_escaped() -> None:
    report = priorities_report()
    report["controls"][0]["fix"] = f"run `{XSS}` then {XSS}"
    page = render_html(report)
    assert XSS not in page and "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>" in page
    assert page.count("<script") == 1


def test_code_parts() -> None:
    assert code_parts("run `restic check` now") == [("run ", False), ("restic check", True), (" now", False)]
    assert code_parts("an odd ` quote") == [("an odd ` quote", False)]
    assert code_parts("") == []


def test_a_report_without_fix_texts() -> None:
    report = priorities_report()
    for c in report["controls"]:
        del c["fix"]
    page = render_html(report)
    assert "no fix text in this report" in entry(page, "WL-LOW-01")
    assert 'class="rationale fix"' not in page


# --- references -----------------------------------------------------------------------------------


def test_reference_links_name_the_measure(page: str) -> None:
    critical = entry(page, "WL-CRT-01")
    assert (
        f'<a href="{HYGIENE_URL}" title="ANSSI hygiene guide, measure 37" rel="noreferrer">measure 37</a>'
    ) in critical
    assert (
        f'<a href="{BP028_URL}" title="ANSSI BP-028 (GNU/Linux), recommendation R33" rel="noreferrer">R33</a>'
    ) in critical
    assert (
        f'<a href="{CIS_DEBIAN_URL}" title="CIS Debian Linux benchmark, section 5.1.20" rel="noreferrer">'
        "section 5.1.20</a>"
    ) in critical
    assert "ANSSI hygiene guide <a" in critical and "CIS Debian Linux <a" in critical
    # In the control's details, every section its own link; a Windows control links the Windows benchmark.
    assert f'Debian Linux: <a href="{CIS_DEBIAN_URL}"' in page
    assert '">section 1.5.2</a>, <a href=' in page
    windows = page[page.index('<details class="ctl" id="c-WW-ACC-01"') :]
    assert (
        f'Microsoft Windows: <a href="{CIS_WINDOWS_URL}" title="CIS Microsoft Windows benchmark, section'
        ' 2.3.1.2" rel="noreferrer">section 2.3.1.2</a>'
    ) in windows


def test_reference_links_in_french(page_fr: str) -> None:
    title = "Guide d&#39;hygiène informatique de l&#39;ANSSI, mesure 37"
    assert f'<a href="{HYGIENE_URL}" title="{title}" rel="noreferrer">mesure 37</a>' in page_fr
    assert 'title="ANSSI BP-028 (GNU/Linux), recommandation R33"' in page_fr
    assert (
        f'Debian Linux{NBSP}: <a href="{CIS_DEBIAN_URL}" title="Référentiel CIS Debian Linux, section 5.1.20"'
        in (page_fr)
    )


# --- filters --------------------------------------------------------------------------------------


def test_filter_bar(page: str) -> None:
    bar = page[page.index('<div class="fbar noprint" id="filters"') :]
    bar = bar[: bar.index("</div>")]
    # Hidden until the page's script shows it: without JS there is no dead control, and all shows.
    assert 'role="search"' in bar and " hidden>" in bar.split("\n")[0]
    assert '<input type="search" id="f-q"' in bar
    assert re.findall(r'<select id="(f-\w+)">', bar) == ["f-status", "f-sev", "f-fam", "f-host"]
    assert '<option value="problems">fail, error or unreachable</option>' in bar
    assert '<option value="fail">fail</option>' in bar and '<option value="fixed">' not in bar
    assert re.findall(r'<option value="(\w+)">(?:critical|high|medium|low)</option>', bar) == [
        "critical",
        "high",
        "medium",
        "low",
    ]
    assert '<option value="workstation_windows">Windows workstations</option>' in bar
    assert "<option>ws-01</option><option>ws-02</option><option>ws-03</option>" in bar
    assert 'id="f-reset"' in bar and 'data-fmt="{shown} of {total} controls shown' in bar
    # What the filters act on, and nothing hidden yet.
    assert (
        '<details class="ctl" id="c-WL-LOW-01" data-c="WL-LOW-01" data-sev="low" data-fam="workstation_linux"'
        ' data-st="fail" open>'
    ) in page
    assert '<details class="sec fam" id="f-workstation_linux"' in page
    assert 'id="hosts-table"' in page and 'id="mx"' in page
    assert "fx-out" not in page.split("<script>")[0].split("</style>")[1]
    assert page.count("<script") == 1


def test_filter_bar_in_french(page_fr: str) -> None:
    text = visible_text(page_fr)
    for words in ("Rechercher", "tous les statuts", "toutes les gravités", "Famille", "toutes les familles"):
        assert words in text, words
    assert "tous les hôtes" in text and "Réinitialiser" in text
    assert (
        f'data-fmt="{{shown}} contrôles affichés sur {{total}}{NNBSP}; l\'impression les montre tous."'
        in page_fr
    )


# --- CaRE -----------------------------------------------------------------------------------------


def care_row(page: str, label: str) -> str:
    found = re.search(rf"<tr><td>{re.escape(label)}</td>(.*?)</tr>", page)
    assert found, label
    return found[1]


def test_care_counts_only_the_controls_that_ran(page: str) -> None:
    # Six controls refer to the workstations domain; the Windows one ran on no host.
    row = care_row(page, "Workstations and detection")
    assert row.startswith('<td class="num">5</td>')
    assert "1 control of the report ran on no host" in page
    # The 15 results of the five controls that ran: 7 pass, 6 fail, 1 error, 1 unreachable.
    assert row.endswith('<td class="num"><strong>46.7 %</strong></td>')


def test_care_says_when_backups_were_not_verified(page: str) -> None:
    row = care_row(page, "D2 Continuity and recovery")
    assert row.startswith('<td class="num">1</td>') and "100 %" in row
    note = re.search(r'<p class="note" id="care-backups">(.*?)</p>', page)
    assert note and note[1].startswith(BACKUP_EN)
    assert (
        "The row D2 Continuity and recovery counts only the other controls of the domain that ran." in note[1]
    )


def test_care_without_any_continuity_control() -> None:
    report = priorities_report()
    report["controls"] = [c for c in report["controls"] if c["id"] != "WL-CON-01"]
    for h in report["hosts"]:
        h["results"] = [r for r in h["results"] if r["control"] != "WL-CON-01"]
    page = render_html(_finish(report))
    row = care_row(page, "D2 Continuity and recovery")
    assert row.startswith('<td class="num">0</td><td colspan="8" class="muted">' + BACKUP_EN)
    assert 'Continuity and recovery</td><td class="num">0</td><td class="num">' not in page
    assert 'id="care-backups"' not in page


def test_care_with_backup_verification() -> None:
    report = priorities_report()
    report["controls"].append(control("BK-AGE-01", "critical", "backup_verify", care=("continuity",)))
    report["hosts"].append(host("DPI.backup", result("BK-AGE-01", "pass")))
    page = render_html(_finish(report))
    assert "Backup verification is not part of this run" not in page
    assert care_row(page, "D2 Continuity and recovery").startswith('<td class="num">2</td>')


def test_a_backup_control_that_ran_nowhere_is_not_a_verification() -> None:
    """The "Continuity 0 %" of a Linux run: backup controls in the run, an unreachable host without any
    result (so every control shows unreachable there), no backup set verified."""
    report = priorities_report()
    report["controls"].append(control("BK-AGE-01", "critical", "backup_verify", care=("continuity",)))
    down = host("ws-down")
    down.update(reachable=False, errors=["ssh: connect to host ws-down port 22: No route to host"])
    report["hosts"].append(down)
    page = render_html(_finish(report))
    assert BACKUP_EN in page
    row = care_row(page, "D2 Continuity and recovery")
    assert row.startswith('<td class="num">1</td>') and "0 %" not in row.replace("100 %", "")
    assert "2 controls of the report ran on no host" in page
    # Neither is it a problem to fix: only the controls that ran are listed and counted.
    assert "BK-AGE-01" not in "".join(fix_order(page))
    assert tile(page, "critical") == ("2", "1 error · 1 unreachable on 1 control")


def test_care_in_french(page_fr: str) -> None:
    note = re.search(r'<p class="note" id="care-backups">(.*?)</p>', page_fr)
    assert note and html.unescape(note[1]).startswith(BACKUP_FR)
    text = visible_text(page_fr)
    assert (
        "La ligne D2 Continuité et reprise d'activité ne compte que les autres contrôles du domaine" in text
    )
    assert "1 contrôle du rapport n'a été exécuté sur aucun hôte" in text
    assert care_row(page_fr, "Postes de travail et détection").endswith(
        f'<td class="num"><strong>46,7{NBSP}%</strong></td>'
    )


# --- French priorities ----------------------------------------------------------------------------


def test_priorities_in_french(page_fr: str) -> None:
    text = visible_text(page_fr)
    assert "Problèmes par gravité" in text and "À corriger en priorité" in text
    assert tile(page_fr, "critical") == ("1", "1 erreur sur 1 contrôle")
    assert tile(page_fr, "high") == ("3", "3 non conformes sur 2 contrôles")
    assert tile(page_fr, "low") == ("3", "3 non conformes sur 1 contrôle")
    assert fix_order(page_fr) == ["WL-CRT-01", "WL-HIG-02", "WL-HIG-01", "WL-LOW-01"]
    low = entry(page_fr, "WL-LOW-01")
    assert "<dt>Hôtes</dt>" in low and "<dt>Preuve</dt>" in low and "<dt>Pour corriger</dt>" in low
    assert f"2 hôtes{NBSP}: <code>umask 022</code>" in low and "voir le contrôle" in low
    assert f"Non listé{NBSP}: 1 contrôle dont le seul problème est un hôte injoignable." in text
    assert "Pour corriger" in text and "Références" in text
    for english in (
        "What to fix first",
        "Problems by severity",
        "How to fix",
        "see the control",
        "Not listed",
    ):
        assert english not in text, english


# --- print ----------------------------------------------------------------------------------------


def test_print_layout(page: str) -> None:
    style = page[page.index("<style>") : page.index("</style>")]
    assert "@page { size: A4 portrait;" in style and "@page wide { size: A4 landscape;" in style
    assert ".pw { page: wide; }" in style
    assert "details::details-content { content-visibility: visible; }" in style
    assert ".noprint, .screen-only { display: none !important; }" in style
    # The wide sections go to landscape pages; the screen's matrix gives way to the print tables.
    assert '<details class="sec pw" id="matrix"' in page and '<details class="sec pw" id="hosts"' in page
    assert '<div class="mwrap screen-only">\n<table class="matrix" id="mx">' in page
    tables = re.findall(r'<table class="pmx" aria-label="([^"]*)">(.*?)</table>', page, flags=re.DOTALL)
    assert [label for label, _ in tables] == ["Linux workstations · Windows workstations"]
    body = tables[0][1]
    for cid in ("WL-CRT-01", "WL-CON-01", "WW-ACC-01"):
        assert f'<th class="c"><span>{cid}</span></th>' in body
    assert '<tr><th>ws-01</th><td class="s-error">E</td><td class="s-fail">F</td>' in body
    assert '<colgroup span="6" class="fam"></colgroup><colgroup span="1" class="fam"></colgroup>' in body


def test_print_matrix_is_cut_by_family_into_narrow_tables() -> None:
    report = big_report(30, 100)  # WL, RA and BK controls in turn: 34, 33 and 33 of them
    page = render_html(report)
    tables = re.findall(r'<table class="pmx" aria-label="([^"]*)">(.*?)</table>', page, flags=re.DOTALL)
    labels = [label for label, _ in tables]
    assert labels == [
        "Linux workstations",
        "Remote access and remote maintenance",
        "Backups and restore tests",
    ]
    ids = [re.findall(r'<th class="c"><span>([^<]+)</span>', body) for _, body in tables]
    assert all(len(columns) <= _PRINT_MATRIX_COLUMNS for columns in ids)
    assert sorted(cid for columns in ids for cid in columns) == sorted(c["id"] for c in report["controls"])
    assert all(cid.startswith("WL-") for cid in ids[0])
    # A family larger than a page is cut in parts.
    wide = big_report(3, 150)
    labels = re.findall(r'<table class="pmx" aria-label="([^"]*)">', render_html(wide))
    assert labels[:2] == ["Linux workstations, part 1 of 2", "Linux workstations, part 2 of 2"]
    # The unreachable host without results spans its row in every table.
    assert page.count('<td class="s-unreachable span" colspan="34">UNREACHABLE · nothing checked</td>') == 1


def test_print_matrix_in_french(page_fr: str) -> None:
    assert '<table class="pmx" aria-label="Postes de travail Linux · Postes de travail Windows">' in page_fr
    assert '<tr><th>ws-01</th><td class="s-error">E</td><td class="s-fail">NC</td>' in page_fr
    wide = big_report(3, 150)
    wide["lang"] = "fr"
    assert 'aria-label="Postes de travail Linux, partie 1 sur 2"' in render_html(wide)
