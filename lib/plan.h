/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "table.h"

/* The plan engine of doc/design.md ("Data model"): pure, no I/O but printing. */

/* CHANGE_RENEW: an entry equal to the file's whose lease runs short, added
 * again in place (UPnP), which is not a delete. */
typedef enum { CHANGE_ADD, CHANGE_DELETE, CHANGE_REPLACE, CHANGE_RENEW, _CHANGE_MAX } ChangeAction;

typedef struct Change {
        ChangeAction action;
        Forward new; /* add, replace: the declared forward */
        Forward old; /* delete, replace: the router's entry */
        char *reason; /* why, where the change alone does not say it, or NULL */
} Change;

typedef struct Conflict {
        Forward declared; /* from the file */
        Forward held_by;  /* the unmanaged router entry holding its key */
} Conflict;

typedef struct PlanOptions {
        Prune prune;
        unsigned max_deletes;
        bool force;                  /* take over conflicting entries, pass the guard */
        char *const *managed_groups; /* groups named in the file */
        size_t n_managed_groups;
        /* groups portkeep applied and verified before (ownership.h): a
         * recorded group gone from the file is managed still (its entries
         * go); a file group not recorded yet owns only the entries that
         * match the file (the others are not portkeep's to delete) */
        char *const *recorded_groups;
        size_t n_recorded_groups;
        bool use_record;             /* false: every file group is portkeep's, as without a record */
        bool split_tcp_udp;          /* the router stores tcp/udp as a tcp and a udp entry */
        bool split_port_ranges;      /* ... and a port range as one entry per port */
        bool grouped_are_managed;    /* every entry with a group is portkeep's (the router marks them) */
        uint32_t renew_below_sec;    /* renew entries whose lease_sec is below this; 0: never */
        const char *source;          /* config file name for messages (FILE:LINE:COLUMN), or NULL */
} PlanOptions;

typedef struct Plan {
        Change *changes; /* what a user sees, in the order shown */
        size_t n_changes;
        Table unmanaged; /* router entries portkeep leaves alone */
        Table unadopted; /* entries of a file group not recorded yet that the file does not
                          * declare: not created by portkeep, left (force: deleted) */
        Conflict *conflicts;
        size_t n_conflicts;
        size_t n_deletes;      /* deletes + replaces: what max_deletes counts */
        unsigned max_deletes;
        size_t n_in_sync;      /* declared forwards already right */
        /* added for printing: */
        size_t n_declared;     /* declared forwards (as in the file, tcp/udp counted once) */
        size_t n_groups;       /* distinct groups among them */
        size_t n_kept;         /* managed entries not in the file kept (prune: none) */
        Prune prune;
        bool force;            /* conflicts are taken over */
        char *source;          /* copy of PlanOptions.source */
} Plan;

/* One primitive operation for a driver, in execution order: every delete that
 * frees a key comes before the add that needs it. A replace is a delete of the
 * old entry and an add of the new. */
typedef struct Step {
        bool add;  /* false: delete */
        bool renew; /* an add that renews an equal entry: nothing to undo */
        Forward f;
} Step;

typedef struct Steps {
        Step *items;
        size_t n;
} Steps;

/* Returns 0 and the plan in *ret; -ENOMEM; or -EINVAL when desired holds two
 * forwards with the same key and different values (after tcp/udp is split,
 * with split_tcp_udp). Exact duplicates in desired count once. */
int plan_compute(const Table *desired, const Table *actual, const PlanOptions *o, Plan **ret);
Plan *plan_free(Plan *p);
bool plan_in_sync(const Plan *p);

/* 0 if apply may go ahead; -E2BIG when deletes exceed max_deletes (the
 * guard refuses the whole pass). With force, 0. */
int plan_check_guards(const Plan *p, bool force);
/* Whether declared forwards are held back by entries portkeep does not own
 * (conflicts, not taken over), or entries not created by portkeep are left
 * in a file group (unadopted): they hold back only themselves, the rest of
 * the plan goes ahead. */
bool plan_held_back(const Plan *p);

int plan_steps(const Plan *p, Steps *ret);
/* The steps that undo the first n_done of steps, most recent first. */
int plan_undo_steps(const Steps *steps, size_t n_done, Steps *ret);
void steps_done(Steps *s);

/* The readable diff: "+" add, "-" delete, "~" replace (old and new),
 * unmanaged entries apart, conflicts called out, a one-line summary. */
void plan_print(const Plan *p, FILE *f);
/* The --json object of doc/design.md for plan, with "version": 1. */
void plan_print_json(const Plan *p, FILE *f);
/* The same members without the braces and "version", for an object that
 * holds more (apply --json, where in_sync says whether the router matches
 * the file after the pass). */
void plan_print_json_members(const Plan *p, bool in_sync, FILE *f);
