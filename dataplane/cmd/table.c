/*
 * The command table: one declarative entry per command (Redis 7.0 name,
 * arity, flags, legacy key positions, group, since, summary, ACL
 * categories). Dispatch, COMMAND INFO/DOCS/COUNT and docs/commands.md are
 * all generated from it. A command missing here answers Redis's
 * unknown-command error.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "dataplane/cmd/cmd_priv.h"

#define W          CMD_WRITE
#define R          CMD_READONLY
#define OOM        CMD_DENYOOM
#define F          CMD_FAST
#define CONN_FLAGS (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NOAUTH | CMD_ALLOW_BUSY)

/* name, handler, arity, flags, first, last, step, group, since, summary, acl */
const struct cmd_def sl_cmd_table[] = {
	/* strings */
	{"get", cmd_get, 2, R | F, 1, 1, 1, GROUP_STRING, "1.0.0", "Get the value of a key",
	 "read string fast"},
	{"set", cmd_set, -3, W | OOM, 1, 1, 1, GROUP_STRING, "1.0.0",
	 "Set the string value of a key", "write string slow"},
	{"setnx", cmd_setnx, 3, W | OOM | F, 1, 1, 1, GROUP_STRING, "1.0.0",
	 "Set the value of a key, only if the key does not exist", "write string fast"},
	{"setex", cmd_setex, 4, W | OOM, 1, 1, 1, GROUP_STRING, "2.0.0",
	 "Set the value and expiration of a key", "write string slow"},
	{"psetex", cmd_psetex, 4, W | OOM, 1, 1, 1, GROUP_STRING, "2.6.0",
	 "Set the value and expiration in milliseconds of a key", "write string slow"},
	{"getset", cmd_getset, 3, W | OOM | F, 1, 1, 1, GROUP_STRING, "1.0.0",
	 "Set the string value of a key and return its old value", "write string fast"},
	{"getdel", cmd_getdel, 2, W | F, 1, 1, 1, GROUP_STRING, "6.2.0",
	 "Get the value of a key and delete the key", "write string fast"},
	{"getex", cmd_getex, -2, W | F, 1, 1, 1, GROUP_STRING, "6.2.0",
	 "Get the value of a key and optionally set its expiration", "write string fast"},
	{"mget", cmd_mget, -2, R | F, 1, -1, 1, GROUP_STRING, "1.0.0",
	 "Get the values of all the given keys", "read string fast"},
	{"mset", cmd_mset, -3, W | OOM, 1, -1, 2, GROUP_STRING, "1.0.1",
	 "Set multiple keys to multiple values", "write string slow"},
	{"msetnx", cmd_msetnx, -3, W | OOM, 1, -1, 2, GROUP_STRING, "1.0.1",
	 "Set multiple keys to multiple values, only if none of the keys exist",
	 "write string slow"},
	{"append", cmd_append, 3, W | OOM | F, 1, 1, 1, GROUP_STRING, "2.0.0",
	 "Append a value to a key", "write string fast"},
	{"strlen", cmd_strlen, 2, R | F, 1, 1, 1, GROUP_STRING, "2.2.0",
	 "Get the length of the value stored in a key", "read string fast"},
	{"getrange", cmd_getrange, 4, R, 1, 1, 1, GROUP_STRING, "2.4.0",
	 "Get a substring of the string stored at a key", "read string slow"},
	{"setrange", cmd_setrange, 4, W | OOM, 1, 1, 1, GROUP_STRING, "2.2.0",
	 "Overwrite part of a string at key starting at the specified offset", "write string slow"},
	{"incr", cmd_incr, 2, W | OOM | F, 1, 1, 1, GROUP_STRING, "1.0.0",
	 "Increment the integer value of a key by one", "write string fast"},
	{"decr", cmd_decr, 2, W | OOM | F, 1, 1, 1, GROUP_STRING, "1.0.0",
	 "Decrement the integer value of a key by one", "write string fast"},
	{"incrby", cmd_incrby, 3, W | OOM | F, 1, 1, 1, GROUP_STRING, "1.0.0",
	 "Increment the integer value of a key by the given amount", "write string fast"},
	{"decrby", cmd_decrby, 3, W | OOM | F, 1, 1, 1, GROUP_STRING, "1.0.0",
	 "Decrement the integer value of a key by the given number", "write string fast"},
	{"incrbyfloat", cmd_incrbyfloat, 3, W | OOM | F, 1, 1, 1, GROUP_STRING, "2.6.0",
	 "Increment the float value of a key by the given amount", "write string fast"},

	/* keys */
	{"del", cmd_del, -2, W, 1, -1, 1, GROUP_GENERIC, "1.0.0", "Delete a key",
	 "keyspace write slow"},
	{"unlink", cmd_del, -2, W | F, 1, -1, 1, GROUP_GENERIC, "4.0.0",
	 "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but "
	 "non blocking.",
	 "keyspace write fast"},
	{"exists", cmd_exists, -2, R | F, 1, -1, 1, GROUP_GENERIC, "1.0.0",
	 "Determine if a key exists", "keyspace read fast"},
	{"touch", cmd_touch, -2, R | F, 1, -1, 1, GROUP_GENERIC, "3.2.1",
	 "Alters the last access time of a key(s). Returns the number of existing keys specified.",
	 "keyspace read fast"},
	{"type", cmd_type, 2, R | F, 1, 1, 1, GROUP_GENERIC, "1.0.0",
	 "Determine the type stored at key", "keyspace read fast"},
	{"expire", cmd_expire, -3, W | F, 1, 1, 1, GROUP_GENERIC, "1.0.0",
	 "Set a key's time to live in seconds", "keyspace write fast"},
	{"pexpire", cmd_pexpire, -3, W | F, 1, 1, 1, GROUP_GENERIC, "2.6.0",
	 "Set a key's time to live in milliseconds", "keyspace write fast"},
	{"expireat", cmd_expireat, -3, W | F, 1, 1, 1, GROUP_GENERIC, "1.2.0",
	 "Set the expiration for a key as a UNIX timestamp", "keyspace write fast"},
	{"pexpireat", cmd_pexpireat, -3, W | F, 1, 1, 1, GROUP_GENERIC, "2.6.0",
	 "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
	 "keyspace write fast"},
	{"ttl", cmd_ttl, 2, R | F, 1, 1, 1, GROUP_GENERIC, "1.0.0",
	 "Get the time to live for a key in seconds", "keyspace read fast"},
	{"pttl", cmd_pttl, 2, R | F, 1, 1, 1, GROUP_GENERIC, "2.6.0",
	 "Get the time to live for a key in milliseconds", "keyspace read fast"},
	{"expiretime", cmd_expiretime, 2, R | F, 1, 1, 1, GROUP_GENERIC, "7.0.0",
	 "Get the expiration Unix timestamp for a key", "keyspace read fast"},
	{"pexpiretime", cmd_pexpiretime, 2, R | F, 1, 1, 1, GROUP_GENERIC, "7.0.0",
	 "Get the expiration Unix timestamp for a key in milliseconds", "keyspace read fast"},
	{"persist", cmd_persist, 2, W | F, 1, 1, 1, GROUP_GENERIC, "2.2.0",
	 "Remove the expiration from a key", "keyspace write fast"},
	{"rename", cmd_rename, 3, W, 1, 2, 1, GROUP_GENERIC, "1.0.0", "Rename a key",
	 "keyspace write slow"},
	{"renamenx", cmd_renamenx, 3, W | F, 1, 2, 1, GROUP_GENERIC, "1.0.0",
	 "Rename a key, only if the new key does not exist", "keyspace write fast"},
	{"keys", cmd_keys, 2, R, 0, 0, 0, GROUP_GENERIC, "1.0.0",
	 "Find all keys matching the given pattern", "keyspace read slow dangerous"},
	{"scan", cmd_scan, -2, R, 0, 0, 0, GROUP_GENERIC, "2.8.0",
	 "Incrementally iterate the keys space", "keyspace read slow"},
	{"randomkey", cmd_randomkey, 1, R, 0, 0, 0, GROUP_GENERIC, "1.0.0",
	 "Return a random key from the keyspace", "keyspace read slow"},
	{"object", cmd_object, -2, CMD_CONTAINER, 0, 0, 0, GROUP_GENERIC, "2.2.3",
	 "A container for object introspection commands", "slow"},
	{"memory", cmd_memory, -2, CMD_CONTAINER, 0, 0, 0, GROUP_SERVER, "4.0.0",
	 "A container for memory diagnostics commands", "slow"},

	/* hashes */
	{"hset", cmd_hset, -4, W | OOM | F, 1, 1, 1, GROUP_HASH, "2.0.0",
	 "Set the string value of a hash field", "write hash fast"},
	{"hsetnx", cmd_hsetnx, 4, W | OOM | F, 1, 1, 1, GROUP_HASH, "2.0.0",
	 "Set the value of a hash field, only if the field does not exist", "write hash fast"},
	{"hmset", cmd_hmset, -4, W | OOM | F, 1, 1, 1, GROUP_HASH, "2.0.0",
	 "Set multiple hash fields to multiple values", "write hash fast"},
	{"hget", cmd_hget, 3, R | F, 1, 1, 1, GROUP_HASH, "2.0.0", "Get the value of a hash field",
	 "read hash fast"},
	{"hmget", cmd_hmget, -3, R | F, 1, 1, 1, GROUP_HASH, "2.0.0",
	 "Get the values of all the given hash fields", "read hash fast"},
	{"hgetall", cmd_hgetall, 2, R, 1, 1, 1, GROUP_HASH, "2.0.0",
	 "Get all the fields and values in a hash", "read hash slow"},
	{"hdel", cmd_hdel, -3, W | F, 1, 1, 1, GROUP_HASH, "2.0.0",
	 "Delete one or more hash fields", "write hash fast"},
	{"hexists", cmd_hexists, 3, R | F, 1, 1, 1, GROUP_HASH, "2.0.0",
	 "Determine if a hash field exists", "read hash fast"},
	{"hlen", cmd_hlen, 2, R | F, 1, 1, 1, GROUP_HASH, "2.0.0",
	 "Get the number of fields in a hash", "read hash fast"},
	{"hstrlen", cmd_hstrlen, 3, R | F, 1, 1, 1, GROUP_HASH, "3.2.0",
	 "Get the length of the value of a hash field", "read hash fast"},
	{"hincrby", cmd_hincrby, 4, W | OOM | F, 1, 1, 1, GROUP_HASH, "2.0.0",
	 "Increment the integer value of a hash field by the given number", "write hash fast"},
	{"hincrbyfloat", cmd_hincrbyfloat, 4, W | OOM | F, 1, 1, 1, GROUP_HASH, "2.6.0",
	 "Increment the float value of a hash field by the given amount", "write hash fast"},
	{"hkeys", cmd_hkeys, 2, R, 1, 1, 1, GROUP_HASH, "2.0.0", "Get all the fields in a hash",
	 "read hash slow"},
	{"hvals", cmd_hvals, 2, R, 1, 1, 1, GROUP_HASH, "2.0.0", "Get all the values in a hash",
	 "read hash slow"},
	{"hrandfield", cmd_hrandfield, -2, R, 1, 1, 1, GROUP_HASH, "6.2.0",
	 "Get one or multiple random fields from a hash", "read hash slow"},
	{"hscan", cmd_hscan, -3, R, 1, 1, 1, GROUP_HASH, "2.8.0",
	 "Incrementally iterate hash fields and associated values", "read hash slow"},

	/* connection */
	{"ping", cmd_ping, -1, F, 0, 0, 0, GROUP_CONNECTION, "1.0.0", "Ping the server",
	 "fast connection"},
	{"echo", cmd_echo, 2, CMD_LOADING | CMD_STALE | F, 0, 0, 0, GROUP_CONNECTION, "1.0.0",
	 "Echo the given string", "fast connection"},
	{"quit", cmd_quit, -1, CONN_FLAGS, 0, 0, 0, GROUP_CONNECTION, "1.0.0",
	 "Close the connection", "fast connection"},
	{"reset", cmd_reset, 1, CONN_FLAGS, 0, 0, 0, GROUP_CONNECTION, "6.2.0",
	 "Reset the connection", "fast connection"},
	{"hello", cmd_hello, -1, CONN_FLAGS, 0, 0, 0, GROUP_CONNECTION, "6.0.0",
	 "Handshake with Redis", "fast connection"},
	{"auth", cmd_auth, -2, CONN_FLAGS, 0, 0, 0, GROUP_CONNECTION, "1.0.0",
	 "Authenticate to the server", "fast connection"},
	{"select", cmd_select, 2, CMD_LOADING | CMD_STALE | F, 0, 0, 0, GROUP_CONNECTION, "1.0.0",
	 "Change the selected database for the current connection", "fast connection"},
	{"client", cmd_client, -2, CMD_CONTAINER, 0, 0, 0, GROUP_CONNECTION, "2.4.0",
	 "A container for client connection commands", "slow"},

	/* server */
	{"command", cmd_command, -1, CMD_LOADING | CMD_STALE | CMD_CONTAINER, 0, 0, 0, GROUP_SERVER,
	 "2.8.13", "Get array of Redis command details", "slow connection"},
	{"info", cmd_info, -1, CMD_LOADING | CMD_STALE, 0, 0, 0, GROUP_SERVER, "1.0.0",
	 "Get information and statistics about the server", "slow dangerous"},
	{"time", cmd_time, 1, CMD_LOADING | CMD_STALE | F, 0, 0, 0, GROUP_SERVER, "2.6.0",
	 "Return the current server time", "fast"},
	{"dbsize", cmd_dbsize, 1, R | F, 0, 0, 0, GROUP_SERVER, "1.0.0",
	 "Return the number of keys in the selected database", "keyspace read fast"},
	{"flushall", cmd_flushall, -1, W, 0, 0, 0, GROUP_SERVER, "1.0.0",
	 "Remove all keys from all databases", "keyspace write slow dangerous"},
	{"flushdb", cmd_flushall, -1, W, 0, 0, 0, GROUP_SERVER, "1.0.0",
	 "Remove all keys from the current database", "keyspace write slow dangerous"},
	{"config", cmd_config, -2, CMD_CONTAINER, 0, 0, 0, GROUP_SERVER, "2.0.0",
	 "A container for server configuration commands", "slow"},
	{"slowlog", cmd_slowlog, -2, CMD_CONTAINER, 0, 0, 0, GROUP_SERVER, "2.2.12",
	 "A container for slow log commands", "slow"},
	{"latency", cmd_latency, -2, CMD_CONTAINER, 0, 0, 0, GROUP_SERVER, "2.8.13",
	 "A container for latency diagnostics commands", "slow"},

	/* scripting: no engine; see cmd_server.c */
	{"function", cmd_function, -2, CMD_CONTAINER, 0, 0, 0, GROUP_SCRIPTING, "7.0.0",
	 "A container for function commands", "slow"},
	{"fcall", cmd_fcall, -3,
	 CMD_NOSCRIPT | CMD_STALE | CMD_SKIP_MONITOR | CMD_NO_MANDATORY_KEYS | CMD_MOVABLEKEYS, 0,
	 0, 0, GROUP_SCRIPTING, "7.0.0", "Invoke a function", "slow scripting"},
	{"fcall_ro", cmd_fcall, -3,
	 R | CMD_NOSCRIPT | CMD_STALE | CMD_SKIP_MONITOR | CMD_NO_MANDATORY_KEYS | CMD_MOVABLEKEYS,
	 0, 0, 0, GROUP_SCRIPTING, "7.0.0", "Invoke a read-only function", "slow scripting"},
};

const unsigned sl_cmd_table_len = sizeof(sl_cmd_table) / sizeof(sl_cmd_table[0]);
/* sl_client.last_cmd and cmd_sub hold an index + 1 in a uint16_t. */
_Static_assert(sizeof(sl_cmd_table) / sizeof(sl_cmd_table[0]) < 65535, "command table too long");

/* Every subcommand dispatch_sub serves, for per-subcommand INFO commandstats. */
const char *const sl_subcmd_names[] = {
	"client|id",       "client|getname",  "client|setname",  "client|info",
	"client|list",     "client|kill",     "client|no-evict", "client|reply",
	"client|help",     "config|get",      "config|set",      "config|resetstat",
	"config|help",     "object|encoding", "object|freq",     "object|idletime",
	"object|refcount", "object|help",     "slowlog|get",     "slowlog|len",
	"slowlog|reset",   "slowlog|help",    "latency|latest",  "latency|help",
	"function|flush",  "function|load",   "function|list",   "function|delete",
	"function|help",   "memory|usage",    "memory|help",
};

const unsigned sl_subcmd_count = sizeof(sl_subcmd_names) / sizeof(sl_subcmd_names[0]);
_Static_assert(sizeof(sl_subcmd_names) / sizeof(sl_subcmd_names[0]) < 65535,
	       "too many subcommands");

const char *sl_cmd_group_name(enum cmd_group g)
{
	static const char *const names[] = {
		[GROUP_STRING] = "string", [GROUP_GENERIC] = "generic",
		[GROUP_HASH] = "hash",     [GROUP_CONNECTION] = "connection",
		[GROUP_SERVER] = "server", [GROUP_SCRIPTING] = "scripting",
	};

	return (unsigned)g < SL_ARRAY_SIZE(names) ? names[g] : "unknown";
}

unsigned sl_cmd_count(void)
{
	return sl_cmd_table_len;
}

/*
 * Lookup: an open-addressing index over the names, built once. A name is
 * folded to lower case (ASCII only, as tolower/strncasecmp in the C locale
 * that sluice runs in) into two 64-bit words, so hashing and comparing it
 * costs a few word operations instead of a per-byte tolower and a
 * strncasecmp call; each slot keeps its entry's words and length, so a hit
 * reads one slot and nothing else. 256 slots for well under 128 commands
 * keep probes short. No command name is longer than NAME_WORDS words.
 */
#define INDEX_SLOTS  256
#define NAME_WORDS   2
#define CMD_NAME_MAX (NAME_WORDS * 8)

struct index_slot {
	uint64_t w[NAME_WORDS];
	uint8_t len;
	uint8_t pos; /* table position + 1; 0 = empty */
};

static struct index_slot index_slots[INDEX_SLOTS];
static atomic_bool index_ready;
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

/* ASCII 'A'..'Z' of every byte of w to lower case, other bytes unchanged. */
static inline __attribute__((always_inline)) uint64_t fold_word(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t low7 = w & ~high;
	/* per byte: high bit set iff low7 >= 'A', resp. low7 > 'Z'; no carries
	 * cross bytes since low7 + 0x80 - k stays below 0x100 */
	uint64_t ge_a = low7 + ones * (0x80 - 'A');
	uint64_t gt_z = low7 + ones * (0x80 - 'Z' - 1);
	uint64_t upper = ge_a & ~gt_z & ~w & high;

	return w | (upper >> 2);
}

/* Load up to 8 bytes little-end first, zero padded. */
static inline __attribute__((always_inline)) uint64_t load_le(const char *p, size_t n)
{
	uint64_t w = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n == 8) {
		memcpy(&w, p, 8);
	} else if (n >= 4) {
		uint32_t lo, hi;

		/* bytes [0,4) and [n-4,n): the overlap is shifted out of hi */
		memcpy(&lo, p, 4);
		memcpy(&hi, p + n - 4, 4);
		w = (uint64_t)lo | (((uint64_t)hi >> (8 * (8 - n))) << 32); /* n = 4: all out */
	} else if (n > 0) {
		/* 1 to 3 bytes: first, middle and last cover them all */
		w = (uint64_t)(uint8_t)p[0] | (uint64_t)(uint8_t)p[n / 2] << (8 * (n / 2)) |
		    (uint64_t)(uint8_t)p[n - 1] << (8 * (n - 1));
	}
#else
	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)(uint8_t)p[i] << (8 * i);
#endif
	return w;
}

/* The folded words of name[0..len), len <= CMD_NAME_MAX. */
static inline __attribute__((always_inline)) void name_words(const char *p, size_t len,
							     uint64_t w[NAME_WORDS])
{
	w[0] = fold_word(load_le(p, len < 8 ? len : 8));
	w[1] = len > 8 ? fold_word(load_le(p + 8, len - 8)) : 0;
}

static inline __attribute__((always_inline)) uint32_t name_hash(const uint64_t w[NAME_WORDS],
								size_t len)
{
	uint64_t h = (w[0] ^ (uint64_t)len) * 0x9e3779b97f4a7c15ull;

	h = (h ^ (h >> 29) ^ w[1]) * 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h >> 40);
}

static void build_index(void)
{
	unsigned i;

	static_assert(sizeof(sl_cmd_table) / sizeof(sl_cmd_table[0]) < INDEX_SLOTS / 2,
		      "command index too small");
	for (i = 0; i < sl_cmd_table_len; i++) {
		size_t len = strlen(sl_cmd_table[i].name);
		uint64_t w[NAME_WORDS];
		uint32_t s;

		if (len > CMD_NAME_MAX)
			abort(); /* a table entry longer than the index allows: a build bug */
		name_words(sl_cmd_table[i].name, len, w);
		s = name_hash(w, len);
		while (index_slots[s % INDEX_SLOTS].pos != 0)
			s++;
		index_slots[s % INDEX_SLOTS] = (struct index_slot){
			.w = {w[0], w[1]}, .len = (uint8_t)len, .pos = (uint8_t)(i + 1)};
	}
	atomic_store_explicit(&index_ready, true, memory_order_release);
}

/* rename-command: a handful at most, set before engines run, read-only after. */
#define MAX_RENAMES 32
static struct {
	const struct cmd_def *cmd;
	char name[64]; /* "" = disabled */
} renames[MAX_RENAMES];
static unsigned n_renames;

static inline __attribute__((always_inline)) const struct cmd_def *lookup_table(const char *name,
										size_t len);

int sl_cmd_rename(const char *name, const char *newname)
{
	const struct cmd_def *d = lookup_table(name, strlen(name));
	size_t nl = strlen(newname);
	unsigned i;

	if (d == NULL)
		return -ENOENT;
	if (nl >= sizeof(renames[0].name))
		return -ENAMETOOLONG;
	if (nl > 0 && lookup_table(newname, nl) != NULL && lookup_table(newname, nl) != d)
		return -EEXIST;
	for (i = 0; i < n_renames; i++)
		if (renames[i].cmd == d)
			break;
	if (i == n_renames) {
		if (n_renames == MAX_RENAMES)
			return -ENOSPC;
		n_renames++;
	}
	renames[i].cmd = d;
	memcpy(renames[i].name, newname, nl + 1);
	return 0;
}

const struct cmd_def *sl_cmd_lookup(const char *name, size_t len)
{
	const struct cmd_def *d;
	unsigned i;

	if (sl_likely(n_renames == 0))
		return lookup_table(name, len);
	for (i = 0; i < n_renames; i++)
		if (renames[i].name[0] != '\0' && strlen(renames[i].name) == len &&
		    strncasecmp(renames[i].name, name, len) == 0)
			return renames[i].cmd;
	d = lookup_table(name, len);
	for (i = 0; d != NULL && i < n_renames; i++)
		if (renames[i].cmd == d)
			return NULL; /* renamed away or disabled */
	return d;
}

static inline __attribute__((always_inline)) const struct cmd_def *lookup_table(const char *name,
										size_t len)
{
	uint64_t w[NAME_WORDS];
	uint32_t s;

	if (sl_unlikely(!atomic_load_explicit(&index_ready, memory_order_acquire)))
		pthread_once(&index_once, build_index);
	if (len > CMD_NAME_MAX)
		return NULL;
	name_words(name, len, w);
	for (s = name_hash(w, len);; s++) {
		const struct index_slot *e = &index_slots[s % INDEX_SLOTS];

		if (e->pos == 0)
			return NULL;
		if (e->len == len && e->w[0] == w[0] && e->w[1] == w[1])
			return &sl_cmd_table[e->pos - 1];
	}
}

/*
 * docs/commands.md. The table part is generated from sl_cmd_table; notes
 * name what differs from Redis 7.0 for a command (a command without a note
 * behaves as Redis 7.0.15 does, byte for byte).
 */
static const struct {
	const char *name;
	const char *status; /* "partial": some of Redis's behaviour is missing */
	const char *note;
} cmd_notes[] = {
	{"del", "yes", "not atomic when its keys span workers' partitions"},
	{"unlink", "yes", "as DEL"},
	{"mset", "yes", "not atomic when its keys span workers' partitions"},
	{"msetnx", "yes", "not atomic when its keys span workers' partitions"},
	{"keys", "yes", "keys in the store's table order"},
	{"scan", "yes", "cursor values are sluice's own (partition and bucket), not Redis's"},
	{"hscan", "yes",
	 "the whole hash in one reply with cursor 0, as Redis does for a listpack hash"},
	{"hrandfield", "yes",
	 "a positive count returns its fields in the hash's walk order; a negative count "
	 "whose reply passes 128 MiB closes the client instead of stalling the worker"},
	{"object", "partial",
	 "ENCODING derived from the value (see below); REFCOUNT is 1; FREQ and IDLETIME "
	 "answer an error until the store exposes its access clocks"},
	{"select", "yes", "one database: any index but 0 answers Redis's out-of-range error"},
	{"client", "partial",
	 "ID GETNAME SETNAME INFO LIST KILL NO-EVICT REPLY HELP; no PAUSE, TRACKING, CACHING, "
	 "UNBLOCK; LIST/KILL see the answering worker's clients; per-command subcommand stats "
	 "are reported under the container name"},
	{"config", "partial",
	 "GET SET RESETSTAT HELP over sluice's option table (see below); no REWRITE"},
	{"info", "yes",
	 "Redis's sections and the fields tools read, plus # Sluice; fields with no "
	 "counterpart are left out"},
	{"command", "partial",
	 "COUNT INFO DOCS LIST (no GETKEYS, HELP); INFO and DOCS list sluice's subcommands "
	 "only"},
	{"slowlog", "yes", "timing only while slowlog-log-slower-than >= 0"},
	{"latency", "partial", "LATEST (always empty: no latency monitor) and HELP"},
	{"function", "partial",
	 "no scripting engine: FLUSH succeeds, LIST is empty, LOAD fails, DELETE finds nothing"},
	{"fcall", "partial", "no function can exist: Function not found"},
	{"fcall_ro", "partial", "no function can exist: Function not found"},
	{"flushall", "yes", "always lazy (ASYNC); SYNC accepted"},
	{"flushdb", "yes", "always lazy (ASYNC); SYNC accepted"},
	{"incrbyfloat", "yes",
	 "known store bug: after a result beyond double range the next call errors"},
	{"hello", "yes", "only the default user"},
	{"auth", "yes", "only the default user; constant-time comparison"},
};

static const char markdown_head[] =
	"# sluice commands\n"
	"\n"
	"Generated by `sluice --commands-markdown` from the engine's command table\n"
	"(dataplane/cmd/table.c); do not edit the table by hand.\n"
	"\n"
	"sluice answers as Redis 7.0.15. A command not listed here answers Redis's\n"
	"unknown-command error. A command listed without a note replies byte for byte\n"
	"as redis-server 7.0.15 does, except where Redis's own order is a hash table's\n"
	"(KEYS, SCAN, the fields of a large hash): there sluice's order is its store's.\n"
	"\n"
	"## Differences from Redis\n"
	"\n"
	"- One database. `SELECT 0` succeeds; any other index answers\n"
	"  `ERR DB index is out of range`; `CONFIG GET databases` is 1.\n"
	"- The keyspace is partitioned by key hash, one partition per worker; each\n"
	"  partition has one writer, its worker. With several workers a write to a key\n"
	"  of another partition is shipped to its owner and the client waits for the\n"
	"  answer, so replies keep request order and a client reads its own writes.\n"
	"  `DEL`/`UNLINK`, `MSET`, `MSETNX`, `RENAME` and `RENAMENX` whose keys span\n"
	"  partitions are split per owner and are not atomic: another client may see\n"
	"  part of them applied for one round trip between workers (`MSETNX` checks\n"
	"  that no key exists, then sets; `RENAME` writes the destination, then\n"
	"  deletes the source). `FLUSHALL`/`FLUSHDB` empty every partition. With one\n"
	"  worker all of them are atomic.\n"
	"- `COMMAND INFO` and `COMMAND DOCS` answer as Redis 7.0.15 (flags, key\n"
	"  specs, tips; summary, complexity, history, arguments), but a container\n"
	"  lists only the subcommands sluice implements, sorted by name.\n"
	"- Values are copied into replies (the store's views are borrowed only for the\n"
	"  command), except large values the reply writer sends by reference.\n"
	"- No persistence: `CONFIG GET appendonly` is `no`, `save` is empty, and only\n"
	"  those values can be set. No scripting: `EVAL`, `EVALSHA` and `SCRIPT` are\n"
	"  unknown commands; `FUNCTION FLUSH` succeeds because there is nothing to\n"
	"  flush; `FCALL` answers `ERR Function not found`.\n"
	"- `OBJECT ENCODING` reports what Redis would choose for the value as it is\n"
	"  now: `int`, `embstr` (up to 44 bytes) or `raw` for strings; `listpack` or\n"
	"  `hashtable` for hashes by hash-max-listpack-entries/-value. Redis says `raw`\n"
	"  after APPEND/SETRANGE of a short string and keeps `hashtable` for a hash that\n"
	"  shrank. `OBJECT REFCOUNT` is 1 (nothing is shared; Redis says 2147483647\n"
	"  for its shared small integers).\n"
	"- `CONFIG SET` changes maxmemory, maxmemory-policy,\n"
	"  hash-max-listpack-entries/-value (and the ziplist aliases),\n"
	"  proto-max-bulk-len, client-query-buffer-limit, maxclients,\n"
	"  client-output-buffer-limit, requirepass, slowlog-log-slower-than and\n"
	"  slowlog-max-len at once, for every worker. maxmemory-samples,\n"
	"  lfu-log-factor, lfu-decay-time, port and databases are fixed when the\n"
	"  store is created and answer `can't set immutable config`; timeout accepts\n"
	"  only 0 (sluice does not close idle clients). Other Redis options are\n"
	"  unknown to CONFIG SET and match nothing in CONFIG GET.\n"
	"- `CLIENT KILL` closes a client of the same worker; `CLIENT LIST` shows the\n"
	"  answering worker's clients. `CLIENT SETINFO` is Redis 7.2 and unknown here.\n"
	"- `HELP` subcommands list only what sluice implements.\n"
	"- INFO figures are the answering worker's (clients, commands, errors) and the\n"
	"  whole store's (keys, memory, expired and evicted keys);\n"
	"  mem_fragmentation_ratio is allocated bytes over live bytes.\n"
	"\n"
	"## Compatibility table\n"
	"\n"
	"| command | group | since | sluice | notes |\n"
	"|---|---|---|---|---|\n";

int sl_cmd_write_markdown(FILE *out)
{
	unsigned i, j;

	if (fputs(markdown_head, out) == EOF)
		return -EIO;
	for (i = 0; i < sl_cmd_table_len; i++) {
		const struct cmd_def *d = &sl_cmd_table[i];
		const char *status = "yes", *note = "";
		char upper[32];
		size_t k;

		for (j = 0; j < SL_ARRAY_SIZE(cmd_notes); j++) {
			if (strcmp(cmd_notes[j].name, d->name) == 0) {
				status = cmd_notes[j].status;
				note = cmd_notes[j].note;
			}
		}
		for (k = 0; d->name[k] != '\0' && k < sizeof(upper) - 1; k++)
			upper[k] = (char)toupper((unsigned char)d->name[k]);
		upper[k] = '\0';
		if (fprintf(out, "| %s | %s | %s | %s | %s |\n", upper, sl_cmd_group_name(d->group),
			    d->since, status, note) < 0)
			return -EIO;
	}
	return cmd_doc_write_syntax(out);
}
