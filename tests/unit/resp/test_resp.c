/*
 * Unit tests of the RESP parser and reply writer.
 *
 * Parser cases are tables of request bytes -> expected outcome, written as
 * "[arg arg][arg]AGAIN" or "...ERR:<error text>" (arguments escaped by
 * describe_arg: bytes outside the printable range, space, brackets and
 * backslash as \xHH). Expected outcomes come from Redis 7.0's networking.c
 * rules (see docs/protocol.md), never from running the parser. Every case is
 * run on the whole input, split at every byte boundary, byte by byte and at
 * random points: the outcome must not change.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/common.h"
#include "dataplane/resp/resp.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

struct strbuf {
	char *p;
	size_t len, cap;
};

static void sb_add(struct strbuf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct strbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void describe_arg(struct strbuf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= ' ' || c >= 0x7f || c == '[' || c == ']' || c == '\\') {
			char esc[8];

			snprintf(esc, sizeof(esc), "\\x%02x", c);
			sb_str(b, esc);
		} else {
			sb_add(b, &c, 1);
		}
	}
}

/* A test allocator that counts live bytes and can be told to fail. */
struct counting_alloc {
	int64_t live;
	int64_t calls;
	int64_t fail_after; /* fail the n-th call on (0 = never) */
};

static void *ca_alloc(void *ctx, size_t len)
{
	struct counting_alloc *a = ctx;

	a->calls++;
	if (a->fail_after != 0 && a->calls >= a->fail_after)
		return NULL;
	a->live += (int64_t)len;
	return malloc(len == 0 ? 1 : len);
}

static void ca_free(void *ctx, void *p, size_t len)
{
	struct counting_alloc *a = ctx;

	a->live -= (int64_t)len;
	free(p);
}

/*
 * Feed input to a fresh parser in segments ending at cuts[0..ncuts) (sorted,
 * each segment copied to its own exact-size heap block so that any read past
 * a segment is caught by ASan) and return the outcome string (caller frees).
 */
static char *run_parser(const char *in, size_t len, const size_t *cuts, size_t ncuts, bool auth,
			const struct sl_resp_limits *lim)
{
	struct counting_alloc ca = {0};
	struct sl_resp_alloc_ops ops = {ca_alloc, ca_free, &ca};
	struct sl_resp_parser p;
	struct strbuf out = {0};
	char **segs = calloc(ncuts + 1, sizeof(*segs));
	size_t start = 0;
	bool done = false;

	assert_non_null(segs);
	sl_resp_parser_init(&p, lim, &ops);
	sl_resp_parser_set_auth(&p, auth);
	for (size_t s = 0; s <= ncuts && !done; s++) {
		size_t end = s < ncuts ? cuts[s] : len;
		size_t n = end - start, off = 0;

		segs[s] = malloc(n == 0 ? 1 : n);
		assert_non_null(segs[s]);
		memcpy(segs[s], in + start, n);
		for (;;) {
			size_t used = 0;
			enum sl_resp_status st = sl_resp_parse(&p, segs[s] + off, n - off, &used);

			assert_true(used <= n - off);
			off += used;
			if (st == SL_RESP_OK) {
				sb_str(&out, "[");
				for (uint32_t i = 0; i < p.argc; i++) {
					if (i > 0)
						sb_str(&out, " ");
					describe_arg(&out, p.argv[i].ptr, p.argv[i].len);
				}
				sb_str(&out, "]");
				continue;
			}
			if (st == SL_RESP_ERROR) {
				const char *e = sl_resp_parser_error(&p);
				char code[32];

				if (e == NULL) {
					snprintf(code, sizeof(code), "#%d",
						 (int)sl_resp_parser_errcode(&p));
					e = code;
				}
				sb_str(&out, "ERR:");
				sb_str(&out, e);
				done = true;
				break;
			}
			assert_int_equal(st, SL_RESP_AGAIN);
			assert_int_equal(off, n);
			if (s == ncuts)
				sb_str(&out, "AGAIN");
			break;
		}
		start = end;
	}
	sl_resp_parser_deinit(&p);
	assert_int_equal(ca.live, 0);
	assert_int_equal(sl_resp_parser_mem(&p), 0);
	for (size_t s = 0; s <= ncuts; s++)
		free(segs[s]);
	free(segs);
	return out.p;
}

static unsigned rng_state = 12345;

static unsigned rnd(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 8) & 0xffffff;
}

/* Run every segmentation and check each gives `expect`. */
static void check_all_splits(const char *in, size_t len, bool auth,
			     const struct sl_resp_limits *lim, const char *expect,
			     bool every_boundary)
{
	char *got = run_parser(in, len, NULL, 0, auth, lim);
	size_t *cuts;

	if (strcmp(got, expect) != 0)
		fail_msg("input \"%.*s\": expected %s, got %s", (int)SL_MIN(len, 60), in, expect,
			 got);
	free(got);
	if (every_boundary) {
		for (size_t i = 0; i <= len; i++) {
			got = run_parser(in, len, &i, 1, auth, lim);
			if (strcmp(got, expect) != 0)
				fail_msg("split at %zu: expected %s, got %s", i, expect, got);
			free(got);
		}
	}
	cuts = malloc((len + 8) * sizeof(*cuts));
	assert_non_null(cuts);
	for (size_t i = 0; i < len; i++)
		cuts[i] = i + 1;
	got = run_parser(in, len, cuts, len, auth, lim);
	if (strcmp(got, expect) != 0)
		fail_msg("byte by byte: expected %s, got %s", expect, got);
	free(got);
	for (int r = 0; r < 20; r++) {
		size_t n = len == 0 ? 0 : rnd() % 8;

		for (size_t i = 0; i < n; i++)
			cuts[i] = rnd() % (len + 1);
		for (size_t i = 1; i < n; i++) /* insertion sort */
			for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
				size_t t = cuts[j];

				cuts[j] = cuts[j - 1];
				cuts[j - 1] = t;
			}
		got = run_parser(in, len, cuts, n, auth, lim);
		if (strcmp(got, expect) != 0)
			fail_msg("random split %d: expected %s, got %s", r, expect, got);
		free(got);
	}
	free(cuts);
}

/* ------------------------------------------------------------------------ */
/* Parser tables                                                            */
/* ------------------------------------------------------------------------ */

struct parse_case {
	const char *in;
	size_t len; /* 0: strlen(in) */
	bool auth;
	const char *expect;
};

#define BIN(s) s, sizeof(s) - 1

static const struct parse_case parse_cases[] = {
	/* multibulk */
	{"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", 0, false, "[GET key]AGAIN"},
	{"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n*1\r\n$4\r\nPING\r\n", 0, false,
	 "[SET k hello][PING]AGAIN"},
	{"*1\r\n$0\r\n\r\n", 0, false, "[]AGAIN"},
	{BIN("*1\r\n$5\r\na\0\r\nb\r\n"), false, "[a\\x00\\x0d\\x0ab]AGAIN"},
	/* the byte after '\r' and the two after a payload are not checked */
	{"*1\rX$4\rYPINGab*1\r\n$1\r\nx\r\n", 0, false, "[PING][x]AGAIN"},
	/* incomplete requests wait */
	{"*2\r\n$3\r\nGET\r\n$3\r\nke", 0, false, "AGAIN"},
	{"*1\r\n$3\r\nabc\r", 0, false, "AGAIN"},
	{"*1\r\n$3\r\nabc", 0, false, "AGAIN"},
	{"*1\r", 0, false, "AGAIN"},
	{"*x\r", 0, false, "AGAIN"}, /* judged only once the next byte is in */
	{"*1\r\n$x\r", 0, false, "AGAIN"},
	/* empty queries are skipped */
	{"*0\r\n*1\r\n$4\r\nPING\r\n", 0, false, "[PING]AGAIN"},
	{"*-1\r\n*-10\r\nPING\r\n", 0, false, "[PING]AGAIN"},
	{"\r\n\n   \r\n\t\r\nPING\r\n", 0, false, "[PING]AGAIN"},
	/* multibulk count errors */
	{"*abc\r\n", 0, false, "ERR:Protocol error: invalid multibulk length"},
	{"*\r\n", 0, false, "ERR:Protocol error: invalid multibulk length"},
	{"*01\r\n", 0, false, "ERR:Protocol error: invalid multibulk length"},
	{"*+1\r\n", 0, false, "ERR:Protocol error: invalid multibulk length"},
	{"*-0\r\n", 0, false, "ERR:Protocol error: invalid multibulk length"},
	{"*-\r\n", 0, false, "ERR:Protocol error: invalid multibulk length"},
	{"*1 \r\n", 0, false, "ERR:Protocol error: invalid multibulk length"},
	{"*2147483648\r\n", 0, true, "ERR:Protocol error: invalid multibulk length"},
	{"*2147483647\r\n", 0, true, "AGAIN"},
	{"*000000000000000000001\r\n", 0, true, "ERR:Protocol error: invalid multibulk length"},
	{"*99999999999999999999\r\n", 0, true, "ERR:Protocol error: invalid multibulk length"},
	{"*-9223372036854775808\r\n*1\r\n$1\r\na\r\n", 0, true, "[a]AGAIN"},
	{"*-9223372036854775809\r\n", 0, true, "ERR:Protocol error: invalid multibulk length"},
	{"*11\r\n", 0, false, "ERR:Protocol error: unauthenticated multibulk length"},
	{"*10\r\n", 0, false, "AGAIN"},
	{"*11\r\n", 0, true, "AGAIN"},
	/* bulk header errors */
	{"*1\r\nfoo\r\n", 0, false, "ERR:Protocol error: expected '$', got 'f'"},
	{"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", 0, false,
	 "ERR:Protocol error: expected '$', got 'f'"},
	{"*1\r\n\n\r\n", 0, false, "ERR:Protocol error: expected '$', got ' '"},
	{"*1\r\n\r\n", 0, false, "ERR:Protocol error: expected '$', got ' '"},
	{"*1\r\n$-1\r\n", 0, false, "ERR:Protocol error: invalid bulk length"},
	{"*1\r\n$\r\n", 0, false, "ERR:Protocol error: invalid bulk length"},
	{"*1\r\n$3x\r\n", 0, false, "ERR:Protocol error: invalid bulk length"},
	{"*1\r\n$16385\r\n", 0, false, "ERR:Protocol error: unauthenticated bulk length"},
	{"*1\r\n$16384\r\n", 0, false, "AGAIN"},
	{"*1\r\n$16385\r\n", 0, true, "AGAIN"},
	{"*1\r\n$536870912\r\n", 0, true, "AGAIN"},
	{"*1\r\n$536870913\r\n", 0, true, "ERR:Protocol error: invalid bulk length"},
	/* a complete request before an error is still returned */
	{"*1\r\n$4\r\nPING\r\n*1\r\n!", 0, false, "[PING]AGAIN"},
	{"*1\r\n$4\r\nPING\r\n*1\r\n!\r\n", 0, false,
	 "[PING]ERR:Protocol error: expected '$', got '!'"},
	/* inline */
	{"PING\r\n", 0, false, "[PING]AGAIN"},
	{"PING\n", 0, false, "[PING]AGAIN"},
	{"PING", 0, false, "AGAIN"},
	{"  set  a\t b \r\n", 0, false, "[set a b]AGAIN"},
	{"a\rb\r\r\n", 0, false, "[a b]AGAIN"},
	{"\va\vb\f\n", 0, false, "[a\\x0bb\\x0c]AGAIN"},
	{"get \x80\xff\r\n", 0, false, "[get \\x80\\xff]AGAIN"},
	{"SET \"a b\" 'c\\'d'\r\n", 0, false, "[SET a\\x20b c'd]AGAIN"},
	{"\"\\x41\\n\\t\\\\\\q\\r\\b\\a\"\r\n", 0, false,
	 "[A\\x0a\\x09\\x5cq\\x0d\\x08\\x07]AGAIN"},
	{"\"\\x4g\"\n", 0, false, "[x4g]AGAIN"},
	{"\"\\xAf\"\n", 0, false, "[\\xaf]AGAIN"},
	{"'a\\nb'\n", 0, false, "[a\\x5cnb]AGAIN"},
	{"ab\"cd\"\n", 0, false, "[abcd]AGAIN"},
	{"\"\"\n", 0, false, "[]AGAIN"},
	{"\"abc\"\r\r\n", 0, false, "[abc]AGAIN"},
	{"\"a\"\"b\"\n", 0, false, "ERR:Protocol error: unbalanced quotes in request"},
	{"\"abc\"def\r\n", 0, false, "ERR:Protocol error: unbalanced quotes in request"},
	{"SET \"abc\r\n", 0, false, "ERR:Protocol error: unbalanced quotes in request"},
	{"'abc\n", 0, false, "ERR:Protocol error: unbalanced quotes in request"},
	{"\"abc\\\"\n", 0, false, "ERR:Protocol error: unbalanced quotes in request"},
	{"PING\r\n\"x\n", 0, false, "[PING]ERR:Protocol error: unbalanced quotes in request"},
	{"PING\r\n*1\r\n$4\r\nECHO\r\nPING x\n", 0, false, "[PING][ECHO][PING x]AGAIN"},
	/* NUL hides the terminator (Redis scans with strchr) */
	{BIN("GET a\0b\r\nPING\r\n"), false, "AGAIN"},
	{BIN("*1\0\r\n$1\r\na\r\n"), false, "AGAIN"},
};

static void test_parse_table(void **state)
{
	struct sl_resp_limits lim;

	(void)state;
	sl_resp_limits_default(&lim);
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);

		check_all_splits(c->in, len, c->auth, &lim, c->expect, true);
	}
}

static char *repeat(char c, size_t n, const char *prefix, const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);
	char *s = malloc(pl + n + sl + 1);

	assert_non_null(s);
	memcpy(s, prefix, pl);
	memset(s + pl, c, n);
	memcpy(s + pl + n, suffix, sl + 1);
	return s;
}

/* The 64 KiB line limits at their Redis defaults. */
static void test_parse_line_limits(void **state)
{
	struct sl_resp_limits lim;
	char *in, *expect;

	(void)state;
	sl_resp_limits_default(&lim);

	/* More than 64 KiB without '\n': too big inline request. */
	in = repeat('A', 65537, "", "");
	check_all_splits(in, 65537, false, &lim, "ERR:Protocol error: too big inline request",
			 false);
	free(in);
	/* Exactly 64 KiB is still waiting for its newline... */
	in = repeat('A', 65536, "", "");
	check_all_splits(in, 65536, false, &lim, "AGAIN", false);
	free(in);
	/* ...and is accepted when it comes. */
	in = repeat('A', 65536, "", "\n");
	expect = repeat('A', 65536, "[", "]AGAIN");
	check_all_splits(in, 65537, false, &lim, expect, false);
	free(in);
	free(expect);
	/* A NUL makes the line endless: too big once past the limit. */
	in = repeat('A', 65537, "", "");
	in[10] = '\0';
	in[20] = '\n';
	check_all_splits(in, 65537, false, &lim, "ERR:Protocol error: too big inline request",
			 false);
	free(in);

	/* "*" and then 65536 more bytes without '\r': too big mbulk count. */
	in = repeat('1', 65536, "*", "");
	check_all_splits(in, 65537, true, &lim, "ERR:Protocol error: too big mbulk count string",
			 false);
	free(in);
	in = repeat('1', 65535, "*", "");
	check_all_splits(in, 65536, true, &lim, "AGAIN", false);
	free(in);
	/* A long count that does end is judged by string2ll: invalid. */
	in = repeat('1', 65535, "*", "\r\n");
	check_all_splits(in, 65538, true, &lim, "ERR:Protocol error: invalid multibulk length",
			 false);
	free(in);
	/* The same for the bulk count line (counted from its '$'). */
	in = repeat('1', 65536, "*1\r\n$", "");
	check_all_splits(in, 65541, true, &lim, "ERR:Protocol error: too big bulk count string",
			 false);
	free(in);
	in = repeat('1', 65535, "*1\r\n$", "");
	check_all_splits(in, 65540, true, &lim, "AGAIN", false);
	free(in);
	/* '\n' does not end a count line: it runs on until the limit. */
	in = repeat('x', 65530, "*1\n$1\n", "");
	check_all_splits(in, 65536, true, &lim, "AGAIN", false);
	free(in);
	in = repeat('x', 65531, "*1\n$1\n", "");
	check_all_splits(in, 65537, true, &lim, "ERR:Protocol error: too big mbulk count string",
			 false);
	free(in);
}

/* The same rules with small limits, split at every boundary. */
static void test_parse_small_limits(void **state)
{
	struct sl_resp_limits lim;
	static const struct parse_case cases[] = {
		{"0123456789abcdef", 0, false, "AGAIN"},
		{"0123456789abcdefg", 0, false, "ERR:Protocol error: too big inline request"},
		{"0123456789abcdef\n", 0, false, "[0123456789abcdef]AGAIN"},
		{"012345678 abcde\r\n", 0, false, "[012345678 abcde]AGAIN"},
		{"PING\n0123456789abcdefg", 0, false,
		 "[PING]ERR:Protocol error: too big inline request"},
		{"*111111111111111", 0, true, "AGAIN"},
		{"*1111111111111111", 0, true, "ERR:Protocol error: too big mbulk count string"},
		{"*1\r\n$111111111111111", 0, true, "AGAIN"},
		{"*1\r\n$1111111111111111", 0, true,
		 "ERR:Protocol error: too big bulk count string"},
		{"*3\r\n", 0, true, "AGAIN"},
		{"*4\r\n", 0, true, "ERR:Protocol error: invalid multibulk length"},
		{"*3\r\n", 0, false, "ERR:Protocol error: unauthenticated multibulk length"},
		{"*2\r\n", 0, false, "AGAIN"},
		/* $40 is within proto-max-bulk-len (40) but 40 + 2 passes the
		 * query buffer limit (32, below); $41 is judged invalid first */
		{"*1\r\n$40\r\n", 0, true, "ERR:#10"},
		{"*1\r\n$41\r\n", 0, true, "ERR:Protocol error: invalid bulk length"},
		{"*1\r\n$9\r\n", 0, false, "ERR:Protocol error: unauthenticated bulk length"},
		{"*2\r\n$8\r\n01234567\r\n$8\r\nabcdefgh\r\n", 0, false,
		 "[01234567 abcdefgh]AGAIN"},
		{BIN("x\0yyyyyyyyyyyyyy"), false, "AGAIN"},
		{BIN("x\0yyyyyyyyyyyyyyy"), false, "ERR:Protocol error: too big inline request"},
		/* client-query-buffer-limit 32: one bulk may declare 30 bytes (30
		 * and its CRLF make 32); 31 closes without a reply (error code 10)
		 * as soon as its "$" line is in, whatever follows. The request's
		 * total is not limited. */
		{"*2\r\n$8\r\n01234567\r\n$8\r\nabcdefgh\r\n", 0, true, "[01234567 abcdefgh]AGAIN"},
		{"*2\r\n$8\r\n01234567\r\n$9\r\nabcdefghi\r\n", 0, true,
		 "[01234567 abcdefghi]AGAIN"},
		{"*1\r\n$30\r\n012345678901234567890123456789\r\n", 0, true,
		 "[012345678901234567890123456789]AGAIN"},
		{"*1\r\n$31\r\n", 0, true, "ERR:#10"},
		{"*1\r\n$31\r\n0123456789012345678901234567890\r\n", 0, true, "ERR:#10"},
		{"*1\r\n$40\r\n01234567890123456789012", 0, true, "ERR:#10"},
		{"*1\r\n$40\r\n012345678901234567890123", 0, true, "ERR:#10"},
		{"*3\r\n$30\r\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n$"
		 "30\r\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n$"
		 "30\r\ncccccccccccccccccccccccccccccc\r\n",
		 0, true,
		 "[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb "
		 "cccccccccccccccccccccccccccccc]AGAIN"},
		{"*2\r\n$3\r\nSET\r\n$31\r\n", 0, true, "ERR:#10"},
		{"*1\r\n$4\r\nPING\r\n*1\r\n$31\r\n", 0, true, "[PING]ERR:#10"},
		/* before AUTH the tighter bulk limit (8) is judged first */
		{"*1\r\n$31\r\n", 0, false, "ERR:Protocol error: unauthenticated bulk length"},
		{"\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nPING\n", 0,
		 false, "[PING]AGAIN"},
	};

	(void)state;
	sl_resp_limits_default(&lim);
	lim.max_line = 16;
	lim.max_mbulk = 3;
	lim.max_bulk_len = 40;
	lim.unauth_mbulk = 2;
	lim.unauth_bulk = 8;
	lim.max_query_buf = 32;
	assert_int_equal(SL_RESP_ERR_QUERY_BUF_LIMIT, 10);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);

		check_all_splits(cases[i].in, len, cases[i].auth, &lim, cases[i].expect, true);
	}
	/* 0 means no query buffer limit: proto-max-bulk-len (40) alone bounds a
	 * bulk. */
	lim.max_query_buf = 0;
	check_all_splits(BIN("*1\r\n$40\r\n0123456789012345678901234567890123456789\r\n"), true,
			 &lim, "[0123456789012345678901234567890123456789]AGAIN", true);
	check_all_splits(BIN("*1\r\n$41\r\n"), true, &lim,
			 "ERR:Protocol error: invalid bulk length", true);
}

/*
 * Requests whole in one segment take a fast path (resp_parse.c fast_request)
 * and split ones the state machine: both must reach the verdicts below, which
 * follow Redis's processMultibulkBuffer and string2ll rules. These sit on the
 * fast path's edges: argument counts around the inline argv, one, two and
 * three digit lengths, leading zeros, missing trailing bytes, limits hit by a
 * complete request.
 */
static void test_parse_fast_path_edges(void **state)
{
	struct sl_resp_limits lim;
	static const struct parse_case cases[] = {
		{"*6\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n", 0,
		 false, "[a b c d e f]AGAIN"},
		{"*7\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n$"
		 "1\r\ng\r\n",
		 0, false, "[a b c d e f g]AGAIN"},
		{"*1\r\n$10\r\n0123456789\r\n", 0, false, "[0123456789]AGAIN"},
		{"*1\r\n$100\r\n"
		 "012345678901234567890123456789012345678901234567890123456789012345678901234567890"
		 "1"
		 "234567890123456789\r\n",
		 0, false,
		 "[0123456789012345678901234567890123456789012345678901234567890123456789012345678"
		 "901234567890123456789]AGAIN"},
		{"*2\r\n$0\r\n\r\n$0\r\n\r\n", 0, false, "[ ]AGAIN"},
		{"*1\r\n$00\r\n\r\n", 0, false, "ERR:Protocol error: invalid bulk length"},
		{"*1\r\n$01\r\na\r\n", 0, false, "ERR:Protocol error: invalid bulk length"},
		{"*02\r\n$1\r\na\r\n$1\r\nb\r\n", 0, false,
		 "ERR:Protocol error: invalid multibulk length"},
		{"*1\r\n$1\r\na\r", 0, false, "AGAIN"},
		{"*1\r\n$1\r\na", 0, false, "AGAIN"},
		{"*1\r\n$1\r", 0, false, "AGAIN"},
		{"*1\r\n$12\r", 0, false, "AGAIN"},
		{"*1\r\n$2\r\na\r\n", 0, false, "AGAIN"}, /* 'a', CR as payload; LF of two */
		{"*1\r\n$2\r\na\r\n\n\n", 0, false, "[a\\x0d]AGAIN"},
		{"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*2\r\n$3\r\nGET\r\n$x\r\n", 0, false,
		 "[GET key]ERR:Protocol error: invalid bulk length"},
		{"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", 0, true,
		 "[GET key][GET key]AGAIN"},
		{"*11\r\n", 0, false, "ERR:Protocol error: unauthenticated multibulk length"},
		{"*1\r\n$16385\r\n", 0, false, "ERR:Protocol error: unauthenticated bulk length"},
	};

	static const struct parse_case limited[] = {
		{"*1\r\n$8\r\n01234567\r\n", 0, false, "[01234567]AGAIN"},
		{"*1\r\n$9\r\n012345678\r\n", 0, false,
		 "ERR:Protocol error: unauthenticated bulk length"},
		{"*1\r\n$12\r\n0123456789ab\r\n", 0, true, "[0123456789ab]AGAIN"},
		{"*1\r\n$13\r\n0123456789abc\r\n", 0, true,
		 "ERR:Protocol error: invalid bulk length"},
		{"*2\r\n$1\r\na\r\n$1\r\nb\r\n", 0, false, "[a b]AGAIN"},
		{"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", 0, false,
		 "ERR:Protocol error: unauthenticated multibulk length"},
		{"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", 0, true, "[a b c]AGAIN"},
		{"*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n", 0, true,
		 "ERR:Protocol error: invalid multibulk length"},
	};

	(void)state;
	sl_resp_limits_default(&lim);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);

		check_all_splits(cases[i].in, len, cases[i].auth, &lim, cases[i].expect, true);
	}
	/* A count line longer than the line limit fails however short it is:
	 * "$10" is three bytes before its CR. */
	lim.max_line = 1;
	check_all_splits(BIN("*1\r\n$1\r\na\r\n"), true, &lim,
			 "ERR:Protocol error: too big mbulk count string", true);
	lim.max_line = 2;
	check_all_splits(BIN("*1\r\n$1\r\na\r\n"), true, &lim, "[a]AGAIN", true);
	check_all_splits(BIN("*1\r\n$10\r\n0123456789\r\n"), true, &lim,
			 "ERR:Protocol error: too big bulk count string", true);
	lim.max_line = 3;
	check_all_splits(BIN("*1\r\n$10\r\n0123456789\r\n"), true, &lim, "[0123456789]AGAIN", true);
	/* Every limit, hit by a request that is complete in the input. */
	sl_resp_limits_default(&lim);
	lim.max_mbulk = 3;
	lim.max_bulk_len = 12;
	lim.unauth_mbulk = 2;
	lim.unauth_bulk = 8;
	for (size_t i = 0; i < sizeof(limited) / sizeof(limited[0]); i++)
		check_all_splits(limited[i].in, strlen(limited[i].in), limited[i].auth, &lim,
				 limited[i].expect, true);
}

/* "$<n>\r\n<n bytes of c>\r\n" appended to *b (nothing when n is 0). */
static void sb_bulk(struct strbuf *b, size_t n, char c)
{
	char head[32];
	char *s;

	if (n == 0)
		return;
	snprintf(head, sizeof(head), "$%zu\r\n", n);
	s = repeat(c, n, head, "\r\n");
	sb_str(b, s);
	free(s);
}

/*
 * client-query-buffer-limit 100, Redis 7.0's rule as resp_parse.c states it:
 * a bulk argument whose declared length plus its CRLF passes the limit closes
 * the connection without a reply (code 10), judged on its "$" line; a
 * request whose arguments together pass the limit is served. Each input is
 * checked whole in one segment (the fast path takes the complete requests),
 * split at every boundary, byte by byte and at random points (the state
 * machine): the verdict is always the same.
 */
static void test_parse_query_buf_rule(void **state)
{
	/* input: prefix, bulk of n1 'A's, mid, bulk of n2 'B's, suffix;
	 * expect: %s = the n1 'A's, then %s = the n2 'B's */
	static const struct {
		const char *prefix;
		size_t n1;
		const char *mid;
		size_t n2;
		const char *suffix;
		const char *expect;
	} cases[] = {
		/* two 60-byte values: 124 bytes of arguments, each 62 <= 100 */
		{"*2\r\n", 60, "", 60, "", "[%s %s]AGAIN"},
		/* 98 + 2 = 100 is the most one argument may have; MSET-shaped */
		{"*1\r\n", 98, "", 0, "", "[%s]AGAIN"},
		{"*5\r\n$4\r\nMSET\r\n$1\r\na\r\n", 98, "$1\r\nb\r\n", 98, "",
		 "[MSET a %s b %s]AGAIN"},
		/* the limit is per argument, not per request or connection */
		{"*1\r\n", 98, "*1\r\n", 98, "", "[%s][%s]AGAIN"},
		/* 99 + 2 > 100, however much of it is there */
		{"*1\r\n", 99, "", 0, "", "ERR:#10"},
		{"*1\r\n$99\r\n", 0, "", 0, "", "ERR:#10"},
		{"*1\r\n$99\r\nab", 0, "", 0, "", "ERR:#10"},
		{"*2\r\n$3\r\nGET\r\n$1000\r\n", 0, "", 0, "", "ERR:#10"},
		{"*2\r\n", 60, "", 99, "", "ERR:#10"},
		{"*1\r\n", 98, "*1\r\n", 99, "", "[%s]ERR:#10"},
		/* other limits are judged first: the length's validity */
		{"*1\r\n$1000x\r\n", 0, "", 0, "", "ERR:Protocol error: invalid bulk length"},
	};
	struct sl_resp_limits lim;

	(void)state;
	sl_resp_limits_default(&lim);
	lim.max_query_buf = 100;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *a = repeat('A', cases[i].n1, "", "");
		char *b = repeat('B', cases[i].n2, "", "");
		struct strbuf in = {0};
		size_t elen = strlen(cases[i].expect) + cases[i].n1 + cases[i].n2 + 1;
		char *expect = malloc(elen);

		assert_non_null(expect);
		sb_str(&in, cases[i].prefix);
		sb_bulk(&in, cases[i].n1, 'A');
		sb_str(&in, cases[i].mid);
		sb_bulk(&in, cases[i].n2, 'B');
		sb_str(&in, cases[i].suffix);
		snprintf(expect, elen, cases[i].expect, a, b);
		check_all_splits(in.p, in.len, true, &lim, expect, true);
		free(a);
		free(b);
		free(in.p);
		free(expect);
	}
}

/*
 * Random streams over the protocol's own alphabet: whatever the parser makes
 * of a stream, it must make the same of every segmentation of it.
 */
static void test_parse_random_streams(void **state)
{
	static const char alpha[] = "*$\r\n\r\n0123-+ \"'\\xA\tab\0";
	struct sl_resp_limits lim;
	char in[96];

	(void)state;
	sl_resp_limits_default(&lim);
	lim.max_line = 12;
	lim.max_bulk_len = 20;
	lim.max_mbulk = 5;
	lim.unauth_mbulk = 3;
	lim.unauth_bulk = 6;
	/* under max_bulk_len + 2, so that a "$1x" line can pass it */
	lim.max_query_buf = 12;
	for (int iter = 0; iter < 3000; iter++) {
		size_t len = rnd() % sizeof(in);
		bool auth = rnd() & 1;
		char *whole;

		for (size_t i = 0; i < len; i++)
			in[i] = alpha[rnd() % (sizeof(alpha) - 1)];
		whole = run_parser(in, len, NULL, 0, auth, &lim);
		check_all_splits(in, len, auth, &lim, whole, iter % 10 == 0);
		free(whole);
	}
}

/* ------------------------------------------------------------------------ */
/* Parser: buffers, accounting, big arguments                               */
/* ------------------------------------------------------------------------ */

static void test_parse_in_place(void **state)
{
	struct sl_resp_limits lim;
	struct sl_resp_parser p;
	static const char seg1[] = "*3\r\n$3\r\nSET\r\n$3\r\nke";
	static const char seg2[] = "y\r\n$5\r\nhello\r\n";
	size_t used;

	(void)state;
	sl_resp_limits_default(&lim);
	sl_resp_parser_init(&p, &lim, NULL);
	sl_resp_parser_set_auth(&p, true);
	assert_int_equal(sl_resp_parse(&p, seg1, strlen(seg1), &used), SL_RESP_AGAIN);
	assert_int_equal(used, strlen(seg1));
	assert_int_equal(sl_resp_parser_buffered(&p), strlen(seg1));
	assert_int_equal(sl_resp_parse(&p, seg2, strlen(seg2), &used), SL_RESP_OK);
	assert_int_equal(used, strlen(seg2));
	assert_int_equal(p.argc, 3);
	/* contiguous arguments point into the segments */
	assert_ptr_equal(p.argv[0].ptr, seg1 + 8);
	assert_ptr_equal(p.argv[2].ptr, seg2 + 7);
	assert_int_equal(p.argv[0].flags, 0);
	/* the split one was assembled */
	assert_int_equal(p.argv[1].flags, SL_RESP_ARG_OWNED);
	assert_memory_equal(p.argv[1].ptr, "key", 3);
	assert_int_equal(sl_resp_parser_mem(&p), 3);
	/* the next call releases it */
	assert_int_equal(sl_resp_parse(&p, "", 0, &used), SL_RESP_AGAIN);
	assert_int_equal(sl_resp_parser_mem(&p), 0);
	assert_int_equal(sl_resp_parser_buffered(&p), 0);
	sl_resp_parser_deinit(&p);
}

static void test_parse_big_bulk_dest(void **state)
{
	struct counting_alloc ca = {0};
	struct sl_resp_alloc_ops ops = {ca_alloc, ca_free, &ca};
	struct sl_resp_limits lim;
	struct sl_resp_parser p;
	const size_t vlen = 100000;
	char *val = malloc(vlen), *dest, *taken;
	char hdr[64];
	size_t used, need;
	int hl;

	(void)state;
	assert_non_null(val);
	for (size_t i = 0; i < vlen; i++)
		val[i] = (char)(i * 7);
	hl = snprintf(hdr, sizeof(hdr), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%zu\r\n", vlen);
	sl_resp_limits_default(&lim);
	sl_resp_parser_init(&p, &lim, &ops);
	sl_resp_parser_set_auth(&p, true);
	assert_null(sl_resp_parser_bulk_dest(&p, &need));
	assert_int_equal(need, 0);
	/* header plus the first 10 value bytes */
	memcpy(hdr + hl, val, 10);
	assert_int_equal(sl_resp_parse(&p, hdr, (size_t)hl + 10, &used), SL_RESP_AGAIN);
	dest = sl_resp_parser_bulk_dest(&p, &need);
	assert_non_null(dest);
	assert_int_equal(need, vlen - 10);
	/* the transport fills the rest straight into the buffer, in two goes */
	memcpy(dest, val + 10, 5000);
	sl_resp_parser_bulk_commit(&p, 5000);
	dest = sl_resp_parser_bulk_dest(&p, &need);
	assert_int_equal(need, vlen - 5010);
	memcpy(dest, val + 5010, need);
	sl_resp_parser_bulk_commit(&p, need);
	assert_null(sl_resp_parser_bulk_dest(&p, &need));
	assert_int_equal(sl_resp_parser_buffered(&p), (uint64_t)hl + vlen);
	assert_int_equal(sl_resp_parse(&p, "\r\n", 2, &used), SL_RESP_OK);
	assert_int_equal(p.argc, 3);
	assert_int_equal(p.argv[2].len, vlen);
	assert_memory_equal(p.argv[2].ptr, val, vlen);
	assert_int_equal(sl_resp_parser_mem(&p), vlen);
	/* the store adopts the value */
	assert_null(sl_resp_parser_take_arg(&p, 0));
	taken = sl_resp_parser_take_arg(&p, 2);
	assert_ptr_equal(taken, p.argv[2].ptr);
	assert_int_equal(sl_resp_parser_mem(&p), 0);
	sl_resp_parser_deinit(&p);
	assert_int_equal(ca.live, (int64_t)vlen);
	ca_free(&ca, taken, vlen);
	assert_int_equal(ca.live, 0);
	free(val);
}

/*
 * The query buffer limit is judged on the "$" line, before any of the
 * payload and before a buffer for it is allocated: an over-limit big
 * argument costs no memory. Lines are bounded by their own limit only.
 */
static void test_parse_query_buf_limit(void **state)
{
	struct counting_alloc ca = {0};
	struct sl_resp_alloc_ops ops = {ca_alloc, ca_free, &ca};
	struct sl_resp_limits lim;
	struct sl_resp_parser p;
	static const char over[] = "*2\r\n$3\r\nSET\r\n$1048575\r\n";
	static const char under[] = "*2\r\n$3\r\nSET\r\n$1048574\r\n";
	static const char line[] = "SET key 0123456789abcdef\r\n";
	size_t used;

	(void)state;
	sl_resp_limits_default(&lim);
	lim.max_query_buf = 1024 * 1024; /* the least CONFIG SET accepts */
	sl_resp_parser_init(&p, &lim, &ops);
	sl_resp_parser_set_auth(&p, true);
	/* 1048574 + 2 = the limit: its buffer is taken at once (big argument) */
	assert_int_equal(sl_resp_parse(&p, under, strlen(under), &used), SL_RESP_AGAIN);
	assert_int_equal(used, strlen(under));
	assert_int_equal(sl_resp_parser_mem(&p), 1048574);
	assert_int_equal(sl_resp_parser_buffered(&p), strlen(under));
	sl_resp_parser_deinit(&p);
	assert_int_equal(ca.live, 0);

	/* one byte more: closed at its "$" line, nothing allocated */
	ca.calls = 0;
	sl_resp_parser_init(&p, &lim, &ops);
	sl_resp_parser_set_auth(&p, true);
	assert_int_equal(sl_resp_parse(&p, over, strlen(over), &used), SL_RESP_ERROR);
	assert_int_equal(used, strlen(over));
	assert_int_equal(sl_resp_parser_errcode(&p), SL_RESP_ERR_QUERY_BUF_LIMIT);
	assert_null(sl_resp_parser_error(&p)); /* closed without a reply */
	assert_int_equal(sl_resp_parser_mem(&p), 0);
	assert_int_equal(ca.calls, 0);
	/* errors are sticky */
	assert_int_equal(sl_resp_parse(&p, "PING\r\n", 6, &used), SL_RESP_ERROR);
	assert_int_equal(used, 0);
	sl_resp_parser_deinit(&p);
	assert_int_equal(ca.live, 0);

	/* An inline line longer than the limit: only max_line bounds it. */
	lim.max_query_buf = 8;
	sl_resp_parser_init(&p, &lim, &ops);
	assert_int_equal(sl_resp_parse(&p, line, strlen(line), &used), SL_RESP_OK);
	assert_int_equal(p.argc, 3);
	assert_int_equal(p.argv[2].len, 16);
	/* a bulk: "$6" passes (6 + 2 = 8), "$7" does not */
	assert_int_equal(sl_resp_parse(&p, "*1\r\n$6\r\nabcdef\r\n", 16, &used), SL_RESP_OK);
	assert_int_equal(p.argv[0].len, 6);
	assert_int_equal(sl_resp_parse(&p, "*1\r\n$7\r\n", 9, &used), SL_RESP_ERROR);
	assert_int_equal(sl_resp_parser_errcode(&p), SL_RESP_ERR_QUERY_BUF_LIMIT);
	sl_resp_parser_deinit(&p);
	assert_int_equal(ca.live, 0);

	/* Limits under a CRLF: with 2 only empty bulks pass, with 1 none. */
	lim.max_query_buf = 2;
	check_all_splits(BIN("*2\r\n$0\r\n\r\n$0\r\n\r\n"), true, &lim, "[ ]AGAIN", true);
	check_all_splits(BIN("*2\r\n$0\r\n\r\n$1\r\na\r\n"), true, &lim, "ERR:#10", true);
	lim.max_query_buf = 1;
	check_all_splits(BIN("*1\r\n$0\r\n\r\n"), true, &lim, "ERR:#10", true);
}

static void test_parse_nomem(void **state)
{
	struct counting_alloc ca = {0};
	struct sl_resp_alloc_ops ops = {ca_alloc, ca_free, &ca};
	struct sl_resp_limits lim;
	struct sl_resp_parser p;
	size_t used;

	(void)state;
	sl_resp_limits_default(&lim);
	ca.fail_after = 1;
	sl_resp_parser_init(&p, &lim, &ops);
	assert_int_equal(sl_resp_parse(&p, "*1\r\n$3\r\nab", 10, &used), SL_RESP_ERROR);
	assert_int_equal(sl_resp_parser_errcode(&p), SL_RESP_ERR_NOMEM);
	assert_null(sl_resp_parser_error(&p));
	sl_resp_parser_deinit(&p);
	assert_int_equal(ca.live, 0);
}

/* Many arguments: argv grows beyond its inline slots. */
static void test_parse_many_args(void **state)
{
	struct sl_resp_limits lim;
	struct strbuf in = {0}, expect = {0};
	const int n = 1000;
	char tmp[64];

	(void)state;
	sl_resp_limits_default(&lim);
	snprintf(tmp, sizeof(tmp), "*%d\r\n", n);
	sb_str(&in, tmp);
	sb_str(&expect, "[");
	for (int i = 0; i < n; i++) {
		snprintf(tmp, sizeof(tmp), "%d", i);
		if (i > 0)
			sb_str(&expect, " ");
		sb_str(&expect, tmp);
		snprintf(tmp, sizeof(tmp), "$%zu\r\n%d\r\n", strlen(tmp), i);
		sb_str(&in, tmp);
	}
	sb_str(&expect, "]AGAIN");
	check_all_splits(in.p, in.len, true, &lim, expect.p, false);
	/* the same as one inline line */
	free(in.p);
	in = (struct strbuf){0};
	for (int i = 0; i < n; i++) {
		snprintf(tmp, sizeof(tmp), "%d ", i);
		sb_str(&in, tmp);
	}
	sb_str(&in, "\r\n");
	check_all_splits(in.p, in.len, false, &lim, expect.p, false);
	free(in.p);
	free(expect.p);
}

/* ------------------------------------------------------------------------ */
/* Writer                                                                   */
/* ------------------------------------------------------------------------ */

/* Gather everything pending, without consuming. */
static char *gather(const struct sl_resp_out *o, size_t *len)
{
	struct iovec iov[256];
	size_t n = sl_resp_out_peek(o, iov, 256);
	struct strbuf b = {0};

	sb_add(&b, "", 0);
	for (size_t i = 0; i < n; i++)
		sb_add(&b, iov[i].iov_base, iov[i].iov_len);
	*len = b.len;
	return b.p;
}

enum wkind {
	W_STATUS,
	W_ERROR,
	W_INT,
	W_BULK,
	W_NULL,
	W_NULL_ARRAY,
	W_ARRAY,
	W_MAP,
	W_SET,
	W_PUSH,
	W_BOOL,
	W_DOUBLE,
	W_HLD,
	W_BIGNUM,
	W_VERBATIM,
};

struct write_case {
	enum wkind kind;
	const char *s;
	int64_t i;
	double d;
	long double ld;
	const char *resp2;
	const char *resp3;
};

static const struct write_case write_cases[] = {
	{W_STATUS, "OK", 0, 0, 0, "+OK\r\n", "+OK\r\n"},
	{W_STATUS, "a\r\nb", 0, 0, 0, "+a  b\r\n", "+a  b\r\n"},
	{W_ERROR, "unknown command", 0, 0, 0, "-ERR unknown command\r\n",
	 "-ERR unknown command\r\n"},
	{W_ERROR, "-WRONGTYPE Operation against a key holding the wrong kind of value", 0, 0, 0,
	 "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
	 "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	{W_ERROR, "Protocol error: expected '$', got 'x'", 0, 0, 0,
	 "-ERR Protocol error: expected '$', got 'x'\r\n",
	 "-ERR Protocol error: expected '$', got 'x'\r\n"},
	{W_ERROR, "bad\nthing\r\n", 0, 0, 0, "-ERR bad thing\r\n", "-ERR bad thing\r\n"},
	{W_ERROR, "", 0, 0, 0, "-ERR \r\n", "-ERR \r\n"},
	{W_INT, NULL, 0, 0, 0, ":0\r\n", ":0\r\n"},
	{W_INT, NULL, -1, 0, 0, ":-1\r\n", ":-1\r\n"},
	{W_INT, NULL, 1234567, 0, 0, ":1234567\r\n", ":1234567\r\n"},
	{W_INT, NULL, INT64_MAX, 0, 0, ":9223372036854775807\r\n", ":9223372036854775807\r\n"},
	{W_INT, NULL, INT64_MIN, 0, 0, ":-9223372036854775808\r\n", ":-9223372036854775808\r\n"},
	{W_BULK, "foo", 0, 0, 0, "$3\r\nfoo\r\n", "$3\r\nfoo\r\n"},
	{W_BULK, "", 0, 0, 0, "$0\r\n\r\n", "$0\r\n\r\n"},
	{W_NULL, NULL, 0, 0, 0, "$-1\r\n", "_\r\n"},
	{W_NULL_ARRAY, NULL, 0, 0, 0, "*-1\r\n", "_\r\n"},
	{W_ARRAY, NULL, 3, 0, 0, "*3\r\n", "*3\r\n"},
	{W_ARRAY, NULL, 0, 0, 0, "*0\r\n", "*0\r\n"},
	{W_MAP, NULL, 2, 0, 0, "*4\r\n", "%2\r\n"},
	{W_SET, NULL, 5, 0, 0, "*5\r\n", "~5\r\n"},
	{W_PUSH, NULL, 3, 0, 0, "*3\r\n", ">3\r\n"},
	{W_BOOL, NULL, 1, 0, 0, ":1\r\n", "#t\r\n"},
	{W_BOOL, NULL, 0, 0, 0, ":0\r\n", "#f\r\n"},
	/* addReplyDouble: %.17g */
	{W_DOUBLE, NULL, 0, 1.5, 0, "$3\r\n1.5\r\n", ",1.5\r\n"},
	{W_DOUBLE, NULL, 0, 3.0, 0, "$1\r\n3\r\n", ",3\r\n"},
	{W_DOUBLE, NULL, 0, -2.25, 0, "$5\r\n-2.25\r\n", ",-2.25\r\n"},
	{W_DOUBLE, NULL, 0, 0.1, 0, "$19\r\n0.10000000000000001\r\n", ",0.10000000000000001\r\n"},
	{W_DOUBLE, NULL, 0, 1e20, 0, "$5\r\n1e+20\r\n", ",1e+20\r\n"},
	{W_DOUBLE, NULL, 0, 123456789.0, 0, "$9\r\n123456789\r\n", ",123456789\r\n"},
	{W_DOUBLE, NULL, 0, 1.0 / 0.0, 0, "$3\r\ninf\r\n", ",inf\r\n"},
	{W_DOUBLE, NULL, 0, -1.0 / 0.0, 0, "$4\r\n-inf\r\n", ",-inf\r\n"},
	/* addReplyHumanLongDouble: %.17Lf, trailing zeros and point trimmed */
	{W_HLD, NULL, 0, 0, 1.25L, "$4\r\n1.25\r\n", ",1.25\r\n"},
	{W_HLD, NULL, 0, 0, 2.0L, "$1\r\n2\r\n", ",2\r\n"},
	{W_HLD, NULL, 0, 0, 10.5L, "$4\r\n10.5\r\n", ",10.5\r\n"},
	{W_HLD, NULL, 0, 0, 3000.0L, "$4\r\n3000\r\n", ",3000\r\n"},
	{W_HLD, NULL, 0, 0, 0.1L, "$3\r\n0.1\r\n", ",0.1\r\n"},
	{W_HLD, NULL, 0, 0, (long double)0.1, "$19\r\n0.10000000000000001\r\n",
	 ",0.10000000000000001\r\n"},
	{W_HLD, NULL, 0, 0, -0.0L, "$1\r\n0\r\n", ",0\r\n"},
	{W_HLD, NULL, 0, 0, -1e-20L, "$1\r\n0\r\n", ",0\r\n"},
	{W_HLD, NULL, 0, 0, -1.5L, "$4\r\n-1.5\r\n", ",-1.5\r\n"},
	{W_HLD, NULL, 0, 0, 1e20L, "$21\r\n100000000000000000000\r\n",
	 ",100000000000000000000\r\n"},
	{W_HLD, NULL, 0, 0, 1.0L / 0.0L, "$3\r\ninf\r\n", ",inf\r\n"},
	{W_BIGNUM, "1234567890123456789012", 0, 0, 0, "$22\r\n1234567890123456789012\r\n",
	 "(1234567890123456789012\r\n"},
	{W_VERBATIM, "txt", 0, 0, 0, "$5\r\nhello\r\n", "=9\r\ntxt:hello\r\n"},
	{W_VERBATIM, "md", 0, 0, 0, "$5\r\nhello\r\n", "=9\r\nmd :hello\r\n"},
};

static int do_write(struct sl_resp_out *o, const struct write_case *c)
{
	switch (c->kind) {
	case W_STATUS:
		return sl_resp_write_status(o, c->s, strlen(c->s));
	case W_ERROR:
		return sl_resp_write_error(o, c->s, strlen(c->s));
	case W_INT:
		return sl_resp_write_int(o, c->i);
	case W_BULK:
		return sl_resp_write_bulk(o, c->s, strlen(c->s));
	case W_NULL:
		return sl_resp_write_null(o);
	case W_NULL_ARRAY:
		return sl_resp_write_null_array(o);
	case W_ARRAY:
		return sl_resp_write_array_len(o, (uint64_t)c->i);
	case W_MAP:
		return sl_resp_write_map_len(o, (uint64_t)c->i);
	case W_SET:
		return sl_resp_write_set_len(o, (uint64_t)c->i);
	case W_PUSH:
		return sl_resp_write_push_len(o, (uint64_t)c->i);
	case W_BOOL:
		return sl_resp_write_bool(o, c->i != 0);
	case W_DOUBLE:
		return sl_resp_write_double(o, c->d);
	case W_HLD:
		return sl_resp_write_human_long_double(o, c->ld);
	case W_BIGNUM:
		return sl_resp_write_bignum(o, c->s, strlen(c->s));
	case W_VERBATIM:
		return sl_resp_write_verbatim(o, "hello", 5, c->s);
	}
	return -EINVAL;
}

static void test_write_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(write_cases) / sizeof(write_cases[0]); i++) {
		const struct write_case *c = &write_cases[i];

		for (int proto = 2; proto <= 3; proto++) {
			struct sl_resp_out o;
			const char *expect = proto == 2 ? c->resp2 : c->resp3;
			size_t len;
			char *got;

			sl_resp_out_init(&o, NULL);
			assert_int_equal(sl_resp_out_set_proto(&o, proto), 0);
			assert_int_equal(do_write(&o, c), 0);
			got = gather(&o, &len);
			if (len != strlen(expect) || memcmp(got, expect, len) != 0)
				fail_msg("case %zu RESP%d: expected \"%s\", got \"%s\"", i, proto,
					 expect, got);
			assert_int_equal(sl_resp_out_pending(&o), len);
			free(got);
			sl_resp_out_deinit(&o);
			assert_int_equal(sl_resp_out_mem(&o), 0);
		}
	}
}

static void test_write_format_helpers(void **state)
{
	char buf[SL_RESP_LD_MAX];

	(void)state;
	assert_int_equal(sl_resp_format_double(buf, 2.5), 3);
	assert_string_equal(buf, "2.5");
	assert_int_equal(sl_resp_format_double(buf, -1.0 / 0.0), 4);
	assert_memory_equal(buf, "-inf", 4);
	assert_int_equal(sl_resp_format_human_long_double(buf, 5.0e3L), 4);
	assert_string_equal(buf, "5000");
	assert_int_equal(sl_resp_out_set_proto(&(struct sl_resp_out){0}, 4), -EINVAL);
	{
		struct sl_resp_out o;
		char longarg[600];
		struct strbuf expect = {0};
		size_t len;
		char *got;

		memset(longarg, 'k', sizeof(longarg) - 1);
		longarg[sizeof(longarg) - 1] = '\0';
		sl_resp_out_init(&o, NULL);
		assert_int_equal(sl_resp_write_errorf(
					 &o, "wrong number of arguments for '%s' command", "get"),
				 0);
		assert_int_equal(sl_resp_write_errorf(&o, "-WRONGTYPE %s\n", "x"), 0);
		assert_int_equal(sl_resp_write_errorf(&o, "unknown command '%s'", longarg), 0);
		assert_int_equal(sl_resp_write_bulk_int(&o, -1234), 0);
		assert_int_equal(sl_resp_write_bulk_int(&o, INT64_MIN), 0);
		assert_int_equal(sl_resp_write_bulk_int(&o, 0), 0);
		sb_str(&expect, "-ERR wrong number of arguments for 'get' command\r\n"
				"-WRONGTYPE x\r\n-ERR unknown command '");
		sb_str(&expect, longarg);
		sb_str(&expect, "'\r\n$5\r\n-1234\r\n$20\r\n-9223372036854775808\r\n$1\r\n0\r\n");
		got = gather(&o, &len);
		assert_int_equal(len, expect.len);
		assert_memory_equal(got, expect.p, len);
		free(got);
		free(expect.p);
		sl_resp_out_deinit(&o);
	}
}

struct release_log {
	int calls;
	const void *ptr;
	size_t len;
};

static void on_release(void *arg, const void *ptr, size_t len)
{
	struct release_log *r = arg;

	r->calls++;
	r->ptr = ptr;
	r->len = len;
}

/*
 * Bulk and status replies are formatted in place when the tail chunk has
 * room, else through the general append: either way the bytes are RESP's
 * "$<decimal length>\r\n<value>\r\n" and "+<text>\r\n". Lengths cross
 * every digit count and the in-place limit; chunk sizes make some replies
 * fit and others spill.
 */
/* All pending output, consumed in as many peeks as it takes. */
static char *drain(struct sl_resp_out *o, size_t *len)
{
	struct strbuf b = {0};
	struct iovec iov[64];
	size_t n;

	sb_add(&b, "", 0);
	while ((n = sl_resp_out_peek(o, iov, 64)) > 0) {
		size_t done = 0;

		for (size_t i = 0; i < n; i++) {
			sb_add(&b, iov[i].iov_base, iov[i].iov_len);
			done += iov[i].iov_len;
		}
		sl_resp_out_consume(o, done);
	}
	*len = b.len;
	return b.p;
}

static void test_write_bulk_lengths(void **state)
{
	static const size_t lens[] = {0,    1,    9,     10,    99,     100,    999,
				      1000, 9999, 10000, 99999, 100000, 123456, 1048576};
	static const uint32_t chunks[] = {SL_RESP_CHUNK_BYTES, 7, 64, 2000000};
	size_t maxlen = 1048576;
	char *val = malloc(maxlen);

	(void)state;
	assert_non_null(val);
	for (size_t i = 0; i < maxlen; i++)
		val[i] = (char)('a' + i % 26);
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		struct counting_alloc ca = {0};
		struct sl_resp_alloc_ops ops = {ca_alloc, ca_free, &ca};
		struct strbuf expect = {0};
		struct sl_resp_out o;
		char hdr[32];
		size_t len;
		char *got;

		sl_resp_out_init(&o, &ops);
		o.chunk_size = chunks[c];
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			assert_int_equal(sl_resp_write_bulk(&o, val, lens[i]), 0);
			snprintf(hdr, sizeof(hdr), "$%zu\r\n", lens[i]);
			sb_str(&expect, hdr);
			sb_add(&expect, val, lens[i]);
			sb_str(&expect, "\r\n");
			assert_int_equal(sl_resp_write_status(&o, "OK", 2), 0);
			sb_str(&expect, "+OK\r\n");
			assert_int_equal(sl_resp_write_status(&o, "a\rb\nc", 5), 0);
			sb_str(&expect, "+a b c\r\n");
			assert_int_equal(sl_resp_write_status(&o, "x\ny", 3), 0);
			sb_str(&expect, "+x y\r\n");
			assert_int_equal(sl_resp_write_status(&o, "x\ry", 3), 0);
			sb_str(&expect, "+x y\r\n");
			assert_int_equal(sl_resp_write_status(&o, "0123456789abcdefg", 17), 0);
			sb_str(&expect, "+0123456789abcdefg\r\n");
		}
		assert_int_equal(sl_resp_out_pending(&o), expect.len);
		got = drain(&o, &len);
		assert_int_equal(sl_resp_out_mem(&o), 0);
		assert_int_equal(sl_resp_out_pending(&o), 0);
		assert_int_equal(len, expect.len);
		assert_memory_equal(got, expect.p, len);
		free(got);
		free(expect.p);
		/* Without pipelining every reply starts an empty chain: one that fits
		 * in chunk_size takes exactly one chunk of chunk_size (resp.h:
		 * sl_resp_out_mem counts header + capacity per chunk). */
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			size_t want = snprintf(hdr, sizeof(hdr), "$%zu\r\n", lens[i]) + lens[i] + 2;

			memset(&expect, 0, sizeof(expect));
			assert_int_equal(sl_resp_write_bulk(&o, val, lens[i]), 0);
			if (want <= chunks[c])
				assert_int_equal(sl_resp_out_mem(&o),
						 sizeof(struct sl_resp_chunk) + chunks[c]);
			sb_str(&expect, hdr);
			sb_add(&expect, val, lens[i]);
			sb_str(&expect, "\r\n");
			got = drain(&o, &len);
			assert_int_equal(len, want);
			assert_memory_equal(got, expect.p, len);
			assert_int_equal(sl_resp_out_mem(&o), 0);
			free(got);
			free(expect.p);
			assert_int_equal(sl_resp_write_status(&o, "PONG", 4), 0);
			if (chunks[c] >= 7)
				assert_int_equal(sl_resp_out_mem(&o),
						 sizeof(struct sl_resp_chunk) + chunks[c]);
			got = drain(&o, &len);
			assert_int_equal(len, 7);
			assert_memory_equal(got, "+PONG\r\n", 7);
			free(got);
		}
		sl_resp_out_deinit(&o);
		assert_int_equal(ca.live, 0);
	}
	free(val);
}

static void test_write_chain_and_refs(void **state)
{
	struct counting_alloc ca = {0};
	struct sl_resp_alloc_ops ops = {ca_alloc, ca_free, &ca};
	struct sl_resp_out o;
	struct release_log big = {0}, small = {0};
	const size_t vlen = 4000;
	char *val = malloc(vlen);
	struct iovec iov[16];
	size_t n, len, hs = sizeof(struct sl_resp_chunk);
	char *got;
	struct strbuf expect = {0};

	(void)state;
	assert_non_null(val);
	memset(val, 'v', vlen);
	sl_resp_out_init(&o, &ops);
	o.chunk_size = 8;
	assert_int_equal(sl_resp_out_mem(&o), 0);
	/* "+OK\r\n" (5) then ":12345\r\n" (8): the second spills into a new
	 * 8-byte chunk */
	assert_int_equal(sl_resp_write_status(&o, "OK", 2), 0);
	assert_int_equal(sl_resp_out_mem(&o), hs + 8);
	assert_int_equal(sl_resp_write_int(&o, 12345), 0);
	assert_int_equal(sl_resp_out_mem(&o), 2 * (hs + 8));
	assert_int_equal(sl_resp_out_pending(&o), 13);
	/* a big value goes by reference */
	assert_int_equal(sl_resp_write_bulk_ref(&o, val, vlen, on_release, &big), 0);
	assert_int_equal(big.calls, 0);
	/* a small one is copied and released at once */
	assert_int_equal(sl_resp_write_bulk_ref(&o, "tiny", 4, on_release, &small), 0);
	assert_int_equal(small.calls, 1);
	assert_int_equal(small.len, 4);
	/* chunks: 3 copy chunks of 8 ("$4000\r\n" spilled into the third),
	 * then the reference chunk whose 64-byte tail took "\r\n$4\r\ntiny\r\n" */
	assert_int_equal(sl_resp_out_mem(&o), 3 * (hs + 8) + hs + SL_RESP_REF_TAIL + vlen);

	sb_str(&expect, "+OK\r\n:12345\r\n$4000\r\n");
	sb_add(&expect, val, vlen);
	sb_str(&expect, "\r\n$4\r\ntiny\r\n");
	got = gather(&o, &len);
	assert_int_equal(len, expect.len);
	assert_memory_equal(got, expect.p, len);
	free(got);
	assert_int_equal(sl_resp_out_pending(&o), expect.len);
	assert_int_equal(ca.live, (int64_t)sl_resp_out_mem(&o) - (int64_t)vlen);
	/* the referenced bytes are the caller's memory, not a copy */
	n = sl_resp_out_peek(&o, iov, 16);
	assert_true(n >= 4);
	{
		bool found = false;

		for (size_t i = 0; i < n; i++)
			if (iov[i].iov_base == (void *)val && iov[i].iov_len == vlen)
				found = true;
		assert_true(found);
	}
	/* partial consumption: through the middle of the value */
	sl_resp_out_consume(&o, 13 + 7 + 100);
	assert_int_equal(big.calls, 0);
	assert_int_equal(sl_resp_out_pending(&o), expect.len - 120);
	n = sl_resp_out_peek(&o, iov, 1);
	assert_int_equal(n, 1);
	assert_ptr_equal(iov[0].iov_base, val + 100);
	assert_int_equal(iov[0].iov_len, vlen - 100);
	sl_resp_out_consume(&o, vlen - 100);
	assert_int_equal(big.calls, 1);
	assert_ptr_equal(big.ptr, val);
	assert_int_equal(big.len, vlen);
	/* released as soon as sent: only the reference chunk's tail is left */
	assert_int_equal(sl_resp_out_mem(&o), hs + SL_RESP_REF_TAIL);
	assert_int_equal(sl_resp_out_pending(&o), 12);
	assert_int_equal(ca.live, (int64_t)sl_resp_out_mem(&o));
	sl_resp_out_consume(&o, 1000); /* more than pending: clamps */
	assert_int_equal(sl_resp_out_pending(&o), 0);
	assert_int_equal(sl_resp_out_mem(&o), 0);
	assert_int_equal(ca.live, 0);
	assert_int_equal(sl_resp_out_peek(&o, iov, 16), 0);

	/* deinit releases a reference that was never sent */
	big.calls = 0;
	assert_int_equal(sl_resp_write_bulk_ref(&o, val, vlen, on_release, &big), 0);
	assert_int_equal(sl_resp_out_mem(&o), (hs + 8) + (hs + SL_RESP_REF_TAIL + vlen));
	sl_resp_out_deinit(&o);
	assert_int_equal(big.calls, 1);
	assert_int_equal(ca.live, 0);

	/* allocation failure: -ENOMEM and the reference is released */
	sl_resp_out_init(&o, &ops);
	ca.calls = 0;
	ca.fail_after = 1;
	big.calls = 0;
	assert_int_equal(sl_resp_write_bulk_ref(&o, val, vlen, on_release, &big), -ENOMEM);
	assert_int_equal(big.calls, 1);
	assert_int_equal(sl_resp_write_int(&o, 1), -ENOMEM);
	sl_resp_out_deinit(&o);
	assert_int_equal(ca.live, 0);
	free(expect.p);
	free(val);
}

/* Back-to-back references: each header rides in the previous chunk's tail. */
static void test_write_refs_back_to_back(void **state)
{
	struct sl_resp_out o;
	struct release_log rel = {0};
	static char a[2000], b[3000];
	size_t hs = sizeof(struct sl_resp_chunk), len;
	struct iovec iov[8];
	struct strbuf expect = {0};
	char *got;

	(void)state;
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	sl_resp_out_init(&o, NULL);
	assert_int_equal(sl_resp_write_array_len(&o, 3), 0);
	assert_int_equal(sl_resp_write_bulk_ref(&o, a, sizeof(a), on_release, &rel), 0);
	assert_int_equal(sl_resp_write_bulk_ref(&o, b, sizeof(b), on_release, &rel), 0);
	assert_int_equal(sl_resp_write_int(&o, 1), 0);
	assert_int_equal(rel.calls, 0);
	assert_int_equal(sl_resp_out_mem(&o), (hs + SL_RESP_CHUNK_BYTES) +
						      2 * (hs + SL_RESP_REF_TAIL) + sizeof(a) +
						      sizeof(b));
	sb_str(&expect, "*3\r\n$2000\r\n");
	sb_add(&expect, a, sizeof(a));
	sb_str(&expect, "\r\n$3000\r\n");
	sb_add(&expect, b, sizeof(b));
	sb_str(&expect, "\r\n:1\r\n");
	got = gather(&o, &len);
	assert_int_equal(len, expect.len);
	assert_memory_equal(got, expect.p, len);
	free(got);
	/* pieces: header chunk, a, tail, b, tail */
	assert_int_equal(sl_resp_out_peek(&o, iov, 8), 5);
	assert_int_equal(sl_resp_out_peek(&o, iov, 2), 2);
	assert_ptr_equal(iov[1].iov_base, a);
	sl_resp_out_consume(&o, expect.len);
	assert_int_equal(rel.calls, 2);
	assert_int_equal(sl_resp_out_mem(&o), 0);
	sl_resp_out_deinit(&o);
	free(expect.p);
}

static void test_write_deferred(void **state)
{
	static const struct {
		int proto;
		enum sl_resp_agg kind;
		const char *expect;
	} cases[] = {
		{2, SL_RESP_AGG_ARRAY, "+a\r\n*2\r\n$1\r\nx\r\n:7\r\n"},
		{3, SL_RESP_AGG_ARRAY, "+a\r\n*2\r\n$1\r\nx\r\n:7\r\n"},
		{2, SL_RESP_AGG_MAP, "+a\r\n*4\r\n$1\r\nx\r\n:7\r\n"},
		{3, SL_RESP_AGG_MAP, "+a\r\n%2\r\n$1\r\nx\r\n:7\r\n"},
		{2, SL_RESP_AGG_SET, "+a\r\n*2\r\n$1\r\nx\r\n:7\r\n"},
		{3, SL_RESP_AGG_SET, "+a\r\n~2\r\n$1\r\nx\r\n:7\r\n"},
		{3, SL_RESP_AGG_PUSH, "+a\r\n>2\r\n$1\r\nx\r\n:7\r\n"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sl_resp_out o;
		struct sl_resp_chunk *h;
		size_t len;
		char *got;

		sl_resp_out_init(&o, NULL);
		assert_int_equal(sl_resp_out_set_proto(&o, cases[i].proto), 0);
		assert_int_equal(sl_resp_write_status(&o, "a", 1), 0);
		h = sl_resp_write_deferred_len(&o);
		assert_non_null(h);
		assert_int_equal(sl_resp_write_bulk(&o, "x", 1), 0);
		assert_int_equal(sl_resp_write_int(&o, 7), 0);
		/* only what precedes the reserved header may leave */
		got = gather(&o, &len);
		assert_int_equal(len, 4);
		assert_memory_equal(got, "+a\r\n", 4);
		free(got);
		sl_resp_out_consume(&o, 4);
		assert_int_equal(sl_resp_set_deferred_len(&o, h, cases[i].kind, 2), 0);
		assert_int_equal(sl_resp_set_deferred_len(&o, h, cases[i].kind, 2), -EINVAL);
		got = gather(&o, &len);
		assert_int_equal(len, strlen(cases[i].expect) - 4);
		assert_memory_equal(got, cases[i].expect + 4, len);
		assert_int_equal(sl_resp_out_pending(&o), len);
		free(got);
		sl_resp_out_consume(&o, len);
		assert_int_equal(sl_resp_out_mem(&o), 0);
		sl_resp_out_deinit(&o);
	}
}

/* ------------------------------------------------------------------------ */
/* Round trip: parse(compose(argv))                                         */
/* ------------------------------------------------------------------------ */

static void test_round_trip(void **state)
{
	struct sl_resp_limits lim;

	(void)state;
	sl_resp_limits_default(&lim);
	for (int iter = 0; iter < 300; iter++) {
		struct sl_resp_out o;
		struct strbuf expect = {0};
		int nreq = 1 + (int)(rnd() % 4);
		char *wire;
		size_t wlen;

		sl_resp_out_init(&o, NULL);
		sb_add(&expect, "", 0);
		for (int r = 0; r < nreq; r++) {
			int argc = 1 + (int)(rnd() % 12);

			assert_int_equal(sl_resp_write_array_len(&o, (uint64_t)argc), 0);
			sb_str(&expect, "[");
			for (int a = 0; a < argc; a++) {
				size_t len = rnd() % 6 == 0 ? rnd() % 40000 : rnd() % 40;
				char *arg = malloc(len + 1);

				for (size_t k = 0; k < len; k++)
					arg[k] = (char)rnd();
				assert_int_equal(sl_resp_write_bulk(&o, arg, len), 0);
				if (a > 0)
					sb_str(&expect, " ");
				describe_arg(&expect, arg, len);
				free(arg);
			}
			sb_str(&expect, "]");
		}
		sb_str(&expect, "AGAIN");
		wire = gather(&o, &wlen);
		{
			size_t cuts[6];
			size_t n = rnd() % 6;
			char *got;

			for (size_t i = 0; i < n; i++)
				cuts[i] = (i == 0 ? 0 : cuts[i - 1]) + rnd() % (wlen / (n + 1) + 1);
			got = run_parser(wire, wlen, cuts, n, true, &lim);
			assert_string_equal(got, expect.p);
			free(got);
		}
		free(wire);
		free(expect.p);
		sl_resp_out_deinit(&o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_line_limits),
		cmocka_unit_test(test_parse_small_limits),
		cmocka_unit_test(test_parse_fast_path_edges),
		cmocka_unit_test(test_parse_query_buf_rule),
		cmocka_unit_test(test_parse_random_streams),
		cmocka_unit_test(test_parse_in_place),
		cmocka_unit_test(test_parse_big_bulk_dest),
		cmocka_unit_test(test_parse_query_buf_limit),
		cmocka_unit_test(test_parse_nomem),
		cmocka_unit_test(test_parse_many_args),
		cmocka_unit_test(test_write_table),
		cmocka_unit_test(test_write_format_helpers),
		cmocka_unit_test(test_write_bulk_lengths),
		cmocka_unit_test(test_write_chain_and_refs),
		cmocka_unit_test(test_write_refs_back_to_back),
		cmocka_unit_test(test_write_deferred),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
