/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "log.h"

static int max_level = LOG_INFO;
static bool use_prefix = false;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

/* Same test as systemd's: $JOURNAL_STREAM names the device and inode of the
 * stream journald gave us; if stderr is still that stream, journald reads the
 * <N> prefixes as priorities. */
static bool stderr_is_journal(void) {
        const char *e = secure_getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return st.st_dev == (dev_t) dev && st.st_ino == (ino_t) ino;
}

void log_open(void) {
        const char *e = secure_getenv("PORTKEEP_LOG_PREFIX");

        use_prefix = (e && streq(e, "1")) || stderr_is_journal();
}

int log_internal(int level, int error, const char *fmt, ...) {
        int saved = errno;
        va_list ap;

        if (error < 0)
                error = -error;
        if (level > max_level)
                return -error;

        if (use_prefix)
                fprintf(stderr, "<%d>", level);
        else if (level <= LOG_WARNING)
                fputs(level <= LOG_ERR ? "portkeep: " : "portkeep: warning: ", stderr);

        /* Let %m mean the error we were given, not whatever errno holds. */
        errno = error;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        fflush(stderr);

        errno = saved;
        return -error;
}

static void print_caret_line(const char *src, unsigned column) {
        fprintf(stderr, "  %s\n  ", src);
        /* Keep tabs so that the caret lines up under what the terminal shows;
         * columns count characters, so UTF-8 continuation bytes are skipped. */
        for (unsigned c = 1; *src && c < column; src++) {
                if (((unsigned char) *src & 0xc0) == 0x80)
                        continue;
                fputc(*src == '\t' ? '\t' : ' ', stderr);
                c++;
        }
        fputs("^\n", stderr);
}

void log_config_errors(const ConfigErrors *errors) {
        for (size_t i = 0; i < errors->n; i++) {
                const ConfigError *e = &errors->items[i];

                if (use_prefix)
                        fprintf(stderr, "<%d>", LOG_ERR);
                if (e->line > 0)
                        fprintf(stderr, "%s:%u:%u: %s\n", e->file, e->line, e->column, e->message);
                else
                        fprintf(stderr, "%s: %s\n", e->file, e->message);
                if (e->source_line && e->line > 0)
                        print_caret_line(e->source_line, e->column);
        }
        fflush(stderr);
}
