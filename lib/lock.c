/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "macro.h"
#include "time-util.h"

#define RETRY_USEC UINT64_C(100000)
#define NAME_MAX_LEN 200

struct Lock {
        int fd;
        char *path;
};

/* A name that keeps the lock file inside its directory: no '/', no
 * leading '.', printable. */
static bool lock_name_is_valid(const char *name) {
        size_t n = strlen(name);

        if (n == 0 || n > NAME_MAX_LEN || name[0] == '.')
                return false;
        for (const char *c = name; *c; c++)
                if (*c == '/' || *c == '\\' || !isgraph((unsigned char) *c))
                        return false;
        return true;
}

int lock_name_from_url(const char *url, char **ret) {
        const char *p, *e, *at;
        char *name;

        p = strstr(url, "://");
        p = p ? p + 3 : url;
        e = p + strcspn(p, "/?#");
        /* drop user:password@ */
        at = memchr(p, '@', e - p);
        if (at)
                p = at + 1;
        name = strndup(p, e - p);
        if (!name)
                return -ENOMEM;
        if (!lock_name_is_valid(name)) {
                free(name);
                return -EINVAL;
        }
        for (char *c = name; *c; c++)
                *c = tolower((unsigned char) *c);
        *ret = name;
        return 0;
}

#define RUNTIME_BASE "/run/portkeep"

static char *config_runtime_dir = NULL;

int lock_runtime_directory_for(const char *config_path, char **ret) {
        _cleanup_(freep) char *name = NULL;
        const char *base;
        size_t n;
        char *d;

        base = config_path ? strrchr(config_path, '/') : NULL;
        base = base ? base + 1 : config_path ? config_path : "";
        n = strlen(base);
        if (n > 5 && streq(base + n - 5, ".yaml"))
                n -= 5;
        else if (n > 4 && streq(base + n - 4, ".yml"))
                n -= 4;
        name = strndup(base, n);
        if (!name)
                return -ENOMEM;

        if (n == 0 || n > NAME_MAX_LEN || streq(name, ".") || streq(name, "..") || streq(name, "portkeep"))
                d = strdup(RUNTIME_BASE);
        else if (asprintf(&d, RUNTIME_BASE "-%s", name) < 0)
                d = NULL;
        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}

int lock_set_config_path(const char *config_path) {
        char *d = NULL;
        int r;

        if (config_path) {
                r = lock_runtime_directory_for(config_path, &d);
                if (r < 0)
                        return r;
        }
        free(config_runtime_dir);
        config_runtime_dir = d;
        return 0;
}

const char *lock_runtime_directory(void) {
        static char buf[4096];
        const char *e = secure_getenv("RUNTIME_DIRECTORY");
        const char *fallback = config_runtime_dir ? config_runtime_dir : RUNTIME_BASE;
        size_t n;

        if (!e || !*e)
                return fallback;
        /* systemd joins several RuntimeDirectory= with ':'; the first is ours. */
        n = strcspn(e, ":");
        if (n >= sizeof buf)
                return fallback;
        memcpy(buf, e, n);
        buf[n] = '\0';
        return buf;
}

uint64_t lock_timeout_usec(void) {
        const char *e = secure_getenv("PORTKEEP_LOCK_TIMEOUT");
        unsigned long v;
        char *end;

        if (!e || !*e)
                return LOCK_DEFAULT_TIMEOUT_USEC;
        errno = 0;
        v = strtoul(e, &end, 10);
        if (errno != 0 || *end != '\0' || !isdigit((unsigned char) e[0]) || v > 86400)
                return LOCK_DEFAULT_TIMEOUT_USEC;
        return (uint64_t) v * UINT64_C(1000000);
}

static pid_t read_holder(int fd) {
        char buf[32];
        ssize_t n;
        long v;
        char *end;

        n = pread(fd, buf, sizeof buf - 1, 0);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        errno = 0;
        v = strtol(buf, &end, 10);
        if (errno != 0 || end == buf || v <= 0 || (*end != '\n' && *end != '\0'))
                return 0;
        return (pid_t) v;
}

static int write_holder(int fd) {
        char buf[32];
        int n;

        n = snprintf(buf, sizeof buf, "%ld\n", (long) getpid());
        if (ftruncate(fd, 0) < 0)
                return -errno;
        if (pwrite(fd, buf, n, 0) != n)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

/* root running a one-shot beside the unit's daemon (DynamicUser=yes, its
 * own user) must not leave a lock file that daemon cannot open: the file
 * goes to whoever owns the directory. */
static void give_to_directory_owner(int fd, const char *dir) {
        struct stat d, f;

        if (geteuid() != 0 || stat(dir, &d) < 0 || fstat(fd, &f) < 0)
                return;
        if (f.st_uid == d.st_uid && f.st_gid == d.st_gid)
                return;
        if (fchown(fd, d.st_uid, d.st_gid) < 0) {
                /* the read-only fallback in lock_acquire() still works */
        }
}

int lock_acquire(const char *name, uint64_t timeout_usec, Lock **ret, pid_t *ret_holder,
                 char **ret_path) {
        _cleanup_(freep) char *path = NULL;
        _cleanup_(closep) int fd = -EBADF;
        const char *dir = lock_runtime_directory();
        bool read_only = false;
        uint64_t deadline;
        Lock *l;
        int r;

        if (!lock_name_is_valid(name))
                return -EINVAL;
        if (asprintf(&path, "%s/%s.lock", dir, name) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        if (ret_path) {
                *ret_path = strdup(path);
                if (!*ret_path)
                        return -ENOMEM;
        }

        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
        if (fd < 0 && errno == EACCES) {
                /* Made by another user (root's one-shot in the daemon's
                 * directory, before the chown below existed): flock() works
                 * on a read-only descriptor too; only the pid is not written. */
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
                read_only = true;
        }
        if (fd < 0)
                return -errno;
        give_to_directory_owner(fd, dir);

        deadline = now_usec(CLOCK_MONOTONIC) + timeout_usec;
        for (;;) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        break;
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return -errno;
                if (now_usec(CLOCK_MONOTONIC) >= deadline) {
                        if (ret_holder)
                                *ret_holder = read_holder(fd);
                        return -EAGAIN;
                }
                usleep(RETRY_USEC);
        }

        if (!read_only) {
                r = write_holder(fd);
                if (r < 0)
                        return r;
        }

        l = malloc(sizeof *l);
        if (!l)
                return -ENOMEM;
        l->fd = fd;
        l->path = TAKE_PTR(path);
        fd = -EBADF;
        *ret = l;
        return 0;
}

Lock *lock_release(Lock *l) {
        if (!l)
                return NULL;
        /* Empty the pid first: a later reader must not name a finished process.
         * The file stays; unlinking it would race with a waiting process. */
        if (ftruncate(l->fd, 0) < 0) {
                /* nothing to do: closing releases the lock anyway */
        }
        close(l->fd);
        free(l->path);
        free(l);
        return NULL;
}
