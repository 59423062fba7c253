"""`carehard_notify` validated whole before a run, and found in the inventory or the config file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from carehard.config import config_path, config_section
from carehard.errors import UsageError
from carehard.notify import load_settings
from carehard.notify.settings import parse_notify

URL = "https://chat.example.org/hooks/s3cr3t-hook-token"


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "smtp-password"
    path.write_text("pw-from-file\n", encoding="utf-8")
    return path


def email(secret_file: Path, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "host": "smtp.example.org",
        "username": "carehard@example.org",
        "password_file": str(secret_file),
        "from": "carehard@example.org",
        "to": ["dsi@example.org"],
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def test_a_full_config_with_defaults(password_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_URL", URL)
    settings = parse_notify(
        {"email": email(password_file), "syslog": None, "webhook": {"url_env": "HOOK_URL"}}, "test"
    )
    assert settings.when == "failure"
    assert settings.email is not None and settings.syslog is not None and settings.webhook is not None
    assert (settings.email.port, settings.email.starttls, settings.email.timeout) == (587, True, 30.0)
    assert settings.email.password == "pw-from-file"
    assert (settings.syslog.address, settings.syslog.facility, settings.syslog.tag) == (
        "/dev/log",
        "user",
        "carehard",
    )
    assert settings.webhook.url == URL and settings.webhook.timeout == 10.0
    assert "pw-from-file" not in repr(settings) and URL not in repr(settings)
    assert set(settings.secrets()) == {"pw-from-file", URL, "/hooks/s3cr3t-hook-token"}


def test_password_from_the_environment(password_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREHARD_SMTP_PASSWORD", "pw-from-env")
    raw = email(password_file, password_file=None, password_env="CAREHARD_SMTP_PASSWORD")
    settings = parse_notify({"email": raw})
    assert settings.email is not None and settings.email.password == "pw-from-env"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "carehard_notify: give at least one channel"),
        ([], "carehard_notify: expected a mapping"),
        (
            {"when": "sometimes", "syslog": {}},
            "carehard_notify.when: expected failure (alerts on failure and on recovery) or always,"
            " got 'sometimes'",
        ),
        (
            {"syslog": {}, "sms": {}},
            "carehard_notify.sms: unknown key (known: when, email, syslog, webhook)",
        ),
        (
            {"syslog": {"adress": "/dev/log"}},
            "carehard_notify.syslog.adress: unknown key (known: address, facility, tag)",
        ),
        (
            {"syslog": {"facility": "kernel9"}},
            "carehard_notify.syslog.facility: expected a syslog facility (e.g. user, local0), got 'kernel9'",
        ),
        ({"syslog": {"address": "syslog.example.org"}}, "carehard_notify.syslog.address: 'syslog.example"),
        ({"syslog": {"address": "udp://h:99999"}}, "carehard_notify.syslog.address"),
        ({"syslog": {"tag": "two words"}}, "carehard_notify.syslog.tag"),
        ({"webhook": {"url": "ftp://x/y"}}, "carehard_notify.webhook.url: must be an http:// or https://"),
        ({"webhook": {}}, "carehard_notify.webhook: give exactly one of url and url_env"),
        (
            {"webhook": {"url_env": "NOT_SET_ANYWHERE_123"}},
            "carehard_notify.webhook.url_env: NOT_SET_ANYWHERE_123 is not set",
        ),
        ({"webhook": {"url": URL, "timeout": 0}}, "carehard_notify.webhook.timeout: expected a number"),
        ({"webhook": {"url": URL, "headers": ["x"]}}, "carehard_notify.webhook.headers: expected a mapping"),
        (
            {"webhook": {"url": URL, "ca_file": "/nonexistent/ca.pem"}},
            "carehard_notify.webhook.ca_file: /nonexistent/ca.pem does not exist",
        ),
        (
            {"webhook": {"url": {"__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\n3036"}}},
            "carehard_notify.webhook.url: vault-encrypted values are not read here",
        ),
    ],
)
def test_bad_settings_name_the_key(raw: Any, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_notify(raw)
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password_file": "/etc/nope"}, "carehard_notify.email.password_file: /etc/nope does not exist"),
        (
            {"to": []},
            "carehard_notify.email.to: expected a list of one or more e-mail addresses, got an empty",
        ),
        (
            {"to": ["not-an-address"]},
            "carehard_notify.email.to[0]: expected an e-mail address (name@domain), got 'not-an-address'",
        ),
        ({"from": None}, "carehard_notify.email.from: missing"),
        ({"host": None}, "carehard_notify.email.host: missing"),
        ({"port": "587"}, "carehard_notify.email.port: expected a TCP port"),
        ({"starttls": "yes"}, "carehard_notify.email.starttls: expected true or false"),
        ({"password_env": "X"}, "carehard_notify.email: with a username, give exactly one of"),
        ({"password_file": None}, "carehard_notify.email: with a username, give exactly one of"),
        ({"username": None}, "carehard_notify.email.password_file: a password needs a username"),
        ({"password": "inline"}, "carehard_notify.email.password: unknown key (known: host, port, starttls"),
        ({"starttls": False}, "carehard_notify.email.starttls: false would send the SMTP password in clear"),
    ],
)
def test_bad_email_settings_name_the_key(password_file: Path, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_notify({"email": email(password_file, **changes)})
    assert str(caught.value).startswith(message), str(caught.value)


def test_no_login_without_tls_except_on_loopback(password_file: Path) -> None:
    relay = parse_notify({"email": email(password_file, host="127.0.0.1", starttls=False)})
    assert relay.email is not None and relay.email.port == 25
    anonymous = parse_notify(
        {"email": email(password_file, starttls=False, username=None, password_file=None)}
    )
    assert anonymous.email is not None and anonymous.email.username is None


def test_errors_never_show_the_webhook_url() -> None:
    secret = "http//chat.example.org/hooks/no-scheme-token"
    with pytest.raises(UsageError) as caught:
        parse_notify({"webhook": {"url": secret}})
    assert secret not in str(caught.value)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_config_file_is_found_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAREHARD_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    system = write(tmp_path / "etc" / "config.yml", "carehard_notify: {syslog: {tag: system}}\n")
    assert config_path(system) == system
    user = write(tmp_path / "xdg" / "carehard" / "config.yml", "carehard_notify: {syslog: {tag: user}}\n")
    assert config_path(system) == user
    explicit = write(tmp_path / "mine.yml", "carehard_notify: {syslog: {tag: mine}}\n")
    monkeypatch.setenv("CAREHARD_CONFIG", str(explicit))
    assert config_section("carehard_notify", system) == ({"syslog": {"tag": "mine"}}, explicit)
    monkeypatch.setenv("CAREHARD_CONFIG", str(tmp_path / "missing.yml"))
    with pytest.raises(UsageError, match=r"CAREHARD_CONFIG=.*missing.yml: no such file"):
        config_path(system)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("carehard_notify: [\n", "line 2"),
        ("- a list\n", "expected a mapping of sections"),
        (
            "carehard_notfy: {}\n",
            r"c\.yml: carehard_notfy: unknown key \(known: carehard_notify, carehard_establishment,"
            r" carehard_lang, carehard_runs\)",
        ),
    ],
)
def test_a_bad_config_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    monkeypatch.setenv("CAREHARD_CONFIG", str(write(tmp_path / "c.yml", text)))
    with pytest.raises(UsageError, match=message):
        load_settings(None)


def test_no_config_anywhere_means_no_alerts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAREHARD_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_section("carehard_notify", tmp_path / "none.yml") == (None, None)
    write(tmp_path / "carehard" / "config.yml", "# nothing yet\n")
    assert config_section("carehard_notify", tmp_path / "none.yml")[0] is None


def test_the_inventory_wins_whole_over_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read through ansible-inventory, as the backup sets are: a variable of group all."""
    config = write(tmp_path / "c.yml", "carehard_notify: {when: always, syslog: {tag: fromfile}}\n")
    monkeypatch.setenv("CAREHARD_CONFIG", str(config))
    inventory = write(
        tmp_path / "inv" / "hosts.yml",
        "all:\n  hosts:\n    ws-01:\n      ansible_host: 127.0.0.1\n",
    )
    from_file = load_settings(inventory)
    assert from_file is not None and from_file.when == "always" and from_file.source == f"config {config}"
    write(
        tmp_path / "inv" / "group_vars" / "all.yml", "carehard_notify:\n  syslog:\n    tag: frominventory\n"
    )
    from_inventory = load_settings(tmp_path / "inv")
    assert from_inventory is not None and from_inventory.syslog is not None
    assert from_inventory.syslog.tag == "frominventory"
    assert from_inventory.when == "failure"  # whole, not merged with the file's
