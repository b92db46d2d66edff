/*
 * IPv4 input (RFC 791, RFC 1122 section 3.2.1). Validates the header before
 * any upper layer sees it, trims Ethernet padding, and dispatches on the
 * protocol. Fragments are dropped and counted: the dataplane serves TCP with
 * a negotiated MSS, so a fragment is either an attack or a broken path, and
 * reassembly buffers are exactly the unbounded memory sluice refuses to keep.
 */
#include <rte_ip.h>

#include "dataplane/net/net_priv.h"

/*
 * RFC 1122 3.2.1.3: silently discard datagrams whose source is not a valid
 * unicast host address: 0.0.0.0, limited broadcast, 127/8, class D and E.
 */
static inline int martian_source(uint32_t src_be)
{
	uint32_t src = rte_be_to_cpu_32(src_be);

	return src == 0 || src == UINT32_MAX || (src >> 24) == 127 || (src >> 28) >= 0xe;
}

static inline int cksum_bad(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	uint64_t flag = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;

	if (flag == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return 0;
	if (flag == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return 1;
	/* Summing a valid header including its checksum field gives 0xffff. */
	return rte_ipv4_cksum(ip) != 0;
}

void sl_net_ipv4_input(struct sl_net *net, struct rte_mbuf *m, uint64_t now)
{
	struct rte_ipv4_hdr *ip;
	uint32_t avail = rte_pktmbuf_data_len(m) - m->l2_len;
	uint32_t hlen, tot;

	if (avail < sizeof(*ip)) {
		drop(net, m, SL_NET_DROP_IP_MALFORMED);
		return;
	}
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	hlen = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	tot = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || hlen < sizeof(*ip) || tot < hlen || tot > avail) {
		drop(net, m, SL_NET_DROP_IP_MALFORMED);
		return;
	}
	if (cksum_bad(m, ip)) {
		drop(net, m, SL_NET_DROP_IP_CKSUM);
		return;
	}
	if (ip->dst_addr != net->iface.ip) {
		drop(net, m, SL_NET_DROP_IP_NOT_US);
		return;
	}
	if (martian_source(ip->src_addr)) {
		drop(net, m, SL_NET_DROP_IP_MARTIAN);
		return;
	}
	if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
		drop(net, m, SL_NET_DROP_IP_FRAGMENT);
		return;
	}
	/* Ethernet pads short frames to 60 bytes; upper layers see only the datagram. */
	if (tot < avail)
		rte_pktmbuf_trim(m, (uint16_t)(avail - tot));
	m->l3_len = hlen;

	switch (ip->next_proto_id) {
	case IPPROTO_ICMP:
		net->stats.rx_icmp++;
		sl_net_icmp_input(net, m, now);
		break;
	case IPPROTO_TCP:
		if (net->tcp_input != NULL) {
			net->tcp_input(net->tcp_ctx, m, now);
			break;
		}
		/* fall through */
	default:
		drop(net, m, SL_NET_DROP_IP_PROTO);
		break;
	}
}
