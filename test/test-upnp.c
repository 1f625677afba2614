/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the upnp driver warns of (the rest of it is tested against the real
 * miniupnpd, in test/integration/test-upnp.py). */
#include <string.h>

#include "test.h"
#include "upnp.h"

int main(void) {
        static const struct {
                const char *address, *kind;
        } cases[] = {
                { "", "no external address" },
                { "0.0.0.0", "no external address" },
                { "garbage", "no external address" },
                { "10.1.2.3", "a private address" },
                { "172.16.0.1", "a private address" },
                { "172.31.255.254", "a private address" },
                { "192.168.11.1", "a private address" },
                { "100.64.0.1", "a carrier-grade NAT address (100.64.0.0/10)" },
                { "100.127.255.254", "a carrier-grade NAT address (100.64.0.0/10)" },
                { "169.254.1.1", "a link-local or loopback address" },
                { "127.0.0.1", "a link-local or loopback address" },
                { "11.0.0.2", NULL },
                { "100.63.255.255", NULL },
                { "100.128.0.0", NULL },
                { "172.32.0.1", NULL },
                { "203.0.113.5", NULL },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const char *k = upnp_address_unreachable(cases[i].address);

                CHECKF(cases[i].kind ? k && strcmp(k, cases[i].kind) == 0 : !k, "%s: got %s", cases[i].address,
                       k ?: "NULL");
        }
        return failures ? 1 : 0;
}
