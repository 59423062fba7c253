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
# --- WL-ACC-12..36 (a fresh Debian already fails WL-ACC-13..17, 19, 26, 33, 34) ---
# WL-ACC-12: sudo trusts a password for an hour (carehard's file, read after this one, wins).
# WL-ACC-35 (audit-only): a rule with a negation and a command allowed with any argument.
cat > /etc/sudoers.d/00-legacy <<'SUDOERS'
Defaults timestamp_timeout=60
kiosk ALL=(root) /usr/bin/systemctl, !/usr/bin/systemctl poweroff
SUDOERS
chmod 0440 /etc/sudoers.d/00-legacy
visudo -c >/dev/null
# WL-ACC-18: a weak hash for the shadow tools.
sed -i 's/^ENCRYPT_METHOD.*/ENCRYPT_METHOD MD5/' /etc/login.defs
# WL-ACC-20 (audit-only): a password "changed" in 2099.
chage -d 2099-01-01 kiosk
# WL-ACC-22 (audit-only): root's PATH ends with a directory a user owns.
install -d -o kiosk /opt/legacy/bin
grep -q /opt/legacy/bin /root/.profile || echo 'PATH="$PATH:/opt/legacy/bin"' >> /root/.profile
# WL-ACC-23, WL-ACC-36: umask 022 in root's and kiosk's .bashrc.
echo 'umask 022' >> /root/.bashrc
echo 'umask 022' >> /home/kiosk/.bashrc
# WL-ACC-24: a service account with no shell but a usable password.
id svcpass >/dev/null 2>&1 || useradd -r -M -d /nonexistent -s /usr/sbin/nologin -c "legacy service" svcpass
echo 'svcpass:Carehard-svc-2026!' | chpasswd
# WL-ACC-25: nologin listed as a valid shell.
echo /usr/sbin/nologin >> /etc/shells
# WL-ACC-27: legacysvc's password field in /etc/passwd; WL-ACC-28 (audit-only): its GID has no group.
sed -i -E 's/^legacysvc:x:([0-9]+):[0-9]+:/legacysvc:!:\1:4242:/' /etc/passwd
# WL-ACC-29: kiosk in group shadow.
usermod -aG shadow kiosk
# WL-ACC-31, WL-ACC-32: kiosk's home and .profile group-writable, a .rhosts (group-writable only:
# the world-writable scan of WL-FS-* is another control's).
chmod 0775 /home/kiosk
chmod 0664 /home/kiosk/.profile
touch /home/kiosk/.rhosts
