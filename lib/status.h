/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "state.h"

/* `portkeep status`: the daemon's status file (state.h) shown to a user. */

/* Whether pid is a live process named "portkeep" (/proc/PID/comm). When
 * /proc hides the process (hidepid=) but it exists, it counts as running. */
bool status_daemon_running(pid_t pid);

/* The unit that runs the daemon for config_path under the naming of
 * lock_runtime_directory(): "portkeep" or "portkeep@NAME". 0 or -ENOMEM. */
int status_unit_name(const char *config_path, char **ret);

/* Text, for people: daemon running or not, config, router, status, the last
 * pass (result, changes, when, how long, and whether the daemon or a one-shot
 * 'portkeep apply' made it: apply is the last one's record, or NULL; s is the
 * daemon's, or NULL when none has run), the pass before it, and the next.
 * now_usec is CLOCK_REALTIME, for "3m ago"; times are shown in local time. */
void status_print(const State *s, bool running, const State *apply, uint64_t now_usec, FILE *f);

/* {"version":1,"running":B,"pid":N|null,"config":S,"router":S,"external_address":S|null,
 *  "recorded_groups":[S],
 *  "last_pass":{"started":T,"finished":T,"result":S,"in_sync":B,"ok":B,"changes":N,"by":"daemon"|"apply","pid":N}|null,
 *  "last_apply":{the same}|null,"next_pass":T|null,"status":S|null}
 * T is RFC 3339 UTC; last_pass is whichever finished last; next_pass is null
 * when the daemon is not running. With both NULL: running false, the rest
 * null. */
void status_print_json(const State *s, bool running, const State *apply, FILE *f);
