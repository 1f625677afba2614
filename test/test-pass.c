/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One reconcile pass against the in-memory router: what it sends, what it
 * reports, and what the router's table holds afterwards. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "log.h"
#include "macro.h"
#include "memory-driver.h"
#include "pass.h"


#define CHECK_MSG(res, needle)                                                                 \
        do {                                                                                   \
                if (!(res)->message || !strstr((res)->message, (needle))) {                    \
                        fprintf(stderr, "%s:%d: message lacks '%s': %s\n", __FILE__, __LINE__, \
                                (needle), (res)->message ? (res)->message : "(null)");         \
                        failures++;                                                            \
                }                                                                              \
        } while (0)

static char *groups_default[] = { (char *) "PPTP", (char *) "L2TP" };

static Forward fw(const char *group, int proto, unsigned port, const char *lan_ip, unsigned lan_port) {
        Forward f = { .proto = proto, .wan = WAN_ROUTER, .router_id = -1 };

        f.group = group ? strdup(group) : NULL;
        f.ports = port ? (PortRange){ port, port } : PORT_RANGE_NONE;
        f.lan_ports = lan_port ? (PortRange){ lan_port, lan_port } : PORT_RANGE_NONE;
        if (ipv4_from_string(lan_ip, &f.lan_ip) < 0)
                abort();
        return f;
}

static void add(Table *t, Forward f) {
        if (table_add_take(t, &f) < 0)
                abort();
}

/* The motivating setup: PPTP and L2TP/IPsec to the VPN router. */
static void config_init(Config *c) {
        *c = (Config){
                .path = (char *) "test.yaml",
                .backend = &memory_backend,
                .url = (char *) "http://192.168.11.1",
                .username = (char *) "admin",
                .password_file = (char *) "/etc/portkeep/router-password",
                .prune = PRUNE_MANAGED,
                .max_deletes = 8,
                .groups = groups_default,
                .n_groups = 2,
        };
        add(&c->desired, fw("PPTP", PROTO_TCP, 1723, "192.168.11.3", 1723));
        add(&c->desired, fw("PPTP", PROTO_GRE, 0, "192.168.11.3", 0));
        add(&c->desired, fw("L2TP", PROTO_UDP, 500, "192.168.11.3", 500));
        add(&c->desired, fw("L2TP", PROTO_UDP, 4500, "192.168.11.3", 4500));
        add(&c->desired, fw("L2TP", PROTO_UDP, 1701, "192.168.11.3", 1701));
        add(&c->desired, fw("L2TP", PROTO_ESP, 0, "192.168.11.3", 0));
}

static void config_done(Config *c) {
        table_done(&c->desired);
}

/* A table that needs every kind of change: a replace (PPTP tcp 1723 points
 * elsewhere), a delete (a stale L2TP entry), adds, and an unmanaged entry to
 * leave alone. */
static void messy_table(Table *t) {
        add(t, fw("games", PROTO_TCP, 25565, "192.168.11.40", 25565));
        add(t, fw("PPTP", PROTO_TCP, 1723, "192.168.11.5", 1723));
        add(t, fw("L2TP", PROTO_UDP, 9999, "192.168.11.3", 9999));
        add(t, fw("L2TP", PROTO_UDP, 500, "192.168.11.3", 500));
}

static void copy_table(Table *dst, const Table *src) {
        for (size_t i = 0; i < src->n; i++)
                if (table_add(dst, &src->items[i]) < 0)
                        abort();
}

static int run_with(const Backend *d, MemoryRouter *m, const Config *c, PassMode mode, bool force,
                    PassResult *res) {
        Router *r = NULL;
        int k;

        if (memory_router_new(m, d, c, &r) < 0)
                abort();
        k = pass_run(r, c, mode, force, res);
        router_free(r);
        return k;
}

static int run(MemoryRouter *m, const Config *c, PassMode mode, bool force, PassResult *res) {
        return run_with(&memory_backend, m, c, mode, force, res);
}

static int run_batch(MemoryRouter *m, const Config *c, PassMode mode, bool force, PassResult *res) {
        return run_with(&memory_backend_batch, m, c, mode, force, res);
}

static void test_apply_from_empty_then_idempotent(void) {
        _cleanup_(config_done) Config c;
        _cleanup_(memory_router_done) MemoryRouter m;
        _cleanup_(pass_result_done) PassResult res = {};

        config_init(&c);
        memory_router_init(&m);

        /* plan: changes pending, nothing sent */
        CHECK(run(&m, &c, PASS_PLAN, false, &res) == 0);
        CHECK(res.outcome == PASS_PENDING && pass_exit_code(&res) == 2);
        CHECK(m.n_changes == 0 && m.table.n == 0);
        CHECK(m.n_logout == 1);
        pass_result_done(&res);

        CHECK(run(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_OK && pass_exit_code(&res) == 0);
        CHECK(!res.message);
        CHECK(res.n_applied == 6 && m.n_add == 6 && m.n_delete == 0);
        CHECK(table_equal(&m.table, &c.desired));
        CHECK(res.have_final && table_equal(&res.final, &c.desired));
        CHECK(m.n_logout == 2);
        pass_result_done(&res);

        /* a second pass reads, finds nothing to do and sends no change */
        unsigned adds = m.n_add, dels = m.n_delete, reads = m.n_read;
        CHECK(run(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_OK && pass_exit_code(&res) == 0);
        CHECK(m.n_add == adds && m.n_delete == dels);
        CHECK(m.n_read == reads + 1);
        CHECK(res.n_steps == 0 && res.n_applied == 0);
        CHECK(m.n_logout == 3);
        pass_result_done(&res);

        CHECK(run(&m, &c, PASS_PLAN, false, &res) == 0);
        CHECK(res.outcome == PASS_OK && pass_exit_code(&res) == 0);
}

static void test_apply_messy(void) {
        _cleanup_(config_done) Config c;
        _cleanup_(memory_router_done) MemoryRouter m;
        _cleanup_(pass_result_done) PassResult res = {};
        _cleanup_(table_done) Table want = {};

        config_init(&c);
        memory_router_init(&m);
        messy_table(&m.table);

        CHECK(run(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_OK);
        /* the unmanaged entry stays, the rest is the file */
        copy_table(&want, &c.desired);
        add(&want, fw("games", PROTO_TCP, 25565, "192.168.11.40", 25565));
        CHECK(table_equal(&m.table, &want));
        CHECK(m.n_delete == 2); /* the replaced PPTP entry and the stale L2TP one */
}

/* The Nth change fails: what this pass did is undone, the table equals the
 * one read at the start, and the result says so. */
static void test_fail_each_step(void) {
        _cleanup_(config_done) Config c;
        size_t n_steps = 0;

        config_init(&c);
        for (size_t k = 1;; k++) {
                _cleanup_(memory_router_done) MemoryRouter m;
                _cleanup_(pass_result_done) PassResult res = {};
                _cleanup_(table_done) Table start = {};

                memory_router_init(&m);
                messy_table(&m.table);
                copy_table(&start, &m.table);
                m.fail_change_mask = UINT64_C(1) << (k - 1);

                CHECK(run(&m, &c, PASS_APPLY, false, &res) == 0);
                if (k == 1)
                        n_steps = res.n_steps;
                CHECK(res.outcome == PASS_FAILED && pass_exit_code(&res) == 1);
                CHECK(res.stage == PASS_STAGE_CHANGE);
                CHECK(res.n_applied == k - 1);
                CHECK_MSG(&res, "the router refused");
                CHECK_MSG(&res, "change ");      /* the router's own words */
                CHECK_MSG(&res, "(group ");      /* the forward, named */
                CHECK(res.rolled_back && !res.undo_failed);
                CHECK(res.have_final && table_equal(&res.final, &start));
                CHECK(table_equal(&m.table, &start));
                CHECK(m.n_logout == 1);
                if (k >= n_steps)
                        break;
        }
        CHECK(n_steps == 7); /* 2 deletes (a replace and a stale entry) + 5 adds */
}

/* The Nth change fails and so does the first undo step: no "rolled back",
 * the table reported is exactly the router's. */
static void test_fail_during_rollback(void) {
        _cleanup_(config_done) Config c;

        config_init(&c);
        for (size_t k = 2; k <= 7; k++) {
                _cleanup_(memory_router_done) MemoryRouter m;
                _cleanup_(pass_result_done) PassResult res = {};
                _cleanup_(table_done) Table start = {};

                memory_router_init(&m);
                messy_table(&m.table);
                copy_table(&start, &m.table);
                m.fail_change_mask = (UINT64_C(1) << (k - 1)) | (UINT64_C(1) << k);

                CHECK(run(&m, &c, PASS_APPLY, false, &res) == 0);
                CHECK(res.outcome == PASS_FAILED && pass_exit_code(&res) == 1);
                CHECK(res.n_applied == k - 1);
                CHECK(res.undo_failed);
                CHECK(!res.rolled_back);
                CHECK_MSG(&res, "failed too");
                CHECK(res.have_final && table_equal(&res.final, &m.table));
                CHECK(!table_equal(&m.table, &start));
                CHECK(m.n_logout == 1);
        }
}

/* The table cannot be read after a failure: neither claim is made. */
static void test_fail_then_unreadable(void) {
        _cleanup_(config_done) Config c;
        _cleanup_(memory_router_done) MemoryRouter m;
        _cleanup_(pass_result_done) PassResult res = {};

        config_init(&c);
        memory_router_init(&m);
        m.fail_change_mask = 1u << 2;
        m.fail_read_at = 2;
        CHECK(run(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_FAILED);
        CHECK(!res.rolled_back && !res.have_final);
        CHECK_MSG(&res, "state is unknown");
        CHECK(m.n_logout == 1);
}

/* A forward the router cannot store at all (a group name too long for the
 * family that firmware: auto found): refused before the first change, so
 * nothing is sent and nothing needs undoing. */
static void test_unstorable_refused_before_any_change(void) {
        _cleanup_(config_done) Config c;
        _cleanup_(memory_router_done) MemoryRouter m;
        _cleanup_(pass_result_done) PassResult res = {};
        _cleanup_(table_done) Table start = {};

        config_init(&c);
        memory_router_init(&m);
        messy_table(&m.table);
        copy_table(&start, &m.table);
        m.unstorable_group = "L2TP";
        CHECK(run(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_FAILED && pass_exit_code(&res) == 1);
        CHECK(res.stage != PASS_STAGE_CHANGE && res.error == -EPROTONOSUPPORT);
        CHECK(m.n_changes == 0 && res.n_applied == 0);
        CHECK(table_equal(&m.table, &start));
        CHECK_MSG(&res, "cannot store udp 4500 -> 192.168.11.3:4500 (group L2TP)");
        CHECK_MSG(&res, "too long");     /* the driver's words */
        CHECK_MSG(&res, "nothing was changed");
        CHECK(m.n_logout == 1);
}

static void test_add_not_stored(void) {
        _cleanup_(config_done) Config c;
        _cleanup_(memory_router_done) MemoryRouter m;
        _cleanup_(pass_result_done) PassResult res = {};

        config_init(&c);
        memory_router_init(&m);
        m.lose_add_at = 3;
        CHECK(run(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_FAILED && pass_exit_code(&res) == 1);
        CHECK(res.stage == PASS_STAGE_VERIFY);
        CHECK(res.n_applied == 6);
        CHECK_MSG(&res, "verify failed");
        CHECK_MSG(&res, "missing ");
        CHECK(res.verify_plan && !plan_in_sync(res.verify_plan));
        CHECK(res.have_final && table_equal(&res.final, &m.table));
        CHECK(m.table.n == 5);
        CHECK(m.n_logout == 1);
}

static void test_guard_max_deletes(void) {
        _cleanup_(config_done) Config c;
        _cleanup_(memory_router_done) MemoryRouter m;
        _cleanup_(pass_result_done) PassResult res = {};

        config_init(&c);
        c.max_deletes = 1;
        memory_router_init(&m);
        messy_table(&m.table); /* needs 2 deletes */

        CHECK(run(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_REFUSED && pass_exit_code(&res) == 3);
        CHECK(m.n_changes == 0);
        CHECK_MSG(&res, "max_deletes");
        CHECK_MSG(&res, "--force");
        CHECK(m.n_logout == 1);
        pass_result_done(&res);

        CHECK(run(&m, &c, PASS_APPLY, true, &res) == 0);
        CHECK(res.outcome == PASS_OK);
        CHECK(m.n_delete == 2);
        CHECK(m.table.n == 7);
        CHECK(m.n_logout == 2);
}

static void test_guard_conflict(void) {
        _cleanup_(config_done) Config c;
        _cleanup_(memory_router_done) MemoryRouter m;
        _cleanup_(pass_result_done) PassResult res = {};

        config_init(&c);
        memory_router_init(&m);
        add(&m.table, fw("other", PROTO_TCP, 1723, "192.168.11.9", 1723));

        /* plan shows it (pending) */
        CHECK(run(&m, &c, PASS_PLAN, false, &res) == 0);
        CHECK(res.outcome == PASS_PENDING);
        CHECK(res.plan && res.plan->n_conflicts == 1);
        pass_result_done(&res);

        /* the conflict holds back only its own forward: the other five
         * are applied and verified, and the pass exits 3 naming both */
        CHECK(run(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_REFUSED && pass_exit_code(&res) == 3);
        CHECK(m.n_changes == 5 && m.n_delete == 0);
        CHECK(res.n_applied == 5 && res.have_final);
        CHECK(m.table.n == 6);
        CHECK(table_equal(&res.final, &m.table));
        CHECK_MSG(&res, "applied 5 changes and verified them; held back: ");
        CHECK_MSG(&res, "192.168.11.3:1723 (group PPTP)");
        CHECK_MSG(&res, "192.168.11.9:1723 (group other)");
        CHECK_MSG(&res, "--force");
        CHECK(m.n_logout == 2);
        pass_result_done(&res);

        /* again: nothing else to do, still held back, nothing sent */
        m.n_changes = 0;
        CHECK(run(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_REFUSED && pass_exit_code(&res) == 3);
        CHECK(m.n_changes == 0);
        CHECK_MSG(&res, "held back: ");
        pass_result_done(&res);

        /* --force takes the entry over */
        CHECK(run(&m, &c, PASS_APPLY, true, &res) == 0);
        CHECK(res.outcome == PASS_OK);
        CHECK(table_equal(&m.table, &c.desired));
        CHECK(m.n_logout == 4);
}

static void test_login_and_read_failures(void) {
        _cleanup_(config_done) Config c;
        _cleanup_(memory_router_done) MemoryRouter m;
        _cleanup_(pass_result_done) PassResult res = {};

        config_init(&c);
        memory_router_init(&m);
        m.login_error = -EACCES;
        CHECK(run(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_FAILED && res.stage == PASS_STAGE_LOGIN && res.error == -EACCES);
        CHECK_MSG(&res, "rejected");
        CHECK_MSG(&res, "check router.username ('admin') and the password in /etc/portkeep/router-password");
        CHECK(m.n_changes == 0 && m.n_read == 0);
        pass_result_done(&res);

        m.login_error = -ECONNREFUSED;
        CHECK(run(&m, &c, PASS_PLAN, false, &res) == 0);
        CHECK(res.outcome == PASS_FAILED && pass_exit_code(&res) == 1);
        CHECK_MSG(&res, "check router.url and that the router is on");
        pass_result_done(&res);

        m.login_error = 0;
        m.fail_read_at = m.n_read + 1;
        m.read_error = -EBADMSG;
        CHECK(run(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_FAILED && res.stage == PASS_STAGE_READ);
        CHECK_MSG(&res, "unexpected answer");
        CHECK(m.n_changes == 0);
        CHECK(m.n_logout >= 1 && !m.logged_in);
}

/* ---- a driver that writes a whole pass at once (arcadyan) ---- */

static void test_batch_one_write_per_pass(void) {
        _cleanup_(config_done) Config c;
        _cleanup_(memory_router_done) MemoryRouter m;
        _cleanup_(pass_result_done) PassResult res = {};
        _cleanup_(table_done) Table want = {};

        config_init(&c);
        memory_router_init(&m);

        /* the motivating setup from empty: 6 adds, one write */
        CHECK(run_batch(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_OK && pass_exit_code(&res) == 0 && !res.message);
        CHECK(m.n_apply == 1 && m.n_apply_steps == 6);
        CHECK(m.n_add == 0 && m.n_delete == 0); /* not one at a time */
        CHECK(res.n_steps == 6 && res.n_applied == 6);
        CHECK(table_equal(&m.table, &c.desired));
        CHECK(res.have_final && table_equal(&res.final, &c.desired));
        CHECK(m.n_logout == 1);
        pass_result_done(&res);

        /* in sync: no write at all */
        CHECK(run_batch(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_OK && m.n_apply == 1);
        pass_result_done(&res);

        /* every kind of change (a replace's delete before its add on the
         * same key, a delete, adds): still one write */
        table_done(&m.table);
        messy_table(&m.table);
        CHECK(run_batch(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_OK);
        CHECK(m.n_apply == 2 && m.n_apply_steps == 6 + 7);
        CHECK(res.n_applied == 7);
        copy_table(&want, &c.desired);
        add(&want, fw("games", PROTO_TCP, 25565, "192.168.11.40", 25565));
        CHECK(table_equal(&m.table, &want));
}

/* The write is refused and the table read afterwards is the one read at the
 * start: rolled back, nothing was changed, no undo write. */
static void test_batch_refused_write_changes_nothing(void) {
        _cleanup_(config_done) Config c;
        _cleanup_(memory_router_done) MemoryRouter m;
        _cleanup_(pass_result_done) PassResult res = {};
        _cleanup_(table_done) Table start = {};

        config_init(&c);
        memory_router_init(&m);
        messy_table(&m.table);
        copy_table(&start, &m.table);
        m.fail_apply_mask = 1;

        CHECK(run_batch(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_FAILED && pass_exit_code(&res) == 1);
        CHECK(res.stage == PASS_STAGE_CHANGE && res.error == -EREMOTEIO);
        CHECK_MSG(&res, "the router refused the write of 7 changes (deleting ");
        CHECK_MSG(&res, "adding udp 1701 -> 192.168.11.3:1701 (group L2TP)");
        CHECK_MSG(&res, "write 1 refused (injected)"); /* the router's words */
        CHECK_MSG(&res, "nothing was changed");
        CHECK(res.rolled_back && !res.undo_failed && res.n_applied == 0);
        CHECK(m.n_apply == 1); /* no undo write */
        CHECK(res.have_final && table_equal(&res.final, &start));
        CHECK(table_equal(&m.table, &start));
        CHECK(m.n_logout == 1);
}

/* The write failed after storing part of the list: what the table shows made
 * is undone in one more write, and the pass says rolled back. */
static void test_batch_half_applied_is_undone(void) {
        _cleanup_(config_done) Config c;

        config_init(&c);
        for (unsigned half = 1; half <= 7; half++) {
                _cleanup_(memory_router_done) MemoryRouter m;
                _cleanup_(pass_result_done) PassResult res = {};
                _cleanup_(table_done) Table start = {};

                memory_router_init(&m);
                messy_table(&m.table);
                copy_table(&start, &m.table);
                m.fail_apply_mask = 1;
                m.half_apply = half;

                CHECK(run_batch(&m, &c, PASS_APPLY, false, &res) == 0);
                CHECK(res.outcome == PASS_FAILED && res.stage == PASS_STAGE_CHANGE);
                CHECK(res.n_applied == half);
                CHECK(m.n_apply == 2 && m.n_apply_steps == 7 + half);
                CHECK(res.rolled_back && !res.undo_failed);
                CHECK(!strstr(res.message, "nothing was changed"));
                CHECK(res.have_final && table_equal(&res.final, &start));
                CHECK(table_equal(&m.table, &start));
                CHECK(m.n_logout == 1);
        }
}

/* The undo write fails too: no "rolled back", the table as read. */
static void test_batch_undo_fails(void) {
        _cleanup_(config_done) Config c;
        _cleanup_(memory_router_done) MemoryRouter m;
        _cleanup_(pass_result_done) PassResult res = {};
        _cleanup_(table_done) Table start = {};

        config_init(&c);
        memory_router_init(&m);
        messy_table(&m.table);
        copy_table(&start, &m.table);
        m.fail_apply_mask = 3;
        m.half_apply = 3;

        CHECK(run_batch(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_FAILED);
        CHECK(res.undo_failed && !res.rolled_back);
        CHECK_MSG(&res, "failed too: memory router: write 2 refused");
        CHECK(m.n_apply == 2);
        CHECK(res.have_final && table_equal(&res.final, &m.table));
        CHECK(!table_equal(&m.table, &start));
}

/* A step the driver finds impossible before writing (here: the table would
 * be over capacity) is named; nothing is written, nothing to undo. */
static void test_batch_step_refused_before_writing(void) {
        _cleanup_(config_done) Config c;
        _cleanup_(memory_router_done) MemoryRouter m;
        _cleanup_(pass_result_done) PassResult res = {};
        _cleanup_(table_done) Table start = {};

        config_init(&c);
        memory_router_init(&m);
        messy_table(&m.table);
        copy_table(&start, &m.table);
        m.capacity = 5;

        CHECK(run_batch(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_FAILED && res.error == -ENOSPC);
        CHECK_MSG(&res, "the router's table is full: cannot add ");
        CHECK_MSG(&res, "nothing was changed");
        CHECK(res.rolled_back && m.n_apply == 1);
        CHECK(table_equal(&m.table, &start));
}

/* The guards and the unstorable check run before the write. */
static void test_batch_guards_first(void) {
        _cleanup_(config_done) Config c;
        _cleanup_(memory_router_done) MemoryRouter m;
        _cleanup_(pass_result_done) PassResult res = {};

        config_init(&c);
        c.max_deletes = 1;
        memory_router_init(&m);
        messy_table(&m.table);
        CHECK(run_batch(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_REFUSED && m.n_apply == 0);
        pass_result_done(&res);

        c.max_deletes = 8;
        m.unstorable_group = "L2TP";
        CHECK(run_batch(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_FAILED && res.error == -EPROTONOSUPPORT);
        CHECK(m.n_apply == 0);
        CHECK_MSG(&res, "nothing was changed");
}

/* Drift between passes: the next pass's one write repairs it. */
static void test_batch_verify(void) {
        _cleanup_(config_done) Config c;
        _cleanup_(memory_router_done) MemoryRouter m;
        _cleanup_(pass_result_done) PassResult res = {};

        config_init(&c);
        memory_router_init(&m);
        CHECK(run_batch(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_OK);
        pass_result_done(&res);
        /* someone deletes an entry between two passes; the next pass restores it */
        forward_done(&m.table.items[0]);
        m.table.items[0] = m.table.items[--m.table.n];
        CHECK(run_batch(&m, &c, PASS_APPLY, false, &res) == 0);
        CHECK(res.outcome == PASS_OK && res.n_applied == 1 && m.n_apply == 2);
        CHECK(table_equal(&m.table, &c.desired));
}

static char *capture(void (*print)(const Table *, const Config *, const PassResult *, FILE *), const Table *t,
                     const Config *c) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                abort();
        print(t, c, NULL, f);
        fclose(f);
        return buf;
}

static void test_show(void) {
        _cleanup_(config_done) Config c;
        _cleanup_(memory_router_done) MemoryRouter m;
        _cleanup_(pass_result_done) PassResult res = {};
        _cleanup_(freep) char *text = NULL, *json = NULL;

        config_init(&c);
        memory_router_init(&m);
        messy_table(&m.table);
        add(&m.table, fw("VPN用", PROTO_UDP, 500, "192.168.11.7", 500));
        CHECK(run(&m, &c, PASS_SHOW, false, &res) == 0);
        CHECK(res.outcome == PASS_OK && pass_exit_code(&res) == 0);
        CHECK(m.n_changes == 0 && m.n_logout == 1);
        CHECK(table_equal(&res.initial, &m.table));

        text = capture(pass_print_table, &res.initial, &c);
        CHECK(strstr(text, "*  PPTP             tcp      router          1723         192.168.11.5:1723\n"));
        CHECK(strstr(text, "   games            tcp      router          25565        192.168.11.40:25565\n"));
        /* a kanji takes two columns: the next column still lines up */
        CHECK(strstr(text, "   VPN用            udp      router          500          192.168.11.7:500\n"));
        CHECK(strstr(text, "5 forwards, 3 managed (*)\n"));

        json = capture(pass_print_table_json, &res.initial, &c);
        CHECK(strncmp(json, "{\"version\":1,\"forwards\":[{", 26) == 0);
        CHECK(strstr(json, "\"group\":\"games\""));
        CHECK(strstr(json, "\"ports\":\"25565\""));
        CHECK(strstr(json, "\"lan_ip\":\"192.168.11.40\""));
        CHECK(strstr(json, "\"managed\":false}"));
        CHECK(strstr(json, "\"managed\":true}"));
        if (failures)
                fprintf(stderr, "show:\n%s\njson:\n%s\n", text, json);
}

int main(void) {
        log_set_max_level(LOG_WARNING);

        test_apply_from_empty_then_idempotent();
        test_apply_messy();
        test_fail_each_step();
        test_fail_during_rollback();
        test_fail_then_unreadable();
        test_unstorable_refused_before_any_change();
        test_add_not_stored();
        test_guard_max_deletes();
        test_guard_conflict();
        test_login_and_read_failures();
        test_show();
        test_batch_one_write_per_pass();
        test_batch_refused_write_changes_nothing();
        test_batch_half_applied_is_undone();
        test_batch_undo_fails();
        test_batch_step_refused_before_writing();
        test_batch_guards_first();
        test_batch_verify();

        if (failures) {
                fprintf(stderr, "%d check(s) failed\n", failures);
                return 1;
        }
        printf("test-pass: all checks passed\n");
        return 0;
}
