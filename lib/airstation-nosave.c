/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Buffalo AirStation, firmware family "nosave" (WHR-1166DHP/DHP3,
 * WSR-1166DHP3, WSR-1166DHPL2).
 *
 * Evidence: fa0311/AirStation-cli AirStationCli/AirStationAPI.py (tested on a
 * WSR-1166DHPL2) and sanpei3/buffalo-rateup; see doc/airstation.md, "nosave".
 * Every page, field and fixed value of the family is in the table below;
 * "UNKNOWN" marks what the evidence does not settle. */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "airstation-parse.h"
#include "macro.h"
#include "time-util.h"

static const struct {
        /* pages */
        const char *login_page, *logout_page, *table_page, *change_query;
        /* login form */
        const char *f_session, *f_username, *f_password, *f_mobile, *v_mobile;
        /* titles */
        const char *title_redirect, *title_success;
        /* table: <span id="<prefix><row id>">; id_name only on a group's first row */
        const char *span_name, *span_wan, *span_lanip, *span_proto, *span_wport, *span_lport;
        /* add/delete form, POST table_page + change_query */
        const char *f_grp_list, *f_grp_name, *v_grp_list_existing;
        const char *f_wan, *v_wan_router, *v_wan_manual, *f_manual_ip;
        const char *f_proto, *v_proto_all, *v_proto_icmp, *v_proto_one, *v_proto_tcpudp, *f_prot_num;
        const char *f_port_type, *v_port_tcp, *v_port_udp;
        const char *f_wport, *f_lport, *f_lanip;
        const char *f_add, *v_add, *f_add_tmp, *v_add_tmp, *f_erritem, *f_errcontent, *f_del;
} NOSAVE = {
        .login_page = "/login.html",
        .logout_page = "/logout.html",
        .table_page = "/nat_reg.html",
        /* AirStation-cli sends a JS Date string; a cache buster, the value
         * is not known to be checked (UNKNOWN): we send milliseconds. */
        .change_query = "timestampt",

        .f_session = "nosave_session_num",
        .f_username = "nosave_Username",
        .f_password = "nosave_Password",
        .f_mobile = "MobileDevice",
        .v_mobile = "0",

        .title_redirect = "Redirect Page",
        .title_success = "しばらくお待ちください。",

        .span_name = "id_name",
        .span_wan = "id_wan",
        .span_lanip = "id_lanip",
        .span_proto = "id_proto",
        .span_wport = "id_wport",
        .span_lport = "id_lport",

        /* Existing group: grpList=-1 and grpName=<name>; a new group:
         * grpList=<name>. As the evidence does it; looks inverted (UNKNOWN). */
        .f_grp_list = "nosave_grpList",
        .f_grp_name = "nosave_grpName",
        .v_grp_list_existing = "-1",
        .f_wan = "nosave_wan",
        .v_wan_router = "wan",
        .v_wan_manual = "manual",
        .f_manual_ip = "nosave_manualIP",
        .f_proto = "nosave_proto",
        .v_proto_all = "all",
        .v_proto_icmp = "icmp",
        .v_proto_one = "one",        /* with nosave_ProtNum: gre 47, esp 50, ... */
        .v_proto_tcpudp = "tcp/udp", /* with nosave_PortType tcp or udp */
        .f_prot_num = "nosave_ProtNum",
        .f_port_type = "nosave_PortType",
        .v_port_tcp = "tcp",
        .v_port_udp = "udp",
        .f_wport = "nosave_wport", /* range syntax "A-B" (UNKNOWN) */
        .f_lport = "nosave_lport", /* empty: same as the WAN port (UNKNOWN) */
        .f_lanip = "nosave_lanip",
        .f_add = "nosave_add",
        .v_add = "1",
        .f_add_tmp = "nosave_add_tmp",
        .v_add_tmp = "0",
        .f_erritem = "nosave_erritem",
        .f_errcontent = "nosave_errcontent",
        .f_del = "nosave_del",
};

/* Cell texts (UNKNOWN on a real router; what they could plausibly be). */
static const char *const same_as_wan_texts[] = { "", "-", "same as WAN port", "WAN側ポートと同じ" };
static const char *const proto_all_texts[] = { "all", "全て", "すべて", "any" };
static HttpClient *H(Router *r) {
        return airstation_http(r);
}

static int fetch(Router *r, const char *path, const char *referer, const HttpField *fields, size_t n_fields,
                 char **ret_raw, htmlDocPtr *ret_doc) {
        return airstation_fetch(r, path, referer, fields, n_fields, ret_raw, ret_doc);
}

/* The family's state: the table page the last read left unused. Its
 * session number has not been posted yet, so the first change after a read
 * posts with it instead of reading the page again: a pass of N changes makes
 * 4 + 2N requests (doc/benchmarks.md). A login, a logout and every post
 * drop it. */
typedef struct Nosave {
        AirStation base;
        htmlDocPtr unused_page;
} Nosave;

#define N(r) ((Nosave *) (r)->data)

static void drop_page(Router *r) {
        html_free(N(r)->unused_page);
        N(r)->unused_page = NULL;
}

static int nosave_init(Router *r) {
        return airstation_init(r, sizeof(Nosave));
}

static void nosave_done(Router *r) {
        if (r->data)
                drop_page(r);
        airstation_done(r);
}

bool airstation_nosave_probe(const char *page, size_t size) {
        _cleanup_(html_freep) htmlDocPtr doc = NULL;

        /* <input type="hidden" name="nosave_session_num" value="..."> */
        return html_parse(page, size, &doc) >= 0 && html_find(doc, "input", "name", NOSAVE.f_session);
}

/* The router's own words on a page: the red div, else the error content
 * field, else the title. */
static char *router_words(htmlDocPtr doc) {
        char *s = NULL;

        if (html_red_text(doc, &s) >= 0)
                return s;
        if (html_input_value(doc, NOSAVE.f_errcontent, &s) >= 0 && s[0])
                return html_collapse_space(s);
        free(s);
        s = NULL;
        if (html_title(doc, &s) >= 0)
                return s;
        return strdup("(no message)");
}

/* ---- login ---- */

static int nosave_login(Router *r) {
        _cleanup_(html_freep) htmlDocPtr doc = NULL, reply = NULL;
        _cleanup_free_ char *session = NULL, *words = NULL;
        int k;

        drop_page(r); /* its session number was the old session's */
        k = fetch(r, NOSAVE.login_page, NULL, NULL, 0, NULL, &doc);
        if (k < 0)
                return k;
        if (html_input_value(doc, NOSAVE.f_session, &session) < 0)
                return router_set_error(r, -EBADMSG, "%s has no %s: not a nosave AirStation", NOSAVE.login_page,
                                        NOSAVE.f_session);

        const HttpField fields[] = {
                { NOSAVE.f_username, r->config->username ?: "admin" },
                { NOSAVE.f_password, r->password },
                { NOSAVE.f_mobile, NOSAVE.v_mobile },
                { NOSAVE.f_session, session },
        };
        k = fetch(r, NOSAVE.login_page, NOSAVE.login_page, fields, ELEMENTSOF(fields), NULL, &reply);
        if (k < 0)
                return k;

        /* A rejected login answers with the login form again (and the
         * reason in red); anything else is taken as logged in, which the
         * table read then confirms. */
        if (html_find(reply, "input", "name", NOSAVE.f_password)) {
                words = router_words(reply);
                return router_set_error(r, -EACCES, "%s", words ?: "(no message)");
        }
        if (html_red_text(reply, &words) >= 0)
                return router_set_error(r, -EREMOTEIO, "login failed: %s", words);
        return 0;
}

static int nosave_logout(Router *r) {
        _cleanup_free_ char *body = NULL;
        int k;

        drop_page(r);
        k = http_get(H(r), NOSAVE.logout_page, NOSAVE.table_page, &body, NULL);
        if (k < 0)
                return router_set_error(r, k, "%s", http_error(H(r)));
        return 0;
}

/* ---- reading the table ---- */

typedef struct Row {
        unsigned id;
        char *cell[6]; /* name, wan, lanip, proto, wport, lport */
} Row;

/* the rows a table page may hold: more than any AirStation keeps */
#define ROWS_MAX 4096

typedef struct Rows {
        Row *items;
        size_t n;
        char error[256]; /* why the spans could not be collected */
} Rows;

static void rows_done(Rows *rows) {
        for (size_t i = 0; i < rows->n; i++)
                for (size_t j = 0; j < ELEMENTSOF(rows->items[i].cell); j++)
                        free(rows->items[i].cell[j]);
        free(rows->items);
        rows->items = NULL;
        rows->n = 0;
}

/* A span the table cannot be read without: the read stops (a row left out
 * would look like a forward to add again). */
static int collect_span(const char *prefix, const char *id, unsigned number, const char *text, void *userdata) {
        const char *const prefixes[] = { NOSAVE.span_name,  NOSAVE.span_wan,   NOSAVE.span_lanip,
                                         NOSAVE.span_proto, NOSAVE.span_wport, NOSAVE.span_lport };
        Rows *rows = userdata;
        Row *row = NULL;
        size_t j;

        if (number == HTML_ID_MALFORMED) {
                snprintf(rows->error, sizeof rows->error,
                         "<span id=\"%.64s\">: what follows the prefix is not a row number (0 to 2147483647)", id);
                return -EBADMSG;
        }
        for (j = 0; j < ELEMENTSOF(prefixes); j++)
                if (streq(prefix, prefixes[j]))
                        break;
        /* the spans of a row come together: look from the last row back */
        for (size_t i = rows->n; i > 0 && !row; i--)
                if (rows->items[i - 1].id == number)
                        row = &rows->items[i - 1];
        if (!row) {
                Row *p;

                if (rows->n >= ROWS_MAX) {
                        snprintf(rows->error, sizeof rows->error,
                                 "more than %d rows: no AirStation's table holds that many", ROWS_MAX);
                        return -E2BIG;
                }
                p = realloc(rows->items, (rows->n + 1) * sizeof(Row));
                if (!p)
                        return -ENOMEM;
                rows->items = p;
                row = &rows->items[rows->n++];
                *row = (Row){ .id = number };
        }
        if (row->cell[j]) {
                snprintf(rows->error, sizeof rows->error, "<span id=\"%.64s\"> twice: which one is the row's?", id);
                return -EBADMSG;
        }
        row->cell[j] = strdup(text);
        return row->cell[j] ? 0 : -ENOMEM;
}

static bool text_in(const char *s, const char *const *list, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (strcasecmp(s, list[i]) == 0)
                        return true;
        return false;
}

static int parse_proto_cell(const char *s) {
        const char *p;
        int v;

        if (text_in(s, proto_all_texts, ELEMENTSOF(proto_all_texts)))
                return PROTO_ALL;
        v = proto_from_string(s);
        if (v >= 0)
                return v;
        /* "プロトコル番号 47", "Protocol 47": a trailing number (UNKNOWN) */
        p = s + strlen(s);
        while (p > s && isdigit((unsigned char) p[-1]))
                p--;
        if (*p && p > s)
                return proto_from_string(p);
        return -EINVAL;
}

static int parse_ports_cell(const char *s, PortRange *ret) {
        char buf[32];
        size_t l = 0;

        /* "1723", "60000-60010"; also "60000~60010" (UNKNOWN syntax) */
        for (const char *p = s; *p; p++) {
                if (l >= sizeof(buf) - 1)
                        return -EINVAL;
                if (*p == ' ')
                        continue;
                if (*p == '~')
                        buf[l++] = '-';
                else if (strncmp(p, "～", strlen("～")) == 0 || strncmp(p, "〜", strlen("〜")) == 0) {
                        buf[l++] = '-';
                        p += strlen("～") - 1;
                } else
                        buf[l++] = *p;
        }
        buf[l] = '\0';
        return port_range_from_string(buf, ret);
}

static int row_to_forward(const Row *row, const char *group, Forward *ret) {
        Forward f = { .router_id = (int) row->id };
        int k;

        for (size_t j = 1; j < ELEMENTSOF(row->cell); j++)
                if (!row->cell[j])
                        return -EBADMSG;

        if (ipv4_from_string(row->cell[1], &f.wan) < 0)
                f.wan = WAN_ROUTER; /* "AirStationのWAN側IPアドレス" (wording UNKNOWN) */
        if (ipv4_from_string(row->cell[2], &f.lan_ip) < 0)
                return -EBADMSG;
        f.proto = parse_proto_cell(row->cell[3]);
        if (f.proto < 0)
                return -EBADMSG;
        if (f.proto == PROTO_TCP_UDP)
                return -EBADMSG; /* this family keeps tcp and udp apart */
        if (proto_has_ports(f.proto)) {
                k = parse_ports_cell(row->cell[4], &f.ports);
                if (k < 0)
                        return -EBADMSG;
                if (text_in(row->cell[5], same_as_wan_texts, ELEMENTSOF(same_as_wan_texts)))
                        f.lan_ports = f.ports;
                else if (parse_ports_cell(row->cell[5], &f.lan_ports) < 0)
                        return -EBADMSG;
                if (!airstation_lan_ports_fit(f.ports, f.lan_ports))
                        return -EBADMSG;
        }
        if (group) {
                f.group = strdup(group);
                if (!f.group)
                        return -ENOMEM;
        }
        *ret = f;
        return 0;
}

#define EXCERPT_MAX 48

/* A cell for a message: "?" when missing, else at most 40 bytes of it, cut
 * between characters, "..." when cut. */
static const char *excerpt(const char *s, char buf[static EXCERPT_MAX]) {
        size_t l;

        if (!s)
                return "?";
        l = strlen(s);
        if (l <= 40)
                return s;
        l = 40;
        while (l > 0 && ((unsigned char) s[l] & 0xc0) == 0x80)
                l--;
        snprintf(buf, EXCERPT_MAX, "%.*s...", (int) l, s);
        return buf;
}

/* Checks that doc is the whole table page; 0 if so, -ESTALE for an expired
 * session, -EBADMSG (with the error set) otherwise. */
static int check_table_page(Router *r, const char *raw, htmlDocPtr doc) {
        const char *p;
        xmlNodePtr form;

        if (airstation_title_is(doc, NOSAVE.title_redirect))
                return -ESTALE;
        if (html_find(doc, "input", "name", NOSAVE.f_password))
                return router_set_error(r, -EBADMSG, "%s: got the login page instead of the table",
                                        NOSAVE.table_page);
        /* Truncation first, or a page cut before its form would be called
         * another page: the parser closes what is missing, so look at the
         * bytes: the document must end with its </html>. */
        p = raw + strlen(raw);
        while (p > raw && isspace((unsigned char) p[-1]))
                p--;
        if (p - raw < 7 || strncasecmp(p - 7, "</html>", 7) != 0)
                return router_set_error(r, -EBADMSG, "%s: page truncated (no closing </html>)",
                                        NOSAVE.table_page);
        /* its form, with the session number that every change needs (the
         * form's action and other inputs are UNKNOWN, so not required) */
        form = html_find(doc, "form", NULL, NULL);
        if (!form || !html_find(doc, "input", "name", NOSAVE.f_session))
                return router_set_error(r, -EBADMSG, "%s: not the port forwarding page (no form with %s)",
                                        NOSAVE.table_page, NOSAVE.f_session);
        return 0;
}

/* Parses a table page into ret (appending). */
static int parse_table(Router *r, htmlDocPtr doc, Table *ret) {
        const char *const prefixes[] = { NOSAVE.span_name,  NOSAVE.span_wan,   NOSAVE.span_lanip,
                                         NOSAVE.span_proto, NOSAVE.span_wport, NOSAVE.span_lport };
        _cleanup_(rows_done) Rows rows = {};
        const char *group = NULL;
        int k;

        k = html_foreach_id_prefix(doc, "span", prefixes, ELEMENTSOF(prefixes), collect_span, &rows);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return router_set_error(r, -EBADMSG, "%s: cannot read the table: %s", NOSAVE.table_page,
                                        rows.error[0] ? rows.error : strerror(-k));

        for (size_t i = 0; i < rows.n; i++) {
                Forward f;

                if (rows.items[i].cell[0])
                        group = rows.items[i].cell[0]; /* carried forward to the group's next rows */
                if (group && !airstation_text_is_utf8(group))
                        return router_set_error(r, -EBADMSG,
                                                "%s: row %u: the group name is not valid UTF-8 (the page is not in the charset it declares)",
                                                NOSAVE.table_page, rows.items[i].id);
                k = row_to_forward(&rows.items[i], group, &f);
                if (k == -ENOMEM)
                        return k;
                if (k < 0)
                        return router_set_error(r, -EBADMSG,
                                                "%s: row %u unreadable (wan '%s', lan '%s', proto '%s', ports '%s', lan ports '%s')",
                                                NOSAVE.table_page, rows.items[i].id,
                                                excerpt(rows.items[i].cell[1], (char[EXCERPT_MAX]){}),
                                                excerpt(rows.items[i].cell[2], (char[EXCERPT_MAX]){}),
                                                excerpt(rows.items[i].cell[3], (char[EXCERPT_MAX]){}),
                                                excerpt(rows.items[i].cell[4], (char[EXCERPT_MAX]){}),
                                                excerpt(rows.items[i].cell[5], (char[EXCERPT_MAX]){}));
                k = table_add_take(ret, &f);
                forward_done(&f);
                if (k < 0)
                        return k;
        }
        return 0;
}

int nosave_parse_table_page(Router *r, const char *raw, htmlDocPtr doc, Table *ret) {
        int k = check_table_page(r, raw, doc);

        if (k < 0)
                return k;
        return parse_table(r, doc, ret);
}

/* Reads the table page; the page is returned too, for its session number.
 * -ESTALE when the session has ended. */
static int read_page(Router *r, htmlDocPtr *ret_doc, Table *ret) {
        _cleanup_(html_freep) htmlDocPtr doc = NULL;
        _cleanup_free_ char *raw = NULL;
        int k;

        k = fetch(r, NOSAVE.table_page, "/index_adv.html", NULL, 0, &raw, &doc);
        if (k < 0)
                return k;
        k = check_table_page(r, raw, doc);
        if (k < 0)
                return k;
        if (ret) {
                Table t;

                table_init(&t);
                k = parse_table(r, doc, &t);
                if (k < 0) {
                        table_done(&t);
                        return k;
                }
                *ret = t;
        }
        if (ret_doc)
                *ret_doc = TAKE_PTR(doc);
        return 0;
}

static int read_op(Router *r, void *arg) {
        htmlDocPtr doc = NULL;
        int k = read_page(r, &doc, arg);

        if (k >= 0) {
                drop_page(r);
                N(r)->unused_page = doc;
        }
        return k;
}

/* The page a change posts against: the one the last read left unused, else
 * read afresh. Either way its table is parsed from it. */
static int change_page(Router *r, htmlDocPtr *ret_doc, Table *ret) {
        int k;

        if (!N(r)->unused_page)
                return read_page(r, ret_doc, ret);
        table_init(ret);
        k = parse_table(r, N(r)->unused_page, ret);
        if (k < 0) {
                table_done(ret);
                return k;
        }
        *ret_doc = TAKE_PTR(N(r)->unused_page);
        return 0;
}

static int nosave_read(Router *r, Table *ret) {
        return airstation_with_relogin(r, read_op, ret, NOSAVE.table_page);
}

/* ---- changes ---- */

static int submit_change(Router *r, const HttpField *fields, size_t n_fields, const char *what) {
        _cleanup_(html_freep) htmlDocPtr reply = NULL;
        _cleanup_free_ char *path = NULL, *words = NULL;
        int k;

        if (asprintf(&path, "%s?%s=%llu", NOSAVE.table_page, NOSAVE.change_query,
                     (unsigned long long) (now_usec(CLOCK_REALTIME) / USEC_PER_MSEC)) < 0)
                return -ENOMEM;

        k = fetch(r, path, NOSAVE.table_page, fields, n_fields, NULL, &reply);
        if (k < 0)
                return k;
        /* the wait page is the only success */
        if (airstation_title_is(reply, NOSAVE.title_success))
                return 0;

        /* Not logged in (any more): the router did nothing. */
        if (airstation_title_is(reply, NOSAVE.title_redirect))
                return router_set_error(r, -ESTALE, "%s: session expired", what);
        words = router_words(reply);
        return airstation_refused(r, words ?: "(no message)");
}

static bool group_exists(const Table *t, const char *group) {
        for (size_t i = 0; i < t->n; i++)
                if (streq_ptr(t->items[i].group, group))
                        return true;
        return false;
}

/* What the add form cannot express (beyond the registry row's limits),
 * refused before any request. */
static int nosave_check(Router *r, const Forward *f) {
        if (f->proto == PROTO_TCP_UDP)
                return router_set_error(r, -EPROTONOSUPPORT, "this router stores tcp and udp as separate entries");
        return 0;
}

static int add_once(Router *r, const Forward *f) {
        _cleanup_(html_freep) htmlDocPtr doc = NULL;
        _cleanup_(table_done) Table t = {};
        _cleanup_free_ char *session = NULL;
        char wan[16], lan[16], wport[12], lport[12], protnum[4];
        HttpField fields[20];
        size_t n = 0;
        int k;

        k = router_check_add(r, f);
        if (k < 0)
                return k;

        k = change_page(r, &doc, &t);
        if (k < 0)
                return k;
        if (html_input_value(doc, NOSAVE.f_session, &session) < 0)
                return router_set_error(r, -EBADMSG, "%s: no session number", NOSAVE.table_page);

        if (group_exists(&t, f->group)) {
                fields[n++] = (HttpField){ NOSAVE.f_grp_list, NOSAVE.v_grp_list_existing };
                fields[n++] = (HttpField){ NOSAVE.f_grp_name, f->group };
        } else
                fields[n++] = (HttpField){ NOSAVE.f_grp_list, f->group };

        if (f->wan == WAN_ROUTER)
                fields[n++] = (HttpField){ NOSAVE.f_wan, NOSAVE.v_wan_router };
        else {
                fields[n++] = (HttpField){ NOSAVE.f_wan, NOSAVE.v_wan_manual };
                fields[n++] = (HttpField){ NOSAVE.f_manual_ip, ipv4_to_string(f->wan, wan) };
        }

        switch (f->proto) {
        case PROTO_ALL:
                fields[n++] = (HttpField){ NOSAVE.f_proto, NOSAVE.v_proto_all };
                break;
        case PROTO_ICMP:
                fields[n++] = (HttpField){ NOSAVE.f_proto, NOSAVE.v_proto_icmp };
                break;
        case PROTO_TCP:
        case PROTO_UDP:
                fields[n++] = (HttpField){ NOSAVE.f_proto, NOSAVE.v_proto_tcpudp };
                fields[n++] = (HttpField){ NOSAVE.f_port_type,
                                           f->proto == PROTO_TCP ? NOSAVE.v_port_tcp : NOSAVE.v_port_udp };
                fields[n++] = (HttpField){ NOSAVE.f_wport, port_range_to_string(f->ports, wport) };
                fields[n++] = (HttpField){ NOSAVE.f_lport, port_range_to_string(f->lan_ports, lport) };
                break;
        default:
                snprintf(protnum, sizeof(protnum), "%d", f->proto);
                fields[n++] = (HttpField){ NOSAVE.f_proto, NOSAVE.v_proto_one };
                fields[n++] = (HttpField){ NOSAVE.f_prot_num, protnum };
        }

        fields[n++] = (HttpField){ NOSAVE.f_lanip, ipv4_to_string(f->lan_ip, lan) };
        fields[n++] = (HttpField){ NOSAVE.f_add, NOSAVE.v_add };
        fields[n++] = (HttpField){ NOSAVE.f_add_tmp, NOSAVE.v_add_tmp };
        fields[n++] = (HttpField){ NOSAVE.f_erritem, "" };
        fields[n++] = (HttpField){ NOSAVE.f_errcontent, "" };
        fields[n++] = (HttpField){ NOSAVE.f_session, session };

        return submit_change(r, fields, n, "add");
}

static int delete_once(Router *r, const Forward *f) {
        _cleanup_(html_freep) htmlDocPtr doc = NULL;
        _cleanup_(table_done) Table t = {};
        _cleanup_free_ char *session = NULL;
        const Forward *row = NULL;
        char id[16], lan[16];

        int k = change_page(r, &doc, &t);
        if (k < 0)
                return k;

        /* locate the row by its values in this page */
        for (size_t i = 0; i < t.n; i++)
                if (forward_same_key(&t.items[i], f) && t.items[i].lan_ip == f->lan_ip &&
                    (!f->group || streq_ptr(t.items[i].group, f->group))) {
                        row = &t.items[i];
                        break;
                }
        if (!row)
                return router_set_error(r, -ENOENT, "the entry to delete is no longer on the router");
        if (html_input_value(doc, NOSAVE.f_session, &session) < 0)
                return router_set_error(r, -EBADMSG, "%s: no session number", NOSAVE.table_page);

        snprintf(id, sizeof(id), "%d", row->router_id);
        /* the placeholders AirStation-cli sends with a delete */
        const HttpField fields[] = {
                { NOSAVE.f_grp_list, NOSAVE.v_grp_list_existing },
                { NOSAVE.f_grp_name, "" },
                { NOSAVE.f_wan, NOSAVE.v_wan_router },
                { NOSAVE.f_proto, NOSAVE.v_proto_tcpudp },
                { NOSAVE.f_port_type, NOSAVE.v_port_tcp },
                { NOSAVE.f_wport, "" },
                { NOSAVE.f_lanip, ipv4_to_string(row->lan_ip, lan) },
                { NOSAVE.f_lport, "" },
                { NOSAVE.f_add_tmp, NOSAVE.v_add_tmp },
                { NOSAVE.f_del, id },
                { NOSAVE.f_erritem, "" },
                { NOSAVE.f_errcontent, "" },
                { NOSAVE.f_session, session },
        };
        return submit_change(r, fields, ELEMENTSOF(fields), "delete");
}

/* A session that expired between reading the page and posting the form did
 * nothing on the router: log in again once and do the whole change afresh
 * (read, locate, post). */
static int add_op(Router *r, void *arg) {
        return add_once(r, arg);
}

static int delete_op(Router *r, void *arg) {
        return delete_once(r, arg);
}

static int nosave_add(Router *r, const Forward *f) {
        return airstation_with_relogin(r, add_op, (void *) f, NOSAVE.table_page);
}

static int nosave_delete(Router *r, const Forward *f) {
        return airstation_with_relogin(r, delete_op, (void *) f, NOSAVE.table_page);
}

const RouterDriver airstation_nosave_driver = {
        .init = nosave_init,
        .done = nosave_done,
        .login = nosave_login,
        .read = nosave_read,
        .add = nosave_add,
        .delete = nosave_delete,
        .logout = nosave_logout,
        .check = nosave_check,
};
