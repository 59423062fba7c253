"""Accounts, PAM and sudo (WL-ACC-*) as the hosts really are after the cycle's harden.

The PAM checks go through PAM itself (a small ctypes client run as root on the host, with the
"carehard-test" service, which falls back to /etc/pam.d/other and so to common-auth):
a weak password is refused, failed logins really lock an account, and the admin still gets in.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.clirun import evidence, statuses
from tests.integration.linux_cycle import LinuxCycle, audit_alone, host_command
from tests.testhosts import harness

pytestmark = pytest.mark.integration

HARDENED = ("deb12", "deb13")
TEST_USER = "carehard-lock"
STRONG = "Tq8#mVw2-Lp5xRz"
WEAK = "abc12"

# One PAM transaction: `python3 - SERVICE USER auth|chauthtok PASSWORD` prints the PAM return
# code (0 success, 7 PAM_AUTH_ERR...). The conversation answers every prompt with PASSWORD.
PAM_CLIENT = r"""
import ctypes, ctypes.util, sys
pam = ctypes.CDLL(ctypes.util.find_library("pam") or "libpam.so.0")
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.calloc.restype = ctypes.c_void_p
libc.calloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
libc.strdup.restype = ctypes.c_void_p
libc.strdup.argtypes = [ctypes.c_char_p]
class Msg(ctypes.Structure):
    _fields_ = [("style", ctypes.c_int), ("msg", ctypes.c_char_p)]
class Resp(ctypes.Structure):
    _fields_ = [("resp", ctypes.c_void_p), ("code", ctypes.c_int)]
CONV = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.POINTER(Msg)),
                        ctypes.POINTER(ctypes.POINTER(Resp)), ctypes.c_void_p)
class Conv(ctypes.Structure):
    _fields_ = [("conv", CONV), ("data", ctypes.c_void_p)]
service, user, action, password = sys.argv[1:5]
def conv(n, msgs, resp, _):
    out = ctypes.cast(libc.calloc(n, ctypes.sizeof(Resp)), ctypes.POINTER(Resp))
    for i in range(n):
        if msgs[i].contents.style in (1, 2):
            out[i].resp = libc.strdup(password.encode())
    resp[0] = out
    return 0
callback = CONV(conv)
handle = ctypes.c_void_p()
pam.pam_start.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(Conv),
                          ctypes.POINTER(ctypes.c_void_p)]
pam.pam_start(service.encode(), user.encode(), ctypes.byref(Conv(callback, None)), ctypes.byref(handle))
if action == "auth":
    rc = pam.pam_authenticate(handle, 0)
    rc = rc or pam.pam_acct_mgmt(handle, 0)
else:
    rc = pam.pam_chauthtok(handle, 0)
pam.pam_end(handle, rc)
print(rc)
"""


def pam(host: harness.TestHost, action: str, password: str) -> int:
    args = " ".join(shlex.quote(a) for a in ("carehard-test", TEST_USER, action, password))
    proc = host_command(host, f"python3 - {args} <<'EOF'\n{PAM_CLIENT}\nEOF")
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout.strip().splitlines()[-1])


def read(host: harness.TestHost, command: str) -> str:
    proc = host_command(host, command)
    assert proc.returncode == 0, f"{command}: {proc.stderr}"
    return proc.stdout


@pytest.mark.parametrize("role", HARDENED)
def test_weak_passwords_are_refused_and_failed_logins_lock(linux_cycle: LinuxCycle, role: str) -> None:
    host = linux_cycle.hosts[role]
    conf = read(host, "grep -E '^[[:space:]]*[a-z_]+' /etc/security/pwquality.conf")
    assert "minlen = 12" in conf and "minclass = 3" in conf and "enforce_for_root" in conf, conf
    assert "pam_pwquality.so" in read(host, "grep -v '^#' /etc/pam.d/common-password")
    auth = read(host, "grep -v '^#' /etc/pam.d/common-auth")
    assert "pam_faillock.so preauth" in auth and "pam_faillock.so authfail" in auth, auth
    assert "pam_faillock.so" in read(host, "grep -v '^#' /etc/pam.d/common-account")
    assert "unlock_time = 900" in read(host, "cat /etc/security/faillock.conf")
    host_command(host, f"userdel -r {TEST_USER} 2>/dev/null; useradd -m -s /bin/bash {TEST_USER}")
    try:
        weak = host_command(host, f"echo '{TEST_USER}:{WEAK}' | chpasswd")
        assert weak.returncode != 0 and "shorter than 12" in weak.stdout + weak.stderr, weak
        strong = host_command(host, f"echo {shlex.quote(f'{TEST_USER}:{STRONG}')} | chpasswd")
        assert strong.returncode == 0, strong.stderr
        assert pam(host, "auth", STRONG) == 0
        failures = [pam(host, "auth", "not-the-password") for _ in range(5)]
        assert all(rc != 0 for rc in failures), failures
        tally = read(host, f"faillock --user {TEST_USER}")
        assert tally.count(" V\n") >= 3, tally
        assert pam(host, "auth", STRONG) != 0, "the right password still opens a locked account"
        read(host, f"faillock --user {TEST_USER} --reset")
        assert pam(host, "auth", STRONG) == 0
        assert "admin:" in read(host, "faillock --user admin")
    finally:
        host_command(host, f"faillock --user {TEST_USER} --reset; userdel -r {TEST_USER}")


@pytest.mark.parametrize("role", HARDENED)
def test_login_defs_umask_and_accounts(linux_cycle: LinuxCycle, role: str) -> None:
    host = linux_cycle.hosts[role]
    keys = "PASS_MAX_DAYS|PASS_MIN_DAYS|PASS_WARN_AGE|UMASK"
    lines = read(host, f"grep -E '^({keys})\\s' /etc/login.defs").strip().splitlines()
    defs = dict(line.split(None, 1) for line in lines)
    assert {k: v.strip() for k, v in defs.items()} == {
        "PASS_MAX_DAYS": "365",
        "PASS_MIN_DAYS": "1",
        "PASS_WARN_AGE": "7",
        "UMASK": "027",
    }
    assert read(host, "runuser -l nobody -s /bin/bash -c umask 2>/dev/null").strip() == "0027"
    # dirty/accounts.sh: kiosk had an empty password, legacysvc a shell, root a password.
    assert read(host, "getent shadow kiosk | cut -d: -f2").startswith("!")
    assert read(host, "getent passwd legacysvc | cut -d: -f7").strip() == "/usr/sbin/nologin"
    assert read(host, "passwd -S root").split()[1] == "L"
    # WL-ACC-04 is audit-only: the second UID 0 is reported, never removed.
    assert read(host, "getent passwd legacy0 | cut -d: -f3").strip() == "0"


@pytest.mark.parametrize("role", HARDENED)
def test_sudoers_drop_in_is_valid_and_the_admin_still_gets_in(linux_cycle: LinuxCycle, role: str) -> None:
    host = linux_cycle.hosts[role]
    assert read(host, "cat /etc/sudoers.d/carehard").splitlines() == [
        "Defaults use_pty",
        'Defaults logfile="/var/log/sudo.log"',
        "Defaults timestamp_timeout=15",  # WL-ACC-12: 00-legacy's 60, read before it, no longer applies
        "Defaults ignore_dot",  # WL-ACC-33 (env_reset is on in /etc/sudoers already)
        "Defaults umask=0027",
    ]
    assert "Authentication timestamp timeout: 15.0 minutes" in read(host, "sudo -V")
    assert read(host, "stat -c '%a %U' /etc/sudoers.d/carehard").strip() == "440 root"
    assert "parsed OK" in read(host, "visudo -c")
    applied = read(host, "sudo -ll -U root")
    assert "use_pty" in applied and "logfile=/var/log/sudo.log" in applied, applied
    admin = host.ssh(harness.ADMIN, "sudo -n id -u", check=False)
    assert admin.returncode == 0 and admin.stdout.strip() == "0", admin.stderr
    assert "COMMAND=/usr/bin/id -u" in read(host, "cat /var/log/sudo.log")


def test_audit_only_evidence_names_the_accounts_and_rules(linux_cycle: LinuxCycle) -> None:
    for role in HARDENED:
        assert "legacy0" in linux_cycle.evidence("audit2", role, "WL-ACC-04")
        assert "/etc/sudoers.d/admin:1 (admin)" in linux_cycle.evidence("audit2", role, "WL-ACC-10")
        assert "kiosk" in linux_cycle.evidence("audit1", role, "WL-ACC-05")
        assert "legacysvc:/bin/bash" in linux_cycle.evidence("audit1", role, "WL-ACC-06")


def test_uid0_passes_on_an_untouched_host(
    fleet: dict[str, harness.TestHost], state_dir: Path, tmp_path: Path
) -> None:
    """A fresh Debian has no second UID 0; its admin's NOPASSWD rule is reported."""
    spare = fleet["spare"]
    _, report = audit_alone(spare, tmp_path, "WL-ACC-04,WL-ACC-10")
    assert statuses(report, spare.name) == {"WL-ACC-04": "pass", "WL-ACC-10": "fail"}
    assert "root is the only account with UID 0" in evidence(report, spare.name, "WL-ACC-04")
    assert "/etc/sudoers.d/admin:1" in evidence(report, spare.name, "WL-ACC-10")


@pytest.mark.parametrize("role", HARDENED)
def test_pam_history_nullok_su_and_tmpdir(linux_cycle: LinuxCycle, role: str) -> None:
    host = linux_cycle.hosts[role]
    password = [
        line.split() for line in read(host, "grep -E '^password' /etc/pam.d/common-password").splitlines()
    ]
    # the module is the first word ending in .so (a control may be "[success=1 default=ignore]")
    modules = [next(word for word in words if word.endswith(".so")) for words in password]
    assert (
        modules.index("pam_pwquality.so") < modules.index("pam_pwhistory.so") < modules.index("pam_unix.so")
    ), modules
    history = password[modules.index("pam_pwhistory.so")]
    assert {"remember=24", "enforce_for_root", "use_authtok"} <= set(history), history
    assert {"use_authtok", "yescrypt"} <= set(password[modules.index("pam_unix.so")])
    for stack in ("common-auth", "common-password", "common-account", "common-session"):
        assert "nullok" not in read(host, f"grep -v '^#' /etc/pam.d/{stack}"), stack
    su = read(host, "grep -E '^auth' /etc/pam.d/su").splitlines()
    assert "pam_rootok.so" in su[0] and su[1].split() == [
        "auth",
        "required",
        "pam_wheel.so",
        "use_uid",
        "group=sugroup",
    ]
    assert read(host, "getent group sugroup").strip().endswith(":"), "sugroup must stay empty"
    assert "pam_tmpdir.so" in read(host, "grep -v '^#' /etc/pam.d/common-session")
    # A real SSH session of the admin: a private TMPDIR, no TMOUT (not interactive), sudo still works.
    admin = host.ssh(
        harness.ADMIN, 'echo "$TMPDIR ${TMOUT:-none}"; sudo -n true && echo sudo-ok', check=False
    )
    assert admin.stdout.split() == ["/tmp/user/1000", "none", "sudo-ok"], admin.stdout + admin.stderr
    host_command(host, f"userdel -r {TEST_USER} 2>/dev/null; useradd -m -s /bin/bash {TEST_USER}")
    try:
        for password_ in (STRONG, "Vx7#pQw9-Mn3kLr", STRONG):
            proc = host_command(host, f"echo {shlex.quote(f'{TEST_USER}:{password_}')} | chpasswd")
        assert proc.returncode != 0, "pam_pwhistory let an old password back in"
        assert "already" in (proc.stdout + proc.stderr).lower(), proc.stdout + proc.stderr
    finally:
        host_command(host, f"userdel -r {TEST_USER}")


@pytest.mark.parametrize("role", HARDENED)
def test_shells_homes_and_account_files(linux_cycle: LinuxCycle, role: str) -> None:
    host = linux_cycle.hosts[role]
    interactive = host_command(
        host, "env -i HOME=/root TERM=dumb bash -lic 'declare -p TMOUT' </dev/null"
    ).stdout
    assert 'declare -rx TMOUT="900"' in interactive, interactive
    assert read(host, "bash -lc 'echo ${TMOUT:-none}' </dev/null").strip() == "none"
    assert "nologin" not in read(host, "cat /etc/shells")
    assert "ENCRYPT_METHOD SHA512" in read(host, "grep ^ENCRYPT_METHOD /etc/login.defs")
    assert read(host, "grep ^INACTIVE= /etc/default/useradd").strip() == "INACTIVE=45"
    pwquality = read(host, "cat /etc/security/pwquality.conf")
    assert all(f"{k} = {v}" in pwquality for k, v in (("difok", 2), ("maxrepeat", 3), ("maxsequence", 3))), (
        pwquality
    )
    faillock = read(host, "grep -v '^#' /etc/security/faillock.conf")
    # root_unlock_time defaults to unlock_time (900, WL-ACC-03): long enough, so not written.
    assert "even_deny_root" in faillock, faillock
    # dirty/accounts.sh broke these; harden repaired them without touching the rest.
    assert read(host, "getent passwd legacysvc | cut -d: -f2").strip() == "x"
    assert read(host, "passwd -S svcpass").split()[1] == "L"
    assert read(host, "getent group shadow").strip().endswith(":")
    assert read(host, "stat -c %a /home/kiosk /home/kiosk/.profile").split() == ["750", "644"]
    assert read(
        host, "ls -A /home/kiosk | grep rhosts; stat -c %a /home/kiosk/.rhosts.disabled-by-carehard"
    ).split() == [
        ".rhosts.disabled-by-carehard",
        "600",
    ]
    for bashrc in ("/root/.bashrc", "/home/kiosk/.bashrc"):
        assert "# disabled by carehard (umask weaker than 027" in read(host, f"tail -n 1 {bashrc}"), bashrc
    assert read(host, "stat -c %a /home/admin").strip() in ("700", "750")


def test_audit_only_account_evidence_names_what_is_wrong(linux_cycle: LinuxCycle) -> None:
    for role in HARDENED:
        ids = ("WL-ACC-20", "WL-ACC-21", "WL-ACC-22", "WL-ACC-28", "WL-ACC-30", "WL-ACC-35")
        found = {control: linux_cycle.evidence("audit2", role, control) for control in ids}
        assert "kiosk: last password change 2099-01-01" in found["WL-ACC-20"]
        assert "account legacy0 has GID 0" in found["WL-ACC-21"]
        assert "/opt/legacy/bin (in root's PATH) is owned by kiosk" in found["WL-ACC-22"]
        assert "legacysvc: primary group GID 4242" in found["WL-ACC-28"]
        assert "UID 0: root, legacy0" in found["WL-ACC-30"]
        sudoers = found["WL-ACC-35"]
        assert "/etc/sudoers.d/00-legacy:2: negation !/usr/bin/systemctl poweroff" in sudoers, sudoers
        assert "/etc/sudoers.d/00-legacy:2: /usr/bin/systemctl without arguments" in sudoers, sudoers
