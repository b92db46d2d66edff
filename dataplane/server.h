/*
 * The per-worker RESP server on the DPDK path: the worker's TCP stack
 * (dataplane/net/tcp) delivers connection events, and each connection gets
 * an engine client (dataplane/cmd). Input is copied out of the stack's
 * receive queue in 16 KiB segments and consumed at once (the window reopens
 * as requests are parsed); replies are copied into the stack's send buffer
 * as it has room (WRITABLE events continue the transfer).
 *
 * Backpressure: while a connection has more than 16 MiB of unsent replies
 * the server stops taking its input, so its receive window closes and the
 * client waits; nothing is dropped. Taking input resumes below 4 MiB, or
 * when the client presses against the shut window having taken no reply for
 * 200 ms (it writes everything before it reads; pausing it would deadlock
 * both sides); such a client is not paused again until it reads.
 *
 * client-output-buffer-limit (Redis's last resort, normal class): a
 * connection whose output memory (sl_resp_out_mem: buffered plus referenced
 * bytes) reaches the hard limit, or stays at or above the soft limit for
 * longer than the soft seconds, is closed at once (counted). It is checked
 * whenever replies are added or sent, as Redis checks when it adds replies.
 *
 * Echo mode (sl_server_params.echo): every byte received is sent back, taken
 * from the receive queue only as the send buffer has room, so a client that
 * stops reading closes its own window. It exists to test the TCP stack over
 * the real port.
 *
 * Protected mode (Redis's, adapted to an appliance): with protected-mode on,
 * no requirepass and no ACL configured, only clients in the directly
 * connected subnet are served; others get "-DENIED ..." and are closed.
 *
 * Output budget (output-memory-budget, per worker): the server keeps the sum
 * of every connection's output memory. When it passes the budget, every
 * connection holding more than SL_SERVER_BUDGET_FLOOR bytes stops taking
 * input (a connection with little or nothing queued, e.g. one doing PING,
 * keeps being served) until the sum falls below 3/4 of the budget or the
 * connection's own output drains to the floor. Nothing is dropped and no
 * connection is closed for it. Before feeding a connection's input the
 * server gives the engine a cap on that connection's unsent replies (the
 * pause watermark, and the budget's room left by the other connections);
 * the engine checks it after every request and keeps the rest of the input
 * (sl_client.out_cap), so the sum stays under the budget plus one reply (and
 * the floor) per connection that was allowed to read. Pauses are counted.
 *
 * Per-source caps (maxclients-per-source, `sluicectl caps`): connections
 * are counted per source network exactly, in one table every worker shares
 * (dataplane/srccap.h), and one too many is answered Redis's "-ERR max
 * number of clients reached" (the XDP sketch only sheds SYNs far over the cap).
 *
 * Admission: each established connection is counted per source in the XDP
 * program's count-min sketch (atomic adds on the shared mapping), so the
 * kernel can shed SYNs of a source already at its cap before they cost the
 * dataplane anything.
 *
 * Time: the caller passes the TSC; the server derives the TCP stack's
 * microseconds and the store's unix milliseconds from it.
 *
 * Lcore: everything here runs on the owning worker only.
 */
#ifndef SL_DATAPLANE_SERVER_H
#define SL_DATAPLANE_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "control/bpf/sluice_maps.h"
#include "dataplane/cmd/cmd.h"
#include "dataplane/inseg.h"
#include "dataplane/net/tcp/tcp.h"
#include "dataplane/srccap.h"

struct sl_server_conn;
struct sl_server_conn_slab;

/* Per-source connection counts for maxclients-per-source (exact). */

struct sl_server_stats {
	uint64_t accepted;
	uint64_t closed;
	uint64_t aborted;    /* closed at once: protocol limit or no memory */
	uint64_t paused;     /* times input was paused by backpressure */
	uint64_t paused_now; /* connections not taking input (backpressure or budget), last sweep */
	uint64_t conn_nomem; /* connections refused: no memory for a client */
	uint64_t rejected;   /* connections refused: maxclients reached */
	uint64_t denied;     /* connections refused: protected mode */
	uint64_t obuf_disconnections; /* closed by client-output-buffer-limit */
	uint64_t source_rejected;     /* connections refused: maxclients-per-source */
	uint64_t budget_pauses;       /* times a connection stopped taking input: output budget */
	uint64_t evicted_clients;     /* closed by maxmemory-clients */
	/* INFO mem_clients_normal: output memory of the live clients as of their last write
	 * (sl_resp_out_mem), and the input segments they hold, in bytes. */
	uint64_t out_mem;
	uint64_t query_mem;
	/* INFO client_recent_max_output_buffer: the largest output memory of one client
	 * during unix second obuf_peak_sec[i], in slot i = second % SL_INFO_OBUF_SLOTS. */
	uint64_t obuf_peak[SL_INFO_OBUF_SLOTS];
	uint64_t obuf_peak_sec[SL_INFO_OBUF_SLOTS];
};

/*
 * The worker's output budget accounting (sl_server_budget_*): plain state of
 * one worker, no locking; used by the server on its lcore and by unit tests.
 */
#define SL_SERVER_BUDGET_FLOOR (64 * 1024) /* never paused at or below this */
struct sl_server_budget {
	uint64_t high;  /* bytes; 0 = no budget (totals are still kept) */
	uint64_t low;   /* resume mark: 3/4 of high */
	uint64_t floor; /* SL_SERVER_BUDGET_FLOOR */
	uint64_t total; /* output memory of every connection */
	uint64_t peak;  /* largest total seen */
	bool over;      /* total passed high and has not fallen below low since */
};

/* Prepares b for a budget of `bytes` (0: none). */
void sl_server_budget_init(struct sl_server_budget *b, uint64_t bytes);

/*
 * One connection's output memory is now `mem`; *acct is the value last
 * recorded for it (the caller's per-connection state, 0 when new; pass
 * mem 0 when the connection goes away). Updates total, peak and the over
 * state. Returns true when this update ended the over state: the caller
 * resumes the connections it paused.
 */
bool sl_server_budget_update(struct sl_server_budget *b, uint64_t *acct, uint64_t mem);

/* Whether a connection whose output memory is `mem` must not take input now. */
static inline bool sl_server_budget_blocks(const struct sl_server_budget *b, uint64_t mem)
{
	return b->over && mem > b->floor;
}

struct sl_server {
	struct sl_tcp *tcp;
	struct sl_engine eng;
	uint64_t tsc_hz;
	uint64_t tsc_per_us;
	uint64_t tsc_per_ms;
	uint64_t start_tsc;
	uint64_t start_unix_us;
	uint64_t now_us; /* of the batch being processed */
	uint64_t now_ms;
	struct sl_server_conn *free_conns;
	struct sl_server_conn_slab *conn_slabs; /* where connection state comes from */
	struct sl_server_conn *live;
	uint32_t nclients; /* this worker's (maxclients counts all: sl_engine_shared) */
	int echo;
	int draining;
	uint64_t obuf_sweep_ms;     /* last check of every connection's output limits */
	struct sl_inseg_cache segs; /* free input segments */
	struct sl_srccap *srccap;   /* shared by every worker; NULL = no per-source counting */
	uint16_t listen_port;
	uint32_t local_net;  /* our address & netmask, host order */
	uint32_t local_mask; /* host order */
	int protected_mode;  /* no requirepass and protected-mode yes */
	const atomic_int *acl_configured;
	struct sl_bpf_sketch *sketch; /* shared with the XDP program through an mmap */
	uint64_t sketch_seed;
	struct sl_server_budget budget;
	struct sl_server_conn *budget_paused; /* connections paused by the budget */
	bool budget_resume;                   /* the over state ended: resume them */
	struct sl_server_stats stats;
};

struct sl_server_params {
	uint32_t ip; /* network byte order */
	struct rte_ether_addr mac;
	uint16_t port;            /* TCP port to serve */
	struct rte_mempool *pool; /* borrowed */
	sl_tcp_tx_fn *tx;         /* complete frames out */
	void *tx_ctx;
	int tx_cksum_offload;
	uint32_t max_conns;
	struct sl_store *store; /* borrowed; reader `self` online on this lcore */
	unsigned self;
	struct sl_engine_shared *shared; /* borrowed */
	uint64_t unix_us;                /* wall clock at start (us), for expiry times */
	struct sl_bpf_sketch *sketch;    /* NULL, or the XDP program's per-source counts */
	uint64_t sketch_seed;
	uint32_t netmask;                 /* network byte order */
	int protected_mode;               /* refuse other subnets while unprotected */
	const atomic_int *acl_configured; /* control thread: an ACL exists (may be NULL) */
	int echo;                 /* serve a TCP echo instead of RESP (tests of the TCP stack) */
	uint64_t pace_conn_bps;   /* bytes per second per connection; 0 = no cap */
	uint64_t pace_port_bps;   /* bytes per second for this worker's queue; 0 = no cap */
	struct sl_srccap *srccap; /* borrowed, shared by the workers; NULL = none */
	uint64_t output_budget;   /* output-memory-budget: bytes per worker, 0 = none */
};

/* Bytes of one connection's state (struct sl_server_conn, engine client
 * included), for memory figures and tests. Any thread. */
size_t sl_server_conn_size(void);

/* Creates the TCP stack and starts listening. 0 or -errno. */
int sl_server_init(struct sl_server *s, const struct sl_server_params *p);
/* Closes every connection (reset), destroys the stack. */
void sl_server_deinit(struct sl_server *s);

/* TCP frames from the IPv4 layer (ownership transferred). */
void sl_server_input(struct sl_server *s, struct rte_mbuf **pkts, uint16_t n, uint64_t tsc);
/* ICMP destination unreachable from the IPv4 layer (sl_net_icmp_unreach_fn). */
void sl_server_icmp_unreach(void *ctx, const struct rte_ipv4_hdr *ip, uint32_t len, uint8_t code,
			    uint16_t mtu, uint64_t tsc);

/*
 * Once per loop iteration: requests shipped here by other workers, replies
 * to this worker's shipped requests (their clients resume), timers, output.
 * Returns the requests served for other workers plus the clients resumed
 * (work done, for the busy-cycle count).
 */
unsigned sl_server_poll(struct sl_server *s, uint64_t tsc);

/*
 * Graceful drain (SIGTERM): stop listening (new SYNs are refused), stop
 * taking input, discard what was received but not yet parsed, keep sending
 * every reply already produced, and close each connection with FIN once its
 * replies are out. Idempotent. Returns the number of connections still
 * sending; the caller keeps polling until it is 0 or its deadline passes.
 */
unsigned sl_server_drain(struct sl_server *s, uint64_t tsc);

#endif /* SL_DATAPLANE_SERVER_H */
