/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "macro.h"
#include "table.h"

static const struct {
        const char *name;
        int proto;
} proto_names[] = {
        { "tcp", PROTO_TCP },   { "udp", PROTO_UDP }, { "tcp/udp", PROTO_TCP_UDP },
        { "icmp", PROTO_ICMP }, { "all", PROTO_ALL }, { "gre", PROTO_GRE },
        { "esp", PROTO_ESP },
};

bool proto_has_ports(int proto) {
        return proto == PROTO_TCP || proto == PROTO_UDP || proto == PROTO_TCP_UDP;
}

const char *proto_to_string(int proto, char buf[static 4]) {
        for (size_t i = 0; i < ELEMENTSOF(proto_names); i++)
                if (proto_names[i].proto == proto)
                        return proto_names[i].name;
        if (proto < 0 || proto > 255)
                return "?";
        snprintf(buf, 4, "%d", proto);
        return buf;
}

int proto_from_string(const char *s) {
        char *end;
        unsigned long v;

        for (size_t i = 0; i < ELEMENTSOF(proto_names); i++)
                if (strcasecmp(proto_names[i].name, s) == 0)
                        return proto_names[i].proto;
        if (!isdigit((unsigned char) s[0]))
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || *end != '\0' || v > 255)
                return -EINVAL;
        return (int) v;
}

bool port_range_overlap(PortRange a, PortRange b) {
        if (!port_range_is_set(a) || !port_range_is_set(b))
                return !port_range_is_set(a) && !port_range_is_set(b);
        return a.first <= b.last && b.first <= a.last;
}

const char *port_range_to_string(PortRange r, char buf[static 12]) {
        if (!port_range_is_set(r))
                buf[0] = '\0';
        else if (r.first == r.last)
                snprintf(buf, 12, "%u", r.first);
        else
                snprintf(buf, 12, "%u-%u", r.first, r.last);
        return buf;
}

static int parse_port(const char *s, const char **ret_end, uint16_t *ret) {
        char *end;
        unsigned long v;

        if (!isdigit((unsigned char) s[0]))
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || v > 65535)
                return -ERANGE;
        if (v == 0)
                return -ERANGE;
        *ret_end = end;
        *ret = (uint16_t) v;
        return 0;
}

int port_range_from_string(const char *s, PortRange *ret) {
        const char *end;
        PortRange r;
        int k;

        k = parse_port(s, &end, &r.first);
        if (k < 0)
                return k;
        if (*end == '\0')
                r.last = r.first;
        else if (*end == '-') {
                k = parse_port(end + 1, &end, &r.last);
                if (k < 0)
                        return k;
                if (*end != '\0')
                        return -EINVAL;
                if (r.last < r.first)
                        return -ERANGE;
        } else
                return -EINVAL;
        *ret = r;
        return 0;
}

const char *wan_to_string(uint32_t wan, char buf[static 16]) {
        if (wan == WAN_ROUTER)
                return "router";
        if (wan_is_pppoe(wan)) {
                snprintf(buf, 16, "pppoe%u", wan - WAN_PPPOE(0));
                return buf;
        }
        return ipv4_to_string(wan, buf);
}

const char *ipv4_to_string(uint32_t a, char buf[static 16]) {
        snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
        return buf;
}

int ipv4_from_string(const char *s, uint32_t *ret) {
        struct in_addr in;

        /* inet_pton() accepts only dotted quads of decimal numbers. */
        if (inet_pton(AF_INET, s, &in) != 1)
                return -EINVAL;
        *ret = ntohl(in.s_addr);
        return 0;
}

void forward_done(Forward *f) {
        if (!f)
                return;
        free(f->group);
        f->group = NULL;
}

int forward_copy(Forward *dst, const Forward *src) {
        char *g = NULL;

        if (src->group) {
                g = strdup(src->group);
                if (!g)
                        return -ENOMEM;
        }
        *dst = *src;
        dst->group = g;
        return 0;
}

bool forward_same_key(const Forward *a, const Forward *b) {
        return a->proto == b->proto && a->wan == b->wan && a->ports.first == b->ports.first &&
               a->ports.last == b->ports.last;
}

static bool protos_overlap(int a, int b) {
        if (a == b || a == PROTO_ALL || b == PROTO_ALL)
                return true;
        if (a == PROTO_TCP_UDP)
                return b == PROTO_TCP || b == PROTO_UDP;
        if (b == PROTO_TCP_UDP)
                return a == PROTO_TCP || a == PROTO_UDP;
        return false;
}

bool forward_keys_overlap(const Forward *a, const Forward *b) {
        if (a->wan != b->wan || !protos_overlap(a->proto, b->proto))
                return false;
        /* "all" has no ports but takes every port of every protocol. */
        if (a->proto == PROTO_ALL || b->proto == PROTO_ALL)
                return true;
        return port_range_overlap(a->ports, b->ports);
}

bool forward_equal(const Forward *a, const Forward *b) {
        return forward_same_key(a, b) && a->lan_ip == b->lan_ip &&
               a->lan_ports.first == b->lan_ports.first && a->lan_ports.last == b->lan_ports.last &&
               streq_ptr(a->group, b->group);
}

void table_init(Table *t) {
        *t = (Table){};
}

void table_done(Table *t) {
        if (!t)
                return;
        for (size_t i = 0; i < t->n; i++)
                forward_done(&t->items[i]);
        free(t->items);
        *t = (Table){};
}

static int table_grow(Table *t) {
        Forward *p;
        size_t m;

        if (t->n < t->allocated)
                return 0;
        m = t->allocated ? t->allocated * 2 : 16;
        p = reallocarray(t->items, m, sizeof(Forward));
        if (!p)
                return -ENOMEM;
        t->items = p;
        t->allocated = m;
        return 0;
}

int table_add(Table *t, const Forward *f) {
        int r = table_grow(t);

        if (r < 0)
                return r;
        r = forward_copy(&t->items[t->n], f);
        if (r < 0)
                return r;
        t->n++;
        return 0;
}

int table_add_take(Table *t, Forward *f) {
        int r = table_grow(t);

        if (r < 0)
                return r;
        t->items[t->n++] = *f;
        f->group = NULL;
        return 0;
}

static int cmp_u32(uint32_t a, uint32_t b) {
        return a < b ? -1 : a > b;
}

int forward_key_compare(const Forward *a, const Forward *b) {
        int r;

        r = cmp_u32(a->wan, b->wan);
        if (r != 0)
                return r;
        r = cmp_u32((uint32_t) a->proto, (uint32_t) b->proto);
        if (r != 0)
                return r;
        r = cmp_u32(a->ports.first, b->ports.first);
        if (r != 0)
                return r;
        return cmp_u32(a->ports.last, b->ports.last);
}

int forward_compare(const Forward *a, const Forward *b) {
        int r;

        r = forward_key_compare(a, b);
        if (r != 0)
                return r;
        if (!a->group || !b->group)
                r = !!a->group - !!b->group;
        else
                r = strcmp(a->group, b->group);
        if (r != 0)
                return r < 0 ? -1 : 1;
        r = cmp_u32(a->lan_ip, b->lan_ip);
        if (r != 0)
                return r;
        r = cmp_u32(a->lan_ports.first, b->lan_ports.first);
        if (r != 0)
                return r;
        return cmp_u32(a->lan_ports.last, b->lan_ports.last);
}

static int forward_compare_qsort(const void *a, const void *b) {
        return forward_compare(a, b);
}

void table_sort(Table *t) {
        if (t->n > 1)
                qsort(t->items, t->n, sizeof(Forward), forward_compare_qsort);
}

const char *forward_rule_to_string(const Forward *f, char *buf, size_t n) {
        char p[4], wan[16], ports[12], lan[16], lan_ports[12];
        const char *proto = proto_to_string(f->proto, p);
        bool has_wan = f->wan != WAN_ROUTER, has_ports = port_range_is_set(f->ports);

        if (has_wan)
                wan_to_string(f->wan, wan);
        port_range_to_string(f->ports, ports);
        ipv4_to_string(f->lan_ip, lan);
        port_range_to_string(f->lan_ports, lan_ports);

        snprintf(buf, n, "%s%s%s%s%s -> %s%s%s", proto, has_wan || has_ports ? " " : "",
                 has_wan ? wan : "", has_wan && has_ports ? ":" : "", ports, lan,
                 port_range_is_set(f->lan_ports) ? ":" : "", lan_ports);
        return buf;
}

const char *forward_to_string(const Forward *f, char *buf, size_t n) {
        char rule[FORWARD_RULE_STRING_MAX];

        forward_rule_to_string(f, rule, sizeof(rule));
        if (f->group && f->group[0])
                snprintf(buf, n, "%s (group %s)", rule, f->group);
        else
                snprintf(buf, n, "%s (no group)", rule);
        return buf;
}

static void print_json_port_range(PortRange r, FILE *out) {
        char b[12];

        if (port_range_is_set(r))
                fprintf(out, "\"%s\"", port_range_to_string(r, b));
        else
                fputs("null", out);
}

void forward_print_json_members(const Forward *f, FILE *out) {
        char p[4], a[16];

        fputs("\"group\":", out);
        json_write_string(out, f->group);
        fputs(",\"proto\":", out);
        json_write_string(out, proto_to_string(f->proto, p));
        fputs(",\"wan\":", out);
        json_write_string(out, wan_to_string(f->wan, a));
        fputs(",\"ports\":", out);
        print_json_port_range(f->ports, out);
        fputs(",\"lan_ip\":", out);
        json_write_string(out, ipv4_to_string(f->lan_ip, a));
        fputs(",\"lan_ports\":", out);
        print_json_port_range(f->lan_ports, out);
}

void forward_print_json(const Forward *f, FILE *out) {
        fputc('{', out);
        forward_print_json_members(f, out);
        fputc('}', out);
}

/* As multisets: every forward of a matched by an equal one of b. */
bool table_equal(const Table *a, const Table *b) {
        _cleanup_(freep) bool *used = NULL;

        if (a->n != b->n)
                return false;
        if (a->n == 0)
                return true;
        used = calloc(b->n, sizeof(bool));
        if (!used)
                return false;
        for (size_t i = 0; i < a->n; i++) {
                size_t j;

                for (j = 0; j < b->n; j++)
                        if (!used[j] && forward_equal(&a->items[i], &b->items[j]))
                                break;
                if (j == b->n)
                        return false;
                used[j] = true;
        }
        return true;
}
