/*
 * Instance set-up, the TX buffer, and Ethernet demultiplexing.
 */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>

#include "dataplane/net/net_priv.h"

static const char *const drop_names[SL_NET_DROP__MAX] = {
	[SL_NET_DROP_RUNT] = "runt",
	[SL_NET_DROP_L2_NOT_US] = "l2_not_us",
	[SL_NET_DROP_ETHERTYPE] = "ethertype",
	[SL_NET_DROP_ARP_MALFORMED] = "arp_malformed",
	[SL_NET_DROP_ARP_NOT_US] = "arp_not_us",
	[SL_NET_DROP_IP_MALFORMED] = "ip_malformed",
	[SL_NET_DROP_IP_CKSUM] = "ip_cksum",
	[SL_NET_DROP_IP_NOT_US] = "ip_not_us",
	[SL_NET_DROP_IP_MARTIAN] = "ip_martian",
	[SL_NET_DROP_IP_FRAGMENT] = "ip_fragment",
	[SL_NET_DROP_IP_PROTO] = "ip_proto",
	[SL_NET_DROP_ICMP_MALFORMED] = "icmp_malformed",
	[SL_NET_DROP_ICMP_CKSUM] = "icmp_cksum",
	[SL_NET_DROP_ICMP_UNHANDLED] = "icmp_unhandled",
	[SL_NET_DROP_TX_FULL] = "tx_full",
};

const char *sl_net_drop_name(enum sl_net_drop reason)
{
	if ((unsigned)reason >= SL_NET_DROP__MAX)
		return "unknown";
	return drop_names[reason];
}

int sl_net_init(struct sl_net *net, const struct sl_net_iface *iface, sl_net_tx_fn *tx,
		void *tx_ctx)
{
	if (net == NULL || iface == NULL || tx == NULL || iface->ip == 0)
		return -EINVAL;
	memset(net, 0, sizeof(*net));
	net->iface = *iface;
	net->tx = tx;
	net->tx_ctx = tx_ctx;
	return 0;
}

uint16_t sl_net_flush(struct sl_net *net)
{
	uint16_t n = net->tx_n, sent;

	if (n == 0)
		return 0;
	sent = net->tx(net->tx_ctx, net->tx_pkts, n);
	net->stats.tx_frames += sent;
	if (sent < n) {
		net->stats.drops[SL_NET_DROP_TX_FULL] += n - sent;
		rte_pktmbuf_free_bulk(&net->tx_pkts[sent], n - sent);
	}
	net->tx_n = 0;
	return sent;
}

void sl_net_output(struct sl_net *net, struct rte_mbuf *m)
{
	if (net->tx_n == SL_NET_TXBUF_SIZE)
		sl_net_flush(net);
	net->tx_pkts[net->tx_n++] = m;
}

/*
 * A frame is for us when its destination is our MAC or broadcast. Multicast
 * is not joined by the dataplane, so it is not ours either.
 */
static inline int l2_for_us(const struct sl_net *net, const struct rte_ether_hdr *eth)
{
	return rte_is_same_ether_addr(&eth->dst_addr, &net->iface.mac) ||
	       rte_is_broadcast_ether_addr(&eth->dst_addr);
}

static void eth_input(struct sl_net *net, struct rte_mbuf *m, uint64_t now)
{
	const struct rte_ether_hdr *eth;

	net->stats.rx_frames++;
	if (rte_pktmbuf_data_len(m) < sizeof(*eth) ||
	    rte_pktmbuf_pkt_len(m) != rte_pktmbuf_data_len(m)) {
		/* Runts, and chained frames we never configure the port to produce. */
		drop(net, m, SL_NET_DROP_RUNT);
		return;
	}
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (!l2_for_us(net, eth)) {
		drop(net, m, SL_NET_DROP_L2_NOT_US);
		return;
	}
	m->l2_len = sizeof(*eth);
	switch (eth->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		net->stats.rx_ipv4++;
		sl_net_ipv4_input(net, m, now);
		break;
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		net->stats.rx_arp++;
		sl_net_arp_input(net, m);
		break;
	default:
		drop(net, m, SL_NET_DROP_ETHERTYPE);
		break;
	}
}

uint16_t sl_net_input_burst(struct sl_net *net, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		eth_input(net, pkts[i], now);
	}
	return n;
}
