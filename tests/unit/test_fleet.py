"""`carehard facts`: the fleet inventory from the history (table, CSV, JSON), and the report's
inventory section and exposure map (HTML, JSON schema)."""

from __future__ import annotations

import copy
import csv
import io
import json
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from carehard.catalog import load_catalog
from carehard.history import History
from carehard.model import ControlResult, HostOutcome, RunRecord
from carehard.report import build_report, fleet
from carehard.report.html import render_html
from tests.clirun import carehard

T0 = "2026-11-20T08:00:00+00:00"  # an old exposure scan
T1 = "2026-11-24T08:00:00+00:00"  # a facts run
T2 = "2026-11-25T08:00:00+00:00"  # an audit (with compliance_facts)
T3 = "2026-11-25T09:00:00+00:00"  # an exposure scan
R0, R1, R2, R3 = (f"2026112{d}T080000Z-00000{d}" for d in range(4))


def fleet_doc(**changes: Any) -> dict[str, Any]:
    """A fleet facts document as the compliance_facts role records it (docs/fleet-facts.md)."""
    doc: dict[str, Any] = {
        "collected_at": "2026-11-25T08:01:00Z",
        "os": {
            "family": "debian",
            "id": "debian",
            "name": "Debian GNU/Linux",
            "version": "12",
            "codename": "bookworm",
            "edition": None,
            "build": None,
            "pretty": "Debian GNU/Linux 12 (bookworm)",
            "kernel": "6.1.0-26-amd64",
            "last_boot": "2026-11-20T08:00:00Z",
            "error": None,
        },
        "updates": {
            "manager": "apt",
            "pending_security": ["openssl", "libssl3"],
            "pending_security_count": 2,
            "last_success": "2026-11-01T10:12:00Z",
            "error": None,
        },
        "listeners": [
            {"proto": "tcp", "address": "0.0.0.0", "port": 3389, "process": "xrdp", "pid": 9, "user": "xrdp"}
        ],
        "detection": [
            {"name": "clamav-daemon", "installed": True, "running": False},
            {"name": "falcon-sensor", "installed": True, "running": True},
        ],
        "admins": {"groups": {"sudo": ["alice", "mallory"]}, "sudoers": [], "all": ["alice", "mallory"]},
        "encryption": {
            "root_encrypted": True,
            "method": "LUKS",
            "devices": ["/dev/mapper/root"],
            "error": None,
        },
        "domain": {"joined": True, "name": "HOPITAL.LOCAL", "kind": "sssd"},
        "time": {"synchronised": False, "source": "chronyd"},
        "evaluation": {
            "support": {
                "status": "supported",
                "ends": "2028-06-30",
                "days_left": 948,
                "table_updated": "2026-11-01",
            },
            "exposed": [
                {
                    "proto": "tcp",
                    "address": "0.0.0.0",
                    "port": 3389,
                    "process": "xrdp",
                    "service": "rdp",
                    "allowed": False,
                },
                {
                    "proto": "tcp",
                    "address": "10.0.0.5",
                    "port": 5432,
                    "process": "postgres",
                    "service": "postgresql",
                    "allowed": True,
                },
            ],
            "undeclared_admins": ["mallory"],
            "detection_ok": True,
        },
    }
    for path, value in changes.items():
        target = doc
        *parents, last = path.split("__")
        for key in parents:
            target = target[key]
        target[last] = value
    return doc


def scan(*ports: tuple[int, str, str | None, bool]) -> dict[str, Any]:
    """A target's facts in an exposure run (`carehard exposure scan`)."""
    return {
        "exposure": {
            "from": "dmz-probe",
            "method": "connect",
            "scanned_at": "2026-11-25T09:00:30Z",
            "ports": [
                {"port": port, "proto": "tcp", "state": state, "service": service, "allowed": allowed}
                for port, state, service, allowed in ports
            ],
        }
    }


def record(run_id: str, started: str, mode: str, hosts: dict[str, dict[str, Any] | None]) -> RunRecord:
    """A run; a host given None was unreachable (no facts)."""
    outcomes = {}
    for name, facts in hosts.items():
        outcome = HostOutcome(name, reachable=facts is not None, facts=dict(facts or {}))
        control = "EX-NET-01" if mode == "exposure" else "IV-ADM-01"
        status = "unreachable" if facts is None else "fail"
        outcome.results[control] = ControlResult(control, status, f"evidence of {name}")
        outcomes[name] = outcome
    return RunRecord(
        id=run_id,
        mode=mode,
        started=started,
        finished=started.replace(":00+", ":30+"),
        carehard_version="0.1.0",
        level=3,
        selection={"inventory": "inventories/site", "limit": None, "only": [], "skip": []},
        controls=["EX-NET-01"] if mode == "exposure" else ["IV-ADM-01"],
        exit_code=3,
        artifacts=None,
        hosts=outcomes,
    )


OLD_DOC = fleet_doc(collected_at="2026-11-24T08:01:00Z", os__version="11", os__pretty="Debian GNU/Linux 11")
WS02_DOC = fleet_doc(
    collected_at="2026-11-24T08:02:00Z",
    evaluation__support={"status": "unsupported", "ends": "2024-06-30", "days_left": -878},
    evaluation__exposed=[],
    evaluation__undeclared_admins=[],
    evaluation__detection_ok=False,
    detection=[],
    admins={"all": ["=cmd|' /C calc'!A0"]},
    encryption={"root_encrypted": False, "method": None},
)


def fill(history: History) -> None:
    history.save(record(R0, T0, "exposure", {"ws-02": scan((3389, "open", "rdp", False))}))
    history.save(record(R1, T1, "facts", {"ws-01": {"fleet": OLD_DOC}, "ws-02": {"fleet": WS02_DOC}}))
    history.save(record(R2, T2, "audit", {"ws-01": {"os": "Debian", "fleet": fleet_doc()}, "ws-02": None}))
    history.save(
        record(
            R3,
            T3,
            "exposure",
            {
                "ws-01": scan(
                    (22, "closed", "ssh", False),
                    (445, "filtered", "smb", False),
                    (3389, "open", "rdp", False),
                    (5900, "open", "vnc", True),
                ),
                "ws-02": scan((22, "open", "ssh", True)),
            },
        )
    )


@pytest.fixture
def state(tmp_path: Path) -> Path:
    directory = tmp_path / "state"
    fill(History(directory / "history.db"))
    return directory


@pytest.fixture
def history(state: Path) -> History:
    return History(state / "history.db")


# --- the history ------------------------------------------------------------------------------------


def test_newest_host_facts_per_host(history: History) -> None:
    with_fleet = history.newest_host_facts(holding="fleet")
    assert {name: f.run_id for name, f in with_fleet.items()} == {"ws-01": R2, "ws-02": R1}
    assert with_fleet["ws-01"].facts["fleet"]["os"]["version"] == "12"
    assert with_fleet["ws-01"].mode == "audit" and with_fleet["ws-01"].reachable
    scans = history.newest_host_facts(mode="exposure")
    assert {name: f.run_id for name, f in scans.items()} == {"ws-01": R3, "ws-02": R3}
    before = history.newest_host_facts(holding="fleet", until=T1)
    assert before["ws-01"].run_id == R1 and before["ws-01"].facts["fleet"]["os"]["version"] == "11"
    assert history.newest_host_facts(mode="exposure", until=T2)["ws-02"].run_id == R0
    assert history.newest_host_facts(mode="exposure", until=T2).get("ws-01") is None
    # Without a filter: each host's row in its newest run, whatever its facts.
    assert {f.run_id for f in history.newest_host_facts().values()} == {R3}


def test_newest_host_facts_empty_and_bad_key(tmp_path: Path, history: History) -> None:
    assert History(tmp_path / "none.db").newest_host_facts(holding="fleet") == {}
    assert not (tmp_path / "none.db").exists()
    with pytest.raises(ValueError, match="not a fact key"):
        history.newest_host_facts(holding="fleet') OR 1=1 --")


# --- rows ---------------------------------------------------------------------------------------------


def test_history_rows(history: History) -> None:
    rows = {r["host"]: r for r in fleet.history_rows(history)}
    assert list(rows) == ["ws-01", "ws-02"]
    one = rows["ws-01"]
    assert set(one) == set(fleet.COLUMNS)
    assert one["os"] == "Debian GNU/Linux 12 (bookworm)" and one["os_version"] == "12"
    assert (one["support"], one["support_ends"], one["support_days_left"]) == ("supported", "2028-06-30", 948)
    assert one["security_updates_pending"] == 2 and one["security_updates"] == ["openssl", "libssl3"]
    assert one["last_update"] == "2026-11-01T10:12:00Z"
    assert one["exposed_services"] == [
        "3389/tcp rdp on 0.0.0.0 (xrdp)",
        "5432/tcp postgresql on 10.0.0.5 (postgres) [allowed]",
    ]
    assert one["reachable_from"] == "dmz-probe"
    assert one["reachable_ports"] == ["3389/tcp rdp", "5900/tcp vnc [allowed]"]
    assert one["detection"] == ["falcon-sensor"] and one["detection_ok"] is True
    assert one["admins"] == ["alice", "mallory"] and one["undeclared_admins"] == ["mallory"]
    assert (one["disk_encryption"], one["domain"], one["time_sync"]) == (
        "LUKS",
        "HOPITAL.LOCAL",
        "no (chronyd)",
    )
    assert (one["collected_at"], one["run_id"]) == ("2026-11-25T08:01:00Z", R2)
    two = rows["ws-02"]
    assert (two["support"], two["support_days_left"], two["run_id"]) == ("unsupported", -878, R1)
    assert two["detection"] == [] and two["detection_ok"] is False and two["disk_encryption"] == "no"
    assert two["reachable_ports"] == ["22/tcp ssh [allowed]"]
    assert fleet.history_rows(history, hosts={"ws-02"})[0]["host"] == "ws-02"


def test_a_row_never_raises_on_an_odd_document() -> None:
    odd = {
        "os": "Plan 9",
        "updates": None,
        "evaluation": [1],
        "detection": {"x": 1},
        "admins": {"all": "root"},
    }
    row = fleet.fleet_row("odd", "r", odd, {"ports": "none", "from": ["x"]})
    assert row["os"] is None and row["support"] == "unknown" and row["admins"] == []
    assert row["reachable_from"] is None and row["reachable_ports"] == []
    bare = fleet.fleet_row("bare", None, None)
    assert bare["support"] is None and not fleet.has_facts(bare)
    counts = fleet.fleet_row(
        "h", "r", fleet_doc(updates__pending_security_count=-1, updates__pending_security=[])
    )
    assert counts["security_updates_pending"] is None


def test_run_rows_fall_back_to_older_facts(history: History) -> None:
    audit = history.load(R2)
    assert audit is not None
    rows = {r["host"]: r for r in fleet.run_rows(history, audit)}
    assert rows["ws-01"]["run_id"] == R2
    assert rows["ws-02"]["run_id"] == R1  # unreachable in the audit: its facts of the day before
    # The audit's rows take the scan before it (R0), not the later R3.
    assert rows["ws-02"]["reachable_ports"] == ["3389/tcp rdp"] and rows["ws-01"]["reachable_from"] is None


# --- the command line (--from-history) ----------------------------------------------------------------


def facts_cli(state: Path, *args: str | Path) -> Any:
    return carehard("facts", "--from-history", *args, env={"CAREHARD_STATE_DIR": str(state)})


def test_cli_csv(state: Path) -> None:
    result = facts_cli(state, "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert not result.stdout.startswith("\ufeff")  # a pipe gets no byte order mark
    rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
    assert rows[0] == list(fleet.COLUMNS)
    assert [r[0] for r in rows[1:]] == ["ws-01", "ws-02"]
    one = dict(zip(rows[0], rows[1], strict=True))
    assert one["security_updates"] == "openssl; libssl3" and one["security_updates_pending"] == "2"
    assert one["exposed_services"] == (
        "3389/tcp rdp on 0.0.0.0 (xrdp); 5432/tcp postgresql on 10.0.0.5 (postgres) [allowed]"
    )
    assert one["admins"] == "alice; mallory" and one["undeclared_admins"] == "mallory"
    assert one["detection_ok"] == "true" and one["support_days_left"] == "948" and one["run_id"] == R2
    two = dict(zip(rows[0], rows[2], strict=True))
    assert two["admins"] == "'=cmd|' /C calc'!A0"  # no formula for a spreadsheet
    assert two["detection"] == "" and two["detection_ok"] == "false" and two["support"] == "unsupported"


def test_cli_json(state: Path) -> None:
    result = facts_cli(state, "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["host"] for r in rows] == ["ws-01", "ws-02"]
    assert rows[0]["security_updates"] == ["openssl", "libssl3"] and rows[0]["support_days_left"] == 948
    assert rows[1]["detection_ok"] is False


def test_cli_table(state: Path) -> None:
    result = facts_cli(state)
    assert result.returncode == 0, result.stderr
    for text in ("ws-01", "ws-02", "mallory", "(undeclared)", "unsupported", "falcon-sensor", "dmz-probe"):
        assert text in result.stdout


def test_cli_output_file_written_whole(state: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "fleet.csv"
    target.parent.mkdir()
    target.write_text("old content that is longer than nothing\n" * 100, encoding="utf-8")
    result = facts_cli(state, "--format", "csv", "--output", target)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the file, for Excel, has the mark
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0][0] == "host" and len(rows) == 3
    assert sorted(p.name for p in target.parent.iterdir()) == ["fleet.csv"]  # no temporary left
    as_json = tmp_path / "out" / "fleet.json"
    assert facts_cli(state, "--format", "json", "--output", as_json).returncode == 0
    assert len(json.loads(as_json.read_text(encoding="utf-8"))) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--output", "x.csv"), "--output writes CSV or JSON"),
        (("--limit", "ws-01"), "--limit with --from-history needs -i"),
        (("--format", "xml"), "'xml' is not one of"),
    ],
)
def test_cli_usage_errors(state: Path, args: tuple[str, ...], message: str) -> None:
    result = facts_cli(state, *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_cli_empty_history(tmp_path: Path) -> None:
    result = facts_cli(tmp_path / "empty")
    assert result.returncode == 0 and "no fleet facts in the history yet" in result.stdout
    as_csv = facts_cli(tmp_path / "empty", "--format", "csv")
    assert list(csv.reader(io.StringIO(as_csv.stdout))) == [list(fleet.COLUMNS)]


def test_cli_run_refuses_a_missing_inventory(tmp_path: Path) -> None:
    result = carehard(
        "facts", "-i", tmp_path / "nope.yml", env={"CAREHARD_STATE_DIR": str(tmp_path / "state")}
    )
    assert result.returncode == 2 and "nope.yml does not exist" in result.stderr


def test_collect_runs_the_facts_playbook_in_check_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from carehard.jobs.facts import FactsJob
    from carehard.jobs.pipeline import RunContext, run_job

    monkeypatch.setenv("CAREHARD_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    seen: dict[str, Any] = {}

    def fake_play(ctx: RunContext, request: Any, controls: list[str], *_: Any, **__: Any) -> Any:
        seen.update(request=request, controls=controls)
        host = HostOutcome("localhost", facts={"fleet": fleet_doc()})
        host.results["IV-ADM-01"] = ControlResult("IV-ADM-01", "fail", "undeclared administrator: mallory")
        return {"localhost": host}, tmp_path / "artifacts"

    monkeypatch.setattr(RunContext, "play", fake_play)
    result = run_job(FactsJob(None, None))
    request = seen["request"]
    assert request.playbook == "compliance_facts.yml" and request.check_mode is True
    assert request.extravars["carehard_mode"] == "facts"
    family = {c.id for c in load_catalog().all() if c.family == "compliance_facts"}
    assert set(seen["controls"]) == family and set(request.tags) == family
    assert result.exit_code == 1 and result.report_files == []
    assert list(tmp_path.iterdir()) == [tmp_path / "state"]  # no report directory
    stored = History(tmp_path / "state" / "history.db").load(result.run.id)
    assert stored is not None and stored.mode == "facts"
    rows = fleet.collected_rows(result.run)
    assert rows[0]["run_id"] == result.run.id and rows[0]["undeclared_admins"] == ["mallory"]


# --- the report -----------------------------------------------------------------------------------------


class Cells(HTMLParser):
    """The rows of one table (by id) as lists of (tag, class, text)."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.depth = table_id, 0
        self.rows: list[list[tuple[str, str, str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and (self.depth or found.get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = [tag, found.get("class") or "", ""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append((self.cell[0], self.cell[1], self.cell[2].strip()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell[2] += data


def table(page: str, table_id: str) -> list[list[tuple[str, str, str]]]:
    parser = Cells(table_id)
    parser.feed(page)
    return parser.rows


def audit_report(history: History, run_id: str = R2) -> dict[str, Any]:
    run = history.load(run_id)
    assert run is not None
    rows, exposure = fleet.report_extras(history, run)
    return build_report(run, load_catalog(), fleet=rows, exposure=exposure)


def test_report_extras_of_an_exposure_run(history: History) -> None:
    report = audit_report(history, R3)
    assert report["exposure"]["run_id"] == R3 and report["exposure"]["from"] == "dmz-probe"
    ports = [(p["port"], p["proto"], p["service"]) for p in report["exposure"]["ports"]]
    assert ports == [(22, "tcp", "ssh"), (445, "tcp", "smb"), (3389, "tcp", "rdp"), (5900, "tcp", "vnc")]
    assert [h["name"] for h in report["exposure"]["hosts"]] == ["ws-01", "ws-02"]
    # The exposure run has no fleet facts: the inventory takes each host's newest before it.
    assert {r["host"]: r["run_id"] for r in report["fleet"]} == {"ws-01": R2, "ws-02": R1}


def test_report_map_takes_the_newest_scan_up_to_the_run(history: History) -> None:
    report = audit_report(history, R2)
    assert report["exposure"]["run_id"] == R0  # R3 came after the audit
    assert [h["name"] for h in report["exposure"]["hosts"]] == ["ws-02"]


def test_html_inventory_and_exposure_map(history: History) -> None:
    page = render_html(audit_report(history, R3))
    inventory = table(page, "inventory-table")
    assert inventory[0][0][2] == "Host" and len(inventory) == 3
    one = {cell[2] for cell in inventory[1]}
    assert "ws-01" in one and "Debian GNU/Linux 12 (bookworm)" in one
    assert any("mallory (undeclared)" in cell[2] for cell in inventory[1])
    assert any(cell[1] == "f-bad" and cell[2] == "none" for cell in inventory[2])  # no detection on ws-02
    assert any("unsupported" in cell[2] and cell[1] == "f-bad" for cell in inventory[2])

    rows = table(page, "xmap")
    assert [cell[2] for cell in rows[0]] == ["Host", "22/tcpssh", "445/tcpsmb", "3389/tcprdp", "5900/tcpvnc"]
    cells = {row[0][2]: [(cls, text) for _, cls, text in row[1:]] for row in rows[1:]}
    assert cells["ws-01"] == [
        ("x-closed", "closed"),
        ("x-filtered", "filtered"),
        ("x-bad", "reachable"),
        ("x-allowed", "reachable"),
    ]
    assert cells["ws-02"] == [("x-allowed", "reachable"), ("x-none", "—"), ("x-none", "—"), ("x-none", "—")]
    assert "1 port reachable that is not allowed" in page


def test_html_escapes_inventory_values(history: History) -> None:
    report = audit_report(history, R3)
    report["fleet"][0]["admins"] = ["<script>alert(1)</script>"]
    report["exposure"]["hosts"][0]["name"] = "<img src=x>"
    page = render_html(report)
    assert "<script>alert(1)</script>" not in page and "<img src=x>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_html_has_no_empty_section(tmp_path: Path) -> None:
    history = History(tmp_path / "h.db")
    history.save(record(R2, T2, "audit", {"ws-01": {"os": "Debian"}}))
    run = history.load(R2)
    assert run is not None
    assert fleet.report_extras(history, run) == (None, None)
    page = render_html(build_report(run, load_catalog(), fleet=None, exposure=None))
    assert 'id="inventory"' not in page and 'id="xmap"' not in page and "Exposure map" not in page
    empty_map: dict[str, Any] = {
        "run_id": R3,
        "from": "x",
        "method": None,
        "scanned_at": None,
        "ports": [],
        "hosts": [],
    }
    assert "exposure" not in build_report(run, load_catalog(), exposure=empty_map)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    text = resources.files("carehard.report").joinpath("carehard-report-1.schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(data)
    return data


def validate(schema: dict[str, Any], report: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(report)


def test_schema_with_and_without_the_new_parts(schema: dict[str, Any], history: History) -> None:
    report = json.loads(json.dumps(audit_report(history, R3)))
    assert "fleet" in report and "exposure" in report
    validate(schema, report)
    older = copy.deepcopy(report)
    del older["fleet"], older["exposure"]
    older["run"]["mode"] = "audit"
    validate(schema, older)
    report["run"]["selection"].update(
        {
            "from": "dmz-probe",
            "ports": [22, 3389],
            "method": "connect",
            "timeout": 2.0,
            "rate": 100,
            "skipped": [],
        }
    )
    validate(schema, report)  # an exposure run's selection
    facts_run = audit_report(history, R1)
    assert facts_run["run"]["mode"] == "facts" and facts_run["controls"][0]["id"] == "IV-ADM-01"
    validate(schema, json.loads(json.dumps(facts_run)))


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda r: r["fleet"][0].update(support="maybe"), id="bad-support"),
        pytest.param(lambda r: r["fleet"][0].pop("admins"), id="missing-column"),
        pytest.param(lambda r: r["fleet"][0].update(extra=1), id="unknown-column"),
        pytest.param(lambda r: r["fleet"][0].update(security_updates="openssl"), id="list-as-text"),
        pytest.param(lambda r: r["exposure"]["hosts"][0]["ports"][0].update(state="up"), id="bad-state"),
        pytest.param(lambda r: r["exposure"]["ports"][0].update(port=70000), id="bad-port"),
        pytest.param(lambda r: r["exposure"].pop("run_id"), id="missing-run"),
    ],
)
def test_schema_rejects_bad_parts(schema: dict[str, Any], history: History, mutate: Any) -> None:
    report = json.loads(json.dumps(audit_report(history, R3)))
    mutate(report)
    with pytest.raises(jsonschema.ValidationError):
        validate(schema, report)
