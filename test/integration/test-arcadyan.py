#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The real portkeep binary against the fake AirStation, arcadyan family
(the seed's WSR-2533DHPL).

The cases of test-nosave.py (apply, idempotence, drift, unmanaged entries,
deletes, guards, failures and rollback) run here again with the family as a
parameter: the classes are taken from that module and re-based on
ArcadyanMixin; the few whose assertions name nosave's own pages or words are
overridden with this family's. Then what only this family has: tcp/udp as a
tcp and a udp entry (never "both"), a hand-made "both" read as both halves,
vacated slots disabled, PPPoE entries left alone, success only as the 302 to
Success.htm, gre/esp written either way, the 32-entry limit, disabled entries kept,
the UNCONFIRMED names overridable from the config, auto detection."""

import http.server
import importlib.util
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import L2TP, PPTP, VPN_CONFIG, Fake, PortkeepTest, entry, main  # noqa: E402

_spec = importlib.util.spec_from_file_location("nosave_cases", os.path.join(HERE, "test-nosave.py"))
nosave_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nosave_cases)

APPLY = "/apply_abstract.cgi"
PAGE = "/forwarding.html"
JS = "/cgi/cgi_forwarding.js"


class ArcadyanFake(Fake):
        def posts(self):
                """Change forms: apply_abstract.cgi posts (each the whole list)."""
                return [r for r in self.requests() if r["method"] == "POST" and r["path"] == APPLY]


class ArcadyanMixin:
        family = "arcadyan"

        def start_fake(self, table=(), args=(), **kw):
                self.fake = ArcadyanFake(self.tmp, table, args=["--family", "arcadyan"] + list(args), **kw)
                self.addCleanup(self.fake.stop)
                return self.fake


# ---- the shared cases ----


class Apply(ArcadyanMixin, nosave_cases.Apply):
        # one write for any number of changes: the list is read afresh right
        # before it (2), written (1), read back (2): the floor while a write
        # of the whole list must start from a fresh read (doc/benchmarks.md)
        REQUESTS = {0: 6, 1: 11, 5: 11}


class Ownership(ArcadyanMixin, nosave_cases.Ownership):
        pass


class Failures(ArcadyanMixin, nosave_cases.Failures):
        def test_wrong_password(self):
                self.start_fake(PPTP, password="another-password")
                self.write_config()
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("rejected the login", res.err)
                self.assertIn(self.pwfile, res.err)
                self.assertEqual(self.fake.posts(), [])
                self.assertTable(PPTP)

        def test_table_full_rolls_back(self):
                self.start_fake(args=["--max-entries", "4"])
                self.write_config()
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("登録数の上限", res.err)
                self.assertIn("rolled back", res.out + res.err)
                self.assertTable([])
                self.assertLoggedOut()

        # A pass's changes are one write here: the faults hit that write.

        def test_http_500_during_changes_rolls_back(self):
                self.start_fake(PPTP)
                self.write_config()
                self.fake.fail(fault="http500", method="POST", path=APPLY, count=1)
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("rolled back", res.out + res.err)
                self.assertIn("nothing was changed", res.err)
                self.assertEqual(len(self.fake.posts()), 1)  # no undo write
                self.assertTable(PPTP)

        def test_expired_session_logs_in_again(self):
                self.start_fake()
                self.write_config()
                self.fake.fail(fault="drop_session", action="add", count=1)
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                self.assertTable(PPTP + L2TP)
                self.assertGreaterEqual(self.fake.stats()["events"]["logins_ok"], 2)
                # the first post met the login page; the list was read and
                # written again after the new login
                self.assertEqual(len(self.fake.posts()), 2)

        def test_refused_value_names_forward_and_router_words(self):
                self.start_fake(PPTP)
                self.write_config()
                self.fake.fail(fault="refuse", message="入力値が不正です。", action="add", count=1)
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("入力値が不正です。", res.err)
                self.assertIn("the router refused the write of 4 changes (adding udp 500", res.err)
                self.assertIn("rolled back", res.out + res.err)
                self.assertEqual(len(self.fake.posts()), 1)
                self.assertTable(PPTP)
                self.assertLoggedOut()

        def test_refused_delete_restores_what_was_deleted(self):
                stale = [entry("L2TP", "udp", str(p)) for p in (7000, 7001)]
                self.start_fake(PPTP + L2TP + stale)
                self.owned("PPTP", "L2TP")  # an earlier apply made these groups
                self.write_config()
                self.fake.fail(fault="refuse", message="削除できません。", action="delete", count=1)
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("削除できません。", res.err)
                self.assertIn("deleting udp 7000", res.err)
                self.assertIn("rolled back", res.out + res.err)
                self.assertEqual(len(self.fake.posts()), 1)
                self.assertTable(PPTP + L2TP + stale)

        def test_add_acknowledged_but_not_stored_fails_verify(self):
                self.start_fake(PPTP)
                self.write_config()
                self.fake.fail(fault="ack_not_stored", count=1)
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("verify failed: the router acknowledged 4 changes", res.err)
                self.assertEqual(res.err.count("missing "), 4, repr(res))
                # the one write was lost whole: the table as read is printed
                self.assertIn("The router's table as read now", res.out)
                self.assertTable(PPTP)

        def test_router_slower_than_timeout(self):
                self.start_fake(PPTP)
                self.write_config()
                self.fake.fail(fault="latency", ms=4000, path=JS, count=1)
                res = self.portkeep("plan")
                self.assertExit(res, 1)
                self.assertRegex(res.err, r"(?i)tim(e|ed) ?out")

        def test_factory_reset_router(self):
                self.start_fake(PPTP + L2TP)
                self.write_config()
                self.fake.fail(fault="wipe", now=True)
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("rejected the login", res.err)
                self.assertTable([])


# ---- this family only ----


def apply_forms(fake):
        return [r["form"] for r in fake.posts()]


class Family(ArcadyanMixin, PortkeepTest):
        def test_motivating_setup_from_empty(self):
                # conf/portkeep.yaml's groups: PPTP + L2TP/IPsec, GRE and ESP
                # included, aimed at 192.168.11.3
                self.start_fake()
                self.write_config()
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                self.assertTable(PPTP + L2TP)
                last = apply_forms(self.fake)[-1]
                self.assertEqual(last["ARC_NAT_PORTMAP_MaxNum"], "6")
                protos = [last["ARC_NAT_PORTMAP_%d_Proto" % i] for i in range(6)]
                self.assertEqual(protos, ["tcp", "47", "udp", "udp", "udp", "50"])
                self.assertEqual({last["ARC_NAT_PORTMAP_%d_PrivateIP" % i] for i in range(6)}, {"192.168.11.3"})
                self.assertEqual(last["action"], "ui_firewall")
                self.assertEqual(last["submit_button"], "forwarding.html")
                self.assertEqual(last["action_params"], "blink_time=5")
                self.assertLoggedOut()
                self.assertExit(self.portkeep("plan"), 0)

        def test_tcp_udp_is_a_tcp_and_a_udp_entry(self):
                # "both" would reach iptables -p; the fake refuses it
                self.start_fake()
                self.write_config("groups:\n  - name: game\n    forwards:\n"
                                  "      - { proto: tcp/udp, port: 27015-27030, lan_port: 37015-37030 }\n")
                self.assertExit(self.portkeep("apply"), 0)
                self.assertTable([entry("game", "tcp", "27015-27030", lan_ports="37015-37030"),
                                  entry("game", "udp", "27015-27030", lan_ports="37015-37030")])
                form = apply_forms(self.fake)[-1]
                self.assertEqual(form["ARC_NAT_PORTMAP_MaxNum"], "2")
                self.assertEqual([form["ARC_NAT_PORTMAP_%d_Proto" % i] for i in range(2)], ["tcp", "udp"])
                self.assertEqual((form["ARC_NAT_PORTMAP_0_PublicPortStart"], form["ARC_NAT_PORTMAP_0_PublicPortEnd"],
                                  form["ARC_NAT_PORTMAP_0_PrivatePortStart"], form["ARC_NAT_PORTMAP_0_PrivatePortEnd"]),
                                 ("27015", "27030", "37015", "37030"))
                self.assertNotIn("proto_both_refused", self.fake.stats()["events"])
                self.assertExit(self.portkeep("plan"), 0)

        def test_hand_made_both_is_in_sync_and_not_rewritten(self):
                both = dict(entry("game", "tcp/udp", "27015"), stored_as="both")
                self.start_fake([both])
                self.write_config("groups:\n  - name: game\n    forwards:\n"
                                  "      - { proto: tcp/udp, port: 27015 }\n")
                res = self.portkeep("plan")
                self.assertExit(res, 0)
                self.assertIn("in sync", res.out)
                self.assertExit(self.portkeep("apply"), 0)
                self.assertEqual(self.fake.posts(), [])
                self.assertEqual([e.get("stored_as") for e in self.fake.table()], ["both"])

        def test_hand_made_both_is_written_as_two_entries_with_a_change(self):
                both = dict(entry("game", "tcp/udp", "27015"), stored_as="both")
                self.start_fake([both])
                self.write_config("groups:\n  - name: game\n    forwards:\n"
                                  "      - { proto: tcp/udp, port: 27015 }\n" + VPN_CONFIG.split("groups:\n")[1])
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                form = apply_forms(self.fake)[-1]
                n = int(form["ARC_NAT_PORTMAP_MaxNum"])
                self.assertEqual(n, 8)
                protos = [form["ARC_NAT_PORTMAP_%d_Proto" % i] for i in range(n)]
                self.assertNotIn("both", protos)
                self.assertEqual(protos[:2], ["tcp", "udp"])
                self.assertTable([entry("game", "tcp", "27015"), entry("game", "udp", "27015")] + PPTP + L2TP)
                self.assertExit(self.portkeep("plan"), 0)

        def test_half_of_a_hand_made_both_removed(self):
                both = dict(entry("game", "tcp/udp", "27015"), stored_as="both")
                self.start_fake([both])
                self.owned("game")  # an earlier apply made this group
                self.write_config("groups:\n  - name: game\n    forwards:\n"
                                  "      - { proto: udp, port: 27015 }\n")
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                self.assertIn("deleted tcp 27015", res.err)
                self.assertTable([entry("game", "udp", "27015")])
                form = apply_forms(self.fake)[-1]
                self.assertEqual((form["ARC_NAT_PORTMAP_MaxNum"], form["ARC_NAT_PORTMAP_0_Proto"]), ("1", "udp"))

        def test_delete_posts_the_vacated_slot_disabled(self):
                web = [entry("web", "tcp", str(8440 + i), "192.168.11.20", wan="203.0.113.%d" % (5 + i))
                       for i in range(3)]
                self.start_fake(web)
                self.owned("web")  # an earlier apply made this group
                self.assertEqual(self.fake.stats()["wan_aliases"], ["203.0.113.5", "203.0.113.6", "203.0.113.7"])
                self.write_config("groups:\n  - name: web\n    lan_ip: 192.168.11.20\n    forwards:\n"
                                  "      - { proto: tcp, port: 8440, wan: 203.0.113.5 }\n"
                                  "      - { proto: tcp, port: 8442, wan: 203.0.113.7 }\n")
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                self.assertIn("deleted tcp 203.0.113.6:8441", res.err)
                forms = apply_forms(self.fake)
                self.assertEqual(len(forms), 1)
                form = forms[0]
                self.assertEqual(form["ARC_NAT_PORTMAP_MaxNum"], "2")
                self.assertEqual([form["ARC_NAT_PORTMAP_%d_PublicIP" % i] for i in range(2)],
                                 ["203.0.113.5", "203.0.113.7"])
                fields = ("Enable", "GroupName", "PublicIPType", "PublicIP", "PrivateIP", "Proto",
                          "PublicPortStart", "PublicPortEnd", "PrivatePortStart", "PrivatePortEnd")
                self.assertEqual({k: form["ARC_NAT_PORTMAP_2_" + k] for k in fields},
                                 dict({k: "" for k in fields}, Enable="0"))
                self.assertNotIn("ARC_NAT_PORTMAP_3_Enable", form)
                self.assertTable([web[0], web[2]])
                # no WAN alias left behind by the vacated slot
                self.assertEqual(self.fake.stats()["wan_aliases"], ["203.0.113.5", "203.0.113.7"])

        def test_pppoe_entry_survives_a_pass_untouched(self):
                pppoe = entry("PPTP", "tcp", "8080", "192.168.11.30", wan="pppoe1")
                self.start_fake([pppoe] + PPTP)
                self.write_config()  # PPTP is a managed group; L2TP to add
                res = self.portkeep("plan")
                self.assertExit(res, 2)
                self.assertIn("tcp pppoe1:8080 -> 192.168.11.30:8080", res.out)
                self.assertNotIn("- PPTP", res.out)
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                form = apply_forms(self.fake)[-1]
                self.assertEqual((form["ARC_NAT_PORTMAP_0_PublicIPType"], form["ARC_NAT_PORTMAP_0_PublicIP"],
                                  form["ARC_NAT_PORTMAP_0_PublicPortStart"]), ("3", "", "8080"))
                self.assertTable([pppoe] + PPTP + L2TP)
                self.assertIn("pppoe1", self.portkeep("show").out)
                res = self.portkeep("plan", "--json")
                self.assertExit(res, 0)
                self.assertIn('"wan":"pppoe1"', res.out.replace(" ", ""))

        def test_success_is_the_redirect_to_success_htm_only(self):
                self.start_fake(PPTP)
                self.write_config()
                self.fake.fail(fault="answer_200", count=1)
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("answered with the page 'ERROR', not a redirect to /Success.htm", res.err)
                self.assertTable(PPTP)

        def test_red_text_in_a_200_is_a_refusal(self):
                self.start_fake(PPTP)
                self.write_config()
                self.fake.fail(fault="refuse", message="設定に失敗しました。", count=1)
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("設定に失敗しました。", res.err)
                self.assertTable(PPTP)

        def test_manual_wan_and_same_as_public_ports(self):
                self.start_fake([entry("web", "tcp", "8443", "192.168.11.20", wan="203.0.113.5")])
                self.write_config("groups:\n  - name: web\n    lan_ip: 192.168.11.20\n    forwards:\n"
                                  "      - { proto: tcp, port: 8443, wan: 203.0.113.5 }\n")
                # the fake shows PrivatePort 0/0 ("same as public"): in sync
                self.assertExit(self.portkeep("plan"), 0)
                self.write_config("groups:\n  - name: web\n    lan_ip: 192.168.11.20\n    forwards:\n"
                                  "      - { proto: tcp, port: 8443, wan: 203.0.113.5 }\n"
                                  "      - { proto: udp, port: 9000-9009, wan: 203.0.113.5, lan_port: 19000-19009 }\n")
                self.assertExit(self.portkeep("apply"), 0)
                form = apply_forms(self.fake)[-1]
                self.assertEqual((form["ARC_NAT_PORTMAP_1_PublicIPType"], form["ARC_NAT_PORTMAP_1_PublicIP"]),
                                 ("0", "203.0.113.5"))
                self.assertTable([entry("web", "tcp", "8443", "192.168.11.20", wan="203.0.113.5"),
                                  entry("web", "udp", "9000-9009", "192.168.11.20", "19000-19009",
                                        wan="203.0.113.5")])

        def test_gre_esp_written_as_names_are_read(self):
                self.start_fake(PPTP + L2TP)
                self.fake.config(proto_style="name")
                self.write_config()
                res = self.portkeep("plan")
                self.assertExit(res, 0)
                self.assertIn("in sync", res.out)

        def test_japanese_group(self):
                self.start_fake()
                self.write_config("groups:\n  - name: VPN用\n    preset: pptp\n")
                self.assertExit(self.portkeep("apply"), 0)
                self.assertEqual({e["group"] for e in self.fake.table()}, {"VPN用"})
                self.assertExit(self.portkeep("plan"), 0)
                self.assertIn("VPN用", self.portkeep("show").out)

        def test_delete_reindexes_the_rest(self):
                nas = entry("NAS", "tcp", "5001", "192.168.11.10")
                stale = entry("PPTP", "tcp", "1724")
                self.start_fake([stale, nas] + PPTP)
                self.owned("PPTP", "L2TP")  # an earlier apply made these groups
                self.write_config(VPN_CONFIG.split("  - name: L2TP")[0])
                self.assertExit(self.portkeep("apply"), 0)
                self.assertTable([nas] + PPTP)
                form = apply_forms(self.fake)[-1]
                self.assertEqual(form["ARC_NAT_PORTMAP_MaxNum"], "3")
                # the entries kept their order, moved down one index
                self.assertEqual([form["ARC_NAT_PORTMAP_%d_GroupName" % i] for i in range(3)], ["PPTP", "PPTP", "NAS"])

        def test_disabled_entries_are_kept(self):
                old = entry("Old", "tcp", "8080", "192.168.11.30")
                self.start_fake([old])
                self.fake.config(disabled_groups=["Old"])
                self.write_config()
                res = self.portkeep("show")
                self.assertNotIn("Old", res.out)  # not a forward
                self.assertExit(self.portkeep("apply"), 0)
                form = apply_forms(self.fake)[-1]
                self.assertEqual((form["ARC_NAT_PORTMAP_0_GroupName"], form["ARC_NAT_PORTMAP_0_Enable"]), ("Old", "0"))
                self.assertTable([old] + PPTP + L2TP)

        def test_32_entry_limit_refused_before_sending(self):
                fill = [entry("Fill", "udp", str(10000 + i), "192.168.11.40") for i in range(31)]
                self.start_fake(fill)
                self.write_config(VPN_CONFIG.split("  - name: L2TP")[0])
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                # the add past the limit is named; the pass's list is never sent
                self.assertIn("table is full: cannot add gre -> 192.168.11.3 (group PPTP)", res.err)
                self.assertIn("31 of its 32 entries in use, disabled ones included; 33 needed", res.err)
                self.assertIn("nothing was changed", res.err)
                self.assertIn("rolled back", res.out + res.err)
                self.assertEqual(self.fake.posts(), [])
                self.assertTable(fill)

        def test_full_table_sends_nothing(self):
                fill = [entry("Fill", "udp", str(10000 + i), "192.168.11.40") for i in range(32)]
                self.start_fake(fill)
                self.write_config(VPN_CONFIG.split("  - name: L2TP")[0])
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("table is full: cannot add tcp 1723", res.err)
                self.assertIn("32 of its 32 entries in use", res.err)
                self.assertEqual(self.fake.posts(), [])
                self.assertTable(fill)

        def test_long_group_name_under_auto_sends_nothing(self):
                # With firmware: auto, check cannot know the family; the 15-byte
                # limit applies after login, before the first change.
                self.start_fake()
                self.family = "auto"
                self.write_config(VPN_CONFIG + "  - name: VPN用のグループ\n    forwards:\n"
                                  "      - { proto: tcp, port: 8443 }\n")
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("cannot store tcp 8443", res.err)
                self.assertIn("at most 15", res.err)
                self.assertIn("nothing was changed", res.err)
                self.assertEqual(self.fake.posts(), [])
                self.assertTable([])
                self.assertLoggedOut()

        def test_page_and_action_overridable(self):
                self.start_fake()
                self.fake.config(page="portfw", action="ui_portfw")
                self.write_config()
                res = self.portkeep("plan")
                self.assertExit(res, 1)  # the built-in name is not this router's
                self.assertIn("router.airstation.page", res.err)
                self.write_config(router_extra="  airstation:\n    page: portfw\n    action: ui_portfw\n")
                self.assertExit(self.portkeep("apply"), 0)
                self.assertTable(PPTP + L2TP)
                self.assertEqual({f["submit_button"] for f in apply_forms(self.fake)}, {"portfw.html"})

        def test_confirm_without_an_answer_restores_in_one_write(self):
                nas = entry("NAS", "tcp", "5001", "192.168.11.10")
                self.start_fake([nas])
                self.write_config()
                res = self.portkeep("apply", "--confirm", "2s")
                self.assertExit(res, 1)
                self.assertIn("restored and verified", res.err)
                self.assertTable([nas])
                self.assertEqual(len(self.fake.posts()), 2)  # the change, then its undo: one write each

        def test_wrong_action_is_a_failure_not_success(self):
                self.start_fake()
                self.write_config(router_extra="  airstation:\n    action: ui_nothing\n")
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertTable([])


class Batch(ArcadyanMixin, PortkeepTest):
        """Every apply_abstract.cgi post makes the router commit and restart its
        firewall: a pass writes all its changes in ONE post."""

        def js_reads(self):
                return self.fake.stats()["requests"].get("GET " + JS, 0)

        def test_motivating_setup_is_one_write(self):
                self.start_fake()
                self.write_config()
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                self.assertEqual(len(self.fake.posts()), 1, "6 changes, not one write")
                self.assertEqual(self.fake.stats()["events"].get("adds"), 1)
                # still one line per change, as they are made
                self.assertEqual(res.err.count("added "), 6, repr(res))
                self.assertIn("applied 6 changes; verified", res.out)
                self.assertTable(PPTP + L2TP)
                self.assertLoggedOut()

        def mixed_setup(self):
                # a replace (delete and add on one key), 2 deletes, 2 adds; an
                # unmanaged and a disabled entry to keep
                nas = entry("NAS", "tcp", "5001", "192.168.11.10")
                old = entry("Old", "tcp", "8080", "192.168.11.30")
                moved = dict(PPTP[0], lan_ip="192.168.11.99")
                stale = [entry("L2TP", "udp", str(p)) for p in (7000, 7001)]
                start = [nas, moved, stale[0], old, PPTP[1], L2TP[0], stale[1], L2TP[1]]
                self.start_fake(start)
                self.owned("PPTP", "L2TP")  # an earlier apply made these groups
                self.fake.config(disabled_groups=["Old"])
                self.write_config()
                return start, [nas, old]

        def test_mixed_pass_is_one_write(self):
                start, kept = self.mixed_setup()
                res = self.portkeep("apply")
                self.assertExit(res, 0)
                forms = apply_forms(self.fake)
                self.assertEqual(len(forms), 1, repr(res))
                self.assertEqual(res.err.count("deleted "), 3, repr(res))
                self.assertEqual(res.err.count("added "), 3, repr(res))
                self.assertIn("deleted udp 7000", res.err)
                self.assertIn("deleted tcp 1723 -> 192.168.11.99:1723", res.err)
                self.assertIn("added tcp 1723 -> 192.168.11.3:1723", res.err)
                self.assertTable(kept + PPTP + L2TP)
                # the disabled entry went back as it was
                form = forms[0]
                self.assertEqual(form["ARC_NAT_PORTMAP_MaxNum"], "8")
                groups = [form["ARC_NAT_PORTMAP_%d_GroupName" % i] for i in range(8)]
                self.assertEqual([g for g in groups if g == "Old"], ["Old"])
                i = groups.index("Old")
                self.assertEqual(form["ARC_NAT_PORTMAP_%d_Enable" % i], "0")
                self.assertExit(self.portkeep("plan"), 0)
                self.assertEqual(len(self.fake.posts()), 1)

        def test_refused_write_changes_nothing(self):
                start, _ = self.mixed_setup()
                self.fake.fail(fault="http500", method="POST", path=APPLY, count=1)
                res = self.portkeep("apply")
                self.assertExit(res, 1)
                self.assertIn("writing 6 changes (deleting udp 7000", res.err)
                self.assertIn("nothing was changed", res.err)
                self.assertIn("rolled back", res.out + res.err)
                self.assertNotIn("added ", res.err)
                self.assertEqual(len(self.fake.posts()), 1)
                self.assertTable(start)
                self.assertLoggedOut()

        def apply_while_someone_edits(self, table):
                """apply, with the table changed by hand between the read for
                the plan and the read before the write."""
                self.fake.fail(fault="latency", ms=1200, method="GET", path=JS, skip=1, count=1)
                out = []
                t = threading.Thread(target=lambda: out.append(self.portkeep("apply")))
                t.start()
                deadline = time.monotonic() + 20
                while self.js_reads() < 2 and time.monotonic() < deadline:
                        time.sleep(0.02)
                self.fake.set_table(table)
                t.join(60)
                self.assertEqual(len(out), 1)
                return out[0]

        def test_delete_gone_meanwhile_sends_nothing(self):
                stale = entry("L2TP", "udp", "7000")
                self.start_fake(PPTP + L2TP + [stale])
                self.owned("PPTP", "L2TP")  # an earlier apply made these groups
                self.write_config()
                res = self.apply_while_someone_edits(PPTP + L2TP)
                self.assertExit(res, 1)
                self.assertIn("could not delete udp 7000 -> 192.168.11.3:7000 (group L2TP): it is no longer", res.err)
                self.assertEqual(self.fake.posts(), [])
                self.assertTable(PPTP + L2TP)  # not "undone" into the stale entry

        def test_add_whose_key_was_taken_meanwhile_sends_nothing(self):
                game = entry("Game", "udp", "4500", "192.168.11.50")
                self.start_fake(PPTP)
                self.write_config()
                res = self.apply_while_someone_edits(PPTP + [game])
                self.assertExit(res, 1)
                self.assertIn("could not add udp 4500 -> 192.168.11.3:4500 (group L2TP): a fresh read shows its key taken by "
                              "udp 4500 -> 192.168.11.50:4500 (group Game)", res.err)
                self.assertEqual(self.fake.posts(), [])
                self.assertTable(PPTP + [game])


class _Unknown(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
                pass

        def do_GET(self):
                body = b"<html><head><title>TP-Link</title></head><body>hi</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)


class Detection(PortkeepTest):
        family = "auto"

        def test_unknown_ui_names_what_was_seen_and_the_families(self):
                srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Unknown)
                t = threading.Thread(target=srv.serve_forever, daemon=True)
                t.start()
                try:
                        self.write_config()
                        with open(self.config) as f:
                                text = f.read().replace("http://127.0.0.1:9", "http://127.0.0.1:%d" % srv.server_address[1])
                        with open(self.config, "w") as f:
                                f.write(text)
                        res = self.portkeep("plan")
                        self.assertExit(res, 1)
                        self.assertIn("TP-Link", res.err)
                        self.assertIn("nosave, arcadyan", res.err)
                finally:
                        srv.shutdown()
                        srv.server_close()



if __name__ == "__main__":
        main()
