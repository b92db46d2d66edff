/*
 * sluice's XDP program, handed to the DPDK af_xdp PMD as `xdp_prog`.
 *
 * It decides, before anything reaches userspace, which frames the dataplane
 * sees and which new connections it has to pay for:
 *   - IPv4 to the service address and ARP whose target is the service
 *     address go to the AF_XDP socket of the RX queue they arrived on; all
 *     other traffic (management SSH, the host's own ARP, IPv6) passes to the
 *     kernel untouched.
 *   - A pure SYN to the service address (a new connection) is admitted only
 *     if the overload flag is clear, the source is not denied by the ACL, its
 *     established-connection estimate is below its cap plus slack, and it is
 *     within its SYN rate. Otherwise it is dropped here, at the cost of a few
 *     map lookups, and the client's TCP retries later.
 *   - Nothing else is ever dropped: segments of established connections, ARP
 *     and ICMP always reach the dataplane.
 * Until the control thread has written the service address into sl_cfg,
 * everything passes, so a half-started instance never blackholes a shared
 * NIC. Every frame increments exactly one per-CPU decision counter.
 *
 * Header accesses are bounds-checked against data_end before each read, as
 * the verifier requires.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "control/bpf/sluice_maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, SL_BPF_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct sl_bpf_cfg);
} sl_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_XDP_STAT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} sl_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SL_BPF_ACL_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_bpf_acl_key);
	__type(value, __u32);
} sl_acl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SL_BPF_CAPS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_bpf_acl_key);
	__type(value, __u32);
} sl_caps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SL_BPF_SYN_SOURCES);
	__type(key, __u32);
	__type(value, struct sl_bpf_bucket);
} sl_syn SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct sl_bpf_sketch);
} sl_conns SEC(".maps");

/* ARP for IPv4 over Ethernet (RFC 826), fixed 28-byte body. */
struct arp_ipv4 {
	__be16 htype;
	__be16 ptype;
	__u8 hlen;
	__u8 plen;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__be32 spa;
	__u8 tha[ETH_ALEN];
	__be32 tpa;
} __attribute__((packed));

#define NSEC_PER_SEC 1000000000ULL

static __always_inline int count(__u32 stat, int action)
{
	__u64 *c = bpf_map_lookup_elem(&sl_stats, &stat);

	if (c != NULL)
		*c += 1;
	return action;
}

static __always_inline int to_dataplane(struct xdp_md *ctx, __u32 stat)
{
	count(stat, XDP_PASS);
	/* Falls back to XDP_PASS when no socket is bound to this queue. */
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

static __always_inline int acl_denies(const struct sl_bpf_cfg *cfg, __u32 saddr)
{
	struct sl_bpf_acl_key key = {.prefixlen = 32, .addr = saddr};
	__u32 *action = bpf_map_lookup_elem(&sl_acl, &key);

	if (action == NULL)
		return (cfg->flags & SL_BPF_CFG_F_ACL_DEFAULT_DENY) != 0;
	return *action == SL_BPF_ACL_DENY;
}

/* Token bucket per source: syn_rate tokens per second, syn_burst deep. */
static __always_inline int over_syn_rate(const struct sl_bpf_cfg *cfg, __u32 saddr)
{
	__u64 burst = cfg->syn_burst ? cfg->syn_burst : cfg->syn_rate;
	__u64 cap = burst * NSEC_PER_SEC, now = bpf_ktime_get_ns();
	struct sl_bpf_bucket *b, fresh;

	if (cfg->syn_rate == 0)
		return 0;
	b = bpf_map_lookup_elem(&sl_syn, &saddr);
	if (b == NULL) {
		/* A new source starts with a full bucket, minus this SYN. */
		fresh.tokens_nano = cap - NSEC_PER_SEC;
		fresh.last_ns = now;
		bpf_map_update_elem(&sl_syn, &saddr, &fresh, BPF_ANY);
		return 0;
	}
	/* elapsed ns x rate = new tokens x 1e9; elapsed is clamped so this cannot overflow */
	if (now > b->last_ns) {
		__u64 elapsed = now - b->last_ns;

		if (elapsed > 100 * NSEC_PER_SEC)
			elapsed = 100 * NSEC_PER_SEC;
		b->tokens_nano += elapsed * cfg->syn_rate;
		if (b->tokens_nano > cap)
			b->tokens_nano = cap;
		b->last_ns = now;
	}
	if (b->tokens_nano < NSEC_PER_SEC)
		return 1;
	b->tokens_nano -= NSEC_PER_SEC;
	return 0;
}

/*
 * Count-min estimate of the source's established connections against its
 * cap: the longest sl_caps prefix holding the source, else cfg->conn_cap.
 */
static __always_inline int at_conn_cap(const struct sl_bpf_cfg *cfg, __u32 saddr)
{
	struct sl_bpf_acl_key ck = {.prefixlen = 32, .addr = saddr};
	__u32 key = 0, est = 0xffffffff, row, cap = cfg->conn_cap, *rule;
	struct sl_bpf_sketch *sk;

	rule = bpf_map_lookup_elem(&sl_caps, &ck);
	if (rule != NULL)
		cap = *rule;
	if (cap == 0)
		return 0;
	sk = bpf_map_lookup_elem(&sl_conns, &key);
	if (sk == NULL)
		return 0;
#pragma unroll
	for (row = 0; row < SL_BPF_SKETCH_ROWS; row++) {
		__u32 v = sk->count[row][sl_bpf_sketch_col(saddr, cfg->sketch_seed, row)];

		if (v < est)
			est = v;
	}
	return est >= (__u64)cap + cfg->conn_slack;
}

SEC("xdp")
int sluice_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct sl_bpf_cfg *cfg;
	struct iphdr *ip;
	struct tcphdr *tcp;
	__u32 key = 0;

	cfg = bpf_map_lookup_elem(&sl_cfg, &key);
	if (cfg == NULL || !(cfg->flags & SL_BPF_CFG_F_ACTIVE))
		return count(SL_XDP_PASS_INACTIVE, XDP_PASS);
	if ((void *)(eth + 1) > data_end)
		return count(SL_XDP_PASS_MALFORMED, XDP_PASS);

	if (eth->h_proto == bpf_htons(ETH_P_ARP)) {
		struct arp_ipv4 *arp = (void *)(eth + 1);

		if ((void *)(arp + 1) > data_end)
			return count(SL_XDP_PASS_MALFORMED, XDP_PASS);
		if (arp->ptype == bpf_htons(ETH_P_IP) && arp->tpa == cfg->service_ip)
			return to_dataplane(ctx, SL_XDP_REDIRECT_ARP);
		return count(SL_XDP_PASS_OTHER, XDP_PASS);
	}
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return count(SL_XDP_PASS_OTHER, XDP_PASS);
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return count(SL_XDP_PASS_MALFORMED, XDP_PASS);
	if (ip->daddr != cfg->service_ip)
		return count(SL_XDP_PASS_OTHER, XDP_PASS);
	/* Only unfragmented TCP can be a SYN worth judging; the rest goes to the dataplane. */
	if (ip->protocol != IPPROTO_TCP || ip->ihl < 5 || (ip->frag_off & bpf_htons(0x3fff)) != 0)
		return to_dataplane(ctx, SL_XDP_REDIRECT_IPV4);
	tcp = (void *)ip + ip->ihl * 4;
	if ((void *)(tcp + 1) > data_end)
		return to_dataplane(ctx, SL_XDP_REDIRECT_IPV4);
	if (!tcp->syn || tcp->ack || tcp->rst)
		return to_dataplane(ctx, SL_XDP_REDIRECT_IPV4);

	/* A new connection: admission control. */
	if (cfg->flags & SL_BPF_CFG_F_OVERLOAD)
		return count(SL_XDP_DROP_OVERLOAD, XDP_DROP);
	if (acl_denies(cfg, ip->saddr))
		return count(SL_XDP_DROP_ACL, XDP_DROP);
	if (at_conn_cap(cfg, ip->saddr))
		return count(SL_XDP_DROP_CONN_CAP, XDP_DROP);
	if (over_syn_rate(cfg, ip->saddr))
		return count(SL_XDP_DROP_SYN_RATE, XDP_DROP);
	return to_dataplane(ctx, SL_XDP_REDIRECT_SYN);
}

char _license[] SEC("license") = "Dual BSD/GPL";
