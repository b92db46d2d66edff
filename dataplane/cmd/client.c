/*
 * Request processing: parse, look up, check arity and authentication, run,
 * count. Replies go to the client's output chain; errors that Redis answers
 * with a reply keep the connection, protocol errors close it after the reply.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/cmd/cmd_priv.h"

void sl_engine_shared_defaults(struct sl_engine_shared *s)
{
	memset(s, 0, sizeof(*s));
	sl_resp_limits_default(&s->limits);
	atomic_init(&s->next_client_id, 1);
	s->tcp_port = 6379;
	s->transport_name = "kernel";
}

int sl_engine_init(struct sl_engine *e, struct sl_store *store, unsigned self,
		   struct sl_engine_shared *shared)
{
	memset(e, 0, sizeof(*e));
	e->store = store;
	e->self = self;
	e->shared = shared;
	e->cmd_calls = calloc(sl_cmd_table_len, sizeof(*e->cmd_calls));
	return e->cmd_calls == NULL ? -ENOMEM : 0;
}

void sl_engine_deinit(struct sl_engine *e)
{
	free(e->cmd_calls);
	e->cmd_calls = NULL;
}

void sl_client_init(struct sl_client *c, struct sl_engine *e, const char *addr, uint64_t now_ms)
{
	memset(c, 0, sizeof(*c));
	c->eng = e;
	c->id = atomic_fetch_add(&e->shared->next_client_id, 1);
	sl_resp_parser_init(&c->parser, &e->shared->limits, NULL);
	sl_resp_out_init(&c->out, NULL);
	if (e->shared->requirepass_len == 0) {
		c->flags |= SL_CLIENT_AUTHENTICATED;
		sl_resp_parser_set_auth(&c->parser, true);
	}
	snprintf(c->addr, sizeof(c->addr), "%s", addr != NULL ? addr : "");
	c->ctime_ms = c->last_ms = now_ms;
	e->stats.connections_received++;
	e->stats.connected_clients++;
}

void sl_client_deinit(struct sl_client *c)
{
	c->eng->stats.connected_clients--;
	sl_resp_parser_deinit(&c->parser);
	sl_resp_out_deinit(&c->out);
}

/* ---- reply helpers ---- */

static void check(struct sl_client *c, int rc)
{
	/* Out of memory for a reply: the reply stream would be corrupt, so close. */
	if (rc != 0)
		c->flags |= SL_CLIENT_CLOSE_NOW;
}

void reply_error(struct sl_client *c, const char *text)
{
	check(c, sl_resp_write_error(&c->out, text, strlen(text)));
}

void reply_errorf(struct sl_client *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	check(c, sl_resp_write_error(&c->out, buf,
				     (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1));
}

void reply_ok(struct sl_client *c)
{
	check(c, sl_resp_write_status(&c->out, "OK", 2));
}

void reply_status(struct sl_client *c, const char *s)
{
	check(c, sl_resp_write_status(&c->out, s, strlen(s)));
}

void reply_int(struct sl_client *c, int64_t v)
{
	check(c, sl_resp_write_int(&c->out, v));
}

void reply_bulk(struct sl_client *c, const void *p, size_t len)
{
	check(c, sl_resp_write_bulk(&c->out, p, len));
}

void reply_null(struct sl_client *c)
{
	check(c, sl_resp_write_null(&c->out));
}

void reply_array_len(struct sl_client *c, uint64_t n)
{
	check(c, sl_resp_write_array_len(&c->out, n));
}

void reply_store_error(struct sl_client *c, int rc)
{
	switch (rc) {
	case -EPROTOTYPE:
		reply_error(c, ERR_WRONGTYPE);
		break;
	case -EINVAL:
		reply_error(c, ERR_NOT_INT);
		break;
	case -EOVERFLOW:
		reply_error(c, ERR_OVERFLOW);
		break;
	case -ENOSPC:
		check(c,
		      sl_resp_write_raw(&c->out, SL_STORE_OOM_REPLY, strlen(SL_STORE_OOM_REPLY)));
		break;
	case -EXDEV:
		/* A key owned by another partition reached a path that does not ship yet. */
		reply_error(c, "-ERR internal error: key owned by another worker");
		break;
	default:
		reply_errorf(c, "-ERR internal error (%s)", strerror(rc < 0 ? -rc : rc));
		break;
	}
}

/* ---- argument parsing (Redis util.c string2ll / string2ld rules) ---- */

int parse_ll(const struct sl_resp_arg *a, long long *out)
{
	const char *p = a->ptr;
	size_t n = a->len, i = 0;
	unsigned long long v = 0;
	int neg = 0;

	if (n == 0 || n > 20)
		return -EINVAL;
	if (n == 1 && p[0] == '0') {
		*out = 0;
		return 0;
	}
	if (p[0] == '-') {
		neg = 1;
		i = 1;
		if (n == 1)
			return -EINVAL;
	}
	if (p[i] < '1' || p[i] > '9')
		return -EINVAL;
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		if (v > (ULLONG_MAX - (unsigned)(p[i] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (neg) {
		if (v > (unsigned long long)LLONG_MAX + 1)
			return -EINVAL;
		*out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
	} else {
		if (v > LLONG_MAX)
			return -EINVAL;
		*out = (long long)v;
	}
	return 0;
}

int parse_ld(const struct sl_resp_arg *a, long double *out)
{
	char buf[SL_RESP_LD_MAX];
	char *end;
	long double v;

	if (a->len == 0 || a->len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, a->ptr, a->len);
	buf[a->len] = '\0';
	errno = 0;
	v = strtold(buf, &end);
	if (isspace((unsigned char)buf[0]) || *end != '\0' ||
	    (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
	    errno == EINVAL || isnan(v))
		return -EINVAL;
	*out = v;
	return 0;
}

int get_ll_or_reply(struct sl_client *c, const struct sl_resp_arg *a, long long *out)
{
	if (parse_ll(a, out) != 0) {
		reply_error(c, ERR_NOT_INT);
		return -EINVAL;
	}
	return 0;
}

/* ---- dispatch ---- */

static void unknown_command(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	char args[512];
	size_t n = 0;
	uint32_t i;

	/* Redis: each argument quoted, until the list reaches 128 bytes. */
	args[0] = '\0';
	for (i = 1; i < argc && n < 128; i++) {
		int room = 128 - (int)n;
		int w = snprintf(args + n, sizeof(args) - n, "'%.*s' ",
				 (int)(argv[i].len < (size_t)room ? argv[i].len : (size_t)room),
				 argv[i].ptr);

		if (w < 0)
			break;
		n += (size_t)w;
	}
	c->eng->stats.unknown_commands++;
	reply_errorf(c, "-ERR unknown command '%.*s', with args beginning with: %s",
		     (int)(argv[0].len < 128 ? argv[0].len : 128), argv[0].ptr, args);
}

static void run(struct sl_client *c)
{
	const struct sl_resp_arg *argv = c->parser.argv;
	uint32_t argc = c->parser.argc;
	const struct cmd_def *cmd = sl_cmd_lookup(argv[0].ptr, argv[0].len);

	if (cmd == NULL) {
		unknown_command(c, argv, argc);
		return;
	}
	if ((cmd->arity > 0 && argc != (uint32_t)cmd->arity) ||
	    (cmd->arity < 0 && argc < (uint32_t)-cmd->arity)) {
		reply_errorf(c, "-ERR wrong number of arguments for '%s' command", cmd->name);
		return;
	}
	if (!(c->flags & SL_CLIENT_AUTHENTICATED) && !(cmd->flags & CMD_NOAUTH)) {
		reply_error(c, ERR_NOAUTH);
		return;
	}
	c->eng->cmd_calls[cmd - sl_cmd_table]++;
	c->eng->stats.commands++;
	cmd->fn(c, argv, argc);
}

int sl_client_input(struct sl_client *c, const char *buf, size_t len, uint64_t now_ms, bool *held)
{
	size_t off = 0, used;

	c->eng->now_ms = now_ms;
	c->last_ms = now_ms;
	*held = false;
	for (;;) {
		enum sl_resp_status st = sl_resp_parse(&c->parser, buf + off, len - off, &used);

		if (st == SL_RESP_AGAIN) {
			/* The request in progress may point into buf. */
			*held = sl_resp_parser_buffered(&c->parser) > 0;
			return 0;
		}
		if (st == SL_RESP_ERROR) {
			const char *text = sl_resp_parser_error(&c->parser);

			c->eng->stats.rejected_protocol++;
			if (text != NULL) {
				reply_errorf(c, "-ERR %s", text);
				c->flags |= SL_CLIENT_CLOSE_AFTER_REPLY;
			} else {
				c->flags |= SL_CLIENT_CLOSE_NOW;
			}
			return -EPIPE;
		}
		off += used;
		run(c);
		if (c->flags & (SL_CLIENT_CLOSE_AFTER_REPLY | SL_CLIENT_CLOSE_NOW))
			return -EPIPE;
	}
}
