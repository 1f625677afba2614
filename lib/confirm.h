/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* `apply --confirm DURATION`, as `netplan try` does it: after a verified
 * apply the change is kept only when someone says so (Enter on the terminal,
 * or `portkeep confirm` from another shell) before the time is up; else it
 * is restored. A restored change must not come straight back from the
 * daemon: the file's content is marked refused until it changes, a reload
 * is asked for, or a plain apply runs. */

typedef enum {
        CONFIRM_KEEP,    /* Enter, or portkeep confirm (SIGUSR1) */
        CONFIRM_TIMEOUT,
        CONFIRM_SIGNAL,  /* SIGHUP (the session dropped), SIGINT, SIGTERM */
} ConfirmAnswer;

/* Waits for the answer for timeout_usec: a line on standard input when it is
 * a terminal or a pipe (end of file is no answer), SIGUSR1, or a stop signal
 * (*ret_signal says which). The signals are blocked while it waits. */
int confirm_wait(uint64_t timeout_usec, ConfirmAnswer *ret, int *ret_signal);

/* The file `portkeep confirm` finds the waiting apply by: the runtime
 * directory's "confirm" (its pid). */
int confirm_pending_create(void);
void confirm_pending_remove(void);
/* `portkeep confirm`: tells the waiting apply to keep its change. 0, -ENOENT
 * when none waits, or -errno. *ret_pid says whom. */
int confirm_send(long *ret_pid);

/* The refused marker, in the state directory beside the ownership record. */
int confirm_mark_refused(const Config *c);
/* The SHA-256 of a config file's content, in hex: what the marker names. */
int confirm_file_hash(const char *path, char ret[static 65]);
/* Whether the content with this hash is the refused one (the daemon passes
 * the hash of what it loaded); *ret_when (may be NULL) gets when it was
 * refused (CLOCK_REALTIME, usec). */
bool confirm_is_refused(const Config *c, const char *hash, uint64_t *ret_when);
void confirm_clear(const Config *c);
