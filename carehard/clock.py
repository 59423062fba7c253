"""The one clock of carehard's records: UTC, to the second."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def now_iso() -> str:
    """2026-12-06T10:57:00+00:00: run records, history rows."""
    return now().isoformat()


def now_z() -> str:
    """2026-12-06T10:57:00Z: what the roles and restic write, and the facts that compare with them."""
    return now().strftime("%Y-%m-%dT%H:%M:%SZ")
