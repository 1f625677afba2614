# SPDX-License-Identifier: GPL-2.0-or-later
"""Family B ("nosave_" firmware: WHR-1166DHP/DHP3, WSR-1166DHP3, WSR-1166DHPL2).

Pages, form fields, titles and messages as the public evidence shows them
(fa0311/AirStation-cli AirStationCli/AirStationAPI.py; sanpei3/buffalo-rateup).
Every choice the evidence does not settle is marked "UNKNOWN" here and in
README.md.
"""

from server import (Response, escape, normalize_proto, parse_range, format_range,
                    valid_ipv4, entries_overlap, header_charset, EntryError,
                    split_tcp_udp)

NAME = "nosave"

# Every path, field and message in one place.
LOGIN_PAGE = "/login.html"
INDEX_PAGE = "/index_adv.html"
TABLE_PAGE = "/nat_reg.html"
LOGOUT_PAGE = "/logout.html"

TITLE_REDIRECT = "Redirect Page"
TITLE_WAIT = "しばらくお待ちください。"
TITLE_LOGIN = "ログイン"
TITLE_INDEX = "BUFFALO AirStation"
TITLE_TABLE = "ポート変換"
TITLE_ERROR = "エラー"                                      # UNKNOWN wording

WAN_ROUTER_TEXT = "AirStationのWAN側IPアドレス"             # UNKNOWN wording
PROTO_TEXT = {"tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "all": "全て"}  # UNKNOWN

MSG_BAD_PASSWORD = "パスワードが間違っています。"          # evidenced
MSG_STALE = "セッションが無効です。もう一度操作してください。"  # UNKNOWN wording
MSG_FULL = "これ以上登録できません。登録数の上限に達しています。"  # UNKNOWN wording
MSG_DUPLICATE = "既に登録されているエントリと重複しています。"  # UNKNOWN wording
MSG_NO_ENTRY = "指定されたエントリは存在しません。"        # UNKNOWN wording
MSG_GROUP_EMPTY = "グループ名を入力してください。"
MSG_GROUP_LONG = "グループ名が長すぎます。"
MSG_BAD_WAN = "WAN側IPアドレスの値が不正です。"
MSG_BAD_LAN = "LAN側IPアドレスの値が不正です。"
MSG_BAD_PROTO = "プロトコルの値が不正です。"
MSG_BAD_PROTNUM = "プロトコル番号の値が不正です。"
MSG_BAD_WPORT = "WAN側ポートの値が不正です。"
MSG_BAD_LPORT = "LAN側ポートの値が不正です。"
MSG_BAD_CHARSET = "使用できない文字が含まれています。"

DEFAULT_CONFIG = {
        "charset": "utf-8",        # utf-8 | shift_jis
        "http09": False,           # answer with a bare body (no status line, no headers)
        "session_timeout": 300,    # seconds, sliding (UNKNOWN)
        "max_entries": 32,         # UNKNOWN for nosave
        "group_max_len": 15,       # characters; UNKNOWN for nosave
        "renumber": True,          # row ids are 1..N positions after every change
        "username": "admin",
        "basic_auth": False,       # older WHR-1166DHP: HTTP Basic auth on every page
        "check_login_session_num": True,
}

FAULT_DEFAULTS = {
        "truncate": {"method": "GET", "path": TABLE_PAGE},
        "table_full": {"action": "add"},
        "ack_not_stored": {"action": "add"},
        "refuse": {"action": ["add", "delete"]},
        "wipe": {"count": 1},
}

SECRET_FIELDS = ("nosave_Password",)


def expand_entry(entries):
        """nosave keeps TCP and UDP apart: a JSON 'tcp/udp' entry is stored as
        two rows, tcp then udp."""
        for e in entries:
                if e["wan"].startswith("pppoe") or e.get("stored_as"):
                        raise EntryError("pppoe wans and stored_as are arcadyan's")
        return split_tcp_udp(entries)


def table_set(st):
        pass


def stats(st):
        return {}


def classify(req):
        if req.method == "POST" and req.path == LOGIN_PAGE:
                return "login"
        if req.path == TABLE_PAGE:
                if req.method == "GET":
                        return "read"
                if req.method == "POST":
                        f = req.form or {}
                        if f.get("nosave_del", "") != "":
                                return "delete"
                        if f.get("nosave_add") == "1":
                                return "add"
                        return "post"
        if req.path == LOGOUT_PAGE:
                return "logout"
        return None


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------


def page(st, title, body, head_extra=""):
        cs = header_charset(st.config["charset"])
        return ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n'
                "<html>\n<head>\n"
                '<meta http-equiv="Content-Type" content="text/html; charset=%s">\n'
                "<title>%s</title>\n%s</head>\n<body>\n%s</body>\n</html>\n"
                % (cs, title, head_extra, body))


def session_input(st, req):
        return '<input type="hidden" name="nosave_session_num" value="%d">' % st.new_session_num(req.client)


def red(msg):
        return '<div style="color:red">%s</div>\n' % escape(msg) if msg else ""


def redirect_page(st):
        return Response(page(st, TITLE_REDIRECT,
                             '<script type="text/javascript">top.location.href="/login.html";</script>\n',
                             '<meta http-equiv="refresh" content="0; url=/login.html">\n'))


def wait_page(st, target):
        return Response(page(st, TITLE_WAIT,
                             "<p>設定を反映しています。しばらくお待ちください。</p>\n",
                             '<meta http-equiv="refresh" content="3; url=%s">\n' % target))


def error_page(st, msg, back):
        return Response(page(st, TITLE_ERROR, red(msg) + '<a href="%s">戻る</a>\n' % back))


def login_page(st, req, msg=None):
        body = ('<form id="authform" name="authform" method="post" action="login.html">\n'
                + red(msg)
                + '<table>\n'
                '<tr><th>ユーザー名</th><td><input type="text" name="nosave_Username" value="%s"></td></tr>\n'
                '<tr><th>パスワード</th><td><input type="password" name="nosave_Password" value=""></td></tr>\n'
                '</table>\n'
                '<input type="hidden" name="MobileDevice" value="0">\n'
                '%s\n'
                '<input type="submit" value="ログイン">\n'
                '</form>\n') % (escape(st.config["username"]), session_input(st, req))
        return Response(page(st, TITLE_LOGIN, body))


def index_page(st, req):
        body = ('<h1>BUFFALO AirStation</h1>\n<ul>\n'
                '<li><a href="nat_reg.html">ポート変換</a></li>\n'
                '<li><a href="logout.html">ログアウト</a></li>\n</ul>\n')
        return Response(page(st, TITLE_INDEX, body))


def proto_cell(e):
        p = e["proto"]
        if isinstance(p, int):
                return str(p)
        return PROTO_TEXT[p]


def table_page(st, req, msg=None):
        rows = []
        prev_group = None
        for e in st.entries:
                i = e["id"]
                if e["group"] != prev_group:
                        name = '<span id="id_name%d">%s</span>' % (i, escape(e["group"]))
                else:
                        name = ""
                prev_group = e["group"]
                wan = WAN_ROUTER_TEXT if e["wan"] == "router" else e["wan"]
                wport = e["ports"] or ""
                lport = e["lan_ports"] or wport
                rows.append(
                        "<tr>\n"
                        "<td>%s</td>\n"
                        '<td><span id="id_wan%d">%s</span></td>\n'
                        '<td><span id="id_lanip%d">%s</span></td>\n'
                        '<td><span id="id_proto%d">%s</span></td>\n'
                        '<td><span id="id_wport%d">%s</span></td>\n'
                        '<td><span id="id_lport%d">%s</span></td>\n'
                        '<td><input type="button" value="削除" onclick="delEntry(%d)"></td>\n'
                        "</tr>\n" % (name, i, escape(wan), i, e["lan_ip"], i, proto_cell(e),
                                     i, wport, i, lport, i))
        groups = []
        for e in st.entries:
                if e["group"] not in groups:
                        groups.append(e["group"])
        options = '<option value="-1">新規作成</option>\n' + "".join(
                '<option value="%s">%s</option>\n' % (escape(g), escape(g)) for g in groups)
        body = (red(msg)
                + '<form name="natform" method="post" action="nat_reg.html">\n'
                '<table>\n'
                '<tr><th>グループ</th><td><select name="nosave_grpList">\n%s</select>'
                ' <input type="text" name="nosave_grpName" value=""></td></tr>\n'
                '<tr><th>WAN側IPアドレス</th><td>'
                '<input type="radio" name="nosave_wan" value="wan" checked>AirStationのWAN側IPアドレス '
                '<input type="radio" name="nosave_wan" value="manual">手動設定 '
                '<input type="text" name="nosave_manualIP" value=""></td></tr>\n'
                '<tr><th>プロトコル</th><td>'
                '<input type="radio" name="nosave_proto" value="all">全て '
                '<input type="radio" name="nosave_proto" value="icmp">ICMP '
                '<input type="radio" name="nosave_proto" value="one">任意 '
                '<input type="text" name="nosave_ProtNum" value=""> '
                '<input type="radio" name="nosave_proto" value="tcp/udp" checked>TCP/UDP '
                '<select name="nosave_PortType"><option value="tcp">任意のTCPポート</option>'
                '<option value="udp">任意のUDPポート</option><option value="preset">その他</option></select> '
                '<input type="text" name="nosave_wport" value=""></td></tr>\n'
                '<tr><th>LAN側IPアドレス</th><td><input type="text" name="nosave_lanip" value=""></td></tr>\n'
                '<tr><th>LAN側ポート</th><td><input type="text" name="nosave_lport" value=""></td></tr>\n'
                '</table>\n'
                '<input type="hidden" name="nosave_add" value="0">\n'
                '<input type="hidden" name="nosave_add_tmp" value="0">\n'
                '<input type="hidden" name="nosave_del" value="">\n'
                '<input type="hidden" name="nosave_erritem" value="">\n'
                '<input type="hidden" name="nosave_errcontent" value="">\n'
                '%s\n'
                '<input type="button" value="新規追加" onclick="addEntry()">\n'
                '</form>\n'
                '<table id="natTable">\n'
                '<tr><th>グループ</th><th>WAN側IPアドレス</th><th>LAN側IPアドレス</th>'
                '<th>プロトコル</th><th>WAN側ポート</th><th>LAN側ポート</th><th>操作</th></tr>\n'
                '%s</table>\n') % (options, session_input(st, req), "".join(rows))
        return Response(page(st, TITLE_TABLE, body))


# ---------------------------------------------------------------------------
# Handlers
# ---------------------------------------------------------------------------


def handle(st, req):
        with st.lock:
                return _handle(st, req)


def _handle(st, req):
        p = req.path
        if p == LOGIN_PAGE:
                if req.method == "GET":
                        return login_page(st, req)
                if req.method == "POST":
                        return do_login(st, req)
        if p == LOGOUT_PAGE and req.method == "GET":
                st.logout(req.client)
                return redirect_page(st)
        if p in ("/", "/index.html", INDEX_PAGE) and req.method == "GET":
                if not st.logged_in(req.client):
                        return redirect_page(st)
                return index_page(st, req)
        if p == TABLE_PAGE and req.method in ("GET", "POST"):
                if not st.logged_in(req.client):
                        return redirect_page(st)
                if req.method == "GET":
                        return table_page(st, req)
                return do_table_post(st, req)
        return Response(page(st, "404 Not Found", "<h1>404 Not Found</h1>\n"), status=404)


def do_login(st, req):
        f = req.form or {}
        if st.config.get("check_login_session_num", True) and \
           not st.check_session_num(req.client, f.get("nosave_session_num")):
                return error_page(st, MSG_STALE, "login.html")
        if (req.form_error is None
                        and f.get("nosave_Username") == st.config["username"]
                        and f.get("nosave_Password") == st.password):
                st.login(req.client)
                st.count_event("logins_ok")
                return index_page(st, req)
        st.count_event("logins_failed")
        return login_page(st, req, MSG_BAD_PASSWORD)


def parse_add(st, f):
        """Form -> (entry, None) or (None, message)."""
        # Group: nosave_grpList=-1 means "the name is in nosave_grpName";
        # any other nosave_grpList value is the group name itself (UNKNOWN).
        gl = f.get("nosave_grpList", "-1")
        group = f.get("nosave_grpName", "") if gl == "-1" else gl
        if group == "":
                return None, MSG_GROUP_EMPTY
        if len(group) > int(st.config["group_max_len"]) or any(ord(c) < 0x20 for c in group):
                return None, MSG_GROUP_LONG
        w = f.get("nosave_wan", "wan")
        if w == "wan":
                wan = "router"
        elif w == "manual":
                wan = f.get("nosave_manualIP", "").strip()
                if not valid_ipv4(wan):
                        return None, MSG_BAD_WAN
        else:
                return None, MSG_BAD_WAN
        proto_f = f.get("nosave_proto", "")
        ports = lan_ports = None
        if proto_f == "all":
                proto = "all"
        elif proto_f == "icmp":
                proto = "icmp"
        elif proto_f == "one":
                n = f.get("nosave_ProtNum", "").strip()
                if not n.isdigit() or int(n) > 255:
                        return None, MSG_BAD_PROTNUM
                proto = normalize_proto(int(n))
        elif proto_f == "tcp/udp":
                pt = f.get("nosave_PortType", "")
                if pt not in ("tcp", "udp"):
                        # "preset" picks from a list of named services whose
                        # field is not in the evidence: refused (UNKNOWN).
                        return None, MSG_BAD_PROTO
                proto = pt
                r = parse_range(f.get("nosave_wport", ""))
                if r is None:
                        return None, MSG_BAD_WPORT
                ports = format_range(r)
                lp = f.get("nosave_lport", "").strip()
                if lp:
                        lr = parse_range(lp)
                        if lr is None or (lr[0] != lr[1] and lr[1] - lr[0] != r[1] - r[0]):
                                return None, MSG_BAD_LPORT
                        lan_ports = format_range(lr)
        else:
                return None, MSG_BAD_PROTO
        lan_ip = f.get("nosave_lanip", "").strip()
        if not valid_ipv4(lan_ip):
                return None, MSG_BAD_LAN
        return {"group": group, "proto": proto, "wan": wan, "ports": ports,
                "lan_ip": lan_ip, "lan_ports": lan_ports}, None


def do_table_post(st, req):
        f = req.form or {}
        if not st.check_session_num(req.client, f.get("nosave_session_num")):
                return error_page(st, MSG_STALE, "nat_reg.html")
        if req.form_error:
                return table_page(st, req, MSG_BAD_CHARSET)
        if req.action not in ("add", "delete"):
                return table_page(st, req)
        fault = st.take_fault("refuse", req)
        if fault:
                st.count_event("refused")
                return table_page(st, req, fault.params.get("message", "設定に失敗しました。"))
        if req.action == "delete":
                d = f.get("nosave_del", "").strip()
                if not d.isdigit() or st.find_entry(int(d)) is None:
                        st.count_event("refused")
                        return table_page(st, req, MSG_NO_ENTRY)
                st.delete_entry(int(d))
                st.count_event("deletes")
                return wait_page(st, "nat_reg.html")
        entry, msg = parse_add(st, f)
        if msg is None and any(entries_overlap(entry, old) for old in st.entries):
                msg = MSG_DUPLICATE
        if msg is None and (len(st.entries) >= int(st.config["max_entries"])
                            or st.take_fault("table_full", req)):
                msg = MSG_FULL
        if msg is not None:
                st.count_event("refused")
                return table_page(st, req, msg)
        if st.take_fault("ack_not_stored", req):
                return wait_page(st, "nat_reg.html")
        st.insert_entry(entry)
        st.count_event("adds")
        return wait_page(st, "nat_reg.html")
