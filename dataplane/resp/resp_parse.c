/*
 * RESP request parser (see resp.h and docs/protocol.md).
 *
 * The accepted language is Redis 7.0's (networking.c processInputBuffer):
 * - a request whose first byte is '*' is a multibulk request, anything else an
 *   inline request;
 * - an inline request is a line ended by '\n' (a '\r' before it is dropped),
 *   split like sdssplitargs() (quotes, \xHH and \n\r\t\b\a escapes);
 * - "*<n>" and "$<n>" lines end at the first '\r'; the byte after it is
 *   skipped without being looked at, and so are the two bytes after each bulk
 *   payload, exactly as Redis does; numbers follow string2ll();
 * - Redis searches lines with strchr(), so a NUL byte before the terminator
 *   hides the terminator for good: the request can then only end with the
 *   "too big" error once more than 64 KiB have arrived. We keep that.
 * Redis evaluates the "too big" limits only when a read() returns, so its
 * verdict on a line longer than 64 KiB depends on read sizes; here a line is
 * rejected as soon as its unterminated part exceeds the limit, whatever the
 * segmentation.
 *
 * The scan is a byte-driven state machine; everything it learned is kept in
 * the parser so that a new segment continues where the last one stopped.
 */
#include "dataplane/resp/resp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/common.h"

enum {
	ST_START,      /* nothing of the next request seen yet */
	ST_INLINE,     /* inside an inline line */
	ST_MBULK_LINE, /* inside "*<n>", before '\r' */
	ST_MBULK_LF,   /* after its '\r': one byte to skip */
	ST_BULK_LINE,  /* inside "$<n>", before '\r' */
	ST_BULK_LF,    /* after its '\r': one byte to skip */
	ST_BULK_BODY,  /* payload bytes */
	ST_BULK_CRLF,  /* the two bytes after a payload */
	ST_ERROR,
};

enum {
	F_NUL = 1u << 0,      /* a NUL hid the line terminator: no end now */
	F_OVERLONG = 1u << 1, /* count line has more than 20 characters */
	F_AUTH = 1u << 2,     /* connection authenticated */
	F_DONE = 1u << 3,     /* argv holds a returned request */
	F_HEAP = 1u << 4,     /* the request holds allocator memory */
};

/* string2ll() accepts at most 20 characters (LONG_STR_SIZE - 1). */
#define NUM_MAX 20

static const char *const err_texts[] = {
	[SL_RESP_ERR_NONE] = NULL,
	[SL_RESP_ERR_TOO_BIG_INLINE] = "Protocol error: too big inline request",
	[SL_RESP_ERR_UNBALANCED_QUOTES] = "Protocol error: unbalanced quotes in request",
	[SL_RESP_ERR_TOO_BIG_MBULK_COUNT] = "Protocol error: too big mbulk count string",
	[SL_RESP_ERR_INVALID_MBULK_LEN] = "Protocol error: invalid multibulk length",
	[SL_RESP_ERR_UNAUTH_MBULK_LEN] = "Protocol error: unauthenticated multibulk length",
	[SL_RESP_ERR_TOO_BIG_BULK_COUNT] = "Protocol error: too big bulk count string",
	[SL_RESP_ERR_EXPECTED_DOLLAR] = NULL, /* formatted with err_got */
	[SL_RESP_ERR_INVALID_BULK_LEN] = "Protocol error: invalid bulk length",
	[SL_RESP_ERR_UNAUTH_BULK_LEN] = "Protocol error: unauthenticated bulk length",
	[SL_RESP_ERR_QUERY_BUF_LIMIT] = NULL,
	[SL_RESP_ERR_NOMEM] = NULL,
};

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

void sl_resp_limits_default(struct sl_resp_limits *lim)
{
	lim->max_bulk_len = SL_RESP_PROTO_MAX_BULK_LEN;
	lim->max_mbulk = SL_RESP_MAX_MBULK;
	lim->max_line = SL_RESP_INLINE_MAX_SIZE;
	lim->unauth_mbulk = SL_RESP_UNAUTH_MAX_MBULK;
	lim->unauth_bulk = SL_RESP_UNAUTH_MAX_BULK;
	lim->max_query_buf = SL_RESP_QUERY_BUF_LIMIT;
	lim->big_arg = SL_RESP_MBULK_BIG_ARG;
}

void sl_resp_parser_init(struct sl_resp_parser *p, const struct sl_resp_limits *lim,
			 const struct sl_resp_alloc_ops *ops)
{
	memset(p, 0, sizeof(*p));
	p->limits = lim;
	p->ops = ops != NULL ? ops : &default_ops;
	p->argv = p->argv_inline;
	p->argv_cap = SL_RESP_ARGV_INLINE;
	p->state = ST_START;
}

static void *palloc(struct sl_resp_parser *p, size_t len)
{
	void *m = p->ops->alloc(p->ops->ctx, len);

	if (m != NULL) {
		p->mem += len;
		p->flags |= F_HEAP;
	}
	return m;
}

static void pfree(struct sl_resp_parser *p, void *m, size_t len)
{
	if (m == NULL)
		return;
	p->ops->free(p->ops->ctx, m, len);
	p->mem -= len;
}

/* Drop the arguments of the current (returned or abandoned) request. */
static void release_request(struct sl_resp_parser *p)
{
	if (!(p->flags & F_HEAP)) {
		/* The usual case: every argument pointed into input. */
		p->argc = 0;
		p->flags &= (uint8_t)~F_DONE;
		return;
	}
	for (uint32_t i = 0; i < p->argc; i++) {
		struct sl_resp_arg *a = &p->argv[i];

		if (a->flags & SL_RESP_ARG_OWNED)
			pfree(p, (void *)a->ptr, a->len);
	}
	p->argc = 0;
	if (p->bulk_buf != NULL) {
		pfree(p, p->bulk_buf, (size_t)p->bulk_len);
		p->bulk_buf = NULL;
	}
	if (p->line_buf != NULL) {
		pfree(p, p->line_buf, p->line_cap);
		p->line_buf = NULL;
		p->line_cap = 0;
	}
	if (p->argv != p->argv_inline) {
		pfree(p, p->argv, p->argv_cap * sizeof(*p->argv));
		p->argv = p->argv_inline;
		p->argv_cap = SL_RESP_ARGV_INLINE;
	}
	p->flags &= (uint8_t) ~(F_DONE | F_HEAP);
}

void sl_resp_parser_deinit(struct sl_resp_parser *p)
{
	release_request(p);
	p->state = ST_ERROR;
}

void sl_resp_parser_set_auth(struct sl_resp_parser *p, bool authenticated)
{
	if (authenticated)
		p->flags |= F_AUTH;
	else
		p->flags &= (uint8_t)~F_AUTH;
}

const char *sl_resp_parser_error(const struct sl_resp_parser *p)
{
	if (p->state != ST_ERROR || p->err == SL_RESP_ERR_NONE)
		return NULL;
	if (p->err == SL_RESP_ERR_EXPECTED_DOLLAR) {
		/* Formatted here rather than kept in every parser (an idle connection
		 * would carry 40 bytes for an error it almost never has). */
		static _Thread_local char text[40];

		snprintf(text, sizeof(text), "Protocol error: expected '$', got '%c'", p->err_got);
		return text;
	}
	return err_texts[p->err];
}

enum sl_resp_err sl_resp_parser_errcode(const struct sl_resp_parser *p)
{
	return p->state == ST_ERROR ? p->err : SL_RESP_ERR_NONE;
}

uint64_t sl_resp_parser_buffered(const struct sl_resp_parser *p)
{
	return p->req_bytes;
}

uint64_t sl_resp_parser_mem(const struct sl_resp_parser *p)
{
	return p->mem;
}

static enum sl_resp_status fail(struct sl_resp_parser *p, enum sl_resp_err err)
{
	p->err = err;
	p->state = ST_ERROR;
	return SL_RESP_ERROR;
}

/*
 * client-query-buffer-limit, as Redis 7.0 applies it, decided on the length a
 * bulk argument declares: "$<len>" with len + 2 (the payload and its CRLF)
 * over the limit closes the connection without a reply (0 = no limit).
 *
 * Why this is Redis's verdict. Redis (readQueryFromClient) compares the
 * length of its query buffer with the limit after each read, before parsing
 * it. That buffer never holds a whole request: every complete argument has
 * already moved out into argv and the parsed bytes are trimmed away. What it
 * can hold is
 * - the unfinished part of one argument: for an argument of 32 KiB or more
 *   (PROTO_MBULK_BIG_ARG) a buffer of exactly len + 2 bytes, and reads sized
 *   so as not to pass it, so the buffer reaches len + 2 when the argument is
 *   complete; a smaller argument stays under 32 KiB + 2;
 * - one unfinished line: an inline request, a "*<n>" or a "$<n>" line,
 *   rejected by their own limit at 64 KiB ("too big inline request", "too big
 *   mbulk/bulk count string");
 * - the rest of one read (16 KiB, PROTO_IOBUF_LEN).
 * CONFIG SET refuses a limit under 1 MiB, as Redis does, so lines, small
 * arguments and read sizes together never reach it: only one big argument does, and it does exactly
 * when len + 2 > limit, once enough of it has arrived. The declared length says so before the
 * payload does, and it does not depend on how the stream is segmented, so
 * the verdict is taken at the "$<len>" line (and before a buffer of that
 * size is allocated). The only client Redis treats differently is one that
 * declares such an argument and never sends it: Redis waits, sluice closes.
 * Redis also lets its buffer grow with pipelined requests while it does not
 * parse them (blocked or paused client); sluice stops reading such a
 * connection instead, so its bytes wait in the TCP window.
 *
 * With a smaller limit (set in the struct directly: the unit tests, the
 * admin socket's 64 KiB) lines are still bounded by max_line alone: the rule
 * is about declared bulk lengths only. A request's total size is not bounded
 * by this limit (Redis serves an MSET of two 600 kB values under a 1 MB
 * limit); what bounds it is proto-max-bulk-len per argument, the multibulk
 * count limit, and maxmemory-clients, for which the dataplane counts the
 * input segments an unfinished request holds (server.c conn_mem).
 */
static bool over_query_buf(const struct sl_resp_limits *lim, int64_t ll)
{
	return lim->max_query_buf != 0 && (uint64_t)ll + 2 > lim->max_query_buf;
}

static int push_arg(struct sl_resp_parser *p, const char *ptr, size_t len, uint32_t flags)
{
	if (p->argc == p->argv_cap) {
		uint32_t cap = p->argv_cap * 2;
		struct sl_resp_arg *v;

		if (p->argv_cap > UINT32_MAX / 2)
			return -ENOMEM;
		v = palloc(p, (size_t)cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		memcpy(v, p->argv, p->argc * sizeof(*v));
		if (p->argv != p->argv_inline)
			pfree(p, p->argv, p->argv_cap * sizeof(*v));
		p->argv = v;
		p->argv_cap = cap;
	}
	p->argv[p->argc++] = (struct sl_resp_arg){.ptr = ptr, .len = len, .flags = flags};
	return 0;
}

/* Redis string2ll(): optional '-', no leading zeros, no '+', no spaces. */
static bool parse_ll(const char *s, size_t slen, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	uint64_t v;

	if (slen == 0 || slen > NUM_MAX)
		return false;
	if (slen == 1 && s[0] == '0') {
		*out = 0;
		return true;
	}
	if (s[0] == '-') {
		neg = true;
		if (++i == slen)
			return false;
	}
	if (s[i] < '1' || s[i] > '9')
		return false;
	v = (uint64_t)(s[i++] - '0');
	for (; i < slen; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned)(s[i] - '0');
		if (v > UINT64_MAX / 10 || v * 10 > UINT64_MAX - d)
			return false;
		v = v * 10 + d;
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return false;
		*out = (int64_t)(0 - v);
	} else {
		if (v > (uint64_t)INT64_MAX)
			return false;
		*out = (int64_t)v;
	}
	return true;
}

/* isspace() in the C locale, as sdssplitargs() uses it. */
static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hex_val(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

static int line_reserve(struct sl_resp_parser *p, size_t need)
{
	uint32_t cap;
	char *b;

	if (need <= p->line_cap)
		return 0;
	cap = p->line_cap ? p->line_cap : 128;
	while (cap < need)
		cap *= 2;
	b = palloc(p, cap);
	if (b == NULL)
		return -ENOMEM;
	if (p->line_len > 0 && p->line_buf != NULL)
		memcpy(b, p->line_buf, p->line_len);
	pfree(p, p->line_buf, p->line_cap);
	p->line_buf = b;
	p->line_cap = cap;
	return 0;
}

/*
 * Split an inline line without quote characters: tokens end at ' ', '\t',
 * '\r', '\n' (sdssplitargs's terminators) and leading blanks are isspace().
 */
static int split_plain(struct sl_resp_parser *p, const char *line, size_t n)
{
	size_t i = 0;

	for (;;) {
		size_t start;

		while (i < n && is_space((unsigned char)line[i]))
			i++;
		if (i == n)
			return 0;
		start = i;
		while (i < n && line[i] != ' ' && line[i] != '\t' && line[i] != '\r' &&
		       line[i] != '\n')
			i++;
		if (push_arg(p, line + start, i - start, 0) != 0)
			return -ENOMEM;
	}
}

/*
 * sdssplitargs() with quotes, unescaping in place in line (writable, ours):
 * the write index never passes the read index. The end of the line plays the
 * part of sdssplitargs's terminating NUL. Returns 0, -EINVAL (unbalanced
 * quotes) or -ENOMEM.
 */
static int split_quoted(struct sl_resp_parser *p, char *line, size_t n)
{
	size_t i = 0, w = 0;
#define AT(k) ((k) < n ? (unsigned char)line[k] : 0)

	for (;;) {
		bool inq = false, insq = false, done = false;
		size_t start;

		while (i < n && is_space(AT(i)))
			i++;
		if (i == n)
			return 0;
		start = w;
		while (!done) {
			int c = AT(i);

			if (inq) {
				if (c == '\\' && AT(i + 1) == 'x' && is_hex(AT(i + 2)) &&
				    is_hex(AT(i + 3))) {
					line[w++] = (char)(hex_val(AT(i + 2)) * 16 +
							   hex_val(AT(i + 3)));
					i += 3;
				} else if (c == '\\' && AT(i + 1) != 0) {
					int e;

					i++;
					switch (AT(i)) {
					case 'n':
						e = '\n';
						break;
					case 'r':
						e = '\r';
						break;
					case 't':
						e = '\t';
						break;
					case 'b':
						e = '\b';
						break;
					case 'a':
						e = '\a';
						break;
					default:
						e = AT(i);
						break;
					}
					line[w++] = (char)e;
				} else if (c == '"') {
					/* closing quote: followed by a blank or the end */
					if (AT(i + 1) != 0 && !is_space(AT(i + 1)))
						return -EINVAL;
					done = true;
				} else if (c == 0) {
					return -EINVAL;
				} else {
					line[w++] = (char)c;
				}
			} else if (insq) {
				if (c == '\\' && AT(i + 1) == '\'') {
					i++;
					line[w++] = '\'';
				} else if (c == '\'') {
					if (AT(i + 1) != 0 && !is_space(AT(i + 1)))
						return -EINVAL;
					done = true;
				} else if (c == 0) {
					return -EINVAL;
				} else {
					line[w++] = (char)c;
				}
			} else {
				switch (c) {
				case ' ':
				case '\n':
				case '\r':
				case '\t':
				case 0:
					done = true;
					break;
				case '"':
					inq = true;
					break;
				case '\'':
					insq = true;
					break;
				default:
					line[w++] = (char)c;
					break;
				}
			}
			if (AT(i) != 0)
				i++;
		}
		if (push_arg(p, line + start, w - start, 0) != 0)
			return -ENOMEM;
	}
#undef AT
}

/*
 * A complete inline line (without its '\n'): strip a final '\r' and split it.
 * line points into input (not writable) unless in_buf.
 */
static enum sl_resp_status finish_inline(struct sl_resp_parser *p, const char *line, size_t n,
					 bool in_buf)
{
	int rc;

	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (memchr(line, '"', n) == NULL && memchr(line, '\'', n) == NULL) {
		rc = split_plain(p, line, n);
	} else {
		if (!in_buf) {
			p->line_len = 0;
			if (line_reserve(p, n) != 0)
				return fail(p, SL_RESP_ERR_NOMEM);
			memcpy(p->line_buf, line, n);
		}
		rc = split_quoted(p, p->line_buf, n);
	}
	if (rc == -EINVAL)
		return fail(p, SL_RESP_ERR_UNBALANCED_QUOTES);
	if (rc != 0)
		return fail(p, SL_RESP_ERR_NOMEM);
	return SL_RESP_OK;
}

/*
 * Inline state: consume from buf[*pos..len). Returns SL_RESP_OK when a line
 * ended (argv filled, possibly empty), AGAIN when input ran out, ERROR.
 */
static enum sl_resp_status scan_inline(struct sl_resp_parser *p, const char *buf, size_t len,
				       size_t *pos)
{
	const char *s = buf + *pos;
	size_t avail = len - *pos;
	size_t max = p->limits->max_line;

	if (!(p->flags & F_NUL)) {
		/* A '\n' at index k keeps the line within the limit iff
		 * line_len + k <= max. */
		size_t room = max >= p->line_len ? max - p->line_len + 1 : 0;
		size_t scan = SL_MIN(avail, room);
		const char *nl = memchr(s, '\n', scan);
		size_t upto = nl != NULL ? (size_t)(nl - s) : scan;

		if (memchr(s, '\0', upto) != NULL) {
			p->flags |= F_NUL;
		} else if (nl != NULL) {
			enum sl_resp_status st;

			*pos += upto + 1;
			if (p->line_len == 0) {
				st = finish_inline(p, s, upto, false);
			} else {
				if (line_reserve(p, (size_t)p->line_len + upto) != 0)
					return fail(p, SL_RESP_ERR_NOMEM);
				memcpy(p->line_buf + p->line_len, s, upto);
				st = finish_inline(p, p->line_buf, p->line_len + upto, true);
			}
			p->line_len = 0;
			return st;
		} else if (p->line_len + upto > max) {
			*pos += upto;
			return fail(p, SL_RESP_ERR_TOO_BIG_INLINE);
		} else {
			/* Keep the partial line: it crosses into the next segment. */
			if (line_reserve(p, (size_t)p->line_len + upto) != 0)
				return fail(p, SL_RESP_ERR_NOMEM);
			memcpy(p->line_buf + p->line_len, s, upto);
			p->line_len += (uint32_t)upto;
			*pos += upto;
			return SL_RESP_AGAIN;
		}
	}
	/* Stalled on a NUL: only count bytes until the limit trips. */
	{
		size_t room = max >= p->line_len ? max - p->line_len + 1 : 0;
		size_t take = SL_MIN(avail, room);

		p->line_len += (uint32_t)take;
		*pos += take;
		if (p->line_len > max)
			return fail(p, SL_RESP_ERR_TOO_BIG_INLINE);
		return SL_RESP_AGAIN;
	}
}

/*
 * "*<n>" / "$<n>" line bytes up to '\r'. Returns true when the '\r' was
 * consumed; false when input ran out or the line got too long (state set to
 * ERROR with the given code).
 */
static bool scan_count_line(struct sl_resp_parser *p, const char *buf, size_t len, size_t *pos,
			    enum sl_resp_err too_big)
{
	size_t max = p->limits->max_line;
	size_t i = *pos;

	while (i < len) {
		char c = buf[i];

		if (!(p->flags & F_NUL)) {
			if (c == '\r') {
				*pos = i + 1;
				return true;
			}
			if (c == '\0')
				p->flags |= F_NUL;
		}
		i++;
		p->line_len++;
		if (p->line_len > max) {
			*pos = i;
			fail(p, too_big);
			return false;
		}
		if (p->flags & F_NUL)
			continue;
		if (p->line_len == 1) {
			p->line_first = c;
		} else if (p->num_len < NUM_MAX) {
			p->num[p->num_len++] = c;
		} else {
			p->flags |= F_OVERLONG;
		}
	}
	*pos = i;
	return false;
}

static void start_line(struct sl_resp_parser *p)
{
	p->line_len = 0;
	p->num_len = 0;
	/* An empty "$" line ends at once: Redis then reports the '\r'. */
	p->line_first = '\r';
	p->flags &= (uint8_t) ~(F_NUL | F_OVERLONG);
}

/* The byte after "*<n>\r" arrived: judge the count. */
static enum sl_resp_status judge_mbulk(struct sl_resp_parser *p, bool ok, int64_t ll)
{
	if (!ok || ll > p->limits->max_mbulk)
		return fail(p, SL_RESP_ERR_INVALID_MBULK_LEN);
	if (ll > (int64_t)p->limits->unauth_mbulk && !(p->flags & F_AUTH))
		return fail(p, SL_RESP_ERR_UNAUTH_MBULK_LEN);
	if (ll <= 0) {
		/* "*0" and negative counts: an empty query, ignored. */
		p->state = ST_START;
		return SL_RESP_OK;
	}
	p->mbulk_left = ll;
	start_line(p);
	p->state = ST_BULK_LINE;
	return SL_RESP_AGAIN;
}

/* The byte after "*<n>\r" arrived: judge the count. */
static enum sl_resp_status end_mbulk_line(struct sl_resp_parser *p)
{
	int64_t ll = 0;
	bool ok = !(p->flags & F_OVERLONG) && parse_ll(p->num, p->num_len, &ll);

	return judge_mbulk(p, ok, ll);
}

static enum sl_resp_status judge_bulk(struct sl_resp_parser *p, bool ok, int64_t ll, size_t avail)
{
	if (!ok || ll < 0 || ll > p->limits->max_bulk_len)
		return fail(p, SL_RESP_ERR_INVALID_BULK_LEN);
	if (ll > (int64_t)p->limits->unauth_bulk && !(p->flags & F_AUTH))
		return fail(p, SL_RESP_ERR_UNAUTH_BULK_LEN);
	if (over_query_buf(p->limits, ll))
		return fail(p, SL_RESP_ERR_QUERY_BUF_LIMIT);
	p->bulk_len = ll;
	p->bulk_have = 0;
	p->state = ST_BULK_BODY;
	/* A big payload that will not fit in this segment: get its buffer now
	 * so that the transport can fill it directly (bulk_dest). */
	if ((uint64_t)ll > avail && ll >= p->limits->big_arg) {
		p->bulk_buf = palloc(p, (size_t)ll);
		if (p->bulk_buf == NULL)
			return fail(p, SL_RESP_ERR_NOMEM);
	}
	return SL_RESP_AGAIN;
}

/* The byte after "$<n>\r" arrived: judge the length. */
static enum sl_resp_status end_bulk_line(struct sl_resp_parser *p, size_t avail)
{
	int64_t ll = 0;
	bool ok;

	if (p->line_first != '$') {
		/* addReplyErrorFormat maps CR and LF to spaces. */
		char c = p->line_first;

		if (c == '\r' || c == '\n')
			c = ' ';
		p->err_got = c;
		return fail(p, SL_RESP_ERR_EXPECTED_DOLLAR);
	}
	ok = !(p->flags & F_OVERLONG) && parse_ll(p->num, p->num_len, &ll);
	return judge_bulk(p, ok, ll, avail);
}

/*
 * Fast path for the usual whole count line in one segment: <prefix>, 1 to 18
 * digits without a leading zero (or "0" alone), '\r' and the byte after it.
 * string2ll accepts exactly these, so the verdict is the general path's; any
 * other shape (sign, NUL, long or split line) takes the general path.
 */
static inline __attribute__((always_inline)) bool
fast_count(const char *s, size_t avail, char prefix, uint32_t max_line, int64_t *ll, size_t *used)
{
	const char *q, *stop;
	uint64_t v, d;
	size_t i;

	if (avail < 4 || s[0] != prefix)
		return false;
	/* one unsigned compare per digit: bytes below '0' wrap to large values */
	v = (uint64_t)(unsigned char)s[1] - '0';
	if (v > 9)
		return false;
	/* one and two digits, the usual lengths, without the loop */
	if (s[2] == '\r' && max_line >= 2) {
		*ll = (int64_t)v;
		*used = 4;
		return true;
	}
	d = (uint64_t)(unsigned char)s[2] - '0';
	if (avail >= 5 && v != 0 && d <= 9 && s[3] == '\r' && max_line >= 3) {
		*ll = (int64_t)(v * 10 + d);
		*used = 5;
		return true;
	}
	q = s + 2;
	if (v != 0) {
		stop = s + SL_MIN(avail, (size_t)19);
		while (q < stop && (d = (uint64_t)(unsigned char)*q - '0') <= 9) {
			v = v * 10 + d;
			q++;
		}
	}
	i = (size_t)(q - s);
	if (i + 1 >= avail || *q != '\r' || i > max_line)
		return false;
	*ll = (int64_t)v;
	*used = i + 2;
	return true;
}

/*
 * Whole-request fast path. A multibulk request of at most argv_cap arguments
 * that lies entirely in this segment, every count line in fast_count's shape
 * and every limit respected, is parsed here in one pass: no per-byte state,
 * no per-argument state transitions, arguments written straight into argv.
 * Anything else (a request split across segments, more arguments, a count
 * the limits reject, any other line shape) returns false having changed
 * nothing observable (argc stays 0), and the state machine parses the same
 * bytes from their first
 * one, so the outcome never depends on which path ran. Like the general
 * path, the byte after each '\r' and the two bytes after each payload are
 * skipped without being looked at.
 */
static inline __attribute__((always_inline)) bool
fast_request(struct sl_resp_parser *p, const char *buf, size_t len, size_t *used)
{
	const struct sl_resp_limits *lim = p->limits;
	uint32_t max_line = lim->max_line;
	bool auth = (p->flags & F_AUTH) != 0;
	size_t pos, u;
	int64_t n, ll, max_ll;
	uint32_t i;

	if (!fast_count(buf, len, '*', max_line, &n, &u) || n <= 0 || n > (int64_t)p->argv_cap ||
	    n > lim->max_mbulk || (!auth && n > (int64_t)lim->unauth_mbulk))
		return false;
	/* The three length limits folded into one bound, kept in a register
	 * (the stores to argv may alias the limits): which of them a length
	 * breaks only matters for the error, and the state machine reports it. */
	max_ll = lim->max_bulk_len;
	if (!auth && (int64_t)lim->unauth_bulk < max_ll)
		max_ll = (int64_t)lim->unauth_bulk;
	if (lim->max_query_buf != 0) {
		uint64_t q = lim->max_query_buf;
		int64_t qmax = q < 2                         ? -1
			       : q - 2 > (uint64_t)INT64_MAX ? INT64_MAX
							     : (int64_t)(q - 2);

		if (qmax < max_ll)
			max_ll = qmax;
	}
	pos = u;
	for (i = 0; i < (uint32_t)n; i++) {
		if (!fast_count(buf + pos, len - pos, '$', max_line, &ll, &u) || ll > max_ll)
			return false;
		pos += u;
		/* payload and the two bytes after it */
		if ((uint64_t)ll + 2 > len - pos)
			return false;
		p->argv[i].ptr = buf + pos;
		p->argv[i].len = (size_t)ll;
		p->argv[i].flags = 0;
		pos += (size_t)ll + 2;
	}
	p->argc = (uint32_t)n;
	*used = pos;
	return true;
}

static enum sl_resp_status bulk_done(struct sl_resp_parser *p, const char *ptr, bool owned)
{
	int rc;

	if (owned) {
		rc = push_arg(p, ptr, (size_t)p->bulk_len, SL_RESP_ARG_OWNED);
		if (rc != 0)
			return fail(p, SL_RESP_ERR_NOMEM);
		p->bulk_buf = NULL;
	} else if (push_arg(p, ptr, (size_t)p->bulk_len, 0) != 0) {
		return fail(p, SL_RESP_ERR_NOMEM);
	}
	p->crlf_left = 2;
	p->state = ST_BULK_CRLF;
	return SL_RESP_AGAIN;
}

char *sl_resp_parser_bulk_dest(struct sl_resp_parser *p, size_t *need)
{
	if (p->state != ST_BULK_BODY || p->bulk_buf == NULL) {
		*need = 0;
		return NULL;
	}
	*need = (size_t)(p->bulk_len - p->bulk_have);
	return p->bulk_buf + p->bulk_have;
}

void sl_resp_parser_bulk_commit(struct sl_resp_parser *p, size_t n)
{
	if (p->state != ST_BULK_BODY || p->bulk_buf == NULL)
		return;
	n = SL_MIN(n, (size_t)(p->bulk_len - p->bulk_have));
	p->bulk_have += (int64_t)n;
	p->req_bytes += n;
	if (p->bulk_have == p->bulk_len)
		bulk_done(p, p->bulk_buf, true);
	/* bulk_done fails only for want of memory: the next sl_resp_parse
	 * reports it. */
}

char *sl_resp_parser_take_arg(struct sl_resp_parser *p, uint32_t i)
{
	struct sl_resp_arg *a;

	if (!(p->flags & F_DONE) || i >= p->argc)
		return NULL;
	a = &p->argv[i];
	if (!(a->flags & SL_RESP_ARG_OWNED))
		return NULL;
	a->flags &= ~SL_RESP_ARG_OWNED;
	p->mem -= a->len;
	return (char *)a->ptr;
}

/* Payload bytes. */
static void scan_body(struct sl_resp_parser *p, const char *buf, size_t len, size_t *pos)
{
	size_t avail = len - *pos;
	size_t want = (size_t)(p->bulk_len - p->bulk_have);

	if (p->bulk_buf == NULL) {
		if (avail >= want) {
			/* Contiguous in this segment: hand out a pointer. */
			bulk_done(p, buf + *pos, false);
			*pos += want;
			return;
		}
		p->bulk_buf = palloc(p, (size_t)p->bulk_len);
		if (p->bulk_buf == NULL) {
			fail(p, SL_RESP_ERR_NOMEM);
			return;
		}
	}
	avail = SL_MIN(avail, want);
	memcpy(p->bulk_buf + p->bulk_have, buf + *pos, avail);
	p->bulk_have += (int64_t)avail;
	*pos += avail;
	if (p->bulk_have == p->bulk_len)
		bulk_done(p, p->bulk_buf, true);
}

/* The byte-driven state machine: everything fast_request does not take. */
static __attribute__((noinline)) enum sl_resp_status
parse_general(struct sl_resp_parser *p, const char *buf, size_t len, size_t *consumed)
{
	size_t pos = 0, used;
	enum sl_resp_status st;
	int64_t ll;

	if (p->state == ST_ERROR) {
		*consumed = 0;
		return SL_RESP_ERROR;
	}

	while (pos < len) {
		size_t before = pos;

		switch (p->state) {
		case ST_START:
			p->req_bytes = 0;
			start_line(p);
			if (fast_count(buf + pos, len - pos, '*', p->limits->max_line, &ll,
				       &used)) {
				pos += used;
				if (judge_mbulk(p, true, ll) == SL_RESP_ERROR) {
					p->req_bytes += pos - before;
					goto out_error;
				}
				break;
			}
			if (buf[pos] == '*') {
				p->line_len = 1;
				p->state = ST_MBULK_LINE;
				pos++;
			} else {
				p->state = ST_INLINE;
			}
			break;
		case ST_INLINE:
			st = scan_inline(p, buf, len, &pos);
			p->req_bytes += pos - before;
			if (st == SL_RESP_ERROR)
				goto out_error;
			if (st == SL_RESP_OK) {
				p->state = ST_START;
				if (p->argc > 0)
					goto out_ok;
				release_request(p); /* empty query */
			}
			continue;
		case ST_MBULK_LINE:
			if (!scan_count_line(p, buf, len, &pos, SL_RESP_ERR_TOO_BIG_MBULK_COUNT))
				break;
			p->state = ST_MBULK_LF;
			if (pos == len)
				break;
			/* The usual case: the whole line is here, go on at once. */
			__attribute__((fallthrough));
		case ST_MBULK_LF:
			pos++;
			p->req_bytes += pos - before;
			before = pos;
			st = end_mbulk_line(p);
			if (st == SL_RESP_ERROR)
				goto out_error;
			break;
		case ST_BULK_LINE:
			if (p->line_len == 0 && fast_count(buf + pos, len - pos, '$',
							   p->limits->max_line, &ll, &used)) {
				pos += used;
				p->req_bytes += pos - before;
				before = pos;
				if (judge_bulk(p, true, ll, len - pos) == SL_RESP_ERROR)
					goto out_error;
				if (pos == len)
					break;
				goto body;
			}
			if (!scan_count_line(p, buf, len, &pos, SL_RESP_ERR_TOO_BIG_BULK_COUNT))
				break;
			p->state = ST_BULK_LF;
			if (pos == len)
				break;
			__attribute__((fallthrough));
		case ST_BULK_LF:
			pos++;
			p->req_bytes += pos - before;
			before = pos;
			st = end_bulk_line(p, len - pos);
			if (st == SL_RESP_ERROR)
				goto out_error;
			if (pos == len)
				break;
			__attribute__((fallthrough));
		case ST_BULK_BODY:
		body:
			scan_body(p, buf, len, &pos);
			if (p->state != ST_BULK_CRLF || pos == len)
				break;
			__attribute__((fallthrough));
		case ST_BULK_CRLF: {
			uint32_t skip = (uint32_t)SL_MIN((size_t)p->crlf_left, len - pos);

			/* Redis skips these two bytes without checking them. */
			pos += skip;
			p->crlf_left -= skip;
			if (p->crlf_left == 0) {
				start_line(p);
				p->state = ST_BULK_LINE;
				if (--p->mbulk_left == 0) {
					p->req_bytes += pos - before;
					p->state = ST_START;
					goto out_ok;
				}
			}
			break;
		}
		default:
			break;
		}
		p->req_bytes += pos - before;
		if (p->state == ST_ERROR)
			goto out_error;
	}
	*consumed = pos;
	if (p->state == ST_START)
		p->req_bytes = 0;
	return SL_RESP_AGAIN;

out_ok:
	p->flags |= F_DONE;
	*consumed = pos;
	return SL_RESP_OK;
out_error:
	*consumed = pos;
	return SL_RESP_ERROR;
}

enum sl_resp_status sl_resp_parse(struct sl_resp_parser *p, const char *buf, size_t len,
				  size_t *consumed)
{
	size_t used;

	if (p->flags & F_DONE)
		release_request(p);
	if (sl_likely(p->state == ST_START)) {
		if (fast_request(p, buf, len, &used)) {
			p->req_bytes = used;
			p->flags |= F_DONE;
			*consumed = used;
			return SL_RESP_OK;
		}
		if (len == 0) {
			/* the call after the last whole request of a segment */
			p->req_bytes = 0;
			*consumed = 0;
			return SL_RESP_AGAIN;
		}
	}
	return parse_general(p, buf, len, consumed);
}
