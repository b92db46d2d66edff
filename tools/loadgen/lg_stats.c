/*
 * Key distributions and the latency histogram (see loadgen.h).
 *
 * Zipf by table inversion: the CDF is built once in double precision, in
 * rank order, and a draw is a binary search for the first entry above a
 * uniform 53-bit fraction. Exact for any s >= 0 (no approximation of the
 * generalized harmonic number), deterministic for a given seed.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tools/loadgen/loadgen.h"

int sl_lg_zipf_init(struct sl_lg_zipf *z, uint32_t n, double s)
{
	double sum = 0;
	uint32_t i;

	memset(z, 0, sizeof(*z));
	if (n == 0 || !(s >= 0))
		return -EINVAL;
	z->cdf = malloc(sizeof(double) * n);
	if (z->cdf == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		sum += s == 0 ? 1.0 : pow((double)i + 1, -s);
		z->cdf[i] = sum;
	}
	for (i = 0; i < n; i++)
		z->cdf[i] /= sum;
	z->cdf[n - 1] = 1.0;
	z->n = n;
	z->s = s;
	return 0;
}

void sl_lg_zipf_deinit(struct sl_lg_zipf *z)
{
	free(z->cdf);
	z->cdf = NULL;
	z->n = 0;
}

uint32_t sl_lg_zipf_next(const struct sl_lg_zipf *z, uint64_t *state)
{
	double u = (double)(sl_lg_rand(state) >> 11) * 0x1.0p-53; /* [0, 1) */
	uint32_t lo = 0, hi = z->n - 1;

	/* first i with cdf[i] > u; cdf[n-1] = 1 > u always */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (z->cdf[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void sl_lg_hist_init(struct sl_lg_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

uint32_t sl_lg_hist_index(uint64_t us)
{
	unsigned k, shift;

	if (us < SL_LG_HIST_EXACT)
		return (uint32_t)us;
	k = 63u - (unsigned)__builtin_clzll(us); /* 2^k <= us < 2^(k+1), k >= 7 */
	shift = k - 6;
	return (uint32_t)((k - 6) * SL_LG_HIST_SUB + (us >> shift));
}

uint64_t sl_lg_hist_bucket_high(uint32_t i)
{
	unsigned shift;

	if (i < SL_LG_HIST_EXACT)
		return i;
	shift = i / SL_LG_HIST_SUB - 1;
	return (((uint64_t)(i % SL_LG_HIST_SUB + SL_LG_HIST_SUB) + 1) << shift) - 1;
}

void sl_lg_hist_record(struct sl_lg_hist *h, uint64_t us)
{
	h->count[sl_lg_hist_index(us)]++;
	h->total++;
	h->sum += (double)us;
	if (us < h->min)
		h->min = us;
	if (us > h->max)
		h->max = us;
}

uint64_t sl_lg_hist_percentile(const struct sl_lg_hist *h, double pct)
{
	uint64_t rank, seen = 0;
	uint32_t i;

	if (h->total == 0)
		return 0;
	/* ceil(), forgiving the rounding of pct / 100 (99.9 / 100 * 1000 is not 999) */
	rank = (uint64_t)ceil(pct * (double)h->total / 100.0 - 1e-9);
	if (rank < 1)
		rank = 1;
	if (rank > h->total)
		rank = h->total;
	for (i = 0; i < SL_LG_HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= rank) {
			uint64_t v = sl_lg_hist_bucket_high(i);

			return v > h->max ? h->max : v;
		}
	}
	return h->max;
}

double sl_lg_hist_mean(const struct sl_lg_hist *h)
{
	return h->total ? h->sum / (double)h->total : 0.0;
}
