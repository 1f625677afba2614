#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The man pages of doc/, rendered as a user reads them, against the program.

  test-man.py PORTKEEP DOCDIR

- each page renders with `man --warnings -E UTF-8 -l PAGE` (LC_ALL=C.UTF-8,
  MANWIDTH=80) without a single warning and with exit 0;
- portkeep.8: the tags of COMMANDS are exactly the commands `portkeep
  --help` lists; every long option of --help is a tag of OPTIONS and OPTIONS
  has no other; EXIT STATUS lists exactly the codes of --help's "Exit
  status:" line; the version in its footer is `portkeep version`'s;
- portkeep.yaml.5: every key of each table in DOCDIR/config.md's reference
  (Top level, router, defaults, sync, groups, Forwards) is a tag of the
  matching section, with the same default where config.md gives one, and
  every preset is a tag of PRESETS; its first example passes `portkeep
  check`.
Without `man` it exits 77 (1 with PORTKEEP_TEST_NO_SKIP=1)."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

failures = []


def fail(msg):
        failures.append(msg)
        print("FAIL: " + msg)


def render(path):
        env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80", MAN_KEEP_FORMATTING="", MANPAGER="cat",
                   PAGER="cat")
        env.pop("MANROFFOPT", None)
        p = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", path], capture_output=True, text=True,
                           env=env)
        name = os.path.basename(path)
        if p.returncode != 0 or p.stderr.strip():
                fail("%s: man --warnings exit %d:\n%s" % (name, p.returncode, p.stderr))
        elif not p.stdout.strip():
                fail("%s: rendered to nothing" % name)
        else:
                print("ok: %s renders without warnings" % name)
        # no overstrike or escapes even if the environment asked for them
        return re.sub(r".\x08", "", p.stdout)


def sections(text):
        """{"SECTION": [lines]} of rendered text; a subsection ("   FORWARDS")
        is a section of its own too, and its lines stay in its parent's."""
        out, cur, sub = {}, None, None
        for line in text.splitlines():
                if re.match(r"^[A-Z][A-Z ]*[A-Z]$", line):
                        cur, sub = line, None
                        out[cur] = []
                        continue
                m = re.match(r"^   ([A-Z][A-Z ]*[A-Z])$", line)
                if m and cur:
                        sub = m.group(1)
                        out[sub] = []
                        continue
                if cur:
                        out[cur].append(line)
                if sub:
                        out[sub].append(line)
        return out


def tags(lines):
        """The first word and the line of each .TP tag at the page's first
        indent (7 columns), as man renders them: after a blank line, either
        on a line of its own followed by the body at 14 columns
        ("       check [FILE]"), or with the body beside it from column 14
        ("       plan   Read the..."). Paragraph text at 7 columns is
        neither: it goes on at 7, or is one line without a gap to column 14."""
        found = []
        for i, line in enumerate(lines):
                m = re.match(r"^ {7}(\S+)", line)
                if not m or (i > 0 and lines[i - 1].strip()):
                        continue
                nxt = lines[i + 1] if i + 1 < len(lines) else ""
                body_below = re.match(r"^ {14}\S", nxt)
                body_beside = re.match(r"^ {7}\S+ +\S", line) and re.match(r"^ {7}\S+ +", line).end() == 14 \
                        and (not nxt.strip() or body_below)
                if body_below or body_beside:
                        found.append((m.group(1).rstrip(","), line.strip()))
        return found


def run(portkeep, *args):
        return subprocess.run([portkeep] + list(args), capture_output=True, text=True)


def check_portkeep8(portkeep, text):
        helptext = run(portkeep, "--help").stdout
        verbs, longopts, codes = [], set(), set()
        part = None
        for line in helptext.splitlines():
                if line.startswith("Commands:"):
                        part = "commands"
                        continue
                if line.startswith("Options:"):
                        part = "options"
                        continue
                if not line.strip():
                        part = None
                        continue
                if part == "commands":
                        verbs.append(line.split()[0])
                longopts |= set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", line))
        m = re.search(r"Exit status:(.*)", helptext, re.S)
        if m:
                codes = set(re.findall(r"\b(\d+) [a-z]", m.group(1)))
        if len(verbs) < 8 or len(longopts) < 6 or len(codes) < 6:
                fail("portkeep --help: cannot find its commands, options and exit codes:\n" + helptext)
                return

        sec = sections(text)
        for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "EXIT STATUS", "ENVIRONMENT",
                     "FILES", "SIGNALS", "SAFETY", "EXAMPLES", "SEE ALSO"):
                if name not in sec:
                        fail("portkeep.8: no section %s" % name)
        documented = [t for t, _ in tags(sec.get("COMMANDS", []))]
        if sorted(documented) != sorted(verbs):
                fail("portkeep.8 COMMANDS documents %s; portkeep --help lists %s" % (documented, verbs))
        else:
                print("ok: portkeep.8 documents the %d commands of --help: %s" % (len(verbs), " ".join(verbs)))
        opt_lines = sec.get("OPTIONS", [])
        opt_tags = set()
        for _, line in tags(opt_lines):
                opt_tags |= set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", line))
        if opt_tags != longopts:
                fail("portkeep.8 OPTIONS has the tags %s; portkeep --help names %s"
                     % (sorted(opt_tags), sorted(longopts)))
        else:
                print("ok: portkeep.8 documents the %d long options of --help: %s"
                      % (len(longopts), " ".join(sorted(longopts))))
        exit_tags = {t for t, _ in tags(sec.get("EXIT STATUS", [])) if t.isdigit()}
        if exit_tags != codes:
                fail("portkeep.8 EXIT STATUS lists %s; portkeep --help says %s" % (sorted(exit_tags), sorted(codes)))
        else:
                print("ok: portkeep.8 lists the exit statuses of --help: %s" % " ".join(sorted(codes, key=int)))
        for var in ("PORTKEEP_CONFIG", "RUNTIME_DIRECTORY", "CREDENTIALS_DIRECTORY", "NOTIFY_SOCKET",
                    "WATCHDOG_USEC", "PORTKEEP_LOCK_TIMEOUT", "JOURNAL_STREAM"):
                if not any(var in line for _, line in tags(sec.get("ENVIRONMENT", []))):
                        fail("portkeep.8 ENVIRONMENT has no entry for %s" % var)
        for sig in ("SIGHUP", "SIGUSR1", "SIGTERM", "SIGINT"):
                if not any(sig in line for _, line in tags(sec.get("SIGNALS", []))):
                        fail("portkeep.8 SIGNALS has no entry for %s" % sig)
        check_version(portkeep, "portkeep.8", text)


def check_version(portkeep, name, text):
        version = run(portkeep, "version").stdout.strip()
        footer = [line for line in text.splitlines() if line.strip()][-1]
        if not footer.startswith(version + " "):
                fail("%s: footer '%s' does not name '%s' (portkeep version)" % (name, footer.strip(), version))
        else:
                print("ok: %s is for %s" % (name, version))


def config_tables(path):
        """{heading: [(key, default or None)]} of config.md's key tables, and
        the preset names."""
        tables, presets, heading, cols = {}, [], None, None
        with open(path) as f:
                for line in f:
                        line = line.rstrip("\n")
                        m = re.match(r"^#{2,3} (.*)", line)
                        if m:
                                heading, cols = m.group(1).strip("`").lower(), None
                                continue
                        if not line.startswith("|"):
                                cols = None
                                continue
                        cells = [c.strip() for c in line.strip("|").split("|")]
                        if cols is None:
                                cols = [c.lower() for c in cells]
                                continue
                        if set(cells[0]) <= set("-: "):
                                continue
                        key = cells[0].strip("`")
                        if cols[0] == "preset":
                                presets.append(key)
                        elif cols[0] == "key":
                                default = None
                                if "default" in cols:
                                        d = cells[cols.index("default")]
                                        if d.startswith("`"):
                                                default = d.strip("`")
                                tables.setdefault(heading, []).append((key, default))
        return tables, presets


def check_portkeep_yaml5(portkeep, text, src, config_md):
        sec = sections(text)
        tables, presets = config_tables(config_md)
        where = {"top level": "TOP LEVEL", "router": "ROUTER", "defaults": "DEFAULTS", "sync": "SYNC",
                 "groups": "GROUPS", "forwards": "FORWARDS"}
        if sorted(tables) != sorted(where):
                fail("config.md has the key tables %s; this test knows %s: map the new one to its section"
                     % (sorted(tables), sorted(where)))
        n, before = 0, len(failures)
        for heading, keys in sorted(tables.items()):
                section = where.get(heading)
                if section not in sec:
                        fail("portkeep.yaml.5: no section %s (for config.md's %s)" % (section, heading))
                        continue
                found = dict(tags(sec[section]))
                for key, default in keys:
                        n += 1
                        if key not in found:
                                fail("portkeep.yaml.5 %s does not document '%s' (config.md: %s)" % (section, key, heading))
                        elif default and "default %s" % default not in found[key]:
                                fail("portkeep.yaml.5 %s: '%s' should say 'default %s' as config.md does: %s"
                                     % (section, key, default, found[key]))
        if n < 20:
                fail("config.md: only %d keys found in its tables" % n)
        elif len(failures) == before:
                print("ok: portkeep.yaml.5 documents the %d keys of config.md's tables, with their defaults" % n)
        documented = [t for t, _ in tags(sec.get("PRESETS", []))]
        if sorted(documented) != sorted(presets) or not presets:
                fail("portkeep.yaml.5 PRESETS documents %s; config.md lists %s" % (documented, presets))
        else:
                print("ok: portkeep.yaml.5 documents the presets %s" % " ".join(presets))
        check_version(portkeep, "portkeep.yaml.5", text)

        # The first example, taken from the roff source, is a valid file.
        m = re.search(r"^\.EX\n(.*?)^\.EE$", src, re.S | re.M)
        example = m.group(1).replace("\\-", "-") if m else ""
        if not example or "\\" in example:
                fail("portkeep.yaml.5: no example, or one with roff escapes other than \\-")
                return
        tmp = tempfile.mkdtemp(prefix="portkeep-man-")
        try:
                path = os.path.join(tmp, "portkeep.yaml")
                with open(path, "w") as f:
                        f.write(example)
                p = run(portkeep, "check", path)
                if p.returncode != 0:
                        fail("portkeep.yaml.5's example: portkeep check exits %d:\n%s%s" % (p.returncode, p.stdout, p.stderr))
                else:
                        print("ok: portkeep.yaml.5's example passes portkeep check: %s" % p.stdout.strip())
        finally:
                shutil.rmtree(tmp, ignore_errors=True)


def main():
        portkeep, docdir = sys.argv[1], sys.argv[2]
        if not shutil.which("man"):
                if os.environ.get("PORTKEEP_TEST_NO_SKIP") == "1":
                        print("FAIL: man is not installed (PORTKEEP_TEST_NO_SKIP=1); apt-get install man-db")
                        sys.exit(1)
                print("SKIP: man is not installed")
                sys.exit(77)
        page8 = os.path.join(docdir, "portkeep.8")
        page5 = os.path.join(docdir, "portkeep.yaml.5")
        check_portkeep8(portkeep, render(page8))
        with open(page5) as f:
                src5 = f.read()
        check_portkeep_yaml5(portkeep, render(page5), src5, os.path.join(docdir, "config.md"))
        if failures:
                print("%d failure%s" % (len(failures), "" if len(failures) == 1 else "s"))
                sys.exit(1)


if __name__ == "__main__":
        main()
