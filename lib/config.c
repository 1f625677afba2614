/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config file, version 1 (doc/config.md): its schema, handlers and
 * presets, and the entry points.
 *
 * config-tree.c turns libyaml's events into a small tree first (rejecting
 * anchors, aliases, tags, deep nesting and a second document on the way);
 * here each mapping is checked against a table of {key, node type, handler}.
 * Every error is collected with its position (config-errors.c); nothing stops
 * at the first one except a syntax error, after which libyaml cannot go on.
 * The password is read by config-password.c, never here. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config.h"
#include "suggest.h"
#include "config-errors.h"
#include "config-parser.h"
#include "file-util.h"
#include "macro.h"
#include "time-util.h"
#include "utf8.h"

#define CONFIG_GROUPS_MAX 256
#define CONFIG_FORWARDS_MAX 1024
#define GROUP_NAME_MAX 64
#define PASSWORD_ADVICE                                                                          \
        "a password does not belong in this file (it is kept in git): write it to a file readable " \
        "only by root and set password_file, or use password_credential"

/* ---- the schema ---- */

typedef void (*KeyHandler)(Parser *p, const Node *value, void *data);

typedef struct KeyEntry {
        const char *key;
        NodeType type;     /* NODE_BAD: any type, the handler decides */
        KeyHandler handler;
        size_t offset;     /* of the field handed to the handler, in the mapping's base */
        bool hidden;       /* not listed among the allowed keys */
} KeyEntry;

typedef struct OptIPv4 {
        bool set;
        bool invalid;      /* given, but already reported as wrong */
        uint32_t address;
} OptIPv4;

typedef struct Placement {
        OptIPv4 lan_ip, wan;
} Placement;

typedef struct TopLevel {
        const Node *version, *router, *defaults, *sync, *groups;
} TopLevel;

typedef struct GroupSpec {
        const Node *name, *preset, *forwards;
        Placement placement;
} GroupSpec;

typedef struct ForwardSpec {
        const Node *proto, *port, *lan_port;
        Placement placement;
} ForwardSpec;

static const char *allowed_keys(const KeyEntry *table, size_t n, char *buf, size_t size) {
        size_t k = 0;

        buf[0] = 0;
        for (size_t i = 0; i < n; i++) {
                int r;

                if (table[i].hidden)
                        continue;
                r = snprintf(buf + k, size - k, "%s%s", k ? ", " : "", table[i].key);
                if (r < 0 || (size_t) r >= size - k)
                        break;
                k += r;
        }
        return buf;
}

/* Reports an unknown key; returns the index in table of the key it most
 * likely misspells, or -1. */
static int unknown_key(Parser *p, const Node *k, const char *what, const KeyEntry *table,
                       size_t n_table) {
        const char *names[16];
        const char *guess;
        size_t n = 0;
        char buf[256];

        for (size_t i = 0; i < n_table && n < ELEMENTSOF(names); i++)
                if (!table[i].hidden)
                        names[n++] = table[i].key;
        guess = suggest_closest(k->value, names, n);
        if (!guess) {
                node_error(p, k, "unknown key '%s' in %s: expected %s", k->value, what,
                           allowed_keys(table, n_table, buf, sizeof buf));
                return -1;
        }
        node_error(p, k, "unknown key '%s' in %s: did you mean '%s'? (expected %s)", k->value, what,
                   guess, allowed_keys(table, n_table, buf, sizeof buf));
        for (size_t i = 0; i < n_table; i++)
                if (table[i].key == guess)
                        return (int) i;
        return -1;
}

/* Checks each key of mapping m against table and calls the handlers with
 * base + offset. found[i] is set to the value of table[i]'s key when the key
 * is present, even if its value was refused (so that callers do not also
 * report it missing). */
static void parse_mapping(Parser *p, const Node *m, const char *what, const KeyEntry *table,
                          size_t n_table, void *base, const Node **found) {
        const Node *keys[16] = {};

        /* keys[] is indexed like table: a table longer than it would write
         * past its end (and found[] is the caller's, of n_table entries) */
        assert(n_table <= ELEMENTSOF(keys));
        for (size_t i = 0; i < n_table; i++)
                found[i] = NULL;

        for (size_t i = 0; i + 1 < m->n; i += 2) {
                const Node *k = m->children[i], *v = m->children[i + 1];
                const KeyEntry *e = NULL;
                size_t j;

                if (k->type == NODE_BAD)
                        continue;
                if (k->type != NODE_SCALAR) {
                        node_error(p, k, "a key in %s must be a plain name, not %s", what,
                                   node_type_name(k->type));
                        continue;
                }
                if (streq(k->value, "<<")) {
                        node_error(p, k, "merge key '<<' is not allowed: write the keys out in full");
                        continue;
                }
                for (j = 0; j < n_table; j++)
                        if (strlen(k->value) == k->length && streq(table[j].key, k->value)) {
                                e = &table[j];
                                break;
                        }
                if (!e) {
                        int guess = -1;

                        if (key_is_secret(k->value, k->length))
                                node_error(p, k, "unknown key '%s' in %s: %s", k->value, what,
                                           PASSWORD_ADVICE);
                        else
                                guess = unknown_key(p, k, what, table, n_table);
                        /* A misspelt key is reported once, not also as missing. */
                        if (guess >= 0 && !found[guess])
                                found[guess] = v;
                        continue;
                }
                if (keys[j]) {
                        node_error(p, k, "duplicate key '%s' in %s (first at line %u): keep only one",
                                   e->key, what, keys[j]->line);
                        continue;
                }
                keys[j] = k;
                found[j] = v;
                p->mask_after = 0;
                if (v->type == NODE_BAD)
                        continue;
                if (e->type != NODE_BAD && v->type != e->type) {
                        node_error(p, v, "'%s' must be %s, not %s", e->key, node_type_name(e->type),
                                   node_type_name(v->type));
                        continue;
                }
                /* Hidden keys are refused outright: point at the key, not its value. */
                e->handler(p, e->hidden ? k : v, (char *) base + e->offset);
        }
}

static bool has_control_chars(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

/* The scalar's text, or NULL (reported) when it is empty or holds a NUL or
 * other control characters. */
static const char *scalar_text(Parser *p, const Node *v, const char *what) {
        if (v->type != NODE_SCALAR) {
                node_error(p, v, "%s must be a value, not %s", what, node_type_name(v->type));
                return NULL;
        }
        if (v->length == 0) {
                node_error(p, v, "%s is empty: give a value", what);
                return NULL;
        }
        if (strlen(v->value) != v->length || has_control_chars(v->value)) {
                node_error(p, v, "%s contains control characters: remove them", what);
                return NULL;
        }
        return v->value;
}

static void h_node(Parser *p, const Node *v, void *data) {
        *(const Node **) data = v;
}

static void set_string(Parser *p, char **field, const char *s) {
        char *t = strdup(s);

        if (!t) {
                p->oom = -ENOMEM;
                return;
        }
        free(*field);
        *field = t;
}

static void h_string(Parser *p, const Node *v, void *data) {
        const char *s = scalar_text(p, v, "this value");

        if (s)
                set_string(p, data, s);
}

static void h_page(Parser *p, const Node *v, void *data) {
        const char *s = scalar_text(p, v, "router.airstation.page");

        if (!s)
                return;
        if (strpbrk(s, " ?#\\")) {
                node_error(p, v, "page '%s' must be a page name such as 'port_forward.html', without spaces or a query",
                           s);
                return;
        }
        set_string(p, data, s);
}

static void h_credential(Parser *p, const Node *v, void *data) {
        const char *s = scalar_text(p, v, "password_credential");

        if (!s)
                return;
        if (strchr(s, '/') || streq(s, ".") || streq(s, "..") || strlen(s) > 255) {
                node_error(p, v, "password_credential '%s' must be a credential name (as in LoadCredential=), not a path: use password_file for paths",
                           s);
                return;
        }
        set_string(p, data, s);
}

static void h_password(Parser *p, const Node *v, void *data) {
        node_error(p, v, "%s", PASSWORD_ADVICE);
}

static void h_url(Parser *p, const Node *v, void *data) {
        const char *s = scalar_text(p, v, "url"), *host, *end;
        _cleanup_(freep) char *t = NULL;
        size_t n;

        if (!s)
                return;
        if (strncasecmp(s, "http://", 7) == 0)
                host = s + 7;
        else if (strncasecmp(s, "https://", 8) == 0)
                host = s + 8;
        else {
                node_error(p, v, "url '%s' must start with http:// or https://, e.g. http://192.168.11.1", s);
                return;
        }
        end = host + strcspn(host, "/?#");
        if (end == host) {
                node_error(p, v, "url '%s' has no host: write e.g. http://192.168.11.1", s);
                return;
        }
        if (memchr(host, '@', end - host)) {
                /* Do not quote it, nor show the line: it may hold a password. */
                p->mask_after = 1;
                node_error(p, v, "url holds user information (user:password@): leave it out, set username and password_file instead");
                return;
        }
        if (strpbrk(s, " \t")) {
                node_error(p, v, "url '%s' contains spaces: remove them", s);
                return;
        }
        /* Keep it without trailing slashes, so that drivers can append "/page". */
        n = strlen(s);
        while (n > (size_t) (end - s) && s[n - 1] == '/')
                n--;
        t = strndup(s, n);
        if (!t) {
                p->oom = -ENOMEM;
                return;
        }
        free(*(char **) data);
        *(char **) data = TAKE_PTR(t);
}

/* "unknown proto 'tpc': did you mean 'tcp'? Use tcp, udp, ..." */
static void unknown_value(Parser *p, const Node *v, const char *what, const char *s,
                          const char *guess, const char *choices) {
        if (guess)
                node_error(p, v, "unknown %s '%s': did you mean '%s'? Use %s", what, s, guess, choices);
        else
                node_error(p, v, "unknown %s '%s': use %s", what, s, choices);
}

static int lookup(const char *const *names, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (streq(names[i], s))
                        return (int) i;
        return -1;
}

static void h_enum(Parser *p, const Node *v, int *field, const char *what,
                   const char *const *names, size_t n) {
        const char *s = scalar_text(p, v, what);
        char buf[128] = "";
        int i;

        if (!s)
                return;
        i = lookup(names, n, s);
        if (i >= 0) {
                *field = i;
                return;
        }
        for (size_t k = 0; k < n; k++) {
                strncat(buf, names[k], sizeof buf - strlen(buf) - 1);
                strncat(buf, k + 2 < n ? ", " : k + 1 < n ? " or " : "", sizeof buf - strlen(buf) - 1);
        }
        unknown_value(p, v, what, s, suggest_closest(s, names, n), buf);
}

static const char *const prune_names[] = {
        [PRUNE_MANAGED] = "managed", [PRUNE_NONE] = "none", [PRUNE_ALL] = "all"
};

/* router.driver and router.firmware take the registry's names; which row
 * they make together is settled in check_driver(), once both are read. */
static void h_driver(Parser *p, const Node *v, void *data) {
        const char *names[32];
        size_t n = registry_driver_names(names, ELEMENTSOF(names));
        int x = -1;

        h_enum(p, v, &x, "driver", names, n);
}

static size_t all_family_names(const char **ret, size_t size) {
        const char *drivers[32];
        size_t n = 0, nd = registry_driver_names(drivers, ELEMENTSOF(drivers));

        for (size_t i = 0; i < nd; i++)
                n += registry_family_names(drivers[i], ret + n, size - n);
        return n;
}

static void h_firmware(Parser *p, const Node *v, void *data) {
        const char *names[32];
        size_t n = all_family_names(names, ELEMENTSOF(names));
        int x = -1;

        h_enum(p, v, &x, "firmware", names, n);
}

static void h_prune(Parser *p, const Node *v, void *data) {
        int x = -1;

        h_enum(p, v, &x, "prune", prune_names, ELEMENTSOF(prune_names));
        if (x >= 0)
                *(Prune *) data = (Prune) x;
}

static void h_duration(Parser *p, const Node *v, void *data) {
        const char *s = scalar_text(p, v, "duration");
        uint64_t t;
        int r;

        if (!s)
                return;
        r = parse_duration(s, &t);
        if (r == -ERANGE)
                node_error(p, v, "duration '%s' is too long: at most 7d", s);
        else if (r < 0 && isdigit((unsigned char) s[strlen(s) - 1]) && strspn(s, "0123456789") == strlen(s))
                node_error(p, v, "duration '%s' needs a unit: write e.g. %ss, %sm or %sh", s, s, s, s);
        else if (r < 0)
                node_error(p, v, "invalid duration '%s': write e.g. 30s, 5m, 1h or 1m30s", s);
        else if (t < USEC_PER_SEC)
                node_error(p, v, "duration '%s' is too short: at least 1s", s);
        else
                *(uint64_t *) data = t;
}

static void h_max_deletes(Parser *p, const Node *v, void *data) {
        const char *s = scalar_text(p, v, "max_deletes");
        unsigned long x;
        char *end;

        if (!s)
                return;
        if (!isdigit((unsigned char) s[0])) {
                node_error(p, v, "max_deletes '%s' must be a whole number, 0 or more", s);
                return;
        }
        errno = 0;
        x = strtoul(s, &end, 10);
        if (*end) {
                node_error(p, v, "max_deletes '%s' must be a whole number, 0 or more", s);
                return;
        }
        if (errno != 0 || x > 1000000) {
                node_error(p, v, "max_deletes %s is too large: at most 1000000", s);
                return;
        }
        *(unsigned *) data = (unsigned) x;
}

static void h_lan_ip(Parser *p, const Node *v, void *data) {
        const char *s = scalar_text(p, v, "lan_ip");
        OptIPv4 *o = data;
        uint32_t a;

        if (!s)
                return;
        if (ipv4_from_string(s, &a) < 0) {
                node_error(p, v, "lan_ip '%s' is not an IPv4 address: write e.g. 192.168.11.3", s);
                o->invalid = true;
                return;
        }
        if (a == 0 || a == UINT32_MAX || (a >> 28) == 0xe) {
                node_error(p, v, "lan_ip %s is not a host address: give the LAN host's own address", s);
                o->invalid = true;
                return;
        }
        *o = (OptIPv4){ .set = true, .address = a };
}

static void h_wan(Parser *p, const Node *v, void *data) {
        const char *s = scalar_text(p, v, "wan");
        OptIPv4 *o = data;
        uint32_t a;

        if (!s)
                return;
        if (streq(s, "router")) {
                *o = (OptIPv4){ .set = true, .address = WAN_ROUTER };
                return;
        }
        if (ipv4_from_string(s, &a) < 0 || (a >> 24) == 0 || a == UINT32_MAX || (a >> 28) == 0xe) {
                node_error(p, v, "wan '%s' must be 'router' (the router's own Internet-side address) or an IPv4 host address", s);
                return;
        }
        *o = (OptIPv4){ .set = true, .address = a };
}

static const KeyEntry airstation_table[] = {
        { "page", NODE_SCALAR, h_page, offsetof(Config, airstation_page) },
        { "action", NODE_SCALAR, h_string, offsetof(Config, airstation_action) },
};

static void h_airstation(Parser *p, const Node *v, void *data) {
        const Node *found[ELEMENTSOF(airstation_table)];

        parse_mapping(p, v, "router.airstation", airstation_table, ELEMENTSOF(airstation_table),
                      data, found);
}

enum {
        ROUTER_DRIVER,
        ROUTER_URL,
        ROUTER_USERNAME,
        ROUTER_PASSWORD_FILE,
        ROUTER_PASSWORD_CREDENTIAL,
        ROUTER_FIRMWARE,
        ROUTER_TIMEOUT,
        ROUTER_DISCOVERY_TIMEOUT,
        ROUTER_AIRSTATION,
        ROUTER_PASSWORD,
        _ROUTER_MAX,
};

static const KeyEntry router_table[_ROUTER_MAX] = {
        [ROUTER_DRIVER] = { "driver", NODE_SCALAR, h_driver, 0 },
        [ROUTER_URL] = { "url", NODE_SCALAR, h_url, offsetof(Config, url) },
        [ROUTER_USERNAME] = { "username", NODE_SCALAR, h_string, offsetof(Config, username) },
        [ROUTER_PASSWORD_FILE] = { "password_file", NODE_SCALAR, h_string, offsetof(Config, password_file) },
        [ROUTER_PASSWORD_CREDENTIAL] = { "password_credential", NODE_SCALAR, h_credential,
                                         offsetof(Config, password_credential) },
        [ROUTER_FIRMWARE] = { "firmware", NODE_SCALAR, h_firmware, 0 },
        [ROUTER_TIMEOUT] = { "timeout", NODE_SCALAR, h_duration, offsetof(Config, timeout_usec) },
        [ROUTER_DISCOVERY_TIMEOUT] = { "discovery_timeout", NODE_SCALAR, h_duration,
                                       offsetof(Config, discovery_timeout_usec) },
        [ROUTER_AIRSTATION] = { "airstation", NODE_MAPPING, h_airstation, 0 },
        [ROUTER_PASSWORD] = { "password", NODE_BAD, h_password, 0, true },
};

static const KeyEntry defaults_table[] = {
        { "lan_ip", NODE_SCALAR, h_lan_ip, offsetof(Placement, lan_ip) },
        { "wan", NODE_SCALAR, h_wan, offsetof(Placement, wan) },
};

static const KeyEntry sync_table[] = {
        { "interval", NODE_SCALAR, h_duration, offsetof(Config, interval_usec) },
        { "prune", NODE_SCALAR, h_prune, offsetof(Config, prune) },
        { "max_deletes", NODE_SCALAR, h_max_deletes, offsetof(Config, max_deletes) },
};

static const KeyEntry group_table[] = {
        { "name", NODE_SCALAR, h_node, offsetof(GroupSpec, name) },
        { "preset", NODE_SCALAR, h_node, offsetof(GroupSpec, preset) },
        { "forwards", NODE_SEQUENCE, h_node, offsetof(GroupSpec, forwards) },
        { "lan_ip", NODE_SCALAR, h_lan_ip, offsetof(GroupSpec, placement.lan_ip) },
        { "wan", NODE_SCALAR, h_wan, offsetof(GroupSpec, placement.wan) },
};

static const KeyEntry forward_table[] = {
        { "proto", NODE_SCALAR, h_node, offsetof(ForwardSpec, proto) },
        { "port", NODE_SCALAR, h_node, offsetof(ForwardSpec, port) },
        { "lan_port", NODE_SCALAR, h_node, offsetof(ForwardSpec, lan_port) },
        { "lan_ip", NODE_SCALAR, h_lan_ip, offsetof(ForwardSpec, placement.lan_ip) },
        { "wan", NODE_SCALAR, h_wan, offsetof(ForwardSpec, placement.wan) },
};

static const KeyEntry top_table[] = {
        { "version", NODE_SCALAR, h_node, offsetof(TopLevel, version) },
        { "router", NODE_MAPPING, h_node, offsetof(TopLevel, router) },
        { "defaults", NODE_MAPPING, h_node, offsetof(TopLevel, defaults) },
        { "sync", NODE_MAPPING, h_node, offsetof(TopLevel, sync) },
        { "groups", NODE_SEQUENCE, h_node, offsetof(TopLevel, groups) },
};

/* ---- presets ---- */

typedef struct PresetForward {
        int proto;
        uint16_t port;
} PresetForward;

static const struct {
        const char *name;
        PresetForward forwards[4];
        size_t n;
} presets[] = {
        { "pptp", { { PROTO_TCP, 1723 }, { PROTO_GRE, 0 } }, 2 },
        { "l2tp-ipsec", { { PROTO_UDP, 500 }, { PROTO_UDP, 4500 }, { PROTO_UDP, 1701 }, { PROTO_ESP, 0 } }, 4 },
        { "ikev2", { { PROTO_UDP, 500 }, { PROTO_UDP, 4500 }, { PROTO_ESP, 0 } }, 3 },
        { "openvpn", { { PROTO_UDP, 1194 } }, 1 },
        { "wireguard", { { PROTO_UDP, 51820 } }, 1 },
};

/* ---- forwards and groups ---- */

static bool resolve_placement(Parser *p, const Node *where, const Placement *fwd,
                              const Placement *group, const Placement *defaults, Forward *f) {
        const Placement *order[] = { fwd, group, defaults };
        bool have_lan = false, have_wan = false;

        f->wan = WAN_ROUTER;
        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                if (!order[i])
                        continue;
                /* A wrong lan_ip was reported where it stands; do not
                 * also report every forward it was meant for. */
                if (!have_lan && (order[i]->lan_ip.set || order[i]->lan_ip.invalid)) {
                        f->lan_ip = order[i]->lan_ip.address;
                        have_lan = true;
                }
                if (!have_wan && order[i]->wan.set) {
                        f->wan = order[i]->wan.address;
                        have_wan = true;
                }
        }
        if (!have_lan)
                node_error(p, where, "forward has no lan_ip: set lan_ip on the forward, on its group or under defaults");
        return have_lan;
}

static void add_forward(Parser *p, Forward *f, const char *group) {
        Table *t = &p->config->desired;

        if (t->n >= CONFIG_FORWARDS_MAX) {
                if (!p->too_many_forwards)
                        parser_error(p, f->line, f->column, "more than %d forwards: no router holds that many",
                                     CONFIG_FORWARDS_MAX);
                p->too_many_forwards = true;
                return;
        }
        f->group = strdup(group);
        if (!f->group || table_add_take(t, f) < 0) {
                forward_done(f);
                p->oom = -ENOMEM;
        }
}

/* "1723" or "A-B" with a message for each way it can be wrong. */
static bool parse_ports(Parser *p, const Node *v, const char *what, PortRange *ret) {
        const char *s = scalar_text(p, v, what), *q;
        unsigned long a, b;
        char *end;

        if (!s)
                return false;
        q = s;
        if (!isdigit((unsigned char) *q))
                goto bad;
        errno = 0;
        a = strtoul(q, &end, 10);
        if (errno != 0)
                a = ULONG_MAX;
        b = a;
        if (*end == '-') {
                q = end + 1;
                if (!isdigit((unsigned char) *q))
                        goto bad;
                errno = 0;
                b = strtoul(q, &end, 10);
                if (errno != 0)
                        b = ULONG_MAX;
        }
        if (*end)
                goto bad;
        if (a < 1 || a > 65535 || b < 1 || b > 65535) {
                node_error(p, v, "%s %s out of range: use 1-65535", what, s);
                return false;
        }
        if (a > b) {
                node_error(p, v, "%s range %s is reversed: write %lu-%lu", what, s, b, a);
                return false;
        }
        *ret = (PortRange){ (uint16_t) a, (uint16_t) b };
        return true;
bad:
        node_error(p, v, "%s '%s' is not a port or range: write e.g. 8443 or 60000-60010", what, s);
        return false;
}

static void parse_forward(Parser *p, const Node *m, const char *group, const Placement *gp,
                          const Placement *defaults) {
        const Node *found[ELEMENTSOF(forward_table)];
        ForwardSpec spec = {};
        Forward f = { .router_id = -1, .line = m->line, .column = m->column };
        char buf[4];
        const char *s;
        bool ok = true;

        parse_mapping(p, m, "forward", forward_table, ELEMENTSOF(forward_table), &spec, found);
        if (found[0] && !spec.proto)
                return; /* reported */
        if (!spec.proto) {
                node_error(p, m, "forward has no proto: add proto: tcp, udp, tcp/udp, gre, esp, icmp, all or a number 0-255");
                return;
        }
        s = scalar_text(p, spec.proto, "proto");
        if (!s)
                return;
        f.proto = proto_from_string(s);
        if (f.proto < 0) {
                static const char *const protos[] = { "tcp", "udp", "tcp/udp", "gre", "esp", "icmp", "all" };

                unknown_value(p, spec.proto, "proto", s, suggest_closest(s, protos, ELEMENTSOF(protos)),
                              "tcp, udp, tcp/udp, gre, esp, icmp, all or a number 0-255");
                return;
        }
        if (proto_has_ports(f.proto)) {
                if (!spec.port) {
                        node_error(p, m, "a %s forward needs a port: add port: N or port: A-B",
                                   proto_to_string(f.proto, buf));
                        ok = false;
                } else if (!parse_ports(p, spec.port, "port", &f.ports))
                        ok = false;
                f.lan_ports = f.ports;
                if (ok && spec.lan_port) {
                        PortRange l;

                        if (!parse_ports(p, spec.lan_port, "lan_port", &l))
                                ok = false;
                        else if (l.first != l.last && l.last - l.first != f.ports.last - f.ports.first) {
                                if (f.ports.first == f.ports.last)
                                        node_error(p, spec.lan_port, "lan_port %s is a range but port %s is one port: give one lan_port",
                                                   spec.lan_port->value, spec.port->value);
                                else
                                        node_error(p, spec.lan_port, "lan_port %s is not as wide as port %s: give one port or a range of %u ports",
                                                   spec.lan_port->value, spec.port->value,
                                                   (unsigned) (f.ports.last - f.ports.first) + 1);
                                ok = false;
                        } else
                                f.lan_ports = l;
                }
        } else {
                const char *pn = proto_to_string(f.proto, buf);

                if (spec.port) {
                        node_error(p, spec.port, "proto %s has no ports (only tcp, udp and tcp/udp do): remove port", pn);
                        ok = false;
                }
                if (spec.lan_port) {
                        node_error(p, spec.lan_port, "proto %s has no ports (only tcp, udp and tcp/udp do): remove lan_port", pn);
                        ok = false;
                }
        }
        if (!resolve_placement(p, m, &spec.placement, gp, defaults, &f) || !ok)
                return;
        add_forward(p, &f, group);
}

static void expand_preset(Parser *p, const Node *v, const char *group, const Placement *gp,
                          const Placement *defaults) {
        const char *s = scalar_text(p, v, "preset");
        Forward base = { .router_id = -1, .line = v->line, .column = v->column };
        size_t i;

        if (!s)
                return;
        for (i = 0; i < ELEMENTSOF(presets); i++)
                if (streq(presets[i].name, s))
                        break;
        if (i >= ELEMENTSOF(presets)) {
                const char *names[ELEMENTSOF(presets)];

                for (size_t k = 0; k < ELEMENTSOF(presets); k++)
                        names[k] = presets[k].name;
                unknown_value(p, v, "preset", s, suggest_closest(s, names, ELEMENTSOF(names)),
                              "pptp, l2tp-ipsec, ikev2, openvpn or wireguard (or list forwards)");
                return;
        }
        if (!resolve_placement(p, v, NULL, gp, defaults, &base))
                return;
        for (size_t k = 0; k < presets[i].n; k++) {
                Forward f = base;

                f.proto = presets[i].forwards[k].proto;
                if (presets[i].forwards[k].port)
                        f.ports = f.lan_ports = (PortRange){ presets[i].forwards[k].port,
                                                             presets[i].forwards[k].port };
                add_forward(p, &f, group);
        }
}

static void parse_group(Parser *p, const Node *m, const Placement *defaults) {
        const Node *found[ELEMENTSOF(group_table)];
        GroupSpec g = {};
        const char *name = NULL;
        Config *c = p->config;

        parse_mapping(p, m, "group", group_table, ELEMENTSOF(group_table), &g, found);
        if (found[0] && !g.name)
                ; /* reported */
        else if (!g.name)
                node_error(p, m, "group has no name: add name: (it marks the router's entries as managed)");
        else if ((name = scalar_text(p, g.name, "group name"))) {
                if (strlen(name) > GROUP_NAME_MAX) {
                        node_error(p, g.name, "group name '%s' is longer than %d bytes: shorten it", name,
                                   GROUP_NAME_MAX);
                        name = NULL;
                }
                for (size_t i = 0; name && i < c->n_groups; i++)
                        if (streq(c->groups[i], name)) {
                                node_error(p, g.name, "group name '%s' is used twice (first at line %u): group names must be unique",
                                           name, p->group_lines[i]);
                                name = NULL;
                        }
        }
        if (name) {
                if (c->n_groups >= CONFIG_GROUPS_MAX) {
                        if (!p->too_many_groups)
                                node_error(p, g.name, "more than %d groups: merge some", CONFIG_GROUPS_MAX);
                        p->too_many_groups = true;
                        return;
                }
                if (!c->groups) {
                        c->groups = calloc(CONFIG_GROUPS_MAX, sizeof(char *));
                        p->group_lines = calloc(CONFIG_GROUPS_MAX, sizeof(unsigned));
                        p->group_columns = calloc(CONFIG_GROUPS_MAX, sizeof(unsigned));
                        if (!c->groups || !p->group_lines || !p->group_columns) {
                                p->oom = -ENOMEM;
                                return;
                        }
                }
                c->groups[c->n_groups] = strdup(name);
                if (!c->groups[c->n_groups]) {
                        p->oom = -ENOMEM;
                        return;
                }
                p->group_lines[c->n_groups] = g.name->line;
                p->group_columns[c->n_groups] = g.name->column;
                c->n_groups++;
        }
        if (!found[1] && !found[2]) {
                node_error(p, m, "group %s%s%shas neither preset nor forwards: add one of them",
                           name ? "'" : "", name ? name : "", name ? "' " : "");
                return;
        }
        /* Keep checking the forwards of a group whose name is wrong. */
        if (!name)
                name = "";
        if (g.preset)
                expand_preset(p, g.preset, name, &g.placement, defaults);
        if (g.forwards)
                for (size_t i = 0; i < g.forwards->n && !p->oom; i++) {
                        const Node *f = g.forwards->children[i];

                        if (f->type == NODE_BAD)
                                continue;
                        if (f->type != NODE_MAPPING) {
                                node_error(p, f, "a forward must be a mapping such as { proto: tcp, port: 8443 }, not %s",
                                           node_type_name(f->type));
                                continue;
                        }
                        parse_forward(p, f, name, &g.placement, defaults);
                }
}

static const char *forward_describe(const Forward *f, char buf[static 64]) {
        char pb[4], rb[12], wb[16];

        snprintf(buf, 64, "%s%s%s%s%s", proto_to_string(f->proto, pb),
                 port_range_is_set(f->ports) ? " " : "", port_range_to_string(f->ports, rb),
                 f->wan == WAN_ROUTER ? "" : " on wan ",
                 f->wan == WAN_ROUTER ? "" : ipv4_to_string(f->wan, wb));
        return buf;
}

static void check_overlaps(Parser *p) {
        const Table *t = &p->config->desired;

        for (size_t j = 1; j < t->n; j++)
                for (size_t i = 0; i < j; i++) {
                        const Forward *a = &t->items[i], *b = &t->items[j];
                        char da[64], db[64];

                        if (!forward_keys_overlap(a, b))
                                continue;
                        parser_error(p, b->line, b->column,
                                     "%s overlaps %s at line %u, column %u (group '%s'): a protocol and WAN port can be forwarded only once",
                                     forward_describe(b, db), forward_describe(a, da), a->line,
                                     a->column, a->group);
                        break;
                }
}

/* A valid name given for key, else NULL (an invalid one is reported by its
 * handler). */
static const char *given_name(const Node *v, const char *const *names, size_t n) {
        if (!v || v->type != NODE_SCALAR)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (streq(names[i], v->value))
                        return names[i];
        return NULL;
}

/* "airstation": the drivers that have what a test asks for, in words. */
static const char *drivers_with(bool (*has)(const Backend *b), char *buf, size_t size) {
        const char *names[32];
        size_t n = 0;

        for (size_t i = 0; i < registry_size() && n + 1 < ELEMENTSOF(names); i++) {
                const Backend *b = registry_row(i);

                if (has(b) && (n == 0 || !streq(names[n - 1], b->driver)))
                        names[n++] = b->driver;
        }
        return registry_names_in_words(names, n, " or ", buf, size);
}

static bool has_families(const Backend *b) {
        return b->family != NULL;
}

static bool discovers(const Backend *b) {
        return b->discovers;
}

static bool has_section(const Backend *b) {
        return b->section != NULL;
}

/* The registry row of router.driver and router.firmware, and what the row
 * says of the rest of the file: the keys it needs or refuses, what it can
 * store. */
static void check_driver(Parser *p, const Node *router, const Node **found) {
        Config *c = p->config;
        const char *names[32], *driver, *family;
        const Backend *b;
        char why[512], words[128];
        size_t n;

        n = registry_driver_names(names, ELEMENTSOF(names));
        driver = given_name(found[ROUTER_DRIVER], names, n) ?: registry_default()->driver;
        if (found[ROUTER_DRIVER] && !given_name(found[ROUTER_DRIVER], names, n))
                return; /* reported */
        n = all_family_names(names, ELEMENTSOF(names));
        family = given_name(found[ROUTER_FIRMWARE], names, n);
        if (found[ROUTER_FIRMWARE] && !family)
                return; /* reported */

        b = registry_find(driver, family);
        if (!b && family) {
                b = registry_find(driver, NULL);
                node_error(p, found[ROUTER_FIRMWARE], "firmware is for driver %s only: remove it",
                           drivers_with(has_families, words, sizeof words));
        }
        if (!b)
                return;
        c->backend = b;

        if (found[ROUTER_AIRSTATION] && !b->section)
                node_error(p, found[ROUTER_AIRSTATION], "router.airstation is for driver %s only: remove it",
                           drivers_with(has_section, words, sizeof words));
        if (found[ROUTER_DISCOVERY_TIMEOUT] && !b->discovers)
                node_error(p, found[ROUTER_DISCOVERY_TIMEOUT], "discovery_timeout is for a driver that discovers its router (%s): remove it",
                           drivers_with(discovers, words, sizeof words));
        else if (found[ROUTER_DISCOVERY_TIMEOUT] && found[ROUTER_URL])
                node_error(p, found[ROUTER_DISCOVERY_TIMEOUT], "discovery_timeout has no effect with url: remove one of them");
        if (b->needs_url && !found[ROUTER_URL])
                node_error(p, router, "router has no url: add url: http://192.168.11.1 (the router's address)");
        if (b->needs_password && !found[ROUTER_PASSWORD_FILE] && !found[ROUTER_PASSWORD_CREDENTIAL] &&
            !found[ROUTER_PASSWORD])
                node_error(p, router, "router has neither password_file nor password_credential: add password_file: /etc/portkeep/router-password");

        for (size_t i = 0; i < c->n_groups; i++)
                if (backend_check_group(b, c->groups[i], why, sizeof why) < 0)
                        parser_error(p, p->group_lines[i], p->group_columns[i], "%s", why);
        for (size_t i = 0; i < c->desired.n; i++) {
                const Forward *f = &c->desired.items[i];

                if (!f->group || !f->group[0])
                        continue; /* its group's missing name is reported */
                if (backend_check_forward(b, f, why, sizeof why) < 0)
                        parser_error(p, f->line, f->column, "%s", why);
        }
}

static void check_version(Parser *p, const Node *root, const Node *v) {
        if (!v) {
                node_error(p, root, "missing 'version: 1' at the top of the file");
                return;
        }
        if (v->type == NODE_SCALAR && !streq(v->value, "1"))
                node_error(p, v, "unsupported version '%s': this portkeep reads version 1", v->value);
}

static void parse_root(Parser *p, const Node *root) {
        const Node *found_top[ELEMENTSOF(top_table)], *found_router[_ROUTER_MAX] = {};
        const Node *found[ELEMENTSOF(sync_table) + ELEMENTSOF(defaults_table)];
        Placement defaults = {};
        TopLevel top = {};

        if (root->type == NODE_BAD)
                return;
        if (root->type != NODE_MAPPING) {
                node_error(p, root, "the file must be a mapping starting with 'version: 1', not %s",
                           node_type_name(root->type));
                return;
        }
        parse_mapping(p, root, "the file", top_table, ELEMENTSOF(top_table), &top, found_top);
        check_version(p, root, found_top[0]);

        if (top.router)
                parse_mapping(p, top.router, "router", router_table, _ROUTER_MAX, p->config, found_router);
        else if (!found_top[1])
                node_error(p, root, "missing 'router:' section: add router: with url and password_file");
        if (top.defaults)
                parse_mapping(p, top.defaults, "defaults", defaults_table, ELEMENTSOF(defaults_table),
                              &defaults, found);
        if (top.sync)
                parse_mapping(p, top.sync, "sync", sync_table, ELEMENTSOF(sync_table), p->config, found);

        if (!found_top[4])
                node_error(p, root, "missing 'groups:' list: add the groups of forwards to keep on the router");
        else if (top.groups)
                for (size_t i = 0; i < top.groups->n && !p->oom; i++) {
                        const Node *g = top.groups->children[i];

                        if (g->type == NODE_BAD)
                                continue;
                        if (g->type != NODE_MAPPING) {
                                node_error(p, g, "a group must be a mapping with name: and preset: or forwards:, not %s",
                                           node_type_name(g->type));
                                continue;
                        }
                        parse_group(p, g, &defaults);
                }

        check_overlaps(p);
        if (top.router)
                check_driver(p, top.router, found_router);
}

/* ---- entry points ---- */

Config *config_free(Config *c) {
        if (!c)
                return NULL;
        free(c->path);
        free(c->url);
        free(c->username);
        free(c->password_file);
        free(c->password_credential);
        free(c->airstation_page);
        free(c->airstation_action);
        for (size_t i = 0; i < c->n_groups; i++)
                free(c->groups[i]);
        free(c->groups);
        table_done(&c->desired);
        free(c);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(Config *, config_free);

static Config *config_new(const char *name) {
        Config *c = calloc(1, sizeof(Config));

        if (!c)
                return NULL;
        *c = (Config){
                .backend = registry_default(),
                .timeout_usec = 10 * USEC_PER_SEC,
                .discovery_timeout_usec = 2 * USEC_PER_SEC,
                .interval_usec = 5 * 60 * USEC_PER_SEC,
                .prune = PRUNE_MANAGED,
                .max_deletes = 8,
        };
        table_init(&c->desired);
        c->path = strdup(name);
        c->username = strdup("admin");
        if (!c->path || !c->username)
                return config_free(c);
        return c;
}

/* Errors in file order (they are found in walk order); stable for equal positions. */
static void sort_errors(ConfigErrors *e, size_t from) {
        for (size_t i = from + 1; i < e->n; i++) {
                ConfigError x = e->items[i];
                size_t j = i;

                while (j > from && (e->items[j - 1].line > x.line ||
                                    (e->items[j - 1].line == x.line && e->items[j - 1].column > x.column))) {
                        e->items[j] = e->items[j - 1];
                        j--;
                }
                e->items[j] = x;
        }
}

int config_load_buffer(const char *name, const char *data, size_t size, Config **ret,
                       ConfigErrors *errors) {
        _cleanup_(config_freep) Config *c = NULL;
        Parser p = { .name = name, .data = data, .size = size, .errors = errors };
        size_t first_error = errors->n;
        Node *root = NULL;
        int r;

        c = config_new(name);
        if (!c)
                return -ENOMEM;
        p.config = c;

        if (size > CONFIG_SIZE_MAX)
                parser_error(&p, 0, 0, "file is %zu bytes, more than the limit of %d (1 MiB): " CONFIG_SIZE_HINT,
                             size, CONFIG_SIZE_MAX);
        else {
                root = parser_parse_tree(&p);
                if (root && !p.oom)
                        parse_root(&p, root);
        }

        node_free(root);
        free(p.line_starts);
        free(p.group_lines);
        free(p.group_columns);
        if (p.oom)
                return p.oom;
        sort_errors(errors, first_error);
        if (p.n_errors > CONFIG_ERRORS_MAX) {
                char *m = NULL;

                if (asprintf(&m, "%zu more errors not shown: fix the ones above first",
                             p.n_errors - CONFIG_ERRORS_MAX) < 0 ||
                    config_errors_push(errors, name, 0, 0, NULL, m) < 0)
                        return -ENOMEM;
        }
        r = p.n_errors > 0 ? -EINVAL : 0;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

static void error_no_position(ConfigErrors *errors, const char *path, int error, const char *fmt, ...)
        _printf_(4, 5);

static void error_no_position(ConfigErrors *errors, const char *path, int error, const char *fmt, ...) {
        char *m = NULL;
        va_list ap;
        int r;

        errno = error < 0 ? -error : error;
        va_start(ap, fmt);
        r = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (r >= 0)
                (void) config_errors_push(errors, path, 0, 0, NULL, m);
}

int config_load(const char *path, Config **ret, ConfigErrors *errors) {
        _cleanup_(freep) char *buf = NULL;
        struct stat st = {};
        bool opened;
        size_t n = 0;
        int r;

        buf = malloc(CONFIG_SIZE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        r = read_file_bounded(path, CONFIG_SIZE_MAX, buf, &n, &st, &opened);
        if (r == -EISDIR)
                error_no_position(errors, path, 0, "is a directory, not a config file");
        else if (r == -EINVAL)
                error_no_position(errors, path, 0, "is not a regular file");
        else if (r == -EFBIG)
                error_no_position(errors, path, 0, "file is %jd bytes, more than the limit of %d (1 MiB): " CONFIG_SIZE_HINT,
                                  (intmax_t) st.st_size, CONFIG_SIZE_MAX);
        else if (r < 0)
                error_no_position(errors, path, r, opened ? "cannot read the config file: %m"
                                                          : "cannot open the config file: %m");
        if (r < 0)
                return r;
        return config_load_buffer(path, buf, n, ret, errors);
}
