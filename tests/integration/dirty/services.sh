# A fresh Debian test host has none of the services WL-SVC-06/07/08/09 and WL-FW-03 take out of
# use, and its apt cache holds none of them: build small local packages with their real names and
# units (dpkg-deb), so that each control is seen failing, then fixed: rsync (its daemon masked,
# the tool kept), autofs (removed), bluez with a package that depends on it (bluetooth.service
# masked, as removing would take the dependent away), the ftp client (removed) and nftables
# (nftables.service masked beside ufw; iptables-persistent cannot be: ufw breaks it). Their units
# run a sleep, so that "stopped" is real.
set -e
build() {   # build NAME "DEPENDS" UNIT...: a package owning the given units
  name=$1 depends=$2; shift 2
  root=/var/tmp/carehard-dirty-debs/$name
  rm -rf "$root"; mkdir -p "$root/DEBIAN" "$root/usr/lib/systemd/system" "$root/usr/share/doc/$name"
  # A file of its own: dpkg lets a package that owns no file disappear when others are installed.
  echo "carehard test stand-in" > "$root/usr/share/doc/$name/README"
  printf 'Package: %s\nVersion: 0.0-carehard1\nArchitecture: all\nMaintainer: carehard tests <root@localhost>\nDescription: carehard test stand-in for %s\n' \
    "$name" "$name" > "$root/DEBIAN/control"
  [ -z "$depends" ] || printf 'Depends: %s\n' "$depends" >> "$root/DEBIAN/control"
  for unit in "$@"; do
    printf '[Unit]\nDescription=carehard test stand-in (%s)\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n' \
      "$unit" > "$root/usr/lib/systemd/system/$unit"
  done
  dpkg-deb --root-owner-group -b "$root" "/var/tmp/carehard-dirty-debs/$name.deb" >/dev/null
}
build rsync "" rsync.service
build autofs "" autofs.service
build bluez "" bluetooth.service
build carehard-dirty-desktop "bluez" 
build ftp ""
build nftables "" nftables.service
cd /var/tmp/carehard-dirty-debs
for deb in rsync autofs bluez carehard-dirty-desktop ftp nftables; do dpkg -i "$deb.deb" >/dev/null; done
dpkg-query -W rsync autofs bluez carehard-dirty-desktop ftp nftables >/dev/null
systemctl daemon-reload
systemctl enable --now rsync.service autofs.service bluetooth.service nftables.service >/dev/null 2>&1
