/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "macro.h"
#include "state.h"

#define STATE_MAX_SIZE (64 * 1024)
#define JSON_MAX_DEPTH 8

void state_done(State *s) {
        if (!s)
                return;
        free(s->config);
        free(s->router);
        free(s->result);
        free(s->status);
        *s = (State){};
}

/* ---- writing ---- */

static void write_time(FILE *f, uint64_t usec) {
        struct tm tm;
        time_t t = (time_t) (usec / 1000000);
        char buf[32];

        if (usec == 0 || !gmtime_r(&t, &tm) || strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
                fputs("null", f);
                return;
        }
        fprintf(f, "\"%s\"", buf);
}

static void state_print(const State *s, FILE *f) {
        fprintf(f, "{\"version\":1,\"pid\":%ld,\"config\":", (long) s->pid);
        json_write_string(f, s->config);
        fputs(",\"router\":", f);
        json_write_string(f, s->router);
        fputs(",\"last_pass\":", f);
        if (s->have_last_pass) {
                fputs("{\"started\":", f);
                write_time(f, s->started_usec);
                fputs(",\"finished\":", f);
                write_time(f, s->finished_usec);
                fputs(",\"result\":", f);
                json_write_string(f, s->result);
                fprintf(f, ",\"ok\":%s,\"changes\":%u}", s->ok ? "true" : "false", s->changes);
        } else
                fputs("null", f);
        fputs(",\"next_pass\":", f);
        write_time(f, s->next_pass_usec);
        fputs(",\"status\":", f);
        json_write_string(f, s->status);
        fputs("}\n", f);
}

int state_write(const char *dir, const State *s) {
        _cleanup_(freep) char *tmp = NULL, *path = NULL;
        FILE *f;
        int fd, r = 0;

        if (asprintf(&path, "%s/" STATE_FILE_NAME, dir) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        if (asprintf(&tmp, "%s/." STATE_FILE_NAME ".XXXXXX", dir) < 0) {
                tmp = NULL;
                return -ENOMEM;
        }
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* readable by 'portkeep status' run by any user: it holds no secret */
        if (fchmod(fd, 0644) < 0)
                r = -errno;
        f = fdopen(fd, "w");
        if (!f) {
                r = -errno;
                close(fd);
                unlink(tmp);
                return r;
        }
        state_print(s, f);
        if (fflush(f) != 0 || ferror(f))
                r = errno > 0 ? -errno : -EIO;
        if (fclose(f) != 0 && r == 0)
                r = errno > 0 ? -errno : -EIO;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}

/* ---- reading: a small JSON reader for this one file ---- */

typedef enum { JV_NULL, JV_BOOL, JV_NUMBER, JV_STRING, JV_OBJECT, JV_ARRAY } JsonType;

typedef struct JsonValue JsonValue;
struct JsonValue {
        JsonType type;
        bool boolean;
        double number;
        char *string;    /* JV_STRING */
        char **keys;     /* JV_OBJECT */
        JsonValue *items; /* JV_OBJECT values, JV_ARRAY items */
        size_t n;
};

static void json_value_done(JsonValue *v) {
        free(v->string);
        for (size_t i = 0; i < v->n; i++) {
                if (v->keys)
                        free(v->keys[i]);
                json_value_done(&v->items[i]);
        }
        free(v->keys);
        free(v->items);
        *v = (JsonValue){};
}

typedef struct Parser {
        const char *p, *end;
} Parser;

static void skip_ws(Parser *ps) {
        while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
                ps->p++;
}

static int hex4(const char *s, unsigned *ret) {
        unsigned v = 0;

        for (int i = 0; i < 4; i++) {
                if (!isxdigit((unsigned char) s[i]))
                        return -EBADMSG;
                v = v * 16 + (unsigned) (isdigit((unsigned char) s[i]) ? s[i] - '0' : (tolower((unsigned char) s[i]) - 'a' + 10));
        }
        *ret = v;
        return 0;
}

static size_t put_utf8(char *out, unsigned cp) {
        if (cp < 0x80) {
                out[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char) (0xc0 | (cp >> 6));
                out[1] = (char) (0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char) (0xe0 | (cp >> 12));
                out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                out[2] = (char) (0x80 | (cp & 0x3f));
                return 3;
        }
        out[0] = (char) (0xf0 | (cp >> 18));
        out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char) (0x80 | (cp & 0x3f));
        return 4;
}

static int parse_string(Parser *ps, char **ret) {
        _cleanup_(freep) char *out = NULL;
        size_t n = 0;

        if (ps->p >= ps->end || *ps->p != '"')
                return -EBADMSG;
        ps->p++;
        /* the decoded string is never longer than the rest of the input */
        out = malloc(ps->end - ps->p + 1);
        if (!out)
                return -ENOMEM;
        while (ps->p < ps->end && *ps->p != '"') {
                unsigned cp, lo;

                if ((unsigned char) *ps->p < 0x20)
                        return -EBADMSG;
                if (*ps->p != '\\') {
                        out[n++] = *ps->p++;
                        continue;
                }
                if (ps->end - ps->p < 2)
                        return -EBADMSG;
                ps->p++;
                switch (*ps->p++) {
                case '"': out[n++] = '"'; break;
                case '\\': out[n++] = '\\'; break;
                case '/': out[n++] = '/'; break;
                case 'b': out[n++] = '\b'; break;
                case 'f': out[n++] = '\f'; break;
                case 'n': out[n++] = '\n'; break;
                case 'r': out[n++] = '\r'; break;
                case 't': out[n++] = '\t'; break;
                case 'u':
                        if (ps->end - ps->p < 4 || hex4(ps->p, &cp) < 0)
                                return -EBADMSG;
                        ps->p += 4;
                        if (cp >= 0xd800 && cp <= 0xdbff) {
                                if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
                                    hex4(ps->p + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
                                        return -EBADMSG;
                                ps->p += 6;
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        } else if (cp >= 0xdc00 && cp <= 0xdfff)
                                return -EBADMSG;
                        if (cp == 0)
                                return -EBADMSG; /* would cut the C string */
                        /* "\uXXXX" is 6 bytes of input, at most 4 of output */
                        n += put_utf8(out + n, cp);
                        break;
                default:
                        return -EBADMSG;
                }
        }
        if (ps->p >= ps->end)
                return -EBADMSG;
        ps->p++;
        out[n] = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

static int parse_value(Parser *ps, unsigned depth, JsonValue *ret);

static int parse_members(Parser *ps, unsigned depth, bool object, JsonValue *v) {
        char close = object ? '}' : ']';

        ps->p++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == close) {
                ps->p++;
                return 0;
        }
        for (;;) {
                _cleanup_(freep) char *key = NULL;
                JsonValue *items;
                int r;

                if (object) {
                        char **keys;

                        r = parse_string(ps, &key);
                        if (r < 0)
                                return r;
                        skip_ws(ps);
                        if (ps->p >= ps->end || *ps->p != ':')
                                return -EBADMSG;
                        ps->p++;
                        keys = realloc(v->keys, (v->n + 1) * sizeof(char *));
                        if (!keys)
                                return -ENOMEM;
                        v->keys = keys;
                }
                items = realloc(v->items, (v->n + 1) * sizeof(JsonValue));
                if (!items)
                        return -ENOMEM;
                v->items = items;
                v->items[v->n] = (JsonValue){};
                if (object)
                        v->keys[v->n] = TAKE_PTR(key);
                v->n++;
                r = parse_value(ps, depth + 1, &v->items[v->n - 1]);
                if (r < 0)
                        return r;
                skip_ws(ps);
                if (ps->p < ps->end && *ps->p == ',') {
                        ps->p++;
                        skip_ws(ps);
                        continue;
                }
                if (ps->p < ps->end && *ps->p == close) {
                        ps->p++;
                        return 0;
                }
                return -EBADMSG;
        }
}

static int parse_value(Parser *ps, unsigned depth, JsonValue *ret) {
        size_t left;

        if (depth > JSON_MAX_DEPTH)
                return -EBADMSG;
        skip_ws(ps);
        if (ps->p >= ps->end)
                return -EBADMSG;
        left = ps->end - ps->p;
        switch (*ps->p) {
        case '{':
                ret->type = JV_OBJECT;
                return parse_members(ps, depth, true, ret);
        case '[':
                ret->type = JV_ARRAY;
                return parse_members(ps, depth, false, ret);
        case '"':
                ret->type = JV_STRING;
                return parse_string(ps, &ret->string);
        case 't':
        case 'f':
        case 'n':
                if (left >= 4 && memcmp(ps->p, "true", 4) == 0) {
                        ret->type = JV_BOOL, ret->boolean = true, ps->p += 4;
                } else if (left >= 5 && memcmp(ps->p, "false", 5) == 0) {
                        ret->type = JV_BOOL, ret->boolean = false, ps->p += 5;
                } else if (left >= 4 && memcmp(ps->p, "null", 4) == 0) {
                        ret->type = JV_NULL, ps->p += 4;
                } else
                        return -EBADMSG;
                return 0;
        default: {
                char buf[64], *e;
                size_t k = 0;

                while (k < left && k < sizeof buf - 1 && strchr("+-0123456789.eE", ps->p[k]))
                        k++;
                if (k == 0)
                        return -EBADMSG;
                memcpy(buf, ps->p, k);
                buf[k] = '\0';
                errno = 0;
                ret->number = strtod(buf, &e);
                if (errno != 0 || *e != '\0')
                        return -EBADMSG;
                ret->type = JV_NUMBER;
                ps->p += k;
                return 0;
        }
        }
}

static const JsonValue *member(const JsonValue *o, const char *key) {
        if (o->type != JV_OBJECT)
                return NULL;
        for (size_t i = 0; i < o->n; i++)
                if (streq(o->keys[i], key))
                        return &o->items[i];
        return NULL;
}

/* A string member (or null, when allow_null): *ret is a copy or NULL. */
static int get_string(const JsonValue *o, const char *key, bool allow_null, char **ret) {
        const JsonValue *v = member(o, key);

        if (!v)
                return -EBADMSG;
        if (v->type == JV_NULL && allow_null) {
                *ret = NULL;
                return 0;
        }
        if (v->type != JV_STRING)
                return -EBADMSG;
        *ret = strdup(v->string);
        return *ret ? 0 : -ENOMEM;
}

static int get_time(const JsonValue *o, const char *key, uint64_t *ret) {
        const JsonValue *v = member(o, key);
        struct tm tm = {};
        const char *e;
        time_t t;

        if (!v)
                return -EBADMSG;
        if (v->type == JV_NULL) {
                *ret = 0;
                return 0;
        }
        if (v->type != JV_STRING)
                return -EBADMSG;
        e = strptime(v->string, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (!e || *e != '\0')
                return -EBADMSG;
        t = timegm(&tm);
        if (t < 0)
                return -EBADMSG;
        *ret = (uint64_t) t * UINT64_C(1000000);
        return 0;
}

static int get_uint(const JsonValue *o, const char *key, double max, double *ret) {
        const JsonValue *v = member(o, key);

        if (!v || v->type != JV_NUMBER || v->number < 0 || v->number > max ||
            v->number != (double) (uint64_t) v->number)
                return -EBADMSG;
        *ret = v->number;
        return 0;
}

static int state_from_json(const JsonValue *root, State *s) {
        const JsonValue *last;
        double d;
        int r;

        if (root->type != JV_OBJECT)
                return -EBADMSG;
        if (get_uint(root, "version", 1e9, &d) < 0 || d != 1)
                return -EBADMSG;
        if (get_uint(root, "pid", 4194304, &d) < 0)
                return -EBADMSG;
        s->pid = (pid_t) d;
        if ((r = get_string(root, "config", true, &s->config)) < 0 ||
            (r = get_string(root, "router", true, &s->router)) < 0 ||
            (r = get_string(root, "status", true, &s->status)) < 0 ||
            (r = get_time(root, "next_pass", &s->next_pass_usec)) < 0)
                return r;

        last = member(root, "last_pass");
        if (!last)
                return -EBADMSG;
        if (last->type == JV_NULL)
                return 0;
        if (last->type != JV_OBJECT)
                return -EBADMSG;
        if ((r = get_time(last, "started", &s->started_usec)) < 0 ||
            (r = get_time(last, "finished", &s->finished_usec)) < 0 ||
            (r = get_string(last, "result", false, &s->result)) < 0)
                return r;
        if (get_uint(last, "changes", 1e9, &d) < 0)
                return -EBADMSG;
        s->changes = (unsigned) d;
        if (!member(last, "ok") || member(last, "ok")->type != JV_BOOL)
                return -EBADMSG;
        s->ok = member(last, "ok")->boolean;
        s->have_last_pass = true;
        return 0;
}

int state_read(const char *dir, State *ret) {
        _cleanup_(freep) char *path = NULL, *buf = NULL;
        _cleanup_(closep) int fd = -EBADF;
        JsonValue root = {};
        State s = {};
        Parser ps;
        size_t n = 0;
        ssize_t k;
        int r;

        if (asprintf(&path, "%s/" STATE_FILE_NAME, dir) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        buf = malloc(STATE_MAX_SIZE + 1);
        if (!buf)
                return -ENOMEM;
        while ((k = read(fd, buf + n, STATE_MAX_SIZE + 1 - n)) > 0) {
                n += (size_t) k;
                if (n > STATE_MAX_SIZE)
                        return -EBADMSG;
        }
        if (k < 0)
                return -errno;
        buf[n] = '\0';

        ps = (Parser){ .p = buf, .end = buf + n };
        r = parse_value(&ps, 0, &root);
        if (r >= 0) {
                skip_ws(&ps);
                if (ps.p != ps.end)
                        r = -EBADMSG;
        }
        if (r >= 0)
                r = state_from_json(&root, &s);
        json_value_done(&root);
        if (r < 0) {
                state_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}
