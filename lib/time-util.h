/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>
#include <time.h>

/* Time for everyone: the clocks in microseconds, and durations as the file
 * writes them ("5m", "1h30m") read by parse_duration() and written back by
 * format_duration(), which reads back as the same value (to the second). */

#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_SEC UINT64_C(1000000)
#define USEC_PER_MINUTE (UINT64_C(60) * USEC_PER_SEC)
#define USEC_PER_HOUR (UINT64_C(60) * USEC_PER_MINUTE)

/* CLOCK_MONOTONIC for intervals, CLOCK_REALTIME for what users read. */
uint64_t now_usec(clockid_t clock);

/* "1s", "30s", "5m", "1h", "1d", or combinations in that order ("1h30m");
 * at most 7 days. 0, -EINVAL (not a duration) or -ERANGE. */
int parse_duration(const char *s, uint64_t *ret);
/* "0s", "45s", "2m", "2m24s", "1h", "1h12m5s": rounded to the second, in
 * the units parse_duration() reads back. */
const char *format_duration(uint64_t usec, char buf[static 32]);
