/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <locale.h>
#include <stdbool.h>
#include <wchar.h>

#include "utf8.h"

size_t utf8_decode_n(const unsigned char *s, size_t left, uint32_t *ret) {
        uint32_t c;
        size_t n;

        if (left == 0)
                return 0;
        if (s[0] < 0x80) {
                *ret = s[0];
                return 1;
        }
        if ((s[0] & 0xe0) == 0xc0)
                n = 2, c = s[0] & 0x1f;
        else if ((s[0] & 0xf0) == 0xe0)
                n = 3, c = s[0] & 0x0f;
        else if ((s[0] & 0xf8) == 0xf0)
                n = 4, c = s[0] & 0x07;
        else
                return 0;
        if (left < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
            (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
                return 0;
        *ret = c;
        return n;
}

size_t utf8_decode(const unsigned char *s, uint32_t *ret) {
        /* a NUL ends the string before any read past it: it is no
         * continuation byte */
        return utf8_decode_n(s, 4, ret);
}

/* glibc's width tables, through C.UTF-8 (always there since glibc 2.35)
 * whatever the process's locale is: under systemd it is often C, where
 * wcwidth() knows nothing past ASCII. */
unsigned utf8_cell_width(uint32_t c) {
        static locale_t utf8 = (locale_t) 0;
        static bool tried = false;
        locale_t old;
        int w;

        if (c < 0x80)
                return 1;
        if (!tried) {
                tried = true;
                utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
        }
        if (!utf8)
                return 1;
        old = uselocale(utf8);
        w = wcwidth((wchar_t) c);
        uselocale(old);
        /* 0: a combining mark, on the cell before it; -1: not printable,
         * which the printer shows as '?' */
        return w < 0 ? 1 : (unsigned) w;
}

/* One character of s: its length (at least 1) and cells; *ret_bad when it
 * is printed as '?'. */
static size_t next(const unsigned char *s, unsigned *ret_cells, int *ret_bad) {
        uint32_t c = 0;
        size_t n = utf8_decode(s, &c);

        *ret_bad = n == 0 || utf8_is_control(c);
        *ret_cells = *ret_bad ? 1 : utf8_cell_width(c);
        return n ? n : 1;
}

size_t utf8_columns(const char *str) {
        const unsigned char *s = (const unsigned char *) str;
        size_t cols = 0;

        while (s && *s) {
                unsigned cells;
                int bad;

                s += next(s, &cells, &bad);
                cols += cells;
        }
        return cols;
}

void utf8_print_padded(FILE *f, const char *str, size_t width) {
        const unsigned char *s = (const unsigned char *) str;
        size_t cols = 0;

        while (s && *s) {
                unsigned cells;
                int bad;
                size_t n = next(s, &cells, &bad);

                if (bad)
                        fputc('?', f);
                else
                        fwrite(s, 1, n, f);
                s += n;
                cols += cells;
        }
        for (; cols < width; cols++)
                fputc(' ', f);
}
