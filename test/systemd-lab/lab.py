# SPDX-License-Identifier: GPL-2.0-or-later
"""A real systemd (the host's own, /lib/systemd/systemd) booted as PID 1 of
throwaway namespaces, with portkeep's DESTDIR install in its root:

        lab = Lab(destdir)      # boots; Lab.unavailable() says why it cannot
        lab.run("systemctl", "start", "portkeep")
        lab.stop()

The root is a tmpfs overlay over the host's /, so nothing inside writes to
the host; the network namespace has only its loopback. The recipe is
systemd 252's on a host with the hybrid cgroup layout (v1 hierarchies and
cgroup2 at /sys/fs/cgroup/unified); see README.md in this directory."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEMD = "/lib/systemd/systemd"
HIERARCHIES = ("systemd", "unified", "cpu", "cpuacct", "memory", "devices", "blkio", "pids")
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def unavailable():
        """Why the lab cannot run here, or None."""
        if os.geteuid() != 0:
                return "needs root"
        if not os.access(SYSTEMD, os.X_OK):
                return "no %s (install systemd)" % SYSTEMD
        for tool in ("unshare", "nsenter", "setsid", "ip"):
                if not shutil.which(tool):
                        return "no %s (install util-linux and iproute2)" % tool
        for h in HIERARCHIES:
                if not os.path.isdir(os.path.join("/sys/fs/cgroup", h)):
                        return "not the hybrid cgroup layout this lab knows (no /sys/fs/cgroup/%s)" % h
        return None


class Lab:
        def __init__(self, destdir, boot_timeout=30):
                self.dir = tempfile.mkdtemp(prefix="portkeep-systemd-lab-")
                self.cgroups = []
                self.proc = None
                self.pid1 = None
                try:
                        self._boot(destdir, boot_timeout)
                except BaseException:
                        self.stop()
                        raise

        def _boot(self, destdir, timeout):
                name = "portkeep-lab-%d" % os.getpid()
                for h in HIERARCHIES:
                        path = os.path.join("/sys/fs/cgroup", h, name)
                        os.mkdir(path)
                        self.cgroups.append(path)
                root = os.path.join(self.dir, "root")
                os.mkdir(root)
                # The launcher joins the new cgroups first, so the cgroup
                # namespace shows them as its root.
                join = "".join('echo $$ >%s/cgroup.procs; ' % c for c in self.cgroups)
                self.console = open(os.path.join(self.dir, "init.log"), "w")
                self.proc = subprocess.Popen(
                        ["/bin/sh", "-c", join + 'exec setsid unshare --pid --fork --kill-child --mount --uts --ipc '
                         '--net --cgroup --propagation private -- "$@"', "sh",
                         os.path.join(HERE, "init.sh"), root, destdir],
                        stdin=subprocess.DEVNULL, stdout=self.console, stderr=subprocess.STDOUT)
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                        if self.proc.poll() is not None:
                                raise RuntimeError("the lab's init exited %d:\n%s" % (self.proc.returncode, self.log()))
                        if self.pid1 is None:
                                self.pid1 = self._find_pid1()
                        if self.pid1:
                                r = self.run("systemctl", "is-system-running", check=False)
                                if r.stdout.strip() in ("running", "degraded"):
                                        self.state = r.stdout.strip()
                                        return
                        time.sleep(0.05)
                raise RuntimeError("systemd did not finish booting in %ds:\n%s" % (timeout, self.log()))

        def _find_pid1(self):
                """The unshare process's child: PID 1 inside, once it is systemd."""
                try:
                        with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                                kids = f.read().split()
                        if not kids:
                                return None
                        with open("/proc/%s/comm" % kids[0]) as f:
                                return int(kids[0]) if f.read().strip() == "systemd" else None
                except OSError:
                        return None

        def log(self):
                with open(os.path.join(self.dir, "init.log"), errors="replace") as f:
                        return f.read()

        def run(self, *argv, check=True, input=None, timeout=60):
                """argv inside the lab, as root, with a clean environment."""
                r = subprocess.run(["nsenter", "-t", str(self.pid1), "-a", "-r", "-w", "env", "-i", "PATH=" + PATH,
                                    "LANG=C.UTF-8"] + list(argv),
                                   input=input, capture_output=True, text=True, timeout=timeout)
                if check and r.returncode != 0:
                        raise AssertionError("in the lab: %s -> exit %d\n--- stdout\n%s--- stderr\n%s" % (
                                " ".join(argv), r.returncode, r.stdout, r.stderr))
                return r

        def write(self, path, text, mode=0o644):
                self.run("sh", "-c", 'umask 077; cat >"$1" && chmod %o "$1"' % mode, "sh", path, input=text)

        def show(self, unit, *props):
                r = self.run("systemctl", "show", unit, "-p", ",".join(props))
                return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)

        def stop(self):
                if self.proc and self.proc.poll() is None:
                        if self.pid1:
                                os.kill(self.pid1, signal.SIGRTMIN + 4)  # poweroff
                        try:
                                self.proc.wait(30)
                        except subprocess.TimeoutExpired:
                                self.proc.kill()
                                self.proc.wait(10)
                for c in reversed(self.cgroups):
                        self._remove_cgroup(c)
                self.cgroups = []
                shutil.rmtree(self.dir, ignore_errors=True)

        @staticmethod
        def _remove_cgroup(path):
                # what systemd left below it goes first, deepest first
                for top, dirs, _ in os.walk(path, topdown=False):
                        for d in dirs:
                                try:
                                        os.rmdir(os.path.join(top, d))
                                except OSError:
                                        pass
                for _ in range(50):
                        try:
                                os.rmdir(path)
                                return
                        except FileNotFoundError:
                                return
                        except OSError:
                                time.sleep(0.1)
