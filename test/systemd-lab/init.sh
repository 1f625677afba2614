#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# PID 1 of the lab's namespaces (lab.py starts it with unshare): builds a
# root that writes nothing to the host (a tmpfs overlay over /), puts the
# DESTDIR install in it, mounts what systemd needs, and becomes systemd.
#   init.sh LABDIR DESTDIR
set -eu
lab=$1
dest=$2

mount --make-rprivate /
mount -t tmpfs -o mode=755 lab "$lab"
mkdir "$lab/upper" "$lab/work" "$lab/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$lab/upper,workdir=$lab/work" "$lab/root"
r=$lab/root

# the install under test, over what the host has
tar -C "$dest" -cf - . | tar -C "$r" -xf - --keep-directory-symlink
chmod 0755 "$r" # not the DESTDIR's own mode (a mkdtemp one is 0700)
rm -f "$r/etc/machine-id"
tr -dc 0-9a-f </dev/urandom | head -c 32 >"$r/etc/machine-id"
echo >>"$r/etc/machine-id"

# a small boot: sysinit and sockets; nothing that needs a console or audit
mkdir -p "$r/etc/systemd/system"
cat >"$r/etc/systemd/system/lab.target" <<UNIT
[Unit]
Description=portkeep lab
Requires=sysinit.target sockets.target
After=sysinit.target sockets.target
AllowIsolate=yes
UNIT
for u in systemd-journald-audit.socket console-getty.service getty.target systemd-udevd.service \
        systemd-udevd-control.socket systemd-udevd-kernel.socket systemd-udev-trigger.service; do
        ln -sf /dev/null "$r/etc/systemd/system/$u"
done
rm -rf "$r/etc/portkeep" "$r/var/lib/portkeep" "$r/var/lib/private/portkeep"
mkdir -p "$r/etc/portkeep"

# /proc with /proc/sys read-only but for net, sysfs read-only (so udev is
# skipped), the cgroup hierarchies of this cgroup namespace
mount -t proc proc "$r/proc"
mount --bind "$r/proc/sys" "$r/proc/sys"
mount --bind "$r/proc/sys/net" "$r/proc/sys/net"
mount -o remount,bind,ro "$r/proc/sys"
mount -t sysfs -o ro sysfs "$r/sys"
mount -t tmpfs -o mode=755 cgroup "$r/sys/fs/cgroup"
for c in cpu cpuacct memory devices blkio pids; do
        mkdir "$r/sys/fs/cgroup/$c"
        mount -t cgroup -o "$c" cgroup "$r/sys/fs/cgroup/$c"
done
mkdir "$r/sys/fs/cgroup/systemd" "$r/sys/fs/cgroup/unified"
mount -t cgroup -o none,name=systemd cgroup "$r/sys/fs/cgroup/systemd"
mount -t cgroup2 cgroup2 "$r/sys/fs/cgroup/unified"

# a private /dev; the console a plain file (a pty nobody reads could block
# PID 1)
mount -t tmpfs -o mode=755,nosuid dev "$r/dev"
for d in null zero full random urandom tty; do
        touch "$r/dev/$d"
        mount --bind "/dev/$d" "$r/dev/$d"
done
mkdir "$r/dev/pts" "$r/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$r/dev/pts"
ln -s pts/ptmx "$r/dev/ptmx"
mount -t tmpfs -o mode=1777 shm "$r/dev/shm"
ln -s /proc/self/fd "$r/dev/fd"
: >"$r/dev/console"
mount -t tmpfs -o mode=755 run "$r/run"
mount -t tmpfs -o mode=1777 tmp "$r/tmp"

ip link set lo up

cd "$r"
mkdir -p oldroot
pivot_root . oldroot
umount -l /oldroot
# LoadCredential= moves a ramfs from a forked namespace into this one
mount --make-rshared /
exec env -i container=portkeep-lab /lib/systemd/systemd --unit=lab.target
