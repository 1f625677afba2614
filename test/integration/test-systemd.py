#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""portkeep's units under a real systemd: the meson install booted in the
lab of test/systemd-lab (systemd as PID 1 of throwaway namespaces), the fake
AirStation as a transient unit on the lab's loopback, and every check made
with the real systemctl, journalctl and portkeep status.

argv: the build directory. Root only: exits 77 elsewhere (a failure under
PORTKEEP_TEST_NO_SKIP=1)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "test", "systemd-lab"))
import lab  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
PORT = 8080
FAKE_DIR = "/root/portkeep-lab"  # inside the lab: test/fake-airstation and what it reads
PASSWORD = "lab-Tr0ub4dor&3-not-in-output"
PORTKEEP = None  # the installed binary, found after the install
IDS = {
        "added": "aa58e47bc57d46a4b9b0cbb8d8737b85",
        "deleted": "ef4f5362053444fb914c4f736de80b99",
        "repaired": "0fc8be78a9204adcb253b1de9324b9f8",
}

CONFIG = """\
version: 1
router:
  driver: airstation
  url: http://127.0.0.1:%d
  password_credential: router-password
  firmware: nosave
  timeout: 2s
defaults:
  lan_ip: 192.168.11.3
sync:
  interval: 1h
groups:
  - name: PPTP
    preset: pptp
  - name: L2TP
    preset: l2tp-ipsec
%s"""
NAS = "  - name: NAS\n    forwards:\n      - { proto: tcp, port: 5001, lan_ip: 192.168.11.10 }\n"


def sanitized():
        """Whether the build under test has -Db_sanitize=address (or more)."""
        r = subprocess.run([shutil.which("meson"), "introspect", "--buildoptions", BUILD], capture_output=True,
                           text=True, check=True)
        return any(o["name"] == "b_sanitize" and o["value"] not in ("none", []) for o in json.loads(r.stdout))


def table_keys(table):
        return sorted((e["group"], e["proto"], e["ports"] or "", e["lan_ip"]) for e in table)


VPN = [("L2TP", "esp", "", "192.168.11.3"), ("L2TP", "udp", "1701", "192.168.11.3"),
       ("L2TP", "udp", "4500", "192.168.11.3"), ("L2TP", "udp", "500", "192.168.11.3"),
       ("PPTP", "gre", "", "192.168.11.3"), ("PPTP", "tcp", "1723", "192.168.11.3")]


class Units(unittest.TestCase):
        @classmethod
        def setUpClass(cls):
                cls.dest = tempfile.mkdtemp(prefix="portkeep-destdir-")
                subprocess.run([shutil.which("meson"), "install", "-C", BUILD, "--destdir", cls.dest, "--no-rebuild",
                                "--quiet"], check=True, stdout=subprocess.DEVNULL)
                # The fake router goes in too: the lab's /tmp is its own, and
                # the tree under test may be there.
                inside = os.path.join(cls.dest, FAKE_DIR.lstrip("/"))
                shutil.copytree(os.path.join(SRC, "test", "fake-airstation"), os.path.join(inside, "test",
                                                                                         "fake-airstation"),
                                ignore=shutil.ignore_patterns("__pycache__"))
                os.makedirs(os.path.join(inside, "lib"))
                shutil.copy(os.path.join(SRC, "lib", "airstation-arcadyan-names.h"), os.path.join(inside, "lib"))
                if sanitized():
                        # LeakSanitizer stops the program at exit with ptrace,
                        # which the units' system call filter forbids; the
                        # rest of the suite looks for leaks.
                        for unit in ("portkeep.service", "portkeep-apply.service", "portkeep@.service",
                                     "portkeep-apply@.service"):
                                d = os.path.join(cls.dest, "etc/systemd/system", unit + ".d")
                                os.makedirs(d)
                                with open(os.path.join(d, "lab-sanitizer.conf"), "w") as f:
                                        f.write("[Service]\nEnvironment=ASAN_OPTIONS=detect_leaks=0\n")
                cls.lab = lab.Lab(cls.dest)

        @classmethod
        def tearDownClass(cls):
                cls.lab.stop()
                shutil.rmtree(cls.dest, ignore_errors=True)

        # -- helpers -----------------------------------------------------------

        def run_in(self, *argv, check=True):
                return self.lab.run(*argv, check=check)

        def fake(self, method, path, body=None):
                """The fake's control API, from inside the lab."""
                code = ("import json, sys, urllib.request\n"
                        "d = sys.stdin.read()\n"
                        "r = urllib.request.Request('http://127.0.0.1:%d/_fake/%s', data=d.encode() if d else None,"
                        " method='%s')\n"
                        "print(urllib.request.urlopen(r, timeout=10).read().decode())\n" % (PORT, path, method))
                r = self.lab.run("python3", "-c", code, input=json.dumps(body) if body is not None else "")
                return json.loads(r.stdout or "null")

        def status_text(self):
                return self.lab.show("portkeep", "StatusText")["StatusText"]

        def wait_status(self, words, timeout=10):
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                        if words in self.status_text():
                                return
                        time.sleep(0.05)
                self.fail("no STATUS= with %r; got %r\n%s" % (words, self.status_text(), self.journal("portkeep")))

        def journal(self, unit, *args):
                return self.run_in("journalctl", "--no-pager", "-u", unit, *args, check=False).stdout

        def portkeep(self, *args, check=False):
                return self.run_in("/usr/local/bin/portkeep", "-c", "/etc/portkeep/portkeep.yaml", *args, check=check)

        # -- the test ----------------------------------------------------------

        def test_units(self):
                lab_ = self.lab
                lab_.write("/etc/portkeep/router-password", PASSWORD + "\n", 0o600)
                lab_.write("/etc/portkeep/portkeep.yaml", CONFIG % (PORT, ""))
                lab_.write("/root/fake-password", PASSWORD + "\n", 0o600)
                self.run_in("systemd-run", "--unit=fake-router", "--", "/usr/bin/python3",
                            os.path.join(FAKE_DIR, "test", "fake-airstation"), "--port", str(PORT),
                            "--password-file", "/root/fake-password")
                deadline = time.monotonic() + 10
                while self.run_in("python3", "-c", "import socket; socket.create_connection(('127.0.0.1', %d), 1)"
                                  % PORT, check=False).returncode != 0:
                        self.assertLess(time.monotonic(), deadline, self.journal("fake-router"))
                        time.sleep(0.1)

                with self.subTest("start: Type=notify reaches active, the first pass applies the file"):
                        t = time.monotonic()
                        self.run_in("systemctl", "start", "portkeep")
                        print("systemctl start portkeep: %.2fs" % (time.monotonic() - t))
                        p = lab_.show("portkeep", "ActiveState", "SubState", "Type", "MainPID", "WatchdogUSec")
                        self.assertEqual((p["ActiveState"], p["SubState"], p["Type"]), ("active", "running", "notify"))
                        self.wait_status("in sync: 6 forwards in 2 groups")
                        self.assertEqual(table_keys(self.fake("GET", "table")), VPN)
                        pid = p["MainPID"]

                with self.subTest("the credential, read as the dynamic user"):
                        st = self.run_in("cat", "/proc/%s/status" % pid).stdout
                        uid = [line.split()[1] for line in st.splitlines() if line.startswith("Uid:")][0]
                        self.assertNotEqual(uid, "0", "the daemon runs as root")
                        cap = [line.split()[1] for line in st.splitlines() if line.startswith("CapEff:")][0]
                        self.assertEqual(int(cap, 16), 0, "the daemon has capabilities")
                        self.run_in("test", "-f", "/run/credentials/portkeep.service/router-password")

                with self.subTest("the watchdog is armed"):
                        self.assertEqual(p["WatchdogUSec"], "2min")

                with self.subTest("portkeep status"):
                        r = self.portkeep("status")
                        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                        self.assertIn("in sync: 6 forwards in 2 groups", r.stdout)
                        r = self.portkeep("--json", "status")
                        st = json.loads(r.stdout)
                        self.assertEqual(str(st["pid"]), pid)
                        self.assertEqual(st["last_pass"]["result"], "applied")

                with self.subTest("reload with a good file applies it, same process"):
                        lab_.write("/etc/portkeep/portkeep.yaml", CONFIG % (PORT, NAS))
                        self.run_in("systemctl", "reload", "portkeep")
                        self.wait_status("in sync: 7 forwards in 3 groups")
                        self.assertEqual(lab_.show("portkeep", "MainPID")["MainPID"], pid)
                        self.assertIn(("NAS", "tcp", "5001", "192.168.11.10"), table_keys(self.fake("GET", "table")))

                with self.subTest("reload with a broken file keeps the one in force"):
                        lab_.write("/etc/portkeep/portkeep.yaml", CONFIG % (PORT, "  - name: NAS\n    prest: x\n"))
                        self.run_in("systemctl", "reload", "portkeep", check=False)
                        self.wait_status("reload failed")
                        p = lab_.show("portkeep", "MainPID", "ActiveState")
                        self.assertEqual((p["MainPID"], p["ActiveState"]), (pid, "active"))
                        self.assertIn("prest", self.journal("portkeep"))
                        lab_.write("/etc/portkeep/portkeep.yaml", CONFIG % (PORT, NAS))
                        self.run_in("systemctl", "reload", "portkeep")
                        self.wait_status("in sync: 7 forwards in 3 groups")

                with self.subTest("drift is repaired, and the journal has the MESSAGE_IDs"):
                        table = self.fake("GET", "table")
                        self.fake("PUT", "table", [e for e in table if e["group"] != "NAS"])
                        self.run_in("systemctl", "kill", "-s", "USR1", "--kill-whom=main", "portkeep")
                        self.wait_status("applied 1 change; in sync: 7 forwards in 3 groups")
                        for what, mid in IDS.items():
                                if what == "deleted":
                                        continue
                                self.assertTrue(self.journal("portkeep", "MESSAGE_ID=" + mid, "-o", "cat").strip(),
                                                "no journal entry with MESSAGE_ID=%s (%s)" % (mid, what))

                with self.subTest("journalctl -x explains the MESSAGE_IDs (systemd/portkeep.catalog)"):
                        self.run_in("journalctl", "--update-catalog")
                        listed = self.run_in("journalctl", "--list-catalog").stdout
                        for mid in list(IDS.values()) + ["e0612e710c8e4379bc3549a261b94627",
                                                         "f00645f1b4b44aeb97451bd3eb1bb76b"]:
                                self.assertIn(mid, listed)
                        x = self.journal("portkeep", "-x", "MESSAGE_ID=" + IDS["repaired"])
                        self.assertIn("portkeep repaired the router's port forwards", x)
                        self.assertIn("If the change on the router was intended, put it in the file", x)

                with self.subTest("the watchdog did not fire, nothing restarted"):
                        p = lab_.show("portkeep", "NRestarts", "MainPID")
                        self.assertEqual((p["NRestarts"], p["MainPID"]), ("0", pid))
                        self.assertNotIn("Watchdog timeout", self.journal("portkeep"))

                with self.subTest("stop is clean"):
                        t = time.monotonic()
                        self.run_in("systemctl", "stop", "portkeep")
                        print("systemctl stop portkeep: %.2fs" % (time.monotonic() - t))
                        p = lab_.show("portkeep", "ActiveState", "Result", "ExecMainStatus")
                        self.assertEqual((p["ActiveState"], p["Result"], p["ExecMainStatus"]),
                                         ("inactive", "success", "0"), self.journal("portkeep", "-n", "30"))
                        self.assertEqual(self.fake("GET", "stats")["logged_in"], [])
                        r = self.portkeep("status")
                        self.assertEqual(r.returncode, 1)

                with self.subTest("portkeep-apply.service repairs and verifies"):
                        table = self.fake("GET", "table")
                        self.fake("PUT", "table", [e for e in table if e["proto"] != "gre"])
                        r = self.run_in("systemctl", "start", "portkeep-apply.service", check=False)
                        self.assertEqual(r.returncode, 0, self.journal("portkeep-apply.service", "-n", "30"))
                        p = lab_.show("portkeep-apply.service", "Result", "ExecMainStatus")
                        self.assertEqual((p["Result"], p["ExecMainStatus"]), ("success", "0"))
                        self.assertIn(("PPTP", "gre", "", "192.168.11.3"), table_keys(self.fake("GET", "table")))
                        self.assertIn("applied 1 change; verified", self.journal("portkeep-apply.service"))

                with self.subTest("the instances: portkeep-apply@home.service and portkeep@home.service"):
                        lab_.write("/etc/portkeep/home-password", PASSWORD + "\n", 0o600)
                        lab_.write("/etc/portkeep/home.yaml", CONFIG % (PORT, NAS))
                        table = self.fake("GET", "table")
                        self.fake("PUT", "table", [e for e in table if e["proto"] != "esp"])
                        r = self.run_in("systemctl", "start", "portkeep-apply@home.service", check=False)
                        self.assertEqual(r.returncode, 0, self.journal("portkeep-apply@home.service", "-n", "30"))
                        self.assertIn(("L2TP", "esp", "", "192.168.11.3"), table_keys(self.fake("GET", "table")))
                        self.run_in("systemctl", "start", "portkeep@home.service")
                        deadline = time.monotonic() + 10
                        while "in sync: 7 forwards in 3 groups" not in lab_.show("portkeep@home.service",
                                                                                  "StatusText")["StatusText"]:
                                self.assertLess(time.monotonic(), deadline, self.journal("portkeep@home.service"))
                                time.sleep(0.05)
                        r = self.run_in("/usr/local/bin/portkeep", "-c", "/etc/portkeep/home.yaml", "status")
                        self.assertIn("in sync: 7 forwards in 3 groups", r.stdout)
                        self.run_in("systemctl", "stop", "portkeep@home.service")

                with self.subTest("the password is nowhere in the journal"):
                        self.assertNotIn(PASSWORD, self.run_in("journalctl", "--no-pager", "-o", "verbose").stdout)


if __name__ == "__main__":
        why = lab.unavailable()
        if why:
                print("skipped: %s" % why)
                sys.exit(1 if os.environ.get("PORTKEEP_TEST_NO_SKIP") else 77)
        unittest.main(argv=[sys.argv[0]], verbosity=2)
