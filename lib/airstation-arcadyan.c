/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Buffalo AirStation, firmware family "arcadyan" (Arcadyan OEM firmware:
 * WSR-2533DHPL, WSR-2533DHPL2, WSR-2533DHP3, WSR-3200AX4S, ...).
 *
 * Evidence (doc/airstation.md, "arcadyan"):
 * - uehaj/buffalo-wifirouter-control change.sh and monitor.sh: the spacer
 *   image token (78-character prefix, then base64 of the decimal token), the
 *   login post, a page GET with "Referer: <base>/", the cgi/cgi_<page>.js GET
 *   with _tn/_t/_ and the page as Referer, the apply_abstract.cgi post, the
 *   logout page and post; values read by the ARC_ key right before the value.
 * - the Arcadyan firewall's forwarding_mod: ARC_NAT_PORTMAP_MaxNum, then per
 *   index i = 0 .. MaxNum-1 (0-based: "for (i=0; i<max_num; i++)") the keys
 *   below; PublicIPType 1 = the WAN address, 0 = PublicIP (added as a WAN
 *   alias, by a routine that scans all 32 slots and skips only Enable "0"),
 *   2-6 = PPPoE session 0-4; Proto tcp or udp, anything else passed to
 *   iptables -p, so "both" (which only conntrack knows) is never written;
 *   PrivatePort* 0 or blank = same as public; MAX_FORWARDING_RULES 32; a
 *   16-byte group name buffer (15 bytes).
 * - a successful apply_abstract.cgi post answers 302 to Success.htm (public
 *   CVE-2021-20091 proof-of-concept code).
 * The page name and the action value are not in the evidence: they live in
 * airstation-arcadyan-names.h (shared with the fake router) and can be
 * overridden in the config. Other choices are marked UNCONFIRMED below. */

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "airstation-arcadyan-names.h"
#include "airstation-parse.h"
#include "macro.h"
#include "time-util.h"

static const struct {
        const char *login_page, *login_cgi, *logout_page, *logout_cgi, *apply_cgi, *js_prefix, *index_path;
        const char *token_prefix; /* the fixed 78 characters before the token */
        const char *f_name, *f_pws, *f_url, *v_url, *f_mobile, *v_mobile, *f_httoken;
        const char *q_tn, *q_t, *q_cache;
        const char *f_action, *f_submit, *f_action_params, *v_action_params;
        const char *title_ok, *title_login, *success_page;
        const char *key_prefix, *key_max;
} ARC = {
        .login_page = "/login.html",
        .login_cgi = "/login.cgi",
        .logout_page = "/logout.html",
        .logout_cgi = "/logout.cgi",
        .apply_cgi = "/apply_abstract.cgi",
        .js_prefix = "/cgi/cgi_",
        .index_path = "/", /* the scripts' Referer when fetching a page */
        .token_prefix = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7",
        .f_name = "name",
        .f_pws = "pws", /* md5 hex of the password */
        .f_url = "url",
        .v_url = "/",
        .f_mobile = "mobile",
        .v_mobile = "0",
        .f_httoken = "httoken",
        .q_tn = "_tn",
        .q_t = "_t",
        .q_cache = "_",
        .success_page = "/Success.htm",
        .f_action = "action",
        .f_submit = "submit_button",
        .f_action_params = "action_params",
        .v_action_params = "blink_time=5",
        .title_ok = "BUFFALO AirStation",
        .title_login = "LOGIN",
        .key_prefix = "ARC_NAT_PORTMAP_",
        .key_max = "ARC_NAT_PORTMAP_MaxNum",
};

/* Per index: ARC_NAT_PORTMAP_<i>_<field>, in the order they are posted. */
enum {
        F_ENABLE,
        F_GROUP,
        F_IPTYPE,
        F_PUBLIC_IP,
        F_PRIVATE_IP,
        F_PROTO,
        F_PUB_START,
        F_PUB_END,
        F_PRIV_START,
        F_PRIV_END,
        _F_MAX,
};
static const char *const field_names[_F_MAX] = {
        [F_ENABLE] = "Enable",
        [F_GROUP] = "GroupName",
        [F_IPTYPE] = "PublicIPType",
        [F_PUBLIC_IP] = "PublicIP",
        [F_PRIVATE_IP] = "PrivateIP",
        [F_PROTO] = "Proto",
        [F_PUB_START] = "PublicPortStart",
        [F_PUB_END] = "PublicPortEnd",
        [F_PRIV_START] = "PrivatePortStart",
        [F_PRIV_END] = "PrivatePortEnd",
};
/* Without these an entry is unreadable (a truncated js, another page). */
static const bool field_required[_F_MAX] = { [F_ENABLE] = true, [F_PRIVATE_IP] = true, [F_PROTO] = true };

typedef struct Arcadyan {
        AirStation base;
        char *page;       /* "/forwarding.html" */
        char *js;         /* "/cgi/cgi_forwarding.js" */
        char *submit;     /* "forwarding.html" */
        const char *action;
        char *page_token; /* token of page, from its last GET */
} Arcadyan;

static Arcadyan *A(Router *r) {
        return r->data;
}

static HttpClient *H(Router *r) {
        return airstation_http(r);
}

/* The limit of the registry row (32, MAX_FORWARDING_RULES). */
static size_t max_entries(Router *r) {
        return r->backend->max_entries;
}

static void arc_done(Router *r);

static int arc_init(Router *r) {
        _cleanup_free_ char *name = NULL;
        const char *page = r->config->airstation_page ?: ARCADYAN_PAGE;
        Arcadyan *a;
        size_t l;
        int k;

        /* accept "forwarding", "forwarding.html" and "/forwarding.html" */
        while (*page == '/')
                page++;
        name = strdup(page);
        if (!name)
                return -ENOMEM;
        l = strlen(name);
        if (l > 5 && streq(name + l - 5, ".html"))
                name[l - 5] = '\0';

        k = airstation_init(r, sizeof(Arcadyan));
        if (k < 0)
                return k;
        a = A(r);
        a->action = r->config->airstation_action ?: ARCADYAN_ACTION;
        if (asprintf(&a->page, "/%s.html", name) < 0 || asprintf(&a->js, "%s%s.js", ARC.js_prefix, name) < 0 ||
            asprintf(&a->submit, "%s.html", name) < 0) {
                arc_done(r);
                return -ENOMEM;
        }
        return 0;
}

static void arc_done(Router *r) {
        Arcadyan *a = r->data;

        if (!a)
                return;
        free(a->page);
        free(a->js);
        free(a->submit);
        free(a->page_token);
        airstation_done(r);
}

/* ---- tokens, pages ---- */

/* The token of a page: <img title=spacer src="<78-char prefix><base64 of the
 * decimal token>">. -ENOENT when the page has none. */
static int page_token(htmlDocPtr doc, char **ret) {
        _cleanup_free_ char *src = NULL;
        unsigned char out[64];
        size_t pl = strlen(ARC.token_prefix), l;
        xmlNodePtr img;
        int n;

        img = html_find(doc, "img", "title", "spacer");
        if (!img)
                return -ENOENT;
        src = html_attr(img, "src");
        /* the scripts skip 78 characters whatever they are; we want the
         * data: URL at least */
        if (!src || strncmp(src, "data:image/gif;base64,", 22) != 0 || strlen(src) <= pl)
                return -ENOENT;
        l = strlen(src + pl);
        if (l % 4 != 0 || l > 80)
                return -EBADMSG;
        n = EVP_DecodeBlock(out, (const unsigned char *) src + pl, (int) l);
        if (n <= 0)
                return -EBADMSG;
        /* EVP_DecodeBlock counts the padding as zero bytes */
        for (const char *p = src + pl + l; p > src + pl && p[-1] == '='; p--)
                n--;
        if (n <= 0)
                return -EBADMSG;
        for (int i = 0; i < n; i++)
                if (!isdigit(out[i]))
                        return -EBADMSG;
        *ret = strndup((const char *) out, (size_t) n);
        return *ret ? 0 : -ENOMEM;
}

static int fetch(Router *r, const char *path, const char *referer, const HttpField *fields, size_t n_fields,
                 htmlDocPtr *ret_doc) {
        return airstation_fetch(r, path, referer, fields, n_fields, NULL, ret_doc);
}

bool airstation_arcadyan_probe(const char *page, size_t size) {
        _cleanup_(html_freep) htmlDocPtr doc = NULL;
        _cleanup_free_ char *src = NULL;
        xmlNodePtr n;

        /* <img title=spacer src="data:image/gif;base64,..."> */
        if (html_parse(page, size, &doc) < 0 || !(n = html_find(doc, "img", "title", "spacer")))
                return false;
        src = html_attr(n, "src");
        return src && strncmp(src, ARC.token_prefix, 22) == 0;
}

/* A page fetched where the session ended is the login page. */
static bool is_login_page(htmlDocPtr doc) {
        return airstation_title_is(doc, ARC.title_login) || html_find(doc, "input", "name", ARC.f_pws) != NULL;
}

static int md5_hex(const char *s, char ret[static 33]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;

        if (EVP_Digest(s, strlen(s), md, &n, EVP_md5(), NULL) != 1 || n != 16)
                return -EIO;
        for (unsigned i = 0; i < n; i++)
                sprintf(ret + 2 * i, "%02x", md[i]);
        explicit_bzero(md, sizeof(md));
        return 0;
}

/* ---- login, logout ---- */

static int arc_login(Router *r) {
        _cleanup_(html_freep) htmlDocPtr doc = NULL, reply = NULL;
        _cleanup_free_ char *token = NULL, *title = NULL;
        char pws[33];
        int k;

        k = fetch(r, ARC.login_page, NULL, NULL, 0, &doc);
        if (k < 0)
                return k;
        if (page_token(doc, &token) < 0)
                return router_set_error(r, -EBADMSG, "%s has no spacer-image token: not an arcadyan AirStation",
                                        ARC.login_page);
        k = md5_hex(r->password, pws);
        if (k < 0)
                return router_set_error(r, k, "cannot compute MD5 (OpenSSL)");

        const HttpField fields[] = {
                { ARC.f_name, r->config->username ?: "admin" },
                { ARC.f_pws, pws },
                { ARC.f_url, ARC.v_url },
                { ARC.f_mobile, ARC.v_mobile },
                { ARC.f_httoken, token },
        };
        k = fetch(r, ARC.login_cgi, ARC.login_page, fields, ELEMENTSOF(fields), &reply);
        explicit_bzero(pws, sizeof(pws));
        if (k < 0)
                return k;
        if (airstation_title_is(reply, ARC.title_ok))
                return 0;
        (void) html_title(reply, &title);
        return router_set_error(r, -EACCES, "it answered with the page '%.80s' instead of '%s'", title ?: "",
                                ARC.title_ok);
}

static int arc_logout(Router *r) {
        _cleanup_(html_freep) htmlDocPtr doc = NULL, reply = NULL;
        _cleanup_free_ char *token = NULL;
        int k;

        k = fetch(r, ARC.logout_page, ARC.index_path, NULL, 0, &doc);
        if (k < 0)
                return k;
        if (page_token(doc, &token) < 0)
                return router_set_error(r, -EBADMSG, "%s has no token", ARC.logout_page);
        const HttpField fields[] = { { ARC.f_httoken, token } };
        return fetch(r, ARC.logout_cgi, ARC.logout_page, fields, ELEMENTSOF(fields), &reply);
}

/* ---- the cgi js: addCfg("name","ARC_KEY","value"[,enc]) lines ---- */

typedef struct Cfg {
        char *key, *value;
} Cfg;

/* the ARC_NAT_PORTMAP_* settings a cgi js may hold: 32 entries of 15 fields
 * and a few more, with room to spare */
#define CFG_MAX 4096

typedef struct Cfgs {
        Cfg *items;
        size_t n;
} Cfgs;

static void cfgs_done(Cfgs *c) {
        for (size_t i = 0; i < c->n; i++) {
                free(c->items[i].key);
                free(c->items[i].value);
        }
        free(c->items);
        *c = (Cfgs){};
}

static const char *cfg_get(const Cfgs *c, const char *key) {
        for (size_t i = 0; i < c->n; i++)
                if (streq(c->items[i].key, key))
                        return c->items[i].value;
        return NULL;
}

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char) tolower((unsigned char) c);
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* %xx-decoding in place (a lone '%' stays). */
static void percent_decode(char *s) {
        char *o = s;

        for (; *s; s++) {
                if (s[0] == '%' && unhex(s[1]) >= 0 && unhex(s[2]) >= 0) {
                        *o++ = (char) (unhex(s[1]) * 16 + unhex(s[2]));
                        s += 2;
                } else
                        *o++ = *s;
        }
        *o = '\0';
}

/* Parses the arguments of one addCfg( ... ) starting at p (after the '(').
 * Up to 4 arguments, quoted strings (backslash escapes) or bare tokens.
 * -EBADMSG when the line ends before the ')' (a truncated file). */
static int parse_args(const char *p, char *args[static 4], size_t *ret_n) {
        size_t n = 0;

        for (;;) {
                char buf[1024];
                size_t l = 0;

                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p == ')' && n == 0)
                        break;
                if (*p == '"' || *p == '\'') {
                        char q = *p++;

                        for (; *p && *p != q; p++) {
                                if (*p == '\\' && p[1])
                                        p++;
                                if (l >= sizeof(buf) - 1)
                                        return -EBADMSG;
                                buf[l++] = *p;
                        }
                        if (*p != q)
                                return -EBADMSG;
                        p++;
                } else
                        for (; *p && *p != ',' && *p != ')' && *p != '\n' && *p != ' '; p++) {
                                if (l >= sizeof(buf) - 1)
                                        return -EBADMSG;
                                buf[l++] = *p;
                        }
                buf[l] = '\0';
                if (n < 4) {
                        args[n] = strdup(buf);
                        if (!args[n])
                                return -ENOMEM;
                        n++;
                }
                while (*p == ' ' || *p == '\t')
                        p++;
                *ret_n = n;
                if (*p == ',') {
                        p++;
                        continue;
                }
                if (*p == ')')
                        break;
                return -EBADMSG;
        }
        *ret_n = n;
        return 0;
}

/* Collects the ARC_NAT_PORTMAP_* settings of a cgi js body. The key is the
 * argument right before the value (monitor.sh's pattern): addCfg(name, key,
 * value[, enc]); with two arguments, addCfg(key, value). */
static int parse_js(Router *r, const char *body, Cfgs *ret) {
        const char *line = body;
        unsigned lineno = 0;

        /* Each line is looked at once, up to its end only: linear in the
         * body (a search to the body's end from every line is not). */
        for (const char *eol; *line; line = *eol ? eol + 1 : eol) {
                const char *p;
                char *args[4] = {};
                size_t n = 0;
                int k;

                eol = strchrnul(line, '\n');
                lineno++;
                p = memmem(line, (size_t) (eol - line), "addCfg(", strlen("addCfg("));
                if (!p)
                        continue;
                k = parse_args(p + strlen("addCfg("), args, &n);
                if (k >= 0 && n >= 2) {
                        const char *key = n == 2 ? args[0] : args[1], *value = n == 2 ? args[1] : args[2];

                        if (n == 4 && !streq(args[3], "0") && !streq(args[3], "") &&
                            strncmp(key, ARC.key_prefix, strlen(ARC.key_prefix)) == 0)
                                k = router_set_error(r, -EBADMSG, "%s: %s is encrypted (enc=%s), which portkeep cannot read",
                                                     A(r)->js, key, args[3]);
                        else if (strncmp(key, ARC.key_prefix, strlen(ARC.key_prefix)) == 0) {
                                Cfg *q;

                                if (ret->n >= CFG_MAX)
                                        k = router_set_error(r, -E2BIG,
                                                             "%s: more than %d %s settings: no router's table has that many",
                                                             A(r)->js, CFG_MAX, ARC.key_prefix);
                                else if (!(q = realloc(ret->items, (ret->n + 1) * sizeof(Cfg))))
                                        k = -ENOMEM;
                                else {
                                        ret->items = q;
                                        ret->items[ret->n].key = strdup(key);
                                        ret->items[ret->n].value = strdup(value);
                                        ret->n++;
                                        if (!ret->items[ret->n - 1].key || !ret->items[ret->n - 1].value)
                                                k = -ENOMEM;
                                        else
                                                percent_decode(ret->items[ret->n - 1].value);
                                }
                        }
                } else if (k >= 0)
                        k = -EBADMSG;
                for (size_t i = 0; i < n; i++)
                        free(args[i]);
                if (k == -EBADMSG && !r->error[0])
                        return router_set_error(r, -EBADMSG, "%s: line %u is cut short or malformed (truncated reply?)",
                                                A(r)->js, lineno);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* ---- entries: the indexed list as stored, every field a string ---- */

typedef struct Entry {
        char *v[_F_MAX];
} Entry;

typedef struct Entries {
        Entry *items;
        size_t n;
} Entries;

static void entries_done(Entries *e) {
        for (size_t i = 0; i < e->n; i++)
                for (size_t j = 0; j < _F_MAX; j++)
                        free(e->items[i].v[j]);
        free(e->items);
        *e = (Entries){};
}

static int parse_uint(const char *s, unsigned max, unsigned *ret) {
        char *end;
        unsigned long v;

        if (!s || !isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || v > max)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

static int entries_from_cfgs(Router *r, const Cfgs *c, Entries *ret) {
        const char *s = cfg_get(c, ARC.key_max);
        unsigned max;

        if (!s)
                return router_set_error(r, -EBADMSG,
                                        "%s has no %s: not the port-forwarding settings (check router.airstation.page, now '%s')",
                                        A(r)->js, ARC.key_max, A(r)->submit);
        /* MaxNum is read as the number of entries in use (the firmware loops
         * i < MaxNum); a larger value than the firmware's limit is tolerated
         * up to 256 in case it is the capacity (UNCONFIRMED). */
        if (parse_uint(s, 256, &max) < 0)
                return router_set_error(r, -EBADMSG, "%s: %s is '%s', not a number", A(r)->js, ARC.key_max, s);
        ret->items = calloc(max ?: 1, sizeof(Entry));
        if (!ret->items)
                return -ENOMEM;
        for (unsigned i = 0; i < max; i++) {
                Entry *e = &ret->items[ret->n++];

                for (size_t j = 0; j < _F_MAX; j++) {
                        char key[64];
                        const char *v;

                        snprintf(key, sizeof(key), "%s%u_%s", ARC.key_prefix, i, field_names[j]);
                        v = cfg_get(c, key);
                        if (!v && field_required[j])
                                return router_set_error(r, -EBADMSG, "%s: %s missing (truncated reply?)", A(r)->js,
                                                        key);
                        e->v[j] = strdup(v ?: "");
                        if (!e->v[j])
                                return -ENOMEM;
                }
        }
        return 0;
}

static bool entry_enabled(const Entry *e) {
        return atoi(e->v[F_ENABLE]) != 0; /* the firmware's test */
}

static int entry_to_forward(const Entry *e, int index, Forward *ret) {
        Forward f = { .router_id = index };
        unsigned type, a, b;

        if (parse_uint(e->v[F_IPTYPE], 6, &type) < 0)
                type = 1;
        if (type == 0) {
                if (ipv4_from_string(e->v[F_PUBLIC_IP], &f.wan) < 0 || f.wan == WAN_ROUTER || wan_is_pppoe(f.wan))
                        return -EBADMSG;
        } else if (type == 1)
                f.wan = WAN_ROUTER;
        else
                /* 2-6: the address of PPPoE session 0-4, which a file
                 * cannot name: shown as pppoe0 .. pppoe4, never changed */
                f.wan = WAN_PPPOE(type - 2);
        if (ipv4_from_string(e->v[F_PRIVATE_IP], &f.lan_ip) < 0)
                return -EBADMSG;
        if (strcasecmp(e->v[F_PROTO], "both") == 0)
                f.proto = PROTO_TCP_UDP; /* made by hand; table_from_entries() splits it */
        else {
                /* tcp, udp, and anything iptables -p takes: gre/esp or
                 * 47/50 (which the UI writes is UNCONFIRMED), icmp, all */
                f.proto = proto_from_string(e->v[F_PROTO]);
                if (f.proto < 0 || f.proto == PROTO_TCP_UDP)
                        return -EBADMSG;
        }
        if (proto_has_ports(f.proto)) {
                if (parse_uint(e->v[F_PUB_START], 65535, &a) < 0 || a == 0)
                        return -EBADMSG;
                if (parse_uint(e->v[F_PUB_END], 65535, &b) < 0 || b < a)
                        b = a;
                f.ports = (PortRange){ a, b };
                /* 0 (or empty) = same as public */
                if (parse_uint(e->v[F_PRIV_START], 65535, &a) < 0 || a == 0)
                        a = f.ports.first;
                if (parse_uint(e->v[F_PRIV_END], 65535, &b) < 0 || b == 0)
                        b = f.ports.last;
                if (b < a || !airstation_lan_ports_fit(f.ports, (PortRange){ a, b }))
                        return -EBADMSG;
                f.lan_ports = (PortRange){ a, b };
        }
        if (e->v[F_GROUP][0]) {
                if (!airstation_text_is_utf8(e->v[F_GROUP]))
                        return -EILSEQ;
                f.group = strdup(e->v[F_GROUP]);
                if (!f.group)
                        return -ENOMEM;
        }
        *ret = f;
        return 0;
}

/* Reads the page (for its token) and its cgi js; returns the whole indexed
 * list, disabled entries included. -ESTALE when the session has ended. */
static int read_entries(Router *r, Entries *ret) {
        _cleanup_(html_freep) htmlDocPtr doc = NULL;
        _cleanup_free_ char *token = NULL, *path = NULL, *body = NULL;
        _cleanup_(cfgs_done) Cfgs cfgs = {};
        Arcadyan *a = A(r);
        uint64_t ms;
        int k;

        k = fetch(r, a->page, ARC.index_path, NULL, 0, &doc);
        if (k < 0 && http_last_status(H(r)) == 404)
                return router_set_error(r, k,
                                        "%s: HTTP 404: this router has no such page; the port-forwarding page's name is UNCONFIRMED: set router.airstation.page (see README)",
                                        a->page);
        if (k < 0)
                return k;
        if (is_login_page(doc))
                return -ESTALE;
        if (page_token(doc, &token) < 0)
                return router_set_error(r, -EBADMSG, "%s has no spacer-image token (is router.airstation.page right?)",
                                        a->page);
        free(a->page_token);
        a->page_token = strdup(token);
        if (!a->page_token)
                return -ENOMEM;

        ms = now_usec(CLOCK_REALTIME) / USEC_PER_MSEC;
        if (asprintf(&path, "%s?%s=%s&%s=%llu&%s=%llu", a->js, ARC.q_tn, token, ARC.q_t, (unsigned long long) ms,
                     ARC.q_cache, (unsigned long long) ms) < 0)
                return -ENOMEM;
        k = http_get(H(r), path, a->page, &body, NULL);
        if (k < 0)
                return router_set_error(r, k, "%s: %s", a->js, http_error(H(r)));
        if (strcasestr(body, "<title>" "LOGIN" "</title>"))
                return -ESTALE;

        k = parse_js(r, body, &cfgs);
        if (k < 0)
                return k;
        k = entries_from_cfgs(r, &cfgs, ret);
        if (k < 0)
                entries_done(ret);
        return k;
}

static int entries_to_table(Router *r, const Entries *e, Table *ret) {
        Table t;
        int k;

        table_init(&t);
        for (size_t i = 0; i < e->n; i++) {
                Forward f;

                if (!entry_enabled(&e->items[i]))
                        continue; /* kept on the router, not a forward */
                k = entry_to_forward(&e->items[i], (int) i, &f);
                if (k == -ENOMEM) {
                        table_done(&t);
                        return k;
                }
                if (k == -EILSEQ) {
                        table_done(&t);
                        return router_set_error(r, -EBADMSG, "%s: entry %zu: the group name is not valid UTF-8",
                                                A(r)->js, i);
                }
                if (k < 0) {
                        const Entry *x = &e->items[i];

                        table_done(&t);
                        return router_set_error(r, -EBADMSG,
                                                "%s: entry %zu unreadable (proto '%s', public ip type '%s' '%s', private ip '%s', ports '%s'-'%s' -> '%s'-'%s')",
                                                A(r)->js, i, x->v[F_PROTO], x->v[F_IPTYPE], x->v[F_PUBLIC_IP],
                                                x->v[F_PRIVATE_IP], x->v[F_PUB_START], x->v[F_PUB_END],
                                                x->v[F_PRIV_START], x->v[F_PRIV_END]);
                }
                /* "both", as the UI may store it, is a tcp and a udp
                 * forward: in sync with a declared tcp/udp */
                if (f.proto == PROTO_TCP_UDP) {
                        f.proto = PROTO_TCP;
                        k = table_add(&t, &f);
                        f.proto = PROTO_UDP;
                } else
                        k = 0;
                if (k >= 0)
                        k = table_add_take(&t, &f);
                forward_done(&f);
                if (k < 0) {
                        table_done(&t);
                        return k;
                }
        }
        *ret = t;
        return 0;
}

static int read_once(Router *r, Table *ret) {
        _cleanup_(entries_done) Entries e = {};
        int k;

        k = read_entries(r, &e);
        if (k < 0)
                return k;
        return entries_to_table(r, &e, ret);
}

/* read_entries() and read_once() without the network (airstation-parse.h). */
int arcadyan_parse_cfg_js(Router *r, const char *body, Table *ret) {
        _cleanup_(cfgs_done) Cfgs cfgs = {};
        _cleanup_(entries_done) Entries e = {};
        int k;

        k = parse_js(r, body, &cfgs);
        if (k < 0)
                return k;
        k = entries_from_cfgs(r, &cfgs, &e);
        if (k < 0)
                return k;
        return entries_to_table(r, &e, ret);
}

int arcadyan_page_token(htmlDocPtr doc, char **ret) {
        return page_token(doc, ret);
}

/* ---- writing: the whole list in one apply_abstract.cgi post ---- */

static int entry_from_forward(Router *r, const Forward *f, Entry *ret) {
        char wan[16], lan[16], n[4][8], proto[8];
        const char *p;
        int k;

        k = router_check_add(r, f);
        if (k < 0)
                return k;
        switch (f->proto) {
        case PROTO_TCP:
                p = "tcp";
                break;
        case PROTO_UDP:
                p = "udp";
                break;
        case PROTO_TCP_UDP:
                /* "both" would reach iptables -p and stop the router loading
                 * its rules; the plan splits tcp/udp for this family */
                return router_set_error(r, -EPROTONOSUPPORT, "this router stores tcp and udp as separate entries");
        case PROTO_ICMP:
                p = "icmp";
                break;
        case PROTO_ALL:
                p = "all";
                break;
        default:
                /* GRE, ESP and other numbers go to iptables -p as numbers,
                 * which need no /etc/protocols on the router (UNCONFIRMED:
                 * the UI may write "gre"/"esp"; both are read back) */
                snprintf(proto, sizeof(proto), "%d", f->proto);
                p = proto;
        }
        snprintf(n[0], sizeof(n[0]), "%u", f->ports.first);
        snprintf(n[1], sizeof(n[1]), "%u", f->ports.last);
        snprintf(n[2], sizeof(n[2]), "%u", f->lan_ports.first);
        snprintf(n[3], sizeof(n[3]), "%u", f->lan_ports.last);

        const char *v[_F_MAX] = {
                [F_ENABLE] = "1",
                [F_GROUP] = f->group,
                [F_IPTYPE] = f->wan == WAN_ROUTER ? "1" : "0",
                [F_PUBLIC_IP] = f->wan == WAN_ROUTER ? "" : ipv4_to_string(f->wan, wan),
                [F_PRIVATE_IP] = ipv4_to_string(f->lan_ip, lan),
                [F_PROTO] = p,
                [F_PUB_START] = n[0],
                [F_PUB_END] = n[1],
                [F_PRIV_START] = n[2],
                [F_PRIV_END] = n[3],
        };
        for (size_t j = 0; j < _F_MAX; j++) {
                ret->v[j] = strdup(v[j]);
                if (!ret->v[j])
                        return -ENOMEM;
        }
        return 0;
}

/* Whether a redirect points at the success page: its path (query and
 * fragment cut) ends with ARC.success_page. */
static bool is_success_location(const char *location) {
        const char *p = strstr(location, "://"), *end;
        size_t l = strlen(ARC.success_page);

        p = p ? strchr(p + 3, '/') : location;
        if (!p)
                return false;
        end = p + strcspn(p, "?#");
        return (size_t) (end - p) >= l && strncmp(end - l, ARC.success_page, l) == 0;
}

/* Posts the list: MaxNum entries, then the slots from there up to in_use
 * (how many the list had as read) as Enable=0 with their other fields empty:
 * the firmware's WAN-alias routine reads all 32 slots and skips only those
 * whose Enable is "0", so a vacated slot left as it was could keep its
 * manual WAN address as an alias. Success is the 302 to Success.htm and
 * nothing else. */
static int submit_entries(Router *r, const Entries *e, size_t in_use, const char *what) {
        _cleanup_(html_freep) htmlDocPtr reply = NULL;
        _cleanup_free_ HttpField *fields = NULL;
        _cleanup_free_ char *names = NULL, *words = NULL, *body = NULL, *title = NULL;
        size_t slots = in_use > e->n ? in_use : e->n;
        Arcadyan *a = A(r);
        char count[12];
        size_t n = 0, size = 0, name_size = 48;
        long status;
        int k;

        fields = calloc(5 + slots * _F_MAX, sizeof(HttpField));
        names = calloc(slots * _F_MAX + 1, name_size);
        if (!fields || !names)
                return -ENOMEM;
        snprintf(count, sizeof(count), "%zu", e->n);
        fields[n++] = (HttpField){ ARC.f_action, a->action };
        fields[n++] = (HttpField){ ARC.f_httoken, a->page_token };
        fields[n++] = (HttpField){ ARC.f_submit, a->submit };
        fields[n++] = (HttpField){ ARC.f_action_params, ARC.v_action_params };
        fields[n++] = (HttpField){ ARC.key_max, count };
        for (size_t i = 0; i < slots; i++)
                for (size_t j = 0; j < _F_MAX; j++) {
                        char *name = names + (i * _F_MAX + j) * name_size;

                        snprintf(name, name_size, "%s%zu_%s", ARC.key_prefix, i, field_names[j]);
                        fields[n++] = (HttpField){ name, i < e->n ? e->items[i].v[j] : j == F_ENABLE ? "0" : "" };
                }

        k = http_post_form(H(r), ARC.apply_cgi, a->page, fields, n, &body, &size);
        if (k < 0)
                return router_set_error(r, k, "%s", http_error(H(r)));
        status = http_last_status(H(r));
        if (status >= 300 && status <= 399) {
                const char *loc = http_last_location(H(r));

                if (loc && is_success_location(loc))
                        return 0;
                if (loc && strstr(loc, ARC.login_page))
                        return router_set_error(r, -ESTALE, "%s: session expired", what);
                return router_set_error(r, -EREMOTEIO, "%s: the router answered HTTP %ld to '%.100s', not to %s",
                                        what, status, loc ?: "(no Location)", ARC.success_page);
        }
        if (html_parse(body, size, &reply) < 0)
                return router_set_error(r, -EREMOTEIO, "%s: the router answered HTTP %ld with no page, not a redirect to %s",
                                        what, status, ARC.success_page);
        if (is_login_page(reply))
                return router_set_error(r, -ESTALE, "%s: session expired", what);
        if (html_red_text(reply, &words) >= 0)
                return airstation_refused(r, words);
        (void) html_title(reply, &title);
        return router_set_error(r, -EREMOTEIO, "%s: the router answered with the page '%.80s', not a redirect to %s",
                                what, title ?: "", ARC.success_page);
}

static void entry_done(Entry *e) {
        for (size_t j = 0; j < _F_MAX; j++)
                free(e->v[j]);
        *e = (Entry){};
}

/* Whether entry x holds f's key: the same key, or f is the tcp or udp half
 * of a "both" entry. */
static bool entry_holds_key(const Forward *x, const Forward *f) {
        Forward half;

        if (x->proto != PROTO_TCP_UDP || (f->proto != PROTO_TCP && f->proto != PROTO_UDP))
                return forward_same_key(x, f);
        half = *x;
        half.proto = f->proto;
        return forward_same_key(&half, f);
}

/* The index of the enabled entry with f's values (key, LAN address, and the
 * group when f has one), or -ENOENT. */
static int entries_find(const Entries *e, const Forward *f, size_t *ret) {
        for (size_t i = 0; i < e->n; i++) {
                Forward x;
                bool match;

                if (!entry_enabled(&e->items[i]))
                        continue;
                if (entry_to_forward(&e->items[i], (int) i, &x) < 0)
                        continue;
                match = entry_holds_key(&x, f) && x.lan_ip == f->lan_ip && (!f->group || streq_ptr(x.group, f->group));
                forward_done(&x);
                if (match) {
                        *ret = i;
                        return 0;
                }
        }
        return -ENOENT;
}

/* -EEXIST, the error naming the holder, when an enabled entry's key collides
 * with f's: the router would refuse the whole list. */
static int entries_check_free(Router *r, const Entries *e, const Forward *f) {
        for (size_t i = 0; i < e->n; i++) {
                char b[FORWARD_RULE_STRING_MAX + 40];
                Forward x;
                int k = 0;

                if (!entry_enabled(&e->items[i]))
                        continue;
                if (entry_to_forward(&e->items[i], (int) i, &x) < 0)
                        continue;
                if (forward_keys_overlap(&x, f))
                        k = router_set_error(r, -EEXIST, "a fresh read shows its key taken by %s; nothing sent",
                                             forward_to_string(&x, b, sizeof(b)));
                forward_done(&x);
                if (k < 0)
                        return k;
        }
        return 0;
}

static bool entry_is_both(const Entry *e) {
        return strcasecmp(e->v[F_PROTO], "both") == 0;
}

/* Removes the entry at, or, of a "both" entry, the half f is: the other
 * half stays as a tcp or udp entry. */
static int entries_remove(Entries *e, size_t at, const Forward *f) {
        if (entry_is_both(&e->items[at])) {
                char *p = strdup(f->proto == PROTO_TCP ? "udp" : "tcp");

                if (!p)
                        return -ENOMEM;
                free(e->items[at].v[F_PROTO]);
                e->items[at].v[F_PROTO] = p;
                return 0;
        }
        entry_done(&e->items[at]);
        memmove(&e->items[at], &e->items[at + 1], (e->n - at - 1) * sizeof(Entry));
        e->n--;
        return 0;
}

/* Writes every "both" entry still in the list as a tcp entry and, right
 * after it, a udp one: posted as it is, "both" would reach iptables -p and
 * stop the router loading its forwarding rules. Same meaning, one more
 * slot. Returns how many were split. */
static int entries_split_both(Entries *e, size_t *ret_split) {
        size_t split = 0;

        for (size_t i = 0; i < e->n; i++)
                if (entry_is_both(&e->items[i]))
                        split++;
        if (split > 0) {
                Entry *p = realloc(e->items, (e->n + split + 1) * sizeof(Entry));

                if (!p)
                        return -ENOMEM;
                e->items = p;
        }
        for (size_t i = 0; i < e->n; i++) {
                Entry twin = {};

                if (!entry_is_both(&e->items[i]))
                        continue;
                for (size_t j = 0; j < _F_MAX; j++) {
                        twin.v[j] = strdup(j == F_PROTO ? "udp" : e->items[i].v[j]);
                        if (!twin.v[j]) {
                                entry_done(&twin);
                                return -ENOMEM;
                        }
                }
                free(e->items[i].v[F_PROTO]);
                e->items[i].v[F_PROTO] = strdup("tcp");
                if (!e->items[i].v[F_PROTO]) {
                        entry_done(&twin);
                        return -ENOMEM;
                }
                memmove(&e->items[i + 2], &e->items[i + 1], (e->n - i - 1) * sizeof(Entry));
                e->items[i + 1] = twin;
                e->n++;
                i++;
        }
        *ret_split = split;
        return 0;
}

/* Applies steps, in their order, to the list as read: an add goes at the end
 * (taking adds[i]), a delete removes the entry with its values and the rest
 * move down one index; disabled entries stay. Checks every step against the
 * list as it stands then, and the limit on the result; on an error, sets
 * Router.error_step and nothing is to be sent. */
static int entries_apply(Router *r, Entries *e, const Steps *steps, Entry *adds) {
        size_t n_in_use = e->n, n_adds = 0, split = 0;
        ssize_t over = -1;
        Entry *p;
        int k;

        for (size_t i = 0; i < steps->n; i++)
                n_adds += steps->items[i].add;
        p = realloc(e->items, (e->n + n_adds + 1) * sizeof(Entry));
        if (!p)
                return -ENOMEM;
        e->items = p;

        for (size_t i = 0; i < steps->n; i++) {
                const Forward *f = &steps->items[i].f;
                size_t at;

                if (steps->items[i].add) {
                        k = entries_check_free(r, e, f);
                        if (k < 0) {
                                r->error_step = (ssize_t) i;
                                return k;
                        }
                        e->items[e->n++] = adds[i];
                        adds[i] = (Entry){};
                        if (e->n > max_entries(r) && over < 0)
                                over = (ssize_t) i;
                        continue;
                }
                if (entries_find(e, f, &at) < 0) {
                        r->error_step = (ssize_t) i;
                        return router_set_error(r, -ENOENT, "the entry to delete is no longer on the router");
                }
                k = entries_remove(e, at, f);
                if (k < 0)
                        return k;
                if (e->n <= max_entries(r))
                        over = -1;
        }
        k = entries_split_both(e, &split);
        if (k < 0)
                return k;
        /* disabled entries take a slot too; a list read longer than the
         * limit (MaxNum is tolerated up to 256) may still shrink */
        if (e->n > max_entries(r) && (n_adds > 0 || split > 0)) {
                r->error_step = over;
                return router_set_error(r, -ENOSPC,
                                        "%zu of its %zu entries in use, disabled ones included; %zu needed after the changes%s; not sent",
                                        n_in_use, max_entries(r), e->n,
                                        split > 0 ? " (each 'both' entry written as a tcp and a udp one)" : "");
        }
        return 0;
}

static void adds_free(Entry *adds, size_t n) {
        if (!adds)
                return;
        for (size_t i = 0; i < n; i++)
                entry_done(&adds[i]);
        free(adds);
}

/* Every change, one or a whole pass's: read the list afresh (fresh token),
 * apply the steps to it, and write it back in one post. What the router
 * cannot store is refused before any request. */
static int apply_once(Router *r, const Steps *steps) {
        _cleanup_(entries_done) Entries e = {};
        size_t in_use;
        Entry *adds;
        int k = 0;

        adds = calloc(steps->n ?: 1, sizeof(Entry));
        if (!adds)
                return -ENOMEM;
        for (size_t i = 0; k >= 0 && i < steps->n; i++)
                if (steps->items[i].add) {
                        k = entry_from_forward(r, &steps->items[i].f, &adds[i]);
                        if (k < 0 && k != -ENOMEM)
                                r->error_step = (ssize_t) i;
                }
        if (k >= 0)
                k = read_entries(r, &e);
        in_use = e.n;
        if (k >= 0)
                k = entries_apply(r, &e, steps, adds);
        adds_free(adds, steps->n);
        if (k < 0)
                return k;
        return submit_entries(r, &e, in_use, steps->n == 1 ? (steps->items[0].add ? "add" : "delete") : "write");
}

/* A session that ended between the read and the post changed nothing:
 * airstation_with_relogin() logs in again once and does it afresh. */
static int read_op(Router *r, void *arg) {
        return read_once(r, arg);
}
static int apply_op(Router *r, void *arg) {
        return apply_once(r, arg);
}

static int arc_read(Router *r, Table *ret) {
        return airstation_with_relogin(r, read_op, ret, A(r)->page);
}

static int arc_apply(Router *r, const Steps *steps) {
        return airstation_with_relogin(r, apply_op, (void *) steps, A(r)->page);
}

/* One change is a batch of one. */
static int arc_change(Router *r, bool add, const Forward *f) {
        Step step = { .add = add, .f = *f };

        return arc_apply(r, &(const Steps){ .items = &step, .n = 1 });
}

static int arc_add(Router *r, const Forward *f) {
        return arc_change(r, true, f);
}

static int arc_delete(Router *r, const Forward *f) {
        return arc_change(r, false, f);
}

const RouterDriver airstation_arcadyan_driver = {
        .init = arc_init,
        .done = arc_done,
        .login = arc_login,
        .read = arc_read,
        .add = arc_add,
        .delete = arc_delete,
        .logout = arc_logout,
        .apply = arc_apply,
};
