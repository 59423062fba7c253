"""What changed between two runs: controls that regressed or improved, hosts added or gone."""

from __future__ import annotations

from dataclasses import dataclass, field

from carehard.model import RunRecord

GOOD = frozenset({"pass", "fixed", "waived"})
BAD = frozenset({"fail", "error", "unreachable"})


@dataclass(frozen=True)
class Change:
    host: str
    control: str
    before: str
    after: str


@dataclass
class RunDiff:
    before: str
    after: str
    regressed: list[Change] = field(default_factory=list)
    improved: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)  # any other change of status
    hosts_added: list[str] = field(default_factory=list)
    hosts_gone: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        def rows(changes: list[Change]) -> list[dict[str, str]]:
            return [vars(c) for c in changes]

        return {
            "before": self.before,
            "after": self.after,
            "regressed": rows(self.regressed),
            "improved": rows(self.improved),
            "changed": rows(self.changed),
            "hosts_added": self.hosts_added,
            "hosts_gone": self.hosts_gone,
        }


def diff_runs(before: RunRecord, after: RunRecord) -> RunDiff:
    result = RunDiff(before.id, after.id)
    result.hosts_added = sorted(set(after.hosts) - set(before.hosts))
    result.hosts_gone = sorted(set(before.hosts) - set(after.hosts))
    for name in sorted(set(before.hosts) & set(after.hosts)):
        old, new = before.hosts[name].results, after.hosts[name].results
        for control in sorted(set(old) & set(new)):
            was, now = old[control].status, new[control].status
            if was == now:
                continue
            change = Change(name, control, was, now)
            if now in BAD and was not in BAD:
                result.regressed.append(change)
            elif now in GOOD and was in BAD:
                result.improved.append(change)
            else:
                result.changed.append(change)
    return result
