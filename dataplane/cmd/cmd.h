/*
 * dataplane/cmd: the RESP engine between bytes in and bytes out.
 *
 * A transport (the DPDK TCP stack, or the kernel-socket transport) owns
 * connections and hands each connection's input to sl_client_input(); the
 * engine parses requests (dataplane/resp), looks commands up in the one
 * declarative command table, runs them against the store, and appends the
 * replies to the client's output chain, which the transport drains with
 * sl_resp_out_peek()/consume(). The engine takes the time from its
 * caller (now, unix milliseconds); the one exception is the slowlog, which
 * while enabled (slowlog-log-slower-than >= 0) reads the TSC before and
 * after each command (CLOCK_MONOTONIC via the vDSO where there is no TSC).
 *
 * Threads: one struct sl_engine per worker; a client belongs to the worker
 * that accepted its connection and is only touched there. Store reads are
 * QSBR reads (the worker announces quiescent states between iterations);
 * writes go to the worker's own partition. With several workers, writes to
 * keys of other partitions are shipped to their owner (mesh.c): the client
 * waits for the reply, so replies keep request order.
 */
#ifndef SL_DATAPLANE_CMD_CMD_H
#define SL_DATAPLANE_CMD_CMD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dataplane/resp/resp.h"
#include "dataplane/store/store.h"

/*
 * INFO's read-only view of one worker's counters (INFO dataplane, and the
 * clients/stats fields summed over workers). The control thread fills one
 * per worker before the workers start and publishes the array through
 * sl_engine_shared.dataplane. Every pointer is borrowed: it points into the
 * owning worker's own state and stays valid until the workers have stopped.
 * The owner keeps bumping its plain per-lcore counters as before; INFO on
 * any worker reads them with relaxed atomic loads of aligned uint64_t, so a
 * figure may be a few updates behind, and nothing is locked. A NULL pointer
 * (or a zero count) means the transport does not measure that figure.
 */
struct sl_engine_stats;

#define SL_INFO_MAX_COUNTERS 64 /* most drop reasons or TCP counters INFO prints */
#define SL_INFO_OBUF_SLOTS   8  /* client_recent_max_output_buffer: the last 8 seconds */

struct sl_info_worker {
	const struct sl_engine_stats *eng; /* requests, connections, connections received */
	const uint64_t *busy_cycles;       /* TSC cycles of iterations that received */
	const uint64_t *idle_cycles;       /* TSC cycles of iterations that did not */
	const uint64_t *loops;
	const uint64_t *rx_packets;
	const uint64_t *tx_packets;
	const uint64_t *drops;         /* n_drops counters, named drop_names[i] */
	const char *const *drop_names; /* rx_drops_<name> */
	unsigned n_drops;              /* <= SL_INFO_MAX_COUNTERS */
	const char *const *tcp_names;  /* tcp_<name>; n_tcp of them */
	unsigned n_tcp;                /* <= SL_INFO_MAX_COUNTERS */
	/* Copies the n_tcp TCP counters into out; callable from any lcore. */
	void (*tcp_read)(const void *ctx, uint64_t *out, unsigned n);
	const void *tcp_ctx;
	/* Refused connections (INFO rejected_connections is their sum). */
	const uint64_t *rejected_maxclients;
	const uint64_t *rejected_source;    /* maxclients-per-source */
	const uint64_t *rejected_protected; /* protected mode */
	const uint64_t *out_mem;            /* output memory held by the clients, bytes */
	const uint64_t *query_mem;          /* input buffers held by the clients, bytes */
	/* Largest output memory of one client during second obuf_peak_sec[i], slot
	 * i = second % SL_INFO_OBUF_SLOTS (unix seconds); NULL: not tracked. */
	const uint64_t *obuf_peak;
	const uint64_t *obuf_peak_sec;
	const uint64_t *paused_now; /* connections not taking input (sampled every 100 ms) */
	const uint64_t *pauses;     /* times a connection was paused by backpressure */
};

struct sl_info_dataplane {
	unsigned n_workers;
	uint64_t tsc_hz; /* of the cycle counters; 0: none are kept */
	const struct sl_info_worker *workers;
	/* The XDP program's decisions, n_xdp counters named xdp_names[i], copied
	 * from its map by the control thread every 100 ms; NULL: no XDP. */
	const uint64_t *xdp;
	const char *const *xdp_names;
	unsigned n_xdp;
};

/*
 * Settings shared by all workers: the values behind CONFIG GET/SET (the
 * option table is in cmd_config.c). CONFIG SET runs on a worker and writes
 * them with plain stores; other workers read them with plain loads, once
 * per command at most, so a change is seen by the next command (word-sized
 * fields; requirepass is only compared, a torn read fails one AUTH).
 */
struct sl_engine_shared {
	struct sl_resp_limits limits; /* proto-max-bulk-len, client-query-buffer-limit */
	char requirepass[512];        /* empty: no password */
	size_t requirepass_len;
	atomic_uint_fast64_t next_client_id;
	uint64_t start_ms; /* for INFO uptime */
	uint16_t tcp_port;
	const char *transport_name; /* "kernel" or "dpdk" */
	/* CONFIG values (Redis option names in comments). */
	uint64_t maxmemory;             /* maxmemory, pushed to the store */
	unsigned maxmemory_policy;      /* maxmemory-policy, enum sl_store_policy */
	unsigned maxmemory_samples;     /* maxmemory-samples (store's creation value) */
	unsigned hash_max_entries;      /* hash-max-listpack-entries (store's creation value) */
	unsigned hash_max_value;        /* hash-max-listpack-value (store's creation value) */
	unsigned lfu_log_factor;        /* lfu-log-factor (store's creation value) */
	unsigned lfu_decay_time;        /* lfu-decay-time (store's creation value) */
	int64_t slowlog_slower_than_us; /* slowlog-log-slower-than, -1 = off */
	uint64_t slowlog_max_len;       /* slowlog-max-len */
	/* Incremented by CONFIG RESETSTAT; each worker clears its statistics when it sees a
	 * new value. */
	atomic_uint_fast64_t stats_epoch;
	/* Every worker's counters for INFO, published by the control thread before the
	 * workers start (borrowed, read-only afterwards); NULL: INFO shows the answering
	 * worker's own engine counters only (the kernel transport). */
	const struct sl_info_dataplane *dataplane;
	/* maxclients (CONFIG SET, the admin socket): the whole process's limit; the
	 * transports count their clients in nclients. */
	uint32_t maxclients;
	atomic_uint nclients;
	/* Connections a transport without published INFO counters refused (kernel). */
	atomic_uint_fast64_t rejected_connections;
	/* maxmemory-clients (bytes; 0 = none): clients' memory (unsent replies and held
	 * input) above it evicts the largest clients not marked CLIENT NO-EVICT; each
	 * worker keeps its share (the limit / workers). evicted_clients counts them. */
	uint64_t maxmemory_clients;
	atomic_uint_fast64_t evicted_clients;
	/* Egress pacing as configured, for INFO (the TCP stacks hold the rates): Mbit/s;
	 * port: 0 = 95% of the link (port_link_mbps), -1 = off; conn: 0 = off. */
	long long pace_port_mbps, pace_conn_mbps;
	uint32_t port_link_mbps;
	/* client-output-buffer-limit by class, Redis's order: normal, replica, pubsub.
	 * Every sluice client is in the normal class; the others are kept for
	 * CONFIG GET/SET only. 0 disables a limit. */
	struct sl_engine_obuf {
		uint64_t hard, soft, soft_ms;
	} obuf[3];
};

/* Per-worker command statistics (INFO commandstats). */
struct sl_engine_stats {
	uint64_t connected_clients;
	uint64_t error_replies;   /* INFO total_error_replies */
	uint64_t net_input_bytes; /* INFO total_net_input_bytes */
	uint64_t commands;
	uint64_t connections_received;
	uint64_t rejected_protocol;
	uint64_t unknown_commands;
	uint64_t keyspace_hits;
	uint64_t keyspace_misses;
	uint64_t auth_failures; /* failed AUTH/HELLO AUTH comparisons */
	uint64_t shipped_out;   /* commands this worker shipped to a key's owner */
	uint64_t shipped_in;    /* commands other workers shipped here, executed */
};

/* Per command table entry (INFO commandstats). */
struct sl_cmd_stat {
	uint64_t calls;
	uint64_t usec; /* measured only while the slowlog is enabled */
	uint64_t rejected;
	uint64_t failed;
};

/* Error replies by their first word (INFO errorstats). */
#define SL_ENGINE_ERRSTATS 16
struct sl_engine_errstat {
	char prefix[24]; /* "ERR", "WRONGTYPE", ...; empty = unused */
	uint64_t count;
};

struct sl_slowlog_entry; /* cmd_server.c */

struct sl_engine {
	struct sl_store *store;
	unsigned self; /* partition owned by this worker; also its reader id */
	struct sl_engine_shared *shared;
	uint64_t now_ms;              /* of the batch being processed */
	struct sl_cmd_stat *cmd_stat; /* per command table entry */
	struct sl_cmd_stat *sub_stat; /* per subcommand of a container (cmdstat_client|id) */
	struct sl_engine_stats stats;
	struct sl_engine_errstat errstats[SL_ENGINE_ERRSTATS];
	uint64_t stats_epoch;      /* last shared->stats_epoch applied */
	struct sl_client *clients; /* registry of this worker's clients (CLIENT LIST/KILL) */
	uint64_t killed;           /* clients flagged SL_CLIENT_KILLED, not yet collected */
	uint64_t rng;              /* HRANDFIELD */
	/* Slowlog clock: TSC ticks per microsecond, measured at init (0: use CLOCK_MONOTONIC). */
	uint64_t tsc_per_us;
	/* INFO instantaneous_ops_per_sec: commands over the last full second. */
	uint64_t inst_ops, inst_last_ms, inst_last_cmds;
	/* SLOWLOG: newest first; entries are allocated only for slow commands. */
	struct sl_slowlog_entry *slowlog;
	uint64_t slowlog_len;
	uint64_t slowlog_next_id;
	/* Workers > 1: the rings between workers, per-owner flow control (this worker
	 * as a source) and one proxy client per source (this worker as an owner). */
	struct sl_mesh *mesh; /* NULL: one worker */
	struct sl_mesh_peer {
		unsigned inflight;                     /* messages out to this owner */
		struct sl_ship_msg *bl_head, *bl_tail; /* waiting for ring room, in order */
	} * peers;
	struct sl_client *proxies;
	/* Written by the transport for INFO (0 where it keeps no budget): the output memory
	 * of all this worker's clients, its peak, the budget and the pauses it caused. */
	uint64_t out_mem, out_mem_peak, out_budget, out_budget_pauses;
};

/*
 * Client flags. The transport reads SL_CLIENT_CLOSE_AFTER_REPLY and
 * SL_CLIENT_CLOSE_NOW on the client whose input it just fed.
 * SL_CLIENT_KILLED is set by CLIENT KILL on *other* clients of the same
 * worker (a client that kills itself gets SL_CLIENT_CLOSE_AFTER_REPLY
 * instead): after each sl_client_input call the transport collects them
 * with sl_engine_next_killed() and closes each at once, discarding its
 * unsent output, as Redis does.
 */
#define SL_CLIENT_CLOSE_AFTER_REPLY (1u << 0) /* QUIT, protocol error, CLIENT KILL of itself */
#define SL_CLIENT_CLOSE_NOW         (1u << 1) /* query buffer limit, no memory */
#define SL_CLIENT_AUTHENTICATED     (1u << 2)
#define SL_CLIENT_KILLED            (1u << 3) /* CLIENT KILL by another client: close now */
#define SL_CLIENT_NO_EVICT          (1u << 4) /* CLIENT NO-EVICT on: maxmemory-clients spares it */
#define SL_CLIENT_REPLY_OFF         (1u << 5) /* CLIENT REPLY OFF */
#define SL_CLIENT_REPLY_SKIP_NEXT   (1u << 6) /* CLIENT REPLY SKIP: the next command */
#define SL_CLIENT_REPLY_SKIP        (1u << 7) /* replies of the current command are dropped */

/*
 * One end of a client's connection as CLIENT LIST addr=/laddr= print it. The
 * transports' IPv4 endpoints are kept binary and formatted "a.b.c.d:port"
 * when printed (sl_client_addr_format), so an idle connection does not carry
 * two 64-byte strings; any other text (a mesh proxy's "workerN", a test's
 * label) is kept in a heap copy. Which one is held: sl_client.addr_kind and
 * laddr_kind (enum sl_client_addr_kind).
 */
#define SL_CLIENT_ADDR_MAX 64  /* an address text with its NUL; longer ones are cut */
#define SL_CLIENT_NAME_MAX 127 /* CLIENT SETNAME / HELLO SETNAME keep this many bytes */

enum sl_client_addr_kind {
	SL_CLIENT_ADDR_NONE, /* prints "" */
	SL_CLIENT_ADDR_IPV4, /* v4 */
	SL_CLIENT_ADDR_TEXT, /* text: heap, owned by the client */
};

union sl_client_addr {
	struct {
		uint32_t ip; /* host order */
		uint16_t port;
	} v4;
	char *text; /* NUL-terminated, shorter than SL_CLIENT_ADDR_MAX */
};

/*
 * Field order: the per-request fields first (parser, output, flags), then
 * what only CLIENT LIST/KILL, INFO and the slowlog read, smallest members
 * packed together so the struct carries no padding.
 */
struct sl_client {
	uint64_t id;
	struct sl_engine *eng;
	struct sl_resp_parser parser;
	struct sl_resp_out out;
	uint32_t flags;
	int fd; /* socket, -1 if the transport has none (DPDK) */
	uint64_t ctime_ms;
	uint64_t last_ms;
	/* Workers > 1 (dataplane/cmd/mesh.c): a command of this client in flight to the
	 * worker owning its keys (NULL: none), and the input that arrived behind it. */
	struct sl_ship_job *job;
	/* The transport's cap on unsent replies: once c->out holds more, the engine
	 * stops running requests and keeps the rest of the input (UINT64_MAX: none). */
	uint64_t out_cap;
	char *pend; /* input the engine holds (behind a job, or beyond out_cap) */
	size_t pend_len;
	char *pend_keep; /* an earlier pend a partial request may still point into */
	struct sl_client *reg_prev, *reg_next; /* engine registry */
	/* CLIENT SETNAME: heap (SL_CLIENT_NAME_MAX bytes at most), NULL = none. Read it
	 * through sl_client_name(). */
	char *name;
	union sl_client_addr addr;  /* the peer, for CLIENT LIST/INFO/KILL ADDR */
	union sl_client_addr laddr; /* the local end (CLIENT KILL LADDR) */
	uint8_t addr_kind;          /* enum sl_client_addr_kind of addr */
	uint8_t laddr_kind;         /* ... of laddr */
	bool cmd_error;             /* the running command replied an error (failed_calls) */
	bool cmd_rejected;          /* ... was refused before it ran (rejected_calls, no call) */
	/* CLIENT LIST cmd=: the last command's table index + 1 (0: none; the table
	 * has a few hundred entries) and, for a container command, its subcommand
	 * ("client|list"). */
	uint16_t last_cmd;
	uint16_t cmd_sub; /* ... is subcommand sl_subcmd_names[cmd_sub - 1]; 0: none */
	char last_sub[24];
};

/*
 * Prepares an engine for worker `self` over store (borrowed; the worker's
 * reader id `self` must be online while it runs commands) and shared
 * settings (borrowed). Returns 0 or -ENOMEM.
 */
int sl_engine_init(struct sl_engine *e, struct sl_store *store, unsigned self,
		   struct sl_engine_shared *shared);
void sl_engine_deinit(struct sl_engine *e);

/* Fills shared settings with Redis's defaults (store values from sl_store_config_default). */
void sl_engine_shared_defaults(struct sl_engine_shared *s);

/*
 * Copies the store's creation settings (maxmemory, policy, samples, hash
 * listpack limits, LFU parameters) into s so CONFIG GET reports what the
 * store runs with. Call after sl_engine_shared_defaults, before workers start.
 */
void sl_engine_shared_set_store_config(struct sl_engine_shared *s,
				       const struct sl_store_config *sc);

/*
 * Prepares a client of engine e and enters it in the worker's registry
 * (CLIENT LIST/KILL), so c must not move until sl_client_deinit, which
 * takes it out and frees what the client allocated (its name, address
 * texts). addr (may be NULL: unknown) is copied: a canonical "a.b.c.d:port"
 * is kept binary, other text in a heap copy (left empty if that allocation
 * fails). Worker context only.
 */
void sl_client_init(struct sl_client *c, struct sl_engine *e, const char *addr, uint64_t now_ms);
void sl_client_deinit(struct sl_client *c);

/*
 * Records the local address (copied) and socket for CLIENT LIST laddr=/fd=.
 * As with sl_client_init's addr, a canonical "a.b.c.d:port" is kept binary,
 * other text in a heap copy (left empty if that allocation fails).
 */
void sl_client_set_local(struct sl_client *c, const char *laddr, int fd);

/*
 * The transports' form of the above: both ends of an IPv4 connection, host
 * byte order, kept binary (nothing is formatted or allocated), and the socket
 * (-1: none). lip and lport both 0: the local address is unknown (printed
 * empty). Replaces whatever addresses c had. Worker context.
 */
void sl_client_set_ipv4(struct sl_client *c, uint32_t rip, uint16_t rport, uint32_t lip,
			uint16_t lport, int fd);

/*
 * Writes c's peer address (local == false) or local address (local == true)
 * as CLIENT LIST prints it into buf, which holds SL_CLIENT_ADDR_MAX bytes;
 * returns its length (NUL not counted; 0 for an unknown address). c is
 * borrowed for the call; any thread that may read c (its worker, or a
 * mailbox call run there).
 */
size_t sl_client_addr_format(const struct sl_client *c, bool local, char *buf);

/* Redis memtoull: "100", "1k" (1000), "1kb" (1024), "2mb", "1gb"; p[0..len)
 * borrowed. 0 or -EINVAL (negative, unknown unit, overflow). Any thread. */
int sl_cmd_parse_memory(const char *p, size_t len, unsigned long long *out);

/*
 * c's CLIENT LIST line in Redis 7.0's field order, ending in "\n", truncated to
 * size - 1 bytes; now is the engine's unix ms. Returns its length. Any thread
 * that may read c (its worker, or a mailbox call run there).
 */
int sl_client_describe(const struct sl_client *c, uint64_t now, char *buf, size_t size);

/* Whether c's peer (or local) address prints exactly as s[0..len) (CLIENT KILL ADDR). */
bool sl_client_addr_is(const struct sl_client *c, bool local, const char *s, size_t len);

/* c's CLIENT SETNAME name, "" when it has none. Borrowed: valid until the next
 * command of c or sl_client_deinit. */
static inline const char *sl_client_name(const struct sl_client *c)
{
	return c->name != NULL ? c->name : "";
}

/*
 * maxmemory-clients (Redis's evictClients): the client of e holding the most
 * memory by mem(c) (the transport's count of a client's memory), CLIENT
 * NO-EVICT ones skipped; *most gets that figure. NULL when every client is
 * exempt. Worker context.
 */
struct sl_client *sl_engine_evict_candidate(struct sl_engine *e,
					    uint64_t (*mem)(const struct sl_client *c),
					    uint64_t *most);

/*
 * Returns a client of e that CLIENT KILL flagged SL_CLIENT_KILLED, or NULL
 * when there is none left; each flagged client is returned once. The
 * transport closes it (sl_client_deinit and its connection). Worker context.
 */
struct sl_client *sl_engine_next_killed(struct sl_engine *e);

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

/*
 * rename-command (redis.conf): `newname` (NUL-terminated, borrowed for the
 * call) becomes the name of command `name`; the old name answers the
 * unknown-command error; an empty newname disables the command. Process-wide,
 * before any engine runs (not thread-safe against lookups). Returns 0,
 * -ENOENT (no such command), -EEXIST (newname taken) or -ENOSPC.
 */
int sl_cmd_rename(const char *name, const char *newname);

/*
 * Redis's client-output-buffer-limit check (checkClientOutputBufferLimits)
 * on c's output memory, with the normal class's limits of the shared
 * settings: true when c must be closed now, at the hard limit, after staying
 * at or above the soft limit for more than its seconds (0 disables either),
 * or with more than SL_CLIENT_UNAUTH_OBUF reply bytes unsent while it must
 * still authenticate. *soft_since is the caller's per-connection state
 * (0 = below soft). Transports call it when they add or send replies and
 * every SL_CLIENT_OBUF_SWEEP_MS for every client (Redis's clientsCron), so
 * a client that stopped reading is caught too.
 */
#define SL_CLIENT_UNAUTH_OBUF   (16384 + 1024) /* Redis: 1 KiB past its 16 KiB reply buffer */
#define SL_CLIENT_OBUF_SWEEP_MS 100
bool sl_client_obuf_over(const struct sl_client *c, uint64_t now_ms, uint64_t *soft_since);

/*
 * Several workers (dataplane/cmd/mesh.c). Each worker writes only its own
 * store partition; writes to keys of other partitions are shipped to their
 * owner and the client waits (sl_client_waiting) until the reply is back.
 *
 * sl_mesh_create: rings for every (source, owner) pair of n_workers, each
 * with `slots` (a power of two) entries. Control path; NULL and errno.
 * sl_mesh_set_wake: fn(ctx) is called on a sending worker after it queued
 * messages for `worker` (a transport that sleeps, e.g. in epoll_wait, wakes
 * there; pollers pass NULL). Before the workers run.
 * sl_engine_attach_mesh: before the worker runs; 0 or -ENOMEM.
 */
struct sl_mesh;
struct sl_mesh *sl_mesh_create(unsigned n_workers, unsigned slots);
void sl_mesh_destroy(struct sl_mesh **m);
void sl_mesh_set_wake(struct sl_mesh *m, unsigned worker, void (*fn)(void *ctx), void *ctx);
int sl_engine_attach_mesh(struct sl_engine *e, struct sl_mesh *m);

/*
 * Once per loop iteration on the engine's worker: executes what other
 * workers shipped here (bounded), collects replies to this worker's shipped
 * commands and stores up to max clients whose reply has been appended to
 * their output in ready[]. For each, the transport calls sl_client_resume,
 * sends, and takes more input unless the client waits again. Returns the
 * count (0 with one worker).
 */
unsigned sl_engine_poll(struct sl_engine *e, uint64_t now_ms, struct sl_client **ready,
			unsigned max);

/* True while c has a command in flight: the transport must not feed input. */
static inline bool sl_client_waiting(const struct sl_client *c)
{
	return c->job != NULL;
}

/*
 * True while the engine holds input of c it has not run: behind a shipped
 * command, or because c->out passed c->out_cap. The transport calls
 * sl_client_resume (after raising out_cap or draining output) before it
 * reads more; sl_client_input would queue new input behind it anyway.
 */
static inline bool sl_client_has_input(const struct sl_client *c)
{
	return c->pend != NULL;
}

/*
 * Runs the input the engine holds (see sl_client_has_input). Same return
 * values as sl_client_input; c may wait or hold input again afterwards.
 */
int sl_client_resume(struct sl_client *c, uint64_t now_ms);

/* Drops input kept behind a shipped command (graceful drain: never answered). */
void sl_client_drop_pending(struct sl_client *c);

/* Number of commands in the table (COMMAND COUNT). */
unsigned sl_cmd_count(void);

/*
 * Writes docs/commands.md: a hand-written part (how sluice differs from
 * Redis) and the compatibility table generated from the command table.
 * out is borrowed. Any thread. Returns 0 or -EIO.
 */
int sl_cmd_write_markdown(FILE *out);

#endif /* SL_DATAPLANE_CMD_CMD_H */
