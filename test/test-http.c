/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/http.c against test/http-test-server.py on 127.0.0.1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "html.h"
#include "http.h"

#include "spawn-server.h"

static char *title_of(const char *page, size_t size) {
        htmlDocPtr doc;
        char *t = NULL;

        if (html_parse(page, size, &doc) < 0)
                return NULL;
        (void) html_title(doc, &t);
        html_free(doc);
        return t;
}

static int get_title(HttpClient *h, const char *path, char **ret) {
        char *body = NULL;
        size_t size;
        int r = http_get(h, path, "/index.html", &body, &size);

        if (r < 0)
                return r;
        *ret = title_of(body, size);
        free(body);
        return 0;
}

static int progress_stop(void *userdata) {
        return 1;
}

int main(int argc, char **argv) {
        const char *script = argc > 1 ? argv[1] : "test/http-test-server.py";
        const char *sargv[] = { script, "@PORTFILE@", NULL };
        HttpClient *h = NULL;
        TestServer s = {};
        char *t = NULL, *body = NULL;
        struct timespec a, b;
        int r;

        if (test_server_start(&s, sargv) < 0) {
                fprintf(stderr, "cannot start %s\n", script);
                return 1;
        }
        CHECK(http_client_new(test_server_url(&s), 1000000, &h) == 0);

        /* status always checked */
        CHECK(get_title(h, "/ok", &t) == 0 && t && strcmp(t, "OK あ") == 0);
        free(t), t = NULL;
        CHECK(get_title(h, "/404", &t) == -EBADMSG && strstr(http_error(h), "404"));
        CHECK(get_title(h, "/500", &t) == -EBADMSG && strstr(http_error(h), "500"));

        /* redirects: a GET is followed to the router itself only; a POST
         * never (curl would send the form again on 307), and says where */
        CHECK(get_title(h, "/redirect-same", &t) == 0 && t && strcmp(t, "OK あ") == 0);
        free(t), t = NULL;
        CHECK(get_title(h, "/redirect-absolute", &t) == 0 && t && strcmp(t, "OK あ") == 0);
        free(t), t = NULL;
        CHECK(get_title(h, "/redirect-other", &t) == -EBADMSG);
        CHECK(strstr(http_error(h), "redirected to 'http://127.0.0.1:1/steal', which is not the router; not followed"));
        CHECK(get_title(h, "/redirect-loop", &t) == -EBADMSG && strstr(http_error(h), "more than 5 redirects"));
        {
                const HttpField f[] = { { "nosave_Password", "s3cr3t" } };

                r = http_post_form(h, "/redirect-post", NULL, f, 1, &body, NULL);
                CHECK(r == 0 && http_last_status(h) == 307);
                CHECK(http_last_location(h) && streq(http_last_location(h), "http://127.0.0.1:1/steal"));
                free(body), body = NULL;
        }

        /* Referer is sent as a URL on the same base */
        CHECK(get_title(h, "/referer", &t) == 0 && t && strstr(t, "/index.html") &&
              strncmp(t, "http://127.0.0.1:", 17) == 0);
        free(t), t = NULL;

        /* size cap */
        r = http_get(h, "/big", NULL, &body, NULL);
        CHECK(r == -EFBIG);
        http_client_set_max_size(h, 8 * 1024 * 1024);
        r = http_get(h, "/big", NULL, &body, NULL);
        CHECK(r == 0 && body && strlen(body) == 5 * 1024 * 1024);
        free(body), body = NULL;

        /* timeout (1 s against a 3 s reply) */
        clock_gettime(CLOCK_MONOTONIC, &a);
        CHECK(get_title(h, "/slow", &t) == -ETIMEDOUT);
        clock_gettime(CLOCK_MONOTONIC, &b);
        CHECK(b.tv_sec - a.tv_sec < 3);

        /* HTTP/0.9 */
        CHECK(get_title(h, "/http09", &t) == 0 && t && strcmp(t, "zero nine") == 0);
        free(t), t = NULL;

        /* Shift_JIS in, by header and by <meta>; EUC-JP */
        const char *paths[] = { "/sjis-header", "/sjis-meta", "/eucjp" };
        for (size_t i = 0; i < 3; i++) {
                htmlDocPtr doc = NULL;
                size_t size;

                CHECK(http_get(h, paths[i], NULL, &body, &size) == 0);
                CHECK(body && html_parse(body, size, &doc) == 0);
                if (doc) {
                        CHECK(html_title(doc, &t) == 0 && strcmp(t, "ポート変換") == 0);
                        free(t), t = NULL;
                        CHECK(html_text_by_id(doc, "g", &t) == 0 &&
                              strcmp(t, i < 2 ? "グループ名～①" : "グループ名") == 0);
                        free(t), t = NULL;
                        html_free(doc);
                }
                free(body), body = NULL;
        }

        /* ... and out: after a Shift_JIS page, form values go out in
         * Shift_JIS (CP932), percent-encoded; the server echoes the body */
        CHECK(http_get(h, "/sjis-header", NULL, &body, NULL) == 0);
        free(body), body = NULL;
        CHECK(strcasecmp(http_page_charset(h), "Shift_JIS") == 0);
        {
                const HttpField f[] = { { "nosave_grpName", "ポート" }, { "x", "a b&c" } };
                size_t size;

                CHECK(http_post_form(h, "/echo", "/sjis-header", f, 2, &body, &size) == 0);
                t = body ? title_of(body, size) : NULL;
                /* ポート in CP932: 83 7C 81 5B 83 67 */
                CHECK(t && strcmp(t, "nosave_grpName=%83%7C%81%5B%83g&x=a%20b%26c") == 0);
                if (t)
                        fprintf(stderr, "echoed: %s\n", t);
                free(t), t = NULL;
                free(body), body = NULL;
        }
        /* what no admin page holds is said so, not as truncation or memory */
        CHECK(get_title(h, "/nul", &t) == -EBADMSG);
        CHECKF(strstr(http_error(h), "/nul: the reply holds a NUL character (at byte 14 of 31): not a text page"),
               "%s", http_error(h));
        CHECK(get_title(h, "/big-header", &t) == -EBADMSG);
        CHECKF(strstr(http_error(h), "/big-header: the reply could not be read: curl reports running out of memory, as it does for a header line over 100 KiB"), "%s", http_error(h));

        /* after a UTF-8 page, UTF-8 */
        CHECK(get_title(h, "/ok", &t) == 0);
        free(t), t = NULL;
        {
                const HttpField f[] = { { "g", "ポ" } };
                size_t size;

                CHECK(http_post_form(h, "/echo", NULL, f, 1, &body, &size) == 0);
                t = body ? title_of(body, size) : NULL;
                CHECK(t && strcmp(t, "g=%E3%83%9D") == 0);
                free(t), t = NULL;
                free(body), body = NULL;
        }

        /* the progress callback aborts */
        http_client_set_progress(h, progress_stop, NULL);
        CHECK(get_title(h, "/ok", &t) == -ECANCELED);
        http_client_set_progress(h, NULL, NULL);
        http_client_free(h);

        /* nothing listening */
        test_server_stop(&s);
        CHECK(http_client_new(test_server_url(&s), 1000000, &h) == 0);
        CHECK(get_title(h, "/ok", &t) == -ECONNREFUSED);
        http_client_free(h);
        CHECK(http_client_new("ftp://127.0.0.1", 1000000, &h) == -EINVAL);

        if (failures)
                fprintf(stderr, "%d check(s) failed\n", failures);
        return failures ? 1 : 0;
}
