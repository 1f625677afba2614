#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The examples for config in git (conf/git, .pre-commit-hooks.yaml), run in a
scratch repository with the portkeep under test first on PATH: the
pre-commit hook checks what is staged (not the working tree) and names the
file; the CI step checks every portkeep file; the pre-commit framework's
entry, run as the framework runs it, does the same."""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import PORTKEEP, PortkeepTest, main  # noqa: E402

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOOD = """version: 1
router:
  driver: airstation
  url: http://192.168.11.1
  password_file: /etc/portkeep/router-password
defaults:
  lan_ip: 192.168.11.3
groups:
  - name: PPTP
    preset: pptp
"""
BAD = GOOD.replace("preset: pptp", "preset: ppt")


class Hooks(PortkeepTest):
        def setUp(self):
                if not shutil.which("git"):
                        if os.environ.get("PORTKEEP_TEST_NO_SKIP"):
                                self.fail("git is not installed (apt-get install git)")
                        self.skipTest("git is not installed")
                super().setUp()
                self.repo = os.path.join(self.tmp, "repo")
                os.mkdir(self.repo)
                self.env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(PORTKEEP)) + ":" + os.environ["PATH"],
                                GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
                                GIT_COMMITTER_EMAIL="t@example.org", HOME=self.tmp)
                self.git("init", "-q")
                hook = os.path.join(self.repo, ".git", "hooks", "pre-commit")
                shutil.copy(os.path.join(SRC, "conf", "git", "pre-commit"), hook)
                os.chmod(hook, 0o755)

        def git(self, *args, check=True):
                return subprocess.run(["git"] + list(args), cwd=self.repo, env=self.env, capture_output=True,
                                      text=True, check=check)

        def put(self, name, text):
                path = os.path.join(self.repo, name)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                        f.write(text)

        def test_pre_commit_checks_what_is_staged(self):
                self.put("README", "not yaml\n")
                self.put("other.yaml", "just: yaml\n")  # not a portkeep file: left alone
                self.put("portkeep/home.yaml", GOOD)
                self.git("add", ".")
                r = self.git("commit", "-q", "-m", "good", check=False)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("portkeep/home.yaml: configuration OK", r.stdout + r.stderr)

                # staged bad, working tree good again: the staged content counts
                self.put("portkeep/home.yaml", BAD)
                self.git("add", "portkeep/home.yaml")
                self.put("portkeep/home.yaml", GOOD)
                r = self.git("commit", "-q", "-m", "bad", check=False)
                self.assertNotEqual(r.returncode, 0, "a bad file was committed")
                self.assertIn("portkeep/home.yaml:10:13: unknown preset 'ppt': did you mean 'pptp'?",
                              r.stdout + r.stderr)
                self.assertIn("--no-verify", r.stderr)
                self.assertEqual(self.git("log", "--oneline").stdout.count("\n"), 1)

        def test_ci_step_and_pre_commit_framework_entry(self):
                self.put("portkeep/home.yaml", GOOD)
                self.put("portkeep/cabin.yaml", BAD)
                self.put("other.yaml", "just: yaml\n")
                self.git("add", ".")
                step = os.path.join(SRC, "conf", "git", "ci-step.sh")
                r = subprocess.run(["sh", step], cwd=self.repo, env=self.env, capture_output=True, text=True)
                self.assertEqual(r.returncode, 78, r.stderr)
                self.assertIn("portkeep/cabin.yaml:10:13: unknown preset 'ppt'", r.stderr)
                self.assertIn("portkeep/home.yaml: configuration OK", r.stdout)
                self.assertNotIn("other.yaml", r.stdout + r.stderr)

                # as the framework runs a 'language: system' hook: entry + the files
                with open(os.path.join(SRC, ".pre-commit-hooks.yaml")) as f:
                        entry = re.search(r"^  entry: (.*)$", f.read(), re.M).group(1).split()
                r = subprocess.run(entry + ["portkeep/home.yaml"], cwd=self.repo, env=self.env,
                                   capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)
                r = subprocess.run(entry + ["portkeep/home.yaml", "portkeep/cabin.yaml"], cwd=self.repo,
                                   env=self.env, capture_output=True, text=True)
                self.assertEqual(r.returncode, 78, r.stderr)


if __name__ == "__main__":
        main()
