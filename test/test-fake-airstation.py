#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Self-test of the fake AirStation (test/fake-airstation), nosave family.

Starts the fake on a free port of 127.0.0.1 and drives it over HTTP as a
client of the real router would: the login form, the table page, the add
and delete forms, then every switch of the control API.
"""

import base64
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake-airstation")

SPAN_RE = re.compile(r'<span id="(id_name|id_wan|id_lanip|id_proto|id_wport|id_lport)(\d+)">(.*?)</span>')
NUM_RE = re.compile(r'<input type="hidden" name="nosave_session_num" value="(\d+)">')
TITLE_RE = re.compile(r"<title>(.*?)</title>")
RED_RE = re.compile(r'<div style="color:red">(.*?)</div>')

INITIAL = [
        {"group": "PPTP", "proto": "tcp", "wan": "router", "ports": "1723", "lan_ip": "192.168.11.3", "lan_ports": None},
        {"group": "PPTP", "proto": "gre", "wan": "router", "ports": None, "lan_ip": "192.168.11.3", "lan_ports": None},
        {"group": "web", "proto": "tcp", "wan": "router", "ports": "8443", "lan_ip": "192.168.11.20", "lan_ports": "443"},
]

failures = 0


def check(cond, what):
        global failures
        if cond:
                print("ok - %s" % what)
        else:
                failures += 1
                print("FAIL - %s" % what)


class Fake:
        def __init__(self, tmp, password="s3cret pw"):
                self.tmp = tmp
                table = os.path.join(tmp, "table.json")
                with open(table, "w") as f:
                        json.dump(INITIAL, f)
                pwfile = os.path.join(tmp, "pw")
                with open(pwfile, "w") as f:
                        f.write(password + "\n")
                self.password = password
                portfile = os.path.join(tmp, "port")
                self.proc = subprocess.Popen(
                        [sys.executable, FAKE, "--port", "0", "--port-file", portfile,
                         "--table", table, "--password-file", pwfile],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                deadline = time.monotonic() + 5
                while not os.path.exists(portfile):
                        if time.monotonic() > deadline or self.proc.poll() is not None:
                                raise SystemExit("fake did not start: %s" % self.proc.stderr.read())
                        time.sleep(0.02)
                with open(portfile) as f:
                        self.port = int(f.read())
                self.base = "http://127.0.0.1:%d" % self.port
                self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                self.charset = "utf-8"

        # -- plain HTTP, as a router client ------------------------------------

        def request(self, path, data=None, method=None):
                req = urllib.request.Request(self.base + path, data=data, method=method)
                if data is not None and method is None:
                        req.add_header("Content-Type", "application/x-www-form-urlencoded")
                try:
                        with self.opener.open(req, timeout=5) as r:
                                return r.status, r.headers, r.read()
                except urllib.error.HTTPError as e:
                        return e.code, e.headers, e.read()

        def get(self, path):
                status, headers, body = self.request(path)
                return status, body.decode(self.charset)

        def post(self, path, fields):
                data = urllib.parse.urlencode(fields, encoding=self.charset).encode("ascii")
                status, headers, body = self.request(path, data)
                return status, body.decode(self.charset)

        # -- control API ------------------------------------------------------

        def ctl(self, method, what, obj=None):
                data = json.dumps(obj).encode("utf-8") if obj is not None else None
                req = urllib.request.Request(self.base + "/_fake/" + what, data=data, method=method)
                try:
                        with self.opener.open(req, timeout=5) as r:
                                return json.loads(r.read().decode("utf-8"))
                except urllib.error.HTTPError as e:
                        return {"http_error": e.code, "body": e.read().decode("utf-8")}

        def stop(self):
                self.proc.terminate()
                try:
                        return self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                        self.proc.kill()
                        return None


def title(page):
        m = TITLE_RE.search(page)
        return m.group(1) if m else None


def red(page):
        m = RED_RE.search(page)
        return m.group(1) if m else None


def session_num(page):
        m = NUM_RE.search(page)
        return m.group(1) if m else None


def parse_table(page):
        """Rows as AirStation-cli reads them: group carried forward."""
        rows = {}
        order = []
        for name, num, value in SPAN_RE.findall(page):
                n = int(num)
                if n not in rows:
                        rows[n] = {}
                        order.append(n)
                rows[n][name] = value
        group = None
        out = []
        for n in order:
                r = rows[n]
                group = r.get("id_name", group)
                out.append({"id": n, "group": group, "wan": r["id_wan"], "lanip": r["id_lanip"],
                            "proto": r["id_proto"], "wport": r["id_wport"], "lport": r["id_lport"]})
        return out


def login(fake, password=None):
        _, page = fake.get("/login.html")
        return fake.post("/login.html", {
                "nosave_Username": "admin",
                "nosave_Password": fake.password if password is None else password,
                "MobileDevice": "0",
                "nosave_session_num": session_num(page)})


def add_form(num, group, existing, proto="tcp/udp", porttype="tcp", wport="", lport="",
             lanip="192.168.11.3", protnum="", wan="wan", manual=""):
        f = {"nosave_wan": wan, "nosave_manualIP": manual, "nosave_proto": proto,
             "nosave_ProtNum": protnum, "nosave_PortType": porttype, "nosave_wport": wport,
             "nosave_lport": lport, "nosave_lanip": lanip, "nosave_add": "1", "nosave_add_tmp": "0",
             "nosave_erritem": "", "nosave_errcontent": "", "nosave_session_num": num}
        if existing:
                f.update({"nosave_grpList": "-1", "nosave_grpName": group})
        else:
                f.update({"nosave_grpList": group})
        return f


def add(fake, group, **kw):
        _, page = fake.get("/nat_reg.html")
        existing = any(r["group"] == group for r in parse_table(page))
        return fake.post("/nat_reg.html?timestampt=%d" % int(time.time() * 1000),
                         add_form(session_num(page), group, existing, **kw))


def delete(fake, entry_id, lanip="192.168.11.3"):
        _, page = fake.get("/nat_reg.html")
        return fake.post("/nat_reg.html?timestampt=%d" % int(time.time() * 1000), {
                "nosave_grpList": "-1", "nosave_grpName": "", "nosave_wan": "wan",
                "nosave_proto": "tcp/udp", "nosave_PortType": "tcp", "nosave_wport": "",
                "nosave_lanip": lanip, "nosave_lport": "", "nosave_add_tmp": "0",
                "nosave_del": str(entry_id), "nosave_erritem": "", "nosave_errcontent": "",
                "nosave_session_num": session_num(page)})


def table(fake):
        _, page = fake.get("/nat_reg.html")
        return parse_table(page)


def keys(rows):
        return [(r["group"], r["proto"], r["wport"]) for r in rows]


def test_login(fake):
        _, page = fake.get("/nat_reg.html")
        check(title(page) == "Redirect Page", "not logged in: nat_reg.html is the Redirect Page")
        _, page = fake.get("/index_adv.html")
        check(title(page) == "Redirect Page", "not logged in: index_adv.html is the Redirect Page")

        _, page = login(fake, password="wrong")
        check(red(page) == "パスワードが間違っています。", "wrong password: red message")
        check(session_num(page) is not None, "wrong password: login page again with a session number")
        _, page = fake.get("/index_adv.html")
        check(title(page) == "Redirect Page", "wrong password: still logged out")

        _, p1 = fake.get("/login.html")
        _, p2 = fake.get("/login.html")
        check(session_num(p1) != session_num(p2), "each login page has a new session number")
        _, page = fake.post("/login.html", {"nosave_Username": "admin", "nosave_Password": fake.password,
                                            "MobileDevice": "0", "nosave_session_num": session_num(p1)})
        check(title(page) != "BUFFALO AirStation" and red(page), "stale session number at login is refused")
        _, page = fake.get("/index_adv.html")
        check(title(page) == "Redirect Page", "stale session number: not logged in")

        _, page = login(fake)
        check(red(page) is None and title(page) == "BUFFALO AirStation", "login accepted")
        _, page = fake.get("/index_adv.html")
        check(title(page) != "Redirect Page", "logged in: index_adv.html served")
        check("s3cret" not in fake.ctl("GET", "stats").__repr__(), "password not in stats")
        log = fake.ctl("GET", "requests")
        check(all("s3cret" not in json.dumps(e) for e in log), "password redacted in request log")


def test_read_add_delete(fake):
        rows = table(fake)
        check(keys(rows) == [("PPTP", "TCP", "1723"), ("PPTP", "47", ""), ("web", "TCP", "8443")],
              "table read with group carried forward")
        check([r["id"] for r in rows] == [1, 2, 3], "row ids 1..N")
        check(rows[2]["lport"] == "443" and rows[0]["lport"] == "1723", "lan port shown (same as WAN when empty)")
        check(rows[0]["wan"] == "AirStationのWAN側IPアドレス", "wan cell for the router's own address")

        _, page = add(fake, "PPTP", porttype="udp", wport="1701")
        check(title(page) == "しばらくお待ちください。", "add to existing group acknowledged")
        rows = table(fake)
        check(keys(rows)[:3] == [("PPTP", "TCP", "1723"), ("PPTP", "47", ""), ("PPTP", "UDP", "1701")],
              "added entry kept with its group")
        check(keys(rows)[3] == ("web", "TCP", "8443") and rows[3]["id"] == 4, "following rows renumbered")

        _, page = add(fake, "L2TP", proto="one", protnum="50")
        check(title(page) == "しばらくお待ちください。", "add ESP (proto=one, ProtNum=50) to a new group")
        _, page = add(fake, "L2TP", porttype="udp", wport="60000-60010", lport="", wan="manual",
                      manual="203.0.113.5")
        check(title(page) == "しばらくお待ちください。", "add a port range on a manual WAN address")
        t = fake.ctl("GET", "table")
        check(t[-2]["proto"] == "esp" and t[-2]["ports"] is None and t[-2]["group"] == "L2TP",
              "control API shows ESP as esp")
        check(t[-1]["ports"] == "60000-60010" and t[-1]["wan"] == "203.0.113.5", "range and manual wan stored")
        rows = table(fake)
        check(rows[-1]["wport"] == "60000-60010" and rows[-1]["wan"] == "203.0.113.5", "range shown as lo-hi")

        add(fake, "misc", proto="icmp", lanip="192.168.11.4")
        add(fake, "misc", proto="all", lanip="192.168.11.5")
        rows = table(fake)
        check([(r["proto"], r["wport"], r["lport"]) for r in rows[-2:]] == [("ICMP", "", ""), ("全て", "", "")],
              "icmp and all shown as ICMP and 全て without ports")
        _, page = add(fake, "misc", proto="icmp", lanip="192.168.11.6")
        check(red(page) == "既に登録されているエントリと重複しています。", "second icmp forward refused")

        # Stale session number on a change: the number was consumed already.
        _, page = fake.get("/nat_reg.html")
        num = session_num(page)
        _, page = fake.post("/nat_reg.html?timestampt=1", add_form(num, "X", False, wport="1000"))
        check(title(page) == "しばらくお待ちください。", "add with a fresh number")
        n_before = len(fake.ctl("GET", "table"))
        _, page = fake.post("/nat_reg.html?timestampt=1", add_form(num, "X", False, wport="1001"))
        check(title(page) != "しばらくお待ちください。" and red(page), "reused session number refused")
        check(len(fake.ctl("GET", "table")) == n_before, "reused session number: table unchanged")

        _, page = add(fake, "PPTP", wport="1723")
        check(red(page) == "既に登録されているエントリと重複しています。", "duplicate key refused")
        _, page = add(fake, "PPTP", wport="1724", lanip="192.168.11.300")
        check(red(page) and title(page) != "しばらくお待ちください。", "invalid LAN address refused")
        _, page = add(fake, "PPTP", porttype="tcp/udp", wport="1725")
        check(red(page) is not None, "PortType=tcp/udp refused (nosave keeps TCP and UDP apart)")
        _, page = add(fake, "0123456789abcdef", wport="1726")
        check(red(page) == "グループ名が長すぎます。", "group name longer than 15 refused")

        rows = table(fake)
        victim = [r for r in rows if r["proto"] == "47"][0]
        _, page = delete(fake, victim["id"])
        check(title(page) == "しばらくお待ちください。", "delete acknowledged")
        rows2 = table(fake)
        check(len(rows2) == len(rows) - 1 and all(r["proto"] != "47" for r in rows2), "deleted row gone")
        check([r["id"] for r in rows2] == list(range(1, len(rows2) + 1)), "ids renumbered after delete")
        _, page = delete(fake, 99)
        check(red(page) == "指定されたエントリは存在しません。", "delete of a missing id refused")

        fake.ctl("POST", "config", {"renumber": False})
        rows = table(fake)
        delete(fake, rows[0]["id"])
        ids = [r["id"] for r in table(fake)]
        check(ids == [r["id"] for r in rows[1:]], "renumber off: ids stay stable after a delete")
        fake.ctl("POST", "config", {"renumber": True})

        n = len(fake.ctl("GET", "table"))
        fake.ctl("POST", "config", {"max_entries": n})
        _, page = add(fake, "PPTP", wport="1800")
        check(red(page) == "これ以上登録できません。登録数の上限に達しています。", "table full at max_entries")
        fake.ctl("POST", "config", {"max_entries": 32})

        stats = fake.ctl("GET", "stats")
        check(stats["requests"].get("POST /nat_reg.html", 0) >= 10 and stats["requests"].get("GET /nat_reg.html", 0) >= 10,
              "requests counted per method and path")

        fake.get("/logout.html")
        _, page = fake.get("/nat_reg.html")
        check(title(page) == "Redirect Page", "logout ends the session")

        fake.ctl("POST", "config", {"session_timeout": 1.0})
        login(fake)
        _, page = fake.get("/nat_reg.html")
        check(title(page) == "ポート変換", "session alive before expiry")
        time.sleep(1.1)
        _, page = fake.get("/nat_reg.html")
        check(title(page) == "Redirect Page", "session expires")


def test_shift_jis(fake):
        fake.ctl("POST", "reset")
        fake.ctl("POST", "config", {"charset": "shift_jis"})
        fake.charset = "cp932"
        status, headers, body = fake.request("/login.html")
        check("shift_jis" in headers.get("Content-Type", "").lower(), "Shift_JIS in the Content-Type header")
        check(b'<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">' in body,
              "Shift_JIS meta tag")
        login(fake)
        _, page = add(fake, "VPN用", porttype="udp", wport="500")
        check(title(page) == "しばらくお待ちください。", "add group VPN用 posted as Shift_JIS")
        _, _, body = fake.request("/nat_reg.html")
        check('>VPN用</span>'.encode("cp932") in body, "VPN用 served back as Shift_JIS bytes")
        check(fake.ctl("GET", "table")[-1]["group"] == "VPN用", "VPN用 stored intact")
        rows = table(fake)
        _, page = add(fake, "VPN用", porttype="udp", wport="4500")
        rows2 = table(fake)
        check(len(rows2) == len(rows) + 1 and rows2[-1]["group"] == "VPN用" and "id_name%d" % rows2[-1]["id"] not in
              fake.request("/nat_reg.html")[2].decode("cp932"), "second VPN用 row joins the group")
        fake.ctl("POST", "config", {"charset": "utf-8"})
        fake.charset = "utf-8"
        check(fake.ctl("GET", "table")[-1]["group"] == "VPN用", "VPN用 unchanged after charset switch")


def test_http09(fake):
        fake.ctl("POST", "config", {"http09": True})
        with socket.create_connection(("127.0.0.1", fake.port), timeout=5) as s:
                s.sendall(b"GET /login.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                data = b""
                while True:
                        chunk = s.recv(65536)
                        if not chunk:
                                break
                        data += chunk
        check(data.startswith(b"<!DOCTYPE") and b"HTTP/1." not in data[:20], "HTTP/0.9: bare body, no status line")
        check(b"nosave_session_num" in data and data.rstrip().endswith(b"</html>"), "HTTP/0.9: whole page, then close")
        check(fake.ctl("GET", "config")["http09"] is True, "control API stays plain HTTP in HTTP/0.9 mode")
        fake.ctl("POST", "config", {"http09": False})


def test_faults(fake):
        fake.ctl("POST", "reset")
        login(fake)

        fake.ctl("POST", "fail", {"fault": "http500", "count": 1})
        s1, _ = fake.get("/nat_reg.html")
        s2, _ = fake.get("/nat_reg.html")
        check(s1 == 500 and s2 == 200, "http500 for the next request only")

        fake.ctl("POST", "fail", {"fault": "latency", "ms": 400, "count": 1})
        t0 = time.monotonic()
        fake.get("/nat_reg.html")
        t1 = time.monotonic()
        fake.get("/nat_reg.html")
        t2 = time.monotonic()
        check(t1 - t0 >= 0.4 and t2 - t1 < 0.35, "latency 400 ms once")

        # Threaded: a slow request does not hold up another one.
        fake.ctl("POST", "fail", {"fault": "latency", "ms": 600, "path": "/index_adv.html", "count": 1})
        slow = threading.Thread(target=fake.get, args=("/index_adv.html",))
        t0 = time.monotonic()
        slow.start()
        time.sleep(0.05)
        fake.get("/login.html")
        t1 = time.monotonic()
        slow.join()
        check(t1 - t0 < 0.5 and time.monotonic() - t0 >= 0.6, "threaded: a slow request does not block others")

        fake.ctl("POST", "fail", {"fault": "drop_session", "count": 1})
        _, page = fake.get("/nat_reg.html")
        check(title(page) == "Redirect Page", "drop_session: next request sees the Redirect Page")
        login(fake)

        _, full = fake.get("/nat_reg.html")
        fake.ctl("POST", "fail", {"fault": "truncate", "count": 1})
        status, page = fake.get("/nat_reg.html")
        check(status == 200 and len(page) < len(full) * 0.7 and "</html>" not in page, "truncate: page cut in the middle")
        _, page = fake.get("/index_adv.html")
        check("</html>" in page, "truncate applies to nat_reg.html only")

        fake.ctl("POST", "fail", {"fault": "table_full", "count": 1})
        _, page = add(fake, "PPTP", wport="1900")
        check(red(page) == "これ以上登録できません。登録数の上限に達しています。", "table_full fault refuses the add")
        _, page = add(fake, "PPTP", wport="1900")
        check(title(page) == "しばらくお待ちください。", "table_full fault only once")

        n = len(fake.ctl("GET", "table"))
        fake.ctl("POST", "fail", {"fault": "ack_not_stored", "count": 1})
        _, page = add(fake, "PPTP", wport="1901")
        check(title(page) == "しばらくお待ちください。" and len(fake.ctl("GET", "table")) == n,
              "ack_not_stored: acknowledged, not stored")

        fake.ctl("POST", "fail", {"fault": "refuse", "message": "入力値が不正です。", "action": "delete", "count": 1})
        _, page = delete(fake, 1)
        check(red(page) == "入力値が不正です。" and len(fake.ctl("GET", "table")) == n, "refuse: router message shown")

        fake.ctl("POST", "fail", {"fault": "http500", "path": "/nat_reg.html", "method": "POST", "skip": 1, "count": 1})
        _, page = add(fake, "PPTP", wport="1902")
        status, _ = add(fake, "PPTP", wport="1903")
        check(title(page) == "しばらくお待ちください。" and status == 500, "skip: the second matching request fails")

        fake.ctl("POST", "fail", {"fault": "wipe"})
        _, page = fake.get("/nat_reg.html")
        check(title(page) == "Redirect Page", "wipe: session gone")
        _, page = login(fake)
        check(red(page) == "パスワードが間違っています。", "wipe: old password refused")
        _, page = login(fake, password="password")
        check(red(page) is None, "wipe: default password accepted")
        check(fake.ctl("GET", "table") == [] and table(fake) == [], "wipe: table empty")
        check(fake.ctl("GET", "stats")["password_is_default"], "wipe: stats say default password")

        fake.ctl("POST", "reset")
        login(fake)
        fake.get("/nat_reg.html")
        st = fake.ctl("GET", "stats")
        check(st["requests"] == {"GET /login.html": 1, "POST /login.html": 1, "GET /nat_reg.html": 1}
              and st["total"] == 3, "stats count exactly the router requests, per method and path")
        fake.ctl("POST", "fail", {"fault": "truncate", "mode": "close", "count": 1})
        try:
                fake.request("/nat_reg.html")
                cut = False
        except Exception:
                cut = True
        check(cut, "truncate mode close: the client sees a short read")

        fake.ctl("POST", "config", {"basic_auth": True})
        status, _ = fake.get("/index_adv.html")
        check(status == 401, "basic_auth: 401 without credentials")
        req = urllib.request.Request(fake.base + "/index_adv.html")
        req.add_header("Authorization", "Basic " + base64.b64encode(
                ("admin:" + fake.password).encode()).decode())
        with fake.opener.open(req, timeout=5) as r:
                check(title(r.read().decode()) == "BUFFALO AirStation", "basic_auth: served with credentials")
        fake.ctl("POST", "config", {"basic_auth": False})

        fake.ctl("POST", "logout")
        fake.ctl("POST", "config", {"check_login_session_num": False})
        fake.get("/login.html")
        _, page = fake.post("/login.html", {"nosave_Username": "admin", "nosave_Password": fake.password,
                                            "MobileDevice": "0", "nosave_session_num": ""})
        check(title(page) == "BUFFALO AirStation", "check_login_session_num off: empty number accepted")

        check(fake.ctl("POST", "config", {"charset": "latin1"}).get("http_error") == 400, "bad config value refused")
        check(fake.ctl("POST", "fail", {"fault": "nonsense"}).get("http_error") == 400, "unknown fault refused")
        check(fake.ctl("POST", "fail", {"fault": "http500", "count": 0}).get("http_error") == 400, "count 0 refused")
        fake.ctl("POST", "reset")
        check(len(fake.ctl("GET", "table")) == 3 and fake.ctl("GET", "fail")["faults"] == [],
              "reset restores the initial table and clears faults")
        r = fake.ctl("PUT", "table", [{"group": "A", "proto": "tcp/udp", "ports": "53", "lan_ip": "192.168.11.2"}])
        check([e["proto"] for e in r] == ["tcp", "udp"], "PUT table: tcp/udp stored as two rows")
        check(fake.ctl("PUT", "table", [{"group": "A", "proto": "gre", "ports": "1", "lan_ip": "192.168.11.2"}])
              .get("http_error") == 400, "PUT table: ports on GRE refused")


def main():
        with tempfile.TemporaryDirectory() as tmp:
                fake = Fake(tmp)
                try:
                        test_login(fake)
                        test_read_add_delete(fake)
                        test_shift_jis(fake)
                        test_http09(fake)
                        test_faults(fake)
                finally:
                        rc = fake.stop()
                        out, err = fake.proc.communicate()
                check(rc == 0, "SIGTERM: clean exit")
                check(b"s3cret" not in out + err, "password never printed")
        print("%d failure(s)" % failures)
        return 1 if failures else 0


if __name__ == "__main__":
        sys.exit(main())
