/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Internal to the config loader (config.c, config-tree.c): the document
 * tree made from libyaml's events, the parser state with its error
 * reporting, and the limits on what a user's file may hold. */

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "macro.h"

#define CONFIG_SIZE_MAX (1024 * 1024)
#define CONFIG_SIZE_HINT "a portkeep config is a few kilobytes, is this the right file?"
#define CONFIG_DEPTH_MAX 32
#define CONFIG_ERRORS_MAX 100
#define SOURCE_LINE_MAX 512

typedef enum {
        NODE_SCALAR,
        NODE_MAPPING,
        NODE_SEQUENCE,
        NODE_BAD, /* an alias: already reported */
} NodeType;

typedef struct Node {
        NodeType type;
        unsigned line, column;
        char *value;   /* scalars */
        size_t length; /* scalars: bytes in value */
        struct Node **children; /* mappings: key, value, key, value ... */
        size_t n, allocated;
} Node;

typedef struct Parser {
        const char *name;
        const char *data;
        size_t size;
        size_t *line_starts; /* built on the first error */
        size_t n_lines;
        ConfigErrors *errors;
        size_t n_errors; /* counted by this parse, including ones not stored */
        int oom;
        Config *config;

        /* filled while walking the tree */
        unsigned *group_lines, *group_columns;
        bool too_many_forwards, too_many_groups;
        /* When > 0, the next error's source line is cut this many characters
         * after its column, so that a secret on that line is not echoed. */
        unsigned mask_after;
} Parser;

void node_free(Node *n);

/* Whether a key (n bytes) names a secret, other than password_file and
 * password_credential, which name where it is kept. */
bool key_is_secret(const char *s, size_t n);
const char *node_type_name(NodeType t);

/* Records an error at line:column (1-based; 0: none) with the source line,
 * cut before any secret; counts it even past CONFIG_ERRORS_MAX. */
void parser_error(Parser *p, unsigned line, unsigned column, const char *fmt, ...) _printf_(4, 5);
#define node_error(p, node, ...) parser_error((p), (node)->line, (node)->column, __VA_ARGS__)

/* Checks the encoding (UTF-8, no NUL, no UTF-16/32), then builds the tree;
 * NULL when the file has none (errors recorded) or out of memory (p->oom). */
Node *parser_parse_tree(Parser *p);
