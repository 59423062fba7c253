"""The Directory section of the Markdown summary (carehard.report.markdown): per Active Directory
audited in the run, a few lines (when and where it was read, the AD controls' results, krbtgt, the
policy, LAPS, the privileged accounts and their risky flags, the riskiest of them by name). At most
MAX_DIRECTORIES directories, so that the summary stays short; the HTML and JSON reports have the rest.

The summary gives its words (markdown._Words) and its escaping of every value (markdown._text)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from carehard.report.directory import FLAG_WEIGHT, PREFIX
from carehard.report.html_directory import FLAG_LABELS, DirectoryText
from carehard.report.labels import STATUSES

MAX_DIRECTORIES = 3
MAX_RISKIEST = 5
MAX_FAILING = 12
Escape = Callable[..., str]


class Words(Protocol):
    """What the summary's words (markdown._Words) give this section."""

    lang: str
    _: Callable[[str], str]

    def number(self, n: int) -> str: ...

    def count(self, n: int, singular: str, plural: str) -> str: ...

    def status(self, status: str, n: int = 1) -> str: ...

    def when(self, value: Any) -> str: ...


def _host_results_by_id(report: Mapping[str, Any], host: str) -> dict[str, Mapping[str, Any]]:
    for entry in report.get("hosts") or []:
        if isinstance(entry, Mapping) and entry.get("name") == host:
            return {str(r.get("control")): r for r in entry.get("results") or [] if isinstance(r, Mapping)}
    return {}


def _directory(report: Mapping[str, Any], entry: Mapping[str, Any], w: Words, _text: Escape) -> list[str]:
    _ = w._
    results = _host_results_by_id(report, str(entry.get("host")))
    text = DirectoryText(results, {}, w.lang)
    domain = _text(entry.get("domain") or entry.get("host"), 120)
    netbios = f" ({_text(entry.get('netbios'), 30)})" if entry.get("netbios") else ""
    lines = [_("## Directory: {domain}").format(domain=domain + netbios), ""]
    read = _("Read {when} from {server} ({auth})").format(
        when=w.when(entry["read_at"]) if entry.get("read_at") else "—",
        server=_text(entry.get("server") or "—", 120),
        auth=_text(entry.get("auth") or "—", 20),
    )
    counts: Mapping[str, Any] = entry.get("counts") or {}
    sizes = [
        f"{_(label)} {text.n(counts.get(enabled)) if enabled else ''}".rstrip()
        + (f"/{text.n(counts.get(total))}" if enabled else f" {text.n(counts.get(total))}")
        for label, enabled, total in (
            ("Users", "users_enabled", "users"),
            ("Computers", "computers_enabled", "computers"),
            ("Domain controllers", None, "domain_controllers"),
        )
    ]
    lines.append(f"- {read} · " + " · ".join(sizes))
    ad = {cid: str(r.get("status")) for cid, r in sorted(results.items()) if cid.startswith(PREFIX)}
    if ad:
        tally = Counter(ad.values())
        shown = " · ".join(f"{w.number(tally[s])} {w.status(s, tally[s])}" for s in STATUSES if tally[s])
        line = _("AD controls: {counts}").format(counts=shown)
        failing = [cid for cid, status in ad.items() if status in ("fail", "error", "unreachable")]
        if failing:
            ids = ", ".join(_text(cid, 20) for cid in failing[:MAX_FAILING])
            ids += ", …" if len(failing) > MAX_FAILING else ""
            line += " — " + _("failing: {ids}").format(ids=ids)
        lines.append(f"- {line}")
    policy: Mapping[str, Any] = entry.get("policy") or {}
    age = entry.get("krbtgt_password_age_days")
    parts = []
    if isinstance(age, int):
        parts.append(_("krbtgt password {age}").format(age=text.count(age, "{n} day old", "{n} days old")))
    parts.append(_("password policy: {policy}").format(policy=_text(text.policy(policy), 160)))
    parts.append(_("lockout: {lockout}").format(lockout=_text(text.lockout(policy)[0], 80)))
    quota = policy.get("machine_account_quota")
    parts.append(f"MachineAccountQuota {text.n(quota)}")
    schema, coverage, _missing = text.laps(entry.get("laps") or {})
    laps = _("LAPS: {schema}, {coverage}").format(schema=_text(schema, 60), coverage=_text(coverage, 80))
    parts.append(laps)
    lines.append("- " + " · ".join(parts))
    accounts: list[Mapping[str, Any]] = entry.get("privileged_accounts") or []
    total = entry.get("privileged_accounts_total")
    flagged = Counter(str(f) for a in accounts for f in a.get("flags") or [])
    flags = [
        f"{_text(_(FLAG_LABELS.get(f, f)), 40)} {w.number(flagged[f])}"
        for f in sorted(flagged, key=lambda f: (-FLAG_WEIGHT.get(f, 1), f))
    ]
    head = _("Privileged accounts: {total}").format(total=text.n(total))
    lines.append("- " + " · ".join([head, *flags]))
    riskiest = []
    for account in accounts[:MAX_RISKIEST]:
        names = ", ".join(_(FLAG_LABELS.get(str(f), str(f))) for f in account.get("flags") or [])
        riskiest.append(f"{_text(account.get('name'), 60)} ({_text(names, 120) or _('none')})")
    if riskiest:
        lines.append("- " + _("The riskiest: {accounts}").format(accounts="; ".join(riskiest)))
    return lines


def directory_lines(report: Mapping[str, Any], w: Words, _text: Escape) -> list[str]:
    """The summary's lines for the report's directories; [] without any."""
    entries = [e for e in report.get("directories") or [] if isinstance(e, Mapping)]
    lines: list[str] = []
    for entry in entries[:MAX_DIRECTORIES]:
        if lines:
            lines.append("")
        lines += _directory(report, entry, w, _text)
    if len(entries) > MAX_DIRECTORIES:
        more = w.count(len(entries) - MAX_DIRECTORIES, "{n} more directory", "{n} more directories")
        lines += ["", w._("… and {more}").format(more=more)]
    return lines
