#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A stand-in for journald, for a test: run as root under
`unshare -m --propagation private`, it mounts a tmpfs on /run/systemd (in
that mount namespace only), binds /run/systemd/journal/socket, runs a command
with stderr going to a file and $JOURNAL_STREAM naming that file (so the
command believes journald reads its stderr), and writes what arrived on the
socket (journald's native protocol) as JSON.

Usage: journal_capture.py OUT_JSON STDERR_FILE SECONDS -- ARGV...
The command runs until it exits or SECONDS have passed (then SIGTERM).
OUT_JSON: {"rc": N, "entries": [{"MESSAGE": ..., ...}, ...]}"""

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time


def parse(data):
        """KEY=VALUE\\n, or KEY\\n<le64 size><bytes>\\n for values with newlines."""
        fields, i = {}, 0
        while i < len(data):
                nl = data.index(b"\n", i)
                line = data[i:nl]
                if b"=" in line:
                        k, v = line.split(b"=", 1)
                        i = nl + 1
                else:
                        k = line
                        (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
                        v = data[nl + 9:nl + 9 + n]
                        i = nl + 9 + n + 1
                fields[k.decode()] = v.decode("utf-8", "replace")
        return fields


def main():
        out, errfile, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
        argv = sys.argv[sys.argv.index("--") + 1:]
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run/systemd"], check=True)
        os.mkdir("/run/systemd/journal")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind("/run/systemd/journal/socket")
        sock.settimeout(0.05)

        err = open(errfile, "w")
        st = os.fstat(err.fileno())
        env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
        env.pop("PORTKEEP_LOG_PREFIX", None)
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        err.close()
        entries, deadline = [], time.monotonic() + seconds
        while True:
                try:
                        entries.append(parse(sock.recv(1 << 20)))
                        continue
                except socket.timeout:
                        pass
                if proc.poll() is not None:
                        break
                if time.monotonic() > deadline:
                        proc.send_signal(signal.SIGTERM)
                        deadline = float("inf")
        with open(out, "w") as f:
                json.dump({"rc": proc.returncode, "entries": entries}, f)


if __name__ == "__main__":
        main()
