#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The README's first quick-start command ends in `meson compile -C build
demo`: test/demo.sh, run here on a free port, must show a newcomer plan
(changes pending), apply (verified), plan (in sync) and show, and leave no
fake router running."""

import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
PORTKEEP = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "portkeep"


class Demo(unittest.TestCase):
        def test_demo(self):
                env = dict(os.environ, PORTKEEP_DEMO_PORT="0")
                env.pop("PORTKEEP_CONFIG", None)
                p = subprocess.run(["sh", os.path.join(SRC, "test", "demo.sh"), PORTKEEP, SRC], env=env,
                                   capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
                out, err = p.stdout.decode(), p.stderr.decode()
                msg = "--- stdout\n%s--- stderr\n%s" % (out, err)
                self.assertEqual(p.returncode, 0, msg)
                # stderr: apply's progress, no warning (password file mode) nor error
                self.assertEqual([l for l in err.splitlines() if not l.startswith("added ")], [], msg)
                self.assertEqual(err.count("added "), 7, msg)
                steps = out.split("\n$ portkeep -c conf/demo.yaml ")
                self.assertEqual([s.split("\n")[0] for s in steps[1:]], ["plan", "apply", "plan", "show"], msg)
                plan, apply, again, show = steps[1:]
                self.assertIn("+ PPTP", plan)
                self.assertIn("7 to add\n(exit status 2: changes pending)", plan)
                self.assertIn("applied 7 changes; verified", apply)
                self.assertIn("(exit status 0", apply)
                self.assertIn("in sync: 7 forwards in 3 groups\n(exit status 0", again)
                self.assertIn("7 forwards, 7 managed (*)\nrecorded: PPTP, L2TP, web (the groups portkeep applied before)\n"
                              "(exit status 0", show)
                self.assertIn("README.md", show)  # where to go next


if __name__ == "__main__":
        unittest.main(argv=[sys.argv[0]], verbosity=2)
