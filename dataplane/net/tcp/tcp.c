/*
 * The TCP/IPv4 state machine (RFC 9293) of one stack instance.
 *
 * Design:
 * - Control blocks come from an array sized at creation (max_conns) and are
 *   linked into a chained hash table keyed by the 4-tuple. A control block
 *   holds no buffers while idle: send and receive bytes live in chains of pool
 *   mbufs (struct bufq) that exist only while bytes are queued, so an idle
 *   established connection costs sizeof(struct sl_tcp_conn) plus its bucket.
 * - Received payload is copied into compact buffer mbufs (small segments do
 *   not pin 2 KiB each), so the receive buffer bound is a byte bound and the
 *   advertised window follows it exactly.
 * - Each connection keeps absolute deadlines for its timers and sits in one
 *   slot of a hashed timing wheel keyed by the earliest; sl_tcp_timers walks
 *   the slots up to `now` with a budget of entries per call.
 * - Events are queued on the connection and delivered when the stack is about
 *   to return to the caller, so callbacks never run mid-segment and may call
 *   back into the stack. Frames go out in bursts through the tx function.
 */
/* rte_ipv4_udptcp_cksum_mbuf_verify is experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_jhash.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "dataplane/net/tcp/tcp_priv.h"

#define ST(s, f) ((s)->st.f++)

#define TCPOPT_EOL       0
#define TCPOPT_NOP       1
#define TCPOPT_MSS       2
#define TCPOPT_WS        3
#define TCPOPT_SACK_OK   4
#define TCPOPT_SACK      5
#define TCPOPT_TS        8
#define TCP_MAX_WS       14  /* RFC 7323 2.3 */
#define TCP_DEFAULT_MSS  536 /* RFC 9293 3.7.1 */
#define TCP_MIN_MSS      216
#define PAWS_IDLE_MS     (24u * 24 * 3600 * 1000) /* RFC 7323 5.5 */
#define COOKIE_PERIOD_US (64ull * 1000000)
#define HDRS_LEN         (RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr))

/* Issue 3: an idle established connection (control block + table entry)
 * costs at most 1 KiB. */
static_assert(sizeof(struct sl_tcp_conn) + sizeof(struct sl_tcp_conn *) <= 1024,
	      "control block over the per-connection budget");

static const char *const state_names[] = {
	"CLOSED",     "LISTEN",     "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
	"FIN-WAIT-2", "CLOSE-WAIT", "CLOSING",  "LAST-ACK",     "TIME-WAIT",
};

/* A parsed segment. */
struct seg {
	struct rte_mbuf *m;
	const struct rte_ether_hdr *eth;
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack, wnd;
	uint32_t len;  /* payload bytes */
	uint32_t poff; /* payload offset in the frame */
	uint8_t fl;
	uint8_t has_mss, has_ws, sack_ok, has_ts, nsack;
	uint8_t ws;
	uint16_t mss;
	uint32_t tsval, tsecr;
	uint32_t sack[4][2];
};

static void tcp_output(struct sl_tcp_conn *c, uint64_t now);
static void conn_drop(struct sl_tcp_conn *c, int err, enum sl_tcp_event ev);

/* ---------------------------------------------------------------- bufq -- */

static uint32_t bufq_append(struct sl_tcp *s, struct bufq *q, const void *buf, uint32_t len)
{
	const uint8_t *src = buf;
	uint32_t done = 0;

	while (done < len) {
		struct rte_mbuf *t = q->tail;
		uint32_t room = t != NULL ? rte_pktmbuf_tailroom(t) : 0;
		uint32_t n;

		if (room == 0) {
			t = rte_pktmbuf_alloc(s->p.pool);
			if (t == NULL)
				break;
			if (q->tail != NULL)
				q->tail->next = t;
			else
				q->head = t;
			q->tail = t;
			room = rte_pktmbuf_tailroom(t);
		}
		n = SL_MIN(room, len - done);
		memcpy(rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len), src + done, n);
		t->data_len += n;
		t->pkt_len += n;
		done += n;
	}
	q->len += done;
	return done;
}

/* Append len bytes at offset off of a (possibly chained) frame. */
static uint32_t bufq_append_mbuf(struct sl_tcp *s, struct bufq *q, const struct rte_mbuf *m,
				 uint32_t off, uint32_t len)
{
	uint32_t done = 0;

	while (m != NULL && off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	while (m != NULL && done < len) {
		uint32_t n = SL_MIN((uint32_t)m->data_len - off, len - done);
		uint32_t got = bufq_append(s, q, rte_pktmbuf_mtod_offset(m, uint8_t *, off), n);

		done += got;
		if (got < n)
			break;
		off = 0;
		m = m->next;
	}
	return done;
}

static uint32_t bufq_copy(const struct bufq *q, uint32_t off, void *buf, uint32_t len)
{
	const struct rte_mbuf *m = q->head;
	uint8_t *dst = buf;
	uint32_t done = 0;

	while (m != NULL && off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	while (m != NULL && done < len) {
		uint32_t n = SL_MIN((uint32_t)m->data_len - off, len - done);

		memcpy(dst + done, rte_pktmbuf_mtod_offset(m, const uint8_t *, off), n);
		done += n;
		off = 0;
		m = m->next;
	}
	return done;
}

static void bufq_drop(struct bufq *q, uint32_t n)
{
	n = SL_MIN(n, q->len);
	q->len -= n;
	while (n > 0 && q->head != NULL) {
		struct rte_mbuf *m = q->head;

		if (n < m->data_len) {
			rte_pktmbuf_adj(m, (uint16_t)n);
			return;
		}
		n -= m->data_len;
		q->head = m->next;
		m->next = NULL;
		rte_pktmbuf_free_seg(m);
	}
	if (q->head == NULL)
		q->tail = NULL;
}

static void bufq_free(struct bufq *q)
{
	struct rte_mbuf *m = q->head;

	while (m != NULL) {
		struct rte_mbuf *next = m->next;

		m->next = NULL;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
	q->head = q->tail = NULL;
	q->len = 0;
}

/* Copy from the send queue at off through a cursor, so that sending a large
 * window does not walk the queue from its head for every segment. */
static void sndq_copy(struct sl_tcp_conn *c, uint32_t off, uint8_t *dst, uint32_t len)
{
	struct rte_mbuf *m = c->sndq.head;
	uint32_t base = 0;

	if (c->snd_cur != NULL && off >= c->snd_cur_off) {
		m = c->snd_cur;
		base = c->snd_cur_off;
	}
	while (m != NULL && off - base >= m->data_len) {
		base += m->data_len;
		m = m->next;
	}
	c->snd_cur = m;
	c->snd_cur_off = base;
	off -= base;
	while (m != NULL && len > 0) {
		uint32_t n = SL_MIN((uint32_t)m->data_len - off, len);

		memcpy(dst, rte_pktmbuf_mtod_offset(m, const uint8_t *, off), n);
		dst += n;
		len -= n;
		off = 0;
		m = m->next;
	}
}

static void sndq_drop(struct sl_tcp_conn *c, uint32_t n)
{
	if (c->snd_cur != NULL) {
		if (n >= c->snd_cur_off + c->snd_cur->data_len)
			c->snd_cur = NULL; /* freed below */
		else if (n > c->snd_cur_off)
			c->snd_cur_off = 0; /* becomes the (trimmed) head */
		else
			c->snd_cur_off -= n;
	}
	bufq_drop(&c->sndq, n);
}

static void ooo_free(struct sl_tcp_conn *c)
{
	struct rte_mbuf *m = c->ooo;

	while (m != NULL) {
		struct rte_mbuf *next = m->next;

		m->next = NULL;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
	c->ooo = NULL;
	c->ooo_cnt = 0;
	c->ooo_bytes = 0;
}

/* --------------------------------------------------------------- table -- */

static inline uint32_t tuple_hash(const struct sl_tcp *s, uint32_t faddr, uint16_t fport,
				  uint16_t lport)
{
	return rte_jhash_3words(faddr, ((uint32_t)fport << 16) | lport, s->p.local_ip,
				(uint32_t)s->p.secret[0]);
}

static struct sl_tcp_conn *conn_lookup(struct sl_tcp *s, uint32_t faddr, uint16_t fport,
				       uint16_t lport)
{
	struct sl_tcp_conn *c = s->buckets[tuple_hash(s, faddr, fport, lport) & s->nbuckets_mask];

	for (; c != NULL; c = c->hnext)
		if (c->faddr == faddr && c->fport == fport && c->lport == lport)
			return c;
	return NULL;
}

static void conn_hash_insert(struct sl_tcp_conn *c)
{
	struct sl_tcp *s = c->stack;
	uint32_t b = tuple_hash(s, c->faddr, c->fport, c->lport) & s->nbuckets_mask;

	c->hnext = s->buckets[b];
	s->buckets[b] = c;
}

static void conn_hash_remove(struct sl_tcp_conn *c)
{
	struct sl_tcp *s = c->stack;
	struct sl_tcp_conn **pp =
		&s->buckets[tuple_hash(s, c->faddr, c->fport, c->lport) & s->nbuckets_mask];

	for (; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == c) {
			*pp = c->hnext;
			c->hnext = NULL;
			return;
		}
	}
}

static struct tcp_listener *listener_find(struct sl_tcp *s, uint16_t port)
{
	for (unsigned int i = 0; i < s->p.max_listeners; i++)
		if (s->listeners[i].used && s->listeners[i].port == port)
			return &s->listeners[i];
	return NULL;
}

/* ---------------------------------------------------------------- timers -- */

static void timer_unlink(struct sl_tcp_conn *c)
{
	struct sl_tcp *s = c->stack;

	if (c->t_deadline == 0)
		return;
	if (s->wheel_cursor == c)
		s->wheel_cursor = c->tnext;
	if (c->tprev != NULL)
		c->tprev->tnext = c->tnext;
	else
		s->wheel[((c->t_deadline + WHEEL_TICK_US - 1) / WHEEL_TICK_US) &
			 (WHEEL_SLOTS - 1)] = c->tnext;
	if (c->tnext != NULL)
		c->tnext->tprev = c->tprev;
	c->tprev = c->tnext = NULL;
	c->t_deadline = 0;
}

static inline uint64_t tmin(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

/* Re-file the connection under its earliest deadline. */
static void timer_update(struct sl_tcp_conn *c)
{
	struct sl_tcp *s = c->stack;
	uint64_t d = tmin(tmin(tmin(c->t_rexmt, c->t_persist), tmin(c->t_delack, c->t_keep)),
			  tmin(c->t_2msl, c->t_pace));
	uint64_t tick;
	uint32_t slot;

	if (d == c->t_deadline)
		return;
	timer_unlink(c);
	if (d == 0)
		return;
	/* A deadline before the wheel's position is filed at the position. */
	tick = (d + WHEEL_TICK_US - 1) / WHEEL_TICK_US;
	if (tick < s->wheel_tick) {
		tick = s->wheel_tick;
		d = tick * WHEEL_TICK_US;
	}
	c->t_deadline = d;
	slot = tick & (WHEEL_SLOTS - 1);
	c->tprev = NULL;
	c->tnext = s->wheel[slot];
	if (c->tnext != NULL)
		c->tnext->tprev = c;
	s->wheel[slot] = c;
}

static void timers_clear(struct sl_tcp_conn *c)
{
	c->t_rexmt = c->t_persist = c->t_delack = c->t_keep = c->t_2msl = c->t_pace = 0;
	timer_unlink(c);
}

static inline uint32_t rto_backed_off(const struct sl_tcp_conn *c)
{
	uint64_t r = (uint64_t)c->rto << SL_MIN(c->rxt_shift, 20);

	return (uint32_t)SL_MIN(r, (uint64_t)c->stack->p.rto_max_us);
}

/* ---------------------------------------------------------------- events -- */

static void ev_post(struct sl_tcp_conn *c, enum sl_tcp_event e)
{
	struct sl_tcp *s = c->stack;

	if (c->flags & TF_APP_CLOSED)
		return;
	c->ev |= (uint16_t)EVB(e);
	if (c->flags & TF_IN_EVQ)
		return;
	c->flags |= TF_IN_EVQ;
	c->evnext = NULL;
	if (s->evq_tail != NULL)
		s->evq_tail->evnext = c;
	else
		s->evq_head = c;
	s->evq_tail = c;
}

static void conn_free(struct sl_tcp_conn *c)
{
	struct sl_tcp *s = c->stack;

	/*
	 * Already on the free list: an application that aborts or closes a
	 * connection from inside that connection's own event callback (which
	 * the API allows) has it freed by conn_drop, and deliver_events then
	 * offers it again. Freeing twice would corrupt the free list.
	 */
	if (s == NULL)
		return;
	c->stack = NULL;
	c->hnext = s->free_list;
	s->free_list = c;
	s->nconns--;
}

static void conn_maybe_free(struct sl_tcp_conn *c)
{
	if (c->state == TCPS_CLOSED && (c->flags & TF_APP_CLOSED) && !(c->flags & TF_IN_EVQ))
		conn_free(c);
}

static void deliver_events(struct sl_tcp *s)
{
	struct sl_tcp_conn *c;

	while ((c = s->evq_head) != NULL) {
		uint16_t ev = c->ev;

		s->evq_head = c->evnext;
		if (s->evq_head == NULL)
			s->evq_tail = NULL;
		c->evnext = NULL;
		c->flags &= ~TF_IN_EVQ;
		c->ev = 0;
		for (int e = SL_TCP_EV_ACCEPT; e <= SL_TCP_EV_RESET; e++) {
			if (!(ev & EVB(e)) || (c->flags & TF_APP_CLOSED))
				continue;
			if (e == SL_TCP_EV_CLOSED || e == SL_TCP_EV_RESET) {
				/* The handle is released once this callback returns. */
				c->flags |= TF_APP_CLOSED;
				s->p.event(s->p.event_ctx, c, (enum sl_tcp_event)e, c->err);
				break;
			}
			s->p.event(s->p.event_ctx, c, (enum sl_tcp_event)e, 0);
		}
		conn_maybe_free(c);
	}
}

/* Caller time to the stack's microseconds (params.now_hz: 0 = already us). */
static inline uint64_t to_us(const struct sl_tcp *s, uint64_t t)
{
	uint64_t hz = s->p.now_hz;

	if (hz == 0)
		return t;
	return t / hz * 1000000 + t % hz * 1000000 / hz;
}

static inline void enter(struct sl_tcp *s, uint64_t now)
{
	s->depth++;
	if (now > s->now)
		s->now = now;
}

static void leave_noflush(struct sl_tcp *s)
{
	if (--s->depth != 0)
		return;
	s->depth++;
	deliver_events(s);
	s->depth--;
}

static void leave(struct sl_tcp *s)
{
	leave_noflush(s);
	if (s->depth == 0)
		sl_tcp_flush(s);
}

/* ---------------------------------------------------------------- output -- */

void sl_tcp_flush(struct sl_tcp *s)
{
	uint16_t n = s->txn, sent;

	if (n == 0)
		return;
	s->txn = 0;
	sent = s->p.tx(s->p.tx_ctx, s->txbuf, n);
	for (uint16_t i = sent; i < n; i++) {
		rte_pktmbuf_free(s->txbuf[i]);
		ST(s, tx_drops);
	}
}

static void tx_enqueue(struct sl_tcp *s, struct rte_mbuf *m)
{
	s->txbuf[s->txn++] = m;
	if (s->txn == TXBUF_MAX)
		sl_tcp_flush(s);
}

/* Allocate a frame and fill Ethernet + IPv4; returns the TCP header. */
static struct rte_tcp_hdr *frame_start(struct sl_tcp *s, struct rte_mbuf **mp,
				       const struct rte_ether_addr *dmac, uint32_t daddr,
				       uint32_t tcplen)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(s->p.pool);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;

	if (m == NULL) {
		ST(s, drop_nomem);
		return NULL;
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(HDRS_LEN + tcplen));
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		ST(s, drop_nomem);
		return NULL;
	}
	rte_ether_addr_copy(dmac, &eth->dst_addr);
	rte_ether_addr_copy(&s->p.local_mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + tcplen));
	ip->packet_id = rte_cpu_to_be_16(s->ip_id++);
	/* DF set: path MTU discovery (RFC 1191). */
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->hdr_checksum = 0;
	ip->src_addr = rte_cpu_to_be_32(s->p.local_ip);
	ip->dst_addr = rte_cpu_to_be_32(daddr);
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = sizeof(*ip);
	*mp = m;
	return (struct rte_tcp_hdr *)(ip + 1);
}

/* Internet checksum (RFC 1071) summed 32 bits at a time into a 64-bit
 * accumulator: the one's-complement sum does not depend on the word size
 * (RFC 1071 2(B)), and this is several times faster than 16-bit steps. */
static inline uint64_t csum_add(const void *buf, uint32_t len, uint64_t sum)
{
	const uint8_t *p = buf;

	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		sum += (uint32_t)v;
		sum += v >> 32;
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t v;

		memcpy(&v, p, 4);
		sum += v;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t v;

		memcpy(&v, p, 2);
		sum += v;
		p += 2;
		len -= 2;
	}
	if (len > 0) {
		uint16_t v = 0;

		memcpy(&v, p, 1);
		sum += v;
	}
	return sum;
}

static inline uint16_t csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Sum of the RFC 9293 3.1 pseudo-header and the segment (tcplen bytes). */
static inline uint16_t tcp_sum(const struct rte_ipv4_hdr *ip, const void *th, uint32_t tcplen)
{
	uint64_t sum = (uint64_t)ip->src_addr + ip->dst_addr + rte_cpu_to_be_16(IPPROTO_TCP) +
		       rte_cpu_to_be_16((uint16_t)tcplen);

	return csum_fold(csum_add(th, tcplen, sum));
}

static void frame_finish(struct sl_tcp *s, struct rte_mbuf *m, struct rte_tcp_hdr *th)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)((uint8_t *)th - sizeof(*ip));

	th->cksum = 0;
	if (s->p.flags & SL_TCP_F_TX_CKSUM_OFFLOAD) {
		m->ol_flags |=
			RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
		m->l4_len = (uint8_t)((th->data_off >> 4) * 4);
		th->cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
	} else {
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		th->cksum = (uint16_t)~tcp_sum(
			ip, th, rte_be_to_cpu_16(ip->total_length) - (uint32_t)sizeof(*ip));
	}
	ST(s, segs_out);
	tx_enqueue(s, m);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(p, &v, 4);
}

static inline uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

static unsigned int opt_ts(const struct sl_tcp_conn *c, uint8_t *o, uint64_t now)
{
	o[0] = TCPOPT_NOP;
	o[1] = TCPOPT_NOP;
	o[2] = TCPOPT_TS;
	o[3] = 10;
	put32(o + 4, tcp_ts_now(now));
	put32(o + 8, c->ts_recent);
	return 12;
}

/* SACK blocks from the out-of-order queue (RFC 2018 4): merged ranges, the
 * one holding the most recently received segment first. */
static unsigned int sack_blocks(const struct sl_tcp_conn *c, uint32_t blk[][2], unsigned int max)
{
	uint32_t r[OOO_MAX][2];
	unsigned int nr = 0, n = 0, first = 0;

	for (const struct rte_mbuf *m = c->ooo; m != NULL; m = m->next) {
		uint32_t a = m->hash.usr, b = a + m->data_len;

		if (nr > 0 && SEQ_LEQ(a, r[nr - 1][1])) {
			if (SEQ_GT(b, r[nr - 1][1]))
				r[nr - 1][1] = b;
		} else {
			r[nr][0] = a;
			r[nr][1] = b;
			nr++;
		}
	}
	for (unsigned int i = 0; i < nr; i++)
		if (SEQ_GEQ(c->ooo_last, r[i][0]) && SEQ_LT(c->ooo_last, r[i][1]))
			first = i;
	if (nr == 0)
		return 0;
	blk[n][0] = r[first][0];
	blk[n][1] = r[first][1];
	n++;
	for (unsigned int i = 0; i < nr && n < max; i++) {
		if (i == first)
			continue;
		blk[n][0] = r[i][0];
		blk[n][1] = r[i][1];
		n++;
	}
	return n;
}

/* Receive window to advertise (unscaled bytes) and the new right edge.
 * RFC 9293 3.8.6.2.2: the right edge only moves by at least
 * min(RCV.BUFF / 2, Eff.snd.MSS), and never moves left (3.8.6, "shrinking the
 * window is strongly discouraged"). */
static uint32_t rcv_window(struct sl_tcp_conn *c)
{
	const struct sl_tcp *s = c->stack;
	uint32_t space = s->p.rcv_buf > c->rcvq.len ? s->p.rcv_buf - c->rcvq.len : 0;
	uint32_t cur = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	uint32_t max = (uint32_t)65535 << c->rcv_wscale;
	uint32_t win = cur;

	space = SL_MIN(space, max);
	if (space > cur && space - cur >= SL_MIN(s->p.rcv_buf / 2, (uint32_t)s->p.mss))
		win = space;
	else if (space > cur && cur == 0 && space == s->p.rcv_buf)
		win = space;
	return win;
}

static uint16_t window_field(struct sl_tcp_conn *c, bool syn)
{
	uint32_t win = rcv_window(c);
	uint32_t field;

	if (syn) {
		/* RFC 7323 2.2: the window in a SYN is never scaled. */
		field = SL_MIN(win, 65535u);
		win = field;
	} else {
		field = SL_MIN(win >> c->rcv_wscale, 65535u);
		if (SEQ_LT(c->rcv_nxt + (field << c->rcv_wscale), c->rcv_adv))
			field = SL_MIN((win + (1u << c->rcv_wscale) - 1) >> c->rcv_wscale, 65535u);
		win = field << c->rcv_wscale;
	}
	if (SEQ_GT(c->rcv_nxt + win, c->rcv_adv))
		c->rcv_adv = c->rcv_nxt + win;
	return (uint16_t)field;
}

/* Build and queue one segment of connection c: seq, flags, and len payload
 * bytes taken from the send queue at seq. */
static int emit(struct sl_tcp_conn *c, uint32_t seq, uint8_t fl, uint32_t len, uint64_t now)
{
	struct sl_tcp *s = c->stack;
	uint8_t opt[40];
	unsigned int ol = 0;
	struct rte_tcp_hdr *th;
	struct rte_mbuf *m;

	if (fl & RTE_TCP_SYN_FLAG) {
		/* RFC 9293 3.7.1 MSS; RFC 7323 2 WS and TS; RFC 2018 2 SACK-permitted. */
		opt[ol++] = TCPOPT_MSS;
		opt[ol++] = 4;
		opt[ol++] = (uint8_t)(s->p.mss >> 8);
		opt[ol++] = (uint8_t)s->p.mss;
		if (c->flags & TF_TS) {
			if (c->flags & TF_SACK) {
				/* SACK_OK takes the place of the two NOPs before TS. */
				opt_ts(c, opt + ol, now);
				opt[ol] = TCPOPT_SACK_OK;
				opt[ol + 1] = 2;
				ol += 12;
			} else {
				ol += opt_ts(c, opt + ol, now);
			}
		} else if (c->flags & TF_SACK) {
			opt[ol++] = TCPOPT_NOP;
			opt[ol++] = TCPOPT_NOP;
			opt[ol++] = TCPOPT_SACK_OK;
			opt[ol++] = 2;
		}
		if (c->flags & TF_WS) {
			opt[ol++] = TCPOPT_NOP;
			opt[ol++] = TCPOPT_WS;
			opt[ol++] = 3;
			opt[ol++] = c->rcv_wscale;
		}
	} else {
		if (c->flags & TF_TS)
			ol += opt_ts(c, opt + ol, now);
		if ((c->flags & TF_SACK) && c->ooo != NULL && (fl & RTE_TCP_ACK_FLAG) &&
		    !(fl & RTE_TCP_RST_FLAG)) {
			uint32_t blk[4][2];
			unsigned int nb = sack_blocks(c, blk, (c->flags & TF_TS) ? 3 : 4);

			/*
			 * RFC 9293 3.7.1: options and data together must fit the
			 * MSS. c->mss already leaves room for timestamps, so a data
			 * segment carries only the SACK blocks that fit beside its
			 * data (4 bytes NOP NOP kind len, 8 per block), possibly
			 * none; pure ACKs carry them all (RFC 2018 4).
			 */
			if (len > 0) {
				uint32_t room = c->mss > len ? c->mss - len : 0;
				unsigned int fit = room >= 12 ? (room - 4) / 8 : 0;

				if (nb > fit)
					nb = fit;
			}
			if (nb > 0) {
				opt[ol++] = TCPOPT_NOP;
				opt[ol++] = TCPOPT_NOP;
				opt[ol++] = TCPOPT_SACK;
				opt[ol++] = (uint8_t)(2 + 8 * nb);
				for (unsigned int i = 0; i < nb; i++) {
					put32(opt + ol, blk[i][0]);
					put32(opt + ol + 4, blk[i][1]);
					ol += 8;
				}
			}
		}
	}
	th = frame_start(s, &m, &c->peer_mac, c->faddr, (uint32_t)sizeof(*th) + ol + len);
	if (th == NULL)
		return -ENOMEM;
	th->src_port = rte_cpu_to_be_16(c->lport);
	th->dst_port = rte_cpu_to_be_16(c->fport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = (fl & RTE_TCP_ACK_FLAG) ? rte_cpu_to_be_32(c->rcv_nxt) : 0;
	th->data_off = (uint8_t)(((sizeof(*th) + ol) / 4) << 4);
	th->tcp_flags = fl;
	th->rx_win = rte_cpu_to_be_16(window_field(c, (fl & RTE_TCP_SYN_FLAG) != 0));
	th->tcp_urp = 0;
	memcpy(th + 1, opt, ol);
	if (len > 0) {
		sndq_copy(c, seq - c->snd_una, (uint8_t *)(th + 1) + ol, len);
		s->st.bytes_out += len;
	}
	if (fl & RTE_TCP_ACK_FLAG) {
		c->last_ack_sent = c->rcv_nxt;
		c->flags &= ~(TF_ACK_NOW | TF_DELACK);
		c->t_delack = 0;
	}
	if (fl & RTE_TCP_RST_FLAG)
		ST(s, rst_out);
	frame_finish(s, m, th);
	return 0;
}

/* RFC 9293 3.10.7.1: reset for a segment that has no connection.
 * <SEQ=SEG.ACK><CTL=RST> if ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
static void send_rst_reply(struct sl_tcp *s, const struct seg *g)
{
	struct rte_tcp_hdr *th;
	struct rte_mbuf *m;
	uint32_t seglen;

	if (g->fl & RTE_TCP_RST_FLAG)
		return;
	th = frame_start(s, &m, &g->eth->src_addr, g->saddr, sizeof(*th));
	if (th == NULL)
		return;
	seglen = g->len + !!(g->fl & RTE_TCP_SYN_FLAG) + !!(g->fl & RTE_TCP_FIN_FLAG);
	th->src_port = rte_cpu_to_be_16(g->dport);
	th->dst_port = rte_cpu_to_be_16(g->sport);
	if (g->fl & RTE_TCP_ACK_FLAG) {
		th->sent_seq = rte_cpu_to_be_32(g->ack);
		th->recv_ack = 0;
		th->tcp_flags = RTE_TCP_RST_FLAG;
	} else {
		th->sent_seq = 0;
		th->recv_ack = rte_cpu_to_be_32(g->seq + seglen);
		th->tcp_flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	}
	th->data_off = (uint8_t)((sizeof(*th) / 4) << 4);
	th->rx_win = 0;
	th->tcp_urp = 0;
	ST(s, rst_out);
	frame_finish(s, m, th);
}

static inline uint32_t fin_seq(const struct sl_tcp_conn *c)
{
	return c->snd_una + c->sndq.len;
}

static inline bool fin_acked(const struct sl_tcp_conn *c)
{
	return (c->flags & TF_FIN_ACKED) != 0;
}

/*
 * Sequence number of a segment without text (pure ACK, RST). RFC 9293
 * 3.10.7.4: the peer accepts it only if SEG.SEQ lies in its receive window,
 * and with a zero window only if SEG.SEQ = RCV.NXT; an unacceptable segment
 * is dropped whole, its ACK and window fields unread. So it never carries a
 * number beyond the right edge the peer advertised (SND.UNA + SND.WND), even
 * when SND.NXT is past it (a window that shrank under data in flight).
 * Before the handshake completes SND.WND is not known: SND.NXT.
 */
static inline uint32_t ctl_seq(const struct sl_tcp_conn *c)
{
	uint32_t edge = c->snd_una + c->snd_wnd;

	if (c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED || SEQ_LEQ(c->snd_nxt, edge))
		return c->snd_nxt;
	return edge;
}

/* Send payload [seq, seq+len) (and FIN if it ends at the FIN). */
static void xmit_data(struct sl_tcp_conn *c, uint32_t seq, uint32_t len, uint64_t now)
{
	uint8_t fl = RTE_TCP_ACK_FLAG;

	if (len > 0)
		fl |= RTE_TCP_PSH_FLAG;
	if ((c->flags & (TF_FIN_QUEUED | TF_FIN_ACKED)) == TF_FIN_QUEUED && seq + len == fin_seq(c))
		fl |= RTE_TCP_FIN_FLAG;
	if (SEQ_LT(seq, c->snd_max))
		ST(c->stack, retrans_segs);
	emit(c, seq, fl, len, now);
}

/* ------------------------------------------------------- SACK scoreboard -- */

static void sb_prune(struct sl_tcp_conn *c)
{
	unsigned int j = 0;

	c->sacked = 0;
	for (unsigned int i = 0; i < c->nsack; i++) {
		if (SEQ_LEQ(c->sack[i][1], c->snd_una))
			continue;
		if (SEQ_LT(c->sack[i][0], c->snd_una))
			c->sack[i][0] = c->snd_una;
		c->sack[j][0] = c->sack[i][0];
		c->sack[j][1] = c->sack[i][1];
		c->sacked += c->sack[j][1] - c->sack[j][0];
		j++;
	}
	c->nsack = (uint8_t)j;
}

/* RFC 6675 2 / RFC 2018 4: record SACKed ranges, merged and sorted. */
static void sb_update(struct sl_tcp_conn *c, const struct seg *g)
{
	for (unsigned int k = 0; k < g->nsack; k++) {
		uint32_t a = g->sack[k][0], b = g->sack[k][1];
		unsigned int i, j;

		if (!SEQ_LT(a, b) || SEQ_LEQ(b, c->snd_una) || SEQ_GT(b, c->snd_max))
			continue;
		if (SEQ_LT(a, c->snd_una))
			a = c->snd_una;
		/* Merge every overlapping/adjacent block into [a, b). */
		for (i = 0, j = 0; i < c->nsack; i++) {
			if (SEQ_LEQ(c->sack[i][0], b) && SEQ_GEQ(c->sack[i][1], a)) {
				if (SEQ_LT(c->sack[i][0], a))
					a = c->sack[i][0];
				if (SEQ_GT(c->sack[i][1], b))
					b = c->sack[i][1];
				continue;
			}
			c->sack[j][0] = c->sack[i][0];
			c->sack[j][1] = c->sack[i][1];
			j++;
		}
		c->nsack = (uint8_t)j;
		if (c->nsack == SACK_MAX) {
			/* Forget the lowest block: the hole only looks larger. */
			memmove(c->sack[0], c->sack[1], sizeof(c->sack[0]) * (SACK_MAX - 1));
			c->nsack--;
		}
		for (i = c->nsack; i > 0 && SEQ_GT(c->sack[i - 1][0], a); i--) {
			c->sack[i][0] = c->sack[i - 1][0];
			c->sack[i][1] = c->sack[i - 1][1];
		}
		c->sack[i][0] = a;
		c->sack[i][1] = b;
		c->nsack++;
	}
	sb_prune(c);
}

static uint32_t sb_sacked_above(const struct sl_tcp_conn *c, uint32_t seq)
{
	uint32_t n = 0;

	for (unsigned int i = 0; i < c->nsack; i++)
		if (SEQ_GT(c->sack[i][1], seq))
			n += c->sack[i][1] - (SEQ_GT(c->sack[i][0], seq) ? c->sack[i][0] : seq);
	return n;
}

/* RFC 6675 4 IsLost: DupThresh (3) segments' worth SACKed above seq. */
static inline bool sb_is_lost(const struct sl_tcp_conn *c, uint32_t seq)
{
	return sb_sacked_above(c, seq) > 2u * c->mss;
}

/* RFC 6675 4 SetPipe, evaluated per hole. */
static uint32_t sb_pipe(const struct sl_tcp_conn *c)
{
	uint32_t pipe = 0, a = c->snd_una;

	for (unsigned int i = 0; i <= c->nsack; i++) {
		uint32_t b = i < c->nsack ? c->sack[i][0] : c->snd_max;

		if (SEQ_LT(a, b)) {
			if (!sb_is_lost(c, a))
				pipe += b - a;
			if (SEQ_GT(c->high_rxt, a))
				pipe += (SEQ_LT(c->high_rxt, b) ? c->high_rxt : b) - a;
		}
		if (i < c->nsack)
			a = c->sack[i][1];
	}
	return pipe;
}

/* RFC 6675 4 NextSeg: rule 1 (lost_only) is the first lost, unSACKed byte
 * above HighRxt; rule 3 the first unSACKed byte above HighRxt below the
 * highest SACKed one, lost or not. */
static bool sb_next_seg(const struct sl_tcp_conn *c, uint32_t *seq, uint32_t *len, bool lost_only)
{
	uint32_t a = c->snd_una;

	for (unsigned int i = 0; i < c->nsack; i++) {
		uint32_t b = c->sack[i][0];
		uint32_t st = SEQ_GT(c->high_rxt, a) ? c->high_rxt : a;

		if (SEQ_LT(st, b) && (!lost_only || sb_is_lost(c, st))) {
			*seq = st;
			*len = SL_MIN(b - st, (uint32_t)c->mss);
			return true;
		}
		a = c->sack[i][1];
	}
	return false;
}

/* --------------------------------------------------------- send machinery -- */

static inline bool can_send_data(const struct sl_tcp_conn *c)
{
	return c->state == TCPS_ESTABLISHED || c->state == TCPS_CLOSE_WAIT ||
	       c->state == TCPS_FIN_WAIT_1 || c->state == TCPS_CLOSING || c->state == TCPS_LAST_ACK;
}

static void arm_rexmt(struct sl_tcp_conn *c, uint64_t now)
{
	/* RFC 6298 5.1: start the timer if it is not running. */
	if (c->t_rexmt == 0)
		c->t_rexmt = now + rto_backed_off(c);
}

/* ------------------------------------------------------------- pacing -- */

#define PACE_SLACK_US       WHEEL_TICK_US /* a departure this close counts as now */
#define PACE_FRAME_OVERHEAD (HDRS_LEN + sizeof(struct rte_tcp_hdr) + 12)

static void pace_refill(struct sl_tcp *s, uint64_t now)
{
	/* At most two ticks' worth (and two full frames) saved up: bursts stay short. */
	int64_t cap = (int64_t)(s->pace_port_bps * 2 * WHEEL_TICK_US / 1000000u) +
		      2 * (int64_t)(s->p.mss + PACE_FRAME_OVERHEAD);

	if (now > s->pace_refill_us) {
		s->pace_tokens +=
			(int64_t)((now - s->pace_refill_us) * s->pace_port_bps / 1000000u);
		s->pace_refill_us = now;
	}
	if (s->pace_tokens > cap)
		s->pace_tokens = cap;
}

/*
 * May a segment of len payload bytes leave now? If not, the connection's
 * pacing timer is set to when it may, and the caller stops sending.
 */
static bool pace_allows(struct sl_tcp_conn *c, uint32_t len, uint64_t now)
{
	struct sl_tcp *s = c->stack;
	uint64_t at = 0;

	if (sl_likely(s->pace_conn_bps == 0 && s->pace_port_bps == 0))
		return true;
	if (s->pace_conn_bps != 0 && c->pace_next > now + PACE_SLACK_US)
		at = c->pace_next - PACE_SLACK_US;
	if (s->pace_port_bps != 0) {
		int64_t wire = (int64_t)(len + PACE_FRAME_OVERHEAD);

		pace_refill(s, now);
		if (s->pace_tokens < wire) {
			uint64_t t = now + ((uint64_t)(wire - s->pace_tokens) * 1000000u +
					    s->pace_port_bps - 1) /
						   s->pace_port_bps;

			at = SL_MAX(at, t);
		}
	}
	if (at == 0)
		return true;
	c->t_pace = at;
	ST(s, paced);
	return false;
}

static void pace_charge(struct sl_tcp_conn *c, uint32_t len, uint64_t now)
{
	struct sl_tcp *s = c->stack;
	uint64_t wire = len + PACE_FRAME_OVERHEAD;

	if (s->pace_conn_bps != 0)
		c->pace_next = SL_MAX(c->pace_next, now) + wire * 1000000u / s->pace_conn_bps;
	if (s->pace_port_bps != 0)
		s->pace_tokens -= (int64_t)wire;
}

void sl_tcp_set_pacing(struct sl_tcp *s, uint64_t conn_rate, uint64_t port_rate)
{
	if (port_rate != s->pace_port_bps) {
		s->pace_port_bps = port_rate;
		s->pace_tokens = 0;
		s->pace_refill_us = s->now;
	}
	s->pace_conn_bps = conn_rate;
}

/* Send new data (and FIN) allowed by min(cwnd, snd_wnd); returns segments. */
static unsigned int send_new(struct sl_tcp_conn *c, uint32_t budget_bytes, uint64_t now)
{
	unsigned int segs = 0;

	for (;;) {
		uint32_t off = c->snd_nxt - c->snd_una;
		uint32_t avail = c->sndq.len > off ? c->sndq.len - off : 0;
		uint32_t len = SL_MIN(SL_MIN(avail, budget_bytes), (uint32_t)c->mss);
		bool fin = (c->flags & (TF_FIN_QUEUED | TF_FIN_ACKED)) == TF_FIN_QUEUED &&
			   SEQ_LEQ(c->snd_nxt, fin_seq(c)) && c->snd_nxt + len == fin_seq(c);

		if (len == 0 && !fin)
			break;
		/* RFC 9293 3.8.6.2.1 sender SWS avoidance (no Nagle: the
		 * request/response application wants every byte out). */
		uint32_t inflight = c->snd_nxt - c->snd_una;
		uint32_t peer_room = c->snd_wnd > inflight ? c->snd_wnd - inflight : 0;

		if (len < c->mss && len < avail && peer_room <= len && len < c->max_sndwnd / 2 &&
		    inflight != 0)
			break; /* window-limited: an ACK will open more */
		if (len > 0 && !pace_allows(c, len, now))
			break; /* the pacing timer sends the rest */
		if (c->snd_nxt == c->snd_max && !(c->flags & (TF_TS | TF_RTT_TIMING)) && len > 0) {
			c->flags |= TF_RTT_TIMING;
			c->rtt_seq = c->snd_nxt;
			c->rtt_start = now;
		}
		xmit_data(c, c->snd_nxt, len, now);
		pace_charge(c, len, now);
		c->snd_nxt += len + fin;
		if (fin)
			c->flags |= TF_FIN_SENT;
		if (SEQ_GT(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
		budget_bytes -= len;
		arm_rexmt(c, now);
		segs++;
		if (fin)
			break;
	}
	return segs;
}

static void tcp_output(struct sl_tcp_conn *c, uint64_t now)
{
	if (can_send_data(c)) {
		if ((c->flags & (TF_RECOVERY | TF_SACK)) == (TF_RECOVERY | TF_SACK)) {
			/* RFC 6675 5 (C): send while cwnd - pipe >= 1 SMSS. */
			for (;;) {
				uint32_t pipe = sb_pipe(c), seq, len;

				if (c->cwnd < pipe + c->mss)
					break;
				if (sb_next_seg(c, &seq, &len, true)) { /* rule 1 */
					xmit_data(c, seq, len, now);
					c->high_rxt = seq + len;
					continue;
				}
				if (send_new(c,
					     SL_MIN(c->mss,
						    c->snd_wnd > c->snd_max - c->snd_una
							    ? c->snd_wnd - (c->snd_max - c->snd_una)
							    : 0),
					     now) > 0) /* rule 2 */
					continue;
				if (sb_next_seg(c, &seq, &len, false)) { /* rule 3 */
					xmit_data(c, seq, len, now);
					c->high_rxt = seq + len;
					continue;
				}
				break;
			}
		} else {
			uint32_t wnd = SL_MIN(c->snd_wnd, c->cwnd);
			uint32_t inflight = c->snd_nxt - c->snd_una;

			send_new(c, wnd > inflight ? wnd - inflight : 0, now);
		}
		/* RFC 9293 3.8.6.1: zero window with data waiting: persist. */
		if (c->snd_wnd == 0 && c->sndq.len > c->snd_nxt - c->snd_una &&
		    c->snd_nxt == c->snd_una && c->t_persist == 0) {
			c->t_rexmt = 0;
			c->t_persist = now + rto_backed_off(c);
		}
	}
	if (c->flags & TF_ACK_NOW)
		emit(c, ctl_seq(c), RTE_TCP_ACK_FLAG, 0, now);
	timer_update(c);
}

/* ---------------------------------------------------------------- RTT/CC -- */

/* RFC 6298 2.2 and 2.3 (alpha 1/8, beta 1/4, K 4, G 1 ms). */
static void rtt_sample(struct sl_tcp_conn *c, uint32_t r)
{
	const struct sl_tcp_params *p = &c->stack->p;
	uint32_t rto;

	if (c->srtt == 0) {
		c->srtt = r;
		c->rttvar = r / 2;
	} else {
		uint32_t d = c->srtt > r ? c->srtt - r : r - c->srtt;

		c->rttvar = (3 * c->rttvar + d) / 4;
		c->srtt = (7 * c->srtt + r) / 8;
	}
	rto = c->srtt + SL_MAX(1000u, 4 * c->rttvar);
	/* RFC 6298 2.4 and 2.5: bounds. */
	c->rto = SL_MIN(SL_MAX(rto, p->rto_min_us), p->rto_max_us);
}

/* RFC 6928 2: IW = min(10*MSS, max(2*MSS, 14600)); one segment when the SYN
 * or SYN-ACK had to be retransmitted (RFC 6928 2, RFC 5681 3.1). */
static void cc_start(struct sl_tcp_conn *c)
{
	if (c->rxt_shift > 0)
		c->cwnd = c->mss;
	else
		c->cwnd = SL_MIN(10u * c->mss, SL_MAX(2u * c->mss, 14600u));
	c->ssthresh = 0x7fffffff;
	c->cc->init(c);
}

static void recovery_enter(struct sl_tcp_conn *c, uint64_t now)
{
	struct sl_tcp *s = c->stack;

	ST(s, fast_retrans);
	c->ssthresh = c->cc->ssthresh(c, now);
	c->recover = c->snd_max;
	c->flags |= TF_RECOVERY;
	c->flags &= ~TF_RTT_TIMING;
	if (c->flags & TF_SACK) {
		/* RFC 6675 5 (4.1-4.3): cwnd = ssthresh, retransmit NextSeg. */
		uint32_t seq, len;

		ST(s, sack_recoveries);
		c->cwnd = c->ssthresh;
		c->high_rxt = c->snd_una;
		if (!sb_next_seg(c, &seq, &len, true)) {
			seq = c->snd_una;
			len = SL_MIN((uint32_t)c->mss, c->snd_max - c->snd_una);
			if (c->nsack > 0)
				len = SL_MIN(len, c->sack[0][0] - c->snd_una);
		}
		len = SL_MIN(len, c->sndq.len - (seq - c->snd_una));
		xmit_data(c, seq, len, now);
		c->high_rxt = seq + len;
	} else {
		/* RFC 6582 3.2 step 2 / RFC 5681 3.2 steps 2-3. */
		uint32_t len = SL_MIN((uint32_t)c->mss, c->sndq.len);

		xmit_data(c, c->snd_una, len, now);
		c->cwnd = c->ssthresh + 3u * c->mss;
	}
}

/* An ACK that advances snd_una. */
static void ack_new(struct sl_tcp_conn *c, const struct seg *g, uint64_t now)
{
	uint32_t acked = g->ack - c->snd_una;
	uint32_t data_acked = acked;
	uint32_t flight_before = c->snd_max - c->snd_una;

	if (c->snd_una == c->iss)
		data_acked--; /* our SYN */
	if ((c->flags & TF_FIN_SENT) && SEQ_GT(g->ack, fin_seq(c))) {
		data_acked--; /* our FIN */
		c->flags |= TF_FIN_ACKED;
	}
	data_acked = SL_MIN(data_acked, c->sndq.len);
	/* RFC 7323 4.1 / RFC 6298 3: RTT from TSecr, else Karn-timed segment. */
	if ((c->flags & TF_TS) && g->has_ts && g->tsecr != 0) {
		uint32_t ms = tcp_ts_now(now) - g->tsecr;

		if (ms < 60000)
			rtt_sample(c, ms * 1000);
	} else if ((c->flags & TF_RTT_TIMING) && SEQ_GT(g->ack, c->rtt_seq)) {
		c->flags &= ~TF_RTT_TIMING;
		rtt_sample(c, (uint32_t)SL_MIN(now - c->rtt_start, (uint64_t)UINT32_MAX));
	}
	sndq_drop(c, data_acked);
	c->snd_una = g->ack;
	if (SEQ_LT(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	c->rxt_shift = 0;
	sb_prune(c);
	/* RFC 6298 5.2 and 5.3. */
	c->t_rexmt = c->snd_una == c->snd_max ? 0 : now + c->rto;
	if (c->flags & TF_RECOVERY) {
		if (SEQ_GEQ(g->ack, c->recover)) {
			/* Full ACK: RFC 6582 3.2 step 3 (1) / RFC 6675 5. */
			uint32_t flight = c->snd_max - c->snd_una;

			if (c->flags & TF_SACK)
				c->cwnd = c->ssthresh;
			else
				c->cwnd = SL_MIN(c->ssthresh,
						 SL_MAX(flight, (uint32_t)c->mss) + c->mss);
			c->flags &= ~TF_RECOVERY;
			c->dupacks = 0;
			c->cc->recovered(c, now);
		} else if (!(c->flags & TF_SACK)) {
			/* Partial ACK: RFC 6582 3.2 step 4. */
			xmit_data(c, c->snd_una, SL_MIN((uint32_t)c->mss, c->sndq.len), now);
			c->cwnd = c->cwnd > data_acked ? c->cwnd - data_acked : 0;
			if (data_acked >= c->mss)
				c->cwnd += c->mss;
			c->cwnd = SL_MAX(c->cwnd, (uint32_t)c->mss);
		}
	} else {
		c->dupacks = 0;
		/* RFC 5681 3.1: do not grow when not cwnd-limited (RFC 7661 spirit). */
		if (flight_before + c->mss >= c->cwnd || c->cwnd < c->ssthresh)
			c->cc->ack(c, data_acked, now);
	}
	if (data_acked > 0 && !(c->flags & TF_FIN_QUEUED))
		ev_post(c, SL_TCP_EV_WRITABLE);
}

/* ---------------------------------------------------------------- receive -- */

static void ooo_insert(struct sl_tcp_conn *c, const struct seg *g, uint32_t seq, uint32_t poff,
		       uint32_t len)
{
	struct sl_tcp *s = c->stack;
	struct rte_mbuf **pp = &c->ooo, *m;

	for (struct rte_mbuf *e = c->ooo; e != NULL; e = e->next) {
		uint32_t a = e->hash.usr;

		if (SEQ_LEQ(a, seq) && SEQ_GEQ(a + e->data_len, seq + len)) {
			c->ooo_last = seq; /* duplicate of queued data */
			return;
		}
	}
	if (c->ooo_cnt >= OOO_MAX) {
		ST(s, drop_ooo);
		return;
	}
	m = rte_pktmbuf_alloc(s->p.pool);
	if (m == NULL) {
		ST(s, drop_nomem);
		return;
	}
	len = SL_MIN(len, (uint32_t)rte_pktmbuf_tailroom(m));
	{
		struct bufq tmp = {m, m, 0};

		bufq_append_mbuf(s, &tmp, g->m, poff, len);
	}
	m->hash.usr = seq;
	while (*pp != NULL && SEQ_LEQ((*pp)->hash.usr, seq))
		pp = &(*pp)->next;
	m->next = *pp;
	*pp = m;
	c->ooo_cnt++;
	c->ooo_bytes += len;
	c->ooo_last = seq;
	ST(s, ooo_segs);
}

/* Move queued out-of-order data that became in order into rcvq. */
static void ooo_drain(struct sl_tcp_conn *c)
{
	struct sl_tcp *s = c->stack;
	struct rte_mbuf *m;

	while ((m = c->ooo) != NULL && SEQ_LEQ(m->hash.usr, c->rcv_nxt)) {
		uint32_t a = m->hash.usr, b = a + m->data_len;

		if (SEQ_GT(b, c->rcv_nxt)) {
			uint32_t skip = c->rcv_nxt - a;
			uint32_t n = bufq_append(s, &c->rcvq,
						 rte_pktmbuf_mtod_offset(m, uint8_t *, skip),
						 b - c->rcv_nxt);

			c->rcv_nxt += n;
			s->st.bytes_in += n;
			if (n < b - a - skip)
				break; /* out of mbufs: keep the rest queued */
		}
		c->ooo = m->next;
		m->next = NULL;
		c->ooo_cnt--;
		c->ooo_bytes -= m->data_len;
		rte_pktmbuf_free_seg(m);
	}
}

static void enter_timewait(struct sl_tcp_conn *c, uint64_t now);

/* RFC 9293 3.10.7.4 eighth: the FIN is in sequence. */
static void fin_in(struct sl_tcp_conn *c, uint64_t now)
{
	c->rcv_nxt++;
	c->flags |= TF_FIN_RCVD | TF_ACK_NOW;
	c->flags &= ~TF_OOO_FIN;
	ev_post(c, SL_TCP_EV_READABLE);
	switch (c->state) {
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
		c->state = TCPS_CLOSE_WAIT;
		break;
	case TCPS_FIN_WAIT_1:
		if (fin_acked(c))
			enter_timewait(c, now);
		else
			c->state = TCPS_CLOSING;
		break;
	case TCPS_FIN_WAIT_2:
		enter_timewait(c, now);
		break;
	case TCPS_TIME_WAIT:
		c->t_2msl = now + 2ull * c->stack->p.msl_us;
		break;
	default:
		break;
	}
}

static void rcv_data(struct sl_tcp_conn *c, const struct seg *g, uint32_t seq, uint32_t poff,
		     uint32_t len, uint64_t now)
{
	struct sl_tcp *s = c->stack;

	if (seq != c->rcv_nxt) {
		/* RFC 5681 4.2: out-of-order data is acknowledged at once. */
		ooo_insert(c, g, seq, poff, len);
		c->flags |= TF_ACK_NOW;
		return;
	}
	{
		uint32_t n = bufq_append_mbuf(s, &c->rcvq, g->m, poff, len);

		if (n < len)
			ST(s, drop_nomem);
		c->rcv_nxt += n;
		s->st.bytes_in += n;
		if (n == 0)
			return;
	}
	if (c->ooo != NULL) {
		ooo_drain(c);
		c->flags |= TF_ACK_NOW; /* RFC 5681 4.2: filling a gap */
	}
	/* RFC 9293 3.8.6.3 / RFC 5681 4.2: ACK at least every second segment,
	 * otherwise within delack_us. */
	if (c->flags & TF_DELACK) {
		c->flags |= TF_ACK_NOW;
		ST(s, delayed_acks);
	} else if (!(c->flags & TF_ACK_NOW)) {
		c->flags |= TF_DELACK;
		c->t_delack = now + s->p.delack_us;
	}
	ev_post(c, SL_TCP_EV_READABLE);
}

static void tw_unlink(struct sl_tcp_conn *c)
{
	struct sl_tcp *s = c->stack;

	if (c->twprev != NULL)
		c->twprev->twnext = c->twnext;
	else
		s->tw_head = c->twnext;
	if (c->twnext != NULL)
		c->twnext->twprev = c->twprev;
	else
		s->tw_tail = c->twprev;
	c->twnext = c->twprev = NULL;
	s->ntimewait--;
}

static void enter_timewait(struct sl_tcp_conn *c, uint64_t now)
{
	struct sl_tcp *s = c->stack;

	c->state = TCPS_TIME_WAIT;
	c->t_rexmt = c->t_persist = c->t_keep = 0;
	c->t_2msl = now + 2ull * s->p.msl_us;
	bufq_free(&c->sndq);
	c->snd_cur = NULL;
	ooo_free(c);
	c->twprev = s->tw_tail;
	c->twnext = NULL;
	if (s->tw_tail != NULL)
		s->tw_tail->twnext = c;
	else
		s->tw_head = c;
	s->tw_tail = c;
	s->ntimewait++;
	/* Bounded TIME-WAIT table: evict the oldest entry. */
	if (s->ntimewait > s->p.max_timewait && s->tw_head != c) {
		ST(s, timewait_recycled);
		conn_drop(s->tw_head, 0, SL_TCP_EV_CLOSED);
	}
	ev_post(c, SL_TCP_EV_CLOSED);
	timer_update(c);
}

/* Remove from every structure; post ev to a live handle, else free. */
static void conn_drop(struct sl_tcp_conn *c, int err, enum sl_tcp_event ev)
{
	struct sl_tcp *s = c->stack;

	if (c->flags & TF_BACKLOG) {
		struct tcp_listener *l = listener_find(s, c->listen_port);

		if (l != NULL && l->syn_rcvd > 0)
			l->syn_rcvd--;
		c->flags &= ~TF_BACKLOG;
	}
	if (c->state == TCPS_TIME_WAIT)
		tw_unlink(c);
	if (c->state != TCPS_CLOSED)
		conn_hash_remove(c);
	c->state = TCPS_CLOSED;
	timers_clear(c);
	bufq_free(&c->sndq);
	c->snd_cur = NULL;
	bufq_free(&c->rcvq);
	ooo_free(c);
	c->err = (int16_t)err;
	ev_post(c, ev);
	conn_maybe_free(c);
}

static void send_rst_conn(struct sl_tcp_conn *c, uint64_t now)
{
	/* RFC 9293 3.10.4 ABORT: <SEQ=SND.NXT><CTL=RST>. */
	emit(c, ctl_seq(c), RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, 0, now);
}

#define CHALLENGE_ACKS_PER_SEC 1000

#define OOW_ACK_INTERVAL_US 500000

/*
 * Whether an ACK answering an invalid segment (out of window, PAWS, an ACK
 * of data never sent, a challenge) may go now: at most one per connection
 * per 500 ms (Linux's tcp_invalid_ratelimit), so a flood of forged segments
 * is not reflected one for one toward the address it forges.
 */
static bool oow_ack_allowed(struct sl_tcp_conn *c, uint64_t now)
{
	if (c->oow_ack_us != 0 && now - c->oow_ack_us < OOW_ACK_INTERVAL_US) {
		ST(c->stack, oow_acks_limited);
		return false;
	}
	c->oow_ack_us = now;
	return true;
}

static void oow_ack(struct sl_tcp_conn *c, uint64_t now)
{
	if (oow_ack_allowed(c, now))
		emit(c, ctl_seq(c), RTE_TCP_ACK_FLAG, 0, now);
}

static void challenge_ack(struct sl_tcp_conn *c, uint64_t now)
{
	struct sl_tcp *s = c->stack;

	if (!oow_ack_allowed(c, now))
		return;
	/* RFC 5961 7: limit challenge ACKs per stack and second; the budget is
	 * drawn at random in [limit/2, 3*limit/2) each second, so a blind
	 * attacker cannot count another connection's challenge ACKs against a
	 * known budget (CVE-2016-5696). */
	if (now - s->challenge_epoch >= 1000000 || s->challenge_epoch == 0) {
		s->challenge_epoch = now;
		s->challenge_rng ^= s->challenge_rng << 13;
		s->challenge_rng ^= s->challenge_rng >> 7;
		s->challenge_rng ^= s->challenge_rng << 17;
		s->challenge_left = CHALLENGE_ACKS_PER_SEC / 2 +
				    (uint32_t)(s->challenge_rng % CHALLENGE_ACKS_PER_SEC);
	}
	if (s->challenge_left == 0) {
		ST(s, challenge_limited);
		return;
	}
	s->challenge_left--;
	ST(s, challenge_acks);
	emit(c, ctl_seq(c), RTE_TCP_ACK_FLAG, 0, now);
}

static void apply_syn_options(struct sl_tcp_conn *c, const struct seg *g, uint64_t now)
{
	const struct sl_tcp_params *p = &c->stack->p;

	c->peer_mss = g->has_mss ? g->mss : TCP_DEFAULT_MSS;
	if (!(g->has_ws && (c->flags & TF_WS))) {
		c->flags &= ~TF_WS;
		c->snd_wscale = c->rcv_wscale = 0;
	} else {
		c->snd_wscale = g->ws;
	}
	if (!(g->sack_ok && (c->flags & TF_SACK)))
		c->flags &= ~TF_SACK;
	if (g->has_ts && (c->flags & TF_TS)) {
		c->ts_recent = g->tsval;
		c->ts_recent_age = tcp_ts_now(now);
	} else {
		c->flags &= ~TF_TS;
	}
	c->mss = (uint16_t)SL_MIN(c->peer_mss, p->mss);
	if (c->flags & TF_TS)
		c->mss -= 12; /* RFC 6691: MSS counts no options */
	c->mss = SL_MAX(c->mss, (uint16_t)64);
}

static void syn_sent_input(struct sl_tcp_conn *c, struct seg *g, uint64_t now)
{
	struct sl_tcp *s = c->stack;
	bool ack = g->fl & RTE_TCP_ACK_FLAG;

	/* RFC 9293 3.10.7.3 first: ACK must cover our SYN and nothing more. */
	if (ack && (SEQ_LEQ(g->ack, c->iss) || SEQ_GT(g->ack, c->snd_max))) {
		send_rst_reply(s, g);
		return;
	}
	if (g->fl & RTE_TCP_RST_FLAG) {
		/* Second: a RST is acceptable only with an acceptable ACK
		 * (RFC 5961 3.2 leaves SYN-SENT to this rule). */
		if (ack) {
			ST(s, rst_in);
			ST(s, attempt_fails);
			conn_drop(c, ECONNREFUSED, SL_TCP_EV_RESET);
		}
		return;
	}
	if (!(g->fl & RTE_TCP_SYN_FLAG))
		return;
	/* Fourth: SYN. */
	c->irs = g->seq;
	c->rcv_nxt = g->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	apply_syn_options(c, g, now);
	c->snd_wnd = g->wnd; /* RFC 7323 2.2: unscaled in a SYN */
	c->max_sndwnd = c->snd_wnd;
	c->snd_wl1 = g->seq;
	c->flags |= TF_ACK_NOW;
	if (ack) {
		c->snd_una = g->ack;
		c->snd_wl2 = g->ack;
		if (c->rxt_shift == 0)
			rtt_sample(c, (uint32_t)SL_MIN(now - c->rtt_start, (uint64_t)UINT32_MAX));
		cc_start(c);
		c->rxt_shift = 0;
		c->t_rexmt = 0;
		c->state = TCPS_ESTABLISHED;
		c->flags &= ~TF_RTT_TIMING;
		if (s->p.keepidle_us != 0)
			c->t_keep = now + s->p.keepidle_us;
		if (c->flags & TF_FIN_QUEUED)
			c->state = TCPS_FIN_WAIT_1;
		ev_post(c, SL_TCP_EV_CONNECTED);
		if (g->len > 0)
			rcv_data(c, g, g->seq + 1, g->poff, g->len, now);
		c->flags |= TF_ACK_NOW;
		tcp_output(c, now);
		return;
	}
	/* Simultaneous open: SYN-RECEIVED, send <SEQ=ISS><ACK=RCV.NXT><SYN,ACK>. */
	c->state = TCPS_SYN_RECEIVED;
	emit(c, c->iss, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0, now);
	timer_update(c);
}

static void conn_input(struct sl_tcp_conn *c, struct seg *g, uint64_t now)
{
	struct sl_tcp *s = c->stack;
	uint32_t seq = g->seq, len = g->len, poff = g->poff;
	uint8_t fl = g->fl;
	uint32_t seglen = len + !!(fl & RTE_TCP_SYN_FLAG) + !!(fl & RTE_TCP_FIN_FLAG);
	uint32_t rcv_wnd = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	bool ok;

	if (c->state == TCPS_SYN_SENT) {
		syn_sent_input(c, g, now);
		return;
	}
	if (c->state == TCPS_SYN_RECEIVED && (fl & RTE_TCP_SYN_FLAG) && seq == c->irs) {
		if (!(fl & RTE_TCP_ACK_FLAG) || (c->flags & TF_PASSIVE)) {
			/* The peer retransmitted its SYN: our SYN-ACK was lost. */
			emit(c, c->iss, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0, now);
			goto out;
		}
		/* Simultaneous open (RFC 9293 Figure 8): the peer's SYN,ACK
		 * repeats its SYN; keep its ACK, drop the consumed SYN. */
		seq++;
		fl &= (uint8_t)~RTE_TCP_SYN_FLAG;
		seglen--;
	}
	c->probes = 0;
	if (s->p.keepidle_us != 0 && c->state != TCPS_TIME_WAIT)
		c->t_keep = now + s->p.keepidle_us;

	/* RFC 7323 5.3 R1 (PAWS), with the 24-day idle exception of 5.5. */
	if ((c->flags & TF_TS) && g->has_ts && !(fl & RTE_TCP_RST_FLAG) &&
	    SEQ_LT(g->tsval, c->ts_recent)) {
		if (tcp_ts_now(now) - c->ts_recent_age > PAWS_IDLE_MS) {
			c->ts_recent = g->tsval;
		} else {
			ST(s, drop_paws);
			oow_ack(c, now);
			goto out;
		}
	}

	if (c->state == TCPS_TIME_WAIT && (fl & RTE_TCP_FIN_FLAG) && !(fl & RTE_TCP_RST_FLAG) &&
	    seq + len + 1 == c->rcv_nxt) {
		/* RFC 9293 3.10.7.4 eighth, TIME-WAIT: a retransmitted FIN is
		 * ACKed and restarts the 2 MSL timeout. */
		c->t_2msl = now + 2ull * s->p.msl_us;
		emit(c, ctl_seq(c), RTE_TCP_ACK_FLAG, 0, now);
		goto out;
	}
	/* RFC 9293 3.10.7.4 first: sequence acceptability. */
	if (seglen == 0)
		ok = rcv_wnd == 0 ? seq == c->rcv_nxt
				  : SEQ_GEQ(seq, c->rcv_nxt) && SEQ_LT(seq, c->rcv_nxt + rcv_wnd);
	else if (rcv_wnd == 0)
		ok = false;
	else
		ok = (SEQ_GEQ(seq, c->rcv_nxt) && SEQ_LT(seq, c->rcv_nxt + rcv_wnd)) ||
		     (SEQ_GEQ(seq + seglen - 1, c->rcv_nxt) &&
		      SEQ_LT(seq + seglen - 1, c->rcv_nxt + rcv_wnd));
	if (rcv_wnd == 0 && c->rcvq.len > 0 && (len > 0 || seq != c->rcv_nxt) &&
	    !(fl & RTE_TCP_RST_FLAG)) {
		/* The peer presses against the window the application keeps
		 * shut (text beyond it, or a zero-window probe: RFC 9293
		 * 3.8.6.1): it has more to send. Tell the application that
		 * input waits, so one that paused its input can see a peer
		 * blocked sending to it. */
		ev_post(c, SL_TCP_EV_READABLE);
	}
	if (!ok && rcv_wnd == 0 && seq == c->rcv_nxt) {
		/* Zero window: keep the ACK/RST, drop the text (3.10.7.4). */
		ok = true;
		len = 0;
		fl &= (uint8_t)~RTE_TCP_FIN_FLAG;
		c->flags |= TF_ACK_NOW;
	}
	if (!ok) {
		ST(s, drop_outwin);
		if (fl & RTE_TCP_RST_FLAG) {
			ST(s, rst_ignored); /* RFC 5961 3.2: out of window, silently */
			return;
		}
		oow_ack(c, now);
		goto out;
	}
	/* RFC 7323 4.3: record TSval when the segment covers Last.ACK.sent. */
	if ((c->flags & TF_TS) && g->has_ts && SEQ_LEQ(seq, c->last_ack_sent) &&
	    SEQ_LT(c->last_ack_sent, seq + seglen + (seglen == 0))) {
		c->ts_recent = g->tsval;
		c->ts_recent_age = tcp_ts_now(now);
	}

	/* Second: RST (RFC 5961 3.2; RFC 1337 for TIME-WAIT). */
	if (fl & RTE_TCP_RST_FLAG) {
		if (c->state == TCPS_TIME_WAIT) {
			ST(s, rst_ignored);
			return;
		}
		if (seq != c->rcv_nxt) {
			challenge_ack(c, now);
			goto out;
		}
		ST(s, rst_in);
		if (c->state == TCPS_SYN_RECEIVED) {
			ST(s, attempt_fails);
			conn_drop(c, ECONNREFUSED, SL_TCP_EV_RESET);
		} else {
			if (c->state == TCPS_ESTABLISHED || c->state == TCPS_CLOSE_WAIT)
				ST(s, estab_resets);
			conn_drop(c, ECONNRESET, SL_TCP_EV_RESET);
		}
		return;
	}

	/* Fourth: SYN in a synchronized state: challenge ACK (RFC 5961 4.2). */
	if (fl & RTE_TCP_SYN_FLAG) {
		challenge_ack(c, now);
		goto out;
	}

	/* Trim to the window: text before RCV.NXT and beyond the right edge. */
	if (SEQ_LT(seq, c->rcv_nxt)) {
		uint32_t d = c->rcv_nxt - seq;

		if (d >= len) {
			if (d > len)
				fl &= (uint8_t)~RTE_TCP_FIN_FLAG; /* duplicate FIN */
			if (len > 0 || d > len)
				c->flags |= TF_ACK_NOW; /* duplicate: ACK it */
			len = 0;
			seq = c->rcv_nxt;
		} else {
			poff += d;
			len -= d;
			seq += d;
		}
	}
	if (SEQ_GT(seq + len, c->rcv_adv)) {
		len = SEQ_GT(c->rcv_adv, seq) ? c->rcv_adv - seq : 0;
		fl &= (uint8_t)~RTE_TCP_FIN_FLAG;
		c->flags |= TF_ACK_NOW;
	}

	/* Fifth: ACK. */
	if (!(fl & RTE_TCP_ACK_FLAG))
		goto out;
	if (c->state == TCPS_SYN_RECEIVED) {
		if (!(SEQ_LT(c->snd_una, g->ack) && SEQ_LEQ(g->ack, c->snd_max))) {
			send_rst_reply(s, g);
			return;
		}
		c->state = TCPS_ESTABLISHED;
		c->snd_wnd = g->wnd << c->snd_wscale;
		c->max_sndwnd = SL_MAX(c->max_sndwnd, c->snd_wnd);
		c->snd_wl1 = seq;
		c->snd_wl2 = g->ack;
		if (c->rxt_shift == 0 && !(c->flags & TF_TS))
			rtt_sample(c, (uint32_t)SL_MIN(now - c->rtt_start, (uint64_t)UINT32_MAX));
		cc_start(c);
		if (c->flags & TF_BACKLOG) {
			struct tcp_listener *l = listener_find(s, c->listen_port);

			if (l != NULL && l->syn_rcvd > 0)
				l->syn_rcvd--;
			c->flags &= ~TF_BACKLOG;
		}
		if (c->flags & TF_PASSIVE) {
			c->flags &= ~TF_APP_CLOSED;
			ST(s, passive_opens);
			ev_post(c, SL_TCP_EV_ACCEPT);
		} else {
			ev_post(c, SL_TCP_EV_CONNECTED);
		}
		if (c->flags & TF_FIN_QUEUED)
			c->state = TCPS_FIN_WAIT_1;
	}
	/* RFC 5961 5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT]. */
	if (SEQ_GT(g->ack, c->snd_max)) {
		oow_ack(c, now);
		goto out;
	}
	if (SEQ_LT(g->ack, c->snd_una - c->max_sndwnd)) {
		challenge_ack(c, now);
		goto out;
	}
	if ((c->flags & TF_SACK) && g->nsack > 0)
		sb_update(c, g);
	if (SEQ_GT(g->ack, c->snd_una)) {
		ack_new(c, g, now);
	} else if (g->ack == c->snd_una && len == 0 && !(fl & RTE_TCP_FIN_FLAG) &&
		   (g->wnd << c->snd_wscale) == c->snd_wnd && c->snd_max != c->snd_una &&
		   c->snd_wnd != 0) {
		/* RFC 5681 2 "duplicate acknowledgment". Not while the window
		 * is shut: the peer answering our zero-window probes (or its
		 * repeated zero-window ACKs) reports flow control, not loss,
		 * and nothing could be retransmitted into that window. */
		ST(s, dup_acks);
		if (c->dupacks < 255)
			c->dupacks++;
		if (c->flags & TF_RECOVERY) {
			if (!(c->flags & TF_SACK))
				c->cwnd += c->mss; /* RFC 5681 3.2 step 4 */
		} else if ((c->dupacks >= 3 ||
			    ((c->flags & TF_SACK) && sb_is_lost(c, c->snd_una))) &&
			   SEQ_GEQ(c->snd_una, c->recover)) {
			recovery_enter(c, now);
		}
	}
	/* Window update (3.10.7.4 fifth, SND.WL1/WL2 rule). */
	if (SEQ_LT(c->snd_wl1, seq) || (c->snd_wl1 == seq && SEQ_LEQ(c->snd_wl2, g->ack))) {
		c->snd_wnd = g->wnd << c->snd_wscale;
		c->snd_wl1 = seq;
		c->snd_wl2 = g->ack;
		c->max_sndwnd = SL_MAX(c->max_sndwnd, c->snd_wnd);
		if (c->snd_wnd > 0 && c->t_persist != 0) {
			c->t_persist = 0;
			c->rxt_shift = 0;
			if (c->snd_nxt != c->snd_una)
				c->t_rexmt = now + c->rto;
		}
	}
	switch (c->state) {
	case TCPS_FIN_WAIT_1:
		if (fin_acked(c)) {
			c->state = TCPS_FIN_WAIT_2;
			if (c->flags & TF_APP_CLOSED)
				c->t_2msl = now + 2ull * s->p.msl_us; /* FIN-WAIT-2 bound */
		}
		break;
	case TCPS_CLOSING:
		if (fin_acked(c))
			enter_timewait(c, now);
		break;
	case TCPS_LAST_ACK:
		if (fin_acked(c)) {
			conn_drop(c, 0, SL_TCP_EV_CLOSED);
			return;
		}
		break;
	default:
		break;
	}

	/* Seventh: segment text. */
	if (len > 0) {
		if (c->state == TCPS_ESTABLISHED || c->state == TCPS_FIN_WAIT_1 ||
		    c->state == TCPS_FIN_WAIT_2) {
			if ((c->flags & TF_APP_CLOSED) && c->state != TCPS_ESTABLISHED) {
				/* RFC 9293 3.10.7.4 / RFC 1122 4.2.2.13: nobody
				 * will read this: reset. */
				ST(s, data_after_close);
				send_rst_conn(c, now);
				conn_drop(c, ECONNRESET, SL_TCP_EV_RESET);
				return;
			}
			rcv_data(c, g, seq, poff, len, now);
		}
	}
	/* Eighth: FIN. */
	if ((fl & RTE_TCP_FIN_FLAG) && !(c->flags & TF_FIN_RCVD)) {
		uint32_t fs = seq + len;

		if (fs == c->rcv_nxt) {
			fin_in(c, now);
		} else if (SEQ_GT(fs, c->rcv_nxt)) {
			c->flags |= TF_OOO_FIN;
			c->ooo_fin_seq = fs;
		}
	}
	if ((c->flags & TF_OOO_FIN) && c->rcv_nxt == c->ooo_fin_seq && c->ooo == NULL)
		fin_in(c, now);
out:
	if (c->state != TCPS_CLOSED)
		tcp_output(c, now);
}

/* ---------------------------------------------------------- passive open -- */

static uint32_t isn_gen(struct sl_tcp *s, uint32_t faddr, uint16_t fport, uint16_t lport,
			uint64_t now)
{
	/* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport,
	 * secretkey), M a 4 us timer. */
	uint32_t w[3] = {s->p.local_ip, faddr, ((uint32_t)fport << 16) | lport};

	return (uint32_t)(now / 4) + (uint32_t)sl_tcp_siphash(s->p.secret, w, 3);
}

static uint8_t our_wscale(const struct sl_tcp *s)
{
	uint8_t ws = 0;

	while (ws < TCP_MAX_WS && (s->p.rcv_buf >> ws) > 65535)
		ws++;
	return ws;
}

static const uint16_t cookie_mss[4] = {536, 1220, 1440, 1460};

/* SYN cookie layout: [31:11] keyed hash, [10:8] time counter mod 8,
 * [7:4] peer window shift, [3] WS present, [2] SACK-permitted, [1:0] MSS
 * index. The hash covers the 4-tuple, the peer ISN, the counter and bits 7..0. */
static uint32_t cookie_hash(const struct sl_tcp *s, const struct seg *g, uint32_t irs,
			    uint32_t count, uint32_t low)
{
	uint32_t w[5] = {g->saddr, ((uint32_t)g->sport << 16) | g->dport, irs, count, low};

	return (uint32_t)(sl_tcp_siphash(s->p.secret, w, 5) >> 11) & 0x1fffff;
}

static uint32_t cookie_make(const struct sl_tcp *s, const struct seg *g, uint64_t now)
{
	uint32_t count = (uint32_t)(now / COOKIE_PERIOD_US);
	uint32_t mi = 0, low;

	for (uint32_t i = 0; i < 4; i++)
		if (cookie_mss[i] <= (g->has_mss ? g->mss : TCP_DEFAULT_MSS))
			mi = i;
	low = mi;
	if (g->sack_ok && !(s->p.flags & SL_TCP_F_NO_SACK))
		low |= 1u << 2;
	if (g->has_ws && !(s->p.flags & SL_TCP_F_NO_WSCALE))
		low |= (1u << 3) | ((uint32_t)g->ws << 4);
	return (cookie_hash(s, g, g->seq, count, low) << 11) | ((count & 7) << 8) | low;
}

/* Returns the low bits of a valid cookie (ack - 1), or -1. Two periods valid. */
static int cookie_check(const struct sl_tcp *s, const struct seg *g, uint64_t now)
{
	uint32_t ck = g->ack - 1, count = (uint32_t)(now / COOKIE_PERIOD_US);
	uint32_t low = ck & 0xff;

	for (uint32_t d = 0; d < 2; d++) {
		uint32_t cn = count - d;

		if (((ck >> 8) & 7) == (cn & 7) &&
		    (ck >> 11) == cookie_hash(s, g, g->seq - 1, cn, low))
			return (int)low;
	}
	return -1;
}

static void conn_init_common(struct sl_tcp_conn *c, struct sl_tcp *s, uint32_t faddr,
			     uint16_t fport, uint16_t lport, uint64_t now)
{
	memset(c, 0, sizeof(*c));
	c->stack = s;
	c->cc = s->p.cc;
	c->laddr = s->p.local_ip;
	c->faddr = faddr;
	c->fport = fport;
	c->lport = lport;
	c->rto = s->p.rto_init_us;
	c->mss = TCP_DEFAULT_MSS;
	c->rcv_wscale = our_wscale(s);
	c->rtt_start = now;
	if (!(s->p.flags & SL_TCP_F_NO_WSCALE))
		c->flags |= TF_WS;
	if (!(s->p.flags & SL_TCP_F_NO_TIMESTAMPS))
		c->flags |= TF_TS;
	if (!(s->p.flags & SL_TCP_F_NO_SACK))
		c->flags |= TF_SACK;
}

static struct sl_tcp_conn *conn_alloc(struct sl_tcp *s)
{
	struct sl_tcp_conn *c = s->free_list;

	if (c == NULL && s->conns_used < s->p.max_conns) {
		/* Control blocks are handed out in order, so memory (and the
		 * pages behind it) is only touched as the table grows. */
		c = &s->conns[s->conns_used++];
		c->hnext = NULL;
		s->free_list = c;
	}
	if (c == NULL && s->tw_head != NULL) {
		ST(s, timewait_recycled);
		conn_drop(s->tw_head, 0, SL_TCP_EV_CLOSED);
		c = s->free_list;
	}
	if (c == NULL)
		return NULL;
	s->free_list = c->hnext;
	s->nconns++;
	return c;
}

static void listen_input(struct sl_tcp *s, struct tcp_listener *l, struct seg *g, uint64_t now)
{
	struct sl_tcp_conn *c;

	/* RFC 9293 3.10.7.2 LISTEN. RST: ignore. */
	if (g->fl & RTE_TCP_RST_FLAG)
		return;
	if (g->fl & RTE_TCP_ACK_FLAG) {
		int low;

		if (!(g->fl & RTE_TCP_SYN_FLAG) && (s->p.flags & SL_TCP_F_SYN_COOKIES) &&
		    (low = cookie_check(s, g, now)) >= 0) {
			c = conn_alloc(s);
			if (c == NULL) {
				ST(s, drop_nomem);
				return;
			}
			ST(s, syn_cookies_ok);
			conn_init_common(c, s, g->saddr, g->sport, g->dport, now);
			rte_ether_addr_copy(&g->eth->src_addr, &c->peer_mac);
			c->flags |= TF_PASSIVE | TF_APP_CLOSED;
			c->listen_port = l->port;
			c->state = TCPS_SYN_RECEIVED;
			c->iss = g->ack - 1;
			c->snd_una = c->iss;
			c->snd_nxt = c->snd_max = g->ack;
			c->irs = g->seq - 1;
			c->rcv_nxt = g->seq;
			c->rcv_adv = c->rcv_nxt + SL_MIN(s->p.rcv_buf, 65535u);
			c->recover = c->iss;
			c->peer_mss = cookie_mss[low & 3];
			if (!(low & 4))
				c->flags &= ~TF_SACK;
			if (low & 8) {
				c->snd_wscale = (uint8_t)(low >> 4);
			} else {
				c->flags &= ~TF_WS;
				c->rcv_wscale = 0;
			}
			if (g->has_ts && (c->flags & TF_TS)) {
				c->ts_recent = g->tsval;
				c->ts_recent_age = tcp_ts_now(now);
			} else {
				c->flags &= ~TF_TS;
			}
			c->mss = (uint16_t)(SL_MIN(c->peer_mss, s->p.mss) -
					    ((c->flags & TF_TS) ? 12 : 0));
			c->last_ack_sent = c->rcv_nxt;
			c->rxt_shift = 1; /* no RTT sample from a cookie handshake */
			conn_hash_insert(c);
			conn_input(c, g, now);
			if (c->state != TCPS_CLOSED)
				c->rxt_shift = 0;
			return;
		}
		if (!(g->fl & RTE_TCP_SYN_FLAG) && (s->p.flags & SL_TCP_F_SYN_COOKIES))
			ST(s, syn_cookies_bad);
		ST(s, drop_noconn);
		send_rst_reply(s, g);
		return;
	}
	if (!(g->fl & RTE_TCP_SYN_FLAG))
		return;
	if (l->syn_rcvd >= l->backlog || (s->nconns >= s->p.max_conns && s->tw_head == NULL)) {
		if (s->p.flags & SL_TCP_F_SYN_COOKIES) {
			/* Stateless SYN-ACK (SYN flood defence). */
			struct sl_tcp_conn tmp;

			conn_init_common(&tmp, s, g->saddr, g->sport, g->dport, now);
			rte_ether_addr_copy(&g->eth->src_addr, &tmp.peer_mac);
			tmp.iss = cookie_make(s, g, now);
			tmp.rcv_nxt = g->seq + 1;
			tmp.rcv_adv = tmp.rcv_nxt;
			apply_syn_options(&tmp, g, now);
			ST(s, syn_cookies_sent);
			emit(&tmp, tmp.iss, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0, now);
		} else {
			ST(s, backlog_drops);
		}
		return;
	}
	c = conn_alloc(s);
	if (c == NULL) {
		ST(s, drop_nomem);
		return;
	}
	conn_init_common(c, s, g->saddr, g->sport, g->dport, now);
	rte_ether_addr_copy(&g->eth->src_addr, &c->peer_mac);
	c->flags |= TF_PASSIVE | TF_APP_CLOSED | TF_BACKLOG;
	c->listen_port = l->port;
	l->syn_rcvd++;
	c->state = TCPS_SYN_RECEIVED;
	c->irs = g->seq;
	c->rcv_nxt = g->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->iss = isn_gen(s, g->saddr, g->sport, g->dport, now);
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->recover = c->iss;
	c->snd_wnd = g->wnd; /* unscaled in a SYN */
	c->snd_wl1 = g->seq;
	apply_syn_options(c, g, now);
	conn_hash_insert(c);
	emit(c, c->iss, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0, now);
	c->t_rexmt = now + c->rto;
	timer_update(c);
}

/* ---------------------------------------------------------------- parsing -- */

static int parse_options(struct seg *g, const uint8_t *o, uint32_t n)
{
	while (n > 0) {
		uint8_t kind = o[0], l;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			o++;
			n--;
			continue;
		}
		if (n < 2)
			return -1;
		l = o[1];
		if (l < 2 || l > n)
			return -1;
		switch (kind) {
		case TCPOPT_MSS:
			if (l != 4)
				return -1;
			g->has_mss = 1;
			g->mss = (uint16_t)((o[2] << 8) | o[3]);
			break;
		case TCPOPT_WS:
			if (l != 3)
				return -1;
			g->has_ws = 1;
			g->ws = SL_MIN(o[2], (uint8_t)TCP_MAX_WS); /* RFC 7323 2.3 */
			break;
		case TCPOPT_SACK_OK:
			if (l != 2)
				return -1;
			g->sack_ok = 1;
			break;
		case TCPOPT_SACK:
			if (l < 10 || (l - 2) % 8 != 0)
				return -1;
			g->nsack = 0;
			for (unsigned int i = 0; i < (unsigned int)(l - 2) / 8 && i < 4; i++) {
				g->sack[i][0] = get32(o + 2 + 8 * i);
				g->sack[i][1] = get32(o + 6 + 8 * i);
				g->nsack++;
			}
			break;
		case TCPOPT_TS:
			if (l != 10)
				return -1;
			g->has_ts = 1;
			g->tsval = get32(o + 2);
			g->tsecr = get32(o + 6);
			break;
		default:
			break;
		}
		o += l;
		n -= l;
	}
	return 0;
}

static void input_one(struct sl_tcp *s, struct rte_mbuf *m, uint64_t now)
{
	struct seg g;
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *th;
	uint32_t l2 = m->l2_len, l3 = m->l3_len, iplen, tlen, doff;
	struct sl_tcp_conn *c;

	ST(s, segs_in);
	if (l2 < RTE_ETHER_HDR_LEN || l3 < sizeof(*ip) ||
	    m->data_len < l2 + l3 + sizeof(struct rte_tcp_hdr)) {
		ST(s, drop_hdr);
		goto out;
	}
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, l2);
	if (ip->fragment_offset &
	    rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
		ST(s, drop_frag);
		goto out;
	}
	iplen = rte_be_to_cpu_16(ip->total_length);
	if (ip->next_proto_id != IPPROTO_TCP || iplen < l3 + sizeof(*th) ||
	    iplen > m->pkt_len - l2) {
		ST(s, drop_hdr);
		goto out;
	}
	tlen = iplen - l3;
	th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, l2 + l3);
	doff = (uint32_t)(th->data_off >> 4) * 4;
	if (doff < sizeof(*th) || doff > tlen || l2 + l3 + doff > m->data_len) {
		ST(s, drop_hdr);
		goto out;
	}
	if (!(s->p.flags & SL_TCP_F_RX_CKSUM_BYPASS)) {
		uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

		bool bad;

		if (ck == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
			bad = false;
		else if (ck == RTE_MBUF_F_RX_L4_CKSUM_BAD)
			bad = true;
		else if (m->data_len >= l2 + iplen)
			bad = tcp_sum(ip, th, tlen) != 0xffff;
		else
			bad = rte_ipv4_udptcp_cksum_mbuf_verify(m, ip, (uint16_t)(l2 + l3)) != 0;
		if (bad) {
			ST(s, drop_cksum);
			goto out;
		}
	}
	memset(&g, 0, sizeof(g));
	if (parse_options(&g, (const uint8_t *)(th + 1), doff - sizeof(*th)) != 0) {
		ST(s, drop_opt);
		goto out;
	}
	g.m = m;
	g.eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	g.saddr = rte_be_to_cpu_32(ip->src_addr);
	g.daddr = rte_be_to_cpu_32(ip->dst_addr);
	g.sport = rte_be_to_cpu_16(th->src_port);
	g.dport = rte_be_to_cpu_16(th->dst_port);
	g.seq = rte_be_to_cpu_32(th->sent_seq);
	g.ack = rte_be_to_cpu_32(th->recv_ack);
	g.wnd = rte_be_to_cpu_16(th->rx_win);
	g.fl = th->tcp_flags & 0x3f;
	g.len = tlen - doff;
	g.poff = l2 + l3 + doff;
	/* Nonsense flag combinations and port 0 are malformed. */
	if (((g.fl & RTE_TCP_SYN_FLAG) && (g.fl & (RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG))) ||
	    g.sport == 0 || g.dport == 0) {
		ST(s, drop_hdr);
		goto out;
	}
	c = conn_lookup(s, g.saddr, g.sport, g.dport);
	if (c != NULL && c->state == TCPS_TIME_WAIT && (g.fl & RTE_TCP_SYN_FLAG) &&
	    !(g.fl & RTE_TCP_ACK_FLAG) && listener_find(s, g.dport) != NULL) {
		/* RFC 9293 3.6.1 / RFC 6191: a new SYN may reuse a TIME-WAIT
		 * pair when its timestamp or sequence number is newer. */
		bool newer = (c->flags & TF_TS) && g.has_ts ? SEQ_GT(g.tsval, c->ts_recent)
							    : SEQ_GT(g.seq, c->rcv_nxt);

		if (newer) {
			ST(s, timewait_reused);
			conn_drop(c, 0, SL_TCP_EV_CLOSED);
			c = NULL;
		}
	}
	if (c != NULL) {
		conn_input(c, &g, now);
	} else {
		struct tcp_listener *l = listener_find(s, g.dport);

		if (l != NULL) {
			listen_input(s, l, &g, now);
		} else if (!(g.fl & RTE_TCP_RST_FLAG)) {
			/* RFC 9293 3.10.7.1: CLOSED: reset. */
			ST(s, drop_noconn);
			send_rst_reply(s, &g);
		}
	}
out:
	rte_pktmbuf_free(m);
}

void sl_tcp_input(void *stack, struct rte_mbuf *m, uint64_t now)
{
	struct sl_tcp *s = stack;

	now = to_us(s, now);
	enter(s, now);
	input_one(s, m, now);
	leave_noflush(s);
}

uint16_t sl_tcp_input_burst(struct sl_tcp *s, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	now = to_us(s, now);
	enter(s, now);
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		input_one(s, pkts[i], now);
	}
	/* Delayed ACKs that became due are not held across bursts. */
	leave(s);
	return n;
}

/* ---------------------------------------------------------- timer events -- */

static void on_rexmt(struct sl_tcp_conn *c, uint64_t now)
{
	struct sl_tcp *s = c->stack;
	uint8_t limit = (c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED)
				? s->p.syn_retries
				: s->p.max_retries;

	c->t_rexmt = 0;
	if (c->snd_una == c->snd_max && c->state != TCPS_SYN_SENT && c->state != TCPS_SYN_RECEIVED)
		return;
	if (c->rxt_shift >= limit) {
		ST(s, timeout_drops);
		if (c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED)
			ST(s, attempt_fails);
		conn_drop(c, ETIMEDOUT, SL_TCP_EV_CLOSED);
		return;
	}
	ST(s, rto_timeouts);
	c->rxt_shift++;             /* RFC 6298 5.5: back off */
	c->flags &= ~TF_RTT_TIMING; /* Karn */
	if (c->state == TCPS_SYN_SENT) {
		emit(c, c->iss, RTE_TCP_SYN_FLAG, 0, now);
		ST(s, retrans_segs);
	} else if (c->state == TCPS_SYN_RECEIVED) {
		emit(c, c->iss, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0, now);
		ST(s, retrans_segs);
	} else {
		/* RFC 5681 (4) ssthresh on the first timeout, cwnd = LW = 1 SMSS;
		 * RFC 6582 4 / RFC 6675 5.1: leave recovery, recover = HighData;
		 * the scoreboard is cleared since the receiver may renege. */
		if (c->rxt_shift == 1)
			c->ssthresh = c->cc->ssthresh(c, now);
		c->cwnd = c->mss;
		c->cc_bytes_acked = 0;
		c->flags &= ~TF_RECOVERY;
		c->recover = c->snd_max;
		c->dupacks = 0;
		c->nsack = 0;
		c->sacked = 0;
		c->high_rxt = c->snd_una;
		c->snd_nxt = c->snd_una;
		tcp_output(c, now);
		if (c->t_persist != 0) {
			/* Zero window: the persist timer owns the connection;
			 * a peer that ACKs probes is never timed out. */
			c->t_rexmt = 0;
			return;
		}
	}
	c->t_rexmt = now + rto_backed_off(c);
}

static void on_persist(struct sl_tcp_conn *c, uint64_t now)
{
	struct sl_tcp *s = c->stack;

	c->t_persist = 0;
	if (c->snd_wnd > 0 || c->sndq.len == 0) {
		tcp_output(c, now);
		return;
	}
	if ((c->flags & TF_APP_CLOSED) && c->rxt_shift >= s->p.max_retries) {
		/* Nobody holds this connection any more: a peer that keeps its
		 * window shut must not pin it forever. */
		ST(s, timeout_drops);
		send_rst_conn(c, now);
		conn_drop(c, ETIMEDOUT, SL_TCP_EV_CLOSED);
		return;
	}
	/* RFC 9293 3.8.6.1 / RFC 1122 4.2.2.17: probe with one byte beyond the
	 * zero window, backing off, never giving up while the peer ACKs (and
	 * the application still holds the connection).
	 *
	 * SND.NXT stays at SND.UNA (only SND.MAX covers the byte): the peer
	 * may well drop the probe, and with SND.NXT past its zero window
	 * every ACK we send would be unacceptable to it (3.10.7.4) and
	 * discarded unread, so it would never learn that we took its data.
	 * When the window opens, the first segment sends the byte again. */
	ST(s, persist_probes);
	xmit_data(c, c->snd_una, 1, now);
	if (SEQ_GT(c->snd_una + 1, c->snd_max))
		c->snd_max = c->snd_una + 1;
	if (c->rxt_shift < 16)
		c->rxt_shift++;
	c->t_persist = now + rto_backed_off(c);
}

static void on_keepalive(struct sl_tcp_conn *c, uint64_t now)
{
	struct sl_tcp *s = c->stack;

	c->t_keep = 0;
	if (c->state != TCPS_ESTABLISHED && c->state != TCPS_CLOSE_WAIT &&
	    c->state != TCPS_FIN_WAIT_2)
		return;
	if (c->probes >= s->p.keepcnt) {
		ST(s, keepalive_drops);
		send_rst_conn(c, now);
		conn_drop(c, ETIMEDOUT, SL_TCP_EV_CLOSED);
		return;
	}
	/* RFC 1122 4.2.3.6: <SEQ=SND.UNA-1> with no data elicits an ACK. */
	ST(s, keepalive_probes);
	c->probes++;
	emit(c, c->snd_una - 1, RTE_TCP_ACK_FLAG, 0, now);
	c->t_keep = now + s->p.keepintvl_us;
}

static void conn_timers(struct sl_tcp_conn *c, uint64_t now)
{
	if (c->t_2msl != 0 && c->t_2msl <= now) {
		/* TIME-WAIT over, or FIN-WAIT-2 of a closed handle timed out. */
		conn_drop(c, 0, SL_TCP_EV_CLOSED);
		return;
	}
	if (c->t_delack != 0 && c->t_delack <= now) {
		c->t_delack = 0;
		if (c->flags & TF_DELACK) {
			ST(c->stack, delayed_acks);
			emit(c, ctl_seq(c), RTE_TCP_ACK_FLAG, 0, now);
		}
	}
	if (c->t_rexmt != 0 && c->t_rexmt <= now) {
		on_rexmt(c, now);
		if (c->state == TCPS_CLOSED)
			return;
	}
	if (c->t_persist != 0 && c->t_persist <= now) {
		on_persist(c, now);
		if (c->state == TCPS_CLOSED)
			return;
	}
	if (c->t_keep != 0 && c->t_keep <= now) {
		on_keepalive(c, now);
		if (c->state == TCPS_CLOSED)
			return;
	}
	if (c->t_pace != 0 && c->t_pace <= now) {
		c->t_pace = 0;
		tcp_output(c, now); /* files the timers again */
		return;
	}
	timer_update(c);
}

unsigned int sl_tcp_timers(struct sl_tcp *s, uint64_t now_in)
{
	uint64_t now = to_us(s, now_in);
	uint64_t now_tick = now / WHEEL_TICK_US;
	unsigned int budget = TIMER_BUDGET, ran = 0, slots = 0;

	enter(s, now);
	while (s->wheel_tick <= now_tick && budget > 0) {
		uint32_t slot = s->wheel_tick & (WHEEL_SLOTS - 1);
		struct sl_tcp_conn *c = s->wheel_resume ? s->wheel_cursor : s->wheel[slot];

		s->wheel_resume = false;
		s->wheel_cursor = NULL;
		while (c != NULL && budget > 0) {
			struct sl_tcp_conn *next = c->tnext;

			budget--;
			if (c->t_deadline <= now) {
				timer_unlink(c);
				conn_timers(c, now);
				ran++;
			}
			c = next;
		}
		if (c != NULL) {
			/* Budget spent inside this slot: resume at c, so that a
			 * slot crowded with far deadlines cannot stall the walk. */
			s->wheel_resume = true;
			s->wheel_cursor = c;
			break;
		}
		s->wheel_tick++;
		if (++slots >= WHEEL_SLOTS) {
			/* One full turn visits every entry: skip ahead. */
			s->wheel_tick = now_tick + 1;
			break;
		}
	}
	leave(s);
	return ran;
}

/* --------------------------------------------------------------- ICMP -- */

void sl_tcp_icmp_unreach(struct sl_tcp *s, const struct rte_ipv4_hdr *ip, uint32_t len,
			 uint8_t code, uint16_t mtu, uint64_t now)
{
	uint32_t ihl;
	const uint8_t *l4;
	struct sl_tcp_conn *c;
	uint32_t seq;

	if (len < sizeof(*ip) || ip->next_proto_id != IPPROTO_TCP) {
		ST(s, icmp_ignored);
		return;
	}
	ihl = (ip->version_ihl & 0xf) * 4u;
	if (ihl < sizeof(*ip) || len < ihl + 8) {
		ST(s, icmp_ignored);
		return;
	}
	l4 = (const uint8_t *)ip + ihl;
	c = conn_lookup(s, rte_be_to_cpu_32(ip->dst_addr), (uint16_t)((l4[2] << 8) | l4[3]),
			(uint16_t)((l4[0] << 8) | l4[1]));
	seq = get32(l4 + 4);
	/* RFC 5927 4.1: the quoted sequence number must be in flight. */
	if (c == NULL || SEQ_LT(seq, c->snd_una) || SEQ_GEQ(seq, c->snd_max)) {
		ST(s, icmp_ignored);
		return;
	}
	now = to_us(s, now);
	enter(s, now);
	if (code == 4) {
		/* RFC 1191 6.3 frag needed: lower the MSS and resend at once. */
		uint32_t m = mtu > 40 ? mtu - 40u : 0;

		if (c->flags & TF_TS)
			m = m > 12 ? m - 12 : 0;
		m = SL_MAX(m, (uint32_t)TCP_MIN_MSS);
		if (m < c->mss) {
			c->mss = (uint16_t)m;
			ST(s, pmtu_updates);
			if (can_send_data(c)) {
				c->snd_nxt = c->snd_una;
				tcp_output(c, now);
			}
		} else {
			ST(s, icmp_ignored);
		}
	} else if (c->state == TCPS_SYN_SENT && (code == 2 || code == 3)) {
		/* RFC 1122 4.2.3.9: protocol/port unreachable aborts an open. */
		ST(s, attempt_fails);
		conn_drop(c, ECONNREFUSED, SL_TCP_EV_RESET);
	} else {
		ST(s, icmp_ignored); /* RFC 5927 4.1: soft errors */
	}
	leave(s);
}

/* ----------------------------------------------------------------- API -- */

struct sl_tcp *sl_tcp_create(const struct sl_tcp_params *params)
{
	struct sl_tcp *s;
	struct sl_tcp_params p;
	uint32_t nb = 1;

	if (params == NULL || params->pool == NULL || params->tx == NULL || params->event == NULL ||
	    params->local_ip == 0) {
		errno = EINVAL;
		return NULL;
	}
	p = *params;
	if (p.cc == NULL)
		p.cc = &sl_tcp_cc_newreno;
	if (p.max_conns == 0)
		p.max_conns = 1024;
	if (p.max_timewait == 0)
		p.max_timewait = SL_MAX(p.max_conns / 4, 1u);
	if (p.rcv_buf == 0)
		p.rcv_buf = 65536;
	if (p.snd_buf == 0)
		p.snd_buf = 65536;
	if (p.mss == 0)
		p.mss = 1460;
	if (p.max_listeners == 0)
		p.max_listeners = 8;
	if (p.rto_min_us == 0)
		p.rto_min_us = 200000;
	if (p.rto_max_us == 0)
		p.rto_max_us = 60000000;
	if (p.rto_init_us == 0)
		p.rto_init_us = 1000000;
	if (p.delack_us == 0)
		p.delack_us = 40000;
	if (p.msl_us == 0)
		p.msl_us = 30000000;
	if (p.keepintvl_us == 0)
		p.keepintvl_us = 75000000;
	if (p.keepcnt == 0)
		p.keepcnt = 9;
	if (p.max_retries == 0)
		p.max_retries = 15;
	if (p.syn_retries == 0)
		p.syn_retries = 5;
	if (p.rcv_buf > (1u << 30) || p.snd_buf > (1u << 30)) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto nomem;
	s->p = p;
	s->challenge_rng = (p.secret[0] ^ p.secret[1]) | 1;
	s->data_room = rte_pktmbuf_data_room_size(p.pool);
	if (s->data_room < RTE_PKTMBUF_HEADROOM + HDRS_LEN + 60 + 64) {
		free(s);
		errno = EINVAL;
		return NULL;
	}
	/* The MSS must fit a frame in one mbuf (20 B TCP header + up to 40 B options). */
	{
		uint32_t fit = s->data_room - RTE_PKTMBUF_HEADROOM - HDRS_LEN - 60;

		if (s->p.mss > fit)
			s->p.mss = (uint16_t)fit;
	}
	while (nb < p.max_conns)
		nb <<= 1;
	s->buckets = calloc(nb, sizeof(*s->buckets));
	s->conns = calloc(p.max_conns, sizeof(*s->conns));
	s->listeners = calloc(p.max_listeners, sizeof(*s->listeners));
	if (s->buckets == NULL || s->conns == NULL || s->listeners == NULL)
		goto nomem;
	s->nbuckets_mask = nb - 1;
	s->ephemeral_next = 49152;
	return s;
nomem:
	if (s != NULL) {
		free(s->buckets);
		free(s->conns);
		free(s->listeners);
		free(s);
	}
	errno = ENOMEM;
	return NULL;
}

void sl_tcp_destroy(struct sl_tcp **sp)
{
	struct sl_tcp *s;

	if (sp == NULL || *sp == NULL)
		return;
	s = *sp;
	sl_tcp_flush(s);
	for (uint32_t i = 0; i < s->conns_used; i++) {
		struct sl_tcp_conn *c = &s->conns[i];

		if (c->stack == NULL)
			continue;
		bufq_free(&c->sndq);
		c->snd_cur = NULL;
		bufq_free(&c->rcvq);
		ooo_free(c);
	}
	free(s->buckets);
	free(s->conns);
	free(s->listeners);
	free(s);
	*sp = NULL;
}

int sl_tcp_listen(struct sl_tcp *s, uint16_t port, uint32_t backlog)
{
	struct tcp_listener *freel = NULL;

	if (port == 0 || backlog == 0)
		return -EINVAL;
	if (listener_find(s, port) != NULL)
		return -EADDRINUSE;
	for (unsigned int i = 0; i < s->p.max_listeners && freel == NULL; i++)
		if (!s->listeners[i].used)
			freel = &s->listeners[i];
	if (freel == NULL)
		return -ENOSPC;
	freel->used = 1;
	freel->port = port;
	freel->backlog = backlog;
	freel->syn_rcvd = 0;
	return 0;
}

int sl_tcp_unlisten(struct sl_tcp *s, uint16_t port)
{
	struct tcp_listener *l = listener_find(s, port);

	if (l == NULL)
		return -ENOENT;
	l->used = 0;
	return 0;
}

struct sl_tcp_conn *sl_tcp_connect(struct sl_tcp *s, uint32_t dst_ip, uint16_t dst_port,
				   uint16_t src_port, void *udata, uint64_t now)
{
	struct rte_ether_addr mac;
	struct sl_tcp_conn *c;

	if (dst_port == 0 || dst_ip == 0) {
		errno = EINVAL;
		return NULL;
	}
	if (s->p.resolve == NULL || s->p.resolve(s->p.resolve_ctx, dst_ip, &mac) != 0) {
		errno = EHOSTUNREACH;
		return NULL;
	}
	if (src_port == 0) {
		for (uint32_t i = 0; i < 16384 && src_port == 0; i++) {
			uint16_t pt = s->ephemeral_next;

			s->ephemeral_next = pt == 65535 ? 49152 : (uint16_t)(pt + 1);
			if (conn_lookup(s, dst_ip, dst_port, pt) == NULL &&
			    listener_find(s, pt) == NULL)
				src_port = pt;
		}
		if (src_port == 0) {
			errno = EADDRINUSE;
			return NULL;
		}
	} else if (conn_lookup(s, dst_ip, dst_port, src_port) != NULL) {
		errno = EADDRINUSE;
		return NULL;
	}
	now = to_us(s, now);
	enter(s, now);
	c = conn_alloc(s);
	if (c == NULL) {
		leave(s);
		errno = ENOMEM;
		return NULL;
	}
	conn_init_common(c, s, dst_ip, dst_port, src_port, now);
	c->peer_mac = mac;
	c->udata = udata;
	c->state = TCPS_SYN_SENT;
	c->iss = isn_gen(s, dst_ip, dst_port, src_port, now);
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->recover = c->iss;
	conn_hash_insert(c);
	ST(s, active_opens);
	emit(c, c->iss, RTE_TCP_SYN_FLAG, 0, now);
	c->t_rexmt = now + c->rto;
	timer_update(c);
	leave(s);
	return c;
}

int sl_tcp_send(struct sl_tcp_conn *c, const void *buf, uint32_t len, uint64_t now)
{
	struct sl_tcp *s = c->stack;
	uint32_t room, n;

	if (c->flags & TF_FIN_QUEUED)
		return -EPIPE;
	if (c->state != TCPS_ESTABLISHED && c->state != TCPS_CLOSE_WAIT &&
	    c->state != TCPS_SYN_SENT && c->state != TCPS_SYN_RECEIVED)
		return -ENOTCONN;
	room = s->p.snd_buf > c->sndq.len ? s->p.snd_buf - c->sndq.len : 0;
	len = SL_MIN(len, room);
	if (len == 0)
		return 0;
	now = to_us(s, now);
	enter(s, now);
	n = bufq_append(s, &c->sndq, buf, len);
	if (n > 0)
		tcp_output(c, now);
	leave(s);
	return n == 0 ? -ENOMEM : (int)n;
}

uint32_t sl_tcp_peek(const struct sl_tcp_conn *c, uint32_t off, void *buf, uint32_t len)
{
	if (off >= c->rcvq.len)
		return 0;
	return bufq_copy(&c->rcvq, off, buf, SL_MIN(len, c->rcvq.len - off));
}

uint32_t sl_tcp_peek_iov(const struct sl_tcp_conn *c, struct iovec *iov, uint32_t max)
{
	uint32_t n = 0;

	for (const struct rte_mbuf *m = c->rcvq.head; m != NULL && n < max; m = m->next) {
		if (m->data_len == 0)
			continue;
		iov[n].iov_base = rte_pktmbuf_mtod(m, void *);
		iov[n].iov_len = m->data_len;
		n++;
	}
	return n;
}

uint32_t sl_tcp_readable(const struct sl_tcp_conn *c)
{
	return c->rcvq.len;
}

int sl_tcp_eof(const struct sl_tcp_conn *c)
{
	return (c->flags & TF_FIN_RCVD) != 0;
}

uint32_t sl_tcp_send_space(const struct sl_tcp_conn *c)
{
	const struct sl_tcp *s = c->stack;

	if (c->flags & TF_FIN_QUEUED)
		return 0;
	return s->p.snd_buf > c->sndq.len ? s->p.snd_buf - c->sndq.len : 0;
}

int sl_tcp_consume(struct sl_tcp_conn *c, uint32_t n, uint64_t now)
{
	struct sl_tcp *s = c->stack;
	uint32_t before, after;

	if (n > c->rcvq.len)
		return -EINVAL;
	if (n == 0)
		return 0;
	bufq_drop(&c->rcvq, n);
	if (c->state == TCPS_CLOSED || c->state == TCPS_TIME_WAIT)
		return 0;
	/* Window update when the right edge can move by the SWS threshold
	 * (RFC 9293 3.8.6.2.2); this is what reopens a zero window. */
	before = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	after = rcv_window(c);
	if (after > before) {
		now = to_us(s, now);
		enter(s, now);
		c->flags |= TF_ACK_NOW;
		tcp_output(c, now);
		leave(s);
	}
	return 0;
}

static int do_shutdown(struct sl_tcp_conn *c, uint64_t now)
{
	struct sl_tcp *s = c->stack;

	if (c->flags & TF_FIN_QUEUED)
		return 0;
	switch (c->state) {
	case TCPS_ESTABLISHED:
		c->state = TCPS_FIN_WAIT_1;
		break;
	case TCPS_CLOSE_WAIT:
		c->state = TCPS_LAST_ACK;
		break;
	case TCPS_SYN_RECEIVED:
	case TCPS_SYN_SENT:
		break; /* FIN once established (RFC 9293 3.10.4) */
	default:
		return -ENOTCONN;
	}
	c->flags |= TF_FIN_QUEUED;
	enter(s, now);
	tcp_output(c, now);
	leave(s);
	return 0;
}

static void do_abort(struct sl_tcp_conn *c, uint64_t now)
{
	struct sl_tcp *s = c->stack;

	enter(s, now);
	c->flags |= TF_APP_CLOSED;
	if (c->state != TCPS_CLOSED && c->state != TCPS_SYN_SENT && c->state != TCPS_TIME_WAIT)
		send_rst_conn(c, now);
	if (c->state == TCPS_TIME_WAIT)
		c->flags |= TF_APP_CLOSED; /* handle released; TIME-WAIT runs on */
	else
		conn_drop(c, 0, SL_TCP_EV_CLOSED);
	leave(s);
}

static void do_close(struct sl_tcp_conn *c, uint64_t now)
{
	struct sl_tcp *s = c->stack;

	if (c->rcvq.len > 0 && c->state != TCPS_CLOSED && c->state != TCPS_TIME_WAIT) {
		/* RFC 1122 4.2.2.13: closing with unread data sends a RST. */
		ST(s, data_after_close);
		do_abort(c, now);
		return;
	}
	enter(s, now);
	c->flags |= TF_APP_CLOSED;
	switch (c->state) {
	case TCPS_CLOSED:
		conn_maybe_free(c);
		break;
	case TCPS_SYN_SENT:
		conn_drop(c, 0, SL_TCP_EV_CLOSED);
		break;
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
	case TCPS_SYN_RECEIVED:
		do_shutdown(c, now);
		break;
	case TCPS_FIN_WAIT_2:
		c->t_2msl = now + 2ull * s->p.msl_us;
		timer_update(c);
		break;
	default:
		break;
	}
	leave(s);
}

int sl_tcp_shutdown(struct sl_tcp_conn *c, uint64_t now)
{
	return do_shutdown(c, to_us(c->stack, now));
}

void sl_tcp_abort(struct sl_tcp_conn *c, uint64_t now)
{
	do_abort(c, to_us(c->stack, now));
}

void sl_tcp_close(struct sl_tcp_conn *c, uint64_t now)
{
	do_close(c, to_us(c->stack, now));
}

void *sl_tcp_conn_udata(const struct sl_tcp_conn *c)
{
	return c->udata;
}

void sl_tcp_conn_set_udata(struct sl_tcp_conn *c, void *udata)
{
	c->udata = udata;
}

void sl_tcp_conn_tuple(const struct sl_tcp_conn *c, uint32_t *lip, uint16_t *lport, uint32_t *rip,
		       uint16_t *rport)
{
	if (lip != NULL)
		*lip = c->laddr;
	if (lport != NULL)
		*lport = c->lport;
	if (rip != NULL)
		*rip = c->faddr;
	if (rport != NULL)
		*rport = c->fport;
}

const char *sl_tcp_conn_state(const struct sl_tcp_conn *c)
{
	return c->state < SL_ARRAY_SIZE(state_names) ? state_names[c->state] : "?";
}

void sl_tcp_stats_get(const struct sl_tcp *s, struct sl_tcp_stats *out)
{
	const volatile uint64_t *src = (const volatile uint64_t *)&s->st;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = src[i];
}

static const char *const stat_names[][2] = {
#define SL_TCP_STAT_NAME(n, d) {#n, d},
	SL_TCP_STATS(SL_TCP_STAT_NAME)
#undef SL_TCP_STAT_NAME
};

const char *sl_tcp_stat_name(unsigned int i, const char **desc)
{
	if (i >= SL_ARRAY_SIZE(stat_names))
		return NULL;
	if (desc != NULL)
		*desc = stat_names[i][1];
	return stat_names[i][0];
}

uint32_t sl_tcp_conn_count(const struct sl_tcp *s)
{
	return s->nconns;
}

size_t sl_tcp_conn_footprint(const struct sl_tcp *s)
{
	return sizeof(struct sl_tcp_conn) +
	       (sizeof(*s->buckets) * (s->nbuckets_mask + 1) + s->p.max_conns - 1) / s->p.max_conns;
}
