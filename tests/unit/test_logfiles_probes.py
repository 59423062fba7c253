"""The shell probes of WL-PERM-01/02 (one probe, its sections) and WL-JRN-05
(roles/workstation_linux/vars/main.yml), run for real
with bash on files made here: what they print is what the controls judge and fix."""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
VARS = yaml.safe_load((ROOT / "roles/workstation_linux/vars/main.yml").read_text(encoding="utf-8"))
ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


def run(script: str, **env: str) -> str:
    proc = subprocess.run(
        ["bash", "-c", script], env={**os.environ, **env}, capture_output=True, text=True, check=True
    )
    return proc.stdout


def test_the_permission_probe_takes_away_only_the_bits_beyond_the_maximum(tmp_path: Path) -> None:
    too_open = tmp_path / "shadow"
    too_open.write_text("x")
    too_open.chmod(0o664)
    stricter = tmp_path / "passwd"
    stricter.write_text("x")
    stricter.chmod(0o600)
    spec = "\n".join(
        [
            f"WL-PERM-01|{too_open}|0640|{ME}|nogroup-here,{MY_GROUP}",
            f"WL-PERM-01|{stricter}|0644|{ME}|{MY_GROUP}",
            f"WL-PERM-01|{tmp_path / 'opasswd'}|0600|{ME}|{MY_GROUP}",
            f"WL-CRON-02|{tmp_path}|0700|{ME}|wheel-here",
        ]
    )
    tmp_path.chmod(0o755)
    out = run(VARS["workstation_linux__perm_probe_cmd"], CAREHARD_SPEC=spec, FILES_ON="yes", LOGS_ON="no")
    assert out.splitlines()[-1] == "files-done"
    keys = ("id", "state", "owner", "group", "mode", "max", "want_owner", "want_group", "want_mode", "groups")
    files = [
        dict(zip(keys, line.split("|", 11)[1:11], strict=True), path=line.split("|", 11)[11])
        for line in out.splitlines()
        if line.startswith("file|")
    ]
    by_path = {f["path"]: f for f in files}
    shadow = by_path[str(too_open)]
    assert (shadow["state"], shadow["mode"], shadow["want_mode"]) == ("bad", "0664", "0640")
    assert shadow["want_group"] == MY_GROUP  # an allowed group is kept
    passwd = by_path[str(stricter)]
    assert (passwd["state"], passwd["want_mode"]) == ("ok", "0600")  # stricter than asked: kept
    assert by_path[str(tmp_path / "opasswd")]["state"] == "absent"
    directory = by_path[str(tmp_path)]
    assert directory["state"] == "bad"
    assert (directory["want_mode"], directory["want_group"]) == ("0700", "wheel-here")  # first allowed group


def test_the_log_file_probe_applies_the_first_matching_rule(tmp_path: Path) -> None:
    (tmp_path / "apt").mkdir()
    modes = {"wtmp": 0o664, "dpkg.log": 0o644, "apt/history.log": 0o640, "btmp.1": 0o666}
    for name, mode in modes.items():
        (tmp_path / name).write_text("x")
        (tmp_path / name).chmod(mode)
    rules = "0664|*/lastlog */wtmp */wtmp.* */btmp */btmp.*\n0640|*"
    out = run(
        VARS["workstation_linux__perm_probe_cmd"],
        FILES_ON="no",
        LOGS_ON="yes",
        LOG_DIR=str(tmp_path),
        RULES=rules,
    )
    assert out.splitlines()[-1] == "logs-done"
    fields = [line.split("|", 4)[1:] for line in out.splitlines() if line.startswith("log|")]
    lines = {f[3].removeprefix(f"{tmp_path}/"): f[:3] for f in fields}
    assert lines == {
        "wtmp": ["0664", "0664", "ok"],
        "dpkg.log": ["0644", "0640", "bad"],
        "apt/history.log": ["0640", "0640", "ok"],
        "btmp.1": ["0666", "0664", "bad"],
    }


def test_the_log_file_probe_finds_no_file_without_a_log_directory(tmp_path: Path) -> None:
    probe = VARS["workstation_linux__perm_probe_cmd"]
    assert (
        run(probe, FILES_ON="no", LOGS_ON="yes", LOG_DIR=str(tmp_path / "none"), RULES="0640|*")
        == "logs-done\n"
    )


def test_the_rsyslog_probe_finds_the_last_file_mode_and_every_network_input(tmp_path: Path) -> None:
    (tmp_path / "rsyslog.d").mkdir()
    main = '$FileCreateMode 0640\nmodule(load="imuxsock")\nmodule(load="imtcp")\n'
    main += 'input(type="imtcp" port="514")\n'
    (tmp_path / "rsyslog.conf").write_text(main)
    site = "$FileCreateMode 0644\n$ModLoad imudp\n$UDPServerRun 514\n"
    (tmp_path / "rsyslog.d" / "50-site.conf").write_text(site)
    (tmp_path / "rsyslog.d" / "60-ok.conf").write_text("# $ModLoad imtcp\n*.* /var/log/all.log\n")
    state = json.loads(run(VARS["workstation_linux__jrn05_probe_cmd"], CAREHARD_ETC=str(tmp_path)))
    assert (state["mode"], state["mode_ok"]) == ("0644", "no")
    assert state["mode_file"] == f"{tmp_path}/rsyslog.d/50-site.conf"
    assert [i.split(":", 2)[1] for i in state["inputs"]] == ["3", "4", "2", "3"]


def test_the_rsyslog_inputs_pattern_comments_out_only_network_inputs() -> None:
    pattern = re.compile(VARS["workstation_linux__jrn05_input_re"].strip())
    conf = (
        'module(load="imuxsock")\nmodule(load="imtcp")\n  input(type="imudp" port="514")\n'
        "$ModLoad imrelp\n$InputTCPServerRun 514\n# $ModLoad imtcp\n*.* /var/log/all.log\n"
    )
    out = pattern.sub(r"# disabled by carehard (WL-JRN-05): \1", conf)
    disabled = [line for line in out.splitlines() if "disabled by carehard" in line]
    assert len(disabled) == 4
    assert 'module(load="imuxsock")' in out.splitlines()
    assert "# $ModLoad imtcp" in out.splitlines()
    assert pattern.sub("", out) == out  # a second harden changes nothing
