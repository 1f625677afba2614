/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What both AirStation families share; see airstation.h and
 * doc/airstation.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "airstation.h"
#include "macro.h"
#include "utf8.h"

/* Words of a "table full" refusal (UNKNOWN wording on both families). */
static const char *const full_words[] = { "上限", "これ以上", "full", "maximum" };

int airstation_init(Router *r, size_t size) {
        AirStation *a;
        int k;

        a = calloc(1, size);
        if (!a)
                return -ENOMEM;
        k = http_client_new(r->config->url, r->config->timeout_usec, &a->http);
        if (k < 0) {
                free(a);
                return k;
        }
        http_client_set_progress(a->http, router_progress, r);
        r->data = a;
        return 0;
}

void airstation_done(Router *r) {
        AirStation *a = r->data;

        if (!a)
                return;
        http_client_free(a->http);
        free(a);
        r->data = NULL;
}

HttpClient *airstation_http(Router *r) {
        return ((AirStation *) r->data)->http;
}

int airstation_fetch(Router *r, const char *path, const char *referer, const HttpField *fields, size_t n_fields,
                     char **ret_raw, htmlDocPtr *ret_doc) {
        _cleanup_free_ char *body = NULL;
        HttpClient *h = airstation_http(r);
        size_t size;
        int k;

        if (fields)
                k = http_post_form(h, path, referer, fields, n_fields, &body, &size);
        else
                k = http_get(h, path, referer, &body, &size);
        if (k < 0)
                return router_set_error(r, k, "%s", http_error(h));
        if (html_parse(body, size, ret_doc) < 0)
                return router_set_error(r, -EBADMSG, "%s: the reply is not an HTML page", path);
        if (ret_raw)
                *ret_raw = TAKE_PTR(body);
        return 0;
}

bool airstation_title_is(htmlDocPtr doc, const char *title) {
        _cleanup_free_ char *t = NULL;

        return html_title(doc, &t) >= 0 && strcasecmp(t, title) == 0;
}

int airstation_refused(Router *r, const char *words) {
        for (size_t i = 0; i < ELEMENTSOF(full_words); i++)
                if (strcasestr(words, full_words[i]))
                        return router_set_error(r, -ENOSPC, "%s", words);
        return router_set_error(r, -EREMOTEIO, "%s", words);
}

int airstation_with_relogin(Router *r, int (*op)(Router *r, void *arg), void *arg, const char *what) {
        int k = op(r, arg);

        if (k != -ESTALE)
                return k;
        r->error[0] = '\0';
        k = r->backend->ops->login(r);
        if (k < 0)
                return k;
        k = op(r, arg);
        if (k == -ESTALE)
                return router_set_error(r, -EBADMSG, "%s: session expired again after a new login", what);
        return k;
}

bool airstation_text_is_utf8(const char *s) {
        while (*s) {
                uint32_t c;
                size_t l = utf8_decode((const unsigned char *) s, &c);

                if (l == 0)
                        return false;
                s += l;
        }
        return true;
}

/* ---- firmware: auto ---- */

const Backend *airstation_detect_family(const char *page, size_t size, char *seen, size_t seen_size) {
        _cleanup_(html_freep) htmlDocPtr doc = NULL;
        _cleanup_free_ char *title = NULL;

        for (size_t i = 0; i < registry_size(); i++) {
                const Backend *b = registry_row(i);

                if (b->probe && b->probe(page, size))
                        return b;
        }
        if (html_parse(page, size, &doc) < 0) {
                snprintf(seen, seen_size, "a page that does not parse as HTML (%zu bytes)", size);
                return NULL;
        }
        (void) html_title(doc, &title);
        snprintf(seen, seen_size, "a login page titled '%.80s' that no family's probe recognises", title ?: "");
        return NULL;
}

static int auto_login(Router *r) {
        _cleanup_(http_client_freep) HttpClient *h = NULL;
        _cleanup_free_ char *page = NULL;
        const char *names[16];
        const Backend *b;
        char seen[200], words[128];
        size_t size, n;
        int k;

        k = http_client_new(r->config->url, r->config->timeout_usec, &h);
        if (k < 0)
                return router_set_error(r, k, "cannot use URL '%s'", r->config->url);
        http_client_set_progress(h, router_progress, r);
        k = http_get(h, "/login.html", NULL, &page, &size);
        if (k < 0)
                return router_set_error(r, k, "%s", http_error(h));

        b = airstation_detect_family(page, size, seen, sizeof(seen));
        if (!b) {
                n = registry_family_names(r->backend->driver, names, ELEMENTSOF(names));
                /* every family but auto itself */
                for (size_t i = 0; i < n; i++)
                        if (streq(names[i], r->backend->family)) {
                                memmove(&names[i], &names[i + 1], (n - i) * sizeof(names[0]));
                                n--;
                                break;
                        }
                return router_set_error(r, -EBADMSG, "unknown router web UI: %s; supported AirStation families: %s",
                                        seen, registry_names_in_words(names, n, ", ", words, sizeof words));
        }
        k = router_swap_backend(r, b);
        if (k < 0)
                return k;
        return b->ops->login(r);
}

static int auto_read(Router *r, Table *ret) {
        return router_set_error(r, -ENOTCONN, "not logged in");
}

static int auto_change(Router *r, const Forward *f) {
        return router_set_error(r, -ENOTCONN, "not logged in");
}

static int auto_logout(Router *r) {
        return 0;
}

const RouterDriver airstation_auto_driver = {
        .login = auto_login,
        .read = auto_read,
        .add = auto_change,
        .delete = auto_change,
        .logout = auto_logout,
};
