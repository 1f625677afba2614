/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The arcadyan AirStation driver, request by request: against
 * test/arcadyan/recorder.py, which serves the fixture pages and logs every
 * request; the log must equal test/arcadyan/expected-session.txt, written
 * from the evidence (see test/arcadyan/README.md), not from the driver.
 *
 * argv: test/arcadyan (recorder.py, pages/, expected-session.txt) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airstation.h"
#include "macro.h"
#include "router.h"

#include "spawn-server.h"

static const char PASSWORD[] = "s3cr3t-Pw";

static char *read_file(const char *path) {
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t size = 0;

        if (!f)
                return strdup("");
        if (getdelim(&buf, &size, '\0', f) < 0) {
                free(buf);
                buf = strdup("");
        }
        fclose(f);
        return buf;
}

/* Compares line by line and says where the first difference is. */
static void check_log(const char *log_path, const char *expected_path) {
        char *got = read_file(log_path), *want = read_file(expected_path);
        char *g = got, *w = want;
        unsigned line = 1;

        while (*g || *w) {
                size_t gl = strcspn(g, "\n"), wl = strcspn(w, "\n");

                if (gl != wl || strncmp(g, w, gl) != 0) {
                        fprintf(stderr, "%s:%u: request differs from the evidence\n  want: %.*s\n  got:  %.*s\n",
                                expected_path, line, (int) wl, w, (int) gl, g);
                        failures++;
                        break;
                }
                g += gl + (g[gl] == '\n');
                w += wl + (w[wl] == '\n');
                line++;
        }
        free(got);
        free(want);
}

static int start(TestServer *s, const char *dir, char *log, size_t log_size) {
        static char script[512], pages[512];

        snprintf(script, sizeof(script), "%s/recorder.py", dir);
        snprintf(pages, sizeof(pages), "%s/pages", dir);
        snprintf(log, log_size, "/tmp/portkeep-arcadyan-log-%ld", (long) getpid());
        unlink(log);
        const char *argv[] = { script, "@PORTFILE@", pages, log, NULL };
        return test_server_start(s, argv);
}

static void test_detection(const char *dir) {
        char path[512], seen[200];
        char *page;

        snprintf(path, sizeof(path), "%s/pages/login.html", dir);
        page = read_file(path);
        CHECK(airstation_detect_family(page, strlen(page), seen, sizeof(seen)) == registry_find("airstation", "arcadyan"));
        free(page);
        snprintf(path, sizeof(path), "%s/pages/logout.cgi", dir);
        page = read_file(path);
        CHECK(!airstation_detect_family(page, strlen(page), seen, sizeof(seen)));
        CHECK(strstr(seen, "LOGIN"));
        free(page);
}

static void test_session(const char *dir) {
        char log[128], expected[512], b[16];
        TestServer s = {};
        Router *r = NULL;
        Config c;
        Table t;

        CHECK(start(&s, dir, log, sizeof(log)) == 0);
        c = (Config){ .url = test_server_url(&s), .username = (char *) "admin", .timeout_usec = 5 * USEC_PER_SEC,
                      .backend = registry_find("airstation", "arcadyan") };
        CHECK(router_new(&c, PASSWORD, &r) == 0);
        CHECK(streq(router_family(r), "arcadyan"));
        CHECK(router_splits_tcp_udp(r)); /* "both" would reach iptables -p */

        CHECK(router_login(r) == 0);

        /* only the enabled entry is a forward; values percent-decoded;
         * PrivatePort 0 = same as public */
        table_init(&t);
        CHECK(router_read(r, &t) == 0);
        CHECK(t.n == 1);
        if (t.n == 1) {
                const Forward *f = &t.items[0];

                CHECK(streq_ptr(f->group, "VPN用"));
                CHECK(f->proto == PROTO_TCP && f->wan == WAN_ROUTER);
                CHECK(f->ports.first == 5001 && f->ports.last == 5002);
                CHECK(f->lan_ports.first == 5001 && f->lan_ports.last == 5002);
                CHECK(streq(ipv4_to_string(f->lan_ip, b), "192.168.11.10"));
                CHECK(f->router_id == 0);
        }

        /* add: the whole list again, the new entry appended */
        Forward gre = { .proto = PROTO_GRE, .group = (char *) "PPTP", .lan_ip = 0xc0a80b03 };
        CHECK(router_add(r, &gre) == 0);

        /* delete: located by values, the rest re-indexed */
        if (t.n == 1)
                CHECK(router_delete(r, &t.items[0]) == 0);
        table_done(&t);

        /* a forward that cannot be stored: no request */
        Forward longname = { .proto = PROTO_UDP, .ports = { 1, 1 }, .lan_ports = { 1, 1 },
                             .group = (char *) "sixteen-bytes-xx", .lan_ip = 1 };
        CHECK(router_add(r, &longname) == -EPROTONOSUPPORT);
        CHECK(strstr(router_error(r), "at most 15"));

        CHECK(router_logout(r) == 0);
        CHECK(!strstr(router_error(r), PASSWORD));
        router_free(r);
        test_server_stop(&s);

        snprintf(expected, sizeof(expected), "%s/expected-session.txt", dir);
        check_log(log, expected);
        unlink(log);
}

static void test_bad_pages(const char *dir) {
        char log[128];
        TestServer s = {};
        Router *r = NULL;
        Config c;
        Table t;

        CHECK(start(&s, dir, log, sizeof(log)) == 0);
        c = (Config){ .url = test_server_url(&s), .username = (char *) "admin", .timeout_usec = 5 * USEC_PER_SEC,
                      .backend = registry_find("airstation", "arcadyan"),
                      .airstation_page = (char *) "truncated" };

        /* a js cut in the middle: an error, never a shorter table */
        CHECK(router_new(&c, PASSWORD, &r) == 0);
        CHECK(router_login(r) == 0);
        table_init(&t);
        CHECK(router_read(r, &t) == -EBADMSG);
        CHECK(strstr(router_error(r), "truncated"));
        CHECK(t.n == 0);
        router_free(r);

        /* a page this router does not have: says which setting to fix */
        c.airstation_page = (char *) "nosuchpage.html";
        CHECK(router_new(&c, PASSWORD, &r) == 0);
        CHECK(router_login(r) == 0);
        CHECK(router_read(r, &t) < 0);
        CHECK(strstr(router_error(r), "/nosuchpage.html") && strstr(router_error(r), "router.airstation.page"));
        router_free(r);
        table_done(&t);
        test_server_stop(&s);
        unlink(log);
}

int main(int argc, char **argv) {
        if (argc < 2) {
                fprintf(stderr, "usage: test-arcadyan FIXTURES\n");
                return 1;
        }
        test_detection(argv[1]);
        test_session(argv[1]);
        test_bad_pages(argv[1]);
        if (failures)
                fprintf(stderr, "%d check(s) failed\n", failures);
        return failures ? 1 : 0;
}
