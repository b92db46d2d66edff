/* Test harness for the TCP stack (see tcp_harness.h). */
#define ALLOW_EXPERIMENTAL_API /* rte_ipv4_udptcp_cksum_verify */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>

#include <cmocka.h>
#include <rte_mempool.h>

#include "tests/unit/tcp/tcp_harness.h"

static const struct rte_ether_addr local_mac = {{0x02, 0, 0, 0, 0, 1}};
static const struct rte_ether_addr peer_mac = {{0x02, 0, 0, 0, 0, 2}};

struct rte_mempool *h_pool(void)
{
	static struct rte_mempool *mp;

	if (mp == NULL)
		mp = rte_pktmbuf_pool_create("tcp_test", 16383, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					     SOCKET_ID_ANY);
	assert_non_null(mp);
	return mp;
}

static void decode(struct out_seg *o, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)(ip + 1);
	const uint8_t *opt = (const uint8_t *)(th + 1);
	unsigned int ol = (th->data_off >> 4) * 4 - sizeof(*th);

	memset(o, 0, sizeof(*o));
	assert_int_equal(m->nb_segs, 1);
	assert_int_equal(rte_be_to_cpu_16(eth->ether_type), RTE_ETHER_TYPE_IPV4);
	o->dmac = eth->dst_addr;
	o->ip_ok = rte_ipv4_cksum(ip) == 0 || ip->hdr_checksum == 0xffff;
	{
		struct rte_ipv4_hdr tmp = *ip;

		tmp.hdr_checksum = 0;
		o->ip_ok = rte_ipv4_cksum(&tmp) == ip->hdr_checksum;
	}
	o->tcp_ok = rte_ipv4_udptcp_cksum_verify(ip, th) == 0;
	o->dst_ip = rte_be_to_cpu_32(ip->dst_addr);
	o->sport = rte_be_to_cpu_16(th->src_port);
	o->dport = rte_be_to_cpu_16(th->dst_port);
	o->fl = th->tcp_flags;
	o->seq = rte_be_to_cpu_32(th->sent_seq);
	o->ack = rte_be_to_cpu_32(th->recv_ack);
	o->wnd = rte_be_to_cpu_16(th->rx_win);
	o->len = rte_be_to_cpu_16(ip->total_length) - sizeof(*ip) - sizeof(*th) - ol;
	assert_true(o->len <= sizeof(o->data));
	memcpy(o->data, opt + ol, o->len);
	o->ws = -1;
	for (unsigned int i = 0; i < ol;) {
		uint8_t k = opt[i];

		if (k == 0)
			break;
		if (k == 1) {
			i++;
			continue;
		}
		assert_true(i + 1 < ol && opt[i + 1] >= 2 && i + opt[i + 1] <= ol);
		switch (k) {
		case 2:
			o->mss = (opt[i + 2] << 8) | opt[i + 3];
			break;
		case 3:
			o->ws = opt[i + 2];
			break;
		case 4:
			o->sack_ok = 1;
			break;
		case 5:
			o->nsack = (opt[i + 1] - 2) / 8;
			for (int b = 0; b < o->nsack; b++) {
				uint32_t v[2];

				memcpy(v, opt + i + 2 + 8 * b, 8);
				o->sack[b][0] = rte_be_to_cpu_32(v[0]);
				o->sack[b][1] = rte_be_to_cpu_32(v[1]);
			}
			break;
		case 8: {
			uint32_t v[2];

			memcpy(v, opt + i + 2, 8);
			o->has_ts = 1;
			o->tsval = rte_be_to_cpu_32(v[0]);
			o->tsecr = rte_be_to_cpu_32(v[1]);
			break;
		}
		default:
			break;
		}
		i += opt[i + 1];
	}
}

static uint16_t tx_cb(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	struct harness *h = ctx;

	if (h->refuse_tx)
		return 0;
	for (uint16_t i = 0; i < n; i++) {
		assert_true(h->nout < H_MAX_OUT);
		decode(&h->out[h->nout++], pkts[i]);
		rte_pktmbuf_free(pkts[i]);
	}
	return n;
}

static void ev_cb(void *ctx, struct sl_tcp_conn *c, enum sl_tcp_event ev, int err)
{
	struct harness *h = ctx;

	assert_true(h->nev < H_MAX_EV);
	h->ev[h->nev].c = c;
	h->ev[h->nev].ev = ev;
	h->ev[h->nev].err = err;
	h->nev++;
	if (ev == SL_TCP_EV_ACCEPT || ev == SL_TCP_EV_CONNECTED)
		h->conn = c;
	if (ev == SL_TCP_EV_CLOSED || ev == SL_TCP_EV_RESET) {
		if (h->conn == c)
			h->conn = NULL;
	}
}

static int resolve_cb(void *ctx, uint32_t ip, struct rte_ether_addr *mac)
{
	(void)ctx;
	if (ip != H_PEER_IP)
		return -EHOSTUNREACH;
	*mac = peer_mac;
	return 0;
}

void h_init(struct harness *h, const struct sl_tcp_params *over)
{
	memset(h, 0, sizeof(*h));
	if (over != NULL)
		h->p = *over;
	h->p.local_ip = H_LOCAL_IP;
	h->p.local_mac = local_mac;
	h->p.pool = h_pool();
	h->p.tx = tx_cb;
	h->p.tx_ctx = h;
	h->p.event = ev_cb;
	h->p.event_ctx = h;
	h->p.resolve = resolve_cb;
	h->p.secret[0] = 0x0123456789abcdefull;
	h->p.secret[1] = 0xfedcba9876543210ull;
	h->now = 1000000; /* 1 s */
	h->pport = H_PPORT;
	h->s = sl_tcp_create(&h->p);
	assert_non_null(h->s);
	assert_int_equal(sl_tcp_listen(h->s, H_LPORT, 16), 0);
}

void h_fini(struct harness *h)
{
	sl_tcp_destroy(&h->s);
	assert_null(h->s);
	/* Every buffer mbuf came back to the pool. */
	assert_int_equal(rte_mempool_in_use_count(h_pool()), 0);
}

struct rte_mbuf *h_frame(struct harness *h, uint8_t fl, uint32_t seq, uint32_t ack, uint16_t wnd,
			 const struct popts *o, const void *data, uint32_t len)
{
	uint8_t opt[60];
	unsigned int ol = 0;
	struct rte_mbuf *m = rte_pktmbuf_alloc(h_pool());
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;

	assert_non_null(m);
	if (o != NULL && o->raw != NULL) {
		memcpy(opt, o->raw, o->rawlen);
		ol = o->rawlen;
	} else if (o != NULL) {
		if (o->mss) {
			opt[ol++] = 2;
			opt[ol++] = 4;
			opt[ol++] = (uint8_t)(o->mss >> 8);
			opt[ol++] = (uint8_t)o->mss;
		}
		if (o->ws >= 0) {
			opt[ol++] = 1;
			opt[ol++] = 3;
			opt[ol++] = 3;
			opt[ol++] = (uint8_t)o->ws;
		}
		if (o->sack_ok) {
			opt[ol++] = 1;
			opt[ol++] = 1;
			opt[ol++] = 4;
			opt[ol++] = 2;
		}
		if (o->ts) {
			uint32_t v[2] = {rte_cpu_to_be_32(o->tsval), rte_cpu_to_be_32(o->tsecr)};

			opt[ol++] = 1;
			opt[ol++] = 1;
			opt[ol++] = 8;
			opt[ol++] = 10;
			memcpy(opt + ol, v, 8);
			ol += 8;
		}
		if (o->nsack) {
			opt[ol++] = 1;
			opt[ol++] = 1;
			opt[ol++] = 5;
			opt[ol++] = (uint8_t)(2 + 8 * o->nsack);
			for (int i = 0; i < o->nsack; i++) {
				uint32_t v[2] = {rte_cpu_to_be_32(o->sack[i][0]),
						 rte_cpu_to_be_32(o->sack[i][1])};

				memcpy(opt + ol, v, 8);
				ol += 8;
			}
		}
	}
	while (ol % 4)
		opt[ol++] = 0;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(
		m, (uint16_t)(sizeof(*eth) + sizeof(*ip) + sizeof(*th) + ol + len));
	assert_non_null(eth);
	eth->dst_addr = local_mac;
	eth->src_addr = peer_mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*th) + ol + len));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(H_PEER_IP);
	ip->dst_addr = rte_cpu_to_be_32(H_LOCAL_IP);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th = (struct rte_tcp_hdr *)(ip + 1);
	th->src_port = rte_cpu_to_be_16(h->pport);
	th->dst_port = rte_cpu_to_be_16(H_LPORT);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)(((sizeof(*th) + ol) / 4) << 4);
	th->tcp_flags = fl;
	th->rx_win = rte_cpu_to_be_16(wnd);
	th->cksum = 0;
	th->tcp_urp = 0;
	memcpy(th + 1, opt, ol);
	if (len > 0)
		memcpy((uint8_t *)(th + 1) + ol, data, len);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	m->l2_len = sizeof(*eth);
	m->l3_len = sizeof(*ip);
	return m;
}

void h_input(struct harness *h, struct rte_mbuf *m)
{
	assert_int_equal(sl_tcp_input_burst(h->s, &m, 1, h->now), 1);
}

void h_send(struct harness *h, uint8_t fl, uint32_t seq, uint32_t ack, uint16_t wnd,
	    const struct popts *o, const void *data, uint32_t len)
{
	h_input(h, h_frame(h, fl, seq, ack, wnd, o, data, len));
}

void h_advance(struct harness *h, uint64_t us)
{
	uint64_t end = h->now + us;

	/* Step in 1 ms ticks so timers fire at their tick. */
	while (h->now < end) {
		uint64_t step = SL_MIN((uint64_t)1000, end - h->now);

		h->now += step;
		sl_tcp_timers(h->s, h->now);
	}
}

struct out_seg *h_next(struct harness *h)
{
	if (h->rd >= h->nout)
		return NULL;
	assert_true(h->out[h->rd].ip_ok);
	assert_true(h->out[h->rd].tcp_ok);
	return &h->out[h->rd++];
}

unsigned int h_pending(const struct harness *h)
{
	return h->nout - h->rd;
}

int h_count_ev(const struct harness *h, enum sl_tcp_event ev)
{
	int n = 0;

	for (unsigned int i = 0; i < h->nev; i++)
		n += h->ev[i].ev == ev;
	return n;
}

struct out_seg *h_accept(struct harness *h, const struct popts *o, uint32_t isn)
{
	struct popts def = {.mss = 1460, .ws = -1};
	struct out_seg *sa;

	if (o == NULL)
		o = &def;
	h_send(h, F_SYN, isn, 0, 65535, o, NULL, 0);
	sa = h_next(h);
	assert_non_null(sa);
	assert_int_equal(sa->fl, F_SYN | F_ACK);
	assert_int_equal(sa->ack, isn + 1);
	h->pseq = isn + 1;
	h->pack = sa->seq + 1;
	{
		struct popts ao = {.ws = -1};

		if (o->ts && sa->has_ts) {
			ao.ts = 1;
			ao.tsval = o->tsval + 1;
			ao.tsecr = sa->tsval;
		}
		h_send(h, F_ACK, h->pseq, h->pack, 65535 >> (o->ws > 0 ? o->ws : 0), &ao, NULL, 0);
	}
	assert_non_null(h->conn);
	return sa;
}

uint64_t h_stat(struct harness *h, const char *name)
{
	struct sl_tcp_stats st;
	const char *n;

	sl_tcp_stats_get(h->s, &st);
	for (unsigned int i = 0; (n = sl_tcp_stat_name(i, NULL)) != NULL; i++)
		if (strcmp(n, name) == 0)
			return ((uint64_t *)&st)[i];
	fail_msg("no counter %s", name);
	return 0;
}
