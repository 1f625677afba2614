#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""portkeep's benchmarks, one run, figures printed (no figure is asserted:
doc/benchmarks.md sets each next to its goal):

- the median time of a no-op 'portkeep plan' against the fake nosave
  AirStation writing each reply in two writes (headers, body: Python's
  http.server, many embedded httpds) and in one, next to a shell script
  doing the same four requests with four curl(1) processes and a small
  Python client with requests (how AirStation-cli talks to the router);
  the same for arcadyan, portkeep alone;
- requests per pass for 0, 1 and 5 changes, each family;
- the daemon after 1,000 passes: RSS, PSS and private dirty memory
  (/proc/PID/smaps_rollup), CPU per pass, and its wakeups (context
  switches) in an idle minute;
- 'portkeep check' of 100, 500 and 1,000 forwards.

    meson test -C build --benchmark        (or: test/benchmark.py build/cmd/portkeep)

$PORTKEEP_BENCH_RUNS (21), $PORTKEEP_BENCH_PASSES (1000) and
$PORTKEEP_BENCH_IDLE (60 s) shorten it."""

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "integration"))
from harness import L2TP, PASSWORD, PPTP, RECORD_HEADER, VPN_CONFIG, Fake, memory  # noqa: E402

PORTKEEP = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/cmd/portkeep")
RUNS = int(os.environ.get("PORTKEEP_BENCH_RUNS", "21"))
PASSES = int(os.environ.get("PORTKEEP_BENCH_PASSES", "1000"))
IDLE = float(os.environ.get("PORTKEEP_BENCH_IDLE", "60"))

CURL_SCRIPT = r"""
set -e
u=$1 pw=$2 jar=$3/jar
s=$(curl -s -c "$jar" "$u/login.html" | sed -n 's/.*name="nosave_session_num" value="\([^"]*\)".*/\1/p')
curl -s -b "$jar" -c "$jar" -o /dev/null -e "$u/login.html" --data-urlencode "nosave_Username=admin" \
        --data-urlencode "nosave_Password@$pw" -d MobileDevice=0 -d "nosave_session_num=$s" "$u/login.html"
curl -s -b "$jar" -o /dev/null -e "$u/index_adv.html" "$u/nat_reg.html"
curl -s -b "$jar" -o /dev/null -e "$u/nat_reg.html" "$u/logout.html"
"""

REQUESTS_CLIENT = r"""
import re, sys, requests
u, pwfile = sys.argv[1], sys.argv[2]
password = open(pwfile).read().strip()
s = requests.Session()
page = s.get(u + "/login.html").text
num = re.search(r'name="nosave_session_num" value="([^"]*)"', page).group(1)
s.post(u + "/login.html", data={"nosave_Username": "admin", "nosave_Password": password,
                                "MobileDevice": "0", "nosave_session_num": num},
       headers={"Referer": u + "/login.html"})
s.get(u + "/nat_reg.html", headers={"Referer": u + "/index_adv.html"})
s.get(u + "/logout.html", headers={"Referer": u + "/nat_reg.html"})
"""


class Bench:
        def __init__(self):
                self.tmp = tempfile.mkdtemp(prefix="portkeep-bench-")
                self.pw = os.path.join(self.tmp, "pw")
                with open(self.pw, "w") as f:
                        f.write(PASSWORD)
                os.chmod(self.pw, 0o600)
                self.env = dict(os.environ, RUNTIME_DIRECTORY=os.path.join(self.tmp, "run"),
                                STATE_DIRECTORY=os.path.join(self.tmp, "state"), no_proxy="*")
                for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "PORTKEEP_CONFIG"):
                        self.env.pop(k, None)
                os.makedirs(os.path.join(self.tmp, "state"))
                self.n = 0

        def fake(self, family, table, one_write):
                d = os.path.join(self.tmp, "fake%d" % self.n)
                self.n += 1
                os.mkdir(d)
                fake = Fake(d, table, args=["--family", family] + (["--one-write"] if one_write else []))
                # the groups are portkeep's (as after an earlier apply)
                with open(os.path.join(self.tmp, "state", "127.0.0.1:%d.groups" % fake.port), "w") as f:
                        f.write(RECORD_HEADER + "\nGROUP=PPTP\nGROUP=L2TP\n")
                return fake

        def config(self, fake, family, extra=""):
                path = os.path.join(self.tmp, "portkeep-%d.yaml" % fake.port)
                with open(path, "w") as f:
                        f.write("version: 1\nrouter:\n  driver: airstation\n  url: %s\n  password_file: %s\n"
                                "  firmware: %s\ndefaults:\n  lan_ip: 192.168.11.3\n%s%s" % (
                                        fake.url, self.pw, family, extra, VPN_CONFIG))
                return path

        def median_ms(self, argv, want=0):
                times = []
                for _ in range(RUNS):
                        t = time.monotonic()
                        r = subprocess.run(argv, env=self.env, capture_output=True)
                        times.append(time.monotonic() - t)
                        if r.returncode != want:
                                raise RuntimeError("%s exited %d: %s" % (argv, r.returncode, r.stderr.decode()))
                return 1000 * statistics.median(times)

        def plan_times(self):
                print("No-op plan, median of %d runs (ms):" % RUNS)
                print("  %-9s %-10s %9s %9s %9s   %s" % ("family", "httpd", "portkeep", "4 x curl", "requests",
                                                        "portkeep / curl, / requests"))
                has_requests = subprocess.run([sys.executable, "-c", "import requests"],
                                              capture_output=True).returncode == 0
                for family in ("nosave", "arcadyan"):
                        for one in (False, True):
                                fake = self.fake(family, PPTP + L2TP, one)
                                try:
                                        cfg = self.config(fake, family)
                                        pk = self.median_ms([PORTKEEP, "-c", cfg, "plan"])
                                        curl = req = None
                                        if family == "nosave":
                                                curl = self.median_ms(["sh", "-c", CURL_SCRIPT, "sh", fake.url,
                                                                       self.pw, self.tmp])
                                                if has_requests:
                                                        req = self.median_ms([sys.executable, "-c",
                                                                              REQUESTS_CLIENT, fake.url, self.pw])
                                finally:
                                        fake.stop()
                                print("  %-9s %-10s %9.1f %9s %9s   %s" % (
                                        family, "one write" if one else "two writes", pk,
                                        "%.1f" % curl if curl else "-", "%.1f" % req if req else
                                        ("n/a" if family == "nosave" else "-"),
                                        "%.2f, %s" % (pk / curl, "%.2f" % (pk / req) if req else "n/a")
                                        if curl else ""))
                if not has_requests:
                        print("  (the requests client needs python3-requests)")

        def requests_per_pass(self):
                print("Requests per pass (apply):")
                cases = {0: PPTP + L2TP, 1: PPTP + L2TP[:3], 5: PPTP[:1]}
                for family in ("nosave", "arcadyan"):
                        counts = []
                        for changes, table in cases.items():
                                fake = self.fake(family, table, True)
                                try:
                                        cfg = self.config(fake, family)
                                        before = fake.stats()["total"]
                                        r = subprocess.run([PORTKEEP, "-c", cfg, "apply"], env=self.env,
                                                           capture_output=True)
                                        if r.returncode != 0:
                                                raise RuntimeError(r.stderr.decode())
                                        counts.append("%d changes: %d" % (changes, fake.stats()["total"] - before))
                                finally:
                                        fake.stop()
                        print("  %-9s %s" % (family, ", ".join(counts)))

        def daemon(self):
                fake = self.fake("nosave", PPTP + L2TP, False)
                cfg = self.config(fake, "nosave", "sync:\n  interval: 1h\n")
                status = os.path.join(self.tmp, "run", "status")
                with open(os.path.join(self.tmp, "daemon.log"), "w") as log:
                        p = subprocess.Popen([PORTKEEP, "-c", cfg, "run"], env=self.env, stdout=log, stderr=log,
                                             stdin=subprocess.DEVNULL)
                try:
                        def finished():
                                try:
                                        with open(status) as f:
                                                return [x for x in f if x.startswith("FINISHED=")]
                                except FileNotFoundError:
                                        return None

                        def wait(before):
                                while True:
                                        now = finished()
                                        if now and now != before:
                                                return now
                                        if p.poll() is not None:
                                                raise RuntimeError("the daemon exited")
                                        time.sleep(0.001)

                        last = wait(None)
                        cpu0 = cpu(p.pid)
                        t0 = time.monotonic()
                        for _ in range(PASSES):
                                os.kill(p.pid, signal.SIGUSR1)
                                last = wait(last)
                        took = time.monotonic() - t0
                        used = cpu(p.pid) - cpu0
                        m = memory(p.pid)
                        print("Daemon after %d no-op passes (SIGUSR1 each, %.1f ms a pass):" % (PASSES,
                                                                                        1000 * took / PASSES))
                        print("  RSS %d KiB, PSS %d KiB, private dirty %d KiB (%.2f MiB)" % (
                                m["Rss"], m["Pss"], m["Private_Dirty"], m["Private_Dirty"] / 1024))
                        print("  CPU per pass %.2f ms" % (1000 * used / PASSES))
                        w0 = switches(p.pid)
                        time.sleep(IDLE)
                        print("  wakeups in %.0f s idle (no watchdog; interval 1h): %d" % (IDLE,
                                                                                      switches(p.pid) - w0))
                finally:
                        p.send_signal(signal.SIGTERM)
                        p.wait(10)
                        fake.stop()

        def check_times(self):
                print("check, median of %d runs (ms):" % RUNS)
                for n in (100, 500, 1000):
                        path = os.path.join(self.tmp, "check-%d.yaml" % n)
                        with open(path, "w") as f:
                                f.write("version: 1\nrouter:\n  driver: airstation\n  url: http://127.0.0.1:9\n"
                                        "  password_file: %s\ndefaults:\n  lan_ip: 192.168.11.3\ngroups:\n"
                                        "  - name: many\n    forwards:\n" % self.pw)
                                for i in range(n):
                                        f.write("      - { proto: tcp, port: %d }\n" % (10000 + i))
                        print("  %4d forwards: %.1f" % (n, self.median_ms([PORTKEEP, "check", path])))

        def done(self):
                shutil.rmtree(self.tmp, ignore_errors=True)


def cpu(pid):
        with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def switches(pid):
        n = 0
        for task in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/status" % (pid, task)) as f:
                        for line in f:
                                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                                        n += int(line.split()[1])
        return n


def main():
        print("portkeep benchmarks: %s, %d cores, %s" % (os.uname().release, os.cpu_count(),
                                                         time.strftime("%Y-%m-%d")))
        b = Bench()
        try:
                b.plan_times()
                b.requests_per_pass()
                b.daemon()
                b.check_times()
        finally:
                b.done()


if __name__ == "__main__":
        main()
