"""Self-contained HTML rendering of a ``carehard-report/1`` report dict.

The page has no external resource of any kind (admin stations in hospitals are often
offline): CSS and the few lines of JS are inline. Everything the template shows is computed
once, so the template stays a plain loop and a 500 hosts x 100 controls matrix renders
quickly; jinja2 autoescaping is on, so evidence and names are always escaped.

This module assembles the page from its sections: html_results (hosts, controls, families,
CaRE domains), html_backups (backup sets), html_fleet (inventory and exposure map) and
html_charts (the trend charts as inline SVG); the words and the rate come from labels.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

from carehard.establishment import FIELDS
from carehard.report.html_backups import backup_set_view
from carehard.report.html_charts import run_trend_chart
from carehard.report.html_fleet import exposure_view, fleet_view
from carehard.report.html_results import care_views, control_views, family_views, host_view
from carehard.report.labels import (
    CARE_LABELS,
    EXIT_CODES,
    LEVEL_LABELS,
    STATUS_CODES,
    STATUS_LABELS,
    STATUS_MEANINGS,
    STATUSES,
    pass_rate,
    percent,
)

# Above this many matrix cells, the matrix starts collapsed so the page opens fast.
_OPEN_MATRIX_MAX_CELLS = 5000


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("carehard.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["num"] = _num
    return env


def _num(value: int) -> str:
    """Thousands grouped with a narrow no-break space, as in French and SI usage; 0 stays "0"."""
    return f"{value:,}".replace(",", "\u202f")


def _view(report: dict[str, Any]) -> dict[str, Any]:
    run: dict[str, Any] = report.get("run") or {}
    controls: list[dict[str, Any]] = report.get("controls") or []
    control_ids = [str(c.get("id")) for c in controls]
    raw_hosts: list[dict[str, Any]] = report.get("hosts") or []
    hosts = [host_view(h, control_ids) for h in raw_hosts]
    controls_shown = control_views(report, raw_hosts)

    summary = {s: int((report.get("summary") or {}).get(s, 0)) for s in STATUSES}
    total = sum(summary.values())
    rate = pass_rate(summary)

    level = run.get("level")
    exit_code = run.get("exit_code")
    selection = run.get("selection") or {}
    return {
        "schema": report.get("schema", ""),
        "establishment": {key: (report.get("establishment") or {}).get(key, "") for key in FIELDS},
        "run": {
            "id": run.get("id", ""),
            "mode": run.get("mode", ""),
            "started": run.get("started") or "",
            "finished": run.get("finished") or "",
            "carehard_version": run.get("carehard_version", ""),
            "level": level,
            "level_label": LEVEL_LABELS.get(level, "") if isinstance(level, int) else "",
            "exit_code": exit_code,
            "exit_meaning": EXIT_CODES.get(exit_code, "") if isinstance(exit_code, int) else "",
            "selection": {
                "inventory": selection.get("inventory") or "",
                "limit": selection.get("limit"),
                "only": selection.get("only") or [],
                "skip": selection.get("skip") or [],
            },
        },
        "statuses": STATUSES,
        "codes": STATUS_CODES,
        "labels": STATUS_LABELS,
        "meanings": STATUS_MEANINGS,
        "summary": summary,
        "total": total,
        "rate": percent(rate),
        "rate_value": rate,
        "bar": [(s, summary[s] * 100 / total) for s in STATUSES if total and summary[s]],
        "controls": controls_shown,
        "control_ids": control_ids,
        "hosts": hosts,
        "unreachable_hosts": [h["name"] for h in hosts if not h["reachable"]],
        "error_hosts": [h for h in hosts if h["errors"]],
        "families": family_views(controls_shown),
        "care": care_views(controls_shown),
        "care_labels": CARE_LABELS,
        "matrix_open": len(hosts) * max(len(control_ids), 1) <= _OPEN_MATRIX_MAX_CELLS,
        "ncols": len(control_ids),
        "backups": [backup_set_view(entry) for entry in report.get("backups") or []],
        "trend": run_trend_chart(report.get("trend") or []),
        "fleet": fleet_view(report.get("fleet")),
        "exposure": exposure_view(report.get("exposure")),
    }


def prepare() -> None:
    """Compile the template ahead of time (carehard does it while the playbook runs)."""
    _environment().get_template("report.html.j2")


def render_html(report: dict[str, Any]) -> str:
    """Render a ``carehard-report/1`` dict as one self-contained HTML page."""
    template = _environment().get_template("report.html.j2")
    return template.render(**_view(report))
