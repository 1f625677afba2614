/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_result_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Hand ownership over: returns the pointer and leaves NULL behind, so that a
 * _cleanup_ variable does not free what was handed on. */
#define TAKE_PTR(p)                          \
        ({                                   \
                __typeof__(p) _p_ = (p);     \
                (p) = NULL;                  \
                _p_;                         \
        })

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)   \
        static inline void func##p(type *p) {     \
                if (*p)                           \
                        func(*p);                 \
        }

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* free() that returns NULL, for "p = mfree(p)". */
static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

/* For secrets: wipes the string, then frees it; accepts NULL. */
static inline char *erase_and_free(char *s) {
        if (s) {
                explicit_bzero(s, strlen(s));
                free(s);
        }
        return NULL;
}
static inline void erase_and_freep(char **s) {
        erase_and_free(*s);
}
#define _cleanup_erase_ _cleanup_(erase_and_freep)

static inline void closep(int *fd) {
        if (*fd >= 0)
                close(*fd);
}

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}

static inline int streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static inline int streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

/* strdup() that keeps NULL as NULL. */
static inline char *strdup_or_null(const char *s) {
        return s ? strdup(s) : NULL;
}
