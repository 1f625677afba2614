/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "plan.h"
#include "registry.h"
#include "table.h"

/* One interface for every router driver; one file per driver (and per
 * firmware family) behind it.
 *
 * Error codes, so that the caller can choose message and exit code:
 *   -EACCES        login rejected (wrong user or password)
 *   -ECONNREFUSED, -EHOSTUNREACH, -ETIMEDOUT  router unreachable / too slow
 *   -EBADMSG       the router answered with a page that is not the expected one
 *                  (truncated, another firmware, a login page) — never an empty table
 *   -ENOSPC        table full
 *   -EREMOTEIO     the router refused a change (its own words in router_error())
 *   -ENOENT        the row to delete was not found in a fresh read
 *   -EEXIST        (router_apply) an add whose key a fresh read shows taken
 *   -EPROTONOSUPPORT  the driver cannot express this forward
 *   -ECANCELED     aborted (SIGTERM pending, see router_set_progress())
 *   -ENOSYS        driver or family not built
 * With every error, router_error() holds one line saying what happened, in the
 * router's own words where it gave any; it never holds a password or token. */

typedef struct Router Router;

/* Called during long requests (from curl's progress callback); returning
 * non-zero aborts the request with -ECANCELED. */
typedef int (*RouterProgress)(void *userdata);

/* Makes the driver of c's registry row; does not contact the router.
 * password is copied and wiped on router_free(). -ENOSYS when the row's
 * driver is not in this build (router_driver_missing() says why). */
int router_new(const Config *c, const char *password, Router **ret);
Router *router_free(Router *r);
void router_set_progress(Router *r, RouterProgress cb, void *userdata);

/* The registry row in use: with firmware: auto, the detected family's after
 * login. */
const Backend *router_backend(const Router *r);
/* Its family ("nosave", "arcadyan"; "auto" before login), else its driver's
 * name. */
const char *router_family(const Router *r);
/* Whether the router stores tcp/udp as a separate tcp and udp entry. */
bool router_splits_tcp_udp(const Router *r);

int router_login(Router *r);
/* Reads the whole table, normalised (see table.h); row ids valid until the
 * next read or change. */
int router_read(Router *r, Table *ret);
/* Each change reads the table afresh first and locates rows by their values. */
int router_add(Router *r, const Forward *f);
int router_delete(Router *r, const Forward *f);
/* Whether the driver makes a whole pass's steps in one write (router_apply());
 * drivers that cannot take them one at a time through router_add() and
 * router_delete(). */
bool router_can_batch(const Router *r);
/* Makes all steps (in order: the deletes that free a key before the add that
 * needs it) in one write: reads the table afresh, applies the steps to it,
 * locating each delete's row by its values, and writes the result once. A
 * delete not found (-ENOENT), an add whose key is taken (-EEXIST), or what
 * the router cannot hold (-ENOSPC, -EPROTONOSUPPORT) fails before anything
 * is sent; then router_error_step() names the step. -EOPNOTSUPP when the
 * driver cannot batch. */
int router_apply(Router *r, const Steps *steps);
/* After a failed router_apply(): the index of the step the error is about,
 * or -1 when it is about the write as a whole (refused, lost, ...). */
ssize_t router_error_step(const Router *r);
/* Whether the router could store f at all (the registry row's limits, then
 * what the driver knows): 0, or -EPROTONOSUPPORT with router_error() saying
 * why. Sends nothing; with firmware: auto, meaningful after login. */
int router_check_add(Router *r, const Forward *f);
/* Best effort; safe to call when not logged in. */
int router_logout(Router *r);

const char *router_error(const Router *r);
/* After login, "" or one line: what the driver found (for -v), and what the
 * user should know (a router whose external address the Internet cannot
 * reach). */
const char *router_info(const Router *r);
const char *router_warning(const Router *r);
/* The router's Internet-side address as it reported it at login, or "". */
const char *router_external_address(const Router *r);

/* NULL when this build has a driver for c, else why not (one line). */
const char *router_driver_missing(const Config *c);

/* Whether error means the router did not answer (down, wrong address, too
 * slow), as opposed to answering with something wrong. */
bool router_error_is_unreachable(int error);
