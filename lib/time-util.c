/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "macro.h"
#include "time-util.h"

#define DURATION_MAX_USEC (UINT64_C(7) * 24 * 3600 * USEC_PER_SEC)

uint64_t now_usec(clockid_t clock) {
        struct timespec ts;

        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

/* "1s", "30s", "5m", "1h", "1d", or combinations in that order: "1h30m", "1m30s". */
int parse_duration(const char *s, uint64_t *ret) {
        static const struct {
                char unit;
                uint64_t usec;
        } units[] = { { 'd', 86400 * USEC_PER_SEC }, { 'h', 3600 * USEC_PER_SEC },
                      { 'm', 60 * USEC_PER_SEC },    { 's', USEC_PER_SEC } };
        uint64_t total = 0;
        size_t next = 0;

        if (!*s)
                return -EINVAL;
        while (*s) {
                uint64_t v = 0;
                size_t u;

                if (!isdigit((unsigned char) *s))
                        return -EINVAL;
                for (; isdigit((unsigned char) *s); s++) {
                        v = v * 10 + (uint64_t) (*s - '0');
                        if (v > 1000000)
                                return -ERANGE;
                }
                for (u = next; u < ELEMENTSOF(units); u++)
                        if (units[u].unit == *s)
                                break;
                if (u >= ELEMENTSOF(units))
                        return -EINVAL;
                s++;
                next = u + 1;
                total += v * units[u].usec;
                if (total > DURATION_MAX_USEC)
                        return -ERANGE;
        }
        *ret = total;
        return 0;
}

const char *format_duration(uint64_t usec, char buf[static 32]) {
        uint64_t s = (usec + USEC_PER_SEC / 2) / USEC_PER_SEC, h = s / 3600, m = s % 3600 / 60;
        int n = 0;

        if (h)
                n += snprintf(buf + n, 32 - (size_t) n, "%" PRIu64 "h", h);
        if (m)
                n += snprintf(buf + n, 32 - (size_t) n, "%" PRIu64 "m", m);
        if (s % 60 || s == 0)
                snprintf(buf + n, 32 - (size_t) n, "%" PRIu64 "s", s % 60);
        return buf;
}
