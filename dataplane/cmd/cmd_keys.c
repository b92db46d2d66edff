/*
 * Keyspace commands with Redis 7.0 semantics (db.c, expire.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "dataplane/cmd/cmd_priv.h"

#define STORE(c) ((c)->eng->store)
#define NOW(c)   ((c)->eng->now_ms)
#define SELF(c)  ((c)->eng->self)

void cmd_del(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	int64_t n = 0;
	uint32_t i;

	for (i = 1; i < argc; i++)
		n += sl_store_del(STORE(c), SELF(c), argv[i].ptr, argv[i].len, NOW(c)) == 0;
	reply_int(c, n);
}

void cmd_exists(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	int64_t n = 0;
	uint32_t i;

	for (i = 1; i < argc; i++) {
		int e = sl_store_exists(STORE(c), argv[i].ptr, argv[i].len, NOW(c));

		count_lookup(c, e);
		n += e;
	}
	reply_int(c, n);
}

void cmd_touch(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	cmd_exists(c, argv, argc);
}

void cmd_type(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	int t = sl_store_type(STORE(c), argv[1].ptr, argv[1].len, NOW(c));

	(void)argc;
	count_lookup(c, t != SL_STORE_T_NONE);
	reply_status(c, t == SL_STORE_T_STRING ? "string" : t == SL_STORE_T_HASH ? "hash" : "none");
}

#define EX_NX 1u
#define EX_XX 2u
#define EX_GT 4u
#define EX_LT 8u

/* Redis expireGenericCommand: basetime is now (relative) or 0 (absolute). */
static void expire_generic(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc,
			   long long basetime, int seconds, const char *name)
{
	unsigned flags = 0, sflags = 0;
	long long when;
	uint32_t j;
	int rc;

	for (j = 3; j < argc; j++) {
		if (arg_is(&argv[j], "nx"))
			flags |= EX_NX;
		else if (arg_is(&argv[j], "xx"))
			flags |= EX_XX;
		else if (arg_is(&argv[j], "gt"))
			flags |= EX_GT;
		else if (arg_is(&argv[j], "lt"))
			flags |= EX_LT;
		else {
			reply_errorf(c, "-ERR Unsupported option %.*s", (int)argv[j].len,
				     argv[j].ptr);
			return;
		}
	}
	if ((flags & EX_NX) && (flags & (EX_XX | EX_GT | EX_LT))) {
		reply_error(c,
			    "-ERR NX and XX, GT or LT options at the same time are not compatible");
		return;
	}
	if ((flags & EX_GT) && (flags & EX_LT)) {
		reply_error(c, "-ERR GT and LT options at the same time are not compatible");
		return;
	}
	if (get_ll_or_reply(c, &argv[2], &when) != 0)
		return;
	if (seconds) {
		if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000)
			goto bad;
		when *= 1000;
	}
	if (when > LLONG_MAX - basetime)
		goto bad;
	when += basetime;
	sflags = (flags & EX_NX ? SL_STORE_EXPIRE_NX : 0) |
		 (flags & EX_XX ? SL_STORE_EXPIRE_XX : 0) |
		 (flags & EX_GT ? SL_STORE_EXPIRE_GT : 0) |
		 (flags & EX_LT ? SL_STORE_EXPIRE_LT : 0);
	/* A time at or before now deletes the key; 1 ms is as past as any negative time. */
	rc = sl_store_expire(STORE(c), SELF(c), argv[1].ptr, argv[1].len,
			     when < 1 ? 1 : (uint64_t)when, sflags, NOW(c));
	if (rc == 0)
		reply_int(c, 1);
	else if (rc == -ENOENT || rc == -EALREADY)
		reply_int(c, 0);
	else
		reply_store_error(c, rc);
	return;
bad:
	reply_errorf(c, "-ERR invalid expire time in '%s' command", name);
}

void cmd_expire(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	expire_generic(c, argv, argc, (long long)NOW(c), 1, "expire");
}

void cmd_pexpire(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	expire_generic(c, argv, argc, (long long)NOW(c), 0, "pexpire");
}

void cmd_expireat(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	expire_generic(c, argv, argc, 0, 1, "expireat");
}

void cmd_pexpireat(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	expire_generic(c, argv, argc, 0, 0, "pexpireat");
}

/* Redis ttlGenericCommand. */
static void ttl_generic(struct sl_client *c, const struct sl_resp_arg *key, int ms, int abs)
{
	int64_t left;
	long long ttl;

	if (sl_store_pttl(STORE(c), key->ptr, key->len, NOW(c), &left) != 0) {
		count_lookup(c, 0);
		reply_int(c, -2);
		return;
	}
	count_lookup(c, 1);
	if (left < 0) {
		reply_int(c, -1);
		return;
	}
	ttl = abs ? (long long)NOW(c) + left : left;
	/* Rounded as Redis computes it (its addition wraps for expiries near
	 * the int64 limit, which unsigned arithmetic reproduces). */
	reply_int(c, ms ? ttl : (long long)(((unsigned long long)ttl + 500) / 1000));
}

void cmd_ttl(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	ttl_generic(c, &argv[1], 0, 0);
}

void cmd_pttl(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	ttl_generic(c, &argv[1], 1, 0);
}

void cmd_expiretime(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	ttl_generic(c, &argv[1], 0, 1);
}

void cmd_pexpiretime(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	ttl_generic(c, &argv[1], 1, 1);
}

void cmd_persist(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	reply_int(c, sl_store_persist(STORE(c), SELF(c), argv[1].ptr, argv[1].len, NOW(c)) == 0);
}

static void rename_generic(struct sl_client *c, const struct sl_resp_arg *argv, int nx)
{
	int rc = sl_store_rename(STORE(c), SELF(c), argv[1].ptr, argv[1].len, argv[2].ptr,
				 argv[2].len, nx, NOW(c));

	if (rc == -ENOENT)
		reply_error(c, "-ERR no such key");
	else if (rc == -EEXIST)
		reply_int(c, 0);
	else if (rc != 0)
		reply_store_error(c, rc);
	else if (nx)
		reply_int(c, 1);
	else
		reply_ok(c);
}

void cmd_rename(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	rename_generic(c, argv, 0);
}

void cmd_renamenx(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	rename_generic(c, argv, 1);
}

/*
 * Glob matching with Redis's semantics (util.c stringmatchlen): * ? [abc]
 * [^a-z] and backslash escapes, byte-wise, case-sensitive.
 *
 * Bounded work, because a client chooses the pattern: when the part of the
 * pattern after a '*' cannot match starting at any later position of the
 * string, no earlier '*' can help by consuming more (that would only start
 * the same remainder later still), so the whole match fails at once instead
 * of backtracking through every earlier '*' ("a*a*a*...b" is otherwise
 * exponential). Nesting deeper than GLOB_MAX_NESTING '*'s does not match,
 * so a huge pattern cannot exhaust the stack.
 */
#define GLOB_MAX_NESTING 1000

static int glob_impl(const char *p, size_t plen, const char *s, size_t slen, unsigned depth,
		     int *give_up);

int sl_cmd_glob(const char *p, size_t plen, const char *s, size_t slen)
{
	int give_up = 0;

	return glob_impl(p, plen, s, slen, 0, &give_up);
}

static int glob_impl(const char *p, size_t plen, const char *s, size_t slen, unsigned depth,
		     int *give_up)
{
	while (plen > 0 && slen > 0) {
		switch (p[0]) {
		case '*':
			while (plen > 1 && p[1] == '*') {
				p++;
				plen--;
			}
			if (plen == 1)
				return 1;
			if (depth >= GLOB_MAX_NESTING) {
				*give_up = 1;
				return 0;
			}
			while (slen > 0) {
				if (glob_impl(p + 1, plen - 1, s, slen, depth + 1, give_up))
					return 1;
				if (*give_up)
					return 0;
				s++;
				slen--;
			}
			/* The rest matched nowhere: no earlier '*' can change that. */
			*give_up = 1;
			return 0;
		case '?':
			break;
		case '[': {
			int neg, match = 0;

			p++;
			plen--;
			neg = plen > 0 && p[0] == '^';
			if (neg) {
				p++;
				plen--;
			}
			for (;;) {
				if (plen == 0) {
					break; /* unterminated: Redis treats the rest as the set */
				} else if (p[0] == '\\' && plen >= 2) {
					p++;
					plen--;
					if (p[0] == s[0])
						match = 1;
				} else if (p[0] == ']') {
					break;
				} else if (plen >= 3 && p[1] == '-') {
					unsigned char lo = (unsigned char)p[0],
						      hi = (unsigned char)p[2];
					unsigned char ch = (unsigned char)s[0];

					if (lo > hi) {
						unsigned char t = lo;
						lo = hi;
						hi = t;
					}
					if (ch >= lo && ch <= hi)
						match = 1;
					p += 2;
					plen -= 2;
				} else if (p[0] == s[0]) {
					match = 1;
				}
				p++;
				plen--;
			}
			if (neg)
				match = !match;
			if (!match)
				return 0;
			if (plen == 0) {
				/* the pattern ended inside the set */
				s++;
				slen--;
				return slen == 0;
			}
			break;
		}
		case '\\':
			if (plen >= 2) {
				p++;
				plen--;
			}
			/* fall through */
		default:
			if (p[0] != s[0])
				return 0;
			break;
		}
		p++;
		plen--;
		s++;
		slen--;
	}
	while (plen > 0 && p[0] == '*') {
		p++;
		plen--;
	}
	return plen == 0 && slen == 0;
}

struct key_buf;

struct scan_ctx {
	struct sl_client *c;               /* KEYS: replies go straight to it */
	struct key_buf *kb;                /* SCAN: keys are collected first */
	const struct sl_resp_arg *pattern; /* NULL: all */
	int type;                          /* -1: any */
	uint64_t n;
};

static void scan_emit(void *arg, const uint8_t *key, size_t klen, uint8_t type)
{
	struct scan_ctx *x = arg;

	if (x->type >= 0 && type != x->type)
		return;
	if (x->pattern != NULL &&
	    !sl_cmd_glob(x->pattern->ptr, x->pattern->len, (const char *)key, klen))
		return;
	reply_bulk(x->c, key, klen);
	x->n++;
}

void cmd_keys(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	struct scan_ctx x = {c, NULL, &argv[1], -1, 0};
	struct sl_resp_chunk *h = sl_resp_write_deferred_len(&c->out);
	uint64_t cursor = 0;

	(void)argc;
	if (h == NULL) {
		c->flags |= SL_CLIENT_CLOSE_NOW;
		return;
	}
	if (argv[1].len == 1 && argv[1].ptr[0] == '*')
		x.pattern = NULL;
	do {
		cursor = sl_store_scan(STORE(c), cursor, 1024, NOW(c), scan_emit, &x);
	} while (cursor != 0);
	sl_resp_set_deferred_len(&c->out, h, SL_RESP_AGG_ARRAY, x.n);
}

/* Keys one SCAN call returns, copied so the cursor can be sent first. */
struct key_buf {
	char *bytes;
	size_t len, cap;
	uint64_t n;
	int failed;
};

static void collect(void *arg, const uint8_t *key, size_t klen, uint8_t type)
{
	struct scan_ctx *x = arg;
	struct key_buf *kb = x->kb;
	size_t need = sizeof(uint32_t) + klen;

	if (x->type >= 0 && type != x->type)
		return;
	if (x->pattern != NULL &&
	    !sl_cmd_glob(x->pattern->ptr, x->pattern->len, (const char *)key, klen))
		return;
	if (kb->len + need > kb->cap) {
		size_t cap = kb->cap == 0 ? 4096 : kb->cap * 2;
		char *p;

		while (cap < kb->len + need)
			cap *= 2;
		p = realloc(kb->bytes, cap);
		if (p == NULL) {
			kb->failed = 1;
			return;
		}
		kb->bytes = p;
		kb->cap = cap;
	}
	memcpy(kb->bytes + kb->len, &(uint32_t){(uint32_t)klen}, sizeof(uint32_t));
	memcpy(kb->bytes + kb->len + sizeof(uint32_t), key, klen);
	kb->len += need;
	kb->n++;
}

void cmd_scan(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	struct key_buf kb = {NULL, 0, 0, 0, 0};
	struct scan_ctx x = {c, &kb, NULL, -1, 0};
	unsigned long long cursor = 0;
	uint64_t cur64;
	long long count = 10;
	char num[24];
	size_t off;
	uint32_t j;
	int n;

	if (get_cursor_or_reply(c, &argv[1], &cur64) != 0)
		return;
	cursor = cur64;
	for (j = 2; j < argc; j += 2) {
		if (j + 1 >= argc) {
			reply_error(c, ERR_SYNTAX);
			return;
		}
		if (arg_is(&argv[j], "count")) {
			if (get_ll_or_reply(c, &argv[j + 1], &count) != 0)
				return;
			if (count < 1) {
				reply_error(c, ERR_SYNTAX);
				return;
			}
		} else if (arg_is(&argv[j], "match")) {
			x.pattern = &argv[j + 1];
			if (x.pattern->len == 1 && x.pattern->ptr[0] == '*')
				x.pattern = NULL;
		} else if (arg_is(&argv[j], "type")) {
			/* Unknown type names match nothing, as in Redis 7.0. */
			x.type = arg_is(&argv[j + 1], "string") ? SL_STORE_T_STRING
				 : arg_is(&argv[j + 1], "hash") ? SL_STORE_T_HASH
								: 255;
		} else {
			reply_error(c, ERR_SYNTAX);
			return;
		}
	}
	cursor = sl_store_scan(STORE(c), cursor, (unsigned)(count > 1 << 20 ? 1 << 20 : count),
			       NOW(c), collect, &x);
	if (kb.failed) {
		free(kb.bytes);
		c->flags |= SL_CLIENT_CLOSE_NOW;
		return;
	}
	n = snprintf(num, sizeof(num), "%llu", cursor);
	reply_array_len(c, 2);
	reply_bulk(c, num, (size_t)n);
	reply_array_len(c, kb.n);
	for (off = 0; off < kb.len;) {
		uint32_t klen;

		memcpy(&klen, kb.bytes + off, sizeof(klen));
		reply_bulk(c, kb.bytes + off + sizeof(klen), klen);
		off += sizeof(klen) + klen;
	}
	free(kb.bytes);
}

void cmd_randomkey(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	struct sl_store_value k;

	(void)argv;
	(void)argc;
	if (sl_store_randomkey(STORE(c), c->eng->stats.commands * 0x9e3779b97f4a7c15ull ^ NOW(c),
			       NOW(c), &k) != 0)
		reply_null(c);
	else
		reply_bulk(c, k.ptr, k.len);
}

void cmd_dbsize(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argv;
	(void)argc;
	reply_int(c, (int64_t)sl_store_dbsize(STORE(c)));
}
