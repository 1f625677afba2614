/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>

#include "json.h"

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s) {
        uint32_t cp;
        size_t n;

        if (s[0] < 0x80)
                return 1;
        if ((s[0] & 0xe0) == 0xc0)
                n = 2, cp = s[0] & 0x1f;
        else if ((s[0] & 0xf0) == 0xe0)
                n = 3, cp = s[0] & 0x0f;
        else if ((s[0] & 0xf8) == 0xf0)
                n = 4, cp = s[0] & 0x07;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        /* overlong forms, surrogates, beyond U+10FFFF */
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                return 0;
        return n;
}

void json_write_string(FILE *f, const char *str) {
        const unsigned char *s = (const unsigned char *) str;

        if (!s) {
                fputs("null", f);
                return;
        }
        fputc('"', f);
        while (*s) {
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
                n = utf8_len(s);
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
