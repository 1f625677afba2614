/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The plan engine: the difference between the file's table and the router's.
 *
 * How a plan is made (n log n in the size of both tables):
 *   1. The declared forwards are listed in file order; with split_tcp_udp a
 *      tcp/udp forward becomes a tcp and a udp forward (applied as two
 *      entries, and in sync only when both are).
 *   2. The router's entries are sorted by key. For each declared forward, an
 *      entry with the same key and the same value makes it in sync; else an
 *      entry with the same key that portkeep may change (managed; or any under
 *      prune: all or force) is replaced.
 *   3. Every other entry whose key overlaps a declared forward's is in its way:
 *      a managed one is deleted whatever prune says (the file's own group
 *      declared something else there, as with a replace); an unmanaged one is a
 *      conflict: listed, and the declared forward is not added, unless force
 *      (then deleted: taken over) or prune: all (below).
 *   4. Entries nobody claimed are pruned by prune: managed deletes managed ones,
 *      all deletes all, none deletes none (managed ones kept are counted).
 *      Unmanaged entries that stay are listed as unmanaged.
 *
 * prune: all says the file owns the whole table: any entry not in it goes. An
 * unmanaged entry that holds a declared key would go anyway, so under prune:
 * all it is not a conflict but a replace (same key) or a delete before the add
 * (overlapping key). It still counts toward max_deletes, the guard that stops a
 * wrong file from emptying the router. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "macro.h"
#include "plan.h"
#include "utf8.h"

typedef enum {
        ENTRY_FREE,     /* not claimed (yet) */
        ENTRY_IN_SYNC,  /* equal to a declared forward */
        ENTRY_REPLACED, /* old side of a replace */
        ENTRY_DELETED,  /* planned delete */
        ENTRY_CONFLICT, /* unmanaged, in a declared forward's way, left alone */
} EntryState;

typedef enum {
        OWNER_NONE,     /* someone else's */
        OWNER_FILE,     /* a file group portkeep applied before (or no record is kept) */
        OWNER_ADOPT,    /* a file group not recorded yet: only what matches is adopted */
        OWNER_REMOVED,  /* a recorded group no longer in the file */
} Owner;

typedef enum {
        DECL_PENDING,
        DECL_DUPLICATE, /* an exact duplicate of an earlier one; ignored */
        DECL_IN_SYNC,
        DECL_REPLACED,
} DeclState;

typedef struct Decl {
        Forward f;      /* shallow: group borrowed from desired */
        size_t origin;  /* index in desired */
        DeclState state;
        bool blocked;   /* an unmanaged entry holds its key, not taken over */
} Decl;

/* Changes are collected with a rank that gives the order users see: adds and
 * replaces in file order, then deletes in the router's order. */
typedef struct Pending {
        Change change;
        size_t rank;
} Pending;

typedef struct Ctx {
        const PlanOptions *o;
        const Table *actual;
        const Forward **sorted; /* actual, by key */
        uint16_t *reach;        /* max-tree of ports.last over sorted, see hits_ports() */
        size_t leaves;          /* leaves of that tree, a power of two */
        uint8_t *entry;         /* EntryState by index in actual */
        bool *managed;          /* by index in actual */
        uint8_t *owner;         /* Owner by index in actual */
        Decl *decls;
        size_t n_decls;
        size_t *hits;           /* scratch for overlap queries */
        size_t n_hits, allocated_hits;
        Pending *pending;
        size_t n_pending, allocated_pending;
        Plan *plan;
} Ctx;

typedef struct Key {
        uint32_t wan;
        uint32_t proto;
        uint32_t first, last;
} Key;

static int key_cmp(const Key *a, const Forward *f) {
        if (a->wan != f->wan)
                return a->wan < f->wan ? -1 : 1;
        if (a->proto != (uint32_t) f->proto)
                return a->proto < (uint32_t) f->proto ? -1 : 1;
        if (a->first != f->ports.first)
                return a->first < f->ports.first ? -1 : 1;
        if (a->last != f->ports.last)
                return a->last < f->ports.last ? -1 : 1;
        return 0;
}

/* Index of the first sorted entry not below k. */
static size_t lower_bound(const Ctx *c, const Key *k) {
        size_t lo = 0, hi = c->actual->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (key_cmp(k, c->sorted[mid]) > 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static size_t index_of(const Ctx *c, const Forward *a) {
        return (size_t) (a - c->actual->items);
}

static int sorted_cmp(const void *x, const void *y) {
        const Forward *a = *(const Forward *const *) x, *b = *(const Forward *const *) y;
        int r = forward_key_compare(a, b);

        if (r != 0)
                return r;
        /* the router's order among equal keys, so that the result is stable */
        return a < b ? -1 : a > b;
}

static int string_cmp(const void *x, const void *y) {
        return strcmp(*(const char *const *) x, *(const char *const *) y);
}

static int push_pending(Ctx *c, ChangeAction action, const Forward *new, const Forward *old,
                        size_t rank) {
        Pending *p;
        int r;

        if (c->n_pending == c->allocated_pending) {
                size_t m = c->allocated_pending ? c->allocated_pending * 2 : 16;

                p = reallocarray(c->pending, m, sizeof(Pending));
                if (!p)
                        return -ENOMEM;
                c->pending = p;
                c->allocated_pending = m;
        }
        p = &c->pending[c->n_pending];
        *p = (Pending){ .change.action = action, .rank = rank };
        p->change.new.router_id = p->change.old.router_id = -1;
        if (new) {
                r = forward_copy(&p->change.new, new);
                if (r < 0)
                        return r;
        }
        if (old) {
                r = forward_copy(&p->change.old, old);
                if (r < 0) {
                        forward_done(&p->change.new);
                        return r;
                }
        }
        c->n_pending++;
        if (action == CHANGE_DELETE || action == CHANGE_REPLACE)
                c->plan->n_deletes++;
        return 0;
}

/* Ranks: adds and replaces by declared index, deletes after them by router
 * index. */
static size_t rank_declared(const Ctx *c, const Decl *d) {
        return (size_t) (d - c->decls);
}

static size_t rank_delete(const Ctx *c, size_t entry) {
        return c->n_decls + entry;
}

static int push_conflict(Ctx *c, const Forward *declared, const Forward *held_by) {
        Plan *p = c->plan;
        Conflict *n;
        int r;

        n = reallocarray(p->conflicts, p->n_conflicts + 1, sizeof(Conflict));
        if (!n)
                return -ENOMEM;
        p->conflicts = n;
        n = &p->conflicts[p->n_conflicts];
        *n = (Conflict){};
        r = forward_copy(&n->declared, declared);
        if (r < 0)
                return r;
        r = forward_copy(&n->held_by, held_by);
        if (r < 0) {
                forward_done(&n->declared);
                return r;
        }
        p->n_conflicts++;
        return 0;
}

static int push_hit(Ctx *c, size_t i) {
        if (c->n_hits == c->allocated_hits) {
                size_t m = c->allocated_hits ? c->allocated_hits * 2 : 16;
                size_t *n = reallocarray(c->hits, m, sizeof(size_t));

                if (!n)
                        return -ENOMEM;
                c->hits = n;
                c->allocated_hits = m;
        }
        c->hits[c->n_hits++] = i;
        return 0;
}

/* Adds every sorted position in [from, to) whose entry overlaps d. */
static int hits_in(Ctx *c, const Forward *d, size_t from, size_t to) {
        for (size_t i = from; i < to; i++)
                if (forward_keys_overlap(d, c->sorted[i])) {
                        int r = push_hit(c, i);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/* The sorted positions of the entries with this wan and proto. */
static void segment(const Ctx *c, uint32_t wan, uint32_t proto, size_t *ret_from, size_t *ret_to) {
        *ret_from = lower_bound(c, &(Key){ wan, proto, 0, 0 });
        *ret_to = lower_bound(c, &(Key){ wan, proto + 1, 0, 0 });
}

/* The sorted positions in [from, to) below tree node `node` (covering
 * [lo, hi)) whose range reaches port `first`. A subtree whose highest last
 * port is below it is skipped whole, so that the cost is O(log n) per hit
 * even when wide ranges sit among narrow ones. */
static int reach_query(Ctx *c, size_t node, size_t lo, size_t hi, size_t from, size_t to,
                       uint16_t first) {
        size_t mid;
        int r;

        if (hi <= from || to <= lo || c->reach[node] < first)
                return 0;
        if (hi - lo == 1)
                return push_hit(c, lo);
        mid = lo + (hi - lo) / 2;
        r = reach_query(c, 2 * node, lo, mid, from, to, first);
        if (r < 0)
                return r;
        return reach_query(c, 2 * node + 1, mid, hi, from, to, first);
}

/* Ranges of one port protocol that overlap d's ports: of those starting at
 * or before d's last port, the ones whose last port reaches d's first. */
static int hits_ports(Ctx *c, const Forward *d, uint32_t proto) {
        size_t from, to, hi;

        segment(c, d->wan, proto, &from, &to);
        hi = lower_bound(c, &(Key){ d->wan, proto, (uint32_t) d->ports.last + 1, 0 });
        if (hi <= from)
                return 0;
        return reach_query(c, 1, 0, c->leaves, from, hi, d->ports.first);
}

/* Fills c->hits with the sorted positions of every entry whose key overlaps
 * d's (the same key included). */
static int find_overlaps(Ctx *c, const Forward *d) {
        static const uint32_t port_protos[] = { PROTO_TCP, PROTO_UDP, PROTO_TCP_UDP };
        size_t from, to;
        int r;

        c->n_hits = 0;
        if (d->proto == PROTO_ALL) {
                /* every entry on this wan */
                from = lower_bound(c, &(Key){ d->wan, 0, 0, 0 });
                to = d->wan == UINT32_MAX ? c->actual->n :
                                            lower_bound(c, &(Key){ d->wan + 1, 0, 0, 0 });
                return hits_in(c, d, from, to);
        }

        segment(c, d->wan, PROTO_ALL, &from, &to);
        r = hits_in(c, d, from, to);
        if (r < 0)
                return r;

        if (!proto_has_ports(d->proto)) {
                segment(c, d->wan, (uint32_t) d->proto, &from, &to);
                return hits_in(c, d, from, to);
        }
        for (size_t k = 0; k < ELEMENTSOF(port_protos); k++) {
                Forward probe = { .proto = (int) port_protos[k], .wan = d->wan, .ports = d->ports };

                if (!forward_keys_overlap(d, &probe))
                        continue;
                r = hits_ports(c, d, port_protos[k]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool may_take(const Ctx *c, size_t entry) {
        return c->managed[entry] || c->o->prune == PRUNE_ALL || c->o->force;
}

/* Pass 1: the entry with the same key, if any. */
static int match_same_key(Ctx *c, Decl *d) {
        size_t lo = lower_bound(c, &(Key){ d->f.wan, (uint32_t) d->f.proto, d->f.ports.first,
                                           d->f.ports.last });
        const Forward *pick = NULL;

        for (size_t i = lo; i < c->actual->n && forward_same_key(c->sorted[i], &d->f); i++) {
                const Forward *a = c->sorted[i];
                size_t e = index_of(c, a);

                if (c->entry[e] != ENTRY_FREE)
                        continue;
                if (forward_equal(a, &d->f)) {
                        c->entry[e] = ENTRY_IN_SYNC;
                        d->state = DECL_IN_SYNC;
                        if (a->lease_sec > 0 && a->lease_sec < c->o->renew_below_sec)
                                return push_pending(c, CHANGE_RENEW, &d->f, a, rank_declared(c, d));
                        return 0;
                }
                /* a managed entry before an unmanaged one */
                if (!pick || (c->managed[e] && !c->managed[index_of(c, pick)]))
                        pick = a;
        }
        if (!pick || !may_take(c, index_of(c, pick)))
                return 0; /* an unmanaged holder is a conflict, found in pass 2 */

        if (!c->managed[index_of(c, pick)] && c->o->prune != PRUNE_ALL) {
                int r = push_conflict(c, &d->f, pick); /* taken over by force */
                if (r < 0)
                        return r;
        }
        c->entry[index_of(c, pick)] = ENTRY_REPLACED;
        d->state = DECL_REPLACED;
        return push_pending(c, CHANGE_REPLACE, &d->f, pick, rank_declared(c, d));
}

/* Pass 2: everything else in the declared forward's way, then its add. */
static int clear_the_way(Ctx *c, Decl *d) {
        int r;

        r = find_overlaps(c, &d->f);
        if (r < 0)
                return r;
        for (size_t h = 0; h < c->n_hits; h++) {
                const Forward *a = c->sorted[c->hits[h]];
                size_t e = index_of(c, a);

                if (c->entry[e] != ENTRY_FREE && c->entry[e] != ENTRY_CONFLICT)
                        continue; /* in sync with, or already changed for, a forward */
                if (!may_take(c, e)) {
                        c->entry[e] = ENTRY_CONFLICT;
                        d->blocked = true;
                        r = push_conflict(c, &d->f, a);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (!c->managed[e] && c->o->prune != PRUNE_ALL) {
                        r = push_conflict(c, &d->f, a);
                        if (r < 0)
                                return r;
                }
                c->entry[e] = ENTRY_DELETED;
                r = push_pending(c, CHANGE_DELETE, NULL, a, rank_delete(c, e));
                if (r < 0)
                        return r;
        }
        if (d->state == DECL_PENDING && !d->blocked)
                return push_pending(c, CHANGE_ADD, &d->f, NULL, rank_declared(c, d));
        return 0;
}

/* Pass 3: entries no declared forward claimed. */
static int prune(Ctx *c) {
        for (size_t e = 0; e < c->actual->n; e++) {
                const Forward *a = &c->actual->items[e];
                bool del;
                int r;

                if (c->entry[e] != ENTRY_FREE && c->entry[e] != ENTRY_CONFLICT)
                        continue;
                if (c->entry[e] == ENTRY_FREE && c->owner[e] == OWNER_ADOPT && !c->o->force &&
                    c->o->prune != PRUNE_ALL) {
                        r = table_add(&c->plan->unadopted, a); /* not created by portkeep: left */
                        if (r < 0)
                                return r;
                        continue;
                }
                if (c->entry[e] == ENTRY_CONFLICT)
                        del = false;
                else if (c->o->prune == PRUNE_ALL)
                        del = !wan_is_pppoe(a->wan); /* never portkeep's to change */
                else if (c->managed[e])
                        del = c->o->prune == PRUNE_MANAGED;
                else
                        del = false;

                if (del) {
                        r = push_pending(c, CHANGE_DELETE, NULL, a, rank_delete(c, e));
                        if (r >= 0 && c->owner[e] == OWNER_REMOVED &&
                            asprintf(&c->pending[c->n_pending - 1].change.reason, "group %s is no longer in the file",
                                     a->group) < 0) {
                                c->pending[c->n_pending - 1].change.reason = NULL;
                                r = -ENOMEM;
                        }
                } else if (c->managed[e]) {
                        c->plan->n_kept++;
                        r = 0;
                } else
                        r = table_add(&c->plan->unmanaged, a);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int decl_cmp(const void *x, const void *y) {
        const Decl *a = x, *b = y;
        int r = forward_key_compare(&a->f, &b->f);

        if (r != 0)
                return r;
        return a->origin < b->origin ? -1 : a->origin > b->origin;
}

/* How many entries the router stores for f: tcp/udp two with
 * split_tcp_udp, a port range one per port with split_port_ranges. */
static size_t entries_for(const PlanOptions *o, const Forward *f) {
        size_t n = o->split_tcp_udp && f->proto == PROTO_TCP_UDP ? 2 : 1;

        if (o->split_port_ranges && port_range_is_set(f->ports))
                n *= (size_t) (f->ports.last - f->ports.first) + 1;
        return n;
}

static int expand_declared(Ctx *c, const Table *desired) {
        _cleanup_(freep) Decl *byk = NULL;
        size_t n = 0, total = 0;

        for (size_t i = 0; i < desired->n; i++)
                total += entries_for(c->o, &desired->items[i]);
        c->decls = reallocarray(NULL, total + 1, sizeof(Decl));
        if (!c->decls)
                return -ENOMEM;
        for (size_t i = 0; i < desired->n; i++) {
                const Forward *f = &desired->items[i];
                bool split = c->o->split_tcp_udp && f->proto == PROTO_TCP_UDP;
                bool ranges = c->o->split_port_ranges && port_range_is_set(f->ports);
                unsigned width = ranges ? (unsigned) (f->ports.last - f->ports.first) + 1 : 1;

                for (int k = 0; k < (split ? 2 : 1); k++)
                        for (unsigned j = 0; j < width; j++) {
                                Decl *d = &c->decls[n++];

                                *d = (Decl){ .f = *f, .origin = i };
                                if (split)
                                        d->f.proto = k == 0 ? PROTO_TCP : PROTO_UDP;
                                if (ranges) {
                                        /* pairwise, or every port to one LAN port */
                                        bool one = f->lan_ports.first == f->lan_ports.last;

                                        d->f.ports = (PortRange){ f->ports.first + j, f->ports.first + j };
                                        d->f.lan_ports = one ? f->lan_ports
                                                             : (PortRange){ f->lan_ports.first + j,
                                                                            f->lan_ports.first + j };
                                }
                        }
        }
        c->n_decls = n;

        /* Same key twice: the same forward counts once; two values are an
         * error the config should have caught. Sorted copies carry their
         * position back through origin and index. */
        byk = reallocarray(NULL, n + 1, sizeof(Decl));
        if (!byk)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                byk[i] = c->decls[i];
                byk[i].origin = i;
        }
        qsort(byk, n, sizeof(Decl), decl_cmp);
        for (size_t i = 1; i < n; i++) {
                if (!forward_same_key(&byk[i - 1].f, &byk[i].f))
                        continue;
                if (!forward_equal(&byk[i - 1].f, &byk[i].f))
                        return -EINVAL;
                c->decls[byk[i].origin].state = DECL_DUPLICATE;
        }
        return 0;
}

static size_t count_groups(const Table *desired) {
        _cleanup_(freep) const char **g = NULL;
        size_t n = 0, k = 0;

        g = reallocarray(NULL, desired->n + 1, sizeof(char *));
        if (!g)
                return 0;
        for (size_t i = 0; i < desired->n; i++)
                if (desired->items[i].group)
                        g[n++] = desired->items[i].group;
        qsort(g, n, sizeof(char *), string_cmp);
        for (size_t i = 0; i < n; i++)
                if (i == 0 || !streq(g[i - 1], g[i]))
                        k++;
        return k;
}

static void count_in_sync(Ctx *c, size_t n_desired) {
        _cleanup_(freep) bool *bad = calloc(n_desired + 1, sizeof(bool));
        bool *seen = NULL;

        if (!bad)
                return;
        seen = calloc(n_desired + 1, sizeof(bool));
        if (!seen)
                return;
        for (size_t i = 0; i < c->n_decls; i++) {
                const Decl *d = &c->decls[i];

                if (d->state == DECL_DUPLICATE)
                        continue;
                seen[d->origin] = true;
                if (d->state != DECL_IN_SYNC || d->blocked)
                        bad[d->origin] = true;
        }
        for (size_t i = 0; i < n_desired; i++)
                if (seen[i]) {
                        c->plan->n_declared++;
                        if (!bad[i])
                                c->plan->n_in_sync++;
                }
        free(seen);
}

static int pending_cmp(const void *x, const void *y) {
        const Pending *a = x, *b = y;

        return a->rank < b->rank ? -1 : a->rank > b->rank;
}

static void ctx_done(Ctx *c) {
        free(c->sorted);
        free(c->reach);
        free(c->entry);
        free(c->managed);
        free(c->owner);
        free(c->decls);
        free(c->hits);
        for (size_t i = 0; i < c->n_pending; i++) {
                forward_done(&c->pending[i].change.new);
                forward_done(&c->pending[i].change.old);
                free(c->pending[i].change.reason);
        }
        free(c->pending);
        plan_free(c->plan);
}

/* A sorted copy of names, for in_names(). */
static const char **sorted_names(char *const *names, size_t n) {
        const char **s = reallocarray(NULL, n + 1, sizeof(char *));

        if (!s)
                return NULL;
        for (size_t i = 0; i < n; i++)
                s[i] = names[i];
        if (n > 1)
                qsort(s, n, sizeof(char *), string_cmp);
        return s;
}

static bool in_names(const char *const *sorted, size_t n, const char *name) {
        return name && n > 0 && bsearch(&name, sorted, n, sizeof(char *), string_cmp);
}

/* Whose an entry is: the file's groups, the record's (o->use_record), or
 * the router's own marks (grouped_are_managed). */
static Owner owner_of(const Ctx *c, const char *const *file, const char *const *record, const Forward *a) {
        bool in_file, in_record;

        if (!a->group || wan_is_pppoe(a->wan))
                return OWNER_NONE;
        in_file = in_names(file, c->o->n_managed_groups, a->group);
        if (c->o->grouped_are_managed)
                return in_file ? OWNER_FILE : OWNER_REMOVED; /* the router marks portkeep's */
        if (!c->o->use_record)
                return in_file ? OWNER_FILE : OWNER_NONE;
        in_record = in_names(record, c->o->n_recorded_groups, a->group);
        if (in_file)
                return in_record ? OWNER_FILE : OWNER_ADOPT;
        return in_record ? OWNER_REMOVED : OWNER_NONE;
}

/* The file's groups that declare no forward ("forwards: []"): the file says
 * they hold nothing, which is intent enough to own what they hold. */
static int empty_groups(const Ctx *c, const Table *desired, const char ***ret, size_t *ret_n) {
        const char **e = reallocarray(NULL, c->o->n_managed_groups + 1, sizeof(char *));
        size_t n = 0;

        if (!e)
                return -ENOMEM;
        for (size_t i = 0; i < c->o->n_managed_groups; i++) {
                bool declared = false;

                for (size_t j = 0; !declared && j < desired->n; j++)
                        declared = streq_ptr(desired->items[j].group, c->o->managed_groups[i]);
                if (!declared)
                        e[n++] = c->o->managed_groups[i];
        }
        if (n > 1)
                qsort(e, n, sizeof(char *), string_cmp);
        *ret = e;
        *ret_n = n;
        return 0;
}

static int ctx_index_actual(Ctx *c, const Table *desired) {
        const Table *actual = c->actual;
        _cleanup_(freep) const char **file = NULL, **record = NULL, **empty = NULL;
        size_t n = actual->n, n_empty = 0;

        c->sorted = reallocarray(NULL, n + 1, sizeof(Forward *));
        c->entry = calloc(n + 1, sizeof(uint8_t));
        c->managed = calloc(n + 1, sizeof(bool));
        c->owner = calloc(n + 1, sizeof(uint8_t));
        file = sorted_names(c->o->managed_groups, c->o->n_managed_groups);
        record = sorted_names(c->o->recorded_groups, c->o->n_recorded_groups);
        if (!c->sorted || !c->entry || !c->managed || !c->owner || !file || !record ||
            empty_groups(c, desired, &empty, &n_empty) < 0)
                return -ENOMEM;

        for (size_t i = 0; i < n; i++) {
                const Forward *a = &actual->items[i];

                c->sorted[i] = a;
                c->owner[i] = (uint8_t) owner_of(c, file, record, a);
                if (c->owner[i] == OWNER_ADOPT && in_names(empty, n_empty, a->group))
                        c->owner[i] = OWNER_FILE;
                /* an entry not created by portkeep in a file group is
                 * adopted (taken) only by --force */
                c->managed[i] = c->owner[i] == OWNER_FILE || c->owner[i] == OWNER_REMOVED ||
                                (c->owner[i] == OWNER_ADOPT && c->o->force);
        }
        qsort(c->sorted, n, sizeof(Forward *), sorted_cmp);

        for (c->leaves = 1; c->leaves < n; c->leaves *= 2)
                ;
        c->reach = calloc(2 * c->leaves, sizeof(uint16_t));
        if (!c->reach)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                c->reach[c->leaves + i] = c->sorted[i]->ports.last;
        for (size_t i = c->leaves - 1; i > 0; i--)
                c->reach[i] = c->reach[2 * i] > c->reach[2 * i + 1] ? c->reach[2 * i] :
                                                                      c->reach[2 * i + 1];
        return 0;
}

int plan_compute(const Table *desired, const Table *actual, const PlanOptions *o, Plan **ret) {
        _cleanup_(ctx_done) Ctx c = { .o = o, .actual = actual };
        Plan *p;
        int r;

        c.plan = p = calloc(1, sizeof(Plan));
        if (!p)
                return -ENOMEM;
        table_init(&p->unmanaged);
        table_init(&p->unadopted);
        p->max_deletes = o->max_deletes;
        p->prune = o->prune;
        p->force = o->force;
        if (o->source) {
                p->source = strdup(o->source);
                if (!p->source)
                        return -ENOMEM;
        }

        r = ctx_index_actual(&c, desired);
        if (r < 0)
                return r;
        r = expand_declared(&c, desired);
        if (r < 0)
                return r;

        for (size_t i = 0; i < c.n_decls; i++)
                if (c.decls[i].state == DECL_PENDING) {
                        r = match_same_key(&c, &c.decls[i]);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < c.n_decls; i++)
                if (c.decls[i].state != DECL_DUPLICATE) {
                        r = clear_the_way(&c, &c.decls[i]);
                        if (r < 0)
                                return r;
                }
        r = prune(&c);
        if (r < 0)
                return r;

        count_in_sync(&c, desired->n);
        p->n_groups = count_groups(desired);

        /* pending is NULL when nothing is: qsort() wants a valid pointer */
        if (c.n_pending > 1)
                qsort(c.pending, c.n_pending, sizeof(Pending), pending_cmp);
        p->changes = reallocarray(NULL, c.n_pending + 1, sizeof(Change));
        if (!p->changes)
                return -ENOMEM;
        for (size_t i = 0; i < c.n_pending; i++)
                p->changes[i] = c.pending[i].change;
        p->n_changes = c.n_pending;
        c.n_pending = 0;

        *ret = TAKE_PTR(c.plan);
        return 0;
}

Plan *plan_free(Plan *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_changes; i++) {
                forward_done(&p->changes[i].new);
                forward_done(&p->changes[i].old);
                free(p->changes[i].reason);
        }
        free(p->changes);
        for (size_t i = 0; i < p->n_conflicts; i++) {
                forward_done(&p->conflicts[i].declared);
                forward_done(&p->conflicts[i].held_by);
        }
        free(p->conflicts);
        table_done(&p->unmanaged);
        table_done(&p->unadopted);
        free(p->source);
        free(p);
        return NULL;
}

bool plan_in_sync(const Plan *p) {
        return p->n_changes == 0 && p->n_conflicts == 0 && p->unadopted.n == 0;
}

/* Conflicts are checked first: they name the entry in the way, which is what
 * the user has to act on; both refusals exit 3. */
int plan_check_guards(const Plan *p, bool force) {
        if (force)
                return 0;
        if (p->n_deletes > p->max_deletes)
                return -E2BIG;
        return 0;
}

bool plan_held_back(const Plan *p) {
        return (!p->force && p->n_conflicts > 0) || p->unadopted.n > 0;
}

/* Room for every step at once: a plan's steps are counted before they are
 * made. */
static int steps_alloc(Steps *s, size_t n) {
        s->items = reallocarray(NULL, n + 1, sizeof(Step));
        return s->items ? 0 : -ENOMEM;
}

static int steps_push(Steps *s, bool add, const Forward *f) {
        int r;

        s->items[s->n] = (Step){ .add = add };
        r = forward_copy(&s->items[s->n].f, f);
        if (r < 0)
                return r;
        s->n++;
        return 0;
}

/* Order of execution:
 *   1. plain deletes: they free the keys (and table rows) the adds need;
 *   2. each replace as its delete directly followed by its add, so that the
 *      forward is down for one request only and a failed add is undone (the
 *      old entry re-added) straight away;
 *   3. plain adds.
 * An add never comes before a delete it depends on: the entries in a declared
 * forward's way are plain deletes (1) or the old side of its own replace. */
int plan_steps(const Plan *p, Steps *ret) {
        _cleanup_(steps_done) Steps s = {};
        size_t n = 0;
        int r;

        for (size_t i = 0; i < p->n_changes; i++)
                n += p->changes[i].action == CHANGE_REPLACE ? 2 : 1;
        r = steps_alloc(&s, n);
        if (r < 0)
                return r;

        for (size_t i = 0; i < p->n_changes; i++)
                if (p->changes[i].action == CHANGE_DELETE) {
                        r = steps_push(&s, false, &p->changes[i].old);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < p->n_changes; i++)
                if (p->changes[i].action == CHANGE_REPLACE) {
                        r = steps_push(&s, false, &p->changes[i].old);
                        if (r < 0)
                                return r;
                        r = steps_push(&s, true, &p->changes[i].new);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < p->n_changes; i++)
                if (p->changes[i].action == CHANGE_ADD || p->changes[i].action == CHANGE_RENEW) {
                        r = steps_push(&s, true, &p->changes[i].new);
                        if (r < 0)
                                return r;
                        s.items[s.n - 1].renew = p->changes[i].action == CHANGE_RENEW;
                }
        *ret = s;
        s = (Steps){};
        return 0;
}

int plan_undo_steps(const Steps *steps, size_t n_done, Steps *ret) {
        _cleanup_(steps_done) Steps s = {};
        int r;

        if (n_done > steps->n)
                return -EINVAL;
        r = steps_alloc(&s, n_done);
        if (r < 0)
                return r;
        for (size_t i = n_done; i > 0; i--) {
                if (steps->items[i - 1].renew)
                        continue; /* the entry was there before, and is */
                r = steps_push(&s, !steps->items[i - 1].add, &steps->items[i - 1].f);
                if (r < 0)
                        return r;
        }
        *ret = s;
        s = (Steps){};
        return 0;
}

void steps_done(Steps *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n; i++)
                forward_done(&s->items[i].f);
        free(s->items);
        *s = (Steps){};
}

static const char *group_label(const Forward *f) {
        return f->group && f->group[0] ? f->group : "(no group)";
}

static int group_width(const Plan *p) {
        size_t w = 0;

        for (size_t i = 0; i < p->n_changes; i++) {
                const Change *ch = &p->changes[i];
                size_t l = utf8_columns(group_label(ch->action == CHANGE_DELETE ? &ch->old : &ch->new));

                w = l > w ? l : w;
        }
        for (size_t i = 0; i < p->unmanaged.n; i++) {
                size_t l = utf8_columns(group_label(&p->unmanaged.items[i]));

                w = l > w ? l : w;
        }
        return (int) (w > 24 ? 24 : w); /* a long name shifts its own line only */
}

/* "(was 192.168.11.21:443)", "(was group vpn)", "(was 192.168.11.21:443, group vpn)" */
static void print_was(const Change *ch, FILE *f) {
        const Forward *o = &ch->old, *n = &ch->new;
        bool lan = o->lan_ip != n->lan_ip || o->lan_ports.first != n->lan_ports.first ||
                   o->lan_ports.last != n->lan_ports.last;
        bool group = !streq_ptr(o->group, n->group);
        char a[16], ports[12];

        fputs("  (was ", f);
        if (lan)
                fprintf(f, "%s%s%s", ipv4_to_string(o->lan_ip, a),
                        port_range_is_set(o->lan_ports) ? ":" : "",
                        port_range_to_string(o->lan_ports, ports));
        if (group) {
                if (lan)
                        fputs(", ", f);
                if (o->group)
                        fprintf(f, "group %s", o->group);
                else
                        fputs("no group", f);
        }
        fputs(")", f);
}

static void print_row(char mark, int width, const Forward *fw, FILE *f) {
        char rule[FORWARD_RULE_STRING_MAX];

        fprintf(f, "%c ", mark);
        utf8_print_padded(f, group_label(fw), (size_t) width);
        fprintf(f, "  %s", forward_rule_to_string(fw, rule, sizeof(rule)));
}

static void print_conflict(const Plan *p, const Conflict *c, FILE *f) {
        char a[FORWARD_RULE_STRING_MAX + 256], b[FORWARD_RULE_STRING_MAX + 256];

        fprintf(f, "! conflict: %s", forward_to_string(&c->declared, a, sizeof(a)));
        if (c->declared.line > 0 && p->source)
                fprintf(f, " at %s:%u:%u", p->source, c->declared.line, c->declared.column);
        else if (c->declared.line > 0)
                fprintf(f, " at line %u", c->declared.line);
        fprintf(f, " is held by unmanaged entry %s; %s\n", forward_to_string(&c->held_by, b, sizeof(b)),
                p->force ? "taken over (--force)" : "not applied without --force");
}

static void print_part(FILE *f, bool *first, const char *sep) {
        if (!*first)
                fputs(sep, f);
        *first = false;
}

static void print_summary(const Plan *p, FILE *f) {
        size_t n[_CHANGE_MAX] = {};
        static const char *const what[_CHANGE_MAX] = {
                [CHANGE_ADD] = "to add", [CHANGE_REPLACE] = "to replace", [CHANGE_DELETE] = "to delete",
                [CHANGE_RENEW] = "lease to renew",
        };
        static const ChangeAction order[_CHANGE_MAX] = { CHANGE_ADD, CHANGE_REPLACE, CHANGE_DELETE, CHANGE_RENEW };
        bool first = true, first_change = true;

        for (size_t i = 0; i < p->n_changes; i++)
                n[p->changes[i].action]++;

        if (plan_in_sync(p)) {
                fprintf(f, "in sync: %zu forward%s in %zu group%s", p->n_declared,
                        p->n_declared == 1 ? "" : "s", p->n_groups, p->n_groups == 1 ? "" : "s");
                first = false;
        }
        for (size_t k = 0; k < _CHANGE_MAX; k++)
                if (n[order[k]] > 0) {
                        print_part(f, &first_change, ", ");
                        fprintf(f, "%zu %s", n[order[k]], what[order[k]]);
                        first = false;
                }
        if (p->n_conflicts > 0) {
                print_part(f, &first, "; ");
                fprintf(f, "%zu conflict%s%s", p->n_conflicts, p->n_conflicts == 1 ? "" : "s",
                        p->force ? " taken over" : "");
        }
        if (p->n_kept > 0) {
                print_part(f, &first, "; ");
                fprintf(f, "%zu not in the file kept (prune: none)", p->n_kept);
        }
        if (p->unadopted.n > 0) {
                print_part(f, &first, "; ");
                fprintf(f, "%zu not created by portkeep", p->unadopted.n);
        }
        if (p->unmanaged.n > 0) {
                print_part(f, &first, "; ");
                fprintf(f, "%zu unmanaged left alone", p->unmanaged.n);
        }
        fputc('\n', f);
}

void plan_print(const Plan *p, FILE *f) {
        int width = group_width(p);

        for (size_t i = 0; i < p->n_changes; i++) {
                const Change *ch = &p->changes[i];

                switch (ch->action) {
                case CHANGE_ADD:
                        print_row('+', width, &ch->new, f);
                        break;
                case CHANGE_DELETE:
                        print_row('-', width, &ch->old, f);
                        if (ch->reason)
                                fprintf(f, "  (%s)", ch->reason);
                        break;
                case CHANGE_REPLACE:
                        print_row('~', width, &ch->new, f);
                        print_was(ch, f);
                        break;
                case CHANGE_RENEW:
                        print_row('*', width, &ch->new, f);
                        fprintf(f, "  (lease renewed: %" PRIu32 "s left)", ch->old.lease_sec);
                        break;
                default:
                        break;
                }
                fputc('\n', f);
        }
        for (size_t i = 0; i < p->n_conflicts; i++)
                print_conflict(p, &p->conflicts[i], f);
        if (p->unadopted.n > 0) {
                fputs("not created by portkeep, left alone (declare them in the file, or 'portkeep apply --force' "
                      "takes them):\n", f);
                for (size_t i = 0; i < p->unadopted.n; i++) {
                        print_row('?', width, &p->unadopted.items[i], f);
                        fputc('\n', f);
                }
        }
        if (p->unmanaged.n > 0) {
                bool grouped = false;

                fputs("left alone (unmanaged):\n", f);
                for (size_t i = 0; i < p->unmanaged.n; i++) {
                        print_row(' ', width, &p->unmanaged.items[i], f);
                        fputc('\n', f);
                        grouped = grouped || p->unmanaged.items[i].group;
                }
                if (grouped)
                        fputs("(to remove a group the file does not name, declare it with 'forwards: []')\n", f);
        }
        print_summary(p, f);
}

static const char *action_to_string(ChangeAction a) {
        switch (a) {
        case CHANGE_ADD:
                return "add";
        case CHANGE_DELETE:
                return "delete";
        case CHANGE_REPLACE:
                return "replace";
        case CHANGE_RENEW:
                return "renew";
        default:
                return "?";
        }
}

/* A declared forward's place in the file: "file", "line", "column" (null
 * when the forward has none, as a router's entry). */
static void print_position_json(const Plan *p, const Forward *fw, FILE *f) {
        fputs(",\"file\":", f);
        json_write_string(f, fw->line > 0 ? p->source : NULL);
        if (fw->line > 0)
                fprintf(f, ",\"line\":%u,\"column\":%u", fw->line, fw->column);
        else
                fputs(",\"line\":null,\"column\":null", f);
}

void plan_print_json(const Plan *p, FILE *f) {
        fputs("{\"version\":1,", f);
        plan_print_json_members(p, plan_in_sync(p), f);
        fputs("}\n", f);
}

void plan_print_json_members(const Plan *p, bool in_sync, FILE *f) {
        fprintf(f, "\"in_sync\":%s,\"changes\":[", in_sync ? "true" : "false");
        for (size_t i = 0; i < p->n_changes; i++) {
                const Change *ch = &p->changes[i];

                fprintf(f, "%s{\"action\":\"%s\",", i ? "," : "", action_to_string(ch->action));
                forward_print_json_members(ch->action == CHANGE_DELETE ? &ch->old : &ch->new, f);
                if (ch->action == CHANGE_REPLACE) {
                        fputs(",\"old\":", f);
                        forward_print_json(&ch->old, f);
                }
                if (ch->reason) {
                        fputs(",\"reason\":", f);
                        json_write_string(f, ch->reason);
                }
                fputc('}', f);
        }
        fputs("],\"unmanaged\":[", f);
        for (size_t i = 0; i < p->unmanaged.n; i++) {
                if (i)
                        fputc(',', f);
                forward_print_json(&p->unmanaged.items[i], f);
        }
        fputs("],\"not_created_by_portkeep\":[", f);
        for (size_t i = 0; i < p->unadopted.n; i++) {
                if (i)
                        fputc(',', f);
                forward_print_json(&p->unadopted.items[i], f);
        }
        fputs("],\"conflicts\":[", f);
        for (size_t i = 0; i < p->n_conflicts; i++) {
                fprintf(f, "%s{\"declared\":{", i ? "," : "");
                forward_print_json_members(&p->conflicts[i].declared, f);
                print_position_json(p, &p->conflicts[i].declared, f);
                fputs("},\"held_by\":", f);
                forward_print_json(&p->conflicts[i].held_by, f);
                fputc('}', f);
        }
        fputc(']', f);
}
