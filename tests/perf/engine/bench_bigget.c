/*
 * Large GET replies through the engine, drained the way a transport drains
 * them: RESP bytes -> GET -> reply writer, then sl_resp_out_peek() and a copy
 * of every byte into a send window (what sl_tcp_send does with the iovecs),
 * then sl_resp_out_consume().
 *
 *   bench_bigget [--value-size N] [--keys N] [--requests N] [--window N]
 *
 * Prints CPU ns per reply (CLOCK_THREAD_CPUTIME_ID, median of 5 runs) and the
 * output memory one reply holds before it is sent (sl_resp_out_mem), for
 * each value size given (default: 16 KiB, 64 KiB and 1 MiB). Figures only;
 * nothing here passes or fails on a time.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataplane/cmd/cmd.h"
#include "dataplane/store/store.h"

#define NOW 1700000000000ull

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Drains c's output through a window of `win` bytes at a time. */
static uint64_t drain(struct sl_client *c, char *window, size_t win)
{
	uint64_t sum = 0;

	while (sl_resp_out_pending(&c->out) > 0) {
		struct iovec iov[16];
		size_t n = sl_resp_out_peek(&c->out, iov, 16), i, done = 0;

		for (i = 0; i < n && done < win; i++) {
			size_t k = SL_MIN(iov[i].iov_len, win - done);

			memcpy(window + done, iov[i].iov_base, k);
			done += k;
		}
		sum += (unsigned char)window[done - 1];
		sl_resp_out_consume(&c->out, done);
	}
	return sum;
}

static void run_size(unsigned vsize, unsigned keys, unsigned requests, size_t win)
{
	static struct sl_engine_shared shared;
	struct sl_store_config sc;
	struct sl_engine eng;
	struct sl_client c;
	struct sl_store *store;
	char *val = malloc(vsize), *window = malloc(win), *req = malloc(64 + (size_t)vsize);
	uint64_t runs[5], mem = 0, sink = 0;
	unsigned r, i;
	bool held;

	if (val == NULL || window == NULL || req == NULL)
		exit(1);
	memset(val, 'v', vsize);
	sl_store_config_default(&sc);
	store = sl_store_create(&sc);
	if (store == NULL || sl_store_reader_online(store, 0) != 0) {
		fprintf(stderr, "bench_bigget: store: %s\n", strerror(errno));
		exit(1);
	}
	sl_engine_shared_defaults(&shared);
	if (sl_engine_init(&eng, store, 0, &shared) != 0)
		exit(1);
	sl_client_init(&c, &eng, "bench", NOW);
	for (i = 0; i < keys; i++) {
		char key[32];
		int kl = snprintf(key, sizeof(key), "big:%06u", i);
		int n = snprintf(req, 64, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%u\r\n", kl, key,
				 vsize);

		memcpy(req + n, val, vsize);
		memcpy(req + n + vsize, "\r\n", 2);
		sl_client_input(&c, req, (size_t)n + vsize + 2, NOW, &held);
		drain(&c, window, win);
	}
	for (r = 0; r < 5; r++) {
		uint64_t t0 = cpu_ns();

		for (i = 0; i < requests; i++) {
			char key[32];
			int kl = snprintf(key, sizeof(key), "big:%06u", i % keys);
			int n = snprintf(req, 64, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", kl, key);

			sl_client_input(&c, req, (size_t)n, NOW, &held);
			if (r == 0 && i == 0)
				mem = sl_resp_out_mem(&c.out);
			sink += drain(&c, window, win);
			if ((i & 15) == 15) {
				sl_store_quiescent(store, 0);
				sl_store_maintain(store, 0, NOW);
			}
		}
		runs[r] = cpu_ns() - t0;
	}
	qsort(runs, 5, sizeof(runs[0]), cmp_u64);
	printf("GET %8u B: %9.0f CPU ns/reply (median of 5, %u replies each), output memory per "
	       "reply %llu B%s\n",
	       vsize, (double)runs[2] / requests, requests, (unsigned long long)mem,
	       sink == 0 ? " (!)" : "");
	sl_client_deinit(&c);
	sl_engine_deinit(&eng);
	sl_store_reader_offline(store, 0);
	sl_store_destroy(&store);
	free(val);
	free(window);
	free(req);
}

int main(int argc, char **argv)
{
	unsigned sizes[8] = {16384, 65536, 1048576}, n_sizes = 3, keys = 64, requests = 0;
	size_t win = 256 * 1024;
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		unsigned v = (unsigned)strtoul(argv[i + 1], NULL, 10);

		if (strcmp(argv[i], "--value-size") == 0) {
			if (n_sizes == 3 && sizes[0] == 16384)
				n_sizes = 0;
			if (n_sizes < 8)
				sizes[n_sizes++] = v;
		} else if (strcmp(argv[i], "--keys") == 0) {
			keys = v;
		} else if (strcmp(argv[i], "--requests") == 0) {
			requests = v;
		} else if (strcmp(argv[i], "--window") == 0) {
			win = v;
		}
	}
	if (keys == 0 || win == 0) {
		fprintf(stderr, "bench_bigget: bad arguments\n");
		return 2;
	}
	printf("# GET of large values in process, drained through a %zu-byte window, %u keys\n",
	       win, keys);
	for (i = 0; i < (int)n_sizes; i++) {
		unsigned req =
			requests ? requests : (unsigned)SL_MAX(200u, (256u << 20) / sizes[i]);

		run_size(sizes[i], keys, req, win);
	}
	return 0;
}
