/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "airstation.h"
#include "config.h"
#include "lock.h"
#include "macro.h"
#include "registry.h"
#include "upnp.h"

static int lock_name_url(const Config *c, char **ret) {
        return lock_name_from_url(c->url ?: "", ret);
}

/* Without a url the device is found by discovery, after the lock is taken:
 * every such file shares one lock, whichever device answers. */
static int lock_name_url_or_discovered(const Config *c, char **ret) {
        if (c->url)
                return lock_name_from_url(c->url, ret);
        *ret = strdup("upnp-discovered");
        return *ret ? 0 : -ENOMEM;
}

/* The facts behind each row are in doc/airstation.md (both AirStation
 * families) and doc/design.md (the columns). */
static const Backend rows[] = {
        {
                .driver = "airstation",
                .family = "auto",
                .default_family = true,
                .ops = &airstation_auto_driver,
                .section = "airstation",
                .needs_url = true,
                .needs_password = true,
                .group_required = true,
                .splits_tcp_udp = true, /* until login tells the family; nothing plans before that */
                .lock_name = lock_name_url,
        },
        {
                .driver = "airstation",
                .family = "nosave",
                .ops = &airstation_nosave_driver,
                .section = "airstation",
                .needs_url = true,
                .needs_password = true,
                .group_required = true,
                .splits_tcp_udp = true,
                .probe = airstation_nosave_probe,
                .lock_name = lock_name_url,
        },
        {
                .driver = "airstation",
                .family = "arcadyan",
                .ops = &airstation_arcadyan_driver,
                .section = "airstation",
                .needs_url = true,
                .needs_password = true,
                .group_required = true,
                .group_max_bytes = 15, /* char group_name[16] in the firewall */
                .max_entries = 32,     /* MAX_FORWARDING_RULES */
                .splits_tcp_udp = true, /* "both" would reach iptables -p */
                .probe = airstation_arcadyan_probe,
                .lock_name = lock_name_url,
        },
        {
                .driver = "upnp",
#if HAVE_MINIUPNPC
                .ops = &upnp_driver,
#endif
                .missing = "the upnp driver is not in this build of portkeep: install libminiupnpc-dev and build again (meson setup -Dupnp=enabled); for an AirStation use driver: airstation",
                .group_required = true,
                /* the description is "portkeep:<group>"; miniupnpd keeps 63
                 * bytes and escapes no XML (doc/upnp.md) */
                .group_max_bytes = UPNP_DESCRIPTION_MAX - (sizeof(UPNP_DESCRIPTION_PREFIX) - 1),
                .ascii_groups = true,
                .group_refused_chars = "<>&\"'",
                .group_why = "miniupnpd stores the description as it comes, without XML escapes",
                .ports_only = true,
                .wan_router_only = true, /* the remote host stays empty */
                .ports_only_hint = "UPnP maps only TCP and UDP; for VPNs enable the router's PPTP/IPsec passthrough, or use driver: airstation",
                .splits_tcp_udp = true,
                .splits_port_ranges = true,
                .max_port_range = 100,
                .discovers = true,
                .marks_ownership = true, /* the "portkeep:" description */
                .lock_name = lock_name_url_or_discovered,
        },
};

size_t registry_size(void) {
        return ELEMENTSOF(rows);
}

const Backend *registry_row(size_t i) {
        return i < ELEMENTSOF(rows) ? &rows[i] : NULL;
}

const Backend *registry_default(void) {
        return &rows[0];
}

const Backend *registry_find(const char *driver, const char *family) {
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                const Backend *b = &rows[i];

                if (!streq(b->driver, driver))
                        continue;
                if (family ? streq_ptr(b->family, family) : (!b->family || b->default_family))
                        return b;
        }
        return NULL;
}

static bool listed(const char *const *names, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (streq(names[i], s))
                        return true;
        return false;
}

size_t registry_driver_names(const char **ret, size_t n) {
        size_t k = 0;

        for (size_t i = 0; i < ELEMENTSOF(rows) && k + 1 < n; i++)
                if (!listed(ret, k, rows[i].driver))
                        ret[k++] = rows[i].driver;
        ret[k] = NULL;
        return k;
}

size_t registry_family_names(const char *driver, const char **ret, size_t n) {
        size_t k = 0;

        for (size_t i = 0; i < ELEMENTSOF(rows) && k + 1 < n; i++)
                if (rows[i].family && streq(rows[i].driver, driver))
                        ret[k++] = rows[i].family;
        ret[k] = NULL;
        return k;
}

const char *registry_names_in_words(const char *const *names, size_t n, const char *last, char *buf, size_t size) {
        size_t l = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < n && l < size; i++) {
                int w = snprintf(buf + l, size - l, "%s%s", names[i], i + 2 < n ? ", " : i + 1 < n ? last : "");

                if (w < 0)
                        break;
                l += (size_t) w;
        }
        return buf;
}

const char *backend_label(const Backend *b, char *buf, size_t size) {
        if (b->family)
                snprintf(buf, size, "firmware %s", b->family);
        else
                snprintf(buf, size, "driver %s", b->driver);
        return buf;
}

int backend_check_group(const Backend *b, const char *group, char *why, size_t size) {
        char label[64];
        size_t l = group ? strlen(group) : 0;

        if (l == 0)
                return 0; /* a forward without a group is backend_check_forward()'s */
        if (b->group_max_bytes > 0 && l > b->group_max_bytes) {
                snprintf(why, size, "group name '%s' is %zu bytes; %s stores at most %zu: shorten it", group, l,
                         backend_label(b, label, sizeof label), b->group_max_bytes);
                return -EPROTONOSUPPORT;
        }
        if (b->ascii_groups)
                for (const char *p = group; *p; p++)
                        if ((unsigned char) *p < 0x20 || (unsigned char) *p > 0x7e) {
                                snprintf(why, size, "group name '%s' is not plain ASCII, which %s cannot carry: rename it",
                                         group, backend_label(b, label, sizeof label));
                                return -EPROTONOSUPPORT;
                        }
        if (b->group_refused_chars) {
                const char *c = strpbrk(group, b->group_refused_chars);

                if (c) {
                        snprintf(why, size, "group name '%s' holds '%c', which %s cannot carry (%s): rename it", group,
                                 *c, backend_label(b, label, sizeof label), b->group_why);
                        return -EPROTONOSUPPORT;
                }
        }
        return 0;
}

int backend_check_forward(const Backend *b, const Forward *f, char *why, size_t size) {
        char label[64], proto[4];

        if (b->group_required && (!f->group || !f->group[0])) {
                snprintf(why, size, "a forward on this router needs a group name");
                return -EPROTONOSUPPORT;
        }
        if (b->ports_only && !proto_has_ports(f->proto)) {
                snprintf(why, size, "proto %s cannot be forwarded by %s: %s", proto_to_string(f->proto, proto),
                         backend_label(b, label, sizeof label), b->ports_only_hint);
                return -EPROTONOSUPPORT;
        }
        if (b->wan_router_only && f->wan != WAN_ROUTER) {
                snprintf(why, size, "wan %s cannot be set for %s, which maps on the router's own address only: use wan: router",
                         wan_to_string(f->wan, (char[16]){}), backend_label(b, label, sizeof label));
                return -EPROTONOSUPPORT;
        }
        if (b->splits_port_ranges && b->max_port_range > 0 &&
            (unsigned) (f->ports.last - f->ports.first) + 1 > b->max_port_range) {
                snprintf(why, size, "port range %u-%u is %u ports; %s maps one entry per port, at most %u for one forward: split it",
                         f->ports.first, f->ports.last, (unsigned) (f->ports.last - f->ports.first) + 1,
                         backend_label(b, label, sizeof label), b->max_port_range);
                return -EPROTONOSUPPORT;
        }
        if (f->proto != PROTO_ALL && f->proto != PROTO_TCP_UDP && (f->proto < 0 || f->proto > 255)) {
                snprintf(why, size, "protocol %d cannot be forwarded", f->proto);
                return -EPROTONOSUPPORT;
        }
        return 0;
}
