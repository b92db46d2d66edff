/*
 * Private to dataplane/cmd: the command definition, the handler signature
 * and helpers shared by the command families.
 */
#ifndef SL_DATAPLANE_CMD_CMD_PRIV_H
#define SL_DATAPLANE_CMD_CMD_PRIV_H

#include <string.h>
#include <strings.h>

#include "dataplane/cmd/cmd.h"

/* The Redis version sluice answers as (HELLO, INFO). */
#define SL_REDIS_COMPAT_VERSION "7.0.15"

/* Command flags (Redis 7.0 names, as COMMAND INFO reports them). */
#define CMD_WRITE      (1u << 0)
#define CMD_READONLY   (1u << 1)
#define CMD_DENYOOM    (1u << 2)
#define CMD_ADMIN      (1u << 3)
#define CMD_FAST       (1u << 4)
#define CMD_NOAUTH     (1u << 5) /* "no_auth": allowed before AUTH */
#define CMD_LOADING    (1u << 6)
#define CMD_STALE      (1u << 7)
#define CMD_NOSCRIPT   (1u << 8)
#define CMD_ALLOW_BUSY (1u << 9)
#define CMD_CONTAINER  (1u << 16) /* has subcommands (not reported by COMMAND INFO) */

/* Redis command groups, for COMMAND DOCS and docs/commands.md. */
enum cmd_group {
	GROUP_STRING,
	GROUP_GENERIC,
	GROUP_HASH,
	GROUP_CONNECTION,
	GROUP_SERVER,
	GROUP_SCRIPTING,
};

typedef void cmd_fn(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc);

struct cmd_def {
	const char *name; /* lower case */
	cmd_fn *fn;
	int arity; /* Redis semantics: > 0 exact, < 0 at least -arity */
	uint32_t flags;
	int first_key, last_key, key_step; /* Redis legacy key spec; 0 = no keys */
	enum cmd_group group;
	const char *since;
	const char *summary;
	const char *acl; /* space-separated ACL categories without '@' */
};

/* The table (table.c) and lookup by name (case-insensitive). */
extern const struct cmd_def sl_cmd_table[];
extern const unsigned sl_cmd_table_len;
const struct cmd_def *sl_cmd_lookup(const char *name, size_t len);
/* "container|sub" names; engine sub_stat[i] counts sl_subcmd_names[i]. */
extern const char *const sl_subcmd_names[];
extern const unsigned sl_subcmd_count;
const char *sl_cmd_group_name(enum cmd_group g);

/* Handlers, by family. */
cmd_fn cmd_ping, cmd_echo, cmd_quit, cmd_hello, cmd_auth, cmd_select, cmd_command, cmd_client,
	cmd_time, cmd_dbsize, cmd_flushall, cmd_info, cmd_reset;
cmd_fn cmd_config, cmd_object, cmd_slowlog, cmd_latency, cmd_function, cmd_fcall, cmd_memory;
cmd_fn cmd_get, cmd_set, cmd_setnx, cmd_setex, cmd_psetex, cmd_getset, cmd_getdel, cmd_getex,
	cmd_mget, cmd_mset, cmd_msetnx, cmd_append, cmd_strlen, cmd_getrange, cmd_setrange,
	cmd_incr, cmd_decr, cmd_incrby, cmd_decrby, cmd_incrbyfloat;
cmd_fn cmd_del, cmd_exists, cmd_type, cmd_expire, cmd_pexpire, cmd_expireat, cmd_pexpireat, cmd_ttl,
	cmd_pttl, cmd_expiretime, cmd_pexpiretime, cmd_persist, cmd_touch, cmd_rename, cmd_renamenx,
	cmd_keys, cmd_scan, cmd_randomkey;
cmd_fn cmd_hset, cmd_hsetnx, cmd_hget, cmd_hmset, cmd_hmget, cmd_hgetall, cmd_hdel, cmd_hexists,
	cmd_hlen, cmd_hstrlen, cmd_hincrby, cmd_hincrbyfloat, cmd_hkeys, cmd_hvals, cmd_hrandfield,
	cmd_hscan;

/* ---- shared helpers (client.c) ---- */

/* Redis's error texts. */
#define ERR_SYNTAX     "-ERR syntax error"
#define ERR_NOT_INT    "-ERR value is not an integer or out of range"
#define ERR_NOT_FLOAT  "-ERR value is not a valid float"
#define ERR_WRONGTYPE  "-WRONGTYPE Operation against a key holding the wrong kind of value"
#define ERR_OVERFLOW   "-ERR increment or decrement would overflow"
#define ERR_NAN        "-ERR increment would produce NaN or Infinity"
#define ERR_DB_RANGE   "-ERR DB index is out of range"
#define ERR_NOAUTH     "-NOAUTH Authentication required."
#define ERR_WRONGPASS  "-WRONGPASS invalid username-password pair or user is disabled."
#define ERR_STR_TOOBIG "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"

static inline int arg_is(const struct sl_resp_arg *a, const char *s)
{
	size_t n = strlen(s);

	return a->len == n && strncasecmp(a->ptr, s, n) == 0;
}

/* Writes an error reply: text is the whole error line without CRLF ("-ERR ...", "-WRONGTYPE ...").
 */
void reply_error(struct sl_client *c, const char *text);
void reply_errorf(struct sl_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_ok(struct sl_client *c);
void reply_int(struct sl_client *c, int64_t v);
void reply_bulk(struct sl_client *c, const void *p, size_t len);
/* A string value read from the store (borrowed view v, valid in this loop
 * iteration): values of SL_STORE_PIN_MIN bytes and more are pinned and sent
 * by reference, unpinned when sent or when the client goes (no copy into
 * output chunks; output memory still counts them); others are copied. */
void reply_value_large(struct sl_client *c, const struct sl_store_value *v);
static inline void reply_value(struct sl_client *c, const struct sl_store_value *v)
{
	/* the small-value path stays what it was: one call, no pin */
	if (sl_unlikely(v->len >= SL_STORE_PIN_MIN))
		reply_value_large(c, v);
	else
		reply_bulk(c, v->ptr, v->len);
}
void reply_null(struct sl_client *c);
void reply_status(struct sl_client *c, const char *s);
void reply_array_len(struct sl_client *c, uint64_t n);
/* Counts an error reply (INFO errorstats, failed_calls); reply_error* call it. */
void count_error(struct sl_client *c, const char *text, size_t len);
/* Maps a store error code to its Redis reply. */
void reply_store_error(struct sl_client *c, int rc);

/* INFO keyspace_hits/misses: one per read lookup of a key, as Redis's
 * lookupKeyRead counts (a key of another type is a hit; writes never count). */
void count_lookup(struct sl_client *c, int hit);

/* Redis string2ll / string2ld rules. Return 0 or -EINVAL. */
int parse_ll(const struct sl_resp_arg *a, long long *out);
int parse_ld(const struct sl_resp_arg *a, long double *out);
/* parse_ll, replying ERR_NOT_INT on failure. Returns 0 or -EINVAL. */
int get_ll_or_reply(struct sl_client *c, const struct sl_resp_arg *a, long long *out);

/* Redis's glob matcher (stringmatchlen, case-sensitive); 1 if s matches p. */
int sl_cmd_glob(const char *p, size_t plen, const char *s, size_t slen);

/* Redis parseScanCursorOrReply: strtoul rules. Returns 0, or -EINVAL after replying. */
int get_cursor_or_reply(struct sl_client *c, const struct sl_resp_arg *a, uint64_t *out);

/*
 * Subcommand dispatch for container commands (CLIENT, CONFIG, OBJECT...):
 * Redis's per-subcommand arity and unknown-subcommand errors.
 */
struct subcmd_def {
	const char *name; /* lower case */
	int arity;        /* counted from the container name, as Redis does */
	cmd_fn *fn;
};
void dispatch_sub(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc,
		  const struct subcmd_def *subs, unsigned n, const char *container);
/* Writes Redis's HELP reply: "<CONTAINER> <subcommand> ..." header, lines, "HELP" footer. */
void reply_help(struct sl_client *c, const char *container, const char *const *lines);

/* Client names (cmd_conn.c): Redis's printable-ASCII rule, and the copy. */
int client_name_valid(const struct sl_resp_arg *a);
int client_set_name(struct sl_client *c, const struct sl_resp_arg *a);
/* Sets the peer address from text (as sl_client_init; mesh proxies: "workerN"). */
void client_set_peer(struct sl_client *c, const char *addr);
/* Frees a client's name and address texts (sl_client_deinit; mesh proxies). */
void client_free_labels(struct sl_client *c);

/* Runs cmd on c with no routing, counting it (client.c); mesh.c runs shipped requests with it. */
void engine_execute(struct sl_client *c, const struct cmd_def *cmd, const struct sl_resp_arg *argv,
		    uint32_t argc);

/* mesh.c: ships cmd when its keys belong to other workers (true: handled, c may wait). */
bool mesh_route(struct sl_client *c, const struct cmd_def *cmd, const struct sl_resp_arg *argv,
		uint32_t argc);
/* mesh.c: appends input that arrived behind a shipped command to c->pend. 0 or -ENOMEM. */
int mesh_keep_input(struct sl_client *c, const char *buf, size_t len);
/* mesh.c: forgets c's job (its replies are dropped on arrival) and frees its pending input. */
void mesh_client_deinit(struct sl_client *c);
void mesh_engine_deinit(struct sl_engine *e);

/* CONFIG RESETSTAT on this worker (client.c). */
void engine_resetstat(struct sl_engine *e);

/* SLOWLOG (cmd_server.c). */
void slowlog_add(struct sl_client *c, const struct sl_resp_arg *argv, uint32_t argc, uint64_t us);
void slowlog_reset(struct sl_engine *e);

/* xorshift64* on the engine's state. */
static inline uint64_t engine_rand(struct sl_engine *e)
{
	e->rng ^= e->rng >> 12;
	e->rng ^= e->rng << 25;
	e->rng ^= e->rng >> 27;
	return e->rng * 2685821657736338717ull;
}

/* ---- COMMAND DOCS detail (cmd_args.c) ---- */

/* More Redis command flags, reported by COMMAND INFO only (FCALL, FCALL_RO). */
#define CMD_SKIP_MONITOR      (1u << 10)
#define CMD_NO_MANDATORY_KEYS (1u << 11)
#define CMD_MOVABLEKEYS       (1u << 12)

/* Argument types, as COMMAND DOCS names them. */
enum cmd_arg_type {
	CMD_ARG_STRING,
	CMD_ARG_INTEGER,
	CMD_ARG_DOUBLE,
	CMD_ARG_KEY,
	CMD_ARG_PATTERN,
	CMD_ARG_UNIX_TIME,
	CMD_ARG_PURE_TOKEN,
	CMD_ARG_ONEOF, /* one of args */
	CMD_ARG_BLOCK, /* args in sequence */
};

#define CMD_ARG_OPTIONAL       (1u << 0)
#define CMD_ARG_MULTIPLE       (1u << 1)
#define CMD_ARG_MULTIPLE_TOKEN (1u << 2)

#define CMD_DOC_DEPRECATED (1u << 0)
#define CMD_DOC_SYSCMD     (1u << 1)

/* Key spec flags, as COMMAND INFO names them. */
#define CMD_KS_RO             (1u << 0)
#define CMD_KS_RW             (1u << 1)
#define CMD_KS_OW             (1u << 2)
#define CMD_KS_RM             (1u << 3)
#define CMD_KS_ACCESS         (1u << 4)
#define CMD_KS_UPDATE         (1u << 5)
#define CMD_KS_INSERT         (1u << 6)
#define CMD_KS_DELETE         (1u << 7)
#define CMD_KS_VARIABLE_FLAGS (1u << 8)

/*
 * A Redis 7.0 key spec: the keys start at argument index; then either a
 * range (lastkey relative to the first key, -1 = the last argument;
 * keystep; limit) or, with keynum set, a key count at keynumidx (relative)
 * followed by keys from firstkey every keystep.
 */
struct cmd_key_spec {
	const char *notes; /* NULL: none */
	uint16_t flags;    /* CMD_KS_... */
	uint8_t index;     /* begin_search index; 0 ends a list */
	bool keynum;
	int8_t lastkey, limit;      /* range */
	int8_t keynumidx, firstkey; /* keynum */
	int8_t keystep;             /* both */
};

/* One argument of a command, Redis 7.0's fields; NULL strings are absent. */
struct cmd_arg {
	const char *name;
	enum cmd_arg_type type;
	uint8_t flags;    /* CMD_ARG_OPTIONAL... */
	uint8_t key_spec; /* CMD_ARG_KEY: its key_spec_index */
	const char *token, *since, *deprecated_since;
	const struct cmd_arg *args; /* ONEOF, BLOCK: up to an entry with a NULL name */
};

/* COMMAND DOCS detail of a command ("get") or subcommand ("client|list"). */
struct cmd_doc {
	const char *name;
	const char *summary, *since; /* subcommands; a command's are in sl_cmd_table */
	const char *complexity;
	uint8_t doc_flags; /* CMD_DOC_DEPRECATED... */
	const char *deprecated_since, *replaced_by;
	const char *const *history; /* version, text, ... NULL */
	const struct cmd_arg *args; /* up to an entry with a NULL name; NULL: no arguments */
	/* Subcommands, for COMMAND INFO: Redis's arity (counted from the container
	 * name), flags, legacy key positions and ACL categories. */
	int arity;
	uint32_t flags;
	int8_t first_key, last_key, key_step;
	const char *acl;
	/* COMMAND INFO tips of a command or subcommand, space-separated; NULL: none. */
	const char *tips;
	const struct cmd_key_spec *key_specs; /* up to an index of 0; NULL: none */
};

/* The detail table, sorted by name (strcmp). */
extern const struct cmd_doc *const sl_cmd_docs;
extern const unsigned sl_cmd_docs_len;

/* Exact, case-insensitive lookup of a docs entry ("get", "client|list"); NULL if none. */
const struct cmd_doc *cmd_doc_find(const char *name, size_t len);

/*
 * Resolves a COMMAND DOCS / COMMAND INFO name as Redis's lookupCommandBySds
 * does: "cmd" (rename-aware) or "container|sub". Sets *cmd and *doc (*doc
 * may be NULL for a command without detail). Returns 0 or -ENOENT.
 */
int cmd_doc_resolve(const char *name, size_t len, const struct cmd_def **cmd,
		    const struct cmd_doc **doc);

/* The subcommands of a container (its table name), sorted; NULL and *n = 0 if none. */
const struct cmd_doc *cmd_doc_subcommands(const char *container, unsigned *n);

/* A subcommand as a command definition (no handler) for COMMAND INFO. */
void cmd_doc_as_def(const struct cmd_doc *sub, const struct cmd_def *container,
		    struct cmd_def *out);

/* Writes one COMMAND DOCS entry: the name, then Redis 7.0's docs map. */
void cmd_doc_reply(struct sl_client *c, const struct cmd_def *cmd, const struct cmd_doc *doc);

/* Writes COMMAND INFO's key specs element (a set; empty for NULL). */
void cmd_doc_reply_key_specs(struct sl_client *c, const struct cmd_key_spec *ks);

/* docs/commands.md's "Syntax" section: one line per command or subcommand. 0 or -EIO. */
int cmd_doc_write_syntax(FILE *out);

#endif /* SL_DATAPLANE_CMD_CMD_PRIV_H */
