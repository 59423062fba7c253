"""Alerts through the real CLI: `carehard audit` of this machine (local connection, check mode,
one control) with real SMTP, HTTP and syslog servers on loopback. No test host needed.

WL-SYS-01 fails on this machine (kernel.dmesg_restrict is in no sysctl file) until the
inventory waives it: failure -> alert, waiver -> RECOVERED alert, passing again -> silence.
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard.history import History
from tests.clirun import carehard
from tests.notify_servers import (
    LoopbackCA,
    datagrams,
    drain,
    http_server,
    make_ca,
    smtp_server,
    udp_syslog,
)

pytestmark = pytest.mark.integration

SMTP_USER = "carehard@example.org"
SMTP_PASSWORD = "smtp-Int3g-pw-4411"
HOOK_TOKEN = "hook-int3g-token-9d8e"
BACKUP_PASSWORD = "restic-int3g-pw-0077"
CONTROL = "WL-SYS-01"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LoopbackCA:
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Its own history, no config file but the test's, a backup password in the environment."""
    return {
        "CAREHARD_STATE_DIR": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "CAREHARD_CONFIG": "",
        "PACS_RESTIC_PASSWORD": BACKUP_PASSWORD,
    }


def write_inventory(directory: Path, notify: dict[str, Any], waived: bool) -> Path:
    local = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "carehard_become": False,
    }
    hosts: dict[str, Any] = {"all": {"children": {"linux_workstations": {"hosts": {"localhost": local}}}}}
    group_vars: dict[str, Any] = {"carehard_notify": notify}
    if waived:
        group_vars["carehard_waivers"] = [
            {"id": CONTROL, "hosts": ["localhost"], "reason": "ticket 42", "expiry": "2099-12-31"}
        ]
    (directory / "group_vars").mkdir(parents=True, exist_ok=True)
    (directory / "hosts.yml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
    (directory / "group_vars" / "all.yml").write_text(yaml.safe_dump(group_vars), encoding="utf-8")
    return directory


@pytest.fixture
def servers(ca: LoopbackCA) -> Iterator[tuple[Any, Any, socket.socket]]:
    with smtp_server(ca, SMTP_USER, SMTP_PASSWORD) as box, http_server() as hook, udp_syslog() as sock:
        yield box, hook, sock


def test_failure_then_recovery_then_silence(
    tmp_path: Path, ca: LoopbackCA, env: dict[str, str], servers: tuple[Any, Any, socket.socket]
) -> None:
    box, hook, sock = servers
    password_file = tmp_path / "smtp-password"
    password_file.write_text(SMTP_PASSWORD + "\n", encoding="utf-8")
    notify = {
        "email": {
            "host": "127.0.0.1",
            "port": box.port,
            "username": SMTP_USER,
            "password_file": str(password_file),
            "from": SMTP_USER,
            "to": ["dsi@example.org", "astreinte@example.org"],
            "ca_file": str(ca.ca_file),
            "timeout": 10,
        },
        "webhook": {"url": f"http://127.0.0.1:{hook.port}/hooks/{HOOK_TOKEN}"},
        "syslog": {"address": f"udp://127.0.0.1:{sock.getsockname()[1]}", "facility": "local3"},
    }
    inventory = tmp_path / "inv"
    out = tmp_path / "out"
    audit = ("audit", "-i", inventory, "--only", CONTROL, "--output", out, "--format", "json,html")

    write_inventory(inventory, notify, waived=False)
    failed = carehard(*audit, env=env)
    assert failed.returncode == 1, failed.stderr
    assert "notified: email (2 recipients)" in failed.stdout
    assert "notified: webhook (HTTP 200)" in failed.stdout
    assert "notified: syslog (udp://127.0.0.1" in failed.stdout
    assert "warning" not in failed.stderr

    [(recipients, mail)] = box.mails
    assert recipients == ["dsi@example.org", "astreinte@example.org"]
    assert mail["Subject"] == f"carehard audit: FAILED — 1 problem on 1 host ({CONTROL})"
    body = mail.get_content()
    assert f"- {CONTROL} on localhost (fail): kernel.dmesg_restrict" in body
    assert f"  {out.resolve() / 'report.html'}" in body
    assert f"inventory: {inventory}" in body
    [(_, _, payload)] = hook.posts
    assert payload["carehard"]["outcome"] == "failed"
    assert payload["carehard"]["failures"][0]["control"] == CONTROL
    head, item = datagrams(sock, 2)
    assert head.startswith("<155>")  # local3 (19) * 8 + err (3)
    assert " carehard[" in head and "]: audit FAILED run=" in head
    assert f"control={CONTROL} status=fail" in item

    write_inventory(inventory, notify, waived=True)
    recovered = carehard(*audit, env=env)
    assert recovered.returncode == 0, recovered.stderr
    assert len(box.mails) == 2
    assert box.mails[1][1]["Subject"] == "carehard audit: RECOVERED — every control passes (1 host)"
    assert hook.posts[1][2]["carehard"]["alert"] == "RECOVERED"
    assert datagrams(sock, 1)[0].startswith("<157>")  # local3 * 8 + notice (5)

    quiet = carehard(*audit, env=env)
    assert quiet.returncode == 0, quiet.stderr
    assert "notified" not in quiet.stdout
    assert len(box.mails) == 2 and len(hook.posts) == 2 and drain(sock) == []

    delivered = [m.as_string() for _, m in box.mails] + [json.dumps(p) for _, _, p in hook.posts]
    for text in delivered:
        for secret in (SMTP_PASSWORD, HOOK_TOKEN, BACKUP_PASSWORD):
            assert secret not in text
    for result in (failed, recovered, quiet):
        assert HOOK_TOKEN not in result.stdout + result.stderr
        assert SMTP_PASSWORD not in result.stdout + result.stderr


def test_failing_channels_are_warnings_and_keep_the_exit_code(
    tmp_path: Path, ca: LoopbackCA, env: dict[str, str]
) -> None:
    """From the config file (no -i: this machine), on every run: wrong SMTP password, webhook 500."""
    wrong = tmp_path / "wrong-password"
    wrong.write_text("not-the-Password-1", encoding="utf-8")
    with smtp_server(ca, SMTP_USER, SMTP_PASSWORD) as box, http_server(status=500) as hook:
        config = tmp_path / "config.yml"
        notify = {
            "when": "always",
            "email": {
                "host": "127.0.0.1",
                "port": box.port,
                "username": SMTP_USER,
                "password_file": str(wrong),
                "from": SMTP_USER,
                "to": ["dsi@example.org"],
                "ca_file": str(ca.ca_file),
            },
            "webhook": {"url": f"http://127.0.0.1:{hook.port}/hooks/{HOOK_TOKEN}"},
            "syslog": {"address": str(tmp_path / "no-dev-log")},
        }
        config.write_text(yaml.safe_dump({"carehard_notify": notify}), encoding="utf-8")
        result = carehard(
            "audit", "--only", "WL-ACC-04", "--format", "json", "--output", tmp_path / "out",
            env={**env, "CAREHARD_CONFIG": str(config)},
        )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("carehard: warning:")]
    assert warnings == [
        f"carehard: warning: notification by email failed: SMTP server 127.0.0.1:{box.port} rejected the"
        " login: 535 5.7.8 Authentication credentials invalid",
        f"carehard: warning: notification by syslog failed: {tmp_path / 'no-dev-log'}:"
        " No such file or directory",
        "carehard: warning: notification by webhook failed: the webhook answered HTTP 500"
        " Internal Server Error",
    ]
    assert box.mails == [] and len(hook.posts) == 1
    assert hook.posts[0][2]["carehard"]["alert"] == "OK"
    assert "not-the-Password-1" not in result.stderr and HOOK_TOKEN not in result.stderr


@pytest.mark.parametrize(
    ("notify", "error"),
    [
        (
            {"email": {"host": "smtp.example.org", "username": "u@example.org",
                       "password_file": "/nonexistent/pw", "from": "u@example.org", "to": ["d@example.org"]}},
            "carehard: error: carehard_notify.email.password_file: /nonexistent/pw does not exist",
        ),
        (
            {"webhook": {"url": f"gopher://chat.example.org/{HOOK_TOKEN}"}},
            "carehard: error: carehard_notify.webhook.url: must be an http:// or https:// URL with a host",
        ),
    ],
)  # fmt: skip
def test_a_bad_config_stops_before_anything_runs(
    tmp_path: Path, env: dict[str, str], notify: dict[str, Any], error: str
) -> None:
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({"carehard_notify": notify}), encoding="utf-8")
    result = carehard(
        "audit", "--only", CONTROL, "--output", tmp_path / "out", env={**env, "CAREHARD_CONFIG": str(config)}
    )
    assert result.returncode == 2
    assert result.stderr.strip() == error
    assert HOOK_TOKEN not in result.stderr
    assert History(Path(env["CAREHARD_STATE_DIR"]) / "history.db").runs() == []
    assert not (tmp_path / "out").exists()


def test_a_missing_config_file_is_a_usage_error(tmp_path: Path, env: dict[str, str]) -> None:
    missing = tmp_path / "nope.yml"
    result = carehard("audit", "--only", CONTROL, env={**env, "CAREHARD_CONFIG": str(missing)})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"carehard: error: CAREHARD_CONFIG={missing}: no such file: give the path of carehard's config"
    )
