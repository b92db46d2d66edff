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

#endif /* SL_DATAPLANE_WORKER_H */
