/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The router's password, from the file or the systemd credential the config
 * names: read, bounded, never logged, wiped from every buffer it passed. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "file-util.h"
#include "macro.h"

#define PASSWORD_SIZE_MAX 4096

int config_read_password(const Config *c, char **ret, bool *ret_world_readable, char *errbuf,
                         size_t errbuf_size) {
        _cleanup_(freep) char *joined = NULL;
        const char *creds = secure_getenv("CREDENTIALS_DIRECTORY"), *path;
        char buf[PASSWORD_SIZE_MAX + 1];
        struct stat st = {};
        bool opened;
        size_t n = 0;
        char *pw;
        int r;

        if (creds && *creds && c->password_credential) {
                if (asprintf(&joined, "%s/%s", creds, c->password_credential) < 0)
                        return -ENOMEM;
                path = joined;
        } else if (c->password_file) {
                path = c->password_file;
                /* A relative path is relative to the config file's directory. */
                if (path[0] != '/' && c->path && strchr(c->path, '/')) {
                        int dl = (int) (strrchr(c->path, '/') - c->path);

                        if (asprintf(&joined, "%.*s/%s", dl, c->path, path) < 0)
                                return -ENOMEM;
                        path = joined;
                }
        } else if (!c->backend->needs_password && !c->password_credential) {
                /* A router without a login (UPnP IGD): nothing to read. */
                pw = strdup("");
                if (!pw)
                        return -ENOMEM;
                *ret = pw;
                if (ret_world_readable)
                        *ret_world_readable = false;
                return 0;
        } else {
                snprintf(errbuf, errbuf_size, "%s: no password_file%s configured", c->path,
                         c->password_credential ? " (and $CREDENTIALS_DIRECTORY is not set)" : "");
                return -ENOENT;
        }

        r = read_file_bounded(path, PASSWORD_SIZE_MAX, buf, &n, &st, &opened);
        if (r == -EISDIR || r == -EINVAL) {
                snprintf(errbuf, errbuf_size, "password file '%s' is not a regular file", path);
                return -EINVAL;
        }
        if (r == -EFBIG) {
                snprintf(errbuf, errbuf_size, "password file '%s' is larger than %d bytes", path,
                         PASSWORD_SIZE_MAX);
                return r;
        }
        if (r < 0) {
                snprintf(errbuf, errbuf_size, "cannot read the password file '%s': %s", path, strerror(-r));
                return r;
        }
        if (n > 0 && buf[n - 1] == '\n')
                n--;
        if (n > 0 && buf[n - 1] == '\r')
                n--;
        if (n == 0 || memchr(buf, '\n', n) || memchr(buf, '\0', n)) {
                explicit_bzero(buf, sizeof buf);
                snprintf(errbuf, errbuf_size, "password file '%s' %s", path,
                         n == 0 ? "is empty" : "must hold the password on one line");
                return -EINVAL;
        }
        pw = malloc(n + 1);
        if (!pw) {
                explicit_bzero(buf, sizeof buf);
                return -ENOMEM;
        }
        memcpy(pw, buf, n);
        pw[n] = 0;
        explicit_bzero(buf, sizeof buf);
        *ret = pw;
        if (ret_world_readable)
                *ret_world_readable = (st.st_mode & S_IROTH) != 0;
        return 0;
}
