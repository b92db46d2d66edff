/*
 * RESP2/RESP3 reply writer (see resp.h and docs/protocol.md).
 *
 * Replies are appended to a singly linked chain of chunks: copy chunks that
 * small protocol pieces are packed into, and reference chunks that point at a
 * large value owned by someone else (a store item, pinned by its refcount)
 * until the bytes are consumed by the transport. The encodings and the
 * RESP2 fallbacks for RESP3 types are those of Redis 7.0 networking.c
 * (addReplyDouble, addReplyHumanLongDouble, addReplyMapLen, addReplyBool,
 * addReplyVerbatim, addReplyNull/NullArray, addReplyErrorLength ...).
 */
#include "dataplane/resp/resp.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/common.h"

static void *default_alloc(void *ctx, size_t len)
{
	(void)ctx;
	return malloc(len);
}

static void default_free(void *ctx, void *ptr, size_t len)
{
	(void)ctx;
	(void)len;
	free(ptr);
}

static const struct sl_resp_alloc_ops default_ops = {default_alloc, default_free, NULL};

void sl_resp_out_init(struct sl_resp_out *o, const struct sl_resp_alloc_ops *ops)
{
	memset(o, 0, sizeof(*o));
	o->ops = ops != NULL ? ops : &default_ops;
	o->chunk_size = SL_RESP_CHUNK_BYTES;
	o->ref_min = SL_RESP_REF_MIN;
	o->proto = 2;
}

int sl_resp_out_set_proto(struct sl_resp_out *o, int proto)
{
	if (proto != 2 && proto != 3)
		return -EINVAL;
	o->proto = (uint8_t)proto;
	return 0;
}

uint64_t sl_resp_out_pending(const struct sl_resp_out *o)
{
	return o->pending;
}

uint64_t sl_resp_out_mem(const struct sl_resp_out *o)
{
	return o->mem;
}

static size_t chunk_mem(const struct sl_resp_chunk *c)
{
	return sizeof(*c) + c->cap + c->ref_len;
}

static void chunk_free(struct sl_resp_out *o, struct sl_resp_chunk *c)
{
	o->mem -= chunk_mem(c);
	if (c->ref != NULL && c->release != NULL)
		c->release(c->release_arg, c->ref, c->ref_len);
	o->ops->free(o->ops->ctx, c, sizeof(*c) + c->cap);
}

void sl_resp_out_deinit(struct sl_resp_out *o)
{
	struct sl_resp_chunk *c = o->head;

	while (c != NULL) {
		struct sl_resp_chunk *next = c->next;

		chunk_free(o, c);
		c = next;
	}
	o->head = o->tail = NULL;
	o->pending = 0;
}

static void chain(struct sl_resp_out *o, struct sl_resp_chunk *c)
{
	if (o->tail != NULL)
		o->tail->next = c;
	else
		o->head = c;
	o->tail = c;
	o->mem += chunk_mem(c);
}

static struct sl_resp_chunk *chunk_new(struct sl_resp_out *o, size_t cap)
{
	struct sl_resp_chunk *c = o->ops->alloc(o->ops->ctx, sizeof(*c) + cap);

	if (c == NULL)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->cap = cap;
	return c;
}

/* Copy len bytes to the end of the chain; all or nothing. */
static int append(struct sl_resp_out *o, const void *p, size_t len)
{
	struct sl_resp_chunk *t = o->tail;
	size_t room = (t != NULL && !t->deferred) ? t->cap - t->len : 0;
	struct sl_resp_chunk *fresh = NULL;

	if (len == 0)
		return 0;
	if (len > room) {
		fresh = chunk_new(o, SL_MAX((size_t)o->chunk_size, len - room));
		if (fresh == NULL)
			return -ENOMEM;
	}
	if (room > 0) {
		size_t n = SL_MIN(room, len);

		memcpy(t->data + t->len, p, n);
		t->len += n;
		p = (const char *)p + n;
		len -= n;
		o->pending += n;
	}
	if (fresh != NULL) {
		memcpy(fresh->data, p, len);
		fresh->len = len;
		o->pending += len;
		chain(o, fresh);
	}
	return 0;
}

/*
 * a, b, then CRLF: one copy into the tail when it fits (the usual case),
 * else three appends.
 */
static int append3(struct sl_resp_out *o, const char *a, size_t alen, const void *b, size_t blen)
{
	struct sl_resp_chunk *t = o->tail;
	size_t total = alen + blen + 2;

	if (t != NULL && !t->deferred && t->cap - t->len >= total) {
		char *d = t->data + t->len;

		memcpy(d, a, alen);
		if (blen > 0)
			memcpy(d + alen, b, blen);
		d[alen + blen] = '\r';
		d[alen + blen + 1] = '\n';
		t->len += total;
		o->pending += total;
		return 0;
	}
	if (append(o, a, alen) != 0 || append(o, b, blen) != 0)
		return -ENOMEM;
	return append(o, "\r\n", 2);
}

/*
 * The first chunk of an empty chain, of chunk_size bytes: what append()
 * allocates for the first piece of a reply, so a reply that fits in it ends
 * up in the same single chunk either way. NULL when out of memory.
 */
static __attribute__((noinline)) char *first_chunk(struct sl_resp_out *o)
{
	struct sl_resp_chunk *c = chunk_new(o, o->chunk_size);

	if (c == NULL)
		return NULL;
	chain(o, c);
	return c->data;
}

/*
 * Room for n more bytes at the end of the tail chunk, or NULL: the short
 * replies of a pipeline are written there in place, with no staging copy.
 * An empty chain (every reply sent: the usual state without pipelining) gets
 * its first chunk here when n fits in one.
 */
static inline char *tail_room(struct sl_resp_out *o, size_t n)
{
	struct sl_resp_chunk *t = o->tail;

	if (sl_likely(t != NULL && !t->deferred && t->cap - t->len >= n))
		return t->data + t->len;
	if (t == NULL && n <= o->chunk_size)
		return first_chunk(o);
	return NULL;
}

/* n bytes were written at tail_room(). */
static inline void tail_commit(struct sl_resp_out *o, size_t n)
{
	o->tail->len += n;
	o->pending += n;
}

size_t sl_resp_out_peek(const struct sl_resp_out *o, struct iovec *iov, size_t max)
{
	size_t n = 0;

	for (const struct sl_resp_chunk *c = o->head; c != NULL && n < max; c = c->next) {
		size_t off = c->off;

		if (c->deferred)
			break; /* the bytes after it must wait for its count */
		if (off < c->ref_len) {
			iov[n].iov_base = (void *)(c->ref + off);
			iov[n].iov_len = c->ref_len - off;
			n++;
			off = c->ref_len;
			if (n == max)
				break;
		}
		off -= c->ref_len;
		if (off < c->len) {
			iov[n].iov_base = (void *)(c->data + off);
			iov[n].iov_len = c->len - off;
			n++;
		}
	}
	return n;
}

/* The value of a reference chunk was sent: release it now, not when the
 * chunk's copy tail is done too. */
static void drop_ref(struct sl_resp_out *o, struct sl_resp_chunk *c)
{
	o->mem -= c->ref_len;
	c->off -= c->ref_len;
	if (c->release != NULL)
		c->release(c->release_arg, c->ref, c->ref_len);
	c->ref = NULL;
	c->ref_len = 0;
}

void sl_resp_out_consume(struct sl_resp_out *o, size_t n)
{
	n = SL_MIN(n, (size_t)o->pending);
	o->pending -= n;
	while (o->head != NULL) {
		struct sl_resp_chunk *c = o->head;
		size_t left = c->ref_len + c->len - c->off;

		if (c->deferred)
			return;
		if (n < left) {
			c->off += n;
			if (c->ref != NULL && c->off >= c->ref_len)
				drop_ref(o, c);
			return;
		}
		n -= left;
		/* Fully sent: free it, so that an idle connection holds nothing. */
		o->head = c->next;
		if (o->head == NULL)
			o->tail = NULL;
		chunk_free(o, c);
	}
}

int sl_resp_write_raw(struct sl_resp_out *o, const void *p, size_t len)
{
	return append(o, p, len);
}

/* Decimal digits of v into the end of buf[24]; returns the start. */
static char *u64_digits(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return end;
}

/* "<prefix><v>\r\n" (addReplyLongLongWithPrefix). */
static int write_prefixed(struct sl_resp_out *o, char prefix, int64_t v)
{
	char buf[32];
	char *end = buf + sizeof(buf) - 2;
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	char *s = u64_digits(end, mag);

	if (v < 0)
		*--s = '-';
	*--s = prefix;
	end[0] = '\r';
	end[1] = '\n';
	return append(o, s, (size_t)(end + 2 - s));
}

static int write_sanitized(struct sl_resp_out *o, const char *s, size_t len)
{
	while (len > 0) {
		size_t n = 0;

		while (n < len && s[n] != '\r' && s[n] != '\n')
			n++;
		if (n > 0 && append(o, s, n) != 0)
			return -ENOMEM;
		if (n < len && append(o, " ", 1) != 0)
			return -ENOMEM;
		n = SL_MIN(n + 1, len);
		s += n;
		len -= n;
	}
	return 0;
}

/* Longest header: prefix, 20 digits, CRLF. */
#define DEFERRED_CAP 24

struct sl_resp_chunk *sl_resp_write_deferred_len(struct sl_resp_out *o)
{
	struct sl_resp_chunk *c = chunk_new(o, DEFERRED_CAP);

	if (c == NULL)
		return NULL;
	c->deferred = true;
	chain(o, c);
	return c;
}

int sl_resp_set_deferred_len(struct sl_resp_out *o, struct sl_resp_chunk *h, enum sl_resp_agg kind,
			     uint64_t n)
{
	static const char v2[] = {'*', '*', '*', '*'};
	static const char v3[] = {'*', '%', '~', '>'};
	char buf[32];
	char *end = buf + sizeof(buf) - 2, *s;

	if (h == NULL || !h->deferred || (unsigned)kind > SL_RESP_AGG_PUSH)
		return -EINVAL;
	if (kind == SL_RESP_AGG_MAP && o->proto == 2)
		n *= 2;
	s = u64_digits(end, n);
	*--s = o->proto == 2 ? v2[kind] : v3[kind];
	end[0] = '\r';
	end[1] = '\n';
	h->len = (size_t)(end + 2 - s);
	memcpy(h->data, s, h->len);
	h->deferred = false;
	o->pending += h->len;
	return 0;
}

int sl_resp_write_status(struct sl_resp_out *o, const char *s, size_t len)
{
	char *d;

	/* The usual short status ("OK", "PONG"): checked and copied in one pass
	 * into the tail; bytes left there uncommitted when a CR or LF turns up
	 * are simply overwritten later. */
	if (len <= 16 && (d = tail_room(o, len + 3)) != NULL) {
		size_t i;

		d[0] = '+';
		for (i = 0; i < len; i++) {
			char ch = s[i];

			if (ch == '\r' || ch == '\n')
				break;
			d[i + 1] = ch;
		}
		if (i == len) {
			d[len + 1] = '\r';
			d[len + 2] = '\n';
			tail_commit(o, len + 3);
			return 0;
		}
	}
	if (memchr(s, '\r', len) == NULL && memchr(s, '\n', len) == NULL)
		return append3(o, "+", 1, s, len);
	if (append(o, "+", 1) != 0 || write_sanitized(o, s, len) != 0)
		return -ENOMEM;
	return append(o, "\r\n", 2);
}

int sl_resp_write_error(struct sl_resp_out *o, const char *s, size_t len)
{
	/* As addReplyErrorFormat: trailing CR/LF trimmed, inner ones mapped. */
	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == '\n'))
		len--;
	if (memchr(s, '\r', len) == NULL && memchr(s, '\n', len) == NULL) {
		if (len > 0 && s[0] == '-')
			return append3(o, "", 0, s, len);
		return append3(o, "-ERR ", 5, s, len);
	}
	if ((len == 0 || s[0] != '-') && append(o, "-ERR ", 5) != 0)
		return -ENOMEM;
	if (write_sanitized(o, s, len) != 0)
		return -ENOMEM;
	return append(o, "\r\n", 2);
}

int sl_resp_write_errorf(struct sl_resp_out *o, const char *fmt, ...)
{
	char small[256];
	char *buf = small;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= sizeof(small)) {
		/* A long message (e.g. an argument quoted in it): error path only. */
		buf = o->ops->alloc(o->ops->ctx, (size_t)n + 1);
		if (buf == NULL)
			return -ENOMEM;
		va_start(ap, fmt);
		vsnprintf(buf, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	rc = sl_resp_write_error(o, buf, (size_t)n);
	if (buf != small)
		o->ops->free(o->ops->ctx, buf, (size_t)n + 1);
	return rc;
}

int sl_resp_write_bulk_int(struct sl_resp_out *o, int64_t v)
{
	char buf[24];
	char *end = buf + sizeof(buf);
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	char *s = u64_digits(end, mag);

	if (v < 0)
		*--s = '-';
	return sl_resp_write_bulk(o, s, (size_t)(end - s));
}

int sl_resp_write_int(struct sl_resp_out *o, int64_t v)
{
	return write_prefixed(o, ':', v);
}

static int write_bulk_slow(struct sl_resp_out *o, const void *p, size_t len)
{
	char buf[32];
	char *end = buf + sizeof(buf) - 2;
	char *s = u64_digits(end, len);

	*--s = '$';
	end[0] = '\r';
	end[1] = '\n';
	return append3(o, s, (size_t)(end + 2 - s), p, len);
}

/* Bulk replies shorter than this are formatted straight into the tail. */
#define BULK_INPLACE_MAX 100000

int sl_resp_write_bulk(struct sl_resp_out *o, const void *p, size_t len)
{
	char *d;

	/* "$" + at most 5 digits + CRLF, the value, CRLF */
	if (len < BULK_INPLACE_MAX && (d = tail_room(o, len + 10)) != NULL) {
		size_t nd = len < 10 ? 1 : len < 100 ? 2 : len < 1000 ? 3 : len < 10000 ? 4 : 5;
		size_t v = len, n;

		d[0] = '$';
		for (size_t i = nd; i > 0; i--) {
			d[i] = (char)('0' + v % 10);
			v /= 10;
		}
		d[nd + 1] = '\r';
		d[nd + 2] = '\n';
		if (len > 0)
			memcpy(d + nd + 3, p, len);
		n = nd + 3 + len;
		d[n] = '\r';
		d[n + 1] = '\n';
		tail_commit(o, n + 2);
		return 0;
	}
	return write_bulk_slow(o, p, len);
}

int sl_resp_write_bulk_ref(struct sl_resp_out *o, const void *ptr, size_t len,
			   sl_resp_release_fn *release, void *arg)
{
	struct sl_resp_chunk *c;
	int rc;

	if (len < o->ref_min) {
		rc = sl_resp_write_bulk(o, ptr, len);
		goto out_release;
	}
	c = chunk_new(o, SL_RESP_REF_TAIL);
	if (c == NULL) {
		rc = -ENOMEM;
		goto out_release;
	}
	if (write_prefixed(o, '$', (int64_t)len) != 0) {
		o->ops->free(o->ops->ctx, c, sizeof(*c) + c->cap);
		rc = -ENOMEM;
		goto out_release;
	}
	c->ref = ptr;
	c->ref_len = len;
	c->release = release;
	c->release_arg = arg;
	memcpy(c->data, "\r\n", 2);
	c->len = 2;
	chain(o, c);
	o->pending += len + 2;
	return 0;

out_release:
	if (release != NULL)
		release(arg, ptr, len);
	return rc;
}

int sl_resp_write_null(struct sl_resp_out *o)
{
	return o->proto == 2 ? append(o, "$-1\r\n", 5) : append(o, "_\r\n", 3);
}

int sl_resp_write_null_array(struct sl_resp_out *o)
{
	return o->proto == 2 ? append(o, "*-1\r\n", 5) : append(o, "_\r\n", 3);
}

int sl_resp_write_array_len(struct sl_resp_out *o, uint64_t n)
{
	return write_prefixed(o, '*', (int64_t)n);
}

int sl_resp_write_map_len(struct sl_resp_out *o, uint64_t n)
{
	return o->proto == 2 ? write_prefixed(o, '*', (int64_t)(n * 2))
			     : write_prefixed(o, '%', (int64_t)n);
}

int sl_resp_write_set_len(struct sl_resp_out *o, uint64_t n)
{
	return write_prefixed(o, o->proto == 2 ? '*' : '~', (int64_t)n);
}

int sl_resp_write_push_len(struct sl_resp_out *o, uint64_t n)
{
	return write_prefixed(o, o->proto == 2 ? '*' : '>', (int64_t)n);
}

int sl_resp_write_bool(struct sl_resp_out *o, bool b)
{
	if (o->proto == 2)
		return append(o, b ? ":1\r\n" : ":0\r\n", 4);
	return append(o, b ? "#t\r\n" : "#f\r\n", 4);
}

size_t sl_resp_format_double(char *buf, double d)
{
	int n;

	/* Redis spells infinities itself (libc spellings vary). */
	if (isinf(d)) {
		memcpy(buf, d > 0 ? "inf" : "-inf", d > 0 ? 4 : 5);
		return d > 0 ? 3 : 4;
	}
	n = snprintf(buf, SL_RESP_LD_MAX, "%.17g", d);
	return n > 0 ? (size_t)n : 0;
}

size_t sl_resp_format_human_long_double(char *buf, long double d)
{
	int n;
	size_t l;

	if (isinf(d)) {
		memcpy(buf, d > 0 ? "inf" : "-inf", d > 0 ? 4 : 5);
		return d > 0 ? 3 : 4;
	}
	/* ld2string(LD_STR_HUMAN): fixed notation with 17 decimals, then
	 * trailing zeros and a bare point removed; "-0" becomes "0". */
	n = snprintf(buf, SL_RESP_LD_MAX, "%.17Lf", d);
	if (n <= 0 || (size_t)n >= SL_RESP_LD_MAX) {
		buf[0] = '\0';
		return 0;
	}
	l = (size_t)n;
	if (memchr(buf, '.', l) != NULL) {
		while (buf[l - 1] == '0')
			l--;
		if (buf[l - 1] == '.')
			l--;
	}
	if (l == 2 && buf[0] == '-' && buf[1] == '0') {
		buf[0] = '0';
		l = 1;
	}
	buf[l] = '\0';
	return l;
}

static int write_float_text(struct sl_resp_out *o, const char *s, size_t len)
{
	if (o->proto == 2)
		return sl_resp_write_bulk(o, s, len);
	if (append(o, ",", 1) != 0 || append(o, s, len) != 0)
		return -ENOMEM;
	return append(o, "\r\n", 2);
}

int sl_resp_write_double(struct sl_resp_out *o, double d)
{
	char buf[64];
	int n;

	if (isinf(d))
		return write_float_text(o, d > 0 ? "inf" : "-inf", d > 0 ? 3 : 4);
	/* %.17g of a double needs at most 24 characters. */
	n = snprintf(buf, sizeof(buf), "%.17g", d);
	return write_float_text(o, buf, (size_t)n);
}

int sl_resp_write_human_long_double(struct sl_resp_out *o, long double d)
{
	char buf[SL_RESP_LD_MAX];
	size_t n = sl_resp_format_human_long_double(buf, d);

	return write_float_text(o, buf, n);
}

int sl_resp_write_bignum(struct sl_resp_out *o, const char *num, size_t len)
{
	if (o->proto == 2)
		return sl_resp_write_bulk(o, num, len);
	if (append(o, "(", 1) != 0 || append(o, num, len) != 0)
		return -ENOMEM;
	return append(o, "\r\n", 2);
}

int sl_resp_write_verbatim(struct sl_resp_out *o, const char *s, size_t len, const char *ext)
{
	char tag[4];

	if (o->proto == 2)
		return sl_resp_write_bulk(o, s, len);
	for (int i = 0; i < 3; i++) {
		if (ext != NULL && *ext != '\0')
			tag[i] = *ext++;
		else
			tag[i] = ' ';
	}
	tag[3] = ':';
	if (write_prefixed(o, '=', (int64_t)(len + 4)) != 0 || append(o, tag, 4) != 0 ||
	    append(o, s, len) != 0)
		return -ENOMEM;
	return append(o, "\r\n", 2);
}
