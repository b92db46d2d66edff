/*
 * COMMAND DOCS detail: complexity, history, deprecation and the argument
 * specs of every command and subcommand sluice implements, as Redis 7.0.15
 * reports them (its commands/<name>.json files). redis-cli 7.0 builds its
 * interactive hints ("SET key value [NX|XX] [GET] ...") from the
 * "arguments" of COMMAND DOCS, so they follow Redis's names and nesting.
 *
 * Kept apart from the command table (table.c) and keyed by name: a sorted
 * table searched only when COMMAND DOCS runs, never on the dispatch path.
 * A command's summary, since and group come from the command table; a
 * subcommand's summary and since are here, its group is its container's.
 * A container lists the subcommands present here, sorted by name.
 */
#include <ctype.h>
#include <errno.h>

#include "dataplane/cmd/cmd_priv.h"

/* ---- the specs ---- */

#define ARGS(...)    ((const struct cmd_arg[]){__VA_ARGS__, {.name = NULL}})
#define HISTORY(...) ((const char *const[]){__VA_ARGS__, NULL})

/*
 * One argument: the name first, then designated fields (.flags, .token,
 * .since...). Key arguments default to key spec 0.
 */
#define ARG(t, ...)                                                                                \
	{                                                                                          \
		.type = (t), .name = __VA_ARGS__                                                   \
	}
#define KEY(...)      ARG(CMD_ARG_KEY, __VA_ARGS__)
#define STR(...)      ARG(CMD_ARG_STRING, __VA_ARGS__)
#define INT(...)      ARG(CMD_ARG_INTEGER, __VA_ARGS__)
#define DOUBLE(...)   ARG(CMD_ARG_DOUBLE, __VA_ARGS__)
#define PATTERN(...)  ARG(CMD_ARG_PATTERN, __VA_ARGS__)
#define UNIXTIME(...) ARG(CMD_ARG_UNIX_TIME, __VA_ARGS__)
#define TOKEN(...)    ARG(CMD_ARG_PURE_TOKEN, __VA_ARGS__)
#define ONEOF(...)    ARG(CMD_ARG_ONEOF, __VA_ARGS__)
#define BLOCK(...)    ARG(CMD_ARG_BLOCK, __VA_ARGS__)

#define OPT   CMD_ARG_OPTIONAL
#define MULTI CMD_ARG_MULTIPLE

/* The one key argument most commands take. */
#define KEY_ONLY ARGS(KEY("key"))

/* EXPIRE and its siblings: Redis 7.0's NX XX GT LT. */
#define EXPIRE_CONDITION                                                                           \
	ONEOF("condition", .since = "7.0.0", .flags = OPT,                                         \
	      .args = ARGS(TOKEN("nx", .token = "NX"), TOKEN("xx", .token = "XX"),                 \
			   TOKEN("gt", .token = "GT"), TOKEN("lt", .token = "LT")))
#define EXPIRE_HISTORY HISTORY("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")

/* FLUSHALL and FLUSHDB. */
#define FLUSH_MODE                                                                                 \
	ARGS(ONEOF("async", .flags = OPT,                                                          \
		   .args = ARGS(TOKEN("async", .token = "ASYNC", .since = "4.0.0"),                \
				TOKEN("sync", .token = "SYNC", .since = "6.2.0"))))
#define FLUSH_HISTORY                                                                              \
	HISTORY("4.0.0", "Added the `ASYNC` flushing mode modifier.", "6.2.0",                     \
		"Added the `SYNC` flushing mode modifier.")

#define FCALL_ARGS                                                                                 \
	ARGS(STR("function"), INT("numkeys"), KEY("key", .flags = OPT | MULTI),                    \
	     STR("arg", .flags = OPT | MULTI))

/* Key specs: flags, where the keys begin (argument index) and how they run. */
#define SPECS(...)           ((const struct cmd_key_spec[]){__VA_ARGS__, {.index = 0}})
#define RANGE(i, last, step) .index = (i), .lastkey = (last), .keystep = (step), .limit = 0
#define KEYNUM(i, numidx, first, step)                                                             \
	.index = (i), .keynum = true, .keynumidx = (numidx), .firstkey = (first), .keystep = (step)
#define KS_KEY1(fl) SPECS({.flags = (fl), RANGE(1, 0, 1)}) /* the key at 1 */
#define KS_KEY2(fl) SPECS({.flags = (fl), RANGE(2, 0, 1)}) /* a subcommand's key at 2 */
#define RO          CMD_KS_RO
#define RW          CMD_KS_RW
#define OW          CMD_KS_OW
#define RM          CMD_KS_RM
#define ACC         CMD_KS_ACCESS
#define UPD         CMD_KS_UPDATE
#define INS         CMD_KS_INSERT
#define DEL         CMD_KS_DELETE

/* A subcommand's COMMAND INFO: arity (from the container name), flags, ACL categories. */
#define INFO(ar, fl, acl_) .arity = (ar), .flags = (fl), .acl = (acl_)
#define KEY_AT(i)          .first_key = (i), .last_key = (i), .key_step = 1
#define LS                 (CMD_LOADING | CMD_STALE)
#define NS_LS              (CMD_NOSCRIPT | LS)
#define ADMIN_LS           (CMD_ADMIN | LS)
#define ADMIN_NS_LS        (CMD_ADMIN | NS_LS)

#define SUB_HELP(since_)                                                                           \
	.summary = "Show helpful text about the different subcommands", .since = (since_),         \
	.complexity = "O(1)"

#define CONTAINER .complexity = "Depends on subcommand."

#define SCAN_COMPLEXITY                                                                            \
	"O(1) for every call. O(N) for a complete iteration, including enough command "            \
	"calls for the cursor to return back to 0. N is the number of elements inside "            \
	"the collection"

/* Sorted by name (strcmp): looked up by binary search. */
static const struct cmd_doc docs[] = {
	{.name = "append",
	 .key_specs = KS_KEY1(RW | INS),
	 .complexity = "O(1). The amortized time complexity is O(1) assuming the appended "
		       "value is small and the already present value is of any size, since "
		       "the dynamic string library used by Redis will double the free space "
		       "available on every reallocation.",
	 .args = ARGS(KEY("key"), STR("value"))},
	{.name = "auth",
	 .complexity = "O(N) where N is the number of passwords defined for the user",
	 .history = HISTORY("6.0.0", "Added ACL style (username and password)."),
	 .args = ARGS(STR("username", .since = "6.0.0", .flags = OPT), STR("password"))},
	{.name = "client", CONTAINER},
	{.name = "client|getname",
	 INFO(2, NS_LS, "slow connection"),
	 .summary = "Get the current connection name",
	 .since = "2.6.9",
	 .complexity = "O(1)"},
	{.name = "client|help", INFO(2, LS, "slow connection"), SUB_HELP("5.0.0")},
	{.name = "client|id",
	 INFO(2, NS_LS, "slow connection"),
	 .summary = "Returns the client ID for the current connection",
	 .since = "5.0.0",
	 .complexity = "O(1)"},
	{.name = "client|info",
	 .tips = "nondeterministic_output",
	 INFO(2, NS_LS, "slow connection"),
	 .summary = "Returns information about the current client connection.",
	 .since = "6.2.0",
	 .complexity = "O(1)"},
	{.name = "client|kill",
	 INFO(-3, ADMIN_NS_LS, "admin slow dangerous connection"),
	 .summary = "Kill the connection of a client",
	 .since = "2.4.0",
	 .complexity = "O(N) where N is the number of client connections",
	 .history = HISTORY("2.8.12", "Added new filter format.", "2.8.12", "`ID` option.", "3.2.0",
			    "Added `master` type in for `TYPE` option.", "5.0.0",
			    "Replaced `slave` `TYPE` with `replica`. `slave` still supported "
			    "for backward compatibility.",
			    "6.2.0", "`LADDR` option."),
	 .args = ARGS(ONEOF(
		 "filter",
		 .args = ARGS(
			 STR("ip:port", .deprecated_since = "2.8.12"),
			 ONEOF("new-format", .flags = MULTI,
			       .args = ARGS(INT("client-id", .token = "ID", .since = "2.8.12",
						.flags = OPT),
					    ONEOF("normal_master_slave_pubsub", .token = "TYPE",
						  .since = "2.8.12", .flags = OPT,
						  .args = ARGS(TOKEN("normal", .token = "NORMAL"),
							       TOKEN("master", .token = "MASTER",
								     .since = "3.2.0"),
							       TOKEN("slave", .token = "SLAVE"),
							       TOKEN("replica", .token = "REPLICA",
								     .since = "5.0.0"),
							       TOKEN("pubsub", .token = "PUBSUB"))),
					    STR("username", .token = "USER", .flags = OPT),
					    STR("ip:port", .token = "ADDR", .flags = OPT),
					    STR("ip:port", .token = "LADDR", .since = "6.2.0",
						.flags = OPT),
					    STR("yes/no", .token = "SKIPME", .flags = OPT))))))},
	{.name = "client|list",
	 .tips = "nondeterministic_output",
	 INFO(-2, ADMIN_NS_LS, "admin slow dangerous connection"),
	 .summary = "Get the list of client connections",
	 .since = "2.4.0",
	 .complexity = "O(N) where N is the number of client connections",
	 .history =
		 HISTORY("2.8.12", "Added unique client `id` field.", "5.0.0",
			 "Added optional `TYPE` filter.", "6.0.0", "Added `user` field.", "6.2.0",
			 "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the "
			 "optional `ID` filter.",
			 "7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields.", "7.0.3",
			 "Added `ssub` field."),
	 .args = ARGS(ONEOF("normal_master_replica_pubsub", .token = "TYPE", .since = "5.0.0",
			    .flags = OPT,
			    .args = ARGS(TOKEN("normal", .token = "NORMAL"),
					 TOKEN("master", .token = "MASTER"),
					 TOKEN("replica", .token = "REPLICA"),
					 TOKEN("pubsub", .token = "PUBSUB"))),
		      BLOCK("id", .token = "ID", .since = "6.2.0", .flags = OPT,
			    .args = ARGS(INT("client-id", .flags = MULTI))))},
	{.name = "client|no-evict",
	 INFO(3, ADMIN_NS_LS, "admin slow dangerous connection"),
	 .summary = "Set client eviction mode for the current connection",
	 .since = "7.0.0",
	 .complexity = "O(1)",
	 .args = ARGS(ONEOF("enabled", .args = ARGS(TOKEN("on", .token = "ON"),
						    TOKEN("off", .token = "OFF"))))},
	{.name = "client|reply",
	 INFO(3, NS_LS, "slow connection"),
	 .summary = "Instruct the server whether to reply to commands",
	 .since = "3.2.0",
	 .complexity = "O(1)",
	 .args = ARGS(ONEOF("on_off_skip",
			    .args = ARGS(TOKEN("on", .token = "ON"), TOKEN("off", .token = "OFF"),
					 TOKEN("skip", .token = "SKIP"))))},
	{.name = "client|setname",
	 INFO(3, NS_LS, "slow connection"),
	 .summary = "Set the current connection name",
	 .since = "2.6.9",
	 .complexity = "O(1)",
	 .args = ARGS(STR("connection-name"))},
	{.name = "command",
	 .tips = "nondeterministic_output_order",
	 .complexity = "O(N) where N is the total number of Redis commands"},
	{.name = "command|count",
	 INFO(2, LS, "slow connection"),
	 .summary = "Get total number of Redis commands",
	 .since = "2.8.13",
	 .complexity = "O(1)"},
	{.name = "command|docs",
	 .tips = "nondeterministic_output_order",
	 INFO(-2, LS, "slow connection"),
	 .summary = "Get array of specific Redis command documentation",
	 .since = "7.0.0",
	 .complexity = "O(N) where N is the number of commands to look up",
	 .args = ARGS(STR("command-name", .flags = OPT | MULTI))},
	{.name = "command|info",
	 .tips = "nondeterministic_output_order",
	 INFO(-2, LS, "slow connection"),
	 .summary = "Get array of specific Redis command details, or all when no argument is "
		    "given.",
	 .since = "2.8.13",
	 .complexity = "O(N) where N is the number of commands to look up",
	 .history = HISTORY("7.0.0",
			    "Allowed to be called with no argument to get info on all commands."),
	 .args = ARGS(STR("command-name", .flags = OPT | MULTI))},
	{.name = "command|list",
	 .tips = "nondeterministic_output_order",
	 INFO(-2, LS, "slow connection"),
	 .summary = "Get an array of Redis command names",
	 .since = "7.0.0",
	 .complexity = "O(N) where N is the total number of Redis commands",
	 .args = ARGS(ONEOF("filterby", .token = "FILTERBY", .flags = OPT,
			    .args = ARGS(STR("module-name", .token = "MODULE"),
					 STR("category", .token = "ACLCAT"),
					 PATTERN("pattern", .token = "PATTERN"))))},
	{.name = "config", CONTAINER},
	{.name = "config|get",
	 INFO(-3, ADMIN_NS_LS, "admin slow dangerous"),
	 .summary = "Get the values of configuration parameters",
	 .since = "2.0.0",
	 .complexity = "O(N) when N is the number of configuration parameters provided",
	 .history = HISTORY("7.0.0",
			    "Added the ability to pass multiple pattern parameters in one call"),
	 .args = ARGS(BLOCK("parameter", .flags = MULTI, .args = ARGS(STR("parameter"))))},
	{.name = "config|help", INFO(2, LS, "slow"), SUB_HELP("5.0.0")},
	{.name = "config|resetstat",
	 INFO(2, ADMIN_NS_LS, "admin slow dangerous"),
	 .summary = "Reset the stats returned by INFO",
	 .since = "2.0.0",
	 .complexity = "O(1)"},
	{.name = "config|set",
	 .tips = "request_policy:all_nodes response_policy:all_succeeded",
	 INFO(-4, ADMIN_NS_LS, "admin slow dangerous"),
	 .summary = "Set configuration parameters to the given values",
	 .since = "2.0.0",
	 .complexity = "O(N) when N is the number of configuration parameters provided",
	 .history = HISTORY("7.0.0", "Added the ability to set multiple parameters in one call."),
	 .args = ARGS(BLOCK("parameter_value", .flags = MULTI,
			    .args = ARGS(STR("parameter"), STR("value"))))},
	{.name = "dbsize",
	 .tips = "request_policy:all_shards response_policy:agg_sum",
	 .complexity = "O(1)"},
	{.name = "decr",
	 .key_specs = KS_KEY1(RW | ACC | UPD),
	 .complexity = "O(1)",
	 .args = KEY_ONLY},
	{.name = "decrby",
	 .key_specs = KS_KEY1(RW | ACC | UPD),
	 .complexity = "O(1)",
	 .args = ARGS(KEY("key"), INT("decrement"))},
	{.name = "del",
	 .key_specs = SPECS({.flags = RM | DEL, RANGE(1, -1, 1)}),
	 .tips = "request_policy:multi_shard response_policy:agg_sum",
	 .complexity = "O(N) where N is the number of keys that will be removed. When a key to "
		       "remove holds a value other than a string, the individual complexity for "
		       "this key is O(M) where M is the number of elements in the list, set, "
		       "sorted set or hash. Removing a single key that holds a string value is "
		       "O(1).",
	 .args = ARGS(KEY("key", .flags = MULTI))},
	{.name = "echo", .complexity = "O(1)", .args = ARGS(STR("message"))},
	{.name = "exists",
	 .key_specs = SPECS({.flags = RO, RANGE(1, -1, 1)}),
	 .tips = "request_policy:multi_shard response_policy:agg_sum",
	 .complexity = "O(N) where N is the number of keys to check.",
	 .history = HISTORY("3.0.3", "Accepts multiple `key` arguments."),
	 .args = ARGS(KEY("key", .flags = MULTI))},
	{.name = "expire",
	 .key_specs = KS_KEY1(RW | UPD),
	 .complexity = "O(1)",
	 .history = EXPIRE_HISTORY,
	 .args = ARGS(KEY("key"), INT("seconds"), EXPIRE_CONDITION)},
	{.name = "expireat",
	 .key_specs = KS_KEY1(RW | UPD),
	 .complexity = "O(1)",
	 .history = EXPIRE_HISTORY,
	 .args = ARGS(KEY("key"), UNIXTIME("unix-time-seconds"), EXPIRE_CONDITION)},
	{.name = "expiretime",
	 .key_specs = KS_KEY1(RO | ACC),
	 .complexity = "O(1)",
	 .args = KEY_ONLY},
	{.name = "fcall",
	 .key_specs = SPECS({.notes = "We cannot tell how the keys will be used so we assume the "
				      "worst, RW and UPDATE",
			     .flags = RW | ACC | UPD,
			     KEYNUM(2, 0, 1, 1)}),
	 .complexity = "Depends on the function that is executed.",
	 .args = FCALL_ARGS},
	{.name = "fcall_ro",
	 .key_specs = SPECS({.notes = "We cannot tell how the keys will be used so we assume the "
				      "worst, RO and ACCESS",
			     .flags = RO | ACC,
			     KEYNUM(2, 0, 1, 1)}),
	 .complexity = "Depends on the function that is executed.",
	 .args = FCALL_ARGS},
	{.name = "flushall",
	 .tips = "request_policy:all_shards response_policy:all_succeeded",
	 .complexity = "O(N) where N is the total number of keys in all databases",
	 .history = FLUSH_HISTORY,
	 .args = FLUSH_MODE},
	{.name = "flushdb",
	 .tips = "request_policy:all_shards response_policy:all_succeeded",
	 .complexity = "O(N) where N is the number of keys in the selected database",
	 .history = FLUSH_HISTORY,
	 .args = FLUSH_MODE},
	{.name = "function", CONTAINER},
	{.name = "function|delete",
	 .tips = "request_policy:all_shards response_policy:all_succeeded",
	 INFO(3, CMD_WRITE | CMD_NOSCRIPT, "write slow scripting"),
	 .summary = "Delete a function by name",
	 .since = "7.0.0",
	 .complexity = "O(1)",
	 .args = ARGS(STR("library-name"))},
	{.name = "function|flush",
	 .tips = "request_policy:all_shards response_policy:all_succeeded",
	 INFO(-2, CMD_WRITE | CMD_NOSCRIPT, "write slow scripting"),
	 .summary = "Deleting all functions",
	 .since = "7.0.0",
	 .complexity = "O(N) where N is the number of functions deleted",
	 .args = ARGS(ONEOF(
		 "async", .flags = OPT,
		 .args = ARGS(TOKEN("async", .token = "ASYNC"), TOKEN("sync", .token = "SYNC"))))},
	{.name = "function|help", INFO(2, LS, "slow scripting"), SUB_HELP("7.0.0")},
	{.name = "function|list",
	 .tips = "nondeterministic_output_order",
	 INFO(-2, CMD_NOSCRIPT, "slow scripting"),
	 .summary = "List information about all the functions",
	 .since = "7.0.0",
	 .complexity = "O(N) where N is the number of functions",
	 .args = ARGS(STR("library-name-pattern", .token = "LIBRARYNAME", .flags = OPT),
		      TOKEN("withcode", .token = "WITHCODE", .flags = OPT))},
	{.name = "function|load",
	 .tips = "request_policy:all_shards response_policy:all_succeeded",
	 INFO(-3, CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT, "write slow scripting"),
	 .summary = "Create a function with the given arguments (name, code, description)",
	 .since = "7.0.0",
	 .complexity = "O(1) (considering compilation time is redundant)",
	 .args = ARGS(TOKEN("replace", .token = "REPLACE", .flags = OPT), STR("function-code"))},
	{.name = "get", .key_specs = KS_KEY1(RO | ACC), .complexity = "O(1)", .args = KEY_ONLY},
	{.name = "getdel",
	 .key_specs = KS_KEY1(RW | ACC | DEL),
	 .complexity = "O(1)",
	 .args = KEY_ONLY},
	{.name = "getex",
	 .key_specs = SPECS({.notes = "RW and UPDATE because it changes the TTL",
			     .flags = RW | ACC | UPD,
			     RANGE(1, 0, 1)}),
	 .complexity = "O(1)",
	 .args = ARGS(KEY("key"),
		      ONEOF("expiration", .flags = OPT,
			    .args = ARGS(INT("seconds", .token = "EX"),
					 INT("milliseconds", .token = "PX"),
					 UNIXTIME("unix-time-seconds", .token = "EXAT"),
					 UNIXTIME("unix-time-milliseconds", .token = "PXAT"),
					 TOKEN("persist", .token = "PERSIST"))))},
	{.name = "getrange",
	 .key_specs = KS_KEY1(RO | ACC),
	 .complexity = "O(N) where N is the length of the returned string. The complexity is "
		       "ultimately determined by the returned length, but because creating a "
		       "substring from an existing string is very cheap, it can be considered "
		       "O(1) for small strings.",
	 .args = ARGS(KEY("key"), INT("start"), INT("end"))},
	{.name = "getset",
	 .key_specs = KS_KEY1(RW | ACC | UPD),
	 .complexity = "O(1)",
	 .doc_flags = CMD_DOC_DEPRECATED,
	 .deprecated_since = "6.2.0",
	 .replaced_by = "`SET` with the `!GET` argument",
	 .args = ARGS(KEY("key"), STR("value"))},
	{.name = "hdel",
	 .key_specs = KS_KEY1(RW | DEL),
	 .complexity = "O(N) where N is the number of fields to be removed.",
	 .history = HISTORY("2.4.0", "Accepts multiple `field` arguments."),
	 .args = ARGS(KEY("key"), STR("field", .flags = MULTI))},
	{.name = "hello",
	 .complexity = "O(1)",
	 .history = HISTORY("6.2.0", "`protover` made optional; when called without arguments "
				     "the command reports the current connection's context."),
	 .args = ARGS(BLOCK("arguments", .flags = OPT,
			    .args = ARGS(INT("protover"),
					 BLOCK("username_password", .token = "AUTH", .flags = OPT,
					       .args = ARGS(STR("username"), STR("password"))),
					 STR("clientname", .token = "SETNAME", .flags = OPT))))},
	{.name = "hexists",
	 .key_specs = KS_KEY1(RO),
	 .complexity = "O(1)",
	 .args = ARGS(KEY("key"), STR("field"))},
	{.name = "hget",
	 .key_specs = KS_KEY1(RO | ACC),
	 .complexity = "O(1)",
	 .args = ARGS(KEY("key"), STR("field"))},
	{.name = "hgetall",
	 .key_specs = KS_KEY1(RO | ACC),
	 .tips = "nondeterministic_output_order",
	 .complexity = "O(N) where N is the size of the hash.",
	 .args = KEY_ONLY},
	{.name = "hincrby",
	 .key_specs = KS_KEY1(RW | ACC | UPD),
	 .complexity = "O(1)",
	 .args = ARGS(KEY("key"), STR("field"), INT("increment"))},
	{.name = "hincrbyfloat",
	 .key_specs = KS_KEY1(RW | ACC | UPD),
	 .complexity = "O(1)",
	 .args = ARGS(KEY("key"), STR("field"), DOUBLE("increment"))},
	{.name = "hkeys",
	 .key_specs = KS_KEY1(RO | ACC),
	 .tips = "nondeterministic_output_order",
	 .complexity = "O(N) where N is the size of the hash.",
	 .args = KEY_ONLY},
	{.name = "hlen", .key_specs = KS_KEY1(RO), .complexity = "O(1)", .args = KEY_ONLY},
	{.name = "hmget",
	 .key_specs = KS_KEY1(RO | ACC),
	 .complexity = "O(N) where N is the number of fields being requested.",
	 .args = ARGS(KEY("key"), STR("field", .flags = MULTI))},
	{.name = "hmset",
	 .key_specs = KS_KEY1(RW | UPD),
	 .complexity = "O(N) where N is the number of fields being set.",
	 .doc_flags = CMD_DOC_DEPRECATED,
	 .deprecated_since = "4.0.0",
	 .replaced_by = "`HSET` with multiple field-value pairs",
	 .args = ARGS(KEY("key"), BLOCK("field_value", .flags = MULTI,
					.args = ARGS(STR("field"), STR("value"))))},
	{.name = "hrandfield",
	 .key_specs = KS_KEY1(RO | ACC),
	 .tips = "nondeterministic_output",
	 .complexity = "O(N) where N is the number of fields returned",
	 .args = ARGS(KEY("key"),
		      BLOCK("options", .flags = OPT,
			    .args = ARGS(INT("count"), TOKEN("withvalues", .token = "WITHVALUES",
							     .flags = OPT))))},
	{.name = "hscan",
	 .key_specs = KS_KEY1(RO | ACC),
	 .tips = "nondeterministic_output",
	 .complexity = SCAN_COMPLEXITY "..",
	 .args = ARGS(KEY("key"), INT("cursor"), PATTERN("pattern", .token = "MATCH", .flags = OPT),
		      INT("count", .token = "COUNT", .flags = OPT))},
	{.name = "hset",
	 .key_specs = KS_KEY1(RW | UPD),
	 .complexity = "O(1) for each field/value pair added, so O(N) to add N field/value "
		       "pairs when the command is called with multiple field/value pairs.",
	 .history = HISTORY("4.0.0", "Accepts multiple `field` and `value` arguments."),
	 .args = ARGS(KEY("key"), BLOCK("field_value", .flags = MULTI,
					.args = ARGS(STR("field"), STR("value"))))},
	{.name = "hsetnx",
	 .key_specs = KS_KEY1(RW | INS),
	 .complexity = "O(1)",
	 .args = ARGS(KEY("key"), STR("field"), STR("value"))},
	{.name = "hstrlen",
	 .key_specs = KS_KEY1(RO),
	 .complexity = "O(1)",
	 .args = ARGS(KEY("key"), STR("field"))},
	{.name = "hvals",
	 .key_specs = KS_KEY1(RO | ACC),
	 .tips = "nondeterministic_output_order",
	 .complexity = "O(N) where N is the size of the hash.",
	 .args = KEY_ONLY},
	{.name = "incr",
	 .key_specs = KS_KEY1(RW | ACC | UPD),
	 .complexity = "O(1)",
	 .args = KEY_ONLY},
	{.name = "incrby",
	 .key_specs = KS_KEY1(RW | ACC | UPD),
	 .complexity = "O(1)",
	 .args = ARGS(KEY("key"), INT("increment"))},
	{.name = "incrbyfloat",
	 .key_specs = KS_KEY1(RW | ACC | UPD),
	 .complexity = "O(1)",
	 .args = ARGS(KEY("key"), DOUBLE("increment"))},
	{.name = "info",
	 .tips = "nondeterministic_output request_policy:all_shards response_policy:special",
	 .complexity = "O(1)",
	 .history = HISTORY("7.0.0", "Added support for taking multiple section arguments."),
	 .args = ARGS(STR("section", .flags = OPT | MULTI))},
	{.name = "keys",
	 .tips = "request_policy:all_shards nondeterministic_output_order",
	 .complexity = "O(N) with N being the number of keys in the database, under the "
		       "assumption that the key names in the database and the given pattern have "
		       "limited length.",
	 .args = ARGS(PATTERN("pattern"))},
	{.name = "latency", CONTAINER},
	{.name = "latency|help",
	 INFO(2, LS, "slow"),
	 .summary = "Show helpful text about the different subcommands.",
	 .since = "2.8.13",
	 .complexity = "O(1)"},
	{.name = "latency|latest",
	 .tips = "nondeterministic_output request_policy:all_nodes response_policy:special",
	 INFO(2, ADMIN_NS_LS, "admin slow dangerous"),
	 .summary = "Return the latest latency samples for all events.",
	 .since = "2.8.13",
	 .complexity = "O(1)"},
	{.name = "memory", CONTAINER},
	{.name = "memory|help", INFO(2, LS, "slow"), SUB_HELP("4.0.0")},
	{.name = "memory|usage",
	 .key_specs = KS_KEY2(RO),
	 INFO(-3, CMD_READONLY, "read slow"),
	 KEY_AT(2),
	 .summary = "Estimate the memory usage of a key",
	 .since = "4.0.0",
	 .complexity = "O(N) where N is the number of samples.",
	 .args = ARGS(KEY("key"), INT("count", .token = "SAMPLES", .flags = OPT))},
	{.name = "mget",
	 .key_specs = SPECS({.flags = RO | ACC, RANGE(1, -1, 1)}),
	 .tips = "request_policy:multi_shard",
	 .complexity = "O(N) where N is the number of keys to retrieve.",
	 .args = ARGS(KEY("key", .flags = MULTI))},
	{.name = "mset",
	 .key_specs = SPECS({.flags = OW | UPD, RANGE(1, -1, 2)}),
	 .tips = "request_policy:multi_shard response_policy:all_succeeded",
	 .complexity = "O(N) where N is the number of keys to set.",
	 .args = ARGS(BLOCK("key_value", .flags = MULTI, .args = ARGS(KEY("key"), STR("value"))))},
	{.name = "msetnx",
	 .key_specs = SPECS({.flags = OW | INS, RANGE(1, -1, 2)}),
	 .tips = "request_policy:multi_shard response_policy:agg_min",
	 .complexity = "O(N) where N is the number of keys to set.",
	 .args = ARGS(BLOCK("key_value", .flags = MULTI, .args = ARGS(KEY("key"), STR("value"))))},
	{.name = "object", CONTAINER},
	{.name = "object|encoding",
	 .key_specs = KS_KEY2(RO),
	 .tips = "nondeterministic_output",
	 INFO(3, CMD_READONLY, "keyspace read slow"),
	 KEY_AT(2),
	 .summary = "Inspect the internal encoding of a Redis object",
	 .since = "2.2.3",
	 .complexity = "O(1)",
	 .args = KEY_ONLY},
	{.name = "object|freq",
	 .key_specs = KS_KEY2(RO),
	 .tips = "nondeterministic_output",
	 INFO(3, CMD_READONLY, "keyspace read slow"),
	 KEY_AT(2),
	 .summary = "Get the logarithmic access frequency counter of a Redis object",
	 .since = "4.0.0",
	 .complexity = "O(1)",
	 .args = KEY_ONLY},
	{.name = "object|help", INFO(2, LS, "keyspace slow"), SUB_HELP("6.2.0")},
	{.name = "object|idletime",
	 .key_specs = KS_KEY2(RO),
	 .tips = "nondeterministic_output",
	 INFO(3, CMD_READONLY, "keyspace read slow"),
	 KEY_AT(2),
	 .summary = "Get the time since a Redis object was last accessed",
	 .since = "2.2.3",
	 .complexity = "O(1)",
	 .args = KEY_ONLY},
	{.name = "object|refcount",
	 .key_specs = KS_KEY2(RO),
	 .tips = "nondeterministic_output",
	 INFO(3, CMD_READONLY, "keyspace read slow"),
	 KEY_AT(2),
	 .summary = "Get the number of references to the value of the key",
	 .since = "2.2.3",
	 .complexity = "O(1)",
	 .args = KEY_ONLY},
	{.name = "persist", .key_specs = KS_KEY1(RW | UPD), .complexity = "O(1)", .args = KEY_ONLY},
	{.name = "pexpire",
	 .key_specs = KS_KEY1(RW | UPD),
	 .complexity = "O(1)",
	 .history = EXPIRE_HISTORY,
	 .args = ARGS(KEY("key"), INT("milliseconds"), EXPIRE_CONDITION)},
	{.name = "pexpireat",
	 .key_specs = KS_KEY1(RW | UPD),
	 .complexity = "O(1)",
	 .history = EXPIRE_HISTORY,
	 .args = ARGS(KEY("key"), UNIXTIME("unix-time-milliseconds"), EXPIRE_CONDITION)},
	{.name = "pexpiretime",
	 .key_specs = KS_KEY1(RO | ACC),
	 .complexity = "O(1)",
	 .args = KEY_ONLY},
	{.name = "ping",
	 .tips = "request_policy:all_shards response_policy:all_succeeded",
	 .complexity = "O(1)",
	 .args = ARGS(STR("message", .flags = OPT))},
	{.name = "psetex",
	 .key_specs = KS_KEY1(OW | UPD),
	 .complexity = "O(1)",
	 .args = ARGS(KEY("key"), INT("milliseconds"), STR("value"))},
	{.name = "pttl",
	 .key_specs = KS_KEY1(RO | ACC),
	 .tips = "nondeterministic_output",
	 .complexity = "O(1)",
	 .history = HISTORY("2.8.0", "Added the -2 reply."),
	 .args = KEY_ONLY},
	{.name = "quit", .complexity = "O(1)"},
	{.name = "randomkey",
	 .tips = "request_policy:all_shards nondeterministic_output",
	 .complexity = "O(1)"},
	{.name = "rename",
	 .key_specs = SPECS({.flags = RW | ACC | DEL, RANGE(1, 0, 1)},
			    {.flags = OW | UPD, RANGE(2, 0, 1)}),
	 .complexity = "O(1)",
	 .args = ARGS(KEY("key"), KEY("newkey", .key_spec = 1))},
	{.name = "renamenx",
	 .key_specs = SPECS({.flags = RW | ACC | DEL, RANGE(1, 0, 1)},
			    {.flags = OW | INS, RANGE(2, 0, 1)}),
	 .complexity = "O(1)",
	 .history = HISTORY("3.2.0", "The command no longer returns an error when source and "
				     "destination names are the same."),
	 .args = ARGS(KEY("key"), KEY("newkey", .key_spec = 1))},
	{.name = "reset", .complexity = "O(1)"},
	{.name = "scan",
	 .tips = "nondeterministic_output request_policy:special",
	 .complexity = SCAN_COMPLEXITY ".",
	 .history = HISTORY("6.0.0", "Added the `TYPE` subcommand."),
	 .args = ARGS(INT("cursor"), PATTERN("pattern", .token = "MATCH", .flags = OPT),
		      INT("count", .token = "COUNT", .flags = OPT),
		      STR("type", .token = "TYPE", .since = "6.0.0", .flags = OPT))},
	{.name = "select", .complexity = "O(1)", .args = ARGS(INT("index"))},
	{.name = "set",
	 .key_specs = SPECS({.notes = "RW and ACCESS due to the optional `GET` argument",
			     .flags = RW | ACC | UPD | CMD_KS_VARIABLE_FLAGS,
			     RANGE(1, 0, 1)}),
	 .complexity = "O(1)",
	 .history = HISTORY("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options.", "6.0.0",
			    "Added the `KEEPTTL` option.", "6.2.0",
			    "Added the `GET`, `EXAT` and `PXAT` option.", "7.0.0",
			    "Allowed the `NX` and `GET` options to be used together."),
	 .args = ARGS(KEY("key"), STR("value"),
		      ONEOF("condition", .since = "2.6.12", .flags = OPT,
			    .args = ARGS(TOKEN("nx", .token = "NX"), TOKEN("xx", .token = "XX"))),
		      TOKEN("get", .token = "GET", .since = "6.2.0", .flags = OPT),
		      ONEOF("expiration", .flags = OPT,
			    .args = ARGS(INT("seconds", .token = "EX", .since = "2.6.12"),
					 INT("milliseconds", .token = "PX", .since = "2.6.12"),
					 UNIXTIME("unix-time-seconds", .token = "EXAT",
						  .since = "6.2.0"),
					 UNIXTIME("unix-time-milliseconds", .token = "PXAT",
						  .since = "6.2.0"),
					 TOKEN("keepttl", .token = "KEEPTTL", .since = "6.0.0"))))},
	{.name = "setex",
	 .key_specs = KS_KEY1(OW | UPD),
	 .complexity = "O(1)",
	 .args = ARGS(KEY("key"), INT("seconds"), STR("value"))},
	{.name = "setnx",
	 .key_specs = KS_KEY1(OW | INS),
	 .complexity = "O(1)",
	 .args = ARGS(KEY("key"), STR("value"))},
	{.name = "setrange",
	 .key_specs = KS_KEY1(RW | UPD),
	 .complexity = "O(1), not counting the time taken to copy the new string in place. "
		       "Usually, this string is very small so the amortized complexity is O(1). "
		       "Otherwise, complexity is O(M) with M being the length of the value "
		       "argument.",
	 .args = ARGS(KEY("key"), INT("offset"), STR("value"))},
	{.name = "slowlog", CONTAINER},
	{.name = "slowlog|get",
	 .tips = "request_policy:all_nodes nondeterministic_output",
	 INFO(-2, ADMIN_LS, "admin slow dangerous"),
	 .summary = "Get the slow log's entries",
	 .since = "2.2.12",
	 .complexity = "O(N) where N is the number of entries returned",
	 .history = HISTORY("4.0.0", "Added client IP address, port and name to the reply."),
	 .args = ARGS(INT("count", .flags = OPT))},
	{.name = "slowlog|help", INFO(2, LS, "slow"), SUB_HELP("6.2.0")},
	{.name = "slowlog|len",
	 .tips = "request_policy:all_nodes response_policy:agg_sum nondeterministic_output",
	 INFO(2, ADMIN_LS, "admin slow dangerous"),
	 .summary = "Get the slow log's length",
	 .since = "2.2.12",
	 .complexity = "O(1)"},
	{.name = "slowlog|reset",
	 .tips = "request_policy:all_nodes response_policy:all_succeeded",
	 INFO(2, ADMIN_LS, "admin slow dangerous"),
	 .summary = "Clear all entries from the slow log",
	 .since = "2.2.12",
	 .complexity = "O(N) where N is the number of entries in the slowlog"},
	{.name = "strlen", .key_specs = KS_KEY1(RO), .complexity = "O(1)", .args = KEY_ONLY},
	{.name = "time", .tips = "nondeterministic_output", .complexity = "O(1)"},
	{.name = "touch",
	 .key_specs = SPECS({.flags = RO, RANGE(1, -1, 1)}),
	 .tips = "request_policy:multi_shard response_policy:agg_sum",
	 .complexity = "O(N) where N is the number of keys that will be touched.",
	 .args = ARGS(KEY("key", .flags = MULTI))},
	{.name = "ttl",
	 .key_specs = KS_KEY1(RO | ACC),
	 .tips = "nondeterministic_output",
	 .complexity = "O(1)",
	 .history = HISTORY("2.8.0", "Added the -2 reply."),
	 .args = KEY_ONLY},
	{.name = "type", .key_specs = KS_KEY1(RO), .complexity = "O(1)", .args = KEY_ONLY},
	{.name = "unlink",
	 .key_specs = SPECS({.flags = RM | DEL, RANGE(1, -1, 1)}),
	 .tips = "request_policy:multi_shard response_policy:agg_sum",
	 .complexity = "O(1) for each key removed regardless of its size. Then the command does "
		       "O(N) work in a different thread in order to reclaim memory, where N is "
		       "the number of allocations the deleted objects where composed of.",
	 .args = ARGS(KEY("key", .flags = MULTI))},
};

const struct cmd_doc *const sl_cmd_docs = docs;
const unsigned sl_cmd_docs_len = SL_ARRAY_SIZE(docs);

/* ---- lookup ---- */

/* strcmp order of the lower-cased a[0..alen) against the table name b. */
static int name_cmp(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen && b[i] != '\0'; i++) {
		int d = tolower((unsigned char)a[i]) - (unsigned char)b[i];

		if (d != 0)
			return d;
	}
	if (i < alen)
		return 1;
	return b[i] == '\0' ? 0 : -1;
}

const struct cmd_doc *cmd_doc_find(const char *name, size_t len)
{
	unsigned lo = 0, hi = SL_ARRAY_SIZE(docs);

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		int d = name_cmp(name, len, docs[mid].name);

		if (d == 0)
			return &docs[mid];
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int cmd_doc_resolve(const char *name, size_t len, const struct cmd_def **cmd,
		    const struct cmd_doc **doc)
{
	const char *bar = memchr(name, '|', len);
	char full[96];
	size_t base, n;

	if (bar == NULL) {
		*cmd = sl_cmd_lookup(name, len);
		if (*cmd == NULL)
			return -ENOENT;
		*doc = cmd_doc_find((*cmd)->name, strlen((*cmd)->name));
		return 0;
	}
	/* "container|sub": the container by its (possibly renamed) name, the
	 * subcommand by the container's table name. */
	base = (size_t)(bar - name);
	*cmd = sl_cmd_lookup(name, base);
	if (*cmd == NULL || !((*cmd)->flags & CMD_CONTAINER))
		return -ENOENT;
	n = strlen((*cmd)->name);
	if (n + len - base >= sizeof(full))
		return -ENOENT;
	memcpy(full, (*cmd)->name, n);
	memcpy(full + n, bar, len - base);
	*doc = cmd_doc_find(full, n + len - base);
	return *doc == NULL ? -ENOENT : 0;
}

/* ---- the reply ---- */

static void map_len(struct sl_client *c, uint64_t n)
{
	c->flags |= sl_resp_write_map_len(&c->out, n) != 0 ? SL_CLIENT_CLOSE_NOW : 0;
}

static void set_len(struct sl_client *c, uint64_t n)
{
	c->flags |= sl_resp_write_set_len(&c->out, n) != 0 ? SL_CLIENT_CLOSE_NOW : 0;
}

static void reply_str(struct sl_client *c, const char *s)
{
	reply_bulk(c, s, strlen(s));
}

static void reply_field(struct sl_client *c, const char *key, const char *val)
{
	reply_str(c, key);
	reply_str(c, val);
}

static const char *const arg_type_names[] = {
	[CMD_ARG_STRING] = "string",         [CMD_ARG_INTEGER] = "integer",
	[CMD_ARG_DOUBLE] = "double",         [CMD_ARG_KEY] = "key",
	[CMD_ARG_PATTERN] = "pattern",       [CMD_ARG_UNIX_TIME] = "unix-time",
	[CMD_ARG_PURE_TOKEN] = "pure-token", [CMD_ARG_ONEOF] = "oneof",
	[CMD_ARG_BLOCK] = "block",
};

static unsigned count_args(const struct cmd_arg *a)
{
	unsigned n = 0;

	while (a != NULL && a[n].name != NULL)
		n++;
	return n;
}

/* Redis addReplyCommandArgList: the fields an argument has, in this order. */
static void reply_args(struct sl_client *c, const struct cmd_arg *args)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} flag_names[] = {
		{CMD_ARG_OPTIONAL, "optional"},
		{CMD_ARG_MULTIPLE, "multiple"},
		{CMD_ARG_MULTIPLE_TOKEN, "multiple_token"},
	};
	unsigned i, j, n = count_args(args);

	reply_array_len(c, n);
	for (i = 0; i < n; i++) {
		const struct cmd_arg *a = &args[i];
		int nested = a->type == CMD_ARG_ONEOF || a->type == CMD_ARG_BLOCK;
		unsigned nflags = 0;

		for (j = 0; j < SL_ARRAY_SIZE(flag_names); j++)
			nflags += (a->flags & flag_names[j].bit) != 0;
		map_len(c, 2u + (a->type == CMD_ARG_KEY) + (a->token != NULL) + (a->since != NULL) +
				   (a->deprecated_since != NULL) + (nflags > 0) + (unsigned)nested);
		reply_field(c, "name", a->name);
		reply_field(c, "type", arg_type_names[a->type]);
		if (a->type == CMD_ARG_KEY) {
			reply_str(c, "key_spec_index");
			reply_int(c, a->key_spec);
		}
		if (a->token != NULL)
			reply_field(c, "token", a->token);
		if (a->since != NULL)
			reply_field(c, "since", a->since);
		if (a->deprecated_since != NULL)
			reply_field(c, "deprecated_since", a->deprecated_since);
		if (nflags > 0) {
			reply_str(c, "flags");
			set_len(c, nflags);
			for (j = 0; j < SL_ARRAY_SIZE(flag_names); j++)
				if (a->flags & flag_names[j].bit)
					reply_status(c, flag_names[j].name);
		}
		if (nested) {
			reply_str(c, "arguments");
			reply_args(c, a->args);
		}
	}
}

/* The subcommands of container (its table name) in docs[]: a contiguous, sorted run. */
const struct cmd_doc *cmd_doc_subcommands(const char *container, unsigned *n)
{
	size_t len = strlen(container);
	unsigned i, first = SL_ARRAY_SIZE(docs);

	*n = 0;
	for (i = 0; i < SL_ARRAY_SIZE(docs); i++) {
		if (strncmp(docs[i].name, container, len) == 0 && docs[i].name[len] == '|') {
			if (first == SL_ARRAY_SIZE(docs))
				first = i;
			(*n)++;
		}
	}
	return *n > 0 ? &docs[first] : NULL;
}

void cmd_doc_as_def(const struct cmd_doc *sub, const struct cmd_def *container, struct cmd_def *out)
{
	*out = (struct cmd_def){
		.name = sub->name,
		.fn = NULL,
		.arity = sub->arity,
		.flags = sub->flags,
		.first_key = sub->first_key,
		.last_key = sub->last_key,
		.key_step = sub->key_step,
		.group = container->group,
		.since = sub->since,
		.summary = sub->summary,
		.acl = sub->acl,
	};
}

/* Redis addReplyCommandDocs: the map after the name. */
static void reply_doc_map(struct sl_client *c, const struct cmd_def *cmd, const struct cmd_doc *doc)
{
	const char *summary = doc != NULL && doc->summary != NULL ? doc->summary : cmd->summary;
	const char *since = doc != NULL && doc->since != NULL ? doc->since : cmd->since;
	const struct cmd_doc *subs = NULL;
	unsigned i, nsubs = 0, nhist = 0;

	if (doc == NULL) {
		map_len(c, 3);
		reply_field(c, "summary", summary);
		reply_field(c, "since", since);
		reply_field(c, "group", sl_cmd_group_name(cmd->group));
		return;
	}
	if (strchr(doc->name, '|') == NULL && (cmd->flags & CMD_CONTAINER))
		subs = cmd_doc_subcommands(doc->name, &nsubs);
	while (doc->history != NULL && doc->history[nhist] != NULL)
		nhist += 2;
	map_len(c, 3u + (doc->complexity != NULL) + (doc->doc_flags != 0) +
			   (doc->deprecated_since != NULL) + (doc->replaced_by != NULL) +
			   (nhist > 0) + (doc->args != NULL) + (nsubs > 0));
	reply_field(c, "summary", summary);
	reply_field(c, "since", since);
	reply_field(c, "group", sl_cmd_group_name(cmd->group));
	if (doc->complexity != NULL)
		reply_field(c, "complexity", doc->complexity);
	if (doc->doc_flags != 0) {
		reply_str(c, "doc_flags");
		set_len(c, ((doc->doc_flags & CMD_DOC_DEPRECATED) != 0) +
				   ((doc->doc_flags & CMD_DOC_SYSCMD) != 0));
		if (doc->doc_flags & CMD_DOC_DEPRECATED)
			reply_status(c, "deprecated");
		if (doc->doc_flags & CMD_DOC_SYSCMD)
			reply_status(c, "syscmd");
	}
	if (doc->deprecated_since != NULL)
		reply_field(c, "deprecated_since", doc->deprecated_since);
	if (doc->replaced_by != NULL)
		reply_field(c, "replaced_by", doc->replaced_by);
	if (nhist > 0) {
		reply_str(c, "history");
		set_len(c, nhist / 2);
		for (i = 0; i < nhist; i += 2) {
			reply_array_len(c, 2);
			reply_str(c, doc->history[i]);
			reply_str(c, doc->history[i + 1]);
		}
	}
	if (doc->args != NULL) {
		reply_str(c, "arguments");
		reply_args(c, doc->args);
	}
	if (nsubs > 0) {
		reply_str(c, "subcommands");
		map_len(c, nsubs);
		for (i = 0; i < nsubs; i++) {
			reply_str(c, subs[i].name);
			reply_doc_map(c, cmd, &subs[i]);
		}
	}
}

void cmd_doc_reply(struct sl_client *c, const struct cmd_def *cmd, const struct cmd_doc *doc)
{
	reply_str(c, doc != NULL && strchr(doc->name, '|') != NULL ? doc->name : cmd->name);
	reply_doc_map(c, cmd, doc);
}

/* ---- COMMAND INFO key specs ---- */

static void reply_int_field(struct sl_client *c, const char *key, int64_t v)
{
	reply_str(c, key);
	reply_int(c, v);
}

void cmd_doc_reply_key_specs(struct sl_client *c, const struct cmd_key_spec *ks)
{
	static const struct {
		uint16_t bit;
		const char *name;
	} flag_names[] = {
		/* Redis 7.0's order (server.c addReplyFlagsForKeyArgs) */
		{CMD_KS_RO, "RO"},
		{CMD_KS_RW, "RW"},
		{CMD_KS_OW, "OW"},
		{CMD_KS_RM, "RM"},
		{CMD_KS_ACCESS, "access"},
		{CMD_KS_UPDATE, "update"},
		{CMD_KS_INSERT, "insert"},
		{CMD_KS_DELETE, "delete"},
		{CMD_KS_VARIABLE_FLAGS, "variable_flags"},
	};
	unsigned i, j, n = 0, nflags;

	while (ks != NULL && ks[n].index != 0)
		n++;
	set_len(c, n);
	for (i = 0; i < n; i++) {
		const struct cmd_key_spec *k = &ks[i];

		map_len(c, 3u + (k->notes != NULL));
		if (k->notes != NULL)
			reply_field(c, "notes", k->notes);
		reply_str(c, "flags");
		for (j = 0, nflags = 0; j < SL_ARRAY_SIZE(flag_names); j++)
			nflags += (k->flags & flag_names[j].bit) != 0;
		set_len(c, nflags);
		for (j = 0; j < SL_ARRAY_SIZE(flag_names); j++)
			if (k->flags & flag_names[j].bit)
				reply_status(c, flag_names[j].name);
		reply_str(c, "begin_search");
		map_len(c, 2);
		reply_field(c, "type", "index");
		reply_str(c, "spec");
		map_len(c, 1);
		reply_int_field(c, "index", k->index);
		reply_str(c, "find_keys");
		map_len(c, 2);
		reply_field(c, "type", k->keynum ? "keynum" : "range");
		reply_str(c, "spec");
		map_len(c, 3);
		if (k->keynum) {
			reply_int_field(c, "keynumidx", k->keynumidx);
			reply_int_field(c, "firstkey", k->firstkey);
			reply_int_field(c, "keystep", k->keystep);
		} else {
			reply_int_field(c, "lastkey", k->lastkey);
			reply_int_field(c, "keystep", k->keystep);
			reply_int_field(c, "limit", k->limit);
		}
	}
}

/* ---- docs/commands.md: the syntax lines ---- */

struct text {
	char buf[1024];
	size_t len;
};

static void put(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->len + n < sizeof(t->buf)) {
		memcpy(t->buf + t->len, s, n + 1);
		t->len += n;
	}
}

static void syntax_args(struct text *t, const struct cmd_arg *args, const char *sep);

/* One argument the way redis-cli hints it: "[EX seconds|PX milliseconds]", "key [key ...]". */
static void syntax_body(struct text *t, const struct cmd_arg *a)
{
	if (a->type == CMD_ARG_ONEOF)
		syntax_args(t, a->args, "|");
	else if (a->type == CMD_ARG_BLOCK)
		syntax_args(t, a->args, " ");
	else if (a->type != CMD_ARG_PURE_TOKEN)
		put(t, a->name);
}

static void syntax_arg(struct text *t, const struct cmd_arg *a)
{
	if (a->flags & CMD_ARG_OPTIONAL)
		put(t, "[");
	if (a->token != NULL) {
		put(t, a->token);
		if (a->type != CMD_ARG_PURE_TOKEN)
			put(t, " ");
	}
	syntax_body(t, a);
	if (a->flags & CMD_ARG_MULTIPLE) {
		put(t, " [");
		if ((a->flags & CMD_ARG_MULTIPLE_TOKEN) && a->token != NULL) {
			put(t, a->token);
			put(t, " ");
		}
		syntax_body(t, a);
		put(t, " ...]");
	}
	if (a->flags & CMD_ARG_OPTIONAL)
		put(t, "]");
}

static void syntax_args(struct text *t, const struct cmd_arg *args, const char *sep)
{
	unsigned i, n = count_args(args);

	for (i = 0; i < n; i++) {
		if (i > 0)
			put(t, sep);
		syntax_arg(t, &args[i]);
	}
}

/* "- `NAME SUB args`" for a command or subcommand doc. */
static int write_syntax_line(FILE *out, const struct cmd_doc *doc)
{
	struct text t = {.len = 0};
	size_t i;

	t.buf[0] = '\0';
	put(&t, doc->name);
	for (i = 0; i < t.len; i++)
		t.buf[i] = t.buf[i] == '|' ? ' ' : (char)toupper((unsigned char)t.buf[i]);
	if (doc->args != NULL) {
		put(&t, " ");
		syntax_args(&t, doc->args, " ");
	}
	return fprintf(out, "- `%s`\n", t.buf) < 0 ? -EIO : 0;
}

int cmd_doc_write_syntax(FILE *out)
{
	unsigned i, j, nsubs;

	if (fputs("\n## Syntax\n\n"
		  "Each command's arguments, as COMMAND DOCS reports them and redis-cli shows\n"
		  "them while a command is typed (from dataplane/cmd/cmd_args.c).\n\n",
		  out) == EOF)
		return -EIO;
	for (i = 0; i < sl_cmd_table_len; i++) {
		const struct cmd_def *d = &sl_cmd_table[i];
		const struct cmd_doc *doc = cmd_doc_find(d->name, strlen(d->name));
		const struct cmd_doc *subs;

		if (doc == NULL)
			continue;
		subs = (d->flags & CMD_CONTAINER) ? cmd_doc_subcommands(d->name, &nsubs) : NULL;
		if (subs == NULL) {
			if (write_syntax_line(out, doc) != 0)
				return -EIO;
			continue;
		}
		for (j = 0; j < nsubs; j++)
			if (write_syntax_line(out, &subs[j]) != 0)
				return -EIO;
	}
	return ferror(out) ? -EIO : 0;
}
