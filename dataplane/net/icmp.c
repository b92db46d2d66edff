/*
 * ICMP (RFC 792, RFC 1122 section 3.2.2). We answer echo requests by turning
 * the request into the reply in place: addresses swapped, type 0, fresh TTL,
 * data and IP options echoed unchanged (RFC 1122 3.2.2.6). Other types are
 * counted and dropped, except destination unreachable (type 3), which goes
 * to the transport's hook: TCP uses "fragmentation needed" for path MTU
 * discovery (RFC 1191) and treats the others per RFC 5927 / RFC 1122 4.2.3.9.
 */
#include <rte_icmp.h>
#include <rte_ip.h>

#include "dataplane/net/net_priv.h"

#define SL_NET_TTL 64

void sl_net_icmp_input(struct sl_net *net, struct rte_mbuf *m, uint64_t now)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	struct rte_icmp_hdr *icmp;
	uint32_t len = rte_be_to_cpu_16(ip->total_length) - m->l3_len;
	struct rte_ether_addr peer;
	uint32_t addr;

	if (len < sizeof(*icmp)) {
		drop(net, m, SL_NET_DROP_ICMP_MALFORMED);
		return;
	}
	icmp = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, m->l2_len + m->l3_len);
	/* RFC 792: the checksum covers the whole ICMP message; a valid one sums to 0xffff. */
	if (rte_raw_cksum(icmp, len) != 0xffff) {
		drop(net, m, SL_NET_DROP_ICMP_CKSUM);
		return;
	}
	if (icmp->icmp_type == 3 && net->icmp_unreach != NULL &&
	    len >= sizeof(*icmp) + sizeof(struct rte_ipv4_hdr) + 8) {
		/* The quoted header follows the 8-byte ICMP header; bytes 6-7 carry
		 * the next-hop MTU for code 4 (RFC 1191 section 4). */
		const struct rte_ipv4_hdr *q = (const struct rte_ipv4_hdr *)(icmp + 1);
		uint16_t mtu = icmp->icmp_code == 4 ? rte_be_to_cpu_16(icmp->icmp_seq_nb) : 0;

		net->stats.rx_icmp_unreach++;
		net->icmp_unreach(net->icmp_ctx, q, len - (uint32_t)sizeof(*icmp), icmp->icmp_code,
				  mtu, now);
		rte_pktmbuf_free(m);
		return;
	}
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) {
		drop(net, m, SL_NET_DROP_ICMP_UNHANDLED);
		return;
	}

	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, len);

	addr = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = addr;
	ip->time_to_live = SL_NET_TTL;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);

	peer = eth->src_addr;
	eth->src_addr = net->iface.mac;
	eth->dst_addr = peer;
	m->ol_flags = 0;
	net->stats.tx_icmp_echo_replies++;
	sl_net_output(net, m);
}
