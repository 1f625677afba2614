#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The real portkeep binary against the fake AirStation, nosave family:
the main job (plan, apply, show) and the ways a router fails."""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import PORTKEEP, UPNP_BUILT, L2TP, PPTP, VPN_CONFIG, Fake, PortkeepTest, entry, main  # noqa: E402

WEB = """\
  - name: web
    forwards:
      - { proto: tcp, port: 8443, lan_port: 443, lan_ip: 192.168.11.20 }
"""


class Apply(PortkeepTest):
        def test_apply_from_empty_then_in_sync(self):
                self.start_fake()
                self.write_config()
                res = self.portkeep("plan")
                self.assertExit(res, 2)
                self.assertIn("+ PPTP", res.out)
                self.assertIn("gre", res.out)
                self.assertIn("esp", res.out)
                self.assertTable([])  # plan changes nothing

                res = self.portkeep("apply")
                self.assertExit(res, 0)
                self.assertIn("verified", res.out + res.err)
                self.assertTable(PPTP + L2TP)
                self.assertLoggedOut()

                res = self.portkeep("plan")
                self.assertExit(res, 0)
                self.assertIn("in sync", res.out)

        # requests a pass makes for 0, 1 and 5 changes: the firmware's floor
        # (doc/benchmarks.md)
        REQUESTS = {0: 4, 1: 6, 5: 14}

        def test_requests_per_pass(self):
                cases = {0: PPTP + L2TP, 1: PPTP + L2TP[:3], 5: PPTP[:1]}
                for changes, table in cases.items():
                        with self.subTest(changes=changes):
                                self.start_fake(table)
                                self.owned("PPTP", "L2TP")
                                self.write_config()
                                before = self.fake.stats()["total"]
                                res = self.portkeep("apply")
                                self.assertExit(res, 0)
                                self.assertTable(PPTP + L2TP)
                                got = self.fake.stats()["total"] - before
                                print("%s: %d change%s, %d requests" % (self.family, changes,
                                                                        "" if changes == 1 else "s", got))
                                self.assertEqual(got, self.REQUESTS[changes], self.fake.requests())
                                self.fake.stop()
                                os.unlink(os.path.join(self.tmp, "fake-port"))

        def test_an_entry_without_a_group_says_so(self):
                # above or under a group's entries, a blank cell would read as part of it
                self.start_fake([entry("", "udp", "51820", "192.168.11.9")] + PPTP)
                self.owned("PPTP", "L2TP")
                self.write_config()
                res = self.portkeep("show")
                self.assertExit(res, 0)
                self.assertRegex(res.out, r"\n   \(no group\)\s+udp\s+router\s+51820\s+192\.168\.11\.9")
                res = self.portkeep("plan")
                self.assertRegex(res.out, r"  \(no group\)  udp 51820 -> 192\.168\.11\.9:51820\n")

        def test_auto_detection_says_which_family(self):
                family = self.family
                self.start_fake(PPTP + L2TP)
                self.family = "auto"
                self.write_config()
                res = self.portkeep("-v", "plan")
                self.assertExit(res, 0)
                self.assertIn("firmware: auto detected %s from /login.html" % family, res.err)

        def test_second_apply_sends_no_form(self):
                self.start_fake(PPTP + L2TP)
                self.write_config()
                before = len(self.fake.posts())
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                self.assertEqual(len(self.fake.posts()), before, "an in-sync apply posted a change form")
                self.assertEqual(self.fake.stats()["events"].get("adds", 0), 0)
                self.assertTable(PPTP + L2TP)

        def test_dry_run_changes_nothing(self):
                self.start_fake()
                self.write_config()
                res = self.portkeep("apply", "--dry-run")
                self.assertExit(res, 2)
                self.assertEqual(self.fake.posts(), [])
                self.assertTable([])

        def test_drift_deleted_entry_is_repaired(self):
                self.start_fake(PPTP + L2TP)
                self.write_config()
                self.fake.set_table(PPTP + L2TP[:3])  # someone removed ESP by hand
                res = self.portkeep("plan")
                self.assertExit(res, 2)
                self.assertRegex(res.out, r"\+ L2TP\s+esp")
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                self.assertTable(PPTP + L2TP)

        def test_drift_altered_entry_is_replaced(self):
                altered = [dict(e) for e in PPTP]
                altered[0]["lan_ip"] = "192.168.11.99"
                self.start_fake(altered + L2TP)
                self.owned("PPTP", "L2TP")  # an earlier apply made these groups
                self.write_config()
                res = self.portkeep("plan")
                self.assertExit(res, 2)
                self.assertRegex(res.out, r"~ PPTP\s+tcp 1723 -> 192.168.11.3:1723")
                self.assertIn("192.168.11.99", res.out)
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                self.assertTable(PPTP + L2TP)

        def test_replace_lan_port(self):
                self.start_fake(PPTP + [entry("web", "tcp", "8443", "192.168.11.20", "8443")])
                self.owned("web")  # an earlier apply made this group
                self.write_config(VPN_CONFIG.split("  - name: L2TP")[0] + WEB)
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                self.assertTable(PPTP + [entry("web", "tcp", "8443", "192.168.11.20", "443")])

        def test_unmanaged_entries_survive(self):
                mine = entry("NAS", "tcp", "5001", "192.168.11.10")
                self.start_fake([mine])
                self.write_config()
                res = self.portkeep("plan")
                self.assertExit(res, 2)
                self.assertIn("NAS", res.out)  # listed apart, left alone
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                self.assertTable([mine] + PPTP + L2TP)
                res = self.portkeep("show")
                self.assertExit(res, 0)
                nas = [l for l in res.out.splitlines() if "NAS" in l][0]
                pptp = [l for l in res.out.splitlines() if "PPTP" in l][0]
                self.assertFalse(nas.startswith("*"), res.out)
                self.assertTrue(pptp.startswith("*"), res.out)

        def test_several_deletes_remove_the_right_rows(self):
                # Rows ids renumber after each delete on this fake: deleting by a
                # remembered id would remove the wrong rows.
                stale = [entry("L2TP", "udp", str(p)) for p in (7000, 7001, 7002)]
                keep = entry("NAS", "tcp", "5001", "192.168.11.10")
                self.start_fake(PPTP + stale[:2] + [keep] + L2TP + stale[2:])
                self.owned("PPTP", "L2TP")  # an earlier apply made these groups
                self.write_config()
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                self.assertEqual(res.err.count("deleted udp 700"), 3, repr(res))
                self.assertTable(PPTP + [keep] + L2TP)

        def test_max_deletes_guard(self):
                stale = [entry("L2TP", "udp", str(p)) for p in range(7000, 7004)]
                self.start_fake(PPTP + L2TP + stale)
                self.owned("PPTP", "L2TP")  # an earlier apply made these groups
                self.write_config(sync="  max_deletes: 3\n")
                res = self.portkeep("apply")
                self.assertExit(res, 3)
                self.assertIn("max_deletes", res.out + res.err)
                self.assertIn("--force", res.out + res.err)
                self.assertEqual(self.fake.posts(), [])
                self.assertTable(PPTP + L2TP + stale)
                res = self.portkeep("apply", "--force")
                self.assertExit(res, 0)
                self.assertTable(PPTP + L2TP)

        def test_guard_at_the_limit_passes(self):
                stale = [entry("L2TP", "udp", str(p)) for p in range(7000, 7003)]
                self.start_fake(PPTP + L2TP + stale)
                self.owned("PPTP", "L2TP")  # an earlier apply made these groups
                self.write_config(sync="  max_deletes: 3\n")
                self.assertExit(self.portkeep("apply"), 0)
                self.assertTable(PPTP + L2TP)

        def test_conflict_with_unmanaged_entry(self):
                # the conflict holds back only its own forward: the others
                # are applied and verified, and apply exits 3 naming both
                theirs = entry("Game", "tcp", "1723", "192.168.11.50")
                self.start_fake([theirs])
                self.write_config()
                res = self.portkeep("plan")
                self.assertExit(res, 2)
                self.assertIn("Game", res.out)
                res = self.portkeep("apply")
                self.assertExit(res, 3)
                self.assertIn("applied 5 changes; verified; 1 declared forward held back (exit 3)", res.out)
                self.assertIn("held back: tcp 1723 -> 192.168.11.3:1723 (group PPTP) (%s:" % self.config, res.err)
                self.assertIn("is held by the entry tcp 1723 -> 192.168.11.50:1723 (group Game)", res.err)
                self.assertIn("--force", res.err)
                self.assertTable([theirs] + PPTP[1:] + L2TP)
                # nothing else to do: still exit 3, nothing sent
                posts = len(self.fake.posts())
                res = self.portkeep("apply")
                self.assertExit(res, 3)
                self.assertEqual(len(self.fake.posts()), posts)
                res = self.portkeep("apply", "--force")
                self.assertExit(res, 0)
                self.assertTable(PPTP + L2TP)

        def test_prune_none_keeps_managed_leftovers(self):
                extra = entry("PPTP", "tcp", "1724")
                self.start_fake(PPTP + L2TP + [extra])
                self.owned("PPTP", "L2TP")  # an earlier apply made these groups
                self.write_config(sync="  prune: none\n")
                self.assertExit(self.portkeep("apply"), 0)
                self.assertTable(PPTP + L2TP + [extra])

        def test_prune_all_deletes_unmanaged(self):
                other = entry("NAS", "tcp", "5001", "192.168.11.10")
                self.start_fake(PPTP + L2TP + [other])
                self.write_config(sync="  prune: all\n")
                self.assertExit(self.portkeep("apply"), 0)
                self.assertTable(PPTP + L2TP)

        def test_show_json(self):
                import json
                self.start_fake(PPTP + [entry("NAS", "tcp", "5001", "192.168.11.10")])
                self.write_config()
                res = self.portkeep("--json", "show")
                self.assertExit(res, 0)
                doc = json.loads(res.out)
                self.assertEqual(doc["version"], 1)
                rows = {(f["group"], f["proto"], f["ports"], f["managed"]) for f in doc["forwards"]}
                self.assertEqual(rows, {("PPTP", "tcp", "1723", True), ("PPTP", "gre", None, True),
                                        ("NAS", "tcp", "5001", False)})

        def test_plan_json(self):
                import json
                self.start_fake(PPTP)
                self.write_config()
                res = self.portkeep("--json", "plan")
                self.assertExit(res, 2)
                doc = json.loads(res.out)
                self.assertFalse(doc["in_sync"])
                self.assertEqual(sorted((c["action"], c["proto"], c["ports"]) for c in doc["changes"]),
                                 [("add", "esp", None), ("add", "udp", "1701"), ("add", "udp", "4500"),
                                  ("add", "udp", "500")])


class Charsets(PortkeepTest):
        def test_japanese_group_round_trips_through_shift_jis(self):
                self.start_fake(args=["--charset", "shift_jis"])
                self.write_config("groups:\n  - name: VPN用\n    preset: pptp\n")
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                table = self.fake.table()
                self.assertEqual({e["group"] for e in table}, {"VPN用"})
                # The form carried the name in Shift_JIS: the fake decodes posts
                # as CP932, so UTF-8 bytes would arrive as other characters.
                adds = [r for r in self.fake.posts() if r["form"].get("nosave_add") == "1"]
                self.assertTrue(adds)
                self.assertIn("VPN用", adds[0]["form"].values())
                res = self.portkeep("plan")
                self.assertExit(res, 0)
                res = self.portkeep("show")
                self.assertIn("VPN用", res.out)

        def test_http09_router(self):
                self.start_fake(args=["--http09"])
                self.write_config()
                self.assertExit(self.portkeep("apply"), 0)
                self.assertTable(PPTP + L2TP)
                self.assertExit(self.portkeep("plan"), 0)


class Failures(PortkeepTest):
        def test_wrong_password(self):
                self.start_fake(PPTP, password="another-password")
                self.write_config()
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("パスワードが間違っています", res.err)
                self.assertIn(self.pwfile, res.err)
                self.assertEqual(self.fake.posts(), [])
                self.assertTable(PPTP)

        def test_router_unreachable(self):
                self.start_fake()
                self.write_config()
                self.fake.stop()
                res = self.portkeep("plan")
                self.assertExit(res, 1)
                self.assertIn("router.url", res.err)

        def test_unreadable_password_file_is_config_error(self):
                self.start_fake()
                self.write_config()
                os.unlink(self.pwfile)
                res = self.portkeep("plan")
                self.assertExit(res, 78)
                self.assertIn(self.pwfile, res.err)
                self.assertEqual(self.fake.stats()["total"], 0)

        def test_expired_session_logs_in_again(self):
                self.start_fake()
                self.write_config()
                self.fake.fail(fault="drop_session", action="add", skip=2, count=1)
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                self.assertTable(PPTP + L2TP)
                self.assertGreaterEqual(self.fake.stats()["events"]["logins_ok"], 2)

        def test_table_full_rolls_back(self):
                self.start_fake(args=["--max-entries", "4"])
                self.write_config()
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("これ以上登録できません", res.err)
                self.assertIn("rolled back", res.out + res.err)
                self.assertTable([])
                self.assertLoggedOut()

        def test_refused_value_names_forward_and_router_words(self):
                self.start_fake(PPTP)
                self.write_config()
                self.fake.fail(fault="refuse", message="入力値が不正です。", action="add", skip=1, count=1)
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("入力値が不正です。", res.err)
                self.assertRegex(res.err, r"udp (500|4500|1701)|esp")
                self.assertIn("rolled back", res.out + res.err)
                self.assertTable(PPTP)
                self.assertLoggedOut()

        def test_refused_delete_restores_what_was_deleted(self):
                stale = [entry("L2TP", "udp", str(p)) for p in (7000, 7001)]
                self.start_fake(PPTP + L2TP + stale)
                self.owned("PPTP", "L2TP")  # an earlier apply made these groups
                self.write_config()
                self.fake.fail(fault="refuse", message="削除できません。", action="delete", skip=1, count=1)
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("削除できません。", res.err)
                self.assertIn("rolled back", res.out + res.err)
                self.assertTable(PPTP + L2TP + stale)

        def test_http_500_during_changes_rolls_back(self):
                self.start_fake(PPTP)
                self.write_config()
                self.fake.fail(fault="http500", method="POST", path="/nat_reg.html", skip=2, count=1)
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("rolled back", res.out + res.err)
                self.assertTable(PPTP)

        def test_router_slower_than_timeout(self):
                self.start_fake(PPTP)
                self.write_config()
                self.fake.fail(fault="latency", ms=4000, path="/nat_reg.html", count=1)
                res = self.portkeep("plan")
                self.assertExit(res, 1)
                self.assertRegex(res.err, r"(?i)tim(e|ed) ?out")

        def test_truncated_page_is_not_an_empty_table(self):
                self.start_fake(PPTP + L2TP)
                self.write_config(sync="  prune: all\n")
                self.fake.fail(fault="truncate")
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("truncated", res.err)
                self.assertEqual(self.fake.posts(), [])
                self.assertTable(PPTP + L2TP)

        def test_add_acknowledged_but_not_stored_fails_verify(self):
                self.start_fake(PPTP)
                self.write_config()
                self.fake.fail(fault="ack_not_stored", count=1)
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertRegex(res.out + res.err, r"(?i)verif")
                # Reported as read: three of the four L2TP entries are there.
                self.assertEqual(len(self.fake.table()), len(PPTP) + 3)

        def test_factory_reset_router(self):
                # After a reset the password is back to the default: portkeep must
                # say the login was rejected, not send anything.
                self.start_fake(PPTP + L2TP)
                self.write_config()
                self.fake.fail(fault="wipe", now=True)
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("パスワードが間違っています", res.err)
                self.assertTable([])


        def test_a_redirect_elsewhere_is_not_followed(self):
                # The login form (with the password, or its MD5) must reach no
                # other host, whatever the router answers; nor a GET go there.
                for status, action, method in ((307, "login", "POST"), (308, "login", "POST"), (302, "login", "POST"),
                                               (302, "read", "GET"), (307, "read", "GET")):
                        with self.subTest(status=status, action=action):
                                d = os.path.join(self.tmp, "other-%d-%s" % (status, action))
                                os.makedirs(d)
                                other = Fake(d)
                                try:
                                        self.start_fake(PPTP)
                                        self.write_config()
                                        self.fake.fail(fault="redirect", status=status, action=action,
                                                       to=other.url + "/steal")
                                        res = self.portkeep("apply")
                                        self.assertExit(res, 1)
                                        self.assertEqual(other.stats()["total"], 0,
                                                         "portkeep sent a request to the other host")
                                        if method == "GET":
                                                self.assertIn("the router redirected to '%s/steal', which is not the "
                                                              "router; not followed" % other.url, res.err)
                                        self.assertTable(PPTP)
                                finally:
                                        other.stop()
                                        self.fake.stop()
                                        os.unlink(os.path.join(self.tmp, "fake-port"))


class Ownership(PortkeepTest):
        """portkeep remembers the groups it applied and verified (a record in
        $STATE_DIRECTORY): what is removed from the file goes, what it never
        made is not taken without --force."""

        def record(self):
                with open(os.path.join(self.state, os.listdir(self.state)[0])) as f:
                        return [line[6:].rstrip("\n") for line in f if line.startswith("GROUP=")]

        def test_a_removed_group_is_deleted_with_its_reason(self):
                self.start_fake()
                self.write_config()
                self.assertExit(self.portkeep("apply"), 0)
                self.assertEqual(self.record(), ["PPTP", "L2TP"])
                self.write_config(VPN_CONFIG.split("  - name: L2TP")[0])
                res = self.portkeep("plan")
                self.assertExit(res, 2)
                self.assertIn("- L2TP  udp 500 -> 192.168.11.3:500  (group L2TP is no longer in the file)", res.out)
                self.assertEqual(res.out.count("(group L2TP is no longer in the file)"), 4, res.out)
                res = self.portkeep("--json", "plan")
                changes = json.loads(res.out)["changes"]
                self.assertEqual([c["reason"] for c in changes], ["group L2TP is no longer in the file"] * 4)
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                self.assertTable(PPTP)
                self.assertEqual(self.record(), ["PPTP"])
                self.assertExit(self.portkeep("plan"), 0)

        def test_a_removed_group_counts_toward_max_deletes(self):
                self.start_fake()
                self.write_config()
                self.assertExit(self.portkeep("apply"), 0)
                self.write_config(VPN_CONFIG.split("  - name: L2TP")[0], sync="  max_deletes: 3\n")
                res = self.portkeep("apply")
                self.assertExit(res, 3)
                self.assertIn("the plan deletes 4 entries", res.err)
                self.assertTable(PPTP + L2TP)
                self.assertEqual(self.record(), ["PPTP", "L2TP"])  # not verified: kept

        def test_without_the_record_a_group_not_in_the_file_is_left(self):
                self.start_fake(PPTP + L2TP)
                self.write_config(VPN_CONFIG.split("  - name: L2TP")[0])
                res = self.portkeep("plan")
                self.assertExit(res, 0)
                self.assertIn("4 unmanaged left alone", res.out)
                self.assertIn("declare it with 'forwards: []'", res.out)
                # which removes it
                self.write_config(VPN_CONFIG.split("  - name: L2TP")[0] + "  - name: L2TP\n    forwards: []\n")
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                self.assertTable(PPTP)

        def test_first_adoption_leaves_hand_made_entries(self):
                # hand-made entries of a group the file declares, portkeep never
                # having applied it: the matching ones are adopted, the others
                # are not portkeep's to delete
                theirs = [entry("PPTP", "tcp", "8080", "192.168.11.50"), entry("PPTP", "tcp", "3389", "192.168.11.51")]
                self.start_fake(theirs + PPTP)
                self.write_config()
                res = self.portkeep("plan")
                self.assertExit(res, 2)
                self.assertIn("not created by portkeep, left alone", res.out)
                self.assertIn("? PPTP  tcp 8080 -> 192.168.11.50:8080", res.out)
                self.assertEqual(len(json.loads(self.portkeep("--json", "plan").out)["not_created_by_portkeep"]), 2)
                res = self.portkeep("apply")
                self.assertExit(res, 3)
                self.assertIn("applied 4 changes; verified", res.out)
                self.assertIn("tcp 8080 -> 192.168.11.50:8080 (group PPTP) was not created by portkeep", res.err)
                self.assertIn("--force", res.err)
                self.assertTable(theirs + PPTP + L2TP)
                self.assertEqual(self.record(), ["L2TP"])  # PPTP is not portkeep's yet
                res = self.portkeep("apply")
                self.assertExit(res, 3)  # still left, and said
                res = self.portkeep("apply", "--force")
                self.assertExit(res, 0)
                self.assertTable(PPTP + L2TP)
                self.assertEqual(self.record(), ["PPTP", "L2TP"])

        def test_first_adoption_of_exactly_matching_entries_is_silent(self):
                self.start_fake(PPTP + L2TP)
                self.write_config()
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                self.assertEqual(self.record(), ["PPTP", "L2TP"])

        def test_status_lists_recorded_groups(self):
                # the one-shot apply leaves no daemon state; the daemon's does
                self.start_fake(PPTP + L2TP)
                self.write_config(sync="  interval: 1h\n")
                env = dict(os.environ, RUNTIME_DIRECTORY=self.runtime, STATE_DIRECTORY=self.state, no_proxy="*")
                env.pop("NOTIFY_SOCKET", None)
                d = subprocess.Popen([os.path.abspath(PORTKEEP), "-c", self.config, "run"], env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                try:
                        deadline = time.monotonic() + 10
                        while time.monotonic() < deadline:
                                res = self.portkeep("status")
                                if "recorded:" in res.out:
                                        break
                                time.sleep(0.1)
                        self.assertIn("recorded:  PPTP, L2TP (the groups portkeep applied)", res.out)
                        st = json.loads(self.portkeep("--json", "status").out)
                        self.assertEqual(st["recorded_groups"], ["PPTP", "L2TP"])
                finally:
                        d.terminate()
                        d.communicate(timeout=10)

        def test_show_marks_recorded_groups(self):
                self.start_fake(PPTP + L2TP)
                self.write_config()
                self.assertExit(self.portkeep("apply"), 0)
                self.write_config(VPN_CONFIG.split("  - name: L2TP")[0])
                res = self.portkeep("show")
                self.assertIn("recorded: PPTP, L2TP", res.out)


class Signals(PortkeepTest):
        """SIGTERM, SIGINT or SIGHUP while a one-shot pass runs: the request
        in flight is abandoned, what the pass changed is undone, and portkeep
        says what the table is; 128 + the signal only when nothing changed."""

        SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

        def wait_event(self, name, p, timeout=10.0):
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                        if self.fake.stats()["events"].get(name, 0) > 0:
                                return
                        if p.poll() is not None:
                                break
                        time.sleep(0.02)
                p.kill()
                self.fail("the fake never saw %s: %r" % (name, self.portkeep_wait(p)))

        def interrupted(self, sig, *args):
                p = self.portkeep_start(*args)
                self.wait_event("fault_latency", p)
                time.sleep(0.2)  # the request is in flight
                t = time.monotonic()
                p.send_signal(sig)
                res = self.portkeep_wait(p)
                return res, time.monotonic() - t

        def test_during_a_replace_the_delete_is_undone(self):
                # The VPN router moved to .3: tcp 1723 is replaced (deleted,
                # then added). The router makes the add but its reply is late.
                moved = [entry("PPTP", "tcp", "1723", lan_ip="192.168.11.4"), PPTP[1]] + L2TP
                for sig in self.SIGNALS:
                        with self.subTest(signal=sig.name):
                                self.start_fake(moved)
                                self.owned("PPTP", "L2TP")
                                self.write_config()
                                self.fake.fail(fault="latency", ms=8000, after=True, method="POST", action="add",
                                               count=1)
                                res, took = self.interrupted(sig, "apply")
                                self.assertExit(res, 1)
                                self.assertLess(took, 8, "portkeep waited for the late reply")
                                self.assertIn("%s: stopped during the changes: interrupted while adding tcp 1723 -> "
                                              "192.168.11.3:1723 (group PPTP)" % signal.strsignal(sig), res.err)
                                self.assertIn("rolled back: the router's table is as it was before this pass", res.err)
                                self.assertTable(moved)
                                self.assertLoggedOut()
                                self.fake.stop()
                                os.unlink(os.path.join(self.tmp, "fake-port"))

        def test_before_any_change_nothing_is_changed(self):
                for sig in self.SIGNALS:
                        for verb in (("apply",), ("plan",), ("show",)):
                                with self.subTest(signal=sig.name, verb=verb):
                                        self.start_fake(PPTP)
                                        self.write_config()
                                        self.fake.fail(fault="latency", ms=8000, method="GET", path="/nat_reg.html")
                                        res, took = self.interrupted(sig, *verb)
                                        self.assertExit(res, 128 + sig)
                                        self.assertLess(took, 8)
                                        self.assertIn("%s: stopped" % signal.strsignal(sig), res.err)
                                        self.assertIn("nothing was changed", res.err)
                                        self.assertEqual(res.out, "")
                                        self.assertTable(PPTP)
                                        self.assertLoggedOut()
                                        self.fake.stop()
                                        os.unlink(os.path.join(self.tmp, "fake-port"))

        def test_the_undo_cut_short_says_the_table_is_unknown(self):
                # the add is made, its reply late; every read after it hangs
                # past the grace (10 s), so the undo cannot be verified
                moved = [entry("PPTP", "tcp", "1723", lan_ip="192.168.11.4"), PPTP[1]] + L2TP
                self.start_fake(moved)
                self.owned("PPTP", "L2TP")
                self.write_config()
                self.fake.fail(fault="latency", ms=30000, after=True, method="POST", action="add", count=1)
                p = self.portkeep_start("apply")
                self.wait_event("fault_latency", p)
                self.fake.fail(fault="latency", ms=30000, method="GET", path="/nat_reg.html")
                time.sleep(0.2)
                t = time.monotonic()
                p.send_signal(signal.SIGTERM)
                res = self.portkeep_wait(p)
                self.assertExit(res, 1)
                self.assertLess(time.monotonic() - t, 15)
                self.assertIn("interrupted while adding tcp 1723 -> 192.168.11.3:1723 (group PPTP)", res.err)
                self.assertIn("could not read the table afterwards", res.err)
                self.assertIn("its state is unknown", res.err)
                self.assertIn("run 'portkeep show' once it answers", res.err)


class Cli(PortkeepTest):
        """The conventions of the command line: messages that start with
        'portkeep:' and say what was probably meant, a command's own help."""

        def test_typos_are_usage_errors_that_suggest(self):
                self.write_config()
                for args, words in ((("plna",), "portkeep: unknown command 'plna': did you mean 'plan'?"),
                                    (("--frce", "apply"), "portkeep: unknown option '--frce': did you mean '--force'?"),
                                    (("--confirm=2m", "plan"), "--force, --dry-run and --confirm go with 'apply'"),
                                    (("-x", "plan"), "portkeep: unknown option '-x'"),
                                    (("plan", "-c"), "portkeep: option '-c' needs a value"),
                                    (("-vq", "plan"), "portkeep: -v and -q contradict each other"),
                                    (("help", "aply"), "portkeep: unknown command 'aply': did you mean 'apply'?")):
                        with self.subTest(args=args):
                                res = self.portkeep(*args)
                                self.assertExit(res, 64)
                                self.assertTrue(res.err.startswith(words) or words in res.err, res.err)
                                self.assertNotIn("/", res.err.split(":")[0])  # not the binary's path
                                self.assertEqual(res.out, "")

        def test_check_for_a_pre_commit_hook(self):
                good = self.write_config()
                bad = os.path.join(self.tmp, "bad.yaml")
                with open(bad, "w") as f:
                        f.write("version: 1\nrouter:\n  driver: airstation\n  url: http://127.0.0.1:9\n"
                                "  password_file: /dev/null\ngroups:\n  - name: x\n    preset: ppt\n")
                # several files: each is checked, 78 when one is invalid
                res = self.portkeep("check", good, bad)
                self.assertExit(res, 78)
                self.assertIn("%s: configuration OK" % good, res.out)
                self.assertIn("%s:8:13: unknown preset 'ppt': did you mean 'pptp'?" % bad, res.err)
                # -q: nothing on success
                res = self.portkeep("-q", "check", good)
                self.assertExit(res, 0)
                self.assertEqual(res.out + res.err, "")
                # '-': standard input, as 'git show :portkeep.yaml | portkeep check -'
                with open(bad, "rb") as f:
                        p = subprocess.run(self.portkeep_argv(["check", "-"]), env=self.portkeep_env(), stdin=f,
                                           capture_output=True, text=True)
                self.assertEqual(p.returncode, 78, p.stderr)
                self.assertIn("<stdin>:8:13: unknown preset 'ppt'", p.stderr)
                with open(good, "rb") as f:
                        p = subprocess.run(self.portkeep_argv(["check", "-"]), env=self.portkeep_env(), stdin=f,
                                           capture_output=True, text=True)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("<stdin>: configuration OK", p.stdout)

        def test_a_commands_help(self):
                self.write_config()
                for args in (("apply", "--help"), ("help", "apply"), ("-h", "apply")):
                        with self.subTest(args=args):
                                res = self.portkeep(*args)
                                self.assertExit(res, 0)
                                self.assertTrue(res.out.startswith(
                                        "Usage: portkeep [-c FILE] [--json] [-v|-q] apply [--force] [--dry-run] "
                                        "[--confirm DURATION]\n\napply: plan, apply, verify.\n"), res.out)
                                self.assertIn("--confirm DURATION", res.out)
                res = self.portkeep("help")
                self.assertExit(res, 0)
                self.assertIn("Commands:", res.out)


class UpnpDriverMissing(PortkeepTest):
        """A upnp file where the driver is not in the build: every verb that
        needs it exits 1 with one line saying so, and check validates the
        file; UPnP has no login, so no password. With and without url: (the
        lock is named without one). .ci/run runs this in a build with
        -Dupnp=disabled; a build with the driver checks that a url where no
        IGD answers is one line too (discovery is for the lab's namespaces
        only, never this host's network)."""

        def upnp_file(self, url):
                path = os.path.join(self.tmp, "upnp.yaml")
                with open(path, "w") as f:
                        f.write("version: 1\nrouter:\n  driver: upnp\n%s"
                                "defaults:\n  lan_ip: 192.168.11.3\ngroups:\n  - name: web\n"
                                "    forwards:\n      - { proto: tcp, port: 8443 }\n" % (
                                        "  url: %s\n" % url if url else ""))
                return path

        def check_verbs(self, path, want):
                self.assertExit(self.portkeep("check", path, config=path), 0)
                verbs = [("plan",), ("apply",), ("apply", "--dry-run"), ("show",), ("export",)]
                if not UPNP_BUILT:
                        verbs.append(("run",))  # the daemon would retry a router that does not answer
                for verb in verbs:
                        with self.subTest(verb=verb):
                                res = self.portkeep(*verb, config=path, timeout=20)
                                self.assertExit(res, 1)
                                lines = [line for line in res.err.splitlines() if line.strip()]
                                self.assertEqual(len(lines), 1, repr(res.err))
                                self.assertIn(want, lines[0])
                                self.assertEqual(res.out, "")

        def test_with_url(self):
                path = self.upnp_file("http://127.0.0.1:9/rootDesc.xml")
                if UPNP_BUILT:
                        self.check_verbs(path, "no UPnP IGD description at http://127.0.0.1:9/rootDesc.xml")
                else:
                        self.check_verbs(path, "%s: the upnp driver is not in this build" % path)

        def test_without_url(self):
                path = self.upnp_file(None)
                if UPNP_BUILT:
                        self.assertExit(self.portkeep("check", path, config=path), 0)
                        self.skipTest("discovery runs in the lab's namespaces only (test-upnp-lab)")
                self.check_verbs(path, "%s: the upnp driver is not in this build" % path)
                self.assertIn("libminiupnpc-dev", self.portkeep("plan", config=path).err)


if __name__ == "__main__":
        main()
