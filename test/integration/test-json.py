#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every command's --json output, in success and in failure, against the
contract of doc/json.md (SCHEMA below is that page in code): one object on
standard output, "version": 1, the same exit code as without --json, and
"error": {code, stage, message} on failure."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import L2TP, PPTP, PortkeepTest, entry, main  # noqa: E402

# A spec: a type name ("str", "int", "bool", "null", "time"), a tuple of specs
# (any of them), a list [spec] (an array of it), or a dict of key -> spec,
# where a key ending in "?" may be absent and no other key may be present.
FORWARD = {"group": ("str", "null"), "proto": "str", "wan": "str", "ports": ("str", "null"),
           "lan_ip": "str", "lan_ports": ("str", "null")}
ERROR = {"code": "int", "stage": "str", "message": "str"}
CHANGE = dict(FORWARD, **{"action": "str", "old?": FORWARD, "reason?": "str"})
DECLARED = dict(FORWARD, **{"file": ("str", "null"), "line": ("int", "null"), "column": ("int", "null")})
PLAN = {"version": "int", "in_sync": "bool", "changes": [CHANGE], "unmanaged": [FORWARD],
        "not_created_by_portkeep": [FORWARD], "conflicts": [{"declared": DECLARED, "held_by": FORWARD}],
        "error?": ERROR}
APPLY = dict(PLAN, **{"applied": "int", "verified": "bool", "rolled_back": ("bool", "null"),
                      "table": ([FORWARD], "null")})
APPLY_EARLY = {"version": "int", "applied": "int", "verified": "bool", "rolled_back": ("bool", "null"),
               "table": ([FORWARD], "null"), "error": ERROR}
PASS = {"started": ("time", "null"), "finished": ("time", "null"), "result": "str", "in_sync": "bool", "ok": "bool",
        "changes": "int", "by": "str", "pid": "int"}
SCHEMA = {
        "check": {"version": "int", "valid": "bool",
                  "errors": [{"file": "str", "line": ("int", "null"), "column": ("int", "null"), "message": "str"}]},
        "plan": PLAN,
        "apply": APPLY,
        "apply-early": APPLY_EARLY,
        "show": {"version": "int", "forwards": [dict(FORWARD, **{"managed": "bool", "lease_seconds?": "int"})],
                 "external_address?": "str", "recorded_groups?": ["str"]},
        "status": {"version": "int", "running": "bool", "pid": ("int", "null"), "config": ("str", "null"),
                   "router": ("str", "null"), "external_address": ("str", "null"), "recorded_groups": ["str"],
                   "last_pass": (PASS, "null"), "last_apply": (PASS, "null"), "next_pass": ("time", "null"),
                   "status": ("str", "null")},
        "version": {"version": "int", "portkeep": "str"},
        "error": {"version": "int", "error": ERROR},
}


def conforms(value, spec, where="$"):
        """'' when value fits spec, else what does not."""
        if isinstance(spec, tuple):
                whys = [conforms(value, s, where) for s in spec]
                return "" if "" in whys else " / ".join(whys)
        if isinstance(spec, list):
                if not isinstance(value, list):
                        return "%s: not an array" % where
                for i, v in enumerate(value):
                        why = conforms(v, spec[0], "%s[%d]" % (where, i))
                        if why:
                                return why
                return ""
        if isinstance(spec, dict):
                if not isinstance(value, dict):
                        return "%s: not an object" % where
                keys = {k.rstrip("?"): k.endswith("?") for k in spec}
                for k in value:
                        if k not in keys:
                                return "%s: unexpected key %r" % (where, k)
                for k, optional in keys.items():
                        if k not in value:
                                if not optional:
                                        return "%s: no %r" % (where, k)
                                continue
                        why = conforms(value[k], spec[k + "?" if optional else k], "%s.%s" % (where, k))
                        if why:
                                return why
                return ""
        ok = {"str": lambda v: isinstance(v, str), "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "bool": lambda v: isinstance(v, bool), "null": lambda v: v is None,
              "time": lambda v: isinstance(v, str) and len(v) == 20 and v.endswith("Z")}[spec](value)
        return "" if ok else "%s: %r is not %s" % (where, value, spec)


class Json(PortkeepTest):
        def json(self, shape, code, *args, **kw):
                res = self.portkeep("--json", *args, **kw)
                self.assertExit(res, code)
                lines = res.out.splitlines()
                self.assertEqual(len(lines), 1, "not one line of JSON: %r" % res.out)
                obj = json.loads(lines[0])
                self.assertEqual(obj["version"], 1)
                why = conforms(obj, SCHEMA[shape])
                self.assertEqual(why, "", "%s does not fit %s: %s" % (res.out, shape, why))
                if code != 0 and shape != "check" and "error" in SCHEMA[shape]:
                        self.assertEqual(obj["error"]["code"], code)
                return obj

        def test_check(self):
                good = self.write_config()
                self.assertTrue(self.json("check", 0, "check", good)["valid"])
                bad = os.path.join(self.tmp, "bad.yaml")
                with open(bad, "w") as f:
                        f.write("version: 1\nrouter: {}\ngroups:\n  - name: x\n    preset: ppt\n")
                obj = self.json("check", 78, "check", bad)
                self.assertFalse(obj["valid"])
                self.assertTrue(any(e["line"] == 5 and e["column"] for e in obj["errors"]), obj)
                empty = os.path.join(self.tmp, "empty.yaml")
                open(empty, "w").close()
                obj = self.json("check", 78, "check", empty)
                self.assertEqual((obj["errors"][0]["line"], obj["errors"][0]["column"]), (None, None), obj)

        def test_plan_apply_show_status_version(self):
                self.start_fake(PPTP)
                self.write_config()
                self.assertEqual(self.json("status", 1, "status")["last_pass"], None)
                obj = self.json("plan", 2, "plan")
                self.assertFalse(obj["in_sync"])
                self.assertEqual(len(obj["changes"]), 4)
                self.assertEqual(self.json("plan", 2, "apply", "--dry-run")["changes"], obj["changes"])
                obj = self.json("apply", 0, "apply")
                self.assertEqual((obj["in_sync"], obj["applied"], obj["verified"], obj["rolled_back"], obj["table"]),
                                 (True, 4, True, None, None))
                self.assertTrue(self.json("plan", 0, "plan")["in_sync"])
                obj = self.json("show", 0, "show")
                self.assertEqual(len(obj["forwards"]), 6)
                self.assertTrue(all(f["managed"] for f in obj["forwards"]))
                obj = self.json("status", 0, "status")
                self.assertEqual((obj["last_pass"]["by"], obj["last_pass"]["result"], obj["last_pass"]["in_sync"]),
                                 ("apply", "applied", True))
                self.json("version", 0, "version")

        def test_failures(self):
                # a change the router refuses: rolled back, the table as read
                self.start_fake(PPTP)
                self.owned("PPTP", "L2TP")
                self.write_config()
                self.fake.fail(fault="refuse", action="add", skip=1)
                obj = self.json("apply", 1, "apply")
                self.assertEqual((obj["error"]["stage"], obj["verified"], obj["rolled_back"]), ("change", False, True))
                self.assertEqual(len(obj["table"]), 2)
                self.fake.clear_faults()
                # a conflict: held back, with its place in the file
                self.fake.set_table(PPTP + L2TP[:3] + [entry("nas", "esp", None, "192.168.11.9")])
                obj = self.json("apply", 3, "apply")
                self.assertEqual(obj["error"]["stage"], "guard")
                self.assertEqual(obj["conflicts"][0]["declared"]["file"], self.config)
                self.assertIsInstance(obj["conflicts"][0]["declared"]["line"], int)
                # the router does not answer
                self.fake.stop()
                for verb, shape in (("plan", "error"), ("show", "error"), ("apply", "apply-early")):
                        with self.subTest(verb=verb):
                                obj = self.json(shape, 1, verb)
                                self.assertEqual(obj["error"]["stage"], "login")
                # an invalid file
                bad = os.path.join(self.tmp, "bad.yaml")
                with open(bad, "w") as f:
                        f.write("version: 1\n")
                obj = self.json("error", 78, "plan", config=bad)
                self.assertEqual(obj["error"]["stage"], "config")
                self.assertIn(bad + ":1:1: ", obj["error"]["message"])

        def test_commands_without_json(self):
                self.write_config()
                for args in (("export",), ("run",), ("confirm",), ("help",), ("apply", "--confirm", "1m")):
                        with self.subTest(args=args):
                                res = self.portkeep("--json", *args)
                                self.assertExit(res, 64)
                                self.assertEqual(res.out, "")
                                self.assertEqual(len(res.err.strip().splitlines()), 1, res.err)


if __name__ == "__main__":
        main()
