"""The Directory section (issue 24): the directory document the directory_audit role records
(`carehard_directory`) kept as the host's facts["directory"], through the history and ansible-runner
artifacts, into the report: the JSON report's `directories` (schema), the HTML section (English and
French), the Markdown summary; no section without a directory."""

from __future__ import annotations

import copy
import html
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from carehard.catalog import load_catalog
from carehard.engine.results import ResultFolder
from carehard.history import History
from carehard.report import build_report
from carehard.report.directory import directory_entry, risk
from carehard.report.html import render_html
from carehard.report.html_directory import MAX_ACCOUNTS_SHOWN
from carehard.report.markdown import render_markdown
from tests import clirun
from tests.unit.directory_data import AD_RESULTS, DOMAIN, directory_document, directory_host, directory_run
from tests.unit.test_run_diff_and_care import a_run

XSS = "<script>alert(1)</script>"


def validate(report: dict[str, Any]) -> None:
    text = resources.files("carehard.report").joinpath("carehard-report-1.schema.json").read_text("utf-8")
    schema = json.loads(text)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(report)


def text_of(page: str) -> str:
    """The page's text, tags out, entities decoded, spaces squeezed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def section(page: str) -> str:
    found = re.search(r'<h2 id="directory">.*?(?=<h2)', page, flags=re.DOTALL)
    assert found, "no Directory section"
    return found[0]


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    linux = a_run("20261207T080000Z-d1d1d1", "2026-12-07T08:00:00+00:00", {"ws-01": {"WL-SSH-01": "pass"}})
    return build_report(directory_run(*linux.hosts.values()), load_catalog())


# --- the result folder ---------------------------------------------------------------------------


def set_fact(host: str, document: Any, **res: Any) -> dict[str, Any]:
    return {
        "event": "runner_on_ok",
        "event_data": {
            "host": host,
            "task": "Directory document",
            "task_action": "ansible.builtin.set_fact",
            "res": {"changed": False, "ansible_facts": {"carehard_directory": document}, **res},
        },
    }


def test_the_folder_keeps_the_document_as_the_hosts_directory_facts() -> None:
    document = directory_document()
    folder = ResultFolder(True, [])
    folder.feed(set_fact(DOMAIN, document))
    facts = folder.outcomes()[DOMAIN].facts
    assert facts["directory"] == document


def test_the_folder_caps_the_privileged_accounts_it_keeps() -> None:
    document = directory_document()
    document["privileged_accounts"] += [
        dict(a, name=f"x-{i}") for i, a in enumerate(document["privileged_accounts"])
    ]
    document.pop("privileged_accounts_total")
    folder = ResultFolder(True, [])
    folder.feed(set_fact(DOMAIN, document))
    kept = folder.outcomes()[DOMAIN].facts["directory"]
    assert len(kept["privileged_accounts"]) == 200 and kept["privileged_accounts_total"] == 400
    assert len(document["privileged_accounts"]) == 400  # the event's own document untouched


def test_the_folder_ignores_what_is_not_a_document() -> None:
    folder = ResultFolder(True, [])
    folder.feed(set_fact("h", "not a document"))
    folder.feed(set_fact("h", None))
    assert "directory" not in folder.outcomes()["h"].facts


# --- the JSON report -----------------------------------------------------------------------------


def test_the_json_report_has_the_directory_and_validates(report: dict[str, Any]) -> None:
    validate(report)
    (entry,) = report["directories"]
    assert entry["host"] == DOMAIN and entry["domain"] == DOMAIN and entry["netbios"] == "CHU"
    assert entry["counts"]["users"] == 10000 and entry["counts"]["domain_controllers"] == 2
    assert entry["krbtgt_password_age_days"] == 949  # 2024-05-01T10:00 to 2026-12-07T08:00
    assert entry["laps"]["coverage"] == round(1800 / 1990, 4)
    assert entry["policy"]["machine_account_quota"] == 10 and entry["policy"]["complexity"] is True
    accounts = entry["privileged_accounts"]
    assert len(accounts) == 200 and entry["privileged_accounts_total"] == 250
    # The riskiest first: the account without a password and without pre-authentication, then SPNs.
    assert accounts[0]["name"] == "old-admin"
    assert accounts[0]["flags"][:2] == ["password_not_required", "no_preauth"]
    assert "spn" in accounts[1]["flags"]
    assert accounts == sorted(accounts, key=risk)
    disabled = [i for i, a in enumerate(accounts) if a["enabled"] is False]
    assert disabled and min(disabled) > max(i for i, a in enumerate(accounts) if a["enabled"])
    # The host's facts stay the four the schema names; the document is not copied there.
    host = next(h for h in report["hosts"] if h["name"] == DOMAIN)
    assert "directory" not in host["facts"]


def test_no_directory_no_section() -> None:
    run = a_run("20261207T090000Z-e1e1e1", "2026-12-07T09:00:00+00:00", {"ws-01": {"WL-SSH-01": "fail"}})
    report = build_report(run, load_catalog())
    assert "directories" not in report
    validate(report)
    page = render_html(report)
    assert 'id="directory"' not in page and "Directory" not in text_of(page)
    assert "Directory" not in render_markdown(report)
    french = render_html(build_report(run, load_catalog(), lang="fr"))
    assert "Annuaire" not in text_of(french)


def test_an_odd_document_never_breaks_the_report() -> None:
    odd = {
        "domain": ["not", "a", "string"],
        "counts": "many",
        "privileged_accounts": [
            None,
            3,
            {"name": ""},
            {"name": "ok", "flags": ["spn", 7, "Bad Flag"], "groups": 1},
        ],
        "privileged_accounts_total": -4,
        "laps": {"computers": 0, "covered": 0, "legacy_schema": "yes"},
        "policy": {"min_password_length": "7", "complexity": 1},
        "read_at": "yesterday",
        "krbtgt_password_last_set": "2024-05-01",
    }
    entry = directory_entry("odd", odd)
    assert entry["domain"] is None and entry["counts"]["users"] is None
    assert entry["privileged_accounts"] == [
        {
            "name": "ok",
            "kind": None,
            "enabled": None,
            "groups": [],
            "flags": ["spn"],
            "last_logon": None,
            "password_last_set": None,
        }
    ]
    assert entry["privileged_accounts_total"] == 1 and entry["krbtgt_password_age_days"] is None
    assert entry["laps"]["coverage"] is None and entry["policy"]["min_password_length"] == 7
    assert entry["policy"]["complexity"] is None
    run = directory_run()
    run.hosts[DOMAIN].facts["directory"] = odd
    report = build_report(run, load_catalog())
    validate(report)
    assert "ok" in text_of(section(render_html(report)))
    assert "Directory" in render_markdown(report)


# --- the HTML section ----------------------------------------------------------------------------


def test_the_html_section_at_a_glance(report: dict[str, Any]) -> None:
    page = render_html(report)
    part = section(page)
    words = text_of(part)
    assert f"{DOMAIN} (CHU)" in words and "dc1.chu-exemple.fr" in words and "ldaps" in words
    assert "Windows Server 2016 (7)" in words
    assert "9,800 enabled of 10,000" in words and "1,990 enabled of 2,000" in words
    assert "949 days old (changed 2024-05-01)" in words
    assert "at least 7 characters, complexity required, history of 24, expires after 42 days" in words
    assert "never (no lockout threshold)" in words
    assert "legacy LAPS" in words and "1,800 of 1,990 computers (90.5 %)" in words
    # Every AD control's result, linked to the control in the results below.
    for cid, (status, _evidence) in AD_RESULTS.items():
        assert re.search(rf'<a class="b s-{status}" href="#c-{cid}"', part), cid
        assert f'id="c-{cid}"' in page
    assert "4 pass · 18 fail" in words
    # The facts judged by a control carry its result.
    assert re.search(
        r"krbtgt password</th><td>[^<]*</td><td><a class=\"b s-fail dres\" href=\"#c-AD-KRB-01\"", part
    )
    assert re.search(r'href="#c-AD-LAPS-01"[^>]*>AD-LAPS-01 · pass<', part)
    # The privileged accounts: the riskiest first, capped, the rest counted.
    rows = re.findall(r"<tr(?: class=\"dis\")?><td><strong>([^<]+)</strong>", part)
    assert len(rows) == MAX_ACCOUNTS_SHOWN and rows[0] == "old-admin"
    assert f"{MAX_ACCOUNTS_SHOWN} of 250, the riskiest first" in words
    assert f"and {250 - MAX_ACCOUNTS_SHOWN} more privileged accounts (the JSON report lists 200)" in words
    first = re.search(r"<strong>old-admin</strong>.*?</tr>", part, flags=re.DOTALL)
    assert first
    badges = re.findall(r'<span class="fl (fl-\w+)" title="[^"]*">([^<]+)</span>', first[0])
    assert badges[:4] == [
        ("fl-hi", "no password required"),
        ("fl-hi", "no pre-auth"),
        ("fl-mid", "never expires"),
        ("fl-mid", "stale"),
    ]
    assert "Domain Admins" in first[0] and "2023-02-11" in first[0]
    # Per flag, how many of the listed accounts have it, with its control.
    assert re.search(r">SPN</span></td><td class=\"num\">29</td><td><a [^>]*href=\"#c-AD-PRIV-06\"", part)
    assert "Flags counted among the 200 privileged accounts the audit lists." in words


def test_the_html_section_escapes_what_comes_from_the_directory(report: dict[str, Any]) -> None:
    evil = copy.deepcopy(report)
    entry = evil["directories"][0]
    entry["domain"] = XSS
    entry["privileged_accounts"][0]["name"] = XSS
    entry["privileged_accounts"][0]["groups"] = [XSS]
    page = render_html(evil)
    assert XSS not in page and page.count("<script") == 1


def test_the_html_section_in_french() -> None:
    report = build_report(directory_run(), load_catalog(), lang="fr")
    words = text_of(section(render_html(report)))
    for french in (
        "Annuaire",
        "Contrôleur de domaine lu",
        "Contrôles AD de cet annuaire",
        "4 conformes · 18 non conformes",
        "9\u202f800 actifs sur 10\u202f000",
        "âgé de 949 jours (changé le 1 mai 2024)",
        "au moins 7 caractères, complexité exigée, historique de 24, expire après 42 jours",
        "jamais (aucun seuil de verrouillage)",
        "LAPS historique",
        "1\u202f800 ordinateurs sur 1\u202f990 (90,5\u00a0%)",
        "Comptes à privilèges",
        f"{MAX_ACCOUNTS_SHOWN} sur 250, les plus à risque d'abord",
        "et 225 autres comptes à privilèges (le rapport JSON en liste 200)",
        "mot de passe facultatif",
        "sans pré-auth.",
        "n'expire jamais",
        "hors Protected Users",
        "Dernière connexion",
    ):
        assert french in words, french
    for english in (
        "What was read",
        "Privileged accounts",
        "never expires",
        "enabled of",
        "Last logon",
        "stale",
    ):
        assert not re.search(rf"(?<![\w-]){re.escape(english)}(?![\w-])", words), english


# --- the Markdown summary ------------------------------------------------------------------------


def test_the_markdown_summary(report: dict[str, Any]) -> None:
    text = render_markdown(report)
    part = text[text.index("## Directory") :]
    assert part.startswith(f"## Directory: {DOMAIN} (CHU)\n")
    assert "AD controls: 4 pass · 18 fail — failing: AD-ACC-01, AD-ACC-03" in part
    assert "krbtgt password 949 days old" in part and "MachineAccountQuota 10" in part
    assert "Privileged accounts: 250 · no pre-auth 1 · no password required 1 · SPN 29" in part
    assert "The riskiest: old-admin (no password required, no pre-auth," in part
    assert len(part.splitlines()) <= 8
    assert len(text.splitlines()) <= 60


def test_the_markdown_summary_in_french_and_capped() -> None:
    run = directory_run()
    for i in range(4):
        run.hosts[f"dom{i}.example"] = directory_host(f"dom{i}.example", directory_document(accounts=3))
    text = render_markdown(build_report(run, load_catalog(), lang="fr"))
    assert "## Annuaire\u00a0: chu-exemple.fr (CHU)" in text
    assert "Contrôles AD\u00a0: 4 conformes · 18 non conformes" in text
    assert "Les plus à risque\u00a0: old-admin (mot de passe facultatif, sans pré-auth." in text
    assert text.count("## Annuaire") == 3 and "… et 2 autres annuaires" in text


def test_the_markdown_summary_escapes_the_directory() -> None:
    run = directory_run()
    document = directory_document(accounts=3)
    document["domain"] = "[x](http://evil) | <b>"
    document["privileged_accounts"][0]["name"] = "`rm -rf`"
    run.hosts[DOMAIN].facts["directory"] = document
    text = render_markdown(build_report(run, load_catalog()))
    assert "## Directory: \\[x\\](http://evil) \\| \\<b\\> (CHU)" in text
    assert "\\`rm -rf\\` (none)" in text
    assert not re.search(r"(?<!\\)[<`\[|]", text[text.index("## Directory") :])


# --- from the history and from artifacts (`carehard report --run`, `--artifacts`) ---------------


def test_report_from_the_history_has_the_directory(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    run = directory_run()
    History(state / "history.db").save(run)
    out = tmp_path / "out"
    done = clirun.carehard(
        "report",
        "--run",
        run.id,
        "--output",
        out,
        "--format",
        "json,html,md",
        env={"CAREHARD_STATE_DIR": str(state)},
    )
    assert done.returncode == 0, done.stderr
    report = clirun.load_report(out)
    validate(report)
    assert report["directories"][0]["privileged_accounts_total"] == 250
    assert "old-admin" in (out / "report.html").read_text("utf-8")
    assert f"## Directory: {DOMAIN}" in (out / "report.md").read_text("utf-8")


def write_artifacts(root: Path) -> Path:
    """An ansible-runner artifacts directory of an audit of the directory: the read, the fact, two asserts."""
    directory = root / "artifacts" / "5f0c"
    (directory / "job_events").mkdir(parents=True)
    (directory / "command").write_text(
        json.dumps({"command": ["ansible-playbook", "--check", "playbooks/directory_audit.yml"]}), "utf-8"
    )
    events = [
        {"event": "playbook_on_start", "created": "2026-12-07T08:00:00.000000+00:00"},
        set_fact(DOMAIN, directory_document()),
        {
            "event": "runner_on_failed",
            "event_data": {
                "host": DOMAIN,
                "task": "AD-KRB-01 | krbtgt password changed within 365 days",
                "task_action": "ansible.builtin.assert",
                "ignore_errors": True,
                "res": {"failed": True, "msg": AD_RESULTS["AD-KRB-01"][1]},
            },
        },
        {
            "event": "runner_on_ok",
            "event_data": {
                "host": DOMAIN,
                "task": "AD-ACC-05 | the Guest account is disabled",
                "task_action": "ansible.builtin.assert",
                "res": {"changed": False, "msg": AD_RESULTS["AD-ACC-05"][1]},
            },
            "created": "2026-12-07T08:01:00.000000+00:00",
        },
    ]
    for counter, event in enumerate(events, 1):
        event["counter"] = counter
        (directory / "job_events" / f"{counter}-e.json").write_text(json.dumps(event), "utf-8")
    return directory


def test_report_from_artifacts_has_the_directory(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    artifacts = write_artifacts(tmp_path / "runner")
    out = tmp_path / "out"
    done = clirun.carehard(
        "report", "--artifacts", artifacts, "--output", out, env={"CAREHARD_STATE_DIR": str(state)}
    )
    assert done.returncode == 0, done.stderr
    report = clirun.load_report(out)
    validate(report)
    (entry,) = report["directories"]
    assert entry["host"] == DOMAIN and len(entry["privileged_accounts"]) == 200
    page = (out / "report.html").read_text("utf-8")
    part = section(page)
    assert 'href="#c-AD-KRB-01"' in part and 'href="#c-AD-ACC-05"' in part
    assert "1 pass · 1 fail" in text_of(part)
