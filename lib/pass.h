/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "ownership.h"
#include "plan.h"
#include "router.h"
#include "table.h"

/* One reconcile pass, as doc/design.md ("What it does") says: log in, read, plan, and
 * for apply: check the guards, make the changes (one at a time, or as one
 * write where the router can batch, see router_can_batch()), read again and
 * verify; undo on a failed change; log out at the end whatever happened.
 *
 * pass_run() logs one info line per change it makes (and debug lines), since
 * a user wants to see progress while it happens; the outcome it returns in
 * PassResult, and its caller logs that once. */

typedef enum {
        PASS_PLAN,  /* read and plan; change nothing */
        PASS_APPLY, /* plan, apply, verify */
        PASS_SHOW,  /* read only */
} PassMode;

typedef enum {
        PASS_OK,      /* in sync, or applied and verified; show: read */
        PASS_PENDING, /* plan: changes pending */
        PASS_REFUSED, /* apply: a safety guard tripped (max_deletes, conflict) */
        PASS_FAILED,  /* see error, stage, message */
} PassOutcome;

typedef enum {
        PASS_STAGE_NONE,
        PASS_STAGE_LOGIN,
        PASS_STAGE_READ,
        PASS_STAGE_PLAN,
        PASS_STAGE_GUARD,
        PASS_STAGE_CHANGE, /* a change was refused or failed */
        PASS_STAGE_VERIFY, /* the table after the changes is not the desired one */
} PassStage;

typedef struct PassResult {
        PassOutcome outcome;
        PassStage stage;
        int error;       /* negative errno of the failure, 0 */
        char *message;   /* one line (or a few): what failed and what to do; NULL on success */

        Table initial;   /* the table read at the start */
        Plan *plan;      /* the plan made from it (NULL for show or before it) */
        size_t n_steps;  /* steps planned */
        size_t n_applied; /* steps done before the end or the failure */

        /* after a failed change: */
        bool rolled_back;   /* the undo ran and the table equals the initial one */
        bool undo_failed;   /* an undo step failed too */
        /* the table as read at the end: after verify, or after the undo
         * (valid when have_final) */
        Table final;
        bool have_final;
        Plan *verify_plan;  /* verify failed: what still differs */

        /* the ownership record (ownership.h), when this router keeps one
         * (not for a router that marks its entries itself): as read, or as
         * written after a verified apply */
        bool use_record;
        Ownership record;
        char external[64];  /* the router's external address as it said at login, or "" */
        Steps done;         /* apply, verified: the steps made, for pass_undo() */
} PassResult;

void pass_result_done(PassResult *res);

/* Runs one pass. Returns 0 when the pass ran to an outcome (which may be
 * PASS_FAILED; look at ret->outcome), or -ENOMEM. ret is always initialised. */
int pass_run(Router *r, const Config *c, PassMode mode, bool force, PassResult *ret);

/* Undoes what the verified apply pass done made (apply --confirm, when the
 * change is not kept): logs in, makes the undo steps, reads the table and
 * compares it with the one done started from. Returns 0 with ret->outcome
 * PASS_OK and ret->rolled_back when the table is as it was, PASS_FAILED
 * (message, final) otherwise; -ENOMEM. */
int pass_undo(Router *r, const Config *c, const PassResult *done, PassResult *ret);

/* Whether the pass changed nothing on the router: it ended before the
 * change stage, with no change made (a pass that holds back a conflict may
 * have made the others). */
bool pass_changed_nothing(const PassResult *res);

/* The word the status file and 'portkeep status' give the pass's outcome:
 * "in sync", "applied", "held back", "refused" or "failed" (state.h). */
const char *pass_result_word(const PassResult *res);

/* The exit code of doc/design.md: 0 ok/in sync, 2 pending, 3 refused, 1 failed. */
int pass_exit_code(const PassResult *res);

/* Where the password comes from, for messages: the credential's path when
 * $CREDENTIALS_DIRECTORY and router.password_credential are set, else
 * router.password_file, else "(no password file)". */
const char *pass_password_source(const Config *c, char *buf, size_t size);

/* Whether group is one the file names (managed). */
bool pass_group_is_managed(const Config *c, const char *group);

/* show: the table, one forward a line, managed entries marked with '*', and
 * a summary line. */
void pass_print_table(const Table *t, const Config *c, const PassResult *res, FILE *f);
/* show --json: {"version":1,"forwards":[{group,proto,wan,ports,lan_ip,lan_ports,managed}]} */
void pass_print_table_json(const Table *t, const Config *c, const PassResult *res, FILE *f);
