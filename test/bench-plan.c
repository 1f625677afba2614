/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How long a plan takes for large tables: N declared forwards against a
 * router table of about the same size, in shuffled order, with adds, replaces,
 * deletes, unmanaged entries and a few wide port ranges mixed in. Prints the
 * best and median of several runs for plan_compute() (+ plan_steps()) and for
 * plan_print(). Run with `meson test -C BUILD --benchmark plan` or directly,
 * with sizes as arguments (default 1000 10000 100000). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "plan.h"

#define RUNS 7

static double now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

static void add(Table *t, const char *group, int proto, uint32_t wan, unsigned first,
                unsigned last, uint32_t lan_ip) {
        Forward f = {
                .proto = proto,
                .wan = wan,
                .ports = { (uint16_t) first, (uint16_t) last },
                .group = (char *) group,
                .lan_ip = lan_ip,
                .lan_ports = { (uint16_t) first, (uint16_t) last },
                .router_id = -1,
        };

        if (!proto_has_ports(proto))
                f.ports = f.lan_ports = PORT_RANGE_NONE;
        if (table_add(t, &f) < 0)
                abort();
}

/* Forwards spread over the wan addresses and ports so that n can reach
 * 100,000 with distinct keys. */
static void build(size_t n, Table *desired, Table *actual) {
        static const char *const groups[] = { "g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7" };
        uint32_t base_lan = 0xc0a80b00; /* 192.168.11.0 */

        table_init(desired);
        table_init(actual);
        for (size_t i = 0; i < n; i++) {
                uint32_t wan = i < 40000 ? 0 : 0xcb007100 + (uint32_t) (i / 40000); /* 203.0.113.x */
                unsigned port = 1 + (unsigned) (i % 40000);
                int proto = i % 2 ? 6 : 17;
                const char *g = groups[i % ELEMENTSOF(groups)];
                uint32_t lan = base_lan + 2 + (uint32_t) (i % 200);

                add(desired, g, proto, wan, port, port, lan);
                switch (i % 100) {
                case 0 ... 2: /* missing: add */
                        break;
                case 3 ... 6: /* other LAN address: replace */
                        add(actual, g, proto, wan, port, port, lan + 1);
                        break;
                default:
                        add(actual, g, proto, wan, port, port, lan);
                }
                if (i % 100 == 7) /* unmanaged, other protocol: left alone */
                        add(actual, "other", 47, 0xc6336400 + (uint32_t) i, 0, 0, lan);
                if (i % 100 == 8) /* managed, not in the file: delete */
                        add(actual, g, 50, 0xc6336400 + (uint32_t) i, 0, 0, lan);
        }
        /* a few wide ranges on their own wan address */
        for (unsigned k = 0; k < 4; k++)
                add(actual, "g0", 6, 0xc0000200 + k, 1000, 60000, base_lan + 9);

        /* the router's order is not the file's */
        srand(1);
        for (size_t i = actual->n; i > 1; i--) {
                size_t j = (size_t) rand() % i;
                Forward tmp = actual->items[i - 1];

                actual->items[i - 1] = actual->items[j];
                actual->items[j] = tmp;
        }
}

static void bench(size_t n) {
        static char *const groups[] = { "g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7" };
        _cleanup_(table_done) Table desired = {};
        _cleanup_(table_done) Table actual = {};
        PlanOptions o = {
                .prune = PRUNE_MANAGED,
                .max_deletes = 8,
                .managed_groups = groups,
                .n_managed_groups = ELEMENTSOF(groups),
        };
        double compute[RUNS], print[RUNS];
        size_t n_changes = 0, n_steps = 0;
        FILE *null = fopen("/dev/null", "we");

        if (!null)
                abort();
        build(n, &desired, &actual);
        for (int run = 0; run < RUNS; run++) {
                _cleanup_(steps_done) Steps steps = {};
                Plan *p = NULL;
                double t0, t1, t2;

                t0 = now_ms();
                if (plan_compute(&desired, &actual, &o, &p) < 0 || plan_steps(p, &steps) < 0)
                        abort();
                t1 = now_ms();
                plan_print(p, null);
                plan_print_json(p, null);
                t2 = now_ms();
                compute[run] = t1 - t0;
                print[run] = t2 - t1;
                n_changes = p->n_changes;
                n_steps = steps.n;
                plan_free(p);
        }
        fclose(null);
        qsort(compute, RUNS, sizeof(double), cmp_double);
        qsort(print, RUNS, sizeof(double), cmp_double);
        printf("plan %6zu declared vs %6zu on the router (%zu changes, %zu steps): "
               "compute+steps best %.2f ms, median %.2f ms; print+json median %.2f ms\n",
               desired.n, actual.n, n_changes, n_steps, compute[0], compute[RUNS / 2],
               print[RUNS / 2]);
}

int main(int argc, char **argv) {
        if (argc > 1)
                for (int i = 1; i < argc; i++)
                        bench(strtoul(argv[i], NULL, 10));
        else {
                bench(1000);
                bench(10000);
                bench(100000);
        }
        return 0;
}
