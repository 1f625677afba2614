/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <limits.h>

#include <libxml/HTMLparser.h>
#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* Helpers over libxml2's HTML parser for the router drivers. Pages are parsed
 * from UTF-8 (see http.h), leniently (HTML_PARSE_RECOVER) and without network
 * access; every string returned is UTF-8, malloc()ed, with whitespace runs
 * collapsed and trimmed. */

/* Parses a UTF-8 page; -EBADMSG when nothing parses. */
int html_parse(const char *utf8, size_t size, htmlDocPtr *ret);
void html_free(htmlDocPtr doc);
DEFINE_TRIVIAL_CLEANUP_FUNC(htmlDocPtr, html_free);

/* Text of <title>; -ENOENT when there is none. */
int html_title(htmlDocPtr doc, char **ret);
/* value="" of the first <input name=NAME>; -ENOENT when there is none. */
int html_input_value(htmlDocPtr doc, const char *name, char **ret);
/* Text of the first <div style="color:red"> (any spacing/case in the style);
 * -ENOENT when there is none or it is empty. */
int html_red_text(htmlDocPtr doc, char **ret);
/* Text of the element with id ID; -ENOENT when there is none. */
int html_text_by_id(htmlDocPtr doc, const char *id, char **ret);

/* The first element named TAG (NULL: any) whose attribute ATTR equals VALUE
 * (case-insensitive; VALUE NULL: attribute present; ATTR NULL: any). NULL
 * when none. */
xmlNodePtr html_find(htmlDocPtr doc, const char *tag, const char *attr, const char *value);
/* An attribute's value, malloc()ed (not collapsed), or NULL. */
char *html_attr(xmlNodePtr node, const char *attr);

/* Calls cb, in document order, for every element TAG whose id is one of
 * prefixes followed by a digit (span id="id_name3"): with the prefix, the
 * whole id, the number and the element's text. The number is
 * HTML_ID_MALFORMED when the rest of the id is not a decimal number that
 * fits (id_name3x, id_name99999999999): the caller says what to do with it.
 * A non-zero return of cb stops the walk and is returned. */
#define HTML_ID_MALFORMED UINT_MAX
typedef int (*HtmlIdCallback)(const char *prefix, const char *id, unsigned number, const char *text,
                              void *userdata);
int html_foreach_id_prefix(htmlDocPtr doc, const char *tag, const char *const *prefixes, size_t n_prefixes,
                           HtmlIdCallback cb, void *userdata);

/* Collapses runs of ASCII whitespace and U+00A0 (&nbsp;) to one space and trims,
 * in place. */
char *html_collapse_space(char *s);
