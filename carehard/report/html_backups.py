"""The backup sets as the HTML page shows them: each set's verifications night after night (snapshot
age against the RPO, test and estimated full restore against the RTO) and its restore-time chart."""

from __future__ import annotations

from typing import Any

from carehard.durations import format_duration, parse_duration
from carehard.errors import UsageError
from carehard.report.html_charts import restore_chart
from carehard.report.labels import parts_summary


def _target_seconds(value: Any) -> float | None:
    try:
        return float(parse_duration(str(value), "target")) if value else None
    except UsageError:
        return None


def _over(measured: Any, target: float | None) -> bool:
    return target is not None and measured is not None and float(measured) > target


def backup_set_view(entry: dict[str, Any]) -> dict[str, Any]:
    rows = []
    rpo, rto = _target_seconds(entry.get("rpo")), _target_seconds(entry.get("rto"))
    for check in entry.get("checks") or []:
        throughput = check.get("throughput")
        rows.append(
            {
                "checked_at": check.get("checked_at"),
                "verdict": check.get("verdict"),
                "snapshot_time": check.get("snapshot_time") or "—",
                "age": format_duration(check.get("snapshot_age_seconds")),
                "check": {True: "ok", False: "FAILED", None: "—"}[check.get("check_ok")]
                + (f" (part {check['check_part']})" if check.get("check_part") else ""),
                "restore": format_duration(check.get("restore_seconds")),
                "throughput": f"{throughput / 1048576:.1f} MiB/s" if throughput else "—",
                "full_restore": format_duration(check.get("rto_estimate_seconds")),
                "age_over": _over(check.get("snapshot_age_seconds"), rpo),
                "full_over": _over(check.get("rto_estimate_seconds"), rto),
            }
        )
    return {
        "set": entry.get("set"),
        "rpo": entry.get("rpo"),
        "rto": entry.get("rto"),
        "rows": rows,
        "chart": restore_chart(entry),
        "parts": parts_summary(entry),
    }
