#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The systemd units as built (systemd/*.in through configure_file).

  test-units.py verify   PORTKEEP BINDIR UNITDIR
      systemd-analyze verify --man=yes on each unit, ExecStart pointed at the
      built binary and $MANPATH at a copy of doc/'s man pages (each service
      names man:portkeep(8) man:portkeep.yaml(5)): any output or a non-zero
      exit fails; and
      systemd-analyze security --offline=true rates each service <= 2.0.
  test-units.py sandbox  PORTKEEP BINDIR UNITDIR FAKE
      runs the daemon under strace against the fake AirStation (two passes,
      a change, sd_notify) and checks what it did against the unit's own
      SystemCallFilter= and RestrictAddressFamilies=, and that it wrote only
      in its runtime directory. Exits 77 without strace (1 with
      PORTKEEP_TEST_NO_SKIP=1).
PID 1 here is not always systemd, so the units are not started for real."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

MAX_EXPOSURE = 2.0
SERVICES = ["portkeep.service", "portkeep@.service", "portkeep-apply.service", "portkeep-apply@.service"]


def fail(msg):
        print("FAIL: " + msg)
        sys.exit(1)


def units_for_test(portkeep, bindir, unitdir, tmp):
        """Copies of the built units with bindir/portkeep replaced by the built
        binary; the template as an instance, portkeep@test.service."""
        paths = []
        for name in SERVICES:
                with open(os.path.join(unitdir, name)) as f:
                        text = f.read()
                if "@BINDIR@" in text or "@DOCDIR@" in text:
                        fail("%s: a placeholder was not replaced by configure_file" % name)
                exe = os.path.join(bindir, "portkeep")
                if "ExecStart=%s " % exe not in text:
                        fail("%s: ExecStart does not run %s" % (name, exe))
                text = text.replace(exe + " ", os.path.abspath(portkeep) + " ")
                out = os.path.join(tmp, name.replace("@.", "@test."))
                with open(out, "w") as f:
                        f.write(text)
                paths.append(out)
        shutil.copy(os.path.join(unitdir, "portkeep-apply.timer"), tmp)
        paths.append(os.path.join(tmp, "portkeep-apply.timer"))
        shutil.copy(os.path.join(unitdir, "portkeep-apply@.timer"), os.path.join(tmp, "portkeep-apply@test.timer"))
        paths.append(os.path.join(tmp, "portkeep-apply@test.timer"))
        return paths


DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "doc")
MAN_PAGES = {"portkeep.8": "man8", "portkeep.yaml.5": "man5"}


def man_tree(tmp):
        """The pages of doc/ (installed as they are by install_man) in a
        man8/man5 tree, for verify --man=yes's 'man portkeep(8)' through
        $MANPATH: only these pages, not whatever the system has installed."""
        root = os.path.join(tmp, "man")
        for page, section in MAN_PAGES.items():
                os.makedirs(os.path.join(root, section), exist_ok=True)
                shutil.copy(os.path.join(DOC, page), os.path.join(root, section, page))
        return root


def analyze(*args, cwd, manpath=None):
        env = dict(os.environ, SYSTEMD_PAGER="", SYSTEMD_COLORS="0")
        if manpath:
                env["MANPATH"] = manpath
        p = subprocess.run(["systemd-analyze"] + list(args), cwd=cwd, capture_output=True, text=True, env=env)
        return p.returncode, p.stdout, p.stderr


def check_runtime_directories(unitdir):
        """Units that share a RuntimeDirectory= run as the same user: systemd
        re-owns the directory for whichever unit starts, and the other must
        still write its lock and status file there. An instance's directory
        is where lock_runtime_directory() looks for its file's name."""
        owners = {}
        for name in SERVICES:
                s = unit_settings(os.path.join(unitdir, name))
                if s.get("DynamicUser") != ["yes"]:
                        fail("%s: DynamicUser=yes expected" % name)
                for d in " ".join(s.get("RuntimeDirectory", [])).split():
                        owners.setdefault(d, set()).add((name, (s.get("User") or [None])[-1]))
        for d, units in sorted(owners.items()):
                users = {user for _, user in units}
                if len(units) > 1 and (len(users) != 1 or None in users):
                        fail("RuntimeDirectory=%s is shared by units with different users: %s" % (d, sorted(units)))
        print("ok: units sharing a runtime directory share a user: %s" % sorted(owners))
        t = unit_settings(os.path.join(unitdir, "portkeep@.service"))
        if t.get("RuntimeDirectory") != ["portkeep-%i"] or " -c /etc/portkeep/%i.yaml " not in t["ExecStart"][0]:
                fail("portkeep@.service: RuntimeDirectory=portkeep-%%i with -c /etc/portkeep/%%i.yaml expected, got %s, %s"
                     % (t.get("RuntimeDirectory"), t["ExecStart"]))


def verify(portkeep, bindir, unitdir):
        check_runtime_directories(unitdir)
        tmp = tempfile.mkdtemp(prefix="portkeep-units-")
        have_man = shutil.which("man") is not None
        try:
                manpath = man_tree(tmp)
                for path in units_for_test(portkeep, bindir, unitdir, tmp):
                        name = os.path.basename(path)
                        text = open(path).read()
                        if name.endswith(".service") and "Documentation=man:portkeep(8) man:portkeep.yaml(5)" not in text:
                                fail("%s: Documentation= does not name man:portkeep(8) man:portkeep.yaml(5)" % name)
                        rc, out, err = analyze("verify", "--man=yes" if have_man else "--man=no", "./" + name, cwd=tmp,
                                               manpath=manpath)
                        if rc != 0 or out.strip() or err.strip():
                                fail("systemd-analyze verify %s: exit %d\n%s%s" % (name, rc, out, err))
                        print("ok: verify %s" % name)
                        if not name.endswith(".service"):
                                continue
                        rc, out, err = analyze("security", "--offline=true", "--no-pager", "./" + name, cwd=tmp)
                        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out)
                        if not m:
                                fail("systemd-analyze security %s: no rating\n%s%s" % (name, out, err))
                        if float(m.group(1)) > MAX_EXPOSURE:
                                fail("%s: exposure %s > %.1f\n%s" % (name, m.group(1), MAX_EXPOSURE, out))
                        print("ok: security %s rates %s" % (name, m.group(1)))
        finally:
                shutil.rmtree(tmp, ignore_errors=True)
        if not have_man:
                # everything else passed; the Documentation= pages were not checked
                if os.environ.get("PORTKEEP_TEST_NO_SKIP") == "1":
                        fail("man is not installed (PORTKEEP_TEST_NO_SKIP=1), so verify --man=yes cannot run; apt-get install man-db")
                print("SKIP: man is not installed: the units passed verify --man=no, their man: pages are unchecked")
                sys.exit(77)


def unit_settings(path):
        settings = {}
        with open(path) as f:
                for line in f:
                        line = line.strip()
                        if line and not line.startswith(("#", "[")) and "=" in line:
                                k, v = line.split("=", 1)
                                settings.setdefault(k, []).append(v)
        return settings


def syscall_group(name):
        out = subprocess.run(["systemd-analyze", "syscall-filter", name], capture_output=True, text=True,
                             check=True).stdout
        names = set()
        for line in out.splitlines()[1:]:
                t = line.strip()
                if t and not t.startswith("#"):
                        names |= syscall_group(t) if t.startswith("@") else {t}
        return names


def allowed_syscalls(settings):
        allow = None
        for v in settings["SystemCallFilter"]:
                deny = v.startswith("~")
                names = set()
                for item in v.lstrip("~").split():
                        names |= syscall_group(item) if item.startswith("@") else {item}
                if deny:
                        allow -= names
                else:
                        allow = names if allow is None else allow | names
        return allow


def sandbox(portkeep, bindir, unitdir, fake):
        if not shutil.which("strace"):
                if os.environ.get("PORTKEEP_TEST_NO_SKIP") == "1":
                        print("FAIL: strace is not installed (PORTKEEP_TEST_NO_SKIP=1); apt-get install strace")
                        sys.exit(1)
                print("SKIP: strace is not installed")
                sys.exit(77)
        settings = unit_settings(os.path.join(unitdir, "portkeep.service"))
        allow = allowed_syscalls(settings)
        families = set(settings["RestrictAddressFamilies"][0].split())
        tmp = tempfile.mkdtemp(prefix="portkeep-sandbox-")
        fake_proc = None
        try:
                run, creds = os.path.join(tmp, "run"), os.path.join(tmp, "creds")
                os.mkdir(creds)
                with open(os.path.join(creds, "router-password"), "w") as f:
                        f.write("pw-for-sandbox\n")
                with open(os.path.join(tmp, "pw"), "w") as f:
                        f.write("pw-for-sandbox\n")
                with open(os.path.join(tmp, "table.json"), "w") as f:
                        f.write("[]")
                portfile = os.path.join(tmp, "port")
                fake_proc = subprocess.Popen([sys.executable, fake, "--port", "0", "--port-file", portfile,
                                              "--table", os.path.join(tmp, "table.json"), "--password-file",
                                              os.path.join(tmp, "pw")], stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL)
                deadline = time.monotonic() + 10
                while not os.path.exists(portfile) and time.monotonic() < deadline:
                        time.sleep(0.02)
                with open(portfile) as f:
                        port = int(f.read())
                config = os.path.join(tmp, "portkeep.yaml")
                with open(config, "w") as f:
                        f.write("version: 1\nrouter:\n  driver: airstation\n  url: http://127.0.0.1:%d\n"
                                "  password_credential: router-password\n  firmware: nosave\n"
                                "defaults:\n  lan_ip: 192.168.11.3\nsync:\n  interval: 1s\n"
                                "groups:\n  - name: PPTP\n    preset: pptp\n" % port)
                notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                notify.bind(os.path.join(tmp, "notify"))
                trace = os.path.join(tmp, "strace.txt")
                state = os.path.join(tmp, "state")
                env = dict(os.environ, RUNTIME_DIRECTORY=run, STATE_DIRECTORY=state, CREDENTIALS_DIRECTORY=creds, no_proxy="*",
                           NOTIFY_SOCKET=os.path.join(tmp, "notify"))
                if "ASAN_OPTIONS" in env:
                        # a sanitizer build: LeakSanitizer cannot work under
                        # ptrace (the rest of the suite looks for leaks)
                        env["ASAN_OPTIONS"] += ":detect_leaks=0"
                os.mkdir(run)
                d = subprocess.Popen(["strace", "-f", "-qq", "-o", trace, portkeep, "-c", config, "run"],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                time.sleep(2.5)
                # the daemon, not strace (which would detach and leave it running)
                with open("/proc/%d/task/%d/children" % (d.pid, d.pid)) as f:
                        os.kill(int(f.read().split()[0]), signal.SIGTERM)
                _, err = d.communicate(timeout=10)
                notify.close()
                if "applied 2 changes" not in err or "in sync: 2 forwards in 1 group" not in err:
                        fail("the daemon did not apply and re-check:\n" + err)

                with open(trace) as f:
                        lines = f.read().splitlines()
                used = set()
                for line in lines:
                        m = re.match(r"\d+\s+([a-z_0-9]+)\(", line)
                        if m:
                                used.add(m.group(1))
                blocked = sorted(used - allow)
                if blocked:
                        fail("the daemon uses system calls the unit's SystemCallFilter= denies: %s" % blocked)
                print("ok: %d system calls, all allowed by SystemCallFilter=" % len(used))
                socks = {m.group(1) for line in lines for m in [re.search(r"\bsocket\((AF_[A-Z0-9]+)", line)] if m}
                if not socks <= families or "AF_INET" not in socks or "AF_UNIX" not in socks:
                        fail("socket families %s, the unit allows %s" % (sorted(socks), sorted(families)))
                print("ok: socket families %s" % sorted(socks))
                writes = set()
                for line in lines:
                        m = re.search(r'(?:open|openat)\((?:AT_FDCWD, )?"([^"]+)", [^)]*(O_WRONLY|O_RDWR|O_CREAT)', line)
                        if m and "= -1" not in line:
                                writes.add(m.group(1))
                        m = re.search(r'(?:mkdir|rename|unlink)\w*\((?:AT_FDCWD, )?"([^"]+)"', line)
                        if m and "= -1" not in line:
                                writes.add(m.group(1))
                outside = sorted(w for w in writes if not any((w + "/").startswith(d + "/") for d in (run, state)))
                if outside or not writes:
                        fail("wrote outside $RUNTIME_DIRECTORY and $STATE_DIRECTORY (ProtectSystem=strict would refuse): %s"
                             % outside)
                if not any((w + "/").startswith(state + "/") for w in writes):
                        fail("no ownership record written in $STATE_DIRECTORY")
                print("ok: wrote only in $RUNTIME_DIRECTORY and $STATE_DIRECTORY (%d paths)" % len(writes))

                # IPAddressDeny=any refuses connect() with EPERM: the message
                # must point at IPAddressAllow=, not only at the router.
                p = subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=connect", "-e",
                                    "inject=connect:error=EPERM", portkeep, "-c", config, "plan"], env=env,
                                   capture_output=True, text=True, timeout=30)
                if p.returncode != 1 or "IPAddressAllow=" not in p.stderr:
                        fail("a connect() refused with EPERM: exit %d, no hint at IPAddressAllow=:\n%s"
                             % (p.returncode, p.stderr))
                print("ok: a connection refused by IPAddressAllow= is named as such")
        finally:
                if fake_proc:
                        fake_proc.kill()
                        fake_proc.wait()
                shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
        mode = sys.argv[1]
        if mode == "verify":
                verify(*sys.argv[2:5])
        elif mode == "sandbox":
                sandbox(*sys.argv[2:6])
        else:
                fail("usage: test-units.py verify|sandbox ...")
