/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "macro.h"
#include "pass.h"
#include "time-util.h"
#include "utf8.h"

#define FWD_MAX 128

void pass_result_done(PassResult *res) {
        if (!res)
                return;
        free(res->message);
        table_done(&res->initial);
        table_done(&res->final);
        plan_free(res->plan);
        plan_free(res->verify_plan);
        ownership_done(&res->record);
        steps_done(&res->done);
        *res = (PassResult){};
}

bool pass_changed_nothing(const PassResult *res) {
        return res->stage != PASS_STAGE_CHANGE && res->stage != PASS_STAGE_VERIFY && res->n_applied == 0;
}

const char *pass_result_word(const PassResult *res) {
        switch (res->outcome) {
        case PASS_OK: return res->n_applied > 0 ? "applied" : "in sync";
        case PASS_REFUSED: return res->error == -EEXIST ? "held back" : "refused";
        default: return "failed";
        }
}

int pass_exit_code(const PassResult *res) {
        switch (res->outcome) {
        case PASS_OK: return 0;
        case PASS_PENDING: return 2;
        case PASS_REFUSED: return 3;
        default: return 1;
        }
}

const char *pass_password_source(const Config *c, char *buf, size_t size) {
        const char *dir = secure_getenv("CREDENTIALS_DIRECTORY");

        if (dir && *dir && c->password_credential) {
                snprintf(buf, size, "%s/%s", dir, c->password_credential);
                return buf;
        }
        return c->password_file ? c->password_file : "(no password file)";
}

bool pass_group_is_managed(const Config *c, const char *group) {
        if (!group)
                return false;
        if (c->backend->marks_ownership)
                return true; /* the router marks portkeep's entries, and only those have a group */
        for (size_t i = 0; i < c->n_groups; i++)
                if (streq(c->groups[i], group))
                        return true;
        return false;
}

/* The router as messages name it. */
static const char *where(const Config *c) {
        return c->url ?: "the router found by discovery";
}

static const char *fwd(const Forward *f, char buf[static FWD_MAX]) {
        return forward_to_string(f, buf, FWD_MAX);
}

/* The router's own words, or the errno's when it gave none. */
static const char *router_words(Router *r, int error) {
        const char *e = router_error(r);

        return e && *e ? e : strerror(-error);
}

_printf_(5, 6) static void fail(PassResult *res, PassOutcome outcome, PassStage stage, int error,
                                const char *fmt, ...) {
        va_list ap;
        char *m = NULL;

        va_start(ap, fmt);
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        free(res->message);
        res->message = m;
        res->outcome = outcome;
        res->stage = stage;
        res->error = error;
}

/* Login or read failed: say what happened and what to do. */
static void fail_contact(PassResult *res, Router *r, const Config *c, PassStage stage, int error) {
        const char *doing = stage == PASS_STAGE_LOGIN ? "log in to" : "read the table of";
        char pw[4096];

        switch (error) {
        case -EACCES:
                fail(res, PASS_FAILED, stage, error,
                     "the router at %s rejected the login: %s; check router.username ('%s') and the password in %s",
                     where(c), router_words(r, error), c->username ? c->username : "admin",
                     pass_password_source(c, pw, sizeof pw));
                break;
        case -EBADMSG:
                fail(res, PASS_FAILED, stage, error,
                     "could not %s the router at %s: unexpected answer: %s; check router.url and router.firmware in %s",
                     doing, where(c), router_words(r, error), c->path ? c->path : "the config file");
                break;
        case -ENOSYS:
                fail(res, PASS_FAILED, stage, error, "cannot %s the router at %s: %s", doing, where(c),
                     router_words(r, error));
                break;
        case -ECANCELED:
                fail(res, PASS_FAILED, stage, error, "aborted while trying to %s the router at %s", doing,
                     where(c));
                break;
        default:
                if (router_error_is_unreachable(error))
                        fail(res, PASS_FAILED, stage, error,
                             "could not %s the router at %s: %s; check router.url and that the router is on",
                             doing, where(c), router_words(r, error));
                else
                        fail(res, PASS_FAILED, stage, error, "could not %s the router at %s: %s", doing,
                             where(c), router_words(r, error));
        }
}

/* A change failed: name the forward and give the router's words. */
static void fail_change(PassResult *res, Router *r, const Config *c, const Step *s, int error) {
        const char *verb = s->add ? "adding" : "deleting";
        char b[FWD_MAX];

        switch (error) {
        case -EREMOTEIO:
                fail(res, PASS_FAILED, PASS_STAGE_CHANGE, error, "the router refused %s %s: %s", verb,
                     fwd(&s->f, b), router_words(r, error));
                break;
        case -ENOSPC:
                fail(res, PASS_FAILED, PASS_STAGE_CHANGE, error,
                     "the router's table is full: cannot add %s: %s; remove entries it does not need",
                     fwd(&s->f, b), router_words(r, error));
                break;
        case -ENOENT:
                fail(res, PASS_FAILED, PASS_STAGE_CHANGE, error,
                     "could not delete %s: it is no longer in the router's table (changed by someone else meanwhile?); run 'portkeep plan' again",
                     fwd(&s->f, b));
                break;
        case -EPROTONOSUPPORT:
                fail(res, PASS_FAILED, PASS_STAGE_CHANGE, error, "this router cannot store %s: %s",
                     fwd(&s->f, b), router_words(r, error));
                break;
        case -EEXIST:
                fail(res, PASS_FAILED, PASS_STAGE_CHANGE, error,
                     "could not add %s: %s (changed by someone else meanwhile?); run 'portkeep plan' again",
                     fwd(&s->f, b), router_words(r, error));
                break;
        case -ECANCELED:
                fail(res, PASS_FAILED, PASS_STAGE_CHANGE, error, "interrupted while %s %s", verb, fwd(&s->f, b));
                break;
        default:
                if (router_error_is_unreachable(error))
                        fail(res, PASS_FAILED, PASS_STAGE_CHANGE, error,
                             "lost the router at %s while %s %s: %s; check that the router is on",
                             where(c), verb, fwd(&s->f, b), router_words(r, error));
                else
                        fail(res, PASS_FAILED, PASS_STAGE_CHANGE, error, "%s %s failed: %s", verb,
                             fwd(&s->f, b), router_words(r, error));
        }
}

/* Appends to res->message. */
_printf_(2, 3) static void append(PassResult *res, const char *fmt, ...) {
        char *more = NULL, *m = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&more, fmt, ap) < 0)
                more = NULL;
        va_end(ap);
        if (!more)
                return;
        if (asprintf(&m, "%s%s", res->message ? res->message : "", more) < 0)
                m = NULL;
        free(more);
        if (m) {
                free(res->message);
                res->message = m;
        }
}

static void fail_guard(PassResult *res, const Config *c, const Plan *p, int error) {
        char a[FWD_MAX], b[FWD_MAX];

        fail(res, PASS_REFUSED, PASS_STAGE_GUARD, error, "refusing to apply: ");
        for (size_t i = 0; i < p->n_conflicts; i++)
                append(res, "%s%s is held by the unmanaged entry %s", i ? "; " : "",
                       fwd(&p->conflicts[i].declared, a), fwd(&p->conflicts[i].held_by, b));
        if (p->n_conflicts)
                append(res, "%s", p->n_deletes > p->max_deletes ? "; and " : "");
        if (p->n_deletes > p->max_deletes)
                append(res, "the plan deletes %zu entries (replaces included), more than sync.max_deletes (%u)",
                       p->n_deletes, p->max_deletes);
        append(res, ". Nothing was changed. Review it with 'portkeep plan', then run 'portkeep apply --force'");
        if (p->n_conflicts)
                append(res, " to take over the conflicting entr%s", p->n_conflicts == 1 ? "y" : "ies");
        if (p->n_deletes > p->max_deletes)
                append(res, "%s or raise sync.max_deletes in %s", p->n_conflicts ? "," : "",
                       c->path ? c->path : "the config file");
        append(res, ".");
}

/* A lease shorter than this is renewed: three passes' worth, an hour at least. */
static uint32_t renew_below(const Config *c) {
        uint64_t s = 3 * c->interval_usec / USEC_PER_SEC;

        return s < 3600 ? 3600 : s > UINT32_MAX ? UINT32_MAX : (uint32_t) s;
}

static int make_plan(const Config *c, const Table *actual, const Backend *b, bool force, bool renew,
                     const PassResult *res, Plan **ret) {
        PlanOptions o = {
                .prune = c->prune,
                .max_deletes = c->max_deletes,
                .force = force,
                .managed_groups = c->groups,
                .n_managed_groups = c->n_groups,
                .split_tcp_udp = b->splits_tcp_udp,
                .split_port_ranges = b->splits_port_ranges,
                .grouped_are_managed = b->marks_ownership,
                .renew_below_sec = renew ? renew_below(c) : 0,
                .use_record = res->use_record,
                .recorded_groups = res->record.groups,
                .n_recorded_groups = res->record.n,
                .source = c->path,
        };

        return plan_compute(&c->desired, actual, &o, ret);
}

static void log_step_done(const Step *s, const char *prefix) {
        char b[FWD_MAX];

        log_event(s->add ? LOG_EVENT_FORWARD_ADDED : LOG_EVENT_FORWARD_DELETED, LOG_INFO, &s->f, "%s%s %s",
                  prefix, s->renew ? "renewed the lease of" : s->add ? "added" : "deleted", fwd(&s->f, b));
}

static int do_step(Router *r, const Step *s, const char *prefix) {
        char b[FWD_MAX];
        int k;

        log_debug("%s%s %s", prefix, s->add ? "adding" : "deleting", fwd(&s->f, b));
        k = s->add ? router_add(r, &s->f) : router_delete(r, &s->f);
        if (k < 0) {
                log_debug("%s%s %s failed: %s", prefix, s->add ? "adding" : "deleting", b,
                          router_words(r, k));
                return k;
        }
        log_step_done(s, prefix);
        return 0;
}

static bool table_has(const Table *t, const Forward *f) {
        for (size_t i = 0; i < t->n; i++)
                if (forward_equal(&t->items[i], f))
                        return true;
        return false;
}

/* Keeps the undo steps whose step the table shows made: an add whose
 * forward is there, a delete whose forward is gone. */
static size_t undo_keep_made(Steps *undo, const Table *t) {
        size_t n = 0;

        for (size_t i = 0; i < undo->n; i++) {
                Step *u = &undo->items[i];

                /* undoing an add deletes, undoing a delete re-adds */
                if (u->add ? !table_has(t, &u->f) : table_has(t, &u->f))
                        undo->items[n++] = *u;
                else
                        forward_done(&u->f);
        }
        undo->n = n;
        return n;
}

/* Reads the table into res->final; says so when it cannot. */
static int read_final(Router *r, PassResult *res) {
        int k;

        table_done(&res->final);
        res->have_final = false;
        k = router_read(r, &res->final);
        if (k < 0) {
                table_done(&res->final);
                append(res, "; could not read the table afterwards: %s; its state is unknown, run 'portkeep show'",
                       router_words(r, k));
                return k == -ENOMEM ? k : 1;
        }
        res->have_final = true;
        return 0;
}

/* Whether a failed request may have been carried out all the same: its
 * reply never came (a stop signal abandoned it, it timed out, the connection
 * broke). */
static bool outcome_unknown(int error) {
        return error == -ECANCELED || error == -ETIMEDOUT || error == -ECONNRESET || error == -EPIPE;
}

/* After a failed change: undo what this pass did, read the table again.
 * When the failed step may have been made, the table is read first and
 * what it shows made is undone (and only that). */
static int roll_back(Router *r, const Steps *steps, int error, PassResult *res) {
        _cleanup_(steps_done) Steps undo = {};
        bool read_first = outcome_unknown(error) && res->n_applied < steps->n;
        int k;

        if (read_first) {
                k = read_final(r, res);
                if (k != 0)
                        return k < 0 ? k : 0;
        }
        k = plan_undo_steps(steps, res->n_applied + read_first, &undo);
        if (k < 0) {
                append(res, "; could not compute the undo: %s", strerror(-k));
                res->undo_failed = true;
        } else if (read_first) {
                const Step *failed = &steps->items[res->n_applied];

                if (failed->add ? table_has(&res->final, &failed->f) : !table_has(&res->final, &failed->f))
                        res->n_applied++; /* the router made it before the reply was lost */
                if (undo_keep_made(&undo, &res->final) == 0) {
                        res->rolled_back = table_equal(&res->initial, &res->final);
                        return 0;
                }
        }
        for (size_t i = 0; k >= 0 && i < undo.n; i++) {
                char b[FWD_MAX];

                k = do_step(r, &undo.items[i], "undo: ");
                if (k < 0) {
                        res->undo_failed = true;
                        append(res, "; undoing (%s %s) failed too: %s",
                               undo.items[i].add ? "re-adding" : "deleting", fwd(&undo.items[i].f, b),
                               router_words(r, k));
                }
        }
        k = read_final(r, res);
        if (k != 0)
                return k < 0 ? k : 0;
        res->rolled_back = table_equal(&res->initial, &res->final);
        return 0;
}

/* ---- drivers that write a whole pass at once (router_apply()) ---- */

/* "adding A, deleting B, ..." */
static char *steps_list(const Steps *steps) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        for (size_t i = 0; i < steps->n; i++) {
                char b[FWD_MAX];

                fprintf(f, "%s%s %s", i ? ", " : "", steps->items[i].add ? "adding" : "deleting",
                        fwd(&steps->items[i].f, b));
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* The write failed: about one step (found before anything was sent), or
 * as a whole; name the forwards and give the router's words. */
static void fail_batch(PassResult *res, Router *r, const Config *c, const Steps *steps, int error) {
        _cleanup_(freep) char *list = NULL;
        ssize_t i = router_error_step(r);
        size_t n = steps->n;

        if (i >= 0 || n == 1) {
                fail_change(res, r, c, &steps->items[i >= 0 ? (size_t) i : 0], error);
                return;
        }
        list = steps_list(steps);
        switch (error) {
        case -EREMOTEIO:
                fail(res, PASS_FAILED, PASS_STAGE_CHANGE, error, "the router refused the write of %zu changes (%s): %s",
                     n, list ?: "?", router_words(r, error));
                break;
        case -ENOSPC:
                fail(res, PASS_FAILED, PASS_STAGE_CHANGE, error,
                     "the router's table is full: cannot make %zu changes (%s): %s; remove entries it does not need",
                     n, list ?: "?", router_words(r, error));
                break;
        case -ECANCELED:
                fail(res, PASS_FAILED, PASS_STAGE_CHANGE, error, "interrupted while writing %zu changes (%s)", n,
                     list ?: "?");
                break;
        default:
                if (router_error_is_unreachable(error))
                        fail(res, PASS_FAILED, PASS_STAGE_CHANGE, error,
                             "lost the router at %s while writing %zu changes (%s): %s; check that the router is on",
                             where(c), n, list ?: "?", router_words(r, error));
                else
                        fail(res, PASS_FAILED, PASS_STAGE_CHANGE, error, "writing %zu changes (%s) failed: %s", n,
                             list ?: "?", router_words(r, error));
        }
}

/* After a failed write: read the table; when it is the initial one, nothing
 * was changed; else (unless the error was about one step, found before
 * sending) undo what it shows made, in one write, and read again. */
static int roll_back_batch(Router *r, const Steps *steps, ssize_t failed_step, PassResult *res) {
        _cleanup_(steps_done) Steps undo = {};
        int k;

        k = read_final(r, res);
        if (k != 0)
                return k < 0 ? k : 0;
        if (table_equal(&res->initial, &res->final)) {
                res->rolled_back = true;
                append(res, "; nothing was changed");
                return 0;
        }
        /* an error about one step is found before anything is sent: what
         * differs is someone else's doing, not to be undone */
        if (failed_step >= 0) {
                append(res, "; nothing was sent, but the table changed meanwhile");
                return 0;
        }

        k = plan_undo_steps(steps, steps->n, &undo);
        if (k < 0) {
                append(res, "; could not compute the undo: %s", strerror(-k));
                res->undo_failed = true;
                return k == -ENOMEM ? k : 0;
        }
        /* the steps made, as far as the table shows */
        res->n_applied = undo_keep_made(&undo, &res->final);
        if (undo.n == 0) {
                append(res, "; the table differs from the one read at the start, but not by this pass's changes");
                return 0;
        }
        log_debug("the write failed but changed the table: undoing %zu change%s in one write", undo.n,
                  undo.n == 1 ? "" : "s");
        k = router_apply(r, &undo);
        if (k < 0) {
                res->undo_failed = true;
                append(res, "; undoing it in one write failed too: %s", router_words(r, k));
        } else
                for (size_t i = 0; i < undo.n; i++)
                        log_step_done(&undo.items[i], "undo: ");

        k = read_final(r, res);
        if (k != 0)
                return k < 0 ? k : 0;
        res->rolled_back = table_equal(&res->initial, &res->final);
        return 0;
}

/* All steps in one router_apply(); on success, one line per change as the
 * step-by-step path logs them. */
static int write_batch(Router *r, const Config *c, const Steps *steps, PassResult *res) {
        int k;

        log_debug("writing %zu change%s in one request", steps->n, steps->n == 1 ? "" : "s");
        k = router_apply(r, steps);
        if (k < 0) {
                log_debug("the write failed: %s", router_words(r, k));
                fail_batch(res, r, c, steps, k);
                return roll_back_batch(r, steps, router_error_step(r), res);
        }
        for (size_t i = 0; i < steps->n; i++)
                log_step_done(&steps->items[i], "");
        res->n_applied = steps->n;
        return 0;
}

static void describe_differences(PassResult *res, const Plan *p) {
        char a[FWD_MAX], b[FWD_MAX];

        for (size_t i = 0; i < p->n_changes; i++) {
                const Change *ch = &p->changes[i];

                switch (ch->action) {
                case CHANGE_ADD:
                        append(res, "; missing %s", fwd(&ch->new, a));
                        break;
                case CHANGE_DELETE:
                        append(res, "; still present %s", fwd(&ch->old, a));
                        break;
                case CHANGE_REPLACE:
                        append(res, "; %s stored as %s", fwd(&ch->new, a), fwd(&ch->old, b));
                        break;
                default:
                        break; /* a renewal is no difference */
                }
        }
        for (size_t i = 0; i < p->n_conflicts; i++)
                append(res, "; %s held by %s", fwd(&p->conflicts[i].declared, a),
                       fwd(&p->conflicts[i].held_by, b));
}

static int verify(Router *r, const Config *c, bool force, PassResult *res) {
        int k;

        k = router_read(r, &res->final);
        if (k == -ECANCELED) {
                /* A stop signal abandoned the read: the changes are made, so
                 * read once more, in the grace it leaves (interrupt.h). */
                table_done(&res->final);
                k = router_read(r, &res->final);
        }
        if (k < 0) {
                table_done(&res->final);
                fail(res, PASS_FAILED, PASS_STAGE_VERIFY, k,
                     "verify failed: %zu change%s made, but the table could not be read back: %s; run 'portkeep plan' to see the router's state",
                     res->n_applied, res->n_applied == 1 ? "" : "s", router_words(r, k));
                return k == -ENOMEM ? k : 0;
        }
        res->have_final = true;

        k = make_plan(c, &res->final, router_backend(r), force, false, res, &res->verify_plan);
        if (k < 0) {
                fail(res, PASS_FAILED, PASS_STAGE_VERIFY, k, "verify failed: could not compare the table: %s",
                     strerror(-k));
                return k == -ENOMEM ? k : 0;
        }
        /* forwards held back by a conflict stay as they were: what the pass
         * did is verified without them */
        if (res->verify_plan->n_changes > 0 || (force && res->verify_plan->n_conflicts > 0)) {
                fail(res, PASS_FAILED, PASS_STAGE_VERIFY, -EIO,
                     "verify failed: the router acknowledged %zu change%s, but its table still differs from the file",
                     res->n_applied, res->n_applied == 1 ? "" : "s");
                describe_differences(res, res->verify_plan);
                return 0;
        }
        log_debug("verified: the router's table matches the file%s",
                  plan_held_back(res->plan) ? ", but for what is held back" : "");
        res->outcome = PASS_OK;
        return 0;
}

/* The ownership record, where this router keeps one: a router that marks
 * portkeep's entries itself needs none; a record that cannot be read counts
 * as empty (so nothing of a file group is deleted that the file does not
 * declare), with a warning. */
static void read_record(Router *r, const Config *c, PassResult *res) {
        _cleanup_free_ char *path = NULL;
        int k;

        res->use_record = !router_backend(r)->marks_ownership && c->backend->lock_name &&
                          ownership_path(c, &path) >= 0;
        if (!res->use_record)
                return;
        k = ownership_read(path, &res->record);
        if (k < 0)
                log_warning("cannot read %s: %s; counting no group as applied by portkeep before", path,
                            strerror(-k));
        else
                log_debug("%s: %zu group%s applied before", path, res->record.n, res->record.n == 1 ? "" : "s");
}

/* After a verified pass: the file's groups are portkeep's now, but for one
 * whose entries not created by portkeep were left (they wait for --force or
 * the file); groups gone from the file are gone from the record. */
static void write_record(const Config *c, bool force, PassResult *res) {
        _cleanup_(ownership_done) Ownership next = {};
        _cleanup_free_ char *path = NULL;
        int k = 0;

        if (!res->use_record || ownership_path(c, &path) < 0)
                return;
        for (size_t i = 0; k >= 0 && i < c->n_groups; i++) {
                bool left = false;

                for (size_t j = 0; !force && j < res->plan->unadopted.n; j++)
                        left = left || streq_ptr(res->plan->unadopted.items[j].group, c->groups[i]);
                if (!left || ownership_has(&res->record, c->groups[i]))
                        k = ownership_add(&next, c->groups[i]);
        }
        if (k >= 0 && ownership_equal(&next, &res->record))
                return; /* as it was: no write every pass */
        if (k >= 0)
                k = ownership_write(path, &next);
        if (k < 0) {
                log_warning("cannot write %s: %s; the next pass will not know which groups portkeep applied",
                            path, strerror(-k));
                return;
        }
        ownership_done(&res->record);
        res->record = next; /* what the record says now */
        next = (Ownership){};
}

/* The pass changed and verified what it could; the forwards whose keys
 * entries portkeep does not own hold are named, with where the file declares
 * them. */
static void held_back(PassResult *res, const Config *c, const Plan *p) {
        char a[FWD_MAX], b[FWD_MAX];

        if (res->n_applied > 0)
                fail(res, PASS_REFUSED, PASS_STAGE_GUARD, -EEXIST, "applied %zu change%s and verified them; held back: ",
                     res->n_applied, res->n_applied == 1 ? "" : "s");
        else
                fail(res, PASS_REFUSED, PASS_STAGE_GUARD, -EEXIST, "held back: ");
        for (size_t i = 0; i < p->n_conflicts; i++) {
                const Forward *d = &p->conflicts[i].declared;

                append(res, "%s%s", i ? "; " : "", fwd(d, a));
                if (d->line > 0)
                        append(res, " (%s:%u)", c->path ? c->path : "the file", d->line);
                append(res, " is held by the entry %s, which portkeep does not own", fwd(&p->conflicts[i].held_by, b));
        }
        for (size_t i = 0; i < p->unadopted.n; i++)
                append(res, "%s%s was not created by portkeep, left on the router", i || p->n_conflicts ? "; " : "",
                       fwd(&p->unadopted.items[i], a));
        if (p->n_conflicts > 0)
                append(res, ". Remove that entry on the router, change the file, or run 'portkeep apply --force' to take %s over",
                       p->n_conflicts == 1 ? "it" : "them");
        if (p->unadopted.n > 0)
                append(res, ". Declare %s in the file to keep %s, or run 'portkeep apply --force' to take %s (%s deleted then)",
                       p->unadopted.n == 1 ? "it" : "them", p->unadopted.n == 1 ? "it" : "them",
                       p->unadopted.n == 1 ? "it" : "them", p->unadopted.n == 1 ? "it is" : "they are");
        append(res, ".");
}

static int verify_held_back(Router *r, const Config *c, bool force, PassResult *res) {
        int k = verify(r, c, force, res);

        if (k >= 0 && res->outcome == PASS_OK) {
                write_record(c, force, res);
                if (plan_held_back(res->plan))
                        held_back(res, c, res->plan);
        }
        return k;
}

static int apply(Router *r, const Config *c, bool force, PassResult *res) {
        Steps steps = {};
        int k;

        k = plan_check_guards(res->plan, force);
        if (k < 0) {
                fail_guard(res, c, res->plan, k);
                return 0;
        }

        k = plan_steps(res->plan, &steps);
        if (k < 0) {
                fail(res, PASS_FAILED, PASS_STAGE_PLAN, k, "could not order the changes: %s", strerror(-k));
                return k == -ENOMEM ? k : 0;
        }
        res->n_steps = steps.n;
        if (steps.n == 0) {
                steps_done(&steps);
                write_record(c, force, res); /* the table as read is all the pass wants */
                held_back(res, c, res->plan); /* nothing else to do */
                return 0;
        }

        /* What the router cannot store at all (a group name too long for the
         * family found by firmware: auto) fails before the first change, not
         * after half of them and their undo. */
        for (size_t i = 0; i < steps.n; i++) {
                char b[FWD_MAX];

                if (!steps.items[i].add)
                        continue;
                k = router_check_add(r, &steps.items[i].f);
                if (k < 0) {
                        fail(res, PASS_FAILED, PASS_STAGE_PLAN, k, "this router cannot store %s: %s; nothing was changed",
                             fwd(&steps.items[i].f, b), router_words(r, k));
                        steps_done(&steps);
                        return 0;
                }
        }

        if (router_can_batch(r)) {
                k = write_batch(r, c, &steps, res);
                if (k < 0 || res->outcome == PASS_FAILED) {
                        steps_done(&steps);
                        return k;
                }
                res->done = steps; /* for pass_undo() */
                return verify_held_back(r, c, force, res);
        }

        for (size_t i = 0; i < steps.n; i++) {
                k = do_step(r, &steps.items[i], "");
                if (k < 0) {
                        fail_change(res, r, c, &steps.items[i], k);
                        k = roll_back(r, &steps, k, res);
                        steps_done(&steps);
                        return k;
                }
                res->n_applied++;
        }
        res->done = steps; /* for pass_undo() */

        return verify_held_back(r, c, force, res);
}

/* Every pass ends so: logged out, whatever happened (best effort), and a
 * failure without a message means memory ran out. */
static int pass_finish(Router *r, const Config *c, const PassResult *ret, int q) {
        int k = router_logout(r);

        if (k < 0)
                log_debug("logout from %s failed, ignoring: %s", where(c), router_words(r, k));
        if (ret->outcome == PASS_FAILED && !ret->message)
                q = -ENOMEM;
        return q;
}

int pass_undo(Router *r, const Config *c, const PassResult *done, PassResult *ret) {
        _cleanup_(steps_done) Steps undo = {};
        int k, q = 0;

        *ret = (PassResult){};
        table_init(&ret->initial);
        for (size_t i = 0; i < done->initial.n; i++) {
                k = table_add(&ret->initial, &done->initial.items[i]);
                if (k < 0)
                        return k;
        }
        k = plan_undo_steps(&done->done, done->done.n, &undo);
        if (k < 0)
                return k;
        k = router_login(r);
        if (k < 0) {
                fail_contact(ret, r, c, PASS_STAGE_LOGIN, k);
                goto finish;
        }
        if (router_can_batch(r)) {
                k = router_apply(r, &undo);
                if (k >= 0)
                        for (size_t i = 0; i < undo.n; i++)
                                log_step_done(&undo.items[i], "restore: ");
        } else
                for (size_t i = 0; k >= 0 && i < undo.n; i++)
                        k = do_step(r, &undo.items[i], "restore: ");
        if (k < 0)
                fail(ret, PASS_FAILED, PASS_STAGE_CHANGE, k, "restoring the table failed: %s", router_words(r, k));
        k = router_read(r, &ret->final);
        if (k < 0) {
                table_done(&ret->final);
                if (ret->outcome != PASS_FAILED)
                        fail(ret, PASS_FAILED, PASS_STAGE_VERIFY, k, "restored, but the table could not be read back: %s",
                             router_words(r, k));
                goto finish;
        }
        ret->have_final = true;
        ret->rolled_back = table_equal(&ret->initial, &ret->final);
        if (ret->rolled_back) {
                ret->outcome = PASS_OK;
                free(ret->message);
                ret->message = NULL;
        } else if (ret->outcome != PASS_FAILED)
                fail(ret, PASS_FAILED, PASS_STAGE_VERIFY, -EIO,
                     "restored, but the table read back differs from the one before the change");
finish:
        return pass_finish(r, c, ret, q);
}

int pass_run(Router *r, const Config *c, PassMode mode, bool force, PassResult *ret) {
        int k, q = 0;

        *ret = (PassResult){};
        if (mode != PASS_APPLY)
                force = false;

        k = router_login(r);
        if (k < 0) {
                fail_contact(ret, r, c, PASS_STAGE_LOGIN, k);
                goto finish;
        }
        if (router_backend(r) != c->backend)
                log_debug("logged in to %s (firmware: auto detected %s from /login.html)", where(c), router_family(r));
        else
                log_debug("logged in to %s (%s)", c->url ?: "the router", router_family(r));
        if (router_info(r)[0])
                log_debug("%s", router_info(r));
        snprintf(ret->external, sizeof ret->external, "%s", router_external_address(r));
        if (router_warning(r)[0] && mode != PASS_SHOW)
                log_warning("%s", router_warning(r));

        k = router_read(r, &ret->initial);
        if (k < 0) {
                table_done(&ret->initial);
                fail_contact(ret, r, c, PASS_STAGE_READ, k);
                goto finish;
        }
        log_debug("read %zu forward%s from the router", ret->initial.n, ret->initial.n == 1 ? "" : "s");
        read_record(r, c, ret);
        if (mode == PASS_SHOW) {
                ret->outcome = PASS_OK;
                goto finish;
        }

        k = make_plan(c, &ret->initial, router_backend(r), force, true, ret, &ret->plan);
        if (k < 0) {
                fail(ret, PASS_FAILED, PASS_STAGE_PLAN, k, "could not compute the plan: %s", strerror(-k));
                if (k == -ENOMEM)
                        q = k;
                goto finish;
        }
        if (plan_in_sync(ret->plan)) {
                ret->outcome = PASS_OK;
                if (mode == PASS_APPLY)
                        write_record(c, force, ret); /* the table as read is verified */
                goto finish;
        }
        if (mode == PASS_PLAN) {
                ret->outcome = PASS_PENDING;
                goto finish;
        }

        q = apply(r, c, force, ret);

finish:
        return pass_finish(r, c, ret, q);
}

void pass_print_table(const Table *t, const Config *c, const PassResult *res, FILE *f) {
        size_t managed = 0;

        fprintf(f, "   %-16s %-8s %-15s %-12s %s\n", "GROUP", "PROTO", "WAN", "PORTS", "LAN");
        for (size_t i = 0; i < t->n; i++) {
                const Forward *x = &t->items[i];
                bool m = pass_group_is_managed(c, x->group) || (res && ownership_has(&res->record, x->group));
                char p[4], wan[16], ports[12], lan[16], lp[12];

                managed += m;
                fprintf(f, "%c  ", m ? '*' : ' ');
                utf8_print_padded(f, x->group && x->group[0] ? x->group : "(no group)", 16);
                fprintf(f, " %-8s %-15s %-12s %s", proto_to_string(x->proto, p),
                        wan_to_string(x->wan, wan),
                        port_range_is_set(x->ports) ? port_range_to_string(x->ports, ports) : "-",
                        ipv4_to_string(x->lan_ip, lan));
                if (port_range_is_set(x->lan_ports))
                        fprintf(f, ":%s", port_range_to_string(x->lan_ports, lp));
                if (x->lease_sec > 0)
                        fprintf(f, "  (lease %s left)", format_duration((uint64_t) x->lease_sec * USEC_PER_SEC,
                                                                      (char[32]){}));
                fputc('\n', f);
        }
        fprintf(f, "%zu forward%s, %zu managed (*)\n", t->n, t->n == 1 ? "" : "s", managed);
        if (res && res->external[0])
                fprintf(f, "external address: %s\n", res->external);
        if (res && res->record.n > 0) {
                fputs("recorded: ", f);
                for (size_t i = 0; i < res->record.n; i++)
                        fprintf(f, "%s%s", i ? ", " : "", res->record.groups[i]);
                fputs(" (the groups portkeep applied before)\n", f);
        }
}

void pass_print_table_json(const Table *t, const Config *c, const PassResult *res, FILE *f) {
        fputs("{\"version\":1,\"forwards\":[", f);
        for (size_t i = 0; i < t->n; i++) {
                fputs(i ? ",{" : "{", f);
                forward_print_json_members(&t->items[i], f);
                if (t->items[i].lease_sec > 0)
                        fprintf(f, ",\"lease_seconds\":%" PRIu32, t->items[i].lease_sec);
                fprintf(f, ",\"managed\":%s}",
                        pass_group_is_managed(c, t->items[i].group) ||
                                        (res && ownership_has(&res->record, t->items[i].group))
                                ? "true"
                                : "false");
        }
        fputc(']', f);
        if (res && res->external[0]) {
                fputs(",\"external_address\":", f);
                json_write_string(f, res->external);
        }
        if (res && res->use_record) {
                fputs(",\"recorded_groups\":[", f);
                for (size_t i = 0; i < res->record.n; i++) {
                        if (i)
                                fputc(',', f);
                        json_write_string(f, res->record.groups[i]);
                }
                fputc(']', f);
        }
        fputs("}\n", f);
}
