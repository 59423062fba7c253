"""`carehard_notify`: the alert channels (email, syslog, webhook), validated whole before a run.

Its structure is checked against carehard/config/schemas/notify.yml, then what a schema cannot say
here. Every error names the key to fix (`carehard_notify.email.password_file: ...`) and never shows
a secret: the SMTP password, the webhook URL or its headers' values.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from carehard.config import validate
from carehard.errors import UsageError

DEFAULT_SYSLOG_ADDRESS = "/dev/log"


@dataclass(frozen=True)
class EmailSettings:
    host: str
    port: int
    starttls: bool
    sender: str
    recipients: tuple[str, ...]
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class SyslogSettings:
    address: str = DEFAULT_SYSLOG_ADDRESS  # a unix socket path, or udp://HOST:PORT, tcp://HOST:PORT
    facility: str = "user"
    tag: str = "carehard"

    @property
    def network(self) -> tuple[str, str, int] | None:
        """(protocol, host, port) for a network address, None for a unix socket."""
        if self.address.startswith("/"):
            return None
        parts = urlsplit(self.address)
        return parts.scheme, str(parts.hostname), int(parts.port or 514)


@dataclass(frozen=True)
class WebhookSettings:
    url: str = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    ca_file: Path | None = None
    timeout: float = 10.0


@dataclass(frozen=True)
class NotifySettings:
    when: str = "failure"
    email: EmailSettings | None = None
    syslog: SyslogSettings | None = None
    webhook: WebhookSettings | None = None
    source: str = ""  # where the settings came from: the inventory or the config file

    def secrets(self) -> list[str]:
        """Values no message, log or error may show."""
        found = []
        if self.email and self.email.password:
            found.append(self.email.password)
        if self.webhook:
            found.append(self.webhook.url)
            parts = urlsplit(self.webhook.url)
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
            for value in self.webhook.headers.values():
                # "Bearer TOKEN": the token alone is as secret as the whole value
                found.extend([value, *value.split()])
        return [secret for secret in found if len(secret) >= 6]


def parse_notify(raw: Any, source: str = "") -> NotifySettings:
    """The settings, or a UsageError naming the first wrong key (and `source` when its structure is)."""
    where = "carehard_notify"
    _refuse_vaulted(where, raw)
    validate({where: raw}, "notify", source)
    if not any(name in raw for name in ("email", "syslog", "webhook")):
        raise UsageError(f"{where}: give at least one channel: email, syslog or webhook")
    return NotifySettings(
        when=str(raw.get("when", "failure")),
        email=_email(raw["email"]) if "email" in raw else None,
        syslog=_syslog(raw["syslog"] or {}) if "syslog" in raw else None,
        webhook=_webhook(raw["webhook"]) if "webhook" in raw else None,
        source=source,
    )


def _email(m: Mapping[str, Any]) -> EmailSettings:
    where = "carehard_notify.email"
    host = str(m["host"])
    starttls = bool(m.get("starttls", True))
    username = m.get("username") or None
    password = _password(where, m, username)
    if username and not starttls and not _is_loopback(host):
        raise UsageError(
            f"{where}.starttls: false would send the SMTP password in clear to {host}:"
            " set starttls: true (only a loopback relay may take a login without TLS)"
        )
    to = m["to"]
    return EmailSettings(
        host=host,
        port=int(m.get("port", 587 if starttls else 25)),
        starttls=starttls,
        sender=str(m["from"]),
        recipients=tuple([to] if isinstance(to, str) else to),
        username=username,
        password=password,
        ca_file=_existing_file(f"{where}.ca_file", m.get("ca_file")),
        timeout=float(m.get("timeout", 30)),
    )


def _password(where: str, m: Mapping[str, Any], username: str | None) -> str | None:
    given = [key for key in ("password_file", "password_env") if m.get(key) is not None]
    if not username:
        if given:
            raise UsageError(f"{where}.{given[0]}: a password needs a username: give username too")
        return None
    if len(given) != 1:
        raise UsageError(f"{where}: with a username, give exactly one of password_file and password_env")
    if given == ["password_env"]:
        return _from_environment(f"{where}.password_env", m["password_env"])
    path = _existing_file(f"{where}.password_file", m["password_file"])
    assert path is not None
    try:
        value = path.read_text(encoding="utf-8").strip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise UsageError(f"{where}.password_file: {path} cannot be read: {reason}") from None
    if not value:
        raise UsageError(f"{where}.password_file: {path} is empty")
    return value


def _from_environment(key: str, name: str) -> str:
    """The secret held by the environment variable that setting `key` names."""
    value = os.environ.get(name, "")
    if not value:
        raise UsageError(f"{key}: {name} is not set in this environment")
    return value


def _syslog(m: Mapping[str, Any]) -> SyslogSettings:
    where = "carehard_notify.syslog"
    address = str(m.get("address", DEFAULT_SYSLOG_ADDRESS))
    if not address.startswith("/"):
        parts = urlsplit(address)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if parts.scheme not in ("udp", "tcp") or not parts.hostname or port == -1 or parts.path:
            raise UsageError(
                f"{where}.address: '{address}' must be a socket path (/dev/log) or udp://HOST:PORT or"
                " tcp://HOST:PORT"
            )
    return SyslogSettings(
        address=address, facility=str(m.get("facility", "user")), tag=str(m.get("tag", "carehard"))
    )


def _webhook(m: Mapping[str, Any]) -> WebhookSettings:
    where = "carehard_notify.webhook"
    given = [key for key in ("url", "url_env") if m.get(key) is not None]
    if len(given) != 1:
        raise UsageError(f"{where}: give exactly one of url and url_env")
    if given == ["url_env"]:
        url = _from_environment(f"{where}.url_env", m["url_env"])
        key = f"{where}.url_env ({m['url_env']})"
    else:
        url = str(m["url"])
        key = f"{where}.url"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # The URL itself is a secret (it carries the hook's token): never echo it.
        raise UsageError(f"{key}: must be an http:// or https:// URL with a host")
    headers = m.get("headers") or {}
    for name, value in headers.items():
        if "\n" in str(value) or "\r" in str(value):
            # The value is a secret (a token): never echo it.
            raise UsageError(f"{where}.headers.{name}: expected a one-line text value")
    return WebhookSettings(
        url=url,
        headers={str(k): str(v) for k, v in headers.items()},
        ca_file=_existing_file(f"{where}.ca_file", m.get("ca_file")),
        timeout=float(m.get("timeout", 10)),
    )


def _refuse_vaulted(where: str, value: Any) -> None:
    """ansible-inventory shows a vaulted value as {"__ansible_vault": ...}: carehard cannot use it."""
    if isinstance(value, dict):
        if "__ansible_vault" in value:
            raise UsageError(
                f"{where}: vault-encrypted values are not read here: keep the secret in a file or the"
                " environment (password_file, password_env, url_env)"
            )
        for key, item in value.items():
            _refuse_vaulted(f"{where}.{key}", item)
    elif isinstance(value, list):
        for item in value:
            _refuse_vaulted(where, item)


def _existing_file(where: str, value: str | None) -> Path | None:
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise UsageError(f"{where}: {value} does not exist")
    return path


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
