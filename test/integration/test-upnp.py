#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The real portkeep binary with driver: upnp against the real miniupnpd, in
the lab of test/upnp-lab/lab.py (three network namespaces made here and torn
down on every exit). portkeep runs on the LAN host; what the router holds
afterwards is read with Debian's upnpc; the data path is checked from the
Internet side. Needs root and network namespaces: exit 77 elsewhere, a
failure under PORTKEEP_TEST_NO_SKIP."""

import os
import re
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "upnp-lab"))
from harness import PORTKEEP, UPNP_BUILT, PortkeepTest, main  # noqa: E402
import lab  # noqa: E402

VPN = lab.VPN_ROUTER
HOME = lab.HOME_SERVER

BODY = """\
groups:
  - name: vpn
    forwards:
      - { proto: tcp, port: 1723 }
      - { proto: udp, port: 500 }
      - { proto: udp, port: 4500 }
  - name: game
    forwards:
      - { proto: tcp/udp, port: 27015-27016, lan_port: 37015-37016 }
"""

EXPECTED = sorted([
        ("TCP", 1723, VPN, 1723, "portkeep:vpn"),
        ("UDP", 500, VPN, 500, "portkeep:vpn"),
        ("UDP", 4500, VPN, 4500, "portkeep:vpn"),
        ("TCP", 27015, VPN, 37015, "portkeep:game"),
        ("TCP", 27016, VPN, 37016, "portkeep:game"),
        ("UDP", 27015, VPN, 37015, "portkeep:game"),
        ("UDP", 27016, VPN, 37016, "portkeep:game"),
])


def skip_or_fail(why):
        print("upnp lab: %s" % why, file=sys.stderr)
        sys.exit(1 if os.environ.get("PORTKEEP_TEST_NO_SKIP") else 77)


class UpnpLab(PortkeepTest):
        @classmethod
        def setUpClass(cls):
                cls.lab = lab.Lab().up()

        @classmethod
        def tearDownClass(cls):
                cls.lab.down()

        def setUp(self):
                super().setUp()
                if self.lab.miniupnpd is None or self.lab.miniupnpd.poll() is not None:
                        self.lab.start_router()
                for proto, port, *_ in self.lab.mappings():
                        self.lab.upnpc("-d", str(port), proto)
                self.assertEqual(self.lab.mappings(), [])

        def write_upnp(self, body=BODY, url=True, sync="", extra=""):
                text = "version: 1\nrouter:\n  driver: upnp\n%s%sdefaults:\n  lan_ip: %s\n%s%s" % (
                        "  url: %s\n" % lab.ROOT_DESC if url else "", extra, VPN,
                        "sync:\n" + sync if sync else "", body)
                self.config = os.path.join(self.tmp, "upnp.yaml")
                with open(self.config, "w") as f:
                        f.write(text)
                return self.config

        def pk(self, *args, **kw):
                return self.portkeep(*args, wrap=["ip", "netns", "exec", self.lab.ns["lan"]], **kw)

        def soap_calls(self, action):
                return self.lab.log_tail(10 ** 9).count("#%s\n" % action)

        def other(self, port, proto="TCP", ip=HOME, desc="someone else", lease=None):
                args = ["-e", desc, "-a", ip, str(port), str(port), proto]
                if lease:
                        args.append(str(lease))
                self.lab.upnpc(*args)

        # -- the cases -----------------------------------------------------

        def test_apply_from_empty_then_in_sync(self):
                self.write_upnp()
                res = self.pk("apply")
                self.assertExit(res, 0)
                self.assertIn("applied 7 changes; verified", res.out)
                self.assertEqual(self.lab.mappings(), EXPECTED)
                adds = self.soap_calls("AddPortMapping")
                res = self.pk("plan")
                self.assertExit(res, 0)
                self.assertIn("in sync", res.out)
                self.assertExit(self.pk("apply"), 0)
                self.assertEqual(self.soap_calls("AddPortMapping"), adds, "a pass in sync sent AddPortMapping")
                show = self.pk("show")
                self.assertExit(show, 0)
                self.assertIn("vpn", show.out)
                self.assertIn("27016", show.out)
                self.assertIn("external address: %s" % lab.WAN, show.out)
                self.assertIn('"external_address":"%s"' % lab.WAN, self.pk("show", "--json").out)

        def test_drift_repaired(self):
                self.write_upnp()
                self.assertExit(self.pk("apply"), 0)
                self.lab.upnpc("-d", "500", "UDP")
                res = self.pk("plan")
                self.assertExit(res, 2)
                self.assertIn("+ vpn", res.out)
                self.assertIn("udp 500", res.out)
                self.assertExit(self.pk("apply"), 0)
                self.assertEqual(self.lab.mappings(), EXPECTED)

        def test_someone_elses_mapping_left_alone(self):
                self.other(8080)
                self.write_upnp()
                res = self.pk("apply")
                self.assertExit(res, 0)
                self.assertIn(("TCP", 8080, HOME, 8080, "someone else"), self.lab.mappings())
                res = self.pk("plan")
                self.assertExit(res, 0)
                self.assertIn("1 unmanaged left alone", res.out)
                self.assertIn("tcp 8080 -> %s:8080" % HOME, res.out)

        def test_removing_a_forward_and_a_group(self):
                self.write_upnp()
                self.assertExit(self.pk("apply"), 0)
                # the router marks portkeep's mappings: a group gone from the
                # file is still found there
                self.write_upnp(BODY.split("  - name: game")[0].replace("      - { proto: udp, port: 4500 }\n", ""))
                res = self.pk("plan")
                self.assertExit(res, 2)
                self.assertEqual(res.out.count("- game"), 4, res.out)
                self.assertEqual(res.out.count("(group game is no longer in the file)"), 4, res.out)
                self.assertIn("- vpn", res.out)
                res = self.pk("apply")
                self.assertExit(res, 0)
                self.assertEqual(self.lab.mappings(), [("TCP", 1723, VPN, 1723, "portkeep:vpn"),
                                                       ("UDP", 500, VPN, 500, "portkeep:vpn")])

        def test_removed_group_counts_toward_max_deletes(self):
                self.write_upnp()
                self.assertExit(self.pk("apply"), 0)
                self.write_upnp(BODY.split("  - name: game")[0], sync="  max_deletes: 2\n")
                res = self.pk("apply")
                self.assertExit(res, 3)
                self.assertIn("max_deletes", res.err + res.out)
                self.assertEqual(self.lab.mappings(), EXPECTED)

        def test_conflict_with_someone_elses_mapping(self):
                self.other(1723)
                self.write_upnp()
                res = self.pk("apply")
                self.assertExit(res, 3)
                self.assertIn("tcp 1723", res.out + res.err)
                self.assertIn(("TCP", 1723, HOME, 1723, "someone else"), self.lab.mappings())

        def test_secure_mode_refusal_explained(self):
                self.lab.stop_router()
                self.lab.start_router(secure=True)
                try:
                        self.write_upnp("groups:\n  - name: vpn\n    forwards:\n      - { proto: tcp, port: 1723 }\n")
                        res = self.pk("apply")
                        self.assertExit(res, 1)
                        self.assertIn("718", res.err)
                        self.assertIn("secure mode", res.err)
                        self.assertIn(HOME, res.err)
                        self.assertEqual(self.lab.mappings(), [])
                        # to the machine portkeep runs on, secure mode maps
                        self.write_upnp("defaults:\n  lan_ip: %s\ngroups:\n  - name: ssh\n    forwards:\n"
                                        "      - { proto: tcp, port: 2222 }\n" % HOME)
                        with open(self.config) as f:
                                text = f.read().replace("defaults:\n  lan_ip: %s\n" % VPN, "", 1)
                        with open(self.config, "w") as f:
                                f.write(text)
                        self.assertExit(self.pk("apply"), 0)
                        self.assertEqual(self.lab.mappings(), [("TCP", 2222, HOME, 2222, "portkeep:ssh")])
                finally:
                        self.lab.stop_router()
                        self.lab.start_router()

        def test_router_reboot_repaired_by_the_daemon(self):
                self.write_upnp(sync="  interval: 1s\n")
                env = dict(os.environ, RUNTIME_DIRECTORY=self.runtime, STATE_DIRECTORY=self.state)
                env.pop("NOTIFY_SOCKET", None)
                daemon = subprocess.Popen(["ip", "netns", "exec", self.lab.ns["lan"], os.path.abspath(PORTKEEP),
                                           "-c", self.config, "run"], env=env, stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                try:
                        self.wait_for(lambda: self.lab.mappings() == EXPECTED, "the daemon's first pass")
                        self.lab.reboot_router()
                        self.assertEqual(self.lab.mappings(), [])
                        self.wait_for(lambda: self.lab.mappings() == EXPECTED, "the pass after the reboot")
                        status = self.pk("status")
                        self.assertExit(status, 0)
                        self.assertIn("external:  %s" % lab.WAN, status.out)
                finally:
                        daemon.send_signal(signal.SIGTERM)
                        _, err = daemon.communicate(timeout=20)
                self.assertEqual(daemon.returncode, 0, err.decode(errors="replace"))
                self.assertIn("applied", err.decode(errors="replace"))

        def wait_for(self, cond, what, timeout=30):
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                        if cond():
                                return
                        time.sleep(0.3)
                self.fail("timed out waiting for %s: %s" % (what, self.lab.mappings()))

        def test_short_lease_renewed(self):
                # granted shorter than portkeep asks for, as a router with a
                # lease limit would: the pass renews it in place
                self.other(1723, ip=VPN, desc="portkeep:vpn", lease=120)
                self.write_upnp("groups:\n  - name: vpn\n    forwards:\n      - { proto: tcp, port: 1723 }\n")
                show = self.pk("show")
                self.assertRegex(show.out, r"1723.*(1m|2m)")
                dels = self.soap_calls("DeletePortMapping")
                res = self.pk("apply")
                self.assertExit(res, 0)
                self.assertIn("renewed", res.err + res.out)
                self.assertEqual(self.soap_calls("DeletePortMapping"), dels, "a renewal deleted the mapping")
                leases = [int(m.group(1)) for m in re.finditer(r"'portkeep:vpn' '[^']*' (\d+)", self.lab.upnpc("-l"))]
                self.assertEqual(len(leases), 1)
                self.assertGreater(leases[0], 3600)
                res = self.pk("plan")
                self.assertExit(res, 0)

        def test_discovery_without_url(self):
                self.write_upnp(url=False, extra="  discovery_timeout: 3s\n")
                res = self.pk("-v", "apply")
                self.assertExit(res, 0)
                self.assertIn("UPnP IGD %s" % lab.ROOT_DESC, res.err)
                self.assertIn("external address %s" % lab.WAN, res.err)
                self.assertEqual(self.lab.mappings(), EXPECTED)
                self.assertTrue(os.path.exists(os.path.join(self.runtime, "upnp-discovered.lock")))

        def test_no_device_answers_discovery(self):
                self.lab.stop_router()
                try:
                        self.write_upnp(url=False, extra="  discovery_timeout: 1s\n")
                        res = self.pk("plan")
                        self.assertExit(res, 1)
                        self.assertIn("router.url", res.err)
                finally:
                        self.lab.start_router()

        def test_data_path_from_the_internet(self):
                self.write_upnp()
                self.assertExit(self.pk("apply"), 0)
                listener = subprocess.Popen(
                        ["ip", "netns", "exec", self.lab.ns["lan"], sys.executable, "-c", LISTENER, VPN],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                try:
                        self.assertEqual(listener.stdout.readline().strip(), b"ready")
                        sender = self.lab.run("inet", sys.executable, "-c", SENDER, lab.WAN, timeout=20)
                        self.assertEqual(sender.stdout.strip(), b"tcp ok")
                        out, err = listener.communicate(timeout=20)
                finally:
                        if listener.poll() is None:
                                listener.kill()
                self.assertEqual(out.split(), [b"tcp:hello-tcp", b"udp:hello-udp"], err)

        def test_export_reads_back_in_sync(self):
                self.other(8080)
                self.write_upnp()
                self.assertExit(self.pk("apply"), 0)
                res = self.pk("export")
                self.assertExit(res, 0)
                self.assertIn("driver: upnp", res.out)
                self.assertIn("- name: vpn", res.out)
                self.assertIn("- name: game", res.out)
                self.assertNotIn("8080", res.out)  # someone else's: not the file's to name
                path = os.path.join(self.tmp, "exported.yaml")
                with open(path, "w") as f:
                        f.write(res.out)
                self.assertExit(self.pk("check", path), 0)
                res = self.pk("plan", config=path)
                self.assertExit(res, 0)
                self.assertIn("in sync", res.out)

        def test_confirm_without_an_answer_restores(self):
                self.other(8080)
                self.write_upnp()
                res = self.pk("apply", "--confirm", "2s")
                self.assertExit(res, 1)
                self.assertIn("restored and verified", res.err)
                self.assertEqual(self.lab.mappings(), [("TCP", 8080, HOME, 8080, "someone else")])
                res = self.pk("apply")
                self.assertExit(res, 0)
                self.assertEqual(len(self.lab.mappings()), len(EXPECTED) + 1)

        def test_gre_refused_by_check(self):
                path = self.write_upnp("groups:\n  - name: pptp\n    preset: pptp\n")
                res = self.pk("check", path)
                self.assertExit(res, 78)
                self.assertIn("proto gre cannot be forwarded by driver upnp", res.err)
                self.assertIn("passthrough", res.err)


# The VPN router: a TCP listener on 1723 and a UDP one on 500, at its address.
LISTENER = r"""
import socket, sys
ip = sys.argv[1]
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind((ip, 1723)); t.listen(1)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((ip, 500))
t.settimeout(15); u.settimeout(15)
print("ready", flush=True)
c, _ = t.accept(); print("tcp:" + c.recv(100).decode(), flush=True); c.sendall(b"ok"); c.close()
data, _ = u.recvfrom(100); print("udp:" + data.decode(), flush=True)
"""

# The Internet side: to the router's WAN address.
SENDER = r"""
import socket, sys, time
wan = sys.argv[1]
c = socket.create_connection((wan, 1723), timeout=10); c.sendall(b"hello-tcp")
print("tcp " + c.recv(10).decode()); c.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(5):
    u.sendto(b"hello-udp", (wan, 500)); time.sleep(0.2)
"""


if __name__ == "__main__":
        why = None if UPNP_BUILT else "this build has no upnp driver (libminiupnpc-dev)"
        why = why or lab.can_run()
        if why:
                skip_or_fail(why)
        main()
