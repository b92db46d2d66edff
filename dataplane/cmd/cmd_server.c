/*
 * Server introspection commands: OBJECT, SLOWLOG, LATENCY, FUNCTION/FCALL,
 * and the helpers every container command shares (subcommand dispatch with
 * Redis's per-subcommand arity, HELP replies, SCAN cursors).
 *
 * What is truthful for sluice:
 * - OBJECT ENCODING reports the encoding Redis would choose for the value as
 *   it is now: "int" when the store keeps a canonical int64, "embstr" for
 *   other strings up to 44 bytes, "raw" beyond; "listpack" for a hash within
 *   hash-max-listpack-entries/-value, "hashtable" otherwise. (Redis says
 *   "raw" after APPEND/SETRANGE of a short string and keeps "hashtable" for
 *   a hash that shrank again; the store does not expose its own encoding of
 *   a hash.)
 * - OBJECT REFCOUNT is 1: every key owns its value, nothing is shared (Redis
 *   reports 2147483647 for its shared small integers).
 * - OBJECT FREQ and IDLETIME answer Redis's policy errors where Redis would;
 *   otherwise an error saying the store does not report access clocks yet
 *   (the store keeps them but has no read API; see docs/commands.md).
 * - SLOWLOG (and commandstats usec) time commands with the TSC, calibrated
 *   once per process against CLOCK_MONOTONIC (CLOCK_MONOTONIC through the
 *   vDSO where there is no TSC), read twice per command only while
 *   slowlog-log-slower-than >= 0; with -1 no clock is read and usec stays 0.
 *   Entries are allocated (malloc) for slow commands only.
 * - FUNCTION: sluice has no function library and no scripting engine, so
 *   FLUSH succeeds, LIST is empty, LOAD fails with Redis's metadata errors or
 *   "Engine not found", FCALL answers "Function not found"; EVAL and SCRIPT
 *   are not in the table (unknown command).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "dataplane/cmd/cmd_priv.h"

/* ---- shared helpers ---- */

/* The sub_stat slot of "container|sub" (both lower case), 0 if none. */
static unsigned sub_slot(const char *container, const char *sub)
{
	size_t cl = strlen(container), sl = strlen(sub);
	unsigned i;

	for (i = 0; i < sl_subcmd_count; i++) {
		const char *n = sl_subcmd_names[i];

		if (strncmp(n, container, cl) == 0 && n[cl] == '|' &&
		    strncmp(n + cl + 1, sub, sl) == 0 && n[cl + 1 + sl] == '\0')
			return i + 1;
	}
	return 0;
}

void dispatch_sub(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc,
		  const struct subcmd_def *subs, unsigned n, const char *container)
{
	const struct sl_resp_arg *sub = &argv[1];
	char lower[32];
	unsigned i;
	size_t k;

	for (k = 0; container[k] != '\0' && k < sizeof(lower) - 1; k++)
		lower[k] = (char)tolower((unsigned char)container[k]);
	lower[k] = '\0';
	for (i = 0; i < n; i++) {
		const struct subcmd_def *d = &subs[i];

		if (!arg_is(sub, d->name))
			continue;
		c->cmd_sub = (uint16_t)sub_slot(lower, d->name);
		if ((d->arity > 0 && argc != (uint32_t)d->arity) ||
		    (d->arity < 0 && argc < (uint32_t)-d->arity)) {
			c->cmd_rejected = true;
			reply_errorf(c, "-ERR wrong number of arguments for '%s|%s' command", lower,
				     d->name);
			return;
		}
		d->fn(c, argv, argc);
		return;
	}
	c->cmd_rejected = true; /* Redis finds no command: nothing in commandstats */
	reply_errorf(c, "-ERR unknown subcommand '%.*s'. Try %s HELP.",
		     (int)(sub->len < 128 ? sub->len : 128), sub->ptr, container);
}

void reply_help(struct sl_client *c, const char *container, const char *const *lines)
{
	char head[96];
	unsigned n = 0, i;

	while (lines[n] != NULL)
		n++;
	snprintf(head, sizeof(head),
		 "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", container);
	reply_array_len(c, n + 3);
	reply_status(c, head);
	for (i = 0; i < n; i++)
		reply_status(c, lines[i]);
	reply_status(c, "HELP");
	reply_status(c, "    Prints this help.");
}

int get_cursor_or_reply(struct sl_client *c, const struct sl_resp_arg *a, uint64_t *out)
{
	/* strtoul(3): optional sign, decimal digits, ERANGE past ULONG_MAX; a
	 * leading space is refused first, and "-n" wraps as strtoul does. */
	size_t i = 0;
	uint64_t v = 0;
	int neg = 0;

	if (a->len > 0 && (a->ptr[0] == '+' || a->ptr[0] == '-')) {
		neg = a->ptr[0] == '-';
		i = 1;
	}
	if (i == a->len && a->len > 0)
		goto bad; /* a lone sign: strtoul stops at it, the rest is not consumed */
	for (; i < a->len; i++) {
		unsigned d = (unsigned)(a->ptr[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			goto bad;
		v = v * 10 + d;
	}
	*out = neg ? (uint64_t)0 - v : v;
	return 0;
bad:
	reply_error(c, "-ERR invalid cursor");
	return -EINVAL;
}

/* ---- OBJECT ---- */

#define EMBSTR_MAX 44 /* Redis OBJ_ENCODING_EMBSTR_SIZE_LIMIT */

struct enc_ctx {
	size_t max_value;
	int big;
};

static void enc_field(void *arg, const uint8_t *field, size_t flen, const uint8_t *val, size_t vlen)
{
	struct enc_ctx *x = arg;

	(void)field;
	(void)val;
	if (flen > x->max_value || vlen > x->max_value)
		x->big = 1;
}

static const char *policy_is_lfu(const struct sl_engine_shared *s)
{
	return s->maxmemory_policy == SL_STORE_ALLKEYS_LFU ||
			       s->maxmemory_policy == SL_STORE_VOLATILE_LFU
		       ? "lfu"
		       : NULL;
}

static void object_encoding(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	const struct sl_resp_arg *k = &argv[2];
	int type = sl_store_type(c->eng->store, k->ptr, k->len, c->eng->now_ms);
	const char *enc = NULL;

	(void)argc;
	if (type == SL_STORE_T_STRING) {
		struct sl_store_value v;

		if (sl_store_get(c->eng->store, k->ptr, k->len, c->eng->now_ms, &v) != 0)
			type = SL_STORE_T_NONE; /* expired in between */
		else if (v.enc == SL_STORE_ENC_INT)
			enc = "int";
		else
			enc = v.len <= EMBSTR_MAX ? "embstr" : "raw";
	} else if (type == SL_STORE_T_HASH) {
		struct enc_ctx x = {c->eng->shared->hash_max_value, 0};
		uint64_t n = 0;

		sl_store_hlen(c->eng->store, k->ptr, k->len, c->eng->now_ms, &n);
		if (n <= c->eng->shared->hash_max_entries)
			sl_store_hwalk(c->eng->store, k->ptr, k->len, c->eng->now_ms, enc_field,
				       &x);
		enc = n > c->eng->shared->hash_max_entries || x.big ? "hashtable" : "listpack";
	}
	if (enc == NULL)
		reply_null(c);
	else
		reply_bulk(c, enc, strlen(enc));
}

static int object_key_exists(struct sl_client *c, const struct sl_resp_arg *k)
{
	if (sl_store_type(c->eng->store, k->ptr, k->len, c->eng->now_ms) != SL_STORE_T_NONE)
		return 1;
	reply_null(c);
	return 0;
}

static void object_freq(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	if (!object_key_exists(c, &argv[2]))
		return;
	if (policy_is_lfu(c->eng->shared) == NULL) {
		reply_error(c, "-ERR An LFU maxmemory policy is not selected, access frequency not "
			       "tracked. Please note that when switching between policies at "
			       "runtime LRU and LFU data will take some time to adjust.");
		return;
	}
	/* TODO(store API): the store keeps the LFU counter but has no read call. */
	reply_error(c, "-ERR OBJECT FREQ is not supported by sluice yet: the store does not report "
		       "access counters");
}

static void object_idletime(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	if (!object_key_exists(c, &argv[2]))
		return;
	if (policy_is_lfu(c->eng->shared) != NULL) {
		reply_error(c, "-ERR An LFU maxmemory policy is selected, idle time not tracked. "
			       "Please note that when switching between policies at runtime LRU "
			       "and LFU data will take some time to adjust.");
		return;
	}
	/* TODO(store API): the store keeps the LRU clock but has no read call. */
	reply_error(c, "-ERR OBJECT IDLETIME is not supported by sluice yet: the store does not "
		       "report access times");
}

static void object_refcount(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	if (object_key_exists(c, &argv[2]))
		reply_int(c, 1);
}

static void object_help(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	static const char *const lines[] = {
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
		NULL,
	};

	(void)argv;
	(void)argc;
	reply_help(c, "OBJECT", lines);
}

void cmd_object(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	static const struct subcmd_def subs[] = {
		{"encoding", 3, object_encoding}, {"freq", 3, object_freq},
		{"idletime", 3, object_idletime}, {"refcount", 3, object_refcount},
		{"help", 2, object_help},
	};

	dispatch_sub(c, argv, argc, subs, SL_ARRAY_SIZE(subs), "OBJECT");
}

/* ---- MEMORY ---- */

/* Per-item and per-field overheads of the estimate (item header, table slot,
 * allocator rounding; a field's length words). */
#define MEMORY_ITEM_OVERHEAD  48
#define MEMORY_FIELD_OVERHEAD 16

static void sum_fields(void *arg, const uint8_t *f, size_t fl, const uint8_t *v, size_t vl)
{
	(void)f;
	(void)v;
	*(uint64_t *)arg += fl + vl + MEMORY_FIELD_OVERHEAD;
}

/*
 * MEMORY USAGE key [SAMPLES count]: an estimate in bytes from the key and
 * value sizes plus sluice's per-item and per-field overheads (Redis's figure
 * is an estimate too; SAMPLES is accepted and every field is counted).
 */
static void memory_usage(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	struct sl_store *st = c->eng->store;
	uint64_t now = c->eng->now_ms, bytes;
	struct sl_store_value v;
	long long samples;
	int t;

	if (argc == 5 && arg_is(&argv[3], "samples")) {
		if (get_ll_or_reply(c, &argv[4], &samples) != 0)
			return;
	} else if (argc != 3) {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	t = sl_store_type(st, argv[2].ptr, argv[2].len, now);
	if (t == SL_STORE_T_NONE) {
		reply_null(c);
		return;
	}
	bytes = MEMORY_ITEM_OVERHEAD + argv[2].len;
	if (t == SL_STORE_T_STRING && sl_store_get(st, argv[2].ptr, argv[2].len, now, &v) == 0)
		bytes += v.len;
	else if (t == SL_STORE_T_HASH)
		sl_store_hwalk(st, argv[2].ptr, argv[2].len, now, sum_fields, &bytes);
	reply_int(c, (int64_t)bytes);
}

static void memory_help(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	static const char *const lines[] = {
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value (sluice: an estimate from",
		"    the key and value sizes plus per-item overhead).",
		NULL,
	};

	(void)argv;
	(void)argc;
	reply_help(c, "MEMORY", lines);
}

void cmd_memory(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	static const struct subcmd_def subs[] = {
		{"usage", -3, memory_usage},
		{"help", 2, memory_help},
	};

	dispatch_sub(c, argv, argc, subs, SL_ARRAY_SIZE(subs), "MEMORY");
}

/* ---- SLOWLOG ---- */

#define SLOWLOG_ARGS    32  /* Redis SLOWLOG_ENTRY_MAX_ARGC */
#define SLOWLOG_ARG_LEN 128 /* Redis SLOWLOG_ENTRY_MAX_STRING */

struct sl_slowlog_entry {
	struct sl_slowlog_entry *next; /* older */
	uint64_t id;
	uint64_t time_s;
	uint64_t us;
	uint32_t argc;
	char addr[SL_CLIENT_ADDR_MAX];
	char name[SL_CLIENT_NAME_MAX + 1];
	size_t len[SLOWLOG_ARGS];
	char *arg[SLOWLOG_ARGS];
	char bytes[]; /* the argument texts */
};

static void slowlog_trim(struct sl_engine *e, uint64_t max)
{
	struct sl_slowlog_entry **pp = &e->slowlog;
	uint64_t n = 0;

	while (*pp != NULL && n < max) {
		pp = &(*pp)->next;
		n++;
	}
	while (*pp != NULL) {
		struct sl_slowlog_entry *x = *pp;

		*pp = x->next;
		free(x);
		e->slowlog_len--;
	}
}

void slowlog_reset(struct sl_engine *e)
{
	slowlog_trim(e, 0);
}

/*
 * Records a slow command as Redis does: at most 32 arguments (the last
 * becomes "... (N more arguments)"), each cut at 128 bytes with
 * "... (N more bytes)". Cold path: only commands over the threshold.
 */
void slowlog_add(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc, uint64_t us)
{
	struct sl_engine *e = c->eng;
	uint32_t n = argc < SLOWLOG_ARGS ? argc : SLOWLOG_ARGS, i;
	size_t need = sizeof(struct sl_slowlog_entry), off = 0;
	struct sl_slowlog_entry *x;

	if (e->shared->slowlog_max_len == 0)
		return;
	for (i = 0; i < n; i++)
		need += SLOWLOG_ARG_LEN + 48;
	x = malloc(need);
	if (x == NULL)
		return;
	x->argc = n;
	for (i = 0; i < n; i++) {
		char *dst = x->bytes + off;
		int w;

		if (i == SLOWLOG_ARGS - 1 && argc > SLOWLOG_ARGS) {
			w = snprintf(dst, SLOWLOG_ARG_LEN + 48, "... (%u more arguments)",
				     argc - SLOWLOG_ARGS + 1);
		} else if (argv[i].len > SLOWLOG_ARG_LEN) {
			memcpy(dst, argv[i].ptr, SLOWLOG_ARG_LEN);
			w = SLOWLOG_ARG_LEN + snprintf(dst + SLOWLOG_ARG_LEN, 48,
						       "... (%zu more bytes)",
						       argv[i].len - SLOWLOG_ARG_LEN);
		} else {
			memcpy(dst, argv[i].ptr, argv[i].len);
			w = (int)argv[i].len;
		}
		x->arg[i] = dst;
		x->len[i] = (size_t)(w > 0 ? w : 0);
		off += x->len[i];
	}
	x->id = e->slowlog_next_id++;
	x->time_s = e->now_ms / 1000;
	x->us = us;
	sl_client_addr_format(c, false, x->addr);
	snprintf(x->name, sizeof(x->name), "%s", sl_client_name(c));
	x->next = e->slowlog;
	e->slowlog = x;
	e->slowlog_len++;
	slowlog_trim(e, e->shared->slowlog_max_len);
}

static void slowlog_get(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	struct sl_engine *e = c->eng;
	const struct sl_slowlog_entry *x;
	long long count = 10;
	uint64_t n;
	uint32_t i;

	if (argc == 3 && (parse_ll(&argv[2], &count) != 0 || count < -1)) {
		reply_error(c, "-ERR count should be greater than or equal to -1");
		return;
	}
	if (argc > 3) {
		reply_error(c, "-ERR wrong number of arguments for 'slowlog|get' command");
		return;
	}
	n = count == -1 || (uint64_t)count > e->slowlog_len ? e->slowlog_len : (uint64_t)count;
	reply_array_len(c, n);
	for (x = e->slowlog; x != NULL && n > 0; x = x->next, n--) {
		reply_array_len(c, 6);
		reply_int(c, (int64_t)x->id);
		reply_int(c, (int64_t)x->time_s);
		reply_int(c, (int64_t)x->us);
		reply_array_len(c, x->argc);
		for (i = 0; i < x->argc; i++)
			reply_bulk(c, x->arg[i], x->len[i]);
		reply_bulk(c, x->addr, strlen(x->addr));
		reply_bulk(c, x->name, strlen(x->name));
	}
}

static void slowlog_len(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argv;
	(void)argc;
	reply_int(c, (int64_t)c->eng->slowlog_len);
}

static void slowlog_reset_cmd(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argv;
	(void)argc;
	slowlog_reset(c->eng);
	reply_ok(c);
}

static void slowlog_help(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	static const char *const lines[] = {
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.",
		NULL,
	};

	(void)argv;
	(void)argc;
	reply_help(c, "SLOWLOG", lines);
}

void cmd_slowlog(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	static const struct subcmd_def subs[] = {
		{"get", -2, slowlog_get},
		{"len", 2, slowlog_len},
		{"reset", 2, slowlog_reset_cmd},
		{"help", 2, slowlog_help},
	};

	dispatch_sub(c, argv, argc, subs, SL_ARRAY_SIZE(subs), "SLOWLOG");
}

/* ---- LATENCY: sluice has no latency monitor, so there are no samples. ---- */

static void latency_latest(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argv;
	(void)argc;
	reply_array_len(c, 0);
}

static void latency_help(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	static const char *const lines[] = {
		"DOCTOR",
		"    Return a human readable latency analysis report.",
		"GRAPH <event>",
		"    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram "
		"for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
		NULL,
	};

	(void)argv;
	(void)argc;
	reply_help(c, "LATENCY", lines);
}

void cmd_latency(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	static const struct subcmd_def subs[] = {
		{"latest", 2, latency_latest},
		{"help", 2, latency_help},
	};

	dispatch_sub(c, argv, argc, subs, SL_ARRAY_SIZE(subs), "LATENCY");
}

/* ---- FUNCTION / FCALL: no library, no engine. ---- */

static void function_flush(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	if (argc > 3) {
		reply_error(c, "-ERR unknown subcommand or wrong number of arguments for 'flush'. "
			       "Try FUNCTION HELP.");
		return;
	}
	if (argc == 3 && !arg_is(&argv[2], "async") && !arg_is(&argv[2], "sync")) {
		reply_error(c, "-ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
		return;
	}
	reply_ok(c); /* the library is empty, as asked */
}

/*
 * FUNCTION LOAD [REPLACE] code: Redis checks the metadata line
 * "#!<engine> name=<library>" before it looks the engine up; sluice has no
 * engine, so well-formed code ends at "Engine '<engine>' not found".
 */
static void function_load(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	const struct sl_resp_arg *code = &argv[argc - 1];
	const char *p, *end, *eng = NULL;
	size_t eng_len = 0;
	int named = 0;
	uint32_t j;

	for (j = 2; j + 1 < argc; j++) {
		if (!arg_is(&argv[j], "replace")) {
			reply_errorf(c, "-ERR Unknown option given: %.*s",
				     (int)SL_MIN(argv[j].len, 128), argv[j].ptr);
			return;
		}
	}
	if (code->len < 2 || code->ptr[0] != '#' || code->ptr[1] != '!') {
		reply_error(c, "-ERR Missing library metadata");
		return;
	}
	end = memchr(code->ptr, '\n', code->len);
	if (end == NULL) {
		reply_error(c, "-ERR Invalid library metadata");
		return;
	}
	/* Space-separated words of the first line: the engine, then name=<library>. */
	for (p = code->ptr; p < end;) {
		const char *w;

		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p == end)
			break;
		w = p;
		while (p < end && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (eng == NULL) {
			eng = w + 2;
			eng_len = (size_t)(p - eng);
		} else if (p - w >= 5 && strncasecmp(w, "name=", 5) == 0) {
			if (named) {
				reply_error(c, "-ERR Invalid metadata value, name argument was "
					       "given multiple times");
				return;
			}
			named = 1;
		} else {
			reply_errorf(c, "-ERR Invalid metadata value given: %.*s",
				     (int)SL_MIN((size_t)(p - w), 128), w);
			return;
		}
	}
	if (!named) {
		reply_error(c, "-ERR Library name was not given");
		return;
	}
	reply_errorf(c, "-ERR Engine '%.*s' not found", (int)SL_MIN(eng_len, 64), eng);
}

static void function_list(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argv;
	(void)argc;
	reply_array_len(c, 0);
}

static void function_delete(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argv;
	(void)argc;
	reply_error(c, "-ERR Library not found");
}

static void function_help(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	static const char *const lines[] = {
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using "
		"LIBRARYNAME argument.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined "
		"by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		NULL,
	};

	(void)argv;
	(void)argc;
	reply_help(c, "FUNCTION", lines);
}

void cmd_function(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	static const struct subcmd_def subs[] = {
		{"flush", -2, function_flush}, {"load", -3, function_load},
		{"list", -2, function_list},   {"delete", 3, function_delete},
		{"help", 2, function_help},
	};

	dispatch_sub(c, argv, argc, subs, SL_ARRAY_SIZE(subs), "FUNCTION");
}

/* FCALL / FCALL_RO: no library is ever loaded, so no function exists (Redis looks the
 * function up before it reads numkeys). */
void cmd_fcall(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argv;
	(void)argc;
	reply_error(c, "-ERR Function not found");
}
