/*
 * The worker lcore: one per RX/TX queue pair. It owns its queues, its
 * network instance and (later) its TCP stack, store partition and pacer;
 * it shares nothing writable with other workers.
 *
 * Loop, each iteration: rx_burst -> net input -> flush TX when a burst is
 * ready, when the iteration was idle, or on the drain timer. Busy and idle
 * TSC cycles are counted separately so that cycles per request can be
 * derived by the control thread. No syscalls, locks or allocation.
 */
#ifndef SL_DATAPLANE_WORKER_H
#define SL_DATAPLANE_WORKER_H

#include <stdatomic.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "dataplane/common.h"
#include "dataplane/net/net.h"
#include "dataplane/server.h"
#include "dataplane/store/store.h"

/* Loop counters, written by the worker, read by the control thread. */
struct sl_worker_stats {
	uint64_t loops;
	uint64_t rx_bursts;   /* iterations that received at least one frame */
	uint64_t busy_cycles; /* TSC cycles spent in iterations with work */
	uint64_t idle_cycles; /* TSC cycles spent polling empty queues */
};

struct sl_worker;

/* A request the control thread runs on a worker (see struct sl_worker_mbox). */
typedef void sl_worker_call_fn(struct sl_worker *w, void *arg);

/* Mailbox states: IDLE -> POSTED (control) -> RUNNING -> DONE (worker) -> IDLE (control). */
enum sl_worker_mbox_state {
	SL_WORKER_MBOX_IDLE,
	SL_WORKER_MBOX_POSTED,
	SL_WORKER_MBOX_RUNNING,
	SL_WORKER_MBOX_DONE,
};

/*
 * The admin mailbox: one request slot, so a worker never does more than one
 * control-plane request per loop iteration. The control thread writes fn and
 * arg, then publishes POSTED (release); the worker claims it with a CAS
 * POSTED -> RUNNING (acquire), runs fn, publishes DONE (release). A control
 * thread that gives up waiting cancels with a CAS POSTED -> IDLE, which fails
 * once the worker has claimed the request: then arg stays the worker's until
 * it reaches DONE.
 */
struct sl_worker_mbox {
	atomic_uint state; /* enum sl_worker_mbox_state */
	sl_worker_call_fn *fn;
	void *arg;
} SL_CACHE_ALIGNED;

struct sl_worker {
	/* Set up by the control thread before launch; read-only afterwards. */
	unsigned int lcore_id;
	uint16_t port_id;
	uint16_t queue_id;
	struct rte_mempool *pool;  /* borrowed: frames this worker originates */
	const atomic_int *stop;    /* borrowed: non-zero asks the loop to return */
	const atomic_int *drain;   /* borrowed, may be NULL: non-zero starts a graceful drain */
	atomic_uint draining_left; /* connections still sending; read by the control thread */
	uint64_t drain_tsc;        /* TX drain timer period in TSC cycles */
	int announce;              /* send a gratuitous ARP when starting */

	struct sl_net net;
	struct sl_server *srv;  /* NULL: TCP is not served */
	struct sl_store *store; /* borrowed; this worker owns partition `self` */
	unsigned self;
	uint16_t tcp_n;
	struct rte_mbuf *tcp_pkts[SL_BURST];
	struct sl_worker_stats stats SL_CACHE_ALIGNED;
	struct sl_worker_mbox mbox; /* control-plane requests (sl_worker_call) */
} SL_CACHE_ALIGNED;

/*
 * Prepares w for (port_id, queue_id) with identity iface. pool and stop are
 * borrowed and must outlive the worker. Returns 0 or -EINVAL.
 */
int sl_worker_init(struct sl_worker *w, uint16_t port_id, uint16_t queue_id,
		   const struct sl_net_iface *iface, struct rte_mempool *pool,
		   const atomic_int *stop);

/*
 * Serves TCP (RESP) on this worker with srv, whose TCP stack must send
 * through sl_worker_tcp_tx with this worker as ctx. store partition `self`
 * belongs to this worker; the worker brings its reader online, announces a
 * quiescent state every iteration and runs the partition's housekeeping.
 */
void sl_worker_attach_server(struct sl_worker *w, struct sl_server *srv, struct sl_store *store,
			     unsigned self);

/* TCP stack tx function (ctx: struct sl_worker *): queues frames on the net TX buffer. */
uint16_t sl_worker_tcp_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n);

/*
 * Lcore entry point (rte_lcore_function_t); arg is a struct sl_worker *.
 * Runs until *stop becomes non-zero, flushes what is queued, returns 0.
 */
int sl_worker_main(void *arg);

/*
 * Worker side of the mailbox: runs the posted request, if any. The loop
 * calls it once per iteration; tests may call it from any thread that plays
 * the worker. fn runs on the worker's lcore: it must do bounded work and
 * make no syscalls.
 */
void sl_worker_mbox_service(struct sl_worker *w);

/*
 * Control thread only: posts fn(w, arg) to w's mailbox and waits (sleeping
 * in 1 ms steps) up to timeout_ms for the worker to run it. arg is borrowed
 * until the call returns 0 or -ETIMEDOUT; after -EINPROGRESS the worker is
 * still running fn (stuck or slow) and arg must stay valid until a later
 * call stops returning -EBUSY. Returns 0 (fn ran), -ETIMEDOUT (the worker
 * did not pick the request up; it was withdrawn and will not run),
 * -EINPROGRESS (picked up but not finished in time) or -EBUSY (an earlier
 * request is still running).
 */
int sl_worker_call(struct sl_worker *w, sl_worker_call_fn *fn, void *arg, unsigned timeout_ms);

#endif /* SL_DATAPLANE_WORKER_H */
