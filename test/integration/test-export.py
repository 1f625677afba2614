#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`portkeep export` against the fake AirStation, both families: the output
is a valid file (`check` exits 0) and `plan` with it finds the router in
sync (exit 0), for a table with presets, tcp/udp, ranges, a manual wan,
gre/esp, a Japanese group and a mix of groups no file manages."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import L2TP, PASSWORD, PPTP, Fake, PortkeepTest, entry, main  # noqa: E402

MIX = PPTP + L2TP + [
        entry("NAS", "tcp", "5001", "192.168.11.10"),
        entry("NAS", "tcp", "5006", "192.168.11.10", "443"),
        entry("web", "udp", "60000-60010", "192.168.11.20", "61000-61010", wan="203.0.113.5"),
        entry("VPN用", "esp", None, wan="203.0.113.6"),
        entry("yes", "gre", None, "192.168.11.30", wan="203.0.113.7"),
        entry("misc", "icmp", None, "192.168.11.40"),
        entry("misc", "tcp", "8080", "192.168.11.41"),
]


# Group names a router may hold that YAML would read otherwise if written
# plain: its keywords and numbers, indicators, quotes, spaces at either end,
# line breaks beyond \n (NEL, LS, PS), a byte order mark, C1 controls,
# wide and combining characters.
HOSTILE_NAMES = [
        "yes", "No", "ON", "off", "y", "N", "true", "False", "null", "Null", "~", ".inf", "-.inf", ".nan",
        "1", "0x10", "0o17", "1e3", "+1", ".5", "1_000", "2024-01-01", "12:30",
        "-", "- x", "-x", "? x", "?x", ": x", "a: b", "a:b", "a #b", "a#b", "#x", "&a", "*a", "!t", "|", ">",
        "'", '"', "a'b", 'a"b', "%x", "@x", "`x", "[a]", "{a}", "a,b", "a]b", "a}b", "a\\b",
        " lead", "trail ", "x\u0085y", "x\u2028y", "x\u2029y", "\ufeffbom", "x\u0080y", "x\u009fy", "a\u00a0b",
        "日本語", "VPN用", "🦊fox", "e\u0301cole", "école", "ｆｕｌｌ",
]
# Names the file cannot hold: exported without them, each named in a warning.
UNFIT_NAMES = ["x" * 65]


class ExportNosave(PortkeepTest):
        family = "nosave"
        extra = [entry("game", "tcp", "27015"), entry("game", "udp", "27015")]

        def start(self, table):
                return self.start_fake(table)

        def export(self, table):
                self.start(table)
                self.write_config("groups:\n  - name: PPTP\n    preset: pptp\n")
                res = self.portkeep("export")
                self.assertExit(res, 0)
                self.assertNotIn(PASSWORD, res.out)
                path = os.path.join(self.tmp, "exported.yaml")
                with open(path, "w") as f:
                        f.write(res.out)
                return res.out, path

        def test_hostile_group_names_round_trip(self):
                names = HOSTILE_NAMES + UNFIT_NAMES
                table = [entry(n, "tcp", str(20000 + i)) for i, n in enumerate(names)]
                out, path = self.export(table)
                res = self.portkeep("check", path)
                self.assertExit(res, 0)
                # the names as portkeep reads them (the web UI trims spaces)
                res = self.portkeep("--json", "show")
                read = [f["group"] for f in json.loads(res.out)["forwards"]]
                self.assertEqual(len(read), len(names))
                res = self.portkeep("--json", "show", config=path)
                self.assertExit(res, 0)
                managed = {f["group"]: f["managed"] for f in json.loads(res.out)["forwards"]}
                for n in read[:len(HOSTILE_NAMES)]:
                        self.assertTrue(managed.get(n), "%r did not come back from the export:\n%s" % (n, out))
                export_err = self.portkeep("export").err
                for n in UNFIT_NAMES:
                        self.assertFalse(managed.get(n), "%r was exported" % n)
                self.assertIn("group %s left out (1 entry): the file cannot name it: group name '%s' is longer than "
                              % ("x" * 65, "x" * 65), export_err)
                res = self.portkeep("plan", config=path)
                self.assertExit(res, 0)

        def test_round_trip(self):
                out, path = self.export(MIX + self.extra)
                self.assertIn("version: 1\n", out)
                self.assertIn("  url: %s\n" % self.fake.url, out)
                self.assertIn("  password_file: %s\n" % self.pwfile, out)
                self.assertIn("  firmware: %s\n" % self.family, out)
                self.assertIn("defaults:\n  lan_ip: 192.168.11.3\n", out)
                self.assertIn("  - name: PPTP\n    preset: pptp\n", out)
                self.assertIn("  - name: L2TP\n    preset: l2tp-ipsec\n", out)
                self.assertIn("  - name: NAS\n    lan_ip: 192.168.11.10\n", out)
                self.assertIn("{ proto: tcp, port: 5006, lan_port: 443 }", out)
                self.assertIn("    wan: 203.0.113.5\n", out)
                self.assertIn("  - name: VPN用\n", out)
                self.assertIn('  - name: "yes"\n', out)  # would read back as a boolean
                # groups in router order
                names = [l.split(": ", 1)[1] for l in out.splitlines() if l.startswith("  - name: ")]
                self.assertEqual(names[:3], ["PPTP", "L2TP", "NAS"])

                res = self.portkeep("check", path)
                self.assertExit(res, 0)
                res = self.portkeep("plan", config=path)
                self.assertExit(res, 0)
                self.assertIn("in sync", res.out)

        def test_no_dominant_address(self):
                table = [entry("a", "tcp", "1", "192.168.11.2"), entry("b", "tcp", "2", "192.168.11.3"),
                         entry("c", "udp", "3-4", "192.168.11.4")]
                out, path = self.export(table)
                self.assertNotIn("defaults:", out)
                self.assertExit(self.portkeep("check", path), 0)
                self.assertExit(self.portkeep("plan", config=path), 0)

        def test_relative_password_file_written_absolute(self):
                # password_file: relative to the config's directory; the export
                # is saved elsewhere and must still find the password.
                self.start(PPTP)
                self.write_config("groups:\n  - name: PPTP\n    preset: pptp\n")
                with open(self.config) as f:
                        text = f.read()
                with open(self.config, "w") as f:
                        f.write(text.replace(self.pwfile, os.path.basename(self.pwfile)))
                res = self.portkeep("export")
                self.assertExit(res, 0)
                self.assertIn("  password_file: %s\n" % os.path.realpath(self.pwfile), res.out)
                os.mkdir(os.path.join(self.tmp, "elsewhere"))
                path = os.path.join(self.tmp, "elsewhere", "exported.yaml")
                with open(path, "w") as f:
                        f.write(res.out)
                self.assertExit(self.portkeep("plan", config=path), 0)

        def test_router_failure_is_exit_1_and_no_yaml(self):
                self.start_fake(PPTP, password="another")
                self.write_config()
                res = self.portkeep("export")
                self.assertExit(res, 1)
                self.assertEqual(res.out, "")




class ExportArcadyan(ExportNosave):
        family = "arcadyan"
        extra = [entry("game", "tcp/udp", "27015-27030")]

        def start(self, table):
                return self.start_fake(table)

        def start_fake(self, table=(), args=(), **kw):
                self.fake = Fake(self.tmp, table, args=["--family", "arcadyan"] + list(args), **kw)
                self.addCleanup(self.fake.stop)
                return self.fake

        def test_tcp_udp_exported_as_one_forward(self):
                out, path = self.export(PPTP + self.extra)
                self.assertIn("{ proto: tcp/udp, port: 27015-27030 }", out)
                self.assertExit(self.portkeep("plan", config=path), 0)


if __name__ == "__main__":
        main()
