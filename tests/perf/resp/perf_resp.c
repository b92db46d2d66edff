/*
 * RESP parser and writer micro-benchmarks: ns per parsed GET/SET request
 * (pipelined in one segment and cut into 1448-byte TCP segments) and ns per
 * reply written and consumed. Prints figures; never fails on a time.
 * Usage: perf_resp [iterations]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataplane/resp/resp.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A pipeline of n requests built from fmt with the request index. */
static char *build(const char *kind, int n, size_t *len)
{
	size_t cap = (size_t)n * 128, off = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		exit(1);
	if (strcmp(kind, "SET64K") == 0) {
		cap = (size_t)n * (65536 + 64);
		buf = realloc(buf, cap);
		if (buf == NULL)
			exit(1);
	}
	for (int i = 0; i < n; i++) {
		if (strcmp(kind, "SET64K") == 0) {
			off += (size_t)snprintf(buf + off, cap - off,
						"*3\r\n$3\r\nSET\r\n$12\r\nkey:%08d\r\n$65536\r\n",
						i);
			memset(buf + off, 'v', 65536);
			off += 65536;
			memcpy(buf + off, "\r\n", 2);
			off += 2;
		} else if (strcmp(kind, "GET") == 0)
			off += (size_t)snprintf(buf + off, cap - off,
						"*2\r\n$3\r\nGET\r\n$12\r\nkey:%08d\r\n", i);
		else
			off += (size_t)snprintf(buf + off, cap - off,
						"*3\r\n$3\r\nSET\r\n$12\r\nkey:%08d\r\n$32\r\n"
						"%032d\r\n",
						i, i);
	}
	*len = off;
	return buf;
}

static volatile size_t sink;

static void bench_parse(const char *kind, int n, int rounds, size_t seg)
{
	struct sl_resp_limits lim;
	struct sl_resp_parser p;
	size_t len;
	char *buf = build(kind, n, &len);
	double t0, t1;
	long reqs = 0;

	sl_resp_limits_default(&lim);
	sl_resp_parser_init(&p, &lim, NULL);
	sl_resp_parser_set_auth(&p, true);
	t0 = now_ns();
	for (int r = 0; r < rounds; r++) {
		for (size_t s = 0; s < len; s += seg) {
			size_t slen = len - s < seg ? len - s : seg, off = 0, used;

			for (;;) {
				enum sl_resp_status st =
					sl_resp_parse(&p, buf + s + off, slen - off, &used);

				off += used;
				if (st != SL_RESP_OK)
					break;
				sink += p.argv[p.argc - 1].len;
				reqs++;
			}
		}
	}
	t1 = now_ns();
	char segname[32];

	if (seg >= len)
		snprintf(segname, sizeof(segname), "one segment");
	else
		snprintf(segname, sizeof(segname), "%zu B segments", seg);
	printf("parse %-6s %-16s: %7.1f ns/request (%ld requests, %.0f MB/s)\n", kind, segname,
	       (t1 - t0) / (double)reqs, reqs, (double)len * rounds / ((t1 - t0) / 1e9) / 1e6);
	sl_resp_parser_deinit(&p);
	free(buf);
}

static void no_release(void *arg, const void *ptr, size_t len)
{
	(void)arg;
	(void)ptr;
	(void)len;
}

enum { R_STATUS, R_INT, R_BULK32, R_BULKREF4K, R_DOUBLE, R_ARRAY10 };

static void bench_reply(int kind, const char *name, long n)
{
	struct sl_resp_out o;
	static char val[4096];
	struct iovec iov[64];
	double t0, t1;

	sl_resp_out_init(&o, NULL);
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		switch (kind) {
		case R_STATUS:
			sl_resp_write_status(&o, "OK", 2);
			break;
		case R_INT:
			sl_resp_write_int(&o, i);
			break;
		case R_BULK32:
			sl_resp_write_bulk(&o, val, 32);
			break;
		case R_BULKREF4K:
			sl_resp_write_bulk_ref(&o, val, sizeof(val), no_release, NULL);
			break;
		case R_DOUBLE:
			sl_resp_write_double(&o, (double)i * 0.5);
			break;
		case R_ARRAY10:
			sl_resp_write_array_len(&o, 10);
			for (int k = 0; k < 10; k++)
				sl_resp_write_bulk(&o, val, 16);
			break;
		}
		/* drain like a transport would, every 32 replies */
		if ((i & 31) == 31) {
			size_t c = sl_resp_out_peek(&o, iov, 64), bytes = 0;

			for (size_t k = 0; k < c; k++)
				bytes += iov[k].iov_len;
			sink += bytes;
			sl_resp_out_consume(&o, bytes);
		}
	}
	t1 = now_ns();
	printf("reply %-12s: %7.1f ns/reply (write + peek + consume)\n", name,
	       (t1 - t0) / (double)n);
	sl_resp_out_deinit(&o);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 200;

	if (rounds <= 0)
		rounds = 200;
	bench_parse("GET", 10000, rounds, (size_t)1 << 30);
	bench_parse("GET", 10000, rounds, 1448);
	bench_parse("SET", 10000, rounds, (size_t)1 << 30);
	bench_parse("SET", 10000, rounds, 1448);
	bench_parse("SET64K", 100, rounds, 1448);
	bench_reply(R_STATUS, "+OK", (long)rounds * 10000);
	bench_reply(R_INT, "integer", (long)rounds * 10000);
	bench_reply(R_BULK32, "bulk 32B", (long)rounds * 10000);
	bench_reply(R_BULKREF4K, "bulk ref 4K", (long)rounds * 10000);
	bench_reply(R_DOUBLE, "double", (long)rounds * 10000);
	bench_reply(R_ARRAY10, "array 10x16B", (long)rounds * 1000);
	return 0;
}
