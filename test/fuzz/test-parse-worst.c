/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Each parser of what a router (or a file) sends, fed its worst case at its
 * size cap: what it answers, and how long it took (printed, not asserted:
 * a parser that is not linear shows here as minutes, and meson's timeout
 * for this test fails it).
 *
 * The caps: a router's reply 4 MiB (HTTP_MAX_SIZE_DEFAULT), a config file
 * 1 MiB (CONFIG_SIZE_MAX). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../test.h"
#include "airstation-parse.h"
#include "config-parser.h"
#include "config.h"
#include "driver.h"
#include "html.h"
#include "http.h"
#include "macro.h"
#include "time-util.h"

#define CAP HTTP_MAX_SIZE_DEFAULT

static uint64_t started;

static void start(void) {
        started = now_usec(CLOCK_MONOTONIC);
}

static void took(const char *what, size_t size) {
        uint64_t us = now_usec(CLOCK_MONOTONIC) - started;

        printf("%-58s %8zu KiB %9.1f ms\n", what, size / 1024, us / 1000.0);
        fflush(stdout);
}

/* A body of pattern repeated up to size bytes (whole repeats), then tail. */
static char *repeat(const char *head, const char *pattern, const char *tail, size_t size) {
        size_t hl = strlen(head), pl = strlen(pattern), tl = strlen(tail), n = 0;
        char *b = malloc(size + 1);

        if (!b)
                abort();
        memcpy(b, head, hl);
        n = hl;
        while (n + pl + tl <= size) {
                memcpy(b + n, pattern, pl);
                n += pl;
        }
        memcpy(b + n, tail, tl);
        b[n + tl] = '\0';
        return b;
}

static Router *router(const char *family) {
        static Config config = { .url = (char *) "http://127.0.0.1:9", .timeout_usec = 1000000 };
        Router *r;

        if (router_new_with_backend(registry_find("airstation", family), &config, "", &r) < 0)
                abort();
        return r;
}

static int arcadyan_js(const char *what, const char *body, Table *t, char *error, size_t size) {
        Router *r = router("arcadyan");
        int k;

        start();
        k = arcadyan_parse_cfg_js(r, body, t);
        took(what, strlen(body));
        snprintf(error, size, "%s", router_error(r));
        router_free(r);
        return k;
}

static int nosave_page(const char *what, const char *page, Table *t, char *error, size_t size) {
        _cleanup_(html_freep) htmlDocPtr doc = NULL;
        Router *r = router("nosave");
        int k;

        table_init(t);
        start();
        k = html_parse(page, strlen(page), &doc);
        if (k >= 0)
                k = nosave_parse_table_page(r, page, doc, t);
        took(what, strlen(page));
        snprintf(error, size, "%s", router_error(r));
        router_free(r);
        return k;
}

static void test_arcadyan(void) {
        char error[512], *b;
        Table t = {};

        /* 2 million lines, none of them an addCfg() */
        b = repeat("", "x\n", "", CAP);
        CHECK(arcadyan_js("arcadyan js: short lines, no addCfg", b, &t, error, sizeof error) == -EBADMSG);
        printf("  -> %s\n", error);
        free(b);

        /* one line of 4 MiB with no end */
        b = repeat("", "addCfg", "", CAP);
        CHECK(arcadyan_js("arcadyan js: one line of 'addCfg' without '('", b, &t, error, sizeof error) == -EBADMSG);
        printf("  -> %s\n", error);
        free(b);

        /* as many settings as fit, more than any table has */
        b = repeat("", "addCfg(\"x\",\"ARC_NAT_PORTMAP_0_Enable\",\"1\");\n", "", CAP);
        CHECK(arcadyan_js("arcadyan js: ARC_NAT_PORTMAP settings", b, &t, error, sizeof error) == -E2BIG);
        CHECK(strstr(error, "more than 4096 ARC_NAT_PORTMAP_ settings"));
        printf("  -> %s\n", error);
        free(b);
}

/* A table page of spans up to size bytes: one row each (id_wan1,
 * id_wan2, ...), side by side or each inside the one before. */
static char *spans(size_t size, bool nested) {
        const char *head = "<html><body><form><input name=\"nosave_session_num\" value=\"1\">";
        const char *tail = "</form></body></html>";
        char *b = malloc(size + 1);
        size_t n = strlen(head);

        if (!b)
                abort();
        memcpy(b, head, n);
        for (unsigned i = 1; n + 64 + strlen(tail) < size; i++)
                n += (size_t) sprintf(b + n, nested ? "<span id=\"id_wan%u\">x" : "<span id=\"id_wan%u\">x</span>", i);
        strcpy(b + n, tail);
        return b;
}

static void test_nosave(void) {
        char error[512], *b;
        Table t = {};

        b = spans(CAP, true);
        /* (libxml2 keeps 256 levels: row 1 holds the text of the rest) */
        CHECK(nosave_page("nosave: spans inside spans, a row each", b, &t, error, sizeof error) == -EBADMSG);
        CHECK(strstr(error, "row 1 unreadable (wan 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...', lan '?'"));
        printf("  -> %s\n", error);
        table_done(&t);
        free(b);

        b = spans(CAP, false);
        CHECK(nosave_page("nosave: spans side by side, a row each", b, &t, error, sizeof error) == -EBADMSG);
        CHECK(strstr(error, "more than 4096 rows"));
        printf("  -> %s\n", error);
        table_done(&t);
        free(b);

        /* the same span over and over */
        b = repeat("<html><body><form><input name=\"nosave_session_num\" value=\"1\">",
                   "<span id=\"id_wan1\">x</span>", "</form></body></html>", CAP);
        CHECK(nosave_page("nosave: one span repeated", b, &t, error, sizeof error) == -EBADMSG);
        CHECK(strstr(error, "id_wan1"));
        printf("  -> %s\n", error);
        table_done(&t);
        free(b);
}

static void test_config(void) {
        _cleanup_(config_errors_done) ConfigErrors errors = {};
        _cleanup_free_ char *b = NULL;
        size_t size = 0;
        Config *c = NULL;
        FILE *f = open_memstream(&b, &size);

        /* as many forwards as fit in the file, each of its own port */
        CHECK(f);
        fputs("version: 1\nrouter:\n  driver: airstation\n  url: http://127.0.0.1:9\n  password_file: /dev/null\n"
              "defaults:\n  lan_ip: 192.168.11.3\ngroups:\n  - name: many\n    forwards:\n", f);
        for (unsigned i = 0; ftell(f) < CONFIG_SIZE_MAX - 64; i++)
                fprintf(f, "      - { proto: tcp, port: %u }\n", 1 + i);
        CHECK(fclose(f) == 0);
        start();
        (void) config_load_buffer("worst.yaml", b, size, &c, &errors);
        took("config: forwards up to the file's cap", size);
        CHECK(c || errors.n > 0);
        if (errors.n)
                printf("  -> worst.yaml:%u: %s (%zu errors)\n", errors.items[0].line, errors.items[0].message, errors.n);
        else
                printf("  -> %zu forwards\n", c->desired.n);
        config_free(c);
}

int main(void) {
        test_arcadyan();
        test_nosave();
        test_config();
        if (failures)
                fprintf(stderr, "%d check(s) failed\n", failures);
        return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
