# A fresh Debian has no remote-control tool (RA-RCT-*): plant two, offline (the test hosts
# have no route out), as dummy packages built here with dpkg-deb:
#  - "teamviewer": /opt/teamviewer/tv_bin/teamviewerd (a shell script, so its process shows
#    "/bin/sh /opt/teamviewer/tv_bin/teamviewerd -d") and teamviewerd.service, enabled and
#    started by the package, as TeamViewer's own package does;
#  - "x11vnc": /usr/bin/x11vnc and x11vnc.service, enabled and started; and a second x11vnc
#    started by hand outside any x11vnc unit (a transient unit of another name), which only
#    its process betrays.
# Run by `sh` as root once per fresh host; safe to run again (same packages, same units).
set -eu

work=$(mktemp -d /tmp/carehard-dirty-rct.XXXXXX)
trap 'rm -rf "$work"' EXIT

# build_deb NAME VERSION DIR: a package of the files under DIR (DEBIAN/ written by the caller).
build_deb() {
  cat > "$3/DEBIAN/control" <<EOF
Package: $1
Version: $2
Architecture: all
Maintainer: carehard tests <tests@carehard.invalid>
Section: net
Priority: optional
Description: carehard test dummy of $1
 Planted by tests/integration/dirty/remote_tools.sh: no network, no real remote control.
EOF
  for s in postinst prerm postrm; do
    if [ -f "$3/DEBIAN/$s" ]; then chmod 0755 "$3/DEBIAN/$s"; fi
  done
  dpkg-deb --root-owner-group --build "$3" "$work/$1.deb" >/dev/null
}

# A daemon that only sleeps: what matters is the program name in its arguments.
daemon_script() {
  printf '#!/bin/sh\n# carehard test dummy: a remote-control daemon that only waits.\nwhile :; do sleep 30; done\n'
}

# --- TeamViewer --------------------------------------------------------------------------
tv=$work/teamviewer
mkdir -p "$tv/DEBIAN" "$tv/opt/teamviewer/tv_bin" "$tv/usr/lib/systemd/system"
daemon_script > "$tv/opt/teamviewer/tv_bin/teamviewerd"
chmod 0755 "$tv/opt/teamviewer/tv_bin/teamviewerd"
cat > "$tv/usr/lib/systemd/system/teamviewerd.service" <<'EOF'
[Unit]
Description=TeamViewer remote control daemon (carehard test dummy)
After=network.target

[Service]
Type=simple
ExecStart=/opt/teamviewer/tv_bin/teamviewerd -d
Restart=on-abort

[Install]
WantedBy=multi-user.target
EOF
cat > "$tv/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  systemctl daemon-reload
  systemctl enable teamviewerd.service
  systemctl restart teamviewerd.service
fi
EOF
cat > "$tv/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = remove ]; then
  systemctl stop teamviewerd.service || true
  systemctl disable teamviewerd.service || true
fi
EOF
cat > "$tv/DEBIAN/postrm" <<'EOF'
#!/bin/sh
systemctl daemon-reload || true
EOF
build_deb teamviewer 15.61.3 "$tv"

# --- x11vnc ------------------------------------------------------------------------------
vnc=$work/x11vnc
mkdir -p "$vnc/DEBIAN" "$vnc/usr/bin" "$vnc/usr/lib/systemd/system"
daemon_script > "$vnc/usr/bin/x11vnc"
chmod 0755 "$vnc/usr/bin/x11vnc"
cat > "$vnc/usr/lib/systemd/system/x11vnc.service" <<'EOF'
[Unit]
Description=VNC server for the X display (carehard test dummy)

[Service]
ExecStart=/usr/bin/x11vnc -forever -shared -rfbport 5900 -display :0
Restart=on-failure

[Install]
WantedBy=multi-user.target
EOF
cat > "$vnc/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  systemctl daemon-reload
  systemctl enable x11vnc.service
  systemctl restart x11vnc.service
fi
EOF
cat > "$vnc/DEBIAN/postrm" <<'EOF'
#!/bin/sh
systemctl daemon-reload || true
EOF
build_deb x11vnc 0.9.16-9 "$vnc"

dpkg -i "$work/teamviewer.deb" "$work/x11vnc.deb" >/dev/null

# The x11vnc someone started by hand for one session and forgot.
if ! systemctl is-active --quiet carehard-dirty-vnc-by-hand.service; then
  systemd-run --quiet --unit=carehard-dirty-vnc-by-hand /usr/bin/x11vnc -localhost -rfbport 5901 -display :1
fi

# Wait for the three processes (the units start them asynchronously).
for _ in $(seq 1 50); do
  n=$(ps -ww -eo args= | grep -cE '^/bin/sh (/opt/teamviewer/tv_bin/teamviewerd|/usr/bin/x11vnc) ' || true)
  [ "$n" -ge 3 ] && break
  sleep 0.2
done
systemctl is-active --quiet teamviewerd.service
systemctl is-active --quiet x11vnc.service
[ "$n" -ge 3 ]
