/*
 * Ethernet/ARP/IPv4/ICMP input on crafted frames, in real mbufs from an EAL
 * started with --no-huge --no-pci (the arguments come from meson).
 *
 * Frames are built byte by byte here, and expected replies are derived from
 * the RFCs with this file's own RFC 1071 checksum, never by running the code
 * under test. Every case also checks the drop counters and that no mbuf
 * leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "dataplane/net/net.h"

static struct rte_mempool *pool;

static const uint8_t our_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t other_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x03};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t our_ip[4] = {198, 18, 0, 1};
static const uint8_t peer_ip[4] = {198, 18, 0, 2};
static const uint8_t other_ip[4] = {198, 18, 0, 9};

/* ---- what the code under test sends ---- */

#define MAX_SENT 256
static struct rte_mbuf *sent[MAX_SENT];
static unsigned nsent;
static unsigned tx_budget; /* how many frames the fake port accepts */

static uint16_t fake_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i, take = n < tx_budget ? n : (uint16_t)tx_budget;

	(void)ctx;
	for (i = 0; i < take; i++)
		sent[nsent++] = pkts[i];
	tx_budget -= take;
	return take;
}

static struct rte_mbuf *tcp_seen;
static uint8_t tcp_l2, tcp_l3;

static void fake_tcp(void *ctx, struct rte_mbuf *m, uint64_t now)
{
	(void)ctx;
	(void)now;
	tcp_seen = m;
	tcp_l2 = (uint8_t)m->l2_len;
	tcp_l3 = (uint8_t)m->l3_len;
}

/* ---- byte-level frame construction (independent of DPDK's structs) ---- */

struct frame {
	uint8_t b[1600];
	size_t len;
};

static void put(struct frame *f, const void *p, size_t n)
{
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void put8(struct frame *f, uint8_t v)
{
	put(f, &v, 1);
}

static void put16(struct frame *f, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	put(f, b, 2);
}

/* RFC 1071 Internet checksum. */
static uint16_t inet_cksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void eth(struct frame *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	f->len = 0;
	put(f, dst, 6);
	put(f, src, 6);
	put16(f, type);
}

static void arp(struct frame *f, const uint8_t *dst, uint16_t op, const uint8_t *sha,
		const uint8_t *spa, const uint8_t *tha, const uint8_t *tpa)
{
	eth(f, dst, sha, 0x0806);
	put16(f, 1);      /* Ethernet */
	put16(f, 0x0800); /* IPv4 */
	put8(f, 6);
	put8(f, 4);
	put16(f, op);
	put(f, sha, 6);
	put(f, spa, 4);
	put(f, tha, 6);
	put(f, tpa, 4);
}

/*
 * IPv4 datagram with `optlen` bytes of options (NOP-padded), protocol proto,
 * payload; header checksum valid unless bad_cksum.
 */
static size_t ipv4(struct frame *f, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		   const uint8_t *payload, size_t plen, size_t optlen, uint16_t frag, int bad_cksum)
{
	size_t start = f->len, hlen = 20 + optlen, i;

	put8(f, (uint8_t)(0x40 | (hlen / 4)));
	put8(f, 0);
	put16(f, (uint16_t)(hlen + plen));
	put16(f, 0x1234);
	put16(f, frag);
	put8(f, 61);
	put8(f, proto);
	put16(f, 0);
	put(f, src, 4);
	put(f, dst, 4);
	for (i = 0; i < optlen; i++)
		put8(f, 1); /* NOP */
	set16(f->b + start + 10, (uint16_t)(inet_cksum(f->b + start, hlen) ^ (bad_cksum ? 1 : 0)));
	put(f, payload, plen);
	return start;
}

/* ICMP message of type/code with id/seq and data; checksum valid unless bad. */
static size_t icmp_msg(uint8_t *out, uint8_t type, const uint8_t *data, size_t dlen, int bad)
{
	out[0] = type;
	out[1] = 0;
	out[2] = out[3] = 0;
	set16(out + 4, 0x4242);
	set16(out + 6, 7);
	memcpy(out + 8, data, dlen);
	set16(out + 2, (uint16_t)(inet_cksum(out, 8 + dlen) ^ (bad ? 1 : 0)));
	return 8 + dlen;
}

static struct rte_mbuf *to_mbuf(const struct frame *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, (uint16_t)f->len);
	assert_non_null(p);
	memcpy(p, f->b, f->len);
	return m;
}

/* ---- fixture ---- */

static struct sl_net net;
static unsigned pool_avail;

static int setup(void **state)
{
	struct sl_net_iface iface;

	(void)state;
	memset(&iface, 0, sizeof(iface));
	memcpy(iface.mac.addr_bytes, our_mac, 6);
	memcpy(&iface.ip, our_ip, 4);
	memcpy(&iface.netmask, (uint8_t[4]){255, 255, 255, 0}, 4);
	assert_int_equal(sl_net_init(&net, &iface, fake_tx, NULL), 0);
	nsent = 0;
	tx_budget = MAX_SENT;
	tcp_seen = NULL;
	pool_avail = rte_mempool_avail_count(pool);
	return 0;
}

static int teardown(void **state)
{
	unsigned i;

	(void)state;
	for (i = 0; i < nsent; i++)
		rte_pktmbuf_free(sent[i]);
	nsent = 0;
	if (tcp_seen != NULL)
		rte_pktmbuf_free(tcp_seen);
	tcp_seen = NULL;
	/* Nothing the code under test touched may leak. */
	assert_int_equal(rte_mempool_avail_count(pool), pool_avail);
	return 0;
}

static uint64_t total_drops(void)
{
	uint64_t n = 0;
	unsigned i;

	for (i = 0; i < SL_NET_DROP__MAX; i++)
		n += net.stats.drops[i];
	return n;
}

/* Feeds one frame, flushes, and returns how many frames were sent. */
static unsigned feed(const struct frame *f)
{
	struct rte_mbuf *m = to_mbuf(f);

	assert_int_equal(sl_net_input_burst(&net, &m, 1, 0), 1);
	sl_net_flush(&net);
	return nsent;
}

static void assert_sent_equals(unsigned i, const struct frame *want)
{
	assert_true(i < nsent);
	assert_int_equal(rte_pktmbuf_pkt_len(sent[i]), want->len);
	assert_memory_equal(rte_pktmbuf_mtod(sent[i], uint8_t *), want->b, want->len);
}

static void assert_dropped(const struct frame *f, enum sl_net_drop reason)
{
	assert_int_equal(feed(f), 0);
	assert_int_equal(net.stats.drops[reason], 1);
	assert_int_equal(total_drops(), 1);
}

/* ---- ARP ---- */

static void test_arp_request_for_us_is_answered(void **state)
{
	struct frame req, want;

	(void)state;
	arp(&req, bcast, 1, peer_mac, peer_ip, (uint8_t[6]){0}, our_ip);
	/* RFC 826: reply to the sender, our MAC/IP as sender, theirs as target. */
	arp(&want, peer_mac, 2, our_mac, our_ip, peer_mac, peer_ip);
	assert_int_equal(feed(&req), 1);
	assert_sent_equals(0, &want);
	assert_int_equal(net.stats.tx_arp_replies, 1);
	assert_int_equal(net.stats.rx_arp, 1);
	assert_int_equal(total_drops(), 0);
}

static void test_arp_request_unicast_to_us_is_answered(void **state)
{
	struct frame req, want;

	(void)state;
	arp(&req, our_mac, 1, peer_mac, peer_ip, our_mac, our_ip);
	arp(&want, peer_mac, 2, our_mac, our_ip, peer_mac, peer_ip);
	assert_int_equal(feed(&req), 1);
	assert_sent_equals(0, &want);
}

static void test_arp_request_padded_to_60_bytes(void **state)
{
	struct frame req, want;

	(void)state;
	arp(&req, bcast, 1, peer_mac, peer_ip, (uint8_t[6]){0}, our_ip);
	memset(req.b + req.len, 0, 60 - req.len);
	req.len = 60;
	arp(&want, peer_mac, 2, our_mac, our_ip, peer_mac, peer_ip);
	memset(want.b + want.len, 0, 60 - want.len);
	want.len = 60;
	assert_int_equal(feed(&req), 1);
	assert_sent_equals(0, &want);
}

static void test_arp_for_other_address_dropped(void **state)
{
	struct frame req;

	(void)state;
	arp(&req, bcast, 1, peer_mac, peer_ip, (uint8_t[6]){0}, other_ip);
	assert_dropped(&req, SL_NET_DROP_ARP_NOT_US);
}

static void test_arp_gratuitous_not_answered(void **state)
{
	struct frame req;

	(void)state;
	arp(&req, bcast, 1, peer_mac, our_ip, (uint8_t[6]){0}, our_ip);
	assert_dropped(&req, SL_NET_DROP_ARP_NOT_US);
}

static void test_arp_reply_not_answered(void **state)
{
	struct frame rep;

	(void)state;
	arp(&rep, our_mac, 2, peer_mac, peer_ip, our_mac, our_ip);
	assert_dropped(&rep, SL_NET_DROP_ARP_NOT_US);
}

static void test_arp_wrong_hlen_dropped(void **state)
{
	struct frame req;

	(void)state;
	arp(&req, bcast, 1, peer_mac, peer_ip, (uint8_t[6]){0}, our_ip);
	req.b[14 + 4] = 8; /* hardware address length */
	assert_dropped(&req, SL_NET_DROP_ARP_MALFORMED);
}

static void test_arp_truncated_dropped(void **state)
{
	struct frame req;

	(void)state;
	arp(&req, bcast, 1, peer_mac, peer_ip, (uint8_t[6]){0}, our_ip);
	req.len = 14 + 20;
	assert_dropped(&req, SL_NET_DROP_ARP_MALFORMED);
}

static void test_arp_announce_bytes(void **state)
{
	struct frame want;
	struct rte_mbuf *m;

	(void)state;
	/* RFC 5227 section 3: request, sender = target = our address, broadcast. */
	arp(&want, bcast, 1, our_mac, our_ip, (uint8_t[6]){0}, our_ip);
	m = sl_net_arp_announce(&net, pool);
	assert_non_null(m);
	assert_int_equal(rte_pktmbuf_pkt_len(m), want.len);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), want.b, want.len);
	rte_pktmbuf_free(m);
}

/* ---- ICMP echo ---- */

/*
 * Builds an echo request from peer to us and the reply RFC 792 asks for:
 * same identifier, sequence and data, type 0, addresses swapped, TTL 64,
 * both checksums recomputed.
 */
static void echo_pair(struct frame *req, struct frame *want, size_t dlen, size_t optlen)
{
	uint8_t data[1400], msg[1500];
	size_t i, mlen, ip;

	for (i = 0; i < dlen; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	mlen = icmp_msg(msg, 8, data, dlen, 0);
	eth(req, our_mac, peer_mac, 0x0800);
	ipv4(req, peer_ip, our_ip, 1, msg, mlen, optlen, 0x4000 /* DF */, 0);

	mlen = icmp_msg(msg, 0, data, dlen, 0);
	eth(want, peer_mac, our_mac, 0x0800);
	ip = ipv4(want, our_ip, peer_ip, 1, msg, mlen, optlen, 0x4000, 0);
	want->b[ip + 8] = 64;
	set16(want->b + ip + 10, 0);
	set16(want->b + ip + 10, inet_cksum(want->b + ip, 20 + optlen));
}

static void test_icmp_echo_answered(void **state)
{
	struct frame req, want;

	(void)state;
	echo_pair(&req, &want, 56, 0);
	assert_int_equal(feed(&req), 1);
	assert_sent_equals(0, &want);
	assert_int_equal(net.stats.tx_icmp_echo_replies, 1);
	assert_int_equal(total_drops(), 0);
}

static void test_icmp_echo_odd_length(void **state)
{
	struct frame req, want;

	(void)state;
	echo_pair(&req, &want, 37, 0);
	assert_int_equal(feed(&req), 1);
	assert_sent_equals(0, &want);
}

static void test_icmp_echo_with_ip_options(void **state)
{
	struct frame req, want;

	(void)state;
	echo_pair(&req, &want, 16, 8);
	assert_int_equal(feed(&req), 1);
	assert_sent_equals(0, &want);
}

static void test_icmp_echo_large(void **state)
{
	struct frame req, want;

	(void)state;
	echo_pair(&req, &want, 1400, 0);
	assert_int_equal(feed(&req), 1);
	assert_sent_equals(0, &want);
}

static void test_icmp_echo_padding_trimmed(void **state)
{
	struct frame req, want;

	(void)state;
	echo_pair(&req, &want, 0, 0); /* 14 + 20 + 8 = 42 bytes: the wire pads to 60 */
	memset(req.b + req.len, 0xee, 60 - req.len);
	req.len = 60;
	assert_int_equal(feed(&req), 1);
	assert_sent_equals(0, &want);
}

static void test_icmp_bad_checksum_dropped(void **state)
{
	struct frame f;
	uint8_t msg[64];

	(void)state;
	eth(&f, our_mac, peer_mac, 0x0800);
	ipv4(&f, peer_ip, our_ip, 1, msg, icmp_msg(msg, 8, (const uint8_t *)"abcd", 4, 1), 0, 0, 0);
	assert_dropped(&f, SL_NET_DROP_ICMP_CKSUM);
}

static void test_icmp_truncated_dropped(void **state)
{
	struct frame f;

	(void)state;
	eth(&f, our_mac, peer_mac, 0x0800);
	ipv4(&f, peer_ip, our_ip, 1, (const uint8_t *)"\x08\x00\xf7\xff", 4, 0, 0, 0);
	assert_dropped(&f, SL_NET_DROP_ICMP_MALFORMED);
}

static void test_icmp_other_type_dropped(void **state)
{
	struct frame f;
	uint8_t msg[64];

	(void)state;
	eth(&f, our_mac, peer_mac, 0x0800);
	ipv4(&f, peer_ip, our_ip, 1, msg,
	     icmp_msg(msg, 13 /* timestamp */, (const uint8_t *)"0123456789ab", 12, 0), 0, 0, 0);
	assert_dropped(&f, SL_NET_DROP_ICMP_UNHANDLED);
}

/* ---- IPv4 validation, table-driven ---- */

struct ip_case {
	const char *name;
	const uint8_t *src, *dst;
	uint8_t proto;
	uint16_t frag;
	int bad_cksum;
	int mangle; /* 0 none, 1 version 6, 2 IHL 4, 3 total length too big, 4 truncate to 30 */
	enum sl_net_drop reason;
};

static const uint8_t zero_ip[4] = {0, 0, 0, 0};
static const uint8_t loop_ip[4] = {127, 0, 0, 1};
static const uint8_t mcast_ip[4] = {224, 0, 0, 1};
static const uint8_t bcast_ip[4] = {255, 255, 255, 255};

static const struct ip_case ip_cases[] = {
	{"bad header checksum", peer_ip, our_ip, 1, 0, 1, 0, SL_NET_DROP_IP_CKSUM},
	{"not our address", peer_ip, other_ip, 1, 0, 0, 0, SL_NET_DROP_IP_NOT_US},
	{"more fragments", peer_ip, our_ip, 1, 0x2000, 0, 0, SL_NET_DROP_IP_FRAGMENT},
	{"fragment offset", peer_ip, our_ip, 1, 0x0010, 0, 0, SL_NET_DROP_IP_FRAGMENT},
	{"source 0.0.0.0", zero_ip, our_ip, 1, 0, 0, 0, SL_NET_DROP_IP_MARTIAN},
	{"source loopback", loop_ip, our_ip, 1, 0, 0, 0, SL_NET_DROP_IP_MARTIAN},
	{"source multicast", mcast_ip, our_ip, 1, 0, 0, 0, SL_NET_DROP_IP_MARTIAN},
	{"source broadcast", bcast_ip, our_ip, 1, 0, 0, 0, SL_NET_DROP_IP_MARTIAN},
	{"UDP has no handler", peer_ip, our_ip, 17, 0, 0, 0, SL_NET_DROP_IP_PROTO},
	{"TCP without a stack", peer_ip, our_ip, 6, 0, 0, 0, SL_NET_DROP_IP_PROTO},
	{"version 6", peer_ip, our_ip, 1, 0, 0, 1, SL_NET_DROP_IP_MALFORMED},
	{"IHL 4", peer_ip, our_ip, 1, 0, 0, 2, SL_NET_DROP_IP_MALFORMED},
	{"total length beyond frame", peer_ip, our_ip, 1, 0, 0, 3, SL_NET_DROP_IP_MALFORMED},
	{"truncated header", peer_ip, our_ip, 1, 0, 0, 4, SL_NET_DROP_IP_MALFORMED},
};

static void test_ipv4_validation_table(void **state)
{
	size_t i;

	for (i = 0; i < SL_ARRAY_SIZE(ip_cases); i++) {
		const struct ip_case *c = &ip_cases[i];
		struct frame f;
		uint8_t msg[64];
		size_t ip;

		print_message("case: %s\n", c->name);
		setup(state);
		eth(&f, our_mac, peer_mac, 0x0800);
		ip = ipv4(&f, c->src, c->dst, c->proto, msg,
			  icmp_msg(msg, 8, (const uint8_t *)"ping", 4, 0), 0, c->frag,
			  c->bad_cksum);
		if (c->mangle == 1)
			f.b[ip] = 0x65;
		else if (c->mangle == 2)
			f.b[ip] = 0x44;
		else if (c->mangle == 3)
			set16(f.b + ip + 2, 200);
		else if (c->mangle == 4)
			f.len = 30;
		if (c->mangle == 1 || c->mangle == 2 || c->mangle == 3) {
			/* keep the checksum valid so only the mangled field is wrong */
			set16(f.b + ip + 10, 0);
			set16(f.b + ip + 10, inet_cksum(f.b + ip, 20));
		}
		assert_dropped(&f, c->reason);
		teardown(state);
	}
}

static void test_tcp_goes_to_hook_with_lengths(void **state)
{
	struct frame f;
	uint8_t seg[20] = {0};

	(void)state;
	net.tcp_input = fake_tcp;
	eth(&f, our_mac, peer_mac, 0x0800);
	ipv4(&f, peer_ip, our_ip, 6, seg, sizeof(seg), 4, 0x4000, 0);
	assert_int_equal(feed(&f), 0);
	assert_non_null(tcp_seen);
	assert_int_equal(tcp_l2, 14);
	assert_int_equal(tcp_l3, 24);
	assert_int_equal(total_drops(), 0);
}

/* ---- Ethernet ---- */

static void test_l2_other_mac_dropped(void **state)
{
	struct frame req, dummy;

	(void)state;
	echo_pair(&req, &dummy, 8, 0);
	memcpy(req.b, other_mac, 6);
	assert_dropped(&req, SL_NET_DROP_L2_NOT_US);
}

static void test_ipv6_ethertype_dropped(void **state)
{
	struct frame f;

	(void)state;
	eth(&f, our_mac, peer_mac, 0x86dd);
	put(&f, (uint8_t[40]){0x60}, 40);
	assert_dropped(&f, SL_NET_DROP_ETHERTYPE);
}

static void test_runt_dropped(void **state)
{
	struct frame f;

	(void)state;
	eth(&f, our_mac, peer_mac, 0x0800);
	f.len = 10;
	assert_dropped(&f, SL_NET_DROP_RUNT);
}

/* ---- bursts and TX ---- */

static void test_burst_larger_than_tx_buffer(void **state)
{
	struct rte_mbuf *in[SL_BURST];
	struct frame req, want;
	unsigned round, i;

	(void)state;
	echo_pair(&req, &want, 24, 0);
	/* 3 bursts of 32 without a flush: the 64-frame TX buffer must flush on its own. */
	for (round = 0; round < 3; round++) {
		for (i = 0; i < SL_BURST; i++)
			in[i] = to_mbuf(&req);
		assert_int_equal(sl_net_input_burst(&net, in, SL_BURST, 0), SL_BURST);
	}
	sl_net_flush(&net);
	assert_int_equal(nsent, 3 * SL_BURST);
	for (i = 0; i < nsent; i++)
		assert_sent_equals(i, &want);
	assert_int_equal(net.stats.tx_frames, 3 * SL_BURST);
}

static void test_tx_refused_frames_are_freed_and_counted(void **state)
{
	struct rte_mbuf *in[4];
	struct frame req, want;
	unsigned i;

	(void)state;
	echo_pair(&req, &want, 8, 0);
	tx_budget = 1;
	for (i = 0; i < 4; i++)
		in[i] = to_mbuf(&req);
	sl_net_input_burst(&net, in, 4, 0);
	assert_int_equal(sl_net_flush(&net), 1);
	assert_int_equal(nsent, 1);
	assert_int_equal(net.stats.drops[SL_NET_DROP_TX_FULL], 3);
	assert_int_equal(net.stats.tx_frames, 1);
	/* teardown checks the three refused mbufs went back to the pool */
}

static void test_init_rejects_bad_arguments(void **state)
{
	struct sl_net_iface iface;
	struct sl_net n2;

	(void)state;
	memset(&iface, 0, sizeof(iface));
	assert_int_equal(sl_net_init(&n2, &iface, fake_tx, NULL), -EINVAL);
	memcpy(&iface.ip, our_ip, 4);
	assert_int_equal(sl_net_init(&n2, &iface, NULL, NULL), -EINVAL);
	assert_string_equal(sl_net_drop_name(SL_NET_DROP_IP_CKSUM), "ip_cksum");
	assert_string_equal(sl_net_drop_name(SL_NET_DROP__MAX), "unknown");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(test_arp_request_for_us_is_answered),
		T(test_arp_request_unicast_to_us_is_answered),
		T(test_arp_request_padded_to_60_bytes),
		T(test_arp_for_other_address_dropped),
		T(test_arp_gratuitous_not_answered),
		T(test_arp_reply_not_answered),
		T(test_arp_wrong_hlen_dropped),
		T(test_arp_truncated_dropped),
		T(test_arp_announce_bytes),
		T(test_icmp_echo_answered),
		T(test_icmp_echo_odd_length),
		T(test_icmp_echo_with_ip_options),
		T(test_icmp_echo_large),
		T(test_icmp_echo_padding_trimmed),
		T(test_icmp_bad_checksum_dropped),
		T(test_icmp_truncated_dropped),
		T(test_icmp_other_type_dropped),
		cmocka_unit_test(test_ipv4_validation_table),
		T(test_tcp_goes_to_hook_with_lengths),
		T(test_l2_other_mac_dropped),
		T(test_ipv6_ethertype_dropped),
		T(test_runt_dropped),
		T(test_burst_larger_than_tx_buffer),
		T(test_tx_refused_frames_are_freed_and_counted),
		T(test_init_rejects_bad_arguments),
	};

	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("test_net", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (pool == NULL) {
		fprintf(stderr, "mempool failed\n");
		return 1;
	}
	return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
