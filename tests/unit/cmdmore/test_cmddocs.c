/*
 * COMMAND DOCS against redis-server 7.0.15's own replies.
 *
 * cmddocs_expected.txt holds, for every command and subcommand sluice
 * implements, the bytes redis-server 7.0.15 answered to `COMMAND DOCS
 * <name>` in RESP2 and in RESP3 (gen_cmddocs.py writes it from a live
 * server; a container's subcommands are kept to sluice's and sorted, see
 * there). Each request goes through sluice's engine and must answer the
 * same bytes. COMMAND DOCS without names, and with several (known and
 * unknown), must be the same entries put together as Redis does.
 *
 * cmdinfo_expected.txt does the same for COMMAND INFO <name> (flags, key
 * positions, ACL categories, tips, key specs, subcommands);
 * COMMAND and COMMAND INFO without names are those entries in table order.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <cmocka.h>

#include "dataplane/cmd/cmd.h"
#include "dataplane/cmd/cmd_priv.h"

#define NOW 1700000000000ull

struct record {
	char name[64];
	int proto;
	const char *reply; /* into the file buffer */
	size_t len;
};

struct expected {
	char *buf;
	struct record records[512];
	unsigned n;
};

static struct expected docs_exp, info_exp;

struct fx {
	struct sl_store *store;
	struct sl_engine_shared shared;
	struct sl_engine eng;
	struct sl_client cl;
	char *out;
	size_t out_cap;
};

static void load_file(struct expected *x, const char *env)
{
	const char *path = getenv(env);
	FILE *f;
	long size;
	char *p, *end;

	assert_non_null(path);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size > 0);
	rewind(f);
	x->buf = malloc((size_t)size + 1);
	assert_non_null(x->buf);
	assert_int_equal(fread(x->buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	x->buf[size] = '\0';
	/* "<name> <proto> <len>\n<len bytes>\n" */
	for (p = x->buf, end = x->buf + size; p < end; x->n++) {
		struct record *r = &x->records[x->n];
		unsigned long len;
		int used = 0;

		assert_true(x->n < SL_ARRAY_SIZE(x->records));
		assert_int_equal(sscanf(p, "%63s %d %lu\n%n", r->name, &r->proto, &len, &used), 3);
		assert_true(used > 0 && p + used + len + 1 <= end);
		r->reply = p + used;
		r->len = len;
		p += used + len;
		assert_int_equal(*p, '\n');
		p++;
	}
	assert_true(x->n > 0);
}

static int load_expected(void **state)
{
	(void)state;
	load_file(&docs_exp, "SL_CMDDOCS_EXPECTED");
	load_file(&info_exp, "SL_CMDINFO_EXPECTED");
	return 0;
}

static int free_expected(void **state)
{
	(void)state;
	free(docs_exp.buf);
	free(info_exp.buf);
	return 0;
}

static const struct record *find_record(const struct expected *x, const char *name, int proto)
{
	unsigned i;

	for (i = 0; i < x->n; i++)
		if (x->records[i].proto == proto && strcmp(x->records[i].name, name) == 0)
			return &x->records[i];
	return NULL;
}

static int setup(void **state)
{
	struct sl_store_config sc;
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	sl_store_config_default(&sc);
	f->store = sl_store_create(&sc);
	assert_non_null(f->store);
	assert_int_equal(sl_store_reader_online(f->store, 0), 0);
	sl_engine_shared_defaults(&f->shared);
	sl_engine_shared_set_store_config(&f->shared, &sc);
	f->shared.start_ms = NOW;
	assert_int_equal(sl_engine_init(&f->eng, f->store, 0, &f->shared), 0);
	sl_client_init(&f->cl, &f->eng, "127.0.0.1:50000", NOW);
	sl_client_set_local(&f->cl, "127.0.0.1:6379", 10);
	f->out_cap = 1 << 20;
	f->out = malloc(f->out_cap);
	assert_non_null(f->out);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->out);
	sl_client_deinit(&f->cl);
	sl_engine_deinit(&f->eng);
	sl_store_reader_offline(f->store, 0);
	sl_store_destroy(&f->store);
	free(f);
	return 0;
}

/* Feeds req (len bytes) to the client; returns all it replied (f->out). */
static const char *exchange(struct fx *f, const char *req, size_t req_len, size_t *len)
{
	struct iovec iov[16];
	size_t n = 0, k, i;
	bool held;

	sl_client_input(&f->cl, req, req_len, NOW + 1000, &held);
	while ((k = sl_resp_out_peek(&f->cl.out, iov, 16)) > 0) {
		size_t done = 0;

		for (i = 0; i < k; i++) {
			assert_true(n + iov[i].iov_len < f->out_cap);
			memcpy(f->out + n, iov[i].iov_base, iov[i].iov_len);
			n += iov[i].iov_len;
			done += iov[i].iov_len;
		}
		sl_resp_out_consume(&f->cl.out, done);
	}
	*len = n;
	return f->out;
}

/* A multibulk request of the given words. */
static size_t build_req(char *buf, size_t cap, const char *const *words, unsigned n)
{
	size_t len = 0;
	unsigned i;

	len += (size_t)snprintf(buf + len, cap - len, "*%u\r\n", n);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len, "$%zu\r\n%s\r\n", strlen(words[i]),
					words[i]);
	assert_true(len < cap);
	return len;
}

static void set_proto(struct fx *f, int proto)
{
	const char *req = proto == 3 ? "HELLO 3\r\n" : "HELLO 2\r\n";
	size_t len;

	exchange(f, req, strlen(req), &len);
	assert_true(len > 0);
}

/* 1 if got equals want; else prints where they part and returns 0. */
static int same_bytes(const char *what, const char *got, size_t got_len, const char *want,
		      size_t want_len)
{
	size_t i;

	if (got_len == want_len && memcmp(got, want, want_len) == 0)
		return 1;
	for (i = 0; i < got_len && i < want_len && got[i] == want[i]; i++)
		;
	print_error("%s: differs from redis-server at byte %zu (got %zu bytes, want %zu)\n"
		    " got: ...%.*s\nwant: ...%.*s\n",
		    what, i, got_len, want_len, (int)(got_len - i < 160 ? got_len - i : 160),
		    got + i, (int)(want_len - i < 160 ? want_len - i : 160), want + i);
	return 0;
}

static void expect_bytes(const char *what, const char *got, size_t got_len, const char *want,
			 size_t want_len)
{
	if (!same_bytes(what, got, got_len, want, want_len))
		fail_msg("%s: replies differ", what);
}

/* Every name, one at a time, both protocols: Redis's bytes for COMMAND <sub> <name>. */
static void each_name(struct fx *f, const struct expected *x, const char *sub)
{
	int proto;
	unsigned i, checked = 0, bad = 0;

	for (proto = 2; proto <= 3; proto++) {
		set_proto(f, proto);
		for (i = 0; i < x->n; i++) {
			const char *words[] = {"COMMAND", sub, x->records[i].name};
			char req[256], what[128];
			size_t rl, len;
			const char *got;

			if (x->records[i].proto != proto)
				continue;
			rl = build_req(req, sizeof(req), words, 3);
			got = exchange(f, req, rl, &len);
			snprintf(what, sizeof(what), "COMMAND %s %.63s (RESP%d)", sub,
				 x->records[i].name, proto);
			bad += !same_bytes(what, got, len, x->records[i].reply, x->records[i].len);
			checked++;
		}
	}
	assert_int_equal(checked, x->n);
	if (bad > 0)
		fail_msg("COMMAND %s: %u of %u replies differ from redis-server's", sub, bad,
			 checked);
}

static void test_docs_each_name(void **state)
{
	each_name(*state, &docs_exp, "DOCS");
}

static void test_info_each_name(void **state)
{
	each_name(*state, &info_exp, "INFO");
}

/* Every command of sluice's table has a record (the file is not stale). */
static void test_every_command_recorded(void **state)
{
	unsigned i;

	(void)state;
	for (i = 0; i < sl_cmd_table_len; i++) {
		if (find_record(&docs_exp, sl_cmd_table[i].name, 2) == NULL ||
		    find_record(&docs_exp, sl_cmd_table[i].name, 3) == NULL ||
		    find_record(&info_exp, sl_cmd_table[i].name, 2) == NULL ||
		    find_record(&info_exp, sl_cmd_table[i].name, 3) == NULL)
			fail_msg("%s has no expected reply: run gen_cmddocs.py gen",
				 sl_cmd_table[i].name);
	}
	/* ...and every subcommand dispatch serves has docs. */
	for (i = 0; i < sl_subcmd_count; i++)
		if (cmd_doc_find(sl_subcmd_names[i], strlen(sl_subcmd_names[i])) == NULL)
			fail_msg("%s has no docs entry", sl_subcmd_names[i]);
}

/* The docs table is sorted: cmd_doc_find is a binary search. */
static void test_docs_sorted(void **state)
{
	unsigned i;

	(void)state;
	for (i = 1; i < sl_cmd_docs_len; i++)
		if (strcmp(sl_cmd_docs[i - 1].name, sl_cmd_docs[i].name) >= 0)
			fail_msg("docs out of order: %s before %s", sl_cmd_docs[i - 1].name,
				 sl_cmd_docs[i].name);
	assert_non_null(cmd_doc_find("CLIENT|List", 11));
	assert_null(cmd_doc_find("client|lis", 10));
	assert_null(cmd_doc_find("client|listx", 12));
}

/* A record's reply without its one-entry map header ("*2\r\n" / "%1\r\n"). */
static void entry_of(const struct record *r, const char **p, size_t *len)
{
	assert_true(r->len > 4);
	assert_memory_equal(r->reply, r->proto == 3 ? "%1\r\n" : "*2\r\n", 4);
	*p = r->reply + 4;
	*len = r->len - 4;
}

/* Appends the entry of name's record to buf. */
static size_t append_entry(char *buf, size_t at, size_t cap, const char *name, int proto)
{
	const struct record *r = find_record(&docs_exp, name, proto);
	const char *p;
	size_t len;

	assert_non_null(r);
	entry_of(r, &p, &len);
	assert_true(at + len < cap);
	memcpy(buf + at, p, len);
	return at + len;
}

/*
 * Several names: Redis answers a map of the ones it knows, in request
 * order, under their full lower-case names; unknown ones are left out.
 */
static void test_several_names(void **state)
{
	static const char *const words[] = {
		"COMMAND",       "DOCS",  "get", "nosuchcommand", "CLIENT|ID",
		"client|nosuch", "get|x", "SET", "config|get",
	};
	static const char *const found[] = {"get", "client|id", "set", "config|get"};
	struct fx *f = *state;
	static char want[1 << 16];
	int proto;

	for (proto = 2; proto <= 3; proto++) {
		char req[512];
		size_t rl, len, wl;
		unsigned i;
		const char *got;

		set_proto(f, proto);
		wl = (size_t)snprintf(want, sizeof(want), proto == 3 ? "%%%u\r\n" : "*%u\r\n",
				      proto == 3 ? 4u : 8u);
		for (i = 0; i < SL_ARRAY_SIZE(found); i++)
			wl = append_entry(want, wl, sizeof(want), found[i], proto);
		rl = build_req(req, sizeof(req), words, SL_ARRAY_SIZE(words));
		got = exchange(f, req, rl, &len);
		expect_bytes(proto == 3 ? "COMMAND DOCS several (RESP3)" : "COMMAND DOCS several",
			     got, len, want, wl);
	}
}

/* No names: every command of the table (the order is sluice's; Redis's is its dict's). */
static void test_all(void **state)
{
	struct fx *f = *state;
	size_t cap = 1 << 20;
	char *want = malloc(cap);
	int proto;

	assert_non_null(want);
	for (proto = 2; proto <= 3; proto++) {
		static const char req[] = "*2\r\n$7\r\nCOMMAND\r\n$4\r\nDOCS\r\n";
		size_t len, wl;
		unsigned i;
		const char *got;

		set_proto(f, proto);
		wl = (size_t)snprintf(want, cap, proto == 3 ? "%%%u\r\n" : "*%u\r\n",
				      proto == 3 ? sl_cmd_table_len : 2 * sl_cmd_table_len);
		for (i = 0; i < sl_cmd_table_len; i++)
			wl = append_entry(want, wl, cap, sl_cmd_table[i].name, proto);
		got = exchange(f, req, sizeof(req) - 1, &len);
		expect_bytes(proto == 3 ? "COMMAND DOCS (RESP3)" : "COMMAND DOCS", got, len, want,
			     wl);
	}
	free(want);
}

/* COMMAND and COMMAND INFO without names: every command of the table, containers with
 * their subcommands (Redis's order is its dict's; sluice's is its table's). */
static void test_info_all(void **state)
{
	static const char *const reqs[] = {
		"*1\r\n$7\r\nCOMMAND\r\n",
		"*2\r\n$7\r\nCOMMAND\r\n$4\r\nINFO\r\n",
	};
	struct fx *f = *state;
	size_t cap = 1 << 20;
	char *want = malloc(cap);
	int proto;
	unsigned k;

	assert_non_null(want);
	for (proto = 2; proto <= 3; proto++) {
		set_proto(f, proto);
		for (k = 0; k < SL_ARRAY_SIZE(reqs); k++) {
			size_t len, wl;
			unsigned i;
			const char *got;

			wl = (size_t)snprintf(want, cap, "*%u\r\n", sl_cmd_table_len);
			for (i = 0; i < sl_cmd_table_len; i++) {
				const struct record *r =
					find_record(&info_exp, sl_cmd_table[i].name, proto);

				assert_non_null(r);
				assert_memory_equal(r->reply, "*1\r\n", 4);
				assert_true(wl + r->len - 4 < cap);
				memcpy(want + wl, r->reply + 4, r->len - 4);
				wl += r->len - 4;
			}
			got = exchange(f, reqs[k], strlen(reqs[k]), &len);
			expect_bytes(k == 0 ? "COMMAND" : "COMMAND INFO", got, len, want, wl);
		}
	}
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docs_sorted),
		cmocka_unit_test(test_every_command_recorded),
		cmocka_unit_test_setup_teardown(test_docs_each_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_info_each_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_info_all, setup, teardown),
	};

	return cmocka_run_group_tests(tests, load_expected, free_expected);
}
