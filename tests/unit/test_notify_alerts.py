"""When a run calls for an alert (against a real SQLite history), and what the alert says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from carehard.history import History
from carehard.model import ControlResult, HostOutcome, RunRecord
from carehard.notify import alert_for
from carehard.notify.message import MAX_EVIDENCE, MAX_ITEMS, alert_kind, build_alert, previous_run
from carehard.notify.settings import parse_notify

BACKUP_PASSWORD = "restic-B4ckup-pw-9912"
SMTP_PASSWORD = "smtp-pw-77aa-secret"
HOOK_URL = "https://chat.example.org/hooks/abcd-hook-token-1234"


def run(
    number: int,
    exit_code: int,
    mode: str = "audit",
    inventory: str = "site",
    only: list[str] | None = None,
    results: dict[str, dict[str, tuple[str, str]]] | None = None,
) -> RunRecord:
    hosts = {}
    for name, controls in (results or {"ws-01": {"WL-SSH-01": ("pass", "")}}).items():
        host = HostOutcome(name)
        for control, (status, evidence) in controls.items():
            host.results[control] = ControlResult(control, status, evidence)
        hosts[name] = host
    return RunRecord(
        id=f"2026112{number}T000000Z-{number:06d}",
        mode=mode,
        started=f"2026-11-2{number}T00:00:00+00:00",
        finished=f"2026-11-2{number}T00:01:00+00:00",
        carehard_version="test",
        level=2,
        selection={"inventory": inventory, "limit": None, "only": only or [], "skip": []},
        controls=sorted({c for h in hosts.values() for c in h.results}),
        exit_code=exit_code,
        hosts=hosts,
    )


@pytest.fixture
def history(tmp_path: Path) -> History:
    return History(tmp_path / "history.db")


@pytest.mark.parametrize(
    ("when", "outcome", "previous", "kind"),
    [
        ("failure", "failed", None, "FAILED"),
        ("failure", "failed", "failed", "FAILED"),
        ("failure", "error", "ok", "ERROR"),
        ("failure", "ok", "failed", "RECOVERED"),
        ("failure", "ok", "error", "RECOVERED"),
        ("failure", "ok", "ok", None),
        ("failure", "ok", None, None),
        ("always", "ok", None, "OK"),
        ("always", "ok", "ok", "OK"),
        ("always", "ok", "failed", "RECOVERED"),
    ],
)
def test_alert_kind(when: str, outcome: str, previous: str | None, kind: str | None) -> None:
    assert alert_kind(when, outcome, previous) == kind


def test_recovery_is_against_the_previous_run_of_the_same_kind(history: History) -> None:
    settings = parse_notify({"syslog": {}})
    failed = run(1, 1, results={"ws-01": {"WL-SSH-01": ("fail", "PermitRootLogin yes")}})
    history.save(failed)
    alert = alert_for(settings, failed, [], history)
    assert alert is not None and alert.kind == "FAILED" and alert.previous is None
    # Other kinds in between: another inventory, harden, a one-off --only: none of them count.
    for other in (
        run(2, 0, inventory="lab"),
        run(3, 0, mode="harden"),
        run(4, 0, only=["WL-SSH-01"]),
    ):
        history.save(other)
        assert alert_for(settings, other, [], history) is None  # first passing run of its kind
    passed = run(5, 0)
    history.save(passed)
    assert previous_run(history, passed) == history.load(failed.id)
    alert = alert_for(settings, passed, [], history)
    assert alert is not None and alert.kind == "RECOVERED"
    assert alert.previous == (failed.id, "failed")
    assert alert.subject == "carehard audit: RECOVERED — every control passes (1 host)"
    again = run(6, 0)
    history.save(again)
    assert alert_for(settings, again, [], history) is None


def test_the_message_names_failures_hosts_evidence_and_reports() -> None:
    failed = run(
        1,
        3,
        results={
            "ws-01": {"WL-SSH-01": ("fail", "PermitRootLogin yes; expected no"), "WL-SYS-01": ("pass", "")},
            "ws-02": {"WL-SSH-01": ("error", "sshd -T broke: exit 255")},
        },
    )
    failed.hosts["ws-03"] = HostOutcome("ws-03", reachable=False, errors=["unreachable: no route to host"])
    alert = build_alert("ERROR", failed, [Path("/srv/r/report.html"), "/srv/r/report.json"], None)
    assert alert.subject == "carehard audit: ERROR — 3 problems on 3 hosts (WL-SSH-01, unreachable)"
    body = alert.body()
    for expected in (
        "run: 20261121T000000Z-000001",
        "inventory: site",
        "exit code: 3 (a host was unreachable or a task broke)",
        "- WL-SSH-01 on ws-01 (fail): PermitRootLogin yes; expected no",
        "- WL-SSH-01 on ws-02 (error): sshd -T broke: exit 255",
        "- host ws-03 (unreachable): unreachable: no route to host",
        "  /srv/r/report.html",
        "  /srv/r/report.json",
    ):
        assert expected in body, (expected, body)
    assert "WL-SYS-01" not in body
    lines = alert.syslog_lines()
    assert lines[0].startswith(
        "audit ERROR run=20261121T000000Z-000001 exit=3 failed=3 hosts=ws-01,ws-02,ws-03"
    )
    assert len(lines) == 4


def test_long_evidence_and_many_failures_are_cut() -> None:
    many = {f"ws-{n:03d}": {"WL-SSH-01": ("fail", "x" * 5000)} for n in range(MAX_ITEMS + 7)}
    alert = build_alert("FAILED", run(1, 1, results=many), [], None)
    assert len(alert.failures) == MAX_ITEMS and alert.omitted == 7
    body = alert.body()
    assert "and 7 more (see the report)" in body
    assert max(len(line) for line in body.splitlines()) < MAX_EVIDENCE + 60
    assert (
        alert.subject == f"carehard audit: FAILED — {MAX_ITEMS + 7} problems on {MAX_ITEMS} hosts (WL-SSH-01)"
    )
    assert "and 47 more" in alert.short_text()
    assert alert.structured()["omitted"] == 7


def test_a_backup_alert_names_the_sets() -> None:
    results = {
        "PACS.backup": {"BK-RPO-01": ("fail", "newest snapshot 3 days old; RPO 24h")},
        "RIS.backup": {"BK-RST-01": ("fail", "restore failed")},
        "DPI.backup": {"BK-RPO-01": ("pass", "")},
    }
    verify = run(1, 1, mode="backup", results=results)
    verify.hosts["PACS.backup"].facts["restore_host"] = "bk-restore-01"
    alert = build_alert("FAILED", verify, [], None)
    assert alert.subject == "carehard backup verify: FAILED — 2 sets failed (PACS, RIS)"
    assert "- set PACS, BK-RPO-01 on bk-restore-01 (fail): newest snapshot 3 days old" in alert.body()
    assert alert.structured()["failures"][0] == {
        "host": "bk-restore-01",
        "control": "BK-RPO-01",
        "status": "fail",
        "evidence": "newest snapshot 3 days old; RPO 24h",
        "set": "PACS",
    }


def test_no_delivered_text_carries_a_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The secrets carehard knows (SMTP password, hook URL and header values, the environment's
    passwords such as a backup set's password_env) and what looks like one in evidence."""
    monkeypatch.setenv("PACS_RESTIC_PASSWORD", BACKUP_PASSWORD)
    password_file = tmp_path / "pw"
    password_file.write_text(SMTP_PASSWORD, encoding="utf-8")
    settings = parse_notify(
        {
            "email": {
                "host": "127.0.0.1",
                "username": "u@example.org",
                "password_file": str(password_file),
                "from": "u@example.org",
                "to": ["dsi@example.org"],
            },
            "webhook": {"url": HOOK_URL, "headers": {"Authorization": "Bearer hdr-token-5566"}},
        }
    )
    leaky = {
        "PACS.backup": {
            "BK-RST-01": ("fail", f"restic said: wrong password {BACKUP_PASSWORD} for the repository"),
            "BK-CHK-01": ("error", f"posting to {HOOK_URL} with {SMTP_PASSWORD} and hdr-token-5566"),
            "BK-OFF-01": ("fail", "env had password=Plain-Text-Pw-1 and $ANSIBLE_VAULT;1.1;AES256 3061"),
        }
    }
    alert = build_alert("FAILED", run(1, 1, mode="backup", results=leaky), [], None, settings.secrets())
    import json

    delivered: dict[str, Any] = {
        "subject": alert.subject,
        "body": alert.body(),
        "text": alert.short_text(),
        "json": json.dumps(alert.structured()),
        "syslog": "\n".join(alert.syslog_lines()),
    }
    for name, text in delivered.items():
        for secret in (
            BACKUP_PASSWORD,
            SMTP_PASSWORD,
            HOOK_URL,
            "abcd-hook-token",
            "hdr-token-5566",
            "Plain-Text",
        ):
            assert secret not in text, (name, secret)
    assert "restic said: wrong password ******** for the repository" in alert.body()


def test_an_alert_in_french() -> None:
    failed = run(1, 3, results={"ws-01": {"WL-SSH-01": ("fail", "PermitRootLogin yes; expected no")}})
    failed.hosts["ws-02"] = HostOutcome("ws-02", reachable=False, errors=["unreachable: no route to host"])
    alert = build_alert("ERROR", failed, ["/srv/r/report.html"], None, lang="fr")
    assert alert.subject == "carehard audit: ERREUR — 2 problèmes sur 2 hôtes (WL-SSH-01, unreachable)"
    body = alert.body()
    for expected in (
        "carehard audit sur ",
        "exécution : 20261121T000000Z-000001",
        "inventaire : site",
        "code de sortie : 3 (un hôte était injoignable ou une tâche a échoué)",
        "Échecs (2) :",
        "- WL-SSH-01 sur ws-01 (fail): PermitRootLogin yes; expected no",
        "- hôte ws-02 (unreachable): unreachable: no route to host",
        "Rapports :",
    ):
        assert expected in body, (expected, body)
    assert "inventory:" not in body and "Failures" not in body
    assert "exécution 20261121T000000Z-000001 sur " in alert.short_text()
    # What machines read keeps its English keys.
    assert alert.syslog_lines()[0].startswith("audit ERROR run=")
    assert alert.structured()["alert"] == "ERROR"
    backups = run(1, 1, mode="backup", results={"PACS.backup": {"BK-RST-01": ("fail", "restore failed")}})
    assert (
        build_alert("FAILED", backups, [], None, lang="fr").subject
        == "carehard backup verify: ÉCHEC — 1 jeu en échec (PACS)"
    )
