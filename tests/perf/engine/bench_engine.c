/*
 * The request path in process: RESP bytes -> parser -> command table ->
 * handler -> store -> reply writer, for GET and SET, without any network.
 *
 *   bench_engine [--requests N] [--keys N] [--value-size N] [--pipeline N]
 *                [--kind SET|GET|both] [--rounds N]
 *
 * Prints ns per request (median of 5 runs, TSC-free: CLOCK_MONOTONIC) and,
 * run under `valgrind --tool=callgrind`, the instruction count of exactly
 * the measured loop is what callgrind reports for `run_batch` (see
 * tests/perf/engine/callgrind.sh, which divides by the request count).
 * Figures only; nothing here passes or fails on a time.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataplane/cmd/cmd.h"
#include "dataplane/store/store.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Builds `pipeline` requests of one kind over keys key:<i>. */
static char *build(const char *cmd, unsigned pipeline, unsigned keys, unsigned vsize, size_t *len,
		   unsigned *next_key)
{
	size_t cap = (size_t)pipeline * (64 + vsize), n = 0;
	char *buf = malloc(cap), *val = malloc(vsize + 1);
	unsigned i;

	memset(val, 'v', vsize);
	val[vsize] = '\0';
	for (i = 0; i < pipeline; i++) {
		char key[32];
		int kl = snprintf(key, sizeof(key), "key:%012u", (*next_key)++ % keys);

		if (strcmp(cmd, "SET") == 0)
			n += (size_t)snprintf(buf + n, cap - n,
					      "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%u\r\n%s\r\n", kl,
					      key, vsize, val);
		else
			n += (size_t)snprintf(buf + n, cap - n, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n",
					      kl, key);
	}
	free(val);
	*len = n;
	return buf;
}

/* The measured part: feed one batch, drain the replies. noinline so
 * callgrind attributes exactly this. */
__attribute__((noinline)) static void run_batch(struct sl_client *c, const char *buf, size_t len,
						uint64_t now)
{
	bool held;

	sl_client_input(c, buf, len, now, &held);
	sl_resp_out_consume(&c->out, sl_resp_out_pending(&c->out));
}

/* Sets every key once through the same path, outside run_batch. */
static void populate(struct sl_client *c, struct sl_store *store, unsigned keys, unsigned vsize,
		     uint64_t now)
{
	unsigned next = 0, i;
	size_t len;
	bool held;

	for (i = 0; i < keys; i += 16) {
		char *b = build("SET", 16, keys, vsize, &len, &next);

		sl_client_input(c, b, len, now, &held);
		sl_resp_out_consume(&c->out, sl_resp_out_pending(&c->out));
		free(b);
		sl_store_quiescent(store, 0);
		sl_store_maintain(store, 0, now);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	unsigned requests = 1000000, keys = 100000, vsize = 32, pipeline = 16, i, r;
	static struct sl_engine_shared shared;
	struct sl_store_config sc;
	struct sl_engine eng;
	struct sl_client c;
	struct sl_store *store;
	const char *kinds[] = {"SET", "GET"};
	uint64_t now = 1700000000000ull;
	unsigned k, rounds = 5;
	const char *only = "both";

	for (i = 1; i + 1 < (unsigned)argc; i += 2) {
		unsigned v = (unsigned)strtoul(argv[i + 1], NULL, 10);

		if (strcmp(argv[i], "--requests") == 0)
			requests = v;
		else if (strcmp(argv[i], "--keys") == 0)
			keys = v;
		else if (strcmp(argv[i], "--value-size") == 0)
			vsize = v;
		else if (strcmp(argv[i], "--pipeline") == 0)
			pipeline = v;
		else if (strcmp(argv[i], "--kind") == 0)
			only = argv[i + 1];
		else if (strcmp(argv[i], "--rounds") == 0)
			rounds = v;
	}
	if (pipeline == 0 || requests < pipeline || keys == 0 || rounds == 0 || rounds > 5) {
		fprintf(stderr, "bench_engine: bad arguments\n");
		return 2;
	}
	sl_store_config_default(&sc);
	sc.n_parts = 1;
	store = sl_store_create(&sc);
	if (store == NULL || sl_store_reader_online(store, 0) != 0) {
		fprintf(stderr, "bench_engine: store: %s\n", strerror(errno));
		return 1;
	}
	sl_engine_shared_defaults(&shared);
	if (sl_engine_init(&eng, store, 0, &shared) != 0)
		return 1;
	sl_client_init(&c, &eng, "bench", now);
	printf("# request path in process: %u requests, %u keys, %u-byte values, pipeline %u\n",
	       requests, keys, vsize, pipeline);
	for (k = 0; k < 2; k++) {
		uint64_t runs[5];
		unsigned batches = requests / pipeline, next = 0;
		size_t len;
		/* 64 distinct batches cycle so keys vary without building in the loop */
		char *bufs[64];
		size_t lens[64];

		for (i = 0; i < 64; i++) {
			bufs[i] = build(kinds[k], pipeline, keys, vsize, &len, &next);
			lens[i] = len;
		}
		if (strcmp(only, "both") != 0 && strcmp(only, kinds[k]) != 0) {
			for (i = 0; i < 64; i++)
				free(bufs[i]);
			continue;
		}
		/* populate every key (untimed, uncounted) so GETs hit */
		populate(&c, store, keys, vsize, now);
		for (r = 0; r < rounds; r++) {
			uint64_t t0 = mono_ns();

			for (i = 0; i < batches; i++) {
				run_batch(&c, bufs[i % 64], lens[i % 64], now);
				if ((i & 63) == 63) {
					sl_store_quiescent(store, 0);
					sl_store_maintain(store, 0, now);
				}
			}
			runs[r] = mono_ns() - t0;
		}
		qsort(runs, rounds, sizeof(runs[0]), cmp_u64);
		printf("%s: %.1f ns/request (median of %u), %.2f Mrequests/s\n", kinds[k],
		       (double)runs[rounds / 2] / (batches * pipeline), rounds,
		       (double)batches * pipeline / ((double)runs[rounds / 2] / 1e3));
		for (i = 0; i < 64; i++)
			free(bufs[i]);
	}
	sl_client_deinit(&c);
	sl_engine_deinit(&eng);
	sl_store_reader_offline(store, 0);
	sl_store_destroy(&store);
	return 0;
}
