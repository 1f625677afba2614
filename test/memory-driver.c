/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "macro.h"
#include "memory-driver.h"

static MemoryRouter *mem(Router *r) {
        return r->data;
}

static int memory_init(Router *r) {
        r->data = NULL; /* memory_router_new() sets it */
        return 0;
}

static void memory_done(Router *r) {
        r->data = NULL; /* owned by the test */
}

static int memory_login(Router *r) {
        MemoryRouter *m = mem(r);

        m->n_login++;
        if (m->login_error < 0)
                return router_set_error(r, m->login_error, "memory router: login refused (injected)");
        m->logged_in = true;
        return 0;
}

static int need_login(Router *r) {
        if (!mem(r)->logged_in)
                return router_set_error(r, -EBADMSG, "memory router: not logged in (login page returned)");
        return 0;
}

static int memory_read(Router *r, Table *ret) {
        MemoryRouter *m = mem(r);
        Table t = {};
        int k;

        m->n_read++;
        k = need_login(r);
        if (k < 0)
                return k;
        if (m->fail_read_at == m->n_read)
                return router_set_error(r, m->read_error < 0 ? m->read_error : -ETIMEDOUT,
                                        "memory router: read failed (injected)");
        for (size_t i = 0; i < m->table.n; i++) {
                k = table_add(&t, &m->table.items[i]);
                if (k < 0) {
                        table_done(&t);
                        return k;
                }
                t.items[t.n - 1].router_id = (int) i;
                t.items[t.n - 1].line = t.items[t.n - 1].column = 0;
        }
        *ret = t;
        return 0;
}

/* Counts the change and fails it when asked to. */
static int change_fault(Router *r) {
        MemoryRouter *m = mem(r);

        m->n_changes++;
        if (m->n_changes <= 64 && (m->fail_change_mask & (UINT64_C(1) << (m->n_changes - 1))))
                return router_set_error(r, m->change_error < 0 ? m->change_error : -EREMOTEIO,
                                        "memory router: change %u refused (injected)", m->n_changes);
        return 0;
}

static int memory_add(Router *r, const Forward *f) {
        MemoryRouter *m = mem(r);
        Forward copy;
        int k;

        m->n_add++;
        k = need_login(r);
        if (k < 0)
                return k;
        k = change_fault(r);
        if (k < 0)
                return k;
        if (r->backend->splits_tcp_udp && f->proto == PROTO_TCP_UDP)
                return router_set_error(r, -EPROTONOSUPPORT, "memory router: tcp/udp is two entries here");
        for (size_t i = 0; i < m->table.n; i++)
                if (forward_keys_overlap(&m->table.items[i], f))
                        return router_set_error(r, -EREMOTEIO, "memory router: that port is already forwarded");
        if (m->capacity > 0 && m->table.n >= m->capacity)
                return router_set_error(r, -ENOSPC, "memory router: table full");
        if (m->lose_add_at == m->n_add)
                return 0; /* acknowledged, not stored */

        k = forward_copy(&copy, f);
        if (k < 0)
                return k;
        copy.router_id = -1;
        copy.line = copy.column = 0;
        return table_add_take(&m->table, &copy);
}

static int memory_delete(Router *r, const Forward *f) {
        MemoryRouter *m = mem(r);
        int k;

        m->n_delete++;
        k = need_login(r);
        if (k < 0)
                return k;
        k = change_fault(r);
        if (k < 0)
                return k;
        /* by value, never by a remembered row id */
        for (size_t i = 0; i < m->table.n; i++)
                if (forward_equal(&m->table.items[i], f)) {
                        forward_done(&m->table.items[i]);
                        m->table.items[i] = m->table.items[--m->table.n];
                        return 0;
                }
        return router_set_error(r, -ENOENT, "memory router: no such entry");
}

/* One step on t, checked as a real write would be. */
static int table_step(Router *r, Table *t, const Step *s, size_t i) {
        MemoryRouter *m = mem(r);
        Forward copy;
        int k;

        r->error_step = (ssize_t) i;
        if (!s->add) {
                for (size_t j = 0; j < t->n; j++)
                        if (forward_equal(&t->items[j], &s->f)) {
                                forward_done(&t->items[j]);
                                t->items[j] = t->items[--t->n];
                                return 0;
                        }
                return router_set_error(r, -ENOENT, "memory router: no such entry");
        }
        for (size_t j = 0; j < t->n; j++)
                if (forward_keys_overlap(&t->items[j], &s->f))
                        return router_set_error(r, -EEXIST, "memory router: that port is already forwarded");
        if (m->capacity > 0 && t->n >= m->capacity)
                return router_set_error(r, -ENOSPC, "memory router: table full");
        k = forward_copy(&copy, &s->f);
        if (k < 0)
                return k;
        copy.router_id = -1;
        copy.line = copy.column = 0;
        r->error_step = -1;
        return table_add_take(t, &copy);
}

/* The whole list is checked, then written at once: on an error nothing is
 * stored, unless the write is told to fail after storing part of it. */
static int memory_apply(Router *r, const Steps *steps) {
        MemoryRouter *m = mem(r);
        Table t = {};
        int k;

        m->n_apply++;
        m->n_apply_steps += (unsigned) steps->n;
        k = need_login(r);
        if (k < 0)
                return k;
        for (size_t i = 0; i < m->table.n; i++) {
                k = table_add(&t, &m->table.items[i]);
                if (k < 0)
                        goto fail;
        }
        if (m->n_apply <= 64 && (m->fail_apply_mask & (UINT64_C(1) << (m->n_apply - 1)))) {
                bool first = !(m->fail_apply_mask & ((UINT64_C(1) << (m->n_apply - 1)) - 1));

                for (size_t i = 0; first && i < m->half_apply && i < steps->n; i++) {
                        k = table_step(r, &m->table, &steps->items[i], i);
                        if (k < 0)
                                goto fail;
                }
                r->error_step = -1;
                k = router_set_error(r, m->change_error < 0 ? m->change_error : -EREMOTEIO,
                                     "memory router: write %u refused (injected)", m->n_apply);
                goto fail;
        }
        for (size_t i = 0; i < steps->n; i++) {
                k = table_step(r, &t, &steps->items[i], i);
                if (k < 0)
                        goto fail;
        }
        table_done(&m->table);
        m->table = t;
        return 0;
fail:
        table_done(&t);
        return k;
}

static int memory_check(Router *r, const Forward *f) {
        MemoryRouter *m = mem(r);

        if (m->unstorable_group && streq_ptr(f->group, m->unstorable_group))
                return router_set_error(r, -EPROTONOSUPPORT, "memory router: group name '%s' too long", f->group);
        return 0;
}

static int memory_logout(Router *r) {
        MemoryRouter *m = mem(r);

        m->n_logout++;
        m->logged_in = false;
        return 0;
}

static const RouterDriver memory_ops = {
        .init = memory_init,
        .done = memory_done,
        .login = memory_login,
        .read = memory_read,
        .add = memory_add,
        .delete = memory_delete,
        .logout = memory_logout,
        .check = memory_check,
};

static const RouterDriver memory_ops_batch = {
        .init = memory_init,
        .done = memory_done,
        .login = memory_login,
        .read = memory_read,
        .add = memory_add,
        .delete = memory_delete,
        .logout = memory_logout,
        .check = memory_check,
        .apply = memory_apply,
};

/* Registry rows of their own: the tests' router is not in lib/registry.c. */
const Backend memory_backend = {
        .driver = "memory", .ops = &memory_ops,
};

const Backend memory_backend_split = {
        .driver = "memory-split", .ops = &memory_ops, .splits_tcp_udp = true,
};

const Backend memory_backend_batch = {
        .driver = "memory-batch", .ops = &memory_ops_batch,
};

void memory_router_init(MemoryRouter *m) {
        *m = (MemoryRouter){};
}

void memory_router_done(MemoryRouter *m) {
        table_done(&m->table);
}

int memory_router_new(MemoryRouter *m, const Backend *b, const Config *c, Router **ret) {
        Router *r = NULL;
        int k;

        k = router_new_with_backend(b, c, "secret-not-logged", &r);
        if (k < 0)
                return k;
        r->data = m;
        *ret = r;
        return 0;
}
