"""The judge of the screen lock and GDM controls (WL-GUI-01, 02, 03), filter_plugins/gui_judge.py, on
probe output recorded on a Debian 12 test host (tests/unit/data/gui: fresh, no desktop; dirty: a stub
GDM and dconf, XDMCP on in /etc/gdm3/daemon.conf, nothing else; hardened: after harden): pass, fail,
not applicable, error, unselected, switched-off and held controls, evidence. The plugin is loaded by
path, as Ansible loads it, and reached through its registered names."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.unit.role_plugins import plugin_filters

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "roles/workstation_linux/filter_plugins/gui_judge.py"
DATA = Path(__file__).resolve().parent / "data" / "gui"
IDS = ["WL-GUI-01", "WL-GUI-02", "WL-GUI-03"]


def filters() -> dict[str, Callable[..., Any]]:
    return plugin_filters(PLUGIN)


F = filters()
JUDGE, STATE, PROBED = F["gui_judge"], F["gui_state"], F["gui_probed"]


def recorded(name: str) -> str:
    return (DATA / f"{name}.txt").read_text()


FRESH, DIRTY, HARDENED = recorded("fresh"), recorded("dirty"), recorded("hardened")
LOGIN_SCREEN = "/etc/dconf/db/gdm.d/01-carehard-login-screen"


def _content(stdout: str, path: str) -> str:
    for line in stdout.splitlines():
        if line.startswith(f"path={path}\t"):
            return base64.b64decode(line.split("\t")[3]).decode()
    raise KeyError(path)


CONTENTS = {
    "/etc/dconf/db/local.d/00-carehard-screenlock": (
        "# Managed by carehard (WL-GUI-01): lock idle graphical sessions.\n"
        "[org/gnome/desktop/session]\nidle-delay=uint32 900\n\n"
        "[org/gnome/desktop/screensaver]\nlock-enabled=true\nlock-delay=uint32 5\n"
    ),
    "/etc/dconf/db/local.d/locks/00-carehard-screenlock": (
        "# Managed by carehard (WL-GUI-01): users cannot lengthen or turn off the screen lock.\n"
        "/org/gnome/desktop/session/idle-delay\n/org/gnome/desktop/screensaver/lock-enabled\n"
        "/org/gnome/desktop/screensaver/lock-delay\n"
    ),
    "/etc/dconf/profile/gdm": "user-db:user\nsystem-db:gdm\nfile-db:/usr/share/gdm/greeter-dconf-defaults\n",
    LOGIN_SCREEN: _content(HARDENED, LOGIN_SCREEN),
    "/etc/dconf/db/gdm.d/locks/01-carehard-login-screen": (
        "# Managed by carehard (WL-GUI-02).\n/org/gnome/login-screen/banner-message-enable\n"
        "/org/gnome/login-screen/banner-message-text\n/org/gnome/login-screen/disable-user-list\n"
    ),
    "/etc/dconf/db/local.d/00-carehard-media": (
        "# Managed by carehard (WL-GUI-03): removable media are neither mounted nor run automatically.\n"
        "[org/gnome/desktop/media-handling]\nautomount=false\nautomount-open=false\nautorun-never=true\n"
    ),
    "/etc/dconf/db/local.d/locks/00-carehard-media": (
        "# Managed by carehard (WL-GUI-03).\n/org/gnome/desktop/media-handling/automount\n"
        "/org/gnome/desktop/media-handling/automount-open\n/org/gnome/desktop/media-handling/autorun-never\n"
    ),
}
SETTINGS: dict[str, Any] = {
    "run_tags": ["all"],
    "skip_tags": [],
    "switches": {i: True for i in IDS},
    "held": [],
    "idle_delay": "900",
    "gdm_conf": "/etc/gdm3/daemon.conf",
    "contents": CONTENTS,
}


def judge(stdout: str, **changes: Any) -> dict[str, dict[str, str]]:
    items = JUDGE({"rc": 0, "stdout": stdout, "stderr": ""}, {**SETTINGS, **changes})
    return {i["id"]: i for i in items}


def edit(stdout: str, path: str, kind: str = "file", perms: str = "root:root:644", content: str = "") -> str:
    """The recorded output with one path line replaced."""
    encoded = base64.b64encode(content.encode()).decode()
    out = []
    for line in stdout.splitlines():
        if line.startswith(f"path={path}\t"):
            line = f"path={path}\t{kind}\t{perms}\t{encoded}"
        out.append(line)
    return "\n".join(out) + "\n"


def test_a_host_without_a_desktop_is_not_applicable() -> None:
    items = judge(FRESH)
    assert {i: (v["status"], v["what"]) for i, v in items.items()} == {
        "WL-GUI-01": ("na", "not applicable: no graphical desktop installed"),
        "WL-GUI-02": ("na", "not applicable: GDM is not installed"),
        "WL-GUI-03": ("na", "not applicable: no graphical desktop installed"),
    }


def test_gdm_without_settings_fails_each_control_with_what_is_missing() -> None:
    items = judge(DIRTY)
    assert {i: v["status"] for i, v in items.items()} == dict.fromkeys(IDS, "fail")
    gui01 = items["WL-GUI-01"]["evidence"]
    assert gui01.startswith("gdm3: the screen lock is not enforced: /etc/dconf/profile is missing;")
    assert (
        "/etc/dconf/db/local.d/00-carehard-screenlock is missing (expected: [org/gnome/desktop/session]"
        " idle-delay=uint32 900 [org/gnome/desktop/screensaver] lock-enabled=true lock-delay=uint32 5)"
    ) in gui01
    assert gui01.endswith(
        "/etc/dconf/profile/user is missing; the compiled database /etc/dconf/db/local is missing or older"
        " than the keyfiles; dconf profile with system-db:local: no; compiled database up to date: no."
        " Expected idle-delay 900, lock-enabled true, locked."
    )
    gui02 = items["WL-GUI-02"]["evidence"]
    assert "/etc/gdm3/daemon.conf [xdmcp] sets Enable=true (XDMCP on)" in gui02
    assert gui02.endswith(
        "compiled database up to date: no. Expected banner-message-enable=true, disable-user-list=true,"
        " locked, XDMCP off."
    )
    gui03 = items["WL-GUI-03"]["evidence"]
    assert (
        "/etc/dconf/db/local.d/00-carehard-media is missing (expected: [org/gnome/desktop/media-handling]"
        in gui03
    )
    assert gui03.endswith("Expected automount=false, automount-open=false, autorun-never=true, locked.")


def test_the_hardened_host_passes() -> None:
    items = judge(HARDENED)
    assert {i: v["status"] for i, v in items.items()} == dict.fromkeys(IDS, "pass")
    assert items["WL-GUI-01"]["evidence"] == (
        "gdm3: sessions lock after 900 s idle (dconf system database local, settings locked against users)"
    )
    assert items["WL-GUI-02"]["evidence"] == (
        "GDM login screen: legal warning shown, no user list, both locked (dconf database gdm, profile"
        " /etc/dconf/profile/gdm); XDMCP off in /etc/gdm3/daemon.conf"
    )
    assert items["WL-GUI-03"]["evidence"] == (
        "gdm3: automount=false, automount-open=false, autorun-never=true, locked"
        " (dconf system database local)"
    )


def test_a_changed_value_is_shown_as_a_diff_and_a_loose_mode_fails() -> None:
    path = "/etc/dconf/db/local.d/00-carehard-screenlock"
    stdout = edit(HARDENED, path, perms="root:root:666", content=CONTENTS[path].replace("900", "3600"))
    gui01 = judge(stdout)["WL-GUI-01"]
    assert gui01["status"] == "fail"
    assert f"{path} differs (-idle-delay=uint32 3600; +idle-delay=uint32 900)" in gui01["evidence"]
    assert f"{path}: owner root:root mode 0666 instead of root:root 0644" in gui01["evidence"]


def test_a_user_profile_without_the_system_database_fails() -> None:
    stdout = edit(HARDENED, "/etc/dconf/profile/user", content="user-db:user\n")
    items = judge(stdout)
    assert "/etc/dconf/profile/user has no line system-db:local" in items["WL-GUI-01"]["evidence"]
    assert "dconf profile with system-db:local: no" in items["WL-GUI-01"]["evidence"]
    assert items["WL-GUI-03"]["status"] == "fail"


def test_a_stale_database_and_xdmcp_set_false_fail() -> None:
    stdout = HARDENED.replace("fresh_gdm=yes", "fresh_gdm=no").replace(
        "end=yes", "xdmcp=Enable = false\nend=yes"
    )
    gui02 = judge(stdout)["WL-GUI-02"]
    assert gui02["status"] == "fail"
    assert (
        "the compiled database /etc/dconf/db/gdm is missing or older than the keyfiles" in gui02["evidence"]
    )
    assert (
        "/etc/gdm3/daemon.conf [xdmcp] sets Enable = false (carehard removes the option: off is the default)"
    ) in gui02["evidence"]


def test_a_desktop_without_dconf_fails_and_says_what_to_do() -> None:
    items = judge(DIRTY.replace("dconf=yes", "dconf=no"))
    assert items["WL-GUI-01"]["evidence"] == (
        "graphical desktop installed (gdm3) without dconf: carehard cannot set its screen lock. Configure the"
        " desktop's own locker to lock after at most 900 s of inactivity, or install dconf (dconf-cli)."
    )
    assert items["WL-GUI-02"]["evidence"] == (
        "GDM (/usr/sbin/gdm3) without dconf: carehard cannot set its login screen. Install dconf (dconf-cli)."
        " /etc/gdm3/daemon.conf [xdmcp] sets Enable=true (XDMCP on)."
    )
    assert items["WL-GUI-03"]["evidence"] == (
        "graphical desktop installed (gdm3) without dconf: carehard cannot turn off automatic mounting."
        " Install dconf (dconf-cli), or turn it off in the desktop's own settings."
    )


def test_no_gdm_configuration_known_leaves_xdmcp_out() -> None:
    gui02 = judge(HARDENED, gdm_conf="")["WL-GUI-02"]
    assert gui02["status"] == "pass"
    assert gui02["evidence"].endswith("; no GDM configuration file known for this distribution")


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (
            {"rc": 2, "stdout": "", "stderr": "bash: base64: command not found"},
            "the screen lock probe broke (rc 2)",
        ),
        ({"rc": 0, "stdout": "garbage"}, "the screen lock probe's output lacks desktops, gdm, dconf, end"),
        ({"skipped": True}, "the screen lock probe did not run"),
        (None, "the screen lock probe gave no result"),
        (
            {
                "rc": 0,
                "stdout": "desktops=gdm3\ngdm=\ndconf=yes\npath=/x\tfile\troot:root:644\t!!!\nend=yes\n",
            },
            "the screen lock probe printed an unreadable content for /x",
        ),
    ],
)
def test_a_probe_that_broke_is_an_error_of_each_control(result: Any, expected: str) -> None:
    items = JUDGE(result, SETTINGS)
    assert [i["status"] for i in items] == ["error"] * 3
    assert all(i["evidence"].startswith(expected) for i in items)


def test_a_probe_cut_short_is_an_error_not_a_crash() -> None:
    cut = HARDENED.replace("end=yes\n", "")
    items = JUDGE({"rc": 0, "stdout": cut}, SETTINGS)
    assert {i["status"] for i in items} == {"error"}
    assert items[0]["evidence"].startswith("the screen lock probe's output lacks end")


def test_unselected_controls_get_no_item() -> None:
    items = JUDGE({"rc": 0, "stdout": HARDENED}, {**SETTINGS, "run_tags": ["WL-GUI-02"]})
    assert [i["id"] for i in items] == ["WL-GUI-02"]
    items = JUDGE({"rc": 0, "stdout": HARDENED}, {**SETTINGS, "skip_tags": ["WL-GUI-01"]})
    assert [i["id"] for i in items] == ["WL-GUI-02", "WL-GUI-03"]


def test_switched_off_and_held_controls_are_not_applicable_and_not_probed() -> None:
    settings = {**SETTINGS, "switches": {**SETTINGS["switches"], "WL-GUI-01": False}, "held": ["WL-GUI-03"]}
    items = {i["id"]: i for i in JUDGE({"skipped": True}, settings)}
    assert items["WL-GUI-01"]["status"] == "na"
    assert items["WL-GUI-01"]["what"] == "switched off (workstation_linux_wl_gui_01: false)"
    assert items["WL-GUI-03"]["what"] == "held by a waiver: not checked nor changed"
    assert items["WL-GUI-02"]["status"] == "error"
    assert PROBED(settings) == ["WL-GUI-02"]
    assert PROBED({**settings, "held": IDS}) == []


def test_the_state_of_the_recorded_probe() -> None:
    st = STATE({"rc": 0, "stdout": DIRTY})
    assert st["desktops"] == ["gdm3"]
    assert st["gdm"] == "/usr/sbin/gdm3"
    assert st["dconf"] is True
    assert st["xdmcp"] == ["Enable=true"]
    assert st["paths"]["/etc/gdm3/daemon.conf"] == {"kind": "file", "perms": "root:root:644", "content": ""}
