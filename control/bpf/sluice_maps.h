/*
 * BPF map layout shared by the XDP program, the dataplane and sluicectl.
 *
 * This header is the one meeting point between kernel-side and user-side
 * code, so it uses only <linux/types.h> types and fixed-width fields whose
 * layout does not depend on the compiler target (bpf or x86_64).
 *
 * Maps (names are what libbpf and the kernel report; pins live under
 * <bpffs>/sluice/<instance>/<name>):
 *   xsks_map  XSKMAP, key = RX queue index, value = AF_XDP socket. The DPDK
 *             af_xdp PMD requires exactly this name and fills it.
 *   sl_cfg    ARRAY[1] of struct sl_bpf_cfg, BPF_F_MMAPABLE. Written by the
 *             control thread (and later sluicectl); read by the program on
 *             every packet. Writers bump `generation` after a change.
 *   sl_stats  PERCPU_ARRAY[SL_XDP_STAT__MAX] of __u64: one counter per
 *             decision, summed across CPUs by readers.
 *   sl_acl    LPM_TRIE of struct sl_bpf_acl_key -> __u32 action
 *             (SL_BPF_ACL_ALLOW / SL_BPF_ACL_DENY): the longest matching
 *             prefix decides whether a source may open connections; with no
 *             match, SL_BPF_CFG_F_ACL_DEFAULT_DENY decides.
 *   sl_caps   LPM_TRIE of struct sl_bpf_acl_key -> __u32 cap: connections per
 *             source for sources inside the prefix (longest wins; 0 = no
 *             cap), overriding cfg conn_cap. Written by the admin socket
 *             (`sluicectl caps set PREFIX N`) along with the dataplane's
 *             exact cap for the same prefix.
 *   sl_syn    LRU_HASH of source address (__be32) -> struct sl_bpf_bucket:
 *             a token bucket of SYNs per source (cfg syn_rate, syn_burst).
 *   sl_conns  ARRAY[1] of struct sl_bpf_sketch, BPF_F_MMAPABLE: a count-min
 *             sketch of established connections per source, written by the
 *             dataplane (atomic adds through its mmap), read here: a SYN from
 *             a source whose estimate is at or above its cap + conn_slack is
 *             shed before it costs the dataplane anything. The dataplane
 *             enforces the exact cap; the sketch only ever overestimates, so
 *             the slack keeps XDP from shedding sources that are under it.
 *
 * Only pure SYNs to the service are ever dropped: segments of established
 * connections, ARP and ICMP always pass to the dataplane.
 */
#ifndef SL_CONTROL_BPF_SLUICE_MAPS_H
#define SL_CONTROL_BPF_SLUICE_MAPS_H

#include <linux/types.h>

#define SL_BPF_PROG_NAME  "sluice_xdp"
#define SL_BPF_CFG_MAP    "sl_cfg"
#define SL_BPF_STATS_MAP  "sl_stats"
#define SL_BPF_ACL_MAP    "sl_acl"
#define SL_BPF_CAPS_MAP   "sl_caps"
#define SL_BPF_SYN_MAP    "sl_syn"
#define SL_BPF_CONNS_MAP  "sl_conns"
#define SL_BPF_XSKS_MAP   "xsks_map"
#define SL_BPF_MAX_QUEUES 64

/* Pin names under <bpffs>/sluice/<instance>/. */
#define SL_BPF_PIN_PROG  "prog"
#define SL_BPF_PIN_CFG   "cfg"
#define SL_BPF_PIN_STATS "stats"
#define SL_BPF_PIN_ACL   "acl"
#define SL_BPF_PIN_CAPS  "caps"
#define SL_BPF_PIN_SYN   "syn"
#define SL_BPF_PIN_CONNS "conns"

#define SL_BPF_ACL_MAX  4096
#define SL_BPF_CAPS_MAX 64 /* = SL_SRCCAP_RULES, the dataplane's rule table */
/* conn_slack when an operator gives none: room for the sketch's overestimate
 * and for the dataplane to answer a few connections past the cap with
 * Redis's error before XDP starts shedding their SYNs. */
#define SL_BPF_CONN_SLACK_DEFAULT 16
#define SL_BPF_SYN_SOURCES        65536
#define SL_BPF_SKETCH_ROWS        4
#define SL_BPF_SKETCH_COLS        4096 /* power of two */

/* sl_bpf_cfg.flags */
#define SL_BPF_CFG_F_ACTIVE           0x1 /* service_ip is valid: redirect traffic for it */
#define SL_BPF_CFG_F_OVERLOAD         0x2 /* shed every new connection (SYN) */
#define SL_BPF_CFG_F_ACL_DEFAULT_DENY 0x4 /* sources matching no ACL prefix are denied */

struct sl_bpf_cfg {
	__u64 generation;   /* bumped by every writer after a change */
	__u32 service_ip;   /* network byte order */
	__u32 flags;        /* SL_BPF_CFG_F_* */
	__u16 service_port; /* network byte order; the RESP port (informational) */
	__u16 pad;
	__u32 syn_rate;   /* SYNs per second per source; 0 = unlimited */
	__u32 syn_burst;  /* bucket depth; 0 = syn_rate */
	__u32 conn_cap;   /* established connections per source; 0 = unlimited */
	__u32 conn_slack; /* added to conn_cap before XDP sheds (sketch error) */
	__u32 reserved0;
	__u64 sketch_seed; /* hash seed shared with the dataplane */
	__u64 reserved[2]; /* zero */
};

struct sl_bpf_acl_key {
	__u32 prefixlen; /* LPM trie convention: bits that count */
	__u32 addr;      /* network byte order */
};

#define SL_BPF_ACL_ALLOW 1
#define SL_BPF_ACL_DENY  2

struct sl_bpf_bucket {
	__u64 tokens_nano; /* tokens x 1e9, so refills need no division by rate */
	__u64 last_ns;     /* bpf_ktime_get_ns() of the last refill */
};

struct sl_bpf_sketch {
	__u32 count[SL_BPF_SKETCH_ROWS][SL_BPF_SKETCH_COLS];
};

/*
 * Column of source `addr` (network byte order) in sketch row `row`. Shared by
 * the XDP program and the dataplane so both index the same counters.
 */
static inline __u32 sl_bpf_sketch_col(__u32 addr, __u64 seed, __u32 row)
{
	__u64 h = ((__u64)addr ^ seed) * 0x9e3779b97f4a7c15ULL;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL + 2 * (__u64)row;
	h ^= h >> 32;
	return (__u32)h & (SL_BPF_SKETCH_COLS - 1);
}

/*
 * One counter per decision the program takes. Every packet increments
 * exactly one of them, so their sum is the number of packets seen.
 */
enum sl_xdp_stat {
	SL_XDP_PASS_INACTIVE = 0, /* no service configured yet: everything to the kernel */
	SL_XDP_PASS_OTHER,        /* not for the service address: to the kernel */
	SL_XDP_PASS_MALFORMED,    /* too short to classify: to the kernel */
	SL_XDP_REDIRECT_ARP,      /* ARP asking for or announcing the service address */
	SL_XDP_REDIRECT_IPV4,     /* IPv4 to the service address (not a new connection) */
	SL_XDP_REDIRECT_SYN,      /* a SYN to the service that passed every check */
	SL_XDP_DROP_OVERLOAD,     /* SYN shed: overload flag set */
	SL_XDP_DROP_ACL,          /* SYN shed: source denied by the ACL */
	SL_XDP_DROP_SYN_RATE,     /* SYN shed: source over its SYN rate */
	SL_XDP_DROP_CONN_CAP,     /* SYN shed: source at its connection cap (+ slack) */
	SL_XDP_STAT__MAX
};

#endif /* SL_CONTROL_BPF_SLUICE_MAPS_H */
