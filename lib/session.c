/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "pass.h"
#include "session.h"

static int report_failure(SessionReport *rep, SessionStage stage, int error, const char *words) {
        rep->stage = stage;
        rep->error = error;
        snprintf(rep->words, sizeof rep->words, "%s", words);
        return error;
}

static int take_lock(const Config *c, uint64_t timeout_usec, Session *s, SessionReport *rep) {
        _cleanup_free_ char *name = NULL, *path = NULL;
        pid_t holder = 0;
        int r;

        r = c->backend->lock_name(c, &name);
        if (r < 0) {
                snprintf(rep->message, sizeof rep->message, "cannot name the lock for %s: %s", c->url ?: "the router",
                         strerror(-r));
                return report_failure(rep, SESSION_LOCK, r, "cannot name the lock");
        }
        snprintf(rep->lock_name, sizeof rep->lock_name, "%s", name);

        r = lock_acquire(name, timeout_usec, &s->lock, &holder, &path);
        if (r == -EAGAIN) {
                rep->holder = holder;
                if (holder > 0)
                        snprintf(rep->message, sizeof rep->message,
                                 "another portkeep (pid %ld) holds the lock for %s; try again later", (long) holder,
                                 name);
                else
                        snprintf(rep->message, sizeof rep->message,
                                 "another portkeep holds the lock for %s (%s); try again later", name, path ?: "?");
                return report_failure(rep, SESSION_LOCK, r, "the lock is held by another portkeep");
        }
        if (r < 0) {
                snprintf(rep->message, sizeof rep->message,
                         "cannot take the lock %s: %s; check that $RUNTIME_DIRECTORY (or /run/portkeep) is writable",
                         path ?: "for the router", strerror(-r));
                return report_failure(rep, SESSION_LOCK, r, "cannot take the lock");
        }
        return 0;
}

/* The password into *ret (wiped by the caller), or the report filled. */
static int read_password(const Config *c, char **ret, SessionReport *rep) {
        char errbuf[512], src[4096];
        bool world_readable = false;
        int r;

        r = config_read_password(c, ret, &world_readable, errbuf, sizeof errbuf);
        if (r < 0) {
                snprintf(rep->message, sizeof rep->message,
                         "%s; put the router's admin password in that file (chmod 600), or fix router.password_file in %s",
                         errbuf, c->path);
                return report_failure(rep, SESSION_PASSWORD, r, "cannot read the router password");
        }
        if (world_readable) {
                const char *file = pass_password_source(c, src, sizeof src);

                snprintf(rep->warning, sizeof rep->warning,
                         "the password file %s is readable by other users; run: chmod 600 %s", file, file);
        }
        return 0;
}

static int check_driver(const Config *c, SessionReport *rep) {
        const char *missing = router_driver_missing(c);

        if (!missing)
                return 0;
        snprintf(rep->message, sizeof rep->message, "%s: %s", c->path, missing);
        return report_failure(rep, SESSION_DRIVER, -ENOSYS, "driver not available");
}

int session_check(const Config *c, SessionReport *rep) {
        _cleanup_erase_ char *pw = NULL;
        int r;

        *rep = (SessionReport){};
        r = check_driver(c, rep);
        if (r < 0)
                return r;
        return read_password(c, &pw, rep);
}

int session_open(const Config *c, uint64_t lock_timeout_usec, Session *s, SessionReport *rep) {
        _cleanup_erase_ char *pw = NULL;
        int r;

        *s = (Session){ .config = c };
        *rep = (SessionReport){};

        r = check_driver(c, rep);
        if (r < 0)
                return r;
        r = read_password(c, &pw, rep);
        if (r < 0)
                return r;
        r = take_lock(c, lock_timeout_usec, s, rep);
        if (r < 0)
                return r;
        r = router_new(c, pw, &s->router);
        if (r < 0) {
                snprintf(rep->message, sizeof rep->message, "cannot set up the router driver for %s: %s",
                         c->url ?: "the router", strerror(-r));
                session_close(s);
                return report_failure(rep, SESSION_ROUTER, r, "cannot set up the router driver");
        }
        return 0;
}

void session_close(Session *s) {
        s->router = router_free(s->router);
        s->lock = lock_release(s->lock);
}
