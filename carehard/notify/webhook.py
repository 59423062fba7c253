"""The webhook channel: one JSON POST that Mattermost, Rocket.Chat or Teams show as a message.

The URL carries the hook's token: no error, log or message ever shows it.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from carehard.notify.message import Alert
from carehard.notify.settings import WebhookSettings
from carehard.notify.transport import ChannelFailed, describe, tls_context


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would resend (or drop) the alert elsewhere: take it as the answer instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def payload(alert: Alert) -> dict[str, Any]:
    return {"text": alert.short_text(), "carehard": alert.structured()}


def send_webhook(settings: WebhookSettings, alert: Alert) -> str:
    body = json.dumps(payload(alert), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(settings.url, data=body, method="POST")
    for name, value in settings.headers.items():
        request.add_header(name, value)
    request.add_header("Content-Type", "application/json; charset=utf-8")
    request.add_header("User-Agent", "carehard")
    handlers: list[Any] = [_NoRedirect()]
    if settings.url.lower().startswith("https:"):
        handlers.append(urllib.request.HTTPSHandler(context=tls_context(settings.ca_file)))
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(request, timeout=settings.timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        raise ChannelFailed(f"the webhook answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason if isinstance(exc.reason, BaseException) else None
        why = describe(reason, settings.timeout) if reason else "cannot reach the server"
        raise ChannelFailed(f"{_server(settings)}: {why}") from None
    except (http.client.HTTPException, OSError, ValueError) as exc:
        raise ChannelFailed(f"{_server(settings)}: {describe(exc, settings.timeout)}") from None
    if not 200 <= status < 300:
        raise ChannelFailed(f"the webhook answered HTTP {status}")
    return f"webhook (HTTP {status})"


def _server(settings: WebhookSettings) -> str:
    """The webhook's server, without the path and query that carry its token."""
    parts = urlsplit(settings.url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 0
    return f"server {parts.hostname}:{port}"
