/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confirm.h"
#include "file-util.h"
#include "lock.h"
#include "macro.h"
#include "ownership.h"
#include "time-util.h"

#define CONFIG_MAX (1024 * 1024)

int confirm_wait(uint64_t timeout_usec, ConfirmAnswer *ret, int *ret_signal) {
        _cleanup_(closep) int sfd = -EBADF;
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + timeout_usec;
        bool use_stdin = isatty(STDIN_FILENO) || (lseek(STDIN_FILENO, 0, SEEK_CUR) < 0 && errno == ESPIPE);
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGUSR1);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        sfd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (sfd < 0)
                return -errno;

        for (;;) {
                struct pollfd p[2] = { { .fd = sfd, .events = POLLIN }, { .fd = STDIN_FILENO, .events = POLLIN } };
                uint64_t n = now_usec(CLOCK_MONOTONIC);
                int k;

                if (n >= deadline) {
                        *ret = CONFIRM_TIMEOUT;
                        return 0;
                }
                k = poll(p, use_stdin ? 2 : 1, (int) ((deadline - n + 999) / 1000));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (p[0].revents & POLLIN) {
                        struct signalfd_siginfo si;

                        if (read(sfd, &si, sizeof si) != sizeof si)
                                continue;
                        if (si.ssi_signo == SIGUSR1) {
                                *ret = CONFIRM_KEEP;
                                return 0;
                        }
                        *ret = CONFIRM_SIGNAL;
                        *ret_signal = (int) si.ssi_signo;
                        return 0;
                }
                if (use_stdin && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
                        char c;
                        ssize_t r = read(STDIN_FILENO, &c, 1);

                        if (r <= 0) {
                                use_stdin = false; /* end of file: no answer from there */
                                continue;
                        }
                        if (c == '\n') {
                                *ret = CONFIRM_KEEP;
                                return 0;
                        }
                }
        }
}

/* ---- the pending apply ---- */

static int pending_path(char **ret) {
        return asprintf(ret, "%s/confirm", lock_runtime_directory()) < 0 ? -ENOMEM : 0;
}

static void print_pid(FILE *f, const void *userdata) {
        fprintf(f, "%ld\n", (long) getpid());
}

int confirm_pending_create(void) {
        _cleanup_free_ char *path = NULL;

        if (pending_path(&path) < 0)
                return -ENOMEM;
        if (mkdir(lock_runtime_directory(), 0755) < 0 && errno != EEXIST)
                return -errno;
        return write_file_atomic(path, 0644, print_pid, NULL);
}

void confirm_pending_remove(void) {
        _cleanup_free_ char *path = NULL;

        if (pending_path(&path) >= 0)
                (void) unlink(path);
}

int confirm_send(long *ret_pid) {
        _cleanup_free_ char *path = NULL;
        char buf[32];
        size_t n = 0;
        bool opened;
        char *end;
        long pid;
        int r;

        if (pending_path(&path) < 0)
                return -ENOMEM;
        r = read_file_bounded(path, sizeof buf - 1, buf, &n, NULL, &opened);
        if (r < 0)
                return r;
        buf[n] = '\0';
        pid = strtol(buf, &end, 10);
        if (pid <= 1 || (*end && *end != '\n'))
                return -EBADMSG;
        *ret_pid = pid;
        if (kill((pid_t) pid, SIGUSR1) < 0)
                return errno == ESRCH ? -ENOENT : -errno;
        return 0;
}

/* ---- the refused content ---- */

static int refused_path(const Config *c, char **ret) {
        _cleanup_free_ char *record = NULL;
        size_t l;

        if (!c->backend->lock_name || ownership_path(c, &record) < 0)
                return -EINVAL;
        l = strlen(record);
        if (l > 7 && streq(record + l - 7, ".groups"))
                record[l - 7] = '\0';
        return asprintf(ret, "%s.refused", record) < 0 ? -ENOMEM : 0;
}

int confirm_file_hash(const char *path, char ret[static 65]) {
        _cleanup_free_ char *buf = malloc(CONFIG_MAX + 1);
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        size_t n = 0;
        bool opened;
        int r;

        if (!buf)
                return -ENOMEM;
        r = read_file_bounded(path, CONFIG_MAX, buf, &n, NULL, &opened);
        if (r < 0)
                return r;
        if (EVP_Digest(buf, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32)
                return -EIO;
        for (unsigned i = 0; i < len; i++)
                sprintf(ret + 2 * i, "%02x", md[i]);
        return 0;
}

typedef struct Refused {
        const char *hash;
        uint64_t when;
} Refused;

static void print_refused(FILE *f, const void *userdata) {
        const Refused *r = userdata;

        fprintf(f, "# portkeep: apply --confirm restored this file's change; the daemon skips it until it changes\n"
                   "SHA256=%s\nWHEN=%" PRIu64 "\n", r->hash, r->when);
}

int confirm_mark_refused(const Config *c) {
        _cleanup_free_ char *path = NULL;
        char hash[65];
        int k;

        k = refused_path(c, &path);
        if (k < 0)
                return k;
        k = confirm_file_hash(c->path, hash);
        if (k < 0)
                return k;
        {
                _cleanup_free_ char *dir = strdup(path);
                char *slash = dir ? strrchr(dir, '/') : NULL;

                if (slash && slash != dir) {
                        *slash = '\0';
                        (void) mkdir(dir, 0755);
                }
        }
        return write_file_atomic(path, 0644, print_refused, &(Refused){ hash, now_usec(CLOCK_REALTIME) });
}

bool confirm_is_refused(const Config *c, const char *hash, uint64_t *ret_when) {
        _cleanup_free_ char *path = NULL;
        char buf[512], *w;
        size_t n = 0;
        bool opened;

        if (refused_path(c, &path) < 0 || read_file_bounded(path, sizeof buf - 1, buf, &n, NULL, &opened) < 0)
                return false;
        buf[n] = '\0';
        if (!strstr(buf, "SHA256=") || strncmp(strstr(buf, "SHA256=") + 7, hash, 64) != 0)
                return false;
        w = strstr(buf, "WHEN=");
        if (ret_when)
                *ret_when = w ? strtoull(w + 5, NULL, 10) : 0;
        return true;
}

void confirm_clear(const Config *c) {
        _cleanup_free_ char *path = NULL;

        if (refused_path(c, &path) >= 0)
                (void) unlink(path);
}
