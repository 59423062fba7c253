"""The trend charts of the HTML page, as inline SVG without script: the compliance rate of the last runs
and the restore times of each backup set. The geometry is computed here; the template writes the
elements (autoescaped)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from carehard.durations import format_duration
from carehard.report.labels import STATUSES, percent

_RATE_CHART_SIZE = (720, 220)
_RESTORE_CHART_SIZE = (480, 170)
_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 56, 36, 12, 30
_X_LABEL_SPACING = 85  # a YYYY-MM-DD label is about 62 units wide
# Steps of a duration axis, in seconds: round numbers of seconds, minutes and hours.
_DURATION_STEPS: tuple[float, ...] = (
    *(0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30),
    *(60, 120, 300, 600, 900, 1800),
    *(3600, 7200, 10800, 21600, 43200, 86400),
)
_VERDICTS = ("pass", "fail", "error", "unreachable")
_MODES = ("audit", "harden", "backup")


def _when(value: Any) -> tuple[str, str, str]:
    """(day, time, day and time with its zone) of an ISO 8601 timestamp; the raw text if it does not parse."""
    text = str(value or "")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text, text, text
    offset = moment.strftime("%z")
    zone = " UTC" if offset == "+0000" else (f" {offset[:3]}:{offset[3:5]}" if offset else "")
    return moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M"), moment.strftime("%Y-%m-%d %H:%M") + zone


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _line_chart(
    values: list[float | None],
    moments: list[tuple[str, str, str]],
    titles: list[str],
    classes: list[str],
    yticks: list[tuple[float, str]],
    size: tuple[int, int],
    label: str,
) -> dict[str, Any]:
    """One line over evenly spaced points; `values` and tick positions are fractions of the y axis (0..1).

    A None value breaks the line and shows as a hollow mark on the axis. The last point is marked.
    """
    width, height = size
    left, top = _MARGIN_LEFT, _MARGIN_TOP
    right, bottom = width - _MARGIN_RIGHT, height - _MARGIN_BOTTOM
    n = len(values)

    def x_at(i: int) -> float:
        return left + (right - left) * i / (n - 1) if n > 1 else (left + right) / 2

    def y_at(fraction: float) -> float:
        return bottom - (bottom - top) * min(max(fraction, 0.0), 1.0)

    points: list[dict[str, Any]] = []
    segments: list[list[tuple[float, float]]] = [[]]
    for i, value in enumerate(values):
        last = i == n - 1
        if value is None:
            points.append({"x": f"{x_at(i):.1f}", "y": f"{bottom:.1f}", "cls": "na", "r": 5 if last else 3})
            segments.append([])
        else:
            segments[-1].append((x_at(i), y_at(value)))
            points.append(
                {"x": f"{x_at(i):.1f}", "y": f"{y_at(value):.1f}", "cls": classes[i], "r": 5 if last else 3.5}
            )
        points[-1].update(title=titles[i], current=last)
    paths = [
        "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in segment) for segment in segments if len(segment) > 1
    ]

    # Date labels under the axis: never closer than _X_LABEL_SPACING, always the last one, the time
    # instead of the day when the day repeats.
    step = max(1, math.ceil(n / max(2, (right - left) // _X_LABEL_SPACING)))
    shown = list(range(0, n, step))
    if shown[-1] != n - 1:
        if n - 1 - shown[-1] < step * 0.6 and len(shown) > 1:
            shown.pop()
        shown.append(n - 1)
    xlabels = []
    previous_day = None
    for i in shown:
        day, time, _full = moments[i]
        xlabels.append(
            {
                "x": f"{x_at(i):.1f}",
                "label": time if day == previous_day else day,
            }
        )
        previous_day = day
    return {
        "width": width,
        "height": height,
        "label": label,
        "left": left,
        "right": right,
        "bottom": bottom,
        "yticks": [{"y": f"{y_at(f):.1f}", "label": text} for f, text in yticks],
        "xlabels": xlabels,
        "label_y": bottom + 18,
        "paths": paths,
        "points": points,
    }


def run_trend_chart(entries: list[Any]) -> dict[str, Any] | None:
    """The compliance rate of the runs in `trend` (oldest first, this run last); None under two runs."""
    runs = [e for e in entries if isinstance(e, dict)]
    if len(runs) < 2:
        return None
    rates = [_number(e.get("pass_rate")) for e in runs]
    moments = [_when(e.get("started")) for e in runs]
    modes = [str(e.get("mode", "")) for e in runs]
    titles = []
    rows = []
    for i, (entry, rate, moment, mode) in enumerate(zip(runs, rates, moments, modes, strict=True)):
        this = " · this report" if i == len(runs) - 1 else ""
        titles.append(f"{moment[2]} · {mode} · {percent(rate)} · run {entry.get('run_id', '?')}{this}")
        counts = entry.get("counts")
        counts = counts if isinstance(counts, dict) else {}
        rows.append(
            {
                "when": moment[2],
                "mode": mode,
                "run_id": str(entry.get("run_id", "")),
                "rate": percent(rate),
                "counts": {s: int(_number(counts.get(s)) or 0) for s in STATUSES},
            }
        )
    known = [(rate, moment) for rate, moment in zip(rates, moments, strict=True) if rate is not None]
    if known:
        (first, first_at), (last, last_at) = known[0], known[-1]
        summary = (
            f"from {percent(first)} on {first_at[0]} to {percent(last)} on {last_at[0]}"
            if len(known) > 1
            else f"{percent(last)} on {last_at[0]}, the only run with a rate"
        )
    else:
        summary = "no run had a result that counts"
    label = f"Compliance rate of the last {len(runs)} runs, oldest first: {summary}."
    caption = f"This run: {percent(rates[-1])}."
    if rates[-1] is not None and len(known) > 1:
        before = known[-2]
        delta = (rates[-1] - before[0]) * 100
        change = f"{delta:+.1f} points" if abs(delta) >= 0.05 else "Unchanged"
        caption += f" {change} since the run of {before[1][2]}."
    chart = _line_chart(
        [rate if rate is None else min(max(rate, 0.0), 1.0) for rate in rates],
        moments,
        titles,
        [f"m-{m}" if m in _MODES else "m-other" for m in modes],
        [(f / 4, f"{f * 25} %") for f in range(5)],
        _RATE_CHART_SIZE,
        label,
    )
    return {
        "chart": chart,
        "caption": caption,
        "modes": [m for m in _MODES if m in modes],
        "has_na": any(rate is None for rate in rates),
        "rows": rows,
    }


def _duration_tick(seconds: float) -> str:
    """An axis label: the origin is 0 in any unit."""
    return "0" if seconds == 0 else format_duration(seconds)


def restore_chart(entry: dict[str, Any]) -> dict[str, Any] | None:
    """Restore times of one backup set over its checks, oldest first: the estimated full restore (RTO)
    when at least two checks have one, else the test restore; None with fewer than two values."""
    checks = [c for c in reversed(entry.get("checks") or []) if isinstance(c, dict)]
    if len(checks) < 2:
        return None
    full = [_number(c.get("rto_estimate_seconds")) for c in checks]
    test = [_number(c.get("restore_seconds")) for c in checks]
    if sum(v is not None for v in full) >= 2:
        values, what = full, "estimated full restore time (RTO)"
    elif sum(v is not None for v in test) >= 2:
        values, what = test, "test restore time"
    else:
        return None
    values = [v if v is None else max(v, 0.0) for v in values]
    highest = max((v for v in values if v is not None), default=0.0) or 1.0
    step = next((s for s in _DURATION_STEPS if highest / s <= 4), 0.0)
    step = step or 86400 * math.ceil(highest / 4 / 86400)
    ticks = max(1, math.ceil(highest / step - 1e-9))
    top = ticks * step
    moments = [_when(c.get("checked_at")) for c in checks]
    titles = []
    for i, (check, moment) in enumerate(zip(checks, moments, strict=True)):
        text = f"{moment[2]} · {check.get('verdict', '?')} · "
        if what.startswith("estimated"):
            text += f"full restore {format_duration(full[i])} (test restore {format_duration(test[i])})"
        else:
            text += f"test restore {format_duration(test[i])}"
        titles.append(text)
    known = [(v, m) for v, m in zip(values, moments, strict=True) if v is not None]
    name = str(entry.get("set", "?"))
    (first, first_at), (last, last_at) = known[0], known[-1]
    label = (
        f"{what[0].upper()}{what[1:]} of backup set {name} over its last {len(checks)} verifications, "
        f"oldest first: from {format_duration(first)} on {first_at[0]} to {format_duration(last)} on "
        f"{last_at[0]}."
    )
    chart = _line_chart(
        [v if v is None else v / top for v in values],
        moments,
        titles,
        [f"v-{c.get('verdict')}" if c.get("verdict") in _VERDICTS else "v-other" for c in checks],
        [(i / ticks, _duration_tick(i * step)) for i in range(ticks + 1)],
        _RESTORE_CHART_SIZE,
        label,
    )
    return {"chart": chart, "what": what}
