#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_random.h>

#include "dataplane/server.h"

/*
 * Output pause watermarks: above OUT_HIGH bytes of unsent replies the
 * connection's input is not taken until they drain below OUT_LOW. High
 * enough that a client writing a long pipeline before reading any reply
 * (Redis's own PIPELINING stresser: ~4.5 MB of replies) completes; bounded,
 * so a slow reader costs at most this much output memory.
 */
#define OUT_HIGH (16 * 1024 * 1024)
#define OUT_LOW  (4 * 1024 * 1024)
/*
 * The pause throttles a client that reads slower than it asks; it must not
 * hold one that reads only after it has written everything (the pattern of
 * Redis's PIPELINING stresser, with values big enough that the replies pass
 * OUT_HIGH): that client sits in write() while our window is shut and we
 * wait for it to read, forever. When a paused client presses against our
 * shut window (the stack reports its zero-window probes as READABLE) and has
 * taken no reply byte for OUT_STALL_US, input is taken again and the pause
 * stays off until it takes replies again. Output then grows as it would in
 * Redis, bounded by client-output-buffer-limit only.
 */
#define OUT_STALL_US (200 * 1000)

/* The small members sit together so the struct carries no padding (an idle
 * connection's memory is this struct and the TCP control block). */
struct sl_server_conn {
	struct sl_server *srv;
	struct sl_tcp_conn *tc;
	struct sl_inseg *rbuf;
	struct sl_inseg *held; /* segments an unfinished request still points into */
	uint64_t drained_us;   /* the client last took replies (WRITABLE) */
	struct sl_server_conn *bp_prev, *bp_next; /* srv->budget_paused list */
	uint64_t acct;                            /* output memory recorded in srv->budget */
	struct sl_server_conn *prev;              /* live connections */
	union {
		struct sl_server_conn *next;      /* live connections */
		struct sl_server_conn *next_free; /* srv->free_conns, once closed */
	};
	uint64_t soft_since_ms; /* output above the soft limit since; 0 = not */
	uint32_t rip;           /* peer address, host order */
	bool closing;           /* send what is queued, then close */
	bool paused;            /* input not taken: output over the high watermark */
	bool no_pause;          /* the client writes before it reads: never pause */
	bool budget_paused;     /* input not taken: the worker is over its output budget */
	struct sl_client client;
};

/*
 * Issue 8: an idle connection under 1 KiB of resident memory. Connection
 * state comes in slabs of CONN_SLAB, one malloc each, handed out in order
 * and recycled through free_conns, never given back before sl_server_deinit.
 * So a connection costs sizeof(struct sl_server_conn) exactly, not the
 * allocator's next size class (jemalloc would round 576 bytes up to 640),
 * and a slab's pages become resident only as connections first use them.
 * The bound below keeps the struct where the issue left it.
 */
#define CONN_SLAB      256
#define CONN_BYTES_MAX 600
static_assert(sizeof(struct sl_server_conn) <= CONN_BYTES_MAX,
	      "connection state over its per-connection budget");

struct sl_server_conn_slab {
	struct sl_server_conn_slab *next;
	unsigned used; /* conns[0..used) have been handed out */
	struct sl_server_conn conns[CONN_SLAB];
};

/* A connection never used before, from the newest slab; NULL: no memory. */
static struct sl_server_conn *conn_from_slab(struct sl_server *s)
{
	struct sl_server_conn_slab *sl = s->conn_slabs;

	if (sl == NULL || sl->used == CONN_SLAB) {
		sl = malloc(sizeof(*sl));
		if (sl == NULL)
			return NULL;
		sl->next = s->conn_slabs;
		sl->used = 0;
		s->conn_slabs = sl;
	}
	return &sl->conns[sl->used++];
}

size_t sl_server_conn_size(void)
{
	return sizeof(struct sl_server_conn);
}

/*
 * INFO client_recent_max_output_buffer: the largest output memory of one
 * client per second (Redis keeps the same 8 one-second slots).
 */
static void note_obuf_peak(struct sl_server *s, uint64_t mem)
{
	uint64_t sec = s->now_ms / 1000;
	unsigned slot = (unsigned)(sec % SL_INFO_OBUF_SLOTS);

	if (s->stats.obuf_peak_sec[slot] != sec) {
		s->stats.obuf_peak_sec[slot] = sec;
		s->stats.obuf_peak[slot] = 0;
	}
	if (mem > s->stats.obuf_peak[slot])
		s->stats.obuf_peak[slot] = mem;
}

void sl_server_budget_init(struct sl_server_budget *b, uint64_t bytes)
{
	memset(b, 0, sizeof(*b));
	b->high = bytes;
	b->low = bytes - bytes / 4;
	b->floor = SL_SERVER_BUDGET_FLOOR;
}

bool sl_server_budget_update(struct sl_server_budget *b, uint64_t *acct, uint64_t mem)
{
	b->total = b->total - *acct + mem;
	*acct = mem;
	if (b->total > b->peak)
		b->peak = b->total;
	if (b->high == 0)
		return false;
	if (!b->over && b->total > b->high) {
		b->over = true;
	} else if (b->over && b->total < b->low) {
		b->over = false;
		return true;
	}
	return false;
}

static void budget_pause(struct sl_server *s, struct sl_server_conn *c)
{
	c->budget_paused = true;
	c->bp_prev = NULL;
	c->bp_next = s->budget_paused;
	if (s->budget_paused != NULL)
		s->budget_paused->bp_prev = c;
	s->budget_paused = c;
	s->stats.budget_pauses++;
}

static void budget_unpause(struct sl_server *s, struct sl_server_conn *c)
{
	if (!c->budget_paused)
		return;
	c->budget_paused = false;
	if (c->bp_prev != NULL)
		c->bp_prev->bp_next = c->bp_next;
	else
		s->budget_paused = c->bp_next;
	if (c->bp_next != NULL)
		c->bp_next->bp_prev = c->bp_prev;
	c->bp_prev = c->bp_next = NULL;
}

/* Records c's output memory in the worker's budget (and for INFO). */
static void out_account(struct sl_server *s, struct sl_server_conn *c, uint64_t mem)
{
	if (sl_server_budget_update(&s->budget, &c->acct, mem))
		s->budget_resume = true;
	s->stats.out_mem = s->budget.total; /* INFO mem_clients_normal */
	s->eng.out_mem = s->budget.total;
	s->eng.out_mem_peak = s->budget.peak;
	s->eng.out_budget_pauses = s->stats.budget_pauses;
}

static void set_time(struct sl_server *s, uint64_t tsc)
{
	uint64_t d = tsc - s->start_tsc;

	s->now_us = d / s->tsc_per_us;
	/* Microseconds throughout, so the start's sub-millisecond part is not
	 * lost: TTLs computed by clients from their own clock stay exact. */
	s->now_ms = (s->start_unix_us + d / s->tsc_per_us) / 1000;
}

/* +1 or -1 on the source's counters in every sketch row. */
static void sketch_add(struct sl_server *s, uint32_t rip_host, int32_t d)
{
	uint32_t addr = rte_cpu_to_be_32(rip_host), r;

	if (s->sketch == NULL)
		return;
	for (r = 0; r < SL_BPF_SKETCH_ROWS; r++)
		__atomic_fetch_add(&s->sketch->count[r][sl_bpf_sketch_col(addr, s->sketch_seed, r)],
				   (uint32_t)d, __ATOMIC_RELAXED);
}

static struct sl_server_conn *conn_new(struct sl_server *s, struct sl_tcp_conn *tc)
{
	struct sl_server_conn *c = s->free_conns;
	uint32_t rip, lip;
	uint16_t rport, lport;

	if (c != NULL)
		s->free_conns = c->next_free;
	else
		c = conn_from_slab(s);
	if (c == NULL)
		return NULL;
	memset(c, 0, offsetof(struct sl_server_conn, client));
	c->srv = s;
	c->tc = tc;
	c->drained_us = s->now_us;
	sl_tcp_conn_tuple(tc, &lip, &lport, &rip, &rport);
	sl_client_init(&c->client, &s->eng, NULL, s->now_ms);
	sl_client_set_ipv4(&c->client, rip, rport, lip, lport, -1);
	c->rip = rip;
	sketch_add(s, rip, 1);
	s->nclients++;
	atomic_fetch_add_explicit(&s->eng.shared->nclients, 1, memory_order_relaxed);
	c->next = s->live;
	if (s->live != NULL)
		s->live->prev = c;
	s->live = c;
	s->stats.accepted++;
	return c;
}

/* The handle is already released (by the stack or by us): recycle c. */
static void conn_free(struct sl_server *s, struct sl_server_conn *c)
{
	sketch_add(s, c->rip, -1);
	if (s->srccap != NULL)
		sl_srccap_release(s->srccap, c->rip);
	s->nclients--;
	atomic_fetch_sub_explicit(&s->eng.shared->nclients, 1, memory_order_relaxed);
	budget_unpause(s, c);
	out_account(s, c, 0);
	sl_client_deinit(&c->client);
	if (c->rbuf != NULL) {
		s->stats.query_mem -= sizeof(*c->rbuf);
		sl_inseg_put(&s->segs, c->rbuf);
	}
	s->stats.query_mem -= sl_inseg_put_list(&s->segs, c->held);
	c->rbuf = c->held = NULL;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->live = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->next_free = s->free_conns;
	s->free_conns = c;
	s->stats.closed++;
}

/* Moves replies into the send buffer. Returns -1 if c was freed. */
static int conn_write(struct sl_server *s, struct sl_server_conn *c)
{
	struct sl_resp_out *o = &c->client.out;

	note_obuf_peak(s, sl_resp_out_mem(o));
	if (sl_client_obuf_over(&c->client, s->now_ms, &c->soft_since_ms)) {
		sl_tcp_abort(c->tc, s->now_us);
		s->stats.obuf_disconnections++;
		conn_free(s, c);
		return -1;
	}

	while (sl_resp_out_pending(o) > 0) {
		struct iovec iov[16];
		size_t n = sl_resp_out_peek(o, iov, 16), i, sent = 0;
		bool full = false;

		if (n == 0)
			break;
		for (i = 0; i < n && !full; i++) {
			int r = sl_tcp_send(c->tc, iov[i].iov_base, (uint32_t)iov[i].iov_len,
					    s->now_us);

			if (r < 0) {
				sl_tcp_abort(c->tc, s->now_us);
				s->stats.aborted++;
				conn_free(s, c);
				return -1;
			}
			sent += (size_t)r;
			full = (size_t)r < iov[i].iov_len;
		}
		sl_resp_out_consume(o, sent);
		if (full)
			break;
	}
	out_account(s, c, sl_resp_out_mem(o));
	if (c->closing && sl_resp_out_pending(o) == 0 && !sl_client_waiting(&c->client)) {
		sl_tcp_close(c->tc, s->now_us);
		conn_free(s, c);
		return -1;
	}
	return 0;
}

/*
 * Echo mode: moves what fits from the receive queue to the send buffer.
 * After the peer's FIN and once everything is echoed, closes.
 */
static int conn_echo(struct sl_server *s, struct sl_server_conn *c)
{
	char buf[SL_INSEG_SIZE];

	for (;;) {
		uint32_t n = sl_tcp_readable(c->tc), room = sl_tcp_send_space(c->tc);
		int sent;

		if (n > room)
			n = room;
		if (n > sizeof(buf))
			n = sizeof(buf);
		if (n == 0)
			break;
		sl_tcp_peek(c->tc, 0, buf, n);
		sent = sl_tcp_send(c->tc, buf, n, s->now_us);
		if (sent < 0) {
			sl_tcp_abort(c->tc, s->now_us);
			s->stats.aborted++;
			conn_free(s, c);
			return -1;
		}
		sl_tcp_consume(c->tc, (uint32_t)sent, s->now_us);
	}
	if (sl_tcp_eof(c->tc) && sl_tcp_readable(c->tc) == 0) {
		sl_tcp_close(c->tc, s->now_us);
		conn_free(s, c);
		return -1;
	}
	return 0;
}

/*
 * CLIENT KILL by `self` flagged other clients of this worker: close each at
 * once (reset), discarding its unsent output, as Redis does.
 */
static void close_killed(struct sl_server *s, struct sl_server_conn *self)
{
	struct sl_client *k;

	while ((k = sl_engine_next_killed(&s->eng)) != NULL) {
		struct sl_server_conn *victim = sl_container_of(k, struct sl_server_conn, client);

		if (victim == self)
			continue;
		sl_tcp_abort(victim->tc, s->now_us);
		conn_free(s, victim);
	}
}

/* Takes and runs the input the stack holds. Returns -1 if c was freed. */
/*
 * c's cap on unsent replies for the engine (sl_client.out_cap): the pause
 * watermark, and with an output budget no more than the budget's room left
 * by the worker's other connections (at least the budget's floor). The
 * engine checks it after each request, so one segment of pipelined GETs of
 * large values cannot add more than one reply beyond it.
 */
static uint64_t out_cap(const struct sl_server *s, const struct sl_server_conn *c)
{
	uint64_t cap = c->no_pause ? UINT64_MAX : OUT_HIGH;

	if (s->budget.high != 0) {
		uint64_t others = s->budget.total - c->acct;
		uint64_t room = s->budget.high > others ? s->budget.high - others : 0;

		cap = SL_MIN(cap, SL_MAX(room, s->budget.floor));
	}
	return cap;
}

/* Takes and runs the input the stack holds. Returns -1 if c was freed. */
static int conn_read(struct sl_server *s, struct sl_server_conn *c)
{
	if (s->echo)
		return conn_echo(s, c);
	while (!c->closing && !c->paused && !c->budget_paused && !sl_client_waiting(&c->client)) {
		bool held = false;
		int rc;

		if (sl_server_budget_blocks(&s->budget, c->acct)) {
			budget_pause(s, c);
			return 0;
		}
		c->client.out_cap = out_cap(s, c);
		if (sl_unlikely(sl_client_has_input(&c->client))) {
			/* Input the engine stopped at (output cap) comes before the stack's. */
			rc = sl_client_resume(&c->client, s->now_ms);
		} else {
			uint32_t avail = sl_tcp_readable(c->tc), n;

			if (avail == 0) {
				if (sl_tcp_eof(c->tc)) {
					/* The client half-closed: answer what it sent, then close.
					 */
					c->closing = true;
					return conn_write(s, c);
				}
				return 0;
			}
			if (c->rbuf == NULL) {
				c->rbuf = sl_inseg_get(&s->segs);
				if (c->rbuf == NULL)
					goto abort;
				s->stats.query_mem += sizeof(*c->rbuf);
			}
			n = avail < SL_INSEG_SIZE ? avail : SL_INSEG_SIZE;
			sl_tcp_peek(c->tc, 0, c->rbuf->data, n);
			sl_tcp_consume(c->tc, n, s->now_us);
			rc = sl_client_input(&c->client, c->rbuf->data, n, s->now_ms, &held);
			if (held) {
				c->rbuf->next = c->held;
				c->held = c->rbuf;
				c->rbuf = NULL;
			} else {
				/* Nothing points into it: give it back (an idle connection
				 * holds no input buffer). */
				s->stats.query_mem -= sizeof(*c->rbuf);
				sl_inseg_put(&s->segs, c->rbuf);
				c->rbuf = NULL;
				if (c->held != NULL) {
					s->stats.query_mem -= sl_inseg_put_list(&s->segs, c->held);
					c->held = NULL;
				}
			}
		}
		close_killed(s, c);
		if (rc != 0) {
			if (c->client.flags & SL_CLIENT_CLOSE_NOW)
				goto abort;
			c->closing = true;
		}
		if (conn_write(s, c) != 0)
			return -1;
		if (!c->no_pause && sl_resp_out_pending(&c->client.out) > OUT_HIGH) {
			c->paused = true;
			s->stats.paused++;
		}
	}
	return 0;
abort:
	sl_tcp_abort(c->tc, s->now_us);
	s->stats.aborted++;
	conn_free(s, c);
	return -1;
}

/*
 * c's command shipped to another worker is answered (its reply is in
 * c->client.out): run the input that waited behind it, send, read on.
 */
static void conn_resume(struct sl_server *s, struct sl_server_conn *c)
{
	if (s->draining) {
		/* Requests behind it were never taken: drop them as the drain does. */
		sl_client_drop_pending(&c->client);
		conn_write(s, c);
		return;
	}
	if (c->client.flags & SL_CLIENT_CLOSE_NOW) {
		/* No memory for the shipped reply. */
		sl_tcp_abort(c->tc, s->now_us);
		s->stats.aborted++;
		conn_free(s, c);
		return;
	}
	if (conn_write(s, c) != 0)
		return;
	if (!c->no_pause && sl_resp_out_pending(&c->client.out) > OUT_HIGH) {
		c->paused = true;
		s->stats.paused++;
		return;
	}
	conn_read(s, c); /* runs the input held behind it, then reads on */
}

static bool denied_by_protected_mode(const struct sl_server *s, uint32_t rip)
{
	if (!s->protected_mode || (s->acl_configured != NULL &&
				   atomic_load_explicit(s->acl_configured, memory_order_relaxed)))
		return false;
	return (rip & s->local_mask) != s->local_net;
}

/* Answers a refused connection msg, closes it and counts it. */
static void refuse(struct sl_server *s, struct sl_tcp_conn *tc, const char *msg, size_t len,
		   uint64_t *counter)
{
	sl_tcp_send(tc, msg, (uint32_t)len, s->now_us);
	sl_tcp_close(tc, s->now_us);
	(*counter)++;
}

static void on_accept(struct sl_server *s, struct sl_tcp_conn *tc)
{
	static const char denied[] =
		"-DENIED sluice is running in protected mode because protected mode is "
		"enabled and no password is set for the default user. In this mode "
		"connections are only accepted from the directly connected subnet. To serve "
		"other networks: 1) set a password with 'requirepass', or 2) allow their "
		"prefixes with 'sluicectl acl allow <prefix>', or 3) start with "
		"'--protected-mode no' if the network is trusted.\r\n";
	/* Redis's answer (networking.c acceptCommonHandler), then close. */
	static const char maxclients[] = "-ERR max number of clients reached\r\n";
	struct sl_server_conn *c;
	uint32_t rip;

	sl_tcp_conn_tuple(tc, NULL, NULL, &rip, NULL);
	if (denied_by_protected_mode(s, rip)) {
		refuse(s, tc, denied, sizeof(denied) - 1, &s->stats.denied);
		return;
	}
	if (s->eng.shared->maxclients != 0 &&
	    atomic_load_explicit(&s->eng.shared->nclients, memory_order_relaxed) >=
		    s->eng.shared->maxclients) {
		refuse(s, tc, maxclients, sizeof(maxclients) - 1, &s->stats.rejected);
		return;
	}
	if (s->srccap != NULL && !sl_srccap_admit(s->srccap, rip)) {
		refuse(s, tc, maxclients, sizeof(maxclients) - 1, &s->stats.source_rejected);
		return;
	}
	c = conn_new(s, tc);
	if (c == NULL) {
		if (s->srccap != NULL)
			sl_srccap_release(s->srccap, rip);
		s->stats.conn_nomem++;
		sl_tcp_abort(tc, s->now_us);
		return;
	}
	sl_tcp_conn_set_udata(tc, c);
	conn_read(s, c);
}

static void on_event(void *ctx, struct sl_tcp_conn *tc, enum sl_tcp_event ev, int err)
{
	struct sl_server *s = ctx;
	struct sl_server_conn *c = sl_tcp_conn_udata(tc);

	(void)err;
	switch (ev) {
	case SL_TCP_EV_ACCEPT:
		on_accept(s, tc);
		break;
	case SL_TCP_EV_READABLE:
		if (c != NULL && !c->closing) {
			if (c->paused && s->now_us - c->drained_us >= OUT_STALL_US) {
				/* Blocked sending to us, not reading: see OUT_STALL_US. */
				c->paused = false;
				c->no_pause = true;
			}
			conn_read(s, c);
		} else if (c != NULL && s->draining)
			sl_tcp_consume(c->tc, sl_tcp_readable(c->tc), s->now_us);
		break;
	case SL_TCP_EV_WRITABLE:
		if (c != NULL && s->echo) {
			conn_echo(s, c);
			break;
		}
		if (c == NULL)
			break;
		c->drained_us = s->now_us;
		c->no_pause = false;
		if (conn_write(s, c) != 0)
			break;
		if (c->paused && sl_resp_out_pending(&c->client.out) < OUT_LOW) {
			c->paused = false;
			if (!c->budget_paused) {
				conn_read(s, c); /* may free c */
				break;
			}
		}
		if (c->budget_paused && !sl_server_budget_blocks(&s->budget, c->acct)) {
			budget_unpause(s, c);
			if (!c->paused)
				conn_read(s, c);
		}
		break;
	case SL_TCP_EV_CLOSED:
	case SL_TCP_EV_RESET:
		if (c != NULL)
			conn_free(s, c);
		break;
	case SL_TCP_EV_CONNECTED:
		break;
	}
}

int sl_server_init(struct sl_server *s, const struct sl_server_params *p)
{
	struct sl_tcp_params tp;
	int rc;

	memset(s, 0, sizeof(*s));
	s->tsc_hz = rte_get_tsc_hz();
	s->tsc_per_us = s->tsc_hz / 1000000 > 0 ? s->tsc_hz / 1000000 : 1;
	s->tsc_per_ms = s->tsc_hz / 1000 > 0 ? s->tsc_hz / 1000 : 1;
	s->start_tsc = rte_rdtsc();
	s->start_unix_us = p->unix_us;
	s->sketch = p->sketch;
	s->echo = p->echo;
	s->srccap = p->srccap;
	s->local_mask = rte_be_to_cpu_32(p->netmask);
	s->local_net = rte_be_to_cpu_32(p->ip) & s->local_mask;
	s->protected_mode = p->protected_mode && p->shared->requirepass_len == 0;
	s->acl_configured = p->acl_configured;
	s->sketch_seed = p->sketch_seed;
	set_time(s, s->start_tsc);
	rc = sl_engine_init(&s->eng, p->store, p->self, p->shared);
	if (rc != 0)
		return rc;
	sl_server_budget_init(&s->budget, p->output_budget);
	s->eng.out_budget = p->output_budget;
	memset(&tp, 0, sizeof(tp));
	tp.local_ip = rte_be_to_cpu_32(p->ip);
	tp.local_mac = p->mac;
	tp.pool = p->pool;
	tp.tx = p->tx;
	tp.tx_ctx = p->tx_ctx;
	tp.event = on_event;
	tp.event_ctx = s;
	tp.cc = &sl_tcp_cc_cubic;
	tp.flags = SL_TCP_F_SYN_COOKIES | (p->tx_cksum_offload ? SL_TCP_F_TX_CKSUM_OFFLOAD : 0);
	tp.max_conns = p->max_conns;
	tp.secret[0] = rte_rdtsc() ^ ((uint64_t)p->ip << 17);
	tp.secret[1] = (uint64_t)rte_rand();
	s->tcp = sl_tcp_create(&tp);
	if (s->tcp == NULL) {
		rc = -errno;
		sl_engine_deinit(&s->eng);
		return rc;
	}
	sl_tcp_set_pacing(s->tcp, p->pace_conn_bps, p->pace_port_bps);
	s->listen_port = p->port;
	rc = sl_tcp_listen(s->tcp, p->port, 1024);
	if (rc != 0) {
		sl_tcp_destroy(&s->tcp);
		sl_engine_deinit(&s->eng);
	}
	return rc;
}

void sl_server_deinit(struct sl_server *s)
{
	/* Destroying the stack delivers no events: release the live clients here.
	 * The sketch is not ours to update any more (the XDP maps may be gone). */
	s->sketch = NULL;
	sl_tcp_destroy(&s->tcp);
	while (s->live != NULL)
		conn_free(s, s->live);
	s->free_conns = NULL;
	while (s->conn_slabs != NULL) {
		struct sl_server_conn_slab *sl = s->conn_slabs;

		s->conn_slabs = sl->next;
		free(sl);
	}
	sl_inseg_cache_clear(&s->segs);
	sl_engine_deinit(&s->eng);
}

void sl_server_input(struct sl_server *s, struct rte_mbuf **pkts, uint16_t n, uint64_t tsc)
{
	set_time(s, tsc);
	sl_tcp_input_burst(s->tcp, pkts, n, s->now_us);
}

unsigned sl_server_drain(struct sl_server *s, uint64_t tsc)
{
	struct sl_server_conn *c, *next;
	unsigned left = 0;

	set_time(s, tsc);
	if (!s->draining) {
		s->draining = 1;
		sl_tcp_unlisten(s->tcp, s->listen_port);
	}
	for (c = s->live; c != NULL; c = next) {
		uint32_t unread;

		next = c->next;
		if (!c->closing) {
			c->closing = true;
			/* Requests not yet taken were never answered: drop them, so
			 * the close is a FIN, not a reset (RFC 1122 4.2.2.13). */
			unread = sl_tcp_readable(c->tc);
			if (unread > 0)
				sl_tcp_consume(c->tc, unread, s->now_us);
		}
		if (s->echo) {
			sl_tcp_close(c->tc, s->now_us);
			conn_free(s, c);
			continue;
		}
		if (conn_write(s, c) == 0)
			left++;
	}
	return left;
}

void sl_server_icmp_unreach(void *ctx, const struct rte_ipv4_hdr *ip, uint32_t len, uint8_t code,
			    uint16_t mtu, uint64_t tsc)
{
	struct sl_server *s = ctx;

	set_time(s, tsc);
	sl_tcp_icmp_unreach(s->tcp, ip, len, code, mtu, s->now_us);
}

/*
 * The worker's output fell below the budget's low mark: every connection
 * the budget paused takes input again (in the loop, not inside the event
 * that ended the over state). A close during a read may free any other
 * connection, so the walk restarts from the list head after one.
 */
static void budget_resume_all(struct sl_server *s)
{
	struct sl_server_conn *c = s->budget_paused;

	s->budget_resume = false;
	while (c != NULL) {
		uint64_t closed = s->stats.closed;
		struct sl_server_conn *next = c->bp_next;

		if (!sl_server_budget_blocks(&s->budget, c->acct)) {
			budget_unpause(s, c);
			if (!c->paused)
				conn_read(s, c);
			if (s->stats.closed != closed)
				next = s->budget_paused;
		}
		c = next;
	}
}

/*
 * A client's memory as maxmemory-clients counts it: its connection and client
 * structures, unsent replies and held input.
 */
static uint64_t conn_mem(const struct sl_server_conn *c)
{
	return sizeof(*c) + sl_resp_out_mem(&c->client.out) + c->client.pend_len +
	       (c->rbuf != NULL ? sizeof(*c->rbuf) : 0) + sl_inseg_list_bytes(c->held);
}

static uint64_t client_mem(const struct sl_client *k)
{
	return conn_mem(sl_container_of(k, const struct sl_server_conn, client));
}

/*
 * Redis's clientsCron, every SL_CLIENT_OBUF_SWEEP_MS: the output limits of
 * every client (one that stopped reading raises no WRITABLE event, so its
 * soft limit would never fire otherwise), then maxmemory-clients: while
 * this worker's clients hold more than its share, the client holding the
 * most (not marked CLIENT NO-EVICT) is evicted (reset), as Redis's
 * evictClients does.
 */
static void sweep_clients(struct sl_server *s)
{
	struct sl_engine_shared *sh = s->eng.shared;
	uint64_t limit = sh->maxmemory_clients, total = 0, paused = 0;
	struct sl_server_conn *c, *next;

	s->obuf_sweep_ms = s->now_ms;
	for (c = s->live; c != NULL; c = next) {
		next = c->next;
		if (sl_client_obuf_over(&c->client, s->now_ms, &c->soft_since_ms)) {
			sl_tcp_abort(c->tc, s->now_us);
			s->stats.obuf_disconnections++;
			conn_free(s, c);
			continue;
		}
		total += conn_mem(c);
		paused += c->paused || c->budget_paused;
	}
	s->stats.paused_now = paused;
	if (limit == 0)
		return;
	limit /= sl_store_n_parts(s->eng.store);
	while (total > limit) {
		uint64_t most;
		struct sl_client *k = sl_engine_evict_candidate(&s->eng, client_mem, &most);
		struct sl_server_conn *big;

		if (k == NULL)
			return;
		big = sl_container_of(k, struct sl_server_conn, client);
		total -= most;
		sl_tcp_abort(big->tc, s->now_us);
		s->stats.evicted_clients++;
		atomic_fetch_add_explicit(&sh->evicted_clients, 1, memory_order_relaxed);
		conn_free(s, big);
	}
}

unsigned sl_server_poll(struct sl_server *s, uint64_t tsc)
{
	struct sl_client *ready[SL_BURST];
	uint64_t served = s->eng.stats.shipped_in;
	unsigned n, i;

	set_time(s, tsc);
	/* Clients killed outside an input call (the admin socket's CLIENTS KILL). */
	if (sl_unlikely(s->eng.killed != 0))
		close_killed(s, NULL);
	n = sl_engine_poll(&s->eng, s->now_ms, ready, SL_BURST);
	for (i = 0; i < n; i++)
		conn_resume(s, sl_container_of(ready[i], struct sl_server_conn, client));
	if (s->budget_resume)
		budget_resume_all(s);
	if (sl_unlikely(s->now_ms - s->obuf_sweep_ms >= SL_CLIENT_OBUF_SWEEP_MS))
		sweep_clients(s);
	sl_tcp_timers(s->tcp, s->now_us);
	sl_tcp_flush(s->tcp);
	return n + (unsigned)(s->eng.stats.shipped_in - served);
}
