/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The router pages the fuzz targets found a bug with, and a page of each
 * family that must parse, through the drivers' parsers in every build (the
 * fuzz targets need clang): what a read returns and the message a user sees.
 *
 * argv: test/fuzz (the corpus-* directories) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "airstation-parse.h"
#include "driver.h"
#include "macro.h"


static const char *dir;

static char *read_corpus(const char *name) {
        char path[512];
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "re");
        if (!f) {
                fprintf(stderr, "%s: %m\n", path);
                exit(EXIT_FAILURE);
        }
        if (getdelim(&buf, &size, '\0', f) < 0) {
                fprintf(stderr, "%s: empty\n", path);
                exit(EXIT_FAILURE);
        }
        fclose(f);
        return buf;
}

static Router *router(const char *family) {
        static Config config = { .url = (char *) "http://127.0.0.1:9", .timeout_usec = 1000000 };
        Router *r;

        if (router_new_with_backend(registry_find("airstation", family), &config, "", &r) < 0)
                exit(EXIT_FAILURE);
        return r;
}

/* A nosave table page (UTF-8): the parser's return, its table, its error. */
static int nosave(const char *name, Table *t, char *error, size_t error_size) {
        _cleanup_(html_freep) htmlDocPtr doc = NULL;
        char *page = read_corpus(name);
        Router *r = router("nosave");
        int k;

        table_init(t);
        k = html_parse(page, strlen(page), &doc);
        if (k >= 0)
                k = nosave_parse_table_page(r, page, doc, t);
        snprintf(error, error_size, "%s", router_error(r));
        router_free(r);
        free(page);
        return k;
}

static int arcadyan(const char *name, Table *t, char *error, size_t error_size) {
        char *js = read_corpus(name);
        Router *r = router("arcadyan");
        int k;

        table_init(t);
        k = arcadyan_parse_cfg_js(r, js, t);
        snprintf(error, error_size, "%s", router_error(r));
        router_free(r);
        free(js);
        return k;
}

static const Forward *find(const Table *t, int proto, unsigned port) {
        for (size_t i = 0; i < t->n; i++)
                if (t->items[i].proto == proto && t->items[i].ports.first == port)
                        return &t->items[i];
        return NULL;
}

static void test_nosave(void) {
        const Forward *f;
        char error[512];
        Table t;

        /* the fake's page: 9 entries, tcp/udp as two rows */
        CHECK(nosave("corpus-nosave/table-utf-8.html", &t, error, sizeof(error)) == 0);
        CHECK(t.n == 10);
        /* port: 5000-5009, lan_port: 6000 as a config says it */
        f = find(&t, PROTO_TCP, 5000);
        CHECK(f && f->ports.last == 5009 && f->lan_ports.first == 6000 && f->lan_ports.last == 6000);
        f = find(&t, PROTO_UDP, 60000);
        CHECK(f && f->lan_ports.first == 50000 && f->lan_ports.last == 50010 && streq_ptr(f->group, "Game & <x>"));
        table_done(&t);

        /* found by fuzz-nosave: bytes of another charset in a group name
         * came through into the table */
        CHECK(nosave("corpus-nosave/regress-group-not-utf8.html", &t, error, sizeof(error)) == -EBADMSG);
        CHECK(t.n == 0);
        CHECK(strstr(error, "/nat_reg.html: row 1: the group name is not valid UTF-8"));
        table_done(&t);

        /* a LAN range of another width than the WAN one, which no config
         * can say */
        CHECK(nosave("corpus-nosave/regress-lan-ports-width.html", &t, error, sizeof(error)) == -EBADMSG);
        CHECK(strstr(error, "row 3 unreadable") && strstr(error, "lan ports '50000-50020'"));
        table_done(&t);

        /* a span whose row number is not one was dropped, and its row then
         * looked like a forward to add again (or lost its group) */
        CHECK(nosave("corpus-nosave/regress-span-id-not-a-number.html", &t, error, sizeof(error)) == -EBADMSG);
        CHECKF(strstr(error, "/nat_reg.html: cannot read the table: <span id=\"id_wan2x\">: what follows the prefix is not a row number"),
               "%s", error);
        table_done(&t);
        CHECK(nosave("corpus-nosave/regress-span-id-out-of-range.html", &t, error, sizeof(error)) == -EBADMSG);
        CHECKF(strstr(error, "<span id=\"id_lanip99999999999\">: what follows the prefix is not a row number (0 to 2147483647)"),
               "%s", error);
        table_done(&t);
}

static void test_arcadyan(void) {
        const Forward *f;
        char error[512];
        Table t;

        CHECK(arcadyan("corpus-arcadyan-js/fake-forwarding.js", &t, error, sizeof(error)) == 0);
        CHECK(t.n == 10); /* the "both" entry is a tcp and a udp forward */
        f = find(&t, PROTO_TCP, 5000);
        CHECK(f && f->ports.last == 5009 && f->lan_ports.first == 6000 && f->lan_ports.last == 6000);
        CHECK(!find(&t, PROTO_TCP_UDP, 8443));
        f = find(&t, PROTO_TCP, 8443);
        CHECK(f && f->lan_ports.first == 443 && f->lan_ports.last == 443);
        f = find(&t, PROTO_UDP, 8443);
        CHECK(f && f->lan_ports.first == 443 && f->lan_ports.last == 443 && f->router_id == find(&t, PROTO_TCP, 8443)->router_id);
        table_done(&t);

        /* "VPN用" percent-encoded in Shift_JIS: not a UTF-8 group name */
        CHECK(arcadyan("corpus-arcadyan-js/regress-group-shift-jis.js", &t, error, sizeof(error)) == -EBADMSG);
        CHECK(strstr(error, "cgi_forwarding.js: entry 0: the group name is not valid UTF-8"));

        /* found by fuzz-arcadyan-js: public 60000-60000 (its end below its
         * start), private 50000-50010 */
        CHECK(arcadyan("corpus-arcadyan-js/regress-lan-ports-width.js", &t, error, sizeof(error)) == -EBADMSG);
        CHECK(strstr(error, "unreadable") && strstr(error, "-> '50000'-'50010'"));
}

int main(int argc, char *argv[]) {
        if (argc != 2) {
                fprintf(stderr, "usage: %s TEST-FUZZ-DIR\n", argv[0]);
                return EXIT_FAILURE;
        }
        dir = argv[1];
        test_nosave();
        test_arcadyan();
        if (failures)
                fprintf(stderr, "%d check(s) failed\n", failures);
        return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
