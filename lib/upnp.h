/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "config-build.h"

/* The upnp driver (lib/upnp.c), in builds with libminiupnpc. */

/* A mapping portkeep made carries this and its group as its description;
 * miniupnpd keeps 64 bytes of it and escapes no XML. */
#define UPNP_DESCRIPTION_PREFIX "portkeep:"
#define UPNP_DESCRIPTION_MAX 63

#if HAVE_MINIUPNPC
typedef struct RouterDriver RouterDriver;
extern const RouterDriver upnp_driver;
#endif
