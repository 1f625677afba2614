/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
