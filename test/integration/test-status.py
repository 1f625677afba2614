#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`portkeep status` against a daemon run with the fake AirStation (text and
--json; running, stopped, never run), the runtime directory each config file
maps to, and the daemon's events: the plain <N> lines, and (as root, in a
private mount namespace with a stand-in journald socket) the structured
journal entries with their MESSAGE_IDs and PORTKEEP_* fields."""

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import L2TP, PASSWORD, PORTKEEP, PPTP, main  # noqa: E402

DaemonTest = importlib.import_module("test-daemon").DaemonTest
IN_SYNC_6 = "in sync: 6 forwards in 2 groups"
RFC3339 = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"
HERE = os.path.dirname(os.path.abspath(__file__))
IDS = {
        "added": "aa58e47bc57d46a4b9b0cbb8d8737b85",
        "deleted": "ef4f5362053444fb914c4f736de80b99",
        "drift": "0fc8be78a9204adcb253b1de9324b9f8",
        "failed": "e0612e710c8e4379bc3549a261b94627",
        "refused": "f00645f1b4b44aeb97451bd3eb1bb76b",
}
README = os.path.join(os.path.dirname(os.path.dirname(HERE)), "README.md")


def can_unshare():
        return os.geteuid() == 0 and shutil.which("unshare") and subprocess.run(
                ["unshare", "-m", "--propagation", "private", "true"], capture_output=True).returncode == 0


class StatusTest(DaemonTest):
        def skip_unless_root(self):
                if not can_unshare():
                        if os.environ.get("PORTKEEP_TEST_NO_SKIP") == "1":
                                self.fail("needs root and unshare -m (PORTKEEP_TEST_NO_SKIP=1)")
                        self.skipTest("needs root and unshare -m")

        def status(self, *args, **kw):
                return self.portkeep("status", *args, **kw)

        def test_no_daemon_has_run(self):
                self.write_config()
                r = self.status()
                self.assertExit(r, 1)
                self.assertEqual(r.out, "")
                self.assertIn("no daemon has run for this config, nor 'portkeep apply' (no %s/status): start it with "
                              "systemctl start portkeep" % self.runtime, r.err)
                r = self.status("--json")
                self.assertExit(r, 1)
                j = json.loads(r.out)
                self.assertEqual((j["version"], j["running"], j["last_pass"], j["next_pass"]), (1, False, None, None))

        def test_running_then_stopped(self):
                self.start_fake()
                self.write_config(sync="  interval: 1h\n")
                t0 = time.time()
                self.start_daemon()
                self.wait_status("applied 6 changes; " + IN_SYNC_6)
                pid = self.proc.pid

                r = self.status(env={"TZ": "UTC"})
                self.assertExit(r, 0)
                self.assertIn("daemon:    running (pid %d)\n" % pid, r.out)
                self.assertIn("config:    %s\n" % self.config, r.out)
                self.assertIn("router:    127.0.0.1:%d\n" % self.fake.port, r.out)
                self.assertIn("status:    applied 6 changes; %s\n" % IN_SYNC_6, r.out)
                self.assertRegex(r.out, r"last pass: applied, 6 changes, finished \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC "
                                        r"\(\d+s ago, took \d+s; by the daemon\)\n")
                self.assertRegex(r.out, r"next pass: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in (59m|1h0m)\)\n")

                r = self.status("--json")
                self.assertExit(r, 0)
                j = json.loads(r.out)
                self.assertEqual((j["version"], j["running"], j["pid"], j["config"]), (1, True, pid, self.config))
                lp = j["last_pass"]
                self.assertEqual((lp["result"], lp["ok"], lp["changes"]), ("applied", True, 6))
                for t in (lp["started"], lp["finished"], j["next_pass"]):
                        self.assertRegex(t, RFC3339)
                started = time.mktime(time.strptime(lp["started"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
                self.assertLessEqual(abs(started - t0), 5)
                self.assertEqual(j["status"], "applied 6 changes; " + IN_SYNC_6)

                self.stop_daemon()
                r = self.status()
                self.assertExit(r, 1)
                self.assertIn("daemon:    not running (was pid %d)\n" % pid, r.out)
                self.assertIn("last pass: applied, 6 changes", r.out)
                self.assertIn("next pass: none, the daemon is not running\n", r.out)
                self.assertIn("the daemon (pid %d) is not running" % pid, r.err)
                r = self.status("--json")
                self.assertExit(r, 1)
                j = json.loads(r.out)
                self.assertEqual((j["running"], j["pid"], j["next_pass"]), (False, pid, None))
                self.assertEqual(j["last_pass"]["result"], "applied")

        def test_the_timers_apply_is_the_last_pass(self):
                # the daemon ran once and stopped; then portkeep-apply.service
                # (a one-shot apply) repaired the router
                self.start_fake()
                self.write_config(sync="  interval: 1h\n")
                self.start_daemon()
                self.wait_status("applied 6 changes; " + IN_SYNC_6)
                self.stop_daemon()
                self.fake.set_table([e for e in self.fake.table() if e["proto"] != "gre"])
                a = self.portkeep("apply")
                self.assertExit(a, 0)
                r = self.status(env={"TZ": "UTC"})
                self.assertExit(r, 0)  # the last pass succeeded: the timer keeps the table
                self.assertRegex(r.out, r"last pass: applied, 1 change, finished .*; by 'portkeep apply', pid \d+\)\n")
                self.assertRegex(r.out, r"before:    applied, 6 changes, .*; by the daemon\)\n")
                self.assertIn("status:    applied and verified\n", r.out)
                j = json.loads(self.status("--json").out)
                self.assertEqual((j["last_pass"]["by"], j["last_pass"]["result"], j["last_pass"]["changes"]),
                                 ("apply", "applied", 1))
                self.assertEqual(j["last_apply"], j["last_pass"])

                # a failed apply, with no daemon: exit 1, and it says so
                self.fake.stop()
                self.assertExit(self.portkeep("apply"), 1)
                r = self.status()
                self.assertExit(r, 1)
                self.assertIn("last pass: failed, 0 changes", r.out)
                self.assertIn("by 'portkeep apply'", r.out)

        def test_only_the_timer_has_run(self):
                self.start_fake()
                self.write_config()
                self.assertExit(self.portkeep("apply"), 0)
                r = self.status()
                self.assertExit(r, 0)
                self.assertIn("daemon:    none has run for this config\n", r.out)
                self.assertIn("last pass: applied, 6 changes", r.out)
                j = json.loads(self.status("--json").out)
                self.assertEqual((j["running"], j["pid"], j["last_pass"]["by"]), (False, None, "apply"))

        def test_a_pid_reused_by_another_program_is_not_the_daemon(self):
                self.write_config()
                os.makedirs(self.runtime)
                with open(os.path.join(self.runtime, "status"), "w") as f:
                        # this python process: alive, but not portkeep
                        f.write("VERSION=1\nPID=%d\nCONFIG=%s\nROUTER=x\nSTATUS=started\n" % (os.getpid(), self.config))
                r = self.status()
                self.assertExit(r, 1)
                self.assertIn("daemon:    not running (was pid %d)" % os.getpid(), r.out)
                self.assertIn("last pass: none yet", r.out)

        def test_runtime_directory_follows_the_config_name(self):
                unset = {"RUNTIME_DIRECTORY": ""}
                for name, rundir, unit in (("portkeep.yaml", "/run/portkeep", "portkeep"),
                                           ("home.yaml", "/run/portkeep-home", "portkeep@home"),
                                           ("office.yml", "/run/portkeep-office", "portkeep@office")):
                        self.write_config(name=name)
                        if os.path.exists(rundir + "/status"):
                                continue  # a real daemon on this machine
                        r = self.status(env=unset)
                        self.assertExit(r, 1)
                        self.assertIn("(no %s/status): start it with systemctl start %s\n" % (rundir, unit), r.err)

        def test_one_shot_and_status_use_the_instance_directory(self):
                """Without $RUNTIME_DIRECTORY, in a mount namespace with its own
                /run: apply takes its lock in /run/portkeep-home, where the
                instance unit (RuntimeDirectory=portkeep-%i) would have it."""
                self.skip_unless_root()
                self.start_fake()
                self.write_config(name="home.yaml")
                script = ('mount -t tmpfs tmpfs /run && RUNTIME_DIRECTORY= "$1" -c "$2" apply >/dev/null 2>&1; '
                          'echo rc=$?; ls /run /run/portkeep-home')
                p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                                    PORTKEEP, self.config], capture_output=True, text=True,
                                   env=dict(os.environ, no_proxy="*", STATE_DIRECTORY=self.state))
                self.assertIn("rc=0\n", p.stdout, p.stderr)
                self.assertIn("127.0.0.1:%d.lock" % self.fake.port, p.stdout)
                self.assertIn("portkeep-home", p.stdout)
                self.assertNotIn("\nportkeep\n", p.stdout)
                self.assertTable(PPTP + L2TP)

        def start_logged_daemon(self, **env):
                self.daemon_env = env
                return self.start_daemon(env=env)

        def check_event_lines(self):
                """A change, a drift repair and a failed pass, as plain lines."""
                self.start_fake()
                self.write_config(sync="  interval: 1s\n")
                self.start_logged_daemon(**self.daemon_env)
                t, _ = self.wait_status("applied 6 changes; " + IN_SYNC_6)
                self.fake.set_table(PPTP + L2TP[:3])  # ESP removed by hand
                t, _ = self.wait_status("applied 1 change; " + IN_SYNC_6, timeout=4, since=t)
                self.fake.fail(fault="http500")
                self.wait_status("unexpected answer from the router, retry in", since=t)
                self.stop_daemon()
                lines = self.err().splitlines()
                self.assertIn("<6>added tcp 1723 -> 192.168.11.3:1723 (group PPTP)", lines)
                self.assertIn("<5>applied 6 changes; " + IN_SYNC_6, lines)
                self.assertIn("<6>added esp -> 192.168.11.3 (group L2TP)", lines)
                self.assertIn("<5>applied 1 change; " + IN_SYNC_6, lines)
                failed = [x for x in lines if x.startswith("<3>") and "HTTP 500" in x and x.endswith("retry in 1s")]
                self.assertEqual(len(failed), 1, "\n".join(lines))

        def test_event_lines_with_prefix(self):
                self.daemon_env = {"PORTKEEP_LOG_PREFIX": "1", "JOURNAL_STREAM": ""}
                self.check_event_lines()

        def test_event_lines_when_journald_is_not_there(self):
                """stderr is 'the journal' ($JOURNAL_STREAM matches) but nothing
                listens on journald's socket: the same lines, nothing lost."""
                if os.path.exists("/run/systemd/journal/socket"):
                        self.skipTest("a real journald runs here; test_journal_entries covers this")
                with open(self.errfile, "w") as f:
                        st = os.fstat(f.fileno())
                self.daemon_env = {"JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino), "PORTKEEP_LOG_PREFIX": ""}
                self.check_event_lines()

        def capture(self, seconds, *args):
                out, err = os.path.join(self.tmp, "journal.json"), os.path.join(self.tmp, "capture.err")
                env = dict(os.environ, RUNTIME_DIRECTORY=self.runtime, STATE_DIRECTORY=self.state, no_proxy="*")
                subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable,
                                os.path.join(HERE, "journal_capture.py"), out, err, str(seconds), "--", PORTKEEP,
                                "-c", self.config] + list(args), env=env, check=True, timeout=60)
                with open(out) as f:
                        got = json.load(f)
                with open(err) as f:
                        got["stderr"] = f.read()
                self.assertNotIn(PASSWORD, json.dumps(got), "the password leaked into the journal")
                return got

        def test_readme_lists_the_message_ids(self):
                """The table in README.md, "Run it as a service", is what
                journalctl users copy: the same IDs as lib/log.c sends."""
                with open(README, encoding="utf-8") as f:
                        listed = re.findall(r"^\| ([^|]+?) +\| +\d \w+ +\| `([0-9a-f]{32})` \|$", f.read(), re.M)
                self.assertEqual(sorted(i for _, i in listed), sorted(IDS.values()), listed)
                self.assertEqual(len(set(IDS.values())), len(IDS))

        def test_journal_entries(self):
                self.skip_unless_root()
                extra = {"group": "PPTP", "proto": "tcp", "ports": "1724", "lan_ip": "192.168.11.9"}
                self.start_fake([extra])
                self.owned("PPTP", "L2TP")  # an earlier apply made these groups
                self.write_config(sync="  interval: 1h\n")
                got = self.capture(2.5, "run")
                self.assertEqual(got["rc"], 0, got["stderr"])
                by_id = {}
                for e in got["entries"]:
                        by_id.setdefault(e.get("MESSAGE_ID"), []).append(e)
                deleted = by_id.get(IDS["deleted"], [])
                self.assertEqual(len(deleted), 1, got)
                self.assertEqual(deleted[0]["MESSAGE"], "deleted tcp 1724 -> 192.168.11.9:1724 (group PPTP)")
                self.assertEqual((deleted[0]["PRIORITY"], deleted[0]["PORTKEEP_GROUP"], deleted[0]["PORTKEEP_PROTO"],
                                  deleted[0]["PORTKEEP_PORTS"], deleted[0]["PORTKEEP_LAN_IP"],
                                  deleted[0]["PORTKEEP_WAN"]), ("6", "PPTP", "tcp", "1724", "192.168.11.9", "router"))
                added = {(e["PORTKEEP_GROUP"], e["PORTKEEP_PROTO"], e.get("PORTKEEP_PORTS")) for e in by_id[IDS["added"]]}
                self.assertEqual(added, {("PPTP", "tcp", "1723"), ("PPTP", "gre", None), ("L2TP", "udp", "500"),
                                         ("L2TP", "udp", "4500"), ("L2TP", "udp", "1701"), ("L2TP", "esp", None)})
                drift = by_id.get(IDS["drift"], [])
                self.assertEqual([(e["MESSAGE"], e["PRIORITY"]) for e in drift],
                                 [("applied 7 changes; " + IN_SYNC_6, "5")])
                # what went to the journal is not repeated on stderr
                self.assertNotIn("added tcp 1723", got["stderr"])
                self.assertIn("<6>portkeep daemon started", got["stderr"])

                self.fake.stop()
                self.fake = None
                got = self.capture(1.5, "run")
                failed = [e for e in got["entries"] if e.get("MESSAGE_ID") == IDS["failed"]]
                self.assertGreaterEqual(len(failed), 1, got)
                self.assertEqual(failed[0]["PRIORITY"], "3")
                self.assertRegex(failed[0]["MESSAGE"], r"^could not log in to the router at .*; retry in \d+s$")
                self.assertNotIn("PORTKEEP_GROUP", failed[0])

                # a pass refused by max_deletes
                extra = [{"group": "PPTP", "proto": "tcp", "ports": str(p), "lan_ip": "192.168.11.9"} for p in (1724, 1725)]
                os.unlink(os.path.join(self.tmp, "fake-port"))  # the stopped fake's
                self.start_fake(PPTP + L2TP + extra)
                self.owned("PPTP", "L2TP")  # an earlier apply made these groups
                self.write_config(sync="  interval: 1h\n  max_deletes: 1\n")
                got = self.capture(1.5, "run")
                refused = [e for e in got["entries"] if e.get("MESSAGE_ID") == IDS["refused"]]
                self.assertEqual(len(refused), 1, got)
                self.assertEqual(refused[0]["PRIORITY"], "3")
                self.assertIn("max_deletes", refused[0]["MESSAGE"])
                self.assertTrue(refused[0]["MESSAGE"].endswith("Next try in 1h."), refused[0]["MESSAGE"])


if __name__ == "__main__":
        main()
