/*
 * Private definitions of the TCP stack: the control block, the stack instance
 * and the congestion-control ops. Only dataplane/net/tcp/ includes this.
 */
#ifndef SL_NET_TCP_PRIV_H
#define SL_NET_TCP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/common.h"
#include "dataplane/net/tcp/tcp.h"

/* Modular sequence-number comparisons (RFC 9293 3.4). */
#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

enum tcp_state {
	TCPS_CLOSED,
	TCPS_LISTEN,
	TCPS_SYN_SENT,
	TCPS_SYN_RECEIVED,
	TCPS_ESTABLISHED,
	TCPS_FIN_WAIT_1,
	TCPS_FIN_WAIT_2,
	TCPS_CLOSE_WAIT,
	TCPS_CLOSING,
	TCPS_LAST_ACK,
	TCPS_TIME_WAIT,
};

/* A byte queue held in a chain of pool mbufs linked by m->next; each mbuf's
 * data_len bytes are payload. Empty queues hold no mbuf. */
struct bufq {
	struct rte_mbuf *head;
	struct rte_mbuf *tail;
	uint32_t len;
};

/* Connection flags. */
#define TF_APP_CLOSED (1u << 0) /* handle released by the application */
#define TF_FIN_QUEUED (1u << 1) /* shutdown requested: FIN after sndq */
#define TF_FIN_RCVD   (1u << 2) /* peer's FIN consumed into rcv_nxt */
#define TF_ACK_NOW    (1u << 3)
#define TF_DELACK     (1u << 4)
#define TF_WS         (1u << 5) /* window scaling in use */
#define TF_TS         (1u << 6) /* timestamps in use */
#define TF_SACK       (1u << 7) /* SACK permitted both ways */
#define TF_RECOVERY   (1u << 8) /* fast recovery (NewReno or SACK) */
#define TF_PASSIVE    (1u << 9) /* created from a listener */
#define TF_IN_EVQ     (1u << 10)
#define TF_OOO_FIN    (1u << 11) /* FIN seen beyond a hole, at ooo_fin_seq */
#define TF_RTT_TIMING (1u << 12) /* rtt_seq is being timed (no TS) */
#define TF_BACKLOG    (1u << 13) /* counted in the listener's syn_rcvd */
#define TF_FIN_SENT   (1u << 14)
#define TF_FIN_ACKED  (1u << 15)

/* Pending events (bits of ev). */
#define EVB(e) (1u << (e))

#define SACK_MAX 4  /* scoreboard blocks kept (send side) */
#define OOO_MAX  16 /* out-of-order segments kept (receive side) */

struct sl_tcp_conn {
	struct sl_tcp *stack;
	struct sl_tcp_conn *hnext;           /* hash chain */
	struct sl_tcp_conn *tprev, *tnext;   /* timer wheel slot list */
	struct sl_tcp_conn *evnext;          /* pending-event queue */
	struct sl_tcp_conn *twnext, *twprev; /* TIME-WAIT list, oldest first */
	void *udata;
	const struct sl_tcp_cc_ops *cc;

	uint32_t laddr, faddr;
	uint16_t lport, fport;
	uint8_t state;
	uint8_t dupacks;
	uint8_t rxt_shift; /* RTO backoff count (RFC 6298 5.5) */
	uint8_t probes;    /* keepalive probes outstanding */
	uint32_t flags;
	uint16_t ev; /* pending events */
	int16_t err;
	struct rte_ether_addr peer_mac;
	uint8_t snd_wscale, rcv_wscale;

	/* RFC 9293 3.3.1 send sequence variables. snd_max: highest sent. */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	uint32_t max_sndwnd;
	/* Receive sequence variables; rcv_adv: right edge advertised. */
	uint32_t irs, rcv_nxt, rcv_adv;
	uint16_t mss;      /* effective send MSS */
	uint16_t peer_mss; /* from the peer's SYN (RFC 9293 3.7.1) */

	/* RFC 7323. */
	uint32_t ts_recent, ts_recent_age; /* age in ms of our clock */
	uint32_t last_ack_sent;

	/* Congestion control (RFC 5681, 6582, 6675). */
	uint32_t cwnd, ssthresh, recover, high_rxt, sacked;
	uint32_t cc_bytes_acked;
	uint32_t prior_cwnd;
	/* CUBIC state (RFC 9438); unused by NewReno. */
	float w_max, w_last_max, cubic_k, w_est;
	uint64_t epoch_start;

	/* RTT (RFC 6298), microseconds. */
	uint32_t srtt, rttvar, rto;
	uint32_t rtt_seq;
	uint64_t rtt_start;

	/* Timers: absolute deadlines in us, 0 = off. */
	uint64_t t_rexmt, t_persist, t_delack, t_keep, t_2msl;
	uint64_t t_pace;     /* pacing: send again at this time (0: not held) */
	uint64_t oow_ack_us; /* last ACK to an invalid segment (0: none), see oow_ack() */
	uint64_t pace_next;  /* departure time of the next segment at the connection's rate */
	uint64_t t_deadline; /* min of the above; the wheel slot key */
	uint64_t idle_since;

	struct bufq sndq;         /* bytes from snd_una */
	struct rte_mbuf *snd_cur; /* copy cursor in sndq (NULL: from head) */
	uint32_t snd_cur_off;     /* sndq offset of snd_cur's first byte */
	struct bufq rcvq;         /* in-order bytes not consumed */
	struct rte_mbuf *ooo;     /* sorted by seq in m->hash.usr; one segment each */
	uint32_t ooo_bytes;
	uint32_t ooo_last; /* seq of most recently queued OOO segment (RFC 2018 4) */
	uint32_t ooo_fin_seq;
	uint8_t ooo_cnt;
	uint8_t nsack;
	uint16_t listen_port;
	uint32_t sack[SACK_MAX][2]; /* scoreboard: SACKed [start, end) */
};

/* Congestion-control algorithm (RFC 5681 framework). cwnd/ssthresh in bytes. */
struct sl_tcp_cc_ops {
	const char *name;
	void (*init)(struct sl_tcp_conn *c);
	/* New data acked outside recovery (slow start / congestion avoidance). */
	void (*ack)(struct sl_tcp_conn *c, uint32_t acked, uint64_t now);
	/* Loss detected (fast retransmit or RTO): return the new ssthresh. */
	uint32_t (*ssthresh)(struct sl_tcp_conn *c, uint64_t now);
	/* Recovery finished (full ACK). */
	void (*recovered)(struct sl_tcp_conn *c, uint64_t now);
};

struct tcp_listener {
	uint16_t port;
	uint8_t used;
	uint32_t backlog;
	uint32_t syn_rcvd;
};

#define WHEEL_SLOTS   1024u
#define WHEEL_TICK_US 1000u
#define TIMER_BUDGET  4096u
#define TXBUF_MAX     SL_BURST

struct sl_tcp {
	struct sl_tcp_params p;
	struct sl_tcp_stats st;
	struct sl_tcp_conn **buckets;
	uint32_t nbuckets_mask;
	struct sl_tcp_conn *conns; /* array of max_conns */
	struct sl_tcp_conn *free_list;
	uint32_t nconns;
	uint32_t conns_used;     /* high-water mark: conns[] above it never touched */
	uint32_t challenge_left; /* RFC 5961 7: challenge ACKs left this second */
	uint64_t challenge_epoch;
	uint64_t challenge_rng; /* xorshift state for the per-second budget */
	struct tcp_listener *listeners;
	struct sl_tcp_conn *wheel[WHEEL_SLOTS];
	uint64_t wheel_tick; /* next tick to process */
	/* Where a walk of wheel_tick's slot stopped when the budget ran out:
	 * the next entry to look at (NULL with wheel_resume set: slot done). */
	struct sl_tcp_conn *wheel_cursor;
	bool wheel_resume;
	struct sl_tcp_conn *evq_head, *evq_tail;
	struct sl_tcp_conn *tw_head, *tw_tail;
	uint32_t ntimewait;
	uint16_t ip_id;
	uint16_t ephemeral_next;
	uint16_t txn;
	uint8_t depth; /* nesting of entry points; flush/deliver at depth 0 */
	uint16_t data_room;
	uint64_t now;
	/* Pacing: bytes per second per connection and for the whole stack (0 = off);
	 * the stack's token bucket (bytes, may go negative by one frame). */
	uint64_t pace_conn_bps;
	uint64_t pace_port_bps;
	int64_t pace_tokens;
	uint64_t pace_refill_us;
	struct rte_mbuf *txbuf[TXBUF_MAX];
};

/* Our timestamp clock: milliseconds (RFC 7323 5.4: 1 ms .. 1 s per tick). */
static inline uint32_t tcp_ts_now(uint64_t now_us)
{
	return (uint32_t)(now_us / 1000u);
}

uint64_t sl_tcp_siphash(const uint64_t key[2], const uint32_t *w, unsigned int nw);

#endif /* SL_NET_TCP_PRIV_H */
