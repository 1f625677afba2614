/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The plan engine, table-driven: for each case, the readable plan (and for
 * some the JSON) a user sees, the guard's verdict, the order of the steps.
 * Every case is also applied to a simulated router that refuses an add whose
 * key is taken: afterwards a new plan must have nothing left to do, and undoing
 * after each step must give back the router's table as it was. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "macro.h"
#include "plan.h"
#include "utf8.h"


/* "GROUP PROTO KEY LAN [@LINE:COL]": GROUP "-" for none; KEY "[WAN:]PORTS"
 * for tcp/udp, "router" or WAN for the others; LAN "IP[:PORTS]", the ports
 * defaulting to the WAN ports. */
static void parse_forward(const char *spec, Forward *ret) {
        char group[64], proto[16], key[64], lan[64], pos[32] = "";
        Forward f = { .router_id = -1 };
        char *colon;
        int n;

        n = sscanf(spec, "%63s %15s %63s %63s %31s", group, proto, key, lan, pos);
        if (n < 4)
                goto bad;
        f.proto = proto_from_string(proto);
        if (f.proto < 0)
                goto bad;
        colon = strrchr(key, ':');
        if (proto_has_ports(f.proto)) {
                if (colon) {
                        *colon = '\0';
                        if (ipv4_from_string(key, &f.wan) < 0)
                                goto bad;
                }
                if (port_range_from_string(colon ? colon + 1 : key, &f.ports) < 0)
                        goto bad;
        } else if (!streq(key, "router") && ipv4_from_string(key, &f.wan) < 0)
                goto bad;
        colon = strchr(lan, ':');
        if (colon) {
                *colon = '\0';
                if (port_range_from_string(colon + 1, &f.lan_ports) < 0)
                        goto bad;
        } else
                f.lan_ports = f.ports;
        if (ipv4_from_string(lan, &f.lan_ip) < 0)
                goto bad;
        if (pos[0] && sscanf(pos, "@%u:%u", &f.line, &f.column) != 2)
                goto bad;
        f.group = streq(group, "-") ? NULL : strdup(group);
        *ret = f;
        return;
bad:
        fprintf(stderr, "bad forward in test: '%s'\n", spec);
        abort();
}

static void table_from(Table *t, const char *const *specs) {
        table_init(t);
        for (; *specs; specs++) {
                Forward f;

                parse_forward(*specs, &f);
                if (table_add_take(t, &f) < 0)
                        abort();
        }
}

typedef struct Case {
        const char *name;
        const char *desired[10];
        const char *actual[10];
        const char *managed[4];
        Prune prune;
        unsigned max_deletes;
        bool force;
        bool split;
        int guard;         /* plan_check_guards(p, false); -EEXIST: held back by a conflict
                            * (plan_held_back()), which the guard no longer refuses */
        const char *text;  /* plan_print() */
        const char *json;  /* plan_print_json(), or NULL */
        const char *steps; /* plan_steps(), one per line, or NULL */
} Case;

static const Case cases[] = {
        {
                .name = "empty file, empty router",
                .text = "in sync: 0 forwards in 0 groups\n",
                .json = "{\"version\":1,\"in_sync\":true,\"changes\":[],\"unmanaged\":[],\"not_created_by_portkeep\":[],\"conflicts\":[]}\n",
                .steps = "",
        },
        {
                .name = "empty file, prune managed leaves unmanaged entries alone",
                .actual = { "nas tcp 22 192.168.11.9", "- udp 51820 192.168.11.9" },
                .max_deletes = 8,
                .text = "left alone (unmanaged):\n"
                        "  nas         tcp 22 -> 192.168.11.9:22\n"
                        "  (no group)  udp 51820 -> 192.168.11.9:51820\n"
                        "(to remove a group the file does not name, declare it with 'forwards: []')\n"
                        "in sync: 0 forwards in 0 groups; 2 unmanaged left alone\n",
                .json = "{\"version\":1,\"in_sync\":true,\"changes\":[],\"unmanaged\":["
                        "{\"group\":\"nas\",\"proto\":\"tcp\",\"wan\":\"router\",\"ports\":\"22\",\"lan_ip\":\"192.168.11.9\",\"lan_ports\":\"22\"},"
                        "{\"group\":null,\"proto\":\"udp\",\"wan\":\"router\",\"ports\":\"51820\",\"lan_ip\":\"192.168.11.9\",\"lan_ports\":\"51820\"}"
                        "],\"not_created_by_portkeep\":[],\"conflicts\":[]}\n",
        },
        {
                .name = "empty router: the pptp preset is added",
                .desired = { "PPTP tcp 1723 192.168.11.3", "PPTP gre router 192.168.11.3" },
                .managed = { "PPTP" },
                .max_deletes = 8,
                .text = "+ PPTP  tcp 1723 -> 192.168.11.3:1723\n"
                        "+ PPTP  gre -> 192.168.11.3\n"
                        "2 to add\n",
                .json = "{\"version\":1,\"in_sync\":false,\"changes\":["
                        "{\"action\":\"add\",\"group\":\"PPTP\",\"proto\":\"tcp\",\"wan\":\"router\",\"ports\":\"1723\",\"lan_ip\":\"192.168.11.3\",\"lan_ports\":\"1723\"},"
                        "{\"action\":\"add\",\"group\":\"PPTP\",\"proto\":\"gre\",\"wan\":\"router\",\"ports\":null,\"lan_ip\":\"192.168.11.3\",\"lan_ports\":null}"
                        "],\"unmanaged\":[],\"not_created_by_portkeep\":[],\"conflicts\":[]}\n",
                .steps = "+ tcp 1723 -> 192.168.11.3:1723 (group PPTP)\n"
                         "+ gre -> 192.168.11.3 (group PPTP)\n",
        },
        {
                .name = "already in sync, router order differs from the file's",
                .desired = { "PPTP tcp 1723 192.168.11.3", "PPTP gre router 192.168.11.3",
                             "L2TP udp 500 192.168.11.3", "L2TP udp 4500 192.168.11.3",
                             "L2TP udp 1701 192.168.11.3", "L2TP esp router 192.168.11.3" },
                .actual = { "L2TP esp router 192.168.11.3", "L2TP udp 1701 192.168.11.3",
                            "PPTP gre router 192.168.11.3", "L2TP udp 4500 192.168.11.3",
                            "PPTP tcp 1723 192.168.11.3", "L2TP udp 500 192.168.11.3" },
                .managed = { "PPTP", "L2TP" },
                .max_deletes = 8,
                .text = "in sync: 6 forwards in 2 groups\n",
                .json = "{\"version\":1,\"in_sync\":true,\"changes\":[],\"unmanaged\":[],\"not_created_by_portkeep\":[],\"conflicts\":[]}\n",
                .steps = "",
        },
        {
                .name = "prune managed: managed leftover deleted, unmanaged left alone",
                .desired = { "PPTP tcp 1723 192.168.11.3" },
                .actual = { "nas tcp 22 192.168.11.9", "PPTP tcp 1723 192.168.11.3",
                            "PPTP gre router 192.168.11.3" },
                .managed = { "PPTP" },
                .prune = PRUNE_MANAGED,
                .max_deletes = 8,
                .text = "- PPTP  gre -> 192.168.11.3\n"
                        "left alone (unmanaged):\n"
                        "  nas   tcp 22 -> 192.168.11.9:22\n"
                        "(to remove a group the file does not name, declare it with 'forwards: []')\n"
                        "1 to delete; 1 unmanaged left alone\n",
                .steps = "- gre -> 192.168.11.3 (group PPTP)\n",
        },
        {
                /* 用 takes two terminal cells: the rules still line up */
                .name = "a Japanese group name is padded by terminal cells",
                .desired = { "VPN用 tcp 1723 192.168.11.3", "web tcp 8443 192.168.11.20:443" },
                .actual = {},
                .managed = { "VPN用", "web" },
                .max_deletes = 8,
                .text = "+ VPN用  tcp 1723 -> 192.168.11.3:1723\n"
                        "+ web    tcp 8443 -> 192.168.11.20:443\n"
                        "2 to add\n",
        },
        {
                .name = "prune none: nothing deleted, the managed leftover is kept",
                .desired = { "PPTP tcp 1723 192.168.11.3" },
                .actual = { "nas tcp 22 192.168.11.9", "PPTP tcp 1723 192.168.11.3",
                            "PPTP gre router 192.168.11.3" },
                .managed = { "PPTP" },
                .prune = PRUNE_NONE,
                .max_deletes = 8,
                .text = "left alone (unmanaged):\n"
                        "  nas  tcp 22 -> 192.168.11.9:22\n"
                        "(to remove a group the file does not name, declare it with 'forwards: []')\n"
                        "in sync: 1 forward in 1 group; 1 not in the file kept (prune: none); "
                        "1 unmanaged left alone\n",
                .steps = "",
        },
        {
                .name = "prune all: everything not in the file deleted",
                .desired = { "PPTP tcp 1723 192.168.11.3" },
                .actual = { "nas tcp 22 192.168.11.9", "PPTP tcp 1723 192.168.11.3",
                            "PPTP gre router 192.168.11.3" },
                .managed = { "PPTP" },
                .prune = PRUNE_ALL,
                .max_deletes = 8,
                .text = "- nas   tcp 22 -> 192.168.11.9:22\n"
                        "- PPTP  gre -> 192.168.11.3\n"
                        "2 to delete\n",
                .json = "{\"version\":1,\"in_sync\":false,\"changes\":["
                        "{\"action\":\"delete\",\"group\":\"nas\",\"proto\":\"tcp\",\"wan\":\"router\",\"ports\":\"22\",\"lan_ip\":\"192.168.11.9\",\"lan_ports\":\"22\"},"
                        "{\"action\":\"delete\",\"group\":\"PPTP\",\"proto\":\"gre\",\"wan\":\"router\",\"ports\":null,\"lan_ip\":\"192.168.11.3\",\"lan_ports\":null}"
                        "],\"unmanaged\":[],\"not_created_by_portkeep\":[],\"conflicts\":[]}\n",
        },
        {
                .name = "prune none still replaces a declared forward",
                .desired = { "web tcp 8443 192.168.11.20:443" },
                .actual = { "web tcp 8443 192.168.11.21:443", "web tcp 8080 192.168.11.20" },
                .managed = { "web" },
                .prune = PRUNE_NONE,
                .max_deletes = 8,
                .text = "~ web  tcp 8443 -> 192.168.11.20:443  (was 192.168.11.21:443)\n"
                        "1 to replace; 1 not in the file kept (prune: none)\n",
        },
        {
                .name = "replace: LAN address changed (the brief's example, with a wan address)",
                .desired = { "PPTP tcp 1723 192.168.11.3", "PPTP gre router 192.168.11.3",
                             "web tcp 8443 192.168.11.20:443",
                             "web tcp 203.0.113.5:8080 192.168.11.20:80" },
                .actual = { "web tcp 8443 192.168.11.21:443", "web tcp 203.0.113.5:8080 192.168.11.20:80",
                            "old udp 60000-60010 192.168.11.3", "nas tcp 22 192.168.11.9",
                            "- udp 51820 192.168.11.9" },
                .managed = { "PPTP", "web", "old" },
                .max_deletes = 8,
                .text = "+ PPTP        tcp 1723 -> 192.168.11.3:1723\n"
                        "+ PPTP        gre -> 192.168.11.3\n"
                        "~ web         tcp 8443 -> 192.168.11.20:443  (was 192.168.11.21:443)\n"
                        "- old         udp 60000-60010 -> 192.168.11.3:60000-60010\n"
                        "left alone (unmanaged):\n"
                        "  nas         tcp 22 -> 192.168.11.9:22\n"
                        "  (no group)  udp 51820 -> 192.168.11.9:51820\n"
                        "(to remove a group the file does not name, declare it with 'forwards: []')\n"
                        "2 to add, 1 to replace, 1 to delete; 2 unmanaged left alone\n",
                .json = "{\"version\":1,\"in_sync\":false,\"changes\":["
                        "{\"action\":\"add\",\"group\":\"PPTP\",\"proto\":\"tcp\",\"wan\":\"router\",\"ports\":\"1723\",\"lan_ip\":\"192.168.11.3\",\"lan_ports\":\"1723\"},"
                        "{\"action\":\"add\",\"group\":\"PPTP\",\"proto\":\"gre\",\"wan\":\"router\",\"ports\":null,\"lan_ip\":\"192.168.11.3\",\"lan_ports\":null},"
                        "{\"action\":\"replace\",\"group\":\"web\",\"proto\":\"tcp\",\"wan\":\"router\",\"ports\":\"8443\",\"lan_ip\":\"192.168.11.20\",\"lan_ports\":\"443\","
                        "\"old\":{\"group\":\"web\",\"proto\":\"tcp\",\"wan\":\"router\",\"ports\":\"8443\",\"lan_ip\":\"192.168.11.21\",\"lan_ports\":\"443\"}},"
                        "{\"action\":\"delete\",\"group\":\"old\",\"proto\":\"udp\",\"wan\":\"router\",\"ports\":\"60000-60010\",\"lan_ip\":\"192.168.11.3\",\"lan_ports\":\"60000-60010\"}"
                        "],\"unmanaged\":["
                        "{\"group\":\"nas\",\"proto\":\"tcp\",\"wan\":\"router\",\"ports\":\"22\",\"lan_ip\":\"192.168.11.9\",\"lan_ports\":\"22\"},"
                        "{\"group\":null,\"proto\":\"udp\",\"wan\":\"router\",\"ports\":\"51820\",\"lan_ip\":\"192.168.11.9\",\"lan_ports\":\"51820\"}"
                        "],\"not_created_by_portkeep\":[],\"conflicts\":[]}\n",
                /* the plain delete first, then the replace as a pair, then the adds */
                .steps = "- udp 60000-60010 -> 192.168.11.3:60000-60010 (group old)\n"
                         "- tcp 8443 -> 192.168.11.21:443 (group web)\n"
                         "+ tcp 8443 -> 192.168.11.20:443 (group web)\n"
                         "+ tcp 1723 -> 192.168.11.3:1723 (group PPTP)\n"
                         "+ gre -> 192.168.11.3 (group PPTP)\n",
        },
        {
                .name = "wan address shown when not the router's",
                .desired = { "web tcp 203.0.113.5:8443 192.168.11.20:443",
                             "vpn gre 203.0.113.5 192.168.11.3" },
                .managed = { "web", "vpn" },
                .max_deletes = 8,
                .text = "+ web  tcp 203.0.113.5:8443 -> 192.168.11.20:443\n"
                        "+ vpn  gre 203.0.113.5 -> 192.168.11.3\n"
                        "2 to add\n",
                .json = "{\"version\":1,\"in_sync\":false,\"changes\":["
                        "{\"action\":\"add\",\"group\":\"web\",\"proto\":\"tcp\",\"wan\":\"203.0.113.5\",\"ports\":\"8443\",\"lan_ip\":\"192.168.11.20\",\"lan_ports\":\"443\"},"
                        "{\"action\":\"add\",\"group\":\"vpn\",\"proto\":\"gre\",\"wan\":\"203.0.113.5\",\"ports\":null,\"lan_ip\":\"192.168.11.3\",\"lan_ports\":null}"
                        "],\"unmanaged\":[],\"not_created_by_portkeep\":[],\"conflicts\":[]}\n",
        },
        {
                .name = "replace: LAN port changed",
                .desired = { "web tcp 8443 192.168.11.20:443" },
                .actual = { "web tcp 8443 192.168.11.20:8443" },
                .managed = { "web" },
                .max_deletes = 8,
                .text = "~ web  tcp 8443 -> 192.168.11.20:443  (was 192.168.11.20:8443)\n"
                        "1 to replace\n",
                .steps = "- tcp 8443 -> 192.168.11.20:8443 (group web)\n"
                         "+ tcp 8443 -> 192.168.11.20:443 (group web)\n",
        },
        {
                .name = "replace: moved to another managed group",
                .desired = { "vpn tcp 1723 192.168.11.3", "web tcp 443 192.168.11.20" },
                .actual = { "web tcp 1723 192.168.11.3", "web tcp 443 192.168.11.20" },
                .managed = { "web", "vpn" },
                .max_deletes = 8,
                .text = "~ vpn  tcp 1723 -> 192.168.11.3:1723  (was group web)\n"
                        "1 to replace\n",
                .json = "{\"version\":1,\"in_sync\":false,\"changes\":["
                        "{\"action\":\"replace\",\"group\":\"vpn\",\"proto\":\"tcp\",\"wan\":\"router\",\"ports\":\"1723\",\"lan_ip\":\"192.168.11.3\",\"lan_ports\":\"1723\","
                        "\"old\":{\"group\":\"web\",\"proto\":\"tcp\",\"wan\":\"router\",\"ports\":\"1723\",\"lan_ip\":\"192.168.11.3\",\"lan_ports\":\"1723\"}}"
                        "],\"unmanaged\":[],\"not_created_by_portkeep\":[],\"conflicts\":[]}\n",
        },
        {
                .name = "replace: group renamed and LAN address changed, under prune all",
                .desired = { "PPTP tcp 1723 192.168.11.3" },
                .actual = { "vpn tcp 1723 192.168.11.4" },
                .managed = { "PPTP" },
                .prune = PRUNE_ALL,
                .max_deletes = 8,
                .text = "~ PPTP  tcp 1723 -> 192.168.11.3:1723  (was 192.168.11.4:1723, group vpn)\n"
                        "1 to replace\n",
        },
        {
                .name = "group renamed in the file: the old name is unmanaged, a conflict",
                .desired = { "PPTP tcp 1723 192.168.11.3 @12:7" },
                .actual = { "vpn tcp 1723 192.168.11.3" },
                .managed = { "PPTP" },
                .max_deletes = 8,
                .guard = -EEXIST,
                .text = "! conflict: tcp 1723 -> 192.168.11.3:1723 (group PPTP) at portkeep.yaml:12:7 "
                        "is held by unmanaged entry tcp 1723 -> 192.168.11.3:1723 (group vpn); "
                        "not applied without --force\n"
                        "left alone (unmanaged):\n"
                        "  vpn  tcp 1723 -> 192.168.11.3:1723\n"
                        "(to remove a group the file does not name, declare it with 'forwards: []')\n"
                        "1 conflict; 1 unmanaged left alone\n",
                .json = "{\"version\":1,\"in_sync\":false,\"changes\":[],\"unmanaged\":["
                        "{\"group\":\"vpn\",\"proto\":\"tcp\",\"wan\":\"router\",\"ports\":\"1723\",\"lan_ip\":\"192.168.11.3\",\"lan_ports\":\"1723\"}"
                        "],\"not_created_by_portkeep\":[],\"conflicts\":[{\"declared\":"
                        "{\"group\":\"PPTP\",\"proto\":\"tcp\",\"wan\":\"router\",\"ports\":\"1723\",\"lan_ip\":\"192.168.11.3\",\"lan_ports\":\"1723\","
                        "\"file\":\"portkeep.yaml\",\"line\":12,\"column\":7},"
                        "\"held_by\":"
                        "{\"group\":\"vpn\",\"proto\":\"tcp\",\"wan\":\"router\",\"ports\":\"1723\",\"lan_ip\":\"192.168.11.3\",\"lan_ports\":\"1723\"}"
                        "}]}\n",
                .steps = "",
        },
        {
                .name = "group renamed, taken over under force",
                .desired = { "PPTP tcp 1723 192.168.11.3 @12:7" },
                .actual = { "vpn tcp 1723 192.168.11.3" },
                .managed = { "PPTP" },
                .max_deletes = 8,
                .force = true,
                .guard = -EEXIST,
                .text = "~ PPTP  tcp 1723 -> 192.168.11.3:1723  (was group vpn)\n"
                        "! conflict: tcp 1723 -> 192.168.11.3:1723 (group PPTP) at portkeep.yaml:12:7 "
                        "is held by unmanaged entry tcp 1723 -> 192.168.11.3:1723 (group vpn); "
                        "taken over (--force)\n"
                        "1 to replace; 1 conflict taken over\n",
                .steps = "- tcp 1723 -> 192.168.11.3:1723 (group vpn)\n"
                         "+ tcp 1723 -> 192.168.11.3:1723 (group PPTP)\n",
        },
        {
                .name = "conflict with an overlapping unmanaged range, prune none",
                .desired = { "PPTP tcp 1723 192.168.11.3 @9:9", "PPTP gre router 192.168.11.3" },
                .actual = { "- tcp 1700-1800 192.168.11.9", "nas tcp 22 192.168.11.9" },
                .managed = { "PPTP" },
                .prune = PRUNE_NONE,
                .max_deletes = 0,
                .guard = -EEXIST,
                .text = "+ PPTP        gre -> 192.168.11.3\n"
                        "! conflict: tcp 1723 -> 192.168.11.3:1723 (group PPTP) at portkeep.yaml:9:9 "
                        "is held by unmanaged entry tcp 1700-1800 -> 192.168.11.9:1700-1800 (no group); "
                        "not applied without --force\n"
                        "left alone (unmanaged):\n"
                        "  (no group)  tcp 1700-1800 -> 192.168.11.9:1700-1800\n"
                        "  nas         tcp 22 -> 192.168.11.9:22\n"
                        "(to remove a group the file does not name, declare it with 'forwards: []')\n"
                        "1 to add; 1 conflict; 2 unmanaged left alone\n",
        },
        {
                .name = "overlapping unmanaged range taken over under force: delete, then add",
                .desired = { "PPTP tcp 1723 192.168.11.3", "PPTP gre router 192.168.11.3" },
                .actual = { "- tcp 1700-1800 192.168.11.9", "nas tcp 22 192.168.11.9" },
                .managed = { "PPTP" },
                .max_deletes = 0,
                .force = true,
                .guard = -EEXIST,
                .text = "+ PPTP        tcp 1723 -> 192.168.11.3:1723\n"
                        "+ PPTP        gre -> 192.168.11.3\n"
                        "- (no group)  tcp 1700-1800 -> 192.168.11.9:1700-1800\n"
                        "! conflict: tcp 1723 -> 192.168.11.3:1723 (group PPTP) "
                        "is held by unmanaged entry tcp 1700-1800 -> 192.168.11.9:1700-1800 (no group); "
                        "taken over (--force)\n"
                        "left alone (unmanaged):\n"
                        "  nas         tcp 22 -> 192.168.11.9:22\n"
                        "(to remove a group the file does not name, declare it with 'forwards: []')\n"
                        "2 to add, 1 to delete; 1 conflict taken over; 1 unmanaged left alone\n",
                .steps = "- tcp 1700-1800 -> 192.168.11.9:1700-1800 (no group)\n"
                         "+ tcp 1723 -> 192.168.11.3:1723 (group PPTP)\n"
                         "+ gre -> 192.168.11.3 (group PPTP)\n",
        },
        {
                .name = "an unmanaged 'all' entry holds every key on its wan",
                .desired = { "PPTP gre router 192.168.11.3" },
                .actual = { "dmz all router 192.168.11.50", "dmz all 203.0.113.5 192.168.11.50" },
                .managed = { "PPTP" },
                .max_deletes = 8,
                .guard = -EEXIST,
                .text = "! conflict: gre -> 192.168.11.3 (group PPTP) "
                        "is held by unmanaged entry all -> 192.168.11.50 (group dmz); "
                        "not applied without --force\n"
                        "left alone (unmanaged):\n"
                        "  dmz  all -> 192.168.11.50\n"
                        "  dmz  all 203.0.113.5 -> 192.168.11.50\n"
                        "(to remove a group the file does not name, declare it with 'forwards: []')\n"
                        "1 conflict; 2 unmanaged left alone\n",
        },
        {
                .name = "a delete frees the key the add needs",
                .desired = { "web tcp 8005 192.168.11.20", "web tcp 9000 192.168.11.20" },
                .actual = { "web tcp 9000 192.168.11.20", "web tcp 8000-8010 192.168.11.21" },
                .managed = { "web" },
                .prune = PRUNE_NONE, /* an entry in a declared forward's way goes even so */
                .max_deletes = 8,
                .text = "+ web  tcp 8005 -> 192.168.11.20:8005\n"
                        "- web  tcp 8000-8010 -> 192.168.11.21:8000-8010\n"
                        "1 to add, 1 to delete\n",
                .steps = "- tcp 8000-8010 -> 192.168.11.21:8000-8010 (group web)\n"
                         "+ tcp 8005 -> 192.168.11.20:8005 (group web)\n",
        },
        {
                .name = "a wide range among narrow ones is found for every port it covers",
                .desired = { "web tcp 2000 192.168.11.20", "web tcp 50000 192.168.11.20" },
                .actual = { "nas tcp 500 192.168.11.9", "web tcp 1000-60000 192.168.11.21",
                            "nas tcp 61000 192.168.11.9" },
                .managed = { "web" },
                .max_deletes = 8,
                .text = "+ web  tcp 2000 -> 192.168.11.20:2000\n"
                        "+ web  tcp 50000 -> 192.168.11.20:50000\n"
                        "- web  tcp 1000-60000 -> 192.168.11.21:1000-60000\n"
                        "left alone (unmanaged):\n"
                        "  nas  tcp 500 -> 192.168.11.9:500\n"
                        "  nas  tcp 61000 -> 192.168.11.9:61000\n"
                        "(to remove a group the file does not name, declare it with 'forwards: []')\n"
                        "2 to add, 1 to delete; 2 unmanaged left alone\n",
        },
        {
                .name = "tcp/udp against separate tcp and udp entries, split: in sync",
                .desired = { "game tcp/udp 27015 192.168.11.30" },
                .actual = { "game udp 27015 192.168.11.30", "game tcp 27015 192.168.11.30" },
                .managed = { "game" },
                .max_deletes = 8,
                .split = true,
                .text = "in sync: 1 forward in 1 group\n",
                .steps = "",
        },
        {
                .name = "tcp/udp, split, udp half missing: applied as the missing entry",
                .desired = { "game tcp/udp 27015 192.168.11.30" },
                .actual = { "game tcp 27015 192.168.11.30" },
                .managed = { "game" },
                .max_deletes = 8,
                .split = true,
                .text = "+ game  udp 27015 -> 192.168.11.30:27015\n"
                        "1 to add\n",
                .steps = "+ udp 27015 -> 192.168.11.30:27015 (group game)\n",
        },
        {
                .name = "tcp/udp, split, empty router: two entries",
                .desired = { "game tcp/udp 27015 192.168.11.30" },
                .managed = { "game" },
                .max_deletes = 8,
                .split = true,
                .text = "+ game  tcp 27015 -> 192.168.11.30:27015\n"
                        "+ game  udp 27015 -> 192.168.11.30:27015\n"
                        "2 to add\n",
        },
        {
                .name = "tcp/udp, no split: separate entries give way to one tcp/udp entry",
                .desired = { "game tcp/udp 27015 192.168.11.30" },
                .actual = { "game udp 27015 192.168.11.30", "game tcp 27015 192.168.11.30" },
                .managed = { "game" },
                .max_deletes = 8,
                .text = "+ game  tcp/udp 27015 -> 192.168.11.30:27015\n"
                        "- game  udp 27015 -> 192.168.11.30:27015\n"
                        "- game  tcp 27015 -> 192.168.11.30:27015\n"
                        "1 to add, 2 to delete\n",
                .steps = "- udp 27015 -> 192.168.11.30:27015 (group game)\n"
                         "- tcp 27015 -> 192.168.11.30:27015 (group game)\n"
                         "+ tcp/udp 27015 -> 192.168.11.30:27015 (group game)\n",
        },
        {
                .name = "tcp/udp, no split, held by an unmanaged udp entry: conflict",
                .desired = { "game tcp/udp 27015 192.168.11.30" },
                .actual = { "other udp 27015 192.168.11.31" },
                .managed = { "game" },
                .max_deletes = 8,
                .guard = -EEXIST,
                .text = "! conflict: tcp/udp 27015 -> 192.168.11.30:27015 (group game) "
                        "is held by unmanaged entry udp 27015 -> 192.168.11.31:27015 (group other); "
                        "not applied without --force\n"
                        "left alone (unmanaged):\n"
                        "  other  udp 27015 -> 192.168.11.31:27015\n"
                        "(to remove a group the file does not name, declare it with 'forwards: []')\n"
                        "1 conflict; 1 unmanaged left alone\n",
        },
        {
                .name = "guard below max_deletes",
                .desired = { "web tcp 443 192.168.11.20" },
                .actual = { "web tcp 443 192.168.11.21" },
                .managed = { "web" },
                .max_deletes = 2,
                .guard = 0,
                .text = "~ web  tcp 443 -> 192.168.11.20:443  (was 192.168.11.21:443)\n"
                        "1 to replace\n",
        },
        {
                .name = "guard at max_deletes: a replace and a delete count two",
                .desired = { "web tcp 443 192.168.11.20" },
                .actual = { "web tcp 443 192.168.11.21", "web tcp 80 192.168.11.20" },
                .managed = { "web" },
                .max_deletes = 2,
                .guard = 0,
                .text = "~ web  tcp 443 -> 192.168.11.20:443  (was 192.168.11.21:443)\n"
                        "- web  tcp 80 -> 192.168.11.20:80\n"
                        "1 to replace, 1 to delete\n",
        },
        {
                .name = "guard above max_deletes",
                .desired = { "web tcp 443 192.168.11.20" },
                .actual = { "web tcp 443 192.168.11.21", "web tcp 80 192.168.11.20",
                            "web tcp 8080 192.168.11.20" },
                .managed = { "web" },
                .max_deletes = 2,
                .guard = -E2BIG,
                .text = "~ web  tcp 443 -> 192.168.11.20:443  (was 192.168.11.21:443)\n"
                        "- web  tcp 80 -> 192.168.11.20:80\n"
                        "- web  tcp 8080 -> 192.168.11.20:8080\n"
                        "1 to replace, 2 to delete\n",
        },
        {
                .name = "exact duplicates in the file count once",
                .desired = { "PPTP tcp 1723 192.168.11.3", "PPTP tcp 1723 192.168.11.3" },
                .actual = { "PPTP tcp 1723 192.168.11.3" },
                .managed = { "PPTP" },
                .max_deletes = 8,
                .text = "in sync: 1 forward in 1 group\n",
        },
};

static char *capture(void (*print)(const Plan *, FILE *), const Plan *p) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                abort();
        print(p, f);
        fclose(f);
        return buf;
}

static void print_steps(const Steps *s, FILE *f) {
        char b[256];

        for (size_t i = 0; i < s->n; i++)
                fprintf(f, "%c %s\n", s->items[i].add ? '+' : '-',
                        forward_to_string(&s->items[i].f, b, sizeof(b)));
}

static char *steps_text(const Steps *s) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                abort();
        print_steps(s, f);
        fclose(f);
        return buf;
}

static void check_text(const char *name, const char *what, const char *got, const char *want) {
        CHECKF(streq(got, want), "%s: %s differs.\n--- expected\n%s--- got\n%s---", name, what,
              want, got);
}

/* The simulated router: refuses an add whose key collides, and a delete of
 * an entry it does not hold. */
static int sim_apply(Table *t, const Step *s) {
        for (size_t i = 0; i < t->n; i++) {
                if (s->add && forward_keys_overlap(&t->items[i], &s->f))
                        return -EEXIST;
                if (!s->add && forward_equal(&t->items[i], &s->f)) {
                        forward_done(&t->items[i]);
                        t->items[i] = t->items[--t->n];
                        return 0;
                }
        }
        if (!s->add)
                return -ENOENT;
        return table_add(t, &s->f);
}

static void copy_table(Table *dst, const Table *src) {
        table_init(dst);
        for (size_t i = 0; i < src->n; i++)
                if (table_add(dst, &src->items[i]) < 0)
                        abort();
}

/* Applies the steps; then the router must be in sync (what a conflict holds
 * aside). Undoing after each prefix of the steps must restore the table. */
static void check_apply_and_undo(const Case *c, const Table *desired, const Table *actual,
                                 const PlanOptions *o, const Steps *steps) {
        for (size_t done = 0; done <= steps->n; done++) {
                _cleanup_(table_done) Table t = {};
                _cleanup_(table_done) Table orig = {};
                _cleanup_(steps_done) Steps undo = {};
                int r;

                copy_table(&t, actual);
                for (size_t i = 0; i < done; i++) {
                        r = sim_apply(&t, &steps->items[i]);
                        CHECKF(r == 0, "%s: step %zu refused by the router: %s", c->name, i + 1,
                              strerror(-r));
                }
                if (done == steps->n) {
                        Plan *again = NULL;

                        r = plan_compute(desired, &t, o, &again);
                        CHECKF(r == 0, "%s: plan after apply: %s", c->name, strerror(-r));
                        if (again) {
                                CHECKF(again->n_changes == 0, "%s: %zu changes left after apply",
                                      c->name, again->n_changes);
                                CHECKF(again->n_conflicts == 0 || !o->force,
                                      "%s: conflicts left after a forced apply", c->name);
                        }
                        plan_free(again);
                }

                r = plan_undo_steps(steps, done, &undo);
                CHECKF(r == 0, "%s: undo: %s", c->name, strerror(-r));
                CHECKF(undo.n == done, "%s: undo has %zu steps for %zu done", c->name, undo.n, done);
                for (size_t i = 0; i < undo.n; i++) {
                        r = sim_apply(&t, &undo.items[i]);
                        CHECKF(r == 0, "%s: undo step %zu (after %zu) refused: %s", c->name, i + 1,
                              done, strerror(-r));
                }
                copy_table(&orig, actual);
                CHECKF(table_equal(&t, &orig), "%s: undo after %zu steps does not restore the table",
                      c->name, done);
        }
}

static void run_case(const Case *c) {
        _cleanup_(table_done) Table desired = {};
        _cleanup_(table_done) Table actual = {};
        _cleanup_(steps_done) Steps steps = {};
        _cleanup_(freep) char *text = NULL;
        _cleanup_(freep) char *json = NULL;
        _cleanup_(freep) char *st = NULL;
        size_t n_managed = 0;
        Plan *p = NULL;
        int r;

        while (c->managed[n_managed])
                n_managed++;
        PlanOptions o = {
                .prune = c->prune,
                .max_deletes = c->max_deletes,
                .force = c->force,
                .managed_groups = (char *const *) c->managed,
                .n_managed_groups = n_managed,
                .split_tcp_udp = c->split,
                .source = "portkeep.yaml",
        };

        table_from(&desired, c->desired);
        table_from(&actual, c->actual);

        r = plan_compute(&desired, &actual, &o, &p);
        CHECKF(r == 0, "%s: plan_compute: %s", c->name, strerror(-r));
        if (r < 0)
                return;

        text = capture(plan_print, p);
        check_text(c->name, "plan_print", text, c->text);
        if (c->json) {
                json = capture(plan_print_json, p);
                check_text(c->name, "plan_print_json", json, c->json);
        }
        r = plan_check_guards(p, false);
        {
                int want = c->guard != -EEXIST ? c->guard : p->n_deletes > p->max_deletes ? -E2BIG : 0;

                CHECKF(r == want, "%s: guard %d, expected %d", c->name, r, want);
                CHECKF(plan_held_back(p) == (c->guard == -EEXIST && !p->force), "%s: held back", c->name);
        }
        CHECKF(plan_check_guards(p, true) == 0, "%s: guard with force", c->name);
        CHECKF(plan_in_sync(p) == (p->n_changes == 0 && p->n_conflicts == 0), "%s: in_sync",
              c->name);

        r = plan_steps(p, &steps);
        CHECKF(r == 0, "%s: plan_steps: %s", c->name, strerror(-r));
        if (c->steps) {
                st = steps_text(&steps);
                check_text(c->name, "plan_steps", st, c->steps);
        }
        check_apply_and_undo(c, &desired, &actual, &o, &steps);
        plan_free(p);
}

/* The undo list itself, step by step, for a failure after each step. */
static void test_undo_lists(void) {
        static const char *const desired_specs[] = { "web tcp 8443 192.168.11.20:443",
                                                     "PPTP gre router 192.168.11.3", NULL };
        static const char *const actual_specs[] = { "web tcp 8443 192.168.11.21:443",
                                                    "old udp 60000 192.168.11.3", NULL };
        static const char *const managed[] = { "web", "PPTP", "old" };
        static const char *const want[] = {
                "",
                "+ udp 60000 -> 192.168.11.3:60000 (group old)\n",
                "+ tcp 8443 -> 192.168.11.21:443 (group web)\n"
                "+ udp 60000 -> 192.168.11.3:60000 (group old)\n",
                "- tcp 8443 -> 192.168.11.20:443 (group web)\n"
                "+ tcp 8443 -> 192.168.11.21:443 (group web)\n"
                "+ udp 60000 -> 192.168.11.3:60000 (group old)\n",
                "- gre -> 192.168.11.3 (group PPTP)\n"
                "- tcp 8443 -> 192.168.11.20:443 (group web)\n"
                "+ tcp 8443 -> 192.168.11.21:443 (group web)\n"
                "+ udp 60000 -> 192.168.11.3:60000 (group old)\n",
        };
        _cleanup_(table_done) Table desired = {};
        _cleanup_(table_done) Table actual = {};
        _cleanup_(steps_done) Steps steps = {};
        PlanOptions o = { .managed_groups = (char *const *) managed, .n_managed_groups = 3,
                          .max_deletes = 8 };
        Plan *p = NULL;

        table_from(&desired, desired_specs);
        table_from(&actual, actual_specs);
        if (plan_compute(&desired, &actual, &o, &p) < 0 || plan_steps(p, &steps) < 0)
                abort();
        CHECKF(steps.n == 4, "undo: %zu steps", steps.n);
        for (size_t done = 0; done < ELEMENTSOF(want) && done <= steps.n; done++) {
                _cleanup_(steps_done) Steps undo = {};
                _cleanup_(freep) char *t = NULL;
                char what[32];

                CHECKF(plan_undo_steps(&steps, done, &undo) == 0, "undo after %zu", done);
                t = steps_text(&undo);
                snprintf(what, sizeof(what), "undo after %zu steps", done);
                check_text("undo lists", what, t, want[done]);
        }
        {
                Steps undo = {};
                CHECKF(plan_undo_steps(&steps, steps.n + 1, &undo) == -EINVAL,
                      "undo of more steps than there are");
        }
        plan_free(p);
}

static unsigned rnd(unsigned n) {
        static unsigned long long x = 88172645463325252ULL;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return (unsigned) (x % n);
}

/* Random tables, every prune mode, under force: each declared forward's way
 * must be cleared (else the simulated router refuses its add), and a second
 * plan must find nothing to do. This is what the sorted overlap search has to
 * get right. */
static void test_random_tables(void) {
        static const char *const managed[] = { "a", "b" };
        static const char *const groups[] = { "a", "b", "x", NULL };
        static const int protos[] = { PROTO_TCP, PROTO_UDP, PROTO_TCP_UDP, PROTO_GRE, PROTO_ALL };

        for (unsigned iter = 0; iter < 400; iter++) {
                _cleanup_(table_done) Table desired = {};
                _cleanup_(table_done) Table actual = {};
                _cleanup_(steps_done) Steps steps = {};
                PlanOptions o = {
                        .prune = (Prune) (iter % 3),
                        .force = true,
                        .managed_groups = (char *const *) managed,
                        .n_managed_groups = 2,
                        .split_tcp_udp = iter % 2,
                };
                Case c = { .name = "random tables" };
                Plan *p = NULL;
                unsigned n;

                n = rnd(12);
                for (unsigned i = 0; i < n; i++) {
                        Forward f = { .proto = protos[rnd(4)], .wan = rnd(2),
                                      .lan_ip = 0xc0a80b00 + rnd(3), .router_id = -1 };

                        if (proto_has_ports(f.proto)) {
                                f.ports.first = (uint16_t) (1 + i * 8 + rnd(3));
                                f.ports.last = f.ports.first;
                                f.lan_ports = f.ports;
                        } else if (rnd(2))
                                f.proto = PROTO_ESP; /* esp at most ... */
                        f.group = strdup(managed[rnd(2)]);
                        for (size_t k = 0; k < desired.n; k++)
                                if (forward_keys_overlap(&desired.items[k], &f))
                                        goto skip_d; /* ... once, like gre */
                        if (table_add(&desired, &f) < 0)
                                abort();
                skip_d:
                        forward_done(&f);
                }
                n = rnd(20);
                for (unsigned i = 0; i < n; i++) {
                        Forward f = { .proto = protos[rnd(ELEMENTSOF(protos))], .wan = rnd(2),
                                      .lan_ip = 0xc0a80b00 + rnd(3), .router_id = -1 };

                        if (o.split_tcp_udp && f.proto == PROTO_TCP_UDP)
                                f.proto = PROTO_UDP;
                        if (proto_has_ports(f.proto)) {
                                f.ports.first = (uint16_t) (1 + rnd(100));
                                f.ports.last = (uint16_t) (f.ports.first + (rnd(4) ? 0 : rnd(40)));
                                f.lan_ports = f.ports;
                        }
                        f.group = strdup_or_null(groups[rnd(ELEMENTSOF(groups))]);
                        for (size_t k = 0; k < actual.n; k++)
                                if (forward_keys_overlap(&actual.items[k], &f))
                                        goto skip_a;
                        if (table_add(&actual, &f) < 0)
                                abort();
                skip_a:
                        forward_done(&f);
                }

                if (plan_compute(&desired, &actual, &o, &p) < 0 || plan_steps(p, &steps) < 0)
                        abort();
                check_apply_and_undo(&c, &desired, &actual, &o, &steps);
                plan_free(p);
                if (failures) {
                        fprintf(stderr, "random tables: failed in iteration %u\n", iter);
                        return;
                }
        }
}

static void test_conflicting_declarations(void) {
        static const char *const specs[] = { "PPTP tcp 1723 192.168.11.3", "PPTP tcp 1723 192.168.11.4",
                                             NULL };
        static const char *const split_specs[] = { "a tcp/udp 500 192.168.11.3",
                                                   "a udp 500 192.168.11.4", NULL };
        _cleanup_(table_done) Table desired = {};
        _cleanup_(table_done) Table desired2 = {};
        Table empty = {};
        PlanOptions o = { .max_deletes = 8 };
        Plan *p = NULL;

        table_from(&desired, specs);
        CHECKF(plan_compute(&desired, &empty, &o, &p) == -EINVAL, "same key, two values");
        CHECKF(!p, "no plan on error");
        table_from(&desired2, split_specs);
        CHECKF(plan_compute(&desired2, &empty, &o, &p) == 0, "tcp/udp and udp differ unsplit");
        p = plan_free(p);
        o.split_tcp_udp = true;
        CHECKF(plan_compute(&desired2, &empty, &o, &p) == -EINVAL, "tcp/udp split collides with udp");
        plan_free(p);
}

static void test_forward_strings(void) {
        Forward f;
        char b[FORWARD_RULE_STRING_MAX], small[8];

        parse_forward("- udp 203.0.113.5:60000-60010 192.168.11.3:50000-50010", &f);
        check_text("strings", "rule", forward_rule_to_string(&f, b, sizeof(b)),
                   "udp 203.0.113.5:60000-60010 -> 192.168.11.3:50000-50010");
        check_text("strings", "no group", forward_to_string(&f, b, sizeof(b)),
                   "udp 203.0.113.5:60000-60010 -> 192.168.11.3:50000-50010 (no group)");
        check_text("strings", "truncated", forward_to_string(&f, small, sizeof(small)), "udp 203");
        forward_done(&f);
        parse_forward("x 41 router 192.168.11.3", &f);
        check_text("strings", "number", forward_to_string(&f, b, sizeof(b)),
                   "41 -> 192.168.11.3 (group x)");
        forward_done(&f);
}

/* The widths the GROUP column is padded by: glibc's, whatever the locale
 * (a program under systemd runs in C). */
static void test_widths(void) {
        static const struct {
                const char *s;
                size_t cols;
        } w[] = {
                { "VPN", 3 },
                { "VPN用", 5 },             /* a kanji is two cells */
                { "\xf0\x9f\xa6\x8a" "fox", 5 }, /* 🦊fox: an emoji, two */
                { "e\xcc\x81" "cole", 5 },  /* e + combining acute: one */
                { "\xc3\xa9" "cole", 5 },   /* école precomposed */
                { "\xef\xbd\x86\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x8c", 8 }, /* ｆｕｌｌ: full-width */
                { "a\x1b[31m", 6 },         /* a control shows as '?', one cell */
        };
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        for (size_t i = 0; i < ELEMENTSOF(w); i++)
                CHECKF(utf8_columns(w[i].s) == w[i].cols, "'%s': %zu columns, expected %zu", w[i].s,
                       utf8_columns(w[i].s), w[i].cols);
        f = open_memstream(&buf, &size);
        utf8_print_padded(f, "e\xcc\x81" "cole", 8);
        fclose(f);
        CHECKF(streq(buf, "e\xcc\x81" "cole   "), "'%s'", buf);
        free(buf);
}

int main(void) {
        test_widths();
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                run_case(&cases[i]);
        test_undo_lists();
        test_random_tables();
        test_conflicting_declarations();
        test_forward_strings();

        if (failures) {
                fprintf(stderr, "%u check(s) failed\n", failures);
                return 1;
        }
        printf("%zu cases passed\n", ELEMENTSOF(cases));
        return 0;
}
