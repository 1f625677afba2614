/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* The errors of a config file, as the loader collects them (every error in
 * the file, not only the first) and as they are shown to a user. */

/* One error in a config file. line/column are 1-based (0 if unknown);
 * source_line is the text of that line, without newline, or NULL. */
typedef struct ConfigError {
        char *file;
        unsigned line, column;
        char *message;
        char *source_line;
} ConfigError;

typedef struct ConfigErrors {
        ConfigError *items;
        size_t n, allocated;
} ConfigErrors;

void config_errors_done(ConfigErrors *e);
/* Appends an error; message is taken (freed on failure too). 0 or -ENOMEM. */
int config_errors_push(ConfigErrors *e, const char *file, unsigned line, unsigned column, const char *source_line,
                       char *message);
/* Prints each error to stderr as "FILE:LINE:COLUMN: message", then the
 * source line and a caret under the column (control characters as '?', wide
 * characters as two cells). Always printed, whatever the log level; with the
 * log's "<N>" prefix when journald reads stderr. */
void config_errors_log(const ConfigErrors *errors);

