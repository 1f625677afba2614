/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config-build.h"
#include "http.h"
#include "macro.h"

#ifndef MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif
/* How long curl may wait for the network before the progress callback is
 * asked again: a pending SIGTERM aborts a request, and the daemon's watchdog
 * pings, this soon (curl_easy_perform() would wait up to a second). */
#define POLL_TICK_MS 100

struct HttpClient {
        CURL *curl;
        CURLM *multi; /* one per client: it holds the kept-alive connection */
        curl_socket_t fd; /* its socket, or CURL_SOCKET_BAD */
        char *base_url;
        size_t max_size;
        HttpProgress progress;
        void *progress_userdata;

        /* the reply being received */
        char *buf;
        size_t size, allocated;
        bool too_big;
        char content_type[128];

        char charset[32]; /* of the last page */
        long status;
        char *location; /* Location of the last reply, for a POST answered 3xx */
        int redirects;  /* followed so far for this GET */
        char curl_error[CURL_ERROR_SIZE];
        char error[256];
};

static int http_set_error(HttpClient *h, int error, const char *fmt, ...) _printf_(3, 4);
static int http_set_error(HttpClient *h, int error, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(h->error, sizeof(h->error), fmt, ap);
        va_end(ap);
        return error;
}

static void curl_global(void) {
        static bool done = false;

        /* Not thread-safe, nor needs to be: portkeep has one thread. */
        if (!done) {
                curl_global_init(CURL_GLOBAL_DEFAULT);
                done = true;
        }
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userdata) {
        HttpClient *h = userdata;
        size_t n = size * nmemb;

        if (n > h->max_size || h->size > h->max_size - n) {
                h->too_big = true;
                return 0; /* curl fails with CURLE_WRITE_ERROR */
        }
        if (h->size + n + 1 > h->allocated) {
                size_t a = MAX(h->allocated * 2, h->size + n + 1);
                char *p = realloc(h->buf, a);
                if (!p)
                        return 0;
                h->buf = p;
                h->allocated = a;
        }
        memcpy(h->buf + h->size, data, n);
        h->size += n;
        h->buf[h->size] = '\0';
        return n;
}

static size_t header_cb(char *data, size_t size, size_t nmemb, void *userdata) {
        HttpClient *h = userdata;
        size_t n = size * nmemb;
        static const char name[] = "content-type:";

        if (n > strlen(name) && strncasecmp(data, name, strlen(name)) == 0) {
                size_t l = n - strlen(name);
                const char *v = data + strlen(name);

                while (l > 0 && isspace((unsigned char) *v))
                        v++, l--;
                while (l > 0 && isspace((unsigned char) v[l - 1]))
                        l--;
                l = MIN(l, sizeof(h->content_type) - 1);
                memcpy(h->content_type, v, l);
                h->content_type[l] = '\0';
        }
        return n;
}

/* The connection's socket, as curl makes and closes it (one at a time:
 * one handle, one kept-alive connection). */
static int sockopt_cb(void *userdata, curl_socket_t fd, curlsocktype purpose) {
        HttpClient *h = userdata;

        h->fd = fd;
        return CURL_SOCKOPT_OK;
}

static int closesocket_cb(void *userdata, curl_socket_t fd) {
        HttpClient *h = userdata;

        if (h->fd == fd)
                h->fd = CURL_SOCKET_BAD;
        return close(fd);
}

static int xferinfo_cb(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow) {
        HttpClient *h = userdata;

        if (h->progress && h->progress(h->progress_userdata) != 0)
                return 1; /* curl fails with CURLE_ABORTED_BY_CALLBACK */
        return 0;
}

int http_client_new(const char *base_url, uint64_t timeout_usec, HttpClient **ret) {
        _cleanup_(http_client_freep) HttpClient *h = NULL;
        long timeout_ms = (long) MIN(timeout_usec / 1000, (uint64_t) 24 * 3600 * 1000);
        size_t l;

        if (!base_url || (strncasecmp(base_url, "http://", 7) != 0 && strncasecmp(base_url, "https://", 8) != 0))
                return -EINVAL;
        if (timeout_ms <= 0)
                timeout_ms = 1;

        curl_global();
        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->max_size = HTTP_MAX_SIZE_DEFAULT;
        h->fd = CURL_SOCKET_BAD;
        strcpy(h->charset, "UTF-8");
        h->base_url = strdup(base_url);
        if (!h->base_url)
                return -ENOMEM;
        l = strlen(h->base_url);
        while (l > 0 && h->base_url[l - 1] == '/')
                h->base_url[--l] = '\0';

        h->curl = curl_easy_init();
        if (!h->curl)
                return -ENOMEM;
        h->multi = curl_multi_init();
        if (!h->multi)
                return -ENOMEM;

        if (curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->curl_error) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_MAXREDIRS, 5L) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_COOKIEFILE, "") != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK ||
            /* some nosave firmwares answer without a status line */
            curl_easy_setopt(h->curl, CURLOPT_HTTP09_ALLOWED, 1L) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) h->max_size) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, write_cb) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, h) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, header_cb) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, h) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, xferinfo_cb) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, h) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_SOCKOPTFUNCTION, sockopt_cb) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_SOCKOPTDATA, h) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_CLOSESOCKETFUNCTION, closesocket_cb) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_CLOSESOCKETDATA, h) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "portkeep/" PORTKEEP_VERSION) != CURLE_OK)
                return -EINVAL;

        *ret = TAKE_PTR(h);
        return 0;
}

HttpClient *http_client_free(HttpClient *h) {
        if (!h)
                return NULL;
        if (h->multi)
                curl_multi_cleanup(h->multi);
        if (h->curl)
                curl_easy_cleanup(h->curl);
        free(h->base_url);
        free(h->buf);
        free(h->location);
        free(h);
        return NULL;
}

void http_client_set_progress(HttpClient *h, HttpProgress cb, void *userdata) {
        h->progress = cb;
        h->progress_userdata = userdata;
}

void http_client_set_max_size(HttpClient *h, size_t max_size) {
        h->max_size = max_size;
        (void) curl_easy_setopt(h->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) max_size);
}

const char *http_page_charset(const HttpClient *h) {
        return h->charset;
}

const char *http_last_location(const HttpClient *h) {
        return h->location;
}

long http_last_status(const HttpClient *h) {
        return h->status;
}

const char *http_error(const HttpClient *h) {
        return h->error;
}

/* ---- charsets ---- */

static int copy_token(const char *s, size_t max, char *buf, size_t size) {
        size_t l = 0;

        while (l < max && (isalnum((unsigned char) s[l]) || strchr("-_.:", s[l])))
                l++;
        if (l == 0 || l >= size)
                return -ENOENT;
        memcpy(buf, s, l);
        buf[l] = '\0';
        return 0;
}

static const char *find_charset(const char *s, size_t n, size_t *ret_left) {
        static const char key[] = "charset";

        for (size_t i = 0; i + strlen(key) <= n; i++) {
                size_t j;

                if (strncasecmp(s + i, key, strlen(key)) != 0)
                        continue;
                j = i + strlen(key);
                while (j < n && isspace((unsigned char) s[j]))
                        j++;
                if (j >= n || s[j] != '=')
                        continue;
                j++;
                while (j < n && (isspace((unsigned char) s[j]) || s[j] == '"' || s[j] == '\''))
                        j++;
                *ret_left = n - j;
                return s + j;
        }
        return NULL;
}

int http_charset_from_content_type(const char *content_type, char *buf, size_t size) {
        const char *p;
        size_t left;

        if (!content_type)
                return -ENOENT;
        p = find_charset(content_type, strlen(content_type), &left);
        if (!p)
                return -ENOENT;
        return copy_token(p, left, buf, size);
}

int http_charset_from_html(const char *raw, size_t raw_size, char *buf, size_t size) {
        /* Before the page can be parsed its bytes must be decoded, so this one
         * looks at bytes: "charset=" inside the first <meta ...> tags. */
        size_t n = MIN(raw_size, (size_t) 4096);

        for (size_t i = 0; i + 5 < n; i++) {
                const char *end, *p;
                size_t left;

                if (raw[i] != '<' || strncasecmp(raw + i + 1, "meta", 4) != 0)
                        continue;
                end = memchr(raw + i, '>', n - i);
                if (!end)
                        break;
                p = find_charset(raw + i, end - (raw + i), &left);
                if (p)
                        return copy_token(p, left, buf, size);
        }
        return -ENOENT;
}

const char *http_iconv_name(const char *charset) {
        static const char *const sjis[] = { "shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji",
                                            "windows-31j", "cp932", "csshiftjis" };

        for (size_t i = 0; i < ELEMENTSOF(sjis); i++)
                if (strcasecmp(charset, sjis[i]) == 0)
                        return "CP932";
        if (strcasecmp(charset, "x-euc-jp") == 0)
                return "EUC-JP";
        return charset;
}

static bool is_utf8_name(const char *charset) {
        return strcasecmp(charset, "utf-8") == 0 || strcasecmp(charset, "utf8") == 0;
}

int http_iconv(const char *from, const char *to, const char *in, size_t size, char **ret, size_t *ret_size) {
        _cleanup_free_ char *out = NULL;
        iconv_t cd;
        char *src = (char *) in, *dst;
        size_t left = size, allocated = size * 4 + 16, room;
        int r = 0;

        cd = iconv_open(to, from);
        if (cd == (iconv_t) -1)
                return -EINVAL;

        out = malloc(allocated);
        if (!out) {
                iconv_close(cd);
                return -ENOMEM;
        }
        dst = out;
        room = allocated - 1;
        while (left > 0) {
                if (iconv(cd, &src, &left, &dst, &room) != (size_t) -1)
                        continue;
                if (errno != E2BIG) {
                        r = -EILSEQ;
                        break;
                }
                {
                        size_t used = dst - out;
                        char *p = realloc(out, allocated * 2);
                        if (!p) {
                                r = -ENOMEM;
                                break;
                        }
                        out = p;
                        allocated *= 2;
                        dst = out + used;
                        room = allocated - 1 - used;
                }
        }
        if (r == 0 && iconv(cd, NULL, NULL, &dst, &room) == (size_t) -1)
                r = -EILSEQ;
        iconv_close(cd);
        if (r < 0)
                return r;

        *dst = '\0';
        if (ret_size)
                *ret_size = dst - out;
        *ret = TAKE_PTR(out);
        return 0;
}

/* ---- forms ---- */

/* Form values may hold a password: every copy is wiped before it is freed. */
int http_form_encode(const HttpField *fields, size_t n_fields, const char *charset, char **ret) {
        _cleanup_erase_ char *body = NULL;
        size_t len = 0;
        bool convert = charset && !is_utf8_name(charset);

        body = strdup("");
        if (!body)
                return -ENOMEM;

        for (size_t i = 0; i < n_fields; i++) {
                _cleanup_erase_ char *converted = NULL;
                const char *v = fields[i].value ?: "";
                size_t vlen = strlen(v);
                char *escaped, *p;
                size_t add;
                int r;

                if (convert) {
                        r = http_iconv("UTF-8", http_iconv_name(charset), v, vlen, &converted, &vlen);
                        if (r < 0)
                                return r;
                        v = converted;
                }
                escaped = curl_easy_escape(NULL, v, (int) vlen);
                if (!escaped)
                        return -ENOMEM;
                add = strlen(fields[i].name) + 1 + strlen(escaped) + 1;
                /* not realloc(): it would leave the old copy unwiped */
                p = malloc(len + add + 1);
                if (!p) {
                        explicit_bzero(escaped, strlen(escaped));
                        curl_free(escaped);
                        return -ENOMEM;
                }
                memcpy(p, body, len + 1);
                erase_and_free(body);
                body = p;
                len += sprintf(body + len, "%s%s=%s", i > 0 ? "&" : "", fields[i].name, escaped);
                explicit_bzero(escaped, strlen(escaped));
                curl_free(escaped);
        }

        *ret = TAKE_PTR(body);
        return 0;
}

/* ---- requests ---- */

/* Asks the kernel to acknowledge what arrives at once. An httpd that writes
 * a reply's headers and body apart (Python's http.server, many embedded
 * ones) without TCP_NODELAY holds the body until the headers are
 * acknowledged (Nagle), and Linux delays that ACK by up to 40 ms on a
 * kept-alive connection; quick-ACK mode ends after a few segments, so it is
 * set again before every wait. See doc/benchmarks.md. */
static void quickack(HttpClient *h) {
        int one = 1;

        if (h->fd != CURL_SOCKET_BAD)
                (void) setsockopt(h->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

/* curl_easy_perform(), but asking the progress callback at least every
 * POLL_TICK_MS while waiting. */
static CURLcode run_transfer(HttpClient *h) {
        CURLcode result = CURLE_OK;
        int running = 0, left;
        CURLMsg *m;

        if (curl_multi_add_handle(h->multi, h->curl) != CURLM_OK)
                return CURLE_FAILED_INIT;
        for (;;) {
                if (curl_multi_perform(h->multi, &running) != CURLM_OK) {
                        result = CURLE_FAILED_INIT;
                        break;
                }
                if (running == 0)
                        break;
                if (h->progress && h->progress(h->progress_userdata) != 0) {
                        result = CURLE_ABORTED_BY_CALLBACK;
                        break;
                }
                quickack(h);
                if (curl_multi_poll(h->multi, NULL, 0, POLL_TICK_MS, NULL) != CURLM_OK) {
                        result = CURLE_FAILED_INIT;
                        break;
                }
        }
        if (running == 0)
                while ((m = curl_multi_info_read(h->multi, &left)))
                        if (m->msg == CURLMSG_DONE && m->easy_handle == h->curl)
                                result = m->data.result;
        /* An unfinished transfer's connection is closed here. */
        (void) curl_multi_remove_handle(h->multi, h->curl);
        return result;
}

static int map_curl_error(HttpClient *h, CURLcode c, const char *path) {
        const char *what = h->curl_error[0] ? h->curl_error : curl_easy_strerror(c);
        long os_errno = 0;

        switch (c) {
        case CURLE_COULDNT_CONNECT:
                (void) curl_easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &os_errno);
                if (os_errno == EHOSTUNREACH || os_errno == ENETUNREACH)
                        return http_set_error(h, -EHOSTUNREACH, "%s: %s", path, what);
                /* Refused on this host before any packet left: a firewall,
                 * or portkeep.service's IPAddressAllow= (LAN addresses only). */
                if (os_errno == EPERM || os_errno == EACCES)
                        return http_set_error(h, -ECONNREFUSED,
                                              "%s: %s: not permitted by this host (a firewall rule, or the unit's IPAddressAllow=: see README.md, \"Run it as a service\")",
                                              path, what);
                return http_set_error(h, -ECONNREFUSED, "%s: %s", path, what);
        case CURLE_COULDNT_RESOLVE_HOST:
                return http_set_error(h, -EHOSTUNREACH, "%s: %s", path, what);
        case CURLE_OPERATION_TIMEDOUT:
                return http_set_error(h, -ETIMEDOUT, "%s: %s", path, what);
        case CURLE_ABORTED_BY_CALLBACK:
                return http_set_error(h, -ECANCELED, "%s: request aborted", path);
        case CURLE_FILESIZE_EXCEEDED:
                return http_set_error(h, -EFBIG, "%s: reply larger than %zu bytes", path, h->max_size);
        case CURLE_OUT_OF_MEMORY:
                /* what curl (before 8.6) also says of a header line over
                 * its 100 KiB: with memory to spare here, the likely case */
                return http_set_error(h, -EBADMSG,
                                      "%s: the reply could not be read: curl reports running out of memory, as it does for a header line over 100 KiB",
                                      path);
        case CURLE_WRITE_ERROR:
                if (h->too_big)
                        return http_set_error(h, -EFBIG, "%s: reply larger than %zu bytes", path, h->max_size);
                return http_set_error(h, -ENOMEM, "%s: out of memory", path);
        case CURLE_PARTIAL_FILE:
                return http_set_error(h, -EBADMSG, "%s: truncated reply: %s", path, what);
        case CURLE_GOT_NOTHING:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
                return http_set_error(h, -ECONNRESET, "%s: %s", path, what);
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
                return http_set_error(h, -EINVAL, "%s: %s", path, what);
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_TOO_MANY_REDIRECTS:
                return http_set_error(h, -EBADMSG, "%s: %s", path, what);
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
                return http_set_error(h, -EPROTO, "%s: %s", path, what);
        default:
                return http_set_error(h, -EIO, "%s: %s", path, what);
        }
}

int http_page_to_utf8(const char *content_type, const char *page, size_t page_size, char *charset, size_t size,
                      char **ret, size_t *ret_size) {
        char *out;
        size_t n;
        int r;

        if (http_charset_from_content_type(content_type, charset, size) < 0 &&
            http_charset_from_html(page ?: "", page_size, charset, size) < 0)
                snprintf(charset, size, "UTF-8");

        if (!is_utf8_name(charset)) {
                r = http_iconv(http_iconv_name(charset), "UTF-8", page ?: "", page_size, &out, &n);
                if (r < 0)
                        return r == -EINVAL ? -EINVAL : -EILSEQ;
        } else {
                out = malloc(page_size + 1);
                if (!out)
                        return -ENOMEM;
                if (page_size > 0)
                        memcpy(out, page, page_size);
                out[page_size] = '\0';
                n = page_size;
        }
        *ret = out;
        if (ret_size)
                *ret_size = n;
        return 0;
}

static int to_utf8(HttpClient *h, const char *path, char **ret_body, size_t *ret_size) {
        char cs[sizeof(h->charset)];
        const char *nul;
        size_t n;
        int r;

        r = http_page_to_utf8(h->content_type, h->buf, h->size, cs, sizeof(cs), ret_body, &n);
        if (r == -EINVAL)
                return http_set_error(h, -EBADMSG, "%s: page in unsupported charset '%s'", path, cs);
        if (r == -EILSEQ)
                return http_set_error(h, -EBADMSG, "%s: page is not valid %s", path, cs);
        if (r < 0)
                return r;
        /* No page of an admin UI holds one; the parsers would stop at it. */
        nul = memchr(*ret_body, '\0', n);
        if (nul) {
                r = http_set_error(h, -EBADMSG, "%s: the reply holds a NUL character (at byte %zu of %zu): not a text page",
                                   path, (size_t) (nul - *ret_body), n);
                *ret_body = mfree(*ret_body);
                return r;
        }
        if (ret_size)
                *ret_size = n;
        strcpy(h->charset, cs);
        return 0;
}

static int perform(HttpClient *h, const char *path, const char *referer, const char *post_body,
                   char **ret_body, size_t *ret_size);

#define HTTP_MAX_REDIRECTS 5

/* A GET answered 3xx: followed (as a GET, with no Referer) when it points at
 * the router itself (the same scheme, host and port), at most
 * HTTP_MAX_REDIRECTS times; anywhere else is an error that says where. */
static int follow_get(HttpClient *h, const char *path, char **ret_body, size_t *ret_size) {
        _cleanup_free_ char *next = NULL;
        size_t l = strlen(h->base_url);
        int r;

        if (!h->location)
                return http_set_error(h, -EBADMSG, "%s: HTTP %ld without a Location", path, h->status);
        if (strncasecmp(h->location, h->base_url, l) != 0 || (h->location[l] != '/' && h->location[l] != '\0'))
                return http_set_error(h, -EBADMSG, "%s: the router redirected to '%.200s', which is not the router; not followed",
                                      path, h->location);
        if (h->redirects >= HTTP_MAX_REDIRECTS)
                return http_set_error(h, -EBADMSG, "%s: more than %d redirects", path, HTTP_MAX_REDIRECTS);
        next = strdup(h->location[l] ? h->location + l : "/");
        if (!next)
                return -ENOMEM;
        h->redirects++;
        r = perform(h, next, NULL, NULL, ret_body, ret_size);
        h->redirects--;
        return r;
}

static int perform(HttpClient *h, const char *path, const char *referer, const char *post_body,
                   char **ret_body, size_t *ret_size) {
        _cleanup_free_ char *url = NULL, *ref = NULL;
        CURLcode c;
        long status = 0;

        if (!path || path[0] != '/')
                return http_set_error(h, -EINVAL, "bad page path");
        if (asprintf(&url, "%s%s", h->base_url, path) < 0)
                return -ENOMEM;
        if (referer && asprintf(&ref, "%s%s", h->base_url, referer) < 0)
                return -ENOMEM;

        h->size = 0;
        h->too_big = false;
        h->content_type[0] = '\0';
        h->curl_error[0] = '\0';
        h->error[0] = '\0';
        h->status = 0;
        h->location = mfree(h->location);
        if (h->buf)
                h->buf[0] = '\0';

        if (curl_easy_setopt(h->curl, CURLOPT_URL, url) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_REFERER, ref) != CURLE_OK)
                return http_set_error(h, -EINVAL, "%s: bad URL", path);
        /* curl follows no redirect: a POST's would send the form (a
         * password, perhaps) again on 307/308, and a GET is followed below
         * only to the router itself. */
        if (curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK)
                return -EINVAL;
        if (post_body) {
                if (curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(post_body)) != CURLE_OK ||
                    /* not copied: curl would free the copy unwiped */
                    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, post_body) != CURLE_OK)
                        return -ENOMEM;
        } else if (curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L) != CURLE_OK)
                return -EINVAL;

        c = run_transfer(h);
        if (c != CURLE_OK)
                return map_curl_error(h, c, path);

        (void) curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
        h->status = status;
        /* status 0: an HTTP/0.9 reply, which has no status line */
        if (status == 401 || status == 403)
                return http_set_error(h, -EACCES, "%s: HTTP %ld", path, status);
        if (status >= 300 && status <= 399) {
                char *loc = NULL;

                if (curl_easy_getinfo(h->curl, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc) {
                        h->location = strdup(loc);
                        if (!h->location)
                                return -ENOMEM;
                }
                if (!post_body)
                        return follow_get(h, path, ret_body, ret_size);
                /* a POST's: the caller judges where it pointed */
        } else if (status != 0 && (status < 200 || status > 299))
                return http_set_error(h, -EBADMSG, "%s: HTTP %ld", path, status);

        return to_utf8(h, path, ret_body, ret_size);
}

int http_get(HttpClient *h, const char *path, const char *referer, char **ret_body, size_t *ret_size) {
        return perform(h, path, referer, NULL, ret_body, ret_size);
}

int http_post_form(HttpClient *h, const char *path, const char *referer, const HttpField *fields,
                   size_t n_fields, char **ret_body, size_t *ret_size) {
        _cleanup_erase_ char *body = NULL; /* it may hold a password */
        int r;

        r = http_form_encode(fields, n_fields, h->charset, &body);
        if (r == -EILSEQ)
                return http_set_error(h, -EINVAL, "%s: a form value cannot be written in %s", path, h->charset);
        if (r < 0)
                return http_set_error(h, r, "%s: cannot encode form", path);

        return perform(h, path, referer, body, ret_body, ret_size);
}
