/*
 * sl_tcp: a per-lcore userspace TCP/IPv4 stack over DPDK mbufs.
 *
 * One instance per worker lcore, shared-nothing: no locks, no clock reads, no
 * syscalls, no allocation after creation except mbufs from the pool given at
 * creation. Every entry point takes `now` from a monotonic clock chosen by the
 * caller: MICROSECONDS, or ticks of params.now_hz (e.g. TSC cycles) converted
 * on entry; tests drive virtual time. Input is bursts of whole
 * Ethernet frames already validated by the IPv4 layer; output is whole
 * Ethernet/IPv4/TCP frames handed to a tx function.
 *
 * Application interface: events (accept, connected, readable, writable,
 * closed, reset) are delivered through one callback at the end of
 * sl_tcp_input_burst / sl_tcp_timers, never while the stack is in the middle of
 * processing a segment, so the callback may call any sl_tcp_* function on any
 * connection. Received data stays queued in the connection until the
 * application consumes it; the advertised receive window shrinks as the
 * buffer fills and is never retracted.
 *
 * Connection handles: a handle is valid from the ACCEPT event (passive) or
 * sl_tcp_connect (active) until the application calls sl_tcp_close or
 * sl_tcp_abort, or until a CLOSED or RESET event has been delivered for it
 * (the stack releases the handle after that callback returns).
 *
 * Byte order: IPv4 addresses and ports in this API are HOST byte order.
 * Thread context: every function on a stack and its connections must be called
 * from the one lcore that owns the stack, except sl_tcp_stats_get, which the
 * control thread may call at any time (it reads plain counters; a value may be
 * one update behind).
 */
#ifndef SL_NET_TCP_H
#define SL_NET_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

struct sl_tcp;
struct sl_tcp_conn;
struct sl_tcp_cc_ops;

enum sl_tcp_event {
	SL_TCP_EV_ACCEPT,    /* passive open completed; handle is new */
	SL_TCP_EV_CONNECTED, /* active open completed */
	/* new in-order data, end of stream (sl_tcp_eof), or, while unread data
	 * keeps the receive window shut, the peer probing or sending beyond it */
	SL_TCP_EV_READABLE,
	SL_TCP_EV_WRITABLE, /* acknowledged data freed send-buffer space */
	SL_TCP_EV_CLOSED,   /* finished (err 0) or timed out (err ETIMEDOUT); handle released */
	SL_TCP_EV_RESET,    /* reset by peer (ECONNRESET / ECONNREFUSED); handle released */
};

/* Transmit: the callee takes ownership of the first n' <= n frames it returns;
 * the stack frees the rest (TCP retransmission recovers). */
typedef uint16_t sl_tcp_tx_fn(void *ctx, struct rte_mbuf **pkts, uint16_t n);
/* Event callback; err is 0 except for CLOSED/RESET. conn borrowed. */
typedef void sl_tcp_event_fn(void *ctx, struct sl_tcp_conn *conn, enum sl_tcp_event ev, int err);
/* Next-hop MAC for an active open; returns 0 and fills *mac, or -errno. */
typedef int sl_tcp_resolve_fn(void *ctx, uint32_t ip, struct rte_ether_addr *mac);

/* Creation flags. */
#define SL_TCP_F_RX_CKSUM_BYPASS  (1u << 0) /* do not verify TCP checksums (fuzzing) */
#define SL_TCP_F_TX_CKSUM_OFFLOAD (1u << 1) /* port computes IPv4 and TCP checksums */
#define SL_TCP_F_SYN_COOKIES      (1u << 2) /* answer SYNs with cookies when backlog is full */
#define SL_TCP_F_NO_SACK          (1u << 3) /* do not offer/accept SACK */
#define SL_TCP_F_NO_TIMESTAMPS    (1u << 4) /* do not offer/accept timestamps */
#define SL_TCP_F_NO_WSCALE        (1u << 5) /* do not offer/accept window scaling */

/* Creation parameters. Zero in a numeric field selects the default in
 * brackets. All pointers are borrowed and must outlive the stack. */
struct sl_tcp_params {
	uint32_t local_ip;               /* host order; required */
	struct rte_ether_addr local_mac; /* source MAC of every frame */
	struct rte_mempool *pool;        /* pktmbuf pool for tx frames and buffers; required */
	sl_tcp_tx_fn *tx;                /* required */
	void *tx_ctx;
	sl_tcp_event_fn *event; /* required */
	void *event_ctx;
	sl_tcp_resolve_fn *resolve; /* needed only for sl_tcp_connect */
	void *resolve_ctx;
	const struct sl_tcp_cc_ops *cc; /* [sl_tcp_cc_newreno] */
	uint32_t flags;                 /* SL_TCP_F_* */
	uint32_t max_conns;             /* connections incl. TIME-WAIT [1024] */
	uint32_t max_timewait;          /* TIME-WAIT entries kept [max_conns / 4] */
	uint32_t rcv_buf;               /* receive buffer per connection [65536] */
	uint32_t snd_buf;               /* send buffer per connection [65536] */
	uint16_t mss;                   /* MSS we advertise, from the MTU [1460] */
	uint16_t max_listeners;         /* [8] */
	uint32_t rto_min_us;            /* [200000] RFC 6298 2.4 says 1 s; see docs */
	uint32_t rto_max_us;            /* [60000000] */
	uint32_t rto_init_us;           /* [1000000] RFC 6298 2.1 */
	uint32_t delack_us;             /* [40000] RFC 9293 3.8.6.3 allows <= 500 ms */
	uint32_t msl_us;                /* [30000000]; TIME-WAIT lasts 2 MSL */
	uint32_t keepidle_us;           /* [0 = keepalive off] RFC 1122 4.2.3.6 */
	uint32_t keepintvl_us;          /* [75000000] */
	uint8_t keepcnt;                /* [9] */
	uint8_t max_retries;            /* data retransmissions before giving up [15] */
	uint8_t syn_retries;            /* SYN / SYN-ACK retransmissions [5] */
	uint8_t reserved;
	/* Unit of every `now`: 0 = microseconds, else ticks per second
	 * (e.g. rte_get_tsc_hz()), converted to microseconds on entry. */
	uint64_t now_hz;
	uint64_t secret[2]; /* key for ISNs and SYN cookies (random) */
};

/* Netstat-style counters, one X per field: X(name, description). */
#define SL_TCP_STATS(X)                                                                            \
	X(segs_in, "segments received")                                                            \
	X(segs_out, "segments sent")                                                               \
	X(bytes_in, "payload bytes received in order")                                             \
	X(bytes_out, "payload bytes sent (incl. retransmits)")                                     \
	X(retrans_segs, "segments retransmitted")                                                  \
	X(rto_timeouts, "retransmission timeouts")                                                 \
	X(fast_retrans, "fast retransmits (loss recovery entered)")                                \
	X(sack_recoveries, "recoveries using SACK (RFC 6675)")                                     \
	X(active_opens, "active opens")                                                            \
	X(passive_opens, "passive opens (connections accepted)")                                   \
	X(attempt_fails, "failed connection attempts")                                             \
	X(estab_resets, "connections reset by peer")                                               \
	X(rst_out, "resets sent")                                                                  \
	X(rst_in, "resets accepted")                                                               \
	X(challenge_acks, "challenge ACKs sent (RFC 5961)")                                        \
	X(challenge_limited, "challenge ACKs suppressed by the rate limit")                        \
	X(oow_acks_limited, "ACKs to invalid segments suppressed (one per connection per 500 ms)") \
	X(rst_ignored, "resets ignored (out of window / TIME-WAIT)")                               \
	X(syn_cookies_sent, "SYN cookies sent")                                                    \
	X(syn_cookies_ok, "SYN cookies validated")                                                 \
	X(syn_cookies_bad, "SYN cookies rejected")                                                 \
	X(backlog_drops, "SYNs dropped: backlog full")                                             \
	X(drop_cksum, "dropped: bad TCP checksum")                                                 \
	X(drop_hdr, "dropped: malformed TCP header")                                               \
	X(drop_opt, "dropped: malformed TCP option")                                               \
	X(drop_frag, "dropped: IPv4 fragment")                                                     \
	X(drop_paws, "dropped: PAWS (RFC 7323 5)")                                                 \
	X(drop_outwin, "dropped: outside receive window")                                          \
	X(drop_noconn, "segments for no connection (RST sent)")                                    \
	X(drop_nomem, "dropped: no mbuf / table full")                                             \
	X(drop_ooo, "dropped: out-of-order queue full")                                            \
	X(ooo_segs, "out-of-order segments queued")                                                \
	X(dup_acks, "duplicate ACKs received")                                                     \
	X(delayed_acks, "delayed ACKs sent")                                                       \
	X(persist_probes, "zero-window probes sent")                                               \
	X(keepalive_probes, "keepalive probes sent")                                               \
	X(keepalive_drops, "connections dropped by keepalive")                                     \
	X(timeout_drops, "connections dropped by retransmission limit")                            \
	X(timewait_reused, "TIME-WAIT entries reused by a new SYN")                                \
	X(timewait_recycled, "TIME-WAIT entries evicted (table bound)")                            \
	X(tx_drops, "frames the tx function did not take")                                         \
	X(paced, "sends held back by pacing (connection or port rate)")                            \
	X(pmtu_updates, "MSS lowered by ICMP frag-needed")                                         \
	X(icmp_ignored, "ICMP errors ignored")                                                     \
	X(data_after_close, "resets: data after close or unread data (RFC 1122 4.2.2.13)")

struct sl_tcp_stats {
#define SL_TCP_STAT_FIELD(n, d) uint64_t n;
	SL_TCP_STATS(SL_TCP_STAT_FIELD)
#undef SL_TCP_STAT_FIELD
};

/* Congestion control algorithms (pass in sl_tcp_params.cc). */
extern const struct sl_tcp_cc_ops sl_tcp_cc_newreno;
extern const struct sl_tcp_cc_ops sl_tcp_cc_cubic;

/* Create a stack. params borrowed (copied). Returns NULL and sets errno
 * (EINVAL, ENOMEM). Any lcore; not on the hot path (allocates). */
struct sl_tcp *sl_tcp_create(const struct sl_tcp_params *params);
/* Destroy a stack and free every queued mbuf; *stack becomes NULL. No events. */
void sl_tcp_destroy(struct sl_tcp **stack);

/* Feed received frames. Ownership of all n mbufs is transferred; returns n.
 * Each frame: Ethernet+IPv4+TCP, l2_len/l3_len set, IPv4 header validated. */
uint16_t sl_tcp_input_burst(struct sl_tcp *stack, struct rte_mbuf **pkts, uint16_t n, uint64_t now);
/* One frame, with the signature of the IPv4 layer's upper-layer hook
 * (sl_net_l4_input_fn): stack is the struct sl_tcp, m is transferred. Events
 * are delivered before it returns; output frames wait in the stack's tx
 * buffer until it fills or sl_tcp_flush / sl_tcp_timers runs, so a worker
 * calls one of those once per loop iteration. */
void sl_tcp_input(void *stack, struct rte_mbuf *m, uint64_t now);
/*
 * Egress pacing. conn_rate: bytes per second one connection may send, on top
 * of its congestion window (0: no cap); port_rate: bytes per second the whole
 * stack may send, its share of the port's link (0: no cap). Frames count with
 * their headers. A connection over either rate keeps its data queued and is
 * woken by the timer wheel at its departure time; bursts are at most about
 * one wheel tick (1 ms) of the rate. Retransmissions, ACKs and control
 * segments are not held. Stack's lcore; applies from the next send.
 */
void sl_tcp_set_pacing(struct sl_tcp *stack, uint64_t conn_rate, uint64_t port_rate);

/* Run due timers (bounded work per call); returns how many ran. */
unsigned int sl_tcp_timers(struct sl_tcp *stack, uint64_t now);
/* Hand buffered output frames to the tx function. */
void sl_tcp_flush(struct sl_tcp *stack);

/* ICMP destination unreachable (RFC 792/1191/5927). ip: the quoted IPv4
 * header (borrowed), len: bytes available from ip (>= IHL + 8); mtu: next-hop
 * MTU for code 4 (frag needed), else ignored. */
void sl_tcp_icmp_unreach(struct sl_tcp *stack, const struct rte_ipv4_hdr *ip, uint32_t len,
			 uint8_t code, uint16_t mtu, uint64_t now);

/* Passive open on a port. Returns 0, -EADDRINUSE, -ENOSPC, -EINVAL. backlog
 * bounds connections in SYN-RECEIVED for this port. */
int sl_tcp_listen(struct sl_tcp *stack, uint16_t port, uint32_t backlog);
/* Stop listening; established connections are not affected. 0 or -ENOENT. */
int sl_tcp_unlisten(struct sl_tcp *stack, uint16_t port);

/* Active open. src_port 0 picks a free ephemeral port (49152-65535); with
 * several workers behind RSS the caller passes a src_port whose reply hashes
 * to this lcore's queue. udata borrowed.
 * Returns the handle or NULL with errno (ENOMEM, EADDRINUSE, EHOSTUNREACH). */
struct sl_tcp_conn *sl_tcp_connect(struct sl_tcp *stack, uint32_t dst_ip, uint16_t dst_port,
				   uint16_t src_port, void *udata, uint64_t now);

/* Queue up to len bytes (copied) for sending. Returns bytes accepted (0 when
 * the send buffer is full: wait for WRITABLE) or -EPIPE / -ENOTCONN / -ENOMEM. */
int sl_tcp_send(struct sl_tcp_conn *conn, const void *buf, uint32_t len, uint64_t now);
/* Copy up to len queued in-order bytes starting at off into buf without
 * consuming them; returns bytes copied. */
uint32_t sl_tcp_peek(const struct sl_tcp_conn *conn, uint32_t off, void *buf, uint32_t len);
/* Zero-copy view of queued input: fills up to max iovecs with the queue's
 * contiguous pieces, in order, and returns how many. The memory is owned by
 * the stack and stays valid until the next sl_tcp_consume, close or abort on
 * this connection (new input only appends). */
uint32_t sl_tcp_peek_iov(const struct sl_tcp_conn *conn, struct iovec *iov, uint32_t max);
/* In-order bytes queued and not consumed. */
uint32_t sl_tcp_readable(const struct sl_tcp_conn *conn);
/* 1 when the peer's FIN has been received (after all queued data). */
int sl_tcp_eof(const struct sl_tcp_conn *conn);
/* Free send-buffer space in bytes. */
uint32_t sl_tcp_send_space(const struct sl_tcp_conn *conn);
/* Drop n consumed bytes (n <= readable); may open the window. 0 or -EINVAL. */
int sl_tcp_consume(struct sl_tcp_conn *conn, uint32_t n, uint64_t now);
/* Half close: FIN after queued data. 0 or -ENOTCONN. Handle stays valid. */
int sl_tcp_shutdown(struct sl_tcp_conn *conn, uint64_t now);
/* Release the handle and close gracefully; if unread data remains, reset
 * instead (RFC 1122 4.2.2.13). No more events for this handle. */
void sl_tcp_close(struct sl_tcp_conn *conn, uint64_t now);
/* Release the handle and reset the connection. */
void sl_tcp_abort(struct sl_tcp_conn *conn, uint64_t now);

void *sl_tcp_conn_udata(const struct sl_tcp_conn *conn);
void sl_tcp_conn_set_udata(struct sl_tcp_conn *conn, void *udata);
/* Four-tuple, host order; any out pointer may be NULL. */
void sl_tcp_conn_tuple(const struct sl_tcp_conn *conn, uint32_t *lip, uint16_t *lport,
		       uint32_t *rip, uint16_t *rport);
/* RFC 9293 state name ("ESTABLISHED", ...). */
const char *sl_tcp_conn_state(const struct sl_tcp_conn *conn);

/* Copy counters; callable from the control thread. */
void sl_tcp_stats_get(const struct sl_tcp *stack, struct sl_tcp_stats *out);
/* Counter i's name and description; NULL past the end. */
const char *sl_tcp_stat_name(unsigned int i, const char **desc);
/* Connections in the table (incl. SYN-RECEIVED and TIME-WAIT). */
uint32_t sl_tcp_conn_count(const struct sl_tcp *stack);
/* Bytes an idle established connection costs: control block + table share. */
size_t sl_tcp_conn_footprint(const struct sl_tcp *stack);

#endif /* SL_NET_TCP_H */
