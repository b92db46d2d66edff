/*
 * Hash commands with Redis 7.0 semantics (t_hash.c).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "dataplane/cmd/cmd_priv.h"

#define STORE(c) ((c)->eng->store)
#define NOW(c)   ((c)->eng->now_ms)
#define SELF(c)  ((c)->eng->self)

#define HSET_BATCH 64

/* HSET/HMSET: field/value pairs from argv[2..], in batches. */
static int hset_pairs(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc,
		      unsigned *added)
{
	struct sl_store_field fv[HSET_BATCH];
	uint32_t i = 2;

	*added = 0;
	while (i < argc) {
		unsigned n = 0, a = 0;
		int rc;

		for (; i + 1 < argc && n < HSET_BATCH; i += 2, n++) {
			fv[n].field = argv[i].ptr;
			fv[n].flen = argv[i].len;
			fv[n].val = argv[i + 1].ptr;
			fv[n].vlen = argv[i + 1].len;
		}
		rc = sl_store_hset(STORE(c), SELF(c), argv[1].ptr, argv[1].len, fv, n, NOW(c), &a);
		if (rc != 0)
			return rc;
		*added += a;
	}
	return 0;
}

static void hset_generic(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc,
			 const char *name, int reply_added)
{
	unsigned added;
	int rc;

	if ((argc % 2) == 1) {
		reply_errorf(c, "-ERR wrong number of arguments for '%s' command", name);
		return;
	}
	rc = hset_pairs(c, argv, argc, &added);
	if (rc != 0)
		reply_store_error(c, rc);
	else if (reply_added)
		reply_int(c, added);
	else
		reply_ok(c);
}

void cmd_hset(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	hset_generic(c, argv, argc, "hset", 1);
}

void cmd_hmset(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	hset_generic(c, argv, argc, "hmset", 0);
}

void cmd_hsetnx(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	struct sl_store_value v;
	unsigned added;
	int rc = sl_store_hget(STORE(c), argv[1].ptr, argv[1].len, argv[2].ptr, argv[2].len, NOW(c),
			       &v);

	if (rc == 0) {
		reply_int(c, 0);
		return;
	}
	if (rc != -ENOENT) {
		reply_store_error(c, rc);
		return;
	}
	rc = hset_pairs(c, argv, argc, &added);
	if (rc != 0)
		reply_store_error(c, rc);
	else
		reply_int(c, 1);
}

/* Counts the key lookup behind a field read: a missing field of an existing
 * key is still a hit, as Redis looks the key up first. */
static void count_field_lookup(struct sl_client *c, const struct sl_resp_arg *key, int rc)
{
	count_lookup(c, rc != -ENOENT || sl_store_exists(STORE(c), key->ptr, key->len, NOW(c)));
}

void cmd_hget(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	struct sl_store_value v;
	int rc = sl_store_hget(STORE(c), argv[1].ptr, argv[1].len, argv[2].ptr, argv[2].len, NOW(c),
			       &v);

	(void)argc;
	count_field_lookup(c, &argv[1], rc);
	if (rc == 0)
		reply_bulk(c, v.ptr, v.len);
	else if (rc == -ENOENT)
		reply_null(c);
	else
		reply_store_error(c, rc);
}

void cmd_hmget(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	uint32_t i;

	/* A key of another type is an error for HMGET (unlike MGET). */
	int t = sl_store_type(STORE(c), argv[1].ptr, argv[1].len, NOW(c));

	count_lookup(c, t != SL_STORE_T_NONE);
	if (t != SL_STORE_T_NONE && t != SL_STORE_T_HASH) {
		reply_store_error(c, -EPROTOTYPE);
		return;
	}
	reply_array_len(c, argc - 2);
	for (i = 2; i < argc; i++) {
		struct sl_store_value v;

		if (sl_store_hget(STORE(c), argv[1].ptr, argv[1].len, argv[i].ptr, argv[i].len,
				  NOW(c), &v) == 0)
			reply_bulk(c, v.ptr, v.len);
		else
			reply_null(c);
	}
}

void cmd_hdel(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	struct sl_store_field f[HSET_BATCH];
	unsigned total = 0;
	uint32_t i = 2;

	while (i < argc) {
		unsigned n = 0, removed = 0;
		int rc;

		for (; i < argc && n < HSET_BATCH; i++, n++) {
			f[n].field = argv[i].ptr;
			f[n].flen = argv[i].len;
		}
		rc = sl_store_hdel(STORE(c), SELF(c), argv[1].ptr, argv[1].len, f, n, NOW(c),
				   &removed);
		if (rc != 0) {
			reply_store_error(c, rc);
			return;
		}
		total += removed;
	}
	reply_int(c, total);
}

void cmd_hexists(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	struct sl_store_value v;
	int rc = sl_store_hget(STORE(c), argv[1].ptr, argv[1].len, argv[2].ptr, argv[2].len, NOW(c),
			       &v);

	(void)argc;
	count_field_lookup(c, &argv[1], rc);
	if (rc == 0 || rc == -ENOENT)
		reply_int(c, rc == 0);
	else
		reply_store_error(c, rc);
}

void cmd_hlen(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	uint64_t n;
	int rc = sl_store_hlen(STORE(c), argv[1].ptr, argv[1].len, NOW(c), &n);

	(void)argc;
	count_lookup(c, rc != 0 || n > 0); /* a hash is never empty: 0 fields = no key */
	if (rc != 0)
		reply_store_error(c, rc);
	else
		reply_int(c, (int64_t)n);
}

void cmd_hstrlen(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	struct sl_store_value v;
	int rc = sl_store_hget(STORE(c), argv[1].ptr, argv[1].len, argv[2].ptr, argv[2].len, NOW(c),
			       &v);

	(void)argc;
	count_field_lookup(c, &argv[1], rc);
	if (rc == 0 || rc == -ENOENT)
		reply_int(c, rc == 0 ? (int64_t)v.len : 0);
	else
		reply_store_error(c, rc);
}

void cmd_hincrby(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	long long d;
	int64_t result;
	int rc;

	(void)argc;
	if (get_ll_or_reply(c, &argv[3], &d) != 0)
		return;
	rc = sl_store_hincrby(STORE(c), SELF(c), argv[1].ptr, argv[1].len, argv[2].ptr, argv[2].len,
			      d, NOW(c), &result);
	if (rc == -EINVAL)
		reply_error(c, "-ERR hash value is not an integer");
	else if (rc != 0)
		reply_store_error(c, rc);
	else
		reply_int(c, result);
}

void cmd_hincrbyfloat(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	struct sl_store_field fv;
	struct sl_store_value v;
	long double d, cur = 0;
	char buf[SL_RESP_LD_MAX];
	unsigned added;
	size_t n;
	int rc;

	(void)argc;
	if (parse_ld(&argv[3], &d) != 0) {
		reply_error(c, ERR_NOT_FLOAT);
		return;
	}
	if (isnan(d) || isinf(d)) {
		/* Redis hincrbyfloatCommand checks the increment itself first. */
		reply_error(c, "-ERR value is NaN or Infinity");
		return;
	}
	/* The owner is the only writer of its partition, so read-modify-write is atomic. */
	rc = sl_store_hget(STORE(c), argv[1].ptr, argv[1].len, argv[2].ptr, argv[2].len, NOW(c),
			   &v);
	if (rc == 0) {
		struct sl_resp_arg a = {(const char *)v.ptr, v.len, 0};

		if (parse_ld(&a, &cur) != 0) {
			reply_error(c, "-ERR hash value is not a float");
			return;
		}
	} else if (rc != -ENOENT) {
		reply_store_error(c, rc);
		return;
	}
	cur += d;
	if (isnan(cur) || isinf(cur)) {
		reply_error(c, ERR_NAN);
		return;
	}
	n = sl_resp_format_human_long_double(buf, cur);
	fv.field = argv[2].ptr;
	fv.flen = argv[2].len;
	fv.val = buf;
	fv.vlen = n;
	rc = sl_store_hset(STORE(c), SELF(c), argv[1].ptr, argv[1].len, &fv, 1, NOW(c), &added);
	if (rc != 0)
		reply_store_error(c, rc);
	else
		reply_bulk(c, buf, n);
}

enum walk_what { WALK_KEYS = 1, WALK_VALS = 2, WALK_BOTH = 3 };

struct walk_ctx {
	struct sl_client *c;
	enum walk_what what;
};

static void walk_emit(void *arg, const uint8_t *field, size_t flen, const uint8_t *val, size_t vlen)
{
	struct walk_ctx *w = arg;

	if (w->what & WALK_KEYS)
		reply_bulk(w->c, field, flen);
	if (w->what & WALK_VALS)
		reply_bulk(w->c, val, vlen);
}

static void hwalk_generic(struct sl_client *c, const struct sl_resp_arg *key, enum walk_what what)
{
	struct walk_ctx w = {c, what};
	uint64_t n;
	int rc = sl_store_hlen(STORE(c), key->ptr, key->len, NOW(c), &n);

	count_lookup(c, rc != 0 || n > 0);
	if (rc != 0) {
		reply_store_error(c, rc);
		return;
	}
	if (what == WALK_BOTH)
		c->flags |= sl_resp_write_map_len(&c->out, n) != 0 ? SL_CLIENT_CLOSE_NOW : 0;
	else
		reply_array_len(c, n);
	if (n > 0)
		sl_store_hwalk(STORE(c), key->ptr, key->len, NOW(c), walk_emit, &w);
}

void cmd_hgetall(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	hwalk_generic(c, &argv[1], WALK_BOTH);
}

void cmd_hkeys(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	hwalk_generic(c, &argv[1], WALK_KEYS);
}

void cmd_hvals(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	hwalk_generic(c, &argv[1], WALK_VALS);
}

/*
 * HRANDFIELD. The store offers a walk, not random access, so picks are
 * made by position and served by walking the hash:
 * - a positive count smaller than the hash: one walk with selection
 *   sampling (each field taken with probability still-needed/still-left),
 *   so the result is a uniform distinct subset, reported in walk order;
 * - a negative count (repetitions allowed) or no count: up to PICK_BATCH
 *   positions per walk, sorted for the walk and replied in the order they
 *   were drawn.
 * No memory is allocated; views are borrowed for the command only.
 */
#define PICK_BATCH           64
#define HRANDFIELD_REPLY_MAX (128ull << 20)

struct pick {
	uint64_t pos;
	unsigned slot; /* draw order */
};

struct pick_ctx {
	struct sl_client *c;
	uint64_t i;     /* walk position */
	uint64_t need;  /* selection sampling: still to take */
	uint64_t left;  /* selection sampling: fields not yet seen */
	struct pick *p; /* sorted by pos */
	unsigned n, next;
	const uint8_t *f[PICK_BATCH], *v[PICK_BATCH];
	size_t fl[PICK_BATCH], vl[PICK_BATCH];
	int withvalues;
};

static void reply_field(struct sl_client *c, int withvalues, const uint8_t *f, size_t fl,
			const uint8_t *v, size_t vl)
{
	if (withvalues && c->out.proto == 3)
		reply_array_len(c, 2);
	reply_bulk(c, f, fl);
	if (withvalues)
		reply_bulk(c, v, vl);
}

static void sample_field(void *arg, const uint8_t *f, size_t fl, const uint8_t *v, size_t vl)
{
	struct pick_ctx *x = arg;

	if (x->need > 0 && x->left > 0 && engine_rand(x->c->eng) % x->left < x->need) {
		reply_field(x->c, x->withvalues, f, fl, v, vl);
		x->need--;
	}
	if (x->left > 0)
		x->left--;
}

static void batch_field(void *arg, const uint8_t *f, size_t fl, const uint8_t *v, size_t vl)
{
	struct pick_ctx *x = arg;

	while (x->next < x->n && x->p[x->next].pos == x->i) {
		unsigned s = x->p[x->next].slot;

		x->f[s] = f;
		x->fl[s] = fl;
		x->v[s] = v;
		x->vl[s] = vl;
		x->next++;
	}
	x->i++;
}

/* Draws n positions below size and replies them in draw order. */
static void pick_batch(struct sl_client *c, const struct sl_resp_arg *key, uint64_t size,
		       unsigned n, int withvalues)
{
	struct pick p[PICK_BATCH];
	struct pick_ctx x;
	unsigned k, j;

	memset(&x, 0, sizeof(x));
	x.c = c;
	x.p = p;
	x.n = n;
	x.withvalues = withvalues;
	for (k = 0; k < n; k++) {
		struct pick t = {engine_rand(c->eng) % size, k};

		for (j = k; j > 0 && p[j - 1].pos > t.pos; j--)
			p[j] = p[j - 1];
		p[j] = t;
	}
	sl_store_hwalk(STORE(c), key->ptr, key->len, NOW(c), batch_field, &x);
	for (k = 0; k < n; k++) {
		if (x.f[k] == NULL) {
			/* The hash cannot change during the command; a short walk would be a
			 * store bug. Keep the reply well-formed. */
			reply_field(c, withvalues, (const uint8_t *)"", 0, (const uint8_t *)"", 0);
			continue;
		}
		reply_field(c, withvalues, x.f[k], x.fl[k], x.v[k], x.vl[k]);
	}
}

void cmd_hrandfield(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	long long count = 0;
	int withvalues = 0, rc;
	uint64_t size, want;

	if (argc >= 3) {
		if (parse_ll(&argv[2], &count) != 0) {
			reply_error(c, ERR_NOT_INT);
			return;
		}
		if (count == LLONG_MIN) {
			reply_error(c, "-ERR value is out of range, value must between "
				       "-9223372036854775807 and 9223372036854775807");
			return;
		}
		if (argc == 4 && arg_is(&argv[3], "withvalues")) {
			withvalues = 1;
			if (count < -LLONG_MAX / 2 || count > LLONG_MAX / 2) {
				reply_error(c, "-ERR value is out of range");
				return;
			}
		} else if (argc > 3) {
			reply_error(c, ERR_SYNTAX);
			return;
		}
	}
	rc = sl_store_hlen(STORE(c), argv[1].ptr, argv[1].len, NOW(c), &size);
	if (rc != 0) {
		reply_store_error(c, rc);
		return;
	}
	if (argc == 2) {
		if (size == 0)
			reply_null(c);
		else
			pick_batch(c, &argv[1], size, 1, 0);
		return;
	}
	if (size == 0 || count == 0) {
		reply_array_len(c, 0);
		return;
	}
	want = count < 0 ? (uint64_t)-count : SL_MIN((uint64_t)count, size);
	reply_array_len(c, want * (withvalues && c->out.proto == 2 ? 2 : 1));
	if (count > 0) {
		struct pick_ctx x;

		memset(&x, 0, sizeof(x));
		x.c = c;
		x.need = want;
		x.left = size;
		x.withvalues = withvalues;
		sl_store_hwalk(STORE(c), argv[1].ptr, argv[1].len, NOW(c), sample_field, &x);
		return;
	}
	while (want > 0) {
		unsigned n = (unsigned)SL_MIN(want, (uint64_t)PICK_BATCH);

		/* A count near -2^63 would never finish: past HRANDFIELD_REPLY_MAX
		 * bytes of reply the client is closed (as Redis's output buffer
		 * limit would) rather than stalling the worker. */
		if (sl_unlikely(sl_resp_out_pending(&c->out) > HRANDFIELD_REPLY_MAX ||
				(c->flags & SL_CLIENT_CLOSE_NOW))) {
			c->flags |= SL_CLIENT_CLOSE_NOW;
			return;
		}
		pick_batch(c, &argv[1], size, n, withvalues);
		want -= n;
	}
}

/*
 * HSCAN. The store's hash walk has no cursor, so HSCAN answers the whole
 * hash in one reply with cursor 0, as Redis does for a listpack-encoded
 * hash (COUNT is a hint Redis also ignores there). Redis's guarantee holds:
 * every field present for the whole scan is reported.
 */
struct hscan_ctx {
	struct sl_client *c;
	const struct sl_resp_arg *pattern;
	uint64_t n;
	int emit;
};

static void hscan_field(void *arg, const uint8_t *f, size_t fl, const uint8_t *v, size_t vl)
{
	struct hscan_ctx *x = arg;

	if (x->pattern != NULL &&
	    !sl_cmd_glob(x->pattern->ptr, x->pattern->len, (const char *)f, fl))
		return;
	x->n++;
	if (x->emit) {
		reply_bulk(x->c, f, fl);
		reply_bulk(x->c, v, vl);
	}
}

void cmd_hscan(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	struct hscan_ctx x = {c, NULL, 0, 0};
	uint64_t cursor, size;
	uint32_t i;
	int rc;

	if (get_cursor_or_reply(c, &argv[2], &cursor) != 0)
		return;
	rc = sl_store_hlen(STORE(c), argv[1].ptr, argv[1].len, NOW(c), &size);
	if (rc != 0) {
		reply_store_error(c, rc);
		return;
	}
	if (size == 0) {
		reply_array_len(c, 2);
		reply_bulk(c, "0", 1);
		reply_array_len(c, 0);
		return;
	}
	for (i = 3; i < argc; i += 2) {
		long long count;

		if (i + 1 >= argc) {
			reply_error(c, ERR_SYNTAX);
			return;
		}
		if (arg_is(&argv[i], "count")) {
			if (get_ll_or_reply(c, &argv[i + 1], &count) != 0)
				return;
			if (count < 1) {
				reply_error(c, ERR_SYNTAX);
				return;
			}
		} else if (arg_is(&argv[i], "match")) {
			x.pattern = &argv[i + 1];
			if (x.pattern->len == 1 && x.pattern->ptr[0] == '*')
				x.pattern = NULL;
		} else {
			reply_error(c, ERR_SYNTAX);
			return;
		}
	}
	if (x.pattern != NULL)
		sl_store_hwalk(STORE(c), argv[1].ptr, argv[1].len, NOW(c), hscan_field, &x);
	else
		x.n = size;
	reply_array_len(c, 2);
	reply_bulk(c, "0", 1);
	reply_array_len(c, x.n * 2);
	x.emit = 1;
	x.n = 0;
	sl_store_hwalk(STORE(c), argv[1].ptr, argv[1].len, NOW(c), hscan_field, &x);
}
