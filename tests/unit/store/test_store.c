/*
 * Unit tests for the store: table, items, strings, expiry, integer encoding,
 * hashes, QSBR reclamation, accounting, the eight maxmemory policies, SCAN
 * under resize, lazy flush. Expected values come from Redis's documented
 * behaviour (command docs examples), not from running the code.
 * No EAL needed: the store does not depend on DPDK.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/store/ship.h"
#include "dataplane/store/store.h"
#include <pthread.h>

#define NOW 1700000000000ull /* an arbitrary unix time in ms */

static struct sl_store *mk(unsigned parts, uint64_t maxmem, enum sl_store_policy pol)
{
	struct sl_store_config c;
	sl_store_config_default(&c);
	c.n_parts = parts;
	c.maxmemory = maxmem;
	c.policy = pol;
	struct sl_store *s = sl_store_create(&c);
	assert_non_null(s);
	for (unsigned i = 0; i < parts; i++)
		assert_int_equal(sl_store_reader_online(s, i), 0);
	return s;
}

static void done(struct sl_store **s)
{
	for (unsigned i = 0; i < sl_store_n_parts(*s) + 1; i++)
		sl_store_reader_offline(*s, i);
	sl_store_destroy(s);
	assert_null(*s);
}

/* Run every partition's housekeeping after every reader's quiescent state. */
static void settle(struct sl_store *s, uint64_t now, unsigned rounds)
{
	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < sl_store_n_parts(s); i++)
			sl_store_quiescent(s, i);
		for (unsigned i = 0; i < sl_store_n_parts(s); i++)
			sl_store_maintain(s, i, now);
	}
}

static unsigned owner(struct sl_store *s, const char *k)
{
	return sl_store_part_of(s, sl_store_hash(k, strlen(k)));
}

static int set(struct sl_store *s, const char *k, const char *v, unsigned flags, uint64_t at)
{
	struct sl_store_set_opts o = {.flags = flags, .expire_at_ms = at};
	struct sl_store_value old;
	return sl_store_set(s, owner(s, k), k, strlen(k), v, strlen(v), &o, NOW, &old);
}

static void assert_get(struct sl_store *s, const char *k, const char *want, uint64_t now)
{
	struct sl_store_value v;
	if (want == NULL) {
		assert_int_equal(sl_store_get(s, k, strlen(k), now, &v), -ENOENT);
		return;
	}
	assert_int_equal(sl_store_get(s, k, strlen(k), now, &v), 0);
	assert_int_equal(v.len, strlen(want));
	assert_memory_equal(v.ptr, want, v.len);
}

static uint64_t total_stat(struct sl_store *s, size_t off)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < sl_store_n_parts(s); i++) {
		struct sl_store_stats st;
		sl_store_part_stats(s, i, &st);
		t += *(uint64_t *)((char *)&st + off);
	}
	return t;
}
#define TOTAL(s, f) total_stat((s), offsetof(struct sl_store_stats, f))

/* --- table and items ------------------------------------------------------------ */

static void test_hash_spread(void **state)
{
	(void)state;
	/* different keys, same length: different hashes; same key: same hash */
	assert_int_equal(sl_store_hash("abc", 3), sl_store_hash("abc", 3));
	assert_int_not_equal(sl_store_hash("abc", 3), sl_store_hash("abd", 3));
	assert_int_not_equal(sl_store_hash("", 0), sl_store_hash("a", 1));
	/* partitions are used evenly enough: every one of 4 gets >= 15% of 4000 keys */
	struct sl_store *s = mk(4, 0, SL_STORE_NOEVICTION);
	unsigned cnt[4] = {0};
	char k[32];
	for (int i = 0; i < 4000; i++) {
		snprintf(k, sizeof(k), "key:%d", i);
		cnt[owner(s, k)]++;
	}
	for (int i = 0; i < 4; i++)
		assert_true(cnt[i] >= 600);
	done(&s);
}

static void test_set_get_del_many(void **state)
{
	(void)state;
	struct sl_store *s = mk(2, 0, SL_STORE_NOEVICTION);
	char k[32], v[64];
	const int n = 20000; /* from 16 buckets: many incremental resizes */
	for (int i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "key:%08d", i);
		snprintf(v, sizeof(v), "value-%d-%s", i,
			 (i % 3) ? "abcdefghijklmnopqrstuvwxyz" : "");
		assert_int_equal(set(s, k, v, 0, 0), 0);
		if (i % 64 == 0)
			settle(s, NOW, 1);
	}
	assert_int_equal(sl_store_dbsize(s), n);
	for (int i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "key:%08d", i);
		snprintf(v, sizeof(v), "value-%d-%s", i,
			 (i % 3) ? "abcdefghijklmnopqrstuvwxyz" : "");
		assert_get(s, k, v, NOW);
	}
	assert_get(s, "nope", NULL, NOW);
	for (int i = 0; i < n; i += 2) {
		snprintf(k, sizeof(k), "key:%08d", i);
		assert_int_equal(sl_store_del(s, owner(s, k), k, strlen(k), NOW), 0);
		assert_int_equal(sl_store_del(s, owner(s, k), k, strlen(k), NOW), -ENOENT);
	}
	assert_int_equal(sl_store_dbsize(s), n / 2);
	for (int i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "key:%08d", i);
		assert_int_equal(sl_store_exists(s, k, strlen(k), NOW), i % 2);
	}
	settle(s, NOW, 2000);
	assert_int_equal(TOTAL(s, resizing), 0);
	assert_true(TOTAL(s, buckets) * 4 >= (uint64_t)n); /* grew to the load limit */
	done(&s);
}

static void test_wrong_partition(void **state)
{
	(void)state;
	struct sl_store *s = mk(4, 0, SL_STORE_NOEVICTION);
	const char *k = "somekey";
	unsigned other = (owner(s, k) + 1) % 4;
	struct sl_store_value old;
	assert_int_equal(sl_store_set(s, other, k, 7, "v", 1, NULL, NOW, &old), -EXDEV);
	assert_int_equal(sl_store_del(s, other, k, 7, NOW), -EXDEV);
	int64_t r;
	assert_int_equal(sl_store_incrby(s, other, k, 7, 1, NOW, &r), -EXDEV);
	done(&s);
}

static void test_set_options(void **state)
{
	(void)state;
	struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
	struct sl_store_value old;
	struct sl_store_set_opts o = {0};
	/* SET k v XX on a missing key: not set */
	assert_int_equal(set(s, "k", "v1", SL_STORE_SET_XX, 0), -ENOENT);
	assert_get(s, "k", NULL, NOW);
	assert_int_equal(set(s, "k", "v1", SL_STORE_SET_NX, 0), 0);
	assert_int_equal(set(s, "k", "v2", SL_STORE_SET_NX, 0), -EEXIST);
	assert_get(s, "k", "v1", NOW);
	assert_int_equal(set(s, "k", "v3", SL_STORE_SET_XX, 0), 0);
	assert_get(s, "k", "v3", NOW);
	/* SET ... GET returns the old value */
	o.flags = SL_STORE_SET_GET;
	assert_int_equal(sl_store_set(s, 0, "k", 1, "v4", 2, &o, NOW, &old), 0);
	assert_int_equal(old.type, SL_STORE_T_STRING);
	assert_int_equal(old.len, 2);
	assert_memory_equal(old.ptr, "v3", 2);
	assert_int_equal(sl_store_set(s, 0, "new", 3, "x", 1, &o, NOW, &old), 0);
	assert_int_equal(old.type, SL_STORE_T_NONE);
	/* KEEPTTL keeps the expiry; a plain SET clears it */
	assert_int_equal(set(s, "t", "a", 0, NOW + 5000), 0);
	int64_t ttl;
	assert_int_equal(sl_store_pttl(s, "t", 1, NOW, &ttl), 0);
	assert_int_equal(ttl, 5000);
	assert_int_equal(set(s, "t", "b", SL_STORE_SET_KEEPTTL, 0), 0);
	assert_int_equal(sl_store_pttl(s, "t", 1, NOW, &ttl), 0);
	assert_int_equal(ttl, 5000);
	assert_int_equal(set(s, "t", "c", 0, 0), 0);
	assert_int_equal(sl_store_pttl(s, "t", 1, NOW, &ttl), 0);
	assert_int_equal(ttl, -1);
	assert_int_equal(sl_store_pttl(s, "missing", 7, NOW, &ttl), -ENOENT);
	/* GET on a hash is WRONGTYPE, and SET ... GET on a hash too */
	struct sl_store_field f = {"f", 1, "v", 1};
	unsigned added;
	assert_int_equal(sl_store_hset(s, 0, "h", 1, &f, 1, NOW, &added), 0);
	assert_int_equal(sl_store_get(s, "h", 1, NOW, &old), -EPROTOTYPE);
	assert_int_equal(sl_store_set(s, 0, "h", 1, "x", 1, &o, NOW, &old), -EPROTOTYPE);
	assert_int_equal(sl_store_type(s, "h", 1, NOW), SL_STORE_T_HASH);
	assert_int_equal(sl_store_type(s, "k", 1, NOW), SL_STORE_T_STRING);
	assert_int_equal(sl_store_type(s, "zz", 2, NOW), SL_STORE_T_NONE);
	/* plain SET overwrites any type */
	assert_int_equal(set(s, "h", "str", 0, 0), 0);
	assert_get(s, "h", "str", NOW);
	done(&s);
}

static void test_bulk_get(void **state)
{
	(void)state;
	struct sl_store *s = mk(2, 0, SL_STORE_NOEVICTION);
	char kb[64][16];
	struct sl_store_key keys[64];
	struct sl_store_value vals[64];
	for (int i = 0; i < 64; i++) {
		snprintf(kb[i], sizeof(kb[i]), "bk%d", i);
		if (i % 3 != 0)
			assert_int_equal(set(s, kb[i], kb[i], 0, 0), 0);
		keys[i].ptr = kb[i];
		keys[i].len = strlen(kb[i]);
		keys[i].hash = sl_store_hash(kb[i], keys[i].len);
	}
	uint64_t mask = 0;
	unsigned hits = sl_store_get_bulk(s, keys, 64, NOW, vals, &mask);
	assert_int_equal(hits, 42); /* i % 3 != 0 for 42 of 0..63 */
	for (int i = 0; i < 64; i++) {
		assert_int_equal((mask >> i) & 1, i % 3 != 0);
		if (i % 3 != 0) {
			assert_int_equal(vals[i].len, strlen(kb[i]));
			assert_memory_equal(vals[i].ptr, kb[i], vals[i].len);
		}
	}
	done(&s);
}

/* --- QSBR reclamation ---------------------------------------------------------- */

static void test_reclaim_waits_for_readers(void **state)
{
	(void)state;
	struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
	const unsigned extra = 1; /* reader id 1: another thread's slot */
	assert_int_equal(sl_store_reader_online(s, extra), 0);
	assert_int_equal(set(s, "k", "old", 0, 0), 0);
	struct sl_store_value v;
	assert_int_equal(sl_store_get(s, "k", 1, NOW, &v), 0); /* reader 1 borrows */
	assert_int_equal(set(s, "k", "new", 0, 0), 0);
	struct sl_store_stats st;
	sl_store_part_stats(s, 0, &st);
	assert_int_equal(st.retired_pending, 1);
	/* owner passes quiescent states but reader 1 does not: nothing freed */
	for (int i = 0; i < 5; i++) {
		sl_store_quiescent(s, 0);
		sl_store_maintain(s, 0, NOW);
	}
	sl_store_part_stats(s, 0, &st);
	assert_int_equal(st.retired_pending, 1);
	assert_memory_equal(v.ptr, "old", 3); /* still readable */
	/* reader 1 announces a quiescent state: the next maintain frees it */
	sl_store_quiescent(s, extra);
	sl_store_maintain(s, 0, NOW);
	sl_store_part_stats(s, 0, &st);
	assert_int_equal(st.retired_pending, 0);
	/* an offline reader blocks nothing */
	assert_int_equal(set(s, "k", "newer", 0, 0), 0);
	sl_store_reader_offline(s, extra);
	settle(s, NOW, 2);
	sl_store_part_stats(s, 0, &st);
	assert_int_equal(st.retired_pending, 0);
	done(&s);
}

/* --- expiry ---------------------------------------------------------------------- */

static void test_expiry(void **state)
{
	(void)state;
	struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
	int64_t ttl;
	assert_int_equal(set(s, "k", "v", 0, 0), 0);
	/* PEXPIREAT in the future: present until then (Redis: expired when now > at) */
	assert_int_equal(sl_store_expire(s, 0, "k", 1, NOW + 100, 0, NOW), 0);
	assert_int_equal(sl_store_pttl(s, "k", 1, NOW, &ttl), 0);
	assert_int_equal(ttl, 100);
	assert_get(s, "k", "v", NOW + 100);
	assert_get(s, "k", NULL, NOW + 101);
	assert_int_equal(sl_store_exists(s, "k", 1, NOW + 101), 0);
	/* flags: NX fails when a TTL exists, XX fails when none, GT/LT compare */
	assert_int_equal(sl_store_expire(s, 0, "k", 1, NOW + 50, SL_STORE_EXPIRE_NX, NOW),
			 -EALREADY);
	assert_int_equal(sl_store_expire(s, 0, "k", 1, NOW + 50, SL_STORE_EXPIRE_GT, NOW),
			 -EALREADY);
	assert_int_equal(sl_store_expire(s, 0, "k", 1, NOW + 50, SL_STORE_EXPIRE_LT, NOW), 0);
	assert_int_equal(sl_store_pttl(s, "k", 1, NOW, &ttl), 0);
	assert_int_equal(ttl, 50);
	assert_int_equal(sl_store_persist(s, 0, "k", 1, NOW), 0);
	assert_int_equal(sl_store_persist(s, 0, "k", 1, NOW), -EALREADY);
	assert_int_equal(sl_store_pttl(s, "k", 1, NOW, &ttl), 0);
	assert_int_equal(ttl, -1);
	assert_int_equal(sl_store_expire(s, 0, "k", 1, NOW + 50, SL_STORE_EXPIRE_XX, NOW),
			 -EALREADY);
	/* GT on a key without TTL fails (no TTL = infinite) */
	assert_int_equal(sl_store_expire(s, 0, "k", 1, NOW + 50, SL_STORE_EXPIRE_GT, NOW),
			 -EALREADY);
	/* a time in the past deletes the key */
	assert_int_equal(sl_store_expire(s, 0, "k", 1, NOW - 1, 0, NOW), 0);
	assert_int_equal(sl_store_exists(s, "k", 1, NOW), 0);
	assert_int_equal(sl_store_expire(s, 0, "k", 1, NOW + 5, 0, NOW), -ENOENT);
	/* integer-encoded keys keep their value across an added TTL */
	assert_int_equal(set(s, "n", "41", 0, 0), 0);
	assert_int_equal(sl_store_expire(s, 0, "n", 1, NOW + 10, 0, NOW), 0);
	int64_t r;
	assert_int_equal(sl_store_incrby(s, 0, "n", 1, 1, NOW, &r), 0);
	assert_int_equal(r, 42);
	assert_int_equal(sl_store_pttl(s, "n", 1, NOW, &ttl), 0);
	assert_int_equal(ttl, 10);
	/* an expired key is absent to writers too: INCR starts from 0 */
	assert_int_equal(sl_store_incrby(s, 0, "n", 1, 1, NOW + 11, &r), 0);
	assert_int_equal(r, 1);
	done(&s);
}

static void test_active_expiry(void **state)
{
	(void)state;
	struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
	char k[32];
	for (int i = 0; i < 3000; i++) {
		snprintf(k, sizeof(k), "e:%d", i);
		assert_int_equal(set(s, k, "v", 0, i < 2000 ? NOW + 10 : 0), 0);
	}
	settle(s, NOW, 500); /* finish the resizes */
	assert_int_equal(TOTAL(s, volatile_keys), 2000);
	/* one step is bounded: it does not remove everything at once */
	sl_store_maintain(s, 0, NOW + 20);
	uint64_t left = TOTAL(s, keys);
	assert_true(left < 3000);
	assert_true(left > 1000);
	/* repeated steps reach every expired key; persistent keys stay */
	settle(s, NOW + 20, 200);
	assert_int_equal(TOTAL(s, keys), 1000);
	assert_int_equal(TOTAL(s, volatile_keys), 0);
	assert_int_equal(TOTAL(s, expired), 2000);
	done(&s);
}

static void test_active_expiry_during_resize(void **state)
{
	(void)state;
	struct sl_store_config c;
	sl_store_config_default(&c);
	c.resize_step = 1; /* slow migration: the resize stays in progress */
	struct sl_store *s = sl_store_create(&c);
	assert_non_null(s);
	assert_int_equal(sl_store_reader_online(s, 0), 0);
	char k[32];
	/* growth to 1024 buckets starts at key 2049 and migrates one bucket per
	 * insert: at 2500 keys it is still in progress */
	for (int i = 0; i < 2500; i++) {
		snprintf(k, sizeof(k), "r:%d", i);
		assert_int_equal(set(s, k, "v", 0, NOW + 10), 0);
	}
	struct sl_store_stats st;
	sl_store_part_stats(s, 0, &st);
	assert_int_equal(st.resizing, 1);
	sl_store_maintain(s, 0, NOW + 20);
	sl_store_part_stats(s, 0, &st);
	assert_int_equal(st.resizing, 1); /* still migrating ... */
	assert_true(st.expired > 0);      /* ... and expiry ran anyway */
	settle(s, NOW + 20, 3000);
	sl_store_part_stats(s, 0, &st);
	assert_int_equal(st.keys, 0);
	assert_int_equal(st.expired, 2500);
	sl_store_reader_offline(s, 0);
	sl_store_destroy(&s);
}

/* --- strings: integers, floats, ranges -------------------------------------------- */

static void test_incr(void **state)
{
	(void)state;
	struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
	struct sl_store_value v;
	int64_t r;
	/* Redis INCR docs: SET mykey "10"; INCR mykey -> 11; GET mykey -> "11" */
	assert_int_equal(set(s, "mykey", "10", 0, 0), 0);
	assert_int_equal(sl_store_get(s, "mykey", 5, NOW, &v), 0);
	assert_int_equal(v.enc, SL_STORE_ENC_INT);
	assert_int_equal(sl_store_incrby(s, 0, "mykey", 5, 1, NOW, &r), 0);
	assert_int_equal(r, 11);
	assert_get(s, "mykey", "11", NOW);
	/* DECRBY docs: SET mykey "10"; DECRBY mykey 3 -> 7 */
	assert_int_equal(set(s, "mykey", "10", 0, 0), 0);
	assert_int_equal(sl_store_incrby(s, 0, "mykey", 5, -3, NOW, &r), 0);
	assert_int_equal(r, 7);
	/* missing key counts as 0 */
	assert_int_equal(sl_store_incrby(s, 0, "fresh", 5, -5, NOW, &r), 0);
	assert_int_equal(r, -5);
	/* not an integer: "234293482390480948029348230948" is out of range, per the docs */
	assert_int_equal(set(s, "big", "234293482390480948029348230948", 0, 0), 0);
	assert_int_equal(sl_store_incrby(s, 0, "big", 3, 1, NOW, &r), -EINVAL);
	const char *bad[] = {"abc", " 1", "1 ", "+1", "01", "-0", "", "1.5"};
	for (size_t i = 0; i < SL_ARRAY_SIZE(bad); i++) {
		assert_int_equal(set(s, "b", bad[i], 0, 0), 0);
		assert_int_equal(sl_store_incrby(s, 0, "b", 1, 1, NOW, &r), -EINVAL);
		assert_get(s, "b", bad[i], NOW); /* raw strings come back byte for byte */
	}
	/* overflow both ways */
	assert_int_equal(set(s, "m", "9223372036854775807", 0, 0), 0);
	assert_int_equal(sl_store_incrby(s, 0, "m", 1, 1, NOW, &r), -EOVERFLOW);
	assert_int_equal(set(s, "m", "-9223372036854775808", 0, 0), 0);
	assert_get(s, "m", "-9223372036854775808", NOW);
	assert_int_equal(sl_store_incrby(s, 0, "m", 1, -1, NOW, &r), -EOVERFLOW);
	/* canonical integers are stored encoded and read back byte for byte */
	const char *ints[] = {"0",
			      "-1",
			      "7",
			      "10",
			      "9223372036854775807",
			      "-9223372036854775808",
			      "1000000000000"};
	for (size_t i = 0; i < SL_ARRAY_SIZE(ints); i++) {
		assert_int_equal(set(s, "iv", ints[i], 0, 0), 0);
		assert_int_equal(sl_store_get(s, "iv", 2, NOW, &v), 0);
		assert_int_equal(v.enc, SL_STORE_ENC_INT);
		assert_get(s, "iv", ints[i], NOW);
	}
	/* a raw string holding an int converts on INCR */
	assert_int_equal(set(s, "x", "5", 0, 0), 0);
	assert_int_equal(sl_store_incrby(s, 0, "x", 1, 100, NOW, &r), 0);
	assert_get(s, "x", "105", NOW);
	done(&s);
}

static void test_incrbyfloat(void **state)
{
	(void)state;
	struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
	struct sl_store_value v;
	/* Redis INCRBYFLOAT docs: SET mykey 10.50; INCRBYFLOAT mykey 0.1 -> "10.6";
	 * INCRBYFLOAT mykey -5 -> "5.6"; SET mykey 5.0e3; INCRBYFLOAT mykey 2.0e2 -> "5200" */
	assert_int_equal(set(s, "mykey", "10.50", 0, 0), 0);
	assert_int_equal(sl_store_incrbyfloat(s, 0, "mykey", 5, 0.1L, NOW, &v), 0);
	assert_int_equal(v.len, 4);
	assert_memory_equal(v.ptr, "10.6", 4);
	assert_int_equal(sl_store_incrbyfloat(s, 0, "mykey", 5, -5.0L, NOW, &v), 0);
	assert_int_equal(v.len, 3);
	assert_memory_equal(v.ptr, "5.6", 3);
	assert_int_equal(set(s, "mykey", "5.0e3", 0, 0), 0);
	assert_int_equal(sl_store_incrbyfloat(s, 0, "mykey", 5, 2.0e2L, NOW, &v), 0);
	assert_int_equal(v.len, 4);
	assert_memory_equal(v.ptr, "5200", 4);
	assert_get(s, "mykey", "5200", NOW);
	assert_int_equal(set(s, "bad", "abc", 0, 0), 0);
	assert_int_equal(sl_store_incrbyfloat(s, 0, "bad", 3, 1.0L, NOW, &v), -EINVAL);
	done(&s);
}

static void test_append_setrange_getrange(void **state)
{
	(void)state;
	struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
	size_t n;
	struct sl_store_value v;
	/* APPEND docs: APPEND mykey "Hello" -> 5; APPEND mykey " World" -> 11 */
	assert_int_equal(sl_store_append(s, 0, "mykey", 5, "Hello", 5, NOW, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(sl_store_append(s, 0, "mykey", 5, " World", 6, NOW, &n), 0);
	assert_int_equal(n, 11);
	assert_get(s, "mykey", "Hello World", NOW);
	/* SETRANGE docs: SET key1 "Hello World"; SETRANGE key1 6 "Redis" -> 11, "Hello Redis" */
	assert_int_equal(sl_store_setrange(s, 0, "mykey", 5, 6, "Redis", 5, NOW, &n), 0);
	assert_int_equal(n, 11);
	assert_get(s, "mykey", "Hello Redis", NOW);
	/* SETRANGE key2 6 "Redis" on a missing key -> 11, "\0\0\0\0\0\0Redis" */
	assert_int_equal(sl_store_setrange(s, 0, "key2", 4, 6, "Redis", 5, NOW, &n), 0);
	assert_int_equal(n, 11);
	assert_int_equal(sl_store_get(s, "key2", 4, NOW, &v), 0);
	assert_int_equal(v.len, 11);
	assert_memory_equal(v.ptr, "\0\0\0\0\0\0Redis", 11);
	/* APPEND on an integer-encoded value works on its text */
	assert_int_equal(set(s, "num", "12", 0, 0), 0);
	assert_int_equal(sl_store_append(s, 0, "num", 3, "3", 1, NOW, &n), 0);
	assert_get(s, "num", "123", NOW);
	/* GETRANGE docs: SET mykey "This is a string" */
	assert_int_equal(set(s, "mykey", "This is a string", 0, 0), 0);
	static const struct {
		int64_t a, b;
		const char *want;
	} cases[] = {
		{0, 3, "This"},      {-3, -1, "ing"}, {0, -1, "This is a string"},
		{10, 100, "string"}, {5, 3, ""},      {-1, -5, ""},
		{100, 200, ""},
	};
	for (size_t i = 0; i < SL_ARRAY_SIZE(cases); i++) {
		assert_int_equal(sl_store_getrange(s, "mykey", 5, cases[i].a, cases[i].b, NOW, &v),
				 0);
		assert_int_equal(v.len, strlen(cases[i].want));
		assert_memory_equal(v.ptr, cases[i].want, v.len);
	}
	assert_int_equal(sl_store_getrange(s, "none", 4, 0, -1, NOW, &v), 0);
	assert_int_equal(v.len, 0);
	done(&s);
}

static void test_rename(void **state)
{
	(void)state;
	struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
	int64_t ttl;
	assert_int_equal(set(s, "a", "1", 0, NOW + 1000), 0);
	assert_int_equal(set(s, "b", "2", 0, 0), 0);
	assert_int_equal(sl_store_rename(s, 0, "a", 1, "b", 1, 1, NOW), -EEXIST);
	assert_int_equal(sl_store_rename(s, 0, "a", 1, "c", 1, 0, NOW), 0);
	assert_get(s, "a", NULL, NOW);
	assert_get(s, "c", "1", NOW);
	assert_int_equal(sl_store_pttl(s, "c", 1, NOW, &ttl), 0);
	assert_int_equal(ttl, 1000); /* RENAME keeps the TTL */
	assert_int_equal(sl_store_rename(s, 0, "c", 1, "b", 1, 0, NOW), 0);
	assert_get(s, "b", "1", NOW);
	assert_int_equal(sl_store_dbsize(s), 1);
	assert_int_equal(sl_store_rename(s, 0, "zz", 2, "b", 1, 0, NOW), -ENOENT);
	done(&s);
}

/* --- hashes ----------------------------------------------------------------------- */

struct walk_count {
	unsigned n;
	unsigned sum;
};

static void walk_cb(void *arg, const uint8_t *f, size_t flen, const uint8_t *v, size_t vlen)
{
	struct walk_count *w = arg;
	char buf[32];
	assert_true(vlen < sizeof(buf));
	memcpy(buf, v, vlen);
	buf[vlen] = '\0';
	(void)f;
	(void)flen;
	w->n++;
	w->sum += (unsigned)atoi(buf);
}

static void test_hash_small_and_large(void **state)
{
	(void)state;
	struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
	unsigned added, removed;
	uint64_t n;
	struct sl_store_value v;
	/* HSET docs: HSET myhash field1 "Hello" -> 1; HGET myhash field1 -> "Hello" */
	struct sl_store_field f1 = {"field1", 6, "Hello", 5};
	assert_int_equal(sl_store_hset(s, 0, "myhash", 6, &f1, 1, NOW, &added), 0);
	assert_int_equal(added, 1);
	assert_int_equal(sl_store_hget(s, "myhash", 6, "field1", 6, NOW, &v), 0);
	assert_int_equal(v.len, 5);
	assert_memory_equal(v.ptr, "Hello", 5);
	/* overwrite: added 0; duplicate fields in one call count once, last wins */
	struct sl_store_field two[] = {
		{"field1", 6, "Hi", 2}, {"f2", 2, "a", 1}, {"f2", 2, "b", 1}};
	assert_int_equal(sl_store_hset(s, 0, "myhash", 6, two, 3, NOW, &added), 0);
	assert_int_equal(added, 1);
	assert_int_equal(sl_store_hget(s, "myhash", 6, "f2", 2, NOW, &v), 0);
	assert_memory_equal(v.ptr, "b", 1);
	assert_int_equal(sl_store_hlen(s, "myhash", 6, NOW, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(sl_store_hget(s, "myhash", 6, "nof", 3, NOW, &v), -ENOENT);
	/* grow past hash_max_listpack_entries (128): becomes a table, all fields kept */
	char fb[32], vb[32];
	unsigned want_sum = 0;
	for (int i = 0; i < 1000; i++) {
		snprintf(fb, sizeof(fb), "f:%d", i);
		snprintf(vb, sizeof(vb), "%d", i);
		struct sl_store_field f = {fb, strlen(fb), vb, strlen(vb)};
		assert_int_equal(sl_store_hset(s, 0, "big", 3, &f, 1, NOW, &added), 0);
		assert_int_equal(added, 1);
		want_sum += (unsigned)i;
		if (i == 127) {
			assert_int_equal(sl_store_hlen(s, "big", 3, NOW, &n), 0);
			assert_int_equal(n, 128);
		}
	}
	assert_int_equal(sl_store_hlen(s, "big", 3, NOW, &n), 0);
	assert_int_equal(n, 1000);
	struct walk_count w = {0, 0};
	assert_int_equal(sl_store_hwalk(s, "big", 3, NOW, walk_cb, &w), 1000);
	assert_int_equal(w.n, 1000);
	assert_int_equal(w.sum, want_sum);
	/* a value longer than hash_max_listpack_value (64) converts too */
	char longv[65];
	memset(longv, 'x', sizeof(longv));
	struct sl_store_field lf = {"lf", 2, longv, 65};
	assert_int_equal(sl_store_hset(s, 0, "lh", 2, &lf, 1, NOW, &added), 0);
	assert_int_equal(sl_store_hget(s, "lh", 2, "lf", 2, NOW, &v), 0);
	assert_int_equal(v.len, 65);
	/* HINCRBY docs: HSET myhash field 5; HINCRBY myhash field 1 -> 6; -1 -> 5; -10 -> -5 */
	struct sl_store_field ff = {"field", 5, "5", 1};
	int64_t r;
	assert_int_equal(sl_store_hset(s, 0, "myhash", 6, &ff, 1, NOW, &added), 0);
	assert_int_equal(sl_store_hincrby(s, 0, "myhash", 6, "field", 5, 1, NOW, &r), 0);
	assert_int_equal(r, 6);
	assert_int_equal(sl_store_hincrby(s, 0, "myhash", 6, "field", 5, -1, NOW, &r), 0);
	assert_int_equal(r, 5);
	assert_int_equal(sl_store_hincrby(s, 0, "myhash", 6, "field", 5, -10, NOW, &r), 0);
	assert_int_equal(r, -5);
	assert_int_equal(sl_store_hincrby(s, 0, "big", 3, "f:7", 3, 3, NOW, &r), 0);
	assert_int_equal(r, 10);
	assert_int_equal(sl_store_hincrby(s, 0, "myhash", 6, "field1", 6, 1, NOW, &r), -EINVAL);
	/* HDEL: compact and table; the key disappears with its last field */
	struct sl_store_field d[] = {{"field1", 6, NULL, 0}, {"nope", 4, NULL, 0}};
	assert_int_equal(sl_store_hdel(s, 0, "myhash", 6, d, 2, NOW, &removed), 0);
	assert_int_equal(removed, 1);
	for (int i = 0; i < 1000; i++) {
		snprintf(fb, sizeof(fb), "f:%d", i);
		struct sl_store_field f = {fb, strlen(fb), NULL, 0};
		assert_int_equal(sl_store_hdel(s, 0, "big", 3, &f, 1, NOW, &removed), 0);
		assert_int_equal(removed, 1);
	}
	assert_int_equal(sl_store_exists(s, "big", 3, NOW), 0);
	assert_int_equal(set(s, "str", "x", 0, 0), 0);
	assert_int_equal(sl_store_hset(s, 0, "str", 3, &f1, 1, NOW, &added), -EPROTOTYPE);
	settle(s, NOW, 3);
	done(&s);
}

/* --- accounting -------------------------------------------------------------------- */

static void test_accounting_matches_jemalloc(void **state)
{
	(void)state;
	struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
	char k[32], v[200];
	struct sl_store_stats st;
	uint64_t je;
	memset(v, 'v', sizeof(v));
	for (int i = 0; i < 50000; i++) {
		snprintf(k, sizeof(k), "acct:%d", i);
		struct sl_store_set_opts o = {0};
		struct sl_store_value old;
		size_t vl = (size_t)(i % 7) * 25 + 1;
		assert_int_equal(sl_store_set(s, 0, k, strlen(k), v, vl, &o, NOW, &old), 0);
		if (i % 10 == 0) {
			struct sl_store_field f = {"a", 1, v, vl % 60};
			unsigned added;
			assert_int_equal(sl_store_hset(s, 0, k, strlen(k), &f, 1, NOW, &added),
					 -EPROTOTYPE);
		}
	}
	for (int round = 0; round < 3; round++) {
		assert_int_equal(sl_store_part_jemalloc_bytes(s, 0, &je), 0);
		sl_store_part_stats(s, 0, &st);
		double diff = (double)st.alloc_bytes - (double)je;
		assert_true(diff < 0.05 * (double)je && -diff < 0.05 * (double)je);
		/* then churn: overwrite and delete half, reclaim, compare again */
		for (int i = round; i < 50000; i += 2) {
			snprintf(k, sizeof(k), "acct:%d", i);
			if (round == 1)
				sl_store_del(s, 0, k, strlen(k), NOW);
			else
				assert_int_equal(set(s, k, "short", 0, 0), 0);
		}
		settle(s, NOW, 3000);
	}
	done(&s);
}

static void test_flush_lazy_returns_memory(void **state)
{
	(void)state;
	struct sl_store *s = mk(2, 0, SL_STORE_NOEVICTION);
	struct sl_store_stats st;
	uint64_t base[2];
	for (unsigned i = 0; i < 2; i++) {
		sl_store_part_stats(s, i, &st);
		base[i] = st.alloc_bytes;
	}
	char k[32];
	for (int i = 0; i < 20000; i++) {
		snprintf(k, sizeof(k), "fl:%d", i);
		assert_int_equal(
			set(s, k, "some value of medium length", 0, i % 2 ? NOW + 100000 : 0), 0);
		if (i % 100 == 0) {
			struct sl_store_field f = {k, strlen(k), k, strlen(k)};
			unsigned added;
			snprintf(k, sizeof(k), "flh:%d", i);
			assert_int_equal(
				sl_store_hset(s, owner(s, k), k, strlen(k), &f, 1, NOW, &added), 0);
		}
	}
	/* a large hash as well */
	for (int i = 0; i < 300; i++) {
		char fb[16];
		snprintf(fb, sizeof(fb), "%d", i);
		struct sl_store_field f = {fb, strlen(fb), fb, strlen(fb)};
		unsigned added;
		assert_int_equal(sl_store_hset(s, owner(s, "H"), "H", 1, &f, 1, NOW, &added), 0);
	}
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(sl_store_flush(s, i), 0);
		sl_store_part_stats(s, i, &st);
		assert_int_equal(st.keys, 0); /* empty at once */
	}
	assert_int_equal(sl_store_dbsize(s), 0);
	assert_get(s, "fl:1", NULL, NOW);
	/* memory comes back over bounded steps */
	settle(s, NOW, 2000);
	for (unsigned i = 0; i < 2; i++) {
		sl_store_part_stats(s, i, &st);
		assert_int_equal(st.retired_pending, 0);
		/* back to the empty table plus the retire queue's own array */
		assert_true(st.alloc_bytes <= base[i] + 64 * 1024);
		uint64_t je;
		assert_int_equal(sl_store_part_jemalloc_bytes(s, i, &je), 0);
		assert_int_equal(je, st.alloc_bytes);
	}
	done(&s);
}

/* --- maxmemory policies ------------------------------------------------------------ */

/* Fill a store with `n` cold keys and `n` hot keys (hot: accessed later, or
 * more often, or long TTL), then keep writing until eviction starts, and
 * report how many of each group survive. */
struct evict_result {
	unsigned hot_left, cold_left, new_written, new_left;
	int write_rc;
};

static struct evict_result run_policy(enum sl_store_policy pol, bool ttl_on_cold, bool ttl_on_hot,
				      uint64_t limit)
{
	struct sl_store_config c;
	sl_store_config_default(&c);
	c.maxmemory = limit;
	c.policy = pol;
	c.maxmemory_samples = 10;
	struct sl_store *s = sl_store_create(&c);
	assert_non_null(s);
	assert_int_equal(sl_store_reader_online(s, 0), 0);
	struct evict_result r = {0};
	char k[32], v[100];
	memset(v, 'x', sizeof(v));
	const int n = 500;
	uint64_t t0 = NOW;
	for (int i = 0; i < n; i++) {
		struct sl_store_set_opts o = {0};
		struct sl_store_value old;
		snprintf(k, sizeof(k), "cold:%d", i);
		o.expire_at_ms = ttl_on_cold ? t0 + 1000000 + i : 0; /* short TTL */
		assert_int_equal(sl_store_set(s, 0, k, strlen(k), v, sizeof(v), &o, t0, &old), 0);
		snprintf(k, sizeof(k), "hot:%d", i);
		o.expire_at_ms = ttl_on_hot ? t0 + 100000000 : 0; /* long TTL */
		assert_int_equal(sl_store_set(s, 0, k, strlen(k), v, sizeof(v), &o, t0, &old), 0);
	}
	/* hot keys are accessed 100 s later (LRU) and 50 times (LFU) */
	uint64_t t1 = t0 + 100000;
	for (int rep = 0; rep < 50; rep++) {
		for (int i = 0; i < n; i++) {
			struct sl_store_value gv;
			snprintf(k, sizeof(k), "hot:%d", i);
			assert_int_equal(sl_store_get(s, k, strlen(k), t1, &gv), 0);
		}
	}
	struct sl_store_stats st;
	sl_store_part_stats(s, 0, &st);
	/* now squeeze: limit = what is used minus 30% */
	uint64_t lim = limit ? limit : st.used_bytes * 7 / 10;
	sl_store_set_maxmemory(s, lim, pol);
	r.write_rc = 0;
	for (int i = 0; i < 50 && r.write_rc == 0; i++) {
		struct sl_store_set_opts o = {0};
		struct sl_store_value old;
		snprintf(k, sizeof(k), "new:%d", i);
		r.write_rc = sl_store_set(s, 0, k, strlen(k), v, sizeof(v), &o, t1, &old);
		r.new_written += r.write_rc == 0;
		sl_store_quiescent(s, 0);
		sl_store_maintain(s, 0, t1);
	}
	for (int i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "hot:%d", i);
		r.hot_left += (unsigned)sl_store_exists(s, k, strlen(k), t1);
		snprintf(k, sizeof(k), "cold:%d", i);
		r.cold_left += (unsigned)sl_store_exists(s, k, strlen(k), t1);
	}
	for (int i = 0; i < 50; i++) {
		snprintf(k, sizeof(k), "new:%d", i);
		r.new_left += (unsigned)sl_store_exists(s, k, strlen(k), t1);
	}
	sl_store_part_stats(s, 0, &st);
	if (r.write_rc == 0) /* eviction keeps used memory at the limit (+ the last write) */
		assert_true(st.used_bytes <= lim + 1024);
	/* every key that went missing was counted as evicted */
	assert_int_equal(st.evicted,
			 2 * (uint64_t)n + r.new_written - r.hot_left - r.cold_left - r.new_left);
	sl_store_reader_offline(s, 0);
	sl_store_destroy(&s);
	return r;
}

static void test_policies(void **state)
{
	(void)state;
	struct evict_result r;
	/* noeviction: the write fails with the OOM code, nothing is removed */
	r = run_policy(SL_STORE_NOEVICTION, false, false, 0);
	assert_int_equal(r.write_rc, -ENOSPC);
	assert_int_equal(r.hot_left + r.cold_left, 1000);
	assert_int_equal(r.new_left, 0);
	/* allkeys-lru: least recently used (cold) keys go first */
	r = run_policy(SL_STORE_ALLKEYS_LRU, false, false, 0);
	assert_int_equal(r.write_rc, 0);
	assert_true(r.hot_left >= 495);
	assert_true(r.cold_left < 300);
	/* allkeys-lfu: least frequently used (cold) keys go first */
	r = run_policy(SL_STORE_ALLKEYS_LFU, false, false, 0);
	assert_int_equal(r.write_rc, 0);
	assert_true(r.hot_left >= 495);
	assert_true(r.cold_left < 300);
	/* allkeys-random: both groups lose keys */
	r = run_policy(SL_STORE_ALLKEYS_RANDOM, false, false, 0);
	assert_int_equal(r.write_rc, 0);
	assert_true(r.hot_left < 500);
	assert_true(r.cold_left < 500);
	/* volatile-*: only keys with a TTL (cold here) are candidates */
	const enum sl_store_policy vol[] = {SL_STORE_VOLATILE_LRU, SL_STORE_VOLATILE_LFU,
					    SL_STORE_VOLATILE_RANDOM};
	for (size_t i = 0; i < SL_ARRAY_SIZE(vol); i++) {
		r = run_policy(vol[i], true, false, 0);
		assert_int_equal(r.write_rc, 0);
		assert_int_equal(r.hot_left, 500);
		assert_true(r.cold_left < 300);
	}
	/* volatile-ttl: the shortest TTL (cold) goes first */
	r = run_policy(SL_STORE_VOLATILE_TTL, true, true, 0);
	assert_int_equal(r.write_rc, 0);
	assert_true(r.hot_left >= 495);
	assert_true(r.cold_left < 300);
	/* volatile-* with no volatile key: nothing to evict -> OOM */
	for (size_t i = 0; i < SL_ARRAY_SIZE(vol); i++) {
		r = run_policy(vol[i], false, false, 0);
		assert_int_equal(r.write_rc, -ENOSPC);
	}
	r = run_policy(SL_STORE_VOLATILE_TTL, false, false, 0);
	assert_int_equal(r.write_rc, -ENOSPC);
}

static void test_oom_reply_text(void **state)
{
	(void)state;
	/* Redis's exact error text (server.c shared.oomerr) */
	assert_string_equal(SL_STORE_OOM_REPLY,
			    "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
	/* DEL is still allowed under noeviction OOM; writes are not */
	struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
	assert_int_equal(set(s, "a", "1234567890", 0, 0), 0);
	sl_store_set_maxmemory(s, 1, SL_STORE_NOEVICTION);
	assert_int_equal(set(s, "b", "x", 0, 0), -ENOSPC);
	int64_t r;
	assert_int_equal(sl_store_incrby(s, 0, "c", 1, 1, NOW, &r), -ENOSPC);
	assert_int_equal(sl_store_del(s, 0, "a", 1, NOW), 0);
	done(&s);
}

/* Over maxmemory with nothing to evict, Redis rejects every denyoom command
 * before running it (server.c processCommand): the OOM answer wins over NX/XX
 * outcomes, WRONGTYPE, "not an integer" and in-place updates. Writes Redis
 * does not flag denyoom (DEL, EXPIRE, PERSIST) still run. */
static void test_denyoom_first(void **state)
{
	(void)state;
	struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
	const struct sl_store_field hf = {.field = "f", .flen = 1, .val = "v", .vlen = 1};
	unsigned added;
	assert_int_equal(set(s, "str", "abc", 0, 0), 0);
	assert_int_equal(set(s, "cnt", "5", 0, 0), 0);
	assert_int_equal(sl_store_hset(s, 0, "h", 1, &hf, 1, NOW, &added), 0);
	sl_store_set_maxmemory(s, 1, SL_STORE_NOEVICTION);

	struct sl_store_set_opts nx = {.flags = SL_STORE_SET_NX}, xx = {.flags = SL_STORE_SET_XX},
				 get = {.flags = SL_STORE_SET_GET};
	struct sl_store_value old, out;
	int64_t r;
	size_t len;
	assert_int_equal(sl_store_set(s, 0, "str", 3, "v", 1, &nx, NOW, &old), -ENOSPC);
	assert_int_equal(sl_store_set(s, 0, "nokey", 5, "v", 1, &xx, NOW, &old), -ENOSPC);
	assert_int_equal(sl_store_set(s, 0, "h", 1, "v", 1, &get, NOW, &old), -ENOSPC);
	assert_int_equal(sl_store_incrby(s, 0, "str", 3, 1, NOW, &r), -ENOSPC);
	assert_int_equal(sl_store_incrby(s, 0, "cnt", 3, 1, NOW, &r), -ENOSPC);
	assert_int_equal(sl_store_incrbyfloat(s, 0, "str", 3, 1.5L, NOW, &out), -ENOSPC);
	assert_int_equal(sl_store_append(s, 0, "str", 3, "", 0, NOW, &len), -ENOSPC);
	assert_int_equal(sl_store_setrange(s, 0, "str", 3, 0, "", 0, NOW, &len), -ENOSPC);
	assert_int_equal(sl_store_hset(s, 0, "str", 3, &hf, 1, NOW, &added), -ENOSPC);
	assert_int_equal(sl_store_hincrby(s, 0, "h", 1, "f", 1, 1, NOW, &r), -ENOSPC);
	/* nothing changed: the counter was not incremented in place */
	assert_get(s, "cnt", "5", NOW);
	assert_get(s, "str", "abc", NOW);
	/* not denyoom in Redis: still served */
	assert_int_equal(sl_store_expire(s, 0, "str", 3, NOW + 100000, 0, NOW), 0);
	assert_int_equal(sl_store_persist(s, 0, "str", 3, NOW), 0);
	assert_int_equal(sl_store_del(s, 0, "cnt", 3, NOW), 0);
	/* what an engine asks before any denyoom command */
	assert_int_equal(sl_store_make_room(s, 0, NOW), -ENOSPC);
	assert_int_equal(sl_store_make_room(s, 1, NOW), -EINVAL);
	/* under the limit again, the same calls give their own answers */
	sl_store_set_maxmemory(s, 0, SL_STORE_NOEVICTION);
	assert_int_equal(sl_store_set(s, 0, "str", 3, "v", 1, &nx, NOW, &old), -EEXIST);
	assert_int_equal(sl_store_set(s, 0, "nokey", 5, "v", 1, &xx, NOW, &old), -ENOENT);
	assert_int_equal(sl_store_incrby(s, 0, "str", 3, 1, NOW, &r), -EINVAL);
	assert_int_equal(sl_store_hset(s, 0, "str", 3, &hf, 1, NOW, &added), -EPROTOTYPE);
	assert_int_equal(sl_store_make_room(s, 0, NOW), 0);
	done(&s);
}

/* sl_store_make_room evicts down to the limit under an eviction policy and
 * answers -ENOSPC only when nothing is left to evict. */
static void test_make_room(void **state)
{
	(void)state;
	struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
	char k[32];
	for (int i = 0; i < 100; i++) {
		snprintf(k, sizeof(k), "k:%d", i);
		assert_int_equal(set(s, k, "0123456789012345678901234567890123456789", 0, 0), 0);
	}
	struct sl_store_stats st;
	sl_store_part_stats(s, 0, &st);
	uint64_t lim = st.used_bytes / 2;
	sl_store_set_maxmemory(s, lim, SL_STORE_ALLKEYS_LRU);
	assert_int_equal(sl_store_make_room(s, 0, NOW), 0);
	sl_store_part_stats(s, 0, &st);
	assert_true(st.used_bytes <= lim);
	assert_true(st.evicted > 0);
	assert_int_equal(st.keys, 100 - st.evicted);
	/* a limit below the empty table: everything goes, then OOM */
	sl_store_set_maxmemory(s, 1, SL_STORE_ALLKEYS_LRU);
	int rc = 0;
	for (int i = 0; i < 10 && rc == 0; i++)
		rc = sl_store_make_room(s, 0, NOW);
	assert_int_equal(rc, -ENOSPC);
	assert_int_equal(sl_store_dbsize(s), 0);
	done(&s);
}

/* A table grown by many keys and then emptied keeps its buckets; a few large
 * values in it must still be found by eviction. Redis samples its key
 * dictionary, which yields a key whenever there is one, so a write under an
 * allkeys-* policy is refused only when the store holds no key at all. */
static void test_evict_sparse_table(void **state)
{
	(void)state;
	const enum sl_store_policy pols[] = {SL_STORE_ALLKEYS_LRU, SL_STORE_ALLKEYS_LFU,
					     SL_STORE_ALLKEYS_RANDOM, SL_STORE_VOLATILE_LRU,
					     SL_STORE_VOLATILE_TTL};
	static char big[64 * 1024];
	memset(big, 'v', sizeof(big));
	for (size_t pi = 0; pi < SL_ARRAY_SIZE(pols); pi++) {
		struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
		char k[32];
		for (int i = 0; i < 40000; i++) {
			snprintf(k, sizeof(k), "small:%d", i);
			assert_int_equal(set(s, k, "x", 0, 0), 0);
		}
		for (int i = 0; i < 40000; i++) {
			snprintf(k, sizeof(k), "small:%d", i);
			assert_int_equal(sl_store_del(s, 0, k, strlen(k), NOW), 0);
		}
		settle(s, NOW, 4);
		struct sl_store_stats st;
		sl_store_part_stats(s, 0, &st);
		assert_true(st.buckets >= 8192); /* the table did not shrink */
		/* room for about four values beside the empty table: each write
		 * beyond evicts one */
		uint64_t lim = st.used_bytes + 4 * sizeof(big);
		sl_store_set_maxmemory(s, lim, pols[pi]);
		struct sl_store_set_opts o = {.flags = 0, .expire_at_ms = NOW + 3600 * 1000};
		for (int i = 0; i < 32; i++) {
			snprintf(k, sizeof(k), "big:%d", i);
			struct sl_store_value old;
			assert_int_equal(sl_store_set(s, 0, k, strlen(k), big, sizeof(big), &o,
						      NOW + (uint64_t)i * 1000, &old),
					 0);
		}
		sl_store_part_stats(s, 0, &st);
		assert_true(st.keys >= 3 && st.keys <= 5);
		assert_int_equal(st.evicted, 32 - st.keys);
		assert_true(st.used_bytes <= lim + sizeof(big) + 1024);
		struct sl_store_value got;
		assert_int_equal(sl_store_get(s, "big:31", 6, NOW, &got), 0);
		assert_int_equal(got.len, sizeof(big));
		assert_memory_equal(got.ptr, big, sizeof(big));
		done(&s);
	}
}

/* A table larger than one sweep step (65,536 buckets): a sweep that runs out
 * of its step lets the write through and continues at the next one; OOM
 * comes only after a whole lap, spread over calls, found nothing. */
static void test_evict_sweep_spans_calls(void **state)
{
	(void)state;
	struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
	static char big[16 * 1024];
	char k[32];
	memset(big, 'b', sizeof(big));
	for (int i = 0; i < 300000; i++) {
		snprintf(k, sizeof(k), "s:%d", i);
		assert_int_equal(set(s, k, "x", 0, 0), 0);
	}
	for (int i = 0; i < 300000; i++) {
		snprintf(k, sizeof(k), "s:%d", i);
		assert_int_equal(sl_store_del(s, 0, k, strlen(k), NOW), 0);
	}
	settle(s, NOW, 4);
	struct sl_store_stats st;
	sl_store_part_stats(s, 0, &st);
	assert_true(st.buckets > 65536);
	uint64_t lim = st.used_bytes + 2 * sizeof(big);
	sl_store_set_maxmemory(s, lim, SL_STORE_ALLKEYS_LRU);
	struct sl_store_set_opts o = {0};
	struct sl_store_value old;
	for (int i = 0; i < 64; i++) {
		snprintf(k, sizeof(k), "big:%d", i);
		assert_int_equal(sl_store_set(s, 0, k, strlen(k), big, sizeof(big), &o,
					      NOW + (uint64_t)i, &old),
				 0);
		sl_store_part_stats(s, 0, &st);
		/* a sweep under way may let a few writes through before it
		 * reaches a victim: a lap is at most three steps here */
		assert_true(st.used_bytes <= lim + 4 * sizeof(big) + 1024);
	}
	sl_store_part_stats(s, 0, &st);
	assert_int_equal(st.evicted, 64 - st.keys);
	assert_true(st.keys <= 6);
	/* nothing fits beside the table: every key goes, then OOM within a
	 * bounded number of calls */
	sl_store_set_maxmemory(s, 1, SL_STORE_ALLKEYS_LRU);
	int rc = 0, calls = 0;
	for (; calls < 64 && rc != -ENOSPC; calls++)
		rc = sl_store_make_room(s, 0, NOW + 100);
	assert_int_equal(rc, -ENOSPC);
	assert_int_equal(sl_store_dbsize(s), 0);
	done(&s);
}

/* Keys longer than the eviction pool's key buffer are candidates like any
 * other (Redis keys may be up to 512 MB long). */
static void test_evict_long_keys(void **state)
{
	(void)state;
	const enum sl_store_policy pols[] = {SL_STORE_ALLKEYS_LRU, SL_STORE_ALLKEYS_LFU,
					     SL_STORE_VOLATILE_TTL};
	for (size_t pi = 0; pi < SL_ARRAY_SIZE(pols); pi++) {
		struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
		char k[400]; /* 399-byte keys */
		memset(k, 'k', sizeof(k) - 1);
		k[sizeof(k) - 1] = '\0';
		for (int i = 0; i < 200; i++) {
			snprintf(k, 16, "%08d", i);
			k[8] = 'k';
			assert_int_equal(set(s, k, "value", 0, NOW + 3600 * 1000), 0);
		}
		struct sl_store_stats st;
		sl_store_part_stats(s, 0, &st);
		sl_store_set_maxmemory(s, st.used_bytes, pols[pi]);
		for (int i = 200; i < 300; i++) {
			snprintf(k, 16, "%08d", i);
			k[8] = 'k';
			assert_int_equal(set(s, k, "value", 0, NOW + 3600 * 1000), 0);
		}
		sl_store_part_stats(s, 0, &st);
		assert_true(st.evicted >= 100);
		assert_int_equal(st.keys, 300 - st.evicted);
		done(&s);
	}
}

/* volatile-*: keys with a TTL are evicted while any is left, however rare
 * among keys without one; OOM comes only once none is left (Redis samples
 * its dictionary of keys with an expiry). */
static void test_evict_rare_volatile(void **state)
{
	(void)state;
	const enum sl_store_policy pols[] = {SL_STORE_VOLATILE_LRU, SL_STORE_VOLATILE_LFU,
					     SL_STORE_VOLATILE_RANDOM, SL_STORE_VOLATILE_TTL};
	for (size_t pi = 0; pi < SL_ARRAY_SIZE(pols); pi++) {
		struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
		char k[32], v[200];
		memset(v, 'p', sizeof(v) - 1);
		v[sizeof(v) - 1] = '\0';
		for (int i = 0; i < 3; i++) {
			snprintf(k, sizeof(k), "ttl:%d", i);
			assert_int_equal(set(s, k, v, 0, NOW + 3600 * 1000), 0);
		}
		for (int i = 0; i < 20000; i++) {
			snprintf(k, sizeof(k), "keep:%d", i);
			assert_int_equal(set(s, k, v, 0, 0), 0);
		}
		struct sl_store_stats st;
		sl_store_part_stats(s, 0, &st);
		sl_store_set_maxmemory(s, st.used_bytes, pols[pi]);
		/* each write evicts one of the three keys with a TTL, then OOM */
		int rc = 0, n = 0;
		for (; n < 10 && rc == 0; n++) {
			snprintf(k, sizeof(k), "more:%d", n);
			rc = set(s, k, v, 0, 0);
		}
		assert_int_equal(rc, -ENOSPC);
		sl_store_part_stats(s, 0, &st);
		assert_int_equal(st.volatile_keys, 0);
		assert_int_equal(st.evicted, 3);
		for (int i = 0; i < 20000; i += 97) {
			snprintf(k, sizeof(k), "keep:%d", i);
			assert_get(s, k, v, NOW);
		}
		done(&s);
	}
}

/* --- SCAN ----------------------------------------------------------------------------- */

struct seen {
	uint8_t *hit; /* per key index */
	unsigned n;
	unsigned calls;
};

static void scan_cb(void *arg, const uint8_t *key, size_t klen, uint8_t type)
{
	struct seen *sn = arg;
	char buf[32];
	assert_int_equal(type, SL_STORE_T_STRING);
	assert_true(klen < sizeof(buf) && klen > 2);
	memcpy(buf, key, klen);
	buf[klen] = '\0';
	sn->calls++;
	if (buf[0] == 's') {
		unsigned i = (unsigned)atoi(buf + 2);
		assert_true(i < sn->n);
		sn->hit[i] = 1;
	}
}

static void test_scan_full(void **state)
{
	(void)state;
	struct sl_store *s = mk(3, 0, SL_STORE_NOEVICTION);
	const unsigned n = 5000;
	char k[32];
	for (unsigned i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "s:%u", i);
		assert_int_equal(set(s, k, "v", 0, 0), 0);
	}
	settle(s, NOW, 1000);
	struct seen sn = {calloc(n, 1), n, 0};
	uint64_t cur = 0;
	unsigned steps = 0;
	do {
		cur = sl_store_scan(s, cur, 10, NOW, scan_cb, &sn);
		steps++;
	} while (cur != 0 && steps < 100000);
	assert_int_equal(cur, 0);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(sn.hit[i], 1);
	assert_int_equal(sn.calls, n); /* no resize during this scan: no duplicates */
	free(sn.hit);
	done(&s);
}

static void test_scan_guarantee_under_resize(void **state)
{
	(void)state;
	/* Keys present for the whole iteration are returned at least once while
	 * the table grows several times (incremental migration interleaved). */
	struct sl_store *s = mk(2, 0, SL_STORE_NOEVICTION);
	const unsigned n = 3000;
	char k[32];
	for (unsigned i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "s:%u", i);
		assert_int_equal(set(s, k, "v", 0, 0), 0);
	}
	settle(s, NOW, 1000);
	uint64_t buckets_before = TOTAL(s, buckets);
	struct seen sn = {calloc(n, 1), n, 0};
	uint64_t cur = 0;
	unsigned extra = 0, steps = 0, resizing_seen = 0;
	do {
		cur = sl_store_scan(s, cur, 1, NOW, scan_cb, &sn);
		/* between scan calls: insert other keys (grows the tables), delete
		 * some of them, run housekeeping (moves migration forward) */
		for (int j = 0; j < 20; j++) {
			snprintf(k, sizeof(k), "x:%u", extra++);
			assert_int_equal(set(s, k, "v", 0, 0), 0);
			if (extra % 3 == 0) {
				snprintf(k, sizeof(k), "x:%u", extra - 2);
				assert_int_equal(sl_store_del(s, owner(s, k), k, strlen(k), NOW),
						 0);
			}
		}
		resizing_seen += (unsigned)TOTAL(s, resizing);
		settle(s, NOW, 1);
		steps++;
	} while (cur != 0 && steps < 1000000);
	assert_int_equal(cur, 0);
	assert_true(TOTAL(s, buckets) >= 4 * buckets_before); /* it did grow */
	assert_true(resizing_seen > 0);                       /* scans ran mid-resize */
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(sn.hit[i], 1);
	free(sn.hit);
	done(&s);
}

static void test_randomkey(void **state)
{
	(void)state;
	struct sl_store *s = mk(2, 0, SL_STORE_NOEVICTION);
	struct sl_store_value kv;
	assert_int_equal(sl_store_randomkey(s, 1, NOW, &kv), -ENOENT);
	assert_int_equal(set(s, "only", "v", 0, 0), 0);
	assert_int_equal(sl_store_randomkey(s, 7, NOW, &kv), 0);
	assert_int_equal(kv.len, 4);
	assert_memory_equal(kv.ptr, "only", 4);
	done(&s);
}

/* --- shipping: program order ------------------------------------------------------ */

/* a key owned by partition `want` of s */
static void key_for(struct sl_store *s, unsigned want, char *buf, size_t cap)
{
	for (unsigned i = 0;; i++) {
		snprintf(buf, cap, "ship:%u", i);
		if (owner(s, buf) == want)
			return;
	}
}

static void test_ship_program_order(void **state)
{
	(void)state;
	struct sl_store *s = mk(2, 0, SL_STORE_NOEVICTION);
	struct sl_store_ship *sh = sl_store_ship_create(s, 256);
	assert_non_null(sh);
	char k[32];
	key_for(s, 1, k, sizeof(k));
	/* source 0 pipelines: SET k 1; INCRBY k 1 (x100); GET k; DEL k; GET k;
	 * all submitted before the owner runs once: no round trip per op */
	struct sl_store_op ops[104];
	uint8_t out1[32], out2[32];
	unsigned n = 0;
	ops[n++] = (struct sl_store_op){.cookie = 0,
					.code = SL_STORE_OP_SET,
					.key = k,
					.klen = strlen(k),
					.val = "1",
					.vlen = 1};
	for (int i = 0; i < 100; i++, n++)
		ops[n] = (struct sl_store_op){.cookie = n,
					      .code = SL_STORE_OP_INCRBY,
					      .key = k,
					      .klen = strlen(k),
					      .arg = 1};
	ops[n] = (struct sl_store_op){.cookie = n,
				      .code = SL_STORE_OP_GET,
				      .key = k,
				      .klen = strlen(k),
				      .out = out1,
				      .out_cap = sizeof(out1)};
	n++;
	ops[n] = (struct sl_store_op){
		.cookie = n, .code = SL_STORE_OP_DEL, .key = k, .klen = strlen(k)};
	n++;
	ops[n] = (struct sl_store_op){.cookie = n,
				      .code = SL_STORE_OP_GET,
				      .key = k,
				      .klen = strlen(k),
				      .out = out2,
				      .out_cap = sizeof(out2)};
	n++;
	assert_int_equal(sl_store_ship_submit_burst(sh, 0, 1, ops, n), n);
	/* the writes have not happened yet: nothing on the owner */
	assert_int_equal(sl_store_exists(s, k, strlen(k), NOW), 0);
	/* the owner drains in small bursts; completions come back in order */
	struct sl_store_completion c[128];
	unsigned got = 0;
	while (got < n) {
		sl_store_ship_drain(sh, 1, NOW, 7);
		got += sl_store_ship_collect_burst(sh, 0, 1, c + got, 128 - got);
	}
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(c[i].cookie, i);
	assert_int_equal(c[0].rc, 0);
	for (unsigned i = 1; i <= 100; i++) {
		assert_int_equal(c[i].rc, 0);
		assert_int_equal(c[i].ival, (int64_t)i + 1);
	}
	assert_int_equal(c[101].rc, 0); /* read-your-writes: GET sees 101 */
	assert_int_equal(c[101].out_len, 3);
	assert_memory_equal(out1, "101", 3);
	assert_int_equal(c[102].rc, 0);
	assert_int_equal(c[103].rc, -ENOENT);
	/* a key shipped to the wrong owner fails without effect */
	struct sl_store_op bad = {.cookie = 9,
				  .code = SL_STORE_OP_SET,
				  .key = k,
				  .klen = strlen(k),
				  .val = "x",
				  .vlen = 1};
	assert_int_equal(sl_store_ship_submit_burst(sh, 1, 0, &bad, 1), 1);
	assert_int_equal(sl_store_ship_drain(sh, 0, NOW, 32), 1);
	assert_int_equal(sl_store_ship_collect_burst(sh, 1, 0, c, 1), 1);
	assert_int_equal(c[0].rc, -EXDEV);
	sl_store_ship_destroy(&sh);
	assert_null(sh);
	done(&s);
}

struct ship_thr {
	struct sl_store *s;
	struct sl_store_ship *sh;
	_Atomic int stop;
	const char *key;
};

static void *owner_thread(void *arg)
{
	struct ship_thr *t = arg;
	while (!atomic_load(&t->stop)) {
		sl_store_ship_drain(t->sh, 1, NOW, 16);
		sl_store_quiescent(t->s, 1);
		sl_store_maintain(t->s, 1, NOW);
	}
	return NULL;
}

static void test_ship_two_threads(void **state)
{
	(void)state;
	/* a real owner thread, a small ring (wraps many times), 20000 pipelined
	 * INCRs interleaved with shipped GETs: every completion in order, every
	 * GET sees exactly the INCRs submitted before it */
	struct sl_store_config c;
	sl_store_config_default(&c);
	c.n_parts = 2;
	struct sl_store *s = sl_store_create(&c);
	assert_non_null(s);
	assert_int_equal(sl_store_reader_online(s, 0), 0);
	assert_int_equal(sl_store_reader_online(s, 1), 0);
	struct sl_store_ship *sh = sl_store_ship_create(s, 16);
	assert_non_null(sh);
	char k[32];
	key_for(s, 1, k, sizeof(k));
	struct ship_thr t = {s, sh, 0, k};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, owner_thread, &t), 0);
	const unsigned total = 20000;
	static uint8_t outs[20000][24];
	unsigned sent = 0, recv = 0;
	int64_t incrs_before_get[20000];
	int64_t incrs = 0;
	while (recv < total) {
		if (sent < total) {
			struct sl_store_op op = {.cookie = sent, .key = k, .klen = strlen(k)};
			if (sent % 10 == 9) {
				op.code = SL_STORE_OP_GET;
				op.out = outs[sent];
				op.out_cap = sizeof(outs[sent]);
			} else {
				op.code = SL_STORE_OP_INCRBY;
				op.arg = 1;
			}
			if (sl_store_ship_submit_burst(sh, 0, 1, &op, 1) == 1) {
				if (op.code == SL_STORE_OP_INCRBY)
					incrs++;
				incrs_before_get[sent] = incrs;
				sent++;
			}
		}
		struct sl_store_completion cp[8];
		unsigned m = sl_store_ship_collect_burst(sh, 0, 1, cp, 8);
		for (unsigned i = 0; i < m; i++, recv++) {
			assert_int_equal(cp[i].cookie, recv);
			assert_int_equal(cp[i].rc, 0);
			if (recv % 10 == 9) {
				char want[24];
				int wl = snprintf(want, sizeof(want), "%lld",
						  (long long)incrs_before_get[recv]);
				assert_int_equal(cp[i].out_len, wl);
				assert_memory_equal(outs[recv], want, (size_t)wl);
			} else {
				assert_int_equal(cp[i].ival, incrs_before_get[recv]);
			}
		}
		sl_store_quiescent(s, 0);
	}
	atomic_store(&t.stop, 1);
	assert_int_equal(pthread_join(th, NULL), 0);
	sl_store_ship_destroy(&sh);
	done(&s);
}

/* --- pins: large values that outlive grace periods -------------------------------- */

#define PIN_VLEN 100000 /* > SL_STORE_PIN_MIN; a jemalloc large size class */

/* The pattern a pinned value must still hold: independent of the store. */
static void pin_pattern(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((i * 7 + seed * 13 + (i >> 9)) & 0xff);
}

static void set_raw(struct sl_store *s, const char *k, const void *v, size_t vl, uint64_t at,
		    uint64_t now)
{
	struct sl_store_set_opts o = {.flags = 0, .expire_at_ms = at};
	assert_int_equal(sl_store_set(s, owner(s, k), k, strlen(k), v, vl, &o, now, NULL), 0);
}

static void part_stats(struct sl_store *s, unsigned part, struct sl_store_stats *st)
{
	sl_store_part_stats(s, part, st);
}

enum pin_action { PA_OVERWRITE, PA_DEL, PA_EXPIRE, PA_EVICT, PA_FLUSH };

/* Pin the value of "pinned", make it go away by `act`, run many grace
 * periods: the pinned bytes still equal the pattern. Unpin: the item is
 * freed at the next maintenance, and memory drops by at least its size
 * (also by jemalloc's own count). */
static void pin_case(enum pin_action act)
{
	uint64_t maxmem = act == PA_EVICT ? 6 * PIN_VLEN : 0;
	struct sl_store *s =
		mk(1, maxmem, act == PA_EVICT ? SL_STORE_ALLKEYS_RANDOM : SL_STORE_NOEVICTION);
	static uint8_t want[PIN_VLEN], other[PIN_VLEN];
	struct sl_store_value v;
	struct sl_store_pin pin;
	struct sl_store_stats st, st2;
	uint64_t je1, je2, now = NOW;
	const char *k = "pinned";

	pin_pattern(want, sizeof(want), 1);
	pin_pattern(other, sizeof(other), 2);
	set_raw(s, k, want, sizeof(want), act == PA_EXPIRE ? NOW + 1000 : 0, now);
	assert_int_equal(sl_store_get(s, k, strlen(k), now, &v), 0);
	assert_int_equal(v.len, PIN_VLEN);
	assert_int_equal(sl_store_pin(s, 0, &v, &pin), 0);
	const uint8_t *ptr = v.ptr;
	part_stats(s, 0, &st);
	assert_int_equal(st.pinned, 1);
	assert_int_equal(st.pinned_retired, 0);

	switch (act) {
	case PA_OVERWRITE:
		set_raw(s, k, other, sizeof(other), 0, now);
		break;
	case PA_DEL:
		assert_int_equal(sl_store_del(s, 0, k, strlen(k), now), 0);
		break;
	case PA_EXPIRE:
		/* active expiry only: no lookup of the key by the owner */
		now = NOW + 2000;
		for (int i = 0; i < 1000 && TOTAL(s, expired) == 0; i++)
			settle(s, now, 1);
		assert_int_equal(TOTAL(s, expired), 1);
		break;
	case PA_EVICT:
		for (int i = 0; i < 64 && sl_store_exists(s, k, strlen(k), now); i++) {
			char kk[32];
			snprintf(kk, sizeof(kk), "filler:%d", i);
			set_raw(s, kk, other, sizeof(other), 0, now);
			settle(s, now, 1);
		}
		assert_false(sl_store_exists(s, k, strlen(k), now));
		assert_true(TOTAL(s, evicted) >= 1);
		break;
	case PA_FLUSH:
		assert_int_equal(sl_store_flush(s, 0), 0);
		break;
	}
	/* many grace periods and maintenance rounds (flush: lazy free done) */
	settle(s, now, 200);
	part_stats(s, 0, &st);
	assert_int_equal(st.pinned, 1);
	assert_int_equal(st.pinned_retired, 1);
	assert_true(st.retired_pending >= 1);
	assert_memory_equal(ptr, want, PIN_VLEN);
	if (act == PA_OVERWRITE) {
		/* readers see the new value */
		assert_int_equal(sl_store_get(s, k, strlen(k), now, &v), 0);
		assert_int_equal(v.len, PIN_VLEN);
		assert_memory_equal(v.ptr, other, PIN_VLEN);
	} else {
		assert_false(sl_store_exists(s, k, strlen(k), now));
	}
	assert_int_equal(sl_store_part_jemalloc_bytes(s, 0, &je1), 0);

	sl_store_unpin(&pin);
	assert_null(pin.ref);
	settle(s, now, 3);
	part_stats(s, 0, &st2);
	assert_int_equal(st2.pinned, 0);
	assert_int_equal(st2.pinned_retired, 0);
	assert_int_equal(st2.retired_pending, st.retired_pending - 1);
	assert_int_equal(sl_store_part_jemalloc_bytes(s, 0, &je2), 0);
	/* the item (16-byte header, key, value) left both counts; jemalloc's
	 * large size classes round up by less than a quarter */
	uint64_t item = 16 + strlen(k) + PIN_VLEN;
	uint64_t freed = st.alloc_bytes - st2.alloc_bytes;
	assert_true(freed >= item && freed <= item + item / 4 + 4096);
	assert_int_equal(je1 - je2, freed);
	done(&s);
}

static void test_pin_overwrite(void **state)
{
	(void)state;
	pin_case(PA_OVERWRITE);
}

static void test_pin_del(void **state)
{
	(void)state;
	pin_case(PA_DEL);
}

static void test_pin_expire(void **state)
{
	(void)state;
	pin_case(PA_EXPIRE);
}

static void test_pin_evict(void **state)
{
	(void)state;
	pin_case(PA_EVICT);
}

static void test_pin_flush(void **state)
{
	(void)state;
	pin_case(PA_FLUSH);
}

/* Unpinned before the key goes: nothing waits, the item is reclaimed by the
 * ordinary grace period; a live pinned key unpinned leaves the key intact. */
static void test_pin_unpin_live(void **state)
{
	(void)state;
	struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
	static uint8_t want[PIN_VLEN];
	struct sl_store_value v, v2;
	struct sl_store_pin a, b;
	struct sl_store_stats st;

	pin_pattern(want, sizeof(want), 3);
	set_raw(s, "k", want, sizeof(want), 0, NOW);
	assert_int_equal(sl_store_get(s, "k", 1, NOW, &v), 0);
	assert_int_equal(sl_store_get(s, "k", 1, NOW, &v2), 0);
	/* two pins of one item share one entry */
	assert_int_equal(sl_store_pin(s, 0, &v, &a), 0);
	assert_int_equal(sl_store_pin(s, 0, &v2, &b), 0);
	part_stats(s, 0, &st);
	assert_int_equal(st.pinned, 1);
	sl_store_unpin(&a);
	assert_int_equal(sl_store_del(s, 0, "k", 1, NOW), 0);
	settle(s, NOW, 50);
	/* one pin left: still intact */
	assert_memory_equal(v2.ptr, want, PIN_VLEN);
	part_stats(s, 0, &st);
	assert_int_equal(st.pinned, 1);
	assert_int_equal(st.pinned_retired, 1);
	sl_store_unpin(&b);
	sl_store_unpin(&b); /* a released pin is a no-op */
	settle(s, NOW, 2);
	part_stats(s, 0, &st);
	assert_int_equal(st.pinned, 0);
	assert_int_equal(st.pinned_retired, 0);
	assert_int_equal(st.retired_pending, 0);

	/* pinned and unpinned while live: the key and its value stay */
	set_raw(s, "k2", want, sizeof(want), 0, NOW);
	assert_int_equal(sl_store_get(s, "k2", 2, NOW, &v), 0);
	assert_int_equal(sl_store_pin(s, 0, &v, &a), 0);
	sl_store_unpin(&a);
	settle(s, NOW, 5);
	assert_int_equal(sl_store_get(s, "k2", 2, NOW, &v), 0);
	assert_memory_equal(v.ptr, want, PIN_VLEN);
	part_stats(s, 0, &st);
	assert_int_equal(st.pinned, 0);
	assert_int_equal(st.retired_pending, 0);
	done(&s);
}

/* What a pin refuses: short values, counters, hash fields, views that are
 * not the store's, an offline reader. A GETRANGE view of a large value is
 * accepted. */
static void test_pin_refusals(void **state)
{
	(void)state;
	struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
	static uint8_t big[SL_STORE_PIN_MIN], want[PIN_VLEN];
	struct sl_store_value v;
	struct sl_store_pin pin = {NULL};

	memset(big, 'x', sizeof(big));
	set_raw(s, "short", big, SL_STORE_PIN_MIN - 1, 0, NOW);
	assert_int_equal(sl_store_get(s, "short", 5, NOW, &v), 0);
	assert_int_equal(sl_store_pin(s, 0, &v, &pin), -EINVAL);
	set_raw(s, "edge", big, SL_STORE_PIN_MIN, 0, NOW);
	assert_int_equal(sl_store_get(s, "edge", 4, NOW, &v), 0);
	assert_int_equal(sl_store_pin(s, 0, &v, &pin), 0);
	sl_store_unpin(&pin);
	assert_int_equal(set(s, "n", "12345", 0, 0), 0);
	assert_int_equal(sl_store_get(s, "n", 1, NOW, &v), 0);
	assert_int_equal(v.enc, SL_STORE_ENC_INT);
	assert_int_equal(sl_store_pin(s, 0, &v, &pin), -EINVAL);
	struct sl_store_field f = {"f", 1, big, sizeof(big)};
	unsigned added;
	assert_int_equal(sl_store_hset(s, 0, "h", 1, &f, 1, NOW, &added), 0);
	assert_int_equal(sl_store_hget(s, "h", 1, "f", 1, NOW, &v), 0);
	assert_int_equal(sl_store_pin(s, 0, &v, &pin), -EINVAL);

	pin_pattern(want, sizeof(want), 4);
	set_raw(s, "big", want, sizeof(want), 0, NOW);
	assert_int_equal(sl_store_get(s, "big", 3, NOW, &v), 0);
	struct sl_store_value forged = v;
	forged.ptr = want; /* not inside the item */
	assert_int_equal(sl_store_pin(s, 0, &forged, &pin), -EINVAL);
	forged = v;
	forged.len = v.len + 1;
	assert_int_equal(sl_store_pin(s, 0, &forged, &pin), -EINVAL);
	sl_store_reader_offline(s, 0);
	assert_int_equal(sl_store_pin(s, 0, &v, &pin), -EINVAL);
	assert_int_equal(sl_store_reader_online(s, 0), 0);

	/* GETRANGE 1000..60999 of the value */
	assert_int_equal(sl_store_getrange(s, "big", 3, 1000, 60999, NOW, &v), 0);
	assert_int_equal(v.len, 60000);
	assert_int_equal(sl_store_pin(s, 0, &v, &pin), 0);
	assert_int_equal(sl_store_del(s, 0, "big", 3, NOW), 0);
	settle(s, NOW, 20);
	assert_memory_equal(v.ptr, want + 1000, 60000);
	sl_store_unpin(&pin);
	settle(s, NOW, 2);
	assert_int_equal(TOTAL(s, pinned), 0);
	assert_int_equal(TOTAL(s, retired_pending), 0);
	done(&s);
}

/* The pin table holds SL_STORE_PIN_SLOTS distinct items; one more is
 * refused with -ENOSPC (the caller copies), and a slot freed is reusable. */
static void test_pin_table_full(void **state)
{
	(void)state;
	struct sl_store *s = mk(1, 0, SL_STORE_NOEVICTION);
	static uint8_t val[SL_STORE_PIN_MIN];
	static struct sl_store_pin pins[SL_STORE_PIN_SLOTS + 1];
	struct sl_store_value v;
	char k[32];

	memset(val, 'p', sizeof(val));
	for (unsigned i = 0; i <= SL_STORE_PIN_SLOTS; i++) {
		snprintf(k, sizeof(k), "full:%u", i);
		set_raw(s, k, val, sizeof(val), 0, NOW);
		assert_int_equal(sl_store_get(s, k, strlen(k), NOW, &v), 0);
		assert_int_equal(sl_store_pin(s, 0, &v, &pins[i]),
				 i < SL_STORE_PIN_SLOTS ? 0 : -ENOSPC);
	}
	assert_int_equal(TOTAL(s, pinned), SL_STORE_PIN_SLOTS);
	/* delete every other key, unpin all in a scattered order */
	for (unsigned i = 0; i < SL_STORE_PIN_SLOTS; i += 2) {
		snprintf(k, sizeof(k), "full:%u", i);
		assert_int_equal(sl_store_del(s, 0, k, strlen(k), NOW), 0);
	}
	settle(s, NOW, 3);
	assert_int_equal(TOTAL(s, pinned_retired), SL_STORE_PIN_SLOTS / 2);
	snprintf(k, sizeof(k), "full:%u", SL_STORE_PIN_SLOTS);
	assert_int_equal(sl_store_get(s, k, strlen(k), NOW, &v), 0);
	sl_store_unpin(&pins[7]);
	assert_int_equal(sl_store_pin(s, 0, &v, &pins[SL_STORE_PIN_SLOTS]), 0);
	for (unsigned i = 0; i < SL_STORE_PIN_SLOTS; i++)
		sl_store_unpin(&pins[(i * 1031) % SL_STORE_PIN_SLOTS]);
	sl_store_unpin(&pins[SL_STORE_PIN_SLOTS]);
	settle(s, NOW, SL_STORE_PIN_SLOTS / 32 + 2);
	assert_int_equal(TOTAL(s, pinned), 0);
	assert_int_equal(TOTAL(s, pinned_retired), 0);
	assert_int_equal(TOTAL(s, retired_pending), 0);
	assert_int_equal(TOTAL(s, keys), SL_STORE_PIN_SLOTS / 2 + 1);
	done(&s);
}

struct unpin_arg {
	struct sl_store_pin *pins;
	unsigned n;
};

static void *unpin_thread(void *arg)
{
	struct unpin_arg *a = arg;
	for (unsigned i = 0; i < a->n; i++)
		sl_store_unpin(&a->pins[i]);
	return NULL;
}

/* Two partitions: reader 0 pins values of partition 1's keys; partition
 * 1's owner overwrites them; a thread that is no reader at all unpins;
 * partition 1's owner then frees them. */
static void test_pin_remote_unpin_other_thread(void **state)
{
	(void)state;
	struct sl_store *s = mk(2, 0, SL_STORE_NOEVICTION);
	static uint8_t want[4][PIN_VLEN], other[PIN_VLEN];
	struct sl_store_pin pins[4];
	const uint8_t *ptrs[4];
	char keys[4][32];
	unsigned n = 0;
	struct sl_store_stats st;

	pin_pattern(other, sizeof(other), 9);
	for (unsigned i = 0; n < 4 && i < 1000; i++) {
		snprintf(keys[n], sizeof(keys[n]), "remote:%u", i);
		if (owner(s, keys[n]) != 1)
			continue;
		struct sl_store_value v;
		pin_pattern(want[n], PIN_VLEN, 20 + n);
		set_raw(s, keys[n], want[n], PIN_VLEN, 0, NOW);
		assert_int_equal(sl_store_get(s, keys[n], strlen(keys[n]), NOW, &v), 0);
		assert_int_equal(sl_store_pin(s, 0, &v, &pins[n]), 0);
		ptrs[n] = v.ptr;
		n++;
	}
	assert_int_equal(n, 4);
	part_stats(s, 1, &st);
	assert_int_equal(st.pinned, 4);
	part_stats(s, 0, &st);
	assert_int_equal(st.pinned, 0);
	for (unsigned i = 0; i < 4; i++)
		set_raw(s, keys[i], other, PIN_VLEN, 0, NOW);
	settle(s, NOW, 100);
	for (unsigned i = 0; i < 4; i++)
		assert_memory_equal(ptrs[i], want[i], PIN_VLEN);
	part_stats(s, 1, &st);
	assert_int_equal(st.pinned_retired, 4);
	uint64_t pending = st.retired_pending, alloc = st.alloc_bytes;

	pthread_t th;
	struct unpin_arg a = {pins, 4};
	assert_int_equal(pthread_create(&th, NULL, unpin_thread, &a), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	settle(s, NOW, 2);
	part_stats(s, 1, &st);
	assert_int_equal(st.pinned, 0);
	assert_int_equal(st.pinned_retired, 0);
	assert_int_equal(st.retired_pending, pending - 4);
	assert_true(alloc - st.alloc_bytes >= 4ull * (PIN_VLEN + 16));
	for (unsigned i = 0; i < 4; i++) {
		struct sl_store_value v;
		assert_int_equal(sl_store_get(s, keys[i], strlen(keys[i]), NOW, &v), 0);
		assert_memory_equal(v.ptr, other, PIN_VLEN);
	}
	done(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_spread),
		cmocka_unit_test(test_set_get_del_many),
		cmocka_unit_test(test_wrong_partition),
		cmocka_unit_test(test_set_options),
		cmocka_unit_test(test_bulk_get),
		cmocka_unit_test(test_reclaim_waits_for_readers),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_active_expiry),
		cmocka_unit_test(test_active_expiry_during_resize),
		cmocka_unit_test(test_incr),
		cmocka_unit_test(test_incrbyfloat),
		cmocka_unit_test(test_append_setrange_getrange),
		cmocka_unit_test(test_rename),
		cmocka_unit_test(test_hash_small_and_large),
		cmocka_unit_test(test_accounting_matches_jemalloc),
		cmocka_unit_test(test_flush_lazy_returns_memory),
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_oom_reply_text),
		cmocka_unit_test(test_denyoom_first),
		cmocka_unit_test(test_make_room),
		cmocka_unit_test(test_evict_sparse_table),
		cmocka_unit_test(test_evict_rare_volatile),
		cmocka_unit_test(test_evict_long_keys),
		cmocka_unit_test(test_evict_sweep_spans_calls),
		cmocka_unit_test(test_scan_full),
		cmocka_unit_test(test_scan_guarantee_under_resize),
		cmocka_unit_test(test_randomkey),
		cmocka_unit_test(test_ship_program_order),
		cmocka_unit_test(test_ship_two_threads),
		cmocka_unit_test(test_pin_overwrite),
		cmocka_unit_test(test_pin_del),
		cmocka_unit_test(test_pin_expire),
		cmocka_unit_test(test_pin_evict),
		cmocka_unit_test(test_pin_flush),
		cmocka_unit_test(test_pin_unpin_live),
		cmocka_unit_test(test_pin_refusals),
		cmocka_unit_test(test_pin_table_full),
		cmocka_unit_test(test_pin_remote_unpin_other_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
