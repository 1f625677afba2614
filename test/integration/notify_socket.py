# SPDX-License-Identifier: GPL-2.0-or-later
"""A stand-in for systemd's notify socket: binds a unix datagram socket at a
path (give it to the daemon as $NOTIFY_SOCKET) and records every message
that arrives, with its arrival time (time.monotonic()).

As a module: NotifySocket(path) records in a thread; .messages() gives
[(time, {"READY": "1", ...})], .wait_for(...) waits for one.
As a script: notify_socket.py PATH prints each message as it arrives
("<seconds> READY=1 STATUS=..."), for trying the daemon by hand."""

import os
import socket
import sys
import threading
import time


class NotifySocket:
        def __init__(self, path):
                self.path = path
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self.sock.bind(path)
                self.sock.settimeout(0.1)
                self.lock = threading.Lock()
                self.cond = threading.Condition(self.lock)
                self.received = []  # (monotonic time, dict of KEY=VALUE)
                self.running = True
                self.thread = threading.Thread(target=self._loop, daemon=True)
                self.thread.start()

        def _loop(self):
                while self.running:
                        try:
                                data = self.sock.recv(65536)
                        except socket.timeout:
                                continue
                        except OSError:
                                break
                        t = time.monotonic()
                        fields = {}
                        for line in data.decode("utf-8", "replace").split("\n"):
                                if "=" in line:
                                        k, v = line.split("=", 1)
                                        fields[k] = v
                        with self.cond:
                                self.received.append((t, fields))
                                self.cond.notify_all()

        def messages(self):
                with self.lock:
                        return list(self.received)

        def values(self, key, since=0.0):
                """Every value of key, in order, from messages after since."""
                return [m[key] for t, m in self.messages() if key in m and t >= since]

        def times(self, key, since=0.0):
                return [t for t, m in self.messages() if key in m and t >= since]

        def wait_for(self, key, match=None, timeout=10.0, since=0.0):
                """Waits for a message after since with key (whose value contains
                match, if given); returns (time, value) or None."""
                deadline = time.monotonic() + timeout
                with self.cond:
                        while True:
                                for t, m in self.received:
                                        if t >= since and key in m and (match is None or match in m[key]):
                                                return t, m[key]
                                left = deadline - time.monotonic()
                                if left <= 0:
                                        return None
                                self.cond.wait(left)

        def close(self):
                self.running = False
                self.thread.join(2)
                self.sock.close()
                try:
                        os.unlink(self.path)
                except FileNotFoundError:
                        pass


if __name__ == "__main__":
        if len(sys.argv) != 2:
                sys.exit("usage: notify_socket.py PATH")
        n = NotifySocket(sys.argv[1])
        start = time.monotonic()
        seen = 0
        try:
                while True:
                        time.sleep(0.05)
                        msgs = n.messages()
                        for t, m in msgs[seen:]:
                                print("%8.3f %s" % (t - start, " ".join("%s=%s" % kv for kv in m.items())),
                                      flush=True)
                        seen = len(msgs)
        except KeyboardInterrupt:
                pass
        finally:
                n.close()
