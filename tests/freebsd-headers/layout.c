/*
 * Compile-time check of every FreeBSD structure layout, ioctl number and constant that
 * ifaddr-core (core/src/freebsd/) hard-codes. The numbers on the right are the ones the Rust
 * code uses; the expressions on the left come from FreeBSD's own headers (the copy shipped in
 * the ziglang wheel). `cargo xtask freebsd-check` compiles this file for x86_64-freebsd and
 * aarch64-freebsd: if one number drifts, compilation fails and names it.
 *
 * Nothing here runs; an object file that compiles is the whole result.
 */
#include "common.h"

#define SAME(expr, value) _Static_assert((expr) == (value), #expr " != " #value)

/* LP64 only: SA_SIZE rounds to sizeof(long). */
SAME(sizeof(long), 8);

/* <sys/socket.h>, <netinet/in.h>, <net/if_dl.h> */
SAME(AF_INET, 2);
SAME(AF_INET6, 28);
SAME(AF_LINK, 18);
SAME(AF_ROUTE, 17);
SAME(PF_ROUTE, 17);
SAME(CTL_NET, 4);
SAME(NET_RT_IFLIST, 3);
SAME(sizeof(struct sockaddr_in), 16);
SAME(offsetof(struct sockaddr_in, sin_len), 0);
SAME(offsetof(struct sockaddr_in, sin_family), 1);
SAME(offsetof(struct sockaddr_in, sin_port), 2);
SAME(offsetof(struct sockaddr_in, sin_addr), 4);
SAME(sizeof(struct sockaddr_in6), 28);
SAME(offsetof(struct sockaddr_in6, sin6_flowinfo), 4);
SAME(offsetof(struct sockaddr_in6, sin6_addr), 8);
SAME(offsetof(struct sockaddr_in6, sin6_scope_id), 24);
SAME(sizeof(struct sockaddr_dl), 54);
SAME(offsetof(struct sockaddr_dl, sdl_index), 2);
SAME(offsetof(struct sockaddr_dl, sdl_type), 4);
SAME(offsetof(struct sockaddr_dl, sdl_nlen), 5);
SAME(offsetof(struct sockaddr_dl, sdl_alen), 6);
SAME(offsetof(struct sockaddr_dl, sdl_slen), 7);
SAME(offsetof(struct sockaddr_dl, sdl_data), 8);
SAME(IFT_ETHER, 6);
SAME(IFT_LOOP, 0x18);

/* <net/if.h> */
SAME(IFNAMSIZ, 16);
SAME(sizeof(struct ifreq), 32);
SAME(offsetof(struct ifreq, ifr_ifru), 16);
SAME(offsetof(struct ifreq, ifr_addr), 16);
SAME(offsetof(struct ifreq, ifr_flags), 16);
SAME(offsetof(struct ifreq, ifr_flagshigh), 18);
SAME(sizeof(struct ifaliasreq), 68);
SAME(IFF_UP, 0x1);
SAME(IFF_BROADCAST, 0x2);
SAME(IFF_LOOPBACK, 0x8);
SAME(IFF_RUNNING, 0x40);
SAME(IFF_MULTICAST, 0x8000);
SAME(LINK_STATE_UNKNOWN, 0);
SAME(LINK_STATE_DOWN, 1);
SAME(LINK_STATE_UP, 2);

/* <netinet/in_var.h> */
SAME(sizeof(struct in_aliasreq), 68);
SAME(offsetof(struct in_aliasreq, ifra_addr), 16);
SAME(offsetof(struct in_aliasreq, ifra_broadaddr), 32);
SAME(offsetof(struct in_aliasreq, ifra_mask), 48);
SAME(offsetof(struct in_aliasreq, ifra_vhid), 64);

/* <netinet6/in6_var.h>, <netinet6/nd6.h> */
SAME(sizeof(struct in6_addrlifetime), 24);
SAME(sizeof(struct in6_aliasreq), 136);
SAME(offsetof(struct in6_aliasreq, ifra_addr), 16);
SAME(offsetof(struct in6_aliasreq, ifra_dstaddr), 44);
SAME(offsetof(struct in6_aliasreq, ifra_prefixmask), 72);
SAME(offsetof(struct in6_aliasreq, ifra_flags), 100);
SAME(offsetof(struct in6_aliasreq, ifra_lifetime), 104);
SAME(offsetof(struct in6_aliasreq, ifra_lifetime.ia6t_vltime), 120);
SAME(offsetof(struct in6_aliasreq, ifra_lifetime.ia6t_pltime), 124);
SAME(offsetof(struct in6_aliasreq, ifra_vhid), 128);
SAME(sizeof(struct in6_ifreq), 288);
SAME(offsetof(struct in6_ifreq, ifr_ifru), 16);
SAME(offsetof(struct in6_ifreq, ifr_addr), 16);
SAME(offsetof(struct in6_ifreq, ifr_ifru.ifru_flags6), 16);
SAME(offsetof(struct sockaddr_in6, sin6_len), 0);
SAME(offsetof(struct sockaddr_in6, sin6_family), 1);
SAME(offsetof(struct sockaddr_dl, sdl_len), 0);
SAME(offsetof(struct sockaddr_dl, sdl_family), 1);
SAME(IN6_IFF_ANYCAST, 0x01);
SAME(IN6_IFF_TENTATIVE, 0x02);
SAME(IN6_IFF_DUPLICATED, 0x04);
SAME(IN6_IFF_DETACHED, 0x08);
SAME(IN6_IFF_DEPRECATED, 0x10);
SAME(IN6_IFF_NODAD, 0x20);
SAME(ND6_INFINITE_LIFETIME, 0xffffffffu);
SAME(IPV6_MULTICAST_IF, 9);
SAME(IPV6_MULTICAST_HOPS, 10);

/* <sys/sockio.h>, <netinet6/in6_var.h>, <net/bpf.h> */
SAME(SIOCAIFADDR, 0x8044692bu);
SAME(SIOCDIFADDR, 0x80206919u);
SAME(SIOCGIFFLAGS, 0xc0206911u);
SAME(SIOCAIFADDR_IN6, 0x8088691bu);
SAME(SIOCDIFADDR_IN6, 0x81206919u);
SAME(SIOCGIFAFLAG_IN6, 0xc1206949u);
SAME(SIOCAADDRCTL_POLICY, 0x8048756cu);
SAME(SIOCDADDRCTL_POLICY, 0x8048756du);
SAME(sizeof(struct in6_addrpolicy), 72);
SAME(offsetof(struct in6_addrpolicy, addr), 0);
SAME(offsetof(struct in6_addrpolicy, addrmask), 28);
SAME(offsetof(struct in6_addrpolicy, preced), 56);
SAME(offsetof(struct in6_addrpolicy, label), 60);
SAME(offsetof(struct in6_addrpolicy, use), 64);
SAME(BIOCSETIF, 0x8020426cu);
SAME(BIOCSHDRCMPLT, 0x80044275u);
SAME(BIOCGBLEN, 0x40044266u);
SAME(BIOCSETF, 0x80104267u);
SAME(BIOCIMMEDIATE, 0x80044270u);
SAME(sizeof(struct bpf_program), 16);
SAME(sizeof(struct bpf_insn), 8);
SAME(offsetof(struct bpf_insn, jt), 2);
SAME(offsetof(struct bpf_insn, jf), 3);
SAME(offsetof(struct bpf_insn, k), 4);
SAME(sizeof(struct bpf_hdr), 32);
SAME(offsetof(struct bpf_hdr, bh_caplen), 16);
SAME(offsetof(struct bpf_hdr, bh_datalen), 20);
SAME(offsetof(struct bpf_hdr, bh_hdrlen), 24);
SAME(BPF_ALIGNMENT, 8);
SAME(ETHERTYPE_ARP, 0x0806);

/* <net/route.h> */
SAME(RTM_VERSION, 5);
SAME(RTM_GET, 0x4);
SAME(RTM_NEWADDR, 0xc);
SAME(RTM_DELADDR, 0xd);
SAME(RTM_IFINFO, 0xe);
SAME(RTA_DST, 0x1);
SAME(RTA_GATEWAY, 0x2);
SAME(RTA_NETMASK, 0x4);
SAME(RTA_GENMASK, 0x8);
SAME(RTA_IFP, 0x10);
SAME(RTA_IFA, 0x20);
SAME(RTA_AUTHOR, 0x40);
SAME(RTA_BRD, 0x80);
SAME(RTAX_MAX, 8);
SAME(RTF_UP, 0x1);
SAME(RTF_GATEWAY, 0x2);
SAME(RTF_HOST, 0x4);
SAME(RTF_REJECT, 0x8);
SAME(RTF_DONE, 0x40);
SAME(RTF_STATIC, 0x800);
SAME(RTF_BLACKHOLE, 0x1000);
SAME(RTF_PINNED, 0x100000);
SAME(RTF_LOCAL, 0x200000);
SAME(sizeof(struct rt_metrics), 112);
SAME(sizeof(struct rt_msghdr), 152);
SAME(offsetof(struct rt_msghdr, rtm_msglen), 0);
SAME(offsetof(struct rt_msghdr, rtm_version), 2);
SAME(offsetof(struct rt_msghdr, rtm_type), 3);
SAME(offsetof(struct rt_msghdr, rtm_index), 4);
SAME(offsetof(struct rt_msghdr, rtm_flags), 8);
SAME(offsetof(struct rt_msghdr, rtm_addrs), 12);
SAME(offsetof(struct rt_msghdr, rtm_pid), 16);
SAME(offsetof(struct rt_msghdr, rtm_seq), 20);
SAME(offsetof(struct rt_msghdr, rtm_errno), 24);
SAME(offsetof(struct rt_msghdr, rtm_inits), 32);
SAME(offsetof(struct rt_msghdr, rtm_rmx), 40);

/* <net/if.h> routing-socket messages */
SAME(sizeof(struct if_data), 152);
SAME(offsetof(struct if_data, ifi_type), 0);
SAME(offsetof(struct if_data, ifi_addrlen), 2);
SAME(offsetof(struct if_data, ifi_link_state), 4);
SAME(offsetof(struct if_data, ifi_vhid), 5);
SAME(offsetof(struct if_data, ifi_datalen), 6);
SAME(offsetof(struct if_data, ifi_mtu), 8);
SAME(offsetof(struct if_data, ifi_ipackets), 24);
SAME(offsetof(struct if_data, ifi_ierrors), 32);
SAME(offsetof(struct if_data, ifi_opackets), 40);
SAME(offsetof(struct if_data, ifi_oerrors), 48);
SAME(offsetof(struct if_data, ifi_iqdrops), 96);
SAME(offsetof(struct if_data, ifi_oqdrops), 104);
SAME(sizeof(struct if_msghdr), 168);
SAME(offsetof(struct if_msghdr, ifm_msglen), 0);
SAME(offsetof(struct if_msghdr, ifm_version), 2);
SAME(offsetof(struct if_msghdr, ifm_type), 3);
SAME(offsetof(struct if_msghdr, ifm_addrs), 4);
SAME(offsetof(struct if_msghdr, ifm_flags), 8);
SAME(offsetof(struct if_msghdr, ifm_index), 12);
SAME(offsetof(struct if_msghdr, ifm_data), 16);
SAME(sizeof(struct ifa_msghdr), 20);
SAME(offsetof(struct ifa_msghdr, ifam_msglen), 0);
SAME(offsetof(struct ifa_msghdr, ifam_version), 2);
SAME(offsetof(struct ifa_msghdr, ifam_type), 3);
SAME(offsetof(struct ifa_msghdr, ifam_addrs), 4);
SAME(offsetof(struct ifa_msghdr, ifam_flags), 8);
SAME(offsetof(struct ifa_msghdr, ifam_index), 12);
SAME(offsetof(struct ifa_msghdr, ifam_metric), 16);

/* <sys/jail.h> */
SAME(JAIL_SYS_NEW, 1);

/* An object file needs at least one symbol. */
const int ifaddr_layout_checked = 1;
