/*
 * RESP protocol layer: a resumable, in-place request parser and a reply
 * writer for RESP2 and RESP3.
 *
 * Design (details and the full list of limits/error texts: docs/protocol.md):
 * - The parser follows Redis 7.0's processInlineBuffer/processMultibulkBuffer
 *   byte for byte (same accepted language, same limits, same error texts) but
 *   never owns a query buffer. The caller feeds input segments (mbuf payloads,
 *   read() buffers) in order; each argument that lies inside one segment is
 *   handed out as a pointer into that segment. Only an argument that crosses a
 *   segment boundary is assembled, into one contiguous buffer obtained from the
 *   caller's allocator (sl_resp_alloc_ops), and the caller may even fill that
 *   buffer itself (sl_resp_parser_bulk_dest/commit) or adopt it
 *   (sl_resp_parser_take_arg) so a big value is never copied twice.
 * - All scanning state (line length so far, digits of a count line, bytes of a
 *   bulk still expected) lives in struct sl_resp_parser, so bytes consumed by
 *   one call are never scanned again by a later one; the outcome for a byte
 *   stream does not depend on where it is split.
 * - The writer appends to a chain of output chunks; values of at least
 *   ref_min bytes are appended by reference (pointer, length, release hook) and
 *   still counted in the connection's output memory.
 *
 * Neither part needs DPDK or an EAL: plain C buffers in, iovecs out.
 * Context: a parser or writer belongs to one connection and is used by the one
 * lcore/thread that owns that connection; no locking, no RCU.
 */
#ifndef SL_RESP_H
#define SL_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Redis defaults (server.h / config.c of Redis 7.0). */
#define SL_RESP_PROTO_MAX_BULK_LEN (512LL * 1024 * 1024) /* proto-max-bulk-len */
#define SL_RESP_INLINE_MAX_SIZE    (64 * 1024)           /* PROTO_INLINE_MAX_SIZE */
#define SL_RESP_MAX_MBULK          2147483647LL          /* INT_MAX */
#define SL_RESP_UNAUTH_MAX_MBULK   10
#define SL_RESP_UNAUTH_MAX_BULK    16384
#define SL_RESP_QUERY_BUF_LIMIT    (1024LL * 1024 * 1024) /* client-query-buffer-limit */

/* Payloads from this size on get their buffer as soon as their length is
 * known (Redis PROTO_MBULK_BIG_ARG), so a transport can fill it directly. */
#define SL_RESP_MBULK_BIG_ARG (32 * 1024)

/* Arguments kept inside the parser before its argv has to grow. */
#define SL_RESP_ARGV_INLINE 6

/* Memory hooks: the worker passes its own arena; NULL ops mean malloc/free. */
typedef void *sl_resp_alloc_fn(void *ctx, size_t len);
typedef void sl_resp_free_fn(void *ctx, void *ptr, size_t len);

struct sl_resp_alloc_ops {
	sl_resp_alloc_fn *alloc;
	sl_resp_free_fn *free;
	void *ctx;
};

/* ------------------------------------------------------------------------ */
/* Parser                                                                   */
/* ------------------------------------------------------------------------ */

enum sl_resp_status {
	SL_RESP_OK,    /* a request is complete: argc/argv are valid */
	SL_RESP_AGAIN, /* all input consumed, request incomplete */
	SL_RESP_ERROR, /* protocol error: reply the error text, then close */
};

enum sl_resp_err {
	SL_RESP_ERR_NONE,
	SL_RESP_ERR_TOO_BIG_INLINE,
	SL_RESP_ERR_UNBALANCED_QUOTES,
	SL_RESP_ERR_TOO_BIG_MBULK_COUNT,
	SL_RESP_ERR_INVALID_MBULK_LEN,
	SL_RESP_ERR_UNAUTH_MBULK_LEN,
	SL_RESP_ERR_TOO_BIG_BULK_COUNT,
	SL_RESP_ERR_EXPECTED_DOLLAR,
	SL_RESP_ERR_INVALID_BULK_LEN,
	SL_RESP_ERR_UNAUTH_BULK_LEN,
	SL_RESP_ERR_QUERY_BUF_LIMIT, /* close without a reply, as Redis does */
	SL_RESP_ERR_NOMEM,           /* close without a reply */
};

/*
 * Limits; sl_resp_limits_default() fills in Redis's defaults. max_query_buf
 * bounds one bulk argument, "$<len>" with len + 2 over it fails with
 * SL_RESP_ERR_QUERY_BUF_LIMIT; it does not bound a whole request
 * (resp_parse.c over_query_buf says why that is Redis's verdict).
 */
struct sl_resp_limits {
	int64_t max_bulk_len;   /* proto-max-bulk-len */
	int64_t max_mbulk;      /* largest multibulk count (INT_MAX in Redis) */
	uint32_t max_line;      /* inline request / count line limit (64 KiB) */
	uint32_t unauth_mbulk;  /* count limit before AUTH (10) */
	uint32_t unauth_bulk;   /* bulk limit before AUTH (16384) */
	uint64_t max_query_buf; /* client-query-buffer-limit, 0 = none */
	int64_t big_arg;        /* SL_RESP_MBULK_BIG_ARG */
};

/* A bulk argument that crossed a segment boundary, assembled in its own
 * buffer from the allocator (sl_resp_parser_take_arg can adopt it). Without
 * the flag the argument points into input, or into the parser's inline line
 * buffer (inline lines that crossed segments or needed unquoting). */
#define SL_RESP_ARG_OWNED 1u

struct sl_resp_arg {
	const char *ptr;
	size_t len;
	uint32_t flags; /* SL_RESP_ARG_*; an owned buffer is exactly len bytes */
};

/*
 * Per-connection parser state. Embed it in the connection; read argc and argv
 * after SL_RESP_OK. Every other field is private.
 */
struct sl_resp_parser {
	/* Result of the last SL_RESP_OK, valid until the next sl_resp_parse. */
	uint32_t argc;

	/* private (ordered so that the struct has no padding holes) */
	uint32_t argv_cap;

	struct sl_resp_arg *argv; /* public, with argc */

	uint8_t state;
	uint8_t flags;
	uint8_t num_len;
	char line_first;
	uint32_t line_len;
	char num[20];
	uint32_t crlf_left;
	int64_t mbulk_left;
	int64_t bulk_len;
	int64_t bulk_have;
	uint8_t err;  /* enum sl_resp_err */
	char err_got; /* "Protocol error: expected '$', got '<err_got>'" */
	uint32_t line_cap;
	char *bulk_buf;
	char *line_buf;
	uint64_t req_bytes;
	uint64_t mem;
	const struct sl_resp_limits *limits;
	const struct sl_resp_alloc_ops *ops;
	struct sl_resp_arg argv_inline[SL_RESP_ARGV_INLINE];
};

/* Fill *lim with Redis 7.0's defaults. */
void sl_resp_limits_default(struct sl_resp_limits *lim);

/*
 * Prepare a parser. lim: borrowed, must outlive the parser (it may be shared
 * by all connections of a worker and changed between calls, e.g. CONFIG SET).
 * ops: borrowed, must outlive the parser (a worker passes one for all its
 * connections); NULL means malloc/free. The parser starts unauthenticated
 * (Redis's tighter limits apply) unless sl_resp_parser_set_auth() says
 * otherwise.
 */
void sl_resp_parser_init(struct sl_resp_parser *p, const struct sl_resp_limits *lim,
			 const struct sl_resp_alloc_ops *ops);

/* Release everything the parser holds (owned arguments, line buffer). The
 * parser must be initialised again before it is used again. */
void sl_resp_parser_deinit(struct sl_resp_parser *p);

/* Whether the connection is authenticated (Redis: !authRequired(c)). */
void sl_resp_parser_set_auth(struct sl_resp_parser *p, bool authenticated);

/*
 * Parse the next request from buf[0..len).
 *
 * buf: borrowed. Every segment passed since the current request began must
 * stay valid and unchanged until the call after the one that returned
 * SL_RESP_OK for it (arguments may point into any of them). The call first
 * releases the previous request's argv.
 *
 * Returns SL_RESP_OK with *consumed = bytes up to the end of the request
 * (call again with buf + *consumed for pipelined requests); SL_RESP_AGAIN with
 * *consumed == len (everything is recorded, feed the next segment); or
 * SL_RESP_ERROR (sticky) with sl_resp_parser_error() giving the reply text.
 * Empty queries (blank inline lines, "*0", "*-1") are skipped, never returned.
 */
enum sl_resp_status sl_resp_parse(struct sl_resp_parser *p, const char *buf, size_t len,
				  size_t *consumed);

/*
 * Error text to reply as "-ERR <text>\r\n" before closing, e.g.
 * "Protocol error: invalid bulk length"; NULL when there is no error or the
 * connection must be closed without a reply (query buffer limit, no memory).
 * The text may be formatted into a per-thread buffer: it stays valid until
 * the next sl_resp_parser_error call on the same thread.
 */
const char *sl_resp_parser_error(const struct sl_resp_parser *p);

/* The error code of a parser in the error state, SL_RESP_ERR_NONE otherwise. */
enum sl_resp_err sl_resp_parser_errcode(const struct sl_resp_parser *p);

/*
 * Bytes of input consumed for the request in progress (0 between requests:
 * then no argument points into input; CLIENT LIST qbuf), and heap bytes the
 * parser holds. Neither is compared with client-query-buffer-limit, which
 * applies to each bulk argument's declared length.
 */
uint64_t sl_resp_parser_buffered(const struct sl_resp_parser *p);
uint64_t sl_resp_parser_mem(const struct sl_resp_parser *p);

/*
 * Big bulk arguments that cross segments: while the parser is assembling one,
 * this returns the place where the next bytes of it go and *need = how many
 * are still missing (NULL / 0 otherwise). A transport may read() straight
 * into it and report the count with sl_resp_parser_bulk_commit(), skipping the
 * extra copy; or simply keep feeding segments to sl_resp_parse().
 */
char *sl_resp_parser_bulk_dest(struct sl_resp_parser *p, size_t *need);
void sl_resp_parser_bulk_commit(struct sl_resp_parser *p, size_t n);

/*
 * After SL_RESP_OK: transfer ownership of argument i's buffer to the caller
 * (free it with the parser's ops->free and the argument's len). Returns the buffer, or
 * NULL when the argument points into input (nothing to take).
 */
char *sl_resp_parser_take_arg(struct sl_resp_parser *p, uint32_t i);

/* ------------------------------------------------------------------------ */
/* Reply writer                                                             */
/* ------------------------------------------------------------------------ */

/* Called once when the writer no longer needs a referenced value. */
typedef void sl_resp_release_fn(void *arg, const void *ptr, size_t len);

/* Default size of a copy chunk (Redis PROTO_REPLY_CHUNK_BYTES). */
#define SL_RESP_CHUNK_BYTES (16 * 1024)
/* Bulk values at least this long are referenced rather than copied. */
#define SL_RESP_REF_MIN 1024
/* Copy room in a reference chunk, after the value. */
#define SL_RESP_REF_TAIL 64

/* One link of the output chain (private). Its bytes are ref[0..ref_len)
 * (a borrowed value, when ref != NULL) followed by data[0..len) (copied
 * protocol text, capacity cap). A reference chunk gets a small data tail so
 * the CRLF and the next small replies after the value need no new chunk. */
struct sl_resp_chunk {
	struct sl_resp_chunk *next;
	const char *ref;
	size_t ref_len;
	sl_resp_release_fn *release;
	void *release_arg;
	size_t len;    /* bytes in data[] */
	size_t off;    /* bytes of ref then data already consumed */
	size_t cap;    /* capacity of data[] */
	bool deferred; /* a reserved aggregate header not set yet */
	char data[];
};

/*
 * Output of one connection. sl_resp_out_mem() is exact: for every chunk held,
 * sizeof(struct sl_resp_chunk) + cap, plus the length of every value held by
 * reference (until its last byte is consumed). chunk_size and ref_min may be changed between
 * writes.
 */
struct sl_resp_out {
	struct sl_resp_chunk *head;
	struct sl_resp_chunk *tail;
	uint64_t pending; /* bytes written and not yet consumed */
	uint64_t mem;     /* chunk allocations + referenced bytes held */
	uint32_t chunk_size;
	uint32_t ref_min;
	uint8_t proto; /* 2 or 3 */
	const struct sl_resp_alloc_ops *ops;
};

/*
 * Prepare an empty writer speaking RESP2. ops: borrowed, must outlive the
 * writer; NULL = malloc/free.
 * Nothing is allocated until the first write.
 */
void sl_resp_out_init(struct sl_resp_out *o, const struct sl_resp_alloc_ops *ops);

/* Free every chunk and release every reference still held. */
void sl_resp_out_deinit(struct sl_resp_out *o);

/* Protocol version for later replies: 2 or 3 (HELLO). Returns 0 or -EINVAL. */
int sl_resp_out_set_proto(struct sl_resp_out *o, int proto);

/* Unsent bytes, and exact output memory (chunk allocations + referenced). */
uint64_t sl_resp_out_pending(const struct sl_resp_out *o);
uint64_t sl_resp_out_mem(const struct sl_resp_out *o);

/*
 * Describe up to max unsent pieces, in order, for transmission. The iovecs
 * borrow writer memory, valid until the next consume/write/deinit. Returns
 * the count filled.
 */
size_t sl_resp_out_peek(const struct sl_resp_out *o, struct iovec *iov, size_t max);

/* n bytes were sent: drop them, freeing chunks and releasing references. */
void sl_resp_out_consume(struct sl_resp_out *o, size_t n);

/*
 * Reply writers. Each returns 0 or -ENOMEM; after -ENOMEM the output may end
 * in a partial reply and the connection must be closed. Strings are borrowed
 * for the call only, except in sl_resp_write_bulk_ref. o->proto selects the
 * RESP2 or RESP3 form where they differ.
 */
/* Preformatted protocol bytes, copied as they are. */
int sl_resp_write_raw(struct sl_resp_out *o, const void *p, size_t len);
/* "+<s>\r\n"; CR and LF inside s are sent as spaces. */
int sl_resp_write_status(struct sl_resp_out *o, const char *s, size_t len);
/* "-ERR <s>\r\n", or "<s>\r\n" when s starts with '-' (it carries its own
 * code, e.g. "-WRONGTYPE ..."); CR and LF inside s are sent as spaces. */
int sl_resp_write_error(struct sl_resp_out *o, const char *s, size_t len);
/* printf-style sl_resp_write_error (Redis addReplyErrorFormat). */
int sl_resp_write_errorf(struct sl_resp_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sl_resp_write_int(struct sl_resp_out *o, int64_t v);
/* An integer as a bulk string (Redis addReplyBulkLongLong). */
int sl_resp_write_bulk_int(struct sl_resp_out *o, int64_t v);
int sl_resp_write_bulk(struct sl_resp_out *o, const void *p, size_t len);
/*
 * Bulk string whose payload is appended by reference: ptr must stay valid
 * until release(arg, ptr, len) is called (exactly once, possibly before this
 * returns when the value is short and copied, or on failure). The bytes count
 * in sl_resp_out_mem() until released.
 */
int sl_resp_write_bulk_ref(struct sl_resp_out *o, const void *ptr, size_t len,
			   sl_resp_release_fn *release, void *arg);
int sl_resp_write_null(struct sl_resp_out *o);       /* $-1 | _ */
int sl_resp_write_null_array(struct sl_resp_out *o); /* *-1 | _ */
int sl_resp_write_array_len(struct sl_resp_out *o, uint64_t n);
int sl_resp_write_map_len(struct sl_resp_out *o, uint64_t n);  /* %n | *2n */
int sl_resp_write_set_len(struct sl_resp_out *o, uint64_t n);  /* ~n | *n */
int sl_resp_write_push_len(struct sl_resp_out *o, uint64_t n); /* >n | *n */
int sl_resp_write_bool(struct sl_resp_out *o, bool b);         /* #t/#f | :1/:0 */
/* Redis addReplyDouble: RESP3 ",%.17g", RESP2 a bulk of "%.17g"; inf/-inf. */
int sl_resp_write_double(struct sl_resp_out *o, double d);
/* Redis addReplyHumanLongDouble: "%.17Lf" with trailing zeros and point
 * trimmed, "-0" -> "0"; RESP3 ',' type, RESP2 bulk. Note: INCRBYFLOAT and
 * HINCRBYFLOAT do not use it; they reply the stored string as a bulk in both
 * protocols (format it with sl_resp_format_human_long_double). */
int sl_resp_write_human_long_double(struct sl_resp_out *o, long double d);
/* RESP3 "(<digits>", RESP2 bulk string. */
int sl_resp_write_bignum(struct sl_resp_out *o, const char *num, size_t len);
/* RESP3 "=<len+4>\r\n<ext>:<s>", ext padded to 3 with spaces; RESP2 bulk. */
int sl_resp_write_verbatim(struct sl_resp_out *o, const char *s, size_t len, const char *ext);

/*
 * Aggregate headers whose count is only known after the elements are written
 * (Redis addReplyDeferredLen/setDeferredAggregateLen: KEYS, SCAN...).
 * sl_resp_write_deferred_len() reserves the header and returns its handle
 * (owned by the writer) or NULL on -ENOMEM; nothing after it can be peeked
 * until sl_resp_set_deferred_len() fills it in. Returns 0 or -EINVAL.
 */
enum sl_resp_agg {
	SL_RESP_AGG_ARRAY,
	SL_RESP_AGG_MAP,
	SL_RESP_AGG_SET,
	SL_RESP_AGG_PUSH,
};
struct sl_resp_chunk *sl_resp_write_deferred_len(struct sl_resp_out *o);
int sl_resp_set_deferred_len(struct sl_resp_out *o, struct sl_resp_chunk *h, enum sl_resp_agg kind,
			     uint64_t n);

/*
 * Format helpers shared with commands (no output buffer involved). buf must
 * hold SL_RESP_LD_MAX bytes; both return the length written (no NUL counted).
 */
#define SL_RESP_LD_MAX (5 * 1024) /* MAX_LONG_DOUBLE_CHARS */
size_t sl_resp_format_human_long_double(char *buf, long double d);
size_t sl_resp_format_double(char *buf, double d);

#endif /* SL_RESP_H */
