/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "lock.h"
#include "router.h"

/* What every verb that talks to the router does first, and the daemon
 * before each pass: check that the file's driver is built, read the
 * password, take the router's lock, make the router. One place, so that the
 * one-shot verbs and the daemon check and say the same. */

typedef enum {
        SESSION_DRIVER,   /* the driver is not in this build */
        SESSION_PASSWORD, /* the password file or credential cannot be read */
        SESSION_LOCK,     /* the lock is busy (-EAGAIN) or cannot be made */
        SESSION_ROUTER,   /* the driver cannot be set up */
} SessionStage;

typedef struct Session {
        const Config *config; /* borrowed */
        Lock *lock;
        Router *router;
} Session;

typedef struct SessionReport {
        SessionStage stage;   /* on failure, where */
        int error;            /* on failure, -errno */
        pid_t holder;         /* -EAGAIN: the lock's holder, 0 if unknown */
        char lock_name[256];  /* the lock's name, or "" */
        char message[1024];   /* on failure: one line, what happened and what to do */
        char words[160];      /* on failure: a few words, for STATUS= */
        char warning[1024];   /* "" or one line to warn of (a password file others can read) */
} SessionReport;

/* Opens a session for c, waiting up to lock_timeout_usec for the lock.
 * Returns 0 with s filled, or -errno with the report saying why (nothing
 * held then). Never holds the password longer than router_new() needs it. */
int session_open(const Config *c, uint64_t lock_timeout_usec, Session *s, SessionReport *report);
/* What session_open() checks before it takes the lock, without taking it:
 * the driver is built, the password can be read (and then wiped at once).
 * For the daemon's start and reload. 0, or -errno with the report filled;
 * the warning may be set either way. */
int session_check(const Config *c, SessionReport *rep);
/* Frees the router (log out first), then releases the lock; s may be
 * reused. */
void session_close(Session *s);
