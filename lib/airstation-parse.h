/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "html.h"
#include "router.h"
#include "table.h"
#include "utf8.h"

/* The parsing steps of the AirStation drivers, without the network: what a
 * read does with the router's answers once they arrived. Internal; for the
 * fuzz targets in test/fuzz/. r is a router of that driver
 * (router_new_with_driver(), which sends nothing); on failure its error is
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

/* Whether s is valid UTF-8: a group name read from a page that is not (bytes
 * of another charset in a page declared UTF-8, or declaring none) is refused
 * rather than shown as garbage that matches no group of the file. */
static inline bool airstation_text_is_utf8(const char *s) {
        while (*s) {
                uint32_t c;
                size_t l = utf8_decode((const unsigned char *) s, &c);

                if (l == 0)
                        return false;
                s += l;
        }
        return true;
}

/* What a config can say of a forward's LAN ports (config.c): one port, or a
 * range as wide as the WAN one. */
static inline bool airstation_lan_ports_fit(PortRange ports, PortRange lan) {
        return lan.first == lan.last || lan.last - lan.first == ports.last - ports.first;
}
