/*
 * Private to dataplane/net: the per-protocol input functions that
 * sl_net_input_burst() dispatches to. Each takes ownership of m.
 */
#ifndef SL_DATAPLANE_NET_NET_PRIV_H
#define SL_DATAPLANE_NET_NET_PRIV_H

#include "dataplane/net/net.h"

void sl_net_arp_input(struct sl_net *net, struct rte_mbuf *m);
void sl_net_ipv4_input(struct sl_net *net, struct rte_mbuf *m, uint64_t now);
void sl_net_icmp_input(struct sl_net *net, struct rte_mbuf *m, uint64_t now);

static inline void drop(struct sl_net *net, struct rte_mbuf *m, enum sl_net_drop reason)
{
	net->stats.drops[reason]++;
	rte_pktmbuf_free(m);
}

#endif /* SL_DATAPLANE_NET_NET_PRIV_H */
