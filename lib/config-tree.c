/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config file as a document tree: libyaml's events turned into Nodes,
 * rejecting anchors, aliases, tags, deep nesting and a second document on
 * the way; every error with its line, column and source line. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "config-errors.h"
#include "config-parser.h"
#include "utf8.h"

void node_free(Node *n) {
        if (!n)
                return;
        for (size_t i = 0; i < n->n; i++)
                node_free(n->children[i]);
        free(n->children);
        free(n->value);
        free(n);
}

static int node_append(Node *parent, Node *child) {
        if (parent->n >= parent->allocated) {
                size_t m = parent->allocated ? parent->allocated * 2 : 4;
                Node **p = reallocarray(parent->children, m, sizeof(Node *));

                if (!p)
                        return -ENOMEM;
                parent->children = p;
                parent->allocated = m;
        }
        parent->children[parent->n++] = child;
        return 0;
}

const char *node_type_name(NodeType t) {
        switch (t) {
        case NODE_SCALAR: return "a value";
        case NODE_MAPPING: return "a mapping";
        case NODE_SEQUENCE: return "a list";
        default: return "nothing usable";
        }
}

/* ---- parser state ---- */


/* libyaml counts these as line breaks too; so must we, or lines drift. */
static size_t line_break_length(const char *p, const char *end) {
        if (p[0] == '\n')
                return 1;
        if (p[0] == '\r')
                return (p + 1 < end && p[1] == '\n') ? 2 : 1;
        if (p + 1 < end && (unsigned char) p[0] == 0xc2 && (unsigned char) p[1] == 0x85)
                return 2;
        if (p + 2 < end && (unsigned char) p[0] == 0xe2 && (unsigned char) p[1] == 0x80 &&
            ((unsigned char) p[2] == 0xa8 || (unsigned char) p[2] == 0xa9))
                return 3;
        return 0;
}

static int parser_index_lines(Parser *p) {
        const char *s = p->data, *end = p->data + p->size;
        size_t n = 1, i = 0;

        if (p->line_starts)
                return 0;
        for (const char *q = s; q < end;) {
                size_t k = line_break_length(q, end);

                if (k > 0)
                        n++;
                q += k ? k : 1;
        }
        p->line_starts = calloc(n, sizeof(size_t));
        if (!p->line_starts)
                return -ENOMEM;
        p->line_starts[i++] = 0;
        for (const char *q = s; q < end;) {
                size_t k = line_break_length(q, end);

                q += k ? k : 1;
                if (k > 0)
                        p->line_starts[i++] = q - s;
        }
        p->n_lines = n;
        return 0;
}

/* The text of a 1-based line, without its line break, capped in length. */
static char *parser_source_line(Parser *p, unsigned line) {
        const char *end = p->data + p->size, *s, *e;

        if (line == 0 || parser_index_lines(p) < 0 || line > p->n_lines)
                return NULL;
        s = e = p->data + p->line_starts[line - 1];
        /* libyaml does not count a leading byte-order mark as a column. */
        if (line == 1 && end - s >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
                s = e = s + 3;
        while (e < end && e - s < SOURCE_LINE_MAX && line_break_length(e, end) == 0 && *e)
                e++;
        return strndup(s, e - s);
}

/* A key that names a secret, other than the two that name where it is kept. */
bool key_is_secret(const char *s, size_t n) {
        static const char *const words[] = { "pass", "pasw", "pwd", "secret", "token",
                                             "\xe3\x83\x91\xe3\x82\xb9" /* パス */ };
        char k[64];

        if (n == 0)
                return false;
        if (n >= sizeof k) /* a word in the first 63 bytes still counts */
                n = sizeof k - 1;
        memcpy(k, s, n);
        k[n] = 0;
        if (streq(k, "password_file") || streq(k, "password_credential"))
                return false;
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (strcasestr(k, words[i]))
                        return true;
        return false;
}

/* Where to cut a source line: after the first "key:" whose key names a
 * secret, so that an error on that line (ours or libyaml's) never echoes the
 * value. 0 if there is no such key. */
static size_t secret_cut(const char *src) {
        for (const char *q = src; *q;) {
                const char *k = q, *e;

                while (*k && !isalnum((unsigned char) *k) && *k != '_' && (unsigned char) *k < 0x80)
                        k++;
                e = k;
                while (*e && (isalnum((unsigned char) *e) || *e == '_' || *e == '-' ||
                              (unsigned char) *e >= 0x80))
                        e++;
                if (e == k)
                        break;
                q = e;
                if (*e == '"' || *e == '\'')
                        e++;
                while (*e == ' ')
                        e++;
                if (*e == ':' && key_is_secret(k, (size_t) (q - k)))
                        return (size_t) (e + 1 - src);
        }
        return 0;
}

void parser_error(Parser *p, unsigned line, unsigned column, const char *fmt, ...) {
        _cleanup_(freep) char *src = NULL;
        char *m = NULL;
        unsigned mask_after = p->mask_after;
        va_list ap;
        int r;

        p->mask_after = 0;
        p->n_errors++;
        if (p->n_errors > CONFIG_ERRORS_MAX)
                return;

        va_start(ap, fmt);
        r = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (r < 0) {
                p->oom = -ENOMEM;
                return;
        }
        src = parser_source_line(p, line);
        if (src) {
                size_t cut = secret_cut(src);

                /* "password: ..." says more than an error's column would */
                if (cut > 0) {
                        mask_after = 0;
                        if (src[cut] && cut + 4 <= strlen(src))
                                strcpy(src + cut, " ...");
                        else if (src[cut])
                                src[cut] = 0;
                }
        }
        if (src && mask_after > 0) {
                char *q = src;

                for (unsigned c = 1; *q && c < column + mask_after; q++)
                        if (((unsigned char) q[1] & 0xc0) != 0x80)
                                c++;
                if (*q) {
                        char *t = NULL;

                        if (asprintf(&t, "%.*s ...", (int) (q - src), src) < 0) {
                                free(m);
                                p->oom = -ENOMEM;
                                return;
                        }
                        free(src);
                        src = t;
                }
        }
        if (config_errors_push(p->errors, p->name, line, column, src, m) < 0)
                p->oom = -ENOMEM;
}

static void mark_position(const yaml_mark_t *m, unsigned *ret_line, unsigned *ret_column) {
        *ret_line = m->line < UINT_MAX ? (unsigned) m->line + 1 : UINT_MAX;
        *ret_column = m->column < UINT_MAX ? (unsigned) m->column + 1 : UINT_MAX;
}

/* ---- input checks before libyaml sees the data ---- */

/* Line and column (1-based, counting characters) of a byte offset. */
static void parser_offset_position(Parser *p, size_t offset, unsigned *ret_line,
                                   unsigned *ret_column) {
        size_t lo = 0, hi;
        unsigned col = 1;

        *ret_line = *ret_column = 0;
        if (parser_index_lines(p) < 0)
                return;
        hi = p->n_lines;
        while (hi - lo > 1) {
                size_t mid = (lo + hi) / 2;

                if (p->line_starts[mid] <= offset)
                        lo = mid;
                else
                        hi = mid;
        }
        for (size_t i = p->line_starts[lo]; i < offset && i < p->size; i++)
                if (((unsigned char) p->data[i] & 0xc0) != 0x80)
                        col++;
        *ret_line = (unsigned) lo + 1;
        *ret_column = col;
}

static bool check_encoding(Parser *p) {
        const unsigned char *s = (const unsigned char *) p->data;
        unsigned line, column;

        /* UTF-32 first: its little-endian BOM begins as UTF-16's does */
        if (p->size >= 4 && ((s[0] == 0xff && s[1] == 0xfe && s[2] == 0 && s[3] == 0) ||
                             (s[0] == 0 && s[1] == 0 && s[2] == 0xfe && s[3] == 0xff))) {
                parser_error(p, 1, 1, "the file is UTF-32 text: save it as UTF-8");
                return false;
        }
        if (p->size >= 2 && ((s[0] == 0xff && s[1] == 0xfe) || (s[0] == 0xfe && s[1] == 0xff))) {
                parser_error(p, 1, 1, "the file is UTF-16 text: save it as UTF-8");
                return false;
        }

        for (size_t i = 0; i < p->size;) {
                uint32_t c;
                size_t n;

                if (s[i] == 0) {
                        parser_offset_position(p, i, &line, &column);
                        parser_error(p, line, column,
                                     "NUL byte: this is a binary file, not a YAML text file");
                        return false;
                }
                n = utf8_decode_n(s + i, p->size - i, &c);
                if (n == 0) {
                        parser_offset_position(p, i, &line, &column);
                        parser_error(p, line, column,
                                     "byte 0x%02x is not valid UTF-8: save the file as UTF-8 text",
                                     s[i]);
                        return false;
                }
                i += n;
        }
        return true;
}

/* ---- events to tree ---- */

/* What to write instead, for the syntax errors people make most. */
static const char *yaml_hint(const char *problem) {
        static const struct {
                const char *problem, *hint;
        } hints[] = {
                { "did not find expected key",
                  ": check the indentation: the keys of one mapping start in the same column" },
                { "did not find expected '-' indicator",
                  ": check the indentation: the items of one list start with '- ' in the same column" },
                { "mapping values are not allowed",
                  ": write 'key: value' with a space after the colon, and quote a value that holds ': '" },
                { "could not find expected ':'", ": write 'key: value', or quote a value that spans lines" },
                { "block sequence entries are not allowed",
                  ": start the list on the next line, indented under its key" },
                { "did not find expected ',' or ']'", ": separate items with ',' and close the list with ']'" },
                { "did not find expected ',' or '}'", ": separate entries with ',' and close the mapping with '}'" },
                { "did not find expected node content", ": a value is missing, or a ',' or bracket is out of place" },
                { "found character that cannot start any token", ": quote the value, or remove the character" },
                { "found unknown escape character",
                  ": in double quotes write \\\\ for a backslash, or use single quotes" },
                { "found undefined tag handle", ": remove it, values are read as plain text" },
                { "did not find expected <document start>",
                  ": the file is one mapping of 'key: value' lines; check the indentation of this line" },
        };

        for (size_t i = 0; i < ELEMENTSOF(hints); i++)
                if (strstr(problem, hints[i].problem))
                        return hints[i].hint;
        return "";
}

/* "proto:tcp" on the line above makes libyaml read "proto:tcp port" as one
 * plain value and trip over the next line's colon: point at the real mistake.
 * Returns true if it reported it. */
static bool missing_space(Parser *p, unsigned line, unsigned column) {
        _cleanup_(freep) char *src = line > 1 ? parser_source_line(p, line - 1) : NULL;
        bool quoted = false;
        unsigned col = 1;

        if (!src)
                return false;
        for (const char *q = src; *q; q++) {
                if (*q == '"' || *q == '\'')
                        quoted = !quoted;
                else if (*q == '#' && !quoted)
                        return false;
                else if (*q == ':' && !quoted && q > src && isalnum((unsigned char) q[-1]) &&
                         isalnum((unsigned char) q[1])) {
                        const char *a = q, *b = q + 1;

                        while (a > src && (isalnum((unsigned char) a[-1]) || a[-1] == '_'))
                                a--;
                        while (isalnum((unsigned char) *b) || *b == '/' || *b == '-' || *b == '.')
                                b++;
                        parser_error(p, line - 1, col,
                                     "mapping values are not allowed in this context (at line %u, column %u): put a space after the colon of '%.*s'",
                                     line, column, (int) (b - a), a);
                        return true;
                }
                if (((unsigned char) q[1] & 0xc0) != 0x80)
                        col++;
        }
        return false;
}

static void report_yaml_error(Parser *p, const yaml_parser_t *y) {
        const char *problem = y->problem ? y->problem : "unknown error";
        const char *hint = "";
        unsigned line, column, cline, ccolumn;

        if (y->error == YAML_MEMORY_ERROR) {
                p->oom = -ENOMEM;
                return;
        }
        if (y->error == YAML_READER_ERROR) {
                parser_offset_position(p, y->problem_offset, &line, &column);
                parser_error(p, line, column, "%s (character 0x%x): remove it", problem,
                             (unsigned) y->problem_value);
                return;
        }

        mark_position(&y->problem_mark, &line, &column);
        if (y->problem_mark.index < p->size && p->data[y->problem_mark.index] == '\t')
                hint = ": indent with spaces, YAML does not allow tabs here";
        else if (strstr(problem, "end of stream") && y->context && strstr(y->context, "quoted"))
                hint = ": close the quote";
        else
                hint = yaml_hint(problem);

        if (strstr(problem, "mapping values are not allowed") && missing_space(p, line, column))
                return;
        if (y->context) {
                mark_position(&y->context_mark, &cline, &ccolumn);
                /* At the end of the input, where the construct began says more. */
                if (y->problem_mark.index >= p->size && cline > 0)
                        parser_error(p, cline, ccolumn, "%s %s (started here)%s", problem,
                                     y->context, hint);
                else
                        parser_error(p, line, column, "%s %s (at line %u, column %u)%s", problem,
                                     y->context, cline, ccolumn, hint);
        } else
                parser_error(p, line, column, "%s%s", problem, hint);
}

static Node *node_new(NodeType type, const yaml_mark_t *m) {
        Node *n = calloc(1, sizeof(Node));

        if (!n)
                return NULL;
        n->type = type;
        mark_position(m, &n->line, &n->column);
        return n;
}

static void check_anchor_tag(Parser *p, const yaml_event_t *ev, const yaml_char_t *anchor,
                             const yaml_char_t *tag) {
        unsigned line, column;

        mark_position(&ev->start_mark, &line, &column);
        if (anchor)
                parser_error(p, line, column,
                             "anchor '&%s' is not allowed: write the value out in full",
                             (const char *) anchor);
        if (tag)
                parser_error(p, line, column,
                             "tag '%s' is not allowed: remove it, values are read as plain text",
                             (const char *) tag);
}

/* Builds the tree of the one document in the input. Returns the root or NULL
 * (errors recorded). */
static Node *parse_tree(Parser *p) {
        yaml_parser_t y;
        Node *stack[CONFIG_DEPTH_MAX + 1] = {};
        size_t depth = 0;   /* open collections on the stack */
        Node *root = NULL;
        unsigned n_documents = 0;
        bool done = false, failed = false;

        if (!yaml_parser_initialize(&y)) {
                p->oom = -ENOMEM;
                return NULL;
        }
        yaml_parser_set_input_string(&y, (const unsigned char *) p->data, p->size);
        /* No forced encoding: libyaml then skips a UTF-8 BOM; UTF-16 was refused above. */

        while (!done && !failed && !p->oom) {
                yaml_event_t ev;
                Node *n = NULL;
                unsigned line, column;

                if (!yaml_parser_parse(&y, &ev)) {
                        report_yaml_error(p, &y);
                        failed = true;
                        break;
                }
                mark_position(&ev.start_mark, &line, &column);

                switch (ev.type) {
                case YAML_STREAM_END_EVENT:
                        done = true;
                        break;
                case YAML_DOCUMENT_START_EVENT:
                        if (++n_documents == 2)
                                parser_error(p, line, column,
                                             "a second YAML document: put everything in one document");
                        break;
                case YAML_ALIAS_EVENT:
                        parser_error(p, line, column,
                                     "alias '*%s' is not allowed: write the value out in full",
                                     (const char *) ev.data.alias.anchor);
                        n = node_new(NODE_BAD, &ev.start_mark);
                        break;
                case YAML_SCALAR_EVENT:
                        check_anchor_tag(p, &ev, ev.data.scalar.anchor, ev.data.scalar.tag);
                        n = node_new(NODE_SCALAR, &ev.start_mark);
                        if (n) {
                                n->value = malloc(ev.data.scalar.length + 1);
                                if (!n->value) {
                                        free(n);
                                        n = NULL;
                                        break;
                                }
                                memcpy(n->value, ev.data.scalar.value, ev.data.scalar.length);
                                n->value[ev.data.scalar.length] = 0;
                                n->length = ev.data.scalar.length;
                        }
                        break;
                case YAML_SEQUENCE_START_EVENT:
                case YAML_MAPPING_START_EVENT:
                        if (ev.type == YAML_SEQUENCE_START_EVENT)
                                check_anchor_tag(p, &ev, ev.data.sequence_start.anchor,
                                                 ev.data.sequence_start.tag);
                        else
                                check_anchor_tag(p, &ev, ev.data.mapping_start.anchor,
                                                 ev.data.mapping_start.tag);
                        /* Stop here: libyaml slows down quadratically with
                         * nesting, so going on to find the end could take
                         * minutes on a hostile file. */
                        if (depth >= CONFIG_DEPTH_MAX) {
                                parser_error(p, line, column,
                                             "nested more than %d levels deep: flatten the file",
                                             CONFIG_DEPTH_MAX);
                                failed = true;
                                break;
                        }
                        n = node_new(ev.type == YAML_SEQUENCE_START_EVENT ? NODE_SEQUENCE
                                                                           : NODE_MAPPING,
                                     &ev.start_mark);
                        break;
                case YAML_SEQUENCE_END_EVENT:
                case YAML_MAPPING_END_EVENT:
                        if (depth > 0)
                                depth--;
                        break;
                default:
                        break;
                }

                /* Attach the new node to its parent (or make it the root). */
                if (n) {
                        bool collection = n->type == NODE_MAPPING || n->type == NODE_SEQUENCE;

                        if (depth > 0) {
                                if (node_append(stack[depth - 1], n) < 0) {
                                        node_free(n);
                                        n = NULL;
                                        p->oom = -ENOMEM;
                                }
                        } else if (!root)
                                root = n;
                        else {
                                node_free(n); /* in a later document: reported above */
                                n = NULL;
                        }
                        if (n && collection)
                                stack[depth++] = n;
                } else if (!failed &&
                           (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_SEQUENCE_START_EVENT ||
                            ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_ALIAS_EVENT))
                        p->oom = -ENOMEM;
                yaml_event_delete(&ev);
        }
        yaml_parser_delete(&y);

        if (failed || p->oom) {
                node_free(root);
                return NULL;
        }
        if (!root && n_documents == 0)
                parser_error(p, 0, 0,
                             "the file is empty: it needs at least 'version: 1', 'router:' and 'groups:'");
        return root;
}


Node *parser_parse_tree(Parser *p) {
        return check_encoding(p) ? parse_tree(p) : NULL;
}
