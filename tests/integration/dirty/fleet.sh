# compliance_facts (IV-*, EX-SVC-01): what a fleet inventory must reveal.
set -e
# EX-SVC-01: a VNC-like listener on every address (fails), a database on loopback only (not
# exposed), a PostgreSQL-like listener the inventory allows (carehard_exposure_allowed).
plant() {
  unit=$1 address=$2 port=$3
  systemctl is-active --quiet "$unit" && return 0
  systemctl reset-failed "$unit" 2>/dev/null || true
  systemd-run --quiet --unit="$unit" /usr/bin/python3 -c "
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$address', $port))
s.listen()
time.sleep(10**9)
"
}
plant carehard-planted-vnc 0.0.0.0 5900
plant carehard-planted-mysql 127.0.0.1 3306
plant carehard-planted-pg 0.0.0.0 5432
# IV-UPD-02: the test images were never upgraded (debootstrap and installs only): record an
# upgrade three days ago, as apt writes it.
if ! grep -q "carehard-test-upgrade" /var/log/apt/history.log 2>/dev/null; then
  day=$(date -d '3 days ago' '+%Y-%m-%d')
  mkdir -p /var/log/apt
  printf '\nStart-Date: %s  03:12:40\nCommandline: apt-get -y upgrade\nUpgrade: carehard-test-upgrade:amd64 (1.0, 1.1)\nEnd-Date: %s  03:12:58\n' \
    "$day" "$day" >> /var/log/apt/history.log
fi
# IV-ADM-01: an administrator nobody declared in carehard_admins.
id ghostadm >/dev/null 2>&1 || useradd -m -s /bin/bash -c "former intern" ghostadm
usermod -aG sudo ghostadm
for i in 1 2 3 4 5 6 7 8 9 10; do
  ss -Htln 'sport = :5900' | grep -q . && ss -Htln 'sport = :5432' | grep -q . && exit 0
  sleep 0.3
done
echo "the planted listeners did not start" >&2
exit 1
