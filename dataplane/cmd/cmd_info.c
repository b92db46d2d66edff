/*
 * INFO: Redis 7.0's sections, in Redis's order, with the field names tools
 * read, CRLF lines, plus sluice's own "# Sluice" section. Figures are those
 * of the worker that answers (the kernel transport runs one) and of the
 * whole store. Fields with no sluice counterpart are left out rather than
 * invented; fields whose Redis meaning is a constant for sluice (role,
 * loading, aof_enabled...) are given that constant.
 *
 * Sections: server clients memory persistence stats replication cpu
 * commandstats errorstats cluster keyspace sluice dataplane. "default" (and
 * no argument) is all but commandstats and dataplane; "all" and
 * "everything" add both. Unknown names select nothing, as in Redis.
 *
 * Every worker's counters: the control thread publishes a read-only view of
 * each worker's counters (struct sl_info_dataplane) before the workers
 * start; INFO on any worker reads them with relaxed atomic loads, so the
 * client and connection figures are the whole process's and the
 * "# Dataplane" section shows one line per worker plus a total. Where
 * nothing is published (the kernel transport) the answering worker's own
 * engine counters stand in, and output memory is summed over its clients.
 *
 * "dataplane" is not in the default set: its lines grow with the number of
 * workers and TCP counters, and tools that read the default INFO (redis-cli
 * --stat, exporters) should see Redis's shape and size. docs/operations.md
 * describes its format.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "dataplane/cmd/cmd_priv.h"

enum {
	SEC_SERVER = 1u << 0,
	SEC_CLIENTS = 1u << 1,
	SEC_MEMORY = 1u << 2,
	SEC_PERSISTENCE = 1u << 3,
	SEC_STATS = 1u << 4,
	SEC_REPLICATION = 1u << 5,
	SEC_CPU = 1u << 6,
	SEC_COMMANDSTATS = 1u << 7,
	SEC_ERRORSTATS = 1u << 8,
	SEC_CLUSTER = 1u << 9,
	SEC_KEYSPACE = 1u << 10,
	SEC_SLUICE = 1u << 11,
	SEC_DATAPLANE = 1u << 12,
	SEC_ALL = (1u << 13) - 1,
	SEC_DEFAULT = SEC_ALL & ~(SEC_COMMANDSTATS | SEC_DATAPLANE),
};

static const struct {
	const char *name;
	unsigned bits;
} section_names[] = {
	{"server", SEC_SERVER},
	{"clients", SEC_CLIENTS},
	{"memory", SEC_MEMORY},
	{"persistence", SEC_PERSISTENCE},
	{"stats", SEC_STATS},
	{"replication", SEC_REPLICATION},
	{"cpu", SEC_CPU},
	{"commandstats", SEC_COMMANDSTATS},
	{"errorstats", SEC_ERRORSTATS},
	{"cluster", SEC_CLUSTER},
	{"keyspace", SEC_KEYSPACE},
	{"sluice", SEC_SLUICE},
	{"dataplane", SEC_DATAPLANE},
	{"default", SEC_DEFAULT},
	{"all", SEC_ALL},
	{"everything", SEC_ALL},
};

struct text {
	char *p;
	size_t len, cap;
	int failed;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int w;

	for (;;) {
		va_start(ap, fmt);
		w = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (w < 0) {
			t->failed = 1;
			return;
		}
		if ((size_t)w < t->cap - t->len) {
			t->len += (size_t)w;
			return;
		}
		{
			size_t ncap = t->cap * 2 + (size_t)w;
			char *np = realloc(t->p, ncap);

			if (np == NULL) {
				t->failed = 1;
				return;
			}
			t->p = np;
			t->cap = ncap;
		}
	}
}

static void section(struct text *t, const char *title)
{
	add(t, "%s# %s\r\n", t->len > 0 ? "\r\n" : "", title);
}

/* Redis bytesToHuman: B, K, M, G, T, P with two decimals. */
static void human(char *buf, size_t size, uint64_t n)
{
	static const char units[] = "KMGTP";
	double d = (double)n;
	unsigned i = 0;

	if (n < 1024) {
		snprintf(buf, size, "%lluB", (unsigned long long)n);
		return;
	}
	d /= 1024;
	while (d >= 1024 && i + 1 < sizeof(units) - 1) {
		d /= 1024;
		i++;
	}
	snprintf(buf, size, "%.2f%c", d, units[i]);
}

/* A stable 40-hex-digit id per process start (Redis run_id, master_replid). */
static void hex_id(char out[41], uint64_t a, uint64_t b)
{
	uint64_t x = a * 0x9e3779b97f4a7c15ull ^ b;
	int i;

	for (i = 0; i < 40; i++) {
		x ^= x >> 31;
		x *= 0xbf58476d1ce4e5b9ull;
		x ^= x >> 29;
		out[i] = "0123456789abcdef"[x & 15];
	}
	out[40] = '\0';
}

static void sum_store(struct sl_store *store, struct sl_store_stats *tot)
{
	struct sl_store_stats st;
	unsigned p;

	memset(tot, 0, sizeof(*tot));
	for (p = 0; p < sl_store_n_parts(store); p++) {
		sl_store_part_stats(store, p, &st);
		tot->keys += st.keys;
		tot->volatile_keys += st.volatile_keys;
		tot->used_bytes += st.used_bytes;
		tot->alloc_bytes += st.alloc_bytes;
		tot->buckets += st.buckets;
		tot->expired += st.expired;
		tot->evicted += st.evicted;
		tot->retired_pending += st.retired_pending;
		tot->pinned += st.pinned;
		tot->pinned_retired += st.pinned_retired;
	}
}

/* One worker's counters as read now (struct sl_info_worker). */
struct wsnap {
	uint64_t requests, connections, received;
	uint64_t busy, idle, loops, rx, tx;
	uint64_t rejected;
	uint64_t out_mem, query_mem, obuf_peak;
	uint64_t drops[SL_INFO_MAX_COUNTERS];
	uint64_t tcp[SL_INFO_MAX_COUNTERS];
};

/* Figures for the whole process, summed over workers. */
struct totals {
	uint64_t requests, connections, received, rejected;
	uint64_t clients_mem;     /* output + input memory of every client */
	uint64_t obuf_recent_max; /* client_recent_max_output_buffer */
};

/* Another lcore's counter: relaxed, so a figure may be a few updates old. */
static uint64_t peek(const uint64_t *p)
{
	return p != NULL ? __atomic_load_n(p, __ATOMIC_RELAXED) : 0;
}

static void read_worker(const struct sl_info_worker *w, uint64_t now_ms, struct wsnap *o)
{
	uint64_t now_s = now_ms / 1000;
	unsigned i;

	memset(o, 0, sizeof(*o));
	if (w->eng != NULL) {
		o->requests = peek(&w->eng->commands);
		o->connections = peek(&w->eng->connected_clients);
		o->received = peek(&w->eng->connections_received);
	}
	o->busy = peek(w->busy_cycles);
	o->idle = peek(w->idle_cycles);
	o->loops = peek(w->loops);
	o->rx = peek(w->rx_packets);
	o->tx = peek(w->tx_packets);
	o->rejected = peek(w->rejected_maxclients) + peek(w->rejected_source) +
		      peek(w->rejected_protected);
	o->out_mem = peek(w->out_mem);
	o->query_mem = peek(w->query_mem);
	for (i = 0; w->obuf_peak != NULL && w->obuf_peak_sec != NULL && i < SL_INFO_OBUF_SLOTS;
	     i++) {
		/* Slots not written during the last SL_INFO_OBUF_SLOTS seconds are stale. */
		if (peek(&w->obuf_peak_sec[i]) + SL_INFO_OBUF_SLOTS > now_s)
			o->obuf_peak = SL_MAX(o->obuf_peak, peek(&w->obuf_peak[i]));
	}
	for (i = 0; w->drops != NULL && i < w->n_drops && i < SL_INFO_MAX_COUNTERS; i++)
		o->drops[i] = peek(&w->drops[i]);
	if (w->tcp_read != NULL)
		w->tcp_read(w->tcp_ctx, o->tcp, SL_MIN(w->n_tcp, (unsigned)SL_INFO_MAX_COUNTERS));
}

/*
 * The published view, or, where there is none, a one-worker view of the
 * answering engine's own counters.
 */
static const struct sl_info_dataplane *dataplane_view(const struct sl_engine *e,
						      struct sl_info_dataplane *local,
						      struct sl_info_worker *local_w)
{
	if (e->shared->dataplane != NULL && e->shared->dataplane->n_workers > 0)
		return e->shared->dataplane;
	memset(local_w, 0, sizeof(*local_w));
	local_w->eng = &e->stats;
	local->n_workers = 1;
	local->tsc_hz = 0;
	local->workers = local_w;
	return local;
}

static void sum_workers(const struct sl_engine *e, const struct sl_info_dataplane *dp,
			struct totals *t)
{
	struct wsnap w;
	unsigned i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < dp->n_workers; i++) {
		read_worker(&dp->workers[i], e->now_ms, &w);
		t->requests += w.requests;
		t->connections += w.connections;
		t->received += w.received;
		t->rejected += w.rejected;
		t->clients_mem += w.out_mem + w.query_mem;
		t->obuf_recent_max = SL_MAX(t->obuf_recent_max, w.obuf_peak);
	}
	if (e->shared->dataplane == NULL) {
		/* No published memory figures: this worker's clients as they are now. */
		const struct sl_client *c;

		t->rejected += atomic_load_explicit(&e->shared->rejected_connections,
						    memory_order_relaxed);

		for (c = e->clients; c != NULL; c = c->reg_next) {
			uint64_t m = sl_resp_out_mem(&c->out);

			t->clients_mem += m;
			t->obuf_recent_max = SL_MAX(t->obuf_recent_max, m);
		}
	}
}

static void info_server(struct text *t, const struct sl_engine *e)
{
	const struct sl_engine_shared *s = e->shared;
	uint64_t up = (e->now_ms - SL_MIN(e->now_ms, s->start_ms)) / 1000;
	struct utsname un;
	char runid[41];

	if (uname(&un) == -1)
		memset(&un, 0, sizeof(un));
	hex_id(runid, s->start_ms, (uint64_t)getpid());
	section(t, "Server");
	add(t,
	    "redis_version:%s\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\n"
	    "redis_mode:standalone\r\nos:%s %s %s\r\narch_bits:%u\r\n"
	    "multiplexing_api:%s\r\nprocess_id:%ld\r\nrun_id:%s\r\ntcp_port:%u\r\n"
	    "server_time_usec:%llu\r\nuptime_in_seconds:%llu\r\nuptime_in_days:%llu\r\n"
	    "executable:\r\nconfig_file:\r\n",
	    SL_REDIS_COMPAT_VERSION, un.sysname, un.release, un.machine,
	    (unsigned)(sizeof(void *) * 8),
	    strcmp(s->transport_name, "kernel") == 0 ? "epoll" : s->transport_name, (long)getpid(),
	    runid, s->tcp_port, (unsigned long long)e->now_ms * 1000, (unsigned long long)up,
	    (unsigned long long)(up / 86400));
}

static void info_clients(struct text *t, const struct totals *tot)
{
	section(t, "Clients");
	add(t,
	    "connected_clients:%llu\r\ncluster_connections:0\r\n"
	    "client_recent_max_output_buffer:%llu\r\nblocked_clients:0\r\n"
	    "tracking_clients:0\r\nclients_in_timeout_table:0\r\n",
	    (unsigned long long)tot->connections, (unsigned long long)tot->obuf_recent_max);
}

static void info_memory(struct text *t, const struct sl_engine *e, const struct sl_store_stats *st,
			const struct totals *tot)
{
	const struct sl_engine_shared *s = e->shared;
	static const char *const policies[] = {
		"noeviction",   "allkeys-lru",  "allkeys-lfu",     "allkeys-random",
		"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
	};
	char h1[32], h2[32];

	human(h1, sizeof(h1), st->used_bytes);
	human(h2, sizeof(h2), s->maxmemory);
	section(t, "Memory");
	/* mem_fragmentation_ratio: the allocator's bytes (live + awaiting reclamation) over live
	 * bytes, sluice's counterpart of Redis's rss/used. */
	add(t,
	    "used_memory:%llu\r\nused_memory_human:%s\r\nused_memory_dataset:%llu\r\n"
	    "maxmemory:%llu\r\nmaxmemory_human:%s\r\nmaxmemory_policy:%s\r\n"
	    "allocator_allocated:%llu\r\nmem_fragmentation_ratio:%.2f\r\n"
	    "mem_clients_normal:%llu\r\nlazyfree_pending_objects:%llu\r\n",
	    (unsigned long long)st->used_bytes, h1, (unsigned long long)st->used_bytes,
	    (unsigned long long)s->maxmemory, h2,
	    s->maxmemory_policy < SL_ARRAY_SIZE(policies) ? policies[s->maxmemory_policy]
							  : "noeviction",
	    (unsigned long long)st->alloc_bytes,
	    st->used_bytes > 0 ? (double)st->alloc_bytes / (double)st->used_bytes : 1.0,
	    (unsigned long long)tot->clients_mem, (unsigned long long)st->retired_pending);
}

static void info_persistence(struct text *t, const struct sl_engine *e)
{
	section(t, "Persistence");
	add(t,
	    "loading:0\r\nasync_loading:0\r\nrdb_bgsave_in_progress:0\r\n"
	    "rdb_last_save_time:%llu\r\nrdb_last_bgsave_status:ok\r\naof_enabled:0\r\n"
	    "aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\n"
	    "aof_last_bgrewrite_status:ok\r\naof_last_write_status:ok\r\n",
	    (unsigned long long)(e->shared->start_ms / 1000));
}

/*
 * rejected_connections counts refusals for maxclients (as Redis does), for
 * maxclients-per-source and for protected mode. evicted_clients counts the
 * clients maxmemory-clients evicted (client-output-buffer-limit closes are
 * not evictions, as in Redis).
 */
static void info_stats(struct text *t, const struct sl_engine *e, const struct sl_store_stats *st,
		       const struct totals *tot)
{
	section(t, "Stats");
	add(t,
	    "total_connections_received:%llu\r\ntotal_commands_processed:%llu\r\n"
	    "instantaneous_ops_per_sec:%llu\r\ntotal_net_input_bytes:%llu\r\n"
	    "rejected_connections:%llu\r\nexpired_keys:%llu\r\nevicted_keys:%llu\r\n"
	    "evicted_clients:%llu\r\n"
	    "keyspace_hits:%llu\r\nkeyspace_misses:%llu\r\npubsub_channels:0\r\n"
	    "pubsub_patterns:0\r\ntotal_error_replies:%llu\r\nunexpected_error_replies:0\r\n",
	    (unsigned long long)tot->received, (unsigned long long)tot->requests,
	    (unsigned long long)e->inst_ops, (unsigned long long)e->stats.net_input_bytes,
	    (unsigned long long)tot->rejected, (unsigned long long)st->expired,
	    (unsigned long long)st->evicted,
	    (unsigned long long)atomic_load_explicit(&e->shared->evicted_clients,
						     memory_order_relaxed),
	    (unsigned long long)e->stats.keyspace_hits,
	    (unsigned long long)e->stats.keyspace_misses,
	    (unsigned long long)e->stats.error_replies);
}

static void info_replication(struct text *t, const struct sl_engine *e)
{
	char replid[41];

	hex_id(replid, e->shared->start_ms ^ 0x5eed, (uint64_t)getpid());
	section(t, "Replication");
	add(t,
	    "role:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\n"
	    "master_replid:%s\r\nmaster_repl_offset:0\r\nrepl_backlog_active:0\r\n",
	    replid);
}

static void info_cpu(struct text *t)
{
	struct rusage self, thread;

	memset(&self, 0, sizeof(self));
	memset(&thread, 0, sizeof(thread));
	getrusage(RUSAGE_SELF, &self);
#ifdef RUSAGE_THREAD
	getrusage(RUSAGE_THREAD, &thread);
#endif
	section(t, "CPU");
	add(t,
	    "used_cpu_sys:%ld.%06ld\r\nused_cpu_user:%ld.%06ld\r\n"
	    "used_cpu_sys_main_thread:%ld.%06ld\r\nused_cpu_user_main_thread:%ld.%06ld\r\n",
	    (long)self.ru_stime.tv_sec, (long)self.ru_stime.tv_usec, (long)self.ru_utime.tv_sec,
	    (long)self.ru_utime.tv_usec, (long)thread.ru_stime.tv_sec,
	    (long)thread.ru_stime.tv_usec, (long)thread.ru_utime.tv_sec,
	    (long)thread.ru_utime.tv_usec);
}

static void stat_line(struct text *t, const char *name, const struct sl_cmd_stat *s)
{
	if (s->calls == 0 && s->failed == 0 && s->rejected == 0)
		return;
	add(t,
	    "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,"
	    "failed_calls=%llu\r\n",
	    name, (unsigned long long)s->calls, (unsigned long long)s->usec,
	    s->calls > 0 ? (double)s->usec / (double)s->calls : 0.0,
	    (unsigned long long)s->rejected, (unsigned long long)s->failed);
}

static void info_commandstats(struct text *t, const struct sl_engine *e)
{
	unsigned i;

	section(t, "Commandstats");
	for (i = 0; i < sl_cmd_table_len; i++)
		stat_line(t, sl_cmd_table[i].name, &e->cmd_stat[i]);
	for (i = 0; i < sl_subcmd_count; i++)
		stat_line(t, sl_subcmd_names[i], &e->sub_stat[i]);
}

static void info_errorstats(struct text *t, const struct sl_engine *e)
{
	unsigned i;

	section(t, "Errorstats");
	for (i = 0; i < SL_ENGINE_ERRSTATS && e->errstats[i].prefix[0] != '\0'; i++)
		add(t, "errorstat_%s:count=%llu\r\n", e->errstats[i].prefix,
		    (unsigned long long)e->errstats[i].count);
}

static void info_keyspace(struct text *t, const struct sl_store_stats *st)
{
	section(t, "Keyspace");
	if (st->keys > 0)
		add(t, "db0:keys=%llu,expires=%llu,avg_ttl=0\r\n", (unsigned long long)st->keys,
		    (unsigned long long)st->volatile_keys);
}

static void info_sluice(struct text *t, const struct sl_engine *e, const struct sl_store_stats *st)
{
	section(t, "Sluice");
	add(t,
	    "sluice_version:%s\r\ntransport:%s\r\nworker:%u\r\npartitions:%u\r\n"
	    "store_buckets:%llu\r\nstore_alloc_bytes:%llu\r\nprotocol_errors:%llu\r\n"
	    "unknown_commands:%llu\r\nauth_failures:%llu\r\nslowlog_len:%llu\r\nshipped_out:%"
	    "llu\r\n"
	    "shipped_in:%llu\r\n",
	    SL_VERSION, e->shared->transport_name, e->self, sl_store_n_parts(e->store),
	    (unsigned long long)st->buckets, (unsigned long long)st->alloc_bytes,
	    (unsigned long long)e->stats.rejected_protocol,
	    (unsigned long long)e->stats.unknown_commands,
	    (unsigned long long)e->stats.auth_failures, (unsigned long long)e->slowlog_len,
	    (unsigned long long)e->stats.shipped_out, (unsigned long long)e->stats.shipped_in);
	if (e->shared->port_link_mbps != 0 || e->shared->pace_port_mbps != 0 ||
	    e->shared->pace_conn_mbps != 0)
		add(t, "pacing:port_rate_mbps=%lld,conn_rate_mbps=%lld,link_mbps=%u\r\n",
		    e->shared->pace_port_mbps < 0 ? -1LL
		    : e->shared->pace_port_mbps == 0
			    ? (long long)e->shared->port_link_mbps * 95 / 100
			    : e->shared->pace_port_mbps,
		    e->shared->pace_conn_mbps, e->shared->port_link_mbps);
	if (e->shared->dataplane != NULL) {
		const struct sl_info_dataplane *dp = e->shared->dataplane;
		uint64_t now = 0, pauses = 0;
		unsigned i;

		for (i = 0; i < dp->n_workers; i++) {
			now += peek(dp->workers[i].paused_now);
			pauses += peek(dp->workers[i].pauses);
		}
		add(t, "paused_connections:%llu\r\nbackpressure_pauses:%llu\r\n",
		    (unsigned long long)now, (unsigned long long)pauses);
		if (dp->xdp != NULL) {
			add(t, "xdp:");
			for (i = 0; i < dp->n_xdp; i++)
				add(t, "%s%s=%llu", i > 0 ? "," : "", dp->xdp_names[i],
				    (unsigned long long)peek(&dp->xdp[i]));
			add(t, "\r\n");
		}
	}
	add(t, "pinned_values:%llu\r\npinned_retired:%llu\r\n", (unsigned long long)st->pinned,
	    (unsigned long long)st->pinned_retired);
	add(t, "output_memory:used=%llu,peak=%llu,budget=%llu,pauses=%llu\r\n",
	    (unsigned long long)e->out_mem, (unsigned long long)e->out_mem_peak,
	    (unsigned long long)e->out_budget, (unsigned long long)e->out_budget_pauses);
}

/* "k=v" fields of one worker line; the total line uses the same keys. */
static void worker_fields(struct text *t, const struct sl_info_worker *w, const struct wsnap *s)
{
	unsigned i;

	add(t, "requests=%llu", (unsigned long long)s->requests);
	if (w->busy_cycles != NULL)
		add(t, ",busy_cycles=%llu,idle_cycles=%llu,cycles_per_request=%.2f",
		    (unsigned long long)s->busy, (unsigned long long)s->idle,
		    s->requests > 0 ? (double)s->busy / (double)s->requests : 0.0);
	if (w->loops != NULL)
		add(t, ",loops=%llu", (unsigned long long)s->loops);
	if (w->rx_packets != NULL)
		add(t, ",rx_packets=%llu,tx_packets=%llu", (unsigned long long)s->rx,
		    (unsigned long long)s->tx);
	add(t, ",connections=%llu,connections_received=%llu", (unsigned long long)s->connections,
	    (unsigned long long)s->received);
	if (w->rejected_maxclients != NULL || w->rejected_source != NULL ||
	    w->rejected_protected != NULL)
		add(t, ",rejected_connections=%llu", (unsigned long long)s->rejected);
	for (i = 0; w->drops != NULL && i < w->n_drops && i < SL_INFO_MAX_COUNTERS; i++)
		add(t, ",rx_drops_%s=%llu", w->drop_names[i], (unsigned long long)s->drops[i]);
	for (i = 0; w->tcp_read != NULL && i < w->n_tcp && i < SL_INFO_MAX_COUNTERS; i++)
		add(t, ",tcp_%s=%llu", w->tcp_names[i], (unsigned long long)s->tcp[i]);
	add(t, "\r\n");
}

/*
 * "# Dataplane": one "worker<i>:k=v,..." line per worker and a "total:"
 * line, in Redis's keyspace-line style. Cycles are TSC cycles counted on
 * the worker's own lcore; cycles_per_request is busy cycles over requests.
 * Keys a transport does not measure are left out (the kernel transport has
 * requests and connections only).
 */
static void info_dataplane(struct text *t, const struct sl_engine *e,
			   const struct sl_info_dataplane *dp)
{
	const struct sl_info_worker *w0 = &dp->workers[0];
	struct wsnap s, sum;
	unsigned i, k;

	section(t, "Dataplane");
	add(t, "transport:%s\r\nworkers:%u\r\ncycle_counter:%s\r\ntsc_hz:%llu\r\n",
	    e->shared->transport_name != NULL ? e->shared->transport_name : "none", dp->n_workers,
	    w0->busy_cycles != NULL ? "tsc" : "none", (unsigned long long)dp->tsc_hz);
	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < dp->n_workers; i++) {
		read_worker(&dp->workers[i], e->now_ms, &s);
		add(t, "worker%u:", i);
		worker_fields(t, &dp->workers[i], &s);
		sum.requests += s.requests;
		sum.connections += s.connections;
		sum.received += s.received;
		sum.busy += s.busy;
		sum.idle += s.idle;
		sum.loops += s.loops;
		sum.rx += s.rx;
		sum.tx += s.tx;
		sum.rejected += s.rejected;
		for (k = 0; k < SL_INFO_MAX_COUNTERS; k++) {
			sum.drops[k] += s.drops[k];
			sum.tcp[k] += s.tcp[k];
		}
	}
	/* Workers publish the same counter set, so worker 0 names the total's keys. */
	add(t, "total:");
	worker_fields(t, w0, &sum);
}

void cmd_info(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	const struct sl_engine *e = c->eng;
	struct sl_store_stats st;
	struct sl_info_dataplane local;
	struct sl_info_worker local_w;
	const struct sl_info_dataplane *dp;
	struct totals tot;
	struct text t = {NULL, 0, 0, 0};
	unsigned want = argc == 1 ? SEC_DEFAULT : 0, i;
	uint32_t j;

	for (j = 1; j < argc; j++)
		for (i = 0; i < SL_ARRAY_SIZE(section_names); i++)
			if (arg_is(&argv[j], section_names[i].name))
				want |= section_names[i].bits;
	t.cap = 4096;
	t.p = malloc(t.cap);
	if (t.p == NULL) {
		c->flags |= SL_CLIENT_CLOSE_NOW;
		return;
	}
	t.p[0] = '\0';
	sum_store(e->store, &st);
	dp = dataplane_view(e, &local, &local_w);
	sum_workers(e, dp, &tot);
	if (want & SEC_SERVER)
		info_server(&t, e);
	if (want & SEC_CLIENTS)
		info_clients(&t, &tot);
	if (want & SEC_MEMORY)
		info_memory(&t, e, &st, &tot);
	if (want & SEC_PERSISTENCE)
		info_persistence(&t, e);
	if (want & SEC_STATS)
		info_stats(&t, e, &st, &tot);
	if (want & SEC_REPLICATION)
		info_replication(&t, e);
	if (want & SEC_CPU)
		info_cpu(&t);
	if (want & SEC_COMMANDSTATS)
		info_commandstats(&t, e);
	if (want & SEC_ERRORSTATS)
		info_errorstats(&t, e);
	if (want & SEC_CLUSTER) {
		section(&t, "Cluster");
		add(&t, "cluster_enabled:0\r\n");
	}
	if (want & SEC_KEYSPACE)
		info_keyspace(&t, &st);
	if (want & SEC_SLUICE)
		info_sluice(&t, e, &st);
	if (want & SEC_DATAPLANE)
		info_dataplane(&t, e, dp);
	if (t.failed || sl_resp_write_verbatim(&c->out, t.p, t.len, "txt") != 0)
		c->flags |= SL_CLIENT_CLOSE_NOW;
	free(t.p);
}
