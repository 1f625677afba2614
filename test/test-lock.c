/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The per-router lock: a second taker waits, then gives up naming the holder. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "lock.h"
#include "macro.h"


static double now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_names(void) {
        static const struct {
                const char *url, *name;
        } cases[] = {
                { "http://192.168.11.1", "192.168.11.1" },
                { "http://192.168.11.1/", "192.168.11.1" },
                { "https://Router.Local/login.html?x=1", "router.local" },
                { "http://admin@192.168.11.1:8080/", "192.168.11.1:8080" },
                { "http://127.0.0.1:41234", "127.0.0.1:41234" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *n = NULL;

                CHECK(lock_name_from_url(cases[i].url, &n) == 0);
                CHECK(n && streq(n, cases[i].name));
                free(n);
        }
        char *n = NULL;
        CHECK(lock_name_from_url("http:///x", &n) == -EINVAL);
        CHECK(lock_name_from_url("http://../", &n) == -EINVAL);
        CHECK(!n);
}

static void test_contention(const char *tmp) {
        char dir[4096], path[4200];
        int to_parent[2], to_child[2];
        pid_t child, holder = -1;
        Lock *l = NULL;
        char *lpath = NULL;
        char c;
        double t0, dt;
        int r, status;

        /* The directory does not exist yet: the first taker makes it. */
        snprintf(dir, sizeof dir, "%s/run", tmp);
        setenv("RUNTIME_DIRECTORY", dir, 1);
        setenv("PORTKEEP_LOCK_TIMEOUT", "1", 1);
        CHECK(lock_timeout_usec() == UINT64_C(1000000));

        if (pipe(to_parent) < 0 || pipe(to_child) < 0) {
                perror("pipe");
                exit(1);
        }
        child = fork();
        if (child < 0) {
                perror("fork");
                exit(1);
        }
        if (child == 0) {
                Lock *cl = NULL;

                if (lock_acquire("192.168.11.1", 0, &cl, NULL, NULL) < 0)
                        _exit(1);
                if (write(to_parent[1], "x", 1) != 1)
                        _exit(1);
                /* hold until the parent says so */
                if (read(to_child[0], &c, 1) < 0)
                        _exit(1);
                lock_release(cl);
                _exit(0);
        }
        CHECK(read(to_parent[0], &c, 1) == 1);

        struct stat st;
        CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755);

        t0 = now();
        r = lock_acquire("192.168.11.1", lock_timeout_usec(), &l, &holder, &lpath);
        dt = now() - t0;
        CHECK(r == -EAGAIN);
        CHECK(holder == child);
        CHECK(!l);
        CHECK(dt >= 0.9 && dt < 5);
        snprintf(path, sizeof path, "%s/192.168.11.1.lock", dir);
        CHECK(lpath && streq(lpath, path));
        free(lpath);
        lpath = NULL;

        /* Another router is not blocked by this one. */
        CHECK(lock_acquire("192.168.11.2", 0, &l, NULL, NULL) == 0);
        l = lock_release(l);

        /* Once the holder lets go, a waiting taker gets it within its wait. */
        CHECK(write(to_child[1], "x", 1) == 1);
        r = lock_acquire("192.168.11.1", lock_timeout_usec(), &l, &holder, NULL);
        CHECK(r == 0);
        CHECK(l);
        CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);

        /* While we hold it, the file names us. */
        FILE *f = fopen(path, "re");
        long pid = 0;
        CHECK(f && fscanf(f, "%ld", &pid) == 1 && pid == (long) getpid());
        if (f)
                fclose(f);
        lock_release(l);
}

int main(void) {
        char tmp[] = "/tmp/test-lock.XXXXXX";

        umask(022);
        if (!mkdtemp(tmp)) {
                perror("mkdtemp");
                return 1;
        }
        test_names();
        test_contention(tmp);

        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", tmp);

        if (failures) {
                fprintf(stderr, "%d check(s) failed\n", failures);
                return 1;
        }
        printf("test-lock: all checks passed\n");
        return 0;
}
