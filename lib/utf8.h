/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Decodes the UTF-8 character at s; returns its length, or 0 for a byte that
 * does not start a valid character (overlong forms, surrogates and values
 * past U+10FFFF are invalid). */
size_t utf8_decode(const unsigned char *s, uint32_t *ret);
/* The same within left bytes (s need not be NUL-terminated). */
size_t utf8_decode_n(const unsigned char *s, size_t left, uint32_t *ret);

/* Terminal cells of a character, as glibc's wcwidth() in C.UTF-8 says
 * (whatever the process's locale): 2 for wide ones (kana, kanji, hangul,
 * full-width forms, emoji), 0 for combining marks, 1 for the rest. */
unsigned utf8_cell_width(uint32_t c);

/* Whether c must not reach a terminal as is (C0 and C1 controls, DEL). */
static inline int utf8_is_control(uint32_t c) {
        return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0);
}

/* Terminal cells of s, as utf8_print_padded() prints it. */
size_t utf8_columns(const char *s);

/* Prints s with control characters and invalid bytes as '?' (a router's or a
 * file's text cannot send escape sequences to the terminal), then spaces up
 * to width cells. */
void utf8_print_padded(FILE *f, const char *s, size_t width);
