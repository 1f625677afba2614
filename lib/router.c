/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "html.h"
#include "http.h"
#include "router.h"

int router_set_error(Router *r, int error, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(r->error, sizeof(r->error), fmt, ap);
        va_end(ap);
        return error;
}

/* ---- drivers that are not built: every operation says so ---- */

static int unbuilt_error(Router *r) {
        return router_set_error(r, -ENOSYS, "%s", (const char *) r->data);
}

static int unbuilt_login(Router *r) {
        return unbuilt_error(r);
}
static int unbuilt_read(Router *r, Table *ret) {
        return unbuilt_error(r);
}
static int unbuilt_change(Router *r, const Forward *f) {
        return unbuilt_error(r);
}
static int unbuilt_logout(Router *r) {
        return 0;
}

static const RouterDriver driver_upnp = {
        .name = "upnp",
        .login = unbuilt_login,
        .read = unbuilt_read,
        .add = unbuilt_change,
        .delete = unbuilt_change,
        .logout = unbuilt_logout,
};

static const char msg_upnp[] =
        "the upnp driver is not built yet in this version of portkeep; for an AirStation use driver: airstation";

/* ---- firmware: auto: fetch /login.html, tell the family, swap drivers ---- */

static int router_swap_driver(Router *r, const RouterDriver *d, void *unbuilt_message) {
        int k;

        if (r->driver->done)
                r->driver->done(r);
        r->data = NULL;
        r->driver = d;
        if (!d->init) {
                r->data = unbuilt_message;
                return 0;
        }
        k = d->init(r);
        if (k < 0)
                return router_set_error(r, k, "cannot set up the %s driver: %s", d->name, strerror(-k));
        return 0;
}

static int auto_progress(void *userdata) {
        Router *r = userdata;

        return r->progress ? r->progress(r->progress_userdata) : 0;
}

/* Which family /login.html belongs to: "nosave", "arcadyan", or NULL with a
 * description of what was seen in seen. Exported for the tests through
 * router_detect_family(). */
static const char *detect_family(const char *page, size_t size, char *seen, size_t seen_size) {
        _cleanup_(html_freep) htmlDocPtr doc = NULL;
        _cleanup_(freep) char *title = NULL;
        xmlNodePtr n;

        if (html_parse(page, size, &doc) < 0) {
                snprintf(seen, seen_size, "a page that does not parse as HTML (%zu bytes)", size);
                return NULL;
        }
        /* nosave: <input type="hidden" name="nosave_session_num" value="..."> */
        n = html_find(doc, "input", "name", "nosave_session_num");
        if (n)
                return "nosave";
        /* arcadyan: <img title=spacer src="data:image/gif;base64,..."> */
        n = html_find(doc, "img", "title", "spacer");
        if (n) {
                _cleanup_(freep) char *src = html_attr(n, "src");

                if (src && strncmp(src, "data:image/gif;base64,", 22) == 0)
                        return "arcadyan";
        }
        (void) html_title(doc, &title);
        snprintf(seen, seen_size, "a login page titled '%.80s' with neither a nosave_session_num input nor a spacer image",
                 title ?: "");
        return NULL;
}

const char *router_detect_family(const char *page, size_t size, char *seen, size_t seen_size) {
        return detect_family(page, size, seen, seen_size);
}

static int auto_login(Router *r) {
        _cleanup_(http_client_freep) HttpClient *h = NULL;
        _cleanup_(freep) char *page = NULL;
        const char *family;
        char seen[200];
        size_t size;
        int k;

        k = http_client_new(r->config->url, r->config->timeout_usec, &h);
        if (k < 0)
                return router_set_error(r, k, "cannot use URL '%s'", r->config->url);
        http_client_set_progress(h, auto_progress, r);
        k = http_get(h, "/login.html", NULL, &page, &size);
        if (k < 0)
                return router_set_error(r, k, "%s", http_error(h));

        family = detect_family(page, size, seen, sizeof(seen));
        if (!family)
                return router_set_error(r, -EBADMSG,
                                        "unknown router web UI: %s; supported AirStation families: nosave, arcadyan",
                                        seen);

        k = router_swap_driver(r, streq(family, "arcadyan") ? &router_driver_arcadyan : &router_driver_nosave,
                               NULL);
        if (k < 0)
                return k;
        return r->driver->login(r);
}

static int auto_read(Router *r, Table *ret) {
        return router_set_error(r, -ENOTCONN, "not logged in");
}
static int auto_change(Router *r, const Forward *f) {
        return router_set_error(r, -ENOTCONN, "not logged in");
}

static const RouterDriver driver_auto = {
        .name = "auto",
        .login = auto_login,
        .read = auto_read,
        .add = auto_change,
        .delete = auto_change,
        .logout = unbuilt_logout,
        .splits_tcp_udp = true, /* until login tells the family; nothing plans before that */
};

/* ---- the Router object ---- */

int router_new_with_driver(const RouterDriver *d, const Config *c, const char *password, Router **ret) {
        Router *r;
        int k;

        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->driver = d;
        r->config = c;
        r->error_step = -1;
        r->password = strdup(password ?: "");
        if (!r->password) {
                free(r);
                return -ENOMEM;
        }
        if (d->init) {
                k = d->init(r);
                if (k < 0) {
                        r->driver = NULL;
                        router_free(r);
                        return k;
                }
        }
        *ret = r;
        return 0;
}

const char *router_driver_missing(const Config *c) {
        return c->driver == DRIVER_UPNP ? msg_upnp : NULL;
}

int router_new(const Config *c, const char *password, Router **ret) {
        Router *r;
        int k;

        if (c->driver == DRIVER_UPNP) {
                k = router_new_with_driver(&driver_upnp, c, password, &r);
                if (k >= 0)
                        r->data = (void *) msg_upnp;
        } else if (c->firmware == FIRMWARE_NOSAVE)
                k = router_new_with_driver(&router_driver_nosave, c, password, &r);
        else if (c->firmware == FIRMWARE_ARCADYAN)
                k = router_new_with_driver(&router_driver_arcadyan, c, password, &r);
        else
                k = router_new_with_driver(&driver_auto, c, password, &r);
        if (k < 0)
                return k;
        *ret = r;
        return 0;
}

Router *router_free(Router *r) {
        if (!r)
                return NULL;
        if (r->driver && r->driver->done)
                r->driver->done(r);
        if (r->password) {
                explicit_bzero(r->password, strlen(r->password));
                free(r->password);
        }
        free(r);
        return NULL;
}

void router_set_progress(Router *r, RouterProgress cb, void *userdata) {
        r->progress = cb;
        r->progress_userdata = userdata;
}

const char *router_family(const Router *r) {
        return r->driver->name;
}

bool router_splits_tcp_udp(const Router *r) {
        return r->driver->splits_tcp_udp;
}

const char *router_error(const Router *r) {
        return r->error;
}

int router_login(Router *r) {
        int k;

        r->error[0] = '\0';
        k = r->driver->login(r);
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
        return r->driver->read(r, ret);
}

int router_add(Router *r, const Forward *f) {
        int k;

        k = ensure_login(r);
        if (k < 0)
                return k;
        r->error[0] = '\0';
        return r->driver->add(r, f);
}

int router_delete(Router *r, const Forward *f) {
        int k;

        k = ensure_login(r);
        if (k < 0)
                return k;
        r->error[0] = '\0';
        return r->driver->delete(r, f);
}

bool router_can_batch(const Router *r) {
        return r->driver->apply != NULL;
}

int router_apply(Router *r, const Steps *steps) {
        int k;

        r->error_step = -1;
        if (!r->driver->apply)
                return router_set_error(r, -EOPNOTSUPP, "the %s driver makes changes one at a time", r->driver->name);
        if (steps->n == 0)
                return 0; /* nothing to write: no needless apply */
        k = ensure_login(r);
        if (k < 0)
                return k;
        r->error[0] = '\0';
        r->error_step = -1;
        k = r->driver->apply(r, steps);
        if (k >= 0 || r->error_step < 0 || (size_t) r->error_step >= steps->n)
                r->error_step = -1;
        return k;
}

ssize_t router_error_step(const Router *r) {
        return r->error_step;
}

int router_check_add(Router *r, const Forward *f) {
        r->error[0] = '\0';
        return r->driver->check ? r->driver->check(r, f) : 0;
}

int router_logout(Router *r) {
        int k;

        if (!r->logged_in)
                return 0;
        r->error[0] = '\0';
        k = r->driver->logout(r);
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
