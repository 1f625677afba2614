#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Static arcadyan router for test-arcadyan: serves pages/ (by the last path
component; POST /apply_abstract.cgi answers 302 to /Success.htm, as the
evidence says a real one may) and appends every request except
/Success.htm to LOG, one line each:

  METHOD PATH?QUERY | referer=REFERER-PATH | BODY

with the values of _t and _ (milliseconds) shown as <ms>, so that the log
can be compared with expected-*.txt exactly.

  recorder.py PORT_FILE PAGES_DIR LOG"""

import http.server
import os
import re
import sys
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
                pass

        def record(self, body):
                url = urllib.parse.urlsplit(self.path)
                if url.path == "/Success.htm":
                        return
                query = re.sub(r"(^|&)(_t|_)=\d+", r"\1\2=<ms>", url.query)
                ref = urllib.parse.urlsplit(self.headers.get("Referer") or "").path
                line = "%s %s%s | referer=%s | %s\n" % (self.command, url.path, "?" + query if query else "", ref,
                                                        body.decode("latin-1"))
                with open(self.server.log, "a") as f:
                        f.write(line)

        def reply(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def serve(self, body):
                self.record(body)
                path = urllib.parse.urlsplit(self.path).path
                if self.command == "POST" and path == "/apply_abstract.cgi":
                        return self.reply(302, b"", [("Location", "/Success.htm")])
                try:
                        with open(os.path.join(self.server.pages, os.path.basename(path) or "index"), "rb") as f:
                                data = f.read()
                except OSError:
                        return self.reply(404, b"not found", [("Content-Type", "text/html")])
                ctype = "application/javascript" if path.endswith(".js") else "text/html; charset=UTF-8"
                self.reply(200, data, [("Content-Type", ctype)])

        def do_GET(self):
                self.serve(b"")

        def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                self.serve(self.rfile.read(n) if n else b"")


def main():
        port_file, pages, log = sys.argv[1:4]
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        srv.pages, srv.log = pages, log
        with open(port_file + ".tmp", "w") as f:
                f.write("%d\n" % srv.server_address[1])
        os.replace(port_file + ".tmp", port_file)
        srv.serve_forever()


if __name__ == "__main__":
        main()
