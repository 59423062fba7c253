"""`carehard_notify`: the alert channels (email, syslog, webhook), validated whole before a run.

Every error names the key to fix (`carehard_notify.email.password_file: ...`) and never shows a
secret: the SMTP password, the webhook URL or its headers' values.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from logging.handlers import SysLogHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from carehard.errors import UsageError

WHEN = ("failure", "always")
DEFAULT_SYSLOG_ADDRESS = "/dev/log"
_TAG = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOP_KEYS = ("when", "email", "syslog", "webhook")
_EMAIL_KEYS = (
    "host", "port", "starttls", "username", "password_file", "password_env", "from", "to", "ca_file",
    "timeout",
)  # fmt: skip
_SYSLOG_KEYS = ("address", "facility", "tag")
_WEBHOOK_KEYS = ("url", "url_env", "headers", "ca_file", "timeout")


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
    """The settings, or a UsageError naming the first wrong key."""
    where = "carehard_notify"
    _refuse_vaulted(where, raw)
    mapping = _mapping(where, raw, _TOP_KEYS)
    if not any(name in mapping for name in ("email", "syslog", "webhook")):
        raise UsageError(f"{where}: give at least one channel: email, syslog or webhook")
    when = mapping.get("when", "failure")
    if when not in WHEN:
        raise UsageError(f"{where}.when: must be failure (alerts on failure and on recovery) or always")
    return NotifySettings(
        when=str(when),
        email=_email(mapping["email"]) if "email" in mapping else None,
        syslog=_syslog(mapping["syslog"]) if "syslog" in mapping else None,
        webhook=_webhook(mapping["webhook"]) if "webhook" in mapping else None,
        source=source,
    )


def _email(raw: Any) -> EmailSettings:
    where = "carehard_notify.email"
    m = _mapping(where, raw, _EMAIL_KEYS)
    host = _required(f"{where}.host", m.get("host"))
    starttls = _bool(f"{where}.starttls", m.get("starttls", True))
    port = _port(f"{where}.port", m.get("port", 587 if starttls else 25))
    sender = _address(f"{where}.from", m.get("from"))
    to = m.get("to")
    if isinstance(to, str):
        to = [to]
    if not isinstance(to, list) or not to:
        raise UsageError(f"{where}.to: give a list of one or more e-mail addresses")
    recipients = tuple(_address(f"{where}.to", item) for item in to)
    username = _text(f"{where}.username", m.get("username"))
    password = _password(where, m, username)
    if username and not starttls and not _is_loopback(host):
        raise UsageError(
            f"{where}.starttls: false would send the SMTP password in clear to {host}:"
            " set starttls: true (only a loopback relay may take a login without TLS)"
        )
    return EmailSettings(
        host=host,
        port=port,
        starttls=starttls,
        sender=sender,
        recipients=recipients,
        username=username,
        password=password,
        ca_file=_existing_file(f"{where}.ca_file", m.get("ca_file")),
        timeout=_timeout(f"{where}.timeout", m.get("timeout", 30)),
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


def _from_environment(key: str, raw: Any) -> str:
    """The secret held by the environment variable that setting `key` names."""
    name = _required(key, raw)
    if not _ENV_NAME.match(name):
        raise UsageError(f"{key}: '{name}' is not an environment variable name")
    value = os.environ.get(name, "")
    if not value:
        raise UsageError(f"{key}: {name} is not set in this environment")
    return value


def _syslog(raw: Any) -> SyslogSettings:
    where = "carehard_notify.syslog"
    m = _mapping(where, {} if raw is None else raw, _SYSLOG_KEYS)
    address = _required(f"{where}.address", m.get("address", DEFAULT_SYSLOG_ADDRESS))
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
    facility = _required(f"{where}.facility", m.get("facility", "user"))
    if facility not in SysLogHandler.facility_names:
        raise UsageError(f"{where}.facility: '{facility}' is not a syslog facility (e.g. user, local0)")
    tag = _required(f"{where}.tag", m.get("tag", "carehard"))
    if not _TAG.match(tag):
        raise UsageError(f"{where}.tag: '{tag}' must be 1 to 32 letters, digits, '.', '_' or '-'")
    return SyslogSettings(address=address, facility=facility, tag=tag)


def _webhook(raw: Any) -> WebhookSettings:
    where = "carehard_notify.webhook"
    m = _mapping(where, raw, _WEBHOOK_KEYS)
    given = [key for key in ("url", "url_env") if m.get(key) is not None]
    if len(given) != 1:
        raise UsageError(f"{where}: give exactly one of url and url_env")
    if given == ["url_env"]:
        url = _from_environment(f"{where}.url_env", m["url_env"])
        key = f"{where}.url_env ({m['url_env']})"
    else:
        url = _required(f"{where}.url", m["url"])
        key = f"{where}.url"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # The URL itself is a secret (it carries the hook's token): never echo it.
        raise UsageError(f"{key}: must be an http:// or https:// URL with a host")
    headers = m.get("headers") or {}
    if not isinstance(headers, dict):
        raise UsageError(f"{where}.headers: expected a mapping of header names to values")
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise UsageError(f"{where}.headers: '{name}' is not an HTTP header name")
        if not isinstance(value, str | int) or "\n" in str(value) or "\r" in str(value):
            raise UsageError(f"{where}.headers.{name}: expected a one-line text value")
    return WebhookSettings(
        url=url,
        headers={str(k): str(v) for k, v in headers.items()},
        ca_file=_existing_file(f"{where}.ca_file", m.get("ca_file")),
        timeout=_timeout(f"{where}.timeout", m.get("timeout", 10)),
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


def _mapping(where: str, raw: Any, known: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: expected a mapping ({', '.join(known)})")
    unknown = sorted(str(key) for key in raw if key not in known)
    if unknown:
        raise UsageError(f"{where}: unknown key '{unknown[0]}' (known: {', '.join(known)})")
    return raw


def _text(where: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise UsageError(f"{where}: expected text, got {type(value).__name__}")
    return value


def _required(where: str, value: Any) -> str:
    text = _text(where, value)
    if text is None:
        raise UsageError(f"{where}: missing: give a value")
    return text


def _bool(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise UsageError(f"{where}: expected true or false")
    return value


def _port(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise UsageError(f"{where}: expected a TCP port number (1-65535)")
    return value


def _timeout(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 300:
        raise UsageError(f"{where}: expected a number of seconds, above 0 and at most 300")
    return float(value)


def _address(where: str, value: Any) -> str:
    text = _required(where, value)
    if not re.fullmatch(r"[^@\s<>,]+@[^@\s<>,]+", text):
        raise UsageError(f"{where}: '{text}' is not an e-mail address (name@domain)")
    return text


def _existing_file(where: str, value: Any) -> Path | None:
    text = _text(where, value)
    if text is None:
        return None
    path = Path(text).expanduser()
    if not path.is_file():
        raise UsageError(f"{where}: {text} does not exist")
    return path


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
