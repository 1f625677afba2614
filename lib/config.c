/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Placeholder until the parser lands (issue 2). */
#include "config.h"
#include "macro.h"

void config_errors_done(ConfigErrors *e) {
        for (size_t i = 0; i < e->n; i++) {
                free(e->items[i].file);
                free(e->items[i].message);
                free(e->items[i].source_line);
        }
        free(e->items);
        *e = (ConfigErrors){};
}

int config_load(const char *path, Config **ret, ConfigErrors *errors) {
        return -ENOSYS;
}

Config *config_free(Config *c) {
        return NULL;
}
