/*
 * tools/loadgen (module prefix sl_lg): the parts of sluice-loadgen that do
 * not need DPDK, so that unit tests can drive them with crafted input.
 *
 * - A deterministic PRNG (splitmix64) and key samplers: uniform, and
 *   zipf(s) by inversion of a precomputed CDF table (binary search, so a
 *   draw costs log2(K) comparisons and no floating-point pow()).
 * - A latency histogram with HDR-style log buckets at microsecond
 *   resolution: exact below 128 us, then 64 buckets per power of two (a
 *   recorded value is reported with a relative error below 1/64).
 * - The reply validator. Every request the generator sends is encoded here
 *   and leaves behind an expectation (struct sl_lg_req) in its connection's
 *   FIFO (struct sl_lg_pipe); every reply is parsed (RESP2) and checked
 *   against the expectation at the head of the FIFO. SET writes a value that
 *   encodes the run, the key and a per-key version; a GET (or an MGET
 *   element) must return a value the generator wrote for that very key, no
 *   older than what was certainly stored when the GET was sent, and with the
 *   exact filler bytes. A reply for another request (a different key) counts
 *   as out-of-order; a wrong type, an error reply, a malformed stream and a
 *   stream that ends before every request was answered are each counted,
 *   never ignored.
 *
 * Staleness bound ("floor") per key: versions grow in send order. A key's
 * SETs form busy periods (from a SET sent while none was in flight for the
 * key until the in-flight count is back at zero). Every SET of an earlier
 * period was acknowledged before the current period began, hence applied
 * before any of its SETs, so once a period ends the stored version is one of
 * that period's, i.e. at least its first version. A GET sent after that must
 * not return less. INCR: a reply must exceed the highest reply seen for the
 * key before the INCR was sent.
 *
 * Context: one generator lcore owns all of this; nothing is locked.
 * Allocation happens only in sl_lg_keyspace_create, sl_lg_zipf_init and
 * sl_lg_pipe_init.
 */
#ifndef SL_TOOLS_LOADGEN_H
#define SL_TOOLS_LOADGEN_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Random numbers and key distributions                               */
/* ------------------------------------------------------------------ */

/* splitmix64: state advanced by a constant, output mixed. Deterministic. */
static inline uint64_t sl_lg_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) (multiply-high; bias below n / 2^32 for n < 2^32). */
static inline uint32_t sl_lg_rand_below(uint64_t *state, uint32_t n)
{
	return (uint32_t)(((sl_lg_rand(state) >> 32) * (uint64_t)n) >> 32);
}

struct sl_lg_zipf {
	uint32_t n;
	double s;
	double *cdf; /* cdf[i] = P(rank <= i), cdf[n-1] = 1 */
};

/*
 * Builds the table for ranks 0..n-1 with P(rank = i) proportional to
 * 1 / (i + 1)^s (s >= 0; s = 0 is uniform). Returns 0, -EINVAL (n == 0 or
 * s < 0) or -ENOMEM. Cost: n pow() calls and 8n bytes.
 */
int sl_lg_zipf_init(struct sl_lg_zipf *z, uint32_t n, double s);
void sl_lg_zipf_deinit(struct sl_lg_zipf *z);
/* One rank in [0, n), rank 0 the most popular. */
uint32_t sl_lg_zipf_next(const struct sl_lg_zipf *z, uint64_t *state);

/* ------------------------------------------------------------------ */
/* Latency histogram                                                  */
/* ------------------------------------------------------------------ */

#define SL_LG_HIST_EXACT   128 /* values below this have their own bucket */
#define SL_LG_HIST_SUB     64  /* buckets per power of two above it */
#define SL_LG_HIST_BUCKETS ((64 - 6) * SL_LG_HIST_SUB + SL_LG_HIST_SUB)

struct sl_lg_hist {
	uint64_t total;
	uint64_t min, max; /* exact, microseconds */
	double sum;
	uint64_t count[SL_LG_HIST_BUCKETS];
};

void sl_lg_hist_init(struct sl_lg_hist *h);
/* Records one value (microseconds). */
void sl_lg_hist_record(struct sl_lg_hist *h, uint64_t us);
/* Bucket index of a value, and the largest value in bucket i. */
uint32_t sl_lg_hist_index(uint64_t us);
uint64_t sl_lg_hist_bucket_high(uint32_t i);
/*
 * The value at percentile pct (0 < pct <= 100): the largest value of the
 * bucket that holds the ceil(pct/100 * total)-th smallest recorded value
 * (HDR's "highest equivalent value"), capped at the exact maximum. 0 when
 * nothing was recorded.
 */
uint64_t sl_lg_hist_percentile(const struct sl_lg_hist *h, double pct);
double sl_lg_hist_mean(const struct sl_lg_hist *h);

/* ------------------------------------------------------------------ */
/* Requests, replies and validation                                   */
/* ------------------------------------------------------------------ */

enum sl_lg_op {
	SL_LG_OP_GET,
	SL_LG_OP_SET,
	SL_LG_OP_INCR,
	SL_LG_OP_MGET,
};

#define SL_LG_MGET_KEYS 10

/* What one sent request expects. */
struct sl_lg_req {
	uint64_t sched; /* scheduled send time (caller's clock) */
	uint8_t op;     /* enum sl_lg_op */
	uint8_t nkeys;
	uint32_t key[SL_LG_MGET_KEYS];
	/* GET/MGET: floor version at send; SET: version written; INCR: highest
	 * reply seen for the key at send. */
	int64_t lo[SL_LG_MGET_KEYS];
};

/* Per-key state kept by the generator. */
struct sl_lg_key {
	uint32_t written;    /* highest version sent by a SET */
	uint32_t floor;      /* a GET sent now must see at least this version */
	uint32_t period_min; /* first version of the current busy period */
	uint32_t inflight;   /* SETs sent and not yet answered */
	int64_t incr_seen;   /* highest INCR reply seen */
};

struct sl_lg_keyspace {
	uint32_t nkeys;
	uint32_t vsize; /* value size; values are never shorter than their header */
	uint32_t run;   /* run id written into every value */
	struct sl_lg_key *k;
};

/* Creates the state for nkeys keys. NULL with errno (EINVAL, ENOMEM). */
struct sl_lg_keyspace *sl_lg_keyspace_create(uint32_t nkeys, uint32_t vsize, uint32_t run);
/* Frees it; *ks becomes NULL. */
void sl_lg_keyspace_destroy(struct sl_lg_keyspace **ks);

/* Longest command sl_lg_encode can write for this keyspace. */
size_t sl_lg_cmd_max(const struct sl_lg_keyspace *ks);
/*
 * Encodes the command for req (op, nkeys and key[] set by the caller) into
 * out (borrowed, cap bytes) and fills req's expectations; a SET takes the
 * key's next version. The command must then be sent: the keyspace counts
 * it as in flight. Returns bytes written, or -ENOSPC (nothing changed).
 */
int sl_lg_encode(struct sl_lg_keyspace *ks, struct sl_lg_req *req, char *out, size_t cap);
/* The value SET writes for (key, version): fills out (cap >= vsize + 40)
 * and returns its length. */
size_t sl_lg_value(const struct sl_lg_keyspace *ks, uint32_t key, uint32_t ver, char *out);

/* A parsed RESP2 reply; pointers borrow the parsed buffer. */
struct sl_lg_elem {
	char type;       /* '+', '-', ':', '$', '*' */
	int64_t num;     /* ':' value; '$' / '*' length, -1 = nil */
	const char *str; /* '+' / '-' text, '$' payload */
	size_t len;
};

struct sl_lg_reply {
	struct sl_lg_elem top;
	uint32_t nelem; /* '*': elements described in elem[] */
	struct sl_lg_elem elem[SL_LG_MGET_KEYS];
};

/*
 * Parses one reply from buf[0..len) (borrowed). Returns the bytes it
 * occupies (> 0), 0 when it is incomplete, or -EPROTO when the bytes are not
 * RESP2 (unknown type byte, bad number, missing CRLF, a line over 64 KiB,
 * arrays nested deeper than 8).
 */
long sl_lg_reply_parse(const char *buf, size_t len, struct sl_lg_reply *r);

enum sl_lg_verdict {
	SL_LG_OK,
	SL_LG_WRONG_TYPE,   /* e.g. a bulk where +OK was expected */
	SL_LG_WRONG_VALUE,  /* a value the generator never wrote for the key, or stale */
	SL_LG_OUT_OF_ORDER, /* a value of another key: the reply of another request */
	SL_LG_ERROR_REPLY,  /* -ERR ... */
	SL_LG_VERDICT__MAX
};

/*
 * Checks reply r against req and updates the keyspace (a SET's reply ends
 * its in-flight state; INCR replies raise incr_seen). ks and both pointers
 * borrowed.
 */
enum sl_lg_verdict sl_lg_check(struct sl_lg_keyspace *ks, const struct sl_lg_req *req,
			       const struct sl_lg_reply *r);
/* A request that will never be answered (connection lost). */
void sl_lg_abandon(struct sl_lg_keyspace *ks, const struct sl_lg_req *req);

/* Counted outcomes. errors() sums every field but ok. */
struct sl_lg_counts {
	uint64_t ok;
	uint64_t verdict[SL_LG_VERDICT__MAX]; /* [SL_LG_OK] unused */
	uint64_t protocol;                    /* malformed reply stream */
	uint64_t unexpected;                  /* a reply with no request outstanding */
	uint64_t truncated; /* stream ended with requests unanswered or a partial reply */
	uint64_t lost;      /* requests never answered */
};

uint64_t sl_lg_counts_errors(const struct sl_lg_counts *c);
const char *sl_lg_verdict_name(enum sl_lg_verdict v);

/* One connection's outstanding requests, oldest first. */
struct sl_lg_pipe {
	struct sl_lg_req *req;
	uint32_t cap, head, n;
	int dead; /* a protocol error was seen: nothing more is parsed */
};

/* cap requests. 0, -EINVAL or -ENOMEM. */
int sl_lg_pipe_init(struct sl_lg_pipe *p, uint32_t cap);
void sl_lg_pipe_deinit(struct sl_lg_pipe *p);
/* Slot for the next request (NULL when full); sl_lg_pipe_push commits it. */
struct sl_lg_req *sl_lg_pipe_tail(struct sl_lg_pipe *p);
void sl_lg_pipe_push(struct sl_lg_pipe *p);

/*
 * Parses and checks every complete reply in buf[0..len) against the pipe's
 * expectations, popping one request per reply. Latency (now - sched) /
 * ticks_per_us goes to h when h is not NULL. Returns the bytes consumed
 * (the caller keeps the rest for the next call), or -EPROTO after counting a
 * protocol error (the pipe is then dead).
 */
long sl_lg_pipe_input(struct sl_lg_keyspace *ks, struct sl_lg_pipe *p, const char *buf, size_t len,
		      struct sl_lg_counts *c, struct sl_lg_hist *h, uint64_t now,
		      double ticks_per_us);
/*
 * The stream ended (peer closed or reset, or the run gave up waiting) with
 * leftover unparsed bytes: counts `truncated` once if anything was left or
 * outstanding and `lost` for each unanswered request, and abandons them.
 */
void sl_lg_pipe_end(struct sl_lg_keyspace *ks, struct sl_lg_pipe *p, size_t leftover,
		    struct sl_lg_counts *c);

#endif /* SL_TOOLS_LOADGEN_H */
