/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config-errors.h"
#include "registry.h"
#include "time-util.h"
#include "table.h"

/* The config file, version 1 (doc/config.md). */

typedef enum { PRUNE_MANAGED, PRUNE_NONE, PRUNE_ALL } Prune;


typedef struct Config {
        char *path;

        /* router: */
        const Backend *backend;    /* the registry row of driver and firmware */
        char *url;                 /* http:// or https:// */
        char *username;            /* default "admin" */
        char *password_file;       /* NULL if not set */
        char *password_credential; /* NULL if not set */
        uint64_t timeout_usec;     /* default 10s */
        uint64_t discovery_timeout_usec; /* default 2s, without url (upnp) */
        char *airstation_page;     /* router.airstation.page override, or NULL */
        char *airstation_action;   /* router.airstation.action override, or NULL */

        /* sync: */
        uint64_t interval_usec;    /* default 5m */
        Prune prune;               /* default managed */
        unsigned max_deletes;      /* default 8 */

        /* groups: in file order; every group named here is managed */
        char **groups;
        size_t n_groups;

        /* every declared forward, presets expanded, defaults applied,
         * line/column pointing at the forward (or the preset line) */
        Table desired;
} Config;

/* Parses path. Returns 0 and the config in *ret; or -EINVAL with every error
 * in the file in *errors; or another -errno when the file cannot be read at all
 * (an error describing it is also added to *errors). Never reads the password. */
int config_load(const char *path, Config **ret, ConfigErrors *errors);
/* The same from memory; name is used in messages. */
int config_load_buffer(const char *name, const char *data, size_t size, Config **ret,
                       ConfigErrors *errors);
Config *config_free(Config *c);

/* Reads the router password: from $CREDENTIALS_DIRECTORY/<password_credential>
 * when that variable is set and password_credential is configured, else from
 * password_file. Trailing newline stripped; "" for a upnp router with
 * neither configured (IGD has no login). Returns 0, or -errno with a
 * description in errbuf. *ret_world_readable is set when the file's mode lets
 * others read it. The caller wipes the result with explicit_bzero(). */
int config_read_password(const Config *c, char **ret, bool *ret_world_readable, char *errbuf,
                         size_t errbuf_size);
