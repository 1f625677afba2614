/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "file-util.h"
#include "state.h"

#define STATE_LINE_MAX 4096

void state_done(State *s) {
        if (!s)
                return;
        free(s->config);
        free(s->router);
        free(s->external);
        ownership_done(&s->recorded);
        free(s->result);
        free(s->status);
        *s = (State){};
}

/* ---- writing ---- */

/* Values are one line each; a newline in a string would start a new key. */
static void write_string(FILE *f, const char *key, const char *value) {
        if (!value)
                return;
        fprintf(f, "%s=", key);
        for (const char *p = value; *p; p++)
                fputc(*p == '\n' || *p == '\r' ? ' ' : *p, f);
        fputc('\n', f);
}

static void state_print(const State *s, FILE *f) {
        fprintf(f, "# portkeep daemon state, for 'portkeep status'. Not a stable interface:\n"
                   "# use 'portkeep status --json'.\n"
                   "VERSION=1\nPID=%ld\n", (long) s->pid);
        write_string(f, "CONFIG", s->config);
        write_string(f, "ROUTER", s->router);
        write_string(f, "EXTERNAL", s->external);
        for (size_t i = 0; i < s->recorded.n; i++)
                write_string(f, "RECORDED", s->recorded.groups[i]);
        write_string(f, "STATUS", s->status);
        if (s->next_pass_usec > 0)
                fprintf(f, "NEXT_PASS=%" PRIu64 "\n", s->next_pass_usec);
        if (s->have_last_pass) {
                fprintf(f, "STARTED=%" PRIu64 "\nFINISHED=%" PRIu64 "\nOK=%d\nCHANGES=%u\n", s->started_usec,
                        s->finished_usec, s->ok, s->changes);
                write_string(f, "RESULT", s->result);
        }
}

static void state_print_cb(FILE *f, const void *userdata) {
        state_print(userdata, f);
}

int state_write(const char *dir, const char *name, const State *s) {
        _cleanup_(freep) char *path = NULL;

        if (asprintf(&path, "%s/%s", dir, name) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        /* readable by 'portkeep status' run by any user: it holds no secret */
        return write_file_atomic(path, 0644, state_print_cb, s);
}

/* ---- reading ---- */

static int parse_u64(const char *v, uint64_t max, uint64_t *ret) {
        char *end;
        unsigned long long u;

        if (*v < '0' || *v > '9')
                return -EBADMSG;
        errno = 0;
        u = strtoull(v, &end, 10);
        if (errno != 0 || *end != '\0' || u > max)
                return -EBADMSG;
        *ret = u;
        return 0;
}

static int set_string(char **field, const char *v) {
        char *s = strdup(v);

        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

static int state_assign(State *s, const char *key, const char *v, bool *have_version) {
        uint64_t u;
        int r = 0;

        if (streq(key, "VERSION")) {
                r = parse_u64(v, UINT64_MAX, &u);
                if (r == 0 && u != 1)
                        r = -EBADMSG;
                *have_version = r == 0;
        } else if (streq(key, "PID")) {
                r = parse_u64(v, 4194304, &u);
                s->pid = (pid_t) u;
        } else if (streq(key, "CONFIG"))
                r = set_string(&s->config, v);
        else if (streq(key, "ROUTER"))
                r = set_string(&s->router, v);
        else if (streq(key, "EXTERNAL"))
                r = set_string(&s->external, v);
        else if (streq(key, "RECORDED"))
                r = ownership_add(&s->recorded, v);
        else if (streq(key, "STATUS"))
                r = set_string(&s->status, v);
        else if (streq(key, "RESULT"))
                r = set_string(&s->result, v);
        else if (streq(key, "NEXT_PASS"))
                r = parse_u64(v, UINT64_MAX, &s->next_pass_usec);
        else if (streq(key, "STARTED"))
                r = parse_u64(v, UINT64_MAX, &s->started_usec);
        else if (streq(key, "FINISHED"))
                r = parse_u64(v, UINT64_MAX, &s->finished_usec);
        else if (streq(key, "OK")) {
                r = parse_u64(v, 1, &u);
                s->ok = u == 1;
        } else if (streq(key, "CHANGES")) {
                r = parse_u64(v, UINT32_MAX, &u);
                s->changes = (unsigned) u;
        }
        /* other keys: written by a newer version, ignoring */
        return r;
}

int state_read(const char *dir, const char *name, State *ret) {
        _cleanup_(freep) char *path = NULL;
        _cleanup_(fclosep) FILE *f = NULL;
        char line[STATE_LINE_MAX];
        bool have_version = false;
        State s = {};
        int r = 0;

        if (asprintf(&path, "%s/%s", dir, name) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (r >= 0 && fgets(line, sizeof line, f)) {
                char *eq, *nl = strchr(line, '\n');

                if (!nl && !feof(f))
                        r = -EBADMSG; /* a line longer than any we write */
                else if (line[0] == '#' || line[0] == '\n')
                        continue;
                else if (!(eq = strchr(line, '=')))
                        r = -EBADMSG;
                else {
                        if (nl)
                                *nl = '\0';
                        *eq = '\0';
                        r = state_assign(&s, line, eq + 1, &have_version);
                }
        }
        if (r >= 0 && ferror(f))
                r = -EIO;
        if (r >= 0 && (!have_version || s.pid <= 0))
                r = -EBADMSG;
        if (r < 0) {
                state_done(&s);
                return r;
        }
        s.have_last_pass = s.finished_usec > 0;
        *ret = s;
        return 0;
}
