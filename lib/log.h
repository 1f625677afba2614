/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

/* The one module that writes log lines. Everything else in lib/ returns
 * negative error codes and leaves it to its caller to log once.
 *
 * Lines go to stderr. When stderr is the journal ($JOURNAL_STREAM matches) or
 * $PORTKEEP_LOG_PREFIX=1, each line starts with a <N> priority prefix
 * (SD_ERR ... SD_DEBUG), otherwise with "portkeep: " for errors and warnings. */

void log_set_max_level(int level);
int log_get_max_level(void);
void log_open(void);

int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_full_errno(level, error, ...) log_internal((level), (error), __VA_ARGS__)

#define log_debug(...) log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, __VA_ARGS__)

/* These return -abs(error), so that "return log_error_errno(r, ...)" works.
 * "%m" in the format expands to strerror(error). */
#define log_debug_errno(error, ...) log_internal(LOG_DEBUG, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_internal(LOG_WARNING, (error), __VA_ARGS__)
#define log_error_errno(error, ...) log_internal(LOG_ERR, (error), __VA_ARGS__)

/* Events a user may want to find in the journal, each with a fixed
 * MESSAGE_ID (listed in README.md, "Run it as a service"). */
typedef enum LogEvent {
        LOG_EVENT_FORWARD_ADDED,   /* a forward added to the router (also by an undo) */
        LOG_EVENT_FORWARD_DELETED, /* a forward deleted from the router (also by an undo) */
        LOG_EVENT_DRIFT_REPAIRED,  /* a daemon pass found the router changed and repaired it */
        LOG_EVENT_PASS_FAILED,     /* a daemon pass failed */
        LOG_EVENT_PASS_REFUSED,    /* a daemon pass refused by a safety guard */
        _LOG_EVENT_MAX,
} LogEvent;

/* "aa58e47b..." (32 hex digits) */
const char *log_event_message_id(LogEvent kind);

struct Forward;
/* Logs one event. When stderr is the journal, it is sent as one structured
 * entry (sd_journal_send: MESSAGE, PRIORITY, MESSAGE_ID and, when f is given,
 * PORTKEEP_GROUP, PORTKEEP_PROTO, PORTKEEP_PORTS, PORTKEEP_LAN_IP,
 * PORTKEEP_LAN_PORTS, PORTKEEP_WAN); otherwise, or if that send fails, it is
 * the same line log_internal() would write. The message must not hold a
 * secret (no password, token or cookie: nothing here adds one). Returns 0. */
int log_event(LogEvent kind, int level, const struct Forward *f, const char *fmt, ...) _printf_(4, 5);

/* Whether each line starts with "<N>", the level for journald (which reads
 * stderr under systemd). */
bool log_uses_prefix(void);
