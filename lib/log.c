/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
/* the entries name the event, not this file and line */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "log.h"
#include "table.h"

static int max_level = LOG_INFO;
static bool use_prefix = false;
static bool use_journal = false;

/* Made once with systemd-id128 new; never change them: users search for them. */
static const char *const event_ids[_LOG_EVENT_MAX] = {
        [LOG_EVENT_FORWARD_ADDED] = "aa58e47bc57d46a4b9b0cbb8d8737b85",
        [LOG_EVENT_FORWARD_DELETED] = "ef4f5362053444fb914c4f736de80b99",
        [LOG_EVENT_DRIFT_REPAIRED] = "0fc8be78a9204adcb253b1de9324b9f8",
        [LOG_EVENT_PASS_FAILED] = "e0612e710c8e4379bc3549a261b94627",
        [LOG_EVENT_PASS_REFUSED] = "f00645f1b4b44aeb97451bd3eb1bb76b",
};

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

/* Same test as systemd's: $JOURNAL_STREAM names the device and inode of the
 * stream journald gave us; if stderr is still that stream, journald reads the
 * <N> prefixes as priorities. */
static bool stderr_is_journal(void) {
        const char *e = secure_getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return st.st_dev == (dev_t) dev && st.st_ino == (ino_t) ino;
}

void log_open(void) {
        const char *e = secure_getenv("PORTKEEP_LOG_PREFIX");

        use_journal = stderr_is_journal();
        use_prefix = (e && streq(e, "1")) || use_journal;
}

_printf_(3, 0) static void log_line(int level, int error, const char *fmt, va_list ap) {
        if (use_prefix)
                fprintf(stderr, "<%d>", level);
        else if (level <= LOG_WARNING)
                fputs(level <= LOG_ERR ? "portkeep: " : "portkeep: warning: ", stderr);

        /* Let %m mean the error we were given, not whatever errno holds. */
        errno = error;
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        fflush(stderr);
}

int log_internal(int level, int error, const char *fmt, ...) {
        int saved = errno;
        va_list ap;

        if (error < 0)
                error = -error;
        if (level > max_level)
                return -error;

        va_start(ap, fmt);
        log_line(level, error, fmt, ap);
        va_end(ap);

        errno = saved;
        return -error;
}

const char *log_event_message_id(LogEvent kind) {
        return kind >= 0 && kind < _LOG_EVENT_MAX ? event_ids[kind] : NULL;
}

/* "FIELD=value" into buf, as an iovec. */
static struct iovec field(char *buf, size_t size, const char *name, const char *value) {
        int n = snprintf(buf, size, "%s=%s", name, value);

        return (struct iovec){ .iov_base = buf, .iov_len = n < 0 ? 0 : (size_t) n < size ? (size_t) n : size - 1 };
}

static int journal_event(LogEvent kind, int level, const Forward *f, const char *message) {
        char id[64], prio[16], group[300], proto[32], ports[32], lan_ip[32], lan_ports[32], wan[32];
        char p[4], r1[12], r2[12], a1[16], a2[16];
        _cleanup_(freep) char *msg = NULL;
        struct iovec iov[9];
        size_t n = 0;

        if (asprintf(&msg, "MESSAGE=%s", message) < 0) {
                msg = NULL;
                return -ENOMEM;
        }
        iov[n++] = (struct iovec){ .iov_base = msg, .iov_len = strlen(msg) };
        iov[n++] = field(prio, sizeof prio, "PRIORITY", (char[4]){ '0' + (level & 7), 0 });
        iov[n++] = field(id, sizeof id, "MESSAGE_ID", event_ids[kind]);
        if (f) {
                /* sd_journal_sendv() encodes a value with a newline itself;
                 * a very long group name is cut */
                iov[n++] = field(group, sizeof group, "PORTKEEP_GROUP", f->group ? f->group : "");
                iov[n++] = field(proto, sizeof proto, "PORTKEEP_PROTO", proto_to_string(f->proto, p));
                if (proto_has_ports(f->proto)) {
                        iov[n++] = field(ports, sizeof ports, "PORTKEEP_PORTS", port_range_to_string(f->ports, r1));
                        iov[n++] = field(lan_ports, sizeof lan_ports, "PORTKEEP_LAN_PORTS",
                                         port_range_to_string(f->lan_ports, r2));
                }
                iov[n++] = field(lan_ip, sizeof lan_ip, "PORTKEEP_LAN_IP", ipv4_to_string(f->lan_ip, a1));
                iov[n++] = field(wan, sizeof wan, "PORTKEEP_WAN",
                                 wan_to_string(f->wan, a2));
        }
        return sd_journal_sendv(iov, (int) n);
}

/* sd_journal_send() reports success when journald's socket is missing (it
 * drops the entry "silently"), so look first. */
static bool journald_listens(void) {
        struct stat st;

        return stat("/run/systemd/journal/socket", &st) == 0 && S_ISSOCK(st.st_mode);
}

bool log_uses_prefix(void) {
        return use_prefix;
}

int log_event(LogEvent kind, int level, const Forward *f, const char *fmt, ...) {
        _cleanup_(freep) char *message = NULL;
        int saved = errno;
        va_list ap;

        if (level > max_level || kind < 0 || kind >= _LOG_EVENT_MAX)
                return 0;

        va_start(ap, fmt);
        if (use_journal) {
                if (vasprintf(&message, fmt, ap) < 0)
                        message = NULL;
                /* No journald to take it (or it refused): the plain line. */
                if (!message || !journald_listens() || journal_event(kind, level, f, message) < 0)
                        log_internal(level, 0, "%s", message ? message : fmt);
        } else
                log_line(level, 0, fmt, ap);
        va_end(ap);

        errno = saved;
        return 0;
}
