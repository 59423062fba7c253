"""The AD- controls (issue 24) as the catalog gives them: the family of the contract, the ANSSI Active
Directory checkpoints each cites (as PingCastle's rules cite them), the platform `directory` (a
directory runs its controls and no others, no other host runs them), their references in the
reports, and domain 1 of the CaRE view, all with the real catalog."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from carehard.catalog import Catalog, load_catalog
from carehard.engine.inventory import InventoryHost
from carehard.engine.plays import Play, batches, host_controls, host_platform, plays_of, runs_on
from carehard.engine.selection import AUDIT_FAMILIES, Selection, select_controls
from carehard.history import History
from carehard.model import ControlResult, HostOutcome, RunRecord
from carehard.report import build_report
from carehard.report.care import care_evidence, host_platforms, load_objectives
from carehard.report.care_document import build_care_document
from carehard.report.csv_report import COLUMNS, render_csv
from carehard.report.html import render_html
from carehard.report.html_results import AD_CHECKLIST_URL, is_reference_url, reference_links
from tests.clirun import carehard

ROOT = Path(__file__).resolve().parents[2]
REPORT_SCHEMA = resources.files("carehard.report").joinpath("carehard-report-1.schema.json")

# The contract's table (/work/w24/CONTRACT.md): these IDs, no others.
CONTRACT_IDS = (
    "AD-KRB-01",
    "AD-PRIV-01",
    "AD-PRIV-02",
    "AD-PRIV-03",
    "AD-PRIV-04",
    "AD-PRIV-05",
    "AD-PRIV-06",
    "AD-ACC-01",
    "AD-ACC-02",
    "AD-ACC-03",
    "AD-ACC-04",
    "AD-ACC-05",
    "AD-ACC-06",
    "AD-ACC-07",
    "AD-DEL-01",
    "AD-DOM-01",
    "AD-DOM-02",
    "AD-DOM-03",
    "AD-LAPS-01",
    "AD-LAPS-02",
    "AD-CMP-01",
    "AD-CMP-02",
)

# Each control's ANSSI checkpoints and level, as read in PingCastle's rules (netwrix/pingcastle,
# PingCastle/Healthcheck/Rules/*.cs, attribute RuleDurANSSI(level, "id", ...)); the rule named is the
# closest to the control. No rule with a RuleDurANSSI: no checkpoint, the level is carehard's own.
ANSSI_AD: dict[str, tuple[tuple[str, ...], int]] = {
    "AD-KRB-01": (("vuln_krbtgt",), 2),  # A-Krbtgt
    "AD-PRIV-01": (("vuln_privileged_members",), 1),  # P-AdminNum
    "AD-PRIV-02": (("vuln_dont_expire_priv",), 1),  # P-ServiceDomainAdmin
    "AD-PRIV-03": ((), 2),  # P-Delegated: none
    "AD-PRIV-04": (("vuln_protected_users",), 3),  # P-ProtectedUsers
    "AD-PRIV-05": (("vuln_user_accounts_dormant",), 1),  # S-Inactive (P-Inactive has none)
    "AD-PRIV-06": (("vuln_spn_priv",), 1),  # P-Kerberoasting
    "AD-ACC-01": (("vuln_kerberos_properties_preauth_priv", "vuln_kerberos_properties_preauth"), 1),
    "AD-ACC-02": (("vuln_reversible_password",), 3),  # S-Reversible
    "AD-ACC-03": (("vuln_kerberos_properties_deskey",), 2),  # S-DesEnabled
    "AD-ACC-04": ((), 2),  # S-PwdNotRequired: none
    "AD-ACC-05": ((), 1),  # A-Guest: none
    "AD-ACC-06": ((), 3),  # A-AdminSDHolder's checkpoint is the opposite case: none
    "AD-ACC-07": (("vuln_user_accounts_dormant",), 1),  # S-Inactive
    "AD-DEL-01": (("vuln_delegation_t4d",), 2),  # P-UnconstrainedDelegation
    "AD-DOM-01": (("vuln_user_accounts_machineaccountquota",), 3),  # S-ADRegistration, ANSSI level 4
    "AD-DOM-02": (("vuln_privileged_members_password",), 2),  # A-MinPwdLen
    "AD-DOM-03": ((), 2),  # no rule
    "AD-LAPS-01": ((), 2),  # A-LAPS-Not-Installed: none
    "AD-LAPS-02": ((), 2),  # none
    "AD-CMP-01": ((), 1),  # S-OS-*: none
    "AD-CMP-02": (("vuln_password_change_inactive_servers",), 3),  # S-C-Inactive
}

DIRECTORY = InventoryHost("chu-example.fr", {"carehard_directory_domain": "chu-example.fr"}, ("directories",))
LINUX = InventoryHost("pc1", {}, ("linux_workstations",))
WINDOWS = InventoryHost("win1", {}, ("windows_workstations",))
# Every role of the site in one play on every host: only the platform then keeps a control off a host.
EVERY_ROLE = Play(
    "all",
    ("workstation_linux", "workstation_windows", "remote_access", "compliance_facts", "directory_audit"),
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def ad_ids(catalog: Catalog) -> list[str]:
    return [c.id for c in catalog.all() if c.family == "directory_audit"]


# --- the catalog ------------------------------------------------------------------------------------


def test_the_directory_family_has_exactly_the_contract_s_controls(catalog: Catalog) -> None:
    assert sorted(ad_ids(catalog)) == sorted(CONTRACT_IDS)
    assert catalog.families["directory_audit"]
    assert "directory_audit" in AUDIT_FAMILIES  # `carehard audit` runs them
    for cid in CONTRACT_IDS:
        control = catalog[cid]
        assert control.platforms == ("directory",), cid
        assert control.remediation == "audit-only", cid
        assert control.references["care"] == ("exposure",), cid
        assert control.references["cis"] == () and control.references["anssi_bp028"] == (), cid
        assert control.fix.startswith("Audit-only.") and control.texts["fr"]["fix"].startswith(
            "Contrôle en audit seul."
        ), cid


def test_each_control_cites_the_checkpoint_and_level_looked_up(catalog: Catalog) -> None:
    found = {cid: (catalog[cid].references["anssi_ad"], catalog[cid].level) for cid in CONTRACT_IDS}
    assert found == ANSSI_AD


def test_every_catalog_id_is_a_control_id_of_the_report_schema(catalog: Catalog) -> None:
    schema = json.loads(REPORT_SCHEMA.read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema["$defs"]["control_id"])
    assert [c.id for c in catalog.all() if not validator.is_valid(c.id)] == []


def test_no_other_control_runs_on_a_directory(catalog: Catalog) -> None:
    others = [c.id for c in catalog.all() if c.family != "directory_audit" and "directory" in c.platforms]
    assert others == []
    assert all(c.id.startswith("AD-") for c in catalog.all() if "directory" in c.platforms)


# --- which host runs what --------------------------------------------------------------------------


def test_a_host_s_platform_comes_from_its_group() -> None:
    assert host_platform(DIRECTORY) == "directory"
    assert host_platform(WINDOWS) == "windows"
    assert host_platform(LINUX) == "linux"
    assert host_platform(InventoryHost("win2", {"ansible_connection": "psrp"}, ("clinic",))) == "windows"
    # A directory is read from the control node: its local connection does not make it Linux.
    local = InventoryHost("ad", {"ansible_connection": "local"}, ("directories",))
    assert host_platform(local) == "directory"
    assert runs_on(("debian", "rhel", "windows"), "linux") and not runs_on(("directory",), "linux")
    assert runs_on(("directory",), "directory") and not runs_on(("debian", "rhel", "windows"), "directory")
    assert not runs_on(("directory",), "windows") and not runs_on(("debian",), "windows")


def test_only_a_directory_is_given_ad_controls_and_a_directory_nothing_else(catalog: Catalog) -> None:
    every = [c.id for c in catalog.all()]
    plays = (EVERY_ROLE,)
    assert set(host_controls(DIRECTORY, plays, catalog, every)) == set(CONTRACT_IDS)
    linux = host_controls(LINUX, plays, catalog, every)
    windows = host_controls(WINDOWS, plays, catalog, every)
    assert linux and not any(c.startswith(("AD-", "WW-")) for c in linux)
    assert windows and not any(c.startswith(("AD-", "WL-")) for c in windows)
    assert {catalog[c].family for c in linux} == {"workstation_linux", "remote_access", "compliance_facts"}


def test_the_site_s_plays_give_a_directory_its_ad_controls_only(catalog: Catalog) -> None:
    """With the site's plays (and the directories play, as playbooks/directory_audit.yml declares it
    when it is not there yet): the AD- controls of the selection on each directory, in a batch of its
    own; no workstation runs one."""
    plays = plays_of("site.yml")
    if not any(p.targets(DIRECTORY) for p in plays):
        plays += (Play("directories", ("carehard", "directory_audit")),)
    selected = [c.id for c in select_controls(catalog, Selection(level=3))]
    assert set(host_controls(DIRECTORY, plays, catalog, selected)) == set(CONTRACT_IDS)
    for host in (LINUX, WINDOWS):
        assert not [c for c in host_controls(host, plays, catalog, selected) if c.startswith("AD-")]
    found = batches([LINUX, DIRECTORY, WINDOWS], plays, catalog, selected, None)
    mine = [b for b in found if DIRECTORY.name in b.controls]
    assert len(mine) == 1 and list(mine[0].controls) == [DIRECTORY.name]
    assert mine[0].limit == DIRECTORY.name
    # Level 2 (the default) leaves out the level 3 checkpoints.
    level2 = [c.id for c in select_controls(catalog, Selection(level=2))]
    assert set(host_controls(DIRECTORY, plays, catalog, level2)) == {
        cid for cid, (_, level) in ANSSI_AD.items() if level <= 2
    }


# --- the references in the reports ----------------------------------------------------------------


def test_a_checkpoint_links_to_its_anchor_on_anssi_s_page(catalog: Catalog) -> None:
    links = reference_links(catalog["AD-ACC-01"].as_dict("en"), "en")
    assert links["anssi_ad"] == [
        {
            "text": "vuln_kerberos_properties_preauth_priv",
            "url": f"{AD_CHECKLIST_URL}#vuln_kerberos_properties_preauth_priv",
            "title": "ANSSI Active Directory checkpoint vuln_kerberos_properties_preauth_priv",
        },
        {
            "text": "vuln_kerberos_properties_preauth",
            "url": f"{AD_CHECKLIST_URL}#vuln_kerberos_properties_preauth",
            "title": "ANSSI Active Directory checkpoint vuln_kerberos_properties_preauth",
        },
    ]
    french = reference_links(catalog["AD-KRB-01"].as_dict("fr"), "fr")["anssi_ad"]
    assert french[0]["title"] == "Point de contrôle Active Directory de l'ANSSI vuln_krbtgt"
    assert reference_links(catalog["WL-SSH-01"].as_dict(), "en")["anssi_ad"] == []
    # A value that is no checkpoint never reaches an address.
    hostile = {"id": "AD-X-01", "references": {"anssi_ad": ['vuln_x" onclick="alert(1)', "../x"]}}
    assert reference_links(hostile)["anssi_ad"] == []


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        (f"{AD_CHECKLIST_URL}#vuln_krbtgt", True),
        (AD_CHECKLIST_URL, True),
        ("https://cyber.gouv.fr/publications/guide-dhygiene-informatique", True),
        (f"{AD_CHECKLIST_URL}#top", False),
        (f"{AD_CHECKLIST_URL}#vuln_krbtgt x", False),
        ("https://example.org/#vuln_krbtgt", False),
        ("https://cyber.gouv.fr/publications/guide-dhygiene-informatique#vuln_krbtgt", False),
    ],
)
def test_only_the_references_documents_are_reference_urls(url: str, ok: bool) -> None:
    assert is_reference_url(url) is ok


def directory_run() -> RunRecord:
    """An audit of one directory (AD- results, with the directory document's facts) and one Linux
    workstation, as the result folder records them."""
    ad_results = {cid: ControlResult(cid, "pass", "ok") for cid in CONTRACT_IDS}
    ad_results["AD-PRIV-06"] = ControlResult(
        "AD-PRIV-06", "fail", "1 privileged account with a servicePrincipalName: svc-sql"
    )
    hosts = {
        "chu-example.fr": HostOutcome(
            "chu-example.fr",
            facts={"directory": {"schema": "carehard-directory/1", "domain": "chu-example.fr"}},
            results=ad_results,
        ),
        "pc1": HostOutcome(
            "pc1",
            facts={"os_family": "Debian"},
            results={"WL-SSH-01": ControlResult("WL-SSH-01", "pass", "PermitRootLogin no")},
        ),
    }
    return RunRecord(
        id="20261207T080000Z-ad0001",
        mode="audit",
        started="2026-12-07T08:00:00+00:00",
        finished="2026-12-07T08:01:00+00:00",
        carehard_version="test",
        level=3,
        selection={"inventory": "site", "limit": None, "only": [], "skip": []},
        controls=[*CONTRACT_IDS, "WL-SSH-01"],
        exit_code=1,
        hosts=hosts,
    )


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_report_carries_the_checkpoints_in_every_format(catalog: Catalog, lang: str) -> None:
    report = build_report(directory_run(), catalog, lang=lang)
    by_id = {c["id"]: c for c in report["controls"]}
    assert by_id["AD-PRIV-06"]["references"]["anssi_ad"] == ["vuln_spn_priv"]
    assert by_id["WL-SSH-01"]["references"]["anssi_ad"] == []
    validator = jsonschema.Draft202012Validator(json.loads(REPORT_SCHEMA.read_text("utf-8")))
    validator.validate(report)
    # An older report, without the kind, is still valid.
    older = json.loads(json.dumps(report))
    for control in older["controls"]:
        del control["references"]["anssi_ad"]
    validator.validate(older)

    page = render_html(report)
    label = "Points de contrôle AD de l'ANSSI" if lang == "fr" else "ANSSI AD checklist"
    # In "What to fix first" beside the other references, and in the control's details.
    assert f'<span class="ref">{label} <a href="{AD_CHECKLIST_URL}#vuln_spn_priv"' in page
    assert f'<dt>{label}</dt><dd><a href="{AD_CHECKLIST_URL}#vuln_spn_priv"' in page

    text = render_csv(report).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if lang == "fr" else ","))
    records = [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]
    spn = next(r for r in records if r["control"] == "AD-PRIV-06")
    assert spn["anssi_ad"] == "vuln_spn_priv" and spn["status"] == "fail" and spn["care"] == "exposure"
    preauth = next(r for r in records if r["control"] == "AD-ACC-01")
    assert preauth["anssi_ad"] == "vuln_kerberos_properties_preauth_priv;vuln_kerberos_properties_preauth"


def test_controls_show_names_the_checkpoints() -> None:
    shown = carehard("controls", "show", "ad-priv-06")
    assert shown.returncode == 0, shown.stderr
    assert "ANSSI AD checklist" in shown.stdout and "vuln_spn_priv" in shown.stdout
    assert "directory" in shown.stdout
    family = carehard("controls", "list", "--family", "directory_audit", "--format", "json")
    listed = json.loads(family.stdout)
    assert [c["id"] for c in listed] == sorted(CONTRACT_IDS)
    assert listed[0]["references"]["anssi_ad"] is not None


# --- the CaRE view ----------------------------------------------------------------------------------


def test_the_care_view_shows_the_directory_audit_under_domain_1(catalog: Catalog, tmp_path: Path) -> None:
    history = History(tmp_path / "history.db")
    run = directory_run()
    history.save(run)
    assert host_platforms(run.hosts["chu-example.fr"], catalog) == {"directory"}
    factless = HostOutcome("x", results=run.hosts["chu-example.fr"].results)  # its results tell it
    assert host_platforms(factless, catalog) == {"directory"}
    assert host_platforms(run.hosts["pc1"], catalog) == {"linux"}

    objectives = load_objectives(ROOT / "docs" / "care-objectives.example.yml", catalog)
    evidence = care_evidence(history, catalog, objectives=objectives)
    assert evidence.platforms == {"directory", "linux"}
    d1 = next(d for d in evidence.domains if d.domain == "exposure")
    assert "Active Directory" in d1.title
    states = {c.id: c.counts for c in d1.controls}
    assert set(CONTRACT_IDS) <= set(states)
    assert states["AD-PRIV-06"] == {"fail": 1} and states["AD-KRB-01"] == {"pass": 1}
    objective = next(o for o in evidence.objectives if o.id == "D1.01.A")
    assert sorted(c.id for c in objective.controls) == sorted(CONTRACT_IDS)

    document = build_care_document(evidence, catalog, lang="fr")
    section = next(d for d in document["domains"] if d["domain"] == "exposure")
    spn = next(c for c in section["controls"] if c["id"] == "AD-PRIV-06")
    assert spn["state"] == "non_compliant" and spn["title"] == catalog["AD-PRIV-06"].texts["fr"]["title"]
    assert document["platforms"] == ["directory", "linux"]


def test_an_ad_control_no_directory_reported_says_why(catalog: Catalog, tmp_path: Path) -> None:
    history = History(tmp_path / "history.db")
    run = directory_run()
    del run.hosts["chu-example.fr"]
    history.save(run)
    document = build_care_document(care_evidence(history, catalog), catalog)
    section = next(d for d in document["domains"] if d["domain"] == "exposure")
    reasons = {c["id"]: c["not_covered"] for c in section["controls"]}
    assert {reasons[cid] for cid in CONTRACT_IDS} == {"directory"}
