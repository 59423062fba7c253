"""The backup sets as the HTML page shows them: each set's verifications night after night (snapshot
age against the RPO, test and estimated full restore against the RTO) and its restore-time chart, in
the report's language (lang: en or fr)."""

from __future__ import annotations

from typing import Any

from carehard.durations import parse_duration
from carehard.errors import UsageError
from carehard.report.html_charts import duration_text, moment_text, restore_chart
from carehard.report.i18n import formats, translator
from carehard.report.labels import parts_summary


def _target_seconds(value: Any) -> float | None:
    try:
        return float(parse_duration(str(value), "target")) if value else None
    except UsageError:
        return None


def _over(measured: Any, target: float | None) -> bool:
    return target is not None and measured is not None and float(measured) > target


def _throughput(throughput: Any, lang: str) -> str:
    if not throughput:
        return "—"
    if lang == "fr":
        return f"{formats.decimal(throughput / 1048576, 1, 'fr')}\u00a0Mio/s"
    return f"{throughput / 1048576:.1f} MiB/s"


def backup_set_view(entry: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    _ = translator(lang)
    rows = []
    rpo, rto = _target_seconds(entry.get("rpo")), _target_seconds(entry.get("rto"))
    for check in entry.get("checks") or []:
        verdict = check.get("verdict")
        snapshot = check.get("snapshot_time")
        rows.append(
            {
                "checked_at": moment_text(check.get("checked_at"), lang),
                "verdict": verdict,
                "verdict_label": _(verdict) if isinstance(verdict, str) else verdict,
                "snapshot_time": moment_text(snapshot, lang) if snapshot else "—",
                "age": duration_text(check.get("snapshot_age_seconds"), lang),
                "check": _({True: "ok", False: "FAILED", None: "—"}[check.get("check_ok")])
                + (_(" (part {part})").format(part=check["check_part"]) if check.get("check_part") else ""),
                "restore": duration_text(check.get("restore_seconds"), lang),
                "throughput": _throughput(check.get("throughput"), lang),
                "full_restore": duration_text(check.get("rto_estimate_seconds"), lang),
                "age_over": _over(check.get("snapshot_age_seconds"), rpo),
                "full_over": _over(check.get("rto_estimate_seconds"), rto),
            }
        )
    return {
        "set": entry.get("set"),
        "rpo": entry.get("rpo"),
        "rto": entry.get("rto"),
        "rows": rows,
        "chart": restore_chart(entry, lang),
        "parts": parts_summary(entry, lang),
    }
