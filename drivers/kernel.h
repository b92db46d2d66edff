/*
 * The kernel-socket transport: the same engine and store as the DPDK path,
 * over ordinary TCP sockets. One thread per worker, each with its own epoll
 * set and its own listening socket on the same address (SO_REUSEPORT, so the
 * kernel spreads connections over workers). For development, for hosts
 * without a DPDK-capable NIC, and to measure what kernel bypass buys.
 *
 * Per connection: input is read into 16 KiB segments and fed to the engine;
 * a segment that still holds part of an unfinished request is kept until
 * that request completes. Output is written with writev from the reply
 * chain. Backpressure: while a connection has more than 16 MiB of unsent
 * replies its input is not read (its TCP window closes, the client waits);
 * reading resumes below 4 MiB.
 *
 * Client limits, as on the DPDK path: maxclients and the per-source caps
 * (a struct sl_srccap shared with the admin socket) at accept, answered
 * with Redis's "max number of clients reached" and counted in INFO
 * rejected_connections; every SL_CLIENT_OBUF_SWEEP_MS each worker checks
 * its clients' output limits, then evicts the client holding the most
 * memory (not CLIENT NO-EVICT) while its clients hold more than its share
 * of maxmemory-clients (the limit / workers), counted in INFO
 * evicted_clients. Peers are IPv4 only (the listener is AF_INET).
 */
#ifndef SL_DRIVERS_KERNEL_H
#define SL_DRIVERS_KERNEL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/cmd/cmd.h"
#include "dataplane/store/store.h"

struct sl_kernel;
struct sl_srccap;

struct sl_kernel_conf {
	uint32_t bind_addr; /* IPv4, network byte order */
	uint16_t port;
	unsigned workers;                /* = store partitions */
	int protected_mode;              /* no requirepass: loopback clients only */
	struct sl_store *store;          /* borrowed */
	struct sl_engine_shared *shared; /* borrowed */
	/* Borrowed until sl_kernel_stop, or NULL (no per-source caps): every
	 * accepted connection is admitted and released in it, from the workers. */
	struct sl_srccap *srccap;
};

/*
 * Binds and listens (one socket per worker) and starts the worker threads.
 * Returns the transport, or NULL with errno set and a message in err.
 * Control thread.
 */
struct sl_kernel *sl_kernel_start(const struct sl_kernel_conf *conf, char *err, size_t errlen);

/* Asks the workers to stop, joins them, closes every connection. *k is NULLed. */
void sl_kernel_stop(struct sl_kernel **k);

/*
 * Connections refused by maxclients and by the per-source caps, and clients
 * closed by maxmemory-clients, since start (relaxed reads). Any thread.
 */
struct sl_kernel_limits {
	uint64_t rejected;
	uint64_t source_rejected;
	uint64_t evicted;
};
void sl_kernel_limits_get(const struct sl_kernel *k, struct sl_kernel_limits *out);

/* Sum of the workers' engine statistics (relaxed reads). */
void sl_kernel_stats(const struct sl_kernel *k, struct sl_engine_stats *out);

#endif /* SL_DRIVERS_KERNEL_H */
