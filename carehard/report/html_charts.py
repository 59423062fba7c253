"""The trend charts of the HTML page, as inline SVG without script: the compliance rate of the last runs
and the restore times of each backup set. The geometry is computed here; the template writes the
elements (autoescaped). Dates, numbers and words are in the report's language (lang: en or fr)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from carehard.durations import format_duration
from carehard.report.i18n import formats, translator
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


def _when(value: Any, lang: str = "en") -> tuple[str, str, str]:
    """(day, time, day and time with its zone) of an ISO 8601 timestamp; the raw text if it does not parse.

    In English 2026-11-25, 17:15, 2026-11-25 17:15 UTC; in French 25 nov. 2026, 17:15 and
    25 nov. 2026 17:15 UTC (formats.moment).
    """
    text = str(value or "")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text, text, text
    if lang == "fr":
        day = f"{moment.day} {formats.MONTHS['fr'][moment.month - 1]} {moment.year}"
        return day, moment.strftime("%H:%M"), formats.moment(text, "fr")
    offset = moment.strftime("%z")
    zone = " UTC" if offset == "+0000" else (f" {offset[:3]}:{offset[3:5]}" if offset else "")
    return moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M"), moment.strftime("%Y-%m-%d %H:%M") + zone


def day_text(value: Any, lang: str) -> str:
    """The day of an ISO 8601 date or timestamp as the language writes it (30 juin 2028); else the text."""
    return _when(value, lang)[0]


def moment_text(value: Any, lang: str) -> str:
    """An ISO 8601 timestamp for a reader: unchanged in English, "25 nov. 2026 03:00 UTC" in French."""
    return formats.moment(value, lang) if lang == "fr" else str(value)


def duration_text(seconds: float | None, lang: str) -> str:
    """format_duration() in the report's language: 45,2 s, 38 min, 55,6 h, 2,3 j in French."""
    text = format_duration(seconds)
    if lang != "fr":
        return text
    return text.replace(".", ",").replace(" d", "\u00a0j").replace(" ", "\u00a0")


def _percent(rate: float | None, lang: str) -> str:
    return formats.percent_text(percent(rate), lang)


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


def run_trend_chart(entries: list[Any], lang: str = "en") -> dict[str, Any] | None:
    """The compliance rate of the runs in `trend` (oldest first, this run last); None under two runs."""
    runs = [e for e in entries if isinstance(e, dict)]
    if len(runs) < 2:
        return None
    _ = translator(lang)
    rates = [_number(e.get("pass_rate")) for e in runs]
    moments = [_when(e.get("started"), lang) for e in runs]
    modes = [str(e.get("mode", "")) for e in runs]
    titles = []
    rows = []
    for i, (entry, rate, moment, mode) in enumerate(zip(runs, rates, moments, modes, strict=True)):
        this = _(" · this report") if i == len(runs) - 1 else ""
        run = _("run {run}").format(run=entry.get("run_id", "?"))
        titles.append(f"{moment[2]} · {_(mode)} · {_percent(rate, lang)} · {run}{this}")
        counts = entry.get("counts")
        counts = counts if isinstance(counts, dict) else {}
        rows.append(
            {
                "when": moment[2],
                "mode": mode,
                "run_id": str(entry.get("run_id", "")),
                "rate": _percent(rate, lang),
                "counts": {s: int(_number(counts.get(s)) or 0) for s in STATUSES},
            }
        )
    known = [(rate, moment) for rate, moment in zip(rates, moments, strict=True) if rate is not None]
    if known:
        (first, first_at), (last, last_at) = known[0], known[-1]
        summary = (
            _("from {first} on {first_day} to {last} on {last_day}").format(
                first=_percent(first, lang),
                first_day=first_at[0],
                last=_percent(last, lang),
                last_day=last_at[0],
            )
            if len(known) > 1
            else _("{rate} on {day}, the only run with a rate").format(
                rate=_percent(last, lang), day=last_at[0]
            )
        )
    else:
        summary = _("no run had a result that counts")
    label = _("Compliance rate of the last {n} runs, oldest first: {summary}.").format(
        n=len(runs), summary=summary
    )
    # French writes no rate as "n.d.": its full stop ends the sentence too.
    caption = _("This run: {rate}.").format(rate=_percent(rates[-1], lang)).replace("n.d..", "n.d.")
    if rates[-1] is not None and len(known) > 1:
        before = known[-2]
        delta = (rates[-1] - before[0]) * 100
        points = f"{delta:+.1f}".replace(".", "," if lang == "fr" else ".")
        change = _("{delta} points").format(delta=points) if abs(delta) >= 0.05 else _("Unchanged")
        caption += _(" {change} since the run of {when}.").format(change=change, when=before[1][2])
    chart = _line_chart(
        [rate if rate is None else min(max(rate, 0.0), 1.0) for rate in rates],
        moments,
        titles,
        [f"m-{m}" if m in _MODES else "m-other" for m in modes],
        [(f / 4, formats.percent_text(f"{f * 25} %", lang)) for f in range(5)],
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


def _duration_tick(seconds: float, lang: str) -> str:
    """An axis label: the origin is 0 in any unit."""
    return "0" if seconds == 0 else duration_text(seconds, lang)


def restore_chart(entry: dict[str, Any], lang: str = "en") -> dict[str, Any] | None:
    """Restore times of one backup set over its checks, oldest first: the estimated full restore (RTO)
    when at least two checks have one, else the test restore; None with fewer than two values."""
    checks = [c for c in reversed(entry.get("checks") or []) if isinstance(c, dict)]
    if len(checks) < 2:
        return None
    _ = translator(lang)
    full = [_number(c.get("rto_estimate_seconds")) for c in checks]
    test = [_number(c.get("restore_seconds")) for c in checks]
    if sum(v is not None for v in full) >= 2:
        values, estimated = full, True
    elif sum(v is not None for v in test) >= 2:
        values, estimated = test, False
    else:
        return None
    what = _("estimated full restore time (RTO)" if estimated else "test restore time")
    values = [v if v is None else max(v, 0.0) for v in values]
    highest = max((v for v in values if v is not None), default=0.0) or 1.0
    step = next((s for s in _DURATION_STEPS if highest / s <= 4), 0.0)
    step = step or 86400 * math.ceil(highest / 4 / 86400)
    ticks = max(1, math.ceil(highest / step - 1e-9))
    top = ticks * step
    moments = [_when(c.get("checked_at"), lang) for c in checks]
    titles = []
    for i, (check, moment) in enumerate(zip(checks, moments, strict=True)):
        verdict = check.get("verdict", "?")
        text = f"{moment[2]} · {_(verdict) if isinstance(verdict, str) else verdict} · "
        if estimated:
            text += _("full restore {full} (test restore {test})").format(
                full=duration_text(full[i], lang), test=duration_text(test[i], lang)
            )
        else:
            text += _("test restore {test}").format(test=duration_text(test[i], lang))
        titles.append(text)
    known = [(v, m) for v, m in zip(values, moments, strict=True) if v is not None]
    name = str(entry.get("set", "?"))
    (first, first_at), (last, last_at) = known[0], known[-1]
    label = _(
        "{what} of backup set {name} over its last {n} verifications, oldest first: from {first} on "
        "{first_day} to {last} on {last_day}."
    ).format(
        what=f"{what[0].upper()}{what[1:]}",
        name=name,
        n=len(checks),
        first=duration_text(first, lang),
        first_day=first_at[0],
        last=duration_text(last, lang),
        last_day=last_at[0],
    )
    chart = _line_chart(
        [v if v is None else v / top for v in values],
        moments,
        titles,
        [f"v-{c.get('verdict')}" if c.get("verdict") in _VERDICTS else "v-other" for c in checks],
        [(i / ticks, _duration_tick(i * step, lang)) for i in range(ticks + 1)],
        _RESTORE_CHART_SIZE,
        label,
    )
    return {"chart": chart, "what": what}
