/* SPDX-License-Identifier: GPL-2.0-or-later */
/* router.driver: upnp: UPnP IGD through libminiupnpc (doc/upnp.md).
 *
 * Ownership lives on the router: a mapping's description is
 * "portkeep:<group>"; any other description is someone else's. Each mapping
 * is one protocol (TCP or UDP) and one external port: the plan splits
 * tcp/udp and port ranges for this driver (its registry row). */
#include "config-build.h"
#include "table.h"
#include "upnp.h"

const char *upnp_address_unreachable(const char *address) {
        uint32_t a;

        if (!address[0] || ipv4_from_string(address, &a) < 0 || a == 0)
                return "no external address";
        if ((a >> 24) == 10 || (a >> 20) == (172u << 4 | 1) || (a >> 16) == (192u << 8 | 168))
                return "a private address";
        if ((a >> 22) == (100u << 2 | 1))
                return "a carrier-grade NAT address (100.64.0.0/10)";
        if ((a >> 16) == (169u << 8 | 254) || (a >> 24) == 127)
                return "a link-local or loopback address";
        return NULL;
}

#if HAVE_MINIUPNPC

#include <errno.h>
#include <fcntl.h>
#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "driver.h"
#include "macro.h"
#include "time-util.h"
#include "upnp.h"

/* Bounds on a read: miniupnpd lists newest first, and index order changes
 * whenever a mapping comes or goes, so an index is never kept across reads. */
#define UPNP_READ_MAX_ENTRIES 4096
#define UPNP_READ_MAX_USEC (60 * USEC_PER_SEC)

#define ERR_ARRAY_INDEX_INVALID 713
#define ERR_NO_SUCH_ENTRY 714
#define ERR_CONFLICT 718

typedef struct Upnp {
        struct UPNPUrls urls;
        struct IGDdatas data;
        bool have_urls;
        char lanaddr[64];    /* this host's address towards the router */
        char external[40];   /* GetExternalIPAddress(), "" if none */
} Upnp;

/* libminiupnpc writes its socket errors to stderr itself (perror()); the
 * driver says what failed in its own words, once, so stderr is pointed at
 * /dev/null for the length of each library call. */
static int quiet_begin(void) {
        int saved, null;

        fflush(stderr);
        saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (saved >= 0 && null >= 0)
                (void) dup2(null, STDERR_FILENO);
        if (null >= 0)
                close(null);
        return saved;
}

static void quiet_end(int saved) {
        if (saved < 0)
                return;
        (void) dup2(saved, STDERR_FILENO);
        close(saved);
}

#define QUIET(expr)                            \
        ({                                     \
                int _saved_ = quiet_begin();   \
                __typeof__(expr) _r_ = (expr); \
                quiet_end(_saved_);            \
                _r_;                           \
        })

static Upnp *U(Router *r) {
        return r->data;
}

static int upnp_init(Router *r) {
        r->data = calloc(1, sizeof(Upnp));
        return r->data ? 0 : -ENOMEM;
}

static void upnp_done(Router *r) {
        Upnp *u = r->data;

        if (!u)
                return;
        if (u->have_urls)
                FreeUPNPUrls(&u->urls);
        free(u);
        r->data = NULL;
}

static const char *service(Router *r) {
        return U(r)->data.first.servicetype;
}

static const char *control(Router *r) {
        return U(r)->urls.controlURL;
}

/* Between requests (miniupnpc's own block for at most its timeouts): a
 * pending stop cancels the pass here. */
static int check_progress(Router *r) {
        if (router_progress(r) != 0)
                return router_set_error(r, -ECANCELED, "request aborted");
        return 0;
}

/* The router's code and words for a failed command. */
static int command_error(Router *r, int code, const char *what) {
        const char *words = strupnperror(code);

        if (code == UPNPCOMMAND_HTTP_ERROR || code == UPNPCOMMAND_UNKNOWN_ERROR)
                return router_set_error(r, -EHOSTUNREACH, "%s: the router did not answer (%s)", what,
                                        words ?: "no answer");
        if (code < 0)
                return router_set_error(r, -EBADMSG, "%s: %s", what, words ?: "invalid answer");
        return router_set_error(r, -EREMOTEIO, "%s: the router answered %d %s", what, code,
                                words ?: "(no description)");
}

static int find_device(Router *r) {
        static const char *const types[] = {
                "urn:schemas-upnp-org:device:InternetGatewayDevice:2",
                "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
                "urn:schemas-upnp-org:service:WANIPConnection:2",
                "urn:schemas-upnp-org:service:WANIPConnection:1",
                "urn:schemas-upnp-org:service:WANPPPConnection:1",
                NULL,
        };
        Upnp *u = U(r);
        struct UPNPDev *devs;
        int err = 0, k;
        uint64_t wait = r->config->discovery_timeout_usec;

        /* a second login (apply --confirm's restore) finds the device anew */
        if (u->have_urls) {
                FreeUPNPUrls(&u->urls);
                u->have_urls = false;
        }
        if (r->config->url) {
                if (QUIET(UPNP_GetIGDFromUrl(r->config->url, &u->urls, &u->data, u->lanaddr, sizeof u->lanaddr)) != 1)
                        return router_set_error(r, -EHOSTUNREACH,
                                                "no UPnP IGD description at %s (is router.url the device description, such as http://192.168.11.1:5000/rootDesc.xml?)",
                                                r->config->url);
                u->have_urls = true;
                return 0;
        }

        devs = QUIET(upnpDiscoverDevices(types, (int) (wait / USEC_PER_MSEC), NULL, NULL, 0, 0, 2, &err, 0));
        if (!devs)
                return router_set_error(r, -EHOSTUNREACH,
                                        "no UPnP IGD answered discovery within %s; set router.url to the device description URL (see README, \"UPnP\")",
                                        format_duration(wait, (char[32]){}));
#if MINIUPNPC_API_VERSION >= 18
        k = QUIET(UPNP_GetValidIGD(devs, &u->urls, &u->data, u->lanaddr, sizeof u->lanaddr, NULL, 0));
#else
        k = QUIET(UPNP_GetValidIGD(devs, &u->urls, &u->data, u->lanaddr, sizeof u->lanaddr));
#endif
        freeUPNPDevlist(devs);
        if (k > 0)
                u->have_urls = true;
        if (k == 1 || k == 2)
                return 0;
        return router_set_error(r, -EHOSTUNREACH,
                                "UPnP discovery found %s; set router.url to the device description URL (see README, \"UPnP\")",
                                k == 0 ? "no Internet gateway device" : "a UPnP device that is not an Internet gateway");
}

static int upnp_login(Router *r) {
        Upnp *u = U(r);
        const char *kind;
        int k;

        k = find_device(r);
        if (k < 0)
                return k;
        k = check_progress(r);
        if (k < 0)
                return k;
        if (QUIET(UPNP_GetExternalIPAddress(control(r), service(r), u->external)) != UPNPCOMMAND_SUCCESS)
                u->external[0] = '\0';
        snprintf(r->external, sizeof r->external, "%s", u->external);
        snprintf(r->info, sizeof r->info, "UPnP IGD %s, control URL %s, this host %s, external address %s",
                 u->urls.rootdescURL ?: "?", control(r), u->lanaddr, u->external[0] ? u->external : "(none)");
        kind = upnp_address_unreachable(u->external);
        if (kind)
                snprintf(r->warning, sizeof r->warning,
                         "the router reports %s as its external address (%s): forwards cannot be reached from the Internet",
                         u->external[0] ? u->external : "nothing", kind);
        return 0;
}

static int upnp_logout(Router *r) {
        return 0; /* IGD has no session */
}

/* ---- one mapping ---- */

static const char *proto_name(int proto) {
        return proto == PROTO_TCP ? "TCP" : "UDP";
}

static int parse_port(const char *s, uint16_t *ret) {
        char *end;
        unsigned long v;

        if (!s || !*s)
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || v == 0 || v > 65535)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

/* A mapping as the router lists it, into a forward; -EBADMSG when it is not
 * one (the error names it). */
static int mapping_to_forward(Router *r, const char *ext, const char *client, const char *in, const char *proto,
                              const char *desc, const char *duration, Forward *ret) {
        Forward f = { .router_id = -1, .wan = WAN_ROUTER };
        char *end;

        if (strcasecmp(proto, "TCP") == 0)
                f.proto = PROTO_TCP;
        else if (strcasecmp(proto, "UDP") == 0)
                f.proto = PROTO_UDP;
        else
                return router_set_error(r, -EBADMSG, "a mapping with protocol '%.8s' (port %.6s)", proto, ext);
        if (parse_port(ext, &f.ports.first) < 0 || parse_port(in, &f.lan_ports.first) < 0 ||
            ipv4_from_string(client, &f.lan_ip) < 0)
                return router_set_error(r, -EBADMSG, "an unreadable mapping (port '%.6s' -> '%.16s':'%.6s')", ext,
                                        client, in);
        f.ports.last = f.ports.first;
        f.lan_ports.last = f.lan_ports.first;
        errno = 0;
        f.lease_sec = (uint32_t) strtoul(duration, &end, 10);
        if (errno || *end)
                f.lease_sec = 0;
        if (strncmp(desc, UPNP_DESCRIPTION_PREFIX, strlen(UPNP_DESCRIPTION_PREFIX)) == 0 &&
            desc[strlen(UPNP_DESCRIPTION_PREFIX)]) {
                f.group = strdup(desc + strlen(UPNP_DESCRIPTION_PREFIX));
                if (!f.group)
                        return -ENOMEM;
        }
        *ret = f;
        return 0;
}

static int upnp_read(Router *r, Table *ret) {
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + UPNP_READ_MAX_USEC;
        Table t;
        int k = 0;

        table_init(&t);
        for (unsigned i = 0;; i++) {
                char index[12], ext[6], client[16], in[6], proto[4], desc[80], enabled[4], rhost[64], duration[16];
                Forward f;

                if (i >= UPNP_READ_MAX_ENTRIES) {
                        k = router_set_error(r, -E2BIG, "the router lists more than %d mappings; not read",
                                             UPNP_READ_MAX_ENTRIES);
                        break;
                }
                if (now_usec(CLOCK_MONOTONIC) > deadline) {
                        k = router_set_error(r, -ETIMEDOUT, "reading the mappings took longer than %s",
                                             format_duration(UPNP_READ_MAX_USEC, (char[32]){}));
                        break;
                }
                k = check_progress(r);
                if (k < 0)
                        break;
                snprintf(index, sizeof index, "%u", i);
                ext[0] = client[0] = in[0] = proto[0] = desc[0] = enabled[0] = rhost[0] = duration[0] = '\0';
                k = QUIET(UPNP_GetGenericPortMappingEntry(control(r), service(r), index, ext, client, in, proto, desc,
                                                    enabled, rhost, duration));
                if (k == ERR_ARRAY_INDEX_INVALID) {
                        k = 0;
                        break;
                }
                if (k != UPNPCOMMAND_SUCCESS) {
                        k = command_error(r, k, "GetGenericPortMappingEntry");
                        break;
                }
                if (streq(enabled, "0"))
                        continue; /* not a forward */
                k = mapping_to_forward(r, ext, client, in, proto, desc, duration, &f);
                if (k < 0)
                        break;
                f.router_id = (int) i;
                k = table_add_take(&t, &f);
                forward_done(&f);
                if (k < 0)
                        break;
        }
        if (k < 0) {
                table_done(&t);
                return k;
        }
        *ret = t;
        return 0;
}

/* The mapping on f's external port and protocol, if any: 0 with it in
 * *ret, -ENOENT when there is none. */
static int get_specific(Router *r, const Forward *f, Forward *ret) {
        char ext[6], client[16] = "", in[6] = "", desc[80] = "", enabled[4] = "", duration[16] = "";
        int k;

        k = check_progress(r);
        if (k < 0)
                return k;
        snprintf(ext, sizeof ext, "%u", f->ports.first);
        k = QUIET(UPNP_GetSpecificPortMappingEntry(control(r), service(r), ext, proto_name(f->proto), NULL, client, in, desc,
                                             enabled, duration));
        if (k == ERR_NO_SUCH_ENTRY || k == UPNPCOMMAND_INVALID_ARGS)
                return -ENOENT;
        if (k != UPNPCOMMAND_SUCCESS)
                return command_error(r, k, "GetSpecificPortMappingEntry");
        return mapping_to_forward(r, ext, client, in, proto_name(f->proto), desc, duration, ret);
}

static bool is_ours(const Forward *f, const Forward *x) {
        return x->lan_ip == f->lan_ip && x->lan_ports.first == f->lan_ports.first && streq_ptr(x->group, f->group);
}

static int add_once(Router *r, const Forward *f, const char *lease) {
        char ext[6], in[6], client[16], desc[128];

        snprintf(ext, sizeof ext, "%u", f->ports.first);
        snprintf(in, sizeof in, "%u", f->lan_ports.first);
        snprintf(desc, sizeof desc, "%s%s", UPNP_DESCRIPTION_PREFIX, f->group);
        return QUIET(UPNP_AddPortMapping(control(r), service(r), ext, in, ipv4_to_string(f->lan_ip, client), desc,
                                   proto_name(f->proto), NULL, lease));
}

static int upnp_add(Router *r, const Forward *f) {
        char b[FORWARD_RULE_STRING_MAX + 40];
        Forward x;
        int k;

        k = router_check_add(r, f);
        if (k < 0)
                return k;
        /* what a fresh look shows on that port: another's mapping is not
         * overwritten; an equal one of ours is renewed (its lease) */
        k = get_specific(r, f, &x);
        if (k >= 0) {
                bool ours = is_ours(f, &x);

                if (!ours)
                        k = router_set_error(r, -EEXIST, "a fresh read shows its key taken by %s; nothing sent",
                                             forward_to_string(&x, b, sizeof b));
                forward_done(&x);
                if (k < 0)
                        return k;
        } else if (k != -ENOENT)
                return k;

        k = check_progress(r);
        if (k < 0)
                return k;
        /* 0 asks for a permanent mapping: IGDv2 grants a week at most
         * (miniupnpd makes 0 a week), and a router that only takes permanent
         * ones (725 to a lease) takes it as asked; the daemon renews what
         * runs short */
        k = add_once(r, f, "0");
        if (k == UPNPCOMMAND_SUCCESS)
                return 0;
        if (k == ERR_CONFLICT)
                return router_set_error(r, -EREMOTEIO,
                                        "the router answered 718 ConflictInMappingEntry: another LAN host holds %s %u, or the router is in UPnP secure mode, which maps ports only to the host that asks (%s); in secure mode portkeep can forward only to the machine it runs on",
                                        proto_name(f->proto), f->ports.first, U(r)->lanaddr);
        if (k == 606)
                return router_set_error(r, -EREMOTEIO,
                                        "the router answered 606 Action not authorized: it does not let this host (%s) map ports; check its UPnP settings",
                                        U(r)->lanaddr);
        return command_error(r, k, "AddPortMapping");
}

static int upnp_delete(Router *r, const Forward *f) {
        char ext[6];
        Forward x;
        int k;

        /* locate it by its values first: never delete what is not this */
        k = get_specific(r, f, &x);
        if (k == -ENOENT)
                return router_set_error(r, -ENOENT, "the entry to delete is no longer on the router");
        if (k < 0)
                return k;
        k = is_ours(f, &x) || (!f->group && x.lan_ip == f->lan_ip) ? 0 : -ENOENT;
        forward_done(&x);
        if (k < 0)
                return router_set_error(r, -ENOENT, "the entry to delete is no longer on the router as it was");
        k = check_progress(r);
        if (k < 0)
                return k;
        snprintf(ext, sizeof ext, "%u", f->ports.first);
        /* miniupnpd answers success for a mapping that is not there: the
         * verify read decides */
        k = QUIET(UPNP_DeletePortMapping(control(r), service(r), ext, proto_name(f->proto), NULL));
        if (k == UPNPCOMMAND_SUCCESS || k == ERR_NO_SUCH_ENTRY)
                return 0;
        return command_error(r, k, "DeletePortMapping");
}

/* What only one mapping per port and protocol can hold. */
static int upnp_check(Router *r, const Forward *f) {
        if (f->proto != PROTO_TCP && f->proto != PROTO_UDP)
                return router_set_error(r, -EPROTONOSUPPORT, "UPnP maps only TCP and UDP");
        if (f->ports.first != f->ports.last || f->lan_ports.first != f->lan_ports.last)
                return router_set_error(r, -EPROTONOSUPPORT, "UPnP maps one port at a time");
        return 0;
}

const RouterDriver upnp_driver = {
        .init = upnp_init,
        .done = upnp_done,
        .login = upnp_login,
        .read = upnp_read,
        .add = upnp_add,
        .delete = upnp_delete,
        .logout = upnp_logout,
        .check = upnp_check,
};

#endif
