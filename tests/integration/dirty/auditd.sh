# auditd installed from the image's cache but left disabled (WL-LOG-01 enables it): a fresh
# auditd meets the owner and mode controls, so they are broken here. Not started: a container
# cannot run it (policy-rc.d refuses the start, as WL-LOG-01 does).
made_policy=no
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=yes
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends auditd >/dev/null
[ "$made_policy" = yes ] && rm -f /usr/sbin/policy-rc.d
systemctl disable auditd >/dev/null 2>&1
# WL-AUD-18: log directory writable by its group (only the directory: the log files area's
# control on /var/log files must not fix it first). The log file itself is as auditd makes it.
chmod 0770 /var/log/audit
install -m 0600 /dev/null /var/log/audit/audit.log
# WL-AUD-19: auditd.conf readable by everyone.
chmod 0644 /etc/audit/auditd.conf
# WL-AUD-20: a tool writable by its group.
for p in /usr/sbin/aureport /sbin/aureport; do [ -e "$p" ] && chmod 0775 "$p"; done
# WL-AUD-17: audit.rules edited by hand, so it no longer is the merge of rules.d.
echo '## edited by hand' >> /etc/audit/audit.rules
# WL-SSH-17/18, met by a fresh Debian: broken in a drop-in sorting after carehard's 00-carehard.conf.
printf '%s\n' 'GSSAPIAuthentication yes' 'MaxSessions 20' > /etc/ssh/sshd_config.d/51-auditd-dirty.conf
exit 0
