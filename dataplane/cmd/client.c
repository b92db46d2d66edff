/*
 * Request processing: parse, look up, check arity and authentication, run,
 * count. Replies go to the client's output chain; errors that Redis answers
 * with a reply keep the connection, protocol errors close it after the reply.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "dataplane/cmd/cmd_priv.h"

static uint64_t calibrate_tsc(void);

void sl_engine_shared_defaults(struct sl_engine_shared *s)
{
	struct sl_store_config sc;

	memset(s, 0, sizeof(*s));
	sl_resp_limits_default(&s->limits);
	atomic_init(&s->next_client_id, 1);
	s->tcp_port = 6379;
	s->transport_name = "kernel";
	s->slowlog_slower_than_us = 10000;
	s->slowlog_max_len = 128;
	s->maxclients = 10000;
	atomic_init(&s->nclients, 0);
	atomic_init(&s->rejected_connections, 0);
	/* Redis's defaults: normal 0 0 0, replica 256mb 64mb 60, pubsub 32mb 8mb 60. */
	s->obuf[1] = (struct sl_engine_obuf){256ull << 20, 64ull << 20, 60000};
	s->obuf[2] = (struct sl_engine_obuf){32ull << 20, 8ull << 20, 60000};
	atomic_init(&s->stats_epoch, 0);
	sl_store_config_default(&sc);
	sl_engine_shared_set_store_config(s, &sc);
}

void sl_engine_shared_set_store_config(struct sl_engine_shared *s, const struct sl_store_config *sc)
{
	s->maxmemory = sc->maxmemory;
	s->maxmemory_policy = (unsigned)sc->policy;
	s->maxmemory_samples = sc->maxmemory_samples;
	s->hash_max_entries = sc->hash_max_listpack_entries;
	s->hash_max_value = sc->hash_max_listpack_value;
	s->lfu_log_factor = sc->lfu_log_factor;
	s->lfu_decay_time = sc->lfu_decay_time;
}

int sl_engine_init(struct sl_engine *e, struct sl_store *store, unsigned self,
		   struct sl_engine_shared *shared)
{
	memset(e, 0, sizeof(*e));
	e->store = store;
	e->self = self;
	e->shared = shared;
	e->rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)self << 32) ^ (uint64_t)(uintptr_t)e;
	e->stats_epoch = atomic_load_explicit(&shared->stats_epoch, memory_order_relaxed);
	e->tsc_per_us = calibrate_tsc();
	e->cmd_stat = calloc(sl_cmd_table_len, sizeof(*e->cmd_stat));
	e->sub_stat = calloc(sl_subcmd_count, sizeof(*e->sub_stat));
	if (e->cmd_stat == NULL || e->sub_stat == NULL) {
		sl_engine_deinit(e);
		return -ENOMEM;
	}
	return 0;
}

void sl_engine_deinit(struct sl_engine *e)
{
	slowlog_reset(e);
	mesh_engine_deinit(e);
	free(e->cmd_stat);
	free(e->sub_stat);
	e->cmd_stat = NULL;
	e->sub_stat = NULL;
}

struct sl_client *sl_engine_evict_candidate(struct sl_engine *e,
					    uint64_t (*mem)(const struct sl_client *c),
					    uint64_t *most)
{
	struct sl_client *c, *big = NULL;
	uint64_t m;

	*most = 0;
	for (c = e->clients; c != NULL; c = c->reg_next) {
		if (c->flags & SL_CLIENT_NO_EVICT)
			continue;
		m = mem(c);
		if (big == NULL || m > *most) {
			*most = m;
			big = c;
		}
	}
	return big;
}

struct sl_client *sl_engine_next_killed(struct sl_engine *e)
{
	struct sl_client *c;

	if (e->killed == 0)
		return NULL;
	for (c = e->clients; c != NULL; c = c->reg_next) {
		if (c->flags & SL_CLIENT_KILLED) {
			c->flags &= ~SL_CLIENT_KILLED;
			c->flags |= SL_CLIENT_CLOSE_NOW;
			e->killed--;
			return c;
		}
	}
	e->killed = 0;
	return NULL;
}

/* CONFIG RESETSTAT: statistics restart from zero (connected clients stay). */
void engine_resetstat(struct sl_engine *e)
{
	uint64_t connected = e->stats.connected_clients;

	memset(&e->stats, 0, sizeof(e->stats));
	e->stats.connected_clients = connected;
	memset(e->cmd_stat, 0, sl_cmd_table_len * sizeof(*e->cmd_stat));
	memset(e->sub_stat, 0, sl_subcmd_count * sizeof(*e->sub_stat));
	memset(e->errstats, 0, sizeof(e->errstats));
	e->stats_epoch = atomic_load_explicit(&e->shared->stats_epoch, memory_order_relaxed);
}

/*
 * Addresses (CLIENT LIST addr=/laddr=): the transports' IPv4 endpoints stay
 * binary; text given by string is kept binary too when it is exactly what
 * format_ipv4 would print for some address, so both routes print the same
 * bytes, and any other text is copied to the heap.
 */
static size_t format_ipv4(uint32_t ip, uint16_t port, char *buf)
{
	int w = snprintf(buf, SL_CLIENT_ADDR_MAX, "%u.%u.%u.%u:%u", ip >> 24, (ip >> 16) & 0xff,
			 (ip >> 8) & 0xff, ip & 0xff, port);

	return w > 0 ? (size_t)w : 0;
}

/* Parses "a.b.c.d:port" loosely; the caller checks the canonical form. */
static bool parse_ipv4(const char *s, uint32_t *ip, uint16_t *port)
{
	uint32_t v = 0, part;
	int i;

	for (i = 0; i < 5; i++) {
		size_t digits = 0;

		part = 0;
		while (*s >= '0' && *s <= '9' && digits < 6) {
			part = part * 10 + (uint32_t)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || (i < 4 && part > 255) || (i == 4 && part > 65535))
			return false;
		if (i < 4) {
			v = v << 8 | part;
			if (*s++ != (i < 3 ? '.' : ':'))
				return false;
		}
	}
	if (*s != '\0')
		return false;
	*ip = v;
	*port = (uint16_t)part;
	return true;
}

static void addr_clear(union sl_client_addr *a, uint8_t *kind)
{
	if (*kind == SL_CLIENT_ADDR_TEXT)
		free(a->text);
	memset(a, 0, sizeof(*a));
	*kind = SL_CLIENT_ADDR_NONE;
}

static void addr_set_text(union sl_client_addr *a, uint8_t *kind, const char *s)
{
	char canon[SL_CLIENT_ADDR_MAX];
	uint32_t ip;
	uint16_t port;
	size_t n;

	addr_clear(a, kind);
	if (s == NULL || s[0] == '\0')
		return;
	if (parse_ipv4(s, &ip, &port) && format_ipv4(ip, port, canon) > 0 &&
	    strcmp(canon, s) == 0) {
		a->v4.ip = ip;
		a->v4.port = port;
		*kind = SL_CLIENT_ADDR_IPV4;
		return;
	}
	n = strnlen(s, SL_CLIENT_ADDR_MAX - 1);
	a->text = malloc(n + 1);
	if (a->text == NULL)
		return; /* printed empty; the connection itself is unaffected */
	memcpy(a->text, s, n);
	a->text[n] = '\0';
	*kind = SL_CLIENT_ADDR_TEXT;
}

size_t sl_client_addr_format(const struct sl_client *c, bool local, char *buf)
{
	const union sl_client_addr *a = local ? &c->laddr : &c->addr;
	size_t n;

	switch (local ? c->laddr_kind : c->addr_kind) {
	case SL_CLIENT_ADDR_IPV4:
		return format_ipv4(a->v4.ip, a->v4.port, buf);
	case SL_CLIENT_ADDR_TEXT:
		n = strlen(a->text);
		memcpy(buf, a->text, n + 1);
		return n;
	default:
		buf[0] = '\0';
		return 0;
	}
}

bool sl_client_addr_is(const struct sl_client *c, bool local, const char *s, size_t len)
{
	char buf[SL_CLIENT_ADDR_MAX];

	return sl_client_addr_format(c, local, buf) == len && memcmp(buf, s, len) == 0;
}

void sl_client_init(struct sl_client *c, struct sl_engine *e, const char *addr, uint64_t now_ms)
{
	memset(c, 0, sizeof(*c));
	c->eng = e;
	c->id = atomic_fetch_add(&e->shared->next_client_id, 1);
	sl_resp_parser_init(&c->parser, &e->shared->limits, NULL);
	sl_resp_out_init(&c->out, NULL);
	if (e->shared->requirepass_len == 0) {
		c->flags |= SL_CLIENT_AUTHENTICATED;
		sl_resp_parser_set_auth(&c->parser, true);
	}
	addr_set_text(&c->addr, &c->addr_kind, addr);
	c->fd = -1;
	c->out_cap = UINT64_MAX;
	c->ctime_ms = c->last_ms = now_ms;
	c->reg_next = e->clients;
	if (e->clients != NULL)
		e->clients->reg_prev = c;
	e->clients = c;
	e->stats.connections_received++;
	e->stats.connected_clients++;
}

void client_set_peer(struct sl_client *c, const char *addr)
{
	addr_set_text(&c->addr, &c->addr_kind, addr);
}

void sl_client_set_local(struct sl_client *c, const char *laddr, int fd)
{
	addr_set_text(&c->laddr, &c->laddr_kind, laddr);
	c->fd = fd;
}

void sl_client_set_ipv4(struct sl_client *c, uint32_t rip, uint16_t rport, uint32_t lip,
			uint16_t lport, int fd)
{
	addr_clear(&c->addr, &c->addr_kind);
	addr_clear(&c->laddr, &c->laddr_kind);
	c->addr.v4.ip = rip;
	c->addr.v4.port = rport;
	c->addr_kind = SL_CLIENT_ADDR_IPV4;
	if (lip != 0 || lport != 0) {
		c->laddr.v4.ip = lip;
		c->laddr.v4.port = lport;
		c->laddr_kind = SL_CLIENT_ADDR_IPV4;
	}
	c->fd = fd;
}

/* Frees what the client allocated for CLIENT LIST (mesh proxies, which are not
 * in the registry, use it too). */
void client_free_labels(struct sl_client *c)
{
	free(c->name);
	c->name = NULL;
	addr_clear(&c->addr, &c->addr_kind);
	addr_clear(&c->laddr, &c->laddr_kind);
}

void sl_client_deinit(struct sl_client *c)
{
	struct sl_engine *e = c->eng;

	if (c->flags & SL_CLIENT_KILLED)
		e->killed--;
	mesh_client_deinit(c);
	if (c->reg_prev != NULL)
		c->reg_prev->reg_next = c->reg_next;
	else if (e->clients == c)
		e->clients = c->reg_next;
	if (c->reg_next != NULL)
		c->reg_next->reg_prev = c->reg_prev;
	c->reg_prev = c->reg_next = NULL;
	e->stats.connected_clients--;
	sl_resp_parser_deinit(&c->parser);
	sl_resp_out_deinit(&c->out);
	client_free_labels(c);
}

/* ---- reply helpers ---- */

static void check(struct sl_client *c, int rc)
{
	/* Out of memory for a reply: the reply stream would be corrupt, so close. */
	if (rc != 0)
		c->flags |= SL_CLIENT_CLOSE_NOW;
}

/* INFO errorstats and failed_calls: every error reply is counted by its first word. */
void count_error(struct sl_client *c, const char *text, size_t len)
{
	struct sl_engine *e = c->eng;
	size_t n = 0;
	unsigned i;

	if (len > 0 && text[0] == '-') {
		text++;
		len--;
	}
	while (n < len && text[n] != ' ' && text[n] != '\r' &&
	       n < sizeof(e->errstats[0].prefix) - 1)
		n++;
	e->stats.error_replies++;
	c->cmd_error = true;
	for (i = 0; i < SL_ENGINE_ERRSTATS; i++) {
		struct sl_engine_errstat *es = &e->errstats[i];

		if (es->prefix[0] == '\0') {
			memcpy(es->prefix, text, n);
			es->prefix[n] = '\0';
		}
		if (strlen(es->prefix) == n && memcmp(es->prefix, text, n) == 0) {
			es->count++;
			return;
		}
	}
	/* Redis caps errorstats at 128 kinds; past our 16 only the total counts. */
}

void reply_error(struct sl_client *c, const char *text)
{
	size_t len = strlen(text);

	count_error(c, text, len);
	check(c, sl_resp_write_error(&c->out, text, len));
}

void reply_errorf(struct sl_client *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	count_error(c, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	check(c, sl_resp_write_error(&c->out, buf,
				     (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1));
}

void reply_ok(struct sl_client *c)
{
	check(c, sl_resp_write_status(&c->out, "OK", 2));
}

void reply_status(struct sl_client *c, const char *s)
{
	check(c, sl_resp_write_status(&c->out, s, strlen(s)));
}

void reply_int(struct sl_client *c, int64_t v)
{
	check(c, sl_resp_write_int(&c->out, v));
}

void reply_bulk(struct sl_client *c, const void *p, size_t len)
{
	check(c, sl_resp_write_bulk(&c->out, p, len));
}

/* sl_resp_release_fn: the writer is done with a pinned value. Runs on the
 * client's worker, whichever partition the item belongs to. */
static void unpin_value(void *arg, const void *ptr, size_t len)
{
	struct sl_store_pin pin = {arg};

	(void)ptr;
	(void)len;
	sl_store_unpin(&pin);
}

void reply_value_large(struct sl_client *c, const struct sl_store_value *v)
{
	struct sl_store_pin pin;

	/* Pinning fails on a full pin table (or a non-raw value): copy then. */
	if (sl_store_pin(c->eng->store, c->eng->self, v, &pin) == 0) {
		check(c, sl_resp_write_bulk_ref(&c->out, v->ptr, v->len, unpin_value, pin.ref));
		return;
	}
	check(c, sl_resp_write_bulk(&c->out, v->ptr, v->len));
}

void reply_null(struct sl_client *c)
{
	check(c, sl_resp_write_null(&c->out));
}

void reply_array_len(struct sl_client *c, uint64_t n)
{
	check(c, sl_resp_write_array_len(&c->out, n));
}

void reply_store_error(struct sl_client *c, int rc)
{
	switch (rc) {
	case -EPROTOTYPE:
		reply_error(c, ERR_WRONGTYPE);
		break;
	case -EINVAL:
		reply_error(c, ERR_NOT_INT);
		break;
	case -EOVERFLOW:
		reply_error(c, ERR_OVERFLOW);
		break;
	case -ENOSPC:
		count_error(c, SL_STORE_OOM_REPLY, strlen(SL_STORE_OOM_REPLY));
		check(c,
		      sl_resp_write_raw(&c->out, SL_STORE_OOM_REPLY, strlen(SL_STORE_OOM_REPLY)));
		break;
	case -EXDEV:
		/* A key owned by another partition reached a path that does not ship yet. */
		reply_error(c, "-ERR internal error: key owned by another worker");
		break;
	default:
		reply_errorf(c, "-ERR internal error (%s)", strerror(rc < 0 ? -rc : rc));
		break;
	}
}

/* ---- argument parsing (Redis util.c string2ll / string2ld rules) ---- */

int parse_ll(const struct sl_resp_arg *a, long long *out)
{
	const char *p = a->ptr;
	size_t n = a->len, i = 0;
	unsigned long long v = 0;
	int neg = 0;

	if (n == 0 || n > 20)
		return -EINVAL;
	if (n == 1 && p[0] == '0') {
		*out = 0;
		return 0;
	}
	if (p[0] == '-') {
		neg = 1;
		i = 1;
		if (n == 1)
			return -EINVAL;
	}
	if (p[i] < '1' || p[i] > '9')
		return -EINVAL;
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		if (v > (ULLONG_MAX - (unsigned)(p[i] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (neg) {
		if (v > (unsigned long long)LLONG_MAX + 1)
			return -EINVAL;
		*out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
	} else {
		if (v > LLONG_MAX)
			return -EINVAL;
		*out = (long long)v;
	}
	return 0;
}

int parse_ld(const struct sl_resp_arg *a, long double *out)
{
	char buf[SL_RESP_LD_MAX];
	char *end;
	long double v;

	if (a->len == 0 || a->len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, a->ptr, a->len);
	buf[a->len] = '\0';
	errno = 0;
	v = strtold(buf, &end);
	/* Redis string2ld: the whole argument must parse (an embedded NUL must not end it). */
	if (isspace((unsigned char)buf[0]) || *end != '\0' || (size_t)(end - buf) != a->len ||
	    (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
	    errno == EINVAL || isnan(v))
		return -EINVAL;
	*out = v;
	return 0;
}

int get_ll_or_reply(struct sl_client *c, const struct sl_resp_arg *a, long long *out)
{
	if (parse_ll(a, out) != 0) {
		reply_error(c, ERR_NOT_INT);
		return -EINVAL;
	}
	return 0;
}

/* ---- dispatch ---- */

static __attribute__((noinline, cold)) void
unknown_command(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	char args[512];
	size_t n = 0;
	uint32_t i;

	/* Redis: each argument quoted, until the list reaches 128 bytes. */
	args[0] = '\0';
	for (i = 1; i < argc && n < 128; i++) {
		int room = 128 - (int)n;
		int w = snprintf(args + n, sizeof(args) - n, "'%.*s' ",
				 (int)(argv[i].len < (size_t)room ? argv[i].len : (size_t)room),
				 argv[i].ptr);

		if (w < 0)
			break;
		n += (size_t)w;
	}
	c->eng->stats.unknown_commands++;
	reply_errorf(c, "-ERR unknown command '%.*s', with args beginning with: %s",
		     (int)(argv[0].len < 128 ? argv[0].len : 128), argv[0].ptr, args);
}

/* CLIENT LIST cmd=: the table index always, the subcommand only for containers. */
static void note_command(struct sl_client *c, const struct cmd_def *cmd,
			 const struct sl_resp_arg *argv, uint32_t argc)
{
	size_t i;

	c->last_cmd = (uint16_t)(cmd - sl_cmd_table + 1);
	c->last_sub[0] = '\0';
	if (sl_unlikely(cmd->flags & CMD_CONTAINER) && argc >= 2 &&
	    argv[1].len < sizeof(c->last_sub)) {
		for (i = 0; i < argv[1].len; i++)
			c->last_sub[i] = (char)tolower((unsigned char)argv[1].ptr[i]);
		c->last_sub[i] = '\0';
	}
}

/*
 * The slowlog's clock, read twice per command only while the slowlog is
 * enabled: the TSC where there is one (calibrated against CLOCK_MONOTONIC
 * when the engine starts), else CLOCK_MONOTONIC through the vDSO. Neither
 * is a system call.
 */
static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

#if defined(__x86_64__) || defined(__i386__)
static inline uint64_t ticks(void)
{
	return __builtin_ia32_rdtsc();
}
#else
static inline uint64_t ticks(void)
{
	return 0;
}
#endif

/* Spins about 2 ms to measure the TSC rate, once per process (the first engine init). */
static uint64_t tsc_rate;
static pthread_once_t tsc_once = PTHREAD_ONCE_INIT;

static void measure_tsc(void)
{
	uint64_t u0 = mono_us(), t0 = ticks(), u1, t1;

	if (t0 == 0)
		return;
	do {
		u1 = mono_us();
	} while (u1 - u0 < 2000);
	t1 = ticks();
	tsc_rate = t1 > t0 ? (t1 - t0) / (u1 - u0) : 0;
}

static uint64_t calibrate_tsc(void)
{
	pthread_once(&tsc_once, measure_tsc);
	return tsc_rate;
}

static inline uint64_t slow_clock(const struct sl_engine *e)
{
	return e->tsc_per_us != 0 ? ticks() : mono_us();
}

static inline uint64_t slow_elapsed_us(const struct sl_engine *e, uint64_t t0)
{
	uint64_t d = slow_clock(e) - t0;

	return e->tsc_per_us != 0 ? d / e->tsc_per_us : d;
}

static inline __attribute__((always_inline)) void execute(struct sl_client *c,
							  const struct cmd_def *cmd,
							  const struct sl_resp_arg *argv,
							  uint32_t argc)
{
	struct sl_engine *e = c->eng;
	struct sl_cmd_stat *st = &e->cmd_stat[cmd - sl_cmd_table];
	int64_t slower = e->shared->slowlog_slower_than_us;
	uint64_t t0 = 0, dt = 0;

	/* Redis processCommand: over maxmemory with nothing left to evict, a denyoom
	 * command is answered OOM before it runs (its own checks never happen). Here,
	 * not at dispatch: a shipped command is checked by the key's owner. */
	if (sl_unlikely(cmd->flags & CMD_DENYOOM) && e->shared->maxmemory != 0 &&
	    sl_store_make_room(e->store, e->self, e->now_ms) == -ENOSPC) {
		st->rejected++;
		reply_store_error(c, -ENOSPC);
		return;
	}
	note_command(c, cmd, argv, argc);
	c->cmd_error = false;
	c->cmd_rejected = false;
	c->cmd_sub = 0;
	if (slower >= 0)
		t0 = slow_clock(e);
	cmd->fn(c, argv, argc);
	if (slower >= 0)
		dt = slow_elapsed_us(e, t0);
	if (sl_unlikely(cmd->flags & CMD_CONTAINER)) {
		/* Redis counts a container's work under "container|sub" only. */
		st = c->cmd_sub != 0 ? &e->sub_stat[c->cmd_sub - 1] : NULL;
		if (c->cmd_rejected) {
			if (st != NULL)
				st->rejected++;
			return;
		}
		if (st == NULL)
			st = &e->cmd_stat[cmd - sl_cmd_table]; /* COMMAND: not split */
	}
	st->calls++;
	st->failed += c->cmd_error;
	st->usec += dt;
	e->stats.commands++;
	if (slower >= 0 && dt >= (uint64_t)slower)
		slowlog_add(c, argv, argc, dt);
}

void engine_execute(struct sl_client *c, const struct cmd_def *cmd, const struct sl_resp_arg *argv,
		    uint32_t argc)
{
	execute(c, cmd, argv, argc);
}

static inline __attribute__((always_inline)) void run(struct sl_client *c)
{
	const struct sl_resp_arg *argv = c->parser.argv;
	uint32_t argc = c->parser.argc;
	const struct cmd_def *cmd = sl_cmd_lookup(argv[0].ptr, argv[0].len);

	if (cmd == NULL) {
		unknown_command(c, argv, argc);
		return;
	}
	if ((cmd->arity > 0 && argc != (uint32_t)cmd->arity) ||
	    (cmd->arity < 0 && argc < (uint32_t)-cmd->arity)) {
		c->eng->cmd_stat[cmd - sl_cmd_table].rejected++;
		reply_errorf(c, "-ERR wrong number of arguments for '%s' command", cmd->name);
		return;
	}
	/* As Redis: once CONFIG SET requirepass "" removes the password, nobody needs AUTH. */
	if (!(c->flags & SL_CLIENT_AUTHENTICATED) && !(cmd->flags & CMD_NOAUTH) &&
	    c->eng->shared->requirepass_len != 0) {
		c->eng->cmd_stat[cmd - sl_cmd_table].rejected++;
		reply_error(c, ERR_NOAUTH);
		return;
	}
	if (sl_unlikely(c->eng->mesh != NULL) && mesh_route(c, cmd, argv, argc))
		return;
	execute(c, cmd, argv, argc);
}

/*
 * CLIENT REPLY OFF|SKIP: the command still runs, its replies go to a
 * scratch writer that is dropped. Redis applies SKIP to the command after
 * the CLIENT REPLY SKIP itself.
 */
static __attribute__((noinline)) void run_silent(struct sl_client *c)
{
	struct sl_resp_out keep;

	if (c->flags & SL_CLIENT_REPLY_SKIP_NEXT) {
		c->flags &= ~SL_CLIENT_REPLY_SKIP_NEXT;
		c->flags |= SL_CLIENT_REPLY_SKIP;
	}
	keep = c->out;
	sl_resp_out_init(&c->out, NULL);
	sl_resp_out_set_proto(&c->out, keep.proto);
	run(c);
	keep.proto = c->out.proto; /* HELLO may have switched it */
	if (!(c->flags & (SL_CLIENT_REPLY_OFF | SL_CLIENT_REPLY_SKIP))) {
		/* CLIENT REPLY ON or RESET turned replies back on: their own reply is sent. */
		struct iovec iov[8];
		size_t n, i;

		while ((n = sl_resp_out_peek(&c->out, iov, SL_ARRAY_SIZE(iov))) > 0) {
			size_t done = 0;

			for (i = 0; i < n; i++) {
				if (sl_resp_write_raw(&keep, iov[i].iov_base, iov[i].iov_len) != 0)
					c->flags |= SL_CLIENT_CLOSE_NOW;
				done += iov[i].iov_len;
			}
			sl_resp_out_consume(&c->out, done);
		}
	}
	sl_resp_out_deinit(&c->out);
	c->out = keep;
}

static inline __attribute__((always_inline)) void run_maybe_silent(struct sl_client *c)
{
	/* A SKIP applied to the previous command ends; SKIP_NEXT turns into
	 * SKIP for this one (run_silent). */
	c->flags &= ~SL_CLIENT_REPLY_SKIP;
	if (sl_unlikely(c->flags & (SL_CLIENT_REPLY_SKIP_NEXT | SL_CLIENT_REPLY_OFF))) {
		run_silent(c);
		return;
	}
	run(c);
}

/* Parses and runs what buf holds; stops early when a request is shipped (see mesh.c). */
static int feed(struct sl_client *c, const char *buf, size_t len, uint64_t now_ms, bool *held)
{
	struct sl_engine *e = c->eng;
	size_t off = 0, used;

	e->now_ms = now_ms;
	c->last_ms = now_ms;
	*held = false;
	if (sl_unlikely(c->flags & SL_CLIENT_KILLED)) {
		/* Killed by CLIENT KILL and not collected yet: close instead of serving. */
		c->flags = (c->flags & ~SL_CLIENT_KILLED) | SL_CLIENT_CLOSE_NOW;
		e->killed--;
		return -EPIPE;
	}
	if (now_ms - e->inst_last_ms >= 1000) {
		e->inst_ops = e->inst_last_ms == 0 ? 0
						   : (e->stats.commands - e->inst_last_cmds) *
							     1000 / (now_ms - e->inst_last_ms);
		e->inst_last_ms = now_ms;
		e->inst_last_cmds = e->stats.commands;
	}
	if (sl_unlikely(atomic_load_explicit(&e->shared->stats_epoch, memory_order_relaxed) !=
			e->stats_epoch))
		engine_resetstat(e);
	for (;;) {
		enum sl_resp_status st = sl_resp_parse(&c->parser, buf + off, len - off, &used);

		if (st == SL_RESP_AGAIN) {
			/* The request in progress may point into buf. */
			*held = sl_resp_parser_buffered(&c->parser) > 0;
			return 0;
		}
		if (st == SL_RESP_ERROR) {
			const char *text = sl_resp_parser_error(&c->parser);

			c->eng->stats.rejected_protocol++;
			if (text != NULL) {
				reply_errorf(c, "-ERR %s", text);
				c->flags |= SL_CLIENT_CLOSE_AFTER_REPLY;
			} else {
				c->flags |= SL_CLIENT_CLOSE_NOW;
			}
			return -EPIPE;
		}
		off += used;
		run_maybe_silent(c);
		if (c->flags & (SL_CLIENT_CLOSE_AFTER_REPLY | SL_CLIENT_CLOSE_NOW))
			return -EPIPE;
		if (sl_unlikely(c->job != NULL || c->out.pending > c->out_cap)) {
			/* Shipped: what follows runs after its reply is back (the request
			 * was copied into the message, so nothing points into buf); or the
			 * replies passed the transport's cap: the rest waits until they
			 * drain. Either way a request just completed: nothing is partial. */
			if (mesh_keep_input(c, buf + off, len - off) != 0) {
				c->flags |= SL_CLIENT_CLOSE_NOW;
				return -EPIPE;
			}
			return 0;
		}
	}
}

int sl_client_input(struct sl_client *c, const char *buf, size_t len, uint64_t now_ms, bool *held)
{
	int rc;

	*held = false;
	if (sl_unlikely(c->job != NULL || c->pend != NULL)) {
		/* A transport should not feed input while the engine holds some
		 * (sl_client_has_input); queue it behind, in order, anyway. */
		c->eng->stats.net_input_bytes += len;
		if (mesh_keep_input(c, buf, len) != 0) {
			c->flags |= SL_CLIENT_CLOSE_NOW;
			return -EPIPE;
		}
		return c->job != NULL ? 0 : sl_client_resume(c, now_ms);
	}
	c->eng->stats.net_input_bytes += len;
	rc = feed(c, buf, len, now_ms, held);
	if (sl_unlikely(c->pend_keep != NULL) && !*held) {
		free(c->pend_keep);
		c->pend_keep = NULL;
	}
	return rc;
}

int sl_client_resume(struct sl_client *c, uint64_t now_ms)
{
	char *buf = c->pend;
	size_t len = c->pend_len;
	bool held = false;
	int rc;

	if (c->job != NULL || buf == NULL)
		return 0;
	c->pend = NULL;
	c->pend_len = 0;
	rc = feed(c, buf, len, now_ms, &held);
	if (held) {
		/* A partial request points into buf: keep it until that request completes. */
		free(c->pend_keep);
		c->pend_keep = buf;
	} else {
		free(buf);
		free(c->pend_keep);
		c->pend_keep = NULL;
	}
	return rc;
}

void sl_client_drop_pending(struct sl_client *c)
{
	free(c->pend);
	c->pend = NULL;
	c->pend_len = 0;
}

bool sl_client_obuf_over(const struct sl_client *c, uint64_t now_ms, uint64_t *soft_since)
{
	const struct sl_engine_obuf *l = &c->eng->shared->obuf[0];
	uint64_t used = sl_resp_out_mem(&c->out);
	uint64_t hard = l->hard, soft = l->soft, soft_ms = l->soft_ms;

	/* Redis: a client that must still authenticate could fill memory without ever
	 * reading; counted in reply bytes (used is allocation). */
	if (sl_unlikely(!(c->flags & SL_CLIENT_AUTHENTICATED)) &&
	    c->eng->shared->requirepass_len != 0 && c->out.pending > SL_CLIENT_UNAUTH_OBUF)
		return true;
	if (hard != 0 && used >= hard)
		return true;
	if (soft == 0 || used < soft) {
		*soft_since = 0;
		return false;
	}
	if (*soft_since == 0) {
		*soft_since = now_ms;
		return false;
	}
	return now_ms - *soft_since > soft_ms;
}
