"""The judge of the account checks (WL-ACC-12..36): roles/workstation_linux/filter_plugins/
account_checks_judge.py on recorded probe output, and the one probe's shell
(workstation_linux__acc_checks_probe_cmd) rendered with stand-in checks and run by real bash, so that
what it prints is the JSON the judge reads. The plugin is loaded by path, as Ansible loads it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import yaml

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles/workstation_linux"
PLUGIN = ROLE / "filter_plugins/account_checks_judge.py"
MAIN = yaml.safe_load((ROLE / "vars/main.yml").read_text(encoding="utf-8"))


def filters() -> dict[str, Callable[..., Any]]:
    return plugin_filters(PLUGIN)


JUDGE = filters()["carehard_account_checks_judge"]
SELECTED = filters()["carehard_account_checks_selected"]

CHECKS = [
    {
        "id": "WL-ACC-12",
        "title": "Sudo trusts a password 15 minutes at most",
        "expected": "timestamp_timeout=15",
    },
    {"id": "WL-ACC-16", "title": "Passwords cannot be reused", "expected": "remember=24", "applies": "False"},
    {
        "id": "WL-ACC-20",
        "title": "No password was last changed in the future",
        "expected": "no date after today",
    },
    {
        "id": "WL-ACC-34",
        "title": "pam_tmpdir",
        "expected": "pam_tmpdir in the session stack",
        "applies": True,
    },
]
ON = {"WL-ACC-12": True, "WL-ACC-16": True, "WL-ACC-20": "true", "WL-ACC-34": True}

# Recorded from a Debian 12 test host after dirty/accounts.sh (abridged).
RECORDED = {
    "WL-ACC-12": {
        "rc": 0,
        "out": [
            "sudo trusts a password for 60 minutes (timestamp_timeout; negative: until reboot), more than 15"
        ],
        "err": [],
        "missing": [],
    },
    "WL-ACC-20": {
        "rc": 0,
        "out": [
            "kiosk: last password change 2099-01-01, after today (/etc/shadow); check the clock,"
            " then chage -d",
            "ok: every last password change in /etc/shadow is in the past",
        ],
        "err": [],
        "missing": [],
    },
    "WL-ACC-34": {
        "rc": 0,
        "out": [
            "ok: pam_tmpdir is in the session stack (/etc/pam.d/common-session): sessions get"
            " TMPDIR=/tmp/user/<uid>"
        ],
        "err": [],
        "missing": [],
    },
}


def probe(data: Any, rc: int = 0, stderr: str = "") -> dict[str, Any]:
    stdout = data if isinstance(data, str) else json.dumps(data)
    return {"changed": False, "rc": rc, "stdout": stdout, "stderr": stderr}


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def test_pass_fail_and_na_from_a_recorded_probe() -> None:
    items = JUDGE(probe(RECORDED), CHECKS, ["all"], [], ON, [])
    assert [i["id"] for i in items] == ["WL-ACC-12", "WL-ACC-16", "WL-ACC-20", "WL-ACC-34"]
    got = by_id(items)
    assert got["WL-ACC-12"]["status"] == "fail"
    assert got["WL-ACC-12"]["evidence"] == (
        "sudo trusts a password for 60 minutes (timestamp_timeout; negative: until reboot), more than 15."
        " Expected timestamp_timeout=15"
    )
    assert got["WL-ACC-12"]["problems"] == [RECORDED["WL-ACC-12"]["out"][0]]
    assert got["WL-ACC-20"]["status"] == "fail"
    assert "kiosk: last password change 2099-01-01" in got["WL-ACC-20"]["evidence"]
    assert "ok:" not in got["WL-ACC-20"]["evidence"]
    assert got["WL-ACC-34"] == {
        "id": "WL-ACC-34",
        "what": "pam_tmpdir",
        "status": "pass",
        "evidence": RECORDED["WL-ACC-34"]["out"][0][4:],
        "problems": [],
        "fixable": False,
    }
    fixable = by_id(JUDGE(probe(RECORDED), [{**CHECKS[0], "fix": "sudo_write"}, {**CHECKS[2], "fix": ""}]))
    assert [fixable["WL-ACC-12"]["fixable"], fixable["WL-ACC-20"]["fixable"]] == [True, False]
    assert got["WL-ACC-16"]["status"] == "na"
    assert "not applicable" in got["WL-ACC-16"]["what"]


def test_a_missing_package_fails_the_control_but_is_no_problem_for_its_fix_script() -> None:
    data = {
        "WL-ACC-34": {"rc": 0, "out": RECORDED["WL-ACC-34"]["out"], "err": [], "missing": ["libpam-tmpdir"]}
    }
    (item,) = JUDGE(probe(data), CHECKS, ["WL-ACC-34"], [], ON, [])
    assert item["status"] == "fail"
    assert item["evidence"] == "not installed: libpam-tmpdir. Expected pam_tmpdir in the session stack"
    assert item["problems"] == []


def test_unselected_switched_off_and_held_controls() -> None:
    switches = {**ON, "WL-ACC-20": "false"}
    items = by_id(
        JUDGE(probe(RECORDED), CHECKS, ["WL-ACC-12", "WL-ACC-20", "WL-ACC-34"], ["WL-ACC-34"], switches, [])
    )
    assert set(items) == {"WL-ACC-12", "WL-ACC-20"}  # not asked for, or skipped by tag: no item
    assert items["WL-ACC-20"]["status"] == "na"
    assert items["WL-ACC-20"]["what"] == "switched off (workstation_linux_wl_acc_20: false)"
    held = by_id(JUDGE(probe(RECORDED), CHECKS, ["all"], [], ON, ["WL-ACC-12"]))
    assert held["WL-ACC-12"]["status"] == "na" and "waiver" in held["WL-ACC-12"]["what"]
    assert [c["id"] for c in SELECTED(CHECKS, ["all"], [], switches, ["WL-ACC-12"])] == ["WL-ACC-34"]
    assert [c["id"] for c in SELECTED(CHECKS, ["WL-ACC-12"], [], ON, [])] == ["WL-ACC-12"]


def test_no_item_where_the_family_is_not_supported() -> None:
    assert JUDGE({"skipped": True}, CHECKS, ["all"], [], ON, [], supported=False) == []
    # nothing selected: the probe was skipped, the controls asked for are not applicable
    items = JUDGE({"skipped": True}, CHECKS[1:2], ["all"], [], ON, [], supported=True)
    assert [i["status"] for i in items] == ["na"]


def test_a_probe_that_broke_is_an_error_of_each_selected_control() -> None:
    for result, text in (
        (
            probe("", rc=2, stderr="bash: line 3: syntax error"),
            "the account probe exited 2: bash: line 3: syntax error",
        ),
        (
            probe("Traceback (most recent call last)"),
            "printed no JSON document: Traceback (most recent call last)",
        ),
        (probe([1, 2]), "printed list, not a JSON object"),
        ({"failed": True, "msg": "Timeout (12s) waiting for privilege escalation prompt"}, "Timeout (12s)"),
        (None, "did not run"),
    ):
        items = by_id(JUDGE(result, CHECKS, ["all"], [], ON, []))
        assert items["WL-ACC-12"]["status"] == "error", result
        assert text in items["WL-ACC-12"]["evidence"], items["WL-ACC-12"]["evidence"]
        assert items["WL-ACC-16"]["status"] == "na"


def test_a_control_whose_own_probe_broke_or_is_missing_is_an_error() -> None:
    data = {
        "WL-ACC-12": {"rc": 1, "out": ["half"], "err": ["awk: cannot open /etc/shadow"], "missing": []},
        "WL-ACC-34": RECORDED["WL-ACC-34"],
    }
    items = by_id(JUDGE(probe(data), CHECKS, ["all"], [], ON, []))
    assert items["WL-ACC-12"]["status"] == "error"
    assert (
        items["WL-ACC-12"]["evidence"]
        == "the probe of WL-ACC-12 exited 1: awk: cannot open /etc/shadow (stdout: half)"
    )
    assert items["WL-ACC-20"]["evidence"] == "the account probe printed nothing for WL-ACC-20"
    assert items["WL-ACC-34"]["status"] == "pass"


def test_after_a_fix_the_probe_run_again_is_judged() -> None:
    after = {
        **RECORDED,
        "WL-ACC-12": {"rc": 0, "out": ["ok: sudo 1.9.13p3 trusts a password for 15 minutes"]},
    }
    items = by_id(
        JUDGE(
            probe(RECORDED),
            CHECKS,
            ["all"],
            [],
            ON,
            [],
            after=probe(after),
            corrected=["WL-ACC-12", "WL-ACC-20"],
        )
    )
    assert items["WL-ACC-12"]["status"] == "pass"
    assert items["WL-ACC-12"]["evidence"] == (
        "sudo 1.9.13p3 trusts a password for 15 minutes. Corrected: " + RECORDED["WL-ACC-12"]["out"][0]
    )
    assert items["WL-ACC-20"]["evidence"].endswith("Expected no date after today (applied, not effective)")
    # the probe run again was skipped (nothing changed): the first one is judged
    skipped = by_id(JUDGE(probe(RECORDED), CHECKS, ["all"], [], ON, [], after={"skipped": True}))
    assert skipped["WL-ACC-12"]["status"] == "fail"


def render_probe(checks: list[dict[str, Any]]) -> str:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters["quote"] = lambda s: "'" + str(s).replace("'", "'\\''") + "'"
    template = env.from_string(MAIN["workstation_linux__acc_checks_probe_cmd"])
    return template.render(
        workstation_linux__accounts_sh_lib="set -o pipefail", workstation_linux__acc_checks_selected=checks
    )


def test_the_probe_prints_the_json_the_judge_reads(tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "dpkg-query").write_text('#!/bin/sh\n[ "$3" = sudo ] && printf installed\nexit 0\n')
    (fake / "dpkg-query").chmod(0o755)
    checks = [
        {"id": "WL-ACC-12", "probe": 'echo "ok: fine"', "packages": ["sudo", "libpam-tmpdir"]},
        {"id": "WL-ACC-20", "probe": "printf 'a \"quoted\"\\tback\\\\slash\\n\\n'\nexit 0\necho never"},
        {"id": "WL-ACC-34", "probe": "echo half; echo oops >&2; false"},
        {"id": "WL-ACC-35", "probe": "printf 'no newline at the end'"},
    ]
    proc = subprocess.run(
        ["bash", "-c", render_probe(checks)],
        capture_output=True,
        text=True,
        env={"PATH": f"{fake}:/usr/bin:/bin", "PKG_APT": "1"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data == {
        "WL-ACC-12": {"rc": 0, "out": ["ok: fine"], "err": [], "missing": ["libpam-tmpdir"]},
        "WL-ACC-20": {"rc": 0, "out": ['a "quoted"\tback\\slash', ""], "err": [], "missing": []},
        "WL-ACC-34": {"rc": 1, "out": ["half"], "err": ["oops"], "missing": []},
        "WL-ACC-35": {"rc": 0, "out": ["no newline at the end"], "err": [], "missing": []},
    }
    items = by_id(JUDGE(probe(data, stderr=proc.stderr), [{"id": c["id"], "title": c["id"]} for c in checks]))
    assert [items[c]["status"] for c in sorted(items)] == ["fail", "fail", "error", "fail"]
    assert items["WL-ACC-20"]["evidence"] == 'a "quoted"\tback\\slash. Expected '


def test_the_probe_of_every_real_check_is_valid_bash() -> None:
    checks = [{**c, "packages": []} for c in MAIN["workstation_linux__accounts_checks"]]
    proc = subprocess.run(
        ["bash", "-n"], input=render_probe(checks), capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
