# The test hosts boot no kernel of their own and have no GRUB: give them GRUB's files as a Debian
# install has them (no update-grub: grub.cfg stays as written), so that the bootloader controls
# have something to check. And break the AppArmor modes a fresh install meets.
set -e
# WL-BOOT-*, WL-MAC-02: /etc/default/grub and a grub.cfg as update-grub leaves them (0444).
if [ ! -f /etc/default/grub ]; then
  cat > /etc/default/grub <<'GRUB'
# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.
GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=`( . /etc/os-release; echo ${NAME:-Debian} ) 2>/dev/null || echo Debian`
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX=""
GRUB
fi
mkdir -p /boot/grub
if [ ! -f /boot/grub/grub.cfg ]; then
  cat > /boot/grub/grub.cfg <<'CFG'
### BEGIN /etc/grub.d/10_linux ###
menuentry 'Debian GNU/Linux' --class debian --class gnu-linux --class gnu --class os $menuentry_id_option 'gnulinux-simple' {
	load_video
	insmod ext2
	linux	/boot/vmlinuz-6.1.0-28-amd64 root=/dev/vda1 ro  quiet
	initrd	/boot/initrd.img-6.1.0-28-amd64
}
### END /etc/grub.d/10_linux ###
CFG
  chmod 0444 /boot/grub/grub.cfg
fi
# WL-MAC-03: a disabled profile; WL-MAC-04: one in complain mode (the links point to profiles the
# apparmor package installs in harden).
mkdir -p /etc/apparmor.d/disable /etc/apparmor.d/force-complain
ln -sfn /etc/apparmor.d/lsb_release /etc/apparmor.d/disable/lsb_release
ln -sfn /etc/apparmor.d/nvidia_modprobe /etc/apparmor.d/force-complain/nvidia_modprobe
