/*
 * Cross-worker command execution (workers > 1): the engine's side of CREW.
 *
 * Keys are spread over partitions by hash and each partition has one
 * writer, its owner worker. A client is served by the worker that accepted
 * its connection, so it often names keys another worker owns:
 *  - reads run where the client is: the store's reads work on any partition
 *    under QSBR (dataplane/store);
 *  - a write whose keys all belong to one other worker is shipped whole: the
 *    request's arguments are copied into a message, pushed on the
 *    single-producer single-consumer ring (source, owner), executed by the
 *    owner against its own partition on a proxy client that replies in the
 *    client's protocol, and the reply bytes come back on the ring
 *    (owner, source);
 *  - a write whose keys span workers (DEL, UNLINK, MSET, MSETNX, RENAME,
 *    RENAMENX) or that concerns every partition (FLUSHALL, FLUSHDB) is split
 *    into one message per owner, its own worker included, and the replies
 *    are combined (integers summed, or one fixed reply; the first error
 *    wins). These are not atomic across partitions (docs/commands.md).
 *
 * Order. While a client has a command in flight (c->job != NULL) it runs
 * nothing else: input that arrived behind the shipped request is kept in
 * c->pend and the transport stops reading the connection (its TCP window
 * closes). So replies leave in request order, a read after a shipped write
 * sees it, and nothing is buffered without bound. A pipeline of remote
 * writes costs one ring round trip per write.
 *
 * Flow control. A source keeps at most `slots` messages in flight per
 * owner (request ring + being executed + completion ring), so the owner's
 * completion ring always has room; further messages wait in the source's
 * backlog, in order. Owners execute a bounded number of messages per poll.
 *
 * Memory. A message (header, argument vector, argument bytes) is one
 * allocation by the source; the owner attaches the reply (one allocation)
 * and hands both back; the source frees them. The job (what the client waits
 * for) is source-only memory; if the client goes away first, the job
 * forgets it and the replies are dropped on arrival.
 *
 * Threads: a ring has exactly one producer and one consumer thread;
 * everything else here is touched by its own worker only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/cmd/cmd_priv.h"

#define MESH_BUDGET 64 /* messages an owner executes per source per poll */

struct mesh_ring {
	_Alignas(64) atomic_uint head; /* written by the producer */
	_Alignas(64) atomic_uint tail; /* written by the consumer */
	unsigned mask;
	struct sl_ship_msg **slot;
};

struct sl_mesh {
	unsigned n;
	unsigned slots;
	struct mesh_ring *req;  /* [src * n + owner]: requests */
	struct mesh_ring *done; /* [owner * n + src]: executed requests coming back */
	struct {
		void (*fn)(void *ctx);
		void *ctx;
	} wake[SL_STORE_MAX_PARTS];
};

struct sl_ship_msg {
	struct sl_ship_msg *next; /* source backlog */
	struct sl_ship_job *job;  /* source side only */
	unsigned idx;             /* position in the job */
	uint16_t src, dst;
	uint8_t proto;
	uint32_t argc;
	char *reply; /* owner: the reply bytes (NULL: no memory for them) */
	size_t reply_len;
	struct sl_resp_arg argv[]; /* then the argument bytes */
};

enum job_mode {
	JOB_PASS,  /* one message: its reply */
	JOB_SUM,   /* integer replies, summed */
	JOB_FIXED, /* a fixed reply once all succeeded */
};

struct sl_ship_job {
	struct sl_client *client; /* NULL once the client is gone */
	unsigned left;            /* messages not back yet */
	enum job_mode mode;
	bool silent; /* CLIENT REPLY OFF/SKIP when it was shipped */
	int64_t sum;
	const char *fixed;
	char *reply; /* JOB_PASS */
	size_t reply_len;
	char *err; /* the first error (lowest message index) */
	size_t err_len;
	unsigned err_idx;
};

static const char nomem_reply[] = "-ERR sluice: out of memory for a reply between workers\r\n";

/* ---- rings ---- */

static bool ring_push(struct mesh_ring *r, struct sl_ship_msg *m)
{
	unsigned h = atomic_load_explicit(&r->head, memory_order_relaxed);
	unsigned t = atomic_load_explicit(&r->tail, memory_order_acquire);

	if (h - t > r->mask)
		return false;
	r->slot[h & r->mask] = m;
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return true;
}

static bool ring_has_room(struct mesh_ring *r)
{
	unsigned h = atomic_load_explicit(&r->head, memory_order_relaxed);
	unsigned t = atomic_load_explicit(&r->tail, memory_order_acquire);

	return h - t <= r->mask;
}

static struct sl_ship_msg *ring_pop(struct mesh_ring *r)
{
	unsigned t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	unsigned h = atomic_load_explicit(&r->head, memory_order_acquire);
	struct sl_ship_msg *m;

	if (t == h)
		return NULL;
	m = r->slot[t & r->mask];
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	return m;
}

struct sl_mesh *sl_mesh_create(unsigned n_workers, unsigned slots)
{
	struct sl_mesh *m;
	unsigned i, rings;

	if (n_workers == 0 || n_workers > SL_STORE_MAX_PARTS || slots == 0 ||
	    (slots & (slots - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->n = n_workers;
	m->slots = slots;
	rings = n_workers * n_workers;
	m->req = aligned_alloc(64, sizeof(*m->req) * rings);
	m->done = aligned_alloc(64, sizeof(*m->done) * rings);
	if (m->req == NULL || m->done == NULL)
		goto fail;
	memset(m->req, 0, sizeof(*m->req) * rings);
	memset(m->done, 0, sizeof(*m->done) * rings);
	for (i = 0; i < rings; i++) {
		m->req[i].mask = m->done[i].mask = slots - 1;
		m->req[i].slot = calloc(slots, sizeof(*m->req[i].slot));
		m->done[i].slot = calloc(slots, sizeof(*m->done[i].slot));
		if (m->req[i].slot == NULL || m->done[i].slot == NULL)
			goto fail;
	}
	return m;
fail:
	sl_mesh_destroy(&m);
	errno = ENOMEM;
	return NULL;
}

static void free_msg(struct sl_ship_msg *m)
{
	free(m->reply);
	free(m);
}

void sl_mesh_destroy(struct sl_mesh **mp)
{
	struct sl_mesh *m = *mp;
	unsigned i, rings;
	struct sl_ship_msg *msg;

	if (m == NULL)
		return;
	rings = m->n * m->n;
	for (i = 0; i < rings; i++) {
		if (m->req != NULL && m->req[i].slot != NULL) {
			while ((msg = ring_pop(&m->req[i])) != NULL)
				free_msg(msg);
			free(m->req[i].slot);
		}
		if (m->done != NULL && m->done[i].slot != NULL) {
			while ((msg = ring_pop(&m->done[i])) != NULL)
				free_msg(msg);
			free(m->done[i].slot);
		}
	}
	free(m->req);
	free(m->done);
	free(m);
	*mp = NULL;
}

void sl_mesh_set_wake(struct sl_mesh *m, unsigned worker, void (*fn)(void *ctx), void *ctx)
{
	m->wake[worker].fn = fn;
	m->wake[worker].ctx = ctx;
}

static void wake(struct sl_mesh *m, unsigned worker, unsigned self)
{
	if (worker != self && m->wake[worker].fn != NULL)
		m->wake[worker].fn(m->wake[worker].ctx);
}

/* ---- engine attach ---- */

int sl_engine_attach_mesh(struct sl_engine *e, struct sl_mesh *m)
{
	unsigned i;

	e->peers = calloc(m->n, sizeof(*e->peers));
	e->proxies = calloc(m->n, sizeof(*e->proxies));
	if (e->peers == NULL || e->proxies == NULL) {
		free(e->peers);
		free(e->proxies);
		e->peers = NULL;
		e->proxies = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < m->n; i++) {
		struct sl_client *p = &e->proxies[i];
		char label[24];

		/* Not in the registry: CLIENT LIST shows only real connections. */
		p->eng = e;
		p->flags = SL_CLIENT_AUTHENTICATED;
		p->fd = -1;
		sl_resp_parser_init(&p->parser, &e->shared->limits, NULL);
		sl_resp_out_init(&p->out, NULL);
		snprintf(label, sizeof(label), "worker%u", i);
		client_set_peer(p, label);
	}
	e->mesh = m;
	return 0;
}

void mesh_engine_deinit(struct sl_engine *e)
{
	unsigned i;

	if (e->mesh == NULL)
		return;
	for (i = 0; i < e->mesh->n; i++) {
		struct sl_ship_msg *msg;

		while ((msg = e->peers[i].bl_head) != NULL) {
			e->peers[i].bl_head = msg->next;
			free_msg(msg);
		}
		sl_resp_parser_deinit(&e->proxies[i].parser);
		sl_resp_out_deinit(&e->proxies[i].out);
		client_free_labels(&e->proxies[i]);
	}
	free(e->peers);
	free(e->proxies);
	e->peers = NULL;
	e->proxies = NULL;
	e->mesh = NULL;
}

/* ---- source side ---- */

/* A message for owner dst with arguments a[0..n) (copied). NULL: no memory. */
static struct sl_ship_msg *msg_new(struct sl_engine *e, unsigned dst, uint8_t proto,
				   const struct sl_resp_arg *a, uint32_t n)
{
	size_t bytes = 0, off;
	struct sl_ship_msg *m;
	char *p;
	uint32_t i;

	for (i = 0; i < n; i++)
		bytes += a[i].len;
	m = malloc(sizeof(*m) + sizeof(m->argv[0]) * n + bytes);
	if (m == NULL)
		return NULL;
	memset(m, 0, sizeof(*m));
	m->src = (uint16_t)e->self;
	m->dst = (uint16_t)dst;
	m->proto = proto;
	m->argc = n;
	p = (char *)&m->argv[n];
	for (i = 0, off = 0; i < n; i++) {
		memcpy(p + off, a[i].ptr, a[i].len);
		m->argv[i].ptr = p + off;
		m->argv[i].len = a[i].len;
		m->argv[i].flags = 0;
		off += a[i].len;
	}
	return m;
}

static void submit(struct sl_engine *e, struct sl_ship_msg *m)
{
	struct sl_mesh *mesh = e->mesh;
	struct sl_mesh_peer *p = &e->peers[m->dst];

	m->next = NULL;
	if (p->bl_head == NULL && p->inflight < mesh->slots &&
	    ring_push(&mesh->req[e->self * mesh->n + m->dst], m)) {
		p->inflight++;
		wake(mesh, m->dst, e->self);
		return;
	}
	if (p->bl_tail != NULL)
		p->bl_tail->next = m;
	else
		p->bl_head = m;
	p->bl_tail = m;
}

static void flush_backlogs(struct sl_engine *e)
{
	struct sl_mesh *mesh = e->mesh;
	unsigned d;

	for (d = 0; d < mesh->n; d++) {
		struct sl_mesh_peer *p = &e->peers[d];
		bool pushed = false;

		while (p->bl_head != NULL && p->inflight < mesh->slots &&
		       ring_push(&mesh->req[e->self * mesh->n + d], p->bl_head)) {
			p->bl_head = p->bl_head->next;
			p->inflight++;
			pushed = true;
		}
		if (p->bl_head == NULL)
			p->bl_tail = NULL;
		if (pushed)
			wake(mesh, d, e->self);
	}
}

/*
 * A job of `n` messages for client c; msgs[i] (already built) go out in
 * index order. On allocation failure, everything is freed and c gets an
 * error reply instead (nothing was shipped).
 */
static void start_job(struct sl_client *c, enum job_mode mode, const char *fixed,
		      struct sl_ship_msg **msgs, unsigned n)
{
	struct sl_ship_job *j = calloc(1, sizeof(*j));
	unsigned i;

	for (i = 0; i < n; i++)
		if (msgs[i] == NULL)
			break;
	if (j == NULL || i < n) {
		for (i = 0; i < n; i++)
			if (msgs[i] != NULL)
				free_msg(msgs[i]);
		free(j);
		reply_error(c, "-ERR sluice: out of memory shipping a command to its owner");
		return;
	}
	j->client = c;
	j->left = n;
	j->mode = mode;
	j->fixed = fixed;
	j->silent = (c->flags & (SL_CLIENT_REPLY_OFF | SL_CLIENT_REPLY_SKIP)) != 0;
	c->job = j;
	c->eng->stats.shipped_out++;
	for (i = 0; i < n; i++) {
		msgs[i]->job = j;
		msgs[i]->idx = i;
		submit(c->eng, msgs[i]);
	}
}

/* Parses ":<int>\r\n". */
static bool reply_integer(const char *p, size_t n, int64_t *v)
{
	struct sl_resp_arg a;
	long long x;

	if (n < 4 || p[0] != ':' || p[n - 2] != '\r' || p[n - 1] != '\n')
		return false;
	a.ptr = p + 1;
	a.len = n - 3;
	a.flags = 0;
	if (parse_ll(&a, &x) != 0)
		return false;
	*v = x;
	return true;
}

/* One executed message is back. Returns the client when its job is complete. */
static struct sl_client *complete(struct sl_engine *e, struct sl_ship_msg *m)
{
	struct sl_ship_job *j = m->job;
	const char *r = m->reply != NULL ? m->reply : nomem_reply;
	size_t rn = m->reply != NULL ? m->reply_len : sizeof(nomem_reply) - 1;
	struct sl_client *c;
	int64_t v;

	(void)e;
	if (rn > 0 && r[0] == '-') {
		if (j->err == NULL || m->idx < j->err_idx) {
			char *copy = malloc(rn);

			if (copy != NULL) {
				memcpy(copy, r, rn);
				free(j->err);
				j->err = copy;
				j->err_len = rn;
				j->err_idx = m->idx;
			}
		}
	} else if (j->mode == JOB_PASS) {
		j->reply = m->reply;
		j->reply_len = m->reply_len;
		m->reply = NULL;
	} else if (j->mode == JOB_SUM) {
		if (reply_integer(r, rn, &v))
			j->sum += v;
	}
	free_msg(m);
	if (--j->left > 0)
		return NULL;

	c = j->client;
	if (c != NULL) {
		int rc = 0;

		c->job = NULL;
		if (!j->silent) {
			if (j->err != NULL) {
				rc = sl_resp_write_raw(&c->out, j->err, j->err_len);
			} else if (j->mode == JOB_PASS) {
				rc = j->reply != NULL
					     ? sl_resp_write_raw(&c->out, j->reply, j->reply_len)
					     : sl_resp_write_raw(&c->out, nomem_reply,
								 sizeof(nomem_reply) - 1);
			} else if (j->mode == JOB_SUM) {
				rc = sl_resp_write_int(&c->out, j->sum);
			} else {
				rc = sl_resp_write_raw(&c->out, j->fixed, strlen(j->fixed));
			}
		}
		if (rc != 0)
			c->flags |= SL_CLIENT_CLOSE_NOW;
	}
	free(j->reply);
	free(j->err);
	free(j);
	return c;
}

/* ---- owner side ---- */

/* Runs m on this worker's partition and attaches the reply bytes. */
static void serve(struct sl_engine *e, struct sl_ship_msg *m)
{
	struct sl_client *p = &e->proxies[m->src];
	const struct cmd_def *cmd = sl_cmd_lookup(m->argv[0].ptr, m->argv[0].len);
	uint64_t n;
	size_t off = 0;

	sl_resp_out_set_proto(&p->out, m->proto);
	p->flags = SL_CLIENT_AUTHENTICATED;
	if (cmd != NULL)
		engine_execute(p, cmd, m->argv, m->argc);
	else
		reply_error(p, "-ERR unknown command shipped between workers");
	n = sl_resp_out_pending(&p->out);
	m->reply = malloc(n > 0 ? n : 1);
	m->reply_len = (size_t)n;
	while (sl_resp_out_pending(&p->out) > 0) {
		struct iovec iov[16];
		size_t k = sl_resp_out_peek(&p->out, iov, 16), i, done = 0;

		if (k == 0)
			break;
		for (i = 0; i < k; i++) {
			if (m->reply != NULL)
				memcpy(m->reply + off, iov[i].iov_base, iov[i].iov_len);
			off += iov[i].iov_len;
			done += iov[i].iov_len;
		}
		sl_resp_out_consume(&p->out, done);
	}
}

unsigned sl_engine_poll(struct sl_engine *e, uint64_t now_ms, struct sl_client **ready,
			unsigned max)
{
	struct sl_mesh *mesh = e->mesh;
	unsigned s, d, k, nready = 0;

	if (mesh == NULL)
		return 0;
	e->now_ms = now_ms;
	for (s = 0; s < mesh->n; s++) {
		struct mesh_ring *req = &mesh->req[s * mesh->n + e->self];
		struct mesh_ring *done = &mesh->done[e->self * mesh->n + s];

		for (k = 0; k < MESH_BUDGET && ring_has_room(done); k++) {
			struct sl_ship_msg *m = ring_pop(req);

			if (m == NULL)
				break;
			serve(e, m);
			e->stats.shipped_in++;
			ring_push(done, m); /* room checked; only this thread produces */
		}
		if (k > 0)
			wake(mesh, s, e->self);
	}
	for (d = 0; d < mesh->n; d++) {
		struct mesh_ring *done = &mesh->done[d * mesh->n + e->self];
		struct sl_ship_msg *m;

		while (nready < max && (m = ring_pop(done)) != NULL) {
			struct sl_client *c;

			e->peers[d].inflight--;
			c = complete(e, m);
			if (c != NULL)
				ready[nready++] = c;
		}
	}
	flush_backlogs(e);
	return nready;
}

/* ---- routing ---- */

static unsigned key_owner(const struct sl_engine *e, const struct sl_resp_arg *k)
{
	return sl_store_part_of(e->store, sl_store_hash(k->ptr, k->len));
}

static struct sl_ship_msg *ship_whole(struct sl_client *c, unsigned dst,
				      const struct sl_resp_arg *argv, uint32_t argc)
{
	return msg_new(c->eng, dst, c->out.proto, argv, argc);
}

/*
 * DEL/UNLINK (step 1) and MSET (step 2) split by owner: argv[0], then each
 * owner's keys (with their values) in request order.
 */
static void split_keys(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc,
		       uint32_t step, const struct sl_resp_arg *name, enum job_mode mode,
		       const char *fixed)
{
	struct sl_engine *e = c->eng;
	struct sl_ship_msg *msgs[SL_STORE_MAX_PARTS];
	struct sl_resp_arg *sub = malloc(sizeof(*sub) * argc);
	unsigned owners[SL_STORE_MAX_PARTS], n = 0, i;
	uint64_t seen = 0;
	uint32_t k, j;

	if (sub == NULL) {
		reply_error(c, "-ERR sluice: out of memory shipping a command to its owner");
		return;
	}
	for (k = 1; k < argc; k += step) {
		unsigned o = key_owner(e, &argv[k]);

		if (!(seen & (1ull << o))) {
			seen |= 1ull << o;
			owners[n++] = o;
		}
	}
	for (i = 0; i < n; i++) {
		uint32_t m = 0;

		sub[m++] = *name;
		for (k = 1; k < argc; k += step)
			if (key_owner(e, &argv[k]) == owners[i])
				for (j = 0; j < step; j++)
					sub[m++] = argv[k + j];
		msgs[i] = msg_new(e, owners[i], c->out.proto, sub, m);
	}
	free(sub);
	start_job(c, mode, fixed, msgs, n);
}

struct hash_fields {
	struct sl_resp_arg *a;
	uint32_t n, cap;
	bool nomem;
};

static void collect_field(void *arg, const uint8_t *f, size_t flen, const uint8_t *v, size_t vlen)
{
	struct hash_fields *h = arg;

	if (h->nomem)
		return;
	if (h->n + 2 > h->cap) {
		uint32_t cap = h->cap * 2 + 16;
		struct sl_resp_arg *a = realloc(h->a, sizeof(*a) * cap);

		if (a == NULL) {
			h->nomem = true;
			return;
		}
		h->a = a;
		h->cap = cap;
	}
	h->a[h->n].ptr = (const char *)f;
	h->a[h->n].len = flen;
	h->a[h->n++].flags = 0;
	h->a[h->n].ptr = (const char *)v;
	h->a[h->n].len = vlen;
	h->a[h->n++].flags = 0;
}

#define ARG(s) ((struct sl_resp_arg){(s), sizeof(s) - 1, 0})

/*
 * RENAME/RENAMENX between partitions: read the source where we are, write
 * the destination on its owner (replacing it, with the source's expiry),
 * delete the source on its owner. Not atomic: another client may see both
 * keys, or neither, for the duration of one round trip.
 */
static void rename_across(struct sl_client *c, const struct sl_resp_arg *argv, bool nx)
{
	struct sl_engine *e = c->eng;
	const struct sl_resp_arg *src = &argv[1], *dst = &argv[2];
	unsigned so = key_owner(e, src), dso = key_owner(e, dst), n = 0;
	struct sl_ship_msg *msgs[4];
	struct sl_resp_arg a[5];
	char at_buf[24];
	int64_t left = -1;
	int type = sl_store_type(e->store, src->ptr, src->len, e->now_ms);

	if (type == SL_STORE_T_NONE) {
		reply_error(c, "-ERR no such key");
		return;
	}
	if (nx && sl_store_exists(e->store, dst->ptr, dst->len, e->now_ms)) {
		reply_int(c, 0);
		return;
	}
	if (sl_store_pttl(e->store, src->ptr, src->len, e->now_ms, &left) != 0)
		left = -1;
	snprintf(at_buf, sizeof(at_buf), "%llu", (unsigned long long)(e->now_ms + (uint64_t)left));
	if (type == SL_STORE_T_STRING) {
		struct sl_store_value v;

		if (sl_store_get(e->store, src->ptr, src->len, e->now_ms, &v) != 0) {
			reply_error(c, "-ERR no such key");
			return;
		}
		a[0] = ARG("set");
		a[1] = *dst;
		a[2].ptr = (const char *)v.ptr;
		a[2].len = v.len;
		a[2].flags = 0;
		a[3] = ARG("pxat");
		a[4].ptr = at_buf;
		a[4].len = strlen(at_buf);
		a[4].flags = 0;
		msgs[n++] = msg_new(e, dso, c->out.proto, a, left >= 0 ? 5 : 3);
	} else if (type == SL_STORE_T_HASH) {
		struct hash_fields h = {NULL, 0, 0, false};

		/* The vector is "hset" dst field value ...: its first pair is the head. */
		collect_field(&h, (const uint8_t *)"hset", 4, (const uint8_t *)dst->ptr, dst->len);
		if (sl_store_hwalk(e->store, src->ptr, src->len, e->now_ms, collect_field, &h) <
			    0 ||
		    h.nomem) {
			free(h.a);
			reply_error(c, h.nomem ? "-ERR sluice: out of memory" : "-ERR no such key");
			return;
		}
		a[0] = ARG("del");
		a[1] = *dst;
		msgs[n++] = msg_new(e, dso, c->out.proto, a, 2);
		msgs[n++] = msg_new(e, dso, c->out.proto, h.a, h.n);
		free(h.a);
		if (left >= 0) {
			a[0] = ARG("pexpireat");
			a[1] = *dst;
			a[2].ptr = at_buf;
			a[2].len = strlen(at_buf);
			a[2].flags = 0;
			msgs[n++] = msg_new(e, dso, c->out.proto, a, 3);
		}
	} else {
		reply_error(c, "-ERR sluice: RENAME of this type across workers is not supported");
		return;
	}
	a[0] = ARG("del");
	a[1] = *src;
	msgs[n++] = msg_new(e, so, c->out.proto, a, 2);
	start_job(c, JOB_FIXED, nx ? ":1\r\n" : "+OK\r\n", msgs, n);
}

bool mesh_route(struct sl_client *c, const struct cmd_def *cmd, const struct sl_resp_arg *argv,
		uint32_t argc)
{
	struct sl_engine *e = c->eng;
	uint64_t mask = 0;
	int32_t last;
	uint32_t k;

	if (!(cmd->flags & CMD_WRITE))
		return false;
	if (cmd->first_key == 0) {
		struct sl_ship_msg *msgs[SL_STORE_MAX_PARTS];
		unsigned i;

		if (cmd->fn != cmd_flushall ||
		    (argc > 2 ||
		     (argc == 2 && !arg_is(&argv[1], "async") && !arg_is(&argv[1], "sync"))))
			return false; /* the handler answers the syntax error */
		for (i = 0; i < e->mesh->n; i++)
			msgs[i] = ship_whole(c, i, argv, argc);
		start_job(c, JOB_FIXED, "+OK\r\n", msgs, e->mesh->n);
		return true;
	}
	last = cmd->last_key < 0 ? (int32_t)argc + cmd->last_key : cmd->last_key;
	for (k = (uint32_t)cmd->first_key; (int32_t)k <= last && k < argc;
	     k += (uint32_t)cmd->key_step)
		mask |= 1ull << key_owner(e, &argv[k]);
	if (mask == 0 || mask == 1ull << e->self)
		return false;
	if ((mask & (mask - 1)) == 0) {
		struct sl_ship_msg *m = ship_whole(c, (unsigned)__builtin_ctzll(mask), argv, argc);

		start_job(c, JOB_PASS, NULL, &m, 1);
		return true;
	}
	if (cmd->fn == cmd_del) {
		split_keys(c, argv, argc, 1, &argv[0], JOB_SUM, NULL);
		return true;
	}
	if (cmd->fn == cmd_mset || cmd->fn == cmd_msetnx) {
		if ((argc - 1) % 2 != 0)
			return false; /* the handler answers the arity error */
		if (cmd->fn == cmd_msetnx) {
			for (k = 1; k < argc; k += 2)
				if (sl_store_exists(e->store, argv[k].ptr, argv[k].len,
						    e->now_ms)) {
					reply_int(c, 0);
					return true;
				}
			split_keys(c, argv, argc, 2, &ARG("mset"), JOB_FIXED, ":1\r\n");
			return true;
		}
		split_keys(c, argv, argc, 2, &argv[0], JOB_FIXED, "+OK\r\n");
		return true;
	}
	if (cmd->fn == cmd_rename || cmd->fn == cmd_renamenx) {
		rename_across(c, argv, cmd->fn == cmd_renamenx);
		return true;
	}
	reply_errorf(c, "-ERR sluice: '%s' across keys owned by different workers is not supported",
		     cmd->name);
	return true;
}

/* ---- resuming a client ---- */

int mesh_keep_input(struct sl_client *c, const char *buf, size_t len)
{
	char *p;

	if (len == 0)
		return 0;
	p = malloc(c->pend_len + len);
	if (p == NULL)
		return -ENOMEM;
	if (c->pend_len > 0)
		memcpy(p, c->pend, c->pend_len);
	memcpy(p + c->pend_len, buf, len);
	free(c->pend);
	c->pend = p;
	c->pend_len += len;
	return 0;
}

void mesh_client_deinit(struct sl_client *c)
{
	if (c->job != NULL) {
		c->job->client = NULL;
		c->job = NULL;
	}
	free(c->pend);
	free(c->pend_keep);
	c->pend = c->pend_keep = NULL;
	c->pend_len = 0;
}
