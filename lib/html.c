/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <libxml/tree.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"

int html_parse(const char *utf8, size_t size, htmlDocPtr *ret) {
        htmlDocPtr doc;

        if (size > INT_MAX)
                return -EFBIG;
        /* The bytes are UTF-8 already (http.c converted them): IGNORE_ENC
         * keeps a <meta charset=Shift_JIS> from switching the decoder. */
        doc = htmlReadMemory(utf8, (int) size, NULL, "UTF-8",
                             HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_RECOVER |
                                     HTML_PARSE_IGNORE_ENC);
        if (!doc)
                return -EBADMSG;
        if (!xmlDocGetRootElement(doc)) {
                xmlFreeDoc(doc);
                return -EBADMSG;
        }
        *ret = doc;
        return 0;
}

void html_free(htmlDocPtr doc) {
        if (doc)
                xmlFreeDoc(doc);
}

char *html_collapse_space(char *s) {
        char *w = s;
        bool space = false;

        for (const char *r = s; *r;) {
                if (isspace((unsigned char) *r) || ((unsigned char) r[0] == 0xc2 && (unsigned char) r[1] == 0xa0)) {
                        r += isspace((unsigned char) *r) ? 1 : 2;
                        space = true;
                        continue;
                }
                if (space && w != s)
                        *w++ = ' ';
                space = false;
                *w++ = *r++;
        }
        *w = '\0';
        return s;
}

static int node_text(xmlNodePtr node, char **ret) {
        xmlChar *c = xmlNodeGetContent(node);
        char *s;

        s = strdup(c ? (const char *) c : "");
        xmlFree(c);
        if (!s)
                return -ENOMEM;
        *ret = html_collapse_space(s);
        return 0;
}

static bool name_is(xmlNodePtr n, const char *tag) {
        return n->type == XML_ELEMENT_NODE && (!tag || strcasecmp((const char *) n->name, tag) == 0);
}

char *html_attr(xmlNodePtr node, const char *attr) {
        xmlChar *v = xmlGetProp(node, (const xmlChar *) attr);
        char *s;

        if (!v)
                return NULL;
        s = strdup((const char *) v);
        xmlFree(v);
        return s;
}

typedef bool (*NodeMatch)(xmlNodePtr n, const void *userdata);

static xmlNodePtr find_node(xmlNodePtr n, NodeMatch match, const void *userdata) {
        /* Iterative pre-order walk: a hostile page cannot blow the stack. */
        while (n) {
                if (n->type == XML_ELEMENT_NODE && match(n, userdata))
                        return n;
                if (n->children && n->type == XML_ELEMENT_NODE) {
                        n = n->children;
                        continue;
                }
                while (n && !n->next)
                        n = n->parent && n->parent->type == XML_ELEMENT_NODE ? n->parent : NULL;
                if (n)
                        n = n->next;
        }
        return NULL;
}

static xmlNodePtr next_node(xmlNodePtr n) {
        if (n->children && n->type == XML_ELEMENT_NODE)
                return n->children;
        while (n && !n->next)
                n = n->parent && n->parent->type == XML_ELEMENT_NODE ? n->parent : NULL;
        return n ? n->next : NULL;
}

struct attr_match {
        const char *tag, *attr, *value;
};

static bool match_attr(xmlNodePtr n, const void *userdata) {
        const struct attr_match *m = userdata;
        xmlChar *v;
        bool ok;

        if (!name_is(n, m->tag))
                return false;
        if (!m->attr)
                return true;
        v = xmlGetProp(n, (const xmlChar *) m->attr);
        if (!v)
                return false;
        ok = !m->value || strcasecmp((const char *) v, m->value) == 0;
        xmlFree(v);
        return ok;
}

xmlNodePtr html_find(htmlDocPtr doc, const char *tag, const char *attr, const char *value) {
        struct attr_match m = { tag, attr, value };

        return find_node(xmlDocGetRootElement(doc), match_attr, &m);
}

static bool match_tag(xmlNodePtr n, const void *userdata) {
        return name_is(n, userdata);
}

int html_title(htmlDocPtr doc, char **ret) {
        xmlNodePtr n = find_node(xmlDocGetRootElement(doc), match_tag, "title");

        if (!n)
                return -ENOENT;
        return node_text(n, ret);
}

int html_input_value(htmlDocPtr doc, const char *name, char **ret) {
        xmlNodePtr n = html_find(doc, "input", "name", name);
        char *v;

        if (!n)
                return -ENOENT;
        v = html_attr(n, "value");
        if (!v)
                v = strdup("");
        if (!v)
                return -ENOMEM;
        *ret = v;
        return 0;
}

int html_text_by_id(htmlDocPtr doc, const char *id, char **ret) {
        xmlNodePtr n = html_find(doc, NULL, "id", id);

        if (!n)
                return -ENOENT;
        return node_text(n, ret);
}

static bool match_red_div(xmlNodePtr n, const void *userdata) {
        xmlChar *style;
        char buf[64];
        size_t l = 0;

        if (!name_is(n, "div"))
                return false;
        style = xmlGetProp(n, (const xmlChar *) "style");
        if (!style)
                return false;
        /* "color:red", "color: red;", "COLOR:Red" */
        for (const xmlChar *p = style; *p && l < sizeof(buf) - 1; p++)
                if (!isspace(*p))
                        buf[l++] = (char) tolower(*p);
        buf[l] = '\0';
        xmlFree(style);
        return strstr(buf, "color:red") != NULL;
}

int html_red_text(htmlDocPtr doc, char **ret) {
        xmlNodePtr n = xmlDocGetRootElement(doc);

        /* the first red div that says something */
        while ((n = find_node(n, match_red_div, NULL))) {
                char *s;
                int r = node_text(n, &s);

                if (r < 0)
                        return r;
                if (s[0]) {
                        *ret = s;
                        return 0;
                }
                free(s);
                n = next_node(n);
        }
        return -ENOENT;
}

static bool parse_suffix(const char *id, const char *prefix, unsigned *ret) {
        size_t l = strlen(prefix);
        unsigned long v;
        char *end;

        if (strncmp(id, prefix, l) != 0 || !isdigit((unsigned char) id[l]))
                return false;
        errno = 0;
        v = strtoul(id + l, &end, 10);
        *ret = errno != 0 || *end != '\0' || v > UINT_MAX / 2 ? HTML_ID_MALFORMED : (unsigned) v;
        return true;
}

int html_foreach_id_prefix(htmlDocPtr doc, const char *tag, const char *const *prefixes, size_t n_prefixes,
                           HtmlIdCallback cb, void *userdata) {
        for (xmlNodePtr n = xmlDocGetRootElement(doc); n; n = next_node(n)) {
                xmlChar *id;

                if (!name_is(n, tag))
                        continue;
                id = xmlGetProp(n, (const xmlChar *) "id");
                if (!id)
                        continue;
                for (size_t i = 0; i < n_prefixes; i++) {
                        unsigned number;
                        char *text;
                        int r;

                        if (!parse_suffix((const char *) id, prefixes[i], &number))
                                continue;
                        r = node_text(n, &text);
                        if (r >= 0) {
                                r = cb(prefixes[i], (const char *) id, number, text, userdata);
                                free(text);
                        }
                        if (r != 0) {
                                xmlFree(id);
                                return r;
                        }
                        break;
                }
                xmlFree(id);
        }
        return 0;
}
