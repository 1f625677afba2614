/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>

#include "json.h"
#include "utf8.h"

void json_write_string(FILE *f, const char *str) {
        const unsigned char *s = (const unsigned char *) str;

        if (!s) {
                fputs("null", f);
                return;
        }
        fputc('"', f);
        while (*s) {
                uint32_t cp;
                size_t n;

                switch (*s) {
                case '"':  fputs("\\\"", f); s++; continue;
                case '\\': fputs("\\\\", f); s++; continue;
                case '\n': fputs("\\n", f); s++; continue;
                case '\r': fputs("\\r", f); s++; continue;
                case '\t': fputs("\\t", f); s++; continue;
                }
                if (*s < 0x20) {
                        fprintf(f, "\\u%04x", *s);
                        s++;
                        continue;
                }
                n = utf8_decode(s, &cp);
                if (n == 0) {
                        fputs("\\ufffd", f);
                        s++;
                        continue;
                }
                fwrite(s, 1, n, f);
                s += n;
        }
        fputc('"', f);
}
