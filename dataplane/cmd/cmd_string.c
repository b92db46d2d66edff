/*
 * String commands with Redis 7.0 semantics (t_string.c): option parsing,
 * error texts and reply types follow Redis; the store does the work.
 */
#include <errno.h>
#include <limits.h>

#include "dataplane/cmd/cmd_priv.h"

#define STR(c)  ((c)->eng->store)
#define NOW(c)  ((c)->eng->now_ms)
#define SELF(c) ((c)->eng->self)

void count_lookup(struct sl_client *c, int hit)
{
	if (hit)
		c->eng->stats.keyspace_hits++;
	else
		c->eng->stats.keyspace_misses++;
}

/* Replies the value of key the way GET does. Returns 0, or -EPROTOTYPE after
 * replying WRONGTYPE. */
static int get_generic(struct sl_client *c, const struct sl_resp_arg *key)
{
	struct sl_store_value v;
	int rc = sl_store_get(STR(c), key->ptr, key->len, NOW(c), &v);

	count_lookup(c, rc == 0);
	if (rc == 0)
		reply_value(c, &v);
	else if (rc == -ENOENT)
		reply_null(c);
	else
		reply_store_error(c, rc);
	return rc == -EPROTOTYPE ? rc : 0;
}

void cmd_get(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	get_generic(c, &argv[1]);
}

/* Expiry option units, as Redis's parseExtendedStringArgumentsOrReply. */
#define OPT_NX      (1u << 0)
#define OPT_XX      (1u << 1)
#define OPT_GET     (1u << 2)
#define OPT_KEEPTTL (1u << 3)
#define OPT_PERSIST (1u << 4)
#define OPT_EX      (1u << 5)
#define OPT_PX      (1u << 6)
#define OPT_EXAT    (1u << 7)
#define OPT_PXAT    (1u << 8)
#define OPT_EXPIRES (OPT_EX | OPT_PX | OPT_EXAT | OPT_PXAT)

enum str_cmd { STR_SET, STR_GETEX };

/*
 * Parses SET/GETEX options from argv[from..]. On error replies and returns
 * -EINVAL. *expire is the index of the expiry argument (0 = none).
 */
static int parse_options(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc,
			 uint32_t from, enum str_cmd type, unsigned *flags, uint32_t *expire)
{
	uint32_t j;

	*flags = 0;
	*expire = 0;
	for (j = from; j < argc; j++) {
		const struct sl_resp_arg *a = &argv[j];
		int has_next = j + 1 < argc;

		if (arg_is(a, "nx") && !(*flags & OPT_XX) && type == STR_SET) {
			*flags |= OPT_NX;
		} else if (arg_is(a, "xx") && !(*flags & OPT_NX) && type == STR_SET) {
			*flags |= OPT_XX;
		} else if (arg_is(a, "get") && type == STR_SET) {
			*flags |= OPT_GET;
		} else if (arg_is(a, "keepttl") && !(*flags & (OPT_PERSIST | OPT_EXPIRES)) &&
			   type == STR_SET) {
			*flags |= OPT_KEEPTTL;
		} else if (arg_is(a, "persist") && type == STR_GETEX &&
			   !(*flags & (OPT_EXPIRES | OPT_KEEPTTL))) {
			*flags |= OPT_PERSIST;
		} else if (arg_is(a, "ex") && has_next &&
			   !(*flags & (OPT_KEEPTTL | OPT_PERSIST | OPT_EXAT | OPT_PX | OPT_PXAT))) {
			*flags |= OPT_EX;
			*expire = ++j;
		} else if (arg_is(a, "px") && has_next &&
			   !(*flags & (OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_EXAT | OPT_PXAT))) {
			*flags |= OPT_PX;
			*expire = ++j;
		} else if (arg_is(a, "exat") && has_next &&
			   !(*flags & (OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_PX | OPT_PXAT))) {
			*flags |= OPT_EXAT;
			*expire = ++j;
		} else if (arg_is(a, "pxat") && has_next &&
			   !(*flags & (OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_EXAT | OPT_PX))) {
			*flags |= OPT_PXAT;
			*expire = ++j;
		} else {
			reply_error(c, ERR_SYNTAX);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Redis getExpireMillisecondsOrReply: the expiry as absolute unix ms.
 * Relative units add now; zero, negative or overflowing times answer
 * "invalid expire time in '<cmd>' command".
 */
static int expire_ms_or_reply(struct sl_client *c, const struct sl_resp_arg *arg, unsigned flags,
			      const char *cmd, uint64_t *at_ms)
{
	long long v;

	if (get_ll_or_reply(c, arg, &v) != 0)
		return -EINVAL;
	if (v <= 0 || ((flags & (OPT_EX | OPT_EXAT)) && v > LLONG_MAX / 1000))
		goto bad;
	if (flags & (OPT_EX | OPT_EXAT))
		v *= 1000;
	if (flags & (OPT_EX | OPT_PX)) {
		if (v > LLONG_MAX - (long long)NOW(c))
			goto bad;
		v += (long long)NOW(c);
	}
	*at_ms = (uint64_t)v;
	return 0;
bad:
	reply_errorf(c, "-ERR invalid expire time in '%s' command", cmd);
	return -EINVAL;
}

static void set_generic(struct sl_client *c, const struct sl_resp_arg *key,
			const struct sl_resp_arg *val, unsigned flags, uint64_t at_ms,
			int reply_int01)
{
	struct sl_store_set_opts o = {0, at_ms};
	struct sl_store_value old;
	int rc;

	if (flags & OPT_NX)
		o.flags |= SL_STORE_SET_NX;
	if (flags & OPT_XX)
		o.flags |= SL_STORE_SET_XX;
	if (flags & OPT_KEEPTTL)
		o.flags |= SL_STORE_SET_KEEPTTL;
	if (flags & OPT_GET)
		o.flags |= SL_STORE_SET_GET;
	if (flags & OPT_GET) /* the store fills old only for SET_GET */
		memset(&old, 0, sizeof(old));
	rc = sl_store_set(STR(c), SELF(c), key->ptr, key->len, val->ptr, val->len, &o, NOW(c),
			  &old);
	if (rc != 0 && rc != -EEXIST && rc != -ENOENT) {
		reply_store_error(c, rc);
		return;
	}
	if (flags & OPT_GET) {
		/* SET ... GET answers the old value whether or not it set. */
		if (old.type == SL_STORE_T_NONE)
			reply_null(c);
		else
			reply_bulk(c, old.ptr, old.len);
	} else if (reply_int01) {
		reply_int(c, rc == 0);
	} else if (rc == 0) {
		reply_ok(c);
	} else {
		reply_null(c);
	}
}

void cmd_set(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	unsigned flags;
	uint32_t exp;
	uint64_t at = 0;

	if (argc == 3) {
		/* plain SET key value: no options to parse */
		set_generic(c, &argv[1], &argv[2], 0, 0, 0);
		return;
	}
	if (parse_options(c, argv, argc, 3, STR_SET, &flags, &exp) != 0)
		return;
	if (exp != 0 && expire_ms_or_reply(c, &argv[exp], flags, "set", &at) != 0)
		return;
	set_generic(c, &argv[1], &argv[2], flags, at, 0);
}

void cmd_setnx(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	set_generic(c, &argv[1], &argv[2], OPT_NX, 0, 1);
}

static void setex_generic(struct sl_client *c, const struct sl_resp_arg *argv, unsigned unit,
			  const char *name)
{
	uint64_t at;

	if (expire_ms_or_reply(c, &argv[2], unit, name, &at) != 0)
		return;
	set_generic(c, &argv[1], &argv[3], 0, at, 0);
}

void cmd_setex(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	setex_generic(c, argv, OPT_EX, "setex");
}

void cmd_psetex(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	setex_generic(c, argv, OPT_PX, "psetex");
}

void cmd_getset(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	set_generic(c, &argv[1], &argv[2], OPT_GET, 0, 0);
}

void cmd_getdel(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	if (get_generic(c, &argv[1]) == 0)
		sl_store_del(STR(c), SELF(c), argv[1].ptr, argv[1].len, NOW(c));
}

void cmd_getex(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	struct sl_store_value v;
	unsigned flags;
	uint32_t exp;
	uint64_t at = 0;
	int rc;

	if (parse_options(c, argv, argc, 2, STR_GETEX, &flags, &exp) != 0)
		return;
	/* Redis getexCommand: options, then the key (nil, WRONGTYPE), and only
	 * then the expiry's value. */
	rc = sl_store_get(STR(c), argv[1].ptr, argv[1].len, NOW(c), &v);
	count_lookup(c, rc == 0);
	if (rc != 0) {
		if (rc == -ENOENT)
			reply_null(c);
		else
			reply_store_error(c, rc);
		return;
	}
	if (exp != 0 && expire_ms_or_reply(c, &argv[exp], flags, "getex", &at) != 0)
		return;
	reply_value(c, &v);
	if (exp != 0)
		sl_store_expire(STR(c), SELF(c), argv[1].ptr, argv[1].len, at, 0, NOW(c));
	else if (flags & OPT_PERSIST)
		sl_store_persist(STR(c), SELF(c), argv[1].ptr, argv[1].len, NOW(c));
}

void cmd_mget(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	uint32_t i;

	reply_array_len(c, argc - 1);
	for (i = 1; i < argc; i++) {
		struct sl_store_value v;
		int rc = sl_store_get(STR(c), argv[i].ptr, argv[i].len, NOW(c), &v);

		count_lookup(c, rc == 0);
		/* MGET answers nil for a key of another type, not WRONGTYPE. */
		if (rc == 0)
			reply_value(c, &v);
		else
			reply_null(c);
	}
}

static void mset_generic(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc, int nx)
{
	struct sl_store_set_opts o = {0, 0};
	uint32_t i;
	int rc;

	if ((argc % 2) == 0) {
		reply_errorf(c, "-ERR wrong number of arguments for '%s' command",
			     nx ? "msetnx" : "mset");
		return;
	}
	if (nx) {
		for (i = 1; i < argc; i += 2) {
			if (sl_store_exists(STR(c), argv[i].ptr, argv[i].len, NOW(c))) {
				reply_int(c, 0);
				return;
			}
		}
	}
	for (i = 1; i < argc; i += 2) {
		rc = sl_store_set(STR(c), SELF(c), argv[i].ptr, argv[i].len, argv[i + 1].ptr,
				  argv[i + 1].len, &o, NOW(c), NULL);
		if (rc != 0) {
			reply_store_error(c, rc);
			return;
		}
	}
	if (nx)
		reply_int(c, 1);
	else
		reply_ok(c);
}

void cmd_mset(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	mset_generic(c, argv, argc, 0);
}

void cmd_msetnx(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	mset_generic(c, argv, argc, 1);
}

/* Current string length (0 if absent); -EPROTOTYPE after replying WRONGTYPE. */
static int strlen_or_reply(struct sl_client *c, const struct sl_resp_arg *key, size_t *len)
{
	struct sl_store_value v;
	int rc = sl_store_get(STR(c), key->ptr, key->len, NOW(c), &v);

	*len = rc == 0 ? v.len : 0;
	if (rc == -EPROTOTYPE) {
		reply_store_error(c, rc);
		return rc;
	}
	return 0;
}

void cmd_append(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	size_t cur, newlen;
	int rc;

	(void)argc;
	if (strlen_or_reply(c, &argv[1], &cur) != 0)
		return;
	if ((int64_t)(cur + argv[2].len) > c->eng->shared->limits.max_bulk_len) {
		reply_error(c, ERR_STR_TOOBIG);
		return;
	}
	rc = sl_store_append(STR(c), SELF(c), argv[1].ptr, argv[1].len, argv[2].ptr, argv[2].len,
			     NOW(c), &newlen);
	if (rc != 0)
		reply_store_error(c, rc);
	else
		reply_int(c, (int64_t)newlen);
}

void cmd_strlen(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	size_t len;

	(void)argc;
	count_lookup(c, sl_store_exists(STR(c), argv[1].ptr, argv[1].len, NOW(c)));
	if (strlen_or_reply(c, &argv[1], &len) == 0)
		reply_int(c, (int64_t)len);
}

void cmd_getrange(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	struct sl_store_value v;
	long long start, end;
	int rc;

	(void)argc;
	if (get_ll_or_reply(c, &argv[2], &start) != 0 || get_ll_or_reply(c, &argv[3], &end) != 0)
		return;
	count_lookup(c, sl_store_exists(STR(c), argv[1].ptr, argv[1].len, NOW(c)));
	rc = sl_store_getrange(STR(c), argv[1].ptr, argv[1].len, start, end, NOW(c), &v);
	if (rc != 0)
		reply_store_error(c, rc);
	else
		reply_value(c, &v);
}

void cmd_setrange(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	long long off;
	size_t cur, newlen;
	int rc;

	(void)argc;
	if (get_ll_or_reply(c, &argv[2], &off) != 0)
		return;
	if (off < 0) {
		reply_error(c, "-ERR offset is out of range");
		return;
	}
	if (strlen_or_reply(c, &argv[1], &cur) != 0)
		return;
	if (argv[3].len == 0) {
		/* Nothing to write: the length as it is, and no key is created. */
		reply_int(c, (int64_t)cur);
		return;
	}
	if ((uint64_t)off + argv[3].len > (uint64_t)c->eng->shared->limits.max_bulk_len) {
		reply_error(c, ERR_STR_TOOBIG);
		return;
	}
	rc = sl_store_setrange(STR(c), SELF(c), argv[1].ptr, argv[1].len, (uint64_t)off,
			       argv[3].ptr, argv[3].len, NOW(c), &newlen);
	if (rc != 0)
		reply_store_error(c, rc);
	else
		reply_int(c, (int64_t)newlen);
}

static void incr_generic(struct sl_client *c, const struct sl_resp_arg *key, long long delta)
{
	int64_t result;
	int rc = sl_store_incrby(STR(c), SELF(c), key->ptr, key->len, delta, NOW(c), &result);

	if (rc != 0)
		reply_store_error(c, rc);
	else
		reply_int(c, result);
}

void cmd_incr(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	incr_generic(c, &argv[1], 1);
}

void cmd_decr(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	incr_generic(c, &argv[1], -1);
}

void cmd_incrby(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	long long d;

	(void)argc;
	if (get_ll_or_reply(c, &argv[2], &d) == 0)
		incr_generic(c, &argv[1], d);
}

void cmd_decrby(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	long long d;

	(void)argc;
	if (get_ll_or_reply(c, &argv[2], &d) != 0)
		return;
	if (d == LLONG_MIN) {
		reply_error(c, "-ERR decrement would overflow");
		return;
	}
	incr_generic(c, &argv[1], -d);
}

void cmd_incrbyfloat(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	struct sl_store_value v, cur;
	long double d, have;
	int rc;

	(void)argc;
	/* Redis incrbyfloatCommand: the key's type, then its value, then the increment. */
	rc = sl_store_get(STR(c), argv[1].ptr, argv[1].len, NOW(c), &cur);
	if (rc == -EPROTOTYPE) {
		reply_store_error(c, rc);
		return;
	}
	if (rc == 0) {
		struct sl_resp_arg a = {(const char *)cur.ptr, cur.len, 0};

		if (parse_ld(&a, &have) != 0) {
			reply_error(c, ERR_NOT_FLOAT);
			return;
		}
	}
	if (parse_ld(&argv[2], &d) != 0) {
		reply_error(c, ERR_NOT_FLOAT);
		return;
	}
	rc = sl_store_incrbyfloat(STR(c), SELF(c), argv[1].ptr, argv[1].len, d, NOW(c), &v);
	if (rc == 0) {
		reply_bulk(c, v.ptr, v.len);
		return;
	}
	if (rc != -EINVAL) {
		reply_store_error(c, rc);
		return;
	}
	/* Either the stored value is not a float, or the sum is not finite. */
	if (sl_store_get(STR(c), argv[1].ptr, argv[1].len, NOW(c), &cur) == 0) {
		struct sl_resp_arg a = {(const char *)cur.ptr, cur.len, 0};

		if (parse_ld(&a, &have) != 0) {
			reply_error(c, ERR_NOT_FLOAT);
			return;
		}
	}
	reply_error(c, ERR_NAN);
}
