/*
 * Request encoding, the RESP2 reply parser and the reply validator (see the
 * design comment in loadgen.h).
 *
 * Value layout: "<run, 8 hex digits>:<key>:<version>:" followed by filler
 * bytes up to vsize, every filler byte 'a' + (key + version) % 26. A value
 * is never shorter than its header. Keys: "lg:<n>" for strings, "lgc:<n>"
 * for INCR counters (so INCR never meets a string value).
 *
 * RESP2 reply grammar (https://redis.io/docs/reference/protocol-spec/):
 * '+' simple string, '-' error, ':' integer, '$' bulk string (length -1:
 * nil), '*' array (count -1: nil), each header line ending in CRLF, a bulk
 * payload followed by CRLF.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/loadgen/loadgen.h"

#define LINE_MAX_LEN (64 * 1024)
#define MAX_DEPTH    8
#define MAX_BULK     (512LL * 1024 * 1024)
#define HDR_MAX      40 /* 8 hex + 3 ':' + two 10-digit numbers, rounded up */

struct sl_lg_keyspace *sl_lg_keyspace_create(uint32_t nkeys, uint32_t vsize, uint32_t run)
{
	struct sl_lg_keyspace *ks;

	if (nkeys == 0 || vsize > MAX_BULK - HDR_MAX) {
		errno = EINVAL;
		return NULL;
	}
	ks = calloc(1, sizeof(*ks));
	if (ks == NULL)
		return NULL;
	ks->k = calloc(nkeys, sizeof(*ks->k));
	if (ks->k == NULL) {
		free(ks);
		errno = ENOMEM;
		return NULL;
	}
	ks->nkeys = nkeys;
	ks->vsize = vsize;
	ks->run = run;
	return ks;
}

void sl_lg_keyspace_destroy(struct sl_lg_keyspace **ks)
{
	if (*ks == NULL)
		return;
	free((*ks)->k);
	free(*ks);
	*ks = NULL;
}

/* Decimal digits of v at p; returns the count. */
static size_t put_u64(char *p, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

static size_t put_str(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return n;
}

static size_t put_hex32(char *p, uint32_t v)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 8; i++)
		p[i] = hex[(v >> (28 - 4 * i)) & 15];
	return 8;
}

/* "$<len>\r\n<s>\r\n" */
static size_t put_bulk(char *p, const char *s, size_t n)
{
	size_t o = 0;

	p[o++] = '$';
	o += put_u64(p + o, n);
	o += put_str(p + o, "\r\n", 2);
	o += put_str(p + o, s, n);
	o += put_str(p + o, "\r\n", 2);
	return o;
}

static size_t key_name(char *p, uint32_t key, int counter)
{
	size_t o = counter ? put_str(p, "lgc:", 4) : put_str(p, "lg:", 3);

	return o + put_u64(p + o, key);
}

static size_t digits(uint64_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* Length sl_lg_value will write. */
static size_t value_len(const struct sl_lg_keyspace *ks, uint32_t key, uint32_t ver)
{
	size_t hdr = 8 + 1 + digits(key) + 1 + digits(ver) + 1;

	return hdr > ks->vsize ? hdr : ks->vsize;
}

size_t sl_lg_value(const struct sl_lg_keyspace *ks, uint32_t key, uint32_t ver, char *out)
{
	size_t o = put_hex32(out, ks->run);

	out[o++] = ':';
	o += put_u64(out + o, key);
	out[o++] = ':';
	o += put_u64(out + o, ver);
	out[o++] = ':';
	if (o < ks->vsize) {
		memset(out + o, 'a' + (int)((key + (uint64_t)ver) % 26), ks->vsize - o);
		o = ks->vsize;
	}
	return o;
}

size_t sl_lg_cmd_max(const struct sl_lg_keyspace *ks)
{
	size_t set = 64 + 2 * 20 + (size_t)ks->vsize + HDR_MAX;
	size_t mget = 32 + SL_LG_MGET_KEYS * 32;

	return set > mget ? set : mget;
}

int sl_lg_encode(struct sl_lg_keyspace *ks, struct sl_lg_req *req, char *out, size_t cap)
{
	char name[24];
	size_t o = 0, n;
	uint32_t i;

	if (req->nkeys == 0 || req->nkeys > SL_LG_MGET_KEYS ||
	    (req->op != SL_LG_OP_MGET && req->nkeys != 1))
		return -EINVAL;
	for (i = 0; i < req->nkeys; i++)
		if (req->key[i] >= ks->nkeys)
			return -EINVAL;
	if (cap < sl_lg_cmd_max(ks))
		return -ENOSPC;
	switch (req->op) {
	case SL_LG_OP_GET:
		o += put_str(out, "*2\r\n$3\r\nGET\r\n", 13);
		n = key_name(name, req->key[0], 0);
		o += put_bulk(out + o, name, n);
		req->lo[0] = ks->k[req->key[0]].floor;
		break;
	case SL_LG_OP_SET: {
		struct sl_lg_key *k = &ks->k[req->key[0]];
		uint32_t ver = ++k->written;

		o += put_str(out, "*3\r\n$3\r\nSET\r\n", 13);
		n = key_name(name, req->key[0], 0);
		o += put_bulk(out + o, name, n);
		out[o++] = '$';
		o += put_u64(out + o, value_len(ks, req->key[0], ver));
		o += put_str(out + o, "\r\n", 2);
		o += sl_lg_value(ks, req->key[0], ver, out + o);
		o += put_str(out + o, "\r\n", 2);
		if (k->inflight++ == 0)
			k->period_min = ver;
		req->lo[0] = ver;
		break;
	}
	case SL_LG_OP_INCR:
		o += put_str(out, "*2\r\n$4\r\nINCR\r\n", 14);
		n = key_name(name, req->key[0], 1);
		o += put_bulk(out + o, name, n);
		req->lo[0] = ks->k[req->key[0]].incr_seen;
		break;
	case SL_LG_OP_MGET:
		out[o++] = '*';
		o += put_u64(out + o, (uint64_t)req->nkeys + 1);
		o += put_str(out + o, "\r\n$4\r\nMGET\r\n", 12);
		for (i = 0; i < req->nkeys; i++) {
			n = key_name(name, req->key[i], 0);
			o += put_bulk(out + o, name, n);
			req->lo[i] = ks->k[req->key[i]].floor;
		}
		break;
	default:
		return -EINVAL;
	}
	return (int)o;
}

/* ------------------------------------------------------------------ */
/* Parser                                                             */
/* ------------------------------------------------------------------ */

/* Length of the line at b (up to CR), 0 with *more when incomplete, -1 on a
 * protocol error (bare CR, or no CRLF within LINE_MAX_LEN). */
static long line_len(const char *b, size_t len)
{
	size_t lim = len < LINE_MAX_LEN ? len : LINE_MAX_LEN;
	const char *cr = memchr(b, '\r', lim);

	if (cr == NULL)
		return len >= LINE_MAX_LEN ? -1 : -2;
	if ((size_t)(cr - b) + 1 >= len)
		return -2; /* CR is the last byte: LF may follow */
	if (cr[1] != '\n')
		return -1;
	return cr - b;
}

static int parse_int(const char *s, size_t n, int64_t *out)
{
	int neg = 0;
	uint64_t v = 0;
	size_t i = 0;

	if (n > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == n || n - i > 19)
		return -1;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX)
		return -1;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

/* One element; returns bytes, 0 incomplete, -EPROTO. Elements of a top-level
 * array are described in r->elem when r is not NULL. */
static long parse_elem(const char *b, size_t len, struct sl_lg_elem *e, struct sl_lg_reply *r,
		       int depth)
{
	long l;
	size_t off;

	if (len == 0)
		return 0;
	l = line_len(b, len);
	if (l == -2)
		return 0;
	if (l < 0)
		return -EPROTO;
	off = (size_t)l + 2;
	memset(e, 0, sizeof(*e));
	e->type = b[0];
	switch (b[0]) {
	case '+':
	case '-':
		e->str = b + 1;
		e->len = (size_t)l - 1;
		return (long)off;
	case ':':
		if (parse_int(b + 1, (size_t)l - 1, &e->num) != 0)
			return -EPROTO;
		return (long)off;
	case '$':
		if (parse_int(b + 1, (size_t)l - 1, &e->num) != 0 || e->num < -1 ||
		    e->num > MAX_BULK)
			return -EPROTO;
		if (e->num == -1)
			return (long)off;
		if (len - off < (size_t)e->num + 2)
			return 0;
		if (b[off + (size_t)e->num] != '\r' || b[off + (size_t)e->num + 1] != '\n')
			return -EPROTO;
		e->str = b + off;
		e->len = (size_t)e->num;
		return (long)(off + (size_t)e->num + 2);
	case '*': {
		int64_t i;

		if (parse_int(b + 1, (size_t)l - 1, &e->num) != 0 || e->num < -1 ||
		    depth >= MAX_DEPTH)
			return -EPROTO;
		for (i = 0; i < e->num; i++) {
			struct sl_lg_elem tmp;
			struct sl_lg_elem *c =
				r != NULL && i < SL_LG_MGET_KEYS ? &r->elem[i] : &tmp;
			long n = parse_elem(b + off, len - off, c, NULL, depth + 1);

			if (n <= 0)
				return n;
			off += (size_t)n;
		}
		if (r != NULL)
			r->nelem = e->num > SL_LG_MGET_KEYS ? SL_LG_MGET_KEYS
				   : e->num < 0             ? 0
							    : (uint32_t)e->num;
		return (long)off;
	}
	default:
		return -EPROTO;
	}
}

long sl_lg_reply_parse(const char *buf, size_t len, struct sl_lg_reply *r)
{
	r->nelem = 0;
	return parse_elem(buf, len, &r->top, r, 0);
}

/* ------------------------------------------------------------------ */
/* Validation                                                         */
/* ------------------------------------------------------------------ */

static int parse_hdr_num(const char *s, size_t len, size_t *off, uint64_t *v, int hex, size_t max)
{
	size_t i = *off, start = *off;

	*v = 0;
	while (i < len && s[i] != ':' && i - start < max) {
		char ch = s[i];
		unsigned d;

		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (hex && ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else
			return -1;
		*v = *v * (hex ? 16 : 10) + d;
		i++;
	}
	if (i == start || i >= len || s[i] != ':')
		return -1;
	*off = i + 1;
	return 0;
}

/* A GET / MGET element for key with staleness floor `floor`. */
static enum sl_lg_verdict check_value(const struct sl_lg_keyspace *ks, uint32_t key, int64_t floor,
				      const struct sl_lg_elem *e)
{
	uint64_t run, hkey, ver;
	size_t off = 0, want, i;
	char fill;

	if (e->type == '-')
		return SL_LG_ERROR_REPLY;
	if (e->type != '$')
		return SL_LG_WRONG_TYPE;
	if (e->num == -1)
		return floor == 0 ? SL_LG_OK : SL_LG_WRONG_VALUE;
	if (parse_hdr_num(e->str, e->len, &off, &run, 1, 8) != 0 ||
	    parse_hdr_num(e->str, e->len, &off, &hkey, 0, 10) != 0 ||
	    parse_hdr_num(e->str, e->len, &off, &ver, 0, 10) != 0)
		return SL_LG_WRONG_VALUE;
	if (hkey != key)
		return hkey < ks->nkeys ? SL_LG_OUT_OF_ORDER : SL_LG_WRONG_VALUE;
	if (run != ks->run) {
		/* left by an earlier run: acceptable only before our first write */
		if (floor != 0 || ks->k[key].written != 0)
			return SL_LG_WRONG_VALUE;
	} else if ((int64_t)ver < floor || ver > ks->k[key].written || ver == 0) {
		return SL_LG_WRONG_VALUE;
	}
	want = off > ks->vsize ? off : ks->vsize;
	if (e->len != want)
		return SL_LG_WRONG_VALUE;
	fill = (char)('a' + (key + ver) % 26);
	for (i = off; i < e->len; i++)
		if (e->str[i] != fill)
			return SL_LG_WRONG_VALUE;
	return SL_LG_OK;
}

static void set_done(struct sl_lg_keyspace *ks, uint32_t key, int stored)
{
	struct sl_lg_key *k = &ks->k[key];

	if (k->inflight > 0 && --k->inflight == 0 && stored && k->period_min > k->floor)
		k->floor = k->period_min;
}

enum sl_lg_verdict sl_lg_check(struct sl_lg_keyspace *ks, const struct sl_lg_req *req,
			       const struct sl_lg_reply *r)
{
	const struct sl_lg_elem *t = &r->top;
	enum sl_lg_verdict v = SL_LG_OK;
	uint32_t i;

	switch (req->op) {
	case SL_LG_OP_GET:
		return check_value(ks, req->key[0], req->lo[0], t);
	case SL_LG_OP_SET:
		if (t->type == '+' && t->len == 2 && memcmp(t->str, "OK", 2) == 0)
			v = SL_LG_OK;
		else
			v = t->type == '-' ? SL_LG_ERROR_REPLY : SL_LG_WRONG_TYPE;
		set_done(ks, req->key[0], v == SL_LG_OK);
		return v;
	case SL_LG_OP_INCR:
		if (t->type == '-')
			return SL_LG_ERROR_REPLY;
		if (t->type != ':')
			return SL_LG_WRONG_TYPE;
		if (t->num <= req->lo[0])
			return SL_LG_WRONG_VALUE;
		if (t->num > ks->k[req->key[0]].incr_seen)
			ks->k[req->key[0]].incr_seen = t->num;
		return SL_LG_OK;
	case SL_LG_OP_MGET:
		if (t->type == '-')
			return SL_LG_ERROR_REPLY;
		if (t->type != '*')
			return SL_LG_WRONG_TYPE;
		if (t->num != req->nkeys || r->nelem != req->nkeys)
			return SL_LG_WRONG_VALUE;
		for (i = 0; i < req->nkeys && v == SL_LG_OK; i++)
			v = check_value(ks, req->key[i], req->lo[i], &r->elem[i]);
		return v;
	default:
		return SL_LG_WRONG_TYPE;
	}
}

void sl_lg_abandon(struct sl_lg_keyspace *ks, const struct sl_lg_req *req)
{
	if (req->op == SL_LG_OP_SET)
		set_done(ks, req->key[0], 0);
}

uint64_t sl_lg_counts_errors(const struct sl_lg_counts *c)
{
	uint64_t n = c->protocol + c->unexpected + c->truncated + c->lost;
	int v;

	for (v = SL_LG_OK + 1; v < SL_LG_VERDICT__MAX; v++)
		n += c->verdict[v];
	return n;
}

const char *sl_lg_verdict_name(enum sl_lg_verdict v)
{
	static const char *const names[] = {
		[SL_LG_OK] = "ok",
		[SL_LG_WRONG_TYPE] = "wrong_type",
		[SL_LG_WRONG_VALUE] = "wrong_value",
		[SL_LG_OUT_OF_ORDER] = "out_of_order",
		[SL_LG_ERROR_REPLY] = "error_reply",
	};

	return (unsigned)v < SL_LG_VERDICT__MAX ? names[v] : "?";
}

/* ------------------------------------------------------------------ */
/* Pipes                                                              */
/* ------------------------------------------------------------------ */

int sl_lg_pipe_init(struct sl_lg_pipe *p, uint32_t cap)
{
	memset(p, 0, sizeof(*p));
	if (cap == 0)
		return -EINVAL;
	p->req = calloc(cap, sizeof(*p->req));
	if (p->req == NULL)
		return -ENOMEM;
	p->cap = cap;
	return 0;
}

void sl_lg_pipe_deinit(struct sl_lg_pipe *p)
{
	free(p->req);
	memset(p, 0, sizeof(*p));
}

struct sl_lg_req *sl_lg_pipe_tail(struct sl_lg_pipe *p)
{
	if (p->n == p->cap)
		return NULL;
	return &p->req[(p->head + p->n) % p->cap];
}

void sl_lg_pipe_push(struct sl_lg_pipe *p)
{
	p->n++;
}

long sl_lg_pipe_input(struct sl_lg_keyspace *ks, struct sl_lg_pipe *p, const char *buf, size_t len,
		      struct sl_lg_counts *c, struct sl_lg_hist *h, uint64_t now,
		      double ticks_per_us)
{
	size_t off = 0;

	if (p->dead)
		return (long)len;
	while (off < len) {
		struct sl_lg_reply r;
		struct sl_lg_req *req;
		enum sl_lg_verdict v;
		long n = sl_lg_reply_parse(buf + off, len - off, &r);

		if (n == 0)
			break;
		if (n < 0) {
			c->protocol++;
			p->dead = 1;
			return -EPROTO;
		}
		off += (size_t)n;
		if (p->n == 0) {
			c->unexpected++;
			continue;
		}
		req = &p->req[p->head];
		v = sl_lg_check(ks, req, &r);
		if (v == SL_LG_OK)
			c->ok++;
		else
			c->verdict[v]++;
		if (h != NULL)
			sl_lg_hist_record(
				h, now > req->sched
					   ? (uint64_t)((double)(now - req->sched) / ticks_per_us)
					   : 0);
		p->head = (p->head + 1) % p->cap;
		p->n--;
	}
	return (long)off;
}

void sl_lg_pipe_end(struct sl_lg_keyspace *ks, struct sl_lg_pipe *p, size_t leftover,
		    struct sl_lg_counts *c)
{
	if (!p->dead && (leftover > 0 || p->n > 0))
		c->truncated++;
	while (p->n > 0) {
		sl_lg_abandon(ks, &p->req[p->head]);
		c->lost++;
		p->head = (p->head + 1) % p->cap;
		p->n--;
	}
}
