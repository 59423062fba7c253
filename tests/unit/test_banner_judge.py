"""The judge of the login banners (WL-BAN-01), filter_plugins/banner_judge.py, on probe output
recorded on a Debian 12 test host (fresh, and after harden): pass, fail, error, unselected,
switched-off and held, exact evidence. The plugin is loaded by path, as Ansible loads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
BANNER = plugin_filters(ROOT / "roles/workstation_linux/filter_plugins/banner_judge.py")


def probe(stdout: str, rc: int = 0, **extra: Any) -> dict[str, Any]:
    return {"rc": rc, "stdout": stdout, "stderr": "", "changed": False, **extra}


BAN_SETTINGS: dict[str, Any] = {
    "run_tags": ["all"],
    "skip_tags": [],
    "switches": {"WL-BAN-01": True},
    "held": [],
    "files": ["/etc/motd", "/etc/issue", "/etc/issue.net"],
    "scripts": ["/etc/update-motd.d/10-uname"],
}
# Recorded on the fresh host (Debian's own banners).
BAN_FRESH = """\
file|/etc/motd|yes|root:root|yes|no
file|/etc/issue|yes|root:root|yes|no
file|/etc/issue.net|yes|root:root|yes|no
script|/etc/update-motd.d/10-uname|yes
done
"""
BAN_CLEAN = """\
file|/etc/motd|yes|root:root|no|yes
file|/etc/issue|yes|root:root|no|yes
file|/etc/issue.net|yes|root:root|no|yes
script|/etc/update-motd.d/10-uname|no
done
"""
BAN_OTHER = """\
file|/etc/motd|no||no|no
file|/etc/issue|yes|admin:root 664 (expected root:root 0644 or stricter)|no|yes
file|/etc/issue.net|yes|root:root|no|yes
done
"""


def ban(result: Any, **settings: Any) -> list[dict[str, str]]:
    items: list[dict[str, str]] = BANNER["banner_judge"](result, {**BAN_SETTINGS, **settings})
    return items


def test_the_banners_of_a_fresh_host_fail() -> None:
    [item] = ban(probe(BAN_FRESH))
    assert (item["id"], item["status"]) == ("WL-BAN-01", "fail")
    os_info = "shows OS information (its name or a \\m \\r \\s \\v escape)"
    text = "does not hold the legal warning of workstation_linux_banner_text"
    assert item["evidence"] == (
        f"/etc/motd {os_info}; /etc/motd {text}; /etc/issue {os_info}; /etc/issue {text};"
        f" /etc/issue.net {os_info}; /etc/issue.net {text};"
        " /etc/update-motd.d/10-uname (prints the OS at login)"
        " is executable"
    )
    assert BANNER["banner_exec_scripts"](probe(BAN_FRESH)) == ["/etc/update-motd.d/10-uname"]


def test_missing_and_open_banners_fail() -> None:
    [item] = ban(probe(BAN_OTHER), scripts=[])
    assert item["evidence"] == (
        "/etc/motd is missing; /etc/issue is admin:root 664 (expected root:root 0644 or stricter)"
    )


def test_the_banners_of_a_hardened_host_pass() -> None:
    [item] = ban(probe(BAN_CLEAN))
    assert item == {
        "id": "WL-BAN-01",
        "what": "Check that the banners carry the legal warning and no OS information",
        "status": "pass",
        "evidence": "/etc/motd, /etc/issue, /etc/issue.net:"
        " the legal warning of workstation_linux_banner_text,"
        " root-owned, not writable by others, no OS information; OS-revealing motd scripts not executable:"
        " /etc/update-motd.d/10-uname",
    }
    [item] = ban(probe(BAN_CLEAN), scripts=[])
    assert item["evidence"].endswith("no OS information")


def test_the_banner_control_unselected_switched_off_held() -> None:
    assert ban(probe(BAN_FRESH), run_tags=["WL-PERM-01"]) == []
    assert ban(probe(BAN_FRESH), skip_tags=["WL-BAN-01"]) == []
    [item] = ban(probe(BAN_FRESH), switches={"WL-BAN-01": False})
    assert (item["status"], item["what"]) == ("na", "switched off (workstation_linux_wl_ban_01: false)")
    [item] = ban(probe(BAN_FRESH), held=["WL-BAN-01"])
    assert (item["status"], item["what"]) == ("na", "held by a waiver: not checked nor changed")
    assert BANNER["banner_probed"]({**BAN_SETTINGS, "held": ["WL-BAN-01"]}) == []


@pytest.mark.parametrize(
    ("result", "evidence"),
    [
        (
            probe("", rc=1, stderr="cat: /etc/motd: Permission denied"),
            "the banner probe broke (rc 1): cat: /etc/motd: Permission denied",
        ),
        (probe("garbage"), "the banner probe printed no banner state: 'garbage'"),
        (
            probe("file|/etc/motd|yes|root:root|no|yes\ndone\n"),
            "the banner probe did not report /etc/issue, /etc/issue.net",
        ),
        ({"skipped": True}, "the banner probe did not run"),
    ],
)
def test_a_broken_banner_probe_is_an_error(result: Any, evidence: str) -> None:
    [item] = ban(result)
    assert (item["status"], item["evidence"]) == ("error", evidence)
    assert BANNER["banner_failed"]([item]) == []
