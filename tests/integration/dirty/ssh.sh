# A fresh Debian already meets some SSH controls: break them in a drop-in that sorts after
# carehard's 00-carehard.conf (sshd keeps the first value, so carehard's settings win).
# WL-SSH-03 PermitEmptyPasswords, WL-SSH-14 rhosts / host-based / user environment.
printf '%s\n' 'PermitEmptyPasswords yes' 'IgnoreRhosts no' 'HostbasedAuthentication yes' \
  'PermitUserEnvironment yes' > /etc/ssh/sshd_config.d/50-legacy.conf
# WL-SSH-15: configuration readable by every local account.
chmod 644 /etc/ssh/sshd_config /etc/ssh/sshd_config.d/50-legacy.conf
# WL-SSH-16: the private host key's group is no longer root (sshd still loads it: mode 0600).
chgrp adm /etc/ssh/ssh_host_ed25519_key
