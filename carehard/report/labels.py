"""The words and numbers every human-readable report shares (HTML and Markdown): statuses in display
order and their labels, levels, exit codes, families, CaRE domains, and the compliance rate."""

from __future__ import annotations

from typing import Any

# Display order: good first, then problems, then "did not count".
STATUSES: tuple[str, ...] = ("pass", "fixed", "waived", "fail", "error", "unreachable", "not_applicable")

# Short cell text in the matrix (the legend explains it; the cell title gives the full word).
STATUS_CODES: dict[str, str] = {
    "pass": "P",
    "fixed": "Fx",
    "waived": "W",
    "fail": "F",
    "error": "E",
    "unreachable": "U",
    "not_applicable": "na",
}

STATUS_LABELS: dict[str, str] = {
    "pass": "pass",
    "fixed": "fixed",
    "waived": "waived",
    "fail": "fail",
    "error": "error",
    "unreachable": "unreachable",
    "not_applicable": "not applicable",
}

STATUS_MEANINGS: dict[str, str] = {
    "pass": "compliant",
    "fixed": "changed by harden, now compliant",
    "waived": "not compliant, covered by a valid waiver",
    "fail": "not compliant (or fix applied but not effective)",
    "error": "a task broke: compliance unknown",
    "unreachable": "host could not be reached",
    "not_applicable": "premise absent on this host",
}


FAMILY_LABELS: dict[str, str] = {
    "workstation_linux": "Linux workstations",
    "workstation_windows": "Windows workstations",
    "remote_access": "Remote access and remote maintenance",
    "backup_verify": "Backups and restore tests",
    "backup": "Backups and restore tests",
    "compliance_facts": "Compliance facts",
    "directory_audit": "Active Directory",
}

CARE_LABELS: dict[str, str] = {
    "exposure": "D1 Directories and internet exposure",
    "continuity": "D2 Continuity and recovery",
    "remote_access": "Remote access / remote maintenance",
    "workstations": "Workstations and detection",
}

LEVEL_LABELS: dict[int, str] = {1: "minimal", 2: "intermediary", 3: "enhanced"}

EXIT_CODES: dict[int, str] = {
    0: "all controls pass, fixed, waived or not applicable",
    1: "some control failed",
    2: "usage or configuration error",
    3: "a host was unreachable or a task errored",
}


def pass_rate(counts: dict[str, int]) -> float | None:
    """(pass + fixed + waived) / (all - not_applicable), or None when nothing counts."""
    total = sum(int(counts.get(s, 0)) for s in STATUSES) - int(counts.get("not_applicable", 0))
    if total <= 0:
        return None
    good = sum(int(counts.get(s, 0)) for s in ("pass", "fixed", "waived"))
    return good / total


def percent(rate: float | None) -> str:
    if rate is None:
        return "n/a"
    # Never show 100 % while something is not compliant.
    value = rate * 100
    if value < 100 and round(value, 1) >= 100:
        return "99.9 %"
    return f"{value:.1f} %".replace(".0 %", " %")


def family_label(family: str) -> str:
    return FAMILY_LABELS.get(family, family.replace("_", " ").capitalize())


def parts_summary(entry: dict[str, Any], lang: str = "en") -> str | None:
    """For a backup set with a read cycle: how much of its data restic check has read, and when."""
    from carehard.report.i18n import translator
    from carehard.report.i18n.formats import moment

    cycle = entry.get("read_cycle")
    parts: dict[str, str | None] = entry.get("parts_last_read") or {}
    if not cycle or not parts:
        return None
    _ = translator(lang)
    french = lang == "fr"
    read = {part: at for part, at in parts.items() if at}
    never = [part for part, at in parts.items() if not at]
    text = _("{set}: every data pack read once in {cycle} nights;").format(set=entry.get("set"), cycle=cycle)
    counted = "{read} of {cycle} part read" if french and len(read) <= 1 else "{read} of {cycle} parts read"
    text += " " + _(counted).format(read=len(read), cycle=cycle)
    if read:
        oldest = min(read, key=lambda part: str(read[part]))
        at = moment(read[oldest], "fr") if french else str(read[oldest])[:16].replace("T", " ")
        text += _(", the longest ago {part} on {at}").format(part=oldest, at=at)
    if never:
        more = len(never) - 5
        pattern = "; never read yet: {parts}"
        if more > 0:
            one = french and more == 1
            pattern = (
                "; never read yet: {parts} and 1 more" if one else "; never read yet: {parts} and {more} more"
            )
        text += _(pattern).format(parts=", ".join(never[:5]), more=more)
    return text
