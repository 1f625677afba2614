/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "config-build.h"

/* The upnp driver (lib/upnp.c), in builds with libminiupnpc. */

/* A mapping portkeep made carries this and its group as its description;
 * miniupnpd keeps 64 bytes of it and escapes no XML. */
#define UPNP_DESCRIPTION_PREFIX "portkeep:"
#define UPNP_DESCRIPTION_MAX 63

/* Why the Internet cannot reach address, the router's external one: "no
 * external address", "a private address", "a carrier-grade NAT address
 * (100.64.0.0/10)", "a link-local or loopback address"; NULL when it can. */
const char *upnp_address_unreachable(const char *address);

#if HAVE_MINIUPNPC
typedef struct RouterDriver RouterDriver;
extern const RouterDriver upnp_driver;
#endif
