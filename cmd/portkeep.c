/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portkeep: keeps a router's port-forwarding table equal to a YAML file.
 * Argument parsing, verb dispatch and exit codes; the work is in lib/. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "config-build.h"
#include "config-parser.h"
#include "config.h"
#include "confirm.h"
#include "export.h"
#include "file-util.h"
#include "interrupt.h"
#include "daemon.h"
#include "json.h"
#include "lock.h"
#include "log.h"
#include "macro.h"
#include "pass.h"
#include "plan.h"
#include "router.h"
#include "session.h"
#include "state.h"
#include "status.h"
#include "suggest.h"
#include "time-util.h"

#define DEFAULT_CONFIG PORTKEEP_SYSCONFDIR "/portkeep/portkeep.yaml"

typedef struct Options {
        const char *config_path;
        bool json;
        bool quiet; /* -q: errors only; check prints nothing on success */
        bool force;
        bool dry_run;
        uint64_t confirm_usec; /* apply --confirm DURATION, 0: none */
        const char *confirm_text;
} Options;

typedef struct Verb {
        const char *name;
        int (*run)(const Options *o, int argc, char **argv);
        const char *args;
        const char *help;
} Verb;

static const Verb *find_verb(const char *name);

/* --json on a command that has no JSON to say: one line, exit 64. */
static int no_json(const char *what) {
        fprintf(stderr, "portkeep: %s\n", what);
        return EX_USAGE;
}

_printf_(1, 2) static int usage_error(const char *fmt, ...) {
        va_list ap;

        fputs("portkeep: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("\nTry 'portkeep --help'.\n", stderr);
        return EX_USAGE;
}

static const char *config_path(const Options *o) {
        const char *e;

        if (o->config_path)
                return o->config_path;
        e = secure_getenv("PORTKEEP_CONFIG");
        if (e && *e)
                return e;
        return DEFAULT_CONFIG;
}

static void check_json(const char *path, const ConfigErrors *errors) {
        printf("{\"version\":1,\"valid\":%s,\"errors\":[", errors->n ? "false" : "true");
        for (size_t i = 0; i < errors->n; i++) {
                const ConfigError *e = &errors->items[i];

                printf("%s{\"file\":", i ? "," : "");
                json_write_string(stdout, e->file ? e->file : path);
                if (e->line > 0)
                        printf(",\"line\":%u,\"column\":%u,\"message\":", e->line, e->column);
                else
                        fputs(",\"line\":null,\"column\":null,\"message\":", stdout);
                json_write_string(stdout, e->message);
                putchar('}');
        }
        puts("]}");
}

/* The file as check reads it: "-" is standard input, named <stdin>. */
static int check_load(const char *path, Config **ret, ConfigErrors *errors) {
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        int r;

        if (!streq(path, "-"))
                return config_load(path, ret, errors);
        buf = malloc(CONFIG_SIZE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        r = read_fd_bounded(STDIN_FILENO, CONFIG_SIZE_MAX, buf, &n);
        if (r == -EFBIG)
                log_error("<stdin>: larger than %d bytes: not a portkeep file", CONFIG_SIZE_MAX);
        else if (r < 0)
                log_error_errno(r, "cannot read standard input: %m");
        if (r < 0)
                return r;
        return config_load_buffer("<stdin>", buf, n, ret, errors);
}

/* check [FILE...]: each file, as a pre-commit hook passes them; exit 78 when
 * any is invalid. */
static int verb_check(const Options *o, int argc, char **argv) {
        const char *dflt[] = { config_path(o) };
        char *const *paths = argc > 1 ? argv + 1 : (char *const *) dflt;
        size_t n_paths = argc > 1 ? (size_t) argc - 1 : 1;
        int ret = 0;

        if (n_paths > 1 && o->json)
                return usage_error("%s", "--json checks one file at a time");
        for (size_t i = 0; i < n_paths; i++) {
                _cleanup_(config_errors_done) ConfigErrors errors = {};
                const char *name = streq(paths[i], "-") ? "<stdin>" : paths[i];
                Config *c = NULL;
                int r;

                r = check_load(paths[i], &c, &errors);
                if (r == -ENOMEM || (r < 0 && errors.n == 0)) { /* else already said (standard input) */
                        if (r == -ENOMEM)
                                log_error("out of memory");
                        ret = r == -ENOMEM ? 1 : EX_CONFIG;
                        continue;
                }
                if (o->json)
                        check_json(name, &errors);
                if (r < 0) {
                        if (!o->json)
                                config_errors_log(&errors);
                        ret = EX_CONFIG;
                        continue;
                }
                if (!o->json && !o->quiet)
                        printf("%s: configuration OK: %zu forward%s in %zu group%s\n", name, c->desired.n,
                               c->desired.n == 1 ? "" : "s", c->n_groups, c->n_groups == 1 ? "" : "s");
                config_free(c);
        }
        return ret;
}

static int verb_confirm(const Options *o, int argc, char **argv) {
        long pid = 0;
        int r;

        if (argc > 1)
                return usage_error("confirm takes no arguments, got '%s'", argv[1]);
        r = confirm_send(&pid);
        if (r == -ENOENT) {
                log_error("no 'portkeep apply --confirm' is waiting for %s", config_path(o));
                return 1;
        }
        if (r < 0) {
                log_error_errno(r, "cannot reach the waiting 'portkeep apply --confirm': %m");
                return 1;
        }
        printf("confirmed: the apply --confirm (pid %ld) keeps its change\n", pid);
        return 0;
}

static int verb_version(const Options *o, int argc, char **argv) {
        if (argc > 1)
                return usage_error("version takes no arguments, got '%s'", argv[1]);
        if (o->json)
                puts("{\"version\":1,\"portkeep\":\"" PORTKEEP_VERSION "\"}");
        else
                puts("portkeep " PORTKEEP_VERSION);
        return 0;
}

/* What a one-shot pass has, once a stop signal came, to end what it started
 * (the undo, the read after it, the logout): a slow router's few requests. */
#define ONESHOT_GRACE_USEC (10 * USEC_PER_SEC)

/* What plan, apply, show and export share: the config, then a session with
 * the router (session.h). Freed in reverse order. */
typedef struct Run {
        Config *config;
        Session session;
        Interrupt stop; /* SIGTERM, SIGINT, SIGHUP during the pass */
} Run;

/* --json: a failure is said on standard output too, with the exit code
 * (doc/json.md): "error":{"code","stage","message"}. */
static void json_error_member(int code, const char *stage, const char *message) {
        printf("\"error\":{\"code\":%d,\"stage\":\"%s\",\"message\":", code, stage);
        json_write_string(stdout, message);
        putchar('}');
}

static int json_fail(const Options *o, int code, const char *stage, const char *message) {
        if (o->json) {
                fputs("{\"version\":1,", stdout);
                json_error_member(code, stage, message);
                puts("}");
        }
        return code;
}

static const char *pass_stage_name(const PassResult *res) {
        static const char *const names[] = {
                [PASS_STAGE_NONE] = "pass",     [PASS_STAGE_LOGIN] = "login",   [PASS_STAGE_READ] = "read",
                [PASS_STAGE_PLAN] = "plan",     [PASS_STAGE_GUARD] = "guard",   [PASS_STAGE_CHANGE] = "change",
                [PASS_STAGE_VERIFY] = "verify",
        };

        return res->stage < ELEMENTSOF(names) && names[res->stage] ? names[res->stage] : "pass";
}

static void run_done(Run *run) {
        session_close(&run->session);
        config_free(run->config);
        *run = (Run){};
}

static int run_open(const Options *o, Run *run) {
        _cleanup_(config_errors_done) ConfigErrors errors = {};
        SessionReport report;
        int r;

        if (config_load(config_path(o), &run->config, &errors) < 0) {
                char first[1024] = "the file is not valid";

                config_errors_log(&errors);
                if (errors.n > 0)
                        snprintf(first, sizeof first, "%s:%u:%u: %s%s", errors.items[0].file ?: config_path(o),
                                 errors.items[0].line, errors.items[0].column, errors.items[0].message,
                                 errors.n > 1 ? " (and more: portkeep check)" : "");
                return json_fail(o, EX_CONFIG, "config", first);
        }
        r = session_open(run->config, lock_timeout_usec(), &run->session, &report);
        if (report.warning[0])
                log_warning("%s", report.warning);
        if (r < 0) {
                static const char *const stages[] = { [SESSION_DRIVER] = "driver", [SESSION_PASSWORD] = "password",
                                                      [SESSION_LOCK] = "lock", [SESSION_ROUTER] = "router" };
                const char *stage = report.stage < ELEMENTSOF(stages) && stages[report.stage] ? stages[report.stage]
                                                                                             : "session";

                log_error("%s", report.message);
                if (report.stage == SESSION_LOCK && report.error == -EAGAIN)
                        return json_fail(o, EX_TEMPFAIL, stage, report.message); /* another portkeep: try again */
                return json_fail(o, report.stage == SESSION_PASSWORD ? EX_CONFIG : 1, stage, report.message);
        }
        return 0;
}

/* Runs the pass with the stop signals blocked (interrupt.h): one that comes
 * meanwhile ends it early, and a verb that changes nothing is done then
 * (exit 128 + the signal); apply says what it left (apply_interrupted()). */
static int run_pass(const Options *o, PassMode mode, bool force, Run *s, PassResult *res) {
        int r;

        r = run_open(o, s);
        if (r != 0)
                return r;
        r = interrupt_block_oneshot(&s->stop, ONESHOT_GRACE_USEC);
        if (r < 0)
                log_warning_errno(r, "cannot block SIGTERM, SIGINT and SIGHUP: %m; a signal now ends portkeep at once");
        router_set_progress(s->session.router, interrupt_progress, &s->stop);
        r = pass_run(s->session.router, s->config, mode, force, res);
        if (r < 0) {
                log_error_errno(r, "the pass failed: %m");
                return json_fail(o, 1, "pass", "out of memory");
        }
        if (interrupt_pending(&s->stop) && mode != PASS_APPLY) {
                char m[128];

                snprintf(m, sizeof m, "%s: stopped; nothing was changed", strsignal(s->stop.signal));
                log_error("%s", m);
                return json_fail(o, interrupt_exit_code(&s->stop), "interrupted", m);
        }
        return 0;
}

static void print_plan(const Options *o, const Plan *plan) {
        if (o->json)
                plan_print_json(plan, stdout);
        else
                plan_print(plan, stdout);
}

static int verb_plan_internal(const Options *o) {
        _cleanup_(run_done) Run s = {};
        _cleanup_(pass_result_done) PassResult res = {};
        int r;

        r = run_pass(o, PASS_PLAN, false, &s, &res);
        if (r != 0)
                return r;
        if (res.outcome == PASS_FAILED) {
                log_error("%s", res.message);
                return json_fail(o, 1, pass_stage_name(&res), res.message);
        }
        print_plan(o, res.plan);
        return pass_exit_code(&res);
}

static int verb_plan(const Options *o, int argc, char **argv) {
        if (argc > 1)
                return usage_error("plan takes no arguments, got '%s'", argv[1]);
        return verb_plan_internal(o);
}

static void print_final(const Options *o, const PassResult *res, const Config *c) {
        if (res->stage == PASS_STAGE_CHANGE && res->rolled_back) {
                log_error("rolled back: the router's table is as it was before this pass");
                return;
        }
        if (!res->have_final) {
                log_error("the router's table could not be read afterwards; run 'portkeep show' once it answers");
                return;
        }
        log_error("%sthe router's table as read now is on standard output",
                  res->stage == PASS_STAGE_CHANGE ? "not rolled back; " : "");
        printf("The router's table as read now:\n");
        pass_print_table(&res->final, c, res, stdout);
}

/* apply --json: one object, whatever happened (doc/json.md): the plan's
 * members (when there was a plan), what was applied and verified, and after
 * a failed change or verify whether it was rolled back and the table as read
 * then; "error" with the exit code when it is not 0. */
static int apply_json(const PassResult *res, int code, const char *stage, const char *message) {
        bool verified = res->outcome == PASS_OK || (res->outcome == PASS_REFUSED && res->error == -EEXIST);
        bool after = res->stage == PASS_STAGE_CHANGE || res->stage == PASS_STAGE_VERIFY;

        fputs("{\"version\":1,", stdout);
        if (res->plan) {
                /* in sync: now, after the pass; the changes: those it planned */
                plan_print_json_members(res->plan, res->outcome == PASS_OK, stdout);
                putchar(',');
        }
        printf("\"applied\":%zu,\"verified\":%s,\"rolled_back\":%s,\"table\":", res->n_applied,
               verified ? "true" : "false", !after ? "null" : res->rolled_back ? "true" : "false");
        if (after && res->have_final) {
                putchar('[');
                for (size_t i = 0; i < res->final.n; i++) {
                        if (i)
                                putchar(',');
                        forward_print_json(&res->final.items[i], stdout);
                }
                putchar(']');
        } else
                fputs("null", stdout);
        if (code != 0) {
                putchar(',');
                json_error_member(code, stage, message ? message : "the pass failed");
        }
        puts("}");
        return code;
}

/* apply --confirm: the change stays only when someone says so in time;
 * else the table is restored (while the lock is still held, so no daemon
 * pass comes between), and the daemon leaves this content of the file alone
 * until it changes. */
static int confirm_or_restore(const Options *o, Run *s, const PassResult *res) {
        _cleanup_(pass_result_done) PassResult undo = {};
        ConfirmAnswer answer;
        int sig = 0, r;

        r = confirm_pending_create();
        if (r < 0)
                log_warning_errno(r, "cannot write the file 'portkeep confirm' looks for: %m; only Enter here keeps the change");
        printf("applied %zu change%s; verified. Keep %s? Press Enter, or run 'portkeep confirm' in another shell, "
               "within %s; else %s restored.\n",
               res->n_applied, res->n_applied == 1 ? "" : "s", res->n_applied == 1 ? "it" : "them", o->confirm_text,
               res->n_applied == 1 ? "it is" : "they are");
        fflush(stdout);
        r = confirm_wait(o->confirm_usec, &answer, &sig);
        confirm_pending_remove();
        if (r < 0) {
                log_error_errno(r, "cannot wait for the answer: %m; restoring");
                answer = CONFIRM_TIMEOUT;
        }
        if (answer == CONFIRM_KEEP) {
                confirm_clear(s->config);
                printf("kept: the router's table matches %s\n", s->config->path);
                return 0;
        }
        if (answer == CONFIRM_TIMEOUT)
                log_warning("no answer within %s: restoring the table as it was before this apply", o->confirm_text);
        else
                log_warning("%s: restoring the table as it was before this apply", strsignal(sig));
        r = pass_undo(s->session.router, s->config, res, &undo);
        if (r < 0) {
                log_error_errno(r, "the restore failed: %m");
                return 1;
        }
        if (undo.outcome == PASS_OK && undo.rolled_back) {
                r = confirm_mark_refused(s->config);
                if (r < 0)
                        log_warning_errno(r, "cannot mark %s as not kept: %m; a running daemon may apply it again",
                                          s->config->path);
                log_error("restored and verified: the router's table is as it was before this apply; the daemon "
                          "leaves this version of %s alone until it changes, 'systemctl reload portkeep' or a plain "
                          "'portkeep apply'", s->config->path);
                return 1;
        }
        log_error("%s", undo.message ? undo.message : "the restore failed");
        print_final(o, &undo, s->config);
        return 1;
}

/* A stop signal came during the apply pass: say what the table is now.
 * Exit 128 + the signal only when nothing was changed, else 1. */
static int apply_interrupted(const Options *o, Run *s, const PassResult *res) {
        const char *sig = strsignal(s->stop.signal);
        bool nothing = pass_changed_nothing(res), finished = res->outcome == PASS_OK && res->n_applied > 0;
        bool why = res->outcome == PASS_FAILED && res->message;
        char m[1200];

        if (finished)
                snprintf(m, sizeof m, "%s: stopped after the pass made its %zu change%s; verified: the router's table matches %s",
                         sig, res->n_applied, res->n_applied == 1 ? "" : "s", s->config->path);
        else if (nothing)
                snprintf(m, sizeof m, "%s: stopped before any change; nothing was changed%s%s%s", sig, why ? " (" : "",
                         why ? res->message : "", why ? ")" : "");
        else
                snprintf(m, sizeof m, "%s: stopped during the changes: %s", sig,
                         res->message ? res->message : "the pass failed");
        log_error("%s", m);
        if (o->json)
                return apply_json(res, nothing ? interrupt_exit_code(&s->stop) : 1, "interrupted", m);
        if (!finished && !nothing)
                print_final(o, res, s->config);
        return nothing ? interrupt_exit_code(&s->stop) : 1;
}

static int apply_report(const Options *o, Run *s, PassResult *res) {
        if (!o->confirm_usec)
                confirm_clear(s->config); /* a plain apply: the daemon may go on */
        if (s->stop.signal && !(o->confirm_usec && res->outcome == PASS_OK && res->n_applied > 0))
                return apply_interrupted(o, s, res); /* apply --confirm restores it below */

        if (o->json && res->outcome != PASS_OK)
                log_error("%s", res->message);
        if (o->json)
                return apply_json(res, res->outcome == PASS_OK ? 0 : res->outcome == PASS_REFUSED ? 3 : 1,
                                  pass_stage_name(res), res->message);
        switch (res->outcome) {
        case PASS_OK:
                if (o->confirm_usec && res->n_applied > 0)
                        return confirm_or_restore(o, s, res);
                if (res->n_applied == 0)
                        print_plan(o, res->plan);
                else
                        printf("applied %zu change%s; verified: the router's table matches %s\n",
                               res->n_applied, res->n_applied == 1 ? "" : "s", s->config->path);
                return 0;
        case PASS_REFUSED:
                /* a guard refused it all, or forwards were held back by a
                 * conflict and the rest applied (then the plan shows what
                 * is held back) */
                if (res->n_applied == 0)
                        print_plan(o, res->plan);
                else
                        printf("applied %zu change%s; verified; %zu declared forward%s held back (exit 3)\n",
                               res->n_applied, res->n_applied == 1 ? "" : "s", res->plan->n_conflicts,
                               res->plan->n_conflicts == 1 ? "" : "s");
                log_error("%s", res->message);
                return 3;
        default:
                log_error("%s", res->message);
                if (res->stage == PASS_STAGE_CHANGE || res->stage == PASS_STAGE_VERIFY)
                        print_final(o, res, s->config);
                return 1;
        }
}

/* The last one-shot apply, for 'portkeep status' (the timer's users have no
 * daemon that would say it): in the runtime directory, beside the daemon's
 * status file. Best effort: the apply's result does not depend on it. */
static void record_apply(const Run *s, const PassResult *res, uint64_t started, int code) {
        _cleanup_(state_done) State st = {};
        char *name = NULL;
        int r;

        st.pid = getpid();
        st.config = strdup(s->config->path ? s->config->path : "");
        if (s->config->backend->lock_name(s->config, &name) >= 0)
                st.router = name;
        st.have_last_pass = true;
        st.started_usec = started;
        st.finished_usec = now_usec(CLOCK_REALTIME);
        st.changes = (unsigned) res->n_applied;
        st.ok = code == 0;
        /* code 1 after a verified pass: apply --confirm was not kept */
        st.result = strdup(s->stop.signal && code != 0             ? "interrupted"
                           : code != 0 && res->outcome == PASS_OK ? "restored"
                                                                  : pass_result_word(res));
        st.status = strdup(res->message ? res->message
                           : code == 0    ? (res->n_applied > 0 ? "applied and verified" : "in sync")
                                          : "restored (apply --confirm)");
        for (size_t i = 0; i < res->record.n; i++)
                (void) ownership_add(&st.recorded, res->record.groups[i]);
        r = state_write(lock_runtime_directory(), APPLY_STATE_FILE_NAME, &st);
        if (r < 0)
                log_debug("cannot write %s/" APPLY_STATE_FILE_NAME ": %s, ignoring", lock_runtime_directory(),
                          strerror(-r));
}

static int verb_apply(const Options *o, int argc, char **argv) {
        _cleanup_(run_done) Run s = {};
        _cleanup_(pass_result_done) PassResult res = {};
        uint64_t started = now_usec(CLOCK_REALTIME);
        int r;

        if (argc > 1)
                return usage_error("apply takes no arguments, got '%s'", argv[1]);
        if (o->dry_run)
                return verb_plan_internal(o);

        r = run_pass(o, PASS_APPLY, o->force, &s, &res);
        if (r != 0)
                return r;
        r = apply_report(o, &s, &res);
        record_apply(&s, &res, started, r);
        return r;
}

/* show and export: read the router's table into res->initial. */
static int read_table(const Options *o, Run *s, PassResult *res) {
        int r = run_pass(o, PASS_SHOW, false, s, res);

        if (r != 0)
                return r;
        if (res->outcome != PASS_OK) {
                log_error("%s", res->message);
                return json_fail(o, 1, pass_stage_name(res), res->message);
        }
        return 0;
}

static int verb_show(const Options *o, int argc, char **argv) {
        _cleanup_(run_done) Run s = {};
        _cleanup_(pass_result_done) PassResult res = {};
        int r;

        if (argc > 1)
                return usage_error("show takes no arguments, got '%s'", argv[1]);
        r = read_table(o, &s, &res);
        if (r != 0)
                return r;
        if (o->json)
                pass_print_table_json(&res.initial, s.config, &res, stdout);
        else
                pass_print_table(&res.initial, s.config, &res, stdout);
        return 0;
}

static int verb_run(const Options *o, int argc, char **argv) {
        if (argc > 1)
                return usage_error("run takes no arguments, got '%s'", argv[1]);
        if (o->json)
                return no_json("run has no --json output; its state is in 'portkeep status --json'");
        return daemon_run(config_path(o));
}

static int verb_export(const Options *o, int argc, char **argv) {
        _cleanup_(run_done) Run s = {};
        _cleanup_(pass_result_done) PassResult res = {};
        size_t skipped = 0;
        int r;

        if (argc > 1)
                return usage_error("export takes no arguments, got '%s'", argv[1]);
        if (o->json)
                return no_json("export prints YAML; for JSON use 'portkeep show --json'");
        r = read_table(o, &s, &res);
        if (r != 0)
                return r;
        log_info("exporting %zu forward%s read from %s (firmware family %s)", res.initial.n,
                 res.initial.n == 1 ? "" : "s", s.config->url ?: "the router", router_family(s.session.router));
        r = export_write(&res.initial, s.config, router_family(s.session.router), stdout, &skipped);
        if (r < 0) {
                log_error_errno(r, "cannot write the export: %m");
                return 1;
        }
        if (skipped > 0)
                log_warning("%zu router entr%s left out: the file cannot name %s (no group name, or a PPPoE session's address)",
                            skipped, skipped == 1 ? "y" : "ies", skipped == 1 ? "it" : "them");
        return 0;
}

/* What status says of a status file it cannot read; -ENOENT is not said. */
static void state_read_error(int r, const char *dir, const char *name) {
        if (r == -EACCES)
                log_error("cannot read %s/%s: %s; run it as root", dir, name, strerror(-r));
        else if (r == -EBADMSG)
                log_error("%s/%s is not a status file this version of portkeep understands", dir, name);
        else if (r != -ENOENT)
                log_error_errno(r, "cannot read %s/%s: %m", dir, name);
}

/* The daemon's state and the last one-shot apply's (the timer's): the one
 * that finished last is the last pass. Exit 0 while the daemon runs (whatever
 * its last pass did: see "result"), or when no daemon runs and the last pass
 * was an apply that succeeded (the timer keeps the table); 1 otherwise. */
static int verb_status(const Options *o, int argc, char **argv) {
        _cleanup_(state_done) State d = {}, a = {};
        _cleanup_(freep) char *unit = NULL, *ours = NULL, *theirs = NULL;
        const char *dir = lock_runtime_directory(), *path = config_path(o);
        bool running = false, have_d, have_a, apply_last;
        int r, q;

        if (argc > 1)
                return usage_error("status takes no arguments, got '%s'", argv[1]);
        if (status_unit_name(path, &unit) < 0)
                unit = NULL;

        r = state_read(dir, STATE_FILE_NAME, &d);
        q = state_read(dir, APPLY_STATE_FILE_NAME, &a);
        have_d = r >= 0;
        have_a = q >= 0;
        state_read_error(r, dir, STATE_FILE_NAME);
        state_read_error(q, dir, APPLY_STATE_FILE_NAME);
        if (!have_d && !have_a) {
                if (o->json)
                        status_print_json(NULL, false, NULL, stdout);
                if (r == -ENOENT && q == -ENOENT)
                        log_error("no daemon has run for this config, nor 'portkeep apply' (no %s/" STATE_FILE_NAME
                                  "): start it with systemctl start %s",
                                  dir, unit ? unit : "portkeep");
                return 1;
        }

        /* One runtime directory per config base name: say so when it holds
         * another file's daemon. */
        ours = realpath(path, NULL);
        theirs = have_d && d.config ? realpath(d.config, NULL) : NULL;
        if (ours && theirs && !streq(ours, theirs))
                log_warning("%s/" STATE_FILE_NAME " belongs to the daemon for %s, not %s", dir, d.config, path);

        if (have_d)
                running = status_daemon_running(d.pid);
        apply_last = have_a && (!have_d || !d.have_last_pass || a.finished_usec > d.finished_usec);
        if (o->json)
                status_print_json(have_d ? &d : NULL, running, have_a ? &a : NULL, stdout);
        else
                status_print(have_d ? &d : NULL, running, have_a ? &a : NULL, now_usec(CLOCK_REALTIME), stdout);
        fflush(stdout);
        if (running)
                return 0;
        if (apply_last && a.ok)
                return 0;
        if (have_d)
                log_error("the daemon (pid %ld) is not running; the last pass it recorded is shown. Start it with systemctl start %s",
                          (long) d.pid, unit ? unit : "portkeep");
        else
                log_error("no daemon runs for this config, and the last 'portkeep apply' did not succeed");
        return 1;
}

static int verb_help(const Options *o, int argc, char **argv);

static const Verb verbs[] = {
        { "check",   verb_check,   "[FILE...]",             "validate files offline ('-': standard input; reads no password, contacts no router)" },
        { "plan",    verb_plan,    "",                      "read the router, print the diff" },
        { "apply",   verb_apply,   "[--force] [--dry-run] [--confirm DURATION]", "plan, apply, verify" },
        { "confirm", verb_confirm, "",                      "keep the change a waiting 'apply --confirm' made" },
        { "show",    verb_show,    "",                      "print the router's table, managed entries marked" },
        { "export",  verb_export,  "",                      "print the router's table as a portkeep YAML file" },
        { "run",     verb_run,     "",                      "daemon: reconcile every sync.interval" },
        { "status",  verb_status,  "",                      "the running daemon's last pass" },
        { "version", verb_version, "",                      "print the version" },
        { "help",    verb_help,    "[COMMAND]",             "this help, or a command's" },
};

static const Verb *find_verb(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return &verbs[i];
        return NULL;
}

/* with "did you mean" among the commands */
static int unknown_verb(const char *name) {
        const char *names[ELEMENTSOF(verbs)], *guess;

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                names[i] = verbs[i].name;
        guess = suggest_closest(name, names, ELEMENTSOF(verbs));

        if (guess)
                return usage_error("unknown command '%s': did you mean '%s'?", name, guess);
        return usage_error("unknown command '%s'", name);
}

/* portkeep VERB --help, portkeep help VERB */
static void verb_usage(const Verb *v) {
        printf("Usage: portkeep [-c FILE] [--json] [-v|-q] %s%s%s\n\n%s: %s.\n", v->name, v->args[0] ? " " : "",
               v->args, v->name, v->help);
        if (streq(v->name, "apply"))
                printf("\nOptions:\n"
                       "  --force              take over entries portkeep does not own; pass sync.max_deletes\n"
                       "  --dry-run            change nothing, as 'portkeep plan'\n"
                       "  --confirm DURATION   keep the change only if confirmed within DURATION (30s, 2m)\n");
        printf("\nportkeep(8) says more; 'portkeep --help' lists every command.\n");
}

static void help(void) {
        printf("Usage: portkeep [-c FILE] [--json] [-v|-q] COMMAND\n\n"
               "Keeps a router's port-forwarding table equal to a YAML file.\n\n"
               "Commands:\n");
        int width = 0;

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                int l = (int) (strlen(verbs[i].name) + 1 + strlen(verbs[i].args));

                width = l > width ? l : width;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                char left[64];

                snprintf(left, sizeof left, "%s %s", verbs[i].name, verbs[i].args);
                printf("  %-*s %s\n", width, left, verbs[i].help);
        }
        printf("\nOptions:\n"
               "  -c, --config FILE   config file (default $PORTKEEP_CONFIG or " DEFAULT_CONFIG ")\n"
               "      --json          machine-readable output\n"
               "  -v, --verbose       more detail\n"
               "  -q, --quiet         errors only\n"
               "  -h, --help          this help\n"
               "      --version       print the version\n\n"
               "Exit status: 0 success or in sync, 1 failure, 2 changes pending (plan),\n"
               "3 refused by a safety guard, 64 usage error, 75 another portkeep holds the\n"
               "router's lock (try again), 78 invalid config;\n"
               "128+N: stopped by signal N (SIGTERM 143, SIGINT 130) before anything changed.\n");
}

static int verb_help(const Options *o, int argc, char **argv) {
        const Verb *v;

        if (argc > 2)
                return usage_error("help takes at most one COMMAND, got '%s'", argv[2]);
        if (argc == 1) {
                help();
                return 0;
        }
        v = find_verb(argv[1]);
        if (!v)
                return unknown_verb(argv[1]);
        verb_usage(v);
        return 0;
}

enum { ARG_JSON = 0x100, ARG_VERSION, ARG_FORCE, ARG_DRY_RUN, ARG_CONFIRM };

/* getopt's own messages name the binary's path: these say "portkeep:" and
 * what was probably meant. */
static int option_error(int c, int optopt_, const char *arg, const struct option *options) {
        const char *names[16], *guess;
        size_t n = 0;
        char name[64];

        if (c == ':')
                return usage_error("option '%s' needs a value", arg);
        if (optopt_ && optopt_ < 0x100)
                return usage_error("unknown option '-%c'", optopt_);
        snprintf(name, sizeof name, "%s", arg + strspn(arg, "-"));
        name[strcspn(name, "=")] = '\0';
        for (const struct option *x = options; x->name && n < ELEMENTSOF(names); x++)
                names[n++] = x->name;
        guess = suggest_closest(name, names, n);
        if (guess)
                return usage_error("unknown option '%s': did you mean '--%s'?", arg, guess);
        return usage_error("unknown option '%s'", arg);
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "config",  required_argument, NULL, 'c' },
                { "json",    no_argument,       NULL, ARG_JSON },
                { "verbose", no_argument,       NULL, 'v' },
                { "quiet",   no_argument,       NULL, 'q' },
                { "help",    no_argument,       NULL, 'h' },
                { "version", no_argument,       NULL, ARG_VERSION },
                { "force",   no_argument,       NULL, ARG_FORCE },
                { "dry-run", no_argument,       NULL, ARG_DRY_RUN },
                { "confirm", required_argument, NULL, ARG_CONFIRM },
                {}
        };
        Options o = {};
        bool verbose = false, quiet = false, want_help = false;
        const Verb *v;
        int c;

        log_open();
        opterr = 0;
        /* Options may come before or after the verb; "+" would stop at the
         * verb, so let getopt permute and find the verb afterwards. */
        while ((c = getopt_long(argc, argv, ":c:vqh", options, NULL)) >= 0) {
                switch (c) {
                case 'c': o.config_path = optarg; break;
                case ARG_JSON: o.json = true; break;
                case 'v': verbose = true; log_set_max_level(LOG_DEBUG); break;
                case 'q': quiet = o.quiet = true; log_set_max_level(LOG_WARNING); break;
                case 'h': want_help = true; break;
                case ARG_VERSION: return verb_version(&o, 1, argv);
                case ARG_FORCE: o.force = true; break;
                case ARG_DRY_RUN: o.dry_run = true; break;
                case ARG_CONFIRM:
                        if (parse_duration(optarg, &o.confirm_usec) < 0 || o.confirm_usec == 0)
                                return usage_error("--confirm takes a duration such as 2m or 30s, not '%s'", optarg);
                        o.confirm_text = optarg;
                        break;
                default: return option_error(c, optopt, argv[optind - 1], options);
                }
        }
        if (verbose && quiet)
                return usage_error("%s", "-v and -q contradict each other: give one");
        if (want_help && optind >= argc) {
                help();
                return 0;
        }
        if (optind >= argc)
                return usage_error("%s", "no command given (check, plan, apply, show, export, run, status, version)");
        v = find_verb(argv[optind]);
        if (!v)
                return unknown_verb(argv[optind]);
        if (want_help) {
                verb_usage(v);
                return 0;
        }
        if (o.json && streq(v->name, "confirm"))
                return no_json("confirm has no --json output: it prints one line and exits 0 or 1");
        if (o.json && streq(v->name, "help"))
                return no_json("help has no --json output");
        if ((o.force || o.dry_run || o.confirm_usec) && !streq(v->name, "apply"))
                return usage_error("--force, --dry-run and --confirm go with 'apply', not '%s'", v->name);
        if (o.json && o.confirm_usec)
                return no_json("--confirm asks on the terminal: it does not go with --json");
        if (o.dry_run && o.confirm_usec)
                return usage_error("%s", "--dry-run changes nothing, so there is nothing to --confirm");

        /* The runtime directory (lock, status file) follows the file's name. */
        if (lock_set_config_path(config_path(&o)) < 0) {
                log_error("out of memory");
                return 1;
        }
        return v->run(&o, argc - optind, argv + optind);
}
