/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* What portkeep remembers of a router: the groups it has applied and
 * verified there (doc/design.md, "Ownership"). One small file per router in
 * the state directory ($STATE_DIRECTORY, as systemd sets it for
 * StateDirectory=portkeep, else /var/lib/portkeep), named after the router's
 * lock name, so that a one-shot apply as root and the daemon share it. It
 * never holds a secret. */

typedef struct Ownership {
        char **groups;
        size_t n;
} Ownership;

void ownership_done(Ownership *o);
/* The record's path for c; 0 or -ENOMEM (or the lock name's error). */
int ownership_path(const Config *c, char **ret);
/* Reads the record: 0 (an absent file is an empty record), or -errno
 * (-EBADMSG for a file this version does not understand). */
int ownership_read(const char *path, Ownership *ret);
/* Writes it atomically, making the state directory if needed. */
int ownership_write(const char *path, const Ownership *o);
bool ownership_has(const Ownership *o, const char *group);
/* The same groups, whatever their order. */
bool ownership_equal(const Ownership *a, const Ownership *b);
/* Appends a copy of group (if not there yet). 0 or -ENOMEM. */
int ownership_add(Ownership *o, const char *group);
