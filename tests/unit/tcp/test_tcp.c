/*
 * Conformance scenarios for the TCP stack: crafted frames in, frames out,
 * under virtual time. Each expectation cites the rule it checks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <rte_eal.h>

#include "dataplane/net/tcp/tcp_priv.h" /* cc ops and their state */
#include "tests/unit/tcp/tcp_harness.h"

static uint8_t pattern[65536];

static void fill_pattern(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + (i >> 8));
}

/* Established passive connection, MSS 1460 both ways, no WS/TS/SACK. */
static void setup_plain(struct harness *h, uint32_t flags)
{
	struct sl_tcp_params p = {.flags = flags};

	h_init(h, &p);
	h_accept(h, NULL, 1000);
}

static void expect_none(struct harness *h)
{
	assert_int_equal(h_pending(h), 0);
}

/* ------------------------------------------------------------ handshakes -- */

struct hs_case {
	const char *name;
	struct popts o;
	int exp_ws; /* our WS in the SYN-ACK (-1: none, RFC 7323 1.3) */
	int exp_sack, exp_ts;
	uint32_t exp_seg; /* first full data segment size */
};

static void test_handshake_options(void **state)
{
	(void)state;
	/* rcv_buf 65536 needs shift 1 to fit a 16-bit field (RFC 7323 2.3). */
	static const struct hs_case cases[] = {
		{"none", {.ws = -1}, -1, 0, 0, 536}, /* RFC 9293 3.7.1 default MSS */
		{"mss", {.mss = 1460, .ws = -1}, -1, 0, 0, 1460},
		{"mss-small", {.mss = 1000, .ws = -1}, -1, 0, 0, 1000},
		{"mss+ws", {.mss = 1460, .ws = 7}, 1, 0, 0, 1460},
		{"mss+ts", {.mss = 1460, .ws = -1, .ts = 1, .tsval = 555}, -1, 0, 1, 1448},
		{"mss+sack", {.mss = 1460, .ws = -1, .sack_ok = 1}, -1, 1, 0, 1460},
		{"all", {.mss = 1460, .ws = 2, .sack_ok = 1, .ts = 1, .tsval = 9}, 1, 1, 1, 1448},
	};

	for (size_t i = 0; i < SL_ARRAY_SIZE(cases); i++) {
		const struct hs_case *k = &cases[i];
		struct harness h;
		struct out_seg *sa, *d;

		h_init(&h, NULL);
		sa = h_accept(&h, &k->o, 5000);
		assert_int_equal(sa->mss, 1460);
		assert_int_equal(sa->ws, k->exp_ws);
		assert_int_equal(sa->sack_ok, k->exp_sack);
		assert_int_equal(sa->has_ts, k->exp_ts);
		if (k->exp_ts)
			assert_int_equal(sa->tsecr, k->o.tsval); /* RFC 7323 3.2 */
		assert_int_equal(sa->wnd, 65535);                /* RFC 7323 2.2: unscaled */
		assert_int_equal(sa->dport, H_PPORT);
		assert_int_equal(h_count_ev(&h, SL_TCP_EV_ACCEPT), 1);
		assert_string_equal(sl_tcp_conn_state(h.conn), "ESTABLISHED");
		assert_int_equal(sl_tcp_send(h.conn, pattern, 3000, h.now), 3000);
		d = h_next(&h);
		assert_non_null(d);
		assert_int_equal(d->len, k->exp_seg);
		assert_int_equal(d->seq, sa->seq + 1);
		assert_memory_equal(d->data, pattern, d->len);
		assert_int_equal(d->has_ts, k->exp_ts);
		if (k->exp_ws > 0) /* RFC 7323 2.3: our window is scaled by our shift */
			assert_int_equal(d->wnd, 65536 >> 1);
		h_fini(&h);
	}
}

static void test_active_open(void **state)
{
	struct harness h;
	struct sl_tcp_conn *c;
	struct out_seg *syn, *ack;
	struct popts o = {.mss = 1200, .ws = 3, .sack_ok = 1, .ts = 1, .tsval = 777};

	(void)state;
	h_init(&h, NULL);
	c = sl_tcp_connect(h.s, H_PEER_IP, H_PPORT, 50000, &h, h.now);
	assert_non_null(c);
	syn = h_next(&h);
	assert_non_null(syn);
	assert_int_equal(syn->fl, F_SYN);
	assert_int_equal(syn->mss, 1460);
	assert_int_equal(syn->ws, 1);
	assert_true(syn->sack_ok);
	assert_true(syn->has_ts);
	assert_int_equal(syn->sport, 50000);
	assert_string_equal(sl_tcp_conn_state(c), "SYN-SENT");
	/* SYN-ACK from the peer (port roles reversed in the harness frame). */
	h.pport = H_PPORT;
	{
		struct rte_mbuf *m =
			h_frame(&h, F_SYN | F_ACK, 9000, syn->seq + 1, 8192, &o, NULL, 0);
		struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, 34);

		/* The harness writes dst port H_LPORT; redirect to our port. */
		th->dst_port = rte_cpu_to_be_16(50000);
		th->cksum = 0;
		th->cksum = rte_ipv4_udptcp_cksum(
			rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14), th);
		h_input(&h, m);
	}
	ack = h_next(&h);
	assert_non_null(ack);
	assert_int_equal(ack->fl, F_ACK);
	assert_int_equal(ack->seq, syn->seq + 1);
	assert_int_equal(ack->ack, 9001);
	assert_true(ack->has_ts);
	assert_int_equal(ack->tsecr, 777);
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_CONNECTED), 1);
	assert_ptr_equal(sl_tcp_conn_udata(c), &h);
	assert_string_equal(sl_tcp_conn_state(c), "ESTABLISHED");
	/* Effective MSS: 1200 - 12 (TS) (RFC 6691). The peer's SYN-ACK window
	 * 8192 is not scaled (RFC 7323 2.2). */
	assert_int_equal(sl_tcp_send(c, pattern, 3000, h.now), 3000);
	assert_int_equal(h_next(&h)->len, 1188);
	sl_tcp_abort(c, h.now);
	h_fini(&h);
}

static void test_connect_refused_and_unreachable(void **state)
{
	struct harness h;
	struct sl_tcp_conn *c;
	struct out_seg *syn;

	(void)state;
	h_init(&h, NULL);
	/* No route: resolver fails. */
	assert_null(sl_tcp_connect(h.s, RTE_IPV4(10, 9, 9, 9), 80, 0, NULL, h.now));
	assert_int_equal(errno, EHOSTUNREACH);
	c = sl_tcp_connect(h.s, H_PEER_IP, H_PPORT, H_LPORT + 1, NULL, h.now);
	assert_non_null(c);
	syn = h_next(&h);
	/* RFC 9293 3.10.7.3: a RST without ACK in SYN-SENT is dropped. */
	{
		struct rte_mbuf *m = h_frame(&h, F_RST, 0, 0, 0, NULL, NULL, 0);
		struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, 34);

		th->dst_port = rte_cpu_to_be_16(H_LPORT + 1);
		th->cksum = 0;
		th->cksum = rte_ipv4_udptcp_cksum(
			rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14), th);
		h_input(&h, m);
	}
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_RESET), 0);
	/* RST,ACK acknowledging the SYN: refused. */
	{
		struct rte_mbuf *m = h_frame(&h, F_RST | F_ACK, 0, syn->seq + 1, 0, NULL, NULL, 0);
		struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, 34);

		th->dst_port = rte_cpu_to_be_16(H_LPORT + 1);
		th->cksum = 0;
		th->cksum = rte_ipv4_udptcp_cksum(
			rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14), th);
		h_input(&h, m);
	}
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_RESET), 1);
	assert_int_equal(h.ev[h.nev - 1].err, ECONNREFUSED);
	assert_int_equal(sl_tcp_conn_count(h.s), 0);
	h_fini(&h);
}

static void test_syn_retransmit_and_timeout(void **state)
{
	struct sl_tcp_params p = {.syn_retries = 2};
	struct harness h;
	struct out_seg *o;

	(void)state;
	h_init(&h, &p);
	assert_non_null(sl_tcp_connect(h.s, H_PEER_IP, H_PPORT, 0, NULL, h.now));
	o = h_next(&h);
	assert_int_equal(o->fl, F_SYN);
	assert_true(o->sport >= 49152);
	/* RFC 6298 2.1: initial RTO 1 s, then doubled (5.5). */
	h_advance(&h, 999000);
	expect_none(&h);
	h_advance(&h, 1000);
	o = h_next(&h);
	assert_non_null(o);
	assert_int_equal(o->fl, F_SYN);
	h_advance(&h, 1999000);
	expect_none(&h);
	h_advance(&h, 1000);
	assert_int_equal(h_next(&h)->fl, F_SYN);
	h_advance(&h, 4000000);
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_CLOSED), 1);
	assert_int_equal(h.ev[h.nev - 1].err, ETIMEDOUT);
	assert_int_equal(sl_tcp_conn_count(h.s), 0);
	h_fini(&h);
}

static void test_simultaneous_open(void **state)
{
	struct harness h;
	struct sl_tcp_conn *c;
	struct out_seg *syn, *sa;

	(void)state;
	h_init(&h, NULL);
	h.pport = H_PPORT;
	c = sl_tcp_connect(h.s, H_PEER_IP, H_PPORT, H_LPORT, NULL, h.now);
	assert_non_null(c);
	syn = h_next(&h);
	/* RFC 9293 Figure 8: SYN crosses SYN -> SYN-RECEIVED, send SYN,ACK. */
	h_send(&h, F_SYN, 300, 0, 65535, &(struct popts){.mss = 1460, .ws = -1}, NULL, 0);
	sa = h_next(&h);
	assert_non_null(sa);
	assert_int_equal(sa->fl, F_SYN | F_ACK);
	assert_int_equal(sa->seq, syn->seq);
	assert_int_equal(sa->ack, 301);
	assert_string_equal(sl_tcp_conn_state(c), "SYN-RECEIVED");
	/* The peer's SYN,ACK completes it. */
	h_send(&h, F_SYN | F_ACK, 300, syn->seq + 1, 65535, NULL, NULL, 0);
	assert_string_equal(sl_tcp_conn_state(c), "ESTABLISHED");
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_CONNECTED), 1);
	sl_tcp_abort(c, h.now);
	h_fini(&h);
}

/* ------------------------------------------------------------ data paths -- */

static void test_data_in_delayed_ack(void **state)
{
	struct harness h;
	struct out_seg *a;
	uint8_t buf[300];

	(void)state;
	setup_plain(&h, 0);
	h_send(&h, F_ACK | F_PSH, h.pseq, h.pack, 65535, NULL, pattern, 100);
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_READABLE), 1);
	assert_int_equal(sl_tcp_readable(h.conn), 100);
	assert_int_equal(sl_tcp_peek(h.conn, 0, buf, sizeof(buf)), 100);
	assert_memory_equal(buf, pattern, 100);
	assert_int_equal(sl_tcp_peek(h.conn, 40, buf, 10), 10);
	assert_memory_equal(buf, pattern + 40, 10);
	/* RFC 9293 3.8.6.3: one segment may wait for the delayed-ACK timer. */
	expect_none(&h);
	h_advance(&h, 39000);
	expect_none(&h);
	h_advance(&h, 1000);
	a = h_next(&h);
	assert_non_null(a);
	assert_int_equal(a->ack, h.pseq + 100);
	/* Two segments: ACK at least every second one, at once. */
	h_send(&h, F_ACK, h.pseq + 100, h.pack, 65535, NULL, pattern + 100, 100);
	expect_none(&h);
	h_send(&h, F_ACK, h.pseq + 200, h.pack, 65535, NULL, pattern + 200, 100);
	a = h_next(&h);
	assert_non_null(a);
	assert_int_equal(a->ack, h.pseq + 300);
	{
		/* The zero-copy view covers the same 300 bytes in order. */
		struct iovec iov[8];
		uint32_t n = sl_tcp_peek_iov(h.conn, iov, 8), total = 0;

		assert_true(n >= 1);
		for (uint32_t i = 0; i < n; i++) {
			assert_memory_equal(iov[i].iov_base, pattern + total, iov[i].iov_len);
			total += (uint32_t)iov[i].iov_len;
		}
		assert_int_equal(total, 300);
	}
	assert_int_equal(sl_tcp_consume(h.conn, 300, h.now), 0);
	assert_int_equal(sl_tcp_readable(h.conn), 0);
	{
		struct iovec iov[1];

		assert_int_equal(sl_tcp_peek_iov(h.conn, iov, 1), 0);
	}
	assert_int_equal(sl_tcp_consume(h.conn, 1, h.now), -EINVAL);
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

static void test_data_out_iw_writable(void **state)
{
	struct harness h;
	uint32_t seq0;

	(void)state;
	setup_plain(&h, 0);
	seq0 = h.pack;
	assert_int_equal(sl_tcp_send(h.conn, pattern, 20000, h.now), 20000);
	/* RFC 6928 2: IW = min(10*MSS, max(2*MSS, 14600)) = 14600 bytes. */
	for (int i = 0; i < 10; i++) {
		struct out_seg *d = h_next(&h);

		assert_non_null(d);
		assert_int_equal(d->seq, seq0 + 1460u * i);
		assert_int_equal(d->len, 1460);
		assert_memory_equal(d->data, pattern + 1460 * i, 1460);
	}
	expect_none(&h);
	/* Send buffer bound (default 65536). */
	assert_int_equal(sl_tcp_send_space(h.conn), 65536 - 20000);
	/* ACK 2 segments: slow start grows cwnd by up to SMSS per ACK (RFC 5681 3.1). */
	h_send(&h, F_ACK, h.pseq, seq0 + 2920, 65535, NULL, NULL, 0);
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_WRITABLE), 1);
	assert_int_equal(sl_tcp_send_space(h.conn), 65536 - 20000 + 2920);
	/* cwnd 14600 + 1460 with 11680 in flight: 3 more segments, 4380 bytes. */
	{
		uint32_t bytes = 0;
		struct out_seg *d;

		while ((d = h_next(&h)) != NULL)
			bytes += d->len;
		assert_int_equal(bytes, 4380);
	}
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

static void test_window_consume_never_retract(void **state)
{
	struct sl_tcp_params p = {.rcv_buf = 4096};
	struct harness h;
	struct out_seg *a;
	uint32_t edge = 0;

	(void)state;
	h_init(&h, &p);
	a = h_accept(&h, NULL, 1);
	assert_int_equal(a->wnd, 4096);
	assert_int_equal(a->ws, -1);
	h_send(&h, F_ACK, h.pseq, h.pack, 65535, NULL, pattern, 1460);
	h_send(&h, F_ACK, h.pseq + 1460, h.pack, 65535, NULL, pattern, 1460);
	a = h_next(&h);
	assert_int_equal(a->ack, h.pseq + 2920);
	assert_int_equal(a->wnd, 4096 - 2920); /* buffer fills, window shrinks */
	edge = a->ack + a->wnd;
	h_send(&h, F_ACK, h.pseq + 2920, h.pack, 65535, NULL, pattern, 1176);
	h_advance(&h, 40000);
	a = h_next(&h);
	assert_int_equal(a->ack, h.pseq + 4096);
	assert_int_equal(a->wnd, 0);
	assert_int_equal(a->ack + a->wnd, edge); /* right edge kept, never moved left */
	/* A segment beyond a zero window: not accepted, ACKed (3.10.7.4). */
	h_send(&h, F_ACK, h.pseq + 4096, h.pack, 65535, NULL, pattern, 1);
	a = h_next(&h);
	assert_non_null(a);
	assert_int_equal(a->ack, h.pseq + 4096);
	assert_int_equal(a->wnd, 0);
	assert_int_equal(sl_tcp_readable(h.conn), 4096);
	/* Consuming less than min(RCV.BUFF/2, MSS) sends no update (SWS, 3.8.6.2.2). */
	assert_int_equal(sl_tcp_consume(h.conn, 100, h.now), 0);
	expect_none(&h);
	/* ... crossing it reopens the window. */
	assert_int_equal(sl_tcp_consume(h.conn, 1400, h.now), 0);
	a = h_next(&h);
	assert_non_null(a);
	assert_int_equal(a->ack, h.pseq + 4096);
	assert_int_equal(a->wnd, 1500);
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

static void test_wraparound(void **state)
{
	struct harness h;
	uint32_t isn = 0xffffff00u;
	uint8_t buf[600];
	struct out_seg *a;

	(void)state;
	h_init(&h, NULL);
	h_accept(&h, NULL, isn);
	for (uint32_t i = 0; i < 3; i++)
		h_send(&h, F_ACK, isn + 1 + 200 * i, h.pack, 65535, NULL, pattern + 200 * i, 200);
	assert_int_equal(sl_tcp_readable(h.conn), 600);
	assert_int_equal(sl_tcp_peek(h.conn, 0, buf, 600), 600);
	assert_memory_equal(buf, pattern, 600);
	h_advance(&h, 40000);
	a = &h.out[h.nout - 1];
	assert_int_equal(a->ack, (uint32_t)(isn + 601)); /* 0x259: wrapped (RFC 9293 3.4) */
	/* Old duplicate from before the wrap is ACKed, not accepted. */
	h.rd = h.nout;
	h_send(&h, F_ACK, isn + 1, h.pack, 65535, NULL, pattern, 200);
	assert_int_equal(sl_tcp_readable(h.conn), 600);
	assert_int_equal(h_next(&h)->ack, (uint32_t)(isn + 601));
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

static void test_out_of_order_sack_blocks(void **state)
{
	struct harness h;
	struct popts so = {.mss = 1460, .ws = -1, .sack_ok = 1};
	struct out_seg *a;
	uint8_t buf[4000];
	uint32_t p;

	(void)state;
	h_init(&h, NULL);
	h_accept(&h, &so, 100);
	p = h.pseq;
	/* Segment 2 first: immediate duplicate ACK with one SACK block (RFC 5681 4.2, RFC 2018). */
	h_send(&h, F_ACK, p + 1000, h.pack, 65535, NULL, pattern + 1000, 1000);
	a = h_next(&h);
	assert_non_null(a);
	assert_int_equal(a->ack, p);
	assert_int_equal(a->nsack, 1);
	assert_int_equal(a->sack[0][0], p + 1000);
	assert_int_equal(a->sack[0][1], p + 2000);
	/* A separate block; the most recent one is reported first (RFC 2018 4). */
	h_send(&h, F_ACK, p + 3000, h.pack, 65535, NULL, pattern + 3000, 500);
	a = h_next(&h);
	assert_int_equal(a->nsack, 2);
	assert_int_equal(a->sack[0][0], p + 3000);
	assert_int_equal(a->sack[0][1], p + 3500);
	assert_int_equal(a->sack[1][0], p + 1000);
	/* Overlapping segment [1500, 3000) joins both blocks. */
	h_send(&h, F_ACK, p + 1500, h.pack, 65535, NULL, pattern + 1500, 1500);
	a = h_next(&h);
	assert_int_equal(a->nsack, 1);
	assert_int_equal(a->sack[0][0], p + 1000);
	assert_int_equal(a->sack[0][1], p + 3500);
	assert_int_equal(sl_tcp_readable(h.conn), 0);
	/* The gap fills (overlapping the queued data): everything in order, ACK at once. */
	h_send(&h, F_ACK, p, h.pack, 65535, NULL, pattern, 1200);
	a = h_next(&h);
	assert_non_null(a);
	assert_int_equal(a->ack, p + 3500);
	assert_int_equal(a->nsack, 0);
	assert_int_equal(sl_tcp_readable(h.conn), 3500);
	assert_int_equal(sl_tcp_peek(h.conn, 0, buf, sizeof(buf)), 3500);
	assert_memory_equal(buf, pattern, 3500);
	assert_int_equal(h_stat(&h, "ooo_segs"), 3);
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

/* ----------------------------------------------------------- close paths -- */

static void test_passive_close(void **state)
{
	struct harness h;
	struct out_seg *f;
	struct sl_tcp_conn *c;

	(void)state;
	setup_plain(&h, 0);
	c = h.conn;
	h_send(&h, F_ACK | F_FIN, h.pseq, h.pack, 65535, NULL, NULL, 0);
	/* RFC 9293 3.10.7.4 eighth: ACK the FIN, CLOSE-WAIT, signal EOF. */
	f = h_next(&h);
	assert_int_equal(f->ack, h.pseq + 1);
	assert_string_equal(sl_tcp_conn_state(c), "CLOSE-WAIT");
	assert_true(sl_tcp_eof(c));
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_READABLE), 1);
	/* Still writable in CLOSE-WAIT. */
	assert_int_equal(sl_tcp_send(c, "bye", 3, h.now), 3);
	assert_int_equal(h_next(&h)->len, 3);
	sl_tcp_close(c, h.now);
	f = h_next(&h);
	assert_int_equal(f->fl & F_FIN, F_FIN);
	assert_int_equal(f->seq, h.pack + 3);
	h_send(&h, F_ACK, h.pseq + 1, h.pack + 4, 65535, NULL, NULL, 0);
	assert_int_equal(sl_tcp_conn_count(h.s), 0);           /* LAST-ACK -> CLOSED */
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_CLOSED), 0); /* handle was released */
	h_fini(&h);
}

static void test_active_close_timewait(void **state)
{
	struct sl_tcp_params p = {.msl_us = 1000000};
	struct harness h;
	struct out_seg *f;
	struct sl_tcp_conn *c;

	(void)state;
	h_init(&h, &p);
	h_accept(&h, NULL, 1);
	c = h.conn;
	assert_int_equal(sl_tcp_shutdown(c, h.now), 0);
	f = h_next(&h);
	assert_int_equal(f->fl, F_FIN | F_ACK);
	assert_string_equal(sl_tcp_conn_state(c), "FIN-WAIT-1");
	assert_int_equal(sl_tcp_send(c, "x", 1, h.now), -EPIPE);
	h_send(&h, F_ACK, h.pseq, h.pack + 1, 65535, NULL, NULL, 0);
	assert_string_equal(sl_tcp_conn_state(c), "FIN-WAIT-2");
	/* Half-closed: data still flows in. */
	h_send(&h, F_ACK, h.pseq, h.pack + 1, 65535, NULL, "abc", 3);
	assert_int_equal(sl_tcp_readable(c), 3);
	sl_tcp_consume(c, 3, h.now);
	h_send(&h, F_ACK | F_FIN, h.pseq + 3, h.pack + 1, 65535, NULL, NULL, 0);
	f = &h.out[h.nout - 1];
	assert_int_equal(f->ack, h.pseq + 4);
	/* TIME-WAIT releases the handle with CLOSED(0). */
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_CLOSED), 1);
	assert_int_equal(h.ev[h.nev - 1].err, 0);
	assert_int_equal(sl_tcp_conn_count(h.s), 1);
	/* RFC 1337: a RST in TIME-WAIT is ignored. */
	h_send(&h, F_RST, h.pseq + 4, 0, 0, NULL, NULL, 0);
	assert_int_equal(sl_tcp_conn_count(h.s), 1);
	assert_int_equal(h_stat(&h, "rst_ignored"), 1);
	/* A retransmitted FIN is ACKed and restarts 2 MSL (RFC 9293 3.10.7.4). */
	h_advance(&h, 1500000);
	h.rd = h.nout;
	h_send(&h, F_ACK | F_FIN, h.pseq + 3, h.pack + 1, 65535, NULL, NULL, 0);
	f = h_next(&h);
	assert_non_null(f);
	assert_int_equal(f->ack, h.pseq + 4);
	h_advance(&h, 1999000);
	assert_int_equal(sl_tcp_conn_count(h.s), 1);
	h_advance(&h, 2000);
	assert_int_equal(sl_tcp_conn_count(h.s), 0);
	h_fini(&h);
}

static void test_simultaneous_close(void **state)
{
	struct sl_tcp_params p = {.msl_us = 1000000};
	struct harness h;
	struct out_seg *f;

	(void)state;
	h_init(&h, &p);
	h_accept(&h, NULL, 1);
	sl_tcp_close(h.conn, h.now);
	f = h_next(&h);
	assert_int_equal(f->fl, F_FIN | F_ACK);
	/* The peer's FIN crosses ours: CLOSING (RFC 9293 Figure 13). */
	h_send(&h, F_ACK | F_FIN, h.pseq, h.pack, 65535, NULL, NULL, 0);
	f = h_next(&h);
	assert_int_equal(f->ack, h.pseq + 1);
	h_send(&h, F_ACK, h.pseq + 1, h.pack + 1, 65535, NULL, NULL, 0);
	assert_int_equal(sl_tcp_conn_count(h.s), 1); /* TIME-WAIT */
	h_advance(&h, 2001000);
	assert_int_equal(sl_tcp_conn_count(h.s), 0);
	h_fini(&h);
}

static void test_close_with_unread_data_resets(void **state)
{
	struct harness h;
	struct out_seg *r;

	(void)state;
	setup_plain(&h, 0);
	h_send(&h, F_ACK, h.pseq, h.pack, 65535, NULL, pattern, 10);
	sl_tcp_close(h.conn, h.now);
	/* RFC 1122 4.2.2.13: unread data at close -> RST. */
	r = &h.out[h.nout - 1];
	assert_true(r->fl & F_RST);
	assert_int_equal(r->seq, h.pack);
	assert_int_equal(sl_tcp_conn_count(h.s), 0);
	assert_int_equal(h_stat(&h, "data_after_close"), 1);
	h_fini(&h);
}

static void test_data_after_close_resets(void **state)
{
	struct harness h;
	struct out_seg *r;

	(void)state;
	setup_plain(&h, 0);
	sl_tcp_close(h.conn, h.now);
	h_next(&h); /* FIN */
	h_send(&h, F_ACK, h.pseq, h.pack + 1, 65535, NULL, NULL, 0);
	/* FIN-WAIT-2 with the handle gone: new data cannot be delivered. */
	h_send(&h, F_ACK, h.pseq, h.pack + 1, 65535, NULL, pattern, 10);
	r = &h.out[h.nout - 1];
	assert_true(r->fl & F_RST);
	assert_int_equal(sl_tcp_conn_count(h.s), 0);
	h_fini(&h);
}

/* ------------------------------------------------------------------- RST -- */

static void test_rst_exact_resets(void **state)
{
	struct harness h;

	(void)state;
	setup_plain(&h, 0);
	h_send(&h, F_RST, h.pseq, 0, 0, NULL, NULL, 0);
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_RESET), 1);
	assert_int_equal(h.ev[h.nev - 1].err, ECONNRESET);
	assert_int_equal(sl_tcp_conn_count(h.s), 0);
	expect_none(&h);
	h_fini(&h);
}

static void test_rst_in_window_challenge(void **state)
{
	struct harness h;
	struct out_seg *a;

	(void)state;
	setup_plain(&h, 0);
	/* RFC 5961 3.2: in window but not RCV.NXT -> challenge ACK. */
	h_send(&h, F_RST, h.pseq + 100, 0, 0, NULL, NULL, 0);
	a = h_next(&h);
	assert_non_null(a);
	assert_int_equal(a->fl, F_ACK);
	assert_int_equal(a->seq, h.pack);
	assert_int_equal(a->ack, h.pseq);
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_RESET), 0);
	/* Out of window: dropped silently. */
	h_send(&h, F_RST, h.pseq + 200000, 0, 0, NULL, NULL, 0);
	expect_none(&h);
	assert_int_equal(h_stat(&h, "challenge_acks"), 1);
	assert_int_equal(sl_tcp_conn_count(h.s), 1);
	/* RFC 5961 4.2: SYN on a synchronized connection -> challenge ACK (one ACK
	 * to invalid segments per connection per 500 ms: wait that long first). */
	h_advance(&h, 500000);
	h_send(&h, F_SYN, h.pseq + 5, 0, 65535, NULL, NULL, 0);
	a = h_next(&h);
	assert_int_equal(a->fl, F_ACK);
	assert_int_equal(a->ack, h.pseq);
	assert_string_equal(sl_tcp_conn_state(h.conn), "ESTABLISHED");
	/* RFC 5961 5.2: ACK of data never sent -> ACK back, dropped. */
	h_advance(&h, 500000);
	h_send(&h, F_ACK, h.pseq, h.pack + 5000, 65535, NULL, pattern, 10);
	a = h_next(&h);
	assert_int_equal(a->ack, h.pseq);
	assert_int_equal(sl_tcp_readable(h.conn), 0);
	sl_tcp_abort(h.conn, h.now);
	a = h_next(&h);
	assert_true(a->fl & F_RST);
	h_fini(&h);
}

static void test_rst_syn_received(void **state)
{
	struct harness h;

	(void)state;
	h_init(&h, NULL);
	h_send(&h, F_SYN, 10, 0, 65535, NULL, NULL, 0);
	assert_non_null(h_next(&h));
	assert_int_equal(sl_tcp_conn_count(h.s), 1);
	/* RFC 9293 3.10.7.4: RST in SYN-RECEIVED from passive open: back to LISTEN. */
	h_send(&h, F_RST, 11, 0, 0, NULL, NULL, 0);
	assert_int_equal(sl_tcp_conn_count(h.s), 0);
	assert_int_equal(h.nev, 0);
	h_fini(&h);
}

static void test_closed_port_rst(void **state)
{
	struct harness h;
	struct out_seg *r;

	(void)state;
	h_init(&h, NULL);
	assert_int_equal(sl_tcp_unlisten(h.s, H_LPORT), 0);
	/* RFC 9293 3.10.7.1: no ACK -> <SEQ=0><ACK=SEG.SEQ+SEG.LEN><RST,ACK>. */
	h_send(&h, F_SYN, 1000, 0, 65535, NULL, NULL, 0);
	r = h_next(&h);
	assert_int_equal(r->fl, F_RST | F_ACK);
	assert_int_equal(r->seq, 0);
	assert_int_equal(r->ack, 1001);
	h_send(&h, F_PSH, 1000, 0, 65535, NULL, pattern, 10);
	r = h_next(&h);
	assert_int_equal(r->fl, F_RST | F_ACK);
	assert_int_equal(r->seq, 0);
	assert_int_equal(r->ack, 1010);
	/* With ACK: <SEQ=SEG.ACK><CTL=RST>. */
	h_send(&h, F_ACK, 1000, 77777, 65535, NULL, pattern, 10);
	r = h_next(&h);
	assert_int_equal(r->fl, F_RST);
	assert_int_equal(r->seq, 77777);
	/* No RST in answer to a RST. */
	h_send(&h, F_RST, 5, 0, 0, NULL, NULL, 0);
	expect_none(&h);
	assert_int_equal(h_stat(&h, "drop_noconn"), 3);
	h_fini(&h);
}

/* ---------------------------------------------------------- retransmission -- */

static void test_rto_backoff_limit(void **state)
{
	struct sl_tcp_params p = {.max_retries = 3, .rto_min_us = 200000};
	struct harness h;
	uint32_t seq;
	uint64_t t0;

	(void)state;
	h_init(&h, &p);
	h_send(&h, F_SYN, 1, 0, 65535, &(struct popts){.mss = 1460, .ws = -1}, NULL, 0);
	seq = h_next(&h)->seq + 1;
	h.pseq = 2;
	h.pack = seq;
	h_advance(&h, 10000); /* RTT sample 10 ms: RTO = max(200 ms, 10 + 4*5) */
	h_send(&h, F_ACK, 2, seq, 65535, NULL, NULL, 0);
	sl_tcp_send(h.conn, pattern, 100, h.now);
	assert_int_equal(h_next(&h)->len, 100);
	t0 = h.now;
	/* RFC 6298 5.4-5.6: retransmit at RTO, then 2x, 4x. */
	for (int i = 0; i < 3; i++) {
		uint64_t rto = 200000ull << i;
		struct out_seg *r;

		h_advance(&h, t0 + rto - 1000 - h.now);
		expect_none(&h);
		h_advance(&h, 1000);
		r = h_next(&h);
		assert_non_null(r);
		assert_int_equal(r->seq, seq);
		assert_int_equal(r->len, 100);
		t0 = h.now;
	}
	assert_int_equal(h_stat(&h, "rto_timeouts"), 3);
	/* The retry limit: the next expiry gives up. */
	h_advance(&h, 1600000);
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_CLOSED), 1);
	assert_int_equal(h.ev[h.nev - 1].err, ETIMEDOUT);
	assert_int_equal(sl_tcp_conn_count(h.s), 0);
	h_fini(&h);
}

static void test_rto_recovers_after_tx_drop(void **state)
{
	struct harness h;
	struct out_seg *r;

	(void)state;
	setup_plain(&h, 0);
	h.refuse_tx = 1;
	sl_tcp_send(h.conn, pattern, 500, h.now);
	assert_int_equal(h_stat(&h, "tx_drops"), 1);
	h.refuse_tx = 0;
	h_advance(&h, 1000000);
	r = h_next(&h);
	assert_non_null(r);
	assert_int_equal(r->len, 500);
	assert_memory_equal(r->data, pattern, 500);
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

static void test_fast_retransmit_newreno(void **state)
{
	struct harness h;
	uint32_t s0;
	struct out_seg *r;

	(void)state;
	setup_plain(&h, SL_TCP_F_NO_SACK);
	s0 = h.pack;
	sl_tcp_send(h.conn, pattern, 14600, h.now);
	for (int i = 0; i < 10; i++)
		assert_int_equal(h_next(&h)->len, 1460);
	/* Segment 1 lost: ACK of segment 0, then three duplicates (RFC 5681 3.2). */
	h_send(&h, F_ACK, h.pseq, s0 + 1460, 65535, NULL, NULL, 0);
	while (h_next(&h) != NULL) /* new data allowed by the ACK */
		;
	for (int i = 0; i < 2; i++) {
		h_send(&h, F_ACK, h.pseq, s0 + 1460, 65535, NULL, NULL, 0);
		expect_none(&h);
	}
	h_send(&h, F_ACK, h.pseq, s0 + 1460, 65535, NULL, NULL, 0);
	r = h_next(&h);
	assert_non_null(r);
	assert_int_equal(r->seq, s0 + 1460);
	assert_int_equal(r->len, 1460);
	assert_int_equal(h_stat(&h, "fast_retrans"), 1);
	/* Partial ACK (segments 1..3 arrived, 4 lost too): retransmit the next
	 * hole at once (RFC 6582 3.2 step 4). */
	h.rd = h.nout;
	h_send(&h, F_ACK, h.pseq, s0 + 4 * 1460, 65535, NULL, NULL, 0);
	r = h_next(&h);
	assert_non_null(r);
	assert_int_equal(r->seq, s0 + 4 * 1460);
	assert_int_equal(h_stat(&h, "fast_retrans"), 1); /* still the same recovery */
	/* Full ACK ends recovery; the next loss is a new event. */
	h_send(&h, F_ACK, h.pseq, s0 + 14600 + 1460, 65535, NULL, NULL, 0);
	assert_int_equal(h_stat(&h, "rto_timeouts"), 0);
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

static void test_sack_recovery(void **state)
{
	struct harness h;
	struct popts so = {.mss = 1460, .ws = -1, .sack_ok = 1};
	uint32_t s0;
	struct out_seg *r;

	(void)state;
	h_init(&h, NULL);
	h_accept(&h, &so, 100);
	s0 = h.pack;
	sl_tcp_send(h.conn, pattern, 14600, h.now);
	for (int i = 0; i < 10; i++)
		h_next(&h);
	/* Segments 1 and 3 lost; 2, 4, 5, 6 SACKed. */
	struct popts d = {.ws = -1, .nsack = 1};
	d.sack[0][0] = s0 + 2 * 1460;
	d.sack[0][1] = s0 + 3 * 1460;
	h_send(&h, F_ACK, h.pseq, s0 + 1460, 65535, &(struct popts){.ws = -1}, NULL, 0);
	while (h_next(&h) != NULL)
		;
	h_send(&h, F_ACK, h.pseq, s0 + 1460, 65535, &d, NULL, 0);
	d.nsack = 2;
	d.sack[0][0] = s0 + 4 * 1460;
	d.sack[0][1] = s0 + 5 * 1460;
	d.sack[1][0] = s0 + 2 * 1460;
	d.sack[1][1] = s0 + 3 * 1460;
	h_send(&h, F_ACK, h.pseq, s0 + 1460, 65535, &d, NULL, 0);
	d.sack[0][1] = s0 + 7 * 1460;
	h_send(&h, F_ACK, h.pseq, s0 + 1460, 65535, &d, NULL, 0);
	/* RFC 6675 5: recovery; NextSeg retransmits the lost holes, never SACKed data. */
	assert_int_equal(h_stat(&h, "sack_recoveries"), 1);
	r = h_next(&h);
	assert_non_null(r);
	assert_int_equal(r->seq, s0 + 1460);
	assert_int_equal(r->len, 1460);
	while ((r = h_next(&h)) != NULL) {
		uint32_t off = r->seq - s0;

		assert_false(off >= 2 * 1460 && off < 3 * 1460);
		assert_false(off >= 4 * 1460 && off < 7 * 1460);
	}
	/* Cumulative ACK up to the next hole: hole 3 goes out (it is lost:
	 * 3 segments SACKed above it, RFC 6675 IsLost). */
	h.rd = h.nout;
	d.nsack = 1;
	d.sack[0][0] = s0 + 4 * 1460;
	d.sack[0][1] = s0 + 7 * 1460;
	h_send(&h, F_ACK, h.pseq, s0 + 3 * 1460, 65535, &d, NULL, 0);
	{
		int seen = 0;

		while ((r = h_next(&h)) != NULL)
			seen |= r->seq == s0 + 3 * 1460;
		seen |= h.out[h.nout - 1].seq == s0 + 3 * 1460;
		for (unsigned int i = 0; i < h.nout; i++)
			seen |= h.out[i].seq == s0 + 3 * 1460 && i > 10;
		assert_true(seen);
	}
	assert_int_equal(h_stat(&h, "rto_timeouts"), 0);
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

static void test_zero_window_persist(void **state)
{
	struct harness h;
	struct out_seg *pr;
	uint32_t s0;

	(void)state;
	setup_plain(&h, 0);
	s0 = h.pack;
	h_send(&h, F_ACK, h.pseq, s0, 0, NULL, NULL, 0); /* window closes */
	sl_tcp_send(h.conn, pattern, 3000, h.now);
	expect_none(&h);
	/* RFC 9293 3.8.6.1: probe after the RTO with one byte. */
	h_advance(&h, 200000);
	pr = h_next(&h);
	assert_non_null(pr);
	assert_int_equal(pr->seq, s0);
	assert_int_equal(pr->len, 1);
	assert_int_equal(pr->data[0], pattern[0]);
	h_send(&h, F_ACK, h.pseq, s0, 0, NULL, NULL, 0);
	/* The next probe is backed off (at 2x). */
	h_advance(&h, 399000);
	expect_none(&h);
	h_advance(&h, 1000);
	pr = h_next(&h);
	assert_non_null(pr);
	assert_int_equal(pr->seq, s0);
	assert_int_equal(h_stat(&h, "persist_probes"), 2);
	/* Window reopens: the rest goes out (starting at the unacked byte). */
	h_send(&h, F_ACK, h.pseq, s0, 65535, NULL, NULL, 0);
	{
		uint32_t hi = s0;
		struct out_seg *d;

		while ((d = h_next(&h)) != NULL)
			if (d->seq + d->len - s0 > hi - s0)
				hi = d->seq + d->len;
		assert_int_equal(hi, s0 + 3000);
	}
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

static void test_keepalive(void **state)
{
	struct sl_tcp_params p = {.keepidle_us = 10000000, .keepintvl_us = 1000000, .keepcnt = 3};
	struct harness h;
	struct out_seg *k;

	(void)state;
	h_init(&h, &p);
	h_accept(&h, NULL, 1);
	h_advance(&h, 9999000);
	expect_none(&h);
	h_advance(&h, 1000);
	/* RFC 1122 4.2.3.6: probe <SEQ=SND.UNA-1>, no data. */
	k = h_next(&h);
	assert_non_null(k);
	assert_int_equal(k->seq, h.pack - 1);
	assert_int_equal(k->len, 0);
	h_send(&h, F_ACK, h.pseq, h.pack, 65535, NULL, NULL, 0); /* answered */
	h_advance(&h, 10000000);
	assert_non_null(h_next(&h));
	h_advance(&h, 1000000);
	assert_non_null(h_next(&h));
	h_advance(&h, 1000000);
	assert_non_null(h_next(&h));
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_CLOSED), 0);
	h_advance(&h, 1000000);
	k = h_next(&h);
	assert_non_null(k);
	assert_true(k->fl & F_RST);
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_CLOSED), 1);
	assert_int_equal(h.ev[h.nev - 1].err, ETIMEDOUT);
	h_fini(&h);
}

/* --------------------------------------------------------------- TIME-WAIT -- */

static void to_timewait(struct harness *h, uint16_t port)
{
	h->pport = port;
	h->rd = h->nout;
	h_accept(h, NULL, 1000);
	sl_tcp_close(h->conn, h->now);
	h_send(h, F_ACK | F_FIN, h->pseq, h->pack + 1, 65535, NULL, NULL, 0);
}

static void test_timewait_reuse_and_bound(void **state)
{
	struct sl_tcp_params p = {.max_timewait = 2, .flags = SL_TCP_F_NO_TIMESTAMPS};
	struct harness h;
	struct out_seg *sa;

	(void)state;
	h_init(&h, &p);
	to_timewait(&h, 1001);
	to_timewait(&h, 1002);
	assert_int_equal(sl_tcp_conn_count(h.s), 2);
	to_timewait(&h, 1003);
	/* Bounded table: the oldest entry goes. */
	assert_int_equal(sl_tcp_conn_count(h.s), 2);
	assert_int_equal(h_stat(&h, "timewait_recycled"), 1);
	/* RFC 9293 3.6.1 / RFC 6191: a SYN above RCV.NXT reuses the pair. */
	h.pport = 1003;
	h.rd = h.nout;
	h_send(&h, F_SYN, 5000, 0, 65535, NULL, NULL, 0);
	sa = h_next(&h);
	assert_non_null(sa);
	assert_int_equal(sa->fl, F_SYN | F_ACK);
	assert_int_equal(sa->ack, 5001);
	assert_int_equal(h_stat(&h, "timewait_reused"), 1);
	/* An old SYN (below RCV.NXT) does not: it gets an ACK. */
	h.pport = 1002;
	h_send(&h, F_SYN, 500, 0, 65535, NULL, NULL, 0);
	sa = h_next(&h);
	assert_int_equal(sa->fl, F_ACK);
	assert_int_equal(h_stat(&h, "timewait_reused"), 1);
	h_fini(&h);
}

/* ------------------------------------------------------------ SYN cookies -- */

static void test_syn_backlog_and_cookies(void **state)
{
	struct sl_tcp_params p = {.flags = SL_TCP_F_SYN_COOKIES};
	struct harness h;
	struct out_seg *sa;
	struct popts o = {.mss = 1460, .ws = 5, .sack_ok = 1, .ts = 1, .tsval = 42};
	uint8_t buf[16];

	(void)state;
	h_init(&h, &p);
	sl_tcp_unlisten(h.s, H_LPORT);
	assert_int_equal(sl_tcp_listen(h.s, H_LPORT, 1), 0);
	assert_int_equal(sl_tcp_listen(h.s, H_LPORT, 1), -EADDRINUSE);
	h.pport = 2000;
	h_send(&h, F_SYN, 10, 0, 65535, &o, NULL, 0);
	assert_int_equal(h_next(&h)->fl, F_SYN | F_ACK);
	assert_int_equal(sl_tcp_conn_count(h.s), 1);
	/* Backlog (1) full: a cookie SYN-ACK, no state kept. */
	h.pport = 2001;
	h_send(&h, F_SYN, 20, 0, 65535, &o, NULL, 0);
	sa = h_next(&h);
	assert_int_equal(sa->fl, F_SYN | F_ACK);
	assert_int_equal(sa->ack, 21);
	assert_int_equal(sa->ws, 1);
	assert_true(sa->sack_ok);
	assert_int_equal(sl_tcp_conn_count(h.s), 1);
	assert_int_equal(h_stat(&h, "syn_cookies_sent"), 1);
	/* A forged ACK is refused with a RST. */
	h_send(&h, F_ACK, 21, sa->seq + 2, 2048, NULL, NULL, 0);
	assert_int_equal(h_next(&h)->fl, F_RST);
	assert_int_equal(h_stat(&h, "syn_cookies_bad"), 1);
	/* The genuine ACK (with data) creates the connection. */
	{
		struct popts ao = {.ws = -1, .ts = 1, .tsval = 43, .tsecr = sa->tsval};

		h_send(&h, F_ACK | F_PSH, 21, sa->seq + 1, 2048, &ao, "hello", 5);
	}
	assert_int_equal(h_stat(&h, "syn_cookies_ok"), 1);
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_ACCEPT), 1);
	assert_int_equal(sl_tcp_conn_count(h.s), 2);
	assert_int_equal(sl_tcp_readable(h.conn), 5);
	sl_tcp_peek(h.conn, 0, buf, 5);
	assert_memory_equal(buf, "hello", 5);
	/* Options from the cookie: peer WS 5 applies to its windows, MSS 1460 - TS. */
	assert_int_equal(sl_tcp_send(h.conn, pattern, 4000, h.now), 4000);
	{
		struct out_seg *d = h_next(&h);

		assert_int_equal(d->len, 1448);
		assert_true(d->has_ts);
		assert_int_equal(d->tsecr, 43);
	}
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

static void test_backlog_drop_without_cookies(void **state)
{
	struct harness h;

	(void)state;
	h_init(&h, NULL);
	sl_tcp_unlisten(h.s, H_LPORT);
	sl_tcp_listen(h.s, H_LPORT, 2);
	for (uint16_t i = 0; i < 4; i++) {
		h.pport = (uint16_t)(3000 + i);
		h_send(&h, F_SYN, 10, 0, 65535, NULL, NULL, 0);
	}
	assert_int_equal(h_pending(&h), 2);
	assert_int_equal(sl_tcp_conn_count(h.s), 2);
	assert_int_equal(h_stat(&h, "backlog_drops"), 2);
	h_fini(&h);
}

/* --------------------------------------------------------------- malformed -- */

static void test_malformed_dropped(void **state)
{
	static const uint8_t opt_len0[] = {2, 0, 0, 0};
	static const uint8_t opt_overrun[] = {1, 1, 8, 12};
	static const uint8_t opt_mss3[] = {2, 3, 5, 0};
	static const uint8_t opt_ws4[] = {3, 4, 1, 1};
	static const uint8_t opt_sack7[] = {5, 7, 0, 0, 0, 0, 0, 0};
	static const uint8_t opt_trunc[] = {1, 1, 1, 2};
	struct {
		const char *name;
		const uint8_t *opt;
		unsigned int ol;
		int how; /* 0 options, 1 doff small, 2 doff big, 3 cksum, 4 frag, 5 syn+fin, 6 ip
			    len */
		const char *counter;
	} cases[] = {
		{"opt len 0", opt_len0, 4, 0, "drop_opt"},
		{"opt overrun", opt_overrun, 4, 0, "drop_opt"},
		{"mss len 3", opt_mss3, 4, 0, "drop_opt"},
		{"ws len 4", opt_ws4, 4, 0, "drop_opt"},
		{"sack len 7", opt_sack7, 8, 0, "drop_opt"},
		{"opt truncated", opt_trunc, 4, 0, "drop_opt"},
		{"doff 4", NULL, 0, 1, "drop_hdr"},
		{"doff past end", NULL, 0, 2, "drop_hdr"},
		{"bad checksum", NULL, 0, 3, "drop_cksum"},
		{"fragment", NULL, 0, 4, "drop_frag"},
		{"syn+fin", NULL, 0, 5, "drop_hdr"},
		{"ip len short", NULL, 0, 6, "drop_hdr"},
	};

	(void)state;
	for (size_t i = 0; i < SL_ARRAY_SIZE(cases); i++) {
		struct harness h;
		struct popts o = {.raw = cases[i].opt, .rawlen = cases[i].ol};
		struct rte_mbuf *m;
		struct rte_ipv4_hdr *ip;
		struct rte_tcp_hdr *th;

		h_init(&h, NULL);
		m = h_frame(&h, F_SYN, 1, 0, 65535, cases[i].opt ? &o : NULL, pattern, 4);
		ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
		th = (struct rte_tcp_hdr *)(ip + 1);
		switch (cases[i].how) {
		case 1:
			th->data_off = 4 << 4;
			break;
		case 2:
			th->data_off = 15 << 4;
			break;
		case 3:
			th->cksum ^= 0x1234;
			break;
		case 4:
			ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
			break;
		case 5:
			th->tcp_flags = F_SYN | F_FIN;
			break;
		case 6:
			ip->total_length = rte_cpu_to_be_16(30);
			break;
		default:
			break;
		}
		if (cases[i].how != 3 && cases[i].how != 0) {
			th->cksum = 0;
			th->cksum = rte_ipv4_udptcp_cksum(ip, th);
		}
		h_input(&h, m);
		expect_none(&h);
		assert_int_equal(sl_tcp_conn_count(h.s), 0);
		if (h_stat(&h, cases[i].counter) != 1)
			fail_msg("%s: counter %s", cases[i].name, cases[i].counter);
		h_fini(&h);
	}
}

static void test_paws(void **state)
{
	struct harness h;
	struct popts o = {.mss = 1460, .ws = -1, .ts = 1, .tsval = 1000};
	struct popts d = {.ws = -1, .ts = 1, .tsval = 2000};
	struct out_seg *a;

	(void)state;
	h_init(&h, NULL);
	h_accept(&h, &o, 1);
	h_send(&h, F_ACK, h.pseq, h.pack, 65535, &d, pattern, 10);
	assert_int_equal(sl_tcp_readable(h.conn), 10);
	h_advance(&h, 40000);
	a = &h.out[h.nout - 1];
	assert_int_equal(a->tsecr, 2000); /* RFC 7323 4.3 */
	h.rd = h.nout;
	/* RFC 7323 5.3: an older TSval fails PAWS: dropped, ACKed. */
	d.tsval = 1500;
	h_send(&h, F_ACK, h.pseq + 10, h.pack, 65535, &d, pattern, 10);
	assert_int_equal(sl_tcp_readable(h.conn), 10);
	assert_int_equal(h_stat(&h, "drop_paws"), 1);
	a = h_next(&h);
	assert_non_null(a);
	assert_int_equal(a->ack, h.pseq + 10);
	/* TSval wraps modulo 2^32 (RFC 7323 5.2): 0x10 is newer than 0xfffffff0. */
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

static void test_icmp_frag_needed(void **state)
{
	struct harness h;
	uint8_t q[28];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)q;
	struct out_seg *r;
	uint32_t s0;

	(void)state;
	setup_plain(&h, 0);
	s0 = h.pack;
	sl_tcp_send(h.conn, pattern, 3000, h.now);
	while (h_next(&h) != NULL)
		;
	memset(q, 0, sizeof(q));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(H_LOCAL_IP);
	ip->dst_addr = rte_cpu_to_be_32(H_PEER_IP);
	q[20] = H_LPORT >> 8;
	q[21] = H_LPORT & 0xff;
	q[22] = H_PPORT >> 8;
	q[23] = H_PPORT & 0xff;
	{
		uint32_t v = rte_cpu_to_be_32(s0);

		memcpy(q + 24, &v, 4);
	}
	/* RFC 1191: MTU 1000 -> MSS 960, resend at once in smaller segments. */
	sl_tcp_icmp_unreach(h.s, ip, sizeof(q), 4, 1000, h.now);
	assert_int_equal(h_stat(&h, "pmtu_updates"), 1);
	r = h_next(&h);
	assert_non_null(r);
	assert_int_equal(r->seq, s0);
	assert_int_equal(r->len, 960);
	/* RFC 5927 4.1: a quoted sequence number not in flight is ignored. */
	{
		uint32_t v = rte_cpu_to_be_32(s0 - 5000);

		memcpy(q + 24, &v, 4);
	}
	sl_tcp_icmp_unreach(h.s, ip, sizeof(q), 4, 600, h.now);
	assert_int_equal(h_stat(&h, "pmtu_updates"), 1);
	assert_int_equal(h_stat(&h, "icmp_ignored"), 1);
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

static void test_tx_checksum_offload_flags(void **state)
{
	struct sl_tcp_params p = {.flags = SL_TCP_F_TX_CKSUM_OFFLOAD};
	struct harness h;

	(void)state;
	h_init(&h, &p);
	h.refuse_tx = 0;
	h_send(&h, F_SYN, 1, 0, 65535, NULL, NULL, 0);
	/* With offload the TCP checksum holds only the pseudo-header sum. */
	assert_int_equal(h.nout, 1);
	assert_false(h.out[0].tcp_ok);
	h_fini(&h);
}

static void test_stats_names(void **state)
{
	const char *d;
	unsigned int n = 0;

	(void)state;
	while (sl_tcp_stat_name(n, &d) != NULL) {
		assert_non_null(d);
		n++;
	}
	assert_int_equal(n, sizeof(struct sl_tcp_stats) / sizeof(uint64_t));
}

static void test_idle_footprint(void **state)
{
	struct harness h;

	(void)state;
	setup_plain(&h, 0);
	/* Issue 3: an idle established connection costs at most 1 KiB. */
	assert_true(sl_tcp_conn_footprint(h.s) <= 1024);
	assert_int_equal(rte_mempool_in_use_count(h_pool()), 0); /* no buffers held */
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

static void test_timestamp_rttm(void **state)
{
	struct sl_tcp_params p = {.rto_min_us = 100000};
	struct harness h;
	struct popts o = {.mss = 1460, .ws = -1, .ts = 1, .tsval = 10};
	struct out_seg *d;
	uint64_t t1;

	(void)state;
	h_init(&h, &p);
	h_accept(&h, &o, 1);
	sl_tcp_send(h.conn, pattern, 100, h.now);
	d = h_next(&h);
	assert_true(d->has_ts);
	/* The ACK echoes our TSval 50 ms later (RFC 7323 4.1: RTTM). */
	h_advance(&h, 50000);
	h_send(&h, F_ACK, h.pseq, h.pack + 100, 65535,
	       &(struct popts){.ws = -1, .ts = 1, .tsval = 11, .tsecr = d->tsval}, NULL, 0);
	/* RFC 6298 2.2: SRTT 50 ms, RTTVAR 25 ms, RTO = 50 + 4 * 25 = 150 ms. */
	expect_none(&h);
	sl_tcp_send(h.conn, pattern, 100, h.now);
	assert_non_null(h_next(&h));
	t1 = h.now;
	h_advance(&h, 149000);
	expect_none(&h);
	h_advance(&h, 1000);
	d = h_next(&h);
	assert_non_null(d);
	assert_int_equal(d->seq, h.pack + 100);
	assert_int_equal(h.now - t1, 150000);
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

static void test_shutdown_before_established(void **state)
{
	struct harness h;
	struct sl_tcp_conn *c;
	struct out_seg *syn, *o;

	(void)state;
	h_init(&h, NULL);
	h.pport = H_PPORT;
	c = sl_tcp_connect(h.s, H_PEER_IP, H_PPORT, H_LPORT, NULL, h.now);
	syn = h_next(&h);
	assert_int_equal(sl_tcp_send(c, "ping", 4, h.now), 4);
	assert_int_equal(sl_tcp_shutdown(c, h.now), 0);
	expect_none(&h); /* nothing before the handshake completes */
	h_send(&h, F_SYN | F_ACK, 70, syn->seq + 1, 65535, &(struct popts){.mss = 1460, .ws = -1},
	       NULL, 0);
	/* Queued data then the FIN (RFC 9293 3.10.4: CLOSE in SYN-SENT queues). */
	o = h_next(&h);
	assert_non_null(o);
	assert_int_equal(o->len, 4);
	assert_memory_equal(o->data, "ping", 4);
	if (!(o->fl & F_FIN))
		o = h_next(&h);
	assert_non_null(o);
	assert_true(o->fl & F_FIN);
	assert_string_equal(sl_tcp_conn_state(c), "FIN-WAIT-1");
	sl_tcp_abort(c, h.now);
	h_fini(&h);
}

static void test_many_connections_table(void **state)
{
	struct sl_tcp_params p = {.max_conns = 300};
	struct harness h;
	uint32_t ack123 = 0;

	(void)state;
	h_init(&h, &p);
	sl_tcp_unlisten(h.s, H_LPORT);
	sl_tcp_listen(h.s, H_LPORT, 1000);

	for (uint16_t i = 0; i < 300; i++) {
		h.pport = (uint16_t)(20000 + i);
		h.rd = h.nout = 0;
		h_accept(&h, NULL, 1000u * i);
		if (i == 123)
			ack123 = h.pack;
	}
	assert_int_equal(sl_tcp_conn_count(h.s), 300);
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_ACCEPT), 300);
	/* Table full: the next SYN finds no control block (counted). */
	h.pport = 30000;
	h.rd = h.nout = 0;
	h_send(&h, F_SYN, 1, 0, 65535, NULL, NULL, 0);
	expect_none(&h);
	assert_int_equal(h_stat(&h, "drop_nomem"), 0);
	assert_int_equal(h_stat(&h, "backlog_drops"), 1);
	/* Data to one of them still finds it (4-tuple lookup). */
	h.pport = 20123;
	h_send(&h, F_ACK, 123000 + 1, ack123, 65535, NULL, pattern, 5);
	assert_int_equal(h_stat(&h, "bytes_in"), 5);
	h_fini(&h);
}

/* Bring a fresh passive connection to a named state; returns RCV.NXT. */
static uint32_t to_state(struct harness *h, const char *st)
{
	struct sl_tcp_params p = {.msl_us = 1000000};

	h_init(h, &p);
	h_accept(h, NULL, 1);
	if (strcmp(st, "CLOSE-WAIT") == 0 || strcmp(st, "LAST-ACK") == 0) {
		h_send(h, F_ACK | F_FIN, h->pseq, h->pack, 65535, NULL, NULL, 0);
		h->pseq++;
		if (strcmp(st, "LAST-ACK") == 0)
			sl_tcp_shutdown(h->conn, h->now);
	} else if (strcmp(st, "FIN-WAIT-1") == 0 || strcmp(st, "FIN-WAIT-2") == 0 ||
		   strcmp(st, "CLOSING") == 0) {
		sl_tcp_shutdown(h->conn, h->now);
		if (strcmp(st, "FIN-WAIT-2") == 0)
			h_send(h, F_ACK, h->pseq, h->pack + 1, 65535, NULL, NULL, 0);
		if (strcmp(st, "CLOSING") == 0) {
			h_send(h, F_ACK | F_FIN, h->pseq, h->pack, 65535, NULL, NULL, 0);
			h->pseq++;
		}
	}
	assert_non_null(h->conn);
	assert_string_equal(sl_tcp_conn_state(h->conn), st);
	h->rd = h->nout;
	return h->pseq;
}

static void test_rst_every_state(void **state)
{
	static const char *const states[] = {"ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2",
					     "CLOSE-WAIT",  "CLOSING",    "LAST-ACK"};

	(void)state;
	for (size_t i = 0; i < SL_ARRAY_SIZE(states); i++) {
		struct harness h;
		uint32_t rn;
		struct out_seg *a;

		/* RFC 5961 3.2: in window, not RCV.NXT: challenge ACK, state kept. */
		rn = to_state(&h, states[i]);
		h_send(&h, F_RST, rn + 10, 0, 0, NULL, NULL, 0);
		a = h_next(&h);
		assert_non_null(a);
		assert_int_equal(a->fl & (F_ACK | F_RST), F_ACK);
		assert_int_equal(a->ack, rn);
		assert_string_equal(sl_tcp_conn_state(h.conn), states[i]);
		/* Out of window: silently dropped. */
		h_send(&h, F_RST, rn - 100000, 0, 0, NULL, NULL, 0);
		expect_none(&h);
		/* Exactly RCV.NXT: the connection is reset. */
		h_send(&h, F_RST, rn, 0, 0, NULL, NULL, 0);
		assert_int_equal(sl_tcp_conn_count(h.s), 0);
		assert_int_equal(h_count_ev(&h, SL_TCP_EV_RESET), 1);
		assert_int_equal(h.ev[h.nev - 1].err, ECONNRESET);
		expect_none(&h);
		h_fini(&h);
	}
}

static void test_cc_ops(void **state)
{
	struct sl_tcp_conn c;
	uint32_t th;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.mss = 1000;
	/* NewReno, RFC 5681 (4): ssthresh = max(FlightSize / 2, 2 * SMSS). */
	c.snd_una = 0;
	c.snd_max = 50000;
	assert_int_equal(sl_tcp_cc_newreno.ssthresh(&c, 0), 25000);
	c.snd_max = 1000;
	assert_int_equal(sl_tcp_cc_newreno.ssthresh(&c, 0), 2000);
	/* Congestion avoidance: about one SMSS per cwnd of acked bytes (3.1). */
	c.cwnd = 10000;
	c.ssthresh = 5000;
	for (int i = 0; i < 10; i++)
		sl_tcp_cc_newreno.ack(&c, 1000, 0);
	assert_int_equal(c.cwnd, 11000);
	/* CUBIC, RFC 9438 4.6: ssthresh = cwnd * beta (0.7). */
	memset(&c, 0, sizeof(c));
	c.mss = 1000;
	c.cwnd = 100000;
	sl_tcp_cc_cubic.init(&c);
	th = sl_tcp_cc_cubic.ssthresh(&c, 0);
	assert_int_equal(th, 70000);
	assert_true(c.w_max > 99.9f && c.w_max < 100.1f);
	/* 4.7 fast convergence: a loss below the last W_max lowers W_max to
	 * cwnd * (1 + beta) / 2. */
	c.cwnd = 80000;
	sl_tcp_cc_cubic.ssthresh(&c, 0);
	assert_true(c.w_max > 67.9f && c.w_max < 68.1f);
	/* 4.2: after a loss at W_max 100 with cwnd 70, K = cbrt(30 / 0.4) = 4.217 s
	 * and growth is concave: at t = 0 the window barely moves. */
	memset(&c, 0, sizeof(c));
	c.mss = 1000;
	c.cwnd = 100000;
	c.srtt = 10000;
	sl_tcp_cc_cubic.init(&c);
	c.ssthresh = sl_tcp_cc_cubic.ssthresh(&c, 0);
	c.cwnd = c.ssthresh;
	sl_tcp_cc_cubic.ack(&c, 1000, 1000000);
	assert_true(c.cubic_k > 4.21f && c.cubic_k < 4.22f);
	assert_true(c.cwnd <= 71000);
	/* Near t = K the window is back near W_max (here capped at 1.5x per RTT). */
	for (uint64_t t = 1000000; t < 1000000 + 4217000; t += 10000)
		sl_tcp_cc_cubic.ack(&c, c.cwnd / 10, t);
	assert_true(c.cwnd >= 97000 && c.cwnd <= 103000);
}

static void test_zero_window_outlives_retry_limit(void **state)
{
	struct sl_tcp_params p = {.max_retries = 2};
	struct harness h;
	uint32_t s0;
	struct out_seg *o;

	(void)state;
	h_init(&h, &p);
	h_accept(&h, NULL, 1);
	s0 = h.pack;
	sl_tcp_send(h.conn, pattern, 3000, h.now);
	/* In flight; the peer then closes its window without ACKing data. */
	h_send(&h, F_ACK, h.pseq, s0, 0, NULL, NULL, 0);
	/* RFC 1122 4.2.2.17: while the peer answers probes the connection
	 * lives on, whatever the retransmission limit. */
	for (int i = 0; i < 12; i++) {
		h_advance(&h, 5000000);
		h.rd = h.nout;
		h_send(&h, F_ACK, h.pseq, s0, 0, NULL, NULL, 0);
	}
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_CLOSED), 0);
	assert_true(h_stat(&h, "persist_probes") >= 3);
	h_send(&h, F_ACK, h.pseq, s0, 65535, NULL, NULL, 0);
	o = h_next(&h);
	assert_non_null(o);
	assert_true(o->seq - s0 <= 1); /* the probe byte may already be out */
	assert_true(o->len > 0);
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

/*
 * A client that writes a long pipeline before reading any reply (Redis's
 * PIPELINING stresser): its receive window is shut by our replies while it
 * keeps sending requests. Every segment without text we send must stay
 * acceptable to it: with RCV.WND = 0 only SEG.SEQ = RCV.NXT is (RFC 9293
 * 3.10.7.4), anything else is dropped whole, ACK field unread, and the
 * client, never seeing its requests acknowledged, stops writing while we
 * wait for it to read: both sides stall.
 */
static void test_zero_window_acks_acceptable(void **state)
{
	struct harness h;
	struct out_seg *o;
	uint32_t s0, p0;

	(void)state;
	setup_plain(&h, 0);
	s0 = h.pack;
	p0 = h.pseq;
	h_send(&h, F_ACK, p0, s0, 0, NULL, NULL, 0); /* the client's window shuts */
	assert_int_equal(sl_tcp_send(h.conn, pattern, 3000, h.now), 3000);
	expect_none(&h);
	h_advance(&h, 200000);
	o = h_next(&h); /* RFC 9293 3.8.6.1: one-byte probe at SND.UNA */
	assert_non_null(o);
	assert_int_equal(o->seq, s0);
	assert_int_equal(o->len, 1);
	/* The client drops the probe and answers ACK s0, window 0, again and
	 * again: flow control, not loss (RFC 5681 2 counts a duplicate ACK only
	 * with outstanding data; the probe is not): no fast retransmit. */
	for (int i = 0; i < 4; i++)
		h_send(&h, F_ACK, p0, s0, 0, NULL, NULL, 0);
	expect_none(&h);
	assert_int_equal(h_stat(&h, "fast_retrans"), 0);
	/* It keeps sending requests: our ACKs carry SEG.SEQ = its RCV.NXT = s0
	 * (the probe byte it dropped is not counted). */
	h_send(&h, F_ACK, p0, s0, 0, NULL, pattern, 1460);
	h_send(&h, F_ACK, p0 + 1460, s0, 0, NULL, pattern + 1460, 1460);
	o = h_next(&h);
	assert_non_null(o);
	assert_int_equal(o->fl, F_ACK);
	assert_int_equal(o->len, 0);
	assert_int_equal(o->ack, p0 + 2920);
	assert_int_equal(o->seq, s0);
	/* Window updates too (RFC 9293 3.8.6.2.2: 2920 >= MSS). */
	assert_int_equal(sl_tcp_consume(h.conn, 2920, h.now), 0);
	o = h_next(&h);
	assert_non_null(o);
	assert_int_equal(o->len, 0);
	assert_int_equal(o->seq, s0);
	assert_int_equal(o->ack, p0 + 2920);
	expect_none(&h);
	/* A delayed ACK after one more request, likewise. */
	h_send(&h, F_ACK, p0 + 2920, s0, 0, NULL, pattern, 100);
	h_advance(&h, 40000);
	o = h_next(&h);
	assert_non_null(o);
	assert_int_equal(o->len, 0);
	assert_int_equal(o->seq, s0);
	assert_int_equal(o->ack, p0 + 3020);
	expect_none(&h);
	/* The client reads and opens its window: the replies go out from s0,
	 * the probe byte included, in full segments, in order. */
	h_send(&h, F_ACK, p0 + 3020, s0, 65535, NULL, NULL, 0);
	{
		uint32_t next = s0;

		while ((o = h_next(&h)) != NULL) {
			assert_int_equal(o->seq, next);
			assert_memory_equal(o->data, pattern + (o->seq - s0), o->len);
			next += o->len;
		}
		assert_int_equal(next, s0 + 3000);
	}
	assert_int_equal(h_stat(&h, "fast_retrans"), 0);
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

/* The client took the probe byte: ACKs then start at the byte after it. */
static void test_zero_window_probe_taken(void **state)
{
	struct harness h;
	struct out_seg *o;
	uint32_t s0, p0;

	(void)state;
	setup_plain(&h, 0);
	s0 = h.pack;
	p0 = h.pseq;
	h_send(&h, F_ACK, p0, s0, 0, NULL, NULL, 0);
	assert_int_equal(sl_tcp_send(h.conn, pattern, 3000, h.now), 3000);
	h_advance(&h, 200000);
	o = h_next(&h);
	assert_non_null(o);
	assert_int_equal(o->len, 1);
	h_send(&h, F_ACK, p0, s0 + 1, 0, NULL, NULL, 0); /* byte taken, still shut */
	h_send(&h, F_ACK, p0, s0 + 1, 0, NULL, pattern, 1460);
	h_send(&h, F_ACK, p0 + 1460, s0 + 1, 0, NULL, pattern, 1460);
	o = h_next(&h);
	assert_non_null(o);
	assert_int_equal(o->len, 0);
	assert_int_equal(o->seq, s0 + 1);
	assert_int_equal(o->ack, p0 + 2920);
	h_send(&h, F_ACK, p0 + 2920, s0 + 1, 65535, NULL, NULL, 0);
	o = h_next(&h);
	assert_non_null(o);
	assert_int_equal(o->seq, s0 + 1);
	assert_int_equal(o->len, 1460);
	assert_memory_equal(o->data, pattern + 1, 1460);
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

/* A peer that shrinks its window under data in flight (RFC 9293 3.8.6
 * discourages it; it happens): until the rest is retransmitted, ACKs carry
 * the right edge it advertised, the only number it can accept. */
static void test_shrunk_window_ack_seq(void **state)
{
	struct harness h;
	struct out_seg *o;
	uint32_t s0, p0;

	(void)state;
	setup_plain(&h, 0);
	s0 = h.pack;
	p0 = h.pseq;
	assert_int_equal(sl_tcp_send(h.conn, pattern, 3000, h.now), 3000);
	h.rd = h.nout; /* three segments in flight, up to s0 + 3000 */
	h_send(&h, F_ACK, p0, s0 + 1460, 0, NULL, NULL, 0);
	h_send(&h, F_ACK, p0, s0 + 1460, 0, NULL, pattern, 1460);
	h_send(&h, F_ACK, p0 + 1460, s0 + 1460, 0, NULL, pattern, 1460);
	o = h_next(&h);
	assert_non_null(o);
	assert_int_equal(o->len, 0);
	assert_int_equal(o->ack, p0 + 2920);
	assert_int_equal(o->seq, s0 + 1460);
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

/*
 * The application keeps our window shut (it paused its input) and the peer
 * presses against it: a zero-window probe (Linux sends SEG.SEQ = RCV.NXT - 1
 * without text) or text beyond the window. Each is ACKed with the zero window
 * (RFC 9293 3.10.7.4) and reported as READABLE, so that the application can
 * see a peer blocked sending to it; a plain ACK is not.
 */
static void test_shut_window_pressed_readable(void **state)
{
	struct sl_tcp_params p = {.rcv_buf = 4096};
	struct harness h;
	struct out_seg *a;
	uint32_t p0;
	int r0;

	(void)state;
	h_init(&h, &p);
	h_accept(&h, NULL, 1);
	p0 = h.pseq;
	h_send(&h, F_ACK, p0, h.pack, 65535, NULL, pattern, 1460);
	h_send(&h, F_ACK, p0 + 1460, h.pack, 65535, NULL, pattern, 1460);
	h_send(&h, F_ACK, p0 + 2920, h.pack, 65535, NULL, pattern, 1176);
	h_advance(&h, 40000);
	h.rd = h.nout;
	assert_int_equal(sl_tcp_readable(h.conn), 4096); /* window shut, not consumed */
	r0 = h_count_ev(&h, SL_TCP_EV_READABLE);
	/* A plain ACK at RCV.NXT: nothing to report. */
	h_send(&h, F_ACK, p0 + 4096, h.pack, 65535, NULL, NULL, 0);
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_READABLE), r0);
	expect_none(&h);
	/* A zero-window probe: ACKed, window 0, READABLE. */
	h_send(&h, F_ACK, p0 + 4095, h.pack, 65535, NULL, NULL, 0);
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_READABLE), r0 + 1);
	a = h_next(&h);
	assert_non_null(a);
	assert_int_equal(a->ack, p0 + 4096);
	assert_int_equal(a->wnd, 0);
	/* Text beyond the window: not taken, ACKed, READABLE. */
	h_send(&h, F_ACK, p0 + 4096, h.pack, 65535, NULL, pattern, 1);
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_READABLE), r0 + 2);
	a = h_next(&h);
	assert_non_null(a);
	assert_int_equal(a->ack, p0 + 4096);
	assert_int_equal(a->wnd, 0);
	assert_int_equal(sl_tcp_readable(h.conn), 4096);
	/* Once the application reads, the window opens (3.8.6.2.2). */
	assert_int_equal(sl_tcp_consume(h.conn, 4096, h.now), 0);
	a = h_next(&h);
	assert_non_null(a);
	assert_int_equal(a->wnd, 4096);
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

static void test_challenge_ack_rate_limit(void **state)
{
	struct sl_tcp_params p = {.max_conns = 2000};
	static uint32_t pseq[1600];
	struct harness h;
	unsigned int acks = 0, i;

	(void)state;
	h_init(&h, &p);
	sl_tcp_unlisten(h.s, H_LPORT);
	sl_tcp_listen(h.s, H_LPORT, 2000);
	for (i = 0; i < 1600; i++) {
		h.pport = (uint16_t)(20000 + i);
		h.rd = h.nout = 0;
		h.nev = 0; /* the capture arrays hold fewer than 1600 */
		h_accept(&h, NULL, 1000u * i);
		pseq[i] = h.pseq;
	}
	/* One connection: one ACK to invalid segments per 500 ms, the rest
	 * counted (Linux's tcp_invalid_ratelimit), so forged segments are not
	 * reflected one for one. */
	h.pport = 20000;
	for (i = 0; i < 10; i++) {
		h.rd = h.nout = 0;
		h_send(&h, F_RST, pseq[0] + 1 + i, 0, 0, NULL, NULL, 0);
		acks += h.nout;
	}
	assert_int_equal(acks, 1);
	assert_int_equal(h_stat(&h, "oow_acks_limited"), 9);
	/* RFC 5961 7: the stack's budget per second, drawn in [500, 1500) so a
	 * blind attacker cannot count it (CVE-2016-5696). */
	acks = 0;
	for (i = 1; i < 1600; i++) {
		h.pport = (uint16_t)(20000 + i);
		h.rd = h.nout = 0;
		h_send(&h, F_RST, pseq[i] + 1, 0, 0, NULL, NULL, 0);
		acks += h.nout;
	}
	assert_true(acks >= 499 && acks < 1500);
	assert_int_equal(h_stat(&h, "challenge_limited"), 1599 - acks);
	/* A second later there is a fresh budget and the connection's limit is over. */
	h_advance(&h, 1000000);
	h.pport = 20000;
	h.rd = h.nout = 0;
	h_send(&h, F_RST, pseq[0] + 7, 0, 0, NULL, NULL, 0);
	assert_int_equal(h.nout, 1);
	assert_string_equal(sl_tcp_conn_state(h.conn), "ESTABLISHED");
	h_fini(&h);
}

static void test_tsc_clock_and_single_frame_hook(void **state)
{
	const uint64_t hz = 2500000000ull; /* a 2.5 GHz TSC */
	struct sl_tcp_params p = {.now_hz = hz};
	struct harness h;
	struct out_seg *o;
	uint64_t tsc = 1000 * hz; /* 1000 s of uptime */

	(void)state;
	h_init(&h, &p);
	/* The net layer's hook: one frame, output waits for a flush. */
	sl_tcp_input(h.s, h_frame(&h, F_SYN, 1, 0, 65535, NULL, NULL, 0), tsc);
	assert_int_equal(h.nout, 0);
	sl_tcp_flush(h.s);
	o = h_next(&h);
	assert_non_null(o);
	assert_int_equal(o->fl, F_SYN | F_ACK);
	/* RFC 6298 2.1: the SYN-ACK is resent after 1 s = hz ticks. */
	sl_tcp_timers(h.s, tsc + hz - hz / 1000 - 1);
	expect_none(&h);
	sl_tcp_timers(h.s, tsc + hz);
	o = h_next(&h);
	assert_non_null(o);
	assert_int_equal(o->fl, F_SYN | F_ACK);
	h_fini(&h);
}

static void test_closed_zero_window_is_bounded(void **state)
{
	struct sl_tcp_params p = {.max_retries = 3};
	struct harness h;
	struct out_seg *r;

	(void)state;
	h_init(&h, &p);
	h_accept(&h, NULL, 1);
	h_send(&h, F_ACK, h.pseq, h.pack, 0, NULL, NULL, 0); /* window shut */
	sl_tcp_send(h.conn, pattern, 1000, h.now);
	sl_tcp_close(h.conn, h.now); /* handle released, data + FIN pending */
	for (int i = 0; i < 20 && sl_tcp_conn_count(h.s) > 0; i++) {
		h_advance(&h, 10000000);
		h.rd = h.nout;
		h_send(&h, F_ACK, h.pseq, h.pack, 0, NULL, NULL, 0);
	}
	/* An orphan kept shut by its peer is reset after max_retries probes. */
	assert_int_equal(sl_tcp_conn_count(h.s), 0);
	r = &h.out[h.nout - 1];
	assert_true(r->fl & F_RST);
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_CLOSED), 0);
	h_fini(&h);
}

static void test_checksum_all_lengths(void **state)
{
	struct harness h;
	uint32_t expect = 0;

	(void)state;
	setup_plain(&h, 0);
	/* Every payload length 1..100 in order (odd and even tails), each
	 * frame checksummed by DPDK's reference code: all accepted. Then the
	 * same frames with one bit flipped: all dropped as bad checksums. */
	for (uint32_t len = 1; len <= 100; len++) {
		h_send(&h, F_ACK, h.pseq + expect, h.pack, 65535, NULL, pattern + expect, len);
		expect += len;
	}
	assert_int_equal(sl_tcp_readable(h.conn), expect);
	for (uint32_t len = 1; len <= 100; len++) {
		struct rte_mbuf *m =
			h_frame(&h, F_ACK, h.pseq + expect, h.pack, 65535, NULL, pattern, len);
		uint8_t *last = rte_pktmbuf_mtod_offset(m, uint8_t *, m->data_len - 1);

		*last ^= (uint8_t)(1u << (len % 8));
		h_input(&h, m);
	}
	assert_int_equal(sl_tcp_readable(h.conn), expect);
	assert_int_equal(h_stat(&h, "drop_cksum"), 100);
	sl_tcp_consume(h.conn, expect, h.now);
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

static void test_chained_rx_mbuf(void **state)
{
	struct harness h;
	struct rte_mbuf *m, *tail;
	uint32_t hdr = 14 + 20 + 20, plen = 1000, split = 300;
	uint8_t buf[1000];

	(void)state;
	setup_plain(&h, 0);
	/* A PMD may deliver a frame in several segments: headers and the first
	 * 300 payload bytes in one mbuf, the rest in a second. */
	m = h_frame(&h, F_ACK, h.pseq, h.pack, 65535, NULL, pattern, plen);
	tail = rte_pktmbuf_alloc(h_pool());
	assert_non_null(tail);
	memcpy(rte_pktmbuf_append(tail, (uint16_t)(plen - split)),
	       rte_pktmbuf_mtod_offset(m, uint8_t *, hdr + split), plen - split);
	rte_pktmbuf_trim(m, (uint16_t)(plen - split));
	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	assert_int_equal(m->nb_segs, 2);
	h_input(&h, m);
	assert_int_equal(sl_tcp_readable(h.conn), plen);
	sl_tcp_peek(h.conn, 0, buf, plen);
	assert_memory_equal(buf, pattern, plen);
	assert_int_equal(h_stat(&h, "drop_cksum"), 0);
	/* And a corrupted byte in the second segment is caught. */
	m = h_frame(&h, F_ACK, h.pseq + plen, h.pack, 65535, NULL, pattern, plen);
	tail = rte_pktmbuf_alloc(h_pool());
	memcpy(rte_pktmbuf_append(tail, (uint16_t)(plen - split)),
	       rte_pktmbuf_mtod_offset(m, uint8_t *, hdr + split), plen - split);
	*rte_pktmbuf_mtod_offset(tail, uint8_t *, 10) ^= 0x40;
	rte_pktmbuf_trim(m, (uint16_t)(plen - split));
	rte_pktmbuf_chain(m, tail);
	h_input(&h, m);
	assert_int_equal(h_stat(&h, "drop_cksum"), 1);
	assert_int_equal(sl_tcp_readable(h.conn), plen);
	sl_tcp_consume(h.conn, plen, h.now);
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

static void test_send_wraparound(void **state)
{
	struct harness h;
	struct out_seg *sa;
	uint32_t iss0, target = 0xffffffffu - 5000, s0;
	uint64_t dt;

	(void)state;
	h_init(&h, NULL);
	sa = h_accept(&h, NULL, 1);
	iss0 = sa->seq;
	sl_tcp_abort(h.conn, h.now);
	/* RFC 6528: ISN = M + F(4-tuple), M ticking every 4 us. Come back when
	 * the same 4-tuple's ISN sits 5000 bytes below 2^32. */
	dt = 4ull * (uint32_t)(target - iss0);
	h.now += dt;
	h.rd = h.nout;
	sa = h_accept(&h, NULL, 7);
	assert_int_equal(sa->seq, target);
	s0 = sa->seq + 1;
	assert_int_equal(sl_tcp_send(h.conn, pattern, 14600, h.now), 14600);
	for (int i = 0; i < 10; i++) {
		struct out_seg *d = h_next(&h);

		assert_int_equal(d->seq, (uint32_t)(s0 + 1460u * i));
		assert_memory_equal(d->data, pattern + 1460 * i, 1460);
	}
	/* ACKs across the wrap advance SND.UNA (RFC 9293 3.4 modular compare). */
	h_send(&h, F_ACK, h.pseq, s0 + 7300, 65535, NULL, NULL, 0);
	assert_int_equal(sl_tcp_send_space(h.conn), 65536 - 14600 + 7300);
	h_send(&h, F_ACK, h.pseq, s0 + 14600, 65535, NULL, NULL, 0);
	assert_int_equal(sl_tcp_send_space(h.conn), 65536);
	assert_int_equal(h_stat(&h, "rto_timeouts"), 0);
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

/* All 16 combinations of MSS / WS / TS / SACK-permitted in the peer's SYN. */
static void test_handshake_all_combinations(void **state)
{
	(void)state;
	for (unsigned int k = 0; k < 16; k++) {
		int has_mss = k & 1, has_ws = k & 2, has_ts = k & 4, has_sack = k & 8;
		struct popts o = {.mss = has_mss ? 1200 : 0,
				  .ws = has_ws ? 3 : -1,
				  .ts = has_ts,
				  .tsval = 100 + k,
				  .sack_ok = has_sack};
		/* RFC 9293 3.7.1 (536 default), RFC 6691 (TS option bytes). */
		uint32_t seg = (has_mss ? 1200u : 536u) - (has_ts ? 12u : 0u);
		struct harness h;
		struct out_seg *sa, *d;

		h_init(&h, NULL);
		sa = h_accept(&h, &o, 1000 * k);
		assert_int_equal(sa->mss, 1460);
		/* RFC 7323 1.3 / 3.2, RFC 2018 2: only answered when offered. */
		assert_int_equal(sa->ws, has_ws ? 1 : -1);
		assert_int_equal(sa->has_ts, !!has_ts);
		assert_int_equal(sa->sack_ok, !!has_sack);
		sl_tcp_send(h.conn, pattern, 3000, h.now);
		d = h_next(&h);
		assert_non_null(d);
		assert_int_equal(d->len, seg);
		assert_int_equal(d->has_ts, !!has_ts);
		if (has_ts)
			assert_int_equal(d->tsecr, 100 + k + 1); /* the ACK's TSval */
		/* Our SYN-ACK is unscaled; later windows use our shift only
		 * when both sides sent WS (RFC 7323 2.2/2.3). */
		assert_int_equal(d->wnd, has_ws ? 32768 : 65535);
		sl_tcp_abort(h.conn, h.now);
		h_fini(&h);
	}
}

static void test_syn_cookie_expiry(void **state)
{
	struct sl_tcp_params p = {.flags = SL_TCP_F_SYN_COOKIES};
	struct harness h;
	struct out_seg *sa;

	(void)state;
	h_init(&h, &p);
	sl_tcp_unlisten(h.s, H_LPORT);
	sl_tcp_listen(h.s, H_LPORT, 1);
	h.pport = 2000;
	h_send(&h, F_SYN, 10, 0, 65535, NULL, NULL, 0); /* fills the backlog */
	h.pport = 2001;
	h_send(&h, F_SYN, 20, 0, 65535, NULL, NULL, 0);
	h_next(&h);
	sa = h_next(&h);
	assert_int_equal(h_stat(&h, "syn_cookies_sent"), 1);
	/* Our cookie counter ticks every 64 s and two ticks are accepted; an
	 * ACK 200 s later carries a stale cookie and is refused. */
	h.now += 200000000;
	h_send(&h, F_ACK, 21, sa->seq + 1, 2048, NULL, NULL, 0);
	assert_int_equal(h_stat(&h, "syn_cookies_bad"), 1);
	assert_int_equal(h_stat(&h, "syn_cookies_ok"), 0);
	assert_int_equal(h_next(&h)->fl, F_RST);
	h_fini(&h);
}

static void test_timewait_reuse_by_timestamp(void **state)
{
	struct sl_tcp_params p = {.msl_us = 30000000};
	struct harness h;
	struct popts o = {.mss = 1460, .ws = -1, .ts = 1, .tsval = 5000};
	struct out_seg *sa;

	(void)state;
	h_init(&h, &p);
	h_accept(&h, &o, 100000);
	sl_tcp_close(h.conn, h.now);
	h_send(&h, F_ACK | F_FIN, h.pseq, h.pack + 1, 65535,
	       &(struct popts){.ws = -1, .ts = 1, .tsval = 5002}, NULL, 0);
	assert_int_equal(sl_tcp_conn_count(h.s), 1); /* TIME-WAIT */
	/* RFC 6191: a SYN whose TSval is newer reuses the pair even with a
	 * lower sequence number. */
	h.rd = h.nout;
	o.tsval = 6000;
	h_send(&h, F_SYN, 50, 0, 65535, &o, NULL, 0);
	sa = h_next(&h);
	assert_non_null(sa);
	assert_int_equal(sa->fl, F_SYN | F_ACK);
	assert_int_equal(sa->ack, 51);
	assert_int_equal(h_stat(&h, "timewait_reused"), 1);
	h_fini(&h);
}

/* A slot crowded with more far-future entries than one call's budget must
 * not hide a due timer queued behind them. */
static void test_timer_budget_resumes(void **state)
{
	struct sl_tcp_params p = {.max_conns = 5200, .keepidle_us = 10240000};
	struct harness h;
	uint32_t xseq;
	uint64_t t_rto;
	int seen = 0;

	(void)state;
	h_init(&h, &p);
	sl_tcp_unlisten(h.s, H_LPORT);
	sl_tcp_listen(h.s, H_LPORT, 6000);
	/* X: one segment in flight, its RTO (200 ms) due at t_rto. */
	h.pport = 9999;
	h_accept(&h, NULL, 1);
	xseq = h.pack;
	sl_tcp_send(h.conn, pattern, 10, h.now);
	t_rto = h.now + 200000;
	/* 5000 connections established at t_rto: their keepalive deadlines
	 * (t_rto + 10.24 s, ten turns of the wheel) share X's slot, ahead of it. */
	h.now = t_rto;
	for (uint16_t i = 0; i < 5000; i++) {
		h.pport = (uint16_t)(10000 + i);
		h.rd = h.nout = 0;
		h.nev = 0;
		h_accept(&h, NULL, 1000);
	}
	h.rd = h.nout = 0;
	/* Two calls at t_rto: the first spends its budget on the crowd. */
	sl_tcp_timers(h.s, t_rto);
	sl_tcp_timers(h.s, t_rto);
	for (unsigned int i = 0; i < h.nout; i++)
		seen |= h.out[i].dport == 9999 && h.out[i].seq == xseq && h.out[i].len == 10;
	assert_true(seen);
	h_fini(&h);
}

static void test_syn_flood(void **state)
{
	struct sl_tcp_params p = {.flags = SL_TCP_F_SYN_COOKIES, .max_conns = 64};
	struct harness h;
	uint32_t cookie_iss[5];

	(void)state;
	h_init(&h, &p);
	sl_tcp_unlisten(h.s, H_LPORT);
	sl_tcp_listen(h.s, H_LPORT, 16);
	/* 1000 SYNs from as many ports: 16 held in the backlog, the rest
	 * answered statelessly; every one gets a SYN-ACK. */
	for (uint16_t i = 0; i < 1000; i++) {
		struct out_seg *sa;

		h.pport = (uint16_t)(30000 + i);
		h.rd = h.nout = 0;
		h_send(&h, F_SYN, 1000u * i, 0, 65535, NULL, NULL, 0);
		sa = h_next(&h);
		assert_non_null(sa);
		assert_int_equal(sa->fl, F_SYN | F_ACK);
		if (i >= 995)
			cookie_iss[i - 995] = sa->seq;
	}
	assert_int_equal(sl_tcp_conn_count(h.s), 16);
	assert_int_equal(h_stat(&h, "syn_cookies_sent"), 984);
	/* The last five complete their handshakes from the cookie alone. */
	for (uint16_t i = 995; i < 1000; i++) {
		h.pport = (uint16_t)(30000 + i);
		h_send(&h, F_ACK, 1000u * i + 1, cookie_iss[i - 995] + 1, 65535, NULL, NULL, 0);
	}
	assert_int_equal(h_count_ev(&h, SL_TCP_EV_ACCEPT), 5);
	assert_int_equal(sl_tcp_conn_count(h.s), 21);
	h_fini(&h);
}

/* ------------------------------------------------ two stacks, end to end -- */

#define LB_QLEN 8192

struct lb_end {
	struct sl_tcp *s;
	struct lb_end *peer;
	struct rte_mbuf *q[LB_QLEN]; /* frames in flight towards this end */
	unsigned int qh, qt;
	uint32_t loss_ppm, reorder_ppm, dup_ppm;
	uint64_t rng;
	struct sl_tcp_conn *c;
	uint64_t to_send, sent, rcvd;
	int mismatch, eof, closed, closed_err, resets;
	uint64_t now;
	uint32_t slow_read; /* 0: read in the event, else bytes per 100 us */
};

static uint32_t lb_rand(struct lb_end *e)
{
	e->rng ^= e->rng << 13;
	e->rng ^= e->rng >> 7;
	e->rng ^= e->rng << 17;
	return (uint32_t)(e->rng % 1000000);
}

static uint16_t lb_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	struct lb_end *e = ctx, *d = e->peer;
	uint16_t i;

	for (i = 0; i < n; i++) {
		if (d->qt - d->qh == LB_QLEN)
			break;
		if (lb_rand(e) < e->loss_ppm) {
			rte_pktmbuf_free(pkts[i]); /* lost on the wire */
			continue;
		}
		if (d->qt - d->qh + 1 < LB_QLEN && lb_rand(e) < e->dup_ppm) {
			struct rte_mbuf *cp = rte_pktmbuf_copy(pkts[i], h_pool(), 0, UINT32_MAX);

			if (cp != NULL) {
				cp->l2_len = pkts[i]->l2_len;
				cp->l3_len = pkts[i]->l3_len;
				d->q[d->qt++ % LB_QLEN] = cp;
			}
		}
		d->q[d->qt++ % LB_QLEN] = pkts[i];
		if (d->qt - d->qh >= 2 && lb_rand(e) < e->reorder_ppm) {
			/* Swap with the frame before it: reordering on the wire. */
			struct rte_mbuf *t = d->q[(d->qt - 1) % LB_QLEN];

			d->q[(d->qt - 1) % LB_QLEN] = d->q[(d->qt - 2) % LB_QLEN];
			d->q[(d->qt - 2) % LB_QLEN] = t;
		}
	}
	return i;
}

static void lb_push(struct lb_end *e)
{
	while (e->c != NULL && e->sent < e->to_send) {
		uint64_t off = e->sent % sizeof(pattern);
		uint32_t n = (uint32_t)SL_MIN(sizeof(pattern) - off, e->to_send - e->sent);
		int r = sl_tcp_send(e->c, pattern + off, n, e->now);

		if (r <= 0)
			break;
		e->sent += (uint64_t)r;
		if (e->sent == e->to_send)
			sl_tcp_shutdown(e->c, e->now);
	}
}

/* Read, check and consume up to max bytes; close after EOF once drained. */
static void lb_read(struct lb_end *e, struct sl_tcp_conn *c, uint64_t max)
{
	uint8_t buf[4096];

	while (max > 0) {
		uint32_t n = sl_tcp_peek(c, 0, buf, (uint32_t)SL_MIN((uint64_t)sizeof(buf), max));

		if (n == 0)
			break;
		for (uint32_t i = 0; i < n; i++)
			if (buf[i] != pattern[(e->rcvd + i) % sizeof(pattern)])
				e->mismatch++;
		e->rcvd += n;
		max -= n;
		sl_tcp_consume(c, n, e->now);
	}
	if (sl_tcp_eof(c) && sl_tcp_readable(c) == 0 && !e->eof) {
		e->eof = 1;
		if (e->sent == e->to_send) {
			sl_tcp_close(c, e->now);
			e->c = NULL;
			e->closed = 1; /* handle released: no more events */
		}
	}
}

static void lb_event(void *ctx, struct sl_tcp_conn *c, enum sl_tcp_event ev, int err)
{
	struct lb_end *e = ctx;

	switch (ev) {
	case SL_TCP_EV_ACCEPT:
	case SL_TCP_EV_CONNECTED:
		e->c = c;
		lb_push(e);
		break;
	case SL_TCP_EV_READABLE:
		if (e->slow_read == 0)
			lb_read(e, c, UINT64_MAX);
		break;
	case SL_TCP_EV_WRITABLE:
		lb_push(e);
		break;
	case SL_TCP_EV_CLOSED:
		e->closed = 1;
		e->closed_err = err;
		e->c = NULL;
		break;
	case SL_TCP_EV_RESET:
		e->resets++;
		e->c = NULL;
		break;
	}
}

static void lb_deliver(struct lb_end *e)
{
	while (e->qh != e->qt) {
		struct rte_mbuf *b[SL_BURST];
		uint16_t n = 0;

		while (e->qh != e->qt && n < SL_BURST)
			b[n++] = e->q[e->qh++ % LB_QLEN];
		sl_tcp_input_burst(e->s, b, n, e->now);
	}
}

static int lb_resolve(void *ctx, uint32_t ip, struct rte_ether_addr *mac)
{
	(void)ctx;
	(void)ip;
	memset(mac, 0x02, sizeof(*mac));
	return 0;
}

/* Frames still on the wire when the stacks go away (e.g. flushed by destroy). */
static void lb_drop_queued(struct lb_end *e)
{
	while (e->qh != e->qt)
		rte_pktmbuf_free(e->q[e->qh++ % LB_QLEN]);
}

struct lb_case {
	const char *name;
	uint32_t flags;
	const struct sl_tcp_cc_ops *cc;
	uint32_t loss_ppm;
	uint64_t bytes;
	uint32_t reorder_ppm, dup_ppm;
	uint32_t rcv_buf, snd_buf, slow_read;
	uint64_t seed;
};

/* A sends `bytes` to B over a lossy in-memory link; B checks every byte. */
static void lb_run(const struct lb_case *k)
{
	static struct lb_end a, b;
	struct sl_tcp_params p = {.flags = k->flags,
				  .cc = k->cc,
				  .pool = h_pool(),
				  .tx = lb_tx,
				  .event = lb_event,
				  .rto_min_us = 20000,
				  .msl_us = 100000,
				  .rcv_buf = k->rcv_buf,
				  .snd_buf = k->snd_buf,
				  .secret = {1, 2}};
	uint64_t t;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.peer = &b;
	b.peer = &a;
	a.rng = 88172645463325252ull ^ k->seed;
	b.rng = 1442695040888963407ull ^ (k->seed * 7);
	b.slow_read = k->slow_read;
	a.loss_ppm = b.loss_ppm = k->loss_ppm;
	a.reorder_ppm = b.reorder_ppm = k->reorder_ppm;
	a.dup_ppm = b.dup_ppm = k->dup_ppm;
	a.to_send = k->bytes;
	p.local_ip = H_LOCAL_IP;
	p.tx_ctx = p.event_ctx = &a;
	p.resolve = NULL;
	a.s = sl_tcp_create(&p);
	p.local_ip = H_PEER_IP;
	p.tx_ctx = p.event_ctx = &b;
	b.s = sl_tcp_create(&p);
	assert_non_null(a.s);
	assert_non_null(b.s);
	assert_int_equal(sl_tcp_listen(b.s, 7000, 64), 0);
	/* No resolver in A: connect by hand through a stack with one. */
	{
		struct sl_tcp_params pa = p;

		sl_tcp_destroy(&a.s);
		pa.local_ip = H_LOCAL_IP;
		pa.tx_ctx = pa.event_ctx = &a;
		pa.resolve = lb_resolve;
		a.s = sl_tcp_create(&pa);
	}
	a.now = b.now = 1000000;
	assert_non_null(sl_tcp_connect(a.s, H_PEER_IP, 7000, 0, NULL, a.now));
	for (t = 0; t < 20000000 && !(a.closed && b.closed); t++) {
		a.now += 100;
		b.now = a.now;
		lb_deliver(&b);
		lb_deliver(&a);
		sl_tcp_timers(a.s, a.now);
		sl_tcp_timers(b.s, b.now);
		lb_push(&a);
		if (b.slow_read != 0 && b.c != NULL)
			lb_read(&b, b.c, b.slow_read);
	}
	if (b.rcvd != k->bytes || b.mismatch != 0 || !a.closed || !b.closed || a.closed_err != 0)
		fail_msg("%s: t %lu rcvd %lu/%lu mismatch %d closed %d/%d err %d resets %d/%d",
			 k->name, (unsigned long)t, (unsigned long)b.rcvd, (unsigned long)k->bytes,
			 b.mismatch, a.closed, b.closed, a.closed_err, a.resets, b.resets);
	{
		struct sl_tcp_stats sa, sb;

		sl_tcp_stats_get(a.s, &sa);
		sl_tcp_stats_get(b.s, &sb);
		print_message("%-28s %8lu bytes in %6.3f s virtual: segs %lu/%lu retrans %lu "
			      "rto %lu fastrec %lu sackrec %lu ooo %lu\n",
			      k->name, (unsigned long)b.rcvd, (double)t * 100 / 1e6,
			      (unsigned long)sa.segs_out, (unsigned long)sb.segs_out,
			      (unsigned long)sa.retrans_segs, (unsigned long)sa.rto_timeouts,
			      (unsigned long)sa.fast_retrans, (unsigned long)sa.sack_recoveries,
			      (unsigned long)sb.ooo_segs);
		/* Loss must have been repaired by retransmission, not luck (the
		 * fixed cases lose enough frames for that to be certain). */
		if (k->loss_ppm >= 10000 && k->seed == 0)
			assert_true(sa.retrans_segs > 0);
	}
	lb_deliver(&a);
	lb_deliver(&b);
	sl_tcp_destroy(&a.s);
	sl_tcp_destroy(&b.s);
	lb_drop_queued(&a);
	lb_drop_queued(&b);
	assert_int_equal(rte_mempool_in_use_count(h_pool()), 0);
}

/* Randomised end-to-end runs: loss, reordering, duplication, options,
 * congestion control, buffer sizes and a reader slower than the link. */
static void test_loopback_randomised(void **state)
{
	uint64_t r = 0x9e3779b97f4a7c15ull;
	static const uint32_t bufs[] = {2048, 8192, 65536, 300000};
	static const uint32_t reads[] = {0, 0, 200, 3000};
	unsigned int runs = 24;

	(void)state;
	if (getenv("SL_TCP_STRESS_RUNS") != NULL)
		runs = (unsigned int)strtoul(getenv("SL_TCP_STRESS_RUNS"), NULL, 0);
	for (unsigned int i = 0; i < runs; i++) {
		struct lb_case k;
		char name[64];

		r = r * 6364136223846793005ull + 1442695040888963407ull;
		memset(&k, 0, sizeof(k));
		snprintf(name, sizeof(name), "random #%u", i);
		k.name = name;
		k.seed = r;
		k.loss_ppm = (uint32_t)((r >> 8) % 30000);
		k.reorder_ppm = (uint32_t)((r >> 20) % 50000);
		k.dup_ppm = (uint32_t)((r >> 30) % 10000);
		k.flags = (uint32_t)((r >> 40) & 7) << 3; /* NO_SACK / NO_TS / NO_WSCALE */
		k.cc = (r >> 43) & 1 ? &sl_tcp_cc_cubic : NULL;
		k.rcv_buf = bufs[(r >> 44) & 3];
		k.snd_buf = bufs[(r >> 46) & 3];
		k.slow_read = reads[(r >> 48) & 3];
		k.bytes = 200000 + (r >> 50) % 100000;
		lb_run(&k);
	}
}

static void test_loopback_transfer(void **state)
{
	static const struct lb_case cases[] = {
		{"clean", 0, NULL, 0, 4 << 20},
		{"loss 1% newreno sack", 0, NULL, 10000, 2 << 20},
		{"loss 1% newreno no-sack", SL_TCP_F_NO_SACK, NULL, 10000, 2 << 20},
		{"loss 1% cubic", 0, &sl_tcp_cc_cubic, 10000, 2 << 20},
		{"reorder 5% dup 1% loss 1%", 0, NULL, 10000, 2 << 20, 50000, 10000},
		{"reorder+dup no-sack cubic", SL_TCP_F_NO_SACK, &sl_tcp_cc_cubic, 10000, 1 << 20,
		 50000, 10000},
		{"loss 5% no options",
		 SL_TCP_F_NO_SACK | SL_TCP_F_NO_TIMESTAMPS | SL_TCP_F_NO_WSCALE, NULL, 50000,
		 512 << 10},
	};

	(void)state;
	for (size_t i = 0; i < SL_ARRAY_SIZE(cases); i++)
		lb_run(&cases[i]);
}

/* ------------------------------------- many concurrent echo connections -- */

#define EC_N     1000
#define EC_BYTES 6000

struct ec_side {
	struct lb_end link; /* reuses the lossy in-memory link */
	int server;
	uint32_t sent[EC_N], rcvd[EC_N];
	int done[EC_N];
	unsigned int finished, bad;
};

static void ec_client_push(struct ec_side *e, struct sl_tcp_conn *c, unsigned int i)
{
	while (e->sent[i] < EC_BYTES) {
		int r = sl_tcp_send(c, pattern + i + e->sent[i], EC_BYTES - e->sent[i],
				    e->link.now);

		if (r <= 0)
			return;
		e->sent[i] += (uint32_t)r;
	}
	sl_tcp_shutdown(c, e->link.now);
}

/* Echo what was read, consuming only what the send buffer took: input that
 * cannot be answered stays queued and closes the client's window. */
static void ec_server_echo(struct ec_side *e, struct sl_tcp_conn *c)
{
	uint8_t buf[2048];

	for (;;) {
		uint32_t n = sl_tcp_peek(c, 0, buf, SL_MIN(sizeof(buf), sl_tcp_send_space(c)));
		int r;

		if (n == 0)
			break;
		r = sl_tcp_send(c, buf, n, e->link.now);
		if (r <= 0)
			break;
		sl_tcp_consume(c, (uint32_t)r, e->link.now);
	}
	if (sl_tcp_eof(c) && sl_tcp_readable(c) == 0) {
		sl_tcp_close(c, e->link.now);
		e->finished++;
	}
}

static void ec_event(void *ctx, struct sl_tcp_conn *c, enum sl_tcp_event ev, int err)
{
	struct ec_side *e = ctx;
	unsigned int i = (unsigned int)(uintptr_t)sl_tcp_conn_udata(c);
	uint8_t buf[2048];

	(void)err;
	if (e->server) {
		if (ev == SL_TCP_EV_READABLE || ev == SL_TCP_EV_WRITABLE)
			ec_server_echo(e, c);
		else if (ev == SL_TCP_EV_CLOSED || ev == SL_TCP_EV_RESET)
			e->bad++;
		return;
	}
	switch (ev) {
	case SL_TCP_EV_CONNECTED:
	case SL_TCP_EV_WRITABLE:
		ec_client_push(e, c, i);
		break;
	case SL_TCP_EV_READABLE:
		for (;;) {
			uint32_t n = sl_tcp_peek(c, 0, buf, sizeof(buf));

			if (n == 0)
				break;
			if (memcmp(buf, pattern + i + e->rcvd[i], n) != 0)
				e->bad++;
			e->rcvd[i] += n;
			sl_tcp_consume(c, n, e->link.now);
		}
		if (sl_tcp_eof(c) && !e->done[i]) {
			e->done[i] = 1;
			if (e->rcvd[i] == EC_BYTES)
				e->finished++;
			else
				e->bad++;
			sl_tcp_close(c, e->link.now);
		}
		break;
	default:
		e->bad++;
		break;
	}
}

/* ------------------------------------------------------------- pacing -- */

/*
 * Runs `ms` milliseconds of virtual time in 1 ms steps; the peer ACKs all it
 * got after each step (with a full 64 KiB window) and the application keeps
 * the send buffer full, so only the pacing rate limits what leaves. Returns
 * the payload bytes sent.
 */
static uint64_t paced_run(struct harness *h, uint64_t ms)
{
	uint64_t payload = 0;
	uint32_t high = 0;

	for (uint64_t i = 0; i < ms; i++) {
		struct out_seg *d;
		uint32_t space = sl_tcp_send_space(h->conn);

		if (space > 0)
			assert_int_equal(sl_tcp_send(h->conn, pattern, space, h->now), (int)space);
		h_advance(h, 1000);
		while ((d = h_next(h)) != NULL) {
			payload += d->len;
			if (d->len > 0)
				high = d->seq + d->len;
		}
		if (high != 0)
			h_send(h, F_ACK, h->pseq, high, 65535, NULL, NULL, 0);
		while ((d = h_next(h)) != NULL) {
			payload += d->len;
			if (d->len > 0)
				high = d->seq + d->len;
		}
		h->nout = h->rd = 0; /* all read: reuse the capture array */
	}
	return payload;
}

/* Wire bytes per full segment as the pacer counts them (Ethernet, IPv4, TCP, 12 option bytes). */
#define PACED_WIRE 1526u

static void test_pacing_connection_rate(void **state)
{
	struct harness h;
	uint64_t sent, expect;

	(void)state;
	setup_plain(&h, 0);
	sl_tcp_set_pacing(h.s, 1000000, 0); /* 1 MB/s per connection */
	sent = paced_run(&h, 200);
	/* 200 ms at 1 MB/s is 200,000 wire bytes: 131 full frames' payload. */
	expect = 200000ull / PACED_WIRE * 1460;
	assert_true(sent >= expect * 9 / 10);
	assert_true(sent <= expect + 3 * 1460);
	assert_true(h_stat(&h, "paced") > 0);
	/* Live change: no cap. The same run now moves a window per step. */
	sl_tcp_set_pacing(h.s, 0, 0);
	sent = paced_run(&h, 20);
	assert_true(sent > 20 * 20000);
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

static void test_pacing_port_rate(void **state)
{
	struct harness h;
	uint64_t sent, expect;

	(void)state;
	setup_plain(&h, 0);
	sl_tcp_set_pacing(h.s, 0, 500000); /* the stack's share of the port: 500 kB/s */
	sent = paced_run(&h, 200);
	expect = 100000ull / PACED_WIRE * 1460;
	assert_true(sent >= expect * 9 / 10);
	/* The bucket saves up at most two ticks plus two frames. */
	assert_true(sent <= expect + 4 * 1460);
	/* The tighter of the two limits applies. */
	sl_tcp_set_pacing(h.s, 100000, 500000);
	sent = paced_run(&h, 200);
	expect = 20000ull / PACED_WIRE * 1460;
	assert_true(sent >= expect * 8 / 10);
	assert_true(sent <= expect + 3 * 1460);
	sl_tcp_abort(h.conn, h.now);
	h_fini(&h);
}

static void test_many_concurrent_echo(void **state)
{
	static struct ec_side a, b;
	struct sl_tcp_params p = {.pool = h_pool(),
				  .tx = lb_tx,
				  .event = ec_event,
				  .resolve = lb_resolve,
				  .max_conns = EC_N + 64,
				  .max_timewait = EC_N + 64,
				  .rto_min_us = 20000,
				  .rcv_buf = 4096,
				  .snd_buf = 4096,
				  .secret = {3, 4}};
	uint64_t t;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	b.server = 1;
	a.link.peer = &b.link;
	b.link.peer = &a.link;
	a.link.rng = 2463534242ull;
	b.link.rng = 88675123ull;
	a.link.loss_ppm = b.link.loss_ppm = 10000;
	p.local_ip = H_LOCAL_IP;
	p.tx_ctx = &a.link;
	p.event_ctx = &a;
	a.link.s = sl_tcp_create(&p);
	p.local_ip = H_PEER_IP;
	p.tx_ctx = &b.link;
	p.event_ctx = &b;
	b.link.s = sl_tcp_create(&p);
	assert_int_equal(sl_tcp_listen(b.link.s, 7000, EC_N), 0);
	a.link.now = b.link.now = 1000000;
	/* All connections open at once. */
	for (unsigned int i = 0; i < EC_N; i++)
		assert_non_null(sl_tcp_connect(a.link.s, H_PEER_IP, 7000, 0, (void *)(uintptr_t)i,
					       a.link.now));
	for (t = 0; t < 3000000 && (a.finished < EC_N || b.finished < EC_N); t++) {
		a.link.now += 100;
		b.link.now = a.link.now;
		lb_deliver(&b.link);
		lb_deliver(&a.link);
		sl_tcp_timers(a.link.s, a.link.now);
		sl_tcp_timers(b.link.s, b.link.now);
	}
	print_message("%u echo connections (1%% loss each way) done in %.3f s virtual\n", EC_N,
		      (double)t * 100 / 1e6);
	assert_int_equal(a.bad, 0);
	assert_int_equal(b.bad, 0);
	assert_int_equal(a.finished, EC_N);
	assert_int_equal(b.finished, EC_N);
	lb_deliver(&b.link);
	lb_deliver(&a.link);
	sl_tcp_destroy(&a.link.s);
	sl_tcp_destroy(&b.link.s);
	lb_drop_queued(&a.link);
	lb_drop_queued(&b.link);
	assert_int_equal(rte_mempool_in_use_count(h_pool()), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_options),
		cmocka_unit_test(test_handshake_all_combinations),
		cmocka_unit_test(test_active_open),
		cmocka_unit_test(test_connect_refused_and_unreachable),
		cmocka_unit_test(test_syn_retransmit_and_timeout),
		cmocka_unit_test(test_simultaneous_open),
		cmocka_unit_test(test_data_in_delayed_ack),
		cmocka_unit_test(test_data_out_iw_writable),
		cmocka_unit_test(test_window_consume_never_retract),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_send_wraparound),
		cmocka_unit_test(test_out_of_order_sack_blocks),
		cmocka_unit_test(test_passive_close),
		cmocka_unit_test(test_active_close_timewait),
		cmocka_unit_test(test_simultaneous_close),
		cmocka_unit_test(test_close_with_unread_data_resets),
		cmocka_unit_test(test_data_after_close_resets),
		cmocka_unit_test(test_rst_exact_resets),
		cmocka_unit_test(test_rst_in_window_challenge),
		cmocka_unit_test(test_rst_syn_received),
		cmocka_unit_test(test_closed_port_rst),
		cmocka_unit_test(test_rto_backoff_limit),
		cmocka_unit_test(test_rto_recovers_after_tx_drop),
		cmocka_unit_test(test_fast_retransmit_newreno),
		cmocka_unit_test(test_sack_recovery),
		cmocka_unit_test(test_zero_window_persist),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_timewait_reuse_and_bound),
		cmocka_unit_test(test_syn_backlog_and_cookies),
		cmocka_unit_test(test_backlog_drop_without_cookies),
		cmocka_unit_test(test_syn_cookie_expiry),
		cmocka_unit_test(test_syn_flood),
		cmocka_unit_test(test_timewait_reuse_by_timestamp),
		cmocka_unit_test(test_malformed_dropped),
		cmocka_unit_test(test_paws),
		cmocka_unit_test(test_icmp_frag_needed),
		cmocka_unit_test(test_tx_checksum_offload_flags),
		cmocka_unit_test(test_stats_names),
		cmocka_unit_test(test_idle_footprint),
		cmocka_unit_test(test_loopback_transfer),
		cmocka_unit_test(test_loopback_randomised),
		cmocka_unit_test(test_many_concurrent_echo),
		cmocka_unit_test(test_pacing_connection_rate),
		cmocka_unit_test(test_pacing_port_rate),
		cmocka_unit_test(test_timestamp_rttm),
		cmocka_unit_test(test_shutdown_before_established),
		cmocka_unit_test(test_many_connections_table),
		cmocka_unit_test(test_rst_every_state),
		cmocka_unit_test(test_cc_ops),
		cmocka_unit_test(test_zero_window_outlives_retry_limit),
		cmocka_unit_test(test_zero_window_acks_acceptable),
		cmocka_unit_test(test_zero_window_probe_taken),
		cmocka_unit_test(test_shrunk_window_ack_seq),
		cmocka_unit_test(test_shut_window_pressed_readable),
		cmocka_unit_test(test_challenge_ack_rate_limit),
		cmocka_unit_test(test_checksum_all_lengths),
		cmocka_unit_test(test_chained_rx_mbuf),
		cmocka_unit_test(test_closed_zero_window_is_bounded),
		cmocka_unit_test(test_tsc_clock_and_single_frame_hook),
		cmocka_unit_test(test_timer_budget_resumes),
	};

	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	fill_pattern();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
