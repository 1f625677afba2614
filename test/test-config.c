/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tests of the config parser, through the C API and through the real binary.
 *
 * Usage: test-config PORTKEEP FIXTURES CONF
 *   PORTKEEP  the portkeep binary
 *   FIXTURES  test/config: good/ holds valid files, bad/ files whose leading
 *             "# expect LINE:COLUMN: message" lines list every error expected
 *             (0:0 for an error without position), in file order
 *   CONF      conf/ (portkeep.yaml, demo.yaml) */
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "config.h"
#include "macro.h"
#include "table.h"

extern char **environ;

static const char *portkeep, *fixtures, *conf_dir;
static char tmpdir[] = "/tmp/test-config-XXXXXX";

static char *read_all(const char *path, size_t *ret_size) {
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t n = 0, a = 0;

        if (!f)
                return NULL;
        for (;;) {
                if (n + 4096 + 1 > a) {
                        a = (n + 4096 + 1) * 2;
                        buf = realloc(buf, a);
                        if (!buf)
                                abort();
                }
                size_t k = fread(buf + n, 1, a - n - 1, f);
                if (k == 0)
                        break;
                n += k;
        }
        fclose(f);
        buf[n] = 0;
        if (ret_size)
                *ret_size = n;
        return buf;
}

static void write_file(const char *path, const char *data, size_t size) {
        FILE *f = fopen(path, "we");

        if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
                perror(path);
                abort();
        }
}

/* Runs portkeep with args (NULL-terminated); returns its exit status and
 * what it wrote to stdout and stderr. */
static int run(char **ret_out, char **ret_err, ...) {
        char out_path[256], err_path[256];
        posix_spawn_file_actions_t fa;
        const char *argv[16] = { portkeep };
        size_t n = 1;
        va_list ap;
        pid_t pid;
        int status;

        va_start(ap, ret_err);
        while (n < ELEMENTSOF(argv) - 1 && (argv[n] = va_arg(ap, const char *)))
                n++;
        va_end(ap);
        argv[n] = NULL;

        snprintf(out_path, sizeof out_path, "%s/stdout", tmpdir);
        snprintf(err_path, sizeof err_path, "%s/stderr", tmpdir);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (posix_spawn(&pid, portkeep, &fa, NULL, (char **) argv, environ) != 0) {
                perror(portkeep);
                abort();
        }
        posix_spawn_file_actions_destroy(&fa);
        if (waitpid(pid, &status, 0) < 0)
                abort();
        *ret_out = read_all(out_path, NULL);
        *ret_err = read_all(err_path, NULL);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

typedef struct Expect {
        unsigned line, column;
        char message[512];
} Expect;

static size_t parse_expects(const char *text, Expect *e, size_t max) {
        size_t n = 0;

        while (n < max && strncmp(text, "# expect ", 9) == 0) {
                const char *nl = strchr(text, '\n');
                int off = 0;

                if (sscanf(text + 9, "%u:%u: %n", &e[n].line, &e[n].column, &off) < 2 || !nl)
                        break;
                snprintf(e[n].message, sizeof e[n].message, "%.*s", (int) (nl - text - 9 - off),
                         text + 9 + off);
                n++;
                text = nl + 1;
        }
        return n;
}

/* The next line break: '\n' or U+2028 (the one other break the fixtures use). */
static const char *next_break(const char *s, const char *end, size_t *ret_len) {
        for (; s < end; s++) {
                if (*s == '\n') {
                        *ret_len = 1;
                        return s;
                }
                if (end - s >= 3 && memcmp(s, "\xe2\x80\xa8", 3) == 0) {
                        *ret_len = 3;
                        return s;
                }
        }
        *ret_len = 0;
        return end;
}

/* Line number "line" (1-based) of data, without a trailing '\r'. */
static char *nth_line(const char *data, size_t size, unsigned line) {
        const char *s = data, *end = data + size, *e;
        size_t k;

        for (unsigned i = 1; i < line; i++) {
                s = next_break(s, end, &k);
                if (k == 0)
                        return NULL;
                s += k;
        }
        e = next_break(s, end, &k);
        if (e > s && e[-1] == '\r')
                e--;
        return strndup(s, e - s);
}

static void test_bad_file(const char *path) {
        _cleanup_(config_errors_done) ConfigErrors errors = {};
        _cleanup_(freep) char *data = NULL, *out = NULL, *err = NULL;
        Expect exp[16];
        Config *c = NULL;
        size_t size, n;
        int r;

        data = read_all(path, &size);
        CHECKF(data, "cannot read %s", path);
        if (!data)
                return;
        n = parse_expects(data, exp, ELEMENTSOF(exp));
        CHECKF(n > 0, "%s has no '# expect' lines", path);

        /* The C API: every error, in order, with its position and source line. */
        r = config_load(path, &c, &errors);
        CHECKF(r == -EINVAL, "%s: config_load() returned %d", path, r);
        CHECKF(!c, "%s: a config was returned", path);
        CHECKF(errors.n == n, "%s: %zu errors, expected %zu", path, errors.n, n);
        for (size_t i = 0; i < n && i < errors.n; i++) {
                const ConfigError *e = &errors.items[i];

                CHECKF(streq(e->file, path), "%s: error names file '%s'", path, e->file);
                CHECKF(e->line == exp[i].line && e->column == exp[i].column,
                      "%s: error %zu at %u:%u, expected %u:%u (%s)", path, i, e->line, e->column,
                      exp[i].line, exp[i].column, e->message);
                CHECKF(strstr(e->message, exp[i].message), "%s: error %zu is '%s', expected '%s'", path,
                      i, e->message, exp[i].message);
                if (exp[i].line > 0) {
                        _cleanup_(freep) char *want = nth_line(data, size, exp[i].line);

                        /* A line holding a secret is cut and ends in " ...". */
                        size_t k = e->source_line ? strlen(e->source_line) : 0;

                        if (k > 4 && streq(e->source_line + k - 4, " ..."))
                                k -= 4;
                        CHECKF(e->source_line && want && strncmp(want, e->source_line, k) == 0,
                              "%s: source line '%s', expected '%s'", path, e->source_line, want);
                }
        }

        /* The binary: exit 78, each error as FILE:LINE:COLUMN: message. */
        r = run(&out, &err, "check", path, NULL);
        CHECKF(r == 78, "%s: portkeep check exited %d", path, r);
        CHECKF(out && out[0] == 0, "%s: portkeep check wrote to stdout: %s", path, out);
        for (size_t i = 0; i < n && err; i++) {
                char want[1024];

                if (exp[i].line > 0)
                        snprintf(want, sizeof want, "%s:%u:%u: %s", path, exp[i].line, exp[i].column,
                                 exp[i].message);
                else
                        snprintf(want, sizeof want, "%s: %s", path, exp[i].message);
                CHECKF(strstr(err, want), "%s: stderr lacks '%s':\n%s", path, want, err);
        }
        /* Secrets in the bad files must not be echoed. */
        CHECKF(!err || (!strstr(err, "hunter2") && !strstr(err, "secret@")), "%s: secret echoed:\n%s",
              path, err);
}

static int filter_yaml(const struct dirent *d) {
        return d->d_name[0] != '.';
}

static unsigned for_each_file(const char *sub, void (*f)(const char *path)) {
        char dir[1024];
        struct dirent **list;
        int n;

        snprintf(dir, sizeof dir, "%s/%s", fixtures, sub);
        n = scandir(dir, &list, filter_yaml, alphasort);
        CHECKF(n > 0, "no files in %s", dir);
        for (int i = 0; i < n; i++) {
                char path[2048];

                snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
                f(path);
                free(list[i]);
        }
        if (n > 0)
                free(list);
        return n > 0 ? (unsigned) n : 0;
}

/* ---- good files ---- */

static Config *load_good(const char *dir, const char *name) {
        _cleanup_(config_errors_done) ConfigErrors errors = {};
        _cleanup_(freep) char *out = NULL, *err = NULL;
        char path[2048];
        Config *c = NULL;
        int r;

        snprintf(path, sizeof path, "%s/%s", dir, name);
        r = config_load(path, &c, &errors);
        CHECKF(r == 0 && c, "%s: config_load() returned %d, first error: %s", path, r,
              errors.n ? errors.items[0].message : "-");
        CHECKF(errors.n == 0, "%s: %zu errors", path, errors.n);

        r = run(&out, &err, "check", path, NULL);
        CHECKF(r == 0, "%s: portkeep check exited %d: %s", path, r, err);
        CHECKF(out && strstr(out, "configuration OK"), "%s: stdout '%s'", path, out);
        return c;
}

static const Forward *find(const Config *c, int proto, unsigned first, uint32_t wan) {
        for (size_t i = 0; i < c->desired.n; i++) {
                const Forward *f = &c->desired.items[i];

                if (f->proto == proto && f->ports.first == first && f->wan == wan)
                        return f;
        }
        return NULL;
}

static uint32_t ip(const char *s) {
        uint32_t a = 0;

        if (ipv4_from_string(s, &a) < 0)
                abort();
        return a;
}

static bool ports_are(PortRange r, unsigned first, unsigned last) {
        return r.first == first && r.last == last;
}

static void test_minimal(void) {
        Config *c = load_good(fixtures, "good/minimal.yaml");
        const Forward *f;

        if (!c)
                return;
        /* The defaults of doc/config.md. */
        CHECKF(c->backend == registry_find("airstation", "auto"), "driver %s", c->backend->driver);
        CHECKF(streq(c->url, "http://192.168.11.1"), "url '%s' (trailing slash kept?)", c->url);
        CHECKF(streq(c->username, "admin"), "username '%s'", c->username);
        CHECKF(streq_ptr(c->password_file, "/etc/portkeep/router-password"), "password_file");
        CHECKF(!c->password_credential, "password_credential set");
        CHECKF(streq_ptr(c->backend->family, "auto"), "firmware %s", c->backend->family);
        CHECKF(c->timeout_usec == 10 * USEC_PER_SEC, "timeout %llu", (unsigned long long) c->timeout_usec);
        CHECKF(!c->airstation_page && !c->airstation_action, "airstation overrides set");
        CHECKF(c->interval_usec == 300 * USEC_PER_SEC, "interval %llu", (unsigned long long) c->interval_usec);
        CHECKF(c->prune == PRUNE_MANAGED, "prune %d", c->prune);
        CHECKF(c->max_deletes == 8, "max_deletes %u", c->max_deletes);
        CHECKF(c->n_groups == 1 && streq(c->groups[0], "web"), "groups");
        CHECKF(c->desired.n == 1, "%zu forwards", c->desired.n);
        f = &c->desired.items[0];
        CHECKF(f->proto == PROTO_TCP && ports_are(f->ports, 8443, 8443), "forward key");
        CHECKF(ports_are(f->lan_ports, 8443, 8443), "lan_ports not normalised to ports");
        CHECKF(f->lan_ip == ip("192.168.11.20") && f->wan == WAN_ROUTER, "forward addresses");
        CHECKF(streq(f->group, "web") && f->router_id == -1, "group '%s' router_id %d", f->group, f->router_id);
        CHECKF(f->line == 8 && f->column == 9, "forward at %u:%u", f->line, f->column);
        config_free(c);
}

static void test_full(void) {
        Config *c = load_good(fixtures, "good/full.yaml");
        const Forward *f;

        if (!c)
                return;
        CHECKF(streq(c->url, "https://router.example:8443/admin"), "url '%s'", c->url);
        CHECKF(streq(c->username, "root"), "username");
        CHECKF(!c->password_file && streq_ptr(c->password_credential, "router-password"), "password source");
        CHECKF(c->backend == registry_find("airstation", "arcadyan"), "firmware");
        CHECKF(c->timeout_usec == 90 * USEC_PER_SEC, "timeout %llu", (unsigned long long) c->timeout_usec);
        CHECKF(streq_ptr(c->airstation_page, "port_forward.html") &&
                      streq_ptr(c->airstation_action, "ui_portmap"), "airstation overrides");
        CHECKF(c->interval_usec == USEC_PER_SEC && c->prune == PRUNE_ALL && c->max_deletes == 0, "sync");
        CHECKF(c->n_groups == 2 && streq(c->groups[1], "raw"), "groups");
        CHECKF(c->desired.n == 9, "%zu forwards", c->desired.n);

        /* Group lan_ip and wan override defaults; a forward overrides its group. */
        f = find(c, PROTO_TCP_UDP, 27015, WAN_ROUTER);
        CHECKF(f && ports_are(f->ports, 27015, 27030) && ports_are(f->lan_ports, 27015, 27030) &&
                      f->lan_ip == ip("10.0.0.5") && streq(f->group, "games"), "tcp/udp range");
        f = find(c, PROTO_UDP, 3478, WAN_ROUTER);
        CHECKF(f && ports_are(f->ports, 3478, 3479) && ports_are(f->lan_ports, 3478, 3478), "range to one port");
        f = find(c, PROTO_TCP, 2222, WAN_ROUTER);
        CHECKF(f && ports_are(f->lan_ports, 22, 22) && f->lan_ip == ip("10.0.0.9"), "forward lan_ip");
        /* Protocol numbers: 6 is tcp, 47 gre, "50" esp; 41 stays a number. */
        f = find(c, PROTO_TCP, 80, ip("203.0.113.7"));
        CHECKF(f && f->lan_ip == ip("10.0.0.2") && streq(f->group, "raw"), "proto 6 with defaults");
        f = find(c, PROTO_GRE, 0, ip("203.0.113.7"));
        CHECKF(f && !port_range_is_set(f->ports) && !port_range_is_set(f->lan_ports), "proto 47");
        CHECKF(find(c, 41, 0, ip("203.0.113.8")), "proto 41 on its own wan");
        CHECKF(find(c, PROTO_ICMP, 0, ip("203.0.113.7")), "icmp");
        CHECKF(find(c, PROTO_ALL, 0, ip("203.0.113.9")), "all");
        CHECKF(find(c, PROTO_ESP, 0, ip("203.0.113.7")), "quoted \"50\" is esp");
        config_free(c);
}

static void check_preset(const Config *c, const char *group, uint32_t lan, uint32_t wan,
                         unsigned line, const int *protos, const unsigned *ports, size_t n) {
        size_t found = 0;

        for (size_t i = 0; i < c->desired.n; i++) {
                const Forward *f = &c->desired.items[i];

                if (!streq(f->group, group) || f->line != line)
                        continue;
                CHECKF(found < n && f->proto == protos[found] && f->ports.first == ports[found] &&
                              f->ports.last == ports[found] && f->lan_ports.first == ports[found],
                      "%s: forward %zu is proto %d port %u", group, found, f->proto, f->ports.first);
                CHECKF(f->lan_ip == lan && f->wan == wan && f->column == 13,
                      "%s: addresses or column %u", group, f->column);
                found++;
        }
        CHECKF(found == n, "%s: %zu forwards from the preset, expected %zu", group, found, n);
}

static void test_presets(void) {
        Config *c = load_good(fixtures, "good/presets.yaml");
        uint32_t lan = ip("192.168.11.3");

        if (!c)
                return;
        check_preset(c, "PPTP", lan, WAN_ROUTER, 9, (int[]){ PROTO_TCP, PROTO_GRE }, (unsigned[]){ 1723, 0 }, 2);
        check_preset(c, "L2TP", lan, WAN_ROUTER, 11,
                     (int[]){ PROTO_UDP, PROTO_UDP, PROTO_UDP, PROTO_ESP }, (unsigned[]){ 500, 4500, 1701, 0 }, 4);
        check_preset(c, "IKEv2", lan, ip("198.51.100.1"), 13, (int[]){ PROTO_UDP, PROTO_UDP, PROTO_ESP },
                     (unsigned[]){ 500, 4500, 0 }, 3);
        check_preset(c, "OpenVPN", ip("192.168.11.4"), WAN_ROUTER, 16, (int[]){ PROTO_UDP }, (unsigned[]){ 1194 }, 1);
        check_preset(c, "WireGuard", lan, WAN_ROUTER, 19, (int[]){ PROTO_UDP }, (unsigned[]){ 51820 }, 1);
        /* A group may have a preset and forwards. */
        CHECKF(find(c, PROTO_UDP, 51821, WAN_ROUTER) && c->desired.n == 12, "%zu forwards", c->desired.n);
        config_free(c);
}

static void test_upnp_and_others(void) {
        Config *c = load_good(fixtures, "good/upnp.yaml");

        if (c) {
                CHECKF(c->backend == registry_find("upnp", NULL) && !c->url && !c->password_file, "upnp router");
                CHECKF(c->desired.n == 2 && find(c, PROTO_TCP_UDP, 25565, WAN_ROUTER), "upnp forwards");
                config_free(c);
        }
        c = load_good(fixtures, "good/flow.json");
        if (c) {
                CHECKF(c->prune == PRUNE_NONE && c->n_groups == 0 && c->desired.n == 0, "flow file");
                config_free(c);
        }
        c = load_good(fixtures, "good/bom-crlf.yaml");
        if (c) {
                CHECKF(c->n_groups == 1 && streq(c->groups[0], "caf\xc3\xa9"), "UTF-8 group name");
                CHECKF(c->desired.n == 1 && c->desired.items[0].line == 8, "line %u", c->desired.items[0].line);
                config_free(c);
        }
}

static void test_conf(void) {
        Config *c = load_good(conf_dir, "portkeep.yaml");

        /* The motivating setup: checked with no password file on the machine. */
        if (c) {
                CHECKF(streq(c->url, "http://192.168.11.1"), "url");
                CHECKF(streq_ptr(c->password_file, "/etc/portkeep/router-password") &&
                              streq_ptr(c->password_credential, "router-password"), "password sources");
                CHECKF(c->desired.n == 6 && c->n_groups == 2, "%zu forwards", c->desired.n);
                CHECKF(find(c, PROTO_GRE, 0, WAN_ROUTER) && find(c, PROTO_ESP, 0, WAN_ROUTER) &&
                              find(c, PROTO_TCP, 1723, WAN_ROUTER)->lan_ip == ip("192.168.11.3"), "VPN forwards");
                config_free(c);
        }
        c = load_good(conf_dir, "demo.yaml");
        if (c) {
                CHECKF(streq(c->url, "http://127.0.0.1:8080") && c->backend == registry_find("airstation", "nosave"), "demo router");
                CHECKF(c->desired.n == 7 && c->n_groups == 3, "%zu forwards", c->desired.n);
                config_free(c);
        }
}

/* ---- edge cases that fixtures cannot hold ---- */

static void expect_one_error(const char *what, const char *data, size_t size, unsigned line,
                             const char *message) {
        _cleanup_(config_errors_done) ConfigErrors errors = {};
        Config *c = NULL;
        int r;

        unsigned found = 0;

        r = config_load_buffer(what, data, size, &c, &errors);
        CHECKF(r == -EINVAL && !c, "%s: returned %d", what, r);
        for (size_t i = 0; i < errors.n; i++)
                if (errors.items[i].line == line && strstr(errors.items[i].message, message))
                        found++;
        CHECKF(found == 1, "%s: %u errors at line %u with '%s' among %zu", what, found, line, message,
              errors.n);
}

static void test_edges(void) {
        _cleanup_(freep) char *out = NULL, *err = NULL, *big = NULL;
        char path[512];
        size_t n = 100000;
        int r;

        expect_one_error("empty", "", 0, 0, "the file is empty");

        big = malloc(2 * 1024 * 1024);
        if (!big)
                abort();
        /* Deep nesting in flow and block style: one error, no crash. */
        memset(big, '[', n);
        expect_one_error("deep-flow", big, n, 1, "nested more than 32 levels");
        {
                char *s = big;
                for (int i = 0; i < 40; i++)
                        s += sprintf(s, "%*s- \n", 2 * i, "");
                expect_one_error("deep-block", big, s - big, 33, "nested more than 32 levels");
        }

        /* Over 1 MiB: refused before parsing, by the API and by the binary. */
        memset(big, '#', 2 * 1024 * 1024);
        expect_one_error("big", big, 1024 * 1024 + 1, 0, "more than the limit of 1048576 (1 MiB)");
        snprintf(path, sizeof path, "%s/big.yaml", tmpdir);
        write_file(path, big, 1024 * 1024 + 1);
        r = run(&out, &err, "check", path, NULL);
        CHECKF(r == 78 && strstr(err, "more than the limit"), "big file: exit %d: %s", r, err);
        free(out), free(err);

        /* A 0-byte file, a missing file, a directory, a FIFO (must not hang). */
        snprintf(path, sizeof path, "%s/empty.yaml", tmpdir);
        write_file(path, "", 0);
        r = run(&out, &err, "check", path, NULL);
        CHECKF(r == 78 && strstr(err, ": the file is empty"), "empty file: exit %d: %s", r, err);
        free(out), free(err);
        snprintf(path, sizeof path, "%s/missing.yaml", tmpdir);
        r = run(&out, &err, "check", path, NULL);
        CHECKF(r == 78 && strstr(err, "cannot open the config file: No such file or directory"),
              "missing file: exit %d: %s", r, err);
        free(out), free(err);
        r = run(&out, &err, "check", tmpdir, NULL);
        CHECKF(r == 78 && strstr(err, "is a directory"), "directory: exit %d: %s", r, err);
        free(out), free(err);
        snprintf(path, sizeof path, "%s/fifo", tmpdir);
        CHECKF(mkfifo(path, 0600) == 0, "mkfifo");
        r = run(&out, &err, "check", path, NULL);
        CHECKF(r == 78 && strstr(err, "not a regular file"), "fifo: exit %d: %s", r, err);
        free(out), free(err);
        out = err = NULL;

        /* Too many groups and forwards: one error each, where the limit is passed. */
        {
                char *s = big;

                s += sprintf(s, "version: 1\nrouter: {url: http://a, password_file: /p}\n"
                                "defaults: {lan_ip: 10.0.0.1}\ngroups:\n");
                for (int i = 0; i < 300; i++)
                        s += sprintf(s, "  - {name: g%d, forwards: [{proto: udp, port: %d}]}\n", i, i + 1);
                expect_one_error("groups", big, s - big, 4 + 257, "more than 256 groups: merge some");
                s = big;
                s += sprintf(s, "version: 1\nrouter: {url: http://a, password_file: /p}\n"
                                "defaults: {lan_ip: 10.0.0.1}\ngroups:\n  - name: g\n    forwards:\n");
                for (int i = 0; i < 2000; i++)
                        s += sprintf(s, "      - {proto: tcp, port: %d}\n", i + 1);
                expect_one_error("forwards", big, s - big, 6 + 1025, "more than 1024 forwards");
        }

        /* UTF-16, as some editors save: said so, not "byte 0xff is not valid UTF-8". */
        expect_one_error("utf16", "\xff\xfev\0e\0r\0", 8, 1, "the file is UTF-16 text: save it as UTF-8");
        /* UTF-32's BOM begins as UTF-16's: not called UTF-16 */
        expect_one_error("utf32le", "\xff\xfe\0\0v\0\0\0", 8, 1, "the file is UTF-32 text: save it as UTF-8");
        expect_one_error("utf32be", "\0\0\xfe\xff\0\0\0v", 8, 1, "the file is UTF-32 text: save it as UTF-8");

        /* The caret under the error: wide (Japanese) characters take two
         * cells; an escape sequence in the file does not reach the terminal. */
        snprintf(path, sizeof path, "%s/caret.yaml", tmpdir);
        {
                static const char text[] =
                        "version: 1\nrouter: {url: http://a, password_file: /p}\ngroups:\n"
                        "  - { name: \xe3\x82\xa6\xe3\x82\xa7\xe3\x83\x96, lan_ip: 10.0.0.1, forwards: [ { proto: tpc, port: 80 } ] }\n";
                char want[256];

                write_file(path, text, strlen(text));
                r = run(&out, &err, "check", path, NULL);
                /* column 57 ('tpc'), after 3 wide characters: 56 + 3 cells, plus the indent of 2 */
                snprintf(want, sizeof want, ":4:57: unknown proto 'tpc'");
                CHECKF(r == 78 && strstr(err, want), "caret: exit %d: %s", r, err);
                snprintf(want, sizeof want, " } ] }\n%*s^\n", 2 + 56 + 3, "");
                CHECKF(strstr(err, want), "caret misplaced:\n%s", err);
                free(out), free(err);
        }
        write_file(path, "version: 1\nrouter: \x1b[2J\n", 24);
        r = run(&out, &err, "check", path, NULL);
        CHECKF(r == 78 && !strchr(err, '\x1b') && strstr(err, "router: ?[2J"), "escape: exit %d: %s", r, err);
        free(out), free(err);
        out = err = NULL;

        /* Thousands of errors: capped, with a note saying how many were left out. */
        {
                _cleanup_(config_errors_done) ConfigErrors errors = {};
                Config *c = NULL;
                char *s = big;

                s += sprintf(s, "version: 1\n");
                for (int i = 0; i < 5000; i++)
                        s += sprintf(s, "k%d: 1\n", i);
                r = config_load_buffer("many", big, s - big, &c, &errors);
                CHECKF(r == -EINVAL && errors.n == 101, "many errors: %d, %zu", r, errors.n);
                CHECKF(errors.n == 101 && strstr(errors.items[100].message, "4902 more errors not shown"),
                      "last: %s", errors.n ? errors.items[errors.n - 1].message : "-");
        }
}

static void test_json(void) {
        _cleanup_(freep) char *out = NULL, *err = NULL;
        char good[1024], bad[1024], want[2048];
        int r;

        snprintf(good, sizeof good, "%s/good/minimal.yaml", fixtures);
        r = run(&out, &err, "--json", "check", good, NULL);
        CHECKF(r == 0, "json good: exit %d", r);
        CHECKF(streq(out, "{\"version\":1,\"valid\":true,\"errors\":[]}\n"), "json good: '%s'", out);
        free(out), free(err);

        snprintf(bad, sizeof bad, "%s/bad/port-out-of-range.yaml", fixtures);
        r = run(&out, &err, "check", "--json", bad, NULL);
        snprintf(want, sizeof want,
                 "{\"version\":1,\"valid\":false,\"errors\":[{\"file\":\"%s\",\"line\":11,\"column\":29,"
                 "\"message\":\"port 70000 out of range: use 1-65535\"}]}\n",
                 bad);
        CHECKF(r == 78, "json bad: exit %d", r);
        CHECKF(streq(out, want), "json bad:\n'%s'\nexpected\n'%s'", out, want);
        CHECKF(err[0] == 0, "json bad wrote to stderr: %s", err);
}

/* ---- the password ---- */

static void test_password(void) {
        _cleanup_(config_errors_done) ConfigErrors errors = {};
        char path[512], cfg[1024], errbuf[256];
        char *pw = NULL;
        bool world = false;
        Config *c = NULL;
        int r;

        snprintf(path, sizeof path, "%s/pw", tmpdir);
        write_file(path, "s3cret\n", 7);
        CHECKF(chmod(path, 0600) == 0, "chmod");
        snprintf(cfg, sizeof cfg,
                 "version: 1\nrouter:\n  url: http://127.0.0.1\n  password_file: pw\n"
                 "  password_credential: router-password\ngroups: []\n");
        /* A relative password_file is relative to the config file's directory. */
        snprintf(path, sizeof path, "%s/portkeep.yaml", tmpdir);
        r = config_load_buffer(path, cfg, strlen(cfg), &c, &errors);
        CHECKF(r == 0 && c, "password config: %d", r);
        if (!c)
                return;

        unsetenv("CREDENTIALS_DIRECTORY");
        r = config_read_password(c, &pw, &world, errbuf, sizeof errbuf);
        CHECKF(r == 0 && pw && streq(pw, "s3cret") && !world, "password file: %d %s", r, errbuf);
        free(pw), pw = NULL;

        snprintf(path, sizeof path, "%s/pw", tmpdir);
        CHECKF(chmod(path, 0644) == 0, "chmod");
        r = config_read_password(c, &pw, &world, errbuf, sizeof errbuf);
        CHECKF(r == 0 && world, "world-readable not reported");
        free(pw), pw = NULL;

        /* $CREDENTIALS_DIRECTORY wins when password_credential is set. */
        snprintf(path, sizeof path, "%s/router-password", tmpdir);
        write_file(path, "fromcred", 8);
        setenv("CREDENTIALS_DIRECTORY", tmpdir, 1);
        r = config_read_password(c, &pw, &world, errbuf, sizeof errbuf);
        CHECKF(r == 0 && pw && streq(pw, "fromcred"), "credential: %d %s", r, errbuf);
        free(pw), pw = NULL;
        unsetenv("CREDENTIALS_DIRECTORY");

        /* Missing and empty files: an error that names the file, not the password. */
        free(c->password_file);
        c->password_file = strdup("/nonexistent/router-password");
        r = config_read_password(c, &pw, &world, errbuf, sizeof errbuf);
        CHECKF(r == -ENOENT && strstr(errbuf, "/nonexistent/router-password"), "missing: %d %s", r, errbuf);
        snprintf(path, sizeof path, "%s/emptypw", tmpdir);
        write_file(path, "\n", 1);
        free(c->password_file);
        c->password_file = strdup(path);
        r = config_read_password(c, &pw, &world, errbuf, sizeof errbuf);
        CHECKF(r == -EINVAL && strstr(errbuf, "is empty"), "empty: %d %s", r, errbuf);
        config_free(c);
}

static void cleanup_tmpdir(void) {
        const char *names[] = { "stdout", "stderr", "big.yaml", "empty.yaml", "fifo", "pw",
                                "router-password", "emptypw", "caret.yaml" };
        char path[512];

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
                unlink(path);
        }
        rmdir(tmpdir);
}

int main(int argc, char **argv) {
        unsigned n;

        if (argc != 4) {
                fprintf(stderr, "Usage: %s PORTKEEP FIXTURES CONF\n", argv[0]);
                return 2;
        }
        portkeep = argv[1];
        fixtures = argv[2];
        conf_dir = argv[3];
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }

        n = for_each_file("bad", test_bad_file);
        CHECKF(n >= 40, "only %u bad fixtures", n);
        test_minimal();
        test_full();
        test_presets();
        test_upnp_and_others();
        test_conf();
        test_edges();
        test_json();
        test_password();

        cleanup_tmpdir();
        printf("%u bad files, %u checks, %u failed\n", n, checks, failures);
        return failures ? 1 : 0;
}
