/*
 * CONFIG GET / SET / RESETSTAT / HELP over one option table.
 *
 * Every option Redis names that sluice has a counterpart for is listed
 * here, with Redis's name (and 7.0 alias), its value in struct
 * sl_engine_shared, and what setting it does. Options the store only takes
 * at creation (hash listpack limits, LFU parameters, samples) and those
 * sluice cannot change while running (port, databases) are immutable and
 * answer Redis's "can't set immutable config"; persistence options report
 * sluice's truth (appendonly no, save "") and accept only that value.
 * Anything else is unknown to CONFIG SET and matches nothing in CONFIG GET,
 * as Redis does for names it does not know.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "dataplane/cmd/cmd_priv.h"

enum conf_kind {
	CONF_MEMORY, /* memtoull: digits with b k kb m mb g gb */
	CONF_INT,    /* string2ll */
	CONF_POLICY, /* maxmemory-policy names */
	CONF_PASS,   /* requirepass */
	CONF_YESNO,  /* appendonly */
	CONF_SAVE,   /* save */
	CONF_OBUF,   /* client-output-buffer-limit: <class> <hard> <soft> <seconds>... */
};

#define CONF_IMMUTABLE  1u
#define CONF_ONLY_MIN   2u /* settable, but only to its minimum (sluice's one behaviour) */
#define CONF_STORE_MM   4u /* setting it pushes maxmemory and the policy to the store */
#define CONF_STORE_HASH 8u /* setting it pushes the compact-hash limits to the store */

/* Where the value lives in struct sl_engine_shared. */
enum conf_field {
	FIELD_NONE, /* a constant: sluice's fixed behaviour (value in fixed) */
	FIELD_U16,
	FIELD_UINT,
	FIELD_U64,
	FIELD_I64,
};

struct conf_def {
	const char *name;
	const char *alias; /* Redis 7.0 alias or NULL */
	enum conf_kind kind;
	unsigned flags;
	long long min;
	unsigned long long max;
	enum conf_field field;
	size_t off;           /* offsetof(struct sl_engine_shared, ...) */
	const char *fixed;    /* FIELD_NONE: the value CONFIG GET shows */
	const char *only_why; /* CONF_ONLY_MIN and fixed values: why another value is refused */
};

static const char *const policy_names[] = {
	[SL_STORE_NOEVICTION] = "noeviction",
	[SL_STORE_ALLKEYS_LRU] = "allkeys-lru",
	[SL_STORE_ALLKEYS_LFU] = "allkeys-lfu",
	[SL_STORE_ALLKEYS_RANDOM] = "allkeys-random",
	[SL_STORE_VOLATILE_LRU] = "volatile-lru",
	[SL_STORE_VOLATILE_LFU] = "volatile-lfu",
	[SL_STORE_VOLATILE_RANDOM] = "volatile-random",
	[SL_STORE_VOLATILE_TTL] = "volatile-ttl",
};

#define MB    (1024 * 1024)
#define AT(f) offsetof(struct sl_engine_shared, f)
#define IMM   CONF_IMMUTABLE
#define NOFIX NULL, NULL

static const struct conf_def confs[] = {
	{"maxmemory", NULL, CONF_MEMORY, CONF_STORE_MM, 0, ULLONG_MAX, FIELD_U64, AT(maxmemory),
	 NOFIX},
	{"maxmemory-policy", NULL, CONF_POLICY, CONF_STORE_MM, 0, SL_ARRAY_SIZE(policy_names) - 1,
	 FIELD_UINT, AT(maxmemory_policy), NOFIX},
	{"maxmemory-samples", NULL, CONF_INT, IMM, 1, INT_MAX, FIELD_UINT, AT(maxmemory_samples),
	 NOFIX},
	{"hash-max-listpack-entries", "hash-max-ziplist-entries", CONF_INT, CONF_STORE_HASH, 0,
	 UINT_MAX, FIELD_UINT, AT(hash_max_entries), NOFIX},
	{"hash-max-listpack-value", "hash-max-ziplist-value", CONF_INT, CONF_STORE_HASH, 0,
	 UINT_MAX, FIELD_UINT, AT(hash_max_value), NOFIX},
	{"lfu-log-factor", NULL, CONF_INT, IMM, 0, INT_MAX, FIELD_UINT, AT(lfu_log_factor), NOFIX},
	{"lfu-decay-time", NULL, CONF_INT, IMM, 0, INT_MAX, FIELD_UINT, AT(lfu_decay_time), NOFIX},
	{"proto-max-bulk-len", NULL, CONF_MEMORY, 0, MB, LONG_MAX, FIELD_I64,
	 AT(limits.max_bulk_len), NOFIX},
	{"client-query-buffer-limit", NULL, CONF_MEMORY, 0, MB, LONG_MAX, FIELD_U64,
	 AT(limits.max_query_buf), NOFIX},
	{"requirepass", NULL, CONF_PASS, 0, 0, 0, FIELD_NONE, 0, NOFIX},
	/* Both limits apply to the whole process at once (every worker, both transports). */
	{"maxclients", NULL, CONF_INT, 0, 1, UINT_MAX, FIELD_UINT, AT(maxclients), NOFIX},
	{"maxmemory-clients", NULL, CONF_MEMORY, 0, 0, ULLONG_MAX, FIELD_U64, AT(maxmemory_clients),
	 NOFIX},
	{"client-output-buffer-limit", NULL, CONF_OBUF, 0, 0, 0, FIELD_NONE, 0, NOFIX},
	{"port", NULL, CONF_INT, IMM, 0, 65535, FIELD_U16, AT(tcp_port), NOFIX},
	{"databases", NULL, CONF_INT, IMM, 1, INT_MAX, FIELD_NONE, 0, "1", NULL},
	{"timeout", NULL, CONF_INT, CONF_ONLY_MIN, 0, INT_MAX, FIELD_NONE, 0, "0",
	 "sluice does not close idle clients, only 0 is supported"},
	{"appendonly", NULL, CONF_YESNO, 0, 0, 0, FIELD_NONE, 0, "no",
	 "sluice keeps no append-only file"},
	{"save", NULL, CONF_SAVE, 0, 0, 0, FIELD_NONE, 0, "", "sluice does not save snapshots"},
	{"slowlog-log-slower-than", NULL, CONF_INT, 0, -1, LLONG_MAX, FIELD_I64,
	 AT(slowlog_slower_than_us), NOFIX},
	{"slowlog-max-len", NULL, CONF_INT, 0, 0, LONG_MAX, FIELD_U64, AT(slowlog_max_len), NOFIX},
};

static uint64_t field_get(const struct sl_engine_shared *s, const struct conf_def *d)
{
	const char *p = (const char *)s + d->off;

	switch (d->field) {
	case FIELD_U16:
		return *(const uint16_t *)(const void *)p;
	case FIELD_UINT:
		return *(const unsigned *)(const void *)p;
	case FIELD_U64:
		return *(const uint64_t *)(const void *)p;
	case FIELD_I64:
		return (uint64_t) * (const int64_t *)(const void *)p;
	case FIELD_NONE:
		break;
	}
	return 0;
}

static void field_set(struct sl_engine_shared *s, const struct conf_def *d, uint64_t v)
{
	char *p = (char *)s + d->off;

	switch (d->field) {
	case FIELD_U16:
		*(uint16_t *)(void *)p = (uint16_t)v;
		break;
	case FIELD_UINT:
		*(unsigned *)(void *)p = (unsigned)v;
		break;
	case FIELD_U64:
		*(uint64_t *)(void *)p = v;
		break;
	case FIELD_I64:
		*(int64_t *)(void *)p = (int64_t)v;
		break;
	case FIELD_NONE:
		break;
	}
}

/* The current value as CONFIG GET shows it. */
static size_t conf_value(const struct sl_engine_shared *s, const struct conf_def *d, char *buf,
			 size_t size)
{
	uint64_t v = field_get(s, d);
	int w;

	if (d->kind == CONF_POLICY)
		w = snprintf(buf, size, "%s",
			     v < SL_ARRAY_SIZE(policy_names) ? policy_names[v] : "noeviction");
	else if (d->kind == CONF_PASS)
		w = snprintf(buf, size, "%.*s", (int)s->requirepass_len, s->requirepass);
	else if (d->kind == CONF_OBUF)
		/* Redis's order and names (the replica class is "slave" here). */
		w = snprintf(
			buf, size,
			"normal %llu %llu %llu slave %llu %llu %llu pubsub %llu %llu %llu",
			(unsigned long long)s->obuf[0].hard, (unsigned long long)s->obuf[0].soft,
			(unsigned long long)s->obuf[0].soft_ms / 1000,
			(unsigned long long)s->obuf[1].hard, (unsigned long long)s->obuf[1].soft,
			(unsigned long long)s->obuf[1].soft_ms / 1000,
			(unsigned long long)s->obuf[2].hard, (unsigned long long)s->obuf[2].soft,
			(unsigned long long)s->obuf[2].soft_ms / 1000);
	else if (d->field == FIELD_NONE)
		w = snprintf(buf, size, "%s", d->fixed);
	else if (d->field == FIELD_I64)
		w = snprintf(buf, size, "%lld", (long long)(int64_t)v);
	else
		w = snprintf(buf, size, "%llu", (unsigned long long)v);
	return w > 0 ? (size_t)w : 0;
}

static const struct conf_def *conf_lookup(const struct sl_resp_arg *a)
{
	unsigned i;

	for (i = 0; i < SL_ARRAY_SIZE(confs); i++)
		if (arg_is(a, confs[i].name) ||
		    (confs[i].alias != NULL && arg_is(a, confs[i].alias)))
			return &confs[i];
	return NULL;
}

static int has_glob(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] == '*' || p[i] == '?' || p[i] == '[')
			return 1;
	return 0;
}

struct get_match {
	const char *name; /* as replied */
	size_t len;
	const struct conf_def *d;
};

#define GET_MAX (SL_ARRAY_SIZE(confs) * 2)

static int get_seen(const struct get_match *m, unsigned n, const char *name, size_t len)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (m[i].len == len && strncasecmp(m[i].name, name, len) == 0)
			return 1;
	return 0;
}

/*
 * Redis 7.0: a name without glob characters is looked up directly and
 * echoed as the client spelled it; a pattern matches names and aliases
 * case-insensitively. Each name is reported once.
 */
static void config_get(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	struct get_match m[GET_MAX];
	unsigned i, n = 0;
	uint32_t j;

	for (j = 2; j < argc; j++) {
		const struct sl_resp_arg *a = &argv[j];
		char pat[256];
		size_t k, plen = SL_MIN(a->len, sizeof(pat));

		if (!has_glob(a->ptr, a->len)) {
			const struct conf_def *d = conf_lookup(a);

			if (d != NULL && n < GET_MAX && !get_seen(m, n, a->ptr, a->len))
				m[n++] = (struct get_match){a->ptr, a->len, d};
			continue;
		}
		for (k = 0; k < plen; k++)
			pat[k] = (char)tolower((unsigned char)a->ptr[k]);
		for (i = 0; i < SL_ARRAY_SIZE(confs) * 2; i++) {
			const struct conf_def *d = &confs[i / 2];
			const char *name = i % 2 ? d->alias : d->name;

			if (name == NULL || n >= GET_MAX || get_seen(m, n, name, strlen(name)))
				continue;
			if (sl_cmd_glob(pat, plen, name, strlen(name)))
				m[n++] = (struct get_match){name, strlen(name), d};
		}
	}
	if (sl_resp_write_map_len(&c->out, n) != 0)
		c->flags |= SL_CLIENT_CLOSE_NOW;
	for (i = 0; i < n; i++) {
		char val[600];
		size_t vlen = conf_value(c->eng->shared, m[i].d, val, sizeof(val));

		reply_bulk(c, m[i].name, m[i].len);
		reply_bulk(c, val, SL_MIN(vlen, sizeof(val) - 1));
	}
}

int sl_cmd_parse_memory(const char *p, size_t len, unsigned long long *out)
{
	static const struct {
		const char *unit;
		unsigned long long mul;
	} units[] = {
		{"", 1},
		{"b", 1},
		{"k", 1000},
		{"kb", 1024},
		{"m", 1000000},
		{"mb", 1024 * 1024},
		{"g", 1000000000ull},
		{"gb", 1024ull * MB},
	};
	unsigned long long v = 0, mul = 0;
	size_t d = 0, i;

	if (len > 0 && p[0] == '-')
		return -EINVAL;
	while (d < len && isdigit((unsigned char)p[d]))
		d++;
	for (i = 0; i < SL_ARRAY_SIZE(units); i++) {
		size_t ul = strlen(units[i].unit);

		if (len - d == ul && strncasecmp(p + d, units[i].unit, ul) == 0) {
			mul = units[i].mul;
			break;
		}
	}
	if (mul == 0 || d >= 128)
		return -EINVAL;
	for (i = 0; i < d; i++) {
		unsigned dg = (unsigned)(p[i] - '0');

		if (v > (ULLONG_MAX - dg) / 10)
			return -EINVAL;
		v = v * 10 + dg;
	}
	if (v > ULLONG_MAX / mul)
		return -EINVAL;
	*out = v * mul;
	return 0;
}

static int parse_memory(const struct sl_resp_arg *a, unsigned long long *out)
{
	return sl_cmd_parse_memory(a->ptr, a->len, out);
}

struct conf_new {
	const struct conf_def *d;
	const struct sl_resp_arg *arg;
	unsigned long long u;
	long long v;
	struct sl_engine_obuf obuf[3]; /* CONF_OBUF: the classes given (obuf_set) */
	bool obuf_set[3];
};

/*
 * client-output-buffer-limit's value (Redis setConfigClientOutputBufferLimitOption):
 * groups of <class> <hard> <soft> <soft seconds>, separated by spaces.
 */
static const char *parse_obuf(struct conf_new *nv)
{
	const char *p = nv->arg->ptr, *end = p + nv->arg->len;
	struct sl_resp_arg tok[64];
	unsigned n = 0, i;

	while (p < end) {
		const char *t;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end)
			break;
		t = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		if (n == SL_ARRAY_SIZE(tok))
			return "Wrong number of arguments in buffer limit configuration.";
		tok[n].ptr = t;
		tok[n].len = (size_t)(p - t);
		tok[n++].flags = 0;
	}
	if (n == 0 || n % 4 != 0)
		return "Wrong number of arguments in buffer limit configuration.";
	memset(nv->obuf_set, 0, sizeof(nv->obuf_set));
	for (i = 0; i < n; i += 4) {
		unsigned long long hard, soft;
		long long secs;
		int cls = arg_is(&tok[i], "normal")                                ? 0
			  : arg_is(&tok[i], "slave") || arg_is(&tok[i], "replica") ? 1
			  : arg_is(&tok[i], "pubsub")                              ? 2
										   : -1;

		if (cls < 0)
			return "Invalid client class specified in buffer limit configuration.";
		if (parse_memory(&tok[i + 1], &hard) != 0 ||
		    parse_memory(&tok[i + 2], &soft) != 0 || parse_ll(&tok[i + 3], &secs) != 0 ||
		    secs < 0 || (unsigned long long)secs > UINT64_MAX / 1000)
			return "Error in hard, soft or soft_seconds setting in buffer limit "
			       "configuration.";
		nv->obuf[cls] = (struct sl_engine_obuf){hard, soft, (uint64_t)secs * 1000};
		nv->obuf_set[cls] = true;
	}
	return NULL;
}

/* Parses and checks one value. Returns NULL or the reason (Redis's texts). */
static const char *conf_parse(struct conf_new *nv, char *why, size_t wsize)
{
	const struct conf_def *d = nv->d;
	const struct sl_resp_arg *a = nv->arg;
	unsigned i;

	switch (d->kind) {
	case CONF_POLICY:
		for (i = 0; i < SL_ARRAY_SIZE(policy_names); i++)
			if (arg_is(a, policy_names[i])) {
				nv->v = (long long)i;
				return NULL;
			}
		return "argument(s) must be one of the following: volatile-lru, volatile-lfu, "
		       "volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, "
		       "noeviction";
	case CONF_PASS:
		return a->len >= sizeof(((struct sl_engine_shared *)0)->requirepass)
			       ? "password is too long for sluice"
			       : NULL;
	case CONF_YESNO:
		if (!arg_is(a, "yes") && !arg_is(a, "no"))
			return "argument must be 'yes' or 'no'";
		return arg_is(a, "yes") ? d->only_why : NULL;
	case CONF_SAVE:
		return a->len != 0 ? d->only_why : NULL;
	case CONF_OBUF:
		return parse_obuf(nv);
	case CONF_MEMORY:
		if (parse_memory(a, &nv->u) != 0)
			return "argument must be a memory value";
		nv->v = (long long)nv->u;
		break;
	case CONF_INT:
		if (parse_ll(a, &nv->v) != 0)
			return "argument couldn't be parsed into an integer";
		nv->u = (unsigned long long)nv->v;
		break;
	}
	if (d->max == ULLONG_MAX) {
		if (nv->u < (unsigned long long)d->min) {
			snprintf(why, wsize, "argument must be between %llu and %llu inclusive",
				 (unsigned long long)d->min, d->max);
			return why;
		}
	} else if (nv->v < d->min || (nv->v >= 0 && (unsigned long long)nv->v > d->max)) {
		snprintf(why, wsize, "argument must be between %lld and %llu inclusive", d->min,
			 d->max);
		return why;
	}
	if ((d->flags & CONF_ONLY_MIN) && nv->v != d->min)
		return d->only_why;
	return NULL;
}

static void conf_apply(struct sl_engine *e, const struct conf_new *nv)
{
	struct sl_engine_shared *s = e->shared;
	const struct conf_def *d = nv->d;

	if (d->kind == CONF_OBUF) {
		unsigned i;

		for (i = 0; i < 3; i++)
			if (nv->obuf_set[i])
				s->obuf[i] = nv->obuf[i];
		return;
	}
	if (d->kind == CONF_PASS) {
		memcpy(s->requirepass, nv->arg->ptr, nv->arg->len);
		s->requirepass[nv->arg->len] = '\0';
		s->requirepass_len = nv->arg->len;
		return;
	}
	/* FIELD_NONE (timeout 0, appendonly no, save ""): already sluice's behaviour. */
	field_set(s, d, (uint64_t)nv->v);
	if (d->flags & CONF_STORE_MM)
		sl_store_set_maxmemory(e->store, s->maxmemory,
				       (enum sl_store_policy)s->maxmemory_policy);
	if (d->flags & CONF_STORE_HASH)
		sl_store_set_hash_limits(e->store, (unsigned)s->hash_max_entries,
					 (unsigned)s->hash_max_value);
}

#define CONF_SET_MAX 32

static void config_set(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	struct conf_new nv[CONF_SET_MAX];
	const struct sl_resp_arg *unknown = NULL, *bad = NULL;
	const char *err = NULL;
	char why[128];
	uint32_t i, j, n = (argc - 2) / 2;

	if (argc % 2 != 0) {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	for (i = 0; i < n; i++) {
		const struct sl_resp_arg *name = &argv[2 + 2 * i];
		const struct conf_def *d = conf_lookup(name);

		if (d == NULL || i >= CONF_SET_MAX) {
			if (unknown == NULL)
				unknown = name;
			continue;
		}
		if (unknown != NULL || err != NULL)
			continue;
		if (d->flags & CONF_IMMUTABLE) {
			err = "can't set immutable config";
			bad = name;
			continue;
		}
		for (j = 0; j < i; j++) {
			if (nv[j].d == d) {
				err = "duplicate parameter";
				bad = name;
				break;
			}
		}
		nv[i].d = d;
		nv[i].arg = &argv[3 + 2 * i];
	}
	for (i = 0; unknown == NULL && err == NULL && i < n; i++) {
		err = conf_parse(&nv[i], why, sizeof(why));
		bad = &argv[2 + 2 * i];
	}
	if (unknown != NULL) {
		reply_errorf(c,
			     "-ERR Unknown option or number of arguments for CONFIG SET - '%.*s'",
			     (int)SL_MIN(unknown->len, 128), unknown->ptr);
		return;
	}
	if (err != NULL) {
		reply_errorf(c, "-ERR CONFIG SET failed (possibly related to argument '%.*s') - %s",
			     (int)SL_MIN(bad->len, 128), bad->ptr, err);
		return;
	}
	for (i = 0; i < n; i++)
		conf_apply(c->eng, &nv[i]);
	reply_ok(c);
}

static void config_resetstat(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argv;
	(void)argc;
	/* Every worker clears its counters when it sees the new epoch; this one now. */
	atomic_fetch_add(&c->eng->shared->stats_epoch, 1);
	engine_resetstat(c->eng);
	reply_ok(c);
}

static void config_help(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	static const char *const lines[] = {
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		NULL,
	};

	(void)argv;
	(void)argc;
	reply_help(c, "CONFIG", lines);
}

void cmd_config(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	/* REWRITE is not offered: sluice's configuration file is the control plane's. */
	static const struct subcmd_def subs[] = {
		{"get", -3, config_get},
		{"set", -4, config_set},
		{"resetstat", 2, config_resetstat},
		{"help", 2, config_help},
	};

	dispatch_sub(c, argv, argc, subs, SL_ARRAY_SIZE(subs), "CONFIG");
}
