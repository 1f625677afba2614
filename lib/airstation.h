/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver.h"
#include "html.h"
#include "http.h"
#include "table.h"

/* What both Buffalo AirStation families share (doc/airstation.md): the HTTP
 * session, fetching and parsing a page, the one new login when the router's
 * session has ended, the words of a refusal, and firmware: auto, which
 * fetches /login.html and asks each family's probe whose it is. Each family
 * file (airstation-nosave.c, airstation-arcadyan.c) keeps only what differs. */

extern const RouterDriver airstation_auto_driver;
extern const RouterDriver airstation_nosave_driver;
extern const RouterDriver airstation_arcadyan_driver;

/* Whether a login page (UTF-8, NUL-terminated) is the family's. */
bool airstation_nosave_probe(const char *page, size_t size);
bool airstation_arcadyan_probe(const char *page, size_t size);

/* The state of every family begins with this member. */
typedef struct AirStation {
        HttpClient *http;
} AirStation;

/* Allocates r->data (size bytes, zeroed, an AirStation first) and its HTTP
 * client for router.url, whose progress asks the router's. */
int airstation_init(Router *r, size_t size);
/* Frees the HTTP client and r->data (the family frees its own members
 * first). */
void airstation_done(Router *r);
HttpClient *airstation_http(Router *r);

/* GET (fields NULL) or POST a page and parse it as HTML; the raw UTF-8
 * reply too when ret_raw is given. Errors set the router's. */
int airstation_fetch(Router *r, const char *path, const char *referer, const HttpField *fields, size_t n_fields,
                     char **ret_raw, htmlDocPtr *ret_doc);
/* Whether the page's <title> is title (ASCII case ignored). */
bool airstation_title_is(htmlDocPtr doc, const char *title);
/* A refusal in the router's words: -ENOSPC when they say the table is full
 * (wording UNKNOWN on both families: doc/airstation.md), else -EREMOTEIO. */
int airstation_refused(Router *r, const char *words);

/* Runs op; when it says the session had ended (-ESTALE: nothing was done),
 * logs in again once and runs it afresh. what names the page for the error
 * when the new session ends at once too. */
int airstation_with_relogin(Router *r, int (*op)(Router *r, void *arg), void *arg, const char *what);

/* Which family's login page this is, for firmware: auto (exported for the
 * tests): the row, or NULL with what was seen described in seen. */
const Backend *airstation_detect_family(const char *page, size_t size, char *seen, size_t seen_size);

/* Whether s is valid UTF-8: a group name read from a page that is not (bytes
 * of another charset in a page declared UTF-8, or declaring none) is refused
 * rather than shown as garbage that matches no group of the file. */
bool airstation_text_is_utf8(const char *s);

/* What a config can say of a forward's LAN ports (config.c): one port, or a
 * range as wide as the WAN one. */
static inline bool airstation_lan_ports_fit(PortRange ports, PortRange lan) {
        return lan.first == lan.last || lan.last - lan.first == ports.last - ports.first;
}
