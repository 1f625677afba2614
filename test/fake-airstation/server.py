# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared core of the fake Buffalo AirStation.

HTTP (threaded, 127.0.0.1 only), sessions per client address, the control
API under /_fake/, fault injection, request counting and table storage.
Everything a firmware family shows to a client (pages, form fields,
messages) lives in the family module (nosave.py, ...).

Standard library only.
"""

import base64
import copy
import html
import http.server
import ipaddress
import json
import random
import re
import threading
import time
import urllib.parse

CONTROL_PREFIX = "/_fake/"
DEFAULT_PASSWORD = "password"

# ---------------------------------------------------------------------------
# Table entries (the JSON format of --table and /_fake/table)
# ---------------------------------------------------------------------------

PORT_PROTOS = ("tcp", "udp", "tcp/udp")
NAMED_PROTOS = ("tcp", "udp", "tcp/udp", "icmp", "all")
PROTO_NUMBERS = {"gre": 47, "esp": 50}
NUMBER_NAMES = {v: k for k, v in PROTO_NUMBERS.items()}
PPPOE_WANS = tuple("pppoe%d" % i for i in range(5))


class EntryError(ValueError):
        pass


_RANGE_RE = re.compile(r"^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$")


def parse_range(text):
        """'1723' -> (1723, 1723); '60000-60010' -> (60000, 60010); None if invalid."""
        m = _RANGE_RE.match(text or "")
        if not m:
                return None
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) is not None else lo
        if not (1 <= lo <= hi <= 65535):
                return None
        return (lo, hi)


def format_range(r):
        return str(r[0]) if r[0] == r[1] else "%d-%d" % r


def valid_ipv4(text):
        try:
                ipaddress.IPv4Address(text)
        except (ipaddress.AddressValueError, ValueError):
                return False
        return True


def normalize_proto(p):
        """Canonical proto: 'tcp'|'udp'|'tcp/udp'|'icmp'|'all' or an int 0..255."""
        if isinstance(p, bool):
                raise EntryError("invalid proto %r" % (p,))
        if isinstance(p, int):
                if 0 <= p <= 255:
                        return p
                raise EntryError("invalid proto %r" % (p,))
        if isinstance(p, str):
                s = p.strip().lower()
                if s in NAMED_PROTOS:
                        return s
                if s in PROTO_NUMBERS:
                        return PROTO_NUMBERS[s]
                if s.isdigit() and 0 <= int(s) <= 255:
                        return int(s)
        raise EntryError("invalid proto %r" % (p,))


def normalize_entry(d):
        """Validate one JSON entry; returns a list of stored entries.

        'tcp/udp' becomes two entries (tcp, then udp) when the family stores
        TCP and UDP separately (nosave does); see split_tcpudp."""
        if not isinstance(d, dict):
                raise EntryError("entry is not an object")
        unknown = set(d) - {"id", "group", "proto", "wan", "ports", "lan_ip", "lan_ports", "stored_as"}
        if unknown:
                raise EntryError("unknown keys %s" % sorted(unknown))
        group = d.get("group", "")
        if not isinstance(group, str):
                raise EntryError("group must be a string")
        proto = normalize_proto(d.get("proto"))
        wan = d.get("wan", "router")
        # pppoe0 .. pppoe4: an arcadyan entry on a PPPoE session's address
        if wan != "router" and wan not in PPPOE_WANS and not (isinstance(wan, str) and valid_ipv4(wan)):
                raise EntryError("invalid wan %r" % (wan,))
        lan_ip = d.get("lan_ip")
        if not (isinstance(lan_ip, str) and valid_ipv4(lan_ip)):
                raise EntryError("invalid lan_ip %r" % (lan_ip,))
        ports = d.get("ports")
        lan_ports = d.get("lan_ports")
        if isinstance(ports, int):
                ports = str(ports)
        if isinstance(lan_ports, int):
                lan_ports = str(lan_ports)
        if proto in PORT_PROTOS:
                r = parse_range(ports) if isinstance(ports, str) else None
                if r is None:
                        raise EntryError("invalid ports %r for %s" % (ports, proto))
                ports = format_range(r)
                if lan_ports is not None:
                        lr = parse_range(lan_ports) if isinstance(lan_ports, str) else None
                        if lr is None or (lr[1] - lr[0] != 0 and lr[1] - lr[0] != r[1] - r[0]):
                                raise EntryError("invalid lan_ports %r" % (lan_ports,))
                        lan_ports = format_range(lr)
        else:
                if ports is not None or lan_ports is not None:
                        raise EntryError("proto %s takes no ports" % (proto,))
        stored_as = d.get("stored_as")
        if stored_as not in (None, "both") or (stored_as and proto != "tcp/udp"):
                raise EntryError("stored_as is 'both', for a tcp/udp entry only")
        e = {"group": group, "proto": proto, "wan": wan, "ports": ports,
             "lan_ip": lan_ip, "lan_ports": lan_ports}
        if stored_as:
                e["stored_as"] = stored_as
        return [e]


def split_tcp_udp(entries, keep=lambda e: False):
        """A JSON 'tcp/udp' entry as the AirStations store it: a tcp row, then
        a udp row (unless keep(e) says it stays one entry)."""
        out = []
        for e in entries:
                if e["proto"] == "tcp/udp" and not keep(e):
                        out += [dict(e, proto="tcp"), dict(e, proto="udp")]
                else:
                        out.append(e)
        return out


def entry_to_json(e):
        out = {k: e[k] for k in ("group", "proto", "wan", "ports", "lan_ip", "lan_ports")}
        if isinstance(out["proto"], int) and out["proto"] in NUMBER_NAMES:
                out["proto"] = NUMBER_NAMES[out["proto"]]
        out["id"] = e["id"]
        if e.get("stored_as"):
                out["stored_as"] = e["stored_as"]
        return out


def entries_overlap(a, b):
        """Same natural key (proto, wan, wan port range), ranges overlapping."""
        if a["proto"] != b["proto"] or a["wan"] != b["wan"]:
                return False
        if a["ports"] is None or b["ports"] is None:
                return True
        ra, rb = parse_range(a["ports"]), parse_range(b["ports"])
        return ra[0] <= rb[1] and rb[0] <= ra[1]


# ---------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------

FAULT_KINDS = ("http500", "latency", "drop_session", "truncate", "table_full",
               "wipe", "ack_not_stored", "refuse", "answer_200", "redirect")


class Fault:
        def __init__(self, spec, defaults):
                if not isinstance(spec, dict):
                        raise ValueError("fault must be an object")
                kind = spec.get("fault") or spec.get("kind")
                if kind not in FAULT_KINDS:
                        raise ValueError("unknown fault %r (known: %s)" % (kind, ", ".join(FAULT_KINDS)))
                self.kind = kind
                d = dict(defaults.get(kind, {}))
                d.update({k: v for k, v in spec.items() if k not in ("fault", "kind")})
                self.method = d.get("method")
                self.path = d.get("path")
                action = d.get("action")
                self.actions = [action] if isinstance(action, str) else action
                try:
                        self.count = None if d.get("count") is None else int(d["count"])
                        self.skip = int(d.get("skip") or 0)
                except (TypeError, ValueError):
                        raise ValueError("count and skip must be numbers")
                if (self.count is not None and self.count < 1) or self.skip < 0:
                        raise ValueError("count must be >= 1 and skip >= 0")
                if self.actions is not None and not isinstance(self.actions, list):
                        raise ValueError("action must be a string or a list")
                self.params = d
                self.hits = 0

        def matches(self, req):
                if self.method and self.method.upper() != req.method:
                        return False
                if self.path and self.path != req.path:
                        return False
                if self.actions and req.action not in self.actions:
                        return False
                return True

        def describe(self):
                d = dict(self.params)
                d["fault"] = self.kind
                d["count"] = self.count
                d["hits"] = self.hits
                return d


# ---------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------


class Request:
        def __init__(self, method, path, query, form, client, headers, raw_body):
                self.method = method
                self.path = path
                self.query = query
                self.form = form
                self.client = client
                self.headers = headers
                self.raw_body = raw_body
                self.action = None
                self.form_error = None


class Response:
        def __init__(self, body, status=200, headers=None, content_type="text/html"):
                self.body = body            # str (encoded with the page charset) or bytes
                self.status = status
                self.headers = headers or []
                self.content_type = content_type
                self.truncate = None        # None | "short" | "close"


class State:
        def __init__(self, family, config, table=None, password=DEFAULT_PASSWORD):
                self.lock = threading.RLock()
                self.family = family
                self.config = dict(family.DEFAULT_CONFIG)
                self.config.update({k: v for k, v in config.items() if v is not None})
                self.initial_config = dict(self.config)
                self.initial_password = password
                self.initial_table = copy.deepcopy(table or [])
                self.rng = random.SystemRandom()
                self.reset()

        # -- lifecycle -------------------------------------------------------

        def reset(self):
                with self.lock:
                        self.config = dict(self.initial_config)
                        self.password = self.initial_password
                        self.entries = []
                        self.next_id = 1
                        self.set_table(self.initial_table)
                        self.sessions = {}        # client address -> expiry (monotonic)
                        self.session_nums = {}    # client address -> last issued number
                        self.faults = []
                        self.stats = {}
                        self.events = {}
                        self.request_log = []

        def wipe(self):
                """Factory reset: empty table, default password, nobody logged in."""
                with self.lock:
                        self.entries = []
                        self.next_id = 1
                        self.password = DEFAULT_PASSWORD
                        self.sessions.clear()
                        self.session_nums.clear()
                        self.count_event("wipes")

        # -- table -----------------------------------------------------------

        def set_table(self, items):
                """The table as the router's own UI would leave it (family
                storage applied); the family's slot memory starts afresh."""
                if isinstance(items, dict) and "entries" in items:
                        items = items["entries"]
                if not isinstance(items, list):
                        raise EntryError("table must be a list of entries")
                new = []
                for d in items:
                        new.extend(self.family.expand_entry(normalize_entry(d)))
                with self.lock:
                        self.entries = []
                        self.next_id = 1
                        for e in new:
                                self.insert_entry(e, check=False)
                        self.family.table_set(self)

        def renumber(self):
                if self.config.get("renumber", True):
                        for i, e in enumerate(self.entries, 1):
                                e["id"] = i
                        self.next_id = len(self.entries) + 1

        def insert_entry(self, e, check=True):
                """Insert keeping entries of one group together (after the group's
                last row; a new group goes to the end). Returns the stored entry."""
                e = dict(e)
                e["id"] = self.next_id
                self.next_id += 1
                pos = len(self.entries)
                for i, old in enumerate(self.entries):
                        if old["group"] == e["group"]:
                                pos = i + 1
                self.entries.insert(pos, e)
                self.renumber()
                return e

        def find_entry(self, entry_id):
                for e in self.entries:
                        if e["id"] == entry_id:
                                return e
                return None

        def delete_entry(self, entry_id):
                e = self.find_entry(entry_id)
                if e is None:
                        return None
                self.entries.remove(e)
                self.renumber()
                return e

        def table_json(self):
                with self.lock:
                        return [entry_to_json(e) for e in self.entries]

        # -- sessions --------------------------------------------------------

        def logged_in(self, client):
                with self.lock:
                        exp = self.sessions.get(client)
                        now = time.monotonic()
                        if exp is None or exp <= now:
                                self.sessions.pop(client, None)
                                return False
                        # Sliding expiry: every authenticated request extends it.
                        self.sessions[client] = now + float(self.config["session_timeout"])
                        return True

        def login(self, client):
                with self.lock:
                        self.sessions[client] = time.monotonic() + float(self.config["session_timeout"])

        def logout(self, client):
                with self.lock:
                        self.sessions.pop(client, None)

        def new_session_num(self, client):
                with self.lock:
                        n = self.rng.randrange(100000000, 1000000000)
                        self.session_nums[client] = n
                        return n

        def check_session_num(self, client, value):
                """True if value is the number last served to this client.
                A number is good for one POST."""
                with self.lock:
                        want = self.session_nums.pop(client, None)
                        ok = want is not None and value is not None and value.strip() == str(want)
                        if not ok:
                                self.count_event("stale_session_num")
                        return ok

        # -- faults ----------------------------------------------------------

        def add_fault(self, spec):
                f = Fault(spec, self.family.FAULT_DEFAULTS)
                with self.lock:
                        if f.kind == "wipe" and spec.get("now"):
                                self.wipe()
                                return
                        self.faults.append(f)

        def take_fault(self, kind, req):
                """The first active fault of this kind matching req, consumed once."""
                with self.lock:
                        for f in self.faults:
                                if f.kind != kind or not f.matches(req):
                                        continue
                                if f.skip > 0:
                                        f.skip -= 1
                                        continue
                                f.hits += 1
                                if f.count is not None:
                                        f.count -= 1
                                        if f.count <= 0:
                                                self.faults.remove(f)
                                self.count_event("fault_" + kind)
                                return f
                        return None

        # -- stats -----------------------------------------------------------

        def count_request(self, req):
                with self.lock:
                        key = "%s %s" % (req.method, req.path)
                        self.stats[key] = self.stats.get(key, 0) + 1
                        form = dict(req.form) if req.form is not None else None
                        if form:
                                for k in self.family.SECRET_FIELDS:
                                        if k in form:
                                                form[k] = "<redacted>"
                        self.request_log.append({
                                "method": req.method, "path": req.path,
                                "query": req.query, "form": form, "action": req.action,
                                "headers": {k: v for k, v in req.headers.items()
                                            if k.lower() in ("referer", "content-type", "cookie")},
                        })
                        if len(self.request_log) > 1000:
                                del self.request_log[0]

        def count_event(self, name):
                with self.lock:
                        self.events[name] = self.events.get(name, 0) + 1

        def stats_json(self):
                with self.lock:
                        return {
                                "requests": dict(self.stats),
                                "total": sum(self.stats.values()),
                                "events": dict(self.events),
                                "entries": len(self.entries),
                                "logged_in": sorted(c for c in self.sessions
                                                    if self.sessions[c] > time.monotonic()),
                                "password_is_default": self.password == DEFAULT_PASSWORD,
                                **self.family.stats(self),
                        }


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------


def check_config(key, value):
        """Raise ValueError if value does not suit the setting."""
        if key == "charset":
                if not isinstance(value, str) or value.lower().replace("-", "_") not in (
                                "utf_8", "utf8", "shift_jis", "sjis", "cp932", "windows_31j"):
                        raise ValueError("charset must be utf-8 or shift_jis")
        elif key in ("http09", "renumber", "basic_auth", "check_login_session_num", "one_write"):
                if not isinstance(value, bool):
                        raise ValueError("%s must be true or false" % key)
        elif key in ("session_timeout", "max_entries", "group_max_len"):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                        raise ValueError("%s must be a number >= 0" % key)
        elif key == "username":
                if not isinstance(value, str):
                        raise ValueError("username must be a string")


def parse_form(raw, charset):
        """application/x-www-form-urlencoded -> dict of str, percent-decoded
        bytes decoded with charset. Raises UnicodeDecodeError on bad bytes."""
        out = {}
        if not raw:
                return out
        for part in raw.split(b"&"):
                if not part:
                        continue
                k, _, v = part.partition(b"=")
                k = urllib.parse.unquote_to_bytes(k.replace(b"+", b" ")).decode(charset)
                v = urllib.parse.unquote_to_bytes(v.replace(b"+", b" ")).decode(charset)
                out[k] = v
        return out


def python_charset(name):
        n = name.lower().replace("-", "_")
        if n in ("shift_jis", "sjis", "cp932", "windows_31j"):
                return "cp932"
        return "utf-8"


def header_charset(name):
        return "Shift_JIS" if python_charset(name) == "cp932" else "UTF-8"


class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "httpd"
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
                if self.server.verbose:
                        super().log_message(fmt, *args)

        @property
        def state(self):
                return self.server.state

        def do_GET(self):
                self.dispatch("GET")

        def do_POST(self):
                self.dispatch("POST")

        def do_PUT(self):
                self.dispatch("PUT")

        def do_DELETE(self):
                self.dispatch("DELETE")

        def handle_expect_100(self):
                # A bare-body (HTTP/0.9 mode) router sends no interim response.
                with self.state.lock:
                        if self.state.config.get("http09"):
                                return True
                return super().handle_expect_100()

        def read_body(self):
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n > 0 else b""

        def dispatch(self, method):
                url = urllib.parse.urlsplit(self.path)
                path = url.path
                raw = self.read_body()
                if path.startswith(CONTROL_PREFIX):
                        return self.control(method, path[len(CONTROL_PREFIX):], raw)
                st = self.state
                with st.lock:
                        charset = python_charset(st.config["charset"])
                query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
                form = None
                form_error = None
                if method == "POST":
                        try:
                                form = parse_form(raw, charset)
                        except UnicodeDecodeError:
                                form = {}
                                form_error = "charset"
                req = Request(method, path, query, form, self.client_address[0], self.headers, raw)
                req.form_error = form_error
                req.action = st.family.classify(req)
                st.count_request(req)

                # latency: before handling the request (default), or with
                # "after": true once it is handled (the change is made, the
                # reply is slow)
                f = st.take_fault("latency", req)
                slow_reply = f if f and f.params.get("after") else None
                if f and not slow_reply:
                        time.sleep(float(f.params.get("ms", 1000)) / 1000.0)
                if st.take_fault("wipe", req):
                        st.wipe()
                if st.take_fault("drop_session", req):
                        st.logout(req.client)
                if st.take_fault("http500", req):
                        return self.send(Response("<html><body>500 Internal Server Error</body></html>",
                                                  status=500), charset, http09=False)
                f = st.take_fault("redirect", req)
                if f:
                        # as a hostile or hijacked router would: elsewhere
                        r = Response("", status=int(f.params.get("status", 302)),
                                     headers=[("Location", str(f.params.get("to", "/")))])
                        return self.send(r, charset, http09=False)
                if st.config.get("basic_auth") and not self.basic_auth_ok():
                        r = Response("<html><body>401 Unauthorized</body></html>", status=401,
                                     headers=[("WWW-Authenticate", 'Basic realm="AirStation"')])
                        return self.send(r, charset, http09=False)

                resp = st.family.handle(st, req)
                if slow_reply:
                        time.sleep(float(slow_reply.params.get("ms", 1000)) / 1000.0)
                f = st.take_fault("truncate", req)
                if f:
                        resp.truncate = f.params.get("mode", "short")
                with st.lock:
                        http09 = bool(st.config.get("http09"))
                self.send(resp, charset, http09)

        def basic_auth_ok(self):
                h = self.headers.get("Authorization") or ""
                if not h.startswith("Basic "):
                        return False
                try:
                        user, _, pw = base64.b64decode(h[6:]).decode("utf-8").partition(":")
                except (ValueError, UnicodeDecodeError):
                        return False
                with self.state.lock:
                        return user == self.state.config["username"] and pw == self.state.password

        def send(self, resp, charset, http09):
                body = resp.body
                if isinstance(body, str):
                        body = body.encode(charset, errors="xmlcharrefreplace")
                full_len = len(body)
                if resp.truncate:
                        body = body[:full_len // 2]
                if http09:
                        # HTTP/0.9 style: the bare body, then close.
                        self.close_connection = True
                        self.wfile.write(body)
                        self.wfile.flush()
                        return
                self.send_response(resp.status)
                ctype = resp.content_type
                if ctype.startswith("text/"):
                        ctype += "; charset=" + (header_charset(self.state.config["charset"])
                                                 if charset != "utf-8" else "UTF-8")
                self.send_header("Content-Type", ctype)
                for k, v in resp.headers:
                        self.send_header(k, v)
                self.send_header("Cache-Control", "no-cache")
                if resp.truncate == "close":
                        self.send_header("Content-Length", str(full_len))
                        self.close_connection = True
                else:
                        self.send_header("Content-Length", str(len(body)))
                if self.state.config.get("one_write"):
                        # headers and body in one write(), as some httpds do
                        self._headers_buffer.append(b"\r\n")
                        data = b"".join(self._headers_buffer) + body
                        self._headers_buffer = []
                        self.wfile.write(data)
                else:
                        # two writes, as Python's http.server and many
                        # embedded httpds do
                        self.end_headers()
                        self.wfile.write(body)
                self.wfile.flush()

        # -- control API -----------------------------------------------------

        def control_reply(self, obj, status=200):
                body = (json.dumps(obj, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def control(self, method, what, raw):
                st = self.state
                try:
                        data = json.loads(raw.decode("utf-8")) if raw.strip() else None
                except (ValueError, UnicodeDecodeError) as e:
                        return self.control_reply({"error": "bad JSON: %s" % e}, 400)
                try:
                        if what == "table" and method == "GET":
                                return self.control_reply(st.table_json())
                        if what == "table" and method == "PUT":
                                st.set_table(data if data is not None else [])
                                return self.control_reply(st.table_json())
                        if what == "fail" and method == "POST":
                                specs = data if isinstance(data, list) else [data]
                                for s in specs:
                                        st.add_fault(s)
                                return self.control_reply({"faults": [f.describe() for f in st.faults]})
                        if what == "fail" and method == "GET":
                                return self.control_reply({"faults": [f.describe() for f in st.faults]})
                        if what == "fail" and method == "DELETE":
                                with st.lock:
                                        st.faults = []
                                return self.control_reply({"faults": []})
                        if what == "stats" and method == "GET":
                                return self.control_reply(st.stats_json())
                        if what == "requests" and method == "GET":
                                with st.lock:
                                        return self.control_reply(list(st.request_log))
                        if what == "reset" and method == "POST":
                                st.reset()
                                return self.control_reply({"ok": True})
                        if what == "logout" and method == "POST":
                                with st.lock:
                                        st.sessions.clear()
                                return self.control_reply({"ok": True})
                        if what == "config" and method == "GET":
                                with st.lock:
                                        return self.control_reply(dict(st.config))
                        if what == "config" and method == "POST":
                                if not isinstance(data, dict):
                                        raise ValueError("config must be an object")
                                for k, v in data.items():
                                        if k not in st.config:
                                                raise ValueError("unknown config key %r" % k)
                                        check_config(k, v)
                                with st.lock:
                                        st.config.update(data)
                                        st.renumber()
                                        return self.control_reply(dict(st.config))
                except (ValueError, EntryError) as e:
                        return self.control_reply({"error": str(e)}, 400)
                return self.control_reply({"error": "no such control endpoint"}, 404)


class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True
        allow_reuse_address = True

        def __init__(self, state, port=0, verbose=False):
                self.state = state
                self.verbose = verbose
                super().__init__(("127.0.0.1", port), Handler)


def escape(s):
        return html.escape(s, quote=True)
