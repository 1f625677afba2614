/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ownership.h"

/* The daemon's last pass (and the last one-shot apply's), for `portkeep status`: a small file of KEY=VALUE
 * lines in the runtime directory (lock_runtime_directory()), named "status",
 * as systemd keeps its own state under /run. The daemon writes it after every
 * pass, to a temporary file then renamed, so a reader never sees half of it:
 *
 *   VERSION=1
 *   PID=1234
 *   CONFIG=/etc/portkeep/portkeep.yaml
 *   ROUTER=192.168.11.1
 *   STATUS=in sync: 6 forwards in 2 groups
 *   NEXT_PASS=1795870200000000
 *   STARTED=1795869900000000
 *   FINISHED=1795869902000000
 *   OK=1
 *   CHANGES=0
 *   RESULT=in sync
 *
 * Times are CLOCK_REALTIME microseconds. RESULT is one of "in sync",
 * "applied", "refused", "failed"; STATUS is the same plain words as the
 * daemon's STATUS= line. The last pass's keys are absent before the first pass
 * ends. Users read it through `portkeep status [--json]`, not directly. */

#define STATE_FILE_NAME "status"
/* The same keys for the last one-shot 'portkeep apply' (the timer's, or one
 * run by hand): PID is that process's, NEXT_PASS absent. */
#define APPLY_STATE_FILE_NAME "last-apply"

typedef struct State {
        pid_t pid;
        char *config;
        char *router;
        char *external;                      /* the router's external address at the last pass, or NULL */
        Ownership recorded;                  /* the groups portkeep applied there, after the last pass */
        bool have_last_pass;
        uint64_t started_usec, finished_usec; /* CLOCK_REALTIME */
        char *result;
        bool ok;
        unsigned changes;
        uint64_t next_pass_usec;             /* 0: none planned */
        char *status;
} State;

void state_done(State *s);

/* Writes s atomically to dir/name (STATE_FILE_NAME, APPLY_STATE_FILE_NAME). */
int state_write(const char *dir, const char *name, const State *s);
/* Reads dir/name; -ENOENT if none was written, -EBADMSG if it is not a file
 * this version understands. */
int state_read(const char *dir, const char *name, State *ret);
