"""Which hosts a playbook's plays run on, and so which controls each targeted host is to run.

Ansible ends a whole playbook once every host of one play has failed or gone unreachable
("NO MORE HOSTS LEFT"), so one Linux host down would cancel the Windows plays that follow. carehard
therefore runs a playbook once per *batch*: the targeted hosts that are in exactly the same plays.
Within a batch, a play whose every host failed leaves no host for the later plays anyway, so
nothing is lost; the playbooks stay plain Ansible that AWX or ansible-playbook run whole.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from carehard.catalog import Catalog
from carehard.engine.inventory import WINDOWS_CONNECTIONS, WINDOWS_GROUP, InventoryHost
from carehard.paths import ANSIBLE_ROOT

IMPORT_PLAYBOOK = ("import_playbook", "ansible.builtin.import_playbook")
INCLUDE_ROLE = (
    "include_role",
    "import_role",
    "ansible.builtin.include_role",
    "ansible.builtin.import_role",
)
WINDOWS_PLATFORM = "windows"
# An Active Directory read from the control node (the `directories` group): neither Windows nor Linux.
DIRECTORY_PLATFORM = "directory"
_TERMS = re.compile(r"[,:]")


@dataclass(frozen=True)
class Play:
    """One play: its `hosts:` pattern and the roles it applies (a catalog family is a role)."""

    hosts: str
    roles: tuple[str, ...]

    def targets(self, host: InventoryHost) -> bool:
        """Whether the play runs on the host. A pattern carehard cannot evaluate (a template)
        counts as a match: the host is then run and folded as before."""
        if "{{" in self.hosts:
            return True
        included, required, excluded = [], [], []
        for term in (t.strip() for t in _TERMS.split(self.hosts) if t.strip()):
            if term.startswith("!"):
                excluded.append(term[1:])
            elif term.startswith("&"):
                required.append(term[1:])
            else:
                included.append(term)
        names = (host.name, "all", *host.groups)
        matched = any(fnmatch.fnmatchcase(n, t) for t in included for n in names)
        matched = matched and all(any(fnmatch.fnmatchcase(n, t) for n in names) for t in required)
        return matched and not any(fnmatch.fnmatchcase(n, t) for t in excluded for n in names)


@dataclass(frozen=True)
class Batch:
    """Targeted hosts that are in the same plays: one playbook run, and each host's controls."""

    limit: str | None
    controls: Mapping[str, tuple[str, ...]]


def plays_of(playbook: str) -> tuple[Play, ...]:
    """The plays of a playbook of carehard's (imports followed), in the order they run."""
    return _plays(ANSIBLE_ROOT / "playbooks" / playbook)


@cache
def _plays(path: Path) -> tuple[Play, ...]:
    plays: list[Play] = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
        imported = next((item[k] for k in IMPORT_PLAYBOOK if k in item), None)
        if imported is not None:
            plays.extend(_plays((path.parent / str(imported)).resolve()))
        elif "hosts" in item:
            hosts = item["hosts"]
            pattern = ",".join(map(str, hosts)) if isinstance(hosts, list) else str(hosts)
            plays.append(Play(pattern, tuple(_roles(item))))
    return tuple(plays)


def _roles(play: Mapping[str, Any]) -> Iterable[str]:
    for role in play.get("roles") or []:
        yield str(role.get("role") or role.get("name")) if isinstance(role, dict) else str(role)
    for task in play.get("tasks") or []:
        for key in INCLUDE_ROLE:
            if isinstance(task, dict) and isinstance(task.get(key), dict):
                yield str(task[key].get("name"))


def is_windows_host(host: InventoryHost) -> bool:
    return WINDOWS_GROUP in host.groups or host.connection in WINDOWS_CONNECTIONS


def host_platform(host: InventoryHost) -> str:
    """directory, windows or linux: which of a control's platforms the host is. A directory comes
    first (the group says what it is; its connection is local); the Linux platforms (debian, rhel) are
    one, as the facts tell them apart only once the host is reached."""
    if host.is_directory:
        return DIRECTORY_PLATFORM
    return WINDOWS_PLATFORM if is_windows_host(host) else "linux"


def runs_on(platforms: Sequence[str], platform: str) -> bool:
    """Whether a control of these catalog platforms runs on a host of this platform (host_platform)."""
    if platform in (WINDOWS_PLATFORM, DIRECTORY_PLATFORM):
        return platform in platforms
    return bool(set(platforms) - {WINDOWS_PLATFORM, DIRECTORY_PLATFORM})


def host_controls(
    host: InventoryHost, plays: Sequence[Play], catalog: Catalog, selected: Sequence[str]
) -> tuple[str, ...]:
    """The selected controls the host is to run: those of the roles of its plays, on its platform
    (a Windows host runs no Linux-only control of a family both platforms share, a Linux host no AD-
    control, a directory only the controls of the directory platform)."""
    families = {role for play in plays if play.targets(host) for role in play.roles}
    platform = host_platform(host)

    def applies(control_id: str) -> bool:
        control = catalog.controls.get(control_id)
        if control is None or control.family not in families:
            return False
        return runs_on(control.platforms, platform)

    return tuple(c for c in selected if applies(c))


def batches(
    hosts: Sequence[InventoryHost],
    plays: Sequence[Play],
    catalog: Catalog,
    selected: Sequence[str],
    limit: str | None,
) -> list[Batch]:
    """The runs to make, in the order of the first play of each: the hosts of the inventory (after
    --limit) grouped by the plays they are in. One batch keeps the user's --limit as it is."""
    by_plays: dict[tuple[int, ...], list[InventoryHost]] = {}
    for host in hosts:
        key = tuple(i for i, play in enumerate(plays) if play.targets(host))
        if key:
            by_plays.setdefault(key, []).append(host)
    groups = sorted(by_plays.items())
    return [
        Batch(
            limit if len(groups) == 1 else ",".join(h.name for h in members),
            {h.name: host_controls(h, plays, catalog, selected) for h in members},
        )
        for _, members in groups
    ]
