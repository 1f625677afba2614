/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The nosave AirStation driver: parsing of nat_reg.html fixtures (served by
 * test/http-test-server.py), the exact requests (from the fake's request log)
 * against the evidence, and end to end against test/fake-airstation.
 *
 * argv: http-test-server.py, test/nosave (fixtures), test/fake-airstation */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "http.h"
#include "router.h"

#include "spawn-server.h"

static const char PASSWORD[] = "s3cr3t-Pw";

static Config config_for(const char *url) {
        return (Config){ .url = (char *) url, .username = (char *) "admin", .timeout_usec = 5 * USEC_PER_SEC,
                         .backend = registry_find("airstation", "auto") };
}

static void check_no_secret(const Router *r) {
        CHECK(!strstr(router_error(r), PASSWORD));
}

/* ---- fixtures ---- */

static int read_fixture(const char *script, const char *dir, Table *t, Router **ret_r, TestServer *s) {
        const char *sargv[] = { script, "@PORTFILE@", dir, NULL };
        static Config c;
        Router *r;
        int k;

        if (test_server_start(s, sargv) < 0)
                return -EIO;
        c = config_for(test_server_url(s));
        c.backend = registry_find("airstation", "nosave");
        k = router_new(&c, PASSWORD, &r);
        if (k < 0)
                return k;
        r->logged_in = true; /* the static server has no login */
        table_init(t);
        k = router_read(r, t);
        *ret_r = r;
        return k;
}

static void test_fixtures(const char *script, const char *fixtures) {
        char dir[512];
        TestServer s = {};
        Router *r = NULL;
        Table t;
        char b1[16], b2[12];

        /* groups: id_name carried forward, numbers kept as row ids */
        snprintf(dir, sizeof(dir), "%s/groups", fixtures);
        CHECK(read_fixture(script, dir, &t, &r, &s) == 0);
        CHECK(t.n == 3);
        if (t.n == 3) {
                CHECK(streq_ptr(t.items[0].group, "VPN用") && t.items[0].proto == PROTO_TCP &&
                      t.items[0].wan == WAN_ROUTER && t.items[0].ports.first == 1723 &&
                      t.items[0].lan_ports.first == 1723 && t.items[0].router_id == 1 &&
                      streq(ipv4_to_string(t.items[0].lan_ip, b1), "192.168.11.3"));
                CHECK(streq_ptr(t.items[1].group, "VPN用") && t.items[1].proto == PROTO_GRE &&
                      !port_range_is_set(t.items[1].ports) && t.items[1].router_id == 2);
                CHECK(streq_ptr(t.items[2].group, "web") && t.items[2].proto == PROTO_UDP &&
                      streq(ipv4_to_string(t.items[2].wan, b1), "203.0.113.7") &&
                      streq(port_range_to_string(t.items[2].ports, b2), "60000-60010") &&
                      t.items[2].lan_ports.first == 60000 && t.items[2].lan_ports.last == 60010 &&
                      t.items[2].router_id == 5);
        }
        table_done(&t);
        router_free(r);
        test_server_stop(&s);

        /* truncated page: an error, never a shorter table */
        snprintf(dir, sizeof(dir), "%s/truncated", fixtures);
        CHECK(read_fixture(script, dir, &t, &r, &s) == -EBADMSG);
        CHECK(strstr(router_error(r), "truncated"));
        table_done(&t);
        router_free(r);
        test_server_stop(&s);

        /* the login page where the table should be */
        snprintf(dir, sizeof(dir), "%s/login", fixtures);
        CHECK(read_fixture(script, dir, &t, &r, &s) == -EBADMSG);
        CHECK(strstr(router_error(r), "login page"));
        table_done(&t);
        router_free(r);
        test_server_stop(&s);
}

/* ---- against the fake ---- */

static char *fake_get(const char *url, const char *path) {
        HttpClient *h;
        char *body = NULL;

        if (http_client_new(url, 5 * USEC_PER_SEC, &h) < 0)
                return NULL;
        (void) http_get(h, path, NULL, &body, NULL);
        http_client_free(h);
        return body;
}

/* The fields of the last POST in the fake's request log must include each
 * "name": "value" of expect (the evidence: AirStation-cli AirStationAPI.py
 * login_post / add / delete). */
static void check_last_post(const char *url, const char *path, const char *const *expect) {
        char *log = fake_get(url, "/_fake/requests"), *p = NULL, *q;
        char want[160];

        CHECK(log);
        if (!log)
                return;
        for (q = log; (q = strstr(q, "\"method\": \"POST\"")); q++)
                p = q;
        CHECK(p);
        if (p) {
                snprintf(want, sizeof(want), "\"path\": \"%s\"", path);
                CHECK(strstr(p, want));
                for (; *expect; expect += 2) {
                        snprintf(want, sizeof(want), "\"%s\": \"%s\"", expect[0], expect[1]);
                        if (!strstr(p, want)) {
                                fprintf(stderr, "request to %s lacks %s\n", path, want);
                                failures++;
                        }
                }
        }
        free(log);
}

static const Forward *find(const Table *t, int proto, unsigned port) {
        for (size_t i = 0; i < t->n; i++)
                if (t->items[i].proto == proto && t->items[i].ports.first == port)
                        return &t->items[i];
        return NULL;
}

static void test_fake(const char *fake, const char *charset) {
        TestServer s = {};
        char pwfile[256], tablefile[256];
        Router *r = NULL;
        Table t;
        Config c;
        FILE *f;

        /* the fake's directory for files */
        char tmp[] = "/tmp/portkeep-nosave-XXXXXX";
        CHECK(mkdtemp(tmp));
        snprintf(pwfile, sizeof(pwfile), "%s/pw", tmp);
        snprintf(tablefile, sizeof(tablefile), "%s/table.json", tmp);
        f = fopen(pwfile, "we");
        fprintf(f, "%s\n", PASSWORD);
        fclose(f);
        f = fopen(tablefile, "we");
        fputs("[{\"group\": \"ＶＰＮ用\", \"proto\": \"tcp\", \"ports\": \"80\", \"lan_ip\": \"192.168.11.20\"},"
              " {\"group\": \"ＶＰＮ用\", \"proto\": \"udp\", \"ports\": \"500\", \"lan_ip\": \"192.168.11.20\"}]",
              f);
        fclose(f);

        const char *sargv[] = { fake, "--port-file", "@PORTFILE@", "--password-file", pwfile, "--table",
                                tablefile, "--charset", charset, NULL };
        CHECK(test_server_start(&s, sargv) == 0);
        c = config_for(test_server_url(&s));

        /* wrong password */
        CHECK(router_new(&c, "wrong-pw", &r) == 0);
        CHECK(router_login(r) == -EACCES);
        CHECK(strstr(router_error(r), "パスワードが間違っています"));
        CHECK(!strstr(router_error(r), "wrong-pw"));
        r = router_free(r);

        CHECK(router_new(&c, PASSWORD, &r) == 0);
        CHECK(streq(router_family(r), "auto"));
        CHECK(router_login(r) == 0);
        CHECK(streq(router_family(r), "nosave"));
        {
                const char *const e[] = { "nosave_Username", "admin", "MobileDevice", "0", "nosave_Password",
                                          "<redacted>", NULL };
                check_last_post(c.url, "/login.html", e);
        }

        /* read: a Japanese group on two rows (carried forward) */
        CHECK(router_read(r, &t) == 0);
        CHECK(t.n == 2 && streq_ptr(t.items[0].group, "ＶＰＮ用") && streq_ptr(t.items[1].group, "ＶＰＮ用"));
        table_done(&t);

        /* add tcp 1723 + gre to the existing group */
        Forward tcp = { .proto = PROTO_TCP, .ports = { 1723, 1723 }, .lan_ports = { 1723, 1723 },
                        .group = (char *) "ＶＰＮ用", .lan_ip = 0xc0a80b03 };
        Forward gre = { .proto = PROTO_GRE, .group = (char *) "ＶＰＮ用", .lan_ip = 0xc0a80b03 };
        CHECK(router_add(r, &tcp) == 0);
        {
                const char *const e[] = { "nosave_grpList", "-1", "nosave_grpName", "ＶＰＮ用", "nosave_wan", "wan",
                                          "nosave_proto", "tcp/udp", "nosave_PortType", "tcp", "nosave_wport",
                                          "1723", "nosave_lanip", "192.168.11.3", "nosave_add", "1",
                                          "nosave_add_tmp", "0", "nosave_erritem", "", "nosave_errcontent", "",
                                          NULL };
                check_last_post(c.url, "/nat_reg.html", e);
        }
        CHECK(router_add(r, &gre) == 0);
        {
                const char *const e[] = { "nosave_proto", "one", "nosave_ProtNum", "47", "nosave_add", "1", NULL };
                check_last_post(c.url, "/nat_reg.html", e);
        }
        /* a new group goes in nosave_grpList (the evidence's way) */
        Forward esp = { .proto = PROTO_ESP, .group = (char *) "L2TP", .lan_ip = 0xc0a80b03 };
        CHECK(router_add(r, &esp) == 0);
        {
                const char *const e[] = { "nosave_grpList", "L2TP", "nosave_ProtNum", "50", NULL };
                check_last_post(c.url, "/nat_reg.html", e);
        }

        CHECK(router_read(r, &t) == 0);
        CHECK(t.n == 5);
        CHECK(find(&t, PROTO_TCP, 1723) && streq_ptr(find(&t, PROTO_TCP, 1723)->group, "ＶＰＮ用"));
        CHECK(find(&t, PROTO_GRE, 0) && find(&t, PROTO_ESP, 0) && streq_ptr(find(&t, PROTO_ESP, 0)->group, "L2TP"));
        table_done(&t);

        /* a duplicate: refused in the router's words */
        CHECK(router_add(r, &tcp) == -EREMOTEIO);
        CHECK(strstr(router_error(r), "重複"));

        /* delete by values, not by a remembered id */
        CHECK(router_delete(r, &gre) == 0);
        {
                const char *const e[] = { "nosave_grpList", "-1", "nosave_grpName", "", "nosave_wan", "wan",
                                          "nosave_proto", "tcp/udp", "nosave_PortType", "tcp", "nosave_lanip",
                                          "192.168.11.3", "nosave_add_tmp", "0", NULL };
                check_last_post(c.url, "/nat_reg.html", e);
        }
        CHECK(router_delete(r, &gre) == -ENOENT);
        CHECK(router_read(r, &t) == 0);
        CHECK(t.n == 4 && !find(&t, PROTO_GRE, 0) && find(&t, PROTO_TCP, 1723));
        table_done(&t);

        /* expired session: logged in again once, transparently */
        {
                HttpClient *h;
                char *b = NULL;
                const HttpField none[] = { { "x", "" } };

                CHECK(http_client_new(c.url, USEC_PER_SEC, &h) == 0);
                (void) http_post_form(h, "/_fake/logout", NULL, none, 0, &b, NULL);
                free(b);
                http_client_free(h);
        }
        CHECK(router_read(r, &t) == 0 && t.n == 4);
        table_done(&t);

        CHECK(router_logout(r) == 0);
        check_no_secret(r);
        router_free(r);
        test_server_stop(&s);
        unlink(pwfile);
        unlink(tablefile);
        rmdir(tmp);
}

int main(int argc, char **argv) {
        if (argc < 4) {
                fprintf(stderr, "usage: test-nosave HTTP-TEST-SERVER FIXTURES FAKE\n");
                return 1;
        }
        test_fixtures(argv[1], argv[2]);
        test_fake(argv[3], "utf-8");
        test_fake(argv[3], "shift_jis");

        if (failures)
                fprintf(stderr, "%d check(s) failed\n", failures);
        return failures ? 1 : 0;
}
