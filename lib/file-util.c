/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "file-util.h"
#include "macro.h"

int read_file_bounded(const char *path, size_t max, char *buf, size_t *ret_size, struct stat *ret_st,
                      bool *ret_opened) {
        _cleanup_(closep) int fd = -EBADF;
        struct stat st;

        *ret_opened = false;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        *ret_opened = true;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (ret_st)
                *ret_st = st;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if ((size_t) st.st_size > max)
                return -EFBIG;
        return read_fd_bounded(fd, max, buf, ret_size);
}

int read_fd_bounded(int fd, size_t max, char *buf, size_t *ret_size) {
        size_t n = 0;

        while (n <= max) {
                ssize_t k = read(fd, buf + n, max + 1 - n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        int r = -errno;

                        explicit_bzero(buf, n);
                        return r;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        if (n > max) {
                explicit_bzero(buf, n);
                return -EFBIG;
        }
        *ret_size = n;
        return 0;
}

int write_file_atomic(const char *path, mode_t mode, void (*print)(FILE *f, const void *userdata),
                      const void *userdata) {
        _cleanup_free_ char *tmp = NULL;
        const char *slash = strrchr(path, '/');
        FILE *f;
        int fd, r = 0;

        if (asprintf(&tmp, "%.*s.%s.XXXXXX", slash ? (int) (slash - path + 1) : 0, path, slash ? slash + 1 : path) < 0) {
                tmp = NULL;
                return -ENOMEM;
        }
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, mode) < 0)
                r = -errno;
        f = fdopen(fd, "w");
        if (!f) {
                r = -errno;
                close(fd);
                unlink(tmp);
                return r;
        }
        print(f, userdata);
        if (fflush(f) != 0 || ferror(f))
                r = errno > 0 ? -errno : -EIO;
        if (fclose(f) != 0 && r == 0)
                r = errno > 0 ? -errno : -EIO;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}
