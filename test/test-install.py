#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""meson install into a DESTDIR: the tree a packager gets (binary, units,
man pages, journal catalog, bash completion, README with NEWS and the
documents it links to, examples), every relative link of the installed
README leads to an installed file, the example config passes 'portkeep
check', and the completion function completes a partial command.

argv: the build directory, the built portkeep."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

BUILD, PORTKEEP = sys.argv[1], os.path.abspath(sys.argv[2])
failures = 0


def fail(msg):
        global failures
        failures += 1
        print("FAIL: " + msg)


def options():
        import json
        r = subprocess.run([shutil.which("meson"), "introspect", "--buildoptions", BUILD], capture_output=True,
                           text=True, check=True)
        return {o["name"]: o["value"] for o in json.loads(r.stdout)}


def main():
        dest = tempfile.mkdtemp(prefix="portkeep-install-")
        try:
                subprocess.run([shutil.which("meson"), "install", "-C", BUILD, "--destdir", dest, "--no-rebuild",
                                "--quiet"], check=True, stdout=subprocess.DEVNULL)
                o = options()
                prefix = dest + o["prefix"]
                doc = os.path.join(prefix, o["datadir"], "doc", "portkeep")
                unitdir = o.get("systemdsystemunitdir") or "/lib/systemd/system"
                want = [os.path.join(prefix, o["bindir"], "portkeep"),
                        os.path.join(prefix, o["mandir"], "man8", "portkeep.8"),
                        os.path.join(prefix, o["mandir"], "man5", "portkeep.yaml.5"),
                        os.path.join(prefix, "lib", "systemd", "catalog", "portkeep.catalog"),
                        os.path.join(doc, "README.md"), os.path.join(doc, "NEWS"),
                        os.path.join(doc, "examples", "portkeep.yaml"),
                        os.path.join(doc, "examples", "git", "pre-commit"),
                        os.path.join(doc, "examples", "git", "ci-step.sh"),
                        os.path.join(doc, "examples", "git", "pre-commit-hooks.yaml")]
                want += [dest + os.path.join(unitdir, u) for u in (
                        "portkeep.service", "portkeep@.service", "portkeep-apply.service", "portkeep-apply.timer",
                        "portkeep-apply@.service", "portkeep-apply@.timer")]
                completion = None
                for top, _, files in os.walk(dest):
                        if top.endswith("completions") and "portkeep" in files:
                                completion = os.path.join(top, "portkeep")
                if not completion:
                        fail("no bash completion (completions/portkeep) in the tree")
                for path in want:
                        if not os.path.isfile(path):
                                fail("not installed: %s" % path[len(dest):])
                for name in ("pre-commit", "ci-step.sh"):
                        path = os.path.join(doc, "examples", "git", name)
                        if os.path.exists(path) and not os.access(path, os.X_OK):
                                fail("%s is not executable" % path[len(dest):])
                if os.path.exists(os.path.join(dest, "etc")):
                        fail("the install writes to /etc")
                print("ok: %d files in place" % len(want))

                # every relative link of the installed README leads somewhere
                with open(os.path.join(doc, "README.md")) as f:
                        links = re.findall(r"\]\(([^)#]+)\)", f.read())
                for link in links:
                        if "://" in link:
                                continue
                        if not os.path.exists(os.path.join(doc, link)):
                                fail("the installed README links to %s, which is not installed" % link)
                print("ok: the installed README's %d links resolve" % len(links))

                r = subprocess.run([PORTKEEP, "check", os.path.join(doc, "examples", "portkeep.yaml")],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                        fail("the installed example does not pass check: %s" % r.stderr)
                else:
                        print("ok: " + r.stdout.strip().replace(dest, "DESTDIR"))

                # the completion, as bash-completion calls it
                if completion:
                        for words, cword, expect in ((["portkeep", "pl"], 1, "plan"),
                                                     (["portkeep", "apply", "--con"], 2, "--confirm --config"),
                                                     (["portkeep", "apply", "--confirm", ""], 3, "30s 1m 2m 5m 10m"),
                                                     (["portkeep", "-q", "hel"], 2, "help"),
                                                     (["portkeep", "help", "ex"], 2, "export")):
                                script = ('source "$1"; COMP_WORDS=(%s); COMP_CWORD=%d; _portkeep; '
                                          'echo "${COMPREPLY[*]}"' % (" ".join("'%s'" % w for w in words), cword))
                                r = subprocess.run(["bash", "-c", script, "bash", completion], capture_output=True,
                                                   text=True)
                                got = " ".join(sorted(r.stdout.split()))
                                if got != " ".join(sorted(expect.split())):
                                        fail("completion of %r: %r, expected %r (%s)" % (words, got, expect,
                                                                                         r.stderr.strip()))
                        print("ok: the completion completes commands, options and --confirm's durations")

                # zsh and fish: installed; checked by their shells where they are installed
                zsh = os.path.join(prefix, o["datadir"], "zsh", "site-functions", "_portkeep")
                fish = None
                for top, _, files in os.walk(dest):
                        if "portkeep.fish" in files:
                                fish = os.path.join(top, "portkeep.fish")
                if not os.path.isfile(zsh):
                        fail("no zsh completion (zsh/site-functions/_portkeep)")
                elif shutil.which("zsh"):
                        r = subprocess.run(["zsh", "-n", zsh], capture_output=True, text=True)
                        if r.returncode != 0:
                                fail("zsh -n _portkeep: %s" % r.stderr)
                        else:
                                print("ok: zsh reads _portkeep")
                elif os.environ.get("PORTKEEP_TEST_NO_SKIP"):
                        fail("zsh is not installed (apt-get install zsh)")
                if not fish:
                        fail("no fish completion (portkeep.fish)")
                elif shutil.which("fish"):
                        r = subprocess.run(["fish", "--no-config", "-c", 'source "$argv[1]"; complete -C"portkeep pl"; '
                                            'complete -C"portkeep apply --con"', fish],
                                           capture_output=True, text=True)
                        got = sorted(line.split("\t")[0] for line in r.stdout.splitlines())
                        if got != ["--config", "--confirm", "plan"]:
                                fail("fish completion: %r (%s)" % (got, r.stderr.strip()))
                        else:
                                print("ok: fish completes portkeep pl and apply --con")
                elif os.environ.get("PORTKEEP_TEST_NO_SKIP"):
                        fail("fish is not installed (apt-get install fish)")
        finally:
                shutil.rmtree(dest, ignore_errors=True)
        return 1 if failures else 0


if __name__ == "__main__":
        sys.exit(main())
