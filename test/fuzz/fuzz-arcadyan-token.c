/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for the spacer-image token of an arcadyan page (the
 * login page, the port-forwarding page, the logout page): a page gives a
 * token of decimal digits, or none, never a crash or a leak. */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "airstation-parse.h"
#include "html.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(html_freep) htmlDocPtr doc = NULL;
        _cleanup_(freep) char *token = NULL;
        int k;

        if (html_parse((const char *) data, size, &doc) < 0)
                return 0;
        k = arcadyan_page_token(doc, &token);
        if (k < 0) {
                if (k != -ENOENT && k != -EBADMSG && k != -ENOMEM)
                        __builtin_trap();
                return 0;
        }
        /* it goes into a URL query and a form unescaped: digits only */
        if (!token[0])
                __builtin_trap();
        for (const char *p = token; *p; p++)
                if (!isdigit((unsigned char) *p))
                        __builtin_trap();
        return 0;
}
