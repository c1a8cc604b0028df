/*
 * Reference bytes for core/src/freebsd/vectors.rs, built by the C compiler from FreeBSD's
 * own structure definitions.
 *
 * Every `ifaddr_v_*` object is one request the agent sends (or one reply it parses), filled
 * with designated initializers from the same fixed inputs the Rust tests use; every
 * `ifaddr_k_*` object is one constant the agent uses. Nothing runs: `cargo xtask
 * freebsd-check` compiles this file for x86_64-freebsd and aarch64-freebsd, reads the
 * objects' bytes out of the ELF symbol table, and regenerates vectors.rs from them. Objects
 * of static storage have their padding zeroed, as the Rust encoders do.
 *
 * Multi-byte fields are in the target's byte order; both targets are little-endian, which
 * IP4() and the hand-written sockaddr below rely on.
 */
#include "common.h"

_Static_assert(BYTE_ORDER == LITTLE_ENDIAN, "vectors assume a little-endian target");

/* An IPv4 address as the uint32_t whose memory bytes are a.b.c.d (network order). */
#define IP4(a, b, c, d) \
	((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))
#define SIN(a, b, c, d) \
	{ .sin_len = sizeof(struct sockaddr_in), .sin_family = AF_INET, \
	  .sin_addr = { .s_addr = IP4(a, b, c, d) } }
#define SIN6(...) \
	{ .sin6_len = sizeof(struct sockaddr_in6), .sin6_family = AF_INET6, \
	  .sin6_addr = { .__u6_addr = { .__u6_addr8 = { __VA_ARGS__ } } } }
#define DB8_200 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x00
#define DB8_10 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x10
#define DB8_0 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
#define DB8_1_5 0x20, 0x01, 0x0d, 0xb8, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x05
#define MASK64 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0
#define MASK128 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, \
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
#define MAC 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01

/* SA_SIZE() of a sockaddr of length n, as a constant expression. */
#define ROUND(n) ((n) == 0 ? sizeof(long) : 1 + (((n) - 1) | (sizeof(long) - 1)))
#define PAD(n) (ROUND(n) - (n))

/* ---- constants ---------------------------------------------------------------------- */

#define K(name) const unsigned long long ifaddr_k_##name = (name)
K(SIOCAIFADDR);
K(SIOCDIFADDR);
K(SIOCGIFFLAGS);
K(SIOCAIFADDR_IN6);
K(SIOCDIFADDR_IN6);
K(SIOCGIFAFLAG_IN6);
K(BIOCSETIF);
K(BIOCSHDRCMPLT);
K(BIOCGBLEN);
K(BIOCSETF);
K(BIOCIMMEDIATE);
K(AF_INET);
K(AF_INET6);
K(AF_LINK);
K(PF_ROUTE);
K(CTL_NET);
K(NET_RT_IFLIST);
K(IN6_IFF_TENTATIVE);
K(IN6_IFF_DUPLICATED);
K(IN6_IFF_DEPRECATED);
K(IN6_IFF_NODAD);
K(ND6_INFINITE_LIFETIME);
K(RTM_VERSION);
K(RTM_GET);
K(RTM_NEWADDR);
K(RTM_IFINFO);
K(RTA_DST);
K(RTA_GATEWAY);
K(RTA_NETMASK);
K(RTA_IFP);
K(RTA_IFA);
K(RTA_BRD);
K(RTF_UP);
K(RTF_GATEWAY);
K(RTF_HOST);
K(RTF_REJECT);
K(RTF_BLACKHOLE);
K(RTF_LOCAL);
K(IFF_UP);
K(IFF_LOOPBACK);
K(IFF_RUNNING);
K(LINK_STATE_UP);
K(LINK_STATE_DOWN);
K(JAIL_SYS_NEW);

/* ---- requests ----------------------------------------------------------------------- */

/* SIOCAIFADDR: vlan100 192.0.2.200/24 broadcast 192.0.2.255, CARP vhid 3. */
const struct in_aliasreq ifaddr_v_in_aliasreq_brd = {
	.ifra_name = "vlan100",
	.ifra_addr = SIN(192, 0, 2, 200),
	.ifra_broadaddr = SIN(192, 0, 2, 255),
	.ifra_mask = SIN(255, 255, 255, 0),
	.ifra_vhid = 3,
};

/* SIOCAIFADDR: em0 198.51.100.7/32, no broadcast (all zero: the kernel decides), no vhid. */
const struct in_aliasreq ifaddr_v_in_aliasreq_host = {
	.ifra_name = "em0",
	.ifra_addr = SIN(198, 51, 100, 7),
	.ifra_mask = SIN(255, 255, 255, 255),
};

/* SIOCAIFADDR_IN6: epair0a 2001:db8::200/64, no DAD, valid forever, preferred 0 s. */
const struct in6_aliasreq ifaddr_v_in6_aliasreq_nodad = {
	.ifra_name = "epair0a",
	.ifra_addr = SIN6(DB8_200),
	.ifra_prefixmask = SIN6(MASK64),
	.ifra_flags = IN6_IFF_NODAD,
	.ifra_lifetime = { .ia6t_vltime = ND6_INFINITE_LIFETIME, .ia6t_pltime = 0 },
};

/* SIOCAIFADDR_IN6: lagg0 2001:db8:1::5/128, DAD, both lifetimes forever, CARP vhid 7. */
const struct in6_aliasreq ifaddr_v_in6_aliasreq_carp = {
	.ifra_name = "lagg0",
	.ifra_addr = SIN6(DB8_1_5),
	.ifra_prefixmask = SIN6(MASK128),
	.ifra_lifetime = { .ia6t_vltime = ND6_INFINITE_LIFETIME,
			   .ia6t_pltime = ND6_INFINITE_LIFETIME },
	.ifra_vhid = 7,
};

/* SIOCDIFADDR: em0 192.0.2.200 (ifr_addr is a struct sockaddr holding a sockaddr_in). */
const struct ifreq ifaddr_v_ifreq_del = {
	.ifr_name = "em0",
	.ifr_ifru = { .ifru_addr = { .sa_len = sizeof(struct sockaddr_in), .sa_family = AF_INET,
				     .sa_data = { 0, 0, 192, 0, 2, 200 } } },
};

/* SIOCGIFFLAGS and BIOCSETIF: the name alone. */
const struct ifreq ifaddr_v_ifreq_name = { .ifr_name = "em0" };

/* SIOCDIFADDR_IN6 and SIOCGIFAFLAG_IN6: epair0a 2001:db8::200. */
const struct in6_ifreq ifaddr_v_in6_ifreq = {
	.ifr_name = "epair0a",
	.ifr_ifru = { .ifru_addr = SIN6(DB8_200) },
};

/* RTM_GET for 192.0.2.200, asking for the interface (RTA_IFP with an empty sockaddr_dl). */
struct rtm_get_v4 {
	struct rt_msghdr rtm;
	struct sockaddr_in dst;
	struct sockaddr_dl ifp;
	char ifp_pad[PAD(sizeof(struct sockaddr_dl))];
};
_Static_assert(sizeof(struct rtm_get_v4) == sizeof(struct rt_msghdr) + ROUND(16) + ROUND(54), "");
const struct rtm_get_v4 ifaddr_v_rtm_get_v4 = {
	.rtm = { .rtm_msglen = sizeof(struct rtm_get_v4), .rtm_version = RTM_VERSION,
		 .rtm_type = RTM_GET, .rtm_flags = RTF_UP | RTF_HOST,
		 .rtm_addrs = RTA_DST | RTA_IFP, .rtm_seq = 42 },
	.dst = SIN(192, 0, 2, 200),
	.ifp = { .sdl_len = sizeof(struct sockaddr_dl), .sdl_family = AF_LINK },
};

/* RTM_GET for 2001:db8::200. */
struct rtm_get_v6 {
	struct rt_msghdr rtm;
	struct sockaddr_in6 dst;
	char dst_pad[PAD(sizeof(struct sockaddr_in6))];
	struct sockaddr_dl ifp;
	char ifp_pad[PAD(sizeof(struct sockaddr_dl))];
};
_Static_assert(sizeof(struct rtm_get_v6) == sizeof(struct rt_msghdr) + ROUND(28) + ROUND(54), "");
const struct rtm_get_v6 ifaddr_v_rtm_get_v6 = {
	.rtm = { .rtm_msglen = sizeof(struct rtm_get_v6), .rtm_version = RTM_VERSION,
		 .rtm_type = RTM_GET, .rtm_flags = RTF_UP | RTF_HOST,
		 .rtm_addrs = RTA_DST | RTA_IFP, .rtm_seq = 43 },
	.dst = SIN6(DB8_200),
	.ifp = { .sdl_len = sizeof(struct sockaddr_dl), .sdl_family = AF_LINK },
};

/* BIOCSETF: the ARP-only filter, with <net/bpf.h>'s own macros. */
const struct bpf_insn ifaddr_v_bpf_arp_filter[] = {
	BPF_STMT(BPF_LD + BPF_H + BPF_ABS, 12),
	BPF_JUMP(BPF_JMP + BPF_JEQ + BPF_K, ETHERTYPE_ARP, 0, 1),
	BPF_STMT(BPF_RET + BPF_K, (u_int)-1),
	BPF_STMT(BPF_RET + BPF_K, 0),
};

/* ---- replies ------------------------------------------------------------------------ */

/*
 * The kernel's answer to the IPv4 RTM_GET: the connected route 192.0.2.0/24 on em0 (index 2).
 * The gateway is the kernel's 16-byte `struct sockaddr_dl_short` (not in userland headers),
 * written out: len 16, AF_LINK, index 2 (little-endian), type IFT_ETHER, no name, no address.
 */
struct rtm_reply_v4 {
	struct rt_msghdr rtm;
	struct sockaddr_in dst;
	unsigned char gw[16];
	struct sockaddr_in mask;
	struct sockaddr_dl ifp;
	char ifp_pad[PAD(sizeof(struct sockaddr_dl))];
	struct sockaddr_in ifa;
};
_Static_assert(offsetof(struct rtm_reply_v4, gw) == 152 + ROUND(16), "");
_Static_assert(offsetof(struct rtm_reply_v4, mask) == 152 + 2 * ROUND(16), "");
_Static_assert(offsetof(struct rtm_reply_v4, ifa) == 152 + 3 * ROUND(16) + ROUND(54), "");
const struct rtm_reply_v4 ifaddr_v_rtm_reply_v4 = {
	.rtm = { .rtm_msglen = sizeof(struct rtm_reply_v4), .rtm_version = RTM_VERSION,
		 .rtm_type = RTM_GET, .rtm_index = 2,
		 .rtm_flags = RTF_UP | RTF_DONE | RTF_PINNED,
		 .rtm_addrs = RTA_DST | RTA_GATEWAY | RTA_NETMASK | RTA_IFP | RTA_IFA,
		 .rtm_pid = 1234, .rtm_seq = 42 },
	.dst = SIN(192, 0, 2, 0),
	.gw = { 16, AF_LINK, 2, 0, IFT_ETHER },
	.mask = SIN(255, 255, 255, 0),
	.ifp = { .sdl_len = sizeof(struct sockaddr_dl), .sdl_family = AF_LINK, .sdl_index = 2,
		 .sdl_type = IFT_ETHER, .sdl_nlen = 3, .sdl_alen = 6,
		 .sdl_data = { 'e', 'm', '0', MAC } },
	.ifa = SIN(192, 0, 2, 10),
};

/* The answer to the IPv6 RTM_GET: 2001:db8::/64 on vlan100 (index 5). */
struct rtm_reply_v6 {
	struct rt_msghdr rtm;
	struct sockaddr_in6 dst;
	char dst_pad[PAD(28)];
	unsigned char gw[16];
	struct sockaddr_in6 mask;
	char mask_pad[PAD(28)];
	struct sockaddr_dl ifp;
	char ifp_pad[PAD(54)];
	struct sockaddr_in6 ifa;
	char ifa_pad[PAD(28)];
};
_Static_assert(offsetof(struct rtm_reply_v6, ifa) == 152 + 3 * ROUND(28) + ROUND(16) + ROUND(54) - ROUND(28), "");
const struct rtm_reply_v6 ifaddr_v_rtm_reply_v6 = {
	.rtm = { .rtm_msglen = sizeof(struct rtm_reply_v6), .rtm_version = RTM_VERSION,
		 .rtm_type = RTM_GET, .rtm_index = 5,
		 .rtm_flags = RTF_UP | RTF_DONE | RTF_PINNED,
		 .rtm_addrs = RTA_DST | RTA_GATEWAY | RTA_NETMASK | RTA_IFP | RTA_IFA,
		 .rtm_pid = 1234, .rtm_seq = 43 },
	.dst = SIN6(DB8_0),
	.gw = { 16, AF_LINK, 5, 0, IFT_L2VLAN },
	.mask = SIN6(MASK64),
	.ifp = { .sdl_len = sizeof(struct sockaddr_dl), .sdl_family = AF_LINK, .sdl_index = 5,
		 .sdl_type = IFT_L2VLAN, .sdl_nlen = 7, .sdl_alen = 6,
		 .sdl_data = { 'v', 'l', 'a', 'n', '1', '0', '0', MAC } },
	.ifa = SIN6(DB8_10),
};

/*
 * sysctl {CTL_NET, PF_ROUTE, 0, 0, NET_RT_IFLIST, 0}: em0 (index 2, up, running, link up,
 * MTU 1500) with 192.0.2.10/24 broadcast 192.0.2.255 and 2001:db8::10/64, then lo0
 * (index 1) with 127.0.0.1 and a netmask trimmed to 5 bytes as older kernels sent it.
 * Each message is padded to a multiple of sizeof(long), as rtsock_msg_buffer() does.
 */
struct ifinfo_msg {
	struct if_msghdr ifm;
	struct sockaddr_dl ifp;
	char ifp_pad[PAD(54)];
};
struct ifa_v4_msg {
	struct ifa_msghdr ifam;
	struct sockaddr_in mask, ifa, brd;
	char pad[ROUND(20 + 3 * 16) - (20 + 3 * 16)];
};
struct ifa_v6_msg {
	struct ifa_msghdr ifam;
	struct sockaddr_in6 mask;
	char mask_pad[PAD(28)];
	struct sockaddr_in6 ifa;
	char ifa_pad[PAD(28)];
	char pad[ROUND(20 + 2 * 32) - (20 + 2 * 32)];
};
struct ifa_lo_msg {
	struct ifa_msghdr ifam;
	unsigned char mask[ROUND(5)];
	struct sockaddr_in ifa;
	char pad[ROUND(20 + 8 + 16) - (20 + 8 + 16)];
};
struct iflist {
	struct ifinfo_msg em0;
	struct ifa_v4_msg em0_v4;
	struct ifa_v6_msg em0_v6;
	struct ifinfo_msg lo0;
	struct ifa_lo_msg lo0_v4;
};
_Static_assert(sizeof(struct ifinfo_msg) == ROUND(168 + 54), "");
_Static_assert(sizeof(struct ifa_v4_msg) % sizeof(long) == 0, "");
_Static_assert(sizeof(struct ifa_v6_msg) % sizeof(long) == 0, "");
_Static_assert(offsetof(struct ifa_v6_msg, ifa) == 20 + ROUND(28), "");
_Static_assert(offsetof(struct ifa_lo_msg, ifa) == 20 + ROUND(5), "");
_Static_assert(offsetof(struct iflist, lo0_v4) ==
	sizeof(struct ifinfo_msg) * 2 + sizeof(struct ifa_v4_msg) + sizeof(struct ifa_v6_msg), "");

#define IFINFO(idx, fl, state, alen, ...) \
	{ .ifm = { .ifm_msglen = sizeof(struct ifinfo_msg), .ifm_version = RTM_VERSION, \
		   .ifm_type = RTM_IFINFO, .ifm_addrs = RTA_IFP, .ifm_flags = (fl), \
		   .ifm_index = (idx), \
		   .ifm_data = { .ifi_type = IFT_ETHER, .ifi_addrlen = (alen), \
				 .ifi_link_state = (state), .ifi_datalen = sizeof(struct if_data), \
				 .ifi_mtu = 1500, .ifi_ipackets = 1001, .ifi_ierrors = 2, \
				 .ifi_opackets = 3003, .ifi_oerrors = 4, .ifi_iqdrops = 5, \
				 .ifi_oqdrops = 6 } }, \
	  .ifp = { .sdl_len = sizeof(struct sockaddr_dl), .sdl_family = AF_LINK, \
		   .sdl_index = (idx), .sdl_type = IFT_ETHER, .sdl_nlen = 3, .sdl_alen = (alen), \
		   .sdl_data = { __VA_ARGS__ } } }
#define IFAM(type, idx, addrs) \
	{ .ifam_msglen = sizeof(type), .ifam_version = RTM_VERSION, .ifam_type = RTM_NEWADDR, \
	  .ifam_addrs = (addrs), .ifam_index = (idx) }

const struct iflist ifaddr_v_iflist = {
	.em0 = IFINFO(2, IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_SIMPLEX | IFF_MULTICAST,
		      LINK_STATE_UP, 6, 'e', 'm', '0', MAC),
	.em0_v4 = { .ifam = IFAM(struct ifa_v4_msg, 2, RTA_NETMASK | RTA_IFA | RTA_BRD),
		    .mask = SIN(255, 255, 255, 0), .ifa = SIN(192, 0, 2, 10),
		    .brd = SIN(192, 0, 2, 255) },
	.em0_v6 = { .ifam = IFAM(struct ifa_v6_msg, 2, RTA_NETMASK | RTA_IFA),
		    .mask = SIN6(MASK64), .ifa = SIN6(DB8_10) },
	.lo0 = IFINFO(1, IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_MULTICAST,
		      LINK_STATE_UNKNOWN, 0, 'l', 'o', '0'),
	.lo0_v4 = { .ifam = IFAM(struct ifa_lo_msg, 1, RTA_NETMASK | RTA_IFA),
		    .mask = { 5, AF_INET, 0, 0, 255 }, .ifa = SIN(127, 0, 0, 1) },
};

/*
 * What read(2) on a bpf descriptor returns: two records, each a struct bpf_hdr (here with
 * bh_hdrlen = sizeof(struct bpf_hdr); the kernel may use less, which the parser honours)
 * and a captured ARP reply from 192.0.2.99 at 02:00:5e:10:00:63, padded to BPF_WORDALIGN.
 */
#define ARP_REPLY(last) \
	{ 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x63, 0x08, 0x06, \
	  0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x63, \
	  192, 0, 2, 99, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 192, 0, 2, (last) }
struct bpf_record {
	struct bpf_hdr h;
	unsigned char pkt[42];
	char pad[BPF_WORDALIGN(sizeof(struct bpf_hdr) + 42) - sizeof(struct bpf_hdr) - 42];
};
_Static_assert(sizeof(struct bpf_record) == BPF_WORDALIGN(sizeof(struct bpf_hdr) + 42), "");
const struct bpf_record ifaddr_v_bpf_read[2] = {
	{ .h = { .bh_caplen = 42, .bh_datalen = 60, .bh_hdrlen = sizeof(struct bpf_hdr) },
	  .pkt = ARP_REPLY(200) },
	{ .h = { .bh_caplen = 42, .bh_datalen = 60, .bh_hdrlen = sizeof(struct bpf_hdr) },
	  .pkt = ARP_REPLY(201) },
};
