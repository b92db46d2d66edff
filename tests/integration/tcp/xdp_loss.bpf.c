/*
 * Random loss for the TCP integration tests: attached to a router
 * namespace's ingress veth, drops each IPv4 TCP frame with probability
 * LOSS_PPM / 1e6 (bpf_get_prandom_u32; this kernel has no netem). Everything
 * else (ARP, ICMP) passes so the path stays up. Counts passed and dropped TCP
 * frames in the array map loss_stats: [0] passed, [1] dropped.
 * Built at test time: clang -target bpf -O2 -DLOSS_PPM=10000 -c ...
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef LOSS_PPM
#define LOSS_PPM 10000
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} loss_stats SEC(".maps");

static void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&loss_stats, &idx);

	if (v != NULL)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int xdp_loss(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	if (bpf_get_prandom_u32() % 1000000u < LOSS_PPM) {
		count(1);
		return XDP_DROP;
	}
	count(0);
	return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
