/*
 * Unit tests for tools/loadgen: the zipf sampler against the distribution's
 * definition, histogram percentiles against hand-computed values, and the
 * reply validator on crafted reply bytes (every kind of wrong reply must be
 * counted under its own name).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tools/loadgen/loadgen.h"

/* ------------------------------------------------------------------ */
/* zipf                                                               */
/* ------------------------------------------------------------------ */

#define ZN    100
#define DRAWS 1000000
#define ZSEED 0x5eed1234ull

/* Draws DRAWS ranks and compares the observed frequency of every rank with
 * P(i) = (i+1)^-s / sum_j (j+1)^-s: each within rel_tol relative error (or
 * 5 standard deviations of a binomial count, whichever is larger), and the
 * total variation distance below 0.01. */
static void zipf_matches(double s, double rel_tol)
{
	static uint64_t hits[ZN];
	struct sl_lg_zipf z;
	uint64_t st = ZSEED;
	double h = 0, tv = 0;
	uint32_t i;

	assert_int_equal(sl_lg_zipf_init(&z, ZN, s), 0);
	memset(hits, 0, sizeof(hits));
	for (i = 0; i < DRAWS; i++) {
		uint32_t r = sl_lg_zipf_next(&z, &st);

		assert_true(r < ZN);
		hits[r]++;
	}
	for (i = 1; i <= ZN; i++)
		h += pow(i, -s);
	for (i = 0; i < ZN; i++) {
		double p = pow(i + 1, -s) / h, f = (double)hits[i] / DRAWS;
		double sd = sqrt(p * (1 - p) / DRAWS), tol = fmax(rel_tol * p, 5 * sd);

		if (fabs(f - p) > tol)
			fail_msg("s=%.2f rank %u: frequency %.5f, expected %.5f +- %.5f", s, i, f,
				 p, tol);
		tv += fabs(f - p) / 2;
	}
	assert_true(tv < 0.01);
	sl_lg_zipf_deinit(&z);
}

static void test_zipf_099(void **state)
{
	(void)state;
	zipf_matches(0.99, 0.03);
}

static void test_zipf_uniform_and_steep(void **state)
{
	(void)state;
	zipf_matches(0.0, 0.05);
	zipf_matches(1.5, 0.03);
}

static void test_zipf_deterministic(void **state)
{
	struct sl_lg_zipf z;
	uint64_t a = 7, b = 7, c = 8;
	int i, differ = 0;

	(void)state;
	assert_int_equal(sl_lg_zipf_init(&z, 1000, 0.99), 0);
	for (i = 0; i < 1000; i++) {
		uint32_t x = sl_lg_zipf_next(&z, &a), y = sl_lg_zipf_next(&z, &b);

		assert_int_equal(x, y);
		differ |= x != sl_lg_zipf_next(&z, &c);
	}
	assert_true(differ); /* another seed gives another sequence */
	sl_lg_zipf_deinit(&z);
	assert_int_equal(sl_lg_zipf_init(&z, 0, 1.0), -EINVAL);
	assert_int_equal(sl_lg_zipf_init(&z, 10, -1.0), -EINVAL);
}

/* ------------------------------------------------------------------ */
/* histogram                                                          */
/* ------------------------------------------------------------------ */

static struct sl_lg_hist hist;

static void test_hist_exact_range(void **state)
{
	uint64_t v;

	(void)state;
	sl_lg_hist_init(&hist);
	assert_int_equal(sl_lg_hist_percentile(&hist, 50), 0);
	for (v = 100; v >= 1; v--)
		sl_lg_hist_record(&hist, v);
	/* 1..100 once each: the k-th smallest is k */
	assert_int_equal(sl_lg_hist_percentile(&hist, 50), 50);
	assert_int_equal(sl_lg_hist_percentile(&hist, 90), 90);
	assert_int_equal(sl_lg_hist_percentile(&hist, 99), 99);
	assert_int_equal(sl_lg_hist_percentile(&hist, 99.9), 100);
	assert_int_equal(sl_lg_hist_percentile(&hist, 100), 100);
	assert_int_equal(hist.min, 1);
	assert_int_equal(hist.max, 100);
	assert_true(fabs(sl_lg_hist_mean(&hist) - 50.5) < 1e-9);
}

static void test_hist_log_buckets(void **state)
{
	int i;

	(void)state;
	sl_lg_hist_init(&hist);
	/* 1000 lies in [512, 1024), 64 buckets of 8: bucket [1000, 1007].
	 * 5000 lies in [4096, 8192), buckets of 64: [4992, 5055], capped at
	 * the exact maximum 5000. */
	for (i = 0; i < 99; i++)
		sl_lg_hist_record(&hist, 1000);
	sl_lg_hist_record(&hist, 5000);
	assert_int_equal(sl_lg_hist_percentile(&hist, 50), 1007);
	assert_int_equal(sl_lg_hist_percentile(&hist, 99), 1007);
	assert_int_equal(sl_lg_hist_percentile(&hist, 99.9), 5000);

	sl_lg_hist_init(&hist);
	/* 130 in [128, 256): buckets of 2, [130, 131]; 300 in [256, 512):
	 * buckets of 4, [300, 303]; 20000 in [16384, 32768): buckets of 256,
	 * [19968, 20223] */
	for (i = 0; i < 100; i++)
		sl_lg_hist_record(&hist, 130);
	for (i = 0; i < 899; i++)
		sl_lg_hist_record(&hist, 300);
	sl_lg_hist_record(&hist, 20000);
	sl_lg_hist_record(&hist, 30000);
	assert_int_equal(sl_lg_hist_percentile(&hist, 5), 131);
	assert_int_equal(sl_lg_hist_percentile(&hist, 50), 303);
	assert_int_equal(sl_lg_hist_percentile(&hist, 99.9), 20223);
	assert_int_equal(sl_lg_hist_percentile(&hist, 100), 30000);
}

static void test_hist_bucket_bounds(void **state)
{
	static const uint64_t vals[] = {
		0,    1,     127,   128,    129,     255,      256,       1000,       1023,
		1024, 65535, 65536, 999999, 1000000, 1u << 31, 123456789, 1ull << 40, UINT64_MAX};
	size_t i;

	(void)state;
	for (i = 0; i < (sizeof(vals) / sizeof((vals)[0])); i++) {
		uint64_t v = vals[i];
		uint32_t b = sl_lg_hist_index(v);
		uint64_t hi = sl_lg_hist_bucket_high(b);

		assert_true(b < SL_LG_HIST_BUCKETS);
		assert_true(hi >= v);
		if (b > 0)
			assert_true(sl_lg_hist_bucket_high(b - 1) < v);
		/* relative width below 1/64 */
		if (v >= 128)
			assert_true((double)(hi - v) <= (double)v / 64.0);
		else
			assert_int_equal(hi, v);
	}
}

/* ------------------------------------------------------------------ */
/* encoding and validation                                            */
/* ------------------------------------------------------------------ */

#define RUN 0x1234abcdu

struct fx {
	struct sl_lg_keyspace *ks;
	struct sl_lg_pipe pipe;
	struct sl_lg_counts c;
	char cmd[4096];
};

static int fx_setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	f.ks = sl_lg_keyspace_create(100, 32, RUN);
	if (f.ks == NULL || sl_lg_pipe_init(&f.pipe, 16) != 0)
		return -1;
	*state = &f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	sl_lg_pipe_deinit(&f->pipe);
	sl_lg_keyspace_destroy(&f->ks);
	assert_null(f->ks);
	return 0;
}

/* Sends (encodes and queues) one request; returns the command's length. */
static int send_req(struct fx *f, enum sl_lg_op op, int nkeys, const uint32_t *keys)
{
	struct sl_lg_req *r = sl_lg_pipe_tail(&f->pipe);
	int i, n;

	assert_non_null(r);
	memset(r, 0, sizeof(*r));
	r->op = (uint8_t)op;
	r->nkeys = (uint8_t)nkeys;
	for (i = 0; i < nkeys; i++)
		r->key[i] = keys[i];
	n = sl_lg_encode(f->ks, r, f->cmd, sizeof(f->cmd));
	assert_true(n > 0);
	sl_lg_pipe_push(&f->pipe);
	return n;
}

static void send1(struct fx *f, enum sl_lg_op op, uint32_t key)
{
	send_req(f, op, 1, &key);
}

/* Feeds bytes; asserts how many were consumed. */
static long feed(struct fx *f, const char *bytes)
{
	return sl_lg_pipe_input(f->ks, &f->pipe, bytes, strlen(bytes), &f->c, NULL, 0, 1.0);
}

/* "$<len>\r\n<run>:<key>:<ver>:<filler to 32 bytes>\r\n" by the layout's
 * definition (not by sl_lg_value). fill 0 = the right filler. */
static const char *bulk_value(uint32_t run, uint32_t key, uint32_t ver, char fill)
{
	static char out[256];
	char v[64];
	int n = snprintf(v, sizeof(v), "%08x:%u:%u:", run, key, ver);

	while (n < 32)
		v[n++] = fill ? fill : (char)('a' + (key + ver) % 26);
	v[n] = '\0';
	snprintf(out, sizeof(out), "$%d\r\n%s\r\n", n, v);
	return out;
}

static void test_encode_bytes(void **state)
{
	struct fx *f = *state;
	uint32_t keys[10];
	char want[512];
	int i, n, off;

	n = send_req(f, SL_LG_OP_SET, 1, (uint32_t[]){7});
	/* value: "1234abcd:7:1:" (13 bytes) + 19 filler 'a' + (7 + 1) % 26 = 'i' */
	static const char set7[] =
		"*3\r\n$3\r\nSET\r\n$4\r\nlg:7\r\n$32\r\n1234abcd:7:1:iiiiiiiiiiiiiiiiiii\r\n";
	assert_int_equal(n, strlen(set7));
	assert_memory_equal(f->cmd, set7, n);

	n = send_req(f, SL_LG_OP_GET, 1, (uint32_t[]){7});
	assert_int_equal(n, strlen("*2\r\n$3\r\nGET\r\n$4\r\nlg:7\r\n"));
	assert_memory_equal(f->cmd, "*2\r\n$3\r\nGET\r\n$4\r\nlg:7\r\n", n);

	n = send_req(f, SL_LG_OP_INCR, 1, (uint32_t[]){3});
	assert_int_equal(n, strlen("*2\r\n$4\r\nINCR\r\n$5\r\nlgc:3\r\n"));
	assert_memory_equal(f->cmd, "*2\r\n$4\r\nINCR\r\n$5\r\nlgc:3\r\n", n);

	off = snprintf(want, sizeof(want), "*11\r\n$4\r\nMGET\r\n");
	for (i = 0; i < 10; i++) {
		keys[i] = (uint32_t)(i * 11);
		off += snprintf(want + off, sizeof(want) - off, "$%d\r\nlg:%d\r\n",
				i * 11 >= 10 ? 5 : 4, i * 11);
	}
	n = send_req(f, SL_LG_OP_MGET, 10, keys);
	assert_int_equal(n, off);
	assert_memory_equal(f->cmd, want, n);

	/* a key outside the keyspace, too small a buffer */
	struct sl_lg_req r = {.op = SL_LG_OP_GET, .nkeys = 1, .key = {100}};
	assert_int_equal(sl_lg_encode(f->ks, &r, f->cmd, sizeof(f->cmd)), -EINVAL);
	r.key[0] = 1;
	assert_int_equal(sl_lg_encode(f->ks, &r, f->cmd, 8), -ENOSPC);
}

static void test_good_replies(void **state)
{
	struct fx *f = *state;
	char buf[1024];
	uint32_t keys[10];
	int i, off = 0;

	send1(f, SL_LG_OP_GET, 5); /* never written: nil is right */
	send1(f, SL_LG_OP_SET, 5);
	assert_int_equal(feed(f, "$-1\r\n+OK\r\n"), 10);
	send1(f, SL_LG_OP_GET, 5);
	assert_int_equal(feed(f, bulk_value(RUN, 5, 1, 0)), 39);
	send1(f, SL_LG_OP_INCR, 9);
	send1(f, SL_LG_OP_INCR, 9);
	assert_int_equal(feed(f, ":1\r\n:2\r\n"), 8);
	for (i = 0; i < 10; i++)
		keys[i] = i < 9 ? 50 + (uint32_t)i : 5;
	send_req(f, SL_LG_OP_MGET, 10, keys);
	off = snprintf(buf, sizeof(buf), "*10\r\n");
	for (i = 0; i < 9; i++)
		off += snprintf(buf + off, sizeof(buf) - off, "$-1\r\n");
	off += snprintf(buf + off, sizeof(buf) - off, "%s", bulk_value(RUN, 5, 1, 0));
	assert_int_equal(feed(f, buf), off);
	assert_int_equal(f->c.ok, 6);
	assert_int_equal(sl_lg_counts_errors(&f->c), 0);
	assert_int_equal(f->pipe.n, 0);
}

static void test_wrong_value(void **state)
{
	struct fx *f = *state;

	send1(f, SL_LG_OP_SET, 5);
	assert_int_equal(feed(f, "+OK\r\n"), 5);
	send1(f, SL_LG_OP_GET, 5); /* corrupted filler */
	feed(f, bulk_value(RUN, 5, 1, 'z'));
	send1(f, SL_LG_OP_GET, 5); /* version 2 was never written */
	feed(f, bulk_value(RUN, 5, 2, 0));
	send1(f, SL_LG_OP_GET, 5); /* nil after our SET was acknowledged: lost write */
	feed(f, "$-1\r\n");
	send1(f, SL_LG_OP_GET, 5); /* not our layout at all */
	feed(f, "$5\r\nhello\r\n");
	send1(f, SL_LG_OP_GET, 5); /* another run's value after our write */
	feed(f, bulk_value(0x99999999u, 5, 1, 0));
	send1(f, SL_LG_OP_INCR, 1);
	feed(f, ":4\r\n");
	send1(f, SL_LG_OP_INCR, 1); /* not above the 4 seen before it was sent */
	feed(f, ":4\r\n");
	assert_int_equal(f->c.verdict[SL_LG_WRONG_VALUE], 6);
	assert_int_equal(f->c.ok, 2);
	assert_int_equal(sl_lg_counts_errors(&f->c), 6);
}

static void test_out_of_order(void **state)
{
	struct fx *f = *state;
	char swapped[256];
	uint32_t keys[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	int i, off;

	send1(f, SL_LG_OP_SET, 1);
	send1(f, SL_LG_OP_SET, 2);
	feed(f, "+OK\r\n+OK\r\n");
	send1(f, SL_LG_OP_GET, 1);
	send1(f, SL_LG_OP_GET, 2);
	/* replies swapped: key 2's value first */
	snprintf(swapped, sizeof(swapped), "%s", bulk_value(RUN, 2, 1, 0));
	snprintf(swapped + strlen(swapped), sizeof(swapped) - strlen(swapped), "%s",
		 bulk_value(RUN, 1, 1, 0));
	assert_int_equal(feed(f, swapped), strlen(swapped));
	assert_int_equal(f->c.verdict[SL_LG_OUT_OF_ORDER], 2);
	/* an MGET whose 3rd element is key 4's value */
	send_req(f, SL_LG_OP_MGET, 10, keys);
	off = snprintf(swapped, sizeof(swapped), "*10\r\n$-1\r\n$-1\r\n");
	off += snprintf(swapped + off, sizeof(swapped) - off, "%s", "$-1\r\n");
	for (i = 3; i < 10; i++)
		off += snprintf(swapped + off, sizeof(swapped) - off, "$-1\r\n");
	/* all nil is fine for keys 3..10 (never written) but key 1 and 2 were */
	feed(f, swapped);
	assert_int_equal(f->c.verdict[SL_LG_WRONG_VALUE], 1);
	/* a GET answered with +OK (a SET's reply): wrong type */
	send1(f, SL_LG_OP_GET, 1);
	feed(f, "+OK\r\n");
	send1(f, SL_LG_OP_SET, 3);
	feed(f, bulk_value(RUN, 3, 1, 0));
	assert_int_equal(f->c.verdict[SL_LG_WRONG_TYPE], 2);
	/* a reply nobody asked for */
	feed(f, "+OK\r\n");
	assert_int_equal(f->c.unexpected, 1);
	assert_int_equal(f->c.ok, 2);
	assert_int_equal(sl_lg_counts_errors(&f->c), 6);
}

static void test_error_reply(void **state)
{
	struct fx *f = *state;
	uint32_t keys[10] = {0};

	send1(f, SL_LG_OP_GET, 5);
	send1(f, SL_LG_OP_SET, 5);
	send1(f, SL_LG_OP_INCR, 5);
	send_req(f, SL_LG_OP_MGET, 10, keys);
	static const char errs[] = "-ERR unknown command 'GET'\r\n-OOM command not allowed\r\n"
				   "-ERR value is not an integer or out of range\r\n-ERR x\r\n";

	assert_int_equal(feed(f, errs), (long)strlen(errs));
	assert_int_equal(f->c.verdict[SL_LG_ERROR_REPLY], 4);
	assert_int_equal(f->c.ok, 0);
	/* the failed SET is no longer in flight and raised no floor */
	assert_int_equal(f->ks->k[5].inflight, 0);
	assert_int_equal(f->ks->k[5].floor, 0);
}

static void test_truncated(void **state)
{
	struct fx *f = *state;
	const char *v;
	size_t i;

	send1(f, SL_LG_OP_SET, 8);
	feed(f, "+OK\r\n");
	send1(f, SL_LG_OP_GET, 8);
	send1(f, SL_LG_OP_GET, 8);
	v = bulk_value(RUN, 8, 1, 0);
	/* every proper prefix is incomplete: nothing consumed, nothing counted */
	for (i = 0; i < strlen(v); i++)
		assert_int_equal(sl_lg_pipe_input(f->ks, &f->pipe, v, i, &f->c, NULL, 0, 1), 0);
	assert_int_equal(f->c.ok, 1);
	assert_int_equal(sl_lg_pipe_input(f->ks, &f->pipe, v, strlen(v), &f->c, NULL, 0, 1),
			 (long)strlen(v));
	/* the stream ends inside the second reply */
	assert_int_equal(sl_lg_pipe_input(f->ks, &f->pipe, v, 10, &f->c, NULL, 0, 1), 0);
	sl_lg_pipe_end(f->ks, &f->pipe, 10, &f->c);
	assert_int_equal(f->c.truncated, 1);
	assert_int_equal(f->c.lost, 1);
	assert_int_equal(f->c.ok, 2);
	assert_int_equal(f->pipe.n, 0);
	/* a SET that was never answered is no longer in flight */
	send1(f, SL_LG_OP_SET, 8);
	sl_lg_pipe_end(f->ks, &f->pipe, 0, &f->c);
	assert_int_equal(f->ks->k[8].inflight, 0);
	assert_int_equal(f->c.truncated, 2);
	assert_int_equal(sl_lg_counts_errors(&f->c), 4);
}

static void test_protocol_errors(void **state)
{
	static const char *const bad[] = {
		"?what\r\n",      /* unknown type */
		"$abc\r\n",       /* bad length */
		"$-2\r\n",        /* negative length */
		"$3\r\nabcX\r\n", /* payload not followed by CRLF */
		":12a\r\n",       /* bad integer */
		"+OK\rX",         /* bare CR */
		":\r\n",          /* empty integer */
		":99999999999999999999\r\n",
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < (sizeof(bad) / sizeof((bad)[0])); i++) {
		struct sl_lg_reply r;

		assert_int_equal(sl_lg_reply_parse(bad[i], strlen(bad[i]), &r), -EPROTO);
	}
	send1(f, SL_LG_OP_GET, 1);
	assert_int_equal(feed(f, "?what\r\n"), -EPROTO);
	assert_int_equal(f->c.protocol, 1);
	assert_true(f->pipe.dead);
	/* a dead stream's requests are lost, not "truncated" a second time */
	sl_lg_pipe_end(f->ks, &f->pipe, 0, &f->c);
	assert_int_equal(f->c.lost, 1);
	assert_int_equal(f->c.truncated, 0);
	assert_int_equal(sl_lg_counts_errors(&f->c), 2);
}

static void test_parse_nested(void **state)
{
	struct sl_lg_reply r;
	const char *s = "*3\r\n:1\r\n*2\r\n+a\r\n$-1\r\n$2\r\nhi\r\n";

	(void)state;
	assert_int_equal(sl_lg_reply_parse(s, strlen(s), &r), (long)strlen(s));
	assert_int_equal(r.top.type, '*');
	assert_int_equal(r.nelem, 3);
	assert_int_equal(r.elem[0].num, 1);
	assert_int_equal(r.elem[1].type, '*');
	assert_int_equal(r.elem[2].len, 2);
	assert_memory_equal(r.elem[2].str, "hi", 2);
	assert_int_equal(sl_lg_reply_parse(s, strlen(s) - 1, &r), 0);
}

/* Two connections write the same key concurrently; the server may apply
 * them in either order, so once both are acknowledged either value is
 * right, but not an older one. */
static void test_concurrent_floor(void **state)
{
	struct fx *f = *state;
	struct sl_lg_pipe other;

	assert_int_equal(sl_lg_pipe_init(&other, 4), 0);
	send1(f, SL_LG_OP_SET, 4); /* v1, acknowledged alone */
	feed(f, "+OK\r\n");
	assert_int_equal(f->ks->k[4].floor, 1);
	send1(f, SL_LG_OP_SET, 4); /* v2 on this connection */
	{
		struct sl_lg_req *r = sl_lg_pipe_tail(&other);
		char cmd[4096];

		memset(r, 0, sizeof(*r));
		r->op = SL_LG_OP_SET;
		r->nkeys = 1;
		r->key[0] = 4;
		assert_true(sl_lg_encode(f->ks, r, cmd, sizeof(cmd)) > 0); /* v3 */
		sl_lg_pipe_push(&other);
	}
	sl_lg_pipe_input(f->ks, &other, "+OK\r\n", 5, &f->c, NULL, 0, 1);
	assert_int_equal(f->ks->k[4].floor, 1); /* v2 still in flight */
	feed(f, "+OK\r\n");
	assert_int_equal(f->ks->k[4].floor, 2);
	send1(f, SL_LG_OP_GET, 4);
	feed(f, bulk_value(RUN, 4, 2, 0)); /* v3 applied first, then v2: fine */
	send1(f, SL_LG_OP_GET, 4);
	feed(f, bulk_value(RUN, 4, 3, 0));
	send1(f, SL_LG_OP_GET, 4);
	feed(f, bulk_value(RUN, 4, 1, 0)); /* stale */
	assert_int_equal(f->c.ok, 5);
	assert_int_equal(f->c.verdict[SL_LG_WRONG_VALUE], 1);
	sl_lg_pipe_deinit(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zipf_099),
		cmocka_unit_test(test_zipf_uniform_and_steep),
		cmocka_unit_test(test_zipf_deterministic),
		cmocka_unit_test(test_hist_exact_range),
		cmocka_unit_test(test_hist_log_buckets),
		cmocka_unit_test(test_hist_bucket_bounds),
		cmocka_unit_test(test_parse_nested),
		cmocka_unit_test_setup_teardown(test_encode_bytes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_good_replies, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_wrong_value, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_error_reply, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_truncated, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_protocol_errors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_floor, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
