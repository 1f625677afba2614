/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Starts a local test server (argv[0] is run by python3) that writes its port
 * to the file given with port_arg, and waits for it. Shared by test-http and
 * test-nosave. */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

typedef struct TestServer {
        pid_t pid;
        unsigned port;
        char dir[64];
        char port_file[128];
} TestServer;

/* argv: the script and its arguments; the literal "@PORTFILE@" is replaced
 * by the port file's path. */
static inline int test_server_start(TestServer *s, const char *const *argv) {
        const char *args[32];
        size_t n = 0;

        strcpy(s->dir, "/tmp/portkeep-test-XXXXXX");
        if (!mkdtemp(s->dir))
                return -1;
        snprintf(s->port_file, sizeof(s->port_file), "%s/port", s->dir);
        args[n++] = "python3";
        for (; *argv && n < 30; argv++)
                args[n++] = strcmp(*argv, "@PORTFILE@") == 0 ? s->port_file : *argv;
        args[n] = NULL;

        s->pid = fork();
        if (s->pid < 0)
                return -1;
        if (s->pid == 0) {
                execvp("python3", (char **) args);
                _exit(127);
        }
        for (int i = 0; i < 200; i++) {
                FILE *f = fopen(s->port_file, "re");
                if (f) {
                        int ok = fscanf(f, "%u", &s->port) == 1;
                        fclose(f);
                        if (ok)
                                return 0;
                }
                usleep(50 * 1000);
        }
        return -1;
}

static inline void test_server_stop(TestServer *s) {
        if (s->pid > 0) {
                kill(s->pid, SIGTERM);
                waitpid(s->pid, NULL, 0);
                s->pid = 0;
        }
        unlink(s->port_file);
        rmdir(s->dir);
}

static inline char *test_server_url(const TestServer *s) {
        static char url[64];

        snprintf(url, sizeof(url), "http://127.0.0.1:%u", s->port);
        return url;
}

