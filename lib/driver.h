/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What a driver implements behind lib/router.h. router.c owns the Router
 * object and dispatches to these; each driver keeps its own state in
 * Router.data. */

#include "router.h"

typedef struct RouterDriver {
        const char *name;               /* "nosave", "arcadyan", "memory" */
        int (*init)(Router *r);         /* allocate r->data; no network */
        void (*done)(Router *r);        /* free r->data */
        int (*login)(Router *r);
        int (*read)(Router *r, Table *ret);
        int (*add)(Router *r, const Forward *f);
        int (*delete)(Router *r, const Forward *f);
        int (*logout)(Router *r);
        /* optional: whether add() could store f at all (group name, protocol);
         * no network; -EPROTONOSUPPORT with the error set when not */
        int (*check)(Router *r, const Forward *f);
        /* optional: all steps in one write (see router_apply()); on an error
         * about one step, set Router.error_step to its index */
        int (*apply)(Router *r, const Steps *steps);
        bool splits_tcp_udp;
} RouterDriver;

struct Router {
        const RouterDriver *driver;
        const Config *config;           /* borrowed; outlives the router */
        char *password;                 /* wiped and freed by router_free() */
        RouterProgress progress;
        void *progress_userdata;
        bool logged_in;
        char error[512];                /* router_error(); no secrets */
        ssize_t error_step;             /* router_error_step(); -1 */
        void *data;
};

/* printf into r->error; returns error (a negative errno) for "return
 * router_set_error(r, -EACCES, ...)". */
int router_set_error(Router *r, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* router_new() with a given driver: the tests use it for their in-memory
 * driver (test/), which keeps a Table and can fail on the Nth operation. */
int router_new_with_driver(const RouterDriver *d, const Config *c, const char *password, Router **ret);

extern const RouterDriver router_driver_nosave;
extern const RouterDriver router_driver_arcadyan;

/* firmware: auto: the family a /login.html page (UTF-8) belongs to, "nosave" or
 * "arcadyan"; NULL with a description of what was seen in seen. */
const char *router_detect_family(const char *page, size_t size, char *seen, size_t seen_size);
