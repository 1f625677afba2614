/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* The HTTP layer of the router drivers: one libcurl easy handle per router
 * session, reused on a kept-alive connection, with in-memory cookies.
 *
 * Pages come back converted to UTF-8 (from the charset of the Content-Type
 * header, else of the HTML <meta>); form values go out converted to the charset
 * of the last page read, and percent-encoded.
 *
 * Errors (negative errno; http_error() says what happened in one line that
 * never holds a form value, so never a password):
 *   -ECONNREFUSED, -EHOSTUNREACH, -ETIMEDOUT  router unreachable or too slow
 *   -ECANCELED     the progress callback asked to stop
 *   -EFBIG         response larger than the size cap
 *   -EACCES        HTTP 401/403
 *   -EBADMSG       any other non-2xx status, a truncated reply, or a page in a
 *                  charset that does not convert
 *   -EINVAL        bad URL, or a form value that the page's charset cannot hold */

#define HTTP_MAX_SIZE_DEFAULT ((size_t) 4 * 1024 * 1024)

typedef struct HttpClient HttpClient;

typedef int (*HttpProgress)(void *userdata);

typedef struct HttpField {
        const char *name;  /* ASCII */
        const char *value; /* UTF-8 */
} HttpField;

/* base_url: "http://host[:port]" (a trailing slash is ignored); page paths
 * are appended to it. timeout_usec applies to connect and to each request. */
int http_client_new(const char *base_url, uint64_t timeout_usec, HttpClient **ret);
HttpClient *http_client_free(HttpClient *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(HttpClient *, http_client_free);
void http_client_set_progress(HttpClient *h, HttpProgress cb, void *userdata);
void http_client_set_max_size(HttpClient *h, size_t max_size);

/* GET base_url + path (path starts with "/", may hold a query). referer is a
 * path on the same base (sent as a full URL), or NULL. The page, converted to
 * UTF-8 and NUL-terminated, is returned in *ret_body (and its length in
 * *ret_size, which may be NULL). */
int http_get(HttpClient *h, const char *path, const char *referer, char **ret_body, size_t *ret_size);
/* POST application/x-www-form-urlencoded. A redirect is not followed: a 3xx
 * reply returns 0 with its body; http_last_status() and http_last_location()
 * tell where it pointed. */
int http_post_form(HttpClient *h, const char *path, const char *referer, const HttpField *fields,
                   size_t n_fields, char **ret_body, size_t *ret_size);

/* The charset of the last page read ("UTF-8" when none was declared). */
const char *http_page_charset(const HttpClient *h);
/* The HTTP status of the last reply (0 for HTTP/0.9 or none). */
long http_last_status(const HttpClient *h);
/* The Location of the last reply when a POST was answered 3xx (as curl made
 * it absolute), else NULL. */
const char *http_last_location(const HttpClient *h);
/* One line about the last error. */
const char *http_error(const HttpClient *h);

/* Helpers, exported for the tests. */
/* Converts in (size bytes) from charset from to charset to; the result is
 * NUL-terminated. -EILSEQ when it does not convert, -EINVAL for an unknown
 * charset. */
int http_iconv(const char *from, const char *to, const char *in, size_t size, char **ret, size_t *ret_size);
/* The charset declared in a Content-Type value, or in a <meta> of raw HTML
 * (first 4 KiB), copied into buf; -ENOENT when none is declared. */
int http_charset_from_content_type(const char *content_type, char *buf, size_t size);
int http_charset_from_html(const char *raw, size_t raw_size, char *buf, size_t size);
/* The name to give iconv for a declared charset: Shift_JIS and its aliases
 * become CP932 (what browsers, and so the router's own forms, use). */
const char *http_iconv_name(const char *charset);
/* A page as the client hands it on: its charset from content_type (may be
 * NULL), else from its <meta>, else UTF-8, copied into charset (size bytes);
 * the page converted to UTF-8 in *ret (NUL-terminated). A page declared
 * UTF-8 is passed on as it is, garbage left for the parser. -EINVAL for an
 * unsupported charset, -EILSEQ for a page that is not in the one declared. */
int http_page_to_utf8(const char *content_type, const char *page, size_t page_size, char *charset, size_t size,
                      char **ret, size_t *ret_size);
/* Builds "a=1&b=%E3%81%82" from fields, values converted to charset. */
int http_form_encode(const HttpField *fields, size_t n_fields, const char *charset, char **ret);
