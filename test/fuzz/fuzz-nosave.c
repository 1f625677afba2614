/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for what a nosave router's table page goes through, as
 * lib/http.c and the driver's read do it with no Content-Type charset: the
 * charset of its <meta>, the conversion to UTF-8, libxml2, the page checks
 * and the table parser. Any page must give a normalised table or an error
 * with its message, never a crash, a leak or a hang. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "airstation-parse.h"
#include "fuzz-table.h"
#include "html.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Router *r = fuzz_router("nosave");
        _cleanup_(html_freep) htmlDocPtr doc = NULL;
        _cleanup_(freep) char *body = NULL;
        char cs[32];
        size_t n;
        Table t;
        int k;

        /* what lib/http.c hands the driver, with no Content-Type charset */
        if (http_page_to_utf8(NULL, (const char *) data, size, cs, sizeof(cs), &body, &n) < 0)
                return 0;
        if (body[n] != '\0')
                __builtin_trap();

        if (html_parse(body, n, &doc) < 0)
                return 0;
        table_init(&t);
        k = nosave_parse_table_page(r, body, doc, &t);
        if (k >= 0)
                fuzz_check_table(&t, false);
        else if (k != -ESTALE && k != -ENOMEM && !r->error[0])
                __builtin_trap(); /* an error says what was wrong */
        table_done(&t);
        return 0;
}
