/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdio.h>

/* The checks of the C unit tests: a failed one is printed with its place and
 * the expression, counted in failures, and the test goes on; main() ends
 * with "return failures ? 1 : 0" (or says how many failed first). */

static unsigned checks, failures;

#define CHECK(expr)                                                                              \
        do {                                                                                     \
                checks++;                                                                        \
                if (!(expr)) {                                                                   \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr); \
                        failures++;                                                              \
                }                                                                                \
        } while (0)

/* The same, saying more: CHECKF(n == 3, "%s: got %zu", name, n). */
#define CHECKF(expr, ...)                                                                          \
        do {                                                                                       \
                checks++;                                                                          \
                if (!(expr)) {                                                                     \
                        fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #expr);   \
                        fprintf(stderr, __VA_ARGS__);                                              \
                        fputc('\n', stderr);                                                       \
                        failures++;                                                                \
                }                                                                                  \
        } while (0)
