/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "config.h"
#include "daemon.h"
#include "interrupt.h"
#include "lock.h"
#include "log.h"
#include "macro.h"
#include "pass.h"
#include "router.h"
#include "confirm.h"
#include "session.h"
#include "time-util.h"
#include "state.h"


#define BACKOFF_FIRST_MAX_USEC (30 * USEC_PER_SEC)
#define BACKOFF_MAX_USEC USEC_PER_HOUR
#define LOGIN_REJECTED_MIN_USEC (10 * USEC_PER_MINUTE)
#define LOCK_RETRY_USEC USEC_PER_SEC
/* After SIGTERM cancelled the request in flight, what the pass still does
 * (undo, the read after it, logout) may take this long; later requests are
 * cancelled at once. Well inside the units' TimeoutStopSec=10s. */
#define STOP_GRACE_USEC (3 * USEC_PER_SEC)

typedef struct Daemon {
        sd_event *event;
        sd_event_source *pass_timer;
        sd_event_source *watchdog_timer;

        char *config_path;
        Config *config;

        uint64_t watchdog_usec; /* $WATCHDOG_USEC, 0: no watchdog */
        uint64_t last_ping;     /* CLOCK_MONOTONIC */

        unsigned failures;      /* consecutive failed passes */
        size_t reload_errors;   /* of the last SIGHUP, 0 when it loaded */

        Interrupt stop;         /* SIGTERM/SIGINT seen during a pass */
        bool sent_stopping;

        State state;
        char *held_back;        /* the conflicts of the last pass, as text: logged once per change */
        char config_hash[65];   /* of the file's content as loaded (confirm.h) */
} Daemon;

static void send_stopping(Daemon *d) {
        if (d->sent_stopping)
                return;
        d->sent_stopping = true;
        (void) sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

static void watchdog_ping(Daemon *d, uint64_t n) {
        if (d->watchdog_usec == 0)
                return;
        (void) sd_notify(0, "WATCHDOG=1");
        d->last_ping = n;
}

/* Called from curl's progress callback, at least every 100 ms of a request. */
static int daemon_progress(void *userdata) {
        Daemon *d = userdata;
        uint64_t n = now_usec(CLOCK_MONOTONIC);

        bool was = d->stop.signal != 0;
        int abort;

        if (d->watchdog_usec > 0 && n - d->last_ping >= d->watchdog_usec / 4)
                watchdog_ping(d, n);
        /* SIGTERM and SIGINT are blocked (sd-event reads them from a
         * signalfd between callbacks), so a pending one waits here. */
        abort = interrupt_progress(&d->stop);
        if (!was && d->stop.signal) {
                send_stopping(d);
                log_notice("%s: stopping, abandoning the request in flight; %s left to end the pass cleanly",
                           strsignal(d->stop.signal), format_duration(STOP_GRACE_USEC, (char[32]){}));
        }
        return abort;
}

/* While a reload has failed, every STATUS= says so: the pass after it would
 * otherwise hide that the edited file is not the one in force. */
static void set_status(Daemon *d, const char *status) {
        char *s;

        if (d->reload_errors > 0) {
                if (asprintf(&s, "%s; reload failed (%zu error%s in %s), running the previous configuration", status,
                             d->reload_errors, d->reload_errors == 1 ? "" : "s", d->config_path) < 0)
                        s = NULL;
        } else
                s = strdup(status);
        if (s) {
                free(d->state.status);
                d->state.status = s;
        }
}

static void write_state(Daemon *d) {
        const char *dir = lock_runtime_directory();
        int r;

        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                log_warning_errno(errno, "cannot create %s for %s: %m, ignoring", dir, STATE_FILE_NAME);
                return;
        }
        r = state_write(dir, STATE_FILE_NAME, &d->state);
        if (r < 0)
                log_warning_errno(r, "cannot write %s/%s: %m, ignoring", dir, STATE_FILE_NAME);
}

/* the status file first, then STATUS=: whoever reacts to the one finds the
 * other up to date. */
static void publish(Daemon *d) {
        write_state(d);
        if (d->state.status)
                (void) sd_notifyf(0, "STATUS=%s", d->state.status);
}

static int schedule_pass(Daemon *d, uint64_t usec) {
        int r;

        /* From the clock, not sd_event_now(): that is the time the loop woke
         * up, before a pass that may have taken a while. */
        r = sd_event_source_set_time(d->pass_timer, now_usec(CLOCK_MONOTONIC) + usec);
        if (r >= 0)
                r = sd_event_source_set_enabled(d->pass_timer, SD_EVENT_ONESHOT);
        if (r < 0)
                return log_error_errno(r, "cannot arm the pass timer: %m");
        d->state.next_pass_usec = now_usec(CLOCK_REALTIME) + usec;
        return 0;
}

uint64_t daemon_backoff_usec(uint64_t interval_usec, unsigned failures, bool login_rejected, uint32_t rnd) {
        uint64_t b = interval_usec < BACKOFF_FIRST_MAX_USEC ? interval_usec : BACKOFF_FIRST_MAX_USEC;

        if (b == 0)
                b = USEC_PER_SEC;
        for (unsigned i = 1; i < failures && b < BACKOFF_MAX_USEC; i++)
                b *= 2;
        if (b > BACKOFF_MAX_USEC)
                b = BACKOFF_MAX_USEC;
        /* ±20%: a factor of 800 to 1200 thousandths */
        b = b / 1000 * (800 + rnd % 401);
        if (b > BACKOFF_MAX_USEC)
                b = BACKOFF_MAX_USEC;
        if (login_rejected && b < LOGIN_REJECTED_MIN_USEC)
                b = LOGIN_REJECTED_MIN_USEC;
        return b;
}

static uint32_t random_u32(void) {
        uint32_t x = 0;

        if (getrandom(&x, sizeof x, GRND_NONBLOCK) != sizeof x)
                x = (uint32_t) now_usec(CLOCK_MONOTONIC);
        return x;
}

/* The few words of STATUS= for a failed pass. */
static const char *failure_words(const PassResult *res, char *buf, size_t size) {
        switch (res->stage) {
        case PASS_STAGE_CHANGE:
                return res->rolled_back ? "a change failed, rolled back" : "a change failed, not rolled back";
        case PASS_STAGE_VERIFY:
                return "verify failed: the router's table differs after the changes";
        default:
                break;
        }
        if (res->error == -EACCES)
                return "login rejected";
        if (router_error_is_unreachable(res->error))
                return "router unreachable";
        if (res->error == -EBADMSG)
                return "unexpected answer from the router";
        if (res->error == -ENOSYS)
                return "driver not available";
        if (res->error == -EPROTONOSUPPORT)
                return "the router cannot store a declared forward, nothing changed; fix the file";
        snprintf(buf, size, "pass failed: %s", strerror(-res->error));
        return buf;
}

/* login_rejected: the router refused the credentials (not: the password
 * file could not be read), which waits at least 10 minutes. */
static void pass_failed(Daemon *d, const char *words, const char *message, bool login_rejected) {
        char dur[32], *status = NULL;
        uint64_t delay;

        d->failures++;
        delay = daemon_backoff_usec(d->config->interval_usec, d->failures, login_rejected, random_u32());
        format_duration(delay, dur);
        log_event(LOG_EVENT_PASS_FAILED, LOG_ERR, NULL, "%s; retry in %s", message, dur);
        if (asprintf(&status, "%s, retry in %s", words, dur) < 0)
                status = NULL;
        set_status(d, status ? status : words);
        free(status);
        (void) schedule_pass(d, delay);
}

static void record_pass(Daemon *d, uint64_t started, const char *result, bool ok, unsigned changes) {
        char *r = strdup(result);

        if (r) {
                free(d->state.result);
                d->state.result = r;
        }
        d->state.have_last_pass = true;
        d->state.started_usec = started;
        d->state.finished_usec = now_usec(CLOCK_REALTIME);
        d->state.ok = ok;
        d->state.changes = changes;
        publish(d);
}

/* The conflicts as one string, to tell whether the set changed. */
static char *conflict_set(const Plan *p) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        for (size_t i = 0; i < p->n_conflicts; i++) {
                char a[FORWARD_RULE_STRING_MAX + 256], b[FORWARD_RULE_STRING_MAX + 256];

                fprintf(f, "%s|%s\n", forward_to_string(&p->conflicts[i].declared, a, sizeof a),
                        forward_to_string(&p->conflicts[i].held_by, b, sizeof b));
        }
        if (fclose(f) != 0)
                return mfree(buf);
        return buf;
}

/* Forwards held back by entries portkeep does not own: the rest applied;
 * the journal hears of it once per change of the set, not every pass, and
 * the pass is not backed off (nothing failed). */
static void report_held_back(Daemon *d, const PassResult *res, const char *dur) {
        _cleanup_free_ char *set = conflict_set(res->plan);
        size_t n = res->plan->n_conflicts;
        char buf[256];

        if (set && !streq_ptr(set, d->held_back)) {
                log_event(LOG_EVENT_PASS_REFUSED, LOG_WARNING, NULL, "%s", res->message);
                free(d->held_back);
                d->held_back = TAKE_PTR(set);
        } else
                log_debug("%s", res->message);
        if (res->n_applied > 0)
                snprintf(buf, sizeof buf, "applied %zu change%s; %zu forward%s held back by entries portkeep does not own (see 'portkeep plan'); next pass in %s",
                         res->n_applied, res->n_applied == 1 ? "" : "s", n, n == 1 ? "" : "s", dur);
        else
                snprintf(buf, sizeof buf, "%zu forward%s held back by entries portkeep does not own (see 'portkeep plan'); next pass in %s",
                         n, n == 1 ? "" : "s", dur);
        set_status(d, buf);
}

static void pass_done(Daemon *d, const PassResult *res, uint64_t started) {
        const Config *c = d->config;
        char buf[256], insync[128], dur[32];
        _cleanup_(freep) char *message = NULL;

        snprintf(insync, sizeof insync, "in sync: %zu forward%s in %zu group%s", c->desired.n,
                 c->desired.n == 1 ? "" : "s", c->n_groups, c->n_groups == 1 ? "" : "s");

        switch (res->outcome) {
        case PASS_OK:
                d->failures = 0;
                d->held_back = mfree(d->held_back);
                if (res->n_applied > 0)
                        snprintf(buf, sizeof buf, "applied %zu change%s; %s", res->n_applied,
                                 res->n_applied == 1 ? "" : "s", insync);
                else
                        snprintf(buf, sizeof buf, "%s", insync);
                if (res->n_applied > 0)
                        log_event(LOG_EVENT_DRIFT_REPAIRED, LOG_NOTICE, NULL, "%s", buf);
                else
                        log_info("%s", buf);
                set_status(d, buf);
                (void) schedule_pass(d, c->interval_usec);
                record_pass(d, started, pass_result_word(res), true,
                            (unsigned) res->n_applied);
                return;

        case PASS_REFUSED:
                d->failures = 0;
                format_duration(c->interval_usec, dur);
                if (res->error == -EEXIST) {
                        report_held_back(d, res, dur);
                        (void) schedule_pass(d, c->interval_usec);
                        record_pass(d, started, pass_result_word(res), false, (unsigned) res->n_applied);
                        return;
                }
                log_event(LOG_EVENT_PASS_REFUSED, LOG_ERR, NULL, "%s Next try in %s.", res->message, dur);
                snprintf(buf, sizeof buf, "refused by a safety guard, nothing changed (see 'portkeep plan'); next try in %s",
                         dur);
                set_status(d, buf);
                (void) schedule_pass(d, c->interval_usec);
                record_pass(d, started, pass_result_word(res), false, 0);
                return;

        default:
                if ((res->stage == PASS_STAGE_CHANGE || res->stage == PASS_STAGE_VERIFY) &&
                    asprintf(&message, "%s%s", res->message,
                             res->stage != PASS_STAGE_CHANGE ? ""
                             : res->rolled_back          ? "; rolled back"
                                                         : "; not rolled back, the next pass repairs what it can") < 0)
                        message = NULL;
                pass_failed(d, failure_words(res, buf, sizeof buf),
                            message ? message : res->message ? res->message : "the pass failed",
                            res->error == -EACCES && res->stage != PASS_STAGE_CHANGE &&
                                    res->stage != PASS_STAGE_VERIFY);
                record_pass(d, started, pass_result_word(res), false, (unsigned) res->n_applied);
                return;
        }
}

/* A stop signal cut the pass short (a pass it let finish is reported as
 * any other). Unless the table is known to be as it was, the journal gets
 * what is known of it at err: the table as last read, or that it could not
 * be read. */
static void pass_interrupted(Daemon *d, const PassResult *res, uint64_t started) {
        const char *sig = strsignal(d->stop.signal), *what = res->message ? res->message : "the pass failed";
        _cleanup_free_ char *table = NULL;
        size_t size = 0;
        FILE *f;

        if (pass_changed_nothing(res))
                log_info("%s during a pass, before any change: nothing was changed (%s)", sig, what);
        else if (res->rolled_back)
                log_notice("%s during a pass: %s; rolled back, the router's table is as it was before the pass", sig,
                           what);
        else {
                f = open_memstream(&table, &size);
                if (f && res->have_final)
                        pass_print_table(&res->final, d->config, res, f);
                if (f && fclose(f) != 0)
                        table = mfree(table);
                if (res->have_final)
                        log_event(LOG_EVENT_PASS_FAILED, LOG_ERR, NULL,
                                  "%s during a pass: %s; not rolled back; the router's table as last read:\n%s", sig,
                                  what, table ? table : "(out of memory)");
                else
                        log_event(LOG_EVENT_PASS_FAILED, LOG_ERR, NULL,
                                  "%s during a pass: %s; the router's table could not be read afterwards, its state is unknown: run 'portkeep show'",
                                  sig, what);
        }
        set_status(d, "stopped during a pass");
        record_pass(d, started, "interrupted", false, (unsigned) res->n_applied);
}

/* What pass_run() needs (session.h). Returns 0 with the session open, or 1
 * when the pass is not run (already reported). */
static int pass_prepare(Daemon *d, uint64_t started, Session *s) {
        SessionReport rep;
        char status[512];

        if (session_open(d->config, 0, s, &rep) >= 0) {
                router_set_progress(s->router, daemon_progress, d);
                return 0;
        }
        if (rep.stage == SESSION_LOCK && rep.error == -EAGAIN) {
                /* A one-shot portkeep is at work; not a failure. */
                if (rep.holder > 0)
                        snprintf(status, sizeof status, "waiting for the lock held by pid %ld, retry in 1s",
                                 (long) rep.holder);
                else
                        snprintf(status, sizeof status, "waiting for the lock for %s, retry in 1s", rep.lock_name);
                log_info("%s", status);
                set_status(d, status);
                (void) schedule_pass(d, LOCK_RETRY_USEC);
                publish(d);
                return 1;
        }
        pass_failed(d, rep.words, rep.message, false);
        record_pass(d, started, "failed", false, 0);
        return 1;
}

/* What 'apply --confirm' restored does not come straight back: passes wait
 * until the file changes (and is reloaded), a reload is asked for, or a plain
 * apply runs. */
static bool refused_by_confirm(Daemon *d) {
        char status[1024], when[64] = "?";
        uint64_t t = 0;
        time_t tt;
        struct tm tm;

        if (!d->config_hash[0] || !confirm_is_refused(d->config, d->config_hash, &t))
                return false;
        tt = (time_t) (t / USEC_PER_SEC);
        if (t && localtime_r(&tt, &tm))
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        snprintf(status, sizeof status,
                 "not applying %s: 'portkeep apply --confirm' restored its change at %s; edit the file and reload, "
                 "reload (systemctl reload), or run a plain 'portkeep apply' to resume",
                 d->config_path, when);
        if (!streq_ptr(d->state.status, status))
                log_notice("%s", status);
        set_status(d, status);
        (void) schedule_pass(d, d->config->interval_usec);
        publish(d);
        return true;
}

static void daemon_pass(Daemon *d) {
        _cleanup_(pass_result_done) PassResult res = {};
        uint64_t started = now_usec(CLOCK_REALTIME);
        Session s;
        int r;

        if (interrupt_pending(&d->stop))
                return; /* the loop exits next */
        if (refused_by_confirm(d))
                return;
        if (pass_prepare(d, started, &s) != 0)
                return;

        log_debug("pass started");
        r = pass_run(s.router, d->config, PASS_APPLY, false, &res);
        if (res.use_record) {
                ownership_done(&d->state.recorded);
                for (size_t i = 0; i < res.record.n; i++)
                        (void) ownership_add(&d->state.recorded, res.record.groups[i]);
        }
        if (router_external_address(s.router)[0]) {
                char *e = strdup(router_external_address(s.router));

                if (e) {
                        free(d->state.external);
                        d->state.external = e;
                }
        }
        session_close(&s);

        if (d->stop.signal && r >= 0 && res.outcome != PASS_OK) {
                pass_interrupted(d, &res, started);
                (void) sd_event_exit(d->event, 0);
                return;
        }
        if (r < 0) {
                pass_failed(d, "out of memory", "the pass failed: out of memory", false);
                record_pass(d, started, "failed", false, 0);
                return;
        }
        pass_done(d, &res, started);
}

static int on_pass_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        daemon_pass(userdata);
        return 0;
}

static int on_watchdog_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Daemon *d = userdata;
        uint64_t n = now_usec(CLOCK_MONOTONIC);
        int r;

        watchdog_ping(d, n);
        r = sd_event_source_set_time(s, n + d->watchdog_usec / 2);
        if (r >= 0)
                r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "cannot re-arm the watchdog timer: %m, ignoring");
        return 0;
}

static void set_router_name(Daemon *d) {
        char *name = NULL;

        if (d->config->backend->lock_name(d->config, &name) < 0)
                name = strdup(d->config->url ?: "the router");
        if (name) {
                free(d->state.router);
                d->state.router = name;
        }
}

/* At start and reload: the driver is built, the password readable; warns
 * once about a password file others can read. */
static int check_session(const Config *c, bool at_start) {
        SessionReport rep;
        int r = session_check(c, &rep);

        if (rep.warning[0])
                log_warning("%s", rep.warning);
        if (r < 0 && (at_start || rep.stage == SESSION_DRIVER))
                log_error("%s%s", rep.message, at_start ? "; not starting" : "");
        else if (r < 0)
                log_warning("%s; the next pass will fail until it is fixed", rep.message);
        return r;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        _cleanup_(config_errors_done) ConfigErrors errors = {};
        Daemon *d = userdata;
        char status[512];
        Config *c = NULL;
        int r;

        (void) sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=reloading %s", now_usec(CLOCK_MONOTONIC),
                          d->config_path);
        log_info("reloading %s", d->config_path);

        /* a reload asked for resumes what 'apply --confirm' restored */
        if (d->config)
                confirm_clear(d->config);
        r = config_load(d->config_path, &c, &errors);
        if (r >= 0 && check_session(c, false) == -ENOSYS) {
                c = config_free(c);
                r = -ENOSYS;
        }
        if (r < 0) {
                size_t n = errors.n > 0 ? errors.n : 1;

                config_errors_log(&errors);
                log_error("%s: reload failed (%zu error%s); still running the previous configuration",
                          d->config_path, n, n == 1 ? "" : "s");
                snprintf(status, sizeof status,
                         "reload failed: %zu error%s in %s; still running the previous configuration",
                         n, n == 1 ? "" : "s", d->config_path);
                d->reload_errors = 0;
                set_status(d, status);
                d->reload_errors = n;
                publish(d);
                (void) sd_notify(0, "READY=1");
                return 0;
        }

        config_free(d->config);
        d->config = c;
        if (confirm_file_hash(d->config_path, d->config_hash) < 0)
                d->config_hash[0] = '\0';
        set_router_name(d);
        d->failures = 0;
        d->reload_errors = 0;
        log_info("reloaded %s: %zu forward%s in %zu group%s; running a pass", d->config_path, c->desired.n,
                 c->desired.n == 1 ? "" : "s", c->n_groups, c->n_groups == 1 ? "" : "s");
        (void) sd_notify(0, "READY=1\nSTATUS=reloaded; running a pass");
        (void) schedule_pass(d, 0);
        return 0;
}

static int on_sigusr1(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        log_info("SIGUSR1: running a pass now");
        (void) schedule_pass(userdata, 0);
        return 0;
}

/* A stop request that ended a pass is still pending when the loop returns;
 * sd-event unblocks the signals when its sources go, which would then kill
 * the process. Take them now. */
static void drain_signals(void) {
        static const struct timespec zero = {};
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGUSR1);
        while (sigtimedwait(&set, NULL, &zero) > 0)
                ;
}

static void daemon_done(Daemon *d) {
        sd_event_source_unref(d->pass_timer);
        sd_event_source_unref(d->watchdog_timer);
        sd_event_unref(d->event);
        config_free(d->config);
        free(d->config_path);
        free(d->held_back);
        state_done(&d->state);
        *d = (Daemon){};
}

static int daemon_setup(Daemon *d) {
        int r;

        r = sd_event_default(&d->event);
        if (r < 0)
                return log_error_errno(r, "cannot create the event loop: %m");
        /* SIGTERM/SIGINT: blocked, read through a signalfd, and end the loop. */
        r = sd_event_set_signal_exit(d->event, true);
        if (r < 0)
                return log_error_errno(r, "cannot handle SIGTERM/SIGINT: %m");
        r = sd_event_add_signal(d->event, NULL, SIGHUP | SD_EVENT_SIGNAL_PROCMASK, on_sighup, d);
        if (r < 0)
                return log_error_errno(r, "cannot handle SIGHUP: %m");
        r = sd_event_add_signal(d->event, NULL, SIGUSR1 | SD_EVENT_SIGNAL_PROCMASK, on_sigusr1, d);
        if (r < 0)
                return log_error_errno(r, "cannot handle SIGUSR1: %m");

        /* The first pass at once. */
        r = sd_event_add_time(d->event, &d->pass_timer, CLOCK_MONOTONIC, 0, 10 * USEC_PER_MSEC, on_pass_timer, d);
        if (r < 0)
                return log_error_errno(r, "cannot create the pass timer: %m");
        /* A stop request goes before a pass that is due. */
        (void) sd_event_source_set_priority(d->pass_timer, SD_EVENT_PRIORITY_NORMAL + 10);
        d->state.next_pass_usec = now_usec(CLOCK_REALTIME);

        r = sd_watchdog_enabled(false, &d->watchdog_usec);
        if (r < 0)
                log_warning_errno(r, "ignoring an invalid $WATCHDOG_USEC or $WATCHDOG_PID: %m");
        if (r <= 0)
                d->watchdog_usec = 0;
        if (d->watchdog_usec > 0) {
                d->last_ping = now_usec(CLOCK_MONOTONIC);
                r = sd_event_add_time(d->event, &d->watchdog_timer, CLOCK_MONOTONIC,
                                      d->last_ping + d->watchdog_usec / 2, USEC_PER_MSEC, on_watchdog_timer, d);
                if (r < 0)
                        return log_error_errno(r, "cannot create the watchdog timer: %m");
                r = sd_event_source_set_enabled(d->watchdog_timer, SD_EVENT_ONESHOT);
                if (r < 0)
                        return log_error_errno(r, "cannot enable the watchdog timer: %m");
                /* Before anything else: a ping must not wait behind a due pass. */
                (void) sd_event_source_set_priority(d->watchdog_timer, SD_EVENT_PRIORITY_IMPORTANT);
        }
        return 0;
}

int daemon_run(const char *config_path) {
        _cleanup_(config_errors_done) ConfigErrors errors = {};
        _cleanup_(daemon_done) Daemon d = {};
        char status[256];
        int r;

        d.config_path = strdup(config_path);
        if (!d.config_path) {
                log_error("out of memory");
                return 1;
        }
        r = config_load(config_path, &d.config, &errors);
        if (r < 0) {
                config_errors_log(&errors);
                log_error("%s is not valid; not starting", config_path);
                return EX_CONFIG;
        }
        /* Not the router's fault, and no retry mends it. */
        if (confirm_file_hash(config_path, d.config_hash) < 0)
                d.config_hash[0] = '\0';
        r = check_session(d.config, true);
        if (r == -ENOSYS)
                return 1;
        if (r < 0)
                return EX_CONFIG;

        if (daemon_setup(&d) < 0)
                return 1;
        interrupt_init(&d.stop, STOP_GRACE_USEC);

        d.state.pid = getpid();
        d.state.config = strdup(config_path);
        set_router_name(&d);
        snprintf(status, sizeof status, "started: %zu forward%s in %zu group%s, first pass now", d.config->desired.n,
                 d.config->desired.n == 1 ? "" : "s", d.config->n_groups, d.config->n_groups == 1 ? "" : "s");
        d.state.status = strdup(status);
        write_state(&d);

        log_info("portkeep daemon started for %s with %s, a pass every %s", d.state.router ?: "the router", config_path,
                 format_duration(d.config->interval_usec, (char[32]){}));
        (void) sd_notifyf(0, "READY=1\nSTATUS=%s", status);

        r = sd_event_loop(d.event);
        send_stopping(&d);
        drain_signals();
        if (r < 0) {
                log_error_errno(r, "the event loop failed: %m");
                return 1;
        }
        log_info("stopped");
        return 0;
}
