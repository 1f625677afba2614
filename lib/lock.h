/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* The per-router lock of doc/design.md: every verb that logs in holds it, since
 * the routers keep one admin session per client address and a second login
 * or a logout would cut the first.
 *
 * The lock is a file in the runtime directory (lock_runtime_directory()), named after the router's host ("192.168.11.1.lock", or
 * "127.0.0.1:8080.lock" when the URL names a port), held with flock() and
 * holding the pid of its holder. */

#define LOCK_DEFAULT_TIMEOUT_USEC (UINT64_C(30) * UINT64_C(1000000))

typedef struct Lock Lock;

/* "192.168.11.1" from "http://admin@192.168.11.1/", "host:port" when a port
 * is given. Returns 0, -EINVAL for a URL without a host, -ENOMEM. */
int lock_name_from_url(const char *url, char **ret);

/* The runtime directory, not created: $RUNTIME_DIRECTORY (its first entry)
 * when set, as systemd sets it for the unit; otherwise derived from the
 * config file given to lock_set_config_path(), so that a one-shot run and
 * `portkeep status` find what the unit of that file uses:
 *
 *   .../portkeep.yaml (or none given)  ->  /run/portkeep      (portkeep.service)
 *   .../NAME.yaml or .../NAME.yml      ->  /run/portkeep-NAME (portkeep@NAME.service)
 *
 * Only the file's base name counts, not its directory. A NAME that is not a
 * plain file name (empty, ".", "..") falls back to /run/portkeep. Not nested
 * (/run/portkeep/NAME): systemd removes and re-owns a RuntimeDirectory= with
 * everything below it, which would hit the instances inside portkeep's own. */
const char *lock_runtime_directory(void);

/* Remembers the config file (copied) for lock_runtime_directory(); NULL
 * forgets it. Returns 0 or -ENOMEM. */
int lock_set_config_path(const char *config_path);

/* The directory lock_runtime_directory() would pick for config_path with
 * $RUNTIME_DIRECTORY unset, in *ret (freed by the caller). 0 or -ENOMEM. */
int lock_runtime_directory_for(const char *config_path, char **ret);

/* $PORTKEEP_LOCK_TIMEOUT (seconds) if set and valid, else the default. */
uint64_t lock_timeout_usec(void);

/* Takes the lock of that name (the registry row's lock_name(), for instance
 * lock_name_from_url()), retrying until timeout_usec has passed. Returns 0
 * and the lock; -EAGAIN when another process still holds it at the end
 * (*ret_holder = its pid, or 0 if unknown); another -errno when the directory
 * or file cannot be made or opened (*ret_path, if given, says which);
 * -EINVAL for a name that is no file name. */
int lock_acquire(const char *name, uint64_t timeout_usec, Lock **ret, pid_t *ret_holder,
                 char **ret_path);
/* Releases and frees; accepts NULL. */
Lock *lock_release(Lock *l);

static inline void lock_releasep(Lock **l) {
        lock_release(*l);
}
