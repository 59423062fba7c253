# A fresh Debian refuses empty passwords already: allow them, so WL-SSH-03 is seen failing.
printf 'PermitEmptyPasswords yes\n' > /etc/ssh/sshd_config.d/50-legacy.conf
