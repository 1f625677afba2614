/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "table.h"

/* The driver registry: one row per driver and firmware family. Everything
 * that differs between routers and is known without contacting one is a
 * column here; router.c, the config loader (and so `portkeep check`) and
 * export read the table, and no other code compares driver or family names.
 * Adding a driver is one file (its RouterDriver), one row in registry.c and
 * one line in lib/meson.build (doc/design.md, "Adding a driver"). */

typedef struct RouterDriver RouterDriver;
typedef struct Config Config;

typedef struct Backend {
        const char *driver;          /* router.driver: "airstation", "upnp" */
        const char *family;          /* router.firmware: "auto", "nosave", ...; NULL: the driver has none */
        bool default_family;         /* the family a file without router.firmware gets */
        const RouterDriver *ops;     /* NULL: not in this build; then missing says why */
        const char *missing;
        const char *section;         /* the router.<section> mapping it reads, or NULL */
        bool needs_url;              /* router.url is required (else: discovery) */
        bool needs_password;         /* password_file or password_credential is required */

        /* What it can store; 0 means no limit (or not known before login,
         * for firmware: auto). */
        size_t group_max_bytes;
        bool group_required;         /* every entry carries a group name */
        bool ascii_groups;           /* only printable ASCII in group names */
        const char *group_refused_chars; /* and none of these, or NULL */
        const char *group_why;       /* why, for the message */
        size_t max_entries;
        bool ports_only;             /* only tcp and udp (and tcp/udp) */
        bool wan_router_only;        /* only wan: router (no other WAN address) */
        const char *ports_only_hint; /* what to do instead, for ports_only */
        bool splits_tcp_udp;         /* tcp/udp is stored as a tcp and a udp entry */
        bool splits_port_ranges;     /* a port range is one entry per port */
        unsigned max_port_range;     /* then the most ports one forward may span */
        bool discovers;              /* finds the router without router.url */
        bool marks_ownership;        /* the router keeps which entries are portkeep's
                                      * (group set only on those): all of them are managed */

        /* firmware: auto: whether the login page (NUL-terminated UTF-8) is
         * this family's; NULL for families that are not detected. */
        bool (*probe)(const char *login_page, size_t size);
        /* The lock's name (lock.h) for c, never NULL on success: 0 or -errno. */
        int (*lock_name)(const Config *c, char **ret);
} Backend;

/* The row for router.driver and router.firmware (NULL: the driver's default
 * family); NULL when there is none. */
const Backend *registry_find(const char *driver, const char *family);
/* The default row (a file without router.driver). */
const Backend *registry_default(void);
/* Iteration: rows 0 .. registry_size()-1. */
size_t registry_size(void);
const Backend *registry_row(size_t i);

/* The distinct driver names, and the family names of one driver, as a NULL-
 * terminated list in table order (for messages and "did you mean"); n is the
 * size of ret. Returns the count. */
size_t registry_driver_names(const char **ret, size_t n);
size_t registry_family_names(const char *driver, const char **ret, size_t n);
/* "auto, nosave or arcadyan" (last is " or "): the names in words, into buf. */
const char *registry_names_in_words(const char *const *names, size_t n, const char *last, char *buf, size_t size);

/* The name a message uses for the row: "firmware arcadyan", "driver upnp". */
const char *backend_label(const Backend *b, char *buf, size_t size);

/* Offline checks against the row's limits; 0, or -EPROTONOSUPPORT with the
 * reason (one line, no position) in why. The group check is made once per
 * group, the forward check once per forward. */
int backend_check_group(const Backend *b, const char *group, char *why, size_t size);
int backend_check_forward(const Backend *b, const Forward *f, char *why, size_t size);
