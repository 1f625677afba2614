#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`portkeep run` (the real binary) against the fake AirStation, with a
stand-in notify socket recording what the daemon tells systemd: READY,
STATUS, RELOADING, STOPPING, WATCHDOG. Signals, outages, backoff, the lock
shared with a one-shot apply, and what `portkeep status` then shows."""

import calendar
import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import UPNP_BUILT, L2TP, PASSWORD, PORTKEEP, PPTP, VPN_CONFIG, PortkeepTest, entry, main  # noqa: E402
from notify_socket import NotifySocket  # noqa: E402

WEB = """\
  - name: web
    forwards:
      - { proto: tcp, port: 8443, lan_port: 443, lan_ip: 192.168.11.20 }
"""
WEB_ENTRY = {"group": "web", "proto": "tcp", "wan": "router", "ports": "8443", "lan_ip": "192.168.11.20",
             "lan_ports": "443"}
IN_SYNC_6 = "in sync: 6 forwards in 2 groups"
WATCHDOG_SEC = 2.0


class DaemonTest(PortkeepTest):
        def setUp(self):
                super().setUp()
                self.proc = None
                self.notify = None
                self.errfile = os.path.join(self.tmp, "daemon.err")

        def tearDown(self):
                if self.proc and self.proc.poll() is None:
                        self.proc.kill()
                        self.proc.wait()
                if self.notify:
                        self.notify.close()
                if os.path.exists(self.errfile):
                        self.assertNotIn(PASSWORD, self.err(), "the password leaked into the daemon's log")
                super().tearDown()

        def start_daemon(self, watchdog_pid="self", env=None):
                """portkeep run, with $NOTIFY_SOCKET and $WATCHDOG_USEC; watchdog_pid
                "self" sets $WATCHDOG_PID to the daemon's own pid (through exec),
                None leaves it unset, anything else is passed as is."""
                self.notify = NotifySocket(os.path.join(self.tmp, "notify"))
                e = dict(os.environ)
                for k in ("PORTKEEP_CONFIG", "CREDENTIALS_DIRECTORY", "WATCHDOG_PID", "LISTEN_FDS"):
                        e.pop(k, None)
                e.update({"RUNTIME_DIRECTORY": self.runtime, "STATE_DIRECTORY": self.state,
                          "NOTIFY_SOCKET": self.notify.path,
                          "WATCHDOG_USEC": str(int(WATCHDOG_SEC * 1e6)), "no_proxy": "*",
                          "PORTKEEP_LOCK_TIMEOUT": "2"})
                if watchdog_pid not in (None, "self"):
                        e["WATCHDOG_PID"] = str(watchdog_pid)
                if env:
                        e.update(env)
                argv = [PORTKEEP, "-c", self.config, "run"]
                if watchdog_pid == "self":
                        # exec keeps the pid: $$ is the daemon's pid
                        argv = ["/bin/sh", "-c", 'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$@"', "sh"] + argv
                self.err_fd = open(self.errfile, "w")
                self.proc = subprocess.Popen(argv, env=e, stdin=subprocess.DEVNULL, stdout=self.err_fd,
                                             stderr=subprocess.STDOUT)
                self.err_fd.close()
                return self.proc

        def err(self):
                with open(self.errfile, encoding="utf-8", errors="replace") as f:
                        return f.read()

        def wait_status(self, match, timeout=5.0, since=0.0):
                got = self.notify.wait_for("STATUS", match, timeout=timeout, since=since)
                self.assertIsNotNone(got, "no STATUS= with %r within %.1fs; got %r\n--- daemon log\n%s" % (
                        match, timeout, self.notify.values("STATUS"), self.err()))
                return got

        def wait_ready(self):
                got = self.notify.wait_for("READY", "1", timeout=5)
                self.assertIsNotNone(got, "no READY=1; daemon log:\n" + self.err())
                return got

        def assertAlive(self):
                self.assertIsNone(self.proc.poll(), "the daemon exited:\n" + self.err())

        def stop_daemon(self, within=1.0):
                t0 = time.monotonic()
                self.proc.send_signal(signal.SIGTERM)
                try:
                        rc = self.proc.wait(5)
                except subprocess.TimeoutExpired:
                        self.fail("the daemon did not stop after SIGTERM")
                took = time.monotonic() - t0
                self.assertEqual(rc, 0, self.err())
                self.assertLess(took, within, "SIGTERM took %.2fs" % took)
                self.assertIsNotNone(self.notify.wait_for("STOPPING", "1", timeout=1), "no STOPPING=1")
                return t0

        def wait_requests(self, key, n, timeout=5.0):
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                        if self.fake.stats()["requests"].get(key, 0) >= n:
                                return
                        time.sleep(0.02)
                self.fail("the fake did not see %d x %s" % (n, key))

        def read_status_json(self):
                """What 'portkeep status --json' says of the running daemon."""
                r = self.portkeep("--json", "status")
                self.assertExit(r, 0)
                return json.loads(r.out)


def line_of(path, text):
        with open(path) as f:
                for n, line in enumerate(f, 1):
                        if text in line:
                                return n
        raise AssertionError("%r not in %s" % (text, path))


def utc(s):
        return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


class Start(DaemonTest):
        def test_ready_first_pass_and_status(self):
                self.start_fake()
                self.write_config(sync="  interval: 1h\n")
                t0 = time.time()
                self.start_daemon()
                self.wait_ready()
                self.wait_status("applied 6 changes; " + IN_SYNC_6)
                self.assertTable(PPTP + L2TP)
                self.assertLoggedOut()
                self.assertIn("applied 6 changes; " + IN_SYNC_6, self.err())
                self.assertIn("added tcp 1723", self.err())

                st = self.read_status_json()
                self.assertEqual(st["version"], 1)
                self.assertEqual(st["pid"], self.proc.pid)
                self.assertEqual(st["config"], self.config)
                self.assertEqual(st["router"], "127.0.0.1:%d" % self.fake.port)
                self.assertEqual(st["status"], "applied 6 changes; " + IN_SYNC_6)
                last = st["last_pass"]
                self.assertEqual((last["result"], last["ok"], last["changes"]), ("applied", True, 6))
                self.assertLessEqual(int(t0) - 1, utc(last["started"]))
                self.assertLessEqual(utc(last["started"]), utc(last["finished"]))
                self.assertLessEqual(utc(last["finished"]), time.time() + 1)
                # the next pass an interval (1h) after this one
                self.assertAlmostEqual(utc(st["next_pass"]) - utc(last["finished"]), 3600, delta=3)
                self.stop_daemon()

        def test_invalid_file_at_start_exits_78(self):
                self.write_config(VPN_CONFIG + "  - name: bad\n    forwards:\n      - { proto: tcpx, port: 1 }\n")
                self.start_daemon()
                rc = self.proc.wait(10)
                self.assertEqual(rc, 78, self.err())
                self.assertRegex(self.err(), r"portkeep\.yaml:%d:18: unknown proto 'tcpx'" % line_of(self.config, "tcpx"))
                self.assertIsNone(self.notify.wait_for("READY", timeout=0.2), "READY=1 with a broken file")

        def test_unreadable_password_at_start_exits_78(self):
                self.write_config()
                os.unlink(self.pwfile)
                self.start_daemon()
                self.assertEqual(self.proc.wait(10), 78, self.err())
                self.assertIn(self.pwfile, self.err())

        @unittest.skipIf(UPNP_BUILT, "this build has the upnp driver; .ci/run runs this in one without")
        def test_driver_not_built_exits_1_at_start_and_is_refused_on_reload(self):
                upnp = ("version: 1\nrouter:\n  driver: upnp\n  url: http://127.0.0.1:9\n"
                        "defaults:\n  lan_ip: 192.168.11.3\ngroups:\n  - name: web\n"
                        "    forwards:\n      - { proto: tcp, port: 8443 }\n")
                with open(self.write_config(), "w") as f:
                        f.write(upnp)
                self.start_daemon()
                self.assertEqual(self.proc.wait(10), 1, self.err())
                self.assertIn("the upnp driver is not in this build", self.err())
                self.assertIn("not starting", self.err())

                # a reload to such a file keeps the running one
                self.notify.close()
                self.start_fake(PPTP + L2TP)
                self.write_config(sync="  interval: 1h\n")
                self.start_daemon()
                t, _ = self.wait_status(IN_SYNC_6)
                with open(self.config, "w") as f:
                        f.write(upnp)
                self.proc.send_signal(signal.SIGHUP)
                self.wait_status("reload failed: 1 error in %s" % self.config, since=t)
                self.assertIn("the upnp driver is not in this build", self.err())
                self.assertAlive()
                self.stop_daemon()

        def test_watchdog_pid_of_another_process_means_no_pings(self):
                self.start_fake(PPTP + L2TP)
                self.write_config(sync="  interval: 1h\n")
                self.start_daemon(watchdog_pid=1)
                self.wait_status(IN_SYNC_6)
                time.sleep(1.5)
                self.assertEqual(self.notify.values("WATCHDOG"), [])
                self.stop_daemon()


class Watchdog(DaemonTest):
        def test_pings_also_while_the_router_is_slow(self):
                # a read slower than half the watchdog period, faster than router.timeout (2s)
                self.start_fake(PPTP + L2TP)
                self.fake.fail(fault="latency", ms=1500, method="GET", path="/nat_reg.html")
                self.write_config(sync="  interval: 1s\n")
                self.start_daemon()
                t0, _ = self.wait_ready()
                self.wait_status(IN_SYNC_6, timeout=6)
                self.wait_status(IN_SYNC_6, timeout=6, since=self.notify.wait_for("STATUS", IN_SYNC_6)[0] + 0.01)
                t1 = time.monotonic()
                self.assertGreaterEqual(self.fake.stats()["requests"]["GET /nat_reg.html"], 2)
                pings = self.notify.times("WATCHDOG", since=t0)
                gaps = [b - a for a, b in zip([t0] + pings, pings + [t1])]
                # half of WatchdogSec (1s), with room for a loaded machine
                self.assertLessEqual(max(gaps), WATCHDOG_SEC / 2 + 0.3, "gaps between WATCHDOG=1: %r" % gaps)
                self.assertTrue(all(v == "1" for v in self.notify.values("WATCHDOG")))
                self.stop_daemon()


class Timer(DaemonTest):
        def test_drift_repaired_by_the_timer(self):
                self.start_fake(PPTP + L2TP)
                self.write_config(sync="  interval: 1s\n")
                self.start_daemon()
                t, _ = self.wait_status(IN_SYNC_6)
                self.fake.set_table(PPTP + L2TP[:3])  # someone removed ESP by hand
                self.wait_status("applied 1 change; " + IN_SYNC_6, timeout=4, since=t)
                self.assertTable(PPTP + L2TP)
                self.assertLoggedOut()
                self.stop_daemon()


class Signals(DaemonTest):
        def test_sighup_good_file_applies_at_once(self):
                self.start_fake(PPTP + L2TP)
                self.write_config(sync="  interval: 1h\n")
                self.start_daemon()
                t, _ = self.wait_status(IN_SYNC_6)
                self.write_config(VPN_CONFIG + WEB, sync="  interval: 1h\n")
                self.proc.send_signal(signal.SIGHUP)
                tr, _ = self.notify.wait_for("RELOADING", "1", timeout=3, since=t) or self.fail("no RELOADING=1")
                self.assertIsNotNone(self.notify.wait_for("READY", "1", since=tr, timeout=3), "no READY=1 after reload")
                self.wait_status("applied 1 change; in sync: 7 forwards in 3 groups", timeout=3, since=tr)
                self.assertTable(PPTP + L2TP + [WEB_ENTRY])
                self.stop_daemon()

        def test_sighup_broken_file_keeps_the_old_one_and_sigusr1_runs_a_pass(self):
                self.start_fake(PPTP + L2TP)
                self.write_config(sync="  interval: 1h\n")
                self.start_daemon()
                t, _ = self.wait_status(IN_SYNC_6)
                self.write_config(VPN_CONFIG + WEB.replace("tcp,", "tcpx,"), sync="  interval: 1h\n")
                self.proc.send_signal(signal.SIGHUP)
                tr, _ = self.notify.wait_for("RELOADING", "1", timeout=3, since=t) or self.fail("no RELOADING=1")
                self.assertIsNotNone(self.notify.wait_for("READY", "1", since=tr, timeout=3))
                self.wait_status("reload failed: 1 error in %s" % self.config, since=tr)
                self.assertRegex(self.err(), r"portkeep\.yaml:%d:18: unknown proto 'tcpx'" % line_of(self.config, "tcpx"))
                self.assertAlive()

                # the old file is still served: SIGUSR1 repairs drift by it
                self.fake.set_table(PPTP + L2TP[:3])
                t2 = time.monotonic()
                self.proc.send_signal(signal.SIGUSR1)
                t3, words = self.wait_status("applied 1 change; " + IN_SYNC_6, timeout=3, since=t2)
                self.assertTable(PPTP + L2TP)
                # until a reload succeeds, every STATUS= says the file is not in force
                self.assertEqual(words, "applied 1 change; %s; reload failed (1 error in %s), running the previous "
                                        "configuration" % (IN_SYNC_6, self.config))
                self.assertEqual(self.read_status_json()["status"], words)

                self.write_config(sync="  interval: 1h\n")
                self.proc.send_signal(signal.SIGHUP)
                _, words = self.wait_status(IN_SYNC_6, timeout=3, since=t3 + 0.001)
                self.assertEqual(words, IN_SYNC_6)
                self.stop_daemon()

        def test_sigterm_during_a_slow_request(self):
                self.start_fake(PPTP + L2TP)
                self.fake.fail(fault="latency", ms=1800, method="GET", path="/nat_reg.html")
                self.write_config(sync="  interval: 1h\n")
                self.start_daemon()
                self.wait_requests("POST /login.html", 1)
                time.sleep(0.3)  # the read is in flight
                self.stop_daemon(within=1.0)
                self.assertIn("abandoning the request in flight", self.err())
                self.assertIsNone(self.notify.wait_for("STATUS", "in sync", timeout=0), "the pass finished")
                self.assertLoggedOut()
                self.assertTable(PPTP + L2TP)

        # tcp 1723 moves to .3: deleted, then added; the router makes the add
        # but its reply is late
        MOVED = [entry("PPTP", "tcp", "1723", lan_ip="192.168.11.4"), PPTP[1]] + L2TP

        def start_replace(self):
                self.start_fake(self.MOVED)
                self.owned("PPTP", "L2TP")
                self.fake.fail(fault="latency", ms=30000, after=True, method="POST", action="add", count=1)
                self.write_config(sync="  interval: 1h\n")
                self.start_daemon(env={"PORTKEEP_LOG_PREFIX": "1"})
                self.wait_requests("POST /nat_reg.html", 2)  # the delete, then the add

        def test_sigterm_during_a_replace_that_cannot_be_undone(self):
                self.start_replace()
                # every read after the add hangs
                self.fake.fail(fault="latency", ms=30000, method="GET", path="/nat_reg.html")
                time.sleep(0.2)
                self.stop_daemon(within=5.0)
                self.assertRegex(self.err(), r"<3>Terminated during a pass: interrupted while adding tcp 1723 -> "
                                 r"192\.168\.11\.3:1723 \(group PPTP\).*its state is unknown")
                r = self.portkeep("--json", "status")
                self.assertExit(r, 1)  # not running
                last = json.loads(r.out)["last_pass"]
                self.assertEqual((last["result"], last["ok"]), ("interrupted", False))
                r = self.portkeep("status")
                self.assertIn("interrupted", r.out)
                self.assertNotIn("first pass now", r.out)

        def test_sigterm_during_a_replace_rolls_back(self):
                self.start_replace()
                time.sleep(0.3)
                self.stop_daemon(within=4.0)
                self.assertIn("<5>Terminated during a pass: interrupted while adding tcp 1723 -> 192.168.11.3:1723 "
                              "(group PPTP); rolled back, the router's table is as it was before the pass", self.err())
                self.assertTable(self.MOVED)
                self.assertLoggedOut()
                r = self.portkeep("--json", "status")
                self.assertEqual(json.loads(r.out)["last_pass"]["result"], "interrupted")

        def test_sigterm_between_passes(self):
                self.start_fake(PPTP + L2TP)
                self.write_config(sync="  interval: 1h\n")
                self.start_daemon()
                self.wait_status(IN_SYNC_6)
                self.stop_daemon(within=0.5)
                self.assertLoggedOut()


class Failures(DaemonTest):
        def test_outage_is_shown_and_recovered_from(self):
                self.start_fake(PPTP + L2TP)
                self.write_config(sync="  interval: 1s\n")
                self.start_daemon()
                t, _ = self.wait_status(IN_SYNC_6)

                self.fake.fail(fault="http500")
                t1, _ = self.wait_status("unexpected answer from the router, retry in 1s", since=t)
                # backing off: the next failure waits twice as long
                t2, _ = self.wait_status("unexpected answer from the router, retry in 2s", since=t1, timeout=3)
                self.assertGreaterEqual(t2 - t1, 0.7)
                self.assertIn("HTTP 500", self.err())
                self.assertAlive()
                self.fake.clear_faults()
                t3, _ = self.wait_status(IN_SYNC_6, since=t2, timeout=4)

                # the router gone: a good pass reset the backoff
                self.fake.stop()
                self.wait_status("router unreachable, retry in 1s", since=t3, timeout=3)
                self.assertAlive()
                st = self.read_status_json()
                self.assertEqual((st["last_pass"]["result"], st["last_pass"]["ok"]), ("failed", False))
                self.assertIn("router unreachable", st["status"])
                self.stop_daemon()
                self.fake = None

        def test_rejected_login_waits_ten_minutes(self):
                self.start_fake(PPTP + L2TP, password="not-the-one-in-the-file")
                self.write_config(sync="  interval: 1s\n")
                self.start_daemon()
                self.wait_status("login rejected, retry in 10m")
                self.assertIn("rejected", self.err())
                time.sleep(2.5)  # more than the 1s interval and its first backoff
                self.assertEqual(self.fake.stats()["events"].get("logins_failed"), 1)
                self.assertAlive()
                st = self.read_status_json()
                self.assertEqual(st["last_pass"]["result"], "failed")
                self.assertAlmostEqual(utc(st["next_pass"]) - utc(st["last_pass"]["finished"]), 600, delta=3)
                self.stop_daemon()


class Refused(DaemonTest):
        def test_a_forward_the_router_cannot_store_is_named_in_status(self):
                # firmware: auto, so only the logged-in driver knows the arcadyan
                # 15-byte group limit; the daemon says what to fix, sends nothing.
                self.start_fake(args=["--family", "arcadyan"])
                self.family = "auto"
                self.write_config(VPN_CONFIG + "  - name: VPN用のグループ\n    forwards:\n"
                                  "      - { proto: tcp, port: 8443 }\n", sync="  interval: 1s\n")
                self.start_daemon()
                self.wait_status("the router cannot store a declared forward, nothing changed; fix the file")
                self.assertIn("cannot store tcp 8443", self.err())
                self.assertAlive()
                self.assertTable([])
                self.stop_daemon()

        def test_a_refused_pass_changes_nothing_and_waits_an_interval(self):
                """More deletes than max_deletes: refused, not a failure (no
                backoff), shown in STATUS= and status, the router untouched."""
                extra = [{"group": "PPTP", "proto": "tcp", "ports": str(p), "lan_ip": "192.168.11.9"} for p in (1724, 1725)]
                self.start_fake(PPTP + L2TP + extra)
                self.owned("PPTP", "L2TP")  # an earlier apply made these groups
                self.write_config(sync="  interval: 1h\n  max_deletes: 1\n")
                self.start_daemon()
                _, words = self.wait_status("refused")
                self.assertEqual(words, "refused by a safety guard, nothing changed (see 'portkeep plan'); next try in 1h")
                self.assertIn("max_deletes", self.err())
                self.assertTable(PPTP + L2TP + extra)
                self.assertEqual(self.fake.stats()["events"].get("deletes", 0), 0)
                self.assertLoggedOut()
                st = self.read_status_json()
                self.assertEqual((st["last_pass"]["result"], st["last_pass"]["ok"], st["last_pass"]["changes"]),
                                 ("refused", False, 0))
                self.assertAlmostEqual(utc(st["next_pass"]) - utc(st["last_pass"]["finished"]), 3600, delta=3)
                self.assertAlive()
                self.stop_daemon()


        def test_a_conflict_holds_back_only_its_forward(self):
                """The rest is applied and verified; STATUS= says what is held
                back; the journal hears of it once, not every pass; no backoff."""
                theirs = {"group": "Game", "proto": "tcp", "ports": "1723", "lan_ip": "192.168.11.50"}
                self.start_fake([theirs])
                self.write_config(sync="  interval: 1s\n")
                self.start_daemon()
                t, words = self.wait_status("held back", timeout=10)
                self.assertEqual(words, "applied 5 changes; 1 forward held back by entries portkeep does not own "
                                        "(see 'portkeep plan'); next pass in 1s")
                self.assertTable([theirs] + PPTP[1:] + L2TP)
                # the next passes: nothing else to do, still said, logged once
                self.wait_status("1 forward held back by entries portkeep does not own (see 'portkeep plan'); "
                                 "next pass in 1s", since=t, timeout=10)
                time.sleep(2.5)
                self.assertEqual(self.err().count("is held by the entry"), 1, self.err())
                st = self.read_status_json()
                self.assertEqual(st["last_pass"]["result"], "held back")
                self.assertAlive()
                self.stop_daemon()


class Confirm(DaemonTest):
        """apply --confirm DURATION: kept by Enter or 'portkeep confirm',
        restored on the timeout or a signal, and then not re-applied by the
        daemon until the file changes, a reload or a plain apply."""

        def confirming(self, seconds, stdin=subprocess.DEVNULL):
                e = self.portkeep_env()
                e.pop("NOTIFY_SOCKET", None)
                return subprocess.Popen(self.portkeep_argv(["apply", "--confirm", seconds]), env=e, stdin=stdin,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def wait_pending(self, p):
                path = os.path.join(self.runtime, "confirm")
                deadline = time.monotonic() + 10
                while not os.path.exists(path) and time.monotonic() < deadline and p.poll() is None:
                        time.sleep(0.05)
                self.assertTrue(os.path.exists(path), "apply --confirm did not start waiting")
                self.assertTable(PPTP + L2TP)  # applied, while it waits

        def test_no_answer_restores_and_the_daemon_does_not_reapply(self):
                self.start_fake()
                self.write_config(sync="  interval: 1s\n")
                t0 = time.monotonic()
                res = self.portkeep("apply", "--confirm", "3s")
                self.assertExit(res, 1)
                self.assertGreaterEqual(time.monotonic() - t0, 3)
                self.assertIn("applied 6 changes; verified. Keep them? Press Enter, or run 'portkeep confirm'", res.out)
                self.assertIn("no answer within 3s: restoring", res.err)
                self.assertIn("restored and verified: the router's table is as it was before this apply", res.err)
                self.assertTable([])
                # the daemon leaves that version of the file alone ...
                posts = len(self.fake.posts())
                self.start_daemon()
                t, words = self.wait_status("not applying")
                self.assertIn("'portkeep apply --confirm' restored its change at ", words)
                time.sleep(2.5)
                self.assertTable([])
                self.assertEqual(len(self.fake.posts()), posts, "the daemon re-applied a restored change")
                self.assertEqual(self.err().count("not applying"), 1, "logged every pass")
                # ... until a reload is asked for
                self.proc.send_signal(signal.SIGHUP)
                self.wait_status(IN_SYNC_6, since=t, timeout=10)
                self.assertTable(PPTP + L2TP)
                self.stop_daemon()

        def test_a_plain_apply_resumes(self):
                self.start_fake()
                self.write_config()
                self.assertExit(self.portkeep("apply", "--confirm", "1s"), 1)
                self.assertTable([])
                self.assertExit(self.portkeep("apply"), 0)
                self.assertTable(PPTP + L2TP)
                self.write_config(sync="  interval: 1s\n")
                self.start_daemon()
                self.wait_status(IN_SYNC_6)
                self.stop_daemon()

        def test_enter_keeps_it(self):
                self.start_fake()
                self.write_config()
                p = self.confirming("20s", stdin=subprocess.PIPE)
                self.wait_pending(p)
                self.assertIn("Keep them?", p.stdout.readline())
                p.stdin.write("\n")
                p.stdin.flush()
                out, err = p.communicate(timeout=20)
                self.assertEqual(p.returncode, 0, err)
                self.assertIn("kept: the router's table matches", out)
                self.assertTable(PPTP + L2TP)
                self.assertFalse(os.path.exists(os.path.join(self.runtime, "confirm")))

        def test_portkeep_confirm_from_another_shell_keeps_it(self):
                self.start_fake()
                self.write_config()
                res = self.portkeep("confirm")
                self.assertExit(res, 1)
                self.assertIn("no 'portkeep apply --confirm' is waiting", res.err)
                p = self.confirming("20s")
                self.wait_pending(p)
                res = self.portkeep("confirm")
                self.assertExit(res, 0)
                self.assertIn("confirmed: the apply --confirm (pid %d) keeps its change" % p.pid, res.out)
                out, err = p.communicate(timeout=20)
                self.assertEqual(p.returncode, 0, err)
                self.assertTable(PPTP + L2TP)

        def test_a_signal_restores(self):
                for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
                        with self.subTest(signal=sig):
                                self.start_fake()
                                self.write_config()
                                p = self.confirming("20s")
                                self.wait_pending(p)
                                p.send_signal(sig)
                                out, err = p.communicate(timeout=20)
                                self.assertEqual(p.returncode, 1, err)
                                self.assertIn("restored and verified", err)
                                self.assertTable([])
                                self.fake.stop()
                                os.unlink(os.path.join(self.tmp, "fake-port"))

        def test_confirm_goes_with_apply_only(self):
                self.start_fake()
                self.write_config()
                res = self.portkeep("plan", "--confirm", "2m")
                self.assertExit(res, 64)
                res = self.portkeep("apply", "--dry-run", "--confirm", "2m")
                self.assertExit(res, 64)
                self.assertIn("nothing to --confirm", res.err)
                res = self.portkeep("apply", "--confirm", "soon")
                self.assertExit(res, 64)


class Lock(DaemonTest):
        def test_oneshot_apply_waits_for_the_daemons_pass(self):
                self.start_fake(PPTP + L2TP)
                self.fake.fail(fault="latency", ms=1500, method="GET", path="/nat_reg.html")
                self.write_config(sync="  interval: 1h\n")
                self.start_daemon(env={"PORTKEEP_LOCK_TIMEOUT": "2"})
                self.wait_requests("POST /login.html", 1)  # the daemon's pass holds the lock

                waited = {}

                def patient():
                        waited["res"] = self.portkeep("apply", env={"PORTKEEP_LOCK_TIMEOUT": "10"})
                        waited["at"] = time.monotonic()

                th = threading.Thread(target=patient)
                th.start()
                res = self.portkeep("apply", env={"PORTKEEP_LOCK_TIMEOUT": "0"})
                self.assertExit(res, 75)  # EX_TEMPFAIL: try again
                self.assertIn("another portkeep (pid %d) holds the lock for" % self.proc.pid, res.err)
                th.join(20)
                self.assertExit(waited["res"], 0)
                t_sync = self.notify.wait_for("STATUS", IN_SYNC_6, timeout=0)
                self.assertIsNotNone(t_sync)
                self.assertGreater(waited["at"], t_sync[0], "the one-shot apply did not wait for the daemon")
                self.assertEqual(self.fake.stats()["events"].get("logins_ok"), 2)
                self.assertLoggedOut()
                self.stop_daemon()


if __name__ == "__main__":
        main()
