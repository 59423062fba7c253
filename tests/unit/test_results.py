"""Event folding: one result per (host, control), as the control contract says."""

from __future__ import annotations

from typing import Any

import pytest

from carehard.engine.results import ResultFolder, merge_verification
from carehard.model import redact


def event(
    kind: str, host: str, task: str, action: str = "ansible.builtin.lineinfile", **data: Any
) -> dict[str, Any]:
    res = data.pop("res", {})
    return {
        "event": kind,
        "event_data": {"host": host, "task": task, "task_action": action, "res": res, **data},
    }


def ok(host: str, task: str, changed: bool = False, **kw: Any) -> dict[str, Any]:
    res = kw.pop("res", {})
    res.setdefault("changed", changed)
    return event("runner_on_ok", host, task, res=res, **kw)


def fold(events: list[dict[str, Any]], check_mode: bool = True, controls: tuple[str, ...] = ()) -> Any:
    folder = ResultFolder(check_mode, controls)
    for e in events:
        folder.feed(e)
    return folder.outcomes()


def status(outcomes: Any, host: str, control: str) -> str:
    return str(outcomes[host].results[control].status)


def test_all_ok_is_pass() -> None:
    out = fold(
        [ok("h", "WL-SSH-01 | Set it"), ok("h", "WL-SSH-01 | Check it", action="ansible.builtin.assert")]
    )
    assert status(out, "h", "WL-SSH-01") == "pass"


def test_change_in_check_mode_is_fail_with_diff_evidence() -> None:
    diff = {
        "before": "a\nPermitRootLogin yes\n",
        "after": "a\nPermitRootLogin no\n",
        "before_header": "/etc/ssh/x",
        "after_header": "/etc/ssh/x",
    }
    out = fold(
        [ok("h", "WL-SSH-01 | Disable root login", changed=True, res={"changed": True, "diff": [diff]})]
    )
    result = out["h"].results["WL-SSH-01"]
    assert result.status == "fail"
    assert "would change: Disable root login" in result.evidence
    assert "-PermitRootLogin yes" in result.evidence and "+PermitRootLogin no" in result.evidence


def test_change_in_apply_mode_is_fixed() -> None:
    out = fold([ok("h", "WL-SSH-01 | Disable root login", changed=True)], check_mode=False)
    assert status(out, "h", "WL-SSH-01") == "fixed"
    assert out["h"].results["WL-SSH-01"].evidence.startswith("changed: Disable root login")


def test_failed_assert_is_fail_with_its_message_and_host_goes_on() -> None:
    failed = event(
        "runner_on_failed",
        "h",
        "WL-SSH-02 | Check effective value",
        action="ansible.builtin.assert",
        ignore_errors=True,
        res={"msg": "PasswordAuthentication is yes; expected no"},
    )
    out = fold([failed, ok("h", "WL-SSH-03 | Set it")], controls=("WL-SSH-02", "WL-SSH-03"))
    assert status(out, "h", "WL-SSH-02") == "fail"
    assert out["h"].results["WL-SSH-02"].evidence == "PasswordAuthentication is yes; expected no"
    assert status(out, "h", "WL-SSH-03") == "pass"


def test_module_failure_is_error_and_stops_the_host() -> None:
    broken = event("runner_on_failed", "h", "WL-SSH-01 | Set it", res={"msg": "Permission denied"})
    out = fold([ok("h", "Gathering Facts"), broken], controls=("WL-SSH-01", "WL-SSH-02"))
    assert status(out, "h", "WL-SSH-01") == "error"
    assert "Permission denied" in out["h"].results["WL-SSH-01"].evidence
    assert status(out, "h", "WL-SSH-02") == "error"
    assert "not evaluated" in out["h"].results["WL-SSH-02"].evidence


def test_rescued_failure_ends_only_its_control_and_the_host_goes_on() -> None:
    """A control block's rescue: the failed task's event, then the rescue task, then the next control."""
    events = [
        ok("h", "Gathering Facts", action="gather_facts"),
        event(
            "runner_on_start", "h", "WL-ACC-01 | Install pam_pwquality (apt)", action="ansible.builtin.apt"
        ),
        event(
            "runner_on_failed",
            "h",
            "WL-ACC-01 | Install pam_pwquality (apt)",
            action="ansible.builtin.apt",
            ignore_errors=None,
            res={"msg": "No package matching 'libpam-pwquality' is available"},
        ),
        ok("h", "Go on with the other controls", action="ansible.builtin.debug"),
        ok("h", "WL-ACC-02 | Check password ageing", action="ansible.builtin.assert"),
    ]
    out = fold(events, controls=("WL-ACC-01", "WL-ACC-02", "WL-ACC-03"))
    assert status(out, "h", "WL-ACC-01") == "error"
    assert "No package matching 'libpam-pwquality'" in out["h"].results["WL-ACC-01"].evidence
    assert status(out, "h", "WL-ACC-02") == "pass"
    assert "WL-ACC-03" not in out["h"].results  # not stopped: no "not evaluated" for the others
    assert out["h"].errors == []


def test_a_failure_with_nothing_after_it_still_stops_the_host() -> None:
    broken = event("runner_on_failed", "h", "WL-ACC-04 | Read", res={"msg": "boom"})
    out = fold([ok("h", "WL-ACC-01 | Set it"), broken], controls=("WL-ACC-01", "WL-ACC-04", "WL-SSH-01"))
    assert status(out, "h", "WL-ACC-01") == "pass"
    assert status(out, "h", "WL-ACC-04") == "error"
    assert "at task 'WL-ACC-04 | Read'" in out["h"].results["WL-SSH-01"].evidence


def test_all_skipped_is_not_applicable() -> None:
    out = fold(
        [
            event("runner_on_skipped", "h", "WL-SSH-01 | Set it"),
            event("runner_on_skipped", "h", "WL-SSH-01 | Check"),
        ]
    )
    assert status(out, "h", "WL-SSH-01") == "not_applicable"


def test_unreachable_host_gets_every_selected_control_unreachable() -> None:
    out = fold(
        [
            event(
                "runner_on_unreachable",
                "gone",
                "Gathering Facts",
                action="gather_facts",
                res={"msg": "ssh: connect to host 198.18.0.4 port 22: No route to host", "unreachable": True},
            )
        ],
        controls=("WL-SSH-01", "WL-SYS-01"),
    )
    assert not out["gone"].reachable
    assert {r.status for r in out["gone"].results.values()} == {"unreachable"}
    assert "No route to host" in out["gone"].errors[0]


def test_error_wins_over_fail_and_fail_over_pass() -> None:
    events = [
        ok("h", "WL-SSH-06 | Set ciphers", changed=True),
        ok("h", "WL-SSH-06 | Set MACs"),
        event(
            "runner_on_failed",
            "h",
            "WL-SSH-06 | Check",
            action="ansible.builtin.assert",
            ignore_errors=True,
            res={"msg": "weak MAC"},
        ),
    ]
    assert status(fold(events), "h", "WL-SSH-06") == "fail"
    events.append(
        event("runner_on_failed", "h", "WL-SSH-06 | Set KEX", ignore_errors=True, res={"msg": "boom"})
    )
    assert status(fold(events), "h", "WL-SSH-06") == "error"


def test_facts_are_read_from_the_fact_gathering_event() -> None:
    facts = {
        "ansible_distribution": "Debian",
        "ansible_distribution_version": "12.8",
        "ansible_kernel": "6.1.0",
        "ansible_virtualization_type": "container",
        "ansible_virtualization_role": "guest",
    }
    out = fold([ok("h", "Gathering Facts", action="gather_facts", res={"ansible_facts": facts})])
    assert out["h"].facts["os"] == "Debian"
    assert out["h"].facts["virtualization"] == "container"
    assert out["h"].results == {}


def test_untagged_task_failure_is_a_host_error() -> None:
    out = fold(
        [event("runner_on_failed", "h", "Check the admin connection", res={"msg": "timed out"})],
        controls=("WL-SSH-01",),
    )
    assert out["h"].errors == ["task 'Check the admin connection' failed: timed out"]
    assert status(out, "h", "WL-SSH-01") == "error"


def test_no_log_output_stays_hidden() -> None:
    res = {"msg": "password=hunter2", "censored": "the output has been hidden", "_ansible_no_log": True}
    out = fold([event("runner_on_failed", "h", "WL-SSH-01 | Secret step", res=res)])
    assert "hunter2" not in out["h"].results["WL-SSH-01"].evidence


@pytest.mark.parametrize("text", ["password=hunter2", "token: hunter2", "PASSWD = hunter2"])
def test_redact_hides_secret_values(text: str) -> None:
    assert "hunter2" not in redact(text)


def test_verification_turns_an_ineffective_fix_into_fail() -> None:
    applied = fold(
        [ok("h", "WL-SSH-02 | Set it", changed=True), ok("h", "WL-SSH-04 | Set it", changed=True)],
        check_mode=False,
    )
    verified = fold(
        [
            event(
                "runner_on_failed",
                "h",
                "WL-SSH-02 | Check",
                action="ansible.builtin.assert",
                ignore_errors=True,
                res={"msg": "PasswordAuthentication is yes (set by 50-cloud-init.conf)"},
            ),
            ok("h", "WL-SSH-04 | Set it"),
        ]
    )
    merge_verification(applied, verified)
    assert applied["h"].results["WL-SSH-02"].status == "fail"
    assert applied["h"].results["WL-SSH-02"].evidence.startswith("applied, not effective: ")
    assert applied["h"].results["WL-SSH-04"].status == "fixed"


def test_verification_keeps_the_reason_a_fix_was_refused() -> None:
    refusal = "not changed: nobody is in nosuchgroup; set workstation_linux_ssh_allow_groups"
    check = {"action": "ansible.builtin.assert", "ignore_errors": True}
    guard = event("runner_on_failed", "h", "WL-SSH-09 | Guard", res={"msg": refusal}, **check)
    applied = fold([guard], check_mode=False)
    unset = event("runner_on_failed", "h", "WL-SSH-09 | Check", res={"msg": "AllowGroups unset"}, **check)
    verified = fold([unset])
    merge_verification(applied, verified)
    assert applied["h"].results["WL-SSH-09"].status == "fail"
    assert applied["h"].results["WL-SSH-09"].evidence == refusal


def test_verification_reports_a_control_harden_left_out() -> None:
    """A control held by a waiver runs no task in harden: the verification audit says what it is."""
    applied = fold([ok("h", "WL-SSH-02 | Set it", changed=True)], check_mode=False)
    check = {"action": "ansible.builtin.assert", "ignore_errors": True}
    x11 = event("runner_on_failed", "h", "WL-SSH-04 | Check", res={"msg": "X11Forwarding is yes"}, **check)
    verified = fold([ok("h", "WL-SSH-02 | Check"), x11])
    merge_verification(applied, verified)
    assert applied["h"].results["WL-SSH-04"].status == "fail"
    assert applied["h"].results["WL-SSH-04"].evidence == "X11Forwarding is yes"
    assert applied["h"].results["WL-SSH-02"].status == "fixed"


def test_a_host_stopped_before_its_controls_says_why_on_one_line() -> None:
    """A wrong become password: facts gathering fails, every control says the task and the reason."""
    refused = event(
        "runner_on_failed",
        "h",
        "Gathering Facts",
        action="ansible.builtin.gather_facts",
        res={"msg": "Task failed: Incorrect sudo password"},
    )
    out = fold([refused], controls=("WL-SSH-01", "WL-SSH-02"))
    for control in ("WL-SSH-01", "WL-SSH-02"):
        assert out["h"].results[control].status == "error"
        assert out["h"].results[control].evidence == (
            "not evaluated: the run stopped on this host at task 'Gathering Facts'"
            " (Task failed: Incorrect sudo password)"
        )


def test_a_host_is_reported_on_the_controls_it_was_to_run_only() -> None:
    folder = ResultFolder(False, ["WL-ACC-01"], targets={"h": ["WL-ACC-01"]})
    folder.feed(ok("h", "WL-ACC-01 | Set it", changed=True))
    folder.feed(event("runner_on_skipped", "h", "WL-ACC-11 | Lock root", res={"skipped": True}))
    assert list(folder.outcomes()["h"].results) == ["WL-ACC-01"]
