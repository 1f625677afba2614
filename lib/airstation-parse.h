/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "airstation.h"

/* The parsing steps of the AirStation drivers, without the network: what a
 * read does with the router's answers once they arrived. Internal; for the
 * fuzz targets in test/fuzz/. r is a router of that driver
 * (router_new_with_backend(), which sends nothing); on failure its error is
 * set as a read would set it (parse_js() sets only an empty error). */

/* nosave: raw is the table page as UTF-8 and NUL-terminated, doc the same
 * page parsed (html_parse()). Appends the rows to ret. -ESTALE for the
 * "session expired" page, -EBADMSG for anything but a whole table page. */
int nosave_parse_table_page(Router *r, const char *raw, htmlDocPtr doc, Table *ret);

/* arcadyan: body is cgi_<page>.js as UTF-8, NUL-terminated; ret gets the
 * enabled entries (ret need not be initialised; untouched on failure). */
int arcadyan_parse_cfg_js(Router *r, const char *body, Table *ret);
/* arcadyan: the decimal token of the spacer image of a page; -ENOENT when
 * the page has none, -EBADMSG when it does not decode. */
int arcadyan_page_token(htmlDocPtr doc, char **ret);
