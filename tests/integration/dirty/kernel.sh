# Debian 12 already sets fs.protected_{symlinks,hardlinks} = 1 (/usr/lib/sysctl.d/99-protect-links.conf):
# a local file that sorts after it (and after carehard's 60-carehard.conf) turns hardlink protection off, so
# WL-SYS-05 is seen failing and carehard must write it in its override file (99-zz-carehard.conf).
printf '# legacy tuning\nfs.protected_hardlinks = 0\n' > /etc/sysctl.d/99-tuning.conf
# SYN cookies off in the host's network namespace (net.* is per namespace): harden sets it live.
sysctl -q -w net.ipv4.tcp_syncookies=0
# /var/tmp is not a separate mount on a fresh test host: an /etc/fstab entry (never mounted in the
# container) with nosuid only, so WL-FS-08 is seen failing and carehard adds nodev,noexec to it.
printf 'tmpfs /var/tmp tmpfs rw,nosuid,mode=1777 0 0\n' >> /etc/fstab
# Forwarding on in the host's network namespace (net.* is per namespace): harden turns it off live.
sysctl -q -w net.ipv4.ip_forward=1
