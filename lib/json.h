/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdio.h>

/* Writes s as a JSON string literal (with quotes), or null when s is NULL.
 * Bytes that are not valid UTF-8 are written as U+FFFD. */
void json_write_string(FILE *f, const char *s);
