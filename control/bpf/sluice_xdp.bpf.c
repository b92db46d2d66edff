/*
 * sluice's XDP program, handed to the DPDK af_xdp PMD as `xdp_prog`.
 *
 * It decides, before anything reaches userspace, which frames the dataplane
 * sees: IPv4 to the service address and ARP whose target is the service
 * address go to the AF_XDP socket of the RX queue they arrived on; all
 * other traffic (management SSH, the host's own ARP, IPv6) passes to the
 * kernel untouched. Until the control thread has written the service
 * address into sl_cfg, everything passes, so a half-started instance never
 * blackholes a shared NIC.
 *
 * Every decision increments one per-CPU counter (see sluice_maps.h).
 * Header accesses are bounds-checked against data_end before each read, as
 * the verifier requires.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
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

SEC("xdp")
int sluice_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 key = 0;
	struct sl_bpf_cfg *cfg = bpf_map_lookup_elem(&sl_cfg, &key);

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
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return count(SL_XDP_PASS_MALFORMED, XDP_PASS);
		if (ip->daddr == cfg->service_ip)
			return to_dataplane(ctx, SL_XDP_REDIRECT_IPV4);
	}
	return count(SL_XDP_PASS_OTHER, XDP_PASS);
}

char _license[] SEC("license") = "Dual BSD/GPL";
