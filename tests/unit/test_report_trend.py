"""The trend charts of the HTML report (inline SVG) and the `trend` property of the schema."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import jsonschema
import pytest

from carehard.report.html import render_html
from carehard.report.html_results import is_reference_url
from tests.unit.test_report_html import XSS, sample_report

SVG = re.compile(r"<svg\b[^>]*>.*?</svg>", flags=re.DOTALL)
TICK = re.compile(r'<text x="[\d.]+" y="([\d.]+)" dy="4"[^>]*>([^<]+)<')


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    text = resources.files("carehard.report").joinpath("carehard-report-1.schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(data)
    return data


def _validate(schema: dict[str, Any], report: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(report)


def trend(n: int, mode: str = "audit") -> list[dict[str, Any]]:
    """n runs, oldest first, one a day; the last one is the report's run."""
    entries = []
    for i in range(n):
        rate = None if i == 2 else round(0.5 + 0.4 * i / max(n - 1, 1), 4)
        entries.append(
            {
                "run_id": f"202611{i + 1:02d}T020000Z-{i:06x}",
                "started": f"2026-11-{i + 1:02d}T02:00:00+00:00",
                "mode": mode if i % 2 else "harden",
                "pass_rate": rate,
                "counts": {} if rate is None else {"pass": 50 + i, "fail": 10, "not_applicable": 3},
            }
        )
    return entries


def backups(n: int, name: str = "DPI") -> list[dict[str, Any]]:
    """One set with n verifications, newest first (as build_report writes them)."""
    checks = []
    for i in range(n):
        checks.append(
            {
                "checked_at": f"2026-11-{25 - i:02d}T03:00:00+00:00",
                "run_id": f"202611{25 - i:02d}T030000Z-b{i:05x}",
                "verdict": "fail" if i == 1 else "pass",
                "snapshot_time": f"2026-11-{25 - i:02d}T01:00:00+00:00",
                "snapshot_age_seconds": 7200,
                "check_ok": True,
                "restore_seconds": 3.5 + i,
                "restore_bytes": 268435456,
                "throughput": 76695844.6,
                "rto_estimate_seconds": 1800.0 + 120 * i,
            }
        )
    return [{"set": name, "checks": checks}]


def charts(page: str) -> list[str]:
    return SVG.findall(page)


# --- the compliance rate over the runs ------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1])
def test_no_rate_chart_under_two_runs(n: int) -> None:
    report = sample_report()
    if n:
        report["trend"] = trend(n)
    page = render_html(report)
    assert charts(page) == []
    assert "<h2>Trend</h2>" not in page


def test_rate_chart_with_two_runs() -> None:
    report = sample_report()
    report["trend"] = trend(2)
    page = render_html(report)
    (svg,) = charts(page)
    assert 'role="img"' in svg
    assert 'aria-label="Compliance rate of the last 2 runs' in svg
    assert svg.count("<circle") == 2
    assert svg.count('<path class="ln"') == 1
    assert "2026-11-01" in svg and "2026-11-02" in svg


def test_rate_chart_points_and_hover_titles() -> None:
    report = sample_report()
    report["trend"] = trend(12)
    (svg,) = charts(render_html(report))
    assert svg.count("<circle") == 12
    # One <title> for the chart, one per point: date, mode, rate.
    titles = re.findall(r"<title>(.*?)</title>", svg)
    assert len(titles) == 13
    assert titles[1].startswith("2026-11-01 02:00 UTC · harden · 50 %")
    assert "2026-11-12 02:00 UTC · audit · 90 %" in titles[-1]
    assert titles[-1].endswith("this report")
    # The run without a rate breaks the line and says so.
    assert "n/a" in titles[3]
    assert svg.count('<path class="ln"') == 2
    assert 'class="pt na"' in svg
    # The current run is outlined, and only it.
    assert svg.count(" cur") == 1


def test_rate_chart_geometry_within_the_view_box() -> None:
    report = sample_report()
    report["trend"] = trend(30)
    (svg,) = charts(render_html(report))
    box = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    assert box
    width, height = int(box[1]), int(box[2])
    for x, y in re.findall(r'cx="([\d.]+)" cy="([\d.]+)"', svg):
        assert 0 <= float(x) <= width and 0 <= float(y) <= height
    # 100 % at the top, 0 % at the bottom.
    ys = {label: float(y) for y, label in TICK.findall(svg)}
    assert ys["100 %"] < ys["50 %"] < ys["0 %"]
    # Date labels stay few enough to be read.
    assert len(re.findall(r'<g class="xl">(.*?)</g>', svg)[0].split("<text")) - 1 <= 9


def test_rate_out_of_range_is_clamped() -> None:
    report = sample_report()
    report["trend"] = trend(3)
    report["trend"][0]["pass_rate"] = 1.7
    report["trend"][1]["pass_rate"] = -3
    (svg,) = charts(render_html(report))
    top, bottom = 12.0, 220.0 - 30.0
    for y in re.findall(r'cy="([\d.]+)"', svg):
        assert top <= float(y) <= bottom


def test_rate_chart_labels_are_escaped() -> None:
    report = sample_report()
    report["trend"] = trend(3)
    report["trend"][0]["started"] = XSS
    report["trend"][1]["run_id"] = '"><img src=x onerror=alert(1)>'
    report["trend"][2]["mode"] = "<b>audit</b>"
    page = render_html(report)
    assert XSS not in page
    assert "<img" not in page
    assert "<b>audit" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script") == 1


def test_rate_chart_caption_gives_the_change() -> None:
    report = sample_report()
    report["trend"] = trend(4)
    page = render_html(report)
    # 90 % now; the run before had no rate, the one before that 63.3 %.
    assert "This run: 90 %. +26.7 points since the run of 2026-11-02 02:00 UTC." in page
    report["trend"][-1]["pass_rate"] = report["trend"][1]["pass_rate"]
    assert "Unchanged since the run of 2026-11-02 02:00 UTC." in render_html(report)


def test_rate_chart_without_any_rate() -> None:
    report = sample_report()
    report["trend"] = [dict(entry, pass_rate=None) for entry in trend(3)]
    (svg,) = charts(render_html(report))
    assert "no run had a result that counts" in svg
    assert '<path class="ln"' not in svg


# --- restore times per backup set ---------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1])
def test_no_restore_chart_under_two_checks(n: int) -> None:
    report = sample_report()
    report["backups"] = backups(n) if n else []
    page = render_html(report)
    assert charts(page) == []


def test_restore_chart_oldest_first() -> None:
    report = sample_report()
    report["backups"] = backups(5)
    (svg,) = charts(render_html(report))
    label = "Estimated full restore time (RTO) of backup set DPI over its last 5 verifications, oldest first"
    assert f'aria-label="{label}' in svg
    titles = re.findall(r"<title>(.*?)</title>", svg)[1:]
    assert titles[0].startswith("2026-11-21 03:00 UTC · pass · full restore 38 min (test restore 7.5 s)")
    assert titles[-1].startswith("2026-11-25 03:00 UTC")
    assert 'class="pt v-fail"' in svg
    # 30 to 38 min: ticks every 10 min.
    assert [label for _y, label in TICK.findall(svg)] == ["0", "10 min", "20 min", "30 min", "40 min"]


def test_restore_chart_falls_back_to_the_test_restore() -> None:
    report = sample_report()
    report["backups"] = backups(3)
    for check in report["backups"][0]["checks"]:
        check["rto_estimate_seconds"] = None
    (svg,) = charts(render_html(report))
    assert "Test restore time of backup set DPI" in svg
    # 3.5 to 5.5 s: ticks every 2 s.
    assert [label for _y, label in TICK.findall(svg)] == ["0", "2 s", "4 s", "6 s"]


def test_restore_chart_needs_two_values() -> None:
    report = sample_report()
    report["backups"] = backups(3)
    for check in report["backups"][0]["checks"][1:]:
        check.update(rto_estimate_seconds=None, restore_seconds=None)
    assert charts(render_html(report)) == []


def test_restore_chart_one_per_set_and_escaped() -> None:
    report = sample_report()
    report["backups"] = backups(4, "DPI") + backups(2, XSS) + backups(1, "PACS")
    report["trend"] = trend(5, "backup")
    page = render_html(report)
    assert len(charts(page)) == 3
    assert XSS not in page
    assert page.count("<script") == 1


def test_charts_have_no_external_reference() -> None:
    report = sample_report()
    report["trend"] = trend(30)
    report["backups"] = backups(30)
    page = render_html(report)
    for svg in charts(page):
        assert "xmlns" not in svg and "href" not in svg and "url(" not in svg
    # The only addresses are the links of the controls' references: a reader's click, never a fetch.
    assert "http://" not in page
    assert all(is_reference_url(url) for url in re.findall(r'https://[^"\s<]*', page))
    assert page.count("https://") == page.count('<a href="https://')


# --- schema -------------------------------------------------------------------------------------


def test_schema_accepts_trend_and_backups(schema: dict[str, Any]) -> None:
    report = sample_report()
    report["run"]["mode"] = "backup"
    report["trend"] = trend(30, "backup")
    report["backups"] = backups(30)
    _validate(schema, report)


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda t: t[0].update(extra=1), id="unknown-field"),
        pytest.param(lambda t: t[0].pop("counts"), id="missing-counts"),
        pytest.param(lambda t: t[0].update(pass_rate=1.5), id="rate-above-one"),
        pytest.param(lambda t: t[0].update(mode="fix"), id="bad-mode"),
        pytest.param(lambda t: t[0].update(started="yesterday"), id="bad-timestamp"),
        pytest.param(lambda t: t[0]["counts"].update(ok=3), id="bad-status"),
        pytest.param(lambda t: t[0]["counts"].update(fail=-1), id="negative-count"),
    ],
)
def test_schema_rejects_bad_trend(schema: dict[str, Any], mutate: Any) -> None:
    report = sample_report()
    report["trend"] = trend(3)
    mutate(report["trend"])
    with pytest.raises(jsonschema.ValidationError):
        _validate(schema, report)
