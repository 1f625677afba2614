/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's backoff (doc/design.md ("Sessions, locks and the daemon")), computed for given failure
 * counts and random numbers: first retry after min(interval, 30s), doubling,
 * capped at 1h, ±20% jitter, a rejected login at least 10 minutes. */
#include <inttypes.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "daemon.h"
#include "time-util.h"

#define SEC UINT64_C(1000000)
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
/* rnd % 401 == 200: a jitter factor of exactly 1 */
#define NO_JITTER UINT32_C(200)


#define CHECK_EQ(a, b)                                                                                      \
        do {                                                                                                \
                uint64_t _a = (a), _b = (b);                                                                \
                if (_a != _b) {                                                                             \
                        fprintf(stderr, "%s:%d: %s = %" PRIu64 ", expected %" PRIu64 "\n", __FILE__,        \
                                __LINE__, #a, _a, _b);                                                      \
                        failures++;                                                                         \
                }                                                                                           \
        } while (0)

static void test_doubling_and_cap(void) {
        /* interval 5m: the first retry after 30s */
        static const uint64_t want[] = { 30 * SEC, 60 * SEC, 2 * MIN, 4 * MIN, 8 * MIN, 16 * MIN, 32 * MIN, HOUR, HOUR };

        for (unsigned i = 0; i < sizeof want / sizeof want[0]; i++)
                CHECK_EQ(daemon_backoff_usec(5 * MIN, i + 1, false, NO_JITTER), want[i]);
        CHECK_EQ(daemon_backoff_usec(5 * MIN, 100, false, NO_JITTER), HOUR);
        CHECK_EQ(daemon_backoff_usec(5 * MIN, UINT32_MAX, false, NO_JITTER), HOUR);
        /* 0 counts as the first failure */
        CHECK_EQ(daemon_backoff_usec(5 * MIN, 0, false, NO_JITTER), 30 * SEC);

        /* an interval shorter than 30s is the first wait */
        CHECK_EQ(daemon_backoff_usec(SEC, 1, false, NO_JITTER), SEC);
        CHECK_EQ(daemon_backoff_usec(SEC, 2, false, NO_JITTER), 2 * SEC);
        CHECK_EQ(daemon_backoff_usec(SEC, 3, false, NO_JITTER), 4 * SEC);
        CHECK_EQ(daemon_backoff_usec(10 * SEC, 1, false, NO_JITTER), 10 * SEC);
        CHECK_EQ(daemon_backoff_usec(30 * SEC, 1, false, NO_JITTER), 30 * SEC);
        /* 1s doubled 11 times is 2048s, 12 times 4096s: the cap */
        CHECK_EQ(daemon_backoff_usec(SEC, 12, false, NO_JITTER), 2048 * SEC);
        CHECK_EQ(daemon_backoff_usec(SEC, 13, false, NO_JITTER), HOUR);
        /* a long interval does not delay the first retry */
        CHECK_EQ(daemon_backoff_usec(24 * HOUR, 1, false, NO_JITTER), 30 * SEC);
}

static void test_jitter_bounds(void) {
        static const uint64_t intervals[] = { SEC, 7 * SEC, 5 * MIN, 24 * HOUR };
        unsigned below = 0, above = 0;

        /* the extremes of the factor */
        CHECK_EQ(daemon_backoff_usec(5 * MIN, 1, false, 0), 24 * SEC);
        CHECK_EQ(daemon_backoff_usec(5 * MIN, 1, false, 400), 36 * SEC);
        CHECK_EQ(daemon_backoff_usec(5 * MIN, 1, false, 401), 24 * SEC);
        /* at the cap the jitter only shortens: never more than 1h */
        CHECK_EQ(daemon_backoff_usec(5 * MIN, 20, false, 400), HOUR);
        CHECK_EQ(daemon_backoff_usec(5 * MIN, 20, false, 0), 48 * MIN);

        for (unsigned k = 0; k < sizeof intervals / sizeof intervals[0]; k++)
                for (unsigned n = 1; n <= 20; n++) {
                        uint64_t nominal = daemon_backoff_usec(intervals[k], n, false, NO_JITTER);

                        for (uint32_t rnd = 0; rnd < 2000; rnd += 7) {
                                uint64_t b = daemon_backoff_usec(intervals[k], n, false, rnd * UINT32_C(2654435761));

                                CHECK(b >= nominal / 10 * 8);
                                CHECK(b <= nominal / 10 * 12);
                                CHECK(b <= HOUR);
                                below += b < nominal;
                                above += b > nominal;
                        }
                }
        /* both ways */
        CHECK(below > 0);
        CHECK(above > 0);
}

static void test_rejected_login(void) {
        /* at least 10 minutes, whatever the interval, count or jitter */
        for (uint32_t rnd = 0; rnd <= 400; rnd++) {
                CHECK(daemon_backoff_usec(SEC, 1, true, rnd) == 10 * MIN);
                CHECK(daemon_backoff_usec(5 * MIN, 1, true, rnd) == 10 * MIN);
                CHECK(daemon_backoff_usec(5 * MIN, 6, true, rnd) >= 10 * MIN);
        }
        /* longer waits stay longer */
        CHECK_EQ(daemon_backoff_usec(5 * MIN, 6, true, NO_JITTER), 16 * MIN);
        CHECK_EQ(daemon_backoff_usec(5 * MIN, 9, true, NO_JITTER), HOUR);
}

/* What the daemon and export write, parse_duration() reads back. */
static void test_duration_round_trip(void) {
        static const struct {
                uint64_t usec;
                const char *text;
        } cases[] = {
                { 0, "0s" }, { USEC_PER_SEC, "1s" }, { 45 * USEC_PER_SEC, "45s" }, { 120 * USEC_PER_SEC, "2m" },
                { 144 * USEC_PER_SEC, "2m24s" }, { USEC_PER_HOUR, "1h" }, { 4325 * USEC_PER_SEC, "1h12m5s" },
                { USEC_PER_HOUR + 37 * USEC_PER_SEC, "1h37s" }, { 168 * USEC_PER_HOUR, "168h" },
                { 1499 * USEC_PER_MSEC, "1s" }, { 1500 * USEC_PER_MSEC, "2s" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char buf[32];
                uint64_t back = UINT64_MAX;

                CHECK(strcmp(format_duration(cases[i].usec, buf), cases[i].text) == 0);
                CHECK(parse_duration(buf, &back) == 0);
                CHECK(back == (cases[i].usec + USEC_PER_SEC / 2) / USEC_PER_SEC * USEC_PER_SEC);
        }
        CHECK(parse_duration("5", &(uint64_t){ 0 }) == -EINVAL);
        CHECK(parse_duration("1s1m", &(uint64_t){ 0 }) == -EINVAL);
        CHECK(parse_duration("169h", &(uint64_t){ 0 }) == -ERANGE);
}

int main(void) {
        test_duration_round_trip();
        test_doubling_and_cap();
        test_jitter_bounds();
        test_rejected_login();
        if (failures > 0) {
                fprintf(stderr, "%u check(s) failed\n", failures);
                return 1;
        }
        printf("ok\n");
        return 0;
}
