/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "export.h"
#include "log.h"
#include "utf8.h"
#include "macro.h"

/* The presets lib/config.c knows (its error message lists them); their
 * contents are taken from config.c itself, see preset_matches(). */
static const char *const preset_names[] = { "pptp", "l2tp-ipsec", "ikev2", "openvpn", "wireguard" };

/* ---- YAML scalars ---- */

/* A character YAML does not take as plain text in a scalar: its line
 * breaks beyond \n and \r (NEL, LS, PS), the byte order mark, and what is
 * not printable (C1 controls, U+FFFE, U+FFFF). Written escaped, quoted. */
static bool yaml_special(uint32_t c) {
        return c == 0x85 || c == 0x2028 || c == 0x2029 || c == 0xfeff || (c >= 0x80 && c < 0xa0) || c == 0xfffe ||
               c == 0xffff;
}

static bool plain_is_safe(const char *s) {
        static const char *const special_words[] = { "true", "false", "yes", "no", "on", "off", "y", "n",
                                                     "null", "~", ".inf", "-.inf", ".nan" };
        size_t l = strlen(s);
        bool numeric = true, digit = false;

        if (l == 0 || isspace((unsigned char) s[0]) || isspace((unsigned char) s[l - 1]))
                return false;
        if (strchr("-?:,[]{}#&*!|>'\"%@`", s[0]))
                return false;
        for (size_t i = 0; i < ELEMENTSOF(special_words); i++)
                if (strcasecmp(s, special_words[i]) == 0)
                        return false;
        for (const char *p = s; *p; p++) {
                unsigned char c = (unsigned char) *p;

                if (c < 0x20 || c == 0x7f)
                        return false;
                if (c >= 0x80) {
                        uint32_t u;
                        size_t n = utf8_decode((const unsigned char *) p, &u);

                        if (n == 0 || yaml_special(u))
                                return false;
                        p += n - 1;
                        numeric = false;
                        continue;
                }
                if ((c == ':' && (p[1] == ' ' || p[1] == '\0')) || (c == '#' && p > s && p[-1] == ' '))
                        return false;
                /* flow indicators would end a { ... } mapping */
                if (strchr(",[]{}", c))
                        return false;
                if (isdigit(c))
                        digit = true;
                else if (!strchr(".+-_eExXoO", c))
                        numeric = false;
        }
        /* anything that could read as a number or a date stays a string */
        return !((numeric && digit) || isdigit((unsigned char) s[0]));
}

/* s must be valid UTF-8 (the drivers refuse other group names); a byte
 * that is not is written as U+FFFD. */
void export_write_scalar(FILE *f, const char *s) {
        if (plain_is_safe(s)) {
                fputs(s, f);
                return;
        }
        fputc('"', f);
        for (const char *p = s; *p; p++) {
                unsigned char c = (unsigned char) *p;
                uint32_t u;
                size_t n;

                if (c == '"' || c == '\\')
                        fprintf(f, "\\%c", c);
                else if (c < 0x20 || c == 0x7f)
                        fprintf(f, "\\x%02x", c);
                else if (c < 0x80)
                        fputc(c, f);
                else if ((n = utf8_decode((const unsigned char *) p, &u)) == 0)
                        fputs("\\uFFFD", f);
                else {
                        if (u == 0x85)
                                fputs("\\N", f);
                        else if (u == 0x2028)
                                fputs("\\L", f);
                        else if (u == 0x2029)
                                fputs("\\P", f);
                        else if (yaml_special(u))
                                fprintf(f, "\\u%04X", (unsigned) u);
                        else
                                fwrite(p, 1, n, f);
                        p += n - 1;
                }
        }
        fputc('"', f);
}

/* ---- presets ---- */

typedef struct Preset {
        const char *name;
        Table forwards; /* expanded by lib/config.c, lan_ip 10.0.0.1 */
} Preset;

static int preset_load(const char *name, Preset *ret) {
        _cleanup_(config_errors_done) ConfigErrors errors = {};
        _cleanup_(freep) char *text = NULL;
        Config *c = NULL;
        int k;

        if (asprintf(&text,
                     "version: 1\nrouter:\n  driver: airstation\n  url: http://192.0.2.1\n  password_file: /dev/null\n"
                     "defaults:\n  lan_ip: 10.0.0.1\ngroups:\n  - name: x\n    preset: %s\n",
                     name) < 0)
                return -ENOMEM;
        k = config_load_buffer("preset", text, strlen(text), &c, &errors);
        if (k < 0)
                return k;
        ret->name = name;
        ret->forwards = c->desired;
        c->desired = (Table){};
        config_free(c);
        return 0;
}

/* The group's forwards (indexes idx[0..n)) are exactly preset p: the same
 * (proto, ports) multiset, lan ports as the wan ports, one lan_ip and one wan. */
static bool preset_matches(const Preset *p, const Table *t, const size_t *idx, size_t n) {
        bool used[8] = {};

        if (n != p->forwards.n || n > ELEMENTSOF(used))
                return false;
        for (size_t i = 0; i < n; i++) {
                const Forward *f = &t->items[idx[i]];
                size_t j;

                if (f->lan_ip != t->items[idx[0]].lan_ip || f->wan != t->items[idx[0]].wan)
                        return false;
                if (f->lan_ports.first != f->ports.first || f->lan_ports.last != f->ports.last)
                        return false;
                for (j = 0; j < n; j++) {
                        const Forward *q = &p->forwards.items[j];

                        if (!used[j] && q->proto == f->proto && q->ports.first == f->ports.first &&
                            q->ports.last == f->ports.last)
                                break;
                }
                if (j >= n)
                        return false;
                used[j] = true;
        }
        return true;
}

/* ---- the file ---- */

static void write_key(FILE *f, const char *indent, const char *key, const char *value) {
        fprintf(f, "%s%s: ", indent, key);
        export_write_scalar(f, value);
        fputc('\n', f);
}

/* A relative password_file is relative to the config file's directory, and
 * the export is written elsewhere: name the file absolutely. */
static int absolute_password_file(const Config *c, char **ret) {
        _cleanup_(freep) char *dir = NULL, *real = NULL;
        const char *slash = c->path ? strrchr(c->path, '/') : NULL;

        if (c->password_file[0] == '/') {
                *ret = strdup(c->password_file);
                return *ret ? 0 : -ENOMEM;
        }
        dir = slash ? strndup(c->path, slash == c->path ? 1 : (size_t) (slash - c->path)) : strdup(".");
        if (!dir)
                return -ENOMEM;
        real = realpath(dir, NULL);
        if (!real)
                return -errno;
        if (asprintf(ret, "%s/%s", streq(real, "/") ? "" : real, c->password_file) < 0)
                return -ENOMEM;
        return 0;
}

static void write_router(const Config *c, const char *password_file, FILE *f) {
        fputs("router:\n", f);
        fprintf(f, "  driver: %s\n", c->backend->driver);
        if (c->url)
                write_key(f, "  ", "url", c->url);
        if (c->username)
                write_key(f, "  ", "username", c->username);
        if (password_file)
                write_key(f, "  ", "password_file", password_file);
        if (c->password_credential)
                write_key(f, "  ", "password_credential", c->password_credential);
        if (c->backend->family)
                fprintf(f, "  firmware: %s\n", c->backend->family);
        if (c->timeout_usec >= USEC_PER_SEC && c->timeout_usec % USEC_PER_SEC == 0) {
                fprintf(f, "  timeout: %s\n", format_duration(c->timeout_usec, (char[32]){}));
        }
        if (c->airstation_page || c->airstation_action) {
                fputs("  airstation:\n", f);
                if (c->airstation_page)
                        write_key(f, "    ", "page", c->airstation_page);
                if (c->airstation_action)
                        write_key(f, "    ", "action", c->airstation_action);
        }
}

/* Whether the file can name the group: a file of this router section and
 * that group alone, loaded as 'portkeep check' loads it (this driver's
 * limits included), has the same name back. Else why says what check says. */
static int group_name_fits(const char *router, const char *name, char *why, size_t size) {
        _cleanup_(config_errors_done) ConfigErrors errors = {};
        _cleanup_(freep) char *text = NULL;
        size_t l = 0;
        Config *c = NULL;
        FILE *f = open_memstream(&text, &l);
        bool same;
        int k;

        if (!f)
                return -ENOMEM;
        fprintf(f, "version: 1\n%sgroups:\n  - name: ", router);
        export_write_scalar(f, name);
        fputs("\n    forwards: []\n", f);
        if (fclose(f) != 0)
                return -ENOMEM;
        k = config_load_buffer("export", text, l, &c, &errors);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                snprintf(why, size, "%s", errors.n ? errors.items[0].message : "portkeep check refuses it");
                return 0;
        }
        same = c->n_groups == 1 && streq(c->groups[0], name);
        config_free(c);
        if (!same)
                snprintf(why, size, "the file would read it back as another name");
        return same;
}

/* The lan_ip more than half of the forwards use, or 0 (none). */
static uint32_t dominant_lan_ip(const Table *t) {
        for (size_t i = 0; i < t->n; i++) {
                size_t count = 0;

                if (!t->items[i].group)
                        continue;
                for (size_t j = 0; j < t->n; j++)
                        count += t->items[j].group && t->items[j].lan_ip == t->items[i].lan_ip;
                if (count * 2 > t->n)
                        return t->items[i].lan_ip;
        }
        return 0;
}

static void write_forward(FILE *f, const Forward *x, uint32_t lan_default, uint32_t wan_default) {
        char p[4], b[16], r[12];

        fprintf(f, "      - { proto: %s", proto_to_string(x->proto, p));
        if (port_range_is_set(x->ports)) {
                fprintf(f, ", port: %s", port_range_to_string(x->ports, r));
                if (x->lan_ports.first != x->ports.first || x->lan_ports.last != x->ports.last)
                        fprintf(f, ", lan_port: %s", port_range_to_string(x->lan_ports, r));
        }
        if (x->lan_ip != lan_default)
                fprintf(f, ", lan_ip: %s", ipv4_to_string(x->lan_ip, b));
        if (x->wan != wan_default)
                fprintf(f, ", wan: %s", wan_to_string(x->wan, b));
        fputs(" }\n", f);
}

/* A tcp and a udp entry that differ in nothing else are one tcp/udp forward
 * (as routers that split tcp/udp store one). */
static bool twins(const Forward *tcp, const Forward *udp) {
        Forward u = *udp;

        u.proto = PROTO_TCP;
        return tcp->proto == PROTO_TCP && udp->proto == PROTO_UDP && forward_equal(tcp, &u);
}

/* The index (in idx) of the udp twin of the tcp entry idx[i], or SIZE_MAX. */
static size_t twin_udp(const Table *t, const size_t *idx, size_t n, size_t i) {
        for (size_t j = 0; j < n; j++)
                if (twins(&t->items[idx[i]], &t->items[idx[j]]))
                        return j;
        return SIZE_MAX;
}

/* Whether the udp entry idx[i] is the twin of a tcp entry of the group. */
static bool has_tcp_twin(const Table *t, const size_t *idx, size_t n, size_t i) {
        for (size_t j = 0; j < n; j++)
                if (twins(&t->items[idx[j]], &t->items[idx[i]]))
                        return true;
        return false;
}

static void write_group(FILE *f, const Table *t, const size_t *idx, size_t n, const Preset *presets,
                        size_t n_presets, uint32_t lan_default) {
        uint32_t lan = lan_default, wan = WAN_ROUTER;
        bool same_lan = true, same_wan = true;
        char b[16];

        for (size_t i = 1; i < n; i++) {
                same_lan = same_lan && t->items[idx[i]].lan_ip == t->items[idx[0]].lan_ip;
                same_wan = same_wan && t->items[idx[i]].wan == t->items[idx[0]].wan;
        }
        fputs("  - name: ", f);
        export_write_scalar(f, t->items[idx[0]].group);
        fputc('\n', f);
        if (same_lan && t->items[idx[0]].lan_ip != lan_default) {
                lan = t->items[idx[0]].lan_ip;
                fprintf(f, "    lan_ip: %s\n", ipv4_to_string(lan, b));
        }
        if (same_wan && t->items[idx[0]].wan != WAN_ROUTER) {
                wan = t->items[idx[0]].wan;
                fprintf(f, "    wan: %s\n", ipv4_to_string(wan, b));
        }
        for (size_t k = 0; k < n_presets; k++)
                if (preset_matches(&presets[k], t, idx, n)) {
                        fprintf(f, "    preset: %s\n", presets[k].name);
                        return;
                }
        fputs("    forwards:\n", f);
        for (size_t i = 0; i < n; i++) {
                Forward x = t->items[idx[i]];

                if (has_tcp_twin(t, idx, n, i))
                        continue; /* written with its tcp twin */
                if (twin_udp(t, idx, n, i) != SIZE_MAX)
                        x.proto = PROTO_TCP_UDP;
                write_forward(f, &x, lan, wan);
        }
}

int export_write(const Table *t, const Config *c, const char *family, FILE *f, size_t *ret_skipped) {
        Preset presets[ELEMENTSOF(preset_names)] = {};
        _cleanup_(freep) size_t *idx = NULL;
        _cleanup_(freep) bool *done = NULL;
        _cleanup_(freep) char *password_file = NULL, *router = NULL;
        size_t n_presets = 0, skipped = 0, n_groups = 0, router_size = 0;
        char why[256];
        FILE *rf;
        uint32_t lan_default;
        char b[16];
        int k;

        idx = calloc(t->n ?: 1, sizeof(size_t));
        done = calloc(t->n ?: 1, sizeof(bool));
        if (!idx || !done)
                return -ENOMEM;
        if (c->password_file) {
                k = absolute_password_file(c, &password_file);
                if (k < 0)
                        return k;
        }
        for (size_t i = 0; i < ELEMENTSOF(preset_names); i++)
                if (preset_load(preset_names[i], &presets[n_presets]) >= 0)
                        n_presets++;

        fprintf(f, "# portkeep export: the table of the router at %s", c->url ?: "(found by discovery)");
        if (family)
                fprintf(f, " (firmware family %s)", family);
        fputs(",\n# as read; every group on the router is listed, so all are managed.\n", f);
        fputs("version: 1\n", f);
        rf = open_memstream(&router, &router_size);
        if (!rf || (write_router(c, password_file, rf), fclose(rf) != 0)) {
                k = -ENOMEM;
                goto finish;
        }
        fputs(router, f);
        lan_default = dominant_lan_ip(t);
        if (lan_default)
                fprintf(f, "defaults:\n  lan_ip: %s\n", ipv4_to_string(lan_default, b));

        for (size_t i = 0; i < t->n; i++) {
                size_t n = 0;

                if (done[i])
                        continue;
                if (!t->items[i].group || !t->items[i].group[0] || wan_is_pppoe(t->items[i].wan)) {
                        skipped++;
                        continue;
                }
                for (size_t j = i; j < t->n; j++)
                        if (!done[j] && !wan_is_pppoe(t->items[j].wan) &&
                            streq_ptr(t->items[j].group, t->items[i].group)) {
                                idx[n++] = j;
                                done[j] = true;
                        }
                k = group_name_fits(router, t->items[i].group, why, sizeof why);
                if (k < 0)
                        goto finish;
                if (k == 0) {
                        _cleanup_(freep) char *quoted = NULL;
                        size_t ql = 0;
                        FILE *q = open_memstream(&quoted, &ql);

                        if (q) {
                                export_write_scalar(q, t->items[i].group);
                                if (fclose(q) != 0)
                                        quoted = mfree(quoted);
                        }
                        log_warning("group %s left out (%zu entr%s): the file cannot name it: %s", quoted ?: "?", n,
                                    n == 1 ? "y" : "ies", why);
                        continue;
                }
                if (n_groups++ == 0)
                        fputs("groups:\n", f);
                write_group(f, t, idx, n, presets, n_presets, lan_default);
        }
        if (n_groups == 0)
                fputs("groups: []\n", f);
        k = fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
finish:
        for (size_t i = 0; i < n_presets; i++)
                table_done(&presets[i].forwards);
        if (ret_skipped)
                *ret_skipped = skipped;
        return k;
}
