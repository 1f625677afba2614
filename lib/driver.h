/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What a driver implements behind lib/router.h. router.c owns the Router
 * object and dispatches to these; each driver keeps its own state in
 * Router.data. What is known of a driver without running it (its name, its
 * limits) is its row in the registry (registry.h). */

#include "registry.h"
#include "router.h"

struct RouterDriver {
        int (*init)(Router *r);         /* allocate r->data; no network */
        void (*done)(Router *r);        /* free r->data */
        int (*login)(Router *r);
        int (*read)(Router *r, Table *ret);
        int (*add)(Router *r, const Forward *f);
        int (*delete)(Router *r, const Forward *f);
        int (*logout)(Router *r);
        /* optional: what only the live driver knows about whether add()
         * could store f (the registry row's limits are checked before);
         * no network; -EPROTONOSUPPORT with the error set when not */
        int (*check)(Router *r, const Forward *f);
        /* optional: all steps in one write (see router_apply()); on an error
         * about one step, set Router.error_step to its index */
        int (*apply)(Router *r, const Steps *steps);
};

struct Router {
        const Backend *backend;         /* its row; ops in backend->ops */
        const Config *config;           /* borrowed; outlives the router */
        char *password;                 /* wiped and freed by router_free() */
        RouterProgress progress;
        void *progress_userdata;
        bool logged_in;
        char error[512];                /* router_error(); no secrets */
        char info[512];                 /* router_info(): what the driver found, set at login */
        char warning[512];              /* router_warning(): set at login */
        char external[64];              /* router_external_address(): set at login, "" if unknown */
        ssize_t error_step;             /* router_error_step(); -1 */
        void *data;
};

/* printf into r->error; returns error (a negative errno) for "return
 * router_set_error(r, -EACCES, ...)". */
int router_set_error(Router *r, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* router_new() with a given row: the tests use it for their in-memory driver
 * (test/), which keeps a Table and can fail on the Nth operation. */
int router_new_with_backend(const Backend *b, const Config *c, const char *password, Router **ret);

/* Hands the router to another row's driver (firmware: auto, once the family
 * is known): the old driver's state is freed, the new one's made. */
int router_swap_backend(Router *r, const Backend *b);

/* The progress callback for a driver's HTTP client: asks the router's. */
int router_progress(void *userdata);
