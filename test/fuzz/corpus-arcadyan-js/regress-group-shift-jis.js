addCfg("a","ARC_NAT_PORTMAP_MaxNum","1");
addCfg("b","ARC_NAT_PORTMAP_0_Enable","1");
addCfg("c","ARC_NAT_PORTMAP_0_GroupName","VPN%97p");
addCfg("d","ARC_NAT_PORTMAP_0_PrivateIP","192.168.11.3");
addCfg("e","ARC_NAT_PORTMAP_0_Proto","gre");
