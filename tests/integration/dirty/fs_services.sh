# A fresh Debian already meets WL-SVC-01/02 and WL-FS-03/04/05: install a telnet server and
# Avahi from the image's apt cache (offline), and leave a world-writable file, a
# world-writable directory without the sticky bit, an unowned file and an unexpected SUID
# executable, so that each of these controls is seen failing.
set -e
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends inetutils-telnetd avahi-daemon >/dev/null
install -d -m 0755 /srv/carehard-dirty
install -m 0666 /dev/null /srv/carehard-dirty/world-writable.txt
install -d -m 0777 /srv/carehard-dirty/shared-no-sticky
install -m 0644 -o 4242 -g 4242 /dev/null /srv/carehard-dirty/left-by-a-deleted-account
install -m 4755 /usr/bin/true /usr/local/bin/carehard-dirty-suid
