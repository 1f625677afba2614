# SPDX-License-Identifier: GPL-2.0-or-later
"""Family C (Arcadyan OEM firmware: WSR-2533DHPL, WSR-2533DHPL2,
WSR-2533DHP3, WSR-3200AX4S, WSR-1166DHP2, WXR-5700AX7S).

What a client sees, as the public evidence shows it (uehaj/buffalo-wifirouter-
control change.sh and monitor.sh; sanpei3/buffalo-rateup buffalo-rateup-2.rb;
the Arcadyan firewall's forwarding_mod; doc/airstation.md "arcadyan"):
spacer-image tokens bound to the page they came from and checked against the
Referer, the MD5 login, cgi/cgi_<page>.js with addCfg lines, apply_abstract.cgi
writing ARC_NAT_PORTMAP_* (indices 0..MaxNum-1), logout. The page name and
the action value are UNCONFIRMED: they come from lib/airstation-arcadyan-names.h,
the same table the C driver uses. Every other choice the evidence does not
settle is marked UNKNOWN here and in README.md.
"""

import base64
import hashlib
import os
import re
import time
import urllib.parse

from server import (Response, escape, parse_range, format_range, valid_ipv4, entries_overlap,
                    normalize_proto, PPPOE_WANS, split_tcp_udp)

NAME = "arcadyan"


def _read_names():
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib",
                            "airstation-arcadyan-names.h")
        names = {}
        with open(path, encoding="utf-8") as f:
                for m in re.finditer(r'^#define\s+(ARCADYAN_\w+)\s+"([^"]*)"', f.read(), re.M):
                        names[m.group(1)] = m.group(2)
        return names


NAMES = _read_names()
PAGE = NAMES["ARCADYAN_PAGE"]        # UNCONFIRMED
ACTION = NAMES["ARCADYAN_ACTION"]    # UNCONFIRMED

LOGIN_PAGE = "/login.html"
LOGIN_CGI = "/login.cgi"
LOGOUT_PAGE = "/logout.html"
LOGOUT_CGI = "/logout.cgi"
APPLY_CGI = "/apply_abstract.cgi"
SUCCESS_PAGE = "/Success.htm"

TOKEN_PREFIX = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
KEY = "ARC_NAT_PORTMAP_"
FIELDS = ("Enable", "GroupName", "PublicIPType", "PublicIP", "PrivateIP", "Proto",
          "PublicPortStart", "PublicPortEnd", "PrivatePortStart", "PrivatePortEnd")

TITLE_OK = "BUFFALO AirStation"      # evidenced (login success)
TITLE_LOGIN = "LOGIN"                # evidenced (logout.cgi answer)
TITLE_ERROR = "ERROR"                # UNKNOWN
TITLE_SUCCESS = "Success"            # UNKNOWN (the page behind the 302)

# Refusals: an error page with the message in <div style="color:red">
# (UNKNOWN: how a real refusal looks; wording invented).
MSG_FULL = "登録数の上限を超えています。"
MSG_DUPLICATE = "既に登録されているエントリと重複しています。"
MSG_GROUP = "グループ名の値が不正です。"
MSG_BAD_VALUE = "入力値が不正です。"
MSG_BAD_REQUEST = "不正なリクエストです。"
# The firmware itself would accept a "both" and then fail to load its whole
# iptables-restore batch (doc/airstation.md); the fake refuses the post, so
# that no test passes with "both" written.
MSG_PROTO = "プロトコルの値が不正です。"
MAX_SLOTS = 32  # the WAN-alias routine scans MAX_FORWARDING_RULES slots

DEFAULT_CONFIG = {
        "charset": "utf-8",
        "http09": False,
        "session_timeout": 300,    # seconds, sliding (UNKNOWN); tokens live this + 30 s
        "max_entries": 32,         # MAX_FORWARDING_RULES
        "group_max_len": 15,       # bytes (16-byte buffer)
        "renumber": True,
        "username": "admin",
        "basic_auth": False,
        "page": PAGE,              # for tests of router.airstation.page/action overrides
        "action": ACTION,
        "proto_style": "number",   # how stored gre/esp show in the js: "number" (47) or "name" (gre)
        "disabled_groups": [],     # entries of these groups show Enable=0
        "log_password_hash": False,  # show pws in /_fake/requests (request-level tests)
}

FAULT_DEFAULTS = {
        "truncate": {"method": "GET", "path": "/cgi/cgi_%s.js" % PAGE},
        "table_full": {"action": "add"},
        "ack_not_stored": {"action": "add"},
        "refuse": {"action": ["add", "delete"]},
        "wipe": {"count": 1},
}

_state = None


def bind(state):
        """Called by __main__ once the state exists (classify needs the table)."""
        global _state
        _state = state


class _Secrets:
        def __iter__(self):
                if _state is not None and _state.config.get("log_password_hash"):
                        return iter(())
                return iter(("pws",))


SECRET_FIELDS = _Secrets()


def expand_entry(entries):
        """tcp/udp is a tcp and a udp entry, as portkeep writes it; one entry
        of Proto "both" when the JSON says stored_as: both (the router's own
        UI made it)."""
        return split_tcp_udp(entries, keep=lambda e: e.get("stored_as") == "both")


# ---------------------------------------------------------------------------
# Slots: the firmware keeps every ARC_NAT_PORTMAP_<i>_* key it was given,
# also past MaxNum; its WAN-alias routine scans all 32 slots and skips only
# those whose Enable is "0" (doc/airstation.md). The fake remembers what a
# post left in the slots past MaxNum, and shows the aliases in its stats.
# ---------------------------------------------------------------------------


def table_set(st):
        st.arc_stale = {}


def wan_aliases(st):
        slots = [entry_values(st, e) for e in st.entries]
        slots += [st.arc_stale.get(i) for i in range(len(slots), MAX_SLOTS)]
        return sorted({v["PublicIP"] for v in slots
                       if v and v.get("Enable") != "0" and v.get("PublicIPType") == "0" and v.get("PublicIP")})


def stats(st):
        return {"wan_aliases": wan_aliases(st)}


def remember_slots(st, form, new_n):
        """After a post storing new_n entries: what each slot past it holds."""
        old = [entry_values(st, e) for e in st.entries]
        for i in range(new_n, MAX_SLOTS):
                posted = {k: form["%s%d_%s" % (KEY, i, k)] for k in FIELDS if "%s%d_%s" % (KEY, i, k) in form}
                if posted:
                        st.arc_stale[i] = posted
                elif i < len(old):
                        st.arc_stale[i] = old[i]  # the keys stay as they were


def page_path(st):
        return "/%s.html" % st.config["page"]


def js_path(st):
        return "/cgi/cgi_%s.js" % st.config["page"]


def classify(req):
        st = _state
        if req.method == "POST" and req.path == LOGIN_CGI:
                return "login"
        if req.path in (LOGOUT_PAGE, LOGOUT_CGI):
                return "logout"
        if st is None:
                return None
        if req.method == "GET" and req.path == js_path(st):
                return "read"
        if req.method == "POST" and req.path == APPLY_CGI:
                n = (req.form or {}).get(KEY + "MaxNum", "")
                if n.isdigit():
                        if int(n) > len(st.entries):
                                return "add"
                        if int(n) < len(st.entries):
                                return "delete"
                return "write"
        return None


# ---------------------------------------------------------------------------
# Tokens: one per (client, page path), new on every page served, good until
# the page is served again or the lifetime ends.
# ---------------------------------------------------------------------------


def _tokens(st):
        if not hasattr(st, "arc_tokens"):
                st.arc_tokens = {}
        return st.arc_tokens


def new_token(st, req, path):
        tok = str(st.rng.randrange(10 ** 9, 10 ** 10))
        _tokens(st).setdefault(req.client, {})[path] = (tok, time.monotonic())
        return tok


def spacer(tok):
        return '<img title=spacer src="%s%s" border=0>' % (
                TOKEN_PREFIX, base64.b64encode(tok.encode()).decode())


def referer_path(req):
        ref = req.headers.get("Referer") or ""
        return urllib.parse.urlsplit(ref).path or None


def check_token(st, req, tok):
        """'ok', 'expired' (tokens cleared) or 'bad': tok must be the token
        served with the page the Referer names."""
        ref = referer_path(req)
        have = _tokens(st).get(req.client, {}).get(ref)
        if have is None or tok is None or tok != have[0]:
                st.count_event("bad_token")
                return "bad"
        if time.monotonic() - have[1] > float(st.config["session_timeout"]) + 30:
                _tokens(st).pop(req.client, None)
                st.count_event("token_expired")
                return "expired"
        return "ok"


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------


def page(title, body):
        return ("<!DOCTYPE html>\n<html>\n<head>\n"
                '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">\n'
                "<title>%s</title>\n</head>\n<body>\n%s</body>\n</html>\n" % (title, body))


def to_login():
        return Response("", status=302, headers=[("Location", LOGIN_PAGE)])


def login_page(st, req):
        body = (spacer(new_token(st, req, LOGIN_PAGE)) + "\n"
                '<form name="login" method="post" action="login.cgi">\n'
                '<input type="text" name="name" value="%s">\n'
                '<input type="password" name="pws" value="">\n'
                '<input type="hidden" name="url" value="/">\n'
                '<input type="hidden" name="mobile" value="0">\n'
                '<input type="hidden" name="httoken" value="">\n'
                "</form>\n" % escape(st.config["username"]))
        return Response(page(TITLE_LOGIN, body))


def index_page(st, req):
        return Response(page(TITLE_OK, spacer(new_token(st, req, "/")) + "\n<h1>BUFFALO AirStation</h1>\n"))


def error_page(msg):
        return Response(page(TITLE_ERROR, '<div style="color:red">%s</div>\n' % escape(msg)))


def settings_page(st, req):
        path = page_path(st)
        body = (spacer(new_token(st, req, path)) + "\n"
                '<script type="text/javascript" src="/cgi/cgi_%s.js"></script>\n'
                "<h1>ポート変換</h1>\n" % escape(st.config["page"]))
        return Response(page(TITLE_OK, body))


def proto_value(st, e):
        p = e["proto"]
        if p == "tcp/udp":
                return "both"  # stored_as: both, made by the router's UI
        if isinstance(p, int):
                if st.config["proto_style"] == "name" and p in (47, 50):
                        return "gre" if p == 47 else "esp"
                return e.get("raw_proto") or str(p)
        return p


def entry_values(st, e):
        ports = parse_range(e["ports"]) if e["ports"] else (0, 0)
        lan = parse_range(e["lan_ports"]) if e["lan_ports"] else (0, 0)
        enabled = e.get("enable", True) and e["group"] not in st.config["disabled_groups"]
        return {
                "Enable": "1" if enabled else "0",
                "GroupName": e["group"],
                "PublicIPType": ("1" if e["wan"] == "router" else
                                 str(2 + PPPOE_WANS.index(e["wan"])) if e["wan"] in PPPOE_WANS else "0"),
                "PublicIP": "" if e["wan"] == "router" or e["wan"] in PPPOE_WANS else e["wan"],
                "PrivateIP": e["lan_ip"],
                "Proto": proto_value(st, e),
                "PublicPortStart": str(ports[0]),
                "PublicPortEnd": str(ports[1]),
                "PrivatePortStart": str(lan[0]),   # 0: same as public
                "PrivatePortEnd": str(lan[1]),
        }


def js_reply(st):
        q = lambda v: urllib.parse.quote(v, safe="")  # noqa: E731
        lines = ['addCfg("pm_max","%sMaxNum","%d");' % (KEY, len(st.entries))]
        for i, e in enumerate(st.entries):
                for k, v in entry_values(st, e).items():
                        lines.append('addCfg("pm_%s%d","%s%d_%s","%s");' % (k.lower(), i, KEY, i, k, q(v)))
        # neighbours a real file would hold (UNKNOWN which): one encrypted
        lines.append('addCfg("lan_ip","ARC_LAN_0_IP4_Addr","192.168.11.1");')
        lines.append('addCfg("wpa_key","ARC_WLAN_0_Key","9f3a0c2e",2);')
        return Response("\n".join(lines) + "\n", content_type="application/javascript")


# ---------------------------------------------------------------------------
# Handlers
# ---------------------------------------------------------------------------


def handle(st, req):
        with st.lock:
                return _handle(st, req)


def _handle(st, req):
        p = req.path
        if p == LOGIN_PAGE and req.method == "GET":
                return login_page(st, req)
        if p == LOGIN_CGI and req.method == "POST":
                return do_login(st, req)
        if p == SUCCESS_PAGE and req.method == "GET":
                return Response(page(TITLE_SUCCESS, "<p>設定を反映しています。</p>\n"))
        protected = (p in ("/", "/index.html", LOGOUT_PAGE, page_path(st)) and req.method == "GET") or \
                (p == js_path(st) and req.method == "GET") or \
                (p in (APPLY_CGI, LOGOUT_CGI) and req.method == "POST")
        if not protected:
                return Response(page("404 Not Found", "<h1>404 Not Found</h1>\n"), status=404)
        if not st.logged_in(req.client):
                _tokens(st).pop(req.client, None)
                return to_login()
        if p in ("/", "/index.html"):
                return index_page(st, req)
        if p == page_path(st):
                return settings_page(st, req)
        if p == LOGOUT_PAGE:
                return Response(page("LOGOUT", spacer(new_token(st, req, LOGOUT_PAGE)) + "\n"))
        if p == js_path(st):
                r = check_token(st, req, req.query.get("_tn"))
                if r == "expired":
                        st.logout(req.client)
                        return to_login()
                if r == "bad":
                        return Response("// bad token\n", status=403, content_type="application/javascript")
                return js_reply(st)
        f = req.form or {}
        r = check_token(st, req, f.get("httoken"))
        if r == "expired":
                st.logout(req.client)
                return to_login()
        if p == LOGOUT_CGI:
                if r == "ok":
                        st.logout(req.client)
                        _tokens(st).pop(req.client, None)
                return login_page(st, req)
        if r == "bad":
                return error_page(MSG_BAD_REQUEST)
        return do_apply(st, req)


def do_login(st, req):
        f = req.form or {}
        tok_ok = check_token(st, req, f.get("httoken")) == "ok"
        want = hashlib.md5(st.password.encode("utf-8")).hexdigest()
        if tok_ok and f.get("name") == st.config["username"] and (f.get("pws") or "").lower() == want:
                st.login(req.client)
                st.count_event("logins_ok")
                return index_page(st, req)
        st.count_event("logins_failed")
        return login_page(st, req)


def parse_list(st, f):
        """The posted list -> (entries, None) or (None, message)."""
        n = f.get(KEY + "MaxNum", "")
        if not n.isdigit():
                return None, MSG_BAD_VALUE
        n = int(n)
        if n > int(st.config["max_entries"]):
                return None, MSG_FULL
        out = []
        for i in range(n):
                v = {}
                for k in FIELDS:
                        key = "%s%d_%s" % (KEY, i, k)
                        if key not in f:
                                return None, MSG_BAD_VALUE
                        v[k] = f[key].strip()
                e, msg = parse_one(st, v)
                if msg:
                        return None, msg
                out.append(e)
        live = [e for e in out if e["enable"]]
        for i, a in enumerate(live):
                for b in live[i + 1:]:
                        if overlap(a, b):
                                return None, MSG_DUPLICATE
        return out, None


def overlap(a, b):
        """Same wan, protocols sharing traffic (both = tcp + udp), WAN port
        ranges overlapping (or no ports)."""
        pa, pb = a["proto"], b["proto"]
        if pa != pb and not ({pa, pb} <= {"tcp", "udp", "tcp/udp"} and "tcp/udp" in (pa, pb)):
                return False
        return entries_overlap(dict(a, proto=0), dict(b, proto=0))


def parse_one(st, v):
        if v["Enable"] not in ("0", "1"):
                return None, MSG_BAD_VALUE
        group = v["GroupName"]
        if not group or len(group.encode("utf-8")) > int(st.config["group_max_len"]) or \
                        any(ord(c) < 0x20 for c in group):
                return None, MSG_GROUP
        if v["PublicIPType"] == "1":
                wan = "router"
        elif v["PublicIPType"] in ("2", "3", "4", "5", "6"):
                wan = PPPOE_WANS[int(v["PublicIPType"]) - 2]
        elif v["PublicIPType"] == "0" and valid_ipv4(v["PublicIP"]):
                wan = v["PublicIP"]
        else:
                return None, MSG_BAD_VALUE
        if not valid_ipv4(v["PrivateIP"]):
                return None, MSG_BAD_VALUE
        raw = v["Proto"]
        ports = lan_ports = None
        if raw == "both":
                return None, MSG_PROTO
        if raw in ("tcp", "udp"):
                proto = raw
                if not (v["PublicPortStart"].isdigit() and v["PublicPortEnd"].isdigit()):
                        return None, MSG_BAD_VALUE
                r = parse_range("%s-%s" % (v["PublicPortStart"], v["PublicPortEnd"]))
                if r is None:
                        return None, MSG_BAD_VALUE
                ports = format_range(r)
                a, b = v["PrivatePortStart"] or "0", v["PrivatePortEnd"] or "0"
                if not (a.isdigit() and b.isdigit()):
                        return None, MSG_BAD_VALUE
                a, b = int(a) or r[0], int(b) or r[1]
                lr = parse_range("%d-%d" % (a, b))
                if lr is None or (lr[1] - lr[0] != 0 and lr[1] - lr[0] != r[1] - r[0]):
                        return None, MSG_BAD_VALUE
                lan_ports = None if lr == r else format_range(lr)
        else:
                # anything else goes to iptables -p: a name it knows or a number
                try:
                        proto = normalize_proto(raw)
                except ValueError:
                        return None, MSG_BAD_VALUE
                if proto in ("tcp", "udp", "tcp/udp"):
                        return None, MSG_BAD_VALUE
                for k in ("PublicPortStart", "PublicPortEnd", "PrivatePortStart", "PrivatePortEnd"):
                        if v[k] not in ("", "0"):
                                return None, MSG_BAD_VALUE
        e = {"group": group, "proto": proto, "wan": wan, "ports": ports, "lan_ip": v["PrivateIP"],
             "lan_ports": lan_ports, "enable": v["Enable"] == "1"}
        if isinstance(proto, int):
                e["raw_proto"] = raw
        return e, None


def do_apply(st, req):
        f = req.form or {}
        if f.get("action") != st.config["action"] or f.get("submit_button") != "%s.html" % st.config["page"]:
                st.count_event("refused")
                return error_page(MSG_BAD_REQUEST)
        if req.action in ("add", "delete"):
                fault = st.take_fault("refuse", req)
                if fault:
                        st.count_event("refused")
                        return error_page(fault.params.get("message", "設定に失敗しました。"))
        entries, msg = parse_list(st, f)
        if msg is None and req.action == "add" and st.take_fault("table_full", req):
                msg = MSG_FULL
        if msg is not None:
                st.count_event("refused")
                if msg == MSG_PROTO:
                        st.count_event("proto_both_refused")
                return error_page(msg)
        if st.take_fault("answer_200", req):
                # stores nothing, and says so with no red text: only the
                # 302 to Success.htm is success
                return Response(page(TITLE_ERROR, "<p>%s</p>\n" % escape("処理中にエラーが発生しました。")))
        if req.action == "add" and st.take_fault("ack_not_stored", req):
                return Response("", status=302, headers=[("Location", SUCCESS_PAGE)])
        remember_slots(st, f, len(entries))
        st.entries = []
        st.next_id = 1
        for e in entries:
                e["id"] = st.next_id
                st.next_id += 1
                st.entries.append(e)
        st.count_event({"add": "adds", "delete": "deletes"}.get(req.action, "writes"))
        return Response("", status=302, headers=[("Location", SUCCESS_PAGE)])
