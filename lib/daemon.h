/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* `portkeep run`: the reconcile daemon of doc/design.md ("Sessions, locks and the daemon").
 *
 * An sd-event loop runs one pass (pass_run(PASS_APPLY), not forced) at start
 * and then every sync.interval, each under the per-router lock, which it
 * releases between passes (a busy lock is tried again a second later, not
 * counted as a failure). The password is read afresh for every pass.
 *
 *   SIGHUP          reload: the file is parsed into a new Config, swapped in
 *                   only when valid, and a pass runs at once; a broken file
 *                   keeps the running one, its errors logged as FILE:LINE:COLUMN
 *                   and every STATUS= noting it until a reload succeeds
 *   SIGUSR1         a pass now
 *   SIGTERM/SIGINT  stop: a request in flight is abandoned (the progress
 *                   callback sees the pending signal), the session is logged
 *                   out if that can be done within half a second, exit 0
 *
 * A failed pass backs off: min(interval, 30s), doubling, at most 1h, ±20%
 * jitter, reset by a good pass; a rejected login waits at least 10 minutes.
 * A pass refused by a safety guard (max_deletes, an unmanaged conflict) is not
 * a failure: nothing was changed, nothing is wrong with the router, and
 * retrying sooner would not help; it is logged, shown in STATUS=, and tried
 * again at the next interval.
 *
 * sd_notify: READY=1 once the file is loaded; STATUS= after every pass and
 * failure; RELOADING=1/READY=1 around a reload; STOPPING=1; WATCHDOG=1 every
 * half of $WATCHDOG_USEC from the loop and every quarter from inside a long
 * request. The state of each pass goes to the status file (state.h).
 *
 * Returns the process exit status: 0 when stopped by SIGTERM/SIGINT,
 * EX_CONFIG (78) when the file (or the password file) is invalid at start,
 * 1 when the event loop cannot be set up. The daemon never exits because
 * the router is down or misbehaves. */
int daemon_run(const char *config_path);

/* How long to wait after the failures-th failed pass in a row (1 for the
 * first) before the next: min(interval, 30s), doubled for each further
 * failure up to 1h, times a jitter factor of 0.8 to 1.2 taken from rnd
 * (uniform over 401 steps), and still at most 1h; a rejected login waits at
 * least 10 minutes. Pure, for the tests: the daemon passes a random number. */
uint64_t daemon_backoff_usec(uint64_t interval_usec, unsigned failures, bool login_rejected, uint32_t rnd);
