/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* "did you mean": the name s was most likely meant to be, or NULL: a typo of
 * one character (two in names longer than four), a swapped pair, or another
 * case. For config keys and values, commands and options. */
const char *suggest_closest(const char *s, const char *const *names, size_t n);
