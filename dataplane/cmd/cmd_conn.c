/*
 * Connection and server commands: PING ECHO QUIT RESET HELLO AUTH SELECT
 * COMMAND CLIENT TIME FLUSHALL FLUSHDB INFO, with Redis 7.0 semantics and
 * error texts (networking.c, server.c, acl.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "dataplane/cmd/cmd_priv.h"

void cmd_ping(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	if (argc > 2) {
		reply_errorf(c, "-ERR wrong number of arguments for 'ping' command");
		return;
	}
	if (argc == 2)
		reply_bulk(c, argv[1].ptr, argv[1].len);
	else
		reply_status(c, "PONG");
}

void cmd_echo(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argc;
	reply_bulk(c, argv[1].ptr, argv[1].len);
}

void cmd_quit(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argv;
	(void)argc;
	reply_ok(c);
	c->flags |= SL_CLIENT_CLOSE_AFTER_REPLY;
}

/*
 * Compares a candidate password with the configured one in time that
 * depends only on the configured length, so replies leak nothing about how
 * much of a guess was right.
 */
static int password_ok(const struct sl_engine_shared *s, const char *p, size_t len)
{
	unsigned diff = (unsigned)(len != s->requirepass_len);
	size_t i;

	for (i = 0; i < s->requirepass_len; i++)
		diff |= (unsigned char)s->requirepass[i] ^ (unsigned char)(i < len ? p[i] : 0);
	return diff == 0;
}

static void authenticate(struct sl_client *c)
{
	c->flags |= SL_CLIENT_AUTHENTICATED;
	sl_resp_parser_set_auth(&c->parser, true);
}

/*
 * AUTH failure limiting (Redis has none; docs/security.md explains ours). A
 * connection may fail AUTH/HELLO AUTH AUTH_FAIL_MAX times within
 * AUTH_FAIL_WINDOW_MS of its first failure; its next attempt inside that
 * window is not compared at all: it is answered AUTH_LIMIT_ERR and the
 * connection is closed after the reply, so guessing costs an attacker a new
 * connection (and with it the XDP SYN rate and the per-source caps) every
 * AUTH_FAIL_MAX guesses. Every failed comparison is answered -WRONGPASS and
 * counted in INFO errorstats (errorstat_WRONGPASS) and in the admin STATS
 * (auth_failures).
 *
 * The per-connection state lives in a small table per worker thread, keyed
 * by client id (ids are never reused). A slot is only taken by a failure and
 * is dead once its window is over, so an attacker would need more than
 * AUTH_FAIL_SLOTS connections failing within one window on one worker to
 * make slots collide; a collision only resets that connection's count.
 */
#define AUTH_FAIL_MAX       5
#define AUTH_FAIL_WINDOW_MS 1000
#define AUTH_FAIL_SLOTS     1024 /* power of two */
#define AUTH_LIMIT_ERR                                                                             \
	"-ERR too many AUTH failures on this connection (more than 5 within one second); "         \
	"closing it"

struct auth_fail {
	uint64_t id; /* client id; 0 = free */
	uint64_t since_ms;
	uint32_t count;
};

static _Thread_local struct auth_fail auth_fails[AUTH_FAIL_SLOTS];

static struct auth_fail *auth_fail_slot(const struct sl_client *c)
{
	return &auth_fails[c->id & (AUTH_FAIL_SLOTS - 1)];
}

/* True when c already failed AUTH_FAIL_MAX times in the current window. */
static bool auth_limited(const struct sl_client *c)
{
	const struct auth_fail *f = auth_fail_slot(c);
	uint64_t now = c->eng->now_ms;

	return f->id == c->id && f->count >= AUTH_FAIL_MAX &&
	       now - SL_MIN(now, f->since_ms) < AUTH_FAIL_WINDOW_MS;
}

static void auth_failed(const struct sl_client *c)
{
	struct auth_fail *f = auth_fail_slot(c);
	uint64_t now = c->eng->now_ms;

	if (f->id != c->id || now - SL_MIN(now, f->since_ms) >= AUTH_FAIL_WINDOW_MS) {
		f->id = c->id;
		f->since_ms = now;
		f->count = 0;
	}
	f->count++;
	c->eng->stats.auth_failures++;
}

static void auth_succeeded(const struct sl_client *c)
{
	struct auth_fail *f = auth_fail_slot(c);

	if (f->id == c->id)
		f->id = 0;
}

/* The limited answer: no comparison, close after the reply. */
static void auth_refuse(struct sl_client *c)
{
	reply_error(c, AUTH_LIMIT_ERR);
	c->flags |= SL_CLIENT_CLOSE_AFTER_REPLY;
}

/* AUTH [username] password; only the "default" user exists. */
static int auth_check(struct sl_client *c, const struct sl_resp_arg *user,
		      const struct sl_resp_arg *pass)
{
	const struct sl_engine_shared *s = c->eng->shared;

	if (user != NULL && !(user->len == 7 && memcmp(user->ptr, "default", 7) == 0)) {
		password_ok(s, pass->ptr, pass->len); /* same time either way */
		return -EPERM;
	}
	/* Without requirepass the default user is "nopass": any password opens it. */
	if (s->requirepass_len == 0)
		return 0;
	return password_ok(s, pass->ptr, pass->len) ? 0 : -EPERM;
}

void cmd_auth(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	if (argc > 3) {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	if (argc == 2 && c->eng->shared->requirepass_len == 0) {
		reply_error(c,
			    "-ERR AUTH <password> called without any password configured for the "
			    "default user. Are you sure your configuration is correct?");
		return;
	}
	if (auth_limited(c)) {
		auth_refuse(c);
		return;
	}
	if (auth_check(c, argc == 3 ? &argv[1] : NULL, &argv[argc - 1]) != 0) {
		auth_failed(c);
		reply_error(c, ERR_WRONGPASS);
		return;
	}
	auth_succeeded(c);
	authenticate(c);
	reply_ok(c);
}

/* Redis validates client names: printable ASCII, no spaces. */
int client_name_valid(const struct sl_resp_arg *a)
{
	size_t i;

	for (i = 0; i < a->len; i++)
		if (a->ptr[i] < '!' || a->ptr[i] > '~')
			return 0;
	return 1;
}

/*
 * The name is allocated here, off the request path (most clients never set
 * one), cut at SL_CLIENT_NAME_MAX bytes; "" frees it. Returns 0, or -ENOMEM
 * with the old name kept and the client marked to close.
 */
int client_set_name(struct sl_client *c, const struct sl_resp_arg *a)
{
	size_t len = a->len < SL_CLIENT_NAME_MAX ? a->len : SL_CLIENT_NAME_MAX;
	char *n = NULL;

	if (len > 0) {
		n = malloc(len + 1);
		if (n == NULL) {
			c->flags |= SL_CLIENT_CLOSE_NOW;
			return -ENOMEM;
		}
		memcpy(n, a->ptr, len);
		n[len] = '\0';
	}
	free(c->name);
	c->name = n;
	return 0;
}

void cmd_hello(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	const struct sl_resp_arg *user = NULL, *pass = NULL, *name = NULL;
	long long ver = 0;
	uint32_t j;

	if (argc >= 2) {
		if (parse_ll(&argv[1], &ver) != 0) {
			reply_error(c, "-ERR Protocol version is not an integer or out of range");
			return;
		}
		if (ver < 2 || ver > 3) {
			reply_error(c, "-NOPROTO unsupported protocol version");
			return;
		}
	}
	for (j = 2; j < argc; j++) {
		int more = (int)(argc - j - 1);

		if (arg_is(&argv[j], "auth") && more >= 2) {
			user = &argv[j + 1];
			pass = &argv[j + 2];
			j += 2;
		} else if (arg_is(&argv[j], "setname") && more >= 1) {
			name = &argv[j + 1];
			if (!client_name_valid(name)) {
				reply_error(c,
					    "-ERR Client names cannot contain spaces, newlines or "
					    "special characters.");
				return;
			}
			j++;
		} else {
			reply_errorf(c, "-ERR Syntax error in HELLO option '%.*s'",
				     (int)argv[j].len, argv[j].ptr);
			return;
		}
	}
	if (pass != NULL) {
		if (auth_limited(c)) {
			auth_refuse(c);
			return;
		}
		if (auth_check(c, user, pass) != 0) {
			auth_failed(c);
			reply_error(c, ERR_WRONGPASS);
			return;
		}
		auth_succeeded(c);
		authenticate(c);
	}
	if (!(c->flags & SL_CLIENT_AUTHENTICATED)) {
		reply_error(c,
			    "-NOAUTH HELLO must be called with the client already authenticated, "
			    "otherwise the HELLO AUTH <user> <pass> option can be used to "
			    "authenticate the client and select the RESP protocol version at the "
			    "same time");
		return;
	}
	if (name != NULL && client_set_name(c, name) != 0)
		return;
	if (ver != 0)
		sl_resp_out_set_proto(&c->out, (int)ver);
	c->flags |= sl_resp_write_map_len(&c->out, 7) != 0 ? SL_CLIENT_CLOSE_NOW : 0;
	reply_bulk(c, "server", 6);
	reply_bulk(c, "redis", 5);
	reply_bulk(c, "version", 7);
	reply_bulk(c, SL_REDIS_COMPAT_VERSION, strlen(SL_REDIS_COMPAT_VERSION));
	reply_bulk(c, "proto", 5);
	reply_int(c, c->out.proto);
	reply_bulk(c, "id", 2);
	reply_int(c, (int64_t)c->id);
	reply_bulk(c, "mode", 4);
	reply_bulk(c, "standalone", 10);
	reply_bulk(c, "role", 4);
	reply_bulk(c, "master", 6);
	reply_bulk(c, "modules", 7);
	reply_array_len(c, 0);
}

void cmd_reset(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	(void)argv;
	(void)argc;
	free(c->name);
	c->name = NULL;
	/* Redis 7.0 RESET turns replies back on; CLIENT NO-EVICT stays as it was. */
	c->flags &= ~(SL_CLIENT_REPLY_OFF | SL_CLIENT_REPLY_SKIP | SL_CLIENT_REPLY_SKIP_NEXT);
	sl_resp_out_set_proto(&c->out, 2);
	if (c->eng->shared->requirepass_len != 0) {
		c->flags &= ~SL_CLIENT_AUTHENTICATED;
		sl_resp_parser_set_auth(&c->parser, false);
	}
	reply_status(c, "RESET");
}

void cmd_select(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	long long db;

	(void)argc;
	if (parse_ll(&argv[1], &db) != 0) {
		reply_error(c, ERR_NOT_INT);
		return;
	}
	/* sluice has one database, number 0. */
	if (db != 0)
		reply_error(c, ERR_DB_RANGE);
	else
		reply_ok(c);
}

void cmd_time(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	char s[24], us[24];
	int n1, n2;

	(void)argv;
	(void)argc;
	n1 = snprintf(s, sizeof(s), "%llu", (unsigned long long)(c->eng->now_ms / 1000));
	n2 = snprintf(us, sizeof(us), "%llu", (unsigned long long)(c->eng->now_ms % 1000) * 1000);
	reply_array_len(c, 2);
	reply_bulk(c, s, (size_t)n1);
	reply_bulk(c, us, (size_t)n2);
}

void cmd_flushall(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	int rc;

	if (argc > 2 || (argc == 2 && !arg_is(&argv[1], "async") && !arg_is(&argv[1], "sync"))) {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	/* Always lazy: the partition is empty at once, memory is freed in the background. */
	rc = sl_store_flush(c->eng->store, c->eng->self);
	if (rc != 0)
		reply_store_error(c, rc);
	else
		reply_ok(c);
}

/* COMMAND: the table as Redis 7.0 reports it. */
static void reply_flags(struct sl_client *c, uint32_t f)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		/* Redis 7.0's order (server.c addReplyCommandFlags) */
		{CMD_WRITE, "write"},
		{CMD_READONLY, "readonly"},
		{CMD_DENYOOM, "denyoom"},
		{CMD_ADMIN, "admin"},
		{CMD_NOSCRIPT, "noscript"},
		{CMD_LOADING, "loading"},
		{CMD_STALE, "stale"},
		{CMD_SKIP_MONITOR, "skip_monitor"},
		{CMD_FAST, "fast"},
		{CMD_NOAUTH, "no_auth"},
		{CMD_NO_MANDATORY_KEYS, "no_mandatory_keys"},
		{CMD_MOVABLEKEYS, "movablekeys"},
		{CMD_ALLOW_BUSY, "allow_busy"},
	};
	unsigned i, n = 0;

	for (i = 0; i < SL_ARRAY_SIZE(names); i++)
		n += (f & names[i].bit) != 0;
	c->flags |= sl_resp_write_set_len(&c->out, n) != 0 ? SL_CLIENT_CLOSE_NOW : 0;
	for (i = 0; i < SL_ARRAY_SIZE(names); i++)
		if (f & names[i].bit)
			reply_status(c, names[i].name);
}

static void reply_acl(struct sl_client *c, const char *acl)
{
	const char *p = acl;
	unsigned n = 0;

	while (*p != '\0') {
		n++;
		p += strcspn(p, " ");
		p += strspn(p, " ");
	}
	c->flags |= sl_resp_write_set_len(&c->out, n) != 0 ? SL_CLIENT_CLOSE_NOW : 0;
	for (p = acl; *p != '\0';) {
		size_t len = strcspn(p, " ");
		char buf[64];

		snprintf(buf, sizeof(buf), "@%.*s", (int)len, p);
		reply_status(c, buf);
		p += len;
		p += strspn(p, " ");
	}
}

/* COMMAND INFO tips: a set of bulk strings (space-separated in the docs table). */
static void reply_tips(struct sl_client *c, const char *tips)
{
	const char *p;
	unsigned n = 0;

	for (p = tips; p != NULL && *p != '\0'; p += strspn(p, " ")) {
		n++;
		p += strcspn(p, " ");
	}
	c->flags |= sl_resp_write_set_len(&c->out, n) != 0 ? SL_CLIENT_CLOSE_NOW : 0;
	for (p = tips; p != NULL && *p != '\0'; p += strspn(p, " ")) {
		size_t len = strcspn(p, " ");

		reply_bulk(c, p, len);
		p += len;
	}
}

/* One COMMAND INFO entry; doc (may be NULL) holds the tips, key specs and a container's
 * subcommands. */
static void reply_command_info(struct sl_client *c, const struct cmd_def *d,
			       const struct cmd_doc *doc)
{
	const struct cmd_doc *subs;
	unsigned i, nsubs = 0;

	reply_array_len(c, 10);
	reply_bulk(c, d->name, strlen(d->name));
	reply_int(c, d->arity);
	reply_flags(c, d->flags);
	reply_int(c, d->first_key);
	reply_int(c, d->last_key);
	reply_int(c, d->key_step);
	reply_acl(c, d->acl);
	reply_tips(c, doc != NULL ? doc->tips : NULL);
	cmd_doc_reply_key_specs(c, doc != NULL ? doc->key_specs : NULL);
	/* subcommands: each one's own entry (a container's are in cmd_args.c); Redis
	 * sends an array, or an empty set when there are none */
	subs = (d->flags & CMD_CONTAINER) ? cmd_doc_subcommands(d->name, &nsubs) : NULL;
	if (nsubs > 0)
		reply_array_len(c, nsubs);
	else
		c->flags |= sl_resp_write_set_len(&c->out, 0) != 0 ? SL_CLIENT_CLOSE_NOW : 0;
	for (i = 0; i < nsubs; i++) {
		struct cmd_def sub;

		cmd_doc_as_def(&subs[i], d, &sub);
		reply_command_info(c, &sub, &subs[i]);
	}
}

/* A command of the table, with its docs entry. */
static void reply_table_info(struct sl_client *c, const struct cmd_def *d)
{
	reply_command_info(c, d, cmd_doc_find(d->name, strlen(d->name)));
}

void cmd_command(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc)
{
	unsigned i;
	uint32_t j;

	if (argc == 1) {
		reply_array_len(c, sl_cmd_table_len);
		for (i = 0; i < sl_cmd_table_len; i++)
			reply_table_info(c, &sl_cmd_table[i]);
	} else if (arg_is(&argv[1], "count") && argc == 2) {
		reply_int(c, sl_cmd_table_len);
	} else if (arg_is(&argv[1], "info")) {
		if (argc == 2) {
			reply_array_len(c, sl_cmd_table_len);
			for (i = 0; i < sl_cmd_table_len; i++)
				reply_table_info(c, &sl_cmd_table[i]);
			return;
		}
		reply_array_len(c, argc - 2);
		for (j = 2; j < argc; j++) {
			const struct cmd_def *d;
			const struct cmd_doc *doc;
			struct cmd_def sub;

			if (cmd_doc_resolve(argv[j].ptr, argv[j].len, &d, &doc) != 0) {
				reply_null(c);
			} else if (doc != NULL && strchr(doc->name, '|') != NULL) {
				cmd_doc_as_def(doc, d, &sub); /* "container|sub" */
				reply_command_info(c, &sub, doc);
			} else {
				reply_command_info(c, d, doc);
			}
		}
	} else if (arg_is(&argv[1], "docs")) {
		/* Redis's reply: a map of name -> docs; unknown names are left out. */
		const struct cmd_def *d;
		const struct cmd_doc *doc;
		unsigned n = 0;

		if (argc == 2) {
			c->flags |= sl_resp_write_map_len(&c->out, sl_cmd_table_len) != 0
					    ? SL_CLIENT_CLOSE_NOW
					    : 0;
			for (i = 0; i < sl_cmd_table_len; i++) {
				d = &sl_cmd_table[i];
				cmd_doc_reply(c, d, cmd_doc_find(d->name, strlen(d->name)));
			}
			return;
		}
		for (j = 2; j < argc; j++)
			n += cmd_doc_resolve(argv[j].ptr, argv[j].len, &d, &doc) == 0;
		c->flags |= sl_resp_write_map_len(&c->out, n) != 0 ? SL_CLIENT_CLOSE_NOW : 0;
		for (j = 2; j < argc; j++)
			if (cmd_doc_resolve(argv[j].ptr, argv[j].len, &d, &doc) == 0)
				cmd_doc_reply(c, d, doc);
	} else if (arg_is(&argv[1], "count") || arg_is(&argv[1], "list")) {
		if (arg_is(&argv[1], "list") && argc == 2) {
			reply_array_len(c, sl_cmd_table_len);
			for (i = 0; i < sl_cmd_table_len; i++)
				reply_bulk(c, sl_cmd_table[i].name, strlen(sl_cmd_table[i].name));
		} else {
			reply_errorf(c, "-ERR wrong number of arguments for 'command|%s' command",
				     arg_is(&argv[1], "count") ? "count" : "list");
		}
	} else {
		reply_errorf(c, "-ERR unknown subcommand '%.*s'. Try COMMAND HELP.",
			     (int)(argv[1].len < 128 ? argv[1].len : 128), argv[1].ptr);
	}
}
