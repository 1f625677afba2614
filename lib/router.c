/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "macro.h"
#include "router.h"

int router_set_error(Router *r, int error, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(r->error, sizeof(r->error), fmt, ap);
        va_end(ap);
        return error;
}

int router_progress(void *userdata) {
        Router *r = userdata;

        return r->progress ? r->progress(r->progress_userdata) : 0;
}

int router_swap_backend(Router *r, const Backend *b) {
        char label[64];
        int k;

        if (r->backend->ops->done)
                r->backend->ops->done(r);
        r->data = NULL;
        r->backend = b;
        if (!b->ops->init)
                return 0;
        k = b->ops->init(r);
        if (k < 0)
                return router_set_error(r, k, "cannot set up the %s driver: %s", backend_label(b, label, sizeof label),
                                        strerror(-k));
        return 0;
}

/* ---- the Router object ---- */

int router_new_with_backend(const Backend *b, const Config *c, const char *password, Router **ret) {
        Router *r;
        int k;

        if (!b->ops)
                return -ENOSYS;
        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->backend = b;
        r->config = c;
        r->error_step = -1;
        r->password = strdup(password ?: "");
        if (!r->password) {
                free(r);
                return -ENOMEM;
        }
        if (b->ops->init) {
                k = b->ops->init(r);
                if (k < 0) {
                        r->backend = NULL;
                        router_free(r);
                        return k;
                }
        }
        *ret = r;
        return 0;
}

const char *router_driver_missing(const Config *c) {
        return c->backend->ops ? NULL : c->backend->missing;
}

int router_new(const Config *c, const char *password, Router **ret) {
        return router_new_with_backend(c->backend, c, password, ret);
}

Router *router_free(Router *r) {
        if (!r)
                return NULL;
        if (r->backend && r->backend->ops->done)
                r->backend->ops->done(r);
        erase_and_free(r->password);
        free(r);
        return NULL;
}

void router_set_progress(Router *r, RouterProgress cb, void *userdata) {
        r->progress = cb;
        r->progress_userdata = userdata;
}

const Backend *router_backend(const Router *r) {
        return r->backend;
}

const char *router_family(const Router *r) {
        return r->backend->family ?: r->backend->driver;
}

bool router_splits_tcp_udp(const Router *r) {
        return r->backend->splits_tcp_udp;
}

const char *router_error(const Router *r) {
        return r->error;
}

const char *router_info(const Router *r) {
        return r->info;
}

const char *router_warning(const Router *r) {
        return r->warning;
}

const char *router_external_address(const Router *r) {
        return r->external;
}

int router_login(Router *r) {
        int k;

        r->error[0] = '\0';
        k = r->backend->ops->login(r);
        if (k < 0)
                return k;
        r->logged_in = true;
        return 0;
}

static int ensure_login(Router *r) {
        return r->logged_in ? 0 : router_login(r);
}

int router_read(Router *r, Table *ret) {
        int k;

        k = ensure_login(r);
        if (k < 0)
                return k;
        r->error[0] = '\0';
        return r->backend->ops->read(r, ret);
}

int router_add(Router *r, const Forward *f) {
        int k;

        k = ensure_login(r);
        if (k < 0)
                return k;
        r->error[0] = '\0';
        return r->backend->ops->add(r, f);
}

int router_delete(Router *r, const Forward *f) {
        int k;

        k = ensure_login(r);
        if (k < 0)
                return k;
        r->error[0] = '\0';
        return r->backend->ops->delete(r, f);
}

bool router_can_batch(const Router *r) {
        return r->backend->ops->apply != NULL;
}

int router_apply(Router *r, const Steps *steps) {
        int k;

        r->error_step = -1;
        if (!r->backend->ops->apply)
                return router_set_error(r, -EOPNOTSUPP, "the %s driver makes changes one at a time", router_family(r));
        if (steps->n == 0)
                return 0; /* nothing to write: no needless apply */
        k = ensure_login(r);
        if (k < 0)
                return k;
        r->error[0] = '\0';
        r->error_step = -1;
        k = r->backend->ops->apply(r, steps);
        if (k >= 0 || r->error_step < 0 || (size_t) r->error_step >= steps->n)
                r->error_step = -1;
        return k;
}

ssize_t router_error_step(const Router *r) {
        return r->error_step;
}

int router_check_add(Router *r, const Forward *f) {
        int k;

        r->error[0] = '\0';
        k = backend_check_group(r->backend, f->group, r->error, sizeof r->error);
        if (k >= 0)
                k = backend_check_forward(r->backend, f, r->error, sizeof r->error);
        if (k >= 0 && r->backend->ops->check)
                k = r->backend->ops->check(r, f);
        return k;
}

int router_logout(Router *r) {
        int k;

        if (!r->logged_in)
                return 0;
        r->error[0] = '\0';
        k = r->backend->ops->logout(r);
        r->logged_in = false;
        return k;
}

bool router_error_is_unreachable(int error) {
        switch (error) {
        case -ECONNREFUSED:
        case -EHOSTUNREACH:
        case -ENETUNREACH:
        case -ETIMEDOUT:
        case -ECONNRESET:
        case -EHOSTDOWN:
        case -EPIPE:
                return true;
        default:
                return false;
        }
}
