/*
 * dataplane/cmd: the RESP engine between bytes in and bytes out.
 *
 * A transport (the DPDK TCP stack, or the kernel-socket transport) owns
 * connections and hands each connection's input to sl_client_input(); the
 * engine parses requests (dataplane/resp), looks commands up in the one
 * declarative command table, runs them against the store, and appends the
 * replies to the client's output chain, which the transport drains with
 * sl_resp_out_peek()/consume(). The engine never reads a clock: the caller
 * passes now in unix milliseconds.
 *
 * Threads: one struct sl_engine per worker; a client belongs to the worker
 * that accepted its connection and is only touched there. Store reads are
 * QSBR reads (the worker announces quiescent states between iterations);
 * writes go to the worker's own partition. Keys owned by other partitions
 * are not yet shipped (see docs/commands.md): the kernel transport runs one
 * partition per store until cross-core shipping is wired in.
 */
#ifndef SL_DATAPLANE_CMD_CMD_H
#define SL_DATAPLANE_CMD_CMD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/resp/resp.h"
#include "dataplane/store/store.h"

/* Settings shared by all workers. The control thread writes them (CONFIG
 * SET); workers read them with plain loads, once per command at most. */
struct sl_engine_shared {
	struct sl_resp_limits limits;
	char requirepass[512]; /* empty: no password */
	size_t requirepass_len;
	atomic_uint_fast64_t next_client_id;
	uint64_t start_ms; /* for INFO uptime */
	uint16_t tcp_port;
	const char *transport_name; /* "kernel" or "dpdk" */
};

/* Per-worker command statistics (INFO commandstats). */
struct sl_engine_stats {
	uint64_t connected_clients;
	uint64_t commands;
	uint64_t connections_received;
	uint64_t rejected_protocol;
	uint64_t unknown_commands;
	uint64_t keyspace_hits;
	uint64_t keyspace_misses;
};

struct sl_engine {
	struct sl_store *store;
	unsigned self; /* partition owned by this worker; also its reader id */
	struct sl_engine_shared *shared;
	uint64_t now_ms;     /* of the batch being processed */
	uint64_t *cmd_calls; /* per command table entry */
	struct sl_engine_stats stats;
};

/* Client flags. */
#define SL_CLIENT_CLOSE_AFTER_REPLY (1u << 0) /* QUIT, protocol error */
#define SL_CLIENT_CLOSE_NOW         (1u << 1) /* query buffer limit, no memory */
#define SL_CLIENT_AUTHENTICATED     (1u << 2)

struct sl_client {
	uint64_t id;
	struct sl_engine *eng;
	struct sl_resp_parser parser;
	struct sl_resp_out out;
	uint32_t flags;
	uint64_t ctime_ms;
	uint64_t last_ms;
	char name[128]; /* CLIENT SETNAME; empty = none */
	char addr[64];  /* "ip:port" of the peer, for CLIENT LIST/INFO */
};

/*
 * Prepares an engine for worker `self` over store (borrowed; the worker's
 * reader id `self` must be online while it runs commands) and shared
 * settings (borrowed). Returns 0 or -ENOMEM.
 */
int sl_engine_init(struct sl_engine *e, struct sl_store *store, unsigned self,
		   struct sl_engine_shared *shared);
void sl_engine_deinit(struct sl_engine *e);

/* Fills shared settings with Redis's defaults. */
void sl_engine_shared_defaults(struct sl_engine_shared *s);

/* Prepares a client of engine e; addr is copied. */
void sl_client_init(struct sl_client *c, struct sl_engine *e, const char *addr, uint64_t now_ms);
void sl_client_deinit(struct sl_client *c);

/*
 * Feeds one input segment: parses and runs every complete request in it,
 * appending replies to c->out. buf is borrowed under the parser's rule:
 * every segment fed since the current request began stays valid until the
 * call after the one that completed that request (sl_client_input returns
 * *held = true while the segment just fed may still be referenced).
 * Returns 0, or -EPIPE when the connection must close (after sending what is
 * in c->out if SL_CLIENT_CLOSE_AFTER_REPLY, at once if SL_CLIENT_CLOSE_NOW).
 */
int sl_client_input(struct sl_client *c, const char *buf, size_t len, uint64_t now_ms, bool *held);

/* Number of commands in the table (COMMAND COUNT). */
unsigned sl_cmd_count(void);

#endif /* SL_DATAPLANE_CMD_CMD_H */
