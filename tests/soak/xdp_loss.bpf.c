/* Loss injection for the soak test: attached to the ingress of each
 * interface of a middle router namespace, it drops IPv4 TCP frames with a
 * probability of LOSS_PPM parts per million (bpf_get_prandom_u32) and counts
 * what it saw and what it dropped in `loss_stats` (index 0: TCP frames seen,
 * 1: frames dropped, 2: dropped frames that carried RST), which the test
 * reads to report the faults injected.
 * Everything else (ARP, ICMP) passes, so the topology itself stays up. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef LOSS_PPM
#define LOSS_PPM 10000 /* 1% */
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} loss_stats SEC(".maps");

static __always_inline void bump(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&loss_stats, &idx);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int soak_loss(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	bump(0);
	if (bpf_get_prandom_u32() % 1000000 < LOSS_PPM) {
		struct tcphdr *th = (void *)ip + ip->ihl * 4;

		bump(1);
		if ((void *)(th + 1) <= end && th->rst)
			bump(2);
		return XDP_DROP;
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
