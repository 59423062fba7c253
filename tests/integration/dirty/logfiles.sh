# A fresh Debian image has no cron and meets WL-PERM-01: install cron from the image's apt cache
# (offline) and stop it, and open two account database backups too wide, so that WL-CRON-01..03
# and WL-PERM-01 are each seen failing. (WL-JRN-03 fails on its own: dirty/fs_services.sh's telnet
# server brings inetutils-syslogd, a second logging system beside journald.)
set -e
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends cron >/dev/null
systemctl disable --now cron >/dev/null 2>&1
chmod 0666 /etc/group-
chmod 0644 /etc/gshadow
