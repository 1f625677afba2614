/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The data model of doc/design.md: a forward, and a table of them.
 *
 * A forward's natural key is (proto, wan, ports); its value is (group, lan_ip,
 * lan_ports). Values are kept normalised, so that comparing two forwards is
 * comparing fields. */

/* proto is an IP protocol number 0-255, or one of the two values above that
 * range. Named protocols are numbers: icmp 1, tcp 6, udp 17, gre 47, esp 50. */
enum {
        PROTO_ICMP = 1,
        PROTO_TCP = 6,
        PROTO_UDP = 17,
        PROTO_GRE = 47,
        PROTO_ESP = 50,
        PROTO_TCP_UDP = 256, /* both tcp and udp */
        PROTO_ALL = 257,     /* every protocol */
        _PROTO_MAX,
};

/* Only these carry ports. */
bool proto_has_ports(int proto);
/* "tcp", "udp", "tcp/udp", "icmp", "all", "gre", "esp" or the number. The
 * returned string is static or in buf (at least 4 bytes). */
const char *proto_to_string(int proto, char buf[static 4]);
/* Accepts the names above (case-insensitively) and 0-255; returns the proto or
 * -EINVAL. */
int proto_from_string(const char *s);

typedef struct PortRange {
        uint16_t first, last; /* 0, 0 when the protocol has no ports */
} PortRange;

#define PORT_RANGE_NONE ((PortRange){ 0, 0 })

static inline bool port_range_is_set(PortRange r) {
        return r.first != 0;
}
bool port_range_overlap(PortRange a, PortRange b);
/* "1723" or "60000-60010"; buf at least 12 bytes. "" when unset. */
const char *port_range_to_string(PortRange r, char buf[static 12]);
/* Parses "N" or "A-B" with 1 <= A <= B <= 65535; returns 0 or -EINVAL/-ERANGE. */
int port_range_from_string(const char *s, PortRange *ret);

/* IPv4 addresses are host-order uint32_t; 0 stands for "router" on the WAN
 * side (the router's own Internet-side address). */
#define WAN_ROUTER 0u
/* 0.0.0.1 .. 0.0.0.5, which are no host's: the address of the router's
 * PPPoE session 0 .. 4 (an arcadyan entry of _PublicIPType 2 .. 6). A file
 * cannot name it, and portkeep never changes such an entry. */
#define WAN_PPPOE(n) (1u + (uint32_t) (n))
#define WAN_PPPOE_SESSIONS 5u
static inline bool wan_is_pppoe(uint32_t wan) {
        return wan >= WAN_PPPOE(0) && wan < WAN_PPPOE(WAN_PPPOE_SESSIONS);
}
const char *ipv4_to_string(uint32_t a, char buf[static 16]);
/* A forward's wan as users read it: "router", "pppoe0" .. "pppoe4", or the
 * address; in buf or static. */
const char *wan_to_string(uint32_t wan, char buf[static 16]);
int ipv4_from_string(const char *s, uint32_t *ret);

typedef struct Forward {
        /* key */
        int proto;
        uint32_t wan;
        PortRange ports;
        /* value */
        char *group;          /* owned; NULL only for a router entry with no group */
        uint32_t lan_ip;
        PortRange lan_ports;  /* normalised: equal to ports when "same as WAN" */
        /* where it came from: config position (1-based; 0 for router entries) */
        unsigned line, column;
        /* the lease left, in seconds, as the router reported it (UPnP); 0:
         * permanent or not leased. Not part of key or value. */
        uint32_t lease_sec;
        /* driver's row id in the read it came from, -1 if none; only valid
         * until the next read of the router (never reuse across reads) */
        int router_id;
} Forward;

void forward_done(Forward *f);             /* frees owned members */
int forward_copy(Forward *dst, const Forward *src);
/* Same natural key (proto, wan, ports exactly equal). */
bool forward_same_key(const Forward *a, const Forward *b);
/* Keys that collide: same wan, protocols that share traffic (tcp/udp vs tcp or
 * udp, "all" vs anything), overlapping port ranges. */
bool forward_keys_overlap(const Forward *a, const Forward *b);
/* Same key and same value (group compared exactly). */
bool forward_equal(const Forward *a, const Forward *b);

typedef struct Table {
        Forward *items;
        size_t n, allocated;
} Table;

void table_init(Table *t);
void table_done(Table *t);                 /* frees every forward; t may be reused */
/* Appends a copy of f. */
int table_add(Table *t, const Forward *f);
/* Appends f itself, taking ownership of its members (f->group set to NULL). */
int table_add_take(Table *t, Forward *f);

/* Orders by key (wan, proto, ports) and then by value (group, NULL first;
 * lan_ip; lan_ports): a total order, so that a sorted table prints the same
 * way whatever order the router or the file gave. */
int forward_key_compare(const Forward *a, const Forward *b);
int forward_compare(const Forward *a, const Forward *b);
void table_sort(Table *t);
/* Same forwards, as multisets (order does not matter). */
bool table_equal(const Table *a, const Table *b);

/* Large enough for any forward_rule_to_string() result. */
#define FORWARD_RULE_STRING_MAX 80
/* The rule without its group, as users read it in the plan:
 * "tcp 1723 -> 192.168.11.3:1723", "tcp 203.0.113.5:8443 -> 192.168.11.20:443",
 * "gre -> 192.168.11.3". The wan address is shown only when it is not the
 * router's own. Truncated to fit n; returns buf. */
const char *forward_rule_to_string(const Forward *f, char *buf, size_t n);
/* The rule and its group, for messages:
 * "tcp 1723 -> 192.168.11.3:1723 (group PPTP)", "... (no group)". */
const char *forward_to_string(const Forward *f, char *buf, size_t n);

/* A forward as the JSON object of doc/design.md:
 * {"group":..,"proto":..,"wan":..,"ports":..,"lan_ip":..,"lan_ports":..}
 * ports/lan_ports are strings or null, wan is "router" or an address, group
 * a string or null. */
void forward_print_json(const Forward *f, FILE *out);
/* The same members without the braces, for callers that add their own (show's
 * "managed"). */
void forward_print_json_members(const Forward *f, FILE *out);
