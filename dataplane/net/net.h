/*
 * dataplane/net: the per-lcore L2/L3 input path (Ethernet, ARP, IPv4, ICMP).
 *
 * Design: a worker hands every received burst to sl_net_input_burst(). Each
 * frame is classified once, validated with bounds checks before every header
 * read, and then either turned into a reply in place (ARP reply, ICMP echo
 * reply: the RX mbuf is reused, nothing is allocated), handed to an upper
 * layer hook (TCP), or freed and counted under exactly one drop reason.
 * Replies are queued in the instance's TX buffer and leave through the tx
 * function given at creation, in bursts; the worker flushes the buffer when
 * it is full, when an iteration received nothing, or on its drain timer.
 *
 * One struct sl_net per worker lcore; nothing in it is shared, so nothing
 * is locked. Counters are plain per-lcore integers that the control thread
 * reads (a torn read of a 64-bit counter cannot happen on x86_64).
 */
#ifndef SL_DATAPLANE_NET_NET_H
#define SL_DATAPLANE_NET_NET_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/common.h"

/* Why a frame was dropped. Each dropped frame counts under exactly one. */
enum sl_net_drop {
	SL_NET_DROP_RUNT = 0,       /* shorter than an Ethernet header */
	SL_NET_DROP_L2_NOT_US,      /* unicast to another MAC */
	SL_NET_DROP_ETHERTYPE,      /* neither IPv4 nor ARP */
	SL_NET_DROP_ARP_MALFORMED,  /* truncated, or not IPv4-over-Ethernet */
	SL_NET_DROP_ARP_NOT_US,     /* ARP for another address, or a reply */
	SL_NET_DROP_IP_MALFORMED,   /* version, IHL or lengths inconsistent */
	SL_NET_DROP_IP_CKSUM,       /* bad IPv4 header checksum */
	SL_NET_DROP_IP_NOT_US,      /* destination is not our address */
	SL_NET_DROP_IP_MARTIAN,     /* source is 0, broadcast, multicast or loopback */
	SL_NET_DROP_IP_FRAGMENT,    /* fragments are not reassembled */
	SL_NET_DROP_IP_PROTO,       /* no handler for the protocol */
	SL_NET_DROP_ICMP_MALFORMED, /* truncated ICMP message */
	SL_NET_DROP_ICMP_CKSUM,     /* bad ICMP checksum */
	SL_NET_DROP_ICMP_UNHANDLED, /* ICMP types we neither answer nor use */
	SL_NET_DROP_TX_FULL,        /* the port did not take a reply */
	SL_NET_DROP__MAX
};

/* Per-lcore counters, written only by the owning worker. */
struct sl_net_stats {
	uint64_t rx_frames;
	uint64_t rx_arp;
	uint64_t rx_ipv4;
	uint64_t rx_icmp;
	uint64_t tx_frames;
	uint64_t tx_arp_replies;
	uint64_t tx_icmp_echo_replies;
	uint64_t rx_icmp_unreach; /* destination unreachable handed to TCP */
	uint64_t drops[SL_NET_DROP__MAX];
};

/* Our identity on the link. Read-only once workers run. */
struct sl_net_iface {
	struct rte_ether_addr mac;
	uint32_t ip;      /* network byte order */
	uint32_t netmask; /* network byte order */
	uint32_t gateway; /* network byte order; 0 = none */
};

/*
 * Sends a burst of complete frames. Returns how many the port took; the
 * caller (net) frees the rest. ctx is the pointer given at creation.
 */
typedef uint16_t sl_net_tx_fn(void *ctx, struct rte_mbuf **pkts, uint16_t n);

/*
 * Upper-layer input hook for IPv4 protocols we do not terminate here (TCP).
 * The frame's IPv4 header is validated and m->l2_len / m->l3_len are set;
 * ownership of m is transferred to the hook.
 */
typedef void sl_net_l4_input_fn(void *ctx, struct rte_mbuf *m, uint64_t now);

/*
 * ICMP destination-unreachable hook (RFC 792; frag needed per RFC 1191):
 * ip points at the quoted IPv4 header inside the ICMP message (borrowed for
 * the call), len is how many bytes of it are present (>= IHL + 8), code the
 * ICMP code, mtu the next-hop MTU for code 4 (else 0).
 */
typedef void sl_net_icmp_unreach_fn(void *ctx, const struct rte_ipv4_hdr *ip, uint32_t len,
				    uint8_t code, uint16_t mtu, uint64_t now);

#define SL_NET_TXBUF_SIZE (2 * SL_BURST)

struct sl_net {
	struct sl_net_iface iface;
	sl_net_tx_fn *tx;
	void *tx_ctx;
	sl_net_l4_input_fn *tcp_input; /* NULL: TCP is dropped as SL_NET_DROP_IP_PROTO */
	void *tcp_ctx;
	sl_net_icmp_unreach_fn *icmp_unreach; /* NULL: unreachables are dropped */
	void *icmp_ctx;
	uint16_t tx_n;
	struct rte_mbuf *tx_pkts[SL_NET_TXBUF_SIZE];
	struct sl_net_stats stats SL_CACHE_ALIGNED;
} SL_CACHE_ALIGNED;

/*
 * Prepares a zeroed instance for one worker lcore. iface is copied; tx and
 * tx_ctx are borrowed for the instance's lifetime. Returns 0, or -EINVAL
 * for a NULL tx or a zero address.
 */
int sl_net_init(struct sl_net *net, const struct sl_net_iface *iface, sl_net_tx_fn *tx,
		void *tx_ctx);

/*
 * Processes a received burst. Ownership of all n mbufs is transferred:
 * each is replied to (queued for TX), passed to an upper layer, or freed.
 * Returns n. Lcore: the owning worker only.
 */
uint16_t sl_net_input_burst(struct sl_net *net, struct rte_mbuf **pkts, uint16_t n, uint64_t now);

/*
 * Queues one complete frame for transmission (ownership transferred),
 * flushing first if the buffer is full.
 */
void sl_net_output(struct sl_net *net, struct rte_mbuf *m);

/*
 * Sends everything queued. Frames the port does not take are freed and
 * counted as SL_NET_DROP_TX_FULL. Returns how many were sent.
 */
uint16_t sl_net_flush(struct sl_net *net);

/*
 * Builds a gratuitous ARP request announcing iface.ip at iface.mac (RFC 5227
 * section 3) in an mbuf from pool. Returns the frame (caller owns it) or
 * NULL when the pool is empty.
 */
struct rte_mbuf *sl_net_arp_announce(const struct sl_net *net, struct rte_mempool *pool);

/* Human-readable name of a drop reason, e.g. "ip_cksum". */
const char *sl_net_drop_name(enum sl_net_drop reason);

#endif /* SL_DATAPLANE_NET_NET_H */
