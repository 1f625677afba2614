/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config-errors.h"
#include "log.h"
#include "macro.h"
#include "utf8.h"

void config_errors_done(ConfigErrors *e) {
        if (!e)
                return;
        for (size_t i = 0; i < e->n; i++) {
                free(e->items[i].file);
                free(e->items[i].message);
                free(e->items[i].source_line);
        }
        free(e->items);
        *e = (ConfigErrors){};
}

int config_errors_push(ConfigErrors *e, const char *file, unsigned line, unsigned column, const char *source_line,
                       char *message) {
        _cleanup_(freep) char *m = message;
        ConfigError *err;

        if (e->n >= e->allocated) {
                size_t n = e->allocated ? e->allocated * 2 : 8;
                ConfigError *p = reallocarray(e->items, n, sizeof(ConfigError));

                if (!p)
                        return -ENOMEM;
                e->items = p;
                e->allocated = n;
        }
        err = &e->items[e->n];
        *err = (ConfigError){ .line = line, .column = column };
        err->file = strdup(file);
        err->source_line = strdup_or_null(source_line);
        if (!err->file || (source_line && !err->source_line)) {
                free(err->file);
                free(err->source_line);
                return -ENOMEM;
        }
        err->message = TAKE_PTR(m);
        e->n++;
        return 0;
}

/* The source line, then a caret under column (counted in characters, as
 * libyaml does). Control characters and invalid bytes print as '?', so that a
 * file cannot send escape sequences to the terminal; tabs are kept, and wide
 * characters get two spaces, so that the caret lines up. */
static void print_caret_line(const char *src, unsigned column) {
        const unsigned char *s = (const unsigned char *) src;
        size_t caret = 0, pad = 0;
        char spaces[1024];

        fputs("  ", stderr);
        for (unsigned c = 1; *s; c++) {
                uint32_t ch = 0;
                size_t n = utf8_decode(s, &ch);
                bool bad = n == 0 || (utf8_is_control(ch) && ch != '\t');

                if (c < column && pad + 2 < sizeof spaces) {
                        if (ch == '\t' && !bad)
                                spaces[pad++] = '\t';
                        else
                                for (unsigned w = bad ? 1 : utf8_cell_width(ch); w > 0; w--)
                                        spaces[pad++] = ' ';
                        caret = pad;
                }
                if (bad)
                        fputc('?', stderr);
                else
                        fwrite(s, 1, n, stderr);
                s += n ? n : 1;
        }
        fprintf(stderr, "\n  %.*s^\n", (int) caret, spaces);
}

void config_errors_log(const ConfigErrors *errors) {
        for (size_t i = 0; i < errors->n; i++) {
                const ConfigError *e = &errors->items[i];

                if (log_uses_prefix())
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
