/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* The per-router lock of DESIGN.md: every verb that logs in holds it, since
 * the routers keep one admin session per client address and a second login
 * or a logout would cut the first.
 *
 * The lock is a file in the runtime directory ($RUNTIME_DIRECTORY, else
 * /run/portkeep), named after the router's host ("192.168.11.1.lock", or
 * "127.0.0.1:8080.lock" when the URL names a port), held with flock() and
 * holding the pid of its holder. */

#define LOCK_DEFAULT_TIMEOUT_USEC (UINT64_C(30) * UINT64_C(1000000))

typedef struct Lock Lock;

/* "192.168.11.1" from "http://admin@192.168.11.1/", "host:port" when a port
 * is given. Returns 0, -EINVAL for a URL without a host, -ENOMEM. */
int lock_name_from_url(const char *url, char **ret);

/* The runtime directory, not created. */
const char *lock_runtime_directory(void);

/* $PORTKEEP_LOCK_TIMEOUT (seconds) if set and valid, else the default. */
uint64_t lock_timeout_usec(void);

/* Takes the lock for url, retrying until timeout_usec has passed. Returns 0
 * and the lock; -EAGAIN when another process still holds it at the end
 * (*ret_holder = its pid, or 0 if unknown); another -errno when the directory
 * or file cannot be made or opened (*ret_path, if given, says which). */
int lock_acquire(const char *url, uint64_t timeout_usec, Lock **ret, pid_t *ret_holder,
                 char **ret_path);
/* Releases and frees; accepts NULL. */
Lock *lock_release(Lock *l);

static inline void lock_releasep(Lock **l) {
        lock_release(*l);
}
