/*
 * libFuzzer target for the RESP parser.
 *
 * Input layout: byte 0 = options (bit 0: authenticated, bit 1: use the
 * bulk_dest/commit path), bytes 1..4 = seed for the split points, the rest is
 * the client's byte stream. Small compiled-in limits make every limit and
 * error reachable with short inputs.
 *
 * Oracles:
 * - the stream parsed as one segment and the same stream cut at random points
 *   (each segment in its own heap block, so reads across a segment are caught
 *   by ASan) give the same requests and the same final status/error;
 * - every request returned survives compose -> parse: written with the reply
 *   writer as an array of bulks and parsed again, it yields the same argv;
 * - all parser memory is returned (counted allocator).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/resp/resp.h"

struct outcome {
	uint8_t *p;
	size_t len, cap;
};

static void oc_add(struct outcome *o, const void *p, size_t n)
{
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2 + 64;
		o->p = realloc(o->p, o->cap);
		if (o->p == NULL)
			abort();
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
}

static int64_t live;

static void *fz_alloc(void *ctx, size_t len)
{
	(void)ctx;
	live += (int64_t)len;
	return malloc(len == 0 ? 1 : len);
}

static void fz_free(void *ctx, void *p, size_t len)
{
	(void)ctx;
	live -= (int64_t)len;
	free(p);
}

static const struct sl_resp_alloc_ops fz_ops = {fz_alloc, fz_free, NULL};

static void limits_small(struct sl_resp_limits *lim)
{
	sl_resp_limits_default(lim);
	lim->max_line = 24;
	lim->max_mbulk = 16;
	lim->max_bulk_len = 300;
	lim->unauth_mbulk = 4;
	lim->unauth_bulk = 40;
	lim->max_query_buf = 250; /* under max_bulk_len + 2: "$249" passes it */
	lim->big_arg = 50;
}

/* Compose argv as a multibulk request, parse it back, compare. */
static void round_trip(const struct sl_resp_parser *p)
{
	struct sl_resp_out o;
	struct sl_resp_limits lim;
	struct sl_resp_parser q;
	struct iovec iov[64];
	uint8_t *wire;
	size_t n, wlen = 0, used;

	sl_resp_out_init(&o, &fz_ops);
	o.chunk_size = 64;
	if (sl_resp_write_array_len(&o, p->argc) != 0)
		abort();
	for (uint32_t i = 0; i < p->argc; i++)
		if (sl_resp_write_bulk(&o, p->argv[i].ptr, p->argv[i].len) != 0)
			abort();
	wire = malloc(sl_resp_out_pending(&o));
	while ((n = sl_resp_out_peek(&o, iov, 64)) > 0) {
		size_t sent = 0;

		for (size_t i = 0; i < n; i++) {
			memcpy(wire + wlen, iov[i].iov_base, iov[i].iov_len);
			wlen += iov[i].iov_len;
			sent += iov[i].iov_len;
		}
		sl_resp_out_consume(&o, sent);
	}
	if (sl_resp_out_mem(&o) != 0)
		abort();
	sl_resp_out_deinit(&o);

	sl_resp_limits_default(&lim);
	sl_resp_parser_init(&q, &lim, &fz_ops);
	sl_resp_parser_set_auth(&q, true);
	if (sl_resp_parse(&q, (const char *)wire, wlen, &used) != SL_RESP_OK || used != wlen)
		abort();
	if (q.argc != p->argc)
		abort();
	for (uint32_t i = 0; i < q.argc; i++)
		if (q.argv[i].len != p->argv[i].len ||
		    memcmp(q.argv[i].ptr, p->argv[i].ptr, q.argv[i].len) != 0)
			abort();
	sl_resp_parser_deinit(&q);
	free(wire);
}

static uint32_t rng(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/*
 * Parse data in segments; nsplit == 0 means one segment. Records each
 * request and the final status into *out.
 */
static void run(const uint8_t *data, size_t len, bool auth, bool use_dest, uint32_t seed,
		bool split, struct outcome *out)
{
	struct sl_resp_limits lim;
	struct sl_resp_parser p;
	uint8_t **segs = NULL;
	size_t nsegs = 0, pos = 0;
	bool stop = false;

	limits_small(&lim);
	sl_resp_parser_init(&p, &lim, &fz_ops);
	sl_resp_parser_set_auth(&p, auth);
	while (!stop) {
		size_t n = len - pos, off = 0;
		uint8_t *seg;

		if (split && n > 0 && seed != 0)
			n = 1 + rng(&seed) % (n < 40 ? n : 40);
		/* Optionally feed the start of this segment through bulk_dest. */
		if (use_dest) {
			size_t need;
			char *dest = sl_resp_parser_bulk_dest(&p, &need);

			if (dest != NULL && need > 0 && n > 0) {
				size_t k = need < n ? need : n;

				memcpy(dest, data + pos, k);
				sl_resp_parser_bulk_commit(&p, k);
				pos += k;
				n -= k;
			}
		}
		segs = realloc(segs, (nsegs + 1) * sizeof(*segs));
		seg = malloc(n == 0 ? 1 : n);
		if (segs == NULL || seg == NULL)
			abort();
		segs[nsegs++] = seg;
		memcpy(seg, data + pos, n);
		pos += n;
		for (;;) {
			size_t used = 0;
			enum sl_resp_status st =
				sl_resp_parse(&p, (const char *)seg + off, n - off, &used);

			if (used > n - off)
				abort();
			off += used;
			if (st == SL_RESP_OK) {
				uint8_t tag = 'R';
				uint32_t argc = p.argc;

				if (argc == 0)
					abort(); /* empty queries are never returned */
				oc_add(out, &tag, 1);
				oc_add(out, &argc, sizeof(argc));
				for (uint32_t i = 0; i < argc; i++) {
					uint64_t l = p.argv[i].len;

					oc_add(out, &l, sizeof(l));
					oc_add(out, p.argv[i].ptr, p.argv[i].len);
				}
				round_trip(&p);
				continue;
			}
			if (st == SL_RESP_ERROR) {
				const char *e = sl_resp_parser_error(&p);
				uint8_t tag = 'E';
				uint8_t code = (uint8_t)sl_resp_parser_errcode(&p);

				if (code == SL_RESP_ERR_NONE)
					abort();
				oc_add(out, &tag, 1);
				oc_add(out, &code, 1);
				if (e != NULL)
					oc_add(out, e, strlen(e));
				stop = true;
				break;
			}
			if (off != n)
				abort();
			break;
		}
		if (pos == len)
			break;
	}
	if (!stop) {
		uint64_t b = sl_resp_parser_buffered(&p);

		/* the stream ended inside a request: what it holds must not
		 * depend on the segmentation either */
		oc_add(out, "A", 1);
		oc_add(out, &b, sizeof(b));
	}
	sl_resp_parser_deinit(&p);
	for (size_t i = 0; i < nsegs; i++)
		free(segs[i]);
	free(segs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole = {0}, cut = {0};
	bool auth, use_dest;
	uint32_t seed;

	if (size < 5)
		return 0;
	auth = data[0] & 1;
	use_dest = data[0] & 2;
	memcpy(&seed, data + 1, sizeof(seed));
	data += 5;
	size -= 5;

	run(data, size, auth, false, 0, false, &whole);
	if (live != 0)
		abort();
	run(data, size, auth, use_dest, seed | 1, true, &cut);
	if (live != 0)
		abort();
	if (whole.len != cut.len || memcmp(whole.p, cut.p, whole.len) != 0)
		abort();
	free(whole.p);
	free(cut.p);
	return 0;
}
