/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* An in-memory router for tests: keeps a Table, counts every driver call and
 * fails on request. Plugged in through router_new_with_backend(). */

#include <stdbool.h>
#include <stdint.h>

#include "driver.h"

typedef struct MemoryRouter {
        Table table;              /* what the "router" stores */
        size_t capacity;          /* 0: unlimited, else adds beyond fail -ENOSPC */

        /* calls made through the driver */
        unsigned n_login, n_read, n_add, n_delete, n_logout;
        unsigned n_changes;       /* add and delete calls together */
        bool logged_in;

        /* faults */
        int login_error;          /* login returns this (e.g. -EACCES) */
        unsigned fail_read_at;    /* the Nth read (1-based) fails with read_error */
        int read_error;           /* default -ETIMEDOUT */
        uint64_t fail_change_mask; /* bit N-1: the Nth change fails with change_error */
        int change_error;         /* default -EREMOTEIO */
        unsigned lose_add_at;     /* the Nth add is acknowledged but not stored */
        const char *unstorable_group; /* check refuses adds to this group (a name too long, say) */

        /* memory_driver_batch: router_apply() writes (each a whole list) */
        unsigned n_apply;         /* apply calls (writes) */
        unsigned n_apply_steps;   /* steps they carried */
        uint64_t fail_apply_mask; /* bit N-1: the Nth write fails with change_error, */
        unsigned half_apply;      /* the first of them after storing this many of its steps */
} MemoryRouter;

extern const Backend memory_backend;
extern const Backend memory_backend_split; /* stores tcp/udp as two entries */
extern const Backend memory_backend_batch; /* makes a pass's steps in one write */

void memory_router_init(MemoryRouter *m);
void memory_router_done(MemoryRouter *m);
/* A Router backed by m (which must outlive it). */
int memory_router_new(MemoryRouter *m, const Backend *b, const Config *c, Router **ret);
