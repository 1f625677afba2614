# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared pieces of the integration tests: a fake AirStation in a child
process, a temporary config with its password file, and the real portkeep
binary run against them.

Usage: test-*.py PORTKEEP_BINARY (meson passes it). Every test talks only to
127.0.0.1."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(os.path.dirname(HERE), "fake-airstation")
PORTKEEP = os.environ.get("PORTKEEP") or (sys.argv[1] if len(sys.argv) > 1 else "portkeep")


RECORD_HEADER = "# portkeep: the groups applied and verified on this router; not to be edited"


def upnp_built():
        """Whether this build has the upnp driver: config-build.h of the build
        directory, which meson runs the tests in (cmd/portkeep beside it)."""
        build = os.path.dirname(os.path.dirname(os.path.abspath(PORTKEEP)))
        try:
                with open(os.path.join(build, "config-build.h")) as f:
                        return "#define HAVE_MINIUPNPC 1" in f.read()
        except OSError:
                return False


UPNP_BUILT = upnp_built()

PASSWORD = "Tr0ub4dor&3-not-in-output"

PPTP = [
        {"group": "PPTP", "proto": "tcp", "ports": "1723", "lan_ip": "192.168.11.3"},
        {"group": "PPTP", "proto": "gre", "ports": None, "lan_ip": "192.168.11.3"},
]
L2TP = [
        {"group": "L2TP", "proto": "udp", "ports": "500", "lan_ip": "192.168.11.3"},
        {"group": "L2TP", "proto": "udp", "ports": "4500", "lan_ip": "192.168.11.3"},
        {"group": "L2TP", "proto": "udp", "ports": "1701", "lan_ip": "192.168.11.3"},
        {"group": "L2TP", "proto": "esp", "ports": None, "lan_ip": "192.168.11.3"},
]

VPN_CONFIG = """\
groups:
  - name: PPTP
    preset: pptp
  - name: L2TP
    preset: l2tp-ipsec
"""


def entry(group, proto, ports, lan_ip="192.168.11.3", lan_ports=None, wan="router"):
        return {"group": group, "proto": proto, "wan": wan, "ports": ports, "lan_ip": lan_ip,
                "lan_ports": lan_ports}


def canon(table):
        """A router table as a sorted list of comparable tuples (the fake's
        JSON, ids dropped, lan_ports null meaning same as ports)."""
        out = []
        for e in table:
                ports = e.get("ports")
                ports = None if ports is None else str(ports)
                lan = e.get("lan_ports")
                lan = ports if lan is None else str(lan)
                out.append((e.get("group") or "", str(e["proto"]), e.get("wan") or "router", ports or "",
                            e["lan_ip"], lan or ""))
        return sorted(out)


class Fake:
        """The fake AirStation on a free port of 127.0.0.1."""

        def __init__(self, tmp, table=(), password=PASSWORD, args=()):
                self.tmp = tmp
                tfile = os.path.join(tmp, "fake-table.json")
                with open(tfile, "w") as f:
                        json.dump([dict(e) for e in table], f)
                pwfile = os.path.join(tmp, "fake-password")
                with open(pwfile, "w") as f:
                        f.write(password + "\n")
                portfile = os.path.join(tmp, "fake-port")
                self.log = open(os.path.join(tmp, "fake.log"), "w")
                self.proc = subprocess.Popen(
                        [sys.executable, FAKE, "--port", "0", "--port-file", portfile, "--table", tfile,
                         "--password-file", pwfile] + list(args),
                        stdout=self.log, stderr=subprocess.STDOUT)
                deadline = time.monotonic() + 10
                while not os.path.exists(portfile):
                        if time.monotonic() > deadline or self.proc.poll() is not None:
                                raise RuntimeError("the fake AirStation did not start")
                        time.sleep(0.02)
                with open(portfile) as f:
                        self.port = int(f.read())
                self.url = "http://127.0.0.1:%d" % self.port
                self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

        def _call(self, method, path, body=None):
                data = None if body is None else json.dumps(body).encode()
                req = urllib.request.Request(self.url + "/_fake/" + path, data=data, method=method)
                with self.opener.open(req, timeout=10) as r:
                        return json.loads(r.read() or b"null")

        def table(self):
                return self._call("GET", "table")

        def set_table(self, table):
                return self._call("PUT", "table", list(table))

        def fail(self, **fault):
                return self._call("POST", "fail", fault)

        def clear_faults(self):
                return self._call("DELETE", "fail")

        def config(self, **settings):
                return self._call("POST", "config", settings)

        def stats(self):
                return self._call("GET", "stats")

        def requests(self):
                return self._call("GET", "requests")

        def posts(self):
                """Change forms posted to the table page (adds and deletes)."""
                return [r for r in self.requests()
                        if r["method"] == "POST" and r["path"] == "/nat_reg.html"]

        def logged_in(self):
                return self.stats()["logged_in"]

        def stop(self):
                if self.proc.poll() is None:
                        self.proc.terminate()
                        try:
                                self.proc.wait(5)
                        except subprocess.TimeoutExpired:
                                self.proc.kill()
                                self.proc.wait()
                self.log.close()


class Result:
        def __init__(self, args, rc, out, err):
                self.args, self.rc, self.out, self.err = args, rc, out, err

        def __repr__(self):
                return "portkeep %s -> exit %d\n--- stdout\n%s--- stderr\n%s" % (
                        " ".join(self.args), self.rc, self.out, self.err)


class PortkeepTest(unittest.TestCase):
        """Each test gets a temporary directory, a fake router (self.fake, with
        self.start_fake()), and self.write_config() / self.portkeep()."""

        family = "nosave"

        def setUp(self):
                self.tmp = tempfile.mkdtemp(prefix="portkeep-test-")
                self.fake = None
                self.runtime = os.path.join(self.tmp, "run")
                self.state = os.path.join(self.tmp, "state")  # the ownership record (ownership.h)
                self.pwfile = os.path.join(self.tmp, "router-password")
                fd = os.open(self.pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.write(fd, (PASSWORD + "\n").encode())
                os.close(fd)

        def tearDown(self):
                if self.fake:
                        self.fake.stop()
                shutil.rmtree(self.tmp, ignore_errors=True)

        def start_fake(self, table=(), **kw):
                self.fake = Fake(self.tmp, table, **kw)
                # stopped even when a test that starts several fails midway
                self.addCleanup(self.fake.stop)
                return self.fake

        def owned(self, *groups):
                """As after an earlier verified apply: portkeep's ownership
                record (lib/ownership.c) says it applied these groups on the
                fake router, so their entries that the file does not declare
                are portkeep's to change."""
                host = urllib.parse.urlsplit(self.fake.url).netloc
                os.makedirs(self.state, exist_ok=True)
                with open(os.path.join(self.state, host + ".groups"), "w") as f:
                        f.write(RECORD_HEADER + "\n" + "".join("GROUP=%s\n" % g for g in groups))

        def write_config(self, body=VPN_CONFIG, sync="", router_extra="", name="portkeep.yaml",
                         lan_ip="192.168.11.3"):
                text = ("version: 1\nrouter:\n  driver: airstation\n  url: %s\n  password_file: %s\n"
                        "  firmware: %s\n  timeout: 2s\n%sdefaults:\n  lan_ip: %s\n%s%s" % (
                                self.fake.url if self.fake else "http://127.0.0.1:9", self.pwfile,
                                self.family, router_extra, lan_ip, ("sync:\n" + sync) if sync else "",
                                body))
                path = os.path.join(self.tmp, name)
                with open(path, "w") as f:
                        f.write(text)
                self.config = path
                return path

        def portkeep_env(self, env=None):
                e = dict(os.environ)
                e.pop("PORTKEEP_CONFIG", None)
                e.pop("CREDENTIALS_DIRECTORY", None)
                e["RUNTIME_DIRECTORY"] = self.runtime
                e["STATE_DIRECTORY"] = self.state
                e["PORTKEEP_LOCK_TIMEOUT"] = "2"
                e["no_proxy"] = "*"
                if env:
                        e.update(env)
                return e

        def portkeep_argv(self, args, config=None, wrap=()):
                return list(wrap) + [os.path.abspath(PORTKEEP), "-c", config or self.config] + list(args)

        def portkeep(self, *args, config=None, env=None, timeout=60, wrap=()):
                p = subprocess.run(self.portkeep_argv(args, config, wrap), env=self.portkeep_env(env),
                                   capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
                return self.result(args, p.returncode, p.stdout, p.stderr)

        def portkeep_start(self, *args, config=None, env=None):
                """portkeep running in the background; finish it with
                self.portkeep_wait()."""
                p = subprocess.Popen(self.portkeep_argv(args, config), env=self.portkeep_env(env),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                p.args_given = list(args)
                return p

        def portkeep_wait(self, p, timeout=30):
                out, err = p.communicate(timeout=timeout)
                return self.result(p.args_given, p.returncode, out, err)

        def result(self, args, rc, out, err):
                out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
                res = Result(list(args), rc, out, err)
                # Whatever happens, the password is never shown, nor the MD5 the
                # arcadyan login sends in its place.
                self.assertNotIn(PASSWORD, out + err, "the password leaked into the output")
                self.assertNotIn(hashlib.md5(PASSWORD.encode()).hexdigest(), out + err,
                                 "the password's MD5 leaked into the output")
                return res

        def assertExit(self, res, code):
                self.assertEqual(res.rc, code, repr(res))

        def assertTable(self, expected):
                self.assertEqual(canon(self.fake.table()), canon(expected))

        def assertLoggedOut(self):
                self.assertEqual(self.fake.logged_in(), [], "portkeep left its admin session open")


def memory(pid):
        """A process's RSS, PSS and private dirty memory (KiB), from
        /proc/PID/smaps_rollup, and its open descriptors ("fds")."""
        out = {}
        with open("/proc/%d/smaps_rollup" % pid) as f:
                for line in f:
                        k, _, rest = line.partition(":")
                        if k in ("Rss", "Pss", "Private_Dirty"):
                                out[k] = int(rest.split()[0])
        out["fds"] = len(os.listdir("/proc/%d/fd" % pid))
        return out


def main():
        # meson passes the binary as argv[1]; unittest must not see it.
        unittest.main(argv=[sys.argv[0]], verbosity=2)
