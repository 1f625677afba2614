/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "lock.h"
#include "macro.h"
#include "status.h"

#define USEC_PER_SEC UINT64_C(1000000)

bool status_daemon_running(pid_t pid) {
        _cleanup_(fclosep) FILE *f = NULL;
        char path[64], comm[32];

        if (pid <= 0)
                return false;
        if (kill(pid, 0) < 0 && errno != EPERM)
                return false;
        snprintf(path, sizeof path, "/proc/%ld/comm", (long) pid);
        f = fopen(path, "re");
        if (!f)
                return true; /* hidden from us (hidepid=), but kill() found it */
        if (!fgets(comm, sizeof comm, f))
                return false;
        comm[strcspn(comm, "\n")] = '\0';
        /* Another process that got the pid after the daemon died is not it. */
        return streq(comm, "portkeep");
}

int status_unit_name(const char *config_path, char **ret) {
        static const char prefix[] = "/run/portkeep-";
        _cleanup_(freep) char *dir = NULL;
        char *u;
        int r;

        r = lock_runtime_directory_for(config_path, &dir);
        if (r < 0)
                return r;
        if (strncmp(dir, prefix, sizeof prefix - 1) == 0) {
                if (asprintf(&u, "portkeep@%s", dir + sizeof prefix - 1) < 0)
                        return -ENOMEM;
        } else if (!(u = strdup("portkeep")))
                return -ENOMEM;
        *ret = u;
        return 0;
}

static const char *local_time(uint64_t usec, char buf[static 64]) {
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;

        if (usec == 0 || !localtime_r(&t, &tm) || strftime(buf, 64, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                return "?";
        return buf;
}

/* "45s", "3m", "2h5m", "3d" */
static const char *span(uint64_t usec, char buf[static 32]) {
        uint64_t s = (usec + USEC_PER_SEC / 2) / USEC_PER_SEC;

        if (s < 60)
                snprintf(buf, 32, "%" PRIu64 "s", s);
        else if (s < 3600)
                snprintf(buf, 32, "%" PRIu64 "m", s / 60);
        else if (s < 86400)
                snprintf(buf, 32, "%" PRIu64 "h%" PRIu64 "m", s / 3600, (s % 3600) / 60);
        else
                snprintf(buf, 32, "%" PRIu64 "d", s / 86400);
        return buf;
}

static const char *relative(uint64_t t, uint64_t now, char buf[static 48]) {
        char d[32];

        if (t > now)
                snprintf(buf, 48, "in %s", span(t - now, d));
        else
                snprintf(buf, 48, "%s ago", span(now - t, d));
        return buf;
}

static void print_pass(FILE *f, const char *label, const State *s, bool by_apply, uint64_t now_usec) {
        char a[64], b[48], d[32];

        fprintf(f, "%-10s %s, %u change%s, finished %s (%s", label, s->result ? s->result : "?", s->changes,
                s->changes == 1 ? "" : "s", local_time(s->finished_usec, a), relative(s->finished_usec, now_usec, b));
        if (s->finished_usec >= s->started_usec && s->started_usec > 0)
                fprintf(f, ", took %s", span(s->finished_usec - s->started_usec, d));
        if (by_apply)
                fprintf(f, "; by 'portkeep apply', pid %ld", (long) s->pid);
        else
                fputs("; by the daemon", f);
        fputs(")\n", f);
}

void status_print(const State *s, bool running, const State *apply, uint64_t now_usec, FILE *f) {
        const State *info = s ? s : apply;
        bool apply_last = apply && (!s || !s->have_last_pass || apply->finished_usec > s->finished_usec);
        char a[64], b[48];

        if (!s)
                fputs("daemon:    none has run for this config\n", f);
        else if (running)
                fprintf(f, "daemon:    running (pid %ld)\n", (long) s->pid);
        else
                fprintf(f, "daemon:    not running (was pid %ld)\n", (long) s->pid);
        fprintf(f, "config:    %s\n", info->config ? info->config : "?");
        fprintf(f, "router:    %s\n", info->router ? info->router : "?");
        if (s && s->external)
                fprintf(f, "external:  %s\n", s->external);
        info = apply_last ? apply : s;
        if (info->recorded.n > 0) {
                fputs("recorded:  ", f);
                for (size_t i = 0; i < info->recorded.n; i++)
                        fprintf(f, "%s%s", i ? ", " : "", info->recorded.groups[i]);
                fputs(" (the groups portkeep applied)\n", f);
        }
        fprintf(f, "status:    %s\n", info->status ? info->status : "?");
        if (apply_last) {
                print_pass(f, "last pass:", apply, true, now_usec);
                if (s && s->have_last_pass)
                        print_pass(f, "before:", s, false, now_usec);
        } else if (s->have_last_pass) {
                print_pass(f, "last pass:", s, false, now_usec);
                if (apply)
                        print_pass(f, "before:", apply, true, now_usec);
        } else
                fputs("last pass: none yet\n", f);
        if (!s || !running)
                fprintf(f, "next pass: none, %s\n", s ? "the daemon is not running" : "no daemon runs (the timer's next 'portkeep apply': systemctl list-timers)");
        else if (s->next_pass_usec > 0)
                fprintf(f, "next pass: %s (%s)\n", local_time(s->next_pass_usec, a),
                        s->next_pass_usec > now_usec ? relative(s->next_pass_usec, now_usec, b) : "due now");
        else
                fputs("next pass: none planned\n", f);
}

static void json_time(FILE *f, uint64_t usec) {
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;
        char buf[32];

        if (usec == 0 || !gmtime_r(&t, &tm) || strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                fputs("null", f);
        else
                fprintf(f, "\"%s\"", buf);
}

static void pass_json(const State *s, const char *by, FILE *f) {
        fputs("{\"started\":", f);
        json_time(f, s->started_usec);
        fputs(",\"finished\":", f);
        json_time(f, s->finished_usec);
        fputs(",\"result\":", f);
        json_write_string(f, s->result);
        /* in sync after the pass: as plan's "in_sync" says it */
        fprintf(f, ",\"in_sync\":%s", streq_ptr(s->result, "in sync") || streq_ptr(s->result, "applied") ? "true" : "false");
        fprintf(f, ",\"ok\":%s,\"changes\":%u,\"by\":\"%s\",\"pid\":%ld}", s->ok ? "true" : "false", s->changes, by,
                (long) s->pid);
}

void status_print_json(const State *s, bool running, const State *apply, FILE *f) {
        const State *info = s ? s : apply;
        bool apply_last = apply && (!s || !s->have_last_pass || apply->finished_usec > s->finished_usec);

        fprintf(f, "{\"version\":1,\"running\":%s,\"pid\":", running ? "true" : "false");
        if (s)
                fprintf(f, "%ld", (long) s->pid);
        else
                fputs("null", f);
        fputs(",\"config\":", f);
        json_write_string(f, info ? info->config : NULL);
        fputs(",\"router\":", f);
        json_write_string(f, info ? info->router : NULL);
        fputs(",\"external_address\":", f);
        json_write_string(f, s ? s->external : NULL);
        fputs(",\"recorded_groups\":[", f);
        info = apply_last ? apply : s;
        for (size_t i = 0; info && i < info->recorded.n; i++) {
                if (i)
                        fputc(',', f);
                json_write_string(f, info->recorded.groups[i]);
        }
        fputc(']', f);
        fputs(",\"last_pass\":", f);
        if (apply_last)
                pass_json(apply, "apply", f);
        else if (s && s->have_last_pass)
                pass_json(s, "daemon", f);
        else
                fputs("null", f);
        fputs(",\"last_apply\":", f);
        if (apply)
                pass_json(apply, "apply", f);
        else
                fputs("null", f);
        fputs(",\"next_pass\":", f);
        json_time(f, s && running ? s->next_pass_usec : 0);
        fputs(",\"status\":", f);
        json_write_string(f, info ? info->status : NULL);
        fputs("}\n", f);
}
