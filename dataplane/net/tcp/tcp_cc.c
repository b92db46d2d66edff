/*
 * Congestion control behind struct sl_tcp_cc_ops: NewReno (RFC 5681 3.1 and
 * RFC 6582) and CUBIC (RFC 9438). The stack core owns loss detection and the
 * recovery procedure; an algorithm only decides how cwnd grows on new ACKs and
 * what ssthresh becomes after a loss. Also the keyed hash used for ISNs and SYN
 * cookies (SipHash-2-4, written from its published description).
 */
#include <math.h>

#include "dataplane/net/tcp/tcp_priv.h"

static void reno_init(struct sl_tcp_conn *c)
{
	(void)c;
}

/* RFC 5681 3.1: slow start grows cwnd by min(acked, SMSS) per ACK (RFC 3465
 * L=1); congestion avoidance by about SMSS per RTT, counted in bytes acked. */
static void reno_ack(struct sl_tcp_conn *c, uint32_t acked, uint64_t now)
{
	(void)now;
	if (c->cwnd < c->ssthresh) {
		c->cwnd += SL_MIN(acked, (uint32_t)c->mss);
		return;
	}
	c->cc_bytes_acked += acked;
	if (c->cc_bytes_acked >= c->cwnd) {
		c->cc_bytes_acked -= c->cwnd;
		c->cwnd += c->mss;
	}
}

/* RFC 5681 (4): ssthresh = max(FlightSize / 2, 2 * SMSS). */
static uint32_t reno_ssthresh(struct sl_tcp_conn *c, uint64_t now)
{
	uint32_t flight = c->snd_max - c->snd_una;

	(void)now;
	return SL_MAX(flight / 2, 2u * c->mss);
}

static void reno_recovered(struct sl_tcp_conn *c, uint64_t now)
{
	(void)c;
	(void)now;
}

const struct sl_tcp_cc_ops sl_tcp_cc_newreno = {
	.name = "newreno",
	.init = reno_init,
	.ack = reno_ack,
	.ssthresh = reno_ssthresh,
	.recovered = reno_recovered,
};

/* CUBIC constants, RFC 9438 4.1 and 4.6. */
#define CUBIC_C    0.4
#define CUBIC_BETA 0.7

static void cubic_init(struct sl_tcp_conn *c)
{
	c->w_max = 0;
	c->w_last_max = 0;
	c->cubic_k = 0;
	c->w_est = 0;
	c->epoch_start = 0;
}

static void cubic_ack(struct sl_tcp_conn *c, uint32_t acked, uint64_t now)
{
	double mss = c->mss;
	double cwnd = c->cwnd / mss;
	double t, target, w_cubic, rtt;

	if (c->cwnd < c->ssthresh) {
		c->cwnd += SL_MIN(acked, (uint32_t)c->mss);
		return;
	}
	if (c->epoch_start == 0) {
		/* RFC 9438 4.2: a new congestion-avoidance epoch. */
		c->epoch_start = now;
		if (c->w_max < cwnd) {
			c->w_max = (float)cwnd;
			c->cubic_k = 0;
		} else {
			c->cubic_k = (float)cbrt((c->w_max - cwnd) / CUBIC_C);
		}
		c->w_est = (float)cwnd;
	}
	rtt = (c->srtt ? c->srtt : 100000u) / 1e6;
	t = (double)(now - c->epoch_start) / 1e6;
	/* RFC 9438 4.2 eq. 1: W_cubic(t) = C (t - K)^3 + W_max, evaluated at t + RTT. */
	w_cubic = CUBIC_C * pow(t + rtt - c->cubic_k, 3) + c->w_max;
	/* RFC 9438 4.3: Reno-friendly estimate, alpha = 3 (1 - beta) / (1 + beta). */
	c->w_est += (float)(3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA) * (acked / mss) / cwnd);
	if (w_cubic < c->w_est) {
		target = c->w_est;
	} else {
		/* RFC 9438 4.2: target clamped to [cwnd, 1.5 cwnd]. */
		target = SL_MIN(SL_MAX(w_cubic, cwnd), 1.5 * cwnd);
	}
	if (target > cwnd) {
		c->cc_bytes_acked += (uint32_t)((target - cwnd) / cwnd * acked);
		if (c->cc_bytes_acked >= c->mss) {
			c->cwnd += c->mss * (c->cc_bytes_acked / c->mss);
			c->cc_bytes_acked %= c->mss;
		}
	}
}

/* RFC 9438 4.6 (multiplicative decrease) and 4.7 (fast convergence). */
static uint32_t cubic_ssthresh(struct sl_tcp_conn *c, uint64_t now)
{
	double cwnd = (double)c->cwnd / c->mss;
	uint32_t th;

	(void)now;
	if (cwnd < c->w_last_max)
		c->w_max = (float)(cwnd * (1.0 + CUBIC_BETA) / 2.0);
	else
		c->w_max = (float)cwnd;
	c->w_last_max = (float)cwnd;
	c->epoch_start = 0;
	th = (uint32_t)(c->cwnd * CUBIC_BETA);
	return SL_MAX(th, 2u * c->mss);
}

static void cubic_recovered(struct sl_tcp_conn *c, uint64_t now)
{
	(void)now;
	c->epoch_start = 0;
}

const struct sl_tcp_cc_ops sl_tcp_cc_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.ack = cubic_ack,
	.ssthresh = cubic_ssthresh,
	.recovered = cubic_recovered,
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static inline void sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

/* SipHash-2-4 over nw 32-bit words (packed two per 64-bit message word). */
uint64_t sl_tcp_siphash(const uint64_t key[2], const uint32_t *w, unsigned int nw)
{
	uint64_t v[4] = {key[0] ^ 0x736f6d6570736575ull, key[1] ^ 0x646f72616e646f6dull,
			 key[0] ^ 0x6c7967656e657261ull, key[1] ^ 0x7465646279746573ull};
	uint64_t b = (uint64_t)(nw * 4u) << 56;
	unsigned int i;

	for (i = 0; i + 1 < nw; i += 2) {
		uint64_t m = (uint64_t)w[i] | ((uint64_t)w[i + 1] << 32);

		v[3] ^= m;
		sipround(v);
		sipround(v);
		v[0] ^= m;
	}
	if (i < nw)
		b |= w[i];
	v[3] ^= b;
	sipround(v);
	sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	sipround(v);
	sipround(v);
	sipround(v);
	sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}
