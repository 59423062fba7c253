"""What the alert channels share: their failure, TLS verification, network errors in words."""

from __future__ import annotations

import ssl
from pathlib import Path


class ChannelFailed(Exception):
    """A channel could not deliver; the reason names no secret."""


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """The system's CAs, or only the given CA file: certificates and host names are verified."""
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


def describe(exc: BaseException, timeout: float) -> str:
    """A network error in a few words, without what the exception may carry (URLs, payloads)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {exc.verify_message or exc.reason} (see ca_file)"
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc.__class__.__name__}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return exc.__class__.__name__
