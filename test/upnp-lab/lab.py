# SPDX-License-Identifier: GPL-2.0-or-later
"""A UPnP lab: three network namespaces, a real miniupnpd as the router.

    inet  11.0.0.1/24 ---- 11.0.0.2/24 [wan] rtr [lan] 192.168.77.1/24 ---- lan 192.168.77.10/24
                                                                                192.168.77.3/24

- "inet" is a host on the Internet side;
- "rtr" is the router: IPv4 forwarding, an nftables ruleset with the chains
  miniupnpd fills, and Debian's miniupnpd (nftables backend) started directly
  with a config file of the lab's own, in a private mount namespace whose
  /dev/console is /dev/null (in -d mode without /dev/log it writes every
  debug line there, about a millisecond each);
- "lan" holds both the home server's address (.10, where portkeep runs) and
  the VPN router's (.3, where the forwards point).

Nothing is touched outside the namespaces; every exit path tears them down.
The router's WAN address is not in a reserved range, as miniupnpd refuses to
work behind one. Multicast (SSDP) stays inside the namespaces.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time

WAN_CLIENT = "11.0.0.1"
WAN = "11.0.0.2"
LAN_ROUTER = "192.168.77.1"
HOME_SERVER = "192.168.77.10"
VPN_ROUTER = "192.168.77.3"
HTTP_PORT = 5000
ROOT_DESC = "http://%s:%d/rootDesc.xml" % (LAN_ROUTER, HTTP_PORT)

RULESET = """\
table inet filter {
    chain forward {
        type filter hook forward priority 0; policy drop;
        ct state established,related accept
        iifname "%(lan)s" accept
        jump miniupnpd
    }
    chain miniupnpd {
    }
    chain prerouting {
        type nat hook prerouting priority -100; policy accept;
        jump prerouting_miniupnpd
    }
    chain postrouting {
        type nat hook postrouting priority 100; policy accept;
        jump postrouting_miniupnpd
        oifname "%(wan)s" masquerade
    }
    chain prerouting_miniupnpd {
    }
    chain postrouting_miniupnpd {
    }
}
"""

CONFIG = """\
ext_ifname=%(wan)s
listening_ip=%(lan)s
http_port=%(port)d
enable_natpmp=no
enable_upnp=yes
secure_mode=%(secure)s
system_uptime=no
ipv6_disable=yes
uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b
friendly_name=portkeep lab router
upnp_table_name=filter
upnp_nat_table_name=filter
upnp_forward_chain=miniupnpd
upnp_nat_chain=prerouting_miniupnpd
upnp_nat_postrouting_chain=postrouting_miniupnpd
%(lease)s
allow 1-65535 192.168.77.0/24 1-65535
deny 0-65535 0.0.0.0/0 0-65535
"""


class LabError(Exception):
        pass


def can_run():
        """None when the lab can run here, else why not."""
        if os.geteuid() != 0:
                return "not root"
        for tool in ("ip", "nft", "unshare", "upnpc"):
                if not shutil.which(tool):
                        return "%s is not installed" % tool
        if not os.path.exists("/usr/sbin/miniupnpd"):
                return "miniupnpd (Debian: miniupnpd-nftables) is not installed"
        probe = "pkprobe%d" % os.getpid()
        r = subprocess.run(["ip", "netns", "add", probe], capture_output=True)
        if r.returncode != 0:
                return "cannot make a network namespace: %s" % r.stderr.decode(errors="replace").strip()
        subprocess.run(["ip", "netns", "delete", probe], capture_output=True)
        return None


class Lab:
        def __init__(self):
                tag = "%d" % os.getpid()
                self.ns = {k: "pk%s-%s" % (k, tag) for k in ("inet", "rtr", "lan")}
                self.ifs = {"wan": "pkw%s" % tag, "inet": "pki%s" % tag, "lan": "pkl%s" % tag,
                            "host": "pkh%s" % tag}
                self.dir = tempfile.mkdtemp(prefix="portkeep-upnp-lab-")
                self.miniupnpd = None
                self.log = os.path.join(self.dir, "miniupnpd.log")
                self.made = []

        # -- plumbing ------------------------------------------------------

        def run(self, ns, *argv, check=True, timeout=30, input=None):
                cmd = ["ip", "netns", "exec", self.ns[ns]] + list(argv) if ns else list(argv)
                r = subprocess.run(cmd, capture_output=True, timeout=timeout, input=input)
                if check and r.returncode != 0:
                        raise LabError("%s: exit %d: %s" % (" ".join(cmd), r.returncode,
                                                             r.stderr.decode(errors="replace").strip()))
                return r

        def up(self):
                try:
                        self._up()
                except BaseException:
                        self.down()
                        raise
                return self

        def _up(self):
                for ns in self.ns.values():
                        self.run(None, "ip", "netns", "add", ns)
                        self.made.append(ns)
                i = self.ifs
                self.run(None, "ip", "link", "add", i["inet"], "netns", self.ns["inet"], "type", "veth",
                         "peer", "name", i["wan"], "netns", self.ns["rtr"])
                self.run(None, "ip", "link", "add", i["host"], "netns", self.ns["lan"], "type", "veth",
                         "peer", "name", i["lan"], "netns", self.ns["rtr"])
                self.run("inet", "ip", "addr", "add", WAN_CLIENT + "/24", "dev", i["inet"])
                self.run("rtr", "ip", "addr", "add", WAN + "/24", "dev", i["wan"])
                self.run("rtr", "ip", "addr", "add", LAN_ROUTER + "/24", "dev", i["lan"])
                self.run("lan", "ip", "addr", "add", HOME_SERVER + "/24", "dev", i["host"])
                self.run("lan", "ip", "addr", "add", VPN_ROUTER + "/24", "dev", i["host"])
                for ns, dev in (("inet", i["inet"]), ("rtr", i["wan"]), ("rtr", i["lan"]), ("lan", i["host"])):
                        self.run(ns, "ip", "link", "set", dev, "up")
                for ns in self.ns:
                        self.run(ns, "ip", "link", "set", "lo", "up")
                self.run("lan", "ip", "route", "add", "default", "via", LAN_ROUTER)
                # SSDP's multicast leaves by the LAN host's only link
                self.run("lan", "ip", "route", "add", "239.0.0.0/8", "dev", i["host"])
                self.run("rtr", "sysctl", "-qw", "net.ipv4.ip_forward=1")
                self.run("rtr", "nft", "-f", "-", input=(RULESET % {"lan": i["lan"], "wan": i["wan"]}).encode())
                self.start_router()

        def down(self):
                self.stop_router()
                for ns in reversed(self.made):
                        subprocess.run(["ip", "netns", "delete", ns], capture_output=True)
                self.made = []
                shutil.rmtree(self.dir, ignore_errors=True)

        def __enter__(self):
                return self.up()

        def __exit__(self, *exc):
                self.down()

        # -- the router ----------------------------------------------------

        def start_router(self, secure=False, lease_file=True):
                conf = os.path.join(self.dir, "miniupnpd.conf")
                lease = "lease_file=%s" % os.path.join(self.dir, "leases") if lease_file else ""
                with open(conf, "w") as f:
                        f.write(CONFIG % {"wan": self.ifs["wan"], "lan": self.ifs["lan"], "port": HTTP_PORT,
                                          "secure": "yes" if secure else "no", "lease": lease})
                pid = os.path.join(self.dir, "miniupnpd.pid")
                script = "mount --bind /dev/null /dev/console 2>/dev/null; exec /usr/sbin/miniupnpd -d -f %s -P %s" % (
                        conf, pid)
                logf = open(self.log, "ab")
                self.miniupnpd = subprocess.Popen(
                        ["ip", "netns", "exec", self.ns["rtr"], "unshare", "-m", "--propagation", "private",
                         "sh", "-c", script],
                        stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
                logf.close()
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                        if self.miniupnpd.poll() is not None:
                                raise LabError("miniupnpd exited %d: %s" % (self.miniupnpd.returncode, self.log_tail()))
                        r = self.run("lan", "upnpc", "-u", ROOT_DESC, "-s", check=False, timeout=10)
                        if r.returncode == 0 and b"ExternalIPAddress = " + WAN.encode() in r.stdout:
                                return
                        time.sleep(0.1)
                raise LabError("miniupnpd did not answer: %s" % self.log_tail())

        def stop_router(self):
                p, self.miniupnpd = self.miniupnpd, None
                if not p:
                        return
                try:
                        os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                        pass
                try:
                        p.wait(10)
                except subprocess.TimeoutExpired:
                        os.killpg(p.pid, signal.SIGKILL)
                        p.wait(10)

        def reboot_router(self):
                """A router restart as a home router does one: its mappings gone."""
                self.stop_router()
                for chain in ("miniupnpd", "prerouting_miniupnpd", "postrouting_miniupnpd"):
                        self.run("rtr", "nft", "flush", "chain", "inet", "filter", chain)
                try:
                        os.unlink(os.path.join(self.dir, "leases"))
                except FileNotFoundError:
                        pass
                self.start_router(lease_file=False)

        def log_tail(self, n=2000):
                try:
                        with open(self.log, "rb") as f:
                                return f.read()[-n:].decode(errors="replace")
                except OSError:
                        return "(no log)"

        # -- what a user would look at --------------------------------------

        def upnpc(self, *args, check=True):
                """Debian's upnpc, from the LAN host, against the lab router."""
                return self.run("lan", "upnpc", "-u", ROOT_DESC, *args, check=check).stdout.decode(errors="replace")

        def mappings(self):
                """upnpc -l as (proto, external port, lan ip, lan port, description) tuples."""
                out = []
                for line in self.upnpc("-l").splitlines():
                        # " 0 TCP  1723->192.168.77.3:1723  'portkeep:PPTP' '' 604800"
                        parts = line.split()
                        if len(parts) >= 4 and parts[0].isdigit() and parts[1] in ("TCP", "UDP") and "->" in parts[2]:
                                ext, dest = parts[2].split("->")
                                ip, port = dest.rsplit(":", 1)
                                desc = line.split("'")[1] if line.count("'") >= 2 else ""
                                out.append((parts[1], int(ext), ip, int(port), desc))
                return sorted(out)
