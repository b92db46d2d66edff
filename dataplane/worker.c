#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "dataplane/worker.h"

/* TX drain timer: how long a partial burst may wait (as in l3fwd, ~100 us). */
#define SL_WORKER_DRAIN_US 100

static uint16_t port_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	struct sl_worker *w = ctx;

	return rte_eth_tx_burst(w->port_id, w->queue_id, pkts, n);
}

static void collect_tcp(void *ctx, struct rte_mbuf *m, uint64_t now)
{
	struct sl_worker *w = ctx;

	(void)now;
	/* net hands at most one burst per call, so this never overflows */
	w->tcp_pkts[w->tcp_n++] = m;
}

uint16_t sl_worker_tcp_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	struct sl_worker *w = ctx;
	uint16_t i;

	for (i = 0; i < n; i++)
		sl_net_output(&w->net, pkts[i]);
	return n;
}

void sl_worker_attach_server(struct sl_worker *w, struct sl_server *srv, struct sl_store *store,
			     unsigned self)
{
	w->srv = srv;
	w->store = store;
	w->self = self;
	w->net.tcp_input = collect_tcp;
	w->net.tcp_ctx = w;
	w->net.icmp_unreach = sl_server_icmp_unreach;
	w->net.icmp_ctx = srv;
}

int sl_worker_init(struct sl_worker *w, uint16_t port_id, uint16_t queue_id,
		   const struct sl_net_iface *iface, struct rte_mempool *pool,
		   const atomic_int *stop)
{
	int rc;

	if (w == NULL || pool == NULL || stop == NULL)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	rc = sl_net_init(&w->net, iface, port_tx, w);
	if (rc != 0)
		return rc;
	w->port_id = port_id;
	w->queue_id = queue_id;
	w->pool = pool;
	w->stop = stop;
	w->drain_tsc = (rte_get_tsc_hz() + 999999) / 1000000 * SL_WORKER_DRAIN_US;
	return 0;
}

void sl_worker_mbox_service(struct sl_worker *w)
{
	unsigned expect = SL_WORKER_MBOX_POSTED;

	if (!atomic_compare_exchange_strong_explicit(&w->mbox.state, &expect,
						     SL_WORKER_MBOX_RUNNING, memory_order_acquire,
						     memory_order_relaxed))
		return;
	w->mbox.fn(w, w->mbox.arg);
	atomic_store_explicit(&w->mbox.state, SL_WORKER_MBOX_DONE, memory_order_release);
}

int sl_worker_call(struct sl_worker *w, sl_worker_call_fn *fn, void *arg, unsigned timeout_ms)
{
	unsigned st = atomic_load_explicit(&w->mbox.state, memory_order_acquire), waited;

	if (st == SL_WORKER_MBOX_DONE)
		atomic_store_explicit(&w->mbox.state, SL_WORKER_MBOX_IDLE, memory_order_relaxed);
	else if (st != SL_WORKER_MBOX_IDLE)
		return -EBUSY;
	w->mbox.fn = fn;
	w->mbox.arg = arg;
	atomic_store_explicit(&w->mbox.state, SL_WORKER_MBOX_POSTED, memory_order_release);
	for (waited = 0;; waited++) {
		st = atomic_load_explicit(&w->mbox.state, memory_order_acquire);
		if (st == SL_WORKER_MBOX_DONE) {
			atomic_store_explicit(&w->mbox.state, SL_WORKER_MBOX_IDLE,
					      memory_order_relaxed);
			return 0;
		}
		if (waited >= timeout_ms)
			break;
		nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
	}
	st = SL_WORKER_MBOX_POSTED;
	if (atomic_compare_exchange_strong_explicit(&w->mbox.state, &st, SL_WORKER_MBOX_IDLE,
						    memory_order_acq_rel, memory_order_acquire))
		return -ETIMEDOUT;
	if (st == SL_WORKER_MBOX_DONE) { /* finished just now */
		atomic_store_explicit(&w->mbox.state, SL_WORKER_MBOX_IDLE, memory_order_relaxed);
		return 0;
	}
	return -EINPROGRESS;
}

int sl_worker_main(void *arg)
{
	struct sl_worker *w = arg;
	struct rte_mbuf *pkts[SL_BURST];
	uint64_t last_flush = rte_rdtsc();

	w->lcore_id = rte_lcore_id();
	if (w->store != NULL)
		sl_store_reader_online(w->store, w->self);
	if (w->announce) {
		struct rte_mbuf *m = sl_net_arp_announce(&w->net, w->pool);

		if (m != NULL)
			sl_net_output(&w->net, m);
	}
	while (atomic_load_explicit(w->stop, memory_order_relaxed) == 0) {
		uint64_t t0 = rte_rdtsc(), t1;
		uint16_t n = rte_eth_rx_burst(w->port_id, w->queue_id, pkts, SL_BURST);
		unsigned resumed = 0;

		if (n > 0)
			sl_net_input_burst(&w->net, pkts, n, t0);
		if (w->tcp_n > 0) {
			sl_server_input(w->srv, w->tcp_pkts, w->tcp_n, t0);
			w->tcp_n = 0;
		}
		if (w->srv != NULL) {
			if (w->drain != NULL &&
			    atomic_load_explicit(w->drain, memory_order_relaxed))
				atomic_store_explicit(&w->draining_left,
						      sl_server_drain(w->srv, t0),
						      memory_order_relaxed);
			resumed = sl_server_poll(w->srv, t0);
			/* No borrowed store view survives an iteration. */
			sl_store_quiescent(w->store, w->self);
			sl_store_maintain(w->store, w->self, w->srv->now_ms);
		}
		if (atomic_load_explicit(&w->mbox.state, memory_order_relaxed) ==
		    SL_WORKER_MBOX_POSTED)
			sl_worker_mbox_service(w);
		if (w->net.tx_n > 0 &&
		    (n == 0 || w->net.tx_n >= SL_BURST || t0 - last_flush >= w->drain_tsc)) {
			sl_net_flush(&w->net);
			last_flush = t0;
		}
		t1 = rte_rdtsc();
		w->stats.loops++;
		if (n > 0)
			w->stats.rx_bursts++;
		if (n > 0 || resumed > 0) {
			w->stats.busy_cycles += t1 - t0;
		} else {
			w->stats.idle_cycles += t1 - t0;
		}
	}
	sl_net_flush(&w->net);
	if (w->store != NULL)
		sl_store_reader_offline(w->store, w->self);
	return 0;
}
