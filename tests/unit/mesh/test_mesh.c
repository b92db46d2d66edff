/*
 * Unit tests for cross-worker execution (dataplane/cmd/mesh.c): two engines
 * over one store of two partitions, driven from one thread by polling both
 * in turn (each ring still has one producer and one consumer). A client of
 * worker 0 sends requests on keys of both partitions; the expected replies
 * are Redis's for the same requests on one server (written by hand), in
 * request order, one per request.
 *
 * A second test runs the two workers on two threads with many pipelining
 * clients each, for ThreadSanitizer and for reply order under real races.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <cmocka.h>

#include "dataplane/cmd/cmd.h"

#define NOW 1700000000000ull

struct fx {
	struct sl_store *store;
	struct sl_mesh *mesh;
	struct sl_engine_shared shared;
	struct sl_engine eng[2];
	struct sl_client cl[3];
	char local[4][16];  /* keys owned by partition 0 */
	char remote[4][16]; /* keys owned by partition 1 */
};

static unsigned owner(struct fx *f, const char *k)
{
	return sl_store_part_of(f->store, sl_store_hash(k, strlen(k)));
}

static struct fx *fx_new(unsigned slots)
{
	struct sl_store_config sc;
	struct fx *f = calloc(1, sizeof(*f));
	unsigned i, nl = 0, nr = 0, k;

	assert_non_null(f);
	sl_store_config_default(&sc);
	sc.n_parts = 2;
	f->store = sl_store_create(&sc);
	assert_non_null(f->store);
	f->mesh = sl_mesh_create(2, slots);
	assert_non_null(f->mesh);
	sl_engine_shared_defaults(&f->shared);
	sl_engine_shared_set_store_config(&f->shared, &sc);
	f->shared.start_ms = NOW;
	for (i = 0; i < 2; i++) {
		assert_int_equal(sl_store_reader_online(f->store, i), 0);
		assert_int_equal(sl_engine_init(&f->eng[i], f->store, i, &f->shared), 0);
		assert_int_equal(sl_engine_attach_mesh(&f->eng[i], f->mesh), 0);
	}
	for (i = 0; i < 3; i++)
		sl_client_init(&f->cl[i], &f->eng[0], "198.18.0.2:40000", NOW);
	for (k = 0; nl < 4 || nr < 4; k++) {
		char key[16];

		snprintf(key, sizeof(key), "k%u", k);
		if (owner(f, key) == 0 && nl < 4)
			memcpy(f->local[nl++], key, sizeof(key));
		else if (owner(f, key) == 1 && nr < 4)
			memcpy(f->remote[nr++], key, sizeof(key));
	}
	return f;
}

static void fx_free(struct fx *f)
{
	unsigned i;

	for (i = 0; i < 3; i++)
		sl_client_deinit(&f->cl[i]);
	for (i = 0; i < 2; i++) {
		sl_engine_deinit(&f->eng[i]);
		sl_store_reader_offline(f->store, i);
	}
	sl_mesh_destroy(&f->mesh);
	sl_store_destroy(&f->store);
	free(f);
}

/* Polls both workers until nothing moves; resumes the clients that are answered. */
static void pump(struct fx *f)
{
	unsigned round, i, w;

	for (round = 0; round < 1000; round++) {
		unsigned moved = 0;

		for (w = 2; w-- > 0;) {
			struct sl_client *ready[32];
			unsigned n = sl_engine_poll(&f->eng[w], NOW, ready, 32);

			for (i = 0; i < n; i++)
				assert_int_equal(sl_client_resume(ready[i], NOW), 0);
			moved += n;
		}
		if (moved == 0) {
			bool waiting = false;

			for (i = 0; i < 3; i++)
				waiting |= sl_client_waiting(&f->cl[i]);
			if (!waiting && round > 2)
				return;
		}
	}
	fail_msg("clients still waiting after 1000 polls");
}

/* Everything c has replied so far, NUL-terminated, into out[cap]. */
static const char *drain_into(struct sl_client *c, char *out, size_t cap)
{
	size_t n = 0;
	struct iovec iov[16];
	size_t k, i;

	while ((k = sl_resp_out_peek(&c->out, iov, 16)) > 0) {
		size_t done = 0;

		for (i = 0; i < k; i++) {
			assert_true(n + iov[i].iov_len < cap);
			memcpy(out + n, iov[i].iov_base, iov[i].iov_len);
			n += iov[i].iov_len;
			done += iov[i].iov_len;
		}
		sl_resp_out_consume(&c->out, done);
	}
	out[n] = '\0';
	return out;
}

/* The same, into a static buffer (single-threaded tests). */
static const char *drain_out(struct sl_client *c)
{
	static char out[1 << 16];

	return drain_into(c, out, sizeof(out));
}

static void feed(struct sl_client *c, const char *req)
{
	bool held;

	assert_int_equal(sl_client_input(c, req, strlen(req), NOW, &held), 0);
}

/* Sends req and checks everything c replies once both workers are idle. */
static void exchange(struct fx *f, struct sl_client *c, const char *req, const char *want)
{
	feed(c, req);
	pump(f);
	assert_string_equal(drain_out(c), want);
}

static void test_single_remote_write_waits(void **state)
{
	struct fx *f = fx_new(1024);
	char req[256];

	(void)state;
	snprintf(req, sizeof(req), "SET %s v\r\n", f->remote[0]);
	feed(&f->cl[0], req);
	assert_true(sl_client_waiting(&f->cl[0]));
	assert_string_equal(drain_out(&f->cl[0]), ""); /* nothing before the owner answers */
	pump(f);
	assert_false(sl_client_waiting(&f->cl[0]));
	assert_string_equal(drain_out(&f->cl[0]), "+OK\r\n");
	/* A read runs where the client is and sees the owner's write. */
	snprintf(req, sizeof(req), "GET %s\r\n", f->remote[0]);
	feed(&f->cl[0], req);
	assert_false(sl_client_waiting(&f->cl[0]));
	assert_string_equal(drain_out(&f->cl[0]), "$1\r\nv\r\n");
	assert_int_equal(f->eng[0].stats.shipped_out, 1);
	assert_int_equal(f->eng[1].stats.shipped_in, 1);
	fx_free(f);
}

static void test_pipeline_order(void **state)
{
	struct fx *f = fx_new(1024);
	char req[1024];
	const char *r1 = f->remote[0], *r2 = f->remote[1], *l1 = f->local[0];

	(void)state;
	snprintf(req, sizeof(req),
		 "SET %s a\r\nGET %s\r\nSET %s b\r\nINCR %s\r\nINCR %s\r\nGET %s\r\n"
		 "APPEND %s cd\r\nGET %s\r\nDEL %s %s %s nokey\r\nEXISTS %s %s %s\r\n",
		 r1, r1, l1, r2, r2, l1, r1, r1, r1, l1, r2, r1, l1, r2);
	exchange(f, &f->cl[0], req,
		 "+OK\r\n$1\r\na\r\n+OK\r\n:1\r\n:2\r\n$1\r\nb\r\n:3\r\n$3\r\nacd\r\n:3\r\n:0\r\n");
	fx_free(f);
}

static void test_errors_pass_through(void **state)
{
	struct fx *f = fx_new(1024);
	char req[512];
	const char *r = f->remote[0];

	(void)state;
	snprintf(req, sizeof(req), "SET %s notanumber\r\nINCR %s\r\nHSET %s f v\r\nGET %s\r\n", r,
		 r, r, r);
	exchange(f, &f->cl[0], req,
		 "+OK\r\n-ERR value is not an integer or out of range\r\n"
		 "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
		 "$10\r\nnotanumber\r\n");
	fx_free(f);
}

static void test_resp3_reply_shipped(void **state)
{
	struct fx *f = fx_new(1024);
	char req[256];
	const char *out;

	(void)state;
	feed(&f->cl[0], "HELLO 3\r\n");
	out = drain_out(&f->cl[0]);
	assert_true(out[0] == '%');
	/* SET ... GET of a missing key: RESP3 null "_", shipped and answered by the owner. */
	snprintf(req, sizeof(req), "SET %s v GET\r\nSET %s w GET\r\n", f->remote[0], f->remote[0]);
	exchange(f, &f->cl[0], req, "_\r\n$1\r\nv\r\n");
	fx_free(f);
}

static void test_multikey_across(void **state)
{
	struct fx *f = fx_new(1024);
	char req[1024];
	const char *l1 = f->local[0], *l2 = f->local[1], *r1 = f->remote[0], *r2 = f->remote[1];

	(void)state;
	snprintf(req, sizeof(req), "MSET %s x %s y %s z\r\nMGET %s %s %s\r\n", l1, r1, l2, l1, r1,
		 l2);
	exchange(f, &f->cl[0], req, "+OK\r\n*3\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n");
	/* MSETNX: one existing key anywhere means nothing is set. */
	snprintf(req, sizeof(req), "MSETNX %s 1 %s 2\r\nEXISTS %s\r\n", r2, l1, r2);
	exchange(f, &f->cl[0], req, ":0\r\n:0\r\n");
	snprintf(req, sizeof(req), "MSETNX %s 1 %s 2\r\nMGET %s %s\r\n", r2, f->local[2], r2,
		 f->local[2]);
	exchange(f, &f->cl[0], req, ":1\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
	/* Duplicate keys across partitions are each counted, as Redis does. */
	snprintf(req, sizeof(req), "UNLINK %s %s %s %s\r\nDBSIZE\r\n", l1, r1, r1, l2);
	exchange(f, &f->cl[0], req, ":3\r\n:2\r\n");
	/* An odd MSET is the handler's arity error, not shipped. */
	snprintf(req, sizeof(req), "MSET %s a %s\r\n", l1, r1);
	exchange(f, &f->cl[0], req, "-ERR wrong number of arguments for 'mset' command\r\n");
	fx_free(f);
}

static void test_rename_across(void **state)
{
	struct fx *f = fx_new(1024);
	char req[1024];
	const char *r1 = f->remote[0], *l1 = f->local[0], *r2 = f->remote[1], *l2 = f->local[1];
	const char *out;
	long long ttl;

	(void)state;
	snprintf(req, sizeof(req),
		 "SET %s hello PX 100000\r\nRENAME %s %s\r\nGET %s\r\nEXISTS %s\r\n", r1, r1, l1,
		 l1, r1);
	exchange(f, &f->cl[0], req, "+OK\r\n+OK\r\n$5\r\nhello\r\n:0\r\n");
	snprintf(req, sizeof(req), "PTTL %s\r\n", l1);
	feed(&f->cl[0], req);
	out = drain_out(&f->cl[0]);
	assert_true(out[0] == ':');
	ttl = atoll(out + 1);
	assert_true(ttl > 99000 && ttl <= 100000); /* the expiry travelled with the value */
	/* A hash, back to partition 1, replacing a string there. */
	snprintf(req, sizeof(req),
		 "DEL %s\r\nHSET %s f1 v1 f2 v2\r\nSET %s old\r\nRENAME %s %s\r\nHGET %s f2\r\n"
		 "HLEN %s\r\nTTL %s\r\nTYPE %s\r\n",
		 l1, l1, r2, l1, r2, r2, r2, r2, l1);
	exchange(f, &f->cl[0], req, ":1\r\n:2\r\n+OK\r\n+OK\r\n$2\r\nv2\r\n:2\r\n:-1\r\n+none\r\n");
	/* RENAMENX onto an existing key, and from a missing one. */
	snprintf(req, sizeof(req), "SET %s a\r\nRENAMENX %s %s\r\nRENAME nokey%s %s\r\n", l2, l2,
		 r2, l2, r1);
	exchange(f, &f->cl[0], req, "+OK\r\n:0\r\n-ERR no such key\r\n");
	snprintf(req, sizeof(req), "RENAMENX %s %s\r\nGET %s\r\n", l2, r1, r1);
	exchange(f, &f->cl[0], req, ":1\r\n$1\r\na\r\n");
	fx_free(f);
}

static void test_flushall_every_partition(void **state)
{
	struct fx *f = fx_new(1024);
	char req[512];

	(void)state;
	snprintf(req, sizeof(req),
		 "MSET %s 1 %s 2\r\nDBSIZE\r\nFLUSHALL\r\nDBSIZE\r\nFLUSHDB bogus\r\n", f->local[0],
		 f->remote[0]);
	exchange(f, &f->cl[0], req, "+OK\r\n:2\r\n+OK\r\n:0\r\n-ERR syntax error\r\n");
	fx_free(f);
}

/* The request after a shipped one is split across two input segments. */
static void test_partial_request_behind_shipped(void **state)
{
	struct fx *f = fx_new(1024);
	char req[512];

	(void)state;
	snprintf(req, sizeof(req), "SET %s a\r\n*2\r\n$3\r\nGET\r\n$%zu\r\n%.2s", f->remote[0],
		 strlen(f->remote[0]), f->remote[0]);
	feed(&f->cl[0], req);
	pump(f);
	assert_string_equal(drain_out(&f->cl[0]), "+OK\r\n");
	snprintf(req, sizeof(req), "%s\r\n", f->remote[0] + 2);
	feed(&f->cl[0], req);
	pump(f);
	assert_string_equal(drain_out(&f->cl[0]), "$1\r\na\r\n");
	fx_free(f);
}

/* Fewer ring slots than requests in flight: the backlog keeps them in order. */
static void test_backlog_keeps_order(void **state)
{
	struct fx *f = fx_new(2);
	char req[256], want[4096];
	unsigned i, c;

	(void)state;
	for (c = 0; c < 3; c++) {
		snprintf(req, sizeof(req), "SET %s %u\r\n", f->remote[c], c);
		feed(&f->cl[c], req);
	}
	/* Each client is behind one shipped command; with 2 slots one waits in the backlog. */
	pump(f);
	for (c = 0; c < 3; c++)
		assert_string_equal(drain_out(&f->cl[c]), "+OK\r\n");
	for (c = 0; c < 3; c++) {
		char big[2048];
		size_t n = 0;

		for (i = 0; i < 20; i++)
			n += (size_t)snprintf(big + n, sizeof(big) - n, "INCR %s\r\n",
					      f->remote[3]);
		feed(&f->cl[c], big);
	}
	pump(f);
	/* 60 increments in all; each client sees its own replies strictly increasing. */
	for (c = 0; c < 3; c++) {
		const char *out = drain_out(&f->cl[c]);
		long long prev = 0, v;
		unsigned count = 0;

		while (*out == ':') {
			v = atoll(out + 1);
			assert_true(v > prev);
			prev = v;
			count++;
			out = strstr(out, "\r\n") + 2;
		}
		assert_int_equal(count, 20);
		assert_string_equal(out, "");
	}
	snprintf(req, sizeof(req), "GET %s\r\n", f->remote[3]);
	snprintf(want, sizeof(want), "$2\r\n60\r\n");
	exchange(f, &f->cl[0], req, want);
	fx_free(f);
}

/* A client that goes away while waiting: its replies are dropped, nothing leaks or crashes. */
static void test_client_gone_while_waiting(void **state)
{
	struct fx *f = fx_new(1024);
	struct sl_client *c = &f->cl[1];
	char req[256];

	(void)state;
	snprintf(req, sizeof(req), "SET %s gone\r\nGET %s\r\n", f->remote[0], f->remote[0]);
	feed(c, req);
	assert_true(sl_client_waiting(c));
	sl_client_deinit(c);
	pump(f);
	sl_client_init(c, &f->eng[0], "198.18.0.2:40001", NOW); /* for fx_free */
	/* The write itself was applied by the owner: it was acknowledged to nobody. */
	snprintf(req, sizeof(req), "GET %s\r\n", f->remote[0]);
	exchange(f, &f->cl[0], req, "$4\r\ngone\r\n");
	fx_free(f);
}

/* The transport's output cap: requests stop once the replies pass it; the rest is held, in order.
 */
static void test_out_cap_holds_input(void **state)
{
	struct fx *f = fx_new(1024);
	struct sl_client *c = &f->cl[0];
	char req[4096], big[1001];
	const char *l = f->local[0];

	(void)state;
	memset(big, 'v', 1000);
	big[1000] = '\0';
	snprintf(req, sizeof(req), "SET %s %s\r\n", l, big);
	exchange(f, c, req, "+OK\r\n");
	c->out_cap = 100;
	snprintf(req, sizeof(req), "GET %s\r\nGET %s\r\nPING\r\nECHO x", l, l);
	feed(c, req);
	/* One reply of 1,009 bytes ("$1000" CRLF, the value, CRLF) passes the cap: the second GET
	 * waits. */
	assert_true(sl_client_has_input(c));
	assert_int_equal(strlen(drain_out(c)), 1009);
	/* New input queues behind the held input (no reordering). */
	feed(c, "\r\n");
	assert_int_equal(strlen(drain_out(c)), 1009);
	assert_true(sl_client_has_input(c));
	c->out_cap = UINT64_MAX;
	assert_int_equal(sl_client_resume(c, NOW), 0);
	assert_false(sl_client_has_input(c));
	assert_string_equal(drain_out(c), "+PONG\r\n$1\r\nx\r\n");
	fx_free(f);
}

/* ---- two threads ---- */

#define T_CLIENTS 8
#define T_ROUNDS  300

struct tw {
	struct fx *f;
	unsigned w;
	atomic_int *stop;
	struct sl_client cl[T_CLIENTS];
	unsigned step[T_CLIENTS];
	int errors;
};

static void *worker_thread(void *arg)
{
	struct tw *t = arg;
	struct sl_engine *e = &t->f->eng[t->w];
	unsigned i, done = 0;

	while (!atomic_load(t->stop)) {
		struct sl_client *ready[32];
		unsigned n = sl_engine_poll(e, NOW, ready, 32);

		for (i = 0; i < n; i++)
			if (sl_client_resume(ready[i], NOW) != 0)
				t->errors++;
		for (i = 0; i < T_CLIENTS && done < T_CLIENTS; i++) {
			struct sl_client *c = &t->cl[i];
			char req[256], want[64], buf[256];
			const char *out;
			bool held;

			if (sl_client_waiting(c) || t->step[i] > T_ROUNDS)
				continue;
			out = drain_into(c, buf, sizeof(buf));
			if (t->step[i] > 0) {
				/* The reply to round step-1: INCR of this client's counter. */
				snprintf(want, sizeof(want), "+OK\r\n:%u\r\n", t->step[i]);
				if (strcmp(out, want) != 0)
					t->errors++;
			}
			if (t->step[i] == T_ROUNDS) {
				__atomic_fetch_add(&t->step[i], 1, __ATOMIC_RELAXED);
				done++;
				continue;
			}
			/* Keys named by worker and client, so both partitions are hit. */
			snprintf(req, sizeof(req), "SET w%uc%ux%u v\r\nINCR cnt%u.%u\r\n", t->w, i,
				 t->step[i], t->w, i);
			if (sl_client_input(c, req, strlen(req), NOW, &held) != 0)
				t->errors++;
			__atomic_fetch_add(&t->step[i], 1, __ATOMIC_RELAXED);
		}
		/* Keep serving the other worker after this one's clients are done. */
	}
	return NULL;
}

static void test_two_threads(void **state)
{
	struct fx *f = fx_new(64);
	struct tw t[2];
	pthread_t th[2];
	atomic_int stop;
	unsigned w, i, spins;

	(void)state;
	atomic_init(&stop, 0);
	memset(t, 0, sizeof(t));
	for (w = 0; w < 2; w++) {
		t[w].f = f;
		t[w].w = w;
		t[w].stop = &stop;
		for (i = 0; i < T_CLIENTS; i++)
			sl_client_init(&t[w].cl[i], &f->eng[w], "198.18.0.3:1", NOW);
	}
	for (w = 0; w < 2; w++)
		assert_int_equal(pthread_create(&th[w], NULL, worker_thread, &t[w]), 0);
	/* Bounded: about 30 s at most, far more than the work needs. */
	for (spins = 0; spins < 30000; spins++) {
		bool all = true;

		for (w = 0; w < 2; w++)
			for (i = 0; i < T_CLIENTS; i++)
				all &= __atomic_load_n(&t[w].step[i], __ATOMIC_RELAXED) > T_ROUNDS;
		if (all)
			break;
		struct timespec ts = {0, 1000000};

		nanosleep(&ts, NULL);
	}
	atomic_store(&stop, 1);
	for (w = 0; w < 2; w++)
		pthread_join(th[w], NULL);
	for (w = 0; w < 2; w++) {
		assert_int_equal(t[w].errors, 0);
		for (i = 0; i < T_CLIENTS; i++) {
			assert_true(t[w].step[i] > T_ROUNDS);
			sl_client_deinit(&t[w].cl[i]);
		}
	}
	assert_true(f->eng[0].stats.shipped_out > 0 && f->eng[1].stats.shipped_out > 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_remote_write_waits),
		cmocka_unit_test(test_pipeline_order),
		cmocka_unit_test(test_errors_pass_through),
		cmocka_unit_test(test_resp3_reply_shipped),
		cmocka_unit_test(test_multikey_across),
		cmocka_unit_test(test_rename_across),
		cmocka_unit_test(test_flushall_every_partition),
		cmocka_unit_test(test_partial_request_behind_shipped),
		cmocka_unit_test(test_backlog_keeps_order),
		cmocka_unit_test(test_client_gone_while_waiting),
		cmocka_unit_test(test_out_cap_holds_input),
		cmocka_unit_test(test_two_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
