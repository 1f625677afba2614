/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "file-util.h"
#include "macro.h"
#include "ownership.h"

#define STATE_BASE "/var/lib/portkeep"
#define RECORD_MAX (256 * 1024)
#define HEADER "# portkeep: the groups applied and verified on this router; not to be edited"

void ownership_done(Ownership *o) {
        for (size_t i = 0; i < o->n; i++)
                free(o->groups[i]);
        free(o->groups);
        *o = (Ownership){};
}

static const char *state_directory(char *buf, size_t size) {
        const char *e = secure_getenv("STATE_DIRECTORY");

        if (e && *e) {
                /* systemd joins several with ':'; the first is ours */
                snprintf(buf, size, "%.*s", (int) strcspn(e, ":"), e);
                return buf;
        }
        return STATE_BASE;
}

int ownership_path(const Config *c, char **ret) {
        _cleanup_free_ char *name = NULL;
        char dir[4096];
        int r;

        r = c->backend->lock_name(c, &name);
        if (r < 0)
                return r;
        if (asprintf(ret, "%s/%s.groups", state_directory(dir, sizeof dir), name) < 0)
                return -ENOMEM;
        return 0;
}

bool ownership_has(const Ownership *o, const char *group) {
        if (!group)
                return false;
        for (size_t i = 0; i < o->n; i++)
                if (streq(o->groups[i], group))
                        return true;
        return false;
}

bool ownership_equal(const Ownership *a, const Ownership *b) {
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (!ownership_has(b, a->groups[i]))
                        return false;
        return true;
}

int ownership_add(Ownership *o, const char *group) {
        char **p;

        if (ownership_has(o, group))
                return 0;
        p = reallocarray(o->groups, o->n + 1, sizeof(char *));
        if (!p)
                return -ENOMEM;
        o->groups = p;
        o->groups[o->n] = strdup(group);
        if (!o->groups[o->n])
                return -ENOMEM;
        o->n++;
        return 0;
}

int ownership_read(const char *path, Ownership *ret) {
        _cleanup_free_ char *buf = NULL;
        Ownership o = {};
        size_t n = 0;
        bool opened;
        int r;

        *ret = (Ownership){};
        buf = malloc(RECORD_MAX + 1);
        if (!buf)
                return -ENOMEM;
        r = read_file_bounded(path, RECORD_MAX, buf, &n, NULL, &opened);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        buf[n] = '\0';
        if (strncmp(buf, HEADER "\n", strlen(HEADER) + 1) != 0 || memchr(buf, '\0', n))
                return -EBADMSG;
        for (char *line = buf + strlen(HEADER) + 1, *next; *line; line = next) {
                next = line + strcspn(line, "\n");
                if (*next)
                        *next++ = '\0';
                if (strncmp(line, "GROUP=", 6) != 0 || !line[6]) {
                        ownership_done(&o);
                        return -EBADMSG;
                }
                r = ownership_add(&o, line + 6);
                if (r < 0) {
                        ownership_done(&o);
                        return r;
                }
        }
        *ret = o;
        return 0;
}

static void print_record(FILE *f, const void *userdata) {
        const Ownership *o = userdata;

        fputs(HEADER "\n", f);
        for (size_t i = 0; i < o->n; i++)
                fprintf(f, "GROUP=%s\n", o->groups[i]); /* a group name holds no line break (config.c) */
}

int ownership_write(const char *path, const Ownership *o) {
        _cleanup_free_ char *dir = strdup(path);
        char *slash;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                        return -errno;
        }
        return write_file_atomic(path, 0644, print_record, o);
}
