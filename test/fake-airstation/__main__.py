# SPDX-License-Identifier: GPL-2.0-or-later
"""Fake Buffalo AirStation for portkeep's tests.

Run: python3 test/fake-airstation [--port 0 --port-file FILE] [--table FILE] ...
See README.md beside this file.
"""

import argparse
import json
import os
import signal
import sys
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import server  # noqa: E402

FAMILIES = ("nosave", "arcadyan")


def load_family(name):
        if name == "nosave":
                import nosave
                return nosave
        if name == "arcadyan":
                import arcadyan
                return arcadyan
        raise SystemExit("fake-airstation: unknown family %r" % name)


def main(argv=None):
        ap = argparse.ArgumentParser(prog="fake-airstation", description="Fake Buffalo AirStation web UI")
        ap.add_argument("--family", default="nosave", choices=FAMILIES)
        ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: a free one)")
        ap.add_argument("--port-file", help="write the port number to this file once listening")
        ap.add_argument("--table", help="initial table, a JSON file")
        ap.add_argument("--password-file", help="admin password (first line); default \"password\"")
        ap.add_argument("--username", default=None, help="admin user name (default admin)")
        ap.add_argument("--charset", default=None, choices=("utf-8", "shift_jis"))
        ap.add_argument("--http09", action="store_true", default=None,
                        help="answer with a bare body: no status line, no headers")
        ap.add_argument("--session-timeout", type=float, default=None, help="seconds (default 300)")
        ap.add_argument("--max-entries", type=int, default=None, help="table capacity (default 32)")
        ap.add_argument("--group-max-len", type=int, default=None, help="group name length limit (default 15)")
        ap.add_argument("--no-renumber", dest="renumber", action="store_false", default=None,
                        help="keep row ids stable after a delete (default: renumber 1..N)")
        ap.add_argument("--basic-auth", action="store_true", default=None,
                        help="require HTTP Basic auth as older WHR-1166DHP firmware does")
        ap.add_argument("--one-write", action="store_true", default=None,
                        help="write each reply's headers and body in one write (default: two)")
        ap.add_argument("--verbose", action="store_true", help="log requests to stderr")
        a = ap.parse_args(argv)

        family = load_family(a.family)
        password = server.DEFAULT_PASSWORD
        if a.password_file:
                try:
                        with open(a.password_file, encoding="utf-8") as f:
                                password = f.readline().rstrip("\r\n")
                except OSError as e:
                        print("fake-airstation: cannot read password file: %s" % e.strerror, file=sys.stderr)
                        return 1
        table = []
        if a.table:
                try:
                        with open(a.table, encoding="utf-8") as f:
                                table = json.load(f)
                except (OSError, ValueError) as e:
                        print("fake-airstation: cannot read table %s: %s" % (a.table, e), file=sys.stderr)
                        return 1
        config = {"charset": a.charset, "http09": a.http09, "session_timeout": a.session_timeout,
                  "max_entries": a.max_entries, "group_max_len": a.group_max_len,
                  "renumber": a.renumber, "basic_auth": a.basic_auth, "username": a.username,
                  "one_write": a.one_write}
        try:
                state = server.State(family, config, table, password)
        except server.EntryError as e:
                print("fake-airstation: bad table %s: %s" % (a.table, e), file=sys.stderr)
                return 1
        if hasattr(family, "bind"):
                family.bind(state)
        httpd = server.Server(state, a.port, a.verbose)
        port = httpd.server_address[1]

        def stop(signum, frame):
                threading.Thread(target=httpd.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

        if a.port_file:
                tmp = a.port_file + ".tmp"
                with open(tmp, "w") as f:
                        f.write("%d\n" % port)
                os.replace(tmp, a.port_file)
        print("fake-airstation (%s): listening on 127.0.0.1:%d" % (a.family, port), flush=True)
        try:
                httpd.serve_forever(poll_interval=0.1)
        finally:
                httpd.server_close()
        return 0


if __name__ == "__main__":
        sys.exit(main())
