"""The directories as the HTML page shows them (section "Directory", templates/directory.html.j2): per
Active Directory audited in the run, what was read (domain, server, when), its size, the krbtgt
password's age, the password and lockout policy, MachineAccountQuota, LAPS, each with the result of the
AD control that judges it (linked to the control below); the AD controls' results at a glance; and the
privileged accounts, the riskiest first, each with its groups and its risky flags as short badges.

It reads the report's `directories` (carehard.report.directory) and the directory host's results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from carehard.report.directory import FACT_CONTROLS, FLAG_CONTROL, FLAG_WEIGHT, PREFIX
from carehard.report.html_charts import day_text, moment_text
from carehard.report.i18n import labels_fr, translator
from carehard.report.i18n.formats import integer, percent_text
from carehard.report.labels import STATUS_CODES, STATUS_LABELS, STATUSES

# Rows of the privileged accounts table; the others are counted ("and N more").
MAX_ACCOUNTS_SHOWN = 25
FLAG_LABELS = {
    "password_not_required": "no password required",
    "no_preauth": "no pre-auth",
    "reversible": "reversible",
    "spn": "SPN",
    "des_only": "DES",
    "password_never_expires": "never expires",
    "stale": "stale",
    "not_sensitive": "not sensitive",
    "not_protected_users": "not in Protected Users",
}
FLAG_MEANINGS = {
    "password_not_required": "the account may have an empty password (PASSWD_NOTREQD)",
    "no_preauth": "Kerberos pre-authentication not required: its hash can be requested (AS-REP roasting)",
    "reversible": "password stored with reversible encryption",
    "spn": "has a service principal name: its ticket can be cracked offline (kerberoasting)",
    "des_only": "limited to DES Kerberos keys",
    "password_never_expires": "password never expires",
    "stale": "no logon for longer than the stale threshold",
    "not_sensitive": "not marked sensitive, cannot be delegated",
    "not_protected_users": "not a member of Protected Users",
}
# What an account is, as the document's `kind` says (a foreign security principal: of a trusted domain).
KIND_LABELS = {"user": "user", "computer": "computer", "foreign": "foreign principal", "gmsa": "gMSA"}
FUNCTIONAL_LEVELS = {
    0: "Windows 2000",
    1: "Windows Server 2003 interim",
    2: "Windows Server 2003",
    3: "Windows Server 2008",
    4: "Windows Server 2008 R2",
    5: "Windows Server 2012",
    6: "Windows Server 2012 R2",
    7: "Windows Server 2016",
    10: "Windows Server 2025",
}
_PROBLEMS = ("fail", "error", "unreachable")


def _flag_class(flag: str) -> str:
    weight = FLAG_WEIGHT.get(flag, 1)
    return "fl-hi" if weight >= 6 else ("fl-mid" if weight >= 3 else "fl-lo")


class DirectoryText:
    """One directory's texts and view in the report's language, with its host's results (the Markdown
    summary takes its sentences too)."""

    def __init__(
        self, results: Mapping[str, Mapping[str, Any]], titles: Mapping[str, str], lang: str
    ) -> None:
        self.lang = lang
        self._: Callable[[str], str] = translator(lang)
        self.results = results
        self.titles = titles

    def n(self, value: Any) -> str:
        return "—" if not isinstance(value, int) or isinstance(value, bool) else integer(value, self.lang)

    def count(self, n: int, singular: str, plural: str) -> str:
        one = n <= 1 if self.lang == "fr" else n == 1
        return self._(singular if one else plural).format(n=self.n(n))

    def control(self, cid: str) -> dict[str, Any] | None:
        """The result of the control on this directory, as a badge linked to the control, when it ran."""
        result = self.results.get(cid)
        if result is None:
            return None
        status = str(result.get("status") or "")
        known = status in STATUS_LABELS
        evidence = str(result.get("evidence") or "").strip().splitlines()
        title = self.titles.get(cid, "")
        hover = " — ".join(t for t in (title, evidence[0] if evidence else "") if t)
        return {
            "id": cid,
            "status": status if known else "unknown",
            "code": self._(STATUS_CODES[status]) if known else "?",
            "label": self._(STATUS_LABELS[status]) if known else status,
            "title": hover,
            "linked": cid in self.titles,
        }

    def fact(self, label: str, value: str, key: str | None = None, bad: bool = False) -> dict[str, Any]:
        return {
            "label": self._(label),
            "value": value,
            "bad": bad,
            "control": self.control(FACT_CONTROLS[key]) if key else None,
        }

    def policy(self, policy: Mapping[str, Any]) -> str:
        _ = self._
        parts = []
        length = policy.get("min_password_length")
        if isinstance(length, int):
            parts.append(self.count(length, "at least {n} character", "at least {n} characters"))
        complexity = policy.get("complexity")
        if isinstance(complexity, bool):
            parts.append(_("complexity required" if complexity else "no complexity"))
        history = policy.get("history")
        if isinstance(history, int):
            parts.append(_("history of {n}").format(n=self.n(history)))
        days = policy.get("max_password_age_days")
        if isinstance(days, int):
            parts.append(
                _("never expires")
                if days <= 0
                else self.count(days, "expires after {n} day", "expires after {n} days")
            )
        return ", ".join(parts) or "—"

    def lockout(self, policy: Mapping[str, Any]) -> tuple[str, bool]:
        _ = self._
        threshold = policy.get("lockout_threshold")
        if not isinstance(threshold, int):
            return "—", False
        if threshold <= 0:
            return _("never (no lockout threshold)"), True
        text = self.count(threshold, "after {n} failed attempt", "after {n} failed attempts")
        minutes = policy.get("lockout_duration_minutes")
        if isinstance(minutes, int):
            until = _("for {n} min").format(n=self.n(minutes)) if minutes > 0 else _("until unlocked")
            text += ", " + until
        return text, False

    def laps(self, laps: Mapping[str, Any]) -> tuple[str, str, bool]:
        _ = self._
        kinds = []
        if laps.get("legacy_schema") is True:
            kinds.append(_("legacy LAPS"))
        if laps.get("windows_schema") is True:
            kinds.append("Windows LAPS")
        known = laps.get("legacy_schema") is not None or laps.get("windows_schema") is not None
        schema = ", ".join(kinds) if kinds else (_("absent") if known else "—")
        computers, covered, rate = laps.get("computers"), laps.get("covered"), laps.get("coverage")
        if isinstance(computers, int) and isinstance(covered, int):
            pct = percent_text(f"{rate * 100:.1f} %", self.lang) if isinstance(rate, float | int) else "—"
            coverage = _("{covered} of {computers} computers ({rate})").format(
                covered=self.n(covered), computers=self.n(computers), rate=pct
            )
        else:
            coverage = "—"
        return schema, coverage, bool(known and not kinds)

    def account(self, account: Mapping[str, Any]) -> dict[str, Any]:
        _ = self._
        flags = [str(f) for f in account.get("flags") or []]
        logon = account.get("last_logon")
        return {
            "name": str(account.get("name") or "?"),
            "kind": _(KIND_LABELS.get(str(account["kind"]), str(account["kind"])))
            if account.get("kind")
            else "",
            "disabled": account.get("enabled") is False,
            "groups": ", ".join(str(g) for g in account.get("groups") or []) or "—",
            "flags": [
                {
                    "text": _(FLAG_LABELS.get(f, f)),
                    "cls": _flag_class(f),
                    "title": _(FLAG_MEANINGS[f]) + f" ({FLAG_CONTROL[f]})" if f in FLAG_MEANINGS else f,
                }
                for f in flags
            ],
            "last_logon": day_text(logon, self.lang) if logon else _("never"),
        }

    def view(self, entry: Mapping[str, Any], index: int) -> dict[str, Any]:
        _ = self._
        counts: Mapping[str, Any] = entry.get("counts") or {}
        policy: Mapping[str, Any] = entry.get("policy") or {}
        laps: Mapping[str, Any] = entry.get("laps") or {}
        level = entry.get("functional_level")
        read_at = entry.get("read_at")
        meta = [
            (_("Domain controller read"), str(entry.get("server") or "—")),
            (_("Connection"), str(entry.get("auth") or "—")),
            (_("Read at"), moment_text(read_at, self.lang) if read_at else "—"),
        ]
        if isinstance(level, int):
            meta.append((_("Functional level"), f"{FUNCTIONAL_LEVELS.get(level, '?')} ({level})"))
        age = entry.get("krbtgt_password_age_days")
        last_set = entry.get("krbtgt_password_last_set")
        krbtgt = "—"
        if isinstance(age, int):
            krbtgt = self.count(age, "{n} day old", "{n} days old")
            if last_set:
                krbtgt += " " + _("(changed {date})").format(date=day_text(last_set, self.lang))
        lockout, no_lockout = self.lockout(policy)
        schema, coverage, no_laps = self.laps(laps)
        quota = policy.get("machine_account_quota")
        facts = [
            self.fact(
                "Users",
                _("{enabled} enabled of {total}").format(
                    enabled=self.n(counts.get("users_enabled")), total=self.n(counts.get("users"))
                ),
            ),
            self.fact(
                "Computers",
                _("{enabled} enabled of {total}").format(
                    enabled=self.n(counts.get("computers_enabled")), total=self.n(counts.get("computers"))
                ),
            ),
            self.fact("Groups", self.n(counts.get("groups"))),
            self.fact("Domain controllers", self.n(counts.get("domain_controllers"))),
            self.fact("krbtgt password", krbtgt, "krbtgt"),
            self.fact("Privileged accounts", self.n(entry.get("privileged_accounts_total")), "privileged"),
            self.fact("Password policy", self.policy(policy), "password_policy"),
            self.fact("Account lockout", lockout, "lockout", bad=no_lockout),
            self.fact(
                "MachineAccountQuota",
                self.n(quota),
                "machine_account_quota",
                bad=isinstance(quota, int) and quota > 0,
            ),
            self.fact("LAPS schema", schema, "laps_schema", bad=no_laps),
            self.fact("LAPS coverage", coverage, "laps_coverage"),
        ]
        chips = [c for cid in sorted(self.results) if cid.startswith(PREFIX) and (c := self.control(cid))]
        tally = Counter(c["status"] for c in chips)
        accounts: list[Mapping[str, Any]] = entry.get("privileged_accounts") or []
        total = entry.get("privileged_accounts_total")
        total = total if isinstance(total, int) else len(accounts)
        shown = [self.account(a) for a in accounts[:MAX_ACCOUNTS_SHOWN]]
        flagged = Counter(str(f) for a in accounts for f in a.get("flags") or [])
        flag_summary = [
            {
                "text": _(FLAG_LABELS.get(f, f)),
                "cls": _flag_class(f),
                "title": _(FLAG_MEANINGS[f]) if f in FLAG_MEANINGS else f,
                "count": self.n(flagged[f]),
                "control": self.control(FLAG_CONTROL[f]) if f in FLAG_CONTROL else None,
            }
            for f in sorted(flagged, key=lambda f: (-FLAG_WEIGHT.get(f, 1), f))
        ]
        domain = entry.get("domain") or entry.get("host")
        return {
            "anchor": f"dir-{index}",
            "domain": str(domain),
            "netbios": str(entry.get("netbios") or ""),
            "host": str(entry.get("host")) if entry.get("host") != domain else "",
            "meta": meta,
            "facts": facts,
            "chips": chips,
            "tally": [
                (s, self.n(tally[s]), labels_count(self._, s, tally[s], self.lang))
                for s in STATUSES
                if tally[s]
            ],
            "problems": sum(tally[s] for s in _PROBLEMS),
            "accounts": shown,
            "accounts_total": total,
            "accounts_listed": len(accounts),
            "more": max(total - len(shown), 0),
            "flags": flag_summary,
            "groups": [
                {"name": str(g.get("name")), "members": self.n(g.get("members"))}
                for g in entry.get("privileged_groups") or []
            ],
        }


def labels_count(_: Callable[[str], str], status: str, n: int, lang: str) -> str:
    """A status label after a count, agreed in French ("3 non conformes")."""
    text = _(STATUS_LABELS.get(status, status))
    return labels_fr.plural(text, n) if lang == "fr" else text


def directory_views(report: Mapping[str, Any], lang: str = "en") -> list[dict[str, Any]]:
    """The section's views, one per directory of the report; [] without any."""
    entries = report.get("directories")
    if not isinstance(entries, list):
        return []
    titles = {str(c.get("id")): str(c.get("title") or "") for c in report.get("controls") or []}
    hosts = {str(h.get("name")): h for h in report.get("hosts") or [] if isinstance(h, Mapping)}
    views = []
    for index, entry in enumerate(e for e in entries if isinstance(e, Mapping)):
        host = hosts.get(str(entry.get("host"))) or {}
        results = {str(r.get("control")): r for r in host.get("results") or [] if isinstance(r, Mapping)}
        views.append(DirectoryText(results, titles, lang).view(entry, index))
    return views
