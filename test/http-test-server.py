#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A tiny HTTP server for test-http and test-nosave, on 127.0.0.1.

  http-test-server.py PORT_FILE            the endpoints below
  http-test-server.py PORT_FILE DIRECTORY  GET serves DIRECTORY's files

Writes the port it listens on to PORT_FILE."""

import http.server
import os
import sys
import time

SJIS_PAGE = ('<html><head><title>ポート変換</title></head><body>'
             '<span id="g">グループ名～①</span></body></html>')


class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
                pass

        def reply(self, status, body, ctype="text/html; charset=UTF-8"):
                if isinstance(body, str):
                        body = body.encode("utf-8")
                self.send_response(status)
                if ctype:
                        self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def do_GET(self):
                if self.server.directory:
                        name = os.path.basename(self.path.split("?")[0])
                        try:
                                with open(os.path.join(self.server.directory, name), "rb") as f:
                                        return self.reply(200, f.read(), "text/html")
                        except OSError:
                                return self.reply(404, "no")
                p = self.path
                if p == "/ok":
                        return self.reply(200, "<html><head><title>OK あ</title></head></html>")
                if p == "/404":
                        return self.reply(404, "<html><title>Not Found</title></html>")
                if p == "/500":
                        return self.reply(500, "<html><title>oops</title></html>")
                if p == "/big":
                        return self.reply(200, b"x" * (5 * 1024 * 1024))
                if p == "/slow":
                        time.sleep(3)
                        return self.reply(200, "late")
                if p == "/sjis-header":
                        return self.reply(200, SJIS_PAGE.encode("cp932"), "text/html; charset=Shift_JIS")
                if p == "/sjis-meta":
                        page = SJIS_PAGE.replace(
                                "<head>", '<head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">')
                        return self.reply(200, page.encode("cp932"), "text/html")
                if p == "/eucjp":
                        return self.reply(200, SJIS_PAGE.replace("～①", "").encode("euc_jp"), "text/html; charset=EUC-JP")
                if p == "/http09":
                        self.close_connection = True
                        self.wfile.write("<html><title>zero nine</title></html>".encode())
                        return
                if p == "/redirect-same":
                        return self.redirect(302, "/ok")
                if p == "/redirect-absolute":
                        return self.redirect(302, "http://127.0.0.1:%d/ok" % self.server.server_address[1])
                if p == "/redirect-other":
                        return self.redirect(302, "http://127.0.0.1:1/steal")
                if p == "/redirect-loop":
                        return self.redirect(302, "/redirect-loop")
                if p == "/nul":
                        return self.reply(200, b"<html><title>a\0b</title></html>", "text/html")
                if p == "/big-header":
                        self.send_response(200)
                        self.send_header("X-Padding", "x" * (5 * 1024 * 1024))
                        self.send_header("Content-Length", "2")
                        self.end_headers()
                        self.wfile.write(b"ok")
                        return
                if p == "/referer":
                        return self.reply(200, "<html><title>%s</title></html>" % self.headers.get("Referer", ""))
                return self.reply(404, "no")

        def redirect(self, status, location):
                self.send_response(status)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                if self.path == "/redirect-post":
                        # as a hostile login page would: elsewhere, keeping the form
                        return self.redirect(307, "http://127.0.0.1:1/steal")
                # the raw form body, so that the test sees the bytes sent
                return self.reply(200, "<html><title>%s</title></html>" % body.decode("ascii"))


class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
                pass  # the client hanging up on /big or /slow is the point


def main():
        srv = Server(("127.0.0.1", 0), Handler)
        srv.directory = sys.argv[2] if len(sys.argv) > 2 else None
        tmp = sys.argv[1] + ".tmp"
        with open(tmp, "w") as f:
                f.write("%d\n" % srv.server_address[1])
        os.replace(tmp, sys.argv[1])
        srv.serve_forever()


main()
