/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "macro.h"

#define RETRY_USEC UINT64_C(100000)
#define NAME_MAX_LEN 200

struct Lock {
        int fd;
        char *path;
};

int lock_name_from_url(const char *url, char **ret) {
        const char *p, *e, *at;
        char *name;
        size_t n;

        p = strstr(url, "://");
        p = p ? p + 3 : url;
        e = p + strcspn(p, "/?#");
        /* drop user:password@ */
        at = memchr(p, '@', e - p);
        if (at)
                p = at + 1;
        n = e - p;
        if (n == 0 || n > NAME_MAX_LEN)
                return -EINVAL;

        name = strndup(p, n);
        if (!name)
                return -ENOMEM;
        for (char *c = name; *c; c++) {
                /* A host never holds these; keep the file inside the directory. */
                if (*c == '/' || *c == '\\' || !isgraph((unsigned char) *c) ||
                    (c == name && *c == '.')) {
                        free(name);
                        return -EINVAL;
                }
                *c = tolower((unsigned char) *c);
        }
        *ret = name;
        return 0;
}

const char *lock_runtime_directory(void) {
        static char buf[4096];
        const char *e = secure_getenv("RUNTIME_DIRECTORY");
        size_t n;

        if (!e || !*e)
                return "/run/portkeep";
        /* systemd joins several RuntimeDirectory= with ':'; the first is ours. */
        n = strcspn(e, ":");
        if (n >= sizeof buf)
                return "/run/portkeep";
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

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000) + (uint64_t) ts.tv_nsec / 1000;
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

int lock_acquire(const char *url, uint64_t timeout_usec, Lock **ret, pid_t *ret_holder,
                 char **ret_path) {
        _cleanup_(freep) char *name = NULL, *path = NULL;
        _cleanup_(closep) int fd = -EBADF;
        const char *dir = lock_runtime_directory();
        uint64_t deadline;
        Lock *l;
        int r;

        r = lock_name_from_url(url, &name);
        if (r < 0)
                return r;
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
        if (fd < 0)
                return -errno;

        deadline = now_usec() + timeout_usec;
        for (;;) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        break;
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return -errno;
                if (now_usec() >= deadline) {
                        if (ret_holder)
                                *ret_holder = read_holder(fd);
                        return -EAGAIN;
                }
                usleep(RETRY_USEC);
        }

        r = write_holder(fd);
        if (r < 0)
                return r;

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
