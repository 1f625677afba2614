/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "table.h"

/* `portkeep export`: a router's table as a portkeep YAML file (version 1)
 * that `check` accepts and that `plan` finds in sync with the router.
 *
 * - router: copied from c (url, username, password_file/_credential,
 *   firmware, timeout, airstation overrides); never a password.
 * - groups: as on the router, in the order their first entry appears.
 * - defaults.lan_ip: the address more than half of the forwards use (then
 *   omitted on those forwards); a group whose forwards all go to one other
 *   address gets lan_ip on the group.
 * - preset: when a group's entries are exactly one of the presets
 *   lib/config.c expands (found by expanding each through config_load_buffer()).
 * - strings YAML-quoted where a plain scalar would not read back the same.
 *
 * family (may be NULL) is written in the header comment. Router entries
 * without a group, and those on a PPPoE session's address (wan_is_pppoe()),
 * cannot be expressed in the file: they are left out and counted in
 * *ret_skipped. Returns 0 or -errno (-ENOMEM, -EIO on write). */
int export_write(const Table *t, const Config *c, const char *family, FILE *f, size_t *ret_skipped);

/* Writes s as a YAML scalar: plain when that reads back as the same string,
 * else double-quoted with escapes. Exported for the tests. */
void export_write_scalar(FILE *f, const char *s);
