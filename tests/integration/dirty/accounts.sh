# A fresh Debian meets some account controls already: break them, so that each is seen failing.
set -e
# WL-ACC-04 (audit-only: stays failing): a second account with UID 0.
id legacy0 >/dev/null 2>&1 || useradd -o -u 0 -g 0 -M -d /root -s /usr/sbin/nologin -c "legacy vendor root" legacy0
# WL-ACC-05: an account with an empty password field (a shared kiosk account).
id kiosk >/dev/null 2>&1 || useradd -m -s /bin/bash -c "shared kiosk" kiosk
passwd -d kiosk >/dev/null
# WL-ACC-06: a system account (below UID_MIN) with a login shell.
id legacysvc >/dev/null 2>&1 || useradd -r -M -d /nonexistent -s /bin/bash -c "legacy service" legacysvc
# WL-ACC-08: Debian 12/13 set "Defaults use_pty" in /etc/sudoers; older releases did not.
sed -i 's/^Defaults[[:space:]]\+use_pty/# &/' /etc/sudoers
visudo -c >/dev/null
# WL-ACC-11: root with a usable password (the images lock it with "*").
echo 'root:Carehard-root-2026!' | chpasswd
