/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portkeep: keeps a router's port-forwarding table equal to a YAML file.
 * Argument parsing, verb dispatch and exit codes; the work is in lib/. */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config-build.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "macro.h"

#define DEFAULT_CONFIG PORTKEEP_SYSCONFDIR "/portkeep/portkeep.yaml"

typedef struct Options {
        const char *config_path;
        bool json;
        bool force;
        bool dry_run;
} Options;

typedef struct Verb {
        const char *name;
        int (*run)(const Options *o, int argc, char **argv);
        const char *args;
        const char *help;
} Verb;

static const Verb *find_verb(const char *name);

_printf_(1, 2) static int usage_error(const char *fmt, ...) {
        va_list ap;

        fputs("portkeep: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("\nTry 'portkeep --help'.\n", stderr);
        return EX_USAGE;
}

static const char *config_path(const Options *o) {
        const char *e;

        if (o->config_path)
                return o->config_path;
        e = secure_getenv("PORTKEEP_CONFIG");
        if (e && *e)
                return e;
        return DEFAULT_CONFIG;
}

static void check_json(const char *path, const ConfigErrors *errors) {
        printf("{\"version\":1,\"valid\":%s,\"errors\":[", errors->n ? "false" : "true");
        for (size_t i = 0; i < errors->n; i++) {
                const ConfigError *e = &errors->items[i];

                printf("%s{\"file\":", i ? "," : "");
                json_write_string(stdout, e->file ? e->file : path);
                printf(",\"line\":%u,\"column\":%u,\"message\":", e->line, e->column);
                json_write_string(stdout, e->message);
                putchar('}');
        }
        puts("]}");
}

static int verb_check(const Options *o, int argc, char **argv) {
        _cleanup_(config_errors_done) ConfigErrors errors = {};
        const char *path;
        Config *c = NULL;
        int r;

        if (argc > 2)
                return usage_error("check takes at most one FILE, got '%s'", argv[2]);
        path = argc == 2 ? argv[1] : config_path(o);

        r = config_load(path, &c, &errors);
        if (o->json)
                check_json(path, &errors);
        if (r < 0) {
                if (!o->json)
                        log_config_errors(&errors);
                return EX_CONFIG;
        }
        if (!o->json)
                printf("%s: configuration OK: %zu forward%s in %zu group%s\n", path, c->desired.n,
                       c->desired.n == 1 ? "" : "s", c->n_groups, c->n_groups == 1 ? "" : "s");
        config_free(c);
        return 0;
}

static int verb_version(const Options *o, int argc, char **argv) {
        if (argc > 1)
                return usage_error("version takes no arguments, got '%s'", argv[1]);
        puts("portkeep " PORTKEEP_VERSION);
        return 0;
}

static int verb_not_yet(const Options *o, int argc, char **argv) {
        log_error("'%s' is not available yet in this version of portkeep.", argv[0]);
        return 1;
}

static const Verb verbs[] = {
        { "check",   verb_check,   "[FILE]",                "validate the file offline (reads no password, contacts no router)" },
        { "plan",    verb_not_yet, "",                      "read the router, print the diff" },
        { "apply",   verb_not_yet, "[--force] [--dry-run]", "plan, apply, verify" },
        { "show",    verb_not_yet, "",                      "print the router's table, managed entries marked" },
        { "export",  verb_not_yet, "",                      "print the router's table as a portkeep YAML file" },
        { "run",     verb_not_yet, "",                      "daemon: reconcile every sync.interval" },
        { "status",  verb_not_yet, "",                      "the running daemon's last pass" },
        { "version", verb_version, "",                      "print the version" },
};

static const Verb *find_verb(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return &verbs[i];
        return NULL;
}

static void help(void) {
        printf("Usage: portkeep [-c FILE] [--json] [-v|-q] COMMAND\n\n"
               "Keeps a router's port-forwarding table equal to a YAML file.\n\n"
               "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                char left[64];

                snprintf(left, sizeof left, "%s %s", verbs[i].name, verbs[i].args);
                printf("  %-30s %s\n", left, verbs[i].help);
        }
        printf("\nOptions:\n"
               "  -c, --config FILE   config file (default $PORTKEEP_CONFIG or " DEFAULT_CONFIG ")\n"
               "      --json          machine-readable output\n"
               "  -v, --verbose       more detail\n"
               "  -q, --quiet         errors only\n"
               "  -h, --help          this help\n"
               "      --version       print the version\n\n"
               "Exit status: 0 success or in sync, 1 failure, 2 changes pending (plan),\n"
               "3 refused by a safety guard, 64 usage error, 78 invalid config.\n");
}

enum { ARG_JSON = 0x100, ARG_VERSION, ARG_FORCE, ARG_DRY_RUN };

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "config",  required_argument, NULL, 'c' },
                { "json",    no_argument,       NULL, ARG_JSON },
                { "verbose", no_argument,       NULL, 'v' },
                { "quiet",   no_argument,       NULL, 'q' },
                { "help",    no_argument,       NULL, 'h' },
                { "version", no_argument,       NULL, ARG_VERSION },
                { "force",   no_argument,       NULL, ARG_FORCE },
                { "dry-run", no_argument,       NULL, ARG_DRY_RUN },
                {}
        };
        Options o = {};
        const Verb *v;
        int c;

        log_open();
        /* Options may come before or after the verb; "+" would stop at the
         * verb, so let getopt permute and find the verb afterwards. */
        while ((c = getopt_long(argc, argv, "c:vqh", options, NULL)) >= 0) {
                switch (c) {
                case 'c': o.config_path = optarg; break;
                case ARG_JSON: o.json = true; break;
                case 'v': log_set_max_level(LOG_DEBUG); break;
                case 'q': log_set_max_level(LOG_WARNING); break;
                case 'h': help(); return 0;
                case ARG_VERSION: return verb_version(&o, 1, argv);
                case ARG_FORCE: o.force = true; break;
                case ARG_DRY_RUN: o.dry_run = true; break;
                default: fputs("Try 'portkeep --help'.\n", stderr); return EX_USAGE;
                }
        }
        if (optind >= argc)
                return usage_error("%s", "no command given (check, plan, apply, show, export, run, status, version)");
        v = find_verb(argv[optind]);
        if (!v)
                return usage_error("unknown command '%s'", argv[optind]);
        if ((o.force || o.dry_run) && !streq(v->name, "apply"))
                return usage_error("--force and --dry-run go with 'apply', not '%s'", v->name);

        return v->run(&o, argc - optind, argv + optind);
}
