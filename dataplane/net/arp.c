/*
 * ARP for IPv4 over Ethernet (RFC 826). We answer requests for our own
 * address by rewriting the request in place into a reply, and announce
 * ourselves with a gratuitous ARP at start (RFC 5227 section 3).
 *
 * Requests whose sender and target are the same address are announcements
 * (gratuitous ARP, RFC 5227 2.3/2.4), not questions, and get no answer.
 */
#include <string.h>

#include <rte_arp.h>

#include "dataplane/net/net_priv.h"

void sl_net_arp_input(struct sl_net *net, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp;
	struct rte_arp_ipv4 *a;

	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*arp)) {
		drop(net, m, SL_NET_DROP_ARP_MALFORMED);
		return;
	}
	arp = (struct rte_arp_hdr *)(eth + 1);
	/* RFC 826 "Packet Reception": hardware and protocol type must be ours. */
	if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != sizeof(uint32_t)) {
		drop(net, m, SL_NET_DROP_ARP_MALFORMED);
		return;
	}
	a = &arp->arp_data;
	if (arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST) || a->arp_tip != net->iface.ip ||
	    a->arp_sip == a->arp_tip) {
		drop(net, m, SL_NET_DROP_ARP_NOT_US);
		return;
	}

	/* RFC 826: swap sender and target, fill in our hardware address. */
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	a->arp_tha = a->arp_sha;
	a->arp_tip = a->arp_sip;
	a->arp_sha = net->iface.mac;
	a->arp_sip = net->iface.ip;
	eth->dst_addr = a->arp_tha;
	eth->src_addr = net->iface.mac;
	net->stats.tx_arp_replies++;
	sl_net_output(net, m);
}

struct rte_mbuf *sl_net_arp_announce(const struct sl_net *net, struct rte_mempool *pool)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	if (m == NULL)
		return NULL;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	arp = (struct rte_arp_hdr *)(eth + 1);
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	eth->src_addr = net->iface.mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = sizeof(uint32_t);
	/* RFC 5227 section 3: an announcement is a request with sender = target. */
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	arp->arp_data.arp_sha = net->iface.mac;
	arp->arp_data.arp_sip = net->iface.ip;
	memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	arp->arp_data.arp_tip = net->iface.ip;
	return m;
}
