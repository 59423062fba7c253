"""The judge of the accounts family (WL-ACC-01..11), filter_plugins/accounts_judge.py, on recorded
probe output: pass, fail, not applicable, error, unselected and switched-off controls, evidence.
The plugin is loaded by path, as Ansible loads it, and reached through its registered names."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "roles/workstation_linux/filter_plugins/accounts_judge.py"
IDS = [f"WL-ACC-{n:02d}" for n in range(1, 12)]


def filters() -> dict[str, Callable[..., Any]]:
    return plugin_filters(PLUGIN)


JUDGE = filters()["carehard_accounts_judge"]
PLAN = filters()["carehard_accounts_plan"]
SECTIONS = filters()["carehard_accounts_sections"]

SETTINGS: dict[str, Any] = {
    "run_tags": ["all"],
    "skip_tags": [],
    "supported": True,
    "held": [],
    "switches": {i: True for i in IDS},
    "pwquality_package": "libpam-pwquality",
    "cracklib_package": "cracklib-runtime",
    "pwquality_dictcheck": False,
    "pwquality_minlen": 12,
    "pwquality_minclass": 3,
    "pwquality_retry": 3,
    "pam_password_files": ["/etc/pam.d/common-password"],
    "pam_auth_files": ["/etc/pam.d/common-auth"],
    "pam_account_files": ["/etc/pam.d/common-account"],
    "pass_max_days": 365,
    "pass_min_days": 1,
    "pass_warn_age": 7,
    "faillock_deny": 5,
    "faillock_unlock_time": 900,
    "faillock_enable_cmd": "pam-auth-update --enable carehard-faillock carehard-faillock-notify",
    "shell_exempt": ["root", "sync", "shutdown", "halt"],
    "nologin": "/usr/sbin/nologin",
    "umask": "027",
    "umask_profile_file": "/etc/profile.d/carehard-umask.sh",
    "sudoers_file": "/etc/sudoers.d/carehard",
    "sudo_logfile": "/var/log/sudo.log",
    "admin_groups": ["sudo"],
    "check_mode": True,
    "pwq_enable": {},
    "faillock_enable": {},
    "acc08_write": {},
    "acc09_write": {},
    "login_name": "",
}

DICT = {"dict": False, "dictpath": "/var/cache/cracklib/cracklib_dict", "args": "retry=3"}
PWQ_DIRTY = json.dumps(
    {"module": True, "in_stack": True, "minlen": "", "minclass": "", "credits": 0, "retry": "3"}
    | {"enforce_for_root": "", "dictcheck": ""}
    | DICT
)
PWQ_CLEAN = json.dumps(
    {"module": True, "in_stack": True, "minlen": "12", "minclass": "3", "credits": 0, "retry": "3"}
    | {"enforce_for_root": "set", "dictcheck": "0"}
    | DICT
)

# A fresh Debian 12 test host after dirty/accounts.sh (as the probe prints it).
DIRTY = f"""@@ pwq
{PWQ_DIRTY}
@@ ageing
{{"max": "99999", "min": "0", "warn": "7", "exceeding": "admin (max 99999, min 0)"}}
@@ faillock
{{"preauth": false, "authfail": false, "account": false, "deny": "", "unlock_time": ""}}
@@ uid0
legacy0
@@ empty
kiosk
@@ shells
legacysvc:/bin/bash
@@ login
admin
@@ umask
{{"defs": "022", "defs_ok": false, "profile": "", "profile_ok": false, "live": "0022", "live_ok": false}}
@@ sudo
env_reset, mail_badpass, secure_path=/usr/sbin:/usr/bin, !use_pty
@@ nopasswd
/etc/sudoers.d/admin:1 (admin)
@@ root
{{"status": "P", "admins": "admin"}}
"""

# The same host after harden.
CLEAN = f"""@@ pwq
{PWQ_CLEAN}
@@ ageing
{{"max": "365", "min": "1", "warn": "7", "exceeding": ""}}
@@ faillock
{{"preauth": true, "authfail": true, "account": true, "deny": "5", "unlock_time": "900"}}
@@ uid0
@@ empty
@@ shells
@@ login
admin
@@ umask
{{"defs": "027", "defs_ok": true, "profile": "027", "profile_ok": true, "live": "0027", "live_ok": true}}
@@ sudo
env_reset, use_pty, logfile=/var/log/sudo.log
@@ nopasswd
@@ root
{{"status": "L", "admins": "admin"}}
"""


def probe(stdout: str, rc: int = 0, stderr: str = "") -> dict[str, Any]:
    return {"stdout": stdout, "rc": rc, "stderr": stderr, "changed": False}


def by_id(items: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {i["id"]: i for i in items}


def settings(**changes: Any) -> dict[str, Any]:
    return {**SETTINGS, **changes}


def test_a_dirty_host_fails_every_control_with_what_was_found_and_expected() -> None:
    items = by_id(JUDGE(probe(DIRTY), SETTINGS))
    assert sorted(items) == IDS
    assert {i["status"] for i in items.values()} == {"fail"}
    ev = {k: v["evidence"] for k, v in items.items()}
    assert ev["WL-ACC-01"].startswith(
        "minlen 8 is below 12; minclass 0 is below 3; enforce_for_root is not set"
    )
    assert "the cracklib dictionary /var/cache/cracklib/cracklib_dict is missing" in ev["WL-ACC-01"]
    assert "module arguments: retry=3" in ev["WL-ACC-01"]
    assert (
        "PASS_MAX_DAYS 99999, PASS_MIN_DAYS 0, PASS_WARN_AGE 7; expected PASS_MAX_DAYS <= 365"
        in ev["WL-ACC-02"]
    )
    assert ev["WL-ACC-02"].endswith("(change with chage): admin (max 99999, min 0)")
    assert ev["WL-ACC-03"].startswith("no pam_faillock preauth in the auth stack;")
    assert "deny 3, unlock_time 600 s" in ev["WL-ACC-03"]
    assert "legacy0" in ev["WL-ACC-04"] and "audit-only" in ev["WL-ACC-04"]
    assert "kiosk" in ev["WL-ACC-05"]
    assert "legacysvc:/bin/bash" in ev["WL-ACC-06"] and "Not changed" not in ev["WL-ACC-06"]
    assert "UMASK in /etc/login.defs: 022; in /etc/profile.d/carehard-umask.sh: none" in ev["WL-ACC-07"]
    assert ev["WL-ACC-08"].startswith("use_pty is negated (!use_pty) in the sudo defaults")
    assert 'expected Defaults logfile="/var/log/sudo.log" (/etc/sudoers.d/carehard)' in ev["WL-ACC-09"]
    assert "/etc/sudoers.d/admin:1 (admin)" in ev["WL-ACC-10"]
    assert ev["WL-ACC-11"].startswith("root has a usable password (passwd -S)")
    assert all(i["what"].startswith("Check that") for i in items.values())


def test_a_hardened_host_passes_and_says_what_harden_changed() -> None:
    items = by_id(JUDGE(probe(CLEAN), settings(check_mode=False), probe(DIRTY)))
    assert {k: v["status"] for k, v in items.items()} == dict.fromkeys(IDS, "pass")
    ev = {k: v["evidence"] for k, v in items.items()}
    assert ev["WL-ACC-01"] == (
        "pam_pwquality is in the password stack (/etc/pam.d/common-password); minlen 12, minclass 3"
        " (0 negative credits), retry 3, enforce_for_root set (module arguments: retry=3);"
        " dictionary check off (dictcheck = 0)"
    )
    assert ev["WL-ACC-04"] == "root is the only account with UID 0 in /etc/passwd"
    assert ev["WL-ACC-05"].endswith("; locked now (passwd -l): kiosk")
    assert ev["WL-ACC-06"].endswith("changed to /usr/sbin/nologin: legacysvc:/bin/bash")
    assert ev["WL-ACC-09"] == "sudo logs to /var/log/sudo.log (sudo -ll)"
    assert ev["WL-ACC-11"] == "root's password is locked (passwd -S: L); members of sudo: admin"


def test_a_fix_that_did_not_take_says_so() -> None:
    ctx = settings(
        check_mode=False,
        acc08_write={"changed": True},
        faillock_enable={"rc": 1, "stderr": "pam-auth-update: boom\n", "changed": False},
    )
    items = by_id(JUDGE(probe(DIRTY), ctx, probe(DIRTY)))
    assert items["WL-ACC-08"]["evidence"].endswith(
        "(/etc/sudoers.d/carehard; written, but a later sudoers file or line negates it)"
    )
    assert items["WL-ACC-03"]["evidence"].endswith(
        "s. pam-auth-update --enable carehard-faillock carehard-faillock-notify failed: pam-auth-update: boom"
    )


def test_the_login_account_is_named_when_it_is_a_system_account() -> None:
    out = DIRTY.replace("legacysvc:/bin/bash", "admin:/bin/bash")
    ev = by_id(JUDGE(probe(out), SETTINGS))["WL-ACC-06"]["evidence"]
    assert "Not changed: admin is the account this run logs in with" in ev


def test_only_the_asked_controls_get_an_item_and_the_probe_reads_only_their_sections() -> None:
    chosen = settings(run_tags=["WL-ACC-04", "WL-ACC-06", "WL-ACC-09"], skip_tags=["WL-ACC-09"])
    assert [i["id"] for i in JUDGE(probe(DIRTY), chosen)] == ["WL-ACC-04", "WL-ACC-06"]
    assert SECTIONS(chosen) == "uid0 shells login"
    assert SECTIONS(settings(run_tags=["WL-ACC-08", "WL-ACC-09"])) == "sudo"


def test_switched_off_held_and_unsupported_controls_are_not_applicable() -> None:
    off = settings(switches={**SETTINGS["switches"], "WL-ACC-02": False}, held=["WL-ACC-03"])
    items = by_id(JUDGE(probe(DIRTY), off))
    assert (
        items["WL-ACC-02"]["status"] == "na"
        and "workstation_linux_wl_acc_02: false" in items["WL-ACC-02"]["what"]
    )
    assert items["WL-ACC-03"]["status"] == "na" and "waiver" in items["WL-ACC-03"]["what"]
    assert "pwq" in SECTIONS(off) and "ageing" not in SECTIONS(off) and "faillock" not in SECTIONS(off)
    none = JUDGE({"skipped": True}, settings(supported=False))
    assert {i["status"] for i in none} == {"na"} and len(none) == 11
    assert "no known PAM tool" in none[0]["what"]
    assert SECTIONS(settings(supported="False")) == ""


def test_no_sudo_makes_the_sudo_defaults_not_applicable() -> None:
    out = DIRTY.replace(
        "env_reset, mail_badpass, secure_path=/usr/sbin:/usr/bin, !use_pty", "carehard-no-sudo"
    )
    items = by_id(JUDGE(probe(out), SETTINGS))
    assert items["WL-ACC-08"]["status"] == items["WL-ACC-09"]["status"] == "na"
    assert items["WL-ACC-08"]["what"] == "sudo is not installed"
    assert items["WL-ACC-10"]["status"] == "fail"


@pytest.mark.parametrize(
    ("result", "text"),
    [
        (probe("", rc=2, stderr="bash: boom"), "the accounts probe failed (rc 2): bash: boom"),
        (probe("Traceback: nothing useful"), "the accounts probe printed no section: Traceback"),
        ({"skipped": True}, "the accounts probe did not run"),
        (None, "the accounts probe gave no result"),
    ],
)
def test_a_broken_probe_is_an_error_of_every_selected_control(result: Any, text: str) -> None:
    items = JUDGE(result, SETTINGS)
    assert len(items) == 11 and {i["status"] for i in items} == {"error"}
    assert all(text in i["evidence"] for i in items)


def test_a_section_that_is_no_json_is_an_error_of_its_controls_only() -> None:
    out = DIRTY.replace('{"status": "P", "admins": "admin"}', "passwd: oops")
    out = out.replace("@@ faillock\n", "@@ faillockX\n")
    items = by_id(JUDGE(probe(out), SETTINGS))
    assert (
        items["WL-ACC-11"]["status"] == "error" and "not JSON: passwd: oops" in items["WL-ACC-11"]["evidence"]
    )
    assert (
        items["WL-ACC-03"]["status"] == "error"
        and "section faillock missing" in items["WL-ACC-03"]["evidence"]
    )
    assert items["WL-ACC-01"]["status"] == "fail"


def test_unexpected_values_never_raise() -> None:
    out = DIRTY.replace('"minlen": ""', '"minlen": "x12"').replace('"credits": 0', '"credits": "-"')
    items = by_id(JUDGE(probe(out), SETTINGS))
    assert items["WL-ACC-01"]["status"] == "fail" and "minlen 0 is below 12" in items["WL-ACC-01"]["evidence"]
    assert {i["status"] for i in JUDGE(probe(DIRTY), None)} == {"na"}  # no settings: nothing supported


def test_stricter_values_pass_and_credits_count_as_classes() -> None:
    out = CLEAN.replace(
        '"minlen": "12", "minclass": "3", "credits": 0', '"minlen": "14", "minclass": "", "credits": 4'
    )
    out = out.replace('"deny": "5", "unlock_time": "900"', '"deny": "3", "unlock_time": "0"')
    items = by_id(JUDGE(probe(out), SETTINGS))
    assert items["WL-ACC-01"]["status"] == "pass" and items["WL-ACC-03"]["status"] == "pass"
    deny0 = CLEAN.replace('"deny": "5"', '"deny": "0"')
    assert "deny 0 (never locks)" in by_id(JUDGE(probe(deny0), SETTINGS))["WL-ACC-03"]["evidence"]


def test_the_plan_names_what_each_fix_writes() -> None:
    plan = PLAN(probe(DIRTY), SETTINGS)
    assert [f["line"] for f in plan["pwq_lines"]] == [
        "minlen = 12",
        "minclass = 3",
        "enforce_for_root",
        "dictcheck = 0",
    ]
    assert plan["ageing"] == [{"key": "PASS_MAX_DAYS", "value": 365}, {"key": "PASS_MIN_DAYS", "value": 1}]
    assert plan["faillock"] == [{"key": "unlock_time", "value": 900}] and plan["faillock_in_stack"] is False
    assert plan["empty"] == ["kiosk"] and plan["shells"] == ["legacysvc:/bin/bash"]
    assert (
        plan["use_pty"] is False
        and plan["logfile"] == ""
        and plan["root_status"] == "P"
        and plan["admins"] == "admin"
    )
    assert not plan["umask_defs_ok"] and not plan["umask_profile_ok"]
    clean = PLAN(probe(CLEAN), settings(pwquality_dictcheck=True))
    assert clean["pwq_lines"] == [] and clean["use_pty"] and clean["logfile"] == "/var/log/sudo.log"
    assert PLAN({"skipped": True}, SETTINGS)["empty"] == []
    assert json.dumps(PLAN(probe(DIRTY), SETTINGS))
