"""The filters of workstation_linux's integrity controls (filter_plugins/boot_judge.py), on what
the probes of tasks/integrity*.yml print. The plugin is loaded by path, as Ansible loads it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import jinja2

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "roles/workstation_linux/filter_plugins/boot_judge.py"


def load_plugin() -> ModuleType:
    spec = importlib.util.spec_from_file_location("boot_judge", PLUGIN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FILTERS = load_plugin().FilterModule().filters()


def render(template: str, **values: object) -> str:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters.update(FILTERS)
    return env.from_string(template).render(**values)


def test_a_wanted_argument_absent_from_the_line_is_missing() -> None:
    line = "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet"
    assert FILTERS["carehard_cmdline_missing"](line, ["audit=1", "audit_backlog_limit=8192"]) == [
        "audit=1 (absent)",
        "audit_backlog_limit=8192 (absent)",
    ]


def test_the_last_value_of_a_key_wins() -> None:
    missing = FILTERS["carehard_cmdline_missing"]
    assert missing("audit=1 quiet audit=0", ["audit=1"]) == ["audit=1 (found audit=0)"]
    assert missing("audit=0 audit=1", ["audit=1"]) == []


def test_bare_keys_and_values_with_commas_and_dots() -> None:
    missing = FILTERS["carehard_cmdline_missing"]
    line = " quiet mds=full,nosmt page_alloc.shuffle=1 slab_nomerge"
    assert missing(line, ["mds=full,nosmt", "page_alloc.shuffle=1", "slab_nomerge"]) == []
    assert missing(line, ["slab_nomerge=yes"]) == ["slab_nomerge=yes (found slab_nomerge)"]
    assert missing("", ["iommu=force"]) == ["iommu=force (absent)"]


def test_root_only_names_what_is_wrong_and_where() -> None:
    lines = [
        "/boot/grub/grub.cfg 444 root root",
        "/boot/efi/EFI/redhat/grub.cfg 600 root wheel",
        "/boot/grub2/grub.cfg 600 root root",
        "/boot/grub/custom.cfg 700 root root",
    ]
    assert FILTERS["carehard_root_only"](lines, executable=False) == [
        "/boot/grub/grub.cfg: mode 0444",
        "/boot/efi/EFI/redhat/grub.cfg: group wheel",
        "/boot/grub/custom.cfg: mode 0700",
    ]


def test_root_only_for_directories_ignores_the_group_and_keeps_execute() -> None:
    lines = ["/boot 700 root adm", "/boot/grub 755 root root", "/boot/System.map-6.1.0 644 user root"]
    assert FILTERS["carehard_root_only"](lines, group=False) == [
        "/boot/grub: mode 0755",
        "/boot/System.map-6.1.0: owner user, mode 0644",
    ]


def test_the_filters_are_reached_by_their_registered_names_in_jinja() -> None:
    out = render("{{ line | carehard_cmdline_missing(['audit=1']) | join(';') }}", line="audit=0")
    assert out == "audit=1 (found audit=0)"
