/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for an arcadyan router's cgi_<page>.js: the addCfg()
 * lines, the ARC_NAT_PORTMAP_* entries and their forwards. Any body must give
 * a normalised table or an error with its message, never a crash, a leak or
 * a hang. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "airstation-parse.h"
#include "fuzz-table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Router *r = fuzz_router("arcadyan");
        _cleanup_(freep) char *body = NULL;
        Table t;
        int k;

        /* http.c hands the driver a NUL-terminated body */
        body = malloc(size + 1);
        if (!body)
                return 0;
        memcpy(body, data, size);
        body[size] = '\0';

        k = arcadyan_parse_cfg_js(r, body, &t);
        if (k >= 0) {
                fuzz_check_table(&t, true);
                table_done(&t);
        } else if (k != -ENOMEM && !r->error[0])
                __builtin_trap(); /* an error says what was wrong */
        return 0;
}
