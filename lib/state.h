/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The daemon's last pass, for `portkeep status`: a small JSON file in the
 * runtime directory (lock_runtime_directory()), named "status.json", written
 * by the daemon after every pass (to a temporary file, then renamed, so a
 * reader never sees half of it):
 *
 *   {"version":1,"pid":1234,"config":"/etc/portkeep/portkeep.yaml",
 *    "router":"192.168.11.1",
 *    "last_pass":{"started":"2026-11-28T13:00:00Z","finished":"2026-11-28T13:00:02Z",
 *                 "result":"in sync","ok":true,"changes":0},
 *    "next_pass":"2026-11-28T13:05:00Z","status":"in sync: 6 forwards in 2 groups"}
 *
 * "result" is one of "in sync", "applied", "refused", "failed"; "status" is
 * the same plain words as the daemon's STATUS= line. Times are UTC, RFC 3339.
 * last_pass is null before the first pass ends. */

#define STATE_FILE_NAME "status.json"

typedef struct State {
        pid_t pid;
        char *config;
        char *router;
        bool have_last_pass;
        uint64_t started_usec, finished_usec; /* CLOCK_REALTIME */
        char *result;
        bool ok;
        unsigned changes;
        uint64_t next_pass_usec;             /* 0: none planned */
        char *status;
} State;

void state_done(State *s);

/* Writes s atomically to dir/status.json. */
int state_write(const char *dir, const State *s);
/* Reads dir/status.json; -ENOENT if no daemon has written one, -EBADMSG if
 * it is not a file this version understands. */
int state_read(const char *dir, State *ret);
