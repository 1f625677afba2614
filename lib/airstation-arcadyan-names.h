/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The names of the arcadyan family's port-forwarding UI that the public
 * evidence does NOT settle (doc/airstation.md, "arcadyan", "UNKNOWN"). ONE table, read by lib/airstation-arcadyan.c and, by pattern
 * '#define NAME "value"', by the fake router (test/fake-airstation/arcadyan.py):
 * confirming a name on a real router changes one line here. A user can also
 * override the first two in the config: router.airstation.page and
 * router.airstation.action.
 *
 * Chosen as the most plausible:
 * - page: the settings page whose cgi/cgi_<page>.js carries the
 *   ARC_NAT_PORTMAP_* keys. UNCONFIRMED: "forwarding", after the firmware
 *   module that consumes those keys (firewall "forwarding_mod").
 * - action: the apply_abstract.cgi action that makes the firmware rebuild
 *   the rules from ARC_NAT_PORTMAP_*. UNCONFIRMED: "ui_firewall", the action
 *   uehaj/buffalo-wifirouter-control change.sh posts for ARC_FIREWALL_*
 *   settings; the port-forwarding rules are built by the same firewall
 *   program (its forwarding_mod), so the same action is the likeliest to
 *   apply them. */

#define ARCADYAN_PAGE "forwarding"   /* UNCONFIRMED: <page>.html, cgi/cgi_<page>.js */
#define ARCADYAN_ACTION "ui_firewall" /* UNCONFIRMED: apply_abstract.cgi action= */
