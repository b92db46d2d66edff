/*
 * The admin socket (see admin.h). One poll loop on the control thread:
 * non-blocking connections, each with its own RESP parser and reply writer.
 * Input is read into a per-connection buffer that is only rewound when the
 * parser holds no partial request, which keeps the parser's rule that every
 * segment of the request in progress stays valid.
 *
 * Worker requests: each worker has one request record here (struct
 * worker_req) that the mailbox borrows. A record whose request timed out
 * after the worker picked it up stays the worker's until it finishes; the
 * mailbox answers -EBUSY meanwhile, so it is never reused too early.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "control/admin.h"
#include "control/bpf/sluice_maps.h"
#include "control/xdp.h"

/*
 * Bytes of client lines one worker request may return (about 800 lines).
 * Each request walks the registry from its head, skipping what earlier
 * requests listed, so a listing costs the worker O(clients) pointer steps per
 * request; a larger buffer means fewer requests.
 */
#define LIST_BUF (256 * 1024)

enum req_op {
	REQ_LIST,     /* client lines with id < before_id, newest first */
	REQ_KILL,     /* flag clients by id or address */
	REQ_SNAPSHOT, /* output memory of all clients */
	REQ_SET,      /* maxclients / output buffer limits */
};

/* A request run on a worker through its mailbox; fields by op. */
struct worker_req {
	enum req_op op;
	/* REQ_LIST */
	char *buf; /* LIST_BUF bytes, owned by the admin */
	size_t len;
	uint64_t before_id; /* in: list ids below this; out: the last id listed */
	bool more;          /* out: the buffer filled up before the end */
	/* REQ_KILL */
	uint64_t id; /* 0: match addr */
	char addr[64];
	uint64_t killed;
	/* REQ_SNAPSHOT */
	uint64_t omem, omem_max, clients;
	/* REQ_SET */
	int set_maxclients, set_obuf, set_pacing;
	uint32_t maxclients;
	uint64_t pace_conn_bps, pace_port_bps; /* bytes per second; per worker for the port */
	uint64_t obuf_hard, obuf_soft, obuf_soft_ms;
};

struct admin_conn {
	int fd;
	bool closing; /* close once the replies are written */
	size_t len;   /* bytes in buf */
	size_t fed;   /* bytes of buf given to the parser */
	struct sl_resp_parser parser;
	struct sl_resp_out out;
	char buf[SL_ADMIN_REQ_MAX];
};

struct sl_admin {
	int lfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sl_admin_params p;
	struct sl_resp_limits limits;
	struct worker_req *reqs; /* one per worker */
	struct admin_conn *conns[SL_ADMIN_MAX_CONNS];
};

/* ---- worker side: runs on the worker lcore through its mailbox ---- */

static void req_list(struct sl_engine *e, struct worker_req *r)
{
	const struct sl_client *c;
	char line[1024];

	r->len = 0;
	r->more = false;
	/* The registry is newest first, so ids fall along it. */
	for (c = e->clients; c != NULL; c = c->reg_next) {
		int n;

		if (c->id >= r->before_id)
			continue;
		n = sl_client_describe(c, e->now_ms, line, sizeof(line));
		if (r->len + (size_t)n > LIST_BUF) {
			r->more = true;
			return;
		}
		memcpy(r->buf + r->len, line, (size_t)n);
		r->len += (size_t)n;
		r->before_id = c->id;
	}
}

/*
 * As CLIENT KILL by another client: the victim is flagged and the transport
 * closes it (discarding its output) when it collects killed clients.
 */
static void req_kill(struct sl_engine *e, struct worker_req *r)
{
	struct sl_client *c;

	r->killed = 0;
	for (c = e->clients; c != NULL; c = c->reg_next) {
		if (r->id != 0 ? c->id != r->id
			       : !sl_client_addr_is(c, false, r->addr, strlen(r->addr)))
			continue;
		if (c->flags & (SL_CLIENT_KILLED | SL_CLIENT_CLOSE_NOW))
			continue;
		c->flags |= SL_CLIENT_KILLED;
		e->killed++;
		r->killed++;
	}
}

static void req_snapshot(struct sl_engine *e, struct worker_req *r)
{
	const struct sl_client *c;

	r->omem = r->omem_max = r->clients = 0;
	for (c = e->clients; c != NULL; c = c->reg_next) {
		uint64_t m = sl_resp_out_mem(&c->out);

		r->omem += m;
		r->omem_max = SL_MAX(r->omem_max, m);
		r->clients++;
	}
}

static void on_worker(struct sl_worker *w, void *arg)
{
	struct worker_req *r = arg;
	struct sl_server *s = w->srv;

	if (s == NULL)
		return;
	switch (r->op) {
	case REQ_LIST:
		req_list(&s->eng, r);
		break;
	case REQ_KILL:
		req_kill(&s->eng, r);
		break;
	case REQ_SNAPSHOT:
		req_snapshot(&s->eng, r);
		break;
	case REQ_SET:
		/* Shared by all workers (each one's call writes the same values). */
		if (r->set_maxclients)
			s->eng.shared->maxclients = r->maxclients;
		if (r->set_obuf)
			s->eng.shared->obuf[0] = (struct sl_engine_obuf){r->obuf_hard, r->obuf_soft,
									 r->obuf_soft_ms};
		if (r->set_pacing)
			sl_tcp_set_pacing(s->tcp, r->pace_conn_bps, r->pace_port_bps);
		break;
	}
}

/* ---- control side ---- */

/*
 * Worker w's request record, or NULL while the worker may still read it (an
 * earlier request is posted or running): only then may the control thread
 * write it.
 */
static struct worker_req *req_take(struct sl_admin *a, unsigned w)
{
	unsigned st = atomic_load_explicit(&a->p.workers[w].mbox.state, memory_order_acquire);

	return st == SL_WORKER_MBOX_IDLE || st == SL_WORKER_MBOX_DONE ? &a->reqs[w] : NULL;
}

static int call(struct sl_admin *a, unsigned w, struct worker_req *r)
{
	return sl_worker_call(&a->p.workers[w], on_worker, r, a->p.timeout_ms);
}

static const char *call_error(int rc)
{
	switch (rc) {
	case -EBUSY:
		return "still running an earlier request (stuck?)";
	case -EINPROGRESS:
		return "took the request but did not finish it in time (stuck?)";
	default:
		return "did not answer in time (stuck?)";
	}
}

static void reply_err(struct sl_resp_out *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reply_err(struct sl_resp_out *out, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl_resp_write_error(out, msg, strlen(msg));
}

static bool arg_eq(const struct sl_resp_arg *a, const char *s)
{
	return a->len == strlen(s) && strncasecmp(a->ptr, s, a->len) == 0;
}

/* A NUL-terminated copy of a (truncated to size - 1). */
static void arg_str(const struct sl_resp_arg *a, char *buf, size_t size)
{
	size_t n = a->len < size - 1 ? a->len : size - 1;

	memcpy(buf, a->ptr, n);
	buf[n] = '\0';
}

/* Growable text for the bulk replies (STATS, STATUS, CLIENTS LIST). */
struct text {
	char *p;
	size_t len, cap;
	bool nomem;
};

static void add_raw(struct text *t, const char *s, size_t n)
{
	if (t->nomem)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		char *np;

		while (cap < t->len + n + 1)
			cap *= 2;
		np = realloc(t->p, cap);
		if (np == NULL) {
			t->nomem = true;
			return;
		}
		t->p = np;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		add_raw(t, line, SL_MIN((size_t)n, sizeof(line) - 1));
}

static void reply_text(struct sl_resp_out *out, struct text *t)
{
	if (t->nomem)
		sl_resp_write_error(out, "-ERR out of memory", 18);
	else
		sl_resp_write_bulk(out, t->p != NULL ? t->p : "", t->len);
	free(t->p);
	t->p = NULL;
}

static void wrong_args(struct sl_resp_out *out, const char *cmd)
{
	reply_err(out, "-ERR wrong number of arguments for '%s' command", cmd);
}

static void run_clients(struct sl_admin *a, const struct sl_resp_arg *argv, uint32_t argc,
			struct sl_resp_out *out)
{
	unsigned w;

	if (argc > 2 && arg_eq(&argv[1], "list")) {
		reply_err(out, "-ERR wrong number of arguments for 'clients|list' command");
		return;
	}
	if (argc == 2 && arg_eq(&argv[1], "list")) {
		struct text t = {0};

		if (a->p.n_workers == 0) {
			reply_err(out, "CLIENTS LIST needs the dpdk transport's workers; with "
				       "transport kernel use CLIENT LIST on the data port");
			return;
		}
		for (w = 0; w < a->p.n_workers; w++) {
			struct worker_req *r = req_take(a, w);

			if (r == NULL) {
				free(t.p);
				reply_err(out, "worker %u %s", w, call_error(-EBUSY));
				return;
			}
			r->before_id = UINT64_MAX;
			do {
				int rc;

				r->op = REQ_LIST;
				rc = call(a, w, r);
				if (rc != 0) {
					free(t.p);
					reply_err(out, "worker %u %s", w, call_error(rc));
					return;
				}
				add_raw(&t, r->buf, r->len);
			} while (r->more);
		}
		reply_text(out, &t);
		return;
	}
	if (argc >= 2 && arg_eq(&argv[1], "kill")) {
		uint64_t killed = 0;
		char target[64], *end;
		unsigned long long id;

		if (argc != 3) {
			reply_err(out, "-ERR wrong number of arguments for 'clients|kill' command");
			return;
		}
		if (a->p.n_workers == 0) {
			reply_err(out, "CLIENTS KILL needs the dpdk transport's workers");
			return;
		}
		arg_str(&argv[2], target, sizeof(target));
		errno = 0;
		id = strtoull(target, &end, 10);
		if (strchr(target, ':') == NULL &&
		    (target[0] < '1' || target[0] > '9' || *end != '\0' || errno != 0)) {
			reply_err(out, "client-id should be greater than 0 (or give ip:port)");
			return;
		}
		for (w = 0; w < a->p.n_workers; w++) {
			struct worker_req *r = req_take(a, w);
			int rc;

			if (r == NULL) {
				reply_err(out, "worker %u %s", w, call_error(-EBUSY));
				return;
			}
			r->op = REQ_KILL;
			r->id = strchr(target, ':') == NULL ? (uint64_t)id : 0;
			snprintf(r->addr, sizeof(r->addr), "%s", target);
			rc = call(a, w, r);
			if (rc != 0) {
				reply_err(out, "worker %u %s", w, call_error(rc));
				return;
			}
			killed += r->killed;
		}
		if (killed == 0)
			sl_resp_write_error(out, "-ERR No such client", 19);
		else
			sl_resp_write_int(out, (int64_t)killed);
		return;
	}
	if (argc == 2 && arg_eq(&argv[1], "help")) {
		static const char *const lines[] = {
			"CLIENTS LIST",
			"    Every worker's clients, in CLIENT LIST format.",
			"CLIENTS KILL <id>|<ip:port>",
			"    Close the client with that id or peer address (as CLIENT KILL).",
		};
		unsigned i;

		sl_resp_write_array_len(out, SL_ARRAY_SIZE(lines));
		for (i = 0; i < SL_ARRAY_SIZE(lines); i++)
			sl_resp_write_status(out, lines[i], strlen(lines[i]));
		return;
	}
	if (argc < 2) {
		wrong_args(out, "clients");
		return;
	}
	reply_err(out, "-ERR unknown subcommand '%.*s'. Try CLIENTS HELP.",
		  (int)SL_MIN(argv[1].len, 128), argv[1].ptr);
}

/* Failed AUTH/HELLO AUTH comparisons: each one is answered -WRONGPASS. */
static uint64_t wrongpass(const struct sl_engine *e)
{
	unsigned i;

	for (i = 0; i < SL_ENGINE_ERRSTATS && e->errstats[i].prefix[0] != '\0'; i++)
		if (strcmp(e->errstats[i].prefix, "WRONGPASS") == 0)
			return e->errstats[i].count;
	return 0;
}

static void run_stats(struct sl_admin *a, struct sl_resp_out *out)
{
	struct text t = {0};
	uint64_t tot[12] = {0}, paced = 0;
	unsigned w, i;

	if (a->p.xdp_stats_fd >= 0) {
		uint64_t v[SL_XDP_STAT__MAX];

		add(&t, "# XDP\r\n");
		if (sl_xdp_read_stats(a->p.xdp_stats_fd, v) == 0)
			for (i = 0; i < SL_XDP_STAT__MAX; i++)
				add(&t, "xdp_%s:%" PRIu64 "\r\n", sl_xdp_stat_names[i], v[i]);
	}
	add(&t, "# Workers\r\n");
	/* Plain per-worker counters: read as the workers write them. */
	for (w = 0; w < a->p.n_workers; w++) {
		const struct sl_server *s = &a->p.servers[w];
		const struct sl_worker *wk = &a->p.workers[w];
		const struct sl_engine_stats *es = &s->eng.stats;
		struct worker_req *r = req_take(a, w);
		uint64_t v[12] = {es->commands,
				  es->connected_clients,
				  es->connections_received,
				  s->stats.rejected,
				  s->stats.source_rejected,
				  s->stats.denied,
				  s->stats.obuf_disconnections,
				  s->stats.paused,
				  wrongpass(&s->eng),
				  wk->net.stats.rx_frames,
				  wk->net.stats.tx_frames,
				  0};
		int rc = -EBUSY;

		if (r != NULL) {
			r->op = REQ_SNAPSHOT;
			rc = call(a, w, r);
		}
		add(&t, "worker%u_responsive:%d\r\n", w, rc == 0);
		add(&t,
		    "worker%u_requests:%" PRIu64 "\r\nworker%u_connections:%" PRIu64
		    "\r\nworker%u_connections_received:%" PRIu64
		    "\r\nworker%u_rejected_connections:%" PRIu64
		    "\r\nworker%u_rejected_connections_source:%" PRIu64
		    "\r\nworker%u_denied_connections:%" PRIu64
		    "\r\nworker%u_client_output_buffer_disconnections:%" PRIu64
		    "\r\nworker%u_backpressure_pauses:%" PRIu64
		    "\r\nworker%u_auth_failures:%" PRIu64 "\r\nworker%u_rx_frames:%" PRIu64
		    "\r\nworker%u_tx_frames:%" PRIu64 "\r\n",
		    w, v[0], w, v[1], w, v[2], w, v[3], w, v[4], w, v[5], w, v[6], w, v[7], w, v[8],
		    w, v[9], w, v[10]);
		add(&t, "worker%u_busy_cycles:%" PRIu64 "\r\nworker%u_idle_cycles:%" PRIu64 "\r\n",
		    w, wk->stats.busy_cycles, w, wk->stats.idle_cycles);
		if (rc == 0) {
			add(&t,
			    "worker%u_output_memory:%" PRIu64
			    "\r\nworker%u_output_memory_max_client:%" PRIu64 "\r\n",
			    w, r->omem, w, r->omem_max);
			v[11] = r->omem;
		} else {
			add(&t, "worker%u_error:%s\r\n", w, call_error(rc));
		}
		for (i = 0; i < 12; i++)
			tot[i] += v[i];
	}
	add(&t, "# Server\r\n");
	if (a->p.n_workers > 0)
		add(&t, "evicted_clients:%" PRIu64 "\r\n",
		    (uint64_t)atomic_load_explicit(&a->p.servers[0].eng.shared->evicted_clients,
						   memory_order_relaxed));
	for (w = 0; w < a->p.n_workers; w++) {
		struct sl_tcp *tcp = __atomic_load_n(&a->p.servers[w].tcp, __ATOMIC_ACQUIRE);
		struct sl_tcp_stats ts;

		if (tcp != NULL) {
			sl_tcp_stats_get(tcp, &ts);
			paced += ts.paced;
		}
	}
	add(&t, "paced_sends:%" PRIu64 "\r\n", paced);
	add(&t,
	    "workers:%u\r\ntotal_commands_processed:%" PRIu64 "\r\nconnected_clients:%" PRIu64
	    "\r\ntotal_connections_received:%" PRIu64 "\r\nrejected_connections:%" PRIu64
	    "\r\nrejected_connections_source:%" PRIu64 "\r\ndenied_connections:%" PRIu64
	    "\r\nclient_output_buffer_disconnections:%" PRIu64 "\r\nbackpressure_pauses:%" PRIu64
	    "\r\nauth_failures:%" PRIu64 "\r\noutput_memory:%" PRIu64 "\r\n",
	    a->p.n_workers, tot[0], tot[1], tot[2], tot[3] + tot[4], tot[4], tot[5], tot[6], tot[7],
	    tot[8], tot[11]);
	reply_text(out, &t);
}

static uint64_t unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void run_status(struct sl_admin *a, struct sl_resp_out *out)
{
	struct text t = {0};
	unsigned w;

	add(&t, "instance:%s\r\npid:%ld\r\ntransport:%s\r\n", a->p.instance, (long)getpid(),
	    a->p.transport);
	if (a->p.device != NULL)
		add(&t, "device:%s\r\n", a->p.device);
	add(&t, "uptime_in_seconds:%" PRIu64 "\r\nworkers:%u\r\n",
	    (unix_ms() - SL_MIN(unix_ms(), a->p.start_ms)) / 1000, a->p.n_workers);
	for (w = 0; w < a->p.n_workers; w++) {
		struct worker_req *r = req_take(a, w);
		int rc = -EBUSY;

		if (r != NULL) {
			r->op = REQ_SNAPSHOT;
			rc = call(a, w, r);
		}
		add(&t, "worker%u:%s\r\n", w, rc == 0 ? "ok" : call_error(rc));
	}
	reply_text(out, &t);
}

/* Redis memtoull (sl_cmd_parse_memory), a digit first. */
static int parse_mem(const char *s, uint64_t *out)
{
	unsigned long long v;

	if (*s < '0' || *s > '9' || sl_cmd_parse_memory(s, strlen(s), &v) != 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* The options CONFIG GET/SET know here, all applied live on every worker. */
static const char *const live_options[] = {"maxclients", "client-output-buffer-limit",
					   "conn-rate-mbps", "port-rate-mbps"};

static void option_value(struct sl_admin *a, unsigned i, char *buf, size_t size)
{
	const struct sl_server *s = &a->p.servers[0];

	if (i == 0)
		snprintf(buf, size, "%" PRIu32, s->eng.shared->maxclients);
	else if (i == 1)
		snprintf(buf, size, "normal %" PRIu64 " %" PRIu64 " %" PRIu64,
			 s->eng.shared->obuf[0].hard, s->eng.shared->obuf[0].soft,
			 s->eng.shared->obuf[0].soft_ms / 1000);
	else if (i == 2)
		snprintf(buf, size, "%lld", a->p.conn_rate_mbps);
	else
		snprintf(buf, size, "%lld", a->p.port_rate_mbps);
}

static void config_get(struct sl_admin *a, const struct sl_resp_arg *pat, struct sl_resp_out *out)
{
	char p[128], val[128];
	unsigned i, n = 0;
	bool match[SL_ARRAY_SIZE(live_options)];

	arg_str(pat, p, sizeof(p));
	for (i = 0; i < SL_ARRAY_SIZE(live_options); i++) {
		match[i] = a->p.n_workers > 0 && fnmatch(p, live_options[i], FNM_CASEFOLD) == 0;
		n += match[i];
	}
	sl_resp_write_map_len(out, n);
	for (i = 0; i < SL_ARRAY_SIZE(live_options); i++) {
		if (!match[i])
			continue;
		option_value(a, i, val, sizeof(val));
		sl_resp_write_bulk(out, live_options[i], strlen(live_options[i]));
		sl_resp_write_bulk(out, val, strlen(val));
	}
}

static void config_set(struct sl_admin *a, const struct sl_resp_arg *name,
		       const struct sl_resp_arg *value, struct sl_resp_out *out)
{
	struct worker_req set = {0};
	char v[256], n[64];
	unsigned w;

	arg_str(name, n, sizeof(n));
	arg_str(value, v, sizeof(v));
	if (a->p.n_workers == 0) {
		reply_err(out, "CONFIG SET here needs the dpdk transport's workers; use CONFIG SET "
			       "on the data port");
		return;
	}
	if (strcasecmp(n, "maxclients") == 0) {
		uint64_t m;

		if (parse_mem(v, &m) != 0 || m < 1 || m > 1000000) {
			reply_err(
				out,
				"-ERR CONFIG SET failed (possibly related to argument "
				"'maxclients') - argument must be between 1 and 1000000 inclusive");
			return;
		}
		set.set_maxclients = 1;
		set.maxclients = (uint32_t)m;
	} else if (strcasecmp(n, "client-output-buffer-limit") == 0) {
		char cls[16], h[32], s[32], extra;
		uint64_t hard, soft, secs;

		if (sscanf(v, "%15s %31s %31s %" SCNu64 " %c", cls, h, s, &secs, &extra) != 4 ||
		    strcasecmp(cls, "normal") != 0 || parse_mem(h, &hard) != 0 ||
		    parse_mem(s, &soft) != 0 || secs > UINT64_MAX / 1000) {
			reply_err(out, "-ERR CONFIG SET failed (possibly related to argument "
				       "'client-output-buffer-limit') - expected 'normal <hard> "
				       "<soft> <seconds>' (sluice's clients are all normal)");
			return;
		}
		set.set_obuf = 1;
		set.obuf_hard = hard;
		set.obuf_soft = soft;
		set.obuf_soft_ms = secs * 1000;
	} else if (strcasecmp(n, "conn-rate-mbps") == 0 || strcasecmp(n, "port-rate-mbps") == 0) {
		bool port = strcasecmp(n, "port-rate-mbps") == 0;
		long long conn_mbps = a->p.conn_rate_mbps, port_mbps = a->p.port_rate_mbps, m;
		char *end;
		uint64_t link;

		errno = 0;
		m = strtoll(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || m < (port ? -1 : 0) || m > 10000000) {
			reply_err(out,
				  "-ERR CONFIG SET failed (possibly related to argument '%s') - "
				  "argument must be between %d and 10000000 inclusive (Mbit/s)",
				  n, port ? -1 : 0);
			return;
		}
		if (port)
			port_mbps = m;
		else
			conn_mbps = m;
		link = port_mbps == 0 ? (uint64_t)a->p.link_speed_mbps * 95 / 100
				      : (uint64_t)(port_mbps < 0 ? 0 : port_mbps);
		set.set_pacing = 1;
		set.pace_conn_bps = (uint64_t)conn_mbps * 1000000 / 8;
		set.pace_port_bps = link * 1000000 / 8 / a->p.n_workers;
		/* Recorded before the calls: a worker that does not answer keeps its old rates,
		 * which the error says. */
		a->p.conn_rate_mbps = conn_mbps;
		a->p.port_rate_mbps = port_mbps;
		a->p.servers[0].eng.shared->pace_conn_mbps = conn_mbps; /* for INFO */
		a->p.servers[0].eng.shared->pace_port_mbps = port_mbps;
	} else {
		reply_err(out, "-ERR Unknown option or number of arguments for CONFIG SET - '%s'",
			  n);
		return;
	}
	for (w = 0; w < a->p.n_workers; w++) {
		struct worker_req *r = req_take(a, w);
		char *buf;
		int rc;

		if (r == NULL) {
			reply_err(out,
				  "worker %u %s; the setting applies only to workers before it", w,
				  call_error(-EBUSY));
			return;
		}
		buf = r->buf;
		*r = set;
		r->buf = buf;
		r->op = REQ_SET;
		rc = call(a, w, r);
		if (rc != 0) {
			reply_err(out,
				  "worker %u %s; the setting applies only to workers before it", w,
				  call_error(rc));
			return;
		}
	}
	sl_resp_write_status(out, "OK", 2);
}

/* "a.b.c.d/len" or "a.b.c.d" (a /32) into host-order net (masked) and len. */
static int parse_prefix(const char *s, uint32_t *net, unsigned *len)
{
	struct sl_bpf_acl_key k;

	if (sl_xdp_parse_prefix(s, &k) != 0)
		return -EINVAL;
	*net = ntohl(k.addr);
	*len = k.prefixlen;
	return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 1000000)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static void xdp_cfg_bump(struct sl_bpf_cfg *cfg)
{
	__atomic_fetch_add(&cfg->generation, 1, __ATOMIC_RELEASE);
}

/*
 * CAPS: the global cap, the default per-source cap, the per-prefix rules.
 * The kernel transport (no workers here) has no global line: its maxclients
 * and connected_clients are CONFIG GET maxclients and INFO on the data port.
 */
static void caps_get(struct sl_admin *a, struct sl_resp_out *out)
{
	struct sl_srccap_rule rules[SL_SRCCAP_RULES];
	struct text t = {0};
	const struct sl_engine_shared *sh =
		a->p.n_workers > 0 ? a->p.servers[0].eng.shared : a->p.shared;
	unsigned i, n;

	if (sh != NULL)
		add(&t, "global:%" PRIu32 "\r\n", sh->maxclients);
	if (a->p.n_workers > 0)
		add(&t, "connected_clients:%" PRIu64 "\r\n",
		    (uint64_t)atomic_load_explicit(&sh->nclients, memory_order_relaxed));
	if (a->p.srccap != NULL) {
		const struct sl_srccap *c = a->p.srccap;

		add(&t,
		    "source_prefix:%d\r\nsource:%" PRIu32 "\r\nuntracked_sources:%" PRIu64 "\r\n",
		    __builtin_popcount(c->mask), __atomic_load_n(&c->default_cap, __ATOMIC_RELAXED),
		    (uint64_t)atomic_load_explicit(&c->untracked, memory_order_relaxed));
	}
	if (a->p.xdp_cfg != NULL)
		add(&t, "xdp_source:%" PRIu32 "\r\nxdp_slack:%" PRIu32 "\r\n",
		    __atomic_load_n(&a->p.xdp_cfg->conn_cap, __ATOMIC_RELAXED),
		    __atomic_load_n(&a->p.xdp_cfg->conn_slack, __ATOMIC_RELAXED));
	n = a->p.srccap != NULL ? sl_srccap_rules(a->p.srccap, rules, SL_SRCCAP_RULES) : 0;
	for (i = 0; i < n; i++)
		add(&t, "prefix:%u.%u.%u.%u/%u %" PRIu32 "\r\n", rules[i].net >> 24,
		    (rules[i].net >> 16) & 0xff, (rules[i].net >> 8) & 0xff, rules[i].net & 0xff,
		    rules[i].len, rules[i].cap);
	reply_text(out, &t);
}

/* The XDP half of a per-prefix rule; the dataplane's is already changed. */
static int caps_xdp_rule(struct sl_admin *a, uint32_t net, unsigned len, const uint32_t *cap)
{
	struct sl_bpf_acl_key k = {.prefixlen = len, .addr = htonl(net)};
	int rc;

	if (a->p.xdp_caps_fd < 0)
		return 0;
	rc = cap != NULL ? bpf_map_update_elem(a->p.xdp_caps_fd, &k, cap, BPF_ANY)
			 : bpf_map_delete_elem(a->p.xdp_caps_fd, &k);
	return rc == 0 || (cap == NULL && errno == ENOENT) ? 0 : -errno;
}

static void caps_set(struct sl_admin *a, const struct sl_resp_arg *argv, uint32_t argc,
		     struct sl_resp_out *out)
{
	char what[64], v[32], v2[32];
	uint32_t cap, slack = SL_BPF_CONN_SLACK_DEFAULT, net;
	unsigned len;
	int rc;

	arg_str(&argv[2], what, sizeof(what));
	arg_str(&argv[3], v, sizeof(v));
	if (argc == 5)
		arg_str(&argv[4], v2, sizeof(v2));
	if (parse_u32(v, &cap) != 0 || (argc == 5 && parse_u32(v2, &slack) != 0)) {
		reply_err(out, "-ERR the cap must be an integer between 0 and 1000000 "
			       "(0 = no cap)");
		return;
	}
	if (strcasecmp(what, "global") == 0) {
		struct sl_resp_arg name = {.ptr = "maxclients", .len = 10};
		struct sl_resp_arg val = {.ptr = v, .len = strlen(v)};

		if (argc != 4) {
			wrong_args(out, "caps|set");
			return;
		}
		if (a->p.n_workers > 0) {
			config_set(a, &name, &val, out);
			return;
		}
		if (a->p.shared == NULL) {
			reply_err(out, "-ERR this sluice has no global cap to set here");
			return;
		}
		/* The kernel transport reads maxclients at each accept (a plain word). */
		if (cap < 1) {
			reply_err(out, "-ERR CONFIG SET failed (possibly related to argument "
				       "'maxclients') - argument must be between 1 and 1000000 "
				       "inclusive");
			return;
		}
		a->p.shared->maxclients = cap;
		sl_resp_write_status(out, "OK", 2);
		return;
	}
	if (a->p.srccap == NULL) {
		reply_err(out, "-ERR this sluice has no per-source cap table");
		return;
	}
	if (strcasecmp(what, "source") == 0) {
		sl_srccap_set_default(a->p.srccap, cap);
		if (a->p.xdp_cfg != NULL) {
			__atomic_store_n(&a->p.xdp_cfg->conn_slack, slack, __ATOMIC_RELAXED);
			__atomic_store_n(&a->p.xdp_cfg->conn_cap, cap, __ATOMIC_RELEASE);
			xdp_cfg_bump(a->p.xdp_cfg);
		}
		sl_resp_write_status(out, "OK", 2);
		return;
	}
	if (argc != 4) {
		wrong_args(out, "caps|set");
		return;
	}
	if (parse_prefix(what, &net, &len) != 0) {
		reply_err(out, "-ERR expected GLOBAL, SOURCE or a prefix A.B.C.D[/LEN], got '%s'",
			  what);
		return;
	}
	rc = sl_srccap_set_rule(a->p.srccap, net, len, cap);
	if (rc == -ENOSPC) {
		reply_err(out, "-ERR at most %d prefix caps; delete one first", SL_SRCCAP_RULES);
		return;
	}
	rc = caps_xdp_rule(a, net, len, &cap);
	if (rc != 0) {
		reply_err(out, "-ERR the dataplane cap is set, the XDP map refused it: %s",
			  strerror(-rc));
		return;
	}
	sl_resp_write_status(out, "OK", 2);
}

static void caps_del(struct sl_admin *a, const struct sl_resp_arg *arg, struct sl_resp_out *out)
{
	char what[64];
	uint32_t net;
	unsigned len;
	int rc;

	arg_str(arg, what, sizeof(what));
	if (parse_prefix(what, &net, &len) != 0) {
		reply_err(out, "-ERR expected a prefix A.B.C.D[/LEN], got '%s'", what);
		return;
	}
	if (a->p.srccap == NULL || sl_srccap_del_rule(a->p.srccap, net, len) != 0) {
		reply_err(out, "-ERR no cap for %s", what);
		return;
	}
	rc = caps_xdp_rule(a, net, len, NULL);
	if (rc != 0) {
		reply_err(out, "-ERR the dataplane cap is gone, the XDP map kept it: %s",
			  strerror(-rc));
		return;
	}
	sl_resp_write_status(out, "OK", 2);
}

static void run_caps(struct sl_admin *a, const struct sl_resp_arg *argv, uint32_t argc,
		     struct sl_resp_out *out)
{
	if (argc == 1 || (argc == 2 && arg_eq(&argv[1], "get")))
		caps_get(a, out);
	else if ((argc == 4 || argc == 5) && arg_eq(&argv[1], "set"))
		caps_set(a, argv, argc, out);
	else if (argc == 3 && arg_eq(&argv[1], "del"))
		caps_del(a, &argv[2], out);
	else if (arg_eq(&argv[1], "get") || arg_eq(&argv[1], "set") || arg_eq(&argv[1], "del"))
		reply_err(out, "-ERR wrong number of arguments for 'caps|%s' command",
			  arg_eq(&argv[1], "get")   ? "get"
			  : arg_eq(&argv[1], "set") ? "set"
						    : "del");
	else
		reply_err(out, "-ERR unknown subcommand '%.*s'. Try GET, SET, DEL.",
			  (int)SL_MIN(argv[1].len, 128), argv[1].ptr);
}

/* PACING: the rates as configured and in effect, and each worker's pacer counters. */
static void run_pacing(struct sl_admin *a, struct sl_resp_out *out)
{
	struct text t = {0};
	long long port = a->p.port_rate_mbps;
	unsigned w;

	add(&t,
	    "conn_rate_mbps:%lld\r\nport_rate_mbps:%lld\r\nlink_mbps:%" PRIu32
	    "\r\nport_rate_effective_mbps:%lld\r\n",
	    a->p.conn_rate_mbps, port, a->p.link_speed_mbps,
	    port < 0    ? -1LL
	    : port == 0 ? (long long)a->p.link_speed_mbps * 95 / 100
			: port);
	for (w = 0; w < a->p.n_workers; w++) {
		struct sl_tcp *tcp = __atomic_load_n(&a->p.servers[w].tcp, __ATOMIC_ACQUIRE);
		struct sl_tcp_stats ts;

		if (tcp == NULL)
			continue;
		sl_tcp_stats_get(tcp, &ts);
		add(&t, "worker%u_paced_sends:%" PRIu64 "\r\n", w, (uint64_t)ts.paced);
	}
	reply_text(out, &t);
}

static void run_config(struct sl_admin *a, const struct sl_resp_arg *argv, uint32_t argc,
		       struct sl_resp_out *out)
{
	if (argc == 3 && arg_eq(&argv[1], "get"))
		config_get(a, &argv[2], out);
	else if (argc == 4 && arg_eq(&argv[1], "set"))
		config_set(a, &argv[2], &argv[3], out);
	else if (argc >= 2 && (arg_eq(&argv[1], "get") || arg_eq(&argv[1], "set")))
		reply_err(out, "-ERR wrong number of arguments for 'config|%s' command",
			  arg_eq(&argv[1], "get") ? "get" : "set");
	else if (argc < 2)
		wrong_args(out, "config");
	else
		reply_err(out, "-ERR unknown subcommand '%.*s'. Try CONFIG HELP.",
			  (int)SL_MIN(argv[1].len, 128), argv[1].ptr);
}

/* Redis 7.0's text (server.c processCommand), arguments quoted up to 128 bytes. */
static void unknown_command(const struct sl_resp_arg *argv, uint32_t argc, struct sl_resp_out *out)
{
	char args[512];
	size_t n = 0;
	uint32_t i;

	args[0] = '\0';
	for (i = 1; i < argc && n < 128; i++) {
		size_t room = 128 - n;
		int w = snprintf(args + n, sizeof(args) - n, "'%.*s' ",
				 (int)SL_MIN(argv[i].len, room), argv[i].ptr);

		if (w < 0)
			break;
		n += (size_t)w;
	}
	reply_err(out, "-ERR unknown command '%.*s', with args beginning with: %s",
		  (int)SL_MIN(argv[0].len, 128), argv[0].ptr, args);
}

void sl_admin_execute(struct sl_admin *a, const struct sl_resp_arg *argv, uint32_t argc,
		      struct sl_resp_out *out)
{
	if (arg_eq(&argv[0], "ping")) {
		if (argc == 1)
			sl_resp_write_status(out, "PONG", 4);
		else if (argc == 2)
			sl_resp_write_bulk(out, argv[1].ptr, argv[1].len);
		else
			wrong_args(out, "ping");
	} else if (arg_eq(&argv[0], "clients")) {
		run_clients(a, argv, argc, out);
	} else if (arg_eq(&argv[0], "stats")) {
		if (argc != 1)
			wrong_args(out, "stats");
		else
			run_stats(a, out);
	} else if (arg_eq(&argv[0], "status")) {
		if (argc != 1)
			wrong_args(out, "status");
		else
			run_status(a, out);
	} else if (arg_eq(&argv[0], "config")) {
		run_config(a, argv, argc, out);
	} else if (arg_eq(&argv[0], "caps")) {
		run_caps(a, argv, argc, out);
	} else if (arg_eq(&argv[0], "pacing")) {
		if (argc != 1)
			wrong_args(out, "pacing");
		else
			run_pacing(a, out);
	} else {
		unknown_command(argv, argc, out);
	}
}

/* ---- socket ---- */

int sl_admin_clear_path(const char *path, int *removed, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, rc;

	*removed = 0;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "admin socket path %s is too long (at most %zu bytes)", path,
			 sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		rc = -errno;
		snprintf(err, errlen, "cannot check %s: %s", path, strerror(errno));
		return rc;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen,
			 "%s is in the way of the admin socket and is not a socket; remove it or "
			 "choose another run-dir/instance",
			 path);
		return -EEXIST;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		rc = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return rc;
	}
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "another process serves the admin socket %s", path);
		return -EADDRINUSE;
	}
	/* Nobody listens: a dead instance's socket. */
	if (unlink(path) == -1 && errno != ENOENT) {
		rc = -errno;
		snprintf(err, errlen, "cannot remove the stale admin socket %s: %s", path,
			 strerror(errno));
		return rc;
	}
	*removed = 1;
	return 0;
}

struct sl_admin *sl_admin_create(const struct sl_admin_params *p, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct sl_admin *a;
	struct stat st;
	mode_t old;
	int removed, rc;
	unsigned w;

	rc = sl_admin_clear_path(p->path, &removed, err, errlen);
	if (rc != 0) {
		errno = -rc;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(err, errlen, "no memory for the admin socket");
		return NULL;
	}
	a->lfd = -1;
	a->p = *p;
	if (a->p.timeout_ms == 0)
		a->p.timeout_ms = SL_ADMIN_CALL_TIMEOUT_MS;
	memcpy(a->path, p->path, strlen(p->path) + 1);
	a->p.path = a->path;
	sl_resp_limits_default(&a->limits);
	a->limits.max_query_buf = SL_ADMIN_REQ_MAX;
	a->reqs = calloc(p->n_workers ? p->n_workers : 1, sizeof(*a->reqs));
	if (a->reqs == NULL)
		goto nomem;
	for (w = 0; w < p->n_workers; w++) {
		a->reqs[w].buf = malloc(LIST_BUF);
		if (a->reqs[w].buf == NULL)
			goto nomem;
	}
	a->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->lfd == -1) {
		snprintf(err, errlen, "admin socket: %s", strerror(errno));
		goto fail;
	}
	memcpy(sa.sun_path, a->path, strlen(a->path) + 1);
	/* 0600 from the first instant: no window in which others could connect. */
	old = umask(0177);
	rc = bind(a->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc == -1) {
		snprintf(err, errlen, "cannot bind the admin socket %s: %s", a->path,
			 strerror(errno));
		goto fail;
	}
	if (lstat(a->path, &st) == -1 || !S_ISSOCK(st.st_mode) || (st.st_mode & 0777) != 0600 ||
	    st.st_uid != geteuid()) {
		snprintf(err, errlen,
			 "the admin socket %s is not a socket of mode 0600 owned by uid %ld after "
			 "bind; refusing to serve it",
			 a->path, (long)geteuid());
		unlink(a->path);
		errno = EPERM;
		goto fail;
	}
	if (listen(a->lfd, SL_ADMIN_MAX_CONNS) == -1) {
		snprintf(err, errlen, "listen on %s: %s", a->path, strerror(errno));
		unlink(a->path);
		goto fail;
	}
	return a;
nomem:
	snprintf(err, errlen, "no memory for the admin socket");
	errno = ENOMEM;
fail:
	rc = errno;
	if (a->lfd >= 0)
		close(a->lfd);
	for (w = 0; a->reqs != NULL && w < p->n_workers; w++)
		free(a->reqs[w].buf);
	free(a->reqs);
	free(a);
	errno = rc;
	return NULL;
}

static void conn_close(struct sl_admin *a, unsigned i)
{
	struct admin_conn *c = a->conns[i];

	close(c->fd);
	sl_resp_parser_deinit(&c->parser);
	sl_resp_out_deinit(&c->out);
	free(c);
	a->conns[i] = NULL;
}

/* Only root and the user sluice runs as; the 0600 mode already says so. */
static bool peer_allowed(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1)
		return false;
	return cr.uid == 0 || cr.uid == geteuid();
}

static void accept_all(struct sl_admin *a)
{
	for (;;) {
		int fd = accept4(a->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct admin_conn *c;
		unsigned i;

		if (fd == -1)
			return;
		for (i = 0; i < SL_ADMIN_MAX_CONNS && a->conns[i] != NULL; i++)
			;
		if (i == SL_ADMIN_MAX_CONNS || !peer_allowed(fd)) {
			static const char busy[] = "-ERR too many admin connections\r\n";
			static const char denied[] = "-ERR permission denied\r\n";
			ssize_t n = i == SL_ADMIN_MAX_CONNS ? write(fd, busy, sizeof(busy) - 1)
							    : write(fd, denied, sizeof(denied) - 1);

			(void)n;
			close(fd);
			continue;
		}
		c = malloc(sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		memset(c, 0, offsetof(struct admin_conn, buf));
		c->fd = fd;
		sl_resp_parser_init(&c->parser, &a->limits, NULL);
		sl_resp_parser_set_auth(&c->parser, true);
		sl_resp_out_init(&c->out, NULL);
		a->conns[i] = c;
	}
}

/* Writes what is pending. Returns -1 when the connection is to be closed. */
static int conn_flush(struct admin_conn *c)
{
	while (sl_resp_out_pending(&c->out) > 0) {
		struct iovec iov[16];
		size_t n = sl_resp_out_peek(&c->out, iov, 16);
		ssize_t w = writev(c->fd, iov, (int)n);

		if (w == -1)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		sl_resp_out_consume(&c->out, (size_t)w);
	}
	return c->closing ? -1 : 0;
}

/* Reads and runs what arrived. Returns -1 when the connection is to be closed. */
static int conn_read(struct sl_admin *a, struct admin_conn *c)
{
	ssize_t n;

	if (c->len == sizeof(c->buf)) {
		sl_resp_write_error(&c->out, "-ERR admin request too large", 28);
		c->closing = true;
		return 0;
	}
	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n == 0)
		return -1;
	if (n == -1)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	c->len += (size_t)n;
	while (!c->closing) {
		size_t used;
		enum sl_resp_status st =
			sl_resp_parse(&c->parser, c->buf + c->fed, c->len - c->fed, &used);

		if (st == SL_RESP_AGAIN) {
			c->fed = c->len;
			/* No partial request points into buf: start it over. */
			if (sl_resp_parser_buffered(&c->parser) == 0)
				c->len = c->fed = 0;
			break;
		}
		if (st == SL_RESP_ERROR) {
			const char *text = sl_resp_parser_error(&c->parser);

			if (text != NULL)
				reply_err(&c->out, "-ERR %s", text);
			c->closing = true;
			break;
		}
		c->fed += used;
		sl_admin_execute(a, c->parser.argv, c->parser.argc, &c->out);
	}
	return 0;
}

int sl_admin_poll(struct sl_admin *a, int timeout_ms)
{
	struct pollfd pfd[SL_ADMIN_MAX_CONNS + 1];
	unsigned idx[SL_ADMIN_MAX_CONNS + 1], n = 1, i;
	int rc;

	pfd[0].fd = a->lfd;
	pfd[0].events = POLLIN;
	for (i = 0; i < SL_ADMIN_MAX_CONNS; i++) {
		struct admin_conn *c = a->conns[i];

		if (c == NULL)
			continue;
		pfd[n].fd = c->fd;
		pfd[n].events = (short)(sl_resp_out_pending(&c->out) > 0 ? POLLOUT : POLLIN);
		idx[n++] = i;
	}
	rc = poll(pfd, n, timeout_ms);
	if (rc == -1)
		return -errno;
	for (i = 1; i < n; i++) {
		struct admin_conn *c = a->conns[idx[i]];

		if (pfd[i].revents == 0)
			continue;
		if ((pfd[i].revents & POLLIN) && conn_read(a, c) != 0) {
			conn_close(a, idx[i]);
			continue;
		}
		/* A hang-up with nothing left to read: the peer is gone. */
		if ((pfd[i].revents & (POLLERR | POLLNVAL)) ||
		    ((pfd[i].revents & POLLHUP) && !(pfd[i].revents & POLLIN)) ||
		    conn_flush(c) != 0)
			conn_close(a, idx[i]);
	}
	if (pfd[0].revents & POLLIN)
		accept_all(a);
	return 0;
}

void sl_admin_destroy(struct sl_admin **ap)
{
	struct sl_admin *a = *ap;
	unsigned i;

	if (a == NULL)
		return;
	for (i = 0; i < SL_ADMIN_MAX_CONNS; i++)
		if (a->conns[i] != NULL)
			conn_close(a, i);
	close(a->lfd);
	unlink(a->path);
	for (i = 0; i < a->p.n_workers; i++)
		free(a->reqs[i].buf);
	free(a->reqs);
	free(a);
	*ap = NULL;
}
