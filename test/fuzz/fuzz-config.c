/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for the config parser: any input must give a config or
 * errors, never a crash, a leak or a hang. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ConfigErrors errors = {};
        Config *c = NULL;
        int r;

        r = config_load_buffer("fuzz.yaml", (const char *) data, size, &c, &errors);
        /* Either a config and no errors, or errors and no config. */
        if ((r == 0) != (c != NULL) || (r == 0 && errors.n > 0) || (r == -EINVAL && errors.n == 0))
                __builtin_trap();
        for (size_t i = 0; i < errors.n; i++)
                if (!errors.items[i].message || !errors.items[i].file)
                        __builtin_trap();
        config_free(c);
        config_errors_done(&errors);
        return 0;
}
