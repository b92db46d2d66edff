/*
 * Large replies sent by reference (issue 7, "the pacer"): a GET of a large
 * string pins the store's item and the reply points into it, so the value
 * reaches the client as it was when GET ran even if the key is overwritten
 * or deleted and many grace periods pass before the client reads; output
 * memory counts the referenced bytes; closing the client releases the pin.
 * Expected bytes are the values the test wrote (a pattern generated here),
 * framed as RESP bulk strings ("$<len>\r\n<bytes>\r\n", RESP spec).
 *
 * Two partitions, one engine (worker 0): keys of partition 1 are read by
 * worker 0 under QSBR, so their pins are taken from the reader side. The
 * test thread plays partition 1's owner too (sl_store_set as owner 1).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/cmd/cmd.h"
#include "dataplane/store/store.h"

#define NOW_MS 1700000000000ull
#define MIB    (1024u * 1024u)

static struct sl_store *store;
static struct sl_engine_shared shared;
static struct sl_engine engine;

static int setup(void **state)
{
	struct sl_store_config cfg;

	(void)state;
	sl_store_config_default(&cfg);
	cfg.n_parts = 2;
	store = sl_store_create(&cfg);
	if (store == NULL || sl_store_reader_online(store, 0) != 0 ||
	    sl_store_reader_online(store, 1) != 0)
		return -1;
	sl_engine_shared_defaults(&shared);
	shared.start_ms = NOW_MS;
	return sl_engine_init(&engine, store, 0, &shared);
}

static int teardown(void **state)
{
	(void)state;
	sl_engine_deinit(&engine);
	sl_store_reader_offline(store, 0);
	sl_store_reader_offline(store, 1);
	sl_store_destroy(&store);
	return 0;
}

/* Every reader passes a quiescent state and every owner maintains, n times. */
static void quiesce(unsigned n)
{
	for (unsigned r = 0; r < n; r++) {
		sl_store_quiescent(store, 0);
		sl_store_quiescent(store, 1);
		sl_store_maintain(store, 0, NOW_MS);
		sl_store_maintain(store, 1, NOW_MS);
	}
}

static void pattern(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((i * 131 + seed * 7 + (i >> 12)) & 0xff);
}

static unsigned part_of(const char *k)
{
	return sl_store_part_of(store, sl_store_hash(k, strlen(k)));
}

/* A key name of partition `part`. */
static void key_in(char *buf, size_t cap, const char *prefix, unsigned part)
{
	for (unsigned i = 0; i < 100000; i++) {
		snprintf(buf, cap, "%s:%u", prefix, i);
		if (part_of(buf) == part)
			return;
	}
	fail_msg("no key for partition %u", part);
}

static void store_set(const char *k, const void *v, size_t len)
{
	struct sl_store_set_opts o = {0, 0};

	assert_int_equal(sl_store_set(store, part_of(k), k, strlen(k), v, len, &o, NOW_MS, NULL),
			 0);
}

static uint64_t stat_of(unsigned part, size_t off)
{
	struct sl_store_stats st;

	sl_store_part_stats(store, part, &st);
	return *(uint64_t *)((char *)&st + off);
}
#define STAT(part, f) stat_of((part), offsetof(struct sl_store_stats, f))

static void input(struct sl_client *c, const char *req)
{
	bool held;

	assert_int_equal(sl_client_input(c, req, strlen(req), NOW_MS, &held), 0);
}

/* Reads up to max bytes of c's output, `slice` bytes per consume (a slow
 * client), quiescing the store between slices. Returns the bytes read. */
static size_t read_out(struct sl_client *c, uint8_t *dst, size_t max, size_t slice)
{
	size_t got = 0;

	while (sl_resp_out_pending(&c->out) > 0 && got < max) {
		struct iovec iov[8];
		size_t n = sl_resp_out_peek(&c->out, iov, 8), take = 0;

		assert_true(n > 0);
		for (size_t i = 0; i < n && take < slice; i++) {
			size_t k = SL_MIN(iov[i].iov_len, slice - take);

			assert_true(got + take + k <= max);
			memcpy(dst + got + take, iov[i].iov_base, k);
			take += k;
		}
		sl_resp_out_consume(&c->out, take);
		got += take;
		quiesce(1);
	}
	return got;
}

/* dst == "$<len>\r\n" + want + "\r\n"; returns the bytes it spans. */
static size_t expect_bulk(const uint8_t *dst, size_t have, const uint8_t *want, size_t len)
{
	char head[32];
	int hl = snprintf(head, sizeof(head), "$%zu\r\n", len);

	assert_true(have >= (size_t)hl + len + 2);
	assert_memory_equal(dst, head, (size_t)hl);
	assert_memory_equal(dst + hl, want, len);
	assert_memory_equal(dst + hl + len, "\r\n", 2);
	return (size_t)hl + len + 2;
}

/* GET of a 1 MiB value of the other partition, held unconsumed while the key
 * is overwritten and the store quiesces many times: the reply carries the
 * old value. */
static void test_get_held_across_overwrite(void **state)
{
	static uint8_t v1[MIB], v2[MIB], out[MIB + 64];
	struct sl_client c;
	char k[32], req[128];

	(void)state;
	key_in(k, sizeof(k), "big", 1);
	pattern(v1, MIB, 1);
	pattern(v2, MIB, 2);
	store_set(k, v1, MIB);
	sl_client_init(&c, &engine, "127.0.0.1:50000", NOW_MS);
	snprintf(req, sizeof(req), "GET %s\r\n", k);
	input(&c, req);
	/* held by reference: partition 1 has one pinned item; output memory
	 * counts the value's bytes although no chunk holds them */
	assert_int_equal(STAT(1, pinned), 1);
	assert_true(sl_resp_out_mem(&c.out) >= MIB);
	assert_int_equal(sl_resp_out_pending(&c.out), strlen("$1048576\r\n") + MIB + 2);

	store_set(k, v2, MIB);
	quiesce(50);
	assert_int_equal(STAT(1, pinned_retired), 1);
	assert_true(sl_resp_out_mem(&c.out) >= MIB); /* still counted while held */

	size_t got = read_out(&c, out, sizeof(out), 65536);
	assert_int_equal(expect_bulk(out, got, v1, MIB), got);
	/* the last byte went: the pin is released and the old item freed */
	assert_true(sl_resp_out_mem(&c.out) < MIB);
	quiesce(2);
	assert_int_equal(STAT(1, pinned), 0);
	assert_int_equal(STAT(1, pinned_retired), 0);
	assert_int_equal(STAT(1, retired_pending), 0);

	/* a new GET sees the new value */
	input(&c, req);
	got = read_out(&c, out, sizeof(out), MIB);
	assert_int_equal(expect_bulk(out, got, v2, MIB), got);
	sl_client_deinit(&c);
	quiesce(2);
	assert_int_equal(STAT(1, pinned), 0);
}

/* A client closed with the reply unsent releases its pin; the deleted key's
 * item is then freed. */
static void test_close_releases(void **state)
{
	static uint8_t v1[MIB];
	struct sl_client c;
	char k[32], req[128];
	uint8_t part[100];

	(void)state;
	key_in(k, sizeof(k), "close", 0);
	pattern(v1, MIB, 3);
	store_set(k, v1, MIB);
	sl_client_init(&c, &engine, "127.0.0.1:50001", NOW_MS);
	snprintf(req, sizeof(req), "GET %s\r\nDEL %s\r\n", k, k);
	input(&c, req);
	assert_int_equal(STAT(0, keys), 0);
	assert_int_equal(STAT(0, pinned), 1);
	quiesce(20);
	assert_int_equal(STAT(0, pinned_retired), 1);
	/* a few bytes read, then the connection goes */
	assert_int_equal(read_out(&c, part, 40, 40), 40);
	assert_memory_equal(part + strlen("$1048576\r\n"), v1, 40 - strlen("$1048576\r\n"));
	sl_client_deinit(&c);
	quiesce(2);
	assert_int_equal(STAT(0, pinned), 0);
	assert_int_equal(STAT(0, pinned_retired), 0);
	assert_int_equal(STAT(0, retired_pending), 0);
}

/* MGET of two large values and a short one, GETRANGE of a large range and
 * GETDEL of the first key: the replies hold the values as they were, in order. Short values
 * are copied (never pinned). */
static void test_mget_getrange_getdel(void **state)
{
	static uint8_t a[300000], b[70000], x[70000], out[1000000];
	struct sl_client c;
	char ka[32], kb[32], req[512];
	size_t off = 0, got;

	(void)state;
	key_in(ka, sizeof(ka), "ma", 0);
	key_in(kb, sizeof(kb), "mb", 1);
	pattern(a, sizeof(a), 4);
	pattern(b, sizeof(b), 5);
	pattern(x, sizeof(x), 6);
	store_set(ka, a, sizeof(a));
	store_set(kb, b, sizeof(b));
	store_set("small", "tiny", 4);
	sl_client_init(&c, &engine, "127.0.0.1:50002", NOW_MS);
	snprintf(req, sizeof(req),
		 "MGET %s small %s\r\nGETRANGE %s 1000 200999\r\nGET small\r\nGETDEL %s\r\n", ka,
		 kb, ka, ka);
	input(&c, req);
	assert_int_equal(STAT(0, pinned), 1); /* ka: MGET, GETRANGE, GETDEL share the item */
	assert_int_equal(STAT(1, pinned), 1); /* kb: MGET */
	assert_false(sl_store_exists(store, ka, strlen(ka), NOW_MS)); /* GETDEL removed it */
	store_set(ka, x, sizeof(x));
	store_set(kb, x, sizeof(x));
	quiesce(30);
	got = read_out(&c, out, sizeof(out), 4000);
	assert_memory_equal(out, "*3\r\n", 4);
	off = 4;
	off += expect_bulk(out + off, got - off, a, sizeof(a));
	off += expect_bulk(out + off, got - off, (const uint8_t *)"tiny", 4);
	off += expect_bulk(out + off, got - off, b, sizeof(b));
	off += expect_bulk(out + off, got - off, a + 1000, 200000);
	off += expect_bulk(out + off, got - off, (const uint8_t *)"tiny", 4);
	off += expect_bulk(out + off, got - off, a, sizeof(a));
	assert_int_equal(off, got);
	quiesce(2);
	assert_int_equal(STAT(0, pinned) + STAT(1, pinned), 0);
	assert_int_equal(STAT(0, retired_pending) + STAT(1, retired_pending), 0);
	sl_client_deinit(&c);
}

/* CLIENT REPLY OFF: the GET runs, its reply is dropped, and so is the pin. */
static void test_reply_off_releases(void **state)
{
	static uint8_t v[100000];
	struct sl_client c;
	char k[32], req[128];

	(void)state;
	key_in(k, sizeof(k), "off", 1);
	pattern(v, sizeof(v), 7);
	store_set(k, v, sizeof(v));
	sl_client_init(&c, &engine, "127.0.0.1:50003", NOW_MS);
	snprintf(req, sizeof(req), "CLIENT REPLY OFF\r\nGET %s\r\n", k);
	input(&c, req);
	assert_int_equal(sl_resp_out_pending(&c.out), 0);
	assert_int_equal(STAT(1, pinned), 0);
	sl_client_deinit(&c);
}

/* ---- with the mesh: a client waiting behind a shipped write ---- */

struct mfx {
	struct sl_store *store;
	struct sl_mesh *mesh;
	struct sl_engine_shared shared;
	struct sl_engine eng[2];
};

static void mfx_init(struct mfx *f)
{
	struct sl_store_config sc;

	memset(f, 0, sizeof(*f));
	sl_store_config_default(&sc);
	sc.n_parts = 2;
	f->store = sl_store_create(&sc);
	assert_non_null(f->store);
	f->mesh = sl_mesh_create(2, 1024);
	assert_non_null(f->mesh);
	sl_engine_shared_defaults(&f->shared);
	sl_engine_shared_set_store_config(&f->shared, &sc);
	f->shared.start_ms = NOW_MS;
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(sl_store_reader_online(f->store, i), 0);
		assert_int_equal(sl_engine_init(&f->eng[i], f->store, i, &f->shared), 0);
		assert_int_equal(sl_engine_attach_mesh(&f->eng[i], f->mesh), 0);
	}
}

static void mfx_deinit(struct mfx *f)
{
	for (unsigned i = 0; i < 2; i++) {
		sl_engine_deinit(&f->eng[i]);
		sl_store_reader_offline(f->store, i);
	}
	sl_mesh_destroy(&f->mesh);
	sl_store_destroy(&f->store);
}

/* Both workers poll, announce quiescent states and maintain, n rounds;
 * clients answered are resumed. */
static void mfx_pump(struct mfx *f, unsigned n)
{
	for (unsigned r = 0; r < n; r++) {
		for (unsigned w = 0; w < 2; w++) {
			struct sl_client *ready[8];
			unsigned k = sl_engine_poll(&f->eng[w], NOW_MS, ready, 8);

			for (unsigned i = 0; i < k; i++)
				assert_int_equal(sl_client_resume(ready[i], NOW_MS), 0);
			sl_store_quiescent(f->store, w);
			sl_store_maintain(f->store, w, NOW_MS);
		}
	}
}

static uint64_t mstat(struct mfx *f, unsigned part, size_t off)
{
	struct sl_store_stats st;

	sl_store_part_stats(f->store, part, &st);
	return *(uint64_t *)((char *)&st + off);
}
#define MSTAT(f, part, fld) mstat((f), (part), offsetof(struct sl_store_stats, fld))

/* Worker 0's client GETs a 1 MiB value of partition 1, then SETs the key
 * (shipped to worker 1, the client waits) and GETs it again. The first
 * reply stays unsent while worker 1 overwrites the item and both workers
 * pass many quiescent states: it still carries the old value. A second
 * client with a pinned reply goes away while it waits: its pin is
 * released. */
static void test_mesh_waiting_client(void **state)
{
	static uint8_t v1[MIB], out[MIB + 256];
	struct mfx f;
	struct sl_client c, gone;
	char k[32], req[256];
	bool held;
	size_t off, got;

	(void)state;
	mfx_init(&f);
	for (unsigned i = 0;; i++) {
		snprintf(k, sizeof(k), "mesh:%u", i);
		if (sl_store_part_of(f.store, sl_store_hash(k, strlen(k))) == 1)
			break;
	}
	pattern(v1, MIB, 11);
	struct sl_store_set_opts o = {0, 0};
	assert_int_equal(sl_store_set(f.store, 1, k, strlen(k), v1, MIB, &o, NOW_MS, NULL), 0);
	sl_client_init(&c, &f.eng[0], "127.0.0.1:50010", NOW_MS);
	snprintf(req, sizeof(req), "GET %s\r\nSET %s new\r\nGET %s\r\n", k, k, k);
	assert_int_equal(sl_client_input(&c, req, strlen(req), NOW_MS, &held), 0);
	assert_true(sl_client_waiting(&c));
	assert_int_equal(MSTAT(&f, 1, pinned), 1);
	mfx_pump(&f, 50);
	assert_false(sl_client_waiting(&c));
	assert_int_equal(MSTAT(&f, 1, pinned_retired), 1);
	got = read_out(&c, out, sizeof(out), 100000);
	off = expect_bulk(out, got, v1, MIB);
	assert_true(got - off == strlen("+OK\r\n$3\r\nnew\r\n"));
	assert_memory_equal(out + off, "+OK\r\n$3\r\nnew\r\n", got - off);
	mfx_pump(&f, 2);
	assert_int_equal(MSTAT(&f, 1, pinned), 0);
	assert_int_equal(MSTAT(&f, 1, pinned_retired), 0);
	sl_client_deinit(&c);

	/* a waiting client with a pinned reply goes away */
	assert_int_equal(sl_store_set(f.store, 1, k, strlen(k), v1, MIB, &o, NOW_MS, NULL), 0);
	sl_client_init(&gone, &f.eng[0], "127.0.0.1:50011", NOW_MS);
	snprintf(req, sizeof(req), "GET %s\r\nDEL %s\r\n", k, k);
	assert_int_equal(sl_client_input(&gone, req, strlen(req), NOW_MS, &held), 0);
	assert_true(sl_client_waiting(&gone));
	assert_int_equal(MSTAT(&f, 1, pinned), 1);
	sl_client_deinit(&gone);
	mfx_pump(&f, 10);
	assert_int_equal(MSTAT(&f, 1, keys), 0); /* the DEL ran, acknowledged to nobody */
	assert_int_equal(MSTAT(&f, 1, pinned), 0);
	assert_int_equal(MSTAT(&f, 1, pinned_retired), 0);
	assert_int_equal(MSTAT(&f, 1, retired_pending), 0);
	mfx_deinit(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_held_across_overwrite),
		cmocka_unit_test(test_close_releases),
		cmocka_unit_test(test_mget_getrange_getdel),
		cmocka_unit_test(test_reply_off_releases),
		cmocka_unit_test(test_mesh_waiting_client),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
