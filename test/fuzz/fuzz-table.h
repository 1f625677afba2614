/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the router-parser fuzz targets: a router of a driver (no network)
 * and the invariants of a table read from a router. */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "airstation.h"
#include "table.h"
#include "utf8.h"

/* One router per process: creating it sets up a curl handle, which is slow
 * and sends nothing. */
static Router *fuzz_router(const char *family) {
        static Config config = { .url = (char *) "http://127.0.0.1:9", .timeout_usec = 1000000 };
        static Router *r;

        if (!r && router_new_with_backend(registry_find("airstation", family), &config, "", &r) < 0)
                abort();
        r->error[0] = '\0'; /* as a fresh read finds it */
        return r;
}

/* Says which forward broke which rule, then crashes for libFuzzer. */
__attribute__((noreturn)) static void fuzz_fail(const Forward *f, const char *rule) {
        fprintf(stderr, "forward breaks '%s': proto %d, ports %u-%u, lan_ports %u-%u, group", rule, f->proto,
                f->ports.first, f->ports.last, f->lan_ports.first, f->lan_ports.last);
        if (f->group)
                for (const char *p = f->group; *p; p++)
                        fprintf(stderr, " %02x", (unsigned char) *p);
        else
                fprintf(stderr, " NULL");
        fputc('\n', stderr);
        __builtin_trap();
}

static bool range_valid(PortRange p) {
        return p.first >= 1 && p.first <= p.last;
}

/* The forms of table.h that the rest of portkeep relies on. */
static void fuzz_check_table(const Table *t, bool tcp_udp_allowed) {
        FILE *null = fopen("/dev/null", "we");

        for (size_t i = 0; i < t->n; i++) {
                const Forward *f = &t->items[i];
                char buf[FORWARD_RULE_STRING_MAX + 64];

                /* a protocol number, or all, or (where stored as one) tcp/udp */
                if (!((f->proto >= 0 && f->proto <= 255) || f->proto == PROTO_ALL ||
                      (tcp_udp_allowed && f->proto == PROTO_TCP_UDP)))
                        fuzz_fail(f, "a protocol");
                /* ports exactly for tcp, udp, tcp/udp, and proper ranges */
                if (proto_has_ports(f->proto)) {
                        if (!range_valid(f->ports) || !range_valid(f->lan_ports))
                                fuzz_fail(f, "port ranges 1 <= first <= last");
                        /* as wide as the WAN range, or one port: what a
                         * config can say (port: A-B, lan_port: L) */
                        if (f->lan_ports.first != f->lan_ports.last &&
                            f->lan_ports.last - f->lan_ports.first != f->ports.last - f->ports.first)
                                fuzz_fail(f, "lan_ports one port or as wide as ports");
                } else if (port_range_is_set(f->ports) || port_range_is_set(f->lan_ports) ||
                           f->ports.last != 0 || f->lan_ports.last != 0)
                        fuzz_fail(f, "ports only for tcp, udp, tcp/udp");
                if (f->group && !airstation_text_is_utf8(f->group))
                        fuzz_fail(f, "group valid UTF-8 or NULL");
                /* and it prints */
                (void) forward_to_string(f, buf, sizeof(buf));
                if (null)
                        forward_print_json(f, null);
        }
        if (null)
                fclose(null);
}
