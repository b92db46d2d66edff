/*
 * CLIENT: ID GETNAME SETNAME INFO LIST KILL NO-EVICT REPLY HELP, with Redis
 * 7.0 texts (networking.c clientCommand). LIST and KILL see the clients of
 * the worker that runs the command (the engine's registry); the kernel
 * transport runs one worker, so that is every client. Fields Redis derives
 * from its own buffers are reported from sluice's equivalents: qbuf is what
 * the parser holds, omem/tot-mem the reply chain's exact memory; the
 * fields with no sluice counterpart (pubsub, MULTI, read buffer) report
 * Redis's idle values.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "dataplane/cmd/cmd_priv.h"

static void client_id(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argv;
	(void)argc;
	reply_int(c, (int64_t)c->id);
}

static void client_getname(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argv;
	(void)argc;
	if (c->name == NULL)
		reply_null(c);
	else
		reply_bulk(c, c->name, strlen(c->name));
}

static void client_setname(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	if (!client_name_valid(&argv[2])) {
		reply_error(c, "-ERR Client names cannot contain spaces, newlines or special "
			       "characters.");
		return;
	}
	if (client_set_name(c, &argv[2]) == 0)
		reply_ok(c);
}

int sl_client_describe(const struct sl_client *c, uint64_t now, char *buf, size_t size)
{
	uint64_t qbuf = sl_resp_parser_buffered(&c->parser);
	uint64_t omem = sl_resp_out_mem(&c->out);
	uint64_t argv_mem = sl_resp_parser_mem(&c->parser);
	char cmd[64], addr[SL_CLIENT_ADDR_MAX], laddr[SL_CLIENT_ADDR_MAX];
	int w;

	sl_client_addr_format(c, false, addr);
	sl_client_addr_format(c, true, laddr);

	if (c->last_cmd == 0 || c->last_cmd > sl_cmd_table_len)
		snprintf(cmd, sizeof(cmd), "NULL");
	else
		snprintf(cmd, sizeof(cmd), "%s%s%s", sl_cmd_table[c->last_cmd - 1].name,
			 c->last_sub[0] != '\0' ? "|" : "", c->last_sub);

	w = snprintf(buf, size,
		     "id=%llu addr=%s laddr=%s fd=%d name=%s age=%llu idle=%llu flags=%s db=0 "
		     "sub=0 psub=0 ssub=0 multi=-1 qbuf=%llu qbuf-free=0 argv-mem=%llu "
		     "multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=%llu tot-mem=%llu events=r "
		     "cmd=%s user=default redir=-1 resp=%u\n",
		     (unsigned long long)c->id, addr, laddr, c->fd, sl_client_name(c),
		     (unsigned long long)((now - SL_MIN(now, c->ctime_ms)) / 1000),
		     (unsigned long long)((now - SL_MIN(now, c->last_ms)) / 1000),
		     (c->flags & SL_CLIENT_NO_EVICT) ? "e" : "N", (unsigned long long)qbuf,
		     (unsigned long long)argv_mem, (unsigned long long)omem,
		     (unsigned long long)(sizeof(*c) + argv_mem + omem), cmd,
		     (unsigned)c->out.proto);
	if (w < 0)
		return 0;
	return w < (int)size ? w : (int)size - 1;
}

static void reply_text(struct sl_client *c, const char *s, size_t n)
{
	if (sl_resp_write_verbatim(&c->out, s, n, "txt") != 0)
		c->flags |= SL_CLIENT_CLOSE_NOW;
}

static void client_info(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	char line[1024];

	(void)argv;
	(void)argc;
	reply_text(c, line, (size_t)sl_client_describe(c, c->eng->now_ms, line, sizeof(line)));
}

/* Redis getClientTypeByName: 0 normal, 1 replica, 2 pubsub, 3 master, -1 unknown. */
static int client_type(const struct sl_resp_arg *a)
{
	if (arg_is(a, "normal"))
		return 0;
	if (arg_is(a, "slave") || arg_is(a, "replica"))
		return 1;
	if (arg_is(a, "pubsub"))
		return 2;
	if (arg_is(a, "master"))
		return 3;
	return -1;
}

static void client_list(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	const struct sl_client *x;
	uint64_t *ids = NULL;
	uint32_t nids = 0, j;
	int type = 0;
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (argc == 4 && arg_is(&argv[2], "type")) {
		type = client_type(&argv[3]);
		if (type == -1) {
			reply_errorf(c, "-ERR Unknown client type '%.*s'",
				     (int)SL_MIN(argv[3].len, 128), argv[3].ptr);
			return;
		}
	} else if (argc > 3 && arg_is(&argv[2], "id")) {
		ids = malloc((argc - 3) * sizeof(*ids));
		if (ids == NULL) {
			c->flags |= SL_CLIENT_CLOSE_NOW;
			return;
		}
		for (j = 3; j < argc; j++) {
			long long id;

			if (parse_ll(&argv[j], &id) != 0) {
				free(ids);
				reply_error(c, "-ERR Invalid client ID");
				return;
			}
			ids[nids++] = (uint64_t)id;
		}
	} else if (argc != 2) {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	/* Only normal clients exist in sluice: other types list nothing. */
	for (x = type == 0 ? c->eng->clients : NULL; x != NULL; x = x->reg_next) {
		char line[1024];
		int n;

		if (ids != NULL) {
			for (j = 0; j < nids && ids[j] != x->id; j++)
				;
			if (j == nids)
				continue;
		}
		n = sl_client_describe(x, c->eng->now_ms, line, sizeof(line));
		if (len + (size_t)n > cap) {
			size_t ncap = cap == 0 ? 4096 : cap * 2;
			char *nb;

			while (ncap < len + (size_t)n)
				ncap *= 2;
			nb = realloc(buf, ncap);
			if (nb == NULL) {
				free(buf);
				free(ids);
				c->flags |= SL_CLIENT_CLOSE_NOW;
				return;
			}
			buf = nb;
			cap = ncap;
		}
		memcpy(buf + len, line, (size_t)n);
		len += (size_t)n;
	}
	reply_text(c, buf != NULL ? buf : "", len);
	free(buf);
	free(ids);
}

struct kill_filter {
	uint64_t id; /* 0: any */
	const struct sl_resp_arg *addr, *laddr;
	int type; /* -1: any */
	int skipme;
};

static uint64_t kill_matching(struct sl_client *c, const struct kill_filter *f)
{
	struct sl_client *x;
	uint64_t killed = 0;

	for (x = c->eng->clients; x != NULL; x = x->reg_next) {
		if (f->id != 0 && x->id != f->id)
			continue;
		if (f->addr != NULL && !sl_client_addr_is(x, false, f->addr->ptr, f->addr->len))
			continue;
		if (f->laddr != NULL && !sl_client_addr_is(x, true, f->laddr->ptr, f->laddr->len))
			continue;
		if (f->type != -1 && f->type != 0)
			continue; /* every sluice client is "normal" */
		if (x == c && f->skipme)
			continue;
		if (x->flags & (SL_CLIENT_KILLED | SL_CLIENT_CLOSE_NOW))
			continue; /* already going */
		if (x == c) {
			c->flags |= SL_CLIENT_CLOSE_AFTER_REPLY;
		} else {
			x->flags |= SL_CLIENT_KILLED;
			c->eng->killed++;
		}
		killed++;
	}
	return killed;
}

static void client_kill(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	struct kill_filter f = {0, NULL, NULL, -1, 1};
	uint32_t i;

	if (argc == 3) {
		/* The old form CLIENT KILL ip:port; it can kill the caller itself. */
		f.addr = &argv[2];
		f.skipme = 0;
		if (kill_matching(c, &f) == 0)
			reply_error(c, "-ERR No such client");
		else
			reply_ok(c);
		return;
	}
	for (i = 2; i < argc; i += 2) {
		const struct sl_resp_arg *o = &argv[i], *v;

		if (i + 1 >= argc) {
			reply_error(c, ERR_SYNTAX);
			return;
		}
		v = &argv[i + 1];
		if (arg_is(o, "id")) {
			long long id;

			if (parse_ll(v, &id) != 0 || id < 1) {
				reply_error(c, "-ERR client-id should be greater than 0");
				return;
			}
			f.id = (uint64_t)id;
		} else if (arg_is(o, "type")) {
			f.type = client_type(v);
			if (f.type == -1) {
				reply_errorf(c, "-ERR Unknown client type '%.*s'",
					     (int)SL_MIN(v->len, 128), v->ptr);
				return;
			}
		} else if (arg_is(o, "addr")) {
			f.addr = v;
		} else if (arg_is(o, "laddr")) {
			f.laddr = v;
		} else if (arg_is(o, "user")) {
			/* Only the "default" user exists; every client is it. */
			if (!(v->len == 7 && memcmp(v->ptr, "default", 7) == 0)) {
				reply_errorf(c, "-ERR No such user '%.*s'",
					     (int)SL_MIN(v->len, 128), v->ptr);
				return;
			}
		} else if (arg_is(o, "skipme")) {
			if (arg_is(v, "yes")) {
				f.skipme = 1;
			} else if (arg_is(v, "no")) {
				f.skipme = 0;
			} else {
				reply_error(c, ERR_SYNTAX);
				return;
			}
		} else {
			reply_error(c, ERR_SYNTAX);
			return;
		}
	}
	reply_int(c, (int64_t)kill_matching(c, &f));
}

static void client_no_evict(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	/* sluice never evicts clients (no maxmemory-clients): the flag is recorded only. */
	if (arg_is(&argv[2], "on")) {
		c->flags |= SL_CLIENT_NO_EVICT;
	} else if (arg_is(&argv[2], "off")) {
		c->flags &= ~SL_CLIENT_NO_EVICT;
	} else {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	reply_ok(c);
}

static void client_reply(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	if (arg_is(&argv[2], "on")) {
		c->flags &=
			~(SL_CLIENT_REPLY_OFF | SL_CLIENT_REPLY_SKIP | SL_CLIENT_REPLY_SKIP_NEXT);
		reply_ok(c);
	} else if (arg_is(&argv[2], "off")) {
		c->flags |= SL_CLIENT_REPLY_OFF;
	} else if (arg_is(&argv[2], "skip")) {
		if (!(c->flags & SL_CLIENT_REPLY_OFF))
			c->flags |= SL_CLIENT_REPLY_SKIP_NEXT;
	} else {
		reply_error(c, ERR_SYNTAX);
	}
}

static void client_help(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	static const char *const lines[] = {
		"GETNAME",
		"    Return the name of the current connection.",
		"ID",
		"    Return the ID of the current connection.",
		"INFO",
		"    Return information about the current client connection.",
		"KILL <ip:port>",
		"    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Kill connections. Options are:",
		"    * ADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made from the specified address",
		"    * LADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made to specified local address",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Kill connections by type.",
		"    * USER <username>",
		"      Kill connections authenticated by <username>.",
		"    * SKIPME (YES|NO)",
		"      Skip killing current connection (default: yes).",
		"LIST [options ...]",
		"    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Return clients of specified type.",
		"REPLY (ON|OFF|SKIP)",
		"    Control the replies sent to the current connection.",
		"SETNAME <name>",
		"    Assign the name <name> to the current connection.",
		"NO-EVICT (ON|OFF)",
		"    Protect current client connection from eviction.",
		NULL,
	};

	(void)argv;
	(void)argc;
	reply_help(c, "CLIENT", lines);
}

void cmd_client(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	/* SETINFO is Redis 7.2: unknown here, as in 7.0. */
	static const struct subcmd_def subs[] = {
		{"id", 2, client_id},
		{"getname", 2, client_getname},
		{"setname", 3, client_setname},
		{"info", 2, client_info},
		{"list", -2, client_list},
		{"kill", -3, client_kill},
		{"no-evict", 3, client_no_evict},
		{"reply", 3, client_reply},
		{"help", 2, client_help},
	};

	dispatch_sub(c, argv, argc, subs, SL_ARRAY_SIZE(subs), "CLIENT");
}
